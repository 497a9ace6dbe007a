//! Compute-optimal allocation from a Chinchilla law L = E + A/N^alpha + B/D^beta
//! under C = 6 N D (Hoffmann et al., Approach 3):
//! G = (alpha A / (beta B))^(1/(alpha+beta)), N_opt = G (C/6)^a,
//! D_opt = (C/6)^b / G, a = beta/(alpha+beta), b = alpha/(alpha+beta).
//! Intervals come from the bootstrap replicates of the law's fit.

pub mod isoflop;
pub mod methods;

use crate::bootstrap::{draws, interval_of, Interval, Resampling, Scheme};
use crate::fit::{fit, FitOptions};
use crate::law::{catalog, Law, Named, Params};
use crate::observations::Observations;
use crate::{Error, Result};

/// Natural parameters of the Chinchilla law.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Chinchilla {
    #[serde(rename = "A")]
    /// Coefficient of the model-size term A / N^alpha (loss units).
    pub a: f64,
    /// Exponent of the model-size term, > 0.
    pub alpha: f64,
    #[serde(rename = "B")]
    /// Coefficient of the data term B / D^beta (loss units).
    pub b: f64,
    /// Exponent of the data term, > 0.
    pub beta: f64,
    #[serde(rename = "E")]
    /// Irreducible loss E.
    pub e: f64,
}

impl Chinchilla {
    /// From the catalog law's parameter order (A, alpha, B, beta, E).
    pub fn from_params(p: &[f64]) -> Result<Chinchilla> {
        let [a, alpha, b, beta, e] = p else {
            return Err(Error::setting(
                crate::error::Setting::LawParams,
                format!(
                    "the Chinchilla law has 5 parameters (A, alpha, B, beta, E), got {}",
                    p.len()
                ),
            ));
        };
        let c = Chinchilla {
            a: *a,
            alpha: *alpha,
            b: *b,
            beta: *beta,
            e: *e,
        };
        if !(c.a > 0.0 && c.b > 0.0 && c.alpha > 0.0 && c.beta > 0.0 && c.e >= 0.0)
            || p.iter().any(|v| !v.is_finite())
        {
            return Err(Error::setting(
                crate::error::Setting::LawParams,
                format!("allocation needs A, B, alpha, beta > 0 and E >= 0 (got {p:?})"),
            ));
        }
        Ok(c)
    }
    /// The exponent of N_opt in C: a = beta / (alpha + beta).
    pub fn exponent_n(&self) -> f64 {
        self.beta / (self.alpha + self.beta)
    }
    /// The parameters by name, in the catalog law's order.
    pub fn params(&self) -> Params {
        Params::from_pairs([
            ("A", self.a),
            ("alpha", self.alpha),
            ("B", self.b),
            ("beta", self.beta),
            ("E", self.e),
        ])
    }
    /// The loss at N parameters and D tokens: the catalog's `chinchilla` law.
    pub fn predict(&self, n: f64, d: f64) -> f64 {
        static LAW: std::sync::OnceLock<Law> = std::sync::OnceLock::new();
        LAW.get_or_init(catalog::chinchilla)
            .predict(&[n, d], &[self.a, self.alpha, self.b, self.beta, self.e])
    }
    /// The tokens D at which a model of N parameters reaches `loss` (an
    /// iso-loss contour traced along N), None where the model's size term
    /// alone is already above it: the data term B/D^beta is the gap between
    /// the loss and the law at infinite data.
    pub fn tokens_at_loss(&self, n: f64, loss: f64) -> Option<f64> {
        let gap = loss - self.predict(n, f64::MAX);
        if gap.is_nan() || gap <= 0.0 {
            return None;
        }
        let d = ((self.b.ln() - gap.ln()) / self.beta).exp();
        d.is_finite().then_some(d)
    }
    /// (N_opt, D_opt, predicted loss) for compute C (FLOPs), in log space.
    pub fn optimum(&self, c: f64) -> (f64, f64, f64) {
        let s = self.alpha + self.beta;
        let ln_g = ((self.alpha * self.a).ln() - (self.beta * self.b).ln()) / s;
        let ln_c6 = (c / 6.0).ln();
        let n = (ln_g + ln_c6 * self.beta / s).exp();
        let d = (ln_c6 * self.alpha / s - ln_g).exp();
        (n, d, self.predict(n, d))
    }
}

#[derive(Debug, Clone, serde::Serialize)]
/// The compute-optimal allocation at one budget.
#[non_exhaustive]
pub struct Allocation {
    /// Compute budget C in FLOPs.
    pub compute: f64,
    /// Loss-minimizing parameter count under C = 6 N D.
    pub n_opt: f64,
    /// Training tokens at the optimum, C / (6 N_opt).
    pub d_opt: f64,
    /// D_opt / N_opt (tokens per parameter).
    pub tokens_per_param: f64,
    /// The law's loss at (N_opt, D_opt).
    pub loss: f64,
    /// Percentile interval of N_opt over the bootstrap replicates' laws.
    pub n_interval: Option<Interval>,
    /// Percentile interval of D_opt over the replicates' laws.
    pub d_interval: Option<Interval>,
    /// Percentile interval of the optimal loss over the replicates' laws.
    pub loss_interval: Option<Interval>,
    /// The budget lies more than 10x outside the runs' 6ND range (the rule
    /// of the isoFLOP rows, `ProfileReport::extrapolates`); false when the
    /// parameters were given (no runs).
    pub extrapolated: bool,
    /// The interval of the exponent a reaches 0 or below and the budget
    /// lies outside the compute the fit used ([`growth_not_determined`]):
    /// the runs do not say whether N_opt there is above or below the runs'
    /// sizes, so `n_interval` and `d_interval` are no determination (the
    /// numbers are kept). Never true for the parametric law, whose a =
    /// beta/(alpha+beta) lies in (0, 1); kept so that every method's rows
    /// have the same fields.
    pub growth_not_determined: bool,
}

/// Whether an allocation at compute `c` is not determined because the
/// exponent's interval `iv` reaches 0 or below (the runs do not say that
/// N_opt grows with compute) and `c` lies outside `range`, the compute the
/// method's fit or regression used (by more than 0.1%: the range is a
/// hair from the budgets the user wrote). Inside the range the optimum is
/// interpolated and the interval stands.
pub fn growth_not_determined(iv: Option<Interval>, c: f64, range: (f64, f64)) -> bool {
    iv.is_some_and(|i| i.lo <= 0.0) && outside_fitted(c, range)
}

/// Whether compute `c` lies outside `(lo, hi)`, the compute a method's fit
/// or regression used, by more than 0.1% (the range is a hair from the
/// budgets the user wrote).
pub fn outside_fitted(c: f64, (lo, hi): (f64, f64)) -> bool {
    const SLACK: f64 = 1.001;
    c * SLACK < lo || c > hi * SLACK
}

/// One point of an allocation curve: the optimum at `compute` and its
/// pointwise bootstrap intervals. The numbers behind the N_opt(C) and
/// D_opt(C) figures' lines and bands, in every report's JSON.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct CurvePoint {
    /// Compute C in FLOPs.
    pub compute: f64,
    /// Compute-optimal model size at C.
    pub n_opt: f64,
    /// Compute-optimal training tokens at C.
    pub d_opt: f64,
    /// Pointwise interval of `n_opt` (none without bootstrap).
    pub n_interval: Option<Interval>,
    /// Pointwise interval of `d_opt` (none without bootstrap).
    pub d_interval: Option<Interval>,
}

/// Points of an allocation curve: 31 computes log-spaced from `lo` to `hi`
/// widened to the asked budgets, each with `at(c)` = the optimum and its
/// band.
pub(crate) fn curve(
    (lo, hi): (f64, f64),
    asked: &[f64],
    at: impl Fn(f64) -> ((f64, f64), Option<(Interval, Interval)>),
) -> Vec<CurvePoint> {
    let lo = asked.iter().cloned().fold(lo, f64::min);
    let hi = asked.iter().cloned().fold(hi, f64::max);
    if !(lo.is_finite() && lo > 0.0 && hi > lo) {
        return Vec::new();
    }
    crate::numbers::log_space(lo, hi, 31)
        .into_iter()
        .map(|c| {
            let ((n_opt, d_opt), band) = at(c);
            CurvePoint {
                compute: c,
                n_opt,
                d_opt,
                n_interval: band.map(|b| b.0),
                d_interval: band.map(|b| b.1),
            }
        })
        .collect()
}

#[derive(Debug, Clone, serde::Serialize)]
/// Approach 3: the Chinchilla law (given or fitted) and the allocation it implies at each budget asked.
#[non_exhaustive]
pub struct AllocationReport {
    /// The law's parameters: `{"A": .., "alpha": .., "B": .., "beta": .., "E": ..}`.
    #[serde(rename = "params")]
    pub law: Chinchilla,
    /// a = beta / (alpha + beta): N_opt grows as C^a.
    pub exponent_n: f64,
    /// Percentile interval of `exponent_n` over the bootstrap replicates.
    pub exponent_n_interval: Option<Interval>,
    /// Objective and convergence of the fit (none when parameters were given).
    pub fit: Option<FitSummary>,
    /// The bootstrap behind the intervals (None: parameters given, or no replicates asked).
    pub bootstrap: Option<BootstrapSummary>,
    /// What the intervals (`exponent_n_interval`, the rows' and the
    /// bootstrap's) cover: `{"kind": "bootstrap", "level": ..}`; None
    /// without a bootstrap.
    pub interval_kind: Option<crate::selection::calibrate::IntervalKind>,
    /// One row per compute budget asked, in the order asked.
    pub rows: Vec<Allocation>,
    /// N_opt(C), D_opt(C) and their bands from the runs' smallest to largest
    /// 6ND (widened to the asked budgets): the allocation figures' data.
    pub curve: Vec<CurvePoint>,
    /// The runs' smallest and largest 6ND (None when the parameters were
    /// given).
    pub compute_range: Option<(f64, f64)>,
    /// What the reader should know about the table: budgets far outside the
    /// runs' compute, runs whose 6ND cannot be FLOPs.
    pub warnings: Vec<String>,
    /// The parameters the data do not pin (the fit's `unidentified`) when a
    /// bootstrap ran: the replicates cannot show the spread of a flat
    /// direction (all sit on the same bound, a zero-width "interval"), so
    /// the intervals of the quantities that depend on them are None and
    /// read "not determined": N_opt and D_opt (and the bands) on A, alpha,
    /// B, beta; a on alpha, beta; the loss on any parameter.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undetermined_by: Vec<String>,
    /// The bootstrap replicates' laws (for bands), empty without bootstrap.
    #[serde(skip)]
    pub replicates: Vec<Chinchilla>,
    /// The runs as (C = 6 N D, N), in the law's plane: the contours
    /// figure draws them. Empty when the parameters were given.
    #[serde(skip)]
    pub runs: Vec<(f64, f64)>,
}

/// The parameters N_opt and D_opt depend on.
const ALLOCATION_PARAMS: [&str; 4] = ["A", "alpha", "B", "beta"];

impl AllocationReport {
    /// Whether the data leave a parameter among `names` unpinned.
    pub fn undetermined(&self, names: &[&str]) -> bool {
        self.undetermined_by
            .iter()
            .any(|u| names.contains(&u.as_str()))
    }
}

impl AllocationReport {
    /// Pointwise intervals of (N_opt, D_opt) at compute `c` over the
    /// bootstrap replicates; None without them.
    pub fn band(&self, c: f64) -> Option<(Interval, Interval)> {
        let level = self.bootstrap.as_ref()?.level;
        if self.replicates.is_empty() || self.undetermined(&ALLOCATION_PARAMS) {
            return None;
        }
        let opt: Vec<(f64, f64, f64)> = self.replicates.iter().map(|r| r.optimum(c)).collect();
        Some((
            interval_of(opt.iter().map(|o| o.0).collect(), level),
            interval_of(opt.iter().map(|o| o.1).collect(), level),
        ))
    }
}

#[derive(Debug, Clone, serde::Serialize)]
/// How the law's fit went.
pub struct FitSummary {
    /// Runs fitted.
    pub points: usize,
    /// The fit's objective (Huber loss of ln L by default) at the optimum.
    pub objective: f64,
    /// Whether the fit converged.
    pub converged: bool,
    /// Starts run by the multi-start search.
    pub n_starts: usize,
    /// Parameters the data do not pin (flat directions, at a bound, at their
    /// start: `FitResult::unidentified`); the allocation depends on them.
    pub unidentified: Vec<String>,
    /// The fit's warnings (a bound, unpinned parameters, a single start).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
/// The bootstrap of the law's fit: replicates, successes and the parameters' intervals.
pub struct BootstrapSummary {
    /// Replicates drawn.
    pub replicates: usize,
    /// Replicates whose refit converged (only these enter the intervals).
    pub converged: usize,
    /// Level of every interval of the report.
    pub level: f64,
    /// The parameters' intervals by name (beside the report's `params`).
    pub intervals: Named<Interval>,
}

/// The allocation table for given parameters (no intervals). Its curve
/// spans the asked budgets (a decade each side of a single one).
pub fn from_law(law: Chinchilla, budgets: &[f64]) -> Result<AllocationReport> {
    let budgets = &distinct_budgets(budgets);
    check_budgets(budgets)?;
    let rows: Vec<Allocation> = budgets.iter().map(|&c| row(&law, c, None)).collect();
    check_rows(&rows)?;
    let lo = budgets.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = budgets.iter().cloned().fold(0.0, f64::max);
    let span = if hi > lo {
        (lo, hi)
    } else {
        (lo / 10.0, hi * 10.0)
    };
    let curve = curve(span, &[], |c| {
        let (n, d, _) = law.optimum(c);
        ((n, d), None)
    });
    Ok(AllocationReport {
        law,
        exponent_n: law.exponent_n(),
        exponent_n_interval: None,
        fit: None,
        bootstrap: None,
        interval_kind: None,
        rows,
        curve,
        compute_range: None,
        warnings: Vec::new(),
        undetermined_by: Vec::new(),
        replicates: Vec::new(),
        runs: Vec::new(),
    })
}

/// The budgets in the order asked, each once (a repeated `--budget` is one row).
pub fn distinct_budgets(budgets: &[f64]) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::with_capacity(budgets.len());
    for &c in budgets {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Whether `c` lies more than 10x outside `(lo, hi)` (the one rule of every
/// allocation method's "(extrap.)"). A ratio within 0.1% of exactly 10x
/// counts as 10x, not more: the range comes from the runs' 6ND (N and D as
/// rounded in the file) or from a budget's geometric mean compute, which
/// land a hair either side of the number the user wrote, so a budget of
/// exactly 10x the largest was marked in one column and not in another.
pub fn far_outside(c: f64, (lo, hi): (f64, f64)) -> bool {
    const SLACK: f64 = 1.001;
    c * 10.0 * SLACK < lo || c > hi * 10.0 * SLACK
}

/// How the warning of a 6ND too small for FLOPs begins.
const TOO_SMALL_FOR_FLOPS: &str = "the runs' 6ND is at most";

/// The warnings of budgets far outside the runs' compute `(lo, hi)` (6ND):
/// one line naming them and how far, and a hint when the runs' 6ND is too
/// small to be FLOPs (N and D in millions or billions).
pub fn budget_warnings(budgets: &[f64], (lo, hi): (f64, f64), intervals: bool) -> Vec<String> {
    let mut out = Vec::new();
    let far: Vec<String> = budgets
        .iter()
        .filter(|&&c| far_outside(c, (lo, hi)))
        .map(|&c| {
            let decades = if c > hi {
                (c / hi).log10()
            } else {
                (lo / c).log10()
            };
            format!(
                "{} ({} {})",
                crate::numbers::sci(c),
                crate::numbers::decades(decades),
                if c > hi { "above" } else { "below" }
            )
        })
        .collect();
    if !far.is_empty() {
        out.push(format!(
            "budget{} {} more than 10x outside the runs' compute 6ND = {} .. {}: the law is \
             extrapolated there, and {} (marked \"(extrap.)\")",
            if far.len() == 1 { "" } else { "s" },
            far.join(", "),
            crate::numbers::sci(lo),
            crate::numbers::sci(hi),
            if intervals {
                "the intervals cover only the runs' sampling error"
            } else {
                "no interval says how far off it may be (none without a bootstrap)"
            },
        ));
    }
    if hi < 1e12 {
        out.push(format!(
            "{TOO_SMALL_FOR_FLOPS} {}, too small for training FLOPs: give N as parameters \
             and D as tokens (not millions or billions), or the budgets are not FLOPs",
            crate::numbers::sci(hi)
        ));
    }
    out
}

/// Seconds in a day times 1e15: FLOPs per PF-day, the unit compute is
/// often given in.
pub const FLOPS_PER_PF_DAY: f64 = 8.64e19;

/// With D computed from a compute column (D = C / (6N)): when the runs'
/// median D/N lies below [`TOKENS_PER_PARAM_RANGE`]'s lower end, the
/// compute column is not in FLOPs (PF-days, 8.64e19 FLOPs each, give
/// D / N near 1e-19), not N or D: the generic unit warnings of `warnings`
/// (tokens per parameter, 6ND too small for FLOPs) are replaced by one
/// that says so. `n`, `d`: the runs' N and D = C / (6N).
pub fn compute_column_units(warnings: &mut Vec<String>, n: &[f64], d: &[f64]) {
    let Some(median) = median_tokens_per_param(n, d) else {
        return;
    };
    if median >= TOKENS_PER_PARAM_RANGE.0 {
        return;
    }
    let generic = unit_warnings(n, d);
    warnings.retain(|w| !generic.contains(w) && !w.starts_with(TOO_SMALL_FOR_FLOPS));
    let c_max = n
        .iter()
        .zip(d)
        .map(|(n, d)| 6.0 * n * d)
        .fold(0.0, f64::max);
    // The factor that would bring the median D/N to 20 tokens per parameter.
    let factor = 20.0 / median;
    let pf_days = (factor / FLOPS_PER_PF_DAY).log10().abs() < 1.5;
    warnings.push(format!(
        "the compute column looks like it is in another unit than FLOPs: D = C / (6N) gives {} \
         tokens per parameter (median), below {} where trained models lie, and the largest \
         compute is {}; {}. D_opt and D/N are off by the unit's factor, and the budgets are \
         read in the column's unit (N_opt and the loss do not depend on it)",
        crate::numbers::sig(median, 3),
        crate::numbers::sci(TOKENS_PER_PARAM_RANGE.0),
        crate::numbers::sci(c_max),
        if pf_days {
            "PF-days (1 PF-day = 8.64e19 FLOPs)? Multiply the column by 8.64e19".to_string()
        } else {
            format!(
                "it would take about {} FLOPs per unit for 20 tokens per parameter",
                crate::numbers::sci(factor)
            )
        }
    ));
}

/// [`compute_column_units`] on a report fitted to `obs` (N, D = C / (6N)),
/// when D was computed from a compute column.
pub fn note_compute_column(report: &mut AllocationReport, obs: &Observations) {
    let col = |j: usize| (0..obs.len()).map(|i| obs.point(i)[j]).collect::<Vec<_>>();
    compute_column_units(&mut report.warnings, &col(0), &col(1));
}

/// The runs' median tokens per parameter D/N (finite positive ratios
/// only); None without any.
fn median_tokens_per_param(n: &[f64], d: &[f64]) -> Option<f64> {
    let ratios: Vec<f64> = n
        .iter()
        .zip(d)
        .map(|(n, d)| d / n)
        .filter(|r| r.is_finite() && *r > 0.0)
        .collect();
    (!ratios.is_empty()).then(|| crate::stats::median(ratios))
}

/// R^2 of ln D on ln N over the runs above which every run's D is taken for
/// a power of its N (one recipe, e.g. 20 tokens per parameter at every
/// size): the law cannot then tell model size from data.
pub const ONE_RECIPE_R2: f64 = 0.99;

/// A warning when the runs' design cannot separate N from D: ln D a
/// near-linear function of ln N over at least 3 distinct sizes (R^2 above
/// [`ONE_RECIPE_R2`]; a public isoFLOP grid has 0.06), as with one run per
/// model size at a fixed number of tokens per parameter. The law's A,
/// alpha, B, beta and the allocation then follow the noise, not the data.
pub fn design_warnings(n: &[f64], d: &[f64]) -> Vec<String> {
    let pts: Vec<(f64, f64)> = n
        .iter()
        .zip(d)
        .filter(|(n, d)| n.is_finite() && d.is_finite() && **n > 0.0 && **d > 0.0)
        .map(|(n, d)| (n.ln(), d.ln()))
        .collect();
    let mut sizes: Vec<f64> = pts.iter().map(|p| p.0).collect();
    sizes.sort_by(f64::total_cmp);
    sizes.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    if sizes.len() < 3 {
        return Vec::new();
    }
    let k = pts.len() as f64;
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / k,
        pts.iter().map(|p| p.1).sum::<f64>() / k,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in &pts {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx <= 0.0 || sxx.is_nan() {
        return Vec::new();
    }
    // Every run at the same D (to rounding) is as undetermined: beta and B
    // have nothing to follow.
    let (r2, slope) = if syy <= 1e-12 * sxx {
        (1.0, 0.0)
    } else {
        (sxy * sxy / (sxx * syy), sxy / sxx)
    };
    if r2 <= ONE_RECIPE_R2 {
        return Vec::new();
    }
    let how = if syy <= 1e-12 * sxx {
        "every run has the same D".to_string()
    } else if (slope - 1.0).abs() < 0.1 {
        format!(
            "every run has about the same tokens per parameter (D/N = {} median; ln D on ln N: \
             R^2 {})",
            crate::numbers::sig(median_tokens_per_param(n, d).unwrap_or(f64::NAN), 3),
            crate::numbers::sig(r2, 4)
        )
    } else {
        format!(
            "every run's D is about a power of its N (D ~ N^{}; ln D on ln N: R^2 {})",
            crate::numbers::sig(slope, 3),
            crate::numbers::sig(r2, 4)
        )
    };
    vec![format!(
        "{how}: along one line in (N, D) the law cannot tell model size from data, so A, alpha, \
         B, beta and the allocation are set by the noise, not by these runs; train some sizes at \
         other token counts (an isoFLOP grid: several sizes at each compute budget)"
    )]
}

/// Tokens per parameter outside which the runs' N and D are taken for not
/// both counts (trained language models lie near 1..1e4; Chinchilla's runs
/// at 1.5..1e3): a median D/N outside 1e-2..1e5 is a unit, not a recipe.
pub const TOKENS_PER_PARAM_RANGE: (f64, f64) = (1e-2, 1e5);

/// A warning when the runs' median tokens per parameter D/N lies outside
/// [`TOKENS_PER_PARAM_RANGE`]: N or D is not a count (N in millions with a
/// FLOPs column gives D = FLOPs / (6N) a million times too large, and 6ND
/// = C still holds, so the "too small for FLOPs" check cannot see it).
/// D_opt and D/N are then off by the unit's factor. Beside
/// [`budget_warnings`], from the runs' (N, D).
pub fn unit_warnings(n: &[f64], d: &[f64]) -> Vec<String> {
    let Some(median) = median_tokens_per_param(n, d) else {
        return Vec::new();
    };
    let (lo, hi) = TOKENS_PER_PARAM_RANGE;
    if (lo..=hi).contains(&median) {
        return Vec::new();
    }
    let sci = crate::numbers::sci;
    vec![format!(
        "the runs' tokens per parameter D/N is {} (median), outside {} .. {} where trained \
         models lie: N or D is not a count ({}), so D_opt and D/N are off by the unit's factor; \
         give N as parameters and D as tokens (with a FLOPs column, D = FLOPs / (6N) takes N's unit)",
        crate::numbers::sig(median, 3),
        sci(lo),
        sci(hi),
        if median > hi {
            "N in thousands, millions or billions?"
        } else {
            "D in thousands, millions or billions?"
        }
    )]
}

/// Every optimum finite and positive: parameters far outside any fitted
/// range (A = 1e300) overflow N_opt or D_opt; an error names the budget
/// rather than printing inf or 0.
fn check_rows(rows: &[Allocation]) -> Result<()> {
    for r in rows {
        let ok = |v: f64| v.is_finite() && v > 0.0;
        if !(ok(r.n_opt) && ok(r.d_opt) && r.loss.is_finite()) {
            return Err(Error::setting(
                crate::error::Setting::LawParams,
                format!(
                    "at C = {:e} FLOPs the optimum is not representable (N_opt {:e}, D_opt {:e}, \
                     loss {:e}): the parameters are outside the range a Chinchilla law can be \
                     evaluated in",
                    r.compute, r.n_opt, r.d_opt, r.loss
                ),
            ));
        }
    }
    Ok(())
}

fn check_budgets(budgets: &[f64]) -> Result<()> {
    if budgets.is_empty() || budgets.iter().any(|c| !(c.is_finite() && *c > 0.0)) {
        return Err(Error::setting(
            crate::error::Setting::ComputeBudgets,
            format!(
                "must be positive FLOP counts (got {})",
                budgets
                    .iter()
                    .map(|&c| crate::numbers::shortest(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(())
}

/// The allocation at compute `c`, with intervals over the replicates' laws
/// `reps` (when there are any) at the bootstrap's level.
fn row(law: &Chinchilla, c: f64, boot: Option<(&[Chinchilla], &Resampling)>) -> Allocation {
    let (n, d, loss) = law.optimum(c);
    let iv = |k: usize| {
        let (reps, how) = boot.filter(|b| !b.0.is_empty())?;
        Some(
            how.interval(
                reps.iter()
                    .map(|r| {
                        let o = r.optimum(c);
                        [o.0, o.1, o.2][k]
                    })
                    .collect(),
            ),
        )
    };
    Allocation {
        compute: c,
        n_opt: n,
        d_opt: d,
        tokens_per_param: d / n,
        loss,
        n_interval: iv(0),
        d_interval: iv(1),
        loss_interval: iv(2),
        extrapolated: false,
        growth_not_determined: false,
    }
}

/// The fitted parameters as a law to allocate with. A fit that puts an
/// exponent or a coefficient at 0 allocates nothing: that is the data's
/// doing, not a setting's, so the error names a value lying decades from the
/// rest of its column when there is one (N = 1e-320 in a row pulls alpha to
/// 0), and otherwise says what the fit gave.
fn fitted_law(params: &[f64], obs: &Observations) -> Result<Chinchilla> {
    if let Ok(law) = Chinchilla::from_params(params) {
        return Ok(law);
    }
    let names = ["A", "alpha", "B", "beta", "E"];
    let got: Vec<String> = names
        .iter()
        .zip(params)
        .map(|(n, v)| format!("{n} = {}", crate::numbers::short(*v)))
        .collect();
    let why = format!(
        "the fitted Chinchilla law ({}) has a coefficient or an exponent at 0 (or E < 0), \
         which allocates nothing",
        got.join(", ")
    );
    for j in 0..obs.dim() {
        let col: Vec<f64> = (0..obs.len()).map(|i| obs.point(i)[j]).collect();
        if let Some(&i) = crate::observations::far_values(&col).first() {
            return Err(obs.name_rows(Error::input(
                &obs.source,
                Some(obs.line[i]),
                Some(&obs.input_names[j]),
                format!(
                    "the value {} lies more than {} decades from the column's other values: \
                     {why}; is the value right?",
                    crate::numbers::short(col[i]),
                    crate::observations::FAR_DECADES
                ),
            )));
        }
    }
    if let Some(&i) = crate::observations::far_values(&obs.y).first() {
        return Err(obs.name_rows(Error::input(
            &obs.source,
            Some(obs.line[i]),
            Some(&obs.y_name),
            format!(
                "the value {} lies more than {} decades from the column's other values: \
                 {why}; is the value right?",
                crate::numbers::short(obs.y[i]),
                crate::observations::FAR_DECADES
            ),
        )));
    }
    Err(Error::Fit(format!(
        "{why}: the data do not determine an allocation"
    )))
}

/// Fit the Chinchilla law to (N, D) -> loss (Huber 1e-3 on ln L from
/// Hoffmann's 4500-start grid, unless `opts` says otherwise), then allocate,
/// with intervals from the `bootstrap` of the points (0 replicates: none;
/// every replicate refits the law warm-started from the fit's optima).
/// `on_done` ticks once per replicate.
pub fn from_fit(
    obs: &Observations,
    opts: &FitOptions,
    budgets: &[f64],
    bootstrap: &Resampling,
    on_done: &(dyn Fn() + Sync),
) -> Result<AllocationReport> {
    let budgets = &distinct_budgets(budgets);
    check_budgets(budgets)?;
    let law: Law = catalog::chinchilla();
    // fitted, and its bootstrap drawn, on the points in a canonical order:
    // the same runs in another row order give the same answer, to the bit
    let canonical = obs.canonical();
    let res = fit(&law, &canonical, opts)?;
    if !res.converged {
        return Err(Error::Fit(format!(
            "the Chinchilla law did not converge from any of {} starts",
            res.n_starts
        )));
    }
    let best = fitted_law(&res.params, obs)?;
    let reps: Vec<Chinchilla> = draws(
        &law,
        &canonical,
        &res,
        opts,
        bootstrap,
        Scheme::Points,
        on_done,
    )
    .iter()
    .filter_map(|p| Chinchilla::from_params(p).ok())
    .collect();
    let on = bootstrap.replicates > 0;
    // Intervals exist only where a replicate converged; the summary still
    // says how many of those asked did.
    let intervals = on && !reps.is_empty();
    let summary = on.then(|| {
        let params: Vec<Vec<f64>> = reps.iter().map(|r| r.params().into_values()).collect();
        BootstrapSummary {
            replicates: bootstrap.replicates,
            converged: reps.len(),
            level: bootstrap.level,
            intervals: Named::new(
                best.params().names().to_vec(),
                bootstrap.intervals(&params, 5),
            ),
        }
    });
    let compute = (0..obs.len()).map(|i| 6.0 * obs.point(i)[0] * obs.point(i)[1]);
    let range = compute.fold((f64::INFINITY, 0.0f64), |(lo, hi), c| {
        (lo.min(c), hi.max(c))
    });
    let mut report = AllocationReport {
        law: best,
        exponent_n: best.exponent_n(),
        exponent_n_interval: (!reps.is_empty())
            .then(|| bootstrap.interval(reps.iter().map(|r| r.exponent_n()).collect())),
        fit: Some(FitSummary {
            points: obs.len(),
            objective: res.objective,
            converged: res.converged,
            n_starts: res.n_starts,
            unidentified: res.unidentified().to_vec(),
            warnings: res
                .warnings
                .iter()
                .cloned()
                .chain(obs.far_value_warnings())
                .chain(obs.duplicate_point_warnings())
                .collect(),
        }),
        interval_kind: intervals.then_some(crate::selection::calibrate::IntervalKind::Bootstrap {
            level: bootstrap.level,
        }),
        bootstrap: summary,
        rows: budgets
            .iter()
            .map(|&c| Allocation {
                extrapolated: far_outside(c, range),
                ..row(&best, c, on.then_some((reps.as_slice(), bootstrap)))
            })
            .collect(),
        curve: Vec::new(),
        compute_range: Some(range),
        warnings: {
            let mut w = budget_warnings(budgets, range, intervals);
            let col = |j: usize| (0..obs.len()).map(|i| obs.point(i)[j]).collect::<Vec<_>>();
            w.extend(unit_warnings(&col(0), &col(1)));
            w.extend(design_warnings(&col(0), &col(1)));
            w
        },
        undetermined_by: if on {
            res.unidentified().to_vec()
        } else {
            Vec::new()
        },
        replicates: reps,
        runs: (0..obs.len())
            .map(|i| {
                let p = obs.point(i);
                (6.0 * p[0] * p[1], p[0])
            })
            .collect(),
    };
    let (alloc, exponent, any) = (
        report.undetermined(&ALLOCATION_PARAMS),
        report.undetermined(&["alpha", "beta"]),
        !report.undetermined_by.is_empty(),
    );
    if exponent {
        report.exponent_n_interval = None;
    }
    for r in &mut report.rows {
        if alloc {
            (r.n_interval, r.d_interval) = (None, None);
        }
        if any {
            r.loss_interval = None;
        }
        r.growth_not_determined =
            growth_not_determined(report.exponent_n_interval, r.compute, range);
    }
    report.curve = curve(range, budgets, |c| {
        let (n, d, _) = report.law.optimum(c);
        ((n, d), report.band(c))
    });
    Ok(report)
}

/// Decades from 1e19 to 1e25 FLOPs.
pub fn default_budgets() -> Vec<f64> {
    (19..=25).map(|k| 10f64.powi(k)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimum_spends_the_budget_and_minimizes_the_loss() {
        let law = Chinchilla::from_params(&[406.4, 0.34, 410.7, 0.28, 1.69]).unwrap();
        let c = 5.76e23;
        let (n, d, loss) = law.optimum(c);
        assert!((6.0 * n * d / c - 1.0).abs() < 1e-10);
        let at = |n: f64| {
            let d = c / (6.0 * n);
            law.e + law.a / n.powf(law.alpha) + law.b / d.powf(law.beta)
        };
        assert!((at(n) - loss).abs() < 1e-12);
        assert!(at(n * 1.05) > loss && at(n / 1.05) > loss);
    }

    /// Probe fz item 13: a fitted law with alpha = 0 is the data's doing:
    /// the error names the row and column of a value decades from the rest
    /// (N = 1e-320), not --params; without one it says what the fit gave.
    #[test]
    fn a_degenerate_fitted_law_blames_the_value_not_the_flag() {
        let params = [0.75, 0.0, 73.4, 0.18, 0.75];
        let mut obs = Observations::from_columns(
            &["N", "D"],
            &[
                vec![1e-320, 1e8, 2e8, 4e8, 8e8],
                vec![1e9, 2e9, 3e9, 4e9, 5e9],
            ],
            vec![2.0, 2.1, 2.2, 2.3, 2.4],
        );
        obs.source = "runs.csv".into();
        let e = fitted_law(&params, &obs).unwrap_err().to_string();
        assert!(
            e.starts_with("runs.csv, row 1, column 'N': the value 1e-320"),
            "{e}"
        );
        assert!(e.contains("alpha = 0") && !e.contains("--params"), "{e}");
        obs.x[0] = 5e7;
        let e = fitted_law(&params, &obs).unwrap_err().to_string();
        assert!(e.contains("the data do not determine an allocation"), "{e}");
        assert!(!e.contains("--params"), "{e}");
        assert!(fitted_law(&[406.4, 0.34, 410.7, 0.28, 1.69], &obs).is_ok());
    }

    #[test]
    fn bad_parameters_and_budgets_are_refused() {
        assert!(Chinchilla::from_params(&[1.0, 0.3, 1.0]).is_err());
        assert!(Chinchilla::from_params(&[1.0, -0.3, 1.0, 0.3, 1.0]).is_err());
        let law = Chinchilla::from_params(&[406.4, 0.34, 410.7, 0.28, 1.69]).unwrap();
        assert!(from_law(law, &[0.0]).is_err());
        assert!(from_law(law, &[]).is_err());
    }

    /// Probe afc items 5 and 19: a repeated budget is one row, given
    /// parameters draw a curve over the asked budgets, and runs whose 6ND
    /// cannot be FLOPs (N, D in billions) are named.
    #[test]
    fn one_recipe_runs_are_warned_of() {
        // One run per size at 20 tokens per parameter (probe56 5).
        let n: Vec<f64> = (0..8).map(|i| 1e7 * 2.68f64.powi(i)).collect();
        let d: Vec<f64> = n
            .iter()
            .map(|n| 20.0 * n * (1.0 + 0.001 * n.ln().sin()))
            .collect();
        let w = design_warnings(&n, &d);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("every run has about the same tokens per parameter (D/N = 20")
                && w[0].contains("isoFLOP grid"),
            "{w:?}"
        );
        // D growing as N^0.5: the same line, said as a power.
        let d2: Vec<f64> = n.iter().map(|n| 1e6 * n.sqrt()).collect();
        assert!(design_warnings(&n, &d2)[0].contains("D ~ N^0.5"));
        // Every run at one D.
        let d3 = vec![1e10; n.len()];
        assert!(design_warnings(&n, &d3)[0].starts_with("every run has the same D"));
        // An isoFLOP grid: three sizes at each of three budgets.
        let (mut gn, mut gd) = (Vec::new(), Vec::new());
        for c in [1e18, 1e19, 1e20] {
            for f in [0.5, 1.0, 2.0] {
                let nn = f * (c / 120.0f64).sqrt();
                gn.push(nn);
                gd.push(c / (6.0 * nn));
            }
        }
        assert!(design_warnings(&gn, &gd).is_empty());
        // Two sizes: nothing to say.
        assert!(design_warnings(&n[..2], &d[..2]).is_empty());
    }

    #[test]
    fn budgets_once_curves_for_given_laws_and_unit_warnings() {
        let law = Chinchilla::from_params(&[406.4, 0.34, 410.7, 0.28, 1.69]).unwrap();
        let r = from_law(law, &[5.76e23, 1e21, 5.76e23]).unwrap();
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.curve.len(), 31);
        assert!((r.curve[0].compute / 1e21 - 1.0).abs() < 1e-9);
        assert!((r.curve[30].compute / 5.76e23 - 1.0).abs() < 1e-9);
        assert!(r.warnings.is_empty() && !r.rows[0].extrapolated);
        let w = budget_warnings(&[1e19, 0.01], (1.4, 1.3e4), true);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].contains("budgets 1e19 (14.9 decades above), 1e-2 (2.1 decades below)"),
            "{w:?}"
        );
        assert!(w[1].contains("too small for training FLOPs"), "{w:?}");
        assert!(budget_warnings(&[1e21], (1e18, 1e22), true).is_empty());
        // probe_rd 18: without a bootstrap no interval is claimed.
        let w = budget_warnings(&[1e25], (1e18, 1e20), false);
        assert!(
            w[0].contains("no interval says") && !w[0].contains("the intervals cover"),
            "{w:?}"
        );
        assert!(far_outside(1e23, (1e18, 1e21)) && !far_outside(1e22, (1e18, 1e21)));
        // Exactly 10x is not "more than 10x", whichever side of the written
        // number the range's rounding lands (probe56 7: the isoflop column's
        // geometric mean sat below 1e21, the parametric 6ND above).
        for hi in [1e21 * (1.0 - 1e-9), 1e21 * (1.0 + 5e-6)] {
            assert!(!far_outside(1e22, (1e18, hi)), "{hi}");
            assert!(!far_outside(1e17, (1e18 * (1.0 + 1e-9), hi)), "{hi}");
        }
        assert!(far_outside(1.05e22, (1e18, 1e21)) && far_outside(0.95e17, (1e18, 1e21)));
    }

    /// Probe44 item 4: N in millions with a FLOPs column (D = C / (6N) a
    /// million times too large, 6ND = C still) is named by the runs' tokens
    /// per parameter, as is D in billions; runs in counts are not.
    #[test]
    fn runs_whose_tokens_per_parameter_are_not_counts_are_warned() {
        let n = [4.4e7, 1.6e8, 1e9, 7e10];
        let d = [9e8, 3e9, 2e10, 1.4e12];
        assert!(unit_warnings(&n, &d).is_empty());
        let n_m: Vec<f64> = n.iter().map(|v| v / 1e6).collect();
        // D from FLOPs with N in millions.
        let d_from_c: Vec<f64> = n
            .iter()
            .zip(&d)
            .map(|(n, d)| 6.0 * n * d / (6.0 * n / 1e6))
            .collect();
        let w = unit_warnings(&n_m, &d_from_c);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with(
                "the runs' tokens per parameter D/N is 2.00e13 (median), outside 1e-2 .. 1e5"
            ) && w[0].contains("N in thousands, millions or billions?")
                && w[0].contains("with a FLOPs column, D = FLOPs / (6N)"),
            "{w:?}"
        );
        let d_b: Vec<f64> = d.iter().map(|v| v / 1e9).collect();
        let w = unit_warnings(&n, &d_b);
        assert!(
            w[0].contains("D in thousands, millions or billions?"),
            "{w:?}"
        );
        assert!(unit_warnings(&[], &[]).is_empty());
    }
}
