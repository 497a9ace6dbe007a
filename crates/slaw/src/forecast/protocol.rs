//! The two forecasting benchmarks of `slaw bench forecast`.
//!
//! 1. Multi-power protocol (Luo et al.): per model size, fit on
//!    constant_24000, cosine_24000 and wsdcon_9, predict the six other
//!    schedules; R^2 / MAE / RMSE averaged over the predicted curves.
//! 2. Early-to-final (the (Mis)Fitting runs): for every run with at least 8
//!    checkpoints, fit on the checkpoints within the first 25% / 50% of its
//!    steps and predict its final C4 eval loss; mean absolute percentage error.

use super::job;
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
    /// The law, or `auto` (`slaw forecast`'s default, [`EarlyMethod::Auto`]).
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
    /// With intervals: the median half-width of the forecasts' intervals,
    /// relative to the forecast.
    pub median_half_width: Option<f64>,
    /// `auto` only: how many of the forecast runs each law was chosen for
    /// (empty for a named law).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chosen: Vec<(&'static str, usize)>,
}

/// A method of the early-to-final protocol: a step-only law fitted as
/// named, or `auto` through `slaw forecast`'s own path ([`job::run`] with
/// [`Choice::Auto`](super::job::Choice::Auto)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EarlyMethod {
    /// A law of the step alone.
    Law(CurveLaw),
    /// `slaw forecast --method auto`.
    Auto,
}

impl EarlyMethod {
    /// The row's name.
    pub fn name(&self) -> &'static str {
        match self {
            EarlyMethod::Law(m) => m.name(),
            EarlyMethod::Auto => "auto",
        }
    }
}

/// One run's forecast of its final loss in the early-to-final protocol.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarlyForecast {
    /// The law that forecast (auto's choice for `auto`).
    pub law: &'static str,
    /// The forecast final loss.
    pub loss: f64,
    /// The interval, with intervals asked for.
    pub interval: Option<(f64, f64)>,
    /// Whether the interval is calibrated by backtests.
    pub backtest: bool,
}

/// The forecast of `c`'s final loss by `method` fitted on its checkpoints
/// up to `fraction` x `total` steps (with `intervals`: bootstrap
/// replicates, level; seed 0); None when the window holds fewer than 4
/// checkpoints or the fit fails or does not converge. `auto` runs
/// `slaw forecast --method auto --fit-until step:S` (S = `fraction` x
/// `total`) exactly: the same request, the same code.
pub fn early_forecast(
    c: &Curve,
    total: f64,
    fraction: f64,
    method: EarlyMethod,
    intervals: Option<(usize, f64)>,
) -> Option<EarlyForecast> {
    let until = fraction * total;
    let k = c.step.iter().filter(|&&s| s <= until).count();
    if k < 4 {
        return None;
    }
    let last = c.len() - 1;
    match method {
        EarlyMethod::Law(m) => {
            let f = fit_curves(m, std::slice::from_ref(c), &[k]).ok()?;
            if !f.converged {
                return None;
            }
            let (interval, backtest) = match intervals {
                Some((n, level)) => {
                    let iv = f.intervals(&[(0, last)], n, 0, level);
                    (
                        Some((iv.iv[0].lo, iv.iv[0].hi)),
                        matches!(iv.kind, super::IntervalKind::Backtest { .. }),
                    )
                }
                None => (None, false),
            };
            Some(EarlyForecast {
                law: m.name(),
                loss: f.predict(0, last),
                interval,
                backtest,
            })
        }
        EarlyMethod::Auto => {
            let (n, level) = intervals.unwrap_or((0, 0.9));
            let req = job::Request {
                choice: job::Choice::Auto,
                fit_until: job::FitUntil::Step(until),
                at: vec![],
                schedule: None,
                bootstrap: n,
                seed: 0,
                level,
                priors: super::prior::Priors::shipped(),
            };
            let o = job::run(&job::Data::Aggregate(c.clone()), &req).ok()?;
            if !o.converged {
                return None;
            }
            let p = o.forecasts.first()?;
            Some(EarlyForecast {
                law: o.method,
                loss: p.loss,
                interval: intervals.and(p.lo.zip(p.hi)),
                backtest: matches!(o.interval_kind, Some(super::IntervalKind::Backtest { .. })),
            })
        }
    }
}

/// The multi-power curves under `dir` (the loss-curves folder): every CSV
/// file of `multipower/25` and `multipower/100` (step, loss, lr), each
/// folder's in name order: (the model size's folder, the file, its curve).
pub fn multipower_curves(dir: &Path) -> Result<Vec<(&'static str, std::path::PathBuf, Curve)>> {
    let mut out = Vec::new();
    for size in ["25", "100"] {
        for f in crate::table::csv_files(&dir.join("multipower").join(size))? {
            let c = Curve::read(&f, "step", "loss", Some("lr"))?;
            out.push((size, f, c));
        }
    }
    Ok(out)
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
                lead: vec![],
            },
            total,
        ));
    }
    Ok(out)
}

/// Protocol 2 with the step-only methods of `methods`, then `auto`
/// (`slaw forecast`'s default, [`EarlyMethod::Auto`]); with `intervals`
/// (bootstrap replicates, level), also the coverage and width of the
/// forecast intervals (`Fitted::intervals`, as `slaw forecast`);
/// `progress` counts fractions x methods x runs.
pub fn early_to_final(
    path: &Path,
    methods: &[CurveLaw],
    fractions: &[f64],
    intervals: Option<(usize, f64)>,
    progress: &dyn Progress,
) -> Result<Vec<EarlyRow>> {
    let runs = misfitting_runs(path)?;
    let mut rows = Vec::new();
    let step_only: Vec<EarlyMethod> = methods
        .iter()
        .copied()
        .filter(|m| !m.needs_lr())
        .map(EarlyMethod::Law)
        .chain([EarlyMethod::Auto])
        .collect();
    progress.start(
        "early-to-final: fractions x laws x runs",
        fractions.len() * step_only.len() * runs.len(),
    );
    for &frac in fractions {
        for &m in &step_only {
            let done: Vec<Option<EarlyForecast>> = runs
                .par_iter()
                .map(|(c, total)| {
                    counted(progress, || early_forecast(c, *total, frac, m, intervals))
                })
                .collect();
            let truth = |i: usize| *runs[i].0.loss.last().expect("curves are not empty");
            let ok: Vec<(usize, &EarlyForecast)> = done
                .iter()
                .enumerate()
                .filter_map(|(i, f)| f.as_ref().map(|f| (i, f)))
                .collect();
            let coverage = intervals.map(|(_, level)| {
                // (covered, backtest kind) of each forecast with an interval
                let cov: Vec<(bool, bool)> = ok
                    .iter()
                    .filter_map(|&(i, f)| {
                        f.interval
                            .map(|(lo, hi)| (lo <= truth(i) && truth(i) <= hi, f.backtest))
                    })
                    .collect();
                let bt: Vec<&(bool, bool)> = cov.iter().filter(|c| c.1).collect();
                (
                    level,
                    cov.len(),
                    cov.iter().filter(|c| c.0).count(),
                    bt.len(),
                    bt.iter().filter(|c| c.0).count(),
                )
            });
            let median_half_width = intervals.map(|_| {
                let mut w: Vec<f64> = ok
                    .iter()
                    .filter_map(|(_, f)| f.interval.map(|(lo, hi)| 0.5 * (hi - lo) / f.loss))
                    .collect();
                w.sort_by(f64::total_cmp);
                crate::bootstrap::percentile(&w, 0.5)
            });
            let mut chosen: Vec<(&'static str, usize)> = Vec::new();
            if m == EarlyMethod::Auto {
                for (_, f) in &ok {
                    match chosen.iter_mut().find(|c| c.0 == f.law) {
                        Some(c) => c.1 += 1,
                        None => chosen.push((f.law, 1)),
                    }
                }
                chosen.sort();
            }
            let mut apes: Vec<f64> = ok
                .iter()
                .map(|&(i, f)| ((f.loss - truth(i)) / truth(i)).abs())
                .collect();
            apes.sort_by(f64::total_cmp);
            rows.push(EarlyRow {
                fraction: frac,
                method: m.name(),
                runs: apes.len(),
                skipped: done.len() - apes.len(),
                mape: apes.iter().sum::<f64>() / apes.len().max(1) as f64,
                median_ape: crate::bootstrap::percentile(&apes, 0.5),
                coverage,
                median_half_width,
                chosen,
            });
        }
    }
    Ok(rows)
}
