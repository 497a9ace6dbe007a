//! `slaw fit` gives the same output whatever the order of the rows (a
//! new-user probe: the same rows reversed gave another termination and a
//! parameter at a bound for one group, and other last digits everywhere).

use assert_cmd::Command;
use std::fs;
use tempfile::TempDir;

/// Rows of 5 groups of the rectified law B / (D_l + n)^beta + E at n = 200
/// ... 25,600 with a deterministic 1% wiggle, in file order.
fn rows() -> Vec<String> {
    let mut state = 12345u64;
    let mut noise = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.02
    };
    let mut out = Vec::new();
    for (g, (b, dl, beta, e)) in [
        (30.0, 500.0, 0.4, 1.0),
        (12.0, 50.0, 0.3, 1.2),
        (80.0, 3000.0, 0.5, 0.9),
        (5.0, 10.0, 0.25, 1.4),
        (20.0, 800.0, 0.35, 1.1),
    ]
    .into_iter()
    .enumerate()
    {
        for k in 0..8 {
            let n = 200.0 * 2f64.powi(k);
            let loss = (b / (dl + n).powf(beta) + e) * (1.0 + noise());
            out.push(format!("m{g},{n},{loss}"));
        }
    }
    out
}

fn fit_json(dir: &TempDir, extra: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("slaw")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "fit", "d.csv", "--x", "n", "--y", "loss", "--group", "model",
        ])
        .args(extra)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // the groups are listed in the order of their first row
    v["groups"]
        .as_array_mut()
        .unwrap()
        .sort_by_key(|g| g["group"].as_str().unwrap().to_string());
    v
}

#[test]
fn reversed_rows_give_the_same_fit() {
    let rows = rows();
    let forward = TempDir::new().unwrap();
    let reversed = TempDir::new().unwrap();
    let write = |dir: &TempDir, rows: &mut dyn Iterator<Item = &String>| {
        let mut s = String::from("model,n,loss\n");
        for r in rows {
            s += r;
            s.push('\n');
        }
        fs::write(dir.path().join("d.csv"), s).unwrap();
    };
    write(&forward, &mut rows.iter());
    write(&reversed, &mut rows.iter().rev());
    for extra in [
        &["--law", "rectified", "--predict", "1e5"][..],
        &[
            "--formula",
            "B/(D+n)^beta+E",
            "--params",
            "B,D,beta,E",
            "--log-params",
            "B,D,E",
        ][..],
    ] {
        let a = fit_json(&forward, extra);
        let b = fit_json(&reversed, extra);
        assert_eq!(a["groups"].as_array().unwrap().len(), 5);
        assert_eq!(a, b, "{extra:?}");
    }
}
