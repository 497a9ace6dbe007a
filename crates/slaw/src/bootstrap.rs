//! Bootstrap: resample the fitted points with replacement, refit each
//! replicate (warm-started from the distinct optima of the full fit), and
//! report percentile intervals for every parameter and every prediction.

use crate::fit::{fit, FitOptions, FitResult};
use crate::law::Law;
use crate::observations::Observations;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

#[derive(Debug, Clone, Copy, serde::Serialize)]
/// An interval: lower and upper end.
pub struct Interval {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
/// Percentile intervals of a fit's parameters and predictions from refits on resampled points.
pub struct BootstrapResult {
    /// Replicates drawn.
    pub replicates: usize,
    /// Replicates whose refit converged (only these enter the intervals).
    pub converged: usize,
    /// Level of the intervals (e.g. 0.95).
    pub level: f64,
    /// In the law's parameter order; serialized beside the parameters, as
    /// the fit's `intervals` (see `Fit::set_intervals`).
    #[serde(skip)]
    pub params: Vec<Interval>,
    /// One interval per prediction asked for.
    pub predictions: Vec<Interval>,
}

pub use crate::stats::percentile;

fn interval(mut v: Vec<f64>, level: f64) -> Interval {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    let a = (1.0 - level) / 2.0;
    Interval {
        lo: percentile(&v, a),
        hi: percentile(&v, 1.0 - a),
    }
}

/// The natural parameters of every converged replicate fit, in replicate
/// order. Replicate b uses its own generator seeded from (seed, b), so the
/// result does not depend on the thread count. `on_done` is called once per
/// finished replicate (for a progress bar).
#[allow(clippy::too_many_arguments)]
pub fn draws(
    law: &Law,
    obs: &Observations,
    full: &FitResult,
    opts: &FitOptions,
    n: usize,
    seed: u64,
    on_done: &(dyn Fn() + Sync),
) -> Vec<Vec<f64>> {
    let replicate_opts = FitOptions {
        starts: Some(full.optima.clone()),
        ..opts.clone()
    };
    let out: Vec<Option<Vec<f64>>> = (0..n)
        .into_par_iter()
        .map(|b| {
            let idx = resample(obs.len(), seed, b);
            let sample = obs.subset(&idx);
            let out = fit(law, &sample, &replicate_opts)
                .ok()
                .filter(|r| r.converged)
                .map(|r| r.params.into_values());
            on_done();
            out
        })
        .collect();
    out.into_iter().flatten().collect()
}

/// Indices of replicate `b`: `n` draws with replacement from 0..n.
pub fn resample(n: usize, seed: u64, b: usize) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(b as u64),
    );
    (0..n).map(|_| rng.random_range(0..n)).collect()
}

/// Percentile interval of the finite values of `v`.
pub fn interval_of(v: Vec<f64>, level: f64) -> Interval {
    interval(v, level)
}

/// Run `n` replicates in parallel (see [`draws`]) and report percentile
/// intervals of every parameter and of the predictions at `predict_at`.
#[allow(clippy::too_many_arguments)]
pub fn bootstrap(
    law: &Law,
    obs: &Observations,
    full: &FitResult,
    opts: &FitOptions,
    n: usize,
    seed: u64,
    predict_at: &[Vec<f64>],
    level: f64,
    on_done: &(dyn Fn() + Sync),
) -> BootstrapResult {
    let ok = draws(law, obs, full, opts, n, seed, on_done);
    let params = (0..law.n_params())
        .map(|j| interval(ok.iter().map(|p| p[j]).collect(), level))
        .collect();
    let predictions = predict_at
        .iter()
        .map(|x| interval(ok.iter().map(|p| law.predict(x, p)).collect(), level))
        .collect();
    BootstrapResult {
        replicates: n,
        converged: ok.len(),
        level,
        params,
        predictions,
    }
}
