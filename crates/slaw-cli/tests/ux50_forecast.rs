//! ux50: `forecast` past the last logged learning rate of a constant-rate
//! run (probe48 9h).

mod common;

use common::{shared, slaw, write};
use tempfile::TempDir;

/// A constant-rate run with a warmup: step, loss, lr at steps 100 ..
/// 3000 (the rate ramps to 1e-3 over the first 300 steps, then holds).
fn constant_rate(dir: &TempDir) -> String {
    let mut text = String::from("step,loss,lr\n");
    for k in 1..=30 {
        let t = 100.0 * k as f64;
        let lr = 1e-3 * (t / 300.0).min(1.0);
        let wiggle = 1.0 + 0.002 * (((k * 7919) % 11) as f64 / 10.0 - 0.5);
        text += &format!("{t},{},{lr}\n", (2.0 + 30.0 / t.sqrt()) * wiggle);
    }
    write(dir, "constant.csv", &text)
}

/// 9h: `auto` picked a law that reads the learning rate on a run whose
/// rate never decays, then refused past the last logged rate ("give the
/// schedule"). Now, the logged rate not decaying, it chooses among the
/// laws of the step alone and answers, saying why (a warning, text and
/// JSON); a rate that decays in the log still needs the schedule (see
/// forecast_cli's `auto_needs_the_schedule_past_the_last_rate`).
#[test]
fn auto_forecasts_past_the_last_rate_of_a_constant_rate_run() {
    let dir = TempDir::new().unwrap();
    let f = constant_rate(&dir);
    let out = slaw()
        .args([
            "forecast",
            &f,
            "--fit-until",
            "0.5",
            "--at",
            "6000",
            "--bootstrap",
            "0",
        ])
        .output()
        .unwrap();
    let (text, err) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert!(out.status.success(), "{text}\n{err}");
    assert!(
        text.contains("auto (the step-only laws: no learning rate at the forecast steps): "),
        "{text}"
    );
    assert!(
        text.contains(
            "the learning rate is logged up to step 3000, where it has not decayed, and no \
             schedule is given, so the laws that read it (tissue, multipower) cannot forecast \
             step 6000"
        ),
        "{text}"
    );
    let out = slaw()
        .args([
            "forecast",
            &f,
            "--fit-until",
            "0.5",
            "--at",
            "6000",
            "--bootstrap",
            "0",
        ])
        .arg("--json")
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["choice"]["step_only"], true, "{j}");
    assert!(
        ["reciprocal", "power"].contains(&j["method"].as_str().unwrap()),
        "{j}"
    );
    assert!(j["forecasts"][0]["loss"].as_f64().unwrap() > 0.0, "{j}");
    assert!(
        j["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("where it has not decayed")),
        "{j}"
    );
    // inside the logged rates, auto chooses as before (a law of the rate)
    let out = slaw()
        .args([
            "forecast",
            &f,
            "--fit-until",
            "0.5",
            "--bootstrap",
            "0",
            "--json",
        ])
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["choice"]["step_only"], false, "{j}");
}

/// The probe's command on the multi-power run it used.
#[test]
fn the_probes_constant_run_answers_past_its_end() {
    let Some(f) = shared("loss-curves/multipower/25/constant_24000.csv") else {
        return;
    };
    let out = slaw()
        .arg("forecast")
        .arg(&f)
        .args(["--fit-until", "0.5", "--at", "30000", "--bootstrap", "0"])
        .output()
        .unwrap();
    let (text, err) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert!(out.status.success(), "{text}\n{err}");
    assert!(text.contains("where it has not decayed"), "{text}");
}
