//! Findings of the newcomer's probe of the documents against the output
//! (probe_rd): the same quantity under the same keys and formats, warnings
//! in one place, plurals, columns that line up.

mod common;

use assert_cmd::Command;
use common::{json_of, shared};
use slaw::joint::published::{generate, noise_sd, to_csv, EN_DE};
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

fn text_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A learning curve of the power law 2 + 30 n^-0.3 at n = 200 .. 51200.
fn power_curve(dir: &TempDir) -> String {
    let p = dir.path().join("curve.csv");
    let mut s = String::from("n,loss\n");
    for k in 0..9 {
        let n = 200.0 * 2f64.powi(k);
        s += &format!("{n},{}\n", 2.0 + 30.0 * f64::powf(n, -0.3));
    }
    fs::write(&p, s).unwrap();
    p.display().to_string()
}

/// The Chinchilla runs (N from "Model Size", tokens from the FLOPs).
fn chinchilla() -> Option<String> {
    shared("chinchilla/svg_extracted_data.csv").map(|p| p.display().to_string())
}

const CHIN: [&str; 4] = ["--n-col", "Model Size", "--flops-col", "Training FLOP"];

/// probe_rd 18: `allocate --bootstrap 0 --method all` said "their intervals
/// overlap" and "the intervals cover only the runs' sampling error" with no
/// interval anywhere. probe_rd 21: its isoFLOP table said "1 runs" and "1
/// distinct model sizes".
#[test]
fn allocate_without_bootstrap_claims_no_interval_and_counts_in_english() {
    let Some(f) = chinchilla() else { return };
    let run = |extra: &[&str]| {
        slaw()
            .args(["allocate", &f])
            .args(CHIN)
            .args(["--bootstrap", "0", "--method", "all"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    let text = text_of(&out);
    assert!(text.contains("the methods' exponents span"), "{text}");
    assert!(!text.contains("intervals overlap"), "{text}");
    assert!(!text.contains("the intervals cover"), "{text}");
    assert!(text.contains("no intervals to compare"), "{text}");
    assert!(text.contains("no interval says how far off"), "{text}");
    // Plurals: a budget of one run reads "1 run", and the table stays in
    // column ("  1 run   N*" beside " 11 runs  N*").
    assert!(!text.contains(" 1 runs") && !text.contains(" 1 distinct model sizes"));
    let rows: Vec<&str> = text.lines().filter(|l| l.contains(" N* ")).collect();
    assert!(rows.iter().any(|l| l.contains("  1 run   N* ")), "{text}");
    assert!(
        rows.iter().any(|l| l.contains("1 distinct model size ")),
        "{text}"
    );
    let col = rows[0].find("N* ").unwrap();
    assert!(rows.iter().all(|l| l.find("N* ") == Some(col)), "{text}");
    // The JSON says nothing was compared.
    let v = json_of(&run(&["--json"]));
    let d = &v[0]["disagreement"];
    assert_eq!(d["intervals_compared"], false, "{d}");
    assert_eq!(d["beyond_intervals"], false, "{d}");
}

/// probe_rd 20: `slaw select`'s score, interval and observed columns have one
/// format (1.790600 under 1.507848, not 1.7906; [1.343460, ..], not
/// [1.34346, ..]), as does `slaw demo`'s.
#[test]
fn select_columns_have_one_number_format() {
    let dir = TempDir::new().unwrap();
    let out = slaw().arg("demo").current_dir(dir.path()).output().unwrap();
    assert!(out.status.success());
    let text = text_of(&out);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.trim_start()
                .split(' ')
                .next()
                .is_some_and(|r| r.parse::<usize>().is_ok())
        })
        .filter(|l| l.contains('['))
        .collect();
    assert!(rows.len() >= 4, "{text}");
    for r in &rows {
        // After the rank and the model's name: score, lo, hi, observed.
        let cells: Vec<&str> = r
            .split_whitespace()
            .skip(2)
            .flat_map(|w| w.split(|c: char| "[],*".contains(c)))
            .filter(|c| c.contains('.'))
            .take(4)
            .collect();
        assert_eq!(cells.len(), 4, "{r}");
        for c in cells {
            let decimals = c.split('.').nth(1).unwrap().len();
            assert_eq!(decimals, 6, "{c} in {r}");
        }
    }
}

/// probe_rd 20: `slaw methods` printed "at model_size = 8000000000" above
/// "model_size =    5.00000e7", and the loss column 3.15817 under 2.426227.
#[test]
fn methods_factor_values_and_losses_have_one_format() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("runs.csv");
    fs::write(&f, to_csv(&generate(&EN_DE, noise_sd(0.005), 2))).unwrap();
    let out = slaw()
        .args(["methods", &f.display().to_string()])
        .args(["--factor", "model_size", "--factor", "pretrain_tokens"])
        .args([
            "--at",
            "model_size=8e9",
            "--data",
            "3e3",
            "--bootstrap",
            "20",
        ])
        .output()
        .unwrap();
    let text = text_of(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(": at model_size = 8e9: "), "{text}");
    assert!(!text.contains("at model_size = 8000000000"), "{text}");
    let grid: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("model_size ="))
        .collect();
    assert!(!grid.is_empty(), "{text}");
    for l in grid {
        let v = l
            .split('=')
            .nth(1)
            .unwrap()
            .split(':')
            .next()
            .unwrap()
            .trim();
        // one scientific form, trailing zeros dropped (ux50: 5e7, 1.68179e9)
        assert!(
            v.contains('e') && !v.split('e').next().unwrap().ends_with('0'),
            "{l}"
        );
    }
    // The method table: every loss and interval end with 6 decimals.
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("method "))
        .skip(1)
        .take_while(|l| !l.is_empty() && !l.starts_with("intervals:"))
        .collect();
    assert_eq!(table.len(), 3, "{text}");
    for r in table {
        for c in r
            .split(|c: char| c.is_whitespace() || "[],".contains(c))
            .filter(|c| c.contains('.'))
        {
            assert_eq!(c.split('.').nth(1).unwrap().len(), 6, "{c} in {r}");
        }
    }
}

/// probe_rd 20: `slaw laws` printed bounds as [1.00000e-12, 1.00000e30] and
/// [1.00000e-10, 1000000]; now short and exact.
#[test]
fn laws_print_bounds_short() {
    let out = slaw().arg("laws").output().unwrap();
    let text = text_of(&out);
    assert!(out.status.success());
    assert!(text.contains("A (log) in [1e-12, 1e30]"), "{text}");
    assert!(text.contains("E (log) in [1e-10, 1e6]"), "{text}");
    assert!(!text.contains("1.00000e"), "{text}");
}

/// probe_rd 23: the skipped `m4-authors-capped` row of `slaw compare` was out
/// of column (a 17-character name in a 12-character column).
#[test]
fn compare_table_keeps_every_row_in_column() {
    let dir = TempDir::new().unwrap();
    let f = power_curve(&dir);
    let out = slaw()
        .args(["compare", &f, "--x", "n", "--y", "loss"])
        .args(["--max-iter", "1", "--pick", "holdout"])
        .output()
        .unwrap();
    let text = text_of(&out);
    let header = text.lines().find(|l| l.starts_with("rank law")).unwrap();
    let end = header.find("params").unwrap() + "params".len();
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("rank law"))
        .skip(1)
        .take_while(|l| !l.starts_with("ranked by"))
        .collect();
    assert!(
        rows.iter()
            .any(|l| l.contains("m4-authors-capped") && l.contains("skipped:")),
        "{text}"
    );
    for r in rows {
        // The parameter count ends under the header's "params".
        let c = r.as_bytes()[end - 1];
        assert!(c.is_ascii_digit(), "{r:?} vs {header:?}");
        assert_eq!(r.as_bytes()[end], b' ', "{r:?}");
    }
}

fn multipower(size: &str, name: &str) -> Option<String> {
    shared(&format!("loss-curves/multipower/{size}"))
        .map(|d| d.join(format!("{name}.csv")).display().to_string())
}

/// probe_rd 7: `fit`, `schedule` and `allocate` reported intervals without
/// saying what they cover; now each has `interval_kind` ({kind, level}) as
/// select, methods and forecast have (the older level keys kept).
#[test]
fn every_interval_says_its_kind_and_level() {
    let dir = TempDir::new().unwrap();
    let f = power_curve(&dir);
    let v = json_of(
        &slaw()
            .args(["fit", &f, "--law", "power", "--x", "n", "--y", "loss"])
            .args([
                "--bootstrap",
                "20",
                "--level",
                "0.9",
                "--predict",
                "1e6",
                "--json",
            ])
            .output()
            .unwrap(),
    );
    let g = &v["groups"][0];
    let boot = serde_json::json!({"kind": "bootstrap", "level": 0.9});
    assert_eq!(g["fit"]["interval_kind"], boot, "{g}");
    assert_eq!(g["fit"]["interval_level"], 0.9, "the older key stays");
    let p = &g["predictions"][0];
    assert_eq!(p["interval_kind"], boot, "{p}");
    assert!(p["extrapolation_interval"].is_object(), "{p}");
    assert_eq!(
        p["extrapolation_interval_kind"],
        serde_json::json!({"kind": "backtest", "level": 0.9}),
        "{p}"
    );
    // Without a bootstrap: no interval, no kind.
    let v = json_of(
        &slaw()
            .args([
                "fit", &f, "--law", "power", "--x", "n", "--y", "loss", "--json",
            ])
            .output()
            .unwrap(),
    );
    assert!(v["groups"][0]["fit"].get("interval_kind").is_none());

    if let Some(c) = chinchilla() {
        let v = json_of(
            &slaw()
                .args(["allocate", &c])
                .args(CHIN)
                .args(["--bootstrap", "20", "--json"])
                .output()
                .unwrap(),
        );
        assert_eq!(
            v["interval_kind"],
            serde_json::json!({"kind": "bootstrap", "level": 0.95})
        );
        let v = json_of(
            &slaw()
                .args(["allocate", &c])
                .args(CHIN)
                .args(["--bootstrap", "0", "--json"])
                .output()
                .unwrap(),
        );
        assert!(v["interval_kind"].is_null(), "{}", v["interval_kind"]);
    }
    let (Some(a), Some(b)) = (
        multipower("25", "cosine_24000"),
        multipower("100", "wsdcon_18"),
    ) else {
        return;
    };
    let v = json_of(
        &slaw()
            .args(["schedule", &a, &b, "--json", "--bootstrap", "20"])
            .args(["--predict", "cosine:peak=3e-4,total=72000,warmup=2160"])
            .output()
            .unwrap(),
    );
    let kind = &v["interval_kind"];
    assert!(
        kind["kind"] == "backtest" || kind["kind"] == "bootstrap",
        "{kind}"
    );
    assert_eq!(kind["level"], v["bootstrap"]["level"], "{v}");
}

/// probe_rd 8: `slaw demo`'s (and select's) JSON carries `warnings` even
/// when empty; `slaw joint`'s warnings (a parameter at a bound, not pinned)
/// are printed `warning:` and listed under `warnings`, beside `notes`.
#[test]
fn warnings_have_one_key_and_one_label() {
    let dir = TempDir::new().unwrap();
    let v = json_of(
        &slaw()
            .args(["demo", "--json"])
            .current_dir(dir.path())
            .output()
            .unwrap(),
    );
    assert!(v["warnings"].is_array(), "{v}");
    let f = dir.path().join("runs.csv");
    fs::write(&f, to_csv(&generate(&EN_DE, noise_sd(0.005), 2))).unwrap();
    let run = |extra: &[&str]| {
        slaw()
            .args(["joint", &f.display().to_string()])
            .args(["--factor", "model_size", "--factor", "pretrain_tokens"])
            .args(extra)
            .output()
            .unwrap()
    };
    let v = json_of(&run(&["--json"]));
    let text = text_of(&run(&[]));
    let mut warned = 0;
    for m in v["fits"].as_array().unwrap() {
        let (notes, warnings) = (
            m["notes"].as_array().unwrap(),
            m["warnings"].as_array().unwrap(),
        );
        for w in warnings {
            assert!(notes.contains(w), "{w} is a note too (compatibility)");
            let w = w.as_str().unwrap();
            assert!(text.contains(&format!("warning: {w}")), "{w}\n{text}");
            assert!(!text.contains(&format!("note: {w}")), "{w}");
            warned += 1;
        }
    }
    assert!(warned > 0 || !text.contains("at a bound"), "{text}");
}

/// probe47 7b: the parametric fit ran on the rows in file order, so the
/// public Chinchilla runs reversed gave another optimum in the 7th digit and,
/// through the warm-started bootstrap, intervals different in the 3rd. The
/// law is now fitted on the runs in a canonical order: the same JSON.
#[test]
fn allocate_fits_the_same_runs_in_any_row_order() {
    let Some(src) = shared("chinchilla/svg_extracted_data.csv") else {
        return;
    };
    let text = fs::read_to_string(&src).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    let dir = TempDir::new().unwrap();
    let reversed = dir.path().join("reversed.csv");
    fs::write(&reversed, lines.join("\n") + "\n").unwrap();
    let run = |file: &str| {
        let out = Command::cargo_bin("slaw")
            .unwrap()
            .args([
                "allocate",
                file,
                "--n-col",
                "Model Size",
                "--flops-col",
                "Training FLOP",
                "--budget",
                "1e21",
                "--bootstrap",
                "40",
                "--seed",
                "3",
                "--json",
            ])
            .output()
            .unwrap();
        let v = json_of(&out);
        (v["params"].clone(), v["rows"].clone())
    };
    let (a, b) = (run(src.to_str().unwrap()), run(reversed.to_str().unwrap()));
    assert!(a.1[0]["n_interval"]["lo"].is_number(), "{:?}", a.1);
    assert_eq!(a, b);
}
