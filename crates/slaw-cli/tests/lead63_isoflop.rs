//! `allocate --method isoflop` on three sizes per budget: too few bootstrap
//! replicates have a minimum for any interval, and the intervals' legend
//! says so instead of naming a bootstrap behind intervals that are not
//! there (a new user's probe found "isoflop 95% percentile bootstrap (16
//! replicates, ...)" under tables without one interval).

use assert_cmd::Command;
use std::fmt::Write as _;

/// Three isoFLOP budgets of three sizes each (4x apart), the loss from
/// Hoffmann et al.'s law; no noise.
fn runs() -> String {
    let mut s = String::from("C,N,D,loss\n");
    for (c, n0) in [(1e18, 2.0e7), (1e19, 5.7e7), (1e20, 1.6e8)] {
        for k in 0..3 {
            let n: f64 = n0 * 4f64.powi(k);
            let d = c / (6.0 * n);
            let loss = 1.69 + 406.4 / n.powf(0.34) + 410.7 / d.powf(0.28);
            writeln!(s, "{c:e},{n:e},{d:e},{loss}").unwrap();
        }
    }
    s
}

#[test]
fn a_method_without_any_interval_is_said_to_have_none() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("few.csv");
    std::fs::write(&file, runs()).unwrap();
    let allocate = |json: bool| {
        let mut c = Command::cargo_bin("slaw").unwrap();
        c.arg("allocate")
            .arg(&file)
            .args(["--n-col", "N", "--d-col", "D", "--flops-col", "C"])
            .args([
                "--method",
                "isoflop",
                "--budget",
                "1e21",
                "--bootstrap",
                "200",
            ]);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let out = allocate(false);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = allocate(true);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    // the premise: no interval anywhere in the JSON's isoflop result
    let iso = &v[0]["isoflop"];
    assert!(iso["exponent_n_interval"].is_null(), "{iso}");
    for r in iso["rows"].as_array().unwrap() {
        assert!(
            r["n_interval"].is_null() && r["d_interval"].is_null(),
            "{r}"
        );
    }
    let legend = text
        .lines()
        .find(|l| l.trim_start().starts_with("intervals:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(legend.contains("isoflop none"), "{legend}");
    assert!(!legend.contains("percentile bootstrap"), "{legend}");
}
