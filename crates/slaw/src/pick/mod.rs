//! Choosing among one-input laws for extrapolation by a rolling-origin
//! backtest inside the fitted data, rather than by training error or AIC.
//!
//! The points are ordered by the input. For each origin fraction r of a
//! [`Rule`], every law is refitted (cold: from its own grid, nothing from the
//! fit on all points) on the first floor(r n) points and scored by the RMSE of
//! ln L on the remaining points of the data — an extrapolation of the same
//! kind as the one asked of it beyond the data. A law's backtest score is the
//! mean of its errors over the rule's origins; a law is eligible only if every
//! origin's refit had more points than parameters and converged, and its fit
//! on all the points converged. The rule then combines the eligible laws:
//! the best one, or a weighted mean of their ln predictions. When fewer than
//! 2 laws are eligible (a short window: the laws with more parameters cannot
//! be refitted at the origins), the backtest compares nothing and the rule's
//! [`Fallback`] sets the weights (the shipped rule: every usable fit of the
//! pool, equally).
//!
//! The rule's constants (origins, combination, pool, fallback, the drift
//! correction) are chosen by a nested leave-one-family-out on public and
//! synthetic learning curves (`crate::learning_curves`, `slaw bench curves
//! --nested`; BENCHMARKS.md).

use crate::fit::{fit, FitOptions, FitResult};
use crate::law::{catalog, Law};
use crate::observations::Observations;
use crate::{Error, Result};
use rayon::prelude::*;

mod authors_m4;
mod backtest;
mod bins;
mod correction;
mod groups;
mod rule;

pub use authors_m4::*;
pub use backtest::*;
pub use bins::*;
pub use correction::*;
pub use groups::*;
pub use rule::*;

/// One law's backtest in a [`pick`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct LawBacktest {
    /// The law's name.
    pub law: String,
    /// The fit on all the points converged.
    pub converged: bool,
    /// Backtest error (RMSE of ln L) per origin of the rule; `None` where
    /// the refit had too few points or did not converge.
    pub errors: Vec<Option<f64>>,
    /// The mean error, when the law is eligible.
    pub score: Option<f64>,
    /// The mean over the rule's origins of the signed backtest drift (ln
    /// forecast - ln truth per unit ln(x / x_origin), [`Signed::drift`]);
    /// `None` when an origin has none.
    pub drift: Option<f64>,
    /// Weight in the pick (0 for laws not chosen).
    pub weight: f64,
    /// Why the law is not eligible, if it is not.
    pub reason: Option<String>,
    /// The origins (labels) whose refit's Huber optimum is a segment: fits
    /// as good forecast differently there, so the error scored at those
    /// origins (and the score) is one of many the points allow.
    pub segment_origins: Vec<String>,
    #[serde(skip)]
    /// The fit on all the points (None when it failed, and for M4 fitted
    /// by its authors' procedure: see `params`).
    pub fit: Option<FitResult>,
    /// The parameters of the fit on all the points, in the law's order
    /// (for the authors' M4: the catalog `m4` law's).
    pub params: Option<Vec<f64>>,
}

/// The backtest pick on one curve.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pick {
    /// The rule applied.
    pub rule: Rule,
    /// Every law considered, in the order given, with its score and weight.
    pub laws: Vec<LawBacktest>,
    /// Fewer than 2 laws were eligible and the rule's fallback set the weights.
    pub fallback: bool,
    /// The input of the last point (the origin of the rule's
    /// [`Correction`]).
    pub x_last: f64,
    /// The input of the first point (the smallest).
    pub x_first: f64,
    /// The number of points fitted ([`Correction::PerSize`]).
    #[serde(skip)]
    pub n_points: usize,
    /// The window's shape ([`Correction::Keyed`]).
    #[serde(skip)]
    pub shape: Option<Shape>,
    /// (law, c) for each weighted law: the rule's correction slope at this
    /// window ([`Correction::slope_at`]): its ln prediction at x > `x_last`
    /// is lowered by c ln(x / x_last) (squared for
    /// [`Correction::Quadratic`]); empty without a correction.
    pub corrections: Vec<(String, f64)>,
    /// Above [`MAX_POINTS`] points: the fits were made on at most this
    /// many log-spaced bins of the points ([`log_bins`]); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bins: Option<usize>,
    #[serde(skip)]
    laws_def: Vec<Law>,
    /// The points the fits on all the points were made on, and how
    /// ([`Pick::predict_range`]).
    #[serde(skip)]
    fitted_on: Option<(Observations, FitOptions)>,
}

impl Pick {
    /// The pick's prediction at x: exp of the weighted mean (or median) of
    /// the chosen laws' ln predictions; `None` when no law was eligible.
    pub fn predict(&self, x: &[f64]) -> Option<f64> {
        let ln_pred = self.ln_predictions(x, |_, _, p| Some((p, p)))?;
        let lo: Vec<f64> = ln_pred.iter().map(|p| p.0).collect();
        let w: Vec<f64> = ln_pred.iter().map(|p| p.2).collect();
        let v = combine_ln(self.rule.combine, &lo, &w);
        v.is_finite().then(|| v.exp())
    }

    /// The range of the weighted laws' own (drift-corrected) predictions at
    /// x, lowest and highest, when at least two laws carry a weight: how far
    /// apart the laws the prediction combines are (not an interval).
    pub fn laws_range(&self, x: &[f64]) -> Option<(f64, f64)> {
        let ln_pred = self.ln_predictions(x, |_, _, p| Some((p, p)))?;
        if ln_pred.len() < 2 {
            return None;
        }
        let lo = ln_pred.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let hi = ln_pred
            .iter()
            .map(|p| p.0)
            .fold(f64::NEG_INFINITY, f64::max);
        (lo.is_finite() && hi.is_finite()).then(|| (lo.exp(), hi.exp()))
    }

    /// The weighted laws' floors: per law, the lowest loss its fit reaches
    /// as x grows beyond the data (its value at x_last times 10^3, 10^6,
    /// ..., 10^30, the lowest; for the pool's laws, which fall to an
    /// irreducible loss, their floor within a few parts in a thousand).
    /// The drift correction lowers ln L without bound as x grows; a
    /// prediction below every combined law's floor follows the correction
    /// alone ([`PickPrediction::below_floors`]).
    pub fn floors(&self) -> Vec<(String, f64)> {
        self.laws
            .iter()
            .zip(&self.laws_def)
            .filter(|(l, _)| l.weight > 0.0)
            .filter_map(|(l, law)| {
                let params = l.params.as_ref()?;
                let floor = (1..=10)
                    .map(|k| law.predict(&[self.x_last * 10f64.powi(3 * k)], params))
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .fold(f64::INFINITY, f64::min);
                floor.is_finite().then(|| (l.law.clone(), floor))
            })
            .collect()
    }

    /// Per weighted law whose prediction at x depends on parameters its fit
    /// on all the points does not pin ([`crate::analysis::depends_on`]):
    /// (law, those parameters). Empty without the points the fits were
    /// made on.
    pub fn unpinned(&self, x: &[f64]) -> Vec<(String, Vec<String>)> {
        let Some((data, _)) = self.fitted_on.as_ref() else {
            return Vec::new();
        };
        self.laws
            .iter()
            .zip(&self.laws_def)
            .filter(|(l, _)| l.weight > 0.0)
            .filter_map(|(l, law)| {
                let fit = l.fit.as_ref()?;
                let on = crate::analysis::depends_on(law, fit, data, x);
                (!on.is_empty()).then(|| (l.law.clone(), on))
            })
            .collect()
    }

    /// Where a chosen law's Huber optimum is a segment
    /// ([`crate::segment::prediction_range`]), the range of the pick's
    /// prediction at x over the fits as good as each law's optimum: the
    /// rule's combination (a weighted mean or a median of the ln
    /// predictions, each rising with every law's) of the laws' lower ends,
    /// and of their upper ends. `None` when no chosen law has a segment, or
    /// none that moves the combination (by 1e-9 in ln).
    pub fn predict_range(&self, x: &[f64]) -> Option<(f64, f64)> {
        let (data, opts) = self.fitted_on.as_ref()?;
        let mut any = false;
        let ln_pred = self.ln_predictions(x, |law, l, p| {
            match l
                .fit
                .as_ref()
                .and_then(|f| crate::segment::prediction_range(law, f, data, opts, x))
            {
                Some(r) => {
                    any = true;
                    Some(r)
                }
                None => Some((p, p)),
            }
        })?;
        if !any {
            return None;
        }
        let lo: Vec<f64> = ln_pred.iter().map(|p| p.0).collect();
        let hi: Vec<f64> = ln_pred.iter().map(|p| p.1).collect();
        let w: Vec<f64> = ln_pred.iter().map(|p| p.2).collect();
        let (a, b) = (
            combine_ln(self.rule.combine, &lo, &w),
            combine_ln(self.rule.combine, &hi, &w),
        );
        // A segment the combination does not feel (a law off the median)
        // leaves nothing to say.
        (a.is_finite() && b.is_finite() && b - a > 1e-9).then(|| (a.exp(), b.exp()))
    }

    /// The chosen laws' ln predictions at x, each (lower, upper, weight):
    /// the ends from `ends` (law, its backtest, its prediction), lowered by
    /// the rule's correction beyond the data; `None` when a prediction or an
    /// end is not a positive number.
    fn ln_predictions(
        &self,
        x: &[f64],
        mut ends: impl FnMut(&Law, &LawBacktest, f64) -> Option<(f64, f64)>,
    ) -> Option<Vec<(f64, f64, f64)>> {
        let mut ln_pred = Vec::with_capacity(self.laws.len());
        for (l, law) in self.laws.iter().zip(&self.laws_def) {
            if l.weight > 0.0 {
                let p = law.predict(x, l.params.as_ref()?);
                if !(p > 0.0 && p.is_finite()) {
                    return None;
                }
                let (lo, hi) = ends(law, l, p)?;
                if !(lo > 0.0 && hi.is_finite()) {
                    return None;
                }
                let c = self
                    .rule
                    .correction
                    .slope_at(&l.law, l.drift, self.shape.as_ref());
                // Beyond the data only: nothing is corrected inside it.
                let shift = if c != 0.0 && x[0] > self.x_last {
                    c * (x[0] / self.x_last).ln().powi(self.rule.correction.power())
                } else {
                    0.0
                };
                if !shift.is_finite() {
                    return None;
                }
                ln_pred.push((lo.ln() - shift, hi.ln() - shift, l.weight));
            }
        }
        Some(ln_pred)
    }

    /// The laws of the pick with a weight, the chosen one ([`Pick::top`])
    /// first, each with its definition and the parameters of its fit on
    /// all the points (laws without parameters left out).
    pub fn weighted_laws(&self) -> Vec<(&LawBacktest, &Law, &[f64])> {
        let top = self.top();
        let mut out: Vec<_> = self
            .laws
            .iter()
            .zip(&self.laws_def)
            .filter(|(l, _)| l.weight > 0.0 || top.is_some_and(|t| std::ptr::eq(*l, t)))
            .filter_map(|(l, law)| Some((l, law, l.params.as_deref()?)))
            .collect();
        out.sort_by_key(|(l, _, _)| !top.is_some_and(|t| std::ptr::eq(*l, t)));
        out
    }

    /// How many laws carry a weight.
    pub fn weighted_count(&self) -> usize {
        self.laws.iter().filter(|l| l.weight > 0.0).count()
    }

    /// The law of largest weight; among equal weights (a median, the
    /// fallback's equal weights) the one of lowest backtest score (a law
    /// without a score after those with one), then the first in the order
    /// given: the choice does not depend on the order of the laws unless
    /// their scores tie exactly.
    pub fn top(&self) -> Option<&LawBacktest> {
        let better = |a: &LawBacktest, b: &LawBacktest| match a.weight.total_cmp(&b.weight) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => match (a.score, b.score) {
                (Some(x), Some(y)) => x < y,
                (Some(_), None) => true,
                _ => false,
            },
        };
        self.laws
            .iter()
            .filter(|l| l.weight > 0.0)
            .fold(None, |best: Option<&LawBacktest>, l| match best {
                Some(b) if !better(l, b) => Some(b),
                _ => Some(l),
            })
    }
}

/// The law a pool names: a catalog law, or, for [`M4_AUTHORS`] and
/// [`M4_AUTHORS_CAPPED`], the catalog `m4` law under that name (its inputs,
/// parameters and domain; only [`pick`] fits it by its authors' procedure).
/// An unknown name lists the catalog's laws and these two.
pub fn pool_law(name: &str) -> Result<Law> {
    if is_authors_m4(name) {
        let mut m4 = catalog::m4();
        m4.name = name.to_string();
        return Ok(m4);
    }
    catalog::by_name(name).map_err(|e| match e {
        Error::Unknown { kind, name, .. } => {
            let mut known: Vec<String> = catalog::all().into_iter().map(|l| l.name).collect();
            known.push(M4_AUTHORS.to_string());
            known.push(M4_AUTHORS_CAPPED.to_string());
            Error::unknown(kind, &name, known.join(", "))
        }
        e => e,
    })
}

/// The laws of `rule`'s pool fitted by M4's authors' procedure.
fn authors_in(rule: &Rule) -> Vec<&str> {
    rule.pool
        .iter()
        .map(String::as_str)
        .filter(|n| is_authors_m4(n))
        .collect()
}

/// Why a law has no backtest score: each origin's failure in words, the
/// origins that failed alike named together ("too few points: the refit at
/// origins 0.75 and last-2 has 6 points for 7 parameters ...").
fn failure_reason(
    origins: &[Origin],
    outcomes: &[std::result::Result<Signed, BacktestFailure>],
) -> String {
    let mut alike: Vec<(BacktestFailure, Vec<String>)> = Vec::new();
    for (o, r) in origins.iter().zip(outcomes) {
        if let Err(f) = r {
            match alike.iter_mut().find(|(g, _)| g == f) {
                Some((_, at)) => at.push(o.label()),
                None => alike.push((*f, vec![o.label()])),
            }
        }
    }
    alike
        .into_iter()
        .map(|(f, at)| {
            let at = match at.as_slice() {
                [one] => format!("origin {one}"),
                [init @ .., last] => format!("origins {} and {last}", init.join(", ")),
                [] => String::new(),
            };
            f.describe(&at)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Fit every law of `laws` admitted by `rule` to the one-input, ungrouped
/// `obs` and backtest it, and M4 by its authors' procedure if the rule's
/// pool names it ([`M4_AUTHORS`], [`M4_AUTHORS_CAPPED`]); laws are fitted
/// in parallel.
pub fn pick(laws: &[Law], obs: &Observations, opts: &FitOptions, rule: &Rule) -> Result<Pick> {
    let authors = authors_in(rule);
    pick_with(laws, &authors, obs, opts, rule)
}

/// [`pick`] with the laws fitted by M4's authors' procedure named in
/// `authors` (each of [`M4_AUTHORS`], [`M4_AUTHORS_CAPPED`]; after the
/// catalog laws), whatever the rule's pool.
pub fn pick_with(
    laws: &[Law],
    authors: &[&str],
    obs: &Observations,
    opts: &FitOptions,
    rule: &Rule,
) -> Result<Pick> {
    if obs.dim() != 1 {
        return Err(Error::Data(
            "the backtest pick needs one input (points ordered along it)".to_string(),
        ));
    }
    let idx = order(obs);
    let mut laws: Vec<Law> = laws
        .iter()
        .filter(|l| rule.admits(&l.name) && !is_authors_m4(&l.name))
        .cloned()
        .collect();
    let n_catalog = laws.len();
    for a in authors {
        if is_authors_m4(a) && !laws.iter().any(|l| l.name == *a) {
            laws.push(pool_law(a)?);
        }
    }
    // The points of the fits on all the points (binned above MAX_POINTS).
    let full_data = if obs.len() > MAX_POINTS {
        fit_data(obs, &idx, obs.len(), opts).into_owned()
    } else {
        obs.clone()
    };
    let mut out: Vec<LawBacktest> = laws
        .par_iter()
        .enumerate()
        .map(|(k, law)| {
            if k >= n_catalog {
                return authors_backtest(law, obs, &idx, rule);
            }
            let full = if obs.len() > MAX_POINTS {
                fit(law, &full_data, opts).ok()
            } else if obs.len() >= law.n_params() {
                fit(law, obs, opts).ok()
            } else {
                None
            };
            let converged = full.as_ref().is_some_and(|f| f.converged);
            let refits: Vec<_> = rule
                .origins
                .iter()
                .map(|&r| backtest_refit(law, obs, &idx, r, opts))
                .collect();
            let segment_origins: Vec<String> = rule
                .origins
                .iter()
                .zip(&refits)
                .filter(|(_, r)| matches!(r, Ok((_, true))))
                .map(|(o, _)| o.label())
                .collect();
            let outcomes: Vec<std::result::Result<Signed, BacktestFailure>> =
                refits.into_iter().map(|r| r.map(|(s, _)| s)).collect();
            let signed: Vec<Option<Signed>> = outcomes.iter().map(|o| o.ok()).collect();
            let errors: Vec<Option<f64>> = signed.iter().map(|s| s.map(|s| s.rmse)).collect();
            let drifts: Vec<Option<f64>> = signed.iter().map(|s| s.and_then(|s| s.drift)).collect();
            let sc = if converged { score(&errors) } else { None };
            let reason = if full.is_none() {
                Some(format!(
                    "{} parameters, {} points: not fitted",
                    law.n_params(),
                    obs.len()
                ))
            } else if !converged {
                Some("the fit did not converge".to_string())
            } else if sc.is_none() {
                Some(failure_reason(&rule.origins, &outcomes))
            } else {
                None
            };
            LawBacktest {
                law: law.name.clone(),
                converged,
                errors,
                score: sc,
                drift: mean_drift(&drifts),
                weight: 0.0,
                reason,
                segment_origins,
                params: full.as_ref().map(|f| f.params.to_vec()),
                fit: full,
            }
        })
        .collect();
    let scores: Vec<Option<f64>> = out.iter().map(|l| l.score).collect();
    let usable: Vec<bool> = out
        .iter()
        .zip(&laws)
        .map(|(l, law)| l.converged && obs.len() > law.n_params())
        .collect();
    let names: Vec<&str> = laws.iter().map(|l| l.name.as_str()).collect();
    let (w, fallback) = rule_weights(rule, &scores, &usable, &names);
    for (l, w) in out.iter_mut().zip(w) {
        l.weight = w;
    }
    let shape = window_shape(obs, &idx);
    let corrections = if rule.correction == Correction::None {
        Vec::new()
    } else {
        out.iter()
            .filter(|l| l.weight > 0.0)
            .map(|l| {
                let c = rule.correction.slope_at(&l.law, l.drift, Some(&shape));
                (l.law.clone(), c)
            })
            .collect()
    };
    let segments = out.iter().any(|l| {
        l.fit
            .as_ref()
            .is_some_and(|f| !f.identifiability.huber_flat.is_empty())
    });
    Ok(Pick {
        rule: rule.clone(),
        laws: out,
        fallback,
        x_last: idx.last().map_or(f64::NAN, |&i| obs.point(i)[0]),
        x_first: idx.first().map_or(f64::NAN, |&i| obs.point(i)[0]),
        n_points: obs.len(),
        shape: Some(shape),
        corrections,
        bins: (obs.len() > MAX_POINTS && log_bins(obs, &idx, BINS, opts.space).is_some())
            .then_some(BINS),
        laws_def: laws,
        // Kept only where a range can be asked of it (a law with a segment).
        fitted_on: segments.then(|| (full_data, opts.clone())),
    })
}

/// The shape of the window of `obs`'s points ordered as `idx`
/// ([`Shape::of`]; its size alone when an input is not positive).
pub fn window_shape(obs: &Observations, idx: &[usize]) -> Shape {
    let lx: Vec<f64> = idx.iter().map(|&i| obs.point(i)[0].ln()).collect();
    let ly: Vec<f64> = idx.iter().map(|&i| obs.y[i].ln()).collect();
    Shape::of(&lx, &ly)
}

#[cfg(test)]
mod tests;
