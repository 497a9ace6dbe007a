//! Exact fits of separable models: y_i ~ c0 + sum_j c_j X_ij(u), linear in
//! the coefficients c and with at most one nonlinear parameter u in a
//! bounded interval (variable projection). For a given u the best c has a
//! closed form: least squares, or for the Huber loss a convex problem that
//! Newton's method on the points' inside/outside partition solves exactly in
//! a few steps. What is left is a search over one bounded variable: its
//! profile is evaluated on a grid, and every grid minimum is refined by
//! Brent's method inside the bracket of its neighbours. So the result is the
//! global optimum up to the grid's resolution, found without starts,
//! iteration caps or stopping rules that depend on the objective's size.
//!
//! The losses are the engine's (`objective::Loss`, residuals in the data's
//! units): r^2 for squared error, rho_delta(r) for Huber.

use crate::objective::{huber, Loss};

/// The most non-constant basis columns a separable model may have.
pub const MAX_COLS: usize = 2;

/// Newton steps on the Huber partition before giving up (each either ends
/// the search or lowers the objective).
const MAX_NEWTON: usize = 100;

/// A separable model fitted for one value of its nonlinear parameter (or a
/// linear model): the coefficients `c0, c1, ...` and the objective.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearFit {
    /// c0 (the constant's coefficient), then one per column.
    pub coef: Vec<f64>,
    /// Sum of the loss over the points.
    pub objective: f64,
}

/// The objective of coefficients `c` (c0 first) on columns `cols`.
fn objective(cols: &[Vec<f64>], y: &[f64], c: &[f64], loss: Loss) -> f64 {
    let (scale, delta) = loss.huber_params();
    (0..y.len())
        .map(|i| huber(residual(cols, y, c, i), scale, delta).0)
        .sum()
}

fn residual(cols: &[Vec<f64>], y: &[f64], c: &[f64], i: usize) -> f64 {
    y[i] - c[0]
        - cols
            .iter()
            .zip(&c[1..])
            .map(|(x, cj)| cj * x[i])
            .sum::<f64>()
}

/// The coefficients that zero the gradient of
/// sum_i w_i (y_i - x_i c)^2 / 2 + f_i (y_i - x_i c), x_i = (1, cols[.][i]):
/// a weighted least-squares problem whose points may also pull with a
/// constant force f_i (Huber's points beyond the threshold). Columns are
/// centred on their weighted mean first, so the constant's coefficient
/// separates and the nearly collinear columns of slow forms (tau^-c2 for
/// small c2) keep their precision. `None` when the weighted columns are
/// collinear.
fn weighted_solve(cols: &[Vec<f64>], y: &[f64], w: &[f64], force: &[f64]) -> Option<Vec<f64>> {
    let m = cols.len();
    let sw: f64 = w.iter().sum();
    if sw.is_nan() || sw <= 0.0 {
        return None;
    }
    let mut mean = [0.0; MAX_COLS];
    for (j, x) in cols.iter().enumerate() {
        mean[j] = x.iter().zip(w).map(|(v, wi)| v * wi).sum::<f64>() / sw;
    }
    // b0: the constant's equation; a, b: the centred columns' system.
    let mut b0 = 0.0;
    let mut a = [[0.0; MAX_COLS]; MAX_COLS];
    let mut b = [0.0; MAX_COLS];
    for i in 0..y.len() {
        let mut xc = [0.0; MAX_COLS];
        for j in 0..m {
            xc[j] = cols[j][i] - mean[j];
        }
        let t = w[i] * y[i] + force[i];
        b0 += t;
        for j in 0..m {
            b[j] += xc[j] * t;
            for k in 0..m {
                a[j][k] += w[i] * xc[j] * xc[k];
            }
        }
    }
    let mut c = vec![0.0; m + 1];
    match m {
        0 => {}
        1 => {
            if a[0][0].is_nan() || a[0][0] <= 0.0 {
                return None;
            }
            c[1] = b[0] / a[0][0];
        }
        _ => {
            let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
            if det.is_nan() || det.abs() <= 1e-14 * a[0][0] * a[1][1] {
                return None;
            }
            c[1] = (b[0] * a[1][1] - b[1] * a[0][1]) / det;
            c[2] = (a[0][0] * b[1] - a[1][0] * b[0]) / det;
        }
    }
    c[0] = b0 / sw - (0..m).map(|j| c[j + 1] * mean[j]).sum::<f64>();
    c.iter().all(|v| v.is_finite()).then_some(c)
}

/// The exact minimizer of the loss of `y - c0 - sum_j c_j cols[j]` over c.
/// `None` when the columns are collinear on the points that decide it.
pub fn fit_linear(cols: &[Vec<f64>], y: &[f64], loss: Loss) -> Option<LinearFit> {
    assert!(cols.len() <= MAX_COLS, "at most {MAX_COLS} columns");
    let n = y.len();
    let mut w = vec![1.0; n];
    let mut force = vec![0.0; n];
    let mut c = weighted_solve(cols, y, &w, &force)?;
    let mut f = objective(cols, y, &c, loss);
    let Loss::Huber { delta } = loss else {
        return Some(LinearFit {
            coef: c,
            objective: f,
        });
    };
    // Newton on the partition: the minimizer of the piecewise quadratic
    // that agrees with the objective around c (weight 1 inside the
    // threshold, a constant pull outside); a partition that reproduces
    // itself is the (convex) objective's minimum. With too few points
    // inside to decide the coefficients, an iteratively reweighted
    // least-squares step (weights min(1, delta / |r|)) instead.
    for _ in 0..MAX_NEWTON {
        let r: Vec<f64> = (0..n).map(|i| residual(cols, y, &c, i)).collect();
        for i in 0..n {
            let inside = r[i].abs() <= delta;
            w[i] = if inside { 1.0 } else { 0.0 };
            force[i] = if inside { 0.0 } else { delta * r[i].signum() };
        }
        let (next, newton) = match weighted_solve(cols, y, &w, &force) {
            Some(next) => (next, true),
            None => {
                let w: Vec<f64> = r.iter().map(|ri| (delta / ri.abs()).min(1.0)).collect();
                (weighted_solve(cols, y, &w, &vec![0.0; n])?, false)
            }
        };
        let same_partition = newton
            && (0..n).all(|i| {
                let ri = residual(cols, y, &next, i);
                (ri.abs() <= delta) == (w[i] == 1.0)
                    && (w[i] == 1.0 || ri.signum() == r[i].signum())
            });
        // Backtrack along the step until the objective does not rise.
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let trial: Vec<f64> = c.iter().zip(&next).map(|(a, b)| a + t * (b - a)).collect();
            let ft = objective(cols, y, &trial, loss);
            if ft <= f {
                accepted = Some((trial, ft));
                break;
            }
            t *= 0.5;
        }
        let Some((trial, ft)) = accepted else {
            break;
        };
        let moved = trial
            .iter()
            .zip(&c)
            .any(|(a, b)| (a - b).abs() > 1e-15 * (1.0 + b.abs()));
        c = trial;
        f = ft;
        if (same_partition && t == 1.0) || !moved {
            break;
        }
    }
    Some(LinearFit {
        coef: c,
        objective: f,
    })
}

/// A separable model's nonlinear parameter: where it may lie and the grid
/// its profile is first evaluated on (the bounds included).
pub struct Profile<'a> {
    /// The number of non-constant columns.
    pub columns: usize,
    /// Fills the columns for a value of the nonlinear parameter.
    pub fill: &'a dyn Fn(f64, &mut [Vec<f64>]),
    /// The nonlinear parameter's bounds.
    pub bounds: (f64, f64),
    /// Values of the nonlinear parameter to evaluate first (inside the
    /// bounds; the bounds are added).
    pub grid: &'a [f64],
    /// The largest |coefficient| allowed: a value of the nonlinear parameter
    /// whose best coefficients exceed it is not a fit.
    pub coef_bound: f64,
}

/// A separable model fitted over its nonlinear parameter too.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileFit {
    /// The nonlinear parameter.
    pub u: f64,
    /// The linear coefficients at `u` and the objective.
    pub fit: LinearFit,
}

/// Grid minima refined by Brent's method (the best few).
const REFINED_MINIMA: usize = 3;

/// The global minimum of the profile objective over the nonlinear
/// parameter (see the module's description). `warm`: a value to evaluate
/// beside the grid (e.g. the parameter of the fit a bootstrap replicate
/// resamples). `None` when no value gives a fit.
pub fn fit_profile(p: &Profile, y: &[f64], loss: Loss, warm: Option<f64>) -> Option<ProfileFit> {
    let (lo, hi) = p.bounds;
    let mut cols = vec![vec![0.0; y.len()]; p.columns];
    let mut eval = |u: f64| -> f64 {
        (p.fill)(u, &mut cols);
        fit_linear(&cols, y, loss)
            .filter(|f| f.coef.iter().all(|c| c.abs() <= p.coef_bound))
            .map(|f| f.objective)
            .filter(|f| f.is_finite())
            .unwrap_or(f64::INFINITY)
    };
    let mut grid: Vec<f64> = p
        .grid
        .iter()
        .copied()
        .chain([lo, hi])
        .chain(warm.filter(|w| w.is_finite()).map(|w| w.clamp(lo, hi)))
        .filter(|u| (lo..=hi).contains(u))
        .collect();
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    let values: Vec<f64> = grid.iter().map(|&u| eval(u)).collect();
    let k = grid.len();
    let mut minima: Vec<usize> = (0..k)
        .filter(|&i| {
            values[i].is_finite()
                && (i == 0 || values[i] <= values[i - 1])
                && (i + 1 == k || values[i] <= values[i + 1])
        })
        .collect();
    minima.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    minima.truncate(REFINED_MINIMA);
    let mut best: Option<(f64, f64)> = None;
    for &i in &minima {
        let a = grid[i.saturating_sub(1)];
        let b = grid[(i + 1).min(k - 1)];
        let (u, f) = if a < b {
            brent(&mut eval, a, b, grid[i], values[i])
        } else {
            (grid[i], values[i])
        };
        if best.is_none_or(|(_, fb)| f < fb) {
            best = Some((u, f));
        }
    }
    let (u, f) = best?;
    if !f.is_finite() {
        return None;
    }
    (p.fill)(u, &mut cols);
    fit_linear(&cols, y, loss).map(|fit| ProfileFit { u, fit })
}

/// Brent's minimization of `f` on [a, b] from the point `x` (value `fx`)
/// inside it: parabolic steps through the three best points, golden
/// sections when they misbehave. Returns the best point and its value.
fn brent(f: &mut dyn FnMut(f64) -> f64, a: f64, b: f64, x: f64, fx: f64) -> (f64, f64) {
    const GOLDEN: f64 = 0.381_966_011_250_105_1;
    const REL: f64 = 1e-13;
    const ABS: f64 = 1e-15;
    let (mut a, mut b) = (a, b);
    let (mut x, mut w, mut v) = (x, x, x);
    let (mut fx, mut fw, mut fv) = (fx, fx, fx);
    let (mut d, mut e) = (0.0f64, 0.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (a + b);
        let tol = REL * x.abs() + ABS;
        if (x - mid).abs() <= 2.0 * tol - 0.5 * (b - a) {
            break;
        }
        let golden_step = |x: f64, a: f64, b: f64| if x >= mid { a - x } else { b - x };
        if e.abs() > tol && fx.is_finite() && fw.is_finite() && fv.is_finite() {
            let r = (x - w) * (fx - fv);
            let q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            let mut q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            }
            q = q.abs();
            let before_last = e;
            e = d;
            if p.abs() >= (0.5 * q * before_last).abs() || p <= q * (a - x) || p >= q * (b - x) {
                e = golden_step(x, a, b);
                d = GOLDEN * e;
            } else {
                d = p / q;
                let u = x + d;
                if u - a < 2.0 * tol || b - u < 2.0 * tol {
                    d = tol.copysign(mid - x);
                }
            }
        } else {
            e = golden_step(x, a, b);
            d = GOLDEN * e;
        }
        let u = if d.abs() >= tol {
            x + d
        } else {
            x + tol.copysign(d)
        };
        let fu = f(u);
        if fu <= fx {
            if u >= x {
                a = x;
            } else {
                b = x;
            }
            (v, fv) = (w, fw);
            (w, fw) = (x, fx);
            (x, fx) = (u, fu);
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                (v, fv) = (w, fw);
                (w, fw) = (u, fu);
            } else if fu <= fv || v == x || v == w {
                (v, fv) = (u, fu);
            }
        }
    }
    (x, fx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn huber_loss(d: f64) -> Loss {
        Loss::Huber { delta: d }
    }

    /// Least squares reproduces an exact linear relation, and the Huber fit
    /// ignores one gross outlier that pulls least squares.
    #[test]
    fn linear_fits_are_exact_and_huber_resists_an_outlier() {
        let x: Vec<f64> = (0..12).map(|i| i as f64 / 3.0).collect();
        let mut y: Vec<f64> = x.iter().map(|v| 2.0 - 0.5 * v).collect();
        let cols = vec![x.clone()];
        let ls = fit_linear(&cols, &y, Loss::Squared).unwrap();
        assert!((ls.coef[0] - 2.0).abs() < 1e-12 && (ls.coef[1] + 0.5).abs() < 1e-12);
        y[5] += 10.0;
        let ls = fit_linear(&cols, &y, Loss::Squared).unwrap();
        let hub = fit_linear(&cols, &y, huber_loss(0.05)).unwrap();
        assert!((ls.coef[0] - 2.0).abs() > 0.3, "{:?}", ls.coef);
        assert!((hub.coef[1] + 0.5).abs() < 0.05, "{:?}", hub.coef);
    }

    /// The Huber fit is the minimum: no coordinate step lowers it, and it
    /// is at most the objective of the least-squares coefficients.
    #[test]
    fn the_huber_fit_is_a_minimum() {
        let x: Vec<f64> = (0..20).map(|i| i as f64).collect();
        let e: Vec<f64> = (0..20)
            .map(|i| ((i * 7919) % 13) as f64 / 13.0 - 0.5)
            .collect();
        let y: Vec<f64> = x.iter().zip(&e).map(|(v, n)| 1.0 + 0.1 * v + n).collect();
        let cols = vec![x.clone(), x.iter().map(|v| (v + 1.0).ln()).collect()];
        let loss = huber_loss(0.2);
        let hub = fit_linear(&cols, &y, loss).unwrap();
        let ls = fit_linear(&cols, &y, Loss::Squared).unwrap();
        assert!(hub.objective <= objective(&cols, &y, &ls.coef, loss));
        for j in 0..3 {
            for h in [1e-4, -1e-4] {
                let mut c = hub.coef.clone();
                c[j] += h;
                assert!(objective(&cols, &y, &c, loss) >= hub.objective - 1e-12);
            }
        }
    }

    /// The profile finds the global minimum of y = 1 + 2 / (1 + e^u x)
    /// from a grid that does not hold the truth.
    #[test]
    fn the_profile_recovers_the_nonlinear_parameter() {
        let x: Vec<f64> = (1..=15).map(|i| i as f64 / 5.0).collect();
        let truth = 1.3f64;
        let y: Vec<f64> = x
            .iter()
            .map(|v| 1.0 + 2.0 / (1.0 + truth.exp() * v))
            .collect();
        let fill = |u: f64, cols: &mut [Vec<f64>]| {
            for (c, v) in cols[0].iter_mut().zip(&x) {
                *c = 1.0 / (1.0 + u.exp() * v);
            }
        };
        let p = Profile {
            columns: 1,
            fill: &fill,
            bounds: (-10.0, 10.0),
            grid: &[-5.0, 0.0, 5.0],
            coef_bound: 1e6,
        };
        for loss in [Loss::Squared, huber_loss(0.01)] {
            let f = fit_profile(&p, &y, loss, None).unwrap();
            assert!((f.u - truth).abs() < 1e-5, "{loss:?}: {}", f.u);
            assert!((f.fit.coef[0] - 1.0).abs() < 1e-5 && (f.fit.coef[1] - 2.0).abs() < 1e-5);
            // A warm value far from the truth does not hold the search.
            let warm = fit_profile(&p, &y, loss, Some(-9.0)).unwrap();
            assert!((warm.u - truth).abs() < 1e-5, "{loss:?} warm: {}", warm.u);
        }
    }

    #[test]
    fn brent_finds_a_parabola_minimum() {
        let (x, fx) = brent(&mut |u| (u - 0.3).powi(2) + 1.0, -1.0, 2.0, 0.0, 1.09);
        assert!((x - 0.3).abs() < 1e-8 && (fx - 1.0).abs() < 1e-14);
    }
}
