//! `slaw forecast --level` at 80%, 90% and 95% on a public curve.

mod common;
use common::{json_of, shared, slaw};

/// (lo, hi, the calibration's rate above and below per unit distance,
/// its method) of power's forecast of a public curve's final loss from its
/// first quarter at `level`.
fn forecast_at(f: &std::path::Path, level: &str) -> (f64, f64, f64, f64, String) {
    let out = slaw()
        .args([
            "forecast",
            f.to_str().unwrap(),
            "--method",
            "power",
            "--fit-until",
            "0.25",
            "--level",
            level,
            "--json",
        ])
        .output()
        .unwrap();
    let v = json_of(&out);
    let p = &v["forecasts"][0];
    let c = &v["calibration"];
    (
        p["lo"].as_f64().unwrap(),
        p["hi"].as_f64().unwrap(),
        c["per_distance"].as_f64().unwrap(),
        c["per_distance_below"].as_f64().unwrap(),
        c["method"].as_str().unwrap().to_string(),
    )
}

/// At 80%, 90% and 95% the intervals of a public curve are nested and each
/// calibration is the rank's at its own level (the candidate that carries
/// the 90% rate to the other levels, `extrapolation::RateRule::Carried`, is
/// measured and off: `forecast::FORECAST_RATE`); the rate grows with the
/// level.
#[test]
fn forecast_intervals_at_80_90_95_are_nested() {
    let Some(dir) = shared("loss-curves/multipower/25") else {
        return;
    };
    let f = dir.join("cosine_72000.csv");
    let (lo8, hi8, r8, b8, m8) = forecast_at(&f, "0.8");
    let (lo9, hi9, r9, b9, m9) = forecast_at(&f, "0.9");
    let (lo95, hi95, r95, b95, m95) = forecast_at(&f, "0.95");
    assert!(lo95 <= lo9 && lo9 <= lo8, "{lo95} {lo9} {lo8}");
    assert!(hi8 < hi9 && hi9 < hi95, "{hi8} {hi9} {hi95}");
    assert!(r8 <= r9 && r9 <= r95, "{r8} {r9} {r95}");
    assert!(b8 <= b9 && b9 <= b95, "{b8} {b9} {b95}");
    for m in [m8, m9, m95] {
        assert!(m.starts_with("rolling-origin"), "{m}");
        assert!(!m.contains("carried"), "{m}");
    }
}
