//! The selection methods, one type each, and the [`REGISTRY`] that names
//! them: adding a method is one type implementing [`SelectionMethod`] and
//! one line in [`REGISTRY`] (`--method`, plans, the benchmark's method list
//! and the error listing all read it).

use super::method::{
    law_estimate, law_fewest_sizes, line_estimate, About, AtsOptions, LineKind, Needs,
};
use super::method::{Estimate, Scoring, SelectionMethod};
use super::{trend, Budget};
use crate::datasets::Candidate;
use crate::law::catalog;
use crate::{Error, Result};

/// Every selection method, ours first, in the order of the benchmark's
/// tables: the one table that names them ([`Method::parse`](super::Method::parse),
/// [`Method::name`](super::Method::name) and `protocol::all_methods` read it).
pub const REGISTRY: [&dyn SelectionMethod; 10] = [
    &AtsGap,
    &AtsRef,
    &AtsTrend,
    &Ats,
    &AtsBlend,
    &RectifiedFit,
    &VanillaFit,
    &SubTuning,
    &ZeroShot,
    &ModelSize,
];

/// The registered method of `name`.
pub fn find(name: &str) -> Option<&'static dyn SelectionMethod> {
    REGISTRY.iter().copied().find(|m| m.name() == name)
}

/// The registered methods' names, in the registry's order.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|m| m.name()).collect()
}

const LINE: Needs = Needs {
    ats_options: true,
    pool: true,
    bootstrap: true,
    zero_shot: false,
    reference: false,
};
const LAW_FIT: Needs = Needs {
    ats_options: false,
    pool: false,
    bootstrap: true,
    zero_shot: false,
    reference: false,
};
const POINTS_ONLY: Needs = Needs {
    ats_options: false,
    pool: false,
    bootstrap: false,
    zero_shot: false,
    reference: false,
};

/// A method that extrapolates along a line through the power phase (AtS
/// and the methods built on it): what it is and its hypothesis; the
/// [`SelectionMethod`] follows (the AtS options, the pool's context).
pub trait LineMethod: Sync + Send {
    /// The method's name and description (its needs are the line methods').
    const ABOUT: (&'static str, &'static str);
    /// Whether it adapts the trend weights to the pool (and reports them).
    const ADAPTS_TREND: bool = false;
    /// Whether it recommends the lowest upper end of the risk interval.
    const ROBUST: bool = false;
    /// Whether it reads the zero-shot loss (N = 0).
    const ZERO_SHOT: bool = false;
    /// Its extrapolation with trend weights `w` and gap-trend weights `g`.
    fn kind(w: &[f64; trend::N_W], g: &[f64; trend::N_G]) -> LineKind;
}

impl<T: LineMethod> SelectionMethod for T {
    fn about(&self) -> About {
        About {
            name: T::ABOUT.0,
            description: T::ABOUT.1,
            needs: Needs {
                zero_shot: T::ZERO_SHOT,
                ..LINE
            },
        }
    }
    fn line(&self, w: &[f64; trend::N_W], g: &[f64; trend::N_G]) -> Option<LineKind> {
        Some(T::kind(w, g))
    }
    fn adapt_trend(
        &self,
        prior: &[f64; trend::N_W],
        curves: &[Vec<(f64, f64)>],
        opts: AtsOptions,
    ) -> [f64; trend::N_W] {
        if !T::ADAPTS_TREND {
            return *prior;
        }
        trend::adapt(
            prior,
            curves.iter().map(|c| c.as_slice()),
            opts.k,
            opts.delta,
        )
    }
    fn chooses_robustly(&self) -> bool {
        T::ROBUST
    }
    fn estimate(&self, s: &Scoring, e: &mut Estimate) -> Result<()> {
        line_estimate(s, T::kind(&s.pool.trend, &s.pool.gap), T::ADAPTS_TREND, e)
    }
}

/// Ours: the mean, in log space, of the AtS line and a trend
/// extrapolation learned from complete curves of other datasets and
/// adapted to the pool (`trend`); recommends the lowest upper end of the
/// risk interval (`Calibration::risk_interval`).
#[derive(Debug, Clone, Copy)]
pub struct AtsTrend;

impl LineMethod for AtsTrend {
    const ABOUT: (&'static str, &'static str) = (
        "ats-trend",
        "ours: AtS line averaged with a trend learned from other datasets' curves, adapted to the pool",
    );
    const ADAPTS_TREND: bool = true;
    const ROBUST: bool = true;
    fn kind(w: &[f64; trend::N_W], _g: &[f64; trend::N_G]) -> LineKind {
        LineKind::Trend(*w)
    }
}

/// Ours (the default): `ats-trend`'s prediction averaged, in log space,
/// with the gap trend — the trend's terms plus r^2 times the gap already
/// closed since the zero-shot loss (`trend::Features::gap_ln`), learned
/// from complete curves of other datasets (not adapted to the pool). The
/// gap trend moves the ranking (the predicted loss) only: the interval and
/// the risk-averse recommendation are `ats-trend`'s
/// (`LineKind::interval_kind`). A candidate without a zero-shot loss gets
/// `ats-trend`'s prediction.
#[derive(Debug, Clone, Copy)]
pub struct AtsGap;

impl LineMethod for AtsGap {
    const ABOUT: (&'static str, &'static str) = (
        "ats-gap",
        "ours (default): ats-trend's prediction averaged with a trend that also reads the gap closed since the zero-shot loss (learned from other datasets' curves); ats-trend's interval and choice",
    );
    const ADAPTS_TREND: bool = true;
    const ROBUST: bool = true;
    const ZERO_SHOT: bool = true;
    fn kind(w: &[f64; trend::N_W], g: &[f64; trend::N_G]) -> LineKind {
        LineKind::Gap(*w, *g)
    }
}

/// Ours, with references (the same candidates' curves on other tasks,
/// `slaw select --reference`): ats-gap's prediction combined, in log
/// space, with each reference's shape transfer, weighted by the inverse of
/// their backtest errors on the pool ([`ReferenceMix`](super::reference::ReferenceMix));
/// ats-gap exactly without a reference (and for a candidate no reference
/// has). Its interval and choice are ats-trend's, as ats-gap's.
#[derive(Debug, Clone, Copy)]
pub struct AtsRef;

impl SelectionMethod for AtsRef {
    fn about(&self) -> About {
        About {
            name: "ats-ref",
            description: "ours (default with references): ats-gap combined with the same candidates' curve shapes on other tasks, weighted by the pool's backtests; ats-gap without a reference; ats-trend's interval and choice",
            needs: Needs {
                zero_shot: true,
                reference: true,
                ..LINE
            },
        }
    }
    fn line(&self, w: &[f64; trend::N_W], g: &[f64; trend::N_G]) -> Option<LineKind> {
        Some(AtsGap::kind(w, g))
    }
    fn adapt_trend(
        &self,
        prior: &[f64; trend::N_W],
        curves: &[Vec<(f64, f64)>],
        opts: AtsOptions,
    ) -> [f64; trend::N_W] {
        AtsGap.adapt_trend(prior, curves, opts)
    }
    fn chooses_robustly(&self) -> bool {
        true
    }
    fn estimate(&self, s: &Scoring, e: &mut Estimate) -> Result<()> {
        line_estimate(s, AtsGap::kind(&s.pool.trend, &s.pool.gap), true, e)?;
        if let (Some(mix), Some(p)) = (&s.pool.reference, e.predicted_loss) {
            let ln = mix.combine(
                &s.candidate.id,
                &s.points,
                s.ats.k,
                s.ats.delta,
                s.budget.target,
                p.ln(),
            );
            e.predicted_loss = Some(ln.exp());
            e.score = ln.exp();
        }
        Ok(())
    }
}

/// Accept-then-Stop (Lin et al.): power-phase detection and a log-log line.
#[derive(Debug, Clone, Copy)]
pub struct Ats;

impl LineMethod for Ats {
    const ABOUT: (&'static str, &'static str) = (
        "ats",
        "Accept then Stop (Lin et al.): power-phase line in log-log",
    );
    fn kind(_w: &[f64; trend::N_W], _g: &[f64; trend::N_G]) -> LineKind {
        LineKind::Ats
    }
}

/// Ours: the average, in log space, of the AtS extrapolation (the curve is
/// in its power phase: constant slope) and a steepening extrapolation (the
/// curve is still leaving its pre-power phase: the log-log slope keeps
/// growing linearly in ln N, from zero at the first size).
#[derive(Debug, Clone, Copy)]
pub struct AtsBlend;

impl LineMethod for AtsBlend {
    const ABOUT: (&'static str, &'static str) = (
        "ats-blend",
        "AtS line averaged with a steepening-slope extrapolation (designed on FLAN/WMT19)",
    );
    fn kind(_w: &[f64; trend::N_W], _g: &[f64; trend::N_G]) -> LineKind {
        LineKind::Blend
    }
}

/// The rectified law fitted (global multi-start) to the zero-shot point and
/// the affordable sizes.
#[derive(Debug, Clone, Copy)]
pub struct RectifiedFit;

impl SelectionMethod for RectifiedFit {
    fn about(&self) -> About {
        About {
            name: "rectified-fit",
            description: "rectified law B/(D_l + D^beta) + E, zero-shot point included",
            needs: Needs {
                zero_shot: true,
                ..LAW_FIT
            },
        }
    }
    fn fewest_sizes(&self, _k: usize, zero_shot: bool) -> Option<(usize, String)> {
        law_fewest_sizes(&catalog::rectified(), true, zero_shot, self.name())
    }
    fn estimate(&self, s: &Scoring, e: &mut Estimate) -> Result<()> {
        law_estimate(s, &catalog::rectified(), true, self.name(), e)
    }
}

/// The vanilla fine-tuning law fitted to the affordable sizes.
#[derive(Debug, Clone, Copy)]
pub struct VanillaFit;

impl SelectionMethod for VanillaFit {
    fn about(&self) -> About {
        About {
            name: "vanilla-fit",
            description: "vanilla law (B/D^beta + E)^alpha",
            needs: LAW_FIT,
        }
    }
    fn fewest_sizes(&self, _k: usize, zero_shot: bool) -> Option<(usize, String)> {
        law_fewest_sizes(&catalog::vanilla_ft(), false, zero_shot, self.name())
    }
    fn estimate(&self, s: &Scoring, e: &mut Estimate) -> Result<()> {
        law_estimate(s, &catalog::vanilla_ft(), false, self.name(), e)
    }
}

/// Rank by the loss at the largest affordable size.
#[derive(Debug, Clone, Copy)]
pub struct SubTuning;

impl SelectionMethod for SubTuning {
    fn about(&self) -> About {
        About {
            name: "sub-tuning",
            description: "loss at the largest affordable size",
            needs: POINTS_ONLY,
        }
    }
    fn sizes_used(&self, c: &Candidate, budget: &Budget) -> Vec<f64> {
        budget
            .affordable(c)
            .last()
            .map(|p| vec![p.0])
            .unwrap_or_default()
    }
    fn predicts_loss(&self) -> bool {
        false
    }
    fn estimate(&self, s: &Scoring, e: &mut Estimate) -> Result<()> {
        s.need(1, "sub-tuning")?;
        e.score = s.points[s.points.len() - 1].1;
        Ok(())
    }
}

/// Rank by the zero-shot loss (N = 0).
#[derive(Debug, Clone, Copy)]
pub struct ZeroShot;

impl SelectionMethod for ZeroShot {
    fn about(&self) -> About {
        About {
            name: "zero-shot",
            description: "loss without fine-tuning",
            needs: Needs {
                zero_shot: true,
                ..POINTS_ONLY
            },
        }
    }
    fn sizes_used(&self, _c: &Candidate, _budget: &Budget) -> Vec<f64> {
        Vec::new()
    }
    fn predicts_loss(&self) -> bool {
        false
    }
    fn estimate(&self, s: &Scoring, e: &mut Estimate) -> Result<()> {
        let c = s.candidate;
        e.score = c.loss_at(0.0).ok_or_else(|| {
            Error::data(format!(
                "candidate '{}' has no zero-shot (N = 0) loss",
                c.id
            ))
        })?;
        Ok(())
    }
}

/// Rank by parameter count, largest first.
#[derive(Debug, Clone, Copy)]
pub struct ModelSize;

impl SelectionMethod for ModelSize {
    fn about(&self) -> About {
        About {
            name: "model-size",
            description: "parameter count, largest first",
            needs: POINTS_ONLY,
        }
    }
    fn sizes_used(&self, _c: &Candidate, _budget: &Budget) -> Vec<f64> {
        Vec::new()
    }
    fn predicts_loss(&self) -> bool {
        false
    }
    /// The protocol correlates ln parameters with the truth (as the paper).
    fn protocol_score(&self, score: f64) -> f64 {
        -score
    }
    fn estimate(&self, s: &Scoring, e: &mut Estimate) -> Result<()> {
        let c = s.candidate;
        let size = c.size.ok_or_else(|| {
            Error::data(format!(
                "candidate '{}' has no parameter count (a size column)",
                c.id
            ))
        })?;
        e.score = -size.ln();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Method;
    use super::*;

    #[test]
    fn every_registered_method_parses_back_to_itself_under_one_name() {
        let mut names = names();
        for m in REGISTRY {
            let parsed = Method::parse(m.name(), 4, 2.5).unwrap();
            assert_eq!(parsed.name(), m.name());
            assert_eq!(parsed, Method::new(m, AtsOptions { k: 4, delta: 2.5 }));
            assert!(!m.description().is_empty());
            // The line methods are exactly those that read the AtS options.
            assert_eq!(
                m.line(&trend::PRIOR, &trend::GAP_PRIOR).is_some(),
                m.needs().ats_options
            );
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), REGISTRY.len(), "names are unique");
        assert_eq!(Method::DEFAULT.name(), REGISTRY[0].name(), "ours first");
        let err = Method::parse("nope", 3, 5.0).unwrap_err().to_string();
        assert!(
            err.contains("ats-trend") && err.contains("model-size"),
            "{err}"
        );
    }

    #[test]
    fn json_and_equality_read_the_ats_options_only_where_they_matter() {
        let ats = Method::parse("ats", 3, 5.0).unwrap();
        assert_eq!(
            serde_json::to_string(&ats).unwrap(),
            r#"{"name":"ats","k":3,"delta":5.0}"#
        );
        let zs = Method::parse("zero-shot", 3, 5.0).unwrap();
        assert_eq!(
            serde_json::to_string(&zs).unwrap(),
            r#"{"name":"zero-shot"}"#
        );
        assert_eq!(zs, Method::parse("zero-shot", 7, 1.0).unwrap());
        assert_ne!(ats, Method::parse("ats", 4, 5.0).unwrap());
    }
}
