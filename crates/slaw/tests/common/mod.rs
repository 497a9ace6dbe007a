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

/// FLAN's full data size: the target of [`rectified_pool`]'s losses.
pub const RECTIFIED_POOL_TARGET: f64 = slaw::synthetic::RECTIFIED_POOL_TARGET;

/// probe64's design (`slaw::synthetic::rectified_pool` with 1% noise and
/// beta ~ U(0.3, 0.6)): the pools of `sel65_floor_bias.rs`,
/// `sel66_floor_fit.rs` and `sel67_floor_check.rs`.
pub fn rectified_pool(seed: u64, n: usize) -> (Vec<slaw::datasets::Candidate>, Vec<f64>) {
    rectified_pool_with(seed, n, 0.01, (0.3, 0.6))
}

/// [`rectified_pool`]'s design with the noise (log-normal sd) and beta's
/// range as parameters (the variant design: 3% noise, beta ~ U(0.2, 0.7)).
pub fn rectified_pool_with(
    seed: u64,
    n: usize,
    noise: f64,
    beta: (f64, f64),
) -> (Vec<slaw::datasets::Candidate>, Vec<f64>) {
    slaw::synthetic::rectified_pool(seed, n, noise, beta)
}

/// The default's learned interval without the floor fit (the three line
/// hypotheses' spread only: `centre +- k h`, as `select` gave it before the
/// pool-level floor check), (lo, hi), for candidate `c` of the pool whose
/// context is `ctx`; None without a scaled calibration or a line.
pub fn three_hypothesis_interval(
    ctx: &slaw::selection::method::PoolContext,
    method: &slaw::selection::method::Method,
    c: &slaw::datasets::Candidate,
    budget: &slaw::selection::Budget,
) -> Option<(f64, f64)> {
    let cal = ctx.calibration.as_ref()?;
    let k = cal.scale?;
    let kind = method.line_kind(&ctx.trend, &ctx.gap).interval_kind();
    let pts = budget.affordable(c);
    let (h, _) = slaw::selection::method::Hypotheses::at(
        &pts,
        method.ats.k,
        method.ats.delta,
        &ctx.trend,
        None,
        budget.target,
    )?;
    let pred = h.predict(kind);
    let r = budget.target.ln() - pts.last()?.0.ln();
    let centre = cal.centre(pred, r);
    let half = k * h.spread(pred);
    Some(((centre - half).exp(), (centre + half).exp()))
}

/// The selection benchmark's pools, FLAN and WMT19, by name (None without
/// ../shared, as [`shared_data`]).
#[allow(dead_code)]
pub fn finetune_pools() -> Option<Vec<(String, Vec<slaw::datasets::Candidate>)>> {
    let dir = shared_data("finetune-selection")?;
    Some(
        ["flan", "wmt19"]
            .iter()
            .map(|n| {
                let pool = slaw::datasets::finetune_wide(&dir.join(format!("{n}.csv"))).unwrap();
                (n.to_string(), pool)
            })
            .collect(),
    )
}
