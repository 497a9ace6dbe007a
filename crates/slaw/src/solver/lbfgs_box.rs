//! A compact projected L-BFGS for small, box-bounded problems (a handful of
//! parameters, as in every scaling law). Written because basin's general
//! L-BFGS-B spends about as long per evaluation on its own bookkeeping as our
//! objective takes (see BENCHMARKS.md); this one allocates once per run.
//!
//! Each iteration: the variables at a bound whose gradient pushes outward are
//! held fixed; the two-loop recursion gives a quasi-Newton direction on the
//! free ones; a strong-Wolfe line search (cubic interpolation, clamped to
//! the box) along the projected path keeps the iterate in the box. Curvature
//! pairs with s'y <= 0 are skipped.
//!
//! Stopping is relative to the objective's own scale: the projected gradient
//! against |f|, the decrease of one step against |f|, so an objective of 1e-3
//! is solved as tightly as one of 1e3 (down to 1e-14 of the starting value).

use super::{Function, Outcome, Solver, Termination, Tolerances};

#[derive(Debug, Clone, Copy)]
/// Projected L-BFGS with a strong-Wolfe line search for small box-bounded problems (see the module documentation).
pub struct LbfgsBox {
    /// Number of correction pairs kept.
    pub memory: usize,
}

impl Default for LbfgsBox {
    fn default() -> Self {
        LbfgsBox { memory: 8 }
    }
}

/// Strong-Wolfe line search (Nocedal & Wright, algorithms 3.5 and 3.6) on
/// phi(t) = f(x + t d) for t in (0, t_max], with cubic interpolation.
struct LineSearch<'a> {
    f: &'a dyn Function,
    x: &'a [f64],
    d: &'a [f64],
    lo: &'a [f64],
    hi: &'a [f64],
    /// The last evaluated point and its gradient (the accepted one on success).
    xn: &'a mut [f64],
    gn: &'a mut [f64],
    evals: u64,
}

const C1: f64 = 1e-4;
const C2: f64 = 0.9;

impl LineSearch<'_> {
    /// phi(t) and phi'(t); the point is clamped into the box against rounding.
    fn phi(&mut self, t: f64) -> (f64, f64) {
        for i in 0..self.x.len() {
            self.xn[i] = (self.x[i] + t * self.d[i]).clamp(self.lo[i], self.hi[i]);
        }
        let v = self.f.value_grad(self.xn, self.gn);
        self.evals += 1;
        let dv = self.gn.iter().zip(self.d).map(|(g, d)| g * d).sum();
        (v, dv)
    }

    /// Returns f at the accepted step (left in xn / gn), or None.
    fn search(&mut self, f0: f64, df0: f64, t_init: f64, t_max: f64) -> Option<f64> {
        let (mut t_prev, mut f_prev, mut df_prev) = (0.0, f0, df0);
        let mut t = t_init;
        if t <= 0.0 || t.is_nan() {
            return None;
        }
        for i in 0..30 {
            let (ft, dft) = self.phi(t);
            if !ft.is_finite() {
                // Undefined here: shrink toward the last good step.
                return self.zoom(
                    f0,
                    df0,
                    (t_prev, f_prev, df_prev),
                    (t, f64::INFINITY, f64::NAN),
                );
            }
            if ft > f0 + C1 * t * df0 || (i > 0 && ft >= f_prev) {
                return self.zoom(f0, df0, (t_prev, f_prev, df_prev), (t, ft, dft));
            }
            if dft.abs() <= -C2 * df0 {
                return Some(ft);
            }
            if dft >= 0.0 {
                return self.zoom(f0, df0, (t, ft, dft), (t_prev, f_prev, df_prev));
            }
            if t >= t_max {
                return Some(ft); // sufficient decrease, at the boundary of the box
            }
            (t_prev, f_prev, df_prev) = (t, ft, dft);
            t = (4.0 * t).min(t_max);
        }
        None
    }

    /// Shrink [lo, hi] (either order) until a strong-Wolfe step is found.
    fn zoom(
        &mut self,
        f0: f64,
        df0: f64,
        mut a: (f64, f64, f64),
        mut b: (f64, f64, f64),
    ) -> Option<f64> {
        let mut best: Option<(f64, f64)> = None; // (t, f) of the best Armijo point seen
        if a.0 > 0.0 && a.1 <= f0 + C1 * a.0 * df0 {
            best = Some((a.0, a.1));
        }
        for _ in 0..40 {
            let (lo_t, hi_t) = (a.0.min(b.0), a.0.max(b.0));
            let width = hi_t - lo_t;
            if width <= 1e-16 * hi_t.max(1e-300) {
                break;
            }
            let mut t = cubic_min(a, b).unwrap_or(0.5 * (a.0 + b.0));
            // Safeguard: stay well inside the interval.
            t = t.clamp(lo_t + 0.1 * width, hi_t - 0.1 * width);
            let (ft, dft) = self.phi(t);
            if !ft.is_finite() || ft > f0 + C1 * t * df0 || ft >= a.1 {
                b = (t, ft, dft);
            } else {
                if best.is_none_or(|(_, fb)| ft < fb) {
                    best = Some((t, ft));
                }
                if dft.abs() <= -C2 * df0 {
                    return Some(ft);
                }
                if dft * (b.0 - a.0) >= 0.0 {
                    b = a;
                }
                a = (t, ft, dft);
            }
        }
        // No Wolfe point: accept the best sufficient decrease seen, if any.
        let (t, fb) = best?;
        let (fv, _) = self.phi(t);
        debug_assert_eq!(fv, fb);
        Some(fv)
    }
}

/// Minimizer of the cubic through (t, f, f') at a and b, if it exists.
fn cubic_min(a: (f64, f64, f64), b: (f64, f64, f64)) -> Option<f64> {
    let (ta, fa, da) = a;
    let (tb, fb, db) = b;
    if !(fa.is_finite() && fb.is_finite() && da.is_finite() && db.is_finite()) {
        return None;
    }
    let d1 = da + db - 3.0 * (fa - fb) / (ta - tb);
    let disc = d1 * d1 - da * db;
    if disc < 0.0 {
        return None;
    }
    let d2 = (tb - ta).signum() * disc.sqrt();
    let t = tb - (tb - ta) * (db + d2 - d1) / (db - da + 2.0 * d2);
    t.is_finite().then_some(t)
}

/// a . b (on the free variables when b is zero on the others).
#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[inline(always)]
fn project(x: &mut [f64], lo: &[f64], hi: &[f64]) {
    for i in 0..x.len() {
        x[i] = x[i].clamp(lo[i], hi[i]);
    }
}

/// Infinity norm of the projected gradient step P(x - g) - x.
#[inline(always)]
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
        // Small problems (every scaling law) get a copy with the dimension
        // known at compile time: each loop over the variables is unrolled,
        // without bounds checks. The arithmetic, in the same order, is
        // identical.
        match x0.len() {
            1 => self.run::<1>(f, x0, lo, hi, tol),
            2 => self.run::<2>(f, x0, lo, hi, tol),
            3 => self.run::<3>(f, x0, lo, hi, tol),
            4 => self.run::<4>(f, x0, lo, hi, tol),
            5 => self.run::<5>(f, x0, lo, hi, tol),
            6 => self.run::<6>(f, x0, lo, hi, tol),
            7 => self.run::<7>(f, x0, lo, hi, tol),
            8 => self.run::<8>(f, x0, lo, hi, tol),
            _ => self.run::<0>(f, x0, lo, hi, tol),
        }
    }
}

impl LbfgsBox {
    /// The solver for `N` variables (`N = 0`: any number).
    #[inline(always)]
    fn run<const N: usize>(
        &self,
        f: &dyn Function,
        x0: &[f64],
        lo: &[f64],
        hi: &[f64],
        tol: &Tolerances,
    ) -> Outcome {
        let n = if N > 0 { N } else { x0.len() };
        let (x0, lo, hi) = (&x0[..n], &lo[..n], &hi[..n]);
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
                termination: Termination::NonFinite,
                message: "the objective is not finite at the start",
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
        // Tolerances follow |f|; the floor (relative to the start) keeps them
        // meaningful when the optimum is an exact fit with f* = 0.
        let tiny = (1e-14 * fx.abs()).max(f64::MIN_POSITIVE.sqrt());
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
            // Active set: at a bound with the gradient pointing out of the box.
            for i in 0..n {
                free[i] = !((x[i] <= lo[i] && g[i] > 0.0) || (x[i] >= hi[i] && g[i] < 0.0));
            }
            // Two-loop recursion on the free variables. d is zero on the
            // fixed ones and stays so, so its dot products need no filter;
            // those with y use a select (branch-free, the same sums).
            for i in 0..n {
                d[i] = if free[i] { -g[i] } else { 0.0 };
            }
            // Slot of the k-th newest pair: head - 1 - k, wrapped without `%`.
            let slot = |k: usize| {
                let j = head + m - 1 - k;
                if j >= m {
                    j - m
                } else {
                    j
                }
            };
            for k in 0..len {
                let j = slot(k);
                let s = &s_hist[j * n..(j + 1) * n];
                let y = &y_hist[j * n..(j + 1) * n];
                let a = rho[j] * dot(s, &d);
                alpha[j] = a;
                for i in 0..n {
                    d[i] -= if free[i] { a * y[i] } else { 0.0 };
                }
            }
            if len > 0 {
                let j = slot(0);
                let s = &s_hist[j * n..(j + 1) * n];
                let y = &y_hist[j * n..(j + 1) * n];
                let (mut yy, mut sy) = (0.0, 0.0);
                for i in 0..n {
                    let yi = if free[i] { y[i] } else { 0.0 };
                    yy += yi * yi;
                    sy += s[i] * yi;
                }
                if yy > 0.0 && sy > 0.0 {
                    let gamma = sy / yy;
                    d.iter_mut().for_each(|v| *v *= gamma);
                }
            }
            for k in (0..len).rev() {
                let j = slot(k);
                let s = &s_hist[j * n..(j + 1) * n];
                let y = &y_hist[j * n..(j + 1) * n];
                let b = rho[j] * dot(y, &d);
                for i in 0..n {
                    d[i] += if free[i] { s[i] * (alpha[j] - b) } else { 0.0 };
                }
            }
            // A variable on a bound may not move outward.
            for i in 0..n {
                if (x[i] <= lo[i] && d[i] < 0.0) || (x[i] >= hi[i] && d[i] > 0.0) {
                    d[i] = 0.0;
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
                    status = (Termination::Converged, "the projected gradient is zero");
                    break;
                }
            }
            // Largest step before a free variable leaves the box.
            let mut t_max = f64::INFINITY;
            for i in 0..n {
                if d[i] > 0.0 && hi[i].is_finite() {
                    t_max = t_max.min((hi[i] - x[i]) / d[i]);
                } else if d[i] < 0.0 && lo[i].is_finite() {
                    t_max = t_max.min((lo[i] - x[i]) / d[i]);
                }
            }
            // First step of a fresh memory: unit length in the step's norm.
            let t0 = if len == 0 {
                let dn = d.iter().map(|v| v.abs()).fold(0.0, f64::max);
                (1.0 / dn).min(1.0)
            } else {
                1.0
            };
            let mut ls = LineSearch {
                f,
                x: &x,
                d: &d,
                lo,
                hi,
                xn: &mut xn,
                gn: &mut gn,
                evals: 0,
            };
            let found = ls.search(fx, slope, t0.min(t_max), t_max);
            evals += ls.evals;
            iter += 1;
            let Some(fn_) = found else {
                // No decrease is possible along this direction at machine precision.
                let scale = fx.abs().max(tiny);
                status = if projected_gradient_norm(&x, &g, lo, hi) <= 1e-5 * scale {
                    (
                        Termination::Converged,
                        "no decrease at machine precision, with a small projected gradient",
                    )
                } else {
                    (
                        Termination::LineSearchFailed,
                        "the line search found no decrease",
                    )
                };
                break;
            };
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
                head = if head + 1 == m { 0 } else { head + 1 };
                len = (len + 1).min(m);
            }
            let decrease = fx - fn_;
            x.copy_from_slice(&xn);
            g.copy_from_slice(&gn);
            fx = fn_;
            if decrease <= tol.ftol * fx.abs().max(tiny) && decrease >= 0.0 {
                status = (
                    Termination::Converged,
                    "the relative decrease of the objective is below its tolerance",
                );
                break;
            }
            if smax <= 1e-15 {
                status = (
                    Termination::Converged,
                    "the step is below machine precision",
                );
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
        assert_eq!(o.termination, Termination::Converged);
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
        assert_eq!(o.termination, Termination::Converged);
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
