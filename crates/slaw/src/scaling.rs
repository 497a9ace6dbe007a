//! Scale-free fitting: the data are divided by their own scale (geometric
//! mean of each input's non-zero magnitudes, and of the output's in log
//! space; times the law's reference scale, see `Model::reference_scale`)
//! before the search, and the parameters are mapped back. Multiplying
//! an input by 10^k then leaves the normalized problem, hence the optimum and
//! every prediction, unchanged.
//!
//! Catalog laws map their parameters in closed form (`Model::rescale`); other
//! laws (formulas) are mapped numerically by continuation: the scale moves
//! from 1 to the data's in small steps, each a Levenberg-Marquardt solve that
//! matches the law's values at the data points, started from the previous
//! step. A law that cannot follow a change of units (the match fails) is
//! fitted in the data's own units instead.

use crate::law::Law;
use crate::linalg;
use crate::objective::Space;
use crate::observations::Observations;

/// ln of the scale of each input and of the output.
#[derive(Debug, Clone, PartialEq)]
pub struct Scales {
    /// ln of each input's scale.
    pub ln_x: Vec<f64>,
    /// ln of the output's scale.
    pub ln_y: f64,
}

impl Scales {
    /// The data's scales: geometric mean of the non-zero |x| per input, and
    /// of |y| when the objective is on log L (on L the output stays as is, so
    /// the loss keeps its units).
    pub fn of(obs: &Observations, space: Space) -> Scales {
        let d = obs.dim();
        // The mean of ln |v| over the non-zero finite values, summed in
        // order; the logarithms in one vectorized pass.
        let geo = |vals: Vec<f64>| {
            let logs = crate::fastmath::ln_vec(&vals);
            let (s, n) = vals
                .iter()
                .zip(&logs)
                .filter(|(v, _)| **v != 0.0 && v.is_finite())
                .fold((0.0, 0usize), |(s, n), (_, l)| (s + l, n + 1));
            if n == 0 {
                0.0
            } else {
                s / n as f64
            }
        };
        let ln_x = (0..d)
            .map(|j| geo(obs.x.iter().skip(j).step_by(d).map(|v| v.abs()).collect()))
            .collect();
        let ln_y = match space {
            Space::Log => geo(obs.y.iter().map(|v| v.abs()).collect()),
            Space::Linear => 0.0,
        };
        Scales { ln_x, ln_y }
    }

    /// True when every scale is 1 (the data's own units).
    pub fn is_identity(&self) -> bool {
        self.ln_y == 0.0 && self.ln_x.iter().all(|&v| v == 0.0)
    }

    /// The points divided by these scales, for a search: inputs, losses,
    /// weights and context. Groups, held-out flags and line numbers stay
    /// with `obs` (a search reads none of them): the copy has none, so a
    /// million points cost their numbers only.
    pub fn normalize(&self, obs: &Observations) -> Observations {
        let d = obs.dim();
        let sx: Vec<f64> = self.ln_x.iter().map(|v| v.exp()).collect();
        let sy = self.ln_y.exp();
        Observations {
            input_names: obs.input_names.clone(),
            x: if d == 1 {
                obs.x.iter().map(|x| x / sx[0]).collect()
            } else {
                obs.x
                    .chunks_exact(d)
                    .flat_map(|row| row.iter().zip(&sx).map(|(x, s)| x / s))
                    .collect()
            },
            y: obs.y.iter().map(|y| y / sy).collect(),
            weight: obs.weight.clone(),
            group: Vec::new(),
            group_names: Vec::new(),
            held: Vec::new(),
            line: Vec::new(),
            records: obs.records,
            source: obs.source.clone(),
            y_name: obs.y_name.clone(),
            context: obs.context.clone(),
            context_dim: obs.context_dim,
        }
    }

    fn neg(&self) -> Scales {
        Scales {
            ln_x: self.ln_x.iter().map(|v| -v).collect(),
            ln_y: -self.ln_y,
        }
    }
}

/// Closed-form map, when the law has one: internal parameters for data in
/// original units to parameters for data divided by `s`.
pub fn to_scaled_exact(law: &Law, u: &[f64], s: &Scales) -> Option<Vec<f64>> {
    let n = s.neg();
    law.model.rescale(u, &n.ln_x, n.ln_y)
}

/// Parameters fitted on normalized data (inputs `z`, row major) back to the
/// data's units: closed form, or by continuation. `None` when the law does
/// not follow the change of units.
pub fn from_scaled(law: &Law, u: &[f64], s: &Scales, z: &[f64]) -> Option<Vec<f64>> {
    if let Some(v) = law.model.rescale(u, &s.ln_x, s.ln_y) {
        return Some(v);
    }
    if s.is_identity() {
        return Some(u.to_vec());
    }
    if !law.model.numeric_rescale() {
        return None;
    }
    continuation(law, u, s, z)
}

/// [`from_scaled`], for a law without a closed form by one match of the
/// law's values from `near` (parameters in the data's units close to the
/// answer: the optimum of the fit a refit was warm-started from) instead of
/// the continuation from `u`, which runs when that match fails. The same
/// test of success: the values at the points match to 1e-9.
pub fn from_scaled_near(
    law: &Law,
    u: &[f64],
    s: &Scales,
    z: &[f64],
    near: &[f64],
) -> Option<Vec<f64>> {
    if let Some(v) = law.model.rescale(u, &s.ln_x, s.ln_y) {
        return Some(v);
    }
    if s.is_identity() {
        return Some(u.to_vec());
    }
    if !law.model.numeric_rescale() {
        return None;
    }
    if near.len() == u.len() && near.iter().all(|v| v.is_finite()) {
        if let Some(v) = matched(law, u, s, z, near) {
            return Some(v);
        }
    }
    continuation(law, u, s, z)
}

/// The parameters whose values at the points `z` times exp(s.ln_x) are
/// `u`'s at `z` times exp(s.ln_y), by one match from `start`; `None` unless
/// they match to 1e-9.
fn matched(law: &Law, u: &[f64], s: &Scales, z: &[f64], start: &[f64]) -> Option<Vec<f64>> {
    let d = law.inputs.len();
    if d == 0 || z.is_empty() || !z.len().is_multiple_of(d) || s.ln_x.len() != d {
        return None;
    }
    let lnz = |p: &[f64]| -> Vec<f64> { p.iter().map(|&v| crate::law::ln_input(v)).collect() };
    let c: Vec<f64> = s.ln_x.iter().map(|v| v.exp()).collect();
    let cy = s.ln_y.exp();
    let mut moved = Vec::with_capacity(z.len() / d);
    let mut target = Vec::with_capacity(z.len() / d);
    for p in z.chunks_exact(d) {
        let v = law.model.value(p, &lnz(p), u) * cy;
        if !v.is_finite() || v == 0.0 {
            return None;
        }
        moved.push(p.iter().zip(&c).map(|(a, b)| a * b).collect::<Vec<f64>>());
        target.push(v);
    }
    let free = vec![f64::NEG_INFINITY; u.len()];
    let up = vec![f64::INFINITY; u.len()];
    let v = match_values(law, &moved, &target, start, &free, &up)?;
    let worst = moved
        .iter()
        .zip(&target)
        .map(|(x, t)| (law.model.value(x, &lnz(x), &v) / t - 1.0).abs())
        .fold(0.0f64, f64::max);
    (worst < 1e-9).then_some(v)
}

/// Parameters in the data's units to normalized ones, by continuation (for
/// laws without a closed form). `x` are the original inputs.
pub fn to_scaled(law: &Law, u: &[f64], s: &Scales, x: &[f64]) -> Option<Vec<f64>> {
    to_scaled_exact(law, u, s).or_else(|| {
        if s.is_identity() {
            Some(u.to_vec())
        } else if law.model.numeric_rescale() {
            continuation(law, u, &s.neg(), x)
        } else {
            None
        }
    })
}

/// Follow `u` (fitted at inputs `z`) as the inputs are multiplied by
/// exp(s.ln_x) and the output by exp(s.ln_y), in steps of at most a factor
/// e^0.5; each step matches the law's values at the moved points.
fn continuation(law: &Law, u: &[f64], s: &Scales, z: &[f64]) -> Option<Vec<f64>> {
    let d = law.inputs.len();
    if d == 0 || z.is_empty() || !z.len().is_multiple_of(d) {
        return None;
    }
    let pts: Vec<&[f64]> = z.chunks_exact(d).collect();
    let lnz = |p: &[f64]| -> Vec<f64> { p.iter().map(|&v| crate::law::ln_input(v)).collect() };
    let base: Vec<f64> = pts.iter().map(|p| law.model.value(p, &lnz(p), u)).collect();
    if base.iter().any(|v| !v.is_finite() || *v == 0.0) {
        return None;
    }
    let span = s.ln_x.iter().fold(s.ln_y.abs(), |m, v| m.max(v.abs()));
    let steps = ((span / 0.5).ceil() as usize).max(1);
    // Unbounded: the law's bounds hold in the search's units (the data
    // divided by their scale), not along the way to the data's (a rate of
    // 1e-13 per unit of x is 3 per unit of a scale of 3e13).
    let lower = vec![f64::NEG_INFINITY; u.len()];
    let upper = vec![f64::INFINITY; u.len()];
    let mut cur = u.to_vec();
    for k in 1..=steps {
        let t = k as f64 / steps as f64;
        let c: Vec<f64> = s.ln_x.iter().map(|v| (t * v).exp()).collect();
        let cy = (t * s.ln_y).exp();
        let moved: Vec<Vec<f64>> = pts
            .iter()
            .map(|p| p.iter().zip(&c).map(|(a, b)| a * b).collect())
            .collect();
        let target: Vec<f64> = base.iter().map(|v| v * cy).collect();
        cur = match_values(law, &moved, &target, &cur, &lower, &upper)?;
    }
    // Success only when the values match to near rounding.
    let worst = pts
        .iter()
        .zip(&base)
        .map(|(p, b)| {
            let x: Vec<f64> = p.iter().zip(&s.ln_x).map(|(a, l)| a * l.exp()).collect();
            let want = b * s.ln_y.exp();
            (law.model.value(&x, &lnz(&x), &cur) / want - 1.0).abs()
        })
        .fold(0.0f64, f64::max);
    (worst < 1e-9).then_some(cur)
}

/// Levenberg-Marquardt on relative residuals (f(x_i; u) - t_i) / |t_i|.
fn match_values(
    law: &Law,
    xs: &[Vec<f64>],
    target: &[f64],
    u0: &[f64],
    lower: &[f64],
    upper: &[f64],
) -> Option<Vec<f64>> {
    let p = u0.len();
    let d = law.inputs.len();
    // The points row major, for the law's batch path (a formula law's
    // compiled program).
    let x: Vec<f64> = xs.iter().flatten().copied().collect();
    let lnx: Vec<f64> = x.iter().map(|&v| crate::law::ln_input(v)).collect();
    let mut pred = vec![0.0; xs.len()];
    let mut grads = vec![0.0; xs.len() * p];
    let mut eval = |u: &[f64], jac: Option<&mut Vec<f64>>| -> (Vec<f64>, f64) {
        law.model.value_batch(&x, &lnx, d, u, &mut pred, &mut grads);
        let mut r = vec![0.0; xs.len()];
        let mut jac = jac;
        for i in 0..xs.len() {
            let w = 1.0 / target[i].abs();
            r[i] = (pred[i] - target[i]) * w;
            if let Some(j) = jac.as_deref_mut() {
                for k in 0..p {
                    j[i * p + k] = grads[i * p + k] * w;
                }
            }
        }
        let ss = r.iter().map(|v| v * v).sum::<f64>();
        (r, if ss.is_finite() { ss } else { f64::INFINITY })
    };
    let mut u = u0.to_vec();
    let mut jac = vec![0.0; xs.len() * p];
    let (mut r, mut ss) = eval(&u, Some(&mut jac));
    let mut lambda = 1e-6;
    for _ in 0..200 {
        if ss < 1e-26 {
            break;
        }
        let mut jtj = vec![0.0; p * p];
        let mut jtr = vec![0.0; p];
        for i in 0..xs.len() {
            let row = &jac[i * p..(i + 1) * p];
            for a in 0..p {
                jtr[a] += row[a] * r[i];
                for b in 0..p {
                    jtj[a * p + b] += row[a] * row[b];
                }
            }
        }
        // The system scaled by its diagonal (Jacobi): a parameter that
        // multiplies inputs of 1e9 has a column 1e9 times another's, and the
        // unscaled solve would call it singular (x in units 1e6 times
        // smaller: a rate k of 1e-10).
        let d: Vec<f64> = (0..p)
            .map(|a| {
                let v = jtj[a * p + a].sqrt();
                if v > 0.0 && v.is_finite() {
                    v
                } else {
                    1.0
                }
            })
            .collect();
        let mut improved = false;
        for _ in 0..30 {
            let mut m = vec![0.0; p * p];
            for a in 0..p {
                for b in 0..p {
                    m[a * p + b] = jtj[a * p + b] / (d[a] * d[b]);
                }
                // Marquardt's damping, in the scaled system: lambda on
                // every diagonal (an absolute floor, jtj + 1e-12, damped a
                // rate of 1e-12 per unit of x ~1e13 times more than its
                // own curvature: it could not follow x times 1e9).
                let diag = jtj[a * p + a];
                m[a * p + a] += lambda * if diag > 0.0 { diag } else { 1e-12 } / (d[a] * d[a]);
            }
            let rhs: Vec<f64> = (0..p).map(|a| jtr[a] / d[a]).collect();
            let Some(step) = linalg::solve(&m, &rhs)
                .map(|y| y.iter().zip(&d).map(|(v, s)| v / s).collect::<Vec<f64>>())
            else {
                lambda *= 10.0;
                continue;
            };
            let cand: Vec<f64> = (0..p)
                .map(|a| (u[a] - step[a]).clamp(lower[a], upper[a]))
                .collect();
            let mut jc = vec![0.0; xs.len() * p];
            let (rc, sc) = eval(&cand, Some(&mut jc));
            if sc < ss {
                u = cand;
                r = rc;
                ss = sc;
                jac = jc;
                lambda = (lambda * 0.1).max(1e-12);
                improved = true;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    (ss.sqrt() < 1e-6).then_some(u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::law::{catalog, formula::formula_law};

    #[test]
    fn closed_form_maps_keep_the_values() {
        let s = Scales {
            ln_x: vec![3.0, -2.0],
            ln_y: 0.7,
        };
        for law in catalog::all() {
            let d = law.inputs.len();
            let s = Scales {
                ln_x: s.ln_x[..d].to_vec(),
                ln_y: s.ln_y,
            };
            let u = &law.grid()[law.grid().len() / 2];
            let u2 = law.model.rescale(u, &s.ln_x, s.ln_y).unwrap();
            let back = to_scaled_exact(&law, &u2, &s).unwrap();
            for (a, b) in u.iter().zip(&back) {
                assert!((a - b).abs() < 1e-9, "{}", law.name);
            }
            let x: Vec<f64> = (0..d).map(|j| 20.0 + 300.0 * j as f64).collect();
            let cx: Vec<f64> = x.iter().zip(&s.ln_x).map(|(a, l)| a * l.exp()).collect();
            let lnx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
            let lncx: Vec<f64> = cx.iter().map(|v| v.ln()).collect();
            let v = law.model.value(&x, &lnx, u) * s.ln_y.exp();
            let v2 = law.model.value(&cx, &lncx, &u2);
            assert!((v2 / v - 1.0).abs() < 1e-10, "{}: {v} vs {v2}", law.name);
        }
    }

    #[test]
    fn formulas_are_mapped_by_continuation() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let law = formula_law(
            "A / x^alpha + E",
            &names(&["x"]),
            &names(&["A", "alpha", "E"]),
            &names(&["A", "E"]),
        )
        .unwrap();
        let u = law.to_internal(&[2.0, 0.4, 1.5]);
        let z: Vec<f64> = (0..10).map(|i| 0.1 * 2f64.powi(i)).collect();
        let s = Scales {
            ln_x: vec![20.0],
            ln_y: 1.0,
        };
        let u2 = from_scaled(&law, &u, &s, &z).unwrap();
        let p = law.to_natural(&u2);
        // A' = e A c^alpha, E' = e E
        assert!((p[0] / (1f64.exp() * 2.0 * (20.0f64 * 0.4).exp()) - 1.0).abs() < 1e-6);
        assert!((p[1] - 0.4).abs() < 1e-8);
        assert!((p[2] / (1.5 * 1f64.exp()) - 1.0).abs() < 1e-8);
        // a law that does not follow a change of units
        let law = formula_law("A * exp(-x) + E", &names(&["x"]), &names(&["A", "E"]), &[]).unwrap();
        let u = [2.0, 1.0];
        assert!(from_scaled(&law, &u, &s, &z).is_none());
    }
}
