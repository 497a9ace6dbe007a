//! The paper's benchmark protocol: for every dataset, every budget ratio
//! 1/r (r = 8 ... 512 of the full size) and every method, select among all
//! candidates and score the selection against the measured loss at the full
//! size: PearCorr (correlation of the method's score with the truth; for
//! model-size, of ln parameters, as in the paper) and RelAcc.

use super::metrics::{pearson, relative_accuracy};
use super::{select, Budget, Method, SelectOptions};
use crate::datasets::Candidate;
use crate::{Error, Result};

pub const FULL_SIZE: f64 = 1_638_400.0;
pub const RATIOS: [u32; 7] = [8, 16, 32, 64, 128, 256, 512];

/// Every method of the benchmark, ours first.
pub fn all_methods() -> Vec<Method> {
    vec![
        Method::DEFAULT,
        Method::Ats { k: 3, delta: 5.0 },
        Method::RectifiedFit,
        Method::VanillaFit,
        Method::SubTuning,
        Method::ZeroShot,
        Method::ModelSize,
    ]
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub dataset: String,
    pub ratio: u32,
    pub max_n: f64,
    pub method: String,
    pub pear_corr: f64,
    pub rel_acc: f64,
    pub chosen: String,
    /// Fine-tuning cost relative to fine-tuning every candidate on the full size.
    pub cost_ratio: f64,
}

/// Run the protocol on one dataset; rows ordered by ratio, then method.
pub fn run(dataset: &str, pool: &[Candidate], methods: &[Method]) -> Result<Vec<Row>> {
    let truth: Vec<f64> = pool
        .iter()
        .map(|c| {
            c.loss_at(FULL_SIZE).ok_or_else(|| {
                Error::usage(format!(
                    "{dataset}: candidate '{}' has no loss at the full size {FULL_SIZE}",
                    c.id
                ))
            })
        })
        .collect::<Result<_>>()?;
    let mut rows = Vec::new();
    for &r in &RATIOS {
        let budget = Budget::new(FULL_SIZE, FULL_SIZE / r as f64)?;
        for &m in methods {
            let sel = select(pool, m, budget, &SelectOptions::default())?;
            // Scores in the input order.
            let mut score = vec![0.0; pool.len()];
            for rk in &sel.ranking {
                score[rk.index] = if matches!(m, Method::ModelSize) {
                    -rk.estimate.score
                } else {
                    rk.estimate.score
                };
            }
            let chosen = sel.chosen();
            rows.push(Row {
                dataset: dataset.to_string(),
                ratio: r,
                max_n: budget.max_n,
                method: m.name().to_string(),
                pear_corr: pearson(&score, &truth),
                rel_acc: relative_accuracy(&truth, chosen.observed_at_target.unwrap_or(f64::NAN)),
                chosen: chosen.estimate.id.clone(),
                cost_ratio: sel.cost.ratio,
            });
        }
    }
    Ok(rows)
}

/// Write the rows as CSV.
pub fn write_csv(rows: &[Row], path: &std::path::Path) -> Result<()> {
    let io = |e: csv::Error| Error::usage(format!("{}: {e}", path.display()));
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    for r in rows {
        w.serialize(r).map_err(io)?;
    }
    w.flush().map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}
