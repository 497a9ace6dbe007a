//! Loss curves (step, optional learning rate, loss) and the learning-rate
//! features the schedule-aware laws use.

use crate::table::Table;
use crate::{Error, Result};
use std::path::Path;

#[derive(Debug, Clone)]
pub struct Curve {
    pub name: String,
    pub step: Vec<f64>,
    pub lr: Option<Vec<f64>>,
    pub loss: Vec<f64>,
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
        let t = Table::read(path)?;
        let si = t.column_index(step_col)?;
        let li = t.column_index(loss_col)?;
        let ri = match lr_col {
            Some(c) => Some(t.column_index(c)?),
            None => t.columns.iter().position(|c| c == "lr"),
        };
        let mut c = Curve {
            name: path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("curve")
                .to_string(),
            step: vec![],
            lr: ri.map(|_| vec![]),
            loss: vec![],
        };
        for r in 0..t.rows.len() {
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
                format!("{} points: a curve needs at least 4", c.step.len()),
            ));
        }
        Ok(c)
    }

    pub fn len(&self) -> usize {
        self.step.len()
    }
    pub fn is_empty(&self) -> bool {
        self.step.is_empty()
    }

    /// The learning rate at every integer step 1..=last step: linear warmup
    /// from 0 to the first recorded rate over the steps before the first
    /// point, linear interpolation between recorded points.
    fn per_step_lr(&self, lr: &[f64]) -> Vec<f64> {
        let last = *self.step.last().expect("non-empty") as usize;
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
            if next < self.len() && t as f64 >= self.step[next] {
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
