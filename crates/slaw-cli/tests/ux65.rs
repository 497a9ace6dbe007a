//! ux65: `slaw select` with every candidate failing names the one first in
//! the file (the rows' order), not the first by name (the pool is scored
//! sorted by name, so that a successful run does not depend on the rows'
//! order, which stays so); `slaw schedule`'s errors about a schedule or the
//! WSD search, now the library's, name their flag and the spec.

mod common;

use common::{run, shared, write};
use tempfile::TempDir;

/// A long pool (model, n, loss) of `models`, in that order, each measured
/// at sizes above a 1/64 budget of 1638400 (25600) only: none can be scored.
fn unaffordable(models: &[&str]) -> String {
    let mut s = String::from("model,n,loss\n");
    for (k, m) in models.iter().enumerate() {
        for n in [0.0, 51200.0, 102400.0, 204800.0] {
            let loss = 3.0 + 0.01 * k as f64 - 1e-7 * n;
            s += &format!("{m},{n},{loss:.6}\n");
        }
    }
    s
}

#[test]
fn select_names_the_failing_candidate_first_in_the_file() {
    let dir = TempDir::new().unwrap();
    for (order, first, row) in [
        (["delta", "beta", "gamma"], "delta", 2),
        (["gamma", "delta", "beta"], "gamma", 2),
        (["beta", "gamma", "delta"], "beta", 2),
    ] {
        let f = write(&dir, "pool.csv", &unaffordable(&order));
        let (code, out, err) = run(
            dir.path(),
            &["select", &f, "--target", "1638400", "--budget", "1/64"],
        );
        assert_eq!(code, 2, "{out}{err}");
        assert!(
            err.contains(&format!("row {row}: candidate '{first}': ")),
            "{order:?}: {err}"
        );
        assert!(
            err.contains("AtS needs at least 4 affordable sizes"),
            "{err}"
        );
    }
}

/// The rows' order changes nothing of a successful selection: the same text
/// and JSON for the FLAN pool in its file's order and shuffled.
#[test]
fn a_successful_selection_does_not_depend_on_the_rows_order() {
    let Some(flan) = shared("finetune-selection/flan.csv") else {
        return;
    };
    let text = std::fs::read_to_string(&flan).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    // A fixed permutation: every 7th row from each of 7 starts (each row
    // once).
    let n = lines.len();
    let shuffled: Vec<&str> = (0..7)
        .flat_map(|s| (s..n).step_by(7))
        .map(|i| lines[i])
        .collect();
    assert_eq!(shuffled.len(), n);
    assert_ne!(shuffled, lines, "the rows moved");
    let dir = TempDir::new().unwrap();
    let f = write(
        &dir,
        "flan.csv",
        &format!("{header}\n{}\n", shuffled.join("\n")),
    );
    let original = flan.display().to_string();
    for extra in [&[][..], &["--json"][..]] {
        let args = |file: &str| {
            let mut a = vec!["select", file, "--target", "1638400", "--budget", "1/64"];
            a.extend_from_slice(extra);
            a.into_iter().map(String::from).collect::<Vec<_>>()
        };
        let a = args(&original);
        let b = args(&f);
        let (ca, oa, ea) = run(
            dir.path(),
            &a.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        );
        let (cb, ob, eb) = run(
            dir.path(),
            &b.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        );
        assert_eq!((ca, cb), (0, 0), "{ea}{eb}");
        assert_eq!(oa, ob, "{extra:?}");
    }
}

#[test]
fn schedule_errors_name_the_flag_and_the_spec() {
    let dir = TempDir::new().unwrap();
    let runs = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/training_runs.csv")
        .display()
        .to_string();
    for (extra, want) in [
        (
            &["--predict", "cosine:peak=3e-4"][..],
            "error: --predict: 'cosine:peak=3e-4': missing total=",
        ),
        (
            &["--predict", "constant:peak=3e-4"][..],
            "error: --steps: needed by the schedule 'constant:peak=3e-4', which has no total=",
        ),
        (
            &["--optimize-wsd", "final=0", "--steps", "100"][..],
            "error: --optimize-wsd: 'final=0': missing peak=",
        ),
        (
            &["--optimize-wsd", "peak=3e-4"][..],
            "error: --steps: needed by the WSD search",
        ),
        (
            &[
                "--optimize-wsd",
                "peak=3e-4",
                "--steps",
                "100",
                "--decay-fractions",
                "0,0.1",
            ][..],
            "error: --decay-fractions: each is the decay's share of the steps after warmup, \
             in (0, 1]; got 0",
        ),
        (
            &[][..],
            "error: nothing to predict: give --predict SCHEDULE or --optimize-wsd",
        ),
    ] {
        let mut args = vec!["schedule", runs.as_str(), "--run-col", "run"];
        args.extend_from_slice(extra);
        let (code, out, err) = run(dir.path(), &args);
        assert_eq!(code, 2, "{extra:?}: {out}{err}");
        assert!(err.starts_with(want), "{extra:?}: {err}");
    }
    // The same file twice.
    let (code, _, err) = run(
        dir.path(),
        &[
            "schedule",
            &runs,
            &runs,
            "--run-col",
            "run",
            "--predict",
            "cosine:peak=3e-4,total=9000",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("training_runs.csv: given twice; give each run once"),
        "{err}"
    );
}
