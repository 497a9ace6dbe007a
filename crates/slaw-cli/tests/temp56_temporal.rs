//! temp56: the temporal law's loss floor a2 may follow the learning rate
//! where the window pins the decay (probe55 finding 3), the point forecast
//! is held at most the loss at the window's end (probe55 finding 1's
//! remaining misses), and a forecast past the logged rate says what rate it
//! assumes (probe55 10).

mod common;
use common::{json_of, slaw, warnings};
use std::path::PathBuf;

/// probe55's design B, with little noise: a warmup of 200 steps, then a
/// cosine from 3e-4 to 3e-5 by step 10,000 (`cosine`; else a constant
/// 3e-4), checkpoints every 200 steps, positions 1..64; a0 = 3 - 0.3
/// ln(t/1000), a1 = 0.5, a2 = 4.2 - 0.25 ln(S1 / peak / 1000) + 0.6 eta
/// (the catalog's lr form). Returns the file's text and the noise-free
/// final mean loss.
fn design_b(cosine: bool) -> (String, f64) {
    let (peak, last, warm) = (3e-4, 10_000usize, 200usize);
    let lr = |t: usize| -> f64 {
        if t < warm {
            peak * t as f64 / warm as f64
        } else if !cosine {
            peak
        } else {
            let f = (t - warm) as f64 / (last - warm) as f64;
            3e-5 + (peak - 3e-5) * 0.5 * (1.0 + (std::f64::consts::PI * f).cos())
        }
    };
    common::per_position_from_rate(last, peak, lr)
}

fn forecast(path: &str, until: &str) -> serde_json::Value {
    json_of(
        &slaw()
            .args(["forecast", path, "--fit-until", until, "--json"])
            .output()
            .unwrap(),
    )
}

/// Known truth: with the floor falling with the rate, a2 follows the lr
/// form at half the run (the window holds 45% of the decay) and the final
/// loss is forecast within 1.5% (the step-only bounded forms were +3.9%
/// high on every one of probe55's 30 seeds).
#[test]
fn a_floor_that_follows_the_rate_is_forecast_at_half_the_run() {
    let dir = tempfile::TempDir::new().unwrap();
    let (text, truth) = design_b(true);
    let p = common::write(&dir, "b.csv", &text);
    let v = forecast(&p, "0.5");
    assert_eq!(v["method"], "temporal");
    let a2 = &v["temporal"]["trajectories"][2];
    assert_eq!(a2["chosen"]["form"], "lr", "{a2}");
    let last = v["forecasts"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["step"].as_f64().unwrap(), 10_000.0);
    let got = last["loss"].as_f64().unwrap();
    assert!((got / truth).ln().abs() < 0.015, "{got} against {truth}");
    // The forecast reads the rate, so no "ignores the decay" warning.
    assert!(
        !warnings(&v).iter().any(|w| w.contains("ignores")),
        "{:?}",
        warnings(&v)
    );
}

/// Where the window holds too little of the decay (under 10% of the peak
/// at a fifth of the run), or the rate does not decay at all, a2 is not
/// offered the lr form.
#[test]
fn a2_is_not_offered_the_rate_where_the_window_does_not_pin_the_decay() {
    let dir = tempfile::TempDir::new().unwrap();
    for (cosine, until) in [(true, "0.2"), (false, "0.5")] {
        let (text, _) = design_b(cosine);
        let p = common::write(&dir, "b.csv", &text);
        let v = forecast(&p, until);
        let a2 = &v["temporal"]["trajectories"][2];
        let form = a2["chosen"]["form"].as_str().unwrap();
        assert!(form == "constant" || form == "hyperbolic", "{a2}");
        assert!(
            a2["candidates"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["form"] != "lr" || c["held_out_error"].is_null()),
            "{a2}"
        );
    }
}

fn run_file(name: &str) -> PathBuf {
    // Committed with the repository (bench/temporal/data), not shared data.
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../bench/temporal/data")
        .join(name)
}

/// Regression (probe55 1, temp55's remaining misses): at 40% of
/// medium_constant_seed2 the held-out choice of a0 (coefficients near
/// +-1e6) forecast 5.43 for a final loss of 2.63, below the highest fitted
/// loss but above the loss at the window's end; it is now swapped.
#[test]
fn medium_constant_seed2_at_forty_percent_is_held_below_the_window_end() {
    let file = run_file("medium_constant_seed2.csv");
    let v = forecast(file.to_str().unwrap(), "0.4");
    let last = v["forecasts"].as_array().unwrap().last().unwrap().clone();
    let (loss, observed) = (
        last["loss"].as_f64().unwrap(),
        last["observed"].as_f64().unwrap(),
    );
    assert!(
        (loss / observed).ln().abs() < 0.05,
        "{loss} against {observed}"
    );
    let tr = &v["temporal"]["trajectories"][0];
    assert_eq!(tr["replaced"], "hyperbolic", "{tr}");
    assert!(
        warnings(&v)
            .iter()
            .any(|w| w.contains("trajectory of a0") && w.contains("window's end")),
        "{:?}",
        warnings(&v)
    );
}

/// A forecast step past the logged rate's last row says the rate is held
/// there (probe55 10: it was silent).
#[test]
fn a_step_past_the_logged_rate_says_what_rate_is_assumed() {
    let dir = tempfile::TempDir::new().unwrap();
    let (text, _) = design_b(true);
    let p = common::write(&dir, "b.csv", &text);
    let v = json_of(
        &slaw()
            .args([
                "forecast",
                &p,
                "--fit-until",
                "0.3",
                "--at",
                "20000",
                "--json",
            ])
            .output()
            .unwrap(),
    );
    let w = warnings(&v);
    assert!(
        w.iter()
            .any(|w| w.contains("past the logged learning rate's last row")
                && w.contains("held at its last value")),
        "{w:?}"
    );
}
