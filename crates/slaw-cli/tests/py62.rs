//! A new user's findings (probe62) on what the CLI shares with the Python
//! package: a wide table whose headers are all sizes (a pivot written
//! without its index) is refused, not ranked under its zero-shot losses;
//! `allocate --json` is one object with the parametric method and no
//! `--group`, whatever `--where`/`--best-per-size`/`--budget-col` keep; a
//! W&B export's learning-rate column is found as its loss column is.

mod common;
use common::{json_of, run, slaw, write};

fn example(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .display()
        .to_string()
}

/// A wide pool with no model column: the first header is the zero-shot
/// size `0` and its cells are losses. It was taken for the models' names
/// (the ranking read "4.697836556573429" first, exit 0).
#[test]
fn a_wide_table_without_a_model_column_is_refused_naming_the_file_and_column() {
    let dir = tempfile::TempDir::new().unwrap();
    let sizes = [0.0f64, 100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 6400.0];
    let header: Vec<String> = sizes.iter().map(|n| n.to_string()).collect();
    let mut text = format!("{}\n", header.join(","));
    for i in 0..4 {
        let e = 1.0 + 0.1 * i as f64;
        let row: Vec<String> = sizes
            .iter()
            .map(|n| format!("{}", e + 3.0 / (1.0 + n.powf(0.3 + 0.02 * i as f64))))
            .collect();
        text += &row.join(",");
        text += "\n";
    }
    let f = write(&dir, "noid.csv", &text);
    let (code, out, err) = run(
        dir.path(),
        &["select", &f, "--target", "6400", "--max-n", "1600"],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(&f) && err.contains("column '0'"), "{err}");
    assert!(err.contains("no column names the models"), "{err}");
    // With the names in a first column, the same numbers are ranked.
    let named: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("model,{l}\n")
            } else {
                format!("m{i},{l}\n")
            }
        })
        .collect();
    let g = write(&dir, "id.csv", &named);
    let (code, out, err) = run(
        dir.path(),
        &["select", &g, "--target", "6400", "--max-n", "1600"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("m1") && out.contains("m4"), "{out}");
}

/// `--best-per-size`, `--where` and `--budget-col` keep rows; they do not
/// change the JSON's shape: one allocation (an object) with the parametric
/// method and no `--group`, a list with `--group` or `--method all`.
#[test]
fn allocate_json_shape_depends_on_the_method_and_grouping_only() {
    let chin = example("chinchilla.csv");
    let base = ["allocate", chin.as_str(), "--n-col", "N", "--d-col", "D"];
    let json = |more: &[&str]| {
        json_of(
            &slaw()
                .args(base)
                .args(["--bootstrap", "0", "--json"])
                .args(more)
                .output()
                .unwrap(),
        )
    };
    let plain = json(&[]);
    assert!(plain.is_object());
    for more in [vec!["--best-per-size"], vec!["--budget-col", "N"]] {
        let v = json(&more);
        assert!(v.is_object(), "{more:?}: {v}");
        assert!(v["exponent_n"].is_number() && v["rows"].is_array(), "{v}");
        let (a, b) = (
            v["exponent_n"].as_f64().unwrap(),
            plain["exponent_n"].as_f64().unwrap(),
        );
        assert!((a / b - 1.0).abs() < 1e-6, "{more:?}: {a} vs {b}");
        // (exit 3 where a method cannot run on chinchilla's grid: still a list)
        let out = slaw()
            .args(base)
            .args(["--bootstrap", "0", "--json", "--method", "all"])
            .args(&more)
            .output()
            .unwrap();
        let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(all.is_array(), "{all}");
    }
    // A filter that leaves too few runs: the error of the unfiltered
    // command (JSON `null` and exit 3 before), text and JSON alike.
    for json_flag in [true, false] {
        let mut cmd = slaw();
        cmd.args(base)
            .args(["--bootstrap", "0", "--where", "D=6.6667e9"]);
        if json_flag {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("the parametric law could not be fitted to the 1 run kept"),
            "{err}"
        );
    }
}

/// A W&B export's `RUN - train/learning_rate` was ignored while its
/// `RUN - train/loss` was read: the forecast said "no learning rate" and
/// fitted the warmup. It is found now, with a note naming it, and the
/// forecast is the one with `--lr-col` naming it.
#[test]
fn a_wandb_exports_learning_rate_column_is_found_and_named() {
    let dir = tempfile::TempDir::new().unwrap();
    let text = std::fs::read_to_string(example("run.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("step,lr,loss"));
    let body: String = lines.map(|l| format!("{l}\n")).collect();
    let f = write(
        &dir,
        "wandb.csv",
        &format!("Step,run-1 - train/learning_rate,run-1 - train/loss\n{body}"),
    );
    let args = [
        "forecast",
        f.as_str(),
        "--step-col",
        "Step",
        "--fit-until",
        "0.2",
        "--bootstrap",
        "0",
        "--json",
    ];
    let out = slaw().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let found = json_of(&out);
    assert!(
        err.contains("the learning rate is read from 'run-1 - train/learning_rate'"),
        "{err}"
    );
    let named = json_of(
        &slaw()
            .args(args)
            .args(["--lr-col", "run-1 - train/learning_rate"])
            .output()
            .unwrap(),
    );
    assert_eq!(found["forecasts"], named["forecasts"]);
    assert_eq!(found["fit_points"], named["fit_points"]);
    assert!(found["method"].as_str().is_some());
    // A wide export, a rate per run: the loss column's run's rate is read
    // (run-2's, logged at twice the rate, is not).
    let two = write(
        &dir,
        "two.csv",
        &format!(
            "Step,run-2 - train/learning_rate,run-1 - train/learning_rate,run-1 - train/loss\n{}",
            text.lines()
                .skip(1)
                .map(|l| {
                    let c: Vec<&str> = l.split(',').collect();
                    let lr2 = 2.0 * c[1].parse::<f64>().unwrap();
                    format!("{},{lr2},{},{}\n", c[0], c[1], c[2])
                })
                .collect::<String>()
        ),
    );
    let out = slaw()
        .args(["forecast", &two, "--step-col", "Step", "--fit-until", "0.2"])
        .args(["--bootstrap", "0", "--json"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let v = json_of(&out);
    assert!(
        err.contains("the learning rate is read from 'run-1 - train/learning_rate'"),
        "{err}"
    );
    assert_eq!(v["forecasts"], named["forecasts"]);
}
