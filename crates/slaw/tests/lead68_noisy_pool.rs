//! The trend methods rank by the AtS line on pools whose points carry more
//! than 1.5% noise (`selection::noise`; BENCHMARKS.md, "The default
//! selector on noisy pools"): there the default's ranking is AtS's, its
//! interval and choice unchanged, and a note says why; quiet pools and
//! FLAN / WMT19 at every budget are not touched.

mod common;

use common::rectified_pool_with as pool;
use slaw::selection::method::Method;
use slaw::selection::{noise, select, Budget, SelectOptions};

const TARGET: f64 = common::RECTIFIED_POOL_TARGET;

fn scores(
    cands: &[slaw::datasets::Candidate],
    method: Method,
    ratio: f64,
) -> (Vec<f64>, Vec<String>, usize) {
    let budget = Budget::new(TARGET, TARGET / ratio).unwrap();
    let sel = select(cands, method, budget, &SelectOptions::default()).unwrap();
    let mut by_index: Vec<(usize, f64)> = sel
        .ranking
        .iter()
        .map(|r| (r.index, r.estimate.score))
        .collect();
    by_index.sort_by_key(|p| p.0);
    let chosen = sel.ranking[sel.choice.position].index;
    (
        by_index.into_iter().map(|p| p.1).collect(),
        sel.notes,
        chosen,
    )
}

#[test]
fn a_noisy_pool_is_ranked_by_the_ats_line_and_says_so() {
    let ats = Method::parse("ats", 3, 5.0).unwrap();
    for seed in 4600..4603 {
        let (cands, _) = pool(seed, 30, 0.03, (0.3, 0.6));
        for ratio in [16.0, 64.0, 512.0] {
            let (s, notes, _) = scores(&cands, Method::DEFAULT, ratio);
            let (a, _, _) = scores(&cands, ats, ratio);
            assert_eq!(s, a, "seed {seed} 1/{ratio}");
            assert!(
                notes
                    .iter()
                    .any(|n| n.contains("noise") && n.contains("ranks by the AtS line")),
                "seed {seed} 1/{ratio}: {notes:?}"
            );
        }
    }
}

#[test]
fn a_quiet_pool_keeps_the_trend() {
    let ats = Method::parse("ats", 3, 5.0).unwrap();
    let (cands, _) = pool(4700, 30, 0.005, (0.3, 0.6));
    for ratio in [16.0, 64.0, 512.0] {
        let (s, notes, _) = scores(&cands, Method::DEFAULT, ratio);
        let (a, _, _) = scores(&cands, ats, ratio);
        assert_ne!(s, a, "1/{ratio}");
        assert!(
            !notes.iter().any(|n| n.contains("ranks by the AtS line")),
            "{notes:?}"
        );
    }
}

/// FLAN's and WMT19's pools read 0.4-1.0% at every budget: the rule never
/// acts on the data the methods were built on.
#[test]
fn flan_and_wmt19_are_never_noisy() {
    let Some(pools) = common::finetune_pools() else {
        return;
    };
    for (name, cands) in pools {
        for ratio in [8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0] {
            let budget = Budget::new(TARGET, TARGET / ratio).unwrap();
            let curves: Vec<Vec<(f64, f64)>> = cands.iter().map(|c| budget.affordable(c)).collect();
            let n = noise::pool_noise(curves.iter().map(|c| c.as_slice())).unwrap();
            assert!(n < 0.8 * noise::NOISY, "{name} 1/{ratio}: {n}");
            let (_, notes, _) = scores(&cands, Method::DEFAULT, ratio);
            assert!(
                !notes.iter().any(|n| n.contains("ranks by the AtS line")),
                "{name}"
            );
        }
    }
}
