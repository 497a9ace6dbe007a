//! Profile-likelihood intervals of a fit's parameters (the likelihood-ratio
//! interval): for each parameter, held at values stepped away from its
//! estimate, the others refitted from the optimum ([`Law::with_fixed`] and
//! [`crate::fit::local_optimum`]), the interval reaches where the objective
//! has risen by the level's chi-square(1) quantile times the fit's noise
//! scale ([`crate::identify::profile_scale`]: the scale the standard errors
//! use, so that the two agree where the objective is quadratic in the
//! parameters).
//!
//! The steps run in the parameter's internal coordinate (ln for a log
//! parameter), from the standard error there (else a tenth of the
//! parameter's own size) doubling outward until the objective has risen
//! enough (a bracket), then bisected. A side where the objective never
//! rises enough before the search's bound (or [`REACH`] times the
//! parameter's own size) is *open*: the data do not determine it. Where
//! the curvature at the optimum is a poor guide (a curve still far from
//! its asymptote, a parameter along a nearly flat valley) the profile
//! follows the objective itself, and the +-z standard errors do not.
//!
//! What it covers, on data drawn from the law itself: BENCHMARKS.md,
//! "Profile-likelihood intervals".

use crate::fit::{local_optimum, Fit, FitOptions};
use crate::law::{Law, Named, Transform};
use crate::objective::Objective;
use crate::observations::Observations;
use crate::{Error, Result};

/// How far a side is followed, in the parameter's own size (1 in ln for a
/// log parameter, |value| for a linear one): beyond it the side is open.
pub const REACH: f64 = 50.0;

/// Bisection steps after a side is bracketed (the end is then known to
/// 2^-BISECTIONS of the bracket's width, under 1% of a standard error).
pub const BISECTIONS: usize = 8;

/// One side of a parameter's profile interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Side {
    /// The end (natural units); for an open side the furthest value the
    /// profile reached (the search's bound, or [`REACH`] away).
    pub value: f64,
    /// The objective never rose by the threshold up to `value`: the data do
    /// not determine this side.
    pub open: bool,
}

/// A parameter's profile interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ParamProfile {
    /// The lower end (natural units); see `lo_open`.
    pub lo: f64,
    /// The upper end (natural units); see `hi_open`.
    pub hi: f64,
    /// The lower side is open (not determined by the data): `lo` is the
    /// furthest value reached.
    pub lo_open: bool,
    /// The upper side is open.
    pub hi_open: bool,
}

impl ParamProfile {
    fn new(lo: Side, hi: Side) -> Self {
        ParamProfile {
            lo: lo.value,
            hi: hi.value,
            lo_open: lo.open,
            hi_open: hi.open,
        }
    }
    /// Whether a side is open.
    pub fn open(&self) -> bool {
        self.lo_open || self.hi_open
    }
    /// The open sides in words ("below", "above", "on both sides"), None
    /// when both ends are determined.
    pub fn open_sides(&self) -> Option<&'static str> {
        match (self.lo_open, self.hi_open) {
            (true, true) => Some("on both sides"),
            (true, false) => Some("below"),
            (false, true) => Some("above"),
            (false, false) => None,
        }
    }
}

/// The profile-likelihood intervals of a fit.
///
/// JSON: `{"level": 0.95, "threshold": .., "params": {"E": {"lo": .., "hi":
/// .., "lo_open": false, "hi_open": true}}, "refits": ..}`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Profile {
    /// The level (the chi-square(1) quantile's).
    pub level: f64,
    /// The objective's rise at the ends: the level's chi-square(1)
    /// quantile times [`crate::identify::profile_scale`].
    pub threshold: f64,
    /// Each parameter's interval, by name.
    pub params: Named<ParamProfile>,
    /// Constrained refits run.
    pub refits: usize,
    /// Objective evaluations over the refits.
    pub evaluations: u64,
    /// A refit reached an objective below the fit's by more than a
    /// hundredth of the threshold: the fit's optimum was not the lowest.
    pub lower_found: bool,
}

impl Profile {
    /// The parameters with an open side.
    pub fn open(&self) -> Vec<String> {
        self.params
            .pairs()
            .filter(|(_, p)| p.open())
            .map(|(n, _)| n.to_string())
            .collect()
    }

    /// The warning of the parameters whose profile is open (None when none
    /// is): what the interval says about them.
    pub fn open_warning(&self) -> Option<String> {
        let open: Vec<String> = self
            .params
            .pairs()
            .filter_map(|(n, p)| p.open_sides().map(|s| format!("{n} ({s})")))
            .collect();
        (!open.is_empty()).then(|| {
            format!(
                "the profile-likelihood interval at {} is open for {}: the objective does not \
                 rise by the level's threshold before the bound, so the data do not determine \
                 that side (the standard error there is local, not a measure of it)",
                crate::numbers::percent(self.level),
                open.join(", ")
            )
        })
    }
}

/// Factor by which a side of the profile interval may differ from +-z
/// standard errors (in the search coordinate) before the standard error is
/// called local (fixed before measuring).
pub const LOCAL_FACTOR: f64 = 2.0;

/// Whether the standard error `se` of a parameter at `value` (transform
/// `t`) is local: a side of its profile interval `p` at `level` is open,
/// or lies more than [`LOCAL_FACTOR`] times nearer or farther than z
/// standard errors (in ln for a log parameter, with se / value there).
pub fn local(t: Transform, value: f64, se: f64, p: &ParamProfile, level: f64) -> bool {
    if p.open() {
        return true;
    }
    let z = crate::stats::normal_quantile(0.5 + level / 2.0);
    let (d_lo, d_hi, half) = match t {
        Transform::Log if value > 0.0 && p.lo > 0.0 => {
            ((value / p.lo).ln(), (p.hi / value).ln(), z * se / value)
        }
        _ => (value - p.lo, p.hi - value, z * se),
    };
    if !(half > 0.0 && half.is_finite()) {
        return false;
    }
    [d_lo, d_hi]
        .iter()
        .any(|d| !(*d * LOCAL_FACTOR >= half && *d <= LOCAL_FACTOR * half))
}

/// The profile-likelihood intervals at `level` of the parameters of
/// `fit`, a fit of `law` to `obs` with `opts`. Errors when the fit did not
/// converge or its residuals give no noise scale (as many points as
/// parameters).
pub fn profile(
    law: &Law,
    obs: &Observations,
    fit: &Fit,
    opts: &FitOptions,
    level: f64,
) -> Result<Profile> {
    profile_of(law, obs, fit, opts, level, &law.param_names_owned())
}

/// [`profile`] of the parameters `names` only (in the law's order; the
/// others are refitted along each profile but get no interval of their
/// own): `params` holds those named.
pub fn profile_of(
    law: &Law,
    obs: &Observations,
    fit: &Fit,
    opts: &FitOptions,
    level: f64,
    names: &[String],
) -> Result<Profile> {
    let mut walker = Walker::new(law, obs, fit, opts, level)?;
    let (f0, threshold) = (walker.f0, walker.threshold);
    let which: Vec<usize> = (0..law.n_params())
        .filter(|&j| names.contains(&law.params[j].name))
        .collect();
    let mut out = Vec::with_capacity(which.len());
    for &j in &which {
        let mut sides = [Side {
            value: f64::NAN,
            open: true,
        }; 2];
        for (s, dir) in [-1.0f64, 1.0].into_iter().enumerate() {
            let (inner, bracket) = walker.side(j, dir, |_| {});
            let transform = law.params[j].transform;
            sides[s] = match bracket {
                None => Side {
                    value: transform.to_natural(inner.0),
                    open: true,
                },
                Some(out_t) => {
                    let (inner_t, out_t) = walker.bisect(j, inner, out_t, |_| {});
                    // linear in the rise between the bracket's ends
                    Side {
                        value: transform.to_natural(0.5 * (inner_t + out_t)),
                        open: false,
                    }
                }
            };
        }
        out.push(ParamProfile::new(sides[0], sides[1]));
    }
    Ok(Profile {
        level,
        threshold,
        params: Named::new(
            which.iter().map(|&j| law.params[j].name.clone()).collect(),
            out,
        ),
        refits: walker.refits,
        evaluations: walker.evaluations,
        lower_found: walker.lowest < f0 - 0.01 * threshold,
    })
}

/// For each of the parameters `names` of the fit, in the law's order: the
/// parameters' values, all of them (internal units), at the points its
/// profile passed through below its threshold, both sides (toward a bound the parameter is on there is
/// no room, so none): what the data do not exclude at `level` when each is
/// held away from its estimate and the others refitted. Empty when the fit
/// did not converge or its residuals give no noise scale. Used to ask
/// whether a prediction moves with a parameter the data do not pin
/// ([`crate::analysis::depends_on_along`]): a walk along a flat direction
/// with the others held sees only what a small move shows; a refit follows
/// a parameter on its bound into the interior, where the others trade with
/// it (E on its bound at 2e-10 while the data allow 3.4).
pub fn paths(
    law: &Law,
    obs: &Observations,
    fit: &Fit,
    opts: &FitOptions,
    level: f64,
    names: &[String],
) -> Vec<(String, Vec<Vec<f64>>)> {
    let Ok(mut walker) = Walker::new(law, obs, fit, opts, level) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (j, param) in law.params.iter().enumerate() {
        if !names.contains(&param.name) {
            continue;
        }
        let mut points = Vec::new();
        for dir in [-1.0f64, 1.0] {
            let (inner, bracket) = walker.side(j, dir, |u| points.push(u.to_vec()));
            // the stretch between the last step below the threshold and
            // the first above it: where the others' trade with it ends
            if let Some(out_t) = bracket {
                walker.bisect(j, inner, out_t, |u| points.push(u.to_vec()));
            }
        }
        out.push((param.name.clone(), points));
    }
    out
}

/// The constrained refits of a profile: one parameter held at a value, the
/// others refitted from a warm start.
struct Walker<'a> {
    law: &'a Law,
    /// The points as the fit saw them: weights of mean 1, the data's units.
    obs: std::borrow::Cow<'a, Observations>,
    fit: &'a Fit,
    opts: &'a FitOptions,
    f0: f64,
    threshold: f64,
    lower: Vec<f64>,
    upper: Vec<f64>,
    refits: usize,
    evaluations: u64,
    lowest: f64,
}

impl<'a> Walker<'a> {
    /// The walker of a converged fit's profiles at `level`: the objective as
    /// the fit saw it, its value at the optimum and the rise that ends a
    /// side (the level's chi-square(1) quantile times
    /// [`crate::identify::profile_scale`]). Errors when the level is not in
    /// (0, 1), the fit did not converge or its residuals give no noise scale.
    fn new(
        law: &'a Law,
        obs: &'a Observations,
        fit: &'a Fit,
        opts: &'a FitOptions,
        level: f64,
    ) -> Result<Self> {
        if !(level > 0.0 && level < 1.0) {
            return Err(Error::Data(format!(
                "the profile's level must lie in (0, 1), got {level}"
            )));
        }
        if !fit.converged {
            return Err(Error::Fit(format!(
                "law '{}': no profile of a fit that did not converge",
                law.name
            )));
        }
        let obs = obs.unit_mean_weights();
        let full = Objective::new(law, &obs, opts.loss, opts.space);
        let f0 = full.value(&fit.internal);
        let scale = crate::identify::profile_scale(&full, &fit.internal);
        if !(scale.is_finite() && scale > 0.0 && f0.is_finite()) {
            return Err(Error::Fit(format!(
                "law '{}': no profile: the residuals give no noise scale (as many points as \
                 parameters, or a perfect fit)",
                law.name
            )));
        }
        let z = crate::stats::normal_quantile(0.5 + level / 2.0);
        let (lower, upper) = fit.search_bounds();
        Ok(Walker {
            law,
            obs,
            fit,
            opts,
            f0,
            threshold: z * z * scale,
            lower,
            upper,
            refits: 0,
            evaluations: 0,
            lowest: f0,
        })
    }

    /// The others' indices when parameter `j` is held.
    fn free(&self, j: usize) -> Vec<usize> {
        (0..self.law.n_params()).filter(|&k| k != j).collect()
    }

    /// The objective profiled at internal value `t` of parameter `j` (the
    /// others refitted from `warm`) and the others' refit.
    fn at(&mut self, j: usize, t: f64, warm: &[f64]) -> (f64, Vec<f64>) {
        self.refits += 1;
        let param = &self.law.params[j];
        let v = param.transform.to_natural(t);
        let free = self.free(j);
        if free.is_empty() {
            let full = Objective::new(self.law, &self.obs, self.opts.loss, self.opts.space);
            return (full.value(&[t]), Vec::new());
        }
        let Ok(held) = self.law.with_fixed(&[(param.name.as_str(), v)]) else {
            return (f64::INFINITY, warm.to_vec());
        };
        let lo_free: Vec<f64> = free.iter().map(|&k| self.lower[k]).collect();
        let hi_free: Vec<f64> = free.iter().map(|&k| self.upper[k]).collect();
        let objective = Objective::new(&held, &self.obs, self.opts.loss, self.opts.space);
        let start: Vec<f64> = warm
            .iter()
            .zip(lo_free.iter().zip(&hi_free))
            .map(|(w, (l, h))| w.clamp(*l, *h))
            .collect();
        let o = local_optimum(&objective, &start, &lo_free, &hi_free, self.opts);
        self.evaluations += o.evaluations;
        let out = if o.f.is_finite() {
            (o.f, o.x)
        } else {
            (f64::INFINITY, warm.to_vec())
        };
        self.lowest = self.lowest.min(out.0);
        out
    }

    /// Bisects [`BISECTIONS`] times between `inner` (the last step below the
    /// threshold: t, rise, the others' refit) and `out_t` (the first above),
    /// calling `accepted` with the full internal vector at each point below
    /// it; returns the bracket's ends then (inner, outer).
    fn bisect(
        &mut self,
        j: usize,
        mut inner: (f64, f64, Vec<f64>),
        mut out_t: f64,
        mut accepted: impl FnMut(&[f64]),
    ) -> (f64, f64) {
        for _ in 0..BISECTIONS {
            let mid = 0.5 * (inner.0 + out_t);
            let (f, w) = self.at(j, mid, &inner.2);
            let rise = f - self.f0;
            if rise >= self.threshold {
                out_t = mid;
            } else {
                let mut full = w.clone();
                full.insert(j, mid);
                accepted(&full);
                inner = (mid, rise, w);
            }
        }
        (inner.0, out_t)
    }

    /// One side (`dir` -1 below, +1 above) of parameter `j`'s profile: steps
    /// from its standard error (else a tenth of its own size) doubling
    /// outward until the objective has risen by the threshold, the search's
    /// bound or [`REACH`]. Calls `accepted` with the full internal vector
    /// at each step below the threshold. Returns the last such step (t,
    /// rise, the others' refit) and the first step past the threshold (None:
    /// the side is open).
    fn side(
        &mut self,
        j: usize,
        dir: f64,
        mut accepted: impl FnMut(&[f64]),
    ) -> ((f64, f64, Vec<f64>), Option<f64>) {
        let x = &self.fit.internal;
        let param = &self.law.params[j];
        let t0 = x[j];
        let size = match param.transform {
            Transform::Log => 1.0,
            Transform::Identity if t0 != 0.0 => t0.abs(),
            Transform::Identity => 1.0,
        };
        // the standard error in the internal coordinate (delta method)
        let se = self
            .fit
            .identifiability
            .std_errors
            .get(j)
            .copied()
            .flatten()
            .map(|s| match param.transform {
                Transform::Log => s / self.fit.params[j].abs(),
                Transform::Identity => s,
            })
            .filter(|s| s.is_finite() && *s > 0.0);
        let h0 = se.unwrap_or(0.1 * size).clamp(1e-8 * size, size);
        let free = self.free(j);
        let warm0: Vec<f64> = free.iter().map(|&k| x[k]).collect();
        let bound = if dir < 0.0 {
            self.lower[j]
        } else {
            self.upper[j]
        };
        let limit = t0 + dir * REACH * size;
        let end = if dir < 0.0 {
            bound.max(limit)
        } else {
            bound.min(limit)
        };
        let mut inner = (t0, 0.0, warm0);
        let mut step = h0;
        loop {
            let reached_end = dir * (t0 + dir * step - end) >= 0.0;
            let t = if reached_end { end } else { t0 + dir * step };
            if (t - inner.0).abs() <= 0.0 {
                return (inner, None);
            }
            let (f, w) = self.at(j, t, &inner.2);
            let rise = f - self.f0;
            if rise >= self.threshold {
                return (inner, Some(t));
            }
            let mut full = w.clone();
            full.insert(j, t);
            accepted(&full);
            inner = (t, rise, w);
            if reached_end {
                return (inner, None);
            }
            step *= 2.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::fit;
    use crate::law::{Model, Param};
    use crate::objective::{Loss, Space};
    use std::sync::Arc;

    /// L = a + b x, fitted by least squares on L (linear space): the
    /// objective is exactly quadratic in (a, b), so the profile interval is
    /// the estimate +- z standard errors.
    struct Line;
    impl Model for Line {
        fn value_grad(&self, x: &[f64], _lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
            g[0] = 1.0;
            g[1] = x[0];
            u[0] + u[1] * x[0]
        }
        fn value(&self, x: &[f64], _lnx: &[f64], u: &[f64]) -> f64 {
            u[0] + u[1] * x[0]
        }
    }

    #[test]
    fn a_quadratic_objective_gives_the_standard_error_interval() {
        let law = Law {
            name: "line".into(),
            description: "a + b x".into(),
            formula: "a + b*x".into(),
            inputs: vec!["x".into()],
            domains: vec![crate::observations::Domain::Any],
            params: vec![
                Param::new("a", Transform::Identity, (-100.0, 100.0), &[0.0, 5.0]),
                Param::new("b", Transform::Identity, (-100.0, 100.0), &[0.0, 1.0]),
            ],
            model: Arc::new(Line),
        };
        let xs: Vec<f64> = (0..20).map(|i| i as f64).collect();
        // deterministic "noise": a fixed pattern of +-0.3
        let ys: Vec<f64> = xs
            .iter()
            .enumerate()
            .map(|(i, x)| 3.0 + 0.5 * x + 0.3 * ((i * 7 % 5) as f64 - 2.0))
            .collect();
        let obs = Observations::from_columns(&["x"], &[xs], ys);
        let opts = FitOptions {
            loss: Loss::Squared,
            space: Space::Linear,
            scale_free: false,
            ..FitOptions::default()
        };
        let r = fit(&law, &obs, &opts).unwrap();
        assert!(r.converged);
        for level in [0.9, 0.95] {
            let z = crate::stats::normal_quantile(0.5 + level / 2.0);
            let prof = profile(&law, &obs, &r, &opts, level).unwrap();
            assert!(!prof.lower_found);
            // One parameter alone: its interval, the same bits, and no other.
            let one = profile_of(&law, &obs, &r, &opts, level, &["b".to_string()]).unwrap();
            assert_eq!(one.params.names(), &["b".to_string()]);
            assert_eq!(one.params[0], prof.params[1]);
            for j in 0..2 {
                let se = r.identifiability.std_errors[j].unwrap();
                let p = prof.params[j];
                assert!(!p.open());
                let (lo, hi) = (r.params[j] - z * se, r.params[j] + z * se);
                assert!(
                    (p.lo - lo).abs() < 0.01 * z * se && (p.hi - hi).abs() < 0.01 * z * se,
                    "{}: profile [{}, {}] against +-z se [{lo}, {hi}]",
                    law.params[j].name,
                    p.lo,
                    p.hi
                );
            }
        }
    }
}
