//! `slaw compare --pick backtest`: the backtest pick for extrapolating a
//! learning curve (issue 14).

mod common;
use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

/// 16 points of a power law with a little deterministic wiggle, two groups.
fn curves_csv() -> String {
    let mut s = String::from("D,N,loss,run\n");
    for (run, a) in [("a", 0.3), ("b", 0.5)] {
        for k in 0..16 {
            let d = 100.0 * 1.6f64.powi(k);
            let wiggle = 1.0 + 0.002 * ((k * 7 % 5) as f64 - 2.0);
            s += &format!("{d},{},{},{run}\n", 1e6, (20.0 / d.powf(a) + 1.5) * wiggle);
        }
    }
    s
}

/// A fresh folder holding [`curves_csv`] as `c.csv`.
fn curves_dir() -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("c.csv"), curves_csv()).unwrap();
    dir
}

/// `slaw compare ARGS c.csv --json` in `dir`; asserts success (showing
/// stderr otherwise) and returns the JSON.
fn compare_json(dir: &TempDir, args: &[&str]) -> serde_json::Value {
    let out = slaw()
        .current_dir(dir.path())
        .arg("compare")
        .args(args)
        .args(["c.csv", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn backtest_pick_weights_eligible_laws_per_group() {
    let dir = curves_dir();
    let v = compare_json(
        &dir,
        &[
            "--laws",
            "power,vanilla-ft,m4,bnsl-5,chinchilla",
            "--x",
            "D",
            "--y",
            "loss",
            "--group",
            "run",
            "--pick",
            "backtest",
        ],
    );
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    for g in groups {
        assert!(g["choice"].is_string(), "{g}");
        let laws = g["laws"].as_array().unwrap();
        assert_eq!(laws.len(), 4, "chinchilla (two inputs) is skipped: {g}");
        let total: f64 = laws.iter().map(|l| l["weight"].as_f64().unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        // bnsl-5 (18 parameters, 16 points) is reported, never weighted
        let bnsl = laws.iter().find(|l| l["law"] == "bnsl-5").unwrap();
        assert_eq!(bnsl["weight"].as_f64().unwrap(), 0.0);
        assert!(bnsl["reason"].is_string());
    }
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["law"], "chinchilla");
    // text
    slaw()
        .current_dir(dir.path())
        .args([
            "compare",
            "--laws",
            "power,m4",
            "--x",
            "D",
            "--y",
            "loss",
            "--group",
            "run",
            "--pick",
            "backtest",
            "c.csv",
            "--verbose",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("prediction: "))
        .stdout(predicate::str::contains("pick: "))
        // a two-law blend names both laws and their weights
        .stdout(
            predicate::str::is_match(
                r"pick: \S+ \(weight 0\.\d{3}\), blended with \S+ \(0\.\d{3}\)",
            )
            .unwrap(),
        )
        .stdout(predicate::str::contains("err@0.75"));
}

#[test]
fn backtest_pick_needs_one_input_and_a_converged_law() {
    let dir = curves_dir();
    slaw()
        .current_dir(dir.path())
        .args([
            "compare",
            "--laws",
            "chinchilla",
            "--x",
            "N,D",
            "--y",
            "loss",
            "--pick",
            "backtest",
            "c.csv",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs one input"));
    slaw()
        .current_dir(dir.path())
        .args([
            "compare",
            "--laws",
            "power",
            "--x",
            "D",
            "--y",
            "loss",
            "--group",
            "run",
            "--pick",
            "backtest",
            "--max-iter",
            "0",
            "c.csv",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no law was eligible"));
}

/// M4 fitted by its authors' procedure is a law of the pick when named
/// (`m4-authors-capped`, as in the shipped pool): fitted and backtested like
/// the catalog laws, reported with its parameters.
#[test]
fn backtest_pick_fits_m4_by_its_authors_procedure_when_named() {
    let dir = curves_dir();
    let v = compare_json(
        &dir,
        &[
            "--laws",
            "power,vanilla-ft,m4-authors-capped",
            "--x",
            "D",
            "--y",
            "loss",
            "--group",
            "run",
        ],
    );
    for g in v["groups"].as_array().unwrap() {
        let laws = g["laws"].as_array().unwrap();
        assert_eq!(laws.len(), 3, "{g}");
        let m4 = laws
            .iter()
            .find(|l| l["law"] == "m4-authors-capped")
            .unwrap();
        assert!(m4["converged"].as_bool().unwrap(), "{m4}");
        assert!(m4["score"].as_f64().unwrap().is_finite(), "{m4}");
        assert_eq!(m4["params"].as_array().unwrap().len(), 5, "{m4}");
        let total: f64 = laws.iter().map(|l| l["weight"].as_f64().unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
    }
}

/// The default `--laws` (with `m4-authors-capped`) rank by hold-out too:
/// with two input columns (the pool's one-input laws all skipped for their
/// inputs: nothing to rank, exit 3) and with `--pick holdout` /
/// `--holdout largest:0` on one input (M4 by its authors' procedure skipped
/// with the reason); an unknown name is reported as `--laws`' value (compare
/// has no --law / --formula).
#[test]
fn holdout_ranking_resolves_the_default_laws() {
    let dir = curves_dir();
    let pool = "power,vanilla-ft,rectified,bnsl,m4-authors-capped";
    for args in [
        &[
            "--x", "D,N", "--y", "loss", "--group", "run", "--laws", pool,
        ][..],
        &[
            "--x", "D", "--y", "loss", "--group", "run", "--pick", "holdout",
        ],
        &[
            "--x",
            "D",
            "--y",
            "loss",
            "--group",
            "run",
            "--holdout",
            "largest:0",
        ],
    ] {
        let out = slaw()
            .current_dir(dir.path())
            .arg("compare")
            .args(args)
            .args(["c.csv", "--json"])
            .output()
            .unwrap();
        let two_inputs = args[1] == "D,N";
        assert_eq!(
            out.status.code(),
            Some(if two_inputs { 3 } else { 0 }),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let laws = v.as_array().unwrap();
        assert_eq!(laws.len(), 5, "{v}");
        let m4 = laws
            .iter()
            .find(|l| l["law"] == "m4-authors-capped")
            .unwrap_or_else(|| panic!("{args:?}: {v}"));
        assert_eq!(m4["status"], "skipped", "{m4}");
        assert!(m4["reason"].as_str().unwrap().len() > 10, "{m4}");
        assert_eq!(laws.iter().any(|l| l["rank"] == 1), !two_inputs, "{v}");
    }
    // Without --laws, two input columns compare the catalog's laws of two
    // inputs (the learning-curve pool takes one).
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "compare", "c.csv", "--x", "D,N", "--y", "loss", "--group", "run",
        ])
        .arg("--json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["law"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"chinchilla"), "{names:?}");
    assert!(!names.contains(&"power"), "{names:?}");
    slaw()
        .current_dir(dir.path())
        .args([
            "compare",
            "c.csv",
            "--x",
            "D",
            "--y",
            "loss",
            "--laws",
            "power,nope",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--laws: unknown law 'nope'"))
        .stderr(predicate::str::contains("m4-authors-capped"))
        .stderr(predicate::str::contains("--formula").not());
}

/// `--predict`: the backtest pick's prediction per group and value of x, in
/// text and JSON; near the data it is near the curve (the truth is
/// 20 / D^a + 1.5); a hold-out ranking refuses it.
#[test]
fn the_pick_predicts_at_the_values_asked() {
    let dir = curves_dir();
    let last = 100.0 * 1.6f64.powi(15);
    let at = format!("{last},{}", 10.0 * last);
    let v = compare_json(
        &dir,
        &[
            "--x",
            "D",
            "--y",
            "loss",
            "--group",
            "run",
            "--predict",
            &at,
        ],
    );
    let p = v["predictions"].as_array().unwrap();
    assert_eq!(p.len(), 4, "{v}");
    for q in p {
        let a = if q["group"] == "a" { 0.3 } else { 0.5 };
        let x = q["x"].as_f64().unwrap();
        let truth = 20.0 / x.powf(a) + 1.5;
        let got = q["loss"].as_f64().unwrap();
        assert!((got / truth - 1.0).abs() < 0.05, "{q}: truth {truth}");
    }
    slaw()
        .current_dir(dir.path())
        .args([
            "compare", "c.csv", "--x", "D", "--y", "loss", "--group", "run",
        ])
        .args(["--predict", &at])
        .assert()
        .success()
        .stdout(predicate::str::contains("prediction (a) at x = "));
    slaw()
        .current_dir(dir.path())
        .args([
            "compare", "c.csv", "--x", "D", "--y", "loss", "--pick", "holdout",
        ])
        .args(["--predict", &at])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--predict: only the backtest pick",
        ));
}

/// A law named twice in `--laws` is an error naming the flag (it was
/// fitted twice and weighed twice in the pick, and the holdout ranking
/// listed it twice).
#[test]
fn a_law_named_twice_is_an_error() {
    let dir = curves_dir();
    for pick in ["backtest", "holdout"] {
        slaw()
            .current_dir(dir.path())
            .args([
                "compare", "c.csv", "--x", "D", "--y", "loss", "--pick", pick,
            ])
            .args(["--laws", "power,vanilla-ft,power"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "--laws: law 'power' is named twice",
            ));
    }
}

/// A long training log (20,000 steps, every step logged): the pick fits
/// each law on 500 log-spaced bins of the points, says so in a note (JSON
/// `bins`), and still backtests every law of its default pool (M4 by its
/// authors' procedure included, which on the points costs some 1.5 ms per
/// point and fit: about 90 s here).
#[test]
fn a_long_curve_is_fitted_on_bins_with_a_note() {
    let dir = TempDir::new().unwrap();
    let s = common::long_curve(0..20_000, 100.0, |t| 2.0 + 30.0 * t.powf(-0.4));
    fs::write(dir.path().join("c.csv"), s).unwrap();
    let out = slaw()
        .current_dir(dir.path())
        .args(["compare", "c.csv", "--x", "step", "--y", "loss"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("note: 20000 points (over 5000): every fit")
            && text.contains("500 bins of the points equally spaced in ln x"),
        "{text}"
    );
    let v = compare_json(&dir, &["--x", "step", "--y", "loss"]);
    let pick = &v["groups"][0];
    assert_eq!(pick["bins"], 500, "{pick}");
    let laws = pick["laws"].as_array().unwrap();
    assert_eq!(laws.len(), 5);
    for l in laws {
        assert!(l["score"].as_f64().is_some(), "{l}");
    }
}

/// probe47 7j: two --predict points on adjacent lines read in two formats
/// ("x = 1000000" beside "x = 1.00000e12"); each is now the CLI's number
/// for people, 1e6 and 1e12 alike.
#[test]
fn compare_labels_its_predict_points_in_one_format() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut csv = String::from("x,loss\n");
    for i in 0..12 {
        let x = 1e3 * 2f64.powi(i);
        csv += &format!("{x},{}\n", 5.0 * x.powf(-0.3) + 1.5);
    }
    std::fs::write(dir.path().join("c.csv"), csv).unwrap();
    let out = Command::cargo_bin("slaw")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "compare",
            "c.csv",
            "--x",
            "x",
            "--y",
            "loss",
            "--predict",
            "1e6,1e12",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("prediction at x = 1e6: "), "{text}");
    assert!(text.contains("prediction at x = 1e12: "), "{text}");
}
