//! Reports of `slaw forecast` and `slaw bench forecast`.

use super::num;
use crate::forecast::protocol::{EarlyRow, SchedulesRow};
use crate::forecast::{Accuracy, Fitted};
use std::fmt::Write;

#[derive(Debug, Clone, serde::Serialize)]
pub struct ForecastOutput {
    pub curve: String,
    pub method: &'static str,
    pub formula: String,
    pub params: Vec<(String, f64)>,
    pub converged: bool,
    pub objective: f64,
    pub fit_points: usize,
    pub fit_until_step: f64,
    /// (step, predicted loss, observed loss when the curve has it).
    pub forecasts: Vec<(f64, f64, Option<f64>)>,
    /// Accuracy on the points not used by the fit.
    pub rest: Option<Accuracy>,
}

impl ForecastOutput {
    pub fn new(curve: &str, f: &Fitted, fit_points: usize, fit_until_step: f64) -> Self {
        ForecastOutput {
            curve: curve.to_string(),
            method: f.method.name(),
            formula: f.law.formula.clone(),
            params: f
                .law
                .params
                .iter()
                .map(|p| p.name.clone())
                .zip(f.params.iter().copied())
                .collect(),
            converged: f.converged,
            objective: f.objective,
            fit_points,
            fit_until_step,
            forecasts: vec![],
            rest: None,
        }
    }
}

pub fn forecast_report(o: &ForecastOutput) -> String {
    let mut s = String::new();
    let p: Vec<String> = o
        .params
        .iter()
        .map(|(n, v)| format!("{n}={}", num(*v)))
        .collect();
    let _ = writeln!(
        s,
        "{}: {} law {}\nfitted on {} points up to step {}: {}{}",
        o.curve,
        o.method,
        o.formula,
        o.fit_points,
        num(o.fit_until_step),
        p.join(" "),
        if o.converged { "" } else { "  NOT CONVERGED" }
    );
    let _ = writeln!(s, "{:>12} {:>10} {:>10}", "step", "forecast", "observed");
    for (t, l, obs) in &o.forecasts {
        let _ = writeln!(
            s,
            "{:>12} {:>10.4} {:>10}",
            num(*t),
            l,
            obs.map(|v| format!("{v:.4}")).unwrap_or_else(|| "-".into())
        );
    }
    if let Some(a) = &o.rest {
        let _ = writeln!(
            s,
            "on the {} points after the fitted part: R^2 {:.4}, MAE {:.4}, RMSE {:.4}",
            a.n, a.r2, a.mae, a.rmse
        );
    }
    s
}

pub fn schedules_table(rows: &[SchedulesRow]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "multi-power protocol: fit constant_24000, cosine_24000, wsdcon_9; predict the other six (mean over curves)"
    );
    let _ = writeln!(
        s,
        "{:>6} {:<12} {:>8} {:>8} {:>8}",
        "model", "method", "R^2", "MAE", "RMSE"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:>6} {:<12} {:>8.4} {:>8.4} {:>8.4}{}",
            r.model,
            r.method,
            r.mean.r2,
            r.mean.mae,
            r.mean.rmse,
            if r.converged { "" } else { "  NOT CONVERGED" }
        );
    }
    s
}

pub fn early_table(rows: &[EarlyRow]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "early-to-final protocol: forecast each run's final C4 eval loss from its first part"
    );
    let _ = writeln!(
        s,
        "{:>8} {:<12} {:>6} {:>8} {:>8} {:>10}",
        "fraction", "method", "runs", "skipped", "MAPE %", "median %"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:>8} {:<12} {:>6} {:>8} {:>8.2} {:>10.2}",
            format!("{:.0}%", 100.0 * r.fraction),
            r.method,
            r.runs,
            r.skipped,
            100.0 * r.mape,
            100.0 * r.median_ape
        );
    }
    s
}
