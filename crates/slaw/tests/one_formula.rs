//! The grep-able rules of ARCHITECTURE.md ("One formula per law", "No index
//! passed as a float"), checked on the library's source: outside the files
//! that define laws, no line (tests excepted) writes a law's formula, and no
//! law reads an input as an index.

use std::fs;
use std::path::{Path, PathBuf};

/// Where laws are defined: the catalog, user formulas, the layouts built on
/// them, and (debt, see ARCHITECTURE.md) the loss-curve laws of `forecast/`.
const LAW_FILES: [&str; 4] = [
    "law/",
    "forecast/laws.rs",
    "forecast/temporal.rs",
    "forecast/trajectory.rs",
];

/// Formula shapes of the catalog's laws: a power of a fitted exponent, the
/// reciprocal law's denominator, the joint / Chinchilla terms in log space.
const FORMULA: [&str; 8] = [
    ".powf(law.alpha",
    ".powf(law.beta",
    ".powf(-alpha",
    " / (1.0 + a[1] *",
    "alpha * x.ln()",
    "beta * d.ln()",
    "alpha * lx",
    "beta * ld",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file's lines before its unit tests.
fn code(p: &Path) -> Vec<(usize, String)> {
    fs::read_to_string(p)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with("#[cfg(test)]"))
        .enumerate()
        .map(|(i, l)| (i + 1, l.to_string()))
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .collect()
}

#[test]
fn no_law_formula_outside_the_law_files_and_no_index_as_a_float() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 20, "read the library's sources");
    let mut bad = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let law_file = LAW_FILES.iter().any(|l| rel.starts_with(l));
        for (n, line) in code(f) {
            // An input read back as an index: x[3] as usize,
            // (x[2].max(0.0) as usize).
            let index = line.contains("as usize")
                && [" x[", "(x[", " xi[", "(xi[", "&x["]
                    .iter()
                    .any(|p| line.contains(p));
            let formula = !law_file && FORMULA.iter().any(|p| line.contains(p));
            if index || formula {
                bad.push(format!("{rel}:{n}: {}", line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "law formulas outside the law files or inputs read as indices (evaluate through the \
         law: Fit::predict, Law::predict(_at); pass indices as Observations::context):\n{}",
        bad.join("\n")
    );
}
