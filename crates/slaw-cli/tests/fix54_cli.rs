//! fix54 (probe53 findings 11 and 12): `slaw forecast` (auto) prints power's
//! own interval beside the hull it reports; `slaw fit --predict` says when an
//! interval does not determine the prediction; `slaw forecast` forecasts a
//! run that diverged after its fitted window.

mod common;
use common::{json_of, slaw, write};

/// A clean power-law curve (L = 2 + 6 t^-0.35) over `n` steps with a
/// deterministic 1% ripple: auto chooses power on it.
fn power_log(n: usize) -> String {
    let mut csv = String::from("step,loss\n");
    for t in 1..=n {
        let u = ((t * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
        let l = (2.0 + 6.0 * (t as f64).powf(-0.35)) * (1.0 + 0.02 * u);
        csv += &format!("{t},{l}\n");
    }
    csv
}

fn forecast(f: &str, extra: &[&str]) -> std::process::Output {
    slaw()
        .args(["forecast", f, "--fit-until", "0.2", "--bootstrap", "50"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn auto_choosing_power_prints_powers_own_interval_beside_the_hull() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "long.csv", &power_log(4000));
    let v = json_of(&forecast(&f, &["--json"]));
    assert_eq!(v["method"], "power", "{v}");
    assert_eq!(v["choice"]["interval_hull"], true, "{v}");
    let own = &v["law_interval"];
    assert_eq!(own["law"], "power", "{v}");
    let covers = own["covers"].as_str().unwrap();
    for figure in ["84%", "97%", "64%", "93%"] {
        assert!(covers.contains(figure), "{covers}");
    }
    let p = &own["points"][0];
    let fc = &v["forecasts"][0];
    assert_eq!(p["step"], fc["step"]);
    let (lo, hi) = (p["lo"].as_f64().unwrap(), p["hi"].as_f64().unwrap());
    let (hlo, hhi) = (fc["lo"].as_f64().unwrap(), fc["hi"].as_f64().unwrap());
    // Power's own interval lies inside the hull, and is narrower.
    assert!(hlo <= lo && hi <= hhi && hi - lo < hhi - hlo, "{v}");
    // It is the interval of power named (no hull there).
    let named = json_of(&forecast(&f, &["--method", "power", "--json"]));
    assert!(named.get("law_interval").is_none(), "{named}");
    let nf = &named["forecasts"][0];
    assert!(
        (nf["lo"].as_f64().unwrap() - lo).abs() < 1e-9 * lo,
        "{named}"
    );
    assert!(
        (nf["hi"].as_f64().unwrap() - hi).abs() < 1e-9 * hi,
        "{named}"
    );
    // The text: the column and the statement of what each covers.
    let out = forecast(&f, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("if power holds"), "{text}");
    assert!(text.contains(&format!("[{lo:.4}, {hi:.4}]")), "{text}");
    assert!(
        text.contains("if the curve keeps following power"),
        "{text}"
    );
}

#[test]
fn reciprocal_chosen_has_no_law_interval() {
    // A reciprocal curve: auto takes reciprocal, whose interval is its own.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("step,loss\n");
    for k in 1..=400 {
        let t = 10.0 * k as f64;
        let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
        csv += &format!(
            "{t},{}\n",
            (3.0 / (1.0 + t / 200.0) + 2.0) * (1.0 + 0.01 * u)
        );
    }
    let f = write(&dir, "rec.csv", &csv);
    let v = json_of(&forecast(&f, &["--json"]));
    if v["method"] == "reciprocal" {
        assert!(v.get("law_interval").is_none(), "{v}");
        let text = String::from_utf8_lossy(&forecast(&f, &[]).stdout).to_string();
        assert!(!text.contains("holds"), "{text}");
    } else {
        assert_eq!(v["method"], "power", "{v}");
    }
}

/// probe53's rectified seed 10 (1% noise, 12 points of a curve still in
/// its pre-power phase): the extrapolation intervals span decades.
const RECTIFIED: &str = "x,loss
1000.0,1.4658198089311167
1586.2606242654867,1.4690235351096648
2516.222768095131,1.4622167786511737
3991.3850989096127,1.4607860207253065
6331.377018680325,1.469699534188885
10043.214062112005,1.427243909621945
15931.1550077977,1.4391296027920149
25270.963887939415,1.4282929325623772
40086.33495267335,1.413298277078247
63587.374706543036,1.4142919975965735
100866.14869740432,1.4056756227387204
160000.0,1.4302154999088348
";

/// probe53's power seed 1: intervals a few % wide.
const POWER: &str = "x,loss
1000.0,4.715136851280781
1586.2606242654867,4.1833300217658484
2516.222768095131,3.683516522302463
3991.3850989096127,3.288275839033001
6331.377018680325,2.9752210619209976
10043.214062112005,2.754641802459204
15931.1550077977,2.5166335863852303
25270.963887939415,2.3330409453475967
40086.33495267335,2.225158706102585
63587.374706543036,2.1020705303926603
100866.14869740432,2.0092279813758283
160000.0,1.8968902567717685
";

fn fit(f: &str, law: &str, json: bool) -> std::process::Output {
    let mut c = slaw();
    c.args(["fit", f, "--law", law, "--x", "x"]).args([
        "--predict",
        "640000",
        "--predict",
        "2560000",
    ]);
    if json {
        c.arg("--json");
    }
    c.output().unwrap()
}

#[test]
fn an_interval_over_a_decade_says_not_determined() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "rect.csv", RECTIFIED);
    let v = json_of(&fit(&f, "rectified", true));
    for p in v["groups"][0]["predictions"].as_array().unwrap() {
        let iv = &p["extrapolation_interval"];
        let (lo, hi) = (iv["lo"].as_f64().unwrap(), iv["hi"].as_f64().unwrap());
        assert!(hi / lo > 10.0, "{p}");
        assert_eq!(p["not_determined"], true, "{p}");
        let d = p["decades"].as_f64().unwrap();
        assert!((d - (hi / lo).log10()).abs() < 1e-9, "{p}");
    }
    let out = fit(&f, "rectified", false);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.matches("not determined by the data (spans ").count(),
        2,
        "{text}"
    );
    // A narrow interval is not flagged.
    let g = write(&dir, "power.csv", POWER);
    let v = json_of(&fit(&g, "power", true));
    for p in v["groups"][0]["predictions"].as_array().unwrap() {
        assert_eq!(p["not_determined"], false, "{p}");
        assert!(p["decades"].as_f64().unwrap() < 1.0, "{p}");
    }
    let text = String::from_utf8_lossy(&fit(&g, "power", false).stdout).to_string();
    assert!(!text.contains("not determined"), "{text}");
}

/// A cosine-free run of L = 2 + 6 t^-0.3 over steps 100..=`n` x 100, its
/// loss NaN from step `nan_from` on.
fn diverging(n: usize, nan_from: usize) -> String {
    let mut csv = String::new();
    for k in 1..=n {
        let t = 100 * k;
        let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
        let l = if t >= nan_from {
            "nan".to_string()
        } else {
            format!("{}", (2.0 + 6.0 * (t as f64).powf(-0.3)) * (1.0 + 0.01 * u))
        };
        csv += &format!("{t},{l}\n");
    }
    csv
}

#[test]
fn a_run_diverging_after_its_window_is_forecast_from_it() {
    let dir = tempfile::tempdir().unwrap();
    // One run: NaN from step 15000 of 20000; the 30% window ends near 6000.
    let f = write(
        &dir,
        "div.csv",
        &format!("step,loss\n{}", diverging(200, 15000)),
    );
    let run = |f: &str, until: &str, json: bool| {
        let mut c = slaw();
        c.args(["forecast", f, "--fit-until", until, "--bootstrap", "0"]);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let out = run(&f, "0.3", true);
    assert!(out.status.success(), "{out:?}");
    let v = json_of(&out);
    let fc = &v["forecasts"][0];
    // The forecast step is the log's last (20000), with nothing observed there.
    assert_eq!(fc["step"].as_f64().unwrap(), 20000.0, "{v}");
    assert!(fc["observed"].is_null(), "{v}");
    let w: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        w.iter().any(|w| w.contains("diverged at step 15000")
            && w.contains("after the fitted window")
            && w.contains("not scored")),
        "{w:?}"
    );
    // Held-out accuracy is on the rows before the divergence only.
    let n = v["heldout"]["n"].as_u64().unwrap();
    assert!(n > 0 && n < 200 - 60, "{v}");
    // Inside the window: refused as before, naming the row and column.
    let out = run(&f, "0.9", false);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'nan' is not a finite number"), "{err}");
    assert!(err.contains("column 'loss'"), "{err}");

    // Several runs: the diverged run forecast beside the other.
    let mut csv = String::from("run,step,loss\n");
    for line in diverging(200, 1_000_000).lines() {
        csv += &format!("a,{line}\n");
    }
    for line in diverging(200, 15000).lines() {
        csv += &format!("b,{line}\n");
    }
    let g = write(&dir, "runs.csv", &csv);
    let out = slaw()
        .args(["forecast", &g, "--run-col", "run", "--fit-until", "0.3"])
        .args(["--bootstrap", "0", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["forecasts"].as_array().unwrap().len(), 2, "{v}");
    assert!(v["skipped"].as_array().unwrap().is_empty(), "{v}");
    // Inside the window: that run skipped, as before.
    let out = slaw()
        .args(["forecast", &g, "--run-col", "run", "--fit-until", "0.9"])
        .args(["--bootstrap", "0", "--json"])
        .output()
        .unwrap();
    // exit 3: a run not forecast
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["forecasts"].as_array().unwrap().len(), 1, "{v}");
    let skipped = v["skipped"][0]["reason"].as_str().unwrap();
    assert!(skipped.contains("a diverged run?"), "{skipped}");
}
