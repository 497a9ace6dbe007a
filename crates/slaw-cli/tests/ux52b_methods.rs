//! ux52b, probe52 finding 13: `methods`' warning that the setting lies far
//! outside the runs comes right under the recommendation, with a units
//! hint, and is not repeated at the end.

use assert_cmd::Command;
use slaw::joint::published::{generate, noise_sd, to_csv, EN_DE};
use std::fs;
use tempfile::TempDir;

#[test]
fn setting_warning_under_the_recommendation_with_a_units_hint() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("runs.csv");
    fs::write(&f, to_csv(&generate(&EN_DE, noise_sd(0.005), 2))).unwrap();
    let run = |at: &str| {
        let out = Command::cargo_bin("slaw")
            .unwrap()
            .args(["methods", f.to_str().unwrap()])
            .args(["--factor", "model_size", "--factor", "pretrain_tokens"])
            .args(["--at", at, "--data", "3e3", "--bootstrap", "20"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = run("model_size=8");
    let lines: Vec<&str> = text.lines().collect();
    let rec = lines
        .iter()
        .position(|l| l.starts_with("recommended:"))
        .unwrap_or_else(|| panic!("{text}"));
    let w = lines[rec + 1];
    assert!(
        // 1.25e8x: a distance past a millionfold reads in decades.
        w.starts_with("warning: model_size = 8 is 8.1 decades below the smallest value"),
        "{text}"
    );
    assert!(
        w.contains("(a unit mistake? the runs' model_size is in ["),
        "{w}"
    );
    assert_eq!(
        text.matches("below the smallest value").count(),
        1,
        "{text}"
    );
    // inside the runs: no such warning
    let text = run("model_size=8e9");
    assert!(!text.contains("a unit mistake"), "{text}");
}
