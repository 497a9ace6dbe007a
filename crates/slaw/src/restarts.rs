//! Logs that restart: a resumed run logs again from the step of its
//! checkpoint, so its step goes back and then increases. Both readers keep
//! the later records at the steps logged twice and drop the earlier run's
//! records from the restart step on (what TensorBoard itself does with the
//! "orphaned" records of a restarted run), and say so in the same words.

use crate::numbers::num;

/// Copies of a step's value "disagree by much more than the noise" when the
/// median |earlier - later| over the re-logged steps is above this many
/// times the median |change| between consecutive kept values.
pub const DISAGREE_FACTOR: f64 = 3.0;

/// One restart of a log: the step it resumes at, the last step logged
/// before it, and the file row it starts at (None for an event file).
#[derive(Debug, Clone, PartialEq)]
pub struct Restart {
    /// The first step after the restart.
    pub step: f64,
    /// The step logged just before it.
    pub after: f64,
    /// The file row (line) of the restart, for a text file.
    pub row: Option<usize>,
    /// `row` counts the records of a JSON array, not lines ("record N").
    pub record: bool,
}

/// Where a sequence of steps (in the order logged) restarts: the indexes `i`
/// with `steps[i] < steps[i - 1]` whose following steps increase, strictly,
/// up to at least `steps[i - 1]` (or to the end of the log), and that lie
/// above the first step (a log starting again from its beginning is two
/// runs, not a resumed one), and that log again at least one step logged
/// before (a row merely out of order does not). `Err(i)`: a step going back at `i` that is not
/// such a restart (rows out of order, or two runs in one log).
pub fn find(steps: &[f64]) -> Result<Vec<usize>, usize> {
    let mut out = Vec::new();
    let Some(&first) = steps.first() else {
        return Ok(out);
    };
    for i in 1..steps.len() {
        let (s, before) = (steps[i], steps[i - 1]);
        if s >= before {
            continue;
        }
        if s <= first {
            return Err(i);
        }
        // The rows after the restart increase until they pass the step
        // before it (or the log ends).
        let mut prev = s;
        let mut ok = true;
        for &t in &steps[i + 1..] {
            if prev >= before {
                break;
            }
            if t <= prev {
                ok = false;
                break;
            }
            prev = t;
        }
        // ... and log again at least one step the earlier rows logged (a
        // resumed run logs at the steps it logged before; a row merely out
        // of order does not).
        let earlier: std::collections::HashSet<u64> = steps[..i]
            .iter()
            .rev()
            .take_while(|&&t| t >= s)
            .map(|t| t.to_bits())
            .collect();
        let again = steps[i..]
            .iter()
            .take_while(|&&t| t <= before)
            .any(|t| earlier.contains(&t.to_bits()));
        if !ok || !again {
            return Err(i);
        }
        out.push(i);
    }
    Ok(out)
}

/// A column's copies of the steps logged twice: its name, the (earlier,
/// later) values, and the kept column's values in step order (its noise).
pub type Copies = (String, Vec<(f64, f64)>, Vec<f64>);

/// What was done with the records of a log that restarts.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    /// The restarts, in order.
    pub restarts: Vec<Restart>,
    /// Steps logged before a restart and again after it: the later kept.
    pub twice: usize,
    /// Steps logged only before a restart, at or past its step: dropped
    /// (the resumed run's own records replace that part).
    pub orphaned: usize,
    /// Per column (its name), the (earlier, later) values of the steps
    /// logged twice, and the kept column's values in step order (its noise).
    pub copies: Vec<Copies>,
}

impl Merged {
    /// The warning, when the log restarts: "N steps logged twice (a restart
    /// at step S?): the later records kept", and what else was dropped or
    /// disagrees.
    pub fn note(&self) -> Option<String> {
        let first = self.restarts.first()?;
        let at = |r: &Restart| match r.row {
            Some(row) => format!(
                "{} {row} (step {} after {})",
                if r.record { "record" } else { "row" },
                num(r.step),
                num(r.after)
            ),
            None => format!("step {}", num(r.step)),
        };
        let where_ = match (self.restarts.len(), first.row) {
            (1, None) => format!("a restart at {}?", at(first)),
            (_, None) => {
                let all: Vec<String> = self.restarts.iter().map(at).collect();
                format!("restarts at {}?", all.join(", "))
            }
            _ => {
                let all: Vec<String> = self.restarts.iter().map(at).collect();
                format!("the log restarts at {}: a resumed run?", all.join(", "))
            }
        };
        let mut s = format!(
            "{} step{} logged twice ({where_}): the later records kept",
            self.twice,
            if self.twice == 1 { "" } else { "s" }
        );
        if self.orphaned > 0 {
            s += &format!(
                "; {} step{} logged only before the restart, past its step, dropped (the resumed run's records replace them)",
                self.orphaned,
                if self.orphaned == 1 { "" } else { "s" }
            );
        }
        for (column, pairs, kept) in &self.copies {
            if let Some((d, noise)) = disagreement(pairs, kept) {
                s += &format!(
                    "; the two copies of a step disagree in '{column}': by {} in the median, {:.0}x the curve's step-to-step change ({}): is the later log the same run?",
                    crate::numbers::short(d),
                    d / noise,
                    crate::numbers::short(noise)
                );
            }
        }
        Some(s)
    }
}

/// The median |earlier - later| of the copies and the median |change|
/// between consecutive kept values, when the first is more than
/// [`DISAGREE_FACTOR`] times the second.
pub fn disagreement(pairs: &[(f64, f64)], kept: &[f64]) -> Option<(f64, f64)> {
    let d: Vec<f64> = pairs
        .iter()
        .map(|(a, b)| (a - b).abs())
        .filter(|x| x.is_finite())
        .collect();
    let changes: Vec<f64> = kept
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .filter(|x| x.is_finite())
        .collect();
    if d.is_empty() || changes.is_empty() {
        return None;
    }
    let d = crate::stats::median(d);
    let noise = crate::stats::median(changes);
    (d > DISAGREE_FACTOR * noise && d > 0.0).then_some((d, noise.max(f64::MIN_POSITIVE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resumed_log_restarts_and_a_shuffled_one_does_not() {
        // logged to 12, resumed at 10 and on to 20
        let s = [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 10.0, 11.0, 12.0, 14.0, 20.0];
        assert_eq!(find(&s), Ok(vec![6]));
        // a crash before the earlier end, then the end of the log: a restart
        assert_eq!(find(&[2.0, 4.0, 6.0, 8.0, 4.0, 6.0]), Ok(vec![4]));
        // one row out of order (no step logged again): not a restart
        assert_eq!(find(&[100.0, 200.0, 150.0, 400.0]), Err(2));
        // two restarts
        assert_eq!(
            find(&[1.0, 2.0, 3.0, 4.0, 3.0, 4.0, 5.0, 6.0, 5.0, 6.0, 7.0]),
            Ok(vec![4, 8])
        );
        // out of order: going back and not increasing past the earlier step
        assert_eq!(find(&[1.0, 2.0, 5.0, 3.0, 4.0, 2.5, 6.0]), Err(3));
        // back to the first step: two runs in one log
        assert_eq!(find(&[1.0, 2.0, 3.0, 1.0, 2.0, 3.0]), Err(3));
        assert_eq!(find(&[1.0, 2.0, 3.0]), Ok(vec![]));
    }

    #[test]
    fn copies_disagree_only_beyond_the_noise() {
        let kept: Vec<f64> = (0..20).map(|i| 3.0 - 0.01 * i as f64).collect();
        // copies 0.002 apart, changes of 0.01: agree
        assert!(disagreement(&[(2.9, 2.902), (2.89, 2.892)], &kept).is_none());
        // copies 1.0 apart: disagree
        let (d, noise) = disagreement(&[(2.9, 3.9), (2.89, 3.89)], &kept).unwrap();
        assert!((d - 1.0).abs() < 1e-9 && (noise - 0.01).abs() < 1e-9);
    }

    #[test]
    fn the_note_names_the_count_and_the_restart() {
        let m = Merged {
            restarts: vec![Restart {
                step: 10096.0,
                after: 11888.0,
                row: None,
                record: false,
            }],
            twice: 15,
            orphaned: 0,
            copies: vec![],
        };
        assert_eq!(
            m.note().unwrap(),
            "15 steps logged twice (a restart at step 10096?): the later records kept"
        );
        assert!(Merged::default().note().is_none());
    }
}
