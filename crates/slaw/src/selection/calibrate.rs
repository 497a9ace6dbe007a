//! Predictive intervals for extrapolated losses, calibrated on the pool's
//! own backtests.
//!
//! A bootstrap of a candidate's affordable points carries the noise of the
//! points, not the error of extrapolating them: its "95%" covered the true
//! loss at the full size for 6-10 of 30 FLAN models. Here the method is run,
//! inside the affordable sizes of every candidate, on each prefix of the
//! curve (at least `min_points` points) to predict every later affordable
//! point. Each backtest gives an error per unit of log extrapolation ratio,
//! z = (ln L_true - ln L_pred) / ln(n_true / n_last). Over the pool, z has
//! a mean m (the method's drift: AtS under-predicts steepening curves) and a
//! standard deviation s; the interval at the target, a log ratio r away, is
//!
//! ```text
//! ln L_pred + r m  +-  q sqrt((s r)^2 + h^2)    (q: the normal quantile of the level)
//! ```
//!
//! where h is the model uncertainty: the largest distance from the
//! prediction to one of the extrapolation hypotheses the pool's short
//! backtests cannot tell apart (the AtS line, the steepening extrapolation,
//! the learned trend; `method::Hypotheses`). The first term alone covers the
//! error as the pool's own curves show it at shorter ranges, scaled linearly
//! in the log ratio; it under-covers at small budgets, where errors grow
//! faster than the log ratio (43-67% at 90% on FLAN). The coverage at the
//! full size is measured by the leave-one-dataset-out protocol
//! (BENCHMARKS.md).

use crate::bootstrap::Interval;
use crate::stats::normal_quantile;

/// A method as the backtests run it: ln L at a size from a prefix of a
/// curve's points, `None` where the method has no prediction.
pub type PredictLn<'a> = &'a dyn Fn(&[(f64, f64)], f64) -> Option<f64>;

/// The fewest backtest errors a calibration needs.
pub const MIN_BACKTESTS: usize = 5;

/// What the interval of an estimate covers.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum IntervalKind {
    /// Percentiles of a bootstrap of the affordable points: the noise of
    /// the points only, not the error of the extrapolation.
    Bootstrap {
        /// The bootstrap's central level.
        level: f64,
    },
    /// Predictive interval calibrated on the pool's backtests
    /// ([`Calibration`]): meant to cover the true loss at the target.
    Backtest {
        /// The nominal coverage of the true loss.
        level: f64,
    },
}

impl IntervalKind {
    /// A column heading: "90% predictive" or "95% bootstrap".
    pub fn label(&self) -> String {
        match self {
            IntervalKind::Backtest { level } => format!("{:.0}% predictive", 100.0 * level),
            IntervalKind::Bootstrap { level } => format!("{:.0}% bootstrap", 100.0 * level),
        }
    }
}

/// The pool's backtest errors per unit log ratio.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Calibration {
    /// Nominal level of the intervals.
    pub level: f64,
    /// Mean and standard deviation of z.
    pub drift: f64,
    /// Standard deviation of z over the backtests.
    pub spread: f64,
    /// Number of backtests.
    pub count: usize,
}

impl Calibration {
    /// Backtest `predict_ln(prefix, n)` (ln L at n from the prefix's points,
    /// `None` where the method has no prediction) on every curve; `None`
    /// when fewer than [`MIN_BACKTESTS`] errors result.
    pub fn backtest<'a>(
        curves: impl IntoIterator<Item = &'a [(f64, f64)]>,
        min_points: usize,
        level: f64,
        predict_ln: PredictLn,
    ) -> Option<Calibration> {
        let mut z = Vec::new();
        for c in curves {
            for end in min_points.max(2)..c.len() {
                let prefix = &c[..end];
                let x_last = prefix[end - 1].0.ln();
                for p in &c[end..] {
                    let r = p.0.ln() - x_last;
                    if r <= 0.0 {
                        continue;
                    }
                    if let Some(pred) = predict_ln(prefix, p.0) {
                        let e = (p.1.ln() - pred) / r;
                        if e.is_finite() {
                            z.push(e);
                        }
                    }
                }
            }
        }
        if z.len() < MIN_BACKTESTS {
            return None;
        }
        let n = z.len() as f64;
        let drift = z.iter().sum::<f64>() / n;
        let spread = (z.iter().map(|v| (v - drift).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        Some(Calibration {
            level,
            drift,
            spread,
            count: z.len(),
        })
    }

    /// The interval of a prediction `ln_pred` made `r` (log ratio) beyond
    /// the last affordable size; `model` (ln units) is the disagreement of
    /// the extrapolation hypotheses, added in quadrature to the scaled
    /// backtest spread.
    pub fn interval(&self, ln_pred: f64, r: f64, model: f64) -> Interval {
        let q = normal_quantile(0.5 + self.level / 2.0);
        let r = r.max(0.0);
        let centre = ln_pred + r * self.drift;
        let half = q * (self.spread * r).hypot(model);
        Interval {
            lo: (centre - half).exp(),
            hi: (centre + half).exp(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Curves whose log loss falls by a random slope per log size: the
    /// backtests of a "flat" predictor recover the slope distribution, and
    /// the interval at the level covers about that share of new curves.
    #[test]
    fn covers_at_the_level_on_exchangeable_curves() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut slope = || -0.1 + 0.03 * (rng.random::<f64>() - 0.5) * 3.46;
        let curve = |s: f64| -> Vec<(f64, f64)> {
            (0..8)
                .map(|i| {
                    let n = 100.0 * 2f64.powi(i);
                    (n, (1.0 + s * n.ln()).exp())
                })
                .collect()
        };
        let pool: Vec<Vec<(f64, f64)>> = (0..40).map(|_| curve(slope())).collect();
        let flat = |pts: &[(f64, f64)], _n: f64| Some(pts[pts.len() - 1].1.ln());
        let cal = Calibration::backtest(pool.iter().map(|c| c.as_slice()), 3, 0.9, &flat).unwrap();
        assert!((cal.drift + 0.1).abs() < 0.01, "{cal:?}");
        let mut covered = 0;
        let n = 2000;
        for _ in 0..n {
            let c = curve(slope());
            let last = c[7];
            let target = 1e6;
            let r = (target / last.0).ln();
            let iv = cal.interval(last.1.ln(), r, 0.0);
            let truth =
                c[0].1 * (target / c[0].0).powf(((c[7].1 / c[0].1).ln()) / (c[7].0 / c[0].0).ln());
            if iv.lo <= truth && truth <= iv.hi {
                covered += 1;
            }
        }
        let share = covered as f64 / n as f64;
        assert!((0.85..=0.96).contains(&share), "coverage {share}");
    }
}
