//! ux52: six user-facing findings of a new-user probe.
//! 1. `fit --predict` inside the fitted range: the interval was the noise
//!    floor alone, narrower than the curve's own bootstrap band, and was
//!    called "extrapolation"; now an "interpolation" interval holding the
//!    band.
//! 2. `compare` on a curve with x = 0: the laws that cannot take it are
//!    named together, with why and what to do.
//! 3. `select` calls the sizes "size", not "examples" (their unit is not
//!    known).
//! 4. A wide table's blank cells: skipped, and a note says how many, where.
//! 5. `allocate`'s tables in the one number format.
//! 6. `select`'s unit-slip warning at every budget, silent on the real runs.

mod common;

use assert_cmd::Command;
use common::{json_of, shared};
use std::fs;
use std::path::Path;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

fn text_of(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Seven noisy points of a power law, x = 1 .. 64.
const SMALL: &str = "x,y\n1,5.10\n2,4.05\n4,3.70\n8,3.10\n16,2.98\n32,2.60\n64,2.55\n";

fn fit_predict(dir: &Path, level: &str, json: bool) -> std::process::Output {
    let f = dir.join("small.csv");
    fs::write(&f, SMALL).unwrap();
    let mut c = slaw();
    c.args([
        "fit",
        f.to_str().unwrap(),
        "--x",
        "x",
        "--y",
        "y",
        "--law",
        "power",
    ])
    .args(["--bootstrap", "200", "--level", level])
    .args(["--predict", "1", "--predict", "3", "--predict", "64"])
    .args(["--predict", "128"]);
    if json {
        c.arg("--json");
    }
    c.output().unwrap()
}

/// Finding 1: at x = 1, 3 and 64 (inside the data, edges included) the
/// interval holds the bootstrap band and is labelled interpolation; at 128
/// (beyond) it stays the backtest's extrapolation interval. A lower level
/// gives a narrower interval at the level asked.
#[test]
fn an_interval_inside_the_data_holds_the_band_and_says_interpolation() {
    let dir = TempDir::new().unwrap();
    let mut widths = Vec::new();
    for level in ["0.95", "0.8"] {
        let v = json_of(&fit_predict(dir.path(), level, true));
        let ps = v["groups"][0]["predictions"].as_array().unwrap().clone();
        assert_eq!(ps.len(), 4);
        let mut w = Vec::new();
        for p in &ps {
            let x = p["at"][0].as_f64().unwrap();
            let band = &p["interval"];
            let iv = &p["extrapolation_interval"];
            let kind = &p["extrapolation_interval_kind"];
            let (lo, hi) = (iv["lo"].as_f64().unwrap(), iv["hi"].as_f64().unwrap());
            assert_eq!(
                kind["level"].as_f64().unwrap(),
                level.parse::<f64>().unwrap()
            );
            if x <= 64.0 {
                assert_eq!(kind["kind"], "interpolation", "{p}");
                assert_eq!(kind["bootstrap"], true, "{p}");
                assert!(lo <= band["lo"].as_f64().unwrap(), "{p}");
                assert!(hi >= band["hi"].as_f64().unwrap(), "{p}");
            } else {
                assert_eq!(kind["kind"], "backtest", "{p}");
                // beyond the data it holds the band as well (lead, stop 53)
                assert!(lo <= band["lo"].as_f64().unwrap(), "{p}");
                assert!(hi >= band["hi"].as_f64().unwrap(), "{p}");
            }
            w.push(hi - lo);
        }
        widths.push(w);
    }
    for k in 0..4 {
        assert!(widths[1][k] < widths[0][k], "{widths:?}");
    }
    let text = text_of(&fit_predict(dir.path(), "0.95", false));
    let line = |x: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("predict x={x}:")))
            .unwrap()
            .to_string()
    };
    for x in ["1", "3", "64"] {
        assert!(line(x).contains("interpolation 95%: ["), "{text}");
        assert!(!line(x).contains("extrapolation"), "{text}");
    }
    assert!(line("128").contains("extrapolation 95%: ["), "{text}");
    assert!(
        text.contains("(interpolation intervals: 95% predictive inside the fitted range"),
        "{text}"
    );
}

/// Finding 1 without a bootstrap: the legend says what the interval holds
/// (it was the noise floor alone, and said the fit's own uncertainty was not
/// in it; now that uncertainty, linearised, is in it), and the interval is
/// wider than the floor alone (the calibration's `noise`), by the same
/// factor on either side in ln L.
#[test]
fn without_a_bootstrap_the_interpolation_interval_says_what_it_holds() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("small.csv");
    fs::write(&f, SMALL).unwrap();
    let args = [
        "fit",
        f.to_str().unwrap(),
        "--x",
        "x",
        "--y",
        "y",
        "--law",
        "power",
        "--predict",
        "8",
    ];
    let v = json_of(&slaw().args(args).arg("--json").output().unwrap());
    let g = &v["groups"][0];
    let p = &g["predictions"][0];
    assert_eq!(p["extrapolation_interval_kind"]["bootstrap"], false, "{p}");
    let value = p["value"].as_f64().unwrap();
    let (lo, hi) = (
        p["extrapolation_interval"]["lo"].as_f64().unwrap(),
        p["extrapolation_interval"]["hi"].as_f64().unwrap(),
    );
    let floor = g["calibration"]["noise"].as_f64().unwrap();
    let (below, above) = ((value / lo).ln(), (hi / value).ln());
    assert!((below - above).abs() < 1e-9 * above, "{p}");
    assert!(
        above > floor * 1.001,
        "half-width {above} vs floor {floor}: {p}"
    );
    let out = slaw().args(args).output().unwrap();
    let text = text_of(&out);
    assert!(text.contains("interpolation 95%"), "{text}");
    assert!(
        text.contains("the fitted curve's own uncertainty there (its linearised standard error")
            && text
                .contains("combined in quadrature (in ln L) with the fit's residual noise floor")
            && !text.contains("is not included"),
        "{text}"
    );
}

/// Finding 2: x = 0 in a compared curve: the laws that cannot take it are
/// named in one line with the row, why and what to do; JSON alike per law.
#[test]
fn compare_names_the_laws_an_x_of_zero_leaves_out_and_what_to_do() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("zero.csv");
    fs::write(&f, format!("x,y\n0,5.5\n{}", &SMALL[4..])).unwrap();
    let args = ["compare", f.to_str().unwrap(), "--x", "x", "--y", "y"];
    let text = text_of(&slaw().args(args).output().unwrap());
    let line = text
        .lines()
        .find(|l| l.starts_with("skipped: "))
        .unwrap_or_else(|| panic!("{text}"));
    for part in [
        "power, vanilla-ft, bnsl",
        "zero.csv, row 2, column 'x'",
        "x^-a or ln x is infinite at x = 0",
        "leave that row out",
        "shift the column",
    ] {
        assert!(line.contains(part), "{part} not in {line}");
    }
    assert_eq!(text.matches("skipped: ").count(), 1, "{text}");
    let v = json_of(&slaw().args(args).arg("--json").output().unwrap());
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 3, "{v}");
    for s in skipped {
        assert!(
            s["reason"].as_str().unwrap().contains("leave that row out"),
            "{s}"
        );
    }
}

fn select(file: &Path, budget: &str, target: &str, json: bool) -> std::process::Output {
    let mut c = slaw();
    c.args(["select", file.to_str().unwrap(), "--target", target])
        .args(["--budget", budget]);
    if json {
        c.arg("--json");
    }
    c.output().unwrap()
}

/// Finding 3: the header and the cost line say "size", not "examples".
#[test]
fn select_calls_the_sizes_sizes() {
    let Some(flan) = shared("finetune-selection/flan.csv") else {
        return;
    };
    let text = text_of(&select(&flan, "1/64", "1638400", false));
    assert!(text.contains("fine-tunings up to size 25600"), "{text}");
    let cost = text.lines().find(|l| l.starts_with("cost: ")).unwrap();
    assert!(
        cost.contains("(fine-tuning sizes summed over the candidates)"),
        "{cost}"
    );
    assert!(!text.contains("examples"), "{text}");
}

/// The flan table with some cells blanked (`blank`: (row, column) indices
/// of the CSV's records) and one replaced by `bad` when given.
fn flan_with(
    dir: &Path,
    flan: &Path,
    blank: &[(usize, usize)],
    bad: Option<&str>,
) -> std::path::PathBuf {
    let text = fs::read_to_string(flan).unwrap();
    let mut rows: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    for &(r, c) in blank {
        rows[r][c].clear();
    }
    if let Some(b) = bad {
        rows[4][6] = b.to_string();
    }
    let f = dir.join("flan_blank.csv");
    let out: Vec<String> = rows.iter().map(|r| r.join(",")).collect();
    fs::write(&f, out.join("\n") + "\n").unwrap();
    f
}

/// Finding 4: blank cells are skipped with a note (text, JSON notes and
/// `blank_cells`); a non-numeric cell is still an error naming file, row
/// and column.
#[test]
fn a_wide_tables_blank_cells_are_counted_in_a_note() {
    let Some(flan) = shared("finetune-selection/flan.csv") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    let f = flan_with(
        dir.path(),
        &flan,
        &[(1, 14), (1, 15), (2, 15), (3, 5)],
        None,
    );
    let text = text_of(&select(&f, "1/64", "1638400", false));
    let note = "4 blank cells skipped as not measured (curves of different lengths), in \
                columns '1600' (1), '819200' (1), '1638400' (2)";
    assert!(text.contains(&format!("note: {}", f.display())), "{text}");
    assert!(text.contains(note), "{text}");
    let v = json_of(&select(&f, "1/64", "1638400", true));
    assert!(v["notes"][0].as_str().unwrap().ends_with(note), "{v}");
    assert_eq!(v["blank_cells"][2]["column"], "1638400");
    assert_eq!(v["blank_cells"][2]["cells"], 2);
    // No blank cell: no note, no field.
    let v = json_of(&select(&flan, "1/64", "1638400", true));
    assert!(v.get("blank_cells").is_none());
    assert!(!v["notes"].to_string().contains("blank"));
    // A cell that is not a number stays an error.
    let f = flan_with(dir.path(), &flan, &[(1, 14)], Some("n/a"));
    let out = select(&f, "1/64", "1638400", false);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("flan_blank.csv, row 5, column '3200': 'n/a' is not a number"),
        "{err}"
    );
}

/// Finding 5: every number of allocate's table in the one format (`num`
/// of the JSON's values), none with a trailing zero in its mantissa.
#[test]
fn allocate_prints_its_tables_in_the_one_number_format() {
    let args = ["allocate", "--params", "406.4,0.34,410.7,0.28,1.69"];
    let text = text_of(&slaw().args(args).output().unwrap());
    let v = json_of(&slaw().args(args).arg("--json").output().unwrap());
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 7);
    for r in rows {
        let c = slaw::numbers::sci(r["compute"].as_f64().unwrap());
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(c.as_str()))
            .unwrap_or_else(|| panic!("{c} in {text}"));
        let cells: Vec<&str> = line.split_whitespace().collect();
        // D/N, tokens per parameter, to 6 significant digits (`g6`, probe69:
        // 32.0736, not the loss format's 32.07355); the rest as `num`.
        let want: Vec<String> = ["n_opt", "d_opt", "tokens_per_param", "loss"]
            .iter()
            .map(|k| {
                let v = r[k].as_f64().unwrap();
                if *k == "tokens_per_param" {
                    slaw::numbers::g6(v)
                } else {
                    slaw::numbers::num(v)
                }
            })
            .collect();
        assert_eq!(&cells[1..5], &want, "{line}");
    }
}

/// Finding 6: sizes in thousands with a target in examples (the flan
/// table's headers / 1000) are warned about at every budget 1/8 .. 1/512,
/// and the reverse (sizes in examples, target in thousands) too.
#[test]
fn a_unit_slip_is_warned_about_at_every_budget() {
    let Some(flan) = shared("finetune-selection/flan.csv") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    let text = fs::read_to_string(&flan).unwrap();
    let (head, rest) = text.split_once('\n').unwrap();
    let head: Vec<String> = head
        .split(',')
        .map(|h| match h.parse::<f64>() {
            Ok(n) => slaw::numbers::num(n / 1000.0),
            Err(_) => h.to_string(),
        })
        .collect();
    let k = dir.path().join("flan_k.csv");
    fs::write(&k, format!("{}\n{rest}", head.join(","))).unwrap();
    for r in [8, 16, 32, 64, 128, 256, 512] {
        let v = json_of(&select(&k, &format!("1/{r}"), "1638400", true));
        let ws = v["warnings"].to_string();
        assert!(ws.contains("another unit than the target"), "1/{r}: {ws}");
    }
    // The reverse: the target in thousands, the sizes in examples.
    let out = select(&flan, "1", "1638.4", true);
    let v = json_of(&out);
    assert!(
        v["warnings"]
            .to_string()
            .contains("1000x beyond the target 1638.4"),
        "{v}"
    );
}

/// Finding 6: silent on every real run `slaw bench selection` makes (FLAN
/// and WMT19, budgets 1/8 .. 1/512; the warning reads the pool and the
/// budget only, not the method).
#[test]
fn the_unit_slip_warning_is_silent_on_the_real_runs() {
    for ds in ["flan", "wmt19"] {
        let Some(f) = shared(&format!("finetune-selection/{ds}.csv")) else {
            return;
        };
        for r in [8, 16, 32, 64, 128, 256, 512] {
            let v = json_of(&select(&f, &format!("1/{r}"), "1638400", true));
            let ws = v["warnings"].to_string();
            assert!(
                !ws.contains("unit than the") && !ws.contains("stop at size"),
                "{ds} 1/{r}: {ws}"
            );
        }
    }
}
