//! probe44's forecast-side items: a parameter on the scale-free search's
//! bound, step-only laws before a decay, a single run's what-if intervals,
//! the temporal law's interval kind and an all-zero learning rate.

mod common;
use common::warnings;

use common::{json_of, shared, slaw, write};
use predicates::prelude::*;
use std::fs;
use tempfile::TempDir;

/// `slaw forecast FILE ARGS --json`, parsed.
fn forecast_json(file: &str, args: &[&str]) -> serde_json::Value {
    json_of(
        &slaw()
            .args(["forecast", file])
            .args(args)
            .arg("--json")
            .output()
            .unwrap(),
    )
}

/// probe44 item 3: a pure power curve (no floor) fits E, or tissue's L0,
/// on the floor of the scale-free search, whose bound follows the loss's
/// unit; it is flagged whatever the unit (it was only where the scaled
/// bound happened to equal the nominal one).
#[test]
fn a_loss_floor_on_the_search_bound_is_flagged_in_any_unit_of_the_loss() {
    let dir = TempDir::new().unwrap();
    for k in [0.5, 1.0, 2.5, 10.0] {
        let mut s = String::from("step,lr,loss\n");
        for i in 1..=200 {
            let t = 100.0 * i as f64;
            s.push_str(&format!("{t},1e-3,{}\n", k * 10.0 * t.powf(-0.5)));
        }
        let f = write(&dir, &format!("pure_{k}.csv"), &s);
        for (method, param) in [("power", "E"), ("tissue", "L0")] {
            let out = slaw()
                .args(["forecast", &f, "--fit-until", "0.3", "--method", method])
                .args(["--bootstrap", "0", "--json"])
                .output()
                .unwrap();
            let v = json_of(&out);
            let floor = v["params"][param].as_f64().unwrap();
            assert!(floor < 1e-4 * k, "{method} k {k}: {param} = {floor}");
            let want = format!("parameter {param} is at a bound of its range");
            assert!(
                warnings(&v).iter().any(|w| w.starts_with(&want)),
                "{method} k {k}: {param} = {floor}, warnings {:?}",
                warnings(&v)
            );
        }
    }
}

/// A cosine schedule over 24000 steps (warmup 2000) and a loss of the step
/// alone.
fn cosine_file(dir: &TempDir) -> String {
    let mut s = String::from("step,lr,loss\n");
    for i in 1..=240 {
        let t = 100.0 * i as f64;
        let lr = if t <= 2000.0 {
            3e-4 * t / 2000.0
        } else {
            let x = (t - 2000.0) / 22000.0;
            3e-5 + 0.5 * (3e-4 - 3e-5) * (1.0 + (std::f64::consts::PI * x).cos())
        };
        s.push_str(&format!("{t},{lr},{}\n", 2.5 + 6.0 * t.powf(-0.3)));
    }
    write(dir, "cos.csv", &s)
}

/// probe44 item 5: a step-only law named with --method on a window after
/// which the rate decays warns, as auto does, with or without intervals.
#[test]
fn a_step_only_law_before_a_decay_warns_with_or_without_intervals() {
    let dir = TempDir::new().unwrap();
    let f = cosine_file(&dir);
    for method in ["power", "reciprocal", "log"] {
        for boot in ["0", "20"] {
            let out = slaw()
                .args(["forecast", &f, "--fit-until", "0.3", "--method", method])
                .args(["--bootstrap", boot, "--json"])
                .output()
                .unwrap();
            let v = json_of(&out);
            let w = warnings(&v);
            let first = w.first().map(String::as_str).unwrap_or("");
            assert!(
                first.starts_with("the learning rate decays by")
                    && first.contains(&format!("{method} is a law of the step alone"))
                    && first.contains("expect the loss to end lower than forecast"),
                "{method} --bootstrap {boot}: {w:?}"
            );
            // What the intervals do about it, only when there are intervals.
            assert_eq!(
                first.contains("(the intervals"),
                boot != "0",
                "{method} --bootstrap {boot}: {first}"
            );
        }
    }
    // The text says it on a warning line.
    slaw()
        .args(["forecast", &f, "--fit-until", "0.3", "--method", "power"])
        .args(["--bootstrap", "0"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "warning: the learning rate decays by",
        ));
    // Auto without intervals: the same warning, without the intervals' clause.
    let v = forecast_json(&f, &["--fit-until", "0.3", "--bootstrap", "0"]);
    let w = warnings(&v);
    assert!(
        w[0].contains("auto uses reciprocal") && !w[0].contains("(the intervals"),
        "{w:?}"
    );
    // A window with no decay after it: no such warning.
    let v = json_of(
        &slaw()
            .args(["forecast", &f, "--fit-until", "0.3", "--method", "power"])
            .args(["--at", "7000", "--bootstrap", "0", "--json"])
            .output()
            .unwrap(),
    );
    assert!(
        !warnings(&v)
            .iter()
            .any(|w| w.contains("law of the step alone")),
        "{:?}",
        warnings(&v)
    );
}

/// probe44 item 1: with one run the schedule-transfer error is not
/// measured: the intervals are labelled `bootstrap` (not `backtest`) and a
/// warning says what they leave out; with two runs or more, `backtest`.
#[test]
fn a_single_run_what_if_interval_is_not_labelled_predictive() {
    let Some(dir) = shared("loss-curves/multipower/100") else {
        return;
    };
    let run = |files: &[&str], json: bool| {
        let mut c = slaw();
        c.arg("schedule");
        for f in files {
            c.arg(dir.join(format!("{f}.csv")));
        }
        c.args(["--steps", "24000", "--bootstrap", "20"]).args([
            "--predict",
            "wsd:peak=3e-4,final=3e-5,decay_start=20000,total=24000,warmup=2160,decay=exp",
        ]);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let v = json_of(&run(&["cosine_24000"], true));
    assert_eq!(
        v["interval_kind"]["kind"], "bootstrap",
        "{}",
        v["interval_kind"]
    );
    assert!(v["model_error"].is_null());
    let w = warnings(&v);
    assert!(
        w.iter().any(
            |w| w.starts_with("the intervals leave out the schedule-transfer error")
                && w.contains("one run here")
        ),
        "{w:?}"
    );
    let tmp = TempDir::new().unwrap();
    let plot = tmp.path().join("one.svg");
    let out = {
        let mut c = slaw();
        c.arg("schedule")
            .arg(dir.join("cosine_24000.csv"))
            .args(["--steps", "24000", "--bootstrap", "20", "--predict"])
            .arg("wsd:peak=3e-4,final=3e-5,decay_start=20000,total=24000,warmup=2160,decay=exp")
            .arg("--plot")
            .arg(&plot);
        c.output().unwrap()
    };
    // The figure says it too (and "1 run", not "1 runs").
    let svg = fs::read_to_string(&plot).unwrap();
    assert!(
        svg.contains("fitted on 1 run (intervals without the schedule-transfer error)"),
        "title missing"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning: the intervals leave out the schedule-transfer error")
            && text.contains("without the schedule-transfer error"),
        "{text}"
    );
    // Two runs: the transfer error is measured and the interval predictive.
    let v = json_of(&run(&["cosine_24000", "constant_24000"], true));
    assert!(v["model_error"].is_number());
    assert_eq!(
        v["interval_kind"]["kind"], "backtest",
        "{}",
        v["interval_kind"]
    );
    assert!(!warnings(&v)
        .iter()
        .any(|w| w.contains("leave out the schedule-transfer")));
}

/// probe44 item 6: the temporal law's interval past the fit is the
/// bootstrap widened by the pooled scale c: its JSON kind says so and
/// gives c.
#[test]
fn the_temporal_interval_kind_names_the_pooled_widening_and_its_c() {
    use slaw::forecast::temporal::{generate, pooled_scale_at};
    let dir = TempDir::new().unwrap();
    let truth = |t: f64| {
        [
            4.0 + 0.25 * (t / 1000.0).ln(),
            0.9 - 0.6 / (1.0 + t / 2000.0),
            2.2 + 1.5 / (1.0 + t / 3000.0),
        ]
    };
    let positions: Vec<f64> = (0..128).map(|i| (8 * i) as f64).collect();
    let steps: Vec<f64> = (1..=40).map(|k| 500.0 * k as f64).collect();
    let f = write(
        &dir,
        "pos.csv",
        &generate(&truth, &steps, &positions, 0.005, 3).to_csv(),
    );
    for level in [0.8, 0.9] {
        let v = json_of(
            &slaw()
                .args(["forecast", &f, "--fit-until", "0.3", "--bootstrap", "50"])
                .args(["--level", &level.to_string(), "--json"])
                .output()
                .unwrap(),
        );
        let k = &v["interval_kind"];
        assert_eq!(k["kind"], "pooled-scale", "{k}");
        assert_eq!(k["level"].as_f64(), Some(level));
        let c = pooled_scale_at(level).unwrap().0;
        assert_eq!(k["c"].as_f64(), Some(c), "{k}");
        // The widening it names is what the interval holds at the last step.
        let p = v["forecasts"][0].clone();
        let (loss, hi) = (p["loss"].as_f64().unwrap(), p["hi"].as_f64().unwrap());
        let last = v["forecasts"][0]["step"].as_f64().unwrap();
        let fitted = v["temporal"]["t_ref"].as_f64().unwrap();
        assert!(
            hi >= loss * (c * (last / fitted).ln()).exp() * (1.0 - 1e-12),
            "{hi} {loss} {c}"
        );
    }
    let v = forecast_json(&f, &["--fit-until", "0.3", "--bootstrap", "0"]);
    assert!(v["interval_kind"].is_null());
}

/// probe44 item 9: a learning-rate column that is 0 at every row is an
/// error naming the file and the column, in forecast (whatever the law) and
/// schedule, not a failed fit.
#[test]
fn a_learning_rate_of_zero_at_every_row_is_an_error_naming_file_and_column() {
    let dir = TempDir::new().unwrap();
    let mut s = String::from("step,lr,loss\n");
    for i in 1..=40 {
        let t = 100.0 * i as f64;
        s.push_str(&format!("{t},0,{}\n", 2.5 + 6.0 * t.powf(-0.3)));
    }
    let f = write(&dir, "lr0.csv", &s);
    let said = || {
        predicate::str::contains("lr0.csv, column 'lr'")
            .and(predicate::str::contains(
                "the learning rate is 0 at every one of the 40 points",
            ))
            .and(predicate::str::contains("rename the column"))
            .and(predicate::str::contains("fit failed").not())
    };
    for method in ["auto", "tissue", "reciprocal"] {
        slaw()
            .args(["forecast", &f, "--fit-until", "0.5", "--method", method])
            .assert()
            .failure()
            .stderr(said());
    }
    let good = cosine_file(&dir);
    slaw()
        .args(["schedule", &f, &good, "--predict", "constant:peak=3e-4"])
        .args(["--steps", "24000"])
        .assert()
        .failure()
        .stderr(said());
    // A rate that reaches 0 (a linear decay to 0) is a rate.
    let mut s = String::from("step,lr,loss\n");
    for i in 1..=40 {
        let t = 100.0 * i as f64;
        let lr = 3e-4 * (40 - i) as f64 / 39.0;
        s.push_str(&format!("{t},{lr},{}\n", 2.5 + 6.0 * t.powf(-0.3)));
    }
    let f = write(&dir, "lr_warm.csv", &s);
    slaw()
        .args(["forecast", &f, "--fit-until", "0.5", "--bootstrap", "0"])
        .assert()
        .success();
}

/// probe44 item 10: the law auto chooses and the same law named with
/// --method give the same forecast and the same intervals (auto's fit
/// started from the law's optimum on the window's first three quarters,
/// which landed elsewhere on the reciprocal law's valley of equal fits, and
/// its backtest refits with it: [2.9581, 3.1633] against [2.9581, 3.1536]).
/// The point forecast of auto's reciprocal before a decay is since moved by
/// the decay ahead (auto73); its interval is still the law's.
#[test]
fn auto_and_its_law_named_give_the_same_intervals() {
    let Some(dir) = shared("loss-curves/multipower") else {
        return;
    };
    // The windows of 0.3, 0.2 and 0.2 of the last step, where this was
    // found (a fraction is now of the logged span, which starts at 2160 or
    // 2176 on these curves: probe47 7e).
    for (file, until, law) in [
        ("100/cosine_24000.csv", "step:7176", "reciprocal"),
        ("25/cosine_72000.csv", "step:14384", "reciprocal"),
        ("25/constant_24000.csv", "step:4787.2", "tissue"),
    ] {
        let f = dir.join(file);
        let run = |method: &str| {
            json_of(
                &slaw()
                    .arg("forecast")
                    .arg(&f)
                    .args(["--fit-until", until, "--method", method, "--json"])
                    .output()
                    .unwrap(),
            )
        };
        let (auto, named) = (run("auto"), run(law));
        assert_eq!(auto["method"], law, "{file}");
        for key in ["params", "calibration", "interval_kind", "decay_term"] {
            assert_eq!(auto[key], named[key], "{file}: {key}");
        }
        // The same intervals; auto's reciprocal before a decay has its
        // forecast moved by the decay prior's median times the decay ahead
        // (BENCHMARKS.md, auto73), inside the prior's range the interval
        // spans; the law named keeps its own.
        let (a, n) = (&auto["forecasts"][0], &named["forecasts"][0]);
        for key in ["step", "lo", "hi", "observed"] {
            assert_eq!(a[key], n[key], "{file}: {key}");
        }
        let (la, ln) = (a["loss"].as_f64().unwrap(), n["loss"].as_f64().unwrap());
        if auto["unpinned_decay"].is_string() {
            let t = &auto["decay_term"];
            let z = (la / ln).ln() / t["decay_ahead"].as_f64().unwrap();
            let (zl, zh) = (
                t["per_unit_decay"][0].as_f64().unwrap(),
                t["per_unit_decay"][1].as_f64().unwrap(),
            );
            assert!(law == "reciprocal" && zl <= z && z <= zh, "{file}: {z}");
            assert!(named["unpinned_decay"].is_null(), "{file}");
        } else {
            assert_eq!(la, ln, "{file}");
        }
    }
}
