//! `--holdout largest:K[:INPUT]`: the K largest distinct values of an input
//! are held out, every row at them, so the rows' order does not matter.

use assert_cmd::Command;
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

/// Rows `N,D,loss` of a Chinchilla-like grid: 5 model sizes, each trained
/// on 4 data sizes (so 4 rows tie on each N), the law times a small
/// deterministic wiggle.
fn grid_rows() -> Vec<String> {
    let mut rows = Vec::new();
    for (i, n) in [1e7f64, 3e7, 1e8, 3e8, 1e9].iter().enumerate() {
        for (j, d) in [2e8f64, 6e8, 2e9, 6e9].iter().enumerate() {
            let law = 1.7 + 400.0 / n.powf(0.34) + 1500.0 / d.powf(0.37);
            let wiggle = 1.0 + 0.003 * (((i * 5 + j * 3) % 7) as f64 - 3.0);
            rows.push(format!("{n},{d},{}", law * wiggle));
        }
    }
    rows
}

/// A folder with `name` holding the grid's rows in the order `order`.
fn write_rows(dir: &TempDir, name: &str, rows: &[String], order: &[usize]) {
    let mut s = String::from("N,D,loss\n");
    for &i in order {
        s += &rows[i];
        s.push('\n');
    }
    fs::write(dir.path().join(name), s).unwrap();
}

/// `slaw ARGS` in `dir`; asserts success (showing stderr otherwise) and
/// returns stdout.
fn run(dir: &TempDir, args: &[&str]) -> String {
    let out = slaw().current_dir(dir.path()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A permutation of the rows gives the same `slaw compare` output, text
/// and JSON to the last digit: the default hold-out (the 2 largest N) took
/// 2 of the 4 runs at the largest N by their rows, the other 2 fitted.
#[test]
fn compare_output_does_not_depend_on_the_row_order() {
    let rows = grid_rows();
    let dir = TempDir::new().unwrap();
    let n = rows.len();
    let forward: Vec<usize> = (0..n).collect();
    let reversed: Vec<usize> = (0..n).rev().collect();
    // A fixed shuffle (7 is prime to 20): rows of one N far apart.
    let shuffled: Vec<usize> = (0..n).map(|k| (k * 7 + 3) % n).collect();
    write_rows(&dir, "a.csv", &rows, &forward);
    write_rows(&dir, "b.csv", &rows, &reversed);
    write_rows(&dir, "c.csv", &rows, &shuffled);
    for extra in [&[][..], &["--holdout", "largest:1:D"][..], &["--json"][..]] {
        let out = |file: &str| {
            let mut args = vec!["compare", file, "--x", "N,D", "--y", "loss"];
            args.extend_from_slice(extra);
            run(&dir, &args)
        };
        let a = out("a.csv");
        assert!(a.contains("chinchilla"), "{a}");
        assert_eq!(a, out("b.csv"), "{extra:?}: reversed rows");
        assert_eq!(a, out("c.csv"), "{extra:?}: shuffled rows");
    }
}

/// The tie rule: `largest:K` holds out every row at the K largest distinct
/// values (K values, not K points), per input named.
#[test]
fn largest_holds_out_every_row_at_the_k_largest_values() {
    let rows = grid_rows();
    let dir = TempDir::new().unwrap();
    let order: Vec<usize> = (0..rows.len()).collect();
    write_rows(&dir, "g.csv", &rows, &order);
    let held = |rule: &str| -> (u64, u64) {
        let out = run(
            &dir,
            &[
                "fit",
                "g.csv",
                "--law",
                "chinchilla",
                "--x",
                "N,D",
                "--y",
                "loss",
                "--holdout",
                rule,
                "--json",
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let g = &v["groups"][0];
        (
            g["train"]["n"].as_u64().unwrap(),
            g["heldout"]["n"].as_u64().unwrap(),
        )
    };
    // 2 values of N, 4 runs each; 1 value of D, 5 runs (one per N).
    assert_eq!(held("largest:2"), (12, 8));
    assert_eq!(held("largest:2:N"), (12, 8));
    assert_eq!(held("largest:1:D"), (15, 5));
}

/// A hold-out that leaves fewer points than every compared law needs is a
/// setting to change: exit 2 naming `--holdout`, as `slaw fit` does, not
/// every law "skipped" and "no law converged" (exit 3).
#[test]
fn compare_refuses_a_holdout_that_leaves_too_few_points() {
    let dir = TempDir::new().unwrap();
    let mut s = String::from("x,loss\n");
    for k in 0..12 {
        let x = 1e3 * 2f64.powi(k);
        s += &format!("{x},{}\n", 1.5 + 5.0 * x.powf(-0.3));
    }
    fs::write(dir.path().join("pow.csv"), s).unwrap();
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "compare",
            "pow.csv",
            "--x",
            "x",
            "--y",
            "loss",
            "--holdout",
            "largest:10",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--holdout") && err.contains("leaves 2 to fit"),
        "{err}"
    );
    assert!(err.contains("hold out fewer"), "{err}");
}

/// probe_rd 1: an explicit `--holdout none` held out the 2 largest N all
/// the same in `compare` (the flag's shown default was not its default), and
/// with one input it ran the backtest pick. Now it holds out nothing (AIC),
/// counts as explicit, and beside `--holdout-col` it is an error, as any
/// other rule there.
#[test]
fn an_explicit_holdout_none_holds_out_nothing_in_compare() {
    let rows = grid_rows();
    let dir = TempDir::new().unwrap();
    write_rows(&dir, "g.csv", &rows, &(0..rows.len()).collect::<Vec<_>>());
    let compare = ["compare", "g.csv", "--x", "N,D", "--y", "loss"];
    let default = run(&dir, &compare);
    assert!(default.contains("held-out"), "{default}");
    let none = run(&dir, &[&compare[..], &["--holdout", "none"]].concat());
    assert!(none.contains("no point held out"), "{none}");
    assert_ne!(default, none);
    assert_eq!(
        none,
        run(&dir, &[&compare[..], &["--holdout", "largest:0"]].concat())
    );
    // One input: an explicit none is the hold-out pick (by AIC), not the
    // backtest pick.
    let one = [
        "compare", "g.csv", "--x", "D", "--y", "loss", "--group", "N",
    ];
    let backtest = run(&dir, &one);
    let aic = run(&dir, &[&one[..], &["--holdout", "none"]].concat());
    assert!(aic.contains("no point held out"), "{aic}");
    assert!(!backtest.contains("no point held out"), "{backtest}");
    // Beside a flag column, `none` is a second rule.
    let mut flagged = String::from("N,D,loss,held\n");
    for (i, r) in rows.iter().enumerate() {
        flagged += &format!("{r},{}\n", u8::from(i % 4 == 3));
    }
    fs::write(dir.path().join("h.csv"), flagged).unwrap();
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "h.csv",
            "--law",
            "chinchilla",
            "--x",
            "N,D",
            "--y",
            "loss",
        ])
        .args(["--holdout-col", "held", "--holdout", "none"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'none' beside the flag column 'held'"),
        "{err}"
    );
}

/// A blank cell in the `--holdout-col` column is an error naming the file,
/// row and column, as every used cell: it was read as "not held out", so a
/// spreadsheet that left a flag blank got another split than intended.
/// A flag the reader does not know is an error too; the known ones fit.
#[test]
fn a_blank_held_out_flag_is_an_error_naming_its_cell() {
    let dir = TempDir::new().unwrap();
    let rows = grid_rows();
    let write = |name: &str, blank: usize, cell: &str| {
        let mut s = String::from("N,D,loss,held\n");
        for (i, r) in rows.iter().enumerate() {
            let f = if i == blank {
                cell
            } else if i % 4 == 3 {
                "yes"
            } else {
                "0"
            };
            s += &format!("{r},{f}\n");
        }
        fs::write(dir.path().join(name), s).unwrap();
    };
    write("blank.csv", 5, "");
    write("odd.csv", 5, "maybe");
    write("ok.csv", 5, "FALSE");
    let args = |f: &'static str| {
        [
            "fit",
            f,
            "--law",
            "chinchilla",
            "--x",
            "N,D",
            "--y",
            "loss",
            "--holdout-col",
            "held",
        ]
    };
    for (f, what) in [("blank.csv", "empty cell"), ("odd.csv", "'maybe'")] {
        let out = slaw()
            .current_dir(dir.path())
            .args(args(f))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{f}");
        let err = String::from_utf8_lossy(&out.stderr);
        // row 7: the header is line 1, the 6th row (index 5) line 7
        assert!(
            err.contains(&format!("{f}, row 7, column 'held'")) && err.contains(what),
            "{err}"
        );
    }
    run(&dir, &args("ok.csv"));
}
