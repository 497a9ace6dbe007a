//! probe47: what a new user probing `slaw forecast` on training logs found:
//! a diverged run (a NaN loss) refused a whole sweep file, a run that left
//! its forecast's interval was not flagged, and a window too short named no
//! file.

mod common;

use common::{slaw, write};
use predicates::prelude::*;
use tempfile::TempDir;

/// `run,step,loss` rows of L = 8 t^-0.3 + 2 at steps 100, 200, ..., 20000,
/// times a deterministic +-0.5% wiggle, for each run in turn; `cell(run,
/// step, loss)` writes each loss cell.
fn runs(names: &[&str], cell: impl Fn(&str, u64, f64) -> String) -> String {
    let mut s = String::from("run,step,loss\n");
    for r in names {
        for k in 1..=200u64 {
            let t = 100 * k;
            let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
            let l = (8.0 * (t as f64).powf(-0.3) + 2.0) * (1.0 + 0.01 * u);
            s += &format!("{r},{t},{}\n", cell(r, t, l));
        }
    }
    s
}

/// Item 2: run b of three diverged at step 15000 (its loss logged as NaN
/// from there). It is skipped with the file, row and column of its first
/// NaN; a and c are forecast; exit 3, as for any run not forecast. A single
/// curve with a NaN stays an error of the file (exit 2). (fix54: a run whose
/// loss is NaN from some step to its end after the fitted window is forecast
/// from that window; here the window, to step 16000, holds the divergence.)
#[test]
fn a_diverged_run_with_a_nan_loss_is_skipped_not_the_whole_file() {
    let dir = TempDir::new().unwrap();
    let text = runs(&["a", "b", "c"], |r, t, l| {
        if r == "b" && t >= 15000 {
            "nan".into()
        } else {
            l.to_string()
        }
    });
    let f = write(&dir, "sweep.csv", &text);
    // b's step 15000: line 1 the header, a on lines 2-201, b's k = 150 on 351.
    let out = slaw()
        .args([
            "forecast",
            &f,
            "--run-col",
            "run",
            "--fit-until",
            "0.8",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["forecasts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["curve"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "c"]);
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["run"], "b");
    let reason = skipped[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("sweep.csv, row 351, column 'loss': 'nan' is not a finite number")
            && reason.contains("diverged"),
        "{reason}"
    );
    slaw()
        .args(["forecast", &f, "--run-col", "run", "--fit-until", "0.8"])
        .assert()
        .code(3)
        .stdout(
            predicate::str::is_match(r"(?m)^b\s+SKIPPED: .*row 351, column 'loss'")
                .unwrap()
                .and(predicate::str::contains("3 runs: 0 failed, 1 skipped")),
        );
    // One curve: the NaN is an error naming its row (exit 2), as before.
    let one = write(
        &dir,
        "one.csv",
        &runs(&["x"], |_, t, l| {
            if t == 15000 {
                "NaN".into()
            } else {
                l.to_string()
            }
        }),
    );
    slaw()
        .args(["forecast", &one])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "one.csv, row 151, column 'loss': 'NaN' is not a finite number",
        ));
}

/// Item 3: run d follows the law up to step 10000, then its loss grows by
/// (t - 10000) / 5000 (7.2 at step 20000, where the forecast's 90% interval
/// from the first 20% tops at about 3.6). Its forecast carries a warning
/// that the observed loss lies above the interval; run ok's does not; with
/// no interval (no bootstrap) nothing is said.
#[test]
fn an_observed_loss_outside_the_interval_is_flagged() {
    let dir = TempDir::new().unwrap();
    let text = runs(&["d", "ok"], |r, t, l| {
        if r == "d" && t > 10000 {
            (l * (1.0 + (t as f64 - 10000.0) / 5000.0)).to_string()
        } else {
            l.to_string()
        }
    });
    let f = write(&dir, "monitor.csv", &text);
    let out = slaw()
        .args(["forecast", &f, "--run-col", "run", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warned = |i: usize| -> Vec<String> {
        v["forecasts"][i]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_string())
            .filter(|w| w.contains("outside the forecast's 90% interval"))
            .collect()
    };
    let d = warned(0);
    assert_eq!(d.len(), 1, "{:?}", v["forecasts"][0]["warnings"]);
    assert!(
        d[0].contains("step 20000") && d[0].contains("above"),
        "{}",
        d[0]
    );
    assert!(warned(1).is_empty(), "{:?}", v["forecasts"][1]["warnings"]);
    slaw()
        .args(["forecast", &f, "--run-col", "run"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "2 runs: 0 failed, 1 with warnings",
        ));
    let none = slaw()
        .args([
            "forecast",
            &f,
            "--run-col",
            "run",
            "--bootstrap",
            "0",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(none.status.success());
    assert!(!String::from_utf8_lossy(&none.stdout).contains("outside the forecast's"));
}

/// Item 7a: a window too short for the law, in a single curve, named no
/// file ("error: 3 points to fit the reciprocal law's 3 parameters").
#[test]
fn a_window_too_short_names_the_file() {
    let dir = TempDir::new().unwrap();
    let f = write(
        &dir,
        "short.csv",
        "step,loss\n100,4\n200,3.6\n300,3.4\n400,3.3\n500,3.2\n600,3.15\n",
    );
    slaw()
        .args(["forecast", &f, "--fit-until", "0.5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "short.csv: 3 points to fit the reciprocal law's 3 parameters",
        ));
}

/// Item 7f: `forecast --help` said the loss column defaults to "loss" and
/// the learning rate to "lr", but the reader also finds "train_loss" /
/// "train/loss" and "learning_rate" / "train/learning_rate"; the help names
/// them, and a file with only those columns forecasts with both.
#[test]
fn the_help_names_the_columns_the_reader_finds() {
    let help = slaw().args(["forecast", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for name in [
        "train_loss",
        "train/loss",
        "learning_rate",
        "train/learning_rate",
    ] {
        assert!(help.contains(&format!("\"{name}\"")), "{name}: {help}");
    }
    let dir = TempDir::new().unwrap();
    let mut csv = String::from("step,train_loss,learning_rate\n");
    for k in 1..=100u64 {
        let t = 100.0 * k as f64;
        csv += &format!("{t},{},3e-4\n", 8.0 * t.powf(-0.3) + 2.0);
    }
    let f = write(&dir, "hf.csv", &csv);
    let out = slaw()
        .args(["forecast", &f, "--json", "--bootstrap", "0"])
        .output()
        .unwrap();
    let v = common::json_of(&out);
    assert_eq!(v["fit_points"], 20, "{v}");
    assert!(
        v["decay"].is_object(),
        "the learning rate was not read: {v}"
    );
}

/// Item 7k: a sweep whose run columns leave two runs under one name (as the
/// public (Mis)Fitting file does with model, peak_lr, sweep, total_steps:
/// step 250 after 256) read "steps must increase (250 follows 256)" and no
/// more; the error says the two causes (since probe52: naming the run and
/// both rows; among several runs such a run is skipped, `lead52_runs`).
#[test]
fn steps_that_go_back_say_why_they_might() {
    let dir = TempDir::new().unwrap();
    let text = runs(&["a"], |_, _, l| l.to_string())
        + &runs(&["a"], |_, _, l| l.to_string()).replace("run,step,loss\n", "");
    let f = write(&dir, "merged.csv", &text);
    slaw()
        .args(["forecast", &f, "--run-col", "run"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains(
                "merged.csv, row 202, column 'step': run 'a': steps must increase (100 follows 20000 of row 201)",
            )
            .and(predicate::str::contains("two runs share this run's key"))
            .and(predicate::str::contains("sort them by step")),
        );
}
