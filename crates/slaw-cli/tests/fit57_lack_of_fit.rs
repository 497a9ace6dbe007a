//! fit57: the lack-of-fit checks of `slaw fit` and `slaw compare` (probe57
//! findings 1 and 5) on curves generated here: a law that plateaus then
//! drops (the last points below any power law fitted to the plateau) warns,
//! in the text and the JSON's `lack_of_fit`; the power law itself does not.

mod common;

use common::{json_of, slaw, write};
use tempfile::TempDir;

/// A fixed standard-normal-like sequence (the same in every run).
const Z: [f64; 12] = [
    0.31, -1.12, 0.84, 1.37, -0.58, -0.21, 0.97, -1.46, 0.42, -0.88, 1.18, -0.12,
];

/// 12 points log-spaced over [1e3, 1e5]: `plateau` flat at 3 to `BREAK`
/// then 2 + (x / BREAK)^-0.5 (probe57's shape, its drop in the last 4
/// points), else the power law 2 + 30 x^-0.3; noise 1% on ln L.
fn curve(plateau: bool) -> String {
    curve_at(plateau, 2e4)
}

fn curve_at(plateau: bool, brk: f64) -> String {
    let mut s = String::from("n,loss\n");
    for (i, z) in Z.iter().enumerate() {
        let x = 1e3 * 100f64.powf(i as f64 / 11.0);
        let truth = if !plateau {
            2.0 + 30.0 * x.powf(-0.3)
        } else if x <= brk {
            3.0
        } else {
            2.0 + (x / brk).powf(-0.5)
        };
        s.push_str(&format!("{x:.6e},{:.6}\n", truth * (0.01 * z).exp()));
    }
    s
}

fn fit(file: &str, extra: &[&str]) -> (std::process::Output, serde_json::Value) {
    let mut args = vec![
        "fit",
        file,
        "--law",
        "power",
        "--x",
        "n",
        "--y",
        "loss",
        "--predict",
        "4e5",
    ];
    args.extend_from_slice(extra);
    let out = slaw().args(&args).output().unwrap();
    let mut j = args.clone();
    j.push("--json");
    let json = json_of(&slaw().args(&j).output().unwrap());
    (out, json)
}

#[test]
fn a_plateau_then_drop_warns_that_the_law_does_not_follow_the_end() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "plateau.csv", &curve(true));
    let (out, j) = fit(&f, &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("the law does not follow the data's end: the last 3 points are all below"),
        "{text}"
    );
    let lof = j["groups"][0]["lack_of_fit"].as_array().unwrap();
    assert_eq!(lof.len(), 1, "{lof:?}");
    assert_eq!(lof[0]["test"], "end");
    assert_eq!(lof[0]["side"], "below");
    assert!(lof[0]["ratio"].as_f64().unwrap() >= 2.5, "{lof:?}");
    // the unpinned-parameter warning no longer points at predictions that
    // do not depend on the parameters
    let p = &j["groups"][0]["predictions"][0];
    if p["depends_on_unpinned"].as_array().unwrap().is_empty() {
        assert!(
            !text.contains("predictions that depend on them are not determined"),
            "{text}"
        );
    }
}

#[test]
fn the_power_law_itself_does_not_warn() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "clean.csv", &curve(false));
    let (out, j) = fit(&f, &[]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("does not follow"), "{text}");
    assert_eq!(j["groups"][0]["lack_of_fit"], serde_json::json!([]));
}

#[test]
fn held_out_points_all_below_the_fit_warn() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "plateau.csv", &curve(true));
    let (out, j) = fit(&f, &["--holdout", "largest:3"]);
    let g = &j["groups"][0];
    // a fit that is no better than a constant exits 3 and is said so; one
    // that converged says the held-out points are not followed
    if g["fit"]["converged"].as_bool().unwrap() {
        let lof = g["lack_of_fit"].as_array().unwrap();
        assert!(
            lof.iter()
                .any(|l| l["test"] == "held_out" && l["side"] == "below"),
            "{lof:?}"
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("the law does not follow the held-out points: all 3 lie below"),
            "{text}"
        );
    } else {
        assert_eq!(out.status.code(), Some(3), "{out:?}");
    }
}

#[test]
fn compare_says_when_no_law_of_the_pool_follows_the_points() {
    let dir = TempDir::new().unwrap();
    // probe57's shape (the drop in the last 3 points): every law of the
    // pool backtests at 4x the noise or more
    let f = write(&dir, "steps.csv", &curve_at(true, 3e4));
    let args = ["compare", f.as_str(), "--x", "n", "--y", "loss", "--json"];
    let j = json_of(&slaw().args(args).output().unwrap());
    let lof = &j["groups"][0]["lack_of_fit"];
    assert_eq!(lof["test"], "backtest", "{j}");
    assert!(lof["ratio"].as_f64().unwrap() >= 4.0, "{lof}");
    let warned = j["warnings"].as_array().unwrap();
    assert!(
        warned.iter().any(|w| w
            .as_str()
            .unwrap()
            .starts_with("no law of the pool follows these points")),
        "{warned:?}"
    );
    // and a clean power law: no such warning
    let f = write(&dir, "clean.csv", &curve(false));
    let args = ["compare", f.as_str(), "--x", "n", "--y", "loss", "--json"];
    let j = json_of(&slaw().args(args).output().unwrap());
    assert!(j["groups"][0]["lack_of_fit"].is_null(), "{j}");
}
