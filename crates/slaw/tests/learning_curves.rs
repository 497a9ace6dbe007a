//! Learning-curve extrapolation against M4 (issue 14): the backtest pick on
//! synthetic curves of known truth, and on the public loss curves.

mod common;

use slaw::fit::FitOptions;
use slaw::learning_curves::{self as lc, LearningCurve};
use slaw::pick::{self, Rule};

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// On synthetic curves (known truth; the benchmark's seed, 14, so these are
/// the first 6 curves of two of its synthetic families): a power law plus a
/// second, slower power law (a form no catalog law has) and M4's own law,
/// the shipped backtest pick, fitted on the first half of each curve, beats
/// M4 on most curves and on the mean RMSE of ln L over the second half
/// (measured: 9 of 12, 0.54x). Twelve curves are a small sample: with seed 3
/// the same test gives 7 of 12 and 1.05x; the benchmark's 48 curves of these
/// families give 36 of 48.
#[test]
fn backtest_pick_beats_m4_on_synthetic_curves() {
    let curves: Vec<LearningCurve> = lc::synthetic_curves(6, 14)
        .into_iter()
        .filter(|c| c.family == "synth-2power" || c.family == "synth-m4")
        .collect();
    assert_eq!(curves.len(), 12);
    let progress = slaw::progress::Count::default();
    let rep = lc::run(&curves, &[0.5], &FitOptions::default(), &progress);
    assert_eq!(
        rep.records.len(),
        12,
        "every curve has a window of >= 8 points"
    );
    // One step, every curve at the one fraction counted.
    assert_eq!(progress.steps(), vec![("curves x fractions".into(), 12)]);
    assert_eq!(progress.ticks(), 12);
    let rule = Rule::shipped();
    let ours: Vec<f64> = rep.records.iter().map(|r| r.rule_rmse(&rule)).collect();
    let m4: Vec<f64> = rep.records.iter().map(|r| r.m4()).collect();
    let wins = ours.iter().zip(&m4).filter(|(a, b)| a < b).count();
    assert!(wins >= 8, "wins {wins} of 12: ours {ours:?} m4 {m4:?}");
    assert!(
        mean(&ours) < 0.8 * mean(&m4),
        "{} vs {}",
        mean(&ours),
        mean(&m4)
    );
}

/// The pick on one curve through the library entry point: a clean power
/// law is extrapolated to within the noise, and laws that cannot be fitted
/// are reported as not eligible rather than chosen.
#[test]
fn pick_extrapolates_a_power_law_and_reports_ineligible_laws() {
    let law = slaw::law::catalog::power();
    let xs: Vec<Vec<f64>> = (0..24).map(|i| vec![100.0 * 1.35f64.powi(i)]).collect();
    let obs = slaw::synthetic::generate(&law, &[40.0, 0.45, 1.8], &xs, 0.002, 5, "");
    let window = obs.subset(&(0..12).collect::<Vec<_>>());
    let p = pick::pick(
        &pick::curve_laws(),
        &window,
        &FitOptions::default(),
        &Rule::shipped(),
    )
    .unwrap();
    let top = p.top().expect("a law is eligible");
    assert!(top.score.unwrap() < 0.02, "{p:?}");
    // the last point, 12 steps of 1.35x beyond the window
    let x = xs[23][0];
    let truth = law.predict(&[x], &[40.0, 0.45, 1.8]);
    let pred = p.predict(&[x]).unwrap();
    assert!((pred / truth).ln().abs() < 0.02, "{pred} vs {truth}");
    let weights: f64 = p.laws.iter().map(|l| l.weight).sum();
    assert!((weights - 1.0).abs() < 1e-9);
    for l in &p.laws {
        if l.score.is_none() {
            assert!(l.reason.is_some() && l.weight == 0.0, "{l:?}");
        }
    }
    assert!(!p.fallback);
    // 6 points: m4 (5 parameters) cannot be backtested at the origins, nor
    // can any law but power (3): the backtest compares nothing, and the
    // shipped rule's fallback weighs power and M4 (its fit on the 6 points
    // converged) equally
    let small = obs.subset(&(0..6).collect::<Vec<_>>());
    let p = pick::pick(
        &pick::curve_laws(),
        &small,
        &FitOptions::default(),
        &Rule::shipped(),
    )
    .unwrap();
    let eligible: Vec<&str> = p
        .laws
        .iter()
        .filter(|l| l.score.is_some())
        .map(|l| l.law.as_str())
        .collect();
    assert_eq!(eligible, ["power"], "{p:?}");
    let m4 = p.laws.iter().find(|l| l.law == "m4").unwrap();
    assert!(m4.score.is_none() && m4.converged, "{m4:?}");
    assert!(p.fallback);
    for l in &p.laws {
        let want = if l.law == "power" || l.law == "m4" {
            0.5
        } else {
            0.0
        };
        assert_eq!(l.weight, want, "{l:?}");
    }
    assert!(p.predict(&xs[23]).is_some());
}

/// The public curves (a fixed subset: every multi-power curve and every
/// fourth (Mis)Fitting run), fitted on the first half: the shipped rule
/// beats M4 on most curves and on the geometric mean of RMSE / M4's RMSE.
/// (Not asserted on the arithmetic mean: the rule was chosen with these
/// curves among the others, and out of sample (leaving the (Mis)Fitting
/// family out) its mean RMSE there at half of the points is 1.12x M4's, see
/// BENCHMARKS.md.)
#[test]
fn backtest_pick_beats_m4_on_public_curves() {
    let Some(dir) = common::shared_data("loss-curves") else {
        return;
    };
    let curves: Vec<LearningCurve> = lc::public_curves(&dir)
        .unwrap()
        .into_iter()
        .enumerate()
        .filter(|(i, c)| c.family == "multipower" || i % 4 == 0)
        .map(|(_, c)| c)
        .collect();
    let rep = lc::run(&curves, &[0.5], &FitOptions::default(), &());
    let n = rep.records.len();
    assert!(n >= 40, "{n} curves");
    let rule = Rule::shipped();
    let ours: Vec<f64> = rep.records.iter().map(|r| r.rule_rmse(&rule)).collect();
    let m4: Vec<f64> = rep.records.iter().map(|r| r.m4()).collect();
    let wins = ours.iter().zip(&m4).filter(|(a, b)| a < b).count();
    assert!(2 * wins > n, "wins {wins} of {n}");
    let log_ratio: Vec<f64> = ours.iter().zip(&m4).map(|(a, b)| (a / b).ln()).collect();
    assert!(mean(&log_ratio) < 0.0, "{}", mean(&log_ratio));
}

/// The synthetic families, `synth-even` included: evenly spaced checkpoints
/// (x = k, 2k, ..., n k) with 12 to 40 points, positive losses; the same
/// seed gives the same curves, and the other families stay log-spaced (each
/// family has its own seed, so their curves are those drawn before
/// `synth-even` existed: their rows of `slaw bench curves` are unchanged,
/// BENCHMARKS.md).
#[test]
fn synthetic_families_include_evenly_spaced_curves() {
    let curves = lc::synthetic_curves(5, 14);
    assert_eq!(curves.len(), 25);
    let even: Vec<&LearningCurve> = curves.iter().filter(|c| c.family == "synth-even").collect();
    assert_eq!(even.len(), 5);
    for c in &even {
        assert!((12..=40).contains(&c.x.len()), "{}", c.x.len());
        let k = c.x[0];
        for (i, x) in c.x.iter().enumerate() {
            assert!((x / (k * (i + 1) as f64) - 1.0).abs() < 1e-12, "{:?}", c.x);
        }
        assert!(c.y.iter().all(|y| y.is_finite() && *y > 0.0));
    }
    let power: Vec<&LearningCurve> = curves
        .iter()
        .filter(|c| c.family == "synth-power")
        .collect();
    let again = lc::synthetic_curves(5, 14);
    assert_eq!(power[0].y, again[0].y);
    assert!(power.iter().all(|c| {
        let r = c.x[1] / c.x[0];
        (c.x[2] / c.x[1] / r - 1.0).abs() < 1e-9
    }));
}
