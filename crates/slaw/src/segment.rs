//! The range of a prediction over a Huber optimum that is a segment.
//!
//! With every residual (or all but a few) beyond the Huber threshold delta,
//! the objective is linear along directions that move the fitted values (a
//! least-absolute-deviations fit there; `Identifiability::huber_flat`): on a
//! doubling ladder of sizes, residuals whose signs balance leave a whole
//! segment of parameters optimal, and where a search stops on it depends on
//! its start and on the units of x. No point of the segment is better than
//! another by the fit's own objective, so the honest answer to "what does the
//! law predict at x" is the range of its value over the segment:
//! [`prediction_range`] finds its two ends, each the minimum of the fit's
//! objective plus a small multiple of -/+ ln(prediction at x), kept only if
//! the objective stays at the optimum's to [`SLACK`].

use crate::fit::{FitOptions, FitResult};
use crate::law::Law;
use crate::objective::{Loss, Objective};
use crate::observations::Observations;
use crate::solver::{Solver, Tolerances};

/// The objective may exceed the optimum's by at most this fraction at an
/// end of the range: the fits counted are those as good as the optimum to
/// this precision.
pub const SLACK: f64 = 1e-9;

/// Pull of the prediction beside the objective, relative to delta: the
/// objective rises at least delta per unit of a residual leaving the
/// segment, the pull at most this fraction of delta per unit of ln
/// (prediction), so the minimum stays at the segment's end unless the
/// prediction moves more than a thousand times the residuals (an
/// extrapolation that far is retried with a weaker pull).
const PULL: f64 = 1e-3;

/// Weaker pulls tried, each a tenth of the last, when an end left the
/// optimum's objective by more than [`SLACK`].
const RETRIES: usize = 3;

/// The range of the law's value at `x` over the fits of `obs` whose
/// objective equals the optimum's (to [`SLACK`] relative), from the fit's
/// optimum `fit.internal` (fitted with `opts`' loss and space; each end
/// searched by the default solver for up to ten times `opts`' iteration
/// limit): `(lo, hi)`, containing the fit's own prediction.
/// `None` for least squares (its optimum is a point where the data pin it)
/// and when the fit's Huber optimum is not a segment (no `huber_flat`
/// parameter).
pub fn prediction_range(
    law: &Law,
    fit: &FitResult,
    obs: &Observations,
    opts: &FitOptions,
    x: &[f64],
) -> Option<(f64, f64)> {
    let Loss::Huber { delta } = opts.loss else {
        return None;
    };
    if fit.identifiability.huber_flat.is_empty() {
        return None;
    }
    let obs = obs.unit_mean_weights();
    let objective = Objective::new(law, &obs, opts.loss, opts.space);
    let u0 = &fit.internal;
    let h0 = objective.value(u0);
    let lnx: Vec<f64> = x.iter().map(|&v| crate::law::ln_input(v)).collect();
    let mut g = vec![0.0; u0.len()];
    let v0 = law.model.value_grad(x, &lnx, u0, &mut g);
    if !(h0.is_finite() && v0.is_finite() && v0 > 0.0) {
        return None;
    }
    let (lower, upper) = law.internal_bounds();
    let solver = crate::fit::default_solver();
    let tol = Tolerances {
        max_iter: 10 * opts.tol.max_iter,
        pgtol: 0.0,
        ftol: 0.0,
    };
    let end = |sign: f64| -> f64 {
        let mut eps = PULL * delta;
        for _ in 0..=RETRIES {
            let f = |u: &[f64], grad: &mut [f64]| -> f64 {
                let h = objective.value_grad(u, grad);
                let mut gp = vec![0.0; u.len()];
                let v = law.model.value_grad(x, &lnx, u, &mut gp);
                if !(h.is_finite() && v.is_finite() && v > 0.0) {
                    return f64::INFINITY;
                }
                for (g, d) in grad.iter_mut().zip(&gp) {
                    *g += sign * eps * d / v;
                }
                h + sign * eps * v.ln()
            };
            let o = solver.minimize(&f, u0, &lower, &upper, &tol);
            let h1 = objective.value(&o.x);
            let mut gp = vec![0.0; u0.len()];
            let v1 = law.model.value_grad(x, &lnx, &o.x, &mut gp);
            if h1 <= h0 * (1.0 + SLACK) && v1.is_finite() && v1 > 0.0 {
                return v1;
            }
            eps *= 0.1;
        }
        v0
    };
    let lo = end(1.0).min(v0);
    let hi = end(-1.0).max(v0);
    Some((lo, hi))
}
