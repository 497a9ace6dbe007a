//! Probe 68's findings (a new user's plans and fits): a plan given a seed
//! more after its runs finished still counts those runs (status's `done`)
//! and does not call its candidates "not run yet". Every input is built here.

mod common;

use common::{json_of, run, slaw};
use tempfile::TempDir;

/// A two-candidate plan (sizes 100..800, ascending) whose command prints a
/// loss of L = E + 30 n^-0.3 with the candidate's E; `seeds` its seeds line.
fn seed_plan(dir: &TempDir, seeds: &str) -> String {
    let text = format!(
        "full_size = 6400\nbudget = \"1/8\"\nmin_size = 100\nslots = 1\n{seeds}\n\
         command = \"awk -v e={{model}} -v n={{n}} 'BEGIN {{{{ print \\\"eval_loss=\\\" (e + 30 * n ^ -0.3) }}}}'\"\n\
         loss = {{ kind = \"regex\", pattern = \"eval_loss=([0-9.eE+-]+)\" }}\n\
         [[candidate]]\nid = \"low\"\nmodel = \"2.0\"\nparams = 1e9\n\
         [[candidate]]\nid = \"high\"\nmodel = \"2.5\"\nparams = 1e9\n"
    );
    let p = dir.path().join("plan.toml");
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn a_seed_added_to_a_finished_plan_keeps_its_runs_counted() {
    let dir = TempDir::new().unwrap();
    let plan = seed_plan(&dir, "seeds = [0]");
    let (code, out, err) = run(dir.path(), &["run", &plan]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("8 runs finished"), "{out}");
    // The plan now wants a second seed of every run: the 4 runs of each
    // candidate are in the journal, their sizes wait for seed 1.
    seed_plan(&dir, "seeds = [0, 1]");
    let status = slaw()
        .current_dir(dir.path())
        .args(["status", &plan, "--json"])
        .output()
        .unwrap();
    let v = json_of(&status);
    for c in v["summary"]["decision"]["candidates"].as_array().unwrap() {
        // Before: 1 (the walk of the ladder stopped at the first size
        // waiting for seed 1), while the summary said "8 runs finished".
        assert_eq!(c["done"], 4, "{c}");
    }
    let (code, out, err) = run(dir.path(), &["report", &plan]);
    assert_eq!(code, 0, "{out}\n{err}");
    // Not "not run yet: no fine-tuning run of it has finished".
    assert!(
        !out.contains("no fine-tuning run of it has finished"),
        "{out}"
    );
    assert!(
        out.contains("not ranked yet: 4 of its fine-tuning runs finished, but no size has every seed of the plan yet"),
        "{out}"
    );
    let rep = slaw()
        .current_dir(dir.path())
        .args(["report", &plan, "--json"])
        .output()
        .unwrap();
    let v = json_of(&rep);
    let text = v.to_string();
    assert!(text.contains("\"runs_done_awaiting_seeds\":4"), "{text}");
    // Once the second seed has run, the candidates rank as before.
    let (code, out, err) = run(dir.path(), &["run", &plan]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("16 runs finished"), "{out}");
    assert!(!out.contains("not ranked yet"), "{out}");
    assert!(!out.contains("runs_done_awaiting_seeds"), "{out}");
}
