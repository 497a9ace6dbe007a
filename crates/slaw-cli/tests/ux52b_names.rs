//! ux52b, probe52 finding 9: tables cut long names in the middle (keeping
//! the end, where run and candidate names differ), as wide as the longest
//! name up to a cap; every skipped run's reason names the run.

use assert_cmd::Command;
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

/// `plan`: four ids that differ only at their end stay apart, printed in
/// full (they are under the cap).
#[test]
fn plan_prints_ids_that_differ_at_their_end() {
    let dir = TempDir::new().unwrap();
    let ids = [
        ("cerebras_Cerebras-GPT-111M", 111_000_000u64),
        ("cerebras_Cerebras-GPT-256M", 256_000_000),
        ("cerebras_Cerebras-GPT-1.3B", 1_300_000_000),
        ("cerebras_Cerebras-GPT-2.7B", 2_700_000_000),
    ];
    let mut toml = String::from(
        "name = \"pick\"\nfull_size = 1638400\nbudget = \"1/64\"\nmin_size = 200\n\
         command = \"true {model} {n}\"\nloss = { kind = \"json\", file = \"m.json\", key = \"loss\" }\n",
    );
    for (id, p) in ids {
        toml += &format!("\n[[candidate]]\nid = \"{id}\"\nparams = {p}\n");
    }
    let plan = dir.path().join("plan.toml");
    fs::write(&plan, toml).unwrap();
    let out = slaw()
        .current_dir(dir.path())
        .args(["plan", "plan.toml"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (id, _) in ids {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{id} "))),
            "{id} not in full:\n{text}"
        );
    }
    assert!(!text.contains('…'), "{text}");
}

/// `forecast --run-col`: names longer than the cap keep their start and
/// end ("…" in the middle) and stay distinct; the skipped run's reason
/// names it (text and JSON).
#[test]
fn forecast_runs_keep_their_ends_and_skipped_reasons_name_the_run() {
    let dir = TempDir::new().unwrap();
    let stem = "misfitting_17m/1000/0.002/2024_11_10-23_59_31_sweep_test_long_name";
    let (a, b) = (format!("{stem}/epochs-1"), format!("{stem}/epochs-2"));
    assert!(a.chars().count() > 64);
    let mut csv = String::from("run,step,loss\n");
    for (r, n) in [(&a, 40), (&b, 5)] {
        for i in 1..=n {
            let s = 100.0 * i as f64;
            let wiggle = 0.001 * (i % 3) as f64;
            csv += &format!("{r},{s},{}\n", 3.0 / (1.0 + s / 200.0) + 2.0 + wiggle);
        }
    }
    let f = dir.path().join("runs.csv");
    fs::write(&f, csv).unwrap();
    let args = [
        "forecast",
        f.to_str().unwrap(),
        "--run-col",
        "run",
        "--fit-until",
        "0.5",
        "--method",
        "reciprocal",
    ];
    let out = slaw().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    let cut = |name: &str| slaw::numbers::truncate(name, 64);
    assert_ne!(cut(&a), cut(&b));
    assert!(cut(&a).starts_with("misfitting_17m/") && cut(&a).ends_with("/epochs-1"));
    assert!(text.lines().any(|l| l.starts_with(&cut(&a))), "{text}");
    let skipped = text
        .lines()
        .find(|l| l.starts_with(&cut(&b)))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        skipped.contains(&format!(
            "SKIPPED: run '{b}': 3 points to fit the reciprocal law"
        )),
        "{skipped}"
    );
    let out = slaw().args(args).arg("--json").output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in v["skipped"].as_array().unwrap() {
        let run = k["run"].as_str().unwrap();
        assert!(
            k["reason"].as_str().unwrap().contains(&format!("'{run}'")),
            "{k}"
        );
    }
    // the summary warning names the run once, not twice
    let w = v["warnings"][0].as_str().unwrap();
    assert_eq!(w.matches(&b).count(), 1, "{w}");
}
