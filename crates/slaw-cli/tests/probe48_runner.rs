//! probe48: leftovers of probe47's runner findings (its item 7c, 7d): runs
//! given back at Ctrl-C listed as failures, and a plan refused for a
//! trailing space in its command.

mod common;

use common::slaw;
use predicates::prelude::*;
use std::path::PathBuf;
use tempfile::TempDir;

/// A one-candidate fixed-ladder plan (sizes 160, 80, 40, 20) whose command
/// is the shell line `command`.
fn plan(dir: &TempDir, command: &str) -> PathBuf {
    let p = dir.path().join("sh.toml");
    std::fs::write(
        &p,
        format!(
            "full_size = 1600\nbudget = 160\nmin_size = 20\nadaptive = false\nslots = 1\n\
             command = '{command}'\nloss = {{ kind = \"json\", file = \"metrics.json\" }}\n\
             [[candidate]]\nid = \"a\"\n"
        ),
    )
    .unwrap();
    p
}

/// probe47 7c: a run given back when its slaw stopped (Ctrl-C: the
/// journal's `release`) is listed by `slaw status` as interrupted, to run
/// again, not among the failures ("[interrupted after 0 attempt(s)]").
#[test]
fn an_interrupted_run_is_listed_as_interrupted_not_as_a_failure() {
    let dir = TempDir::new().unwrap();
    let p = plan(&dir, "printf \"{{\\\"loss\\\": 2.5}}\" > metrics.json");
    let journal = dir.path().join("sh.journal.sqlite");
    {
        let mut j = slaw_run::journal::Journal::open(&journal).unwrap();
        assert_eq!(
            j.claim("a|n=160|seed=0", "a", 160, 0, 1, None).unwrap(),
            slaw_run::journal::Claim::Claimed
        );
        j.release("a|n=160|seed=0", "interrupted (Ctrl-C)").unwrap();
    }
    slaw()
        .args(["status", p.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "interrupted (stopped before they finished",
        ))
        .stdout(predicate::str::contains(
            "  a|n=160|seed=0: interrupted (Ctrl-C)",
        ))
        .stdout(predicate::str::contains("failures").not())
        .stdout(predicate::str::contains("after 0 attempt(s)").not());
    // The next run runs it (and the rest of the ladder).
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .success();
    slaw()
        .args(["status", p.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("interrupted (").not());
}

/// probe47 7d: blanks added to the command (a trailing space, two spaces
/// for one) change none of its shell words: the plan resumes without a
/// refusal and nothing runs again; a changed word is still refused.
#[test]
fn blanks_in_the_command_are_no_change_a_changed_word_is() {
    let dir = TempDir::new().unwrap();
    let cmd = "printf \"{{\\\"loss\\\": 2.5}}\" > metrics.json";
    let p = plan(&dir, cmd);
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .success();
    let spaced = format!(
        "{}  >  metrics.json ",
        cmd.trim_end_matches(" > metrics.json")
    );
    assert_ne!(spaced, cmd);
    let p = plan(&dir, &spaced);
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .success();
    slaw()
        .args(["status", p.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("other inputs").not());
    let runs = slaw_run::journal::Journal::open(&dir.path().join("sh.journal.sqlite"))
        .unwrap()
        .all()
        .unwrap();
    assert_eq!(runs.len(), 4);
    assert!(runs.iter().all(|r| r.attempts == 1), "rerun: {runs:?}");
    // Another word: refused as before.
    let p = plan(&dir, &cmd.replace("2.5", "3.5"));
    slaw()
        .args(["run", p.to_str().unwrap(), "--quiet"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the command was"));
}
