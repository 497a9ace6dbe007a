//! M4's own estimator: the fitting procedure Alabdulmohsin et al. (NeurIPS
//! 2022, "Revisiting neural scaling laws in language and vision") published
//! with the law, as a reference for `slaw bench curves`.
//!
//! The catalog's `m4` law is the same functional form,
//! (L - E) / (I - L)^alpha = beta x^-c, fitted the way slaw fits every law
//! (Huber loss on ln L of the law's predictions, multi-start). The authors'
//! estimator differs in its objective and search, so it can extrapolate
//! differently from the same points:
//!
//! - the objective is the squared residual of the law's *transformed*
//!   equation, ln(L - E) - alpha ln(I - L) - ln beta + c ln x, not of the
//!   prediction;
//! - for fixed (E, I), (ln beta, c, alpha) is a linear least-squares fit with
//!   every coefficient non-negative (their `LinearRegression(positive=True,
//!   fit_intercept=False)`: so beta >= 1 as well as c, alpha >= 0);
//! - E and I are then moved by 1,000 projected gradient steps of rate 1e-8
//!   (the first 100 rounds), then 100 damped Newton steps (rate 0.1, the
//!   diagonal of the Hessian) per round, alternating with the regression
//!   until beta changes by less than 1e-10 (at most `max_rounds` rounds);
//! - projections: 0 <= E <= min L - 1e-3, I >= max L + 1e-3 (their margin,
//!   in the loss's unit); E starts at min L - 1e-3, I at max L + 1e-3 (their
//!   `err_0=None`: losses in nats have no random-guessing bound of 1).
//!
//! Two details of their code are options ([`Options::regress_on_current_i`]):
//! the published code builds the regression's ln(I - L) column once, from
//! I's starting value, and never updates it while I moves; the paper's
//! algorithm (alternating minimization) updates it. Predictions go through
//! the catalog's `m4` law (one formula per law); their code solves the
//! equation on a grid of 10,000 values, slaw exactly.

use crate::law::{catalog, Law};

/// Their margin between E, I and the observed losses (`ERR_MARGIN`).
pub const ERR_MARGIN: f64 = 1e-3;

/// Settings of the reference estimator.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Rounds of (regression, E/I update) at most (theirs: 10,000).
    pub max_rounds: usize,
    /// Rounds of the gradient phase (1,000 projected gradient steps each)
    /// before the damped Newton rounds (theirs: 100). The stopping test is
    /// tried only after it.
    pub grad_rounds: usize,
    /// Rebuild the ln(I - L) regression column at every round (the paper's
    /// alternating minimization); `false` = as their published code (built
    /// once from I's start).
    pub regress_on_current_i: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_rounds: 10_000,
            grad_rounds: 100,
            regress_on_current_i: false,
        }
    }
}

impl Options {
    /// A cheaper variant for backtests (`crate::pick`): 10 gradient rounds
    /// and at most 1,000 rounds (the authors' 100 and 10,000 cost up to
    /// 1.09 million steps per fit).
    pub fn capped() -> Options {
        Options {
            max_rounds: 1_000,
            grad_rounds: 10,
            ..Options::default()
        }
    }
}

/// A fit of the reference estimator.
#[derive(Debug, Clone)]
pub struct M4Reference {
    /// The catalog `m4` law's natural parameters [E, I, alpha, beta, c].
    pub params: Vec<f64>,
    /// Rounds run.
    pub rounds: usize,
    /// The stopping test (beta's change < 1e-10) fired before `max_rounds`.
    pub converged: bool,
    law: Law,
}

impl M4Reference {
    /// The prediction at x (through the catalog `m4` law).
    pub fn predict(&self, x: f64) -> f64 {
        self.law.predict(&[x], &self.params)
    }
}

/// Non-negative least squares min |A b - y|² over b >= 0 with 3 columns, by
/// enumerating the passive sets (exact for 3 unknowns).
fn nnls3(a: &[[f64; 3]], y: &[f64]) -> Option<[f64; 3]> {
    let mut best: Option<([f64; 3], f64)> = None;
    for mask in 0u8..8 {
        let cols: Vec<usize> = (0..3).filter(|k| mask & (1 << k) != 0).collect();
        let mut b = [0.0; 3];
        if !cols.is_empty() {
            let k = cols.len();
            // normal equations on the passive columns
            let mut m = vec![0.0; k * k];
            let mut r = vec![0.0; k];
            for (row, &yi) in a.iter().zip(y) {
                for i in 0..k {
                    r[i] += row[cols[i]] * yi;
                    for j in 0..k {
                        m[i * k + j] += row[cols[i]] * row[cols[j]];
                    }
                }
            }
            let Some(sol) = crate::linalg::solve(&m, &r) else {
                continue;
            };
            if sol.iter().any(|v| !v.is_finite() || *v < 0.0) {
                continue;
            }
            for (i, &c) in cols.iter().enumerate() {
                b[c] = sol[i];
            }
        }
        let sse: f64 = a
            .iter()
            .zip(y)
            .map(|(row, yi)| (row[0] * b[0] + row[1] * b[1] + row[2] * b[2] - yi).powi(2))
            .sum();
        if sse.is_finite() && best.is_none_or(|(_, s)| sse < s) {
            best = Some((b, sse));
        }
    }
    best.map(|(b, _)| b)
}

struct State<'a> {
    lx: &'a [f64],
    y: &'a [f64],
    /// Weights of the points (their sum `w_sum`), `None`: every point 1, as
    /// the authors' code.
    w: Option<&'a [f64]>,
    w_sum: f64,
    e: f64,
    i: f64,
    ln_beta: f64,
    c: f64,
    alpha: f64,
    e_max: f64,
    i_min: f64,
}

impl State<'_> {
    fn project(&mut self) {
        self.e = self.e.max(0.0).min(self.e_max);
        self.i = self.i.max(self.i_min);
    }

    /// Residuals of the transformed equation: ln(L - E) - alpha ln(I - L)
    /// - (ln beta - c ln x).
    fn residual(&self, k: usize) -> f64 {
        (self.y[k] - self.e).ln() - self.alpha * (self.i - self.y[k]).ln() - self.ln_beta
            + self.c * self.lx[k]
    }

    /// Gradient of the mean squared residual / 2 in (E, I).
    fn grad(&self) -> (f64, f64) {
        if let Some(w) = self.w {
            let (mut ge, mut gi) = (0.0, 0.0);
            for (k, &wk) in w.iter().enumerate() {
                let r = wk * self.residual(k);
                ge -= r / (self.y[k] - self.e);
                gi -= self.alpha * r / (self.i - self.y[k]);
            }
            return (ge / self.w_sum, gi / self.w_sum);
        }
        let n = self.y.len() as f64;
        let (mut ge, mut gi) = (0.0, 0.0);
        for k in 0..self.y.len() {
            let r = self.residual(k);
            ge -= r / (self.y[k] - self.e);
            gi -= self.alpha * r / (self.i - self.y[k]);
        }
        (ge / n, gi / n)
    }

    /// Their second derivatives in E and I (the diagonal of the Hessian).
    fn hess(&self) -> (f64, f64) {
        if let Some(w) = self.w {
            let (mut he, mut hi) = (0.0, 0.0);
            for (k, &wk) in w.iter().enumerate() {
                let r = self.residual(k);
                he += wk * (1.0 - r) / (self.y[k] - self.e).powi(2);
                hi += wk * (self.alpha + r) / (self.i - self.y[k]).powi(2);
            }
            return (he / self.w_sum, self.alpha * hi / self.w_sum);
        }
        let n = self.y.len() as f64;
        let (mut he, mut hi) = (0.0, 0.0);
        for k in 0..self.y.len() {
            let r = self.residual(k);
            he += (1.0 - r) / (self.y[k] - self.e).powi(2);
            hi += (self.alpha + r) / (self.i - self.y[k]).powi(2);
        }
        (he / n, self.alpha * hi / n)
    }

    fn regress(&mut self, ln_i_minus_y: &[f64]) -> bool {
        let mut a: Vec<[f64; 3]> = self
            .lx
            .iter()
            .zip(ln_i_minus_y)
            .map(|(&lx, &li)| [1.0, -lx, li])
            .collect();
        let mut t: Vec<f64> = self.y.iter().map(|&v| (v - self.e).ln()).collect();
        if let Some(w) = self.w {
            // weighted least squares: rows scaled by the root of the weight
            for ((row, tk), &wk) in a.iter_mut().zip(&mut t).zip(w) {
                let s = wk.sqrt();
                row.iter_mut().for_each(|v| *v *= s);
                *tk *= s;
            }
        }
        if a.iter().flatten().chain(&t).any(|v| !v.is_finite()) {
            return false;
        }
        match nnls3(&a, &t) {
            Some(b) => {
                self.ln_beta = b[0];
                self.c = b[1];
                self.alpha = b[2];
                true
            }
            None => false,
        }
    }
}

/// Fit M4 by its authors' procedure to (x, y) (x > 0, y > 0, at least 3
/// distinct points); `None` when the regression cannot be set up (fewer
/// than 3 points, non-positive values, or a singular system).
pub fn fit(x: &[f64], y: &[f64], opts: &Options) -> Option<M4Reference> {
    if x.len() != y.len() || x.len() < 3 || x.iter().chain(y).any(|v| !(*v > 0.0 && v.is_finite()))
    {
        return None;
    }
    let y_min = y.iter().copied().fold(f64::INFINITY, f64::min);
    let y_max = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    fit_with(x, y, None, (y_min, y_max), opts)
}

/// [`fit`] to points with weights `w` (> 0; their mean squared residual
/// weighted), E and I kept `ERR_MARGIN` inside `range` = (lowest, highest
/// loss) rather than the points' own: the fit to bins of a long curve
/// (`crate::pick::log_bins`, each bin weighted by its count), whose
/// projections are then those of the curve's points.
pub fn fit_weighted(
    x: &[f64],
    y: &[f64],
    w: &[f64],
    range: (f64, f64),
    opts: &Options,
) -> Option<M4Reference> {
    if x.len() != y.len()
        || w.len() != y.len()
        || x.len() < 3
        || x.iter()
            .chain(y)
            .chain(w)
            .any(|v| !(*v > 0.0 && v.is_finite()))
        || !(range.0 > 0.0 && range.0 <= range.1 && range.1.is_finite())
    {
        return None;
    }
    fit_with(x, y, Some(w), range, opts)
}

fn fit_with(
    x: &[f64],
    y: &[f64],
    w: Option<&[f64]>,
    (y_min, y_max): (f64, f64),
    opts: &Options,
) -> Option<M4Reference> {
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let mut s = State {
        lx: &lx,
        y,
        w,
        w_sum: w.map_or(0.0, |w| w.iter().sum()),
        e: 0.0,
        i: 0.0,
        ln_beta: 0.0,
        c: 0.5,
        alpha: 0.0,
        e_max: y_min - ERR_MARGIN,
        i_min: y_max + ERR_MARGIN,
    };
    s.e = s.e_max.max(0.0);
    s.i = s.i_min;
    if s.e_max <= 0.0 {
        // their projection keeps E at 0 then; ln(L - 0) stays finite
        s.e_max = 0.0;
    }
    let column = |i: f64| -> Vec<f64> { y.iter().map(|&v| (i - v).ln()).collect() };
    let mut ln_i = column(s.i);
    let grad_rounds = opts.grad_rounds;
    let mut old_beta = 1.0f64;
    let mut rounds = 0;
    let mut converged = false;
    for k in 0..opts.max_rounds {
        rounds = k + 1;
        if opts.regress_on_current_i && k > 0 {
            ln_i = column(s.i);
        }
        if !s.regress(&ln_i) {
            return None;
        }
        if k < grad_rounds {
            for _ in 0..1000 {
                let (ge, gi) = s.grad();
                s.e -= 1e-8 * ge;
                s.i -= 1e-8 * gi;
                s.project();
            }
        } else {
            for _ in 0..100 {
                let (ge, gi) = s.grad();
                let (he, hi) = s.hess();
                if he.abs() > 1e-5 {
                    s.e -= 0.1 * ge / he;
                }
                if hi.abs() > 1e-5 {
                    s.i -= 0.1 * gi / hi;
                }
                s.project();
            }
        }
        if !(s.e.is_finite() && s.i.is_finite()) {
            return None;
        }
        let beta = s.ln_beta.exp();
        let gap = beta - old_beta;
        old_beta = beta;
        if gap.abs() < 1e-10 && k > grad_rounds + 1 {
            converged = true;
            break;
        }
    }
    let params = vec![s.e, s.i, s.alpha, s.ln_beta.exp(), s.c];
    params.iter().all(|v| v.is_finite()).then(|| M4Reference {
        params,
        rounds,
        converged,
        law: catalog::m4(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nnls_matches_unconstrained_when_positive_and_clamps_otherwise() {
        // y = 1 + 2 u + 3 v exactly
        let a: Vec<[f64; 3]> = (0..10)
            .map(|k| [1.0, k as f64, ((k * k) % 7) as f64])
            .collect();
        let y: Vec<f64> = a.iter().map(|r| r[0] + 2.0 * r[1] + 3.0 * r[2]).collect();
        let b = nnls3(&a, &y).unwrap();
        assert!(
            (b[0] - 1.0).abs() < 1e-9 && (b[1] - 2.0).abs() < 1e-9 && (b[2] - 3.0).abs() < 1e-9
        );
        // a negative true coefficient is clamped at 0
        let y2: Vec<f64> = a.iter().map(|r| r[0] - 2.0 * r[1] + 3.0 * r[2]).collect();
        let b2 = nnls3(&a, &y2).unwrap();
        assert!(b2.iter().all(|v| *v >= 0.0));
        assert_eq!(b2[1], 0.0);
    }

    #[test]
    fn recovers_a_power_law_with_a_floor_and_extrapolates_it() {
        // alpha = 0 case of M4: L = E + beta x^-c with beta >= 1
        let x: Vec<f64> = (0..20)
            .map(|k| 10f64.powf(3.0 + 3.0 * k as f64 / 19.0))
            .collect();
        let truth = |v: f64| 1.5 + 30.0 * v.powf(-0.4);
        let y: Vec<f64> = x.iter().map(|&v| truth(v)).collect();
        let f = fit(&x[..12], &y[..12], &Options::default()).unwrap();
        for &v in &x[12..] {
            let rel = (f.predict(v) / truth(v)).ln().abs();
            assert!(rel < 0.02, "x {v}: {} vs {}", f.predict(v), truth(v));
        }
    }

    #[test]
    fn both_variants_fit_m4_data() {
        let law = catalog::m4();
        let p = [2.0, 6.0, 0.8, 40.0, 0.5];
        let x: Vec<f64> = (0..16)
            .map(|k| 10f64.powf(2.0 + 3.0 * k as f64 / 15.0))
            .collect();
        let y: Vec<f64> = x.iter().map(|&v| law.predict(&[v], &p)).collect();
        for regress_on_current_i in [false, true] {
            let o = Options {
                regress_on_current_i,
                ..Options::default()
            };
            let f = fit(&x, &y, &o).unwrap();
            let worst = x
                .iter()
                .zip(&y)
                .map(|(&v, &t)| (f.predict(v) / t).ln().abs())
                .fold(0.0, f64::max);
            assert!(
                worst < 0.05,
                "{regress_on_current_i}: {worst} {:?}",
                f.params
            );
        }
    }

    #[test]
    fn refuses_bad_input() {
        assert!(fit(&[1.0, 2.0], &[3.0, 2.0], &Options::default()).is_none());
        assert!(fit(&[1.0, 2.0, 3.0], &[3.0, -2.0, 1.0], &Options::default()).is_none());
    }
}
