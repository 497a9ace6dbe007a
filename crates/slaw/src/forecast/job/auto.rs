//! `auto` on an aggregate curve: the law chosen on the window, and how.

use super::WindowDecay;
use crate::forecast::{fit_curves, Curve, CurveLaw};
use crate::Result;

/// A candidate law of `auto` and its error on the held-out tail of the window.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LawCandidate {
    /// The law.
    pub method: &'static str,
    /// RMSE of ln L on the last quarter of the window's points, fitted on
    /// the rest (None: the fit failed or did not converge).
    pub held_out_rmse: Option<f64>,
    /// RMSE of ln L on the whole window, fitted on it (step-only choice
    /// only; None: with a learning rate, or the fit failed).
    pub fit_rmse: Option<f64>,
}

/// How `auto` chose a law.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AutoChoice {
    /// Every candidate law, with its held-out error.
    pub candidates: Vec<LawCandidate>,
    /// Whether the window's decay is enough for the annealing terms the
    /// forecast needs ([`super::WindowDecay::rate_identified`]; false
    /// without a learning rate); where the losses have not yet answered it,
    /// the forecast's warnings say so.
    /// True also where the rate never decays up to the forecast: the
    /// forecast then needs none, and the output's `unused_params` names them.
    pub annealing_identified: bool,
    /// Without a learning rate: the choice between the step-only laws
    /// power and reciprocal (see [`choose`]).
    pub step_only: bool,
    /// Beyond the window, each interval is the hull of the chosen law's and
    /// of the step-only reciprocal law's (power chosen without a learning
    /// rate).
    pub interval_hull: bool,
}

/// `auto`'s note when the learning rate is logged only up to `last`,
/// without decaying, and no schedule is given, so that it chose among the
/// step-only laws.
pub(super) fn rate_unknown_note(curve: &str, last: f64, at: &[f64]) -> String {
    let past: Vec<f64> = at.iter().copied().filter(|&t| t > last * 1.001).collect();
    format!(
        "{curve}: the learning rate is logged up to step {}, where it has not decayed, and no schedule is given, so the laws that read it (tissue, multipower) cannot forecast step {}: auto chose among the laws of the step alone, which assume the loss goes on as its trend in the window (give the schedule to use the rate)",
        crate::numbers::num(last),
        past.iter()
            .map(|&t| crate::numbers::num(t))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Power's held-out tail error must be within this factor of the noise
/// (the smaller whole-window RMSE of ln L of the two step-only laws) for
/// `auto` to take power over reciprocal (fixed before measuring;
/// BENCHMARKS.md, "Loss-curve forecasting", branch fx46c).
pub const STEP_ONLY_NOISE_FACTOR: f64 = 2.0;

/// `auto` also takes power over reciprocal when reciprocal's held-out tail
/// error is over this many times power's, whatever power's own against the
/// noise: reciprocal then plainly misses the window's end (and, power's
/// being over [`STEP_ONLY_NOISE_FACTOR`] noises, reciprocal's is over 6
/// noises). The last quarter's noise can be larger than the window's
/// average (an error rate's binomial noise grows, relatively, as the error
/// falls), and the extrapolation over the held-out quarter adds its own
/// error, so power's tail error alone can exceed twice the noise on a
/// clean power law. Learned leaving each family out on the (Mis)Fitting
/// runs and synthetic curves, vision-style error-rate curves among them
/// (BENCHMARKS.md, "`auto` without a learning rate: reciprocal far off
/// the window's end", 2026-12-07).
pub const STEP_ONLY_CLEAR_RATIO: f64 = 3.0;

/// Whether `auto` without a learning rate takes power over reciprocal,
/// from their held-out tail errors `r` (reciprocal) and `p` (power) and
/// the noise `n` (the smaller whole-window RMSE of the two): power's below
/// reciprocal's and within [`STEP_ONLY_NOISE_FACTOR`] noises, or
/// reciprocal's over [`STEP_ONLY_CLEAR_RATIO`] times power's.
pub fn step_only_takes_power(r: f64, p: f64, n: f64) -> bool {
    r > p && (p <= STEP_ONLY_NOISE_FACTOR * n || r > STEP_ONLY_CLEAR_RATIO * p)
}

/// Held-out errors within this relative difference are a tie, which goes
/// to the simpler law (tissue before multipower): with no decay anywhere
/// both reduce to L0 + A S1^-alpha and differ in the optimizer's last digits.
pub const TIE_RELATIVE: f64 = 1e-6;

/// RMSE of ln L of the law `m` fitted on the first `upto` points of `ext`
/// at the points `at` (None: the fit failed or did not converge).
fn ln_rmse(m: CurveLaw, ext: &Curve, upto: usize, at: &[usize]) -> Option<f64> {
    let f = fit_curves(m, std::slice::from_ref(ext), &[upto])
        .ok()
        .filter(|f| f.converged)?;
    let ss: f64 = at
        .iter()
        .map(|&i| (f.predict(0, i).ln() - ext.loss[i].ln()).powi(2))
        .sum();
    Some((ss / at.len().max(1) as f64).sqrt()).filter(|e| e.is_finite())
}

/// `auto` on an aggregate curve.
///
/// With a learning rate: the schedule-aware law (tissue or multipower)
/// with the smallest held-out error on the last quarter of the window when
/// fitted on the rest, when the window pins their annealing terms; else
/// the step-only reciprocal law.
///
/// Without one: power when its held-out error on the window's last
/// quarter is below reciprocal's and within [`STEP_ONLY_NOISE_FACTOR`] of
/// the noise (the smaller whole-window RMSE of the two), or when
/// reciprocal's is over [`STEP_ONLY_CLEAR_RATIO`] times power's
/// ([`step_only_takes_power`]), else
/// reciprocal (the better step-only law on the real early-to-final curves
/// alone).
/// Chosen leaving each family of curves out on the (Mis)Fitting runs,
/// the multi-power curves and synthetic curves of known truth; power's
/// intervals alone under-cover the real runs at 25% of their steps, so
/// where power is chosen its intervals are widened to reciprocal's
/// (`AutoChoice::interval_hull`).
///
/// `step_only`: choose among the step-only laws even though the curve has
/// a learning rate (the rate is not known at every forecast step).
pub fn choose(
    ext: &Curve,
    k: usize,
    decay: Option<WindowDecay>,
    step_only: bool,
) -> Result<(CurveLaw, AutoChoice)> {
    let obs: Vec<usize> = (0..k.min(ext.len()))
        .filter(|&i| !ext.loss[i].is_nan())
        .collect();
    let train = obs.len() - obs.len() / 4;
    let upto = obs.get(train).copied().unwrap_or(k);
    let held = &obs[train..];
    if ext.lr.is_none() || step_only {
        let methods = [CurveLaw::Reciprocal, CurveLaw::Power];
        let candidates: Vec<LawCandidate> = methods
            .iter()
            .map(|&m| LawCandidate {
                method: m.name(),
                held_out_rmse: ln_rmse(m, ext, upto, held),
                fit_rmse: ln_rmse(m, ext, k, &obs),
            })
            .collect();
        let noise = candidates
            .iter()
            .filter_map(|c| c.fit_rmse)
            .min_by(f64::total_cmp);
        let power = match (
            candidates[0].held_out_rmse,
            candidates[1].held_out_rmse,
            noise,
        ) {
            (Some(r), Some(p), Some(n)) => step_only_takes_power(r, p, n),
            _ => false,
        };
        return Ok((
            methods[usize::from(power)],
            AutoChoice {
                candidates,
                annealing_identified: false,
                step_only: true,
                interval_hull: power,
            },
        ));
    }
    let identified = decay.is_none_or(|d| d.rate_identified());
    // Ties (e.g. no decay anywhere: both laws reduce to a power of S1) go
    // to the simpler law. Without the schedule pinned, reciprocal: the
    // better step-only law on the multi-power curves at 20% of the run (a
    // held-out tail choice with power there was worse, BENCHMARKS.md
    // fx46c).
    let methods: &[CurveLaw] = if identified {
        &[CurveLaw::Tissue, CurveLaw::MultiPower]
    } else {
        &[CurveLaw::Reciprocal]
    };
    let candidates: Vec<LawCandidate> = methods
        .iter()
        .map(|&m| LawCandidate {
            method: m.name(),
            held_out_rmse: ln_rmse(m, ext, upto, held),
            fit_rmse: None,
        })
        .collect();
    // The first (simplest) law within TIE_RELATIVE of the smallest error:
    // two laws that reduce to the same function differ by the optimizer's
    // last digits, not by the data.
    let scored: Vec<(CurveLaw, f64)> = methods
        .iter()
        .zip(&candidates)
        .filter_map(|(&m, c)| c.held_out_rmse.map(|e| (m, e)))
        .collect();
    let least = scored.iter().map(|s| s.1).fold(f64::INFINITY, f64::min);
    let best = scored
        .iter()
        .find(|s| s.1 <= least * (1.0 + TIE_RELATIVE))
        .map(|s| s.0);
    let method = best.unwrap_or(methods[0]);
    Ok((
        method,
        AutoChoice {
            candidates,
            annealing_identified: identified,
            step_only: false,
            interval_hull: false,
        },
    ))
}

#[cfg(test)]
mod step_only_rule_tests {
    use super::step_only_takes_power;

    #[test]
    fn power_below_reciprocal_and_within_twice_the_noise() {
        assert!(step_only_takes_power(0.30, 0.19, 0.1));
        // not below reciprocal's
        assert!(!step_only_takes_power(0.19, 0.19, 0.1));
        // over twice the noise, reciprocal's not 3x power's
        assert!(!step_only_takes_power(0.6, 0.21, 0.1));
    }

    #[test]
    fn reciprocal_over_three_times_power() {
        // power's 0.3 is 3x the noise: the ratio alone takes it
        assert!(step_only_takes_power(0.91, 0.3, 0.1));
        assert!(!step_only_takes_power(0.89, 0.3, 0.1));
        // non-finite errors never take power
        assert!(!step_only_takes_power(f64::NAN, 0.3, 0.1));
        assert!(!step_only_takes_power(1.0, f64::NAN, 0.1));
    }
}
