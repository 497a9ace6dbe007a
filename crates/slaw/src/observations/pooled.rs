//! Several curves read as one: a file of many curves (a model per curve, a
//! seed per curve) fitted without groups is pooled into one curve, silently
//! unless said. The signal: the inputs repeat (several points at one x) and
//! another column splits the points into curves, none of which repeats an
//! input.

use super::Columns;
use crate::table::Table;
use std::collections::{HashMap, HashSet};

/// Larger tables are not checked (a learning-curve file is far smaller; the
/// check's sets would cost memory on the million-row inputs the reader
/// streams).
const MAX_ROWS: usize = 100_000;

/// A column of `table`, other than those `cols` reads, whose values split the
/// points into at least 2 curves of at least 3 points each, with no input
/// (the x columns' cells) repeated inside one curve, while the inputs do
/// repeat over the whole table. Its name and its number of values; the first
/// such column in the table's order. None when the inputs never repeat.
pub(super) fn curve_column(table: &Table, cols: &Columns) -> Option<(String, usize)> {
    let n = table.len();
    if !(6..=MAX_ROWS).contains(&n) {
        return None;
    }
    let x: Vec<usize> = cols
        .x
        .iter()
        .map(|c| table.column_index(c).ok())
        .collect::<Option<_>>()?;
    let key = |r: usize| -> Vec<&str> { x.iter().map(|&c| table.text(r, c).trim()).collect() };
    let distinct: HashSet<Vec<&str>> = (0..n).map(key).collect();
    if distinct.len() == n {
        return None;
    }
    let read: Vec<&str> = cols.read().map(String::as_str).collect();
    for (c, name) in table.columns.iter().enumerate() {
        if read.contains(&name.as_str()) {
            continue;
        }
        let mut curves: HashMap<&str, Vec<usize>> = HashMap::new();
        for r in 0..n {
            curves.entry(table.text(r, c).trim()).or_default().push(r);
        }
        if curves.len() < 2 || curves.len() > n / 3 {
            continue;
        }
        if curves.values().filter(|rows| rows.len() >= 3).count() < 2 {
            continue;
        }
        let one_input_each = curves.values().all(|rows| {
            let inputs: HashSet<Vec<&str>> = rows.iter().map(|&r| key(r)).collect();
            inputs.len() == rows.len()
        });
        if one_input_each {
            return Some((name.clone(), curves.len()));
        }
    }
    None
}

/// The note for [`curve_column`]'s finding.
pub(super) fn pooled_note(source: &str, n: usize, column: &str, curves: usize) -> String {
    format!(
        "{source}: the {n} points repeat their inputs, and column '{column}' splits them into \
         {curves} curves that each do not: they were fitted as one curve; if they are different \
         curves, fit one per value of '{column}' (grouped by it)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[[&str; 3]]) -> Table {
        let mut t = Table::new("t.csv", vec!["model".into(), "n".into(), "loss".into()]);
        for (i, r) in rows.iter().enumerate() {
            t.push_row(i + 2, r.iter().copied()).unwrap();
        }
        t
    }

    fn cols() -> Columns {
        Columns {
            x: vec!["n".into()],
            y: "loss".into(),
            weight: None,
            group: None,
            holdout: None,
        }
    }

    #[test]
    fn two_models_in_one_file_are_found() {
        let mut rows = vec![];
        for m in ["a", "b"] {
            for n in ["1", "2", "4", "8"] {
                rows.push([m, n, "1.0"]);
            }
        }
        assert_eq!(
            curve_column(&table(&rows), &cols()),
            Some(("model".into(), 2))
        );
        let note = pooled_note("t.csv", 8, "model", 2);
        assert!(note.contains("column 'model'") && note.contains("2 curves"));
    }

    #[test]
    fn one_curve_or_a_grouped_read_is_not_flagged() {
        // distinct inputs: one curve, whatever the other columns hold
        let rows: Vec<[&str; 3]> = ["1", "2", "4", "8", "16", "32"]
            .iter()
            .map(|&n| ["a", n, "1.0"])
            .collect();
        assert_eq!(curve_column(&table(&rows), &cols()), None);
        // repeated inputs inside each value of the column (seeds at one x
        // within one model): the column does not split curves
        let mut rows = vec![];
        for m in ["a", "b"] {
            for n in ["1", "1", "2", "2", "4", "4"] {
                rows.push([m, n, "1.0"]);
            }
        }
        assert_eq!(curve_column(&table(&rows), &cols()), None);
        // the column is the group read
        let mut rows = vec![];
        for m in ["a", "b"] {
            for n in ["1", "2", "4"] {
                rows.push([m, n, "1.0"]);
            }
        }
        let mut grouped = cols();
        grouped.group = Some("model".into());
        assert_eq!(curve_column(&table(&rows), &grouped), None);
    }
}
