//! The temporal law's trajectory forms as laws: how a parameter of the
//! per-position law moves over training (`forecast::trajectory` chooses
//! and fits them). Inputs (tau, S1, eta): tau = step / t_ref, S1 = the
//! learning rate summed up to the step divided by the peak rate and by
//! t_ref, eta = the rate divided by its peak. Every input is a ratio, so
//! the forms do not depend on the unit of the step.

use super::{Law, Model, Param, Transform};
use crate::forecast::trajectory::TrajectoryForm;
use crate::observations::Domain;
use std::sync::Arc;

/// The inputs of a trajectory form, in order.
pub const INPUTS: [&str; 3] = ["tau", "S1", "eta"];

/// `form` as an engine law (natural parameters; c2 of hyperbolic is
/// optimized as ln c2).
pub fn law(form: TrajectoryForm) -> Law {
    let free = |n: &str| Param::new(n, Transform::Identity, (-1e6, 1e6), &[0.0]);
    let mut params = vec![free("c0")];
    if form.n_params() > 1 {
        params.push(free("c1"));
    }
    match form {
        TrajectoryForm::Hyperbolic => {
            params.push(Param::new("c2", Transform::Log, (1e-6, 1e6), &[1.0]))
        }
        TrajectoryForm::Power => {
            params.push(Param::new("c2", Transform::Identity, (0.0, 5.0), &[0.5]))
        }
        TrajectoryForm::Lr => params.push(free("c2")),
        _ => {}
    }
    let grid = form.c2_grid();
    Law {
        name: form.name().into(),
        description: format!(
            "{}; starts: least squares for the linear coefficients{}",
            form.description(),
            if grid.is_empty() {
                String::new()
            } else {
                format!(" at each c2 in {grid:?}")
            }
        ),
        formula: format!("p = {}", form.formula()),
        inputs: INPUTS.iter().map(|s| s.to_string()).collect(),
        domains: vec![Domain::Positive, Domain::Positive, Domain::Any],
        params,
        model: Arc::new(FormModel(form)),
    }
}

/// The basis functions of `form`'s linear coefficients at input `x` for the
/// nonlinear coefficient's internal value `u2` (ln c2 for hyperbolic, c2 for
/// power; ignored by the forms without one), written to `g` (c0's first):
/// the law's gradient in its linear coefficients. Returns how many there are.
pub fn linear_basis(form: TrajectoryForm, x: &[f64], u2: f64, g: &mut [f64; 3]) -> usize {
    let linear = match form {
        TrajectoryForm::Hyperbolic | TrajectoryForm::Power => 2,
        f => f.n_params(),
    };
    FormModel(form).value_grad(x, &[0.0; 3], &[0.0, 0.0, u2], g);
    linear
}

/// A trajectory form's value and gradient.
struct FormModel(TrajectoryForm);

impl Model for FormModel {
    fn value_grad(&self, x: &[f64], _lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        match self.0 {
            TrajectoryForm::Constant => {
                g[0] = 1.0;
                u[0]
            }
            TrajectoryForm::Log => {
                let l = x[0].ln();
                g[0] = 1.0;
                g[1] = l;
                u[0] + u[1] * l
            }
            TrajectoryForm::Hyperbolic => {
                let c2 = u[2].min(700.0).exp();
                let q = 1.0 + c2 * x[0];
                g[0] = 1.0;
                g[1] = 1.0 / q;
                g[2] = -u[1] * x[0] * c2 / (q * q);
                u[0] + u[1] / q
            }
            TrajectoryForm::Power => {
                let l = x[0].ln();
                let p = (-u[2] * l).min(700.0).exp();
                g[0] = 1.0;
                g[1] = p;
                g[2] = -u[1] * l * p;
                u[0] + u[1] * p
            }
            TrajectoryForm::Lr => {
                let l = x[1].ln();
                g[0] = 1.0;
                g[1] = l;
                g[2] = x[2];
                u[0] + u[1] * l + u[2] * x[2]
            }
        }
    }
    fn value(&self, x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        let mut g = [0.0; 3];
        self.value_grad(x, lnx, u, &mut g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradients_match_finite_differences() {
        let x = [0.7, 1.3, 0.4];
        for form in TrajectoryForm::ALL {
            let m = FormModel(form);
            let u = [0.3, -0.8, 0.6];
            let mut g = [0.0; 3];
            m.value_grad(&x, &[0.0; 3], &u, &mut g);
            for j in 0..form.n_params() {
                let h = 1e-6;
                let (mut a, mut b) = (u, u);
                a[j] += h;
                b[j] -= h;
                let fd = (m.value(&x, &[0.0; 3], &a) - m.value(&x, &[0.0; 3], &b)) / (2.0 * h);
                assert!((fd - g[j]).abs() < 1e-6, "{form:?} {j}: {fd} vs {}", g[j]);
            }
        }
    }

    /// The basis times the linear coefficients is the form's value.
    #[test]
    fn basis_is_the_linear_part() {
        let x = [0.7, 1.3, 0.4];
        for form in TrajectoryForm::ALL {
            let law = law(form);
            let p: Vec<f64> = [2.0, -0.5, 0.8][..form.n_params()].to_vec();
            let u = law.to_internal(&p);
            let mut g = [0.0; 3];
            let k = linear_basis(form, &x, u.get(2).copied().unwrap_or(0.0), &mut g);
            let lin: f64 = g[..k].iter().zip(&p).map(|(a, c)| a * c).sum();
            let want = law.predict(&x, &p);
            assert!((lin - want).abs() < 1e-12, "{form:?}: {lin} vs {want}");
        }
    }
}
