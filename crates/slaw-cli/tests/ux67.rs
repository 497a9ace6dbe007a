//! ux67: the runner's successive-halving bar and the ranking agree on a
//! candidate with a failed middle size: once sizes above the failed one have
//! finished (`run_past_failures`, a descending ladder), it is ranked from its
//! completed sizes and takes part in the bar from them; while none has, it
//! sets no bar (run54). And the rows' order changes no output: `fit`'s and
//! `compare`'s groups and `forecast`'s runs are listed in one order
//! (numbers by value, then text), as `select` and `methods` already were.

mod common;

use common::{json_of, python_ok, run, slaw};
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
    common::run54_pool_plan(dir.path(), name, TRAINER, mode, extra)
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
    let mut ids = common::run_ids(&v);
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

/// A deterministic permutation of `rows` (a linear congruential shuffle).
fn shuffled<T: Clone>(rows: &[T], seed: u64) -> Vec<T> {
    let mut v = rows.to_vec();
    let mut state = seed;
    for i in (1..v.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        v.swap(i, ((state >> 33) % (i as u64 + 1)) as usize);
    }
    v
}

/// Rows `size,n,loss` of 5 groups keyed by a model size (numbers whose
/// text order is not their value's: 7e7, 1.4e8, 7e8, 1e9, 13000000000),
/// the rectified law with a deterministic 1% wiggle, in file order.
fn group_rows() -> Vec<String> {
    let mut out = Vec::new();
    for (g, (size, b, dl, beta, e)) in [
        ("1e9", 30.0, 500.0, 0.4, 1.0),
        ("7e7", 12.0, 50.0, 0.3, 1.2),
        ("13000000000", 80.0, 3000.0, 0.5, 0.9),
        ("1.4e8", 5.0, 10.0, 0.25, 1.4),
        ("7e8", 20.0, 800.0, 0.35, 1.1),
    ]
    .into_iter()
    .enumerate()
    {
        for k in 0..8u64 {
            let n = 200.0 * 2f64.powi(k as i32);
            let u = (((g as u64 * 8 + k) * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
            let loss = (b / (dl + n).powf(beta) + e) * (1.0 + 0.02 * u);
            out.push(format!("{size},{n},{loss}"));
        }
    }
    out
}

/// stdout of `slaw args` in `dir`, asserting success.
fn stdout(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = run(dir, args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// A demanding user's check: the same rows in another order give
/// byte-identical output, text and JSON, for `fit` (with a bootstrap and a
/// hold-out), `compare` (the backtest pick per group, and the hold-out
/// ranking of one input per group), `select`, `methods` and `forecast`
/// with several runs (rows of the runs interleaved or in swapped blocks,
/// each run's steps in order); groups and runs are listed numbers by value,
/// then by text, whatever the file's order.
#[test]
fn shuffled_rows_give_byte_identical_output_groups_in_one_order() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let rows = group_rows();
    let files: Vec<String> = [rows.clone(), shuffled(&rows, 1), shuffled(&rows, 2)]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let name = format!("g{i}.csv");
            std::fs::write(d.join(&name), format!("size,n,loss\n{}\n", r.join("\n"))).unwrap();
            name
        })
        .collect();
    let commands: Vec<Vec<&str>> = vec![
        vec!["fit", "--law", "rectified", "--x", "n", "--group", "size"],
        vec![
            "fit",
            "--law",
            "power",
            "--x",
            "n",
            "--group",
            "size",
            "--bootstrap",
            "40",
            "--holdout",
            "largest:1",
        ],
        vec![
            "compare",
            "--x",
            "n",
            "--group",
            "size",
            "--laws",
            "power,rectified",
        ],
        vec![
            "compare",
            "--x",
            "n",
            "--group",
            "size",
            "--laws",
            "power,rectified",
            "--holdout",
            "largest:2",
        ],
    ];
    let mut listed = 0;
    for cmd in &commands {
        for json in [false, true] {
            let outs: Vec<String> = files
                .iter()
                .map(|f| {
                    let mut args = vec![cmd[0], f.as_str()];
                    args.extend(&cmd[1..]);
                    if json {
                        args.push("--json");
                    }
                    stdout(d, &args)
                })
                .collect();
            for o in &outs[1..] {
                assert_eq!(
                    o, &outs[0],
                    "{cmd:?} json={json}: the rows' order changed the output"
                );
            }
            // (compare's hold-out ranking is one ranking over the groups:
            // no list of groups)
            let v: serde_json::Value = serde_json::from_str(&outs[0]).unwrap_or_default();
            if let Some(groups) = v["groups"].as_array() {
                listed += 1;
                let groups: Vec<&str> = groups
                    .iter()
                    .map(|g| g["group"].as_str().unwrap())
                    .collect();
                assert_eq!(
                    groups,
                    ["7e7", "1.4e8", "7e8", "1e9", "13000000000"],
                    "{cmd:?}"
                );
            }
        }
    }
    assert_eq!(listed, 3, "fit twice and compare's pick list their groups");

    // select (a long table) and methods: shuffled rows, the same bytes.
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    for (file, args) in [
        (
            "curves.csv",
            vec!["select", "--target", "1638400", "--max-n", "25600"],
        ),
        (
            "runs.csv",
            vec![
                "methods",
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
                "3e3",
            ],
        ),
    ] {
        let text = std::fs::read_to_string(examples.join(file)).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        let head = lines.remove(0);
        let shuf = shuffled(&lines, 3);
        let name = format!("shuffled-{file}");
        std::fs::write(d.join(&name), format!("{head}\n{}\n", shuf.join("\n"))).unwrap();
        std::fs::copy(examples.join(file), d.join(file)).unwrap();
        for json in [false, true] {
            let mut a = vec![args[0], file];
            a.extend(&args[1..]);
            let mut b = vec![args[0], name.as_str()];
            b.extend(&args[1..]);
            if json {
                a.push("--json");
                b.push("--json");
            }
            assert_eq!(stdout(d, &a), stdout(d, &b), "{args:?} json={json}");
        }
    }

    // forecast --run-col: the runs' rows interleaved (by step) or with the
    // runs' blocks in reverse order, each run's steps in order.
    let text = std::fs::read_to_string(examples.join("training_runs.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let head = lines.remove(0);
    let cols: Vec<&str> = head.split(',').collect();
    let (ri, si) = (
        cols.iter().position(|&c| c == "run").unwrap(),
        cols.iter().position(|&c| c == "step").unwrap(),
    );
    let step = |l: &str| l.split(',').nth(si).unwrap().parse::<f64>().unwrap();
    let mut interleaved = lines.clone();
    interleaved.sort_by(|a, b| step(a).total_cmp(&step(b)));
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for l in &lines {
        let run = l.split(',').nth(ri).unwrap();
        match blocks.last_mut() {
            Some(b) if b[0].split(',').nth(ri).unwrap() == run => b.push(l),
            _ => blocks.push(vec![l]),
        }
    }
    assert!(blocks.len() >= 3, "{} blocks", blocks.len());
    blocks.reverse();
    let swapped: Vec<&str> = blocks.concat();
    for (name, rows) in [
        ("runs.csv", lines.clone()),
        ("interleaved.csv", interleaved),
        ("swapped.csv", swapped),
    ] {
        std::fs::write(d.join(name), format!("{head}\n{}\n", rows.join("\n"))).unwrap();
    }
    for json in [false, true] {
        let outs: Vec<String> = ["runs.csv", "interleaved.csv", "swapped.csv"]
            .iter()
            .map(|f| {
                let mut a = vec!["forecast", f, "--run-col", "run", "--fit-until", "0.3"];
                if json {
                    a.push("--json");
                }
                stdout(d, &a)
            })
            .collect();
        assert_eq!(outs[1], outs[0], "interleaved, json={json}");
        assert_eq!(outs[2], outs[0], "swapped, json={json}");
        if json {
            let v: serde_json::Value = serde_json::from_str(&outs[0]).unwrap();
            let runs: Vec<&str> = v["forecasts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["curve"].as_str().unwrap())
                .collect();
            let mut sorted = runs.clone();
            sorted.sort();
            assert_eq!(runs, sorted);
        }
    }
}
