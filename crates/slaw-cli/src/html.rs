//! `--report FILE.html`: a command's page, written through slaw-report's
//! `html` module (figures, the text report, the JSON result as tables,
//! warnings, provenance).

use anyhow::Result;
use serde::Serialize;
use slaw_report::html::{Page, Provenance};
use slaw_report::plot::Figure;
use std::path::{Path, PathBuf};

/// A `--report` path: .html, checked before any work is done.
pub fn report_path(s: &str) -> std::result::Result<PathBuf, String> {
    let p = PathBuf::from(s);
    slaw_report::html::check_path(&p).map_err(|e| e.to_string())?;
    Ok(p)
}

/// Writes the page of one command's result to `path`.
pub fn write<T: Serialize + ?Sized>(
    path: &Path,
    title: &str,
    text: &str,
    result: &T,
    figures: &[(String, Figure)],
    inputs: &[PathBuf],
) -> Result<()> {
    let mut page = Page::new(title);
    page.text = text.to_string();
    page.json = Some(serde_json::to_value(result)?);
    for (caption, fig) in figures {
        page.figure(caption.clone(), fig)?;
    }
    page.write(path, &Provenance::of_process(inputs))?;
    eprintln!("report written to {}", path.display());
    Ok(())
}
