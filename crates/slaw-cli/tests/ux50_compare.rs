//! ux50: `compare` on points that all share one x does what `fit` does on
//! them: "no better than a constant", exit 3 (it predicted with a warning,
//! exit 0).

mod common;

use common::{slaw, write};
use tempfile::TempDir;

const ONE_X: &str = "n,loss\n1000,2.5\n1000,2.4\n1000,2.6\n1000,2.45\n1000,2.55\n";

#[test]
fn compare_on_points_sharing_one_x_is_no_better_than_a_constant() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "onex.csv", ONE_X);
    // what fit does: no better than a constant, exit 3
    let fit = slaw()
        .args(["fit", &f, "--law", "power", "--x", "n", "--y", "loss"])
        .output()
        .unwrap();
    assert_eq!(fit.status.code(), Some(3));
    let fit_text = String::from_utf8_lossy(&fit.stdout).to_string();
    assert!(
        fit_text.contains("explains the data no better than a constant"),
        "{fit_text}"
    );

    let out = slaw()
        .args(["compare", &f, "--x", "n", "--y", "loss", "--predict", "1e6"])
        .output()
        .unwrap();
    let (text, err) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert_eq!(out.status.code(), Some(3), "{text}\n{err}");
    assert!(
        text.contains(
            "prediction at x = 1e6: none: every law's fit explains the data no better than a \
             constant (the points share one x)"
        ),
        "{text}"
    );
    assert!(
        text.contains("warning: input 'n' takes one value (1000) at every fitted point"),
        "{text}"
    );
    assert!(
        err.contains("error: every law's fit explains the data no better than a constant")
            && err.contains("exit status 3"),
        "{err}"
    );
    let out = slaw()
        .args([
            "compare",
            &f,
            "--x",
            "n",
            "--y",
            "loss",
            "--predict",
            "1e6",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(j["predictions"][0]["loss"].is_null(), "{j}");
    assert!(
        j["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("no better than a constant")),
        "{j}"
    );
}
