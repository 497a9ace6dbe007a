//! How a parameter of the per-position law moves over training: a small set
//! of candidate forms of training progress, each a `Law` of the inputs
//! (tau, S1, eta) where tau = step / t_ref (t_ref: the last fitted
//! checkpoint), S1 = the learning rate summed up to the step divided by the
//! peak rate ("effective steps", in units of t_ref) and eta = the learning rate
//! divided by its peak.
//!
//! | form       | p(t)                              |
//! |------------|-----------------------------------|
//! | constant   | c0                                |
//! | log        | c0 + c1 ln tau                    |
//! | hyperbolic | c0 + c1 / (1 + c2 tau)            |
//! | power      | c0 + c1 tau^-c2                   |
//! | lr         | c0 + c1 ln S1 + c2 eta            |
//!
//! `lr` needs the schedule. The form of each parameter is the one with the
//! smallest error on the last quarter of the fitted checkpoints when fitted
//! on the rest; then it is refitted on all of them.

use crate::fit::{fit, FitOptions};
use crate::law::{Law, Model, Param, Transform};
use crate::objective::{Loss, Space};
use crate::observations::{Domain, Observations};
use crate::{Error, Result};
use std::sync::Arc;

pub const INPUTS: [&str; 3] = ["tau", "S1", "eta"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TrajectoryForm {
    Constant,
    Log,
    Hyperbolic,
    Power,
    Lr,
}

impl TrajectoryForm {
    pub const ALL: [TrajectoryForm; 5] = [
        TrajectoryForm::Constant,
        TrajectoryForm::Log,
        TrajectoryForm::Hyperbolic,
        TrajectoryForm::Power,
        TrajectoryForm::Lr,
    ];
    pub fn name(self) -> &'static str {
        match self {
            TrajectoryForm::Constant => "constant",
            TrajectoryForm::Log => "log",
            TrajectoryForm::Hyperbolic => "hyperbolic",
            TrajectoryForm::Power => "power",
            TrajectoryForm::Lr => "lr",
        }
    }
    pub fn formula(self) -> &'static str {
        match self {
            TrajectoryForm::Constant => "c0",
            TrajectoryForm::Log => "c0 + c1 ln tau",
            TrajectoryForm::Hyperbolic => "c0 + c1 / (1 + c2 tau)",
            TrajectoryForm::Power => "c0 + c1 tau^-c2",
            TrajectoryForm::Lr => "c0 + c1 ln S1 + c2 eta",
        }
    }
    pub fn description(self) -> &'static str {
        match self {
            TrajectoryForm::Constant => "a parameter that has settled",
            TrajectoryForm::Log => "logarithmic in training progress",
            TrajectoryForm::Hyperbolic => "hyperbolic (reciprocal) approach to c0",
            TrajectoryForm::Power => "power-law approach to c0",
            TrajectoryForm::Lr => {
                "follows the learning-rate schedule (forward area and current rate)"
            }
        }
    }
    pub fn needs_lr(self) -> bool {
        self == TrajectoryForm::Lr
    }
    pub fn n_params(self) -> usize {
        match self {
            TrajectoryForm::Constant => 1,
            TrajectoryForm::Log => 2,
            _ => 3,
        }
    }
    /// Values of the nonlinear parameter c2 the starts are built from.
    fn c2_grid(self) -> &'static [f64] {
        match self {
            TrajectoryForm::Hyperbolic => &[0.03, 0.3, 3.0, 30.0],
            TrajectoryForm::Power => &[0.1, 0.3, 0.7, 1.5],
            _ => &[],
        }
    }
    /// The basis functions of the linear parameters at input x, for a
    /// given c2.
    fn basis(self, x: &[f64], c2: f64) -> Vec<f64> {
        match self {
            TrajectoryForm::Constant => vec![1.0],
            TrajectoryForm::Log => vec![1.0, x[0].ln()],
            TrajectoryForm::Hyperbolic => vec![1.0, 1.0 / (1.0 + c2 * x[0])],
            TrajectoryForm::Power => vec![1.0, (-c2 * x[0].ln()).exp()],
            TrajectoryForm::Lr => vec![1.0, x[1].ln(), x[2]],
        }
    }

    /// The form as an engine law (natural parameters; c2 of hyperbolic is
    /// optimized as ln c2).
    pub fn law(self) -> Law {
        let free = |n: &str| Param::new(n, Transform::Identity, (-1e6, 1e6), &[0.0]);
        let mut params = vec![free("c0")];
        if self.n_params() > 1 {
            params.push(free("c1"));
        }
        match self {
            TrajectoryForm::Hyperbolic => {
                params.push(Param::new("c2", Transform::Log, (1e-6, 1e6), &[1.0]))
            }
            TrajectoryForm::Power => {
                params.push(Param::new("c2", Transform::Identity, (0.0, 5.0), &[0.5]))
            }
            TrajectoryForm::Lr => params.push(free("c2")),
            _ => {}
        }
        Law {
            name: self.name().into(),
            description: format!(
                "{}; starts: least squares for the linear coefficients{}",
                self.description(),
                if self.c2_grid().is_empty() {
                    String::new()
                } else {
                    format!(" at each c2 in {:?}", self.c2_grid())
                }
            ),
            formula: format!("p = {}", self.formula()),
            inputs: INPUTS.iter().map(|s| s.to_string()).collect(),
            domains: vec![Domain::Positive, Domain::Positive, Domain::Any],
            params,
            model: Arc::new(FormModel(self)),
        }
    }

    /// Starting points (internal units): for each c2 of the grid, the least
    /// squares values of the linear parameters.
    fn starts(self, xs: &[[f64; 3]], y: &[f64]) -> Vec<Vec<f64>> {
        let linear = |c2: f64| -> Option<Vec<f64>> {
            let rows: Vec<Vec<f64>> = xs.iter().map(|x| self.basis(x, c2)).collect();
            least_squares(&rows, y)
        };
        match self {
            TrajectoryForm::Hyperbolic | TrajectoryForm::Power => self
                .c2_grid()
                .iter()
                .filter_map(|&c2| {
                    let mut v = linear(c2)?;
                    v.push(if self == TrajectoryForm::Hyperbolic {
                        c2.ln()
                    } else {
                        c2
                    });
                    Some(v)
                })
                .collect(),
            _ => linear(0.0).into_iter().collect(),
        }
    }
}

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

/// The candidate forms as laws (for `slaw laws`).
pub fn form_laws() -> Vec<Law> {
    TrajectoryForm::ALL.iter().map(|f| f.law()).collect()
}

/// Least squares solution of rows * c = y (normal equations with a tiny
/// ridge; the systems here have at most 3 unknowns).
fn least_squares(rows: &[Vec<f64>], y: &[f64]) -> Option<Vec<f64>> {
    let k = rows.first()?.len();
    let mut a = vec![vec![0.0; k + 1]; k];
    for (r, &yi) in rows.iter().zip(y) {
        for i in 0..k {
            for j in 0..k {
                a[i][j] += r[i] * r[j];
            }
            a[i][k] += r[i] * yi;
        }
    }
    for (i, row) in a.iter_mut().enumerate() {
        row[i] *= 1.0 + 1e-12;
    }
    // Gaussian elimination with partial pivoting.
    for col in 0..k {
        let piv = (col..k).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (v, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *v -= f * p;
                }
            }
        }
    }
    let out: Vec<f64> = (0..k).map(|i| a[i][k] / a[i][i]).collect();
    out.iter().all(|v| v.is_finite()).then_some(out)
}

/// A form fitted to a parameter's values at some checkpoints.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FittedForm {
    pub form: TrajectoryForm,
    /// c0, c1, c2 (natural units).
    pub coef: Vec<f64>,
    pub converged: bool,
    #[serde(skip)]
    internal: Vec<f64>,
}

impl FittedForm {
    pub fn value(&self, x: &[f64; 3]) -> f64 {
        FormModel(self.form).value(x, &[0.0; 3], &self.internal)
    }
}

/// Fit `form` to the values `y` at inputs `xs` (squared error), from
/// `warm` (internal units) when given, else from least-squares starts.
pub fn fit_form(
    form: TrajectoryForm,
    xs: &[[f64; 3]],
    y: &[f64],
    warm: Option<&[f64]>,
) -> Result<FittedForm> {
    if xs.len() < form.n_params() {
        return Err(Error::data(format!(
            "{} checkpoints for the {} trajectory's {} coefficients",
            xs.len(),
            form.name(),
            form.n_params()
        )));
    }
    let law = form.law();
    let cols: Vec<Vec<f64>> = (0..3).map(|j| xs.iter().map(|x| x[j]).collect()).collect();
    let obs = Observations::from_columns(&INPUTS, &cols, y.to_vec());
    let mut starts = form.starts(xs, y);
    if let Some(w) = warm {
        starts.insert(0, w.to_vec());
    }
    if starts.is_empty() {
        starts = law.grid().iter().map(|g| law.to_internal(g)).collect();
    }
    let opts = FitOptions {
        loss: Loss::Squared,
        space: Space::Linear,
        starts: Some(starts),
        polish: 2,
        ..FitOptions::default()
    };
    let r = fit(&law, &obs, &opts)?;
    Ok(FittedForm {
        form,
        coef: r.params.into_values(),
        converged: r.converged,
        internal: r.internal,
    })
}

/// One candidate's error on the held-out checkpoints (None: not enough
/// checkpoints, or the form needs a schedule there is not).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FormCandidate {
    pub form: TrajectoryForm,
    pub held_out_error: Option<f64>,
}

/// Choose the form of one parameter's trajectory by held-out error and refit
/// it on every checkpoint. Each form is fitted on all but the last quarter of
/// the checkpoints; `held_error(first, values)` scores its values at the
/// held-out checkpoints `first..` (e.g. the RMSE of the parameter, or of the
/// loss it implies). `has_lr`: whether the lr form is available.
pub fn choose(
    xs: &[[f64; 3]],
    y: &[f64],
    has_lr: bool,
    held_error: &dyn Fn(usize, &[f64]) -> f64,
) -> Result<(FittedForm, Vec<FormCandidate>)> {
    choose_among(&TrajectoryForm::ALL, xs, y, has_lr, held_error, &[])
}

/// `choose` among `forms` only (one form: that form, fitted on every
/// checkpoint, with its held-out error reported).
pub fn choose_among(
    forms: &[TrajectoryForm],
    xs: &[[f64; 3]],
    y: &[f64],
    has_lr: bool,
    held_error: &dyn Fn(usize, &[f64]) -> f64,
    future: &[[f64; 3]],
) -> Result<(FittedForm, Vec<FormCandidate>)> {
    let n = xs.len();
    let held = (n / 4).max(2).min(n.saturating_sub(2));
    let train = n - held;
    let mut cands = Vec::new();
    for &form in forms {
        let usable = (!form.needs_lr() || has_lr) && train > form.n_params();
        let err = if usable {
            fit_form(form, &xs[..train], &y[..train], None)
                .ok()
                .filter(|f| f.converged)
                .map(|f| {
                    let v: Vec<f64> = xs[train..].iter().map(|x| f.value(x)).collect();
                    held_error(train, &v)
                })
                .filter(|e| e.is_finite())
        } else {
            None
        };
        cands.push(FormCandidate {
            form,
            held_out_error: err,
        });
    }
    let mut ranked: Vec<(TrajectoryForm, f64)> = cands
        .iter()
        .filter_map(|c| c.held_out_error.map(|e| (c.form, e)))
        .collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
    if ranked.is_empty() {
        // A single form the held-out split could not score is still
        // fitted on every checkpoint when it can be.
        let f = match forms {
            [f] if (!f.needs_lr() || has_lr) && n > f.n_params() => *f,
            _ => TrajectoryForm::Constant,
        };
        return Ok((fit_form(f, xs, y, None)?, cands));
    }
    // The best form whose refit on every checkpoint stays >= 0 at the
    // `future` inputs (the per-position law's parameters are non-negative);
    // the best one when none does.
    let mut first = None;
    for &(f, _) in &ranked {
        let fitted = fit_form(f, xs, y, None)?;
        let valid = future.iter().all(|x| {
            let v = fitted.value(x);
            v.is_finite() && v >= 0.0
        });
        if valid {
            return Ok((fitted, cands));
        }
        first.get_or_insert(fitted);
    }
    Ok((first.expect("ranked is not empty"), cands))
}

/// Root mean square difference of `v` from `y[first..]`.
pub fn rmse_from(y: &[f64], first: usize, v: &[f64]) -> f64 {
    let ss: f64 = v
        .iter()
        .zip(&y[first..])
        .map(|(a, b)| (a - b).powi(2))
        .sum();
    (ss / v.len().max(1) as f64).sqrt()
}

/// Refit an already chosen form on resampled checkpoints, warm-started.
pub fn refit(f: &FittedForm, xs: &[[f64; 3]], y: &[f64]) -> Option<FittedForm> {
    fit_form(f.form, xs, y, Some(&f.internal))
        .ok()
        .filter(|r| r.converged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xs(n: usize) -> Vec<[f64; 3]> {
        (1..=n)
            .map(|k| {
                let tau = k as f64 / n as f64;
                [tau, tau, 1.0]
            })
            .collect()
    }

    #[test]
    fn recovers_each_form() {
        let x = xs(20);
        for (form, truth) in [
            (TrajectoryForm::Log, vec![2.0, -0.3]),
            (TrajectoryForm::Hyperbolic, vec![1.0, 2.0, 4.0]),
            (TrajectoryForm::Power, vec![2.0, 0.5, 0.6]),
        ] {
            let law = form.law();
            let y: Vec<f64> = x.iter().map(|p| law.predict(p, &truth)).collect();
            let f = fit_form(form, &x, &y, None).unwrap();
            for (a, b) in f.coef.iter().zip(&truth) {
                assert!(
                    (a - b).abs() < 1e-5 * (1.0 + b.abs()),
                    "{form:?}: {:?}",
                    f.coef
                );
            }
        }
    }

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

    #[test]
    fn held_out_choice_prefers_the_true_form() {
        let x = xs(16);
        let y: Vec<f64> = x.iter().map(|p| 3.0 - 0.4 * p[0].ln()).collect();
        let (f, c) = choose(&x, &y, false, &|first, v| rmse_from(&y, first, v)).unwrap();
        assert_eq!(f.form, TrajectoryForm::Log, "{c:?}");
        assert!(c
            .iter()
            .any(|c| c.form == TrajectoryForm::Lr && c.held_out_error.is_none()));
    }
}
