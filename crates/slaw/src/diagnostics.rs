//! Goodness of fit on any set of points: RMSD of log L, R^2, max |error|;
//! and the verdict on a fit that explains its points no better than a
//! constant.

use crate::fit::{FitOptions, FitResult};
use crate::law::Law;
use crate::objective::{huber, Objective, Space};
use crate::observations::Observations;

#[derive(Debug, Clone, serde::Serialize)]
/// Goodness of fit of a law's predictions on a set of points.
pub struct Diagnostics {
    /// Points scored.
    pub n: usize,
    /// Root mean squared difference of ln(prediction) and ln(y).
    pub rmsd_log: f64,
    /// Coefficient of determination on y.
    pub r2: f64,
    /// Why R^2 is not defined (`ErrorSums::r2_defined`), when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r2_na: Option<&'static str>,
    /// Largest |prediction - y|.
    pub max_abs_error: f64,
    /// Mean |prediction - y|.
    pub mean_abs_error: f64,
}

/// The diagnostics of `law` with parameters `natural` on `obs`.
pub fn evaluate(law: &Law, natural: &[f64], obs: &Observations) -> Diagnostics {
    let u = law.to_internal(natural);
    let n = obs.len();
    let preds: Vec<f64> = (0..n)
        .map(|i| law.value_internal_at(obs.point(i), obs.point_context(i), &u))
        .collect();
    let sq_log = preds
        .iter()
        .zip(&obs.y)
        .fold(0.0, |s, (&p, &y)| s + (p.ln() - y.ln()).powi(2));
    let e = crate::stats::ErrorSums::new(&preds, &obs.y);
    let (r2, r2_na) = e.r2_defined();
    Diagnostics {
        n,
        rmsd_log: (sq_log / n.max(1) as f64).sqrt(),
        r2,
        r2_na,
        max_abs_error: e.max_abs,
        mean_abs_error: e.mae(),
    }
}

/// A fit that explains its points no better than a constant: the fit's
/// objective (its loss, space and weights) not below that of the best
/// constant (for squared errors: R^2 <= 0 in the fit's space).
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct NoBetterThanConstant {
    /// The fit's objective on the fitted points.
    pub objective: f64,
    /// The objective of the best constant on the same points.
    pub constant_objective: f64,
    /// That constant (in the loss's units).
    pub constant: f64,
    /// R^2 of the values on the fitted points (None when not defined), for
    /// information: the verdict is the objective's.
    pub r2: Option<f64>,
    /// The formula's linear parameters that set a scale (amplitudes,
    /// offsets, constants an input is divided by): their search starts near
    /// 1 whatever the data's units, and in log space it would follow them.
    pub fit_in_log_space: Vec<String>,
}

impl NoBetterThanConstant {
    /// The termination's words.
    pub fn message(&self) -> String {
        format!(
            "the best optimum explains the fitted points no better than a constant: objective {} \
             against {} for the constant {}{}",
            crate::numbers::g6(self.objective),
            crate::numbers::g6(self.constant_objective),
            crate::numbers::g6(self.constant),
            match self.r2 {
                Some(r) => format!(", R^2 {}", crate::numbers::g6(r)),
                None => String::new(),
            }
        )
    }

    /// The warning: what it means and what to try.
    pub fn warning(&self) -> String {
        let what =
            "the fit explains the data no better than a constant (its objective is not below \
                    the best constant's: for squared errors, R^2 <= 0): the search did not find the law's optimum, or \
                    the law does not describe these data; its parameters and predictions are not \
                    to be used";
        match self.fit_in_log_space.as_slice() {
            [] => format!("{what}; try other starting values or bounds"),
            names => {
                let list = names.join(", ");
                format!(
                    "{what}; {list} {} fitted in linear units from starting values near 1, which \
                     may be far from the data's scale: fit {list} in log space",
                    if names.len() == 1 { "is" } else { "are" }
                )
            }
        }
    }
}

/// The verdict on a converged fit: `Some` when it explains `train` no
/// better than a constant (see [`NoBetterThanConstant`]).
pub fn no_better_than_constant(
    law: &Law,
    res: &FitResult,
    train: &Observations,
    opts: &FitOptions,
    diag: &Diagnostics,
) -> Option<NoBetterThanConstant> {
    if !res.converged || train.is_empty() {
        return None;
    }
    let objective =
        Objective::new(law, train, opts.loss, opts.space).value(&law.to_internal(&res.params));
    let t: Vec<f64> = match opts.space {
        Space::Log => train.y.iter().map(|y| y.ln()).collect(),
        Space::Linear => train.y.clone(),
    };
    if t.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let (c, d) = opts.loss.huber_params();
    let g = |m: f64| -> f64 {
        t.iter()
            .zip(&train.weight)
            .map(|(ti, w)| huber(m - ti, c * w, d).0)
            .sum()
    };
    // The loss is convex in the constant: golden-section search between
    // the smallest and the largest target.
    let (mut a, mut b) = t
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let r = 0.5 * (5f64.sqrt() - 1.0);
    for _ in 0..200 {
        if b - a <= 1e-15 * (1.0 + a.abs().max(b.abs())) {
            break;
        }
        let (m1, m2) = (b - r * (b - a), a + r * (b - a));
        if g(m1) <= g(m2) {
            b = m2;
        } else {
            a = m1;
        }
    }
    let m = 0.5 * (a + b);
    let constant_objective = g(m);
    let r2 = diag.r2_na.is_none().then_some(diag.r2);
    // The objective's own criterion: with squared errors it is R^2 <= 0 in
    // the fit's space; with Huber's loss, R^2 of the values is not one (a
    // robust fit that leaves an outlier aside can have R^2 < 0 and be right).
    let worse = constant_objective > 0.0 && objective >= constant_objective * (1.0 - 1e-9);
    if !worse {
        return None;
    }
    let names: Vec<String> = law.params.iter().map(|p| p.name.clone()).collect();
    let fit_in_log_space = if law.name == "formula" {
        crate::law::formula::sets_scale(&law.formula, &law.inputs, &names)
            .into_iter()
            .zip(&law.params)
            .filter(|(s, p)| *s && p.transform == crate::law::Transform::Identity)
            .map(|(_, p)| p.name.clone())
            .collect()
    } else {
        Vec::new()
    };
    Some(NoBetterThanConstant {
        objective,
        constant_objective,
        constant: match opts.space {
            Space::Log => m.exp(),
            Space::Linear => m,
        },
        r2,
        fit_in_log_space,
    })
}
