//! eng63: equivalent parametrizations of a formula law reach the same
//! optimum, in any unit of x. A rate inside `exp` written as `k*n` or as
//! `n/tau` (and a reciprocal `1/(1+k*n)` or `1/(1+n/c)`, a logistic
//! `exp(k*(n-m))` or `exp((n-m)/s)`) is one law; before, the default Huber
//! fit of `A*exp(-k*n)+E` to probe60's `pw.csv` (a power law, so the
//! residuals are far beyond delta and the objective has several local
//! optima) stopped at 0.000719777 where `A*exp(-n/tau)+E` found
//! 0.000708199, and with n in units 1e6 times smaller the `k` form failed
//! ("no better than a constant"): the map of a formula's parameters to the
//! data's units called the normal equations of a rate of 1e-10 singular.

mod common;

use common::{json_of, n_loss_csv as csv, slaw, write, PW};

/// A curve drawn from `law` at 16 log-spaced points over 1..1000, times a
/// deterministic +-1% wiggle.
fn curve(law: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    (0..16u64)
        .map(|i| {
            let x = 10f64.powf(3.0 * i as f64 / 15.0);
            let u = ((i * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
            (x, law(x) * (1.0 + 0.02 * u))
        })
        .collect()
}

fn objective(path: &str, formula: &str, params: &str) -> (f64, serde_json::Value) {
    let out = slaw()
        .args(["fit", path, "--x", "n", "--formula", formula])
        .args(["--params", params, "--json"])
        .output()
        .unwrap();
    let v = json_of(&out)["groups"][0]["fit"].clone();
    (v["objective"].as_f64().unwrap(), v)
}

/// A family: its name, its points, and its two forms (formula, parameters).
type Case = (
    &'static str,
    Vec<(f64, f64)>,
    [(&'static str, &'static str); 2],
);

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs())
}

#[test]
fn rate_and_time_constant_forms_reach_the_same_optimum_in_every_unit() {
    let dir = tempfile::tempdir().unwrap();
    for scale in [1.0, 1e-3, 1e6, 1e9] {
        let f = write(&dir, &format!("pw{scale}.csv"), &csv(&PW, scale));
        let (k, fit) = objective(&f, "A*exp(-k*n)+E", "A,k,E");
        let (tau, _) = objective(&f, "A*exp(-n/tau)+E", "A,tau,E");
        assert!(close(k, tau), "x times {scale}: k form {k}, tau form {tau}");
        // The lower of the two optima (the higher one is 0.000719777).
        assert!(k < 7.1e-4, "x times {scale}: {k}");
        assert_eq!(fit["converged"], true, "{fit}");
        // The starts of both searches are counted (the grid's 27, the log
        // search's), and more than one reached the optimum.
        assert!(fit["n_starts"].as_u64().unwrap() > 27, "{fit}");
        assert!(fit["n_best"].as_u64().unwrap() >= 2, "{fit}");
        let rate = fit["params"]["k"].as_f64().unwrap() * scale;
        assert!((rate * 1479.61388 - 1.0).abs() < 1e-4, "{fit}");
    }
}

#[test]
fn equivalent_forms_agree_on_synthetic_laws_at_any_scale_of_x() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [Case; 3] = [
        (
            "logistic",
            curve(|x| 2.0 / (1.0 + ((x - 100.0) / 50.0).exp()) + 1.0),
            [
                ("A/(1+exp(k*(n-m)))+E", "A,k,m,E"),
                ("A/(1+exp((n-m)/s))+E", "A,s,m,E"),
            ],
        ),
        (
            "reciprocal",
            curve(|x| 3.0 / (1.0 + x / 20.0) + 1.0),
            [("A/(1+k*n)+E", "A,k,E"), ("A/(1+n/c)+E", "A,c,E")],
        ),
        (
            "exp",
            curve(|x| 2.0 * (-x / 30.0).exp() + 1.5),
            [("A*exp(-k*n)+E", "A,k,E"), ("A*exp(-n/tau)+E", "A,tau,E")],
        ),
    ];
    for (name, points, forms) in cases {
        let mut seen: Vec<f64> = Vec::new();
        for scale in [1.0, 1e3, 1e9] {
            let f = write(&dir, &format!("{name}{scale}.csv"), &csv(&points, scale));
            for (formula, params) in forms {
                let (o, fit) = objective(&f, formula, params);
                assert_eq!(fit["converged"], true, "{name} {formula} x{scale}: {fit}");
                seen.push(o);
            }
        }
        let lo = seen.iter().copied().fold(f64::INFINITY, f64::min);
        for o in &seen {
            assert!(close(*o, lo), "{name}: {seen:?}");
        }
    }
}

#[test]
fn a_formula_without_a_rate_runs_one_search() {
    // A/n^a + E: no parameter sets the scale of n, so no second search.
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "p.csv", &csv(&curve(|x| 3.0 / x.sqrt() + 1.0), 1.0));
    let (_, fit) = objective(&f, "A/n^a+E", "A,a,E");
    assert_eq!(fit["extra_starts"], 0, "{fit}");
    // k*n inside exp: the log-space search's starts are counted.
    let g = write(&dir, "e.csv", &csv(&PW, 1.0));
    let (_, fit) = objective(&g, "A*exp(-k*n)+E", "A,k,E");
    assert!(fit["extra_starts"].as_u64().unwrap() > 0, "{fit}");
}
