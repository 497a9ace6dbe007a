//! Why `select`'s 90% interval under-covered on pools of rectified-law
//! candidates at 1/64 before the floor check (BENCHMARKS.md, "select's interval on pools it was
//! not tuned on: the diagnosis and two fixes measured"): the curves still
//! bend toward their floor past the budget, and none of the extrapolation
//! hypotheses whose disagreement sets the width bends with them. The truth
//! lies above every hypothesis for most candidates, the pool's backtest
//! drift (curves still steepening inside the affordable sizes) moves the
//! centre down while the error at the target is up, and the misses are
//! the interval lying below the truth. Neither fix measured then (a
//! flattening hypothesis in the spread; a self-check of the pool at shorter
//! reaches) passed its pre-registered adoption rule, so this test pins the
//! diagnosis, on the interval of the three line hypotheses alone. What
//! passed later (BENCHMARKS.md, "select's interval: a pool-level floor
//! check"): where most of the pool's curves show a floor within reach, the
//! candidate's own rectified-law fit joins the spread; `select`'s interval
//! covers these pools.

mod common;

use common::rectified_pool as pool;
use slaw::selection::method::{Hypotheses, Method, PoolContext};
use slaw::selection::{select, trend, Budget, SelectOptions};

const TARGET: f64 = common::RECTIFIED_POOL_TARGET;

#[test]
fn at_1_64_the_hypotheses_share_the_optimistic_bias_of_curves_bending_to_a_floor() {
    let budget = Budget::new(TARGET, TARGET / 64.0).unwrap();
    let m = Method::DEFAULT;
    let (mut above_all, mut total) = (0, 0);
    let (mut covered, mut misses, mut misses_low) = (0, 0, 0);
    let (mut shipped_covered, mut pools_with_floor) = (0, 0);
    let (mut drift, mut realized) = (Vec::new(), Vec::new());
    for seed in 0..12 {
        let (cands, truth) = pool(seed, 8);
        let ctx = PoolContext::of(&m, &cands, &budget, &trend::PRIOR, Some(0.9));
        let cal = ctx.calibration.expect("the pool calibrates");
        drift.push(cal.recent_drift);
        for (c, t) in cands.iter().zip(&truth) {
            let pts = budget.affordable(c);
            let (h, _) = Hypotheses::at(&pts, m.ats.k, m.ats.delta, &ctx.trend, None, TARGET)
                .expect("a line");
            let top = h.line.max(h.steepening).max(h.trend);
            above_all += usize::from(t.ln() > top);
            total += 1;
            // The interval's centre hypothesis (ats-trend's prediction).
            let r = (TARGET / pts[pts.len() - 1].0).ln();
            realized.push((t.ln() - 0.5 * (h.line + h.trend)) / r);
        }
        for (c, &t) in cands.iter().zip(&truth) {
            let (lo, hi) =
                common::three_hypothesis_interval(&ctx, &m, c, &budget).expect("an interval");
            if lo <= t && t <= hi {
                covered += 1;
            } else {
                misses += 1;
                misses_low += usize::from(hi < t);
            }
        }
        // The pool shows its floor: `select`'s interval spans the floor fits.
        pools_with_floor += usize::from(ctx.floor.is_some_and(|f| f.shows_floor()));
        let sel = select(&cands, m, budget, &SelectOptions::default()).unwrap();
        for row in &sel.ranking {
            let iv = row.estimate.interval.expect("an interval");
            let t = truth[row.index];
            shipped_covered += usize::from(iv.lo <= t && t <= iv.hi);
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let cov = covered as f64 / total as f64;
    let shipped = shipped_covered as f64 / total as f64;
    eprintln!(
        "truth above every hypothesis {above_all}/{total}; drift {:.4} vs realized {:.4} per unit r; \
         three hypotheses' coverage {cov:.3}, misses below the truth {misses_low}/{misses}; \
         pools showing a floor {pools_with_floor}/12, select's coverage {shipped:.3}",
        mean(&drift),
        mean(&realized)
    );
    // The truth lies above all three hypotheses for most candidates
    // (measured here 63 of 96; probe64's 40 pools: 188 of 320).
    assert!(2 * above_all > total, "{above_all}/{total}");
    // The backtests inside the affordable sizes see curves steepening (the
    // drift lowers the centre); past the budget the truth is above
    // (measured: mean drift -0.0068, realized +0.037 per unit r).
    assert!(mean(&drift) < 0.0, "{drift:?}");
    assert!(mean(&realized) > 0.01, "{}", mean(&realized));
    // So the 90% interval of the three hypotheses under-covers (measured
    // 68.8%; probe64: 70%), and its misses lie below the truth (measured 26
    // of 30; probe64 83 of 95).
    assert!(cov < 0.85, "coverage {cov}");
    assert!(3 * misses_low >= 2 * misses, "{misses_low}/{misses}");
    // The pools show their floor within reach, and `select`'s interval,
    // spanning each candidate's floor fit, covers (measured: 12 of 12
    // pools, 97.9%).
    assert!(pools_with_floor >= 10, "{pools_with_floor}/12");
    assert!(shipped >= 0.85, "select's coverage {shipped}");
}
