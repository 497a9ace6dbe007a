//! The joint fine-tuning laws of Zhang et al. as `Law`s the engine fits.
//!
//! Inputs are (X, D_f, k): the factor value, the fine-tuning data size and
//! the index of the factor experiment the run belongs to. Each factor has its
//! own (A, alpha); the data term is shared across factors:
//!
//! - multiplicative: L = A_k / (X^alpha_k D_f^beta) + E, shared (beta, E)
//! - additive:       L = A_k / X^alpha_k + B / D_f^beta + E, shared (B, beta, E)
//!
//! The same model, with the shared parameters held at given values, is the
//! per-factor refit of the paper's second stage.

use crate::law::catalog::log_sum_exp;
use crate::law::{exp_capped, Law, Model, Param, Transform};
use crate::observations::Domain;
use std::sync::Arc;

const BIG: f64 = 1e30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Form {
    Multiplicative,
    Additive,
}

impl Form {
    pub const BOTH: [Form; 2] = [Form::Multiplicative, Form::Additive];
    pub fn name(self) -> &'static str {
        match self {
            Form::Multiplicative => "multiplicative",
            Form::Additive => "additive",
        }
    }
    pub fn formula(self) -> &'static str {
        match self {
            Form::Multiplicative => "L = A / (X^alpha * D_f^beta) + E",
            Form::Additive => "L = A / X^alpha + B / D_f^beta + E",
        }
    }
    /// Names of the parameters shared across factors.
    pub fn shared_names(self) -> &'static [&'static str] {
        match self {
            Form::Multiplicative => &["beta", "E"],
            Form::Additive => &["B", "beta", "E"],
        }
    }
    fn shared_params(self) -> Vec<Param> {
        let beta = Param::new("beta", Transform::Identity, (0.0, 5.0), &[0.05, 0.2, 0.5]);
        let e = Param::log_with_ln_grid("E", (1e-10, 1e6), &[-1.0, 0.0, 0.7]);
        match self {
            Form::Multiplicative => vec![beta, e],
            Form::Additive => vec![
                Param::log_with_ln_grid("B", (1e-12, BIG), &[0.0, 5.0, 10.0]),
                beta,
                e,
            ],
        }
    }
}

/// ln L at one point from (ln A, alpha) of the point's factor and the shared
/// internal parameters; writes d ln L / d(ln A, alpha) to `gf` and
/// d ln L / d(shared) to `gs`.
#[inline]
fn ln_point(
    form: Form,
    lx: f64,
    ld: f64,
    a: [f64; 2],
    s: &[f64],
    gf: &mut [f64],
    gs: &mut [f64],
) -> f64 {
    match form {
        Form::Multiplicative => {
            let (l, w) = log_sum_exp([a[0] - a[1] * lx - s[0] * ld, s[1]]);
            gf[0] = w[0];
            gf[1] = -lx * w[0];
            gs[0] = -ld * w[0];
            gs[1] = w[1];
            l
        }
        Form::Additive => {
            let (l, w) = log_sum_exp([a[0] - a[1] * lx, s[0] - s[1] * ld, s[2]]);
            gf[0] = w[0];
            gf[1] = -lx * w[0];
            gs[0] = w[1];
            gs[1] = -ld * w[1];
            gs[2] = w[2];
            l
        }
    }
}

/// The model: `factors` (ln A, alpha) pairs followed by the shared
/// parameters, or, with `fixed`, one (ln A, alpha) pair and the shared
/// parameters held at `fixed` (internal units).
struct Joint {
    form: Form,
    factors: usize,
    fixed: Option<Vec<f64>>,
}

impl Joint {
    fn split<'a>(&'a self, x: &[f64], u: &'a [f64]) -> (usize, [f64; 2], &'a [f64]) {
        match &self.fixed {
            Some(s) => (0, [u[0], u[1]], s.as_slice()),
            None => {
                let k = (x[2].max(0.0) as usize).min(self.factors - 1);
                (k, [u[2 * k], u[2 * k + 1]], &u[2 * self.factors..])
            }
        }
    }
}

impl Model for Joint {
    fn ln_value_grad(&self, x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let (k, a, s) = self.split(x, u);
        g.iter_mut().for_each(|v| *v = 0.0);
        let mut gs = [0.0; 3];
        let mut gf = [0.0; 2];
        let l = ln_point(self.form, lnx[0], lnx[1], a, s, &mut gf, &mut gs);
        g[2 * k] = gf[0];
        g[2 * k + 1] = gf[1];
        if self.fixed.is_none() {
            let base = 2 * self.factors;
            g[base..].copy_from_slice(&gs[..u.len() - base]);
        }
        l
    }
    fn value_grad(&self, x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let l = self.ln_value_grad(x, lnx, u, g);
        let v = exp_capped(l);
        g.iter_mut().for_each(|gi| *gi *= v);
        v
    }
    fn value(&self, x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        let mut g = vec![0.0; u.len()];
        self.value_grad(x, lnx, u, &mut g)
    }
}

/// Starting values of one factor's (ln A, alpha): coarser when there are
/// many factors, so the Cartesian grid stays below a few thousand starts.
fn factor_params(name: &str, factors: usize) -> [Param; 2] {
    let (ln_a, alpha): (&[f64], &[f64]) = if factors <= 2 {
        (&[0.0, 6.0, 12.0], &[0.1, 0.4, 1.0])
    } else {
        (&[3.0, 10.0], &[0.2, 0.6])
    };
    [
        Param::log_with_ln_grid(&format!("A[{name}]"), (1e-12, BIG), ln_a),
        Param::new(
            &format!("alpha[{name}]"),
            Transform::Identity,
            (0.0, 5.0),
            alpha,
        ),
    ]
}

fn inputs() -> (Vec<String>, Vec<Domain>) {
    (
        vec!["X".into(), "D_f".into(), "factor".into()],
        vec![Domain::Positive, Domain::Positive, Domain::Any],
    )
}

/// Stage one: all the given factors at once, the data term shared.
pub fn shared_law(form: Form, factor_names: &[String]) -> Law {
    let mut params: Vec<Param> = factor_names
        .iter()
        .flat_map(|n| factor_params(n, factor_names.len()))
        .collect();
    params.extend(form.shared_params());
    let (inputs, domains) = inputs();
    Law {
        name: format!("joint-{}", form.name()),
        description: format!(
            "{} joint fine-tuning law, one (A, alpha) per factor, shared {}",
            form.name(),
            form.shared_names().join(", ")
        ),
        formula: form.formula().into(),
        inputs,
        domains,
        params,
        model: Arc::new(Joint {
            form,
            factors: factor_names.len(),
            fixed: None,
        }),
    }
}

/// Stage two: one factor's (A, alpha) with the shared parameters held at
/// `shared` (natural units, in the order of `Form::shared_names`).
pub fn factor_law(form: Form, factor_name: &str, shared: &[f64]) -> Law {
    let fixed: Vec<f64> = form
        .shared_params()
        .iter()
        .zip(shared)
        .map(|(p, &v)| p.transform.to_internal(v))
        .collect();
    let (inputs, domains) = inputs();
    let mut params = factor_params(factor_name, 1).to_vec();
    params[0].grid = [0.0, 4.0, 8.0, 12.0, 16.0]
        .iter()
        .map(|v: &f64| v.exp())
        .collect();
    params[1].grid = vec![0.05, 0.2, 0.5, 1.0];
    Law {
        name: format!("joint-{}-{factor_name}", form.name()),
        description: format!(
            "{} joint law for factor {factor_name}, shared parameters held fixed",
            form.name()
        ),
        formula: form.formula().into(),
        inputs,
        domains,
        params,
        model: Arc::new(Joint {
            form,
            factors: 1,
            fixed: Some(fixed),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_gradient(law: &Law, x: &[f64], u: &[f64]) {
        let lnx: Vec<f64> = x.iter().map(|&v| crate::law::ln_input(v)).collect();
        let mut g = vec![0.0; u.len()];
        let v = law.model.value_grad(x, &lnx, u, &mut g);
        assert!(v.is_finite() && v > 0.0);
        for j in 0..u.len() {
            let h = 1e-6 * (1.0 + u[j].abs());
            let mut up = u.to_vec();
            up[j] += h;
            let mut dn = u.to_vec();
            dn[j] -= h;
            let fd = (law.model.value(x, &lnx, &up) - law.model.value(x, &lnx, &dn)) / (2.0 * h);
            assert!(
                (fd - g[j]).abs() <= 1e-6 * (1.0 + fd.abs()),
                "param {j}: {fd} vs {}",
                g[j]
            );
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let names = vec!["model".to_string(), "pretrain".to_string()];
        let mult = shared_law(Form::Multiplicative, &names);
        let u = [11.7, 0.52, 6.4, 0.21, 0.15, (0.75f64).ln()];
        check_gradient(&mult, &[4e9, 1e5, 0.0], &u);
        check_gradient(&mult, &[1e11, 3e4, 1.0], &u);
        let add = shared_law(Form::Additive, &names);
        let u = [8.0, 0.3, 6.4, 0.21, 3.0, 0.2, (0.7f64).ln()];
        check_gradient(&add, &[4e9, 1e5, 1.0], &u);
        let f = factor_law(Form::Additive, "model", &[20.0, 0.2, 0.7]);
        check_gradient(&f, &[4e9, 1e5, 0.0], &[8.0, 0.3]);
    }

    #[test]
    fn factor_law_reproduces_the_shared_law() {
        let names = vec!["model".to_string(), "pretrain".to_string()];
        let mult = shared_law(Form::Multiplicative, &names);
        let p = [1.2e5, 0.52, 6.3e2, 0.21, 0.15, 0.75];
        let f = factor_law(Form::Multiplicative, "pretrain", &[0.15, 0.75]);
        let x = [1e11, 2e5, 1.0];
        let a = mult.predict(&x, &p);
        let b = f.predict(&x, &[6.3e2, 0.21]);
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        let expect = 6.3e2 / (1e11f64.powf(0.21) * 2e5f64.powf(0.15)) + 0.75;
        assert!((a - expect).abs() < 1e-12);
    }
}
