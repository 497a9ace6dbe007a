//! The selection benchmark left one dataset out (FLAN, WMT19): the default
//! method's trend prior and the scale of its intervals are learned on the
//! other dataset only, the intervals centred by the evaluated pool's own
//! backtests. The figures asserted here are the ones in BENCHMARKS.md
//! ("Selection, leave one dataset out").

mod common;

use slaw::datasets::Candidate;
use slaw::selection::calibrate::shipped_scale;
use slaw::selection::protocol::{
    all_methods, default_by_lodo, default_with_references_by_lodo, learn_gap_prior, learn_prior,
    learn_scale, run_lodo, Row, RATIOS,
};
use slaw::selection::trend::{GAP_PRIOR, PRIOR};
use slaw::selection::Method;

fn datasets() -> Option<Vec<(String, Vec<Candidate>)>> {
    let ds = common::finetune_pools()?;
    for (_, pool) in &ds {
        assert_eq!(pool.len(), 30);
    }
    Some(ds)
}

fn get<'a>(rows: &'a [Row], ds: &str, method: &str, ratio: u32) -> &'a Row {
    rows.iter()
        .find(|r| r.dataset == ds && r.method == method && r.ratio == ratio)
        .unwrap()
}

/// The shipped prior is what the public data give (nothing hand-tuned).
#[test]
fn trend_prior_matches_the_public_data() {
    let Some(ds) = datasets() else { return };
    let w = learn_prior(ds.iter().map(|d| d.1.as_slice())).unwrap();
    for (a, b) in w.iter().zip(PRIOR) {
        assert!((a - b).abs() < 1e-9, "learned {w:?} vs shipped {PRIOR:?}");
    }
}

/// The shipped gap-trend weights (ats-gap) are what the public data give.
#[test]
fn gap_prior_matches_the_public_data() {
    let Some(ds) = datasets() else { return };
    let w = learn_gap_prior(ds.iter().map(|d| d.1.as_slice())).unwrap();
    for (a, b) in w.iter().zip(GAP_PRIOR) {
        assert!(
            (a - b).abs() < 1e-9,
            "learned {w:?} vs shipped {GAP_PRIOR:?}"
        );
    }
}

/// The shipped interval scales of the line methods are what the public
/// data give: learned on both datasets' complete curves with the shipped
/// prior.
#[test]
fn spread_scales_match_the_public_data() {
    let Some(ds) = datasets() else { return };
    let pools: Vec<&[Candidate]> = ds.iter().map(|d| d.1.as_slice()).collect();
    for m in all_methods() {
        let learned = learn_scale(&m, &pools, &PRIOR, &GAP_PRIOR);
        let shipped = shipped_scale(m.name());
        match (learned, shipped) {
            (None, None) => {}
            (Some(l), Some(s)) => {
                for (a, b) in l.quantiles.iter().zip(s.quantiles) {
                    assert!(
                        (a - b).abs() < 1e-9,
                        "{}: learned {:?} vs shipped {:?}",
                        m.name(),
                        l.quantiles,
                        s.quantiles
                    );
                }
            }
            (l, s) => panic!("{}: learned {l:?} vs shipped {s:?}", m.name()),
        }
    }
}

#[test]
fn default_beats_ats_out_of_sample_with_calibrated_intervals() {
    let Some(ds) = datasets() else { return };
    let progress = slaw::progress::Count::default();
    let rows = run_lodo(&ds, &all_methods(), 0.9, 0, &progress).unwrap();
    // A tick per dataset and budget (the caller announces the step).
    assert_eq!(progress.ticks(), ds.len() * RATIOS.len());
    assert!(rows.iter().all(|r| r.protocol == "lodo"));
    let default = Method::DEFAULT.name();
    // The shipped default is the one the LODO rule picks.
    assert_eq!(default_by_lodo(&rows), default);
    let mut in_band = 0;
    for (name, _) in &ds {
        let mut gain = 0.0;
        let mut cov = 0.0;
        for &r in &RATIOS {
            let ours = get(&rows, name, default, r);
            let ats = get(&rows, name, "ats", r);
            eprintln!(
                "{name} 1/{r}: {default} PearCorr {:.1} RelAcc {:.1} coverage {:.0}% | ats {:.1} {:.1} {:.0}%",
                100.0 * ours.pear_corr,
                100.0 * ours.rel_acc,
                100.0 * ours.coverage.unwrap(),
                100.0 * ats.pear_corr,
                100.0 * ats.rel_acc,
                100.0 * ats.coverage.unwrap(),
            );
            // Never a worse choice than AtS.
            assert!(
                ours.rel_acc >= ats.rel_acc - 1e-9,
                "{name} 1/{r}: RelAcc {} below AtS {}",
                ours.rel_acc,
                ats.rel_acc
            );
            // Never a ranking more than a point worse than AtS (measured:
            // ats-gap -0.1 and -0.6 at WMT19 1/8 and 1/32, where AtS ranks
            // at 98-99), and at the small budgets 1/64-1/512 at least 5
            // points better (measured: +7.5 to +17.4).
            assert!(
                ours.pear_corr >= ats.pear_corr - 0.01,
                "{name} 1/{r}: PearCorr {} vs AtS {}",
                ours.pear_corr,
                ats.pear_corr
            );
            if r >= 64 {
                assert!(
                    ours.pear_corr >= ats.pear_corr + 0.05,
                    "{name} 1/{r}: PearCorr {} vs AtS {}",
                    ours.pear_corr,
                    ats.pear_corr
                );
            }
            // ats-gap's interval and recommendation are ats-trend's: the gap
            // trend moves the ranking only.
            let trend = get(&rows, name, "ats-trend", r);
            assert_eq!(ours.chosen, trend.chosen, "{name} 1/{r}");
            assert_eq!(ours.coverage, trend.coverage, "{name} 1/{r}");
            let c = ours.coverage.unwrap();
            // Every budget: the nominal 90% interval covers at least 80%
            // (measured: 80-100%; before the learned scale 70-100%).
            assert!((0.8..=1.0).contains(&c), "{name} 1/{r}: coverage {c}");
            if (0.8..=0.97 + 1e-9).contains(&c) {
                in_band += 1;
            }
            gain += ours.pear_corr - ats.pear_corr;
            cov += c;
        }
        gain /= RATIOS.len() as f64;
        cov /= RATIOS.len() as f64;
        // Measured: +10.9 (FLAN), +5.9 (WMT19) points of PearCorr on average
        // (ats-trend: +7.2, +3.9).
        assert!(gain > 0.035, "{name}: mean PearCorr gain {gain}");
        // Measured mean coverage 92% (FLAN), 89% (WMT19).
        assert!((0.85..=0.95).contains(&cov), "{name}: mean coverage {cov}");
    }
    // 80-97% at 13 of the 14 budgets (FLAN 1/512: 30 of 30).
    assert!(
        in_band >= 13,
        "coverage in 80-97% at {in_band} of 14 budgets"
    );
}

/// With references (each dataset has the other as its reference: the same
/// 30 models fine-tuned on the other task), ats-ref ranks better than
/// ats-gap on both datasets, on average and at 1/512, its choice and
/// interval staying ats-trend's; it is the default with references, and
/// ats-gap stays the default without (BENCHMARKS.md, "A reference: the same
/// candidates on another task").
#[test]
fn a_reference_improves_the_ranking_out_of_sample() {
    let Some(ds) = datasets() else { return };
    let rows = run_lodo(
        &ds,
        &all_methods(),
        0.9,
        0,
        &slaw::progress::Count::default(),
    )
    .unwrap();
    assert_eq!(default_by_lodo(&rows), Method::DEFAULT.name());
    assert_eq!(Method::DEFAULT.name(), "ats-gap");
    assert_eq!(
        default_with_references_by_lodo(&rows),
        Method::DEFAULT_WITH_REFERENCE.name()
    );
    assert_eq!(Method::DEFAULT_WITH_REFERENCE.name(), "ats-ref");
    // Measured (x100): FLAN mean 74.4 (ats-gap 73.6), 1/512 63.6 (59.0);
    // WMT19 92.8 (90.4), 81.2 (74.9).
    let measured = [("flan", 74.4, 63.6), ("wmt19", 92.8, 81.2)];
    for (name, mean_ref, last_ref) in measured {
        let mut mean = [0.0; 2];
        for &r in &RATIOS {
            let ours = get(&rows, name, "ats-ref", r);
            let gap = get(&rows, name, "ats-gap", r);
            let ats = get(&rows, name, "ats", r);
            let trend = get(&rows, name, "ats-trend", r);
            eprintln!(
                "{name} 1/{r}: ats-ref PearCorr {:.1} | ats-gap {:.1} | ats {:.1}",
                100.0 * ours.pear_corr,
                100.0 * gap.pear_corr,
                100.0 * ats.pear_corr
            );
            assert_eq!(ours.chosen, trend.chosen, "{name} 1/{r}");
            assert_eq!(ours.coverage, trend.coverage, "{name} 1/{r}");
            assert!(ours.rel_acc >= ats.rel_acc - 1e-9, "{name} 1/{r}");
            // Measured: -1.5 against ats-gap at FLAN 1/64, the most; +6.0
            // over AtS there.
            assert!(ours.pear_corr >= gap.pear_corr - 0.02, "{name} 1/{r}");
            if r >= 64 {
                assert!(ours.pear_corr >= ats.pear_corr + 0.05, "{name} 1/{r}");
            }
            mean[0] += ours.pear_corr / RATIOS.len() as f64;
            mean[1] += gap.pear_corr / RATIOS.len() as f64;
        }
        let last = get(&rows, name, "ats-ref", 512).pear_corr;
        let last_gap = get(&rows, name, "ats-gap", 512).pear_corr;
        assert!(mean[0] > mean[1] && last > last_gap, "{name}");
        assert!(
            (100.0 * mean[0] - mean_ref).abs() < 0.06,
            "{name}: mean {}",
            mean[0]
        );
        assert!(
            (100.0 * last - last_ref).abs() < 0.06,
            "{name}: 1/512 {last}"
        );
    }
}

/// ats-ref's match test (issue 13, BENCHMARKS.md "A reference that does not
/// match is noticed"), leave one dataset out: the true reference (the same
/// 30 models on the other task) passes at every budget of both datasets
/// (measured: p = 0.001, the smallest of 999 re-matchings, in all 14 cells)
/// and ats-ref's figures are those of the run above; with its rows permuted
/// (20 seeds) it is rejected in at least 85% of the runs per cell
/// (measured: 90-100%) and ats-ref's mean PearCorr stays within 1 point of
/// ats-gap's (measured: 0.1 at most); beside the true one, the true one's
/// gain is kept (the mean within 1 point of the true reference alone;
/// measured: equal to 0.1).
#[test]
fn a_reference_that_does_not_match_is_noticed() {
    let Some(ds) = datasets() else { return };
    let rows = slaw::selection::mismatch::run(&ds, 0.9, 20, 1.0).unwrap();
    assert_eq!(rows.len(), 2 * RATIOS.len());
    let lodo = run_lodo(&ds, &[Method::DEFAULT_WITH_REFERENCE], 0.9, 0, &()).unwrap();
    for r in &rows {
        let cell = format!("{} 1/{}", r.dataset, r.ratio);
        eprintln!(
            "{cell}: p(true) {:.3}, true {:.1}, ats-gap {:.1}, permuted rejected {:.0}% mean {:.1} \
             [{:.1}, {:.1}], both {:.1} (sorted {:.0}%)",
            r.true_p_max,
            100.0 * r.true_ref,
            100.0 * r.gap,
            100.0 * r.permuted_rejected,
            100.0 * r.permuted[0],
            100.0 * r.permuted[1],
            100.0 * r.permuted[2],
            100.0 * r.both[0],
            100.0 * r.both_sorted
        );
        assert!(r.true_p_max <= 0.05, "{cell}: the true reference fails");
        let ours = get(&lodo, &r.dataset, "ats-ref", r.ratio).pear_corr;
        assert!((r.true_ref - ours).abs() < 1e-12, "{cell}");
        assert!(r.permuted_rejected >= 0.85, "{cell}");
        assert!((r.permuted[0] - r.gap).abs() < 0.01, "{cell}");
        assert!(r.both_sorted >= 0.85, "{cell}");
        assert!((r.both[0] - r.true_ref).abs() < 0.01, "{cell}");
    }
}

/// The level is honoured, not tuned to 90%: at 80% and 95% the default's
/// mean coverage over both datasets and all budgets is near the level
/// (measured: 85% at 80%, 95% at 95%).
#[test]
fn the_level_is_honoured_out_of_sample() {
    let Some(ds) = datasets() else { return };
    let methods = [Method::DEFAULT];
    for (level, lo, hi) in [(0.8, 0.78, 0.9), (0.95, 0.9, 0.98)] {
        let rows = run_lodo(&ds, &methods, level, 0, &()).unwrap();
        let covs: Vec<f64> = rows.iter().map(|r| r.coverage.unwrap()).collect();
        let mean = covs.iter().sum::<f64>() / covs.len() as f64;
        eprintln!("level {level}: coverage {covs:?}, mean {mean}");
        assert!(
            (lo..=hi).contains(&mean),
            "level {level}: mean coverage {mean}"
        );
    }
}

/// Why FLAN 1/512 is over-covered (30 of 30 at 90%, BENCHMARKS.md, branch
/// `cov5`): not the scale k but the shape of h over the budgets. The scores
/// u = |ln L_true - centre| / h of the default's interval, LODO (the trend
/// and gap priors learned on the other dataset): on FLAN no single k, even
/// one chosen with hindsight on FLAN itself, puts all 7 budgets in 80-97%
/// (the largest u at 1/512 is below the 3rd largest at every other
/// budget: h grows 1.5x from 1/256 to 1/512, the error not at all); and a
/// k per budget learned on WMT19 is wider still at 1/512 than any FLAN
/// score there, so a k that depends on r cannot move that cell either.
#[test]
fn flan_1_512_is_over_covered_by_any_single_scale() {
    use slaw::selection::method::spread_scores;
    use slaw::selection::protocol::FULL_SIZE;
    use slaw::selection::Budget;
    let Some(ds) = datasets() else { return };
    let m = Method::DEFAULT;
    // u per budget of dataset i, the priors learned on dataset j.
    let scores = |i: usize, j: usize| -> Vec<Vec<f64>> {
        let other = [ds[j].1.as_slice()];
        let prior = learn_prior(other).unwrap();
        let gap = learn_gap_prior(other).unwrap();
        RATIOS
            .iter()
            .map(|&r| {
                let b = Budget::new(FULL_SIZE, FULL_SIZE / r as f64).unwrap();
                let mut u = spread_scores(&m, &ds[i].1, &b, &prior, &gap);
                assert_eq!(u.len(), 30);
                u.sort_by(f64::total_cmp);
                u
            })
            .collect()
    };
    // The most budgets in band that one k reaches: coverage changes only
    // at the scores, so every score (and just below it) is tried.
    let best_single_k = |u: &[Vec<f64>]| -> usize {
        let mut best = 0;
        for k in u.iter().flatten().flat_map(|&s| [s, s * (1.0 - 1e-12)]) {
            let in_band = u
                .iter()
                .filter(|v| (24..=29).contains(&v.iter().filter(|&&s| s <= k).count()))
                .count();
            best = best.max(in_band);
        }
        best
    };
    let flan = scores(0, 1);
    let wmt = scores(1, 0);
    let top = |u: &Vec<f64>, i: usize| u[u.len() - 1 - i];
    eprintln!(
        "FLAN (LODO) largest u per budget: {:?}",
        flan.iter().map(|u| top(u, 0)).collect::<Vec<_>>()
    );
    // Measured: 6 of 7 on FLAN (never 1/512), 7 of 7 on WMT19.
    assert_eq!(best_single_k(&flan), 6);
    assert_eq!(best_single_k(&wmt), 7);
    // FLAN 1/512: its largest score (measured 2.04) lies below the third
    // largest of every other budget (measured 2.62-6.00): a k that leaves
    // one 1/512 candidate out leaves 3 or more out at every other budget.
    let last = top(&flan[6], 0);
    for u in &flan[..6] {
        assert!(last < top(u, 2), "{last} vs {:?}", u);
    }
    // The per-budget k learned on WMT19 (its own priors, as learn_scale
    // scores it) at 1/512: measured 3.81, above FLAN's largest score.
    let wmt_own = scores(1, 1);
    let q90 = slaw::stats::percentile(&wmt_own[6], 0.9);
    assert!(q90 > last, "WMT19 1/512 q90 {q90} vs FLAN 1/512 max {last}");
}

/// The coverage figures `select`'s note quotes where the target lies within
/// `SHORT_REACH` of the largest affordable size
/// (`LODO_COVERAGE_WITHIN_REACH`: at 80%, 90% and 95%) are the default's
/// out-of-sample coverage at those budgets, lowest and highest over both
/// datasets.
#[test]
fn the_coverage_the_note_quotes_is_measured() {
    use slaw::selection::{LODO_COVERAGE_WITHIN_REACH, SHORT_REACH};
    let Some(ds) = datasets() else { return };
    for (level, lo, hi) in LODO_COVERAGE_WITHIN_REACH {
        let rows = run_lodo(&ds, &[Method::DEFAULT], level, 0, &()).unwrap();
        let covs: Vec<u32> = rows
            .iter()
            .filter(|r| f64::from(r.ratio) <= SHORT_REACH)
            .map(|r| (100.0 * r.coverage.unwrap()).round() as u32)
            .collect();
        assert_eq!(covs.len(), 10, "level {level}: 5 budgets x 2 datasets");
        let (min, max) = (*covs.iter().min().unwrap(), *covs.iter().max().unwrap());
        assert_eq!((min, max), (lo, hi), "level {level}: coverage {covs:?}");
    }
}
