//! Points that break their curve's trend (a bad evaluation, a typo) are
//! named, row by row, by `fit` and `compare` (a new user's probe: two
//! evaluations 25% high in 30 points moved compare's pick by 29%, and no
//! command named them). A clean curve gets no such warning. Every input is
//! generated here.

mod common;

use common::{json_of, run, slaw, warnings, write};
use tempfile::TempDir;

/// 30 log-spaced points (1e6 ... 1e9 images) of an error rate
/// 0.05 + 8 x^-0.2 with a deterministic +-0.5% wiggle; the points at
/// `bad` (0-based) multiplied by 1.25.
fn curve(bad: &[usize]) -> String {
    let mut s = String::from("images,error\n");
    for i in 0..30usize {
        let x = 1e6 * 1000f64.powf(i as f64 / 29.0);
        let u = ((i as u64 * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
        let mut y = (0.05 + 8.0 * x.powf(-0.2)) * (1.0 + 0.01 * u);
        if bad.contains(&i) {
            y *= 1.25;
        }
        s += &format!("{x:.6e},{y:.6}\n");
    }
    s
}

fn breaks(ws: &[String]) -> Vec<&String> {
    ws.iter()
        .filter(|w| w.contains("the line through its neighbouring points"))
        .collect()
}

#[test]
fn compare_names_the_rows_that_break_the_trend() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "bad.csv", &curve(&[10, 20]));
    let out = slaw()
        .current_dir(dir.path())
        .args(["compare", &f, "--y", "error", "--predict", "1e10", "--json"])
        .output()
        .unwrap();
    let ws = warnings(&json_of(&out));
    let b = breaks(&ws);
    assert_eq!(b.len(), 2, "{ws:#?}");
    // data rows 10 and 20 (0-based) are the file's lines 12 and 22
    assert!(
        b[0].contains("row 12") && b[0].contains("25% above"),
        "{}",
        b[0]
    );
    assert!(
        b[1].contains("row 22") && b[1].contains("25% above"),
        "{}",
        b[1]
    );
    assert!(b[0].contains("'error' at images = "), "{}", b[0]);
}

#[test]
fn fit_names_them_too_and_a_clean_curve_gets_no_such_warning() {
    let dir = TempDir::new().unwrap();
    let bad = write(&dir, "bad.csv", &curve(&[7]));
    let (code, out, err) = run(
        dir.path(),
        &[
            "fit", &bad, "--law", "power", "--x", "images", "--y", "error",
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let text = format!("{out}{err}");
    let named: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("the line through its neighbouring points"))
        .collect();
    assert_eq!(named.len(), 1, "{text}");
    assert!(named[0].contains("row 9"), "{}", named[0]);

    let clean = write(&dir, "clean.csv", &curve(&[]));
    for args in [
        vec![
            "fit", &clean, "--law", "power", "--x", "images", "--y", "error",
        ],
        vec!["compare", &clean, "--y", "error", "--predict", "1e10"],
    ] {
        let (code, out, err) = run(dir.path(), &args);
        assert_eq!(code, 0, "{out}\n{err}");
        assert!(
            !format!("{out}{err}").contains("neighbouring points"),
            "{args:?}: {out}{err}"
        );
    }
}
