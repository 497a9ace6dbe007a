//! ux49 (probe48 finding 9e): a lower bound of 0 on a parameter fitted in
//! log space is refused with a small positive bound to give instead.

use assert_cmd::Command;
use std::fs;
use tempfile::TempDir;

#[test]
fn a_zero_lower_bound_in_log_space_suggests_a_small_positive_one() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("one.csv");
    let mut csv = String::from("n,loss\n");
    for i in 1..=12 {
        let n = 1000.0 * f64::from(i);
        csv += &format!("{n},{}\n", 1.5 + 30.0 / n.powf(0.5));
    }
    fs::write(&f, csv).unwrap();
    let out = Command::cargo_bin("slaw")
        .unwrap()
        .args([
            "fit",
            &f.display().to_string(),
            "--law",
            "power",
            "--x",
            "n",
        ])
        .args(["--y", "loss", "--bound", "E=0:1.5"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("its bounds must be > 0, got 0:1.5"), "{err}");
    assert!(
        err.contains("for a lower bound at zero give a small positive one, e.g. E=1e-10:1.5"),
        "{err}"
    );
}
