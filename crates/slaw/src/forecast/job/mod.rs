//! One `slaw forecast` job: a curve (aggregate or per-position), the method,
//! the part to fit and the steps to forecast -> a `ForecastOutput` with
//! intervals and the error on the part of the curve not fitted.
//!
//! `request.rs` what a job is asked, `spec.rs` a table's forecasts as the
//! settings describe them, `output.rs` what a job returns, `laws.rs` the
//! fits and forecasts of the laws and of the temporal law, `decay.rs` the
//! learning rate's decay and the intervals widened for it, `warnings.rs` what
//! a forecast warns of, `auto.rs` the law `auto` chooses.

mod auto;
mod decay;
mod laws;
mod output;
mod request;
mod spec;
mod start;
#[cfg(test)]
mod tests;
mod warnings;

pub use auto::{
    choose, step_only_takes_power, AutoChoice, LawCandidate, STEP_ONLY_CLEAR_RATIO,
    STEP_ONLY_NOISE_FACTOR,
};
pub use decay::{window_decay, WindowDecay, MIN_RESPONSE};
pub use output::{
    band_stride, DecayTerm, ForecastOutput, LawInterval, LawIntervalPoint, Point, Replicates, Runs,
    SkippedRun, LAW_INTERVAL_COVERS, MAX_BAND_POINTS,
};
pub use request::{Choice, Data, FitUntil, Request};
pub use spec::{Spec, DEFAULT_STEP};
pub use start::{fit_start, MIN_ROWS_AFTER_WARMUP, RAMP_START_SHARE};
pub use warnings::{SCHEDULE_PEAK_TOLERANCE, SCHEDULE_SHAPE_TOLERANCE};

use super::prior;
use super::{accuracy, Curve};
use crate::{Error, Result};
use auto::rate_unknown_note;
use laws::{from_step_only, hull_with_reciprocal, run_law, run_temporal, step_only_moved};
use std::borrow::Cow;
use warnings::{
    annealing_params, bound_warning, ignores_decay, not_positive, outside_interval, rising,
    schedule_vs_logged, window_end, FOLLOWS_UNPINNED,
};

/// Forecast every curve of `data` with the method named `method` (`auto`,
/// `temporal`, a law's name), the law resolved per curve from what it holds
/// (per-position data, learning rates, or `base.schedule`); every other
/// setting from `base` (whose `choice` is replaced).
pub fn run_each(data: &[Data], method: &str, base: &Request) -> Result<Vec<ForecastOutput>> {
    data.iter()
        .map(|d| {
            let positions = matches!(d, Data::Positions(_));
            let mut choice = Choice::parse(method, positions)?;
            // auto on per-position data with too few checkpoints in the
            // window for the temporal law: the aggregate loss's laws, said
            // why (the temporal law named explicitly still refuses).
            let fallback = match d {
                Data::Positions(p) if method == "auto" && base.fit_until.check().is_ok() => {
                    let (first, last) = (p.steps[0], *p.steps.last().expect("not empty"));
                    let until = base.fit_until.step(first, last);
                    let k = p.steps.iter().filter(|&&s| s <= until).count();
                    let m = super::temporal::MIN_FIT;
                    if k < m {
                        choice = Choice::Auto;
                        Some(format!(
                            "{k} checkpoint(s) up to the end of the fit, too few for the temporal \
                             law (at least {m}): auto forecast the aggregate loss (the mean over \
                             positions) with the laws of the loss curve instead"
                        ))
                    } else {
                        None
                    }
                }
                _ => None,
            };
            let req = Request {
                choice,
                at: base.at.clone(),
                ..*base
            };
            // An error after the fallback says why the law changed (probe60
            // M3: "3 points to fit the reciprocal law's 3 parameters" of a
            // file whose user never asked for that law).
            let mut o = run(d, &req).map_err(|e| match (&fallback, e) {
                (Some(why), e @ (Error::Data(_) | Error::Fit(_))) => {
                    Error::data(format!("{why}, and that failed too: {e}"))
                }
                (_, e) => e,
            })?;
            if let Some(n) = fallback {
                o.warnings.insert(0, n);
            }
            Ok(o)
        })
        .collect()
}

/// Candidate (P) of branch `pow53` (BENCHMARKS.md, "Loss-curve
/// forecasting"): the power law named on a window without a usable
/// learning rate gets the hull with the step-only reciprocal law's
/// interval, as `auto`'s choice of power does. Measured, not shipped: false.
pub const NAMED_POWER_HULL: bool = false;

/// Whether `auto`'s step-only choice on a window whose rates do not pin the
/// annealing terms has its forecast beyond the window moved by the decay
/// prior's median times the decay ahead (`laws::step_only_moved`), as a
/// schedule-aware law's on such a window (BENCHMARKS.md, auto73).
pub const AUTO_MOVES_BY_DECAY: bool = true;

/// The last fitted step of `ext` (the curve with the forecast steps put on
/// it) whose first `k` points are the window: the last of them with an
/// observed loss. A forecast step asked inside the window's span (between
/// its last logged step and the end of the fit) is among the `k` points
/// without a loss, and is not where the fit ends.
pub(super) fn last_fitted_step(ext: &Curve, k: usize) -> f64 {
    (0..k.min(ext.len()))
        .rev()
        .find(|&i| !ext.loss[i].is_nan())
        .map_or_else(|| ext.step[k.clamp(1, ext.len()) - 1], |i| ext.step[i])
}

/// Fit the method of `req` to `data` and forecast.
pub fn run(data: &Data, req: &Request) -> Result<ForecastOutput> {
    // The curve as given (not a copy: a log of 1e6 steps is 24 MB), the
    // aggregate of per-position data, or with the schedule's rates.
    let mut curve: Cow<Curve> = match data {
        Data::Aggregate(c) => Cow::Borrowed(c),
        Data::Positions(p) => Cow::Owned(p.aggregate()),
    };
    let last = *curve.step.last().expect("curves are not empty");
    req.fit_until.check()?;
    let first = curve.step[0];
    let until = req.fit_until.step(first, last);
    // A schedule given for a curve that logs its rate: compared with it
    // where both are known, then used.
    let mut schedule_warnings = vec![];
    if let Some(s) = req.schedule {
        schedule_warnings = schedule_vs_logged(&curve, &s, until);
        let end = req.at.iter().copied().fold(last, f64::max);
        schedule_warnings.extend(warnings::schedule_vs_steps(&s, first, end));
        curve = Cow::Owned(curve.into_owned().with_schedule(s));
    }
    if until < first {
        return Err(Error::setting(
            crate::error::Setting::FitUntil,
            format!(
                "{} ends the fit at step {}, before the curve's first step {}: nothing to fit \
                 (a value <= 1 is a fraction of the logged span, steps {} to {}; a larger one \
                 a step, step:N the step N)",
                req.fit_until,
                crate::numbers::num(until),
                crate::numbers::num(first),
                crate::numbers::num(first),
                crate::numbers::num(last)
            ),
        ));
    }
    let at = if req.at.is_empty() {
        vec![last]
    } else {
        req.at.clone()
    };
    if let Some(t) = at.iter().find(|t| !t.is_finite() || **t <= 0.0) {
        return Err(Error::setting(
            crate::error::Setting::ForecastAt,
            format!("steps must be finite and > 0 (got {t})"),
        ));
    }
    let needs_lr = match req.choice {
        Choice::Law(m) => m.needs_lr(),
        Choice::Temporal | Choice::Auto => false,
    };
    if needs_lr && curve.schedule.is_none() && at.iter().any(|&t| t > last * 1.001) {
        return Err(Error::NeedsSchedule {
            curve: curve.name.clone(),
            law: req.choice.name().to_string(),
            known_until: Some(last),
        });
    }
    if needs_lr && curve.schedule.is_none() && curve.lr.is_none() {
        return Err(Error::NeedsSchedule {
            curve: curve.name.clone(),
            law: req.choice.name().to_string(),
            known_until: None,
        });
    }
    // The curve with every forecast step on it (loss unknown there): the
    // curve itself when it has them all (the default, its last step).
    let ext: Cow<Curve> = if at.iter().all(|t| curve.step.contains(t)) {
        Cow::Borrowed(&*curve)
    } else {
        Cow::Owned(curve.with_steps(&at))
    };
    let k = ext.step.iter().filter(|&&s| s <= until).count();
    let decay = window_decay(&ext, until, &at);
    // Past the last recorded rate without a schedule, the laws that read
    // the rate cannot forecast (the rate is not held: an explicit
    // schedule-aware law refuses there). When the logged rate has not
    // decayed (constant after any warmup), auto chooses among the laws of
    // the step alone, as without a learning rate, and says so (probe48 9h:
    // it chose tissue on a constant rate and then refused); a rate that
    // decays in the log makes the schedule matter, and a schedule-aware
    // choice refuses.
    let past_rates =
        ext.lr.is_some() && curve.schedule.is_none() && at.iter().any(|&t| t > last * 1.001);
    let flat = past_rates
        && window_decay(&ext, last, &[]).is_none_or(|d| d.window <= prior::DECAY_NEGLIGIBLE);
    let mut out = match req.choice {
        Choice::Law(method) => {
            let mut o = run_law(method, &ext, k, req)?;
            if !method.needs_lr() {
                // A law of the step alone ignores decay after the window,
                // named or chosen by auto (with or without intervals).
                if let Some(d) = decay.filter(|d| d.forecast > d.window + prior::DECAY_NEGLIGIBLE)
                {
                    let w = ignores_decay(&d, method, &o, false, None);
                    o.warnings.insert(0, w);
                }
                // Candidate (P) of branch `pow53` (not shipped): power named
                // where auto would choose among the step-only laws gets the
                // interval auto gives when it chooses power.
                if method == super::CurveLaw::Power
                    && NAMED_POWER_HULL
                    && (ext.lr.is_none() || flat)
                    && req.bootstrap > 0
                    && hull_with_reciprocal(&mut o, &ext, k, req, false).is_some()
                {
                    o.interval_hull = Some(
                        "without a learning rate, each interval beyond the window is the hull of the power law's own and of the step-only reciprocal law's, as auto's when it chooses power (power's own intervals under-cover real runs' short windows)"
                            .into(),
                    );
                }
            } else if let Some(d) = decay.filter(|d| !d.identified()) {
                unpinned_annealing(&mut o, method, &d, &ext, k, req);
            }
            o
        }
        Choice::Auto => {
            let (method, choice) = choose(&ext, k, decay, flat)?;
            if method.needs_lr() && past_rates {
                return Err(Error::NeedsSchedule {
                    curve: curve.name.clone(),
                    law: format!("{} (auto's choice)", method.name()),
                    known_until: Some(last),
                });
            }
            // The chosen law's fit on the whole window is the full
            // multi-start, as for the law named with --method: a start of
            // its own (its optimum on the first three quarters) lands
            // elsewhere on a valley of equal fits (the reciprocal law's
            // a-b valley where b t >> 1), and the backtest refits,
            // warm-started from the landing point, with it: the same law
            // chosen or named gave other intervals (probe44 item 10).
            let mut o = run_law(method, &ext, k, req)?;
            if let Some(d) = decay.filter(|d| !d.identified()) {
                if method.needs_lr() {
                    // The window holds the decay but not the losses'
                    // answer to it: as for the law named.
                    unpinned_annealing(&mut o, method, &d, &ext, k, req);
                } else {
                    // The step-only law chosen: its forecast moved by the
                    // decay prior's median, as a schedule-aware law's on
                    // such a window (BENCHMARKS.md, auto73).
                    let own = AUTO_MOVES_BY_DECAY
                        .then(|| step_only_moved(&mut o, method, &ext, k, req))
                        .flatten();
                    let w = ignores_decay(&d, method, &o, true, own.as_ref());
                    o.warnings.insert(0, w);
                }
            }
            if flat {
                o.warnings.insert(0, rate_unknown_note(&curve.name, last, &at));
            }
            let mut choice = choice;
            // Power chosen on a step-only curve: its intervals alone
            // under-cover the real runs' short windows (BENCHMARKS.md,
            // fx46c), so they span reciprocal's too.
            choice.interval_hull = choice.interval_hull
                && req.bootstrap > 0
                && hull_with_reciprocal(&mut o, &ext, k, req, true).is_some();
            o.choice = Some(choice);
            o
        }
        Choice::Temporal => match data {
            Data::Positions(p) => {
                let kp = p.steps.iter().filter(|&&s| s <= until).count();
                let mut o = run_temporal(p, &curve, &ext, kp, req)?;
                let reads_lr: Vec<&str> = o
                    .temporal
                    .iter()
                    .flat_map(|f| &f.trajectories)
                    .filter(|tr| tr.chosen.form.needs_lr())
                    .map(|tr| tr.param)
                    .collect();
                // As for a schedule-aware law: a trajectory that reads the
                // learning rate is not forecast past the last recorded rate
                // by holding it; the schedule is needed.
                if !reads_lr.is_empty()
                    && curve.schedule.is_none()
                    && at.iter().any(|&t| t > last * 1.001)
                {
                    return Err(Error::NeedsSchedule {
                        curve: curve.name.clone(),
                        law: format!("temporal (the lr trajectory form of {})", reads_lr.join(", ")),
                        known_until: Some(last),
                    });
                }
                // Without a trajectory that reads the rate, the forecast
                // ignores whatever decay is still to come, pinned by the
                // window or not (BENCHMARKS.md, temp55): the warning stays
                // while the rate falls by more than 5% of its peak past it.
                let unread = |d: &WindowDecay| {
                    reads_lr.is_empty() && d.forecast > d.window + 0.05
                };
                if let Some(d) = decay.filter(|d| !d.identified() || unread(d)) {
                    // The band keeps its bounds but not its level: on WSD
                    // runs fitted into the cooldown it covered 0/30
                    // synthetic and 4/9 real final losses (BENCHMARKS.md,
                    // cool57). Only where no trajectory reads the rate.
                    if reads_lr.is_empty() {
                        if let Some(level) = o.interval_kind.map(|k| k.level()) {
                            o.interval_kind = Some(super::IntervalKind::NotCalibrated {
                                level,
                                reason: crate::selection::calibrate::DECAY_AHEAD_NOT_IN_IT,
                            });
                        }
                    }
                    let head = format!(
                        "the learning rate decays by {:.0}% of its peak by the forecast step but only by {:.0}% inside the fitted window",
                        100.0 * d.forecast,
                        100.0 * d.window
                    );
                    o.warnings.insert(
                        0,
                        if reads_lr.is_empty() && !d.identified() {
                            format!(
                                "{head}; no trajectory the temporal law chose reads the learning rate, so its forecast ignores the coming decay, which lowers the loss; its interval is not calibrated (the decay ahead is not in it); the multipower method's interval admits the decay; on the benchmark's 29 per-position runs the final loss still ended above such forecasts 14 times in 57 at fits to 10%, 20% and 30% of the run, 8 times in 36 at fits to 40-70%"
                            )
                        } else if reads_lr.is_empty() {
                            // Whether a2 was offered the lr form, and what
                            // the held-out error chose instead (probe58 7:
                            // the generic rule read as "not offered").
                            let a2 = o
                                .temporal
                                .iter()
                                .flat_map(|f| &f.trajectories)
                                .find(|tr| tr.param == "a2");
                            let lr_err = a2.and_then(|tr| {
                                tr.candidates
                                    .iter()
                                    .find(|c| c.form.needs_lr())
                                    .and_then(|c| c.held_out_error)
                            });
                            let chosen_err = a2.and_then(|tr| {
                                tr.candidates
                                    .iter()
                                    .find(|c| c.form == tr.chosen.form)
                                    .and_then(|c| c.held_out_error)
                                    .map(|e| (tr.chosen.form.name(), e))
                            });
                            let why = match (lr_err, chosen_err) {
                                (Some(lr), Some((form, e))) => format!(
                                    "a2 was offered the lr form, and the held-out error chose the {form} form ({} against the lr form's {})",
                                    crate::numbers::short(e),
                                    crate::numbers::short(lr)
                                ),
                                _ => "a2 is offered the lr form only where the window holds at least 10% of the decay and pins the rest, and then only if the held-out error chooses it".to_string(),
                            };
                            format!(
                                "{head}; no trajectory the temporal law chose reads the learning rate ({why}), so its forecast ignores the decay still to come, which lowers the loss; its interval is not calibrated (the decay ahead is not in it); the multipower method's interval admits the decay; on the benchmark's 29 per-position runs fitted to 40-70% of the run, the final loss ended above such forecasts 6 times in 21"
                            )
                        } else {
                            format!(
                                "{head}; the temporal law forecasts the decay's effect through the lr trajectory form of {}, fitted where the rate barely changed",
                                reads_lr.join(", ")
                            )
                        },
                    );
                }
                // Past the logged rate's last row without a schedule the
                // rate is held at its last value (`Curve::with_steps`): said,
                // with what depends on it (probe55 10).
                if let (Some(lr), true) = (
                    curve.lr.as_ref(),
                    curve.schedule.is_none() && at.iter().any(|&t| t > last * 1.001),
                ) {
                    o.warnings.push(format!(
                        "a forecast step lies past the logged learning rate's last row (step {}): the rate is taken as held at its last value ({}) beyond it; no trajectory the temporal law chose reads the rate, so the forecast does not depend on it, but the decay check assumes no decay after that row (give the schedule if the rate falls further)",
                        crate::numbers::short(last),
                        crate::numbers::short(lr.last().copied().unwrap_or(f64::NAN))
                    ));
                }
                o
            }
            Data::Aggregate(_) => {
                return Err(Error::data(
                    "the temporal law needs per-position data: a file with step, position and loss columns (see examples/per_position_loss.py), or a position column",
                ))
            }
        },
    };
    // The last step fitted (a --fit-until past the curve's end, or between
    // two checkpoints, is not a step of it).
    out.fit_until_step = curve
        .step
        .iter()
        .copied()
        .filter(|&s| s <= until)
        .fold(first, f64::max);
    out.decay = decay;
    if let Some(w) = curve.untrained_warning() {
        out.warnings.push(w);
    }
    out.warnings.extend(schedule_warnings);
    for &t in &at {
        let i = ext
            .step
            .iter()
            .position(|&s| s == t)
            .expect("with_steps puts every forecast step on the curve");
        out.forecasts.push(out.curve_points[i].clone());
    }
    if let Some(p) = out
        .forecasts
        .iter()
        .find(|p| !(p.loss > 0.0 && p.loss.is_finite()))
    {
        return Err(not_positive(&out, p.step, p.loss, req.at.is_empty()));
    }
    if let Some(w) = outside_interval(&out.forecasts, until, req.level) {
        out.warnings.push(w);
    }
    // A fitted loss decades from every other (a typo or a unit error) is
    // fitted like any other point (the rule `fit` and `compare` warn by).
    let window = &ext.loss[..k.min(ext.len())];
    for i in crate::observations::far_values(window) {
        out.warnings.push(format!(
            "the loss at step {} is {}, more than {} decades from every other fitted loss: a typo or a unit error? It is fitted like any other point and can decide the forecast",
            crate::numbers::num(ext.step[i]),
            crate::numbers::short(window[i]),
            crate::observations::FAR_DECADES
        ));
    }
    let fitted: Vec<f64> = (0..k.min(ext.len()))
        .map(|i| ext.loss[i])
        .filter(|l| !l.is_nan())
        .collect();
    let (lo, hi) = fitted
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &l| {
            (a.min(l), b.max(l))
        });
    if fitted.len() > 1 && hi - lo <= 1e-12 * hi.abs() {
        out.warnings.push(format!(
            "the loss is flat in the fitted window (all {} fitted losses are {}): the window \
             does not show how the loss falls, so the law's decay is not determined by it and \
             the forecast holds the flat value{}",
            fitted.len(),
            crate::numbers::num(hi),
            if out.unpinned_decay.is_some() {
                ", moved beyond the window by the decay ahead (said above)"
            } else {
                ""
            }
        ));
    }
    if let Some(w) = rising(&fitted) {
        out.warnings.push(w);
    }
    // probe64 S7: a window of p + 1 points for p parameters leaves one
    // residual: the fit passes nearly through them and tests nothing.
    let n_params = out.params.values().len();
    if out.temporal.is_none() && out.fit_points <= n_params + 1 {
        out.warnings.push(format!(
            "{} points fitted for the {} law's {} parameters: one residual degree of freedom, so \
             the fit passes nearly through them and the window hardly tests the law (its \
             interval leans on what other curves taught); fit on a longer part of the curve",
            out.fit_points, out.method, n_params
        ));
    }
    // Does the law follow the window's end, which the forecast leans on?
    // (`fit`'s end test on the window's ln residuals, in step order.) The
    // temporal law has its own check, against the noise measured across
    // positions (`temporal::TemporalChecks::end_misfit`).
    if out.temporal.is_none() {
        if let Some(w) = window_end(&out.curve_points, until) {
            out.warnings.push(w);
        }
    }
    let before: Vec<String> = at
        .iter()
        .filter(|&&t| t < first)
        .map(|&t| crate::numbers::num(t))
        .collect();
    if !before.is_empty() {
        out.warnings.push(super::backwards_warning(
            &format!(
                "the forecast{} at step{} {}",
                if before.len() == 1 { "" } else { "s" },
                if before.len() == 1 { "" } else { "s" },
                before.join(", ")
            ),
            "the curve's",
            first,
            before.len() > 1,
        ));
    }
    let (pred, truth): (Vec<f64>, Vec<f64>) = out
        .curve_points
        .iter()
        .filter(|p| p.step > until)
        .filter_map(|p| p.observed.map(|o| (p.loss, o)))
        .unzip();
    if !truth.is_empty() {
        out.heldout = Some(accuracy(&pred, &truth));
    }
    Ok(out)
}

/// A schedule-aware law's forecast on a window that does not pin its
/// annealing terms (`d`): the warning that says so (with the annealing
/// parameters left at a bound folded into it) and, with intervals, the
/// hull with the step-only reciprocal law's. For the law named, and for
/// `auto`'s choice where the window holds the decay but not the losses'
/// answer to it.
fn unpinned_annealing(
    o: &mut ForecastOutput,
    method: super::CurveLaw,
    d: &WindowDecay,
    ext: &Curve,
    k: usize,
    req: &Request,
) {
    // said below, with what the intervals do about it
    o.warnings.retain(|w| !w.starts_with(FOLLOWS_UNPINNED));
    // The annealing parameters left at a bound are the unpinned ones this
    // warning is about: named in it, not each in a warning of its own
    // (probe47 7i: four such warnings beside the one that matters).
    let folded: Vec<&str> = annealing_params(method)
        .iter()
        .copied()
        .filter(|p| o.warnings.contains(&bound_warning(p)))
        .collect();
    o.warnings
        .retain(|w| !folded.iter().any(|p| *w == bound_warning(p)));
    // The forecast beyond the window from what the window pins
    // (BENCHMARKS.md, mpf72), the law's own beside it.
    let own = from_step_only(o, ext, k, req, d.answer_ahead());
    o.warnings.insert(
        0,
        format!(
            "the {} law's forecast would depend on its annealing parameters, which this window does not pin: {}{}{}",
            method.name(),
            d.describe(),
            match folded.len() {
                0 => String::new(),
                1 => format!("; {} ended at a bound of its range", folded[0]),
                _ => format!("; {} ended at bounds of their ranges", folded.join(", ")),
            },
            match own {
                Some(p) => format!(
                    "; the forecast beyond the window is the step-only reciprocal law's, moved by the median effect of the decay ahead on other schedules' curves (the law's own at step {}: {:.4}, which follows the unpinned terms{})",
                    crate::numbers::num(p.step),
                    p.loss,
                    if p.loss > 0.0 { "" } else { ", and is not a possible loss" }
                ),
                None => "; the step-only reciprocal law could not be fitted, so the forecast is the law's own and follows those terms: do not rely on it".to_string(),
            }
        ),
    );
}
