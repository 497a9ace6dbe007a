//! The run loop with real local processes on small plans: orphans a killed
//! slaw left, runs held by owners that never report, `{attempt}` in loss
//! files, truncated journals.

use rusqlite::params;
use slaw_run::backend::local::{Local, EXIT_FILE};
use slaw_run::backend::{Backend, Launch, Orphan, Poll};
use slaw_run::journal::{Claim, Journal, State};
use slaw_run::plan::RunSpec;
use slaw_run::{runner, Plan};
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tempfile::TempDir;

/// A plan of one candidate `a` on sizes 160, 80, 40, 20 (fixed ladder) in
/// `dir`; `extra` goes before the candidate.
fn plan(dir: &TempDir, command: &str, loss_file: &str, extra: &str) -> Plan {
    let text = format!(
        "full_size = 1600\nbudget = 160\nmin_size = 20\nadaptive = false\nslots = 2\n\
         command = '{command}'\nloss = {{ kind = \"json\", file = \"{loss_file}\" }}\n{extra}\n\
         [[candidate]]\nid = \"a\"\n"
    );
    let p = dir.path().join("plan.toml");
    std::fs::write(&p, &text).unwrap();
    Plan::load(&p).unwrap()
}

/// Writes {"loss": 9.0} (a re-run is told from an adopted result by it).
const WRITE_9: &str = "printf \"{{\\\"loss\\\": 9.0}}\" > metrics.json";

/// Run `plan` to the end on another thread; fails after a generous guard
/// (only reached if the loop hangs).
fn run_guarded(plan: &Plan) -> slaw_run::Result<runner::Summary> {
    let plan = plan.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let stop = AtomicBool::new(false);
        let r = runner::run(&plan, &mut Local::default(), &stop, &mut |_, _| {});
        let _ = tx.send(r);
    });
    rx.recv_timeout(Duration::from_secs(300))
        .expect("slaw run did not end within 300 s")
}

fn spec(n: u64) -> RunSpec {
    RunSpec {
        candidate: 0,
        n,
        seed: 0,
    }
}

/// Claim run n=160 as if another process `owner` held it (handle `pid`).
fn left_running(plan: &Plan, owner: &str, handle: Option<u32>, started_ago: f64) {
    let mut j = Journal::open(&plan.journal).unwrap();
    let id = plan.run_id(&spec(160));
    assert_eq!(
        j.claim(&id, "a", 160, 0, plan.retries + 1, Some("0"))
            .unwrap(),
        Claim::Claimed
    );
    let c = rusqlite::Connection::open(&plan.journal).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    c.execute(
        "UPDATE runs SET owner = ?1, handle = ?2, started = ?3 WHERE id = ?4",
        params![owner, handle.map(|h| h.to_string()), now - started_ago, id],
    )
    .unwrap();
}

/// A pid that no longer exists (a child that exited and was reaped).
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

fn claims_of(plan: &Plan, id: &str) -> u32 {
    Journal::open(&plan.journal)
        .unwrap()
        .claims()
        .unwrap()
        .into_iter()
        .find(|c| c.0 == id)
        .map(|c| c.1)
        .unwrap_or(0)
}

#[test]
fn a_trainer_that_finished_while_slaw_was_dead_is_adopted_not_run_again() {
    let dir = TempDir::new().unwrap();
    let p = plan(&dir, WRITE_9, "metrics.json", "");
    let host = slaw_run::journal::hostname();
    left_running(&p, &format!("{host}:{}", dead_pid()), Some(dead_pid()), 5.0);
    // Its trainer wrote its result and exited 0 (the status its wrapper
    // writes), then slaw was found dead.
    let out = p.attempt_dir(&spec(160), 1);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("metrics.json"), r#"{"loss": 1.5}"#).unwrap();
    std::fs::write(out.join(EXIT_FILE), "0\n").unwrap();
    let s = run_guarded(&p).unwrap();
    assert_eq!(s.launched, 3, "the three other sizes only");
    let id = p.run_id(&spec(160));
    let r = Journal::open(&p.journal)
        .unwrap()
        .get(&id)
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.state, r.loss, r.exit_status),
        (State::Done, Some(1.5), Some(0))
    );
    assert_eq!(claims_of(&p, &id), 1, "never claimed again");
    let events = Journal::open(&p.journal).unwrap().events().unwrap();
    assert!(events.iter().any(|e| e.0 == id && e.1.contains("adopted")));
}

#[test]
fn an_orphan_whose_exit_status_is_unknown_runs_again_even_with_a_loss_on_disk() {
    // A crashed trainer may leave a complete-looking intermediate loss: with
    // no exit status recorded, the result is not taken.
    let dir = TempDir::new().unwrap();
    let p = plan(&dir, WRITE_9, "metrics.json", "");
    let host = slaw_run::journal::hostname();
    left_running(&p, &format!("{host}:{}", dead_pid()), Some(dead_pid()), 5.0);
    let out = p.attempt_dir(&spec(160), 1);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("metrics.json"), r#"{"loss": 1.5}"#).unwrap();
    let s = run_guarded(&p).unwrap();
    assert_eq!(s.launched, 4, "run again");
    let id = p.run_id(&spec(160));
    let r = Journal::open(&p.journal)
        .unwrap()
        .get(&id)
        .unwrap()
        .unwrap();
    assert_eq!((r.state, r.loss, r.attempts), (State::Done, Some(9.0), 1));
    assert_eq!(claims_of(&p, &id), 2);
}

#[test]
fn a_trainer_that_crashed_while_slaw_was_dead_is_failed_not_adopted() {
    // The trainer writes an intermediate loss, then exits 1 (an OOM), all
    // while its slaw is dead: recorded as the failure it is, with its exit
    // status, as a live slaw would have.
    let dir = TempDir::new().unwrap();
    let p = plan(&dir, WRITE_9, "metrics.json", "retries = 0");
    let out = p.attempt_dir(&spec(160), 1);
    let id = p.run_id(&spec(160));
    let mut backend = Local::default();
    let handle = backend
        .launch(&Launch {
            id: id.clone(),
            command: "printf '{\"loss\": 9.99}' > metrics.json; echo 'CUDA OOM' >&2; exit 1".into(),
            env: vec![("SLAW_RUN_ID".into(), id.clone())],
            out_dir: out.clone(),
            stdout: out.join("stdout.log"),
            stderr: out.join("stderr.log"),
        })
        .unwrap();
    // Wait for it to end (the backend reaps it).
    let guard = std::time::Instant::now();
    while backend.poll(&handle).unwrap() == Poll::Running {
        assert!(guard.elapsed() < Duration::from_secs(120), "never ended");
        std::thread::sleep(Duration::from_millis(10));
    }
    let host = slaw_run::journal::hostname();
    left_running(
        &p,
        &format!("{host}:{}", dead_pid()),
        Some(handle.parse().unwrap()),
        5.0,
    );
    let s = run_guarded(&p).unwrap();
    assert_eq!(
        s.launched, 3,
        "the three other sizes only (no retries left)"
    );
    let r = Journal::open(&p.journal)
        .unwrap()
        .get(&id)
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.state, r.loss, r.exit_status),
        (State::Failed, None, Some(1)),
        "{r:?}"
    );
    assert!(
        r.reason
            .as_deref()
            .unwrap()
            .contains("non-zero exit status 1"),
        "{r:?}"
    );
    assert!(r.log_path.as_deref().unwrap().ends_with("stderr.log"));
}

#[test]
fn the_wrapper_reports_exit_codes_and_signals_as_the_command_ended() {
    let dir = TempDir::new().unwrap();
    let mut backend = Local::default();
    for (k, (command, want)) in [
        (
            "exit 3",
            Poll::Exited {
                code: Some(3),
                signal: None,
            },
        ),
        (
            "kill -9 $$",
            Poll::Exited {
                code: None,
                signal: Some(9),
            },
        ),
        (
            "true",
            Poll::Exited {
                code: Some(0),
                signal: None,
            },
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let out = dir.path().join(k.to_string());
        let h = backend
            .launch(&Launch {
                id: format!("r{k}"),
                command: command.into(),
                env: vec![],
                out_dir: out.clone(),
                stdout: out.join("stdout.log"),
                stderr: out.join("stderr.log"),
            })
            .unwrap();
        let guard = std::time::Instant::now();
        let got = loop {
            match backend.poll(&h).unwrap() {
                Poll::Running => {
                    assert!(guard.elapsed() < Duration::from_secs(120), "never ended");
                    std::thread::sleep(Duration::from_millis(10));
                }
                p => break p,
            }
        };
        assert_eq!(got, want, "{command}");
        let recorded = slaw_run::backend::local::exit_status(Some(&out));
        let Poll::Exited { code, signal } = want else {
            unreachable!()
        };
        assert_eq!(recorded, Orphan::Ended { code, signal }, "{command}");
    }
}

#[test]
fn an_orphan_without_complete_output_runs_again() {
    let dir = TempDir::new().unwrap();
    let p = plan(&dir, WRITE_9, "metrics.json", "");
    let host = slaw_run::journal::hostname();
    left_running(&p, &format!("{host}:{}", dead_pid()), Some(dead_pid()), 5.0);
    let out = p.attempt_dir(&spec(160), 1);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("metrics.json"), r#"{"loss": "#).unwrap(); // cut short
    let s = run_guarded(&p).unwrap();
    assert_eq!(s.launched, 4);
    let id = p.run_id(&spec(160));
    let r = Journal::open(&p.journal)
        .unwrap()
        .get(&id)
        .unwrap()
        .unwrap();
    assert_eq!((r.state, r.loss, r.attempts), (State::Done, Some(9.0), 1));
    assert_eq!(claims_of(&p, &id), 2);
}

#[test]
fn output_older_than_the_orphans_claim_is_not_adopted() {
    // A complete metrics.json left by an earlier attempt that was given
    // back (its file predates this claim): run again, never adopted.
    let dir = TempDir::new().unwrap();
    let p = plan(&dir, WRITE_9, "metrics.json", "");
    let out = p.attempt_dir(&spec(160), 1);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("metrics.json"), r#"{"loss": 1.5}"#).unwrap();
    let host = slaw_run::journal::hostname();
    // Claimed 100 s from now: the file is older than the claim.
    left_running(
        &p,
        &format!("{host}:{}", dead_pid()),
        Some(dead_pid()),
        -100.0,
    );
    run_guarded(&p).unwrap();
    let id = p.run_id(&spec(160));
    let r = Journal::open(&p.journal)
        .unwrap()
        .get(&id)
        .unwrap()
        .unwrap();
    assert_eq!((r.state, r.loss), (State::Done, Some(9.0)));
    assert_eq!(claims_of(&p, &id), 2);
}

#[test]
fn a_reused_pid_is_not_taken_for_the_owner() {
    // pid 1 exists, but it did not start at that time: the owner is dead.
    let dir = TempDir::new().unwrap();
    let p = plan(&dir, WRITE_9, "metrics.json", "");
    let host = slaw_run::journal::hostname();
    left_running(&p, &format!("{host}:1:987654321987"), None, 5.0);
    run_guarded(&p).unwrap();
    let r = Journal::open(&p.journal)
        .unwrap()
        .get(&p.run_id(&spec(160)))
        .unwrap()
        .unwrap();
    assert_eq!((r.state, r.loss), (State::Done, Some(9.0)));
}

#[test]
fn a_run_whose_live_looking_owner_never_reports_is_taken_over_after_the_timeout() {
    // Another host's slaw (alive as far as anyone here can tell) claimed it
    // long ago and never reported: past timeout + grace it is failed as a
    // timeout, and the retry runs it here.
    let dir = TempDir::new().unwrap();
    let p = plan(&dir, WRITE_9, "metrics.json", "timeout = 30\nretries = 1");
    left_running(&p, "another-host:4242:1", Some(4242), 10_000.0);
    let s = run_guarded(&p).unwrap();
    assert!(s.decision.finished);
    let id = p.run_id(&spec(160));
    let j = Journal::open(&p.journal).unwrap();
    let r = j.get(&id).unwrap().unwrap();
    assert_eq!((r.state, r.loss, r.attempts), (State::Done, Some(9.0), 2));
    let events = j.events().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.0 == id && e.1.contains("taken over") && e.1.contains("another-host")),
        "{events:?}"
    );
}

#[test]
fn attempt_in_a_loss_file_name_is_the_attempt_number() {
    let dir = TempDir::new().unwrap();
    let p = plan(
        &dir,
        "printf \"{{\\\"loss\\\": 2.5}}\" > metrics-{attempt}.json",
        "metrics-{attempt}.json",
        "",
    );
    let s = run_guarded(&p).unwrap();
    assert_eq!(s.launched, 4);
    for r in Journal::open(&p.journal).unwrap().all().unwrap() {
        assert_eq!((r.state, r.loss), (State::Done, Some(2.5)), "{r:?}");
    }
}

#[test]
fn an_emptied_journal_is_an_error_not_a_fresh_start() {
    let dir = TempDir::new().unwrap();
    let p = plan(&dir, WRITE_9, "metrics.json", "");
    std::fs::write(&p.journal, "").unwrap();
    let e = run_guarded(&p).unwrap_err().to_string();
    assert!(e.contains("empty (0 bytes)"), "{e}");
    assert!(!p.workdir.exists(), "nothing ran");
    assert_eq!(
        std::fs::metadata(&p.journal).unwrap().len(),
        0,
        "left as it was"
    );
}

/// Five candidates on a known curve each, E + A n^-alpha with a small
/// alternating wiggle; `{model}` carries "E:A:alpha". The worst come first:
/// a scheduler that ran candidates one after another would finish their
/// ladders before any comparison could drop them.
const CURVES: [(&str, f64, f64, f64); 5] = [
    ("worst", 3.20, 24.0, 0.22),
    ("bad", 2.60, 20.0, 0.25),
    ("mid", 1.80, 14.0, 0.28),
    ("close", 1.52, 12.5, 0.30),
    ("best", 1.50, 12.0, 0.30),
];

fn curve_loss(c: (&str, f64, f64, f64), n: u64) -> f64 {
    let wiggle = if (n / 200).trailing_zeros().is_multiple_of(2) {
        0.0
    } else {
        0.01
    };
    let v = c.1 + c.2 * (n as f64).powf(-c.3) + wiggle;
    format!("{v:.6}").parse().unwrap()
}

/// A successive-halving plan over [`CURVES`] on `slots` slots; each run
/// sleeps a random while, so runs finish in a different order every time.
fn halving_plan(dir: &TempDir, slots: usize) -> Plan {
    let prog = dir.path().join("curve.awk");
    std::fs::write(
        &prog,
        "BEGIN { split(m, p, \":\"); k = n / 200; w = 0; while (k > 1) { k = k / 2; w = 1 - w }; \
         printf \"{\\\"loss\\\": %.6f}\", p[1] + p[2] * n ^ (-p[3]) + 0.01 * w }\n",
    )
    .unwrap();
    let mut text = format!(
        "full_size = 102400\nbudget = \"1/8\"\nmin_size = 200\nslots = {slots}\nbootstrap = 50\n\
         command = '''sleep 0.0$(( $(od -An -N1 -tu1 /dev/urandom) % 6 )); \
         awk -v n={{n}} -v m={{model}} -f \"{}\" > metrics.json'''\n\
         loss = {{ kind = \"json\", file = \"metrics.json\" }}\n",
        prog.display()
    );
    for c in CURVES {
        text += &format!(
            "[[candidate]]\nid = \"{}\"\nmodel = \"{}:{}:{}\"\n",
            c.0, c.1, c.2, c.3
        );
    }
    let p = dir.path().join(format!("h{slots}.toml"));
    std::fs::write(&p, &text).unwrap();
    Plan::load(&p).unwrap()
}

#[test]
fn halving_runs_and_ranks_the_same_whatever_the_slots_and_the_timing_and_as_replayed() {
    let dir = TempDir::new().unwrap();
    let mut outcomes = Vec::new();
    for slots in [1, 3, 5] {
        let p = halving_plan(&dir, slots);
        assert!(p.adaptive && p.drop_worse && p.ascending);
        let s = run_guarded(&p).unwrap();
        let mut runs: Vec<(String, Option<f64>)> = Journal::open(&p.journal)
            .unwrap()
            .all()
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.loss))
            .collect();
        runs.sort_by(|a, b| a.0.cmp(&b.0));
        let ranking: Vec<String> = s.ranking.iter().map(|r| r.id.clone()).collect();
        outcomes.push((slots, runs, ranking, p));
    }
    for o in &outcomes[1..] {
        assert_eq!(o.1, outcomes[0].1, "runs with {} slots vs 1", o.0);
        assert_eq!(o.2, outcomes[0].2, "ranking with {} slots vs 1", o.0);
    }
    // The replay (one rung at a time) runs exactly these runs.
    let p = &outcomes[0].3;
    let r = slaw_run::replay::replay(p, &|s| Some(curve_loss(CURVES[s.candidate], s.n))).unwrap();
    let mut replayed: Vec<String> = r
        .decision
        .candidates
        .iter()
        .zip(&p.candidates)
        .flat_map(|(st, _)| {
            st.points
                .iter()
                .map(move |pt| format!("{}|n={}|seed=0", st.id, pt.0))
        })
        .collect();
    replayed.sort();
    let real: Vec<String> = outcomes[0].1.iter().map(|r| r.0.clone()).collect();
    assert_eq!(real, replayed);
    assert!(
        real.len() < 5 * p.ladder.len(),
        "some candidate was dropped ({} of {} runs)",
        real.len(),
        5 * p.ladder.len()
    );
    let ranked: Vec<String> = r.ranking.iter().map(|c| c.id.clone()).collect();
    assert_eq!(outcomes[0].2, ranked);
}
