//! probe44's forecast-side items: a parameter on the scale-free search's
//! bound, step-only laws before a decay, a single run's what-if intervals,
//! the temporal law's interval kind and an all-zero learning rate.

mod common;

use assert_cmd::Command;
use common::{json_of, shared};
use predicates::prelude::*;
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn warnings(v: &serde_json::Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

/// probe44 item 3: a pure power curve (no floor) fits E, or tissue's L0,
/// on the floor of the scale-free search, whose bound follows the loss's
/// unit; it is flagged whatever the unit (it was only where the scaled
/// bound happened to equal the nominal one).
#[test]
fn a_loss_floor_on_the_search_bound_is_flagged_in_any_unit_of_the_loss() {
    let dir = TempDir::new().unwrap();
    for k in [0.5, 1.0, 2.5, 10.0] {
        let mut s = String::from("step,lr,loss\n");
        for i in 1..=200 {
            let t = 100.0 * i as f64;
            s.push_str(&format!("{t},1e-3,{}\n", k * 10.0 * t.powf(-0.5)));
        }
        let f = write(&dir, &format!("pure_{k}.csv"), &s);
        for (method, param) in [("power", "E"), ("tissue", "L0")] {
            let out = slaw()
                .args(["forecast", &f, "--fit-until", "0.3", "--method", method])
                .args(["--bootstrap", "0", "--json"])
                .output()
                .unwrap();
            let v = json_of(&out);
            let floor = v["params"][param].as_f64().unwrap();
            assert!(floor < 1e-4 * k, "{method} k {k}: {param} = {floor}");
            let want = format!("parameter {param} is at a bound of its range");
            assert!(
                warnings(&v).iter().any(|w| w.starts_with(&want)),
                "{method} k {k}: {param} = {floor}, warnings {:?}",
                warnings(&v)
            );
        }
    }
}

