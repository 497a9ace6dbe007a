//! `slaw fit --formula` on the cases a new-user probe found wrong: a fit no
//! better than a constant called "converged" with exit 0; linear parameters
//! held by fixed bounds (losses in large units); `--init` replacing a
//! parameter's grid; a formula undefined at a row not naming the row; the
//! group summary not counting skipped groups.

mod common;
use common::{slaw, write};
use tempfile::TempDir;

/// L = 50 x^-0.3 + 1.5 times `scale` at x = 1000 * 2^k (12 points) with a
/// deterministic +-0.5% wiggle; `zero_last`: one more row with x = 0.
fn power_law(scale: f64, zero_last: bool) -> String {
    let mut s = String::from("x,loss\n");
    for k in 0..12 {
        let x = 1000.0 * 2f64.powi(k);
        let wiggle = 1.0 + 0.005 * ((k * 7 % 5) as f64 - 2.0) / 2.0;
        s += &format!("{x},{}\n", scale * (50.0 * x.powf(-0.3) + 1.5) * wiggle);
    }
    if zero_last {
        s += &format!("0,{}\n", 3.0 * scale);
    }
    s
}

/// Kaplan-style data: L = (8.8e13 / N)^0.076 with a small wiggle.
fn kaplan() -> String {
    let mut s = String::from("N,loss\n");
    for k in 0..10 {
        let n = 1e6 * 3f64.powi(k);
        let wiggle = 1.0 + 0.004 * ((k * 3 % 5) as f64 - 2.0) / 2.0;
        s += &format!("{n},{}\n", (8.8e13 / n).powf(0.076) * wiggle);
    }
    s
}

fn run(dir: &TempDir, args: &[&str]) -> (i32, serde_json::Value, String, String) {
    let out = slaw()
        .current_dir(dir.path())
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let text = slaw().current_dir(dir.path()).args(args).output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap(),
        v,
        String::from_utf8_lossy(&text.stdout).to_string(),
        String::from_utf8_lossy(&text.stderr).to_string(),
    )
}

fn param(v: &serde_json::Value, name: &str) -> f64 {
    v["groups"][0]["fit"]["params"][name].as_f64().unwrap()
}

#[test]
fn a_fit_no_better_than_a_constant_is_not_converged() {
    let dir = TempDir::new().unwrap();
    write(&dir, "kaplan.csv", &kaplan());
    let args = [
        "fit",
        "kaplan.csv",
        "--formula",
        "(Nc/N)^a",
        "--params",
        "Nc,a",
        "--x",
        "N",
        "--y",
        "loss",
        "--predict",
        "1e12",
    ];
    let (code, v, text, err) = run(&dir, &args);
    // Nc inside a power, fitted in linear units from starts near 1: the
    // search cannot reach 8.8e13; whatever it ends at must not pass.
    let fit = &v["groups"][0]["fit"];
    if fit["termination"] == "no_better_than_constant" {
        assert_eq!(code, 3, "{text}\n{err}");
        assert_eq!(fit["converged"], false);
        let verdict = &v["groups"][0]["no_better_than_constant"];
        assert_eq!(verdict["fit_in_log_space"], serde_json::json!(["Nc"]));
        assert!(
            verdict["objective"].as_f64().unwrap()
                >= verdict["constant_objective"].as_f64().unwrap() * (1.0 - 1e-9)
        );
        assert!(
            text.contains("status: FAILED: no better than a constant"),
            "{text}"
        );
        assert!(text.contains("fit Nc in log space"), "{text}");
        assert!(err.contains("--log-params Nc"), "{err}");
        assert!(!text.contains("status: converged"), "{text}");
    } else {
        // Or it found the law: then it must be right.
        assert_eq!(code, 0, "{text}\n{err}");
        assert!((param(&v, "a") - 0.076).abs() < 0.005, "{text}");
    }
    // In log space it is right, and converged.
    let mut log_args = args.to_vec();
    log_args.extend(["--log-params", "Nc"]);
    let (code, v, text, _) = run(&dir, &log_args);
    assert_eq!(code, 0, "{text}");
    assert!((param(&v, "a") - 0.076).abs() < 0.005, "{text}");
    assert!(v["groups"][0].get("no_better_than_constant").is_none());
}

/// A robust (Huber) fit that leaves an outlier aside can have R^2 < 0 on
/// the values and be right: it is not flagged (its objective is far below
/// the best constant's).
#[test]
fn a_robust_fit_with_r2_below_zero_is_not_flagged() {
    let dir = TempDir::new().unwrap();
    let mut csv = power_law(1.0, false);
    csv += "3000,-20\n";
    write(&dir, "out.csv", &csv);
    let (code, v, text, _) = run(
        &dir,
        &[
            "fit", "out.csv", "--law", "power", "--x", "x", "--y", "loss", "--space", "linear",
        ],
    );
    assert!(
        v["groups"][0]["train"]["r2"].as_f64().unwrap() < 0.0,
        "{text}"
    );
    assert!(
        v["groups"][0].get("no_better_than_constant").is_none(),
        "{text}"
    );
    assert_eq!(code, 0, "{text}");
    assert!((param(&v, "alpha") - 0.3).abs() < 0.03, "{text}");
}

#[test]
fn linear_parameters_follow_the_units_of_the_loss() {
    let dir = TempDir::new().unwrap();
    write(&dir, "pl.csv", &power_law(1.0, false));
    write(&dir, "ply.csv", &power_law(1e5, false));
    let fit = |file: &str| {
        run(
            &dir,
            &[
                "fit",
                file,
                "--formula",
                "A*x^(-alpha)+E",
                "--params",
                "A,alpha,E",
                "--x",
                "x",
                "--y",
                "loss",
                "--predict",
                "1e8",
            ],
        )
    };
    let (code, base, text, _) = fit("pl.csv");
    assert_eq!(code, 0, "{text}");
    assert!((param(&base, "alpha") - 0.3).abs() < 0.03, "{text}");
    let (code, big, text, _) = fit("ply.csv");
    assert_eq!(code, 0, "{text}");
    assert!(
        big["groups"][0]["fit"]["at_bounds"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{text}"
    );
    // the same fit, the amplitude and offset in the loss's units
    let rel = |a: f64, b: f64| (a / b - 1.0).abs();
    assert!(
        rel(param(&big, "alpha"), param(&base, "alpha")) < 1e-5,
        "{text}"
    );
    assert!(
        rel(param(&big, "A"), 1e5 * param(&base, "A")) < 1e-4,
        "{text}"
    );
    assert!(
        rel(param(&big, "E"), 1e5 * param(&base, "E")) < 1e-4,
        "{text}"
    );
    let p = |v: &serde_json::Value| v["groups"][0]["predictions"][0]["value"].as_f64().unwrap();
    assert!(rel(p(&big), 1e5 * p(&base)) < 1e-5, "{text}");
    // and near the truth, 1e5 (50 * 1e8^-0.3 + 1.5)
    let truth = 1e5 * (50.0 * 1e8f64.powf(-0.3) + 1.5);
    assert!(rel(p(&big), truth) < 0.05, "{} vs {truth}", p(&big));
}

#[test]
fn init_adds_to_the_grid() {
    let dir = TempDir::new().unwrap();
    write(&dir, "pl.csv", &power_law(1.0, false));
    let (code, v, text, _) = run(
        &dir,
        &[
            "fit",
            "pl.csv",
            "--formula",
            "A*x^(-alpha)+E",
            "--params",
            "A,alpha,E",
            "--log-params",
            "A,E",
            "--x",
            "x",
            "--y",
            "loss",
            "--init",
            "alpha=5",
        ],
    );
    assert_eq!(code, 0, "{text}");
    assert!((param(&v, "alpha") - 0.3).abs() < 0.03, "{text}");
    // the law's own starts ran beside the given one (3 x 4 x 3)
    assert_eq!(v["groups"][0]["fit"]["grid_starts"], 36, "{text}");
    // a given value outside the bounds is still refused, by its text
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "pl.csv",
            "--formula",
            "A*x^(-alpha)+E",
            "--params",
            "A,alpha,E",
            "--log-params",
            "A,E",
            "--x",
            "x",
            "--y",
            "loss",
            "--bound",
            "alpha=0:3",
            "--init",
            "alpha=5",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("starting value 5 of 'alpha'"), "{err}");
}

#[test]
fn a_formula_undefined_at_a_row_names_it() {
    let dir = TempDir::new().unwrap();
    write(&dir, "pl0.csv", &power_law(1.0, true));
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "pl0.csv",
            "--x",
            "x",
            "--y",
            "loss",
            "--formula",
            "A*x^(-alpha)+E",
            "--params",
            "A,alpha,E",
            "--log-params",
            "A,E",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // header + 12 rows: x = 0 is on row 14
    assert!(err.contains("pl0.csv, row 14, column 'x'"), "{err}");
    assert!(!err.contains("not finite at any of"), "{err}");
}

#[test]
fn the_group_summary_counts_skipped_groups() {
    let dir = TempDir::new().unwrap();
    let mut s = String::from("model,x,loss\n");
    for (g, a) in [("a", 50.0), ("b", 60.0), ("c", 70.0)] {
        for k in 0..10 {
            let x = 1000.0 * 2f64.powi(k);
            let wiggle = 1.0 + 0.005 * ((k * 7 % 5) as f64 - 2.0) / 2.0;
            s += &format!("{g},{x},{}\n", (a * x.powf(-0.3) + 1.5) * wiggle);
        }
    }
    s += "d,1000,7.9\nd,2000,6.7\n";
    write(&dir, "groups.csv", &s);
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "groups.csv",
            "--law",
            "power",
            "--x",
            "x",
            "--y",
            "loss",
            "--group",
            "model",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("4 groups: 3 converged, 0 failed, 1 skipped (too few points)"),
        "{text}"
    );
}
