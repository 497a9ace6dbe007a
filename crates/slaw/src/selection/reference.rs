//! A reference: the same candidates' loss curves on other tasks (a user's
//! earlier fine-tuning results; in the leave-one-dataset-out protocol, the
//! other datasets of the folder), rows matched by the candidate's name.
//!
//! `ats-ref` ranks by ats-gap's prediction combined with a *shape
//! transfer* per reference: the candidate's last affordable ln L plus the
//! reference curve's own fall from that size to the target, scaled by the
//! ratio of the two curves' local slopes at the budget. The weights are the
//! inverse of each predictor's mean squared backtest error on the evaluated
//! pool itself (every prefix of at least k + 1 points predicting the last
//! affordable size, errors centred on the pool at each window): they are
//! measured at run time from the pool's affordable points, never from its
//! loss at the target. Issue 13, BENCHMARKS.md ("A reference: the same
//! candidates on another task").

use super::matching::MatchTest;
use super::method::{line_prediction, LineKind};
use super::trend::Features;
use super::Budget;
use crate::datasets::Candidate;
use std::collections::{BTreeMap, HashMap};

/// The largest slope ratio of the shape transfer (the pool's local slope
/// over the reference's); negative ratios are 0.
pub const MAX_SLOPE_RATIO: f64 = 5.0;

/// One reference: per candidate name, its curve as (ln n, ln L) at sizes
/// n > 0, ascending.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    /// Where it was read from (the file, or the dataset's name), for the
    /// notes and warnings; empty when unnamed.
    pub source: String,
    curves: HashMap<String, Vec<(f64, f64)>>,
    /// Per candidate name, ln L at N = 0 (the zero-shot loss), when given.
    zero_shot: HashMap<String, f64>,
}

impl Reference {
    /// The curves of `pool` (candidates with a positive, finite loss at
    /// sizes > 0), keyed by name; unnamed (see [`Reference::named`]).
    pub fn of(pool: &[Candidate]) -> Reference {
        let curves = pool
            .iter()
            .map(|c| {
                let mut pts: Vec<(f64, f64)> = c
                    .curve
                    .iter()
                    .filter(|p| p.0 > 0.0 && p.1 > 0.0 && p.1.is_finite())
                    .map(|p| (p.0.ln(), p.1.ln()))
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                (c.id.clone(), pts)
            })
            .filter(|(_, p)| p.len() >= 2)
            .collect();
        let zero_shot = pool
            .iter()
            .filter_map(|c| {
                let l = c.loss_at(0.0).filter(|l| *l > 0.0 && l.is_finite())?;
                Some((c.id.clone(), l.ln()))
            })
            .collect();
        Reference {
            source: String::new(),
            curves,
            zero_shot,
        }
    }

    /// The smallest and largest size > 0 of its curves (None when it has
    /// none): said when the pool's sizes find no loss in it.
    pub fn size_span(&self) -> Option<(f64, f64)> {
        let lo = self.curves.values().filter_map(|c| c.first()).map(|p| p.0);
        let hi = self.curves.values().filter_map(|c| c.last()).map(|p| p.0);
        let lo = lo.fold(f64::INFINITY, f64::min);
        let hi = hi.fold(f64::NEG_INFINITY, f64::max);
        (lo <= hi).then(|| (lo.exp(), hi.exp()))
    }

    /// The same reference named `source` (a file or a dataset).
    pub fn named(mut self, source: impl Into<String>) -> Reference {
        self.source = source.into();
        self
    }

    /// The reference read from `rows` (the table `source`) for the
    /// candidates of `pool` (the table `pool_source`), checked: at least one
    /// row matches a candidate by name, and every matching row has a loss at
    /// or beyond `target` (the shape transfer needs the reference's fall up
    /// to the target). The errors name both tables and the model.
    pub fn checked(
        pool: &[Candidate],
        rows: &[Candidate],
        target: f64,
        source: &str,
        pool_source: &str,
    ) -> crate::Result<Reference> {
        if !pool.iter().any(|c| rows.iter().any(|q| q.id == c.id)) {
            return Err(crate::Error::data(format!(
                "{source}: no row matches a candidate of {pool_source} by name"
            )));
        }
        if let Some(q) = rows
            .iter()
            .find(|q| pool.iter().any(|c| c.id == q.id) && !q.curve.iter().any(|p| p.0 >= target))
        {
            return Err(crate::Error::data(format!(
                "{source}: model '{}' has no loss at or beyond the target {target}: the reference must reach it",
                q.id
            )));
        }
        Ok(Reference::of(rows).named(source))
    }

    /// Number of candidates it has a curve for.
    pub fn len(&self) -> usize {
        self.curves.len()
    }

    /// Whether it has a curve for candidate `id`.
    pub fn has(&self, id: &str) -> bool {
        self.curves.contains_key(id)
    }

    /// Whether it has no curve.
    pub fn is_empty(&self) -> bool {
        self.curves.is_empty()
    }

    /// The reference's ln L of candidate `id` at ln size `x`: linear in
    /// (ln n, ln L) between its measured sizes; None outside them.
    pub fn ln_loss(&self, id: &str, x: f64) -> Option<f64> {
        let c = self.curves.get(id)?;
        let tol = 1e-9;
        if x < c[0].0 - tol || x > c[c.len() - 1].0 + tol {
            return None;
        }
        let i = c.partition_point(|p| p.0 < x - tol);
        let i = i.min(c.len() - 1);
        if (c[i].0 - x).abs() <= tol || i == 0 {
            return Some(c[i].1);
        }
        let (a, b) = (c[i - 1], c[i]);
        Some(a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0))
    }

    /// The reference's ln L of candidate `id` at N = 0 (its zero-shot
    /// loss), when it has one.
    pub fn ln_zero_shot(&self, id: &str) -> Option<f64> {
        self.zero_shot.get(id).copied()
    }

    /// The shape transfer of candidate `id` from its points `pts` (n, loss;
    /// the prefix the prediction starts from) to size `target`, ln L: the
    /// last ln L plus the reference's fall over the same sizes, times the
    /// ratio of local slopes (`Features::local`; 1 when the reference's is
    /// not negative, clamped to [0, MAX_SLOPE_RATIO]). None when the
    /// reference lacks the candidate or a size.
    pub fn shape_ln(
        &self,
        id: &str,
        pts: &[(f64, f64)],
        k: usize,
        delta: f64,
        target: f64,
    ) -> Option<f64> {
        let fp = Features::of(pts, k, delta)?;
        let rpts: Vec<(f64, f64)> = pts
            .iter()
            .map(|p| self.ln_loss(id, p.0.ln()).map(|y| (p.0, y.exp())))
            .collect::<Option<_>>()?;
        let fr = Features::of(&rpts, k, delta)?;
        let ratio = if fr.local < 0.0 {
            (fp.local / fr.local).clamp(0.0, MAX_SLOPE_RATIO)
        } else {
            1.0
        };
        let fall = self.ln_loss(id, target.ln())? - fr.y_last;
        let v = fp.y_last + ratio * fall;
        v.is_finite().then_some(v)
    }
}

/// The references of one selection, the test of each against the pool
/// ([`MatchTest`]) and the weight of each shape transfer relative to
/// ats-gap's prediction (weight 1) on this pool and budget.
#[derive(Debug, Clone, Default)]
pub struct ReferenceMix {
    /// The references, in the order given.
    pub references: Vec<Reference>,
    /// Per reference: whether its rows hold the pool's models (a
    /// permutation test on the affordable sizes).
    pub tests: Vec<MatchTest>,
    /// Per reference: ats-gap's mean squared backtest error over its shape
    /// transfer's, on the pool's candidates that the reference has; 0 (the
    /// reference is not used) when it fails its match test or has no
    /// backtest.
    pub relative_weight: Vec<f64>,
}

impl ReferenceMix {
    /// Test each reference against `pool` under `budget` ([`MatchTest`]);
    /// for those that pass, measure the weight: ats-gap (`kind`, the
    /// pool-adapted trend) and the reference's shape transfer predict every
    /// candidate's last affordable loss from each of its prefixes of at
    /// least k + 1 points; errors centred on the pool at each (prefix end,
    /// size) window; weight = mean squared error of ats-gap over the
    /// reference's, on the same candidates and windows. A reference that
    /// fails weighs 0.
    pub fn of(
        pool: &[Candidate],
        budget: &Budget,
        references: &[Reference],
        kind: LineKind,
        k: usize,
        delta: f64,
    ) -> ReferenceMix {
        let tests: Vec<MatchTest> = references
            .iter()
            .map(|r| MatchTest::of(pool, budget, r))
            .collect();
        let relative_weight = references
            .iter()
            .zip(&tests)
            .map(|(r, t)| {
                if t.passed {
                    backtest_ratio(pool, budget, r, kind, k, delta)
                } else {
                    0.0
                }
            })
            .collect();
        ReferenceMix {
            references: references.to_vec(),
            tests,
            relative_weight,
        }
    }

    /// Combine ats-gap's ln prediction `ln_gap` of candidate `id` (points
    /// `pts`) with the shape transfers of the references that have it,
    /// weighted; `ln_gap` itself when none has it.
    pub fn combine(
        &self,
        id: &str,
        pts: &[(f64, f64)],
        k: usize,
        delta: f64,
        target: f64,
        ln_gap: f64,
    ) -> f64 {
        let (mut num, mut den) = (ln_gap, 1.0);
        for (r, &w) in self.references.iter().zip(&self.relative_weight) {
            if w > 0.0 {
                if let Some(s) = r.shape_ln(id, pts, k, delta, target) {
                    num += w * s;
                    den += w;
                }
            }
        }
        num / den
    }
}

/// The largest weight of a reference's shape transfer against ats-gap's
/// prediction (1): a transfer whose backtest error is 0 (a reference that
/// reproduces the pool's own curves) would weigh infinitely. At the cap
/// ats-gap's share of the combination is 1 / 10001 < 0.01%: the combined
/// prediction is the transfer's to within 1e-4 of their difference, far
/// below the noise of a measured loss, and the weight stays finite.
pub const MAX_WEIGHT: f64 = 1e4;

/// ats-gap's mean squared centred backtest error over the shape transfer's,
/// at most [`MAX_WEIGHT`] (a transfer without backtest error gets the cap;
/// 1 when both are exact; 0 when there is no window with two candidates).
fn backtest_ratio(
    pool: &[Candidate],
    budget: &Budget,
    r: &Reference,
    kind: LineKind,
    k: usize,
    delta: f64,
) -> f64 {
    // Per window (prefix end size, predicted size): (gap error, shape error)
    // of every candidate the reference has.
    let mut windows: BTreeMap<(u64, u64), Vec<(f64, f64)>> = BTreeMap::new();
    for c in pool {
        let pts = budget.affordable(c);
        let m = pts.len();
        if m < k + 2 {
            continue;
        }
        let (n_last, y_last) = (pts[m - 1].0, pts[m - 1].1.ln());
        for end in (k + 1)..m {
            let prefix = &pts[..end];
            let Some(s) = r.shape_ln(&c.id, prefix, k, delta, n_last) else {
                continue;
            };
            let Some((g, _)) = line_prediction(prefix, k, delta, kind, n_last, c.loss_at(0.0))
            else {
                continue;
            };
            let g = g.ln();
            if g.is_finite() {
                windows
                    .entry((prefix[end - 1].0.to_bits(), n_last.to_bits()))
                    .or_default()
                    .push((y_last - g, y_last - s));
            }
        }
    }
    let (mut sg, mut ss, mut used) = (0.0, 0.0, 0);
    for errs in windows.values().filter(|e| e.len() >= 2) {
        used += 1;
        let n = errs.len() as f64;
        let mg = errs.iter().map(|e| e.0).sum::<f64>() / n;
        let ms = errs.iter().map(|e| e.1).sum::<f64>() / n;
        sg += errs.iter().map(|e| (e.0 - mg).powi(2)).sum::<f64>();
        ss += errs.iter().map(|e| (e.1 - ms).powi(2)).sum::<f64>();
    }
    if used == 0 {
        0.0
    } else if ss > 0.0 {
        (sg / ss).min(MAX_WEIGHT)
    } else if sg > 0.0 {
        MAX_WEIGHT
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_loss_interpolates_in_log_log_inside_the_measured_sizes() {
        let c = Candidate {
            id: "a".into(),
            curve: vec![(0.0, 5.0), (100.0, 4.0), (400.0, 2.0)],
            size: None,
            family: None,
        };
        let r = Reference::of(&[c]);
        assert_eq!(r.len(), 1);
        assert_eq!(r.ln_loss("a", 100f64.ln()), Some(4f64.ln()));
        // Midway in ln n between 100 and 400: the geometric mean.
        let mid = r.ln_loss("a", 200f64.ln()).unwrap();
        assert!((mid - 8f64.sqrt().ln()).abs() < 1e-12);
        assert_eq!(r.ln_loss("a", 50f64.ln()), None);
        assert_eq!(r.ln_loss("a", 800f64.ln()), None);
        assert_eq!(r.ln_loss("b", 200f64.ln()), None);
    }
}
