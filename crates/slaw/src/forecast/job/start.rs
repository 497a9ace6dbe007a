//! Where a forecast's fit starts: after a logged warmup, for the laws that
//! do not describe one, or at a step the caller names. The rows before it
//! leave the fit only: their rates stay on the curve's rate path
//! (`Curve::lead`), so a schedule-aware law reads the same summed rate,
//! annealing terms and drops at the rows it fits.

use super::{FitUntil, Request};
use crate::forecast::Curve;
use crate::{Error, Result};

/// Fewest rows the window must keep after the warmup for the fit to start
/// there (fewer: the whole window is fitted, as before).
pub const MIN_ROWS_AFTER_WARMUP: usize = 8;

/// The methods whose fit starts after a logged warmup by default: every
/// law but those that describe a warmup (`multipower-warmup`, `temporal`).
/// The step-only laws follow no warmup; `tissue` and `multipower` read the
/// whole log's rates whatever rows are fitted, and the backtests that
/// start inside a warmup widen every law's interval (BENCHMARKS.md,
/// warm55).
pub const CUT_AFTER_WARMUP: [&str; 6] =
    ["power", "reciprocal", "log", "tissue", "multipower", "auto"];

pub use crate::forecast::curve::RAMP_START_SHARE;

/// Where the fit of `curve` starts, for the method named `method`: the
/// step `fit_from` when given, else the end of a warmup the curve logs
/// (its recorded rate rising from at most [`RAMP_START_SHARE`] of its peak
/// to the peak, or the given schedule's warmup) for the methods of
/// [`CUT_AFTER_WARMUP`]; `multipower-warmup` and `temporal` describe it and
/// keep its rows (any other name keeps them too, with a note). Returns
/// the curve from that step on (the rows before it in `Curve::lead`: on
/// the rate path, not fitted), the request with the fit's end as a step
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
            if !CUT_AFTER_WARMUP.contains(&method) {
                // A law of its own (none now): the warmup's rows are kept,
                // with a note.
                let note = format!(
                    "the window starts with a warmup (the learning rate rises to its peak at step {}); its rows are fitted, and the backtests that start inside it widen the intervals: fitting from step {} leaves them out",
                    num(end),
                    num(end)
                );
                return Ok((curve, base.clone(), Some(note)));
            }
            (
                end,
                match method {
                    "tissue" | "multipower" | "auto" => "the end of the warmup (the learning rate \
                         rises to its peak there; its rows still count in the summed learning rate)"
                        .to_string(),
                    _ => format!(
                        "the end of the warmup (the learning rate rises to its peak there; the {method} \
                         law does not describe a warmup)"
                    ),
                },
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
    let steps: Vec<f64> = c.step.drain(..from).collect();
    c.loss.drain(..from);
    if let Some(lr) = c.lr.as_mut() {
        // The rows leave the fit, not the rate path.
        c.lead.extend(steps.into_iter().zip(lr.drain(..from)));
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
/// end of the recorded rate's initial rise (`Curve::logged_warmup_end`).
/// None without either.
fn warmup_end(curve: &Curve, base: &Request) -> Option<f64> {
    if let Some(s) = base.schedule {
        return (s.warmup > 0.0).then_some(s.warmup);
    }
    curve.logged_warmup_end()
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
            lead: vec![],
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
        // The laws of the summed rate, and auto, start there too; the rows
        // leave the fit, not the rate path: at the rows fitted, the summed
        // rate, the annealing area and the drops are the whole log's.
        let whole = warmup_curve();
        let all = whole.features().unwrap();
        let close = |a: &[f64], b: &[f64]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1e-300))
        };
        for m in ["multipower", "tissue", "auto"] {
            let (c, req, note) = fit_start(warmup_curve(), &request(), m, None).unwrap();
            assert_eq!((c.step[0], c.lead.len()), (2000.0, 19));
            assert_eq!(c.lead[0], (100.0, 3e-4 * 100.0 / 2000.0));
            assert_eq!(req.fit_until, FitUntil::Step(10050.0));
            assert!(note
                .unwrap()
                .contains("its rows still count in the summed learning rate"));
            assert_eq!(c.warmup_end(), whole.warmup_end());
            assert_eq!(c.warmup_end(), 2000.0);
            let f = c.features().unwrap();
            assert!(close(&f.s1, &all.s1[19..]), "{m}: S1");
            assert!(close(&f.s2, &all.s2[19..]), "{m}: S2");
            let d =
                |v: &[(f64, f64, f64)]| v.iter().flat_map(|t| [t.0, t.1, t.2]).collect::<Vec<_>>();
            assert!(close(&d(&f.drops), &d(&all.drops)), "{m}: drops");
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
