//! acc55: a candidate still accelerating at its largest affordable size
//! gets a predictive interval open below (its lower end the rectified
//! law's bound with the power phase starting at the budget), and the
//! chosen line says it may be better and at which size to fine-tune it.

mod common;

use common::json_of;
use std::process::Command;

/// probe54's known-truth pool lp-s1 (8 rectified-law candidates, 1% noise):
/// cand00 (B 6000, D_l 1500, beta 0.7) is the true best at 1638400 (loss
/// 0.5417), its power phase starting past the budget 3200 (1/512).
const POOL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/acc55_lp_s1.csv");
const CAND00_TRUTH: f64 = 0.5417;

fn slaw() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slaw"))
}

fn select(args: &[&str]) -> std::process::Output {
    slaw()
        .args(["select", POOL, "--target", "1638400", "--budget", "1/512"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn acc55_an_accelerating_candidate_is_open_below_and_may_be_better() {
    let j = json_of(&select(&["--json"]));
    let ranking = j["ranking"].as_array().unwrap();
    let c0 = ranking.iter().find(|r| r["id"] == "cand00").unwrap();
    let ob = &c0["open_below"];
    let (lo, hi) = (
        c0["interval"]["lo"].as_f64().unwrap(),
        c0["interval"]["hi"].as_f64().unwrap(),
    );
    let calibrated = ob["calibrated_lo"].as_f64().unwrap();
    let bound = ob["law_bound"].as_f64().unwrap();
    // The calibrated interval missed the truth from above; the open one
    // covers it, its lower end the law's bound.
    assert!(calibrated > CAND00_TRUTH, "{ob}");
    assert!(lo <= CAND00_TRUTH && CAND00_TRUTH <= hi, "{c0}");
    assert_eq!(lo, bound.min(calibrated));
    // 2 L_m / (1 + 512^0.76), L_m the loss at 3200.
    let l_m = 3.613961_f64;
    let expect = 2.0 * l_m / (1.0 + 512f64.powf(0.76));
    assert!((bound / expect - 1.0).abs() < 0.01, "{bound} vs {expect}");
    assert!(ob["covers"].as_str().unwrap().starts_with("lower end open"));
    assert_eq!(ob["fine_tune_at"], 6400.0);
    // The risk interval (the decisions') is not opened.
    assert!(c0["risk_interval"]["lo"].as_f64().unwrap() > lo);
    // The candidates not flagged keep their intervals closed.
    let open: Vec<&str> = ranking
        .iter()
        .filter(|r| r.get("open_below").is_some())
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let notes: Vec<&str> = j["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    for r in ranking {
        let id = r["id"].as_str().unwrap();
        let noted = notes
            .iter()
            .any(|n| n.starts_with(&format!("'{id}' is still accelerating")));
        assert_eq!(open.contains(&id), noted, "{id}: {open:?} {notes:?}");
    }
    // The choice is not cand00, which is named as possibly better.
    let choice = &j["choice"];
    let chosen = ranking[choice["position"].as_u64().unwrap() as usize]["id"]
        .as_str()
        .unwrap();
    assert_ne!(chosen, "cand00");
    let mbb = choice["may_be_better"].as_array().unwrap();
    assert!(
        mbb.iter()
            .any(|m| m["id"] == "cand00" && m["fine_tune_at"] == 6400.0),
        "{choice}"
    );
    // The text: the marker, its footnote and the chosen line's clause.
    let out = select(&[]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text
        .lines()
        .find(|l| l.contains(" cand00 "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("]<"), "{row}");
    assert!(
        text.lines().any(|l| l.starts_with("<: ")
            && l.contains("'cand00'")
            && l.contains("lower end open")),
        "{text}"
    );
    let chosen_line = text.lines().find(|l| l.starts_with("chosen: ")).unwrap();
    assert!(
        chosen_line.contains("'cand00' (rank") && chosen_line.contains("6400 before ruling it out"),
        "{chosen_line}"
    );
}
