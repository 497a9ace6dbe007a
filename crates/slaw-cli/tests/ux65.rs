//! ux65: `slaw schedule`'s errors about a schedule or the WSD search, now
//! the library's (`forecast::whatif_job`), name their flag and the spec.

mod common;

use common::run;
use tempfile::TempDir;

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
