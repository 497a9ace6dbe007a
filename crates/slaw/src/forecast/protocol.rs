//! The two forecasting benchmarks of `slaw bench forecast`.
//!
//! 1. Multi-power protocol (Luo et al.): per model size, fit on
//!    constant_24000, cosine_24000 and wsdcon_9, predict the six other
//!    schedules; R^2 / MAE / RMSE averaged over the predicted curves.
//! 2. Early-to-final (the (Mis)Fitting runs): for every run with at least 8
//!    checkpoints, fit on the checkpoints within the first 25% / 50% of its
//!    steps and predict its final C4 eval loss; mean absolute percentage error.

use super::whatif::{what_if, Options, Target};
use super::{accuracy, fit_curves, Accuracy, Curve, CurveLaw};
use crate::progress::{counted, Progress};
use crate::table::Table;
use crate::Result;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// The multi-power protocol's fitting curves (Luo et al.).
pub const FIT_ON: [&str; 3] = ["constant_24000", "cosine_24000", "wsdcon_9"];
/// The multi-power protocol's predicted curves.
pub const PREDICT: [&str; 6] = [
    "constant_72000",
    "cosine_72000",
    "wsd_20000_24000",
    "wsdld_20000_24000",
    "wsdcon_3",
    "wsdcon_18",
];

/// One law on one model size of the multi-power protocol.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SchedulesRow {
    /// The model size (the folder's name).
    pub model: String,
    /// The law.
    pub method: &'static str,
    /// Whether the fit converged.
    pub converged: bool,
    /// Wall time of the fit (the laws are fitted in parallel).
    pub seconds: f64,
    /// Mean over the predicted curves.
    pub mean: Accuracy,
    /// Per predicted curve: its name and accuracy.
    pub per_curve: Vec<(String, Accuracy)>,
}

/// Protocol 1 on `dir` (holding `25/`, `100/`, ...): every method in
/// `methods` (`progress` counts sizes x methods).
pub fn schedules(
    dir: &Path,
    methods: &[CurveLaw],
    progress: &dyn Progress,
) -> Result<Vec<SchedulesRow>> {
    let mut rows = Vec::new();
    let sizes = sizes(dir)?;
    progress.start("schedules: sizes x laws", sizes.len() * methods.len());
    for size in sizes {
        let curves: Vec<Curve> = FIT_ON
            .iter()
            .chain(PREDICT.iter())
            .map(|n| {
                Curve::read(
                    &dir.join(&size).join(format!("{n}.csv")),
                    "step",
                    "loss",
                    Some("lr"),
                )
            })
            .collect::<Result<_>>()?;
        let upto: Vec<usize> = curves
            .iter()
            .enumerate()
            .map(|(i, c)| if i < FIT_ON.len() { c.len() } else { 0 })
            .collect();
        let fitted: Vec<_> = methods
            .par_iter()
            .map(|&m| {
                let t = std::time::Instant::now();
                counted(progress, || fit_curves(m, &curves, &upto))
                    .map(|f| (m, f, t.elapsed().as_secs_f64()))
            })
            .collect::<Result<_>>()?;
        for (m, f, seconds) in fitted {
            let per_curve: Vec<(String, Accuracy)> = (FIT_ON.len()..curves.len())
                .map(|ci| {
                    let c = &curves[ci];
                    let pred: Vec<f64> = (0..c.len()).map(|i| f.predict(ci, i)).collect();
                    (c.name.clone(), accuracy(&pred, &c.loss))
                })
                .collect();
            let k = per_curve.len() as f64;
            let mean = Accuracy {
                n: per_curve.iter().map(|p| p.1.n).sum(),
                r2: per_curve.iter().map(|p| p.1.r2).sum::<f64>() / k,
                r2_na: per_curve.iter().find_map(|p| p.1.r2_na),
                mae: per_curve.iter().map(|p| p.1.mae).sum::<f64>() / k,
                rmse: per_curve.iter().map(|p| p.1.rmse).sum::<f64>() / k,
            };
            rows.push(SchedulesRow {
                model: format!("{size}M"),
                method: m.name(),
                converged: f.converged,
                seconds,
                mean,
                per_curve,
            });
        }
    }
    Ok(rows)
}

/// Coverage of `slaw schedule`'s intervals on protocol 1: the what-if
/// command fitted on the three fitting curves, each of the six other
/// schedules predicted from its learning rates; share of their final losses
/// inside the interval.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CoverageRow {
    /// The model size.
    pub model: String,
    /// The law.
    pub method: &'static str,
    /// The intervals' level.
    pub level: f64,
    /// Final losses inside their interval.
    pub covered: usize,
    /// Final losses predicted.
    pub total: usize,
    /// Mean absolute relative error of the final loss.
    pub final_mae: f64,
    /// Median half-width of the intervals, relative to the forecast.
    pub median_half_width: f64,
    /// Wall time.
    pub seconds: f64,
}

/// Protocol 1 through `whatif::what_if` (bootstrap `replicates`, level
/// `level`) for each schedule-aware method of `methods` (`progress` counts
/// sizes x methods).
pub fn schedules_coverage(
    dir: &Path,
    methods: &[CurveLaw],
    replicates: usize,
    level: f64,
    progress: &dyn Progress,
) -> Result<Vec<CoverageRow>> {
    let mut rows = Vec::new();
    let sizes = sizes(dir)?;
    let aware: Vec<CurveLaw> = methods.iter().copied().filter(|m| m.needs_lr()).collect();
    progress.start("coverage: sizes x laws", sizes.len() * aware.len());
    for size in sizes {
        let read = |n: &str| {
            Curve::read(
                &dir.join(&size).join(format!("{n}.csv")),
                "step",
                "loss",
                Some("lr"),
            )
        };
        let runs: Vec<Curve> = FIT_ON.iter().map(|n| read(n)).collect::<Result<_>>()?;
        let truth: Vec<Curve> = PREDICT.iter().map(|n| read(n)).collect::<Result<_>>()?;
        let targets: Vec<Target> = truth.iter().map(Target::from_curve).collect();
        for &m in &aware {
            let t = std::time::Instant::now();
            let w = what_if(
                &runs,
                &targets,
                &Options {
                    method: m,
                    // a level above 0.99 needs more replicates than the
                    // benchmark's default (what_if refuses fewer)
                    bootstrap: replicates.max(crate::bootstrap::Resampling::min_replicates(level)),
                    seed: 0,
                    level,
                    search_from: None,
                    priors: super::prior::Priors::shipped(),
                },
            )?;
            progress.tick();
            let (mut covered, mut err, mut widths) = (0, 0.0, Vec::new());
            for (p, c) in w.predictions.iter().zip(&truth) {
                let last = p.last();
                let obs = *c.loss.last().expect("curves are not empty");
                if let (Some(lo), Some(hi)) = (last.lo, last.hi) {
                    covered += (lo <= obs && obs <= hi) as usize;
                    widths.push(0.5 * (hi - lo) / last.loss);
                }
                err += ((last.loss - obs) / obs).abs();
            }
            widths.sort_by(f64::total_cmp);
            rows.push(CoverageRow {
                model: format!("{size}M"),
                method: m.name(),
                level,
                covered,
                total: truth.len(),
                final_mae: err / truth.len() as f64,
                median_half_width: crate::bootstrap::percentile(&widths, 0.5),
                seconds: t.elapsed().as_secs_f64(),
            });
        }
    }
    Ok(rows)
}

fn sizes(dir: &Path) -> Result<Vec<String>> {
    let mut sizes: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| crate::Error::Io {
            path: dir.display().to_string(),
            source: e,
        })?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .collect();
    sizes.sort_by_key(|s| s.parse::<u64>().unwrap_or(u64::MAX));
    Ok(sizes)
}

/// One law at one fitting fraction of the early-to-final protocol.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EarlyRow {
    /// The share of each run fitted.
    pub fraction: f64,
    /// The law.
    pub method: &'static str,
    /// Runs forecast (with at least 4 checkpoints in the fitting window).
    pub runs: usize,
    /// Runs skipped: fewer than 4 checkpoints in the window, or the fit failed.
    pub skipped: usize,
    /// Mean absolute percentage error of the final loss.
    pub mape: f64,
    /// Median absolute percentage error of the final loss.
    pub median_ape: f64,
    /// With intervals: (level, forecasts with an interval, covered, of
    /// which calibrated by backtests (`IntervalKind::Backtest`), covered).
    pub coverage: Option<(f64, usize, usize, usize, usize)>,
}

/// The runs of the (Mis)Fitting file with at least 8 checkpoints, as curves
/// of C4 eval loss against steps, in a stable order.
pub fn misfitting_runs(path: &Path) -> Result<Vec<(Curve, f64)>> {
    let t = Table::read(path)?;
    let col = |n: &str| t.column_index(n);
    let (mi, ti, li, si, pi, wi) = (
        col("model")?,
        col("total_steps")?,
        col("C4 Eval Loss")?,
        col("current_steps")?,
        col("peak_lr")?,
        col("sweep")?,
    );
    // (model, total steps, peak lr, sweep) -> (step, loss) points.
    type Key = (String, String, String, String);
    let mut runs: BTreeMap<Key, Vec<(f64, f64)>> = BTreeMap::new();
    for r in 0..t.len() {
        let key = (
            t.text(r, mi).to_string(),
            t.text(r, ti).to_string(),
            t.text(r, pi).to_string(),
            t.text(r, wi).to_string(),
        );
        runs.entry(key)
            .or_default()
            .push((t.number(r, si)?, t.number(r, li)?));
    }
    let mut out = Vec::new();
    for ((m, total, lr, sweep), mut pts) in runs {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        pts.dedup_by(|a, b| a.0 == b.0);
        if pts.len() < 8 {
            continue;
        }
        let total: f64 = total.parse().unwrap_or(pts.last().unwrap().0);
        out.push((
            Curve {
                name: format!("{m} steps={total} lr={lr} {sweep}"),
                step: pts.iter().map(|p| p.0).collect(),
                lr: None,
                loss: pts.iter().map(|p| p.1).collect(),
                schedule: None,
                untrained: vec![],
            },
            total,
        ));
    }
    Ok(out)
}

/// Protocol 2 with the step-only methods of `methods`; with `intervals`
/// (bootstrap replicates, level), also the coverage of the forecast
/// intervals (`Fitted::intervals`, as `slaw forecast`); `progress` counts
/// fractions x methods x runs.
pub fn early_to_final(
    path: &Path,
    methods: &[CurveLaw],
    fractions: &[f64],
    intervals: Option<(usize, f64)>,
    progress: &dyn Progress,
) -> Result<Vec<EarlyRow>> {
    let runs = misfitting_runs(path)?;
    let mut rows = Vec::new();
    let step_only: Vec<CurveLaw> = methods.iter().copied().filter(|m| !m.needs_lr()).collect();
    progress.start(
        "early-to-final: fractions x laws x runs",
        fractions.len() * step_only.len() * runs.len(),
    );
    for &frac in fractions {
        for &m in &step_only {
            // (ape, Some((covered, backtest kind)) with intervals)
            type Outcome = (f64, Option<(bool, bool)>);
            let apes: Vec<Option<Outcome>> = runs
                .par_iter()
                .map(|(c, total)| {
                    counted(progress, || {
                        let k = c.step.iter().filter(|&&s| s <= frac * total).count();
                        if k < 4 {
                            return None;
                        }
                        let f = fit_curves(m, std::slice::from_ref(c), &[k]).ok()?;
                        if !f.converged {
                            return None;
                        }
                        let last = c.len() - 1;
                        let p = f.predict(0, last);
                        let truth = c.loss[last];
                        let cov = intervals.map(|(n, level)| {
                            let iv = f.intervals(&[(0, last)], n, 0, level);
                            (
                                iv.iv[0].lo <= truth && truth <= iv.iv[0].hi,
                                matches!(iv.kind, super::IntervalKind::Backtest { .. }),
                            )
                        });
                        Some((((p - truth) / truth).abs(), cov))
                    })
                })
                .collect();
            let done: Vec<&Outcome> = apes.iter().flatten().collect();
            let coverage = intervals.map(|(_, level)| {
                let cov: Vec<(bool, bool)> = done.iter().filter_map(|o| o.1).collect();
                let bt: Vec<&(bool, bool)> = cov.iter().filter(|c| c.1).collect();
                (
                    level,
                    cov.len(),
                    cov.iter().filter(|c| c.0).count(),
                    bt.len(),
                    bt.iter().filter(|c| c.0).count(),
                )
            });
            let mut ok: Vec<f64> = done.iter().map(|o| o.0).collect();
            ok.sort_by(f64::total_cmp);
            rows.push(EarlyRow {
                fraction: frac,
                method: m.name(),
                runs: ok.len(),
                skipped: apes.len() - ok.len(),
                mape: ok.iter().sum::<f64>() / ok.len().max(1) as f64,
                median_ape: crate::bootstrap::percentile(&ok, 0.5),
                coverage,
            });
        }
    }
    Ok(rows)
}
