//! `slaw compare --no-drift`: the backtest pick without its learned drift
//! correction (a prior learned on language-model curves that lowers every
//! prediction beyond the data, a new user's probe found -7.6% at one decade
//! on an image classifier's error-rate curve). Without it the prediction is
//! the chosen laws' as fitted: higher than with it, and the rule's JSON says
//! no correction.

mod common;

use common::{json_of, slaw, write};
use tempfile::TempDir;

/// 12 points of L = 0.05 + 8 x^-0.2 over 1e5..1e8 with a fixed wiggle of
/// 0.5%.
fn curve() -> String {
    let z: [f64; 12] = [
        0.3, -1.1, 0.8, 1.4, -0.6, -0.2, 1.0, -1.5, 0.4, -0.9, 1.2, -0.1,
    ];
    let mut s = String::from("images,error\n");
    for (i, z) in z.iter().enumerate() {
        let x = 1e5 * 1000f64.powf(i as f64 / 11.0);
        let y = (0.05 + 8.0 * x.powf(-0.2)) * (0.005 * z).exp();
        s.push_str(&format!("{x:.6e},{y:.8}\n"));
    }
    s
}

fn run(f: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "compare",
        f,
        "--x",
        "images",
        "--y",
        "error",
        "--predict",
        "1e9",
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = slaw().args(&args).output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 3),
        "{out:?}"
    );
    json_of(&out)
}

#[test]
fn no_drift_predicts_the_laws_as_fitted() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "vis.csv", &curve());
    let with = run(&f, &[]);
    let without = run(&f, &["--no-drift"]);
    let loss = |j: &serde_json::Value| j["predictions"][0]["loss"].as_f64().unwrap();
    // the drift lowers every law's prediction beyond the data
    assert!(
        loss(&without) > loss(&with),
        "{} vs {}",
        loss(&without),
        loss(&with)
    );
    let g = &without["groups"][0];
    assert_eq!(g["rule"]["correction"]["kind"], "none", "{}", g["rule"]);
    assert!(g["corrections"].as_array().unwrap().is_empty(), "{g}");
    assert_ne!(with["groups"][0]["rule"]["correction"]["kind"], "none");
    // the text no longer says a drift lowered the predictions
    let text = slaw()
        .args(["compare", &f, "--x", "images", "--y", "error", "--no-drift"])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(!text.contains("drift correction beyond the data"), "{text}");
}
