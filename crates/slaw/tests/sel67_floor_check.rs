//! `select`'s pool-level floor check (BENCHMARKS.md, "select's interval: a
//! pool-level floor check"): where most of the pool's curves show a floor
//! within reach (their rectified-law fits' floors lie within twice the drop
//! the interval's centre predicts), each candidate's floor fit joins the
//! spread of the learned interval. Asserted on seeds used by no development
//! (probe64's design, seeds 7100-7139; the variant with 3% noise and
//! beta ~ U(0.2, 0.7), 20 candidates, seeds 8100-8119), and on FLAN and
//! WMT19: the check stays off where their intervals were in band, and the
//! default's leave-one-dataset-out coverage stays in band.

mod common;

use common::rectified_pool_with as pool;
use slaw::datasets::Candidate;
use slaw::selection::method::{Method, PoolContext};
use slaw::selection::protocol::{run_lodo, RATIOS};
use slaw::selection::{select, trend, Budget, SelectOptions};

const TARGET: f64 = common::RECTIFIED_POOL_TARGET;

/// The share of every ranked candidate's 90% interval holding the truth,
/// and the pools whose chosen candidate's interval holds it, over `seeds`.
fn coverage(
    seeds: std::ops::Range<u64>,
    n: usize,
    noise: f64,
    beta: (f64, f64),
    ratio: f64,
) -> (f64, usize) {
    let budget = Budget::new(TARGET, TARGET / ratio).unwrap();
    let (mut covered, mut total, mut chosen) = (0, 0, 0);
    for seed in seeds {
        let (cands, truth) = pool(seed, n, noise, beta);
        let sel = select(&cands, Method::DEFAULT, budget, &SelectOptions::default()).unwrap();
        for (pos, row) in sel.ranking.iter().enumerate() {
            let iv = row.estimate.interval.expect("an interval");
            let t = truth[row.index];
            let inside = iv.lo <= t && t <= iv.hi;
            covered += usize::from(inside);
            total += 1;
            chosen += usize::from(inside && pos == sel.choice.position);
        }
    }
    (covered as f64 / total as f64, chosen)
}

#[test]
fn on_fresh_rectified_pools_the_90_interval_covers_80_to_97_percent() {
    // Measured (all candidates; chosen candidate's pools):
    // probe64's design 94.4, 93.1, 95.0, 93.8% (38, 39, 40, 38 of 40);
    // the variant 93.8, 91.8, 89.5, 89.8% (20, 19, 17, 19 of 20)
    // at 1/16, 1/32, 1/64, 1/128 (before the check: 72.8, 63.1, 71.9,
    // 78.8% and 83.8, 78.2, 71.2, 72.5%).
    for ratio in [16.0, 32.0, 64.0, 128.0] {
        let (cov, chosen) = coverage(7100..7140, 8, 0.01, (0.3, 0.6), ratio);
        eprintln!("probe64 design 1/{ratio}: {cov:.3}, chosen {chosen}/40");
        assert!((0.8..=0.97).contains(&cov), "1/{ratio}: {cov}");
        assert!(chosen >= 32, "1/{ratio}: chosen {chosen}/40");
        let (cov, chosen) = coverage(8100..8120, 20, 0.03, (0.2, 0.7), ratio);
        eprintln!("variant 1/{ratio}: {cov:.3}, chosen {chosen}/20");
        assert!((0.8..=0.97).contains(&cov), "variant 1/{ratio}: {cov}");
        assert!(chosen >= 16, "variant 1/{ratio}: chosen {chosen}/20");
    }
}

fn datasets() -> Option<Vec<(String, Vec<Candidate>)>> {
    common::finetune_pools()
}

#[test]
fn flan_and_wmt19_show_no_floor_where_their_intervals_were_in_band() {
    let Some(ds) = datasets() else { return };
    let m = Method::DEFAULT;
    let mut on = Vec::new();
    for (name, cands) in &ds {
        for &r in &RATIOS {
            let budget = Budget::new(TARGET, TARGET / r as f64).unwrap();
            let ctx = PoolContext::of(&m, cands, &budget, &trend::PRIOR, Some(0.9));
            let f = ctx.floor.expect("a learned interval, a floor check");
            assert_eq!(f.candidates, cands.len(), "{name} 1/{r}");
            if f.shows_floor() {
                on.push(format!("{name} 1/{r}"));
            }
        }
    }
    // Measured: WMT19 at 1/256 and 1/512 only (the pool's median ratio of
    // the floor's depth to the centre's drop 1.27 and 0.76; FLAN 5.8-31,
    // WMT19 2.9-12.7 at 1/8-1/128).
    assert_eq!(on, ["wmt19 1/256", "wmt19 1/512"]);
}

#[test]
fn the_defaults_coverage_left_one_dataset_out_stays_in_band() {
    let Some(ds) = datasets() else { return };
    let rows = run_lodo(&ds, &[Method::DEFAULT], 0.9, 0, &()).unwrap();
    let mut in_band = 0;
    for r in &rows {
        let c = r.coverage.expect("a coverage");
        eprintln!("{} 1/{}: {:.0}%", r.dataset, r.ratio, 100.0 * c);
        assert!(c >= 0.8, "{} 1/{}: {c}", r.dataset, r.ratio);
        in_band += usize::from(c <= 0.97 + 1e-9);
    }
    // Measured: FLAN 83, 83, 90, 97, 97, 93, 100%; WMT19 97, 93, 97, 80,
    // 87, 83, 90% (1/512 was 87% before the check; the rest unchanged).
    assert_eq!(rows.len(), 14);
    assert!(in_band >= 13, "{in_band} of 14 in 80-97%");
}
