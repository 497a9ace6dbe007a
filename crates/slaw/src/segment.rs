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

/// Each search for an end of a segment ([`prediction_range`], [`too_short`])
/// may run this many times the fit's own iteration limit
/// (`FitOptions::tol.max_iter`, 1,000 by default): it starts at the
/// optimum and, with no decrease or gradient test, stops only where no step
/// lowers the pulled objective, which along a long segment takes more steps
/// than the fit's polish. One setting for both, read from the fit's options
/// ([`max_iter`]).
pub const ITERATION_FACTOR: u64 = 10;

/// The iteration limit of each search for an end of a segment of a fit made
/// with `opts`: [`ITERATION_FACTOR`] times its own.
pub fn max_iter(opts: &FitOptions) -> u64 {
    opts.tol.max_iter.saturating_mul(ITERATION_FACTOR)
}

/// The range of the law's value at `x` over the fits of `obs` whose
/// objective equals the optimum's (to [`SLACK`] relative), from the fit's
/// optimum `fit.internal` (fitted with `opts`' loss and space; each end
/// searched by the default solver for up to [`max_iter`]`(opts)`
/// iterations): `(lo, hi)`, containing the fit's own prediction.
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
    let (lo, hi) = ends(&objective, u0, &xs, max_iter(opts))?.values();
    let v0 = law.value_internal(&xs, u0);
    let v = fit.predict(x);
    // A range the segment does not widen (by 1e-9 in ln) says nothing.
    let (lo, hi) = ((lo / v0 * v).min(v), (hi / v0 * v).max(v));
    (v0 > 0.0 && v.is_finite() && (hi / lo).ln() > 1e-9).then_some((lo, hi))
}

/// Whether the segment of a Huber optimum at `u0` is too short to tell:
/// over it every observed point's fitted value moves by less than
/// [`SHORT`] delta in the objective's space (ln L for a log-space fit). A
/// search that ends where two residuals sit within delta and a third on
/// its edge (the corner of a least-absolute-deviations fit) has such a
/// segment: the second-order test sees a direction no residual within
/// delta constrains, but the residual on the edge stops any step along it
/// within about 1e-3 delta (1e-6 of the prediction on a 10-point
/// fine-tuning curve, where a true segment moves it by percents).
///
/// `directions`: the segment's directions at `u0` in the search's
/// parameters (those the second-order test found, `identify`'s Huber-flat
/// directions; each iteration limit `max_iter`). The ends are searched
/// with a pull on the fitted values of a few points: the extremes of the
/// first input, and for each direction the point whose fitted value moves
/// most along it (to first order at `u0`). Along a segment, a point's
/// fitted value moves monotonically between the segment's ends, so the
/// searches pulled by that point reach its ends; there every point's
/// fitted value is read, and their spread over `u0` and every end reached
/// is the measure. (The extremes alone miss a segment that leaves them
/// fixed: an interior size between two pinned ones, with residuals of both
/// signs there, or another input of a multi-input law.) 2 searches per
/// probed point, as many points as directions plus two at most.
pub fn too_short(
    objective: &Objective,
    u0: &[f64],
    directions: &[Vec<f64>],
    max_iter: u64,
) -> bool {
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
    let mut probes = vec![lo, hi];
    // The point moving most along each direction (|J d|, first order).
    let p = u0.len();
    let mut most = vec![(0usize, 0.0f64); directions.len()];
    if !directions.is_empty() {
        objective.prediction_blocks(u0, |start, _, jac| {
            for (k, row) in jac.chunks_exact(p).enumerate() {
                for (m, dir) in most.iter_mut().zip(directions) {
                    let moved = row.iter().zip(dir).map(|(a, b)| a * b).sum::<f64>().abs();
                    if moved > m.1 {
                        *m = (start + k, moved);
                    }
                }
            }
        });
    }
    for (i, moved) in most {
        if moved > 0.0 && !probes.contains(&i) {
            probes.push(i);
        }
    }
    let mut reached = vec![u0.to_vec()];
    for &i in &probes {
        let x = obs.point(i).to_vec();
        // Not measured: the segment stays reported.
        let Some(e) = ends(objective, u0, &x, max_iter) else {
            return false;
        };
        let (a, b) = e.values();
        let spread = match objective.space {
            Space::Log => (b / a).ln(),
            Space::Linear => b - a,
        };
        // (NaN: not measured, the segment stays reported)
        if spread.is_nan() || spread >= SHORT * delta {
            return false;
        }
        reached.push(e.lo.0);
        reached.push(e.hi.0);
    }
    // Every point's fitted value over u0 and the ends reached.
    let n = obs.len();
    let mut low = vec![f64::INFINITY; n];
    let mut high = vec![f64::NEG_INFINITY; n];
    for u in &reached {
        objective.prediction_blocks(u, |start, pred, _| {
            for (k, &v) in pred.iter().enumerate() {
                low[start + k] = low[start + k].min(v);
                high[start + k] = high[start + k].max(v);
            }
        });
    }
    low.iter().zip(&high).all(|(l, h)| h - l < SHORT * delta)
}

/// The two ends found by [`ends`]: each the parameters reached and the
/// law's value there, and the value at the optimum.
struct Ends {
    lo: (Vec<f64>, f64),
    hi: (Vec<f64>, f64),
    v0: f64,
}

impl Ends {
    /// The range of the values, widened to contain the optimum's.
    fn values(&self) -> (f64, f64) {
        (self.lo.1.min(self.v0), self.hi.1.max(self.v0))
    }
}

/// The two ends of the law's value at `x` over the optimum's segment, from
/// `u0` (the optimum of `objective`): each the minimum of the objective
/// plus a pull of -/+ ln(value at x), kept where the objective stays at
/// `u0`'s to [`SLACK`]. `None` for least squares, where the value at `u0`
/// is not a positive number, or where an end left the objective at every
/// pull tried.
fn ends(objective: &Objective, u0: &[f64], x: &[f64], max_iter: u64) -> Option<Ends> {
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
    let end = |sign: f64| -> Option<(Vec<f64>, f64)> {
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
                return Some((o.x, v1));
            }
            eps *= 0.1;
        }
        None
    };
    Some(Ends {
        lo: end(1.0)?,
        hi: end(-1.0)?,
        v0,
    })
}

#[cfg(test)]
mod fx45b_tests {
    use super::*;
    use crate::fit::fit;
    use crate::law::catalog;

    /// `power` (A / x^alpha + E) through two sizes exactly and a middle
    /// size measured twice, its ln residuals +-0.05: the fits through the
    /// two sizes (a one-parameter family: they keep both fitted values)
    /// whose middle value stays within the band are all optimal, the two
    /// middle residuals' Huber terms (beyond delta, opposite signs) summing
    /// to a constant. A segment along which the fitted values at the
    /// extremes of x do not move and the middle one moves by up to 0.1 in
    /// ln L.
    fn pinned_ends() -> (Law, Observations) {
        let law = catalog::by_name("power").unwrap();
        let truth = |x: f64| 20.0 / x.powf(0.3) + 1.5;
        let x = vec![100.0, 1000.0, 1000.0, 10_000.0];
        let y = vec![
            truth(100.0),
            truth(1000.0) * 0.05f64.exp(),
            truth(1000.0) * (-0.05f64).exp(),
            truth(10_000.0),
        ];
        (law, Observations::from_columns(&["D"], &[x], y))
    }

    /// The objective in the search's units of `r` (as `prediction_range`
    /// builds it), on `norm`.
    fn normalized(r: &FitResult, obs: &Observations) -> Observations {
        let (ln_x, ln_y) = r.scale_ln.split_at(obs.dim());
        Scales {
            ln_x: ln_x.to_vec(),
            ln_y: ln_y[0],
        }
        .normalize(&obs.unit_mean_weights())
    }

    #[test]
    fn fx45b_a_segment_that_keeps_the_extremes_fixed_is_reported() {
        let (law, obs) = pinned_ends();
        let opts = FitOptions::default();
        let r = fit(&law, &obs, &opts).unwrap();
        assert!(r.converged, "{:?}", r.warnings);
        let id = &r.identifiability;
        assert!(!id.huber_flat.is_empty(), "{id:?}");
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("the Huber objective is linear")),
            "{:?}",
            r.warnings
        );
        // The middle size's prediction spans most of the band; the
        // extremes' do not move.
        let (lo, hi) = prediction_range(&law, &r, &obs, &opts, &[1000.0]).expect("a range");
        assert!((hi / lo).ln() > 0.05, "{lo} {hi}");
        for x in [100.0, 10_000.0] {
            if let Some((lo, hi)) = prediction_range(&law, &r, &obs, &opts, &[x]) {
                assert!((hi / lo).ln() < 1e-5, "{x}: {lo} {hi}");
            }
        }

        // The probe of the extremes alone (no direction: what `too_short`
        // read before) finds no segment; with the direction of the family
        // (the null space of the two extremes' Jacobian rows: their cross
        // product, three parameters) it probes the middle size.
        let norm = normalized(&r, &obs);
        let objective = Objective::new(&law, &norm, opts.loss, opts.space);
        let u0 = &r.search_internal;
        let mut rows = Vec::new();
        objective.prediction_blocks(u0, |_, _, jac| {
            rows = jac.chunks_exact(3).map(|j| j.to_vec()).collect::<Vec<_>>();
        });
        let (a, b) = (&rows[0], &rows[3]);
        let dir = vec![
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ];
        let iters = max_iter(&opts);
        assert!(too_short(&objective, u0, &[], iters));
        assert!(!too_short(&objective, u0, &[dir], iters));
    }
}
