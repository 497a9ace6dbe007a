//! Levenberg-Marquardt for box-bounded least squares: the solver of large
//! squared-error fits (see `fit::search`). Each evaluation returns f, its
//! gradient and the Gauss-Newton matrix 2 J^T W J in one pass over the
//! points ([`Function::gauss_newton`]); with 3-5 parameters and small
//! residuals the damped Gauss-Newton step converges in a handful of
//! evaluations where L-BFGS needs tens.
//!
//! Bounds by an active set: a variable on a bound whose gradient pushes
//! outward is held fixed, the damped system is solved on the free ones and
//! the step is clamped into the box. A step that does not decrease f is
//! rejected and the damping raised (Marquardt's scaling by the diagonal, so
//! the step does not depend on the parameters' units).
//!
//! The damping follows Nielsen's rule: after an accepted step it is scaled
//! by max(0.1, 1 - (2 rho - 1)^3), rho the decrease over the Gauss-Newton
//! model's for that step (raised when the model over-promised, lowered at
//! most tenfold when it was right); after a rejected step multiplied by 2,
//! 4, 8, 10, 10, ... So along a curved valley the damping settles where
//! steps are accepted, instead of the former x0.1 / x10 swing that spent
//! one rejected evaluation per accepted step (the selection benchmark's 840
//! law fits: 1.71 M evaluations to 0.80 M, BENCHMARKS.md, issue 22 `gn`).
//! When no damping from the current one up decreases f, the smaller ones
//! from the start's are tried once before giving up (longer steps; at the
//! end of a flat valley the step that still decreases f may be long).
//!
//! Stopping is the same as [`super::LbfgsBox`]'s, relative to |f|: the
//! projected gradient below `pgtol |f|`, or an accepted step decreasing f by
//! at most `ftol |f|`. With `ftol` = 0 (a polish run to the optimum), when
//! the undamped Gauss-Newton model predicts a decrease below the rounding
//! of f, the run ends as when no step decreases f, instead of raising the
//! damping through every value first. An objective
//! without a Gauss-Newton matrix is handed to the fallback solver.

use super::{Function, Outcome, Solver, Termination, Tolerances};

/// Levenberg-Marquardt over a box for least-squares objectives, with a
/// fallback solver for any other objective (see the module documentation).
#[derive(Clone, Copy)]
pub struct LevenbergMarquardt<'a> {
    /// The solver of objectives that are not least squares.
    pub fallback: &'a dyn Solver,
}

fn projected_gradient_norm(x: &[f64], g: &[f64], lo: &[f64], hi: &[f64]) -> f64 {
    let mut m: f64 = 0.0;
    for i in 0..x.len() {
        let p = (x[i] - g[i]).clamp(lo[i], hi[i]) - x[i];
        m = m.max(p.abs());
    }
    m
}

/// Solves the symmetric positive definite `a` (k x k, row major, consumed)
/// times d = b in place of `b` by Cholesky; false when `a` is not positive
/// definite. One division per column (the reciprocal of the pivot), the
/// rest multiplications: the chain of dependent operations is what a
/// 4-parameter step costs.
fn cholesky_solve(a: &mut [f64], b: &mut [f64], k: usize) -> bool {
    let mut inv = [0.0f64; 16];
    let mut inv_heap;
    let inv: &mut [f64] = if k <= inv.len() {
        &mut inv[..k]
    } else {
        inv_heap = vec![0.0; k];
        &mut inv_heap
    };
    for j in 0..k {
        let mut s = a[j * k + j];
        for m in 0..j {
            s -= a[j * k + m] * a[j * k + m];
        }
        if !s.is_finite() || s <= 0.0 {
            return false;
        }
        let r = 1.0 / s.sqrt();
        inv[j] = r;
        for i in j + 1..k {
            let mut s = a[i * k + j];
            for m in 0..j {
                s -= a[i * k + m] * a[j * k + m];
            }
            a[i * k + j] = s * r;
        }
    }
    for i in 0..k {
        let mut s = b[i];
        for m in 0..i {
            s -= a[i * k + m] * b[m];
        }
        b[i] = s * inv[i];
    }
    for i in (0..k).rev() {
        let mut s = b[i];
        for m in i + 1..k {
            s -= a[m * k + i] * b[m];
        }
        b[i] = s * inv[i];
    }
    true
}

/// f's rounding, relative (a few ulps).
const ROUNDING: f64 = 4.0 * f64::EPSILON;

const LAMBDA_START: f64 = 1e-4;
const LAMBDA_MIN: f64 = 1e-12;
const LAMBDA_MAX: f64 = 1e12;
/// The largest growth of the damping after one rejected step (Nielsen's
/// doubling factor, capped: a rejected step never skips a decade).
const NU_MAX: f64 = 10.0;

impl LevenbergMarquardt<'_> {
    /// The damped Gauss-Newton iteration from `x0`.
    fn run(
        &self,
        f: &dyn Function,
        x0: &[f64],
        lo: &[f64],
        hi: &[f64],
        tol: &Tolerances,
    ) -> Outcome {
        let n = x0.len();
        let mut x: Vec<f64> = (0..n).map(|i| x0[i].clamp(lo[i], hi[i])).collect();
        let mut g = vec![0.0; n];
        let mut h = vec![0.0; n * n];
        let Some(mut fx) = f.gauss_newton(&x, &mut g, &mut h) else {
            return self.fallback.minimize(f, x0, lo, hi, tol);
        };
        let mut evals = 1u64;
        if !fx.is_finite() {
            return Outcome {
                x,
                f: fx,
                termination: Termination::NonFinite,
                message: "the objective is not finite at the start",
                iterations: 0,
                evaluations: evals,
            };
        }
        let tiny = (1e-14 * fx.abs()).max(f64::MIN_POSITIVE.sqrt());
        let (mut xn, mut gn, mut hn) = (vec![0.0; n], vec![0.0; n], vec![0.0; n * n]);
        let (mut a, mut d, mut free) = (vec![0.0; n * n], vec![0.0; n], Vec::with_capacity(n));
        let mut lambda = LAMBDA_START;
        // Nielsen's growth factor of the damping after a rejected step.
        let mut nu = 2.0;
        let mut status = (
            Termination::MaxIterations,
            "the iteration limit was reached",
        );
        let mut iter = 0u64;
        while iter < tol.max_iter {
            let scale = fx.abs().max(tiny);
            if projected_gradient_norm(&x, &g, lo, hi) <= tol.pgtol * scale {
                status = (
                    Termination::Converged,
                    "the projected gradient is below its tolerance",
                );
                break;
            }
            iter += 1;
            free.clear();
            free.extend(
                (0..n).filter(|&i| !(x[i] <= lo[i] && g[i] > 0.0 || x[i] >= hi[i] && g[i] < 0.0)),
            );
            let k = free.len();
            let diag_max = free.iter().map(|&i| h[i * n + i]).fold(0.0, f64::max);
            // Run to the optimum (no relative-decrease test): when the
            // undamped Gauss-Newton model predicts a decrease below the
            // rounding of f, no step is tried (as if none decreased f).
            // This is the model's distance to its minimum (the Newton
            // decrement), not the progress of a step: in a flat valley (a
            // large predicted decrease, slow progress) the polish goes on.
            let at_rounding = tol.ftol == 0.0 && {
                for (r, &i) in free.iter().enumerate() {
                    for (c, &j) in free.iter().enumerate() {
                        a[r * k + c] = h[i * n + j];
                    }
                    a[r * k + r] += 1e-12 * diag_max;
                    d[r] = -g[i];
                }
                cholesky_solve(&mut a[..k * k], &mut d[..k], k)
                    && -0.5
                        * free
                            .iter()
                            .enumerate()
                            .map(|(r, &i)| g[i] * d[r])
                            .sum::<f64>()
                        <= ROUNDING * fx.abs()
            };
            // Damped steps until one decreases f (or the damping runs out).
            let mut accepted = false;
            let lambda0 = lambda;
            let mut retried = false;
            loop {
                if at_rounding {
                    break;
                }
                if lambda > LAMBDA_MAX {
                    // Every damping from lambda0 up failed: once per point,
                    // the smaller dampings from the start's (longer steps).
                    if retried || lambda0 <= LAMBDA_START {
                        break;
                    }
                    retried = true;
                    lambda = LAMBDA_START;
                    nu = 2.0;
                }
                for (r, &i) in free.iter().enumerate() {
                    for (c, &j) in free.iter().enumerate() {
                        a[r * k + c] = h[i * n + j];
                    }
                    let dii = h[i * n + i].max(1e-12 * diag_max).max(f64::MIN_POSITIVE);
                    a[r * k + r] += lambda * dii;
                    d[r] = -g[i];
                }
                if !cholesky_solve(&mut a[..k * k], &mut d[..k], k) {
                    lambda *= nu;
                    nu = (nu * 2.0).min(NU_MAX);
                    continue;
                }
                xn.copy_from_slice(&x);
                for (r, &i) in free.iter().enumerate() {
                    xn[i] = (x[i] + d[r]).clamp(lo[i], hi[i]);
                }
                if xn == x {
                    // The step no longer moves x: as the damping running out.
                    if retried || lambda0 <= LAMBDA_START {
                        break;
                    }
                    retried = true;
                    lambda = LAMBDA_START;
                    nu = 2.0;
                    continue;
                }
                let fnew = f
                    .gauss_newton(&xn, &mut gn, &mut hn)
                    .unwrap_or(f64::INFINITY);
                evals += 1;
                if fnew.is_finite() && fnew < fx {
                    // Gain ratio: the decrease against the Gauss-Newton
                    // model's, for the step taken (clamped into the box).
                    let mut model = 0.0;
                    for &i in free.iter() {
                        let si = xn[i] - x[i];
                        let mut hs = 0.0;
                        for &j in free.iter() {
                            hs += h[i * n + j] * (xn[j] - x[j]);
                        }
                        model -= si * (g[i] + 0.5 * hs);
                    }
                    let decrease = fx - fnew;
                    let rho = if model > 0.0 { decrease / model } else { 0.5 };
                    std::mem::swap(&mut x, &mut xn);
                    std::mem::swap(&mut g, &mut gn);
                    std::mem::swap(&mut h, &mut hn);
                    fx = fnew;
                    let q = 2.0 * rho - 1.0;
                    lambda = (lambda * (1.0 - q * q * q).max(0.1)).max(LAMBDA_MIN);
                    nu = 2.0;
                    accepted = true;
                    if decrease <= tol.ftol * fx.abs().max(tiny) {
                        status = (
                            Termination::Converged,
                            "the relative reduction of f is below its tolerance",
                        );
                    }
                    break;
                }
                lambda *= nu;
                nu = (nu * 2.0).min(NU_MAX);
            }
            if status.0 == Termination::Converged {
                break;
            }
            if !accepted {
                // No damped step decreases f (or is predicted to, beyond
                // rounding): at an optimum to rounding if
                // the projected gradient is small against |f| (as LbfgsBox).
                let scale = fx.abs().max(tiny);
                status = if projected_gradient_norm(&x, &g, lo, hi) <= 1e-5 * scale {
                    (
                        Termination::Converged,
                        "no step decreases f and the projected gradient is small",
                    )
                } else {
                    (
                        Termination::LineSearchFailed,
                        "no damped Gauss-Newton step decreases f",
                    )
                };
                break;
            }
        }
        Outcome {
            x,
            f: fx,
            termination: status.0,
            message: status.1,
            iterations: iter,
            evaluations: evals,
        }
    }
}

impl Solver for LevenbergMarquardt<'_> {
    fn name(&self) -> &'static str {
        "slaw Levenberg-Marquardt (box)"
    }

    fn minimize(
        &self,
        f: &dyn Function,
        x0: &[f64],
        lo: &[f64],
        hi: &[f64],
        tol: &Tolerances,
    ) -> Outcome {
        self.run(f, x0, lo, hi, tol)
    }
}
