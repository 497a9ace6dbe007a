//! sel52: `slaw select` (and `plan`/`report`, which share its selection)
//! on inputs a new user gives it: a higher-is-better column read as the
//! loss, a candidate lacking sizes the others have, a target far past the
//! calibrated extrapolation, candidates left unranked (exit 3), parameter
//! counts in billions. Every input is built here; the public curves check
//! that the new warnings stay silent on real runs.

mod common;

use common::run;
use std::fs;
use tempfile::TempDir;

/// Six rectified-law candidates (the demo's parameters), a wide file at the
/// sizes 200 x 2^k, k < `sizes`, with a fixed +-1% pseudo-noise; `map`
/// turns each loss into the value written (None: a blank cell), `size` the
/// parameter count written for candidate i.
fn wide(
    sizes: i32,
    map: &dyn Fn(usize, f64, f64) -> Option<f64>,
    size: &dyn Fn(usize) -> f64,
) -> String {
    let laws = [
        ("alpha", 199.0, 45.5, 0.33, 0.46),
        ("beta", 332.0, 85.1, 0.395, 0.88),
        ("gamma", 26.8, 9.92, 0.197, 0.69),
        ("delta", 6.88, 3.93, 0.184, 1.16),
        ("eps", 20.7, 8.39, 0.18, 0.56),
        ("zeta", 13.1, 8.33, 0.231, 1.22),
    ];
    let ns: Vec<f64> = (0..sizes).map(|k| 200.0 * 2f64.powi(k)).collect();
    let mut s = String::from("model");
    for n in &ns {
        s += &format!(",{n}");
    }
    s += ",size\n";
    for (i, &(id, b, dl, beta, e)) in laws.iter().enumerate() {
        s += id;
        for (k, &n) in ns.iter().enumerate() {
            let h = ((i * 15 + k) as f64 * 12.9898).sin() * 43758.5453;
            let noise = 0.01 * (2.0 * (h - h.floor()) - 1.0);
            let l = (b / (dl + n.powf(beta)) + e) * noise.exp();
            match map(i, n, l) {
                Some(v) => s += &format!(",{v}"),
                None => s += ",",
            }
        }
        s += &format!(",{}\n", size(i));
    }
    s
}

fn counts(i: usize) -> f64 {
    [1.24e8, 3.5e8, 7.7e8, 1.3e9, 1.5e9, 2.7e9][i]
}

fn warnings(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

const RISE: &str = "the losses rise with the fine-tuning size for";
const FAR: &str = "the target is";
const BOOT: &str = "ranked candidates are a bootstrap of the affordable points";
const UNITS: &str = "every parameter count is below 1e5";

/// A column where higher is better (1 - loss / 5, an "accuracy") read as the
/// loss: every candidate's rises, and a warning asks whether the column is a
/// loss (text and JSON alike). The losses themselves get none.
#[test]
fn a_higher_is_better_column_is_questioned() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("acc.csv"),
        wide(8, &|_, _, l| Some(1.0 - l / 5.0), &counts),
    )
    .unwrap();
    fs::write(
        dir.path().join("loss.csv"),
        wide(8, &|_, _, l| Some(l), &counts),
    )
    .unwrap();
    let args = |f: &'static str| vec!["select", f, "--target", "1638400", "--max-n", "25600"];
    let (code, text, err) = run(dir.path(), &args("acc.csv"));
    assert_eq!(code, 0, "{err}");
    assert!(
        text.lines().any(
            |l| l.starts_with(&format!("warning: {RISE} 6 of 6 candidates"))
                && l.contains("is this column a loss (lower is better)?")
        ),
        "{text}"
    );
    let mut j = args("acc.csv");
    j.push("--json");
    let (_, json, _) = run(dir.path(), &j);
    assert!(
        warnings(&json).iter().any(|w| w.starts_with(RISE)),
        "{json}"
    );
    let mut j = args("loss.csv");
    j.push("--json");
    let (code, json, err) = run(dir.path(), &j);
    assert_eq!(code, 0, "{err}");
    assert!(
        !warnings(&json).iter().any(|w| w.contains("rise")),
        "{json}"
    );
}

/// One candidate whose losses rise (an overfitting curve) among falling
/// ones is named alone.
#[test]
fn one_rising_candidate_is_named() {
    let dir = TempDir::new().unwrap();
    let f = |i: usize, n: f64, l: f64| {
        Some(if i == 2 {
            2.0 * (n / 200.0).powf(0.05)
        } else {
            l
        })
    };
    fs::write(dir.path().join("p.csv"), wide(8, &f, &counts)).unwrap();
    let (code, json, err) = run(
        dir.path(),
        &[
            "select", "p.csv", "--target", "1638400", "--max-n", "25600", "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let ws = warnings(&json);
    assert!(
        ws.iter()
            .any(|w| w.contains("candidate 'gamma': its losses rise with the fine-tuning size")),
        "{ws:?}"
    );
    assert!(!ws.iter().any(|w| w.starts_with(RISE)), "{ws:?}");
}

/// A blank cell at the two largest affordable sizes: a note names them and
/// the smaller size the candidate is extrapolated from.
#[test]
fn a_candidate_lacking_sizes_the_others_have_is_noted() {
    let dir = TempDir::new().unwrap();
    let f = |i: usize, n: f64, l: f64| (!(i == 1 && n > 6400.0)).then_some(l);
    fs::write(dir.path().join("b.csv"), wide(8, &f, &counts)).unwrap();
    let (code, text, err) = run(
        dir.path(),
        &["select", "b.csv", "--target", "1638400", "--max-n", "25600"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains(
            "note: beta has no loss at 12800, 25600, measured for the others: extrapolated from 6400"
        ),
        "{text}"
    );
}

/// A target 1024x the largest affordable size (past the calibrated 512x)
/// is warned about; at the last calibrated ratio, 512x, it is not. With
/// four affordable sizes the line method's interval is the bootstrap's: a
/// `warning:`, in the JSON too.
#[test]
fn a_target_past_the_calibration_and_bootstrap_intervals_are_warned() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("p.csv"),
        wide(8, &|_, _, l| Some(l), &counts),
    )
    .unwrap();
    let (code, json, err) = run(
        dir.path(),
        &[
            "select", "p.csv", "--target", "26214400", "--max-n", "25600", "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let ws = warnings(&json);
    let w = ws
        .iter()
        .find(|w| w.starts_with(FAR))
        .unwrap_or_else(|| panic!("{ws:?}"));
    assert!(
        w.starts_with("the target is 1024x the largest affordable size")
            && w.contains("8x to 512x")
            && w.contains("0.3 decades past that"),
        "{w}"
    );
    let (_, json, _) = run(
        dir.path(),
        &[
            "select", "p.csv", "--target", "13107200", "--max-n", "25600", "--json",
        ],
    );
    assert!(
        !warnings(&json).iter().any(|w| w.starts_with(FAR)),
        "{json}"
    );
    let (code, text, err) = run(
        dir.path(),
        &["select", "p.csv", "--target", "102400", "--max-n", "1600"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("warning: the intervals of 6 of 6") && l.contains(BOOT)),
        "{text}"
    );
    let (_, json, _) = run(
        dir.path(),
        &[
            "select", "p.csv", "--target", "102400", "--max-n", "1600", "--json",
        ],
    );
    assert!(warnings(&json).iter().any(|w| w.contains(BOOT)), "{json}");
}

/// A candidate with two affordable sizes is not ranked: the selection is a
/// partial result and exits 3 (README, Errors), with the ranking printed.
#[test]
fn a_selection_with_unranked_candidates_exits_3() {
    let dir = TempDir::new().unwrap();
    let f = |i: usize, n: f64, l: f64| (!(i == 3 && n < 12800.0)).then_some(l);
    fs::write(dir.path().join("p.csv"), wide(8, &f, &counts)).unwrap();
    let (code, text, err) = run(
        dir.path(),
        &["select", "p.csv", "--target", "1638400", "--max-n", "25600"],
    );
    assert_eq!(code, 3, "{text}\n{err}");
    assert!(text.contains("not ranked"), "{text}");
    assert!(err.contains("1 of 6 candidates not ranked"), "{err}");
    let (code, json, _) = run(
        dir.path(),
        &[
            "select", "p.csv", "--target", "1638400", "--max-n", "25600", "--json",
        ],
    );
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["unranked"].as_array().unwrap().len(), 1);
    // Every candidate ranked: exit 0.
    fs::write(
        dir.path().join("q.csv"),
        wide(8, &|_, _, l| Some(l), &counts),
    )
    .unwrap();
    let (code, _, err) = run(
        dir.path(),
        &["select", "q.csv", "--target", "1638400", "--max-n", "25600"],
    );
    assert_eq!(code, 0, "{err}");
}

/// Parameter counts in billions (0.124, 1.3, 2.7): `select` and `plan` warn,
/// text and JSON; counts get no warning.
#[test]
fn parameter_counts_in_billions_are_warned_in_select_and_plan() {
    let dir = TempDir::new().unwrap();
    let billions = |i: usize| counts(i) / 1e9;
    fs::write(
        dir.path().join("b.csv"),
        wide(8, &|_, _, l| Some(l), &billions),
    )
    .unwrap();
    fs::write(
        dir.path().join("c.csv"),
        wide(8, &|_, _, l| Some(l), &counts),
    )
    .unwrap();
    let args = |f: &'static str| {
        vec![
            "select",
            f,
            "--target",
            "1638400",
            "--max-n",
            "25600",
            "--tokens-per-example",
            "512",
        ]
    };
    let (code, text, err) = run(dir.path(), &args("b.csv"));
    assert_eq!(code, 0, "{err}");
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("warning: {UNITS} (the largest is 2.7)"))),
        "{text}"
    );
    let (_, text, _) = run(dir.path(), &args("c.csv"));
    assert!(!text.contains(UNITS), "{text}");
    let plan = |p: &str| {
        format!(
            "full_size = 1638400\nbudget = \"1/64\"\nmin_size = 200\ncommand = \"x {{model}} {{n}}\"\n\
             loss = {{ kind = \"regex\", pattern = \"l=(.+)\" }}\n\
             [[candidate]]\nid = \"a\"\nparams = {p}\n[[candidate]]\nid = \"b\"\nparams = 2.7\n"
        )
    };
    fs::write(dir.path().join("pb.toml"), plan("0.124")).unwrap();
    fs::write(dir.path().join("pc.toml"), plan("124000000")).unwrap();
    let (code, text, err) = run(dir.path(), &["plan", "pb.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains(&format!("warning: {UNITS}")), "{text}");
    let (code, json, err) = run(dir.path(), &["plan", "pb.toml", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        warnings(&json).iter().any(|w| w.starts_with(UNITS)),
        "{json}"
    );
    // One count among them: not every count is below 1e5.
    let (_, json, _) = run(dir.path(), &["plan", "pc.toml", "--json"]);
    assert!(warnings(&json).is_empty(), "{json}");
}

/// The new checks stay silent on the public curves: FLAN and WMT19 at every
/// budget the benchmark runs (1/8 ... 1/512 of 1638400), every candidate.
#[test]
fn the_new_checks_are_silent_on_the_public_curves() {
    let Some(data) = common::shared("finetune-selection") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    for d in ["flan.csv", "wmt19.csv"] {
        let f = data.join(d);
        for r in [8, 16, 32, 64, 128, 256, 512] {
            let budget = format!("1/{r}");
            let (code, json, err) = run(
                dir.path(),
                &[
                    "select",
                    f.to_str().unwrap(),
                    "--target",
                    "1638400",
                    "--budget",
                    &budget,
                    "--json",
                ],
            );
            assert_eq!(code, 0, "{d} {budget}: {err}");
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            for w in warnings(&json) {
                assert!(
                    ![RISE, "its losses rise", FAR, BOOT, UNITS]
                        .iter()
                        .any(|s| w.contains(s)),
                    "{d} {budget}: {w}"
                );
            }
            let notes = v["notes"].as_array().unwrap();
            assert!(
                !notes
                    .iter()
                    .any(|n| n.as_str().unwrap().contains("has no loss at")),
                "{d} {budget}: {notes:?}"
            );
        }
    }
}
