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
use crate::objective::{Loss, Objective, Space};
use crate::observations::Observations;
use crate::scaling::Scales;
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

/// A segment along which the fitted values at the data's ends move by less
/// than this fraction of delta is no segment ([`too_short`]): a
/// residual on delta's edge stops it within about 1e-3 delta (1e-6 of the
/// prediction on 10-point fine-tuning curves), where a true segment moves
/// the ends by 1e-3 delta or more and a prediction 64x past them by
/// percents.
const SHORT: f64 = 1e-2;

/// Weaker pulls tried, each a tenth of the last, when an end left the
/// optimum's objective by more than [`SLACK`].
const RETRIES: usize = 3;

/// The range of the law's value at `x` over the fits of `obs` whose
/// objective equals the optimum's (to [`SLACK`] relative), from the fit's
/// optimum `fit.internal` (fitted with `opts`' loss and space; each end
/// searched by the default solver for up to ten times `opts`' iteration
/// limit): `(lo, hi)`, containing the fit's own prediction.
/// `None` for least squares (its optimum is a point where the data pin it),
/// when the fit's Huber optimum is not a segment (no `huber_flat`
/// parameter), and when the segment does not move the value at `x` (by
/// 1e-9 in ln).
pub fn prediction_range(
    law: &Law,
    fit: &FitResult,
    obs: &Observations,
    opts: &FitOptions,
    x: &[f64],
) -> Option<(f64, f64)> {
    if fit.identifiability.huber_flat.is_empty() {
        return None;
    }
    // In the search's units, where the fit's bounds hold: the data and x
    // divided by the scales, the ends carried back as ratios to the
    // prediction.
    let d = obs.dim();
    if fit.scale_ln.len() != d + 1 || x.len() != d {
        return None;
    }
    let (ln_x, ln_y) = fit.scale_ln.split_at(d);
    let scales = Scales {
        ln_x: ln_x.to_vec(),
        ln_y: ln_y.first().copied().unwrap_or(0.0),
    };
    let weighted = obs.unit_mean_weights();
    let norm = scales.normalize(&weighted);
    let objective = Objective::new(law, &norm, opts.loss, opts.space);
    let xs: Vec<f64> = x
        .iter()
        .zip(&scales.ln_x)
        .map(|(v, l)| v / l.exp())
        .collect();
    let u0 = &fit.search_internal;
    let (lo, hi) = ends(&objective, u0, &xs, 10 * opts.tol.max_iter)?;
    let v0 = law.value_internal(&xs, u0);
    let v = fit.predict(x);
    // A range the segment does not widen (by 1e-9 in ln) says nothing.
    let (lo, hi) = ((lo / v0 * v).min(v), (hi / v0 * v).max(v));
    (v0 > 0.0 && v.is_finite() && (hi / lo).ln() > 1e-9).then_some((lo, hi))
}

/// Whether the segment of a Huber optimum at `u0` is too short to tell:
/// over it the fitted values at the first and the last point (the
/// extremes of the first input) move by less than [`SHORT`] delta in the
/// objective's space (ln L for a log-space fit). A search that ends
/// where two residuals sit within delta and a third on its edge (the
/// corner of a least-absolute-deviations fit) has such a segment: the
/// second-order test sees a direction no residual within delta constrains,
/// but the residual on the edge stops any step along it within about 1e-3
/// delta (1e-6 of the prediction on a 10-point fine-tuning curve, where a
/// true segment moves it by percents).
pub fn too_short(objective: &Objective, u0: &[f64], max_iter: u64) -> bool {
    let Loss::Huber { delta } = objective.loss else {
        return true;
    };
    let obs = objective.obs;
    if obs.is_empty() {
        return true;
    }
    let first = |i: usize| obs.point(i)[0];
    let (mut lo, mut hi) = (0, 0);
    for i in 0..obs.len() {
        if first(i) < first(lo) {
            lo = i;
        }
        if first(i) > first(hi) {
            hi = i;
        }
    }
    [lo, hi].iter().all(|&i| {
        let x = obs.point(i).to_vec();
        match ends(objective, u0, &x, max_iter) {
            Some((a, b)) => {
                let spread = match objective.space {
                    Space::Log => (b / a).ln(),
                    Space::Linear => b - a,
                };
                spread < SHORT * delta
            }
            // Not measured: the segment stays reported.
            None => false,
        }
    })
}

/// The two ends of the law's value at `x` over the optimum's segment, from
/// `u0` (the optimum of `objective`): each the minimum of the objective
/// plus a pull of -/+ ln(value at x), kept where the objective stays at
/// `u0`'s to [`SLACK`]. `None` for least squares, where the value at `u0`
/// is not a positive number, or where an end left the objective at every
/// pull tried.
fn ends(objective: &Objective, u0: &[f64], x: &[f64], max_iter: u64) -> Option<(f64, f64)> {
    let Loss::Huber { delta } = objective.loss else {
        return None;
    };
    let law = objective.law;
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
        max_iter,
        pgtol: 0.0,
        ftol: 0.0,
    };
    let end = |sign: f64| -> Option<f64> {
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
                return Some(v1);
            }
            eps *= 0.1;
        }
        None
    };
    Some((end(1.0)?.min(v0), end(-1.0)?.max(v0)))
}
