//! Goodness of fit on any set of points: RMSD of log L, R^2, max |error|.

use crate::law::Law;
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
