//! `slaw bench temporal`: the temporal law against the aggregate-curve laws
//! on real pretraining runs with per-position validation losses
//! (bench/temporal/data). For every run and every fraction f of its steps,
//! each contender is fitted on the checkpoints within the first f of the
//! steps and forecasts the rest: the final loss (absolute and percentage
//! error), the remaining curve (R^2), and a 90% interval on the final loss,
//! two ways: the method's own bootstrap, and a rolling-origin calibration of
//! its extrapolation error on the observed prefix (see `calibrated`).
//!
//! Also: how well the per-position law fits each checkpoint (R^2 over the
//! positions) and which trajectory form each parameter follows over a whole
//! run (fitted on the first half of the checkpoints, scored on the rest).

use super::job::{self, Choice, Data, Request};
use super::positions::{PositionColumns, PositionCurves};
use super::temporal::{
    self, fit_checkpoint, fit_temporal_rule, IntervalRule, TrajectoryRule, PARAMS,
};
use super::trajectory::{self, TrajectoryForm};
use super::{accuracy, Curve, CurveLaw};
use crate::bootstrap::Interval;
use crate::progress::{counted, Progress};
use crate::{Error, Result};
use rayon::prelude::*;
use std::path::Path;

/// A forecasting method of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    /// The temporal law; `None`: each parameter's form chosen by held-out
    /// error (the default), `Some(f)`: every parameter follows `f`.
    Temporal(Option<TrajectoryForm>),
    /// An aggregate-curve law on the mean over positions.
    Law(CurveLaw),
    /// `slaw forecast`'s automatic choice on the aggregate curve.
    AggregateAuto,
}

impl Contender {
    /// Every contender of the benchmark.
    pub fn all() -> Vec<Contender> {
        let mut v = vec![Contender::Temporal(None)];
        v.extend(
            TrajectoryForm::ALL
                .iter()
                .map(|&f| Contender::Temporal(Some(f))),
        );
        v.extend(
            [
                CurveLaw::Power,
                CurveLaw::Reciprocal,
                CurveLaw::Log,
                CurveLaw::Tissue,
                CurveLaw::MultiPower,
            ]
            .map(Contender::Law),
        );
        v.push(Contender::AggregateAuto);
        v
    }
    /// The contender's name in reports.
    pub fn name(self) -> String {
        match self {
            Contender::Temporal(None) => "temporal (auto)".into(),
            Contender::Temporal(Some(f)) => format!("temporal {}", f.name()),
            Contender::Law(m) => m.name().into(),
            Contender::AggregateAuto => "auto (aggregate)".into(),
        }
    }
    /// Whether the contender is the temporal law.
    pub fn is_temporal(self) -> bool {
        matches!(self, Contender::Temporal(_))
    }
}

/// A run: its per-position curves and the aggregate curve (with the
/// learning rate at every checkpoint: the schedule is known in advance).
#[derive(Debug, Clone)]
pub struct Run {
    /// The per-position curves.
    pub pc: PositionCurves,
    /// The aggregate curve (mean over positions).
    pub agg: Curve,
}

/// Every `*.csv` of `dir`, by name.
pub fn read_runs(dir: &Path) -> Result<Vec<Run>> {
    let files = crate::table::csv_files(dir)?;
    if files.is_empty() {
        return Err(Error::data(format!(
            "{}: no per-position CSV files",
            dir.display()
        )));
    }
    files
        .iter()
        .map(|f| {
            let pc = PositionCurves::read(f, &PositionColumns::default())?;
            if pc.lr.is_none() {
                return Err(Error::input(
                    &f.display().to_string(),
                    None,
                    Some("lr"),
                    "the benchmark needs the learning rate at every checkpoint",
                ));
            }
            let agg = pc.aggregate();
            Ok(Run { pc, agg })
        })
        .collect()
}

/// How the temporal law's trajectories are fitted and its interval past
/// the fit built (the defaults: `slaw forecast`'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct TemporalRules {
    /// How the trajectories are fitted and chosen.
    pub trajectory: TrajectoryRule,
    /// How the interval past the fit is built.
    pub interval: IntervalRule,
}

/// One contender's forecast of one run from its first `k` checkpoints.
#[derive(Debug, Clone)]
pub struct Forecast {
    /// Predicted mean loss at every checkpoint of the run.
    pub values: Vec<f64>,
    /// Whether every fit converged.
    pub converged: bool,
    /// The method's own (bootstrap) interval on the final loss.
    pub bootstrap: Option<Interval>,
    /// The method's own interval at every checkpoint after the fit (from
    /// the `k`-th on), when it has one.
    pub bootstrap_later: Vec<Option<Interval>>,
    /// For the temporal law: the chosen form of a0, a1, a2.
    pub forms: Option<[TrajectoryForm; 3]>,
    /// For the temporal law: the fit.
    pub temporal: Option<temporal::TemporalFit>,
}

/// Fit `c` on the first `k` checkpoints of `run` and predict every
/// checkpoint; `boot` > 0: also the bootstrap interval on the final loss.
pub fn forecast(run: &Run, k: usize, c: Contender, boot: usize, level: f64) -> Result<Forecast> {
    forecast_with(run, k, c, boot, level, TrajectoryRule::default())
}

/// `forecast` with the temporal law's trajectories fitted by `rule`.
pub fn forecast_with(
    run: &Run,
    k: usize,
    c: Contender,
    boot: usize,
    level: f64,
    rule: TrajectoryRule,
) -> Result<Forecast> {
    let n = run.agg.len();
    match c {
        Contender::Temporal(form) => {
            let forms: Vec<TrajectoryForm> = form
                .map(|f| vec![f])
                .unwrap_or(TrajectoryForm::ALL.to_vec());
            let f = fit_temporal_rule(&run.pc, k, Some(&run.agg), &forms, rule)?;
            let xs = temporal::inputs(&run.agg, f.t_ref);
            let values = xs.iter().map(|x| f.predict(x)).collect();
            let later: Vec<Option<Interval>> = (boot > 0)
                .then(|| f.bootstrap(&xs[k..], boot, 1, level))
                .filter(|(_, ok)| *ok > boot / 2)
                .map(|(iv, _)| iv.into_iter().map(Some).collect())
                .unwrap_or_else(|| vec![None; n - k]);
            Ok(Forecast {
                values,
                converged: f.converged(),
                bootstrap: later.last().copied().flatten(),
                bootstrap_later: later,
                forms: Some([0, 1, 2].map(|j| f.trajectories[j].chosen.form)),
                temporal: Some(f),
            })
        }
        Contender::Law(_) | Contender::AggregateAuto => {
            let req = Request {
                choice: match c {
                    Contender::Law(m) => Choice::Law(m),
                    _ => Choice::Auto,
                },
                // A step, also where it is <= 1 (a plain number would read
                // as a fraction).
                fit_until: super::job::FitUntil::Step(run.agg.step[k - 1]),
                at: vec![],
                schedule: None,
                bootstrap: boot,
                seed: 1,
                level,
                priors: super::prior::Priors::shipped(),
            };
            let out = job::run(&Data::Aggregate(run.agg.clone()), &req)?;
            let values: Vec<f64> = out.curve_points.iter().map(|p| p.loss).collect();
            if values.len() != n {
                return Err(Error::data(
                    "forecast points differ from the run's checkpoints",
                ));
            }
            let later: Vec<Option<Interval>> = out.curve_points[k..]
                .iter()
                .map(|p| match (p.lo, p.hi) {
                    (Some(lo), Some(hi)) if lo.is_finite() && hi.is_finite() => {
                        Some(Interval { lo, hi })
                    }
                    _ => None,
                })
                .collect();
            Ok(Forecast {
                values,
                converged: out.converged,
                bootstrap: later.last().copied().flatten(),
                bootstrap_later: later,
                forms: None,
                temporal: None,
            })
        }
    }
}

/// Rolling-origin calibration of a contender's extrapolation error on the
/// observed prefix (the first `k` checkpoints): for every origin m < k at
/// which the contender can be fitted, fit on the first m checkpoints and
/// score each later observed checkpoint j < k by
/// |ln L_j - ln prediction_j| / ln(step_j / step_{m-1}). The interval on the
/// loss at step T > step_{k-1} is prediction * exp(+-h),
/// h = max(q ln(T / step_{k-1}), r), q the conformal level-quantile of the
/// scores (their maximum when there are too few for it), r the
/// level-quantile of the fit's absolute log residuals on the prefix.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Calibration {
    /// Scores in all.
    pub scores: usize,
    /// q: the scores' level-quantile, per unit of ln(step / last fitted step).
    pub per_distance: f64,
    /// r: the level-quantile of the absolute log residuals on the prefix.
    pub noise: f64,
    /// Whether there were enough scores for the conformal quantile.
    pub conformal: bool,
}

/// The calibration of contender `c` on the first `k` checkpoints of `run`
/// (`full`: its forecast from all `k`); None without scores.
pub fn calibrate(
    run: &Run,
    k: usize,
    c: Contender,
    full: &Forecast,
    level: f64,
) -> Option<Calibration> {
    let step = &run.agg.step;
    let loss = &run.agg.loss;
    // Origins in the second half of the prefix (as `extrapolation`): the
    // errors of the most recent, longest windows.
    let first = (if c.is_temporal() { 6 } else { 4 }).max(k.div_ceil(2));
    let scores: Vec<f64> = (first..k)
        .into_par_iter()
        .flat_map_iter(|m| {
            let f = forecast(run, m, c, 0, level).ok();
            let d0 = step[m - 1].ln();
            (m..k)
                .filter_map(move |j| {
                    let p = f.as_ref()?.values[j];
                    (p > 0.0 && p.is_finite())
                        .then(|| (loss[j].ln() - p.ln()).abs() / (step[j].ln() - d0))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    if scores.is_empty() {
        return None;
    }
    let residuals: Vec<f64> = (0..k)
        .map(|j| (loss[j].ln() - full.values[j].max(1e-300).ln()).abs())
        .collect();
    let (per_distance, conformal) = match conformal_quantile(scores.clone(), level) {
        Some(q) => (q, true),
        None => (scores.iter().copied().fold(0.0, f64::max), false),
    };
    Some(Calibration {
        scores: scores.len(),
        per_distance,
        noise: conformal_quantile(residuals.clone(), level)
            .unwrap_or_else(|| residuals.iter().copied().fold(0.0, f64::max)),
        conformal,
    })
}

impl Calibration {
    /// The interval around `prediction` at `step`.
    pub fn interval(&self, prediction: f64, step: f64, last_fitted: f64) -> Interval {
        let h = (self.per_distance * (step / last_fitted).ln().max(0.0)).max(self.noise);
        Interval {
            lo: prediction * (-h).exp(),
            hi: prediction * h.exp(),
        }
    }
}

/// The ceil((N + 1) level)-th smallest of the N finite values, if N allows.
fn conformal_quantile(mut v: Vec<f64>, level: f64) -> Option<f64> {
    v.retain(|s| s.is_finite());
    v.sort_by(f64::total_cmp);
    let k = ((v.len() + 1) as f64 * level).ceil() as usize;
    (k >= 1 && k <= v.len()).then(|| v[k - 1])
}

/// One (run, fraction, contender) cell.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Case {
    /// The run.
    pub run: String,
    /// The share of the run's steps fitted.
    pub fraction: f64,
    /// The contender's name.
    pub contender: String,
    /// Checkpoints fitted.
    pub fit_checkpoints: usize,
    /// Whether the fits converged.
    pub converged: bool,
    /// The run's final loss.
    pub final_observed: f64,
    /// Its forecast.
    pub final_predicted: f64,
    /// Absolute percentage error of the final loss.
    pub ape: f64,
    /// R^2 of the remaining curve (checkpoints after the fit).
    pub rest_r2: f64,
    /// The contender's own (bootstrap) interval on the final loss.
    pub bootstrap: Option<Interval>,
    /// The rolling-origin calibrated interval (`Calibration`).
    pub calibrated: Option<Interval>,
    /// The interval `slaw forecast` reports: for the temporal law the
    /// bootstrap widened to the calibrated interval, else the bootstrap.
    pub reported: Option<Interval>,
    /// Temporal law: the chosen form of a0, a1, a2.
    pub forms: Option<[&'static str; 3]>,
    /// Error message when the contender could not be fitted.
    pub error: Option<String>,
    /// The reported interval at every checkpoint after the fit: how many
    /// there were and how many held the observed loss.
    pub later: (usize, usize),
    /// Mean relative interval (Winkler) score of the reported interval over
    /// the checkpoints after the fit, in % of the observed loss: width plus
    /// 2 / (1 - level) times the miss.
    pub winkler: Option<f64>,
    /// The interval from the pooled calibration of the other sizes' runs
    /// (leave one size out; `pool`), on the final loss.
    pub pooled: Option<Interval>,
    /// The pooled interval at the checkpoints after the fit: how many
    /// there were and how many held the observed loss.
    pub pooled_later: (usize, usize),
    /// Mean relative Winkler score of the pooled interval (%).
    pub pooled_winkler: Option<f64>,
    /// (step, observed, forecast, the contender's own bootstrap interval)
    /// at every checkpoint after the fit.
    #[serde(skip)]
    pub points: Vec<(f64, f64, f64, Option<Interval>)>,
    /// The last fitted step.
    pub fit_until: f64,
}

/// Which runs a pooled calibration leaves out for a run (`pool`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PoolBy {
    /// The run itself.
    Run,
    /// The runs of the same size and seed (`size_schedule_seed`): a
    /// constant and a WSD run of one size and seed are the same run up to
    /// the decay, so they leave together.
    #[default]
    Prefix,
    /// The runs of the same model size.
    Size,
}

impl PoolBy {
    /// Every grouping.
    pub const ALL: [PoolBy; 3] = [PoolBy::Run, PoolBy::Prefix, PoolBy::Size];
    /// The grouping's name.
    pub fn name(self) -> &'static str {
        match self {
            PoolBy::Run => "run",
            PoolBy::Prefix => "prefix",
            PoolBy::Size => "size",
        }
    }
    /// The grouping named `s`, if any.
    pub fn from_name(s: &str) -> Option<PoolBy> {
        Self::ALL.into_iter().find(|r| r.name() == s)
    }
    /// The group of a run named `size_schedule_seed` (optionally followed by
    /// `_stepsS` / `_lrX`, bench/temporal/generate.sh): for `Prefix` every
    /// part but the schedule (runs differing only in their schedule share
    /// their first steps; other steps or rates change the warmup or rate).
    fn group(self, run: &str) -> String {
        let part: Vec<&str> = run.split('_').collect();
        match (self, part.as_slice()) {
            (PoolBy::Prefix, [size, _, rest @ ..]) if !rest.is_empty() => {
                format!("{size}_{}", rest.join("_"))
            }
            (PoolBy::Size, [size, ..]) => size.to_string(),
            _ => run.to_string(),
        }
    }
}

/// The per-distance scores |ln observed - ln forecast| / ln(step / last
/// fitted step) of a case, at every checkpoint after the fit.
pub fn pooled_scores(c: &Case) -> Vec<f64> {
    c.points
        .iter()
        .filter(|(_, o, p, _)| *p > 0.0 && p.is_finite() && *o > 0.0)
        .map(|&(t, o, p, _)| (o.ln() - p.ln()).abs() / (t / c.fit_until).ln())
        .collect()
}

/// The conformal level-quantiles of the per-distance scores of
/// `contender` pooled over every case (every run and fraction), at each of
/// `levels`: what `temporal::POOLED_SCALE` ships for the temporal law.
pub fn pooled_scale(cases: &[Case], contender: &str, levels: &[f64]) -> Vec<(f64, Option<f64>)> {
    let v: Vec<f64> = cases
        .iter()
        .filter(|y| y.contender == contender)
        .flat_map(pooled_scores)
        .collect();
    levels
        .iter()
        .map(|&l| (l, conformal_quantile(v.clone(), l)))
        .collect()
}

/// Pooled calibration across runs, validated out of sample (`by`): for
/// each case, the scores (`pooled_scores`) of the same contender at every
/// fraction on the runs outside the case's group; their conformal
/// level-quantile q gives forecast * exp(+-q ln(step / last fitted step)),
/// widened to the contender's own bootstrap where it has one (for the
/// temporal law: `temporal::IntervalRule::Pooled` with the scale of the
/// other runs).
pub fn pool(cases: &mut [Case], level: f64, by: PoolBy) {
    let q: Vec<Option<f64>> = cases
        .iter()
        .map(|x| {
            let g = by.group(&x.run);
            let v: Vec<f64> = cases
                .iter()
                .filter(|y| y.contender == x.contender && by.group(&y.run) != g)
                .flat_map(pooled_scores)
                .collect();
            conformal_quantile(v, level)
        })
        .collect();
    for (x, q) in cases.iter_mut().zip(q) {
        let Some(q) = q else { continue };
        let ivs: Vec<(Interval, f64)> = x
            .points
            .iter()
            .map(|&(t, o, p, b)| {
                let w = temporal::per_distance_interval(q, t, x.fit_until, p);
                let iv = match b {
                    Some(b) => Interval {
                        lo: w.lo.min(b.lo),
                        hi: w.hi.max(b.hi),
                    },
                    None => w,
                };
                (iv, o)
            })
            .filter(|(iv, _)| iv.lo.is_finite() && iv.hi.is_finite())
            .collect();
        x.pooled = ivs.last().map(|(iv, _)| *iv);
        x.pooled_later = (
            ivs.len(),
            ivs.iter()
                .filter(|(iv, y)| iv.lo <= *y && *y <= iv.hi)
                .count(),
        );
        x.pooled_winkler = (!ivs.is_empty()).then(|| {
            ivs.iter()
                .map(|(iv, y)| winkler(*iv, *y, level))
                .sum::<f64>()
                / ivs.len() as f64
        });
    }
}

/// The relative Winkler score of `iv` on `y` at `level` (% of y).
pub fn winkler(iv: Interval, y: f64, level: f64) -> f64 {
    let miss = (iv.lo - y).max(0.0) + (y - iv.hi).max(0.0);
    100.0 * ((iv.hi - iv.lo) + 2.0 / (1.0 - level) * miss) / y
}

/// The checkpoints within the first `fraction` of the run's steps.
/// Checkpoints of `run` up to `fraction` of its last step.
pub fn fit_count(run: &Run, fraction: f64) -> usize {
    let last = *run.agg.step.last().expect("runs are not empty");
    run.agg
        .step
        .iter()
        .filter(|&&s| s <= fraction * last * (1.0 + 1e-12))
        .count()
}

/// Forecast `run` from `fraction` of it with contender `c` and score it.
pub fn case(run: &Run, fraction: f64, c: Contender, boot: usize, level: f64) -> Case {
    case_with(run, fraction, c, boot, level, TemporalRules::default())
}

/// `case` with the temporal law fitted and its interval built by `rules`.
pub fn case_with(
    run: &Run,
    fraction: f64,
    c: Contender,
    boot: usize,
    level: f64,
    rules: TemporalRules,
) -> Case {
    let k = fit_count(run, fraction);
    let n = run.agg.len();
    let obs = run.agg.loss[n - 1];
    let mut out = Case {
        run: run.pc.name.clone(),
        fraction,
        contender: c.name(),
        fit_checkpoints: k,
        converged: false,
        final_observed: obs,
        final_predicted: f64::NAN,
        ape: f64::NAN,
        rest_r2: f64::NAN,
        bootstrap: None,
        calibrated: None,
        reported: None,
        forms: None,
        error: None,
        later: (0, 0),
        winkler: None,
        pooled: None,
        pooled_later: (0, 0),
        pooled_winkler: None,
        points: vec![],
        fit_until: run.agg.step[k.max(1) - 1],
    };
    match forecast_with(run, k, c, boot, level, rules.trajectory) {
        Ok(f) => {
            let p = f.values[n - 1];
            out.converged = f.converged;
            out.final_predicted = p;
            out.ape = 100.0 * (p - obs).abs() / obs;
            out.rest_r2 = accuracy(&f.values[k..], &run.agg.loss[k..]).r2;
            out.bootstrap = f.bootstrap;
            out.forms = f.forms.map(|fs| fs.map(|f| f.name()));
            let steps = &run.agg.step;
            // The calibrated interval at every checkpoint after the fit.
            let calibrated: Vec<Option<Interval>> = match &f.temporal {
                // What `slaw forecast` widens the bootstrap to (the rolling
                // origin on the per-position fits already made, or the
                // pooled scale).
                Some(t) => {
                    let cal = t.widening(level, rules.interval);
                    (k..n)
                        .map(|j| cal.and_then(|c| c.interval(steps[j], f.values[j])))
                        .collect()
                }
                None => {
                    let cal = calibrate(run, k, c, &f, level);
                    (k..n)
                        .map(|j| cal.map(|c| c.interval(f.values[j], steps[j], steps[k - 1])))
                        .collect()
                }
            };
            let reported: Vec<Option<Interval>> = calibrated
                .iter()
                .zip(&f.bootstrap_later)
                .map(|(w, b)| match (b, w, c.is_temporal()) {
                    (Some(b), Some(w), true) => Some(Interval {
                        lo: b.lo.min(w.lo),
                        hi: b.hi.max(w.hi),
                    }),
                    (None, w, true) => *w,
                    (b, _, _) => *b,
                })
                .collect();
            out.calibrated = calibrated.last().copied().flatten();
            out.reported = reported.last().copied().flatten();
            let obs = &run.agg.loss[k..];
            let scored: Vec<(Interval, f64)> = reported
                .iter()
                .zip(obs)
                .filter_map(|(iv, &y)| iv.map(|iv| (iv, y)))
                .collect();
            out.later = (
                scored.len(),
                scored
                    .iter()
                    .filter(|(iv, y)| iv.lo <= *y && *y <= iv.hi)
                    .count(),
            );
            out.winkler = (!scored.is_empty()).then(|| {
                scored
                    .iter()
                    .map(|(iv, y)| winkler(*iv, *y, level))
                    .sum::<f64>()
                    / scored.len() as f64
            });
            out.points = (k..n)
                .map(|j| {
                    (
                        steps[j],
                        run.agg.loss[j],
                        f.values[j],
                        f.bootstrap_later[j - k],
                    )
                })
                .collect();
        }
        Err(e) => out.error = Some(e.to_string()),
    }
    out
}

/// Every case of the benchmark.
pub fn cases(
    runs: &[Run],
    fractions: &[f64],
    contenders: &[Contender],
    boot: usize,
    level: f64,
    rules: TemporalRules,
    progress: &dyn Progress,
) -> Vec<Case> {
    let jobs: Vec<(usize, f64, Contender)> = runs
        .iter()
        .enumerate()
        .flat_map(|(r, _)| {
            fractions
                .iter()
                .flat_map(move |&f| contenders.iter().map(move |&c| (r, f, c)))
        })
        .collect();
    progress.start("runs x fractions x contenders", jobs.len());
    jobs.par_iter()
        .map(|&(r, f, c)| counted(progress, || case_with(&runs[r], f, c, boot, level, rules)))
        .collect()
}

/// A contender's figures at one fraction, over the runs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    /// The share of each run fitted.
    pub fraction: f64,
    /// The contender's name.
    pub contender: String,
    /// Runs forecast (others failed to fit).
    pub runs: usize,
    /// Runs whose fit failed.
    pub failed: usize,
    /// Mean absolute error of the final loss.
    pub mae: f64,
    /// Mean absolute percentage error of the final loss.
    pub mape: f64,
    /// Largest absolute percentage error of the final loss.
    pub max_ape: f64,
    /// Median R^2 of the remaining curve over the runs.
    pub median_rest_r2: f64,
    /// Fraction of runs whose final loss is inside the interval, and how
    /// many intervals there were.
    pub bootstrap_coverage: Option<(f64, usize)>,
    /// Coverage of the calibrated interval, and how many there were.
    pub calibrated_coverage: Option<(f64, usize)>,
    /// Coverage of the interval `slaw forecast` reports.
    pub reported_coverage: Option<(f64, usize)>,
    /// Mean relative half-width of the calibrated interval (%).
    pub calibrated_half_width: Option<f64>,
    /// Median relative half-width of the reported interval on the final loss (%).
    pub reported_median_half_width: Option<f64>,
    /// Coverage of the reported interval over every (run, checkpoint after
    /// the fit), and how many pairs.
    pub reported_later_coverage: Option<(f64, usize)>,
    /// Mean relative Winkler score of the reported interval over those pairs (%).
    pub reported_winkler: Option<f64>,
    /// Coverage of the pooled (leave one size out) interval on the final loss.
    pub pooled_coverage: Option<(f64, usize)>,
    /// Its coverage over every (run, checkpoint after the fit).
    pub pooled_later_coverage: Option<(f64, usize)>,
    /// Its mean relative Winkler score (%).
    pub pooled_winkler: Option<f64>,
    /// Its median relative half-width on the final loss (%).
    pub pooled_median_half_width: Option<f64>,
}

/// Each contender's figures at each fraction, over the cases.
pub fn summarize(cases: &[Case], fractions: &[f64], contenders: &[Contender]) -> Vec<Summary> {
    let mut out = Vec::new();
    for &fr in fractions {
        for c in contenders {
            let name = c.name();
            let all: Vec<&Case> = cases
                .iter()
                .filter(|x| x.fraction == fr && x.contender == name)
                .collect();
            let ok: Vec<&&Case> = all
                .iter()
                .filter(|x| x.final_predicted.is_finite())
                .collect();
            let m = ok.len().max(1) as f64;
            let cover = |get: &dyn Fn(&Case) -> Option<Interval>| {
                let iv: Vec<(Interval, f64)> = ok
                    .iter()
                    .filter_map(|x| get(x).map(|i| (i, x.final_observed)))
                    .collect();
                (!iv.is_empty()).then(|| {
                    let inside = iv.iter().filter(|(i, o)| i.lo <= *o && *o <= i.hi).count();
                    (inside as f64 / iv.len() as f64, iv.len())
                })
            };
            let widths: Vec<f64> = ok
                .iter()
                .filter_map(|x| {
                    x.calibrated
                        .map(|i| 50.0 * (i.hi - i.lo) / x.final_predicted)
                })
                .collect();
            let median_hw = |get: &dyn Fn(&Case) -> Option<Interval>| {
                let mut v: Vec<f64> = ok
                    .iter()
                    .filter_map(|x| get(x).map(|i| 50.0 * (i.hi - i.lo) / x.final_predicted))
                    .collect();
                v.sort_by(f64::total_cmp);
                (!v.is_empty()).then(|| {
                    let h = v.len() / 2;
                    if v.len().is_multiple_of(2) {
                        (v[h - 1] + v[h]) / 2.0
                    } else {
                        v[h]
                    }
                })
            };
            let pairs = |get: &dyn Fn(&Case) -> (usize, usize)| {
                let (n, inside) = ok.iter().fold((0, 0), |(a, b), x| {
                    let (n, i) = get(x);
                    (a + n, b + i)
                });
                (n > 0).then(|| (inside as f64 / n as f64, n))
            };
            let mean_of = |get: &dyn Fn(&Case) -> Option<f64>| {
                let v: Vec<f64> = ok.iter().filter_map(|x| get(x)).collect();
                (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
            };
            let mut r2: Vec<f64> = ok.iter().map(|x| x.rest_r2).collect();
            r2.sort_by(f64::total_cmp);
            out.push(Summary {
                fraction: fr,
                contender: name,
                runs: ok.len(),
                failed: all.len() - ok.len(),
                mae: ok
                    .iter()
                    .map(|x| (x.final_predicted - x.final_observed).abs())
                    .sum::<f64>()
                    / m,
                mape: ok.iter().map(|x| x.ape).sum::<f64>() / m,
                max_ape: ok.iter().map(|x| x.ape).fold(0.0, f64::max),
                median_rest_r2: if r2.is_empty() {
                    f64::NAN
                } else {
                    r2[r2.len() / 2]
                },
                bootstrap_coverage: cover(&|x| x.bootstrap),
                calibrated_coverage: cover(&|x| x.calibrated),
                reported_coverage: cover(&|x| x.reported),
                calibrated_half_width: (!widths.is_empty())
                    .then(|| widths.iter().sum::<f64>() / widths.len() as f64),
                reported_median_half_width: median_hw(&|x| x.reported),
                reported_later_coverage: pairs(&|x| x.later),
                reported_winkler: mean_of(&|x| x.winkler),
                pooled_coverage: cover(&|x| x.pooled),
                pooled_later_coverage: pairs(&|x| x.pooled_later),
                pooled_winkler: mean_of(&|x| x.pooled_winkler),
                pooled_median_half_width: median_hw(&|x| x.pooled),
            });
        }
    }
    out
}

/// How well the per-position law fits one run's checkpoints.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PositionFit {
    /// The run.
    pub run: String,
    /// Checkpoints fitted.
    pub checkpoints: usize,
    /// Checkpoints whose fit did not converge.
    pub not_converged: usize,
    /// Mean R^2 over the checkpoints.
    pub mean_r2: f64,
    /// Smallest R^2.
    pub min_r2: f64,
    /// Step of the checkpoint with the smallest R^2.
    pub min_r2_step: f64,
    /// Mean R^2 over the checkpoints of the last half of the run.
    pub late_mean_r2: f64,
    /// Mean over the checkpoints of the R^2 over log-spaced bins of
    /// positions (bin means: the content noise of single positions averaged out).
    pub mean_binned_r2: f64,
    /// (step, a0, a1, a2, R^2) at every checkpoint.
    pub per_checkpoint: Vec<[f64; 5]>,
}

/// (a0, a1, a2), converged, R^2 over positions, R^2 over position bins.
type CheckpointFit = ([f64; 3], bool, f64, f64);

/// Fit the per-position law at every checkpoint of `run`.
pub fn position_fit(run: &Run) -> Result<PositionFit> {
    let pc = &run.pc;
    let rows: Vec<Result<CheckpointFit>> = (0..pc.len())
        .into_par_iter()
        .map(|c| {
            let (a, ok) = fit_checkpoint(&pc.positions, &pc.loss[c])?;
            let pred: Vec<f64> = pc
                .positions
                .iter()
                .map(|&i| temporal::position_loss(i, a))
                .collect();
            let binned = accuracy(
                &bin_means(&pc.positions, &pred),
                &bin_means(&pc.positions, &pc.loss[c]),
            )
            .r2;
            Ok((a, ok, accuracy(&pred, &pc.loss[c]).r2, binned))
        })
        .collect();
    let mut per_checkpoint = Vec::with_capacity(pc.len());
    let mut not_converged = 0;
    let mut binned = 0.0;
    for (c, r) in rows.into_iter().enumerate() {
        let (a, ok, r2, b) = r?;
        not_converged += usize::from(!ok);
        binned += b;
        per_checkpoint.push([pc.steps[c], a[0], a[1], a[2], r2]);
    }
    let n = per_checkpoint.len();
    let (imin, min) = per_checkpoint
        .iter()
        .enumerate()
        .map(|(i, r)| (i, r[4]))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("runs are not empty");
    let half = pc.steps[n - 1] / 2.0;
    let late: Vec<f64> = per_checkpoint
        .iter()
        .filter(|r| r[0] > half)
        .map(|r| r[4])
        .collect();
    Ok(PositionFit {
        run: pc.name.clone(),
        checkpoints: n,
        not_converged,
        mean_r2: per_checkpoint.iter().map(|r| r[4]).sum::<f64>() / n as f64,
        min_r2: min,
        min_r2_step: per_checkpoint[imin][0],
        late_mean_r2: late.iter().sum::<f64>() / late.len().max(1) as f64,
        mean_binned_r2: binned / n as f64,
        per_checkpoint,
    })
}

/// Means of `v` over bins of positions whose edges double (1, 2, 4, ...;
/// position 0 in the first bin).
fn bin_means(positions: &[f64], v: &[f64]) -> Vec<f64> {
    let mut sums: Vec<(f64, usize)> = Vec::new();
    for (&p, &x) in positions.iter().zip(v) {
        let b = if p < 1.0 {
            0
        } else {
            p.log2().floor() as usize
        };
        if sums.len() <= b {
            sums.resize(b + 1, (0.0, 0));
        }
        sums[b].0 += x;
        sums[b].1 += 1;
    }
    sums.iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| s / *n as f64)
        .collect()
}

/// Which form one parameter of one run follows: each form fitted on the
/// checkpoints of the first half of the run and scored (RMSE of the
/// parameter, relative to its range over the run) on the second half.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FormScore {
    /// The run.
    pub run: String,
    /// The parameter.
    pub param: &'static str,
    /// (form, relative held-out RMSE); None: the fit failed.
    pub scores: Vec<(&'static str, Option<f64>)>,
    /// The form with the smallest score.
    pub best: &'static str,
}

/// Each parameter's form scores on `run` (see `FormScore`).
pub fn form_scores(run: &Run, fit: &PositionFit) -> Vec<FormScore> {
    let pc = &run.pc;
    let n = pc.len();
    let half = pc.steps[n - 1] / 2.0;
    let k = pc.steps.iter().filter(|&&s| s <= half).count();
    let t_ref = pc.steps[k - 1];
    let xs = temporal::inputs(&run.agg, t_ref);
    PARAMS
        .iter()
        .enumerate()
        .map(|(j, &param)| {
            let y: Vec<f64> = fit.per_checkpoint.iter().map(|r| r[1 + j]).collect();
            let (lo, hi) = y
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            let range = (hi - lo).max(1e-12);
            let scores: Vec<(&'static str, Option<f64>)> = TrajectoryForm::ALL
                .iter()
                .map(|&f| {
                    let e = trajectory::fit_form(f, &xs[..k], &y[..k], None)
                        .ok()
                        .filter(|r| r.converged)
                        .map(|r| {
                            let v: Vec<f64> = xs[k..].iter().map(|x| r.value(x)).collect();
                            trajectory::rmse_from(&y, k, &v) / range
                        })
                        .filter(|e| e.is_finite());
                    (f.name(), e)
                })
                .collect();
            let best = scores
                .iter()
                .filter_map(|(n, e)| e.map(|e| (*n, e)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(n, _)| n)
                .unwrap_or("none");
            FormScore {
                run: pc.name.clone(),
                param,
                scores,
                best,
            }
        })
        .collect()
}

/// Everything `slaw bench temporal` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// The runs' names.
    pub runs: Vec<String>,
    /// The fitting fractions.
    pub fractions: Vec<f64>,
    /// The intervals' level.
    pub level: f64,
    /// Bootstrap replicates per forecast.
    pub bootstrap: usize,
    /// How the temporal law's trajectories were fitted.
    pub rule: TrajectoryRule,
    /// How the temporal law's interval past the fit was built.
    pub interval: IntervalRule,
    /// Which runs the pooled calibration leaves out for each run.
    pub pool_by: PoolBy,
    /// (level, c): the conformal level-quantile of the temporal law's
    /// (auto) per-distance scores pooled over every run and fraction here
    /// (`pooled_scale`; `temporal::POOLED_SCALE` ships those of the 16
    /// committed runs).
    pub pooled_scale: Vec<(f64, Option<f64>)>,
    /// Per fraction and contender.
    pub summary: Vec<Summary>,
    /// Every (run, fraction, contender) cell.
    pub cases: Vec<Case>,
    /// How well the per-position law fits each run.
    pub position_fits: Vec<PositionFit>,
    /// Which form each parameter follows, per run.
    pub forms: Vec<FormScore>,
}

/// `slaw bench temporal`: every contender on every run of `dir` and fraction
/// (`progress` counts those), then the per-position fits.
pub fn bench(
    dir: &Path,
    fractions: &[f64],
    boot: usize,
    level: f64,
    rules: TemporalRules,
    by: PoolBy,
    progress: &dyn Progress,
) -> Result<Report> {
    let runs = read_runs(dir)?;
    let contenders = Contender::all();
    let mut cases = cases(&runs, fractions, &contenders, boot, level, rules, progress);
    pool(&mut cases, level, by);
    let levels: Vec<f64> = temporal::POOLED_SCALE.iter().map(|r| r.0).collect();
    let pooled_scale = pooled_scale(&cases, &Contender::Temporal(None).name(), &levels);
    let summary = summarize(&cases, fractions, &contenders);
    let position_fits: Vec<PositionFit> = runs.iter().map(position_fit).collect::<Result<_>>()?;
    let forms = runs
        .iter()
        .zip(&position_fits)
        .flat_map(|(r, f)| form_scores(r, f))
        .collect();
    Ok(Report {
        runs: runs.iter().map(|r| r.pc.name.clone()).collect(),
        fractions: fractions.to_vec(),
        level,
        bootstrap: boot,
        rule: rules.trajectory,
        interval: rules.interval,
        pool_by: by,
        pooled_scale,
        summary,
        cases,
        position_fits,
        forms,
    })
}

/// The report as text tables.
pub fn table(r: &Report) -> String {
    let mut s = String::new();
    let pct = |c: Option<(f64, usize)>| match c {
        Some((v, n)) => format!("{:>5.0}% ({n:>2})", 100.0 * v),
        None => "          -".into(),
    };
    s.push_str(&format!(
        "Forecast of the final loss and the remaining curve ({} runs; {} intervals; temporal trajectories: {}; temporal interval: {})\n",
        r.runs.len(),
        crate::numbers::percent(r.level),
        r.rule.name(),
        r.interval.name()
    ));
    s.push_str(&format!(
        "{:<5} {:<22} {:>4} {:>8} {:>7} {:>7} {:>9} {:>11} {:>11} {:>7} {:>11}\n",
        "fit",
        "method",
        "runs",
        "MAE",
        "MAPE%",
        "maxAPE%",
        "medR2rest",
        "boot cov",
        "calib cov",
        "calib±%",
        "slaw fc cov"
    ));
    for x in &r.summary {
        s.push_str(&format!(
            "{:<5} {:<22} {:>4} {:>8.4} {:>7.2} {:>7.2} {:>9.3} {:>11} {:>11} {:>7} {:>11}\n",
            format!("{:.0}%", 100.0 * x.fraction),
            x.contender,
            if x.failed > 0 {
                format!("{}!", x.runs)
            } else {
                x.runs.to_string()
            },
            x.mae,
            x.mape,
            x.max_ape,
            x.median_rest_r2,
            pct(x.bootstrap_coverage),
            pct(x.calibrated_coverage),
            x.calibrated_half_width
                .map(|w| format!("{w:.2}"))
                .unwrap_or_else(|| "-".into()),
            pct(x.reported_coverage),
        ));
    }
    s.push_str(&format!(
        "\nIntervals ({}): the one `slaw forecast` prints (final loss; every checkpoint after the fit), and the pooled per-distance calibration of the other runs (leave one {} out, all fractions pooled), widened to the method's bootstrap\n",
        crate::numbers::percent(r.level),
        r.pool_by.name()
    ));
    s.push_str(&format!(
        "{:<5} {:<22} {:>11} {:>7} {:>12} {:>9} {:>11} {:>7} {:>12} {:>9}\n",
        "fit",
        "method",
        "fc cov",
        "fc ±%",
        "fc pairs",
        "fc Wink%",
        "pool cov",
        "pool ±%",
        "pool pairs",
        "pool Wink%"
    ));
    let pairs = |c: Option<(f64, usize)>| match c {
        Some((v, n)) => format!("{:>5.1}% ({n:>3})", 100.0 * v),
        None => "-".into(),
    };
    let num = |v: Option<f64>| v.map(|w| format!("{w:.2}")).unwrap_or_else(|| "-".into());
    for x in &r.summary {
        s.push_str(&format!(
            "{:<5} {:<22} {:>11} {:>7} {:>12} {:>9} {:>11} {:>7} {:>12} {:>9}\n",
            format!("{:.0}%", 100.0 * x.fraction),
            x.contender,
            pct(x.reported_coverage),
            num(x.reported_median_half_width),
            pairs(x.reported_later_coverage),
            num(x.reported_winkler),
            pct(x.pooled_coverage),
            num(x.pooled_median_half_width),
            pairs(x.pooled_later_coverage),
            num(x.pooled_winkler),
        ));
    }
    s.push_str("\nPooled scale of temporal (auto) over every run and fraction here (level: c; temporal::POOLED_SCALE ships the 16 committed runs'):");
    for (l, c) in &r.pooled_scale {
        s.push_str(&format!(
            " {l}: {}",
            c.map(|c| format!("{c:.6}")).unwrap_or_else(|| "-".into())
        ));
    }
    s.push('\n');
    s.push_str("\nPer-position law at each checkpoint: R^2 over positions\n");
    s.push_str(&format!(
        "{:<26} {:>5} {:>7} {:>8} {:>8} {:>9} {:>10} {:>11}\n",
        "run", "ckpts", "not-cv", "mean R2", "min R2", "at step", "late mean", "binned R2"
    ));
    for p in &r.position_fits {
        s.push_str(&format!(
            "{:<26} {:>5} {:>7} {:>8.4} {:>8.4} {:>9} {:>10.4} {:>11.4}\n",
            p.run,
            p.checkpoints,
            p.not_converged,
            p.mean_r2,
            p.min_r2,
            p.min_r2_step,
            p.late_mean_r2,
            p.mean_binned_r2
        ));
    }
    s.push_str("\nTrajectory forms (fitted on the first half of each run, scored on the second): runs where each form is best\n");
    s.push_str(&format!("{:<6}", "param"));
    for f in TrajectoryForm::ALL {
        s.push_str(&format!(" {:>11}", f.name()));
    }
    s.push_str("   median relative held-out RMSE per form\n");
    for p in PARAMS {
        s.push_str(&format!("{p:<6}"));
        let rows: Vec<&FormScore> = r.forms.iter().filter(|f| f.param == p).collect();
        for f in TrajectoryForm::ALL {
            s.push_str(&format!(
                " {:>11}",
                rows.iter().filter(|x| x.best == f.name()).count()
            ));
        }
        s.push_str("  ");
        for f in TrajectoryForm::ALL {
            let mut v: Vec<f64> = rows
                .iter()
                .filter_map(|x| x.scores.iter().find(|(n, _)| *n == f.name())?.1)
                .collect();
            v.sort_by(f64::total_cmp);
            let med = v.get(v.len() / 2).copied().unwrap_or(f64::NAN);
            s.push_str(&format!(" {med:.3}"));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::PoolBy;

    #[test]
    fn prefix_groups_leave_out_the_schedule_only() {
        let g = |r: &str| PoolBy::Prefix.group(r);
        assert_eq!(g("small_cosine_seed1"), g("small_wsd_seed1"));
        assert_eq!(g("small_cosine_seed1"), "small_seed1");
        assert_eq!(g("small_cosine_seed6_steps800"), "small_seed6_steps800");
        assert_ne!(g("small_cosine_seed6_steps800"), g("small_cosine_seed6"));
        assert_ne!(g("large_wsd_seed6_lr1e-2"), g("large_wsd_seed6"));
        assert_eq!(PoolBy::Size.group("large_wsd_seed6_lr1e-2"), "large");
        assert_eq!(
            PoolBy::Run.group("large_wsd_seed6_lr1e-2"),
            "large_wsd_seed6_lr1e-2"
        );
    }
}
