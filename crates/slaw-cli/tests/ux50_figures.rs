//! ux50: probe48 9c: `joint`, `methods` and `schedule` figures say "(log
//! scale)" on their log axes, and the schedule figure's legend keeps what
//! differs between two long schedules.

mod common;

use common::{shared, slaw};
use slaw::joint::published::{generate, noise_sd, to_csv, EN_DE};
use std::fs;
use tempfile::TempDir;

#[test]
fn joint_and_methods_figures_say_their_log_axes() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("runs.csv");
    fs::write(&f, to_csv(&generate(&EN_DE, noise_sd(0.005), 2))).unwrap();
    let plot = dir.path().join("j.svg");
    let out = slaw()
        .arg("joint")
        .arg(&f)
        .args([
            "--factor",
            "model_size",
            "--factor",
            "pretrain_tokens",
            "--plot",
        ])
        .arg(&plot)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = fs::read_to_string(dir.path().join("j-fmt-model_size.svg")).unwrap();
    assert!(
        svg.contains("fine-tuning data D_f (log scale)") && svg.contains("loss (log scale)"),
        "{svg}"
    );
    let plot = dir.path().join("c.svg");
    slaw()
        .arg("methods")
        .arg(&f)
        .args(["--factor", "model_size", "--factor", "pretrain_tokens"])
        .args([
            "--at",
            "model_size=8e9",
            "--data",
            "3e3",
            "--bootstrap",
            "0",
            "--plot",
        ])
        .arg(&plot)
        .output()
        .unwrap();
    let svg = fs::read_to_string(&plot).unwrap();
    assert!(
        svg.contains("model_size (log scale)") && svg.contains("losses cross (log scale"),
        "{svg}"
    );
}

#[test]
fn the_schedule_figure_keeps_what_differs_between_two_schedules() {
    let Some(d) = shared("loss-curves/multipower/25") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    let plot = dir.path().join("s.svg");
    let out = slaw()
        .arg("schedule")
        .args(["constant_24000.csv", "cosine_24000.csv", "wsdcon_9.csv"].map(|f| d.join(f)))
        .args([
            "--predict",
            "cosine:peak=3e-4,final=3e-5,total=72000,warmup=2160",
            "constant:peak=3e-4,warmup=2160",
            "--steps",
            "72000",
            "--bootstrap",
            "20",
            "--plot",
        ])
        .arg(&plot)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = fs::read_to_string(&plot).unwrap();
    assert!(
        svg.contains("step (log scale)") && svg.contains("loss (log scale)"),
        "{svg}"
    );
    // the settings both share said once (the title), the kinds apart
    assert!(
        svg.contains("every schedule peak=3e-4,warmup=2160"),
        "{svg}"
    );
    assert!(svg.contains("constant (predicted)"), "{svg}");
    assert!(svg.contains("cosine:final=3e"), "{svg}");
}
