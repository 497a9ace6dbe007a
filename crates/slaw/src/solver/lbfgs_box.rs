//! A compact projected L-BFGS for small, box-bounded problems (a handful of
//! parameters, as in every scaling law). Written because basin's general
//! L-BFGS-B spends about as long per evaluation on its own bookkeeping as our
//! objective takes (see BENCHMARKS.md); this one allocates once per run.
//!
//! Each iteration: the variables at a bound whose gradient pushes outward are
//! held fixed; the two-loop recursion gives a quasi-Newton direction on the
//! free ones; a backtracking (Armijo) search along the projected path keeps
//! the iterate in the box. Curvature pairs with s'y <= 0 are skipped.
//!
//! Stopping is relative to the objective's own scale: the projected gradient
//! against |f|, the decrease of one step against |f|, so an objective of 1e-3
//! is solved as tightly as one of 1e3.

use super::{Function, Outcome, Solver, Status, Tolerances};

#[derive(Debug, Clone, Copy)]
pub struct LbfgsBox {
    /// Number of correction pairs kept.
    pub memory: usize,
}

impl Default for LbfgsBox {
    fn default() -> Self {
        LbfgsBox { memory: 8 }
    }
}

#[inline]
fn project(x: &mut [f64], lo: &[f64], hi: &[f64]) {
    for i in 0..x.len() {
        x[i] = x[i].clamp(lo[i], hi[i]);
    }
}

/// Infinity norm of the projected gradient step P(x - g) - x.
fn projected_gradient_norm(x: &[f64], g: &[f64], lo: &[f64], hi: &[f64]) -> f64 {
    let mut m: f64 = 0.0;
    for i in 0..x.len() {
        let p = (x[i] - g[i]).clamp(lo[i], hi[i]) - x[i];
        m = m.max(p.abs());
    }
    m
}

impl Solver for LbfgsBox {
    fn name(&self) -> &'static str {
        "slaw projected L-BFGS"
    }

    fn minimize(
        &self,
        f: &dyn Function,
        x0: &[f64],
        lo: &[f64],
        hi: &[f64],
        tol: &Tolerances,
    ) -> Outcome {
        let n = x0.len();
        let m = self.memory.max(1);
        let mut x = x0.to_vec();
        project(&mut x, lo, hi);
        let mut g = vec![0.0; n];
        let mut fx = f.value_grad(&x, &mut g);
        let mut evals = 1u64;
        if !fx.is_finite() {
            return Outcome {
                x,
                f: fx,
                status: Status::Failed,
                iterations: 0,
                evaluations: evals,
            };
        }
        // Correction pairs in a ring buffer.
        let mut s_hist = vec![0.0; m * n];
        let mut y_hist = vec![0.0; m * n];
        let mut rho = vec![0.0; m];
        let mut alpha = vec![0.0; m];
        let (mut head, mut len) = (0usize, 0usize);
        let mut d = vec![0.0; n];
        let mut free = vec![true; n];
        let mut xn = vec![0.0; n];
        let mut gn = vec![0.0; n];
        let tiny = f64::MIN_POSITIVE.sqrt();
        let mut status = Status::IterationLimit;
        let mut iter = 0u64;
        while iter < tol.max_iter {
            let scale = fx.abs().max(tiny);
            if projected_gradient_norm(&x, &g, lo, hi) <= tol.pgtol * scale {
                status = Status::Converged;
                break;
            }
            // Active set: at a bound with the gradient pointing out of the box.
            for i in 0..n {
                free[i] = !((x[i] <= lo[i] && g[i] > 0.0) || (x[i] >= hi[i] && g[i] < 0.0));
            }
            // Two-loop recursion on the free variables.
            for i in 0..n {
                d[i] = if free[i] { -g[i] } else { 0.0 };
            }
            for k in 0..len {
                let j = (head + m - 1 - k) % m;
                let s = &s_hist[j * n..(j + 1) * n];
                let y = &y_hist[j * n..(j + 1) * n];
                let a = rho[j]
                    * (0..n)
                        .filter(|&i| free[i])
                        .map(|i| s[i] * d[i])
                        .sum::<f64>();
                alpha[j] = a;
                for i in 0..n {
                    if free[i] {
                        d[i] -= a * y[i];
                    }
                }
            }
            if len > 0 {
                let j = (head + m - 1) % m;
                let s = &s_hist[j * n..(j + 1) * n];
                let y = &y_hist[j * n..(j + 1) * n];
                let yy: f64 = (0..n).filter(|&i| free[i]).map(|i| y[i] * y[i]).sum();
                let sy: f64 = (0..n).filter(|&i| free[i]).map(|i| s[i] * y[i]).sum();
                if yy > 0.0 && sy > 0.0 {
                    let gamma = sy / yy;
                    d.iter_mut().for_each(|v| *v *= gamma);
                }
            }
            for k in (0..len).rev() {
                let j = (head + m - 1 - k) % m;
                let s = &s_hist[j * n..(j + 1) * n];
                let y = &y_hist[j * n..(j + 1) * n];
                let b = rho[j]
                    * (0..n)
                        .filter(|&i| free[i])
                        .map(|i| y[i] * d[i])
                        .sum::<f64>();
                for i in 0..n {
                    if free[i] {
                        d[i] += s[i] * (alpha[j] - b);
                    }
                }
            }
            let mut slope: f64 = (0..n).map(|i| g[i] * d[i]).sum();
            if slope >= 0.0 || slope.is_nan() {
                // Not a descent direction: restart from steepest descent.
                len = 0;
                for i in 0..n {
                    d[i] = if free[i] { -g[i] } else { 0.0 };
                }
                slope = -(0..n).map(|i| d[i] * d[i]).sum::<f64>();
                if slope == 0.0 {
                    status = Status::Converged;
                    break;
                }
            }
            // First step of a fresh memory: unit length in the step's norm.
            let mut t = if len == 0 {
                let dn = d.iter().map(|v| v.abs()).fold(0.0, f64::max);
                (1.0 / dn).min(1.0)
            } else {
                1.0
            };
            // Backtracking along the projected path.
            let mut accepted = false;
            let mut fn_ = f64::INFINITY;
            for _ in 0..60 {
                for i in 0..n {
                    xn[i] = x[i] + t * d[i];
                }
                project(&mut xn, lo, hi);
                fn_ = f.value_grad(&xn, &mut gn);
                evals += 1;
                // Armijo on the actual (projected) step.
                let dec: f64 = (0..n).map(|i| g[i] * (xn[i] - x[i])).sum();
                if fn_.is_finite() && fn_ <= fx + 1e-4 * dec.min(0.0) && fn_ <= fx {
                    accepted = true;
                    break;
                }
                t *= if fn_.is_finite() { 0.5 } else { 0.1 };
            }
            iter += 1;
            if !accepted {
                // No decrease is possible along this direction at machine precision.
                let scale = fx.abs().max(tiny);
                status = if projected_gradient_norm(&x, &g, lo, hi) <= 1e-5 * scale {
                    Status::Converged
                } else {
                    Status::Failed
                };
                break;
            }
            // Curvature pair.
            let j = head;
            let mut sy = 0.0;
            let mut smax: f64 = 0.0;
            for i in 0..n {
                let s = xn[i] - x[i];
                let y = gn[i] - g[i];
                s_hist[j * n + i] = s;
                y_hist[j * n + i] = y;
                sy += s * y;
                smax = smax.max(s.abs() / (1.0 + x[i].abs()));
            }
            if sy > 1e-12 * (fx.abs().max(tiny)) * smax * smax.max(1e-300)
                || sy > 0.0 && sy.is_normal()
            {
                rho[j] = 1.0 / sy;
                head = (head + 1) % m;
                len = (len + 1).min(m);
            }
            let decrease = fx - fn_;
            x.copy_from_slice(&xn);
            g.copy_from_slice(&gn);
            fx = fn_;
            if decrease <= tol.ftol * fx.abs().max(tiny) && decrease >= 0.0 {
                status = Status::Converged;
                break;
            }
            if smax <= 1e-15 {
                status = Status::Converged;
                break;
            }
        }
        Outcome {
            x,
            f: fx,
            status,
            iterations: iter,
            evaluations: evals,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosenbrock_unbounded_and_bounded() {
        let rosen = |x: &[f64], g: &mut [f64]| {
            g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
            g[1] = 200.0 * (x[1] - x[0] * x[0]);
            (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
        };
        let s = LbfgsBox::default();
        let inf = f64::INFINITY;
        let o = s.minimize(
            &rosen,
            &[-1.2, 1.0],
            &[-inf, -inf],
            &[inf, inf],
            &Tolerances::default(),
        );
        assert_eq!(o.status, Status::Converged);
        assert!(
            (o.x[0] - 1.0).abs() < 1e-5 && (o.x[1] - 1.0).abs() < 1e-5,
            "{:?}",
            o.x
        );
        // With x0 <= 0.5 the optimum is on the bound: (0.5, 0.25).
        let o = s.minimize(
            &rosen,
            &[-1.2, 1.0],
            &[-inf, -inf],
            &[0.5, inf],
            &Tolerances::default(),
        );
        assert_eq!(o.status, Status::Converged);
        assert!(
            (o.x[0] - 0.5).abs() < 1e-8 && (o.x[1] - 0.25).abs() < 1e-5,
            "{:?}",
            o.x
        );
    }

    #[test]
    fn tiny_objective_is_not_stopped_early() {
        // f = 1e-6 * ((x-3)^2 + 1e-3): absolute tolerances would stop at once.
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = 2e-6 * (x[0] - 3.0);
            1e-6 * ((x[0] - 3.0).powi(2) + 1e-3)
        };
        let o = LbfgsBox::default().minimize(&f, &[0.0], &[-10.0], &[10.0], &Tolerances::default());
        assert!((o.x[0] - 3.0).abs() < 1e-6, "{:?}", o.x);
    }
}
