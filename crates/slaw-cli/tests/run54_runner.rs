//! run54: the runner after failures (probe54 findings 5, 11, 12, 17): a
//! candidate whose runs at a size all failed runs no larger size (unless
//! the plan's `run_past_failures`), sets no bar for successive halving, and
//! its failures are named on the `chosen:` line and in the JSON `choice`
//! (`slaw report` exits 4); `slaw status` says what the next `slaw run`
//! does with each orphaned run; dropped candidates' extrapolation is a
//! note, not the plan's warning; a candidate not ranked because its runs
//! failed is told so.

mod common;

use common::{json_of, python_ok, run_ids, slaw};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

/// A generous guard on anything a test waits for: never reached unless
/// something hangs.
const GUARD: Duration = Duration::from_secs(600);

/// The probe's trainer: the loss of `model` at `n` from the known-truth
/// pool (tests/data/run54_pool.csv, 8 candidates); with MODE `nan`, cand04
/// writes NaN from n = 6400 on, with `fail` it exits 7 there.
const TRAINER: &str = r#"
import csv, json, sys
pool, model, n, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows = list(csv.reader(open(pool)))
h = rows[0]
for r in rows[1:]:
    if r[0] == model:
        loss = float(r[h.index(str(n))])
        if model == "cand04" and n >= 6400:
            if mode == "nan":
                loss = float("nan")
            if mode == "fail":
                print("CUDA out of memory", file=sys.stderr)
                sys.exit(7)
        json.dump({"eval_loss": loss}, open("metrics.json", "w"))
        sys.exit(0)
sys.exit(1)
"#;

/// The probe's plan (budget 1/64, zero-shot, the default ascending +
/// drop_worse), its trainer in `mode`, and `extra` plan lines.
fn pool_plan(dir: &TempDir, name: &str, mode: &str, extra: &str) -> PathBuf {
    common::run54_pool_plan(dir.path(), name, TRAINER, mode, extra)
}

/// Findings 5 and 12. cand04 (the leader from its small sizes) gets a NaN
/// loss at 6400: its 12800 and 25600 are not launched, candidates it kept
/// out re-enter (cand00 runs up to 25600, as in the clean run), the
/// `chosen:` line and the JSON `choice` name its failed run, `slaw report`
/// exits 4; the candidates successive halving dropped at 1600 (1024x below
/// the target) get a note, not the budget's extrapolation warning. With
/// `run_past_failures = true`, the larger sizes are run (and fail).
#[test]
fn a_failed_size_stops_the_candidate_and_lets_the_others_back_in() {
    if !python_ok() {
        return;
    }
    let dir = TempDir::new().unwrap();
    let p = pool_plan(&dir, "nan.toml", "nan", "");
    let out = slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{text}");
    // sel56: cand04, ranked from its sizes up to 3200 (its 6400 failed), is
    // ranked by its interval from those sizes ([0.027, 4.06] here): not
    // AtS's pick, chosen only with the lowest risk score, which it
    // has not; the note says so and how to rank it on its larger sizes.
    let chosen = text.lines().find(|l| l.starts_with("chosen: ")).unwrap();
    assert!(chosen.starts_with("chosen: cand00 "), "{text}");
    assert!(chosen.contains("lowest risk score"), "{chosen}");
    // run57: its interval overlaps cand00's, so the `chosen:` line names it
    // as a failed contender whose retried runs may change the choice.
    assert!(
        chosen.contains("'cand04' (rank ")
            && chosen.contains("without its failed run(s) cand04|n=6400|seed=0")
            && chosen.contains("may change the choice"),
        "{chosen}"
    );
    let note = text
        .lines()
        .find(|l| l.starts_with("note: 'cand04' is ranked from its completed sizes up to 3200"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        note.contains("its runs at n = 6400 failed with no retries left")
            && note.contains("never as AtS's pick: it is not chosen")
            && note.contains("`slaw run --retry-failed`"),
        "{note}"
    );
    // Its row: its interval is the one from its completed sizes, wider
    // than the chosen one's and with a higher upper end.
    let row = |id: &str| {
        let l = text
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(id))
            .unwrap_or_else(|| panic!("{text}"));
        let iv = l.split('[').nth(1).unwrap().split(']').next().unwrap();
        let v: Vec<f64> = iv.split(", ").map(|x| x.parse().unwrap()).collect();
        (v[0], v[1], l.contains("200..3200"))
    };
    let (lo4, hi4, short) = row("cand04");
    let (lo0, hi0, _) = row("cand00");
    assert!(short && hi4 > hi0 && lo4 < lo0, "{text}");
    assert!(
        text.contains(
            "stopped: its run(s) at n = 6400 failed with no retries left, so its larger sizes \
             were not run"
        ),
        "{text}"
    );
    assert!(text.contains("note: 4 dropped candidate(s)"), "{text}");
    assert!(!text.contains("warning: the target is"), "{text}");

    let out = slaw()
        .args(["status", p.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let v = json_of(&out);
    let ids = run_ids(&v);
    assert!(ids.contains(&"cand04|n=6400|seed=0".to_string()));
    for n in [12800, 25600] {
        assert!(
            !ids.contains(&format!("cand04|n={n}|seed=0")),
            "cand04 at {n} was launched after its 6400 failed: {ids:?}"
        );
    }
    // cand00, dropped after 1600 while cand04 led, re-entered.
    assert!(
        ids.contains(&"cand00|n=25600|seed=0".to_string()),
        "{ids:?}"
    );

    // `slaw report`: the JSON's choice is cand00, which has no failed run;
    // cand04, whose interval overlaps it, lost its run at 6400, so
    // retrying it may change the choice: a failed contender, exit 4
    // (run57); cand04's ranking row carries `failed_at`.
    let out = slaw()
        .args(["report", p.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let choice = &v["summary"]["choice"];
    assert_eq!(choice["id"], "cand00", "{choice}");
    assert_eq!(choice["failed_runs"], serde_json::json!([]), "{choice}");
    assert!(choice["failures"].is_null(), "{choice}");
    assert_eq!(choice["failed_contenders"][0]["id"], "cand04", "{choice}");
    assert_eq!(
        choice["failed_contenders"][0]["may_change_choice"], true,
        "{choice}"
    );
    let text = v.to_string();
    assert!(text.contains("\"failed_at\":6400.0"), "{text}");

    // The plan's option: run past failures (the former behaviour).
    let q = pool_plan(&dir, "past.toml", "fail", "run_past_failures = true");
    let out = slaw()
        .args(["run", q.to_str().unwrap(), "--quiet", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cand04 = v["decision"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "cand04")
        .unwrap()
        .clone();
    assert_eq!(cand04["failed"].as_array().unwrap().len(), 3, "{cand04}");
    assert_eq!(cand04["failed_at"], 6400.0, "{cand04}");
    // Its sizes past the failure failed too: it is not chosen (sel56).
    assert_ne!(v["choice"]["id"], "cand04", "{}", v["choice"]);
}

/// Finding 17: a candidate whose runs failed is not ranked for that, not
/// for sizes it was never measured at.
#[test]
fn a_candidate_not_ranked_for_failed_runs_is_told_so() {
    let dir = TempDir::new().unwrap();
    let tr = dir.path().join("tr.sh");
    // Loss 1 + k * (n / 200)^-0.3 (awk), candidate `zero` exits 7 from 800.
    std::fs::write(
        &tr,
        "case $1 in a) k=2;; b) k=2.5;; c) k=3;; zero) k=1.5;; esac\n\
         if [ \"$1\" = zero ] && [ \"$2\" -ge 800 ]; then echo 'CUDA out of memory' >&2; exit 7; fi\n\
         awk -v k=$k -v n=$2 'BEGIN { printf \"{\\\"loss\\\": %.6f}\", 1 + k * (n / 200) ^ -0.3 }' > metrics.json\n",
    )
    .unwrap();
    let mut text = format!(
        "full_size = 1638400\nbudget = 25600\nmin_size = 200\nadaptive = false\nslots = 2\n\
         command = \"sh {} {{model}} {{n}}\"\nloss = {{ kind = \"json\", file = \"metrics.json\" }}\n",
        tr.display()
    );
    for id in ["a", "b", "c", "zero"] {
        text += &format!("[[candidate]]\nid = \"{id}\"\n");
    }
    let p = dir.path().join("odd.toml");
    std::fs::write(&p, text).unwrap();
    let out = slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("zero") && l.contains("not ranked"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(
            "not ranked: 6 of its 8 runs failed (see the failures): fix them and `slaw run \
             --retry-failed`"
        ),
        "{line}"
    );
}

/// The journal's record of `id` (None: not in it).
fn record(journal: &Path, id: &str) -> Option<slaw_run::journal::Record> {
    let j = slaw_run::journal::Journal::open(journal).ok()?;
    j.all().ok()?.into_iter().find(|r| r.id == id)
}

/// Wait (on the journal and the files, with a guard only against a hang)
/// until `cond` holds.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let guard = std::time::Instant::now();
    while !cond() {
        assert!(guard.elapsed() < GUARD, "waited {GUARD:?} for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Finding 11: after `slaw run` is killed, `slaw status` reads each
/// orphaned attempt's process and exit status file and says what the next
/// `slaw run` does with it; that run then does so (the exit-0 loss kept,
/// the exit-7 run failed).
#[test]
fn status_says_what_becomes_of_each_orphaned_run() {
    let dir = TempDir::new().unwrap();
    let go = dir.path().join("GO");
    let stop = dir.path().join("STOP");
    let tr = dir.path().join("tr.sh");
    std::fs::write(
        &tr,
        format!(
            "case $1 in\n\
             ok) while [ ! -e {go} ]; do sleep 0.02; done; printf '{{\"loss\": 2.5}}' > metrics.json;;\n\
             bad) while [ ! -e {go} ]; do sleep 0.02; done; exit 7;;\n\
             *) while [ ! -e {stop} ]; do sleep 0.02; done; printf '{{\"loss\": 3.5}}' > metrics.json;;\n\
             esac\n",
            go = go.display(),
            stop = stop.display()
        ),
    )
    .unwrap();
    let mut text = format!(
        "full_size = 1600\nbudget = 160\nmin_size = 20\nadaptive = false\nslots = 4\n\
         command = \"sh {} {{model}}\"\nloss = {{ kind = \"json\", file = \"metrics.json\" }}\n",
        tr.display()
    );
    for id in ["ok", "bad", "busy", "gone"] {
        text += &format!("[[candidate]]\nid = \"{id}\"\n");
    }
    let p = dir.path().join("o.toml");
    std::fs::write(&p, text).unwrap();
    let journal = dir.path().join("o.journal.sqlite");
    let id = |c: &str| format!("{c}|n=160|seed=0");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("slaw"))
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid_of = |c: &str| -> i32 {
        record(&journal, &id(c))
            .and_then(|r| r.handle)
            .and_then(|h| h.parse().ok())
            .unwrap_or(0)
    };
    wait_until("the 4 runs to start", || {
        assert!(child.try_wait().unwrap().is_none(), "slaw ended early");
        ["ok", "bad", "busy", "gone"].iter().all(|c| pid_of(c) > 0)
    });
    child.kill().unwrap(); // SIGKILL: the trainers carry on
    child.wait().unwrap();
    // `gone`'s attempt and its wrapper are killed: no exit status.
    let gone = pid_of("gone");
    unsafe {
        libc::kill(-gone, libc::SIGKILL);
    }
    std::fs::write(&go, "").unwrap();
    let attempt = |c: &str| {
        dir.path()
            .join(format!("o-runs/{c}/n=160/seed=0/attempt-1"))
    };
    wait_until("ok and bad to write their exit status", || {
        ["ok", "bad"]
            .iter()
            .all(|c| attempt(c).join(".slaw-exit-status").exists())
    });
    wait_until("gone's process to be gone", || {
        !Path::new(&format!("/proc/{gone}")).exists()
    });
    let out = slaw()
        .args(["status", p.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for (c, says) in [
        (
            "ok",
            "finished while slaw was away (exit 0): its loss will be kept".to_string(),
        ),
        (
            "bad",
            "exited 7 while slaw was away: it will be failed".into(),
        ),
        ("busy", format!("still running (pid {})", pid_of("busy"))),
        (
            "gone",
            "no exit status: it will run again without counting an attempt".into(),
        ),
    ] {
        assert!(
            text.contains(&format!("  {}: {says}", id(c))),
            "{c}: {says}\n{text}"
        );
    }
    assert!(
        !text.contains("runs it again without counting an attempt: "),
        "{text}"
    );
    // The next run does what status said (busy is stopped and run again:
    // STOP lets the new attempt end).
    std::fs::write(&stop, "").unwrap();
    let out = slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let ok = record(&journal, &id("ok")).unwrap();
    assert_eq!(ok.state, slaw_run::journal::State::Done);
    assert_eq!(ok.loss, Some(2.5));
    assert_eq!(ok.attempts, 1);
    let bad = record(&journal, &id("bad")).unwrap();
    assert_eq!(bad.state, slaw_run::journal::State::Failed);
    let gone = record(&journal, &id("gone")).unwrap();
    assert_eq!(gone.state, slaw_run::journal::State::Done);
}
