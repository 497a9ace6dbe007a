//! Input files as a table of text cells: CSV, TSV (by extension or content),
//! TensorBoard event files (`tfevents`) and
//! JSON lines. Turning cells into numbers happens in `observations`, which
//! knows which columns matter and reports the exact cell that is wrong.

use crate::error::{Error, Result};
use std::path::Path;

/// The loss column's name that the commands read by default.
pub const DEFAULT_LOSS: &str = "loss";

/// A rectangular table of text cells with a header, stored column by
/// column: each column's cells in one text buffer (no allocation per cell,
/// no row of strings), so a file of a million rows costs about its own size.
/// Numbers are parsed from there (`number`) into the typed vectors of the
/// readers (`Observations`, curves, runs), each error naming the cell.
#[derive(Debug, Clone)]
pub struct Table {
    /// Name shown in error messages (the file path, or a label).
    pub source: String,
    /// Column names, from the header.
    pub columns: Vec<String>,
    /// The cells of each column.
    cells: Vec<TextColumn>,
    /// The line number in the file of each row (the header of a CSV is line 1);
    /// for a JSON array (`records`), the object's number in the array from 1.
    pub row_numbers: Vec<usize>,
    /// The rows are the objects of a JSON array, numbered from 1 and named
    /// "record N" in errors (a JSON array has no lines to count: a file
    /// written on one line would name every row "row 1").
    pub records: bool,
    /// The rows are the steps of a TensorBoard event file (column 0 the
    /// step; `row_numbers` the index of each step's first record): a cell
    /// is named by its step, and a tag not logged at a step is expected.
    pub steps: bool,
    /// What the reader did that the user should be told of (a TensorBoard
    /// log that restarts: the steps logged twice, the later records kept).
    pub notes: Vec<String>,
    /// The column naming each row's run when the table is a TensorBoard
    /// log directory of several runs (each subdirectory holding event
    /// files is a run): the readers of loss curves read each run as a
    /// curve of its own. None otherwise.
    pub run_column: Option<String>,
    /// Per column, its cells read as numbers once, on the first
    /// [`Table::number`] of the column (the readers' passes over a log's
    /// rows read the step and loss cells again each): the value, or NaN
    /// where the cell is not a finite number (`number` then says why).
    /// Emptied by every change of the cells.
    parsed: Vec<std::sync::OnceLock<Vec<f64>>>,
}

/// A cell read as [`Table::number`] reads it: None where that is an error
/// (empty, not a number, too small for a double, not finite).
fn finite_number(cell: &str) -> Option<f64> {
    if cell.is_empty() {
        return None;
    }
    let v: f64 = cell.parse().ok()?;
    if v == 0.0 {
        let mantissa = cell.split(['e', 'E']).next().unwrap_or("");
        if mantissa.chars().any(|c| ('1'..='9').contains(&c)) {
            return None;
        }
    }
    v.is_finite().then_some(v)
}

/// The cells of one column: their text end to end, and where each ends.
#[derive(Debug, Clone, Default)]
struct TextColumn {
    text: String,
    ends: Vec<u32>,
}

impl TextColumn {
    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// Append a cell; false when the column's text would pass 4 GiB.
    fn push(&mut self, cell: &str) -> bool {
        self.text.push_str(cell);
        match u32::try_from(self.text.len()) {
            Ok(end) => {
                self.ends.push(end);
                true
            }
            Err(_) => false,
        }
    }
}

/// The `.csv` files of the folder `dir`, sorted by name (an error naming
/// the folder when it cannot be read; empty when it holds none).
pub fn csv_files(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| Error::Io {
            path: dir.display().to_string(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    Ok(files)
}

/// The message of a JSON syntax error; where the error stands on a bare
/// `NaN` or `Infinity` (as Python's `json.dumps` writes them), it says that
/// these are not JSON.
fn json_error(e: &serde_json::Error, text: &str) -> String {
    let at = text
        .lines()
        .nth(e.line().saturating_sub(1))
        .map(|l| {
            let c = e.column().saturating_sub(1);
            l.char_indices()
                .find(|&(i, _)| i >= c)
                .map_or("", |(i, _)| &l[i..])
        })
        .unwrap_or("");
    let bare = ["NaN", "Infinity", "-Infinity"]
        .into_iter()
        .find(|w| at.starts_with(w) || at.get(1..).is_some_and(|r| r.starts_with(w)));
    match bare {
        Some(w) => format!(
            "invalid JSON: {e}: {w} is not a JSON value (Python's json.dumps writes it for a float that is not finite); write null or leave the key out for a missing value"
        ),
        None => format!("invalid JSON: {e}"),
    }
}

/// The SHA-256 (hex) and size in bytes of what standard input gave, once a
/// table was read from it (`-`): a report's provenance hashes it as it
/// hashes a file, though it cannot be read again. None before.
pub fn stdin_digest() -> Option<(String, u64)> {
    STDIN_DIGEST.get().cloned()
}

static STDIN_DIGEST: std::sync::OnceLock<(String, u64)> = std::sync::OnceLock::new();

/// SHA-256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    use std::fmt::Write;
    sha2::Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

impl Table {
    /// Read a file (`-`: standard input) by its extension or, without one,
    /// by its content. Standard input's digest is kept ([`stdin_digest`]).
    pub fn read(path: &Path) -> Result<Table> {
        let stdin = path.as_os_str() == "-";
        let source = if stdin {
            "standard input".to_string()
        } else {
            path.display().to_string()
        };
        if !stdin && path.is_dir() {
            return Self::read_dir(path, &source);
        }
        let bytes = if stdin {
            let mut b = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut b).map_err(|e| Error::Io {
                path: source.clone(),
                source: e,
            })?;
            // Read once per process (a second read finds it empty): the
            // first read's bytes are the input.
            let _ = STDIN_DIGEST.set((sha256_hex(&b), b.len() as u64));
            b
        } else {
            std::fs::read(path).map_err(|e| Error::Io {
                path: source.clone(),
                source: e,
            })?
        };
        // TensorBoard event files are binary: recognized by name or by a
        // first record whose checksum holds.
        if (!stdin && crate::tfevents::is_event_file_name(path))
            || crate::tfevents::looks_like(&bytes)
        {
            return crate::tfevents::read(&source, &bytes);
        }
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                return Err(not_utf8(&source, e.as_bytes(), at));
            }
        };
        // A byte-order mark is not part of the first column's name.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let ext = if stdin { None } else { path.extension() };
        let ext = ext
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "jsonl" | "ndjson" => Self::from_json_lines(&source, text),
            "tsv" | "tab" => Self::from_delimited(&source, text, b'\t'),
            "csv" if semicolons(text) => Self::from_semicolons(&source, text),
            "csv" => Self::from_delimited(&source, text, b','),
            "json" => Self::from_json(&source, text),
            _ => {
                let first = text.lines().next().unwrap_or("");
                if first.trim_start().starts_with('[') {
                    Self::from_json(&source, text)
                } else if first.trim_start().starts_with('{') {
                    Self::from_json_lines(&source, text)
                } else if semicolons(text) {
                    Self::from_semicolons(&source, text)
                } else {
                    let header = header_line(text);
                    if header.contains('\t') && !header.contains(',') {
                        Self::from_delimited(&source, text, b'\t')
                    } else {
                        Self::from_delimited(&source, text, b',')
                    }
                }
            }
        }
    }

    /// A semicolon-separated table (as spreadsheets write CSV where the
    /// decimal mark is a comma): its numbers with decimal commas (`7,89`)
    /// read as with a point, when the file says unambiguously that the
    /// comma is its decimal mark; see [`Table::read_decimal_commas`].
    pub fn from_semicolons(source: &str, text: &str) -> Result<Table> {
        let mut table = Self::from_delimited(source, text, b';')?;
        table.read_decimal_commas()?;
        Ok(table)
    }

    /// Rewrite the numbers written with a decimal comma (`7,89`, `-0,5`,
    /// `1,5e-3`) with a point, when one of them at least cannot be a number
    /// with a thousands separator (not exactly three digits after the
    /// comma, a leading `0`, over three digits before it, or an exponent)
    /// and no number is written with a point (`2.048`: 2048 with a
    /// thousands point, or a decimal?). Otherwise an error naming the cell:
    /// the file is not read in a way it might not mean.
    fn read_decimal_commas(&mut self) -> Result<()> {
        let mut comma: Option<(usize, usize)> = None;
        let mut clear = false;
        let mut point: Option<(usize, usize)> = None;
        for c in 0..self.columns.len() {
            for r in 0..self.len() {
                let cell = self.text(r, c);
                match decimal_comma(cell) {
                    Some(unambiguous) => {
                        comma = comma.or(Some((r, c)));
                        clear |= unambiguous;
                    }
                    None if point.is_none()
                        && cell.contains('.')
                        && cell.parse::<f64>().is_ok_and(f64::is_finite) =>
                    {
                        point = Some((r, c))
                    }
                    None => {}
                }
            }
        }
        let Some((r0, c0)) = comma else {
            return Ok(());
        };
        let at = |r: usize, c: usize| (Some(self.row_numbers[r]), self.columns[c].clone());
        if !clear {
            let (row, col) = at(r0, c0);
            return Err(Error::input(
                &self.source,
                row,
                Some(&col),
                format!(
                    "'{}' in a semicolon-separated file: a decimal comma or a thousands \
                     separator? Every number with a comma here has three digits after it: \
                     write the numbers with '.' decimals and no separators",
                    self.text(r0, c0)
                ),
            ));
        }
        if let Some((r, c)) = point {
            let (row, col) = at(r, c);
            return Err(Error::input(
                &self.source,
                row,
                Some(&col),
                format!(
                    "'{}' has a '.' but the file writes decimal commas ('{}', row {}, column \
                     '{}'): a thousands separator or a decimal point? Convert the file to '.' \
                     decimals throughout",
                    self.text(r, c),
                    self.text(r0, c0),
                    self.row_numbers[r0],
                    self.columns[c0]
                ),
            ));
        }
        for column in &mut self.cells {
            let mut out = TextColumn::default();
            for r in 0..column.ends.len() {
                let cell = column.get(r);
                // The same length as before: the column still fits.
                if decimal_comma(cell).is_some() {
                    out.push(&cell.replace(',', "."));
                } else {
                    out.push(cell);
                }
            }
            *column = out;
        }
        self.cells_changed();
        Ok(())
    }

    /// A table from delimited text (CSV, TSV) with a header line; `source` names it in errors.
    /// Records are read into one reused byte record and their cells appended
    /// to their columns; every cell is trimmed of (Unicode) whitespace.
    /// Lines starting with `#` before the header (comments, with blank
    /// lines between them) are skipped; rows keep their file line numbers.
    pub fn from_delimited(source: &str, text: &str, delimiter: u8) -> Result<Table> {
        let (skipped, text) = leading_comments(text);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(text.as_bytes());
        let header_row = 1 + skipped;
        let header = reader.byte_headers().map_err(|e| {
            Error::input(
                source,
                Some(header_row),
                None,
                format!("cannot read header: {e}"),
            )
        })?;
        let columns: Vec<String> = header
            .iter()
            .map(|c| utf8_cell(c).trim().to_string())
            .collect();
        if columns.is_empty() || columns.iter().all(|c| c.is_empty()) {
            return Err(Error::input(source, Some(header_row), None, "empty header"));
        }
        // numpy's savetxt writes its header as a comment ("# x,loss"): the
        // first line after the comments is then data.
        if skipped > 0 && columns.iter().all(|c| c.parse::<f64>().is_ok()) {
            return Err(Error::input(
                source,
                Some(header_row),
                None,
                format!(
                    "the header holds only numbers ({}): the lines before it start with '#' and \
                     are skipped as comments; are the column names in one of them (as numpy's \
                     savetxt writes them)? Remove its '#'",
                    columns.join(", ")
                ),
            ));
        }
        check_unique(source, &columns)?;
        let mut table = Table::new(source, columns);
        let mut lines = LineCounter::default();
        let mut record = csv::ByteRecord::new();
        for i in 0.. {
            let more = reader.read_byte_record(&mut record).map_err(|e| {
                let line = skipped + e.position().map_or(i + 2, |p| p.line() as usize);
                Error::input(source, Some(line), None, format!("cannot read: {e}"))
            })?;
            if !more {
                break;
            }
            // The file line where the record starts (blank lines and quoted
            // fields spanning lines counted).
            let row = skipped
                + record
                    .position()
                    .map_or(i + 2, |p| lines.line_of(text, p.byte() as usize));
            if record.iter().all(|c| utf8_cell(c).trim().is_empty()) {
                continue;
            }
            if record.len() != table.columns.len() {
                return Err(Error::input(
                    source,
                    Some(row),
                    None,
                    format!(
                        "has {} cells but the header has {} columns",
                        record.len(),
                        table.columns.len()
                    ),
                ));
            }
            table.push_row(row, record.iter().map(|c| utf8_cell(c).trim()))?;
        }
        Ok(table)
    }

    /// A JSON array of objects (one row each), or a Hugging Face
    /// `trainer_state.json` (an object whose `log_history` array holds the
    /// logged entries). Rows are numbered from 1 in the array, named "record
    /// N" in errors ([`Table::records`]).
    pub fn from_json(source: &str, text: &str) -> Result<Table> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::input(source, Some(e.line()), None, json_error(&e, text)))?;
        let items = value
            .as_array()
            .or_else(|| value.get("log_history")?.as_array())
            .ok_or_else(|| {
                Error::input(
                    source,
                    None,
                    None,
                    "expected a JSON array of objects (or a trainer_state.json with a log_history array)",
                )
            })?;
        let objects = items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_object().map(|o| (i + 1, o)).ok_or_else(|| {
                    Error::input(
                        source,
                        Some(i + 1),
                        None,
                        "each element of the array must be a JSON object",
                    )
                    .in_records_of(source)
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // serde_json keeps the last of a key given twice: find it first.
        if let Ok(RowsDuplicate(Some((i, key)))) = serde_json::from_str(text) {
            return Err(duplicate_key(source, i + 1, &key).in_records_of(source));
        }
        let mut table = Self::from_objects(source, objects)?;
        table.records = true;
        Ok(table)
    }

    /// JSON lines: one object per line.
    pub fn from_json_lines(source: &str, text: &str) -> Result<Table> {
        let mut values = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let value: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| Error::input(source, Some(i + 1), None, json_error(&e, line)))?;
            if !value.is_object() {
                return Err(Error::input(
                    source,
                    Some(i + 1),
                    None,
                    "each line must be a JSON object",
                ));
            }
            if let Ok(KeyTwice(Some(key))) = serde_json::from_str(line) {
                return Err(duplicate_key(source, i + 1, &key));
            }
            values.push((i + 1, value));
        }
        let objects = values
            .iter()
            .filter_map(|(row, v)| Some((*row, v.as_object()?)))
            .collect();
        Self::from_objects(source, objects)
    }

    /// Rows from JSON objects: the columns are every key, in order of first
    /// appearance; a key an object lacks (sparse logs: training and
    /// evaluation entries log different metrics) is an empty cell.
    fn from_objects(
        source: &str,
        objects: Vec<(usize, &serde_json::Map<String, serde_json::Value>)>,
    ) -> Result<Table> {
        let mut columns: Vec<String> = Vec::new();
        for (_, o) in &objects {
            for k in o.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
        if objects.is_empty() || columns.is_empty() {
            return Err(Error::input(source, None, None, "no JSON objects found"));
        }
        let mut table = Table::new(source, columns);
        for (row, o) in objects {
            let cells: Vec<std::borrow::Cow<str>> = table
                .columns
                .iter()
                .map(|c| match o.get(c) {
                    None | Some(serde_json::Value::Null) => "".into(),
                    Some(serde_json::Value::String(s)) => s.as_str().into(),
                    Some(v) => v.to_string().into(),
                })
                .collect();
            table.push_row(row, cells)?;
        }
        Ok(table)
    }

    /// A directory: a TensorBoard log directory holding one event file is
    /// read as that file (said in a note); with several, as runs
    /// ([`Table::read_runs_dir`]).
    fn read_dir(path: &Path, source: &str) -> Result<Table> {
        let mut found = Vec::new();
        let mut dirs = vec![(path.to_path_buf(), 0)];
        while let Some((d, depth)) = dirs.pop() {
            let entries = std::fs::read_dir(&d).map_err(|e| Error::Io {
                path: d.display().to_string(),
                source: e,
            })?;
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    if depth < 8 {
                        dirs.push((p, depth + 1));
                    }
                } else if crate::tfevents::is_event_file_name(&p) {
                    found.push(p);
                }
            }
        }
        found.sort();
        match found.len() {
            0 => Err(Error::input(
                source,
                None,
                None,
                "a directory, with no TensorBoard event file (events.out.tfevents.*) in it: give a file",
            )),
            1 => {
                let mut t = Self::read(&found[0])?;
                t.notes.insert(
                    0,
                    format!(
                        "{source} is a directory: its one event file {} was read",
                        found[0].display()
                    ),
                );
                Ok(t)
            }
            _ => Self::read_runs_dir(path, source, &found),
        }
    }

    /// A TensorBoard log directory with several event files: the files of
    /// one folder are one run (a resumed run writes a new file beside the
    /// first), read in name order, one after the other (the loss-curve
    /// readers then keep the later records of a step logged twice); with
    /// several such folders, each is a run, named by its folder's path
    /// under `path`, in a column `run` ([`Table::run_column`]).
    fn read_runs_dir(path: &Path, source: &str, found: &[std::path::PathBuf]) -> Result<Table> {
        let mut runs: std::collections::BTreeMap<String, Vec<&std::path::PathBuf>> =
            std::collections::BTreeMap::new();
        for f in found {
            let dir = f.parent().unwrap_or(path);
            let name = dir
                .strip_prefix(path)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| dir.display().to_string());
            let name = if name.is_empty() {
                ".".to_string()
            } else {
                name
            };
            runs.entry(name).or_default().push(f);
        }
        let mut tables = Vec::new();
        for (run, files) in &runs {
            for f in files {
                tables.push((run.clone(), Self::read(f)?));
            }
        }
        let mut columns: Vec<String> = Vec::new();
        for (_, t) in &tables {
            for c in &t.columns {
                if !columns.contains(c) {
                    columns.push(c.clone());
                }
            }
        }
        let several = runs.len() > 1;
        let run_col = if several {
            let mut name = "run".to_string();
            while columns.contains(&name) {
                name = format!("tensorboard_{name}");
            }
            columns.push(name.clone());
            Some(name)
        } else {
            None
        };
        let mut out = Table::new(source, columns.clone());
        out.steps = true;
        for (run, t) in &tables {
            let at: Vec<Option<usize>> = columns
                .iter()
                .map(|c| t.columns.iter().position(|x| x == c))
                .collect();
            for r in 0..t.len() {
                let cells = at.iter().enumerate().map(|(k, c)| match c {
                    Some(c) => t.text(r, *c),
                    None if several && k + 1 == columns.len() => run.as_str(),
                    None => "",
                });
                out.push_row(t.row_numbers[r], cells)?;
            }
            let prefix = if several {
                format!("run '{run}': ")
            } else {
                String::new()
            };
            out.notes
                .extend(t.notes.iter().map(|n| format!("{prefix}{n}")));
        }
        let names: Vec<&str> = runs.keys().map(String::as_str).collect();
        let shown = names
            .iter()
            .take(10)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let more = if names.len() > 10 { ", ..." } else { "" };
        out.notes.insert(
            0,
            match &run_col {
                Some(c) => format!(
                    "{source} is a TensorBoard log directory of {} runs ({shown}{more}; {} event files): each is read as a run, named in column '{c}'",
                    names.len(),
                    found.len()
                ),
                None => format!(
                    "{source} is a directory: its {} event files (one run) were read in name order, one after the other",
                    found.len()
                ),
            },
        );
        out.run_column = run_col;
        Ok(out)
    }

    /// An empty table with these columns (rows come with `push_row`).
    pub fn new(source: &str, columns: Vec<String>) -> Table {
        Table {
            source: source.to_string(),
            cells: vec![TextColumn::default(); columns.len()],
            columns,
            row_numbers: Vec::new(),
            records: false,
            steps: false,
            notes: Vec::new(),
            run_column: None,
            parsed: Vec::new(),
        }
        .with_cache()
    }

    /// The table with an empty cache of numbers, one per column.
    fn with_cache(mut self) -> Table {
        self.cells_changed();
        self
    }

    /// Forget the numbers read from the cells (they changed).
    fn cells_changed(&mut self) {
        self.parsed = (0..self.cells.len())
            .map(|_| std::sync::OnceLock::new())
            .collect();
    }

    /// Column `col`'s cells as numbers, read once (NaN where a cell is not
    /// a finite number); None before the table is complete (`freeze`).
    fn parsed_column(&self, col: usize) -> Option<&[f64]> {
        let cell = self.parsed.get(col)?;
        let v = cell.get_or_init(|| {
            let c = &self.cells[col];
            (0..c.ends.len())
                .map(|r| finite_number(c.get(r)).unwrap_or(f64::NAN))
                .collect()
        });
        (v.len() == self.len()).then_some(v.as_slice())
    }

    /// An error about cell (`row_index`, `col`): named by file, row and
    /// column, or for an event file by its step and column.
    pub fn cell_error(&self, row_index: usize, col: usize, message: impl Into<String>) -> Error {
        let name = &self.columns[col];
        if self.steps {
            Error::input(
                &self.source,
                None,
                Some(name),
                format!("at step {}: {}", self.text(row_index, 0), message.into()),
            )
        } else {
            self.name_rows(Error::input(
                &self.source,
                Some(self.row_numbers[row_index]),
                Some(name),
                message,
            ))
        }
    }

    /// `e` with the rows of this table it names said as this table counts
    /// them: for a JSON array "record N" (its objects from 1), else "row N"
    /// (the line in the file). The readers of a table pass their errors
    /// through it.
    pub fn name_rows(&self, e: Error) -> Error {
        if self.records {
            e.in_records_of(&self.source)
        } else {
            e
        }
    }

    /// [`Table::name_rows`] on a result.
    pub fn named_rows<T>(&self, r: Result<T>) -> Result<T> {
        r.map_err(|e| self.name_rows(e))
    }

    /// What a row number of this table counts, for messages that name
    /// several rows ("rows 3 and 7"): "row" (a line of the file) or
    /// "record" (an object of a JSON array).
    pub fn row_noun(&self) -> &'static str {
        if self.records {
            "record"
        } else {
            "row"
        }
    }

    /// The rows where every column of `cols` is logged (not empty), and how
    /// many others were dropped.
    pub fn logged_rows(&self, cols: &[usize]) -> Result<(Table, usize)> {
        let mut out = Table::new(&self.source, self.columns.clone());
        out.steps = self.steps;
        out.records = self.records;
        out.notes = self.notes.clone();
        out.run_column = self.run_column.clone();
        let mut dropped = 0;
        for r in 0..self.len() {
            if cols.iter().any(|&c| self.is_empty_cell(r, c)) {
                dropped += 1;
                continue;
            }
            out.push_row(self.row_numbers[r], self.row(r))?;
        }
        Ok((out, dropped))
    }

    /// Append a row of cells (one per column) from file line `line`.
    pub fn push_row<S: AsRef<str>>(
        &mut self,
        line: usize,
        cells: impl IntoIterator<Item = S>,
    ) -> Result<()> {
        if self.parsed.iter().any(|p| p.get().is_some()) {
            self.cells_changed();
        }
        let n = self.row_numbers.len();
        let mut k = 0;
        let mut full = None;
        for cell in cells {
            if let Some(column) = self.cells.get_mut(k) {
                if !column.push(cell.as_ref()) {
                    full = full.or(Some(k));
                }
            }
            k += 1;
        }
        if k != self.columns.len() || full.is_some() {
            // Leave the table as it was.
            for c in &mut self.cells {
                c.ends.truncate(n);
                c.text.truncate(c.ends.last().map_or(0, |&e| e as usize));
            }
            let message = match full {
                Some(_) => "the column holds more than 4 GiB of text".to_string(),
                None => format!(
                    "has {k} cells but the header has {} columns",
                    self.columns.len()
                ),
            };
            let column = full.map(|c| self.columns[c].as_str());
            return Err(Error::input(&self.source, Some(line), column, message));
        }
        self.row_numbers.push(line);
        Ok(())
    }

    /// The number of data rows.
    pub fn len(&self) -> usize {
        self.row_numbers.len()
    }

    /// True when the table has no data row.
    pub fn is_empty(&self) -> bool {
        self.row_numbers.is_empty()
    }

    /// Add a column computed from others: `spec` is `NAME=EXPR` (e.g.
    /// `D=C/(6*N)`; names with spaces in backticks). A bad cell the
    /// expression reads, or a value that is not finite, is an error naming
    /// the row and column.
    pub fn derive(&mut self, spec: &str) -> Result<()> {
        let r = self.derive_column(spec);
        self.named_rows(r)
    }

    fn derive_column(&mut self, spec: &str) -> Result<()> {
        let (name, expr) = spec.split_once('=').ok_or_else(|| {
            Error::setting(
                crate::error::Setting::Derive,
                format!("'{spec}': expected NAME=EXPR"),
            )
        })?;
        let name = name.trim();
        if name.is_empty() || self.columns.iter().any(|c| c == name) {
            return Err(Error::setting(
                crate::error::Setting::Derive,
                format!(
                    "'{name}': {}",
                    if name.is_empty() {
                        "empty name"
                    } else {
                        "a column of that name exists"
                    }
                ),
            ));
        }
        let e = crate::law::formula::ColumnExpr::parse(expr.trim(), &self.columns)?;
        let mut values = vec![f64::NAN; self.columns.len()];
        let mut cells = TextColumn::default();
        for r in 0..self.len() {
            for &c in &e.used {
                values[c] = self.number(r, c)?;
            }
            let v = e.eval(&values);
            if !v.is_finite() {
                return Err(Error::input(
                    &self.source,
                    Some(self.row_numbers[r]),
                    Some(name),
                    format!("{expr} is not a finite number here ({v})"),
                ));
            }
            if !cells.push(&format!("{v:e}")) {
                return Err(Error::input(
                    &self.source,
                    Some(self.row_numbers[r]),
                    Some(name),
                    "the column holds more than 4 GiB of text",
                ));
            }
        }
        self.columns.push(name.to_string());
        self.cells.push(cells);
        self.cells_changed();
        Ok(())
    }

    /// Whether a cell is empty (a metric not logged on that row).
    pub fn is_empty_cell(&self, row_index: usize, col: usize) -> bool {
        self.text(row_index, col).trim().is_empty()
    }

    /// Whether column `col` holds numbers: every cell a finite number (an
    /// event file's empty cells, a tag not logged at a step, aside), and at
    /// least one. What a column must be to be chosen as an input or a step
    /// when none is named.
    pub fn numeric_column(&self, col: usize) -> bool {
        let mut any = false;
        for r in 0..self.len() {
            if self.steps && self.is_empty_cell(r, col) {
                continue;
            }
            if self.number(r, col).is_err() {
                return false;
            }
            any = true;
        }
        any
    }

    /// Index of column `name` (an error naming the file when it has none).
    pub fn column_index(&self, name: &str) -> Result<usize> {
        self.columns.iter().position(|c| c == name).ok_or_else(|| {
            Error::input(
                &self.source,
                None,
                Some(name),
                format!(
                    "no such column (columns are: {}){}",
                    self.columns.join(", "),
                    self.delimiter_hint()
                ),
            )
        })
    }

    /// A header read as one column that holds another delimiter (`x;loss`,
    /// a tab in a .csv): say how slaw splits columns.
    fn delimiter_hint(&self) -> String {
        let [only] = self.columns.as_slice() else {
            return String::new();
        };
        match [';', '\t', '|'].into_iter().find(|d| only.contains(*d)) {
            Some(d) => format!(
                "; the header is one column holding '{}': columns are split at ',' \
                 (tabs in a .tsv file): convert the file, e.g. to commas",
                d.escape_default()
            ),
            None => String::new(),
        }
    }

    /// The index of an optional column (None when no name is given).
    pub fn optional_column(&self, name: Option<&str>) -> Result<Option<usize>> {
        name.map(|c| self.column_index(c)).transpose()
    }

    /// Index of the loss column `name`. For the commands' default name
    /// `loss`, in a file without that column: a training-loss column of a
    /// Hugging Face log (`train/loss`, `train_loss`), else the one column
    /// of a W&B export named "RUN - METRIC" whose metric ends in "loss"
    /// ("run-1 - train/loss"; its "__MIN" and "__MAX" companions are not
    /// losses); several such columns are an error listing them. Any other
    /// name must be a column ([`Table::column_index`]).
    pub fn loss_column(&self, name: &str) -> Result<usize> {
        let missing = match self.column_index(name) {
            Ok(i) => return Ok(i),
            Err(e) => e,
        };
        if name != DEFAULT_LOSS {
            return Err(missing);
        }
        if let Some(i) = self
            .columns
            .iter()
            .position(|c| crate::forecast::curve::LOSS_COLUMNS.contains(&c.as_str()))
        {
            return Ok(i);
        }
        match self.wandb_loss_columns().as_slice() {
            [] => Err(missing),
            [one] => Ok(*one),
            several => Err(Error::input(
                &self.source,
                None,
                Some(name),
                format!(
                    "no such column (columns are: {}); {} columns of a W&B export hold a loss ({}): name the one to read",
                    self.columns.join(", "),
                    several.len(),
                    several
                        .iter()
                        .map(|&i| format!("'{}'", self.columns[i]))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    /// What [`Table::loss_column`] chose for `name` when the file has no
    /// column of that name: "no 'loss' column: the loss is read from
    /// 'run-1 - train/loss'"; None when the column is there (or none was
    /// found).
    pub fn loss_column_note(&self, name: &str) -> Option<String> {
        if self.column_index(name).is_ok() {
            return None;
        }
        let i = self.loss_column(name).ok()?;
        let what = if crate::forecast::curve::LOSS_COLUMNS.contains(&self.columns[i].as_str()) {
            "a training log's loss"
        } else {
            "a W&B export's loss; its __MIN and __MAX companions are not read"
        };
        Some(format!(
            "{}: no '{name}' column: the loss is read from '{}' ({what})",
            self.source, self.columns[i]
        ))
    }

    /// The learning-rate column found without being named, beside the loss
    /// column `loss` (an index): the first of
    /// [`crate::forecast::curve::LR_COLUMNS`] present, else a column of a
    /// W&B export named "RUN - METRIC" whose metric's last part
    /// ('/'-separated) is one of them ("run-1 - train/learning_rate"; its
    /// "__MIN" and "__MAX" companions are not rates), as its loss column is
    /// found ([`Table::loss_column`]): the only one, or among several (a
    /// column per run) the one of the loss column's run. None otherwise.
    pub fn lr_column_found(&self, loss: usize) -> Option<usize> {
        use crate::forecast::curve::LR_COLUMNS;
        if let Some(i) = self
            .columns
            .iter()
            .position(|c| LR_COLUMNS.contains(&c.as_str()))
        {
            return Some(i);
        }
        let wandb: Vec<(usize, &str)> = self
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let (run, metric) = c.split_once(" - ")?;
                let last = metric.rsplit('/').next().unwrap_or(metric);
                LR_COLUMNS
                    .contains(&last.to_lowercase().as_str())
                    .then_some((i, run))
            })
            .collect();
        match wandb.as_slice() {
            [] => None,
            [(one, _)] => Some(*one),
            several => {
                let run = self.columns.get(loss)?.split_once(" - ")?.0;
                let mine: Vec<usize> = several
                    .iter()
                    .filter(|(_, r)| *r == run)
                    .map(|(i, _)| *i)
                    .collect();
                match mine.as_slice() {
                    [one] => Some(*one),
                    _ => None,
                }
            }
        }
    }

    /// What [`Table::lr_column_found`] chose beside the loss column
    /// `loss_col` when no rate column is named and the table has none of
    /// the plain names: "the learning rate is read from 'run-1 -
    /// train/learning_rate'"; None otherwise.
    pub fn lr_column_note(&self, lr_col: Option<&str>, loss_col: &str) -> Option<String> {
        use crate::forecast::curve::LR_COLUMNS;
        if lr_col.is_some() {
            return None;
        }
        let i = self.lr_column_found(self.loss_column(loss_col).ok()?)?;
        if LR_COLUMNS.contains(&self.columns[i].as_str()) {
            return None;
        }
        Some(format!(
            "{}: no 'lr' column: the learning rate is read from '{}' (a W&B export's rate)",
            self.source, self.columns[i]
        ))
    }

    /// The columns of a W&B export that hold a loss: "RUN - METRIC" with
    /// METRIC ending in "loss" (any case), not its "__MIN"/"__MAX"
    /// companions.
    fn wandb_loss_columns(&self) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.split_once(" - ")
                    .is_some_and(|(_, metric)| metric.to_lowercase().ends_with("loss"))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Parse one cell as a held-out flag (1/0, true/false, yes/no, y/n, any
    /// case), or say exactly which cell is wrong: an empty cell is an error,
    /// as in every column that is used (a blank is not "not held out").
    pub fn flag(&self, row_index: usize, col: usize) -> Result<bool> {
        let cell = self.text(row_index, col);
        let err = |what: String| self.cell_error(row_index, col, what);
        match cell.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "y" => Ok(true),
            "0" | "false" | "no" | "n" => Ok(false),
            "" => Err(err(
                "empty cell (a held-out flag: 1/0, true/false, yes/no)".to_string()
            )),
            other => Err(err(format!(
                "'{other}' is not a held-out flag (use 1/0, true/false, yes/no)"
            ))),
        }
    }

    /// Parse one cell as a finite number, or say exactly which cell is wrong.
    pub fn number(&self, row_index: usize, col: usize) -> Result<f64> {
        if let Some(&v) = self
            .parsed_column(col)
            .and_then(|p| p.get(row_index))
            .filter(|v| !v.is_nan())
        {
            return Ok(v);
        }
        let cell = self.text(row_index, col);
        if cell.is_empty() {
            return Err(self.cell_error(row_index, col, "empty cell"));
        }
        let v: f64 = cell.parse().map_err(|_| {
            let hint = if decimal_comma(cell).is_some() {
                format!(
                    ": a decimal comma? Write '.' decimals ({})",
                    cell.replace(',', ".")
                )
            } else {
                String::new()
            };
            self.cell_error(row_index, col, format!("'{cell}' is not a number{hint}"))
        })?;
        // A nonzero number too small for a double parses as 0: refuse it
        // rather than compute with a value the file does not say.
        let mantissa = cell.split(['e', 'E']).next().unwrap_or("");
        if v == 0.0 && mantissa.chars().any(|c| ('1'..='9').contains(&c)) {
            return Err(self.cell_error(
                row_index,
                col,
                format!("'{cell}' is too small for a double (it would read as 0)"),
            ));
        }
        if !v.is_finite() {
            return Err(self.cell_error(
                row_index,
                col,
                format!("'{cell}' is not a finite number"),
            ));
        }
        Ok(v)
    }

    /// The file line of a data row, for error messages.
    pub fn line(&self, row_index: usize) -> usize {
        self.row_numbers[row_index]
    }

    /// The text of a cell.
    pub fn text(&self, row_index: usize, col: usize) -> &str {
        self.cells[col].get(row_index)
    }

    /// The cells of a row, as text (for tests and small tables).
    pub fn row(&self, row_index: usize) -> Vec<&str> {
        (0..self.columns.len())
            .map(|c| self.text(row_index, c))
            .collect()
    }
}

/// The number of lines before the header that are comments (start with
/// `#`) or blank between them, and the text after them; (0, text) when
/// the first line is no comment.
fn leading_comments(text: &str) -> (usize, &str) {
    if !text.trim_start_matches([' ', '\t']).starts_with('#') {
        return (0, text);
    }
    let mut rest = text;
    let mut skipped = 0;
    loop {
        let line = rest.split('\n').next().unwrap_or("");
        let t = line.trim();
        if !(t.starts_with('#') || t.is_empty()) || line.len() == rest.len() {
            return (skipped, rest);
        }
        rest = &rest[line.len() + 1..];
        skipped += 1;
    }
}

/// The header line of delimited text (after leading `#` comments).
fn header_line(text: &str) -> &str {
    leading_comments(text).1.lines().next().unwrap_or("")
}

/// Whether delimited text is separated by semicolons: its header (after
/// leading comments) holds ';' and neither ',' nor a tab (a comma-separated
/// header of one column named with a ';' is the only file read otherwise
/// than before).
fn semicolons(text: &str) -> bool {
    let h = header_line(text);
    h.contains(';') && !h.contains(',') && !h.contains('\t')
}

/// Whether a cell is a number written with a decimal comma (`7,89`,
/// `-0,5`, `1,5e-3`): None when it is not; Some(true) when the comma cannot
/// be a thousands separator (not three digits after it, a leading `0`,
/// over three digits before it, or an exponent), Some(false) when it could
/// (`1,600`).
fn decimal_comma(cell: &str) -> Option<bool> {
    let body = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once(',')?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if frac.is_empty() || !digits(int) || !digits(frac) {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !digits(e) {
            return None;
        }
    }
    Some(
        exponent.is_some()
            || frac.len() != 3
            || int.is_empty()
            || int.starts_with('0')
            || int.len() > 3,
    )
}

/// The error of a file that is not UTF-8 at byte `at`: UTF-16 text (a
/// byte-order mark, or zero bytes between ASCII characters), text in
/// another encoding (no control character: Latin-1 or Windows-1252, as
/// older spreadsheets export), or binary data; each with the line, the
/// position in it and what to do.
fn not_utf8(source: &str, bytes: &[u8], at: usize) -> Error {
    let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
    let start = bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let byte = bytes[at];
    let head = &bytes[..bytes.len().min(4096)];
    let utf16 = bytes.starts_with(&[0xff, 0xfe])
        || bytes.starts_with(&[0xfe, 0xff])
        || head.chunks(2).filter(|p| p.contains(&0)).count() * 4 > head.len();
    let control = |b: &u8| *b < 0x20 && !matches!(*b, b'\t' | b'\n' | b'\r' | 0x0c);
    let message = if utf16 {
        "not UTF-8 but UTF-16 text (as Windows' \"Unicode text\" exports): re-encode it to \
         UTF-8, e.g. iconv -f utf-16 -t utf-8 FILE > NEW.csv"
            .to_string()
    } else if !bytes.iter().any(control) {
        let end = bytes[at..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(bytes.len(), |i| at + i);
        // The line as Latin-1 (every byte one character).
        let shown: String = bytes[start..end]
            .iter()
            .take(60)
            .map(|&b| b as char)
            .collect();
        format!(
            "the text is not UTF-8: byte 0x{byte:02X} at position {} of the line (byte {at} of \
             the file) is no UTF-8 character; the line reads as Latin-1 '{shown}': text in \
             another encoding (Latin-1 or Windows-1252, as older spreadsheets export)? \
             Re-encode the file to UTF-8, e.g. iconv -f latin1 -t utf-8 FILE > NEW.csv",
            at - start + 1
        )
    } else {
        format!(
            "not a text file: invalid UTF-8 at byte {at} (0x{byte:02X}, position {} of the \
             line), and the file holds control characters (binary data?): expected CSV, TSV, \
             JSON or a TensorBoard event file",
            at - start + 1
        )
    };
    Error::input(source, Some(line), None, message)
}

/// A cell of a record read from text already checked to be UTF-8: the
/// delimiters and quotes are ASCII, so a cell never splits a character.
fn utf8_cell(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Line numbers of byte offsets visited in increasing order, counting each
/// newline once (linear in the file, not in rows x file).
#[derive(Default)]
struct LineCounter {
    at: usize,
    newlines: usize,
}

impl LineCounter {
    /// The 1-based line of the first non-blank character at or after `byte`.
    fn line_of(&mut self, text: &str, byte: usize) -> usize {
        let bytes = text.as_bytes();
        let mut end = byte.min(bytes.len());
        while end < bytes.len() && (bytes[end] == b'\n' || bytes[end] == b'\r') {
            end += 1;
        }
        if end < self.at {
            self.at = 0;
            self.newlines = 0;
        }
        self.newlines += bytes[self.at..end].iter().filter(|&&b| b == b'\n').count();
        self.at = end;
        1 + self.newlines
    }
}

/// A JSON row that names a key twice (serde_json keeps the last value
/// silently), as a CSV header that names a column twice.
fn duplicate_key(source: &str, row: usize, key: &str) -> Error {
    Error::input(
        source,
        Some(row),
        Some(key),
        "the row names this key twice (give each key once)",
    )
}

/// The first key a JSON object names twice (run on text already parsed as
/// an object: other values are errors).
struct KeyTwice(Option<String>);

impl<'de> serde::Deserialize<'de> for KeyTwice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = KeyTwice;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<KeyTwice, A::Error> {
                let mut seen = std::collections::HashSet::new();
                let mut twice = None;
                while let Some(k) = map.next_key::<String>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    if twice.is_none() && !seen.insert(k.clone()) {
                        twice = Some(k);
                    }
                }
                Ok(KeyTwice(twice))
            }
        }
        d.deserialize_map(V)
    }
}

/// The first row (0-based) of a JSON array of objects, or of a
/// trainer_state.json's `log_history`, that names a key twice, and the key.
struct RowsDuplicate(Option<(usize, String)>);

impl<'de> serde::Deserialize<'de> for RowsDuplicate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RowsDuplicate;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON array of objects")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<RowsDuplicate, A::Error> {
                let mut first = None;
                let mut i = 0;
                while let Some(KeyTwice(k)) = seq.next_element::<KeyTwice>()? {
                    if let (None, Some(k)) = (&first, k) {
                        first = Some((i, k));
                    }
                    i += 1;
                }
                Ok(RowsDuplicate(first))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<RowsDuplicate, A::Error> {
                let mut found = None;
                while let Some(k) = map.next_key::<String>()? {
                    if k == "log_history" {
                        // serde_json reads the last of a repeated key.
                        found = map.next_value::<RowsDuplicate>()?.0;
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(RowsDuplicate(found))
            }
        }
        d.deserialize_any(V)
    }
}

/// Two columns with one name would make every look-up by name ambiguous.
fn check_unique(source: &str, columns: &[String]) -> Result<()> {
    for (i, c) in columns.iter().enumerate() {
        if let Some(j) = columns[..i].iter().position(|d| d == c) {
            return Err(Error::input(
                source,
                Some(1),
                Some(c),
                format!(
                    "the header names this column twice (columns {} and {})",
                    j + 1,
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    /// probe_tj 15: NaN and Infinity, as Python's json.dumps writes them,
    /// are said not to be JSON.
    /// probe_fz item 8: a JSON row that names a key twice is an error naming
    /// the row and the key (serde_json kept the last value silently), in JSON
    /// lines, a JSON array and a trainer_state.json's log_history.
    #[test]
    fn a_json_row_that_names_a_key_twice_is_an_error() {
        let e = Table::from_json_lines(
            "f.jsonl",
            "{\"x\": 1, \"loss\": 2}\n\n{\"x\": 2, \"loss\": 2.1, \"loss\": 7}\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("f.jsonl"), "{e}");
        assert!(e.contains("row 3"), "{e}");
        assert!(e.contains("'loss'") && e.contains("twice"), "{e}");
        let e = Table::from_json(
            "f.json",
            "[{\"x\": 1, \"loss\": 2}, {\"x\": 2, \"x\": 3, \"loss\": 2}]",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("f.json, record 2") && e.contains("'x'") && e.contains("twice"),
            "{e}"
        );
        let e = Table::from_json(
            "ts.json",
            "{\"a\": [1, {\"b\": 2, \"b\": 3}], \"log_history\": [{\"step\": 1, \"loss\": 2, \"loss\": 3}]}",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("record 1") && e.contains("'loss'"), "{e}");
        // Equal keys in a nested value or in different rows are not rows' keys twice.
        let t = Table::from_json(
            "ok.json",
            "{\"a\": {\"b\": 2, \"b\": 3}, \"log_history\": [{\"step\": 1}, {\"step\": 2}]}",
        )
        .unwrap();
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn a_json_array_names_its_records_and_json_lines_their_lines() {
        // One line, as json.dumps writes it: every object is on line 1,
        // so a row is named by its place in the array, "record N".
        let text = r#"[{"n": 1, "loss": 3}, {"n": 2, "loss": 2.5}, {"n": 4, "loss": null}]"#;
        let t = Table::from_json("a.json", text).unwrap();
        assert!(t.records);
        assert_eq!(t.row_numbers, [1, 2, 3]);
        let e = t.number(2, 1).unwrap_err().to_string();
        assert_eq!(e, "a.json, record 3, column 'loss': empty cell");
        // Kept through the tables made from it (logged rows, derived columns).
        let (logged, dropped) = t.logged_rows(&[0]).unwrap();
        assert_eq!(dropped, 0);
        let e = logged.number(2, 1).unwrap_err().to_string();
        assert!(e.starts_with("a.json, record 3,"), "{e}");
        let mut d = t.clone();
        let e = d.derive("z=1/(loss-3)").unwrap_err().to_string();
        assert!(e.starts_with("a.json, record 1, column 'z'"), "{e}");
        assert_eq!(t.row_noun(), "record");
        // An error built elsewhere from its row numbers is named alike.
        let e = t.name_rows(Error::input("a.json", Some(2), None, "bad"));
        assert_eq!(e.to_string(), "a.json, record 2: bad");
        // another file's row is left alone
        let e = t.name_rows(Error::input("b.csv", Some(2), None, "bad"));
        assert_eq!(e.to_string(), "b.csv, row 2: bad");
        // JSON lines: a row is its line in the file (blank lines counted).
        let t = Table::from_json_lines(
            "l.jsonl",
            "{\"n\": 1, \"loss\": 3}\n\n{\"n\": 2, \"loss\": null}\n",
        )
        .unwrap();
        assert!(!t.records);
        assert_eq!(t.row_noun(), "row");
        let e = t.number(1, 1).unwrap_err().to_string();
        assert_eq!(e, "l.jsonl, row 3, column 'loss': empty cell");
    }

    #[test]
    fn nan_literals_are_said_not_to_be_json() {
        let e = Table::from_json("f.json", "[{\"step\": 1, \"loss\": NaN}]")
            .unwrap_err()
            .to_string();
        assert!(e.contains("NaN is not a JSON value"), "{e}");
        let e = Table::from_json_lines(
            "f.jsonl",
            "{\"step\": 1, \"loss\": 2}\n{\"step\": 2, \"loss\": -Infinity}\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("row 2") && e.contains("Infinity is not a JSON value"),
            "{e}"
        );
        let e = Table::from_json("f.json", "[{\"step\": 1, \"loss\": nan}]")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("not a JSON value"), "{e}");
    }

    #[test]
    fn derived_columns_by_expression() {
        let mut t =
            Table::from_delimited("d.csv", "Model Size,C,x\n1e9,6e18,a\n2e9,1.2e19,b\n", b',')
                .unwrap();
        t.derive("D = C / (6 * `Model Size`)").unwrap();
        assert_eq!(t.columns.last().unwrap(), "D");
        assert_eq!(t.number(0, 3).unwrap(), 1e9);
        assert_eq!(t.number(1, 3).unwrap(), 1e9);
        let e = t.derive("E = x * 2").unwrap_err().to_string();
        assert!(e.contains("row 2") && e.contains("'x'"), "{e}");
        assert!(t
            .derive("D = C")
            .unwrap_err()
            .to_string()
            .contains("exists"));
        assert!(t.derive("F = nope + 1").is_err());
        let e = t.derive("G = C / (C - C)").unwrap_err().to_string();
        assert!(e.contains("'G'") && e.contains("finite"), "{e}");
    }

    #[test]
    fn json_numbers_read_bit_for_bit_as_the_same_text_in_csv() {
        // serde_json's default float parser can be 1 ULP off (serde-rs/json
        // #707): 0.9215686321258545 came back as ...544. The crate enables
        // `float_roundtrip`, so a JSON file and a CSV file holding the same
        // text give the same f64.
        let cells = [
            "0.9215686321258545",
            "2.666666666666667",
            "1.8333333333333335",
            "0.1",
            "1e-300",
            "123456789.12345679",
            "0.30000000000000004",
            "2.2250738585072014e-308",
        ];
        let csv: String = std::iter::once("v".to_string())
            .chain(cells.iter().map(|c| c.to_string()))
            .collect::<Vec<_>>()
            .join("\n");
        let json = format!(
            "[{}]",
            cells
                .iter()
                .map(|c| format!("{{\"v\": {c}}}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let c = Table::from_delimited("c.csv", &csv, b',').unwrap();
        let j = Table::from_json("c.json", &json).unwrap();
        let l = Table::from_json_lines(
            "c.jsonl",
            &cells
                .iter()
                .map(|c| format!("{{\"v\": {c}}}\n"))
                .collect::<String>(),
        )
        .unwrap();
        for (i, cell) in cells.iter().enumerate() {
            let want = cell.parse::<f64>().unwrap().to_bits();
            assert_eq!(c.number(i, 0).unwrap().to_bits(), want, "csv {cell}");
            assert_eq!(j.number(i, 0).unwrap().to_bits(), want, "json {cell}");
            assert_eq!(l.number(i, 0).unwrap().to_bits(), want, "jsonl {cell}");
        }
    }

    #[test]
    fn trainer_state_log_history_and_sparse_json_rows() {
        let text = r#"{"global_step": 20, "log_history": [
            {"loss": 3.5, "learning_rate": 0.001, "step": 10},
            {"eval_loss": 3.7, "step": 10},
            {"loss": 3.1, "learning_rate": 0.0009, "step": 20}
        ]}"#;
        let t = Table::from_json("ts.json", text).unwrap();
        // Keys in order of first appearance, each object's in its own order
        // (serde_json's preserve_order, as the CLI and the Python package).
        assert_eq!(t.columns, ["loss", "learning_rate", "step", "eval_loss"]);
        assert_eq!(t.len(), 3);
        assert!(t.is_empty_cell(1, 1) && !t.is_empty_cell(1, 3));
        assert_eq!(t.row_numbers, [1, 2, 3]);
        // JSON lines with different keys: the union, empty where missing.
        let t = Table::from_json_lines("l.jsonl", "{\"a\": 1}\n{\"b\": 2}\n").unwrap();
        assert_eq!(t.columns, ["a", "b"]);
        assert!(t.is_empty_cell(0, 1));
        let e = t.number(0, 1).unwrap_err().to_string();
        assert!(
            e.contains("row 1") && e.contains("'b'") && e.contains("empty"),
            "{e}"
        );
        let e = Table::from_json("x.json", "{\"a\": 1}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("log_history"), "{e}");
    }

    use super::*;

    #[test]
    fn rows_are_numbered_by_file_line_after_blank_lines_and_quoted_newlines() {
        let t = Table::from_delimited("d.csv", "x,y\n1,2\n\n\"a\nb\",3\n4,oops\n", b',').unwrap();
        assert_eq!(t.row_numbers, vec![2, 4, 6]);
        let err = t.number(2, 1).unwrap_err().to_string();
        assert!(err.contains("row 6, column 'y'"), "{err}");
        let err = Table::from_delimited("d.csv", "x,y\n1,2\n\n3\n", b',')
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 4"), "{err}");
    }

    #[test]
    fn duplicate_header_names_are_refused() {
        let err = Table::from_delimited("d.csv", "x,400,400\n1,2,3\n", b',')
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("'400'") && err.contains("columns 2 and 3"),
            "{err}"
        );
    }

    #[test]
    fn underflowing_numbers_are_refused_and_true_zeros_kept() {
        let t = Table::from_delimited("d.csv", "x\n1e-400\n0.000e5\n0\n", b',').unwrap();
        let err = t.number(0, 0).unwrap_err().to_string();
        assert!(err.contains("too small"), "{err}");
        assert_eq!(t.number(1, 0).unwrap(), 0.0);
        assert_eq!(t.number(2, 0).unwrap(), 0.0);
    }

    #[test]
    fn json_arrays_boms_and_binary_files() {
        let dir = std::env::temp_dir().join(format!("slaw-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a.json");
        std::fs::write(&a, "[{\"x\": 1, \"y\": 2}, {\"x\": 3, \"y\": 4}]").unwrap();
        let t = Table::read(&a).unwrap();
        assert_eq!(t.columns, vec!["x", "y"]);
        assert_eq!(t.len(), 2);
        let b = dir.join("b.jsonl");
        std::fs::write(&b, "\u{feff}{\"x\": 1}\n{\"x\": 2}\n").unwrap();
        assert_eq!(Table::read(&b).unwrap().columns, vec!["x"]);
        let c = dir.join("c.csv");
        std::fs::write(&c, "\u{feff}x,y\n1,2\n").unwrap();
        assert_eq!(Table::read(&c).unwrap().columns, vec!["x", "y"]);
        let d = dir.join("d.csv");
        std::fs::write(&d, b"x,y\n1,2\n\x01\xff\xfe,3\n").unwrap();
        let err = Table::read(&d).unwrap_err().to_string();
        assert!(
            err.contains("not a text file") && err.contains("row 3"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn fx46b_read(name: &str, bytes: &[u8]) -> Result<Table> {
        let dir = std::env::temp_dir().join(format!("slaw-fx46b-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = Table::read(&p);
        std::fs::remove_dir_all(&dir).unwrap();
        out
    }

    /// A semicolon-separated file with decimal commas reads as the same
    /// file with commas and points; a plain semicolon file reads too; a
    /// comma that could be a thousands separator, or a '.' beside decimal
    /// commas, is an error naming the cell.
    #[test]
    fn fx46b_semicolons_and_decimal_commas() {
        let t = fx46b_read("a.csv", b"x;loss\n1000;7,895\n2000;6,7\n4000;-0,5e-1\n").unwrap();
        assert_eq!(t.columns, vec!["x", "loss"]);
        assert_eq!(t.row(0), vec!["1000", "7.895"]);
        assert_eq!(t.number(1, 1).unwrap(), 6.7);
        assert_eq!(t.number(2, 1).unwrap(), -0.05);
        let t = fx46b_read("b", b"model;n;loss\nm 1;200;2.5\n").unwrap();
        assert_eq!(t.row(0), vec!["m 1", "200", "2.5"]);
        let err = fx46b_read("c.csv", b"x;loss\n1,600;2\n3,200;1\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 2, column 'x'") && err.contains("thousands separator"),
            "{err}"
        );
        let err = fx46b_read("d.csv", b"x;loss\n1600;2,5\n2.048;1,25\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 3, column 'x': '2.048'") && err.contains("'2,5', row 2"),
            "{err}"
        );
        // A comma file is read as before, and a decimal comma in it is said.
        let t = fx46b_read("e.csv", b"x,loss\n1,\"2,5\"\n").unwrap();
        let err = t.number(0, 1).unwrap_err().to_string();
        assert!(
            err.contains("a decimal comma? Write '.' decimals (2.5)"),
            "{err}"
        );
    }

    /// '#' lines before the header are skipped, rows keep their file line;
    /// numpy's commented header is said.
    #[test]
    fn fx46b_comment_lines_before_the_header() {
        let t = fx46b_read("a.csv", b"# my data\n#\n\n# more\nx,loss\n1,2\n\n3,4\n").unwrap();
        assert_eq!(t.columns, vec!["x", "loss"]);
        assert_eq!(t.row_numbers, vec![6, 8]);
        let t = fx46b_read("b", b"# run 3\nstep\tloss\n1\t2\n").unwrap();
        assert_eq!(t.columns, vec!["step", "loss"]);
        let err = fx46b_read("c.csv", b"# x,loss\n1,2\n3,4\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 2:") && err.contains("numpy's savetxt"),
            "{err}"
        );
        let t = fx46b_read("d.csv", b"# a;b\nx;loss\n1;2,5\n").unwrap();
        assert_eq!(t.row(0), vec!["1", "2.5"]);
        // A '#' after the header is a cell as before.
        let t = fx46b_read("e.csv", b"x,loss\n#1,2\n").unwrap();
        assert_eq!(t.row(0), vec!["#1", "2"]);
    }

    /// Latin-1 text and UTF-16 text are said to be text in another
    /// encoding, with the line and a re-encoding command.
    #[test]
    fn fx46b_text_that_is_not_utf8() {
        let err = fx46b_read("a.csv", b"model,loss\nM\xfcller,2\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 2:")
                && err.contains("byte 0xFC at position 2 of the line")
                && err.contains("'M\u{fc}ller,2'")
                && err.contains("iconv -f latin1 -t utf-8"),
            "{err}"
        );
        let mut utf16 = vec![0xff, 0xfe];
        for c in "x,loss\n1,2\n".encode_utf16() {
            utf16.extend(c.to_le_bytes());
        }
        let err = fx46b_read("b.csv", &utf16).unwrap_err().to_string();
        assert!(
            err.contains("UTF-16") && err.contains("iconv -f utf-16"),
            "{err}"
        );
    }

    #[test]
    fn csv_and_jsonl_give_same_cells() {
        let a = Table::from_delimited("a.csv", "x,y\n1,2\n3,4\n", b',').unwrap();
        let b =
            Table::from_json_lines("b.jsonl", "{\"x\":1,\"y\":2}\n{\"x\":3,\"y\":4}\n").unwrap();
        assert_eq!(a.columns, b.columns);
        assert_eq!(a.len(), b.len());
        for r in 0..a.len() {
            assert_eq!(a.row(r), b.row(r));
        }
    }

    #[test]
    fn bad_cell_is_located() {
        let t = Table::from_delimited("d.csv", "x,y\n1,2\n3,abc\n", b',').unwrap();
        let err = t.number(1, 1).unwrap_err().to_string();
        assert!(err.contains("d.csv, row 3, column 'y'"), "{err}");
    }

    /// The reader before cells were stored by column (csv's string records,
    /// trimmed by the csv crate, one `String` per cell): the oracle of
    /// `column_storage_reads_what_rows_of_strings_read`. An error is the
    /// line it names and a part of its message.
    #[allow(clippy::type_complexity)]
    fn rows_of_strings(
        text: &str,
        delimiter: u8,
    ) -> std::result::Result<(Vec<String>, Vec<Vec<String>>, Vec<usize>), (usize, String)> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let header = reader
            .headers()
            .map_err(|_| (1, "cannot read header".to_string()))?;
        let columns: Vec<String> = header.iter().map(str::to_string).collect();
        if columns.iter().all(|c| c.is_empty()) {
            return Err((1, "empty header".into()));
        }
        check_unique("p.csv", &columns).map_err(|e| (1, e.to_string()))?;
        let (mut rows, mut row_numbers) = (Vec::new(), Vec::new());
        let mut lines = LineCounter::default();
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(i + 2, |p| p.line() as usize);
                (line, "cannot read".to_string())
            })?;
            let row = record
                .position()
                .map_or(i + 2, |p| lines.line_of(text, p.byte() as usize));
            if record.iter().all(|c| c.is_empty()) {
                continue;
            }
            if record.len() != columns.len() {
                return Err((row, format!("has {} cells", record.len())));
            }
            rows.push(record.iter().map(str::to_string).collect());
            row_numbers.push(row);
        }
        Ok((columns, rows, row_numbers))
    }

    /// Delimited text with numbers of every shape, words, Unicode spaces,
    /// quotes (cells spanning lines), blank lines and CRLF.
    fn delimited() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let fixed = prop::sample::select(vec![
            "x",
            "loss",
            ",",
            ",",
            "\t",
            "\n",
            "\n",
            "\r\n",
            "\"",
            " ",
            "\u{a0}",
            "\u{3000}é",
            "1e-400",
            "1e400",
            "nan",
            "inf",
            "-0",
        ])
        .prop_map(str::to_string);
        let number = "[-+]?[0-9]{1,6}(\\.[0-9]{0,4})?([eE][-+]?[0-9]{1,3})?";
        let token = prop_oneof![3 => fixed, 2 => number, 1 => "[a-z ]{0,5}"];
        prop::collection::vec(token, 0..60).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, failure_persistence: None, ..Default::default() })]

        /// Every cell, row number, number and error of the column storage is
        /// what the rows of strings gave.
        #[test]
        fn column_storage_reads_what_rows_of_strings_read(text in delimited(), tab in proptest::bool::ANY) {
            let delimiter = if tab { b'\t' } else { b',' };
            let new = Table::from_delimited("p.csv", &text, delimiter);
            match rows_of_strings(&text, delimiter) {
                Err((line, part)) => {
                    let e = new.unwrap_err().to_string();
                    proptest::prop_assert!(e.contains(&format!("p.csv, row {line}")) && e.contains(&part), "{e} (expected row {line}, {part})");
                }
                Ok((columns, rows, row_numbers)) => {
                    let t = new.unwrap();
                    proptest::prop_assert_eq!(&t.columns, &columns);
                    proptest::prop_assert_eq!(&t.row_numbers, &row_numbers);
                    proptest::prop_assert_eq!(t.len(), rows.len());
                    for (r, row) in rows.iter().enumerate() {
                        proptest::prop_assert_eq!(t.row(r), row.iter().map(String::as_str).collect::<Vec<_>>());
                        for (c, cell) in row.iter().enumerate() {
                            proptest::prop_assert_eq!(t.is_empty_cell(r, c), cell.trim().is_empty());
                            // A number parses to the same double; a bad cell
                            // names the file, the row and the column.
                            match (t.number(r, c), cell.parse::<f64>()) {
                                (Ok(v), Ok(w)) => proptest::prop_assert_eq!(v.to_bits(), w.to_bits()),
                                (Ok(v), Err(_)) => proptest::prop_assert!(false, "{cell:?} read as {v}"),
                                (Err(e), _) => {
                                    let e = e.to_string();
                                    let at = format!("p.csv, row {}, column '{}'", row_numbers[r], columns[c]);
                                    proptest::prop_assert!(e.contains(&at), "{e} (expected {at})");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn ragged_row_is_located() {
        let err = Table::from_delimited("d.csv", "x,y\n1,2\n3\n", b',')
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 3"), "{err}");
    }
}
