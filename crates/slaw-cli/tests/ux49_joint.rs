//! ux49: `slaw joint` fits what it can (probe48 finding 2) and says when a
//! method's losses are no better than a constant (finding 8).

use assert_cmd::Command;
use slaw::joint::published::{generate, noise_sd, to_csv, EN_DE};
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

const FACTORS: [&str; 4] = ["--factor", "model_size", "--factor", "pretrain_tokens"];

/// The published En-De runs with lora reduced to a single model size (its
/// pretraining runs still fit) and prompt to a single model size and no
/// pretraining runs (nothing of it can be fitted).
fn partly_fittable(dir: &TempDir) -> String {
    let mut runs = generate(&EN_DE, noise_sd(0.005), 2);
    runs.runs.retain(|r| {
        let one_size = r.factor == 0 && r.x != 1e9;
        !(r.method == "lora" && one_size || r.method == "prompt" && (one_size || r.factor == 1))
    });
    let p = dir.path().join("runs.csv");
    fs::write(&p, to_csv(&runs)).unwrap();
    p.display().to_string()
}

/// Finding 2: one method (or one factor of a method) that cannot be fitted
/// no longer stops the others: they are fitted, the skipped ones are listed
/// with the reason in the text and the JSON (`{"fits", "skipped",
/// "warnings"}`), and the exit status is 3, as `fit --group` and `forecast
/// --run-col` do.
#[test]
fn joint_fits_what_it_can_and_lists_what_it_could_not() {
    let dir = TempDir::new().unwrap();
    let f = partly_fittable(&dir);
    let out = slaw().args(["joint", &f]).args(FACTORS).output().unwrap();
    let (text, err) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert_eq!(out.status.code(), Some(3), "{text}\n{err}");
    assert!(
        text.contains("warning: method 'prompt' not fitted: ")
            && text.contains("factor 'model_size': every run has model_size = "),
        "{text}"
    );
    assert!(
        text.contains("method fmt\n") && text.contains("method lora\n"),
        "{text}"
    );
    assert!(!text.contains("method prompt\n"), "{text}");
    // lora is fitted on its pretraining runs; its model size is said
    let lora = &text[text.find("method lora\n").unwrap()..];
    assert!(
        lora.contains("method 'lora', factor 'model_size': every run has model_size")
            && lora.contains("not fitted (the method's other factors are)"),
        "{lora}"
    );
    assert!(lora.contains("    pretrain_tokens "), "{lora}");
    assert!(
        err.contains("1 method(s) and 1 factor(s) of fitted methods not fitted")
            && err.contains("exit status 3"),
        "{err}"
    );
    let out = slaw()
        .args(["joint", &f, "--json"])
        .args(FACTORS)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let methods: Vec<&str> = v["fits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["fmt", "lora"]);
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{v}");
    assert_eq!(skipped[0]["method"], "lora");
    assert_eq!(skipped[0]["factor"], "model_size");
    assert_eq!(skipped[1]["method"], "prompt");
    assert!(skipped[1]["factor"].is_null());
    for k in skipped {
        assert!(
            k["reason"].as_str().unwrap().contains("a single value"),
            "{k}"
        );
    }
    let lora = &v["fits"][1];
    assert_eq!(lora["skipped_factors"][0]["factor"], "model_size");
    let factors: Vec<&str> = lora["forms"][0]["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["factor"].as_str().unwrap())
        .collect();
    assert_eq!(factors, ["pretrain_tokens"]);
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .starts_with("method 'prompt' not fitted: "),
        "{v}"
    );
    assert!(warnings
        .iter()
        .any(|w| w.as_str().unwrap().starts_with("method lora: ")
            && w.as_str().unwrap().contains("not fitted")));
}

/// With nothing fittable, still an error (exit 2) naming why for each method.
#[test]
fn joint_with_no_fittable_method_is_an_error_naming_each() {
    let dir = TempDir::new().unwrap();
    let mut runs = generate(&EN_DE, noise_sd(0.005), 2);
    runs.runs.retain(|r| r.factor == 0 && r.x == 1e9);
    let p = dir.path().join("one.csv");
    fs::write(&p, to_csv(&runs)).unwrap();
    let out = slaw()
        .args(["joint", &p.display().to_string()])
        .args(FACTORS)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no method could be fitted"), "{err}");
    for m in ["fmt", "lora", "prompt"] {
        assert!(
            err.contains(&format!("method '{m}', factor 'model_size'")),
            "{err}"
        );
    }
}
