//! Messages of the fuzzing probe (notes/probe_fz.md, items 5, 7, 10, 12,
//! 13, 14 and 16): an error names the file, row and column of the value
//! that caused it, not a flag the user did not pass, and never prints NaN;
//! a value decades from the rest of its column is warned about, naming its
//! row; R^2 n/a says its true reason; compare's pick warns as fit does.
//! Every input is built here (one test reads the public Chinchilla data).

mod common;

use assert_cmd::Command;
use common::shared;
use slaw::joint::published::{generate, noise_sd, to_csv, EN_DE};
use std::fs;
use std::path::Path;
use tempfile::TempDir;

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("slaw")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// `x,loss` of 12 points of 5 x^-0.3 + 1.5 (x = 1000 * 2^i), with `edit`
/// applied to the rows (index, x, loss).
fn power_csv(edit: impl Fn(usize, &mut String, &mut String)) -> String {
    let mut s = String::from("x,loss\n");
    for i in 0..12 {
        let x = 1000.0 * 2f64.powi(i);
        let l = 5.0 * x.powf(-0.3) + 1.5 + 0.002 * ((i * 7 % 5) as f64 - 2.0);
        let (mut xs, mut ls) = (format!("{x}"), format!("{l}"));
        edit(i as usize, &mut xs, &mut ls);
        s += &format!("{xs},{ls}\n");
    }
    s
}

/// A wide selection file: `models` candidates, sizes 200 * 2^k below
/// 1,638,400, a size column; `edit` may change a (model, column) cell.
fn wide(models: usize, edit: impl Fn(usize, &str, &mut String)) -> String {
    let sizes: Vec<f64> = (0..13).map(|k| 200.0 * 2f64.powi(k)).collect();
    let mut s = String::from("model,0");
    for n in &sizes {
        s += &format!(",{n}");
    }
    s += ",size\n";
    for i in 0..models {
        let b = 20.0 + 15.0 * ((i * 5) % 7) as f64;
        let dl = 8.0 + 5.0 * (i % 4) as f64;
        let beta = 0.2 + 0.02 * ((i * 3) % 7) as f64;
        let e = 0.6 + 0.05 * i as f64;
        let l = |n: f64| b / (dl + n.powf(beta)) + e;
        s += &format!("m{i},{}", l(0.0));
        for &n in &sizes {
            let mut v = format!("{}", l(n));
            edit(i, &format!("{n}"), &mut v);
            s += &format!(",{v}");
        }
        let mut size = format!("{}", 1e8 * (i + 1) as f64);
        edit(i, "size", &mut size);
        s += &format!(",{size}\n");
    }
    s
}

/// Item 13, select: a parameter count of 1e308 in the file no longer
/// blames --epochs / --tokens-per-example with a share of NaN: without
/// them the cost is a share and the count is warned about (its row); with
/// them, the FLOPs overflow names the candidate's row and the count.
#[test]
fn select_blames_a_huge_parameter_count_not_the_flags() {
    let dir = TempDir::new().unwrap();
    let text = wide(6, |i, col, v| {
        if i == 5 && col == "size" {
            *v = "1e308".into();
        }
    });
    fs::write(dir.path().join("c.csv"), text).unwrap();
    let base = ["select", "c.csv", "--target", "409600", "--budget", "1/64"];
    let (code, out, err) = run(dir.path(), &base);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !err.contains("--epochs") && !out.contains("NaN"),
        "{out}{err}"
    );
    assert!(
        out.contains("warning: c.csv, row 7: candidate 'm5': the parameter count 1e308 lies"),
        "{out}"
    );
    let mut args = base.to_vec();
    args.extend(["--tokens-per-example", "512"]);
    let (code, out, err) = run(dir.path(), &args);
    assert_ne!(code, 0, "{out}");
    assert!(
        err.contains("c.csv, row 7") && err.contains("1e308"),
        "{err}"
    );
    assert!(
        err.contains("candidate 'm5'") && !err.contains("NaN"),
        "{err}"
    );
    assert!(!err.contains("--epochs"), "{err}");
}

/// Item 13, methods: a data size of 1e308 or 1e-320 in the file is named
/// (file, row, column 'data'), not `--at` with a range of "0.3:inf".
#[test]
fn methods_names_the_data_size_that_breaks_the_search_range() {
    let dir = TempDir::new().unwrap();
    let csv = to_csv(&generate(&EN_DE, noise_sd(0.005), 2));
    let lines: Vec<&str> = csv.lines().collect();
    let k = lines[0].split(',').position(|c| c == "data").unwrap();
    for bad in ["1e308", "1e-320"] {
        let mut rows: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let mut cells: Vec<String> = rows[3].split(',').map(str::to_string).collect();
        cells[k] = bad.into();
        rows[3] = cells.join(",");
        fs::write(dir.path().join("runs.csv"), rows.join("\n") + "\n").unwrap();
        let (code, out, err) = run(
            dir.path(),
            &[
                "methods",
                "runs.csv",
                "--factor",
                "model_size",
                "--factor",
                "pretrain_tokens",
                "--at",
                "model_size=8e9",
                "--data",
                "3e3",
            ],
        );
        assert_eq!(code, 2, "{bad}: {out}{err}");
        assert!(
            err.contains(&format!(
                "runs.csv, row 4, column 'data': a data size of {bad}"
            )),
            "{bad}: {err}"
        );
        assert!(!err.contains("--at"), "{bad}: {err}");
    }
}

/// Item 13, allocate: N = 1e-320 in a row of the public Chinchilla runs
/// (the 5 highest losses dropped, as the probe) pulls alpha to 0; the error
/// names that row and column, not --params, which was not given.
#[test]
fn allocate_names_the_value_not_params() {
    let Some(src) = shared("chinchilla/svg_extracted_data.csv") else {
        return;
    };
    let text = fs::read_to_string(src).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (n, c, l) = (col("Model Size"), col("Training FLOP"), col("loss"));
    let mut rows: Vec<(f64, f64, String)> = lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            let (nv, cv): (f64, f64) = (cells[n].parse().unwrap(), cells[c].parse().unwrap());
            (nv, cv / (6.0 * nv), cells[l].to_string())
        })
        .collect();
    rows.sort_by(|a, b| {
        let (x, y): (f64, f64) = (a.2.parse().unwrap(), b.2.parse().unwrap());
        x.total_cmp(&y)
    });
    rows.truncate(rows.len() - 5);
    let mut out = String::from("N,D,loss\n");
    for (i, (nv, d, loss)) in rows.iter().enumerate() {
        let nv = if i == 0 {
            "1e-320".to_string()
        } else {
            nv.to_string()
        };
        out += &format!("{nv},{d},{loss}\n");
    }
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("runs.csv"), out).unwrap();
    let (code, stdout, err) = run(dir.path(), &["allocate", "runs.csv", "--d-col", "D"]);
    assert_eq!(code, 2, "{stdout}{err}");
    assert!(
        err.contains("runs.csv, row 2, column 'N': the value 1e-320 lies more than 6 decades"),
        "{err}"
    );
    assert!(!err.contains("--params"), "{err}");
}

/// Item 5: a target so far that predictions underflow is refused for every
/// candidate alike: none is ranked with a predicted loss of 7.5e-186.
#[test]
fn select_refuses_a_target_too_far_for_every_candidate() {
    let Some(flan) = shared("finetune-selection/flan.csv") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    let f = flan.display().to_string();
    let (code, out, err) = run(
        dir.path(),
        &["select", &f, "--target", "1e300", "--budget", "1/64"],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("the target is too far"), "{err}");
    assert!(err.contains("more than 6 decades"), "{err}");
    assert!(!out.contains("chosen"), "{out}");
}

/// Items 7 and 14, fit: a loss of 1e308 among losses near 2 is warned
/// about with its row, and R^2 n/a says the variance overflows, not that
/// the losses are all equal.
#[test]
fn fit_warns_of_a_far_value_and_says_why_r2_is_na() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("p.csv"),
        power_csv(|i, _, l| {
            if i == 2 {
                *l = "1e308".into()
            }
        }),
    )
    .unwrap();
    let (code, out, err) = run(
        dir.path(),
        &["fit", "p.csv", "--law", "power", "--x", "x", "--y", "loss"],
    );
    // The point of 1e308 drags every parameter to a bound: the optimum is
    // worse than a constant, and the fit says so (exit 3) instead of
    // calling it converged.
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("FAILED: no better than a constant"), "{out}");
    assert!(!out.contains("all equal"), "{out}");
    assert!(
        out.contains("R^2 n/a: the variance of the observed losses overflows"),
        "{out}"
    );
    assert!(
        out.contains("warning: p.csv, row 4, column 'loss': the value 1e308 lies 308 decades"),
        "{out}"
    );
    // The clean file: no such warning.
    fs::write(dir.path().join("q.csv"), power_csv(|_, _, _| {})).unwrap();
    let (_, out, _) = run(
        dir.path(),
        &["fit", "q.csv", "--law", "power", "--x", "x", "--y", "loss"],
    );
    assert!(!out.contains("decades from the column"), "{out}");
}

/// Items 7 and 10, compare's backtest pick: an x that never varies and a
/// loss of 1e-320 are warned about in the text and in --json's warnings,
/// as `fit` warns.
#[test]
fn compare_pick_warns_as_fit_does() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("c.csv"),
        power_csv(|_, x, _| *x = "1000".into()),
    )
    .unwrap();
    let args = [
        "compare",
        "c.csv",
        "--x",
        "x",
        "--y",
        "loss",
        "--predict",
        "1e5",
    ];
    let (code, out, err) = run(dir.path(), &args);
    // every point at one x: no better than a constant, exit 3, as fit (ux50)
    assert_eq!(code, 3, "{out}{err}");
    let want = "input 'x' takes one value (1000) at every fitted point";
    assert!(out.contains(&format!("warning: {want}")), "{out}");
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (_, out, _) = run(dir.path(), &json_args);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let w = v["warnings"].as_array().unwrap();
    assert!(
        w.iter().any(|w| w.as_str().unwrap().contains(want)),
        "{w:?}"
    );

    fs::write(
        dir.path().join("s.csv"),
        power_csv(|i, _, l| {
            if i == 5 {
                *l = "1e-320".into()
            }
        }),
    )
    .unwrap();
    let (_, out, _) = run(dir.path(), &["compare", "s.csv", "--x", "x", "--y", "loss"]);
    assert!(
        out.contains("warning: s.csv, row 7, column 'loss': the value 1e-320 lies"),
        "{out}"
    );
    // A clean file has no warnings field entries.
    fs::write(dir.path().join("q.csv"), power_csv(|_, _, _| {})).unwrap();
    let (_, out, _) = run(
        dir.path(),
        &["compare", "q.csv", "--x", "x", "--y", "loss", "--json"],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["warnings"], serde_json::json!([]));
}

/// Item 7, select: a loss of 1e308 at one size is warned about with the
/// candidate's row and the size's column, once.
#[test]
fn select_warns_of_a_far_loss() {
    let dir = TempDir::new().unwrap();
    let text = wide(6, |i, col, v| {
        if i == 2 && col == "200" {
            *v = "1e308".into();
        }
    });
    fs::write(dir.path().join("c.csv"), text).unwrap();
    let (code, out, err) = run(
        dir.path(),
        &["select", "c.csv", "--target", "409600", "--budget", "1/64"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "warning: c.csv, row 4, column '200': candidate 'm2': the loss 1e308 at size 200 lies"
        ),
        "{out}"
    );
    // Once: not also as a point off its curve's trend (and no "inf%").
    assert_eq!(out.matches("candidate 'm2'").count(), 1, "{out}");
    assert!(!out.contains("inf%"), "{out}");
}

/// Item 16: an x of 0 is named as M4's reason (not the point count); a
/// negative x, which no law of the pool takes, exits 2 as `fit` does.
#[test]
fn compare_names_x_at_or_below_zero() {
    let dir = TempDir::new().unwrap();
    for (name, x) in [("z.csv", "0"), ("n.csv", "-1000")] {
        fs::write(
            dir.path().join(name),
            power_csv(|i, xs, _| {
                if i == 0 {
                    *xs = x.into()
                }
            }),
        )
        .unwrap();
    }
    let (code, out, err) = run(dir.path(), &["compare", "z.csv", "--x", "x", "--y", "loss"]);
    assert_eq!(code, 0, "{out}{err}");
    let m4 = out
        .lines()
        .find(|l| l.starts_with("m4-authors-capped"))
        .unwrap();
    assert!(m4.contains("z.csv, row 2: x = 0 (M4 needs x > 0"), "{m4}");
    assert!(!m4.contains("12 points"), "{m4}");
    let (code, out, err) = run(dir.path(), &["compare", "n.csv", "--x", "x", "--y", "loss"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("n.csv, row 2, column 'x': value -1000 must be > 0"),
        "{err}"
    );
}

/// Item 12: allocate on runs of one loss (nothing pinned) prints "not
/// determined", not zero-width 95% intervals; --json has null intervals
/// and lists the unpinned parameters.
#[test]
fn allocate_on_unpinned_data_prints_not_determined() {
    let dir = TempDir::new().unwrap();
    let mut text = String::from("N,D,loss\n");
    for (i, n) in [1e8f64, 3e8, 1e9, 3e9, 1e10].iter().enumerate() {
        for (j, d) in [1e9f64, 1e10, 1e11].iter().enumerate() {
            let _ = (i, j);
            text += &format!("{n},{d},2.0\n");
        }
    }
    fs::write(dir.path().join("flat.csv"), text).unwrap();
    let args = [
        "allocate",
        "flat.csv",
        "--d-col",
        "D",
        "--bootstrap",
        "40",
        "--budget",
        "1e20",
    ];
    let (code, out, err) = run(dir.path(), &args);
    assert_eq!(code, 0, "{out}{err}");
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("1e20"))
        .unwrap();
    assert_eq!(row.matches("not determined").count(), 3, "{row}");
    assert!(!row.contains('['), "{row}");
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (_, out, _) = run(dir.path(), &json_args);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["rows"][0]["n_interval"].is_null(), "{v}");
    assert!(!v["undetermined_by"].as_array().unwrap().is_empty(), "{v}");
}

/// `forecast`: a fitted loss decades from the others is warned about with
/// its step, as `fit` and `compare` warn about such a value with its row;
/// the clean curve gets no such warning.
#[test]
fn forecast_warns_of_a_fitted_loss_decades_from_the_rest() {
    let dir = TempDir::new().unwrap();
    let curve = |odd: Option<usize>| {
        let mut s = String::from("step,loss\n");
        for i in 1..=40 {
            let t = 100.0 * i as f64;
            let l = if Some(i) == odd {
                1e-12
            } else {
                2.0 + 30.0 / t.sqrt()
            };
            s += &format!("{t},{l}\n");
        }
        s
    };
    fs::write(dir.path().join("clean.csv"), curve(None)).unwrap();
    fs::write(dir.path().join("odd.csv"), curve(Some(5))).unwrap();
    let args = |f: &'static str| ["forecast", f, "--fit-until", "0.5", "--method", "power"];
    let (_, out, err) = run(dir.path(), &args("clean.csv"));
    assert!(
        !format!("{out}{err}").contains("decades from every other"),
        "{out}{err}"
    );
    let (_, out, err) = run(dir.path(), &args("odd.csv"));
    let all = format!("{out}{err}");
    assert!(
        all.contains(
            "the loss at step 500 is 1e-12, more than 6 decades from every other fitted loss"
        ),
        "{all}"
    );
}
