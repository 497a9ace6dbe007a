//! Input files as a table of text cells: CSV, TSV (by extension or content) and
//! JSON lines. Turning cells into numbers happens in `observations`, which
//! knows which columns matter and reports the exact cell that is wrong.

use crate::error::{Error, Result};
use std::path::Path;

/// A rectangular table of text cells with a header.
#[derive(Debug, Clone)]
pub struct Table {
    /// Name shown in error messages (the file path, or a label).
    pub source: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The line number in the file of each row (the header of a CSV is line 1).
    pub row_numbers: Vec<usize>,
}

impl Table {
    pub fn read(path: &Path) -> Result<Table> {
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: source.clone(),
            source: e,
        })?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "jsonl" | "ndjson" => Self::from_json_lines(&source, &text),
            "tsv" | "tab" => Self::from_delimited(&source, &text, b'\t'),
            "csv" => Self::from_delimited(&source, &text, b','),
            _ => {
                let first = text.lines().next().unwrap_or("");
                if first.trim_start().starts_with('{') {
                    Self::from_json_lines(&source, &text)
                } else if first.contains('\t') && !first.contains(',') {
                    Self::from_delimited(&source, &text, b'\t')
                } else {
                    Self::from_delimited(&source, &text, b',')
                }
            }
        }
    }

    pub fn from_delimited(source: &str, text: &str, delimiter: u8) -> Result<Table> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let columns: Vec<String> = reader
            .headers()
            .map_err(|e| Error::input(source, Some(1), None, format!("cannot read header: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        if columns.is_empty() || columns.iter().all(|c| c.is_empty()) {
            return Err(Error::input(source, Some(1), None, "empty header"));
        }
        let mut rows = Vec::new();
        let mut row_numbers = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let row = i + 2;
            let record = record
                .map_err(|e| Error::input(source, Some(row), None, format!("cannot read: {e}")))?;
            if record.iter().all(|c| c.is_empty()) {
                continue;
            }
            if record.len() != columns.len() {
                return Err(Error::input(
                    source,
                    Some(row),
                    None,
                    format!(
                        "has {} cells but the header has {} columns",
                        record.len(),
                        columns.len()
                    ),
                ));
            }
            rows.push(record.iter().map(str::to_string).collect());
            row_numbers.push(record.position().map_or(row, |p| p.line() as usize));
        }
        Ok(Table {
            source: source.to_string(),
            columns,
            rows,
            row_numbers,
        })
    }

    /// JSON lines: one object per line; the columns are the keys of the first
    /// object (in order), and every line must have them.
    pub fn from_json_lines(source: &str, text: &str) -> Result<Table> {
        let mut columns: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        let mut row_numbers = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let row = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            let value: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| Error::input(source, Some(row), None, format!("invalid JSON: {e}")))?;
            let obj = value.as_object().ok_or_else(|| {
                Error::input(source, Some(row), None, "each line must be a JSON object")
            })?;
            if columns.is_empty() {
                columns = obj.keys().cloned().collect();
            }
            let mut cells = Vec::with_capacity(columns.len());
            for c in &columns {
                let cell = match obj.get(c) {
                    None => {
                        return Err(Error::input(
                            source,
                            Some(row),
                            Some(c),
                            "key missing on this line",
                        ))
                    }
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) => String::new(),
                    Some(v) => v.to_string(),
                };
                cells.push(cell);
            }
            rows.push(cells);
            row_numbers.push(row);
        }
        if columns.is_empty() {
            return Err(Error::input(source, None, None, "no JSON objects found"));
        }
        Ok(Table {
            source: source.to_string(),
            columns,
            rows,
            row_numbers,
        })
    }

    pub fn column_index(&self, name: &str) -> Result<usize> {
        self.columns.iter().position(|c| c == name).ok_or_else(|| {
            Error::input(
                &self.source,
                None,
                Some(name),
                format!("no such column (columns are: {})", self.columns.join(", ")),
            )
        })
    }

    /// Parse one cell as a finite number, or say exactly which cell is wrong.
    pub fn number(&self, row_index: usize, col: usize) -> Result<f64> {
        let cell = &self.rows[row_index][col];
        let row = self.row_numbers[row_index];
        let name = &self.columns[col];
        if cell.is_empty() {
            return Err(Error::input(
                &self.source,
                Some(row),
                Some(name),
                "empty cell",
            ));
        }
        let v: f64 = cell.parse().map_err(|_| {
            Error::input(
                &self.source,
                Some(row),
                Some(name),
                format!("'{cell}' is not a number"),
            )
        })?;
        if !v.is_finite() {
            return Err(Error::input(
                &self.source,
                Some(row),
                Some(name),
                format!("'{cell}' is not a finite number"),
            ));
        }
        Ok(v)
    }

    /// The file line of a data row, for error messages.
    pub fn line(&self, row_index: usize) -> usize {
        self.row_numbers[row_index]
    }

    pub fn text(&self, row_index: usize, col: usize) -> &str {
        &self.rows[row_index][col]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_jsonl_give_same_cells() {
        let a = Table::from_delimited("a.csv", "x,y\n1,2\n3,4\n", b',').unwrap();
        let b =
            Table::from_json_lines("b.jsonl", "{\"x\":1,\"y\":2}\n{\"x\":3,\"y\":4}\n").unwrap();
        assert_eq!(a.columns, b.columns);
        assert_eq!(a.rows, b.rows);
    }

    #[test]
    fn bad_cell_is_located() {
        let t = Table::from_delimited("d.csv", "x,y\n1,2\n3,abc\n", b',').unwrap();
        let err = t.number(1, 1).unwrap_err().to_string();
        assert!(err.contains("d.csv, row 3, column 'y'"), "{err}");
    }

    #[test]
    fn ragged_row_is_located() {
        let err = Table::from_delimited("d.csv", "x,y\n1,2\n3\n", b',')
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 3"), "{err}");
    }
}
