//! ux49 (probe48 finding 4): `fit` and `compare` on a TensorBoard event file
//! whose fitted tag is logged at some steps only (an eval loss every 1000
//! steps) fit the steps where it is logged and say how many were dropped; a
//! bad cell of an event file is named by its step, not a synthesized row.

use assert_cmd::Command;
use std::path::PathBuf;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

fn fixture() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../slaw/tests/fixtures/tfevents/events.out.tfevents.slaw-fixture")
        .display()
        .to_string()
}

#[test]
fn a_sparsely_logged_tag_is_fitted_on_its_steps() {
    let t = fixture();
    let out = slaw()
        .args([
            "fit",
            &t,
            "--law",
            "power",
            "--x",
            "step",
            "--y",
            "eval/loss",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("54 of 60 steps dropped: 'eval/loss' not logged there")
            && text.contains("fitted on the 6 steps where it is logged"),
        "{text}"
    );
    assert!(text.contains("(6 points)"), "{text}");
    let out = slaw()
        .args([
            "fit",
            &t,
            "--law",
            "power",
            "--x",
            "step",
            "--y",
            "eval/loss",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("54 of 60 steps dropped"),
        "{v}"
    );
    // every step logged: nothing dropped, nothing said
    let out = slaw()
        .args([
            "fit",
            &t,
            "--law",
            "power",
            "--x",
            "step",
            "--y",
            "train/loss",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("dropped"));
    // compare: the same steps, the note beside its report
    let out = slaw()
        .args(["compare", &t, "--x", "step", "--y", "eval/loss"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("note: ") && text.contains("54 of 60 steps dropped"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("empty cell"), "{text}");
}

#[test]
fn a_bad_cell_of_an_event_file_is_named_by_its_step() {
    let out = slaw()
        .args([
            "fit",
            &fixture(),
            "--law",
            "power",
            "--x",
            "step",
            "--y",
            "eval/loss",
        ])
        .args(["--holdout-col", "train/learning_rate"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("column 'train/learning_rate': at step 1000: ")
            && err.contains("is not a held-out flag"),
        "{err}"
    );
    assert!(!err.contains(", row "), "{err}");
}
