//! The pool's point noise, and the trend methods' fallback to the AtS line
//! on noisy pools.
//!
//! The learned trends (`ats-trend`, `ats-gap`, `ats-ref`) extrapolate from
//! the slope of each candidate's last three affordable points and multiply
//! it by r and r^2 (r = ln(target / last size)); the AtS line is fitted
//! over more points. On synthetic pools of known truth, a dataset none of
//! the shipped weights saw, the default ranked level with AtS or better
//! while the points carried up to 1.5% noise (in ln L) and worse beyond:
//! by 1.0-1.3 points of PearCorr on the mean over the budgets at 2%, 2.8-3.7
//! at 3% (BENCHMARKS.md, "The default selector on noisy pools"). FLAN's
//! and WMT19's pools read 0.4-1.0% at every budget.

/// The pool noise (ln L) above which the trend methods rank by the AtS
/// line: where ats-gap and AtS crossed on the development pools (seeds
/// 2000-2509 of `bench/selection_noisy_pools.py`), validated on fresh ones.
pub const NOISY: f64 = 0.015;

/// Second differences needed before the noise is read.
const MIN_DIFFERENCES: usize = 10;

/// The white noise of the pool's points in ln L: 1.4826 MAD of the second
/// differences of ln L over each candidate's affordable sizes > 0 (in
/// order), pooled over the candidates, over sqrt(6) (white noise of sd s
/// gives second differences of variance 6 s^2; the curves' bend adds a
/// little: about 0.4% on FLAN). None with fewer than 10 differences.
pub fn pool_noise<'a>(curves: impl IntoIterator<Item = &'a [(f64, f64)]>) -> Option<f64> {
    let mut d2 = Vec::new();
    for pts in curves {
        let y: Vec<f64> = pts
            .iter()
            .filter(|p| p.0 > 0.0 && p.1 > 0.0 && p.1.is_finite())
            .map(|p| p.1.ln())
            .collect();
        d2.extend(crate::stats::second_differences(&y));
    }
    if d2.len() < MIN_DIFFERENCES {
        return None;
    }
    Some(crate::stats::second_difference_noise(&d2))
}

/// The note of a pool ranked by the AtS line for its noise.
pub fn note(method: &str, noise: f64) -> String {
    format!(
        "the pool's points carry {:.1}% noise (white noise of ln L, from the second differences \
         of the affordable losses), more than {:.1}%: {method} ranks by the AtS line, as ats does \
         (its learned trend reads each curve's last three points and multiplies their noise by \
         the extrapolation's length; on noisy pools of known truth it ranked worse than AtS); \
         its interval and choice are unchanged",
        100.0 * noise,
        100.0 * NOISY
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(noise: f64, seed: u64) -> Vec<Vec<(f64, f64)>> {
        let (cands, _) = crate::synthetic::rectified_pool(seed, 30, noise, (0.3, 0.6));
        cands
            .into_iter()
            .map(|c| c.curve.into_iter().filter(|p| p.0 <= 3200.0).collect())
            .collect()
    }

    #[test]
    fn the_pool_noise_reads_the_points_noise() {
        for (noise, lo, hi) in [(0.005, 0.003, 0.008), (0.03, 0.024, 0.037)] {
            let p = pool(noise, 17);
            let got = pool_noise(p.iter().map(|c| c.as_slice())).unwrap();
            assert!((lo..hi).contains(&got), "{noise}: {got}");
        }
    }

    #[test]
    fn too_few_points_read_no_noise() {
        let p = vec![vec![(200.0, 3.0), (400.0, 2.9), (800.0, 2.85)]; 3];
        assert_eq!(pool_noise(p.iter().map(|c| c.as_slice())), None);
    }
}
