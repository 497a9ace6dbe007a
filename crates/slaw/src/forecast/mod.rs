//! Loss-curve forecasting: fit a law to the early part of one or more curves
//! and predict the rest. Step-only baselines (power, reciprocal,
//! logarithmic) and learning-rate-schedule-aware laws (Tissue et al.'s
//! annealing law, Luo et al.'s multi-power law).

pub mod curve;
pub mod drops;
pub mod job;
pub mod one_model;
pub mod positions;
pub mod prior;
pub mod protocol;
pub mod realruns;
pub mod schedule;
pub mod temporal;
pub mod trajectory;
pub mod warmup;
pub mod whatif;
pub mod whatif_job;

use crate::bootstrap::{draws, Interval, Resampling, Scheme};
use crate::extrapolation::{calibrate_along, Along, Calibration};
use crate::fit::{fit, FitOptions, FitResult};
use crate::law::{curves, Law};
use crate::observations::Observations;
pub use crate::selection::calibrate::IntervalKind;
use crate::solver::Tolerances;
use crate::{Error, Result};
pub use curve::{Curve, Features};
pub use positions::PositionCurves;
use rayon::prelude::*;
pub use schedule::Schedule;

/// The warning on a run's rows with a step but an empty loss, skipped
/// (`Curve::missing_losses` gives them): how many, and the first five's
/// lines and steps. Said by `slaw forecast` and `slaw schedule` alike.
pub fn missing_losses_warning(
    table: &crate::table::Table,
    rows: &[usize],
    step_col: &str,
) -> String {
    let step = table.column_index(step_col).ok();
    let shown: Vec<String> = rows
        .iter()
        .take(5)
        .map(|&r| {
            format!(
                "{} {} (step {})",
                if table.records { "record" } else { "line" },
                table.line(r),
                step.map_or("?", |c| table.text(r, c))
            )
        })
        .collect();
    format!(
        "{} row{} with a step but an empty loss (a missing value) {} skipped: {}{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        if rows.len() == 1 { "was" } else { "were" },
        shown.join(", "),
        if rows.len() > 5 { ", ..." } else { "" }
    )
}

/// The warning for predictions at steps before the first fitted one
/// (`what`: e.g. "schedule 'x' ends at step 3"; `whose`: whose first fitted
/// step, e.g. "the runs'"): the law is extrapolated backwards. Shared by
/// `slaw schedule` and `slaw forecast --at`.
pub(crate) fn backwards_warning(what: &str, whose: &str, first: f64, several: bool) -> String {
    format!(
        "{what}, before {whose} first fitted step ({}): {} the law backwards, where it was not \
         fitted",
        crate::numbers::num(first),
        if several {
            "their predictions extrapolate"
        } else {
            "its prediction extrapolates"
        }
    )
}

/// A loss-curve law `slaw forecast` fits (its law: `law::curves`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CurveLaw {
    /// `power`: A t^-alpha + E.
    Power,
    /// `reciprocal`: a / (1 + b t) + c.
    Reciprocal,
    /// `log`: a - b ln t.
    Log,
    /// `tissue`: Tissue et al.'s LR-annealing law.
    Tissue,
    /// `multipower`: Luo et al.'s multi-power law, the drop sum after the warmup.
    MultiPower,
    /// The multi-power law with the warmup's steps in the drop sum.
    #[serde(rename = "multipower-warmup")]
    MultiPowerWarmup,
}

impl CurveLaw {
    /// Every law, schedule-aware first.
    pub const ALL: [CurveLaw; 6] = [
        CurveLaw::MultiPower,
        CurveLaw::MultiPowerWarmup,
        CurveLaw::Tissue,
        CurveLaw::Power,
        CurveLaw::Reciprocal,
        CurveLaw::Log,
    ];
    /// The law's name.
    pub fn name(self) -> &'static str {
        match self {
            CurveLaw::Power => "power",
            CurveLaw::Reciprocal => "reciprocal",
            CurveLaw::Log => "log",
            CurveLaw::Tissue => "tissue",
            CurveLaw::MultiPower => "multipower",
            CurveLaw::MultiPowerWarmup => "multipower-warmup",
        }
    }
    /// The law named `s`.
    pub fn parse(s: &str) -> Result<CurveLaw> {
        CurveLaw::ALL
            .iter()
            .copied()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                Error::unknown(
                    "forecast method",
                    s,
                    CurveLaw::ALL.map(|m| m.name()).join(", "),
                )
            })
    }
    /// Whether the method reads the learning-rate schedule.
    pub fn needs_lr(self) -> bool {
        matches!(
            self,
            CurveLaw::Tissue | CurveLaw::MultiPower | CurveLaw::MultiPowerWarmup
        )
    }
    fn law(self, features: Vec<Features>) -> Law {
        match self {
            CurveLaw::Power => curves::power(),
            CurveLaw::Reciprocal => curves::reciprocal(),
            CurveLaw::Log => curves::logarithmic(),
            CurveLaw::Tissue => curves::tissue(),
            CurveLaw::MultiPower => curves::multipower(features),
            CurveLaw::MultiPowerWarmup => curves::multipower_warmup(features),
        }
    }
}

/// A law fitted to (parts of) some curves, able to predict any point of them.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// The law fitted.
    pub method: CurveLaw,
    /// The law over every point of the curves (what predictions evaluate).
    pub law: Law,
    /// The fitted parameters (natural units, the law's order).
    pub params: Vec<f64>,
    /// Whether the fit converged.
    pub converged: bool,
    /// The objective at the optimum.
    pub objective: f64,
    /// Per curve: the law's inputs (a prefix of t, S1, S2) at every
    /// point, `dim` per point one after the other.
    inputs: Vec<Vec<f64>>,
    /// Inputs per point.
    dim: usize,
    /// The law on the fitted points (binned on long curves).
    fit_law: Law,
    obs: Observations,
    result: FitResult,
    /// When a curve's window was fitted on bins of its points: per curve,
    /// the logged losses of its window (the first `upto` points, NaN where
    /// none), from which an interval's noise term is one point's
    /// ([`Fitted::point_noise`]); None when every point was fitted.
    binned_windows: Option<Vec<Vec<f64>>>,
}

impl Fitted {
    /// Predicted loss at point `i` of curve `c` (indices into the curves given to `fit_curves`).
    pub fn predict(&self, c: usize, i: usize) -> f64 {
        self.predict_with(c, i, &self.params)
    }

    /// The last step among the fitted points.
    fn obs_last_step(&self) -> f64 {
        (0..self.obs.len())
            .map(|i| self.obs.point(i)[0])
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// The engine's report of the fit.
    pub fn result(&self) -> &FitResult {
        &self.result
    }

    /// The law on the fitted points (binned on long curves) and those
    /// points: the objective the engine minimized (with [`FitOptions::default`]'s loss).
    pub fn fitted(&self) -> (&Law, &Observations) {
        (&self.fit_law, &self.obs)
    }

    /// Predicted loss at point `i` of curve `c` with parameters `p` (natural units).
    pub fn predict_with(&self, c: usize, i: usize, p: &[f64]) -> f64 {
        self.law
            .predict_at(self.input(c, i), &point_context(c, i), p)
    }

    /// The law's inputs at point `i` of curve `c`.
    fn input(&self, c: usize, i: usize) -> &[f64] {
        &self.inputs[c][i * self.dim..(i + 1) * self.dim]
    }

    /// Predicted loss at each of `points` ((curve, index) pairs) for each
    /// of the parameter vectors `params` (natural units): per point, one
    /// value per vector, in their order; the values of `predict_with`, bit
    /// for bit, computed in batches (`Law::predict_many_at`: the
    /// multi-power law computes its per-drop factors once per batch and
    /// vector, not once per point).
    pub fn predict_many(&self, points: &[(usize, usize)], params: &[Vec<f64>]) -> Vec<f64> {
        let per = PREDICT_BATCH;
        let parts: Vec<Vec<f64>> = points
            .par_chunks(per)
            .map(|ch| {
                let x: Vec<f64> = ch
                    .iter()
                    .flat_map(|&(c, i)| self.input(c, i).iter().copied())
                    .collect();
                let ctx: Vec<u32> = ch.iter().flat_map(|&(c, i)| point_context(c, i)).collect();
                self.law.predict_many_at(&x, &ctx, 2, params)
            })
            .collect();
        parts.concat()
    }

    /// Predicted loss at each of `points` ((curve, index) pairs): the
    /// values of `predict`, bit for bit (see `predict_many`).
    pub fn predict_points(&self, points: &[(usize, usize)]) -> Vec<f64> {
        self.predict_many(points, std::slice::from_ref(&self.params))
    }

    /// The parameters of the bootstrap's refits on the fitted points
    /// resampled with replacement (warm-started from the fit's optimum, no
    /// multi-start). Only converged refits count.
    pub fn draws(&self, how: &Resampling) -> Vec<Vec<f64>> {
        // Warm start from the optimum only: no multi-start per replicate.
        let best = FitResult {
            optima: vec![self.result.internal.clone()],
            search_optima: vec![self.result.search_internal.clone()],
            ..self.result.clone()
        };
        draws(
            &self.fit_law,
            &self.obs,
            &best,
            &replicate_options(),
            how,
            Scheme::Points,
            &|| {},
        )
    }

    /// `draws`, each refit warm-started from every distinct optimum the
    /// full fit's multi-start found (up to 5), keeping its lowest objective:
    /// a replicate may leave the optimum's basin when another basin fits its
    /// data better (a schedule search's stability; `draws` stays in one).
    pub fn draws_from_optima(&self, how: &Resampling) -> Vec<Vec<f64>> {
        draws(
            &self.fit_law,
            &self.obs,
            &self.result,
            &replicate_options(),
            how,
            Scheme::Points,
            &|| {},
        )
    }

    /// The rolling-origin calibration of the law's own extrapolation error
    /// along the steps of the fitted points (`extrapolation::calibrate_along`:
    /// refits on the points up to each of `MAX_ORIGINS` origins in the second
    /// half of the window, warm-started from the optimum, scored on the later
    /// points per unit of ln(step / origin step)). None when the window has
    /// too few points for a score at `level`.
    pub fn calibration(&self, level: f64) -> Option<Calibration> {
        self.calibration_with(level, &prior::Priors::shipped())
    }

    /// The raw scores behind `calibration` (per origin: each later point's
    /// score per unit distance, and its distance).
    pub fn rolling_scores(&self) -> Option<crate::extrapolation::RollingScores> {
        crate::extrapolation::rolling_scores(
            &self.fit_law,
            &self.obs,
            &self.result,
            &replicate_options(),
            &along(self.method, None, None),
        )
    }

    /// The jackknife of the forecast at point `i` of curve `c`: per fitted
    /// point left out, ln of the refit's prediction there (the refit
    /// warm-started from the optimum, as the bootstrap's); a refit that
    /// fails or does not converge gives NaN. Empty with fewer than
    /// `n_params + 1` fitted points.
    pub fn jackknife(&self, c: usize, i: usize) -> Vec<f64> {
        let n = self.obs.len();
        if n < self.fit_law.n_params() + 1 {
            return Vec::new();
        }
        let warm = FitOptions {
            starts: Some(vec![self.result.internal.clone()]),
            ..replicate_options()
        };
        (0..n)
            .into_par_iter()
            .map(|j| {
                let keep: Vec<usize> = (0..n).filter(|&k| k != j).collect();
                match fit(&self.fit_law, &self.obs.subset(&keep), &warm) {
                    Ok(r) if r.converged => self.predict_with(c, i, &r.params).ln(),
                    _ => f64::NAN,
                }
            })
            .collect()
    }

    /// `calibration` with the error prior of `priors` for windows too short
    /// for a conformal rank of their own scores (`prior`).
    pub fn calibration_with(&self, level: f64, priors: &prior::Priors) -> Option<Calibration> {
        let how = along(
            self.method,
            priors.error(self.method).copied(),
            priors.signed(self.method),
        );
        let cal = calibrate_along(
            &self.fit_law,
            &self.obs,
            &self.result,
            &replicate_options(),
            level,
            &how,
        )?;
        self.finish_calibration(cal, level, priors)
    }

    /// `calibration_with` at each of `levels`, from one set of
    /// rolling-origin refits (the scores do not depend on the level).
    pub fn calibrations_with(
        &self,
        levels: &[f64],
        priors: &prior::Priors,
    ) -> Vec<Option<Calibration>> {
        let how = along(
            self.method,
            priors.error(self.method).copied(),
            priors.signed(self.method),
        );
        let Some(rolled) = crate::extrapolation::rolling_scores(
            &self.fit_law,
            &self.obs,
            &self.result,
            &replicate_options(),
            &how,
        ) else {
            return vec![None; levels.len()];
        };
        levels
            .iter()
            .map(|&level| {
                let cal = crate::extrapolation::calibrate_rolled(
                    &self.fit_law,
                    &self.obs,
                    &self.result,
                    rolled.clone(),
                    level,
                    &how,
                )?;
                self.finish_calibration(cal, level, priors)
            })
            .collect()
    }

    /// A calibration at `level` with the point noise of a binned window and
    /// the shortfall prior of `priors` applied.
    fn finish_calibration(
        &self,
        mut cal: Calibration,
        level: f64,
        priors: &prior::Priors,
    ) -> Option<Calibration> {
        if let Some((noise, points)) = self.point_noise(level) {
            if noise > cal.noise {
                cal.noise = noise;
                cal.noise_points = Some(points);
            }
        }
        if let Some(q) = priors.shortfall(self.method) {
            let floor = prior::quantile_at(q, level).max(0.0) * cal.misfit;
            if floor > cal.per_distance_below {
                cal.per_distance_below = floor;
                cal.method.push_str(&format!(
                    "; the lower rate at least {floor:.4} per unit distance: the window's misfit level {:.4} times {:.4}, the {} quantile of the law's final-loss shortfall per unit distance per unit misfit on other curves",
                    cal.misfit,
                    prior::quantile_at(q, level),
                    crate::numbers::percent(level),
                ));
            }
        }
        Some(cal)
    }

    /// On a window fitted on bins: one logged point's noise at `level`
    /// under the forecasts' rule ([`crate::extrapolation::point_noise`],
    /// from the ln residuals of every logged point of the window against
    /// the fit) and the number of points; None when every point was fitted.
    /// A bin's mean carries about 1 / sqrt(its points) of a point's noise,
    /// so the bins' own noise would make an interval that covers the
    /// smoothed curve, not a logged loss.
    fn point_noise(&self, level: f64) -> Option<(f64, usize)> {
        let windows = self.binned_windows.as_ref()?;
        let mut points = 0;
        let per_curve: Vec<Vec<f64>> = windows
            .iter()
            .enumerate()
            .map(|(c, losses)| {
                let at: Vec<(usize, usize)> = (0..losses.len())
                    .filter(|&i| losses[i].is_finite())
                    .map(|i| (c, i))
                    .collect();
                points += at.len();
                let pred = self.predict_many(&at, std::slice::from_ref(&self.params));
                at.iter()
                    .zip(pred)
                    .map(|(&(_, i), p)| losses[i].ln() - p.ln())
                    .collect()
            })
            .collect();
        let noise =
            crate::extrapolation::point_noise(forecast_rule(self.method), &per_curve, level);
        Some((noise, points))
    }

    /// The correlated misfit level of the fit's residuals at `level`
    /// (`extrapolation::residual_misfit`: the noise floor less the white
    /// noise in quadrature).
    pub fn residual_misfit(&self, level: f64) -> f64 {
        let res: Vec<f64> = (0..self.obs.len())
            .map(|i| {
                let pred = self.fit_law.predict_at(
                    self.obs.point(i),
                    self.obs.point_context(i),
                    &self.result.params,
                );
                self.obs.y[i].ln() - pred.ln()
            })
            .collect();
        crate::extrapolation::residual_misfit(&self.obs, 0, &res, level)
    }

    /// Predictive intervals at `points` ((curve, index) pairs): the
    /// calibrated extrapolation error at the point's step (`calibration`;
    /// within the window, the fit's residual quantile) in quadrature, in ln
    /// units, with the percentile interval of `n` bootstrap refits (the
    /// parameters' sampling error; 0: none). Without a calibration (too few
    /// points), the bootstrap alone, and the kind says so.
    pub fn intervals(
        &self,
        points: &[(usize, usize)],
        n: usize,
        seed: u64,
        level: f64,
    ) -> Intervals {
        self.intervals_with(points, n, seed, level, &prior::Priors::shipped())
    }

    /// `intervals` with the error prior of `priors` (see `calibration_with`).
    pub fn intervals_with(
        &self,
        points: &[(usize, usize)],
        n: usize,
        seed: u64,
        level: f64,
        priors: &prior::Priors,
    ) -> Intervals {
        // The refit spread enters in quadrature: where it is under
        // `NEGLIGIBLE` of the calibrated error, it moves the interval by
        // under 5%, and the first `FIRST_REPLICATES` replicates (the same
        // draws as the first of a full run) are kept there. Decided point
        // by point, so that a step's interval does not depend on the other
        // steps asked for (the decision was once over every point), and at
        // the reference level (`extrapolation::NOISE_REFERENCE_LEVEL`, the
        // default), whatever the level asked for: a point's percentile
        // interval then comes from the same replicates at every level, so
        // the intervals are nested in the level (decided at each level, a
        // higher level could keep the first replicates where a lower one
        // took them all, and come out narrower).
        let reference = crate::extrapolation::NOISE_REFERENCE_LEVEL;
        let (calibration, decide_by) = if level == reference || n == 0 {
            (self.calibration_with(level, priors), None)
        } else {
            let mut both = self.calibrations_with(&[level, reference], priors);
            let at_reference = both.pop().flatten();
            (both.pop().flatten(), Some(at_reference))
        };
        let decide_by = decide_by.as_ref().unwrap_or(&calibration);
        let last_fit = self.obs_last_step();
        let preds = self.predict_points(points);
        let negligible = |k: usize, b: &Interval| {
            let Some(cal) = decide_by.as_ref() else {
                return false;
            };
            let t = self.input(points[k].0, points[k].1)[0];
            let (below, above) = b.ln_beyond(preds[k]);
            t <= last_fit || below.max(above) <= NEGLIGIBLE * cal.half_width(t)
        };
        let (boot, converged, used, first_where_negligible) = if n == 0 {
            (vec![], 0, 0, None)
        } else {
            let first = n.min(FIRST_REPLICATES);
            let draws = self.draws(&Resampling::new(first, level, seed));
            let mut b = self.draw_intervals(points, &draws, level);
            let ok = draws.len();
            let at_reference = if level == reference {
                b.clone()
            } else {
                self.draw_intervals(points, &draws, reference)
            };
            let more: Vec<usize> = (0..points.len())
                .filter(|&k| !negligible(k, &at_reference[k]))
                .collect();
            if first == n || more.is_empty() {
                (b, ok, first, None)
            } else {
                let all = self.draws(&Resampling::new(n, level, seed));
                let at: Vec<(usize, usize)> = more.iter().map(|&k| points[k]).collect();
                for (&k, iv) in more.iter().zip(self.draw_intervals(&at, &all, level)) {
                    b[k] = iv;
                }
                let partial = more.len() < points.len();
                (b, all.len(), n, partial.then_some(first))
            }
        };
        let iv = points
            .iter()
            .enumerate()
            .map(|(k, &(c, i))| {
                let pred = preds[k];
                let (mut lo, mut hi, mut centre) = (0.0f64, 0.0f64, 0.0f64);
                if let Some(b) = boot.get(k) {
                    (lo, hi) = b.ln_beyond(pred);
                }
                if let Some(cal) = &calibration {
                    // centre: a signed rule's shift (0 unless the priors set one)
                    let (m, below, above) = cal.edges(self.input(c, i)[0]);
                    centre = m;
                    lo = lo.hypot(below);
                    hi = hi.hypot(above);
                }
                Interval {
                    lo: pred * (centre - lo).exp(),
                    hi: pred * (centre + hi).exp(),
                }
            })
            .collect();
        let kind = match calibration {
            Some(_) => IntervalKind::Backtest { level },
            None => IntervalKind::Bootstrap { level },
        };
        Intervals {
            iv,
            kind,
            replicates: (used, converged),
            first_where_negligible,
            calibration,
        }
    }

    /// Percentile intervals of the predictions at `points` ((curve, index)
    /// pairs) from `n` bootstrap refits (see `draws`), and how many converged.
    pub fn bootstrap(
        &self,
        points: &[(usize, usize)],
        n: usize,
        seed: u64,
        level: f64,
    ) -> (Vec<Interval>, usize) {
        let how = Resampling::new(n, level, seed);
        let ok = self.draws(&how);
        (self.draw_intervals(points, &ok, level), ok.len())
    }

    /// Percentile intervals at `level` of the predictions at `points` of
    /// the parameter vectors `draws` (a bootstrap's converged refits), batch
    /// by batch: the draws' predictions at a batch of points, never every
    /// point's at once.
    pub fn draw_intervals(
        &self,
        points: &[(usize, usize)],
        draws: &[Vec<f64>],
        level: f64,
    ) -> Vec<Interval> {
        let r = draws.len();
        points
            .par_chunks(PREDICT_BATCH)
            .flat_map_iter(|ch| {
                let v = self.predict_many(ch, draws);
                (0..ch.len())
                    .map(|k| crate::bootstrap::interval_of(v[k * r..(k + 1) * r].to_vec(), level))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// Huber loss (delta 1e-3) on ln L, as the multi-power paper.
fn fit_options() -> FitOptions {
    FitOptions::default()
}

/// Refits warm-started from an optimum (bootstrap replicates, backtest
/// origins): a refit only has to move the optimum by its sampling error, and
/// a relative objective change of 1e-7 is far below it (replicates differ by
/// about 1 / points).
fn replicate_options() -> FitOptions {
    FitOptions {
        polish: 1,
        screen_ftol: 1e-5,
        tol: Tolerances {
            ftol: 1e-5,
            pgtol: 1e-5,
            max_iter: 300,
        },
        ..fit_options()
    }
}

/// Replicates run first; the rest only when the refit spread matters.
pub const FIRST_REPLICATES: usize = 50;
/// The refit spread is negligible below this share of the calibrated error
/// (sqrt(1 + 0.3^2) = 1.044).
pub const NEGLIGIBLE: f64 = 0.3;

/// Origins of the rolling-origin calibration of a forecast.
pub const MAX_ORIGINS: usize = 8;

/// A forecast's rolling-origin settings ([`Fitted::calibration_with`] and
/// the scores behind it, [`Fitted::rolling_scores`]): along the step, at
/// most [`MAX_ORIGINS`] origins, every later point scored, the normal
/// approximation without a floor, with the error prior `prior` and the
/// signed rule `signed`.
fn along(
    method: CurveLaw,
    prior: Option<prior::Quantiles>,
    signed: Option<crate::extrapolation::Signed>,
) -> Along {
    Along {
        input: 0,
        max_origins: MAX_ORIGINS,
        max_scores_per_origin: usize::MAX,
        normal_fallback: true,
        fallback_floor: false,
        prior,
        signed,
        backward: false,
        rule: forecast_rule(method),
        rate: FORECAST_RATE,
    }
}

/// The rolling-origin rule of forecasts and schedules
/// ([`crate::extrapolation::AlongRule`]): `WhiteFloor` since 2026-12-05
/// (branch `cal51`): every later point's ln error less the residuals' white
/// noise in quadrature (the white noise estimated from the first
/// differences of the full fit's residuals, [`crate::extrapolation::white_noise`]),
/// per unit distance, that white noise in quadrature in the half-width. On a
/// noisy log the former rule's (`EveryLater`) near-point scores were the
/// points' noise over a small distance, which widened the intervals 5-10x
/// beyond the error on synthetic curves; the correlated misfit of the real
/// runs stays in the scores. Measured (BENCHMARKS.md, "Loss-curve
/// forecasting", branches `cal50`, `cal51`): more coverage cells of issue 14
/// (a)/(b) in 80-97% on each family than `EveryLater`; the cost is power's
/// own (Mis)Fitting 25% cell (71% -> 60%; `auto` stays in the band). The
/// other rules were measured and not adopted: `FarMedian`, `NoiseRemoved`
/// (`cal49`), `WhiteRemoved` (`cal50`).
pub const FORECAST_RULE: crate::extrapolation::AlongRule =
    crate::extrapolation::AlongRule::WhiteFloor;

/// How a forecast's rolling-origin scores become the rate at the level
/// ([`crate::extrapolation::RateRule`]): the scores' conformal rank. The
/// candidate `Variance` (the errors as N(0, s^2 + (sigma d)^2), sigma by
/// moments, Student's t over the origins) removes the rank's jump between
/// 92% and 95% on curves that follow their law (the rank of scores that are
/// mostly 0 reaches a noise excursion over a small distance) and halves the
/// synthetic 95% widths, but takes `auto`'s and reciprocal's 25% (Mis)Fitting
/// cells, power's 50% one (priors without the family) and its 20% multi-power
/// cell below 80% at 90%: measured, not adopted (BENCHMARKS.md, "The rate at
/// the level: a variance estimator"). The candidate `Carried` (the rank at
/// 90% times z((1 + level) / 2) / z(0.95): every 90% output unchanged,
/// smooth and nested in the level) brings the synthetic curves' 80%
/// intervals to the logged losses they are meant to cover (power and log
/// 20/30 -> 25/30) and the mean distance of the real-run cells from 80%
/// down (13.5 -> 10.7 points), but at 95% the real runs' scores have a
/// heavier tail than the normal ratio carries: `auto`'s and reciprocal's
/// 25% cells 97.3% -> 87.7% and 94.5% -> 84.9%, the mean distance from 95%
/// 3.9 -> 6.5 points; measured, not adopted (BENCHMARKS.md, "The rate at
/// 90% carried to the level").
pub const FORECAST_RATE: crate::extrapolation::RateRule = crate::extrapolation::RateRule::Rank;

/// Candidate (L) of branch `pow53` (BENCHMARKS.md, "Loss-curve
/// forecasting"): the log law's rolling-origin scores only at each origin's
/// later points in the farther half of its reach
/// ([`crate::extrapolation::AlongRule::WhiteFloorFar`]). Measured, not
/// shipped: false.
pub const LOG_FAR_SCORES: bool = false;

/// The rolling-origin rule of `method`'s forecasts: [`FORECAST_RULE`]
/// (the log law's [`LOG_FAR_SCORES`] candidate when set).
pub fn forecast_rule(method: CurveLaw) -> crate::extrapolation::AlongRule {
    if method == CurveLaw::Log && LOG_FAR_SCORES {
        crate::extrapolation::AlongRule::WhiteFloorFar
    } else {
        FORECAST_RULE
    }
}

/// Forecast intervals and what they cover.
#[derive(Debug, Clone)]
pub struct Intervals {
    /// The interval at each point asked for.
    pub iv: Vec<Interval>,
    /// `backtest`: predictive, calibrated on the window's own rolling-origin
    /// backtests (with the refit spread); `bootstrap`: the refit spread only.
    pub kind: IntervalKind,
    /// Bootstrap replicates run and converged (fewer run than asked when
    /// the refit spread is negligible: see `Fitted::intervals`).
    pub replicates: (usize, usize),
    /// When more than the first replicates ran but some points' refit
    /// spread was negligible with the first ones: their number (those
    /// points' intervals use them alone; each point is decided alone).
    pub first_where_negligible: Option<usize>,
    /// The rolling-origin calibration, when the window allowed one.
    pub calibration: Option<Calibration>,
}

/// Points per batch of `Fitted::predict_many` (and of the bootstrap's
/// predictions: batches of this many points times the replicates are
/// held at once).
const PREDICT_BATCH: usize = 4096;

/// Above this many fitted points, a curve is fitted on this many bins of
/// consecutive points (mean step, geometric mean loss): a loss curve is
/// smooth over a bin, and the fit's cost stops growing with the points.
pub const MAX_FIT_POINTS: usize = 500;

/// The points of a curve a fit uses: the observed points among the first
/// `upto`, or their bins on a long curve.
fn fit_points(c: &Curve, upto: usize) -> (Vec<f64>, Vec<f64>) {
    let (step, loss): (Vec<f64>, Vec<f64>) = c
        .step
        .iter()
        .zip(&c.loss)
        .take(upto.min(c.len()))
        .filter(|(_, l)| !l.is_nan())
        .map(|(&s, &l)| (s, l))
        .unzip();
    let n = step.len();
    if n <= MAX_FIT_POINTS {
        return (step, loss);
    }
    (0..MAX_FIT_POINTS)
        .map(|j| {
            let (a, b) = (j * n / MAX_FIT_POINTS, (j + 1) * n / MAX_FIT_POINTS);
            let k = (b - a) as f64;
            let t = step[a..b].iter().sum::<f64>() / k;
            let l = (loss[a..b].iter().map(|l| l.ln()).sum::<f64>() / k).exp();
            (t, l)
        })
        .unzip()
}

/// The features `method` reads at the steps `at` (the fitted points), or
/// at every step of the curve (its predictions): a law without the drop
/// sum (tissue) only the areas, predictions no list of the blocks a fit
/// reads (`curve::Needs`; the values are the same).
fn features_of(c: &Curve, method: CurveLaw, at: Option<&[f64]>) -> Result<Features> {
    let path = c.lr_path().ok_or_else(|| Error::NeedsSchedule {
        curve: c.name.clone(),
        law: method.name().to_string(),
        known_until: None,
    })?;
    let needs = match (method, at) {
        (CurveLaw::MultiPower | CurveLaw::MultiPowerWarmup, Some(_)) => curve::Needs::Fit,
        (CurveLaw::MultiPower | CurveLaw::MultiPowerWarmup, None) => curve::Needs::Predict,
        _ => curve::Needs::Areas,
    };
    Ok(path.features_for(at.unwrap_or(&c.step), c.warmup_end(), needs))
}

/// The law's inputs (`cols` of t, S1, S2: `curves::INPUTS`) at every step
/// of a curve, `cols.len()` per step one after the other.
fn law_inputs(step: &[f64], features: Option<&Features>, cols: &[usize]) -> Vec<f64> {
    (0..step.len())
        .flat_map(|i| {
            let all = match features {
                Some(f) => [step[i], f.s1[i], f.s2[i]],
                None => [step[i], 1.0, 0.0],
            };
            cols.iter().map(move |&j| all[j])
        })
        .collect()
}

/// A point's context: its curve and its index on the curve.
fn point_context(c: usize, i: usize) -> [u32; 2] {
    [c as u32, i as u32]
}

/// Fit `method` to the first `upto[c]` points of each curve `c` (Huber loss,
/// delta 1e-3, on ln L, as the multi-power paper). Long curves are fitted on
/// bins of points (see `MAX_FIT_POINTS`); predictions are at every point.
pub fn fit_curves(method: CurveLaw, curves: &[Curve], upto: &[usize]) -> Result<Fitted> {
    fit_curves_from(method, curves, upto, None)
}

/// `fit_curves` from the given starting points (internal units) instead of
/// the law's multi-start grid.
pub fn fit_curves_from(
    method: CurveLaw,
    curves: &[Curve],
    upto: &[usize],
    starts: Option<Vec<Vec<f64>>>,
) -> Result<Fitted> {
    let w = fit_windows(method, curves, upto, starts)?;
    // What predictions read, once the fit is done (on a long curve, the
    // features at every point are not alive during the fit): the
    // features of the curves' every point and the law's inputs there.
    let mut features = Vec::new();
    if method.needs_lr() {
        for c in curves {
            features.push(features_of(c, method, None)?);
        }
    }
    let inputs: Vec<Vec<f64>> = curves
        .iter()
        .enumerate()
        .map(|(ci, c)| law_inputs(&c.step, features.get(ci), &w.which))
        .collect();
    let law = method.law(features);
    Ok(Fitted {
        method,
        params: w.result.params.to_vec(),
        converged: w.result.converged,
        objective: w.result.objective,
        law,
        fit_law: w.fit_law,
        inputs,
        dim: w.which.len(),
        obs: w.obs,
        result: w.result,
        binned_windows: binned_windows(curves, upto),
    })
}

/// Per curve, the logged losses of its window when some curve's window is
/// fitted on bins (`fit_points`: over [`MAX_FIT_POINTS`] points); None
/// otherwise.
fn binned_windows(curves: &[Curve], upto: &[usize]) -> Option<Vec<Vec<f64>>> {
    fn window(c: &Curve, k: usize) -> &[f64] {
        &c.loss[..k.min(c.len())]
    }
    let binned = curves
        .iter()
        .zip(upto)
        .any(|(c, &k)| window(c, k).iter().filter(|l| !l.is_nan()).count() > MAX_FIT_POINTS);
    binned.then(|| {
        curves
            .iter()
            .zip(upto)
            .map(|(c, &k)| window(c, k).to_vec())
            .collect()
    })
}

/// The fit of [`fit_curves_from`] (its law on the fitted points, the
/// points, the result, the inputs the law reads), without what its
/// predictions need: the multi-power starts read only the Tissue fit's
/// parameters.
struct WindowFit {
    fit_law: Law,
    obs: Observations,
    result: FitResult,
    /// The law's inputs: their index in `curves::INPUTS`.
    which: Vec<usize>,
}

/// Fit `method` to the first `upto[c]` points of each curve `c` (see
/// [`fit_curves_from`]).
fn fit_windows(
    method: CurveLaw,
    curves: &[Curve],
    upto: &[usize],
    starts: Option<Vec<Vec<f64>>>,
) -> Result<WindowFit> {
    let sets: Vec<(Vec<f64>, Vec<f64>)> = curves
        .iter()
        .zip(upto)
        .map(|(c, &k)| fit_points(c, k))
        .collect();
    let mut fit_features = Vec::new();
    if method.needs_lr() {
        for (c, (step, _)) in curves.iter().zip(&sets) {
            fit_features.push(features_of(c, method, Some(step))?);
        }
    }
    let names = method.law(vec![]).inputs;
    let which: Vec<usize> = names
        .iter()
        .map(|n| curves::INPUTS.iter().position(|m| m == n))
        .collect::<Option<_>>()
        .ok_or_else(|| Error::data(format!("{} is not a loss-curve law", method.name())))?;
    let dim = which.len();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); dim];
    let mut y = Vec::new();
    let mut ctx = Vec::new();
    for (ci, (step, loss)) in sets.iter().enumerate() {
        let xs = law_inputs(step, fit_features.get(ci), &which);
        for (i, (x, &l)) in xs.chunks_exact(dim).zip(loss).enumerate() {
            for (col, &v) in cols.iter_mut().zip(x) {
                col.push(v);
            }
            y.push(l);
            ctx.extend(point_context(ci, i));
        }
    }
    let fit_law = method.law(fit_features);
    if y.len() <= fit_law.n_params() {
        return Err(Error::data(format!(
            "{} point{} to fit the {} law's {} parameters: fit on a longer part of the curve",
            y.len(),
            if y.len() == 1 { "" } else { "s" },
            method.name(),
            fit_law.n_params()
        )));
    }
    let names: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
    let obs = Observations::from_columns(&names, &cols, y).with_context(2, ctx);
    let starts = match (starts, method) {
        (None, CurveLaw::MultiPower | CurveLaw::MultiPowerWarmup) => {
            multipower_starts(curves, upto, &fit_law)
        }
        (s, _) => s,
    };
    let result = fit(
        &fit_law,
        &obs,
        &FitOptions {
            starts,
            ..fit_options()
        },
    )?;
    Ok(WindowFit {
        fit_law,
        obs,
        result,
        which,
    })
}

/// Starts of the multi-power law: (L0, A, alpha) of the Tissue law's fit
/// on the same points (its power of S1 is the same term), with the drop
/// term's (B, C) from the law's grid and beta, gamma at their grid values:
/// 4 starts instead of the 32 of the full grid, which reach the same
/// optimum on the multi-power protocol (BENCHMARKS.md). None when the
/// Tissue fit fails (the full grid is used then). These starts depend on
/// the unit of the step (Tissue's S2 is per optimizer step, and B, C are
/// read in the data's units): the law is scale-free, its default search is
/// not (BENCHMARKS.md, "Loss-curve laws in the catalog").
fn multipower_starts(curves: &[Curve], upto: &[usize], law: &Law) -> Option<Vec<Vec<f64>>> {
    // The Tissue fit alone: its predictions are not needed.
    let t = fit_windows(CurveLaw::Tissue, curves, upto, None)
        .ok()?
        .result;
    if !t.converged {
        return None;
    }
    let (b, c) = (&law.params[3], &law.params[4]);
    let mut starts = Vec::new();
    for &bv in &b.grid {
        for &cv in &c.grid {
            let p = [
                t.params[0],
                t.params[1],
                t.params[2],
                bv,
                cv,
                law.params[5].grid[0],
                law.params[6].grid[0],
            ];
            starts.push(law.to_internal(&p));
        }
    }
    Some(starts)
}

/// R^2, MAE and RMSE of predictions against truth.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Accuracy {
    /// Points compared.
    pub n: usize,
    /// Coefficient of determination.
    pub r2: f64,
    /// Why R^2 is not defined (`ErrorSums::r2_defined`), when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r2_na: Option<&'static str>,
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean square error.
    pub rmse: f64,
}

/// R^2, MAE and RMSE of `pred` against `truth` (`stats::ErrorSums`); R^2
/// is NaN (JSON null) where it is not defined, with the reason.
pub fn accuracy(pred: &[f64], truth: &[f64]) -> Accuracy {
    let e = crate::stats::ErrorSums::new(pred, truth);
    let (r2, r2_na) = e.r2_defined();
    Accuracy {
        n: e.n,
        r2,
        r2_na,
        mae: e.mae(),
        rmse: e.rmse(),
    }
}

#[cfg(test)]
mod binned_noise_tests {
    use super::*;
    use rand::SeedableRng;

    /// A reciprocal curve logged at every step 1..=n, times exp(0.01 z).
    fn noisy_curve(n: usize, seed: u64) -> Curve {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let step: Vec<f64> = (1..=n).map(|i| i as f64).collect();
        let loss = step
            .iter()
            .map(|&t| {
                (3.0 / (1.0 + t / 200.0) + 2.0)
                    * (0.01 * crate::synthetic::standard_normal(&mut rng)).exp()
            })
            .collect();
        Curve {
            name: "binned".into(),
            step,
            lr: None,
            schedule: None,
            untrained: vec![],
            lead: vec![],
            loss,
        }
    }

    /// A window of more points than a fit takes is fitted on bins, whose
    /// means carry about 1 / sqrt(points per bin) of a point's noise; the
    /// interval's noise term is still one logged point's (about
    /// z(0.95) x 0.01 = 0.0164 at 90%), said by `noise_points`. A window
    /// fitted point by point keeps its own noise term and says nothing.
    #[test]
    fn a_binned_window_keeps_one_logged_points_noise() {
        let c = noisy_curve(6000, 3);
        let f = fit_curves(CurveLaw::Reciprocal, std::slice::from_ref(&c), &[1800]).unwrap();
        assert_eq!(f.fitted().1.len(), MAX_FIT_POINTS);
        let cal = f.calibration_with(0.9, &prior::Priors::none()).unwrap();
        assert_eq!(cal.noise_points, Some(1800));
        assert!(
            (0.012..0.022).contains(&cal.noise),
            "noise term {} is not one point's",
            cal.noise
        );
        let short = fit_curves(CurveLaw::Reciprocal, std::slice::from_ref(&c), &[400]).unwrap();
        let cal = short.calibration_with(0.9, &prior::Priors::none()).unwrap();
        assert_eq!(cal.noise_points, None);
        assert!((0.008..0.025).contains(&cal.noise), "{}", cal.noise);
    }
}
