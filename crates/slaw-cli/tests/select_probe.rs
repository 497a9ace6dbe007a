//! `slaw select` and `slaw bench selection` on the inputs of a new-user
//! probe (notes/probe_sel.md): messages that name the file, row, flag,
//! dataset and budget; no "-0.0000%"; warnings for datasets the metrics say
//! little about. Every input is built here.

use assert_cmd::Command;
use std::fs;
use std::path::Path;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

/// A wide CSV of `models` candidates with zero-shot losses and sizes
/// 200 * 4^k (`step` 4) or 200 * 2^k (`step` 2) below 1,638,400, and
/// 1,638,400 (the target); the
/// last column the parameter count. `flat_truth`: every loss at 1,638,400
/// is 1.5.
fn wide(models: usize, step: u32, flat_truth: bool) -> String {
    let mut sizes: Vec<f64> = (0..)
        .map(|k| 200.0 * (step as f64).powi(k))
        .take_while(|&n| n < 1_638_400.0)
        .collect();
    sizes.push(1_638_400.0);
    let mut s = String::from("model,0");
    for n in &sizes {
        s += &format!(",{n}");
    }
    s += ",size\n";
    for i in 0..models {
        let b = 20.0 + 15.0 * ((i * 5) % 7) as f64;
        let dl = 8.0 + 5.0 * (i % 4) as f64;
        let beta = 0.2 + 0.02 * ((i * 3) % 7) as f64;
        let e = 0.6 + 0.05 * i as f64;
        let l = |n: f64| b / (dl + n.powf(beta)) + e;
        s += &format!("m{i},{}", l(0.0));
        for &n in &sizes {
            let v = if flat_truth && n == 1_638_400.0 {
                1.5
            } else {
                l(n)
            };
            s += &format!(",{v}");
        }
        s += &format!(",{}\n", 1e8 * (i + 1) as f64);
    }
    s
}

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).unwrap();
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = slaw().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// A candidate with too few points is not ranked, named with its file, row
/// and why, and the others are ranked (as `slaw run` does); when no
/// candidate can be scored, the error names the first failing one in the
/// file's order, with English ordinals and plurals.
#[test]
fn a_short_candidate_is_named_with_its_file_and_row() {
    let dir = TempDir::new().unwrap();
    let full = wide(5, 2, false);
    let mut lines: Vec<String> = full.lines().map(str::to_string).collect();
    // Rows 3 and 5 (m1, m3) keep only their zero-shot and 200 losses.
    for r in [2, 4] {
        let cells: Vec<&str> = lines[r].split(',').collect();
        let n = cells.len();
        let mut kept: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
        for c in kept.iter_mut().take(n - 1).skip(3) {
            c.clear();
        }
        lines[r] = kept.join(",");
    }
    write(dir.path(), "pool.csv", &(lines.join("\n") + "\n"));
    let args = [
        "select", "pool.csv", "--target", "1638400", "--budget", "1/64",
    ];
    let (code, out, err) = run(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "not ranked: pool.csv, row 3: candidate 'm1': AtS needs at least 4 affordable sizes"
        ),
        "{out}"
    );
    assert!(out.contains("it has only 1 size > 0 in all"), "{out}");
    assert!(out.contains("row 5: candidate 'm3'"), "{out}");
    assert!(
        out.contains("warning: 2 of 5 candidates could not be scored and are not ranked (m1, m3)"),
        "{out}"
    );
    // The other three are ranked 1..3, the chosen one among them.
    let (_, json, _) = run(dir.path(), &[&args[..], &["--json"]].concat());
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ranked: Vec<&str> = v["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ranked.len(), 3, "{json}");
    assert!(!ranked.contains(&"m1") && !ranked.contains(&"m3"), "{json}");
    let unranked: Vec<&str> = v["unranked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(unranked, ["m1", "m3"]);
    // The ranking of the others is theirs alone: the same as without the
    // short rows.
    let without: Vec<String> = lines
        .iter()
        .enumerate()
        .filter(|(r, _)| *r != 2 && *r != 4)
        .map(|(_, l)| l.clone())
        .collect();
    write(dir.path(), "three.csv", &(without.join("\n") + "\n"));
    let (_, json3, _) = run(
        dir.path(),
        &[
            "select",
            "three.csv",
            "--target",
            "1638400",
            "--budget",
            "1/64",
            "--json",
        ],
    );
    let v3: serde_json::Value = serde_json::from_str(&json3).unwrap();
    let ranked3: Vec<&str> = v3["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ranked, ranked3);
    // A budget short of complete curves: k = 2 needs 3 sizes, and the
    // budget must reach the "3rd" (it said "3th").
    write(dir.path(), "ok.csv", &full);
    let (code, _, err) = run(
        dir.path(),
        &[
            "select", "ok.csv", "--target", "1638400", "--max-n", "400", "--k", "2",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("ok.csv, row 2: candidate 'm0'"), "{err}");
    assert!(err.contains("must reach its 3rd"), "{err}");
    assert!(err.contains("needs at least 3 affordable sizes"), "{err}");
}

/// `--max-n` above the target is an error naming `--max-n` (it named
/// `--budget`).
#[test]
fn max_n_above_the_target_names_max_n() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "pool.csv", &wide(4, 2, false));
    let (code, _, err) = run(
        dir.path(),
        &[
            "select", "pool.csv", "--target", "1638400", "--max-n", "3276800",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("error: --max-n: must be in (0, --target = 1638400]"),
        "{err}"
    );
    assert!(!err.contains("--budget"), "{err}");
}

/// model-size fine-tunes nothing: its cost is 0%, not -0.0000%, and the
/// rule says it picks the largest parameter count.
#[test]
fn model_size_costs_zero_and_says_its_rule() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "pool.csv", &wide(4, 2, false));
    let args = [
        "select",
        "pool.csv",
        "--target",
        "1638400",
        "--budget",
        "1/64",
        "--method",
        "model-size",
    ];
    let (code, out, err) = run(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("= 0.0000% of fine-tuning"), "{out}");
    assert!(!out.contains("-0.0"), "{out}");
    assert!(out.contains("largest parameter count"), "{out}");
    assert!(!out.contains("lowest predicted loss"), "{out}");
    let (_, json, _) = run(dir.path(), &[&args[..], &["--json"]].concat());
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ratio = v["cost"]["ratio"].as_f64().unwrap();
    assert!(ratio == 0.0 && ratio.is_sign_positive(), "{json}");
}

/// `--budget 1` reaches the target: a note says the measured losses rank
/// the candidates.
#[test]
fn a_budget_at_the_target_is_noted() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "pool.csv", &wide(4, 2, false));
    let (code, out, err) = run(
        dir.path(),
        &["select", "pool.csv", "--target", "1638400", "--budget", "1"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("note: the budget reaches the target (1638400)"),
        "{out}"
    );
    assert!(
        out.contains("4 of 4 candidates are measured there"),
        "{out}"
    );
}

/// `bench selection --repeats 0` is refused (it ran once and said "0
/// repeats").
#[test]
fn bench_selection_refuses_zero_repeats() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.csv", &wide(4, 2, false));
    let (code, _, err) = run(
        dir.path(),
        &["bench", "selection", "--data", ".", "--repeats", "0"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--repeats must be at least 1"), "{err}");
}

/// A dataset whose ladder is too coarse for a budget: the error names the
/// dataset, the budget and the method.
#[test]
fn bench_selection_names_the_dataset_and_budget_that_fail() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "coarse.csv", &wide(4, 4, false));
    let (code, _, err) = run(
        dir.path(),
        &["bench", "selection", "--data", ".", "--repeats", "1"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("coarse, budget 1/256 (sizes <= 6400), "),
        "{err}"
    );
    assert!(err.contains("needs at least 4 affordable sizes"), "{err}");
}

/// A dataset whose truth is constant (PearCorr undefined) and one of two
/// candidates are warned, naming the dataset, on stderr and in the JSON.
#[test]
fn bench_selection_warns_about_datasets_the_metrics_say_little_about() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "fine.csv", &wide(4, 2, false));
    write(dir.path(), "flat.csv", &wide(4, 2, true));
    write(dir.path(), "two.csv", &wide(2, 2, false));
    let (code, out, err) = run(
        dir.path(),
        &[
            "bench",
            "selection",
            "--data",
            ".",
            "--repeats",
            "1",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "warning: dataset 'flat': every candidate's loss at the target 1638400 is 1.5"
        ),
        "{err}"
    );
    assert!(
        err.contains("warning: dataset 'two' has 2 candidates"),
        "{err}"
    );
    assert!(!err.contains("dataset 'fine'"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["warnings"].as_array().unwrap().len(), 2, "{v}");
}
