//! probe51 finding 2: a file of several curves (one per model) fitted without
//! groups is pooled into one curve; the note says so, naming the column that
//! splits the curves, in `fit` (a warning, JSON `warnings` too) and `compare`
//! (a note; with JSON on stderr). Read with
//! groups, or a single curve, no such note.

mod common;

use common::{slaw, write};
use tempfile::TempDir;

/// Two models, four sizes each: power laws 3 n^-0.1 and 2 n^-0.1.
fn two_curves() -> String {
    let mut s = String::from("model,n,loss,hardware\n");
    for (m, a) in [("small", 3.0f64), ("large", 2.0)] {
        for n in [100.0f64, 200.0, 400.0, 800.0] {
            s.push_str(&format!("{m},{n},{:.6},gpu\n", a * n.powf(-0.1)));
        }
    }
    s
}

#[test]
fn several_curves_fitted_as_one_are_said() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "pool.csv", &two_curves());
    let said = "column 'model' splits them into 2 curves";
    for cmd in ["fit", "compare"] {
        let mut args = vec![cmd, &f, "--x", "n", "--y", "loss"];
        if cmd == "fit" {
            args.extend(["--law", "power"]);
        }
        let out = slaw().args(&args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(text.contains(said), "{cmd}: {text}");
        assert!(text.contains("fitted as one curve"), "{cmd}: {text}");
        // JSON: `fit` lists it among its warnings, `compare` (whose JSON has
        // no place for it) says it on stderr
        let mut json = args.clone();
        json.push("--json");
        let out = slaw().args(&json).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if cmd == "fit" {
            let warnings = v["warnings"].to_string();
            assert!(warnings.contains(said), "fit --json: {warnings}");
        } else {
            assert!(err.contains(said), "compare --json: {err}");
        }
        // grouped by the column: nothing to say
        let mut grouped = args.clone();
        grouped.extend(["--group", "model"]);
        let out = slaw().args(&grouped).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            !text.contains("fitted as one curve"),
            "{cmd} --group: {text}"
        );
    }
    // one curve of the file: nothing to say
    let one: String = two_curves()
        .lines()
        .filter(|l| !l.starts_with("large"))
        .map(|l| format!("{l}\n"))
        .collect();
    let g = write(&dir, "one.csv", &one);
    let out = slaw()
        .args(["fit", &g, "--law", "power", "--x", "n", "--y", "loss"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!text.contains("fitted as one curve"), "{text}");
}
