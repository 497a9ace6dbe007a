//! Reports of `slaw forecast` and `slaw bench forecast`.

use super::num;
use crate::forecast::job::ForecastOutput;
use crate::forecast::protocol::{EarlyRow, SchedulesRow};
use crate::forecast::temporal::TemporalFit;
use crate::forecast::trajectory::Form;
use std::fmt::Write;

pub fn forecast_report(o: &ForecastOutput) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} law {}\nfitted on {} points up to step {}{}",
        o.curve,
        o.method,
        o.formula,
        o.fit_points,
        num(o.fit_until_step),
        if o.converged { "" } else { "  NOT CONVERGED" }
    );
    match &o.temporal {
        None => {
            let p: Vec<String> = o
                .params
                .iter()
                .map(|(n, v)| format!("{n}={}", num(*v)))
                .collect();
            let _ = writeln!(s, "parameters: {}", p.join(" "));
        }
        Some(t) => s.push_str(&temporal_section(t)),
    }
    if let Some(c) = &o.choice {
        let cands: Vec<String> = c
            .candidates
            .iter()
            .map(|k| match k.held_out_rmse {
                Some(e) => format!("{} {e:.5}", k.method),
                None => format!("{} failed", k.method),
            })
            .collect();
        let _ = writeln!(
            s,
            "auto: {} by held-out RMSE of ln L on the window's last quarter ({}){}",
            o.method,
            cands.join(", "),
            if c.annealing_identified {
                ""
            } else {
                "; schedule-aware laws not identified on this window"
            }
        );
    }
    let band = o.bootstrap.is_some();
    if let Some((n, ok, level)) = o.bootstrap {
        let _ = writeln!(
            s,
            "intervals: {:.0}% percentile bootstrap, {ok} of {n} refits converged{}",
            100.0 * level,
            if o.temporal.is_some() {
                "; past the fit widened to the rolling-origin extrapolation error of the trajectories"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        s,
        "{:>12} {:>10} {:>21} {:>10}",
        "step",
        "forecast",
        if band { "interval" } else { "" },
        "observed"
    );
    for p in &o.forecasts {
        let iv = match (p.lo, p.hi) {
            (Some(lo), Some(hi)) => format!("[{lo:.4}, {hi:.4}]"),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "{:>12} {:>10.4} {:>21} {:>10}",
            num(p.step),
            p.loss,
            iv,
            p.observed
                .map(|v| format!("{v:.4}"))
                .unwrap_or_else(|| "-".into())
        );
    }
    if let Some(a) = &o.rest {
        let _ = writeln!(
            s,
            "on the {} observed points after the fitted part: R^2 {:.4}, MAE {:.4}, RMSE {:.4}",
            a.n, a.r2, a.mae, a.rmse
        );
    }
    for w in &o.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}

/// The chosen trajectory of each parameter and every candidate's held-out error.
fn temporal_section(t: &TemporalFit) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "per-position law L_i = a0 / (1 + a1 i) + a2 fitted at {} checkpoints x {} positions; tau = step / {}{}",
        t.checkpoints,
        t.positions,
        num(t.t_ref),
        if t.has_lr {
            "; S1, eta from the learning-rate schedule"
        } else {
            "; no learning rate: the lr form is not a candidate"
        }
    );
    let names: Vec<&str> = Form::ALL.iter().map(|f| f.name()).collect();
    let _ = writeln!(
        s,
        "{:<4} {:<11} {:<34} {}",
        "",
        "trajectory",
        "coefficients",
        names.iter().map(|n| format!("{n:>11}")).collect::<String>()
    );
    for tr in &t.trajectories {
        let coef: Vec<String> = tr.chosen.coef.iter().map(|v| num(*v)).collect();
        let errs: String = tr
            .candidates
            .iter()
            .map(|c| match c.held_out_error {
                Some(e) => format!("{e:>11.2e}"),
                None => format!("{:>11}", "-"),
            })
            .collect();
        let _ = writeln!(
            s,
            "{:<4} {:<11} {:<34} {errs}",
            tr.param,
            tr.chosen.form.name(),
            coef.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "(last columns: RMSE of the mean loss on the last quarter of the fitted checkpoints when the form is fitted on the rest)"
    );
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
