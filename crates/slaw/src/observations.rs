//! Observations: points with one or more named inputs, an output (loss), an
//! optional weight, group key and held-out flag.

use crate::error::{Error, Result};
use crate::table::Table;

/// What the inputs of a law may be: some laws take logarithms of their inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// x > 0 (a log of x is taken).
    Positive,
    /// x >= 0 (x = 0 allowed, e.g. the zero-shot point of the rectified law).
    NonNegative,
    /// Any finite x.
    Any,
}

#[derive(Debug, Clone)]
pub struct Observations {
    pub input_names: Vec<String>,
    /// Row-major inputs: point i is `x[i * dim .. (i + 1) * dim]`.
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub weight: Vec<f64>,
    /// Group key of each point ("" when not grouped).
    pub group: Vec<String>,
    /// Line number in the source file of each point, for messages.
    pub line: Vec<usize>,
    pub source: String,
}

/// Which columns to read.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    pub x: Vec<String>,
    pub y: String,
    pub weight: Option<String>,
    pub group: Option<String>,
}

impl Observations {
    pub fn dim(&self) -> usize {
        self.input_names.len()
    }
    pub fn len(&self) -> usize {
        self.y.len()
    }
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
    pub fn point(&self, i: usize) -> &[f64] {
        let d = self.dim();
        &self.x[i * d..(i + 1) * d]
    }

    /// Build from in-memory vectors (one inner vec per input), unweighted.
    pub fn from_columns(input_names: &[&str], xs: &[Vec<f64>], y: Vec<f64>) -> Observations {
        let n = y.len();
        let d = input_names.len();
        let mut x = Vec::with_capacity(n * d);
        for i in 0..n {
            for col in xs {
                x.push(col[i]);
            }
        }
        Observations {
            input_names: input_names.iter().map(|s| s.to_string()).collect(),
            x,
            y,
            weight: vec![1.0; n],
            group: vec![String::new(); n],
            line: (1..=n).collect(),
            source: "<memory>".into(),
        }
    }

    /// Read the named columns of a table; every cell used is checked.
    pub fn from_table(table: &Table, cols: &Columns) -> Result<Observations> {
        let xi: Vec<usize> = cols
            .x
            .iter()
            .map(|c| table.column_index(c))
            .collect::<Result<_>>()?;
        let yi = table.column_index(&cols.y)?;
        let wi = cols
            .weight
            .as_deref()
            .map(|c| table.column_index(c))
            .transpose()?;
        let gi = cols
            .group
            .as_deref()
            .map(|c| table.column_index(c))
            .transpose()?;
        let n = table.rows.len();
        let mut obs = Observations {
            input_names: cols.x.clone(),
            x: Vec::with_capacity(n * xi.len()),
            y: Vec::with_capacity(n),
            weight: Vec::with_capacity(n),
            group: Vec::with_capacity(n),
            line: Vec::with_capacity(n),
            source: table.source.clone(),
        };
        for r in 0..n {
            for &c in &xi {
                obs.x.push(table.number(r, c)?);
            }
            obs.y.push(table.number(r, yi)?);
            let w = match wi {
                Some(c) => {
                    let w = table.number(r, c)?;
                    if w < 0.0 {
                        return Err(Error::input(
                            &table.source,
                            Some(table.line(r)),
                            Some(&table.columns[c]),
                            "weights must be >= 0",
                        ));
                    }
                    w
                }
                None => 1.0,
            };
            obs.weight.push(w);
            obs.group
                .push(gi.map(|c| table.text(r, c).to_string()).unwrap_or_default());
            obs.line.push(table.line(r));
        }
        if obs.is_empty() {
            return Err(Error::input(&table.source, None, None, "no data rows"));
        }
        Ok(obs)
    }

    /// Check that inputs lie in a law's domain and outputs are usable in the
    /// chosen objective space (log needs y > 0).
    pub fn validate(&self, domains: &[Domain], log_y: bool, y_name: &str) -> Result<()> {
        for i in 0..self.len() {
            for (j, &v) in self.point(i).iter().enumerate() {
                let dom = domains.get(j).copied().unwrap_or(Domain::Any);
                let bad = match dom {
                    Domain::Positive => v <= 0.0,
                    Domain::NonNegative => v < 0.0,
                    Domain::Any => false,
                };
                if bad {
                    let need = if dom == Domain::Positive {
                        "> 0"
                    } else {
                        ">= 0"
                    };
                    return Err(Error::input(
                        &self.source,
                        Some(self.line[i]),
                        Some(&self.input_names[j]),
                        format!("value {v} must be {need}: this law takes its logarithm"),
                    ));
                }
            }
            if log_y && self.y[i] <= 0.0 {
                return Err(Error::input(
                    &self.source,
                    Some(self.line[i]),
                    Some(y_name),
                    format!(
                        "value {} must be > 0 to fit in log space (use --space linear)",
                        self.y[i]
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The subset of points whose indices are given (in that order).
    pub fn subset(&self, idx: &[usize]) -> Observations {
        let d = self.dim();
        let mut out = Observations {
            input_names: self.input_names.clone(),
            x: Vec::with_capacity(idx.len() * d),
            y: Vec::with_capacity(idx.len()),
            weight: Vec::with_capacity(idx.len()),
            group: Vec::with_capacity(idx.len()),
            line: Vec::with_capacity(idx.len()),
            source: self.source.clone(),
        };
        for &i in idx {
            out.x.extend_from_slice(self.point(i));
            out.y.push(self.y[i]);
            out.weight.push(self.weight[i]);
            out.group.push(self.group[i].clone());
            out.line.push(self.line[i]);
        }
        out
    }

    /// Distinct group keys in order of first appearance.
    pub fn groups(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for g in &self.group {
            if !seen.contains(g) {
                seen.push(g.clone());
            }
        }
        seen
    }

    pub fn group_indices(&self, key: &str) -> Vec<usize> {
        (0..self.len()).filter(|&i| self.group[i] == key).collect()
    }
}
