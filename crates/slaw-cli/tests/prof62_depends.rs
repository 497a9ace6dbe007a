//! A prediction that depends on a parameter on its bound, the others
//! trading with it: the rectified law on a real fine-tuning curve (FLAN,
//! LaMini-GPT-124M, sizes 200..25,600) puts E on its floor (2e-10), while
//! the data allow E up to about 1 once B, D_l and beta are refitted; the
//! prediction at 1,638,400 moves with it (1.33 -> 2.3). A small step of E
//! with the others held moved nothing, so the fit said "none of the 1
//! prediction asked for depends on them". It is now judged along E's
//! profile (the others refitted, the data's 95% likelihood-ratio region).

mod common;

use assert_cmd::Command;
use common::{flan_curve, json_of};
use std::fs;
use tempfile::TempDir;

#[test]
fn a_prediction_that_moves_along_a_bound_parameters_profile_depends_on_it() {
    let Some((csv, _)) = flan_curve("MBZUAI/LaMini-GPT-124M") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("curve.csv");
    fs::write(&f, csv).unwrap();
    let run = |json: bool| {
        let mut c = Command::cargo_bin("slaw").unwrap();
        c.args(["fit", f.to_str().unwrap(), "--x", "n", "--law", "rectified"])
            .args(["--predict", "1638400", "--predict", "30000"]);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let v = json_of(&run(true));
    let g = &v["groups"][0];
    let at_bounds = g["fit"]["identifiability"]["at_bounds"].to_string();
    assert!(at_bounds.contains("\"E\""), "{at_bounds}");
    let far = &g["predictions"][0];
    assert_eq!(
        far["depends_on_unpinned"],
        serde_json::json!(["E"]),
        "{far}"
    );
    // just past the data, E's range moves the prediction by under 1%
    let near = &g["predictions"][1];
    assert_eq!(near["depends_on_unpinned"], serde_json::json!([]), "{near}");
    let out = run(false);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 of the 2 predictions asked for depends on them"),
        "{text}"
    );
    assert!(!text.contains("none of the"), "{text}");
}
