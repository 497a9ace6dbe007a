//! Findings of the fuzzing probe (probe_fz) on `slaw schedule` and `slaw
//! forecast`: what-if intervals in ln L, too few replicates refused, a
//! peak rate outside the runs, the log law past its zero, forecasts before
//! the first fitted step, a flat curve, levels printed with their digits.

mod common;

use assert_cmd::Command;
use common::{json_of, shared};
use predicates::prelude::*;
use slaw::joint::published::{generate, noise_sd, to_csv, EN_DE};
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

fn multipower(size: &str, name: &str) -> Option<String> {
    shared(&format!("loss-curves/multipower/{size}"))
        .map(|d| d.join(format!("{name}.csv")).display().to_string())
}

/// Every point of every predicted schedule: an interval, when given, lies
/// around the prediction with a lower end >= 0 (0 where refits predict no
/// positive loss); a prediction that is not > 0 has none. Returns the
/// points with an interval, without one, and with a lower end of 0.
fn check_points(v: &serde_json::Value) -> (usize, usize, usize) {
    let (mut with, mut without, mut zero) = (0, 0, 0);
    for p in v["predictions"].as_array().unwrap() {
        for q in p["points"].as_array().unwrap() {
            let loss = q["loss"].as_f64().unwrap();
            match (q["lo"].as_f64(), q["hi"].as_f64()) {
                (Some(lo), Some(hi)) => {
                    assert!(loss > 0.0, "{q}");
                    assert!(0.0 <= lo && lo <= loss && loss <= hi, "{q}");
                    with += 1;
                    zero += usize::from(lo == 0.0);
                }
                _ => {
                    assert!(loss <= 0.0, "a positive prediction without interval: {q}");
                    without += 1;
                }
            }
        }
    }
    (with, without, zero)
}

/// probe_fz 1: two runs of different sizes gave 3.2750 [-0.5187, 7.0687]
/// (85 of 547 lower ends below 0): the errors were added in linear space.
#[test]
fn schedule_intervals_are_widened_in_ln_loss() {
    let (Some(a), Some(b)) = (
        multipower("25", "cosine_24000"),
        multipower("100", "wsdcon_18"),
    ) else {
        return;
    };
    let out = slaw()
        .args(["schedule", &a, &b, "--json"])
        .args(["--predict", "cosine:peak=3e-4,total=72000,warmup=2160"])
        .output()
        .unwrap();
    let v = json_of(&out);
    let (with, without, zero) = check_points(&v);
    assert!(
        with > 500 && without == 0 && zero == 0,
        "{with} {without} {zero}"
    );
}

/// probe_fz 1: a peak learning rate 33x the runs' gave a loss of -0.7646
/// with a tight interval below 0, and nothing said the peak was outside
/// the runs.
#[test]
fn schedule_says_a_peak_outside_the_runs_and_gives_no_interval_below_zero() {
    let runs: Option<Vec<String>> = ["constant_24000", "cosine_24000", "wsdcon_9"]
        .iter()
        .map(|n| multipower("25", n))
        .collect();
    let Some(runs) = runs else {
        return;
    };
    let out = slaw()
        .arg("schedule")
        .args(&runs)
        .args([
            "--predict",
            "cosine:peak=1e-2,final=3e-5,total=24000,warmup=2160",
            "--json",
        ])
        .output()
        .unwrap();
    let v = json_of(&out);
    let w = v["warnings"].to_string();
    assert!(
        w.contains("peaks at a learning rate of 0.01, 33.3x above the fitted runs' peak (3e-4)"),
        "{w}"
    );
    assert!(
        w.contains("predicts a loss that is not > 0") && w.contains("43 of its 172 points"),
        "{w}"
    );
    let (with, without, _) = check_points(&v);
    assert!(with > 0 && without == 43, "{with} {without}");
    // The runs' own peak: no warning about it.
    let out = slaw()
        .arg("schedule")
        .args(&runs)
        .args([
            "--predict",
            "cosine:peak=3e-4,final=3e-5,total=72000,warmup=2160",
            "--json",
        ])
        .output()
        .unwrap();
    let v = json_of(&out);
    assert!(!v["warnings"].to_string().contains("peaks at"), "{v}");
    assert_eq!(check_points(&v), (547, 0, 0));
}

/// probe_fz 2: `--bootstrap 1` gave 3.1941 [3.1436, 3.1941] (the prediction
/// the upper end, widened on one side only); `schedule` and `forecast` took
/// fewer replicates than the level needs, which fit, select, methods and
/// allocate refuse.
#[test]
fn too_few_replicates_are_refused_and_the_prediction_lies_inside() {
    let runs: Option<Vec<String>> = ["constant_24000", "cosine_24000", "wsdcon_9"]
        .iter()
        .map(|n| multipower("25", n))
        .collect();
    let Some(runs) = runs else {
        return;
    };
    let spec = "cosine:peak=3e-4,final=3e-5,total=72000,warmup=2160";
    slaw()
        .arg("schedule")
        .args(&runs)
        .args(["--predict", spec, "--bootstrap", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--bootstrap: 1 replicate(s) are too few for a 90% percentile interval: at least 10",
        ));
    slaw()
        .args(["forecast", &runs[1], "--bootstrap", "2", "--level", "0.95"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--bootstrap: 2 replicate(s)")
                .and(predicate::str::contains("at least 20")),
        );
    // The fewest the level allows: both ends away from the prediction at
    // every point (the transfer and extrapolation errors widen both).
    let out = slaw()
        .arg("schedule")
        .args(&runs)
        .args(["--predict", spec, "--bootstrap", "10", "--json"])
        .output()
        .unwrap();
    let v = json_of(&out);
    for q in v["predictions"][0]["points"].as_array().unwrap() {
        let (lo, loss, hi) = (
            q["lo"].as_f64().unwrap(),
            q["loss"].as_f64().unwrap(),
            q["hi"].as_f64().unwrap(),
        );
        assert!(0.0 < lo && lo < loss && loss < hi, "{q}");
    }
}

/// probe_fz 4: the log law past the step where a - b ln t reaches 0 gave
/// -0.7454 [-0.7540, -1.0440] (reversed), exit 0. (The window: 0.3 of the
/// last step, where it was found; a fraction is now of the logged span,
/// probe47 7e.)
#[test]
fn the_log_law_is_refused_past_its_zero() {
    let Some(f) = multipower("25", "cosine_24000") else {
        return;
    };
    let run = |at: &str| {
        slaw()
            .args([
                "forecast",
                &f,
                "--fit-until",
                "step:7176",
                "--method",
                "log",
            ])
            .args(["--at", at])
            .output()
            .unwrap()
    };
    let out = run("1e9");
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("--at: the log law fitted on the window")
            && e.contains("reaches 0 at step 1.25379e8"),
        "{e}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());
    // Before its zero: a positive forecast inside its interval.
    let out = slaw()
        .args([
            "forecast",
            &f,
            "--fit-until",
            "step:7176",
            "--method",
            "log",
        ])
        .args(["--at", "1e7", "--json"])
        .output()
        .unwrap();
    let v = json_of(&out);
    let p = &v["forecasts"][0];
    let (lo, loss, hi) = (
        p["lo"].as_f64().unwrap(),
        p["loss"].as_f64().unwrap(),
        p["hi"].as_f64().unwrap(),
    );
    assert!(0.0 < lo && lo <= loss && loss <= hi, "{p}");
}

/// probe_fz 18: `forecast --at` before the curve's first step forecast
/// backwards with no warning; `schedule` warns in the same case, and both
/// now say it in the same words.
#[test]
fn a_forecast_before_the_first_fitted_step_is_warned() {
    let Some(f) = multipower("25", "cosine_24000") else {
        return;
    };
    let out = slaw()
        .args(["forecast", &f, "--fit-until", "0.3", "--bootstrap", "0"])
        .args(["--at", "100", "5000", "--json"])
        .output()
        .unwrap();
    let v = json_of(&out);
    let w = v["warnings"].to_string();
    assert!(
        w.contains(
            "the forecast at step 100, before the curve's first fitted step (2160): its \
             prediction extrapolates the law backwards, where it was not fitted"
        ),
        "{w}"
    );
    assert!(!w.contains("5000"), "{w}");
    // Inside the data: no such warning.
    let out = slaw()
        .args(["forecast", &f, "--fit-until", "0.3", "--bootstrap", "0"])
        .args(["--at", "5000", "--json"])
        .output()
        .unwrap();
    assert!(!json_of(&out)["warnings"].to_string().contains("backwards"));
}

/// A curve with a cosine schedule and the loss `loss(step)`.
fn curve_file(dir: &TempDir, loss: impl Fn(f64) -> f64) -> String {
    let mut t = String::from("step,lr,loss\n");
    for i in 0..120 {
        let s = 200.0 * (i + 1) as f64;
        let lr = 3e-5 + 0.5 * (3e-4 - 3e-5) * (1.0 + (std::f64::consts::PI * s / 24000.0).cos());
        t += &format!("{s},{lr},{}\n", loss(s));
    }
    let p = dir.path().join("curve.csv");
    fs::write(&p, t).unwrap();
    p.display().to_string()
}

/// probe_fz 20: a flat curve was "NOT CONVERGED", exit 3, in `forecast`
/// (auto's warm start alone), with the right forecast, where `fit` and
/// `forecast --method reciprocal` converge.
#[test]
fn a_flat_curve_converges_with_a_note() {
    let dir = TempDir::new().unwrap();
    let f = curve_file(&dir, |_| 2.0);
    let out = slaw()
        .args(["forecast", &f, "--fit-until", "0.3", "--json"])
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(v["converged"], true, "{v}");
    // The flat value, moved by the decay ahead (the cosine's rate is not
    // pinned by the window: auto's reciprocal is moved by the decay prior's
    // median, inside the prior's range; auto73).
    let t = &v["decay_term"];
    let z = (v["forecasts"][0]["loss"].as_f64().unwrap() / 2.0).ln()
        / t["decay_ahead"].as_f64().unwrap();
    let (zl, zh) = (
        t["per_unit_decay"][0].as_f64().unwrap(),
        t["per_unit_decay"][1].as_f64().unwrap(),
    );
    assert!(zl <= z && z < 0.0 && z <= zh, "{z} {t}");
    assert!(v["unpinned_decay"].is_string(), "{v}");
    let w = v["warnings"].to_string();
    assert!(
        w.contains("the loss is flat in the fitted window (all 36 fitted losses are 2)")
            && w.contains(
                "the forecast holds the flat value, moved beyond the window by the decay ahead"
            ),
        "{w}"
    );
    // A falling curve: no such note.
    let f = curve_file(&dir, |s| 2.0 + 3.0 * (s / 200.0).powf(-0.3));
    let out = slaw()
        .args(["forecast", &f, "--fit-until", "0.3", "--json"])
        .output()
        .unwrap();
    assert!(!json_of(&out)["warnings"].to_string().contains("flat"));
}

/// probe_fz 23: forecast, schedule and methods wrote the level as `{:.0}%`
/// (97.5% read "98%" or "97%", 1e-9 read "0%"); every command writes it
/// with its digits (`numbers::percent`).
#[test]
fn levels_are_printed_with_their_digits() {
    let dir = TempDir::new().unwrap();
    let f = curve_file(&dir, |s| 2.0 + 3.0 * (s / 200.0).powf(-0.3));
    slaw()
        .args(["forecast", &f, "--fit-until", "0.5", "--level", "0.975"])
        .assert()
        .success()
        .stdout(predicate::str::contains("intervals: 97.5% "));
    slaw()
        .args(["forecast", &f, "--fit-until", "0.5", "--level", "1e-9"])
        .args(["--bootstrap", "20"])
        .assert()
        .success()
        .stdout(predicate::str::contains("intervals: 0.0000001% "));
    // `fit` wrote 0.975 as "98%" in its bootstrap line, `select` as "97.5%".
    slaw()
        .args(["fit", &f, "--law", "power", "--x", "step", "--y", "loss"])
        .args(["--level", "0.975", "--bootstrap", "40"])
        .assert()
        .success()
        .stdout(predicate::str::contains("intervals: 97.5% bootstrap"));
    let runs = curve_file(&dir, |s| 2.0 + 3.0 * (s / 200.0).powf(-0.3));
    slaw()
        .args(["schedule", &runs, "--level", "0.975", "--bootstrap", "40"])
        .args(["--predict", "constant:peak=3e-4", "--steps", "24000"])
        .assert()
        .stdout(predicate::str::contains("intervals: 97.5%, bootstrap"));
    let joint = dir.path().join("runs.csv");
    fs::write(&joint, to_csv(&generate(&EN_DE, noise_sd(0.005), 2))).unwrap();
    slaw()
        .args(["methods", joint.to_str().unwrap()])
        .args(["--factor", "model_size", "--factor", "pretrain_tokens"])
        .args([
            "--at",
            "model_size=8e9",
            "--data",
            "3e3",
            "--bootstrap",
            "20",
        ])
        .args(["--level", "1e-9"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0.0000001% refit bootstrap"));
}
