//! ux67: the runner's successive-halving bar and the ranking agree on a
//! candidate with a failed middle size: once sizes above the failed one have
//! finished (`run_past_failures`, a descending ladder), it is ranked from its
//! completed sizes and takes part in the bar from them; while none has, it
//! sets no bar (run54).

mod common;

use common::{json_of, python_ok, slaw};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The loss of `model` at `n` from the known-truth pool
/// (tests/data/run54_pool.csv, 8 candidates); with MODE `mid`, cand04's run
/// at n = 6400 alone exits 7 (its smaller and larger sizes finish).
const TRAINER: &str = r#"
import csv, json, sys
pool, model, n, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows = list(csv.reader(open(pool)))
h = rows[0]
for r in rows[1:]:
    if r[0] == model:
        if model == "cand04" and n == 6400 and mode == "mid":
            print("CUDA out of memory", file=sys.stderr)
            sys.exit(7)
        json.dump({"eval_loss": float(r[h.index(str(n))])}, open("metrics.json", "w"))
        sys.exit(0)
sys.exit(1)
"#;

/// run54's plan (budget 1/64, zero-shot, ascending + drop_worse by
/// default), its trainer in `mode`, and `extra` plan lines.
fn pool_plan(dir: &TempDir, name: &str, mode: &str, extra: &str) -> PathBuf {
    let tr = dir.path().join("tr.py");
    std::fs::write(&tr, TRAINER).unwrap();
    let pool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/run54_pool.csv");
    let mut text = format!(
        "full_size = 1638400\nbudget = \"1/64\"\nmin_size = 200\nzero_shot = true\nslots = 2\n\
         {extra}\ncommand = \"python3 {} {} {{model}} {{n}} {mode}\"\n\
         loss = {{ kind = \"json\", file = \"metrics.json\", key = \"eval_loss\" }}\n",
        tr.display(),
        pool.display()
    );
    for i in 0..8 {
        text += &format!(
            "[[candidate]]\nid = \"cand0{i}\"\nparams = {}\n",
            (i + 1) * 100_000_000
        );
    }
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The plan's runs in the journal, sorted, and each candidate's `stopped`
/// sentence (`slaw status --json`).
fn runs_and_stops(p: &Path) -> (Vec<String>, Vec<(String, String)>) {
    let v = json_of(
        &slaw()
            .args(["status", p.to_str().unwrap(), "--json"])
            .output()
            .unwrap(),
    );
    let mut ids: Vec<String> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    let stops = v["summary"]["decision"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["stopped"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    (ids, stops)
}

/// cand04, the leader, fails at n = 6400 only and, with
/// `run_past_failures = true`, runs and finishes 12800 and 25600. Once its
/// 12800 has finished it is ranked from its sizes up to 12800 (no
/// `failed_at`), so it sets the bar as the ranking reads it: cand02 is
/// dropped after n = 12800 exactly as in the run where nothing fails, and
/// every other run is the clean run's (before, cand04 set no bar while it
/// had a failed size, and cand02 ran on to 25600).
#[test]
fn a_failed_middle_size_below_finished_sizes_still_sets_the_bar() {
    if !python_ok() {
        return;
    }
    let dir = TempDir::new().unwrap();
    let clean = pool_plan(&dir, "clean.toml", "clean", "run_past_failures = true");
    let out = slaw()
        .args(["run", clean.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let mid = pool_plan(&dir, "mid.toml", "mid", "run_past_failures = true");
    let out = slaw()
        .args(["run", mid.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(4), "{text}");

    let (clean_runs, clean_stops) = runs_and_stops(&clean);
    let (mid_runs, mid_stops) = runs_and_stops(&mid);
    // The clean run drops cand02 after 12800 (cand04's bar): the premise.
    let cand02 = |stops: &[(String, String)]| {
        stops
            .iter()
            .find(|(id, _)| id == "cand02")
            .map(|s| s.1.clone())
            .unwrap()
    };
    assert!(
        cand02(&clean_stops).starts_with("dropped after n = 12800:"),
        "{clean_stops:?}"
    );
    // The failed run is journaled as the clean run's was, and cand04 ran
    // past it.
    for id in ["cand04|n=6400|seed=0", "cand04|n=25600|seed=0"] {
        assert!(mid_runs.iter().any(|r| r == id), "{id}: {mid_runs:?}");
    }
    assert_eq!(mid_runs, clean_runs, "the runs launched differ");
    assert_eq!(cand02(&mid_stops), cand02(&clean_stops), "{mid_stops:?}");
    assert!(
        !mid_runs.iter().any(|r| r == "cand02|n=25600|seed=0"),
        "{mid_runs:?}"
    );
    let stop04 = mid_stops.iter().find(|s| s.0 == "cand04").unwrap();
    assert_eq!(stop04.1, "ladder ended with 1 failed run(s)");

    // The ranking reads cand04 as the bar does: from its sizes up to 25600,
    // no `failed_at` (a failed contender, not a candidate ranked below its
    // failure).
    let out = slaw()
        .args(["report", mid.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = v["summary"]["ranking"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .find(|r| r["id"] == "cand04")
        .unwrap()
        .clone();
    assert!(row.get("failed_at").is_none(), "{row}");
    assert_eq!(row["sizes"], serde_json::json!([200.0, 25600.0]), "{row}");
    assert!(
        text.contains("cand04|n=6400|seed=0 [failed after 1 attempt(s)]"),
        "{text}"
    );
}
