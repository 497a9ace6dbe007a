//! A compact projected L-BFGS for small, box-bounded problems (a handful of
//! parameters, as in every scaling law). Written because basin's general
//! L-BFGS-B spends about as long per evaluation on its own bookkeeping as our
//! objective takes (see BENCHMARKS.md); this one keeps its vectors on the
//! stack up to 8 variables and 8 correction pairs (one heap buffer beyond):
//! a run allocates only the point it returns.
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
//! A line search that finds no decrease ends converged when the projected
//! gradient is small against |f|. Otherwise a search along the memory's
//! direction is not judged: the memory is cleared and the search goes on
//! from steepest descent; when that finds no decrease either, the run ends
//! converged if the step to the minimum of the secant quadratic along it
//! moves no parameter by more than 1e-10 of its size, else the search
//! failed. Near an almost exact fit (f of 1e-13 from residuals of 1e-7)
//! neither the gradient (of the order of sqrt(f)) nor f's rounding scales
//! with |f|, and a restart there (a bootstrap's warm start) was called a
//! failed search.

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
    /// Copies of the best sufficient-decrease point of `zoom` and its gradient.
    best_x: &'a mut [f64],
    best_g: &'a mut [f64],
    evals: u64,
    /// The longest step evaluated with a finite phi and phi' (t, phi'(t)):
    /// the secant of phi' from 0 to it gives the curvature along the
    /// direction where the memory holds none.
    longest: Option<(f64, f64)>,
}

const C1: f64 = 1e-4;
/// Largest dimension whose run keeps its vectors on the stack, and the
/// stack buffer (f64 values) for it with the default memory of 8 pairs.
const STACK_N: usize = 8;
const STACK: usize = 2 * 8 * STACK_N + 2 * 8 + 7 * STACK_N;
const C2: f64 = 0.9;

impl LineSearch<'_> {
    /// phi(t) and phi'(t); the point is clamped into the box against rounding.
    fn phi(&mut self, t: f64) -> (f64, f64) {
        for i in 0..self.x.len() {
            self.xn[i] = (self.x[i] + t * self.d[i]).clamp(self.lo[i], self.hi[i]);
        }
        let v = self.f.value_grad(self.xn, self.gn);
        self.evals += 1;
        let dv = dot(self.gn, self.d);
        if v.is_finite() && dv.is_finite() && self.longest.is_none_or(|(l, _)| t > l) {
            self.longest = Some((t, dv));
        }
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
                                                 // The step whose point and gradient are in best_x / best_g.
        let mut kept: Option<f64> = None;
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
                    self.best_x.copy_from_slice(self.xn);
                    self.best_g.copy_from_slice(self.gn);
                    kept = Some(t);
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
        // No Wolfe point: accept the best sufficient decrease seen, if any:
        // its point and gradient from the copies kept when it was
        // evaluated (the objective is deterministic: evaluating it again
        // gave the same bits), else evaluated again.
        let (t, fb) = best?;
        if kept == Some(t) {
            self.xn.copy_from_slice(self.best_x);
            self.gn.copy_from_slice(self.best_g);
            return Some(fb);
        }
        let (fv, _) = self.phi(t);
        debug_assert_eq!(fv, fb);
        Some(fv)
    }
}

/// A steepest-descent step to the secant quadratic's minimum that moves no
/// parameter by more than this fraction of its size (1 + |x|) is, when no
/// decrease is found along it, an optimum to the objective's precision (see
/// `LbfgsBox::run`).
const NO_DECREASE_STEP: f64 = 1e-10;

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

/// a . b (on the free variables when b is zero on the others), summed in
/// index order. It starts from the first product: the same bits as `sum()`,
/// whose fold starts at -0.0 (-0.0 + x = x for every x), one dependent add
/// fewer.
#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return -0.0;
    }
    let mut acc = a[0] * b[0];
    for i in 1..n {
        acc += a[i] * b[i];
    }
    acc
}

/// The correction pairs of the L-BFGS memory: `len` of the ring buffer of
/// `m` slots (`s` and `y` flat, `n` values per slot), the newest at `head - 1`.
struct History<'a> {
    s: &'a [f64],
    y: &'a [f64],
    rho: &'a [f64],
    head: usize,
    len: usize,
    m: usize,
}

impl History<'_> {
    /// Slot of the k-th newest pair: head - 1 - k, wrapped without `%`.
    #[inline(always)]
    fn slot(&self, k: usize) -> usize {
        let j = self.head + self.m - 1 - k;
        if j >= self.m {
            j - self.m
        } else {
            j
        }
    }
}

/// Two-loop recursion on the free variables: `d` holds -g on the free ones
/// and zero on the others on entry, the quasi-Newton direction on return.
/// d is zero on the fixed variables and stays so, so its dot products need
/// no filter; the updates with y use a select (branch-free, the same sums).
#[inline(always)]
fn two_loop(d: &mut [f64], free: &[bool], h: &History, alpha: &mut [f64]) {
    let n = d.len();
    let free = &free[..n];
    for k in 0..h.len {
        let j = h.slot(k);
        let s = &h.s[j * n..(j + 1) * n];
        let y = &h.y[j * n..(j + 1) * n];
        let a = h.rho[j] * dot(s, d);
        alpha[j] = a;
        for i in 0..n {
            d[i] -= if free[i] { a * y[i] } else { 0.0 };
        }
    }
    if h.len > 0 {
        let j = h.slot(0);
        let s = &h.s[j * n..(j + 1) * n];
        let y = &h.y[j * n..(j + 1) * n];
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
    for k in (0..h.len).rev() {
        let j = h.slot(k);
        let s = &h.s[j * n..(j + 1) * n];
        let y = &h.y[j * n..(j + 1) * n];
        let b = h.rho[j] * dot(y, d);
        for i in 0..n {
            d[i] += if free[i] { s[i] * (alpha[j] - b) } else { 0.0 };
        }
    }
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

    fn defers_least_squares(&self) -> bool {
        true
    }

    fn minimize(
        &self,
        f: &dyn Function,
        x0: &[f64],
        lo: &[f64],
        hi: &[f64],
        tol: &Tolerances,
    ) -> Outcome {
        by_dimension!(x0.len(), self.run(f, x0, lo, hi, tol))
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
        // Every vector of the run in one buffer: on the stack for the small
        // problems of the scaling laws (no allocation per run), on the heap
        // beyond.
        let need = 2 * m * n + 2 * m + 7 * n;
        let mut stack = [0.0f64; STACK];
        let mut heap = Vec::new();
        let buf: &mut [f64] = if need <= STACK {
            &mut stack[..need]
        } else {
            heap.resize(need, 0.0);
            &mut heap[..]
        };
        let (x, buf) = buf.split_at_mut(n);
        let (g, buf) = buf.split_at_mut(n);
        let (s_hist, buf) = buf.split_at_mut(m * n);
        let (y_hist, buf) = buf.split_at_mut(m * n);
        let (rho, buf) = buf.split_at_mut(m);
        let (alpha, buf) = buf.split_at_mut(m);
        let (d, buf) = buf.split_at_mut(n);
        let (xn, buf) = buf.split_at_mut(n);
        let (gn, buf) = buf.split_at_mut(n);
        let (best_x, best_g) = buf.split_at_mut(n);
        let mut free_stack = [true; STACK_N];
        let mut free_heap = Vec::new();
        let free: &mut [bool] = if n <= STACK_N {
            &mut free_stack[..n]
        } else {
            free_heap.resize(n, true);
            &mut free_heap[..]
        };
        x.copy_from_slice(x0);
        project(x, lo, hi);
        let mut fx = f.value_grad(x, g);
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
        // Correction pairs in a ring buffer.
        let (mut head, mut len) = (0usize, 0usize);
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
            if projected_gradient_norm(x, g, lo, hi) <= tol.pgtol * scale {
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
            // The two-loop recursion starts from steepest descent on the
            // free variables.
            for i in 0..n {
                d[i] = if free[i] { -g[i] } else { 0.0 };
            }
            let hist = History {
                s: s_hist,
                y: y_hist,
                rho,
                head,
                len,
                m,
            };
            if N > 0 {
                // The direction in a local array (registers): the recursion
                // is a chain of dependent sums, and a copy in memory would
                // add a store and a load to every link.
                let mut dl = [0.0; N];
                dl.copy_from_slice(d);
                two_loop(&mut dl, free, &hist, alpha);
                d.copy_from_slice(&dl);
            } else {
                two_loop(d, free, &hist, alpha);
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
                x,
                d,
                lo,
                hi,
                xn,
                gn,
                best_x,
                best_g,
                evals: 0,
                longest: None,
            };
            let found = ls.search(fx, slope, t0.min(t_max), t_max);
            evals += ls.evals;
            let longest = ls.longest;
            iter += 1;
            let Some(fn_) = found else {
                // No decrease is possible along this direction at machine precision.
                let scale = fx.abs().max(tiny);
                if projected_gradient_norm(x, g, lo, hi) <= 1e-5 * scale {
                    status = (
                        Termination::Converged,
                        "no decrease at machine precision, with a small projected gradient",
                    );
                    break;
                }
                // Near an optimum of small but non-zero f (an almost exact
                // fit: residuals of 1e-7, f of 1e-13, as a bootstrap's warm
                // start at its fit's optimum meets it) the gradient scales
                // as sqrt(f) and stays far above 1e-5 |f|, and f's rounding
                // as it moves with x (cancellation in each residual) far
                // above 1e-12 |f|: no test relative to |f| can pass. The
                // memory's direction is not judged: on noisy data it can be
                // tiny because a pair holds a curvature far above the true
                // one, not because the point is an optimum. The memory is
                // cleared and the search goes on from steepest descent (a
                // new iteration).
                if len > 0 {
                    len = 0;
                    continue;
                }
                // On steepest descent, the step to the minimum of the
                // quadratic with the line search's secant curvature is the
                // distance to the optimum the function itself shows: below
                // NO_DECREASE_STEP of every parameter, the point is an
                // optimum to the precision at which f can be told apart.
                let step = longest.and_then(|(t, dphi)| {
                    let c = (dphi - slope) / t;
                    (c > 0.0 && c.is_finite()).then(|| {
                        let mt = -slope / c;
                        (0..n)
                            .map(|i| mt * d[i].abs() / (1.0 + x[i].abs()))
                            .fold(0.0, f64::max)
                    })
                });
                status = if step.is_some_and(|s| s <= NO_DECREASE_STEP) {
                    (
                        Termination::Converged,
                        "no decrease at machine precision, with a steepest-descent step \
                         below 1e-10 of the parameters",
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
            x.copy_from_slice(xn);
            g.copy_from_slice(gn);
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
            x: x.to_vec(),
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
    fn dot_has_the_bits_of_the_iterator_sum() {
        // Signed zeros, tiny and huge values, cancellation: the sum from the
        // first product equals `sum()` (a fold from -0.0) to the bit.
        let vals = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            1e-300,
            -3e-310,
            1e300,
            0.1,
            -0.3,
            7.5,
            2.0f64.powi(-60),
        ];
        let mut k = 0usize;
        for n in 0..=6 {
            for _ in 0..400 {
                let mut pick = || {
                    k = (k * 7 + 3) % 9973;
                    vals[k % vals.len()] * if k.is_multiple_of(3) { 1.0 } else { -1.0 }
                };
                let a: Vec<f64> = (0..n).map(|_| pick()).collect();
                let b: Vec<f64> = (0..n).map(|_| pick()).collect();
                let reference: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
                assert_eq!(dot(&a, &b).to_bits(), reference.to_bits(), "{a:?} . {b:?}");
            }
        }
    }

    /// ln L of E + A t^-alpha at 12 points (t = 1e3 .. 2e6), each with a
    /// relative error `noise(i)`, rounded to 6 decimals as a CSV would; the
    /// objective in u = (ln A, alpha, ln E): sum (ln(E + A t^-alpha) - y)^2 / 2.
    fn power_fit(noise: impl Fn(usize) -> f64) -> impl Fn(&[f64], &mut [f64]) -> f64 {
        let t: Vec<f64> = (0..12).map(|i| 1e3 * 2f64.powi(i)).collect();
        let y: Vec<f64> = t
            .iter()
            .enumerate()
            .map(|(i, &t)| ((1.0 + 50.0 * t.powf(-0.3)) * (1.0 + noise(i)) * 1e6).round() / 1e6)
            .map(f64::ln)
            .collect();
        move |u: &[f64], g: &mut [f64]| {
            let (a, al, e) = (u[0].exp(), u[1], u[2].exp());
            g.iter_mut().for_each(|v| *v = 0.0);
            let mut s = 0.0;
            for (&t, &y) in t.iter().zip(&y) {
                let p = a * t.powf(-al);
                let m = e + p;
                let r = m.ln() - y;
                s += 0.5 * r * r;
                g[0] += r * p / m;
                g[1] -= r * p * t.ln() / m;
                g[2] += r * e / m;
            }
            s
        }
    }

    const POWER_LO: [f64; 3] = [-20.0, 0.0, -20.0];
    const POWER_HI: [f64; 3] = [20.0, 3.0, 5.0];

    /// The optimum to the function's own precision: from `x`, no
    /// tolerances, up to 2,000 iterations.
    fn polished(f: &dyn Function, x: &[f64]) -> Outcome {
        let none = Tolerances {
            ftol: 0.0,
            pgtol: 0.0,
            max_iter: 2000,
        };
        LbfgsBox::default().minimize(f, x, &POWER_LO, &POWER_HI, &none)
    }

    /// An almost exact fit (residuals of 1e-7 from a 6-decimal rounding,
    /// f near 1e-13): restarted at its own optimum (a bootstrap's warm
    /// start), the line search finds no decrease and the gradient, of the
    /// order of sqrt(f), is far above 1e-5 |f|; cleared of its memory, the
    /// search finds none along steepest descent either, and the secant
    /// step there is below 1e-10 of the parameters: an optimum to the
    /// objective's precision, not a failed search.
    #[test]
    fn a_restart_at_an_almost_exact_optimum_converges() {
        let f = power_fit(|_| 0.0);
        let tol = Tolerances::default();
        let s = LbfgsBox::default();
        let first = s.minimize(&f, &[2.0, 0.5, 0.5], &POWER_LO, &POWER_HI, &tol);
        assert!(first.converged(), "{first:?}");
        assert!(first.f > 0.0 && first.f < 1e-10, "{first:?}");
        let best = polished(&f, &first.x).f;
        let mut restarted = Vec::new();
        for k in 0..8 {
            // the optimum and points a rounding away from it
            let x0: Vec<f64> = first
                .x
                .iter()
                .enumerate()
                .map(|(i, v)| v * (1.0 + 1e-15 * ((k * 3 + i) % 5) as f64))
                .collect();
            let again = s.minimize(&f, &x0, &POWER_LO, &POWER_HI, &tol);
            assert!(again.converged(), "restart {k}: {again:?}");
            assert!(again.f <= best * (1.0 + 1e-6), "{again:?} vs {best}");
            restarted.push(again);
        }
        // The case the gradient test alone rejected: some restart stopped on
        // the secant step.
        assert!(
            restarted
                .iter()
                .any(|o| o.message.contains("steepest-descent step")),
            "{:?}",
            restarted.iter().map(|o| o.message).collect::<Vec<_>>()
        );
    }

    /// Noisy data (1% relative errors): the runs that meet a line search
    /// without decrease are not stopped before the optimum. From starts far
    /// off and from points near the optimum (a warm start), each run ends
    /// where a run from its end with no tolerances finds no more than
    /// 1e-10 of f to gain.
    #[test]
    fn a_noisy_fit_is_not_stopped_early() {
        let mut worst: f64 = 0.0;
        for seed in 0..20u64 {
            let noise = move |i: usize| {
                let mut z = (seed * 12 + i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                z = (z ^ (z >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z ^= z >> 32;
                0.02 * ((z >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
            };
            let f = power_fit(noise);
            let s = LbfgsBox::default();
            let tol = Tolerances::default();
            let first = s.minimize(&f, &[2.0, 0.5, 0.5], &POWER_LO, &POWER_HI, &tol);
            let mut starts = vec![vec![0.0, 1.0, -1.0], vec![6.0, 0.1, 1.0]];
            for k in 1..=6 {
                let h = 10f64.powi(-2 * k);
                starts.push(
                    first
                        .x
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            v + h * if (i + k as usize).is_multiple_of(2) {
                                1.0
                            } else {
                                -1.0
                            }
                        })
                        .collect(),
                );
            }
            for x0 in &starts {
                let o = s.minimize(&f, x0, &POWER_LO, &POWER_HI, &tol);
                let p = polished(&f, &o.x);
                let gain = (o.f - p.f) / o.f;
                worst = worst.max(gain);
                assert!(gain <= 1e-10, "seed {seed}, start {x0:?}: {o:?} vs {p:?}");
                if !o.converged() {
                    assert_eq!(o.termination, Termination::LineSearchFailed, "{o:?}");
                }
            }
        }
        eprintln!("worst relative gain {worst:e}");
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
