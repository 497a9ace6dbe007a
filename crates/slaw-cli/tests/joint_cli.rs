//! `slaw joint`, `slaw methods` and `slaw allocate` end to end.

use assert_cmd::Command;
use predicates::prelude::*;
use slaw::joint::published::{generate, noise_sd, to_csv, EN_DE};
use std::fs;
use std::path::Path;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

fn en_de(dir: &TempDir) -> String {
    let p = dir.path().join("runs.csv");
    fs::write(&p, to_csv(&generate(&EN_DE, noise_sd(0.005), 2))).unwrap();
    p.display().to_string()
}

const FACTORS: [&str; 4] = ["--factor", "model_size", "--factor", "pretrain_tokens"];

#[test]
fn joint_reports_both_laws_and_writes_plots() {
    let dir = TempDir::new().unwrap();
    let f = en_de(&dir);
    slaw()
        .args(["joint", &f])
        .args(FACTORS)
        .args(["--plot", &dir.path().join("j.svg").display().to_string()])
        .assert()
        .success()
        .stdout(predicate::str::contains("method fmt"))
        .stdout(predicate::str::contains(
            "the multiplicative law generalizes better",
        ));
    for m in ["fmt", "prompt", "lora"] {
        for fac in ["model_size", "pretrain_tokens"] {
            let p = dir.path().join(format!("j-{m}-{fac}.svg"));
            assert!(fs::read_to_string(&p).unwrap().contains("<svg"), "{p:?}");
        }
    }
    let out = slaw()
        .args(["joint", &f, "--json"])
        .args(FACTORS)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fits"].as_array().unwrap().len(), 3);
    assert_eq!(v["skipped"].as_array().unwrap().len(), 0);
    let fmt = &v["fits"][0];
    assert_eq!(fmt["method"], "fmt");
    assert_eq!(fmt["forms"][0]["form"], "multiplicative");
    let beta = fmt["forms"][0]["shared"]["beta"].as_f64().unwrap();
    assert!((beta - 0.15).abs() < 0.012, "beta {beta}");
    assert!(
        fmt["forms"][0]["mad_held"].as_f64().unwrap()
            < fmt["forms"][1]["mad_held"].as_f64().unwrap()
    );
}

#[test]
fn methods_recommends_with_intervals_and_critical_sizes() {
    let dir = TempDir::new().unwrap();
    let f = en_de(&dir);
    let plot = dir.path().join("crit.svg");
    let args = |extra: &[&str]| {
        let mut v = vec!["methods".to_string(), f.clone()];
        v.extend(FACTORS.iter().map(|s| s.to_string()));
        v.extend(
            [
                "--at",
                "model_size=8e9",
                "--data",
                "3e3",
                "--bootstrap",
                "100",
            ]
            .map(String::from),
        );
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    slaw()
        .args(args(&["--plot", &plot.display().to_string()]))
        .assert()
        .success()
        .stdout(predicate::str::contains("recommended: "))
        .stdout(predicate::str::contains("fmt vs prompt"))
        .stdout(predicate::str::contains("gamma"));
    // The figure shades the runs' X and D_f and says which crossings lie
    // outside them (dashed: the laws extrapolated).
    let svg = fs::read_to_string(&plot).unwrap();
    assert!(svg.contains("<svg"));
    // jcov2: the crossing's bootstrap interval at the setting's X is drawn
    // (lora and prompt cross near the setting, every replicate pair too).
    assert!(
        svg.contains("lora = prompt: 95% interval"),
        "no interval bar of the crossing"
    );
    assert!(
        svg.contains("the runs (their X and D_f)"),
        "no box of the runs"
    );
    assert!(svg.contains("dashed: outside the runs") || !svg.contains("(outside the runs)"));
    let run = || slaw().args(args(&["--json"])).output().unwrap().stdout;
    let a = run();
    assert_eq!(a, run(), "same inputs and seed, same output");
    let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
    let r = &v["recommendation"];
    // The runs' ranges the figure shades.
    for key in ["runs_x", "runs_d"] {
        let (lo, hi) = (r[key][0].as_f64().unwrap(), r[key][1].as_f64().unwrap());
        assert!(0.0 < lo && lo < hi, "{key}: {lo}..{hi}");
    }
    let preds = r["predictions"].as_array().unwrap();
    assert_eq!(preds.len(), 3);
    for p in preds {
        let (lo, hi) = (
            p["interval"]["lo"].as_f64().unwrap(),
            p["interval"]["hi"].as_f64().unwrap(),
        );
        let l = p["predicted_loss"].as_f64().unwrap();
        assert!(lo <= l && l <= hi, "{p}");
    }
    assert_eq!(r["recommended"], preds[0]["method"]);
    assert_eq!(r["critical"].as_array().unwrap().len(), 3);
    // The text says the runs' range and marks each crossing at the setting
    // that lies outside their D_f, or at an X outside theirs, as the figure
    // dashes it.
    let text = String::from_utf8(slaw().args(args(&[])).output().unwrap().stdout).unwrap();
    assert!(text.contains("(the runs span model_size in ["), "{text}");
    let (dlo, dhi) = (
        r["runs_d"][0].as_f64().unwrap(),
        r["runs_d"][1].as_f64().unwrap(),
    );
    let x_outside = {
        let (xlo, xhi) = (
            r["runs_x"][0].as_f64().unwrap(),
            r["runs_x"][1].as_f64().unwrap(),
        );
        !(xlo..=xhi).contains(&8e9)
    };
    for c in r["critical"].as_array().unwrap() {
        let pair = format!(
            "{} vs {}: at",
            c["methods"][0].as_str().unwrap(),
            c["methods"][1].as_str().unwrap()
        );
        let line = text.lines().find(|l| l.contains(&pair)).unwrap();
        let outside = c["at_setting"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                let d = d.as_f64().unwrap();
                x_outside || d < dlo || d > dhi
            })
            .count();
        assert_eq!(
            line.matches("(outside the runs)").count(),
            outside,
            "{line}"
        );
    }
    // Over the range of X, a crossing at an X beyond the runs' is marked
    // whatever its D_f: the listing's first X (half the runs' smallest, by
    // default) lies below them.
    let below = text
        .lines()
        .find(|l| l.trim_start().starts_with("model_size ="))
        .unwrap();
    let listed = below.split(": ").nth(1).unwrap();
    if listed.trim() != "-" {
        assert_eq!(
            listed.split(", ").count(),
            listed.matches("(outside the runs)").count(),
            "{below}"
        );
    }
}

/// `slaw methods --level` reaches the bootstrap: the JSON and the text say
/// the level, and a lower level gives intervals inside the default's (the
/// same replicates, same seed).
#[test]
fn methods_level_reaches_the_bootstrap() {
    let dir = TempDir::new().unwrap();
    let f = en_de(&dir);
    let run = |extra: &[&str]| {
        let mut c = slaw();
        c.args(["methods", &f])
            .args(FACTORS)
            .args([
                "--at",
                "model_size=8e9",
                "--data",
                "3e3",
                "--bootstrap",
                "60",
            ])
            .args(extra);
        c.output().unwrap()
    };
    let json = |extra: &[&str]| -> serde_json::Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(extra);
        let out = run(&a);
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let wide = json(&[]);
    let narrow = json(&["--level", "0.5"]);
    assert_eq!(wide["recommendation"]["level"], 0.95);
    assert_eq!(narrow["recommendation"]["level"], 0.5);
    let by_method = |v: &serde_json::Value, m: &str| -> (f64, f64) {
        let p = v["recommendation"]["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["method"] == m)
            .unwrap()
            .clone();
        (
            p["interval"]["lo"].as_f64().unwrap(),
            p["interval"]["hi"].as_f64().unwrap(),
        )
    };
    for m in ["fmt", "prompt", "lora"] {
        let (w, n) = (by_method(&wide, m), by_method(&narrow, m));
        assert!(
            w.0 <= n.0 && n.1 <= w.1 && n.1 - n.0 < w.1 - w.0,
            "{m}: {w:?} vs {n:?}"
        );
    }
    let text = String::from_utf8(run(&["--level", "0.5"]).stdout).unwrap();
    assert!(text.contains("50% refit bootstrap"), "{text}");
    let bad = run(&["--level", "1"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--level"));
}

/// Issue 14, item 4: `--intervals predictive` widens the bootstrap by the
/// held-out extrapolation error (JSON `interval_kind` `held-out`, both
/// intervals given, the distance beyond the fitting runs), at `--level`;
/// every pair's crossing has its bootstrap interval with the replicate
/// pairs without a crossing counted, in the text and the JSON.
#[test]
fn methods_predictive_intervals_and_the_critical_size_interval() {
    let dir = TempDir::new().unwrap();
    let f = en_de(&dir);
    let run = |extra: &[&str]| {
        let mut c = slaw();
        c.args(["methods", &f])
            .args(FACTORS)
            .args([
                "--at",
                "model_size=8e9",
                "--data",
                "3e3",
                "--bootstrap",
                "40",
            ])
            .args(extra);
        c.output().unwrap()
    };
    let out = run(&["--json", "--intervals", "predictive", "--level", "0.9"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rec = &v["recommendation"];
    assert_eq!(rec["intervals"], "predictive");
    let (mut widened, mut kept) = (0, 0);
    for p in rec["predictions"].as_array().unwrap() {
        assert_eq!(p["interval_kind"]["kind"], "held-out", "{p}");
        assert_eq!(p["interval_kind"]["level"], 0.9, "{p}");
        assert_eq!(p["interval"], p["predictive_interval"], "{p}");
        let (b, q) = (&p["bootstrap_interval"], &p["predictive_interval"]);
        // D_f = 3e3 lies ln(1e4 / 3e3) below the fitting runs
        let dist = p["extrapolation_distance"].as_f64().unwrap();
        assert!((dist - (1e4f64 / 3e3).ln()).abs() < 1e-9, "{p}");
        // jcov2: the rate is what is left of the held-out errors once the
        // noise is taken out (0 when the noise explains them: then the
        // predictive interval is the bootstrap); below the runs' D_f the
        // pooled rate applies.
        let rate = p["extrapolation_error_rate"].as_f64().unwrap();
        assert!(rate >= 0.0, "{p}");
        assert_eq!(
            p["extrapolation_rates"]["pooled"].as_f64(),
            Some(rate),
            "{p}"
        );
        for key in ["x_above", "d_above"] {
            assert!(
                p["extrapolation_rates"][key].as_f64().unwrap() >= 0.0,
                "{p}"
            );
        }
        // The default holdout (the largest X and D_f) holds out no run
        // below the fitting runs: no rate below them (the pooled one used).
        for key in ["x_below", "d_below"] {
            assert!(p["extrapolation_rates"][key].is_null(), "{p}");
        }
        let (ql, bl) = (q["lo"].as_f64().unwrap(), b["lo"].as_f64().unwrap());
        let (qh, bh) = (q["hi"].as_f64().unwrap(), b["hi"].as_f64().unwrap());
        assert!(ql <= bl && qh >= bh, "{p}");
        if rate > 0.0 {
            assert!(ql < bl && qh > bh, "{p}");
            widened += 1;
        }
        // Held-out errors all noise, in every direction: the bootstrap
        // interval itself, to the bit.
        let rates = &p["extrapolation_rates"];
        if ["pooled", "x_above", "d_above"]
            .iter()
            .all(|k| rates[*k].as_f64().unwrap_or(0.0) == 0.0)
        {
            assert_eq!(q, b, "{p}");
            kept += 1;
        }
    }
    assert!(
        widened > 0,
        "no method's error beyond the noise: nothing tested"
    );
    assert!(
        kept > 0,
        "every method's error beyond the noise: nothing tested"
    );
    for c in rec["critical"].as_array().unwrap() {
        let ci = &c["at_setting_interval"];
        let n = ci["with_crossing"].as_u64().unwrap() + ci["without_crossing"].as_u64().unwrap();
        assert!(n > 0 && n <= 40, "{c}");
        assert!(ci.get("interval").is_some(), "{c}");
    }
    let text =
        String::from_utf8(run(&["--intervals", "predictive", "--level", "0.9"]).stdout).unwrap();
    assert!(text.contains("90% predictive"), "{text}");
    assert!(
        text.contains("meant to cover the law's mean loss"),
        "{text}"
    );
    assert!(text.contains("ln units beyond the fitting runs"), "{text}");
    assert!(
        text.contains("replicate pairs without a crossing"),
        "{text}"
    );
    assert!(text.contains("90% bootstrap ["), "{text}");
    // the default stays the bootstrap, and says what it misses
    let text = String::from_utf8(run(&[]).stdout).unwrap();
    assert!(text.contains("95% refit bootstrap"), "{text}");
    assert!(
        text.contains("--intervals predictive adds that error"),
        "{text}"
    );
    // far outside the runs the warning says what the printed intervals cover
    let far = |kind: &str| {
        let mut c = slaw();
        c.args(["methods", &f]).args(FACTORS).args([
            "--at",
            "model_size=8e9",
            "--data",
            "1e2",
            "--bootstrap",
            "20",
            "--intervals",
            kind,
        ]);
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    let text = far("predictive");
    assert!(text.contains("warning: D_f = 100 is 100x below"), "{text}");
    assert!(
        text.contains("the predictive intervals cover that error only as far"),
        "{text}"
    );
    assert!(
        !text.contains("the fit's noise only) do not cover"),
        "{text}"
    );
    assert!(far("bootstrap").contains("the intervals (the fit's noise only) do not cover"));
    let bad = run(&["--intervals", "wide"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--intervals"));
}

/// Review 43, bug 1: with `--holdout-col` flagging the smallest D_f, the
/// runs held out lie below the fitting runs, in the direction of a setting
/// at D_f = 3e3: they measure a rate below the runs in D_f (JSON
/// `extrapolation_rates.d_below`, the pooled rate too) and every method gets
/// a predictive interval. They counted as inside the runs (distance 0): no
/// rate, no predictive interval, a note saying no run was held out beyond.
#[test]
fn methods_holdout_below_the_runs_measures_the_rate_below_them() {
    let dir = TempDir::new().unwrap();
    let csv = to_csv(&generate(&EN_DE, noise_sd(0.005), 2));
    let data = |l: &str| l.split(',').nth(3).unwrap().parse::<f64>().unwrap();
    let min_d = csv.lines().skip(1).map(data).fold(f64::INFINITY, f64::min);
    let text: String = csv
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => format!("{l},held\n"),
            _ => format!("{l},{}\n", u8::from(data(l) == min_d)),
        })
        .collect();
    let f = dir.path().join("held_low.csv");
    fs::write(&f, text).unwrap();
    let run = |json: bool| {
        let mut c = slaw();
        c.args(["methods", &f.display().to_string()])
            .args(FACTORS)
            .args(["--holdout-col", "held", "--at", "model_size=8e9"])
            .args(["--data", "3e3", "--bootstrap", "40", "--level", "0.9"])
            .args(["--intervals", "predictive"]);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let out = run(true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for p in v["recommendation"]["predictions"].as_array().unwrap() {
        // ln(3e4 / 3e3) below the fitting runs' smallest D_f, X inside them
        let dist = p["extrapolation_distance"].as_f64().unwrap();
        assert!((dist - 10f64.ln()).abs() < 1e-9, "{p}");
        let rates = &p["extrapolation_rates"];
        let below = rates["d_below"].as_f64().unwrap();
        assert!(below >= 0.0, "{p}");
        assert_eq!(rates["pooled"].as_f64(), Some(below), "{p}");
        assert_eq!(p["extrapolation_error_rate"].as_f64(), Some(below), "{p}");
        for key in ["x_above", "x_below", "d_above"] {
            assert!(rates[key].is_null(), "{p}");
        }
        assert!(p["predictive_interval"].is_object(), "{p}");
        assert_eq!(p["interval"], p["predictive_interval"], "{p}");
    }
    let out = run(false);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("no predictive interval"), "{text}");
    assert!(!text.contains("no held-out run"), "{text}");
    assert!(text.contains("90% predictive"), "{text}");
    assert!(
        text.contains("- above the runs in X, - below in X, - above in D_f, "),
        "{text}"
    );
}

#[test]
fn methods_and_joint_bad_inputs() {
    let dir = TempDir::new().unwrap();
    let f = en_de(&dir);
    slaw()
        .args(["methods", &f])
        .args(FACTORS)
        .args(["--at", "rank=8", "--data", "1e4"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "'rank', which is not a factor column",
        ));
    slaw()
        .args(["methods", &f])
        .args(FACTORS)
        .args(["--at", "model_size", "--data", "1e4"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("FACTOR=VALUE"));
    slaw()
        .args(["joint", &f, "--factor", "layers"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("column 'layers'"));
    // Only one method: nothing to choose between.
    let one = dir.path().join("one.csv");
    let text: String = fs::read_to_string(&f)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("method") || l.starts_with("fmt"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&one, text).unwrap();
    slaw()
        .args(["methods", &one.display().to_string()])
        .args(FACTORS)
        .args(["--at", "model_size=8e9", "--data", "1e4"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at least two methods"))
        .stderr(predicate::str::contains("panicked").not());
}

/// Probe tj 4, 5, 6, 7, 13, 15: `methods` answers the same for the rows in
/// another order and D_f in another unit; refuses a bootstrap too small for
/// its level, non-finite settings (naming the flag), a factor named twice or
/// a factor that is the data column; says what its intervals cover and notes
/// a setting far outside the runs.
#[test]
fn methods_order_units_and_bad_settings() {
    let dir = TempDir::new().unwrap();
    let f = en_de(&dir);
    let text = fs::read_to_string(&f).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    let rev = dir.path().join("rev.csv");
    fs::write(&rev, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
    // D_f in thousands
    let kilo = dir.path().join("kilo.csv");
    let scaled: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| {
            let mut c: Vec<String> = l.split(',').map(String::from).collect();
            c[3] = format!("{}", c[3].parse::<f64>().unwrap() / 1e3);
            c.join(",")
        })
        .collect();
    fs::write(&kilo, format!("{header}\n{}\n", scaled.join("\n"))).unwrap();
    let run = |file: &str, extra: &[&str]| {
        let mut c = slaw();
        c.args(["methods", file]).args(FACTORS).args(extra);
        if !extra.contains(&"--bootstrap") {
            c.args(["--bootstrap", "20"]);
        }
        if !extra.contains(&"--at") {
            c.args(["--at", "model_size=8e9"]);
        }
        c.output().unwrap()
    };
    let json = |file: &str, data: &str| -> serde_json::Value {
        let out = run(file, &["--data", data, "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let base = json(&f, "3e3");
    // The rows' order does not move the intervals (same seed).
    let r = &base["recommendation"];
    assert_eq!(
        r["predictions"],
        json(&rev.display().to_string(), "3e3")["recommendation"]["predictions"]
    );
    for p in r["predictions"].as_array().unwrap() {
        assert_eq!(p["interval_kind"]["kind"], "bootstrap", "{p}");
        assert_eq!(p["interval_kind"]["level"], 0.95, "{p}");
    }
    // D_f in thousands: the same crossings, in thousands (the default
    // range follows the data).
    let k = json(&kilo.display().to_string(), "3");
    let counts = |v: &serde_json::Value| -> Vec<Vec<usize>> {
        v["recommendation"]["critical"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                c["curve"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|xc| xc[1].as_array().unwrap().len())
                    .collect()
            })
            .collect()
    };
    assert_eq!(counts(&base), counts(&k));
    let (lo, hi) = (
        base["recommendation"]["d_range"][0].as_f64().unwrap(),
        k["recommendation"]["d_range"][0].as_f64().unwrap(),
    );
    assert!((lo / hi / 1e3 - 1.0).abs() < 1e-9, "{lo} {hi}");
    // Bad settings: exit 2, the flag named, no panic.
    let bad = |extra: &[&str], flag: &str, what: &str| {
        let out = run(&f, extra);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(flag) && err.contains(what), "{extra:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    };
    bad(&["--data", "inf"], "--data:", "finite");
    bad(&["--data", "0"], "--data:", "> 0");
    bad(&["--data", "-5"], "--data:", "> 0");
    bad(
        &["--data", "3e3", "--at", "model_size=inf"],
        "--at:",
        "finite",
    );
    bad(
        &["--data", "3e3", "--bootstrap", "1"],
        "--bootstrap:",
        "at least 20",
    );
    bad(
        &["--data", "3e3", "--bootstrap", "19"],
        "--bootstrap:",
        "at least 20",
    );
    bad(
        &["--data", "3e3", "--level", "0.99", "--bootstrap", "50"],
        "--bootstrap:",
        "at least 100",
    );
    let dup = slaw()
        .args([
            "joint",
            &f,
            "--factor",
            "model_size",
            "--factor",
            "model_size",
        ])
        .output()
        .unwrap();
    assert_eq!(dup.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&dup.stderr)
        .contains("--factor: factor column 'model_size' is named twice"));
    let data = slaw()
        .args(["joint", &f, "--factor", "model_size", "--factor", "data"])
        .output()
        .unwrap();
    assert_eq!(data.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&data.stderr).contains("'data' is the data-size column"));
    // Data errors name the file (ux49: a factor that cannot be fitted is
    // skipped, named with the file, exit 3; the others are fitted).
    let one = dir.path().join("one_size.csv");
    let rows: Vec<String> = text
        .lines()
        .skip(1)
        .filter(|l| {
            !l.starts_with("lora,") || l.starts_with("lora,1000000000,") || l.starts_with("lora,,")
        })
        .map(String::from)
        .collect();
    fs::write(&one, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    let out = slaw()
        .args(["joint", &one.display().to_string()])
        .args(FACTORS)
        .output()
        .unwrap();
    let (err, text) = (
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout),
    );
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        text.contains("one_size.csv: method 'lora', factor 'model_size'"),
        "{text}"
    );
    // Far outside the runs: noted; the text says what the intervals cover.
    let out = run(&f, &["--data", "1e10", "--at", "model_size=1e14"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("95% refit bootstrap")
            && text.contains("the noise of the fit's parameters only"),
        "{text}"
    );
    assert!(
        text.contains("warning: model_size = 1e14 is 6250x above the largest value"),
        "{text}"
    );
    assert!(text.contains("warning: D_f = 1e10 is"), "{text}");
}

#[test]
fn allocate_from_parameters_and_bad_inputs() {
    slaw()
        .args([
            "allocate",
            "--params",
            "406.4,0.34,410.7,0.28,1.69",
            "--budget",
            "5.76e23",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("a = beta/(alpha+beta) = 0.4516"));
    slaw()
        .args(["allocate", "--params", "406.4,0.34,410.7"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("5 parameters"));
    let dir = TempDir::new().unwrap();
    let p = dir.path().join("runs.csv");
    let mut text = String::from("N,D,loss\n");
    for (i, n) in [1e8f64, 3e8, 1e9, 3e9].iter().enumerate() {
        for d in [1e9f64, 1e10, 1e11] {
            text += &format!(
                "{n},{d},{}\n",
                1.7 + 400.0 / n.powf(0.34) + 400.0 / d.powf(0.28) + 0.001 * i as f64
            );
        }
    }
    text += "1e9,-5,2.0\n";
    fs::write(&p, text).unwrap();
    let f = p.display().to_string();
    slaw()
        .args(["allocate", &f])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--d-col"));
    slaw()
        .args(["allocate", &f, "--d-col", "D"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("row 14, column 'D'"));
}

/// `slaw allocate --method all` on an isoFLOP grid from a known law, in two
/// groups with a budget column: JSON with the three methods per group, the
/// isoFLOP exponent near the truth, filters and the best of a sweep.
#[test]
fn allocate_isoflop_methods_groups_and_filters() {
    let (a, alpha, b, beta, e) = (406.4f64, 0.34f64, 410.7f64, 0.28f64, 1.69f64);
    let truth = beta / (alpha + beta);
    let mut text = String::from("source,budget,N,D,loss,final,lr\n");
    for (g, scale) in [("x", 1.0), ("y", 1.02)] {
        for c in [1e18f64, 3e18, 1e19, 3e19, 1e20, 3e20] {
            let s = alpha + beta;
            let ln_g = ((alpha * a).ln() - (beta * b).ln()) / s;
            let n0 = (ln_g + (c / 6.0).ln() * beta / s).exp();
            for k in 0..7 {
                let n = n0 * 4f64.powf(-1.0 + k as f64 / 3.0);
                let d = c / (6.0 * n);
                let l = scale * (e + a / n.powf(alpha) + b / d.powf(beta));
                // The final checkpoint at the best lr, a worse lr, and an
                // early checkpoint that --where drops.
                text += &format!("{g},{c},{n},{d},{l},1,1\n");
                text += &format!("{g},{c},{n},{d},{},1,2\n", l + 0.05);
                text += &format!("{g},{c},{n},{},{},0,1\n", d / 2.0, l + 0.5);
            }
        }
    }
    let dir = TempDir::new().unwrap();
    let p = dir.path().join("grid.csv");
    fs::write(&p, text).unwrap();
    let f = p.display().to_string();
    let out = slaw()
        .args([
            "allocate",
            &f,
            "--d-col",
            "D",
            "--method",
            "all",
            "--group",
            "source",
            "--budget-col",
            "budget",
            "--where",
            "final=1",
            "--best-per-size",
            "--bootstrap",
            "50",
            "--budget",
            "1e21",
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
    let groups = v.as_array().unwrap();
    assert_eq!(groups.len(), 2);
    for g in groups {
        assert_eq!(g["runs"], 42);
        let iso = g["isoflop"]["exponent_n"].as_f64().unwrap();
        assert!((iso - truth).abs() < 0.01, "isoflop a {iso} vs {truth}");
        assert_eq!(g["isoflop"]["used"], 6);
        let par = g["parametric"]["exponent_n"].as_f64().unwrap();
        assert!((par - truth).abs() < 1e-3, "parametric a {par}");
        assert!(g["envelope"]["exponent_n"].is_number());
        assert!(g["disagreement"]["spread"].as_f64().unwrap() < 0.1);
        // The figures' data: each method's N_opt(C) / D_opt(C) curve with its
        // band, through the asked budget, spending C = 6ND.
        for m in ["parametric", "isoflop", "envelope"] {
            let curve = g[m]["curve"].as_array().unwrap();
            assert_eq!(curve.len(), 31, "{m}");
            let last = &curve[30];
            assert!((last["compute"].as_f64().unwrap() / 1e21 - 1.0).abs() < 1e-9);
            for p in curve {
                let (c, n, d) = (
                    p["compute"].as_f64().unwrap(),
                    p["n_opt"].as_f64().unwrap(),
                    p["d_opt"].as_f64().unwrap(),
                );
                assert!((6.0 * n * d / c - 1.0).abs() < 1e-6, "{m}: {p}");
                let (lo, hi) = (
                    p["n_interval"]["lo"].as_f64().unwrap(),
                    p["n_interval"]["hi"].as_f64().unwrap(),
                );
                assert!(lo <= hi && lo > 0.0, "{m}: {p}");
            }
        }
    }
    // The text report: one block per group with every method; figures per group.
    let fig = dir.path().join("alloc.svg").display().to_string();
    slaw()
        .args([
            "allocate",
            &f,
            "--d-col",
            "D",
            "--method",
            "all",
            "--group",
            "source",
            "--budget-col",
            "budget",
            "--where",
            "final=1",
            "--best-per-size",
            "--bootstrap",
            "0",
            "--plot",
            &fig,
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("group x: 42 runs"))
        .stdout(predicate::str::contains("group y: 42 runs"))
        .stdout(predicate::str::contains("isoFLOP profiles"));
    for g in ["x", "y"] {
        for name in ["isoflop", "nopt"] {
            let path = dir.path().join(format!("alloc-{g}-{name}.svg"));
            let svg = fs::read_to_string(&path).unwrap_or_else(|e| {
                let listing: Vec<_> = fs::read_dir(dir.path())
                    .unwrap()
                    .map(|e| e.unwrap().file_name())
                    .collect();
                panic!("{}: {e}; the folder holds {listing:?}", path.display())
            });
            assert!(svg.contains("<svg") && svg.contains("<circle") || svg.contains("<polyline"));
        }
        // The parametric law's iso-loss contours over the runs.
        let svg = fs::read_to_string(dir.path().join(format!("alloc-{g}-contours.svg"))).unwrap();
        assert!(svg.contains("iso-loss contours"));
        assert!(
            svg.matches("loss ").count() >= 4,
            "contour levels in the legend"
        );
        assert!(svg.contains("<circle"), "the runs are drawn");
    }
    // Bad filters and levels.
    for (args, needle) in [
        (vec!["--where", "final"], "COL=VALUE"),
        (vec!["--where", "final=x"], "not a number"),
        (vec!["--where", "nope=1"], "nope"),
        (vec!["--level", "2"], "--level"),
    ] {
        slaw()
            .args(["allocate", &f, "--d-col", "D", "--method", "isoflop"])
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle));
    }
}

/// Runs of a Chinchilla law on an isoFLOP grid (6 budgets 1e18 .. 3e20, 7
/// sizes each), with a FLOPs column `flops_per_6nd` x 6ND.
fn chinchilla_grid(flops_per_6nd: f64) -> String {
    let (a, alpha, b, beta, e) = (406.4f64, 0.34f64, 410.7f64, 0.28f64, 1.69f64);
    let mut text = String::from("N,D,C,loss\n");
    for c in [1e18f64, 3e18, 1e19, 3e19, 1e20, 3e20] {
        let s = alpha + beta;
        let ln_g = ((alpha * a).ln() - (beta * b).ln()) / s;
        let n0 = (ln_g + (c / 6.0).ln() * beta / s).exp();
        for k in 0..7 {
            let n = n0 * 4f64.powf(-1.0 + k as f64 / 3.0);
            let d = c / (6.0 * n);
            let l = e + a / n.powf(alpha) + b / d.powf(beta);
            text += &format!("{n},{d},{},{l}\n", c * flops_per_6nd);
        }
    }
    text
}

/// Probe afc items 6 and 19: the parametric path draws its figures (--plot,
/// --report), --params refuses the bootstrap's flags, budgets print as
/// given (5.76e23, not 5.8e23), once, with no stray "-" for a missing
/// interval, and budgets far outside the runs are warned and marked.
#[test]
fn allocate_parametric_figures_formatting_and_extrapolation() {
    let dir = TempDir::new().unwrap();
    let plot = dir.path().join("a.svg");
    let out = slaw()
        .args(["allocate", "--params", "406.4,0.34,410.7,0.28,1.69"])
        .args([
            "--budget", "5.76e23", "--budget", "1e21", "--budget", "5.76e23",
        ])
        .args(["--plot", &plot.display().to_string()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("5.76e23").count(), 1, "{text}");
    assert!(
        !text.contains("5.8e23") && !text.contains("0.4516 -"),
        "{text}"
    );
    assert!(
        text.contains("a = beta/(alpha+beta) = 0.4516; D_opt"),
        "{text}"
    );
    for name in ["nopt", "dopt", "contours"] {
        let svg = fs::read_to_string(dir.path().join(format!("a-{name}.svg"))).unwrap();
        assert!(svg.contains("<polyline") || svg.contains("<path"), "{name}");
    }
    for flag in [["--bootstrap", "10"], ["--level", "0.9"], ["--seed", "3"]] {
        slaw()
            .args(["allocate", "--params", "406.4,0.34,410.7,0.28,1.69"])
            .args(flag)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(flag[0]));
    }
    // From runs: the figures in the page, the far budget warned and marked.
    let runs = dir.path().join("runs.csv");
    fs::write(&runs, chinchilla_grid(1.0)).unwrap();
    let page = dir.path().join("a.html");
    let out = slaw()
        .args(["allocate", &runs.display().to_string(), "--d-col", "D"])
        .args(["--budget", "1e20", "--budget", "1e25", "--bootstrap", "0"])
        .args(["--report", &page.display().to_string()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning: budget 1e25 (4.5 decades above) more than 10x outside"),
        "{text}"
    );
    let row = |c: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(c))
            .unwrap()
    };
    assert!(row("1e25").ends_with("(extrap.)"), "{text}");
    assert!(!row("1e20").contains("extrap."), "{text}");
    let html = fs::read_to_string(&page).unwrap();
    assert!(html.matches("<svg").count() >= 3, "figures in the page");
}

/// Probe afc item 4: a FLOPs column of 8ND is named, the parametric column
/// says it is at 6ND, and max/min is what it is with C = 6ND.
#[test]
fn allocate_all_names_a_flops_column_that_is_not_6nd() {
    let dir = TempDir::new().unwrap();
    let mut ratios = Vec::new();
    for r in [1.0, 4.0 / 3.0] {
        let f = dir.path().join("grid.csv");
        fs::write(&f, chinchilla_grid(r)).unwrap();
        let out = slaw()
            .args(["allocate", &f.display().to_string(), "--d-col", "D"])
            .args(["--flops-col", "C", "--method", "all", "--budget", "1e21"])
            .args(["--bootstrap", "0"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(
            text.contains("warning: the FLOPs column is 1.333 x 6ND"),
            r != 1.0,
            "{text}"
        );
        assert_eq!(
            text.contains("N_opt parametric (C = 6ND)"),
            r != 1.0,
            "{text}"
        );
        let last = text
            .lines()
            .find(|l| l.trim_start().starts_with("1e21"))
            .unwrap()
            .to_string();
        let x: f64 = last
            .split_whitespace()
            .last()
            .unwrap()
            .trim_end_matches('x')
            .parse()
            .unwrap();
        ratios.push(x);
    }
    assert!((ratios[0] - ratios[1]).abs() < 0.02, "max/min {ratios:?}");
}

/// Probe44 item 4: N in millions with --flops-col (6ND = C by construction,
/// so the "too small for FLOPs" check cannot fire): D_opt and D/N are a
/// million times too large, and the runs' tokens per parameter say so, in
/// the text and the JSON, with --method parametric, all and isoflop (whose
/// D* takes N's unit too); N in parameters is not warned.
#[test]
fn allocate_warns_when_n_is_not_a_count_under_a_flops_column() {
    let dir = TempDir::new().unwrap();
    let mut text = String::from("params_M,N,C,loss\n");
    for line in chinchilla_grid(1.0).lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        text += &format!("{},{},{},{}\n", v[0] / 1e6, v[0], v[2], v[3]);
    }
    let f = dir.path().join("mb.csv");
    fs::write(&f, text).unwrap();
    let f = f.display().to_string();
    let needle = "the runs' tokens per parameter D/N is";
    for (n_col, warned) in [("params_M", true), ("N", false)] {
        for method in ["parametric", "all", "isoflop"] {
            let args = [
                "allocate",
                &f,
                "--n-col",
                n_col,
                "--flops-col",
                "C",
                "--budget",
                "1e21",
                "--bootstrap",
                "0",
                "--method",
                method,
            ];
            let out = slaw().args(args).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            assert_eq!(
                text.contains(&format!("warning: {needle}")),
                warned,
                "{n_col} {method}: {text}"
            );
            let out = slaw().args(args).arg("--json").output().unwrap();
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let warnings = if method != "parametric" {
                &v[0]["warnings"]
            } else {
                &v["warnings"]
            };
            let has = warnings
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w.as_str().unwrap().starts_with(needle));
            assert_eq!(has, warned, "{n_col} {method}: {v}");
        }
    }
}

/// Probe44 item 8: `--group` with the default --method parametric prints,
/// per group, what `slaw allocate` prints without groups (D_opt, D/N, the
/// loss, the law), not the methods-comparison layout's N_opt alone.
#[test]
fn allocate_group_parametric_prints_the_ungrouped_table_per_group() {
    let dir = TempDir::new().unwrap();
    let grid = chinchilla_grid(1.0);
    let mut text = String::from("lab,N,D,C,loss\n");
    let mut alone = String::from("N,D,C,loss\n");
    for (g, scale) in [("one", 1.0), ("two", 1.1)] {
        for line in grid.lines().skip(1) {
            let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
            let row = format!("{},{},{},{}\n", v[0], v[1], v[2], v[3] * scale);
            text += &format!("{g},{row}");
            if g == "two" {
                alone += &row;
            }
        }
    }
    let (f, a) = (dir.path().join("g.csv"), dir.path().join("two.csv"));
    fs::write(&f, text).unwrap();
    fs::write(&a, alone).unwrap();
    let run = |file: &Path, extra: &[&str]| {
        let out = slaw()
            .args(["allocate", file.to_str().unwrap(), "--d-col", "D"])
            .args(["--budget", "1e21", "--budget", "6", "--bootstrap", "20"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let grouped = run(&f, &["--group", "lab"]);
    let single = run(&a, &[]);
    assert!(
        single.contains("D_opt") && single.contains("law: L = E"),
        "{single}"
    );
    // The budget of 6 FLOPs prints as 6, not 6e0 (probe44 nit).
    assert!(
        single.contains("\n           6 ") && !single.contains("6e0"),
        "{single}"
    );
    let block = grouped
        .split("group two: 42 runs\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{grouped}"));
    let indented: String = single
        .lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("  {l}\n")
            }
        })
        .collect();
    assert!(block.starts_with(&indented), "{block}\nvs\n{indented}");
    assert!(
        grouped.contains("group one: 42 runs\n  law: L = E"),
        "{grouped}"
    );
    assert!(!grouped.contains("N_opt parametric"), "{grouped}");
    // --method all keeps the comparison layout.
    let all = run(&f, &["--group", "lab", "--method", "all"]);
    assert!(all.contains("N_opt parametric"), "{all}");
    // --where compares numbers only, and says what selects a text value
    // (probe44 nit).
    slaw()
        .args([
            "allocate",
            f.to_str().unwrap(),
            "--d-col",
            "D",
            "--where",
            "lab=two",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--where lab=two: 'two' is not a number (--where compares numbers only; for a text \
             column, --group lab gives each value its own analysis)",
        ));
}

/// Probe 45, findings 4, 10 and 11: `methods` warns (text and JSON) when
/// the held-out comparison favours the form not used, naming `--form`;
/// its warnings about the fits concern the form used (the other form's are
/// counted in a note); `joint` gives the shared parameters standard errors;
/// a method whose runs cannot be fitted is left out with a warning.
#[test]
fn fx45e_methods_form_warning_shared_errors_and_left_out() {
    let dir = TempDir::new().unwrap();
    let f = en_de(&dir);
    let base = [
        "--at",
        "model_size=8e9",
        "--data",
        "3e3",
        "--bootstrap",
        "0",
    ];
    // multiplicative runs, additive form: every method favours the other
    let out = slaw()
        .args(["methods", &f])
        .args(FACTORS)
        .args(base)
        .args(["--form", "additive"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("the multiplicative law predicts the held-out runs better than the additive law used here"),
        "{text}"
    );
    assert!(
        text.contains("(to predict with the multiplicative law: --form multiplicative)"),
        "{text}"
    );
    let json = |form: &str| -> serde_json::Value {
        let out = slaw()
            .args(["methods", &f])
            .args(FACTORS)
            .args(base)
            .args(["--form", form, "--json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let add = json("additive");
    let better = add["recommendation"]["other_form_better"]
        .as_array()
        .unwrap();
    assert!(!better.is_empty(), "{add}");
    let warnings = add["recommendation"]["warnings"].as_array().unwrap();
    for m in better {
        let m = m.as_str().unwrap();
        assert!(
            warnings.iter().any(|w| w
                .as_str()
                .unwrap()
                .starts_with(&format!("method {m}: the multiplicative law predicts"))),
            "{add}"
        );
    }
    // the default (multiplicative) form: no such warning, and no warning
    // about the additive law's fits (only a note counting them)
    let mult = json("multiplicative");
    let rec = &mult["recommendation"];
    assert_eq!(rec["other_form_better"], serde_json::json!([]), "{rec}");
    for w in rec["warnings"].as_array().unwrap() {
        assert!(!w.as_str().unwrap().contains("additive law"), "{w}");
    }
    let additive_warnings: usize = mult["fits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["forms"][1]["warnings"].as_array().unwrap().len())
        .sum();
    let noted = rec["info"].as_array().unwrap().iter().any(|n| {
        n.as_str()
            .unwrap()
            .starts_with("the additive law, not used")
    });
    assert_eq!(noted, additive_warnings > 0, "{rec}");
    // joint: shared parameters with standard errors, text and JSON
    let out = slaw().args(["joint", &f]).args(FACTORS).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("shared beta=") && text.contains(" +/- "),
        "{text}"
    );
    let out = slaw()
        .args(["joint", &f, "--json"])
        .args(FACTORS)
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for m in j["fits"].as_array().unwrap() {
        for form in m["forms"].as_array().unwrap() {
            let se = &form["shared_std_errors"];
            let shared = &form["shared"];
            assert_eq!(
                se.as_object().unwrap().keys().collect::<Vec<_>>(),
                shared.as_object().unwrap().keys().collect::<Vec<_>>(),
                "{form}"
            );
            assert!(form["shared_loose"].is_array(), "{form}");
        }
    }
    // one method with a single model size: left out, the others decided
    let csv = fs::read_to_string(&f).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let keep: Vec<&str> = lines
        .filter(|l| {
            let c: Vec<&str> = l.split(',').collect();
            !(c[0] == "lora" && !c[1].is_empty() && c[1].parse::<f64>().unwrap() != 1e9)
        })
        .collect();
    let g = dir.path().join("lora_one.csv");
    fs::write(&g, format!("{header}\n{}\n", keep.join("\n"))).unwrap();
    let out = slaw()
        .args(["methods", &g.display().to_string()])
        .args(FACTORS)
        .args(base)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    // a method left out: a partial result, exit 3 (ux50)
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("warning: method 'lora' left out of the decision: ")
            && text.contains("a single value"),
        "{text}"
    );
    assert!(text.contains("recommended: "), "{text}");
}
