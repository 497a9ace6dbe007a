//! The fit pipeline behind `slaw fit` and `slaw compare`: split held-out
//! points, fit each group, evaluate, predict, bootstrap.

use crate::bootstrap::{bootstrap, BootstrapResult, Interval, Resampling, Scheme};
use crate::diagnostics::{evaluate, Diagnostics};
pub use crate::diagnostics::{no_better_than_constant, NoBetterThanConstant};
use crate::extrapolation::{calibrate, Calibration};
use crate::fit::{fit, FitOptions, FitResult};
use crate::law::Law;
use crate::objective::Space;
use crate::observations::{Holdout, Observations};
use crate::{Error, Result};
use rayon::prelude::*;

#[derive(Debug, Clone)]
/// One `slaw fit` run: the law, how to fit it, which points to hold out, the bootstrap and the predictions asked for.
pub struct FitJob {
    /// The law fitted to every group.
    pub law: Law,
    /// Fit options (loss, space, multi-start, tolerances).
    pub opts: FitOptions,
    /// Which points are held out of each group's fit (scored, not fitted).
    pub holdout: Holdout,
    /// Bootstrap replicates per group for the intervals (0: none); points resampled with replacement.
    pub bootstrap: usize,
    /// Seed of the bootstrap (same seed, same intervals).
    pub seed: u64,
    /// Level of the intervals (the bootstrap's and the predictions'
    /// extrapolation intervals, e.g. 0.95); None: no intervals (no
    /// bootstrap, no extrapolation interval).
    pub level: Option<f64>,
    /// Points at which to predict, one value per law input.
    pub predict: Vec<Vec<f64>>,
    /// Profile-likelihood intervals of the parameters at `level`
    /// ([`crate::profile`]), for a converged fit with more points than
    /// parameters.
    pub profile: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
/// The prediction of an alternative law fitted to the same points
/// (`Prediction::widened_to_alternative`).
pub struct AlternativePrediction {
    /// The alternative's catalog name.
    pub law: &'static str,
    /// Its prediction at the point (the loss's units).
    pub value: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
/// A prediction of the fitted law at one point, with its intervals.
#[non_exhaustive]
pub struct Prediction {
    /// The inputs, one value per law input, in the data's units.
    pub at: Vec<f64>,
    /// The fitted law's value there (the loss's units).
    pub value: f64,
    /// Bootstrap percentile interval of the prediction at the job's level (the noise of the points only); None without a bootstrap.
    pub interval: Option<Interval>,
    /// What `interval` covers: `{"kind": "bootstrap", "level": ..}`; None
    /// without it.
    pub interval_kind: Option<crate::selection::calibrate::IntervalKind>,
    /// Interval from the law's own extrapolation errors (rolling origin, see
    /// `crate::extrapolation`) at the job's level; `None` for laws with
    /// several inputs or too few points. Below the fitted points
    /// (`below_data`) it is calibrated toward smaller inputs
    /// (`GroupFit::calibration_below`).
    pub extrapolation_interval: Option<Interval>,
    /// What `extrapolation_interval` covers: `{"kind": "backtest", "level":
    /// ..}` (calibrated on the law's rolling-origin errors); None without it.
    pub extrapolation_interval_kind: Option<crate::selection::calibrate::IntervalKind>,
    /// Beyond the fitted range, `extrapolation_interval` was widened to hold
    /// the bootstrap band `interval`, which reached further on a side
    /// ([`hold_band`]).
    pub widened_to_bootstrap: bool,
    /// Beyond the fitted range, `extrapolation_interval` was widened to hold
    /// the prediction of the law's fine-tuning alternative fitted to the
    /// same points, which fell outside it ([`alternative_law`],
    /// [`hold_alternative`]); None otherwise.
    pub widened_to_alternative: Option<AlternativePrediction>,
    /// The (single) input lies below every fitted point's.
    pub below_data: bool,
    /// Outside the fitted points (beyond or below them, on some input)
    /// with intervals asked for but no extrapolation interval: why there
    /// is no predictive interval there (e.g. too few points for the
    /// rolling-origin refits that calibrate one). The bootstrap `interval`,
    /// if any, then covers the points' noise only, not the error of the
    /// extrapolation (with 4 points it covered the truth 4x beyond them in
    /// 63-73% of fits at 95%: BENCHMARKS, "Few points", 2026-12-06). None
    /// inside the data, with an extrapolation interval, or without intervals.
    pub no_predictive_interval: Option<String>,
    /// Parameters the data do not pin (`FitResult::unidentified`) that this
    /// prediction depends on (see [`depends_on`]).
    pub depends_on_unpinned: Vec<String>,
    /// Where the fit's Huber optimum is a segment (`huber_flat`), the range
    /// of the law's value here over the fits as good as the optimum (the
    /// objective equal to its value to `crate::segment::SLACK`): the data
    /// and the loss cannot choose within it. None otherwise.
    pub equal_fit_range: Option<Interval>,
    /// Per input outside the fitted points' range, what the reader should
    /// know (e.g. "N = 1e12 is 14x the largest fitted (7.2e10)"); empty
    /// inside the range of every input ([`outside_data`]).
    pub outside_data: Vec<String>,
    /// The interval reported for this prediction (`extrapolation_interval`,
    /// else the bootstrap `interval`) does not determine it: its upper end
    /// is over [`NOT_DETERMINED_RATIO`] times its lower end (it spans more
    /// than a decade), or its lower end is at the floor (0 or below, or not
    /// finite) ([`not_determined`]).
    pub not_determined: bool,
    /// How many decades that interval spans, log10(hi / lo); None without
    /// an interval or with its lower end at the floor.
    pub decades: Option<f64>,
}

/// An interval whose upper end is over this many times its lower end (it
/// spans more than a decade) does not determine the prediction: fixed
/// before the probe's cases were looked at (fix54), not tuned on them.
pub const NOT_DETERMINED_RATIO: f64 = 10.0;

/// Whether interval `iv` leaves its prediction not determined by the data
/// (its upper end over [`NOT_DETERMINED_RATIO`] times its lower end, or its
/// lower end at the floor: 0 or below, or either end not finite), and the
/// decades it spans (None with its lower end at the floor).
pub fn not_determined(iv: Option<Interval>) -> (bool, Option<f64>) {
    let Some(iv) = iv else {
        return (false, None);
    };
    if !(iv.lo > 0.0 && iv.lo.is_finite() && iv.hi.is_finite()) {
        return (true, None);
    }
    let ratio = iv.hi / iv.lo;
    (ratio > NOT_DETERMINED_RATIO, Some(ratio.log10()))
}

/// Per input of `x` outside the range of the points `obs` (each input
/// alone), a note: "NAME = V is Rx the largest fitted (M)" or "... 1/Rx the
/// smallest fitted (M)". A prediction beyond the data is an
/// extrapolation, which a law of several inputs or a pick without interval
/// would otherwise not say.
pub fn outside_data(obs: &Observations, x: &[f64]) -> Vec<String> {
    use crate::numbers::short as num;
    let mut out = Vec::new();
    for (j, &v) in x.iter().enumerate().take(obs.dim()) {
        let (lo, hi) = obs.input_range(j);
        let name = obs.input_names.get(j).map(String::as_str).unwrap_or("x");
        let ratio = |a: f64, b: f64| {
            let r = a / b;
            if r.is_finite() && r > 0.0 {
                format!("{}x", num(r))
            } else {
                "beyond".to_string()
            }
        };
        if v > hi {
            out.push(format!(
                "{name} = {} is {} the largest fitted ({})",
                num(v),
                ratio(v, hi),
                num(hi)
            ));
        } else if v < lo {
            let r = if v > 0.0 && lo > 0.0 {
                format!("1/{}", ratio(lo, v))
            } else {
                "below".to_string()
            };
            out.push(format!(
                "{name} = {} is {r} the smallest fitted ({})",
                num(v),
                num(lo)
            ));
        }
    }
    out
}

/// The law's value at `x` and its gradient in the internal parameters.
fn value_and_gradient(law: &Law, x: &[f64], internal: &[f64]) -> (f64, Vec<f64>) {
    let lnx: Vec<f64> = x.iter().map(|&v| crate::law::ln_input(v)).collect();
    let mut g = vec![0.0; internal.len()];
    let v = law.model.value_grad(x, &lnx, internal, &mut g);
    (v, g)
}

/// The parameters the data do not pin that the prediction at `x` depends
/// on. On a bound, at their start, or along a direction the Huber
/// objective is linear in (`huber_flat`): a step of 0.01 in the parameter's
/// internal value (1% for a log parameter) changes ln(prediction) by more
/// than 1e-4. Along a flat direction: a step along it that leaves the
/// fitted points `obs` in place moves the prediction
/// ([`crate::identify::unpinned_shift`]); a combination the data pin (the
/// sum of two flat parameters, say) is not counted.
pub fn depends_on(law: &Law, fit: &FitResult, obs: &Observations, x: &[f64]) -> Vec<String> {
    let id = &fit.identifiability;
    let internal = &fit.internal;
    let (v, g) = value_and_gradient(law, x, internal);
    let mut out: Vec<bool> = law
        .params
        .iter()
        .enumerate()
        .map(|(j, p)| {
            // Without flat directions to follow (J^T W J could not be
            // read), a flat parameter is judged alone, as one at a bound.
            let alone = id.flat_directions.is_empty() && id.flat.contains(&p.name);
            (alone
                || id.at_bounds.contains(&p.name)
                || id.at_start.contains(&p.name)
                || id.huber_flat.contains(&p.name))
                && (0.01 * (g[j] / v).abs() > 1e-4 || !(g[j] / v).is_finite())
        })
        .collect();
    let window = |u: &[f64]| {
        (0..obs.len())
            .map(|i| law.value_internal(obs.point(i), u))
            .collect::<Vec<f64>>()
    };
    let (lo, hi) = fit.search_bounds();
    if let Some((_, names)) =
        crate::identify::unpinned_shift(law, internal, (&lo, &hi), id, window, |u| {
            law.value_internal(x, u)
        })
    {
        for (j, p) in law.params.iter().enumerate() {
            out[j] |= names.contains(&p.name);
        }
    }
    law.params
        .iter()
        .zip(out)
        .filter(|(_, k)| *k)
        .map(|(p, _)| p.name.clone())
        .collect()
}

/// The level of the profile along which a prediction's dependence on a
/// parameter the data do not pin is judged ([`depends_on_along`]).
pub const DEPENDENCE_LEVEL: f64 = 0.95;

/// The least change of ln(prediction) along such a profile that counts as
/// depending on the parameter (1%, fixed before measuring: a loss moved by
/// less is within what the fit's own intervals carry).
pub const PROFILE_MOVED: f64 = 0.01;

/// The unpinned parameters of `fit` (on a bound, at their start, flat, or
/// along a direction the Huber objective is linear in) with, for each, the
/// parameters at the points of its profile the data do not exclude at
/// [`DEPENDENCE_LEVEL`] ([`crate::profile::paths`]). Empty when none is
/// unpinned or the fit did not converge.
pub fn unpinned_paths(
    law: &Law,
    fit: &FitResult,
    obs: &Observations,
    opts: &FitOptions,
) -> Vec<(String, Vec<Vec<f64>>)> {
    let id = &fit.identifiability;
    let names: Vec<String> = law
        .params
        .iter()
        .map(|p| p.name.clone())
        .filter(|n| id.unidentified.contains(n) || id.huber_flat.contains(n))
        .collect();
    if names.is_empty() || !fit.converged {
        return Vec::new();
    }
    crate::profile::paths(law, obs, fit, opts, DEPENDENCE_LEVEL, &names)
}

/// [`depends_on`], and the parameters of `paths` ([`unpinned_paths`])
/// along whose profile the prediction at `x` moves by more than
/// [`PROFILE_MOVED`] in ln: a parameter on its bound that the others trade
/// with (E at 2e-10 while the data allow 3.4 with B, D_l and beta refitted)
/// moves a prediction that a small step with the others held does not.
pub fn depends_on_along(
    law: &Law,
    fit: &FitResult,
    obs: &Observations,
    x: &[f64],
    paths: &[(String, Vec<Vec<f64>>)],
) -> Vec<String> {
    let mut on = depends_on(law, fit, obs, x);
    let base = law.value_internal(x, &fit.internal);
    for (name, points) in paths {
        if on.contains(name) {
            continue;
        }
        let moves = points.iter().any(|u| {
            let v = law.value_internal(x, u);
            let d = (v / base).ln().abs();
            !d.is_finite() || d > PROFILE_MOVED
        });
        if moves {
            on.push(name.clone());
        }
    }
    // in the law's order
    law.params
        .iter()
        .filter(|p| on.contains(&p.name))
        .map(|p| p.name.clone())
        .collect()
}

#[derive(Debug, Clone, serde::Serialize)]
/// One group's fit with its diagnostics, bootstrap and predictions.
#[non_exhaustive]
pub struct GroupFit {
    /// The group's key (empty when ungrouped).
    pub group: String,
    /// The fitted law (parameters by name, intervals once bootstrapped, termination).
    pub fit: FitResult,
    /// Set when the fit explains the fitted points no better than a
    /// constant (the fit is then not converged; its termination says so).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_better_than_constant: Option<NoBetterThanConstant>,
    /// Errors on the fitted points.
    pub train: Diagnostics,
    /// Errors on the held-out points, when some were held out.
    pub heldout: Option<Diagnostics>,
    /// One per point of `FitJob::predict`, in that order.
    pub predictions: Vec<Prediction>,
    /// The bootstrap behind the intervals, when run (it runs only on a converged fit).
    pub bootstrap: Option<BootstrapResult>,
    /// The parameters' profile-likelihood intervals ([`crate::profile`]),
    /// when asked for (`FitJob::profile`) and the fit converged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<crate::profile::Profile>,
    /// What the lack-of-fit checks saw ([`crate::lack_of_fit`]): the law
    /// does not follow the fitted points' end, or the held-out points;
    /// empty when it does (or the checks do not apply: a law of several
    /// inputs, fewer than [`crate::lack_of_fit::MIN_POINTS`] points, a fit
    /// that did not converge). Each is among the fit's warnings too.
    pub lack_of_fit: Vec<crate::lack_of_fit::LackOfFit>,
    /// The rolling-origin calibration behind the extrapolation intervals
    /// beyond the fitted points' largest input.
    pub calibration: Option<Calibration>,
    /// The same toward smaller inputs (origins keep the largest points and
    /// score the smaller), behind the intervals below the fitted points'
    /// smallest input; computed only when a prediction lies there.
    pub calibration_below: Option<Calibration>,
    #[serde(skip)]
    /// Indices (into the observations) of the fitted points.
    pub train_idx: Vec<usize>,
    #[serde(skip)]
    /// Indices of the held-out points.
    pub held_idx: Vec<usize>,
}

/// The first fitted point (file, row, column) where `law` is undefined at
/// every start of its grid: not finite, or not > 0 for a fit in log space.
/// The column is the input whose value is 0 (else negative, else the
/// first). `None` when every point is defined at some start.
pub fn undefined_row(law: &Law, train: &Observations, space: Space) -> Option<Error> {
    let starts = law.grid();
    let starts = &starts[..starts.len().min(256)];
    let bad = |v: f64| !v.is_finite() || (space == Space::Log && v <= 0.0);
    (0..train.len()).find_map(|i| {
        let x = train.point(i);
        if !starts.iter().all(|s| bad(law.value_internal(x, s))) {
            return None;
        }
        let j = x
            .iter()
            .position(|v| *v == 0.0)
            .or_else(|| x.iter().position(|v| *v < 0.0))
            .unwrap_or(0);
        let value = law.value_internal(x, &starts[0]);
        Some(Error::input(
            &train.source,
            train.line.get(i).copied(),
            train.input_names.get(j).map(String::as_str),
            format!(
                "value {}: law '{}' is {} at this row for every starting value; drop the row or \
                 change the law",
                crate::numbers::g6(x[j]),
                law.name,
                if !value.is_finite() {
                    format!("not finite ({value})")
                } else {
                    format!(
                        "{}, not > 0 (a fit in log space takes its logarithm)",
                        crate::numbers::g6(value)
                    )
                }
            ),
        ))
    })
}

/// Check inputs against the law before fitting: one column per law input,
/// values in the law's domain, y > 0 for a log-space fit.
pub fn validate(law: &Law, obs: &Observations, space: Space, y_name: &str) -> Result<()> {
    if obs.dim() != law.inputs.len() {
        return Err(Error::setting(
            crate::error::Setting::Inputs,
            format!(
                "law '{}' takes {} input(s) ({}) but {} column(s) were given ({})",
                law.name,
                law.inputs.len(),
                law.inputs.join(", "),
                obs.dim(),
                obs.input_names.join(", ")
            ),
        ));
    }
    obs.validate(&law.domains, space == Space::Log, y_name)
}

/// Fit every group (one fit when ungrouped). `on_bootstrap` ticks once per
/// bootstrap replicate.
pub fn run(
    job: &FitJob,
    obs: &Observations,
    on_bootstrap: &(dyn Fn() + Sync),
) -> Result<Vec<GroupFit>> {
    // Too few replicates for a percentile interval at the level: refused,
    // not a zero-width interval (the CLI checks its flags the same way).
    if let Some(level) = job.level {
        crate::bootstrap::Resampling::new(job.bootstrap, level, job.seed).check_replicates()?;
    }
    for p in &job.predict {
        if p.len() != job.law.inputs.len() {
            return Err(Error::setting(
                crate::error::Setting::Predict,
                format!(
                    "needs {} value(s) ({}), got {}",
                    job.law.inputs.len(),
                    job.law.inputs.join(", "),
                    p.len()
                ),
            ));
        }
        for ((v, d), name) in p.iter().zip(&job.law.domains).zip(&job.law.inputs) {
            if !d.admits(*v) {
                return Err(Error::setting(
                    crate::error::Setting::Predict,
                    format!(
                        "cannot predict at {name} = {v}: law '{}' needs {name} {}",
                        job.law.name,
                        d.requirement()
                    ),
                ));
            }
        }
    }
    // Groups in parallel (each fit's own starts are few and short: the
    // parallelism pays across groups), in their order.
    // The first failing group in order reports (as a sequential loop would).
    let fits: Vec<Result<GroupFit>> = obs
        .groups()
        .into_par_iter()
        .map(|group| fit_group(job, obs, group, on_bootstrap))
        .collect();
    fits.into_iter().collect()
}

/// A group [`run`] is not given: too few points to fit for the law's
/// parameters.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct SkippedGroup {
    /// The group's key.
    pub group: String,
    /// Why, in words.
    pub reason: String,
}

/// With several groups, the groups with fewer points to fit (after the
/// hold-out) than the law has parameters, and the observations of the
/// others (None when every group can be fitted, or none can: then [`run`]
/// on all of them says what is wrong). One such group no longer stops the
/// fit of the rest, as `forecast` skips a run and `select` a candidate.
pub fn fittable_groups(
    job: &FitJob,
    obs: &Observations,
) -> (Option<Observations>, Vec<SkippedGroup>) {
    let groups = obs.groups();
    if groups.len() < 2 {
        return (None, Vec::new());
    }
    let p = job.law.n_params();
    let mut keep = Vec::new();
    let mut skipped = Vec::new();
    for g in groups {
        let idx = obs.group_indices(&g);
        let (train, held) = job.holdout.split(obs, &idx);
        if train.len() < p {
            skipped.push(SkippedGroup {
                reason: format!(
                    "group '{g}': {} point{} to fit{} but law '{}' has {p} free parameters: not \
                     fitted",
                    train.len(),
                    if train.len() == 1 { "" } else { "s" },
                    if held.is_empty() {
                        String::new()
                    } else {
                        format!(" ({} held out)", held.len())
                    },
                    job.law.name,
                ),
                group: g,
            });
        } else {
            keep.extend(idx);
        }
    }
    if skipped.is_empty() || keep.is_empty() {
        return (None, Vec::new());
    }
    keep.sort_unstable();
    (Some(obs.subset(&keep)), skipped)
}

/// One group's fit, bootstrap, calibration and predictions.
fn fit_group(
    job: &FitJob,
    obs: &Observations,
    group: String,
    on_bootstrap: &(dyn Fn() + Sync),
) -> Result<GroupFit> {
    {
        let group_idx = obs.group_indices(&group);
        let (mut train_idx, mut held_idx) = job.holdout.split(obs, &group_idx);
        // The points in a canonical order, not the file's: the objective
        // sums them in this order, so the same rows in another order gave
        // other last digits, and at times another verdict (a bound, a
        // termination). The rows keep their line numbers for messages.
        obs.sort_canonical(&mut train_idx);
        obs.sort_canonical(&mut held_idx);
        if !held_idx.is_empty() && train_idx.len() < job.law.n_params() {
            // say that the hold-out took the points, not only that too few are left
            return Err(Error::setting(
                crate::error::Setting::Holdout,
                format!(
                    "holding out {} point(s) leaves {} to fit{} but law '{}' has {} free \
                     parameters: hold out fewer",
                    held_idx.len(),
                    train_idx.len(),
                    if group.is_empty() {
                        String::new()
                    } else {
                        format!(" in group '{group}'")
                    },
                    job.law.name,
                    job.law.n_params()
                ),
            ));
        }
        let train = obs.part(&train_idx);
        let mut res = match fit(&job.law, &train, &job.opts) {
            Ok(r) => r,
            // A law undefined at a row at every start: that row, by file,
            // row and column (as a catalog law's domain check names it),
            // not only that no start could be evaluated.
            Err(e) => return Err(undefined_row(&job.law, &train, job.opts.space).unwrap_or(e)),
        };
        let group_obs = obs.part(&group_idx);
        res.warnings.extend(group_obs.far_value_warnings());
        res.warnings.extend(group_obs.duplicate_point_warnings());
        res.warnings.extend(group_obs.trend_break_warnings());
        let train_diag = evaluate(&job.law, &res.params, &train);
        // An optimum no better than a constant is no fit: not converged,
        // said, and the JSON's termination says why.
        let no_better = no_better_than_constant(&job.law, &res, &train, &job.opts, &train_diag);
        if let Some(v) = &no_better {
            res.converged = false;
            res.termination = crate::solver::Termination::NoBetterThanConstant;
            res.termination_message = v.message();
            res.warnings.push(v.warning());
        }
        let heldout =
            (!held_idx.is_empty()).then(|| evaluate(&job.law, &res.params, &obs.subset(&held_idx)));
        let level = job.level.filter(|_| res.converged);
        // With as many points as parameters every resample interpolates:
        // no bootstrap (the fit's warning says so).
        let n_fitted = train.weight.iter().filter(|w| **w > 0.0).count();
        let estimable = n_fitted > job.law.n_params();
        let boot = level
            .filter(|_| job.bootstrap > 0 && estimable)
            .map(|level| {
                // drawn from the points in a canonical order: the same
                // seed gives the same intervals whatever the row order
                bootstrap(
                    &job.law,
                    &train.canonical(),
                    &res,
                    &job.opts,
                    &Resampling::new(job.bootstrap, level, job.seed),
                    Scheme::Points,
                    &job.predict,
                    on_bootstrap,
                )
            });
        // The profile: a parameter open on a side is loosely determined
        // (its standard error is local), unless already not pinned.
        // (None, said, where the residuals give no noise scale: a perfect fit)
        let profile = match level.filter(|_| job.profile && estimable) {
            Some(level) => {
                match crate::profile::profile(&job.law, &train, &res, &job.opts, level) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        res.warnings.push(e.to_string());
                        None
                    }
                }
            }
            None => None,
        };
        if let Some(pr) = &profile {
            for name in pr.open() {
                if !res.identifiability.unidentified.contains(&name)
                    && !res.identifiability.loose.contains(&name)
                {
                    res.identifiability.loose.push(name);
                }
            }
            let order = res.params.names().to_vec();
            res.identifiability
                .loose
                .sort_by_key(|n| order.iter().position(|m| m == n));
            res.warnings.extend(pr.open_warning());
            if pr.lower_found {
                res.warnings.push(
                    "a refit of the profile reached a lower objective than the fit's optimum: \
                     the search did not find the lowest point; the profile intervals are \
                     measured from the fit's"
                        .into(),
                );
            }
        }
        let calibration = level
            .filter(|_| !job.predict.is_empty())
            .and_then(|level| calibrate(&job.law, &train, &res, &job.opts, level, false));
        // Below the data the forward calibration says nothing (its
        // distance is 0 there): one calibrated toward smaller inputs.
        let (first, last) = train.input_range(0);
        let below = |x: &[f64]| x.len() == 1 && x[0] < first;
        let calibration_below = level
            .filter(|_| job.predict.iter().any(|x| below(x)))
            .and_then(|level| calibrate(&job.law, &train, &res, &job.opts, level, true));
        // Beyond the data, a fine-tuning law's alternative fitted to the
        // same points: where its prediction falls outside the interval,
        // the interval holds it (a misspecification the backtest misses).
        let alternative = calibration
            .as_ref()
            .filter(|_| job.predict.iter().any(|x| x.len() == 1 && x[0] > last))
            .and_then(|_| alternative_law(&job.law))
            .and_then(|(name, alt)| {
                let opts = FitOptions {
                    starts: None,
                    ..job.opts.clone()
                };
                let r = fit(&alt, &train, &opts).ok().filter(|r| r.converged)?;
                Some((name, alt, r))
            });
        // A formula law has no declared domain: a prediction it cannot
        // make (log of a negative, division by zero) is an error, as one
        // outside a catalog law's domain is, never a NaN or inf printed.
        let names: Vec<&str> = job.law.inputs.iter().map(String::as_str).collect();
        for x in &job.predict {
            job.law.predict_finite(x, &res.params, &names)?;
        }
        // What the data do not exclude of the unpinned parameters, once for
        // every prediction.
        let paths = if job.predict.is_empty() {
            Vec::new()
        } else {
            unpinned_paths(&job.law, &res, &train, &job.opts)
        };
        let predictions: Vec<Prediction> = job
            .predict
            .iter()
            .enumerate()
            .map(|(k, x)| {
                let cal = if below(x) {
                    calibration_below.as_ref()
                } else {
                    calibration.as_ref()
                };
                let value = res.predict(x);
                let band = boot.as_ref().map(|b| b.predictions[k]);
                // Inside the fitted range (edges included) the prediction
                // interpolates: the curve's own uncertainty there (its
                // bootstrap band, else its linearised standard error times
                // Student's t) combined with the residual noise floor,
                // never narrower than either (the noise floor alone was).
                let inside = x.len() == 1 && x[0] >= first && x[0] <= last;
                let (extrapolation_interval, kind) = match cal {
                    Some(c) if inside => (
                        match band {
                            Some(_) => interpolation_interval(value, band, c.noise),
                            None => prediction_spread(&job.law, &res, x, n_fitted, c.level)
                                .and_then(|s| linearised_interval(value, s, c.noise)),
                        },
                        crate::selection::calibrate::IntervalKind::Interpolation {
                            level: c.level,
                            bootstrap: band.is_some(),
                        },
                    ),
                    _ => (
                        cal.and_then(|c| c.interval(x[0], value)),
                        crate::selection::calibrate::IntervalKind::Backtest {
                            level: cal.map_or(0.0, |c| c.level),
                        },
                    ),
                };
                // Beyond the data the backtest interval holds the bootstrap
                // band too, where the band reaches further: a predictive
                // interval is never narrower than the fit's own uncertainty.
                let (extrapolation_interval, widened_to_bootstrap) = if inside {
                    (extrapolation_interval, false)
                } else {
                    hold_band(extrapolation_interval, band)
                };
                let (extrapolation_interval, widened_to_alternative) = match &alternative {
                    Some((name, alt, r)) if x.len() == 1 && x[0] > last => {
                        let other = AlternativePrediction {
                            law: name,
                            value: alt.predict(x, &r.params),
                        };
                        hold_alternative(extrapolation_interval, other)
                    }
                    _ => (extrapolation_interval, None),
                };
                let (not_determined, decades) = not_determined(extrapolation_interval.or(band));
                let outside = outside_data(&train, x);
                let no_predictive_interval = level
                    .filter(|_| extrapolation_interval.is_none() && !outside.is_empty())
                    .map(|_| {
                        if value > 0.0 {
                            no_predictive_reason(
                                &job.law,
                                &train,
                                below(x) && calibration.is_some(),
                            )
                        } else {
                            NOT_POSITIVE_REASON.to_string()
                        }
                    });
                Prediction {
                    no_predictive_interval,
                    not_determined,
                    decades,
                    at: x.clone(),
                    value,
                    interval: band,
                    interval_kind: boot.as_ref().map(|b| {
                        crate::selection::calibrate::IntervalKind::Bootstrap { level: b.level }
                    }),
                    extrapolation_interval_kind: cal
                        .filter(|_| extrapolation_interval.is_some())
                        .map(|_| kind),
                    extrapolation_interval,
                    widened_to_bootstrap,
                    widened_to_alternative,
                    below_data: below(x),
                    depends_on_unpinned: depends_on_along(&job.law, &res, &train, x, &paths),
                    equal_fit_range: crate::segment::prediction_range(
                        &job.law, &res, &train, &job.opts, x,
                    )
                    .map(|(lo, hi)| Interval { lo, hi }),
                    outside_data: outside,
                }
            })
            .collect();
        // Does the law follow the points (their end, the held-out ones)?
        // Said among the fit's warnings too.
        let lack_of_fit = if res.converged {
            lack_of_fit(
                &job.law,
                &res,
                obs,
                &train_idx,
                &held_idx,
                train_diag.rmsd_log,
            )
        } else {
            Vec::new()
        };
        res.warnings
            .extend(lack_of_fit.iter().map(|l| l.message.clone()));
        // A loss fitted on the log scale predicted at or below 0: the law
        // has crossed 0 beyond the data, where no loss can be.
        if obs.y.iter().all(|&y| y > 0.0) {
            res.warnings
                .extend(not_positive_warning(&job.law, &predictions));
        }
        // The unpinned parameters' warning: which predictions depend on them.
        say_which_predictions_depend(&mut res, &predictions);
        if let Some(b) = &boot {
            res.set_intervals(b.params.clone(), b.level);
        }
        Ok(GroupFit {
            lack_of_fit,
            group,
            fit: res,
            no_better_than_constant: no_better,
            train: train_diag,
            heldout,
            predictions,
            bootstrap: boot,
            profile,
            calibration,
            calibration_below,
            train_idx,
            held_idx,
        })
    }
}

/// The lack-of-fit checks of a converged fit `res` of a single-input `law`
/// on the points `train_idx` of `obs` (sorted by the input), with the
/// held-out points `held_idx` ([`crate::lack_of_fit::end_test`],
/// [`crate::lack_of_fit::held_out_test`]); none for a law of several inputs
/// or points that carry a context (several curves).
fn lack_of_fit(
    law: &Law,
    res: &FitResult,
    obs: &Observations,
    train_idx: &[usize],
    held_idx: &[usize],
    fit_rmsd: f64,
) -> Vec<crate::lack_of_fit::LackOfFit> {
    if law.inputs.len() != 1 || obs.context_dim != 0 {
        return Vec::new();
    }
    let ln_res = |idx: &[usize]| -> Vec<f64> {
        let mut idx = idx.to_vec();
        idx.sort_by(|&a, &b| obs.point(a)[0].total_cmp(&obs.point(b)[0]));
        idx.iter()
            .map(|&i| obs.y[i].ln() - res.predict(obs.point(i)).ln())
            .collect()
    };
    let train = ln_res(train_idx);
    let mut out: Vec<_> = crate::lack_of_fit::end_test(&train).into_iter().collect();
    if out.is_empty() {
        let mut idx = train_idx.to_vec();
        idx.sort_by(|&a, &b| obs.point(a)[0].total_cmp(&obs.point(b)[0]));
        let ln_y: Vec<f64> = idx.iter().map(|&i| obs.y[i].ln()).collect();
        out.extend(crate::lack_of_fit::mean_test(&ln_y, &train));
    }
    if !held_idx.is_empty() {
        out.extend(crate::lack_of_fit::held_out_test(
            &train,
            &ln_res(held_idx),
            fit_rmsd,
        ));
    }
    out
}

/// The start of the warning that the data do not pin parameters
/// ([`crate::identify`]); [`say_which_predictions_depend`] completes it.
pub const UNPINNED_WARNING_START: &str = "the data do not pin ";

/// Completes the fit's warning that the data do not pin parameters with
/// which of `predictions` depend on them (`depends_on_unpinned`): none, or
/// how many; without predictions it says a prediction that depends on them
/// would not be determined by the data.
fn say_which_predictions_depend(res: &mut FitResult, predictions: &[Prediction]) {
    let depend = predictions
        .iter()
        .filter(|p| !p.depends_on_unpinned.is_empty())
        .count();
    let clause = if predictions.is_empty() {
        "a prediction that depends on them would not be determined by the data".to_string()
    } else if depend == 0 {
        format!(
            "none of the {} prediction{} asked for depends on them",
            predictions.len(),
            if predictions.len() == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "{depend} of the {} prediction{} asked for depend{} on them and {} not determined by the data",
            predictions.len(),
            if predictions.len() == 1 { "" } else { "s" },
            if depend == 1 { "s" } else { "" },
            if depend == 1 { "is" } else { "are" },
        )
    };
    // the fit's warnings hold a copy of the identifiability's
    for w in res
        .identifiability
        .warnings
        .iter_mut()
        .chain(res.warnings.iter_mut())
    {
        if w.starts_with(UNPINNED_WARNING_START) && !w.contains("prediction") {
            *w = format!("{w}; {clause}");
        }
    }
}

/// Why a prediction at or below 0 of a law fitted to positive values has
/// no predictive interval ([`Prediction::no_predictive_interval`]).
pub const NOT_POSITIVE_REASON: &str =
    "the law's value there is at or below 0, where a loss cannot be: an interval on the log \
     scale has nothing to stand on";

/// The warning for the `predictions` of `law` (fitted to positive values)
/// at or below 0: the law crosses 0 beyond the data (a logarithm or a line
/// that keeps falling), so the value is not a loss and no interval around
/// it is one; None when every prediction is positive.
pub fn not_positive_warning(law: &Law, predictions: &[Prediction]) -> Option<String> {
    let bad: Vec<String> = predictions
        .iter()
        .filter(|p| p.value <= 0.0 || p.value.is_nan())
        .map(|p| {
            let at: Vec<String> = law
                .inputs
                .iter()
                .zip(&p.at)
                .map(|(n, v)| format!("{n} = {}", crate::numbers::short(*v)))
                .collect();
            format!("{} at {}", crate::numbers::g6(p.value), at.join(", "))
        })
        .collect();
    (!bad.is_empty()).then(|| {
        format!(
            "the law predicts a value at or below 0 ({}) from points that are all positive: it \
             crosses 0 beyond the data, where no loss can be, so that value is not a prediction \
             of the loss (and no interval around it covers one); a law with a floor (a power law \
             plus a constant) extrapolates a loss that stays positive",
            bad.join("; ")
        )
    })
}

/// Why a prediction outside the fitted points `obs` of `law` has no
/// predictive (extrapolation) interval ([`Prediction::no_predictive_interval`]):
/// a law of several inputs (calibrated along one input only), a loss at or
/// below 0 (no log error), or too few points for the rolling-origin refits
/// (`below_only`: there are enough beyond the data, not toward smaller x).
pub fn no_predictive_reason(law: &Law, obs: &Observations, below_only: bool) -> String {
    let n = obs.len();
    let p = law.n_params();
    let need = crate::extrapolation::min_points_to_calibrate(p);
    if law.inputs.len() != 1 {
        "a law of several inputs has no calibrated extrapolation interval (its rolling-origin \
         calibration runs along one input)"
            .to_string()
    } else if obs.y.iter().any(|&y| y <= 0.0) {
        "a loss at or below 0 has no log error for the rolling-origin calibration".to_string()
    } else if below_only {
        "too few points for the rolling-origin refits toward smaller x that calibrate one"
            .to_string()
    } else if n < need {
        format!(
            "{n} points for a law of {p} parameters are too few for the rolling-origin refits \
             that calibrate one (it needs {need}: refits on the first points, each scored on \
             the later ones); a bootstrap covers the points' noise only, not the error of the \
             extrapolation"
        )
    } else {
        "the rolling-origin refits that calibrate one gave too few scores (refits that did not \
         converge); a bootstrap covers the points' noise only, not the error of the \
         extrapolation"
            .to_string()
    }
}

/// A backtest interval `ext` widened to hold the bootstrap `band` on each
/// side where the band reaches further (the hull of the two), and whether
/// it moved. Measured (BENCHMARKS, "Extrapolation intervals of `slaw
/// fit`", 2026-12-05): on the (Mis)Fitting windows it moves one window's
/// coverage (no cell leaves 80-97%); on the 60 fine-tuning curves
/// extrapolated 16-64x it takes the rectified law's 90% coverage from
/// 73-83% to 85-90%.
pub fn hold_band(ext: Option<Interval>, band: Option<Interval>) -> (Option<Interval>, bool) {
    match (ext, band) {
        (Some(e), Some(b)) if b.lo.is_finite() && b.hi.is_finite() => {
            let held = Interval {
                lo: e.lo.min(b.lo),
                hi: e.hi.max(b.hi),
            };
            let moved = held.lo < e.lo || held.hi > e.hi;
            (Some(held), moved)
        }
        (e, _) => (e, false),
    }
}

/// The alternative whose prediction a fine-tuning law's extrapolation
/// interval holds ([`hold_alternative`]): the rectified law (a pre-power
/// phase, `L = B / (D_l + D^beta) + E`, in which the power law is nested)
/// for the catalog's `power` and `vanilla-ft`; None for any other law.
/// Measured (BENCHMARKS, "Extrapolation intervals of `slaw fit`",
/// 2026-12-05, fitcov54): on the 60 fine-tuning curves of FLAN and WMT19
/// extrapolated 64x / 16x, the 90% interval's coverage rose from 62% / 68%
/// to 70% / 77% (power) and from 72% to 78% (vanilla-ft, 16x); on the
/// (Mis)Fitting windows and on curves drawn from either law the
/// alternative's prediction fell inside every interval (nothing moved).
pub fn alternative_law(law: &Law) -> Option<(&'static str, Law)> {
    let same = |c: Law| c.name == law.name && c.formula == law.formula;
    (same(crate::law::catalog::power()) || same(crate::law::catalog::vanilla_ft()))
        .then(|| ("rectified", crate::law::catalog::rectified()))
}

/// An extrapolation interval `ext` widened to hold an alternative law's
/// prediction `other` where it falls outside (positive and finite), and
/// the alternative when it moved.
pub fn hold_alternative(
    ext: Option<Interval>,
    other: AlternativePrediction,
) -> (Option<Interval>, Option<AlternativePrediction>) {
    let v = other.value;
    match ext {
        Some(e) if v > 0.0 && v.is_finite() && (v < e.lo || v > e.hi) => (
            Some(Interval {
                lo: e.lo.min(v),
                hi: e.hi.max(v),
            }),
            Some(other),
        ),
        e => (e, None),
    }
}

/// The predictive interval of a prediction `value` inside the fitted
/// range (an interpolation): each side of the bootstrap `band` (in ln L,
/// from the prediction) combined in quadrature with the residual noise
/// floor `noise` (ln L), so it holds the band and is at least the floor
/// wide; without a band, the floor alone. None for a value that is not
/// positive and finite.
pub fn interpolation_interval(value: f64, band: Option<Interval>, noise: f64) -> Option<Interval> {
    if !(value > 0.0 && value.is_finite()) {
        return None;
    }
    let (below, above) = match band {
        Some(b) if b.lo > 0.0 && b.hi.is_finite() => {
            ((value / b.lo).ln().max(0.0), (b.hi / value).ln().max(0.0))
        }
        _ => (0.0, 0.0),
    };
    Some(Interval {
        lo: value * (-below.hypot(noise)).exp(),
        hi: value * above.hypot(noise).exp(),
    })
}

/// The fit's own uncertainty of ln(prediction) at `x`, as a half-width at
/// `level`: Student's t quantile at (1 + level) / 2 with n - p degrees of
/// freedom (`n_fitted` points, p parameters) times the linearised standard
/// error sqrt(g' C g) (the delta method: g = d ln f(x) / d theta in the
/// law's internal parameters, C the covariance the standard errors come
/// from, Huber's sandwich for a Huber fit). C leaves out the flat
/// directions, which inside the fitted range move the prediction little
/// (they leave the fitted points in place); a prediction that depends on a
/// parameter the data do not pin says so (`depends_on_unpinned`). None
/// without a covariance, without degrees of freedom, or where the value or
/// its gradient is not finite.
pub fn prediction_spread(
    law: &Law,
    fit: &FitResult,
    x: &[f64],
    n_fitted: usize,
    level: f64,
) -> Option<f64> {
    let p = fit.internal.len();
    let cov = &fit.identifiability.cov_internal;
    if p == 0 || cov.len() != p * p || n_fitted <= p {
        return None;
    }
    let (v, g) = value_and_gradient(law, x, &fit.internal);
    if !(v > 0.0 && v.is_finite()) || g.iter().any(|d| !d.is_finite()) {
        return None;
    }
    let g: Vec<f64> = g.iter().map(|d| d / v).collect();
    let mut var = 0.0;
    for a in 0..p {
        for b in 0..p {
            var += g[a] * cov[a * p + b] * g[b];
        }
    }
    let t = crate::stats::student_t_quantile(0.5 + level / 2.0, n_fitted - p);
    let spread = t * var.max(0.0).sqrt();
    spread.is_finite().then_some(spread)
}

/// The predictive interval of a prediction `value` inside the fitted range
/// without a bootstrap: the fit's own uncertainty `spread`
/// ([`prediction_spread`], ln L) combined in quadrature with the residual
/// noise floor `noise` (ln L), symmetric in ln L. None for a value that is
/// not positive and finite.
pub fn linearised_interval(value: f64, spread: f64, noise: f64) -> Option<Interval> {
    if !(value > 0.0 && value.is_finite()) {
        return None;
    }
    let h = spread.hypot(noise);
    Some(Interval {
        lo: value * (-h).exp(),
        hi: value * h.exp(),
    })
}

#[derive(Debug, Clone, serde::Serialize)]
/// One law's standing in `slaw compare`: its errors, criteria and rank.
#[non_exhaustive]
pub struct RankedLaw {
    /// The law's name (or formula).
    pub law: String,
    /// Mean over groups of the held-out RMSD of log L (the ranking key).
    pub heldout_rmsd_log: f64,
    /// Mean over groups of the training RMSD of log L.
    pub train_rmsd_log: f64,
    /// Sum over groups of the fit objective.
    pub objective: f64,
    /// Every group's fit converged.
    pub all_converged: bool,
    /// Free parameters of the law (per group).
    pub n_params: usize,
    /// Position in the ranking (1 = best); `None` for laws that were not
    /// ranked (skipped, or a fit that did not converge).
    pub rank: Option<usize>,
    /// "ranked", "not converged" or "skipped".
    pub status: String,
    /// Why a law was skipped.
    pub reason: Option<String>,
    /// Akaike and Bayesian information criteria of the fit on the training
    /// points (Gaussian residuals on log L, summed over groups):
    /// n ln(RSS/n) + 2k and n ln(RSS/n) + k ln n. The ranking key when no
    /// point is held out.
    pub aic: f64,
    /// See `aic`.
    pub bic: f64,
    /// Fewest starts, over groups, that reached a group's best optimum.
    pub n_best: usize,
    /// Parameters the data do not pin in some group (see `FitResult::unidentified`).
    pub unidentified: Vec<String>,
    /// What the user should know (parameters at bounds, unpinned parameters, groups that did not converge).
    pub warnings: Vec<String>,
}

impl RankedLaw {
    /// A law that was not fitted, and why.
    pub fn skipped(law: &Law, reason: String) -> RankedLaw {
        RankedLaw {
            law: law.name.clone(),
            heldout_rmsd_log: f64::NAN,
            train_rmsd_log: f64::NAN,
            objective: f64::NAN,
            all_converged: false,
            n_params: law.n_params(),
            rank: None,
            status: "skipped".into(),
            reason: Some(reason),
            aic: f64::NAN,
            bic: f64::NAN,
            n_best: 0,
            unidentified: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// Per group of `obs` (in order): its name, how many of its training points
/// `holdout` leaves with a positive weight (the points a fit sees), and how
/// many it holds out. The one count `compare`'s checks read.
fn fitted_counts(obs: &Observations, holdout: &Holdout) -> Vec<(String, usize, usize)> {
    obs.groups()
        .into_iter()
        .map(|group| {
            let (train, held) = holdout.split(obs, &obs.group_indices(&group));
            let n = train.iter().filter(|&&i| obs.weight[i] > 0.0).count();
            (group, n, held.len())
        })
        .collect()
}

/// " in group 'g'", or nothing for the one unnamed group.
fn in_group(group: &str) -> String {
    if group.is_empty() {
        String::new()
    } else {
        format!(" in group '{group}'")
    }
}

/// Why `law` cannot be fitted to every group of `obs` (fewer training points
/// with a positive weight than parameters), or `None`.
pub fn cannot_fit(law: &Law, obs: &Observations, holdout: &Holdout) -> Option<String> {
    fitted_counts(obs, holdout)
        .into_iter()
        .find(|(_, n, _)| *n < law.n_params())
        .map(|(group, n, _)| {
            format!(
                "{} parameters but {n} fitted point(s){}",
                law.n_params(),
                in_group(&group)
            )
        })
}

/// Rank `laws` on `obs` by held-out error, as [`compare`], after skipping
/// the laws whose inputs or domain do not fit the data: those are reported
/// last, unranked, with the reason.
pub fn compare_fittable(
    laws: Vec<Law>,
    obs: &Observations,
    opts: &FitOptions,
    holdout: &Holdout,
    y_name: &str,
) -> Result<Vec<RankedLaw>> {
    let (fittable, unfit) = split_fittable(laws, obs, opts.space, y_name);
    let mut ranked = compare(&fittable, obs, opts, holdout)?;
    for (law, reason) in unfit {
        ranked.push(RankedLaw::skipped(&law, reason));
    }
    Ok(ranked)
}

/// The laws whose inputs and domain fit the data (see [`validate`]), and
/// the others with the reason.
pub fn split_fittable(
    laws: Vec<Law>,
    obs: &Observations,
    space: crate::objective::Space,
    y_name: &str,
) -> (Vec<Law>, Vec<(Law, String)>) {
    let mut fittable = Vec::new();
    let mut unfit = Vec::new();
    for law in laws {
        match validate(&law, obs, space, y_name) {
            Ok(()) => fittable.push(law),
            Err(e) => unfit.push((law, e.to_string())),
        }
    }
    (fittable, unfit)
}

/// The laws `slaw compare` fits when none are named, for `n_inputs` input
/// columns: for one, the learning-curve pool the backtest pick was
/// benchmarked with (the shipped rule's, [`crate::pick::Rule::shipped`]);
/// for more, every catalog law of that many inputs (none: empty).
pub fn compare_laws(n_inputs: usize) -> Vec<String> {
    if n_inputs <= 1 {
        return crate::pick::Rule::shipped().pool;
    }
    crate::law::catalog::all()
        .into_iter()
        .filter(|l| l.inputs.len() == n_inputs)
        .map(|l| l.name)
        .collect()
}

/// The laws `names` (as a pick's pool names them, [`crate::pick::pool_law`]),
/// each named once.
fn pool_laws(names: &[String]) -> Result<Vec<Law>> {
    if names.is_empty() {
        return Err(Error::setting(
            crate::error::Setting::Laws,
            "name at least one law",
        ));
    }
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(Error::setting(
                crate::error::Setting::Laws,
                format!("law '{n}' is named twice"),
            ));
        }
    }
    names.iter().map(|n| crate::pick::pool_law(n)).collect()
}

/// Laws left out of a comparison, each with the reason.
pub type Skipped = Vec<(Law, String)>;

/// `slaw compare`'s backtest pick ([`crate::pick::pick_groups_with`], the
/// shipped rule with the laws given as its pool) of the laws `names` (named
/// as a pick's pool, [`crate::pick::pool_law`]; M4 by its authors'
/// procedure is fitted by the pick itself), per group of `obs` (one input).
/// The catalog laws whose inputs or domain do not fit the data are left out
/// and returned beside, with the reason. `drift` false: the rule without
/// its learned drift correction ([`crate::pick::Correction::None`]; the
/// prior was learned on language-model learning curves, whose later losses
/// every law over-predicted, and lowers a prediction on curves of another
/// kind too).
pub fn compare_by_backtest(
    names: &[String],
    obs: &Observations,
    opts: &FitOptions,
    y_name: &str,
    drift: bool,
) -> Result<(Vec<crate::pick::GroupPick>, Skipped)> {
    let (authors, laws): (Vec<Law>, Vec<Law>) = pool_laws(names)?
        .into_iter()
        .partition(|l| crate::pick::is_authors_m4(&l.name));
    let authors: Vec<&str> = authors.iter().map(|l| l.name.as_str()).collect();
    let (laws, unfit) = split_fittable(laws, obs, opts.space, y_name);
    // No law can take the data (a negative x, which M4 by its authors'
    // procedure cannot take either): bad input, as `fit` says (exit 2),
    // not "no law was eligible".
    let bad_x = (0..obs.len())
        .any(|i| obs.point(i)[0].partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater));
    if laws.is_empty() && (authors.is_empty() || bad_x) {
        if let Some((law, _)) = unfit.first() {
            validate(law, obs, opts.space, y_name)?;
        }
    }
    let mut rule = crate::pick::Rule::shipped_with_any_pool();
    if !drift {
        rule.correction = crate::pick::Correction::None;
    }
    let picks = crate::pick::pick_groups_with(&laws, &authors, obs, opts, &rule)?;
    Ok((picks, unfit))
}

/// A law left out of a comparison, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SkippedLaw {
    /// The law's name.
    pub law: String,
    /// Why it was left out.
    pub reason: String,
}

/// `slaw compare`'s backtest pick ([`compare_by_backtest`]) with the laws it
/// left out and the picks' predictions ([`crate::pick::predictions`]): the
/// `--json` result of `slaw compare` with the backtest pick, and of the
/// Python package's `compare`, built here once for both.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BacktestComparison {
    /// Every group's pick, groups in order.
    pub groups: Vec<crate::pick::GroupPick>,
    /// The laws left out (their inputs or domain do not fit the data).
    pub skipped: Vec<SkippedLaw>,
    /// Every group's pick predicting at each value of x asked for.
    pub predictions: Vec<crate::pick::PickPrediction>,
    /// What the data warrant a warning about ([`data_warnings`]).
    pub warnings: Vec<String>,
    /// Why no law's fit is to be used, when the data cannot tell a law
    /// from a constant: every point at one x (then every law's fit
    /// explains them no better than a constant, as `fit` says of such
    /// data; no prediction is made). Said in the text and the warnings.
    #[serde(skip)]
    pub no_better_than_constant: Option<String>,
    /// The values rise with the input in some group
    /// ([`Observations::rising_warnings`], among the warnings): the laws
    /// describe a falling loss, so their predictions are not to be acted
    /// on (the CLI exits 3).
    #[serde(skip)]
    pub values_rise: bool,
}

impl BacktestComparison {
    /// The predictions as text, a line each ([`crate::pick::predictions_text`]);
    /// when no law's fit is to be used, each line says so.
    pub fn predictions_text(&self) -> String {
        match &self.no_better_than_constant {
            None => crate::pick::predictions_text(&self.predictions),
            Some(_) => crate::pick::predictions_text_or(
                &self.predictions,
                &format!("none: {NO_BETTER_THAN_CONSTANT}"),
            ),
        }
    }
}

/// What `compare` says of points that all share one x, in `fit`'s words.
pub const NO_BETTER_THAN_CONSTANT: &str =
    "every law's fit explains the data no better than a constant (the points share one x)";

/// [`compare_by_backtest`] of the laws `names`, and its picks' predictions
/// at each of `xs` (none: empty), as one result.
pub fn backtest_comparison(
    names: &[String],
    obs: &Observations,
    opts: &FitOptions,
    y_name: &str,
    xs: &[f64],
    drift: bool,
) -> Result<BacktestComparison> {
    let (mut groups, unfit) = compare_by_backtest(names, obs, opts, y_name, drift)?;
    // Points that all share one x: no law can be told from a constant (as
    // `fit` finds of every law on such points); nothing is predicted.
    let constant = obs.dim() == 1 && !obs.constant_inputs().is_empty();
    let mut predictions = crate::pick::predictions(&groups, xs);
    let mut warnings = data_warnings(obs);
    // Does the pick follow the points? Its backtest error against their noise.
    if !constant {
        let several = groups.len() > 1;
        for g in &mut groups {
            g.lack_of_fit = pick_lack_of_fit(&g.pick, &obs.subset(&obs.group_indices(&g.group)));
            if let Some(l) = &g.lack_of_fit {
                warnings.push(if several {
                    format!("group '{}': {}", g.group, l.message)
                } else {
                    l.message.clone()
                });
            }
        }
    }
    if constant {
        for p in &mut predictions {
            p.loss = None;
            p.equal_fit_range = None;
            p.outside_data.clear();
            p.below_floors = None;
        }
        warnings.push(format!(
            "{NO_BETTER_THAN_CONSTANT}: the laws' parameters and predictions are not to be used"
        ));
    }
    Ok(BacktestComparison {
        groups,
        skipped: unfit
            .into_iter()
            .map(|(l, reason)| SkippedLaw {
                law: l.name,
                reason,
            })
            .collect(),
        predictions,
        warnings,
        no_better_than_constant: constant.then(|| NO_BETTER_THAN_CONSTANT.to_string()),
        values_rise: !obs.rising_warnings().is_empty(),
    })
}

/// [`crate::lack_of_fit::backtest_test`] of a pick on its group's points
/// `obs` (one input): the chosen law's ln residuals there, ordered by the
/// input, give the noise; its backtest score is the error.
fn pick_lack_of_fit(
    pick: &crate::pick::Pick,
    obs: &Observations,
) -> Option<crate::lack_of_fit::LackOfFit> {
    if obs.dim() != 1 || obs.context_dim != 0 {
        return None;
    }
    let laws = pick.weighted_laws();
    let (top, _, _) = laws.first()?;
    let mut idx: Vec<usize> = (0..obs.len()).collect();
    idx.sort_by(|&a, &b| obs.point(a)[0].total_cmp(&obs.point(b)[0]));
    // The chosen law's residuals; where they are not all finite (a law
    // undefined at a point), the next weighted law's.
    let res = laws.iter().find_map(|(_, law, params)| {
        let r: Vec<f64> = idx
            .iter()
            .map(|&i| obs.y[i].ln() - law.predict(obs.point(i), params).ln())
            .collect();
        r.iter().all(|v| v.is_finite()).then_some(r)
    })?;
    crate::lack_of_fit::backtest_test(&res, top.score?, &top.law)
}

/// What the data themselves warrant a warning about, for a command that
/// fits them (`compare`'s backtest pick): an input that never varies (as
/// `fit` says), a value decades from the rest of its column
/// ([`Observations::far_value_warnings`]), rows that give the same
/// point ([`Observations::duplicate_point_warnings`]), values that rise
/// with the input ([`Observations::rising_warnings`]) and values all equal
/// ([`Observations::constant_value_warnings`]).
pub fn data_warnings(obs: &Observations) -> Vec<String> {
    let mut w = obs.constant_input_warnings();
    w.extend(obs.far_value_warnings());
    w.extend(obs.duplicate_point_warnings());
    w.extend(obs.rising_warnings());
    w.extend(obs.constant_value_warnings());
    w.extend(obs.trend_break_warnings());
    w
}

/// `slaw compare`'s ranking of the laws `names` (named as a pick's pool,
/// [`crate::pick::pool_law`]) by held-out error: `holdout` as given, or,
/// when none was given, every point at the 2 largest values of the first
/// input (per group, [`Holdout::Largest`]); a given [`Holdout::None`] holds
/// out nothing (ranked by AIC). Laws whose inputs or domain do not fit the
/// data are skipped and reported (see [`compare_fittable`]), and so is M4
/// by its authors' procedure ([`crate::pick::is_authors_m4`]), which only
/// the backtest pick fits.
pub fn compare_by_holdout(
    names: &[String],
    obs: &Observations,
    opts: &FitOptions,
    holdout: Option<Holdout>,
    y_name: &str,
) -> Result<Vec<RankedLaw>> {
    let holdout = holdout.unwrap_or(Holdout::Largest { k: 2, input: 0 });
    let laws = pool_laws(names)?;
    let (fittable, unfit) = split_fittable(laws, obs, opts.space, y_name);
    let (authors, fittable): (Vec<Law>, Vec<Law>) = fittable
        .into_iter()
        .partition(|l| crate::pick::is_authors_m4(&l.name));
    let mut ranked = compare(&fittable, obs, opts, &holdout)?;
    for (law, reason) in unfit {
        ranked.push(RankedLaw::skipped(&law, reason));
    }
    for law in authors {
        let reason = "M4 by its authors' procedure is scored by the backtest pick only; \
                      the hold-out ranking fits `m4`"
            .to_string();
        ranked.push(RankedLaw::skipped(&law, reason));
    }
    Ok(ranked)
}

/// Fit several laws to the same data and rank the converged ones by held-out
/// error (by AIC when no point is held out; ties fall back to the training
/// error). Laws that cannot be fitted (more parameters than points) are
/// reported as skipped, and fits that did not converge are listed after the
/// ranking, unranked.
pub fn compare(
    laws: &[Law],
    obs: &Observations,
    opts: &FitOptions,
    holdout: &Holdout,
) -> Result<Vec<RankedLaw>> {
    // A hold-out that leaves fewer points than every law needs is the
    // user's setting to change (exit 2, as in `fit`), not every law to skip.
    if let Some(fewest) = laws.iter().map(|l| l.n_params()).min() {
        let short = fitted_counts(obs, holdout)
            .into_iter()
            .find(|(_, n, held)| *held > 0 && *n < fewest);
        if let Some((group, n, held)) = short {
            return Err(Error::setting(
                crate::error::Setting::Holdout,
                format!(
                    "holding out {held} point(s) leaves {n} to fit{} but every law compared has \
                     at least {fewest} free parameters: hold out fewer",
                    in_group(&group),
                ),
            ));
        }
    }
    let mut ranked = Vec::new();
    let mut skipped = Vec::new();
    for law in laws {
        if let Some(reason) = cannot_fit(law, obs, holdout) {
            skipped.push(RankedLaw::skipped(law, reason));
            continue;
        }
        let job = FitJob {
            law: law.clone(),
            opts: opts.clone(),
            holdout: holdout.clone(),
            bootstrap: 0,
            seed: 0,
            level: None,
            predict: Vec::new(),
            profile: false,
        };
        let fits = run(&job, obs, &|| {})?;
        let n = fits.len() as f64;
        let held: Vec<f64> = fits
            .iter()
            .filter_map(|g| g.heldout.as_ref().map(|d| d.rmsd_log))
            .collect();
        let k = law.n_params() as f64;
        let (mut aic, mut bic) = (0.0, 0.0);
        for g in &fits {
            let m = g.train.n as f64;
            // A NaN RMSD (a loss or prediction <= 0) stays NaN: `NaN.max(x)` is
            // x, which would make it the best possible AIC.
            let rss = g.train.rmsd_log * g.train.rmsd_log * m;
            let rss = if rss.is_nan() { rss } else { rss.max(1e-300) };
            aic += m * (rss / m).ln() + 2.0 * k;
            bic += m * (rss / m).ln() + k * m.ln();
        }
        let mut unidentified: Vec<String> = Vec::new();
        let mut warnings = Vec::new();
        for g in &fits {
            for u in g.fit.unidentified() {
                if !unidentified.contains(u) {
                    unidentified.push(u.clone());
                }
            }
            for w in &g.fit.warnings {
                let w = if g.group.is_empty() {
                    w.clone()
                } else {
                    format!("group {}: {w}", g.group)
                };
                warnings.push(w);
            }
        }
        let all_converged = fits.iter().all(|g| g.fit.converged);
        ranked.push(RankedLaw {
            law: law.name.clone(),
            heldout_rmsd_log: if held.is_empty() {
                f64::NAN
            } else {
                held.iter().sum::<f64>() / held.len() as f64
            },
            train_rmsd_log: fits.iter().map(|g| g.train.rmsd_log).sum::<f64>() / n,
            objective: fits.iter().map(|g| g.fit.objective).sum(),
            all_converged,
            n_params: law.n_params(),
            rank: None,
            status: if all_converged {
                "ranked".into()
            } else {
                "not converged".into()
            },
            reason: None,
            aic,
            bic,
            n_best: fits.iter().map(|g| g.fit.n_best).min().unwrap_or(0),
            unidentified,
            warnings,
        });
    }
    let key = |r: &RankedLaw| {
        if r.heldout_rmsd_log.is_nan() {
            r.aic
        } else {
            r.heldout_rmsd_log
        }
    };
    // Ranked: converged, with a criterion (the RMSD of log L is undefined
    // where a loss or a prediction is <= 0, e.g. fits in linear space).
    let rankable = |r: &RankedLaw| r.all_converged && !key(r).is_nan();
    ranked.sort_by(|a, b| {
        rankable(b)
            .cmp(&rankable(a))
            .then(b.all_converged.cmp(&a.all_converged))
            .then(key(a).total_cmp(&key(b)))
            .then(a.train_rmsd_log.total_cmp(&b.train_rmsd_log))
    });
    let mut next = 1;
    for r in ranked.iter_mut() {
        if rankable(r) {
            r.rank = Some(next);
            next += 1;
        } else if r.all_converged {
            r.status = "not ranked".into();
            r.reason = Some(
                "its criterion (RMSD of log L, AIC) is undefined: a loss or a prediction is <= 0"
                    .into(),
            );
        }
    }
    note_ties(&mut ranked, key);
    ranked.extend(skipped);
    Ok(ranked)
}

/// Relative difference of the ranking criterion below which two ranked laws
/// are reported as tied ([`note_ties`]).
pub const TIE_TOLERANCE: f64 = 1e-6;

/// Warn on each ranked law whose criterion (`key`) equals its neighbour's
/// to [`TIE_TOLERANCE`] (relative): the same law under two names
/// (`joint-add` and `chinchilla`) or fits that cannot be told apart, whose
/// order in the ranking says nothing.
fn note_ties(ranked: &mut [RankedLaw], key: impl Fn(&RankedLaw) -> f64) {
    let ranks: Vec<(usize, f64, String)> = ranked
        .iter()
        .enumerate()
        .filter(|(_, r)| r.rank.is_some())
        .map(|(i, r)| (i, key(r), r.law.clone()))
        .collect();
    let criterion = if ranked
        .iter()
        .any(|r| r.rank.is_some() && !r.heldout_rmsd_log.is_nan())
    {
        "held-out RMSD of log L"
    } else {
        "AIC"
    };
    for &(i, ki, ref _name) in &ranks {
        let tied: Vec<&str> = ranks
            .iter()
            .filter(|&&(j, kj, _)| {
                j != i && (ki - kj).abs() <= TIE_TOLERANCE * ki.abs().max(kj.abs()) + 1e-12
            })
            .map(|(_, _, n)| n.as_str())
            .collect();
        if !tied.is_empty() {
            let w = format!(
                "tied with {} on the ranking criterion ({criterion}, equal to a relative {TIE_TOLERANCE:e}): their order in the ranking is not a difference",
                tied.join(", ")
            );
            ranked[i].warnings.push(w);
        }
    }
}

/// The law `slaw fit` fits under `name`: a catalog law. M4 by its authors'
/// procedure, which compare's pool names ([`crate::pick::pool_law`]), is
/// not one: refused, pointing to `m4`, slaw's fit of the same law.
pub fn fit_law(name: &str) -> Result<Law> {
    if crate::pick::is_authors_m4(name) {
        return Err(Error::setting(
            crate::error::Setting::Law,
            format!(
                "'{name}' is M4 fitted by its authors' procedure, not a catalog law: only \
                 compare's backtest pick fits it; the law 'm4' is slaw's fit of the same law"
            ),
        ));
    }
    crate::law::catalog::by_name(name)
}

/// One law as `slaw laws` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LawEntry {
    /// Its name.
    pub name: String,
    /// Its formula.
    pub formula: String,
    /// What it is.
    pub description: String,
    /// Its inputs.
    pub inputs: Vec<String>,
    /// Its parameters, bounds and grids.
    pub params: Vec<crate::law::Param>,
}

/// Every law a user can name, by where it is named (`slaw laws`, Python
/// `slaw.laws()`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct LawListing {
    /// The catalog: the laws `fit` and `compare` take.
    pub fit: Vec<LawEntry>,
    /// The loss-curve laws of `forecast`.
    pub forecast: Vec<LawEntry>,
    /// The temporal law's trajectory forms.
    pub trajectory_forms: Vec<LawEntry>,
    /// M4 by its authors' procedure, which only compare's pool names.
    pub compare_procedures: Vec<LawEntry>,
}

/// The laws of [`LawListing`].
pub fn law_listing() -> LawListing {
    let entries = |laws: Vec<Law>| -> Vec<LawEntry> {
        laws.into_iter()
            .map(|l| LawEntry {
                name: l.name,
                formula: l.formula,
                description: l.description,
                inputs: l.inputs,
                params: l.params,
            })
            .collect()
    };
    LawListing {
        fit: entries(crate::law::catalog::all()),
        forecast: entries(crate::law::curves::all()),
        trajectory_forms: entries(crate::forecast::trajectory::form_laws()),
        compare_procedures: entries(crate::pick::authors_m4_laws()),
    }
}

#[cfg(test)]
mod compare_tests {
    use super::*;

    fn names(s: &[&str]) -> Vec<String> {
        s.iter().map(|v| v.to_string()).collect()
    }

    /// `compare`'s default laws come from the library (the CLI and the
    /// Python package both read them), and a law named twice is refused
    /// by either ranking (it was fitted twice and weighed twice).
    #[test]
    fn default_laws_and_a_law_named_twice() {
        assert_eq!(
            compare_laws(1),
            names(&[
                "power",
                "vanilla-ft",
                "rectified",
                "bnsl",
                "m4-authors-capped"
            ])
        );
        assert!(compare_laws(2).contains(&"chinchilla".to_string()));
        let xs: Vec<f64> = (0..10).map(|i| 1e3 * 3f64.powi(i)).collect();
        let y: Vec<f64> = xs.iter().map(|x| 50.0 / x.powf(0.3) + 1.8).collect();
        let obs = Observations::from_columns(&["n"], &[xs], y);
        let opts = FitOptions::default();
        let twice = names(&["power", "m4-authors-capped", "power"]);
        let e = compare_by_backtest(&twice, &obs, &opts, "loss", true).unwrap_err();
        assert_eq!(e.to_string(), "the laws: law 'power' is named twice");
        let e = compare_by_holdout(&twice, &obs, &opts, None, "loss").unwrap_err();
        assert_eq!(e.to_string(), "the laws: law 'power' is named twice");
        // M4 by its authors' procedure is a name of the pool, fitted by the pick.
        let (picks, unfit) = compare_by_backtest(
            &names(&["power", "m4-authors-capped"]),
            &obs,
            &opts,
            "loss",
            true,
        )
        .unwrap();
        assert!(unfit.is_empty());
        let laws: Vec<&str> = picks[0].pick.laws.iter().map(|l| l.law.as_str()).collect();
        assert_eq!(laws, ["power", "m4-authors-capped"]);
    }

    /// The backtest comparison's JSON is, byte for byte, the object the CLI
    /// and the Python package built each for itself before it was one
    /// struct: `{"groups": picks, "skipped": [{"law", "reason"}],
    /// "predictions": ..., "warnings": ...}`, compact and pretty.
    #[test]
    fn backtest_comparison_json_is_the_one_both_built() {
        let xs: Vec<f64> = (0..16).map(|k| 100.0 * 1.6f64.powi(k)).collect();
        let y: Vec<f64> = xs
            .iter()
            .enumerate()
            .map(|(k, x)| (20.0 / x.powf(0.3) + 1.5) * (1.0 + 0.002 * ((k * 7 % 5) as f64 - 2.0)))
            .collect();
        let obs = Observations::from_columns(&["D"], &[xs], y);
        let opts = FitOptions::default();
        let laws = names(&["power", "m4", "chinchilla", "m4-authors-capped"]);
        let at = [1e6, 1e3];
        let c = backtest_comparison(&laws, &obs, &opts, "loss", &at, true).unwrap();
        assert_eq!(c.skipped.len(), 1, "chinchilla takes 2 inputs");
        assert_eq!(c.predictions.len(), 2);
        let (picks, unfit) = compare_by_backtest(&laws, &obs, &opts, "loss", true).unwrap();
        let skipped: Vec<serde_json::Value> = unfit
            .iter()
            .map(|(l, r)| serde_json::json!({"law": l.name, "reason": r}))
            .collect();
        let predictions = crate::pick::predictions(&picks, &at);
        let warnings = data_warnings(&obs);
        let before = serde_json::json!({"groups": picks, "skipped": skipped,
            "predictions": predictions, "warnings": warnings});
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            serde_json::to_string(&before).unwrap()
        );
        assert_eq!(
            serde_json::to_string_pretty(&c).unwrap(),
            serde_json::to_string_pretty(&before).unwrap()
        );
    }

    /// Two laws with the same criterion (the same law under two names, as
    /// `joint-add` and `chinchilla`) are ranked 1 and 2 with a note that
    /// they are tied (a reader saw a winner); a distinct law is not.
    #[test]
    fn tied_laws_are_noted() {
        let xs: Vec<f64> = (0..10).map(|i| 1e3 * 3f64.powi(i)).collect();
        let y: Vec<f64> = xs
            .iter()
            .enumerate()
            .map(|(i, x)| (50.0 / x.powf(0.3) + 1.8) * (1.0 + 0.003 * ((i * 7 % 5) as f64 - 2.0)))
            .collect();
        let obs = Observations::from_columns(&["n"], &[xs], y);
        let power = crate::law::catalog::power();
        let mut twin = power.clone();
        twin.name = "power-twin".into();
        let other = crate::law::catalog::all()
            .into_iter()
            .find(|l| l.name == "rectified")
            .unwrap();
        let holdout = Holdout::Largest { k: 2, input: 0 };
        let ranked = compare(
            &[power, twin, other],
            &obs,
            &FitOptions::default(),
            &holdout,
        )
        .unwrap();
        let tie = |name: &str| {
            let r = ranked.iter().find(|r| r.law == name).unwrap();
            r.warnings
                .iter()
                .find(|w| w.starts_with("tied with"))
                .cloned()
        };
        let w = tie("power").expect("power tied");
        assert!(
            w.contains("power-twin") && w.contains("held-out RMSD"),
            "{w}"
        );
        assert!(tie("power-twin").unwrap().contains("tied with power "));
        assert_eq!(tie("rectified"), None, "{ranked:?}");
    }
}

#[cfg(test)]
mod fx46a_tests {
    use super::*;
    use crate::law::formula::formula_law;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn power_points(zero: bool) -> Observations {
        let mut x: Vec<f64> = (0..12).map(|k| 1000.0 * 2f64.powi(k)).collect();
        let mut y: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(k, x)| (50.0 * x.powf(-0.3) + 1.5) * (1.0 + 0.004 * ((k % 3) as f64 - 1.0)))
            .collect();
        if zero {
            x.push(0.0);
            y.push(3.0);
        }
        Observations::from_columns(&["x"], &[x], y)
    }

    fn job(law: Law) -> FitJob {
        FitJob {
            law,
            opts: FitOptions::default(),
            holdout: Holdout::None,
            bootstrap: 0,
            seed: 0,
            level: None,
            predict: Vec::new(),
            profile: false,
        }
    }

    /// few56: with 4 points a prediction beyond the data has no
    /// extrapolation interval; it says why (the point count) and its
    /// bootstrap stays a bootstrap; inside the data nothing is said; with
    /// 12 points the prediction beyond has its extrapolation interval and
    /// no such reason.
    #[test]
    fn few56_four_points_say_why_there_is_no_predictive_interval() {
        let all = power_points(false);
        let four = Observations::from_columns(&["x"], &[all.x[..4].to_vec()], all.y[..4].to_vec());
        let law = crate::law::catalog::power();
        let mut j = job(law.clone());
        j.level = Some(0.95);
        j.bootstrap = 20;
        j.predict = vec![vec![32000.0], vec![2000.0]];
        let g = &run(&j, &four, &|| {}).unwrap()[0];
        let beyond = &g.predictions[0];
        assert!(beyond.extrapolation_interval.is_none());
        let why = beyond.no_predictive_interval.as_deref().expect("a reason");
        assert!(
            why.starts_with("4 points for a law of 3 parameters"),
            "{why}"
        );
        assert!(why.contains("it needs 7"), "{why}");
        assert_eq!(crate::extrapolation::min_points_to_calibrate(3), 7);
        assert!(matches!(
            beyond.interval_kind,
            Some(crate::selection::calibrate::IntervalKind::Bootstrap { .. })
        ));
        assert!(g.predictions[1].no_predictive_interval.is_none());
        // without intervals asked for, nothing to explain
        j.level = None;
        j.bootstrap = 0;
        let g = &run(&j, &four, &|| {}).unwrap()[0];
        assert!(g.predictions[0].no_predictive_interval.is_none());
        // 12 points: the extrapolation interval, no reason
        let mut j = job(law);
        j.level = Some(0.95);
        j.predict = vec![vec![1e8]];
        let g = &run(&j, &all, &|| {}).unwrap()[0];
        assert!(g.predictions[0].extrapolation_interval.is_some());
        assert!(g.predictions[0].no_predictive_interval.is_none());
    }

    #[test]
    fn fx46a_a_constant_law_explains_no_more_than_a_constant() {
        let obs = power_points(false);
        // the law is a constant: its optimum is the best constant's
        let law = formula_law("c", &names(&["x"]), &names(&["c"]), &names(&["c"])).unwrap();
        let g = &run(&job(law), &obs, &|| {}).unwrap()[0];
        let v = g.no_better_than_constant.as_ref().expect("flagged");
        assert!(!g.fit.converged);
        assert_eq!(
            g.fit.termination,
            crate::solver::Termination::NoBetterThanConstant
        );
        assert!(
            (v.objective / v.constant_objective - 1.0).abs() < 1e-6,
            "{v:?}"
        );
        // (Huber's threshold is tiny: near a median, whose optimum is a
        // segment, so the constant is one of equally good ones)
        let (lo, hi) = obs
            .y
            .iter()
            .fold((f64::INFINITY, 0f64), |(a, b), y| (a.min(*y), b.max(*y)));
        assert!(v.constant > lo && v.constant < hi, "{v:?}");
        // c is in log space already: nothing to suggest
        assert!(v.fit_in_log_space.is_empty());
        assert!(g
            .fit
            .warnings
            .iter()
            .any(|w| w.contains("no better than a constant")));
        // the power law on the same points is a fit
        let law = formula_law(
            "A*x^(-alpha)+E",
            &names(&["x"]),
            &names(&["A", "alpha", "E"]),
            &[],
        )
        .unwrap();
        let g = &run(&job(law), &obs, &|| {}).unwrap()[0];
        assert!(g.no_better_than_constant.is_none());
        assert!(g.fit.converged);
    }

    #[test]
    fn fx46a_the_warning_names_linear_scale_parameters() {
        let v = NoBetterThanConstant {
            objective: 1.0,
            constant_objective: 0.5,
            constant: 2.0,
            r2: Some(-0.1),
            fit_in_log_space: names(&["Nc"]),
        };
        let w = v.warning();
        assert!(w.contains("no better than a constant"), "{w}");
        assert!(w.contains("fit Nc in log space"), "{w}");
        assert!(v.message().contains("R^2 -0.1"), "{}", v.message());
    }

    #[test]
    fn fx46a_an_undefined_row_is_named() {
        let obs = power_points(true);
        let law = formula_law(
            "A*x^(-alpha)+E",
            &names(&["x"]),
            &names(&["A", "alpha", "E"]),
            &names(&["A", "E"]),
        )
        .unwrap();
        let e = run(&job(law.clone()), &obs, &|| {}).unwrap_err();
        match &e {
            Error::Input { location, .. } => {
                assert_eq!(location.row, Some(obs.line[12]), "{e}");
                assert_eq!(location.column.as_deref(), Some("x"), "{e}");
            }
            other => panic!("{other}"),
        }
        // defined everywhere: none
        assert!(undefined_row(&law, &power_points(false), Space::Log).is_none());
    }
}

#[cfg(test)]
mod hold_band_tests {
    use super::{hold_band, Interval};

    #[test]
    fn the_hull_moves_only_where_the_band_reaches_further() {
        let e = Interval { lo: 1.0, hi: 2.0 };
        let inside = Interval { lo: 1.2, hi: 1.8 };
        assert_eq!(hold_band(Some(e), Some(inside)), (Some(e), false));
        let above = Interval { lo: 1.5, hi: 3.0 };
        assert_eq!(
            hold_band(Some(e), Some(above)),
            (Some(Interval { lo: 1.0, hi: 3.0 }), true)
        );
        assert_eq!(hold_band(Some(e), None), (Some(e), false));
        assert_eq!(hold_band(None, Some(above)), (None, false));
        let nan = Interval {
            lo: f64::NAN,
            hi: 3.0,
        };
        assert_eq!(hold_band(Some(e), Some(nan)), (Some(e), false));
    }
}

#[cfg(test)]
mod alternative_tests {
    use super::{alternative_law, hold_alternative, AlternativePrediction, Interval};
    use crate::law::catalog;

    #[test]
    fn only_power_and_vanilla_ft_have_the_rectified_alternative() {
        for law in [catalog::power(), catalog::vanilla_ft()] {
            let (name, alt) = alternative_law(&law).unwrap();
            assert_eq!((name, alt.name.as_str()), ("rectified", "rectified"));
        }
        for name in ["rectified", "m4", "reciprocal", "chinchilla"] {
            let law = catalog::by_name(name).unwrap();
            assert!(alternative_law(&law).is_none(), "{name}");
        }
        // a law that only shares the name is not the catalog's
        let mut renamed = catalog::m4();
        renamed.name = "power".into();
        assert!(alternative_law(&renamed).is_none());
    }

    #[test]
    fn the_interval_moves_only_to_hold_an_outside_prediction() {
        let e = Interval { lo: 1.0, hi: 2.0 };
        let at = |value| AlternativePrediction {
            law: "rectified",
            value,
        };
        assert_eq!(hold_alternative(Some(e), at(1.5)), (Some(e), None));
        assert_eq!(hold_alternative(Some(e), at(1.0)), (Some(e), None));
        assert_eq!(
            hold_alternative(Some(e), at(0.7)),
            (Some(Interval { lo: 0.7, hi: 2.0 }), Some(at(0.7)))
        );
        assert_eq!(
            hold_alternative(Some(e), at(2.5)),
            (Some(Interval { lo: 1.0, hi: 2.5 }), Some(at(2.5)))
        );
        for bad in [f64::NAN, f64::INFINITY, 0.0, -1.0] {
            assert_eq!(hold_alternative(Some(e), at(bad)), (Some(e), None), "{bad}");
        }
        assert_eq!(hold_alternative(None, at(0.7)), (None, None));
    }
}

#[cfg(test)]
mod not_determined_tests {
    use super::{not_determined, Interval};

    #[test]
    fn over_a_decade_or_at_the_floor_is_not_determined() {
        assert_eq!(not_determined(None), (false, None));
        let (flag, d) = not_determined(Some(Interval { lo: 1.0, hi: 9.99 }));
        assert!(!flag && (d.unwrap() - 9.99f64.log10()).abs() < 1e-12);
        // exactly a decade: determined (the rule is strictly over 10x)
        assert!(!not_determined(Some(Interval { lo: 0.5, hi: 5.0 })).0);
        let (flag, d) = not_determined(Some(Interval {
            lo: 0.007,
            hi: 277.0,
        }));
        assert!(flag && (d.unwrap() - (277.0f64 / 0.007).log10()).abs() < 1e-12);
        assert_eq!(
            not_determined(Some(Interval { lo: 0.0, hi: 2.0 })),
            (true, None)
        );
        assert_eq!(
            not_determined(Some(Interval {
                lo: 1.0,
                hi: f64::INFINITY
            })),
            (true, None)
        );
    }
}

#[cfg(test)]
mod interpolation_tests {
    use super::*;

    /// Twelve points of 2 + 50 n^-0.3 on n = 1e2 .. 1e5, each moved by a
    /// fixed +-1% pattern, fitted by the power law.
    fn fitted() -> (Law, FitResult, Vec<f64>) {
        let law = crate::law::catalog::power();
        let xs: Vec<f64> = (0..12)
            .map(|i| 10f64.powf(2.0 + 3.0 * i as f64 / 11.0))
            .collect();
        let wobble: [f64; 12] = [
            0.8, -1.1, 0.3, 1.2, -0.6, -0.9, 0.5, 1.0, -1.3, 0.2, -0.4, 0.7,
        ];
        let y: Vec<f64> = xs
            .iter()
            .zip(wobble)
            .map(|(x, w)| (2.0 + 50.0 * x.powf(-0.3)) * (0.01 * w).exp())
            .collect();
        let obs = Observations::from_columns(&["n"], std::slice::from_ref(&xs), y);
        let res = fit(&law, &obs, &FitOptions::default()).unwrap();
        assert!(res.converged);
        (law, res, xs)
    }

    /// The covariance the spread uses is the one the standard errors come
    /// from (its diagonal gives them back); the spread is the standard
    /// error times Student's t at the level (so their ratio across levels
    /// is t's), largest at the ends of the fitted range (where a fit is
    /// least sure) and smallest inside; the interval is that spread in
    /// quadrature with the floor, the same on both sides in ln L.
    #[test]
    fn the_linearised_spread_is_the_standard_errors_at_the_prediction() {
        let (law, res, xs) = fitted();
        let id = &res.identifiability;
        let p = res.internal.len();
        assert_eq!(id.cov_internal.len(), p * p);
        for (j, q) in law.params.iter().enumerate() {
            let se = id.std_errors.values()[j].unwrap();
            let v = id.cov_internal[j * p + j].sqrt();
            let want = match q.transform {
                crate::law::Transform::Log => v * res.internal[j].exp(),
                crate::law::Transform::Identity => v,
            };
            assert!((se - want).abs() <= 1e-9 * se, "{}: {se} vs {want}", q.name);
        }
        let spread = |x: f64, level: f64| prediction_spread(&law, &res, &[x], 12, level).unwrap();
        let t = |level: f64| crate::stats::student_t_quantile(0.5 + level / 2.0, 9);
        let (first, mid, last) = (xs[0], (xs[0] * xs[11]).sqrt(), xs[11]);
        for x in [first, mid, last] {
            let ratio = spread(x, 0.95) / spread(x, 0.8);
            assert!((ratio - t(0.95) / t(0.8)).abs() < 1e-9, "{ratio}");
        }
        assert!(spread(first, 0.8) > spread(mid, 0.8), "{first}");
        assert!(spread(last, 0.8) > spread(mid, 0.8), "{last}");
        assert!(spread(mid, 0.8) > 0.0);
        // too few points for a degree of freedom: none
        assert!(prediction_spread(&law, &res, &[mid], 3, 0.8).is_none());
        let iv = linearised_interval(3.0, 0.03, 0.04).unwrap();
        assert!(((3.0 / iv.lo).ln() - 0.05).abs() < 1e-12, "{iv:?}");
        assert!(((iv.hi / 3.0).ln() - 0.05).abs() < 1e-12, "{iv:?}");
        assert!(linearised_interval(f64::NAN, 0.03, 0.04).is_none());
    }
}
