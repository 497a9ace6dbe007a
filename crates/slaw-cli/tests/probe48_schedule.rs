//! probe48: what a new user probing `slaw schedule` found.

mod common;

use common::{shared, slaw};

/// Finding 1: with `multipower-warmup`, a what-if schedule written without
/// the runs' warmup (`warmup=` defaults to 0) predicted the 25M constant
/// 72000-step run 4% low (3.135 against a measured 3.257), its interval
/// missing it, without a word. The schedule with the runs' warmup (2160)
/// is not warned about, nor a longer one, nor the same schedule under
/// `multipower` (whose drop sum starts after the warmup).
#[test]
fn a_schedule_without_the_runs_warmup_is_said_under_multipower_warmup() {
    let Some(d) = shared("loss-curves/multipower/25") else {
        return;
    };
    let runs = ["constant_24000.csv", "cosine_24000.csv", "wsdcon_9.csv"]
        .map(|f| d.join(f).display().to_string());
    let run = |method: &str| {
        let out = slaw()
            .arg("schedule")
            .args(&runs)
            .args(["--method", method, "--bootstrap", "0", "--steps", "72000"])
            .args([
                "--predict",
                "constant:peak=3e-4",
                "constant:peak=3e-4,warmup=2160",
                "constant:peak=3e-4,warmup=10000",
                "--json",
            ])
            .output()
            .unwrap();
        common::json_of(&out)
    };
    let v = run("multipower-warmup");
    let warmup: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .filter(|w| w.contains("warmup the runs did not have"))
        .collect();
    assert_eq!(warmup.len(), 1, "{:?}", v["warnings"]);
    assert!(
        warmup[0].starts_with(
            "schedule 'constant:peak=3e-4' has no warmup where the fitted runs warmed up over 2160"
        ),
        "{}",
        warmup[0]
    );
    // What it warns about: the schedule without warmup is predicted lower.
    let last = |i: usize| {
        v["predictions"][i]["points"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["loss"]
            .as_f64()
            .unwrap()
    };
    assert!(last(0) < 0.97 * last(1), "{} {}", last(0), last(1));
    let v = run("multipower");
    assert!(
        !v["warnings"]
            .to_string()
            .contains("warmup the runs did not have"),
        "{}",
        v["warnings"]
    );
}

/// Finding 3: a schedule whose final (or two-stage low) rate is above its
/// peak was taken (a typo: the rate then rose above the runs' peak, which
/// the peak warning, reading `peak=`, did not say). It is an error naming
/// both values, as `--predict` and as `forecast --schedule`.
#[test]
fn a_final_rate_above_the_peak_is_an_error() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut s = String::from("step,lr,loss\n");
    for k in 1..=60u64 {
        let t = 100 * k;
        s += &format!("{t},3e-4,{}\n", 2.0 + 30.0 / (t as f64).sqrt());
    }
    let f = common::write(&dir, "run.csv", &s);
    for (spec, want) in [
        (
            "cosine:peak=3e-4,final=5e-4,total=24000",
            "final=5e-4 is above peak=3e-4",
        ),
        (
            "two-stage:peak=3e-4,switch=8000,low=6e-4",
            "low=6e-4 is above peak=3e-4",
        ),
    ] {
        slaw()
            .args(["schedule", &f, "--steps", "24000", "--predict", spec])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(want));
        slaw()
            .args(["forecast", &f, "--schedule", spec])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(want));
    }
}
