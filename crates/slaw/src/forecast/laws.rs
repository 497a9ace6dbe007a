//! The loss-curve laws as engine `Law`s. Every point has the inputs
//! (t, S1, S2): the step and the schedule features of `curve::Features`;
//! its context (`Observations::context`) says which curve and point it is
//! (the multi-power law reads its learning-rate drops through them).

use super::curve::Features;
use crate::fastmath;
use crate::law::{exp_capped, Law, Model, Param, Transform};
use crate::observations::Domain;
use std::sync::Arc;

pub const INPUTS: [&str; 3] = ["t", "S1", "S2"];

fn make(
    name: &str,
    description: &str,
    formula: &str,
    params: Vec<Param>,
    model: Arc<dyn Model>,
) -> Law {
    Law {
        name: name.into(),
        description: description.into(),
        formula: formula.into(),
        inputs: INPUTS.iter().map(|s| s.to_string()).collect(),
        domains: vec![Domain::Positive, Domain::Positive, Domain::Any],
        params,
        model,
    }
}

/// A model given by its value and gradient in natural form.
struct Fn5<F: Fn(&[f64], &[f64], &mut [f64]) -> f64 + Send + Sync>(F);
impl<F: Fn(&[f64], &[f64], &mut [f64]) -> f64 + Send + Sync> Model for Fn5<F> {
    fn value_grad(&self, x: &[f64], _lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        (self.0)(x, u, g)
    }
    fn value(&self, x: &[f64], _lnx: &[f64], u: &[f64]) -> f64 {
        let mut g = vec![0.0; u.len()];
        (self.0)(x, u, &mut g)
    }
}

/// L = A t^-alpha + E. Internal (ln A, alpha, ln E).
pub fn power() -> Law {
    make(
        "power",
        "power law in steps (Kaplan form)",
        "L = A * t^-alpha + E",
        vec![
            Param::log_with_ln_grid("A", (1e-12, 1e30), &[0.0, 3.0, 6.0]),
            Param::new("alpha", Transform::Identity, (0.0, 5.0), &[0.1, 0.3, 0.7]),
            Param::log_with_ln_grid("E", (1e-10, 1e3), &[-1.0, 0.5, 1.2]),
        ],
        Arc::new(Fn5(|x: &[f64], u: &[f64], g: &mut [f64]| {
            let p = exp_capped(u[0] - u[1] * x[0].ln());
            let e = exp_capped(u[2]);
            g[0] = p;
            g[1] = -x[0].ln() * p;
            g[2] = e;
            p + e
        })),
    )
}

/// L = a / (1 + b t) + c. Internal (ln a, ln b, ln c).
pub fn reciprocal() -> Law {
    make(
        "reciprocal",
        "reciprocal function of the step",
        "L = a / (1 + b * t) + c",
        vec![
            Param::log_with_ln_grid("a", (1e-12, 1e6), &[-1.0, 0.5, 2.0]),
            Param::log_with_ln_grid("b", (1e-15, 1e3), &[-12.0, -8.0, -4.0]),
            Param::log_with_ln_grid("c", (1e-10, 1e3), &[-1.0, 0.5, 1.2]),
        ],
        Arc::new(Fn5(|x: &[f64], u: &[f64], g: &mut [f64]| {
            let (a, b, c) = (exp_capped(u[0]), exp_capped(u[1]), exp_capped(u[2]));
            let q = 1.0 + b * x[0];
            g[0] = a / q;
            g[1] = -a * x[0] * b / (q * q);
            g[2] = c;
            a / q + c
        })),
    )
}

/// L = a - b ln t.
pub fn logarithmic() -> Law {
    make(
        "log",
        "logarithmic function of the step",
        "L = a - b * ln(t)",
        vec![
            Param::new("a", Transform::Identity, (-1e3, 1e3), &[3.0, 6.0]),
            Param::new("b", Transform::Identity, (-1e2, 1e2), &[0.05, 0.3]),
        ],
        Arc::new(Fn5(|x: &[f64], u: &[f64], g: &mut [f64]| {
            g[0] = 1.0;
            g[1] = -x[0].ln();
            u[0] - u[1] * x[0].ln()
        })),
    )
}

/// Tissue et al.: L = L0 + A S1^-alpha - C S2. Internal (ln L0, ln A, alpha, C).
pub fn tissue() -> Law {
    make(
        "tissue",
        "LR-annealing law of Tissue et al. (S1 forward area, S2 annealing area, lambda 0.999)",
        "L = L0 + A * S1^-alpha - C * S2",
        vec![
            Param::log_with_ln_grid("L0", (1e-6, 1e3), &[0.5, 1.0]),
            Param::log_with_ln_grid("A", (1e-12, 1e6), &[-1.0, 0.5]),
            Param::new("alpha", Transform::Identity, (0.0, 5.0), &[0.3, 0.6]),
            Param::new("C", Transform::Identity, (0.0, 1e6), &[0.1, 1.0, 10.0]),
        ],
        Arc::new(Fn5(|x: &[f64], u: &[f64], g: &mut [f64]| {
            let l0 = exp_capped(u[0]);
            let p = exp_capped(u[1] - u[2] * x[1].ln());
            g[0] = l0;
            g[1] = p;
            g[2] = -x[1].ln() * p;
            g[3] = -x[2];
            l0 + p - u[3] * x[2]
        })),
    )
}

/// Luo et al.'s multi-power law over the curves whose features it holds:
/// L(t) = L0 + A S1(t)^-alpha - B sum_k d_k G(eta_k^-gamma (S1(t) - S1_k)),
/// G(x) = 1 - (C x + 1)^-beta, the sum over the learning-rate drops up to t
/// (after the warmup; with `warmup`, also over the warmup's steps, whose
/// increases are negative drops, as the paper's sum from the first step:
/// `warmup::nodes`). Internal (ln L0, ln A, alpha, ln B, ln C, beta, gamma).
struct MultiPower {
    curves: Vec<Features>,
    warmup: bool,
}

/// The drop sum and its derivatives in C, beta and gamma.
#[derive(Default)]
struct DropSum {
    ld: f64,
    d_c: f64,
    d_beta: f64,
    d_gamma: f64,
}

impl DropSum {
    /// Add drop d (rate after it e^ln_eta) seen at x = eta^-gamma (S1 - S_k).
    #[inline(always)]
    fn add(&mut self, d: f64, ln_eta: f64, xk: f64, c: f64, beta: f64) {
        let q = c * xk + 1.0;
        let lq = fastmath::ln_positive(q);
        let pw = fastmath::exp(-beta * lq); // q^-beta
        self.ld += d * (1.0 - pw);
        // dG/dC = beta x q^(-beta-1); dG/dbeta = q^-beta ln q; dG/dgamma = beta C q^(-beta-1) x (-ln eta)
        let common = d * beta * pw / q * xk;
        self.d_c += common;
        self.d_beta += d * pw * lq;
        self.d_gamma -= common * c * ln_eta;
    }
}

impl MultiPower {
    /// eta^-gamma of every block of curve `f`'s drop tree, then of every
    /// warmup term (the per-drop factors, once per evaluation).
    fn drop_factors(&self, f: &Features, gamma: f64) -> Vec<f64> {
        let mut v: Vec<f64> = f
            .tree
            .blocks()
            .map(|b| fastmath::exp(-gamma * b.ln_eta))
            .collect();
        if self.warmup {
            v.extend(
                f.warm
                    .iter()
                    .map(|w| fastmath::exp(-gamma * w.1.max(1e-30).ln())),
            );
        }
        v
    }

    /// Value and gradient at point `i` of curve `f`; `factor(j, ln_eta)` is
    /// eta^-gamma of term j (flat index of `drop_factors`).
    #[inline(always)]
    fn point(
        &self,
        f: &Features,
        i: usize,
        u: &[f64],
        factor: impl Fn(usize, f64) -> f64,
        g: &mut [f64],
    ) -> f64 {
        let s1 = f.s1[i];
        let ln_s1 = s1.ln();
        let l0 = exp_capped(u[0]);
        let p = exp_capped(u[1] - u[2] * ln_s1);
        let (b, c, beta) = (exp_capped(u[3]), exp_capped(u[4]), u[5]);
        let mut sum = DropSum::default();
        f.tree.for_each_indexed(f.drops_upto[i], s1, |blk, j| {
            sum.add(
                blk.d,
                blk.ln_eta,
                factor(j, blk.ln_eta) * (s1 - blk.s).max(0.0),
                c,
                beta,
            );
        });
        if self.warmup {
            let (a, e) = f.warm_range[i];
            let off = f.tree.len();
            for j in a as usize..e as usize {
                let (d, eta, s) = f.warm[j];
                let ln_eta = eta.max(1e-30).ln();
                sum.add(
                    d,
                    ln_eta,
                    factor(off + j, ln_eta) * (s1 - s).max(0.0),
                    c,
                    beta,
                );
            }
        }
        g[0] = l0;
        g[1] = p;
        g[2] = -ln_s1 * p;
        g[3] = -b * sum.ld;
        g[4] = -b * sum.d_c * c;
        g[5] = -b * sum.d_beta;
        g[6] = -b * sum.d_gamma;
        l0 + p - b * sum.ld
    }
}

impl MultiPower {
    /// The point's curve and index (its context), or None.
    fn locate(&self, ctx: &[u32]) -> Option<(&Features, usize)> {
        let (c, i) = (*ctx.first()? as usize, *ctx.get(1)? as usize);
        let f = self.curves.get(c)?;
        (i < f.s1.len()).then_some((f, i))
    }
}

impl Model for MultiPower {
    /// Without context the point is not located: NaN.
    fn value_grad(&self, x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        self.value_grad_at(x, lnx, &[], u, g)
    }
    fn value(&self, x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        self.value_at(x, lnx, &[], u)
    }
    fn value_grad_at(&self, _x: &[f64], _lnx: &[f64], c: &[u32], u: &[f64], g: &mut [f64]) -> f64 {
        let Some((f, i)) = self.locate(c) else {
            return f64::NAN;
        };
        let gamma = u[6];
        self.point(f, i, u, |_, ln_eta| (-gamma * ln_eta).exp(), g)
    }
    fn ln_value_grad_at(&self, x: &[f64], lnx: &[f64], c: &[u32], u: &[f64], g: &mut [f64]) -> f64 {
        let v = self.value_grad_at(x, lnx, c, u, g);
        if v > 0.0 && v.is_finite() {
            g.iter_mut().for_each(|gj| *gj /= v);
            v.ln()
        } else {
            f64::NAN
        }
    }
    fn value_at(&self, x: &[f64], lnx: &[f64], c: &[u32], u: &[f64]) -> f64 {
        let mut g = [0.0; 7];
        self.value_grad_at(x, lnx, c, u, &mut g)
    }
    /// The per-drop factors once per call, not once per (point, drop).
    fn ln_batch_at(
        &self,
        _x: &[f64],
        _lnx: &[f64],
        _dim: usize,
        ctx: &[u32],
        cdim: usize,
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        let p = u.len();
        let factors: Vec<Vec<f64>> = self
            .curves
            .iter()
            .map(|f| self.drop_factors(f, u[6]))
            .collect();
        for (i, o) in out.iter_mut().enumerate() {
            let g = &mut jac[i * p..(i + 1) * p];
            let Some((f, k)) = self.locate(&ctx[i * cdim..(i + 1) * cdim]) else {
                *o = f64::NAN;
                continue;
            };
            let fc = &factors[ctx[i * cdim] as usize];
            let v = self.point(f, k, u, |j, _| fc[j], g);
            *o = if v > 0.0 && v.is_finite() {
                g.iter_mut().for_each(|gj| *gj /= v);
                v.ln()
            } else {
                f64::NAN
            };
        }
    }
}

fn multipower_law(curves: Vec<Features>, warmup: bool) -> Law {
    let (name, description, sum_from) = if warmup {
        (
            "multipower-warmup",
            "multi-power law of Luo et al. with the warmup in the drop sum, as the paper (learning-rate schedule aware)",
            "k from the first step (warmup increases are negative drops)",
        )
    } else {
        (
            "multipower",
            "multi-power law of Luo et al. (learning-rate schedule aware; drop sum after the warmup)",
            "k after the warmup",
        )
    };
    make(
        name,
        description,
        &format!("L = L0 + A * S1^-alpha - B * sum_k (eta_(k-1) - eta_k) * (1 - (C * eta_k^-gamma * S_k(t) + 1)^-beta), {sum_from}"),
        vec![
            Param::log_with_ln_grid("L0", (1e-6, 1e3), &[0.5, 1.0]),
            Param::log_with_ln_grid("A", (1e-12, 1e6), &[-1.0, 0.5]),
            Param::new("alpha", Transform::Identity, (0.0, 5.0), &[0.3, 0.6]),
            Param::log_with_ln_grid("B", (1e-6, 1e9), &[5.0, 7.0]),
            Param::log_with_ln_grid("C", (1e-9, 1e6), &[-1.0, 1.0]),
            Param::new("beta", Transform::Identity, (1e-3, 10.0), &[0.5]),
            Param::new("gamma", Transform::Identity, (0.0, 2.0), &[0.5]),
        ],
        Arc::new(MultiPower { curves, warmup }),
    )
}

pub fn multipower(curves: Vec<Features>) -> Law {
    multipower_law(curves, false)
}

/// The multi-power law with the warmup's steps in the drop sum.
pub fn multipower_warmup(curves: Vec<Features>) -> Law {
    multipower_law(curves, true)
}

/// Every loss-curve law of `slaw forecast` (the multi-power law without
/// curves, for its description) and the temporal law's per-position law.
pub fn curve_laws() -> Vec<Law> {
    vec![
        power(),
        reciprocal(),
        logarithmic(),
        tissue(),
        multipower(vec![]),
        multipower_warmup(vec![]),
        super::temporal::position_law(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::curve::Curve;

    #[test]
    fn multipower_gradient_matches_finite_differences() {
        let step: Vec<f64> = (1..=40).map(|k| 100.0 * k as f64).collect();
        let lr: Vec<f64> = step
            .iter()
            .map(|&s| {
                if s < 2000.0 {
                    3e-4
                } else {
                    3e-4 * (1.0 - (s - 2000.0) / 2500.0)
                }
            })
            .collect();
        let c = Curve {
            name: "c".into(),
            loss: step.iter().map(|_| 3.0).collect(),
            step,
            lr: Some(lr),
            schedule: None,
        };
        let f = c.features().unwrap();
        assert!(!f.drops.is_empty());
        for law in [
            multipower(vec![f.clone()]),
            multipower_warmup(vec![f.clone()]),
        ] {
            gradient_matches(&law);
        }
    }

    /// The batch kernel (per-drop factors hoisted) equals the per-point
    /// evaluation; the warmup term raises the loss by about B eta_peak.
    #[test]
    fn batch_equals_points_and_the_warmup_raises_the_loss() {
        let step: Vec<f64> = (0..60).map(|k| 2160.0 + 128.0 * k as f64).collect();
        let lr: Vec<f64> = step
            .iter()
            .map(|&s| 3e-5 + 1.35e-4 * (1.0 + (std::f64::consts::PI * (s - 2160.0) / 7552.0).cos()))
            .collect();
        let c = Curve {
            name: "c".into(),
            loss: step.iter().map(|_| 3.0).collect(),
            step,
            lr: Some(lr),
            schedule: None,
        };
        let f = c.features().unwrap();
        assert!(f.warm.len() <= 34 && f.warm_range.iter().all(|r| r.1 as usize == f.warm.len()));
        let u = [1.0, -0.5, 0.45, 6.08, 0.76, 0.6, 0.65];
        let (plain, warm) = (multipower(vec![f.clone()]), multipower_warmup(vec![f]));
        let n = 60;
        let x = vec![0.0; 3 * n];
        let ctx: Vec<u32> = (0..n as u32).flat_map(|i| [0, i]).collect();
        let lnx = vec![0.0; x.len()];
        for law in [&plain, &warm] {
            let (mut out, mut jac) = (vec![0.0; n], vec![0.0; n * 7]);
            law.model
                .ln_batch_at(&x, &lnx, 3, &ctx, 2, &u, &mut out, &mut jac);
            for i in 0..n {
                let mut g = [0.0; 7];
                let v = law.model.ln_value_grad_at(
                    &x[i * 3..i * 3 + 3],
                    &lnx[..3],
                    &ctx[2 * i..2 * i + 2],
                    &u,
                    &mut g,
                );
                assert!((v - out[i]).abs() < 1e-13, "point {i}: {v} vs {}", out[i]);
                for j in 0..7 {
                    assert!((g[j] - jac[i * 7 + j]).abs() < 1e-10 * (1.0 + g[j].abs()));
                }
            }
        }
        let b = u[3].exp();
        let at = |law: &Law, i: usize| law.model.value_at(&x[..3], &lnx[..3], &[0, i as u32], &u);
        let rise = at(&warm, 30) - at(&plain, 30);
        assert!(rise > 0.5 * b * 3e-4 && rise < b * 3e-4, "{rise}");
    }

    fn gradient_matches(law: &Law) {
        let u = [1.0, 0.3, 0.5, 6.0, 0.2, 0.6, 0.4];
        let x = [3500.0, 0.0, 0.0];
        let lnx = [0.0; 3];
        let ctx = [0, 34];
        let mut g = [0.0; 7];
        law.model.value_grad_at(&x, &lnx, &ctx, &u, &mut g);
        for j in 0..7 {
            let h = 1e-6;
            let mut up = u;
            up[j] += h;
            let mut dn = u;
            dn[j] -= h;
            let m = &law.model;
            let fd =
                (m.value_at(&x, &lnx, &ctx, &up) - m.value_at(&x, &lnx, &ctx, &dn)) / (2.0 * h);
            assert!(
                (fd - g[j]).abs() < 1e-6 * (1.0 + fd.abs()),
                "param {j}: {fd} vs {}",
                g[j]
            );
        }
    }
}
