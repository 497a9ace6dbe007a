//! Which fine-tuning method for a user's setting: each method's predicted
//! loss with a bootstrap interval, the recommendation, and the critical data
//! sizes where methods trade places.

use super::critical::{closed_form_at, crossings, ClosedForm};
use super::{
    bootstrap_fits, ExtrapolationRates, Form, FormFit, LeftOut, MethodFit, RateRule, Runs,
};
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
    /// The interval of the prediction at `Recommendation::level`, of the
    /// kind asked for ([`Intervals`]): `bootstrap_interval` or
    /// `predictive_interval` (None without a bootstrap, or when fewer
    /// replicates converged than an interval at the level needs).
    pub interval: Option<Interval>,
    /// What `interval` covers: `bootstrap` (a bootstrap of the runs, within
    /// each factor, both stages refitted: the noise of the fit's parameters
    /// only, not the error of extrapolating the law) or `held-out` (that
    /// bootstrap widened by the law's own extrapolation error measured on
    /// the held-out runs, scaled to the setting's distance beyond the
    /// fitting runs: meant to cover the law's mean loss at the setting).
    /// None without an interval.
    pub interval_kind: Option<IntervalKind>,
    /// The bootstrap percentile interval, whichever kind `interval` is.
    pub bootstrap_interval: Option<Interval>,
    /// The bootstrap interval widened by the extrapolation error
    /// ([`predictive_interval`]), whichever kind `interval` is (None
    /// without a bootstrap interval, or outside the fitting runs without
    /// held-out runs outside them to measure the error on).
    pub predictive_interval: Option<Interval>,
    /// How far the setting lies outside the method's fitting runs of the
    /// factor, in ln units of X plus ln units of D_f (0 inside).
    pub extrapolation_distance: f64,
    /// The law's error in ln L per ln unit of extrapolation on the held-out
    /// runs, the noise taken out ([`RATE_RULE`]), pooled over them
    /// (`extrapolation_rates.pooled`).
    pub extrapolation_error_rate: Option<f64>,
    /// The same per direction ([`FormFit::extrapolation_rates`]): pooled,
    /// above and below the runs in X, above and below them in D_f.
    pub extrapolation_rates: Option<ExtrapolationRates>,
    /// Bootstrap replicates that converged.
    pub replicates: usize,
    /// Bootstrap replicates drawn (0 without a bootstrap): those beyond
    /// `replicates` failed (their refit did not converge or gave no loss at
    /// the setting) and are in no interval or replicate pair.
    pub replicates_drawn: usize,
    /// The method's fitting runs each replicate resamples, per factor
    /// ([`super::resampled_runs`]; empty without a bootstrap): how many
    /// runs the bootstrap interval rests on.
    pub bootstrap_runs: Vec<super::FactorRuns>,
}

/// Which interval `recommend` reports as each prediction's `interval` (both
/// are computed and given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Intervals {
    /// The bootstrap percentiles: the fit's noise only.
    #[default]
    Bootstrap,
    /// The bootstrap widened by the law's extrapolation error measured on
    /// its held-out runs ([`predictive_interval`]).
    Predictive,
}

/// The multiple of the normal quantile times the law's extrapolation
/// error that widens the bootstrap interval ([`predictive_interval`]): 1,
/// no tuning (the error is read as a standard deviation). Its coverage,
/// and that of the other values tried, is in BENCHMARKS.md ("Joint laws:
/// coverage of `slaw methods` intervals").
pub const EXTRAPOLATION_SCALE: f64 = 1.0;

/// How the predictive interval measures the law's extrapolation error on
/// the held-out runs: the noise taken out, pooled
/// ([`RateRule::Pooled`]: the mean over the held-out runs of (e^2 - the
/// runs' residual variance - the bootstrap variance of e) / d^2, floored at
/// 0 once), each direction with its own rate ([`PER_DIRECTION`]). Chosen
/// among the rules in BENCHMARKS.md, all fixed before measuring.
pub const RATE_RULE: RateRule = RateRule::Pooled;

/// Whether the predictive interval scales each direction's distance beyond
/// the fitting runs by its own rate (X above, X below, D_f above, D_f
/// below; the pooled rate in a direction where no run is held out: below
/// the runs under the default holdout) rather than one rate for all.
pub const PER_DIRECTION: bool = true;

/// The bootstrap interval `boot` of a prediction `p` (> 0) widened, on each
/// side in ln units, in quadrature by `scale` x z x `spread` (z the normal
/// quantile of the two-sided `level`): `spread` the law's own error in ln
/// L when it extrapolates as far as the setting lies beyond the fitting
/// runs ([`ExtrapolationRates::spread`]). At spread 0 (inside the runs, or
/// no error beyond the noise on the held-out runs) it is the bootstrap
/// interval, to the bit.
pub fn predictive_interval(
    p: f64,
    boot: Interval,
    spread: f64,
    level: f64,
    scale: f64,
) -> Interval {
    let m = scale * crate::stats::normal_quantile(0.5 + level / 2.0) * spread;
    if m == 0.0 {
        // Exactly the bootstrap's ends (exp(ln) would move them in the last bits).
        return boot;
    }
    let (below, above) = boot.ln_beyond(p);
    // Never inside the bootstrap's ends (exp(ln) can move them by an ulp).
    Interval {
        lo: (p * (-below.hypot(m)).exp()).min(boot.lo),
        hi: (p * above.hypot(m).exp()).max(boot.hi),
    }
}

/// The bootstrap of the crossing of two methods at X: each pair of
/// replicates (the i-th converged of each method, in the order drawn;
/// the methods' bootstraps are drawn with the same seed, their noise
/// independent) gives its crossing nearest `reference` in ln D_f (the
/// point estimate's first crossing; without one, the replicate's smallest).
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[non_exhaustive]
pub struct CrossingInterval {
    /// Percentiles of the replicates' crossings at the level, among the
    /// replicates with a crossing (None when fewer than the level needs
    /// have one, when more than (1 - level) of the pairs have no crossing
    /// (see `crossing_range_of_replicates_that_cross`), or when fewer than
    /// half of the replicates drawn converged: `too_few_converged`).
    pub interval: Option<Interval>,
    /// No interval because fewer than half of the drawn replicates
    /// converged (the rule of every other interval here), however many
    /// pairs cross.
    pub too_few_converged: bool,
    /// Pairs of replicates with a crossing in the D_f range.
    pub with_crossing: usize,
    /// Pairs of replicates without a crossing in the D_f range (counted,
    /// not in the percentiles).
    pub without_crossing: usize,
    /// The percentile range at the level of the crossings of the pairs
    /// that cross, given when `interval` is None because more than
    /// (1 - level) of the pairs have no crossing: a range conditional on a
    /// crossing, not an interval of the crossing at the level (None
    /// otherwise, and when too few pairs cross for it).
    pub crossing_range_of_replicates_that_cross: Option<Interval>,
}

/// Every D_f in `d_range` where the two fits' losses of `factor` cross at
/// `x` (none when they agree, to 1e-12 in ln L, over the whole range, or
/// when a method has no runs varying `factor`).
pub fn crossings_at(
    f1: &FormFit,
    f2: &FormFit,
    factor: &str,
    x: f64,
    d_range: (f64, f64),
) -> Vec<f64> {
    let (Some(p1), Some(p2)) = (f1.params_of(factor), f2.params_of(factor)) else {
        return Vec::new();
    };
    if coincide_at(f1, f2, factor, x, d_range) {
        return Vec::new();
    }
    let (l1, l2) = (f1.law(), f2.law());
    let gap = |d: f64| l1.predict(&[x, d], &p1).ln() - l2.predict(&[x, d], &p2).ln();
    crossings(gap, d_range.0, d_range.1)
}

/// Whether the two fits' losses of `factor` at `x` agree, to 1e-12 in ln
/// L, at 401 D_f spread evenly in ln D_f over `d_range` (false when a
/// method has no runs varying `factor`): "the same laws", with no
/// crossing to report.
pub fn coincide_at(f1: &FormFit, f2: &FormFit, factor: &str, x: f64, d_range: (f64, f64)) -> bool {
    let (Some(p1), Some(p2)) = (f1.params_of(factor), f2.params_of(factor)) else {
        return false;
    };
    let (l1, l2) = (f1.law(), f2.law());
    crate::numbers::log_space(d_range.0, d_range.1, 401)
        .iter()
        .all(|&d| (l1.predict(&[x, d], &p1).ln() - l2.predict(&[x, d], &p2).ln()).abs() <= 1e-12)
}

/// Each pair of replicates' crossing ([`CrossingInterval`]'s rule), and
/// the number of pairs without one.
pub fn replicate_crossings(
    reps1: &[FormFit],
    reps2: &[FormFit],
    factor: &str,
    x: f64,
    d_range: (f64, f64),
    reference: Option<f64>,
) -> (Vec<f64>, usize) {
    let mut found = Vec::new();
    let mut without = 0;
    for (a, b) in reps1.iter().zip(reps2) {
        let c = crossings_at(a, b, factor, x, d_range);
        let pick = match reference {
            Some(r) => c
                .iter()
                .copied()
                .min_by(|u, v| (u / r).ln().abs().total_cmp(&(v / r).ln().abs())),
            None => c.first().copied(),
        };
        match pick {
            Some(v) => found.push(v),
            None => without += 1,
        }
    }
    (found, without)
}

impl CrossingInterval {
    /// The interval at `level` of the crossings of [`replicate_crossings`]
    /// (None when fewer pairs have a crossing than the level needs).
    /// When more than (1 - level) of the pairs have no crossing, the
    /// percentiles of those that cross are no interval at the level of the
    /// crossing: `interval` is None and the range is
    /// `crossing_range_of_replicates_that_cross`.
    pub fn of(found: &[f64], without: usize, level: f64) -> CrossingInterval {
        let n = found.len();
        let range = (n >= Resampling::min_replicates(level))
            .then(|| crate::bootstrap::interval_of(found.to_vec(), level));
        let mostly_without = Self::mostly_without(n, without, level);
        CrossingInterval {
            interval: if mostly_without { None } else { range },
            with_crossing: n,
            without_crossing: without,
            too_few_converged: false,
            crossing_range_of_replicates_that_cross: if mostly_without { range } else { None },
        }
    }

    /// More than (1 - `level`) of the `with + without` pairs have no
    /// crossing.
    pub fn mostly_without(with: usize, without: usize, level: f64) -> bool {
        let pairs = with + without;
        // the tolerance keeps exactly (1 - level) of the pairs (0.1 * 10 =
        // 0.9999999999999998 at 90%) on the side of an interval
        pairs > 0 && without as f64 > (1.0 - level) * pairs as f64 + 1e-9
    }

    /// More than (1 - level) of the pairs have no crossing: no interval at
    /// the level (the counts say it).
    pub fn is_mostly_without(&self, level: f64) -> bool {
        Self::mostly_without(self.with_crossing, self.without_crossing, level)
    }
}

/// [`CrossingInterval`] from two methods' bootstrap replicates.
pub fn crossing_interval(
    reps1: &[FormFit],
    reps2: &[FormFit],
    factor: &str,
    x: f64,
    d_range: (f64, f64),
    reference: Option<f64>,
    bootstrap: &Resampling,
) -> CrossingInterval {
    let (found, without) = replicate_crossings(reps1, reps2, factor, x, d_range, reference);
    let mut c = CrossingInterval::of(&found, without, bootstrap.level);
    // The rule of every other interval here: no interval when fewer than
    // half of the drawn replicates converged (the pairs are the converged
    // replicates of both methods).
    if !bootstrap.enough(found.len() + without) {
        c.interval = None;
        c.crossing_range_of_replicates_that_cross = None;
        c.too_few_converged = true;
    }
    c
}

/// Critical data sizes of one pair of methods over a range of X.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct CriticalCurve {
    /// The pair of methods.
    pub methods: (String, String),
    /// The closed form D_c = H X^gamma from the multiplicative parameters
    /// (exact when the two E agree; `valid` at the setting's X by the rule
    /// of [`closed_form_at`]).
    pub closed_form: Option<ClosedForm>,
    /// At the setting's X: every D_f where the losses cross.
    pub at_setting: Vec<f64>,
    /// The bootstrap interval of the crossing at the setting's X, at
    /// `Recommendation::level`, with the replicates that have no crossing
    /// counted (None without a bootstrap). The noise of the fits only.
    pub at_setting_interval: Option<CrossingInterval>,
    /// (X, crossings) over the range.
    pub curve: Vec<(f64, Vec<f64>)>,
    /// The two methods' losses agree (to 1e-12 in ln L) at every D_f of the
    /// range at the setting's X: there is no crossing to report (`at_setting`
    /// is then empty, not every D_f).
    pub coincide: bool,
    /// At the setting's X, the method with the lower predicted loss on each
    /// stretch of the D_f range the crossings `at_setting` cut it into, from
    /// the smallest D_f up (one more than the crossings; empty where the
    /// losses coincide or a method cannot be predicted): which method wins
    /// below a critical data size and which above it.
    pub lower_between: Vec<String>,
}

/// At `x`, the method (`m1` fitted as `f1`, `m2` as `f2`) with the lower loss on each stretch of
/// `d_range` that `crossings` (ascending, inside it) cut it into, judged at
/// each stretch's geometric middle.
fn lower_between(
    (f1, f2): (&FormFit, &FormFit),
    (m1, m2): (&str, &str),
    factor: &str,
    x: f64,
    d_range: (f64, f64),
    crossings: &[f64],
) -> Vec<String> {
    let (Some(p1), Some(p2)) = (f1.params_of(factor), f2.params_of(factor)) else {
        return Vec::new();
    };
    let (l1, l2) = (f1.law(), f2.law());
    let mut ends = vec![d_range.0];
    ends.extend(crossings.iter().copied());
    ends.push(d_range.1);
    ends.windows(2)
        .map(|w| {
            let d = (w[0] * w[1]).sqrt();
            let (a, b) = (l1.predict(&[x, d], &p1), l2.predict(&[x, d], &p2));
            if a <= b { m1 } else { m2 }.to_string()
        })
        .collect()
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
    /// Level of the predictions' intervals (and the crossings').
    pub level: f64,
    /// Which interval each prediction's `interval` is.
    pub intervals: Intervals,
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
    /// command's warnings have; `notes` stays for compatibility). They
    /// include the warnings about the fits of `form` (the form every
    /// prediction uses), each prefixed "method M:", and, when the held-out
    /// comparison of the two forms favours the other form beyond its
    /// noise, a warning saying so.
    pub warnings: Vec<String>,
    /// Those of `warnings` about the setting itself (far outside the runs'
    /// ranges), which a report prints next to the recommendation they
    /// undermine. Not serialized: they are in `warnings`.
    #[serde(skip)]
    pub setting_warnings: Vec<String>,
    /// Information that is no warning: how many warnings the fits of the
    /// form not used have (the fits list them), the methods' notes.
    pub info: Vec<String>,
    /// The methods whose held-out comparison favours the form not used
    /// (by more than twice its standard error; see
    /// `MethodFit::held_out`).
    pub other_form_better: Vec<String>,
    /// The methods left out of the decision, with the reason: their runs
    /// could not be fitted, or they have no runs varying the setting's
    /// factor.
    pub left_out: Vec<LeftOut>,
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

/// A setting at least this many times outside the runs' range gets a units
/// hint (a factor of a thousand is one unit prefix: 8 for 8e9, millions
/// for billions).
pub const UNIT_SLIP: f64 = 1000.0;

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
/// Predict every method's loss at `setting` with `form` (with the `bootstrap`'s intervals: runs resampled within each factor, both stages refitted), recommend the lowest, and find the critical data sizes of every pair over `x_range` (D_f searched in `d_range`). The bootstrap intervals are each prediction's `interval` ([`recommend_with`] chooses).
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
    recommend_with(
        runs,
        fits,
        setting,
        form,
        opts,
        bootstrap,
        x_range,
        d_range,
        Intervals::default(),
    )
}

#[allow(clippy::too_many_arguments)]
/// The whole decision from the runs: every method fitted
/// ([`super::fit_each`]: a method whose runs cannot be fitted is left out
/// with its reason), then [`recommend_with`]. Returns the recommendation
/// and the fits (the methods left out have none).
pub fn decide(
    runs: &Runs,
    setting: &Setting,
    form: Form,
    opts: &FitOptions,
    bootstrap: &Resampling,
    x_range: (f64, f64),
    d_range: (f64, f64),
    intervals: Intervals,
) -> Result<(Recommendation, Vec<MethodFit>)> {
    let (fits, left_out) = super::fit_each(runs, opts)?;
    let rec = recommend_left(
        runs, &fits, left_out, setting, form, opts, bootstrap, x_range, d_range, intervals,
    )?;
    Ok((rec, fits))
}

#[allow(clippy::too_many_arguments)]
/// [`recommend`] with each prediction's `interval` of the kind `intervals`.
pub fn recommend_with(
    runs: &Runs,
    fits: &[MethodFit],
    setting: &Setting,
    form: Form,
    opts: &FitOptions,
    bootstrap: &Resampling,
    x_range: (f64, f64),
    d_range: (f64, f64),
    intervals: Intervals,
) -> Result<Recommendation> {
    recommend_left(
        runs,
        fits,
        Vec::new(),
        setting,
        form,
        opts,
        bootstrap,
        x_range,
        d_range,
        intervals,
    )
}

/// The left-out methods as one sentence each ("method 'M' left out: ...").
fn left_out_note(l: &LeftOut) -> String {
    format!(
        "method '{}' left out of the decision: {}",
        l.method, l.reason
    )
}

#[allow(clippy::too_many_arguments)]
fn recommend_left(
    runs: &Runs,
    all_fits: &[MethodFit],
    mut left_out: Vec<LeftOut>,
    setting: &Setting,
    form: Form,
    opts: &FitOptions,
    bootstrap: &Resampling,
    x_range: (f64, f64),
    d_range: (f64, f64),
    intervals: Intervals,
) -> Result<Recommendation> {
    // A method with no runs varying the setting's factor cannot predict
    // there: it is left out (as one whose runs could not be fitted).
    let mut fits: Vec<&MethodFit> = Vec::new();
    for f in all_fits {
        let ff = f.form(form);
        if ff.factor(&setting.factor).is_some() {
            fits.push(f);
        } else if let Some(sk) = f
            .skipped_factors
            .iter()
            .find(|s| s.factor == setting.factor)
        {
            // its runs of the setting's factor could not be fitted
            left_out.push(LeftOut {
                method: f.method.clone(),
                reason: sk.reason.clone(),
            });
        } else {
            left_out.push(LeftOut {
                method: f.method.clone(),
                reason: format!(
                    "{}: method '{}' has no runs varying '{}' (its factors: {})",
                    runs.source,
                    f.method,
                    setting.factor,
                    ff.factors
                        .iter()
                        .map(|x| x.factor.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    left_out.sort_by(|a, b| a.method.cmp(&b.method));
    if fits.len() < 2 {
        let why: String = left_out
            .iter()
            .map(|l| format!("; {}", left_out_note(l)))
            .chain(runs.notes.iter().map(|n| format!("; {n}")))
            .collect();
        return Err(Error::data(format!(
            "{}: choosing a method needs runs of at least two methods that can predict at the \
             setting (found {}){why}",
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
    // What reading the runs assumed (one method for a file without a
    // method column; names that differ only in case), first.
    let mut notes: Vec<String> = runs.notes.clone();
    notes.extend(left_out.iter().map(left_out_note));
    let setting_warnings = extrapolation_notes(runs, setting, intervals);
    notes.extend(setting_warnings.iter().cloned());
    let other = Form::BOTH.into_iter().find(|&f| f != form).unwrap_or(form);
    let mut other_form_better = Vec::new();
    let mut info = Vec::new();
    let mut other_warnings = 0;
    for f in &fits {
        if let Some(h) = f.held_out.as_ref().filter(|h| h.better == Some(other)) {
            other_form_better.push(f.method.clone());
            notes.push(format!(
                "method {}: the {} law predicts the held-out runs better than the {} law used \
                 here (mean absolute error lower by {} +/- {} over {} runs, beyond twice its \
                 standard error): this method's prediction and interval may be biased; \
                 predict with the {} form",
                f.method,
                other.name(),
                form.name(),
                crate::numbers::num(h.mean_difference.abs()),
                crate::numbers::num(h.std_error),
                h.n,
                other.name()
            ));
        }
        for w in f
            .warnings
            .iter()
            .filter(|w| f.skipped_factors.iter().any(|s| w.starts_with(&s.reason)))
        {
            notes.push(format!("method {}: {w}", f.method));
        }
        for w in &f.form(form).warnings {
            notes.push(format!("method {}: {w}", f.method));
        }
        other_warnings += f.form(other).warnings.len();
        for (kind, n) in f.labelled_notes() {
            if kind == "note" {
                info.push(format!("method {}: {n}", f.method));
            }
        }
    }
    if other_warnings > 0 {
        info.push(format!(
            "the {} law, not used for this decision, has {other_warnings} warning(s) about its \
             fits (each fit lists its own)",
            other.name()
        ));
    }
    let (runs_x, runs_d) = runs_span(runs, &setting.factor);
    let need = Resampling::min_replicates(bootstrap.level);
    let mut predictions = Vec::new();
    // every method's converged bootstrap fits, in the order of `fits`
    let mut boots: Vec<Vec<FormFit>> = Vec::new();
    for &f in &fits {
        let ff = f.form(form);
        let loss = ff
            .predict(&setting.factor, setting.x, setting.d)
            .ok_or_else(|| {
                Error::data(format!(
                    "{}: method '{}' has no runs varying '{}'",
                    runs.source, f.method, setting.factor,
                ))
            })?;
        let (reps, bootstrap_runs) = if bootstrap.replicates > 0 {
            (
                bootstrap_fits(runs, f, form, opts, bootstrap)?,
                super::resampled_runs(runs, &f.method)?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let draws: Vec<f64> = reps
            .iter()
            .filter_map(|r| r.predict(&setting.factor, setting.x, setting.d))
            .collect();
        let n = draws.len();
        let boot = if bootstrap.replicates == 0 {
            None
        } else if n >= need && bootstrap.enough(n) {
            Some(bootstrap.interval(draws))
        } else {
            notes.push(format!(
                "method '{}': {n} of {} bootstrap replicates converged, too few for a {} \
                 interval (at least {need}, and half of those drawn): no interval",
                f.method,
                bootstrap.replicates,
                crate::numbers::percent(bootstrap.level)
            ));
            None
        };
        let distance = ff
            .extrapolation_distance(&setting.factor, setting.x, setting.d)
            .unwrap_or(0.0);
        // The rates take the bootstrap's noise out: without enough
        // replicates (no interval either) they would mean something else.
        let rates = boot.and_then(|_| ff.extrapolation_rates(&reps, RATE_RULE));
        let offsets = ff.extrapolation_offsets(&setting.factor, setting.x, setting.d);
        // The law's error at the setting: none inside the runs (distance
        // 0: the bootstrap interval) whether or not a held-out run
        // measured a rate; unknown beyond them without one.
        let spread = match rates {
            Some(r) => Some(offsets.map_or(0.0, |o| r.spread(&o, PER_DIRECTION))),
            None => (distance == 0.0).then_some(0.0),
        };
        let predictive = boot
            .zip(spread)
            .map(|(b, s)| predictive_interval(loss, b, s, bootstrap.level, EXTRAPOLATION_SCALE));
        let rate = rates.map(|r| r.pooled);
        if intervals == Intervals::Predictive && boot.is_some() && predictive.is_none() {
            notes.push(format!(
                "method '{}': no held-out run outside the fitting runs to measure the law's \
                 extrapolation error on: no predictive interval",
                f.method
            ));
        }
        let (interval, kind) = match intervals {
            Intervals::Bootstrap => (
                boot,
                IntervalKind::Bootstrap {
                    level: bootstrap.level,
                },
            ),
            Intervals::Predictive => (
                predictive,
                IntervalKind::HeldOut {
                    level: bootstrap.level,
                },
            ),
        };
        boots.push(reps);
        predictions.push(MethodPrediction {
            method: f.method.clone(),
            predicted_loss: loss,
            interval_kind: interval.map(|_| kind),
            interval,
            bootstrap_interval: boot,
            predictive_interval: predictive,
            extrapolation_distance: distance,
            extrapolation_error_rate: rate,
            extrapolation_rates: rates,
            replicates: n,
            replicates_drawn: bootstrap.replicates,
            bootstrap_runs,
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
            let cross = |x: f64| crossings_at(f1, f2, &setting.factor, x, d_range);
            let at_setting = cross(setting.x);
            let at_setting_interval = (bootstrap.replicates > 0).then(|| {
                crossing_interval(
                    &boots[i],
                    &boots[j],
                    &setting.factor,
                    setting.x,
                    d_range,
                    at_setting.first().copied(),
                    bootstrap,
                )
            });
            let cf = match (
                mult_law(fits[i], &setting.factor),
                mult_law(fits[j], &setting.factor),
            ) {
                (Some(a), Some(b)) => closed_form_at(&a, &b, setting.x),
                _ => None,
            };
            let coincide = coincide_at(f1, f2, &setting.factor, setting.x, d_range);
            critical.push(CriticalCurve {
                methods: (fits[i].method.clone(), fits[j].method.clone()),
                closed_form: cf,
                at_setting_interval,
                curve: xs.iter().map(|&x| (x, cross(x))).collect(),
                coincide,
                lower_between: if coincide {
                    Vec::new()
                } else {
                    lower_between(
                        (f1, f2),
                        (&fits[i].method, &fits[j].method),
                        &setting.factor,
                        setting.x,
                        d_range,
                        &at_setting,
                    )
                },
                at_setting,
            });
        }
    }
    Ok(Recommendation {
        setting: setting.clone(),
        form,
        recommended: predictions[0].method.clone(),
        predictions,
        level: bootstrap.level,
        intervals,
        separated,
        critical,
        d_range,
        runs_x,
        runs_d,
        warnings: notes.clone(),
        notes,
        setting_warnings,
        info,
        other_form_better,
        left_out,
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
/// bootstrap intervals (the fit's noise) do not cover that error; the
/// predictive ones cover it only as far as the held-out runs' errors grow
/// in proportion to the distance.
fn extrapolation_notes(runs: &Runs, setting: &Setting, intervals: Intervals) -> Vec<String> {
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
            let covered = match intervals {
                Intervals::Bootstrap => {
                    "the intervals (the fit's noise only) do not cover that error"
                }
                Intervals::Predictive => {
                    "the predictive intervals cover that error only as far as the held-out runs' \
                     errors grow in proportion to the distance"
                }
            };
            // A thousandfold or more: likely a unit slip (8 for 8e9).
            let units = if r >= UNIT_SLIP {
                format!(
                    " (a unit mistake? the runs' {} is in [{}, {}])",
                    what.split(" = ").next().unwrap_or(&what),
                    crate::numbers::num(lo),
                    crate::numbers::num(hi)
                )
            } else {
                String::new()
            };
            // A ratio past a millionfold (or past the doubles: 1e-300
            // against 1e9) reads as decades, not as a 300-digit number.
            let distance = if r < 1e6 {
                format!("{r:.0}x")
            } else {
                crate::numbers::decades((v.log10() - end.log10()).abs())
            };
            notes.push(format!(
                "{what} is {distance} {side} value of the runs ({}){units}: the laws are \
                 extrapolated far outside the data, and {covered}",
                crate::numbers::num(end)
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::joint::published::{generate_family, noise_sd, Family, EN_DE};
    use crate::joint::{default_options, fit_all};

    /// More than (1 - level) of the pairs without a crossing: no interval
    /// at the level, the range of those that cross given apart (fix53a).
    #[test]
    fn mostly_without_a_crossing_gives_no_interval() {
        let found: Vec<f64> = (1..=49).map(|i| 1e6 * i as f64).collect();
        let ci = CrossingInterval::of(&found, 151, 0.95);
        assert!(ci.interval.is_none(), "{ci:?}");
        let r = ci.crossing_range_of_replicates_that_cross.unwrap();
        assert!(r.lo >= 1e6 && r.hi <= 4.9e7 && r.lo < r.hi, "{r:?}");
        assert!(ci.is_mostly_without(0.95));
        // exactly (1 - level) without: an interval, no separate range
        let found: Vec<f64> = (1..=190).map(|i| i as f64).collect();
        let ci = CrossingInterval::of(&found, 10, 0.95);
        assert!(ci.interval.is_some() && ci.crossing_range_of_replicates_that_cross.is_none());
        assert!(!ci.is_mostly_without(0.95));
        // 2 of 20 at 90% (0.1 * 20 in floating point): an interval
        let found: Vec<f64> = (1..=18).map(|i| i as f64).collect();
        assert!(!CrossingInterval::mostly_without(18, 2, 0.9));
        assert!(CrossingInterval::of(&found, 2, 0.9).interval.is_some());
        assert!(CrossingInterval::mostly_without(17, 3, 0.9));
    }

    /// The multiplicative form's recommendation at `setting` with the
    /// predictive intervals (40 replicates at 90%, seed 0; the default
    /// options and the tests' ranges of X and D_f).
    fn predictive_at(runs: &Runs, fits: &[MethodFit], setting: &Setting) -> Recommendation {
        recommend_with(
            runs,
            fits,
            setting,
            Form::Multiplicative,
            &default_options(),
            &Resampling::new(40, 0.9, 0),
            (5e8, 6.4e10),
            (1e-2, 3e12),
            Intervals::Predictive,
        )
        .unwrap()
    }

    fn at(d: f64) -> Setting {
        Setting {
            factor: "model_size".into(),
            x: 8e9,
            d,
        }
    }

    /// With every run fitted (none held out) no extrapolation error is
    /// measured: inside the runs the predictive interval is the bootstrap
    /// interval; beyond them there is none, and a note says why.
    #[test]
    fn predictive_interval_inside_the_runs_needs_no_held_out_run() {
        let mut runs = generate_family(&EN_DE, Family::Multiplicative, noise_sd(0.005), 1);
        for r in &mut runs.runs {
            r.held = Some(false);
        }
        let opts = default_options();
        let fits = fit_all(&runs, &opts).unwrap();
        let rec = |x: f64, d: f64| {
            let setting = Setting {
                factor: "model_size".into(),
                x,
                d,
            };
            predictive_at(&runs, &fits, &setting)
        };
        let probe = rec(8e9, 1e2);
        let mid = |(lo, hi): (f64, f64)| (lo * hi).sqrt();
        let inside = rec(mid(probe.runs_x), mid(probe.runs_d));
        for p in &inside.predictions {
            assert_eq!(p.extrapolation_distance, 0.0, "{}", p.method);
            assert!(p.extrapolation_error_rate.is_none(), "{}", p.method);
            assert!(p.bootstrap_interval.is_some(), "{}", p.method);
            assert_eq!(p.interval, p.bootstrap_interval, "{}", p.method);
        }
        assert!(!inside
            .notes
            .iter()
            .any(|n| n.contains("no predictive interval")));
        let far = rec(8e9, 1e-1 * probe.runs_d.0);
        for p in &far.predictions {
            assert!(p.extrapolation_distance > 0.0, "{}", p.method);
            assert!(p.bootstrap_interval.is_some() && p.interval.is_none());
        }
        assert!(far
            .notes
            .iter()
            .any(|n| n.contains("no predictive interval")));
    }

    /// Review 43, bug 1: runs held out *below* the fitting runs (the
    /// smallest D_f) are outside them as a setting there is: they measure
    /// a rate below the runs in D_f (the only direction, so the pooled
    /// rate too), and a setting below the runs gets a predictive interval.
    /// They counted as distance 0 (inside), so no rate was measured and
    /// there was no predictive interval.
    #[test]
    fn runs_held_out_below_the_fitting_runs_measure_a_rate_below_them() {
        let mut runs = generate_family(&EN_DE, Family::Additive, noise_sd(0.005), 0);
        let all = runs.clone();
        for r in &mut runs.runs {
            let min_d = all
                .runs
                .iter()
                .filter(|o| o.method == r.method)
                .map(|o| o.d)
                .fold(f64::INFINITY, f64::min);
            r.held = Some(r.d == min_d);
        }
        let fits = fit_all(&runs, &default_options()).unwrap();
        let rec = predictive_at(&runs, &fits, &at(3e3));
        assert!(!rec
            .notes
            .iter()
            .any(|n| n.contains("no predictive interval")));
        let mut widened = 0;
        for p in &rec.predictions {
            // ln(3e4 / 3e3) below the fitting runs' smallest D_f; X inside.
            assert!(
                (p.extrapolation_distance - 10f64.ln()).abs() < 1e-12,
                "{p:?}"
            );
            let r = p.extrapolation_rates.unwrap();
            let below = r.d_below.unwrap();
            assert_eq!(
                (r.x_above, r.x_below, r.d_above),
                (None, None, None),
                "{p:?}"
            );
            assert_eq!(below, r.pooled, "{p:?}");
            assert_eq!(p.extrapolation_error_rate, Some(below));
            let (b, q) = (
                p.bootstrap_interval.unwrap(),
                p.predictive_interval.unwrap(),
            );
            assert_eq!(p.interval, Some(q));
            assert!(q.lo <= b.lo && b.hi <= q.hi, "{p:?}");
            if below > 0.0 {
                assert!(q.lo < b.lo && b.hi < q.hi, "{p:?}");
                widened += 1;
            }
        }
        // The additive law's errors below the runs are more than noise.
        assert!(widened > 0, "{:?}", rec.predictions);
    }

    /// Issue 14, item 4: on runs of the additive law fitted with the
    /// multiplicative one, the bootstrap interval far below the runs' D_f
    /// misses the generating law's value; the predictive interval, widened
    /// by the held-out extrapolation error times the distance, covers it,
    /// and is wider the farther the setting.
    #[test]
    fn predictive_intervals_widen_with_distance_and_cover_a_misspecified_law() {
        let runs = generate_family(&EN_DE, Family::Additive, noise_sd(0.005), 0);
        let opts = default_options();
        let fits = fit_all(&runs, &opts).unwrap();
        let rec = |d: f64| predictive_at(&runs, &fits, &at(d));
        let (near, far) = (rec(3e3), rec(1e2));
        let mut missed = 0;
        for p in &far.predictions {
            let q = near
                .predictions
                .iter()
                .find(|q| q.method == p.method)
                .unwrap();
            assert!(p.extrapolation_distance > q.extrapolation_distance + 1.0);
            let w = |i: Interval| (i.hi / i.lo).ln();
            assert!(
                w(p.interval.unwrap()) > w(q.interval.unwrap()),
                "{}: {:?} vs {:?}",
                p.method,
                p.interval,
                q.interval
            );
            assert_eq!(p.interval, p.predictive_interval);
            assert!(
                matches!(p.interval_kind, Some(IntervalKind::HeldOut { level }) if level == 0.9)
            );
            let truth = Family::Additive.loss(
                EN_DE.iter().find(|e| e.method == p.method).unwrap(),
                0,
                8e9,
                1e2,
            );
            let has = |i: Interval| i.lo <= truth && truth <= i.hi;
            eprintln!(
                "{} truth {truth} boot {:?} pred {:?}",
                p.method, p.bootstrap_interval, p.predictive_interval
            );
            assert!(has(p.predictive_interval.unwrap()), "{}", p.method);
            if !has(p.bootstrap_interval.unwrap()) {
                missed += 1;
            }
        }
        assert!(missed > 0, "the bootstrap covered every method's truth");
        assert_eq!(far.intervals, Intervals::Predictive);
    }

    /// The bootstrap interval of the critical data size: on runs of the
    /// published law (lora and prompt share E, so D_c = H X^gamma exactly)
    /// it contains the generating laws' crossing; a pair whose replicates
    /// mostly do not cross counts them.
    #[test]
    fn critical_size_interval_contains_the_true_crossing_and_counts_pairs_without_one() {
        let runs = generate_family(&EN_DE, Family::Multiplicative, noise_sd(0.005), 1);
        let opts = default_options();
        let fits = fit_all(&runs, &opts).unwrap();
        let b = Resampling::new(40, 0.9, 0);
        let rec = recommend(
            &runs,
            &fits,
            &at(1e5),
            Form::Multiplicative,
            &opts,
            &b,
            (5e8, 6.4e10),
            (1e-2, 3e12),
        )
        .unwrap();
        let pair = |a: &str, c: &str| {
            rec.critical
                .iter()
                .find(|k| k.methods == (a.to_string(), c.to_string()))
                .unwrap()
        };
        let (lora, prompt) = (EN_DE[2], EN_DE[1]);
        let cf = crate::joint::critical::closed_form(&lora.law(0), &prompt.law(0)).unwrap();
        assert!(cf.exact);
        let truth = cf.h * 8e9f64.powf(cf.gamma);
        let lp = pair("lora", "prompt");
        let ci = lp.at_setting_interval.unwrap();
        let iv = ci.interval.unwrap();
        eprintln!("truth {truth}, point {:?}, {ci:?}", lp.at_setting);
        assert!(iv.lo <= truth && truth <= iv.hi, "{truth} not in {iv:?}");
        let pairs = rec.predictions.iter().map(|p| p.replicates).min().unwrap();
        assert_eq!(ci.with_crossing + ci.without_crossing, pairs);
        // fmt and prompt: no crossing at 8e9 in the fit, nor in most replicates
        let fp = pair("fmt", "prompt");
        let ci = fp.at_setting_interval.unwrap();
        eprintln!("fmt-prompt {:?} {ci:?}", fp.at_setting);
        assert!(ci.without_crossing > 0, "{ci:?}");
        assert_eq!(ci.with_crossing + ci.without_crossing, pairs);
        // no bootstrap: no interval of the crossing
        let none = recommend(
            &runs,
            &fits,
            &at(1e5),
            Form::Multiplicative,
            &opts,
            &Resampling::new(0, 0.9, 0),
            (5e8, 6.4e10),
            (1e-2, 3e12),
        )
        .unwrap();
        assert!(none
            .critical
            .iter()
            .all(|c| c.at_setting_interval.is_none()));
        // 30 converged pairs: an interval at 40 drawn, none at 200 drawn
        // (fewer than half converged), the rule of the predictions' intervals
        let form_of = |m: &str| {
            let f = fits.iter().find(|f| f.method == m).unwrap();
            vec![f.form(Form::Multiplicative).clone(); 30]
        };
        let (l, p) = (form_of("lora"), form_of("prompt"));
        let ci = |n: usize| {
            crossing_interval(
                &l,
                &p,
                "model_size",
                8e9,
                (1e-2, 3e12),
                None,
                &Resampling::new(n, 0.9, 0),
            )
        };
        let (enough, few) = (ci(40), ci(200));
        assert_eq!((enough.with_crossing, few.with_crossing), (30, 30));
        assert!(enough.interval.is_some() && few.interval.is_none());
    }

    /// The whole decision at 8B, D_f = 3e3, without a bootstrap (fast).
    fn fx45e_decide(runs: &Runs, form: Form) -> Result<(Recommendation, Vec<MethodFit>)> {
        decide(
            runs,
            &at(3e3),
            form,
            &default_options(),
            &Resampling::new(0, 0.95, 0),
            (5e8, 6.4e10),
            (1e-2, 3e12),
            Intervals::Bootstrap,
        )
    }

    /// Runs of a clearly additive law (probe 45's `gen_joint_add.py`):
    /// L = A / X^alpha + 20 / D_f^beta + E per method and factor, 1%
    /// log-normal noise, model sizes 1e8 ... 4e9 and pretraining tokens
    /// 1e10 ... 1e12, D_f 1e3 ... 3e5.
    fn fx45e_additive_runs(seed: u64) -> Runs {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let methods = [
            ("full", 1.0, 0.30, [(80.0, 0.15), (60.0, 0.10)]),
            ("lora", 1.05, 0.25, [(60.0, 0.14), (45.0, 0.09)]),
            ("prompt", 1.1, 0.2, [(40.0, 0.12), (30.0, 0.08)]),
        ];
        let xs = [[1e8, 3e8, 1e9, 2e9, 4e9], [1e10, 3e10, 1e11, 3e11, 1e12]];
        let mut runs = Vec::new();
        for (m, e, beta, ab) in methods {
            for (factor, (a, alpha)) in ab.into_iter().enumerate() {
                for &x in &xs[factor] {
                    for d in [1e3, 3e3, 1e4, 3e4, 1e5, 3e5] {
                        let mean = a / f64::powf(x, alpha) + 20.0 / f64::powf(d, beta) + e;
                        let z = 0.01 * crate::synthetic::standard_normal(&mut rng);
                        runs.push(crate::joint::Run {
                            method: m.to_string(),
                            factor,
                            x,
                            d,
                            loss: mean * z.exp(),
                            held: None,
                            line: runs.len() + 2,
                        });
                    }
                }
            }
        }
        let mut out = generate_family(&EN_DE, Family::Multiplicative, 0.0, 0);
        out.runs = runs;
        out
    }

    /// Probe 45, finding 4: on runs of each form, deciding with the other
    /// form warns for the methods whose held-out comparison favours the
    /// form of the data (naming that form), and deciding with the form of
    /// the data does not.
    #[test]
    fn fx45e_held_out_comparison_for_the_other_form_warns() {
        for (family, data_form) in [
            ("multiplicative", Form::Multiplicative),
            ("additive", Form::Additive),
        ] {
            let runs = if data_form == Form::Multiplicative {
                generate_family(&EN_DE, Family::Multiplicative, noise_sd(0.005), 3)
            } else {
                fx45e_additive_runs(0)
            };
            let other = Form::BOTH.into_iter().find(|&f| f != data_form).unwrap();
            let (good, fits) = fx45e_decide(&runs, data_form).unwrap();
            assert!(good.other_form_better.is_empty(), "{family}: {good:?}");
            assert!(!good
                .warnings
                .iter()
                .any(|w| w.contains("predicts the held-out")));
            // the data's form wins the comparison for at least one method
            let favour: Vec<&str> = fits
                .iter()
                .filter(|f| f.held_out.as_ref().and_then(|h| h.better) == Some(data_form))
                .map(|f| f.method.as_str())
                .collect();
            assert!(!favour.is_empty(), "{family}");
            let (bad, _) = fx45e_decide(&runs, other).unwrap();
            assert_eq!(bad.other_form_better, favour, "{family}");
            for m in &favour {
                let w = format!(
                    "method {m}: the {} law predicts the held-out runs better than the {} law",
                    data_form.name(),
                    other.name()
                );
                assert!(
                    bad.warnings.iter().any(|x| x.starts_with(&w)
                        && x.ends_with(&format!("predict with the {} form", data_form.name()))),
                    "{family}: {:?}",
                    bad.warnings
                );
            }
            assert_eq!(bad.warnings, bad.notes);
        }
    }

    /// Probe 45, finding 11: the decision's warnings about the fits
    /// concern the form used; the other form's are counted in `info`.
    #[test]
    fn fx45e_fit_warnings_concern_the_form_used() {
        let runs = generate_family(&EN_DE, Family::Additive, noise_sd(0.005), 0);
        for form in Form::BOTH {
            let other = Form::BOTH.into_iter().find(|&f| f != form).unwrap();
            let (rec, fits) = fx45e_decide(&runs, form).unwrap();
            let own: usize = fits.iter().map(|f| f.form(form).warnings.len()).sum();
            let theirs: usize = fits.iter().map(|f| f.form(other).warnings.len()).sum();
            for f in &fits {
                for w in &f.form(form).warnings {
                    assert!(w.starts_with(form.name()), "{w}");
                    assert!(rec.warnings.contains(&format!("method {}: {w}", f.method)));
                }
                for w in &f.form(other).warnings {
                    assert!(w.starts_with(other.name()), "{w}");
                    assert!(!rec.warnings.iter().any(|x| x.ends_with(w.as_str())), "{w}");
                }
                // a method's warnings are its two forms' together
                let mut both = f.forms[0].warnings.clone();
                both.extend(f.forms[1].warnings.clone());
                both.sort();
                let mut all = f.warnings.clone();
                all.sort();
                assert_eq!(both, all, "{}", f.method);
            }
            assert_eq!(
                rec.warnings
                    .iter()
                    .filter(|w| w.contains(&format!(": {} law", form.name())))
                    .count(),
                own
            );
            let summary = rec.info.iter().any(|n| {
                n.starts_with(&format!(
                    "the {} law, not used for this decision, has {theirs}",
                    other.name()
                ))
            });
            assert_eq!(summary, theirs > 0, "{:?}", rec.info);
        }
        // the additive data leave the multiplicative fits warnings to count
        let (rec, fits) = fx45e_decide(&runs, Form::Multiplicative).unwrap();
        assert!(
            fits.iter()
                .map(|f| f.forms.iter().map(|x| x.warnings.len()).sum::<usize>())
                .sum::<usize>()
                > 0,
            "{rec:?}"
        );
    }

    /// Probe 45, finding 11: a method whose runs cannot be fitted, or that
    /// has no runs varying the setting's factor, is left out with a
    /// warning; the decision goes on among the others, and fails (naming
    /// why each was left out) when fewer than two remain.
    #[test]
    fn fx45e_unfittable_method_is_left_out() {
        let mut runs = generate_family(&EN_DE, Family::Multiplicative, noise_sd(0.005), 0);
        // lora: a single model size (nothing to fit its exponent from)
        runs.runs
            .retain(|r| !(r.method == "lora" && r.factor == 0 && r.x != 1e9));
        let (rec, fits) = fx45e_decide(&runs, Form::Multiplicative).unwrap();
        // ux49: lora is fitted on its pretraining runs, its model size
        // skipped; it cannot predict at a model-size setting: left out
        // with the skipped factor's reason
        assert_eq!(fits.len(), 3);
        assert_eq!(fits[1].skipped_factors[0].factor, "model_size");
        assert_eq!(rec.left_out.len(), 1);
        assert_eq!(rec.left_out[0].method, "lora");
        assert!(
            rec.left_out[0].reason.contains("a single value"),
            "{:?}",
            rec.left_out
        );
        assert!(rec.predictions.iter().all(|p| p.method != "lora"));
        assert_eq!(rec.critical.len(), 1);
        assert!(rec.warnings[0].starts_with("method 'lora' left out of the decision: "));
        // prompt without model-size runs: left out at a model-size setting
        runs.runs
            .retain(|r| !(r.method == "prompt" && r.factor == 0));
        let e = fx45e_decide(&runs, Form::Multiplicative)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("at least two methods") && e.contains("found 1"),
            "{e}"
        );
        assert!(
            e.contains("method 'lora' left out") && e.contains("method 'prompt' left out"),
            "{e}"
        );
        assert!(e.contains("no runs varying 'model_size'"), "{e}");
    }

    /// Probe 45, finding 10: the shared parameters carry standard errors
    /// (finite, by name as `shared`) and the loosely determined ones are
    /// those whose error exceeds their value, with a warning naming them.
    #[test]
    fn fx45e_shared_parameters_have_standard_errors() {
        for (family, mad) in [(Family::Multiplicative, 0.005), (Family::Additive, 0.05)] {
            let runs = generate_family(&EN_DE, family, noise_sd(mad), 2);
            for m in fit_all(&runs, &default_options()).unwrap() {
                for f in &m.forms {
                    assert_eq!(f.shared_std_errors.names(), f.shared.names());
                    for ((n, v), se) in f.shared.pairs().zip(f.shared_std_errors.values()) {
                        let loose = se.is_some_and(|s| s.is_finite() && s > v.abs());
                        if let Some(s) = se {
                            assert!(*s >= 0.0, "{n}: {s}");
                        }
                        let listed = f.shared_loose.iter().any(|x| x == n);
                        // flagged only when pinned at all (not in a flat direction)
                        assert!(!listed || loose, "{}: {n} = {v} +/- {se:?}", m.method);
                        if listed {
                            assert!(f.warnings.iter().any(
                                |w| w.contains("only loosely") && w.contains(&format!("{n} ("))
                            ));
                        }
                    }
                }
                let json = serde_json::to_value(&m).unwrap();
                assert!(
                    json["forms"][0]["shared_std_errors"].is_object()
                        || json["forms"][0]["shared_std_errors"].is_array(),
                    "{json}"
                );
            }
        }
        // the well-specified runs pin the multiplicative beta
        let runs = generate_family(&EN_DE, Family::Multiplicative, noise_sd(0.005), 2);
        for m in fit_all(&runs, &default_options()).unwrap() {
            let f = m.form(Form::Multiplicative);
            let beta = f.shared.value("beta");
            let se = f
                .shared_std_errors
                .by_name("beta")
                .copied()
                .flatten()
                .unwrap();
            assert!(se < 0.5 * beta, "{}: beta {beta} +/- {se}", m.method);
        }
    }
}
