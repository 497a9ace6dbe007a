//! `slaw bench curves`: learning-curve extrapolation, fit early / score late,
//! against the M4 estimator of Alabdulmohsin et al. (NeurIPS 2022).
//!
//! Curves: the (Mis)Fitting runs (C4 eval loss against the step, runs with
//! at least 8 checkpoints), the multi-power curves (loss against the step),
//! and synthetic curves drawn from several laws with log-normal noise
//! (log-spaced, and evenly spaced as training logs are), each group a
//! *family*. Each curve's points are ordered by x; the first
//! floor(f n) points (f = the fraction, of the points — on the public curves,
//! evenly spaced in the step, it is also the fraction of x) are the fitting
//! window, the rest the later part. Curves with fewer than [`MIN_WINDOW`]
//! points in the window are skipped. Score: RMSE of ln L on the later part.
//!
//! Methods, every one using the window only: M4 (the catalog `m4` law), each
//! single one-input law, `slaw compare`'s default pick (the 2 largest points
//! of the window held out, the converged law of lowest held-out error,
//! refitted on the whole window), and the backtest pick (`crate::pick`). The
//! backtest rule's constants are chosen from [`candidate_rules`] by leave one
//! family out: for each family, the rule that does best on the other families
//! (mean over families of the mean ln(RMSE / RMSE of M4)) is scored on it.
//! The records keep each backtest's signed errors (bias, and drift per unit
//! ln distance), so that rules with a signed correction of each law's
//! forecast ([`pick::Correction`]: the window's own drift, or a per-law
//! drift learned on the families the rule is chosen on) are re-scored from
//! records too (`--corrections`).

use crate::fit::{fit, FitOptions};
use crate::forecast::curve::Curve;
use crate::forecast::protocol::misfitting_runs;
use crate::law::{catalog, Law};
use crate::observations::Observations;
use crate::pick::{self, order, Combine, Fallback, Origin, Rule, Weighting};
use crate::progress::{counted, Progress};
use crate::Result;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::path::Path;

/// Fewest points in a fitting window.
pub const MIN_WINDOW: usize = 6;

/// The origins every law is backtested at (fractions of the window, and
/// `slaw compare`'s hold-out of the last 2 points); the candidate rules use
/// subsets of them.
pub const ORIGIN_GRID: [Origin; 4] = [
    Origin::Fraction(0.5),
    Origin::Fraction(0.6),
    Origin::Fraction(0.75),
    Origin::Last(2),
];

/// One learning curve: loss against x, in a family.
#[derive(Debug, Clone)]
pub struct LearningCurve {
    /// The family the curve belongs to (a data source or a synthetic law): the unit left out when choosing the pick's rule.
    pub family: String,
    /// The curve's name, unique within its family.
    pub name: String,
    /// x (step or data size), ascending.
    pub x: Vec<f64>,
    /// Loss at each x.
    pub y: Vec<f64>,
}

impl LearningCurve {
    fn from_curve(family: &str, c: &Curve) -> LearningCurve {
        LearningCurve {
            family: family.into(),
            name: c.name.clone(),
            x: c.step.clone(),
            y: c.loss.clone(),
        }
    }

    /// The curve as observations with one input, `x`.
    pub fn observations(&self) -> Observations {
        Observations::from_columns(&["x"], std::slice::from_ref(&self.x), self.y.clone())
    }
}

/// The public curves under `dir` (the loss-curves folder): misfitting/ and
/// multipower/, in a stable order.
pub fn public_curves(dir: &Path) -> Result<Vec<LearningCurve>> {
    let mut out: Vec<LearningCurve> = misfitting_runs(&dir.join("misfitting/scaling_results.csv"))?
        .iter()
        .map(|(c, _)| LearningCurve::from_curve("misfitting", c))
        .collect();
    for size in ["25", "100"] {
        let folder = dir.join("multipower").join(size);
        let files = crate::table::csv_files(&folder)?;
        for f in files {
            let c = Curve::read(&f, "step", "loss", Some("lr"))?;
            let mut lc = LearningCurve::from_curve("multipower", &c);
            lc.name = format!("{size}M {}", lc.name);
            out.push(lc);
        }
    }
    Ok(out)
}

/// The evenly spaced synthetic family (a family of `slaw bench curves`; the
/// forecast priors are learned without it, `forecast::prior`).
pub const SYNTH_EVEN: &str = "synth-even";

/// The synthetic families: `per_family` curves from each of power,
/// two-power (A/x^a + B/x^b + E, no catalog law has that form), M4 and
/// BNSL (one break inside the range), with 16 to 40 log-spaced points over 2
/// to 4 decades and log-normal noise of 0.3% to 2%; and `synth-even`: one of
/// those four laws (drawn per curve) at 12 to 40 evenly spaced points
/// (checkpoints every k steps, as training logs are: x from k to n k), with
/// the same noise.
pub fn synthetic_curves(per_family: usize, seed: u64) -> Vec<LearningCurve> {
    let mut out = Vec::new();
    const LAWS: [&str; 4] = ["synth-power", "synth-2power", "synth-m4", "synth-bnsl"];
    let families = [LAWS[0], LAWS[1], LAWS[2], LAWS[3], SYNTH_EVEN];
    for (fi, fam) in families.iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(1000 * fi as u64));
        let mut k = 0;
        while k < per_family {
            let (kind, x, x0, decades) = if *fam == SYNTH_EVEN {
                let kind = LAWS[rng.random_range(0..LAWS.len())];
                let n = rng.random_range(12..=40usize);
                let dx: f64 = 10f64.powf(rng.random_range(1.0..3.0));
                let x: Vec<f64> = (1..=n).map(|i| dx * i as f64).collect();
                (kind, x, dx, (n as f64).log10())
            } else {
                let n = rng.random_range(16..=40usize);
                let decades = rng.random_range(2.0..4.0);
                let x0: f64 = 10f64.powf(rng.random_range(1.0..3.0));
                let x: Vec<f64> = (0..n)
                    .map(|i| x0 * 10f64.powf(decades * i as f64 / (n - 1) as f64))
                    .collect();
                (*fam, x, x0, decades)
            };
            let truth = synthetic_truth(kind, &mut rng, x0, decades);
            let sd = rng.random_range(0.003..0.02);
            let y: Vec<f64> = x
                .iter()
                .map(|&v| truth(v) * (sd * crate::synthetic::standard_normal(&mut rng)).exp())
                .collect();
            if y.iter().all(|v| v.is_finite() && *v > 0.0) {
                out.push(LearningCurve {
                    family: fam.to_string(),
                    name: format!("{fam} #{k}"),
                    x,
                    y,
                });
                k += 1;
            }
        }
    }
    out
}

/// A random truth of the synthetic law `kind` over x from `x0` across
/// `decades` (the break of BNSL and the midpoint of M4 inside that range).
fn synthetic_truth(
    kind: &str,
    rng: &mut ChaCha8Rng,
    x0: f64,
    decades: f64,
) -> Box<dyn Fn(f64) -> f64> {
    let lx0 = x0.ln();
    let lmid = lx0 + decades * std::f64::consts::LN_10 * rng.random_range(0.2..0.6);
    let e: f64 = rng.random_range(0.5..3.0);
    match kind {
        "synth-power" => {
            let a = rng.random_range(0.15..0.8);
            let amp = e * rng.random_range(0.5..3.0) * x0.powf(a);
            Box::new(move |x: f64| amp / x.powf(a) + e)
        }
        "synth-2power" => {
            let a = rng.random_range(0.4..1.0);
            let b = rng.random_range(0.05..0.25);
            let amp = e * rng.random_range(0.5..2.0) * x0.powf(a);
            let bmp = e * rng.random_range(0.1..0.5) * x0.powf(b);
            Box::new(move |x: f64| amp / x.powf(a) + bmp / x.powf(b) + e)
        }
        "synth-m4" => {
            let law = catalog::m4();
            let h = e * rng.random_range(1.0..4.0);
            let alpha = rng.random_range(0.2..1.5);
            let c = rng.random_range(0.2..0.9);
            let beta = (h / 2.0).powf(1.0 - alpha) * (c * lmid).exp();
            let p = [e, e + h, alpha, beta, c];
            Box::new(move |x: f64| law.predict(&[x], &p))
        }
        _ => {
            let law = catalog::bnsl(1);
            let c0 = rng.random_range(0.05..0.4);
            let c1 = rng.random_range(0.2..0.8);
            let f = rng.random_range(0.3..2.0);
            let b = e * rng.random_range(1.0..3.0) * x0.powf(c0);
            let p = [e, b, c0, lmid.exp(), c1, f];
            Box::new(move |x: f64| law.predict(&[x], &p))
        }
    }
}

/// One law on one curve's window.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LawRecord {
    /// The law's name.
    pub law: String,
    /// The fit on the window converged.
    pub converged: bool,
    /// RMSE of ln L on the later part, of the fit on the window.
    #[serde(with = "nan_null")]
    pub rmse: f64,
    /// ln predictions at the later points.
    #[serde(with = "nan_null_vec")]
    pub ln_pred: Vec<f64>,
    /// `slaw compare`'s key: fitted without the 2 largest points of the
    /// window, RMSE of ln L on them (NaN if not fitted or not converged).
    #[serde(with = "nan_null")]
    pub holdout2: f64,
    /// Backtest errors at [`ORIGIN_GRID`].
    pub backtest: Vec<Option<f64>>,
    /// Signed backtest errors at [`ORIGIN_GRID`]: mean of ln forecast - ln
    /// truth on the points after each origin ([`pick::Signed::bias`]; empty
    /// in records saved before it).
    #[serde(default)]
    pub backtest_bias: Vec<Option<f64>>,
    /// The same per unit ln(x / x at the origin) ([`pick::Signed::drift`];
    /// empty in records saved before it).
    #[serde(default)]
    pub backtest_drift: Vec<Option<f64>>,
    /// RMSE of ln L of the fit on the window's own points (NaN if not fitted).
    #[serde(with = "nan_null", default = "nan")]
    pub fit_rmse: f64,
}

fn nan() -> f64 {
    f64::NAN
}

/// Every method's inputs on one curve at one fraction.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CurveRecord {
    /// The curve's family.
    pub family: String,
    /// The curve's name.
    pub name: String,
    /// Share of the curve's points in the fitting window.
    pub fraction: f64,
    /// Points in the fitting window.
    pub window: usize,
    /// Points after the window (scored).
    pub later: usize,
    /// Every law's fit, backtests and predictions.
    pub laws: Vec<LawRecord>,
    /// ln of the observed loss at the later points.
    pub ln_truth: Vec<f64>,
    /// ln of the observed loss in the window (empty in records saved before it).
    #[serde(default)]
    pub ln_window: Vec<f64>,
    /// ln(x / x at the window's last point) of the later points (the
    /// extrapolation distance; empty in records saved before it).
    #[serde(default, with = "nan_null_vec")]
    pub ln_dist: Vec<f64>,
    /// ln(x / x at the window's last point) of the window's points (<= 0;
    /// empty in records saved before it: features of the window's x are
    /// then unavailable and a correction keyed to them is refused).
    #[serde(default, with = "nan_null_vec")]
    pub ln_x_window: Vec<f64>,
    /// M4 fitted by its authors' procedure ([`crate::m4_reference`]), in
    /// the order of [`REFERENCES`] (empty in records saved before it).
    #[serde(default)]
    pub references: Vec<ReferenceRecord>,
}

/// M4 fitted by its authors' procedure on one curve's window.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReferenceRecord {
    /// The variant's label (one of [`REFERENCES`]).
    pub name: String,
    /// RMSE of ln L on the later part (NaN when the fit failed).
    #[serde(with = "nan_null")]
    pub rmse: f64,
    /// The estimator's stopping test fired.
    pub converged: bool,
}

/// The variants of M4's own estimator scored beside the catalog `m4` law:
/// their published code (the regression's ln(I - L) column from I's start)
/// and their algorithm (the column rebuilt as I moves).
pub const REFERENCES: [(&str, bool); 2] = [
    ("m4 (authors' code)", false),
    ("m4 (authors' algorithm)", true),
];

/// Both variants of [`REFERENCES`] fitted on the window.
fn reference_fits(window: &Observations) -> Vec<Option<crate::m4_reference::M4Reference>> {
    let x: Vec<f64> = (0..window.len()).map(|i| window.point(i)[0]).collect();
    REFERENCES
        .iter()
        .map(|&(_, regress_on_current_i)| {
            let opts = crate::m4_reference::Options {
                regress_on_current_i,
                ..Default::default()
            };
            crate::m4_reference::fit(&x, &window.y, &opts)
        })
        .collect()
}

fn reference_records(
    fits: &[Option<crate::m4_reference::M4Reference>],
    all: &Observations,
    later: &[usize],
) -> Vec<ReferenceRecord> {
    REFERENCES
        .iter()
        .zip(fits)
        .map(|(&(name, _), f)| match f {
            Some(f) => {
                let ln_pred: Vec<f64> = later
                    .iter()
                    .map(|&i| f.predict(all.point(i)[0]).ln())
                    .collect();
                ReferenceRecord {
                    name: name.into(),
                    rmse: rmse_of(&ln_pred, later.iter().map(|&i| all.y[i].ln())),
                    converged: f.converged,
                }
            }
            None => ReferenceRecord {
                name: name.into(),
                rmse: f64::NAN,
                converged: false,
            },
        })
        .collect()
}

/// Fit and backtest every law on the window of `curve` at `fraction`;
/// `None` when the window is too small or nothing is left after it.
pub fn record(
    curve: &LearningCurve,
    fraction: f64,
    laws: &[Law],
    opts: &FitOptions,
) -> Option<CurveRecord> {
    record_with(curve, fraction, laws, opts, false)
}

/// [`record`], and with `m4_reference` M4 fitted by its authors' procedure
/// ([`crate::m4_reference`], both variants of [`REFERENCES`]).
pub fn record_with(
    curve: &LearningCurve,
    fraction: f64,
    laws: &[Law],
    opts: &FitOptions,
    m4_reference: bool,
) -> Option<CurveRecord> {
    let all = curve.observations();
    let idx = order(&all);
    let n = idx.len();
    let m = (fraction * n as f64).floor() as usize;
    if m < MIN_WINDOW || m >= n {
        return None;
    }
    let window = all.subset(&idx[..m]);
    let widx: Vec<usize> = (0..m).collect();
    let later = &idx[m..];
    let laws: Vec<LawRecord> = laws
        .par_iter()
        .map(|law| {
            let full = (m >= law.n_params())
                .then(|| fit(law, &window, opts).ok())
                .flatten();
            let (converged, ln_pred) = match &full {
                Some(f) => (
                    f.converged,
                    later
                        .iter()
                        .map(|&i| law.predict(all.point(i), &f.params).ln())
                        .collect(),
                ),
                None => (false, vec![f64::NAN; later.len()]),
            };
            let rmse = rmse_of(&ln_pred, later.iter().map(|&i| all.y[i].ln()));
            let fit_rmse = full
                .as_ref()
                .map_or(f64::NAN, |f| pick::rmse_log(law, &f.params, &window, &widx));
            let signed: Vec<Option<pick::Signed>> = ORIGIN_GRID
                .iter()
                .map(|&r| pick::backtest_signed(law, &window, &widx, r, opts))
                .collect();
            let backtest: Vec<Option<f64>> = signed.iter().map(|s| s.map(|s| s.rmse)).collect();
            // `slaw compare` ranks fits with at least as many points as parameters.
            let holdout2 = if m >= law.n_params() + 2 {
                let k = ORIGIN_GRID
                    .iter()
                    .position(|o| *o == Origin::Last(2))
                    .unwrap();
                match backtest[k] {
                    Some(e) => e,
                    None if m == law.n_params() + 2 => {
                        match fit(law, &window.subset(&widx[..m - 2]), opts) {
                            Ok(f) if f.converged => {
                                pick::rmse_log(law, &f.params, &window, &widx[m - 2..])
                            }
                            _ => f64::NAN,
                        }
                    }
                    None => f64::NAN,
                }
            } else {
                f64::NAN
            };
            LawRecord {
                law: law.name.clone(),
                converged,
                rmse,
                ln_pred,
                holdout2,
                backtest,
                backtest_bias: signed.iter().map(|s| s.map(|s| s.bias)).collect(),
                backtest_drift: signed.iter().map(|s| s.and_then(|s| s.drift)).collect(),
                fit_rmse,
            }
        })
        .collect();
    // M4 by its authors' procedure, capped: a law of the pick's pool, always
    // fitted; as published (all its rounds) only with the reference.
    let mut laws = laws;
    let x: Vec<f64> = (0..m).map(|i| window.point(i)[0]).collect();
    let capped = crate::m4_reference::fit(&x, &window.y, &crate::m4_reference::Options::capped());
    let capped = m4_authors_record(
        pick::M4_AUTHORS_CAPPED,
        capped.as_ref(),
        &window,
        &all,
        later,
        None,
    );
    let fits = if m4_reference {
        reference_fits(&window)
    } else {
        Vec::new()
    };
    let signed = capped.clone();
    laws.push(capped);
    if let Some(f) = fits.first() {
        laws.push(m4_authors_record(
            pick::M4_AUTHORS,
            f.as_ref(),
            &window,
            &all,
            later,
            Some(&signed),
        ));
    }
    Some(CurveRecord {
        family: curve.family.clone(),
        name: curve.name.clone(),
        fraction,
        window: m,
        later: later.len(),
        laws,
        ln_truth: later.iter().map(|&i| all.y[i].ln()).collect(),
        ln_window: window.y.iter().map(|v| v.ln()).collect(),
        ln_dist: pick::ln_distances(&all, idx[m - 1], later),
        ln_x_window: pick::ln_distances(&all, idx[m - 1], &idx[..m]),
        references: if m4_reference {
            reference_records(&fits, &all, later)
        } else {
            Vec::new()
        },
    })
}

/// M4 fitted by its authors' procedure as a law of the pick's pool
/// (`name`: [`pick::M4_AUTHORS_CAPPED`], or [`pick::M4_AUTHORS`], the
/// reference's fit, their published code with all its rounds, so that
/// choosing it ties M4) from its fit `full` on the window; its backtests at
/// [`ORIGIN_GRID`] by the capped estimator ([`pick::m4_authors_signed`]),
/// or those of `backtest` (a record) when already computed.
fn m4_authors_record(
    name: &str,
    full: Option<&crate::m4_reference::M4Reference>,
    window: &Observations,
    all: &Observations,
    later: &[usize],
    backtest: Option<&LawRecord>,
) -> LawRecord {
    let m = window.len();
    let widx: Vec<usize> = (0..m).collect();
    let x: Vec<f64> = (0..m).map(|i| window.point(i)[0]).collect();
    let (ok, ln_pred, fit_rmse) = match full {
        Some(f) => {
            let lp: Vec<f64> = later
                .iter()
                .map(|&i| f.predict(all.point(i)[0]).ln())
                .collect();
            let fr = rmse_of(
                &x.iter().map(|&v| f.predict(v).ln()).collect::<Vec<_>>(),
                window.y.iter().map(|v| v.ln()),
            );
            (lp.iter().all(|v| v.is_finite()), lp, fr)
        }
        None => (false, vec![f64::NAN; later.len()], f64::NAN),
    };
    let rmse = rmse_of(&ln_pred, later.iter().map(|&i| all.y[i].ln()));
    let (backtest, backtest_bias, backtest_drift) = match backtest {
        Some(b) => (
            b.backtest.clone(),
            b.backtest_bias.clone(),
            b.backtest_drift.clone(),
        ),
        None => {
            let s: Vec<Option<pick::Signed>> = ORIGIN_GRID
                .iter()
                .map(|&r| pick::m4_authors_signed(window, &widx, r))
                .collect();
            (
                s.iter().map(|s| s.map(|s| s.rmse)).collect(),
                s.iter().map(|s| s.map(|s| s.bias)).collect(),
                s.iter().map(|s| s.and_then(|s| s.drift)).collect(),
            )
        }
    };
    let k = ORIGIN_GRID
        .iter()
        .position(|o| *o == Origin::Last(2))
        .unwrap();
    LawRecord {
        law: name.to_string(),
        converged: ok,
        rmse,
        ln_pred,
        holdout2: backtest[k].unwrap_or(f64::NAN),
        backtest,
        backtest_bias,
        backtest_drift,
        fit_rmse,
    }
}

/// Parameters of the curve law `name` (0 for a name not in
/// [`pick::curve_laws`]).
fn n_params(name: &str) -> usize {
    static COUNTS: std::sync::OnceLock<Vec<(String, usize)>> = std::sync::OnceLock::new();
    COUNTS
        .get_or_init(|| {
            pick::curve_laws()
                .iter()
                .map(|l| (l.name.clone(), l.n_params()))
                .collect()
        })
        .iter()
        .find(|(n, _)| n == name)
        .map_or(
            if name.starts_with(pick::M4_AUTHORS) {
                5
            } else {
                0
            },
            |(_, k)| *k,
        )
}

fn rmse_of(ln_pred: &[f64], ln_truth: impl Iterator<Item = f64>) -> f64 {
    let mut s = 0.0;
    let mut k = 0;
    for (p, t) in ln_pred.iter().zip(ln_truth) {
        s += (p - t).powi(2);
        k += 1;
    }
    if k == 0 {
        f64::NAN
    } else {
        (s / k as f64).sqrt()
    }
}

impl CurveRecord {
    fn law_index(&self, name: &str) -> Option<usize> {
        self.laws.iter().position(|l| l.law == name)
    }

    /// M4's RMSE (its fit on the window, converged or not).
    pub fn m4(&self) -> f64 {
        self.law_index("m4").map_or(f64::NAN, |i| self.laws[i].rmse)
    }

    /// `slaw compare`'s default pick: the converged law of lowest held-out
    /// error (2 largest points of the window held out); `None` if none.
    pub fn compare_pick(&self) -> Option<usize> {
        (0..self.laws.len())
            .filter(|&i| {
                self.laws[i].holdout2.is_finite() && !self.laws[i].law.starts_with(pick::M4_AUTHORS)
            })
            .min_by(|&a, &b| self.laws[a].holdout2.total_cmp(&self.laws[b].holdout2))
    }

    /// The RMSE of the combined ln predictions, each law's corrected by
    /// its slope (`slopes`: ln forecast - ln truth per unit ln distance,
    /// [`pick::Correction`]).
    fn blend(&self, combine: Combine, w: &[f64], slopes: &[f64], power: i32) -> f64 {
        let p: Vec<f64> = (0..self.later)
            .map(|j| {
                let u = self.ln_dist.get(j).copied().unwrap_or(0.0).powi(power);
                let lp: Vec<f64> = self
                    .laws
                    .iter()
                    .zip(slopes)
                    .map(|(l, &c)| {
                        if c != 0.0 {
                            l.ln_pred[j] - c * u
                        } else {
                            l.ln_pred[j]
                        }
                    })
                    .collect();
                pick::combine_ln(combine, &lp, w)
            })
            .collect();
        rmse_of(&p, self.ln_truth.iter().copied())
    }

    /// Columns of [`ORIGIN_GRID`] of the rule's origins.
    fn origin_columns(rule: &Rule) -> Vec<usize> {
        rule.origins
            .iter()
            .map(|r| {
                ORIGIN_GRID
                    .iter()
                    .position(|g| g == r)
                    .expect("rule origins lie on ORIGIN_GRID")
            })
            .collect()
    }

    /// Each law's slope under the rule's [`pick::Correction`] (0 without
    /// one, or in records saved without signed backtests).
    pub fn slopes(&self, rule: &Rule) -> Vec<f64> {
        if rule.correction == pick::Correction::None {
            return vec![0.0; self.laws.len()];
        }
        let cols = Self::origin_columns(rule);
        self.laws
            .iter()
            .map(|l| {
                let own = if l.backtest_drift.is_empty() {
                    None
                } else {
                    let d: Vec<Option<f64>> = cols.iter().map(|&c| l.backtest_drift[c]).collect();
                    pick::mean_drift(&d)
                };
                if let pick::Correction::PerWindow { shrink, drift } = &rule.correction {
                    // The drifts learned on windows of this record's fraction.
                    return drift
                        .iter()
                        .find(|(f, _)| *f == self.fraction)
                        .and_then(|(_, d)| d.iter().find(|(n, _)| *n == l.law))
                        .map_or(0.0, |&(_, d)| shrink * d);
                }
                rule.correction.slope_at(&l.law, own, Some(&self.shape()))
            })
            .collect()
    }

    /// The window's shape ([`pick::Shape`]; its size alone in records saved
    /// without the window's x).
    pub fn shape(&self) -> pick::Shape {
        if self.ln_x_window.len() == self.window && self.ln_window.len() == self.window {
            pick::Shape::of(&self.ln_x_window, &self.ln_window)
        } else {
            pick::Shape::points(self.window)
        }
    }

    /// The drift of law `k`'s extrapolation from the window (ln forecast -
    /// ln truth per unit ln distance, on the later points); `None` when not
    /// converged or not recorded.
    pub fn extrapolation_drift(&self, k: usize) -> Option<f64> {
        let l = &self.laws[k];
        if !l.converged || self.ln_dist.len() != self.later {
            return None;
        }
        pick::Signed::of(&l.ln_pred, &self.ln_truth, &self.ln_dist)?.drift
    }

    /// The curvature of law `k`'s extrapolation from the window (ln
    /// forecast - ln truth per unit squared ln distance: the least-squares
    /// slope through zero on u^2); `None` when not converged or not
    /// recorded.
    pub fn extrapolation_curvature(&self, k: usize) -> Option<f64> {
        let l = &self.laws[k];
        if !l.converged || self.ln_dist.len() != self.later {
            return None;
        }
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for ((p, t), u) in l.ln_pred.iter().zip(&self.ln_truth).zip(&self.ln_dist) {
            let (e, v) = (p - t, u * u);
            if !(e.is_finite() && v.is_finite()) {
                return None;
            }
            sxy += e * v;
            sxx += v * v;
        }
        (sxx > 0.0).then(|| sxy / sxx)
    }

    /// The backtest pick's weights under `rule` (the origins must be in
    /// [`ORIGIN_GRID`]); falls back to `slaw compare`'s pick when no law is
    /// eligible, then to M4.
    pub fn rule_weights(&self, rule: &Rule) -> Vec<f64> {
        let cols = Self::origin_columns(rule);
        let scores: Vec<Option<f64>> = self
            .laws
            .iter()
            .map(|l| {
                if !(l.converged && rule.admits(&l.law)) {
                    return None;
                }
                let e: Vec<Option<f64>> = cols.iter().map(|&c| l.backtest[c]).collect();
                pick::score(&e)
            })
            .collect();
        let usable: Vec<bool> = self
            .laws
            .iter()
            .map(|l| l.converged && self.window > n_params(&l.law))
            .collect();
        let names: Vec<&str> = self.laws.iter().map(|l| l.law.as_str()).collect();
        let (w, _) = pick::rule_weights(rule, &scores, &usable, &names);
        if w.iter().any(|&v| v > 0.0) {
            return w;
        }
        let mut w = vec![0.0; self.laws.len()];
        if let Some(i) = self.compare_pick().or_else(|| self.law_index("m4")) {
            w[i] = 1.0;
        }
        w
    }

    /// The RMSE of the rule's prediction (infinite when it is not finite).
    pub fn rule_rmse(&self, rule: &Rule) -> f64 {
        let e = self.blend(
            rule.combine,
            &self.rule_weights(rule),
            &self.slopes(rule),
            rule.correction.power(),
        );
        if e.is_nan() {
            f64::INFINITY
        } else {
            e
        }
    }

    /// RMSE of ln L on the later part of `slaw compare`'s pick (the converged law of lowest `holdout2`); infinite when no law qualifies.
    pub fn compare_rmse(&self) -> f64 {
        match self.compare_pick() {
            Some(i) => self.laws[i].rmse,
            None => self.m4(),
        }
    }
}

/// The origin sets of the candidate rules (subsets of [`ORIGIN_GRID`]).
const ORIGIN_SETS: [&[Origin]; 8] = {
    use Origin::{Fraction as F, Last};
    [
        &[F(0.5)],
        &[F(0.6)],
        &[F(0.75)],
        &[Last(2)],
        &[F(0.5), F(0.75)],
        &[F(0.5), F(0.6), F(0.75)],
        &[F(0.75), Last(2)],
        &[F(0.5), F(0.6), F(0.75), Last(2)],
    ]
};

/// The rules the leave-one-family-out protocol chooses among: origin sets ×
/// combinations × pools × fallbacks (when fewer than 2 laws are eligible);
/// `with_authors`: also pools with M4 fitted by its authors' procedure
/// ([`pick::M4_AUTHORS`], in records made with the reference).
pub fn candidate_rules(with_authors: bool) -> Vec<Rule> {
    let origin_sets = ORIGIN_SETS;
    let combines = [
        Combine::Best,
        Combine::Top { k: 2 },
        Combine::Top { k: 3 },
        Combine::Top { k: 6 },
        Combine::Median { k: 3 },
        Combine::Median { k: 5 },
    ];
    let pool = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut pools: Vec<Vec<String>> = vec![
        pool(&pick::CATALOG_LAWS),
        pool(&["power", "vanilla-ft", "rectified", "bnsl", "m4"]),
        pool(&["power", "vanilla-ft", "rectified", "m4"]),
    ];
    if with_authors {
        use pick::{M4_AUTHORS, M4_AUTHORS_CAPPED};
        pools.extend([
            pool(&["power", "vanilla-ft", "rectified", "bnsl", M4_AUTHORS]),
            pool(&["power", "vanilla-ft", "rectified", "bnsl", "m4", M4_AUTHORS]),
            pool(&["power", "vanilla-ft", "rectified", M4_AUTHORS]),
            pool(&[
                "power",
                "vanilla-ft",
                "rectified",
                "bnsl",
                M4_AUTHORS_CAPPED,
            ]),
        ]);
    }
    let fallbacks = [Fallback::Eligible, Fallback::AllFits, Fallback::WithM4];
    let mut out = Vec::new();
    for o in origin_sets {
        for c in combines {
            for p in &pools {
                for f in fallbacks {
                    out.push(Rule {
                        origins: o.to_vec(),
                        combine: c,
                        pool: p.clone(),
                        fallback: f,
                        weighting: Weighting::InverseSquare,
                        shrink: 0.0,
                        correction: pick::Correction::None,
                    });
                }
            }
        }
    }
    out
}

/// [`candidate_rules`] (with the authors' M4), then the rules of branch
/// `m4gap` (`slaw bench curves --extended-rules`; BENCHMARKS.md): the
/// weighted combinations of the 2, 3 or 6 best laws with other weights
/// ([`Weighting`]: 1/s^2, 1/s, equal, exp with t = 0.5, 1, 2), the
/// fallback "M4 alone" besides the others, and shrinkage toward M4 (0,
/// 0.25, 0.5), on the pools power, vanilla-ft, rectified, [bnsl,
/// [reciprocal,]] m4-authors-capped (the pool's M4 for the fallback and
/// the shrinkage): 8 origin sets x 3 pools x 3 combinations x 4
/// fallbacks x 6 weightings x 3 shrinkages = 5,184 more. No
/// leave-one-family-out fold gained from them on both windows (which is
/// why they are not the default candidates).
pub fn extended_rules() -> Vec<Rule> {
    use pick::M4_AUTHORS_CAPPED as CAP;
    let mut out = candidate_rules(true);
    let pool = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let pools = [
        pool(&["power", "vanilla-ft", "rectified", "bnsl", CAP]),
        pool(&[
            "power",
            "vanilla-ft",
            "rectified",
            "bnsl",
            "reciprocal",
            CAP,
        ]),
        pool(&["power", "vanilla-ft", "rectified", CAP]),
    ];
    let weightings = [
        Weighting::InverseSquare,
        Weighting::Inverse,
        Weighting::Equal,
        Weighting::Exp(0.5),
        Weighting::Exp(1.0),
        Weighting::Exp(2.0),
    ];
    let fallbacks = [
        Fallback::Eligible,
        Fallback::AllFits,
        Fallback::WithM4,
        Fallback::M4,
    ];
    for o in ORIGIN_SETS {
        for p in &pools {
            for k in [2, 3, 6] {
                for f in fallbacks {
                    for w in weightings {
                        for s in [0.0, 0.25, 0.5] {
                            out.push(Rule {
                                origins: o.to_vec(),
                                combine: Combine::Top { k },
                                pool: p.clone(),
                                fallback: f,
                                weighting: w,
                                shrink: s,
                                correction: pick::Correction::None,
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

/// Which candidate rules the protocol chooses among (`slaw bench curves`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RuleSet {
    /// [`extended_rules`] instead of [`candidate_rules`].
    pub extended: bool,
    /// Also [`own_drift_rules`] (correction (a) of branch `bias`).
    pub own_drift: bool,
    /// Also [`per_law_templates`], their drifts learned on the families
    /// the rule is chosen on (correction (b) of branch `bias`).
    pub per_law: bool,
    /// Also [`blend_templates`] (correction (d) of branch `bias2`: the
    /// per-law drift shrunk toward the own drift, fixed or learned weights).
    pub blend: bool,
    /// Also [`gated_templates`] (corrections (e) and (g) of branch `bias2`:
    /// the per-law drift only where the own drift agrees in sign, or capped
    /// by it).
    pub gated: bool,
    /// Also [`per_window_templates`] (correction (f) of branch `bias2`: the
    /// per-law drift learned per window fraction; benchmark only).
    pub per_window: bool,
    /// Also [`per_size_templates`] (correction (f') of branch `bias2`: the
    /// per-law drift learned on small or large windows, by points fitted).
    pub per_size: bool,
    /// Also [`quadratic_templates`] (correction (h) of branch `bias2`: a
    /// per-law curvature, the error growing with the squared ln distance).
    pub quadratic: bool,
    /// Also [`keyed_templates`] with each key of [`pick::Key::ALL`] marked
    /// (correction (i) of branch `bias3`: the per-law drift moving with a
    /// property of the window).
    pub keyed: [bool; 3],
    /// What the protocol minimises to choose a rule.
    pub criterion: Criterion,
    /// Leaving each family out, choose the criterion and the key of the
    /// keyed drift too, by an inner leave-one-family-out on the other
    /// families ([`nested_lofo_rules`], [`NESTED_CONFIGS`]; the other
    /// fields but `extended` are then ignored for the folds).
    pub nested: bool,
}

/// The configurations [`nested_lofo_rules`] chooses among: (a)+(b)+(c)
/// with no keyed drift, the steepening key or the span key, each under
/// both criteria.
pub fn nested_configs(extended: bool) -> Vec<RuleSet> {
    let mut out = Vec::new();
    for criterion in [Criterion::LogRatio, Criterion::Goal] {
        for keyed in [[false; 3], [false, true, false], [false, false, true]] {
            out.push(RuleSet {
                extended,
                own_drift: true,
                per_law: true,
                keyed,
                criterion,
                ..Default::default()
            });
        }
    }
    out
}

/// A short label of a configuration of [`nested_configs`].
pub fn config_label(set: &RuleSet) -> String {
    let keys: Vec<&str> = pick::Key::ALL
        .into_iter()
        .zip(set.keyed)
        .filter_map(|(k, on)| on.then_some(k.label()))
        .collect();
    format!(
        "{} criterion, keyed: {}",
        match set.criterion {
            Criterion::LogRatio => "log-ratio",
            Criterion::Goal => "goal",
        },
        if keys.is_empty() {
            "none".to_string()
        } else {
            keys.join(", ")
        }
    )
}

/// [`Criterion::Goal`]'s terms of `rmse` (one per record of `set`), the
/// mean over the families of `set`.
fn goal_score(set: &[&CurveRecord], rmse: &[f64]) -> f64 {
    let mut fams: Vec<&str> = set.iter().map(|r| r.family.as_str()).collect();
    fams.sort();
    fams.dedup();
    let mut total = 0.0;
    for f in &fams {
        let (mut s, mut s4, mut lost, mut k) = (0.0, 0.0, 0.0, 0.0);
        for (r, &e) in set.iter().zip(rmse) {
            let m4 = goal_m4(r);
            if r.family != *f || !m4.is_finite() {
                continue;
            }
            k += 1.0;
            s += e;
            s4 += m4;
            if e.is_nan() || e >= m4 {
                lost += 1.0;
            }
        }
        if k > 0.0 {
            total += log_ratio(s, s4) + GOAL_LOSS_WEIGHT * lost / k;
        }
    }
    total / fams.len().max(1) as f64
}

/// The leave-one-family-out score of a configuration (its `table`) over
/// `families`: leaving each family G of them out, the rule chosen on the
/// other families of `families` is scored on G by [`Criterion::Goal`]'s
/// terms; the mean over G (lower is better).
fn lofo_goal(records: &[&CurveRecord], table: &RuleTable, families: &[&str]) -> f64 {
    let mut set: Vec<&CurveRecord> = Vec::new();
    let mut rmse = Vec::new();
    for &g in families {
        let rule = table.choose(records, |r| {
            r.family != g && families.contains(&r.family.as_str())
        });
        for r in records.iter().filter(|r| r.family == g) {
            set.push(r);
            rmse.push(r.rule_rmse(&rule));
        }
    }
    goal_score(&set, &rmse)
}

/// The index of the lowest score (the first on ties).
fn lowest(scores: &[f64]) -> usize {
    (0..scores.len())
        .min_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)))
        .expect("configurations")
}

/// Leave-one-family-out rules whose configuration (criterion, key) is
/// chosen out of sample too: leaving family F out, each configuration of
/// `configs` is scored by an inner leave-one-family-out on the other
/// families (the rule chosen without F and G scored on G by
/// [`Criterion::Goal`]'s terms, the mean over G), and the rule of the best
/// configuration is chosen on every family but F. Returns (F, rule, label
/// of the configuration chosen).
pub fn nested_lofo_rules(
    records: &[&CurveRecord],
    configs: &[RuleSet],
) -> Vec<(String, Rule, String)> {
    let mut families: Vec<&str> = records.iter().map(|r| r.family.as_str()).collect();
    families.sort();
    families.dedup();
    let tables = config_tables(records, configs);
    nested_lofo_in(records, configs, &tables)
}

/// Each configuration's [`RuleTable`] on `records`.
fn config_tables(records: &[&CurveRecord], configs: &[RuleSet]) -> Vec<RuleTable> {
    configs
        .iter()
        .map(|c| RuleTable::new(records, *c))
        .collect()
}

/// [`nested_lofo_rules`] with the configurations' tables built.
fn nested_lofo_in(
    records: &[&CurveRecord],
    configs: &[RuleSet],
    tables: &[RuleTable],
) -> Vec<(String, Rule, String)> {
    let mut families: Vec<&str> = records.iter().map(|r| r.family.as_str()).collect();
    families.sort();
    families.dedup();
    families
        .iter()
        .map(|&f| {
            let others: Vec<&str> = families.iter().copied().filter(|&g| g != f).collect();
            let inner: Vec<f64> = tables
                .iter()
                .map(|t| lofo_goal(records, t, &others))
                .collect();
            let best = lowest(&inner);
            (
                f.to_string(),
                tables[best].choose(records, |r| r.family != f),
                config_label(&configs[best]),
            )
        })
        .collect()
}

/// What the nested procedure chooses on every family ([`nested_all`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct NestedChoice {
    /// Each configuration (its [`config_label`]) and its leave-one-family-out
    /// score over every family ([`Criterion::Goal`]'s terms, lower is
    /// better), in the order of the configurations.
    pub scores: Vec<(String, f64)>,
    /// The index in `scores` of the configuration chosen (the lowest).
    pub chosen: usize,
    /// The rule the chosen configuration's protocol chooses on every family
    /// (its drifts learned on every family).
    pub rule: Rule,
}

/// The outer step of [`nested_lofo_rules`] with no family left out: each
/// configuration of `configs` scored by leave-one-family-out over every
/// family of `records` (the goal's terms), and the rule of the best chosen
/// on every family: what the nested procedure ships.
pub fn nested_all(records: &[&CurveRecord], configs: &[RuleSet]) -> NestedChoice {
    nested_all_in(records, configs, &config_tables(records, configs))
}

/// [`nested_all`] with the configurations' tables built.
fn nested_all_in(
    records: &[&CurveRecord],
    configs: &[RuleSet],
    tables: &[RuleTable],
) -> NestedChoice {
    let mut families: Vec<&str> = records.iter().map(|r| r.family.as_str()).collect();
    families.sort();
    families.dedup();
    let scores: Vec<f64> = tables
        .iter()
        .map(|t| lofo_goal(records, t, &families))
        .collect();
    let chosen = lowest(&scores);
    NestedChoice {
        scores: configs.iter().map(config_label).zip(scores).collect(),
        chosen,
        rule: tables[chosen].choose(records, |_| true),
    }
}

/// The protocol's selection criterion (lower is better), over the families
/// a rule is chosen on, each weighing as much as any other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Criterion {
    /// The mean over families of the family's mean ln(RMSE / RMSE of the
    /// catalog M4) ([`criterion`]).
    #[default]
    LogRatio,
    /// The goal's terms per family, against M4 fitted by its authors'
    /// code (the catalog M4 where the record has not got it): ln(mean RMSE
    /// / M4's mean RMSE) + [`GOAL_LOSS_WEIGHT`] x the share of curves where
    /// M4 is not beaten; the mean over families (branch `bias3`).
    Goal,
}

/// The weight of the share of curves lost in [`Criterion::Goal`] (a share
/// of 0.1 lost weighs as much as a ratio 5% higher).
pub const GOAL_LOSS_WEIGHT: f64 = 0.5;

/// M4's RMSE in [`Criterion::Goal`]: its authors' code where recorded and
/// finite, else the catalog law's.
fn goal_m4(r: &CurveRecord) -> f64 {
    match r.references.first() {
        Some(x) if x.rmse.is_finite() => x.rmse,
        _ => r.m4(),
    }
}

/// Shares of the drift removed by the signed corrections tried.
pub const CORRECTION_SHRINKS: [f64; 4] = [0.25, 0.5, 0.75, 1.0];

/// The candidate rules with the pool every fold chooses (power,
/// vanilla-ft, rectified, bnsl, the capped authors' M4): 8 origin sets x
/// 6 combinations x 3 fallbacks = 144.
fn capped_pool_rules() -> Vec<Rule> {
    candidate_rules(true)
        .into_iter()
        .filter(|r| r.pool.iter().any(|p| p == pick::M4_AUTHORS_CAPPED))
        .collect()
}

/// [`capped_pool_rules`] with the corrections `corrections(shrink)` gives
/// for each of [`CORRECTION_SHRINKS`]: per rule, per shrink, per
/// correction, in that order.
fn with_corrections<I: IntoIterator<Item = pick::Correction>>(
    corrections: impl Fn(f64) -> I,
) -> Vec<Rule> {
    let mut out = Vec::new();
    for r in capped_pool_rules() {
        for shrink in CORRECTION_SHRINKS {
            for correction in corrections(shrink) {
                out.push(Rule {
                    correction,
                    ..r.clone()
                });
            }
        }
    }
    out
}

/// [`capped_pool_rules`] with each law's ln prediction corrected by its own
/// backtest drift on the window ([`pick::Correction::OwnDrift`]), shrunk by
/// each of [`CORRECTION_SHRINKS`]: 576 rules.
pub fn own_drift_rules() -> Vec<Rule> {
    with_corrections(|shrink| [pick::Correction::OwnDrift { shrink }])
}

/// [`capped_pool_rules`] with a per-law drift ([`pick::Correction::PerLaw`],
/// each of [`CORRECTION_SHRINKS`]) left empty: [`learn_drift`] fills it
/// from the records the rule is chosen on. 576 templates.
pub fn per_law_templates() -> Vec<Rule> {
    with_corrections(|shrink| {
        [pick::Correction::PerLaw {
            shrink,
            drift: Vec::new(),
        }]
    })
}

/// Fixed weights of the own drift in [`blend_templates`].
pub const OWN_WEIGHTS: [f64; 3] = [0.25, 0.5, 0.75];

/// [`capped_pool_rules`] with the per-law drift shrunk toward the own drift
/// ([`pick::Correction::Blend`]), each of [`CORRECTION_SHRINKS`], the own
/// drift's weight each of [`OWN_WEIGHTS`] or learned ([`learn_own_weight`]):
/// 2,304 templates, completed on the records they are chosen on.
pub fn blend_templates() -> Vec<Rule> {
    with_corrections(|shrink| {
        OWN_WEIGHTS
            .iter()
            .map(|&w| Some(w))
            .chain([None])
            .map(move |w| pick::Correction::Blend {
                shrink,
                drift: Vec::new(),
                own_weight: w.map_or(Vec::new(), |w| {
                    pick::CORRECTED_LAWS
                        .iter()
                        .map(|n| (n.to_string(), w))
                        .collect()
                }),
                learned: w.is_none(),
            })
    })
}

/// [`capped_pool_rules`] with the per-law drift gated by the sign of the
/// own drift ([`pick::Correction::Gated`]) or capped by it
/// ([`pick::Correction::Capped`]), each of [`CORRECTION_SHRINKS`]: 1,152
/// templates.
pub fn gated_templates() -> Vec<Rule> {
    with_corrections(|shrink| {
        [
            pick::Correction::Gated {
                shrink,
                drift: Vec::new(),
            },
            pick::Correction::Capped {
                shrink,
                drift: Vec::new(),
            },
        ]
    })
}

/// [`capped_pool_rules`] with a drift per law and per window fraction
/// ([`pick::Correction::PerWindow`]), each of [`CORRECTION_SHRINKS`]: 576
/// templates.
pub fn per_window_templates() -> Vec<Rule> {
    with_corrections(|shrink| {
        [pick::Correction::PerWindow {
            shrink,
            drift: Vec::new(),
        }]
    })
}

/// The window sizes (points fitted, at most) splitting small from large
/// windows in [`per_size_templates`].
pub const SIZE_SPLITS: [usize; 5] = [8, 10, 12, 16, 24];

/// [`capped_pool_rules`] with a drift per law learned on windows of at most
/// or more than each of [`SIZE_SPLITS`] points
/// ([`pick::Correction::PerSize`]), each of [`CORRECTION_SHRINKS`]: 2,880
/// templates.
pub fn per_size_templates() -> Vec<Rule> {
    with_corrections(|shrink| {
        SIZE_SPLITS.map(|split| pick::Correction::PerSize {
            shrink,
            split,
            small: Vec::new(),
            large: Vec::new(),
        })
    })
}

/// [`capped_pool_rules`] with a per-law curvature
/// ([`pick::Correction::Quadratic`]), each of [`CORRECTION_SHRINKS`]: 576
/// templates.
pub fn quadratic_templates() -> Vec<Rule> {
    with_corrections(|shrink| {
        [pick::Correction::Quadratic {
            shrink,
            drift: Vec::new(),
        }]
    })
}

/// [`capped_pool_rules`] with a per-law drift keyed to each of `keys`
/// ([`pick::Correction::Keyed`]), each of [`CORRECTION_SHRINKS`]: 576
/// templates per key, completed by [`learn_keyed`] on the records they are
/// chosen on.
pub fn keyed_templates(keys: &[pick::Key]) -> Vec<Rule> {
    with_corrections(|shrink| {
        keys.iter().map(move |&key| pick::Correction::Keyed {
            shrink,
            key,
            drift: Vec::new(),
            slope: Vec::new(),
            centre: 0.0,
            range: (0.0, 0.0),
        })
    })
}

/// Drifts beyond this (per unit ln distance) are clipped in
/// [`learn_keyed`], so that a few short windows do not set the slope.
const KEYED_CLIP: f64 = 0.3;

/// A per-law drift keyed to `key` learned on `records` (those whose
/// window has the key): the key's centre (mean, each family weighing as
/// much as any other) and range; per law, the change of the drift per unit
/// of the key (the least-squares slope of the law's extrapolation drift,
/// clipped at +-[`KEYED_CLIP`], on the key, families weighted alike); the
/// drift at the centre is `drift` ([`learn_drift`]). `None` when fewer
/// than 2 families have the key.
pub fn learn_keyed(
    records: &[&CurveRecord],
    key: pick::Key,
    drift: &[(String, f64)],
) -> Option<pick::Correction> {
    let keyed: Vec<(&CurveRecord, f64)> = records
        .iter()
        .map(|r| (*r, key.of(&r.shape())))
        .filter(|(_, k)| k.is_finite())
        .collect();
    let mut size: Vec<(&str, usize)> = Vec::new();
    for (r, _) in &keyed {
        match size.iter_mut().find(|(f, _)| *f == r.family) {
            Some(e) => e.1 += 1,
            None => size.push((&r.family, 1)),
        }
    }
    if size.len() < 2 {
        return None;
    }
    let weight =
        |r: &CurveRecord| 1.0 / size.iter().find(|(f, _)| *f == r.family).map_or(1, |e| e.1) as f64;
    let (mut sw, mut sk) = (0.0, 0.0);
    let mut range = (f64::INFINITY, f64::NEG_INFINITY);
    for (r, k) in &keyed {
        sw += weight(r);
        sk += weight(r) * k;
        range = (range.0.min(*k), range.1.max(*k));
    }
    let centre = sk / sw;
    let slope = drift
        .iter()
        .map(|(name, _)| {
            let mut pts: Vec<(f64, f64, f64)> = Vec::new();
            for (r, k) in &keyed {
                let Some(i) = r.law_index(name) else { continue };
                if let Some(d) = r.extrapolation_drift(i) {
                    pts.push((weight(r), *k, d.clamp(-KEYED_CLIP, KEYED_CLIP)));
                }
            }
            let w: f64 = pts.iter().map(|p| p.0).sum();
            if w <= 0.0 {
                return (name.clone(), 0.0);
            }
            let mk = pts.iter().map(|p| p.0 * p.1).sum::<f64>() / w;
            let md = pts.iter().map(|p| p.0 * p.2).sum::<f64>() / w;
            let (mut sxy, mut sxx) = (0.0, 0.0);
            for (w, k, d) in &pts {
                sxy += w * (k - mk) * (d - md);
                sxx += w * (k - mk) * (k - mk);
            }
            (name.clone(), if sxx > 0.0 { sxy / sxx } else { 0.0 })
        })
        .collect();
    Some(pick::Correction::Keyed {
        shrink: 1.0,
        key,
        drift: drift.to_vec(),
        slope,
        centre,
        range,
    })
}

/// The template `t` ([`per_law_templates`], [`blend_templates`],
/// [`gated_templates`]) completed with the per-law `drift` learned on
/// `records` (and, for learned blends, the own drift's weights,
/// [`learn_own_weight`]).
fn complete(t: &Rule, drift: &[(String, f64)], records: &[&CurveRecord]) -> Rule {
    let mut rule = t.clone();
    let d = drift.to_vec();
    rule.correction = match &t.correction {
        pick::Correction::PerLaw { shrink, .. } => pick::Correction::PerLaw {
            shrink: *shrink,
            drift: d,
        },
        pick::Correction::Blend {
            shrink,
            own_weight,
            learned,
            ..
        } => pick::Correction::Blend {
            shrink: *shrink,
            own_weight: if *learned {
                learn_own_weight(records, t, drift)
            } else {
                own_weight.clone()
            },
            drift: d,
            learned: *learned,
        },
        pick::Correction::Gated { shrink, .. } => pick::Correction::Gated {
            shrink: *shrink,
            drift: d,
        },
        pick::Correction::Capped { shrink, .. } => pick::Correction::Capped {
            shrink: *shrink,
            drift: d,
        },
        pick::Correction::PerWindow { shrink, .. } => {
            let mut fr: Vec<f64> = records.iter().map(|r| r.fraction).collect();
            fr.sort_by(f64::total_cmp);
            fr.dedup();
            pick::Correction::PerWindow {
                shrink: *shrink,
                drift: fr
                    .into_iter()
                    .map(|f| {
                        let same: Vec<&CurveRecord> = records
                            .iter()
                            .copied()
                            .filter(|r| r.fraction == f)
                            .collect();
                        (f, learn_drift(&same))
                    })
                    .collect(),
            }
        }
        pick::Correction::Keyed { shrink, key, .. } => match learn_keyed(records, *key, drift) {
            Some(pick::Correction::Keyed {
                drift,
                slope,
                centre,
                range,
                ..
            }) => pick::Correction::Keyed {
                shrink: *shrink,
                key: *key,
                drift,
                slope,
                centre,
                range,
            },
            _ => pick::Correction::PerLaw {
                shrink: *shrink,
                drift: d,
            },
        },
        pick::Correction::Quadratic { shrink, .. } => pick::Correction::Quadratic {
            shrink: *shrink,
            drift: learn_curvature(records),
        },
        pick::Correction::PerSize { shrink, split, .. } => {
            let (small, large): (Vec<&CurveRecord>, Vec<&CurveRecord>) =
                records.iter().partition(|r| r.window <= *split);
            pick::Correction::PerSize {
                shrink: *shrink,
                split: *split,
                small: learn_drift(&small),
                large: learn_drift(&large),
            }
        }
        c => c.clone(),
    };
    rule
}

/// Residuals beyond this (per unit ln distance) are clipped in
/// [`learn_own_weight`], so that a few short windows do not set it.
const OWN_WEIGHT_CLIP: f64 = 0.2;

/// Each law's weight w of its own backtest drift o (mean over `rule`'s
/// origins) against the per-law drift p: the least-squares slope through
/// zero of (d - p) on (o - p), d the drift of the law's extrapolation from
/// the window, each family weighing as much as any other (each record
/// 1 / its family's size), residuals clipped at +-[`OWN_WEIGHT_CLIP`], w
/// clipped to [0, 1] (the best linear shrinkage of the per-law drift
/// toward the own one, learned on `records`).
pub fn learn_own_weight(
    records: &[&CurveRecord],
    rule: &Rule,
    drift: &[(String, f64)],
) -> Vec<(String, f64)> {
    let cols = CurveRecord::origin_columns(rule);
    let mut size: Vec<(&str, usize)> = Vec::new();
    for r in records {
        match size.iter_mut().find(|(f, _)| *f == r.family) {
            Some(e) => e.1 += 1,
            None => size.push((&r.family, 1)),
        }
    }
    let clip = |v: f64| v.clamp(-OWN_WEIGHT_CLIP, OWN_WEIGHT_CLIP);
    drift
        .iter()
        .map(|(name, p)| {
            let (mut sxy, mut sxx) = (0.0, 0.0);
            for r in records {
                let Some(k) = r.law_index(name) else { continue };
                let l = &r.laws[k];
                if l.backtest_drift.is_empty() {
                    continue;
                }
                let o: Vec<Option<f64>> = cols.iter().map(|&c| l.backtest_drift[c]).collect();
                let (Some(o), Some(d)) = (pick::mean_drift(&o), r.extrapolation_drift(k)) else {
                    continue;
                };
                let n = size.iter().find(|(f, _)| *f == r.family).map_or(1, |e| e.1);
                let (x, y) = (clip(o - p), clip(d - p));
                sxy += x * y / n as f64;
                sxx += x * x / n as f64;
            }
            let w = if sxx > 0.0 { sxy / sxx } else { 0.0 };
            (name.clone(), w.clamp(0.0, 1.0))
        })
        .collect()
}

/// Each law's drift when extrapolating from the window (ln forecast - ln
/// truth per unit ln(x / x_last), [`CurveRecord::extrapolation_drift`]),
/// learned on `records`: the median over each family's records, then the
/// mean over families (each family counts once, whatever its size).
pub fn learn_drift(records: &[&CurveRecord]) -> Vec<(String, f64)> {
    learn_per_law(records, CurveRecord::extrapolation_drift)
}

/// [`learn_drift`] per unit squared ln distance
/// ([`CurveRecord::extrapolation_curvature`]).
pub fn learn_curvature(records: &[&CurveRecord]) -> Vec<(String, f64)> {
    learn_per_law(records, CurveRecord::extrapolation_curvature)
}

/// The median over each family's records of `of` (record, law index), then
/// the mean over families, per law.
fn learn_per_law(
    records: &[&CurveRecord],
    of: fn(&CurveRecord, usize) -> Option<f64>,
) -> Vec<(String, f64)> {
    let mut names: Vec<String> = Vec::new();
    for r in records {
        for l in &r.laws {
            if !names.contains(&l.law) {
                names.push(l.law.clone());
            }
        }
    }
    let mut fams: Vec<&str> = records.iter().map(|r| r.family.as_str()).collect();
    fams.sort();
    fams.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let per_family: Vec<f64> = fams
                .iter()
                .filter_map(|f| {
                    let d: Vec<f64> = records
                        .iter()
                        .filter(|r| r.family == *f)
                        .filter_map(|r| of(r, r.law_index(&name)?))
                        .collect();
                    (!d.is_empty()).then(|| crate::stats::median(d))
                })
                .collect();
            (!per_family.is_empty()).then(|| {
                (
                    name,
                    per_family.iter().sum::<f64>() / per_family.len() as f64,
                )
            })
        })
        .collect()
}

/// ln(rmse / rmse of M4), floored so a perfect fit does not dominate.
fn log_ratio(r: f64, m4: f64) -> f64 {
    (r.max(1e-6) / m4.max(1e-6)).ln()
}

/// The selection criterion of a rule on `records`: the mean over families
/// of the family's mean ln(RMSE / RMSE of M4) (lower is better).
pub fn criterion(records: &[&CurveRecord], rule: &Rule) -> f64 {
    let mut fams: Vec<&str> = records.iter().map(|r| r.family.as_str()).collect();
    fams.sort();
    fams.dedup();
    let mut total = 0.0;
    for f in &fams {
        let v: Vec<f64> = records
            .iter()
            .filter(|r| r.family == *f)
            .map(|r| log_ratio(r.rule_rmse(rule), r.m4()))
            .collect();
        total += v.iter().sum::<f64>() / v.len() as f64;
    }
    total / fams.len().max(1) as f64
}

/// The candidate rule of lowest criterion on `records` (first on ties).
pub fn choose_rule(records: &[&CurveRecord]) -> Rule {
    RuleTable::new(records, RuleSet::default()).choose(records, |_| true)
}

/// Every candidate rule's ln(RMSE / RMSE of M4) on every record, computed
/// once so that the leave-one-family-out folds only average them; and the
/// templates of rules whose per-law drifts are learned on each fold's
/// families ([`per_law_templates`]), scored per fold.
struct RuleTable {
    rules: Vec<Rule>,
    /// RMSE `[rule][record]`, records in the order given to [`RuleTable::new`].
    rmse: Vec<Vec<f64>>,
    criterion: Criterion,
    /// Rules completed by [`learn_drift`] on the records they are chosen on.
    templates: Vec<Rule>,
}

impl RuleTable {
    /// [`candidate_rules`], or with `set.extended` [`extended_rules`] (when
    /// every record has the capped authors' M4), and the corrections of
    /// `set`, on `records`.
    fn new(records: &[&CurveRecord], set: RuleSet) -> RuleTable {
        let with_authors = records
            .iter()
            .all(|r| r.law_index(pick::M4_AUTHORS_CAPPED).is_some());
        let mut rules = if set.extended && with_authors {
            extended_rules()
        } else {
            candidate_rules(with_authors)
        };
        if set.own_drift && with_authors {
            rules.extend(own_drift_rules());
        }
        let mut templates = Vec::new();
        if with_authors {
            if set.per_law {
                templates.extend(per_law_templates());
            }
            if set.blend {
                templates.extend(blend_templates());
            }
            if set.gated {
                templates.extend(gated_templates());
            }
            if set.per_window {
                templates.extend(per_window_templates());
            }
            if set.per_size {
                templates.extend(per_size_templates());
            }
            if set.quadratic {
                templates.extend(quadratic_templates());
            }
            let keys: Vec<pick::Key> = pick::Key::ALL
                .into_iter()
                .zip(set.keyed)
                .filter_map(|(k, on)| on.then_some(k))
                .collect();
            if !keys.is_empty() {
                templates.extend(keyed_templates(&keys));
            }
        }
        let rmse = rules
            .par_iter()
            .map(|rule| records.iter().map(|r| r.rule_rmse(rule)).collect())
            .collect();
        RuleTable {
            rules,
            rmse,
            criterion: set.criterion,
            templates,
        }
    }

    /// The rule of lowest [`criterion`] on the records (of those given to
    /// [`RuleTable::new`]) that `keep` admits; first on ties (the table's
    /// rules before the learned ones).
    fn choose(&self, records: &[&CurveRecord], keep: impl Fn(&CurveRecord) -> bool) -> Rule {
        let kept: Vec<usize> = (0..records.len()).filter(|&i| keep(records[i])).collect();
        let mut fams: Vec<&str> = kept.iter().map(|&i| records[i].family.as_str()).collect();
        fams.sort();
        fams.dedup();
        let members: Vec<Vec<usize>> = fams
            .iter()
            .map(|f| {
                kept.iter()
                    .copied()
                    .filter(|&i| records[i].family == *f)
                    .collect()
            })
            .collect();
        let m4: Vec<f64> = records
            .iter()
            .map(|r| match self.criterion {
                Criterion::LogRatio => r.m4(),
                Criterion::Goal => goal_m4(r),
            })
            .collect();
        let crit_of = |v: &dyn Fn(usize) -> f64| {
            let total: f64 = members
                .iter()
                .map(|m| match self.criterion {
                    Criterion::LogRatio => {
                        m.iter().map(|&i| log_ratio(v(i), m4[i])).sum::<f64>() / m.len() as f64
                    }
                    Criterion::Goal => {
                        let (mut s, mut s4, mut lost, mut k) = (0.0, 0.0, 0.0, 0.0);
                        for &i in m.iter().filter(|&&i| m4[i].is_finite()) {
                            let e = v(i);
                            k += 1.0;
                            s += e;
                            s4 += m4[i];
                            if e.is_nan() || e >= m4[i] {
                                lost += 1.0;
                            }
                        }
                        if k == 0.0 {
                            return 0.0;
                        }
                        log_ratio(s, s4) + GOAL_LOSS_WEIGHT * lost / k
                    }
                })
                .sum();
            total / fams.len().max(1) as f64
        };
        let crit: Vec<f64> = self.rmse.iter().map(|v| crit_of(&|i| v[i])).collect();
        let best = (0..self.rules.len())
            .min_by(|&a, &b| crit[a].total_cmp(&crit[b]).then(a.cmp(&b)))
            .expect("candidate rules");
        if self.templates.is_empty() {
            return self.rules[best].clone();
        }
        let kept_records: Vec<&CurveRecord> = kept.iter().map(|&i| records[i]).collect();
        let drift = learn_drift(&kept_records);
        let learned: Vec<(Rule, f64)> = self
            .templates
            .par_iter()
            .map(|t| {
                let rule = complete(t, &drift, &kept_records);
                let c = crit_of(&|i| records[i].rule_rmse(&rule));
                (rule, c)
            })
            .collect();
        let mut choice = (self.rules[best].clone(), crit[best]);
        for (rule, c) in learned {
            if c < choice.1 {
                choice = (rule, c);
            }
        }
        choice.0
    }
}

/// One method's figures on a set of curves.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MethodScore {
    /// The method's label (a law, M4, or one of [`LOFO`], [`SHIPPED`], [`COMPARE`]).
    pub method: String,
    /// Curves where its RMSE is strictly below M4's.
    pub wins: usize,
    /// Mean RMSE of ln L on the later parts.
    pub mean_rmse: f64,
    /// mean RMSE / M4's mean RMSE.
    pub ratio: f64,
}

/// A row of the table: a family (or "all") at a fraction.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CurvesRow {
    /// Share of each curve's points in the window.
    pub fraction: f64,
    /// The family, or "all".
    pub family: String,
    /// Curves scored.
    pub curves: usize,
    /// M4's mean RMSE of ln L on the later parts (the reference of `ratio`).
    pub m4_mean_rmse: f64,
    /// Every method's figures.
    pub methods: Vec<MethodScore>,
    /// The picks and the catalog `m4` against each variant of M4's own
    /// estimator ([`REFERENCES`]), on the curves where it gave a finite
    /// RMSE.
    pub references: Vec<ReferenceScore>,
}

/// Figures against one variant of M4's own estimator.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReferenceScore {
    /// The variant (one of [`REFERENCES`]).
    pub reference: String,
    /// Curves where it gave a finite RMSE (the others are left out here).
    pub curves: usize,
    /// Its mean RMSE of ln L on the later parts of those curves.
    pub mean_rmse: f64,
    /// Wins (strictly lower RMSE) and mean-RMSE ratio against it.
    pub methods: Vec<MethodScore>,
}

/// The benchmark's result.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct CurvesReport {
    /// The window fractions evaluated.
    pub fractions: Vec<f64>,
    /// Curves skipped per fraction (window too small, or no finite M4 prediction).
    pub skipped: Vec<(f64, usize)>,
    /// The rule chosen without each family (leave one family out).
    pub lofo_rules: Vec<(String, Rule)>,
    /// With [`RuleSet::nested`]: the configuration chosen without each
    /// family ([`nested_lofo_rules`]).
    pub lofo_configs: Vec<(String, String)>,
    /// With [`RuleSet::nested`]: the configurations scored on every family
    /// and the one chosen ([`nested_all`]; `all_rule` is its rule).
    pub nested_all: Option<NestedChoice>,
    /// The rule chosen on every family (what the shipped rule should be;
    /// with [`RuleSet::nested`], the nested procedure's choice).
    pub all_rule: Rule,
    /// The rule shipped in `pick::Rule::shipped`.
    pub shipped_rule: Rule,
    /// One row per (fraction, family) and per fraction over all families.
    pub rows: Vec<CurvesRow>,
    #[serde(skip)]
    /// The per-curve inputs behind the rows (see [`Records`]).
    pub records: Vec<CurveRecord>,
}

/// Label of the backtest pick with the rule chosen leaving the curve's family out.
pub const LOFO: &str = "backtest (leave family out)";
/// Label of the backtest pick with the shipped rule (`pick::Rule::shipped`).
pub const SHIPPED: &str = "backtest (shipped rule)";
/// Label of `slaw compare`'s default pick (2 largest points of the window held out).
pub const COMPARE: &str = "compare (held-out 2)";

/// Run the protocol on `curves` at `fractions` with the catalog's one-input
/// laws ([`pick::curve_laws`]).
pub fn run(
    curves: &[LearningCurve],
    fractions: &[f64],
    opts: &FitOptions,
    progress: &dyn Progress,
) -> CurvesReport {
    run_with(curves, fractions, opts, progress, false)
}

/// [`run`], and with `m4_reference` M4 fitted by its authors' procedure too
/// (scored in [`CurvesRow::references`]).
pub fn run_with(
    curves: &[LearningCurve],
    fractions: &[f64],
    opts: &FitOptions,
    progress: &dyn Progress,
    m4_reference: bool,
) -> CurvesReport {
    let laws = pick::curve_laws();
    let jobs: Vec<(usize, f64)> = fractions
        .iter()
        .flat_map(|&f| (0..curves.len()).map(move |c| (c, f)))
        .collect();
    progress.start("curves x fractions", jobs.len());
    let recs: Vec<Option<CurveRecord>> = jobs
        .par_iter()
        .map(|&(c, f)| {
            counted(progress, || {
                record_with(&curves[c], f, &laws, opts, m4_reference)
            })
        })
        .collect();
    let mut skipped: Vec<(f64, usize)> = fractions.iter().map(|&f| (f, 0)).collect();
    let mut records = Vec::new();
    for ((_, f), r) in jobs.iter().zip(recs) {
        match r {
            Some(r) if r.m4().is_finite() => records.push(r),
            _ => {
                if let Some(s) = skipped.iter_mut().find(|s| s.0 == *f) {
                    s.1 += 1;
                }
            }
        }
    }
    evaluate(records, fractions, skipped)
}

/// The table from computed records (leave one family out over families).
pub fn evaluate(
    records: Vec<CurveRecord>,
    fractions: &[f64],
    skipped: Vec<(f64, usize)>,
) -> CurvesReport {
    evaluate_with(records, fractions, skipped, false)
}

/// [`evaluate`], the rules chosen among [`extended_rules`] with `extended`.
pub fn evaluate_with(
    records: Vec<CurveRecord>,
    fractions: &[f64],
    skipped: Vec<(f64, usize)>,
    extended: bool,
) -> CurvesReport {
    evaluate_rules(
        records,
        fractions,
        skipped,
        RuleSet {
            extended,
            ..RuleSet::default()
        },
    )
}

/// [`evaluate`], the rules chosen among those of `set`.
pub fn evaluate_rules(
    records: Vec<CurveRecord>,
    fractions: &[f64],
    skipped: Vec<(f64, usize)>,
    set: RuleSet,
) -> CurvesReport {
    let mut families: Vec<String> = records.iter().map(|r| r.family.clone()).collect();
    families.sort();
    families.dedup();
    let all: Vec<&CurveRecord> = records.iter().collect();
    let table = RuleTable::new(&all, set);
    let mut lofo_configs: Vec<(String, String)> = Vec::new();
    let configs = nested_configs(set.extended);
    let tables = if set.nested {
        config_tables(&all, &configs)
    } else {
        Vec::new()
    };
    let lofo_rules: Vec<(String, Rule)> = if set.nested {
        nested_lofo_in(&all, &configs, &tables)
            .into_iter()
            .map(|(f, r, c)| {
                lofo_configs.push((f.clone(), c));
                (f, r)
            })
            .collect()
    } else {
        families
            .iter()
            .map(|f| (f.clone(), table.choose(&all, |r| &r.family != f)))
            .collect()
    };
    let nested_all_families = set.nested.then(|| nested_all_in(&all, &configs, &tables));
    let all_rule = match &nested_all_families {
        Some(n) => n.rule.clone(),
        None => table.choose(&all, |_| true),
    };
    let shipped = Rule::shipped();
    let law_names: Vec<String> = pick::curve_laws().iter().map(|l| l.name.clone()).collect();
    let mut rows = Vec::new();
    let mut groups: Vec<String> = families.clone();
    groups.push("all".into());
    for &fr in fractions {
        for g in &groups {
            let set: Vec<&CurveRecord> = records
                .iter()
                .filter(|r| r.fraction == fr && (g == "all" || &r.family == g))
                .collect();
            if set.is_empty() {
                continue;
            }
            let m4: Vec<f64> = set.iter().map(|r| r.m4()).collect();
            let m4_mean = m4.iter().sum::<f64>() / m4.len() as f64;
            let score = |name: &str, v: Vec<f64>| {
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                MethodScore {
                    method: name.to_string(),
                    wins: v.iter().zip(&m4).filter(|(a, b)| a < b).count(),
                    mean_rmse: mean,
                    ratio: mean / m4_mean,
                }
            };
            let mut methods = vec![
                score(
                    LOFO,
                    set.iter()
                        .map(|r| {
                            let rule = &lofo_rules.iter().find(|(f, _)| *f == r.family).unwrap().1;
                            r.rule_rmse(rule)
                        })
                        .collect(),
                ),
                score(SHIPPED, set.iter().map(|r| r.rule_rmse(&shipped)).collect()),
                score(COMPARE, set.iter().map(|r| r.compare_rmse()).collect()),
            ];
            for (k, name) in law_names.iter().enumerate() {
                // NaN predictions (a law not fitted) count as a loss, not as a mean.
                let v: Vec<f64> = set
                    .iter()
                    .map(|r| {
                        let e = r.laws[k].rmse;
                        if e.is_finite() {
                            e
                        } else {
                            f64::INFINITY
                        }
                    })
                    .collect();
                methods.push(score(name, v));
            }
            let references = reference_scores(&set, &lofo_rules, &shipped);
            rows.push(CurvesRow {
                fraction: fr,
                family: g.clone(),
                curves: set.len(),
                m4_mean_rmse: m4_mean,
                methods,
                references,
            });
        }
    }
    CurvesReport {
        fractions: fractions.to_vec(),
        skipped,
        lofo_rules,
        lofo_configs,
        nested_all: nested_all_families,
        all_rule,
        shipped_rule: shipped,
        rows,
        records,
    }
}

/// The picks and the catalog `m4` against each variant of M4's own
/// estimator, on the curves of `set` where it gave a finite RMSE.
fn reference_scores(
    set: &[&CurveRecord],
    lofo_rules: &[(String, Rule)],
    shipped: &Rule,
) -> Vec<ReferenceScore> {
    REFERENCES
        .iter()
        .enumerate()
        .filter_map(|(k, (name, _))| {
            let sub: Vec<(&CurveRecord, f64)> = set
                .iter()
                .filter_map(|r| {
                    let e = r.references.get(k)?.rmse;
                    e.is_finite().then_some((*r, e))
                })
                .collect();
            if sub.is_empty() {
                return None;
            }
            let refs: Vec<f64> = sub.iter().map(|s| s.1).collect();
            let ref_mean = refs.iter().sum::<f64>() / refs.len() as f64;
            let score = |label: &str, f: &dyn Fn(&CurveRecord) -> f64| {
                let v: Vec<f64> = sub
                    .iter()
                    .map(|(r, _)| {
                        let e = f(r);
                        if e.is_finite() {
                            e
                        } else {
                            f64::INFINITY
                        }
                    })
                    .collect();
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                MethodScore {
                    method: label.to_string(),
                    wins: v.iter().zip(&refs).filter(|(a, b)| a < b).count(),
                    mean_rmse: mean,
                    ratio: mean / ref_mean,
                }
            };
            let lofo = |r: &CurveRecord| {
                let rule = &lofo_rules.iter().find(|(f, _)| *f == r.family).unwrap().1;
                r.rule_rmse(rule)
            };
            Some(ReferenceScore {
                reference: name.to_string(),
                curves: sub.len(),
                mean_rmse: ref_mean,
                methods: vec![
                    score(LOFO, &lofo),
                    score(SHIPPED, &|r| r.rule_rmse(shipped)),
                    score(COMPARE, &|r| r.compare_rmse()),
                    score("m4 (catalog law, slaw's fit)", &|r| r.m4()),
                ],
            })
        })
        .collect()
}

/// The report as text: one table per fraction (wins vs M4 and mean RMSE
/// ratio per family), the rules chosen.
pub fn text(rep: &CurvesReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for &fr in &rep.fractions {
        let rows: Vec<&CurvesRow> = rep.rows.iter().filter(|r| r.fraction == fr).collect();
        let Some(first) = rows.first() else { continue };
        let skipped = rep.skipped.iter().find(|k| k.0 == fr).map_or(0, |k| k.1);
        let _ = writeln!(
            s,
            "fit on the first {:.0}% of each curve's points, RMSE of ln L on the rest ({} curves skipped: window < {MIN_WINDOW} points)",
            100.0 * fr,
            skipped
        );
        let _ = write!(s, "{:<28}", "method: wins / ratio");
        for r in &rows {
            let _ = write!(s, " {:>17}", format!("{} ({})", r.family, r.curves));
        }
        s.push('\n');
        let _ = write!(s, "{:<28}", "M4 mean RMSE (x 1e-2)");
        for r in &rows {
            let _ = write!(s, " {:>17.3}", 100.0 * r.m4_mean_rmse);
        }
        s.push('\n');
        for (k, m) in first.methods.iter().enumerate() {
            let _ = write!(s, "{:<28}", m.method);
            for r in &rows {
                let ms = &r.methods[k];
                let ratio = if ms.ratio.is_finite() {
                    format!("{:.3}", ms.ratio)
                } else {
                    "inf".into()
                };
                let _ = write!(s, " {:>17}", format!("{}/{} {ratio}", ms.wins, r.curves));
            }
            s.push('\n');
        }
        for (k, (name, _)) in REFERENCES.iter().enumerate() {
            if rows.iter().all(|r| r.references.get(k).is_none()) {
                continue;
            }
            let _ = writeln!(
                s,
                "against {name}: wins / ratio (curves where it gave a finite RMSE)"
            );
            let _ = write!(s, "{:<28}", "  its mean RMSE (x 1e-2)");
            for r in &rows {
                let cell = r
                    .references
                    .iter()
                    .find(|x| x.reference == *name)
                    .map_or("-".to_string(), |x| {
                        format!("{:.3} ({})", 100.0 * x.mean_rmse, x.curves)
                    });
                let _ = write!(s, " {cell:>17}");
            }
            s.push('\n');
            let labels: Vec<String> = rows
                .iter()
                .find_map(|r| r.references.iter().find(|x| x.reference == *name))
                .map(|x| x.methods.iter().map(|m| m.method.clone()).collect())
                .unwrap_or_default();
            for (j, label) in labels.iter().enumerate() {
                let _ = write!(s, "{:<28}", format!("  {label}"));
                for r in &rows {
                    let cell = r.references.iter().find(|x| x.reference == *name).map_or(
                        "-".to_string(),
                        |x| {
                            let m = &x.methods[j];
                            let ratio = if m.ratio.is_finite() {
                                format!("{:.3}", m.ratio)
                            } else {
                                "inf".into()
                            };
                            format!("{}/{} {ratio}", m.wins, x.curves)
                        },
                    );
                    let _ = write!(s, " {cell:>17}");
                }
                s.push('\n');
            }
        }
        s.push('\n');
    }
    let _ = writeln!(s, "rules chosen leaving one family out (mean over the other families of ln(RMSE / RMSE of M4)):");
    for (f, r) in &rep.lofo_rules {
        let _ = writeln!(s, "  without {f:<13} {}", r.label());
    }
    if !rep.lofo_configs.is_empty() {
        let _ = writeln!(
            s,
            "configurations chosen leaving one family out (inner leave-one-family-out, goal's terms):"
        );
        for (f, c) in &rep.lofo_configs {
            let _ = writeln!(s, "  without {f:<13} {c}");
        }
    }
    if let Some(n) = &rep.nested_all {
        let _ = writeln!(
            s,
            "configurations scored by leave-one-family-out over every family (goal's terms, lower is better):"
        );
        for (k, (c, v)) in n.scores.iter().enumerate() {
            let mark = if k == n.chosen { "  <- chosen" } else { "" };
            let _ = writeln!(s, "  {c:<40} {v:.4}{mark}");
        }
        let runner_up = (0..n.scores.len())
            .filter(|&k| k != n.chosen)
            .min_by(|&a, &b| n.scores[a].1.total_cmp(&n.scores[b].1));
        if let Some(k) = runner_up {
            let _ = writeln!(
                s,
                "  margin over the runner-up ({}): {:.4}",
                n.scores[k].0,
                n.scores[k].1 - n.scores[n.chosen].1
            );
        }
    }
    let _ = writeln!(s, "rule chosen on every family: {}", rep.all_rule.label());
    let _ = writeln!(
        s,
        "shipped rule:                {}",
        rep.shipped_rule.label()
    );
    s
}

/// One row per curve, fraction and method (RMSE of ln L on the later part).
pub fn csv(rep: &CurvesReport) -> String {
    use std::fmt::Write;
    let shipped = &rep.shipped_rule;
    let mut s = String::from("family,curve,fraction,window,later,method,rmse_log\n");
    for r in &rep.records {
        let lofo = &rep
            .lofo_rules
            .iter()
            .find(|(f, _)| *f == r.family)
            .expect("a rule per family")
            .1;
        let mut row = |m: &str, v: f64| {
            let _ = writeln!(
                s,
                "{},\"{}\",{},{},{},{m},{v}",
                r.family, r.name, r.fraction, r.window, r.later
            );
        };
        row(LOFO, r.rule_rmse(lofo));
        row(SHIPPED, r.rule_rmse(shipped));
        row(COMPARE, r.compare_rmse());
        for l in &r.laws {
            row(&l.law, l.rmse);
        }
        for x in &r.references {
            row(&x.name, x.rmse);
        }
    }
    s
}

/// What the fits produced (every law's backtests and predictions on every
/// curve), saved so that the rules can be re-scored without refitting.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Records {
    /// The window fractions evaluated.
    pub fractions: Vec<f64>,
    /// Curves skipped per fraction.
    pub skipped: Vec<(f64, usize)>,
    /// Every curve's inputs at every fraction.
    pub records: Vec<CurveRecord>,
}

impl CurvesReport {
    /// What to save to re-score the rules later (`evaluate_records`).
    pub fn records(&self) -> Records {
        Records {
            fractions: self.fractions.clone(),
            skipped: self.skipped.clone(),
            records: self.records.clone(),
        }
    }
}

/// The report from saved [`Records`].
pub fn evaluate_records(r: Records) -> CurvesReport {
    evaluate(r.records, &r.fractions, r.skipped)
}

/// [`evaluate_records`], the rules chosen among [`extended_rules`] with
/// `extended`.
pub fn evaluate_records_with(r: Records, extended: bool) -> CurvesReport {
    evaluate_with(r.records, &r.fractions, r.skipped, extended)
}

/// [`evaluate_records`], the rules chosen among those of `set`.
pub fn evaluate_records_rules(r: Records, set: RuleSet) -> CurvesReport {
    evaluate_rules(r.records, &r.fractions, r.skipped, set)
}

/// NaN saved as JSON null and read back (serde_json writes NaN as null).
mod nan_null {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

mod nan_null_vec {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| x.is_finite().then_some(*x)))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<Option<f64>>::deserialize(d)?
            .into_iter()
            .map(|x| x.unwrap_or(f64::NAN))
            .collect())
    }
}

#[cfg(test)]
mod template_tests {
    use super::*;

    /// The templates come per rule, per shrink, per correction (the order
    /// the rule search breaks ties in), as the loops each family wrote
    /// for itself did.
    #[test]
    fn templates_come_per_rule_then_shrink_then_correction() {
        let rules = capped_pool_rules();
        let mut gated = Vec::new();
        let mut sizes = Vec::new();
        for r in &rules {
            for shrink in CORRECTION_SHRINKS {
                for c in [
                    pick::Correction::Gated {
                        shrink,
                        drift: Vec::new(),
                    },
                    pick::Correction::Capped {
                        shrink,
                        drift: Vec::new(),
                    },
                ] {
                    gated.push(Rule {
                        correction: c,
                        ..r.clone()
                    });
                }
                for split in SIZE_SPLITS {
                    sizes.push(Rule {
                        correction: pick::Correction::PerSize {
                            shrink,
                            split,
                            small: Vec::new(),
                            large: Vec::new(),
                        },
                        ..r.clone()
                    });
                }
            }
        }
        assert_eq!(gated_templates(), gated);
        assert_eq!(per_size_templates(), sizes);
        let n = rules.len() * CORRECTION_SHRINKS.len();
        assert_eq!(own_drift_rules().len(), n);
        assert_eq!(blend_templates().len(), n * (OWN_WEIGHTS.len() + 1));
        assert_eq!(keyed_templates(&[]).len(), 0);
        let blend = blend_templates();
        assert!(matches!(
            &blend[3].correction,
            pick::Correction::Blend { shrink, learned: true, own_weight, .. }
                if *shrink == CORRECTION_SHRINKS[0] && own_weight.is_empty()
        ));
    }
}
