//! The paper's benchmark protocol: for every dataset, every budget ratio
//! 1/r (r = 8 ... 512 of the full size) and every method, select among all
//! candidates and score the selection against the measured loss at the full
//! size: PearCorr (correlation of the method's score with the truth; for
//! model-size, of ln parameters, as in the paper) and RelAcc.

use super::method::spread_scores;
use super::metrics::{pearson, relative_accuracy};
use super::{
    select_with_references, trend, AtsOptions, Budget, Method, Reference, SelectOptions,
    SpreadScale,
};
use super::{BOOTSTRAP_LEVEL, REGISTRY};
use crate::bootstrap::Resampling;
use crate::datasets::Candidate;
use crate::progress::Progress;
use crate::{Error, Result};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The full fine-tuning size of the benchmark's curves (examples): the target.
pub const FULL_SIZE: f64 = 1_638_400.0;
/// Budgets of the protocol: the target over these ratios.
pub const RATIOS: [u32; 7] = [8, 16, 32, 64, 128, 256, 512];

/// Every method of the benchmark, ours first (the registry's order), with
/// Lin et al.'s AtS options (k = 3, delta = 5).
pub fn all_methods() -> Vec<Method> {
    REGISTRY
        .iter()
        .map(|&m| Method::new(m, AtsOptions { k: 3, delta: 5.0 }))
        .collect()
}

#[derive(Debug, Clone, serde::Serialize)]
/// One (dataset, budget, method) of the protocol.
pub struct Row {
    /// The dataset's name.
    pub dataset: String,
    /// Target over the budget's largest size.
    pub ratio: u32,
    /// The budget's largest affordable size.
    pub max_n: f64,
    /// The method's name.
    pub method: String,
    /// Pearson correlation (x100) of the scores with the true losses at the target.
    pub pear_corr: f64,
    /// Relative accuracy (x100) of the choice: (worst - chosen) / (worst - best) true loss.
    pub rel_acc: f64,
    /// The chosen candidate.
    pub chosen: String,
    /// Fine-tuning cost relative to fine-tuning every candidate on the full size.
    pub cost_ratio: f64,
    /// Share of candidates whose true loss at the full size lies inside the
    /// method's interval (None: the method gives no interval).
    pub coverage: Option<f64>,
    /// The interval's nominal level and what it is (backtest / bootstrap).
    pub interval: Option<String>,
    /// "in-sample" (every choice made on all data) or "lodo" (the trend
    /// learned without this dataset).
    pub protocol: String,
    /// Whether the selection warned that its intervals' drift correction
    /// is larger than the evidence for it
    /// ([`super::Calibration::weak_correction`]).
    pub weak_drift: bool,
}

/// Options of a protocol run.
#[derive(Debug, Clone, Copy)]
pub struct ProtocolOptions {
    /// Interval level (None: no intervals, the fastest).
    pub level: Option<f64>,
    /// Bootstrap replicates of the law-fit methods' intervals.
    pub bootstrap: usize,
    /// The ats-trend prior (the shipped one, or learned without the dataset).
    pub trend_prior: [f64; trend::N_W],
    /// The ats-gap gap-trend weights (the shipped ones, or learned without the dataset).
    pub gap_prior: [f64; trend::N_G],
    /// Whether the prior was learned leaving the dataset out (the row's `protocol`).
    pub lodo: bool,
    /// The line methods' interval scales by position in the run's list of
    /// methods (None: the method's shipped scale).
    pub spread_scales: [Option<SpreadScale>; REGISTRY.len()],
}

impl Default for ProtocolOptions {
    fn default() -> Self {
        ProtocolOptions {
            level: None,
            bootstrap: 0,
            trend_prior: trend::PRIOR,
            gap_prior: trend::GAP_PRIOR,
            lodo: false,
            spread_scales: [None; REGISTRY.len()],
        }
    }
}

/// Run the protocol on one dataset with the shipped defaults; rows ordered
/// by ratio, then method.
pub fn run(dataset: &str, pool: &[Candidate], methods: &[Method]) -> Result<Vec<Row>> {
    run_with(dataset, pool, methods, &ProtocolOptions::default(), &())
}

/// The trend prior learned from complete curves (sizes > 0) of `pools`.
pub fn learn_prior<'a>(
    pools: impl IntoIterator<Item = &'a [Candidate]>,
) -> Option<[f64; trend::N_W]> {
    let curves: Vec<Vec<(f64, f64)>> = pools
        .into_iter()
        .flat_map(|p| p.iter())
        .map(|c| c.curve.iter().copied().filter(|q| q.0 > 0.0).collect())
        .collect();
    trend::learn(curves.iter().map(|c| c.as_slice()), 3, 5.0)
}

/// The gap trend's weights learned from complete curves (sizes > 0, each
/// with its zero-shot loss; curves without one are left out) of `pools`.
pub fn learn_gap_prior<'a>(
    pools: impl IntoIterator<Item = &'a [Candidate]>,
) -> Option<[f64; trend::N_G]> {
    let curves: Vec<(Vec<(f64, f64)>, f64)> = pools
        .into_iter()
        .flat_map(|p| p.iter())
        .filter_map(|c| {
            let l0 = c.loss_at(0.0)?;
            Some((c.curve.iter().copied().filter(|q| q.0 > 0.0).collect(), l0))
        })
        .collect();
    trend::learn_gap(curves.iter().map(|(c, l0)| (c.as_slice(), *l0)), 3, 5.0)
}

/// The interval scale of `method` learned on the complete curves of `pools`
/// (the trend prior `prior`, the gap-trend weights `gap`): the scores of `method::spread_scores` at every
/// budget of [`RATIOS`], the target [`FULL_SIZE`]. `None` for a method
/// without a line or too few scores.
pub fn learn_scale(
    method: &Method,
    pools: &[&[Candidate]],
    prior: &[f64; trend::N_W],
    gap: &[f64; trend::N_G],
) -> Option<SpreadScale> {
    let mut scores = Vec::new();
    for pool in pools {
        for &r in &RATIOS {
            let budget = Budget::new(FULL_SIZE, FULL_SIZE / r as f64).ok()?;
            scores.extend(spread_scores(method, pool, &budget, prior, gap));
        }
    }
    SpreadScale::from_scores(scores)
}

/// Leave one dataset out: every dataset is evaluated with the trend prior
/// and the line methods' interval scales learned from the others' complete
/// curves, intervals at `level`, and the other datasets as references (the
/// same candidates' curves on other tasks, read by `ats-ref`);
/// `progress` ticks once per dataset and budget.
pub fn run_lodo(
    datasets: &[(String, Vec<Candidate>)],
    methods: &[Method],
    level: f64,
    bootstrap: usize,
    progress: &dyn Progress,
) -> Result<Vec<Row>> {
    if datasets.len() < 2 {
        return Err(Error::data(
            "leave-one-dataset-out needs at least two datasets",
        ));
    }
    // The datasets in parallel (each learns its prior and scales from the
    // others, then runs the protocol); rows in the datasets' order, the
    // first error in that order.
    let per_dataset: Vec<Result<Vec<Row>>> = (0..datasets.len())
        .into_par_iter()
        .map(|i| {
            let (opts, references) = lodo_fold(datasets, i, methods, level, bootstrap)?;
            let (name, pool) = (&datasets[i].0, &datasets[i].1);
            run_with_references(name, pool, methods, &opts, &references, progress)
        })
        .collect();
    let mut rows = Vec::new();
    for r in per_dataset {
        rows.extend(r?);
    }
    Ok(rows)
}

/// What [`run_lodo`] gives dataset `i` of `datasets`: the options (trend
/// prior, gap-trend weights and the interval scales of `methods`, all
/// learned on the other datasets' complete curves; intervals at `level`)
/// and the other datasets as references. A caller may run them on another
/// pool of the same task (a sub-pool, perturbed points: the robustness
/// study of the default in BENCHMARKS.md).
pub fn lodo_fold(
    datasets: &[(String, Vec<Candidate>)],
    i: usize,
    methods: &[Method],
    level: f64,
    bootstrap: usize,
) -> Result<(ProtocolOptions, Vec<Reference>)> {
    let name = &datasets[i].0;
    let others: Vec<&[Candidate]> = datasets
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, d)| d.1.as_slice())
        .collect();
    let prior = learn_prior(others.iter().copied())
        .ok_or_else(|| Error::data(format!("{name}: the other datasets give no trend windows")))?;
    let gap_prior = learn_gap_prior(others.iter().copied()).ok_or_else(|| {
        Error::data(format!(
            "{name}: the other datasets give no gap-trend windows"
        ))
    })?;
    let mut spread_scales = [None; REGISTRY.len()];
    for (slot, m) in spread_scales.iter_mut().zip(methods) {
        *slot = learn_scale(m, &others, &prior, &gap_prior);
    }
    let opts = ProtocolOptions {
        level: Some(level),
        bootstrap,
        trend_prior: prior,
        gap_prior,
        lodo: true,
        spread_scales,
    };
    let references: Vec<Reference> = datasets
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, d)| Reference::of(&d.1).named(d.0.clone()))
        .collect();
    Ok((opts, references))
}

/// The default method by the leave-one-dataset-out rows: among the methods
/// whose choices were all made out of sample (not `ats-blend`, designed by
/// looking at FLAN and WMT19) and that need no reference (a user may have
/// none: see [`default_with_references_by_lodo`]), those whose RelAcc is at
/// least AtS's at every dataset and budget; of these the highest mean
/// PearCorr, if above AtS's; else `ats`.
pub fn default_by_lodo(rows: &[Row]) -> String {
    best_by_lodo(rows, false)
}

/// The default when the user gives references: [`default_by_lodo`]'s rule
/// over every method, those that read references included (in
/// [`run_lodo`] each dataset has the others as references).
pub fn default_with_references_by_lodo(rows: &[Row]) -> String {
    best_by_lodo(rows, true)
}

/// [`default_by_lodo`]'s rule; the methods that read references only when
/// `with_reference`.
fn best_by_lodo(rows: &[Row], with_reference: bool) -> String {
    let of = |m: &str| -> Vec<&Row> { rows.iter().filter(|r| r.method == m).collect() };
    let ats = of("ats");
    // PearCorr is undefined (NaN) where the truth is constant: such cells
    // are left out of the means (`warnings` names their datasets), so one
    // such dataset does not make every comparison false and the rule fall
    // back to AtS silently.
    let mean = |v: &[&Row]| {
        let defined: Vec<f64> = v
            .iter()
            .map(|r| r.pear_corr)
            .filter(|p| p.is_finite())
            .collect();
        if defined.is_empty() {
            f64::NAN
        } else {
            defined.iter().sum::<f64>() / defined.len() as f64
        }
    };
    let mut best = ("ats".to_string(), mean(&ats));
    let mut names: Vec<&str> = Vec::new();
    for r in rows {
        if !names.contains(&r.method.as_str()) {
            names.push(&r.method);
        }
    }
    for m in names {
        if m == "ats" || m == "ats-blend" {
            continue;
        }
        let reads_reference = super::methods::find(m).is_some_and(|k| k.needs().reference);
        if reads_reference && !with_reference {
            continue;
        }
        let v = of(m);
        let holds = ats.iter().all(|a| {
            v.iter()
                .find(|r| r.dataset == a.dataset && r.ratio == a.ratio)
                .is_some_and(|r| r.rel_acc >= a.rel_acc - 1e-9)
        });
        if holds && (mean(&v) > best.1 || (best.1.is_nan() && mean(&v).is_finite())) {
            best = (m.to_string(), mean(&v));
        }
    }
    best.0
}

/// What the reader of the protocol's rows must know about the datasets:
/// one whose losses at the target ([`FULL_SIZE`]) are all equal (PearCorr
/// is undefined there: NaN, left out of the LODO rule's means), one with
/// fewer than 3 candidates (PearCorr is then +-100 or undefined, RelAcc 0
/// or 100: its cells say next to nothing). Empty when every dataset is
/// fine; datasets in the given order.
pub fn warnings(datasets: &[(String, Vec<Candidate>)]) -> Vec<String> {
    let mut out = Vec::new();
    for (name, pool) in datasets {
        if pool.len() < 3 {
            out.push(format!(
                "dataset '{name}' has {} candidate{}: PearCorr is +-100 or undefined and \
                 RelAcc 0 or 100 with so few; its cells say next to nothing (give at least 3)",
                pool.len(),
                if pool.len() == 1 { "" } else { "s" }
            ));
        }
        let truth: Vec<f64> = pool.iter().filter_map(|c| c.loss_at(FULL_SIZE)).collect();
        if truth.len() >= 2 && truth.iter().all(|&t| t == truth[0]) {
            out.push(format!(
                "dataset '{name}': every candidate's loss at the target {} is {}: PearCorr is \
                 undefined there (NaN) and left out of the means of the LODO default rule",
                crate::numbers::num(FULL_SIZE),
                crate::numbers::num(truth[0])
            ));
        }
    }
    out
}

/// Run the protocol on one dataset; rows ordered by ratio, then method;
/// `progress` ticks once per budget.
pub fn run_with(
    dataset: &str,
    pool: &[Candidate],
    methods: &[Method],
    popts: &ProtocolOptions,
    progress: &dyn Progress,
) -> Result<Vec<Row>> {
    run_with_references(dataset, pool, methods, popts, &[], progress)
}

/// [`run_with`] with `references` (the same candidates on other tasks).
pub fn run_with_references(
    dataset: &str,
    pool: &[Candidate],
    methods: &[Method],
    popts: &ProtocolOptions,
    references: &[Reference],
    progress: &dyn Progress,
) -> Result<Vec<Row>> {
    let truth: Vec<f64> = pool
        .iter()
        .map(|c| {
            c.loss_at(FULL_SIZE).ok_or_else(|| {
                Error::data(format!(
                    "{dataset}: candidate '{}' has no loss at the full size {FULL_SIZE}",
                    c.id
                ))
            })
        })
        .collect::<Result<_>>()?;
    // Every (budget, method) selection is independent: they run in
    // parallel (each scores its candidates in parallel too), so a thread
    // that finishes its share of one selection takes work from another
    // instead of waiting at the end of each (a law fit that runs long no
    // longer leaves the other threads idle). The rows keep the order of
    // the loops (ratio, then method); each selection's arithmetic is the
    // same as run one after the other.
    let budgets: Vec<Budget> = RATIOS
        .iter()
        .map(|&r| Budget::new(FULL_SIZE, FULL_SIZE / r as f64))
        .collect::<Result<_>>()?;
    let done: Vec<AtomicUsize> = RATIOS.iter().map(|_| AtomicUsize::new(0)).collect();
    let tasks: Vec<(usize, usize)> = (0..RATIOS.len())
        .flat_map(|ri| (0..methods.len()).map(move |mi| (ri, mi)))
        .collect();
    tasks
        .par_iter()
        .map(|&(ri, mi)| {
            let row = protocol_row(
                dataset,
                pool,
                &truth,
                RATIOS[ri],
                budgets[ri],
                mi,
                methods[mi],
                popts,
                references,
            );
            if done[ri].fetch_add(1, Ordering::Relaxed) + 1 == methods.len() {
                progress.tick();
            }
            row
        })
        .collect::<Vec<Result<Row>>>()
        .into_iter()
        .collect()
}

/// The row of one (budget, method) of [`run_with`]: select among `pool`
/// and score the selection against `truth` (the losses at the target).
#[allow(clippy::too_many_arguments)]
fn protocol_row(
    dataset: &str,
    pool: &[Candidate],
    truth: &[f64],
    r: u32,
    budget: Budget,
    mi: usize,
    m: Method,
    popts: &ProtocolOptions,
    references: &[Reference],
) -> Result<Row> {
    let opts = SelectOptions {
        level: popts.level,
        bootstrap: Resampling::new(popts.bootstrap, BOOTSTRAP_LEVEL, 0),
        trend_prior: popts.trend_prior,
        gap_prior: popts.gap_prior,
        spread_scale: popts.spread_scales.get(mi).copied().flatten(),
        ..SelectOptions::default()
    };
    let sel = select_with_references(pool, m, budget, &opts, references).map_err(|e| {
        // Name the cell: which dataset, budget and method failed.
        let at = format!(
            "{dataset}, budget 1/{r} (sizes <= {}), {}",
            crate::numbers::num(budget.max_n),
            m.name()
        );
        match e {
            Error::Fit(msg) => Error::Fit(format!("{at}: {msg}")),
            e => Error::data(format!("{at}: {e}")),
        }
    })?;
    let with_iv: Vec<_> = sel
        .ranking
        .iter()
        .filter_map(|rk| Some((rk.estimate.interval?, truth[rk.index])))
        .collect();
    let coverage = (with_iv.len() == pool.len()).then(|| {
        with_iv
            .iter()
            .filter(|(iv, t)| iv.lo <= *t && *t <= iv.hi)
            .count() as f64
            / pool.len() as f64
    });
    let interval = sel.ranking[0].estimate.interval_kind.map(|k| match k {
        super::IntervalKind::Backtest { level } => format!("backtest {level}"),
        super::IntervalKind::Bootstrap { level } => format!("bootstrap {level}"),
        super::IntervalKind::HeldOut { level } => format!("held-out {level}"),
        super::IntervalKind::PooledScale { level, c } => format!("pooled-scale {level} c {c}"),
        super::IntervalKind::Interpolation { level, .. } => format!("interpolation {level}"),
        super::IntervalKind::NotCalibrated { level, .. } => format!("not-calibrated {level}"),
    });
    // Scores in the input order.
    let mut score = vec![0.0; pool.len()];
    for rk in &sel.ranking {
        score[rk.index] = m.kind().protocol_score(rk.estimate.score);
    }
    let chosen = sel.chosen();
    Ok(Row {
        dataset: dataset.to_string(),
        ratio: r,
        max_n: budget.max_n,
        method: m.name().to_string(),
        pear_corr: pearson(&score, truth),
        rel_acc: relative_accuracy(truth, chosen.observed_at_target.unwrap_or(f64::NAN)),
        chosen: chosen.estimate.id.clone(),
        cost_ratio: sel.cost.ratio,
        coverage: coverage.filter(|_| interval.is_some()),
        interval,
        protocol: if popts.lodo { "lodo" } else { "in-sample" }.to_string(),
        weak_drift: sel
            .notes
            .iter()
            .any(|w| w.contains("more than its evidence supports")),
    })
}

/// Write the rows as CSV.
pub fn write_csv(rows: &[Row], path: &std::path::Path) -> Result<()> {
    let io = |e: csv::Error| Error::output(path.display(), e);
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    for r in rows {
        w.serialize(r).map_err(io)?;
    }
    w.flush().map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(dataset: &str, ratio: u32, method: &str, pear_corr: f64, rel_acc: f64) -> Row {
        Row {
            dataset: dataset.into(),
            ratio,
            max_n: FULL_SIZE / ratio as f64,
            method: method.into(),
            pear_corr,
            rel_acc,
            chosen: String::new(),
            cost_ratio: 0.0,
            coverage: None,
            interval: None,
            protocol: "lodo".into(),
            weak_drift: false,
        }
    }

    /// A dataset whose PearCorr cells are all undefined (constant truth)
    /// does not switch the LODO default: its cells are left out of the
    /// means (they once made every mean NaN and the rule fall back to ats).
    #[test]
    fn undefined_pear_corr_cells_are_left_out_of_the_lodo_rule() {
        let mut rows = Vec::new();
        for (ds, defined) in [("a", true), ("b", true), ("c", false)] {
            for &r in &[8, 64] {
                for (m, p) in [("ats", 60.0), ("ats-trend", 70.0), ("ats-gap", 75.0)] {
                    let p = if defined { p } else { f64::NAN };
                    rows.push(row(ds, r, m, p, 90.0));
                }
            }
        }
        let defined: Vec<Row> = rows.iter().filter(|r| r.dataset != "c").cloned().collect();
        assert_eq!(default_by_lodo(&defined), "ats-gap");
        assert_eq!(default_by_lodo(&rows), "ats-gap");
    }

    /// A constant truth and a pool of fewer than 3 candidates are warned,
    /// naming the dataset; a fine dataset is not.
    #[test]
    fn warnings_name_the_datasets_the_metrics_say_little_about() {
        let cand = |id: &str, t: f64| Candidate {
            id: id.into(),
            curve: vec![(200.0, 3.0), (FULL_SIZE, t)],
            size: None,
            family: None,
        };
        let fine = vec![cand("x", 1.0), cand("y", 2.0), cand("z", 3.0)];
        let flat = vec![cand("x", 1.5), cand("y", 1.5), cand("z", 1.5)];
        let two = vec![cand("x", 1.0), cand("y", 2.0)];
        let w = warnings(&[
            ("fine".into(), fine),
            ("flat".into(), flat),
            ("two".into(), two),
        ]);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].starts_with("dataset 'flat': every candidate's loss"),
            "{w:?}"
        );
        assert!(w[0].contains("PearCorr is undefined"), "{w:?}");
        assert!(w[1].starts_with("dataset 'two' has 2 candidates"), "{w:?}");
    }
}
