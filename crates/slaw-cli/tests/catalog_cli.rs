//! `slaw laws` names every law `slaw compare` may fit, the pool's
//! procedures included, and `fit --law` explains the ones it does not run.

use assert_cmd::Command;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

/// probe_rd 6: `m4-authors-capped`, in compare's default pool, was in
/// neither `slaw laws` nor its JSON, and `fit --law` called it unknown.
#[test]
fn the_pools_m4_procedures_are_listed_and_explained() {
    let out = slaw().arg("laws").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in ["m4-authors ", "m4-authors-capped "] {
        assert!(text.contains(&format!("\n{name}")), "{name}: {text}");
    }
    let out = slaw().args(["laws", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["compare_procedures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["m4-authors", "m4-authors-capped"]);
    let dir = tempfile::TempDir::new().unwrap();
    let mut csv = String::from("n,loss\n");
    for k in 0..12 {
        let n = 100.0 * 2f64.powi(k);
        csv += &format!("{n},{}\n", 2.0 + 30.0 * n.powf(-0.4));
    }
    std::fs::write(dir.path().join("c.csv"), csv).unwrap();
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "c.csv",
            "--law",
            "m4-authors-capped",
            "--x",
            "n",
            "--y",
            "loss",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--law: 'm4-authors-capped'")
            && err.contains("not a catalog law")
            && err.contains("the law 'm4'"),
        "{err}"
    );
}
