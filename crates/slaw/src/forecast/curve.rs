//! Loss curves (step, optional learning rate, loss) and the learning-rate
//! features the schedule-aware laws use.

use super::schedule::Schedule;
use crate::table::Table;
use crate::{Error, Result};
use std::path::Path;

#[derive(Debug, Clone)]
pub struct Curve {
    pub name: String,
    pub step: Vec<f64>,
    pub lr: Option<Vec<f64>>,
    /// The loss; NaN at steps added to forecast past the observed curve.
    pub loss: Vec<f64>,
    /// A schedule given by the user: the learning rate at every step comes
    /// from it rather than from interpolating `lr`.
    pub schedule: Option<Schedule>,
}

/// Per-point learning-rate features of a curve.
#[derive(Debug, Clone)]
pub struct Features {
    /// S1: the learning rate summed over every step up to the point
    /// (warmup included), the "forward area".
    pub s1: Vec<f64>,
    /// Tissue et al.'s annealing area S2 = sum of m_i, m_i = lambda m_{i-1} + (eta_{i-1} - eta_i).
    pub s2: Vec<f64>,
    /// The learning-rate decreases as blocks between consecutive points:
    /// (decrease, lr after it, S1 at the block's start).
    pub drops: Vec<(f64, f64, f64)>,
    /// Index into `drops` of the last block at or before each point.
    pub drops_upto: Vec<usize>,
}

/// Tissue et al.'s momentum factor (they report 0.99 to 0.999).
pub const TISSUE_LAMBDA: f64 = 0.999;

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
        let groups: Vec<(String, Vec<usize>)> = match run_col {
            None => vec![(stem, (0..t.rows.len()).collect())],
            Some(c) => {
                let ci = t.column_index(c)?;
                let mut g: Vec<(String, Vec<usize>)> = Vec::new();
                for r in 0..t.rows.len() {
                    let key = t.text(r, ci);
                    match g.iter_mut().find(|(k, _)| k == key) {
                        Some((_, v)) => v.push(r),
                        None => g.push((key.to_string(), vec![r])),
                    }
                }
                g
            }
        };
        if groups.is_empty() {
            return Err(Error::input(&t.source, None, None, "no rows"));
        }
        groups
            .into_iter()
            .map(|(name, rows)| Self::from_rows(&t, &rows, name, step_col, loss_col, lr_col))
            .collect()
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
        let li = t.column_index(loss_col)?;
        let ri = match lr_col {
            Some(c) => Some(t.column_index(c)?),
            None => t.columns.iter().position(|c| c == "lr"),
        };
        let mut c = Curve {
            name,
            step: vec![],
            lr: ri.map(|_| vec![]),
            loss: vec![],
            schedule: None,
        };
        for &r in rows {
            let s = t.number(r, si)?;
            let l = t.number(r, li)?;
            if s <= 0.0 || l <= 0.0 {
                return Err(Error::input(
                    &t.source,
                    Some(t.line(r)),
                    Some(if s <= 0.0 { step_col } else { loss_col }),
                    "must be > 0",
                ));
            }
            if let Some(prev) = c.step.last() {
                if s <= *prev {
                    return Err(Error::input(
                        &t.source,
                        Some(t.line(r)),
                        Some(step_col),
                        format!("steps must increase ({s} follows {prev})"),
                    ));
                }
            }
            if let (Some(i), Some(v)) = (ri, c.lr.as_mut()) {
                let lr = t.number(r, i)?;
                if lr < 0.0 {
                    return Err(Error::input(
                        &t.source,
                        Some(t.line(r)),
                        Some(&t.columns[i]),
                        "a learning rate must be >= 0",
                    ));
                }
                v.push(lr);
            }
            c.step.push(s);
            c.loss.push(l);
        }
        if c.step.len() < 4 {
            return Err(Error::input(
                &t.source,
                None,
                None,
                format!(
                    "{} points{}: a curve needs at least 4",
                    c.step.len(),
                    if rows.len() < t.rows.len() {
                        format!(" in run '{}'", c.name)
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        Ok(c)
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
        for &t in at {
            if c.step.contains(&t) {
                continue;
            }
            let j = c.step.partition_point(|&s| s < t);
            if let Some(lr) = c.lr.as_mut() {
                let v = match self.schedule {
                    Some(s) => s.at(t),
                    None if j == 0 => lr[0] * t / c.step[0],
                    None if j == lr.len() => lr[j - 1],
                    None => {
                        let (a, b) = (c.step[j - 1], c.step[j]);
                        lr[j - 1] + (lr[j] - lr[j - 1]) * (t - a) / (b - a)
                    }
                };
                lr.insert(j, v);
            }
            c.step.insert(j, t);
            c.loss.insert(j, f64::NAN);
        }
        c
    }

    pub fn len(&self) -> usize {
        self.step.len()
    }
    pub fn is_empty(&self) -> bool {
        self.step.is_empty()
    }

    /// Number of observed points (the loss is known).
    pub fn observed(&self) -> usize {
        self.loss.iter().filter(|l| !l.is_nan()).count()
    }

    /// The learning rate at every integer step 1..=last step: from the
    /// schedule when there is one; otherwise a linear warmup from 0 to the
    /// first recorded rate over the steps before the first point, and linear
    /// interpolation between recorded points.
    fn per_step_lr(&self, lr: &[f64]) -> Vec<f64> {
        let last = self.step.last().expect("non-empty").ceil() as usize;
        if let Some(s) = self.schedule {
            return (0..=last).map(|t| s.at(t as f64)).collect();
        }
        let mut out = vec![0.0; last + 1];
        let s0 = self.step[0];
        for (t, v) in out.iter_mut().enumerate().skip(1) {
            let tf = t as f64;
            *v = if tf <= s0 {
                lr[0] * tf / s0
            } else {
                let j = self.step.partition_point(|&s| s < tf);
                let (a, b) = (self.step[j - 1], self.step[j]);
                lr[j - 1] + (lr[j] - lr[j - 1]) * (tf - a) / (b - a)
            };
        }
        out
    }

    /// The schedule features, or None without a learning-rate column.
    pub fn features(&self) -> Option<Features> {
        let lr = self.lr.as_ref()?;
        let eta = self.per_step_lr(lr);
        let mut s1 = Vec::with_capacity(self.len());
        let mut s2 = Vec::with_capacity(self.len());
        let (mut area, mut m, mut ann) = (0.0, 0.0, 0.0);
        let mut next = 0;
        // Blocks of learning-rate decrease after the warmup, one per gap
        // between recorded points.
        let mut drops = Vec::new();
        let mut drops_upto = Vec::with_capacity(self.len());
        let mut block = (0.0, 0.0, 0.0);
        let s0 = self.step[0] as usize;
        for t in 1..eta.len() {
            area += eta[t];
            if t > s0 {
                let d = eta[t - 1] - eta[t];
                m = TISSUE_LAMBDA * m + d;
                ann += m;
                if d > 0.0 {
                    if block.0 == 0.0 {
                        block.2 = area - eta[t];
                    }
                    block.0 += d;
                }
            }
            while next < self.len() && t as f64 >= self.step[next] {
                if block.0 > 0.0 {
                    block.1 = eta[t];
                    drops.push(block);
                    block = (0.0, 0.0, 0.0);
                }
                s1.push(area);
                s2.push(ann);
                drops_upto.push(drops.len());
                next += 1;
            }
        }
        Some(Features {
            s1,
            s2,
            drops,
            drops_upto,
        })
    }
}
