//! Readers for the public data sets slaw is tested and benchmarked on.

use crate::error::Location;
use crate::observations::Observations;
use crate::table::Table;
use crate::{Error, Result};
use std::path::Path;

/// The Epoch AI reconstruction of the Chinchilla runs: N = `Model Size`,
/// D = `Training FLOP` / (6 N), y = `loss`; the `drop_highest` highest-loss
/// runs are dropped (the replication drops 5).
pub fn chinchilla(path: &Path, drop_highest: usize) -> Result<Observations> {
    let cols = PretrainColumns {
        n: "Model Size".into(),
        data: DataColumn::Flops("Training FLOP".into()),
        loss: "loss".into(),
    };
    pretraining_runs(path, &cols, drop_highest)
}

/// How a pretraining run's data size is given.
#[derive(Debug, Clone)]
pub enum DataColumn {
    /// Tokens.
    Tokens(String),
    /// Training FLOPs C; tokens D = C / (6 N).
    Flops(String),
}

#[derive(Debug, Clone)]
/// The columns of a table of pretraining runs for the parametric (Chinchilla) fit.
pub struct PretrainColumns {
    /// Parameter-count column (N).
    pub n: String,
    /// The data-size column: tokens, or FLOPs to divide by 6 N.
    pub data: DataColumn,
    /// Loss column.
    pub loss: String,
}

/// Pretraining runs (parameters N, tokens D, loss) for the Chinchilla law,
/// in a stable order (by loss, ties by line) with the `drop_highest`
/// highest-loss runs dropped.
pub fn pretraining_runs(
    path: &Path,
    cols: &PretrainColumns,
    drop_highest: usize,
) -> Result<Observations> {
    pretraining_runs_table(&Table::read(path)?, cols, drop_highest)
}

/// [`pretraining_runs`] from a table already read (or built in memory).
pub fn pretraining_runs_table(
    table: &Table,
    cols: &PretrainColumns,
    drop_highest: usize,
) -> Result<Observations> {
    let ni = table.column_index(&cols.n)?;
    let (di, flops) = match &cols.data {
        DataColumn::Tokens(c) => (table.column_index(c)?, false),
        DataColumn::Flops(c) => (table.column_index(c)?, true),
    };
    let li = table.column_index(&cols.loss)?;
    let mut rows = Vec::with_capacity(table.len());
    for r in 0..table.len() {
        let mut vals = [0.0; 3];
        for (v, c) in vals.iter_mut().zip([ni, di, li]) {
            *v = table.number(r, c)?;
            if *v <= 0.0 {
                return Err(table.name_rows(Error::input(
                    &table.source,
                    Some(table.line(r)),
                    Some(&table.columns[c]),
                    format!("{v} must be > 0"),
                )));
            }
        }
        let [n, x, loss] = vals;
        let d = if flops { x / (6.0 * n) } else { x };
        rows.push((n, d, loss, table.line(r)));
    }
    if rows.len() <= drop_highest + 5 {
        return Err(Error::input(
            &table.source,
            None,
            None,
            format!(
                "{} runs ({} after dropping {drop_highest}); the Chinchilla law has 5 parameters",
                rows.len(),
                rows.len().saturating_sub(drop_highest)
            ),
        ));
    }
    // Stable order: by loss, ties by file line.
    rows.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.3.cmp(&b.3)));
    rows.truncate(rows.len().saturating_sub(drop_highest));
    let mut obs = Observations::from_columns(
        &["N", "D"],
        &[
            rows.iter().map(|r| r.0).collect(),
            rows.iter().map(|r| r.1).collect(),
        ],
        rows.iter().map(|r| r.2).collect(),
    );
    obs.line = rows.iter().map(|r| r.3).collect();
    obs.source = table.source.clone();
    Ok(obs)
}

/// The columns of a table of pretraining runs for the allocation methods.
///
/// Its serde form is the Python package's keywords (`n_col`, `d_col`,
/// `flops_col`, `loss_col`, `group`, `budget_col`, `filters`,
/// `best_per_size`; defaults: `N`, `loss`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct RunColumns {
    /// Parameter-count column (N).
    #[serde(rename = "n_col")]
    pub n: String,
    /// Tokens (for the parametric law); else D = C / (6 N).
    #[serde(rename = "d_col")]
    pub tokens: Option<String>,
    /// Training FLOPs, used as given; else C = 6 N D.
    #[serde(rename = "flops_col")]
    pub flops: Option<String>,
    /// Loss column.
    #[serde(rename = "loss_col")]
    pub loss: String,
    /// Columns whose values, joined, name a run's group.
    pub group: Vec<String>,
    /// The compute budget a run belongs to (isoFLOP grids); else budgets
    /// are found from the FLOPs.
    #[serde(rename = "budget_col")]
    pub budget: Option<String>,
    /// Keep only rows whose column equals the value (e.g. final checkpoints).
    pub filters: Vec<(String, f64)>,
    /// Keep the lowest loss per (group, N, D): the best of a hyper-parameter
    /// sweep at each size.
    pub best_per_size: bool,
}

impl Default for RunColumns {
    fn default() -> Self {
        RunColumns {
            n: "N".into(),
            tokens: None,
            flops: None,
            loss: "loss".into(),
            group: vec![],
            budget: None,
            filters: vec![],
            best_per_size: false,
        }
    }
}

/// Pretraining runs by group (groups in order of first appearance), each
/// group's `drop_highest` highest-loss runs dropped.
pub fn pretraining_groups(
    path: &Path,
    cols: &RunColumns,
    drop_highest: usize,
) -> Result<Vec<(String, Vec<crate::allocate::isoflop::Run>)>> {
    pretraining_groups_table(&Table::read(path)?, cols, drop_highest)
}

/// [`pretraining_groups`] from a table already read (or built in memory).
pub fn pretraining_groups_table(
    table: &Table,
    cols: &RunColumns,
    drop_highest: usize,
) -> Result<Vec<(String, Vec<crate::allocate::isoflop::Run>)>> {
    use crate::allocate::isoflop::Run;
    let ni = table.column_index(&cols.n)?;
    let li = table.column_index(&cols.loss)?;
    let ti = table.optional_column(cols.tokens.as_deref())?;
    let fi = table.optional_column(cols.flops.as_deref())?;
    let bi = table.optional_column(cols.budget.as_deref())?;
    let gi: Vec<usize> = cols
        .group
        .iter()
        .map(|c| table.column_index(c))
        .collect::<Result<_>>()?;
    if ti.is_none() && fi.is_none() {
        return Err(Error::input(
            &table.source,
            None,
            None,
            "name the tokens column or the FLOPs column (or both)".to_string(),
        ));
    }
    let filters: Vec<(usize, f64)> = cols
        .filters
        .iter()
        .map(|(c, v)| Ok((table.column_index(c)?, *v)))
        .collect::<Result<_>>()?;
    let mut groups: Vec<(String, Vec<Run>)> = Vec::new();
    'rows: for r in 0..table.len() {
        for &(c, v) in &filters {
            if table.number(r, c)? != v {
                continue 'rows;
            }
        }
        let positive = |c: usize| -> Result<f64> {
            let v = table.number(r, c)?;
            if v > 0.0 {
                Ok(v)
            } else {
                Err(table.name_rows(Error::input(
                    &table.source,
                    Some(table.line(r)),
                    Some(&table.columns[c]),
                    format!("{v} must be > 0"),
                )))
            }
        };
        let n = positive(ni)?;
        let loss = positive(li)?;
        let (d, c) = match (ti, fi) {
            (Some(t), Some(f)) => (positive(t)?, positive(f)?),
            (Some(t), None) => {
                let d = positive(t)?;
                (d, 6.0 * n * d)
            }
            (None, Some(f)) => {
                let c = positive(f)?;
                (c / (6.0 * n), c)
            }
            (None, None) => unreachable!("checked above"),
        };
        let budget = match bi {
            Some(b) => positive(b)?,
            None => c,
        };
        let key: Vec<&str> = gi.iter().map(|&g| table.text(r, g).trim()).collect();
        let key = key.join("/");
        let run = Run {
            n,
            d,
            c,
            loss,
            budget,
            line: table.line(r),
        };
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1.push(run),
            None => groups.push((key, vec![run])),
        }
    }
    if groups.is_empty() {
        // Rows there were: say that the filters removed them all.
        let why = if table.is_empty() || cols.filters.is_empty() {
            String::new()
        } else {
            let f: Vec<String> = cols
                .filters
                .iter()
                .map(|(c, v)| format!("{c} = {}", crate::numbers::num(*v)))
                .collect();
            format!(
                ": none of the {} rows has {} (the filters)",
                table.len(),
                f.join(" and ")
            )
        };
        return Err(Error::input(
            &table.source,
            None,
            None,
            format!("no runs{why}"),
        ));
    }
    for (_, runs) in &mut groups {
        if cols.best_per_size {
            runs.sort_by(|a, b| {
                (a.n, a.d)
                    .partial_cmp(&(b.n, b.d))
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.loss.total_cmp(&b.loss))
                    .then(a.line.cmp(&b.line))
            });
            runs.dedup_by(|b, a| a.n == b.n && a.d == b.d);
        }
        runs.sort_by(|a, b| a.loss.total_cmp(&b.loss).then(a.line.cmp(&b.line)));
        runs.truncate(runs.len().saturating_sub(drop_highest));
        runs.sort_by_key(|r| r.line);
    }
    Ok(groups)
}

/// One candidate model of the fine-tuning selection benchmark.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Candidate {
    /// The model's name (unique in a pool).
    pub id: String,
    /// (fine-tuning size N, loss), N ascending; N = 0 is the zero-shot loss.
    pub curve: Vec<(f64, f64)>,
    /// Parameter count, when known (the model-size method ranks by it).
    pub size: Option<f64>,
    /// Model family (e.g. the name's prefix), when known.
    pub family: Option<String>,
}

impl Candidate {
    /// The loss at size n (to 1e-9 relative), if measured.
    pub fn loss_at(&self, n: f64) -> Option<f64> {
        // to 1e-9 relative: a size read back from a rescaled file
        // (1638400 x 1e-6 is 1.6383999999999999) is the same size
        self.curve
            .iter()
            .find(|p| (p.0 - n).abs() <= 1e-9 * n.abs())
            .map(|p| p.1)
    }
    /// Observations (one input, D) of the points with sizes in [lo, hi].
    pub fn observations(&self, lo: f64, hi: f64) -> Observations {
        let pts: Vec<&(f64, f64)> = self
            .curve
            .iter()
            .filter(|p| p.0 >= lo && p.0 <= hi)
            .collect();
        let mut obs = Observations::from_columns(
            &["D"],
            &[pts.iter().map(|p| p.0).collect()],
            pts.iter().map(|p| p.1).collect(),
        );
        obs.set_group(&self.id);
        obs
    }
}

/// The wide format of the selection benchmark: a model id column, one column
/// per fine-tuning size (numeric header, `0` = zero-shot), optional `size`
/// (parameters) and `family`.
pub fn finetune_wide(path: &Path) -> Result<Vec<Candidate>> {
    finetune_wide_table(&Table::read(path)?)
}

/// [`finetune_wide`] from a table already read (or built in memory).
pub fn finetune_wide_table(table: &Table) -> Result<Vec<Candidate>> {
    let mut sizes: Vec<(usize, f64)> = Vec::new();
    for (i, c) in table.columns.iter().enumerate() {
        match size_header(c) {
            None => {}
            Some(Ok(n)) => sizes.push((i, n)),
            // A header that looks like a size but is not one was silently
            // left out (probe_fz item 9: "1,600"), changing every score.
            Some(Err(why)) => {
                return Err(Error::input(
                    &table.source,
                    Some(1),
                    Some(c),
                    format!(
                        "this header looks like a fine-tuning size but {why}: write a size \
                         header as a plain number (1600, 1.6e3), or give the column a name \
                         that does not start with a digit"
                    ),
                ))
            }
        }
    }
    if sizes.len() < 2 {
        return Err(Error::input(
            &table.source,
            Some(1),
            None,
            "expected columns named by fine-tuning size (0, 200, 400, ...)",
        ));
    }
    // Two headers naming the same size ("200" and "200.0") would give each
    // curve two points at that size, counted twice by every size check.
    for (k, &(c, n)) in sizes.iter().enumerate() {
        if let Some(&(first, _)) = sizes[..k].iter().find(|s| s.1 == n) {
            return Err(Error::input(
                &table.source,
                Some(1),
                Some(&table.columns[c]),
                format!(
                    "columns '{}' and '{}' are the same size {}: one column per size",
                    table.columns[first],
                    table.columns[c],
                    crate::numbers::num(n)
                ),
            ));
        }
    }
    let size_col = table.columns.iter().position(|c| c == "size");
    let family_col = table.columns.iter().position(|c| c == "family");
    // The models' names: the first column that is neither a size nor the
    // parameter count. Without one, the zero-shot column (a pivot written
    // without its index) was taken for the names and the candidates named
    // by their losses (probe62 12). Among several, not `family` and not a
    // column of numbers when a column of text is there: a file with
    // `family` (or a `params` column) before the names ranked the
    // candidates by their families' names (or parameter counts) and
    // ignored the names, with no message (probe64).
    let others: Vec<usize> = (0..table.columns.len())
        .filter(|i| !sizes.iter().any(|s| s.0 == *i) && Some(*i) != size_col)
        .collect();
    let names = |i: &&usize| Some(**i) != family_col;
    let text = |i: &&usize| {
        (0..table.len()).any(|r| {
            let t = table.text(r, **i).trim();
            !t.is_empty() && t.parse::<f64>().is_err()
        })
    };
    let Some(id_col) = others
        .iter()
        .find(|i| names(i) && text(i))
        .or_else(|| others.iter().find(names))
        .or_else(|| others.first())
        .copied()
    else {
        return Err(Error::input(
            &table.source,
            Some(1),
            Some(&table.columns[0]),
            "no column names the models: every header is a fine-tuning size or 'size', and this \
             column of numbers would be taken for the models' names; put the names in a first \
             column, e.g. 'model' (a pandas pivot holds them in its index: reset_index())",
        ));
    };
    let mut out = Vec::new();
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for r in 0..table.len() {
        let id = table.text(r, id_col);
        if id.trim().is_empty() {
            return Err(table.name_rows(Error::input(
                &table.source,
                Some(table.line(r)),
                Some(&table.columns[id_col]),
                "empty cell",
            )));
        }
        if let Some(first) = seen.insert(id, r) {
            return Err(table.name_rows(Error::input(
                &table.source,
                Some(table.line(r)),
                Some(&table.columns[id_col]),
                format!(
                    "model '{id}' appears twice ({}s {} and {}): one row per model",
                    table.row_noun(),
                    table.line(first),
                    table.line(r)
                ),
            )));
        }
        let mut curve = Vec::new();
        for &(c, n) in &sizes {
            if table.text(r, c).is_empty() {
                continue; // not measured
            }
            let v = table
                .number(r, c)
                .map_err(|e| with_advice(e, "leave the cell blank for a size not measured"))?;
            if v <= 0.0 {
                return Err(table.name_rows(Error::input(
                    &table.source,
                    Some(table.line(r)),
                    Some(&table.columns[c]),
                    format!("a loss must be > 0, got {}", crate::numbers::num(v)),
                )));
            }
            curve.push((n, v));
        }
        curve.sort_by(|a, b| a.0.total_cmp(&b.0));
        let size = size_col.map(|c| table.number(r, c)).transpose()?;
        if let (Some(c), Some(s)) = (size_col, size) {
            if s <= 0.0 {
                return Err(table.name_rows(Error::input(
                    &table.source,
                    Some(table.line(r)),
                    Some(&table.columns[c]),
                    "a parameter count must be > 0",
                )));
            }
        }
        out.push(Candidate {
            id: id.to_string(),
            curve,
            size,
            family: family_col.map(|c| table.text(r, c).to_string()),
        });
    }
    if out.is_empty() {
        return Err(Error::input(&table.source, None, None, "no data rows"));
    }
    Ok(out)
}

/// Column names of the long format of fine-tuning runs: one row per
/// (model, n) with the loss, optionally the parameter count and family.
#[derive(Debug, Clone)]
pub struct LongColumns {
    /// The model-name column.
    pub model: String,
    /// The fine-tuning size column (examples; 0 = zero-shot).
    pub n: String,
    /// The loss column.
    pub loss: String,
    /// The parameter-count column, if any.
    pub size: Option<String>,
    /// The family column, if any.
    pub family: Option<String>,
}

impl Default for LongColumns {
    fn default() -> Self {
        LongColumns {
            model: "model".into(),
            n: "n".into(),
            loss: "loss".into(),
            size: None,
            family: None,
        }
    }
}

/// The long format: rows (model, n, loss [, size, family]); n = 0 is the
/// zero-shot loss. Candidates keep the order of first appearance; a size or
/// family column, when present, must not vary within a model.
pub fn finetune_long(path: &Path, cols: &LongColumns) -> Result<Vec<Candidate>> {
    finetune_long_table(&Table::read(path)?, cols)
}

/// [`finetune_long`] from a table already read (or built in memory).
pub fn finetune_long_table(table: &Table, cols: &LongColumns) -> Result<Vec<Candidate>> {
    if !table.columns.contains(&cols.model) {
        if let Some(hint) = wide_hint(table, cols) {
            return Err(Error::input(
                &table.source,
                None,
                Some(&cols.model),
                format!(
                    "no such column (columns are: {}); {hint}",
                    table.columns.join(", ")
                ),
            ));
        }
    }
    let mi = table.column_index(&cols.model)?;
    let ni = table.column_index(&cols.n)?;
    let li = table.loss_column(&cols.loss)?;
    let optional = |name: &Option<String>, default: &str| -> Result<Option<usize>> {
        match name {
            Some(n) => table.column_index(n).map(Some),
            None => Ok(table.columns.iter().position(|c| c == default)),
        }
    };
    let si = optional(&cols.size, "size")?;
    let fi = optional(&cols.family, "family")?;
    let mut out: Vec<Candidate> = Vec::new();
    // Candidate by id and the (candidate, size) pairs seen: constant time
    // per row, so 20,000 candidates read as fast as 20.
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    // (candidate, size) -> the row it was first read from.
    let mut seen: std::collections::HashMap<(usize, u64), usize> = std::collections::HashMap::new();
    for r in 0..table.len() {
        let id = table.text(r, mi).to_string();
        let bad = |col: usize, msg: &str| {
            table.name_rows(Error::input(
                &table.source,
                Some(table.line(r)),
                Some(&table.columns[col]),
                msg,
            ))
        };
        // An empty model name would make a candidate called '' (probe_fz 17).
        if id.trim().is_empty() {
            return Err(bad(mi, "empty cell"));
        }
        let n = table.number(r, ni)?;
        let loss = table
            .number(r, li)
            .map_err(|e| with_advice(e, "delete the row of a size not measured"))?;
        if n < 0.0 {
            return Err(bad(
                ni,
                &format!(
                    "a fine-tuning size must be >= 0, got {}",
                    crate::numbers::num(n)
                ),
            ));
        }
        if loss <= 0.0 {
            return Err(bad(
                li,
                &format!("a loss must be > 0, got {}", crate::numbers::num(loss)),
            ));
        }
        let size = si.map(|c| table.number(r, c)).transpose()?;
        if size.is_some_and(|s| s <= 0.0) {
            return Err(bad(si.unwrap(), "a parameter count must be > 0"));
        }
        let family = fi.map(|c| table.text(r, c).to_string());
        let k = match index.get(&id) {
            Some(&k) => k,
            None => {
                out.push(Candidate {
                    id: id.clone(),
                    curve: Vec::new(),
                    size,
                    family: family.clone(),
                });
                index.insert(id.clone(), out.len() - 1);
                out.len() - 1
            }
        };
        let c = &mut out[k];
        if c.size != size {
            return Err(bad(
                si.unwrap(),
                "the parameter count differs between rows of one model",
            ));
        }
        if let Some(first) = seen.insert((k, n.to_bits()), r) {
            return Err(bad(
                ni,
                &format!(
                    "model '{id}' at n = {} appears twice ({}s {} and {}): one row per model \
                     and size; for several seeds at one size give their mean loss in one row \
                     (as the runner averages a plan's seeds)",
                    crate::numbers::num(n),
                    table.row_noun(),
                    table.line(first),
                    table.line(r)
                ),
            ));
        }
        c.curve.push((n, loss));
    }
    if out.is_empty() {
        return Err(Error::input(&table.source, None, None, "no data rows"));
    }
    for c in &mut out {
        c.curve.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Ok(out)
}

/// A hint for a table read as the long format that looks like the wide
/// format with its size headers named (`n=200`, `n_200`, `size:200`): at
/// least two headers that end in a number after a name and '=', ':', '_'
/// or a space. None when the headers do not look so.
fn wide_hint(table: &Table, cols: &LongColumns) -> Option<String> {
    let named: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| {
            c.rfind(['=', ':', '_', ' ']).is_some_and(|i| {
                let (name, size) = (c[..i].trim(), c[i + 1..].trim());
                !name.is_empty()
                    && size.starts_with(|ch: char| ch.is_ascii_digit())
                    && size.parse::<f64>().is_ok_and(|v| v.is_finite() && v >= 0.0)
            })
        })
        .map(|c| c.as_str())
        .collect();
    let [a, b, ..] = named.as_slice() else {
        return None;
    };
    let plain = |h: &str| {
        h[h.rfind(['=', ':', '_', ' ']).map_or(0, |i| i + 1)..]
            .trim()
            .to_string()
    };
    Some(format!(
        "the headers '{a}', '{b}', ... look like the wide format (one row per model, one \
         column per fine-tuning size) with the sizes named: a wide file's size headers are \
         plain numbers ('{}', '{}', ...; 0 the zero-shot loss), beside a model column and \
         optionally size and family; or write the long format, one row per model and size \
         with columns {}, {}, {}",
        plain(a),
        plain(b),
        cols.model,
        cols.n,
        cols.loss
    ))
}

/// Read candidates from either format: wide when some column header is a
/// number (a fine-tuning size), long otherwise.
pub fn candidates(path: &Path, long: &LongColumns) -> Result<Vec<Candidate>> {
    candidates_table(&Table::read(path)?, long)
}

/// `e` with `advice` appended to its message when it is about a cell (an
/// [`Error::Input`]); any other error unchanged.
fn with_advice(e: Error, advice: &str) -> Error {
    match e {
        Error::Input { location, message } => Error::Input {
            location,
            message: format!("{message} ({advice})"),
        },
        other => other,
    }
}

/// Whether `table` is in the wide format: some column header is a number
/// (a fine-tuning size).
fn is_wide(table: &Table) -> bool {
    table.columns.iter().any(|c| size_header(c).is_some())
}

/// Whether a wide-format header names a fine-tuning size: `None` when it
/// does not look like a number (the id, `size` and `family` columns), the
/// size when it is a finite number >= 0, and why not when it looks like a
/// number (it starts with a digit, a sign or a decimal point followed by a
/// digit) but is not such a size: "1,600", "1_600", "-200", "2k".
fn size_header(header: &str) -> Option<std::result::Result<f64, String>> {
    let h = header.trim();
    let digits = h.trim_start_matches(['+', '-']).trim_start_matches('.');
    let parsed = h.parse::<f64>().ok();
    if !digits.starts_with(|c: char| c.is_ascii_digit()) {
        // "inf", "NaN" and the like parse but name no size.
        return None;
    }
    Some(match parsed {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(n),
        Some(_) => Err("it is not a size >= 0".to_string()),
        None => Err("it is not a number".to_string()),
    })
}

/// [`candidates`] from a table already read (or built in memory).
pub fn candidates_table(table: &Table, long: &LongColumns) -> Result<Vec<Candidate>> {
    if is_wide(table) {
        finetune_wide_table(table)
    } else {
        finetune_long_table(table, long)
    }
}

/// The file line of each candidate [`candidates_table`] reads from
/// `table`, in its order: the candidate's row (wide format) or its first
/// row (long format), for messages about one candidate.
pub fn candidate_lines(table: &Table, long: &LongColumns) -> Result<Vec<usize>> {
    if is_wide(table) {
        return Ok((0..table.len()).map(|r| table.line(r)).collect());
    }
    let mi = table.column_index(&long.model)?;
    let mut seen = std::collections::HashSet::new();
    Ok((0..table.len())
        .filter(|&r| seen.insert(table.text(r, mi)))
        .map(|r| table.line(r))
        .collect())
}

/// Where a pool's candidates were read ([`pool_rows`]): for messages about
/// one candidate (its row) or one of its points (that point's row; in the
/// wide format the candidate's row and the size's column).
#[derive(Debug, Clone, PartialEq)]
pub struct PoolRows {
    /// One entry per candidate, in the order [`candidates_table`] reads them.
    pub candidates: Vec<CandidateRows>,
    /// The wide format's blank loss cells (skipped as not measured), per
    /// size column with any, in the file's column order; empty otherwise.
    pub blank_cells: Vec<BlankCells>,
}

/// Blank cells of one size column of a wide table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BlankCells {
    /// The column's header.
    pub column: String,
    /// How many of its cells are blank.
    pub cells: usize,
}

/// Where one candidate was read.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateRows {
    /// Its row (wide format) or its first row (long format).
    pub at: Location,
    /// (size, where its loss was read), in the file's order.
    pub points: Vec<(f64, Location)>,
}

impl PoolRows {
    /// A note on the wide table's blank cells, or None without any: how
    /// many were skipped as not measured, in which columns.
    pub fn blank_cells_note(&self) -> Option<String> {
        if self.blank_cells.is_empty() {
            return None;
        }
        let total: usize = self.blank_cells.iter().map(|b| b.cells).sum();
        let file = self
            .candidates
            .first()
            .map(|c| format!("{}: ", c.at.file))
            .unwrap_or_default();
        let cols: Vec<String> = self
            .blank_cells
            .iter()
            .map(|b| format!("'{}' ({})", b.column, b.cells))
            .collect();
        Some(format!(
            "{file}{} skipped as not measured (curves of different lengths), in {} {}",
            crate::numbers::count(total, "blank cell"),
            crate::numbers::plural(self.blank_cells.len(), "column"),
            cols.join(", ")
        ))
    }

    /// These rows for the candidates in the order `order` (indices into
    /// this pool's order).
    pub fn permuted(&self, order: &[usize]) -> PoolRows {
        PoolRows {
            candidates: order
                .iter()
                .filter_map(|&i| self.candidates.get(i).cloned())
                .collect(),
            blank_cells: self.blank_cells.clone(),
        }
    }

    /// The location of candidate `i`.
    pub fn candidate(&self, i: usize) -> Option<&Location> {
        self.candidates.get(i).map(|c| &c.at)
    }

    /// The location of candidate `i`'s loss at size `n` (to 1e-9
    /// relative, as [`Candidate::loss_at`]); the candidate's when that
    /// point is not found.
    pub fn point(&self, i: usize, n: f64) -> Option<&Location> {
        let c = self.candidates.get(i)?;
        c.points
            .iter()
            .find(|p| (p.0 - n).abs() <= 1e-9 * n.abs())
            .map(|p| &p.1)
            .or(Some(&c.at))
    }
}

/// Where each candidate [`candidates_table`] reads from `table` was read
/// (call it after [`candidates_table`] succeeded on the same table: the
/// cells are read the same way).
pub fn pool_rows(table: &Table, long: &LongColumns) -> Result<PoolRows> {
    let at = |r: usize, column: Option<&str>| Location {
        file: table.source.clone(),
        row: Some(table.line(r)),
        column: column.map(str::to_string),
        record: table.records,
    };
    if is_wide(table) {
        let sizes: Vec<(usize, f64)> = table
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((i, size_header(c)?.ok()?)))
            .collect();
        let blank_cells = sizes
            .iter()
            .filter_map(|&(c, _)| {
                let cells = (0..table.len())
                    .filter(|&r| table.text(r, c).is_empty())
                    .count();
                (cells > 0).then(|| BlankCells {
                    column: table.columns[c].clone(),
                    cells,
                })
            })
            .collect();
        return Ok(PoolRows {
            blank_cells,
            candidates: (0..table.len())
                .map(|r| CandidateRows {
                    at: at(r, None),
                    points: sizes
                        .iter()
                        .filter(|&&(c, _)| !table.text(r, c).is_empty())
                        .map(|&(c, n)| (n, at(r, Some(&table.columns[c]))))
                        .collect(),
                })
                .collect(),
        });
    }
    let mi = table.column_index(&long.model)?;
    let ni = table.column_index(&long.n)?;
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut candidates: Vec<CandidateRows> = Vec::new();
    for r in 0..table.len() {
        let k = *index.entry(table.text(r, mi)).or_insert_with(|| {
            candidates.push(CandidateRows {
                at: at(r, None),
                points: Vec::new(),
            });
            candidates.len() - 1
        });
        candidates[k]
            .points
            .push((table.number(r, ni)?, at(r, None)));
    }
    Ok(PoolRows {
        candidates,
        blank_cells: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A size read back from a rescaled file (1638400 x 1e-6 written as
    /// 1.6383999999999999) is the target 1.6384: the observed loss there is
    /// found (it was dropped); another size is not, and 0 matches 0 only.
    #[test]
    fn a_measured_size_matches_to_rounding() {
        let c = Candidate {
            id: "m".into(),
            curve: vec![(0.0, 3.0), (0.0256, 2.0), (1.638_399_999_999_999_9, 1.5)],
            size: None,
            family: None,
        };
        assert_ne!(c.curve[2].0, 1.6384);
        assert_eq!(c.loss_at(1.6384), Some(1.5));
        assert_eq!(c.loss_at(0.0), Some(3.0));
        assert_eq!(c.loss_at(1.6385), None);
        assert_eq!(c.loss_at(1e-12), None);
    }

    /// Filters that keep no row: the error says so (it was "no runs" alone).
    #[test]
    fn filters_that_keep_no_run_are_named() {
        let text = "N,D,loss,step\n1e8,1e9,3.1,10\n2e8,1e9,3.0,10\n";
        let t = Table::from_delimited("r.csv", text, b',').unwrap();
        let mut cols = RunColumns {
            tokens: Some("D".into()),
            ..RunColumns::default()
        };
        assert_eq!(
            pretraining_groups_table(&t, &cols, 0).unwrap()[0].1.len(),
            2
        );
        cols.filters = vec![("step".into(), 20.0), ("N".into(), 1e8)];
        let e = pretraining_groups_table(&t, &cols, 0)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "r.csv: no runs: none of the 2 rows has step = 20 and N = 1e8 (the filters)"
        );
    }

    /// A model named twice in the wide format is an error naming both rows
    /// (a reference's curve and zero-shot loss once came from different
    /// rows, silently).
    #[test]
    fn a_wide_table_refuses_a_model_named_twice() {
        let text = "model,0,200,400\na,3,2.5,2.4\nb,3.1,2.6,2.5\na,3.2,2.7,2.6\n";
        let t = Table::from_delimited("w.csv", text, b',').unwrap();
        let e = finetune_wide_table(&t).unwrap_err().to_string();
        assert!(e.contains("w.csv"), "{e}");
        assert!(e.contains("'a' appears twice (rows 2 and 4)"), "{e}");
        let ok = Table::from_delimited("w.csv", "model,0,200\na,3,2.5\nb,3.1,2.6\n", b',').unwrap();
        assert_eq!(finetune_wide_table(&ok).unwrap().len(), 2);
    }

    /// Two headers naming the same size ("200" and "200.0") are an error
    /// naming the file, row 1 and both columns (each curve once got two
    /// points at 200, counted twice by the affordable-size checks).
    #[test]
    fn a_wide_table_refuses_two_columns_of_one_size() {
        let text = "model,0,200,200.0,400\na,3,2.5,2.6,2.4\nb,3.1,2.6,2.7,2.5\n";
        let t = Table::from_delimited("w.csv", text, b',').unwrap();
        let e = finetune_wide_table(&t).unwrap_err().to_string();
        assert!(e.starts_with("w.csv, row 1, column '200.0'"), "{e}");
        assert!(
            e.contains("columns '200' and '200.0' are the same size 200"),
            "{e}"
        );
    }

    /// probe_fz item 9: a wide-format header that looks like a size but is
    /// not one ("1,600", "-200", "2k") is an error naming the column (it was
    /// silently left out, changing every score); names that do not start
    /// with a digit are not sizes, and "1.6e3" or " 800 " are.
    #[test]
    fn a_wide_header_that_looks_like_a_size_but_is_not_is_refused() {
        for bad in ["1,600", "-200", "2k", "1_600", ".5x"] {
            let text = format!("model,0,200,400,800,\"{bad}\"\na,3,2.5,2.4,2.3,2.2\n");
            let t = Table::from_delimited("w.csv", &text, b',').unwrap();
            let e = candidates_table(&t, &LongColumns::default())
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with(&format!(
                    "w.csv, row 1, column '{bad}': this header looks like"
                )),
                "{e}"
            );
        }
        // Only such headers: still read as the wide format, so the error is this one.
        let t =
            Table::from_delimited("w.csv", "model,\"1,000\",\"2,000\"\na,2.5,2.4\n", b',').unwrap();
        let e = candidates_table(&t, &LongColumns::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("column '1,000'"), "{e}");
        let t = Table::from_delimited(
            "w.csv",
            "model,family,nan,0,200,1.6e3\na,x,1,3,2.5,2.4\n",
            b',',
        )
        .unwrap();
        let c = candidates_table(&t, &LongColumns::default()).unwrap();
        assert_eq!(c[0].curve, vec![(0.0, 3.0), (200.0, 2.5), (1600.0, 2.4)]);
    }

    /// probe_fz item 17: an empty model name is an empty cell, in both
    /// formats (it became a candidate called '').
    #[test]
    fn an_empty_model_name_is_an_empty_cell() {
        let t = Table::from_delimited("l.csv", "model,n,loss\na,0,3\n,200,2.5\n", b',').unwrap();
        let e = candidates_table(&t, &LongColumns::default())
            .unwrap_err()
            .to_string();
        assert_eq!(e, "l.csv, row 3, column 'model': empty cell");
        let t = Table::from_delimited("w.csv", "model,0,200\na,3,2.5\n ,3.1,2.6\n", b',').unwrap();
        let e = candidates_table(&t, &LongColumns::default())
            .unwrap_err()
            .to_string();
        assert_eq!(e, "w.csv, row 3, column 'model': empty cell");
    }

    /// A parameter count <= 0 in the wide format is an error naming the
    /// file, row and column, as in the long format (model-size once failed
    /// later with "a non-finite score" and no location).
    #[test]
    fn a_wide_table_refuses_a_parameter_count_not_above_zero() {
        for bad in ["0", "-5"] {
            let text = format!("model,size,0,200,400\na,1e8,3,2.5,2.4\nb,{bad},3.1,2.6,2.5\n");
            let t = Table::from_delimited("w.csv", &text, b',').unwrap();
            let e = finetune_wide_table(&t).unwrap_err().to_string();
            assert_eq!(
                e, "w.csv, row 3, column 'size': a parameter count must be > 0",
                "{bad}"
            );
        }
    }

    /// Each candidate's line: its row in the wide format, its first row in
    /// the long one.
    #[test]
    fn candidate_lines_follow_the_reader() {
        let wide =
            Table::from_delimited("w.csv", "model,0,200\na,3,2.5\nb,3.1,2.6\n", b',').unwrap();
        assert_eq!(
            candidate_lines(&wide, &LongColumns::default()).unwrap(),
            [2, 3]
        );
        let text = "model,n,loss\nb,200,2.5\na,200,2.6\nb,400,2.4\nc,200,2.7\n";
        let long = Table::from_delimited("l.csv", text, b',').unwrap();
        let ids: Vec<String> = candidates_table(&long, &LongColumns::default())
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, ["b", "a", "c"]);
        assert_eq!(
            candidate_lines(&long, &LongColumns::default()).unwrap(),
            [2, 3, 5]
        );
    }
}
