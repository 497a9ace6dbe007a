//! The library and the runner name concepts, not command-line flags: no
//! string literal in crates/slaw/src or crates/slaw-run/src (outside test
//! modules, the runner's text report and Slurm's arguments) contains a
//! `--flag`. The CLI maps the library's errors to its flags (see
//! crates/slaw-cli/src/output.rs).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            && p.file_name().is_some_and(|n| n != "tests.rs")
        {
            // A module's tests in their own file (`#[cfg(test)] mod tests;`).
            out.push(p);
        }
    }
}

/// The string literals of Rust source outside its `#[cfg(test)]` items
/// (a test module, wherever it stands in the file, up to its closing
/// brace; an item ending in `;`), with the line each starts on; comments
/// and char literals are skipped.
fn string_literals(src: &str) -> Vec<(usize, String)> {
    let code = src;
    let b = code.as_bytes();
    let (mut i, mut line) = (0, 1);
    let mut out = Vec::new();
    // Brace depth, and the test item being skipped: the depth it stands at
    // and whether its body was entered.
    let mut depth = 0usize;
    let mut skip: Option<(usize, bool)> = None;
    while i < b.len() {
        match b[i] {
            b'#' if skip.is_none() && code[i..].starts_with("#[cfg(test)]") => {
                skip = Some((depth, false));
                i += "#[cfg(test)]".len();
            }
            b'{' => {
                if let Some((d, _)) = skip {
                    if depth == d {
                        skip = Some((d, true));
                    }
                }
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                if skip == Some((depth, true)) {
                    skip = None;
                }
                i += 1;
            }
            b';' => {
                if let Some((d, false)) = skip {
                    if depth == d {
                        skip = None;
                    }
                }
                i += 1;
            }
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'\'' => {
                // A char literal ('"', '\\'') or a lifetime ('a).
                if b.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                } else if b.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            b'r' if (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let end = code[j + 1..].find(&close).map_or(b.len(), |k| j + 1 + k);
                let s = &code[j + 1..end];
                if skip.is_none() {
                    out.push((line, s.to_string()));
                }
                line += s.matches('\n').count();
                i = end + close.len();
            }
            b'"' => {
                let start = line;
                let mut s = String::new();
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        s.push(b[i] as char);
                        i += 1;
                    }
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    s.push(b[i] as char);
                    i += 1;
                }
                i += 1;
                if skip.is_none() {
                    out.push((start, s));
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// A `--name` in text: two dashes, then a lowercase letter, at the start or
/// after a non-word character.
fn names_a_flag(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(2)).any(|k| {
        b[k] == b'-'
            && b[k + 1] == b'-'
            && b[k + 2].is_ascii_lowercase()
            && (k == 0 || !(b[k - 1].is_ascii_alphanumeric() || b[k - 1] == b'-'))
    })
}

#[test]
fn the_scanner_finds_flags_and_skips_comments() {
    let src =
        "// --comment\nfn f() { let _ = format!(\"use --x-col\"); let c = '\"'; g(\"a--b\"); }\n\
               let r = r#\"--raw\"#;\n#[cfg(test)]\nmod tests { fn t() { \"--test\"; } }\n\
               fn h() { g(\"--after\"); }\n#[cfg(test)]\nmod more;\nconst K: &str = \"--k\";";
    let lits = string_literals(src);
    let flagged: Vec<_> = lits.iter().filter(|(_, s)| names_a_flag(s)).collect();
    // The test module is skipped, not what follows it.
    assert_eq!(flagged.len(), 4, "{lits:?}");
    assert_eq!(flagged[0], &(2, "use --x-col".to_string()));
    assert_eq!(flagged[1], &(3, "--raw".to_string()));
    assert_eq!(flagged[2], &(6, "--after".to_string()));
    assert_eq!(flagged[3], &(9, "--k".to_string()));
}

#[test]
fn library_and_runner_name_no_cli_flag() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&root.join("slaw/src"), &mut files);
    rust_files(&root.join("slaw-run/src"), &mut files);
    assert!(files.len() > 20, "found only {} source files", files.len());
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        // The runner's text report is presentation for the command line
        // (it may point at `--verbose`); the Slurm backend passes flags to
        // sbatch and scontrol.
        if rel.ends_with("slaw-run/src/report.rs") || rel.ends_with("slurm.rs") {
            continue;
        }
        let src = std::fs::read_to_string(f).unwrap();
        for (line, s) in string_literals(&src) {
            if names_a_flag(&s) {
                bad.push(format!("{rel}:{line}: \"{s}\""));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "library strings that name CLI flags (name the concept; the CLI maps it):\n{}",
        bad.join("\n")
    );
}
