//! Coverage of the +-z standard-error intervals of the parameters (the
//! Python package's `FitResult.intervals` without a bootstrap) on data drawn
//! from the law itself (log-normal noise of 1%), fitted by the default
//! Huber loss (delta 1e-3 on ln L, far below the noise: nearly least
//! absolute deviations). Before the Huber sandwich (`identify`) the
//! least-squares formula gave standard errors 1/1.25 of the estimator's
//! spread, and 90% intervals covered 81-86% (BENCHMARKS.md, "Parameter
//! intervals"). The full table: `cargo run --release -p slaw --example
//! param_coverage`.

use rayon::prelude::*;
use slaw::fit::{fit, FitOptions};
use slaw::law::{catalog, Law, Transform};
use slaw::numbers::log_space;
use slaw::stats::normal_quantile;
use slaw::synthetic::generate;

const SEEDS: u64 = 200;

/// Share of seeds whose interval at `level` holds the true value, per
/// parameter.
fn coverage(law: &Law, truth: &[f64], points: &[Vec<f64>], level: f64) -> Vec<f64> {
    let z = normal_quantile(0.5 + level / 2.0);
    let hits: Vec<Vec<bool>> = (0..SEEDS)
        .into_par_iter()
        .map(|seed| {
            let obs = generate(law, truth, points, 0.01, seed, "");
            let r = fit(law, &obs, &FitOptions::default()).unwrap();
            assert!(r.converged, "{} seed {seed}", law.name);
            law.params
                .iter()
                .enumerate()
                .map(|(j, p)| {
                    let (v, s) = (r.params[j], r.identifiability.std_errors[j].unwrap());
                    let (lo, hi) = match p.transform {
                        Transform::Log => (v * (-z * s / v).exp(), v * (z * s / v).exp()),
                        Transform::Identity => (v - z * s, v + z * s),
                    };
                    lo <= truth[j] && truth[j] <= hi
                })
                .collect()
        })
        .collect();
    (0..law.n_params())
        .map(|j| hits.iter().filter(|h| h[j]).count() as f64 / SEEDS as f64)
        .collect()
}

#[test]
fn standard_error_intervals_of_huber_fits_cover_at_their_level() {
    let power_pts: Vec<Vec<f64>> = log_space(10.0, 1e6, 40)
        .into_iter()
        .map(|x| vec![x])
        .collect();
    let mut chin_pts = Vec::new();
    for n in log_space(1e7, 1e10, 8) {
        for d in log_space(1e9, 1e12, 5) {
            chin_pts.push(vec![n, d]);
        }
    }
    let (alpha, beta, e) = (0.34, 0.28, 1.8);
    let cases = [
        (catalog::power(), vec![1.5e3, 0.5, 1.5], power_pts),
        (
            catalog::chinchilla(),
            vec![
                0.8 * e * 10f64.powf(8.5 * alpha),
                alpha,
                0.8 * e * 10f64.powf(10.5 * beta),
                beta,
                e,
            ],
            chin_pts,
        ),
    ];
    for (law, truth, pts) in &cases {
        for level in [0.8, 0.9] {
            let cov = coverage(law, truth, pts, level);
            for (p, c) in law.params.iter().zip(&cov) {
                // 200 seeds: a calibrated interval lands within about +-4.5
                // points of its level (2 standard errors at 90%).
                assert!(
                    (c - level).abs() <= 0.055,
                    "{} {}: {:.1}% at {:.0}%",
                    law.name,
                    p.name,
                    100.0 * c,
                    100.0 * level
                );
            }
        }
    }
}
