//! fix53b (probe53 findings 6, 8, 10): `slaw forecast`'s input handling —
//! a schedule that contradicts the logged rate, logs that restart (CSV and
//! TensorBoard), a TensorBoard directory, an eval loss logged on rows
//! without the learning rate.

mod common;
use common::warnings;
use common::{json_of, slaw, write};

/// A cosine schedule: peak 3e-4 to 3e-5 at 24000 after a 2000-step warmup.
fn cosine(t: f64, total: f64) -> f64 {
    if t < 2000.0 {
        return 3e-4 * t / 2000.0;
    }
    let p = ((t - 2000.0) / (total - 2000.0)).min(1.0);
    3e-5 + (3e-4 - 3e-5) * 0.5 * (1.0 + (std::f64::consts::PI * p).cos())
}

fn loss(t: f64) -> f64 {
    2.0 + 6.0 * t.powf(-0.3)
}

/// `slaw forecast F --fit-until 0.5 --bootstrap 0` (with `--json`).
fn forecast_half(f: &str, json: bool) -> std::process::Output {
    let mut c = slaw();
    c.args(["forecast", f, "--fit-until", "0.5", "--bootstrap", "0"]);
    if json {
        c.arg("--json");
    }
    c.output().unwrap()
}

#[test]
fn a_schedule_that_departs_from_the_logged_rate_is_warned() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("step,lr,loss\n");
    for k in 1..=60 {
        let t = 128.0 * k as f64;
        csv += &format!("{t},{},{}\n", cosine(t, 24000.0), loss(t));
    }
    let f = write(&dir, "early.csv", &csv);
    let run = |spec: &str| {
        let out = slaw()
            .args(["forecast", &f, "--fit-until", "1", "--at", "24000"])
            .args(["--method", "reciprocal", "--bootstrap", "0", "--json"])
            .args(["--schedule", spec])
            .output()
            .unwrap();
        warnings(&json_of(&out))
    };
    let right = run("cosine:peak=3e-4,final=3e-5,total=24000,warmup=2000");
    assert!(
        !right.iter().any(|w| w.contains("schedule given")),
        "{right:?}"
    );
    // total mistyped: the shapes part by the end of the window
    let typo = run("cosine:peak=3e-4,final=3e-5,total=48000,warmup=2000");
    let w: Vec<&String> = typo.iter().filter(|w| w.contains("departs")).collect();
    assert_eq!(w.len(), 1, "{typo:?}");
    assert!(
        w[0].contains("at step 7680") && w[0].contains("more than 3%"),
        "{}",
        w[0]
    );
    assert!(!typo.iter().any(|w| w.contains("peaks at")), "{typo:?}");
    // 10x the peak: the same shape, the peak warned (and why it does not matter)
    let peak = run("cosine:peak=3e-3,final=3e-4,total=24000,warmup=2000");
    assert!(!peak.iter().any(|w| w.contains("departs")), "{peak:?}");
    let w: Vec<&String> = peak.iter().filter(|w| w.contains("peaks at")).collect();
    assert_eq!(w.len(), 1, "{peak:?}");
    assert!(
        w[0].contains("(10x)") && w[0].contains("not its scale"),
        "{}",
        w[0]
    );
}

/// A log to step 3840 that resumes at step 3072 (its losses `shift` above
/// the first copy's), then on to 7680.
fn restarted(shift: f64) -> String {
    let mut csv = String::from("step,loss\n");
    for k in 1..=30 {
        let t = 128.0 * k as f64;
        csv += &format!("{t},{}\n", loss(t));
    }
    for k in 24..=60 {
        let t = 128.0 * k as f64;
        csv += &format!("{t},{}\n", loss(t) + shift);
    }
    csv
}

#[test]
fn a_csv_log_that_restarts_keeps_the_later_rows_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "restart.csv", &restarted(0.0005));
    let out = forecast_half(&f, true);
    let v = json_of(&out);
    let w = warnings(&v);
    assert!(
        w.iter().any(|w| w.contains(
            "7 steps logged twice (the log restarts at row 32 (step 3072 after 3840): a resumed run?): the later records kept"
        )),
        "{w:?}"
    );
    assert!(!w.iter().any(|w| w.contains("disagree")), "{w:?}");
    // one point per step: steps 128..3840 fitted (30), each once
    assert_eq!(v["fit_points"], 30, "{v}");
    // the text says it too
    let out = forecast_half(&f, false);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("warning: 7 steps logged twice"), "{text}");
    // copies far apart: said
    let f = write(&dir, "restart2.csv", &restarted(1.0));
    let out = forecast_half(&f, true);
    let w = warnings(&json_of(&out));
    assert!(
        w.iter()
            .any(|w| w.contains("the two copies of a step disagree in 'loss'")),
        "{w:?}"
    );
    // rows out of order (not a restart): still the error that says to sort
    let mut csv = String::from("step,loss\n");
    for t in [100, 200, 500, 300, 400, 250, 600, 700, 800] {
        csv += &format!("{t},{}\n", loss(t as f64));
    }
    let f = write(&dir, "shuffled.csv", &csv);
    let out = slaw().args(["forecast", &f]).output().unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("sort them by step") && e.contains("row 5"),
        "{e}"
    );
}

#[test]
fn an_eval_loss_without_the_rate_takes_it_from_the_rows_at_its_steps() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("Step,train/loss,train/learning_rate,eval/loss\n");
    for k in 1..=180u64 {
        let t = 128.0 * k as f64;
        csv += &format!("{t},{},{},\n", loss(t), cosine(t, 23040.0));
        if k.is_multiple_of(10) {
            csv += &format!("{t},,,{}\n", loss(t) + 0.05);
        }
    }
    let f = write(&dir, "long.csv", &csv);
    let out = slaw()
        .args([
            "forecast",
            &f,
            "--step-col",
            "Step",
            "--loss-col",
            "eval/loss",
        ])
        .args(["--fit-until", "0.5", "--bootstrap", "0", "--json"])
        .output()
        .unwrap();
    let v = json_of(&out);
    let w = warnings(&v);
    assert!(
        w.iter().any(|w| w.contains(
            "the learning rate 'train/learning_rate' is logged on other rows (train rows?) but not on the 18 rows of 'eval/loss': each takes the rate of the row at its step"
        )),
        "{w:?}"
    );
    // the rate is read: the decay after the window is known
    assert!(!v["decay"].is_null(), "{v}");
    // eval steps without a train row: the rate is not used, said
    let mut csv = String::from("Step,train/loss,train/learning_rate,eval/loss\n");
    for k in 1..=180u64 {
        let t = 128.0 * k as f64;
        csv += &format!("{t},{},{},\n", loss(t), cosine(t, 23040.0));
        if k.is_multiple_of(10) {
            csv += &format!("{},,,{}\n", t + 10.0, loss(t) + 0.05);
        }
    }
    let f = write(&dir, "long2.csv", &csv);
    let out = slaw()
        .args([
            "forecast",
            &f,
            "--step-col",
            "Step",
            "--loss-col",
            "eval/loss",
        ])
        .args(["--fit-until", "0.5", "--bootstrap", "0", "--json"])
        .output()
        .unwrap();
    let w = warnings(&json_of(&out));
    assert!(
        w.iter().any(|w| w.contains("no row at step 1290 (row 12)")
            && w.contains(
                "it is not used, so the forecast ignores the schedule; give the schedule"
            )),
        "{w:?}"
    );
}

// --- TensorBoard event files, written as the format is (TFRecords of
// Event protocol buffers with a simple_value per tag).

fn crc32c(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x82F6_3B78
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn masked(data: &[u8]) -> u32 {
    crc32c(data).rotate_right(15).wrapping_add(0xa282_ead8)
}

fn varint(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn delimited(field: u64, body: &[u8], out: &mut Vec<u8>) {
    varint(field << 3 | 2, out);
    varint(body.len() as u64, out);
    out.extend(body);
}

/// One record: an Event at `step` with one scalar per (tag, value).
fn record(step: u64, scalars: &[(&str, f32)]) -> Vec<u8> {
    let mut ev = Vec::new();
    varint(1 << 3 | 1, &mut ev);
    ev.extend((1.7e9 + step as f64).to_le_bytes());
    varint(2 << 3, &mut ev);
    varint(step, &mut ev);
    let mut summary = Vec::new();
    for (tag, v) in scalars {
        let mut value = Vec::new();
        delimited(1, tag.as_bytes(), &mut value);
        varint(2 << 3 | 5, &mut value);
        value.extend(v.to_le_bytes());
        delimited(1, &value, &mut summary);
    }
    delimited(5, &summary, &mut ev);
    let len = (ev.len() as u64).to_le_bytes();
    let mut out = len.to_vec();
    out.extend(masked(&len).to_le_bytes());
    out.extend(&ev);
    out.extend(masked(&ev).to_le_bytes());
    out
}

/// An event file logged to step 3840, resumed at 3072 (`shift` above the
/// first copy) and on to 7680, with an eval loss every 10th record.
fn events(shift: f32) -> Vec<u8> {
    let mut b = Vec::new();
    let mut log = |k: u64, shift: f32| {
        let t = 128 * k;
        let l = loss(t as f64) as f32 + shift;
        b.extend(record(t, &[("train/loss", l)]));
        if k.is_multiple_of(10) {
            b.extend(record(t, &[("eval/loss", l + 0.05)]));
        }
    };
    for k in 1..=30 {
        log(k, 0.0);
    }
    for k in 24..=60 {
        log(k, shift);
    }
    b
}

#[test]
fn an_event_file_that_restarts_says_which_copy_it_kept() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("events.out.tfevents.1.host");
    std::fs::write(&p, events(0.0005)).unwrap();
    let f = p.display().to_string();
    let out = forecast_half(&f, true);
    let w = warnings(&json_of(&out));
    assert!(
        w.iter()
            .any(|w| w == "7 steps logged twice (a restart at step 3072?): the later records kept"),
        "{w:?}"
    );
    let out = forecast_half(&f, false);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("warning: 7 steps logged twice (a restart at step 3072?)"));
    // fit reads it the same way, and says so
    let out = slaw()
        .args([
            "fit",
            &f,
            "--law",
            "power",
            "--x",
            "step",
            "--y",
            "train/loss",
            "--json",
        ])
        .output()
        .unwrap();
    let w = warnings(&json_of(&out));
    assert!(
        w.iter().any(|w| w.contains("7 steps logged twice")),
        "{w:?}"
    );
    // copies 1.0 apart: the disagreement is said
    std::fs::write(&p, events(1.0)).unwrap();
    let out = forecast_half(&f, true);
    let w = warnings(&json_of(&out));
    assert!(
        w.iter()
            .any(|w| w.contains("the two copies of a step disagree in 'train/loss'")),
        "{w:?}"
    );
}

#[test]
fn a_tensorboard_directory_is_read_as_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run-a");
    std::fs::create_dir(&run).unwrap();
    std::fs::write(run.join("events.out.tfevents.1.host"), events(0.0)).unwrap();
    let logdir = dir.path().display().to_string();
    let out = forecast_half(&logdir, true);
    let w = warnings(&json_of(&out));
    assert!(
        w.iter()
            .any(|w| w.contains("is a directory: its one event file")),
        "{w:?}"
    );
    let one = json_of(&out)["forecasts"].clone();
    // fix54 12c: a second run's folder: each run is forecast, as with
    // --run-col, named by its folder (it was an error listing the files)
    let other = dir.path().join("run-b");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("events.out.tfevents.2.host"), events(0.2)).unwrap();
    let out = forecast_half(&logdir, true);
    let j = json_of(&out);
    let runs: Vec<&str> = j["forecasts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["curve"].as_str().unwrap())
        .collect();
    assert_eq!(runs, ["run-a", "run-b"], "{j}");
    // run-a's forecast is the one it had alone; run-b's (its resumed
    // copy 0.2 higher) another
    assert_eq!(j["forecasts"][0]["forecasts"], one);
    assert_ne!(j["forecasts"][1]["forecasts"], one);
    let w = warnings(&j["forecasts"][1]);
    assert!(
        w.iter().any(|w| w
            .contains("is a TensorBoard log directory of 2 runs (run-a, run-b; 2 event files)")),
        "{w:?}"
    );
    // fit pools no runs: an error naming the way to fit each
    let fit = |group: bool| {
        let mut c = slaw();
        c.args([
            "fit",
            &logdir,
            "--law",
            "power",
            "--x",
            "step",
            "--y",
            "train/loss",
        ]);
        if group {
            c.args(["--group", "run", "--json"]);
        }
        c.output().unwrap()
    };
    let out = fit(false);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("a TensorBoard log directory of several runs, named in its column 'run'")
            && e.contains("fit each run by grouping on 'run'"),
        "{e}"
    );
    let j = json_of(&fit(true));
    assert_eq!(j["groups"].as_array().unwrap().len(), 2, "{j}");
    // two event files in one run's folder (a resumed run): one curve, the
    // files read in name order
    let resumed = tempfile::tempdir().unwrap();
    std::fs::write(
        resumed.path().join("events.out.tfevents.1.host"),
        events(0.0),
    )
    .unwrap();
    // the second file resumes at step 7040 (before the first's end, 7680)
    let later: Vec<u8> = (55..=80u64)
        .flat_map(|k| record(128 * k, &[("train/loss", loss(128.0 * k as f64) as f32)]))
        .collect();
    std::fs::write(resumed.path().join("events.out.tfevents.2.host"), later).unwrap();
    let out = forecast_half(&resumed.path().display().to_string(), true);
    let w = warnings(&json_of(&out));
    assert!(
        w.iter()
            .any(|w| w.contains("its 2 event files (one run) were read in name order")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("6 steps logged twice (the log restarts at")
                && w.contains("(step 7040 after 7680)")),
        "{w:?}"
    );
}
