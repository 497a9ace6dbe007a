//! The joint fine-tuning laws of Zhang et al. as the engine fits them: the
//! catalog's `joint-mult` and `joint-add` laws (one formula each, in
//! `law/catalog/size_and_data.rs`) laid out for the paper's two stages (`law::layout`):
//!
//! - multiplicative: L = A_k / (X^alpha_k D_f^beta) + E, shared (beta, E)
//! - additive:       L = A_k / X^alpha_k + B / D_f^beta + E, shared (B, beta, E)
//!
//! Stage one takes (A, alpha) once per factor experiment (a point's factor
//! is its context, not an input) with the data term shared; stage two
//! refits one factor's (A, alpha) with the shared parameters held fixed.

use crate::law::{catalog, Law, Params};
use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
/// The two forms of the joint fine-tuning law (Zhang et al. 2024), both with the factor X and the fine-tuning data size D_f as inputs.
pub enum Form {
    /// L = A / (X^alpha D_f^beta) + E (the catalog's `joint-mult`).
    Multiplicative,
    /// L = A / X^alpha + B / D_f^beta + E (the catalog's `joint-add`).
    Additive,
}

impl Form {
    /// Both forms, multiplicative first.
    pub const BOTH: [Form; 2] = [Form::Multiplicative, Form::Additive];
    /// The form's name as in JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Form::Multiplicative => "multiplicative",
            Form::Additive => "additive",
        }
    }
    /// The form's formula, for reports.
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
    /// The catalog law of this form: inputs (X, D_f), parameters
    /// (A, alpha, then the shared ones).
    pub fn law(self) -> Law {
        match self {
            Form::Multiplicative => catalog::joint_mult(),
            Form::Additive => catalog::joint_add(),
        }
    }
    /// The law at one point from a factor's (A, alpha) and the shared
    /// parameters (in the order of `shared_names`).
    pub fn params(self, a: f64, alpha: f64, shared: &[f64]) -> Params {
        let names = self.law().param_names_owned();
        Params::new(names, [a, alpha].iter().chain(shared).copied().collect())
    }
    /// The catalog law with the joint procedure's bounds and starting grid
    /// for the shared parameters.
    fn base(self) -> Law {
        let mut law = self.law();
        let grid = |law: &mut Law, name: &str, g: Vec<f64>| {
            law.set_param(name, None, Some(g))
                .expect("a small grid of a catalog parameter");
        };
        grid(&mut law, "beta", vec![0.05, 0.2, 0.5]);
        grid(&mut law, "E", ln_grid(&[-1.0, 0.0, 0.7]));
        if self == Form::Additive {
            grid(&mut law, "B", ln_grid(&[0.0, 5.0, 10.0]));
        }
        law
    }
}

fn ln_grid(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| x.exp()).collect()
}

/// Stage one: all the given factors at once, (A, alpha) per factor (the
/// point's context 0 indexes `factor_names`), the data term shared.
pub fn shared_law(form: Form, factor_names: &[String]) -> Result<Law> {
    let mut base = form.base();
    // Coarser starting values when there are many factors, so the
    // Cartesian grid stays below a few thousand starts.
    let (ln_a, alpha): (&[f64], &[f64]) = if factor_names.len() <= 2 {
        (&[0.0, 6.0, 12.0], &[0.1, 0.4, 1.0])
    } else {
        (&[3.0, 10.0], &[0.2, 0.6])
    };
    base.set_param("A", None, Some(ln_grid(ln_a)))?;
    base.set_param("alpha", None, Some(alpha.to_vec()))?;
    let mut law = base.per_group(&["A", "alpha"], factor_names)?;
    law.name = format!("joint-{}", form.name());
    Ok(law)
}

/// Stage two: one factor's (A, alpha) with the shared parameters held at
/// `shared` (natural units, in the order of `Form::shared_names`).
pub fn factor_law(form: Form, factor_name: &str, shared: &[f64]) -> Result<Law> {
    let fixed: Vec<(&str, f64)> = form
        .shared_names()
        .iter()
        .copied()
        .zip(shared.iter().copied())
        .collect();
    let mut law = form.base().with_fixed(&fixed)?;
    law.set_param("A", None, Some(ln_grid(&[0.0, 4.0, 8.0, 12.0, 16.0])))?;
    law.set_param("alpha", None, Some(vec![0.05, 0.2, 0.5, 1.0]))?;
    law.name = format!("joint-{}-{factor_name}", form.name());
    Ok(law)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_gradient(law: &Law, x: &[f64], ctx: &[u32], u: &[f64]) {
        let lnx: Vec<f64> = x.iter().map(|&v| crate::law::ln_input(v)).collect();
        let mut g = vec![0.0; u.len()];
        let m = &law.model;
        let v = m.value_grad_at(x, &lnx, ctx, u, &mut g);
        assert!(v.is_finite() && v > 0.0);
        for j in 0..u.len() {
            let h = 1e-6 * (1.0 + u[j].abs());
            let mut up = u.to_vec();
            up[j] += h;
            let mut dn = u.to_vec();
            dn[j] -= h;
            let fd = (m.value_at(x, &lnx, ctx, &up) - m.value_at(x, &lnx, ctx, &dn)) / (2.0 * h);
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
        let mult = shared_law(Form::Multiplicative, &names).unwrap();
        let u = [11.7, 0.52, 6.4, 0.21, 0.15, (0.75f64).ln()];
        check_gradient(&mult, &[4e9, 1e5], &[0], &u);
        check_gradient(&mult, &[1e11, 3e4], &[1], &u);
        let add = shared_law(Form::Additive, &names).unwrap();
        let u = [8.0, 0.3, 6.4, 0.21, 3.0, 0.2, (0.7f64).ln()];
        check_gradient(&add, &[4e9, 1e5], &[1], &u);
        let f = factor_law(Form::Additive, "model", &[20.0, 0.2, 0.7]).unwrap();
        check_gradient(&f, &[4e9, 1e5], &[], &[8.0, 0.3]);
    }

    #[test]
    fn factor_law_reproduces_the_shared_law() {
        let names = vec!["model".to_string(), "pretrain".to_string()];
        let mult = shared_law(Form::Multiplicative, &names).unwrap();
        let p = [1.2e5, 0.52, 6.3e2, 0.21, 0.15, 0.75];
        let f = factor_law(Form::Multiplicative, "pretrain", &[0.15, 0.75]).unwrap();
        let x = [1e11, 2e5];
        let a = mult.predict_at(&x, &[1], &p);
        let b = f.predict(&x, &[6.3e2, 0.21]);
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        let expect = 6.3e2 / (1e11f64.powf(0.21) * 2e5f64.powf(0.15)) + 0.75;
        assert!((a - expect).abs() < 1e-12);
        let full = Form::Multiplicative.params(6.3e2, 0.21, &[0.15, 0.75]);
        assert!((Form::Multiplicative.law().predict(&x, &full) - expect).abs() < 1e-12);
    }
}
