//! ux50: `joint` on a file without a method column (probe48 9f) and the
//! exit status of `methods` when it leaves a method out.

use assert_cmd::Command;
use slaw::joint::published::{generate, noise_sd, to_csv, EN_DE};
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

/// The published En-De runs of fmt with model sizes, without the method
/// column.
fn one_method(dir: &TempDir) -> String {
    let mut runs = generate(&EN_DE, noise_sd(0.005), 2);
    runs.runs.retain(|r| r.method == "fmt" && r.factor == 0);
    let csv = to_csv(&runs);
    let no_method: String = csv
        .lines()
        .map(|l| l.split_once(',').unwrap().1.to_string() + "\n")
        .collect();
    assert!(no_method.starts_with("model_size,"), "{no_method}");
    let p = dir.path().join("fmt_sizes.csv");
    fs::write(&p, no_method).unwrap();
    p.display().to_string()
}

/// 9f: a file without a method column is one method named after the file,
/// said in a note (text) and the first of the JSON's warnings; a method
/// column named and absent is still an error.
#[test]
fn joint_on_a_file_without_a_method_column_fits_one_method() {
    let dir = TempDir::new().unwrap();
    let f = one_method(&dir);
    let out = slaw()
        .args(["joint", &f, "--factor", "model_size"])
        .output()
        .unwrap();
    let (text, err) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert_eq!(out.status.code(), Some(0), "{text}\n{err}");
    assert!(
        text.starts_with("note: ")
            && text.contains(
                "no column 'method': every run is taken as one method, named 'fmt_sizes'"
            ),
        "{text}"
    );
    assert!(text.contains("method fmt_sizes\n"), "{text}");

    let out = slaw()
        .args(["joint", &f, "--factor", "model_size", "--json"])
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["fits"][0]["method"], "fmt_sizes", "{j}");
    assert!(
        j["warnings"][0]
            .as_str()
            .unwrap()
            .contains("no column 'method': every run is taken as one method"),
        "{j}"
    );

    // a method column named and absent stays an error
    let out = slaw()
        .args([
            "joint",
            &f,
            "--factor",
            "model_size",
            "--method-col",
            "peft",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("'peft'"), "{err}");
}

/// A method left out of `methods`' decision is a partial result: exit 3,
/// as `joint`, `fit --group` and `forecast --run-col` (it exited 0); the
/// others are still ranked and printed.
#[test]
fn methods_exits_3_when_it_leaves_a_method_out() {
    let dir = TempDir::new().unwrap();
    let mut runs = generate(&EN_DE, noise_sd(0.005), 2);
    // prompt: a single model size, so no run of it varies the setting's factor
    runs.runs
        .retain(|r| !(r.method == "prompt" && r.factor == 0 && r.x != 1e9));
    let f = dir.path().join("runs.csv");
    fs::write(&f, to_csv(&runs)).unwrap();
    let out = slaw()
        .arg("methods")
        .arg(&f)
        .args(["--factor", "model_size", "--factor", "pretrain_tokens"])
        .args([
            "--at",
            "model_size=8e9",
            "--data",
            "3e3",
            "--bootstrap",
            "20",
        ])
        .output()
        .unwrap();
    let (text, err) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert_eq!(out.status.code(), Some(3), "{text}\n{err}");
    assert!(text.contains("recommended: "), "{text}");
    assert!(
        err.contains(
            "partial result: 1 method(s) left out of the decision (prompt; see the warnings)"
        ) && err.contains("exit status 3"),
        "{err}"
    );
    // all methods kept: exit 0
    let all = generate(&EN_DE, noise_sd(0.005), 2);
    fs::write(&f, to_csv(&all)).unwrap();
    let out = slaw()
        .arg("methods")
        .arg(&f)
        .args(["--factor", "model_size", "--factor", "pretrain_tokens"])
        .args([
            "--at",
            "model_size=8e9",
            "--data",
            "3e3",
            "--bootstrap",
            "20",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
