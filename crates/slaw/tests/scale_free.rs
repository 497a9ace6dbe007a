//! Scale-free fitting: multiplying any input by 10^k (k in -9..9) changes
//! neither the optimum (objective) nor any prediction at the data's points,
//! for every catalog law and for formula laws with log parameters.
//!
//! Tolerances: objective equal to 1e-6 relative (plus 1e-14 absolute, for
//! exact fits), predictions equal to 1e-6 relative. The data are the
//! recovery tests' designs with their 0.2% multiplicative noise, so the optimum is
//! not an exact fit.

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
    let o2 = scaled(obs, input, k);
    let r = fit(law, &o2, &FitOptions::default()).unwrap();
    let what = format!("{} input {input} x 1e{k}", law.name);
    assert_eq!(r.converged, base.converged, "{what}");
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
        assert!(
            (b / a - 1.0).abs() <= 1e-6,
            "{what}: prediction at point {i}: {b} vs {a} (params {:?} vs {:?})",
            r.params,
            base.params
        );
    }
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
