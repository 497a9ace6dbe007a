//! Loss curves (step, optional learning rate, loss) and the learning-rate
//! features the schedule-aware laws use.

use super::drops::{ln_rate, Block, DropTree};
use super::schedule::{Decay, Kind, Schedule};
use crate::table::Table;
use crate::{Error, Result};
use std::path::Path;

/// One loss curve: the loss (and the learning rate, when known) at increasing steps.
#[derive(Debug, Clone)]
pub struct Curve {
    /// The curve's name (the file's, or the run's).
    pub name: String,
    /// Steps, increasing.
    pub step: Vec<f64>,
    /// The learning rate at each step, when recorded.
    pub lr: Option<Vec<f64>>,
    /// The loss; NaN at steps added to forecast past the observed curve.
    pub loss: Vec<f64>,
    /// A schedule given by the user: the learning rate at every step comes
    /// from it rather than from interpolating `lr`.
    pub schedule: Option<Schedule>,
    /// Steps of the rows skipped at the start of the curve because the
    /// learning rate recorded there, and at every row before, is 0: no step
    /// had trained by the recorded rates (the summed rate S1 is 0 there,
    /// where a law of S1 has no finite loss). The rate is 0 up to the last
    /// of them, then linear to the first point; empty: it rises from 0 at
    /// step 0.
    pub untrained: Vec<f64>,
    /// The (step, recorded rate) of rows before the first point that a fit
    /// starting later left out (`forecast::fit_start`, after a logged
    /// warmup): they stay knots of the rate path, so that the summed rate,
    /// the annealing terms and the warmup a schedule-aware law reads are
    /// those of the whole log, whichever rows are fitted. Empty: none.
    pub lead: Vec<(f64, f64)>,
}

/// Per-point learning-rate features of a curve.
#[derive(Debug, Clone)]
pub struct Features {
    /// S1: the learning rate summed over every step up to the point
    /// (warmup included), the "forward area".
    pub s1: Vec<f64>,
    /// Tissue et al.'s annealing area S2 = sum of m_i, m_i = lambda m_{i-1} + (eta_{i-1} - eta_i).
    pub s2: Vec<f64>,
    /// The learning-rate decreases, in order: (decrease, lr after it, S1 at
    /// its start); a gradual decrease as `SUB_DROPS` sub-drops per linear
    /// segment, a jump as one.
    pub drops: Vec<(f64, f64, f64)>,
    /// Number of drops at or before each point.
    pub drops_upto: Vec<usize>,
    /// The drops grouped for the multi-power law's sum.
    pub tree: DropTree,
    /// The warmup's steps as terms of the drop sum (`warmup::nodes`), for
    /// the warmup-aware multi-power law: point i uses
    /// `warm[warm_range[i].0..warm_range[i].1]`.
    pub warm: Vec<super::warmup::Node>,
    /// Per point: the range of `warm` its drop sum uses.
    pub warm_range: Vec<(u32, u32)>,
    /// ln(learning rate) of each block of `tree` that some point's drop
    /// sum reads (`DropTree::visited`), in the tree's flat order: the
    /// multi-power law computes its per-block factors for these only.
    pub visited_ln_eta: Vec<f64>,
    /// Per block of `tree` (flat index): its position in `visited_ln_eta`
    /// (`u32::MAX` for a block no point reads).
    pub visited_slot: Vec<u32>,
}

/// A run's name and its curve, with where it diverged
/// ([`Curve::runs_diverged`]), or why it cannot be read.
pub type DivergedRun = (String, Result<(Curve, Option<Divergence>)>);

/// Where a run's loss turned NaN or inf (a diverged run's log).
#[derive(Debug)]
pub struct Divergence {
    /// The step of the first row whose loss is not finite.
    pub step: f64,
    /// That row's line in the file.
    pub line: usize,
    /// Its loss as written ("nan", "inf").
    pub text: String,
    /// The error that refuses the run (where it diverged inside the fitted
    /// window).
    pub error: Error,
}

/// What [`LrPath::features_for`] builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Everything: the areas, the drops, their tree and the blocks the
    /// points read (`visited_*`: a fit's batch evaluations).
    Fit,
    /// The areas and the drop tree, for predictions (`value_at`,
    /// `values_many_at`): no `drops` list (the tree's lowest level holds
    /// them) and no `visited_*` (the multi-power law's batch evaluation
    /// then computes every block's factor).
    Predict,
    /// The areas S1, S2 and the drop counts only (a law without the drop
    /// sum: `tissue`): no drops, no tree.
    Areas,
}

/// 4-point Gauss-Legendre nodes and weights on [-1, 1]: where a linear
/// decrease of the rate is placed as drops.
const SUB_DROPS: [(f64, f64); 4] = [
    (-0.861_136_311_594_052_6, 0.347_854_845_137_453_9),
    (-0.339_981_043_584_856_3, 0.652_145_154_862_546_1),
    (0.339_981_043_584_856_3, 0.652_145_154_862_546_1),
    (0.861_136_311_594_052_6, 0.347_854_845_137_453_9),
];

/// A recorded rate is a warmup ramp when its first value is at most this
/// share of the peak it rises to.
pub const RAMP_START_SHARE: f64 = 0.5;

/// Learning-rate columns found without being named: ours, and the names of
/// Hugging Face's `log_history` and of W&B exports.
pub const LR_COLUMNS: [&str; 3] = ["lr", "learning_rate", "train/learning_rate"];
/// Training-loss columns found when the default `loss` is absent.
pub const LOSS_COLUMNS: [&str; 2] = ["train/loss", "train_loss"];

/// Tissue et al.'s momentum factor (they report 0.99 to 0.999).
pub const TISSUE_LAMBDA: f64 = 0.999;

/// An error naming the file and the column when the learning rate read
/// from `column` is 0 at every point (`lr`, non-empty): no step of such a
/// run trains, so the column is not the run's rate (a rate printed rounded
/// to 0, a placeholder). A schedule-aware law cannot fit it (its objective
/// is not finite) and `auto` would try one; reading it as an absent column
/// would hide a broken log. As an empty column, it is refused whatever the
/// law, and the message says how to forecast without it.
pub(crate) fn check_not_all_zero(t: &Table, column: &str, lr: &[f64]) -> Result<()> {
    if lr.is_empty() || lr.iter().any(|&v| v != 0.0) {
        return Ok(());
    }
    Err(Error::input(
        &t.source,
        None,
        Some(column),
        format!(
            "the learning rate is 0 at every one of the {} points read: no step of the run would train, so this is not the run's rate (a rate printed rounded to 0?); give it in full precision, or rename the column to forecast without the learning rate",
            lr.len()
        ),
    ))
}

impl Curve {
    /// Read `step`, `loss` and, when present, `lr` columns.
    pub fn read(
        path: &Path,
        step_col: &str,
        loss_col: &str,
        lr_col: Option<&str>,
    ) -> Result<Curve> {
        let mut v = Self::read_runs(path, step_col, loss_col, lr_col, None)?;
        Ok(v.remove(0))
    }

    /// Read one curve per value of `run_col` (in order of first appearance),
    /// or a single curve named after the file without it.
    pub fn read_runs(
        path: &Path,
        step_col: &str,
        loss_col: &str,
        lr_col: Option<&str>,
        run_col: Option<&str>,
    ) -> Result<Vec<Curve>> {
        let t = Table::read(path)?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("curve")
            .to_string();
        Self::runs_from_table(&t, &stem, step_col, loss_col, lr_col, run_col)
    }

    /// [`Curve::read_runs`] from a table already read (or built in memory);
    /// without `run_col` the single curve is named `name`.
    pub fn runs_from_table(
        t: &Table,
        name: &str,
        step_col: &str,
        loss_col: &str,
        lr_col: Option<&str>,
        run_col: Option<&str>,
    ) -> Result<Vec<Curve>> {
        Self::runs_from_table_each(t, name, step_col, loss_col, lr_col, run_col)?
            .into_iter()
            .map(|(_, c)| c)
            .collect()
    }

    /// [`Curve::runs_from_table`], but a run too short to forecast is not an
    /// error of the whole table: it comes back as its name and the reason.
    /// Bad values (a step that goes back, a loss <= 0) stay errors, and every
    /// run's values are checked before any length.
    pub fn runs_from_table_each(
        t: &Table,
        name: &str,
        step_col: &str,
        loss_col: &str,
        lr_col: Option<&str>,
        run_col: Option<&str>,
    ) -> Result<Vec<(String, Result<Curve>)>> {
        let run_col = run_col.or(t.run_column.as_deref());
        let several = Self::run_rows(t, name, run_col)?.len() > 1;
        Self::runs_diverged(t, name, step_col, loss_col, lr_col, run_col)?
            .into_iter()
            .map(|(name, r)| match r {
                Ok((_, Some(d))) if several => Ok((name, Err(d.error))),
                Ok((_, Some(d))) => Err(d.error),
                Ok((c, None)) => Ok((name, Ok(c))),
                Err(e) => Ok((name, Err(e))),
            })
            .collect()
    }

    /// [`Curve::runs_from_table_each`], but a run whose loss reads as NaN
    /// or inf from some row on (a diverged run) comes back as its curve up
    /// to that row, the later rows' steps added with an unknown (NaN) loss,
    /// and where it diverged ([`Divergence`], with the error that refuses
    /// the run): the caller forecasts it when it diverged after the fitted
    /// window, and refuses it (that error) when inside.
    pub fn runs_diverged(
        t: &Table,
        name: &str,
        step_col: &str,
        loss_col: &str,
        lr_col: Option<&str>,
        run_col: Option<&str>,
    ) -> Result<Vec<DivergedRun>> {
        // A TensorBoard log directory of several runs: a curve per run.
        let run_col = run_col.or(t.run_column.as_deref());
        let groups = Self::run_rows(t, name, run_col)?;
        if groups.is_empty() {
            return Err(Error::input(&t.source, None, None, "no rows"));
        }
        let several = groups.len() > 1;
        groups
            .into_iter()
            .map(|(name, rows)| {
                match Self::diverged_curve(
                    t, &rows, &name, step_col, loss_col, lr_col, run_col, several,
                ) {
                    Some(Ok(d)) => return Ok((name, Ok(d))),
                    // Not read from its clean rows: refused as before.
                    Some(Err(e)) if several => return Ok((name, Err(e))),
                    Some(Err(e)) => return Err(e),
                    None => {}
                }
                // A step that does not increase within a run named by a
                // run column: two runs share its key, or its rows are out
                // of order; among several runs that run is not forecast.
                if run_col.is_some() {
                    if let Some(e) = Self::steps_not_increasing(t, &rows, &name, step_col, loss_col)
                    {
                        if several {
                            return Ok((name, Err(e)));
                        }
                        return Err(e);
                    }
                }
                let c = Self::from_rows(t, &rows, name, step_col, loss_col, lr_col)?;
                let enough = c.long_enough(t, several);
                Ok((c.name.clone(), enough.map(|()| (c, None))))
            })
            .collect()
    }

    /// A run of `rows` with a loss that reads as NaN or inf (a diverged
    /// run's log): None when it has none; else the curve of its rows before
    /// the first such row, with the steps of the later rows added at an
    /// unknown (NaN) loss, and where it diverged; or, when its clean rows
    /// do not make a curve (too few, a bad value), the error that refuses
    /// the run as a diverged run.
    #[allow(clippy::too_many_arguments)]
    fn diverged_curve(
        t: &Table,
        rows: &[usize],
        name: &str,
        step_col: &str,
        loss_col: &str,
        lr_col: Option<&str>,
        run_col: Option<&str>,
        several: bool,
    ) -> Option<Result<(Curve, Option<Divergence>)>> {
        let li = Self::loss_index(t, loss_col)?;
        let at = rows
            .iter()
            .position(|&r| Self::reads_non_finite(t, r, li))?;
        let r = rows[at];
        let error = if several {
            Self::non_finite_loss(t, rows, loss_col)?
        } else {
            match t.number(r, li) {
                Err(e) => e,
                Ok(_) => return None,
            }
        };
        // Diverged: no finite loss after it (a lone NaN among finite
        // losses is a bad cell, refused as before).
        if !rows[at..]
            .iter()
            .all(|&q| t.is_empty_cell(q, li) || Self::reads_non_finite(t, q, li))
        {
            return Some(Err(error));
        }
        let Some(step) = t
            .column_index(step_col)
            .ok()
            .and_then(|si| t.number(r, si).ok())
        else {
            return Some(Err(error));
        };
        let clean = &rows[..at];
        if run_col.is_some()
            && Self::steps_not_increasing(t, clean, name, step_col, loss_col).is_some()
        {
            return Some(Err(error));
        }
        let Ok(mut c) = Self::from_rows(t, clean, name.to_string(), step_col, loss_col, lr_col)
        else {
            return Some(Err(error));
        };
        if c.long_enough(t, several).is_err() || c.step.last().is_none_or(|&s| s >= step) {
            return Some(Err(error));
        }
        // The later rows' steps (while they increase), the loss unknown
        // there: the run's logged span, and its last step the default
        // forecast step, are the log's.
        let si = t.column_index(step_col).ok()?;
        let ri = c.lr.as_ref().and_then(|_| match lr_col {
            Some(col) => t.column_index(col).ok(),
            None => t.lr_column_found(li),
        });
        for &q in &rows[at..] {
            if t.is_empty_cell(q, li) {
                continue;
            }
            let Ok(s) = t.number(q, si) else { break };
            if c.step.last().is_some_and(|&p| s <= p) {
                break;
            }
            if let Some(v) = c.lr.as_mut() {
                let prev = v.last().copied().unwrap_or(0.0);
                let lr = ri
                    .and_then(|i| t.number(q, i).ok())
                    .filter(|&l| l >= 0.0)
                    .unwrap_or(prev);
                v.push(lr);
            }
            c.step.push(s);
            c.loss.push(f64::NAN);
        }
        Some(Ok((
            c,
            Some(Divergence {
                step,
                line: t.line(r),
                text: t.text(r, li).trim().to_string(),
                error,
            }),
        )))
    }

    /// Whether cell (`r`, `li`) reads as a number that is not finite (NaN,
    /// inf): a cell that reads as a finite number (the common case, read
    /// once by [`Table::number`]) is not parsed again.
    fn reads_non_finite(t: &Table, r: usize, li: usize) -> bool {
        let cell = t.text(r, li).trim();
        !cell.is_empty()
            && t.number(r, li).is_err()
            && cell.parse::<f64>().is_ok_and(|v| !v.is_finite())
    }

    /// The first of `rows` whose loss reads as a number that is not finite
    /// (NaN, inf: a diverged run's log), as the error that skips its run.
    fn non_finite_loss(t: &Table, rows: &[usize], loss_col: &str) -> Option<Error> {
        let li = Self::loss_index(t, loss_col)?;
        let r = rows
            .iter()
            .copied()
            .find(|&r| Self::reads_non_finite(t, r, li))?;
        Some(t.name_rows(Error::input(
            &t.source,
            Some(t.line(r)),
            Some(&t.columns[li]),
            format!(
                "'{}' is not a finite number (a diverged run?): the run is not forecast",
                t.text(r, li).trim()
            ),
        )))
    }

    /// The first of a run's `rows` (with a loss, past step 0) whose step
    /// is not above the previous one's, as the error of a run named by a
    /// run column: it names the run and both rows. None when the steps
    /// increase, or a step does not read as a number (`from_rows` says so).
    fn steps_not_increasing(
        t: &Table,
        rows: &[usize],
        run: &str,
        step_col: &str,
        loss_col: &str,
    ) -> Option<Error> {
        let si = t.column_index(step_col).ok()?;
        let li = Self::loss_index(t, loss_col)?;
        let restarted = Self::restart_rows(t, rows, si, li).map(|(kept, _)| kept);
        let rows = restarted.as_deref().unwrap_or(rows);
        let mut prev: Option<(f64, usize)> = None;
        for &r in rows {
            if t.is_empty_cell(r, li) {
                continue;
            }
            let s = t.number(r, si).ok()?;
            if s == 0.0 {
                continue;
            }
            if let Some((p, pr)) = prev {
                if s <= p {
                    let why = if s == p {
                        "two rows at one step"
                    } else {
                        "a step below an earlier one"
                    };
                    return Some(t.name_rows(Error::input(
                        &t.source,
                        Some(t.line(r)),
                        Some(step_col),
                        format!(
                            "run '{run}': steps must increase ({s} follows {p} of {} {}): {why} — two runs share this run's key (add the column that tells them apart to the run columns), or its rows are out of order (sort them by step); the run is not forecast",
                            t.row_noun(),
                            t.line(pr)
                        ),
                    )));
                }
            }
            prev = Some((s, r));
        }
        None
    }

    /// The rows of each run (`run_col`: one column or several separated by
    /// commas), in order of first appearance; every row, named `name`,
    /// without it.
    pub(crate) fn run_rows(
        t: &Table,
        name: &str,
        run_col: Option<&str>,
    ) -> Result<Vec<(String, Vec<usize>)>> {
        let stem = name.to_string();
        // A TensorBoard log directory of several runs: a curve per run.
        Ok(match run_col.or(t.run_column.as_deref()) {
            None => vec![(stem, (0..t.len()).collect())],
            Some(c) => {
                // One column, or several separated by commas: a run is one
                // combination of their values ("misfitting_35m/0.002").
                let cols = c
                    .split(',')
                    .map(|name| t.column_index(name.trim()))
                    .collect::<Result<Vec<usize>>>()?;
                let mut g: Vec<(String, Vec<usize>)> = Vec::new();
                let mut index: std::collections::HashMap<String, usize> =
                    std::collections::HashMap::new();
                for r in 0..t.len() {
                    // A row without a run name would make a run called ""
                    // (as `fit --group` refuses a blank group).
                    if cols.iter().all(|&ci| t.text(r, ci).trim().is_empty()) {
                        return Err(t.name_rows(Error::input(
                            &t.source,
                            Some(t.line(r)),
                            Some(&t.columns[cols[0]]),
                            "empty cell: every row needs the name of its run",
                        )));
                    }
                    let key = cols
                        .iter()
                        .map(|&ci| t.text(r, ci))
                        .collect::<Vec<_>>()
                        .join("/");
                    match index.get(&key) {
                        Some(&k) => g[k].1.push(r),
                        None => {
                            index.insert(key.clone(), g.len());
                            g.push((key, vec![r]));
                        }
                    }
                }
                g
            }
        })
    }

    /// The rows of each run (by its name, as `runs_from_table_each` names
    /// it) that have a step but an empty loss and no other value than the
    /// step, the learning rate and the run: a missing loss, skipped like a
    /// row of a sparse log that logged another metric, but said (by the
    /// caller) since it is not one. Table row indexes.
    pub fn missing_losses(
        t: &Table,
        name: &str,
        step_col: &str,
        loss_col: &str,
        lr_col: Option<&str>,
        run_col: Option<&str>,
    ) -> Result<Vec<(String, Vec<usize>)>> {
        let (Ok(si), Some(li)) = (t.column_index(step_col), Self::loss_index(t, loss_col)) else {
            return Ok(vec![]);
        };
        let mut quiet = vec![si, li];
        let lri = match lr_col {
            Some(l) => t.columns.iter().position(|c| c == l),
            None => t.lr_column_found(li),
        };
        quiet.extend(
            t.columns
                .iter()
                .enumerate()
                .filter(|(i, c)| {
                    Some(*i) == lri
                        || (lr_col.is_none() && LR_COLUMNS.contains(&c.as_str()))
                        || run_col.is_some_and(|r| r.split(',').any(|n| n.trim() == c.as_str()))
                })
                .map(|(i, _)| i),
        );
        Ok(Self::run_rows(t, name, run_col)?
            .into_iter()
            .map(|(run, rows)| {
                let gaps = rows
                    .into_iter()
                    .filter(|&r| {
                        t.is_empty_cell(r, li)
                            && !t.is_empty_cell(r, si)
                            && (0..t.columns.len())
                                .all(|c| quiet.contains(&c) || t.is_empty_cell(r, c))
                    })
                    .collect();
                (run, gaps)
            })
            .filter(|(_, g): &(String, Vec<usize>)| !g.is_empty())
            .collect())
    }

    /// The rows of each run (named as `runs_from_table_each` names it) at
    /// step 0 with a loss: the loss before training, skipped by the reader.
    /// Table row indexes.
    pub fn at_step_zero(
        t: &Table,
        name: &str,
        step_col: &str,
        loss_col: &str,
        run_col: Option<&str>,
    ) -> Result<Vec<(String, Vec<usize>)>> {
        let (Ok(si), Some(li)) = (t.column_index(step_col), Self::loss_index(t, loss_col)) else {
            return Ok(vec![]);
        };
        Ok(Self::run_rows(t, name, run_col)?
            .into_iter()
            .map(|(run, rows)| {
                let zero = rows
                    .into_iter()
                    .filter(|&r| {
                        !t.is_empty_cell(r, li)
                            && t.number(r, si).is_ok_and(|s| s == 0.0)
                            && t.number(r, li).is_ok_and(|l| l > 0.0)
                    })
                    .collect();
                (run, zero)
            })
            .filter(|(_, z): &(String, Vec<usize>)| !z.is_empty())
            .collect())
    }

    /// The loss column's index: `loss_col`, or for the default name a
    /// training-loss column of a Hugging Face or W&B log
    /// ([`Table::loss_column`]).
    fn loss_index(t: &Table, loss_col: &str) -> Option<usize> {
        t.loss_column(loss_col).ok()
    }

    /// The rows of a run (`rows`, table row indexes) kept when its log
    /// restarts (a resumed run logging again from its checkpoint: a step
    /// going back, then increasing past the step before it;
    /// [`crate::restarts::find`]): the earlier rows at the restart's step
    /// and later are dropped, the later kept, and what was done. None when
    /// the log does not restart, or a step does not read as a number (the
    /// reader says so).
    pub fn restart_rows(
        t: &Table,
        rows: &[usize],
        si: usize,
        li: usize,
    ) -> Option<(Vec<usize>, crate::restarts::Merged)> {
        // The rows with a loss, past the loss before training (step 0).
        let mut entries: Vec<(usize, f64)> = Vec::new();
        for &r in rows {
            if t.is_empty_cell(r, li) {
                continue;
            }
            let s = t.number(r, si).ok()?;
            if s == 0.0 && t.number(r, li).is_ok_and(|l| l > 0.0) {
                continue;
            }
            entries.push((r, s));
        }
        let steps: Vec<f64> = entries.iter().map(|e| e.1).collect();
        let at = crate::restarts::find(&steps).ok()?;
        if at.is_empty() {
            return None;
        }
        let loss = |r: usize| t.number(r, li).unwrap_or(f64::NAN);
        let mut merged = crate::restarts::Merged::default();
        let mut kept: Vec<(usize, f64)> = Vec::new();
        let mut removed: Vec<(f64, f64)> = Vec::new();
        let mut pairs = Vec::new();
        for (i, &(r, s)) in entries.iter().enumerate() {
            if at.contains(&i) {
                merged.restarts.push(crate::restarts::Restart {
                    step: s,
                    after: entries[i - 1].1,
                    row: Some(t.line(r)),
                    record: t.records,
                });
                while kept.last().is_some_and(|k| k.1 >= s) {
                    let (kr, ks) = kept.pop().expect("checked");
                    removed.push((ks, loss(kr)));
                }
            }
            if let Some(j) = removed.iter().position(|x| x.0 == s) {
                pairs.push((removed.swap_remove(j).1, loss(r)));
            }
            kept.push((r, s));
        }
        merged.twice = pairs.len();
        merged.orphaned = removed.len();
        let kept_loss: Vec<f64> = kept.iter().map(|k| loss(k.0)).collect();
        merged
            .copies
            .push((t.columns[li].clone(), pairs, kept_loss));
        // The rows without a loss stay (a sparse log's other metrics).
        let keep: std::collections::HashSet<usize> = kept.iter().map(|k| k.0).collect();
        let dropped: std::collections::HashSet<usize> = entries
            .iter()
            .map(|e| e.0)
            .filter(|r| !keep.contains(r))
            .collect();
        Some((
            rows.iter()
                .copied()
                .filter(|r| !dropped.contains(r))
                .collect(),
            merged,
        ))
    }

    /// The warning of each run (named as `runs_from_table_each` names it)
    /// whose log restarts ([`Curve::restart_rows`]).
    pub fn restarts(
        t: &Table,
        name: &str,
        step_col: &str,
        loss_col: &str,
        run_col: Option<&str>,
    ) -> Result<Vec<(String, String)>> {
        let (Ok(si), Some(li)) = (t.column_index(step_col), Self::loss_index(t, loss_col)) else {
            return Ok(vec![]);
        };
        Ok(Self::run_rows(t, name, run_col)?
            .into_iter()
            .filter_map(|(run, rows)| {
                let (_, merged) = Self::restart_rows(t, &rows, si, li)?;
                Some((run, merged.note()?))
            })
            .collect())
    }

    /// The learning rate (column `lri`) of the rows of `rows` without a
    /// loss (column `li`), by step (`f64::to_bits`): where a row with a
    /// loss but no rate takes its rate. Empty unless some row with a loss
    /// lacks the rate; a step whose rows give two rates is left out.
    fn same_step_rates(
        t: &Table,
        rows: &[usize],
        si: usize,
        li: usize,
        lri: usize,
    ) -> std::collections::HashMap<u64, f64> {
        let mut out = std::collections::HashMap::new();
        if !rows
            .iter()
            .any(|&r| !t.is_empty_cell(r, li) && t.is_empty_cell(r, lri))
        {
            return out;
        }
        let mut clash = std::collections::HashSet::new();
        for &r in rows {
            if t.is_empty_cell(r, lri) || !t.is_empty_cell(r, li) {
                continue;
            }
            let (Ok(s), Ok(lr)) = (t.number(r, si), t.number(r, lri)) else {
                continue;
            };
            if let Some(&old) = out.get(&s.to_bits()) {
                if old != lr {
                    clash.insert(s.to_bits());
                }
            }
            out.insert(s.to_bits(), lr);
        }
        for k in clash {
            out.remove(&k);
        }
        out
    }

    /// What each run (named as `runs_from_table_each` names it) does with a
    /// learning-rate column found by its name that the rows with a loss
    /// lack, while other rows have it: the rows at the same steps give it
    /// (said), or, when some step has no such row, it is not used (said).
    pub fn lr_elsewhere(
        t: &Table,
        name: &str,
        step_col: &str,
        loss_col: &str,
        lr_col: Option<&str>,
        run_col: Option<&str>,
    ) -> Result<Vec<(String, String)>> {
        let (Ok(si), Some(li)) = (t.column_index(step_col), Self::loss_index(t, loss_col)) else {
            return Ok(vec![]);
        };
        let Some(lri) = lr_col.is_none().then(|| t.lr_column_found(li)).flatten() else {
            return Ok(vec![]);
        };
        let (loss, lr) = (&t.columns[li], &t.columns[lri]);
        Ok(Self::run_rows(t, name, run_col)?
            .into_iter()
            .filter_map(|(run, rows)| {
                let lacking: Vec<usize> = rows
                    .iter()
                    .copied()
                    .filter(|&r| !t.is_empty_cell(r, li) && t.is_empty_cell(r, lri))
                    .collect();
                let elsewhere = rows
                    .iter()
                    .any(|&r| t.is_empty_cell(r, li) && !t.is_empty_cell(r, lri));
                if lacking.is_empty() || !elsewhere {
                    return None;
                }
                let with_loss = rows.iter().filter(|&&r| !t.is_empty_cell(r, li)).count();
                let same = Self::same_step_rates(t, &rows, si, li, lri);
                let missing: Vec<usize> = lacking
                    .iter()
                    .copied()
                    .filter(|&r| !t.number(r, si).is_ok_and(|s| same.contains_key(&s.to_bits())))
                    .collect();
                if missing.is_empty() {
                    Some((run, format!(
                        "the learning rate '{lr}' is logged on other rows (train rows?) but not on the {} row{} of '{loss}': each takes the rate of the row at its step",
                        lacking.len(),
                        if lacking.len() == 1 { "" } else { "s" }
                    )))
                } else if lacking.len() == with_loss {
                    Some((run, format!(
                        "the learning rate '{lr}' is logged on other rows (train rows?) but not on the rows of '{loss}', and no row at step {} ({} {}) has it: it is not used, so the forecast ignores the schedule; give the schedule, or log the rate at the loss's steps",
                        t.text(missing[0], si),
                        t.row_noun(),
                        t.line(missing[0])
                    )))
                } else {
                    None
                }
            })
            .collect())
    }

    fn from_rows(
        t: &Table,
        rows: &[usize],
        name: String,
        step_col: &str,
        loss_col: &str,
        lr_col: Option<&str>,
    ) -> Result<Curve> {
        let si = t.column_index(step_col)?;
        // The default name also finds the training loss of a Hugging Face
        // TensorBoard log ("train/loss") or of a W&B export ("run-1 -
        // train/loss").
        let li = t.loss_column(loss_col)?;
        let mut same_step = std::collections::HashMap::new();
        let ri = match lr_col {
            Some(c) => Some(t.column_index(c)?),
            // Found by its name: not used where no row with a loss has it
            // (an evaluation loss logged without the rate); a column that
            // some rows with a loss have and others lack is an error naming
            // the first gap (ignoring it would change the law silently).
            None => match t.lr_column_found(li) {
                None => None,
                Some(i) => {
                    let with_loss = || rows.iter().filter(|&&r| !t.is_empty_cell(r, li));
                    // A loss row without the rate takes that of a row of the
                    // run at the same step (W&B long exports log the eval
                    // loss and the train rate on different rows).
                    same_step = Self::same_step_rates(t, rows, si, li, i);
                    let gaps: Vec<usize> = with_loss()
                        .copied()
                        .filter(|&r| {
                            t.is_empty_cell(r, i)
                                && !t
                                    .number(r, si)
                                    .is_ok_and(|s| same_step.contains_key(&s.to_bits()))
                        })
                        .collect();
                    let n = with_loss().count();
                    match gaps.first() {
                        None => Some(i),
                        Some(_) if gaps.len() == n => None,
                        Some(&r) => {
                            return Err(t.name_rows(Error::input(
                                &t.source,
                                Some(t.line(r)),
                                Some(&t.columns[i]),
                                format!(
                                    "empty learning-rate cell in a row with a loss ({} of the {n} rows with a loss lack it): fill the gaps, or rename the column to forecast without the learning rate",
                                    gaps.len()
                                ),
                            )))
                        }
                    }
                }
            },
        };
        // A log that restarts: the later rows at the steps logged twice.
        let restarted = Self::restart_rows(t, rows, si, li).map(|(kept, _)| kept);
        let rows = restarted.as_deref().unwrap_or(rows);
        let mut c = Curve {
            name,
            step: vec![],
            lr: ri.map(|_| vec![]),
            loss: vec![],
            schedule: None,
            untrained: vec![],
            lead: vec![],
        };
        for &r in rows {
            // Sparse logs (W&B exports, trainer_state.json): a row that did
            // not log the loss logged another metric; it is skipped.
            if t.is_empty_cell(r, li) {
                continue;
            }
            let s = t.number(r, si)?;
            let l = t.number(r, li)?;
            // The loss before any training step (a training loop's or a
            // TensorBoard log's first record) is not on the curve the laws
            // fit; skipped, and said by the caller (`at_step_zero`). Only
            // before the curve's first step: a step 0 after later steps is
            // steps going back (a second run appended, a damaged row), the
            // error below, not a point to drop.
            if s == 0.0 && l > 0.0 && c.step.is_empty() {
                continue;
            }
            if s < 0.0 || (s == 0.0 && c.step.is_empty()) || l <= 0.0 {
                return Err(t.name_rows(Error::input(
                    &t.source,
                    Some(t.line(r)),
                    Some(if s <= 0.0 { step_col } else { loss_col }),
                    format!(
                        "must be > 0, got {}",
                        crate::numbers::num(if s <= 0.0 { s } else { l })
                    ),
                )));
            }
            if let Some(prev) = c.step.last() {
                if s <= *prev {
                    return Err(t.name_rows(Error::input(
                        &t.source,
                        Some(t.line(r)),
                        Some(step_col),
                        if s == *prev {
                            format!(
                                "steps must increase ({s} follows {prev}): several rows at one step; per-position data needs its token-position column named (no position column was found), several runs in one file their run column"
                            )
                        } else {
                            format!(
                                "steps must increase ({s} follows {prev}): rows out of order (sort them by step), or two runs under one name (several runs in one file need a run column, or several, whose values tell every run apart)"
                            )
                        },
                    )));
                }
            }
            if let (Some(i), Some(v)) = (ri, c.lr.as_mut()) {
                let lr = match same_step.get(&s.to_bits()) {
                    Some(&lr) if t.is_empty_cell(r, i) => lr,
                    _ => t.number(r, i)?,
                };
                if lr < 0.0 {
                    return Err(t.name_rows(Error::input(
                        &t.source,
                        Some(t.line(r)),
                        Some(&t.columns[i]),
                        "a learning rate must be >= 0",
                    )));
                }
                v.push(lr);
            }
            c.step.push(s);
            c.loss.push(l);
        }
        if let (Some(i), Some(v)) = (ri, &c.lr) {
            check_not_all_zero(t, &t.columns[i], v)?;
        }
        c.skip_untrained();
        Ok(c)
    }

    /// The warning for the points skipped into `untrained`, if any.
    pub fn untrained_warning(&self) -> Option<String> {
        let n = self.untrained.len();
        if n == 0 {
            return None;
        }
        let shown: Vec<String> = self
            .untrained
            .iter()
            .take(5)
            .map(|&s| crate::numbers::num(s))
            .collect();
        Some(format!(
            "the loss at step{} {}{} (the first row{} with a loss) is not on the curve the laws fit: skipped; the learning rate recorded there, and at every row before, is 0, so no step has trained yet (the summed rate a schedule-aware law reads is 0, where its loss is infinite); the rate is taken as 0 up to step {}",
            if n == 1 { "" } else { "s" },
            shown.join(", "),
            if n > 5 { ", ..." } else { "" },
            if n == 1 { "" } else { "s" },
            crate::numbers::num(self.untrained[n - 1]),
        ))
    }

    /// Skip the leading points whose learning rate, and every earlier
    /// one's, is 0 (the summed rate S1 is 0 there: no step has trained),
    /// keeping their steps in `untrained` (the rate path stays 0 up to the
    /// last of them). A curve whose every rate is 0 keeps its points.
    fn skip_untrained(&mut self) {
        let Some(lr) = self.lr.as_mut() else {
            return;
        };
        let z = lr.iter().take_while(|&&e| e == 0.0).count();
        if z == 0 || z == lr.len() {
            return;
        }
        lr.drain(..z);
        self.untrained.extend(self.step.drain(..z));
        self.loss.drain(..z);
    }

    /// An error unless the curve has the 4 points a forecast needs (`run`:
    /// the table holds several runs, so the message names this one).
    fn long_enough(&self, t: &Table, run: bool) -> Result<()> {
        if self.step.len() >= 4 {
            return Ok(());
        }
        Err(Error::input(
            &t.source,
            None,
            None,
            format!(
                "{} point{}{}: a curve needs at least 4",
                self.step.len(),
                if self.step.len() == 1 { "" } else { "s" },
                if run {
                    format!(" in run '{}'", self.name)
                } else {
                    String::new()
                }
            ),
        ))
    }

    /// The curve with its learning rates taken from `schedule`.
    pub fn with_schedule(mut self, schedule: Schedule) -> Curve {
        self.lr = Some(self.step.iter().map(|&s| schedule.at(s)).collect());
        self.schedule = Some(schedule);
        self
    }

    /// The curve with the steps of `at` added where it has none (loss NaN
    /// there), so that a law can be evaluated at them. Learning rates of
    /// added steps come from the schedule, or are interpolated between
    /// recorded points (the caller must not ask for steps past the last
    /// recorded rate without a schedule).
    pub fn with_steps(&self, at: &[f64]) -> Curve {
        let mut c = self.clone();
        // The recorded rates' path (the curve's own points, not those
        // added: a step before the first point is on the ramp from 0).
        let path = self.schedule.is_none().then(|| self.lr_path()).flatten();
        for &t in at {
            if c.step.contains(&t) {
                continue;
            }
            let j = c.step.partition_point(|&s| s < t);
            if let Some(lr) = c.lr.as_mut() {
                let v = match (self.schedule, &path) {
                    (None, Some(p)) => p.at(t),
                    (s, _) => s.map_or(0.0, |s| s.at(t)),
                };
                lr.insert(j, v);
            }
            c.step.insert(j, t);
            c.loss.insert(j, f64::NAN);
        }
        c
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.step.len()
    }
    /// Whether the curve has no points.
    pub fn is_empty(&self) -> bool {
        self.step.is_empty()
    }

    /// Number of observed points (the loss is known).
    pub fn observed(&self) -> usize {
        self.loss.iter().filter(|l| !l.is_nan()).count()
    }

    /// The learning rate as a function of the step: the schedule when there
    /// is one; otherwise a linear warmup from 0 at step 0 (or at the last
    /// `untrained` step) to the first recorded rate, linear interpolation
    /// between recorded points, constant after the last. None without a
    /// learning rate.
    pub fn lr_path(&self) -> Option<LrPath> {
        if let Some(s) = self.schedule {
            return Some(LrPath::from_schedule(&s));
        }
        let lr = self.lr.as_ref()?;
        let (step, lr) = self.recorded_rates(lr);
        Some(match self.untrained.last() {
            Some(&idle) => LrPath::from_points_after(idle, &step, &lr),
            None => LrPath::from_points(&step, &lr),
        })
    }

    /// The steps and recorded rates of the rows left out before the first
    /// point (`lead`), then the points'.
    fn recorded_rates(&self, lr: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let step = self
            .lead
            .iter()
            .map(|l| l.0)
            .chain(self.step.iter().copied());
        let rate = self.lead.iter().map(|l| l.1).chain(lr.iter().copied());
        (step.collect(), rate.collect())
    }

    /// Where the annealing terms (and the multi-power drops) start: the
    /// schedule's warmup; for recorded rates the end of a logged warmup
    /// ([`Curve::logged_warmup_end`]) when it is after the first point,
    /// else the first point (taken as the end of the warmup). The same
    /// whether the rows before a later first fitted step are points or
    /// `lead`.
    pub fn warmup_end(&self) -> f64 {
        match self.schedule {
            Some(s) => s.warmup,
            None => self
                .logged_warmup_end()
                .map_or(self.step[0], |e| e.max(self.step[0])),
        }
    }

    /// The step a logged warmup ends at: the first step at the peak of the
    /// recorded rates' initial rise (the rows in `lead` included), when the
    /// first recorded rate is at most [`RAMP_START_SHARE`] of that peak.
    /// None without recorded rates or such a rise.
    pub fn logged_warmup_end(&self) -> Option<f64> {
        let (step, lr) = self.recorded_rates(self.lr.as_ref()?);
        let mut end = 0;
        while end + 1 < lr.len() && lr[end + 1] >= lr[end] {
            end += 1;
        }
        let peak = *lr.get(end)?;
        let i = lr[..=end].iter().position(|&e| e >= peak).unwrap_or(0);
        (i > 0 && peak > 0.0 && lr[0] <= RAMP_START_SHARE * peak).then_some(step[i])
    }

    /// Where the learning rate's decay is measured from: the schedule's
    /// warmup, or, for recorded rates, the first step at the peak of their
    /// initial rise (a recorded warmup ramp is not decay; without a ramp,
    /// the first recorded point). The first step without a learning rate.
    pub fn decay_start(&self) -> f64 {
        if let Some(s) = self.schedule {
            return s.warmup;
        }
        let Some(lr) = self.lr.as_ref() else {
            return self.step[0];
        };
        // The initial non-decreasing run of rates is the warmup; its top is
        // the peak, first reached at step `step[i]`.
        let mut end = 0;
        while end + 1 < lr.len() && lr[end + 1] >= lr[end] {
            end += 1;
        }
        let top = lr[end];
        let i = lr[..=end].iter().position(|&e| e >= top).unwrap_or(0);
        self.step[i]
    }

    /// The schedule features, or None without a learning-rate column.
    /// Computed by integrating the learning-rate path segment by segment
    /// (cost linear in the points and the schedule's knots, whatever the
    /// step unit): steps may be tokens, epochs or samples.
    pub fn features(&self) -> Option<Features> {
        let path = self.lr_path()?;
        Some(path.features(&self.step, self.warmup_end()))
    }
}

/// A learning rate as a function of the step: linear between knots (a jump
/// is two knots at the same step), constant after the last knot.
#[derive(Debug, Clone)]
pub struct LrPath {
    t: Vec<f64>,
    eta: Vec<f64>,
}

/// Knots per curved piece (cosine or exponential decay) of an analytic
/// schedule: the linear interpolation is within 4e-6 of the peak rate.
const CURVED_KNOTS: usize = 384;

impl LrPath {
    /// Through the recorded points, from 0 at step 0.
    pub fn from_points(step: &[f64], lr: &[f64]) -> LrPath {
        let mut t = vec![0.0];
        let mut eta = vec![0.0];
        if step.first() == Some(&0.0) {
            t.clear();
            eta.clear();
        }
        t.extend_from_slice(step);
        eta.extend_from_slice(lr);
        LrPath { t, eta }
    }

    /// Through the recorded points, 0 from step 0 to `idle` (a step before
    /// the first point: the rate recorded there was 0), then linear.
    pub fn from_points_after(idle: f64, step: &[f64], lr: &[f64]) -> LrPath {
        let mut p = LrPath::from_points(step, lr);
        if idle > 0.0 && step.first().is_some_and(|&s| s > idle) {
            p.t.insert(1, idle);
            p.eta.insert(1, 0.0);
        }
        p
    }

    /// Knots of an analytic schedule: its breakpoints, and evenly spaced
    /// knots over its curved pieces.
    pub fn from_schedule(s: &Schedule) -> LrPath {
        let mut k: Vec<(f64, f64)> = vec![(0.0, s.at(0.0))];
        let curved = |k: &mut Vec<(f64, f64)>, a: f64, b: f64| {
            for j in 1..CURVED_KNOTS {
                let x = a + (b - a) * j as f64 / CURVED_KNOTS as f64;
                k.push((x, s.at(x)));
            }
        };
        if s.warmup > 0.0 {
            k.push((s.warmup, s.peak));
        }
        match s.kind {
            Kind::Constant => {}
            Kind::Cosine { total, final_lr } => {
                curved(&mut k, s.warmup, total);
                k.push((total, final_lr));
            }
            Kind::Wsd {
                decay_start,
                total,
                final_lr,
                decay,
            } => {
                k.push((decay_start, s.peak));
                if decay != Decay::Linear {
                    curved(&mut k, decay_start, total);
                }
                k.push((total, final_lr));
            }
            Kind::TwoStage { switch, low } => {
                k.push((switch, s.peak));
                k.push((switch, low));
            }
        }
        // A warmup past a breakpoint: keep the knots in order.
        k.retain(|&(x, _)| x >= 0.0);
        k.sort_by(|a, b| a.0.total_cmp(&b.0));
        LrPath {
            t: k.iter().map(|p| p.0).collect(),
            eta: k.iter().map(|p| p.1).collect(),
        }
    }

    /// The learning rate at `step` (right-continuous at a jump).
    pub fn at(&self, step: f64) -> f64 {
        let j = self.t.partition_point(|&x| x <= step);
        if j == 0 {
            return self.eta[0];
        }
        if j == self.t.len() {
            return self.eta[j - 1];
        }
        let (a, b) = (self.t[j - 1], self.t[j]);
        self.eta[j - 1] + (self.eta[j] - self.eta[j - 1]) * (step - a) / (b - a)
    }

    /// The forward area: the rate integrated from step 0 (or the first knot,
    /// when it is later) to `step`.
    pub fn area(&self, step: f64) -> f64 {
        let mut a = 0.0;
        for j in 1..self.t.len() {
            let (t0, t1) = (self.t[j - 1], self.t[j]);
            if t0 >= step {
                return a;
            }
            if t1 > t0 {
                let hi = t1.min(step);
                let e = self.eta[j - 1] + (self.eta[j] - self.eta[j - 1]) * (hi - t0) / (t1 - t0);
                a += 0.5 * (self.eta[j - 1] + e) * (hi - t0);
            }
        }
        let last = *self.t.last().expect("a path has knots");
        if step > last {
            a += self.eta[self.eta.len() - 1] * (step - last);
        }
        a
    }

    /// The knots of the path (step, rate), the warmup's end and the points
    /// `at` (with their index), in order of step: at one step the knots
    /// first, in their order (a jump's two), then the warmup's end, then
    /// the points (the rate after a jump) — the order of a stable sort of
    /// that list by step (`f64::total_cmp`). Merged as they come when the
    /// knots and the points are each in order (a curve's are), without the
    /// list (on a log of 1e6 steps it was 64 MB and the sort's buffer 32
    /// more); otherwise that list sorted.
    fn cuts<'a>(&'a self, at: &'a [f64], warm_end: f64) -> Cuts<'a> {
        let ordered = |v: &[f64]| v.windows(2).all(|w| w[0].total_cmp(&w[1]).is_le());
        let sorted = (!(ordered(&self.t) && ordered(at))).then(|| {
            let mut cuts: Vec<(f64, f64, Option<usize>)> = Vec::new();
            for (&t, &e) in self.t.iter().zip(&self.eta) {
                cuts.push((t, e, None));
            }
            cuts.push((warm_end, self.at(warm_end), None));
            for (i, &t) in at.iter().enumerate() {
                cuts.push((t, self.at(t), Some(i)));
            }
            // Stable: knots of a jump keep their order; points come after
            // the knots at the same step.
            cuts.sort_by(|a, b| a.0.total_cmp(&b.0));
            cuts.into_iter()
        });
        Cuts {
            path: self,
            at,
            warm: Some(warm_end),
            knot: 0,
            point: 0,
            sorted,
        }
    }

    /// The features at the increasing steps `at`; the annealing area and
    /// the drops count from `warm_end` on.
    pub fn features(&self, at: &[f64], warm_end: f64) -> Features {
        self.features_for(at, warm_end, Needs::Fit)
    }

    /// [`LrPath::features`] with only what `needs` asks for (the areas
    /// and the drop sums are the same, bit for bit).
    pub fn features_for(&self, at: &[f64], warm_end: f64, needs: Needs) -> Features {
        // Every place the path changes slope, the warmup's end and the
        // points, in order; the rate is linear between consecutive cuts.
        let mut cuts = self.cuts(at, warm_end).peekable();
        let first = cuts.peek().expect("the warmup's end is a cut").0.min(0.0);
        let n = at.len();
        let mut f = Features {
            s1: Vec::with_capacity(n),
            s2: Vec::with_capacity(n),
            drops: Vec::new(),
            drops_upto: Vec::with_capacity(n),
            tree: DropTree::default(),
            warm: Vec::new(),
            warm_range: Vec::with_capacity(n),
            visited_ln_eta: Vec::new(),
            visited_slot: Vec::new(),
        };
        // The drops: as a list (a fit's features keep it) or, for
        // predictions, straight as the tree's lowest level (a curve of 1e6
        // steps has 4e6: the list beside the tree was 96 MB more).
        let (list, blocks) = (needs == Needs::Fit, needs == Needs::Predict);
        let mut base: Vec<Block> = Vec::new();
        let mut count = 0;
        // Cuts after the last point add no drop any point's sum reads
        // (nor anything else): the sweep ends at the last point.
        let mut points_left = n;
        let kappa = -TISSUE_LAMBDA.ln();
        let (mut area, mut m, mut ann) = (0.0, 0.0, 0.0);
        let (mut t0, mut e0) = (first, self.at(first));
        for (t1, e1, point) in cuts.by_ref() {
            let h = t1 - t0;
            let annealing = t0 >= warm_end;
            if h > 0.0 {
                let before = area;
                area += 0.5 * (e0 + e1) * h;
                if annealing {
                    let slope = (e1 - e0) / h;
                    let (mm, a) = momentum(m, slope, h, kappa);
                    m = mm;
                    ann += a;
                    if e1 < e0 {
                        // A gradual decrease: spread over the segment as
                        // Gauss-Legendre sub-drops (one drop at the start
                        // would age the most recent decrease by a whole
                        // segment: 12-38% error on its term, 0.3-0.7% here).
                        for &(x, w) in &SUB_DROPS {
                            let v = 0.5 * (x + 1.0);
                            let e = e0 + (e1 - e0) * v;
                            let s = before + 0.5 * (e0 + e) * v * h;
                            let d = (e0 - e1) * 0.5 * w;
                            if list {
                                f.drops.push((d, e, s));
                            } else if blocks {
                                base.push(Block {
                                    d,
                                    s,
                                    ln_eta: ln_rate(e),
                                });
                            }
                            count += 1;
                        }
                    }
                }
            } else if annealing && e1 != e0 {
                // A jump.
                m += e0 - e1;
                if e1 < e0 {
                    if list {
                        f.drops.push((e0 - e1, e1, area));
                    } else if blocks {
                        base.push(Block {
                            d: e0 - e1,
                            s: area,
                            ln_eta: ln_rate(e1),
                        });
                    }
                    count += 1;
                }
            }
            if point.is_some() {
                f.s1.push(area);
                f.s2.push(ann);
                f.drops_upto.push(count);
                points_left -= 1;
                if points_left == 0 {
                    break;
                }
            }
            (t0, e0) = (t1, e1);
        }
        drop(cuts);
        // Drops after the last point are in no point's sum: left out (the
        // tree's blocks over the drops kept are the same, and so is every
        // point's sum, bit for bit): the sweep above stopped there.
        let upto = f.drops_upto.iter().copied().max().unwrap_or(0);
        if list {
            f.drops.truncate(upto);
            f.drops.shrink_to_fit();
            f.tree = DropTree::new(&f.drops);
        } else if blocks {
            base.truncate(upto);
            base.shrink_to_fit();
            f.tree = DropTree::from_drops(base);
        }
        if needs == Needs::Fit {
            let visited = f
                .tree
                .visited(f.drops_upto.iter().copied().zip(f.s1.iter().copied()));
            f.visited_slot = vec![u32::MAX; f.tree.len()];
            for (k, &j) in visited.iter().enumerate() {
                f.visited_slot[j] = k as u32;
            }
            f.visited_ln_eta = visited.iter().map(|&j| f.tree.block(j).ln_eta).collect();
        }
        // The warmup's terms: one list for the points after the warmup, and
        // one per point inside it (its own steps so far).
        let full = super::warmup::nodes(self, warm_end);
        let shared = (0, full.len() as u32);
        f.warm = full;
        for &t in at {
            if t >= warm_end {
                f.warm_range.push(shared);
            } else {
                let own = super::warmup::nodes(self, t);
                let a = f.warm.len() as u32;
                f.warm.extend(own);
                f.warm_range.push((a, f.warm.len() as u32));
            }
        }
        f
    }
}

/// The cuts of [`LrPath::features_for`] in order ([`LrPath::cuts`]): the
/// next of the knots, the warmup's end and the points, or the list sorted.
struct Cuts<'a> {
    path: &'a LrPath,
    at: &'a [f64],
    /// The warmup's end, until it is passed.
    warm: Option<f64>,
    /// The next knot and the next point.
    knot: usize,
    point: usize,
    /// The whole list, sorted, when the knots or the points are not in
    /// order.
    sorted: Option<std::vec::IntoIter<(f64, f64, Option<usize>)>>,
}

impl Iterator for Cuts<'_> {
    type Item = (f64, f64, Option<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(v) = self.sorted.as_mut() {
            return v.next();
        }
        // Not after: at a tie, the knot (then the warmup's end) first.
        let first = |t: f64, other: Option<f64>| other.is_none_or(|o| t.total_cmp(&o).is_le());
        let next_point = self.at.get(self.point).copied();
        if let Some(&t) = self.path.t.get(self.knot) {
            if first(t, self.warm) && first(t, next_point) {
                self.knot += 1;
                return Some((t, self.path.eta[self.knot - 1], None));
            }
        }
        if let Some(w) = self.warm {
            if first(w, next_point) {
                self.warm = None;
                return Some((w, self.path.at(w), None));
            }
        }
        let t = next_point?;
        self.point += 1;
        Some((t, self.path.at(t), Some(self.point - 1)))
    }
}

/// Tissue et al.'s momentum over `h` steps of a rate changing by `slope`
/// per step: m' = -kappa m - slope (the continuous form of
/// m_i = lambda m_(i-1) + (eta_(i-1) - eta_i), kappa = -ln lambda).
/// Returns m after the segment and the integral of m over it.
fn momentum(m0: f64, slope: f64, h: f64, kappa: f64) -> (f64, f64) {
    let x = kappa * h;
    // q = 1 - e^-x; r = (h - q / kappa) = h (1 - q / x), by series for small x.
    let q = -(-x).exp_m1();
    let r = if x < 1e-4 {
        h * (x / 2.0 - x * x / 6.0 + x * x * x / 24.0)
    } else {
        h - q / kappa
    };
    let m1 = m0 * (1.0 - q) - slope * q / kappa;
    let area = m0 * q / kappa - slope / kappa * r;
    (m1, area)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The features by integration match the per-step sums of the laws'
    /// definitions (S1 = sum of eta, m_i = lambda m_(i-1) + eta_(i-1) - eta_i).
    #[test]
    fn integrated_features_match_per_step_sums() {
        let s = Schedule::parse(
            "wsd:peak=3e-4,final=3e-5,decay_start=6000,total=8000,warmup=500,decay=cosine",
        )
        .unwrap();
        let at: Vec<f64> = (1..=40).map(|k| 250.0 * k as f64).collect();
        let f = LrPath::from_schedule(&s).features(&at, 500.0);
        let (mut area, mut m, mut ann) = (0.0, 0.0, 0.0);
        let mut next = 0;
        for t in 1..=10_000 {
            let (e0, e1) = (s.at(t as f64 - 1.0), s.at(t as f64));
            area += e1;
            if t > 500 {
                m = TISSUE_LAMBDA * m + (e0 - e1);
                ann += m;
            }
            if next < at.len() && t as f64 == at[next] {
                assert!(
                    (f.s1[next] - area).abs() <= 3e-4 + 1e-3 * area,
                    "S1 at {t}: {} vs {area}",
                    f.s1[next]
                );
                assert!(
                    (f.s2[next] - ann).abs() <= 1e-6 + 1e-2 * ann,
                    "S2 at {t}: {} vs {ann}",
                    f.s2[next]
                );
                next += 1;
            }
        }
        assert_eq!(next, at.len());
        // The decay's drops sum to peak - final.
        let total: f64 = f.drops.iter().map(|d| d.0).sum();
        assert!((total - 2.7e-4).abs() < 1e-12, "{total}");
        assert_eq!(*f.drops_upto.last().unwrap(), f.drops.len());
    }

    /// The cuts as `features_for` made them before they were merged as
    /// they come: the list, sorted (stably) by step.
    fn sorted_cuts(path: &LrPath, at: &[f64], warm_end: f64) -> Vec<(f64, f64, Option<usize>)> {
        let mut cuts: Vec<(f64, f64, Option<usize>)> = Vec::new();
        for (&t, &e) in path.t.iter().zip(&path.eta) {
            cuts.push((t, e, None));
        }
        cuts.push((warm_end, path.at(warm_end), None));
        for (i, &t) in at.iter().enumerate() {
            cuts.push((t, path.at(t), Some(i)));
        }
        cuts.sort_by(|a, b| a.0.total_cmp(&b.0));
        cuts
    }

    /// Merged as they come, the cuts are the sorted list's, in its order
    /// (ties: knots, the warmup's end, points), bit for bit: on a recorded
    /// path (points at its knots, the warmup's end at one), on a schedule
    /// with a jump (two knots at one step, a point and the warmup's end
    /// there), and with points out of order (the list, sorted); and the
    /// features of a window, whose sweep ends at its last point, are the
    /// first points' of the whole curve's.
    #[test]
    fn merged_cuts_are_the_sorted_list_s() {
        let bits = |v: &[(f64, f64, Option<usize>)]| -> Vec<(u64, u64, Option<usize>)> {
            v.iter()
                .map(|c| (c.0.to_bits(), c.1.to_bits(), c.2))
                .collect()
        };
        let step: Vec<f64> = (1..=60).map(|k| 10.0 * k as f64).collect();
        let lr: Vec<f64> = step
            .iter()
            .map(|&t| {
                if t <= 100.0 {
                    3e-6 * t
                } else {
                    3e-4 - 4e-7 * t
                }
            })
            .collect();
        let recorded = LrPath::from_points(&step, &lr);
        let sched = LrPath::from_schedule(
            &Schedule::parse("two-stage:peak=3e-4,switch=300,low=3e-5,warmup=50").unwrap(),
        );
        let cases: [(&LrPath, Vec<f64>, f64); 5] = [
            (&recorded, step.clone(), 100.0),
            (&recorded, step[..25].to_vec(), 10.0),
            (&recorded, vec![5.0, 100.0, 100.0, 333.3, 900.0], 0.0),
            (&sched, vec![50.0, 120.0, 300.0, 300.0, 450.0], 300.0),
            (&sched, vec![450.0, 50.0, 300.0, 120.0], 50.0),
        ];
        for (path, at, warm_end) in &cases {
            let merged: Vec<_> = path.cuts(at, *warm_end).collect();
            assert_eq!(
                bits(&merged),
                bits(&sorted_cuts(path, at, *warm_end)),
                "points {at:?}, warmup's end {warm_end}"
            );
        }
        // A window's features: the first 25 points' of the curve's.
        let whole = recorded.features(&step, 100.0);
        let window = recorded.features(&step[..25], 100.0);
        let upto = window.drops_upto[24];
        assert!(upto > 0 && upto < whole.drops.len());
        assert_eq!(window.s1, whole.s1[..25]);
        assert_eq!(window.s2, whole.s2[..25]);
        assert_eq!(window.drops_upto, whole.drops_upto[..25]);
        assert_eq!(window.drops, whole.drops[..upto]);
    }

    #[test]
    fn a_jump_is_one_drop_at_its_step() {
        let s = Schedule::parse("two-stage:peak=3e-4,switch=1000,low=3e-5").unwrap();
        let f = LrPath::from_schedule(&s).features(&[500.0, 1000.0, 1500.0], 0.0);
        assert_eq!(f.drops_upto, vec![0, 1, 1]);
        let (d, eta, s1) = f.drops[0];
        assert!((d - 2.7e-4).abs() < 1e-15 && eta == 3e-5 && (s1 - 0.3).abs() < 1e-12);
        assert!((f.s1[2] - (0.3 + 500.0 * 3e-5)).abs() < 1e-12);
    }

    /// fx45a item 1: a log whose learning rate is 0 at its first rows (a
    /// warmup from 0 logged from step 10) had S1 = 0 at them, where a law
    /// of S1 has no finite loss: tissue and multipower failed ("objective
    /// not finite at any start"). Those rows are skipped (said), and the
    /// rate path stays 0 up to the last of them: the summed rate at the
    /// next points is the log's, not a ramp from step 0.
    #[test]
    fn fx45a_rows_before_the_rate_rises_are_skipped_and_the_path_kept() {
        let text = "step,lr,loss\n10,0,9\n20,0,8.9\n30,1e-4,8\n40,2e-4,7\n50,3e-4,6\n60,3e-4,5\n";
        let t = Table::from_delimited("w.csv", text, b',').unwrap();
        let c = Curve::runs_from_table(&t, "w", "step", "loss", None, None)
            .unwrap()
            .remove(0);
        assert_eq!(c.step, vec![30.0, 40.0, 50.0, 60.0]);
        assert_eq!(c.loss, vec![8.0, 7.0, 6.0, 5.0]);
        assert_eq!(c.untrained, vec![10.0, 20.0]);
        let f = c.features().unwrap();
        // 0 up to step 20, then linear to 1e-4 at step 30: 5e-4 by then.
        assert!((f.s1[0] - 5e-4).abs() < 1e-15, "{}", f.s1[0]);
        assert!(f.s1.iter().all(|&s| s > 0.0));
        let w = c.untrained_warning().unwrap();
        assert!(w.contains("steps 10, 20") && w.contains("skipped"), "{w}");
        // A forecast step before the first point: the rate there is 0 up
        // to step 20, then on the ramp.
        let e = c.with_steps(&[15.0, 25.0]);
        let lr = e.lr.as_ref().unwrap();
        assert_eq!((lr[0], lr[1]), (0.0, 5e-5));
        // Without a learning-rate column nothing is skipped; a rate that
        // is 0 at every row stays the error it was.
        let c = Curve::runs_from_table(&t, "w", "step", "loss", Some("loss"), None).unwrap();
        assert!(c[0].untrained.is_empty());
        let zero =
            Table::from_delimited("z.csv", "step,lr,loss\n1,0,3\n2,0,2\n3,0,1\n4,0,1\n", b',')
                .unwrap();
        assert!(Curve::runs_from_table(&zero, "z", "step", "loss", None, None).is_err());
    }

    #[test]
    fn a_run_diverged_comes_back_clean_with_its_later_steps_unknown() {
        let text = "step,lr,loss\n1,1e-3,4\n2,1e-3,3.5\n3,1e-3,3.2\n4,1e-3,3.0\n5,1e-3,2.9\n6,1e-3,nan\n7,,inf\n8,1e-3,nan\n";
        let t = Table::from_delimited("d.csv", text, b',').unwrap();
        let mut v = Curve::runs_diverged(&t, "d", "step", "loss", None, None).unwrap();
        let (name, r) = v.remove(0);
        assert_eq!(name, "d");
        let (c, d) = r.unwrap();
        let d = d.unwrap();
        assert_eq!((d.step, d.line, d.text.as_str()), (6.0, 7, "nan"));
        assert_eq!(c.step, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        assert!(c.loss[..5].iter().all(|l| l.is_finite()));
        assert!(c.loss[5..].iter().all(|l| l.is_nan()));
        // an empty rate on a later row holds the one before
        assert_eq!(c.lr.unwrap()[6], 1e-3);
        // as before for every other caller: the error of the row
        let e = Curve::runs_from_table_each(&t, "d", "step", "loss", None, None).unwrap_err();
        assert!(
            e.to_string().contains("'nan' is not a finite number"),
            "{e}"
        );
        // too few clean rows: refused as a diverged run
        let short = Table::from_delimited("s.csv", "step,loss\n1,4\n2,3\n3,nan\n", b',').unwrap();
        let e = Curve::runs_diverged(&short, "s", "step", "loss", None, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("row 4") && e.contains("'nan' is not a finite number"),
            "{e}"
        );
    }
}
