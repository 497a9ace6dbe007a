//! Goodness of fit on any set of points: RMSD of log L, R^2, max |error|.

use crate::law::Law;
use crate::observations::Observations;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Diagnostics {
    pub n: usize,
    /// Root mean squared difference of ln(prediction) and ln(y).
    pub rmsd_log: f64,
    /// Coefficient of determination on y.
    pub r2: f64,
    pub max_abs_error: f64,
    pub mean_abs_error: f64,
}

pub fn evaluate(law: &Law, natural: &[f64], obs: &Observations) -> Diagnostics {
    let u = law.to_internal(natural);
    let n = obs.len();
    let preds: Vec<f64> = (0..n)
        .map(|i| law.value_internal_at(obs.point(i), obs.point_context(i), &u))
        .collect();
    let mut sq_log = 0.0;
    let mut ss_res = 0.0;
    let mut max_abs: f64 = 0.0;
    let mut sum_abs = 0.0;
    let mean_y = obs.y.iter().sum::<f64>() / n.max(1) as f64;
    let mut ss_tot = 0.0;
    for (&p, &y) in preds.iter().zip(&obs.y) {
        let e = p - y;
        sq_log += (p.ln() - y.ln()).powi(2);
        ss_res += e * e;
        ss_tot += (y - mean_y).powi(2);
        max_abs = max_abs.max(e.abs());
        sum_abs += e.abs();
    }
    let nf = n.max(1) as f64;
    Diagnostics {
        n,
        rmsd_log: (sq_log / nf).sqrt(),
        r2: if ss_tot > 0.0 {
            1.0 - ss_res / ss_tot
        } else {
            f64::NAN
        },
        max_abs_error: max_abs,
        mean_abs_error: sum_abs / nf,
    }
}
