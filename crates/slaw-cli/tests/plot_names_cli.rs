//! `--plot` with several runs or groups: one file per run or group, none
//! overwritten when two names meet after sanitizing (probe44 item 7).

use assert_cmd::Command;
use std::collections::BTreeSet;
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

/// The "plot written to" paths of a command's stderr.
fn written(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("plot written to ").map(str::to_string))
        .collect()
}

/// Runs "a/b", "a_b" and "A_B" (and "基线", "实验") wrote one file, the
/// earlier figures lost; now each run has its own file (distinct even where
/// case is ignored), the same on a second run of the command.
#[test]
fn forecast_runs_whose_names_meet_after_sanitizing_get_their_own_figures() {
    let dir = TempDir::new().unwrap();
    for names in [vec!["a/b", "a_b", "A_B"], vec!["基线", "实验"]] {
        let mut text = String::from("run,step,loss\n");
        for (k, n) in names.iter().enumerate() {
            for s in 1..=40 {
                let step = 100 * s;
                let loss = 2.0 + (3.0 + 0.1 * k as f64) * (step as f64).powf(-0.3);
                text += &format!("{n},{step},{loss}\n");
            }
        }
        let f = dir.path().join("runs.csv");
        fs::write(&f, text).unwrap();
        let plot = dir.path().join(format!("c{}.svg", names.len()));
        let run = || {
            let out = slaw()
                .args(["forecast", f.to_str().unwrap(), "--run-col", "run"])
                .args(["--fit-until", "0.5", "--bootstrap", "0"])
                .args(["--plot", plot.to_str().unwrap()])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            written(&out.stderr)
        };
        let paths = run();
        assert_eq!(paths.len(), names.len(), "{paths:?}");
        let lower: BTreeSet<String> = paths.iter().map(|p| p.to_lowercase()).collect();
        assert_eq!(lower.len(), names.len(), "one file each: {paths:?}");
        for p in &paths {
            assert!(fs::read_to_string(p).unwrap().contains("<svg"), "{p}");
        }
        assert_eq!(run(), paths, "stable");
    }
}

/// `allocate --group` with groups "x/y" and "x_y": each group's figures in
/// their own files.
#[test]
fn allocate_groups_whose_names_meet_after_sanitizing_get_their_own_figures() {
    let dir = TempDir::new().unwrap();
    let (a, alpha, b, beta, e) = (406.4f64, 0.34f64, 410.7f64, 0.28f64, 1.69f64);
    let mut text = String::from("lab,N,D,loss\n");
    for (g, scale) in [("x/y", 1.0), ("x_y", 1.1)] {
        for n in [1e7f64, 3e7, 1e8, 3e8, 1e9] {
            for d in [1e9f64, 3e9, 1e10, 3e10] {
                let l = scale * (e + a / n.powf(alpha) + b / d.powf(beta));
                text += &format!("{g},{n},{d},{l}\n");
            }
        }
    }
    let f = dir.path().join("g.csv");
    fs::write(&f, text).unwrap();
    let plot = dir.path().join("al.svg");
    let out = slaw()
        .args([
            "allocate",
            f.to_str().unwrap(),
            "--d-col",
            "D",
            "--group",
            "lab",
        ])
        .args(["--bootstrap", "0", "--budget", "1e21"])
        .args(["--plot", plot.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let paths = written(&out.stderr);
    let distinct: BTreeSet<&String> = paths.iter().collect();
    assert!(paths.len() >= 4, "{paths:?}");
    assert_eq!(distinct.len(), paths.len(), "{paths:?}");
    for p in &paths {
        assert!(p.contains("al-x_y-"), "{p}");
        assert!(fs::metadata(p).is_ok(), "{p}");
    }
}
