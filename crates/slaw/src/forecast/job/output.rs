//! What a forecast job returns: the forecasts and their intervals, the
//! bootstrap behind them, the runs skipped.

use super::{AutoChoice, Request, WindowDecay};
use crate::extrapolation::Calibration;
use crate::forecast::temporal::TemporalFit;
use crate::forecast::{Accuracy, Curve, IntervalKind};
use crate::law::Params;

/// A run of the input that was not forecast, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SkippedRun {
    /// The run's name (the values of the run column(s)).
    pub run: String,
    /// The run's position among all the runs of the input (0-based, in
    /// the order they are listed, `crate::numbers::label_cmp`), for listing
    /// it among the forecasts.
    #[serde(skip)]
    pub position: usize,
    /// Why it was not forecast (the error it met).
    pub reason: String,
}

/// The forecasts of every run of an input, and the runs skipped.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Runs {
    /// One forecast per run, runs in the order of `crate::numbers::label_cmp`
    /// (not the rows').
    pub forecasts: Vec<ForecastOutput>,
    /// The runs that could not be forecast (only when the input holds
    /// several: a single curve's failure is an error).
    pub skipped: Vec<SkippedRun>,
    /// What the reader should know about the runs as a whole: each skipped
    /// run, "run 'R' was not forecast: why" (each forecast's own warnings
    /// are in its `warnings`).
    pub warnings: Vec<String>,
}

/// A forecast at one step.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Point {
    /// The step.
    pub step: f64,
    /// The forecast loss.
    pub loss: f64,
    /// Lower end of the interval, when computed.
    pub lo: Option<f64>,
    /// Upper end of the interval, when computed.
    pub hi: Option<f64>,
    /// The observed loss when the curve has this step.
    pub observed: Option<f64>,
}

/// The law's own interval beside the hull `auto` reports, or beside the
/// step-only forecast a schedule-aware law reports on a window that does
/// not pin its annealing terms (`ForecastOutput::law_interval`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct LawInterval {
    /// The law whose own interval this is.
    pub law: &'static str,
    /// What the hull and the law's own interval each cover, as measured.
    pub covers: String,
    /// The law's own interval at each forecast step beyond the window.
    pub points: Vec<LawIntervalPoint>,
}

/// A law's own interval at one forecast step ([`LawInterval`]).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct LawIntervalPoint {
    /// The step.
    pub step: f64,
    /// The law's own forecast, where the reported one is another's (a
    /// schedule-aware law on a window that does not pin its annealing
    /// terms; absent for `auto`'s power, whose forecast is its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// Lower end of the law's own interval.
    pub lo: f64,
    /// Upper end of the law's own interval.
    pub hi: f64,
}

/// What `auto`'s hull and power's own interval cover, as measured at 90%
/// on the (Mis)Fitting runs (BENCHMARKS.md, "Loss-curve forecasting",
/// branches `cal51` and `pow53`).
pub const LAW_INTERVAL_COVERS: &str = "each interval beyond the window is the hull of power's own and of the step-only reciprocal law's, for real runs whose late decay power misses: auto's 90% intervals covered 84% and 97% of the final losses of the 73 and 124 (Mis)Fitting runs (no learning rate) fitted on 25% and 50% of their steps. Beside it, power's own interval, if the curve keeps following power: what the fit supports on a curve that follows the law, narrower, but on the same runs it covered 64% and 93%";

/// How many bootstrap refits ran, how many converged (only these enter
/// the intervals), and the intervals' level.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Replicates {
    /// Refits run.
    pub replicates: usize,
    /// Refits that converged.
    pub converged: usize,
    /// The intervals' level.
    pub level: f64,
    /// When all the replicates ran for some points only: the first this
    /// many, used alone at the points where their refit spread adds under
    /// 5% to the calibrated error (each point decided alone, so a step's
    /// interval does not depend on the other steps asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_where_negligible: Option<usize>,
    /// When fewer refits ran than asked (the first ones alone, their refit
    /// spread adding under 5% to the calibrated error at every point): the
    /// number asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asked: Option<usize>,
    /// On a curve of over [`MAX_BAND_POINTS`] points: how many of its
    /// points the replicates were predicted at (every k-th, the last and
    /// the forecast steps; `band_points`), the others having no interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub band_points: Option<usize>,
}

/// Over this many points (a training log of over 1e5 steps; no benchmark
/// curve has over 546), a law's bootstrap replicates are predicted at
/// every k-th point of the curve, k = ceil(points / this), at its last
/// point and at the forecast steps, rather than at every point: the
/// intervals at the forecast steps are as on every point, the band
/// between grid points has none, and whether more replicates run (the
/// refit spread's share of the calibrated error) is decided on the grid.
/// Every prediction itself stays at every point.
pub const MAX_BAND_POINTS: usize = 100_000;

/// Every how many points a curve of `n` points over [`MAX_BAND_POINTS`]
/// has its band predicted ([`band_points`]).
pub fn band_stride(n: usize) -> usize {
    n.div_ceil(MAX_BAND_POINTS)
}

/// The points of `ext` (indices) a law's bootstrap replicates are
/// predicted at, when it has over [`MAX_BAND_POINTS`]; None: every point.
pub(super) fn band_points(ext: &Curve, req: &Request) -> Option<Vec<usize>> {
    let n = ext.len();
    if n <= MAX_BAND_POINTS {
        return None;
    }
    let stride = band_stride(n);
    let mut v: Vec<usize> = (0..n).step_by(stride).collect();
    v.push(n - 1);
    v.extend(
        req.at
            .iter()
            .filter_map(|&t| ext.step.iter().position(|&s| s == t)),
    );
    v.sort_unstable();
    v.dedup();
    Some(v)
}

/// The result of a forecast job for one curve.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ForecastOutput {
    /// The curve's name.
    pub curve: String,
    /// The method used (for `auto`: the law chosen).
    pub method: &'static str,
    /// The method's formula.
    pub formula: String,
    /// The fitted parameters by name (for the temporal law: each
    /// trajectory's coefficients, `a0.c0` ...).
    pub params: Params,
    /// Whether every fit behind the forecast converged.
    pub converged: bool,
    /// Points (checkpoints for the temporal law) fitted.
    pub fit_points: usize,
    /// The last fitted step.
    pub fit_until_step: f64,
    /// The forecasts at the steps asked for.
    pub forecasts: Vec<Point>,
    /// Accuracy on the observed points not used by the fit.
    pub heldout: Option<Accuracy>,
    /// The bootstrap behind the intervals, when computed.
    pub bootstrap: Option<Replicates>,
    /// What the intervals cover: `backtest` (predictive: the law's own
    /// extrapolation error, calibrated by rolling-origin backtests inside the
    /// fitted window and scaled by ln(step / last fitted step), in quadrature
    /// with the bootstrap refit spread), `bootstrap` (the refit spread
    /// only: the noise of the fitted points, not the error of the law) or,
    /// for the temporal law, `pooled-scale` (its bootstrap widened past the
    /// fit by the extrapolation error c pooled over other runs, with c).
    pub interval_kind: Option<IntervalKind>,
    /// The rolling-origin calibration behind a `backtest` interval (its
    /// `method` says when a prior learned on other curves was pooled in).
    pub calibration: Option<Calibration>,
    /// Where the learning rate still decays after the window and the law
    /// cannot forecast the decay's effect: the range the intervals were
    /// widened to, to cover it.
    pub decay_term: Option<DecayTerm>,
    /// Where a schedule-aware law's window does not pin its annealing
    /// terms: how the forecast and intervals beyond the window were taken
    /// from the step-only reciprocal law's (`from_step_only`); the law's own
    /// are then in `law_interval`. Where `auto` chose the step-only law on
    /// such a window: how its forecast beyond the window was moved by the
    /// decay ahead (`step_only_moved`; its interval is the law's).
    pub unpinned_decay: Option<String>,
    /// Parameters that change neither a fitted point nor a forecast (a
    /// schedule-aware law's annealing terms on a rate that never decays up
    /// to the forecast): their values in `params` are where the search left
    /// them, not estimates (absent when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unused_params: Vec<String>,
    /// Where the power law named without a learning rate had its intervals
    /// beyond the window widened to the hull with the step-only reciprocal
    /// law's, as `auto`'s when it chooses power (`AutoChoice::interval_hull`):
    /// what was done (candidate (P) of branch `pow53`, not shipped; absent
    /// otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_hull: Option<String>,
    /// Where `auto` chose power without a learning rate and widened its
    /// intervals beyond the window to the hull with the step-only
    /// reciprocal law's: power's own interval at each forecast step beyond
    /// the window ("if the curve keeps following power"), and what each of
    /// the two covers as measured. Where a schedule-aware law's window does
    /// not pin its annealing terms (`unpinned_decay`): the law's own
    /// forecast and interval at each forecast step beyond the window. Absent
    /// otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub law_interval: Option<LawInterval>,
    /// The temporal law's fit (temporal method only).
    pub temporal: Option<TemporalFit>,
    /// How `auto` chose the law (None for a method given by name).
    pub choice: Option<AutoChoice>,
    /// The learning-rate decay inside the fit window and up to the forecast.
    pub decay: Option<WindowDecay>,
    /// Every point of the (extended) curve, for plots.
    #[serde(skip)]
    pub curve_points: Vec<Point>,
    /// What the reader should know about the forecast.
    pub warnings: Vec<String>,
}

/// How the intervals cover the learning rate's decay still ahead of the
/// window (`prior`: a decay prior learned on other schedules).
#[derive(Debug, Clone, serde::Serialize)]
pub struct DecayTerm {
    /// What the term is.
    pub method: String,
    /// The range of ln L - ln forecast per unit of decay ahead (the prior's
    /// quantiles at (1 -+ level) / 2).
    pub per_unit_decay: (f64, f64),
    /// The decay still ahead of the window (fraction of its peak rate) at
    /// the last step forecast.
    pub decay_ahead: f64,
}
