//! The selection methods: each turns one candidate's affordable measurements
//! into a score (lower ranks first) and, where it can, a predicted loss at
//! the target size.

use super::ats::{AtsFit, Line};
use super::calibrate::{Calibration, IntervalKind};
use super::trend::{self, Features};
use super::Budget;
use crate::bootstrap::{Interval, Resampling, Scheme};
use crate::datasets::Candidate;
use crate::fit::{fit, Fit, FitOptions};
use crate::law::catalog;
use crate::objective::{Loss, Space};
use crate::observations::Observations;
use crate::{Error, Result};

/// A selection method and its options.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum Method {
    /// Rank by the zero-shot loss (N = 0).
    ZeroShot,
    /// Rank by the loss at the largest affordable size.
    SubTuning,
    /// Rank by parameter count, largest first.
    ModelSize,
    /// Accept-then-Stop: power-phase detection and a log-log line.
    Ats {
        /// Smallest number of points of the power-phase line (>= 2).
        k: usize,
        /// Rejection threshold, in residual standard deviations.
        delta: f64,
    },
    /// The rectified law fitted (global multi-start) to the zero-shot point
    /// and the affordable sizes.
    RectifiedFit,
    /// The vanilla fine-tuning law fitted to the affordable sizes.
    VanillaFit,
    /// Ours: the average, in log space, of the AtS extrapolation (the curve
    /// is in its power phase: constant slope) and a steepening extrapolation
    /// (the curve is still leaving its pre-power phase: the log-log slope
    /// keeps growing linearly in ln N, from zero at the first size).
    AtsBlend {
        /// Smallest number of points of the power-phase line (>= 2).
        k: usize,
        /// Rejection threshold, in residual standard deviations.
        delta: f64,
    },
    /// Ours: the mean, in log space, of the AtS line and a trend
    /// extrapolation learned from complete curves of other datasets and
    /// adapted to the pool (`trend`).
    AtsTrend {
        /// Smallest number of points of the power-phase line (>= 2).
        k: usize,
        /// Rejection threshold, in residual standard deviations.
        delta: f64,
    },
}

/// One selection method as the registry knows it: its name (as `--method`
/// and plans spell it), what it does, and how to build it from the AtS
/// options `k` and `delta` (the methods without options ignore them).
#[derive(Debug, Clone, Copy)]
pub struct Registered {
    /// The method's name.
    pub name: &'static str,
    /// One line on what it does (for `--help` and errors).
    pub description: &'static str,
    build: fn(usize, f64) -> Method,
}

impl Registered {
    /// The method with AtS options `k` and `delta`.
    pub fn build(&self, k: usize, delta: f64) -> Method {
        (self.build)(k, delta)
    }
}

/// Every selection method, ours first, in the order of the benchmark's
/// tables: the one table that names them ([`Method::parse`],
/// [`Method::name`] and `protocol::all_methods` read it).
pub const REGISTRY: [Registered; 8] = [
    Registered {
        name: "ats-trend",
        description: "ours (default): AtS line averaged with a trend learned from other datasets' curves, adapted to the pool",
        build: |k, delta| Method::AtsTrend { k, delta },
    },
    Registered {
        name: "ats",
        description: "Accept then Stop (Lin et al.): power-phase line in log-log",
        build: |k, delta| Method::Ats { k, delta },
    },
    Registered {
        name: "ats-blend",
        description: "AtS line averaged with a steepening-slope extrapolation (designed on FLAN/WMT19)",
        build: |k, delta| Method::AtsBlend { k, delta },
    },
    Registered {
        name: "rectified-fit",
        description: "rectified law B/(D_l + D^beta) + E, zero-shot point included",
        build: |_, _| Method::RectifiedFit,
    },
    Registered {
        name: "vanilla-fit",
        description: "vanilla law (B/D^beta + E)^alpha",
        build: |_, _| Method::VanillaFit,
    },
    Registered {
        name: "sub-tuning",
        description: "loss at the largest affordable size",
        build: |_, _| Method::SubTuning,
    },
    Registered {
        name: "zero-shot",
        description: "loss without fine-tuning",
        build: |_, _| Method::ZeroShot,
    },
    Registered {
        name: "model-size",
        description: "parameter count, largest first",
        build: |_, _| Method::ModelSize,
    },
];

impl Method {
    /// The method best under the leave-one-dataset-out protocol (RelAcc
    /// first, then PearCorr; see `protocol::default_by_lodo` and
    /// BENCHMARKS.md).
    pub const DEFAULT: Method = Method::AtsTrend { k: 3, delta: 5.0 };

    /// The method of `name` (see [`REGISTRY`]); `k` and `delta` for the
    /// AtS-based ones.
    pub fn parse(name: &str, k: usize, delta: f64) -> Result<Method> {
        REGISTRY
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.build(k, delta))
            .ok_or_else(|| {
                Error::unknown(
                    "selection method",
                    name,
                    REGISTRY.map(|r| r.name).join(", "),
                )
            })
    }

    /// The method's name, as [`Method::parse`] reads it.
    pub fn name(&self) -> &'static str {
        let kind = std::mem::discriminant(self);
        REGISTRY
            .iter()
            .find(|r| std::mem::discriminant(&r.build(0, 0.0)) == kind)
            .map_or("unregistered", |r| r.name)
    }

    /// Whether the recommendation is the candidate with the lowest upper
    /// bound of its predictive interval rather than the lowest prediction
    /// (a risk-averse choice: a model preferred only under the steep
    /// hypotheses is not recommended over one that is good under all).
    pub fn chooses_robustly(&self) -> bool {
        matches!(self, Method::AtsTrend { .. })
    }

    /// Whether the score is a loss (else it is -ln(parameters)).
    pub fn predicts_loss(&self) -> bool {
        !matches!(
            self,
            Method::ModelSize | Method::ZeroShot | Method::SubTuning
        )
    }

    /// The fine-tuning sizes this method trains the candidate on.
    pub fn sizes_used(&self, c: &Candidate, budget: &Budget) -> Vec<f64> {
        match self {
            Method::ZeroShot | Method::ModelSize => Vec::new(),
            Method::SubTuning => budget
                .affordable(c)
                .last()
                .map(|p| vec![p.0])
                .unwrap_or_default(),
            _ => budget.affordable(c).iter().map(|p| p.0).collect(),
        }
    }

    /// Score one candidate. The `bootstrap` of its points (0 replicates:
    /// none) gives an interval, at the bootstrap's level, for the predicted
    /// loss of the methods that extrapolate.
    pub fn estimate(
        &self,
        c: &Candidate,
        budget: &Budget,
        bootstrap: &Resampling,
    ) -> Result<Estimate> {
        self.estimate_with(c, budget, bootstrap, &PoolContext::alone())
    }

    /// Score one candidate with what the pool tells (the adapted trend
    /// weights, the calibration of the intervals): see [`PoolContext`].
    pub fn estimate_with(
        &self,
        c: &Candidate,
        budget: &Budget,
        bootstrap: &Resampling,
        ctx: &PoolContext,
    ) -> Result<Estimate> {
        let pts = budget.affordable(c);
        let need = |n: usize, what: &str| -> Result<()> {
            if pts.len() < n {
                Err(Error::data(format!(
                    "candidate '{}': {} needs at least {n} affordable sizes (> 0 and <= {}), found {}",
                    c.id,
                    what,
                    budget.max_n,
                    pts.len()
                )))
            } else {
                Ok(())
            }
        };
        let mut e = Estimate {
            id: c.id.clone(),
            family: c.family.clone(),
            params: c.size,
            score: f64::NAN,
            predicted_loss: None,
            interval: None,
            interval_kind: None,
            detail: Detail::None,
        };
        match *self {
            Method::ZeroShot => {
                e.score = c.loss_at(0.0).ok_or_else(|| {
                    Error::data(format!(
                        "candidate '{}' has no zero-shot (N = 0) loss",
                        c.id
                    ))
                })?;
            }
            Method::SubTuning => {
                need(1, "sub-tuning")?;
                e.score = pts[pts.len() - 1].1;
            }
            Method::ModelSize => {
                let s = c.size.ok_or_else(|| {
                    Error::data(format!(
                        "candidate '{}' has no parameter count (a size column)",
                        c.id
                    ))
                })?;
                e.score = -s.ln();
            }
            Method::Ats { k, delta }
            | Method::AtsBlend { k, delta }
            | Method::AtsTrend { k, delta } => {
                need(k + 1, "AtS")?;
                let kind = self.line_kind(&ctx.trend);
                let (hyp, fit) = Hypotheses::at(&pts, k, delta, &ctx.trend, budget.target)
                    .ok_or_else(|| {
                        Error::data(format!(
                            "candidate '{}': the affordable sizes do not define a line",
                            c.id
                        ))
                    })?;
                let ln_pred = hyp.predict(kind);
                let pred = ln_pred.exp();
                e.predicted_loss = Some(pred);
                e.score = pred;
                if let Some(cal) = &ctx.calibration {
                    let r = budget.target.ln() - pts[pts.len() - 1].0.ln();
                    e.interval = Some(cal.interval(ln_pred, r, hyp.spread(ln_pred)));
                    e.interval_kind = Some(IntervalKind::Backtest { level: cal.level });
                } else {
                    e.interval = line_interval(&pts, k, delta, kind, budget.target, bootstrap);
                    e.interval_kind = e.interval.map(|_| IntervalKind::Bootstrap {
                        level: bootstrap.level,
                    });
                }
                e.detail = Detail::Ats {
                    accepted: fit.accepted.clone(),
                    transition: fit.transition,
                    line: fit.line,
                    power_phase_loss: fit.predict(budget.target),
                    trend: matches!(self, Method::AtsTrend { .. }).then_some(ctx.trend),
                };
            }
            Method::RectifiedFit | Method::VanillaFit => {
                let rectified = matches!(self, Method::RectifiedFit);
                let law = if rectified {
                    catalog::rectified()
                } else {
                    catalog::vanilla_ft()
                };
                need(law.n_params() - usize::from(rectified), self.name())?;
                let mut curve = pts.clone();
                if rectified {
                    if let Some(l0) = c.loss_at(0.0) {
                        curve.insert(0, (0.0, l0));
                    }
                }
                if curve.len() < law.n_params() {
                    need(law.n_params(), self.name())?;
                }
                let obs = curve_observations(&curve);
                let opts = law_fit_options();
                let res = fit(&law, &obs, &opts)?;
                let pred = res.predict(&[budget.target]);
                e.predicted_loss = Some(pred);
                e.score = pred;
                // With no more points than parameters the law interpolates
                // them: every resample refits the same curve, and the
                // "interval" would have zero width. Give none.
                if bootstrap.replicates > 0 && res.converged && curve.len() > law.n_params() {
                    let b = crate::bootstrap::bootstrap(
                        &law,
                        &obs,
                        &res,
                        &opts,
                        bootstrap,
                        Scheme::Points,
                        &[vec![budget.target]],
                        &|| {},
                    );
                    e.interval = b.predictions.first().copied();
                    e.interval_kind = e
                        .interval
                        .map(|_| IntervalKind::Bootstrap { level: b.level });
                }
                e.detail = Detail::Fit(Box::new(res));
            }
        }
        if !e.score.is_finite() {
            return Err(Error::Fit(format!(
                "candidate '{}': {} gave a non-finite score",
                c.id,
                self.name()
            )));
        }
        Ok(e)
    }
}

impl Method {
    /// The method's predicted loss curve at the sizes `ns` (for plots); empty
    /// for the methods that do not extrapolate.
    pub fn curve(
        &self,
        c: &Candidate,
        budget: &Budget,
        e: &Estimate,
        ns: &[f64],
    ) -> Vec<(f64, f64)> {
        let pts = budget.affordable(c);
        match (*self, &e.detail) {
            (Method::Ats { k, delta }, _)
            | (Method::AtsBlend { k, delta }, _)
            | (Method::AtsTrend { k, delta }, _) => {
                let kind = self.line_kind(&trend_of(&e.detail));
                ns.iter()
                    .filter_map(|&n| line_prediction(&pts, k, delta, kind, n).map(|p| (n, p.0)))
                    .collect()
            }
            (_, Detail::Fit(f)) => ns.iter().map(|&n| (n, f.predict(&[n]))).collect(),
            _ => Vec::new(),
        }
    }
}

/// The objective of the law-fitting methods: squared error on log L.
pub fn law_fit_options() -> FitOptions {
    FitOptions {
        loss: Loss::Squared,
        space: Space::Log,
        // Few points and four parameters leave long flat valleys (vanilla:
        // alpha and beta trade off once E is small) where each step gains
        // ~1e-9 of the objective for hundreds of steps; the data do not
        // pin the extrapolation down along such a valley (FLAN 1/512
        // vanilla-fit PearCorr moves 29.5 -> 34.6 between ftol 1e-12 and
        // 1e-10). Stop there: 1e-10 relative to the
        // objective (scipy's L-BFGS-B default is 2.2e-9 relative to
        // max(|f|, 1), far looser for objectives of 1e-4).
        tol: crate::solver::Tolerances {
            ftol: 1e-10,
            ..Default::default()
        },
        // Polishing three optima instead of five changes rectified-fit's
        // PearCorr on FLAN and WMT19 by < 1e-5 at every budget (measured),
        // in 75% of the time.
        polish: 3,
        ..FitOptions::default()
    }
}

fn curve_observations(curve: &[(f64, f64)]) -> Observations {
    Observations::from_columns(
        &["D"],
        &[curve.iter().map(|p| p.0).collect()],
        curve.iter().map(|p| p.1).collect(),
    )
}

/// Which line-based extrapolation a method uses.
#[derive(Debug, Clone, Copy)]
pub enum LineKind {
    /// The AtS line.
    Ats,
    /// AtS averaged with the steepening extrapolation.
    Blend,
    /// AtS averaged with the learned trend (weights).
    Trend([f64; trend::N_W]),
}

impl Method {
    /// The line-based kind of a method (AtS for the others).
    pub fn line_kind(&self, w: &[f64; trend::N_W]) -> LineKind {
        match self {
            Method::AtsBlend { .. } => LineKind::Blend,
            Method::AtsTrend { .. } => LineKind::Trend(*w),
            _ => LineKind::Ats,
        }
    }
}

/// What a method may know of the whole pool when it scores one candidate:
/// the trend weights adapted to the pool and the calibration of the
/// predictive intervals from the pool's own backtests.
#[derive(Debug, Clone)]
pub struct PoolContext {
    /// The trend weights of ats-trend, adapted to the pool (the prior alone without a pool).
    pub trend: [f64; trend::N_W],
    /// The calibration of the line methods' predictive intervals (None: bootstrap intervals).
    pub calibration: Option<Calibration>,
}

impl PoolContext {
    /// No pool information: the prior trend, bootstrap intervals.
    pub fn alone() -> PoolContext {
        PoolContext {
            trend: trend::PRIOR,
            calibration: None,
        }
    }

    /// Adapt the trend to the pool (for `ats-trend`) and calibrate the
    /// intervals of the line methods at `level` (None: bootstrap intervals).
    pub fn of(
        method: &Method,
        pool: &[Candidate],
        budget: &Budget,
        prior: &[f64; trend::N_W],
        level: Option<f64>,
    ) -> PoolContext {
        let (k, delta) = match *method {
            Method::Ats { k, delta }
            | Method::AtsBlend { k, delta }
            | Method::AtsTrend { k, delta } => (k, delta),
            _ => {
                return PoolContext {
                    trend: *prior,
                    calibration: None,
                }
            }
        };
        let curves: Vec<Vec<(f64, f64)>> = pool.iter().map(|c| budget.affordable(c)).collect();
        let w = match method {
            Method::AtsTrend { .. } => {
                trend::adapt(prior, curves.iter().map(|c| c.as_slice()), k, delta)
            }
            _ => *prior,
        };
        let kind = method.line_kind(&w);
        let calibration = level.and_then(|level| {
            Calibration::backtest(
                curves.iter().map(|c| c.as_slice()),
                k + 1,
                level,
                &|pts, target| line_prediction(pts, k, delta, kind, target).map(|p| p.0.ln()),
            )
        });
        PoolContext {
            trend: w,
            calibration,
        }
    }
}

/// ln L at `target` for the steepening hypothesis: the log-log slope s(x),
/// x = ln N, grows linearly from 0 at x0 (half the first size: where the
/// zero-shot point would sit on a doubling ladder) and equals the local slope
/// `slope` at the last size xm; integrated from xm to the target.
pub fn steepening_ln_loss(ln_loss_m: f64, slope: f64, x0: f64, xm: f64, xt: f64) -> f64 {
    let span = (xm - x0).max(f64::MIN_POSITIVE);
    ln_loss_m + slope * ((xt - x0).powi(2) - (xm - x0).powi(2)) / (2.0 * span)
}

/// The three extrapolation hypotheses of the line methods at `target`, as
/// ln L: the AtS line (the curve is in its power phase), the steepening
/// extrapolation (it is still leaving its pre-power phase) and the learned
/// trend with weights `w`.
#[derive(Debug, Clone, Copy)]
pub struct Hypotheses {
    /// The AtS line's prediction.
    pub line: f64,
    /// The steepening extrapolation's prediction.
    pub steepening: f64,
    /// The learned trend's prediction.
    pub trend: f64,
}

impl Hypotheses {
    /// `None` when AtS has no line.
    pub fn at(
        pts: &[(f64, f64)],
        k: usize,
        delta: f64,
        w: &[f64; trend::N_W],
        target: f64,
    ) -> Option<(Hypotheses, AtsFit)> {
        let (f, fit) = Features::with_fit(pts, k, delta)?;
        let xt = target.ln();
        let x0 = pts[0].0.ln() - std::f64::consts::LN_2;
        let steep = steepening_ln_loss(f.local_level, f.local, x0, f.x_last, xt);
        Some((
            Hypotheses {
                line: f.ats_ln(xt),
                steepening: steep,
                trend: f.trend_ln(w, xt),
            },
            fit,
        ))
    }

    /// The method's prediction (ln L).
    pub fn predict(&self, kind: LineKind) -> f64 {
        match kind {
            LineKind::Ats => self.line,
            LineKind::Blend => 0.5 * (self.line + self.steepening),
            LineKind::Trend(_) => 0.5 * (self.line + self.trend),
        }
    }

    /// The largest distance (ln units) from `ln_pred` to a hypothesis: the
    /// model part of a predictive interval.
    pub fn spread(&self, ln_pred: f64) -> f64 {
        [self.line, self.steepening, self.trend]
            .iter()
            .map(|h| (h - ln_pred).abs())
            .fold(0.0, f64::max)
    }
}

/// The AtS (or blended) prediction at `target` from the points (n, loss).
fn line_prediction(
    pts: &[(f64, f64)],
    k: usize,
    delta: f64,
    kind: LineKind,
    target: f64,
) -> Option<(f64, AtsFit)> {
    let w = match kind {
        LineKind::Trend(w) => w,
        _ => trend::PRIOR,
    };
    let (h, fit) = Hypotheses::at(pts, k, delta, &w, target)?;
    Some((h.predict(kind).exp(), fit))
}

/// Percentile bootstrap (at the bootstrap's level) of the line prediction:
/// the affordable points are resampled with replacement; replicates without
/// a line are skipped, and with fewer than half of them left there is no
/// interval.
fn line_interval(
    pts: &[(f64, f64)],
    k: usize,
    delta: f64,
    kind: LineKind,
    target: f64,
    bootstrap: &Resampling,
) -> Option<Interval> {
    let draws = bootstrap.run(&|| {}, |rep| {
        let mut sample: Vec<(f64, f64)> = rep.points(pts.len()).iter().map(|&i| pts[i]).collect();
        sample.sort_by(|a, b| a.0.total_cmp(&b.0));
        line_prediction(&sample, k, delta, kind, target)
            .map(|(p, _)| p)
            .filter(|p| p.is_finite())
    });
    bootstrap
        .enough(draws.len())
        .then(|| bootstrap.interval(draws))
}

/// One candidate as scored by a method.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct Estimate {
    /// The candidate's name.
    pub id: String,
    /// The candidate's family, when known.
    pub family: Option<String>,
    /// Parameter count, when known.
    pub params: Option<f64>,
    /// The ranking key: lower ranks first.
    pub score: f64,
    /// Predicted loss at the target size (methods that extrapolate).
    pub predicted_loss: Option<f64>,
    /// Interval of the predicted loss; what it covers in `interval_kind`.
    pub interval: Option<Interval>,
    /// What `interval` covers and at which level.
    pub interval_kind: Option<IntervalKind>,
    /// How the method scored the candidate.
    pub detail: Detail,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
/// How a method scored a candidate (its JSON: `"kind"` and the fields).
pub enum Detail {
    /// The method does not extrapolate (zero-shot, sub-tuning, model size).
    None,
    /// AtS: the sizes accepted as power phase, the detected transition, the
    /// line and its prediction at the target.
    Ats {
        /// Sizes accepted as the power phase (ascending).
        accepted: Vec<f64>,
        /// The largest rejected size (the detected transition), if any.
        transition: Option<f64>,
        /// ln L = intercept + slope ln n through the accepted sizes.
        line: Line,
        /// The line's loss at the target (AtS alone, before blending).
        power_phase_loss: f64,
        /// The trend weights (ats-trend), adapted to the pool.
        #[serde(skip_serializing_if = "Option::is_none")]
        trend: Option<[f64; trend::N_W]>,
    },
    /// A fitted law (its JSON: the fit's fields beside `"kind": "fit"`).
    Fit(Box<Fit>),
}

/// The trend weights an estimate used (the prior when it has none).
fn trend_of(detail: &Detail) -> [f64; trend::N_W] {
    match detail {
        Detail::Ats { trend: Some(w), .. } => *w,
        _ => trend::PRIOR,
    }
}

/// The fitted law of an estimate (the law-fitting methods).
pub fn fit_of(detail: &Detail) -> Option<&Fit> {
    match detail {
        Detail::Fit(f) => Some(f),
        _ => None,
    }
}

#[cfg(test)]
mod registry_tests {
    use super::*;

    #[test]
    fn every_registered_method_parses_back_to_itself_under_one_name() {
        let mut names: Vec<&str> = REGISTRY.iter().map(|r| r.name).collect();
        for r in &REGISTRY {
            let m = Method::parse(r.name, 4, 2.5).unwrap();
            assert_eq!(m.name(), r.name);
            assert_eq!(m, r.build(4, 2.5));
            assert!(!r.description.is_empty());
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), REGISTRY.len(), "names are unique");
        assert_eq!(Method::DEFAULT.name(), REGISTRY[0].name, "ours first");
        let err = Method::parse("nope", 3, 5.0).unwrap_err().to_string();
        assert!(
            err.contains("ats-trend") && err.contains("model-size"),
            "{err}"
        );
    }
}
