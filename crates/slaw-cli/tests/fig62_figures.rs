//! fig62 (probe61 findings 4, 6, 7): the figures `schedule --optimize-wsd`,
//! `joint`, `allocate --group` and `forecast` write, read from their SVG.

mod common;

use common::slaw;
use std::fs;
use std::path::PathBuf;
use tempfile::TempDir;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

fn run_ok(cmd: &mut assert_cmd::Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Finding 4: no predicted schedule is drawn in the fits' black; each WSD
/// decay's legend label keeps its decay start whole; the decays, which
/// part only in the last tenth of the log axis, are drawn again on a
/// linear step axis.
#[test]
fn wsd_schedules_have_their_own_colours_whole_labels_and_a_zoom() {
    let dir = TempDir::new().unwrap();
    let plot = dir.path().join("wsd.svg");
    run_ok(
        slaw()
            .arg("schedule")
            .arg(example("training_runs.csv"))
            .args([
                "--run-col",
                "run",
                "--optimize-wsd",
                "peak=3e-4,final=3e-5,warmup=2000",
                "--steps",
                "24000",
                "--decay-fractions",
                "0.05,0.1,0.2,0.3",
                "--plot",
            ])
            .arg(&plot),
    );
    let svg = fs::read_to_string(&plot).unwrap();
    for start in ["22900", "21800", "19600", "17400"] {
        assert!(
            svg.contains(&format!(", decay from {start}<"))
                || svg.contains(&format!(", decay from {start}\n")),
            "no whole label for the decay from {start}"
        );
    }
    assert!(!svg.contains("(…00)"), "a label cut");
    assert!(svg.contains("step, linear scale (zoom)"));
    // Three runs take colours 0-2; the four schedules 3, 4, 5 and 7 (the
    // palette's olive, #AA9600), black (6) left to the fits.
    assert!(svg.contains("#AA9600"), "the fourth schedule skips black");
}

/// Finding 6: a factor value whose runs are all held out is drawn dashed
/// and says so; the fitted values are dashed past their fitted data.
#[test]
fn joint_held_out_values_and_extrapolations_are_dashed() {
    let dir = TempDir::new().unwrap();
    let plot = dir.path().join("j.svg");
    run_ok(
        slaw()
            .arg("joint")
            .arg(example("runs.csv"))
            .args([
                "--factor",
                "model_size",
                "--factor",
                "pretrain_tokens",
                "--factor",
                "prompt_len",
                "--pet",
                "prompt_len",
                "--plot",
            ])
            .arg(&plot),
    );
    let svg = fs::read_to_string(dir.path().join("j-fmt-model_size.svg")).unwrap();
    assert!(svg.contains("model_size = 1.6e10 (held out)"), "{svg}");
    assert!(svg.contains("dashed: extrapolated"));
}

/// Finding 7: every figure of `allocate --group` names its group.
#[test]
fn allocate_group_figures_name_their_group() {
    let dir = TempDir::new().unwrap();
    let plot = dir.path().join("iso.svg");
    run_ok(
        slaw()
            .arg("allocate")
            .arg(example("isoflops.csv"))
            .args([
                "--d-col",
                "tokens",
                "--flops-col",
                "flops",
                "--budget-col",
                "budget",
                "--group",
                "source",
                "--method",
                "all",
                "--plot",
            ])
            .arg(&plot),
    );
    let mut seen = 0;
    for entry in fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        for group in ["hoffmann", "besiroglu"] {
            if name.starts_with(&format!("iso-{group}-")) {
                let svg = fs::read_to_string(&p).unwrap();
                assert!(svg.contains(&format!("(group {group})")), "{name}");
                seen += 1;
            }
        }
    }
    assert_eq!(seen, 8);
}

/// Finding 6: a forecast is dashed past the end of its fit, which its
/// legend says.
#[test]
fn forecasts_are_dashed_past_the_end_of_the_fit() {
    let dir = TempDir::new().unwrap();
    let plot = dir.path().join("f.svg");
    run_ok(
        slaw()
            .arg("forecast")
            .arg(example("training_runs.csv"))
            .args(["--run-col", "run", "--fit-until", "0.3", "--plot"])
            .arg(&plot),
    );
    let svg = fs::read_to_string(dir.path().join("f-wsd.svg")).unwrap();
    assert!(svg.contains("dashed: extrapolated"), "{svg}");
    assert!(svg.contains("end of fit"));
}
