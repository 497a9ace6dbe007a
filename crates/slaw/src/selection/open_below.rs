//! A candidate still accelerating at its largest affordable size (its
//! ln-ln slope steepening over the last sizes: it may not have reached its
//! power phase) can fall far below every line hypothesis the predictive
//! interval is calibrated on (probe54 #6: a candidate whose power phase
//! starts past the budget had its "90%" interval above its true loss in 28
//! of 40 known-truth pools at 1/512). For such a candidate the interval's
//! upper end stays the calibrated one, and its lower end is opened to what
//! the rectified law allows with the power phase starting at the largest
//! affordable size ([`OpenBelow`]).

use super::Budget;

/// How much steeper (in ln-ln slope) a curve's last segment must be than
/// the segment two sizes before it, each segment between them steepening
/// too, to be still accelerating ([`still_accelerating`]). Fixed before
/// measuring (probe54 #6; BENCHMARKS.md, "select's still-accelerating
/// note"): with 1% noise and sizes doubling, one segment's slope varies by
/// about 0.02.
pub const ACCELERATING_SLOPE_CHANGE: f64 = 0.05;

/// The size to fine-tune a still-accelerating candidate at, to decide
/// whether it beats the chosen one, as a multiple of its largest affordable
/// size ([`OpenBelow::fine_tune_at`]). Chosen by a rule fixed before
/// measuring (BENCHMARKS.md, "A sharper 'may be better'"): among 2x, 4x
/// and 8x, one more point at that size on 240 named cases (known-truth
/// pools and the public curves) ordered the candidate and the pick as the
/// truth does in 122, 122 and 122 cases; the cheapest of those that decide
/// as often as 4x. On the known-truth pools where the named candidate was
/// truly better, one such run mostly did not show it (the line through
/// its points still predicted it worse): read the size as the cheapest
/// informative run, not as a decision.
pub const FINE_TUNE_FACTOR: f64 = 2.0;

/// The largest power-phase exponent beta the lower end allows: the largest
/// beta of the rectified law L = B / (D_l + D^beta) + E fitted to the 60
/// complete public curves (FLAN 0.395, WMT19 0.759, `rectified-fit` to
/// 1,638,400 examples). Fixed from them before measuring the open lower end
/// (BENCHMARKS.md, "Intervals open below").
pub const BETA_MAX: f64 = 0.76;

/// The still-accelerating rule on a candidate's affordable points (n > 0,
/// ascending): over its last 4 sizes the 3 ln-ln segment slopes s1 > s2 >
/// s3, s3 at least [`ACCELERATING_SLOPE_CHANGE`] below s1 and below 0.
/// `Some((s1, s3))` when it holds.
pub fn still_accelerating(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|&(n, l)| n > 0.0 && l.is_finite() && l > 0.0)
        .collect();
    let last = pts.get(pts.len().checked_sub(4)?..)?;
    let s: Vec<f64> = last
        .windows(2)
        .map(|w| (w[1].1.ln() - w[0].1.ln()) / (w[1].0.ln() - w[0].0.ln()))
        .collect();
    let steepening = s[0] > s[1] && s[1] > s[2] && s[2] <= s[0] - ACCELERATING_SLOPE_CHANGE;
    (steepening && s[2] < 0.0).then_some((s[0], s[2]))
}

/// The lower end of a still-accelerating candidate's interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct OpenBelow {
    /// What the interval covers now, in words.
    pub covers: &'static str,
    /// The calibrated interval's lower end (replaced when the law's bound
    /// is lower).
    pub calibrated_lo: f64,
    /// The rectified law's lowest loss at the target with the power phase
    /// starting at the largest affordable size: 2 L_m / (1 + (T /
    /// n_m)^[`BETA_MAX`]), L_m the loss measured at that size n_m, T the
    /// target.
    pub law_bound: f64,
    /// The slopes (per unit ln size) of the first and last of the 3 last
    /// segments.
    pub slopes: [f64; 2],
    /// The size to fine-tune the candidate at to see whether it keeps
    /// steepening: [`FINE_TUNE_FACTOR`] (2) x its largest affordable size,
    /// at most the target.
    pub fine_tune_at: f64,
}

/// [`OpenBelow::covers`].
pub const OPEN_BELOW_COVERS: &str = "lower end open: the candidate is still accelerating at its \
     largest affordable size, so its upper end is the calibrated one and its lower end the \
     lower of the calibrated end and the rectified law's lowest loss with the power phase \
     starting at that size (exponent at most 0.76, floor at least 0); not a calibrated level";

impl OpenBelow {
    /// For a candidate with affordable `points` (ascending) under `budget`
    /// whose calibrated interval's lower end is `lo`: `Some` when it is
    /// still accelerating ([`still_accelerating`]).
    pub fn of(points: &[(f64, f64)], budget: &Budget, lo: f64) -> Option<OpenBelow> {
        let (s1, s3) = still_accelerating(points)?;
        let &(n_m, l_m) = points.iter().rev().find(|p| p.0 > 0.0)?;
        // Measured at the target already: nothing is extrapolated.
        if n_m >= budget.target {
            return None;
        }
        let law_bound = 2.0 * l_m / (1.0 + (budget.target / n_m).powf(BETA_MAX));
        Some(OpenBelow {
            covers: OPEN_BELOW_COVERS,
            calibrated_lo: lo,
            law_bound,
            slopes: [s1, s3],
            fine_tune_at: (FINE_TUNE_FACTOR * n_m).min(budget.target),
        })
    }

    /// The interval's lower end: the lower of the calibrated one and the
    /// law's bound.
    pub fn lo(&self) -> f64 {
        self.calibrated_lo.min(self.law_bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bound is the rectified law's loss at the target with E = 0,
    /// beta = BETA_MAX and the power phase starting at the last size: a
    /// curve of that law lands on it, and one with a smaller beta above.
    #[test]
    fn the_law_bound_is_the_lowest_the_law_allows() {
        let budget = Budget::new(1638400.0, 3200.0).unwrap();
        let law = |beta: f64, d: f64| {
            let dl = 3200f64.powf(beta);
            // The pre-power phase: a line steepening over 200..3200.
            8.0 * dl / (dl + d.powf(beta))
        };
        let pts: Vec<(f64, f64)> = (0..5)
            .map(|k| {
                let n = 200.0 * 2f64.powi(k);
                (n, law(BETA_MAX, n))
            })
            .collect();
        let o = OpenBelow::of(&pts, &budget, 3.0).expect("steepening");
        let truth = law(BETA_MAX, budget.target);
        assert!((o.law_bound - truth).abs() < 1e-9 * truth, "{o:?} {truth}");
        assert_eq!(o.lo(), o.law_bound);
        assert!(law(0.5, budget.target) > o.law_bound);
        assert_eq!(o.fine_tune_at, 6400.0);
        // A calibrated lower end below the bound is kept.
        let low = OpenBelow::of(&pts, &budget, 0.01).unwrap();
        assert_eq!(low.lo(), 0.01);
        // A power law is not accelerating: nothing opens.
        let power: Vec<(f64, f64)> = pts.iter().map(|&(n, _)| (n, 3.0 * n.powf(-0.1))).collect();
        assert!(OpenBelow::of(&power, &budget, 1.0).is_none());
    }
}
