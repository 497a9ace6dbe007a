//! `forecast` on a file without a step column takes its one numeric column
//! besides the loss (as `fit` without --x); a journal row under another run's
//! key is an error naming the journal, the row and the plan, and the runs of
//! an edited plan's journal that the plan no longer has are named and not
//! counted; `methods` says how many runs each method's bootstrap resamples.

mod common;

use common::slaw;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

/// A smooth loss curve of 60 points at `n` = 100, 200, ..., as CSV with
/// the header `header` (its columns: `n,loss`, or more: `extra` cells per
/// row before the loss).
fn curve(header: &str, extra: impl Fn(usize) -> String) -> String {
    let mut s = format!("{header}\n");
    for i in 1..=60 {
        let n = 100 * i;
        // a deterministic wobble of 0.2%, so that the fit has noise to see
        let wobble = 1.0 + 0.002 * ((i * 7919) % 11) as f64 / 10.0;
        let loss = (2.0 + 8.0 * (n as f64).powf(-0.35)) * wobble;
        s += &format!("{n},{}{loss:.6}\n", extra(i));
    }
    s
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = slaw()
        .args(args)
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn forecast_takes_the_one_numeric_column_besides_the_loss_as_the_step() {
    let dir = TempDir::new().unwrap();
    let two = dir.path().join("two.csv");
    std::fs::write(&two, curve("n,loss", |_| String::new())).unwrap();
    let two = two.to_str().unwrap();
    let common = ["--fit-until", "0.5", "--bootstrap", "0", "--json"];
    let (code, chosen, err) = run(&[&["forecast", two][..], &common].concat());
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains(
            "note: step: n (no 'step' column; the only numeric column besides loss) \
             (--step-col names another)"
        ),
        "{err}"
    );
    // the same forecast as with the column named, which says nothing
    let (code, named, err) = run(&[&["forecast", two, "--step-col", "n"][..], &common].concat());
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("note: step"), "{err}");
    let (a, b): (Value, Value) = (
        serde_json::from_str(&chosen).unwrap(),
        serde_json::from_str(&named).unwrap(),
    );
    assert_eq!(a, b);
    assert!(a["forecasts"].is_array() || a["law"].is_string(), "{a}");

    // a text column and the learning rate are not steps: still one candidate
    let lr = dir.path().join("lr.csv");
    std::fs::write(&lr, curve("tokens,tag,lr,loss", |_| "x,0.001,".to_string())).unwrap();
    let (code, _, err) = run(&[&["forecast", lr.to_str().unwrap()][..], &common].concat());
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("note: step: tokens ("), "{err}");

    // several: an error listing them, with the flag that names the step
    let three = dir.path().join("three.csv");
    std::fs::write(&three, curve("n,tokens,loss", |i| format!("{},", 1000 * i))).unwrap();
    let (code, _, err) = run(&["forecast", three.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(
            "three.csv, column 'step': no such column (columns are: n, tokens, loss); 2 numeric \
             columns besides the loss 'loss' could be the step: n, tokens; name the step column \
             (--step-col names this column, 'step' by default)"
        ),
        "{err}"
    );

    // a step column named and missing: the error it was, nothing chosen
    let (code, _, err) = run(&["forecast", two, "--step-col", "iter"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("column 'iter': no such column (columns are: n, loss)")
            && !err.contains("note: step"),
        "{err}"
    );
}

/// A finished plan of two candidates whose command prints a loss of a
/// known curve (no trainer, no Python), as probe63's test makes one.
fn finished_plan(dir: &TempDir, candidates: &[&str]) -> PathBuf {
    let plan = dir.path().join("plan.toml");
    write_plan(&plan, candidates);
    let (code, _, err) = run(&["run", plan.to_str().unwrap()]);
    assert!(matches!(code, Some(0 | 3)), "{err}");
    plan
}

fn write_plan(plan: &Path, candidates: &[&str]) {
    let mut s = String::from(
        "full_size = 102400\nbudget = \"1/8\"\nmin_size = 200\nmethod = \"ats\"\nslots = 2\n\
         command = \"awk -v n={n} -v m={model} 'BEGIN {{ print \\\"eval_loss=\\\" (m == \\\"a\\\" ? 2 : 2.2) + 30 / (n + 100) ^ 0.5 }}'\"\n\
         loss = { kind = \"regex\", pattern = \"eval_loss=([0-9.eE+-]+)\" }\n\n",
    );
    for m in candidates {
        s += &format!("[[candidate]]\nid = \"{m}\"\nparams = 1e8\n\n");
    }
    std::fs::write(plan, s).unwrap();
}

fn edit_journal(plan: &Path, sql: &str) {
    let c = rusqlite::Connection::open(plan.with_extension("journal.sqlite")).unwrap();
    assert_eq!(c.execute(sql, []).unwrap(), 1, "{sql}");
}

fn status_json(plan: &Path) -> Value {
    let (code, out, err) = run(&["status", plan.to_str().unwrap(), "--json"]);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn a_journal_row_under_another_runs_key_is_an_error_naming_the_plan() {
    let dir = TempDir::new().unwrap();
    let plan = finished_plan(&dir, &["a", "b"]);
    let before = status_json(&plan)["summary"]["cost"]["runs"]
        .as_u64()
        .unwrap();
    assert!(before > 0);
    let p = plan.to_str().unwrap();
    // probe63: a row renamed 'x' was counted beside the run it was, which
    // `slaw run` ran again ("73 runs finished" of a plan of 72)
    edit_journal(
        &plan,
        "UPDATE runs SET id = 'x' WHERE id = 'b|n=1600|seed=0'",
    );
    for cmd in ["status", "report", "run"] {
        let (code, _, err) = run(&[cmd, p]);
        assert_eq!(code, Some(2), "{cmd}: {err}");
        assert!(
            err.contains("plan.journal.sqlite: run 'x' is no run of the plan ")
                && err.contains(&format!("{p}, but its row holds candidate 'b', n = 1600 and seed 0: the run 'b|n=1600|seed=0' of the plan."))
                && err.contains("restore the journal, or delete that row"),
            "{cmd}: {err}"
        );
    }
    // a plan's run whose row holds another size: taken at its id, costed at
    // its size before
    edit_journal(
        &plan,
        "UPDATE runs SET id = 'b|n=1600|seed=0', n = 400 WHERE id = 'x'",
    );
    let (code, _, err) = run(&["status", p]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("run 'b|n=1600|seed=0' is a run of the plan ")
            && err.contains("holds candidate 'b', n = 400 and seed 0: the run 'b|n=400|seed=0'"),
        "{err}"
    );
    // restored: counted as before
    edit_journal(
        &plan,
        "UPDATE runs SET n = 1600 WHERE id = 'b|n=1600|seed=0'",
    );
    let v = status_json(&plan);
    assert_eq!(v["summary"]["cost"]["runs"].as_u64(), Some(before));
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(0), "{v}");
}

#[test]
fn runs_of_a_candidate_the_edited_plan_no_longer_has_are_named_and_not_counted() {
    let dir = TempDir::new().unwrap();
    let plan = finished_plan(&dir, &["a", "b"]);
    let v = status_json(&plan);
    let runs = v["runs"].as_array().unwrap();
    let of_b: Vec<&str> = runs
        .iter()
        .filter(|r| r["candidate"] == "b")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let of_a = runs.len() - of_b.len();
    assert!(!of_b.is_empty() && of_a > 0);
    // the plan edited: candidate b removed
    write_plan(&plan, &["a"]);
    let v = status_json(&plan);
    assert_eq!(
        v["summary"]["cost"]["runs"].as_u64(),
        Some(of_a as u64),
        "{v}"
    );
    let warnings = v["warnings"].as_array().unwrap();
    let w = warnings[0].as_str().unwrap();
    assert!(
        w.starts_with(&format!(
            "{} runs of the journal are no run of the plan {} (a candidate, size or seed it no \
             longer has: an edited plan), left out of every count: ",
            of_b.len(),
            plan.display()
        )) && of_b.iter().take(10).all(|id| w.contains(id)),
        "{w}"
    );
    // the text says it too, and `run` (nothing left to run) as well
    let (code, out, err) = run(&["status", plan.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(&format!("warning: {w}")), "{out}");
    let (code, out, err) = run(&["run", plan.to_str().unwrap(), "--json"]);
    assert!(matches!(code, Some(0 | 3)), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["warnings"][0].as_str(), Some(w), "{v}");
    assert_eq!(v["cost"]["runs"].as_u64(), Some(of_a as u64), "{v}");
}

/// probe63 F4's design: 3 methods x 3 model sizes x 3 data sizes, nothing
/// held out (9 runs per method).
const FEW: &str = "method,model_size,data,loss,held
fmt,1e+09,10000,1.459096,0
fmt,1e+09,100000,1.253059,0
fmt,1e+09,1e+06,1.121747,0
fmt,4e+09,10000,1.299475,0
fmt,4e+09,100000,1.138495,0
fmt,4e+09,1e+06,1.042173,0
fmt,1.6e+10,10000,1.192954,0
fmt,1.6e+10,100000,1.071263,0
fmt,1.6e+10,1e+06,0.973805,0
lora,1e+09,10000,1.260477,0
lora,1e+09,100000,1.175285,0
lora,1e+09,1e+06,1.108508,0
lora,4e+09,10000,1.158461,0
lora,4e+09,100000,1.108068,0
lora,4e+09,1e+06,1.037738,0
lora,1.6e+10,10000,1.104840,0
lora,1.6e+10,100000,1.046993,0
lora,1.6e+10,1e+06,1.001672,0
prompt,1e+09,10000,1.251925,0
prompt,1e+09,100000,1.217346,0
prompt,1e+09,1e+06,1.165733,0
prompt,4e+09,10000,1.213179,0
prompt,4e+09,100000,1.152405,0
prompt,4e+09,1e+06,1.131431,0
prompt,1.6e+10,10000,1.163592,0
prompt,1.6e+10,100000,1.122304,0
prompt,1.6e+10,1e+06,1.084744,0
";

#[test]
fn methods_says_how_many_runs_each_bootstrap_resamples() {
    let dir = TempDir::new().unwrap();
    let few = dir.path().join("few.csv");
    std::fs::write(&few, FEW).unwrap();
    let args = [
        "methods",
        few.to_str().unwrap(),
        "--factor",
        "model_size",
        "--at",
        "model_size=8e9",
        "--data",
        "3e4",
        "--holdout-col",
        "held",
        "--bootstrap",
        "40",
    ];
    let (code, out, err) = run(&args);
    assert!(matches!(code, Some(0 | 3)), "{err}");
    let (_, json, _) = run(&[&args[..], &["--json"]].concat());
    let v: Value = serde_json::from_str(&json).unwrap();
    let preds = v["recommendation"]["predictions"].as_array().unwrap();
    assert_eq!(preds.len(), 3);
    let mut per = Vec::new();
    for p in preds {
        // every run of the method (none held out), of its one factor
        assert_eq!(
            p["bootstrap_runs"],
            serde_json::json!([{"factor": "model_size", "runs": 9}]),
            "{p}"
        );
        per.push(format!("{} 9", p["method"].as_str().unwrap()));
    }
    let line = format!(
        "bootstrap: each replicate resamples every method's fitting runs (with replacement, \
         within each factor): {} runs",
        per.join(", ")
    );
    assert!(out.contains(&line), "{out}");

    // several factors: each method's runs per factor, the held-out runs
    // aside; without a bootstrap, no line and no counts
    let runs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/runs.csv");
    let args = [
        "methods",
        runs.to_str().unwrap(),
        "--factor",
        "model_size",
        "--factor",
        "pretrain_tokens",
        "--factor",
        "prompt_len",
        "--pet",
        "prompt_len",
        "--at",
        "model_size=8e9",
        "--data",
        "3e4",
        "--bootstrap",
        "20",
    ];
    let (code, out, err) = run(&args);
    assert!(matches!(code, Some(0 | 3)), "{err}");
    let (_, json, _) = run(&[&args[..], &["--json"]].concat());
    let v: Value = serde_json::from_str(&json).unwrap();
    for p in v["recommendation"]["predictions"].as_array().unwrap() {
        let f = p["bootstrap_runs"].as_array().unwrap();
        assert!(f.len() >= 2, "{p}");
        let total: u64 = f.iter().map(|f| f["runs"].as_u64().unwrap()).sum();
        let each: Vec<String> = f
            .iter()
            .map(|f| format!("{} {}", f["factor"].as_str().unwrap(), f["runs"]))
            .collect();
        let part = format!(
            "{} {total} ({})",
            p["method"].as_str().unwrap(),
            each.join(", ")
        );
        assert!(out.contains(&part), "{part}: {out}");
    }
    let (code, out, err) = run(&[&args[..14], &["--bootstrap", "0"]].concat());
    assert!(matches!(code, Some(0 | 3)), "{err}");
    assert!(!out.contains("bootstrap: each replicate"), "{out}");
    let (_, json, _) = run(&[&args[..14], &["--bootstrap", "0", "--json"]].concat());
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["recommendation"]["predictions"][0]["bootstrap_runs"],
        serde_json::json!([])
    );
}
