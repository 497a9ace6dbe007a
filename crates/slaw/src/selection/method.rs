//! The selection methods: each turns one candidate's affordable measurements
//! into a score (lower ranks first) and, where it can, a predicted loss at
//! the target size.

use super::ats::{AtsFit, Line};
use super::calibrate::{shipped_scale, Calibration, IntervalKind, SpreadScale};
use super::floor::{FloorCheck, FloorFit};
use super::methods;
use super::noise;
use super::reference::{Reference, ReferenceMix};
use super::trend::{self, Features};
use super::Budget;
use crate::bootstrap::{Interval, Resampling, Scheme};
use crate::datasets::Candidate;
use crate::fit::{fit, Fit, FitOptions};
use crate::objective::{Loss, Space};
use crate::observations::Observations;
use crate::{Error, Result};

/// What a selection method does, as the registry knows it: its name, one
/// line on what it does, what it needs, and how it scores one candidate.
///
/// A method is a type implementing this trait plus one line in
/// [`REGISTRY`](super::methods::REGISTRY); [`Method`] is such a type with
/// the AtS options.
pub trait SelectionMethod: Sync + Send {
    /// The method's name, description and needs.
    fn about(&self) -> About;
    /// Score one candidate: set `e.score` (lower ranks first) and, for the
    /// methods that extrapolate, the predicted loss, its interval and the
    /// detail.
    fn estimate(&self, s: &Scoring, e: &mut Estimate) -> Result<()>;

    /// The method's name (as `--method` and plans spell it).
    fn name(&self) -> &'static str {
        self.about().name
    }
    /// One line on what it does (for `--help` and errors).
    fn description(&self) -> &'static str {
        self.about().description
    }
    /// What the method needs beyond the candidate's points.
    fn needs(&self) -> Needs {
        self.about().needs
    }

    /// The fine-tuning sizes this method trains the candidate on (default:
    /// every affordable size).
    fn sizes_used(&self, c: &Candidate, budget: &Budget) -> Vec<f64> {
        budget.affordable(c).iter().map(|p| p.0).collect()
    }
    /// The fewest fine-tuning sizes the method ranks a candidate from (with
    /// its zero-shot loss measured when `zero_shot`), and what needs them;
    /// None: at most one size, which any ladder has. Default: `k + 1` for
    /// the methods that read the AtS options (the line needs k points past
    /// the transition), none for the others.
    fn fewest_sizes(&self, k: usize, _zero_shot: bool) -> Option<(usize, String)> {
        self.needs().ats_options.then(|| (k + 1, "AtS".to_string()))
    }
    /// The line-based extrapolation of the method with trend weights `w`
    /// and gap-trend weights `g` (None: the method does not extrapolate
    /// along a line).
    fn line(&self, _w: &[f64; trend::N_W], _g: &[f64; trend::N_G]) -> Option<LineKind> {
        None
    }
    /// The trend weights the method uses in a pool whose affordable curves
    /// are `curves` (default: the prior, not adapted).
    fn adapt_trend(
        &self,
        prior: &[f64; trend::N_W],
        _curves: &[Vec<(f64, f64)>],
        _opts: AtsOptions,
    ) -> [f64; trend::N_W] {
        *prior
    }
    /// Whether the recommendation is the candidate with the lowest upper
    /// end of its risk interval (`Estimate::risk_interval`) rather than the
    /// lowest prediction.
    fn chooses_robustly(&self) -> bool {
        false
    }
    /// Whether the score is a predicted loss at the target.
    fn predicts_loss(&self) -> bool {
        true
    }
    /// The score the paper's protocol correlates with the true loss
    /// (default: the score itself).
    fn protocol_score(&self, score: f64) -> f64 {
        score
    }
}

/// A selection method as the registry lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct About {
    /// The method's name (as `--method` and plans spell it).
    pub name: &'static str,
    /// One line on what it does (for `--help` and errors).
    pub description: &'static str,
    /// What it needs beyond the candidate's points.
    pub needs: Needs,
}

/// What a selection method needs beyond the candidate's points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Needs {
    /// It reads the AtS options `k` and `delta`.
    pub ats_options: bool,
    /// Its score uses what the pool tells ([`PoolContext::of`]: the
    /// adapted trend, intervals calibrated on the pool's backtests).
    pub pool: bool,
    /// Its interval (without calibration) is a bootstrap of the points.
    pub bootstrap: bool,
    /// It reads the candidate's zero-shot loss (N = 0) when there is one
    /// (a plan measures it with `zero_shot = true`).
    pub zero_shot: bool,
    /// It reads the same candidates' curves on other tasks when given
    /// ([`PoolContext::reference`]; `slaw select --reference`).
    pub reference: bool,
}

/// The AtS options: the smallest number of points of the power-phase line
/// (>= 2) and the rejection threshold, in residual standard deviations.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AtsOptions {
    /// Smallest number of points of the power-phase line (>= 2).
    pub k: usize,
    /// Rejection threshold, in residual standard deviations.
    pub delta: f64,
}

/// What a method scores one candidate from.
#[non_exhaustive]
pub struct Scoring<'a> {
    /// The candidate.
    pub candidate: &'a Candidate,
    /// The budget.
    pub budget: &'a Budget,
    /// The candidate's affordable points (n, loss), ascending in n.
    pub points: Vec<(f64, f64)>,
    /// The bootstrap of its points (0 replicates: none).
    pub bootstrap: &'a Resampling,
    /// What the pool tells.
    pub pool: &'a PoolContext,
    /// The AtS options.
    pub ats: AtsOptions,
}

impl Scoring<'_> {
    /// An error unless the candidate has at least `n` affordable sizes
    /// (`what` names the method in the message).
    pub fn need(&self, n: usize, what: &str) -> Result<()> {
        if self.points.len() < n {
            // Say where the candidate's sizes are: a --target or --budget
            // below the data's sizes leaves none affordable.
            let sizes: Vec<f64> = self
                .candidate
                .curve
                .iter()
                .map(|p| p.0)
                .filter(|&s| s > 0.0)
                .collect();
            use crate::numbers::{count, num, ordinal};
            let hint = match sizes.iter().copied().reduce(f64::min) {
                Some(_) if sizes.len() < n => format!(
                    "; it has only {} > 0 in all: measure more sizes",
                    count(sizes.len(), "size")
                ),
                Some(lo) => format!(
                    "; its {} > 0 start at {}: the largest affordable size (the budget) \
                     must reach its {}",
                    count(sizes.len(), "size"),
                    num(lo),
                    ordinal(n)
                ),
                None => "; it has no size > 0".to_string(),
            };
            Err(Error::data(format!(
                "candidate '{}': {} needs at least {} (> 0 and <= {}), found {}{hint}",
                self.candidate.id,
                what,
                count(n, "affordable size"),
                num(self.budget.max_n),
                self.points.len()
            )))
        } else {
            Ok(())
        }
    }
}

/// A selection method with its options: one of the [`REGISTRY`](super::methods::REGISTRY)'s
/// methods and the AtS options (read by the methods that need them).
/// Its JSON: `{"name": ...}`, with `"k"` and `"delta"` for the AtS-based methods.
#[derive(Clone, Copy)]
pub struct Method {
    kind: &'static dyn SelectionMethod,
    /// The AtS options (read by the methods whose [`Needs::ats_options`]).
    pub ats: AtsOptions,
}

impl PartialEq for Method {
    fn eq(&self, other: &Method) -> bool {
        self.name() == other.name() && (!self.kind.needs().ats_options || self.ats == other.ats)
    }
}

impl std::fmt::Debug for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Method");
        d.field("name", &self.name());
        if self.kind.needs().ats_options {
            d.field("k", &self.ats.k).field("delta", &self.ats.delta);
        }
        d.finish()
    }
}

impl serde::Serialize for Method {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let with = self.kind.needs().ats_options;
        let mut st = s.serialize_struct("Method", if with { 3 } else { 1 })?;
        st.serialize_field("name", self.name())?;
        if with {
            st.serialize_field("k", &self.ats.k)?;
            st.serialize_field("delta", &self.ats.delta)?;
        }
        st.end()
    }
}

impl Method {
    /// The method best under the leave-one-dataset-out protocol (RelAcc
    /// first, then PearCorr; see `protocol::default_by_lodo` and
    /// BENCHMARKS.md).
    /// Without references: the choice among the methods that need none
    /// (`protocol::default_by_lodo`).
    pub const DEFAULT: Method = Method::new(&methods::AtsGap, AtsOptions { k: 3, delta: 5.0 });

    /// The default when the user gives references (`slaw select
    /// --reference`): the method best under the same rule with every
    /// dataset given the others as references
    /// (`protocol::default_with_references_by_lodo`). Without a reference
    /// it is ats-gap exactly.
    pub const DEFAULT_WITH_REFERENCE: Method =
        Method::new(&methods::AtsRef, AtsOptions { k: 3, delta: 5.0 });

    /// The default for a selection with (`true`) or without references.
    pub fn default_for(with_reference: bool) -> Method {
        if with_reference {
            Self::DEFAULT_WITH_REFERENCE
        } else {
            Self::DEFAULT
        }
    }

    /// The method `kind` with AtS options `ats`.
    pub const fn new(kind: &'static dyn SelectionMethod, ats: AtsOptions) -> Method {
        Method { kind, ats }
    }

    /// The method of `name` (see [`REGISTRY`](super::methods::REGISTRY));
    /// `k` and `delta` for the AtS-based ones.
    pub fn parse(name: &str, k: usize, delta: f64) -> Result<Method> {
        methods::find(name)
            .map(|m| Method::new(m, AtsOptions { k, delta }))
            .ok_or_else(|| Error::unknown("selection method", name, methods::names().join(", ")))
    }

    /// The method named `name`, or without a name the default for a
    /// selection with (`with_reference`) or without references
    /// ([`Method::default_for`]), with AtS options `k`, `delta`.
    pub fn parse_or_default(
        name: Option<&str>,
        with_reference: bool,
        k: usize,
        delta: f64,
    ) -> Result<Method> {
        Method::parse(
            name.unwrap_or(Method::default_for(with_reference).name()),
            k,
            delta,
        )
    }

    /// The method's name, as [`Method::parse`] reads it.
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// What the score of an estimate is, in words (lower ranks first):
    /// the predicted loss at the target for the methods that extrapolate,
    /// else the method's own key (`slaw select`'s header, JSON `score_is`).
    pub fn score_is(&self) -> &'static str {
        match self.name() {
            "ats-gap" | "ats-ref" => {
                "the predicted loss at the target by the gap trend, a ranking score: its level \
                 can be 9-19% low on curves that flatten toward their floor (AtS's line \
                 prediction is given beside it)"
            }
            _ if self.predicts_loss() => "the predicted loss at the target",
            "model-size" => "-ln(parameter count), so the largest model ranks first (not a loss)",
            "zero-shot" => {
                "the zero-shot loss (n = 0, no fine-tuning), not a prediction at the target"
            }
            "sub-tuning" => {
                "the measured loss at the largest affordable size, not a prediction at the target"
            }
            _ => "the method's score (lower ranks first), not a loss",
        }
    }

    /// What the method is (its registry entry).
    pub fn kind(&self) -> &'static dyn SelectionMethod {
        self.kind
    }

    /// Whether the recommendation is the candidate with the lowest upper
    /// end of its risk interval rather than the lowest prediction
    /// (a risk-averse choice: a model preferred only under the steep
    /// hypotheses is not recommended over one that is good under all).
    pub fn chooses_robustly(&self) -> bool {
        self.kind.chooses_robustly()
    }

    /// Whether the score is a loss (else it is -ln(parameters)).
    pub fn predicts_loss(&self) -> bool {
        self.kind.predicts_loss()
    }

    /// The fewest fine-tuning sizes the method ranks a candidate from, and
    /// what needs them ([`SelectionMethod::fewest_sizes`], with this
    /// method's AtS options).
    pub fn fewest_sizes(&self, zero_shot: bool) -> Option<(usize, String)> {
        self.kind.fewest_sizes(self.ats.k, zero_shot)
    }

    /// Whether the method reads the zero-shot loss (N = 0) when a candidate
    /// has one.
    pub fn reads_zero_shot(&self) -> bool {
        self.kind.needs().zero_shot
    }

    /// The fine-tuning sizes this method trains the candidate on.
    pub fn sizes_used(&self, c: &Candidate, budget: &Budget) -> Vec<f64> {
        self.kind.sizes_used(c, budget)
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
        let s = Scoring {
            candidate: c,
            budget,
            points: budget.affordable(c),
            bootstrap,
            pool: ctx,
            ats: self.ats,
        };
        let mut e = Estimate {
            id: c.id.clone(),
            family: c.family.clone(),
            params: c.size,
            score: f64::NAN,
            predicted_loss: None,
            interval: None,
            interval_kind: None,
            interval_from: None,
            risk_interval: None,
            open_below: None,
            detail: Detail::None,
        };
        self.kind.estimate(&s, &mut e)?;
        // A target so far past the affordable sizes that the extrapolated
        // loss underflows to 0 is not a prediction: `--target 1e300`
        // printed every score as 0 with the interval [0, inf]. Nor is one
        // that has not quite underflowed (7.5e-186 among candidates whose
        // predictions were 0): a prediction more than FAR_DECADES decades
        // from the candidate's measured losses, or an interval from 0 to
        // inf, is refused alike, so every candidate meets the same rule.
        if e.predicted_loss
            .is_some_and(|v| !(v.is_finite() && v > 0.0) || far_from_curve(c, v))
            || e.interval.is_some_and(|i| i.lo <= 0.0 && !i.hi.is_finite())
        {
            return Err(Error::setting(
                crate::error::Setting::Target,
                format!(
                    "candidate '{}': {}'s predicted loss at the target {} is {} (interval {}): \
                     the target is too far past the largest affordable size {} to extrapolate \
                     (a prediction of 0 or inf, an interval from 0 to inf, or one more than {} \
                     decades from the candidate's measured losses is no prediction)",
                    c.id,
                    self.name(),
                    crate::numbers::num(budget.target),
                    e.predicted_loss.map_or("-".into(), crate::numbers::num),
                    e.interval.map_or("-".into(), |i| {
                        format!(
                            "[{}, {}]",
                            crate::numbers::g6(i.lo),
                            crate::numbers::g6(i.hi)
                        )
                    }),
                    crate::numbers::num(budget.max_n),
                    crate::observations::FAR_DECADES
                ),
            ));
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

    /// The method's predicted loss curve at the sizes `ns` (for plots); empty
    /// for the methods that do not extrapolate.
    pub fn curve(
        &self,
        c: &Candidate,
        budget: &Budget,
        e: &Estimate,
        ns: &[f64],
    ) -> Vec<(f64, f64)> {
        if let Some(kind) = self.kind.line(&trend_of(&e.detail), &gap_of(&e.detail)) {
            let pts = budget.affordable(c);
            let AtsOptions { k, delta } = self.ats;
            let l0 = c.loss_at(0.0);
            return ns
                .iter()
                .filter_map(|&n| line_prediction(&pts, k, delta, kind, n, l0).map(|p| (n, p.0)))
                .collect();
        }
        match &e.detail {
            Detail::Fit(f) => ns.iter().map(|&n| (n, f.predict(&[n]))).collect(),
            _ => Vec::new(),
        }
    }

    /// The line-based kind of a method (AtS for the others).
    pub fn line_kind(&self, w: &[f64; trend::N_W], g: &[f64; trend::N_G]) -> LineKind {
        self.kind.line(w, g).unwrap_or(LineKind::Ats)
    }
}

/// Score by a line extrapolation (the AtS-based methods): the prediction
/// of `kind`'s hypotheses at the target; the interval calibrated on the
/// pool's backtests when the pool gives a calibration, else a bootstrap of
/// the points.
pub(super) fn line_estimate(
    s: &Scoring,
    kind: LineKind,
    adapted: bool,
    e: &mut Estimate,
) -> Result<()> {
    let AtsOptions { k, delta } = s.ats;
    let (c, budget, pts, ctx) = (s.candidate, s.budget, &s.points, s.pool);
    s.need(k + 1, "AtS")?;
    let gap = kind.gap_input(c.loss_at(0.0));
    let (hyp, fit) =
        Hypotheses::at(pts, k, delta, &ctx.trend, gap, budget.target).ok_or_else(|| {
            Error::data(format!(
                "candidate '{}': the affordable sizes do not define a line",
                c.id
            ))
        })?;
    // On a noisy pool the trends amplify the points' noise: rank by the
    // AtS line (`noise`); the interval below keeps the method's hypotheses.
    let ln_pred = if ctx.noisy.is_some() {
        hyp.line
    } else {
        hyp.predict(kind)
    };
    let pred = ln_pred.exp();
    e.predicted_loss = Some(pred);
    e.score = pred;
    if matches!(kind, LineKind::Gap(..)) {
        e.interval_from = Some("ats-trend");
    }
    if let Some(cal) = &ctx.calibration {
        let r = budget.target.ln() - pts[pts.len() - 1].0.ln();
        let ln_centre = hyp.predict(kind.interval_kind());
        let h = hyp.spread(ln_centre);
        e.interval = Some(cal.interval(ln_centre, r, h));
        // In a pool whose curves bend toward a floor within reach, the
        // candidate's own floor fit is a fourth hypothesis of the spread,
        // on the side where it lies (`super::floor`).
        if let (Some(k), Some(iv), true) = (
            cal.scale,
            e.interval,
            ctx.floor.is_some_and(|f| f.shows_floor()),
        ) {
            if let Some(fit) = FloorFit::of(c, pts, budget.target) {
                let centre = cal.centre(ln_centre, r);
                let f = fit.ln_at_target;
                e.interval = Some(Interval {
                    lo: iv.lo.min((centre - k * h.max(centre - f)).exp()),
                    hi: iv.hi.max((centre + k * h.max(f - centre)).exp()),
                });
            }
        }
        e.interval_kind = Some(IntervalKind::Backtest {
            level: cal.interval_level(),
        });
        e.risk_interval = Some(cal.risk_interval(ln_centre, r, h));
        // A curve still accelerating may fall below every hypothesis: the
        // lower end opens to the law's bound (probe54 #6). The risk
        // interval, which the decisions compare, is unchanged.
        if let Some(iv) = e.interval {
            if let Some(open) = super::OpenBelow::of(pts, budget, iv.lo) {
                e.interval = Some(Interval {
                    lo: open.lo(),
                    hi: iv.hi,
                });
                e.open_below = Some(open);
            }
        }
    } else {
        let boot = Resampling {
            level: ctx.level.unwrap_or(s.bootstrap.level),
            ..*s.bootstrap
        };
        e.interval = line_interval(
            pts,
            k,
            delta,
            kind.interval_kind(),
            budget.target,
            c.loss_at(0.0),
            &boot,
        );
        e.interval_kind = e
            .interval
            .map(|_| IntervalKind::Bootstrap { level: boot.level });
    }
    e.detail = Detail::Ats {
        accepted: fit.accepted.clone(),
        transition: fit.transition,
        line: fit.line,
        power_phase_loss: fit.predict(budget.target),
        trend: adapted.then_some(ctx.trend),
        gap: gap.map(|g| g.0),
    };
    Ok(())
}

/// Score by a catalog law fitted to the affordable sizes (with the
/// zero-shot point first when `zero_shot`), named `name` in messages; the
/// interval a bootstrap of the points.
/// [`SelectionMethod::fewest_sizes`] of a law fit: as many points as the
/// law has parameters, the zero-shot point counting for one where the
/// method reads it (`law_estimate`'s own check).
pub(super) fn law_fewest_sizes(
    law: &crate::law::Law,
    reads_zero_shot: bool,
    zero_shot: bool,
    name: &str,
) -> Option<(usize, String)> {
    let p = law.n_params();
    let with_l0 = reads_zero_shot && zero_shot;
    Some((
        p - usize::from(with_l0),
        format!(
            "{name} (a law of {p} parameters{})",
            if with_l0 { ", one point at n = 0" } else { "" }
        ),
    ))
}

pub(super) fn law_estimate(
    s: &Scoring,
    law: &crate::law::Law,
    zero_shot: bool,
    name: &str,
    e: &mut Estimate,
) -> Result<()> {
    let (c, budget, bootstrap) = (s.candidate, s.budget, s.bootstrap);
    s.need(law.n_params() - usize::from(zero_shot), name)?;
    let curve = law_points(&s.points, c, zero_shot);
    if curve.len() < law.n_params() {
        s.need(law.n_params(), name)?;
    }
    let obs = curve_observations(&curve);
    let opts = law_fit_options();
    let res = fit(law, &obs, &opts)?;
    let pred = res.predict(&[budget.target]);
    e.predicted_loss = Some(pred);
    e.score = pred;
    // With no more points than parameters the law interpolates
    // them: every resample refits the same curve, and the
    // "interval" would have zero width. Give none.
    if bootstrap.replicates > 0 && res.converged && curve.len() > law.n_params() {
        let b = crate::bootstrap::bootstrap(
            law,
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
    Ok(())
}

/// A predicted loss more than [`crate::observations::FAR_DECADES`] decades
/// from every measured loss of `c` (below its lowest or above its highest):
/// an extrapolation too far to be a prediction.
fn far_from_curve(c: &Candidate, v: f64) -> bool {
    let (lo, hi) = c
        .curve
        .iter()
        .map(|p| p.1)
        .filter(|l| l.is_finite() && *l > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), l| {
            (lo.min(l), hi.max(l))
        });
    let far = crate::observations::FAR_DECADES;
    lo <= hi && (lo.log10() - v.log10() > far || v.log10() - hi.log10() > far)
}

/// The objective of the law-fitting methods: squared error on log L.
pub fn law_fit_options() -> FitOptions {
    FitOptions {
        loss: Loss::Squared,
        space: Space::Log,
        // Few points and four parameters leave long flat valleys (vanilla:
        // alpha and beta trade off once E is small). The engine polishes
        // squared-error fits by Levenberg-Marquardt to the optimum (no
        // relative-decrease stop, see `fit::search`), a single given start
        // (warm starts of bootstrap replicates) too: this tolerance, below
        // `fit::FULL_PRECISION_FTOL`, asks for that polish.
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

/// The points a law-fitting method fits: `points` (the candidate's
/// affordable ones, [`Budget::affordable`]), preceded by its zero-shot loss
/// at D = 0 when `zero_shot` (rectified-fit) and the candidate has one.
pub fn law_points(points: &[(f64, f64)], c: &Candidate, zero_shot: bool) -> Vec<(f64, f64)> {
    let mut curve = points.to_vec();
    if zero_shot {
        if let Some(l0) = c.loss_at(0.0) {
            curve.insert(0, (0.0, l0));
        }
    }
    curve
}

/// Points (D, loss) as observations of the one input D.
pub fn curve_observations(curve: &[(f64, f64)]) -> Observations {
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
    /// The `Trend` prediction averaged with the gap trend (trend weights,
    /// gap-trend weights); the `Trend` prediction alone for a candidate
    /// without a zero-shot loss.
    Gap([f64; trend::N_W], [f64; trend::N_G]),
}

impl LineKind {
    /// The kind whose prediction centres the interval and the risk-averse
    /// choice: `Trend` for `Gap` (ats-gap's interval and recommendation are
    /// ats-trend's; the gap trend moves the ranking only — its own interval,
    /// centred on its prediction, covered 47-80% at the 80% level on WMT19,
    /// LODO, BENCHMARKS.md), the kind itself otherwise.
    pub fn interval_kind(&self) -> LineKind {
        match self {
            LineKind::Gap(w, _) => LineKind::Trend(*w),
            k => *k,
        }
    }

    /// The gap trend's weights and the zero-shot loss `l0`, when the kind
    /// reads them and the candidate has one (> 0).
    pub fn gap_input(&self, l0: Option<f64>) -> Option<([f64; trend::N_G], f64)> {
        match (self, l0) {
            (LineKind::Gap(_, g), Some(l0)) if l0 > 0.0 && l0.is_finite() => Some((*g, l0)),
            _ => None,
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
    /// The gap trend's weights (ats-gap; learned on complete curves, not adapted).
    pub gap: [f64; trend::N_G],
    /// The calibration of the line methods' predictive intervals (None: bootstrap intervals).
    pub calibration: Option<Calibration>,
    /// The references and their weights on this pool (methods that read
    /// them, [`Needs::reference`]; None: no reference given).
    pub reference: Option<std::sync::Arc<ReferenceMix>>,
    /// The level asked of the line methods' predictive intervals (None:
    /// the bootstrap's). Where the pool gives no calibration (too few
    /// candidates' backtests) their bootstrap interval is drawn at this
    /// level, so `--level` is honoured either way.
    pub level: Option<f64>,
    /// Whether the pool's curves bend toward a floor within the target's
    /// reach ([`FloorCheck`]); None where the intervals are not scaled (no
    /// calibration, or no [`SpreadScale`]). Where it shows one, each line
    /// candidate's interval also spans its own floor fit ([`FloorFit`]).
    pub floor: Option<FloorCheck>,
    /// The pool's point noise where it is above [`noise::NOISY`] and the
    /// method ranks by a learned trend: it then ranks by the AtS line.
    pub noisy: Option<f64>,
}

impl PoolContext {
    /// No pool information: the prior trend, bootstrap intervals.
    pub fn alone() -> PoolContext {
        PoolContext {
            trend: trend::PRIOR,
            gap: trend::GAP_PRIOR,
            calibration: None,
            reference: None,
            level: None,
            floor: None,
            noisy: None,
        }
    }

    /// Adapt the trend to the pool (for `ats-trend`) and calibrate the
    /// intervals of the line methods at `level` (None: bootstrap intervals),
    /// their width by the method's shipped [`SpreadScale`].
    pub fn of(
        method: &Method,
        pool: &[Candidate],
        budget: &Budget,
        prior: &[f64; trend::N_W],
        level: Option<f64>,
    ) -> PoolContext {
        let scale = shipped_scale(method.name());
        let gap = &trend::GAP_PRIOR;
        Self::with_scale(method, pool, budget, prior, gap, level, scale.as_ref())
    }

    /// [`PoolContext::of`] with the gap trend's weights `gap` and the
    /// interval's width from `scale` (None: the backtest spread scaled to
    /// the target, in quadrature with the hypotheses' spread). The pool's
    /// backtests run on the affordable points alone, without the zero-shot
    /// loss (for `ats-gap` they are `ats-trend`'s) and without the points
    /// that break their curve's trend ([`super::spikes`]).
    pub fn with_scale(
        method: &Method,
        pool: &[Candidate],
        budget: &Budget,
        prior: &[f64; trend::N_W],
        gap: &[f64; trend::N_G],
        level: Option<f64>,
        scale: Option<&SpreadScale>,
    ) -> PoolContext {
        Self::with_scale_spikes(method, pool, budget, prior, gap, level, scale, None)
    }

    /// [`PoolContext::with_scale`] given [`super::spikes::spikes`] of
    /// `pool` and `budget` when the caller has them already (None: computed
    /// here, for the methods that learn from the pool).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn with_scale_spikes(
        method: &Method,
        pool: &[Candidate],
        budget: &Budget,
        prior: &[f64; trend::N_W],
        gap: &[f64; trend::N_G],
        level: Option<f64>,
        scale: Option<&SpreadScale>,
        spikes: Option<&[super::spikes::Spike]>,
    ) -> PoolContext {
        if !method.kind.needs().pool {
            return PoolContext {
                trend: *prior,
                gap: *gap,
                calibration: None,
                reference: None,
                level,
                floor: None,
                noisy: None,
            };
        }
        let AtsOptions { k, delta } = method.ats;
        let mut curves: Vec<Vec<(f64, f64)>> = pool.iter().map(|c| budget.affordable(c)).collect();
        // A point that breaks its curve's trend (a bad seed, a typo) would
        // move the drift and trend of every candidate's interval: they are
        // learned without it (`spikes`; the selection warns about it).
        match spikes {
            Some(s) => super::spikes::without(&mut curves, s),
            None => super::spikes::without(&mut curves, &super::spikes::spikes(pool, budget)),
        }
        let w = method.kind.adapt_trend(prior, &curves, method.ats);
        let kind = method.line_kind(&w, gap);
        let calibration = level.and_then(|level| {
            Calibration::backtest(
                curves.iter().map(|c| c.as_slice()),
                k + 1,
                level,
                &|pts, target| line_prediction(pts, k, delta, kind, target, None).map(|p| p.0.ln()),
            )
        });
        let calibration = match scale {
            Some(sc) => calibration.map(|c| c.with_scale(sc)),
            None => calibration,
        };
        // The floor check, for the scaled intervals: each candidate's
        // centre as `line_estimate` computes it, from its affordable points
        // (every one, as it scores them).
        let floor = calibration.filter(|c| c.scale.is_some()).map(|cal| {
            let centre = |pts: &[(f64, f64)]| {
                let (hyp, _) = Hypotheses::at(pts, k, delta, &w, None, budget.target)?;
                let r = budget.target.ln() - pts.last()?.0.ln();
                Some(cal.centre(hyp.predict(kind.interval_kind()), r))
            };
            FloorCheck::of(pool, budget.target, &|c| budget.affordable(c), &centre)
        });
        let noisy = matches!(kind, LineKind::Trend(_) | LineKind::Gap(..))
            .then(|| noise::pool_noise(curves.iter().map(|c| c.as_slice())))
            .flatten()
            .filter(|&n| n > noise::NOISY);
        PoolContext {
            trend: w,
            gap: *gap,
            calibration,
            reference: None,
            level,
            floor,
            noisy,
        }
    }

    /// Give a method that reads references ([`Needs::reference`]) the
    /// `references` and their weights measured on `pool` under `budget`
    /// ([`ReferenceMix::of`]); unchanged for the other methods or without
    /// references.
    pub fn with_references(
        mut self,
        method: &Method,
        pool: &[Candidate],
        budget: &Budget,
        references: &[Reference],
    ) -> PoolContext {
        if !method.kind.needs().reference || references.is_empty() {
            return self;
        }
        let AtsOptions { k, delta } = method.ats;
        let kind = method.line_kind(&self.trend, &self.gap);
        self.reference = Some(std::sync::Arc::new(ReferenceMix::of(
            pool, budget, references, kind, k, delta,
        )));
        self
    }
}

/// The scores of a [`SpreadScale`] from one pool of complete curves at one
/// budget: for every candidate with a loss at the target, u = |ln L_true -
/// centre| / h (the interval's centre and the hypotheses' spread as the
/// line method computes them from the affordable points, the pool adapted
/// and backtested as [`PoolContext::of`] does). Empty for a method without
/// a line or a pool without a calibration.
pub fn spread_scores(
    method: &Method,
    pool: &[Candidate],
    budget: &Budget,
    prior: &[f64; trend::N_W],
    gap: &[f64; trend::N_G],
) -> Vec<f64> {
    let ctx = PoolContext::with_scale(method, pool, budget, prior, gap, Some(0.5), None);
    let (Some(cal), Some(kind)) = (ctx.calibration, method.kind.line(&ctx.trend, &ctx.gap)) else {
        return Vec::new();
    };
    let AtsOptions { k, delta } = method.ats;
    pool.iter()
        .filter_map(|c| {
            let truth = c.loss_at(budget.target)?.ln();
            let pts = budget.affordable(c);
            let gap = kind.gap_input(c.loss_at(0.0));
            let (hyp, _) = Hypotheses::at(&pts, k, delta, &ctx.trend, gap, budget.target)?;
            let ln_centre = hyp.predict(kind.interval_kind());
            let r = budget.target.ln() - pts.last()?.0.ln();
            let u = (truth - cal.recent_centre(ln_centre, r)).abs() / hyp.spread(ln_centre);
            u.is_finite().then_some(u)
        })
        .collect()
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
    /// The gap trend's prediction (with a zero-shot loss and gap weights).
    pub gap: Option<f64>,
}

impl Hypotheses {
    /// `None` when AtS has no line. `gap`: the gap trend's weights and the
    /// zero-shot loss (None: no gap hypothesis).
    pub fn at(
        pts: &[(f64, f64)],
        k: usize,
        delta: f64,
        w: &[f64; trend::N_W],
        gap: Option<([f64; trend::N_G], f64)>,
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
                gap: gap.map(|(g, l0)| f.gap_ln(&g, xt, l0.ln())),
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
            LineKind::Gap(..) => {
                let trend = 0.5 * (self.line + self.trend);
                match self.gap {
                    Some(g) => 0.5 * (trend + g),
                    None => trend,
                }
            }
        }
    }

    /// The largest distance (ln units) from `ln_pred` to one of the three
    /// line hypotheses (the gap trend is not one: see [`LineKind::interval_kind`]):
    /// the model part of a predictive interval.
    pub fn spread(&self, ln_pred: f64) -> f64 {
        [self.line, self.steepening, self.trend]
            .iter()
            .map(|h| (h - ln_pred).abs())
            .fold(0.0, f64::max)
    }
}

/// The AtS (or blended) prediction at `target` from the points (n, loss)
/// and the zero-shot loss `l0` (read by the gap kind only).
pub(super) fn line_prediction(
    pts: &[(f64, f64)],
    k: usize,
    delta: f64,
    kind: LineKind,
    target: f64,
    l0: Option<f64>,
) -> Option<(f64, AtsFit)> {
    let w = match kind {
        LineKind::Trend(w) | LineKind::Gap(w, _) => w,
        _ => trend::PRIOR,
    };
    let (h, fit) = Hypotheses::at(pts, k, delta, &w, kind.gap_input(l0), target)?;
    Some((h.predict(kind).exp(), fit))
}

/// Percentile bootstrap (at the bootstrap's level) of the line prediction:
/// the affordable points are resampled with replacement (the zero-shot loss
/// `l0` kept); replicates without a line are skipped, and with fewer than
/// half of them left there is no interval.
#[allow(clippy::too_many_arguments)]
fn line_interval(
    pts: &[(f64, f64)],
    k: usize,
    delta: f64,
    kind: LineKind,
    target: f64,
    l0: Option<f64>,
    bootstrap: &Resampling,
) -> Option<Interval> {
    let draws = bootstrap.run(&|| {}, |rep| {
        let mut sample: Vec<(f64, f64)> = rep.points(pts.len()).iter().map(|&i| pts[i]).collect();
        sample.sort_by(|a, b| a.0.total_cmp(&b.0));
        line_prediction(&sample, k, delta, kind, target, l0)
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
    /// The method whose prediction the interval is built around, when it is
    /// not this estimate's own (ats-gap, ats-ref: "ats-trend"; see
    /// [`LineKind::interval_kind`]): the interval is not centred on
    /// `predicted_loss`, which may lie outside it. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_from: Option<&'static str>,
    /// The interval the decisions compare: the risk-averse choice, the
    /// runner's successive halving ([`Calibration::risk_interval`]; line
    /// methods with a calibration). Not what `interval` covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_interval: Option<Interval>,
    /// The interval is open below: the candidate is still accelerating at
    /// its largest affordable size, and the interval's lower end is the
    /// lower of the calibrated one and the rectified law's bound
    /// ([`super::OpenBelow`]; line methods' predictive intervals only).
    /// Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_below: Option<super::OpenBelow>,
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
        /// The gap trend's weights (ats-gap, with a zero-shot loss).
        #[serde(skip_serializing_if = "Option::is_none")]
        gap: Option<[f64; trend::N_G]>,
    },
    /// A fitted law (its JSON: the fit's fields beside `"kind": "fit"`).
    Fit(Box<Fit>),
}

impl Estimate {
    /// Whether the predicted loss lies outside `interval` (possible when the
    /// interval is another method's, `interval_from`); false without either.
    pub fn prediction_outside_interval(&self) -> bool {
        match (self.predicted_loss, self.interval) {
            (Some(p), Some(i)) => p < i.lo || p > i.hi,
            _ => false,
        }
    }
}

/// The gap-trend weights an estimate used (the prior when it has none).
fn gap_of(detail: &Detail) -> [f64; trend::N_G] {
    match detail {
        Detail::Ats { gap: Some(g), .. } => *g,
        _ => trend::GAP_PRIOR,
    }
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
mod tests {
    use super::*;

    /// Probe fz item 5: a prediction of 7.5e-186 for a candidate whose
    /// losses are near 2 is no prediction, as one that underflowed to 0.
    #[test]
    fn a_prediction_decades_from_the_measured_losses_is_too_far() {
        let c = Candidate {
            id: "m".into(),
            curve: vec![(0.0, 3.1), (200.0, 2.6), (400.0, 2.4), (800.0, 2.2)],
            size: None,
            family: None,
        };
        assert!(far_from_curve(&c, 7.48066e-186));
        assert!(far_from_curve(&c, 1e12));
        assert!(!far_from_curve(&c, 1.5));
        assert!(!far_from_curve(&c, 3e-6));
    }
}
