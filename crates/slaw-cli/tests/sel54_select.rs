//! sel54: `slaw select` fixes from a new user's probe on known-truth pools
//! (probe54): AtS's pick kept when every interval is a bootstrap, one
//! method for a pool whose candidates partly lack the zero-shot loss, a
//! note on a curve still accelerating at its largest affordable size, the
//! drift caveat as a note, AtS's line printed beside the gap score.

mod common;

use common::json_of;
use std::process::Command;

fn slaw() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slaw"))
}

/// probe54's pool n3-s13 (3 rectified-law candidates, 1% noise; truth at
/// 1638400: cand01 best, cand00 worst): at 1/512 every interval falls back
/// to a bootstrap of the points.
const N3_S13: &str = "\
config name,0,200,400,800,1600,3200,6400,12800,25600,51200,102400,204800,409600,819200,1638400,size,family
cand00,4.709753,3.253415,3.048933,2.800698,2.665712,2.466102,2.324984,2.179067,2.021574,1.857518,1.800075,1.674340,1.653324,1.555866,1.512843,100000000,fam0
cand01,2.742751,1.965843,1.936179,1.847558,1.788612,1.713367,1.667479,1.580280,1.520465,1.456244,1.357060,1.336205,1.254139,1.180621,1.139999,200000000,fam1
cand02,2.391243,2.197358,2.122533,2.095770,2.048368,2.007472,1.920336,1.871532,1.761235,1.684322,1.623599,1.537967,1.439845,1.364305,1.277214,300000000,fam2
";

fn select(dir: &tempfile::TempDir, name: &str, csv: &str, args: &[&str]) -> serde_json::Value {
    let f = dir.path().join(name);
    std::fs::write(&f, csv).unwrap();
    let out = slaw()
        .args([
            "select",
            f.to_str().unwrap(),
            "--target",
            "1638400",
            "--json",
        ])
        .args(args)
        .output()
        .unwrap();
    json_of(&out)
}

/// Rectified-law candidates (B, D_l, beta, E) at 0 and 200 x 2^k, k < 8,
/// a fixed +-1% pseudo-noise; `zero_shot(i)`: whether candidate i has the
/// N = 0 loss (a blank cell otherwise).
fn pool(laws: &[(&str, f64, f64, f64, f64)], zero_shot: &dyn Fn(usize) -> bool) -> String {
    let ns: Vec<f64> = std::iter::once(0.0)
        .chain((0..8).map(|k| 200.0 * 2f64.powi(k)))
        .collect();
    let mut s = String::from("model");
    for n in &ns {
        s += &format!(",{n}");
    }
    s += "\n";
    for (i, &(id, b, dl, beta, e)) in laws.iter().enumerate() {
        s += id;
        for (k, &n) in ns.iter().enumerate() {
            let h = ((i * 15 + k) as f64 * 12.9898).sin() * 43758.5453;
            let noise = 0.01 * (2.0 * (h - h.floor()) - 1.0);
            let l = (b / (dl + n.powf(beta)) + e) * noise.exp();
            if n == 0.0 && !zero_shot(i) {
                s += ",";
            } else {
                s += &format!(",{l}");
            }
        }
        s += "\n";
    }
    s
}

const DEMO_LAWS: [(&str, f64, f64, f64, f64); 6] = [
    ("alpha", 199.0, 45.5, 0.33, 0.46),
    ("beta", 332.0, 85.1, 0.395, 0.88),
    ("gamma", 26.8, 9.92, 0.197, 0.69),
    ("delta", 6.88, 3.93, 0.184, 1.16),
    ("eps", 20.7, 8.39, 0.18, 0.56),
    ("zeta", 13.1, 8.33, 0.231, 1.22),
];

fn strs(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// probe54 #8: with every interval a bootstrap, the default recommended
/// the lowest gap score (here the true worst, cand00); it now keeps AtS's
/// pick (cand01, the true best) unless the lowest score's interval lies
/// entirely below it, and says so.
#[test]
fn sel54_bootstrap_intervals_keep_ats_pick() {
    let dir = tempfile::tempdir().unwrap();
    let j = select(&dir, "n3.csv", N3_S13, &["--budget", "1/512"]);
    let rk = j["ranking"].as_array().unwrap();
    assert!(rk.iter().all(|r| r["interval_kind"]["kind"] == "bootstrap"));
    let ats = rk
        .iter()
        .enumerate()
        .min_by(|a, b| {
            let f = |r: &serde_json::Value| r["detail"]["power_phase_loss"].as_f64().unwrap();
            f(a.1).total_cmp(&f(b.1))
        })
        .unwrap()
        .0;
    assert_ne!(ats, 0, "the pool's point: AtS's pick is not rank 1");
    let overlap =
        rk[0]["interval"]["hi"].as_f64().unwrap() >= rk[ats]["interval"]["lo"].as_f64().unwrap();
    assert!(overlap);
    assert_eq!(j["choice"]["position"].as_u64().unwrap() as usize, ats);
    assert_eq!(rk[ats]["id"], "cand01");
    let rule = j["choice"]["rule"].as_str().unwrap();
    assert!(
        rule.contains("AtS's pick") && rule.contains("bootstrap"),
        "{rule}"
    );
}

/// probe54 #9: a candidate without the zero-shot loss was scored by
/// ats-trend and the others by the gap score (two scales in one ranking);
/// the whole pool is now ranked by ats-trend, the JSON's method says so and
/// a note explains. A pool where all have it stays ats-gap.
#[test]
fn sel54_a_pool_partly_without_zero_shot_is_ranked_by_one_method() {
    let dir = tempfile::tempdir().unwrap();
    let mixed = pool(&DEMO_LAWS, &|i| i != 2);
    let j = select(&dir, "mixed.csv", &mixed, &["--max-n", "25600"]);
    assert_eq!(j["method"]["name"], "ats-trend");
    let notes = strs(&j["notes"]);
    assert!(
        notes.iter().any(
            |n| n.starts_with("1 of 6 scored candidates have no zero-shot loss")
                && n.contains("the whole pool is ranked by ats-trend")
        ),
        "{notes:?}"
    );
    // The same scores as asking for ats-trend.
    let t = select(
        &dir,
        "mixed.csv",
        &mixed,
        &["--max-n", "25600", "--method", "ats-trend"],
    );
    let scores = |j: &serde_json::Value| -> Vec<(String, f64)> {
        j["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().into(),
                    r["score"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(scores(&j), scores(&t));
    let full = pool(&DEMO_LAWS, &|_| true);
    let g = select(&dir, "full.csv", &full, &["--max-n", "25600"]);
    assert_eq!(g["method"]["name"], "ats-gap");
    assert!(!strs(&g["notes"]).iter().any(|n| n.contains("zero-shot")));
}

/// probe54 #6: a candidate whose power phase starts past the budget (its
/// ln-ln slope steepening over its last affordable sizes) gets a note; the
/// demo's laws do not.
#[test]
fn sel54_a_curve_still_accelerating_gets_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut laws = DEMO_LAWS.to_vec();
    laws.push(("late", 6000.0, 1500.0, 0.7, 0.3));
    let csv = pool(&laws, &|_| true);
    let j = select(&dir, "late.csv", &csv, &["--max-n", "25600"]);
    let acc: Vec<String> = strs(&j["notes"])
        .into_iter()
        .filter(|n| n.contains("still accelerating at the largest affordable size"))
        .collect();
    assert_eq!(acc.len(), 1, "{acc:?}");
    assert!(
        acc[0].starts_with("'late' is still accelerating"),
        "{}",
        acc[0]
    );
    assert!(acc[0].contains("before ruling it out"), "{}", acc[0]);
}

/// probe54 #4: the default's score is said to be a ranking score whose
/// level can be low, and AtS's own line prediction is printed beside it.
#[test]
fn sel54_the_gap_score_is_said_to_rank_and_ats_line_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("full.csv");
    std::fs::write(&f, pool(&DEMO_LAWS, &|_| true)).unwrap();
    let out = slaw()
        .args([
            "select",
            f.to_str().unwrap(),
            "--target",
            "1638400",
            "--max-n",
            "25600",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("a ranking score"), "{text}");
    let j = select(
        &dir,
        "full.csv",
        &pool(&DEMO_LAWS, &|_| true),
        &["--max-n", "25600"],
    );
    for r in j["ranking"].as_array().unwrap() {
        let line = r["detail"]["power_phase_loss"].as_f64().unwrap();
        let id = r["id"].as_str().unwrap();
        let row = text
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(id))
            .unwrap();
        assert!(row.contains("; AtS line "), "{row}");
        let printed: f64 = row
            .rsplit("; AtS line ")
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!((printed / line - 1.0).abs() < 1e-3, "{printed} vs {line}");
    }
}
