//! temp69: a per-position file counted from 0 is said (the temporal law
//! L_i = a0 / (1 + a1 i) + a2 counts positions from 1 and is not
//! shift-invariant), in the text and in the JSON warnings; a file counted
//! from 1 is not.

mod common;
use common::{json_of, slaw, warnings, write};

/// Per-position rows at steps 1000, 3000, ..., 39000 and 11 positions
/// `first`, `first` + 1, `first` + 3, ... (1, 2, 4, ..., 1024 less 1 when
/// `first` is 0): the same losses, only the positions' labels differ.
fn positions_file(first: u32) -> String {
    let mut s = String::from("step,position,loss\n");
    for c in 0..20 {
        let t = 1000.0 + 2000.0 * f64::from(c);
        for p in 0..11 {
            let i = f64::from(1u32 << p);
            let label = i - 1.0 + f64::from(first);
            s += &format!("{t},{label},{}\n", common::probe_position_loss(t, i));
        }
    }
    s
}

const NOTE: &str = "the smallest position is 0, but the temporal law counts positions from 1";

#[test]
fn a_zero_based_position_file_is_noted_in_text_and_json() {
    let dir = tempfile::TempDir::new().unwrap();
    let zero = write(&dir, "zero.csv", &positions_file(0));
    let one = write(&dir, "one.csv", &positions_file(1));
    let args = ["--fit-until", "0.5", "--bootstrap", "0"];

    let v = json_of(
        &slaw()
            .args(["forecast", &zero])
            .args(args)
            .arg("--json")
            .output()
            .unwrap(),
    );
    assert_eq!(v["method"], "temporal", "{v}");
    let w = warnings(&v);
    assert_eq!(w.iter().filter(|w| w.contains(NOTE)).count(), 1, "{w:?}");

    let out = slaw()
        .args(["forecast", &zero])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("warning: ") && l.contains(NOTE)),
        "{text}"
    );

    // counted from 1 (the law's convention): no note
    let v = json_of(
        &slaw()
            .args(["forecast", &one])
            .args(args)
            .arg("--json")
            .output()
            .unwrap(),
    );
    assert_eq!(v["method"], "temporal", "{v}");
    assert!(!warnings(&v).iter().any(|w| w.contains(NOTE)), "{v}");
    let out = slaw().args(["forecast", &one]).args(args).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(NOTE));
}

/// An aggregate law reads only the mean over positions: no note for it.
#[test]
fn a_zero_based_file_forecast_by_an_aggregate_law_is_not_noted() {
    let dir = tempfile::TempDir::new().unwrap();
    let zero = write(&dir, "zero.csv", &positions_file(0));
    let v = json_of(
        &slaw()
            .args(["forecast", &zero, "--fit-until", "0.5", "--bootstrap", "0"])
            .args(["--method", "reciprocal", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(v["method"], "reciprocal", "{v}");
    assert!(!warnings(&v).iter().any(|w| w.contains(NOTE)), "{v}");
}
