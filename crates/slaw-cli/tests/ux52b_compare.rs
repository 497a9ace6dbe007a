//! ux52b, probe52 finding 14: `compare`'s backtest pick says plainly what
//! its prediction is; the weights and the rule's parameters only with
//! --verbose; the JSON is the same either way.

use assert_cmd::Command;
use std::fs;
use tempfile::TempDir;

fn run(f: &str, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("slaw")
        .unwrap()
        .args([
            "compare",
            f,
            "--x",
            "n",
            "--y",
            "loss",
            "--predict",
            "1638400",
        ])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn the_prediction_line_is_plain_and_the_rule_is_verbose() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("one.csv");
    // one FLAN fine-tuning curve (LaMini-GPT-124M, probe52's one_pos.csv)
    fs::write(
        &f,
        "n,loss\n200,4.247949918\n400,4.188166777\n800,4.086900075\n1600,3.946466605\n\
         3200,3.808449984\n6400,3.645450115\n12800,3.420799971\n25600,3.165299892\n",
    )
    .unwrap();
    let f = f.to_str().unwrap();
    let out = run(f, &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("prediction: "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.starts_with("prediction: the median of 3 laws' drift-corrected predictions: "),
        "{line}"
    );
    assert!(
        !text.contains("pick: ") && !text.contains("rule: "),
        "{text}"
    );
    let out = run(f, &["--verbose"]);
    let verbose = String::from_utf8_lossy(&out.stdout);
    assert!(verbose.contains(line), "{verbose}");
    assert!(
        verbose.contains("; rule: origins 0.75/last-2, median of 3"),
        "{verbose}"
    );
    let (a, b) = (run(f, &["--json"]), run(f, &["--json", "--verbose"]));
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
}
