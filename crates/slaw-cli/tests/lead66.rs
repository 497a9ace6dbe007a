//! A schedule-aware law on a learning rate that never decays: its annealing
//! terms change no fitted point and no forecast, so `forecast` does not
//! print them as fitted — the text lists them as not determined and not
//! used, the JSON names them in `unused_params` (their values stay in
//! `params`, where the search left them); a law whose every parameter
//! moves the fit has none.

mod common;

use common::{json_of, slaw, write};
use tempfile::TempDir;

/// A pretraining log at a constant learning rate (after a short warmup): a
/// power law of the cumulative rate with a little deterministic noise.
fn constant_rate_log() -> String {
    let mut s = String::from("step,lr,loss\n");
    for i in 1..=200u32 {
        let step = 100.0 * f64::from(i);
        let lr = if step <= 500.0 {
            3e-4 * step / 500.0
        } else {
            3e-4
        };
        let s1 = 3e-4 * step;
        let noise = 1.0 + 0.002 * (f64::from(i) * 2.399).sin();
        let loss = (2.0 + 1.5 * s1.powf(-0.35)) * noise;
        s += &format!("{step},{lr},{loss:.6}\n");
    }
    s
}

/// `slaw forecast FILE ARGS...`'s output.
fn forecast(file: &str, args: &[&str]) -> std::process::Output {
    slaw()
        .arg("forecast")
        .arg(file)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn annealing_terms_on_a_rate_that_never_decays_are_said_unused() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "constant.csv", &constant_rate_log());
    for method in ["multipower", "tissue", "auto"] {
        let out = forecast(&f, &["--fit-until", "0.3", "--method", method, "--json"]);
        assert!(
            out.status.success(),
            "{method}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = json_of(&out);
        let unused: Vec<&str> = v["unused_params"]
            .as_array()
            .unwrap_or_else(|| panic!("{method}: no unused_params in {v}"))
            .iter()
            .map(|u| u.as_str().unwrap())
            .collect();
        let law = v["method"].as_str().unwrap();
        let want: &[&str] = match law {
            "multipower" => &["B", "C", "beta", "gamma"],
            "tissue" => &["C"],
            other => panic!("{method}: chose {other}"),
        };
        assert_eq!(unused, want, "{method} ({law})");
        // still in params (the law needs them to be evaluated)
        for u in want {
            assert!(
                v["params"][u].is_number(),
                "{method}: {u} missing from params"
            );
        }
        let text = forecast(&f, &["--fit-until", "0.3", "--method", method]);
        let text = String::from_utf8(text.stdout).unwrap();
        let params = text
            .lines()
            .find(|l| l.starts_with("parameters: "))
            .unwrap();
        for u in want {
            assert!(!params.contains(&format!(" {u}=")), "{method}: {params}");
        }
        assert!(
            params.contains("L0=") && params.contains("alpha="),
            "{params}"
        );
        let said = text
            .lines()
            .find(|l| l.starts_with("not determined, and not used by the forecast: "))
            .unwrap_or_else(|| panic!("{method}: {text}"));
        assert!(said.contains(&want.join(", ")), "{said}");
    }
    // The step-only law: every parameter moves the fit, none is listed.
    let out = forecast(
        &f,
        &["--fit-until", "0.3", "--method", "reciprocal", "--json"],
    );
    assert!(out.status.success());
    assert!(json_of(&out).get("unused_params").is_none());
}

/// auto's tie between tissue and multipower (both reduce to L0 + A S1^-alpha
/// on a rate that never decays; their held-out errors differ in the
/// optimizer's last digits) goes to the simpler law, tissue.
#[test]
fn a_tie_on_a_rate_that_never_decays_goes_to_tissue() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "constant.csv", &constant_rate_log());
    for until in ["0.2", "0.3", "0.5"] {
        let out = forecast(&f, &["--fit-until", until, "--json"]);
        assert!(out.status.success());
        let v = json_of(&out);
        let errs: Vec<f64> = v["choice"]["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["held_out_rmse"].as_f64().unwrap())
            .collect();
        let (lo, hi) = (errs[0].min(errs[1]), errs[0].max(errs[1]));
        assert!(hi <= lo * (1.0 + 1e-6), "{until}: not a tie: {errs:?}");
        assert_eq!(v["method"], "tissue", "{until}: {errs:?}");
    }
}
