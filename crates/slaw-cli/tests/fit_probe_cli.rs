//! `slaw fit` / `compare` on the cases a new-user probe found wrong
//! (notes/probe_fit.md): intervals monotone in the level, fits with as many
//! points as parameters, losses <= 0 in linear space.

use assert_cmd::Command;
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

/// `slaw ARGS --json` in `dir`: (exit code, JSON, stdout of the same run
/// without --json).
fn run(dir: &TempDir, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = slaw()
        .current_dir(dir.path())
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let text = slaw().current_dir(dir.path()).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(!stdout.contains("NaN"), "{args:?}: {stdout}");
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v, stdout)
}

/// 12 points of L = 400 x^-0.3 + 1.8 at x = 1e9..1e11 with a deterministic
/// +-0.5% wiggle.
fn twelve() -> String {
    let mut s = String::from("x,loss\n");
    for k in 0..12 {
        let x = 1e9 * 100f64.powf(k as f64 / 11.0);
        let wiggle = 1.0 + 0.005 * ((k * 7 % 5) as f64 - 2.0) / 2.0;
        s += &format!("{x},{}\n", (400.0 * x.powf(-0.3) + 1.8) * wiggle);
    }
    s
}

/// The extrapolation interval inside the data at levels 0.8, 0.9 and 0.95
/// (12 points: 0.95 is past the residuals' conformal rank): each holds the
/// one before and has a width (at 0.95 it was a point).
#[test]
fn fit_intervals_widen_with_the_level() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("p.csv"), twelve()).unwrap();
    let mut last: Option<(f64, f64)> = None;
    for level in ["0.8", "0.9", "0.95"] {
        let (code, v, text) = run(
            &dir,
            &[
                "fit",
                "p.csv",
                "--law",
                "power",
                "--x",
                "x",
                "--y",
                "loss",
                "--predict",
                "5e10",
                "--level",
                level,
            ],
        );
        assert_eq!(code, 0);
        let iv = &v["groups"][0]["predictions"][0]["extrapolation_interval"];
        let (lo, hi) = (iv["lo"].as_f64().unwrap(), iv["hi"].as_f64().unwrap());
        assert!(hi > lo, "{level}: {iv}");
        if let Some((l0, h0)) = last {
            assert!(
                lo <= l0 && hi >= h0,
                "{level}: [{lo}, {hi}] inside [{l0}, {h0}]"
            );
        }
        if level == "0.95" {
            assert!(text.contains("too few residuals"), "{text}");
        }
        last = Some((lo, hi));
    }
}

/// Three points, three parameters: standard errors null (not 0), no
/// bootstrap interval, a warning, and no NaN in the text.
#[test]
fn fit_with_as_many_points_as_parameters_says_so() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("t.csv"),
        "x,loss\n100,3.0\n1000,2.5\n10000,2.2\n",
    )
    .unwrap();
    let (code, v, text) = run(
        &dir,
        &[
            "fit",
            "t.csv",
            "--law",
            "power",
            "--x",
            "x",
            "--y",
            "loss",
            "--bootstrap",
            "20",
            "--predict",
            "1e5",
        ],
    );
    assert_eq!(code, 0);
    let g = &v["groups"][0];
    let se = &g["fit"]["identifiability"]["std_errors"];
    assert!(
        se.as_object().unwrap().values().all(|e| e.is_null()),
        "{se}"
    );
    assert!(g["predictions"][0]["interval"].is_null(), "{g}");
    let w = g["fit"]["warnings"].to_string();
    assert!(w.contains("n <= p"), "{w}");
    assert!(
        text.contains("n <= p") && !text.contains("+/- 0 "),
        "{text}"
    );
}

/// A loss <= 0 fitted in linear space: RMSD(log L) n/a (never NaN), and
/// `compare` by AIC ranks no fit whose criterion is undefined (NaN was the
/// best possible AIC).
#[test]
fn linear_space_with_a_loss_below_zero() {
    let dir = TempDir::new().unwrap();
    let csv = "x,loss\n100,3.0\n1000,2.5\n10000,-2.2\n100000,2.05\n1000000,1.98\n3000000,1.95\n";
    fs::write(dir.path().join("n.csv"), csv).unwrap();
    let (_, _, text) = run(
        &dir,
        &[
            "fit", "n.csv", "--law", "power", "--x", "x", "--y", "loss", "--space", "linear",
        ],
    );
    assert!(text.contains("RMSD(log L) n/a"), "{text}");
    let (code, v, text) = run(
        &dir,
        &[
            "compare",
            "n.csv",
            "--x",
            "x",
            "--y",
            "loss",
            "--space",
            "linear",
            "--laws",
            "power,rectified",
            "--holdout",
            "largest:0",
        ],
    );
    assert_eq!(code, 3, "{text}");
    for r in v.as_array().unwrap() {
        assert!(r["rank"].is_null(), "{r}");
    }
    assert!(text.contains("not ranked: power"), "{text}");
}

/// The status line does not contradict itself: "no start converged" only
/// when none did, and the second search's starts counted as run (at most
/// the starts run), not as queued.
#[test]
fn status_lines_agree_with_their_counts() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("p.csv"), twelve()).unwrap();
    for args in [
        &["--law", "power", "--max-iter", "2"][..],
        &["--formula", "A*log(x) + E", "--params", "A,E"],
    ] {
        let mut all = vec!["fit", "p.csv", "--x", "x", "--y", "loss"];
        all.extend_from_slice(args);
        let (_, v, text) = run(&dir, &all);
        let f = &v["groups"][0]["fit"];
        let n_converged = f["n_converged"].as_u64().unwrap();
        let n_starts = f["n_starts"].as_u64().unwrap();
        assert!(f["extra_starts"].as_u64().unwrap() <= n_starts, "{f}");
        if n_converged > 0 {
            assert!(!text.contains("no start converged"), "{text}");
        }
    }
}

/// An `--init` value outside `--bound` is an error naming the parameter
/// (it was clamped to the bound, silently).
#[test]
fn init_outside_the_bounds_is_an_error() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("p.csv"), twelve()).unwrap();
    let out = slaw()
        .current_dir(dir.path())
        .args(["fit", "p.csv", "--x", "x", "--y", "loss"])
        .args(["--formula", "A/x^alpha + E", "--params", "A,alpha,E"])
        .args(["--init", "alpha=5", "--bound", "alpha=0:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // The library refuses it (Law::set_param); the CLI names its flag.
    assert_eq!(
        err.trim(),
        "error: --init 'alpha=5': starting value 5 of 'alpha' is outside its bounds [0, 1] \
         (widen them with --bound alpha=LOW:HIGH)"
    );
}

/// Every interval printed says its level and kind: `allocate --method
/// isoflop|all` (the profiles' N* and the N_opt columns) and the
/// `forecast --run-col` runs table.
#[test]
fn intervals_in_tables_say_their_level_and_kind() {
    let dir = TempDir::new().unwrap();
    // A 7-budget isoFLOP grid of a Chinchilla law, deterministic wiggle.
    let mut iso = String::from("N,D,C,loss\n");
    let mut k = 0;
    for b in 0..7 {
        let c = 1e18 * 10f64.powf(b as f64 / 2.0);
        for j in 0..13 {
            let n = 1e7 * 10f64.powf(j as f64 / 4.0);
            let d = c / (6.0 * n);
            if d < 1e8 {
                continue;
            }
            k += 1;
            let wiggle = 1.0 + 0.003 * ((k * 7 % 5) as f64 - 2.0) / 2.0;
            let l = 1.7 + 400.0 * n.powf(-0.34) + 410.0 * d.powf(-0.28);
            iso += &format!("{n},{d},{c},{}\n", l * wiggle);
        }
    }
    fs::write(dir.path().join("iso.csv"), iso).unwrap();
    for method in ["isoflop", "all"] {
        let out = slaw()
            .current_dir(dir.path())
            .args(["allocate", "iso.csv", "--d-col", "D", "--flops-col", "C"])
            .args(["--bootstrap", "30", "--budget", "1e22", "--level", "0.8"])
            .args(["--method", method])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{method}: {text}");
        assert!(
            text.contains("isoflop 80% percentile bootstrap"),
            "{method}: {text}"
        );
    }
    // Two runs of a power-law curve: the table's interval column.
    let mut runs = String::from("run,step,loss\n");
    for (run, e) in [("a", 2.0), ("b", 2.5)] {
        for k in 1..=30 {
            let t = 100.0 * k as f64;
            let wiggle = 1.0 + 0.002 * ((k * 7 % 5) as f64 - 2.0);
            runs += &format!("{run},{t},{}\n", (e + 30.0 / t.sqrt()) * wiggle);
        }
    }
    fs::write(dir.path().join("runs.csv"), runs).unwrap();
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "forecast",
            "runs.csv",
            "--run-col",
            "run",
            "--method",
            "power",
        ])
        .args(["--fit-until", "0.5", "--bootstrap", "20", "--level", "0.5"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let header = text.lines().next().unwrap_or("");
    assert!(
        header.contains("50% predictive") || header.contains("50% bootstrap"),
        "{text}"
    );
}

/// A straight line fitted under `--bound` (the search in the data's units)
/// with x in two units 1e6 apart: no parameter is called unpinned in either
/// (the intercept was, once its slope was below 1 in those units), and the
/// intercept's standard error is the same.
#[test]
fn a_slack_bound_and_the_unit_of_x_do_not_unpin_a_parameter() {
    let dir = TempDir::new().unwrap();
    for (name, scale) in [("lin.csv", 1.0), ("lin_big.csv", 1e6)] {
        let mut s = String::from("x,y\n");
        for i in 1..=20 {
            let x = i as f64;
            let wiggle = 1.0 + 0.002 * ((i * 7 % 5) as f64 - 2.0);
            s += &format!("{},{}\n", x * scale, (3.0 + 0.5 * x) * wiggle);
        }
        fs::write(dir.path().join(name), s).unwrap();
    }
    let se = |file: &str| {
        let (code, v, _) = run(
            &dir,
            &[
                "fit",
                file,
                "--x",
                "x",
                "--y",
                "y",
                "--formula",
                "E + B*x",
                "--params",
                "E,B",
                "--bound",
                "B=-10:10",
                "--bound",
                "E=-100:100",
            ],
        );
        assert_eq!(code, 0, "{file}: {v}");
        let id = &v["groups"][0]["fit"]["identifiability"];
        assert_eq!(id["flat"].as_array().unwrap().len(), 0, "{file}: {id}");
        id["std_errors"]["E"].as_f64().unwrap()
    };
    let (a, b) = (se("lin.csv"), se("lin_big.csv"));
    assert!((a / b - 1.0).abs() < 1e-6, "E's standard error {a} vs {b}");
}

/// Probe tj 6 / py 7: `--bootstrap 1` or `2` gave zero-width intervals that
/// need not contain the estimate. Too few replicates for a percentile
/// interval at the level (fewer than 1 / (1 - level)) are refused, naming
/// --bootstrap; the minimum itself is accepted.
#[test]
fn a_bootstrap_too_small_for_its_level_is_refused() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("p.csv"), twelve()).unwrap();
    let fit = |extra: &[&str]| {
        slaw()
            .current_dir(dir.path())
            .args(["fit", "p.csv", "--law", "power", "--x", "x", "--y", "loss"])
            .args(extra)
            .output()
            .unwrap()
    };
    for (n, level, min) in [
        ("1", "0.95", "20"),
        ("2", "0.95", "20"),
        ("50", "0.99", "100"),
    ] {
        let out = fit(&["--bootstrap", n, "--level", level]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{n} at {level}: {err}");
        assert!(
            err.contains("--bootstrap: ") && err.contains(&format!("at least {min}")),
            "{err}"
        );
    }
    let ok = fit(&["--bootstrap", "20", "--level", "0.95", "--json"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}
