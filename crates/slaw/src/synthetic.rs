//! Synthetic observations drawn from a law with known parameters and
//! multiplicative (log-normal) noise: built-in demo data and the ground truth
//! of the parameter-recovery tests.

use crate::law::Law;
use crate::observations::Observations;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
pub use rand_distr_lite::standard_normal;

/// A tiny Box-Muller normal sampler (no extra dependency for one function).
mod rand_distr_lite {
    use rand::RngExt;
    /// A standard normal draw (Box-Muller).
    pub fn standard_normal<R: rand::Rng>(rng: &mut R) -> f64 {
        let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
        let u2: f64 = rng.random_range(0.0..1.0);
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// y = law(x; params) * exp(noise * z), z standard normal, for each input point.
pub fn generate(
    law: &Law,
    params: &[f64],
    points: &[Vec<f64>],
    noise: f64,
    seed: u64,
    group: &str,
) -> Observations {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let names: Vec<&str> = law.inputs.iter().map(String::as_str).collect();
    let cols: Vec<Vec<f64>> = (0..names.len())
        .map(|j| points.iter().map(|p| p[j]).collect())
        .collect();
    let y = points
        .iter()
        .map(|p| law.predict(p, params) * (noise * standard_normal(&mut rng)).exp())
        .collect();
    let mut obs = Observations::from_columns(&names, &cols, y);
    obs.set_group(group);
    obs.source = format!("<synthetic {}>", law.name);
    obs
}

/// `n` standard normal draws from a ChaCha8 stream seeded with `seed`
/// (deterministic: the example files of `slaw demo --write` are drawn
/// from it).
pub fn normal_draws(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| standard_normal(&mut rng)).collect()
}

/// Fine-tuning sizes of the selection benchmark: 200 * 2^k up to 1,638,400.
pub fn finetune_sizes() -> Vec<f64> {
    (0..14).map(|k| 200.0 * 2f64.powi(k)).collect()
}

/// The target of [`rectified_pool`]'s losses: FLAN's full data size.
pub const RECTIFIED_POOL_TARGET: f64 = 1_638_400.0;

/// A pool of fine-tuning curves that follow the rectified law with known
/// truth: L(D) = B / (D_l + D^beta) + E, B = G D_l, G ~ U(1, 3), D_l ~
/// 10^U(1, 2.5), beta ~ U(`beta`), E ~ U(0.8, 1.6), on the ladder 0, 200,
/// ..., 1,638,400 with log-normal noise of sd `noise`; `n` candidates named
/// m00, m01, ..., and their noise-free losses at [`RECTIFIED_POOL_TARGET`].
/// Deterministic in `seed` (a ChaCha8 stream; the selection interval's
/// coverage tests and measurements draw their pools from it).
pub fn rectified_pool(
    seed: u64,
    n: usize,
    noise: f64,
    beta: (f64, f64),
) -> (Vec<crate::datasets::Candidate>, Vec<f64>) {
    use rand::RngExt;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = |rng: &mut ChaCha8Rng| {
        let (a, b): (f64, f64) = (rng.random(), rng.random());
        (-2.0 * (1.0 - a).ln()).sqrt() * (std::f64::consts::TAU * b).cos()
    };
    let (mut cands, mut truth) = (Vec::new(), Vec::new());
    for i in 0..n {
        let g = 1.0 + 2.0 * rng.random::<f64>();
        let dl = 10f64.powf(1.0 + 1.5 * rng.random::<f64>());
        let beta = beta.0 + (beta.1 - beta.0) * rng.random::<f64>();
        let e = 0.8 + 0.8 * rng.random::<f64>();
        let law = |d: f64| g * dl / (dl + d.powf(beta)) + e;
        let sizes = std::iter::once(0.0).chain(finetune_sizes());
        let curve = sizes
            .map(|d| (d, law(d) * (noise * normal(&mut rng)).exp()))
            .collect();
        cands.push(crate::datasets::Candidate {
            id: format!("m{i:02}"),
            curve,
            size: None,
            family: None,
        });
        truth.push(law(RECTIFIED_POOL_TARGET));
    }
    (cands, truth)
}

/// One problem of the large-fit benchmark (`slaw bench engine`, the scipy
/// reference script and the least-squares tests build the same points).
pub struct LargeFit {
    /// The law.
    pub law: Law,
    /// The parameters the points are drawn from.
    pub truth: Vec<f64>,
    /// The one start of the fit.
    pub start: Vec<f64>,
    /// x spans 10^lo..10^hi.
    pub decades: (f64, f64),
}

impl LargeFit {
    /// `power` (x = 10..1e6) and `vanilla-ft` (x = 100..1e6).
    pub fn cases() -> Vec<LargeFit> {
        vec![
            LargeFit {
                law: crate::law::catalog::power(),
                truth: vec![2000.0, 0.5, 1.5],
                start: vec![100.0, 0.3, 1.0],
                decades: (1.0, 6.0),
            },
            LargeFit {
                law: crate::law::catalog::vanilla_ft(),
                truth: vec![50.0, 0.4, 1.0, 1.0],
                start: vec![10.0, 0.3, 0.5, 0.8],
                decades: (2.0, 6.0),
            },
        ]
    }

    /// n points, x log-spaced over the decades, y the law at the truth
    /// times 1 + 0.002 sin(i) (deterministic "noise").
    pub fn points(&self, n: usize) -> Observations {
        let (lo, hi) = self.decades;
        let xs: Vec<f64> = (0..n)
            .map(|i| 10f64.powf(lo + (hi - lo) * i as f64 / (n - 1) as f64))
            .collect();
        let y = xs
            .iter()
            .enumerate()
            .map(|(i, &x)| self.law.predict(&[x], &self.truth) * (1.0 + 0.002 * (i as f64).sin()))
            .collect();
        Observations::from_columns(&["x"], &[xs], y)
    }
}
