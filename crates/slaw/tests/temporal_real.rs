//! The temporal law on the committed real pretraining runs
//! (bench/temporal/data, see its README): every per-position fit converges,
//! and the forecasts from the first 20% of each run stay within the errors
//! BENCHMARKS.md reports (with margin).

use slaw::forecast::realruns::{
    case, case_with, fit_count, forecast, pool, pooled_scale, position_fit, read_runs, Case,
    Contender, PoolBy, Run, TemporalRules,
};
use slaw::forecast::temporal::{IntervalRule, POOLED_SCALE};
use slaw::forecast::CurveLaw;
use std::path::PathBuf;

fn runs() -> Vec<Run> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/temporal/data");
    read_runs(&dir).unwrap()
}

#[test]
fn dataset_is_complete() {
    let runs = runs();
    assert!(runs.len() >= 29, "{} runs", runs.len());
    for r in &runs {
        assert!(
            r.pc.len() >= 30,
            "{}: {} checkpoints",
            r.pc.name,
            r.pc.len()
        );
        assert_eq!(r.pc.positions.len(), 256, "{}", r.pc.name);
        // Every run learns: the final loss far below the uniform ln 256.
        let l = &r.agg.loss;
        assert!(l[l.len() - 1] < 0.6 * 256f64.ln(), "{}", r.pc.name);
    }
}

#[test]
fn per_position_fits_converge() {
    for r in &runs() {
        let f = position_fit(r).unwrap();
        assert_eq!(f.not_converged, 0, "{}", r.pc.name);
        // Over log-spaced position bins the law explains the positional
        // trend (single positions carry the content noise of 64 sequences).
        assert!(
            f.mean_binned_r2 > BINNED_R2_MIN,
            "{}: {}",
            r.pc.name,
            f.mean_binned_r2
        );
        for c in &f.per_checkpoint {
            assert!(c[1..4].iter().all(|v| v.is_finite() && *v >= 0.0), "{c:?}");
        }
    }
}

// Measured 0.22 to 0.42 on the 20 runs (BENCHMARKS.md); the five runs of
// the sixth push inside that range's bound too.
const BINNED_R2_MIN: f64 = 0.15;

/// Mean absolute percentage error of the final loss over the runs, fitted
/// on the first `fraction` of each.
fn mape(runs: &[Run], fraction: f64, c: Contender) -> f64 {
    let mut s = 0.0;
    for r in runs {
        let k = fit_count(r, fraction);
        let f = forecast(r, k, c, 0, 0.9).unwrap();
        let n = r.agg.len();
        s += 100.0 * (f.values[n - 1] / r.agg.loss[n - 1] - 1.0).abs();
    }
    s / runs.len() as f64
}

#[test]
fn forecasts_at_20_percent_within_reported_errors() {
    let runs = runs();
    let temporal = mape(&runs, 0.2, Contender::Temporal(None));
    let recip = mape(&runs, 0.2, Contender::Law(CurveLaw::Reciprocal));
    assert!(temporal < TEMPORAL_MAPE_20_MAX, "temporal {temporal}");
    assert!(recip < RECIPROCAL_MAPE_20_MAX, "reciprocal {recip}");
}

// Measured on the 29 runs (BENCHMARKS.md, issue 17's seventh push): temporal
// (the robust-bounded rule) 4.32%, reciprocal 4.92% (25 runs: 3.70%, 4.41%;
// 20 runs: 3.87%, 4.54%; 16 runs: 4.26%, 4.80%).
const TEMPORAL_MAPE_20_MAX: f64 = 4.5;
const RECIPROCAL_MAPE_20_MAX: f64 = 5.0;

#[test]
fn forecasts_at_30_percent_within_reported_errors() {
    let temporal = mape(&runs(), 0.3, Contender::Temporal(None));
    assert!(temporal < TEMPORAL_MAPE_30_MAX, "temporal {temporal}");
}

// Measured on the 29 runs (BENCHMARKS.md, seventh push): 3.95% (25 runs:
// 3.61%; 20 runs: 3.80%; 16 runs: 4.25%).
const TEMPORAL_MAPE_30_MAX: f64 = 4.5;

/// The 90% interval `slaw forecast` prints for the temporal law (since issue
/// 17's seventh push the bootstrap widened to the pooled per-distance scale,
/// `IntervalRule::Pooled`, adopted by bench/temporal/PROTOCOL3.md): its
/// coverage of the final losses and of every later checkpoint, and its
/// width, at 20% and 30%. In sample on the 16 runs the scale was frozen on.
#[test]
fn temporal_intervals_cover_as_reported() {
    let runs = runs();
    for (fraction, finals, pairs, width) in [
        (0.2, FINALS_20, PAIRS_20, HALF_WIDTH_20_MAX),
        (0.3, FINALS_30, PAIRS_30, HALF_WIDTH_30_MAX),
    ] {
        let cases: Vec<_> = runs
            .iter()
            .map(|r| case(r, fraction, Contender::Temporal(None), 100, 0.9))
            .collect();
        let covered = cases
            .iter()
            .filter(|c| {
                c.reported
                    .is_some_and(|i| i.lo <= c.final_observed && c.final_observed <= i.hi)
            })
            .count();
        let finals_share = covered as f64 / cases.len() as f64;
        assert!(
            finals.0 <= finals_share && finals_share <= finals.1,
            "{fraction}: {covered} of {} final losses covered",
            cases.len()
        );
        let (n, inside) = cases
            .iter()
            .fold((0, 0), |(a, b), c| (a + c.later.0, b + c.later.1));
        let share = inside as f64 / n as f64;
        assert!(pairs.0 <= share && share <= pairs.1, "{fraction}: {share}");
        let mut hw: Vec<f64> = cases
            .iter()
            .map(|c| {
                let i = c.reported.expect("an interval");
                50.0 * (i.hi - i.lo) / c.final_predicted
            })
            .collect();
        hw.sort_by(f64::total_cmp);
        let median = (hw[hw.len() / 2 - 1] + hw[hw.len() / 2]) / 2.0;
        assert!(median < width, "{fraction}: median half-width {median}%");
    }
}

// Measured on the 29 runs (BENCHMARKS.md, seventh push): final losses covered
// 29 / 29 at 20% and 27 / 29 at 30%; every later checkpoint 94.1% of 928 /
// 87.6% of 812 (the band: 80-97%); median half-width 16.3% / 12.2%.
// (The rolling-origin interval shipped before: 100% / 99.4% of the later
// checkpoints of the 25 runs, above the band.)
const FINALS_20: (f64, f64) = (0.8, 1.0);
const FINALS_30: (f64, f64) = (0.8, 1.0);
const PAIRS_20: (f64, f64) = (0.8, 0.97);
const PAIRS_30: (f64, f64) = (0.8, 0.97);
const HALF_WIDTH_20_MAX: f64 = 18.0;
const HALF_WIDTH_30_MAX: f64 = 14.0;

/// The runs added in issue 17's fifth, sixth and seventh pushes, after
/// `POOLED_SCALE` was frozen on the others.
const ADDED_AFTER_FREEZE: [&str; 13] = [
    "small_cosine_seed3",
    "medium_wsd_seed3",
    "small_constant_seed4",
    "medium_cosine_seed4",
    "small_constant_seed3",
    "medium_cosine_seed3",
    "small_wsd_seed5",
    "large_cosine_seed3",
    "large_wsd_seed2",
    "small_cosine_seed6_steps800",
    "large_wsd_seed6_lr1e-2",
    "medium_constant_seed6_lr1e-3",
    "small_constant_seed6_steps800_lr1e-3",
];

/// The temporal law (auto) on every run at 10/20/30% with the pooled
/// interval rule and no bootstrap (the per-distance interval alone).
fn pooled_cases(runs: &[Run]) -> Vec<Case> {
    let rules = TemporalRules {
        interval: IntervalRule::Pooled,
        ..TemporalRules::default()
    };
    runs.iter()
        .flat_map(|r| {
            [0.1, 0.2, 0.3].map(|f| case_with(r, f, Contender::Temporal(None), 0, 0.9, rules))
        })
        .collect()
}

/// The shipped pooled scale is the conformal quantile of the temporal
/// law's per-distance errors on the 16 runs it was frozen on.
#[test]
fn pooled_scale_is_that_of_the_sixteen_runs() {
    let first: Vec<Run> = runs()
        .into_iter()
        .filter(|r| !ADDED_AFTER_FREEZE.contains(&r.pc.name.as_str()))
        .collect();
    assert_eq!(first.len(), 16);
    let cases = pooled_cases(&first);
    let levels: Vec<f64> = POOLED_SCALE.iter().map(|r| r.0).collect();
    let name = Contender::Temporal(None).name();
    for ((l, c), (_, shipped)) in pooled_scale(&cases, &name, &levels)
        .into_iter()
        .zip(POOLED_SCALE)
    {
        let c = c.expect("enough scores");
        // The table is frozen (pre-registered, issue 17's fifth push); the
        // engine's polish of small fits (branches `gn` and `hub`, stop 30)
        // moved the 16 runs' fits and so their quantiles where the scores
        // are sparse (0.85: 0.0862 now, shipped 0.0830; 0.5: 0.017551 vs
        // 0.017556): agreement to 10%, the engine's drift; the frozen table
        // is not re-tuned (its out-of-sample coverage is checked below).
        assert!(
            (c - shipped).abs() < 0.1 * shipped,
            "{l}: {c} vs shipped {shipped}"
        );
    }
}

/// The pooled per-distance interval (without the bootstrap), its scale
/// from the other runs (leave one size-and-seed prefix out): its coverage
/// of every later checkpoint of the runs at 20% and 30%.
#[test]
fn pooled_interval_out_of_sample_coverage() {
    let mut cases = pooled_cases(&runs());
    pool(&mut cases, 0.9, PoolBy::Prefix);
    for (fraction, band) in [(0.2, POOLED_PAIRS_20), (0.3, POOLED_PAIRS_30)] {
        let (n, inside) = cases
            .iter()
            .filter(|c| c.fraction == fraction)
            .fold((0, 0), |(a, b), c| {
                (a + c.pooled_later.0, b + c.pooled_later.1)
            });
        let share = inside as f64 / n as f64;
        assert!(band.0 <= share && share <= band.1, "{fraction}: {share}");
    }
}

// Measured on the 20 runs (BENCHMARKS.md, fifth push): 85.6% of 640 at 20%,
// 84.3% of 560 at 30% (the band: 80-97%); inside the band on the
// 25 runs too (sixth push), and on the 29 (seventh push; widened to the
// bootstrap as the bench's pool columns: 94.1% / 87.9%).
const POOLED_PAIRS_20: (f64, f64) = (0.8, 0.95);
const POOLED_PAIRS_30: (f64, f64) = (0.8, 0.95);
