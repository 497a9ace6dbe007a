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
/// (measured with the previous pool, slaw's `m4` fit in it: 9 of 12, 0.54x). Twelve curves are a small sample: with seed 3
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
    // The protocol's choice (one table of every candidate's ratios, folds
    // averaging it) is the candidate of lowest criterion, with the default
    // candidates and with `--extended-rules`'.
    let all: Vec<&lc::CurveRecord> = rep.records.iter().collect();
    let lowest = |rules: Vec<Rule>| {
        rules
            .iter()
            .map(|r| lc::criterion(&all, r))
            .fold(f64::INFINITY, f64::min)
    };
    let chosen = lc::choose_rule(&all);
    assert_eq!(
        lc::criterion(&all, &chosen),
        lowest(lc::candidate_rules(true))
    );
    let ext = lc::evaluate_with(rep.records.clone(), &[0.5], vec![(0.5, 0)], true);
    let extended = lc::extended_rules();
    assert_eq!(extended.len(), lc::candidate_rules(true).len() + 5184);
    assert!(extended.contains(&ext.all_rule));
    assert_eq!(lc::criterion(&all, &ext.all_rule), lowest(extended));
}

/// The pick on one curve through the library entry point: a clean power
/// law (noise 0.2%) is extrapolated 3.3 units of ln distance beyond the
/// window to within 4% by the shipped rule, with and without its drift
/// correction (measured: +3.0% without, the median of 3 laws taking one
/// that flattens; -3.8% with it: a curve without drift pays the learned
/// drifts); the correction lowers each law's forecast by its drift times
/// ln(x / x_last); laws that cannot be fitted are reported as not
/// eligible rather than chosen.
#[test]
fn pick_extrapolates_a_power_law_and_reports_ineligible_laws() {
    let law = slaw::law::catalog::power();
    let xs: Vec<Vec<f64>> = (0..24).map(|i| vec![100.0 * 1.35f64.powi(i)]).collect();
    let obs = slaw::synthetic::generate(&law, &[40.0, 0.45, 1.8], &xs, 0.002, 5, "");
    let window = obs.subset(&(0..12).collect::<Vec<_>>());
    let uncorrected = Rule {
        correction: pick::Correction::None,
        ..Rule::shipped()
    };
    let q = pick::pick(
        &pick::curve_laws(),
        &window,
        &FitOptions::default(),
        &uncorrected,
    )
    .unwrap();
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
    let plain = q.predict(&[x]).unwrap();
    assert!((plain / truth).ln().abs() < 0.04, "{plain} vs {truth}");
    // the same laws and weights; each law's ln forecast lowered by its drift
    // (at this window's shape) times ln(x / x_last), so their median by
    // between the smallest and the largest of the combined laws' drifts
    // times it, all of them positive: every law over-predicts
    let pw: Vec<f64> = p.laws.iter().map(|l| l.weight).collect();
    let qw: Vec<f64> = q.laws.iter().map(|l| l.weight).collect();
    assert_eq!(pw, qw);
    let u = (x / xs[11][0]).ln();
    let shape = p.shape.expect("the window's shape");
    assert_eq!(
        shape,
        pick::window_shape(&window, &(0..12).collect::<Vec<_>>())
    );
    let drifts: Vec<f64> = p
        .laws
        .iter()
        .filter(|l| l.weight > 0.0)
        .map(|l| p.rule.correction.slope_at(&l.law, l.drift, Some(&shape)))
        .collect();
    assert!(drifts.iter().all(|&d| d > 0.0), "{drifts:?}");
    let (lo, hi) = (
        drifts.iter().copied().fold(f64::INFINITY, f64::min),
        drifts.iter().copied().fold(0.0, f64::max),
    );
    let pred = p.predict(&[x]).unwrap();
    let shift = (plain / pred).ln();
    assert!(
        shift >= lo * u - 1e-12 && shift <= hi * u + 1e-12,
        "{shift} not in [{}, {}]",
        lo * u,
        hi * u
    );
    assert!((pred / truth).ln().abs() < 0.04, "{pred} vs {truth}");
    let weights: f64 = p.laws.iter().map(|l| l.weight).sum();
    assert!((weights - 1.0).abs() < 1e-9);
    for l in &p.laws {
        if l.score.is_none() {
            assert!(l.reason.is_some() && l.weight == 0.0, "{l:?}");
        }
    }
    assert!(!p.fallback);
    // 6 points: M4 (5 parameters; in the shipped pool fitted by its
    // authors' procedure) cannot be backtested at the origins, nor can any
    // law but power (3): the backtest compares nothing, and the shipped
    // rule's fallback weighs every usable fit of the pool (converged, with
    // fewer parameters than the 6 points: power and M4 among them) equally
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
    let m4 = p
        .laws
        .iter()
        .find(|l| l.law == pick::M4_AUTHORS_CAPPED)
        .unwrap();
    assert!(m4.score.is_none() && m4.converged, "{m4:?}");
    assert!(p.fallback);
    let n_params = |name: &str| {
        pick::curve_laws()
            .iter()
            .find(|l| l.name == name)
            .map_or(5, |l| l.n_params())
    };
    let usable: Vec<&str> = p
        .laws
        .iter()
        .filter(|l| l.converged && n_params(&l.law) < 6)
        .map(|l| l.law.as_str())
        .collect();
    assert!(usable.contains(&"power") && usable.contains(&pick::M4_AUTHORS_CAPPED));
    for l in &p.laws {
        let want = if usable.contains(&l.law.as_str()) {
            1.0 / usable.len() as f64
        } else {
            0.0
        };
        assert!((l.weight - want).abs() < 1e-12, "{l:?}");
    }
    assert!(p.predict(&xs[23]).is_some());
}

/// The public curves (a fixed subset: every multi-power curve and every
/// fourth (Mis)Fitting run), fitted on the first half: the shipped rule
/// beats M4 on most curves and on the geometric mean of RMSE / M4's RMSE.
/// (Not asserted on the arithmetic mean: the rule was chosen with these
/// curves among the others; out of sample (leaving the (Mis)Fitting family
/// out) its mean RMSE there at half of the points is 0.90x slaw's M4 fit's
/// and 1.04x M4 fitted by its authors' procedure, see BENCHMARKS.md.)
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

/// Curves shaped like the M4 paper's benchmark (loss against the data seen:
/// log-spaced, 10 to 30 points, a saturation floor, log-normal noise of 1%
/// to 5% so the curves are not monotone; two shapes: a power law with a
/// floor, and a sigmoid in ln x that saturates at both ends as error rates
/// do), fitted on the first 25% and 50% of the points, windows down to 4
/// points (shorter than `slaw bench curves` scores). The shipped pick, as
/// `slaw compare` runs it, gives a finite prediction on every window (no
/// error, no NaN: before, a 4-point window had no law to use and a 5-point
/// one took M4 interpolating its 5 points), and against M4 fitted on the
/// same window (where it can be: 6 points or more, so it has a spare point)
/// it does better in geometric mean of the RMSE of ln L on the rest.
/// Measured (seed 7, 40 curves): printed with `--nocapture`; BENCHMARKS.md.
#[test]
fn pick_is_robust_on_short_noisy_saturating_curves() {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let laws = pick::curve_laws();
    let m4 = slaw::law::catalog::m4();
    let opts = FitOptions::default();
    let (mut windows, mut vs_m4) = (0usize, Vec::new());
    let mut short = 0usize;
    for k in 0..40 {
        let n = rng.random_range(10..=30usize);
        let decades: f64 = rng.random_range(1.5..3.0);
        let x0: f64 = 10f64.powf(rng.random_range(2.0..5.0));
        let e: f64 = rng.random_range(0.2..2.0);
        let sd: f64 = rng.random_range(0.01..0.05);
        let a: f64 = rng.random_range(0.2..0.8);
        let lmid = x0.ln() + decades * std::f64::consts::LN_10 * rng.random_range(0.2..0.7);
        let top = e * rng.random_range(1.5..4.0);
        let truth = move |x: f64| {
            if k % 2 == 0 {
                e + (top - e) * (x / x0).powf(-a)
            } else {
                e + (top - e) / (1.0 + (a * 3.0 * (x.ln() - lmid)).exp())
            }
        };
        let x: Vec<f64> = (0..n)
            .map(|i| x0 * 10f64.powf(decades * i as f64 / (n - 1) as f64))
            .collect();
        let y: Vec<f64> = x
            .iter()
            .map(|&v| truth(v) * (sd * slaw::synthetic::standard_normal(&mut rng)).exp())
            .collect();
        for f in [0.25, 0.5] {
            let m = (f * n as f64).floor() as usize;
            if m < 4 {
                continue;
            }
            windows += 1;
            let obs = slaw::observations::Observations::from_columns(
                &["x"],
                &[x[..m].to_vec()],
                y[..m].to_vec(),
            );
            let p = pick::pick(&laws, &obs, &opts, &Rule::shipped())
                .unwrap_or_else(|e| panic!("curve {k} at {f}: {e}"));
            let ln_err = |pred: &dyn Fn(f64) -> Option<f64>| -> Option<f64> {
                let mut s = 0.0;
                for i in m..n {
                    let v = pred(x[i])?;
                    if !(v > 0.0 && v.is_finite()) {
                        return None;
                    }
                    s += (v.ln() - y[i].ln()).powi(2);
                }
                Some((s / (n - m) as f64).sqrt())
            };
            let ours = ln_err(&|v| p.predict(&[v]))
                .unwrap_or_else(|| panic!("curve {k} at {f}: no finite prediction {p:?}"));
            if m < 6 {
                short += 1;
                continue;
            }
            if let Ok(fit) = slaw::fit::fit(&m4, &obs, &opts) {
                if let Some(theirs) = ln_err(&|v| Some(m4.predict(&[v], &fit.params))) {
                    vs_m4.push((ours, theirs));
                }
            }
        }
    }
    let wins = vs_m4.iter().filter(|(a, b)| a < b).count();
    let geo = mean(
        &vs_m4
            .iter()
            .map(|(a, b)| (a.max(1e-6) / b.max(1e-6)).ln())
            .collect::<Vec<_>>(),
    );
    let ratio = vs_m4.iter().map(|v| v.0).sum::<f64>() / vs_m4.iter().map(|v| v.1).sum::<f64>();
    eprintln!(
        "{windows} windows ({short} of 4-5 points), against M4 on {}: wins {wins}, mean ratio {ratio:.3}, geometric mean ratio {:.3}",
        vs_m4.len(),
        geo.exp()
    );
    assert!(windows >= 60 && short >= 5, "{windows} {short}");
    assert!(geo < 0.0, "geometric mean ratio {}", geo.exp());
}

/// Records of one curve whose two laws (and M4) extrapolate with a drift of
/// `drift` (ln forecast - ln truth per unit ln(x / x_last)) plus a small
/// deterministic wiggle, and whose backtests in the window saw `seen` of
/// that drift; `k` varies the curve.
fn drifting_record(family: &str, k: usize, drift: f64, seen: f64) -> lc::CurveRecord {
    let later = 8;
    let ln_dist: Vec<f64> = (1..=later).map(|j| (1.0 + 0.25 * j as f64).ln()).collect();
    let ln_truth: Vec<f64> = ln_dist.iter().map(|u| 1.0 - 0.3 * u).collect();
    let law = |name: &str, shift: f64| {
        let ln_pred: Vec<f64> = ln_dist
            .iter()
            .zip(&ln_truth)
            .enumerate()
            .map(|(j, (u, t))| t + drift * u + 0.004 * ((k * 7 + j) as f64 + shift).sin())
            .collect();
        let rmse = (ln_pred
            .iter()
            .zip(&ln_truth)
            .map(|(p, t)| (p - t).powi(2))
            .sum::<f64>()
            / later as f64)
            .sqrt();
        let wiggle = 0.003 * ((k as f64) + shift).cos();
        lc::LawRecord {
            law: name.to_string(),
            converged: true,
            rmse,
            ln_pred,
            holdout2: 0.01,
            backtest: vec![Some(0.01 + shift * 1e-3); 4],
            backtest_bias: vec![Some(seen * 0.3); 4],
            backtest_drift: vec![Some(seen + wiggle); 4],
            fit_rmse: 0.005,
        }
    };
    lc::CurveRecord {
        family: family.to_string(),
        name: format!("{family}-{k}"),
        fraction: 0.5,
        window: 12,
        later,
        // every curve law, in the benchmark's order, then the capped authors' M4
        laws: pick::curve_laws()
            .iter()
            .map(|l| l.name.as_str())
            .chain([pick::M4_AUTHORS_CAPPED])
            .enumerate()
            .map(|(i, name)| law(name, i as f64))
            .collect(),
        ln_truth,
        ln_window: Vec::new(),
        ln_dist,
        ln_x_window: Vec::new(),
        references: Vec::new(),
    }
}

/// The signed corrections of branch `bias` on records of known drift: on a
/// family whose laws all over-predict by 0.06 per unit ln distance, the
/// per-law drift learned on the other curves of that family is 0.06 and
/// removing it (or the window's own backtest drift) cuts the RMSE to the
/// wiggle's; on a family without drift both are ~0 and change nearly
/// nothing.
#[test]
fn signed_corrections_remove_a_learned_drift_and_leave_clean_curves() {
    let biased: Vec<lc::CurveRecord> = (0..10)
        .map(|k| drifting_record("biased", k, 0.06, 0.06))
        .collect();
    let clean: Vec<lc::CurveRecord> = (0..10)
        .map(|k| drifting_record("clean", k, 0.0, 0.0))
        .collect();
    let base = two_law_rule();
    let with = |c: pick::Correction| Rule {
        correction: c,
        ..base.clone()
    };
    let drift_of =
        |learned: &[(String, f64)], name: &str| learned.iter().find(|(n, _)| n == name).unwrap().1;
    for (set, want) in [(&biased, 0.06), (&clean, 0.0)] {
        // learned on the curves other than the one scored
        let (scored, others) = set.split_first().unwrap();
        let refs: Vec<&lc::CurveRecord> = others.iter().collect();
        let learned = lc::learn_drift(&refs);
        for name in ["power", "vanilla-ft", "m4"] {
            let d = drift_of(&learned, name);
            assert!((d - want).abs() < 0.003, "{name}: {d} vs {want}");
        }
        let none = scored.rule_rmse(&base);
        let per_law = scored.rule_rmse(&with(pick::Correction::PerLaw {
            shrink: 1.0,
            drift: learned.clone(),
        }));
        let own = scored.rule_rmse(&with(pick::Correction::OwnDrift { shrink: 1.0 }));
        if want > 0.0 {
            assert!(none > 0.03, "{none}");
            assert!(per_law < 0.2 * none, "{per_law} vs {none}");
            assert!(own < 0.2 * none, "{own} vs {none}");
            // half the drift removed: in between
            let half = scored.rule_rmse(&with(pick::Correction::OwnDrift { shrink: 0.5 }));
            assert!(own < half && half < none, "{own} {half} {none}");
        } else {
            assert!(none < 0.006, "{none}");
            assert!((per_law - none).abs() < 0.003, "{per_law} vs {none}");
            assert!((own - none).abs() < 0.005, "{own} vs {none}");
        }
    }
    // The protocol with the corrections among its candidates: on both
    // families together the rule it chooses corrects (the biased family
    // gains, the clean one loses nothing) and its criterion is below the
    // best rule without a correction.
    let mut all = biased.clone();
    all.extend(clean.iter().cloned());
    let rep = lc::evaluate_rules(
        all.clone(),
        &[0.5],
        vec![(0.5, 0)],
        lc::RuleSet {
            own_drift: true,
            per_law: true,
            ..Default::default()
        },
    );
    assert_ne!(
        rep.all_rule.correction,
        pick::Correction::None,
        "{:?}",
        rep.all_rule
    );
    let refs: Vec<&lc::CurveRecord> = all.iter().collect();
    let plain = lc::choose_rule(&refs);
    assert!(lc::criterion(&refs, &rep.all_rule) < lc::criterion(&refs, &plain) - 0.5);
}

/// The own-drift correction through `slaw compare`'s pick: on a clean power
/// law every eligible law's backtest drift is ~0 and the corrected forecast
/// is the uncorrected one to within the noise; inside the data nothing is
/// corrected.
#[test]
fn own_drift_correction_is_about_zero_on_a_clean_power_law() {
    let law = slaw::law::catalog::power();
    let xs: Vec<Vec<f64>> = (0..24).map(|i| vec![100.0 * 1.35f64.powi(i)]).collect();
    let obs = slaw::synthetic::generate(&law, &[40.0, 0.45, 1.8], &xs, 0.002, 5, "");
    let window = obs.subset(&(0..12).collect::<Vec<_>>());
    let rule = Rule {
        correction: pick::Correction::OwnDrift { shrink: 1.0 },
        ..Rule::shipped()
    };
    let laws = pick::curve_laws();
    let p = pick::pick(&laws, &window, &FitOptions::default(), &rule).unwrap();
    let plain = Rule {
        correction: pick::Correction::None,
        ..Rule::shipped()
    };
    let q = pick::pick(&laws, &window, &FitOptions::default(), &plain).unwrap();
    for l in p.laws.iter().filter(|l| l.weight > 0.0) {
        let d = l
            .drift
            .expect("an eligible law has a drift at every origin");
        assert!(d.abs() < 0.01, "{}: drift {d}", l.law);
    }
    let x = &xs[23];
    let (a, b) = (p.predict(x).unwrap(), q.predict(x).unwrap());
    assert!((a / b).ln().abs() < 0.01, "{a} vs {b}");
    assert!(a != b, "the correction was applied");
    assert_eq!(p.predict(&xs[5]), q.predict(&xs[5]));
}

/// The corrections of branch `bias2` on records of known drift:
/// - the learned weight of the own drift ([`lc::learn_own_weight`]) is ~1
///   where each curve's own backtest drift tracks its extrapolation drift,
///   ~0 where it is noise around a common drift;
/// - the drift by window size ([`pick::Correction::PerSize`]) learns 0.06 on
///   small windows that drift and ~0 on large ones that do not, and the
///   protocol chooses it over one drift for both;
/// - the curvature ([`pick::Correction::Quadratic`]) learns an error that
///   grows with the squared ln distance and removes it.
#[test]
fn bias2_corrections_learn_the_own_weight_and_the_drift_by_window_size() {
    let base = two_law_rule();
    let w_of = |records: &[lc::CurveRecord]| {
        let refs: Vec<&lc::CurveRecord> = records.iter().collect();
        let drift = lc::learn_drift(&refs);
        let w = lc::learn_own_weight(&refs, &base, &drift);
        w.iter().find(|(n, _)| n == "power").unwrap().1
    };
    // own drift = the curve's drift, which varies from 0 to 0.08
    let tracking: Vec<lc::CurveRecord> = (0..12)
        .map(|k| {
            let d = 0.02 * (k % 5) as f64;
            drifting_record(if k % 2 == 0 { "a" } else { "b" }, k, d, d)
        })
        .collect();
    let w = w_of(&tracking);
    assert!(w > 0.8, "tracking: w {w}");
    // own drift: noise of +-0.04 around the common drift 0.04
    let noise: Vec<lc::CurveRecord> = (0..12)
        .map(|k| {
            let seen = 0.04 + 0.04 * ((k * 5) as f64).sin();
            drifting_record(if k % 2 == 0 { "a" } else { "b" }, k, 0.04, seen)
        })
        .collect();
    let w = w_of(&noise);
    assert!(w < 0.2, "noise: w {w}");
    // a learned blend with w ~1 follows each curve's own drift: on the
    // tracking curves it removes the drift as the own-drift correction does
    let refs: Vec<&lc::CurveRecord> = tracking.iter().collect();
    let drift = lc::learn_drift(&refs);
    let blend = Rule {
        correction: pick::Correction::Blend {
            shrink: 1.0,
            own_weight: lc::learn_own_weight(&refs, &base, &drift),
            drift,
            learned: true,
        },
        ..base.clone()
    };
    let scored = &tracking[4]; // drift 0.08
    assert!(scored.rule_rmse(&blend) < 0.2 * scored.rule_rmse(&base));

    // small windows (7 points) drift by 0.06, large ones (30) do not
    let mut sized: Vec<lc::CurveRecord> = Vec::new();
    for k in 0..10 {
        let mut s = drifting_record("small", k, 0.06, 0.06);
        s.window = 7;
        let mut l = drifting_record("large", k, 0.0, 0.0);
        l.window = 30;
        sized.extend([s, l]);
    }
    let rep = lc::evaluate_rules(
        sized.clone(),
        &[0.5],
        vec![(0.5, 0)],
        lc::RuleSet {
            per_law: true,
            per_size: true,
            ..Default::default()
        },
    );
    let pick::Correction::PerSize {
        split,
        small,
        large,
        ..
    } = &rep.all_rule.correction
    else {
        panic!("not a drift by size: {:?}", rep.all_rule.correction);
    };
    assert!((7..30).contains(split), "{split}");
    let of = |v: &[(String, f64)]| v.iter().find(|(n, _)| n == "power").unwrap().1;
    assert!((of(small) - 0.06).abs() < 0.003, "{small:?}");
    assert!(of(large).abs() < 0.003, "{large:?}");
    // both kinds of windows are corrected as they should be
    for r in &sized {
        let e = r.rule_rmse(&rep.all_rule);
        assert!(e < 0.01, "{}: {e}", r.name);
    }

    // an error of 0.03 per squared ln distance: the curvature learned is
    // 0.03 and removing it cuts the RMSE 5x
    let curved: Vec<lc::CurveRecord> = (0..10)
        .map(|k| {
            let mut r = drifting_record("curved", k, 0.0, 0.0);
            for l in &mut r.laws {
                for (p, u) in l.ln_pred.iter_mut().zip(&r.ln_dist) {
                    *p += 0.03 * u * u;
                }
            }
            r
        })
        .collect();
    let refs: Vec<&lc::CurveRecord> = curved[1..].iter().collect();
    let learned = lc::learn_curvature(&refs);
    let c = learned.iter().find(|(n, _)| n == "power").unwrap().1;
    assert!((c - 0.03).abs() < 0.003, "{c}");
    let quad = Rule {
        correction: pick::Correction::Quadratic {
            shrink: 1.0,
            drift: learned,
        },
        ..base.clone()
    };
    let (with, without) = (curved[0].rule_rmse(&quad), curved[0].rule_rmse(&base));
    assert!(
        without > 0.01 && with < 0.2 * without,
        "{with} vs {without}"
    );
}

/// A drifting record ([`drifting_record`]) whose window (12 points, 0.2
/// apart in ln x) descends with log-log slope -0.2 over its first half and
/// -0.2 (1 + `steep`) over its second: its bend is -`steep`.
fn shaped_record(family: &str, k: usize, drift: f64, steep: f64) -> lc::CurveRecord {
    let mut r = drifting_record(family, k, drift, drift);
    let u: Vec<f64> = (0..12).map(|i| -0.2 * (11 - i) as f64).collect();
    let y: Vec<f64> = u
        .iter()
        .map(|&v| {
            let mid = u[6];
            if v <= mid {
                -0.2 * (v - mid)
            } else {
                -0.2 * (1.0 + steep) * (v - mid)
            }
        })
        .collect();
    r.ln_x_window = u;
    r.ln_window = y;
    r
}

/// The keyed drift of branch `bias3`: the window's shape is read from its
/// ln x and ln y alone (unchanged by units), and on families whose drift
/// grows with the window's steepening (0.02 + 0.05 x steepening) the slope
/// learned is 0.05 and the keyed correction leaves a fraction of the
/// per-law drift's error on the steepest windows; the protocol, with the
/// goal's criterion too, chooses it.
#[test]
fn bias3_keyed_drift_follows_the_steepening_of_the_window() {
    // the shape: units do not matter, the bend is read exactly
    let lx: Vec<f64> = (0..12).map(|i| 0.2 * i as f64).collect();
    let ly: Vec<f64> = lx
        .iter()
        .map(|&v| {
            if v <= 1.2 {
                -0.2 * v
            } else {
                -0.24 - 0.3 * (v - 1.2)
            }
        })
        .collect();
    let s = pick::Shape::of(&lx, &ly);
    assert!(
        (s.bend + 0.5).abs() < 1e-9 && (s.span - 2.2).abs() < 1e-9,
        "{s:?}"
    );
    assert_eq!(pick::Key::Steepening.of(&s), s.bend.abs());
    let shifted_x: Vec<f64> = lx
        .iter()
        .map(|v| v + 6.0 * std::f64::consts::LN_10)
        .collect();
    let scaled_y: Vec<f64> = ly.iter().map(|v| v + 3f64.ln()).collect();
    let t = pick::Shape::of(&shifted_x, &scaled_y);
    assert!((t.bend - s.bend).abs() < 1e-9 && (t.span - s.span).abs() < 1e-9);
    assert!(pick::Shape::of(&lx[..3], &ly[..3]).bend.is_nan());

    let steep = |k: usize| 0.15 * k as f64;
    let mut all = Vec::new();
    for fam in ["a", "b", "c", "d"] {
        for k in 0..10 {
            all.push(shaped_record(fam, k, 0.02 + 0.05 * steep(k), steep(k)));
        }
    }
    let refs: Vec<&lc::CurveRecord> = all.iter().filter(|r| r.family != "a").collect();
    let drift = lc::learn_drift(&refs);
    let Some(pick::Correction::Keyed {
        slope,
        centre,
        range,
        ..
    }) = lc::learn_keyed(&refs, pick::Key::Steepening, &drift)
    else {
        panic!("no keyed drift learned");
    };
    for (name, b) in &slope {
        if ["power", "vanilla-ft", "m4"].contains(&name.as_str()) {
            assert!((b - 0.05).abs() < 0.005, "{name}: {b}");
        }
    }
    assert!((centre - steep(9) / 2.0).abs() < 1e-9, "{centre}");
    assert!(
        range.0.abs() < 1e-9 && (range.1 - steep(9)).abs() < 1e-9,
        "{range:?}"
    );
    let base = Rule {
        origins: vec![pick::Origin::Fraction(0.75), pick::Origin::Last(2)],
        combine: pick::Combine::Top { k: 2 },
        pool: vec!["power".into(), "vanilla-ft".into()],
        ..Rule::shipped()
    };
    let keyed = Rule {
        correction: lc::learn_keyed(&refs, pick::Key::Steepening, &drift).unwrap(),
        ..base.clone()
    };
    let per_law = Rule {
        correction: pick::Correction::PerLaw {
            shrink: 1.0,
            drift: drift.clone(),
        },
        ..base.clone()
    };
    // the held-out family's steepest and flattest windows
    for r in [&all[0], &all[9]] {
        let (e_keyed, e_per_law) = (r.rule_rmse(&keyed), r.rule_rmse(&per_law));
        assert!(e_keyed < 0.3 * e_per_law, "{e_keyed} vs {e_per_law}");
    }
    // records without the window's x: the per-law drift alone
    let mut old = all[9].clone();
    old.ln_x_window.clear();
    assert!((old.rule_rmse(&keyed) - old.rule_rmse(&per_law)).abs() < 1e-12);
    for criterion in [lc::Criterion::LogRatio, lc::Criterion::Goal] {
        let rep = lc::evaluate_rules(
            all.clone(),
            &[0.5],
            vec![(0.5, 0)],
            lc::RuleSet {
                per_law: true,
                keyed: [false, true, false],
                criterion,
                ..Default::default()
            },
        );
        assert!(
            matches!(rep.all_rule.correction, pick::Correction::Keyed { .. }),
            "{criterion:?}: {:?}",
            rep.all_rule.correction
        );
    }
    // The criterion and the key chosen out of sample too (an inner fold
    // learns a key on 2 families): every fold takes the steepening (the
    // span is the same on every window).
    let rep = lc::evaluate_rules(
        all.clone(),
        &[0.5],
        vec![(0.5, 0)],
        lc::RuleSet {
            nested: true,
            ..Default::default()
        },
    );
    assert_eq!(rep.lofo_configs.len(), 4);
    for ((f, c), (g, rule)) in rep.lofo_configs.iter().zip(&rep.lofo_rules) {
        assert_eq!(f, g);
        assert!(c.ends_with("keyed: steepening"), "{f}: {c}");
        assert!(
            matches!(rule.correction, pick::Correction::Keyed { .. }),
            "{f}: {:?}",
            rule.correction
        );
    }
    // On every family too (the rule to ship): the six configurations
    // scored by leave-one-family-out over all four families, a steepening
    // configuration the lowest, its rule keyed and reported as the rule
    // chosen on every family, with the margin over the runner-up.
    let n = rep
        .nested_all
        .as_ref()
        .expect("the nested choice on every family");
    assert_eq!(n.scores.len(), 6);
    assert!(n.scores.iter().all(|s| s.1.is_finite()), "{:?}", n.scores);
    let (label, best) = &n.scores[n.chosen];
    assert!(label.ends_with("keyed: steepening"), "{:?}", n.scores);
    assert!(n.scores.iter().all(|s| s.1 >= *best), "{:?}", n.scores);
    assert!(matches!(
        n.rule.correction,
        pick::Correction::Keyed {
            key: pick::Key::Steepening,
            ..
        }
    ));
    assert_eq!(rep.all_rule, n.rule);
    let text = lc::text(&rep);
    assert!(
        text.contains("<- chosen") && text.contains("margin over the runner-up"),
        "{text}"
    );
}

/// The shipped rule re-derived: the records of every public and synthetic
/// curve at both windows (as `slaw bench curves --m4-reference`: 24 curves
/// per synthetic family, seed 14), then the nested procedure's outer step
/// on every family ([`lc::nested_all`]: the six configurations scored by
/// leave-one-family-out with the goal's terms, the best one's protocol
/// choosing the rule on every family) gives `Rule::shipped()`: its
/// origins, combination, pool, fallback, key, and each constant to the 6
/// decimals shipped. About 5 minutes on 2 cores, so not run by default:
/// `cargo test --release -p slaw --test learning_curves -- --ignored`.
#[test]
#[ignore = "re-derives the shipped rule from every curve (about 5 min): run with --ignored"]
fn shipped_rule_is_the_nested_choice_on_every_family() {
    let Some(dir) = common::shared_data("loss-curves") else {
        return;
    };
    let mut curves = lc::public_curves(&dir).unwrap();
    curves.extend(lc::synthetic_curves(24, 14));
    let rep = lc::run_with(&curves, &[0.25, 0.5], &FitOptions::default(), &(), true);
    let refs: Vec<&lc::CurveRecord> = rep.records.iter().collect();
    let choice = lc::nested_all(&refs, &lc::nested_configs(false));
    assert_eq!(
        choice.scores[choice.chosen].0, "goal criterion, keyed: steepening",
        "{:?}",
        choice.scores
    );
    let (got, want) = (choice.rule, Rule::shipped());
    assert_eq!(
        (&got.origins, got.combine, &got.pool, got.fallback),
        (&want.origins, want.combine, &want.pool, want.fallback)
    );
    assert_eq!((got.weighting, got.shrink), (want.weighting, want.shrink));
    let keyed = |c: &pick::Correction| match c.clone() {
        pick::Correction::Keyed {
            shrink,
            key,
            drift,
            slope,
            centre,
            range,
            ..
        } => (shrink, key, drift, slope, centre, range),
        other => panic!("not keyed: {other:?}"),
    };
    let (g, w) = (keyed(&got.correction), keyed(&want.correction));
    assert_eq!((g.0, g.1), (w.0, w.1));
    let close = |a: f64, b: f64| (a - b).abs() <= 5.1e-7;
    for (gv, wv) in [(&g.2, &w.2), (&g.3, &w.3)] {
        let names = |v: &[(String, f64)]| v.iter().map(|p| p.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(gv), names(wv));
        for (a, b) in gv.iter().zip(wv) {
            assert!(close(a.1, b.1), "{}: learned {} shipped {}", a.0, a.1, b.1);
        }
    }
    assert!(close(g.4, w.4), "centre {} vs {}", g.4, w.4);
    assert!(
        close(g.5 .0, w.5 .0) && close(g.5 .1, w.5 .1),
        "range {:?} vs {:?}",
        g.5,
        w.5
    );
}

/// The keyed drift combined with the curve's own backtest drift
/// ([`pick::OwnEvidence`]): the weight of the own drift learned against the
/// keyed prior is > 0.8 where the own drift tracks the drift beyond the
/// window and < 0.2 where it is noise; on families where half the curves
/// drift (and their backtests show it) and half do not (their backtests
/// under-predict a little), the protocol given the own-evidence variants
/// chooses one, and it leaves the curves that do not drift almost
/// uncorrected where the prior alone lowers them.
#[test]
fn own_evidence_weighs_the_prior_against_the_curves_own_backtests() {
    let base = two_law_rule();
    let w_of = |records: &[lc::CurveRecord]| {
        let refs: Vec<&lc::CurveRecord> = records.iter().collect();
        let drift = lc::learn_drift(&refs);
        let prior = lc::learn_keyed(&refs, pick::Key::Steepening, &drift).unwrap();
        let w = lc::learn_keyed_own_weight(&refs, &base, &prior);
        w.iter().find(|(n, _)| n == "power").unwrap().1
    };
    let family = |k: usize| ["a", "b", "c"][k % 3];
    // own drift = the curve's drift, 0 to 0.08 whatever the window's shape
    let tracking: Vec<lc::CurveRecord> = (0..15)
        .map(|k| {
            let d = 0.02 * (k % 5) as f64;
            let mut r = shaped_record(family(k), k, d, 0.1 * (k % 3) as f64);
            for l in &mut r.laws {
                l.backtest_drift = vec![Some(d); 4];
            }
            r
        })
        .collect();
    let w = w_of(&tracking);
    assert!(w > 0.8, "tracking: w {w}");
    // every curve drifts by 0.04; the own drift is noise of +-0.04 around it
    let noise: Vec<lc::CurveRecord> = (0..15)
        .map(|k| {
            let mut r = shaped_record(family(k), k, 0.04, 0.1 * (k % 3) as f64);
            for l in &mut r.laws {
                l.backtest_drift = vec![Some(0.04 + 0.04 * ((k * 5) as f64).sin()); 4];
            }
            r
        })
        .collect();
    let w = w_of(&noise);
    assert!(w < 0.2, "noise: w {w}");

    // half the curves drift by 0.06 and show it, half do not drift and
    // their backtests under-predict by 0.01 per unit ln distance
    let mixed: Vec<lc::CurveRecord> = (0..24)
        .map(|k| {
            let drifts = k % 2 == 0;
            let d = if drifts { 0.06 } else { 0.0 };
            // the window's shape says nothing of the drift (a pair of
            // curves, one drifting, shares it)
            let mut r = shaped_record(family(k / 2), k, d, 0.1 * ((k / 6) % 3) as f64);
            for l in &mut r.laws {
                l.backtest_drift = vec![Some(if drifts { 0.06 } else { -0.01 }); 4];
            }
            r
        })
        .collect();
    let run = |own_evidence: bool| {
        lc::evaluate_rules(
            mixed.clone(),
            &[0.5],
            vec![(0.5, 0)],
            lc::RuleSet {
                per_law: true,
                keyed: [false, true, false],
                own_evidence,
                criterion: lc::Criterion::Goal,
                ..Default::default()
            },
        )
        .all_rule
    };
    let (without, with_own) = (run(false), run(true));
    let pick::Correction::Keyed { own, .. } = &with_own.correction else {
        panic!("not keyed: {:?}", with_own.correction);
    };
    assert!(!own.is_none(), "{:?}", with_own.correction);
    // the same keyed drift without the own evidence lowers the curves that
    // do not drift by as much as those that do (so the protocol without
    // the variants corrects nothing)
    let mut prior = with_own.clone();
    if let pick::Correction::Keyed { own, .. } = &mut prior.correction {
        *own = pick::OwnEvidence::None;
    }
    let (flat, drifting) = (&mixed[1], &mixed[0]);
    let (e_own, e_prior) = (flat.rule_rmse(&with_own), flat.rule_rmse(&prior));
    assert!(
        e_own < 0.5 * e_prior,
        "a curve that does not drift: {e_own} vs {e_prior}"
    );
    let (e_own, e_without) = (drifting.rule_rmse(&with_own), drifting.rule_rmse(&without));
    assert!(
        e_own < 0.5 * e_without,
        "a drifting curve: {e_own} vs {e_without}"
    );
    assert!(
        with_own.label().contains("own drift"),
        "{}",
        with_own.label()
    );
}

/// The rule the drift tests learn on: origins 0.75 and last-2, the top 2
/// of power and vanilla-ft, no drift correction.
fn two_law_rule() -> Rule {
    Rule {
        origins: vec![pick::Origin::Fraction(0.75), pick::Origin::Last(2)],
        combine: pick::Combine::Top { k: 2 },
        pool: vec!["power".into(), "vanilla-ft".into()],
        correction: pick::Correction::None,
        ..Rule::shipped()
    }
}
