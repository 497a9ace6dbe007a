//! `auto` on a window whose rates do not pin the annealing terms chooses the
//! step-only reciprocal law; beyond the window its forecast is moved by the
//! decay prior's median times the decay ahead, the rule of a schedule-aware
//! law named on such a window (BENCHMARKS.md, auto73).

mod common;
use common::{json_of, shared, slaw};

/// 100M wsd_20000_24000 fitted on its first 20% (to step 6,464; the rate
/// holds until step 20,000, then falls to 10% of its peak), forecast at
/// step 19,968 (before the decay: nothing ahead) and at the last step
/// 23,904 (90% of the peak rate's fall ahead). At 19,968 auto's forecast and
/// interval are the reciprocal law's named; at 23,904 its forecast is the
/// one the multipower law named there gives (the same rule: the reciprocal
/// law's moved by its decay prior's median), below the reciprocal law's own,
/// closer to the observed loss, inside the reciprocal law's interval, which
/// it keeps; JSON and text say what was done.
#[test]
fn autos_step_only_forecast_moves_with_the_decay_ahead() {
    let Some(d) = shared("loss-curves/multipower/100") else {
        return;
    };
    let f = d.join("wsd_20000_24000.csv").display().to_string();
    let json = |method: &str| {
        json_of(
            &slaw()
                .args([
                    "forecast",
                    &f,
                    "--method",
                    method,
                    "--fit-until",
                    "0.2",
                    "--at",
                    "19968",
                    "23904",
                    "--json",
                ])
                .output()
                .unwrap(),
        )
    };
    let (auto, recip, mp) = (json("auto"), json("reciprocal"), json("multipower"));
    assert_eq!(auto["method"], "reciprocal", "{}", auto["choice"]);
    assert_eq!(auto["choice"]["annealing_identified"], false);
    let get = |v: &serde_json::Value, i: usize, k: &str| v["forecasts"][i][k].as_f64().unwrap();
    // Before the decay: the reciprocal law's own, to the last digit.
    for k in ["loss", "lo", "hi"] {
        assert_eq!(get(&auto, 0, k), get(&recip, 0, k), "{k}");
    }
    // After it: moved as the named schedule-aware law's forecast is.
    let (a, r, m, obs) = (
        get(&auto, 1, "loss"),
        get(&recip, 1, "loss"),
        get(&mp, 1, "loss"),
        get(&auto, 1, "observed"),
    );
    assert!(mp["unpinned_decay"].is_string(), "{}", mp["unpinned_decay"]);
    assert!((a / m - 1.0).abs() < 1e-12, "auto {a}, multipower {m}");
    assert!(a < r, "auto {a}, reciprocal {r}");
    assert!((a / obs).ln().abs() < (r / obs).ln().abs(), "{a} {r} {obs}");
    let (lo, hi) = (get(&auto, 1, "lo"), get(&auto, 1, "hi"));
    assert_eq!((lo, hi), (get(&recip, 1, "lo"), get(&recip, 1, "hi")));
    assert!(lo <= a && a <= hi, "{lo} {a} {hi}");
    let u = auto["unpinned_decay"].as_str().unwrap_or_default();
    assert!(
        u.contains("auto chose the step-only reciprocal law")
            && u.contains("as a schedule-aware law's forecast on such a window")
            && u.contains("the interval is that law's, unchanged"),
        "{u}"
    );
    let w = auto["warnings"][0].as_str().unwrap();
    assert!(
        w.contains("its forecast is moved by the median effect of the decay ahead")
            && w.contains(&format!("(the law's own at step 23904: {r:.4})")),
        "{w}"
    );
    // The reciprocal law named keeps its own forecast and says so.
    assert!(recip["unpinned_decay"].is_null());
    // The text says it too.
    let out = slaw()
        .args([
            "forecast",
            &f,
            "--fit-until",
            "0.2",
            "--at",
            "19968",
            "23904",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("annealing terms not pinned: the window does not pin the schedule-aware laws' annealing terms, so auto chose the step-only reciprocal law"),
        "{text}"
    );
}
