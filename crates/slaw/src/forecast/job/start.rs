//! Where a forecast's fit starts: after a logged warmup, for the laws that
//! do not describe one, or at a step the caller names.

use super::{FitUntil, Request};
use crate::forecast::Curve;
use crate::{Error, Result};

/// Fewest rows the window must keep after the warmup for the fit to start
/// there (fewer: the whole window is fitted, as before).
pub const MIN_ROWS_AFTER_WARMUP: usize = 8;

/// The laws whose fit starts after a logged warmup by default: those of
/// the step alone (a warmup's rows follow none of them).
pub const STEP_ONLY: [&str; 3] = ["power", "reciprocal", "log"];

/// A logged rate is a warmup ramp when its first value is at most this
/// share of the peak it rises to.
pub const RAMP_START_SHARE: f64 = 0.5;

/// Where the fit of `curve` starts, for the method named `method`: the
/// step `fit_from` when given, else the end of a warmup the curve logs
/// (its recorded rate rising from at most [`RAMP_START_SHARE`] of its peak
/// to the peak, or the given schedule's warmup) for the step-only laws
/// ([`STEP_ONLY`]); the other methods keep the warmup's rows, with a note
/// (`multipower-warmup` and `temporal` describe it: no note). Returns
/// the curve from that step on, the request with the fit's end as a step
/// (a fraction of the span is of the whole log, as without a start) and
/// a note; the curve and request unchanged, and no note, when the fit
/// starts at the first row.
pub fn fit_start(
    curve: Curve,
    base: &Request,
    method: &str,
    fit_from: Option<f64>,
) -> Result<(Curve, Request, Option<String>)> {
    let (Some(&first), Some(&last)) = (curve.step.first(), curve.step.last()) else {
        return Ok((curve, base.clone(), None));
    };
    base.fit_until.check()?;
    let until = base.fit_until.step(first, last);
    let num = crate::numbers::num;
    let (start, why) = match fit_from {
        Some(s) => {
            if !(s.is_finite() && s >= 0.0) {
                return Err(Error::setting(
                    crate::error::Setting::FitUntil,
                    format!("the first step fitted must be a step >= 0 (got {s})"),
                ));
            }
            if s > until {
                return Err(Error::setting(
                    crate::error::Setting::FitUntil,
                    format!(
                        "the fit would start at step {} after it ends at step {}: nothing to fit",
                        num(s),
                        num(until)
                    ),
                ));
            }
            (s, "the first step fitted, as asked".to_string())
        }
        None => {
            if matches!(method, "multipower-warmup" | "temporal") {
                return Ok((curve, base.clone(), None));
            }
            let Some(end) = warmup_end(&curve, base) else {
                return Ok((curve, base.clone(), None));
            };
            let kept = curve
                .step
                .iter()
                .filter(|&&s| s >= end && s <= until)
                .count();
            if end <= first || kept < MIN_ROWS_AFTER_WARMUP {
                return Ok((curve, base.clone(), None));
            }
            if !STEP_ONLY.contains(&method) {
                // The laws of the summed rate (and auto, which chooses among
                // them here) keep the warmup's rows: a cut measured to bias
                // tissue's exponent (0.456 for a true 0.4 on a test curve).
                let note = format!(
                    "the window starts with a warmup (the learning rate rises to its peak at step {}); its rows are fitted, and the backtests that start inside it widen the intervals: fitting from step {} leaves them out",
                    num(end),
                    num(end)
                );
                return Ok((curve, base.clone(), Some(note)));
            }
            (
                end,
                format!(
                    "the end of the warmup (the learning rate rises to its peak there; the {} \
                     law does not describe a warmup)",
                    if method == "auto" { "chosen" } else { method }
                ),
            )
        }
    };
    let from = curve.step.partition_point(|&s| s < start);
    if from == 0 {
        return Ok((curve, base.clone(), None));
    }
    let note = format!(
        "fitted from step {}, {}: the {} row{} before it are not fitted",
        num(curve.step[from.min(curve.step.len() - 1)]),
        why,
        from,
        if from == 1 { "" } else { "s" }
    );
    let mut c = curve;
    c.step.drain(..from);
    c.loss.drain(..from);
    if let Some(lr) = c.lr.as_mut() {
        lr.drain(..from);
    }
    if c.step.is_empty() {
        return Err(Error::setting(
            crate::error::Setting::FitUntil,
            format!(
                "the fit would start at step {}, after the curve's last step {}",
                num(start),
                num(last)
            ),
        ));
    }
    let req = Request {
        fit_until: FitUntil::Step(until),
        ..base.clone()
    };
    Ok((c, req, Some(note)))
}

/// The step a logged warmup ends at: the given schedule's warmup, or the
/// first step at the peak of the recorded rate's initial rise when it
/// starts at most [`RAMP_START_SHARE`] of that peak. None without either.
fn warmup_end(curve: &Curve, base: &Request) -> Option<f64> {
    if let Some(s) = base.schedule {
        return (s.warmup > 0.0).then_some(s.warmup);
    }
    let lr = curve.lr.as_ref()?;
    let end = curve.decay_start();
    let i = curve.step.iter().position(|&s| s == end)?;
    let peak = lr[i];
    (i > 0 && peak > 0.0 && lr[0] <= RAMP_START_SHARE * peak).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::job::Choice;
    use crate::forecast::prior::Priors;

    fn request() -> Request {
        Request {
            choice: Choice::Auto,
            fit_until: FitUntil::Number(0.5),
            at: vec![],
            schedule: None,
            bootstrap: 0,
            seed: 0,
            level: 0.9,
            priors: Priors::none(),
        }
    }

    /// Rows every 100 steps from 100 to 20000, the rate rising to 3e-4 at 2000.
    fn warmup_curve() -> Curve {
        let step: Vec<f64> = (1..=200).map(|k| 100.0 * k as f64).collect();
        Curve {
            name: "wu".into(),
            lr: Some(step.iter().map(|&s| 3e-4 * (s / 2000.0).min(1.0)).collect()),
            loss: step
                .iter()
                .map(|&s| 3.0 + 2.0 / (1.0 + s / 3000.0))
                .collect(),
            step,
            schedule: None,
            untrained: vec![],
        }
    }

    #[test]
    fn the_fit_starts_at_the_warmups_end_except_for_laws_that_describe_it() {
        let (c, req, note) = fit_start(warmup_curve(), &request(), "power", None).unwrap();
        assert_eq!(c.step[0], 2000.0);
        assert_eq!(c.step.len(), 200 - 19);
        assert_eq!(c.lr.as_ref().unwrap().len(), c.step.len());
        // The fit's end stays half the whole log's span: 100 + 0.5 * 19900.
        assert_eq!(req.fit_until, FitUntil::Step(10050.0));
        assert!(note
            .unwrap()
            .starts_with("fitted from step 2000, the end of the warmup"));
        for m in ["multipower-warmup", "temporal"] {
            let (c, _, note) = fit_start(warmup_curve(), &request(), m, None).unwrap();
            assert_eq!((c.step.len(), note), (200, None));
        }
        // The laws of the summed rate, and auto, keep the rows, with a note.
        for m in ["multipower", "tissue", "auto"] {
            let (c, req, note) = fit_start(warmup_curve(), &request(), m, None).unwrap();
            assert_eq!(c.step.len(), 200);
            assert_eq!(req.fit_until, FitUntil::Number(0.5));
            assert!(note
                .unwrap()
                .starts_with("the window starts with a warmup (the learning rate rises to its peak at step 2000)"));
        }
        // A named first step applies to every law.
        let (c, _, note) =
            fit_start(warmup_curve(), &request(), "multipower-warmup", Some(500.0)).unwrap();
        assert_eq!(c.step[0], 500.0);
        assert!(note.unwrap().contains("as asked"));
        assert!(fit_start(warmup_curve(), &request(), "power", Some(15000.0)).is_err());
    }

    #[test]
    fn no_ramp_no_start() {
        let mut c = warmup_curve();
        c.lr = Some(vec![3e-4; 200]);
        let (c, req, note) = fit_start(c, &request(), "power", None).unwrap();
        assert_eq!((c.step.len(), note), (200, None));
        assert_eq!(req.fit_until, FitUntil::Number(0.5));
    }
}
