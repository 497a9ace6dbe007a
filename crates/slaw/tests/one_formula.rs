//! The grep-able rules of ARCHITECTURE.md ("One formula per law", "No index
//! passed as a float"), checked on the library's source: outside the files
//! that define laws, no line (tests excepted) writes a law's formula, and no
//! law reads an input as an index.

use std::fs;
use std::path::{Path, PathBuf};

/// Where laws are defined: `law/` only (the catalog, the loss-curve laws
/// of `law/curves.rs`, the temporal law's trajectory forms of
/// `law/trajectory.rs`, user formulas, the layouts built on them).
const LAW_FILES: [&str; 1] = ["law/"];

/// Formula shapes of the catalog's laws: a power of a fitted exponent, the
/// reciprocal law's denominator (in x, in the step, at a token position),
/// the joint / Chinchilla terms in log space; of the loss-curve laws: a
/// power of the step or of the forward area, the multi-power law's drop
/// term, Tissue's annealing term, the logarithmic law; of the trajectory
/// forms: the hyperbolic denominator.
const FORMULA: [&str; 18] = [
    ".powf(law.alpha",
    ".powf(law.beta",
    ".powf(-alpha",
    " / (1.0 + a[1] *",
    "alpha * x.ln()",
    "beta * d.ln()",
    "alpha * lx",
    "beta * ld",
    " / (1.0 + a1 *",
    " / (1.0 + b *",
    " / (1.0 + c2 *",
    "t.powf(-",
    "s1.powf(-",
    "alpha * s1.ln()",
    " + 1.0).powf(-beta",
    "(1.0 - pw)",
    "c * s2",
    "b * t.ln()",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            && p.file_name().is_some_and(|n| n != "tests.rs")
        {
            // A module's unit tests in their own file (`#[cfg(test)] mod
            // tests;`) are tests, as those after `#[cfg(test)]` below.
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
