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

#[inline(always)]
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

/// [`cholesky_solve`] for a `K` x `K` system known at compile time: every
/// loop unrolled, no bounds checks, and no early return (a pivot that is
/// not positive only sets the result false; the rest runs on, its values
/// unused), so two solves written one after the other are two independent
/// chains the processor overlaps ([`solve_pair`]). The same operations in
/// the same order: the same bits as [`cholesky_solve`] (tested).
#[inline(always)]
fn cholesky_solve_fixed<const K: usize>(a: &mut [f64], b: &mut [f64]) -> bool {
    let a = &mut a[..K * K];
    let b = &mut b[..K];
    let mut inv = [0.0f64; K];
    let mut ok = true;
    for j in 0..K {
        let mut s = a[j * K + j];
        for m in 0..j {
            s -= a[j * K + m] * a[j * K + m];
        }
        ok &= s.is_finite() && s > 0.0;
        let r = 1.0 / s.sqrt();
        inv[j] = r;
        for i in j + 1..K {
            let mut s = a[i * K + j];
            for m in 0..j {
                s -= a[i * K + m] * a[j * K + m];
            }
            a[i * K + j] = s * r;
        }
    }
    for i in 0..K {
        let mut s = b[i];
        for m in 0..i {
            s -= a[i * K + m] * b[m];
        }
        b[i] = s * inv[i];
    }
    for i in (0..K).rev() {
        let mut s = b[i];
        for m in i + 1..K {
            s -= a[m * K + i] * b[m];
        }
        b[i] = s * inv[i];
    }
    ok
}

/// Two independent solves of [`cholesky_solve_fixed`] in one straight run
/// of code: the second's chain of dependent operations (square root,
/// division, substitutions) overlaps the first's.
#[inline(always)]
fn cholesky_pair_fixed<const K: usize>(
    a0: &mut [f64],
    b0: &mut [f64],
    a1: &mut [f64],
    b1: &mut [f64],
) -> (bool, bool) {
    let ok0 = cholesky_solve_fixed::<K>(a0, b0);
    let ok1 = cholesky_solve_fixed::<K>(a1, b1);
    (ok0, ok1)
}

/// [`cholesky_solve`] of a `k` x `k` system (row major in `a[..k * k]`),
/// by the fixed-size copy for k <= 8.
fn solve(a: &mut [f64], b: &mut [f64], k: usize) -> bool {
    match k {
        1 => cholesky_solve_fixed::<1>(a, b),
        2 => cholesky_solve_fixed::<2>(a, b),
        3 => cholesky_solve_fixed::<3>(a, b),
        4 => cholesky_solve_fixed::<4>(a, b),
        5 => cholesky_solve_fixed::<5>(a, b),
        6 => cholesky_solve_fixed::<6>(a, b),
        7 => cholesky_solve_fixed::<7>(a, b),
        8 => cholesky_solve_fixed::<8>(a, b),
        _ => cholesky_solve(&mut a[..k * k], &mut b[..k], k),
    }
}

/// Two `k` x `k` systems solved as [`solve`] solves each, overlapped.
fn solve_pair(
    a0: &mut [f64],
    b0: &mut [f64],
    a1: &mut [f64],
    b1: &mut [f64],
    k: usize,
) -> (bool, bool) {
    match k {
        1 => cholesky_pair_fixed::<1>(a0, b0, a1, b1),
        2 => cholesky_pair_fixed::<2>(a0, b0, a1, b1),
        3 => cholesky_pair_fixed::<3>(a0, b0, a1, b1),
        4 => cholesky_pair_fixed::<4>(a0, b0, a1, b1),
        5 => cholesky_pair_fixed::<5>(a0, b0, a1, b1),
        6 => cholesky_pair_fixed::<6>(a0, b0, a1, b1),
        7 => cholesky_pair_fixed::<7>(a0, b0, a1, b1),
        8 => cholesky_pair_fixed::<8>(a0, b0, a1, b1),
        _ => (
            cholesky_solve(&mut a0[..k * k], &mut b0[..k], k),
            cholesky_solve(&mut a1[..k * k], &mut b1[..k], k),
        ),
    }
}

/// f's rounding, relative (a few ulps).
const ROUNDING: f64 = 4.0 * f64::EPSILON;

const LAMBDA_START: f64 = 1e-4;
const LAMBDA_MIN: f64 = 1e-12;
const LAMBDA_MAX: f64 = 1e12;
/// The largest growth of the damping after one rejected step (Nielsen's
/// doubling factor, capped: a rejected step never skips a decade).
const NU_MAX: f64 = 10.0;

/// Largest dimension whose run keeps its vectors on the stack.
const STACK_N: usize = 8;
/// The run's vectors for `STACK_N` variables: x, g, xn, gn, d, d0 (n each)
/// and h, hn, a, a0 (n x n each).
const STACK: usize = 6 * STACK_N + 4 * STACK_N * STACK_N;

impl LevenbergMarquardt<'_> {
    /// The damped Gauss-Newton iteration from `x0`. Small problems (every
    /// scaling law) get a copy with the dimension known at compile time
    /// and their vectors on the stack (a run allocates only the point it
    /// returns); the arithmetic, in the same order, is identical.
    fn run(
        &self,
        f: &dyn Function,
        x0: &[f64],
        lo: &[f64],
        hi: &[f64],
        tol: &Tolerances,
    ) -> Outcome {
        by_dimension!(x0.len(), self.run_n(f, x0, lo, hi, tol))
    }

    /// [`LevenbergMarquardt::run`] for `N` variables (`N = 0`: any number).
    #[inline(always)]
    fn run_n<const N: usize>(
        &self,
        f: &dyn Function,
        x0_in: &[f64],
        lo_in: &[f64],
        hi_in: &[f64],
        tol: &Tolerances,
    ) -> Outcome {
        let n = if N > 0 { N } else { x0_in.len() };
        let (x0, lo, hi) = (&x0_in[..n], &lo_in[..n], &hi_in[..n]);
        let need = 6 * n + 4 * n * n;
        let mut stack = [0.0f64; STACK];
        let mut heap = Vec::new();
        let buf: &mut [f64] = if need <= STACK {
            &mut stack[..need]
        } else {
            heap.resize(need, 0.0);
            &mut heap[..]
        };
        let (mut x, buf) = buf.split_at_mut(n);
        let (mut g, buf) = buf.split_at_mut(n);
        let (mut xn, buf) = buf.split_at_mut(n);
        let (mut gn, buf) = buf.split_at_mut(n);
        let (d, buf) = buf.split_at_mut(n);
        let (d0, buf) = buf.split_at_mut(n);
        let (mut h, buf) = buf.split_at_mut(n * n);
        let (mut hn, buf) = buf.split_at_mut(n * n);
        let (a, a0) = buf.split_at_mut(n * n);
        let mut free_stack = [0usize; STACK_N];
        let mut free_heap = Vec::new();
        let free_all: &mut [usize] = if n <= STACK_N {
            &mut free_stack[..n]
        } else {
            free_heap.resize(n, 0);
            &mut free_heap[..]
        };
        for i in 0..n {
            x[i] = x0[i].clamp(lo[i], hi[i]);
        }
        let Some(mut fx) = f.gauss_newton(x, g, h) else {
            return self.fallback.minimize(f, x0_in, lo_in, hi_in, tol);
        };
        let mut evals = 1u64;
        if !fx.is_finite() {
            return Outcome {
                x: x.to_vec(),
                f: fx,
                termination: Termination::NonFinite,
                message: "the objective is not finite at the start",
                iterations: 0,
                evaluations: evals,
            };
        }
        let tiny = (1e-14 * fx.abs()).max(f64::MIN_POSITIVE.sqrt());
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
            if projected_gradient_norm(x, g, lo, hi) <= tol.pgtol * scale {
                status = (
                    Termination::Converged,
                    "the projected gradient is below its tolerance",
                );
                break;
            }
            iter += 1;
            let mut k = 0;
            for i in 0..n {
                if !(x[i] <= lo[i] && g[i] > 0.0 || x[i] >= hi[i] && g[i] < 0.0) {
                    free_all[k] = i;
                    k += 1;
                }
            }
            let free = &free_all[..k];
            let diag_max = free.iter().map(|&i| h[i * n + i]).fold(0.0, f64::max);
            // Every variable free (the common case): the systems below are
            // built, and the gain ratio summed, without the index map (the
            // same entries and the same sums in the same order).
            let all_free = k == n;
            // The damped system at `lambda`: H on the free variables plus
            // lambda times its diagonal (floored), right-hand side -g.
            let damped = |a: &mut [f64], d: &mut [f64], lambda: f64| {
                if all_free {
                    a[..n * n].copy_from_slice(&h[..n * n]);
                    for i in 0..n {
                        let dii = h[i * n + i].max(1e-12 * diag_max).max(f64::MIN_POSITIVE);
                        a[i * n + i] += lambda * dii;
                        d[i] = -g[i];
                    }
                    return;
                }
                for (r, &i) in free.iter().enumerate() {
                    for (c, &j) in free.iter().enumerate() {
                        a[r * k + c] = h[i * n + j];
                    }
                    let dii = h[i * n + i].max(1e-12 * diag_max).max(f64::MIN_POSITIVE);
                    a[r * k + r] += lambda * dii;
                    d[r] = -g[i];
                }
            };
            // Whether the damped system at the current `lambda` is already
            // solved into (a, d) (solved with the undamped one below, the
            // two overlapped), and if it was positive definite.
            let mut presolved: Option<bool> = None;
            // Run to the optimum (no relative-decrease test): when the
            // undamped Gauss-Newton model predicts a decrease below the
            // rounding of f, no step is tried (as if none decreased f).
            // This is the model's distance to its minimum (the Newton
            // decrement), not the progress of a step: in a flat valley (a
            // large predicted decrease, slow progress) the polish goes on.
            let at_rounding = tol.ftol == 0.0 && {
                if all_free {
                    a0[..n * n].copy_from_slice(&h[..n * n]);
                    for i in 0..n {
                        a0[i * n + i] += 1e-12 * diag_max;
                        d0[i] = -g[i];
                    }
                } else {
                    for (r, &i) in free.iter().enumerate() {
                        for (c, &j) in free.iter().enumerate() {
                            a0[r * k + c] = h[i * n + j];
                        }
                        a0[r * k + r] += 1e-12 * diag_max;
                        d0[r] = -g[i];
                    }
                }
                // The first damped system the loop below solves (at this
                // lambda, when within its range), solved alongside.
                let solved = if lambda <= LAMBDA_MAX {
                    damped(a, d, lambda);
                    let (ok0, ok1) = solve_pair(a0, d0, a, d, k);
                    presolved = Some(ok1);
                    ok0
                } else {
                    solve(a0, d0, k)
                };
                solved
                    && -0.5
                        * free
                            .iter()
                            .enumerate()
                            .map(|(r, &i)| g[i] * d0[r])
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
                let positive = match presolved.take() {
                    Some(ok) => ok,
                    None => {
                        damped(a, d, lambda);
                        solve(a, d, k)
                    }
                };
                if !positive {
                    lambda *= nu;
                    nu = (nu * 2.0).min(NU_MAX);
                    continue;
                }
                xn.copy_from_slice(x);
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
                let fnew = f.gauss_newton(xn, gn, hn).unwrap_or(f64::INFINITY);
                evals += 1;
                if fnew.is_finite() && fnew < fx {
                    // Gain ratio: the decrease against the Gauss-Newton
                    // model's, for the step taken (clamped into the box).
                    let mut model = 0.0;
                    if all_free {
                        // The same sums in the same order, without the
                        // index map.
                        for i in 0..n {
                            let si = xn[i] - x[i];
                            let mut hs = 0.0;
                            for j in 0..n {
                                hs += h[i * n + j] * (xn[j] - x[j]);
                            }
                            model -= si * (g[i] + 0.5 * hs);
                        }
                    } else {
                        for &i in free.iter() {
                            let si = xn[i] - x[i];
                            let mut hs = 0.0;
                            for &j in free.iter() {
                                hs += h[i * n + j] * (xn[j] - x[j]);
                            }
                            model -= si * (g[i] + 0.5 * hs);
                        }
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
                status = if projected_gradient_norm(x, g, lo, hi) <= 1e-5 * scale {
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
            x: x.to_vec(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A symmetric matrix B B^T + shift I from a deterministic sequence.
    fn system(k: usize, seed: u64, shift: f64) -> (Vec<f64>, Vec<f64>) {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        let b: Vec<f64> = (0..k * k)
            .map(|_| next() * 10f64.powf(3.0 * next()))
            .collect();
        let mut a = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                a[i * k + j] = (0..k).map(|m| b[i * k + m] * b[j * k + m]).sum::<f64>();
            }
            a[i * k + i] += shift;
        }
        let rhs = (0..k).map(|_| next()).collect();
        (a, rhs)
    }

    #[test]
    fn fixed_size_and_paired_solves_have_the_bits_of_the_general_one() {
        for k in 0..=9 {
            for seed in 0..200u64 {
                // Positive definite, nearly singular and indefinite systems.
                let shift = [1e-3, 0.0, -1.0][(seed % 3) as usize];
                let (a, b) = system(k, seed, shift);
                let (mut ar, mut br) = (a.clone(), b.clone());
                let ok = cholesky_solve(&mut ar, &mut br, k);
                let (mut af, mut bf) = (a.clone(), b.clone());
                assert_eq!(solve(&mut af, &mut bf, k), ok, "k {k} seed {seed}");
                let (a2, b2) = system(k, seed + 1000, 1e-3);
                let (mut ar2, mut br2) = (a2.clone(), b2.clone());
                let ok2 = cholesky_solve(&mut ar2, &mut br2, k);
                let (mut ap, mut bp, mut ap2, mut bp2) = (a.clone(), b.clone(), a2, b2);
                let pair = solve_pair(&mut ap, &mut bp, &mut ap2, &mut bp2, k);
                assert_eq!(pair, (ok, ok2), "k {k} seed {seed}");
                if ok {
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&bf), bits(&br), "k {k} seed {seed}");
                    assert_eq!(bits(&bp), bits(&br), "k {k} seed {seed}");
                }
                if ok2 {
                    assert_eq!(bp2, br2, "k {k} seed {seed}");
                }
            }
        }
    }
}
