//! `slaw plan` / `run` / `status` / `report` end to end, with a fake trainer
//! (tests/fake_trainer.py: a real process that sleeps briefly and writes a
//! loss from a known curve with seeded noise): ranking, adaptive savings,
//! SIGKILL at random moments, failing runs, two runners on one journal.

mod common;

use assert_cmd::Command;
use common::python_ok;
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

fn trainer() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fake_trainer.py")
        .display()
        .to_string()
}

/// A plan over `models` in `dir`; `extra` is added before the candidates.
fn plan(dir: &TempDir, name: &str, models: &[&str], extra: &str) -> PathBuf {
    let mut s = format!(
        "full_size = 100000\nbudget = \"1/8\"\nmethod = \"ats\"\n{}bootstrap = 100\n\
         command = \"python3 {} --model {{model}} --n {{n}} --seed {{seed}} --out {{out}} --attempt {{attempt}}\"\n\
         loss = {{ kind = \"json\", file = \"{{out}}/metrics.json\", key = \"eval_loss\" }}\n{extra}\n",
        if extra.contains("slots") { "" } else { "slots = 2\n" },
        trainer()
    );
    for m in models {
        s += &format!("[[candidate]]\nid = \"{m}\"\nparams = 1e8\n\n");
    }
    let p = dir.path().join(name);
    std::fs::write(&p, s).unwrap();
    p
}

fn report_json(p: &Path) -> serde_json::Value {
    report_json_exit(p, 0)
}

/// `slaw report --json`, its exit status `code` (3: some candidates not
/// ranked beside ranked ones, a partial result).
fn report_json_exit(p: &Path, code: i32) -> serde_json::Value {
    let out = slaw()
        .args(["report", p.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ranking(v: &serde_json::Value) -> Vec<(String, f64)> {
    v["summary"]["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["estimate"]["predicted_loss"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Runs in state done in the journal at `path` (0 before it exists).
fn done_runs(path: &Path) -> usize {
    if !path.exists() {
        return 0;
    }
    let j = slaw_run::journal::Journal::open(path).unwrap();
    j.all()
        .unwrap()
        .iter()
        .filter(|r| r.state == slaw_run::journal::State::Done)
        .count()
}

/// Wait until `child` exits (its status) or the journal has more done runs
/// than `before` (None). A guard of 10 minutes without either fails.
fn wait_for_progress(
    child: &mut std::process::Child,
    journal: &Path,
    before: usize,
) -> Option<std::process::ExitStatus> {
    let guard = std::time::Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return Some(st);
        }
        if done_runs(journal) > before {
            return None;
        }
        assert!(
            guard.elapsed() < GUARD,
            "no run finished in {GUARD:?} (and slaw did not exit)"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A generous guard on anything a test waits for: never reached unless
/// something hangs.
const GUARD: Duration = Duration::from_secs(600);

const MODELS: [&str; 3] = ["alpha", "beta", "gamma"];

#[test]
fn adaptive_run_ranks_right_and_saves_runs() {
    if !python_ok() {
        return;
    }
    let dir = TempDir::new().unwrap();
    let p = plan(&dir, "plan.toml", &MODELS, "");
    // The plan: a line per candidate and the total; each run with --verbose.
    let out = slaw().args(["plan", p.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("at most 24 runs"), "{text}");
    for m in MODELS {
        assert_eq!(
            text.lines().filter(|l| l.starts_with(m)).count(),
            1,
            "{text}"
        );
    }
    let out = slaw()
        .args(["plan", p.to_str().unwrap(), "--verbose"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("alpha")).count(),
        9,
        "{text}"
    );
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .success()
        .stdout(predicate::str::contains("all runs finished"));
    let v = report_json(&p);
    let r = ranking(&v);
    // The truth at the target: gamma 1.083 < alpha 1.319 < beta 1.606.
    let order: Vec<&str> = r.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(order, ["gamma", "alpha", "beta"]);
    // The text says why the chosen one and what its intervals cover, as
    // `slaw select` does (probe_run item 19).
    slaw()
        .args(["report", p.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "chosen: gamma (lowest predicted loss)",
        ))
        .stdout(predicate::str::contains(
            "intervals: 90% predictive, meant to cover the loss at the target",
        ));
    // probe_rd 10: the same decimals as `slaw select` (6; 4 before) for the
    // predicted loss and its interval.
    let out = slaw()
        .args(["report", p.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| {
            MODELS
                .iter()
                .any(|m| l.split_whitespace().nth(1) == Some(m))
        })
        .filter(|l| l.contains('['))
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    for r in rows {
        for c in r
            .split(|c: char| c.is_whitespace() || "[],".contains(c))
            .filter(|c| c.contains('.') && !c.contains(".."))
        {
            assert_eq!(c.split('.').nth(1).unwrap().len(), 6, "{c} in {r}");
        }
    }
    let adaptive = v["summary"]["cost"]["runs"].as_u64().unwrap();
    assert_eq!(v["summary"]["cost"]["fixed_runs"], 24);
    assert!(adaptive < 24, "adaptive AtS ran {adaptive} runs");
    // The fixed ladder runs everything and agrees on the order.
    let f = plan(&dir, "fixed.toml", &MODELS, "adaptive = false");
    slaw()
        .args(["run", f.to_str().unwrap(), "--quiet"])
        .assert()
        .success();
    let v = report_json(&f);
    assert_eq!(v["summary"]["cost"]["runs"], 24);
    let order: Vec<String> = ranking(&v).into_iter().map(|x| x.0).collect();
    assert_eq!(order, ["gamma", "alpha", "beta"]);
    // A second run of a finished plan launches nothing.
    let out = slaw()
        .args(["run", p.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["launched"], 0);
}

#[test]
fn the_report_page_shows_predictions_and_hashes_the_references() {
    if !python_ok() {
        return;
    }
    let dir = TempDir::new().unwrap();
    // The same candidates on another task (wide format, sizes as columns,
    // each reaching the target): the reference `ats-ref` reads.
    let mut r = String::from("model,0,1000,2000,4000,8000,16000,32000,64000,100000\n");
    for (m, (b, dl, beta, e)) in [
        ("alpha", (40.0, 20.0, 0.5, 1.2)),
        ("beta", (30.0, 15.0, 0.45, 1.45)),
        ("gamma", (50.0, 40.0, 0.55, 1.0)),
    ] {
        let row: Vec<String> = [0.0, 1e3, 2e3, 4e3, 8e3, 16e3, 32e3, 64e3, 1e5]
            .iter()
            .map(|n: &f64| format!("{}", 1.1 * (b / (dl + n.powf(beta)) + e)))
            .collect();
        r += &format!("{m},{}\n", row.join(","));
    }
    std::fs::write(dir.path().join("ref.csv"), r).unwrap();
    let mut text = format!(
        "full_size = 100000\nbudget = \"1/8\"\nbootstrap = 100\nslots = 2\nreference = [\"ref.csv\"]\n\
         command = \"python3 {} --model {{model}} --n {{n}} --seed {{seed}} --out {{out}} --attempt {{attempt}}\"\n\
         loss = {{ kind = \"json\", file = \"{{out}}/metrics.json\", key = \"eval_loss\" }}\n",
        trainer()
    );
    for m in MODELS {
        text += &format!("[[candidate]]\nid = \"{m}\"\nparams = 1e8\n\n");
    }
    let p = dir.path().join("plan.toml");
    std::fs::write(&p, text).unwrap();
    let page = dir.path().join("page.html");
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .success();
    slaw()
        .args([
            "report",
            p.to_str().unwrap(),
            "--html",
            page.to_str().unwrap(),
        ])
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    // The ranking's predictions and intervals are columns.
    assert!(html.contains("<th>estimate.predicted_loss</th>"), "{html}");
    assert!(html.contains("<th>estimate.interval</th>"), "{html}");
    // Every input is hashed: the plan, its journal and the reference.
    assert!(html.contains("ref.csv"), "{html}");
    assert_eq!(html.matches("SHA-256").count(), 3, "{html}");
    // Start times read as dates, not seconds since 1970.
    assert!(html.contains(" UTC</td>"), "{html}");
    // The reference's warning (3 candidates cannot confirm a match) is in
    // the JSON's top-level `warnings` with every other, as in every command,
    // and in `summary.warnings` (the ranking's, as `slaw run --json`).
    let out = slaw()
        .args(["report", p.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ranking = v["summary"]["warnings"].as_array().unwrap();
    assert!(!ranking.is_empty(), "{v}");
    let top = v["warnings"].as_array().unwrap();
    assert!(ranking.iter().all(|w| top.contains(w)), "{v}");
}

#[test]
fn a_report_page_is_written_even_when_nothing_can_be_plotted() {
    if !python_ok() {
        return;
    }
    let dir = TempDir::new().unwrap();
    // Every run fails: a journal, but no candidate can be ranked.
    let p = plan(&dir, "plan.toml", &["crashy"], "retries = 0");
    let _ = slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    let page = dir.path().join("page.html");
    let fig = dir.path().join("fig.svg");
    slaw()
        .args([
            "report",
            p.to_str().unwrap(),
            "--html",
            page.to_str().unwrap(),
            "--plot",
            fig.to_str().unwrap(),
        ])
        .assert()
        .code(predicate::ne(0))
        .stderr(predicate::str::contains("nothing to plot"));
    // The page holds the status all the same; the plot is not written.
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("crashy"), "{html}");
    assert!(!fig.exists());
}

#[test]
fn sigkill_at_random_moments_loses_nothing() {
    if !python_ok() {
        return;
    }
    let reference = {
        let dir = TempDir::new().unwrap();
        let p = plan(&dir, "plan.toml", &MODELS, "");
        slaw()
            .args(["run", p.to_str().unwrap(), "--quiet"])
            .assert()
            .success();
        ranking(&report_json(&p))
    };
    let bin = assert_cmd::cargo::cargo_bin("slaw");
    for seed in 1..=3u64 {
        let dir = TempDir::new().unwrap();
        let p = plan(&dir, "plan.toml", &MODELS, "");
        // Each slaw is killed (SIGKILL) at a random moment after it made
        // progress (one more run done in the journal than when it started),
        // so every kill lands somewhere in the life of a run whatever the
        // machine's speed, and the plan always gets closer to its end.
        let journal = dir.path().join("plan.journal.sqlite");
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut kills = 0;
        loop {
            let before = done_runs(&journal);
            let mut child = std::process::Command::new(&bin)
                .args(["run", p.to_str().unwrap(), "--quiet"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let exited = wait_for_progress(&mut child, &journal, before);
            if exited.is_none() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                std::thread::sleep(Duration::from_millis(x % 300));
            }
            match exited.or_else(|| child.try_wait().unwrap()) {
                Some(st) => {
                    assert!(st.success(), "seed {seed}: run ended with {st}");
                    break;
                }
                None => {
                    child.kill().unwrap(); // SIGKILL
                    child.wait().unwrap();
                    kills += 1;
                    assert!(kills < 100, "seed {seed}: never finished");
                }
            }
        }
        let v = report_json(&p);
        assert_eq!(ranking(&v), reference, "seed {seed} after {kills} kills");
        // Every completed result is in the journal exactly once and done.
        let runs = v["runs"].as_array().unwrap();
        let mut ids: Vec<&str> = runs.iter().map(|r| r["id"].as_str().unwrap()).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert!(runs.iter().all(|r| r["state"] == "done"), "seed {seed}");
        eprintln!("seed {seed}: {kills} kills, {n} runs");
    }
}

#[test]
fn failing_runs_are_recorded_retried_and_reported() {
    if !python_ok() {
        return;
    }
    let dir = TempDir::new().unwrap();
    let models = ["alpha", "gamma", "crashy", "silent", "garbage", "flaky"];
    // No timeout: every verdict below comes from what the trainer did, not
    // from how fast the machine is.
    let p = plan(
        &dir,
        "plan.toml",
        &models,
        "retries = 1\nslots = 4\nmin_size = 1500",
    );
    let out = slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .timeout(GUARD)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // crashy, silent and garbage are not ranked beside the others: exit 3.
    let v = report_json_exit(&p, 3);
    let runs = v["runs"].as_array().unwrap();
    let of = |m: &str| -> Vec<&serde_json::Value> {
        runs.iter().filter(|r| r["candidate"] == m).collect()
    };
    for (m, reason) in [
        ("crashy", "non-zero exit status 1"),
        ("silent", "missing output"),
        ("garbage", "unparsable loss"),
    ] {
        let rs = of(m);
        assert!(!rs.is_empty(), "{m}");
        for r in rs {
            assert_eq!(r["state"], "failed", "{m}");
            assert_eq!(r["attempts"], 2, "{m}: one retry");
            assert!(
                r["reason"].as_str().unwrap().contains(reason),
                "{m}: {}",
                r["reason"]
            );
        }
    }
    for r in of("flaky") {
        assert_eq!(r["state"], "done");
        assert_eq!(r["attempts"], 2);
    }
    slaw()
        .args(["status", p.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("crashy"))
        .stdout(predicate::str::contains("non-zero exit status 1"));
    slaw()
        .args(["report", p.to_str().unwrap()])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("not ranked"))
        .stderr(predicate::str::contains("3 of 6 candidates not ranked"));
}

/// Processes (other than this test) whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = vec![];
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(needle) {
            found.push(cmd);
        }
    }
    found
}

#[test]
fn a_run_past_its_timeout_is_stopped_and_retried() {
    if !python_ok() {
        return;
    }
    // The trainer sleeps 600 s, far beyond the 1 s timeout: the timeout
    // fires whatever the machine's load (the verdict does not depend on
    // how fast anything starts).
    let dir = TempDir::new().unwrap();
    let p = plan(
        &dir,
        "plan.toml",
        &["sleepy"],
        "retries = 1\ntimeout = 1\nslots = 4\nmin_size = 1500\nadaptive = false",
    );
    let out = slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .timeout(GUARD)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every run failed: no candidate ranked, `report` exits 4 (probe66).
    let v = report_json_exit(&p, 4);
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    for r in runs {
        assert_eq!(r["state"], "failed");
        assert_eq!(r["attempts"], 2, "one retry");
        assert_eq!(r["reason"], "timeout after 1 s");
    }
    // The whole process group was stopped: no trainer of this plan is left.
    // A killed process can linger in /proc for a moment while the kernel
    // tears it down (seen under load), so wait for that event, with a
    // generous guard; a trainer that was never signalled sleeps for 600 s
    // and is still found when the guard runs out.
    let needle = dir.path().display().to_string();
    let guard = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut left = processes_mentioning(&needle);
    while !left.is_empty() && std::time::Instant::now() < guard {
        std::thread::sleep(std::time::Duration::from_millis(100));
        left = processes_mentioning(&needle);
    }
    assert!(left.is_empty(), "left running: {left:?}");
    slaw()
        .args(["status", p.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("timeout after 1 s"));
}

#[test]
fn two_runners_on_one_journal_never_launch_a_run_twice() {
    if !python_ok() {
        return;
    }
    let dir = TempDir::new().unwrap();
    let p = plan(&dir, "plan.toml", &MODELS, "adaptive = false");
    let bin = assert_cmd::cargo::cargo_bin("slaw");
    let spawn = || {
        std::process::Command::new(&bin)
            .args(["run", p.to_str().unwrap(), "--quiet"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let j = slaw_run::journal::Journal::open(&dir.path().join("plan.journal.sqlite")).unwrap();
    let claims = j.claims().unwrap();
    assert_eq!(claims.len(), 24);
    assert!(claims.iter().all(|c| c.1 == 1), "{claims:?}");
}

#[test]
fn bad_plans_name_the_line() {
    let dir = TempDir::new().unwrap();
    let w = |text: &str| {
        let p = dir.path().join("bad.toml");
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let base = "full_size = 1000\nbudget = \"1/2\"\ncommand = \"train {n}\"\nloss = { kind = \"regex\", pattern = \"loss=([0-9.]+)\" }\n[[candidate]]\nid = \"a\"\n";
    for (text, msg) in [
        (
            base.replace("train {n}", "train {nn}"),
            "unknown placeholder",
        ),
        (
            base.replace("full_size = 1000", "full_size = -3"),
            "full_size",
        ),
        (base.replace("\"1/2\"", "\"2/1\""), "budget"),
        (
            format!("target = 4000\n{base}"),
            "budget: 2000 examples is more than full_size = 1000",
        ),
        (format!("{base}colour = 1\n"), "unknown field"),
        (base.replace("([0-9.]+)", "[0-9.]+"), "capture group"),
        (base.replace("id = \"a\"", "id = \"a/b\""), "has '/'"),
        (base.replace("id = \"a\"", "id = \"..\""), "not a file name"),
        (
            format!("{base}[[candidate]]\nid = \"b c\"\n"),
            "line 8, column 1: id: candidate 2",
        ),
        (format!("ats_k = 0\n{base}"), "ats_k: must be at least 2"),
        (
            format!("ats_delta = -1\n{base}"),
            "ats_delta: must be a number > 0",
        ),
        (
            format!("ats_delta = nan\n{base}"),
            "ats_delta: must be a number > 0",
        ),
        (format!("seeds = [1, 1]\n{base}"), "seed 1 appears twice"),
        (
            format!("slots = [\"0\", \"0\"]\n{base}"),
            "slot '0' appears twice",
        ),
        (
            format!("slot_env = \"X; touch pwned; Y\"\n{base}"),
            "not an environment variable name",
        ),
        (
            base.replace("train {n}", "train `echo {n}`"),
            "inside backticks",
        ),
        (
            format!("adaptive = false\ndrop_worse = true\n{base}"),
            "needs adaptive = true",
        ),
        (
            format!("backend = \"slurm\"\n{base}[slurm]\npoll_seconds = -1\n"),
            "poll_seconds: must be a number of seconds",
        ),
        (
            format!("{base}[slurm]\npoll_seconds = 1e30\n"),
            "poll_seconds: must be a number of seconds",
        ),
        (
            format!("{base}[slurm]\npoll_seconds = nan\n"),
            "poll_seconds: must be a number of seconds",
        ),
        (
            format!("tokens_per_example = -3\n{base}"),
            "tokens_per_example: must be a number > 0",
        ),
        (
            format!("tokens_per_example = 0\n{base}"),
            "tokens_per_example: must be a number > 0",
        ),
        (
            format!("{base}model = \"a\\u0000b\"\n"),
            "line 6, column 1: model: candidate 1 ('a'): contains a NUL byte",
        ),
        (
            format!("{base}[[candidate]]\nid = \"A\"\n"),
            "line 8, column 1: id: candidate 2: 'A' differs from candidate id 'a' only in case",
        ),
    ] {
        slaw()
            .args(["plan", &w(&text)])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("bad.toml, line"))
            .stderr(predicate::str::contains(msg))
            .stderr(predicate::str::contains("line 0").not());
    }
}

fn slurm_up() -> bool {
    let ok = std::process::Command::new("sinfo")
        .args(["-h", "-o", "%t"])
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("idle"));
    if !ok {
        eprintln!("skipping: no idle Slurm node (scripts/slurm-localhost.sh starts one)");
    }
    ok
}

#[test]
fn slurm_backend_end_to_end() {
    if !python_ok() || !slurm_up() {
        return;
    }
    let dir = TempDir::new().unwrap();
    let p = plan(
        &dir,
        "plan.toml",
        &MODELS,
        "backend = \"slurm\"\nslurm = { poll_seconds = 0.2, sbatch_args = [\"--ntasks=1\"] }",
    );
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .timeout(Duration::from_secs(300))
        .assert()
        .success();
    let v = report_json(&p);
    let order: Vec<String> = ranking(&v).into_iter().map(|x| x.0).collect();
    assert_eq!(order, ["gamma", "alpha", "beta"]);
    assert!(v["summary"]["cost"]["runs"].as_u64().unwrap() < 24);
    // Every run went through Slurm: its handle is a job id and a job script exists.
    for r in v["runs"].as_array().unwrap() {
        assert!(r["handle"].as_str().unwrap().parse::<u64>().is_ok());
    }
}

#[test]
fn drop_worse_stops_the_clearly_worse_candidate() {
    if !python_ok() {
        return;
    }
    let models = ["alpha", "beta", "gamma", "delta"];
    let dir = TempDir::new().unwrap();
    // A huge AtS threshold: no phase transition is ever detected, so every
    // saving below comes from successive halving alone.
    let adaptive = plan(&dir, "adaptive.toml", &models, "ats_delta = 1e6");
    let drop = plan(
        &dir,
        "drop.toml",
        &models,
        "ats_delta = 1e6\ndrop_worse = true",
    );
    for p in [&adaptive, &drop] {
        slaw()
            .args(["run", p.to_str().unwrap(), "--quiet"])
            .assert()
            .success();
    }
    let (va, vd) = (report_json(&adaptive), report_json(&drop));
    let delta_runs = |v: &serde_json::Value| {
        v["runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["candidate"] == "delta")
            .count()
    };
    // Without successive halving delta runs the whole ladder.
    assert_eq!(delta_runs(&va), 8);
    assert_eq!(va["summary"]["cost"]["runs"], 32);
    // With it, delta stops once its interval is above the leader's: after
    // the 4 sizes AtS needs (plus at most one already in flight).
    let stopped = vd["summary"]["decision"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "delta")
        .unwrap()["stopped"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(stopped.starts_with("dropped"), "{stopped}");
    assert!(delta_runs(&vd) <= 5, "{}", delta_runs(&vd));
    let runs = |v: &serde_json::Value| v["summary"]["cost"]["runs"].as_u64().unwrap();
    assert!(runs(&vd) < runs(&va), "{} vs {}", runs(&vd), runs(&va));
    // Dropped candidates are still ranked, from the sizes they ran.
    for v in [&va, &vd] {
        let order: Vec<String> = ranking(v).into_iter().map(|x| x.0).collect();
        assert_eq!(order, ["gamma", "alpha", "beta", "delta"]);
    }
    slaw()
        .args(["status", drop.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("dropped"));
    // Probe nc 5: the drop names the interval it compared (the risk
    // interval, not the printed one) and the size; the report marks the
    // dropped candidate and the sizes its rank comes from.
    assert!(
        stopped.starts_with("dropped after n = ") && stopped.contains(": its risk interval"),
        "{stopped}"
    );
    let rows = vd["summary"]["ranking"].as_array().unwrap();
    let row = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(row("delta")["dropped"], true, "{}", row("delta"));
    assert_eq!(row("gamma")["dropped"], false);
    let sizes = |id: &str| {
        let v = &row(id)["sizes"];
        (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
    };
    // Descending: delta stopped before the smaller sizes gamma ran.
    assert!(sizes("delta").0 > sizes("gamma").0, "{rows:?}");
    // The drop names the last size delta ran (descending: its smallest).
    assert!(
        stopped.starts_with(&format!(
            "dropped after n = {}:",
            slaw::numbers::num(sizes("delta").0)
        )),
        "{stopped}"
    );
    let out = slaw()
        .args(["report", drop.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains(" delta "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(&format!(
            "{}..{} (dropped)",
            slaw::numbers::num(sizes("delta").0),
            slaw::numbers::num(sizes("delta").1)
        )),
        "{text}"
    );
    assert!(text.contains("from sizes: the sizes each"), "{text}");
    // The report's plot: every candidate, the measured points and the
    // predictions at the target.
    let svg = dir.path().join("report.svg");
    slaw()
        .args([
            "report",
            drop.to_str().unwrap(),
            "--plot",
            svg.to_str().unwrap(),
        ])
        .assert()
        .success();
    let text = std::fs::read_to_string(&svg).unwrap();
    for m in models {
        assert!(text.contains(m), "{m} missing from the plot");
    }
    assert!(text.contains("gamma (chosen)"));
}

#[test]
fn slurm_sigkill_loses_nothing_and_leaves_no_job_behind() {
    if !python_ok() || !slurm_up() {
        return;
    }
    let reference = {
        let dir = TempDir::new().unwrap();
        let p = plan(&dir, "plan.toml", &MODELS, "");
        slaw()
            .args(["run", p.to_str().unwrap(), "--quiet"])
            .assert()
            .success();
        ranking(&report_json(&p))
    };
    let dir = TempDir::new().unwrap();
    let p = plan(
        &dir,
        "plan.toml",
        &MODELS,
        "backend = \"slurm\"\nslurm = { poll_seconds = 0.2, sbatch_args = [\"--ntasks=1\"] }",
    );
    let bin = assert_cmd::cargo::cargo_bin("slaw");
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut kills = 0;
    loop {
        let mut child = std::process::Command::new(&bin)
            .args(["run", p.to_str().unwrap(), "--quiet"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // 0.3 to 2.3 s: Slurm takes about a second to start and end a job.
        // After 12 kills the run is left to finish.
        std::thread::sleep(Duration::from_millis(300 + x % 2000));
        if kills == 12 {
            assert!(child.wait().unwrap().success());
            break;
        }
        match child.try_wait().unwrap() {
            Some(st) => {
                assert!(st.success(), "run ended with {st}");
                break;
            }
            None => {
                child.kill().unwrap(); // SIGKILL: its jobs stay in Slurm
                child.wait().unwrap();
                kills += 1;
            }
        }
    }
    let v = report_json(&p);
    assert_eq!(ranking(&v), reference, "after {kills} kills");
    let runs = v["runs"].as_array().unwrap();
    assert!(runs.iter().all(|r| r["state"] == "done"));
    // Nothing of this plan (its job scripts live in its folder) is left
    // pending or running in Slurm (cancelled jobs may show as completing
    // for a moment: wait for them up to 15 s).
    let here = dir.path().display().to_string();
    let ours = || -> Vec<String> {
        let q = std::process::Command::new("squeue")
            .args(["-h", "-o", "%j %T %o"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&q.stdout)
            .lines()
            .filter(|l| l.contains(&here))
            .map(String::from)
            .collect()
    };
    for _ in 0..30 {
        if ours().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let left: Vec<String> = ours()
        .into_iter()
        .filter(|l| l.contains(" PENDING ") || l.contains(" RUNNING "))
        .collect();
    assert!(left.is_empty(), "jobs left in Slurm: {left:?}");
    // Runs the killed processes left were taken over and run again.
    let j = slaw_run::journal::Journal::open(&dir.path().join("plan.journal.sqlite")).unwrap();
    let adopted = j
        .events()
        .unwrap()
        .iter()
        .filter(|e| e.1.starts_with("adopted"))
        .count();
    assert!(adopted >= 1, "{kills} kills, no orphan adopted");
    eprintln!(
        "slurm: {kills} kills, {} runs, {adopted} orphans",
        runs.len()
    );
}

#[test]
fn hostile_model_names_are_passed_as_text_never_run() {
    // Placeholders inside quotes of the template, model names that close
    // the quote or substitute a command: each reaches the command as text.
    let dir = TempDir::new().unwrap();
    let models = [
        (
            "quoted",
            "x; touch pwned; #",
            "printf '%s' '{model}' > model.txt",
        ),
        (
            "dquoted",
            "$(touch pwned)",
            "printf '%s' \"{model}\" > model.txt",
        ),
        (
            "bare",
            "'; touch pwned; '`touch pwned`",
            "printf '%s' {model} > model.txt",
        ),
    ];
    for (id, model, command) in models {
        let text = format!(
            "full_size = 1600\nbudget = 160\nmin_size = 20\nadaptive = false\n\
             command = \"\"\"{command} && echo loss=2.5\"\"\"\n\
             loss = {{ kind = \"regex\", pattern = \"loss=([0-9.]+)\" }}\n\
             [[candidate]]\nid = \"{id}\"\nmodel = '''{model}'''\n"
        );
        let p = dir.path().join(format!("{id}.toml"));
        std::fs::write(&p, text).unwrap();
        slaw()
            .args(["run", p.to_str().unwrap(), "--quiet"])
            .timeout(GUARD)
            .assert()
            .success();
        let runs = dir.path().join(format!("{id}-runs"));
        for size in ["n=160", "n=80", "n=40", "n=20"] {
            let d = runs.join(id).join(size).join("seed=0").join("attempt-1");
            assert_eq!(
                std::fs::read_to_string(d.join("model.txt")).unwrap(),
                model,
                "{id}"
            );
            assert!(!d.join("pwned").exists(), "{id}: the model name ran");
        }
    }
    assert!(!dir.path().join("pwned").exists());
}

#[test]
fn two_runners_never_share_a_slot() {
    if !python_ok() {
        return;
    }
    // One GPU ("0") and two slaw processes on one journal: at no moment do
    // two runs hold slot 0 (a run holds it from its claim to its result).
    let dir = TempDir::new().unwrap();
    let p = plan(
        &dir,
        "plan.toml",
        &MODELS,
        "adaptive = false\nslots = [\"0\"]",
    );
    let bin = assert_cmd::cargo::cargo_bin("slaw");
    let spawn = || {
        std::process::Command::new(&bin)
            .args(["run", p.to_str().unwrap(), "--quiet"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let j = slaw_run::journal::Journal::open(&dir.path().join("plan.journal.sqlite")).unwrap();
    let (mut holding, mut most) = (0i32, 0);
    for (_, e) in j.events().unwrap() {
        if e.starts_with("claimed") {
            holding += 1;
        } else if e == "done" || e.starts_with("failed") || e.starts_with("released") {
            holding -= 1;
        }
        most = most.max(holding);
    }
    assert_eq!(most, 1, "two runs held slot 0 at once");
    assert_eq!(j.claims().unwrap().len(), 24);
}

#[test]
fn failures_name_the_log_that_explains_them_and_no_ladder_is_complete() {
    if !python_ok() {
        return;
    }
    let dir = TempDir::new().unwrap();
    let p = plan(&dir, "plan.toml", &["alpha", "crashy"], "min_size = 1500");
    let out = slaw()
        .args(["run", p.to_str().unwrap()])
        .timeout(GUARD)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("all runs finished"), "{stdout}");
    assert!(stdout.contains("failed with no retries left"), "{stdout}");
    let status = slaw()
        .args(["status", p.to_str().unwrap()])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    let crashy = status
        .lines()
        .find(|l| l.starts_with("crashy"))
        .unwrap()
        .to_string();
    assert!(!crashy.contains("ladder complete"), "{crashy}");
    assert!(crashy.contains("failed run"), "{crashy}");
    let failures: Vec<&str> = status
        .lines()
        .filter(|l| l.contains("non-zero exit status"))
        .collect();
    assert!(!failures.is_empty());
    for l in failures {
        assert!(l.contains("stderr.log"), "{l}");
    }
}

/// The documented limit of timeouts: slaw stops the attempt's process group,
/// so a trainer's child that leaves the group with `setsid` survives the
/// timeout (README, "slaw run"). This test keeps that sentence true; it
/// kills the survivor itself.
#[test]
fn a_timeout_does_not_reach_a_child_that_left_with_setsid() {
    if std::process::Command::new("setsid")
        .arg("true")
        .status()
        .map_or(true, |s| !s.success())
    {
        eprintln!("SKIPPED: no setsid on this machine");
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path().display().to_string();
    std::fs::write(
        dir.path().join("grand.sh"),
        format!("touch {d}/grand-started\nsleep 300\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("escape.sh"),
        format!("setsid sh {d}/grand.sh < /dev/null > /dev/null 2>&1 &\nexec sleep 600\n"),
    )
    .unwrap();
    let p = dir.path().join("plan.toml");
    std::fs::write(
        &p,
        format!(
            "full_size = 100000\nbudget = \"1/8\"\nmethod = \"ats\"\nadaptive = false\n\
             min_size = 1500\nslots = 4\nretries = 0\ntimeout = 1\n\
             command = \"sh {d}/escape.sh {{out}}\"\n\
             loss = {{ kind = \"json\", file = \"{{out}}/metrics.json\" }}\n\
             [[candidate]]\nid = \"a\"\n"
        ),
    )
    .unwrap();
    let out = slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .timeout(GUARD)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every run failed: no candidate ranked, `report` exits 4 (probe66).
    let v = report_json_exit(&p, 4);
    for r in v["runs"].as_array().unwrap() {
        assert_eq!(r["reason"], "timeout after 1 s");
    }
    // The trainer itself (in the group) is gone ...
    assert!(processes_mentioning(&format!("{d}/escape.sh")).is_empty());
    // ... and a child that got out of the group before the timeout fired
    // (it says so in a file, waited for with a generous guard) is not. On a
    // machine so busy that no child got out within the second, there is
    // nothing to check.
    let started = dir.path().join("grand-started");
    let t0 = std::time::Instant::now();
    while !started.exists() && t0.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    if !started.exists() {
        eprintln!("SKIPPED: no trainer child left its group before the timeout");
        return;
    }
    let survivors: Vec<i32> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid: i32 = e.file_name().to_str()?.parse().ok()?;
            let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
            String::from_utf8_lossy(&cmd)
                .contains(&format!("{d}/grand.sh"))
                .then_some(pid)
        })
        .collect();
    for &pid in &survivors {
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    assert!(
        !survivors.is_empty(),
        "the setsid child was stopped after all: update the README"
    );
}

#[test]
fn zero_shot_runs_feed_the_default_method_and_a_failed_one_stops_nothing() {
    if !python_ok() {
        return;
    }
    let dir = TempDir::new().unwrap();
    // The default method (ats-gap) with the zero-shot evaluations; the fake
    // trainer divides by zero at n = 0 for `delta` (a command that cannot
    // evaluate without training).
    let p = plan(
        &dir,
        "zs.toml",
        &["alpha", "beta", "gamma", "delta"],
        "zero_shot = true",
    );
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("method = \"ats\"\n", "");
    std::fs::write(&p, text).unwrap();
    let out = slaw().args(["plan", p.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(", 0 x seeds"), "{text}");
    assert!(text.contains("runs at n = 0"), "{text}");
    assert!(text.contains("method ats-gap"), "{text}");
    // A failed run ends `slaw run` with exit status 4 (failures listed).
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .code(4)
        .stdout(predicate::str::contains("delta|n=0|seed=0"));
    // delta, ranked without its zero-shot loss, overlaps the chosen one: a
    // failed contender, `report` exits 4; the pool is ranked by ats-trend,
    // as `slaw select` ranks it when some zero-shot losses are missing.
    let v = report_json_exit(&p, 4);
    let order: Vec<String> = ranking(&v).into_iter().map(|x| x.0).collect();
    assert_eq!(order, ["gamma", "alpha", "beta", "delta"]);
    assert_eq!(
        v["summary"]["choice"]["failed_contenders"][0]["id"], "delta",
        "{}",
        v["summary"]["choice"]
    );
    assert!(
        v["summary"]["notes"][0]
            .as_str()
            .unwrap()
            .contains("the whole pool is ranked by ats-trend"),
        "{}",
        v["summary"]
    );
    for c in v["summary"]["decision"]["candidates"].as_array().unwrap() {
        let has_l0 = c["points"]
            .as_array()
            .unwrap()
            .iter()
            .any(|pt| pt[0].as_f64() == Some(0.0));
        assert_eq!(has_l0, c["id"] != "delta", "{c}");
    }
}

/// The ids of the runs `slaw plan --json` would launch for the plan at `p`.
fn planned_runs(p: &Path) -> Vec<String> {
    let out = slaw()
        .args(["plan", p.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_method_runs_only_the_sizes_it_reads() {
    let dir = TempDir::new().unwrap();
    // Budget 1/8 of 100000: the halving ladder is 12500 down to 98 (8 sizes).
    let with = |name: &str, method: &str, extra: &str| {
        let p = plan(&dir, name, &MODELS, extra);
        let text = std::fs::read_to_string(&p)
            .unwrap()
            .replace("method = \"ats\"", &format!("method = \"{method}\""));
        std::fs::write(&p, text).unwrap();
        p
    };
    for mode in ["adaptive = false", "adaptive = true", "ascending = false"] {
        // sub-tuning reads the largest size only.
        let p = with("sub.toml", "sub-tuning", mode);
        let runs = planned_runs(&p);
        assert_eq!(runs.len(), 3, "{mode}: {runs:?}");
        assert!(runs.iter().all(|r| r.contains("|n=12500|")), "{runs:?}");
        // model-size reads no size; zero-shot the n = 0 evaluation only.
        assert_eq!(
            planned_runs(&with("ms.toml", "model-size", mode)),
            [] as [String; 0]
        );
        let runs = planned_runs(&with(
            "zs.toml",
            "zero-shot",
            &format!("{mode}\nzero_shot = true"),
        ));
        assert_eq!(runs.len(), 3, "{mode}: {runs:?}");
        assert!(runs.iter().all(|r| r.contains("|n=0|")), "{runs:?}");
        // The AtS-based methods read the whole ladder.
        assert_eq!(planned_runs(&with("ats.toml", "ats", mode)).len(), 24);
    }
    let p = with("sub.toml", "sub-tuning", "adaptive = false");
    let out = slaw()
        .args(["plan", p.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ladder"], serde_json::json!([12500.0]));
    assert_eq!(v["not_run"].as_array().unwrap().len(), 7, "{v}");
    let out = slaw().args(["plan", p.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("at most 3 runs"), "{text}");
    assert!(
        text.contains("sub-tuning reads only the size 12500 of the halving ladder"),
        "{text}"
    );
    if !python_ok() {
        return;
    }
    // `slaw run` launches those runs only, and ranks every candidate.
    for (name, method, runs) in [("sub.toml", "sub-tuning", 3), ("ms.toml", "model-size", 0)] {
        let p = with(name, method, "");
        slaw()
            .args(["run", p.to_str().unwrap(), "--quiet"])
            .assert()
            .success();
        let v = report_json(&p);
        assert_eq!(v["summary"]["cost"]["runs"], runs, "{method}");
        assert_eq!(v["summary"]["cost"]["fixed_runs"], runs, "{method}");
        let ranked = v["summary"]["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rank"].is_u64())
            .count();
        assert_eq!(ranked, 3, "{method}: {v}");
    }
}

#[test]
fn plans_check_the_sizes_their_method_needs() {
    let dir = TempDir::new().unwrap();
    let w = |text: &str| {
        let p = dir.path().join("p.toml");
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    // A ladder of two sizes (800, 400).
    let base = "full_size = 51200\nbudget = 800\nmin_size = 400\ncommand = \"train {n}\"\nloss = { kind = \"regex\", pattern = \"loss=([0-9.]+)\" }\n";
    let cand = "[[candidate]]\nid = \"a\"\nparams = 1e8\n";
    for method in ["sub-tuning", "model-size"] {
        slaw()
            .args(["plan", &w(&format!("method = \"{method}\"\n{base}{cand}"))])
            .assert()
            .success();
    }
    slaw()
        .args([
            "plan",
            &w(&format!(
                "method = \"zero-shot\"\nzero_shot = true\n{base}{cand}"
            )),
        ])
        .assert()
        .success();
    for (head, msg) in [
        ("method = \"ats-gap\"\n", "line 4, column 1: min_size: the ladder from 800 down to 400 has 2 sizes; AtS needs at least 4"),
        (
            "method = \"vanilla-fit\"\n",
            "has 2 sizes; vanilla-fit (a law of 4 parameters) needs at least 4",
        ),
        (
            "method = \"rectified-fit\"\nzero_shot = true\n",
            "has 2 sizes; rectified-fit (a law of 4 parameters, one point at n = 0) needs at least 3",
        ),
        (
            "method = \"zero-shot\"\n",
            "method: zero-shot ranks by the loss at n = 0, which the plan measures only with zero_shot = true",
        ),
    ] {
        slaw()
            .args(["plan", &w(&format!("{head}{base}{cand}"))])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(msg));
    }
    // model-size needs every candidate's parameter count.
    slaw()
        .args([
            "plan",
            &w(&format!("method = \"model-size\"\n{base}{cand}[[candidate]]\nid = \"b\"\n")),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "line 11, column 1: params: candidate 'b' has none; model-size ranks by the parameter count",
        ));
}

#[test]
fn the_plan_says_only_what_its_mode_does() {
    let dir = TempDir::new().unwrap();
    let text = |extra: &str| {
        let p = plan(&dir, "mode.toml", &MODELS, extra);
        let t = std::fs::read_to_string(&p)
            .unwrap()
            .replace("method = \"ats\"\n", "");
        std::fs::write(&p, t).unwrap();
        let out = slaw().args(["plan", p.to_str().unwrap()]).output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    // ats-gap, adaptive: ascending by default.
    let t = text("");
    assert!(t.contains("ascending: the smallest sizes first"), "{t}");
    assert!(t.contains("; ascending usually runs fewer"), "{t}");
    assert!(!t.contains("phase transition"), "{t}");
    assert!(!t.contains("halve"), "{t}");
    // Descending: the phase transition, and successive halving when asked.
    let t = text("ascending = false");
    assert!(
        t.contains("smaller sizes after the phase transition are skipped"),
        "{t}"
    );
    assert!(!t.contains("ascending"), "{t}");
    let t = text("ascending = false\ndrop_worse = true");
    assert!(
        t.contains("for the candidates whose risk interval lies above another's"),
        "{t}"
    );
    assert!(!t.contains("ascending"), "{t}");
    // The fixed ladder runs everything: no saving is promised.
    let t = text("adaptive = false");
    assert!(t.contains("fixed ladder"), "{t}");
    assert!(!t.contains("runs fewer"), "{t}");
}

#[test]
fn a_fractional_budget_reads_as_slaw_select_reads_it() {
    let dir = TempDir::new().unwrap();
    let sizes = |budget: &str| {
        let p = plan(&dir, "b.toml", &MODELS, "");
        let t = std::fs::read_to_string(&p)
            .unwrap()
            .replace("budget = \"1/8\"", &format!("budget = {budget}"));
        std::fs::write(&p, t).unwrap();
        slaw()
            .args(["plan", p.to_str().unwrap(), "--json"])
            .output()
            .unwrap()
    };
    let ladder = |budget: &str| {
        let out = sizes(budget);
        assert!(
            out.status.success(),
            "{budget}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["ladder"].clone()
    };
    // 1/8 of the target 100000, written three ways, and as examples.
    let eighth = ladder("\"1/8\"");
    assert_eq!(eighth[0], 12500.0);
    for b in ["0.125", "\"0.125\"", "12500"] {
        assert_eq!(ladder(b), eighth, "{b}");
    }
    // 0.29 x 100000 is 28999.999... in floating point: the top size is
    // 29000 (affordable, as `select` reads it), not 28999.
    assert_eq!(ladder("0.29")[0], 29000.0);
    // A number with a decimal point is a fraction in (0, 1], as `slaw select
    // --budget`; the error names `budget`.
    for b in ["12500.0", "0.0", "1.5"] {
        let out = sizes(b);
        assert_eq!(out.status.code(), Some(2), "{b}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("line 2, column 1: budget: expects 1/R or a fraction in (0, 1]"),
            "{b}: {err}"
        );
        assert!(err.contains("an integer"), "{b}: {err}");
    }
    // An integer is a number of examples: below min_size the error says so.
    let out = sizes("1\nmin_size = 100");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("budget: the budget is 1 examples, below min_size = 100"),
        "{err}"
    );
}

/// A one-candidate fixed-ladder plan (sizes 160, 80, 40, 20) whose command
/// is a shell line (no python): `extra` goes before the candidate, `cand`
/// into it.
fn sh_plan(dir: &TempDir, command: &str, extra: &str, cand: &str) -> PathBuf {
    let p = dir.path().join("sh.toml");
    std::fs::write(
        &p,
        format!(
            "full_size = 1600\nbudget = 160\nmin_size = 20\nadaptive = false\nslots = 2\n\
             command = '{command}'\nloss = {{ kind = \"json\", file = \"metrics.json\" }}\n{extra}\n\
             [[candidate]]\nid = \"a\"\n{cand}\n"
        ),
    )
    .unwrap();
    p
}

/// (state, loss, attempts) of every run of the journal at `path`, by id.
fn journal_runs(path: &Path) -> Vec<(String, String, Option<f64>, u32)> {
    slaw_run::journal::Journal::open(path)
        .unwrap()
        .all()
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.state.as_str().to_string(), r.loss, r.attempts))
        .collect()
}

#[test]
fn an_edited_plan_is_refused_naming_what_changed_until_its_runs_run_again() {
    let dir = TempDir::new().unwrap();
    let write = |loss: &str, model: &str| {
        sh_plan(
            &dir,
            &format!("printf \"{{{{\\\"loss\\\": {loss}}}}}\" > metrics.json"),
            "",
            &format!("model = \"{model}\""),
        )
    };
    let p = write("2.5", "m1");
    let journal = dir.path().join("sh.journal.sqlite");
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .success();
    let losses = |want: f64| {
        let runs = journal_runs(&journal);
        assert_eq!(runs.len(), 4);
        assert!(
            runs.iter().all(|r| r.1 == "done" && r.2 == Some(want)),
            "{runs:?}"
        );
    };
    losses(2.5);
    // The command and the model change: the old results are not this plan's.
    write("3.5", "m2");
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the command was"))
        .stderr(predicate::str::contains("3.5"))
        .stderr(predicate::str::contains(
            "the model of candidate 'a' was \"m1\" and is now \"m2\" (4 runs)",
        ))
        .stderr(predicate::str::contains("--rerun-changed"));
    losses(2.5);
    // probe_rd 9: on stdout with the status, as every command's warnings,
    // and in the JSON's `warnings` (probe_rd 8).
    slaw()
        .args(["status", p.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "warning: runs of the journal were made with other inputs",
        ))
        .stderr(predicate::str::contains("warning:").not());
    let out = slaw()
        .args(["status", p.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("runs of the journal were made with other inputs"),
        "{v}"
    );
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet", "--rerun-changed"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "4 run(s) made with other inputs queued to run again",
        ));
    losses(3.5);
    // Each rerun has its own attempt folder.
    assert!(journal_runs(&journal).iter().all(|r| r.3 == 2));
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .success();
}

#[test]
fn failed_runs_run_again_with_retry_failed_once_their_cause_is_fixed() {
    let dir = TempDir::new().unwrap();
    let ok = dir.path().join("fixed");
    let p = sh_plan(
        &dir,
        &format!(
            "test -f \"{}\" && printf \"{{{{\\\"loss\\\": 2.5}}}}\" > metrics.json",
            ok.display()
        ),
        "",
        "",
    );
    let journal = dir.path().join("sh.journal.sqlite");
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .code(4);
    assert!(journal_runs(&journal).iter().all(|r| r.1 == "failed"));
    std::fs::write(&ok, "").unwrap();
    // Without the flag, a failed run with no retries left stays failed.
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .code(4);
    assert!(journal_runs(&journal)
        .iter()
        .all(|r| r.1 == "failed" && r.3 == 1));
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet", "--retry-failed"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "4 failed run(s) given their attempts back",
        ));
    let runs = journal_runs(&journal);
    assert!(
        runs.iter()
            .all(|r| r.1 == "done" && r.2 == Some(2.5) && r.3 == 2),
        "{runs:?}"
    );
}

#[test]
fn a_workdir_that_cannot_be_made_fails_before_any_run() {
    let dir = TempDir::new().unwrap();
    let p = sh_plan(
        &dir,
        "printf \"{{\\\"loss\\\": 2.5}}\" > metrics.json",
        "workdir = \"/proc/nope\"",
        "",
    );
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("workdir /proc/nope"));
    let journal = dir.path().join("sh.journal.sqlite");
    assert!(journal_runs(&journal).is_empty(), "no run used an attempt");
}

#[test]
fn slaw_run_into_a_closed_pipe_ends_quietly_after_its_runs() {
    use std::os::unix::process::ExitStatusExt;
    let dir = TempDir::new().unwrap();
    let p = sh_plan(
        &dir,
        "printf \"{{\\\"loss\\\": 2.5}}\" > metrics.json",
        "",
        "",
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("slaw"))
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader has gone (`| head -0`)
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{stderr}");
    let runs = journal_runs(&dir.path().join("sh.journal.sqlite"));
    assert!(
        runs.len() == 4 && runs.iter().all(|r| r.1 == "done"),
        "{runs:?}"
    );
}

#[test]
fn ctrl_c_is_not_held_up_by_a_journal_another_process_has_locked() {
    use std::io::Write;
    use std::os::unix::process::ExitStatusExt;
    if !python_ok() {
        return;
    }
    let dir = TempDir::new().unwrap();
    let p = sh_plan(
        &dir,
        "printf \"{{\\\"loss\\\": 2.5}}\" > metrics.json",
        "",
        "",
    );
    let journal = dir.path().join("sh.journal.sqlite");
    drop(slaw_run::journal::Journal::open(&journal).unwrap());
    // Another process holds the journal's write lock until its stdin closes.
    let held = dir.path().join("held");
    let mut locker = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN EXCLUSIVE')\n\
             open(sys.argv[2], 'w').close()\n\
             sys.stdin.read()\n",
            journal.to_str().unwrap(),
            held.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let guard = std::time::Instant::now();
    while !held.exists() {
        assert!(guard.elapsed() < GUARD, "the lock was never taken");
        std::thread::sleep(Duration::from_millis(10));
    }
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("slaw"))
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once slaw has the journal open (its interrupt handler is installed
    // before), it is waiting on the lock.
    let pid = child.id();
    let has_journal_open = || {
        std::fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|fds| {
            fds.flatten()
                .any(|f| std::fs::read_link(f.path()).is_ok_and(|l| l == journal))
        })
    };
    while !has_journal_open() {
        assert!(guard.elapsed() < GUARD, "slaw never opened the journal");
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: signals a child of this test.
    unsafe {
        libc::kill(pid as i32, libc::SIGINT);
    }
    // The lock is still held: slaw must end without it.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !held.exists() || locker.try_wait().unwrap().is_none(),
        "lock released early"
    );
    assert_eq!(
        out.status.code(),
        Some(130),
        "{stderr} {:?}",
        out.status.signal()
    );
    assert!(stderr.contains("interrupted"), "{stderr}");
    locker.stdin.take().unwrap().write_all(b"").unwrap();
    locker.wait().unwrap();
    // Nothing was lost: the next run does the plan.
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .success();
}

#[test]
fn the_readme_example_plan_loads() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let at = readme
        .find("A plan (TOML; paths relative to the plan file):")
        .unwrap();
    let block = &readme[at..];
    let start = block.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + block[start..].find("```").unwrap();
    let dir = TempDir::new().unwrap();
    let p = dir.path().join("readme.toml");
    std::fs::write(&p, &block[start..end]).unwrap();
    slaw()
        .args(["plan", p.to_str().unwrap()])
        .assert()
        .success();
}

#[test]
fn plan_errors_name_the_line_the_user_wrote() {
    let dir = TempDir::new().unwrap();
    let w = |text: &str| {
        let p = dir.path().join("b.toml");
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let base = "full_size = 1000\ncommand = \"train {n}\"\nloss = { kind = \"regex\", pattern = \"loss=([0-9.]+)\" }\n";
    for (text, msg) in [
        // The second candidate's params, not the first's.
        (
            format!("budget = \"1/2\"\n{base}[[candidate]]\nid = \"a\"\nparams = 1e9\n[[candidate]]\nid = \"b\"\nparams = -5\n"),
            "line 10, column 1: params: candidate 2 ('b'): must be a number > 0, got -5",
        ),
        // No min_size written: the budget is blamed, numbers without float noise.
        (
            format!("budget = 2\nmethod = \"ats-trend\"\n{base}[[candidate]]\nid = \"a\"\n"),
            "line 1, column 1: budget: the ladder from 2 down to 0.015625 has 2 sizes;",
        ),
        (
            format!("budget = \"1/2\"\nlevel = 0.999\n{base}[[candidate]]\nid = \"a\"\n"),
            "line 2, column 1: level: at most 0.99",
        ),
    ] {
        slaw()
            .args(["plan", &w(&text)])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(msg));
    }
    slaw()
        .args(["plan", "-"])
        .write_stdin("full_size = 1\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: -: a plan cannot be read from standard input",
        ))
        // Probe nc 18: no meaningless "line 0, column 0".
        .stderr(predicate::str::contains("line 0").not());
}

#[test]
fn status_counts_only_the_plans_ladder_and_candidates() {
    let dir = TempDir::new().unwrap();
    let p = dir.path().join("lc.toml");
    let write = |budget: u32, cands: &[&str]| {
        let mut t = format!(
            "full_size = 1600\nbudget = {budget}\nmin_size = 10\nadaptive = false\nslots = 2\n\
             command = 'test {{id}} = a && printf \"{{{{\\\"loss\\\": 2.5}}}}\" > metrics.json'\n\
             loss = {{ kind = \"json\", file = \"metrics.json\" }}\n"
        );
        for c in cands {
            t += &format!("[[candidate]]\nid = \"{c}\"\n");
        }
        std::fs::write(&p, t).unwrap();
    };
    write(160, &["a", "b"]);
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .code(4);
    // b removed, the ladder cut to 80 ... 10: b's failures and the n = 160
    // run are not this plan's.
    write(80, &["a"]);
    let out = slaw()
        .args(["status", p.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("4 runs finished"))
        .stdout(predicate::str::contains("the fixed ladder is 4 runs"))
        .stdout(predicate::str::contains("(0.0% saved)"))
        .stdout(predicate::str::contains("failures").not())
        .get_output()
        .stdout
        .clone();
    // b's runs and a's n = 160 run are named once, in the warning that
    // says they are not this plan's (ux64), and nowhere else.
    let out = String::from_utf8(out).unwrap();
    let (warned, rest): (Vec<&str>, Vec<&str>) =
        out.lines().partition(|l| l.starts_with("warning: "));
    assert!(
        warned.len() == 1
            && warned[0].contains("runs of the journal are no run of the plan")
            && warned[0].contains("a|n=160|seed=0")
            && warned[0].contains("b|n="),
        "{out}"
    );
    assert!(!rest.iter().any(|l| l.contains("b|n=")), "{out}");
}

#[test]
fn the_plan_notes_a_model_under_two_ids() {
    let dir = TempDir::new().unwrap();
    let p = sh_plan(
        &dir,
        "printf \"{{\\\"loss\\\": 2.5}}\" > metrics.json",
        "",
        "model = \"m\"\n[[candidate]]\nid = \"again\"\nmodel = \"m\"",
    );
    slaw()
        .args(["plan", p.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "note: candidates 'a' and 'again' have the same model 'm'",
        ));
}

#[test]
fn bench_runner_blames_an_unknown_method_on_its_flag() {
    slaw()
        .args([
            "bench",
            "runner",
            "--data",
            "/nonexistent",
            "--method",
            "foo",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--method"))
        .stderr(predicate::str::contains("foo"))
        .stderr(predicate::str::contains("replay.toml").not());
}

#[test]
fn long_ids_keep_the_status_table_in_columns() {
    let dir = TempDir::new().unwrap();
    let long = "a-candidate-id-of-forty-characters-long!";
    let p = sh_plan(
        &dir,
        "printf \"{{\\\"loss\\\": 2.5}}\" > metrics.json",
        "",
        &format!("[[candidate]]\nid = \"{}\"", long.replace('!', "x")),
    );
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .success();
    let out = slaw()
        .args(["status", p.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let head = text.lines().find(|l| l.starts_with("candidate")).unwrap();
    let at = head.find("  status").unwrap();
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("ladder complete"))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    for r in rows {
        assert_eq!(r.find("  ladder complete"), Some(at), "{text}");
    }
}

/// Probe nc 9: `slaw plan --json` is the struct the text prints: method,
/// target, budget, per-candidate cost and share, the total and its share of
/// fine-tuning every candidate on the target, the same figures as the text.
/// Probe nc 10: `-v` is `slaw plan`'s only.
#[test]
fn plan_json_has_what_the_text_prints() {
    let dir = TempDir::new().unwrap();
    let p = plan(&dir, "p.toml", &MODELS, "");
    let out = slaw()
        .args(["plan", p.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["method"], "ats");
    assert_eq!(v["target"], 100000.0);
    assert_eq!(v["budget"], 12500.0);
    let runs = v["runs"].as_array().unwrap();
    let total: f64 = runs.iter().map(|r| r["cost"].as_f64().unwrap()).sum();
    let json_total = v["total_cost"].as_f64().unwrap();
    assert!((total - json_total).abs() <= 1e-9 * total, "{v}");
    let cands = v["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 3);
    let shares: f64 = cands
        .iter()
        .map(|c| c["share_of_plan"].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-9, "{v}");
    let share = v["share_of_full"].as_f64().unwrap();
    assert!(share > 0.0 && share < 1.0, "{v}");
    let text = slaw().args(["plan", p.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!(
            "cost {} {} = {:.2}% of fine-tuning",
            slaw::numbers::num(json_total),
            v["cost_unit"].as_str().unwrap(),
            100.0 * share
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "(cost: in {}; share: of the plan's total cost)",
            v["cost_unit"].as_str().unwrap()
        )),
        "{text}"
    );
    for cmd in ["run", "status", "report"] {
        let help = slaw().args([cmd, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&help.stdout);
        assert!(!help.contains("--verbose"), "{cmd}: {help}");
    }
    let help = slaw().args(["plan", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--verbose"));
}
