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
    /// Read a per-position file (long format, sorted by step then position).
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
            Error::input(&t.source, Some(t.line(r)), col, msg)
        };
        let mut out = PositionCurves {
            name,
            steps: vec![],
            lr: ri.map(|_| vec![]),
            positions: vec![],
            loss: vec![],
        };
        // Row index where the current checkpoint started (for messages).
        let mut first_row = 0;
        for r in 0..t.len() {
            let s = t.number(r, si)?;
            let p = t.number(r, pi)?;
            let l = t.number(r, li)?;
            if s <= 0.0 {
                return Err(err(r, Some(cols.step), "must be > 0".into()));
            }
            if p < 0.0 {
                return Err(err(r, Some(cols.position), "must be >= 0".into()));
            }
            if l <= 0.0 {
                return Err(err(r, Some(cols.loss), "must be > 0".into()));
            }
            let new_checkpoint = out.steps.last().is_none_or(|&prev| s != prev);
            if new_checkpoint {
                if let Some(&prev) = out.steps.last() {
                    if s < prev {
                        return Err(err(
                            r,
                            Some(cols.step),
                            format!(
                                "steps must increase ({s} follows {prev}); sort the file by step, then position"
                            ),
                        ));
                    }
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
            return Err(Error::input(
                &t.source,
                Some(t.line(first_row)),
                Some(cols.position),
                format!(
                    "the checkpoint at step {} has {} positions, the first checkpoint {}: every checkpoint must be evaluated at the same positions",
                    self.steps[c],
                    self.loss[c].len(),
                    self.positions.len()
                ),
            ));
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

    #[test]
    fn errors_name_row_and_column() {
        let mut text = file(&[10, 20, 30, 40], &[0, 1, 2, 3]);
        text.push_str("5,0,3.0\n");
        let e = parse(&text).unwrap_err().to_string();
        assert!(
            e.contains("row 18") && e.contains("steps must increase"),
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
