//! `slaw schedule` says what its intervals covered as measured, per law,
//! and says nothing of the kind when it gives no interval.

mod common;
use common::{shared, slaw};

fn schedule(method: &str, bootstrap: &str) -> Option<String> {
    let d = shared("loss-curves/multipower/25")?;
    let out = slaw()
        .arg("schedule")
        .args(["constant_24000.csv", "cosine_24000.csv", "wsdcon_9.csv"].map(|f| d.join(f)))
        .args(["--method", method, "--bootstrap", bootstrap])
        .args(["--predict", "cosine:peak=3e-4,total=72000,warmup=2160"])
        .output()
        .expect("run slaw");
    assert!(out.status.success(), "{out:?}");
    Some(String::from_utf8(out.stdout).expect("utf-8"))
}

#[test]
fn schedule_text_states_the_measured_coverage_of_its_law() {
    for (method, covered, synthetic) in [
        ("tissue", "92.3% / 94.6% of", true),
        ("multipower-warmup", "88.3% / 88.7% of", false),
    ] {
        let Some(text) = schedule(method, "20") else {
            return;
        };
        let line = text
            .lines()
            .find(|l| l.starts_with("coverage as measured:"))
            .unwrap_or_else(|| panic!("{method}: no coverage line in\n{text}"));
        assert!(
            line.contains(&format!("{method}'s 90% intervals covered {covered}")),
            "{line}"
        );
        assert_eq!(line.contains("conservative"), synthetic, "{line}");
    }
    let Some(text) = schedule("tissue", "0") else {
        return;
    };
    assert!(!text.contains("coverage as measured"), "{text}");
}

/// An `lr:FILE` schedule finds a `learning_rate` column as `slaw forecast`
/// does, and a broken row names the one rule it breaks, with its row and
/// column.
#[test]
fn schedule_files_find_learning_rate_and_name_the_broken_rule() {
    let Some(d) = shared("loss-curves/multipower/25") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut hf = String::from("step,learning_rate\n");
    for t in (1..24_000).step_by(100) {
        let lr = if t < 20_000 { 3e-4 } else { 3e-5 };
        hf.push_str(&format!("{t},{lr}\n"));
    }
    let cases = [
        ("hf.csv", hf, None),
        (
            "order.csv",
            "step,lr\n1,3e-4\n100,3e-4\n50,2e-4\n".to_string(),
            Some("order.csv, row 4, column 'step': steps must increase"),
        ),
        (
            "neg.csv",
            "step,lr\n1,3e-4\n100,-3e-4\n200,2e-4\n".to_string(),
            Some("neg.csv, row 3, column 'lr': learning rates must be >= 0"),
        ),
    ];
    for (name, text, error) in cases {
        let path = common::write(&dir, name, &text);
        let out = slaw()
            .arg("schedule")
            .args(["constant_24000.csv", "cosine_24000.csv"].map(|f| d.join(f)))
            .args(["--bootstrap", "0", "--predict", &format!("lr:{path}")])
            .output()
            .expect("run slaw");
        let err = String::from_utf8_lossy(&out.stderr);
        match error {
            None => assert!(out.status.success(), "{name}: {err}"),
            Some(msg) => {
                assert_eq!(out.status.code(), Some(2), "{name}: {err}");
                assert!(err.contains(msg), "{name}: {err}");
                assert!(!err.contains(';'), "one rule, not both: {err}");
            }
        }
    }
}

/// A schedule far past the runs (a budget in tokens, not steps) is said,
/// with how many decades; one within a decade is not.
#[test]
fn schedule_far_past_the_runs_is_warned() {
    let Some(d) = shared("loss-curves/multipower/25") else {
        return;
    };
    for (steps, warned) in [("72000000", true), ("72000", false)] {
        let out = slaw()
            .arg("schedule")
            .args(["constant_24000.csv", "cosine_24000.csv"].map(|f| d.join(f)))
            .args(["--bootstrap", "0", "--predict", "constant:peak=3e-4"])
            .args(["--steps", steps])
            .output()
            .expect("run slaw");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        let line = text
            .lines()
            .find(|l| l.contains("past the runs' last step"));
        assert_eq!(line.is_some(), warned, "{steps}: {text}");
        if let Some(l) = line {
            assert!(
                l.contains("3.5 decades past the runs' last step (23936)"),
                "{l}"
            );
        }
    }
}
