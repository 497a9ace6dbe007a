//! Probe 63's findings: a journal row the runner cannot read is an error
//! naming the run and the column (an unknown state made `slaw run` wait for
//! it forever), `allocate`'s messages about a run name the file and its line
//! on every path, and `methods`' far-outside warning reads in decades.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

fn examples(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

/// A finished plan of two candidates whose command prints a loss of a
/// known curve (no trainer, no Python): its journal, every run done.
fn finished_plan(dir: &TempDir) -> PathBuf {
    let mut s = String::from(
        "full_size = 102400\nbudget = \"1/8\"\nmin_size = 200\nmethod = \"ats\"\nslots = 2\n\
         command = \"awk -v n={n} -v m={model} 'BEGIN {{ print \\\"eval_loss=\\\" (m == \\\"a\\\" ? 2 : 2.2) + 30 / (n + 100) ^ 0.5 }}'\"\n\
         loss = { kind = \"regex\", pattern = \"eval_loss=([0-9.eE+-]+)\" }\n\n",
    );
    for m in ["a", "b"] {
        s += &format!("[[candidate]]\nid = \"{m}\"\nparams = 1e8\n\n");
    }
    let plan = dir.path().join("plan.toml");
    std::fs::write(&plan, s).unwrap();
    let out = slaw()
        .args(["run", plan.to_str().unwrap()])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    plan
}

/// `sql` run on the plan's journal.
fn edit_journal(plan: &Path, sql: &str) {
    let c = rusqlite::Connection::open(plan.with_extension("journal.sqlite")).unwrap();
    assert_eq!(c.execute(sql, []).unwrap(), 1, "{sql}");
}

/// stderr of `slaw CMD plan`, which must exit 2 (within a minute: `run` on
/// an unknown state used to wait forever).
fn refused(cmd: &str, plan: &Path) -> String {
    let out = slaw()
        .args([cmd, plan.to_str().unwrap()])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{cmd}: {err}");
    err
}

#[test]
fn a_journal_row_with_an_unknown_state_is_an_error_naming_the_run_not_a_wait_forever() {
    let dir = TempDir::new().unwrap();
    let plan = finished_plan(&dir);
    edit_journal(
        &plan,
        "UPDATE runs SET state = 'bogus' WHERE id = 'b|n=1600|seed=0'",
    );
    for cmd in ["status", "report", "run"] {
        let err = refused(cmd, &plan);
        assert!(
            err.contains("plan.journal.sqlite")
                && err.contains(
                    "run 'b|n=1600|seed=0', column 'state': the text 'bogus' is not a state"
                ),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn a_finished_run_without_a_positive_loss_or_with_a_negative_size_is_an_error() {
    for (sql, column, what) in [
        (
            "UPDATE runs SET loss = -1.0 WHERE id = 'a|n=1600|seed=0'",
            "loss",
            "-1 is not the loss of a finished run",
        ),
        (
            "UPDATE runs SET loss = NULL WHERE id = 'a|n=1600|seed=0'",
            "loss",
            "an empty cell (NULL) is not the loss of a finished run",
        ),
        (
            "UPDATE runs SET loss = 'abc' WHERE id = 'a|n=1600|seed=0'",
            "loss",
            "the text 'abc' is not a number",
        ),
        // Read as 18446744073709551611 and counted as a finished run before.
        (
            "UPDATE runs SET n = -5 WHERE id = 'a|n=1600|seed=0'",
            "n",
            "-5 is negative",
        ),
        (
            "UPDATE runs SET attempts = -3 WHERE id = 'a|n=1600|seed=0'",
            "attempts",
            "-3 is not a count of attempts",
        ),
    ] {
        let dir = TempDir::new().unwrap();
        let plan = finished_plan(&dir);
        edit_journal(&plan, sql);
        let err = refused("status", &plan);
        assert!(
            err.contains(&format!("run 'a|n=1600|seed=0', column '{column}': {what}")),
            "{sql}: {err}"
        );
    }
}

#[test]
fn an_untouched_journal_still_reads() {
    let dir = TempDir::new().unwrap();
    let plan = finished_plan(&dir);
    let out = slaw()
        .args(["status", plan.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"done\""), "{text}");
}

/// `examples/isoflops.csv` with the row of `line` written twice.
fn isoflops_with_a_copy(dir: &TempDir, line: usize) -> PathBuf {
    let text = std::fs::read_to_string(examples("isoflops.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(line, lines[line - 1]);
    let p = dir.path().join("iso_dup.csv");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

#[test]
fn allocate_names_the_file_and_lines_of_a_repeated_run_on_every_path() {
    let dir = TempDir::new().unwrap();
    // Line 6 (the header is line 1) written again as line 7.
    let p = isoflops_with_a_copy(&dir, 6);
    let file = p.to_str().unwrap();
    let base = ["allocate", file, "--d-col", "tokens", "--bootstrap", "0"];
    for extra in [
        &[][..],
        &["--budget-col", "budget"][..],
        &[
            "--flops-col",
            "flops",
            "--budget-col",
            "budget",
            "--group",
            "source",
            "--method",
            "all",
        ][..],
    ] {
        let out = slaw().args(base).args(extra).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("{file}, rows 6 and 7: the same point twice")),
            "{extra:?}: {text}"
        );
        assert!(!text.contains("<memory>"), "{extra:?}: {text}");
    }
}

#[test]
fn allocate_names_the_line_of_a_value_decades_from_its_column_with_a_budget_column() {
    let dir = TempDir::new().unwrap();
    let text = std::fs::read_to_string(examples("isoflops.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Line 5's loss (the last cell) made 1e12.
    let cells: Vec<&str> = lines[4].split(',').collect();
    lines[4] = format!("{},1e12", cells[..cells.len() - 1].join(","));
    let p = dir.path().join("iso_far.csv");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    let file = p.to_str().unwrap();
    let out = slaw()
        .args([
            "allocate",
            file,
            "--d-col",
            "tokens",
            "--budget-col",
            "budget",
            "--bootstrap",
            "0",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "{file}, row 5, column 'loss': the value 1e12 lies 12 decades"
        )),
        "{text}"
    );
}

fn methods_warning(at: &str, data: &str) -> String {
    let out = slaw()
        .arg("methods")
        .arg(examples("runs.csv"))
        .args([
            "--factor",
            "model_size",
            "--factor",
            "pretrain_tokens",
            "--factor",
            "prompt_len",
            "--pet",
            "prompt_len",
            "--bootstrap",
            "0",
            "--at",
            at,
            "--data",
            data,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("value of the runs"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn methods_says_how_far_outside_the_runs_in_decades_not_in_300_digits() {
    let w = methods_warning("model_size=8e9", "1e300");
    assert!(
        w.contains("D_f = 1e300 is 294.0 decades above the largest value of the runs (1e6)"),
        "{w}"
    );
    let w = methods_warning("model_size=1e-300", "3e3");
    assert!(
        w.contains(
            "model_size = 1e-300 is 309.0 decades below the smallest value of the runs (1e9)"
        ),
        "{w}"
    );
    assert!(!w.contains("infx"), "{w}");
    // A ratio a reader takes in at a glance stays one.
    let w = methods_warning("model_size=1e14", "3e3");
    assert!(w.contains("model_size = 1e14 is 6250x above"), "{w}");
}

/// `examples/run.csv` with the step of `line` replaced by `step`.
fn run_with_step(dir: &TempDir, line: usize, step: &str) -> PathBuf {
    let text = std::fs::read_to_string(examples("run.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let rest = lines[line - 1].split_once(',').unwrap().1.to_string();
    lines[line - 1] = format!("{step},{rest}");
    let p = dir.path().join(format!("run_{line}_{step}.csv"));
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

#[test]
fn forecast_refuses_a_step_0_after_later_steps_and_still_skips_a_leading_one() {
    let dir = TempDir::new().unwrap();
    // Steps 250, 500, 750, 1000, then 0 on line 6: steps going back, as a
    // step of 100 there is (it was dropped as "the loss at step 0").
    let p = run_with_step(&dir, 6, "0");
    let out = slaw()
        .args(["forecast", p.to_str().unwrap(), "--fit-until", "0.2"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("row 6, column 'step': steps must increase (0 follows 1000)"),
        "{err}"
    );
    // A loss logged at step 0 before training (line 2) is still skipped.
    let p = run_with_step(&dir, 2, "0");
    let out = slaw()
        .args(["forecast", p.to_str().unwrap(), "--fit-until", "0.2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("the loss at step 0 (before any training step; line 2)"),
        "{text}"
    );
}

#[test]
fn joint_and_methods_warn_about_a_run_read_twice_as_fit_and_allocate_do() {
    let dir = TempDir::new().unwrap();
    let text = std::fs::read_to_string(examples("runs.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    // Line 3 (fmt, model_size 1e9, D_f 3e4) written again as line 4.
    lines.insert(3, lines[2]);
    let p = dir.path().join("runs_dup.csv");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    let file = p.to_str().unwrap();
    let factors = [
        "--factor",
        "model_size",
        "--factor",
        "pretrain_tokens",
        "--factor",
        "prompt_len",
        "--pet",
        "prompt_len",
    ];
    let want = format!(
        "{file}, rows 3 and 4: the same run twice (method fmt, model_size = 1e9, D_f = 30000, \
         loss = 1.29; every value read is equal)"
    );
    let out = slaw()
        .args(["joint", file, "--json"])
        .args(factors)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings: Vec<&str> = json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings.iter().any(|w| w.starts_with(&want)),
        "{warnings:?}"
    );
    let out = slaw()
        .args([
            "methods",
            file,
            "--at",
            "model_size=8e9",
            "--data",
            "3e3",
            "--bootstrap",
            "0",
        ])
        .args(factors)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("warning: {want}")), "{text}");
    // The file as written has no run twice: no such warning.
    let out = slaw()
        .arg("joint")
        .arg(examples("runs.csv"))
        .arg("--json")
        .args(factors)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("the same run"));
}
