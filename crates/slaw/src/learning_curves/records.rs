//! What the fits produce on every curve at every window fraction (every
//! law's backtests and predictions, M4's, the references'), saved so that
//! rules can be re-scored without refitting.

use super::*;

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

pub(super) fn nan() -> f64 {
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
pub(super) fn reference_fits(
    window: &Observations,
) -> Vec<Option<crate::m4_reference::M4Reference>> {
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

pub(super) fn reference_records(
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
pub(super) fn m4_authors_record(
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
pub(super) fn n_params(name: &str) -> usize {
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

pub(super) fn rmse_of(ln_pred: &[f64], ln_truth: impl Iterator<Item = f64>) -> f64 {
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
    pub(super) fn law_index(&self, name: &str) -> Option<usize> {
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
    pub(super) fn origin_columns(rule: &Rule) -> Vec<usize> {
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

/// NaN saved as JSON null and read back (serde_json writes NaN as null).
pub(super) mod nan_null {
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

pub(super) mod nan_null_vec {
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
