//! The loss-curve laws as engine `Law`s. Every point has the inputs
//! (t, S1, S2, curve, index): the step, the schedule features of
//! `curve::Features`, and which curve and point it is (the multi-power law
//! reads its learning-rate drops through them).

use super::curve::Features;
use crate::law::{exp_capped, Law, Model, Param, Transform};
use crate::observations::Domain;
use std::sync::Arc;

pub const INPUTS: [&str; 5] = ["t", "S1", "S2", "curve", "index"];

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
        domains: vec![
            Domain::Positive,
            Domain::Positive,
            Domain::Any,
            Domain::Any,
            Domain::Any,
        ],
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
/// G(x) = 1 - (C x + 1)^-beta, the sum over the learning-rate drops up to t.
/// Internal (ln L0, ln A, alpha, ln B, ln C, beta, gamma).
struct MultiPower {
    curves: Vec<Features>,
}

impl Model for MultiPower {
    fn value_grad(&self, x: &[f64], _lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let f = &self.curves[x[3] as usize];
        let i = x[4] as usize;
        let s1 = f.s1[i];
        let l0 = exp_capped(u[0]);
        let p = exp_capped(u[1] - u[2] * s1.ln());
        let (b, c, beta, gamma) = (exp_capped(u[3]), exp_capped(u[4]), u[5], u[6]);
        let (mut ld, mut d_c, mut d_beta, mut d_gamma) = (0.0, 0.0, 0.0, 0.0);
        f.tree.for_each(f.drops_upto[i], s1, |blk| {
            let (d, ln_eta) = (blk.d, blk.ln_eta);
            let xk = (-gamma * ln_eta).exp() * (s1 - blk.s).max(0.0);
            let q = c * xk + 1.0;
            let lq = q.ln();
            let pw = (-beta * lq).exp(); // q^-beta
            ld += d * (1.0 - pw);
            // dG/dC = beta x q^(-beta-1); dG/dbeta = q^-beta ln q; dG/dgamma = beta C q^(-beta-1) x (-ln eta)
            let common = beta * pw / q;
            d_c += d * common * xk;
            d_beta += d * pw * lq;
            d_gamma += d * common * c * xk * (-ln_eta);
        });
        g[0] = l0;
        g[1] = p;
        g[2] = -s1.ln() * p;
        g[3] = -b * ld;
        g[4] = -b * d_c * c;
        g[5] = -b * d_beta;
        g[6] = -b * d_gamma;
        l0 + p - b * ld
    }
    fn value(&self, x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        let mut g = [0.0; 7];
        self.value_grad(x, lnx, u, &mut g)
    }
}

pub fn multipower(curves: Vec<Features>) -> Law {
    make(
        "multipower",
        "multi-power law of Luo et al. (learning-rate schedule aware)",
        "L = L0 + A * S1^-alpha - B * sum_k (eta_(k-1) - eta_k) * (1 - (C * eta_k^-gamma * S_k(t) + 1)^-beta)",
        vec![
            Param::log_with_ln_grid("L0", (1e-6, 1e3), &[0.5, 1.0]),
            Param::log_with_ln_grid("A", (1e-12, 1e6), &[-1.0, 0.5]),
            Param::new("alpha", Transform::Identity, (0.0, 5.0), &[0.3, 0.6]),
            Param::log_with_ln_grid("B", (1e-6, 1e9), &[5.0, 7.0]),
            Param::log_with_ln_grid("C", (1e-9, 1e6), &[-1.0, 1.0]),
            Param::new("beta", Transform::Identity, (1e-3, 10.0), &[0.5]),
            Param::new("gamma", Transform::Identity, (0.0, 2.0), &[0.5]),
        ],
        Arc::new(MultiPower { curves }),
    )
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
        let law = multipower(vec![f]);
        let u = [1.0, 0.3, 0.5, 6.0, 0.2, 0.6, 0.4];
        let x = [3500.0, 0.0, 0.0, 0.0, 34.0];
        let lnx = [0.0; 5];
        let mut g = [0.0; 7];
        law.model.value_grad(&x, &lnx, &u, &mut g);
        for j in 0..7 {
            let h = 1e-6;
            let mut up = u;
            up[j] += h;
            let mut dn = u;
            dn[j] -= h;
            let fd = (law.model.value(&x, &lnx, &up) - law.model.value(&x, &lnx, &dn)) / (2.0 * h);
            assert!(
                (fd - g[j]).abs() < 1e-6 * (1.0 + fd.abs()),
                "param {j}: {fd} vs {}",
                g[j]
            );
        }
    }
}
