//! The `slaw` binary end to end: good runs and every kind of bad input.

mod common;
use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// A power-law curve L = 20 / D^0.3 + 1.5 with tiny deterministic wiggles.
fn power_csv() -> String {
    let mut s = String::from("D,loss,run\n");
    for k in 0..12 {
        let d = 100.0 * 2f64.powi(k);
        let wiggle = 1.0 + 0.002 * ((k * 7 % 5) as f64 - 2.0);
        s += &format!("{d},{},a\n", (20.0 / d.powf(0.3) + 1.5) * wiggle);
    }
    s
}

fn assert_input_error(args: &[&str], dir: &TempDir, needles: &[&str]) {
    let mut cmd = slaw();
    cmd.current_dir(dir.path()).args(args);
    let mut assert = cmd
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error:"));
    for n in needles {
        assert = assert.stderr(predicate::str::contains(*n));
    }
    // Never a panic.
    assert.stderr(predicate::str::contains("panicked").not());
}

/// `slaw fit --law power` on c.csv (the curve of [`power_csv`]) with `extra`.
fn fit_power<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["fit", "--law", "power", "--x", "D", "--y", "loss", "c.csv"];
    args.extend_from_slice(extra);
    args
}

/// `--plot x.pdf`: a one-page vector PDF with the axis labels (the y label
/// rotated) and the tick labels as text.
#[test]
fn fit_plot_as_pdf() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    slaw()
        .current_dir(dir.path())
        .args(fit_power(&["--predict", "D=1e6", "--plot", "out.pdf"]))
        .assert()
        .success()
        .stderr(predicate::str::contains("out.pdf"));
    let bytes = fs::read(dir.path().join("out.pdf")).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("%PDF-1."), "header");
    assert!(text.trim_end().ends_with("%%EOF"));
    assert!(text.contains("startxref") && text.contains("/Count 1"));
    assert_eq!(text.matches("/Type /Page\n").count(), 1);
    // Points and the curve drawn, labels written as text.
    assert!(text.contains(" c\n") && text.contains("\nS\n"));
    for label in [
        "(D (log scale)) Tj",
        "(loss (log scale)) Tj",
        "(1e3) Tj",
        "(1e5) Tj",
    ] {
        assert!(text.contains(label), "{label} missing");
    }
    let y_label = text
        .split("BT\n")
        .find(|t| t.contains("(loss (log scale)) Tj"))
        .unwrap();
    assert!(
        y_label.contains("0 1 -1 0 "),
        "y label not rotated: {y_label}"
    );
}

#[test]
fn fit_power_law_text_json_and_plot() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    slaw()
        .current_dir(dir.path())
        .args(fit_power(&[
            "--predict",
            "D=1e6",
            "--holdout",
            "largest:2",
            "--plot",
            "out.svg",
        ]))
        .assert()
        .success()
        .stdout(predicate::str::contains("status: converged"))
        .stdout(predicate::str::contains("termination: converged ("))
        .stdout(predicate::str::contains("held out:"))
        .stdout(predicate::str::contains("predict D=1e6"));
    let svg = fs::read_to_string(dir.path().join("out.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("circle"));

    let out = slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "--law",
            "power",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--json",
            "--bootstrap",
            "50",
            "--seed",
            "3",
            "--predict",
            "1e6",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let g = &v["groups"][0];
    // Keys in the order of the law and of the report, not sorted: the
    // parameters read A, alpha, E as in the formula (sorted: A, E, alpha).
    let text = String::from_utf8_lossy(&out.stdout);
    let params = &text[text.find("\"params\"").unwrap()..];
    let at = |k: &str| params.find(&format!("\"{k}\"")).unwrap();
    assert!(at("A") < at("alpha") && at("alpha") < at("E"), "{params}");
    assert!(text.find("\"law\"").unwrap() < text.find("\"groups\"").unwrap());
    // Parameters by name, their intervals beside them in the same shape.
    let alpha = g["fit"]["params"]["alpha"].as_f64().unwrap();
    assert!((alpha - 0.3).abs() < 0.03, "alpha {alpha}");
    let iv = &g["fit"]["intervals"]["alpha"];
    assert!(iv["lo"].as_f64().unwrap() <= alpha && alpha <= iv["hi"].as_f64().unwrap());
    assert_eq!(g["fit"]["law"], "power");
    assert_eq!(g["fit"]["termination"], "converged");
    assert!(!g["fit"]["termination_message"].as_str().unwrap().is_empty());
    let pred = &g["predictions"][0];
    let (lo, hi, val) = (
        pred["interval"]["lo"].as_f64().unwrap(),
        pred["interval"]["hi"].as_f64().unwrap(),
        pred["value"].as_f64().unwrap(),
    );
    assert!(lo <= val && val <= hi, "{lo} {val} {hi}");
    // Same inputs and seed: same output.
    let again = slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "--law",
            "power",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--json",
            "--bootstrap",
            "50",
            "--seed",
            "3",
            "--predict",
            "1e6",
        ])
        .output()
        .unwrap();
    assert_eq!(out.stdout, again.stdout);
}

#[test]
fn formula_law_matches_builtin() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "--formula",
            "A / D^alpha + E",
            "--params",
            "A,alpha,E",
            "--log-params",
            "A,E",
            "--bound",
            "alpha=0:5",
            "--init",
            "A=1:1e4:4",
            "--init",
            "alpha=0.1,0.5",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let custom = v["groups"][0]["fit"]["objective"].as_f64().unwrap();
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "fit", "--law", "power", "--x", "D", "--y", "loss", "c.csv", "--json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let builtin = v["groups"][0]["fit"]["objective"].as_f64().unwrap();
    assert!(
        (custom - builtin).abs() <= 1e-6 * builtin.max(1e-12),
        "{custom} vs {builtin}"
    );
}

#[test]
fn grouped_tsv_and_jsonl_inputs() {
    let dir = TempDir::new().unwrap();
    let csv = power_csv();
    let mut tsv = csv.replace(',', "\t");
    for line in csv.lines().skip(1) {
        tsv += &line.replace(",a", ",b").replace(',', "\t");
        tsv += "\n";
    }
    write(dir.path(), "c.tsv", &tsv);
    slaw()
        .current_dir(dir.path())
        .args([
            "fit", "--law", "power", "--x", "D", "--y", "loss", "--group", "run", "c.tsv",
        ])
        .assert()
        .success()
        .stdout(
            // Several groups: one summary table, a line per group, no details.
            predicate::str::is_match(r"(?m)^a\s+converged")
                .unwrap()
                .and(predicate::str::is_match(r"(?m)^b\s+converged").unwrap())
                .and(predicate::str::contains("2 groups: 2 converged, 0 failed"))
                .and(predicate::str::contains("== group a ==").not()),
        );
    slaw()
        .current_dir(dir.path())
        .args([
            "fit", "--law", "power", "--x", "D", "--y", "loss", "--group", "run", "c.tsv", "-v",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("== group a ==")
                .and(predicate::str::contains("== group b =="))
                .and(predicate::str::contains("2 groups:")),
        );
    let mut jsonl = String::new();
    for line in csv.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        jsonl += &format!("{{\"D\": {}, \"loss\": {}}}\n", c[0], c[1]);
    }
    write(dir.path(), "c.jsonl", &jsonl);
    slaw()
        .current_dir(dir.path())
        .args([
            "fit", "--law", "power", "--x", "D", "--y", "loss", "c.jsonl",
        ])
        .assert()
        .success();
}

#[test]
fn compare_ranks_laws_by_heldout_error() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "compare",
            "--pick",
            "holdout",
            "--laws",
            "power,vanilla-ft,rectified",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ranked = v.as_array().unwrap();
    assert_eq!(ranked.len(), 3);
    let errs: Vec<f64> = ranked
        .iter()
        .map(|r| r["heldout_rmsd_log"].as_f64().unwrap())
        .collect();
    assert!(errs.windows(2).all(|w| w[0] <= w[1]), "{errs:?}");
}

#[test]
fn laws_lists_the_catalog() {
    slaw()
        .arg("laws")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("rectified")
                .and(predicate::str::contains("L = B / (D_l + D^beta) + E")),
        )
        .stdout(predicate::str::contains("bnsl").and(predicate::str::contains("reciprocal")));
}

#[test]
fn demo_runs_without_data_and_writes_a_plot() {
    let dir = TempDir::new().unwrap();
    slaw()
        .current_dir(dir.path())
        .args(["demo", "--plot", "demo.png"])
        .assert()
        .success()
        .stdout(predicate::str::contains("chosen: "))
        .stdout(predicate::str::contains("relative accuracy of the choice"));
    assert!(fs::metadata(dir.path().join("demo.png")).unwrap().len() > 1000);
}

#[test]
fn missing_column() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    assert_input_error(
        &["fit", "--law", "power", "--x", "N", "--y", "loss", "c.csv"],
        &dir,
        &["c.csv", "column 'N'", "no such column"],
    );
}

#[test]
fn non_numeric_cell() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "c.csv",
        "D,loss\n100,3.1\n200,abc\n400,2.5\n800,2.3\n",
    );
    assert_input_error(
        &["fit", "--law", "power", "--x", "D", "--y", "loss", "c.csv"],
        &dir,
        &["c.csv, row 3, column 'loss'", "'abc' is not a number"],
    );
}

#[test]
fn nan_and_inf_cells() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "c.csv",
        "D,loss\n100,3.1\n200,2.9\n400,NaN\n800,2.3\n",
    );
    assert_input_error(
        &["fit", "--law", "power", "--x", "D", "--y", "loss", "c.csv"],
        &dir,
        &["row 4, column 'loss'", "not a finite number"],
    );
    write(
        dir.path(),
        "d.csv",
        "D,loss\n100,3.1\ninf,2.9\n400,2.5\n800,2.3\n",
    );
    assert_input_error(
        &["fit", "--law", "power", "--x", "D", "--y", "loss", "d.csv"],
        &dir,
        &["row 3, column 'D'", "not a finite number"],
    );
}

#[test]
fn zero_or_negative_x_where_a_log_is_taken() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "c.csv",
        "D,loss\n100,3.1\n0,2.9\n400,2.5\n800,2.3\n",
    );
    assert_input_error(
        &["fit", "--law", "power", "--x", "D", "--y", "loss", "c.csv"],
        &dir,
        &["row 3, column 'D'", "must be > 0"],
    );
    write(
        dir.path(),
        "n.csv",
        "D,loss\n100,3.1\n-5,2.9\n400,2.5\n800,2.3\n",
    );
    assert_input_error(
        &[
            "fit",
            "--law",
            "rectified",
            "--x",
            "D",
            "--y",
            "loss",
            "n.csv",
        ],
        &dir,
        &["row 3, column 'D'", "must be >= 0"],
    );
    // The rectified law is defined at D = 0 (zero-shot).
    write(
        dir.path(),
        "z.csv",
        "D,loss\n0,3.3\n100,3.1\n200,2.9\n400,2.5\n800,2.3\n",
    );
    slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "--law",
            "rectified",
            "--x",
            "D",
            "--y",
            "loss",
            "z.csv",
        ])
        .assert()
        .success();
}

#[test]
fn non_positive_loss_in_log_space() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "c.csv",
        "D,loss\n100,3.1\n200,0\n400,2.5\n800,2.3\n",
    );
    assert_input_error(
        &["fit", "--law", "power", "--x", "D", "--y", "loss", "c.csv"],
        &dir,
        &["row 3, column 'loss'", "--space linear"],
    );
}

#[test]
fn fewer_points_than_parameters() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", "D,loss\n100,3.1\n200,2.9\n400,2.5\n");
    assert_input_error(
        &[
            "fit",
            "--law",
            "rectified",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
        ],
        &dir,
        &["c.csv", "3 points", "4 free parameters"],
    );
}

#[test]
fn unknown_law() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    assert_input_error(
        &[
            "fit",
            "--law",
            "chinchila",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
        ],
        &dir,
        &["unknown law 'chinchila'", "chinchilla"],
    );
}

#[test]
fn malformed_formula() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    assert_input_error(
        &[
            "fit",
            "--formula",
            "A / (D^alpha + E",
            "--params",
            "A,alpha,E",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
        ],
        &dir,
        &["formula error at position 16", "expected ')'"],
    );
    assert_input_error(
        &[
            "fit",
            "--formula",
            "A / D^alpha + F",
            "--params",
            "A,alpha,E",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
        ],
        &dir,
        &["unknown name 'F'"],
    );
}

#[test]
fn wrong_input_count_and_ragged_rows_and_empty_files() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    assert_input_error(
        &[
            "fit",
            "--law",
            "chinchilla",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
        ],
        &dir,
        &["takes 2 input(s)"],
    );
    write(dir.path(), "r.csv", "D,loss\n100,3.1\n200\n");
    assert_input_error(
        &["fit", "--law", "power", "--x", "D", "--y", "loss", "r.csv"],
        &dir,
        &["r.csv, row 3", "cells"],
    );
    write(dir.path(), "e.csv", "");
    assert_input_error(
        &["fit", "--law", "power", "--x", "D", "--y", "loss", "e.csv"],
        &dir,
        &["e.csv"],
    );
    write(dir.path(), "h.csv", "D,loss\n");
    assert_input_error(
        &["fit", "--law", "power", "--x", "D", "--y", "loss", "h.csv"],
        &dir,
        &["h.csv", "no data rows"],
    );
    assert_input_error(
        &[
            "fit",
            "--law",
            "power",
            "--x",
            "D",
            "--y",
            "loss",
            "missing.csv",
        ],
        &dir,
        &["missing.csv"],
    );
    write(
        dir.path(),
        "j.jsonl",
        "{\"D\": 1, \"loss\": 2}\n{\"D\": 2}\n",
    );
    assert_input_error(
        &[
            "fit", "--law", "power", "--x", "D", "--y", "loss", "j.jsonl",
        ],
        &dir,
        &["j.jsonl, row 2, column 'loss'"],
    );
}

#[test]
fn bad_flags_are_clear_errors() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    assert_input_error(
        &[
            "fit",
            "--law",
            "power",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--bound",
            "alpha=2:1",
        ],
        &dir,
        &["lower 2 must be below upper 1"],
    );
    assert_input_error(
        &[
            "fit",
            "--law",
            "power",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--predict",
            "N=3",
        ],
        &dir,
        &["'N' is not an input"],
    );
    assert_input_error(
        &[
            "fit",
            "--law",
            "power",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--holdout",
            "biggest",
        ],
        &dir,
        &["--holdout"],
    );
    assert_input_error(
        &[
            "fit",
            "--law",
            "power",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--bound",
            "gamma=0:1",
        ],
        &dir,
        &["no parameter 'gamma'"],
    );
}

/// A small pool in the long format: three models drawn from the rectified
/// law (no noise), the zero-shot point and sizes 200 ... 204800.
fn pool_long_csv() -> String {
    let models = [
        ("fast", 3.0e8, [20.0, 8.0, 0.25, 0.8]),
        ("slow", 1.3e9, [200.0, 60.0, 0.35, 0.6]),
        ("flat", 2.7e9, [6.0, 4.0, 0.18, 1.2]),
    ];
    let mut s = String::from("model,n,loss,size\n");
    for (name, size, [b, dl, beta, e]) in models {
        for k in -1..11 {
            let n: f64 = if k < 0 { 0.0 } else { 200.0 * 2f64.powi(k) };
            let l = b / (dl + n.powf(beta)) + e;
            s += &format!("{name},{n},{l},{size}\n");
        }
    }
    s
}

#[test]
fn select_ranks_candidates_with_json_plot_and_cost() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "pool.csv", &pool_long_csv());
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "select",
            "pool.csv",
            "--target",
            "204800",
            "--budget",
            "1/32",
            "--json",
            "--plot",
            "sel.svg",
            "--tokens-per-example",
            "100",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ranking = v["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 3);
    for r in ranking {
        assert!(r["id"].is_string());
        assert!(r["predicted_loss"].as_f64().unwrap() > 0.0);
        let i = &r["interval"];
        assert!(i["lo"].as_f64().unwrap() <= i["hi"].as_f64().unwrap());
    }
    // Ranks are 1..3 in order of predicted loss.
    let p: Vec<f64> = ranking
        .iter()
        .map(|r| r["predicted_loss"].as_f64().unwrap())
        .collect();
    assert!(p[0] <= p[1] && p[1] <= p[2]);
    assert_eq!(v["method"]["name"], "ats-gap");
    // The default intervals are predictive (backtest-calibrated) at 90%.
    assert_eq!(ranking[0]["interval_kind"]["kind"], "backtest");
    assert_eq!(ranking[0]["interval_kind"]["level"], 0.9);
    assert!(v["calibration"]["count"].as_u64().unwrap() >= 5);
    let cost = v["cost"]["ratio"].as_f64().unwrap();
    assert!(cost > 0.0 && cost < 1.0 / 16.0, "cost ratio {cost}");
    assert!(v["cost"]["flops"].as_f64().unwrap() > 0.0);
    let svg = fs::read_to_string(dir.path().join("sel.svg")).unwrap();
    assert!(svg.contains("(chosen)"));
    // Every candidate has its zero-shot loss: nothing to note but what the
    // learned interval covered within 128x of the target.
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes.iter().all(|n| n.contains("nearer 70-85%")),
        "{notes:?}"
    );
    // Without the zero-shot rows, the report says what ats-gap missed.
    let no_l0: String = pool_long_csv()
        .lines()
        .filter(|l| l.split(',').nth(1) != Some("0"))
        .map(|l| format!("{l}\n"))
        .collect();
    write(dir.path(), "no_l0.csv", &no_l0);
    slaw()
        .current_dir(dir.path())
        .args([
            "select",
            "no_l0.csv",
            "--target",
            "204800",
            "--budget",
            "1/32",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "note: 3 of 3 candidates have no zero-shot loss (N = 0), which ats-gap reads",
        ));
}

/// The law-fit methods' fit warnings (parameters on a bound, not pinned)
/// reach the text report, one line per kind of warning naming the fits,
/// as they reach the JSON.
#[test]
fn select_prints_the_law_fits_warnings() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "pool.csv", &pool_long_csv());
    let args = [
        "select",
        "pool.csv",
        "--target",
        "204800",
        "--budget",
        "1/32",
        "--method",
        "vanilla-fit",
    ];
    let out = slaw()
        .current_dir(dir.path())
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warned: Vec<&str> = v["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["detail"]["warnings"].as_array().unwrap().is_empty())
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(!warned.is_empty(), "the pool's vanilla fits carry warnings");
    let out = slaw().current_dir(dir.path()).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("warning: ") && l.contains(" fits: "))
        .collect();
    assert!(lines.iter().any(|l| l.contains("do not pin")), "{text}");
    for id in warned {
        assert!(
            lines.iter().any(|l| l.contains(id)),
            "{id} not named in the text's warnings:\n{text}"
        );
    }
}

/// `--reference`: the same models on another task, matched by name; the
/// default becomes ats-ref, whose note says how many candidates matched;
/// a reference is refused by a method that does not read it, and one that
/// matches no candidate is an error naming the file.
#[test]
fn select_with_a_reference() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "pool.csv", &pool_long_csv());
    let mut other = String::from("model,n,loss\n");
    for (name, [b, dl, beta, e]) in [
        ("fast", [9.0, 5.0, 0.3, 1.0]),
        ("slow", [90.0, 30.0, 0.4, 0.7]),
    ] {
        for k in 0..11 {
            let n = 200.0 * 2f64.powi(k);
            other += &format!("{name},{n},{}\n", b / (dl + f64::powf(n, beta)) + e);
        }
    }
    write(dir.path(), "other.csv", &other);
    let args = [
        "select", "pool.csv", "--target", "204800", "--budget", "1/32",
    ];
    let out = slaw()
        .current_dir(dir.path())
        .args(args)
        .args(["--reference", "other.csv", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["method"]["name"], "ats-ref");
    // Two matched candidates cannot show that the rows match (the exact
    // permutation test's p-value is at least 1/2): not used, and said so,
    // without blaming the reference.
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|n| n.as_str().unwrap().contains(
            "reference 1 (other.csv) is not used (weight 0): 2 of 3 candidates matched by name, 2 testable, too few"
        )),
        "{warnings:?}"
    );
    assert!(
        !warnings
            .iter()
            .any(|n| n.as_str().unwrap().contains("does not match")),
        "{warnings:?}"
    );
    assert_eq!(v["references"][0]["matched"], 2);
    // The candidate without a row is named (it keeps ats-gap's prediction).
    let notes = v["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n.as_str().unwrap().contains(
            "reference 1 (other.csv) has no row for 1 candidate (flat); it keeps ats-gap's prediction"
        )),
        "{notes:?}"
    );
    assert_eq!(v["references"][0]["weight"], 0.0);
    slaw()
        .current_dir(dir.path())
        .args(args)
        .args(["--reference", "other.csv", "--method", "ats"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--reference is read by ats-ref only",
        ));
    write(
        dir.path(),
        "none.csv",
        "model,n,loss\nzzz,200,3.0\nzzz,204800,2.0\n",
    );
    slaw()
        .current_dir(dir.path())
        .args(args)
        .args(["--reference", "none.csv"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "none.csv: no row matches a candidate",
        ));
}

/// Twelve models and the same models on another task (other levels and
/// slopes), measured to the target; `reversed`: row i is named model 11 - i
/// (each name carries another model's curve).
fn twelve_models(other_task: bool, reversed: bool) -> String {
    let mut s = String::from("model,n,loss\n");
    for i in 0..12usize {
        let b = 20.0 + 15.0 * ((i * 5) % 12) as f64;
        let dl = 8.0 + 5.0 * (i % 4) as f64;
        let beta = 0.2 + 0.02 * ((i * 7) % 12) as f64;
        let e = 0.6 + 0.05 * i as f64;
        let (b, beta, e) = if other_task {
            (0.5 * b, 1.1 * beta, 0.8 * e)
        } else {
            (b, beta, e)
        };
        let name = format!("model{}", if reversed { 11 - i } else { i });
        for k in -1..14 {
            let n: f64 = if k < 0 { 0.0 } else { 200.0 * 2f64.powi(k) };
            s += &format!("{name},{n},{}\n", b / (dl + n.powf(beta)) + e);
        }
    }
    s
}

/// A reference whose rows are the same models passes its match test; the
/// same rows under permuted names fail it and are named in a warning, in
/// the JSON and in the text, with the p-value; ats-ref then ranks as
/// ats-gap.
#[test]
fn select_names_a_permuted_reference_in_a_warning() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "pool.csv", &twelve_models(false, false));
    write(dir.path(), "earlier.csv", &twelve_models(true, false));
    write(dir.path(), "permuted.csv", &twelve_models(true, true));
    let args = [
        "select", "pool.csv", "--target", "1638400", "--budget", "1/64",
    ];
    let json = |extra: &[&str]| -> serde_json::Value {
        let out = slaw()
            .current_dir(dir.path())
            .args(args)
            .args(extra)
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let good = json(&["--reference", "earlier.csv"]);
    assert_eq!(good["warnings"], serde_json::json!([]), "{good}");
    let t = &good["references"][0]["test"];
    assert_eq!(t["passed"], true, "{t}");
    assert!(t["p_value"].as_f64().unwrap() <= 0.05);
    assert!(good["references"][0]["weight"].as_f64().unwrap() > 0.0);

    let bad = json(&["--reference", "permuted.csv"]);
    let p = bad["references"][0]["test"]["p_value"].as_f64().unwrap();
    assert!(p > 0.05, "{bad}");
    assert_eq!(bad["references"][0]["weight"], 0.0);
    let w = bad["warnings"][0].as_str().unwrap();
    assert!(
        w.contains("reference 1 (permuted.csv) does not match the pool"),
        "{w}"
    );
    assert!(w.contains(&format!("p = {p:.3}")), "{w}");
    // ats-ref without a usable reference scores as ats-gap.
    let gap = json(&["--method", "ats-gap"]);
    let scores = |v: &serde_json::Value| -> Vec<(String, f64)> {
        v["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_string(),
                    r["score"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(scores(&bad), scores(&gap));
    // Both: the true one is used, the permuted one is named.
    let both = json(&["--reference", "earlier.csv", "--reference", "permuted.csv"]);
    assert_eq!(both["references"][0]["test"]["passed"], true);
    assert_eq!(both["references"][1]["test"]["passed"], false);
    assert_eq!(both["warnings"].as_array().unwrap().len(), 1);
    assert!(both["warnings"][0]
        .as_str()
        .unwrap()
        .contains("reference 2 (permuted.csv)"));
    // The text report prints the warning.
    slaw()
        .current_dir(dir.path())
        .args(args)
        .args(["--reference", "permuted.csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "warning: reference 1 (permuted.csv) does not match the pool",
        ));
}

#[test]
fn select_every_method_runs_and_is_deterministic() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "pool.csv", &pool_long_csv());
    for m in [
        "ats-gap",
        "ats-ref",
        "ats-trend",
        "ats-blend",
        "ats",
        "rectified-fit",
        "vanilla-fit",
        "sub-tuning",
        "zero-shot",
        "model-size",
    ] {
        let run = || {
            slaw()
                .current_dir(dir.path())
                .args([
                    "select", "pool.csv", "--target", "204800", "--max-n", "6400",
                ])
                .args(["--method", m, "--bootstrap", "20", "--seed", "3"])
                .output()
                .unwrap()
        };
        let a = run();
        assert!(
            a.status.success(),
            "{m}: {}",
            String::from_utf8_lossy(&a.stderr)
        );
        assert!(String::from_utf8_lossy(&a.stdout).contains("chosen: "));
        assert_eq!(a.stdout, run().stdout, "{m} is not deterministic");
    }
}

/// `--level` is honoured: a lower level gives a narrower interval around the
/// same centre, in the ratio of the shipped scale's quantiles.
#[test]
fn select_level_is_honoured() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "pool.csv", &pool_long_csv());
    let width = |level: &str| -> Vec<f64> {
        let out = slaw()
            .current_dir(dir.path())
            .args([
                "select", "pool.csv", "--target", "204800", "--max-n", "12800", "--json",
                "--level", level,
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(
                    r["interval_kind"]["level"].as_f64().unwrap(),
                    level.parse::<f64>().unwrap()
                );
                (r["interval"]["hi"].as_f64().unwrap() / r["interval"]["lo"].as_f64().unwrap()).ln()
            })
            .collect()
    };
    let (w50, w90) = (width("0.5"), width("0.9"));
    // The half-width is k(level) x the hypotheses' spread: the ratio of the
    // shipped scale's quantiles at 50% and 90%.
    let scale = slaw::selection::calibrate::shipped_scale("ats-gap").unwrap();
    let ratio = scale.at(0.5) / scale.at(0.9);
    for (a, b) in w50.iter().zip(&w90) {
        assert!(a < b, "50% width {a} not below 90% width {b}");
        assert!((a / b - ratio).abs() < 1e-9, "{a} {b} vs {ratio}");
    }
}

/// A pool too small to calibrate the line methods' intervals (two
/// candidates, four affordable sizes: no backtest) falls back to a
/// bootstrap of the points: at `--level`, not at `--bootstrap-level`, and
/// said so in `interval_kind`.
#[test]
fn select_level_is_honoured_by_the_bootstrap_fallback() {
    let dir = TempDir::new().unwrap();
    let two: String = pool_long_csv()
        .lines()
        .filter(|l| !l.starts_with("flat,"))
        .map(|l| format!("{l}\n"))
        .collect();
    write(dir.path(), "two.csv", &two);
    let intervals = |level: &str| -> Vec<(f64, f64)> {
        let out = slaw()
            .current_dir(dir.path())
            .args([
                "select",
                "two.csv",
                "--target",
                "204800",
                "--max-n",
                "1600",
                "--json",
                "--bootstrap",
                "60",
                "--level",
                level,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(r["interval_kind"]["kind"], "bootstrap", "{r}");
                assert_eq!(
                    r["interval_kind"]["level"].as_f64().unwrap(),
                    level.parse::<f64>().unwrap()
                );
                (
                    r["interval"]["lo"].as_f64().unwrap(),
                    r["interval"]["hi"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let (narrow, wide) = (intervals("0.5"), intervals("0.9"));
    assert_eq!(narrow.len(), 2);
    for (n, w) in narrow.iter().zip(&wide) {
        assert!(w.0 <= n.0 && n.1 <= w.1, "{n:?} not inside {w:?}");
    }
}

/// `--bootstrap-level` sets the level of the law fits' bootstrap intervals
/// (the default 0.95 unchanged), and is checked.
#[test]
fn select_bootstrap_level_reaches_the_law_fits() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "pool.csv", &pool_long_csv());
    let run = |extra: &[&str]| {
        slaw()
            .current_dir(dir.path())
            .args([
                "select",
                "pool.csv",
                "--target",
                "204800",
                "--max-n",
                "12800",
                "--json",
                "--method",
                "rectified-fit",
                "--bootstrap",
                "40",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let intervals = |extra: &[&str], level: f64| -> Vec<(f64, f64)> {
        let out = run(extra);
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["interval"].is_object())
            .map(|r| {
                assert_eq!(r["interval_kind"]["kind"], "bootstrap");
                assert_eq!(r["interval_kind"]["level"].as_f64().unwrap(), level);
                (
                    r["interval"]["lo"].as_f64().unwrap(),
                    r["interval"]["hi"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let (wide, narrow) = (
        intervals(&[], 0.95),
        intervals(&["--bootstrap-level", "0.5"], 0.5),
    );
    assert!(!wide.is_empty() && wide.len() == narrow.len());
    for (w, n) in wide.iter().zip(&narrow) {
        assert!(w.0 <= n.0 && n.1 <= w.1, "{w:?} vs {n:?}");
    }
    let bad = run(&["--bootstrap-level", "0"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--bootstrap-level"));
}

#[test]
fn select_bad_inputs() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "pool.csv", &pool_long_csv());
    let fail = |args: &[&str], needle: &str| {
        slaw()
            .current_dir(dir.path())
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle));
    };
    fail(
        &[
            "select", "pool.csv", "--target", "204800", "--budget", "1/32", "--method", "magic",
        ],
        "unknown selection method",
    );
    fail(&["select", "pool.csv", "--target", "204800"], "--budget");
    fail(
        &[
            "select", "pool.csv", "--target", "204800", "--budget", "x/2",
        ],
        "--budget: expects",
    );
    // Options outside their domain.
    for (flag, v, needle) in [
        ("--level", "1.5", "--level"),
        ("--level", "nan", "--level"),
        ("--k", "1", "--k"),
        ("--delta", "-1", "--delta"),
        ("--delta", "nan", "--delta"),
        ("--epochs", "-1", "--epochs"),
        ("--tokens-per-example", "nan", "--tokens-per-example"),
    ] {
        let arg = format!("{flag}={v}");
        fail(
            &[
                "select", "pool.csv", "--target", "204800", "--budget", "1/32", &arg,
            ],
            needle,
        );
    }
    // Too small a budget for AtS (needs k + 1 = 4 sizes).
    fail(
        &["select", "pool.csv", "--target", "204800", "--max-n", "400"],
        "needs at least 4 affordable sizes",
    );
    write(
        dir.path(),
        "bad.csv",
        "model,n,loss\na,200,3.1\na,400,oops\n",
    );
    fail(
        &["select", "bad.csv", "--target", "1e5", "--max-n", "400"],
        "bad.csv",
    );
    write(dir.path(), "neg.csv", "model,n,loss\na,200,3.1\na,400,-1\n");
    fail(
        &["select", "neg.csv", "--target", "1e5", "--max-n", "400"],
        "a loss must be > 0",
    );
}

/// Inputs that used to abort the process (stack overflow, 3.4 GB grids):
/// now clear errors, exit status 2.
#[test]
fn deep_formulas_and_absurd_grids_are_clear_errors() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    let n = 20_000;
    let nested = format!("A*{}D{}", "(".repeat(n), ")".repeat(n));
    let sum = format!("A{}", "+D".repeat(n));
    let pow = format!("A*D{}", "^D".repeat(30_000));
    for f in [&nested, &sum, &pow] {
        assert_input_error(
            &[
                "fit",
                "--formula",
                f,
                "--params",
                "A",
                "--x",
                "D",
                "--y",
                "loss",
                "c.csv",
            ],
            &dir,
            &["nested too deeply", "more than 200 levels"],
        );
    }
    assert_input_error(
        &[
            "fit",
            "--formula",
            "A / D^alpha + E",
            "--params",
            "A,alpha,E",
            "--init",
            "alpha=0:1:10000000",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
        ],
        &dir,
        &["alpha=0:1:10000000", "at most 100000"],
    );
    assert_input_error(
        &[
            "fit",
            "--law",
            "chinchilla",
            "--init",
            "A=1:1000:5000",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
        ],
        &dir,
        &["starting grid of", "at most 100000"],
    );
}

/// A reader that has gone (`slaw laws | head -2`): slaw ends quietly by
/// SIGPIPE like other Unix tools, no panic (it used to exit 101).
#[test]
fn a_closed_stdout_ends_slaw_quietly() {
    use std::os::fd::FromRawFd;
    use std::os::unix::process::ExitStatusExt;
    let mut fds = [0; 2];
    // SAFETY: a fresh pipe; the read end is closed before slaw writes, so
    // its first write fails whatever the timing.
    let write_end = unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        libc::close(fds[0]);
        std::os::fd::OwnedFd::from_raw_fd(fds[1])
    };
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("slaw"))
        .arg("laws")
        .stdout(std::process::Stdio::from(write_end))
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
}

#[test]
fn os_errors_are_printed_once() {
    let dir = TempDir::new().unwrap();
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "--law",
            "power",
            "--x",
            "D",
            "--y",
            "loss",
            "missing.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.csv"), "{stderr}");
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
}

/// `-` reads standard input; a header naming a column twice (a wide selection
/// file with two `400` columns) is refused, not merged; rows are numbered by
/// file line after blank lines.
#[test]
fn stdin_duplicate_columns_and_row_numbers() {
    slaw()
        .args(["fit", "-", "--x", "D", "--y", "loss", "--law", "power"])
        .write_stdin("D,loss\n100,3.0\n200,2.8\n400,2.65\n800,2.55\n1600,2.47\n3200,2.41\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("law: power"));
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "wide.csv",
        "config name,0,200,400,400,800,size\na,3,2.9,2.8,2.7,2.6,1e8\n",
    );
    slaw()
        .current_dir(dir.path())
        .args(["select", "wide.csv", "--target", "1600", "--max-n", "800"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'400'"))
        .stderr(predicate::str::contains("twice"));
    write(dir.path(), "gap.csv", "D,loss\n100,3.0\n\n\n200,oops\n");
    slaw()
        .current_dir(dir.path())
        .args([
            "fit", "gap.csv", "--x", "D", "--y", "loss", "--law", "power",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("row 5, column 'loss'"));
}

#[test]
fn fit_reports_starts_at_the_best_optimum_and_standard_errors() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    let args = ["fit", "--law", "power", "--x", "D", "--y", "loss", "c.csv"];
    slaw()
        .current_dir(dir.path())
        .args(args)
        .assert()
        .success()
        .stdout(predicate::str::contains("reached the best optimum"))
        .stdout(predicate::str::contains("+/-"))
        .stdout(predicate::str::contains("correlations:"));
    let out = slaw()
        .current_dir(dir.path())
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &v["groups"][0]["fit"];
    let n_best = f["n_best"].as_u64().unwrap();
    assert!(n_best >= 2, "{n_best}");
    let id = &f["identifiability"];
    // By name, as the parameters.
    let se = id["std_errors"].as_object().unwrap();
    assert_eq!(se.len(), 3);
    // alpha = 0.3 on 12 points with 0.2% wiggles: a small but positive error
    let se_alpha = se["alpha"].as_f64().unwrap();
    assert!(se_alpha > 0.0 && se_alpha < 0.05, "{se_alpha}");
    let corr = id["correlation"].as_array().unwrap();
    assert_eq!(corr.len(), 3);
    assert!((corr[1][1].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert!(id["unidentified"].as_array().unwrap().is_empty(), "{id}");
}

#[test]
fn fit_flags_parameters_the_data_do_not_pin() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    // Only the product B*C enters: the direction B*C = const is flat.
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "--formula",
            "B * C / D^alpha + E",
            "--params",
            "B,C,alpha,E",
            "--log-params",
            "B,C,E",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--json",
            "--predict",
            "1e6",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &v["groups"][0]["fit"];
    // The prediction reads B and C only through their product, which the
    // data pin: it does not follow the flat direction (B up, C down).
    let unpinned = &v["groups"][0]["predictions"][0]["depends_on_unpinned"];
    assert_eq!(unpinned, &serde_json::json!([]), "{unpinned}");
    let flat: Vec<&str> = f["identifiability"]["flat"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(flat.contains(&"B") && flat.contains(&"C"), "{flat:?}");
    assert!(!flat.contains(&"alpha"), "{flat:?}");
    let warnings = f["warnings"].to_string();
    assert!(warnings.contains("do not pin"), "{warnings}");
    assert!(f["identifiability"]["std_errors"]["B"].is_null());
}

#[test]
fn a_pre_learned_size_near_zero_is_flagged_where_a_small_d_feels_it() {
    // A plain power law: the rectified law's D_l goes to ~0, flat. A step
    // of 10% of D_l changes nothing anywhere; a D_l up to where the data
    // start to see it (D^0.5 is 32-316 here) moves the prediction at D = 1.
    let dir = TempDir::new().unwrap();
    let mut csv = String::from("D,loss\n");
    for k in 0..12 {
        let d = 1000.0 * 10f64.powf(k as f64 * 2.0 / 11.0);
        csv += &format!("{d},{}\n", 100.0 / d.sqrt() + 1.0);
    }
    write(dir.path(), "c.csv", &csv);
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "--law",
            "rectified",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--json",
            "--predict",
            "1",
            "--predict",
            "1e7",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let g = &v["groups"][0];
    let flat = g["fit"]["identifiability"]["flat"].to_string();
    assert!(flat.contains("D_l"), "{flat}");
    let d_l: f64 = g["fit"]["params"]["D_l"].as_f64().unwrap();
    assert!(d_l < 1e-3, "{d_l}");
    let p = &g["predictions"];
    assert_eq!(
        p[0]["depends_on_unpinned"],
        serde_json::json!(["D_l"]),
        "{p}"
    );
    // Far past the data D_l is negligible: not flagged.
    assert_eq!(p[1]["depends_on_unpinned"], serde_json::json!([]), "{p}");
}

#[test]
fn below_the_data_the_extrapolation_interval_widens_with_the_distance() {
    // The forward calibration has distance 0 below the data (its interval
    // was the noise floor there); one calibrated toward smaller x widens.
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "--law",
            "power",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--json",
            "--predict",
            "50",
            "--predict",
            "1",
            "--predict",
            "300",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let g = &v["groups"][0];
    let p = &g["predictions"];
    let half = |k: usize| {
        let i = &p[k]["extrapolation_interval"];
        (i["hi"].as_f64().unwrap() / i["lo"].as_f64().unwrap()).ln() / 2.0
    };
    assert_eq!(p[0]["below_data"], true, "{p}");
    assert_eq!(p[1]["below_data"], true, "{p}");
    assert_eq!(p[2]["below_data"], false, "{p}");
    assert_eq!(g["calibration_below"]["toward"], "smaller x", "{g}");
    assert_eq!(g["calibration"]["toward"], "larger x", "{g}");
    let floor = g["calibration_below"]["noise"].as_f64().unwrap();
    // inside the data: the floor with the fit's own uncertainty in
    // quadrature (an interpolation), so above the floor; 2x and 100x below
    // it: wider, and wider the further
    assert_eq!(p[2]["extrapolation_interval_kind"]["kind"], "interpolation");
    assert!(half(2) > floor, "{} {floor}", half(2));
    assert!(
        half(0) > floor && half(1) > 2.0 * half(0),
        "{} {}",
        half(0),
        half(1)
    );
}

#[test]
fn compare_skips_laws_it_cannot_fit_and_ranks_converged_fits() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    // 12 points, 2 held out: bnsl-2 (9 parameters) still fits, bnsl-5 (18) cannot.
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "compare",
            "--pick",
            "holdout",
            "--laws",
            "power,bnsl-5,chinchilla",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["law"], "power");
    assert_eq!(rows[0]["rank"], 1);
    for r in &rows[1..] {
        assert_eq!(r["status"], "skipped", "{r}");
        assert!(r["rank"].is_null());
    }
    let bnsl = rows.iter().find(|r| r["law"] == "bnsl-5").unwrap();
    assert!(bnsl["reason"]
        .as_str()
        .unwrap()
        .contains("18 parameters but 10 fitted point(s)"));
    // text: the skipped laws are listed with their reason
    slaw()
        .current_dir(dir.path())
        .args([
            "compare",
            "--pick",
            "holdout",
            "--laws",
            "power,bnsl-5",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("skipped: 18 parameters"));
    // nothing held out: ranked by AIC
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "compare",
            "--pick",
            "holdout",
            "--laws",
            "power,vanilla-ft",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--holdout",
            "largest:0",
            "--json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let aic: Vec<f64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["aic"].as_f64().unwrap())
        .collect();
    assert!(aic[0] <= aic[1], "{aic:?}");
    // no law converges (no iteration allowed): exit 3, nothing ranked
    slaw()
        .current_dir(dir.path())
        .args([
            "compare",
            "--pick",
            "holdout",
            "--laws",
            "power,vanilla-ft",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--max-iter",
            "0",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no law converged"));
}

#[test]
fn zero_weights_and_predictions_outside_the_domain_are_errors() {
    let dir = TempDir::new().unwrap();
    let mut s = String::from("D,loss,w\n");
    for k in 0..8 {
        let d = 100.0 * 2f64.powi(k);
        s += &format!("{d},{},0\n", 20.0 / f64::powf(d, 0.3) + 1.5);
    }
    write(dir.path(), "w.csv", &s);
    assert_input_error(
        &[
            "fit", "--law", "power", "--x", "D", "--y", "loss", "--weight", "w", "w.csv",
        ],
        &dir,
        &["w.csv", "every weight is zero"],
    );
    write(dir.path(), "c.csv", &power_csv());
    assert_input_error(
        &[
            "fit",
            "--law",
            "power",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--predict",
            "0",
        ],
        &dir,
        &["cannot predict at x = 0", "'power' needs x > 0"],
    );
}

#[test]
fn fit_gives_extrapolation_intervals_at_the_requested_level() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    let half_width = |level: &str| {
        let out = slaw()
            .current_dir(dir.path())
            .args([
                "fit",
                "--law",
                "power",
                "--x",
                "D",
                "--y",
                "loss",
                "c.csv",
                "--predict",
                "1e6",
                "--level",
                level,
                "--json",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let g = &v["groups"][0];
        assert!(
            g["calibration"]["method"]
                .as_str()
                .unwrap()
                .starts_with("rolling-origin"),
            "{}",
            g["calibration"]["method"]
        );
        assert_eq!(
            g["calibration"]["level"].as_f64().unwrap(),
            level.parse::<f64>().unwrap()
        );
        let p = &g["predictions"][0];
        let (lo, hi, val) = (
            p["extrapolation_interval"]["lo"].as_f64().unwrap(),
            p["extrapolation_interval"]["hi"].as_f64().unwrap(),
            p["value"].as_f64().unwrap(),
        );
        assert!(lo < val && val < hi, "{lo} {val} {hi}");
        (hi / val).ln()
    };
    assert!(half_width("0.5") < half_width("0.9"));
    slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "--law",
            "power",
            "--x",
            "D",
            "--y",
            "loss",
            "c.csv",
            "--predict",
            "1e6",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("extrapolation 95%: ["))
        .stdout(predicate::str::contains("rolling origin"));
}

/// A law fit with as many points as parameters interpolates them: no
/// (zero-width) bootstrap interval is printed for it.
#[test]
fn select_law_fit_with_as_many_points_as_parameters_has_no_interval() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "pool.csv", &pool_long_csv());
    // Rectified law (4 parameters): the zero-shot point and 200, 400, 800.
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "select",
            "pool.csv",
            "--target",
            "204800",
            "--max-n",
            "800",
            "--method",
            "rectified-fit",
            "--json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in v["ranking"].as_array().unwrap() {
        assert!(r["interval"].is_null(), "{r}");
    }
    // One more size: an interval of positive width.
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "select",
            "pool.csv",
            "--target",
            "204800",
            "--max-n",
            "1600",
            "--method",
            "rectified-fit",
            "--json",
            "--bootstrap",
            "50",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let with = v["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["interval"]["hi"].as_f64() > r["interval"]["lo"].as_f64())
        .count();
    assert!(with > 0);
}

/// A plot format slaw cannot write fails at once (exit 2, before any
/// work), for every command with `--plot`.
#[test]
fn unsupported_plot_formats_fail_before_any_work() {
    for args in [
        vec!["demo", "--plot", "x.eps"],
        vec![
            "select",
            "missing.csv",
            "--target",
            "100",
            "--budget",
            "1/8",
            "--plot",
            "x.ps",
        ],
        vec![
            "fit",
            "missing.csv",
            "--law",
            "power",
            "--x",
            "n",
            "--y",
            "l",
            "--plot",
            "x.jpg",
        ],
        vec!["forecast", "missing.csv", "--plot", "x.jpeg"],
    ] {
        slaw()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(".svg, .png or .pdf"));
    }
}

#[test]
fn starts_adaptive_by_default_all_on_request() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    let fit_json = |extra: &[&str]| -> serde_json::Value {
        let out = slaw()
            .current_dir(dir.path())
            .args([
                "fit", "--law", "power", "--x", "D", "--y", "loss", "c.csv", "--json",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["groups"][0]["fit"].clone()
    };
    let adaptive = fit_json(&[]);
    let all = fit_json(&["--starts", "all"]);
    let grid = all["grid_starts"].as_u64().unwrap();
    assert_eq!(grid, 80); // power: 5 x 4 x 4
    assert_eq!(all["n_starts"].as_u64().unwrap(), grid);
    assert_eq!(all["agree_target"].as_u64().unwrap(), 0);
    assert_eq!(adaptive["agree_target"].as_u64().unwrap(), 3);
    let used = adaptive["n_starts"].as_u64().unwrap();
    assert!(used < grid, "{used}");
    assert!(adaptive["n_best"].as_u64().unwrap() >= 3);
    let (a, b) = (
        adaptive["objective"].as_f64().unwrap(),
        all["objective"].as_f64().unwrap(),
    );
    assert!((a - b).abs() <= 1e-6 * b, "{a} vs {b}");
    // The text says how many starts ran and agreed.
    slaw()
        .current_dir(dir.path())
        .args(["fit", "--law", "power", "--x", "D", "--y", "loss", "c.csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("of an 80-start grid"))
        .stdout(predicate::str::contains("(the search stops at 3)"));
    slaw()
        .current_dir(dir.path())
        .args([
            "fit", "--law", "power", "--x", "D", "--y", "loss", "c.csv", "--starts", "0",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--starts"));
}

/// Every fit says why its solver stopped: an iteration limit too small to
/// converge reports "max iterations" (text and JSON) and exits 3.
#[test]
fn fit_reports_its_termination_reason() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "c.csv", &power_csv());
    let args = [
        "fit",
        "--law",
        "power",
        "--x",
        "D",
        "--y",
        "loss",
        "c.csv",
        "--max-iter",
        "1",
    ];
    slaw()
        .current_dir(dir.path())
        .args(args)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("termination: max iterations ("))
        .stderr(predicate::str::contains("did not converge"));
    let out = slaw()
        .current_dir(dir.path())
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["groups"][0]["fit"]["termination"], "max_iterations");
    assert_eq!(v["groups"][0]["fit"]["converged"], false);
}

/// Probe tj 16: `demo --json` carries the true best and the relative
/// accuracy the text prints.
#[test]
fn demo_json_has_the_true_best_and_the_relative_accuracy() {
    let dir = TempDir::new().unwrap();
    let out = slaw()
        .current_dir(dir.path())
        .args(["demo", "--json", "--plot", "demo.svg"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = slaw()
        .current_dir(dir.path())
        .args(["demo", "--plot", "demo.svg"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    let best = v["true_best"].as_str().unwrap();
    let acc = v["relative_accuracy"].as_f64().unwrap();
    assert!(
        text.contains(&format!("true best (lowest noise-free loss): {best};"))
            && text.contains(&format!("(worst - chosen) / (worst - best): {acc:.3}")),
        "{text}"
    );
    assert!(v["ranking"].is_array());
    // Probe nc 3: the noise-free losses both are computed from are printed
    // and in the JSON, and the true best is their minimum.
    let truth = v["noise_free_loss_at_target"].as_object().unwrap();
    let (min_id, min) = truth
        .iter()
        .map(|(k, t)| (k.as_str(), t.as_f64().unwrap()))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    assert_eq!(min_id, best);
    assert!(text.contains(&format!("{min:.6}")), "{text}");
}

/// Probe tj 16: `slaw laws` says why power and reciprocal appear twice, and
/// a grid of one start is "1 start".
#[test]
fn laws_explains_the_two_power_and_reciprocal_laws() {
    let out = slaw().arg("laws").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(" 1 starts"), "{text}");
    assert!(text.contains("default grid: 1 start\n"), "{text}");
    assert!(
        text.contains("power and reciprocal here are forecast's own"),
        "{text}"
    );
}

/// A long curve (20,000 points, every step of a training log) with
/// `--predict`: the extrapolation interval's rolling-origin refits are made
/// on log-spaced bins of each origin's points (as the backtest pick's), and
/// the text and JSON (`calibration.bins`) say so; the interval is within
/// 1% of the one from refits on the points (measured before the bins).
#[test]
fn a_long_curve_s_interval_refits_on_bins_with_a_note() {
    let dir = TempDir::new().unwrap();
    let s = common::long_curve(0..20_000, 100.0, |t| 2.0 + 30.0 * t.powf(-0.4));
    write(dir.path(), "c.csv", &s);
    let args = [
        "fit",
        "c.csv",
        "--law",
        "power",
        "--x",
        "step",
        "--y",
        "loss",
        "--predict",
        "200000",
    ];
    let out = slaw().current_dir(dir.path()).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(
            "(note: over 5000 points, each on 500 bins of its points equally spaced in ln x"
        ),
        "{text}"
    );
    let v = common::json_of(
        &slaw()
            .current_dir(dir.path())
            .args(args)
            .arg("--json")
            .output()
            .unwrap(),
    );
    let s = v.to_string();
    assert!(s.contains("\"bins\":500"), "{s}");
    let p = &v["groups"][0]["predictions"][0];
    let (lo, hi, y) = (
        p["extrapolation_interval"]["lo"].as_f64().unwrap(),
        p["extrapolation_interval"]["hi"].as_f64().unwrap(),
        p["value"].as_f64().unwrap(),
    );
    // The far-end rule holds the truth, narrowly; scoring every later
    // point of this dense curve gave [1.171343, 4.235575].
    let truth = 2.0 + 30.0 * 200_000f64.powf(-0.4);
    assert!(lo < y && y < hi && lo <= truth && truth <= hi, "{p}");
    assert!((hi / lo).ln() < 0.1, "{p}");
}

#[test]
fn a_segment_of_huber_optima_prints_the_range_its_fits_predict_in_any_unit() {
    // A power law through +-2% residuals in a balanced pattern on a
    // doubling ladder: every residual beyond the default delta, a segment
    // of optima. The range of the prediction at 1e7 over it is the same
    // with D in units of 1e-6 (where the search stops on it need not be);
    // least squares has a unique optimum and no range.
    let dir = TempDir::new().unwrap();
    for (name, unit) in [("a.csv", 1.0), ("b.csv", 1e6)] {
        let mut csv = String::from("D,loss\n");
        for k in 0..12 {
            let d = 200.0 * 2f64.powi(k);
            let e = 0.02 * [1.0, -1.0, -1.0, 1.0][k as usize % 4];
            csv += &format!("{},{}\n", d * unit, 3.3 * d.powf(-0.113) * f64::exp(e));
        }
        write(dir.path(), name, &csv);
    }
    let run = |file: &str, at: &str, extra: &[&str]| {
        let mut args = vec![
            "fit",
            file,
            "--formula",
            "A / D^alpha",
            "--params",
            "A,alpha",
            "--log-params",
            "A",
            "--x",
            "D",
            "--y",
            "loss",
            "--predict",
            at,
        ];
        args.extend_from_slice(extra);
        let out = slaw().current_dir(dir.path()).args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let range = |file: &str, at: &str| {
        let v: serde_json::Value = serde_json::from_str(&run(file, at, &["--json"])).unwrap();
        let r = &v["groups"][0]["predictions"][0]["equal_fit_range"];
        let value = v["groups"][0]["predictions"][0]["value"].as_f64().unwrap();
        let (lo, hi) = (r["lo"].as_f64().unwrap(), r["hi"].as_f64().unwrap());
        assert!(lo <= value && value <= hi && hi / lo > 1.01, "{r} {value}");
        (lo, hi)
    };
    let (lo, hi) = range("a.csv", "1e7");
    let (lo6, hi6) = range("b.csv", "1e13");
    assert!((lo6 / lo - 1.0).abs() < 1e-6 && (hi6 / hi - 1.0).abs() < 1e-6);
    let text = run("a.csv", "1e7", &[]);
    assert!(
        text.contains("the Huber optimum is a segment: fits as good predict"),
        "{text}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&run("a.csv", "1e7", &["--json", "--objective", "squared"])).unwrap();
    assert!(v["groups"][0]["predictions"][0]["equal_fit_range"].is_null());
}
