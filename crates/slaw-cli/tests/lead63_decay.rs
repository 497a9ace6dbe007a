//! A forecast fitted before a learning-rate decay says, in plain
//! percentages, how far below the forecast its decay term lets the loss
//! end, and that a run annealing more strongly ends below the interval
//! (a new user's probe: on runs whose annealing lowered the loss by 6-15%,
//! auto's 90% band covered 10 of 25; the text gave only the prior's
//! per-unit quantiles).

use assert_cmd::Command;
use std::fmt::Write as _;

/// A warmup-stable-decay run: 500 warmup steps, a constant rate, then a
/// linear decay over the last 20% of 20,000 steps; the loss a power law of
/// the step with a drop proportional to the decay, logged every 100 steps.
fn wsd_run() -> String {
    let (total, warmup, peak, last) = (20_000.0_f64, 500.0_f64, 3e-4_f64, 3e-5_f64);
    let d0 = 0.8 * total;
    let mut s = String::from("step,lr,loss\n");
    for i in 1..=200 {
        let t = 100.0 * i as f64;
        let lr = if t <= warmup {
            peak * t / warmup
        } else if t <= d0 {
            peak
        } else {
            peak - (peak - last) * (t - d0) / (total - d0)
        };
        let decayed = (peak - lr.min(peak)) / peak * f64::from(u8::from(t > warmup));
        let loss = 2.2 + 6.0 * t.powf(-0.45) - 0.1 * decayed;
        // a deterministic ripple of 0.3% in place of noise
        let ripple = 1.0 + 0.003 * ((i * 7919) % 13) as f64 / 13.0 - 0.0015;
        writeln!(s, "{t},{lr},{}", loss * ripple).unwrap();
    }
    s
}

fn percents(line: &str) -> Vec<f64> {
    // the "here -4.4% to +0.9% of the forecast" part
    let here = line.split("; here ").nth(1).expect("a 'here' clause");
    here.split_whitespace()
        .filter(|w| w.ends_with('%'))
        .take(2)
        .map(|w| w.trim_end_matches('%').parse::<f64>().unwrap())
        .collect()
}

#[test]
fn the_decay_term_says_how_far_below_the_forecast_it_reaches() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wsd.csv");
    std::fs::write(&file, wsd_run()).unwrap();
    let run = |json: bool| {
        let mut c = Command::cargo_bin("slaw").unwrap();
        c.arg("forecast").arg(&file).args(["--fit-until", "0.3"]);
        if json {
            c.arg("--json");
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success() || out.status.code() == Some(3),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let v: serde_json::Value = serde_json::from_str(&run(true)).unwrap();
    let d = &v["decay_term"];
    let (zl, zh) = (
        d["per_unit_decay"][0].as_f64().unwrap(),
        d["per_unit_decay"][1].as_f64().unwrap(),
    );
    let ahead = d["decay_ahead"].as_f64().unwrap();
    assert!(ahead > 0.8, "the decay is all ahead of the window: {ahead}");
    let method = d["method"].as_str().unwrap();
    assert!(
        method.contains("ends below the interval"),
        "the limit of the prior is said: {method}"
    );
    let p = percents(method);
    assert_eq!(p.len(), 2, "{method}");
    // the percentages are the prior's range at the decay ahead
    assert!(
        (p[0] - 100.0 * ((zl * ahead).exp() - 1.0)).abs() < 0.06,
        "{p:?}"
    );
    assert!(
        (p[1] - 100.0 * ((zh * ahead).exp() - 1.0)).abs() < 0.06,
        "{p:?}"
    );
    assert!(p[0] < 0.0, "the decay lowers the loss: {p:?}");
    // and the text output carries the same sentence
    let text = run(false);
    assert!(
        text.lines()
            .any(|l| l.starts_with("decay ahead") && l.contains(&format!("here {:+.1}%", p[0]))),
        "{text}"
    );
}
