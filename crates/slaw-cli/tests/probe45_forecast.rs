//! fx45a: trust gaps of `slaw forecast` a new-user probe found: a learning
//! rate that is 0 at the first logged rows, an interval that depended on
//! the other steps asked, a rising curve under a named step-only law, the
//! temporal law's coefficients on a bound.

mod common;
use common::warnings;

use common::{json_of, slaw, write};
use std::fs;
use tempfile::TempDir;

/// A log from step 10 to 3000 every 10 steps: the rate rises linearly from
/// 0 at step 10 to 3e-4 at step 300, then a cosine to 3e-5 at step 3000;
/// the loss 2 + 6 S1^-0.4 (S1 the summed rate in units of peak x step),
/// 10.8 at step 10 (no step trained), times a deterministic +-0.3% wiggle.
fn warmup_from_zero() -> String {
    let lr = |s: f64| {
        if s <= 300.0 {
            3e-4 * (s - 10.0) / 290.0
        } else {
            let p = (s - 300.0) / 2700.0;
            3e-5 + 0.5 * (3e-4 - 3e-5) * (1.0 + (std::f64::consts::PI * p).cos())
        }
    };
    let mut out = String::from("step,lr,loss\n");
    let (mut area, mut prev) = (0.0, None::<(f64, f64)>);
    for k in 1..=300 {
        let s = 10.0 * k as f64;
        let e = lr(s);
        if let Some((s0, e0)) = prev {
            area += 0.5 * (e + e0) * (s - s0);
        }
        prev = Some((s, e));
        let loss = if area > 0.0 {
            2.0 + 6.0 * (area / 3e-4).powf(-0.4)
        } else {
            10.8
        };
        let wiggle = 1.0 + 0.003 * ((k * 37 % 11) as f64 / 5.0 - 1.0);
        out.push_str(&format!("{s},{e},{}\n", loss * wiggle));
    }
    out
}

/// Item 1: tissue, multipower and auto failed with "the objective is not
/// finite at any of the starts" (S1 = 0 at step 10); the row is skipped
/// with a warning, the rate path kept (tissue, fitted from the first row,
/// recovers alpha = 0.4), and
/// `slaw schedule` fits the run too.
#[test]
fn a_rate_of_0_at_the_first_rows_is_skipped_not_a_failed_fit() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "warm0.csv", &warmup_from_zero());
    for (method, until) in [
        ("tissue", "0.3"),
        ("multipower", "0.3"),
        ("auto", "0.5"),
        ("reciprocal", "0.3"),
    ] {
        let v = json_of(
            &slaw()
                .args(["forecast", &f, "--fit-until", until, "--method", method])
                .args(["--bootstrap", "0", "--json"])
                .output()
                .unwrap(),
        );
        let w = warnings(&v);
        assert!(
            w.iter().any(
                |w| w.starts_with("the loss at step 10 (the first row with a loss)")
                    && w.contains("skipped")
            ),
            "{method}: {w:?}"
        );
        let loss = v["forecasts"][0]["loss"].as_f64().unwrap();
        assert!(loss > 2.0 && loss < 2.6, "{method}: {loss}");
        if method != "reciprocal" {
            // warm55: the summed-rate laws and auto fit from the warmup's
            // end (step 300) by default, the rows before it kept in the
            // summed rate.
            // Steps 300..910 at 0.3 (the fraction is of the whole log).
            if until == "0.3" {
                assert_eq!(v["fit_points"].as_u64(), Some(62), "{method}");
            }
            assert!(w
                .iter()
                .any(|w| w.starts_with("fitted from step 300, the end of the warmup")));
        }
    }
    // This curve follows the law inside its warmup too (the loss is
    // 2 + 6 S1^-0.4 from step 20), so the warmup's rows pin alpha: fitted
    // from the first row (`--fit-from 0`), tissue recovers alpha = 0.4.
    // (From the warmup's end, 62 rows over a 5x range of S1, alpha is 0.456
    // on this curve and its deterministic wiggle; on tissue-law curves with
    // random noise the cut's alpha errs by -0.006 to -0.025 on average, sd
    // 0.02-0.06 over 10 seeds: BENCHMARKS.md, warm55.)
    let v = json_of(
        &slaw()
            .args(["forecast", &f, "--fit-until", "0.3", "--method", "tissue"])
            .args(["--fit-from", "0", "--bootstrap", "0", "--json"])
            .output()
            .unwrap(),
    );
    let alpha = v["params"]["alpha"].as_f64().unwrap();
    assert!((alpha - 0.4).abs() < 0.02, "alpha {alpha}");
    // Steps 20..910: 0.3 of the logged span 20..3000 ends at 914
    // (of the last step, 900: 89 points, before probe47 7e).
    assert_eq!(v["fit_points"].as_u64(), Some(90));
    let v = json_of(
        &slaw()
            .args(["schedule", &f, "--bootstrap", "0", "--json", "--predict"])
            .arg("cosine:peak=3e-4,final=3e-5,total=3000,warmup=300")
            .output()
            .unwrap(),
    );
    assert!(warnings(&v)
        .iter()
        .any(|w| w.starts_with("run 'warm0': the loss at step 10")));
}

/// `slaw forecast FILE ARGS --json`, parsed.
fn forecast_json(file: &str, args: &[&str]) -> serde_json::Value {
    json_of(
        &slaw()
            .args(["forecast", file])
            .args(args)
            .arg("--json")
            .output()
            .unwrap(),
    )
}

/// Item 2: whether more than the first 50 replicates entered the interval
/// was decided over every point at once, so the interval at step 7000
/// changed when steps 5800 and 9000 were asked beside it (the spread at
/// 5800, close to the window's end, is not negligible; at 7000 it is).
/// Each point is decided alone now: the same interval at 7000, whatever
/// else is asked, and the same seed gives the same output. On the first 29
/// points of a public curve (to step 5760), fitted whole.
#[test]
fn a_steps_interval_does_not_depend_on_the_other_steps_asked() {
    let Some(src) = common::shared("loss-curves/multipower/25/constant_24000.csv") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    let text = fs::read_to_string(src).unwrap();
    let head: Vec<&str> = text.lines().take(30).collect();
    let f = write(&dir, "short.csv", &(head.join("\n") + "\n"));
    for method in ["reciprocal", "log"] {
        let at7000 = |v: &serde_json::Value| {
            let p = v["forecasts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["step"].as_f64() == Some(7000.0))
                .unwrap()
                .clone();
            (p["lo"].as_f64().unwrap(), p["hi"].as_f64().unwrap())
        };
        let base = ["--fit-until", "1", "--method", method, "--at"];
        let one = forecast_json(&f, &[&base[..], &["7000"]].concat());
        let three = forecast_json(&f, &[&base[..], &["5800", "7000", "9000"]].concat());
        assert_eq!(at7000(&one), at7000(&three), "{method}");
        // The three-step run did run all the replicates (for 5800), so
        // the case is the one that differed.
        assert_eq!(
            three["bootstrap"]["replicates"].as_u64(),
            Some(200),
            "{method}"
        );
        assert_eq!(
            one["bootstrap"]["replicates"].as_u64(),
            Some(50),
            "{method}"
        );
        assert_eq!(
            three["bootstrap"]["first_where_negligible"].as_u64(),
            Some(50),
            "{method}"
        );
        let again = forecast_json(&f, &[&base[..], &["5800", "7000", "9000"]].concat());
        assert_eq!(three["forecasts"], again["forecasts"], "{method}");
    }
}

/// Item 3: a rising curve got no warning under a law that fits it without
/// a parameter on a bound (log with b < 0, reciprocal); the check is on the
/// data now, whatever the law.
#[test]
fn a_rising_loss_is_flagged_whatever_the_law() {
    let dir = TempDir::new().unwrap();
    let mut s = String::from("step,loss\n");
    for k in 1..=300 {
        let t = 10.0 * k as f64;
        let wiggle = 1.0 + 0.003 * ((k * 37 % 11) as f64 / 5.0 - 1.0);
        s.push_str(&format!("{t},{}\n", (2.0 + 0.3 * t.ln()) * wiggle));
    }
    let f = write(&dir, "rising.csv", &s);
    for method in ["log", "reciprocal", "power", "auto"] {
        let v = forecast_json(
            &f,
            &["--fit-until", "0.3", "--method", method, "--bootstrap", "0"],
        );
        assert!(
            warnings(&v)
                .iter()
                .any(|w| w.starts_with("the loss rises over the fitted window")),
            "{method}: {:?}",
            warnings(&v)
        );
    }
    // A falling curve is not flagged.
    let g = write(&dir, "warm0.csv", &warmup_from_zero());
    let v = forecast_json(&g, &["--fit-until", "0.3", "--bootstrap", "0"]);
    assert!(!warnings(&v).iter().any(|w| w.contains("the loss rises")));
}

/// Item 4: at a late end of the fit the temporal law's a1 trajectory
/// (hyperbolic) leaves c1 on its bound (-1e6), unflagged; flagged now, in
/// the warnings and in the trajectory's JSON `at_bounds`.
#[test]
fn a_temporal_coefficient_on_its_bound_is_flagged() {
    let f = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/temporal/data/large_cosine_seed1.csv"
    );
    if !std::path::Path::new(f).exists() {
        eprintln!("SKIPPED: {f} not found");
        return;
    }
    let v = forecast_json(f, &["--fit-until", "0.8", "--bootstrap", "0"]);
    let a1 = v["temporal"]["trajectories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["param"] == "a1")
        .unwrap();
    assert_eq!(a1["chosen"]["at_bounds"], serde_json::json!(["c1"]));
    assert!(warnings(&v).iter().any(
        |w| w.starts_with("parameter a1.c1 (of the hyperbolic trajectory of a1) is at a bound")
    ));
}
