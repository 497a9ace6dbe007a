//! probe52 finding 5: with `forecast --run-col`, a run whose steps do not
//! increase (two runs under one key, or rows out of order) is skipped with
//! a reason naming the run and both rows, and the other runs are forecast
//! (exit 3), as a diverged run is; with a single run it stays an error of
//! the file, worded for a run column that was given.

mod common;

use common::{slaw, write};
use tempfile::TempDir;

/// Runs of 20 steps of 2 + 3 / (1 + t / 500); run `bad` logs `dup_at`
/// twice when given.
fn runs(names: &[&str], dup_at: Option<u32>) -> String {
    let mut s = String::from("run,step,loss\n");
    for &r in names {
        for k in 1..=20u32 {
            let t = 100.0 * k as f64;
            let row = format!("{r},{t},{:.6}\n", 2.0 + 3.0 / (1.0 + t / 500.0));
            s.push_str(&row);
            if r == "bad" && Some(k) == dup_at {
                s.push_str(&row);
            }
        }
    }
    s
}

#[test]
fn a_run_with_a_repeated_step_is_skipped_and_the_others_forecast() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "runs.csv", &runs(&["bad", "good"], Some(12)));
    let out = slaw()
        .args(["forecast", &f, "--run-col", "run", "--fit-until", "0.5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let skip = text
        .lines()
        .find(|l| l.starts_with("bad"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(skip.contains("SKIPPED"), "{skip}");
    // the run, both rows (the repeat is line 14 of the file, its first line 13)
    assert!(skip.contains("run 'bad'"), "{skip}");
    assert!(
        skip.contains("row 14") && skip.contains("of row 13"),
        "{skip}"
    );
    assert!(skip.contains("two runs share this run's key"), "{skip}");
    assert!(!skip.contains("need a run column"), "{skip}");
    let good = text.lines().find(|l| l.starts_with("good")).unwrap();
    assert!(!good.contains("SKIPPED"), "{good}");
    // JSON: the skipped run with its reason, the other forecast
    let out = slaw()
        .args([
            "forecast",
            &f,
            "--run-col",
            "run",
            "--fit-until",
            "0.5",
            "--json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["skipped"][0]["run"], "bad");
    assert!(v["skipped"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("steps must increase"));
    assert_eq!(v["forecasts"].as_array().unwrap().len(), 1);
}

#[test]
fn one_run_with_a_repeated_step_is_an_error_naming_its_run() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "one.csv", &runs(&["bad"], Some(5)));
    let out = slaw()
        .args(["forecast", &f, "--run-col", "run", "--fit-until", "0.5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("one.csv, row 7, column 'step'"), "{err}");
    assert!(
        err.contains("run 'bad'") && err.contains("of row 6"),
        "{err}"
    );
    assert!(!err.contains("need a run column"), "{err}");
}

#[test]
fn the_closing_line_names_at_most_five_runs() {
    let dir = TempDir::new().unwrap();
    let names: Vec<String> = (0..8).map(|k| format!("short{k}")).collect();
    let mut s = String::from("run,step,loss\n");
    for n in &names {
        for t in [100, 200] {
            s.push_str(&format!("{n},{t},3.0\n"));
        }
    }
    s.push_str(&runs(&["good"], None)[14..]);
    let f = write(&dir, "many.csv", &s);
    let out = slaw()
        .args(["forecast", &f, "--run-col", "run", "--fit-until", "0.5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("runs not forecast (5 of 8: short0,"), "{err}");
    assert!(!err.contains("short7"), "{err}");
}
