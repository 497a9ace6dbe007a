//! The selection methods: each turns one candidate's affordable measurements
//! into a score (lower ranks first) and, where it can, a predicted loss at
//! the target size.

use super::ats::{ats, AtsFit, Line};
use super::Budget;
use crate::bootstrap::{percentile, Interval};
use crate::datasets::Candidate;
use crate::fit::{fit, FitOptions};
use crate::law::{catalog, Law};
use crate::objective::{Loss, Space};
use crate::observations::Observations;
use crate::{Error, Result};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

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
    Ats { k: usize, delta: f64 },
    /// The rectified law fitted (global multi-start) to the zero-shot point
    /// and the affordable sizes.
    RectifiedFit,
    /// The vanilla fine-tuning law fitted to the affordable sizes.
    VanillaFit,
    /// Ours: the average, in log space, of the AtS extrapolation (the curve
    /// is in its power phase: constant slope) and a steepening extrapolation
    /// (the curve is still leaving its pre-power phase: the log-log slope
    /// keeps growing linearly in ln N, from zero at the first size).
    AtsBlend { k: usize, delta: f64 },
}

/// Every method name with a one-line description (for `--help` and errors).
pub const METHODS: [(&str, &str); 7] = [
    (
        "ats-blend",
        "ours (default): AtS line averaged with a steepening-slope extrapolation",
    ),
    (
        "ats",
        "Accept then Stop (Lin et al.): power-phase line in log-log",
    ),
    (
        "rectified-fit",
        "rectified law B/(D_l + D^beta) + E, zero-shot point included",
    ),
    ("vanilla-fit", "vanilla law (B/D^beta + E)^alpha"),
    ("sub-tuning", "loss at the largest affordable size"),
    ("zero-shot", "loss without fine-tuning"),
    ("model-size", "parameter count, largest first"),
];

impl Method {
    /// The best method on the benchmark (see BENCHMARKS.md).
    pub const DEFAULT: Method = Method::AtsBlend { k: 3, delta: 5.0 };

    pub fn parse(name: &str, k: usize, delta: f64) -> Result<Method> {
        Ok(match name {
            "ats-blend" => Method::AtsBlend { k, delta },
            "ats" => Method::Ats { k, delta },
            "rectified-fit" => Method::RectifiedFit,
            "vanilla-fit" => Method::VanillaFit,
            "sub-tuning" => Method::SubTuning,
            "zero-shot" => Method::ZeroShot,
            "model-size" => Method::ModelSize,
            _ => {
                return Err(Error::usage(format!(
                    "unknown selection method '{name}'; one of: {}",
                    METHODS.map(|m| m.0).join(", ")
                )))
            }
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Method::ZeroShot => "zero-shot",
            Method::SubTuning => "sub-tuning",
            Method::ModelSize => "model-size",
            Method::Ats { .. } => "ats",
            Method::RectifiedFit => "rectified-fit",
            Method::VanillaFit => "vanilla-fit",
            Method::AtsBlend { .. } => "ats-blend",
        }
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

    /// Score one candidate. `bootstrap` replicates (0: none) give an interval
    /// for the predicted loss of the methods that extrapolate.
    pub fn estimate(
        &self,
        c: &Candidate,
        budget: &Budget,
        bootstrap: usize,
        seed: u64,
    ) -> Result<Estimate> {
        let pts = budget.affordable(c);
        let need = |n: usize, what: &str| -> Result<()> {
            if pts.len() < n {
                Err(Error::usage(format!(
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
            detail: Detail::None,
        };
        match *self {
            Method::ZeroShot => {
                e.score = c.loss_at(0.0).ok_or_else(|| {
                    Error::usage(format!(
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
                    Error::usage(format!(
                        "candidate '{}' has no parameter count (a size column)",
                        c.id
                    ))
                })?;
                e.score = -s.ln();
            }
            Method::Ats { k, delta } | Method::AtsBlend { k, delta } => {
                need(k + 1, "AtS")?;
                let blend = matches!(self, Method::AtsBlend { .. });
                let (pred, fit) = line_prediction(&pts, k, delta, blend, budget.target)
                    .ok_or_else(|| {
                        Error::usage(format!(
                            "candidate '{}': the affordable sizes do not define a line",
                            c.id
                        ))
                    })?;
                e.predicted_loss = Some(pred);
                e.score = pred;
                e.interval = line_interval(&pts, k, delta, blend, budget.target, bootstrap, seed);
                e.detail = Detail::Ats {
                    accepted: fit.accepted.clone(),
                    transition: fit.transition,
                    line: fit.line,
                    power_phase_loss: fit.predict(budget.target),
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
                let pred = law.predict(&[budget.target], &res.params);
                e.predicted_loss = Some(pred);
                e.score = pred;
                if bootstrap > 0 && res.converged {
                    let b = crate::bootstrap::bootstrap(
                        &law,
                        &obs,
                        &res,
                        &opts,
                        bootstrap,
                        seed,
                        &[vec![budget.target]],
                        0.95,
                        &|| {},
                    );
                    e.interval = b.predictions.first().copied();
                }
                e.detail = Detail::Fit {
                    law: law.name.clone(),
                    param_names: res.param_names.clone(),
                    params: res.params.clone(),
                    objective: res.objective,
                    converged: res.converged,
                };
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
            (Method::Ats { k, delta }, _) | (Method::AtsBlend { k, delta }, _) => {
                let blend = matches!(self, Method::AtsBlend { .. });
                ns.iter()
                    .filter_map(|&n| line_prediction(&pts, k, delta, blend, n).map(|p| (n, p.0)))
                    .collect()
            }
            (_, Detail::Fit { .. }) => match law_of(&e.detail) {
                Some((law, params)) => ns
                    .iter()
                    .map(|&n| (n, law.predict(&[n], &params)))
                    .collect(),
                None => Vec::new(),
            },
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

/// ln L at `target` for the steepening hypothesis: the log-log slope s(x),
/// x = ln N, grows linearly from 0 at x0 (half the first size: where the
/// zero-shot point would sit on a doubling ladder) and equals the local slope
/// `slope` at the last size xm; integrated from xm to the target.
pub fn steepening_ln_loss(ln_loss_m: f64, slope: f64, x0: f64, xm: f64, xt: f64) -> f64 {
    let span = (xm - x0).max(f64::MIN_POSITIVE);
    ln_loss_m + slope * ((xt - x0).powi(2) - (xm - x0).powi(2)) / (2.0 * span)
}

/// The AtS (or blended) prediction at `target` from the points (n, loss).
fn line_prediction(
    pts: &[(f64, f64)],
    k: usize,
    delta: f64,
    blend: bool,
    target: f64,
) -> Option<(f64, AtsFit)> {
    let fit = ats(pts, k, delta)?;
    let ln_ats = fit.line.at(target.ln());
    if !blend {
        return Some((ln_ats.exp(), fit));
    }
    let x: Vec<f64> = pts.iter().map(|p| p.0.ln()).collect();
    let y: Vec<f64> = pts.iter().map(|p| p.1.ln()).collect();
    let last = x.len() - 3.min(x.len());
    let local = Line::fit(&x[last..], &y[last..])?;
    let xm = x[x.len() - 1];
    let x0 = x[0] - std::f64::consts::LN_2;
    let ln_steep = steepening_ln_loss(local.at(xm), local.slope, x0, xm, target.ln());
    Some((((ln_ats + ln_steep) / 2.0).exp(), fit))
}

/// Percentile bootstrap (95%) of the line prediction: the affordable points
/// are resampled with replacement; replicates without a line are skipped.
fn line_interval(
    pts: &[(f64, f64)],
    k: usize,
    delta: f64,
    blend: bool,
    target: f64,
    replicates: usize,
    seed: u64,
) -> Option<Interval> {
    if replicates == 0 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draws = Vec::with_capacity(replicates);
    for _ in 0..replicates {
        let mut sample: Vec<(f64, f64)> = (0..pts.len())
            .map(|_| pts[rng.random_range(0..pts.len())])
            .collect();
        sample.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((p, _)) = line_prediction(&sample, k, delta, blend, target) {
            if p.is_finite() {
                draws.push(p);
            }
        }
    }
    if draws.len() < replicates / 2 {
        return None;
    }
    draws.sort_by(f64::total_cmp);
    Some(Interval {
        lo: percentile(&draws, 0.025),
        hi: percentile(&draws, 0.975),
    })
}

/// One candidate as scored by a method.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Estimate {
    pub id: String,
    pub family: Option<String>,
    /// Parameter count, when known.
    pub params: Option<f64>,
    /// The ranking key: lower ranks first.
    pub score: f64,
    /// Predicted loss at the target size (methods that extrapolate).
    pub predicted_loss: Option<f64>,
    /// 95% bootstrap interval of the predicted loss.
    pub interval: Option<Interval>,
    pub detail: Detail,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Detail {
    None,
    /// AtS: the sizes accepted as power phase, the detected transition, the
    /// line and its prediction at the target.
    Ats {
        accepted: Vec<f64>,
        transition: Option<f64>,
        line: Line,
        power_phase_loss: f64,
    },
    /// A fitted law.
    Fit {
        law: String,
        param_names: Vec<String>,
        params: Vec<f64>,
        objective: f64,
        converged: bool,
    },
}

/// The law a fitted estimate used, for plotting.
pub fn law_of(detail: &Detail) -> Option<(Law, Vec<f64>)> {
    match detail {
        Detail::Fit { law, params, .. } => catalog::by_name(law).ok().map(|l| (l, params.clone())),
        _ => None,
    }
}
