//! The shared E of `slaw joint` on small designs: its +-1.96 standard
//! errors under-cover (E on its bound has none; elsewhere E trades off with
//! A and beta along a curved valley), so each shared parameter also carries
//! a 95% profile-likelihood interval (text `95% profile [lo, hi]`, JSON
//! `shared_profile_intervals`). Every input is generated here, with fixed
//! seeds.

mod common;

use common::{json_of, run, Normal};
use tempfile::TempDir;

/// The truth: one method, L = 50 / (X^0.1 D_f^0.15) + 1.
const E: f64 = 1.0;

/// A 4x4 design (model sizes 1e9..8e9, D_f 1e3..3e4), 1% log-normal noise:
/// under the default hold-out 9 runs are fitted.
fn runs(seed: u64) -> String {
    let mut g = Normal(seed);
    let mut s = String::from("method,model_size,data,loss\n");
    for x in [1e9, 2e9, 4e9, 8e9] {
        for d in [1e3, 3e3, 1e4, 3e4] {
            let l =
                (50.0 / (f64::powf(x, 0.1) * f64::powf(d, 0.15)) + E) * (0.01 * g.normal()).exp();
            s.push_str(&format!("fmt,{x:e},{d:e},{l:.6}\n"));
        }
    }
    s
}

fn joint_json(dir: &TempDir, seed: u64) -> serde_json::Value {
    let p = dir.path().join(format!("runs{seed}.csv"));
    std::fs::write(&p, runs(seed)).unwrap();
    let out = common::slaw()
        .current_dir(dir.path())
        .args([
            "joint",
            p.to_str().unwrap(),
            "--factor",
            "model_size",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    json_of(&out)
}

/// Over 20 fixed seeds the profile interval holds the true E at least 17
/// times (measured on 100 fresh seeds of this design: 96%), where +-1.96
/// standard errors (none when E sits on its bound) hold it far less often;
/// both forms carry an interval for every shared parameter.
#[test]
fn the_shared_e_profile_interval_covers_where_the_standard_error_does_not() {
    let dir = TempDir::new().unwrap();
    let (mut profile, mut se_cover) = (0, 0);
    for seed in 0..20u64 {
        let j = joint_json(&dir, seed);
        let forms = j["fits"][0]["forms"].as_array().unwrap();
        for f in forms {
            let iv = &f["shared_profile_intervals"];
            assert_eq!(iv["level"], 0.95, "{iv}");
            for (name, _) in f["shared"].as_object().unwrap() {
                let p = &iv["params"][name];
                let (lo, hi) = (p["lo"].as_f64().unwrap(), p["hi"].as_f64().unwrap());
                let v = f["shared"][name].as_f64().unwrap();
                assert!(lo <= v && v <= hi, "{name}: {v} outside [{lo}, {hi}]: {iv}");
                assert!(p["lo_open"].is_boolean() && p["hi_open"].is_boolean());
            }
        }
        let m = &forms[0];
        assert_eq!(m["form"], "multiplicative");
        let e = &m["shared_profile_intervals"]["params"]["E"];
        if e["lo"].as_f64().unwrap() <= E && E <= e["hi"].as_f64().unwrap() {
            profile += 1;
        }
        let (v, se) = (
            m["shared"]["E"].as_f64().unwrap(),
            &m["shared_std_errors"]["E"],
        );
        if se.as_f64().is_some_and(|se| (v - E).abs() <= 1.96 * se) {
            se_cover += 1;
        }
    }
    assert!(
        profile >= 17,
        "the profile interval held E {profile} of 20 times"
    );
    assert!(
        profile > se_cover,
        "profile {profile} vs standard error {se_cover} of 20"
    );
}

/// The text names the interval and marks a side the data do not determine
/// ("open"): on a seed whose E sits on its bound, the lower side.
#[test]
fn the_text_names_the_profile_interval_and_its_open_side() {
    let dir = TempDir::new().unwrap();
    let mut seen_open = false;
    for seed in 0..20u64 {
        let p = dir.path().join(format!("runs{seed}.csv"));
        std::fs::write(&p, runs(seed)).unwrap();
        let (code, out, err) = run(
            dir.path(),
            &["joint", p.to_str().unwrap(), "--factor", "model_size"],
        );
        assert_eq!(code, 0, "{out}\n{err}");
        let line = out
            .lines()
            .find(|l| l.contains("multiplicative L ="))
            .unwrap();
        assert!(
            line.contains("E=") && line.contains("(95% profile ["),
            "{line}"
        );
        if line.contains(" open, ") {
            seen_open = true;
        }
    }
    assert!(seen_open, "no seed of 20 had E's lower side open");
}

/// A shared parameter whose profile interval is open on a side gets a
/// warning in its form's `warnings` (and the text) even where its standard
/// error is small: the curvature at the optimum is local, the profile sees
/// that the data allow values out to the bound. Parameters already warned
/// about (loose, at a bound, not pinned) are not named twice; a form with
/// no open side gets no such warning.
#[test]
fn an_open_profile_side_is_warned_about() {
    let dir = TempDir::new().unwrap();
    let mut fired = 0;
    for seed in 0..12u64 {
        let j = joint_json(&dir, seed);
        for f in j["fits"][0]["forms"].as_array().unwrap() {
            let warnings: Vec<&str> = f["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap())
                .collect();
            let open_warning = warnings.iter().find(|w| {
                w.contains("profile-likelihood interval") && w.contains("open on the side")
            });
            let loose: Vec<&str> = f["shared_loose"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
                .collect();
            let mut expect = Vec::new();
            for (name, p) in f["shared_profile_intervals"]["params"].as_object().unwrap() {
                let open = p["lo_open"].as_bool().unwrap() || p["hi_open"].as_bool().unwrap();
                let noted = loose.contains(&name.as_str())
                    || warnings
                        .iter()
                        .any(|w| w.contains("at a bound") && w.contains(name.as_str()))
                    || warnings
                        .iter()
                        .any(|w| w.contains("not pinned") && w.contains(name.as_str()));
                if open && !noted {
                    expect.push(name.clone());
                }
            }
            match open_warning {
                Some(w) => {
                    fired += 1;
                    assert!(!expect.is_empty(), "seed {seed}: {w}");
                    for n in &expect {
                        assert!(w.contains(&format!("{n} [")), "seed {seed}: {n}: {w}");
                    }
                    assert!(w.contains(" open") && w.contains("95%"), "{w}");
                }
                None => assert!(
                    expect.is_empty(),
                    "seed {seed}: {expect:?} open, no warning: {warnings:?}"
                ),
            }
        }
    }
    assert!(
        fired > 0,
        "no form of 12 seeds had an open side warned about"
    );
}
/// Exact (noise-free) runs of two methods, losses to 6 decimals: every
/// bootstrap refit, warm-started at an optimum of residuals near 1e-7, is
/// an optimum (25-30% of the replicates were once reported
/// failed, the solver's stop there judged against |f| of 1e-13).
#[test]
fn the_bootstrap_refits_of_exact_runs_all_converge() {
    let dir = TempDir::new().unwrap();
    let mut s = String::from("method,model_size,data,loss\n");
    for (m, a, alpha, beta) in [("fmt", 50.0, 0.1, 0.15), ("lora", 20.0, 0.08, 0.10)] {
        for x in [1e9, 2e9, 4e9, 8e9, 1.6e10] {
            for d in [1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6] {
                let l: f64 = a / (f64::powf(x, alpha) * f64::powf(d, beta)) + 1.0;
                s.push_str(&format!("{m},{x:e},{d:e},{l:.6}\n"));
            }
        }
    }
    let p = dir.path().join("exact.csv");
    std::fs::write(&p, s).unwrap();
    let args = [
        "methods",
        p.to_str().unwrap(),
        "--factor",
        "model_size",
        "--at",
        "model_size=4e9",
        "--data",
        "1e4",
        "--json",
    ];
    let out = common::slaw()
        .current_dir(dir.path())
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let j = json_of(&out);
    let preds = j["recommendation"]["predictions"].as_array().unwrap();
    assert_eq!(preds.len(), 2);
    for p in preds {
        assert_eq!(p["replicates"], p["replicates_drawn"], "{p}");
        assert_eq!(p["replicates"], 200, "{p}");
    }
}
