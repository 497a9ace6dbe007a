//! Observations: points with one or more named inputs, an output (loss), an
//! optional weight, group key and held-out flag.

use crate::error::{Error, Result};
use crate::table::Table;

mod pooled;

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

impl Domain {
    /// Whether `v` is finite and in the domain.
    pub fn admits(self, v: f64) -> bool {
        v.is_finite()
            && match self {
                Domain::Positive => v > 0.0,
                Domain::NonNegative => v >= 0.0,
                Domain::Any => true,
            }
    }

    /// What the domain asks of a value, for messages: "> 0", ">= 0", "finite".
    pub fn requirement(self) -> &'static str {
        match self {
            Domain::Positive => "> 0",
            Domain::NonNegative => ">= 0",
            Domain::Any => "finite",
        }
    }
}

/// How far (decades, powers of ten) a value must lie from every other value
/// of its column to be flagged by [`far_values`]: a loss of 1e308 among
/// losses near 2, a size of 1e-320 among sizes near 1e9. Real data spread
/// over many decades (steps from 1 to 1e6, sizes from 1e6 to 1e12) but with
/// neighbours: none of the public data sets has a gap this wide.
pub const FAR_DECADES: f64 = 6.0;

/// The indices of the values lying more than [`FAR_DECADES`] decades from
/// every other positive value of `values` (a gap that wide to both
/// neighbours in log order): likely a typo or a unit error. Only finite
/// positive values are compared (zero and negative values have no decade),
/// and only with at least 3 of them (the "rest" must be more than one
/// value). Indices ascending.
pub fn far_values(values: &[f64]) -> Vec<usize> {
    // No gap can be wider than the whole span: a column whose largest value
    // is within FAR_DECADES - 1 decades of its smallest (every real curve's
    // losses) has no far value, found without the logs and their sort
    // below. The decade to spare covers any rounding of the ratio and of
    // the logs: the same answer as the full test.
    let (mut lo, mut hi, mut count) = (f64::INFINITY, f64::NEG_INFINITY, 0usize);
    for &v in values {
        if v.is_finite() && v > 0.0 {
            lo = lo.min(v);
            hi = hi.max(v);
            count += 1;
        }
    }
    if count < 3 || hi <= lo * 10f64.powf(FAR_DECADES - 1.0) {
        return Vec::new();
    }
    far_values_sorted(values)
}

/// [`far_values`] by its definition: every positive value's log, sorted,
/// and the gaps to its neighbours.
fn far_values_sorted(values: &[f64]) -> Vec<usize> {
    let mut logs: Vec<(f64, usize)> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite() && **v > 0.0)
        .map(|(i, v)| (v.log10(), i))
        .collect();
    if logs.len() < 3 {
        return Vec::new();
    }
    logs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let gap = |a: usize, b: usize| logs[b].0 - logs[a].0;
    let last = logs.len() - 1;
    let mut out: Vec<usize> = (0..logs.len())
        .filter(|&k| {
            let below = k == 0 || gap(k - 1, k) > FAR_DECADES;
            let above = k == last || gap(k, k + 1) > FAR_DECADES;
            below && above
        })
        .map(|k| logs[k].1)
        .collect();
    out.sort_unstable();
    out
}

/// At most this many sets of equal rows are named by
/// [`Observations::duplicate_point_warnings`].
pub const MAX_DUPLICATE_WARNINGS: usize = 5;

#[derive(Debug, Clone)]
/// Named numeric inputs, a loss and weights per point, with the source line of each point (for error messages).
pub struct Observations {
    /// Names of the inputs (the x columns).
    pub input_names: Vec<String>,
    /// Row-major inputs: point i is `x[i * dim .. (i + 1) * dim]`.
    pub x: Vec<f64>,
    /// The loss of each point.
    pub y: Vec<f64>,
    /// The weight of each point (1 by default).
    pub weight: Vec<f64>,
    /// The group of each point: an index into `group_names`.
    pub group: Vec<u32>,
    /// The group keys ("" when not grouped), each stored once.
    pub group_names: Vec<String>,
    /// Held out of the fit (evaluated only).
    pub held: Vec<bool>,
    /// Line number in the source file of each point, for messages (for a
    /// JSON array, the record's number: see `records`).
    pub line: Vec<usize>,
    /// `line` counts the records of a JSON array ("record N"), not lines.
    pub records: bool,
    /// The file the points came from.
    pub source: String,
    /// The loss column's name, for messages ("loss" when built in memory).
    pub y_name: String,
    /// Per-point context a law reads beside its inputs (integers, not
    /// inputs: the group of a per-group law, the curve and point of a
    /// multi-curve forecast law), `context_dim` per point, row major; empty
    /// when the law takes none.
    pub context: Vec<u32>,
    /// Context integers per point (0 when the law takes none).
    pub context_dim: usize,
}

/// Which columns to read.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// The input columns, in the order of the law's inputs.
    pub x: Vec<String>,
    /// The loss column.
    pub y: String,
    /// The weight column.
    pub weight: Option<String>,
    /// The column whose values split the points into groups (one fit each).
    pub group: Option<String>,
    /// A column flagging held-out points (1/true/yes vs 0/false/no/empty).
    pub holdout: Option<String>,
}

impl Columns {
    /// Every column read: the inputs, the loss, then the weight, group and
    /// hold-out flag columns that are set.
    pub fn read(&self) -> impl Iterator<Item = &String> {
        self.x
            .iter()
            .chain(std::iter::once(&self.y))
            .chain(self.weight.iter())
            .chain(self.group.iter())
            .chain(self.holdout.iter())
    }
}

impl Observations {
    /// Number of inputs.
    pub fn dim(&self) -> usize {
        self.input_names.len()
    }
    /// Number of points.
    pub fn len(&self) -> usize {
        self.y.len()
    }
    /// True when there are no points.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
    /// The smallest and largest finite value of input `j` over the points
    /// ((inf, -inf) without any).
    pub fn input_range(&self, j: usize) -> (f64, f64) {
        (0..self.len())
            .map(|i| self.point(i)[j])
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                (l.min(v), h.max(v))
            })
    }
    /// The inputs of point `i`.
    pub fn point(&self, i: usize) -> &[f64] {
        let d = self.dim();
        &self.x[i * d..(i + 1) * d]
    }

    /// A warning per input of [`Observations::constant_inputs`]: the data
    /// do not say how the loss depends on it (`fit`, and `compare`'s pick).
    pub fn constant_input_warnings(&self) -> Vec<String> {
        self.constant_inputs()
            .into_iter()
            .map(|(name, value)| {
                format!(
                    "input '{name}' takes one value ({value}) at every fitted point: the data do \
                     not say how the loss depends on it"
                )
            })
            .collect()
    }

    /// Warnings naming the values (inputs and losses) that lie more than [`FAR_DECADES`] decades from every other
    /// value of their column ([`far_values`]): such a value is read and
    /// fitted like any other, and one of them can decide the answer.
    pub fn far_value_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut column = |name: &str, vals: Vec<f64>| {
            for i in far_values(&vals) {
                let others: Vec<f64> = vals
                    .iter()
                    .enumerate()
                    .filter(|&(k, v)| k != i && v.is_finite() && *v > 0.0)
                    .map(|(_, v)| *v)
                    .collect();
                let med = crate::stats::median(others);
                out.push(format!(
                    "{}, {} {}, column '{name}': the value {} lies {:.0} decades from the \
                     column's other values (median {}): a typo or a unit error? It is fitted \
                     like any other point and can decide the answer",
                    self.source,
                    self.row_noun(),
                    self.line[i],
                    crate::numbers::short(vals[i]),
                    (vals[i].log10() - med.log10()).abs(),
                    crate::numbers::short(med),
                ));
            }
        };
        for j in 0..self.dim() {
            let name = self.input_names[j].clone();
            column(&name, (0..self.len()).map(|i| self.point(i)[j]).collect());
        }
        column(&self.y_name, self.y.clone());
        out
    }

    /// Warnings for points that break their curve's trend by far more than
    /// the curve's own noise ([`crate::trend_breaks`]; one input, per group
    /// of at least [`crate::trend_breaks::MIN_CURVE_POINTS`] points, x and
    /// values positive and x distinct), each naming its row: a bad
    /// evaluation or a typo, which every law fits like any other point.
    pub fn trend_break_warnings(&self) -> Vec<String> {
        use crate::trend_breaks as tb;
        if self.dim() != 1 {
            return Vec::new();
        }
        let mut out = Vec::new();
        for g in self.groups() {
            let mut idx = self.group_indices(&g);
            if idx.len() < tb::MIN_CURVE_POINTS
                || idx
                    .iter()
                    .any(|&i| !(self.point(i)[0] > 0.0 && self.y[i] > 0.0))
            {
                continue;
            }
            idx.sort_by(|&a, &b| self.point(a)[0].total_cmp(&self.point(b)[0]));
            let pts: Vec<(f64, f64)> = idx
                .iter()
                .map(|&i| (self.point(i)[0].ln(), self.y[i].ln()))
                .collect();
            if !tb::usable(&pts) {
                continue;
            }
            let Some(noise) = tb::noise([pts.as_slice()]) else {
                continue;
            };
            for b in tb::breaks(&pts, noise, tb::MAX_PER_CURVE) {
                let i = idx[b.index];
                let off = tb::off_the_line(b.excess);
                out.push(format!(
                    "{}{}, {} {}: the value {} of '{}' at {} = {} lies {off} through its \
                     neighbouring points, {:.0} times the curve's noise ({:.2}% per point): a bad \
                     evaluation or a typo? Every law fits it like any other point, and it can \
                     move the extrapolation",
                    if g.is_empty() {
                        String::new()
                    } else {
                        format!("group {g}: ")
                    },
                    self.source,
                    self.row_noun(),
                    self.line[i],
                    crate::numbers::short(self.y[i]),
                    self.y_name,
                    self.input_names[0],
                    crate::numbers::short(self.point(i)[0]),
                    b.sigmas.abs(),
                    100.0 * noise
                ));
            }
        }
        out
    }

    /// Warnings for one input whose values rise with it: per group, the
    /// points ordered by x, the median loss over the quarter at the largest
    /// x above that over the quarter at the smallest ([`crate::stats::rises`]).
    /// The catalog's laws describe a quantity that falls as x grows.
    pub fn rising_warnings(&self) -> Vec<String> {
        if self.dim() != 1 {
            return Vec::new();
        }
        let mut out = Vec::new();
        for g in self.groups() {
            let mut idx = self.group_indices(&g);
            idx.sort_by(|&a, &b| self.point(a)[0].total_cmp(&self.point(b)[0]));
            let y: Vec<f64> = idx.iter().map(|&i| self.y[i]).collect();
            if let Some((a, b)) = crate::stats::rises(&y) {
                let x = &self.input_names[0];
                out.push(format!(
                    "{}the values of '{}' rise with '{x}' (median {} over the quarter of the \
                     points at the smallest {x}, {} over the quarter at the largest): the laws \
                     describe a quantity that falls as {x} grows, such as a loss; for a metric \
                     where higher is better (an accuracy), fit its error (1 - accuracy)",
                    if g.is_empty() {
                        String::new()
                    } else {
                        format!("group {g}: ")
                    },
                    self.y_name,
                    crate::numbers::short(a),
                    crate::numbers::short(b),
                ));
            }
        }
        out
    }

    /// Warnings for one input whose values are all equal, per group of at
    /// least 3 points: a constant fits them exactly, so no law is told from
    /// it and a prediction that moves away from that value (a drift
    /// correction) rests on no point. A frozen or broken evaluation logs
    /// such a curve.
    pub fn constant_value_warnings(&self) -> Vec<String> {
        if self.dim() != 1 {
            return Vec::new();
        }
        let mut out = Vec::new();
        for g in self.groups() {
            let idx = self.group_indices(&g);
            let Some(&first) = idx.first() else { continue };
            let v = self.y[first];
            if idx.len() < 3 || idx.iter().any(|&i| self.y[i].to_bits() != v.to_bits()) {
                continue;
            }
            out.push(format!(
                "{}the values of '{}' are all equal ({}) at the {} points: a constant fits \
                 them exactly, so no law can be told from it, and a prediction away from {} \
                 rests on no point (a frozen or broken evaluation?)",
                if g.is_empty() {
                    String::new()
                } else {
                    format!("group {g}: ")
                },
                self.y_name,
                crate::numbers::short(v),
                idx.len(),
                crate::numbers::short(v),
            ));
        }
        out
    }

    /// Warnings naming the rows that give the same point (inputs, loss,
    /// weight, group and hold-out flag all equal: an exact copy of a row in
    /// what is read): each row is fitted, so the point weighs double. At
    /// most [`MAX_DUPLICATE_WARNINGS`] sets of rows are named, then how
    /// many more there are.
    pub fn duplicate_point_warnings(&self) -> Vec<String> {
        // The points sorted by their bits (no allocation per point), equal
        // ones next to each other; each set of equal rows in file order,
        // the sets by their first row.
        let bits = |i: usize| {
            self.point(i)
                .iter()
                .chain([&self.y[i], &self.weight[i]])
                .map(|v| v.to_bits())
        };
        let same = |a: usize, b: usize| {
            bits(a)
                .cmp(bits(b))
                .then(self.group[a].cmp(&self.group[b]))
                .then(self.held[a].cmp(&self.held[b]))
        };
        let mut idx: Vec<usize> = (0..self.len()).collect();
        idx.sort_unstable_by(|&a, &b| same(a, b).then(a.cmp(&b)));
        let mut order: Vec<Vec<usize>> = idx
            .chunk_by(|&a, &b| same(a, b) == std::cmp::Ordering::Equal)
            .filter(|rows| rows.len() > 1)
            .map(|rows| rows.to_vec())
            .collect();
        order.sort_unstable_by_key(|rows| rows[0]);
        let short = crate::numbers::short;
        let mut out: Vec<String> = order
            .iter()
            .take(MAX_DUPLICATE_WARNINGS)
            .map(|rows| {
                let i = rows[0];
                let lines: Vec<String> = rows.iter().map(|&k| self.line[k].to_string()).collect();
                let values: Vec<String> = self
                    .input_names
                    .iter()
                    .zip(self.point(i))
                    .map(|(n, v)| format!("{n} = {}", short(*v)))
                    .chain(std::iter::once(format!(
                        "{} = {}",
                        self.y_name,
                        short(self.y[i])
                    )))
                    .collect();
                let (last, first) = lines.split_last().expect("two rows at least");
                let times = match rows.len() {
                    2 => "twice".to_string(),
                    k => format!("{k} times"),
                };
                format!(
                    "{}, {}s {} and {last}: the same point {times} ({}; every value read is \
                     equal): each row is fitted, so the point weighs {times} as much as one; if \
                     a row is a copy, remove it",
                    self.source,
                    self.row_noun(),
                    first.join(", "),
                    values.join(", "),
                )
            })
            .collect();
        if order.len() > MAX_DUPLICATE_WARNINGS {
            out.push(format!(
                "{}: {} more points appear more than once (rows not named)",
                self.source,
                order.len() - MAX_DUPLICATE_WARNINGS
            ));
        }
        out
    }

    /// The inputs that take a single value over the fitted points (weight
    /// above zero, not held out), with that value: a law cannot learn from
    /// these points how the loss depends on them. Empty with fewer than two
    /// fitted points.
    pub fn constant_inputs(&self) -> Vec<(String, f64)> {
        let fitted: Vec<usize> = (0..self.len())
            .filter(|&i| self.weight[i] > 0.0 && !self.held[i])
            .collect();
        if fitted.len() < 2 {
            return Vec::new();
        }
        (0..self.dim())
            .filter_map(|j| {
                let first = self.point(fitted[0])[j];
                fitted
                    .iter()
                    .all(|&i| self.point(i)[j] == first)
                    .then(|| (self.input_names[j].clone(), first))
            })
            .collect()
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
            group: vec![0; n],
            group_names: vec![String::new()],
            held: vec![false; n],
            line: (1..=n).collect(),
            records: false,
            source: "<memory>".into(),
            y_name: "loss".into(),
            context: Vec::new(),
            context_dim: 0,
        }
    }

    /// The same points with `dim` context integers each (`ctx` row major).
    pub fn with_context(mut self, dim: usize, ctx: Vec<u32>) -> Observations {
        assert_eq!(ctx.len(), dim * self.len(), "context of every point");
        self.context = ctx;
        self.context_dim = dim;
        self
    }

    /// The context of point `i` (empty without context).
    pub fn point_context(&self, i: usize) -> &[u32] {
        let c = self.context_dim;
        &self.context[i * c..(i + 1) * c]
    }

    /// Read the named columns of a table; every cell used is checked.
    pub fn from_table(table: &Table, cols: &Columns) -> Result<Observations> {
        let xi: Vec<usize> = cols
            .x
            .iter()
            .map(|c| table.column_index(c))
            .collect::<Result<_>>()?;
        let yi = table.column_index(&cols.y)?;
        let wi = table.optional_column(cols.weight.as_deref())?;
        let gi = table.optional_column(cols.group.as_deref())?;
        let hi = table.optional_column(cols.holdout.as_deref())?;
        let n = table.len();
        let mut obs = Observations {
            input_names: cols.x.clone(),
            x: Vec::with_capacity(n * xi.len()),
            y: Vec::with_capacity(n),
            weight: Vec::with_capacity(n),
            group: Vec::with_capacity(n),
            group_names: Vec::new(),
            held: Vec::with_capacity(n),
            line: Vec::with_capacity(n),
            records: table.records,
            source: table.source.clone(),
            y_name: cols.y.clone(),
            context: Vec::new(),
            context_dim: 0,
        };
        let mut group_ids: std::collections::HashMap<String, u32> = Default::default();
        for r in 0..n {
            for &c in &xi {
                obs.x.push(table.number(r, c)?);
            }
            obs.y.push(table.number(r, yi)?);
            let w = match wi {
                Some(c) => {
                    let w = table.number(r, c)?;
                    if w < 0.0 {
                        return Err(table.cell_error(r, c, "weights must be >= 0"));
                    }
                    w
                }
                None => 1.0,
            };
            obs.weight.push(w);
            let key = gi.map_or("", |c| table.text(r, c));
            // A missing group key would make a group of its own, named "".
            if let (Some(c), "") = (gi, key.trim()) {
                return Err(table.cell_error(r, c, "empty cell"));
            }
            // Rows of a group usually follow each other.
            let id = match obs.group.last() {
                Some(&g) if obs.group_names[g as usize] == key => g,
                _ => match group_ids.get(key) {
                    Some(&id) => id,
                    None => {
                        let id = obs.group_names.len() as u32;
                        group_ids.insert(key.to_string(), id);
                        obs.group_names.push(key.to_string());
                        id
                    }
                },
            };
            obs.group.push(id);
            let held = match hi {
                Some(c) => table.flag(r, c)?,
                None => false,
            };
            obs.held.push(held);
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
                    // Why, and what the user can do (probe: three laws
                    // of a comparison were left out at x = 0 with no hint).
                    let x = &self.input_names[j];
                    let why = if v == 0.0 {
                        format!("its power {x}^-a or ln {x} is infinite at {x} = 0")
                    } else {
                        format!("its power or ln of {x} is undefined below 0")
                    };
                    return Err(self.name_rows(Error::input(
                        &self.source,
                        Some(self.line[i]),
                        Some(x),
                        format!(
                            "value {v} must be {need}: the law takes its logarithm ({why}); \
                             leave that row out, or shift the column (e.g. {x} + 1) to keep it"
                        ),
                    )));
                }
            }
            if log_y && self.y[i] <= 0.0 {
                return Err(Error::NotPositiveInLogSpace {
                    location: crate::error::Location {
                        file: self.source.clone(),
                        row: Some(self.line[i]),
                        column: Some(y_name.to_string()),
                        record: self.records,
                    },
                    value: self.y[i],
                });
            }
        }
        Ok(())
    }

    /// `e` with the rows it names in this source said as `line` counts
    /// them ([`crate::table::Table::name_rows`]).
    pub fn name_rows(&self, e: Error) -> Error {
        if self.records {
            e.in_records_of(&self.source)
        } else {
            e
        }
    }

    /// What `line` counts, for messages that name rows: "row" or "record".
    pub fn row_noun(&self) -> &'static str {
        if self.records {
            "record"
        } else {
            "row"
        }
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
            group_names: self.group_names.clone(),
            held: Vec::with_capacity(idx.len()),
            line: Vec::with_capacity(idx.len()),
            records: self.records,
            source: self.source.clone(),
            y_name: self.y_name.clone(),
            context: Vec::with_capacity(idx.len() * self.context_dim),
            context_dim: self.context_dim,
        };
        for &i in idx {
            out.context.extend_from_slice(self.point_context(i));
            out.x.extend_from_slice(self.point(i));
            out.y.push(self.y[i]);
            out.weight.push(self.weight[i]);
            out.group.push(self.group[i]);
            out.held.push(self.held[i]);
            out.line.push(self.line[i]);
        }
        out
    }

    /// The group key of point `i` ("" when not grouped).
    pub fn group_of(&self, i: usize) -> &str {
        &self.group_names[self.group[i] as usize]
    }

    /// Put every point in the group `key`.
    pub fn set_group(&mut self, key: &str) {
        self.group = vec![0; self.len()];
        self.group_names = vec![key.to_string()];
    }

    /// The points `idx`: these observations themselves when `idx` is every
    /// point in order (no copy of a large input), else a subset.
    pub fn part(&self, idx: &[usize]) -> std::borrow::Cow<'_, Observations> {
        if idx.len() == self.len() && idx.iter().enumerate().all(|(k, &i)| k == i) {
            std::borrow::Cow::Borrowed(self)
        } else {
            std::borrow::Cow::Owned(self.subset(idx))
        }
    }

    /// The points with their weights divided by the mean of the positive
    /// weights (scaled by the largest first, so that weights near the
    /// largest double do not overflow the sum), or the points themselves
    /// when that mean is already 1. A fit's optimum does not depend on a
    /// common scale of the weights, but the search's tolerances and the
    /// objective's range do: weights of 1e308 overflowed it, weights of
    /// 1e-12 stopped it early. After this, any uniform weights read as 1,
    /// and the objective is on the scale of the unweighted one.
    pub fn unit_mean_weights(&self) -> std::borrow::Cow<'_, Observations> {
        let max = self.weight.iter().cloned().fold(0.0, f64::max);
        let positive = self.weight.iter().filter(|&&w| w > 0.0).count();
        if positive == 0 || !max.is_finite() {
            return std::borrow::Cow::Borrowed(self);
        }
        let mean = self
            .weight
            .iter()
            .filter(|&&w| w > 0.0)
            .map(|w| w / max)
            .sum::<f64>()
            / positive as f64;
        if max == 1.0 && mean == 1.0 {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut out = self.clone();
        for w in &mut out.weight {
            *w = *w / max / mean;
        }
        std::borrow::Cow::Owned(out)
    }

    /// The points in a canonical order — by group key, then inputs, loss,
    /// weight and context (each by `total_cmp`), then row — so that a
    /// bootstrap drawing row positions from it does not depend on the
    /// file's row order (the same seed gave other intervals on shuffled rows).
    pub fn canonical(&self) -> Observations {
        let mut idx: Vec<usize> = (0..self.len()).collect();
        self.sort_canonical(&mut idx);
        self.subset(&idx)
    }

    /// Sort the point indices `idx` in the canonical order of
    /// [`Observations::canonical`] (points equal in everything keep their
    /// row order: they are interchangeable).
    pub fn sort_canonical(&self, idx: &mut [usize]) {
        let c = self.context_dim;
        let ctx = |i: usize| &self.context[i * c..(i + 1) * c];
        let cmp_slices = |a: &[f64], b: &[f64]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        };
        idx.sort_by(|&a, &b| {
            self.group_names[self.group[a] as usize]
                .cmp(&self.group_names[self.group[b] as usize])
                .then_with(|| cmp_slices(self.point(a), self.point(b)))
                .then(self.y[a].total_cmp(&self.y[b]))
                .then(self.weight[a].total_cmp(&self.weight[b]))
                .then_with(|| ctx(a).cmp(ctx(b)))
                .then(a.cmp(&b))
        });
    }

    /// Distinct group keys of the points, in the order they are listed
    /// ([`crate::numbers::label_cmp`]: numbers by value, then text), so that
    /// the rows' order changes no output.
    pub fn groups(&self) -> Vec<String> {
        let mut out = self.groups_in_row_order();
        out.sort_by(|a, b| crate::numbers::label_cmp(a, b));
        out
    }

    /// Distinct group keys of the points, in order of first appearance: the
    /// order the bootstrap's streams are drawn in (on the points in the
    /// canonical order, [`Observations::canonical`], the keys' text order).
    pub fn groups_in_row_order(&self) -> Vec<String> {
        let mut seen = vec![false; self.group_names.len()];
        let mut out = Vec::new();
        for &g in &self.group {
            if !std::mem::replace(&mut seen[g as usize], true) {
                out.push(self.group_names[g as usize].clone());
            }
        }
        out
    }

    /// Indices of the points of group `key`.
    pub fn group_indices(&self, key: &str) -> Vec<usize> {
        let ids: Vec<u32> = (0..self.group_names.len() as u32)
            .filter(|&g| self.group_names[g as usize] == key)
            .collect();
        (0..self.len())
            .filter(|&i| ids.contains(&self.group[i]))
            .collect()
    }
}

/// A fit's data as a table describes it (what `slaw fit`'s data options and
/// the Python package's keywords say): the input and loss columns, the
/// optional weight, group and hold-out flag columns, the columns to derive
/// first (`NAME=EXPR` each) and the hold-out rule. Its serde form is the
/// Python package's keywords (defaults: loss column `loss`, nothing held out).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct DataSpec {
    /// The input columns, in the order of the law's inputs.
    pub x: Vec<String>,
    /// The loss column.
    pub y: String,
    /// The column whose values split the points into groups (one fit each).
    pub group: Option<String>,
    /// Columns to derive before reading, `NAME=EXPR` each.
    pub derive: Vec<String>,
    /// The weight column.
    pub weight: Option<String>,
    /// The hold-out rule (see [`Holdout::parse`]); `None` when not given:
    /// nothing held out, or the flag column's rows when there is one (and
    /// `compare`'s own default, see [`DataSpec::holdout_given`]).
    pub holdout: Option<String>,
    /// A column flagging held-out points.
    pub holdout_col: Option<String>,
}

impl Default for DataSpec {
    fn default() -> Self {
        DataSpec {
            x: vec![],
            y: "loss".into(),
            group: None,
            derive: vec![],
            weight: None,
            holdout: None,
            holdout_col: None,
        }
    }
}

impl DataSpec {
    /// The columns read.
    pub fn columns(&self) -> Columns {
        Columns {
            x: self.x.clone(),
            y: self.y.clone(),
            weight: self.weight.clone(),
            group: self.group.clone(),
            holdout: self.holdout_col.clone(),
        }
    }

    /// The observations of `table` (after deriving the columns; the table
    /// is copied only when it is borrowed and columns are derived) and how
    /// points are held out.
    pub fn read(&self, table: std::borrow::Cow<'_, Table>) -> Result<(Observations, Holdout)> {
        self.read_logged(table).map(|(o, h, _)| (o, h))
    }

    /// [`DataSpec::read`], and for a TensorBoard event file (a row per
    /// step, a tag not logged at every step) only the steps where every
    /// column read is logged: the note says how many steps were dropped
    /// (None when none were, and for other tables, whose empty cells are
    /// errors). Read without groups, the note also says when the file looks
    /// like several curves pooled into one (the inputs repeat, and another
    /// column splits the points into curves that each do not:
    /// `pooled::curve_column`).
    pub fn read_logged(
        &self,
        mut table: std::borrow::Cow<'_, Table>,
    ) -> Result<(Observations, Holdout, Option<String>)> {
        // A TensorBoard log directory of several runs: their points are not
        // one curve.
        if let (Some(c), None) = (&table.run_column, &self.group) {
            return Err(Error::input(
                &table.source,
                None,
                None,
                format!(
                    "a TensorBoard log directory of several runs, named in its column '{c}': \
                     their points are not one curve; fit each run by grouping on '{c}', or give \
                     one run's folder"
                ),
            ));
        }
        for spec in &self.derive {
            table.to_mut().derive(spec)?;
        }
        let cols = self.columns();
        // What the reader did (an event file that restarts).
        let mut note = (!table.notes.is_empty()).then(|| table.notes.join("; "));
        if table.steps {
            let used: Vec<usize> = cols
                .read()
                .map(|c| table.column_index(c))
                .collect::<Result<_>>()?;
            let (kept, dropped) = table.logged_rows(&used)?;
            if dropped > 0 {
                // the columns with a step not logged
                let names: Vec<String> = used
                    .iter()
                    .filter(|&&c| (0..table.len()).any(|r| table.is_empty_cell(r, c)))
                    .map(|&c| format!("'{}'", table.columns[c]))
                    .collect();
                let dropped_note = format!(
                    "{}: {dropped} of {} steps dropped: {} not logged there (an event file \
                     logs each tag at its own steps); fitted on the {} steps where {} logged",
                    table.source,
                    table.len(),
                    names.join(", "),
                    kept.len(),
                    if names.len() == 1 {
                        "it is"
                    } else {
                        "they are"
                    }
                );
                note = Some(match note {
                    Some(n) => format!("{dropped_note}; {n}"),
                    None => dropped_note,
                });
            }
            if kept.is_empty() {
                return Err(Error::input(
                    &table.source,
                    None,
                    None,
                    format!(
                        "no step where {} {} logged",
                        names_list(&used, &table),
                        if used.len() == 1 { "is" } else { "are all" }
                    ),
                ));
            }
            table = std::borrow::Cow::Owned(kept);
        }
        let mut obs = Observations::from_table(&table, &cols)?;
        // A weight of 0 leaves its row out of everything, not only the
        // objective: the fit's quality, checks, backtests, ranges and
        // intervals counted such rows as fitted points (a probe: four
        // rows of weight 0 gave R^2 -1.57 and an interval 8x too wide).
        if let Some(w) = &cols.weight {
            let kept: Vec<usize> = (0..obs.len()).filter(|&i| obs.weight[i] > 0.0).collect();
            if kept.is_empty() {
                return Err(Error::input(
                    &table.source,
                    None,
                    Some(w),
                    "every weight is zero: nothing to fit",
                ));
            }
            if kept.len() < obs.len() {
                let zero: Vec<usize> = (0..obs.len())
                    .filter(|&i| obs.weight[i] <= 0.0)
                    .map(|i| obs.line[i])
                    .collect();
                let shown: Vec<String> = zero.iter().take(8).map(|l| l.to_string()).collect();
                let more = if zero.len() > 8 { ", ..." } else { "" };
                let left = format!(
                    "{}: {} of {} rows have weight 0 in '{w}' and are left out ({}s {}{more})",
                    table.source,
                    zero.len(),
                    obs.len(),
                    table.row_noun(),
                    shown.join(", ")
                );
                note = Some(match note {
                    Some(n) => format!("{n}; {left}"),
                    None => left,
                });
                obs = obs.subset(&kept);
            }
        }
        let holdout = Holdout::of(self.holdout.as_deref(), &cols)?;
        if self.group.is_none() {
            if let Some((column, curves)) = pooled::curve_column(&table, &cols) {
                let pooled = pooled::pooled_note(&table.source, table.len(), &column, curves);
                note = Some(match note {
                    Some(n) => format!("{n}; {pooled}"),
                    None => pooled,
                });
            }
        }
        Ok((obs, holdout, note))
    }

    /// Whether a hold-out was asked for (a rule, `none` included, or a flag
    /// column): `slaw compare` applies its own default split only when not.
    pub fn holdout_given(&self) -> bool {
        self.holdout.is_some() || self.holdout_col.is_some()
    }

    /// The columns of `table` that could be the input when none is named:
    /// every column whose cells are numbers (at least one; an event file's
    /// empty cells, a tag not logged at a step, aside), then every derived
    /// column, other than the loss and the group, weight, hold-out flag and
    /// run columns. In the table's order.
    pub fn input_candidates(&self, table: &Table) -> Vec<String> {
        let loss = table.loss_column(&self.y).ok();
        let taken = |name: &str| {
            name == self.y
                || self.group.as_deref() == Some(name)
                || self.weight.as_deref() == Some(name)
                || self.holdout_col.as_deref() == Some(name)
                || table.run_column.as_deref() == Some(name)
        };
        let derived = self
            .derive
            .iter()
            .filter_map(|d| d.split_once('=').map(|(name, _)| name.trim().to_string()));
        table
            .columns
            .iter()
            .enumerate()
            .filter(|&(c, name)| Some(c) != loss && !taken(name) && table.numeric_column(c))
            .map(|(_, name)| name.clone())
            .chain(derived.filter(|name| !name.is_empty() && !taken(name)))
            .collect()
    }

    /// With no input column named, the one candidate
    /// ([`DataSpec::input_candidates`]) becomes the input, and the note says
    /// so: "x: n (the only numeric column besides loss)". None when inputs
    /// are named. No candidate, or several, is an error listing them: the
    /// input must be named.
    pub fn choose_input(&mut self, table: &Table) -> Result<Option<String>> {
        if !self.x.is_empty() {
            return Ok(None);
        }
        // A loss column that is neither in the file nor derived is the
        // error to report: the candidates "besides the loss" would
        // otherwise name a column the file does not have.
        // A header without rows: no column is numeric, so the candidates
        // below would be "no numeric column"; the rows are what is missing.
        if table.is_empty() {
            return Err(Error::input(&table.source, None, None, "no data rows"));
        }
        let derived_loss = self
            .derive
            .iter()
            .filter_map(|d| d.split_once('='))
            .any(|(name, _)| name.trim() == self.y);
        let loss = match table.loss_column(&self.y) {
            Ok(c) => table.columns[c].clone(),
            Err(e) if !derived_loss => return Err(e),
            Err(_) => self.y.clone(),
        };
        let besides = {
            let mut others = vec![format!("'{loss}'")];
            others.extend(
                [
                    &self.group,
                    &self.weight,
                    &self.holdout_col,
                    &table.run_column,
                ]
                .into_iter()
                .flatten()
                .map(|c| format!("'{c}'")),
            );
            match others.as_slice() {
                [one] => format!("the loss {one}"),
                [first, rest @ ..] => format!("the loss {first} and {}", rest.join(", ")),
                [] => unreachable!(),
            }
        };
        let candidates = self.input_candidates(table);
        match candidates.as_slice() {
            [one] => {
                self.x = vec![one.clone()];
                Ok(Some(format!(
                    "x: {one} (the only numeric column besides {loss})"
                )))
            }
            [] => Err(Error::input(
                &table.source,
                None,
                None,
                format!(
                    "no input column named, and no numeric column besides {besides} could be \
                     one (columns are: {}); name the input column(s)",
                    table.columns.join(", ")
                ),
            )),
            several => Err(Error::input(
                &table.source,
                None,
                None,
                format!(
                    "no input column named, and {} numeric columns besides {besides} could be \
                     inputs: {}; name the input column(s)",
                    several.len(),
                    several.join(", ")
                ),
            )),
        }
    }
}

/// The columns `cols` of `table` by name, joined.
fn names_list(cols: &[usize], table: &Table) -> String {
    cols.iter()
        .map(|&c| format!("'{}'", table.columns[c]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which points are held out of the fit.
#[derive(Debug, Clone, PartialEq)]
pub enum Holdout {
    /// Nothing held out.
    None,
    /// Every point at the k largest distinct values of input `input`
    /// (index), per group: k values, not k points, so that points tied on
    /// that input are held out together and the split does not depend on
    /// the row order. With several inputs only that one is ranked: a point
    /// at one of its k largest values is held out whatever its other inputs
    /// (Chinchilla's `largest:2` holds out every run at the two largest N,
    /// each at every D); values are distinct when they differ at all (no
    /// tolerance: sizes that differ in the 7th digit are two values). Any
    /// other split is a flag column ([`Holdout::Flagged`]).
    Largest {
        /// Distinct values held out per group.
        k: usize,
        /// Index of the input ranked.
        input: usize,
    },
    /// The points flagged in the observations' `held` column.
    Flagged,
}

impl Holdout {
    /// How the points read with `cols` are held out: by its flag column
    /// when it names one, else by `spec` (see [`Holdout::parse`]; not given:
    /// nothing held out). `spec` is always checked; with a flag column it
    /// must be absent or `column`: another rule beside the column, `none`
    /// included, is an error (the column silently won).
    pub fn of(spec: Option<&str>, cols: &Columns) -> Result<Holdout> {
        let Some(spec) = spec else {
            return Ok(match cols.holdout {
                Some(_) => Holdout::Flagged,
                None => Holdout::None,
            });
        };
        let rule = Holdout::parse(spec, &cols.x)?;
        match (&cols.holdout, rule) {
            (None, rule) => Ok(rule),
            (Some(_), Holdout::Flagged) => Ok(Holdout::Flagged),
            (Some(col), _) => Err(Error::setting(
                crate::error::Setting::Holdout,
                format!(
                    "'{spec}' beside the flag column '{col}': two rules for the held-out points; give one (the column, or this rule without it)"
                ),
            )),
        }
    }

    /// Parse `none`, `column`, `largest:K` or `largest:K:INPUT`.
    pub fn parse(s: &str, input_names: &[String]) -> Result<Holdout> {
        let parts: Vec<&str> = s.split(':').collect();
        match parts.as_slice() {
            ["none"] => Ok(Holdout::None),
            ["column"] | ["flag"] => Ok(Holdout::Flagged),
            ["largest", rest @ ..] if rest.len() <= 2 => {
                let k = match rest.first() {
                    Some(k) => k.parse::<usize>().map_err(|_| {
                        Error::setting(
                            crate::error::Setting::Holdout,
                            format!("{s}: '{k}' is not a count"),
                        )
                    })?,
                    None => 1,
                };
                let input = match rest.get(1) {
                    Some(name) => input_names.iter().position(|n| n == name).ok_or_else(|| {
                        Error::setting(
                            crate::error::Setting::Holdout,
                            format!(
                                "{s}: '{name}' is not one of the inputs ({})",
                                input_names.join(", ")
                            ),
                        )
                    })?,
                    None => 0,
                };
                Ok(Holdout::Largest { k, input })
            }
            _ => Err(Error::setting(
                crate::error::Setting::Holdout,
                format!("'{s}': expected none, column, largest:K or largest:K:INPUT"),
            )),
        }
    }

    /// Split the point indices of one group into (fit, held-out).
    pub fn split(&self, obs: &Observations, idx: &[usize]) -> (Vec<usize>, Vec<usize>) {
        match self {
            Holdout::None => (idx.to_vec(), Vec::new()),
            Holdout::Flagged => idx.iter().partition(|&&i| !obs.held[i]),
            Holdout::Largest { k, input } => {
                let value = |i: usize| obs.point(i)[*input];
                let mut values: Vec<f64> = idx.iter().map(|&i| value(i)).collect();
                values.sort_by(|a, b| b.total_cmp(a));
                values.dedup_by(|a, b| a.total_cmp(b).is_eq());
                // The smallest value held out: the k-th largest distinct one.
                let (mut fit, mut held): (Vec<usize>, Vec<usize>) =
                    match k.checked_sub(1).map(|j| values.get(j).or(values.last())) {
                        Some(Some(&cut)) => {
                            idx.iter().partition(|&&i| value(i).total_cmp(&cut).is_lt())
                        }
                        _ => (idx.to_vec(), Vec::new()),
                    };
                // Both parts in the canonical order: the fit and the held-out
                // errors sum their points in an order free of the rows', so a
                // permutation of the rows gives the same digits.
                obs.sort_canonical(&mut fit);
                obs.sort_canonical(&mut held);
                (fit, held)
            }
        }
    }
}

#[cfg(test)]
mod constant_input_tests {
    use super::Observations;

    #[test]
    fn an_input_with_one_value_over_the_fitted_points_is_named() {
        let mut obs = Observations::from_columns(
            &["N", "D"],
            &[vec![1.0, 2.0, 3.0], vec![7.0, 7.0, 9.0]],
            vec![3.0, 2.0, 1.0],
        );
        assert!(obs.constant_inputs().is_empty());
        // The point that makes D vary is held out: D is constant where fitted.
        obs.held[2] = true;
        assert_eq!(obs.constant_inputs(), vec![("D".to_string(), 7.0)]);
        // A zero weight counts as not fitted too; one fitted point says nothing.
        obs.weight[1] = 0.0;
        assert!(obs.constant_inputs().is_empty());
    }
}

#[cfg(test)]
mod group_tests {
    use super::{Columns, Observations};
    use crate::table::Table;

    /// Columns n (x), `y` and the group column g.
    fn grouped(y: &str) -> Columns {
        Columns {
            x: vec!["n".into()],
            y: y.into(),
            weight: None,
            group: Some("g".into()),
            holdout: None,
        }
    }

    /// A missing group key is an error at its cell, not a group named "".
    #[test]
    fn an_empty_group_cell_is_an_error_at_its_row() {
        let cols = grouped("loss");
        let ok = "n,loss,g\n1,3,a\n2,2,b\n";
        let t = Table::from_delimited("t.csv", ok, b',').unwrap();
        assert_eq!(
            Observations::from_table(&t, &cols).unwrap().groups(),
            ["a", "b"]
        );
        for bad in ["n,loss,g\n1,3,a\n2,2,\n", "n,loss,g\n1,3,a\n2,2, \n"] {
            let t = Table::from_delimited("t.csv", bad, b',').unwrap();
            let e = Observations::from_table(&t, &cols).unwrap_err().to_string();
            assert_eq!(e, "t.csv, row 3, column 'g': empty cell");
        }
    }

    /// Values that rise with x are named per group (points in x order,
    /// whatever the file's row order); a falling group is not.
    #[test]
    fn values_rising_with_x_are_warned_of_per_group() {
        let cols = grouped("acc");
        let csv = "n,acc,g\n8,0.7,up\n1,0.3,up\n4,0.6,up\n2,0.5,up\n\
                   1,3,down\n2,2.5,down\n4,2.2,down\n8,2.1,down\n";
        let t = Table::from_delimited("t.csv", csv, b',').unwrap();
        let w = Observations::from_table(&t, &cols)
            .unwrap()
            .rising_warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("group up: the values of 'acc' rise with 'n' (median 0.3 "),
            "{}",
            w[0]
        );
    }

    /// Losses all equal are named per group (probe66: `compare` predicted
    /// 3.4% below a flat curve with no word about it); a group of 2 points,
    /// and one whose values differ, are not.
    #[test]
    fn values_all_equal_are_warned_of_per_group() {
        let cols = grouped("loss");
        let csv = "n,loss,g
1,3,flat
2,3,flat
4,3,flat
8,3,flat
                   1,3,two
2,3,two
1,3,falls
2,2.9,falls
4,2.8,falls
";
        let t = Table::from_delimited("t.csv", csv, b',').unwrap();
        let w = Observations::from_table(&t, &cols)
            .unwrap()
            .constant_value_warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("group flat: the values of 'loss' are all equal (3) at the 4 points"),
            "{}",
            w[0]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_values_shortcut_is_the_full_test() {
        // Columns spanning 4-8 decades (the shortcut's edge at 5), some with
        // a value moved far from the rest,
        // zeros, negatives, non-finite values and repeats: the shortcut
        // answers as the sorted logs do.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut flagged = 0;
        for case in 0..4000 {
            let n = 1 + case % 9;
            let span = 4.0 + 4.0 * next();
            let mut v: Vec<f64> = (0..n).map(|_| 10f64.powf(span * next() - 3.0)).collect();
            // Every other column: one value moved 3-9 decades up or down,
            // around the 6-decade gap that flags it.
            if case % 2 == 0 {
                let d = 3.0 + 6.0 * next();
                v[0] *= 10f64.powf(if next() < 0.5 { d } else { -d });
            }
            match case % 7 {
                0 => v.push(0.0),
                1 => v.push(f64::NAN),
                2 => v.push(-1.0),
                3 => v.push(v[0]),
                4 => v.push(f64::INFINITY),
                _ => {}
            }
            let want = far_values_sorted(&v);
            flagged += usize::from(!want.is_empty());
            assert_eq!(far_values(&v), want, "{v:?}");
        }
        assert!(flagged > 100, "the cases reach far values ({flagged})");
    }

    #[test]
    fn far_values_flag_a_value_decades_from_the_rest() {
        let mut v = vec![2.1, 2.0, 1.9, 1.8, 1.7];
        assert!(far_values(&v).is_empty());
        v.push(1e308);
        assert_eq!(far_values(&v), vec![5]);
        v[1] = 1e-320;
        assert_eq!(far_values(&v), vec![1, 5]);
        // Many decades, but every value has a neighbour: not flagged.
        let steps: Vec<f64> = (1..=1_000_000).step_by(1000).map(f64::from).collect();
        assert!(far_values(&steps).is_empty());
        let sizes = [1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];
        assert!(far_values(&sizes).is_empty());
        // Too few values to call one of them far from "the rest"; zero and
        // negative values have no decade.
        assert!(far_values(&[2.0, 1e308]).is_empty());
        assert!(far_values(&[0.0, -1.0, 2.0, 2.5, 3.0]).is_empty());
    }

    #[test]
    fn the_only_numeric_column_besides_the_loss_is_the_input() {
        let t = Table::from_delimited(
            "two.csv",
            "name,n,loss\na,100,3.2\nb,200,3.0\nc,400,2.9\n",
            b',',
        )
        .unwrap();
        let mut spec = DataSpec::default();
        assert_eq!(spec.input_candidates(&t), vec!["n".to_string()]);
        let note = spec.choose_input(&t).unwrap();
        assert_eq!(
            note.as_deref(),
            Some("x: n (the only numeric column besides loss)")
        );
        assert_eq!(spec.x, vec!["n".to_string()]);
        // named inputs are kept, no note
        assert_eq!(spec.choose_input(&t).unwrap(), None);
        assert_eq!(spec.x, vec!["n".to_string()]);

        // several: an error listing them; the group and weight are not inputs
        let t = Table::from_delimited(
            "three.csv",
            "N,D,w,g,loss\n1,2,1,1,3.0\n2,4,1,2,2.9\n",
            b',',
        )
        .unwrap();
        let mut spec = DataSpec::default();
        let e = spec.choose_input(&t).unwrap_err().to_string();
        assert!(
            e.contains("4 numeric columns") && e.contains(": N, D, w, g; name"),
            "{e}"
        );
        assert!(spec.x.is_empty());
        let mut spec = DataSpec {
            group: Some("g".into()),
            weight: Some("w".into()),
            derive: vec!["C = 6*N*D".into()],
            ..DataSpec::default()
        };
        assert_eq!(spec.input_candidates(&t), vec!["N", "D", "C"]);
        spec.derive.clear();
        let e = spec.choose_input(&t).unwrap_err().to_string();
        assert!(
            e.contains(
                "2 numeric columns besides the loss 'loss' and 'g', 'w' could be inputs: N, D;"
            ),
            "{e}"
        );

        // none: an error naming the columns
        let t = Table::from_delimited("one.csv", "name,loss\na,3\nb,2\n", b',').unwrap();
        let e = DataSpec::default()
            .choose_input(&t)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no numeric column") && e.contains("name, loss"),
            "{e}"
        );
    }

    #[test]
    fn far_value_warnings_name_the_row_and_column() {
        let mut obs = Observations::from_columns(
            &["N"],
            &[vec![1e8, 2e8, 4e8, 8e8, 1e-320]],
            vec![3.0, 2.9, 1e308, 2.7, 2.6],
        );
        obs.source = "runs.csv".into();
        let w = obs.far_value_warnings();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].starts_with("runs.csv, row 5, column 'N': the value 1e-320"),
            "{}",
            w[0]
        );
        assert!(
            w[1].starts_with("runs.csv, row 3, column 'loss': the value 1e308"),
            "{}",
            w[1]
        );
    }
}

#[cfg(test)]
mod holdout_tests {
    use super::{Holdout, Observations};

    fn split(h: &Holdout, obs: &Observations) -> (Vec<usize>, Vec<usize>) {
        let idx: Vec<usize> = (0..obs.len()).collect();
        h.split(obs, &idx)
    }

    /// `largest:K` holds out the K largest distinct values, every point at
    /// them: the twins of a held-out size are not fitted, whatever their rows.
    #[test]
    fn largest_holds_out_every_point_at_the_k_largest_values() {
        // x = 4 twice (rows 1 and 4), 3 twice (rows 0 and 3).
        let obs =
            Observations::from_columns(&["x"], &[vec![3.0, 4.0, 1.0, 3.0, 4.0, 2.0]], vec![1.0; 6]);
        let largest = |k| Holdout::Largest { k, input: 0 };
        // Each part in the canonical order (by x, then loss, then row).
        assert_eq!(split(&largest(1), &obs), (vec![2, 5, 0, 3], vec![1, 4]));
        assert_eq!(split(&largest(2), &obs), (vec![2, 5], vec![0, 3, 1, 4]));
        assert_eq!(split(&largest(0), &obs), (vec![2, 5, 0, 3, 1, 4], vec![]));
        // More values than there are: every point.
        assert_eq!(split(&largest(9), &obs), (vec![], vec![2, 5, 0, 3, 1, 4]));
    }

    /// The split depends on the points, not on their rows: a permutation of
    /// the rows holds out the same points.
    #[test]
    fn largest_does_not_depend_on_the_row_order() {
        let x = [5.0, 7.0, 7.0, 2.0, 7.0, 5.0, 1.0];
        let perm = [4, 0, 6, 2, 5, 3, 1];
        let a = Observations::from_columns(&["x"], &[x.to_vec()], vec![1.0; 7]);
        let b = Observations::from_columns(
            &["x"],
            &[perm.iter().map(|&i| x[i]).collect()],
            vec![1.0; 7],
        );
        for k in 0..5 {
            let h = Holdout::Largest { k, input: 0 };
            let (fit_a, held_a) = split(&h, &a);
            let (fit_b, held_b) = split(&h, &b);
            // The same points, in the same order (as values: twins are
            // interchangeable).
            let at = |o: &Observations, v: &[usize]| -> Vec<f64> {
                v.iter().map(|&i| o.point(i)[0]).collect()
            };
            assert_eq!(at(&a, &held_a), at(&b, &held_b), "k = {k}");
            assert_eq!(at(&a, &fit_a), at(&b, &fit_b), "k = {k}");
            let mut held_b: Vec<usize> = held_b.iter().map(|&j| perm[j]).collect();
            held_b.sort();
            let mut held_a = held_a;
            held_a.sort();
            assert_eq!(held_a, held_b, "k = {k}");
        }
    }

    /// With several inputs only the named one is ranked: a point at one of
    /// its K largest values is held out whatever its other inputs.
    #[test]
    fn largest_of_several_inputs_ranks_the_named_input_only() {
        let n = vec![1.0, 2.0, 2.0, 3.0, 3.0, 1.0];
        let d = vec![9.0, 1.0, 2.0, 1.0, 5.0, 8.0];
        let obs = Observations::from_columns(&["N", "D"], &[n, d], vec![1.0; 6]);
        let by_n = Holdout::parse("largest:1", &["N".into(), "D".into()]).unwrap();
        assert_eq!(split(&by_n, &obs), (vec![5, 0, 1, 2], vec![3, 4]));
        let by_d = Holdout::parse("largest:2:D", &["N".into(), "D".into()]).unwrap();
        assert_eq!(split(&by_d, &obs), (vec![1, 2, 3, 4], vec![5, 0]));
    }
}
