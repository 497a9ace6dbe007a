//! Two measurements behind `select`'s interval on pools of rectified-law
//! candidates (BENCHMARKS.md, "select's interval: each candidate's own
//! floor fit on the upper side, and the winner's curse"):
//!
//! - the winner's curse: the chosen candidate's interval of the three line
//!   hypotheses (the interval before the pool-level floor check) covers the
//!   truth less often than the pool's intervals do, and when it misses, the
//!   truth lies above it (its prediction is the pool's lowest, the likeliest
//!   to be too optimistic); `select`'s interval, which spans each
//!   candidate's floor fit where the pool shows a floor within reach, holds
//!   the chosen one's truth in most pools (BENCHMARKS.md, "select's
//!   interval: a pool-level floor check");
//! - why widening the upper end up to each candidate's own rectified-law
//!   fit (with its floor) did not pass: that fit is unbiased on pools whose
//!   curves follow the rectified law, but lies above the truth for most of
//!   FLAN's and WMT19's candidates, so a scale learned on those datasets
//!   shrinks and the lower end under-covers there.

mod common;

use common::rectified_pool as pool;
use slaw::datasets::{finetune_wide, Candidate};
use slaw::fit::fit;
use slaw::law::catalog;
use slaw::selection::method::{
    curve_observations, law_fit_options, law_points, Method, PoolContext,
};
use slaw::selection::{select, trend, Budget, SelectOptions};

const TARGET: f64 = common::RECTIFIED_POOL_TARGET;

/// ln(fit / truth) of the rectified law fitted to each candidate's
/// affordable points with its zero-shot point first (the `rectified-fit`
/// method's fit, without its bootstrap), at the target.
fn floor_fit_errors(cands: &[Candidate], truth: &[f64], budget: &Budget) -> Vec<f64> {
    let law = catalog::rectified();
    cands
        .iter()
        .zip(truth)
        .filter_map(|(c, t)| {
            let curve = law_points(&budget.affordable(c), c, true);
            let res = fit(&law, &curve_observations(&curve), &law_fit_options()).ok()?;
            let p = res.predict(&[budget.target]);
            (p.is_finite() && p > 0.0).then(|| (p / t).ln())
        })
        .collect()
}

fn share_above(v: &[f64]) -> f64 {
    v.iter().filter(|e| **e > 0.0).count() as f64 / v.len() as f64
}

#[test]
fn the_chosen_candidates_interval_covers_less_than_the_pools_and_misses_below_the_truth() {
    for ratio in [32.0, 64.0] {
        let budget = Budget::new(TARGET, TARGET / ratio).unwrap();
        let (mut covered, mut total) = (0, 0);
        let (mut chosen_covered, mut chosen_low, mut pools) = (0, 0, 0);
        let mut shipped_chosen = 0;
        for seed in 0..40 {
            let (cands, truth) = pool(seed, 8);
            let m = Method::DEFAULT;
            let sel = select(&cands, m, budget, &SelectOptions::default()).unwrap();
            let ctx = PoolContext::of(&m, &cands, &budget, &trend::PRIOR, Some(0.9));
            for (pos, row) in sel.ranking.iter().enumerate() {
                let (lo, hi) =
                    common::three_hypothesis_interval(&ctx, &m, &cands[row.index], &budget)
                        .expect("an interval");
                let t = truth[row.index];
                let inside = lo <= t && t <= hi;
                covered += usize::from(inside);
                total += 1;
                if pos == sel.choice.position {
                    pools += 1;
                    chosen_covered += usize::from(inside);
                    chosen_low += usize::from(hi < t);
                    let iv = row.estimate.interval.expect("an interval");
                    shipped_chosen += usize::from(iv.lo <= t && t <= iv.hi);
                }
            }
        }
        let (all, chosen) = (
            covered as f64 / total as f64,
            chosen_covered as f64 / pools as f64,
        );
        eprintln!(
            "1/{ratio}: all candidates {covered}/{total}, chosen {chosen_covered}/{pools}, \
             chosen's misses below the truth {chosen_low}/{}; select's interval: chosen \
             {shipped_chosen}/{pools}",
            pools - chosen_covered
        );
        // Measured here: all 63.8% and 71.9%, the chosen one's 16/40 and
        // 19/40 at 1/32 and 1/64, every miss below the truth (probe64's
        // Python pools, seeds 0-39: 64.4% / 70.3%, 10/40 / 14/40).
        assert!(chosen + 0.15 < all, "chosen {chosen} vs all {all}");
        // Its misses are the interval lying below the truth.
        assert!(
            5 * chosen_low >= 4 * (pools - chosen_covered),
            "{chosen_low}/{}",
            pools - chosen_covered
        );
        // `select`'s interval spans the floor fits here: the chosen one's
        // truth is held in most pools (measured 37 and 40 of 40).
        assert!(5 * shipped_chosen >= 4 * pools, "{shipped_chosen}/{pools}");
    }
}

#[test]
fn the_floor_fit_is_unbiased_on_rectified_pools_but_pessimistic_on_flan_and_wmt19() {
    let budget = Budget::new(TARGET, TARGET / 64.0).unwrap();
    let mut synthetic = Vec::new();
    for seed in 0..12 {
        let (cands, truth) = pool(seed, 8);
        synthetic.extend(floor_fit_errors(&cands, &truth, &budget));
    }
    let above = share_above(&synthetic);
    eprintln!("synthetic 1/64: floor fit above the truth for {above:.2}");
    // The pools follow the fitted law: the fit lies above the truth about
    // half the time (probe64's Python pools: 48% at 1/64).
    assert!((0.3..=0.7).contains(&above), "{above}");

    let Some(dir) = common::shared_data("finetune-selection") else {
        return;
    };
    // Measured: FLAN 87% above at 1/64 (median +0.12 ln), WMT19 80% at
    // 1/256 (median +0.27 ln).
    for (name, ratio) in [("flan", 64.0), ("wmt19", 256.0)] {
        let cands = finetune_wide(&dir.join(format!("{name}.csv"))).unwrap();
        let truth: Vec<f64> = cands.iter().map(|c| c.loss_at(TARGET).unwrap()).collect();
        let budget = Budget::new(TARGET, TARGET / ratio).unwrap();
        let errs = floor_fit_errors(&cands, &truth, &budget);
        let above = share_above(&errs);
        eprintln!("{name} 1/{ratio}: floor fit above the truth for {above:.2}");
        assert!(errs.len() >= 25, "{}", errs.len());
        assert!(above >= 0.7, "{name}: {above}");
    }
}
