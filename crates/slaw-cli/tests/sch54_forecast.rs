//! `slaw forecast`: a schedule in other step units than the log (probe54
//! #3), and a log that includes the warmup (probe54 #7): the fit starts at
//! the warmup's end, or at `--fit-from`.

mod common;

use common::{json_of, slaw, write};
use predicates::prelude::*;
use tempfile::TempDir;

/// A loss falling as 3 + 2 / (1 + t / 3000) with a deterministic +-0.5%
/// wiggle, at steps `k * scale` for the k of `ks` (t = k), and the rate a
/// linear warmup to 3e-4 at 2000 then constant.
fn log(ks: impl Iterator<Item = u64>, scale: f64, lr: bool) -> String {
    let mut s = String::from(if lr { "step,lr,loss\n" } else { "step,loss\n" });
    for k in ks {
        let t = k as f64;
        let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
        let loss = (3.0 + 2.0 / (1.0 + t / 3000.0)) * (1.0 + 0.01 * u);
        if lr {
            let rate = 3e-4 * (t / 2000.0).min(1.0);
            s += &format!("{},{rate},{loss}\n", t * scale);
        } else {
            s += &format!("{},{loss}\n", t * scale);
        }
    }
    s
}

/// `slaw forecast FILE --fit-until 1 --method reciprocal --bootstrap 0`
/// with `extra` options and the schedule `schedule`.
fn reciprocal_with_schedule(f: &str, extra: &[&str], schedule: &str) -> std::process::Output {
    slaw()
        .args([
            "forecast",
            f,
            "--fit-until",
            "1",
            "--method",
            "reciprocal",
            "--bootstrap",
            "0",
        ])
        .args(extra)
        .args(["--schedule", schedule])
        .output()
        .unwrap()
}

#[test]
fn a_schedule_that_ends_before_the_log_starts_is_a_unit_slip() {
    let dir = TempDir::new().unwrap();
    // Steps in tokens (4,194,304 per step), no rate column; the schedule in optimizer steps.
    let f = write(
        &dir,
        "tokens.csv",
        &log((2000..=15000).step_by(100), 4194304.0, false),
    );
    let out = reciprocal_with_schedule(
        &f,
        &[],
        "cosine:peak=3e-4,final=3e-5,total=30000,warmup=2000",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("the schedule ends at step 30000 but the log starts at step 8.38861e9")
            && text.contains("in tokens"),
        "{text}"
    );
    // The mirror case: the log in steps, the schedule in tokens.
    let f = write(
        &dir,
        "steps.csv",
        &log((2000..=15000).step_by(100), 1.0, false),
    );
    let out = reciprocal_with_schedule(
        &f,
        &["--json"],
        "cosine:peak=3e-4,final=3e-5,total=125829120000,warmup=8388608000",
    );
    let v = json_of(&out);
    let w = v["warnings"].to_string();
    assert!(w.contains("past the last step forecast (15000)"), "{w}");
    // The same schedule in the log's units: no such warning.
    let out = reciprocal_with_schedule(
        &f,
        &["--json"],
        "cosine:peak=3e-4,final=3e-5,total=30000,warmup=2000",
    );
    let w = json_of(&out)["warnings"].to_string();
    assert!(!w.contains("same units"), "{w}");
}

#[test]
fn a_logged_warmup_is_left_out_of_the_fit_with_a_note() {
    let dir = TempDir::new().unwrap();
    let ks = (10..2000).step_by(10).chain((2000..=30000).step_by(100));
    let f = write(&dir, "wu.csv", &log(ks, 1.0, true));
    let run = |extra: &[&str]| {
        let mut args = vec![
            "forecast",
            &f,
            "--fit-until",
            "0.3",
            "--bootstrap",
            "0",
            "--json",
        ];
        args.extend_from_slice(extra);
        json_of(&slaw().args(&args).output().unwrap())
    };
    // warm55: auto and the laws of the summed rate leave the warmup's rows
    // out of the fit too (not out of the summed rate); `--fit-from 0` fits
    // them.
    let v = run(&["--fit-from", "0"]);
    assert!(v["fit_points"].as_u64().unwrap() > 71);
    for method in ["auto", "tissue", "multipower", "reciprocal", "power"] {
        let v = run(&["--method", method]);
        let w = v["warnings"].to_string();
        assert!(
            w.contains("fitted from step 2000, the end of the warmup"),
            "{method}: {w}"
        );
        // The fraction stays of the whole log: 10 + 0.3 (30000 - 10).
        let until = v["fit_until_step"].as_f64().unwrap();
        assert!((8900.0..=9007.0).contains(&until), "{until}");
        // Fitted: the rows from 2000 to 9000 only (71 at every 100 steps).
        assert_eq!(v["fit_points"].as_u64().unwrap(), 71, "{method}");
    }
    // The first step fitted named.
    let v = run(&["--method", "reciprocal", "--fit-from", "3000"]);
    assert_eq!(v["fit_points"].as_u64().unwrap(), 61);
    assert!(v["warnings"].to_string().contains("fitted from step 3000"));
    // Past the fit's end: nothing to fit.
    slaw()
        .args(["forecast", &f, "--fit-until", "0.3", "--fit-from", "20000"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("nothing to fit"));
    // A log from the warmup's end: no note.
    let g = write(
        &dir,
        "post.csv",
        &log((2000..=30000).step_by(100), 1.0, true),
    );
    let out = slaw()
        .args([
            "forecast",
            &g,
            "--fit-until",
            "0.3",
            "--bootstrap",
            "0",
            "--method",
            "reciprocal",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(!json_of(&out)["warnings"]
        .to_string()
        .contains("fitted from"));
}
