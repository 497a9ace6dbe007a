//! The bootstrap engine: every resampling in slaw runs through it.
//!
//! A bootstrap is data: [`Resampling`] says how many replicates, at which
//! interval level and from which seed; a [`Scheme`] says how a replicate
//! draws its data (points, points within groups, whole groups, residuals,
//! parametric noise). [`Resampling::run`] runs the replicates in parallel
//! and keeps the ones that succeeded, in replicate order; each replicate
//! draws from its own generator ([`Replicate`]), seeded from (seed,
//! replicate, stratum) alone, so the same inputs and seed give the same
//! output on any number of threads.
//!
//! Callers: the law fits ([`draws`] / [`bootstrap`]: `slaw fit`, `slaw
//! compare`, selection's law-fit methods, allocation's parametric law, the
//! forecasting laws), and callers that refit something other than one law
//! through [`Resampling::run`] with [`Replicate::points`] /
//! [`Replicate::within`]: selection's AtS line, the joint two-stage
//! procedure (runs within each factor), the isoFLOP profiles (runs within
//! each budget), the temporal law (whole checkpoints).

use crate::fit::{fit, FitOptions, FitResult};
use crate::law::Law;
use crate::objective::Space;
use crate::observations::Observations;
use crate::synthetic::standard_normal;
use crate::{Error, Result};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
/// An interval of a quantity, in the quantity's own units: `lo <= hi`
/// when both ends are finite (NaN ends when there was nothing to take
/// percentiles of).
pub struct Interval {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl Interval {
    /// How far the interval reaches below and above `centre` (> 0) in ln
    /// units, each at least 0: a lower end at or below 0 (refits that
    /// predict no positive value) reaches infinitely far below, a NaN end
    /// (no finite refit) adds nothing.
    pub fn ln_beyond(&self, centre: f64) -> (f64, f64) {
        let below = if self.lo > 0.0 {
            (centre / self.lo).ln().max(0.0)
        } else if self.lo.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
        // NaN and an upper end at or below 0 add nothing above.
        (below, (self.hi / centre).ln().max(0.0))
    }
}

#[derive(Debug, Clone, serde::Serialize)]
/// Percentile intervals of a fit's parameters and predictions from refits on resampled points.
#[non_exhaustive]
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
    /// The kept replicates' parameters (law order, one row each): the
    /// same intervals at inputs not asked for ([`BootstrapResult::interval_at`]),
    /// e.g. a band along a plotted curve.
    #[serde(skip)]
    pub draws: Vec<Vec<f64>>,
}

impl BootstrapResult {
    /// The percentile interval at the result's level of `law`'s prediction
    /// at `x` over the kept replicates, as `predictions` is at the points
    /// asked for; `None` without replicates.
    pub fn interval_at(&self, law: &Law, x: &[f64]) -> Option<Interval> {
        (!self.draws.is_empty()).then(|| {
            interval_of(
                self.draws.iter().map(|p| law.predict(x, p)).collect(),
                self.level,
            )
        })
    }
}

pub use crate::stats::percentile;

/// Percentile interval (central, at `level`) of the finite values of `v`.
pub fn interval_of(mut v: Vec<f64>, level: f64) -> Interval {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    let a = (1.0 - level) / 2.0;
    Interval {
        lo: percentile(&v, a),
        hi: percentile(&v, 1.0 - a),
    }
}

/// The percentile interval (central, at `level`) of the finite values of
/// `v`, widened to reach `point` where it lies outside: for replicates drawn
/// from an estimator whose centre differs from the estimate's (a resampling
/// that also varies the design), so that an interval never excludes its own
/// estimate. A `point` that is not finite leaves the interval as it is.
pub fn interval_reaching(v: Vec<f64>, point: f64, level: f64) -> Interval {
    let i = interval_of(v, level);
    if !point.is_finite() {
        return i;
    }
    Interval {
        lo: i.lo.min(point),
        hi: i.hi.max(point),
    }
}

/// How many replicates, at which level, from which seed: the caller's
/// options, passed to the engine unchanged (nothing here has a default
/// level).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Resampling {
    /// Replicates drawn (0: no bootstrap).
    pub replicates: usize,
    /// Central level of the percentile intervals, in (0, 1).
    pub level: f64,
    /// Seed of every replicate's generator (see [`Replicate`]).
    pub seed: u64,
}

/// The 64-bit FNV-1a hash of `bytes`: stable across runs, platforms and
/// versions (std's hasher is randomized per process).
fn fnv1a<'a>(bytes: impl IntoIterator<Item = &'a u8>) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .into_iter()
        .fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// How a replicate draws its data from the fitted observations (the law-fit
/// path, [`draws`]; the callers that resample something else use the same
/// draws through [`Replicate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Scheme {
    /// n points drawn with replacement from the n points (the default).
    #[default]
    Points,
    /// Points drawn with replacement within each group, every group keeping
    /// its size (runs within a budget, a factor).
    WithinGroups,
    /// Whole groups drawn with replacement (a curve, a run with all its
    /// points): as many groups as there are.
    Groups,
    /// The fitted values with the fit's residuals drawn with replacement
    /// (ratios y / fitted in the log space, differences in the linear one);
    /// the inputs stay.
    Residuals,
    /// The fitted values with normal noise of the residuals' standard
    /// deviation (n - parameters degrees of freedom), in the fit's space.
    Parametric,
}

/// The most bootstrap replicates a command accepts: a guard against a typo
/// (`--bootstrap 100000000` ran without an end in sight), far above every
/// default (100-1000).
pub const MAX_REPLICATES: usize = 100_000;

impl Resampling {
    /// `replicates` at `level` from `seed`.
    pub fn new(replicates: usize, level: f64, seed: u64) -> Resampling {
        Resampling {
            replicates,
            level,
            seed,
        }
    }

    /// The level must lie in (0, 1).
    pub fn check(&self) -> Result<()> {
        if self.level > 0.0 && self.level < 1.0 {
            Ok(())
        } else {
            Err(Error::setting(
                crate::error::Setting::Level,
                format!("must be in (0, 1), got {}", self.level),
            ))
        }
    }

    /// The fewest replicates for a percentile interval at `level`:
    /// 1 / (1 - level) (20 at 95%, 10 at 90%, 100 at 99%), so that at least
    /// one replicate is expected outside the interval. Fewer give an
    /// interval that spans (nearly) every draw — one replicate gives zero
    /// width and need not contain the estimate — which is no interval at
    /// that level.
    pub fn min_replicates(level: f64) -> usize {
        // the tolerance keeps 1 / 0.05 = 20.000000000000004 at 20
        ((1.0 / (1.0 - level)) * (1.0 - 1e-12)).ceil().max(2.0) as usize
    }

    /// The level must lie in (0, 1), and a bootstrap (replicates > 0) must
    /// draw at least [`Resampling::min_replicates`] at it and at most
    /// [`MAX_REPLICATES`].
    pub fn check_replicates(&self) -> Result<()> {
        self.check()?;
        if self.replicates > MAX_REPLICATES {
            return Err(Error::setting(
                crate::error::Setting::Replicates,
                format!(
                    "{} replicates is more than the {MAX_REPLICATES} allowed (each replicate is \
                     a refit, run without a progress report: a count this large would run for \
                     hours); the defaults are 100-1000",
                    self.replicates
                ),
            ));
        }
        let min = Resampling::min_replicates(self.level);
        if self.replicates > 0 && self.replicates < min {
            return Err(Error::setting(
                crate::error::Setting::Replicates,
                format!(
                    "{} replicate(s) are too few for a {} percentile interval: at least {min} \
                     (1 / (1 - level), so that a replicate is expected outside the interval), \
                     or 0 for no interval",
                    self.replicates,
                    crate::numbers::percent(self.level)
                ),
            ));
        }
        Ok(())
    }

    /// The bootstrap of the item named `name` (a candidate of a pool): its
    /// own seed, the FNV-1a hash of the seed (8 bytes, little-endian) and
    /// the name's bytes. It depends on nothing else, so reordering a pool
    /// or adding and removing other candidates leaves each candidate's
    /// draws unchanged (a seed of seed + row, used before, moved with the
    /// row).
    pub fn for_name(&self, name: &str) -> Resampling {
        Resampling {
            seed: fnv1a(self.seed.to_le_bytes().iter().chain(name.as_bytes())),
            ..*self
        }
    }

    /// The same seed and level with `replicates` replicates (the first
    /// replicates of a larger run are the same draws).
    pub fn with_replicates(&self, replicates: usize) -> Resampling {
        Resampling {
            replicates,
            ..*self
        }
    }

    /// Run every replicate in parallel: `replicate` returns its result, or
    /// None when it failed (a refit that did not converge, a sample without
    /// a line); the results kept, in replicate order. `on_done` ticks once
    /// per finished replicate (a progress bar).
    pub fn run<T: Send>(
        &self,
        on_done: &(dyn Fn() + Sync),
        replicate: impl Fn(&Replicate) -> Option<T> + Sync,
    ) -> Vec<T> {
        let out: Vec<Option<T>> = (0..self.replicates)
            .into_par_iter()
            .map(|index| {
                let r = replicate(&Replicate {
                    index,
                    seed: self.seed,
                });
                on_done();
                r
            })
            .collect();
        out.into_iter().flatten().collect()
    }

    /// Whether `kept` successful replicates are enough for an interval: at
    /// least half of those drawn, and at least one drawn.
    pub fn enough(&self, kept: usize) -> bool {
        self.replicates > 0 && kept >= self.replicates / 2
    }

    /// The percentile interval at this level of the finite values of `v`.
    pub fn interval(&self, v: Vec<f64>) -> Interval {
        interval_of(v, self.level)
    }

    /// Column `j` of `draws` (one row per kept replicate) for `j` in
    /// `0..k`: the interval of each of `k` quantities.
    pub fn intervals(&self, draws: &[Vec<f64>], k: usize) -> Vec<Interval> {
        (0..k)
            .map(|j| self.interval(draws.iter().map(|d| d[j]).collect()))
            .collect()
    }
}

/// One replicate: its index and the draws it makes. Every draw comes from a
/// generator seeded from (seed, index, stratum) only.
#[derive(Debug, Clone, Copy)]
pub struct Replicate {
    /// Index of the replicate, 0-based.
    pub index: usize,
    seed: u64,
}

/// The generator of replicate `b` of the stream `key`.
fn stream(key: u64, b: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(
        key.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(b as u64),
    )
}

impl Replicate {
    /// `n` indices drawn with replacement from `0..n` (all points as one
    /// sample).
    pub fn points(&self, n: usize) -> Vec<usize> {
        draw(&mut stream(self.seed, self.index), n)
    }

    /// `n` indices drawn with replacement from `0..n` for stratum `s` (group
    /// `s` of a stratified bootstrap, resampled independently of the others).
    pub fn within(&self, s: usize, n: usize) -> Vec<usize> {
        draw(&mut self.stream(s), n)
    }

    /// The generator of stratum `s` (what [`Replicate::within`] draws
    /// from), for a caller whose draws within a stratum are more than
    /// indices (the isoFLOP bootstrap's window of sizes).
    pub fn stream(&self, s: usize) -> ChaCha8Rng {
        stream(self.seed ^ ((s as u64 + 1) << 32), self.index)
    }

    /// The generator of the replicate's noise (residual and parametric
    /// schemes), independent of its index draws.
    pub fn noise(&self) -> ChaCha8Rng {
        stream(self.seed ^ 0xA5A5_A5A5_0000_0000, self.index)
    }
}

fn draw(rng: &mut ChaCha8Rng, n: usize) -> Vec<usize> {
    (0..n).map(|_| rng.random_range(0..n)).collect()
}

/// The data of replicate `rep` under `scheme`, from the observations `obs`
/// the law was fitted to (`full`; `space` the fit's residual space).
pub fn sample(
    law: &Law,
    obs: &Observations,
    full: &FitResult,
    space: Space,
    scheme: Scheme,
    rep: &Replicate,
) -> Observations {
    match scheme {
        Scheme::Points => obs.subset(&rep.points(obs.len())),
        Scheme::WithinGroups => {
            let idx: Vec<usize> = obs
                .groups_in_row_order()
                .iter()
                .enumerate()
                .flat_map(|(s, g)| {
                    let members = obs.group_indices(g);
                    rep.within(s, members.len())
                        .into_iter()
                        .map(move |j| members[j])
                })
                .collect();
            obs.subset(&idx)
        }
        Scheme::Groups => {
            let groups = obs.groups_in_row_order();
            let idx: Vec<usize> = rep
                .points(groups.len())
                .into_iter()
                .flat_map(|g| obs.group_indices(&groups[g]))
                .collect();
            obs.subset(&idx)
        }
        Scheme::Residuals | Scheme::Parametric => {
            let p = full.params.values();
            let fitted: Vec<f64> = (0..obs.len())
                .map(|i| law.predict_at(obs.point(i), obs.point_context(i), p))
                .collect();
            let log = space == Space::Log;
            let resid: Vec<f64> = obs
                .y
                .iter()
                .zip(&fitted)
                .map(|(&y, &f)| if log { (y / f).ln() } else { y - f })
                .collect();
            let mut rng = rep.noise();
            let noise: Vec<f64> = if scheme == Scheme::Residuals {
                rep.points(resid.len())
                    .into_iter()
                    .map(|j| resid[j])
                    .collect()
            } else {
                let dof = obs.len().saturating_sub(law.n_params()).max(1) as f64;
                let sd = (resid.iter().map(|r| r * r).sum::<f64>() / dof).sqrt();
                (0..obs.len())
                    .map(|_| sd * standard_normal(&mut rng))
                    .collect()
            };
            let mut out = obs.clone();
            for ((y, f), e) in out.y.iter_mut().zip(&fitted).zip(noise) {
                *y = if log { f * e.exp() } else { f + e };
            }
            out
        }
    }
}

/// The natural parameters of every converged replicate refit of `law`
/// (data drawn by `scheme` from `obs`, the points `full` was fitted to;
/// each refit warm-started from the distinct optima of `full`, no new
/// multi-start), in replicate order. `on_done` ticks once per replicate.
pub fn draws(
    law: &Law,
    obs: &Observations,
    full: &FitResult,
    opts: &FitOptions,
    how: &Resampling,
    scheme: Scheme,
    on_done: &(dyn Fn() + Sync),
) -> Vec<Vec<f64>> {
    let replicate_opts = opts.warm_from(full);
    how.run(on_done, |rep| {
        let data = sample(law, obs, full, opts.space, scheme, rep);
        fit(law, &data, &replicate_opts)
            .ok()
            .filter(|r| r.converged)
            .map(|r| r.params.into_values())
    })
}

/// [`draws`], then the percentile intervals of every parameter and of the
/// predictions at `predict_at` (one input vector each).
#[allow(clippy::too_many_arguments)]
pub fn bootstrap(
    law: &Law,
    obs: &Observations,
    full: &FitResult,
    opts: &FitOptions,
    how: &Resampling,
    scheme: Scheme,
    predict_at: &[Vec<f64>],
    on_done: &(dyn Fn() + Sync),
) -> BootstrapResult {
    let ok = draws(law, obs, full, opts, how, scheme, on_done);
    let predictions = predict_at
        .iter()
        .map(|x| how.interval(ok.iter().map(|p| law.predict(x, p)).collect()))
        .collect();
    BootstrapResult {
        replicates: how.replicates,
        converged: ok.len(),
        level: how.level,
        params: how.intervals(&ok, law.n_params()),
        predictions,
        draws: ok,
    }
}

#[cfg(test)]
mod tests {
    /// How far an interval reaches around a centre, in ln units: a lower
    /// end at or below 0 reaches infinitely far (a forecast's interval
    /// then starts at 0, where it used to get no width below), a NaN end
    /// adds nothing, an end on the wrong side of the centre adds nothing.
    #[test]
    fn ln_beyond_reaches_past_a_non_positive_lower_end() {
        let iv = |lo, hi| super::Interval { lo, hi };
        let (b, a) = iv(1.0, 4.0).ln_beyond(2.0);
        assert!((b - 2f64.ln()).abs() < 1e-15 && (a - 2f64.ln()).abs() < 1e-15);
        assert_eq!(iv(-0.5, 4.0).ln_beyond(2.0).0, f64::INFINITY);
        assert_eq!(iv(0.0, 4.0).ln_beyond(2.0).0, f64::INFINITY);
        assert_eq!(iv(f64::NAN, f64::NAN).ln_beyond(2.0), (0.0, 0.0));
        assert_eq!(iv(3.0, 1.0).ln_beyond(2.0), (0.0, 0.0));
    }

    /// A replicate count past the cap is refused with the count and the cap
    /// (`--bootstrap 100000000` ran without an end); the cap itself passes.
    #[test]
    fn replicates_past_the_cap_are_refused() {
        let e = super::Resampling::new(100_000_000, 0.9, 0)
            .check_replicates()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("100000000") && e.contains("100000 allowed"),
            "{e}"
        );
        assert!(super::Resampling::new(super::MAX_REPLICATES, 0.9, 0)
            .check_replicates()
            .is_ok());
    }

    /// FNV-1a's published test vectors (so the seeds stay what they are).
    #[test]
    fn fnv1a_matches_its_reference_values() {
        assert_eq!(super::fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(super::fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(super::fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
        let r = super::Resampling::new(10, 0.9, 7);
        assert_eq!(r.for_name("m1"), r.for_name("m1"));
        assert_ne!(r.for_name("m1").seed, r.for_name("m2").seed);
        assert_ne!(
            r.for_name("m1").seed,
            super::Resampling::new(10, 0.9, 8).for_name("m1").seed
        );
    }

    use super::*;
    use crate::law::catalog;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn replicates_are_reproducible_and_independent_of_threads() {
        let how = Resampling::new(64, 0.9, 7);
        let seq = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| how.run(&|| {}, |r| Some(r.points(20))));
        let par = how.run(&|| {}, |r| Some(r.points(20)));
        assert_eq!(seq, par);
        assert_eq!(seq.len(), 64);
        // Replicates differ, strata differ, and every index is in range.
        assert_ne!(seq[0], seq[1]);
        let r = Replicate { index: 3, seed: 7 };
        assert_ne!(r.within(0, 20), r.within(1, 20));
        assert_ne!(r.within(0, 20), r.points(20));
        assert!(seq.iter().flatten().all(|&i| i < 20));
        // A larger run starts with the same draws.
        let more = how.with_replicates(100).run(&|| {}, |r| Some(r.points(20)));
        assert_eq!(&more[..64], &seq[..]);
    }

    #[test]
    fn run_keeps_the_successes_in_order_and_ticks_every_replicate() {
        let ticks = AtomicUsize::new(0);
        let how = Resampling::new(10, 0.95, 0);
        let kept = how.run(
            &|| {
                ticks.fetch_add(1, Ordering::Relaxed);
            },
            |r| (r.index % 3 != 0).then_some(r.index),
        );
        assert_eq!(kept, vec![1, 2, 4, 5, 7, 8]);
        assert_eq!(ticks.load(Ordering::Relaxed), 10);
        assert!(how.enough(5) && !how.enough(4));
        assert!(!Resampling::new(0, 0.95, 0).enough(0));
        assert!(Resampling::new(1, 1.0, 0).check().is_err());
        // Too few replicates for a percentile interval at the level.
        assert_eq!(Resampling::min_replicates(0.95), 20);
        assert_eq!(Resampling::min_replicates(0.9), 10);
        assert_eq!(Resampling::min_replicates(0.99), 100);
        assert_eq!(Resampling::min_replicates(0.5), 2);
        for n in [1, 2, 19] {
            let e = Resampling::new(n, 0.95, 0).check_replicates().unwrap_err();
            assert!(e.to_string().contains("at least 20"), "{e}");
        }
        assert!(Resampling::new(20, 0.95, 0).check_replicates().is_ok());
        assert!(Resampling::new(0, 0.95, 0).check_replicates().is_ok());
        assert!(Resampling::new(100, 0.99, 0).check_replicates().is_ok());
        assert!(Resampling::new(99, 0.99, 0).check_replicates().is_err());
        assert!(Resampling::new(1, 0.5, 0).check().is_ok());
    }

    #[test]
    fn interval_is_central_at_the_level() {
        let how = Resampling::new(0, 0.9, 0);
        let iv = how.interval((0..=100).map(f64::from).chain([f64::NAN]).collect());
        assert!((iv.lo - 5.0).abs() < 1e-9 && (iv.hi - 95.0).abs() < 1e-9);
        let cols = how.intervals(&[vec![1.0, 10.0], vec![3.0, 30.0]], 2);
        assert!(cols[0].lo >= 1.0 && cols[0].hi <= 3.0 && cols[1].lo >= 10.0);
    }

    /// Every scheme's intervals cover the true parameters of a power law
    /// with 1% noise, and the same seed gives the same intervals.
    #[test]
    fn every_scheme_recovers_a_known_law() {
        let law = catalog::by_name("power").unwrap();
        let truth = [400.0, 0.3, 1.5];
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let n: Vec<f64> = (0..40).map(|i| 1e4 * 1.5f64.powi(i)).collect();
        let y: Vec<f64> = n
            .iter()
            .map(|&x| law.predict(&[x], &truth) * (0.01 * standard_normal(&mut rng)).exp())
            .collect();
        let mut obs = Observations::from_columns(&["x"], &[n], y);
        obs.group = (0..40).map(|i| i % 4).collect();
        obs.group_names = (0..4).map(|g| format!("g{g}")).collect();
        let opts = FitOptions::default();
        let full = fit(&law, &obs, &opts).unwrap();
        let how = Resampling::new(60, 0.99, 3);
        for scheme in [
            Scheme::Points,
            Scheme::WithinGroups,
            Scheme::Groups,
            Scheme::Residuals,
            Scheme::Parametric,
        ] {
            let at = [vec![1e9]];
            let b = bootstrap(&law, &obs, &full, &opts, &how, scheme, &at, &|| {});
            assert!(b.converged >= 55, "{scheme:?}: {} converged", b.converged);
            // The interval holds the fit's alpha, has a width of the order
            // of the estimate's error, and is not far from the truth.
            let alpha = b.params[1];
            let est = full.params[1];
            let width = alpha.hi - alpha.lo;
            eprintln!("{scheme:?}: alpha {est} in {alpha:?}");
            assert!(
                alpha.lo < est && est < alpha.hi && width < 0.05 && (est - 0.3).abs() < width,
                "{scheme:?}: alpha {est} in {alpha:?}"
            );
            let again = bootstrap(&law, &obs, &full, &opts, &how, scheme, &at, &|| {});
            assert_eq!(b.predictions, again.predictions, "{scheme:?}");
            // The kept draws give the same interval at the point asked for,
            // and one at any other input (a plotted band).
            assert_eq!(b.draws.len(), b.converged, "{scheme:?}");
            assert_eq!(b.interval_at(&law, &at[0]), Some(b.predictions[0]));
            let iv = b.interval_at(&law, &[1e5]).unwrap();
            let mid = full.predict(&[1e5]);
            assert!(iv.lo < mid && mid < iv.hi, "{scheme:?}: {mid} in {iv:?}");
        }
    }
}
