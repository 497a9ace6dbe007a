//! Whether a pool's curves bend toward a floor within the target's reach,
//! read from the affordable points alone, and each candidate's floor fit
//! as a fourth hypothesis of the predictive interval in such a pool.
//!
//! The line methods' three hypotheses (the AtS line, the steepening one,
//! the learned trend) extrapolate in log-log and none bends toward a floor:
//! on pools of candidates whose curves reach a floor between the budget and
//! the target they share one optimistic bias, and the interval, whose width
//! is learned on FLAN and WMT19 (curves with no floor in reach), covered
//! 64-81% at 90% there. Each candidate's own rectified-law fit
//! L = B / (D_l + D^beta) + E (`rectified-fit`'s, with the zero-shot point
//! first) bends toward its fitted floor E: unbiased on such pools, but
//! pessimistic on FLAN's and WMT19's curves. So the fit joins the
//! hypotheses only where the pool itself shows a floor within reach:
//! where, for more than half of the candidates, the fitted floor lies
//! within [`FLOOR_REACH`] times the drop the interval's centre already
//! predicts from the last affordable loss to the target
//! (BENCHMARKS.md, "select's interval: a pool-level floor check").

use super::method::{curve_observations, law_fit_options, law_points};
use crate::datasets::Candidate;
use rayon::prelude::*;

/// A candidate's fitted floor is within reach when ln L_last - ln E is less
/// than this many times ln L_last - c (c the interval's centre at the
/// target, L_last the loss at the largest affordable size): the fitted
/// floor lies within twice the drop the centre predicts over the reach.
/// Chosen on development pools (rectified-law pools of seeds used by no
/// validation, and FLAN and WMT19 in-sample: the pool's median ratio was
/// 5.8-31 on FLAN at every budget, 2.9-12.7 on WMT19 at 1/8-1/128, 0.3-1.4
/// on the synthetic pools), validated on fresh seeds (BENCHMARKS.md).
pub const FLOOR_REACH: f64 = 2.0;

/// A candidate's rectified-law fit to its affordable points (its zero-shot
/// loss first when it has one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloorFit {
    /// ln of the fit's prediction at the target.
    pub ln_at_target: f64,
    /// ln of its fitted floor E.
    pub ln_floor: f64,
}

impl FloorFit {
    /// The fit of `c`'s affordable points `pts` (None: too few points for
    /// the law's four parameters, no fit, or a non-finite or non-positive
    /// prediction or floor).
    pub fn of(c: &Candidate, pts: &[(f64, f64)], target: f64) -> Option<FloorFit> {
        let law = crate::law::catalog::rectified();
        let curve = law_points(pts, c, true);
        // More points than parameters: with as many the law interpolates
        // them and its floor is not measured.
        if curve.len() <= law.n_params() {
            return None;
        }
        let res = crate::fit::fit(&law, &curve_observations(&curve), &law_fit_options()).ok()?;
        let (p, e) = (res.predict(&[target]), res.param("E"));
        (p.is_finite() && p > 0.0 && e.is_finite() && e > 0.0).then(|| FloorFit {
            ln_at_target: p.ln(),
            ln_floor: e.ln(),
        })
    }

    /// Whether the fitted floor is within reach of a candidate whose last
    /// affordable loss is `ln_last` and whose interval is centred at
    /// `centre` (ln units): ln L_last - ln E < [`FLOOR_REACH`] (ln L_last -
    /// centre).
    pub fn within_reach(&self, ln_last: f64, centre: f64) -> bool {
        ln_last - self.ln_floor < FLOOR_REACH * (ln_last - centre)
    }
}

/// A candidate's interval centre at the target (ln units) from its
/// affordable points; None where it has none.
pub type CentreAt<'a> = dyn Fn(&[(f64, f64)]) -> Option<f64> + Sync + 'a;

/// What the pool shows of a floor: how many candidates have a floor fit
/// and how many of those a floor within reach ([`FloorFit::within_reach`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FloorCheck {
    /// Candidates with a floor fit and an interval centre.
    pub candidates: usize,
    /// Those whose fitted floor is within reach.
    pub within_reach: usize,
}

impl FloorCheck {
    /// The check over `pool`: `centre(c, pts)` is a candidate's interval
    /// centre at the target (ln units) from its affordable points `pts`
    /// (`affordable(c)`), None where it has none.
    pub fn of(
        pool: &[Candidate],
        target: f64,
        affordable: &(dyn Fn(&Candidate) -> Vec<(f64, f64)> + Sync),
        centre: &CentreAt<'_>,
    ) -> FloorCheck {
        let reach: Vec<bool> = pool
            .par_iter()
            .filter_map(|c| {
                let pts = affordable(c);
                let ln_last = pts.last()?.1.ln();
                let centre = centre(&pts)?;
                let fit = FloorFit::of(c, &pts, target)?;
                (ln_last.is_finite() && centre.is_finite())
                    .then(|| fit.within_reach(ln_last, centre))
            })
            .collect();
        FloorCheck {
            candidates: reach.len(),
            within_reach: reach.iter().filter(|r| **r).count(),
        }
    }

    /// Whether the pool shows a floor within reach: more than half of the
    /// candidates with a floor fit have one.
    pub fn shows_floor(&self) -> bool {
        2 * self.within_reach > self.candidates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(law: impl Fn(f64) -> f64) -> Candidate {
        let sizes = std::iter::once(0.0).chain((0..10).map(|k| 200.0 * 2f64.powi(k)));
        Candidate {
            id: "a".into(),
            curve: sizes.map(|d| (d, law(d))).collect(),
            size: None,
            family: None,
        }
    }

    #[test]
    fn the_floor_fit_finds_a_rectified_curves_floor() {
        let law = |d: f64| 2.0 * 100.0 / (100.0 + d.powf(0.5)) + 1.2;
        let c = cand(law);
        let f = FloorFit::of(&c, &c.curve[1..], 1_638_400.0).expect("a fit");
        assert!((f.ln_floor - 1.2f64.ln()).abs() < 0.02, "{f:?}");
        assert!(
            (f.ln_at_target - law(1_638_400.0).ln()).abs() < 0.01,
            "{f:?}"
        );
    }

    #[test]
    fn too_few_points_give_no_floor_fit() {
        let c = cand(|d| 3.0 / (1.0 + d.powf(0.3)) + 1.0);
        // The zero-shot point and three sizes: four points, four parameters.
        assert_eq!(FloorFit::of(&c, &c.curve[1..4], 1e6), None);
    }

    #[test]
    fn within_reach_compares_the_floor_with_twice_the_centres_drop() {
        let f = FloorFit {
            ln_at_target: 0.1,
            ln_floor: 0.0,
        };
        // Last loss ln 0.5 above the floor; the centre predicts a drop of
        // 0.3 (floor within 2 x 0.3) or of 0.2 (not within 2 x 0.2).
        assert!(f.within_reach(0.5, 0.2));
        assert!(!f.within_reach(0.5, 0.3));
        // Exactly twice: not within.
        assert!(!f.within_reach(0.5, 0.25));
        // A centre above the last loss: never within reach.
        assert!(!f.within_reach(0.5, 0.6));
    }

    #[test]
    fn the_pool_shows_a_floor_on_a_strict_majority() {
        let check = |candidates, within_reach| FloorCheck {
            candidates,
            within_reach,
        };
        assert!(check(8, 5).shows_floor());
        assert!(!check(8, 4).shows_floor());
        assert!(!check(0, 0).shows_floor());
    }
}
