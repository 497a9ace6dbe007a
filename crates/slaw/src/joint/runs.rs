//! Fine-tuning runs for the joint laws: one row per run with its method, the
//! value of the factor it varies (model size, pretraining tokens, PET size),
//! the fine-tuning data size and the loss.

use crate::table::Table;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// One factor: a column of the input holding its values.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Factor {
    /// The factor column's name.
    pub name: String,
    /// PET factors (prompt length, LoRA rank) are left out of the shared
    /// beta/E estimate.
    pub pet: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
/// One fine-tuning run: a method, one factor's value, the data size and the loss.
pub struct Run {
    /// The fine-tuning method.
    pub method: String,
    /// Index into `Runs::factors`.
    pub factor: usize,
    /// The factor's value X (> 0).
    pub x: f64,
    /// Fine-tuning data size D_f (> 0).
    pub d: f64,
    /// The run's loss (> 0).
    pub loss: f64,
    /// From the input's hold-out column; `None` uses the default split.
    pub held: Option<bool>,
    /// Line in the source file.
    pub line: usize,
}

#[derive(Debug, Clone)]
/// The runs of a table, every run varying one factor.
pub struct Runs {
    /// Where the runs came from (the file's path), for messages.
    pub source: String,
    /// The factor columns, in the order given.
    pub factors: Vec<Factor>,
    /// Every run, in input order.
    pub runs: Vec<Run>,
    /// What the reading assumed, to be said with the results (a file
    /// without a method column read as one method).
    pub notes: Vec<String>,
}

/// Which columns to read.
#[derive(Debug, Clone)]
pub struct RunColumns {
    /// The method column.
    pub method: String,
    /// Factor columns (any subset of model size, pretraining tokens, PET size).
    pub factors: Vec<String>,
    /// Those of `factors` that are PET sizes.
    pub pet: Vec<String>,
    /// The fine-tuning data-size column.
    pub data: String,
    /// The loss column.
    pub loss: String,
    /// A column naming, per row, the factor column the run varies; needed
    /// when a row has values in several factor columns.
    pub experiment: Option<String>,
    /// A column flagging held-out runs (1/true/yes vs 0/false/no/empty).
    pub holdout: Option<String>,
}

impl Default for RunColumns {
    fn default() -> Self {
        RunColumns {
            method: "method".into(),
            factors: vec![],
            pet: vec![],
            data: "data".into(),
            loss: "loss".into(),
            experiment: None,
            holdout: None,
        }
    }
}

fn positive(table: &Table, r: usize, c: usize) -> Result<f64> {
    let v = table.number(r, c)?;
    if v <= 0.0 {
        return Err(table.name_rows(Error::input(
            &table.source,
            Some(table.line(r)),
            Some(&table.columns[c]),
            format!("{v} must be > 0"),
        )));
    }
    Ok(v)
}

impl Runs {
    /// Read the runs from a file (see [`Runs::from_table`]).
    pub fn read(path: &Path, cols: &RunColumns) -> Result<Runs> {
        Runs::from_table(&Table::read(path)?, cols)
    }

    /// Read the runs from a table: every cell checked (positive numbers), each row assigned to the one factor it varies.
    pub fn from_table(table: &Table, cols: &RunColumns) -> Result<Runs> {
        table.named_rows(Self::read_rows(table, cols))
    }

    fn read_rows(table: &Table, cols: &RunColumns) -> Result<Runs> {
        if cols.factors.is_empty() {
            return Err(Error::setting(
                crate::error::Setting::Factors,
                "name at least one factor column, e.g. model_size",
            ));
        }
        for (i, f) in cols.factors.iter().enumerate() {
            if cols.factors[..i].contains(f) {
                return Err(Error::setting(
                    crate::error::Setting::Factors,
                    format!("factor column '{f}' is named twice"),
                ));
            }
            for (role, c) in [
                ("method", &cols.method),
                ("data-size", &cols.data),
                ("loss", &cols.loss),
            ] {
                if f == c {
                    return Err(Error::setting(
                        crate::error::Setting::Factors,
                        format!("'{f}' is the {role} column, not a factor (model size, pretraining tokens, PET size)"),
                    ));
                }
            }
        }
        for p in &cols.pet {
            if !cols.factors.contains(p) {
                return Err(Error::setting(
                    crate::error::Setting::Factors,
                    format!(
                        "PET column '{p}' is not one of the factor columns ({})",
                        cols.factors.join(", ")
                    ),
                ));
            }
        }
        // A file without a method column (and the default name asked for)
        // is one method, named after the file (probe48 9f); a method column
        // named otherwise must exist.
        let default_method = RunColumns::default().method;
        let (mi, one_method) = match table.column_index(&cols.method) {
            Ok(i) => (Some(i), None),
            Err(_) if cols.method == default_method => {
                let stem = std::path::Path::new(&table.source)
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .filter(|s| !s.is_empty() && *s != "-" && !s.starts_with('<'))
                    .unwrap_or("all")
                    .to_string();
                (None, Some(stem))
            }
            Err(e) => return Err(e),
        };
        let di = table.column_index(&cols.data)?;
        let li = table.loss_column(&cols.loss)?;
        let fi: Vec<usize> = cols
            .factors
            .iter()
            .map(|f| table.column_index(f))
            .collect::<Result<_>>()?;
        let ei = cols
            .experiment
            .as_ref()
            .map(|c| table.column_index(c))
            .transpose()?;
        let hi = cols
            .holdout
            .as_ref()
            .map(|c| table.column_index(c))
            .transpose()?;
        let mut runs = Vec::with_capacity(table.len());
        for r in 0..table.len() {
            let line = table.line(r);
            let method = match (mi, &one_method) {
                (Some(mi), _) => table.text(r, mi).to_string(),
                (None, name) => name.clone().unwrap_or_default(),
            };
            if method.is_empty() {
                return Err(Error::input(
                    &table.source,
                    Some(line),
                    Some(&cols.method),
                    "empty method",
                ));
            }
            let filled: Vec<usize> = (0..fi.len())
                .filter(|&k| !table.text(r, fi[k]).is_empty())
                .collect();
            let factor = match ei {
                Some(e) => {
                    let name = table.text(r, e);
                    cols.factors.iter().position(|f| f == name).ok_or_else(|| {
                        Error::input(
                            &table.source,
                            Some(line),
                            Some(&table.columns[e]),
                            format!(
                                "'{name}' is not one of the factor columns ({})",
                                cols.factors.join(", ")
                            ),
                        )
                    })?
                }
                None => match filled.as_slice() {
                    [k] => *k,
                    [] => {
                        return Err(Error::input(
                            &table.source,
                            Some(line),
                            None,
                            format!(
                                "no factor value: one of the columns {} must be filled",
                                cols.factors.join(", ")
                            ),
                        ))
                    }
                    many => {
                        return Err(Error::input(
                            &table.source,
                            Some(line),
                            None,
                            format!(
                                "values in several factor columns ({}): add a column naming the \
                                 factor this run varies and name it as the experiment column \
                                 (its cells: one of the factor columns' names)",
                                many.iter()
                                    .map(|&k| cols.factors[k].as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ))
                    }
                },
            };
            runs.push(Run {
                method,
                factor,
                x: positive(table, r, fi[factor])?,
                d: positive(table, r, di)?,
                loss: positive(table, r, li)?,
                held: hi.map(|h| table.flag(r, h)).transpose()?,
                line,
            });
        }
        if runs.is_empty() {
            return Err(Error::input(&table.source, None, None, "no runs"));
        }
        Ok(Runs {
            source: table.source.clone(),
            factors: cols
                .factors
                .iter()
                .map(|f| Factor {
                    name: f.clone(),
                    pet: cols.pet.contains(f),
                })
                .collect(),
            notes: one_method
                .map(|m| {
                    format!(
                        "{}: no column '{}': every run is taken as one method, named '{m}'",
                        table.source, cols.method
                    )
                })
                .into_iter()
                .chain(near_duplicate_methods(&runs, &table.source, &cols.method))
                .chain(repeated_runs(
                    &runs,
                    &cols.factors,
                    &table.source,
                    table.row_noun(),
                ))
                .collect(),
            runs,
        })
    }

    /// Method names, sorted by name: the output's order of methods (and
    /// of the pairs `methods` compares) does not follow the rows' order.
    pub fn methods(&self) -> Vec<String> {
        let mut out: Vec<String> = self.runs.iter().map(|r| r.method.clone()).collect();
        out.sort();
        out.dedup();
        out
    }

    /// The runs of one method, by factor index.
    pub fn by_factor(&self, method: &str) -> BTreeMap<usize, Vec<&Run>> {
        let mut m: BTreeMap<usize, Vec<&Run>> = BTreeMap::new();
        for r in self.runs.iter().filter(|r| r.method == method) {
            m.entry(r.factor).or_default().push(r);
        }
        m
    }
}

/// Runs read twice or more (every value equal: method, factor, X, D_f,
/// loss and hold-out flag): each row is fitted, so a copied row weighs
/// twice, as `fit` and `allocate` warn for their points. One note per set,
/// the first few sets named by their lines; `noun` is what a line counts
/// ("row", or "record" in a JSON array, as the errors say).
fn repeated_runs(runs: &[Run], factors: &[String], source: &str, noun: &str) -> Vec<String> {
    const NAMED: usize = crate::observations::MAX_DUPLICATE_WARNINGS;
    let key = |r: &Run| {
        (
            r.method.clone(),
            r.factor,
            r.x.to_bits(),
            r.d.to_bits(),
            r.loss.to_bits(),
            r.held,
        )
    };
    let mut sets: BTreeMap<_, Vec<&Run>> = BTreeMap::new();
    for r in runs {
        sets.entry(key(r)).or_default().push(r);
    }
    let mut repeated: Vec<Vec<&Run>> = sets.into_values().filter(|s| s.len() > 1).collect();
    repeated.sort_by_key(|s| s[0].line);
    let short = crate::numbers::short;
    let mut out: Vec<String> = repeated
        .iter()
        .take(NAMED)
        .map(|set| {
            let r = set[0];
            let lines: Vec<String> = set.iter().map(|r| r.line.to_string()).collect();
            let (last, first) = lines.split_last().expect("two runs at least");
            let times = match set.len() {
                2 => "twice".to_string(),
                k => format!("{k} times"),
            };
            let factor = factors.get(r.factor).map_or("X", String::as_str);
            format!(
                "{source}, {noun}s {} and {last}: the same run {times} (method {}, {factor} = {}, \
                 D_f = {}, loss = {}; every value read is equal): each {noun} is fitted, so \
                 the run weighs {times} as much as one; if a {noun} is a copy, remove it",
                first.join(", "),
                r.method,
                short(r.x),
                short(r.d),
                short(r.loss),
            )
        })
        .collect();
    if repeated.len() > NAMED {
        out.push(format!(
            "{source}: {} more runs appear more than once ({noun}s not named)",
            repeated.len() - NAMED
        ));
    }
    out
}

/// Method names that differ only in case or surrounding spaces ("LoRA",
/// "lora "): each is fitted as a method of its own, on its share of the
/// runs, which is rarely what the file meant (a probe: half of the LoRA
/// runs renamed, two "methods" ranked side by side). One note per set.
fn near_duplicate_methods(runs: &[Run], source: &str, column: &str) -> Vec<String> {
    let mut by_key: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for r in runs {
        let names = by_key.entry(r.method.trim().to_lowercase()).or_default();
        if !names.contains(&r.method.as_str()) {
            names.push(&r.method);
        }
    }
    by_key
        .values()
        .filter(|names| names.len() > 1)
        .map(|names| {
            let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            format!(
                "{source}: the methods {} in column '{column}' differ only in case or spaces: \
                 each is fitted as a method of its own, on its own runs; give them one name if \
                 they are one method",
                quoted.join(" and ")
            )
        })
        .collect()
}
