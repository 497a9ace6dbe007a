//! probe51: `slaw select` as a new user meets it — the cost line's FLOPs in
//! the one number format, and a target given in another unit than the
//! file's sizes (examples against thousands of examples) said in a warning
//! instead of a silent ranking from 3 decades of extrapolation. Every input
//! is built here (the demo's pool is built in).

mod common;

use common::run;
use std::fs;
use tempfile::TempDir;

/// The cost line printed the FLOPs as `1.099e18` (4 digits, `{:.3e}`),
/// outside `numbers::num`'s one format; now the JSON's figure through
/// `num` (6 significant digits, trailing zeros dropped).
#[test]
fn the_cost_line_prints_flops_in_the_one_number_format() {
    let dir = TempDir::new().unwrap();
    let (code, json, err) = run(dir.path(), &["demo", "--json", "--plot", "d.svg"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let sel = v.get("selection").unwrap_or(&v);
    let flops = sel["cost"]["flops"]
        .as_f64()
        .unwrap_or_else(|| panic!("no cost.flops in {sel}"));
    let (code, text, err) = run(dir.path(), &["demo", "--plot", "d.svg"]);
    assert_eq!(code, 0, "{err}");
    let cost = text
        .lines()
        .find(|l| l.starts_with("cost: "))
        .expect("a cost line");
    // The FLOPs, then the tokens per example they assume (probe61).
    let want = format!("({} FLOPs: ", slaw::numbers::num(flops));
    assert!(cost.contains(&want), "{cost}\nwanted {want}");
    assert!(!cost.contains(&format!("({flops:.3e} FLOPs)")), "{cost}");
}

/// Six rectified-law candidates (the demo's parameters) measured, as a
/// user runs them, at the affordable sizes only: 200, 400, ..., 25600
/// examples, each written as `n / unit` (unit 1000: thousands), with a
/// fixed +-1% pseudo-noise.
fn pool(unit: f64) -> String {
    pool_to(unit, 8)
}

/// [`pool`] at the sizes 200 x 2^k for k < `sizes` (14: up to 1638400).
fn pool_to(unit: f64, sizes: i32) -> String {
    let laws = [
        ("alpha", 199.0, 45.5, 0.33, 0.46),
        ("beta", 332.0, 85.1, 0.395, 0.88),
        ("gamma", 26.8, 9.92, 0.197, 0.69),
        ("delta", 6.88, 3.93, 0.184, 1.16),
        ("eps", 20.7, 8.39, 0.18, 0.56),
        ("zeta", 13.1, 8.33, 0.231, 1.22),
    ];
    let mut s = String::from("model,n,loss\n");
    for (i, &(id, b, dl, beta, e)) in laws.iter().enumerate() {
        for k in 0..sizes {
            let n = 200.0 * 2f64.powi(k);
            let h = ((i * 15 + k as usize) as f64 * 12.9898).sin() * 43758.5453;
            let noise = 0.01 * (2.0 * (h - h.floor()) - 1.0);
            let l = (b / (dl + n.powf(beta)) + e) * noise.exp();
            s += &format!("{id},{},{l}\n", n / unit);
        }
    }
    s
}

const SHORT: &str = "the pool's measurements stop at size";

/// Sizes in thousands of examples and a target in examples: every size is
/// affordable, the ranking extrapolates 3 decades instead of 1.8, and
/// nothing said so (exit 0, no warning). Now a warning names the largest
/// measured size, the budget's size, the target and the likely cause (text
/// and JSON alike); the same pool with the target in the sizes' unit, or
/// in examples throughout, gets none.
#[test]
fn a_target_in_another_unit_than_the_sizes_is_warned_about() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("k.csv"), pool(1000.0)).unwrap();
    fs::write(dir.path().join("full.csv"), pool(1.0)).unwrap();
    let args = |f: &'static str, target: &'static str| {
        vec!["select", f, "--target", target, "--budget", "1/64"]
    };
    let (code, text, err) = run(dir.path(), &args("k.csv", "1638400"));
    assert_eq!(code, 0, "{err}");
    let w = text
        .lines()
        .find(|l| l.starts_with(&format!("warning: {SHORT}")))
        .unwrap_or_else(|| panic!("no warning in\n{text}"));
    for part in ["25.6", "25600", "1.6384e6", "another unit"] {
        assert!(w.contains(part), "{part} not in {w}");
    }
    let mut json_args = args("k.csv", "1638400");
    json_args.push("--json");
    let (code, json, err) = run(dir.path(), &json_args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ws: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert!(ws.iter().any(|w| w.starts_with(SHORT)), "{ws:?}");
    for (f, target) in [("k.csv", "1638.4"), ("full.csv", "1638400")] {
        let (code, text, err) = run(dir.path(), &args(f, target));
        assert_eq!(code, 0, "{err}");
        assert!(!text.contains(SHORT), "{f} at {target}:\n{text}");
    }
}

/// A reference (the same models on another task) in examples beside a
/// pool in thousands of examples: no candidate could be tested, and the
/// warning said only "0 testable, too few for the match test", not why.
/// Now it gives both files' size ranges and asks whether they are in one
/// unit; a reference in the pool's unit gets no such words.
#[test]
fn a_reference_in_another_unit_is_said_with_both_size_ranges() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("k.csv"), pool(1000.0)).unwrap();
    fs::write(dir.path().join("ref_full.csv"), pool_to(1.0, 14)).unwrap();
    fs::write(dir.path().join("ref_k.csv"), pool_to(1000.0, 14)).unwrap();
    let args = |r: &'static str| {
        vec![
            "select",
            "k.csv",
            "--target",
            "1638.4",
            "--budget",
            "1/64",
            "--reference",
            r,
        ]
    };
    let (code, text, err) = run(dir.path(), &args("ref_full.csv"));
    assert_eq!(code, 0, "{err}");
    let w = text
        .lines()
        .find(|l| l.starts_with("warning: reference 1 (ref_full.csv)"))
        .unwrap_or_else(|| panic!("no warning about the reference in\n{text}"));
    for part in [
        "0 testable",
        "6 matched candidates had no loss in the reference",
        "the reference's sizes run from 200 to 1.6384e6, the pool's from 0.2 to 25.6",
        "in one unit?",
    ] {
        assert!(w.contains(part), "{part} not in {w}");
    }
    let (code, text, err) = run(dir.path(), &args("ref_k.csv"));
    assert_eq!(code, 0, "{err}");
    assert!(!text.contains("in one unit?"), "{text}");
}
