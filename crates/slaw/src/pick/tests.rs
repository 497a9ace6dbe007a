use super::*;

/// A pick whose only law has a segment of Huber optima (+-2% balanced
/// residuals on a doubling ladder): its prediction's range is that
/// law's range, lowered by the same correction as the prediction; none
/// under least squares.
#[test]
fn a_pick_predicts_the_range_of_its_laws_segments() {
    let law = crate::law::formula::formula_law(
        "A / D^alpha",
        &["D".to_string()],
        &["A".to_string(), "alpha".to_string()],
        &["A".to_string()],
    )
    .unwrap();
    let d: Vec<f64> = (0..12).map(|k| 200.0 * 2f64.powi(k)).collect();
    let y: Vec<f64> = d
        .iter()
        .enumerate()
        .map(|(k, d)| 3.3 * d.powf(-0.113) * f64::exp(0.02 * [1.0, -1.0, -1.0, 1.0][k % 4]))
        .collect();
    let obs = Observations::from_columns(&["D"], &[d], y);
    let rule = Rule::shipped_with_any_pool();
    let opts = FitOptions::default();
    let p = pick(std::slice::from_ref(&law), &obs, &opts, &rule).unwrap();
    let x = [1e7];
    let v = p.predict(&x).unwrap();
    let (lo, hi) = p.predict_range(&x).expect("a segment");
    assert!(lo <= v && v <= hi && hi / lo > 1.01, "{lo} {v} {hi}");
    let fit = p.laws[0].fit.as_ref().unwrap();
    let (llo, lhi) = crate::segment::prediction_range(&law, fit, &obs, &opts, &x).unwrap();
    let own = law.predict(&x, p.laws[0].params.as_ref().unwrap());
    for (a, b) in [(lo / v, llo / own), (hi / v, lhi / own)] {
        assert!((a / b - 1.0).abs() < 1e-9, "{a} {b}");
    }
    let squared = FitOptions {
        loss: crate::objective::Loss::Squared,
        ..opts
    };
    let p = pick(std::slice::from_ref(&law), &obs, &squared, &rule).unwrap();
    assert!(p.predict_range(&x).is_none());
}

#[test]
fn signed_errors_and_corrections() {
    // ln forecast - ln truth = 0.01 + 0.05 u at distances u
    let u = [0.1, 0.5, 1.0, 2.0];
    let truth = [1.0, 0.9, 0.8, 0.7];
    let pred: Vec<f64> = u
        .iter()
        .zip(&truth)
        .map(|(u, t)| t + 0.01 + 0.05 * u)
        .collect();
    let s = Signed::of(&pred, &truth, &u).unwrap();
    let e: Vec<f64> = u.iter().map(|u| 0.01 + 0.05 * u).collect();
    assert!((s.bias - e.iter().sum::<f64>() / 4.0).abs() < 1e-12);
    let slope =
        e.iter().zip(&u).map(|(e, u)| e * u).sum::<f64>() / u.iter().map(|u| u * u).sum::<f64>();
    assert!((s.drift.unwrap() - slope).abs() < 1e-12 && slope > 0.05);
    let rmse = (e.iter().map(|e| e * e).sum::<f64>() / 4.0).sqrt();
    assert!((s.rmse - rmse).abs() < 1e-12);
    // no distance, no drift; a non-finite forecast, nothing
    assert_eq!(Signed::of(&pred, &truth, &[0.0; 4]).unwrap().drift, None);
    assert!(Signed::of(&[f64::NAN], &[1.0], &[1.0]).is_none());
    let own = Correction::OwnDrift { shrink: 0.5 };
    assert_eq!(own.slope("power", Some(0.04)), 0.02);
    assert_eq!(own.slope("power", None), 0.0);
    let learned = Correction::PerLaw {
        shrink: 1.0,
        drift: vec![("power".into(), 0.03)],
    };
    assert_eq!(learned.slope("power", Some(0.5)), 0.03);
    assert_eq!(learned.slope("bnsl", Some(0.5)), 0.0);
    assert_eq!(Correction::None.slope("power", Some(0.5)), 0.0);
    // branch bias2: the blend, the gate, the cap, the size
    let d = vec![("power".to_string(), 0.03)];
    let blend = Correction::Blend {
        shrink: 1.0,
        drift: d.clone(),
        own_weight: vec![("power".into(), 0.25)],
        learned: false,
    };
    assert!((blend.slope("power", Some(0.07)) - (0.25 * 0.07 + 0.75 * 0.03)).abs() < 1e-15);
    assert_eq!(blend.slope("power", None), 0.03);
    assert_eq!(blend.slope("bnsl", Some(0.07)), 0.0);
    let gated = Correction::Gated {
        shrink: 0.5,
        drift: d.clone(),
    };
    assert_eq!(gated.slope("power", Some(0.001)), 0.015);
    assert_eq!(gated.slope("power", Some(-0.02)), 0.0);
    assert_eq!(gated.slope("power", None), 0.0);
    let capped = Correction::Capped {
        shrink: 1.0,
        drift: d.clone(),
    };
    assert_eq!(capped.slope("power", Some(0.01)), 0.01);
    assert_eq!(capped.slope("power", Some(0.08)), 0.03);
    assert_eq!(capped.slope("power", Some(-0.01)), 0.0);
    let sized = Correction::PerSize {
        shrink: 1.0,
        split: 10,
        small: vec![("power".into(), 0.05)],
        large: d,
    };
    assert_eq!(sized.slope_n("power", None, Some(10)), 0.05);
    assert_eq!(sized.slope_n("power", None, Some(11)), 0.03);
    assert_eq!(sized.slope("power", Some(0.5)), 0.0);
    let quad = Correction::Quadratic {
        shrink: 0.5,
        drift: vec![("power".into(), 0.02)],
    };
    assert_eq!((quad.slope("power", None), quad.power()), (0.01, 2));
    assert_eq!(Correction::None.power(), 1);
    // keyed: drift + slope (key - centre), the key clamped to its range
    let keyed = Correction::Keyed {
        shrink: 0.5,
        key: Key::Span,
        drift: vec![("power".into(), 0.02)],
        slope: vec![("power".into(), 0.01)],
        centre: 2.0,
        range: (1.0, 4.0),
        own: OwnEvidence::None,
    };
    let at = |span: f64| Shape {
        n: 12,
        span,
        bend: f64::NAN,
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-15;
    assert!(close(keyed.slope_at("power", None, Some(&at(3.0))), 0.015));
    assert!(close(keyed.slope_at("power", None, Some(&at(9.0))), 0.02));
    assert!(close(keyed.slope_at("power", None, Some(&at(0.0))), 0.005));
    assert!(close(keyed.slope("power", None), 0.01));
    assert_eq!(keyed.slope_at("bnsl", None, Some(&at(3.0))), 0.0);
    assert!(Key::Steepening.of(&at(3.0)).is_nan());
    // the keyed drift (prior 0.03 at span 3, x0.5) with the curve's own
    // backtest drift: gated by its sign, capped by it, shrunk toward it
    let with = |own: OwnEvidence| Correction::Keyed {
        shrink: 0.5,
        key: Key::Span,
        drift: vec![("power".into(), 0.02)],
        slope: vec![("power".into(), 0.01)],
        centre: 2.0,
        range: (1.0, 4.0),
        own,
    };
    let s3 = Some(at(3.0));
    let gate = with(OwnEvidence::Gate);
    assert!(close(
        gate.slope_at("power", Some(0.001), s3.as_ref()),
        0.015
    ));
    assert_eq!(gate.slope_at("power", Some(-0.01), s3.as_ref()), 0.0);
    assert_eq!(gate.slope_at("power", Some(0.0), s3.as_ref()), 0.0);
    // no own drift (the backtests failed): the prior stands
    assert!(close(gate.slope_at("power", None, s3.as_ref()), 0.015));
    assert!(close(
        gate.slope_at("power", Some(f64::NAN), s3.as_ref()),
        0.015
    ));
    let cap = with(OwnEvidence::Cap);
    assert!(close(cap.slope_at("power", Some(0.01), s3.as_ref()), 0.005));
    assert!(close(cap.slope_at("power", Some(0.2), s3.as_ref()), 0.015));
    assert_eq!(cap.slope_at("power", Some(-0.2), s3.as_ref()), 0.0);
    let shrunk = with(OwnEvidence::Shrink(vec![("power".into(), 0.25)]));
    // 0.5 (0.25 x 0.07 + 0.75 x 0.03) = 0.02
    assert!(close(
        shrunk.slope_at("power", Some(0.07), s3.as_ref()),
        0.02
    ));
    assert!(close(shrunk.slope_at("power", None, s3.as_ref()), 0.015));
    // a law not named: no drift, whatever its own evidence
    assert_eq!(shrunk.slope_at("bnsl", Some(0.07), s3.as_ref()), 0.0);
    // the records and the shipped JSON of a keyed drift without own
    // evidence are unchanged (no `own` field), and the variants round-trip
    let json = serde_json::to_string(&keyed).unwrap();
    assert!(!json.contains("own"), "{json}");
    for c in [gate, cap, shrunk] {
        let back: Correction = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
    assert!(with(OwnEvidence::Gate)
        .label()
        .contains("gated by the own drift"));
}

#[test]
fn weights_pick_and_normalize() {
    let s = [Some(0.02), None, Some(0.01), Some(0.04)];
    assert_eq!(weights(Combine::Best, &s), vec![0.0, 0.0, 1.0, 0.0]);
    let w = weights(Combine::Top { k: 2 }, &s);
    assert_eq!(w[1], 0.0);
    assert_eq!(w[3], 0.0);
    assert!((w[0] + w[2] - 1.0).abs() < 1e-12);
    assert!((w[2] / w[0] - 4.0).abs() < 1e-9);
    assert!(weights(Combine::Best, &[None, None])
        .iter()
        .all(|&w| w == 0.0));
}

#[test]
fn fallback_weighs_converged_fits_when_fewer_than_two_are_eligible() {
    let names = ["power", "vanilla-ft", "bnsl", "m4"];
    let scores = [Some(0.02), None, None, None];
    let converged = [true, true, false, true];
    let mut rule = Rule {
        pool: names.iter().map(|s| s.to_string()).collect(),
        ..Rule::shipped()
    };
    // the default: the one eligible law
    rule.fallback = Fallback::Eligible;
    let (w, used) = rule_weights(&rule, &scores, &converged, &names);
    assert_eq!((w, used), (vec![1.0, 0.0, 0.0, 0.0], false));
    // every converged fit of the pool, equal weights
    rule.fallback = Fallback::AllFits;
    let (w, used) = rule_weights(&rule, &scores, &converged, &names);
    assert!(used);
    let third = 1.0 / 3.0;
    assert_eq!(w, vec![third, third, 0.0, third]);
    // the eligible law and m4
    rule.fallback = Fallback::WithM4;
    let (w, used) = rule_weights(&rule, &scores, &converged, &names);
    assert_eq!((w, used), (vec![0.5, 0.0, 0.0, 0.5], true));
    // with M4 fitted by its authors' procedure in the pool, that M4
    let five = ["power", "vanilla-ft", "bnsl", "m4", M4_AUTHORS_CAPPED];
    let mut with_authors = rule.clone();
    with_authors.pool = five.iter().map(|s| s.to_string()).collect();
    let (w, used) = rule_weights(
        &with_authors,
        &[Some(0.02), None, None, None, None],
        &[true, true, false, true, true],
        &five,
    );
    assert_eq!((w, used), (vec![0.5, 0.0, 0.0, 0.0, 0.5], true));
    // two eligible laws: the backtest's weights, whatever the fallback
    let two = [Some(0.02), Some(0.01), None, None];
    let (w, used) = rule_weights(&rule, &two, &converged, &names);
    assert!(!used);
    assert_eq!(w, weights(rule.combine, &two));
    // laws outside the pool never weigh
    rule.fallback = Fallback::AllFits;
    rule.pool = vec!["power".into(), "m4".into()];
    let (w, _) = rule_weights(&rule, &scores, &converged, &names);
    assert_eq!(w, vec![0.5, 0.0, 0.0, 0.5]);
}

/// With equal weights (the shipped median of 3) the choice is the law
/// of best score, whatever the order the laws are given in (it was the
/// last of the equal weights: the worst-scoring law in one order).
#[test]
fn the_choice_among_equal_weights_is_the_best_score_in_any_order() {
    let xs: Vec<f64> = (0..15)
        .map(|i| 1e3 * 10f64.powf(i as f64 * 4.0 / 14.0))
        .collect();
    // 0.5% deterministic wiggle around 50 / x^0.3 + 1.8
    let y: Vec<f64> = xs
        .iter()
        .enumerate()
        .map(|(i, x)| (50.0 / x.powf(0.3) + 1.8) * (0.005 * ((i * 7 % 5) as f64 - 2.0) / 2.0).exp())
        .collect();
    let obs = Observations::from_columns(&["n"], &[xs], y);
    let opts = FitOptions::default();
    let rule = Rule::shipped_with_any_pool();
    let choice = |names: &[&str]| {
        let laws: Vec<Law> = names.iter().map(|n| catalog::by_name(n).unwrap()).collect();
        let g = pick_groups(&laws, &obs, &opts, &rule).unwrap().remove(0);
        let w: Vec<f64> = g.pick.laws.iter().map(|l| l.weight).collect();
        assert!(w.iter().all(|&v| v == w[0] && v > 0.0), "{w:?}");
        let best = g
            .pick
            .laws
            .iter()
            .filter_map(|l| l.score)
            .fold(f64::INFINITY, f64::min);
        let top = g.pick.top().unwrap();
        assert_eq!(top.score, Some(best), "{:?}", g.pick.laws);
        (g.choice.unwrap(), top.score.unwrap())
    };
    let (a, sa) = choice(&["power", "vanilla-ft"]);
    let (b, sb) = choice(&["vanilla-ft", "power"]);
    assert_eq!(a, b);
    assert_eq!(sa, sb);
    // Three laws in two orders: the same best score (power and rectified
    // may tie exactly, rectified reducing to power).
    let (_, sc) = choice(&["power", "rectified", "vanilla-ft"]);
    let (_, sd) = choice(&["vanilla-ft", "rectified", "power"]);
    assert_eq!(sc, sd);
}

#[test]
fn no_law_backtested_still_weighs_the_usable_fits() {
    // 5 points: no law could be backtested; m4 (5 parameters) and bnsl
    // interpolate (not usable), power and vanilla-ft have spare points
    let names = ["power", "vanilla-ft", "bnsl", "m4"];
    let scores = [None, None, None, None];
    let usable = [true, true, false, false];
    for fallback in [Fallback::Eligible, Fallback::AllFits, Fallback::WithM4] {
        let rule = Rule {
            fallback,
            ..Rule::shipped()
        };
        let (w, used) = rule_weights(&rule, &scores, &usable, &names);
        assert!(used, "{fallback:?}");
        assert_eq!(w, vec![0.5, 0.5, 0.0, 0.0], "{fallback:?}");
    }
    // nothing usable: no weights (the caller reports that no law could be used)
    let (w, used) = rule_weights(&Rule::shipped(), &scores, &[false; 4], &names);
    assert!(!used && w.iter().all(|&v| v == 0.0));
}

#[test]
fn weightings_order_and_normalize() {
    let s = [Some(0.02), None, Some(0.01), Some(0.04)];
    let top3 = Combine::Top { k: 3 };
    let check = |w: &[f64]| {
        assert_eq!(w[1], 0.0);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // the better backtest never weighs less
        assert!(w[2] >= w[0] && w[0] >= w[3], "{w:?}");
    };
    let inv = weights_by(top3, Weighting::Inverse, &s);
    check(&inv);
    assert!((inv[2] / inv[0] - 2.0).abs() < 1e-9);
    assert!((inv[0] / inv[3] - 2.0).abs() < 1e-9);
    let eq = weights_by(top3, Weighting::Equal, &s);
    check(&eq);
    assert!((eq[0] - 1.0 / 3.0).abs() < 1e-12 && eq[0] == eq[3]);
    // exp(-(s / s_min - 1) / t): 1, e^-1, e^-3 for t = 1
    let ex = weights_by(top3, Weighting::Exp(1.0), &s);
    check(&ex);
    assert!((ex[0] / ex[2] - (-1.0f64).exp()).abs() < 1e-12);
    assert!((ex[3] / ex[2] - (-3.0f64).exp()).abs() < 1e-12);
    // scale-free: the same weights when every score is 1000x
    let big: Vec<Option<f64>> = s.iter().map(|v| v.map(|x| x * 1e3)).collect();
    let ex_big = weights_by(top3, Weighting::Exp(1.0), &big);
    for (a, b) in ex.iter().zip(&ex_big) {
        assert!((a - b).abs() < 1e-12);
    }
    // the default is the inverse square
    assert_eq!(
        weights_by(top3, Weighting::default(), &s),
        weights(top3, &s)
    );
}

#[test]
fn m4_alone_fallback_and_shrinkage_toward_m4() {
    let names = ["power", "vanilla-ft", "bnsl", M4_AUTHORS_CAPPED];
    let usable = [true, true, true, true];
    let mut rule = Rule {
        pool: names.iter().map(|s| s.to_string()).collect(),
        fallback: Fallback::M4,
        combine: Combine::Top { k: 2 },
        ..Rule::shipped()
    };
    // one eligible law: M4 alone replaces it
    let one = [Some(0.02), None, None, None];
    let (w, used) = rule_weights(&rule, &one, &usable, &names);
    assert_eq!((w, used), (vec![0.0, 0.0, 0.0, 1.0], true));
    // M4 not usable: the eligible law
    let (w, used) = rule_weights(&rule, &one, &[true, true, true, false], &names);
    assert_eq!((w, used), (vec![1.0, 0.0, 0.0, 0.0], false));
    // shrinkage: (1 - s) times the backtest's weights, plus s on M4
    let two = [Some(0.02), Some(0.01), None, Some(0.04)];
    rule.shrink = 0.25;
    let base = weights(rule.combine, &two);
    let (w, used) = rule_weights(&rule, &two, &usable, &names);
    assert!(!used);
    for i in 0..3 {
        assert!((w[i] - 0.75 * base[i]).abs() < 1e-12);
    }
    assert!((w[3] - (0.75 * base[3] + 0.25)).abs() < 1e-12);
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // no usable M4: nothing to shrink toward
    let (w, _) = rule_weights(&rule, &two, &[true, true, true, false], &names);
    assert_eq!(w, base);
    // not with the median (its value is not a weighted mean)
    rule.combine = Combine::Median { k: 3 };
    let (w, _) = rule_weights(&rule, &two, &usable, &names);
    assert_eq!(w, weights(rule.combine, &two));
    // the label says both
    rule.combine = Combine::Top { k: 2 };
    rule.weighting = Weighting::Inverse;
    let l = rule.label();
    assert!(l.contains("weights 1/s") && l.contains("m4 alone") && l.contains("shrunk 0.25"));
    // rules saved before these fields read as before
    let json = r#"{"origins":[{"kind":"last","value":2}],"combine":{"kind":"best"},"pool":[]}"#;
    let old: Rule = serde_json::from_str(json).unwrap();
    assert_eq!(
        (old.weighting, old.shrink, old.fallback),
        (Weighting::InverseSquare, 0.0, Fallback::Eligible)
    );
}

/// A dense smooth curve: L = 2 + 30 x^-0.4 at x = 100, 101, ...
/// (`n` points, a training log's every step), times 1 + a deterministic
/// noise uniform in +-0.5%.
fn dense_curve(n: usize) -> Observations {
    let x: Vec<f64> = (0..n).map(|k| 100.0 + k as f64).collect();
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
            (2.0 + 30.0 * v.powf(-0.4)) * (1.0 + 0.01 * u)
        })
        .collect();
    Observations::from_columns(&["x"], &[x], y)
}

/// The pick's reduction of a long curve ([`log_bins`]): fitted on 500
/// log-spaced bins of 20,000 points, each law predicts within 0.3% of
/// its fit to every point at 10 and 100 times the last x (the
/// extrapolation the pick is for; measured: at most 0.06%), and M4 by
/// its authors' procedure (shortened here to 30 rounds, on 6,000
/// points) within 0.5% (measured: 0.0x%).
#[test]
fn bins_of_a_dense_curve_fit_as_its_points() {
    let obs = dense_curve(20_000);
    let idx = order(&obs);
    let opts = FitOptions::default();
    let bins = log_bins(&obs, &idx, BINS, opts.space).unwrap();
    assert_eq!(bins.len(), BINS);
    assert_eq!(bins.weight.iter().sum::<f64>(), 20_000.0);
    for name in ["power", "vanilla-ft", "rectified"] {
        let law = catalog::by_name(name).unwrap();
        let full = fit(&law, &obs, &opts).unwrap();
        let binned = fit(&law, &bins, &opts).unwrap();
        assert!(full.converged && binned.converged, "{name}");
        for x in [2e5, 2e6] {
            let (a, b) = (
                law.predict(&[x], &full.params),
                law.predict(&[x], &binned.params),
            );
            let rel = (b / a).ln().abs();
            eprintln!("{name} at {x}: {a} (points) vs {b} (bins): {rel:.1e}");
            assert!(rel < 3e-3, "{name} at {x}: {a} (points) vs {b} (bins)");
        }
    }
    let obs = dense_curve(6_000);
    let idx = order(&obs);
    let short = crate::m4_reference::Options {
        max_rounds: 30,
        grad_rounds: 10,
        ..crate::m4_reference::Options::default()
    };
    let x: Vec<f64> = idx.iter().map(|&i| obs.point(i)[0]).collect();
    let full = crate::m4_reference::fit(&x, &obs.y, &short).unwrap();
    let binned = m4_fit(&obs, &idx, idx.len(), &short).unwrap();
    for x in [6.1e4, 6.1e5] {
        let (a, b) = (full.predict(x), binned.predict(x));
        let rel = (b / a).ln().abs();
        eprintln!("m4-authors at {x}: {a} (points) vs {b} (bins): {rel:.1e}");
        assert!(rel < 5e-3, "m4-authors at {x}: {a} (points) vs {b} (bins)");
    }
}

/// Up to [`MAX_POINTS`] points the pick fits the points themselves (the
/// benchmarks' curves: their figures do not move); above, bins, and the
/// pick says so ([`Pick::bins`]).
#[test]
fn only_curves_above_the_limit_are_binned() {
    let laws = [catalog::by_name("power").unwrap()];
    let rule = Rule::shipped_with_any_pool();
    let opts = FitOptions::default();
    // (M4 on the points, 3 fits of 5,000, would take some 20 s)
    let none: [&str; 0] = [];
    for (n, bins, authors) in [
        (MAX_POINTS, None, &none[..]),
        (MAX_POINTS + 1, Some(BINS), &[M4_AUTHORS_CAPPED][..]),
    ] {
        let p = pick_with(&laws, authors, &dense_curve(n), &opts, &rule).unwrap();
        assert_eq!(p.bins, bins, "{n} points");
        assert!(p.laws.iter().all(|l| l.score.is_some()), "{n} points");
    }
    // the exact fit on the points up to the limit, as before
    let obs = dense_curve(MAX_POINTS);
    let p = pick_with(&laws, &[], &obs, &opts, &rule).unwrap();
    let full = fit(&laws[0], &obs, &opts).unwrap();
    assert_eq!(p.laws[0].params, Some(full.params.to_vec()));
    assert!(log_bins(&obs, &order(&obs), BINS, opts.space).is_some());
}

#[test]
fn score_needs_every_origin() {
    assert_eq!(score(&[Some(1.0), Some(3.0)]), Some(2.0));
    assert_eq!(score(&[Some(1.0), None]), None);
    assert_eq!(score(&[]), None);
}
