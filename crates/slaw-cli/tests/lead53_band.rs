//! `fit --predict` beyond the data with a bootstrap: the extrapolation
//! interval holds the bootstrap band where the band reaches further, and
//! the text and JSON say so. On a real fine-tuning curve (FLAN,
//! LaMini-GPT-124M, sizes 200..25600, extrapolated 64x) the rectified
//! law's bootstrap band reaches above the backtest interval.

mod common;

use assert_cmd::Command;
use common::{flan_curve, json_of};
use std::fs;
use tempfile::TempDir;

#[test]
fn beyond_the_data_the_interval_holds_the_bootstrap_band() {
    let Some((csv, _)) = flan_curve("MBZUAI/LaMini-GPT-124M") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("curve.csv");
    fs::write(&f, csv).unwrap();
    let run = |json: bool| {
        let mut c = Command::cargo_bin("slaw").unwrap();
        c.args(["fit", f.to_str().unwrap(), "--x", "n", "--law", "rectified"])
            .args([
                "--predict",
                "1638400",
                "--bootstrap",
                "200",
                "--level",
                "0.9",
            ]);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let v = json_of(&run(true));
    let p = &v["groups"][0]["predictions"][0];
    let (band, iv) = (&p["interval"], &p["extrapolation_interval"]);
    let f64_of = |v: &serde_json::Value| v.as_f64().unwrap();
    assert_eq!(p["extrapolation_interval_kind"]["kind"], "backtest", "{p}");
    assert!(f64_of(&iv["lo"]) <= f64_of(&band["lo"]), "{p}");
    assert!(f64_of(&iv["hi"]) >= f64_of(&band["hi"]), "{p}");
    assert_eq!(p["widened_to_bootstrap"], true, "{p}");
    // the band's upper end is the interval's: the band reached further
    assert_eq!(f64_of(&iv["hi"]), f64_of(&band["hi"]), "{p}");
    let out = run(false);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 of these extrapolation intervals widened to hold the bootstrap band"),
        "{text}"
    );
}
