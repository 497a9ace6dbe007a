//! slaw's presentation layer, kept out of the engine crate: text reports
//! (`report`), SVG/PNG/PDF figures (`plot`), the benchmarks on the public data
//! (`bench`), the built-in demo (`demo`) and self-contained HTML pages of
//! a command's results (`html`). Everything here reads the
//! library's result structs; nothing here fits.

pub mod bench;
pub mod demo;
pub mod examples;
pub mod html;
pub mod plot;
pub mod report;

/// A path's extension, lower case ("" without one): how the output
/// formats (.svg, .png, .pdf, .html) are recognized.
/// Why `path` cannot be written to, checked before any work: its folder
/// does not exist (or is not a folder), or the path is a folder itself.
pub(crate) fn unwritable(path: &std::path::Path) -> Option<String> {
    if path.is_dir() {
        return Some(format!("{}: is a directory", path.display()));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty())?;
    (!parent.is_dir()).then(|| {
        format!(
            "{}: the folder {} does not exist",
            path.display(),
            parent.display()
        )
    })
}

pub(crate) fn extension(path: &std::path::Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}
