//! The per-position data generator of bench/temporal (numpy): its gradient
//! check, and a smoke run of a tiny model whose output `slaw forecast` reads.
//! Skips with a message when python3 with numpy is absent, except under CI.

use assert_cmd::Command;
use std::path::PathBuf;
use std::process::Command as Std;
use tempfile::TempDir;

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/temporal")
}

/// "python3" when it can import numpy; None (with a message) otherwise,
/// a failure under CI=true.
fn python() -> Option<&'static str> {
    let ok = Std::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some("python3")
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("python3 with numpy is needed under CI (.ci/run installs numpy)");
    } else {
        eprintln!("SKIPPED: python3 with numpy not found (pip install numpy)");
        None
    }
}

#[test]
fn gradients_match_finite_differences() {
    let Some(py) = python() else { return };
    let out = Std::new(py)
        .args(["-m", "unittest", "discover", "-s"])
        .arg(bench_dir())
        .args(["-p", "test_*.py"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Ran 2 tests") && err.contains("OK"), "{err}");
}

/// A few steps of a tiny model on the Rust documentation (or, where the
/// rust-docs component is absent, on a small stand-in corpus), then
/// `slaw forecast` on its per-position file.
#[test]
fn smoke_run_writes_a_file_slaw_forecast_reads() {
    let Some(py) = python() else { return };
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("tiny.csv");
    let mut cmd = Std::new(py);
    cmd.arg(bench_dir().join("train.py")).args([
        "--d",
        "16",
        "--layers",
        "1",
        "--heads",
        "2",
        "--batch",
        "4",
        "--steps",
        "16",
        "--checkpoints",
        "8",
        "--val-seqs",
        "4",
        "--schedule",
        "wsd",
        "--seed",
        "3",
    ]);
    cmd.arg("--out").arg(&out).env("OPENBLAS_NUM_THREADS", "1");
    let has_docs = Std::new(py)
        .arg(bench_dir().join("train.py"))
        .arg("--print-docs")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_docs {
        eprintln!("no rust-docs component: the smoke run uses a stand-in corpus");
        let docs = dir.path().join("docs");
        for book in ["book", "nomicon", "rust-by-example", "edition-guide"] {
            std::fs::create_dir_all(docs.join(book)).unwrap();
            let text = "<p>Ownership is Rust&#39;s most unique feature. </p>".repeat(800);
            std::fs::write(
                docs.join(book).join("print.html"),
                format!("<main>{text}</main>"),
            )
            .unwrap();
        }
        cmd.arg("--docs").arg(&docs);
    }
    let run = cmd.output().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("step,position,loss,lr\n"));
    // 8 checkpoints x 256 positions.
    assert_eq!(text.lines().count(), 1 + 8 * 256);
    let meta = std::fs::read_to_string(out.with_extension("json")).unwrap();
    assert!(meta.contains("\"params\""), "{meta}");

    let fc = Command::cargo_bin("slaw")
        .unwrap()
        .arg("forecast")
        .arg(&out)
        .args([
            "--method",
            "temporal",
            "--fit-until",
            "1.0",
            "--bootstrap",
            "0",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        fc.status.success(),
        "{}",
        String::from_utf8_lossy(&fc.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&fc.stdout).unwrap();
    assert_eq!(v["temporal"]["positions"], 256, "{v}");
    assert_eq!(v["temporal"]["checkpoints"], 8, "{v}");
    // The loss starts near ln 256 and the model learns in 16 steps.
    let mean_at = |step: &str| {
        let l: Vec<f64> = text
            .lines()
            .skip(1)
            .filter(|r| r.split(',').next() == Some(step))
            .map(|r| r.split(',').nth(2).unwrap().parse().unwrap())
            .collect();
        l.iter().sum::<f64>() / l.len() as f64
    };
    let (first, last) = (mean_at("2"), mean_at("16"));
    assert!((first - 256f64.ln()).abs() < 0.3, "{first}");
    assert!(last < first - 0.1, "{first} -> {last}");
}
