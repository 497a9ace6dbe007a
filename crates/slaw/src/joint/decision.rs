//! Which fine-tuning method for a user's setting: each method's predicted
//! loss with a bootstrap interval, the recommendation, and the critical data
//! sizes where methods trade places.

use super::critical::{closed_form, crossings, ClosedForm};
use super::{bootstrap_predictions, Form, MethodFit, Runs};
use crate::bootstrap::{Interval, Resampling};
use crate::fit::FitOptions;
use crate::law::Params;
use crate::selection::calibrate::IntervalKind;
use crate::{Error, Result};

/// The user's setting: the factor's value (e.g. model size) and the
/// fine-tuning data size.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Setting {
    /// The factor varied (a factor column's name, e.g. model_size).
    pub factor: String,
    /// The factor's value X (e.g. parameters), > 0.
    pub x: f64,
    /// The fine-tuning data size D_f, > 0.
    pub d: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
/// One method's predicted loss at the setting.
#[non_exhaustive]
pub struct MethodPrediction {
    /// The fine-tuning method.
    pub method: String,
    /// The fitted law's loss at (X, D_f).
    pub predicted_loss: f64,
    /// Bootstrap percentile interval of the prediction at `Recommendation::level` (None without a
    /// bootstrap, or when fewer replicates converged than an interval at the level needs).
    pub interval: Option<Interval>,
    /// What the interval covers: a bootstrap of the runs (within each
    /// factor, both stages refitted), i.e. the noise of the fit's parameters
    /// only, not the error of extrapolating the law (None without an
    /// interval).
    pub interval_kind: Option<IntervalKind>,
    /// Bootstrap replicates that converged.
    pub replicates: usize,
}

/// Critical data sizes of one pair of methods over a range of X.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct CriticalCurve {
    /// The pair of methods.
    pub methods: (String, String),
    /// The closed form D_c = H X^gamma from the multiplicative parameters
    /// (exact when the two E agree).
    pub closed_form: Option<ClosedForm>,
    /// At the setting's X: every D_f where the losses cross.
    pub at_setting: Vec<f64>,
    /// (X, crossings) over the range.
    pub curve: Vec<(f64, Vec<f64>)>,
    /// The two methods' losses agree (to 1e-12 in ln L) at every D_f of the
    /// range at the setting's X: there is no crossing to report (`at_setting`
    /// is then empty, not every D_f).
    pub coincide: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
/// Which fine-tuning method to use at a setting, and where methods trade places.
#[non_exhaustive]
pub struct Recommendation {
    /// The setting asked about.
    pub setting: Setting,
    /// The law form used for every prediction.
    pub form: Form,
    /// Best first.
    pub predictions: Vec<MethodPrediction>,
    /// Level of the predictions' bootstrap intervals.
    pub level: f64,
    /// The method of lowest predicted loss.
    pub recommended: String,
    /// The recommended method's interval lies below every other's.
    pub separated: bool,
    /// Critical data sizes, one entry per pair of methods.
    pub critical: Vec<CriticalCurve>,
    /// The D_f range searched for crossings.
    pub d_range: (f64, f64),
    /// The runs' range of the setting's factor X (smallest, largest value).
    pub runs_x: (f64, f64),
    /// The runs' range of D_f (smallest, largest): crossings outside it
    /// are extrapolations of the laws.
    pub runs_d: (f64, f64),
    /// What the reader should know: a setting far outside the runs' ranges
    /// (an extrapolation the intervals do not cover), bootstraps with too
    /// few converged replicates for an interval.
    pub notes: Vec<String>,
    /// The same messages as `notes`, every one a warning (the key every
    /// command's warnings have; `notes` stays for compatibility).
    pub warnings: Vec<String>,
}

impl Recommendation {
    /// `x` lies within the runs' range of X (`runs_x`, to 1e-9 relative).
    pub fn within_runs_x(&self, x: f64) -> bool {
        within(self.runs_x, x)
    }

    /// `d` lies within the runs' range of D_f (`runs_d`, to 1e-9 relative):
    /// a crossing outside it is the laws extrapolated.
    pub fn within_runs_d(&self, d: f64) -> bool {
        within(self.runs_d, d)
    }
}

fn within((lo, hi): (f64, f64), v: f64) -> bool {
    v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9)
}

/// How far (a ratio) outside the runs' range of X or D_f a setting must lie
/// to be noted as an extrapolation: a decade.
pub const FAR_OUTSIDE: f64 = 10.0;

/// The default D_f range searched for crossings: from 1e-4 times the
/// smallest to 1e6 times the largest data size of the runs and the
/// setting's `d`. It follows the data (a ratio span around the observed
/// D_f), so the same runs in other units of D_f give the same crossings.
///
/// A D_f so large or so small that the range leaves the doubles (1e308 or
/// 1e-320 in the file) is an error naming the run's row and the column
/// `data_col` (or `--data`, when `d` is the cause), not the range.
pub fn d_range(runs: &Runs, d: f64, data_col: &str) -> Result<(f64, f64)> {
    let usable = |v: f64| (v * 1e-4).is_normal() && (v * 1e6).is_finite();
    if d > 0.0 && d.is_finite() && !usable(d) {
        return Err(Error::setting(
            crate::error::Setting::DataSize,
            format!(
                "{}: the D_f range searched for crossings (1e-4 to 1e6 times the data sizes) \
                 leaves the range of doubles; give a data size between 1e-300 and 1e300",
                crate::numbers::short(d)
            ),
        ));
    }
    if let Some(r) = runs.runs.iter().find(|r| !usable(r.d)) {
        return Err(Error::input(
            &runs.source,
            Some(r.line),
            Some(data_col),
            format!(
                "a data size of {} puts the D_f range searched for crossings (1e-4 to 1e6 times \
                 the runs' data sizes) outside the range of doubles: is the value right?",
                crate::numbers::short(r.d)
            ),
        ));
    }
    let (lo, hi) = runs
        .runs
        .iter()
        .map(|r| r.d)
        .fold((d, d), |(lo, hi), v| (lo.min(v), hi.max(v)));
    Ok((lo * 1e-4, hi * 1e6))
}

/// The range of the factor X over which the critical data sizes are
/// traced: from half the smallest to four times the largest of the values
/// of factor `k` (an index into `Runs::factors`) in the runs and the
/// setting's `x`.
pub fn x_range(runs: &Runs, k: usize, x: f64) -> (f64, f64) {
    let xs = runs.runs.iter().filter(|r| r.factor == k).map(|r| r.x);
    let (lo, hi) = xs.fold((x, x), |(lo, hi), v| (lo.min(v), hi.max(v)));
    (lo / 2.0, hi * 4.0)
}

fn mult_law(fit: &MethodFit, factor: &str) -> Option<Params> {
    fit.form(Form::Multiplicative).params_of(factor)
}

#[allow(clippy::too_many_arguments)]
/// Predict every method's loss at `setting` with `form` (with the `bootstrap`'s intervals: runs resampled within each factor, both stages refitted), recommend the lowest, and find the critical data sizes of every pair over `x_range` (D_f searched in `d_range`).
pub fn recommend(
    runs: &Runs,
    fits: &[MethodFit],
    setting: &Setting,
    form: Form,
    opts: &FitOptions,
    bootstrap: &Resampling,
    x_range: (f64, f64),
    d_range: (f64, f64),
) -> Result<Recommendation> {
    if fits.len() < 2 {
        return Err(Error::data(format!(
            "{}: choosing a method needs runs of at least two methods (found {})",
            runs.source,
            fits.len()
        )));
    }
    if !(setting.x > 0.0 && setting.x.is_finite()) {
        return Err(Error::setting(
            crate::error::Setting::DecisionPoint,
            format!(
                "the factor value must be a finite number > 0, got {}",
                setting.x
            ),
        ));
    }
    if !(setting.d > 0.0 && setting.d.is_finite()) {
        return Err(Error::setting(
            crate::error::Setting::DataSize,
            format!(
                "the fine-tuning data size must be a finite number > 0, got {}",
                setting.d
            ),
        ));
    }
    if !(d_range.0 > 0.0 && d_range.1 > d_range.0 && d_range.1.is_finite()) {
        return Err(Error::setting(
            crate::error::Setting::DecisionPoint,
            format!(
                "the D_f range searched for crossings needs 0 < LO < HI (finite), got {}:{}",
                d_range.0, d_range.1
            ),
        ));
    }
    bootstrap.check_replicates()?;
    let mut notes = extrapolation_notes(runs, setting);
    let (runs_x, runs_d) = runs_span(runs, &setting.factor);
    let need = Resampling::min_replicates(bootstrap.level);
    let mut predictions = Vec::new();
    for f in fits {
        let ff = f.form(form);
        let loss = ff
            .predict(&setting.factor, setting.x, setting.d)
            .ok_or_else(|| {
                Error::data(format!(
                    "{}: method '{}' has no runs varying '{}' (its factors: {})",
                    runs.source,
                    f.method,
                    setting.factor,
                    ff.factors
                        .iter()
                        .map(|x| x.factor.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        let (interval, replicates) = if bootstrap.replicates > 0 {
            let (iv, n) = bootstrap_predictions(
                runs,
                f,
                form,
                opts,
                &[(setting.factor.clone(), setting.x, setting.d)],
                bootstrap,
            )?;
            if n >= need && bootstrap.enough(n) {
                (Some(iv[0]), n)
            } else {
                notes.push(format!(
                    "method '{}': {n} of {} bootstrap replicates converged, too few for a {} \
                     interval (at least {need}, and half of those drawn): no interval",
                    f.method,
                    bootstrap.replicates,
                    crate::numbers::percent(bootstrap.level)
                ));
                (None, n)
            }
        } else {
            (None, 0)
        };
        predictions.push(MethodPrediction {
            method: f.method.clone(),
            predicted_loss: loss,
            interval_kind: interval.map(|_| IntervalKind::Bootstrap {
                level: bootstrap.level,
            }),
            interval,
            replicates,
        });
    }
    predictions.sort_by(|a, b| a.predicted_loss.total_cmp(&b.predicted_loss));
    let best = &predictions[0];
    let separated = match best.interval {
        Some(b) => predictions[1..]
            .iter()
            .all(|p| p.interval.is_some_and(|i| b.hi < i.lo)),
        None => false,
    };
    let xs = crate::numbers::log_space(x_range.0, x_range.1, 25);
    let mut critical = Vec::new();
    for i in 0..fits.len() {
        for j in i + 1..fits.len() {
            let (f1, f2) = (fits[i].form(form), fits[j].form(form));
            let gap = |x: f64, d: f64| {
                f1.predict(&setting.factor, x, d).unwrap_or(f64::NAN).ln()
                    - f2.predict(&setting.factor, x, d).unwrap_or(f64::NAN).ln()
            };
            // Equal losses over the whole range (identical fits, e.g. on a
            // constant loss) are no crossing, not a crossing at every D_f.
            let same = |x: f64| {
                crate::numbers::log_space(d_range.0, d_range.1, 401)
                    .iter()
                    .all(|&d| gap(x, d).abs() <= 1e-12)
            };
            let cross = |x: f64| {
                if same(x) {
                    Vec::new()
                } else {
                    crossings(|d| gap(x, d), d_range.0, d_range.1)
                }
            };
            let cf = match (
                mult_law(&fits[i], &setting.factor),
                mult_law(&fits[j], &setting.factor),
            ) {
                (Some(a), Some(b)) => closed_form(&a, &b),
                _ => None,
            };
            critical.push(CriticalCurve {
                methods: (fits[i].method.clone(), fits[j].method.clone()),
                closed_form: cf,
                at_setting: cross(setting.x),
                curve: xs.iter().map(|&x| (x, cross(x))).collect(),
                coincide: same(setting.x),
            });
        }
    }
    Ok(Recommendation {
        setting: setting.clone(),
        form,
        recommended: predictions[0].method.clone(),
        predictions,
        level: bootstrap.level,
        separated,
        critical,
        d_range,
        runs_x,
        runs_d,
        warnings: notes.clone(),
        notes,
    })
}

/// The runs' (smallest, largest) value of `factor`'s X and of D_f
/// ((inf, -inf) where there is none).
fn runs_span(runs: &Runs, factor: &str) -> ((f64, f64), (f64, f64)) {
    let span = |v: &mut dyn Iterator<Item = f64>| {
        v.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        })
    };
    let k = runs.factors.iter().position(|f| f.name == factor);
    let xs = span(
        &mut runs
            .runs
            .iter()
            .filter(|r| Some(r.factor) == k)
            .map(|r| r.x),
    );
    let ds = span(&mut runs.runs.iter().map(|r| r.d));
    (xs, ds)
}

/// Notes for a setting more than [`FAR_OUTSIDE`] beyond the runs' range of
/// its factor's X or of D_f: the law is extrapolated there, and the
/// bootstrap intervals (the fit's noise) do not cover that error.
fn extrapolation_notes(runs: &Runs, setting: &Setting) -> Vec<String> {
    let (xs, ds) = runs_span(runs, &setting.factor);
    let mut notes = Vec::new();
    for (what, v, (lo, hi)) in [
        (
            format!("{} = {}", setting.factor, crate::numbers::num(setting.x)),
            setting.x,
            xs,
        ),
        (
            format!("D_f = {}", crate::numbers::num(setting.d)),
            setting.d,
            ds,
        ),
    ] {
        if !(lo.is_finite() && hi.is_finite()) {
            continue;
        }
        let ratio = if v > hi {
            Some((v / hi, "above the largest", hi))
        } else if v < lo {
            Some((lo / v, "below the smallest", lo))
        } else {
            None
        };
        if let Some((r, side, end)) = ratio.filter(|(r, _, _)| *r > FAR_OUTSIDE) {
            notes.push(format!(
                "{what} is {r:.0}x {side} value of the runs ({}): the laws are extrapolated far \
                 outside the data, and the intervals (the fit's noise only) do not cover that error",
                crate::numbers::num(end)
            ));
        }
    }
    notes
}
