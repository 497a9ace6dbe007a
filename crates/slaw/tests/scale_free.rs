//! Scale-free fitting: multiplying any input by 10^k (k in -9..9) changes
//! neither the optimum (objective) nor any prediction at the data's points,
//! for every catalog law and for formula laws with log parameters; nor the
//! intervals at a point beyond the data (`fit --predict`'s extrapolation
//! interval, the bootstrap band, the prediction's standard error from the
//! parameters' standard errors mapped back), except bnsl-2's refit-based
//! intervals (see `assert_same_intervals`).
//!
//! Tolerances: objective equal to 1e-6 relative (plus 1e-14 absolute, for
//! exact fits), predictions equal to 1e-6 relative, the intervals' ends and
//! the standard error 1e-5 relative ([`INTERVAL_TOL`]; measured at most
//! 2.1e-7, 5.2e-9 and 5.3e-8). The data are the
//! recovery tests' designs with their 0.2% multiplicative noise, so the optimum is
//! not an exact fit.

use slaw::bootstrap::{bootstrap, Resampling, Scheme};
use slaw::extrapolation;
use slaw::fit::{fit, FitOptions, FitResult};
use slaw::law::formula::formula_law;
use slaw::law::{catalog, Law};
use slaw::observations::Observations;
use slaw::synthetic::generate;

const KS: [i32; 6] = [-9, -6, -3, 3, 6, 9];

fn log_grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (lo.ln() + (hi.ln() - lo.ln()) * i as f64 / (n - 1) as f64).exp())
        .collect()
}

fn one_input(lo: f64, hi: f64, n: usize) -> Vec<Vec<f64>> {
    log_grid(lo, hi, n).into_iter().map(|x| vec![x]).collect()
}

fn two_inputs(a: (f64, f64, usize), b: (f64, f64, usize)) -> Vec<Vec<f64>> {
    let mut pts = Vec::new();
    for x in log_grid(a.0, a.1, a.2) {
        for d in log_grid(b.0, b.1, b.2) {
            pts.push(vec![x, d]);
        }
    }
    pts
}

/// A truth and a design for each catalog law.
fn case(law: &Law) -> (Vec<f64>, Vec<Vec<f64>>) {
    match law.name.as_str() {
        "power" => (vec![40.0, 0.4, 1.2], one_input(10.0, 1e6, 30)),
        "vanilla-ft" => (vec![30.0, 0.35, 1.0, 0.9], one_input(100.0, 1e6, 30)),
        "rectified" => {
            let mut pts = vec![vec![0.0]];
            pts.extend(one_input(200.0, 1_638_400.0, 20));
            (vec![400.0, 200.0, 0.5, 1.2], pts)
        }
        "chinchilla" => (
            vec![400.0, 0.34, 410.0, 0.28, 1.7],
            two_inputs((1e7, 1e10, 6), (1e9, 1e12, 5)),
        ),
        "joint-mult" => (
            vec![2e3, 0.3, 0.1, 0.8],
            two_inputs((1e8, 1e10, 5), (1e3, 1e6, 6)),
        ),
        "joint-add" => (
            vec![400.0, 0.3, 5.0, 0.2, 0.8],
            two_inputs((1e8, 1e10, 5), (1e3, 1e6, 6)),
        ),
        "bnsl" => (
            vec![0.8, 20.0, 0.1, 3e3, 0.3, 1.0],
            one_input(10.0, 1e7, 40),
        ),
        "bnsl-2" => (
            vec![0.8, 20.0, 0.1, 1e3, 0.3, 1.0, 1e5, 0.2, 1.0],
            one_input(10.0, 1e7, 40),
        ),
        "reciprocal" => (
            vec![3.0, 0.05, 2.0],
            (0..30).map(|i| vec![(i * 50) as f64]).collect(),
        ),
        "m4" => (vec![0.5, 4.0, 0.6, 30.0, 0.4], one_input(10.0, 1e6, 30)),
        other => panic!("no test case for law '{other}': add one"),
    }
}

fn scaled(obs: &Observations, input: usize, k: i32) -> Observations {
    let mut o = obs.clone();
    let d = o.dim();
    let c = 10f64.powi(k);
    for (i, x) in o.x.iter_mut().enumerate() {
        if i % d == input {
            *x *= c;
        }
    }
    o
}

fn assert_same(law: &Law, obs: &Observations, base: &FitResult, input: usize, k: i32) {
    let what = format!("{} input {input} x 1e{k}", law.name);
    assert_same_fit(law, obs, base, &scaled(obs, input, k), 1.0, &what);
}

/// The fit of `o2` (`obs` in other units, the loss times `loss_factor`)
/// has `base`'s objective, convergence and predictions (times the factor).
fn assert_same_fit(
    law: &Law,
    obs: &Observations,
    base: &FitResult,
    o2: &Observations,
    loss_factor: f64,
    what: &str,
) {
    let r = fit(law, o2, &FitOptions::default()).unwrap();
    assert_eq!(r.converged, base.converged, "{what}");
    let tol = 1e-6 * base.objective.abs() + 1e-14;
    assert!(
        (r.objective - base.objective).abs() <= tol,
        "{what}: objective {} vs {}",
        r.objective,
        base.objective
    );
    // The point's context (curve and point of a loss-curve law; none for
    // the catalog's laws).
    let cd = obs.context_dim;
    for i in 0..obs.len() {
        let c = &obs.context[cd * i..cd * (i + 1)];
        let a = loss_factor * law.predict_at(obs.point(i), c, &base.params);
        let b = law.predict_at(o2.point(i), c, &r.params);
        assert!(
            (b / a - 1.0).abs() <= 1e-6,
            "{what}: prediction at point {i}: {b} vs {a} (params {:?} vs {:?})",
            r.params,
            base.params
        );
    }
    if cd == 0 {
        assert_same_intervals(law, obs, base, o2, &r, loss_factor, what);
    }
}

/// Relative tolerance of the intervals' ends and of a prediction's standard
/// error between two units: the refits behind them (rolling origin,
/// bootstrap) are local searches from the full fit's optima, converged to
/// about 1e-8 relative in the parameters; the standard error's gradient is
/// a central difference (relative step 1e-5).
const INTERVAL_TOL: f64 = 1e-5;

/// The point beyond the data where the intervals are compared: the point
/// with the largest first input, every input times 4.
fn far_point(obs: &Observations) -> Vec<f64> {
    let i = (0..obs.len())
        .max_by(|&a, &b| obs.point(a)[0].total_cmp(&obs.point(b)[0]))
        .unwrap();
    obs.point(i).iter().map(|v| 4.0 * v).collect()
}

fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        a == b || (a / b - 1.0).abs() <= tol,
        "{what}: {a} vs {b} (relative {:e})",
        (a / b - 1.0).abs()
    );
}

/// The delta-method standard error of the prediction at `x` from the fit's
/// standard errors and correlations (natural units; `None` when a parameter
/// has none: a flat direction).
fn prediction_se(law: &Law, r: &FitResult, x: &[f64]) -> Option<f64> {
    let id = &r.identifiability;
    let p = r.params.values().to_vec();
    let se: Vec<f64> = id
        .std_errors
        .values()
        .iter()
        .copied()
        .collect::<Option<_>>()?;
    if id.correlation.len() != p.len() {
        return None;
    }
    let grad: Vec<f64> = (0..p.len())
        .map(|j| {
            let h = 1e-5 * p[j].abs().max(1e-12);
            let (mut up, mut down) = (p.clone(), p.clone());
            up[j] += h;
            down[j] -= h;
            (law.predict(x, &up) - law.predict(x, &down)) / (2.0 * h)
        })
        .collect();
    let scaled: Vec<f64> = grad.iter().zip(&se).map(|(g, s)| g * s).collect();
    let v: f64 = id
        .correlation
        .iter()
        .zip(&scaled)
        .map(|(row, a)| a * row.iter().zip(&scaled).map(|(c, b)| c * b).sum::<f64>())
        .sum();
    Some(v.max(0.0).sqrt())
}

/// The intervals of `base` (fitted on `obs`) and of `r` (on `o2`, the same
/// data in other units, the loss times `loss_factor`) at the point beyond
/// the data: `fit --predict`'s extrapolation interval (one-input laws), the
/// bootstrap band, and the prediction's standard error from the parameters'
/// standard errors mapped back to natural units, each the same (times the
/// loss factor) to [`INTERVAL_TOL`].
fn assert_same_intervals(
    law: &Law,
    obs: &Observations,
    base: &FitResult,
    o2: &Observations,
    r: &FitResult,
    loss_factor: f64,
    what: &str,
) {
    let opts = FitOptions::default();
    let (x1, x2) = (far_point(obs), far_point(o2));
    let (p1, p2) = (base.predict(&x1), r.predict(&x2));
    assert_close(
        p2,
        loss_factor * p1,
        1e-6,
        &format!("{what}: prediction beyond the data"),
    );
    // bnsl-2 (two breaks, 9 parameters): its refits on the rolling
    // origin's windows and on resampled points are local searches in
    // ill-conditioned windows, and land on different optima with a change
    // of x in the last digits as with a change of unit (measured: the
    // extrapolation interval's end moved by 36-62% at 5 of these 10 unit
    // changes, the bootstrap band's by 6.8e-4 at loss x 1e3; BENCHMARKS.md,
    // units55). Not a unit effect: its prediction and standard error are
    // still compared. README says so.
    let refits_settle = law.name != "bnsl-2";
    if law.inputs.len() == 1 && refits_settle {
        let c1 = extrapolation::calibrate(law, obs, base, &opts, 0.95, false);
        let c2 = extrapolation::calibrate(law, o2, r, &opts, 0.95, false);
        assert_eq!(c1.is_some(), c2.is_some(), "{what}: extrapolation interval");
        if let (Some(c1), Some(c2)) = (c1, c2) {
            let (i1, i2) = (
                c1.interval(x1[0], p1).unwrap(),
                c2.interval(x2[0], p2).unwrap(),
            );
            let w = format!("{what}: extrapolation interval");
            assert_close(i2.lo, loss_factor * i1.lo, INTERVAL_TOL, &w);
            assert_close(i2.hi, loss_factor * i1.hi, INTERVAL_TOL, &w);
        }
    }
    let (s1, s2) = (prediction_se(law, base, &x1), prediction_se(law, r, &x2));
    assert_eq!(s1.is_some(), s2.is_some(), "{what}: standard errors");
    if let (Some(s1), Some(s2)) = (s1, s2) {
        let w = format!("{what}: the prediction's standard error");
        assert_close(s2, loss_factor * s1, INTERVAL_TOL, &w);
    }
    if !refits_settle {
        return;
    }
    let how = Resampling::new(40, 0.9, 3);
    let band = |o: &Observations, f: &FitResult, x: &[f64]| {
        bootstrap(
            law,
            o,
            f,
            &opts,
            &how,
            Scheme::Points,
            &[x.to_vec()],
            &|| {},
        )
    };
    let (b1, b2) = (band(obs, base, &x1), band(o2, r, &x2));
    assert_eq!(b1.converged, b2.converged, "{what}: bootstrap refits kept");
    let w = format!("{what}: bootstrap band");
    assert_close(
        b2.predictions[0].lo,
        loss_factor * b1.predictions[0].lo,
        INTERVAL_TOL,
        &w,
    );
    assert_close(
        b2.predictions[0].hi,
        loss_factor * b1.predictions[0].hi,
        INTERVAL_TOL,
        &w,
    );
}

#[test]
fn every_catalog_law_is_unit_free() {
    for law in catalog::all() {
        let (truth, pts) = case(&law);
        let obs = generate(&law, &truth, &pts, 0.002, 7, "");
        let base = fit(&law, &obs, &FitOptions::default()).unwrap();
        assert!(base.converged, "{}: {:?}", law.name, base.warnings);
        for input in 0..law.inputs.len() {
            for k in KS {
                assert_same(&law, &obs, &base, input, k);
            }
        }
    }
}

/// Multiplying the loss by 10^k multiplies every prediction by 10^k and
/// leaves the optimum (on log L) where it was: the loss is normalized too.
/// Except vanilla-ft, fitted in the data's units: its map of the parameters
/// moves ln B and ln E by ln(scale) / alpha, which in the valley alpha -> 0
/// where fine-tuning curves put it runs past any bounds (measured on the
/// selection benchmark: the scaled search then ends on a bound, up to 35%
/// above the optimum, `small_optimum`); README says so.
#[test]
fn every_catalog_law_follows_the_unit_of_the_loss() {
    for law in catalog::all()
        .into_iter()
        .filter(|l| l.name != "vanilla-ft")
    {
        let (truth, pts) = case(&law);
        let obs = generate(&law, &truth, &pts, 0.002, 7, "");
        let base = fit(&law, &obs, &FitOptions::default()).unwrap();
        for k in [-6, -3, 3, 6] {
            let c = 10f64.powi(k);
            let mut o2 = obs.clone();
            o2.y.iter_mut().for_each(|y| *y *= c);
            let what = format!("{} loss x 1e{k}", law.name);
            assert_same_fit(&law, &obs, &base, &o2, c, &what);
        }
    }
}

#[test]
fn formula_laws_with_log_params_are_unit_free() {
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases = [
        (
            formula_law(
                "A / x^alpha + E",
                &names(&["x"]),
                &names(&["A", "alpha", "E"]),
                &names(&["A", "E"]),
            )
            .unwrap(),
            vec![40.0, 0.4, 1.2],
            one_input(10.0, 1e6, 30),
        ),
        (
            formula_law(
                "B / (Dl + D^beta) + E",
                &names(&["D"]),
                &names(&["B", "Dl", "beta", "E"]),
                &names(&["B", "Dl", "E"]),
            )
            .unwrap(),
            vec![400.0, 200.0, 0.5, 1.2],
            one_input(200.0, 1_638_400.0, 20),
        ),
        (
            formula_law(
                "E + A / N^alpha + B / D^beta",
                &names(&["N", "D"]),
                &names(&["A", "alpha", "B", "beta", "E"]),
                &names(&["A", "B", "E"]),
            )
            .unwrap(),
            vec![400.0, 0.34, 410.0, 0.28, 1.7],
            two_inputs((1e7, 1e10, 6), (1e9, 1e12, 5)),
        ),
    ];
    for (law, truth, pts) in cases {
        let obs = generate(&law, &truth, &pts, 0.002, 11, "");
        let base = fit(&law, &obs, &FitOptions::default()).unwrap();
        assert!(base.converged, "{}: {:?}", law.formula, base.warnings);
        // the search ran on normalized data (not in the data's units)
        assert!(base.scale_ln.iter().any(|v| *v != 0.0), "{}", law.formula);
        for input in 0..law.inputs.len() {
            for k in KS {
                assert_same(&law, &obs, &base, input, k);
            }
        }
    }
}

/// eng63: a formula whose rate is searched in linear units (no log
/// parameter at all): `k` in `exp(-k*x)`, `c` in `1/(1+x/c)`. With x in
/// units 1e6 or 1e9 times smaller the map of such a rate to the data's
/// units (a Levenberg-Marquardt continuation) once called its normal
/// equations singular (a rate of 1e-10 against an amplitude of 1), and the
/// fit fell back to the data's units, where it failed. The optimum, the
/// predictions, and (eng64) the intervals beyond the data: a formula's
/// warm-started refits (bootstrap, rolling origin) ran in the data's units,
/// and with a linear rate at x times 1e-9 one refit of 40 did not converge
/// where it did in the base unit; they now search the full fit's scaled
/// problem. Every fit here is scale-free (the continuation's damping once
/// froze `c` of 1e12 at x times 1e9, and the fit fell back to the data's
/// units).
#[test]
fn formula_rates_without_log_params_are_unit_free() {
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases = [
        (
            formula_law(
                "A * exp(-k * x) + E",
                &names(&["x"]),
                &names(&["A", "k", "E"]),
                &[],
            )
            .unwrap(),
            vec![2.0, 1.0 / 30.0, 1.5],
        ),
        (
            formula_law(
                "A / (1 + x / c) + E",
                &names(&["x"]),
                &names(&["A", "c", "E"]),
                &[],
            )
            .unwrap(),
            vec![3.0, 20.0, 1.0],
        ),
    ];
    for (law, truth) in cases {
        let obs = generate(&law, &truth, &one_input(1.0, 1000.0, 16), 0.01, 5, "");
        let base = fit(&law, &obs, &FitOptions::default()).unwrap();
        assert!(base.converged, "{}: {:?}", law.formula, base.warnings);
        assert!(base.scale_ln.iter().any(|v| *v != 0.0), "{}", law.formula);
        for k in KS {
            let what = format!("{} x 1e{k}", law.formula);
            let o2 = scaled(&obs, 0, k);
            let r = fit(&law, &o2, &FitOptions::default()).unwrap();
            assert!(r.converged, "{what}: {:?}", r.warnings);
            assert!(r.scale_ln.iter().any(|v| *v != 0.0), "{what}");
            let tol = 1e-6 * base.objective.abs() + 1e-14;
            assert!(
                (r.objective - base.objective).abs() <= tol,
                "{what}: objective {} vs {}",
                r.objective,
                base.objective
            );
            for i in 0..obs.len() {
                let a = law.predict(obs.point(i), &base.params);
                let b = law.predict(o2.point(i), &r.params);
                assert!((b / a - 1.0).abs() <= 1e-6, "{what}: point {i}: {b} vs {a}");
            }
            assert_same_intervals(&law, &obs, &base, &o2, &r, 1.0, &what);
        }
    }
}

/// What the data pin does not depend on the units of x: a formula law with
/// a linear amplitude (no `--log-params`), x in two units 1e3 apart. The
/// same optimum is found, no parameter is flagged in either, and the
/// exponent's standard error is the same (the amplitude's moves with its
/// reference point, as the delta method says).
#[test]
fn what_the_data_pin_does_not_depend_on_the_units() {
    let law = linear_amplitude_formula();
    let obs = generate(
        &law,
        &[400.0, 0.3, 1.8],
        &one_input(1e9, 1e11, 30),
        0.002,
        5,
        "",
    );
    let se = |r: &FitResult, name: &str| {
        r.identifiability
            .std_errors
            .by_name(name)
            .copied()
            .flatten()
            .unwrap_or(f64::NAN)
    };
    let base = fit(&law, &obs, &FitOptions::default()).unwrap();
    let other = fit(&law, &scaled(&obs, 0, 3), &FitOptions::default()).unwrap();
    for r in [&base, &other] {
        assert!(r.converged);
        assert!(
            r.identifiability.unidentified.is_empty(),
            "{:?}",
            r.identifiability
        );
    }
    let (a, b) = (se(&base, "alpha"), se(&other, "alpha"));
    assert!(
        (a / b - 1.0).abs() < 1e-3,
        "alpha's standard error {a} vs {b}"
    );
    let (a, b) = (se(&base, "E"), se(&other, "E"));
    assert!((a / b - 1.0).abs() < 1e-3, "E's standard error {a} vs {b}");
}

/// A loss-curve law's data: at every point of every curve (`pts[c][i]`:
/// t, S1, S2), the law's inputs (its prefix of them), the point's context
/// (curve c, point i) and the law's value at `truth` with 0.2%
/// multiplicative noise (deterministic).
fn curve_obs(law: &Law, truth: &[f64], pts: &[Vec<[f64; 3]>]) -> Observations {
    let d = law.inputs.len();
    let (mut cols, mut y, mut ctx) = (vec![Vec::new(); d], Vec::new(), Vec::new());
    for (c, curve) in pts.iter().enumerate() {
        for (i, p) in curve.iter().enumerate() {
            let at = [c as u32, i as u32];
            let noise = 0.002 * ((((c * 97 + i) * 7919) % 1000) as f64 / 500.0 - 1.0);
            y.push(law.predict_at(&p[..d], &at, truth) * (1.0 + noise));
            for (col, v) in cols.iter_mut().zip(p) {
                col.push(*v);
            }
            ctx.extend(at);
        }
    }
    let names: Vec<&str> = law.inputs.iter().map(|s| s.as_str()).collect();
    Observations::from_columns(&names, &cols, y).with_context(2, ctx)
}

/// Three schedules (constant, cosine, two-stage; warmup 500 steps), their
/// learning rate recorded every 100 steps after the warmup, with the
/// steps multiplied by `scale`: the design of the multi-power protocol in
/// small (`tests/forecast.rs`), which pins the schedule-aware laws.
fn schedules(scale: f64) -> Vec<slaw::forecast::Curve> {
    [
        "constant:peak=3e-4,warmup=500",
        "cosine:peak=3e-4,final=3e-5,total=8000,warmup=500",
        "two-stage:peak=3e-4,switch=4000,low=6e-5,warmup=500",
    ]
    .iter()
    .map(|spec| {
        let s = slaw::forecast::Schedule::parse(spec).unwrap();
        let step: Vec<f64> = (1..=80).map(|k| 500.0 + 100.0 * k as f64).collect();
        slaw::forecast::Curve {
            name: spec.to_string(),
            loss: vec![1.0; step.len()],
            lr: Some(step.iter().map(|&t| s.at(t)).collect()),
            step: step.iter().map(|t| t * scale).collect(),
            schedule: None,
            untrained: vec![],
            lead: vec![],
        }
    })
    .collect()
}

/// The multi-power law's parameters the synthetic curves follow.
const MULTIPOWER: [f64; 7] = [2.5, 0.6, 0.45, 450.0, 2.0, 0.6, 0.65];

/// Every loss-curve law (`law::curves`, the forecast laws and the temporal
/// law's per-position law): multiplying any of its inputs (the step, S1,
/// S2; the token position) by 10^k changes neither the optimum nor any
/// prediction.
#[test]
fn every_loss_curve_law_is_unit_free() {
    use slaw::law::curves;
    let curves_: Vec<_> = schedules(1.0);
    let feats: Vec<_> = curves_.iter().map(|c| c.features().unwrap()).collect();
    let pts: Vec<Vec<[f64; 3]>> = curves_
        .iter()
        .zip(&feats)
        .map(|(c, f)| {
            (0..c.len())
                .map(|i| [c.step[i], f.s1[i], f.s2[i]])
                .collect()
        })
        .collect();
    let cases: Vec<(Law, Vec<f64>)> = vec![
        (curves::power(), vec![40.0, 0.4, 2.0]),
        (curves::reciprocal(), vec![3.0, 2e-3, 2.0]),
        (curves::logarithmic(), vec![6.0, 0.3]),
        (curves::tissue(), vec![2.5, 0.6, 0.45, 3.0]),
        (curves::multipower(feats.clone()), MULTIPOWER.to_vec()),
        (
            curves::multipower_warmup(feats.clone()),
            MULTIPOWER.to_vec(),
        ),
    ];
    let mut seen: Vec<String> = Vec::new();
    for (law, truth) in cases {
        let obs = curve_obs(&law, &truth, &pts);
        let base = fit(&law, &obs, &FitOptions::default()).unwrap();
        assert!(base.converged, "{}: {:?}", law.name, base.warnings);
        assert!(base.scale_ln.iter().any(|v| *v != 0.0), "{}", law.name);
        for input in 0..law.inputs.len() {
            for k in KS {
                assert_same(&law, &obs, &base, input, k);
            }
        }
        seen.push(law.name.clone());
    }
    // The per-position law: positions 0..2047.
    let law = curves::position();
    let pos: Vec<Vec<f64>> = (0..64).map(|i| vec![(i * 32) as f64]).collect();
    let obs = generate(&law, &[4.0, 0.05, 2.5], &pos, 0.002, 7, "");
    let base = fit(&law, &obs, &FitOptions::default()).unwrap();
    assert!(base.converged, "position: {:?}", base.warnings);
    for k in KS {
        assert_same(&law, &obs, &base, 0, k);
    }
    seen.push(law.name.clone());
    let all: Vec<String> = curves::all().into_iter().map(|l| l.name).collect();
    assert_eq!(seen, all, "a loss-curve law without a case: add one");
}

/// A forecast does not depend on the unit of the step: the same curves
/// with their steps multiplied by 10^k give the same fit and the same
/// forecast, for the step-only laws. Two laws are defined per optimizer
/// step, so their curve is not the same curve in other units (their inputs
/// are unit-free above): Tissue's S2 (momentum lambda = 0.999 a step) and
/// the warmup term of `multipower-warmup` (Luo et al.'s sum over the
/// warmup's steps). The multi-power law is unit-free (above) but its
/// default starts are not: they come from the Tissue fit
/// (`forecast::multipower_starts`; BENCHMARKS.md says why they stay).
/// Fitted on the first two curves and the first half of the third,
/// forecast everywhere.
#[test]
fn forecasts_do_not_depend_on_the_unit_of_the_step() {
    use slaw::forecast::{fit_curves, CurveLaw};
    use slaw::law::curves;
    let mut base_curves = schedules(1.0);
    let feats: Vec<_> = base_curves.iter().map(|c| c.features().unwrap()).collect();
    let law = curves::multipower(feats.clone());
    for (c, curve) in base_curves.iter_mut().enumerate() {
        for i in 0..curve.len() {
            let noise = 0.002 * ((((c * 97 + i) * 7919) % 1000) as f64 / 500.0 - 1.0);
            let x = [curve.step[i], feats[c].s1[i]];
            curve.loss[i] = law.predict_at(&x, &[c as u32, i as u32], &MULTIPOWER) * (1.0 + noise);
        }
    }
    let upto = [80, 80, 40];
    for method in [CurveLaw::Power, CurveLaw::Reciprocal, CurveLaw::Log] {
        let base = fit_curves(method, &base_curves, &upto).unwrap();
        for k in KS {
            let mut other = schedules(10f64.powi(k));
            for (o, b) in other.iter_mut().zip(&base_curves) {
                o.loss = b.loss.clone();
            }
            let r = fit_curves(method, &other, &upto).unwrap();
            let what = format!("{} steps x 1e{k}", method.name());
            assert_eq!(r.converged, base.converged, "{what}");
            assert!(
                (r.objective - base.objective).abs() <= 1e-6 * base.objective + 1e-14,
                "{what}: objective {} vs {}",
                r.objective,
                base.objective
            );
            for (c, curve) in base_curves.iter().enumerate() {
                for i in 0..curve.len() {
                    let (a, b) = (base.predict(c, i), r.predict(c, i));
                    assert!(
                        (b / a - 1.0).abs() <= 1e-6,
                        "{what}: forecast at curve {c} point {i}: {b} vs {a}"
                    );
                }
            }
        }
    }
}

/// A formula's linear parameters (no log space) follow the units too: they
/// have no bounds, and the search runs on the data divided by their scale,
/// so a loss in large units (x 1e6) or inputs in other units fit as the
/// original (before, the bounds +-1e6 held the amplitude of losses x 1e5 and
/// the fit went wrong silently).
#[test]
fn fx46a_formula_laws_with_linear_params_are_unit_free() {
    let law = linear_amplitude_formula();
    let obs = generate(
        &law,
        &[50.0, 0.3, 1.5],
        &one_input(1e3, 2e6, 12),
        0.002,
        11,
        "",
    );
    let base = fit(&law, &obs, &FitOptions::default()).unwrap();
    assert!(base.converged, "{:?}", base.warnings);
    assert!((base.params[1] - 0.3).abs() < 0.03, "{:?}", base.params);
    for k in [-6, -3, 3, 6] {
        let c = 10f64.powi(k);
        let mut o2 = obs.clone();
        o2.y.iter_mut().for_each(|y| *y *= c);
        assert_same_fit(&law, &obs, &base, &o2, c, &format!("loss x 1e{k}"));
    }
    for k in KS {
        assert_same(&law, &obs, &base, 0, k);
    }
}

/// The formula law A / x^alpha + E with its amplitude and offset linear
/// (no log space).
fn linear_amplitude_formula() -> Law {
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    formula_law(
        "A / x^alpha + E",
        &names(&["x"]),
        &names(&["A", "alpha", "E"]),
        &[],
    )
    .unwrap()
}
