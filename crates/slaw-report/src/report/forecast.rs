//! Reports of `slaw forecast` and `slaw bench forecast`.

use super::num;
use slaw::forecast::job::{ForecastOutput, SkippedRun};
use slaw::forecast::protocol::{CoverageRow, EarlyRow, SchedulesRow};
use slaw::forecast::temporal::TemporalFit;
use slaw::forecast::trajectory::TrajectoryForm;
use slaw::forecast::whatif::WhatIf;
use std::fmt::Write;

pub fn forecast_report(o: &ForecastOutput) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} law {}\nfitted on {} points up to step {}{}{}",
        o.curve,
        o.method,
        o.formula,
        o.fit_points,
        num(o.fit_until_step),
        if o.temporal.is_none() && o.fit_points > slaw::forecast::MAX_FIT_POINTS {
            format!(
                " (note: over {0} points, the fit is on {0} bins of consecutive points, each at its mean step and geometric mean loss)",
                slaw::forecast::MAX_FIT_POINTS
            )
        } else {
            String::new()
        },
        if o.converged { "" } else { "  NOT CONVERGED" }
    );
    match &o.temporal {
        None => {
            let p: Vec<String> = o
                .params
                .pairs()
                .filter(|(n, _)| !o.unused_params.iter().any(|u| u == n))
                .map(|(n, v)| format!("{n}={}", num(*v)))
                .collect();
            let _ = writeln!(s, "parameters: {}", p.join(" "));
            if !o.unused_params.is_empty() {
                let one = o.unused_params.len() == 1;
                let _ = writeln!(
                    s,
                    "not determined, and not used by the forecast: {} (moved by a tenth, {} no \
                     fitted point and no forecast: a schedule-aware law's annealing terms where the \
                     rate does not decay up to the forecast, or where they saturate; {} in the JSON \
                     {} where the search left {})",
                    o.unused_params.join(", "),
                    if one { "it changes" } else { "they change" },
                    if one { "its value" } else { "their values" },
                    if one { "is" } else { "are" },
                    if one { "it" } else { "them" },
                );
            }
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
        // No candidate scored on the held-out quarter: no choice was made.
        let scored = c.candidates.iter().any(|k| k.held_out_rmse.is_some());
        if !scored {
            let names: Vec<&str> = c.candidates.iter().map(|k| k.method).collect();
            let _ = writeln!(
                s,
                "auto{}: {}, the default: no law could be scored on the window's last quarter \
                 ({} could not be fitted on the points before it, or did not converge there), so \
                 nothing was chosen by held-out error; fit on a longer part of the curve for a choice",
                if c.step_only { " (no learning rate)" } else { "" },
                o.method,
                names.join(" and ")
            );
        } else if c.step_only {
            let noise = c
                .candidates
                .iter()
                .filter_map(|k| k.fit_rmse)
                .min_by(f64::total_cmp);
            let _ = writeln!(
                s,
                "auto ({}): {} by held-out RMSE of ln L on the window's last quarter ({}); power only when lower than reciprocal's and within {}x the window's noise ({}), or when reciprocal's is over {}x power's{}",
                // a logged rate not known at the forecast steps (see the
                // warnings), or none
                if o.decay.is_some() {
                    "the step-only laws: no learning rate at the forecast steps"
                } else {
                    "no learning rate"
                },
                o.method,
                cands.join(", "),
                slaw::forecast::job::STEP_ONLY_NOISE_FACTOR,
                noise.map_or("unknown".into(), |n| format!("{n:.5}")),
                slaw::forecast::job::STEP_ONLY_CLEAR_RATIO,
                if c.interval_hull {
                    "; the intervals beyond the window span reciprocal's too"
                } else {
                    ""
                }
            );
        } else {
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
    }
    let band = o.bootstrap.is_some();
    if let Some(b) = o.bootstrap {
        let (n, ok, level) = (b.replicates, b.converged, b.level);
        match &o.calibration {
            Some(c) => {
                let _ = writeln!(
                    s,
                    "intervals: {} predictive (backtest): the law's own extrapolation error from {} in the window{} ({:.4} per unit ln(step / last fitted step), at least {:.4}{}), in quadrature with the refit spread of {ok} of {n} bootstrap refits{}",
                    slaw::numbers::percent(level),
                    slaw::numbers::count(c.origins, "rolling origin"),
                    if c.method.starts_with("prior") {
                        format!(
                            ", too few for a rank: its {} scores pooled with {} of a prior learned on other curves",
                            c.scores,
                            slaw::forecast::prior::K
                        )
                    } else {
                        String::new()
                    },
                    c.per_distance,
                    c.noise,
                    match (c.noise_approximated, c.noise_points) {
                        (true, _) => ": too few residuals for their rank, their largest inflated by a normal approximation".to_string(),
                        (false, Some(n)) => format!(
                            ": one logged point's noise, from the {n} logged points of the window (the fit was on bins of them)"
                        ),
                        (false, None) => String::new(),
                    },
                    match b.first_where_negligible {
                        Some(k) => format!(
                            " (of the first {k} alone at the points where their spread adds under 5% to the calibrated error)"
                        ),
                        None => match b.asked {
                            Some(asked) => format!(
                                " (no more run of the {asked} asked: the refit spread adds under 5% to the calibrated error)"
                            ),
                            None => String::new(),
                        },
                    }
                );
            }
            None if o.temporal.is_some() => {
                // Where the forecast ignores the decay still to come the
                // band is kept but its level is not a coverage.
                let not_calibrated = match o.interval_kind {
                    Some(slaw::selection::IntervalKind::NotCalibrated { reason, .. }) => {
                        format!("not calibrated ({reason}; for an interval that admits the decay: --method multipower): ")
                    }
                    _ => String::new(),
                };
                // The c the band was widened with: the one of this level
                // (the interval kind's; `pooled_scale_at` where the kind
                // does not carry it), not the 90% one.
                let c = match o.interval_kind {
                    Some(slaw::selection::IntervalKind::PooledScale { c, .. }) => Some(c),
                    _ => slaw::forecast::temporal::pooled_scale_at(level).map(|(c, _)| c),
                };
                let _ = writeln!(
                    s,
                    "intervals: {not_calibrated}{} percentile bootstrap, {ok} of {n} refits converged with a plausible forecast (finite, positive, past the fit at most the highest fitted loss); past the fit widened to forecast x exp(+-c ln(step / last fitted step)), c the temporal law's extrapolation error per unit ln(step ratio) pooled over real runs (temporal::POOLED_SCALE; {})",
                    slaw::numbers::percent(level),
                    match c {
                        Some(c) => format!("c = {c:.3} at {}", slaw::numbers::percent(level)),
                        None => "c = 0.101 at 90%".to_string(),
                    }
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "intervals: {} percentile bootstrap, {ok} of {n} refits converged: the refit spread only (the window is too short to calibrate the law's extrapolation error), not a forecast interval",
                    slaw::numbers::percent(level)
                );
            }
        }
    }
    if let (Some(_), Some(c)) = (o.bootstrap, &o.choice) {
        let _ = writeln!(s, "{}", auto_coverage(c.step_only, c.annealing_identified));
    }
    if let Some(m) = o.bootstrap.and_then(|b| b.band_points) {
        let n = o.curve_points.len();
        let _ = writeln!(
            s,
            "note: over {} points, the bootstrap's replicates are predicted at {} of the curve's {} points (every {}, the last and the forecast steps): the intervals at the forecast steps are as on every point, the interval band has none between them, and whether more replicates run is decided on them",
            slaw::forecast::job::MAX_BAND_POINTS,
            m,
            n,
            slaw::numbers::ordinal(slaw::forecast::job::band_stride(n)),
        );
    }
    if let Some(d) = &o.decay_term {
        let _ = writeln!(
            s,
            "decay ahead ({:.0}% of the peak rate): {}",
            100.0 * d.decay_ahead,
            d.method
        );
    }
    if let Some(u) = &o.unpinned_decay {
        let _ = writeln!(s, "annealing terms not pinned: {u}");
    }
    if let Some(u) = &o.interval_hull {
        let _ = writeln!(s, "intervals: {u}");
    }
    // auto's hull with power's own interval beside it: what each covers.
    let own = o.law_interval.as_ref();
    if let Some(l) = own {
        let _ = writeln!(s, "intervals: {}", l.covers);
    }
    let own_head = own.map(|l| format!("if {} holds", l.law));
    // The law's own forecast beside its interval where the reported one is
    // another law's (a window that does not pin the annealing terms).
    let own_loss = own.is_some_and(|l| l.points.iter().any(|q| q.loss.is_some()));
    let own_w = if own_loss { 32 } else { 21 };
    let _ = writeln!(
        s,
        "{:>12} {:>10} {:>21} {:>10}{}",
        "step",
        "forecast",
        if band { "interval" } else { "" },
        "observed",
        own_head
            .as_deref()
            .map(|h| format!(" {h:>own_w$}"))
            .unwrap_or_default()
    );
    for p in &o.forecasts {
        let iv = match (p.lo, p.hi) {
            (Some(lo), Some(hi)) => format!("[{lo:.4}, {hi:.4}]"),
            _ => String::new(),
        };
        let own_iv = own
            .map(|l| {
                let v = l
                    .points
                    .iter()
                    .find(|q| q.step == p.step)
                    .map(|q| match q.loss {
                        Some(l) => format!("{l:.4} [{:.4}, {:.4}]", q.lo, q.hi),
                        None => format!("[{:.4}, {:.4}]", q.lo, q.hi),
                    })
                    .unwrap_or_default();
                format!(" {v:>own_w$}")
            })
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{:>12} {:>10.4} {:>21} {:>10}{own_iv}",
            num(p.step),
            p.loss,
            iv,
            p.observed
                .map(|v| format!("{v:.4}"))
                .unwrap_or_else(|| "-".into())
        );
    }
    if let Some(a) = &o.heldout {
        let _ = writeln!(
            s,
            "on the {} observed points after the fitted part: R^2 {}, MAE {:.4}, RMSE {:.4}{}",
            a.n,
            super::r2_text(a.r2, 4),
            a.mae,
            a.rmse,
            super::r2_note(a.r2, a.r2_na)
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
    // The held-out errors: one format for the table (plain, or scientific
    // when some error needs it); columns as wide as their widest cell, so
    // that a large error never runs into its neighbour.
    let err_col = slaw::numbers::Column::of(
        t.trajectories
            .iter()
            .flat_map(|tr| tr.candidates.iter().filter_map(|c| c.held_out_error)),
    );
    let rows: Vec<(String, Vec<String>)> = t
        .trajectories
        .iter()
        .map(|tr| {
            let coef: Vec<String> = tr.chosen.coef.iter().map(|v| num(*v)).collect();
            // One cell per form; a form the rule did not consider for this
            // parameter (a2 among the bounded forms) shows "-".
            let errs = TrajectoryForm::ALL
                .iter()
                .map(|f| {
                    tr.candidates
                        .iter()
                        .find(|c| c.form == *f)
                        .and_then(|c| c.held_out_error)
                        .map_or_else(|| "-".to_string(), |e| err_col.fmt(e))
                })
                .collect();
            (coef.join(", "), errs)
        })
        .collect();
    let names: Vec<&str> = TrajectoryForm::ALL.iter().map(|f| f.name()).collect();
    let coef_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(34);
    let err_w = rows
        .iter()
        .flat_map(|r| r.1.iter().map(String::len))
        .chain(names.iter().map(|n| n.len()))
        .max()
        .unwrap_or(0)
        .max(10);
    let _ = writeln!(
        s,
        "{:<4} {:<11} {:<coef_w$}{}",
        "",
        "trajectory",
        "coefficients",
        names
            .iter()
            .map(|n| format!(" {n:>err_w$}"))
            .collect::<String>()
    );
    for (tr, (coef, errs)) in t.trajectories.iter().zip(&rows) {
        let _ = writeln!(
            s,
            "{:<4} {:<11} {:<coef_w$}{}",
            tr.param,
            tr.chosen.form.name(),
            coef,
            errs.iter()
                .map(|e| format!(" {e:>err_w$}"))
                .collect::<String>()
        );
    }
    let _ = writeln!(
        s,
        "(last columns: RMSE of the mean loss on the last quarter of the fitted checkpoints, fewer where the rate starts to decay late, when the form is fitted on the rest; trajectory rule: {})",
        t.rule.name()
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
        "{:>6} {:<18} {:>8} {:>8} {:>8} {:>8}",
        "model", "method", "R^2", "MAE", "RMSE", "fit s"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:>6} {:<18} {:>8.4} {:>8.4} {:>8.4} {:>8.2}{}",
            r.model,
            r.method,
            r.mean.r2,
            r.mean.mae,
            r.mean.rmse,
            r.seconds,
            if r.converged { "" } else { "  NOT CONVERGED" }
        );
    }
    s
}

pub fn coverage_table(rows: &[CoverageRow]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "multi-power protocol through `slaw schedule`: final loss of the six predicted schedules"
    );
    let _ = writeln!(
        s,
        "{:>6} {:<18} {:>9} {:>12} {:>16} {:>8}",
        "model", "method", "covered", "final MAE %", "median half %", "s"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:>6} {:<18} {:>9} {:>12.2} {:>16.2} {:>8.2}",
            r.model,
            r.method,
            format!("{}/{}", r.covered, r.total),
            100.0 * r.final_mae,
            100.0 * r.median_half_width,
            r.seconds
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
        "{:>8} {:<18} {:>6} {:>8} {:>8} {:>10}  interval coverage",
        "fraction", "method", "runs", "skipped", "MAPE %", "median %"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:>8} {:<18} {:>6} {:>8} {:>8.2} {:>10.2}  {}",
            format!("{:.0}%", 100.0 * r.fraction),
            r.method,
            r.runs,
            r.skipped,
            100.0 * r.mape,
            100.0 * r.median_ape,
            match r.coverage {
                Some((level, n, c, nb, cb)) => format!(
                    "{}: {c}/{n} ({:.1}%), median half-width {:.2}%; backtest-calibrated {cb}/{nb} ({:.1}%)",
                    slaw::numbers::percent(level),
                    100.0 * c as f64 / n.max(1) as f64,
                    100.0 * r.median_half_width.unwrap_or(f64::NAN),
                    100.0 * cb as f64 / nb.max(1) as f64
                ),
                None => String::new(),
            }
        );
    }
    // What auto chose (`slaw forecast`'s default: power or reciprocal on a
    // curve without a learning rate).
    for r in rows.iter().filter(|r| !r.chosen.is_empty()) {
        let laws: Vec<String> = r
            .chosen
            .iter()
            .map(|(law, n)| format!("{law} on {n}"))
            .collect();
        let _ = writeln!(
            s,
            "auto at {:.0}% (slaw forecast's default): {} of {} runs",
            100.0 * r.fraction,
            laws.join(", "),
            r.runs
        );
    }
    s
}

fn skipped_line(s: &mut String, k: &SkippedRun, width: usize) {
    let run = super::truncate(&k.run, width);
    let _ = writeln!(
        s,
        "{} SKIPPED: {}",
        slaw::numbers::pad(&run, width),
        k.reason
    );
}

/// One line per run of `slaw forecast --run-col`: the law, the forecast at
/// the last step with its interval, the observed loss there, the accuracy
/// on the unseen part and the number of warnings; a skipped run's line says
/// why, in its place in the input's order.
pub fn runs_table(outputs: &[ForecastOutput], skipped: &[SkippedRun]) -> String {
    let width = outputs
        .iter()
        .map(|o| o.curve.as_str())
        .chain(skipped.iter().map(|k| k.run.as_str()))
        .map(slaw::numbers::display_width)
        .max()
        .unwrap_or(3)
        .clamp(3, 64);
    let mut s = String::new();
    // The intervals' level and kind: in the heading when every run's is
    // the same, else each run's on a line after the table (the level still
    // in the heading when every run's is the same, "97% interval").
    let mut kinds: Vec<String> = Vec::new();
    let mut levels: Vec<f64> = Vec::new();
    for o in outputs {
        if let Some(k) = &o.interval_kind {
            if !kinds.contains(&k.label()) {
                kinds.push(k.label());
            }
            if !levels.contains(&k.level()) {
                levels.push(k.level());
            }
        }
    }
    let heading = match (kinds.as_slice(), levels.as_slice()) {
        ([one], _) => one.clone(),
        (_, [level]) => format!("{} interval", slaw::numbers::percent(*level)),
        _ => "interval".to_string(),
    };
    let _ = writeln!(
        s,
        "{:<width$} {:<18} {:>6} {:>10} {:>9} {:>21} {:>9} {:>8}  warnings",
        "run", "law", "fitted", "at step", "forecast", heading, "observed", "R^2 rest"
    );
    // Runs in input order: the skipped ones where they stood among the
    // forecast ones (`SkippedRun::position`; forecasts are in input order).
    let mut pending = skipped.iter().peekable();
    let mut line = 0;
    for o in outputs {
        while let Some(k) = pending.next_if(|k| k.position <= line) {
            skipped_line(&mut s, k, width);
            line += 1;
        }
        line += 1;
        let last = o.forecasts.last();
        let cell = |v: Option<f64>, digits: usize| {
            v.map(|x| format!("{x:.digits$}"))
                .unwrap_or_else(|| "-".into())
        };
        let run = slaw::numbers::pad(&super::truncate(&o.curve, width), width);
        let law = if o.converged {
            o.method.to_string()
        } else {
            format!("{} FAILED", o.method)
        };
        let _ = writeln!(
            s,
            "{run} {law:<18} {:>6} {:>10} {:>9} {:>21} {:>9} {:>8}  {}",
            o.fit_points,
            last.map(|p| num(p.step)).unwrap_or_else(|| "-".into()),
            cell(last.map(|p| p.loss), 4),
            match last.and_then(|p| Some((p.lo?, p.hi?))) {
                Some((lo, hi)) => format!("[{lo:.4}, {hi:.4}]"),
                None => "-".into(),
            },
            cell(last.and_then(|p| p.observed), 4),
            o.heldout
                .as_ref()
                .map_or_else(|| "-".into(), |r| super::r2_text(r.r2, 4)),
            o.warnings.len()
        );
    }
    for k in pending {
        skipped_line(&mut s, k, width);
    }
    if kinds.len() > 1 {
        let per_run: Vec<String> = outputs
            .iter()
            .filter_map(|o| {
                Some(format!(
                    "{}: {}",
                    o.curve,
                    o.interval_kind.as_ref()?.label()
                ))
            })
            .collect();
        let _ = writeln!(s, "intervals: {}", per_run.join(", "));
    }
    if !kinds.is_empty() {
        let _ = writeln!(
            s,
            "(predictive: calibrated by rolling-origin backtests in the window; bootstrap: the refit spread only)"
        );
    }
    let failed = outputs.iter().filter(|o| !o.converged).count();
    let warned = outputs.iter().filter(|o| !o.warnings.is_empty()).count();
    let _ = writeln!(
        s,
        "{} runs: {failed} failed, {}{warned} with warnings (each run's report: --verbose)",
        outputs.len() + skipped.len(),
        if skipped.is_empty() {
            String::new()
        } else {
            format!("{} skipped, ", skipped.len())
        }
    );
    s
}

/// What `slaw schedule`'s intervals covered as measured (BENCHMARKS.md,
/// "Loss-curve forecasting": `slaw bench forecast --coverage 0.9`, the
/// multi-power protocol through `slaw schedule`; cal51's synthetic table,
/// `bench/schedule_synthetic_coverage.py`; every choice of three fitted
/// schedules: `bench/schedule_every_triple_coverage.py`), for the law
/// `method`.
pub fn schedule_coverage(method: &str) -> String {
    let (covered, every) = match method {
        "tissue" => ("8 of 12", "92.3% / 94.6%"),
        "multipower" => ("12 of 12", "89.3% / 89.7%"),
        "multipower-warmup" => ("12 of 12", "88.3% / 88.7%"),
        _ => return String::new(),
    };
    let synthetic = if method == "multipower-warmup" {
        ""
    } else {
        "; on synthetic runs that follow the tissue law (three runs, noise 0.3% / 1%) they are conservative, the more so the noisier the points: 20 of 20 covered at 3x the runs' length, the median half-width 7.3-8.6x / 9.0-10.3x the 90th percentile of the errors"
    };
    format!(
        "coverage as measured: {method}'s 90% intervals covered {every} of the final losses of other schedules of the multi-power runs (25M / 100M; every choice of three of the nine schedules fitted, the six others predicted: 504 per size), {covered} on the published choice of three{synthetic}"
    )
}

/// What `auto`'s intervals covered as measured (BENCHMARKS.md, "Loss-curve
/// forecasting", cal51: `forecast_coverage` and `forecast_choice_dump`): on
/// the real runs per window, and on synthetic curves that follow one law
/// (`step_only`: no learning rate; else whether the window pins the
/// schedule-aware laws' annealing terms).
pub fn auto_coverage(step_only: bool, pinned: bool) -> String {
    let (real, synthetic) = if step_only {
        (
            "84% and 97% of the final losses of 73 and 124 real runs without a learning rate (the (Mis)Fitting runs) fitted on 25% and 50% of their steps",
            "; on synthetic curves of four laws 134 of 144 (93%), the median half-width 0.5-4.9x the 90th percentile of the errors",
        )
    } else if !pinned {
        (
            "17 and 18 of 18 final losses of the multi-power curves fitted on 20% and on 50% of their steps",
            "; on synthetic curves of four laws with a learning rate the window does not pin 257 of 288 (89%), the median half-width 0.9-1.1x the 90th percentile of the errors",
        )
    } else {
        (
            "17 and 18 of 18 final losses of the multi-power curves fitted on 20% and on 50% of their steps",
            "",
        )
    };
    format!("coverage as measured: auto's 90% intervals covered {real}{synthetic}")
}

/// `slaw schedule`'s text: the law and the runs it was fitted on, its
/// parameters, what the intervals hold, the final loss per predicted
/// schedule, the WSD search's verdict and the warnings.
pub fn schedule_report(w: &WhatIf) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} law fitted on {}",
        w.method,
        w.runs
            .iter()
            .map(|(n, k)| format!("{n} ({k} points)"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "parameters: {}",
        w.params
            .pairs()
            .map(|(n, v)| format!("{n}={}", num(*v)))
            .collect::<Vec<_>>()
            .join(" ")
    );
    if let Some(b) = w.bootstrap {
        let (n, ok, level) = (b.replicates, b.converged, b.level);
        let _ = write!(
            s,
            "intervals: {}, bootstrap refit spread ({ok} of {n} refits converged)",
            slaw::numbers::percent(level)
        );
        let _ = match w.model_error {
            Some(m) => writeln!(s,
                " and schedule-transfer error {:.2}% (leave one run out: {}; times Student's t with as many degrees of freedom as runs)",
                100.0 * m,
                w.transfer_errors
                    .iter()
                    .map(|e| format!("{:+.2}%", 100.0 * e))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => writeln!(s,
                ", without the schedule-transfer error (not measured: see the warning)"
            ),
        };
        if let Some(c) = &w.calibration {
            let _ = writeln!(s,
                "  and the law's extrapolation error along the steps ({}: {:.4} per unit ln(step / last fitted step))",
                c.method, c.per_distance
            );
        }
        if let Some(d) = &w.decay_term {
            let _ = writeln!(s, "  and the decay prior: {}", d.method);
        }
        let measured = schedule_coverage(w.method);
        if !measured.is_empty() {
            let _ = writeln!(s, "{measured}");
        }
    }
    let _ = writeln!(
        s,
        "{:>12} {:>10} {:>21}  schedule",
        "last step", "final", "interval"
    );
    for p in &w.predictions {
        let l = p.last();
        let iv = match (l.lo, l.hi) {
            (Some(lo), Some(hi)) => format!("[{lo:.4}, {hi:.4}]"),
            _ => "-".into(),
        };
        let _ = writeln!(
            s,
            "{:>12} {:>10.4} {:>21}  {}",
            num(l.step),
            l.loss,
            iv,
            p.schedule
        );
    }
    if let Some(b) = &w.best {
        let set = b.not_distinguishable.join(", ");
        let cover = b.differences_cover.as_deref().unwrap_or("");
        if b.decided {
            let _ = writeln!(
                s,
                "best of the WSD family: {} (final {:.4})",
                b.schedule, b.final_loss
            );
        } else {
            let _ = writeln!(
                s,
                "the runs do not decide the WSD decay length: {} of the {} searched are not \
                 distinguishable from the lowest predicted ({}, final {:.4}) at {} ({}): {}; \
                 their predicted final losses differ from it by at most {:.4}",
                b.not_distinguishable.len(),
                b.differences.len(),
                b.schedule,
                b.final_loss,
                level_text(w),
                cover,
                set,
                b.largest_difference_in_set
            );
        }
        for c in &b.caveats {
            let _ = writeln!(s, "  caveat: {c}");
        }
        if b.decided && b.not_distinguishable.len() > 1 {
            let _ = writeln!(
                s,
                "  not distinguishable from it at {} ({}): {}; predicted final losses at \
                 most {:.4} higher",
                level_text(w),
                cover,
                set,
                b.largest_difference_in_set
            );
        }
        if let Some((r, m)) = &b.runner_up {
            let _ = write!(s, "  margin over the runner-up ({r}): {m:.4}");
            if let (Some((lo, hi)), Some(stays)) =
                (b.margin_interval, b.stays_best_over_point_noise)
            {
                let _ = write!(
                    s,
                    ", refit interval [{lo:.4}, {hi:.4}]; lowest in {:.0}% of the bootstrap \
                     refits (the points' noise only: not the transfer error, nor how far \
                     another noise draw's fit would move the pick)",
                    100.0 * stays
                );
            }
            let _ = writeln!(s);
        }
    }
    for warn in &w.warnings {
        let _ = writeln!(s, "warning: {warn}");
    }
    s
}

/// The level of the search's difference intervals, as text ("90%").
fn level_text(w: &WhatIf) -> String {
    slaw::numbers::percent(w.bootstrap.map_or(0.9, |r| r.level))
}
