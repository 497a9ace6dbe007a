//! Helpers shared by the tests that read `../shared/data`.

#![allow(dead_code)]

use std::path::PathBuf;

/// The shared data folder beside the repository, or None (with a message)
/// when it is absent, as on a user's machine.
pub fn shared_data(sub: &str) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let p = root.join(sub);
    if p.exists() {
        Some(p)
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{} not found: under CI the shared data sets must sit beside the repository",
            p.display()
        );
    } else {
        eprintln!(
            "SKIPPED: {} not found (the shared data sets sit beside the repository on CI only)",
            p.display()
        );
        None
    }
}

/// A loss curve of known truth: L = E + A step^-alpha with the parameters
/// drawn around (E 2, A 8, alpha 0.35) and 0.5% log-normal noise per point,
/// at steps `spacing`, 2 `spacing`, ..., `points` x `spacing` (the
/// synthetic curves of the forecast-interval tests).
pub fn noisy_power_curve<R: rand::Rng>(
    rng: &mut R,
    points: usize,
    spacing: f64,
) -> slaw::forecast::Curve {
    use slaw::synthetic::standard_normal as z;
    let a = 8.0 * (0.3 * z(rng)).exp();
    let alpha = 0.35 + 0.05 * z(rng);
    let e = 2.0 + 0.2 * z(rng);
    let step: Vec<f64> = (1..=points).map(|k| spacing * k as f64).collect();
    let loss: Vec<f64> = step
        .iter()
        .map(|&t| (e + a * t.powf(-alpha)) * (0.005 * z(rng)).exp())
        .collect();
    slaw::forecast::Curve {
        name: "synthetic".into(),
        step,
        lr: None,
        loss,
        schedule: None,
        untrained: vec![],
        lead: vec![],
    }
}

/// An objective with its Gauss-Newton matrix (squared error), for the
/// tests that run `solver::LevenbergMarquardt` on it directly.
pub struct WithGaussNewton<'a>(pub &'a slaw::objective::Objective<'a>);

impl slaw::solver::Function for WithGaussNewton<'_> {
    fn value_grad(&self, u: &[f64], g: &mut [f64]) -> f64 {
        self.0.value_grad(u, g)
    }
    fn gauss_newton(&self, u: &[f64], g: &mut [f64], gn: &mut [f64]) -> Option<f64> {
        self.0.gauss_newton(u, g, gn)
    }
}
