//! Per-position loss curves: at every checkpoint (step), the mean loss at
//! each token position of the evaluation sequences. Long format, one row per
//! (step, position): `step,position,loss[,lr]`. `examples/per_position_loss.py`
//! writes it from a model's checkpoints.

use super::curve::Curve;
use crate::table::Table;
use crate::{Error, Result};
use std::path::Path;

/// Per-position loss curves of one run (see the module).
#[derive(Debug, Clone)]
pub struct PositionCurves {
    /// The run's name (the file's).
    pub name: String,
    /// One entry per checkpoint, increasing.
    pub steps: Vec<f64>,
    /// The learning rate at each checkpoint, when the file gives it.
    pub lr: Option<Vec<f64>>,
    /// The token positions every checkpoint was evaluated at, increasing.
    pub positions: Vec<f64>,
    /// `loss[c][k]`: checkpoint c, position `positions[k]`.
    pub loss: Vec<Vec<f64>>,
}

/// Column names of a per-position file.
#[derive(Debug, Clone)]
pub struct PositionColumns<'a> {
    /// The step column.
    pub step: &'a str,
    /// The token-position column.
    pub position: &'a str,
    /// The loss column.
    pub loss: &'a str,
    /// None: "lr" when present.
    pub lr: Option<&'a str>,
}

impl Default for PositionColumns<'_> {
    fn default() -> Self {
        PositionColumns {
            step: "step",
            position: "position",
            loss: "loss",
            lr: None,
        }
    }
}

/// At least this many positions per checkpoint and checkpoints per file.
pub const MIN_POSITIONS: usize = 4;
/// At least this many checkpoints per file.
pub const MIN_CHECKPOINTS: usize = 4;

impl PositionCurves {
    /// Read a per-position file (long format, rows in any order).
    pub fn read(path: &Path, cols: &PositionColumns) -> Result<PositionCurves> {
        let t = Table::read(path)?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("curve")
            .to_string();
        Self::from_table(&t, cols, name)
    }

    /// Per-position curves from a table already read; errors name the row and column.
    pub fn from_table(t: &Table, cols: &PositionColumns, name: String) -> Result<PositionCurves> {
        let si = t.column_index(cols.step)?;
        let pi = t.column_index(cols.position)?;
        let li = t.column_index(cols.loss)?;
        let ri = match cols.lr {
            Some(c) => Some(t.column_index(c)?),
            None => t.columns.iter().position(|c| c == "lr"),
        };
        let err = |r: usize, col: Option<&str>, msg: String| {
            t.name_rows(Error::input(&t.source, Some(t.line(r)), col, msg))
        };
        let mut out = PositionCurves {
            name,
            steps: vec![],
            lr: ri.map(|_| vec![]),
            positions: vec![],
            loss: vec![],
        };
        // Every cell checked in file order, then the rows read sorted by
        // step, then position (a file in another order reads the same).
        let mut rows = Vec::with_capacity(t.len());
        for r in 0..t.len() {
            let s = t.number(r, si)?;
            let p = t.number(r, pi)?;
            let l = t.number(r, li)?;
            if s <= 0.0 {
                return Err(err(
                    r,
                    Some(cols.step),
                    format!("must be > 0, got {}", crate::numbers::num(s)),
                ));
            }
            if p < 0.0 {
                return Err(err(
                    r,
                    Some(cols.position),
                    format!("must be >= 0, got {}", crate::numbers::num(p)),
                ));
            }
            if l <= 0.0 {
                return Err(err(
                    r,
                    Some(cols.loss),
                    format!("must be > 0, got {}", crate::numbers::num(l)),
                ));
            }
            rows.push((r, s, p, l));
        }
        rows.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.2.total_cmp(&b.2)));
        if let Some(w) = rows
            .windows(2)
            .find(|w| w[0].1 == w[1].1 && w[0].2 == w[1].2)
        {
            return Err(err(
                w[1].0.max(w[0].0),
                Some(cols.position),
                format!(
                    "step {}, position {} appears twice ({}s {} and {})",
                    w[0].1,
                    w[0].2,
                    if t.records { "record" } else { "line" },
                    t.line(w[0].0.min(w[1].0)),
                    t.line(w[0].0.max(w[1].0))
                ),
            ));
        }
        // Row index where the current checkpoint started (for messages).
        let mut first_row = 0;
        for (r, s, p, l) in rows {
            let new_checkpoint = out.steps.last().is_none_or(|&prev| s != prev);
            if !new_checkpoint {
                // One learning rate per checkpoint.
                if let (Some(i), Some(v)) = (ri, out.lr.as_ref()) {
                    let lr = t.number(r, i)?;
                    let first = *v.last().expect("a rate per checkpoint");
                    if lr != first {
                        return Err(err(
                            r,
                            Some(&t.columns[i]),
                            format!(
                                "learning rate {lr} at step {s}, where {} {} of the same checkpoint has {first}: a checkpoint has one learning rate",
                                if t.records { "record" } else { "line" },
                                t.line(first_row)
                            ),
                        ));
                    }
                }
            }
            if new_checkpoint {
                if out.steps.last().is_some() {
                    out.check_checkpoint(t, first_row, cols)?;
                }
                first_row = r;
                out.steps.push(s);
                out.loss.push(vec![]);
                if let (Some(i), Some(v)) = (ri, out.lr.as_mut()) {
                    let lr = t.number(r, i)?;
                    if lr < 0.0 {
                        return Err(err(
                            r,
                            Some(&t.columns[i]),
                            "a learning rate must be >= 0".into(),
                        ));
                    }
                    v.push(lr);
                }
            }
            let c = out.loss.len() - 1;
            let k = out.loss[c].len();
            if c == 0 {
                if let Some(&prev) = out.positions.last() {
                    if p <= prev {
                        return Err(err(
                            r,
                            Some(cols.position),
                            format!(
                                "positions must increase within a checkpoint ({p} follows {prev})"
                            ),
                        ));
                    }
                }
                out.positions.push(p);
            } else if out.positions.get(k) != Some(&p) {
                return Err(err(
                    r,
                    Some(cols.position),
                    format!(
                        "checkpoint at step {s}: position {p} where the first checkpoint has {}; every checkpoint must be evaluated at the same positions, in the same order",
                        out.positions
                            .get(k)
                            .map(|v| v.to_string())
                            .unwrap_or_else(|| "no more positions".into())
                    ),
                ));
            }
            out.loss[c].push(l);
        }
        if out.steps.is_empty() {
            return Err(Error::input(&t.source, None, None, "no rows"));
        }
        if let (Some(i), Some(v)) = (ri, &out.lr) {
            super::curve::check_not_all_zero(t, &t.columns[i], v)?;
        }
        out.check_checkpoint(t, first_row, cols)?;
        if out.positions.len() < MIN_POSITIONS {
            return Err(Error::input(
                &t.source,
                None,
                Some(cols.position),
                format!(
                    "{} positions per checkpoint: the per-position law needs at least {MIN_POSITIONS}",
                    out.positions.len()
                ),
            ));
        }
        if out.steps.len() < MIN_CHECKPOINTS {
            return Err(Error::input(
                &t.source,
                None,
                Some(cols.step),
                format!(
                    "{} checkpoints: a curve needs at least {MIN_CHECKPOINTS}",
                    out.steps.len()
                ),
            ));
        }
        Ok(out)
    }

    /// The last checkpoint read must have every position.
    fn check_checkpoint(&self, t: &Table, first_row: usize, cols: &PositionColumns) -> Result<()> {
        let c = self.loss.len() - 1;
        if self.loss[c].len() != self.positions.len() {
            return Err(t.name_rows(Error::input(
                &t.source,
                Some(t.line(first_row)),
                Some(cols.position),
                format!(
                    "the checkpoint at step {} has {} positions, the first checkpoint {}: every checkpoint must be evaluated at the same positions",
                    self.steps[c],
                    self.loss[c].len(),
                    self.positions.len()
                ),
            )));
        }
        Ok(())
    }

    /// The number of checkpoints.
    pub fn len(&self) -> usize {
        self.steps.len()
    }
    /// Whether there are no checkpoints.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The aggregate curve: the mean over positions at every checkpoint.
    pub fn aggregate(&self) -> Curve {
        Curve {
            name: self.name.clone(),
            step: self.steps.clone(),
            lr: self.lr.clone(),
            loss: self
                .loss
                .iter()
                .map(|l| l.iter().sum::<f64>() / l.len() as f64)
                .collect(),
            schedule: None,
            untrained: vec![],
            lead: vec![],
        }
    }

    /// CSV text in the long format (`step,position,loss[,lr]`).
    pub fn to_csv(&self) -> String {
        let mut s = String::from(if self.lr.is_some() {
            "step,position,loss,lr\n"
        } else {
            "step,position,loss\n"
        });
        for (c, &step) in self.steps.iter().enumerate() {
            for (k, &p) in self.positions.iter().enumerate() {
                s.push_str(&format!("{step},{p},{}", self.loss[c][k]));
                if let Some(lr) = &self.lr {
                    s.push_str(&format!(",{}", lr[c]));
                }
                s.push('\n');
            }
        }
        s
    }
}

/// True when `path`'s header has the column `position_col`.
pub fn has_position_column(path: &Path, position_col: &str) -> Result<bool> {
    let t = Table::read(path)?;
    Ok(t.columns.iter().any(|c| c == position_col))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PositionCurves> {
        let t = Table::from_delimited("f.csv", text, b',')?;
        PositionCurves::from_table(&t, &PositionColumns::default(), "f".into())
    }

    fn file(steps: &[u32], positions: &[u32]) -> String {
        let mut s = String::from("step,position,loss\n");
        for st in steps {
            for p in positions {
                s.push_str(&format!("{st},{p},{}\n", 3.0 + 1.0 / (1.0 + *p as f64)));
            }
        }
        s
    }

    #[test]
    fn reads_and_aggregates() {
        let c = parse(&file(&[10, 20, 30, 40], &[0, 1, 2, 3, 4])).unwrap();
        assert_eq!(c.len(), 4);
        assert_eq!(c.positions.len(), 5);
        let a = c.aggregate();
        let want = (0..5).map(|p| 3.0 + 1.0 / (1.0 + p as f64)).sum::<f64>() / 5.0;
        assert!((a.loss[2] - want).abs() < 1e-12);
    }

    /// probe_tj 15: rows in another order (by position, shuffled) read
    /// the same as sorted ones ("steps must increase ... sort the file").
    #[test]
    fn rows_in_any_order_read_the_same() {
        let text = file(&[10, 20, 30, 40], &[0, 1, 2, 3, 4]);
        let sorted = parse(&text).unwrap();
        let mut lines: Vec<&str> = text.lines().skip(1).collect();
        lines.reverse();
        lines.swap(3, 11);
        let other = format!("step,position,loss\n{}\n", lines.join("\n"));
        let c = parse(&other).unwrap();
        assert_eq!(
            (c.steps, c.positions, c.loss),
            (sorted.steps, sorted.positions, sorted.loss)
        );
    }

    /// probe_tj 15: a learning rate that differs within one checkpoint is an
    /// error naming the row (only each checkpoint's first rate was read).
    #[test]
    fn one_learning_rate_per_checkpoint() {
        let mut s = String::from("step,position,loss,lr\n");
        for st in [10, 20, 30, 40] {
            for p in 0..4 {
                let lr = if st == 30 && p == 2 { 0.5 } else { 3e-3 };
                s.push_str(&format!("{st},{p},{},{lr}\n", 3.0 + 1.0 / (1.0 + p as f64)));
            }
        }
        let e = parse(&s).unwrap_err().to_string();
        assert!(
            e.contains("row 12, column 'lr'") && e.contains("one learning rate"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_row_and_column() {
        let mut text = file(&[10, 20, 30, 40], &[0, 1, 2, 3]);
        text.push_str("30,2,3.5\n");
        let e = parse(&text).unwrap_err().to_string();
        assert!(
            e.contains("row 18")
                && e.contains("step 30, position 2 appears twice (lines 12 and 18)"),
            "{e}"
        );

        let mut text = file(&[10, 20, 30], &[0, 1, 2, 3]);
        text.push_str("40,0,3.0\n40,2,3.0\n");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains("same positions"), "{e}");

        let e = parse(&file(&[10, 20, 30], &[0, 1, 2, 3]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("3 checkpoints"), "{e}");
        let e = parse(&file(&[10, 20, 30, 40], &[0, 1, 2]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("3 positions"), "{e}");
        let e = parse("step,position,loss\n10,0,x\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 2") && e.contains("loss"), "{e}");
    }
}
