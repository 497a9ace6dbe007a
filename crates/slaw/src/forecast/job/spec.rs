//! A forecast as a table and settings describe it ([`Spec`]): the table's
//! curves read, every run forecast, the runs that cannot be skipped.

use super::{run_each, Choice, Data, FitUntil, ForecastOutput, Request, Runs, SkippedRun};
use crate::forecast::positions::PositionCurves;
use crate::forecast::prior::Priors;
use crate::forecast::{Curve, Schedule};
use crate::table::Table;
use crate::{Error, Result};
use std::borrow::Cow;

/// The step column's name when none is given.
pub const DEFAULT_STEP: &str = "step";

/// A forecast as a table and settings describe it (`slaw forecast`'s
/// options, the Python package's keywords): the columns to read, the
/// method, the part to fit, the steps to forecast and the intervals. Its
/// serde form is the Python package's keywords.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Spec {
    /// A fraction of the logged span (<= 1), a step (> 1), or a step named
    /// as one ([`FitUntil`]).
    pub fit_until: FitUntil,
    /// The method's name (`auto`, `temporal` or a loss-curve law).
    pub method: String,
    /// Steps to forecast; empty: the last step of the curve.
    pub at: Vec<f64>,
    /// A schedule for the whole run (see [`Schedule::parse`]).
    pub schedule: Option<String>,
    /// Bootstrap replicates for the intervals (0: none).
    pub bootstrap: usize,
    /// Level of the intervals.
    pub level: f64,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// The step column.
    pub step_col: String,
    /// The loss column.
    pub loss_col: String,
    /// The learning-rate column (default: `lr` when present).
    pub lr_col: Option<String>,
    /// The token-position column of per-position data (its presence
    /// selects that format).
    pub position_col: String,
    /// The column(s), comma-separated, naming the run of each row.
    pub run_col: Option<String>,
    /// The name of a single curve (default: the name the caller gives).
    pub name: Option<String>,
    /// The first step fitted (default: the first row, or the end of a
    /// logged warmup for the laws that do not describe one: [`super::fit_start`]).
    pub fit_from: Option<f64>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            fit_until: FitUntil::Number(0.2),
            method: "auto".into(),
            at: vec![],
            schedule: None,
            bootstrap: 200,
            level: 0.9,
            seed: 0,
            step_col: DEFAULT_STEP.into(),
            loss_col: "loss".into(),
            lr_col: None,
            position_col: "position".into(),
            run_col: None,
            name: None,
            fit_from: None,
        }
    }
}

impl Spec {
    /// With the step column not named (the default [`DEFAULT_STEP`]) and
    /// absent from `table`, the one numeric column ([`Table::numeric_column`])
    /// besides the loss, the learning rate (and a W&B export's `__MIN` /
    /// `__MAX` companions of either), the run and position columns and W&B's
    /// count of log calls ([`crate::near_column::WANDB_LOG_CALLS`]) becomes
    /// the step column (`step_col` set), and the note says so: "step: n (no
    /// 'step' column; the only numeric column besides loss)", as
    /// [`crate::observations::DataSpec::choose_input`] chooses a fit's input.
    /// None when the step column is there or was named. Several candidates
    /// are the missing column's error listing them; none leaves the reader's
    /// own error (the missing column) to say so.
    pub fn choose_step(&mut self, table: &Table) -> Result<Option<String>> {
        if self.step_col != DEFAULT_STEP || table.column_index(&self.step_col).is_ok() {
            return Ok(None);
        }
        let Ok(loss) = table.loss_column(&self.loss_col) else {
            return Ok(None);
        };
        let lr = match &self.lr_col {
            Some(name) => table.column_index(name).ok(),
            None => table.lr_column_found(loss),
        };
        let runs: Vec<&str> = self
            .run_col
            .iter()
            .flat_map(|r| r.split(','))
            .map(str::trim)
            .chain(table.run_column.as_deref())
            .collect();
        let named = |c: usize| {
            let name = table.columns[c].as_str();
            let companion = |of: usize| {
                name.strip_prefix(table.columns[of].as_str())
                    .is_some_and(|rest| rest == "__MIN" || rest == "__MAX")
            };
            c == loss
                || Some(c) == lr
                || companion(loss)
                || lr.is_some_and(companion)
                || runs.contains(&name)
                || name == self.position_col
                || name == crate::near_column::WANDB_LOG_CALLS
        };
        let candidates: Vec<&str> = (0..table.columns.len())
            .filter(|&c| !named(c) && table.numeric_column(c))
            .map(|c| table.columns[c].as_str())
            .collect();
        let loss_name = &table.columns[loss];
        match candidates.as_slice() {
            [] => Ok(None),
            [one] => {
                let note = format!(
                    "step: {one} (no '{}' column; the only numeric column besides {loss_name})",
                    self.step_col
                );
                self.step_col = one.to_string();
                Ok(Some(note))
            }
            several => {
                let mut besides = vec![format!("'{loss_name}'")];
                besides.extend(
                    lr.iter()
                        .map(|&c| format!("the learning rate '{}'", table.columns[c])),
                );
                Err(Error::input(
                    &table.source,
                    None,
                    Some(&self.step_col),
                    format!(
                        "no such column (columns are: {}); {} numeric columns besides the loss \
                         {} could be the step: {}; name the step column",
                        table.columns.join(", "),
                        several.len(),
                        besides.join(" and "),
                        several.join(", ")
                    ),
                ))
            }
        }
    }

    /// Whether `table` holds per-position data (it has the position column).
    pub fn positions(&self, table: &Table) -> bool {
        table.columns.contains(&self.position_col)
    }

    /// The curves of `table`: its per-position curves, or one aggregate
    /// curve per run; a single curve is named by the spec, else `name`.
    pub fn data(&self, table: &Table, name: &str) -> Result<Vec<Data>> {
        let name = self.name.as_deref().unwrap_or(name);
        if self.positions(table) {
            let cols = crate::forecast::positions::PositionColumns {
                step: &self.step_col,
                position: &self.position_col,
                loss: &self.loss_col,
                lr: self.lr_col.as_deref(),
            };
            return Ok(vec![Data::Positions(PositionCurves::from_table(
                table,
                &cols,
                name.to_string(),
            )?)]);
        }
        Ok(Curve::runs_from_table(
            table,
            name,
            &self.step_col,
            &self.loss_col,
            self.lr_col.as_deref(),
            self.run_col.as_deref(),
        )?
        .into_iter()
        .map(Data::Aggregate)
        .collect())
    }

    /// The request of every curve (the method chosen per curve by
    /// [`run_each`]).
    pub fn request(&self) -> Result<Request> {
        // Too few replicates for a percentile interval at the level, as
        // every other bootstrap (`Resampling::check_replicates`).
        crate::bootstrap::Resampling::new(self.bootstrap, self.level, self.seed)
            .check_replicates()?;
        Ok(Request {
            choice: Choice::Auto,
            fit_until: self.fit_until,
            at: self.at.clone(),
            schedule: self.schedule.as_deref().map(Schedule::parse).transpose()?,
            bootstrap: self.bootstrap,
            seed: self.seed,
            level: self.level,
            priors: Priors::shipped(),
        })
    }

    /// Forecast every curve of `table` (see [`Spec::data`]). With several
    /// runs, a run that cannot be forecast (too few points, a window that
    /// leaves too few, a fit that fails) is skipped and said why, and the
    /// others are forecast; when no run can be, an error naming every run
    /// and why.
    /// A single curve's error is the error (naming the file). Bad values
    /// in any run (a step that goes back, a loss <= 0) are errors of the
    /// table, but a loss that reads as NaN or inf (a diverged run) among
    /// several runs skips that run.
    pub fn run(&self, table: &Table, name: &str) -> Result<Runs> {
        self.run_table(Cow::Borrowed(table), name)
    }

    /// [`Spec::run`] on a table it may free once its curves are read (the
    /// table of a log of 1e6 steps is some 67 MB): the same result.
    pub fn run_owned(&self, table: Table, name: &str) -> Result<Runs> {
        self.run_table(Cow::Owned(table), name)
    }

    fn run_table(&self, table: Cow<'_, Table>, name: &str) -> Result<Runs> {
        let base = self.request()?;
        if self.positions(&table) {
            let data = self.data(&table, name)?;
            let notes = table.notes.clone();
            // The error names the file, as an aggregate curve's does.
            let source = table.source.clone();
            drop(table);
            let mut forecasts =
                run_each(&data, &self.method, &base).map_err(|e| in_file(e, &source))?;
            for (o, d) in forecasts.iter_mut().zip(&data) {
                o.warnings.extend(notes.iter().cloned());
                if let Data::Positions(p) = d {
                    o.warnings.extend(zero_based_note(p, o.method));
                }
            }
            return Ok(Runs {
                forecasts,
                skipped: vec![],
                warnings: vec![],
            });
        }
        let mut runs = Curve::runs_diverged(
            &table,
            self.name.as_deref().unwrap_or(name),
            &self.step_col,
            &self.loss_col,
            self.lr_col.as_deref(),
            self.run_col.as_deref(),
        )?;
        // The runs in the order they are listed, not the rows': runs whose
        // rows come in another order (interleaved, blocks swapped) give the
        // same output, as `fit`'s and `compare`'s groups.
        runs.sort_by(|a, b| crate::numbers::label_cmp(&a.0, &b.0));
        // What the forecasts say of the table's rows, read before them (an
        // error of it still comes after theirs), and the table let go.
        let notes = self.row_notes(&table, name);
        let source = table.source.clone();
        drop(table);
        let several = runs.len() > 1;
        let mut out = Runs::default();
        for (position, (run, curve)) in runs.into_iter().enumerate() {
            // A run that diverged (a NaN or inf loss) after the fitted
            // window is forecast from its clean window, and said; inside
            // the window it is refused (skipped among several runs).
            let mut diverged = None;
            let curve = curve.and_then(|(c, d)| match d {
                None => Ok(c),
                Some(d) => {
                    let until = base.fit_until.step(c.step[0], *c.step.last().expect("a curve has points"));
                    if d.step <= until {
                        Err(d.error)
                    } else {
                        diverged = Some(format!(
                            "the run diverged at step {} (row {}: a loss of '{}'), after the fitted window: the forecast is for the run had it not diverged; the observed rows from step {} on are not scored",
                            crate::numbers::num(d.step),
                            d.line,
                            d.text,
                            crate::numbers::num(d.step)
                        ));
                        Ok(c)
                    }
                }
            });
            let result = curve.and_then(|c| {
                let (c, req, note) = super::fit_start(c, &base, &self.method, self.fit_from)?;
                run_each(&[Data::Aggregate(c)], &self.method, &req).map(|mut v| {
                    let mut o = v.remove(0);
                    o.warnings.extend(note);
                    o
                })
            });
            match result {
                Ok(mut o) => {
                    if let Some(w) = diverged {
                        o.warnings.insert(0, w);
                    }
                    out.forecasts.push(o)
                }
                Err(e) if several => out.skipped.push(SkippedRun {
                    reason: naming_run(&run, e.to_string()),
                    run,
                    position,
                }),
                Err(e) => return Err(in_file(e, &source)),
            }
        }
        for (run, w) in notes? {
            warn_run(&mut out.forecasts, &run, &w);
        }
        if out.forecasts.is_empty() {
            let why: Vec<String> = out.skipped.iter().map(|k| k.reason.clone()).collect();
            return Err(Error::data(format!(
                "no run could be forecast; {}",
                why.join("; ")
            )));
        }
        out.warnings = out
            .skipped
            .iter()
            .map(|k| {
                let why = k
                    .reason
                    .strip_prefix(&format!("run '{}': ", k.run))
                    .unwrap_or(&k.reason);
                format!("run '{}' was not forecast: {why}", k.run)
            })
            .collect();
        Ok(out)
    }

    /// The warnings of [`Spec::run`] about the table's rows, per run (its
    /// name, the warning): rows with a step but no loss, the loss at step 0.
    fn row_notes(&self, table: &Table, name: &str) -> Result<Vec<(String, String)>> {
        let name = self.name.as_deref().unwrap_or(name);
        let mut notes = Vec::new();
        for (run, rows) in Curve::missing_losses(
            table,
            name,
            &self.step_col,
            &self.loss_col,
            self.lr_col.as_deref(),
            self.run_col.as_deref(),
        )? {
            let w = super::super::missing_losses_warning(table, &rows, &self.step_col);
            notes.push((run, w));
        }
        notes.extend(Curve::lr_elsewhere(
            table,
            name,
            &self.step_col,
            &self.loss_col,
            self.lr_col.as_deref(),
            self.run_col.as_deref(),
        )?);
        notes.extend(Curve::restarts(
            table,
            name,
            &self.step_col,
            &self.loss_col,
            self.run_col.as_deref(),
        )?);
        // What the reader did (an event file that restarts), every run's.
        for w in &table.notes {
            for (run, _) in Curve::run_rows(table, name, self.run_col.as_deref())? {
                notes.push((run, w.clone()));
            }
        }
        for (run, rows) in Curve::at_step_zero(
            table,
            name,
            &self.step_col,
            &self.loss_col,
            self.run_col.as_deref(),
        )? {
            let lines: Vec<String> = rows.iter().map(|&r| table.line(r).to_string()).collect();
            let w = format!(
                "the loss at step 0 (before any training step; {}{} {}) is not on the curve the laws fit: skipped",
                if table.records { "record" } else { "line" },
                if rows.len() == 1 { "" } else { "s" },
                lines.join(", ")
            );
            notes.push((run, w));
        }
        Ok(notes)
    }
}

/// A single curve's error that names no file (a window too short for the
/// law, a failed fit) names it (probe47: "3 points to fit the reciprocal
/// law's 3 parameters" said of no file); errors that locate themselves are
/// kept as they are.
fn in_file(e: Error, file: &str) -> Error {
    match e {
        Error::Data(_) | Error::Fit(_) => Error::Located {
            location: crate::error::Location {
                file: file.to_string(),
                row: None,
                column: None,
                record: false,
            },
            source: Box::new(e),
        },
        e => e,
    }
}

/// Add warning `w` to every forecast of run `run`.
fn warn_run(forecasts: &mut [ForecastOutput], run: &str, w: &str) {
    for o in forecasts.iter_mut().filter(|o| o.curve == run) {
        o.warnings.push(w.to_string());
    }
}

/// A skipped run's reason naming the run: `reason` as it is when it names
/// it already (a reader's error: "1 point in run 'R'"), else prefixed
/// "run 'R': " (a fit's: "2 points to fit the reciprocal law's 3
/// parameters"), so that the reason read alone (a table line whose name
/// is shortened, a log) still says which run.
fn naming_run(run: &str, reason: String) -> String {
    if reason.contains(&format!("'{run}'")) {
        reason
    } else {
        format!("run '{run}': {reason}")
    }
}

/// The note for a per-position file whose smallest position is 0, when the
/// temporal law (which reads the positions) was fitted: the law counts
/// positions from 1 and is not shift-invariant, so such a file fits a
/// slightly different law. None otherwise (the aggregate laws read only the
/// mean over positions).
fn zero_based_note(p: &PositionCurves, method: &str) -> Option<String> {
    (method == "temporal" && p.positions.first() == Some(&0.0)).then(|| {
        "the smallest position is 0, but the temporal law counts positions from 1 (the first \
         predicted token) and a0 / (1 + a1 i) + a2 is not shift-invariant: a 0-based file fits a \
         slightly different law (add 1 to every position for the law's convention)"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        Table::from_delimited("t.csv", text, b',').unwrap()
    }

    #[test]
    fn the_only_numeric_column_besides_the_loss_is_the_step() {
        let t = table("n,loss\n100,3.2\n200,3.0\n400,2.9\n");
        let mut spec = Spec::default();
        let note = spec.choose_step(&t).unwrap();
        assert_eq!(
            note.as_deref(),
            Some("step: n (no 'step' column; the only numeric column besides loss)")
        );
        assert_eq!(spec.step_col, "n");
        // chosen once: the column is there now
        assert_eq!(spec.choose_step(&t).unwrap(), None);

        // the learning rate, its W&B companions, the run and text columns
        // are no step
        let t =
            table("run,tokens,lr,lr__MIN,loss,loss__MAX\na,1,0.1,0.1,3,3\na,2,0.1,0.1,2.9,2.9\n");
        let mut spec = Spec {
            run_col: Some("run".into()),
            ..Spec::default()
        };
        assert!(spec.choose_step(&t).unwrap().is_some());
        assert_eq!(spec.step_col, "tokens");

        // a step column there, or named: nothing chosen
        let t = table("step,n,loss\n1,100,3\n2,200,2.9\n");
        let mut spec = Spec::default();
        assert_eq!(spec.choose_step(&t).unwrap(), None);
        assert_eq!(spec.step_col, "step");
        let t = table("n,loss\n100,3\n200,2.9\n");
        let mut spec = Spec {
            step_col: "iter".into(),
            ..Spec::default()
        };
        assert_eq!(spec.choose_step(&t).unwrap(), None);
        assert_eq!(spec.step_col, "iter");

        // several: the missing column's error, listing them
        let t = table("n,tokens,lr,loss\n1,2,0.1,3\n2,4,0.1,2.9\n");
        let e = Spec::default().choose_step(&t).unwrap_err().to_string();
        assert!(
            e.contains("column 'step': no such column (columns are: n, tokens, lr, loss); 2 numeric columns besides the loss 'loss' and the learning rate 'lr' could be the step: n, tokens; name the step column"),
            "{e}"
        );
        // the front ends' hints still find the missing column in it
        assert_eq!(
            crate::near_column::missing_column(&e).map(|(c, _)| c),
            Some("step".to_string())
        );

        // W&B's count of log calls is no step: left to the error's hint
        let t = table("_step,train/loss\n0,3\n1,2.9\n");
        let mut spec = Spec::default();
        assert_eq!(spec.choose_step(&t).unwrap(), None);
        let t = table("_step,train/global_step,train/loss\n0,100,3\n1,200,2.9\n");
        assert!(spec.choose_step(&t).unwrap().is_some());
        assert_eq!(spec.step_col, "train/global_step");

        // none: left to the reader's own error
        let t = table("name,loss\na,3\nb,2.9\n");
        let mut spec = Spec::default();
        assert_eq!(spec.choose_step(&t).unwrap(), None);
        assert_eq!(spec.step_col, "step");
    }

    /// Per-position rows of L_i = a0 / (1 + a1 i) + a2 (i counted from 1) at 10
    /// checkpoints, positions `first`..`first`+7 (a0, a2 falling with the step).
    fn positions_table(first: u32) -> Table {
        let mut s = String::from("step,position,loss\n");
        for t in (1..=10).map(|k| 100.0 * f64::from(k)) {
            let (a0, a2) = (
                3.0 * (t / 100.0_f64).powf(-0.3),
                2.0 + 1.0 / (1.0 + t / 300.0),
            );
            for i in first..first + 8 {
                let l = a0 / (1.0 + 0.1 * f64::from(i - first + 1)) + a2;
                s += &format!("{t},{i},{l}\n");
            }
        }
        table(&s)
    }

    /// A 0-based per-position file is said (the temporal law counts from
    /// 1); a 1-based one is not, nor a 0-based one forecast by an aggregate law.
    #[test]
    fn a_zero_based_position_file_is_noted() {
        let is_note = |w: &String| w.contains("the smallest position is 0");
        for (method, first, want) in [
            ("temporal", 0, true),
            ("temporal", 1, false),
            ("reciprocal", 0, false),
        ] {
            let spec = Spec {
                method: method.into(),
                fit_until: FitUntil::Number(0.8),
                bootstrap: 0,
                ..Spec::default()
            };
            let runs = spec.run(&positions_table(first), "p").unwrap();
            let o = &runs.forecasts[0];
            assert_eq!(o.method, method);
            assert_eq!(
                o.warnings.iter().any(is_note),
                want,
                "{method} {first}: {:?}",
                o.warnings
            );
        }
    }
}
