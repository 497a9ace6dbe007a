//! fix53a: `methods`' closed form said valid only near a crossing, its
//! crossing interval withheld when most replicate pairs do not cross, a
//! bound-held formula parameter's "?", the W&B wide export's per-run
//! columns listed, auto on sparse per-position data.

mod common;

use common::{json_of, run, slaw, write};
use std::path::PathBuf;

/// The probe's runs (its generator: the En-De multiplicative law for FMT,
/// Prompt, LoRA plus two PET factors, noise sd 0.005, seed 7).
fn probe_runs() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fix53a_joint_runs.csv")
        .display()
        .to_string()
}

const METHODS: [&str; 14] = [
    "--factor",
    "model_size",
    "--factor",
    "pretrain_tokens",
    "--factor",
    "prompt_len",
    "--factor",
    "lora_rank",
    "--pet",
    "prompt_len",
    "--pet",
    "lora_rank",
    "--at",
    "model_size=8e9",
];

fn methods(extra: &[&str]) -> (i32, String, String) {
    let f = probe_runs();
    let dir = tempfile::TempDir::new().unwrap();
    let mut args = vec!["methods", f.as_str()];
    args.extend(METHODS);
    args.extend(["--data", "3e3", "--seed", "7"]);
    args.extend(extra);
    run(dir.path(), &args)
}

#[test]
fn methods_closed_form_and_crossing_interval() {
    let (code, json, err) = methods(&["--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let (code, text, _) = methods(&[]);
    assert_eq!(code, 0);
    let rec = &v["recommendation"];
    let level = rec["level"].as_f64().unwrap();
    let x = rec["setting"]["x"].as_f64().unwrap();
    let mut mostly_without = 0;
    for c in rec["critical"].as_array().unwrap() {
        let pair = format!("  {} vs {}: ", c["methods"][0], c["methods"][1]).replace('"', "");
        let line = text
            .lines()
            .find(|l| l.starts_with(&pair))
            .unwrap_or_else(|| panic!("{pair} in {text}"));
        // The closed form: valid only when exact or when the laws cross
        // within 2x of it at the setting (the numeric crossings checked).
        let cf = &c["closed_form"];
        let valid = cf["valid"].as_bool().unwrap();
        let dc = cf["H"].as_f64().unwrap() * x.powf(cf["gamma"].as_f64().unwrap());
        let near: Vec<f64> = c["at_setting"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_f64().unwrap())
            .filter(|d| (d / dc).ln().abs() <= 2f64.ln())
            .collect();
        if valid {
            assert!(cf["exact"].as_bool().unwrap() || !near.is_empty(), "{c}");
            assert!(!line.contains("not valid"), "{line}");
        } else {
            assert!(near.is_empty(), "{c}");
            assert!(
                line.contains("closed form not valid here: E differ by")
                    && line.contains("the numeric crossing above is the answer")
                    && !line.contains("approximate"),
                "{line}"
            );
        }
        // FMT's E (0.75 in the truth) is far from Prompt's and LoRA's (0.62)
        if c["methods"][0] == "fmt" {
            assert!(!valid, "{c}");
        }
        // The crossing interval: none at the level when more than
        // (1 - level) of the pairs do not cross.
        let ci = &c["at_setting_interval"];
        let with = ci["with_crossing"].as_u64().unwrap() as f64;
        let without = ci["without_crossing"].as_u64().unwrap() as f64;
        let range = &ci["crossing_range_of_replicates_that_cross"];
        if without > (1.0 - level) * (with + without) + 1e-9 {
            mostly_without += 1;
            assert!(ci["interval"].is_null(), "{ci}");
            assert!(
                line.contains(&format!(
                    "no crossing in {without} of {} replicate pairs: no 95% interval",
                    with + without
                )) && !line.contains("bootstrap ["),
                "{line}"
            );
            if !range.is_null() {
                assert!(
                    line.contains(&format!("; the {with} that cross: ")),
                    "{line}"
                );
            }
        } else {
            assert!(range.is_null(), "{ci}");
        }
    }
    assert!(mostly_without >= 1, "{json}");
    // the probe's case: fmt vs prompt, 151 of 200 pairs without a crossing
    assert!(
        text.contains(
            "no crossing in 151 of 200 replicate pairs: no 95% interval; the 49 that cross: "
        ),
        "{text}"
    );
    let fp = rec["critical"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["methods"][0] == "fmt" && c["methods"][1] == "prompt")
        .unwrap();
    let r = &fp["at_setting_interval"]["crossing_range_of_replicates_that_cross"];
    assert!(r["lo"].as_f64().unwrap() < r["hi"].as_f64().unwrap(), "{r}");
}

#[test]
fn a_formula_parameter_held_by_a_bound_has_no_standard_error() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut csv = String::from("x,loss\n");
    for i in 0..10 {
        let x = 1e3 * 2f64.powi(i);
        let w = 1.0 + 0.003 * ((i * 37 % 7) as f64 - 3.0);
        csv += &format!("{x},{}\n", (5.0 * x.powf(-0.5) + 1.0) * w);
    }
    write(&dir, "p.csv", &csv);
    let (code, text, err) = run(
        dir.path(),
        &[
            "fit",
            "p.csv",
            "--formula",
            "A/x^alpha + E",
            "--x",
            "x",
            "--params",
            "A,alpha,E",
            "--bound",
            "alpha=0:0.3",
        ],
    );
    assert!(code == 0 || code == 3, "{err}");
    let alpha = text
        .lines()
        .find(|l| l.trim_start().starts_with("alpha"))
        .unwrap();
    assert!(
        alpha.contains("+/- ?") && alpha.contains("(on a bound: held by the bound, not the data)"),
        "{alpha}"
    );
    assert!(text.contains("?: held by a bound"), "{text}");
}

#[test]
fn a_wide_wandb_export_lists_its_per_run_columns() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut csv = String::from(
        "Step,cos-a - train/loss,cos-a - train/loss__MIN,cos-b - train/loss,cos-b - train/loss__MIN\n",
    );
    for k in 1..=30 {
        let t = 100.0 * k as f64;
        let l = 2.0 + 30.0 / t.sqrt();
        csv += &format!("{t},{l},{l},{},{}\n", l + 0.03, l + 0.03);
    }
    write(&dir, "w.csv", &csv);
    let (code, _, err) = run(
        dir.path(),
        &[
            "forecast",
            "w.csv",
            "--step-col",
            "Step",
            "--loss-col",
            "train/loss",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "2 columns end with ' - train/loss', one per run (a W&B wide export): \
             'cos-a - train/loss', 'cos-b - train/loss'; name one with --loss-col"
        ) && err.contains("--run-col"),
        "{err}"
    );
}

/// Per-position data at 8 checkpoints (steps 50..400), positions 1..64.
fn sparse_positions(dir: &tempfile::TempDir) -> String {
    let mut csv = String::from("step,position,loss\n");
    for c in 1..=8 {
        let t = 50.0 * c as f64;
        for p in 1..=64 {
            let p = p as f64;
            let l = 2.2 + 2.0 * p.powf(-0.4) + 8.0 / t.sqrt();
            csv += &format!("{t},{p},{l}\n");
        }
    }
    write(dir, "sparse.csv", &csv)
}

#[test]
fn auto_falls_back_to_the_aggregate_laws_on_sparse_per_position_data() {
    let dir = tempfile::TempDir::new().unwrap();
    let f = sparse_positions(&dir);
    let out = slaw()
        .args(["forecast", &f, "--fit-until", "0.5", "--json"])
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_ne!(v["method"], "temporal", "{v}");
    let w = v["warnings"][0].as_str().unwrap();
    assert!(
        w.starts_with("4 checkpoint(s) up to the end of the fit, too few for the temporal law (at least 6): auto forecast the aggregate loss"),
        "{w}"
    );
    let loss = v["forecasts"][0]["loss"].as_f64().unwrap();
    let truth = v["forecasts"][0]["observed"].as_f64().unwrap();
    assert!((loss / truth - 1.0).abs() < 0.05, "{loss} vs {truth}");
    // the temporal law named explicitly still refuses
    let out = slaw()
        .args(["forecast", &f, "--fit-until", "0.5", "--method", "temporal"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the temporal law needs at least 6"));
}

/// The temporal forecast's decay warning says what the decay does and how
/// often the final loss still ended above such forecasts on the benchmark's
/// runs (measured: /work/wt/notes/fix53a.md), not "expect the loss to end lower".
#[test]
fn the_temporal_decay_warning_says_how_often_the_loss_ended_above() {
    let f = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../bench/temporal/data/medium_cosine_seed1.csv");
    let out = slaw()
        .args([
            "forecast",
            f.to_str().unwrap(),
            "--fit-until",
            "0.2",
            "--json",
        ])
        .output()
        .unwrap();
    let v = json_of(&out);
    let w = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .find(|w| w.contains("no trajectory the temporal law chose"))
        .unwrap_or_else(|| panic!("{v}"));
    assert!(
        w.contains("ignores the coming decay, which lowers the loss")
            && w.contains(
                "the final loss still ended above such forecasts 14 times in 57 at fits to 10%"
            )
            && !w.contains("expect the loss to end lower"),
        "{w}"
    );
}
