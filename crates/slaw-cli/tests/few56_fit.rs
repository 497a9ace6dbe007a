//! few56: with 4 points `slaw fit --predict` has no extrapolation interval
//! beyond the data, and its bootstrap there covers the points' noise only
//! (probe55 finding 4: 63-73% coverage at "95%"). The text and the JSON say
//! so; a group fit says it per group, with each group's own points.

mod common;

use common::{json_of, slaw, write};
use tempfile::TempDir;

/// 4 points of a power law (probe55's d-power-4-0.01-3.csv).
const FOUR: &str = "x,loss\n1000,3.667856\n2000,3.235268\n4000,2.948087\n8000,2.654484\n";

#[test]
fn four_points_beyond_the_data_label_the_bootstrap_and_say_why_no_predictive_interval() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "four.csv", FOUR);
    let args = [
        "fit",
        f.as_str(),
        "--law",
        "power",
        "--x",
        "x",
        "--y",
        "loss",
        "--predict",
        "32000",
        "--predict",
        "4000",
        "--bootstrap",
        "30",
        "--seed",
        "3",
    ];
    let out = slaw().args(args).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let beyond = text
        .lines()
        .find(|l| l.starts_with("predict x=32000:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        beyond.contains("bootstrap 95% (the points' noise only, not a predictive interval): ["),
        "{beyond}"
    );
    // Inside the data the bootstrap keeps its plain label.
    let inside = text
        .lines()
        .find(|l| l.starts_with("predict x=4000:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(inside.contains("bootstrap 95%: ["), "{inside}");
    assert!(!inside.contains("not a predictive interval"), "{inside}");
    // Said once, with the point count and why.
    assert_eq!(
        text.matches("(no predictive interval outside the data: 4 points for a law of 3 parameters are too few")
            .count(),
        1,
        "{text}"
    );

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let v = json_of(&slaw().args(&json_args).output().unwrap());
    let preds = v["groups"][0]["predictions"].as_array().unwrap();
    let p = &preds[0];
    assert_eq!(p["interval_kind"]["kind"], "bootstrap", "{p}");
    assert!(p["extrapolation_interval"].is_null(), "{p}");
    let why = p["no_predictive_interval"]
        .as_str()
        .unwrap_or_else(|| panic!("{p}"));
    assert!(
        why.starts_with("4 points for a law of 3 parameters"),
        "{why}"
    );
    // inside the data: no such field
    assert!(preds[1]["no_predictive_interval"].is_null(), "{}", preds[1]);
}

/// A group fit: the 4-point group says it, the 10-point group (which has an
/// extrapolation interval) does not.
#[test]
fn a_group_fit_says_it_for_the_short_group_only() {
    let dir = TempDir::new().unwrap();
    let mut s = String::from("model,x,loss\n");
    for k in 0..10 {
        let x = 1000.0 * 2f64.powi(k);
        let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
        s += &format!(
            "long,{x},{}\n",
            (30.0 * x.powf(-0.4) + 1.8) * (1.0 + 0.01 * u)
        );
    }
    for l in FOUR.lines().skip(1) {
        s += &format!("short,{l}\n");
    }
    let f = write(&dir, "groups.csv", &s);
    let v = json_of(
        &slaw()
            .args(["fit", &f, "--law", "power", "--x", "x", "--y", "loss"])
            .args([
                "--group",
                "model",
                "--predict",
                "4096000",
                "--bootstrap",
                "20",
            ])
            .args(["--json"])
            .output()
            .unwrap(),
    );
    let groups = v["groups"].as_array().unwrap();
    let by = |name: &str| {
        groups
            .iter()
            .find(|g| g["group"].as_str() == Some(name) || g["group"].to_string().contains(name))
            .unwrap_or_else(|| panic!("{name}: {v}"))
            .clone()
    };
    let short = by("short");
    let long = by("long");
    let ps = &short["predictions"][0];
    assert!(ps["extrapolation_interval"].is_null(), "{ps}");
    assert!(
        ps["no_predictive_interval"]
            .as_str()
            .is_some_and(|w| w.starts_with("4 points")),
        "{ps}"
    );
    let pl = &long["predictions"][0];
    assert!(!pl["extrapolation_interval"].is_null(), "{pl}");
    assert!(pl["no_predictive_interval"].is_null(), "{pl}");
}
