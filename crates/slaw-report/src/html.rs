//! `--report FILE.html`: one self-contained page (no script, no network)
//! with a command's figures, its text report, its result tables, the
//! warnings it raised and the provenance of the run (command line, slaw
//! version, the SHA-256 of every input file).
//!
//! The tables are built from the command's JSON result: every array of
//! objects in it becomes a table of the objects' scalar fields, so each
//! command's page shows the same numbers as its `--json`.

use serde_json::Value;
use slaw::{Error, Result};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Rows shown per table before the rest is summarized in one line.
const MAX_ROWS: usize = 200;

/// A file's SHA-256 (hex) and size, or why it has none.
pub type FileHash = std::result::Result<(String, u64), String>;

/// Where a report came from.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The command line, as typed (arguments quoted where needed).
    pub command: String,
    /// slaw's version.
    pub version: String,
    /// Each input file with its SHA-256 and size, or the reason it could
    /// not be read (standard input, a folder).
    pub inputs: Vec<(PathBuf, FileHash)>,
}

impl Provenance {
    /// The provenance of this process: its arguments and the given inputs.
    pub fn of_process(inputs: &[PathBuf]) -> Provenance {
        let command = std::env::args()
            .map(|a| shell_quote(&a))
            .collect::<Vec<_>>();
        Provenance {
            command: command.join(" "),
            version: env!("CARGO_PKG_VERSION").to_string(),
            inputs: inputs.iter().map(|p| (p.clone(), file_hash(p))).collect(),
        }
    }
}

fn shell_quote(a: &str) -> String {
    let plain = !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', r"'\''"))
    }
}

/// SHA-256 (hex) and size of a file; standard input's as the process read
/// it ([`slaw::table::stdin_digest`]; none when it was not read); folders
/// have none.
pub fn file_hash(p: &Path) -> FileHash {
    if p.as_os_str() == "-" {
        return slaw::table::stdin_digest().ok_or_else(|| "standard input, not read".into());
    }
    if p.is_dir() {
        return Err("a folder".into());
    }
    let bytes = std::fs::read(p).map_err(|e| e.to_string())?;
    Ok((slaw::table::sha256_hex(&bytes), bytes.len() as u64))
}

/// One page: a title, the figures (SVG text), the text report, the JSON
/// result, the warnings.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Shown as the page title and the heading.
    pub title: String,
    /// (caption, SVG text) of each figure.
    pub figures: Vec<(String, String)>,
    /// The command's text report, shown as printed.
    pub text: String,
    /// The command's JSON result (tables are built from it).
    pub json: Option<Value>,
    /// Warnings, shown first.
    pub warnings: Vec<String>,
}

impl Page {
    /// A page titled `title`.
    pub fn new(title: impl Into<String>) -> Page {
        Page {
            title: title.into(),
            ..Page::default()
        }
    }

    /// Adds a figure drawn from `fig`.
    pub fn figure(&mut self, caption: impl Into<String>, fig: &crate::plot::Figure) -> Result<()> {
        self.figures
            .push((caption.into(), crate::plot::to_svg(fig)?));
        Ok(())
    }

    /// The page's HTML.
    pub fn render(&self, prov: &Provenance) -> String {
        let mut warnings = self.warnings.clone();
        warnings.extend(
            self.text
                .lines()
                .map(str::trim)
                .filter(|l| l.to_ascii_lowercase().starts_with("warning"))
                .map(str::to_string),
        );
        if let Some(j) = &self.json {
            collect_warnings(j, &mut warnings);
        }
        // The text report prefixes its warnings ("warning: ..."), the JSON
        // does not: one entry per warning, without the prefix.
        for w in &mut warnings {
            let lower = w.to_ascii_lowercase();
            if let Some(rest) = lower.strip_prefix("warning:") {
                *w = w[w.len() - rest.len()..].trim_start().to_string();
            }
        }
        let mut seen = std::collections::HashSet::new();
        warnings.retain(|w| seen.insert(w.clone()));

        let mut h = String::new();
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{t}</h1>\n",
            t = esc(&self.title)
        );
        if !warnings.is_empty() {
            h.push_str("<section class=\"warnings\"><h2>Warnings</h2><ul>\n");
            for w in &warnings {
                let _ = writeln!(h, "<li>{}</li>", esc(w));
            }
            h.push_str("</ul></section>\n");
        }
        for (caption, svg) in &self.figures {
            let _ = writeln!(
                h,
                "<figure>{}<figcaption>{}</figcaption></figure>",
                strip_xml_decl(svg),
                esc(caption)
            );
        }
        if !self.text.is_empty() {
            let _ = writeln!(
                h,
                "<section><h2>Report</h2><pre>{}</pre></section>",
                esc(&self.text)
            );
        }
        if let Some(j) = &self.json {
            let mut tables = Vec::new();
            collect_tables("result", j, &mut tables);
            if !tables.is_empty() {
                h.push_str("<section><h2>Tables</h2>\n");
                for (name, rows) in &tables {
                    table_html(&mut h, name, rows);
                }
                h.push_str("</section>\n");
            }
        }
        provenance_html(&mut h, prov);
        h.push_str("</body>\n</html>\n");
        h
    }

    /// Writes the page to `path`.
    pub fn write(&self, path: &Path, prov: &Provenance) -> Result<()> {
        std::fs::write(path, self.render(prov)).map_err(|e| Error::output(path.display(), e))
    }
}

/// Whether `path` names an HTML file (checked before any work is done).
pub fn check_path(path: &Path) -> Result<()> {
    let ext = crate::extension(path);
    if ext == "html" || ext == "htm" {
        match crate::unwritable(path) {
            Some(why) => Err(Error::setting(slaw::error::Setting::ReportPath, why)),
            None => Ok(()),
        }
    } else {
        Err(Error::setting(
            slaw::error::Setting::ReportPath,
            format!("{}: reports are written as .html", path.display()),
        ))
    }
}

/// The page's style. In print, a `<pre>` (the text report, as wide as its
/// longest line) wraps its lines instead of being cut at the page's edge
/// (tables keep their cells whole: a number broken across lines misreads),
/// and figures and table rows are not split across pages.
const STYLE: &str =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;\
max-width:1100px;padding:0 1em;color:#222}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;\
border-bottom:1px solid #ddd}figure{margin:1em 0}figure svg{max-width:100%;height:auto}\
figcaption{color:#555;font-size:.9em}pre{background:#f7f7f7;padding:.8em;overflow-x:auto;\
font-size:.85em}table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1.5em}\
td,th{border:1px solid #ddd;padding:.2em .5em;text-align:right}th{background:#f0f0f0}\
td.s{text-align:left}.warnings{background:#fff6e0;border:1px solid #e0b040;padding:0 1em}\
caption{text-align:left;font-weight:600;padding:.3em 0}\
@media print{body{max-width:none;margin:0;padding:0}pre{white-space:pre-wrap;\
overflow-wrap:anywhere;overflow:visible;font-size:.7em}table{font-size:.7em}\
figure,tr{break-inside:avoid}}";

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

fn strip_xml_decl(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

fn collect_warnings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "warnings" || k == "warning" {
                    match x {
                        Value::String(s) => out.push(s.clone()),
                        Value::Array(a) => {
                            out.extend(a.iter().filter_map(|w| w.as_str().map(str::to_string)))
                        }
                        _ => {}
                    }
                }
                collect_warnings(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_warnings(x, out)),
        _ => {}
    }
}

/// Every array of objects in `v` (depth first), named by its path.
fn collect_tables<'a>(path: &str, v: &'a Value, out: &mut Vec<(String, &'a [Value])>) {
    match v {
        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_object) => {
            out.push((path.to_string(), a));
            // Nested tables of the first rows only would repeat; descend into
            // each row's arrays so per-row details still show.
            for (i, row) in a.iter().enumerate().take(MAX_ROWS) {
                if let Value::Object(m) = row {
                    for (k, x) in m {
                        if matches!(x, Value::Array(_) | Value::Object(_)) {
                            collect_tables(&format!("{path}[{i}].{k}"), x, out);
                        }
                    }
                }
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                collect_tables(&format!("{path}.{k}"), x, out);
            }
        }
        _ => {}
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if n.is_f64() => slaw::numbers::num(f),
            _ => n.to_string(),
        }),
        Value::String(s) => Some(s.clone()),
        // A short array of numbers (an interval, a pair) fits in a cell.
        Value::Array(a) if a.len() <= 4 && a.iter().all(Value::is_number) => Some(format!(
            "[{}]",
            a.iter().filter_map(scalar).collect::<Vec<_>>().join(", ")
        )),
        // An interval {"lo": .., "hi": ..} as [lo, hi].
        Value::Object(m)
            if m.len() == 2
                && m.get("lo").is_some_and(Value::is_number)
                && m.get("hi").is_some_and(Value::is_number) =>
        {
            Some(format!(
                "[{}, {}]",
                scalar(&m["lo"]).unwrap_or_default(),
                scalar(&m["hi"]).unwrap_or_default()
            ))
        }
        // So does a flat object of numbers (parameters).
        Value::Object(m) if m.len() <= 6 && m.values().all(Value::is_number) => Some(format!(
            "{{{}}}",
            m.iter()
                .map(|(k, x)| format!("{k}: {}", scalar(x).unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => None,
    }
}

/// Fields of a nested object shown as columns `parent.field` (a ranked
/// candidate's estimate: its prediction and interval), when it has at most
/// this many fields that fit in a cell.
const MAX_NESTED_COLUMNS: usize = 8;

/// A row's cells: its fields that fit in a cell, and one level down, those
/// of a nested object with few of them (named `parent.field`).
fn cells(row: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    let Value::Object(m) = row else { return out };
    for (k, x) in m {
        if scalar(x).is_some() {
            out.push((k.clone(), x));
        } else if let Value::Object(inner) = x {
            let fit: Vec<(&String, &Value)> =
                inner.iter().filter(|(_, y)| scalar(y).is_some()).collect();
            if !fit.is_empty() && fit.len() <= MAX_NESTED_COLUMNS {
                out.extend(fit.into_iter().map(|(j, y)| (format!("{k}.{j}"), y)));
            }
        }
    }
    out
}

/// A cell's text: seconds since the Unix epoch in a time column
/// (`started`, `finished`, `*_at`) as a UTC date and time.
fn cell_text(col: &str, v: &Value) -> String {
    let leaf = col.rsplit('.').next().unwrap_or(col);
    let is_time =
        matches!(leaf, "started" | "finished" | "ended" | "updated") || leaf.ends_with("_at");
    match v.as_f64() {
        Some(t) if is_time && t > 0.0 && t < 1e11 => utc(t),
        _ => scalar(v).unwrap_or_default(),
    }
}

/// Seconds since the Unix epoch as "YYYY-MM-DD HH:MM:SS UTC" (the civil
/// calendar from the day count, Howard Hinnant's algorithm).
fn utc(t: f64) -> String {
    let secs = t.floor() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn table_html(h: &mut String, name: &str, rows: &[Value]) {
    let mut cols: Vec<String> = Vec::new();
    for r in rows {
        for (k, _) in cells(r) {
            if !cols.contains(&k) {
                cols.push(k);
            }
        }
    }
    if cols.is_empty() {
        return;
    }
    // Identifying columns first, the rest alphabetically (as in the JSON).
    const FIRST: [&str; 9] = [
        "rank", "id", "model", "name", "curve", "run", "group", "law", "method",
    ];
    cols.sort_by_key(|c| FIRST.iter().position(|f| f == c).unwrap_or(FIRST.len()));
    let _ = write!(h, "<table><caption>{}</caption><tr>", esc(name));
    for c in &cols {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr>\n");
    for r in rows.iter().take(MAX_ROWS) {
        h.push_str("<tr>");
        let row = cells(r);
        for c in &cols {
            let v = row
                .iter()
                .find(|(k, _)| k == c)
                .map_or(&Value::Null, |(_, v)| *v);
            let class = if v.is_string() { " class=\"s\"" } else { "" };
            let _ = write!(h, "<td{class}>{}</td>", esc(&cell_text(c, v)));
        }
        h.push_str("</tr>\n");
    }
    if rows.len() > MAX_ROWS {
        let _ = writeln!(
            h,
            "<tr><td class=\"s\" colspan=\"{}\">… {} more rows (see --json)</td></tr>",
            cols.len(),
            rows.len() - MAX_ROWS
        );
    }
    h.push_str("</table>\n");
}

fn provenance_html(h: &mut String, p: &Provenance) {
    h.push_str("<section><h2>Provenance</h2><table>\n");
    let _ = writeln!(
        h,
        "<tr><th>command</th><td class=\"s\"><code>{}</code></td></tr>",
        esc(&p.command)
    );
    let _ = writeln!(
        h,
        "<tr><th>slaw</th><td class=\"s\">{}</td></tr>",
        esc(&p.version)
    );
    for (path, hash) in &p.inputs {
        let v = match hash {
            Ok((hex, size)) => format!("SHA-256 {hex} ({size} bytes)"),
            Err(why) => format!("not hashed: {why}"),
        };
        let _ = writeln!(
            h,
            "<tr><th>input</th><td class=\"s\">{}<br><code>{}</code></td></tr>",
            esc(&path.display().to_string()),
            esc(&v)
        );
    }
    h.push_str("</table></section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::{Figure, Series, SeriesKind};

    fn prov() -> Provenance {
        Provenance {
            command: "slaw select a.csv".into(),
            version: "0.1.0".into(),
            inputs: vec![("a.csv".into(), Ok(("ab12".into(), 10)))],
        }
    }

    #[test]
    fn a_page_holds_the_figure_the_tables_the_warnings_and_the_provenance() {
        let mut page = Page::new("slaw select <demo>");
        let fig = Figure {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![Series {
                label: "s".into(),
                points: vec![(1.0, 2.0), (10.0, 3.0)],
                kind: SeriesKind::Line,
                color: 0,
            }],
            bands: vec![],
            vlines: vec![],
            zoom: None,
        };
        page.figure("the fit", &fig).unwrap();
        page.text = "ranking\nwarning: B at its bound\n".into();
        page.json = Some(serde_json::json!({
            "ranking": [{"model": "a<b", "loss": 1.25, "interval": [1.0, 1.5]},
                        {"model": "c", "loss": 2.0, "interval": [1.8, 2.2]}],
            "warnings": ["few points", "B at its bound"]
        }));
        let h = page.render(&prov());
        assert!(h.starts_with("<!DOCTYPE html>"));
        assert_eq!(h.matches("<svg").count(), 1);
        assert!(!h.contains("<?xml"));
        assert!(h.contains("<th>model</th>") && h.contains("a&lt;b") && h.contains("[1, 1.5]"));
        assert!(h.find("<th>model</th>").unwrap() < h.find("<th>interval</th>").unwrap());
        assert!(h.contains("<li>B at its bound</li>") && h.contains("<li>few points</li>"));
        assert_eq!(
            h.matches("B at its bound").count(),
            2,
            "once in the list, once in the report"
        );
        assert!(h.contains("SHA-256 ab12 (10 bytes)"));
        assert!(!h.contains("<script") && !h.contains("src=") && !h.contains("href="));
    }

    #[test]
    fn nested_estimates_are_columns_and_times_are_dates() {
        let mut page = Page::new("slaw report plan.toml");
        page.json = Some(serde_json::json!({
            "ranking": [
                {"rank": 1, "id": "a", "chosen": true,
                 "estimate": {"predicted_loss": 1.25, "interval": {"lo": 1.0, "hi": 1.5},
                              "detail": {"k": [1, 2, 3, 4, 5, 6]}}},
                {"rank": null, "id": "b", "chosen": false, "error": "too few points"}
            ],
            "runs": [{"id": "a", "started": 1796256000.0}]
        }));
        let h = page.render(&prov());
        assert!(h.contains("<th>estimate.predicted_loss</th>"), "{h}");
        assert!(h.contains("<th>estimate.interval</th>") && h.contains("[1, 1.5]"));
        // the unranked row has empty estimate cells, its error shown
        assert!(h.contains("too few points"));
        assert!(h.contains("2026-12-03 00:00:00 UTC"), "{h}");
        assert!(!h.contains("1.79631e9"));
    }

    #[test]
    fn utc_dates_from_epoch_seconds() {
        assert_eq!(utc(0.0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400.0 + 3661.5), "2000-02-29 01:01:01 UTC");
    }

    #[test]
    fn the_hash_is_sha256_of_the_file() {
        let d = std::env::temp_dir().join(format!("slaw-html-{}", std::process::id()));
        std::fs::write(&d, b"abc").unwrap();
        let (hex, n) = file_hash(&d).unwrap();
        std::fs::remove_file(&d).ok();
        assert_eq!(n, 3);
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(file_hash(Path::new("-")).is_err());
    }

    #[test]
    fn only_html_paths_are_accepted() {
        assert!(check_path(Path::new("r.html")).is_ok());
        assert!(check_path(Path::new("r.pdf")).is_err());
    }
}
