//! Multi-start fitting: the local solver runs from the points of the
//! starting grid, in parallel, and the best converged run wins.
//!
//! By default the starts run in batches, coarse to fine over the grid
//! ([`spread_order`]), and the search stops once three distinct starts agree
//! on the best optimum (objective and parameters, [`agrees`]) — the same
//! count that certifies the optimum — or the grid is exhausted;
//! [`MultiStart::All`] runs every start.
//!
//! The search is scale-free: the data are divided by their own scale and the
//! grid and bounds are read relative to it (see `crate::scaling`), so
//! multiplying an input by 10^k changes neither the optimum nor a
//! prediction. The result says how many starts converged, how many reached
//! the best optimum (a second, denser search runs when only one did), which
//! parameters the data do not pin (`crate::identify`), and warns when the
//! optimum sits on a bound or, found by a single start, outside the grid.
//!
//! Small squared-error fits polish with Levenberg-Marquardt and no
//! relative-decrease test, so a flat valley is followed to its optimum
//! (or its bound) instead of stopping on slow progress. Small Huber fits
//! keep their L-BFGS polish and continue the winner the same way, by
//! Levenberg-Marquardt on the IRLS model ([`Objective::huber_gauss_newton`]),
//! keeping the lower point; when Levenberg-Marquardt finds no decreasing
//! step, L-BFGS with no relative-decrease test goes on from there. (Both
//! for fits asked for their optimum, `Tolerances::ftol` <=
//! [`FULL_PRECISION_FTOL`], given a single start or many.) A polish that
//! still stops short (its iteration limit, 10x the fit's) makes the fit
//! not converged, with the termination "max iterations" and a warning.
//!
//! Global phase: when a small squared-error fit's grid ends without
//! certifying its best optimum (fewer than `agree` starts reached it with
//! the same parameters: the starts agree on the objective only, along a flat
//! valley, or it was found once), [`GLOBAL_STARTS`] quasi-random starts over
//! the whole box of the bounds each run a short Levenberg-Marquardt probe;
//! a probe that ends below the best optimum is polished to the end and wins
//! when lower (the answer only moves down). `FitOptions::global_starts` = 0
//! turns it off.

use crate::bootstrap::Interval;
use crate::identify::{self, Identifiability};
use crate::law::{Law, Named, Params};
use crate::objective::{Loss, Objective, Space};
use crate::observations::Observations;
use crate::scaling::{self, Scales};
use crate::solver::{
    Function, LbfgsBox, LevenbergMarquardt, Outcome, Solver, Termination, Tolerances,
};
use crate::{Error, Result};
use rayon::prelude::*;

#[derive(Debug, Clone)]
/// How a law is fitted: the loss, the space, the solver's tolerances and the multi-start search.
pub struct FitOptions {
    /// The loss of the residuals (Huber by default).
    pub loss: Loss,
    /// The space of the residuals (ln L by default).
    pub space: Space,
    /// The local solver's stopping rules.
    pub tol: Tolerances,
    /// Starting points (internal units of the data); `None` uses the law's grid.
    pub starts: Option<Vec<Vec<f64>>>,
    /// Screening tolerance: each start stops once a step improves the
    /// objective by less than this fraction of it; the best distinct results
    /// are then polished with `tol` (small squared-error fits: by
    /// Levenberg-Marquardt to the optimum, with no relative-decrease stop).
    /// A start only has to show which basin it falls in.
    pub screen_ftol: f64,
    /// How many of the best distinct screening optima are polished.
    pub polish: usize,
    /// Fit on data divided by its own scale, with the grid and bounds read
    /// relative to that scale (the default). Off: grid and bounds are in the
    /// data's units (set it off when bounds or a grid were given in those units).
    pub scale_free: bool,
    /// When only one start of the law's grid reaches the best optimum, screen
    /// this many times as many extra starts (quasi-random, over the grid's
    /// span widened by half) before reporting. 0: no second search.
    pub retry_factor: usize,
    /// Starts of the global phase (small squared-error fits whose grid ends
    /// without certifying its best optimum, see the module documentation);
    /// 0: none. Default [`GLOBAL_STARTS`].
    pub global_starts: usize,
    /// How many starts run: the whole grid, or batches until enough
    /// distinct starts agree on the best optimum.
    pub multistart: MultiStart,
    /// A refit's warm start: the search units of the fit whose optima
    /// `starts` are ([`FitOptions::warm_from`]). A law without a closed-form
    /// map of its parameters then searches the data divided by that fit's
    /// scales, from those optima, so that its refits (bootstrap, rolling
    /// origin) are the same problem in any unit of the data; `None`: the
    /// starts are in the data's units only.
    pub warm: Option<WarmStart>,
}

/// The fit a refit starts from, in that fit's search units (see
/// [`FitOptions::warm`]).
#[derive(Debug, Clone, PartialEq)]
pub struct WarmStart {
    /// ln of the scales its search divided the data by (`Fit::scale_ln`).
    pub scale_ln: Vec<f64>,
    /// Its distinct optima in its search's units (`Fit::search_optima`).
    pub optima: Vec<Vec<f64>>,
    /// Its optimum in the data's internal units: where the map of a
    /// refit's optimum back to the data's units starts.
    pub internal: Vec<f64>,
}

impl FitOptions {
    /// These options for a refit of `full`'s law on other data (resampled
    /// points, a rolling origin's window): warm-started from `full`'s
    /// distinct optima, no new multi-start; a law without a closed-form map
    /// searches in `full`'s units (see [`FitOptions::warm`]).
    pub fn warm_from(&self, full: &Fit) -> FitOptions {
        FitOptions {
            starts: Some(full.optima.clone()),
            warm: (full.search_optima.len() == full.optima.len()).then(|| WarmStart {
                scale_ln: full.scale_ln.clone(),
                optima: full.search_optima.clone(),
                internal: full.internal.clone(),
            }),
            ..self.clone()
        }
    }
}

/// How the multi-start search decides it has seen enough starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum MultiStart {
    /// Every start of the grid, in the grid's order.
    All,
    /// Starts in batches, coarse to fine over the grid (the centre, then the
    /// ends and midpoints of every axis: each shell completes a coarser
    /// grid); stop once `agree` distinct starts reached the best optimum
    /// (objective within a relative tolerance and parameters close, see
    /// [`agrees`]) or the grid is exhausted.
    Adaptive {
        /// Distinct agreeing starts to stop at.
        agree: usize,
    },
}

impl MultiStart {
    /// The default: three agreeing starts.
    pub const DEFAULT: MultiStart = MultiStart::Adaptive { agree: 3 };
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            loss: Loss::Huber { delta: 1e-3 },
            space: Space::Log,
            tol: Tolerances::default(),
            starts: None,
            screen_ftol: 1e-3,
            polish: 5,
            scale_free: true,
            retry_factor: 2,
            global_starts: GLOBAL_STARTS,
            multistart: MultiStart::DEFAULT,
            warm: None,
        }
    }
}

/// A fitted law: the law itself, its parameters by name (with their
/// intervals once a bootstrap ran), whether and how the search ended, and
/// `predict`. Every decision evaluates its law through this value.
///
/// JSON: `{"law": "chinchilla", "params": {"A": ..}, "intervals": {"A": {"lo": .., "hi": ..}}, "converged": true, "termination": "converged", ..}`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Fit {
    /// The law (serialized as its name).
    #[serde(serialize_with = "law_name")]
    pub law: Law,
    /// Best parameters in natural units, by name (reads as a slice in the
    /// law's order).
    pub params: Params,
    /// Intervals of the parameters (bootstrap of the points, see
    /// `interval_level`), when computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervals: Option<Named<Interval>>,
    /// Level of `intervals` (e.g. 0.95), when computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_level: Option<f64>,
    /// What `intervals` cover, `{"kind": "bootstrap", "level": ..}` (the
    /// shape every command's intervals say it in), when computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_kind: Option<crate::selection::calibrate::IntervalKind>,
    /// Best parameters in the optimizer's units (ln for log parameters).
    #[serde(skip)]
    pub internal: Vec<f64>,
    /// The same in the search's units: for the data divided by their scales
    /// (`scale_ln`), where the law's bounds hold (`internal` when the search
    /// ran in the data's units).
    #[serde(skip)]
    pub search_internal: Vec<f64>,
    /// The objective at the best parameters.
    pub objective: f64,
    /// True when at least one start converged (the winner is the best
    /// converged start) and the search did not stop short of the optimum:
    /// false when the polish with no relative-decrease test (small fits,
    /// see the module documentation) ended on its iteration limit still decreasing f;
    /// `termination` is then "max iterations" and a warning says the search
    /// "stopped short".
    pub converged: bool,
    /// Why the winning start's solver stopped: converged, at a bound
    /// (converged with a parameter on a bound), the iteration limit, a
    /// failed line search, a non-finite objective.
    pub termination: Termination,
    /// The termination in words (the test that fired).
    pub termination_message: String,
    /// Starts run.
    pub n_starts: usize,
    /// Starts that converged (at the screening tolerance).
    pub n_converged: usize,
    /// Index of the winning start in the grid, and that start (natural units).
    pub best_start: usize,
    /// The winning start (natural units).
    pub best_start_point: Vec<f64>,
    /// Solver iterations over all starts and polishing runs (counted as
    /// `evaluations` are).
    pub iterations: u64,
    /// Objective evaluations over all starts and polishes.
    pub evaluations: u64,
    /// Parameters whose optimum lies on (within 1e-6 of) a bound.
    pub at_bounds: Vec<String>,
    /// Parameters whose optimum lies outside the range spanned by the grid.
    pub outside_grid: Vec<String>,
    /// What a reader should know about the fit (no convergence, a bound, one start).
    pub warnings: Vec<String>,
    /// Distinct local optima (internal units), best first, at most 5: used to
    /// warm-start bootstrap refits.
    #[serde(skip)]
    pub optima: Vec<Vec<f64>>,
    /// The same optima in the search's units (those of `search_internal`),
    /// when every one of them mapped back to the data's units (else empty).
    #[serde(skip)]
    pub search_optima: Vec<Vec<f64>>,
    /// Points fitted.
    pub n_points: usize,
    /// Distinct starts that reached the best optimum: objective within
    /// `BEST_TOLERANCE` (relative) after screening and parameters within
    /// `AGREE_XTOL_SCREENED`, or within 1e-3 and `AGREE_XTOL_POLISHED`
    /// after polishing (see [`agrees`]). The adaptive search stops when it
    /// reaches `agree_target`; one means the best optimum was found once: it
    /// may not be global.
    pub n_best: usize,
    /// Starts added by the second search, the global phase and, for a
    /// formula with rates, the search with them in log space (included in
    /// `n_starts`).
    pub extra_starts: usize,
    /// Floor probes run before the adaptive search stopped on agreement
    /// (included in `n_starts`): one start per log-scaled parameter at its
    /// lower bound, the best optimum otherwise (see [`floor_probes`]).
    pub probe_starts: usize,
    /// Starts the grid holds (`n_starts` counts those run: fewer when the
    /// adaptive search stopped early, more after a second search).
    pub grid_starts: usize,
    /// Distinct agreeing starts the adaptive search stops at (0: the whole
    /// grid was asked for).
    pub agree_target: usize,
    /// ln of the scales the data were divided by (inputs, then output) for
    /// the search; all zero when it ran in the data's units.
    pub scale_ln: Vec<f64>,
    /// Standard errors, correlations and the parameters the data do not pin.
    pub identifiability: Identifiability,
}

/// Relative tolerance on the objective for a start to count as having
/// reached the best optimum (screening stops at a relative step of 1e-3, so a screened start ends up to about 1% above its optimum).
pub const BEST_TOLERANCE: f64 = 1e-2;

/// Largest distance, in the search's parameters and relative to
/// 1 + |parameter|, between a screened start's end point and the best
/// optimum for the start to count as having reached it.
pub const AGREE_XTOL_SCREENED: f64 = 5e-2;
/// The same for a polished start (solved to full precision).
pub const AGREE_XTOL_POLISHED: f64 = 1e-3;

/// First batch of the adaptive search; later batches grow to half the
/// starts run so far (at most 1.5x the starts a run that stopped at
/// the end of its last batch needed). Fixed, not tied to the thread count,
/// so the result does not depend on the machine.
pub const FIRST_BATCH: usize = 16;

/// A Huber fit of at most this many points whose best optimum one start
/// reached runs the second search even where other starts came within
/// `BEST_TOLERANCE` of it (BENCHMARKS.md, "A found-once Huber fit searches
/// again"). Measured on windows of 8-40 points; on a long curve's 500 bins
/// the second search's winner (a broken power law with its sharpness on
/// its bound) ended its continuation at the iteration cap, unconverged,
/// where the grid's winner converged: larger fits keep the grid's search.
pub const FOUND_ONCE_MAX_POINTS: usize = 64;

/// Whether `x` (an end point reached with objective `fx`) agrees with the
/// best optimum `best` (objective `fbest`): objective within `ftol`
/// (relative) and every parameter within `xtol * (1 + |best|)`.
pub fn agrees(
    x: &[f64],
    fx: f64,
    best: &[f64],
    fbest: f64,
    ftol: f64,
    xtol: f64,
    floor: f64,
) -> bool {
    fx.is_finite()
        && fx <= fbest + ftol * fbest.abs() + floor
        && x.iter()
            .zip(best)
            .all(|(a, b)| (a - b).abs() <= xtol * (1.0 + b.abs()))
}

/// The order in which the adaptive search visits a Cartesian grid with
/// `dims[j]` values on axis j (last axis fastest, as `Law::grid`):
/// coarse to fine. Each axis is ranked by nested bisection (the middle
/// value, then both ends, then the midpoints between them, ...); a cell's
/// level on an axis is the bisection depth of its value. Cells are sorted by
/// their largest level over the axes (so each shell completes a coarser
/// grid: the centre; then the 3^p grid of centres and ends; ...), then by
/// the sum of their levels (within a shell, cells near the centre first:
/// the axis-aligned star before the corners), then by index.
pub fn spread_order(dims: &[usize]) -> Vec<usize> {
    let levels: Vec<Vec<u32>> = dims.iter().map(|&n| bisection_levels(n)).collect();
    let total: usize = dims.iter().product();
    let mut keys: Vec<(u32, u32, usize)> = (0..total)
        .map(|cell| {
            let mut rest = cell;
            let (mut max, mut sum) = (0u32, 0u32);
            for j in (0..dims.len()).rev() {
                let v = rest % dims[j];
                rest /= dims[j];
                let l = levels[j][v];
                max = max.max(l);
                sum += l;
            }
            (max, sum, cell)
        })
        .collect();
    keys.sort_unstable();
    keys.into_iter().map(|k| k.2).collect()
}

/// Shapes whose [`spread_order`] a thread keeps (the laws a run fits; a
/// shape beyond these is computed each time).
const SPREAD_MEMO: usize = 16;

/// Grid shapes (`dims`) and their visiting orders.
type SpreadOrders = Vec<(Vec<usize>, std::rc::Rc<[usize]>)>;

thread_local! {
    static SPREAD_ORDERS: std::cell::RefCell<SpreadOrders> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// [`spread_order`] of `dims`, computed once per thread and grid shape: it
/// depends on `dims` alone, and every adaptive fit of a law visits its grid
/// in it (the selection benchmark's 840 fits have two shapes).
fn spread_order_memo(dims: &[usize]) -> std::rc::Rc<[usize]> {
    SPREAD_ORDERS.with(|memo| {
        if let Some((_, order)) = memo.borrow().iter().find(|(d, _)| d == dims) {
            return order.clone();
        }
        let order: std::rc::Rc<[usize]> = spread_order(dims).into();
        let mut memo = memo.borrow_mut();
        if memo.len() < SPREAD_MEMO {
            memo.push((dims.to_vec(), order.clone()));
        }
        order
    })
}

/// Bisection depth of each of `n` axis values: the middle 0, the ends 1,
/// then the midpoints of the intervals between values already taken.
fn bisection_levels(n: usize) -> Vec<u32> {
    let mut level = vec![u32::MAX; n];
    if n == 0 {
        return level;
    }
    let mid = (n - 1) / 2;
    level[mid] = 0;
    level[0] = level[0].min(1);
    level[n - 1] = level[n - 1].min(1);
    let mut depth = 1;
    loop {
        let taken: Vec<usize> = (0..n).filter(|&i| level[i] <= depth).collect();
        if taken.len() == n {
            break;
        }
        depth += 1;
        for w in taken.windows(2) {
            if w[1] > w[0] + 1 {
                level[(w[0] + w[1]) / 2] = depth;
            }
        }
    }
    level
}

/// The former name of [`Fit`].
pub type FitResult = Fit;

fn law_name<S: serde::Serializer>(law: &Law, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&law.name)
}

impl Fit {
    /// The law's prediction at `x` (one value per law input, in the law's
    /// input order) with the fitted parameters.
    pub fn predict(&self, x: &[f64]) -> f64 {
        self.law.predict(x, &self.params)
    }
    /// The fitted value of parameter `name` (NaN when the law has none).
    pub fn param(&self, name: &str) -> f64 {
        self.params.value(name)
    }
    /// The parameters' names, in the law's order.
    pub fn param_names(&self) -> &[String] {
        self.params.names()
    }
    /// Attach parameter intervals (in the law's parameter order).
    pub fn set_intervals(&mut self, intervals: Vec<Interval>, level: f64) {
        self.intervals = Some(Named::new(self.params.names().to_vec(), intervals));
        self.interval_level = Some(level);
        self.interval_kind = Some(crate::selection::calibrate::IntervalKind::Bootstrap { level });
    }
    /// Parameters the data do not pin (flat direction, on a bound, equal to
    /// their start): forecasts and predictions that depend on them say so.
    pub fn unidentified(&self) -> &[String] {
        &self.identifiability.unidentified
    }

    /// The bounds the search had, in the data's internal units (those of
    /// `internal`): a scale-free search bounds the parameters of the data
    /// divided by their scale (`scale_ln`), so a loss floor of 1e-10 is
    /// 2.5e-10 for losses in units 2.5 times smaller. Each parameter's
    /// scaled bounds are mapped back with the others held at the optimum
    /// (where `at_bounds` is decided); the law's own bounds when the search
    /// ran in the data's units or the law has no closed-form map.
    pub fn search_bounds(&self) -> (Vec<f64>, Vec<f64>) {
        let law = &self.law;
        let (lo, hi) = law.internal_bounds();
        let Some((&ln_y, ln_x)) = self.scale_ln.split_last() else {
            return (lo, hi);
        };
        let s = Scales {
            ln_x: ln_x.to_vec(),
            ln_y,
        };
        if s.is_identity() {
            return (lo, hi);
        }
        let Some(u) = scaling::to_scaled_exact(law, &self.internal, &s) else {
            return (lo, hi);
        };
        let back = |j: usize, b: f64| -> f64 {
            if !b.is_finite() {
                return b;
            }
            let mut v = u.clone();
            v[j] = b;
            law.model
                .rescale(&v, &s.ln_x, s.ln_y)
                .map(|w| w[j])
                .filter(|w| w.is_finite())
                .unwrap_or(b)
        };
        let mapped =
            |b: &[f64]| -> Vec<f64> { b.iter().enumerate().map(|(j, &b)| back(j, b)).collect() };
        let (a, b) = (mapped(&lo), mapped(&hi));
        // A map that reverses a parameter's direction swaps its ends.
        a.iter()
            .zip(&b)
            .map(|(&x, &y)| (x.min(y), x.max(y)))
            .unzip()
    }
}

/// The default local solver (see BENCHMARKS.md for the comparison with basin).
pub fn default_solver() -> LbfgsBox {
    LbfgsBox::default()
}

/// Fit `law` to `obs` from every start with the default solver.
pub fn fit(law: &Law, obs: &Observations, opts: &FitOptions) -> Result<FitResult> {
    fit_with(law, obs, opts, &default_solver())
}

/// The search problem: data, starts and bounds, in the units it runs in.
struct Problem<'a> {
    /// The points the search reads: the caller's, or a normalized copy.
    obs: std::borrow::Cow<'a, Observations>,
    /// The starts one after the other, `p` values each (one allocation
    /// for the whole grid).
    starts: Vec<f64>,
    /// Values per start: the law's parameter count.
    p: usize,
    scales: Scales,
    /// Optima of the same law searched with its rates in log space
    /// ([`crate::law::formula::with_log_rates`]), in this search's units:
    /// each polished after the search, the lower end kept.
    seeds: Vec<Vec<f64>>,
    /// That search's own counts, added to this one's when its optimum wins.
    seed_counts: Option<SeedCounts>,
    /// A warm-started refit's: the optimum, in the data's internal units,
    /// of the fit it started from, where the map of its optimum back to the
    /// data's units starts ([`scaling::from_scaled_near`]).
    near: Option<Vec<f64>>,
}

/// The counts of the search that found a seed ([`Problem::seeds`]).
#[derive(Debug, Clone)]
struct SeedCounts {
    /// Its winning start (natural units, the data's).
    start: Vec<f64>,
    starts: usize,
    converged: usize,
    best: usize,
    iterations: u64,
    evaluations: u64,
}

impl Problem<'_> {
    /// How many starts.
    fn n_starts(&self) -> usize {
        self.starts.len() / self.p.max(1)
    }
    /// Start `i`.
    fn start(&self, i: usize) -> &[f64] {
        &self.starts[i * self.p..(i + 1) * self.p]
    }
}

fn check(law: &Law, obs: &Observations) -> Result<()> {
    let p = law.n_params();
    if obs.len() < p {
        return Err(Error::input(
            &obs.source,
            None,
            None,
            format!(
                "{} point{} but law '{}' has {} free parameters: fewer points than parameters{}",
                obs.len(),
                if obs.len() == 1 { "" } else { "s" },
                law.name,
                p,
                if obs.groups().iter().any(|g| !g.is_empty()) {
                    format!(" (group '{}')", obs.group_of(0))
                } else {
                    String::new()
                }
            ),
        ));
    }
    let positive = obs.weight.iter().filter(|w| **w > 0.0).count();
    if positive == 0 {
        return Err(Error::input(
            &obs.source,
            None,
            None,
            format!("every weight is zero: nothing to fit law '{}' to", law.name),
        ));
    }
    if positive < p {
        return Err(Error::input(
            &obs.source,
            None,
            None,
            format!(
                "{positive} points with a positive weight but law '{}' has {p} free parameters",
                law.name
            ),
        ));
    }
    Ok(())
}

/// The scale-free problem, or `None` when the law cannot follow a change of
/// units (or the starts cannot be moved).
fn scaled_problem<'a>(law: &Law, obs: &'a Observations, opts: &FitOptions) -> Option<Problem<'a>> {
    let probe = vec![0.0; law.n_params()];
    let closed_form = law
        .model
        .rescale(&probe, &vec![0.0; obs.dim()], 0.0)
        .is_some();
    // No closed form and no numeric map: the law is fitted in the data's
    // units. Nor are given starts mapped numerically: a refit warm-started
    // from a fit (`FitOptions::warm`: bootstrap, rolling origin) searches in
    // that fit's units, from its optima as they were there; other given
    // starts run in the data's units.
    if !closed_form && law.model.numeric_rescale() && opts.starts.is_some() {
        return opts.warm.as_ref().and_then(|w| warm_problem(law, obs, w));
    }
    if !closed_form && (!law.model.numeric_rescale() || opts.starts.is_some()) {
        return None;
    }
    let mut scales = Scales::of(obs, opts.space);
    // The data are moved to the scale the law's grid was written for (or
    // to 1): the grid and bounds then follow the data.
    if let Some((lx, ly)) = law.model.reference_scale() {
        for (s, r) in scales.ln_x.iter_mut().zip(&lx) {
            *s -= r;
        }
        if opts.space == Space::Log {
            scales.ln_y -= ly;
        }
    }
    let (lower, upper) = law.internal_bounds();
    let clamp = |mut v: Vec<f64>| {
        for (j, x) in v.iter_mut().enumerate() {
            *x = x.clamp(lower[j], upper[j]);
        }
        v
    };
    let starts: Vec<f64> = match &opts.starts {
        Some(s) => s
            .iter()
            .map(|u| scaling::to_scaled(law, u, &scales, &obs.x).map(clamp))
            .collect::<Option<Vec<_>>>()?
            .concat(),
        None => law.grid_flat(),
    };
    let p = law.n_params();
    let start0 = &starts[..p];
    let norm = scales.normalize(obs);
    // A law without a closed form must follow the change of units at a start.
    if law
        .model
        .rescale(start0, &scales.ln_x, scales.ln_y)
        .is_none()
        && scaling::from_scaled(law, start0, &scales, &norm.x).is_none()
    {
        return None;
    }
    Some(Problem {
        obs: std::borrow::Cow::Owned(norm),
        starts,
        p,
        scales,
        seeds: Vec::new(),
        seed_counts: None,
        near: None,
    })
}

/// A refit of a law without a closed-form map, warm-started from the fit
/// `w` (see [`FitOptions::warm`]): the data divided by `w`'s scales, the
/// starts `w`'s optima in its search's units (within the bounds), so the
/// problem is the same in any unit of the data and no start is mapped.
/// `None` when `w`'s search ran in the data's units (the refit does too)
/// or does not fit these data and law.
fn warm_problem<'a>(law: &Law, obs: &Observations, w: &WarmStart) -> Option<Problem<'a>> {
    let p = law.n_params();
    let (&ln_y, ln_x) = w.scale_ln.split_last()?;
    let scales = Scales {
        ln_x: ln_x.to_vec(),
        ln_y,
    };
    if ln_x.len() != obs.dim()
        || scales.is_identity()
        || w.optima.is_empty()
        || w.optima.iter().any(|u| u.len() != p)
        || w.internal.len() != p
    {
        return None;
    }
    let (lower, upper) = law.internal_bounds();
    let starts: Vec<f64> = w
        .optima
        .iter()
        .flat_map(|u| {
            u.iter()
                .enumerate()
                .map(|(j, x)| x.clamp(lower[j], upper[j]))
                .collect::<Vec<_>>()
        })
        .collect();
    Some(Problem {
        obs: std::borrow::Cow::Owned(scales.normalize(obs)),
        starts,
        p,
        scales,
        seeds: Vec::new(),
        seed_counts: None,
        near: Some(w.internal.clone()),
    })
}

fn unscaled_problem<'a>(law: &Law, obs: &'a Observations, opts: &FitOptions) -> Problem<'a> {
    Problem {
        obs: std::borrow::Cow::Borrowed(obs),
        starts: match &opts.starts {
            Some(s) => s.concat(),
            None => law.grid_flat(),
        },
        p: law.n_params(),
        scales: Scales {
            ln_x: vec![0.0; obs.dim()],
            ln_y: 0.0,
        },
        seeds: Vec::new(),
        seed_counts: None,
        near: None,
    }
}

/// The optimum of `alt` (the law with its rates in log space) as a start of
/// `law`'s search on `problem`: in that search's units, within its bounds.
fn seed_of(
    law: &Law,
    alt: &Law,
    r: &FitResult,
    problem: &Problem,
    obs: &Observations,
) -> Option<Vec<f64>> {
    let same_scales = r.scale_ln.len() == problem.scales.ln_x.len() + 1
        && r.scale_ln
            .iter()
            .zip(problem.scales.ln_x.iter().chain([&problem.scales.ln_y]))
            .all(|(a, b)| a == b);
    let u = if same_scales {
        law.to_internal(&alt.to_natural(&r.search_internal))
    } else {
        let data = law.to_internal(&alt.to_natural(&r.internal));
        scaling::to_scaled(law, &data, &problem.scales, &obs.x)?
    };
    let (lower, upper) = law.internal_bounds();
    let u: Vec<f64> = u
        .iter()
        .zip(lower.iter().zip(&upper))
        .map(|(v, (lo, hi))| v.clamp(*lo, *hi))
        .collect();
    u.iter().all(|v| v.is_finite()).then_some(u)
}

/// Fit `law` to `obs` with `solver` (see [`fit`]).
pub fn fit_with(
    law: &Law,
    obs: &Observations,
    opts: &FitOptions,
    solver: &dyn Solver,
) -> Result<FitResult> {
    check(law, obs)?;
    // Weights divided by their mean: a common scale of the weights changes
    // neither the optimum nor the search (nor the objective's scale).
    let normalized = obs.unit_mean_weights();
    let obs: &Observations = &normalized;
    if opts.starts.as_ref().is_some_and(|s| s.is_empty()) {
        return Err(Error::setting(
            crate::error::Setting::StartingGrid,
            "no starting points",
        ));
    }
    if let Some(bad) = opts
        .starts
        .iter()
        .flatten()
        .find(|s| s.len() != law.n_params())
    {
        return Err(Error::setting(
            crate::error::Setting::StartingGrid,
            format!(
                "a starting point has {} values but law '{}' has {} parameters",
                bad.len(),
                law.name,
                law.n_params()
            ),
        ));
    }
    // A formula with rates searched in linear units (k in exp(-k*x), tau in
    // exp(-x/tau)): its landscape in those units depends on how the law is
    // written, and a grid's starts can all fall into a higher optimum that
    // the same law written otherwise avoids. The law with those rates in
    // log space, where the rate and time-constant forms are one problem, is
    // searched first; its optimum is a start of this search, polished, and
    // kept when lower (the answer only moves down).
    let alternative = opts
        .starts
        .is_none()
        .then(|| crate::law::formula::with_log_rates(law))
        .flatten()
        .and_then(|alt| fit_with(&alt, obs, opts, solver).ok().map(|r| (alt, r)))
        .filter(|(_, r)| r.objective.is_finite());
    fn seeded<'a>(
        law: &Law,
        alternative: &Option<(Law, FitResult)>,
        mut problem: Problem<'a>,
        obs: &Observations,
    ) -> Problem<'a> {
        if let Some((alt, r)) = alternative {
            if let Some(u) = seed_of(law, alt, r, &problem, obs) {
                problem.seeds.push(u);
                problem.seed_counts = Some(SeedCounts {
                    start: r.best_start_point.clone(),
                    starts: r.n_starts,
                    converged: r.n_converged,
                    best: r.n_best,
                    iterations: r.iterations,
                    evaluations: r.evaluations,
                });
            }
        }
        problem
    }
    let mut result = None;
    if opts.scale_free {
        if let Some(problem) = scaled_problem(law, obs, opts) {
            result = search(
                law,
                obs,
                &seeded(law, &alternative, problem, obs),
                opts,
                solver,
            )?;
        }
    }
    let mut result = match result {
        Some(r) => r,
        None => {
            let problem = seeded(law, &alternative, unscaled_problem(law, obs, opts), obs);
            search(law, obs, &problem, opts, solver)?.ok_or_else(|| {
                Error::Fit(format!("law '{}': could not map the optimum", law.name))
            })?
        }
    };
    result.warnings.extend(obs.constant_input_warnings());
    Ok(result)
}

/// The fit's termination: the winning start's (`winner`), as at a bound when
/// it converged with parameters on a bound; when no start converged, the
/// winner's reason for stopping.
fn termination(
    converged: bool,
    winner: &Outcome,
    at_bounds: &[String],
    n_starts: usize,
    n_converged: usize,
) -> (Termination, String) {
    if !converged {
        let reason = if winner.converged() {
            // Converged but with a non-finite objective: not an optimum.
            Termination::NonFinite
        } else {
            winner.termination
        };
        let which = if n_converged == 0 {
            format!("no start of {n_starts} converged")
        } else {
            format!("{n_converged} of {n_starts} starts converged but not the best point")
        };
        return (
            reason,
            format!("{which}; the best stopped: {}", winner.message),
        );
    }
    let how = if winner.converged() {
        winner.message
    } else {
        "another start converged; the best point's polish stopped early"
    };
    if at_bounds.is_empty() {
        (Termination::Converged, how.to_string())
    } else {
        (
            Termination::AtBound,
            format!("{how}, with {} on a bound", at_bounds.join(", ")),
        )
    }
}

/// Quasi-random extra starts over the span of `starts` widened by half on
/// each side (within the bounds): the Halton sequence, deterministic.
fn extra_starts(problem: &Problem, lower: &[f64], upper: &[f64], n: usize) -> Vec<Vec<f64>> {
    let p = lower.len();
    let span: Vec<(f64, f64)> = (0..p)
        .map(|j| {
            let (lo, hi) = (0..problem.n_starts())
                .map(|i| problem.start(i))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| {
                    (a.min(s[j]), b.max(s[j]))
                });
            let w = if hi > lo { 0.5 * (hi - lo) } else { 1.0 };
            ((lo - w).max(lower[j]), (hi + w).min(upper[j]))
        })
        .collect();
    halton(&span, n)
}

fn radical_inverse(mut i: u64, base: u64) -> f64 {
    let mut f = 1.0;
    let mut r = 0.0;
    while i > 0 {
        f /= base as f64;
        r += f * (i % base) as f64;
        i /= base;
    }
    r
}

/// The starts that reached the optimum `x` (objective `fx`, found by start
/// `best`) and those whose objective alone came as close (the global
/// phase's recount, with the criteria of the search's loop: screened to
/// within `BEST_TOLERANCE` and `AGREE_XTOL_SCREENED`, polished to within
/// 1e-3 and `AGREE_XTOL_POLISHED`).
fn agreement(
    outcomes: &[Outcome],
    polish_cache: &std::collections::HashMap<usize, Outcome>,
    x: &[f64],
    fx: f64,
    best: usize,
    floor: f64,
) -> (usize, usize) {
    let ok = |o: &Outcome| o.converged() && o.f.is_finite();
    let mut reached: Vec<bool> = outcomes
        .iter()
        .map(|o| ok(o) && agrees(&o.x, o.f, x, fx, BEST_TOLERANCE, AGREE_XTOL_SCREENED, floor))
        .collect();
    let mut near: Vec<bool> = outcomes
        .iter()
        .map(|o| ok(o) && o.f <= fx + BEST_TOLERANCE * fx.abs() + floor)
        .collect();
    for (i, p) in polish_cache {
        if agrees(&p.x, p.f, x, fx, 1e-3, AGREE_XTOL_POLISHED, floor) {
            reached[*i] = true;
        }
        if p.f.is_finite() && p.f <= fx + 1e-3 * fx.abs() + floor {
            near[*i] = true;
        }
    }
    reached[best] = true;
    near[best] = true;
    let n_best = reached.iter().filter(|r| **r).count();
    let n_near = reached
        .iter()
        .zip(&near)
        .filter(|(r, n)| **r || **n)
        .count();
    (n_best, n_near)
}

/// Starts of the global phase (see `search`): quasi-random over the box
/// of the bounds.
pub const GLOBAL_STARTS: usize = 16;
/// Levenberg-Marquardt iterations of a global-phase probe: enough to show
/// whether a start falls into a valley below the best optimum (16 x 10,
/// 16 x 30, 32 x 10 and 32 x 30 find the same lower optima on the
/// selection benchmark's 840 fits; this is the cheapest).
pub const GLOBAL_PROBE_ITER: u64 = 10;

/// The box the global phase samples: the bounds, each clipped to +-30 (in
/// the search's units: ln of a log parameter, on data divided by their
/// own scale, so e^+-30 around it).
fn box_span(lower: &[f64], upper: &[f64]) -> Vec<(f64, f64)> {
    lower
        .iter()
        .zip(upper)
        .map(|(&lo, &hi)| (lo.max(-30.0), hi.min(30.0)))
        .collect()
}

/// `n` points of the Halton sequence over the box `span` (deterministic).
fn halton(span: &[(f64, f64)], n: usize) -> Vec<Vec<f64>> {
    const PRIMES: [u32; 16] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53];
    (1..=n)
        .map(|i| {
            span.iter()
                .enumerate()
                .map(|(j, &(lo, hi))| {
                    let base = PRIMES[j % PRIMES.len()] as u64 + 56 * (j / PRIMES.len()) as u64;
                    lo + (hi - lo) * radical_inverse(i as u64, base)
                })
                .collect()
        })
        .collect()
}

fn distinct(a: &[f64], b: &[f64]) -> bool {
    a.iter()
        .zip(b)
        .any(|(x, y)| (x - y).abs() > 1e-3 * (1.0 + x.abs()))
}

/// The objective as the solvers see it: with its Gauss-Newton matrix when
/// asked (`gauss_newton`: large least-squares fits, the polish of small
/// ones and the continuation of Huber fits, see [`search`]); for the Huber
/// loss that matrix is the IRLS one ([`Objective::huber_gauss_newton`]).
struct FitFunction<'a> {
    objective: &'a Objective<'a>,
    gauss_newton: bool,
}

impl Function for FitFunction<'_> {
    fn value_grad(&self, u: &[f64], grad: &mut [f64]) -> f64 {
        self.objective.value_grad(u, grad)
    }
    fn gauss_newton(&self, u: &[f64], grad: &mut [f64], gn: &mut [f64]) -> Option<f64> {
        if !self.gauss_newton {
            return None;
        }
        match self.objective.loss {
            Loss::Squared => self.objective.gauss_newton(u, grad, gn),
            Loss::Huber { .. } => self.objective.huber_gauss_newton(u, grad, gn),
        }
    }
}

/// Minimize `objective` from the single start `x0` within `[lower, upper]`
/// (its law's internal units) as a fit's winner is finished: the default
/// local solver to the fit's tolerances, then, for a fit asked for its
/// optimum (`opts.tol.ftol` <= [`FULL_PRECISION_FTOL`]), Levenberg-Marquardt
/// with no relative-decrease test on the Gauss-Newton model (the IRLS one
/// for Huber) and L-BFGS after it when it finds no decreasing step; the
/// lowest point. No multi-start and no identifiability analysis: the
/// constrained refits of a profile ([`crate::profile`]), warm-started next
/// to their optimum.
pub fn local_optimum(
    objective: &Objective,
    x0: &[f64],
    lower: &[f64],
    upper: &[f64],
    opts: &FitOptions,
) -> Outcome {
    let solver = default_solver();
    let f = FitFunction {
        objective,
        gauss_newton: false,
    };
    let g = FitFunction {
        objective,
        gauss_newton: true,
    };
    let mut best = solver.minimize(&f, x0, lower, upper, &opts.tol);
    let (mut iterations, mut evaluations) = (best.iterations, best.evaluations);
    if opts.tol.ftol <= FULL_PRECISION_FTOL {
        let lm = LevenbergMarquardt { fallback: &solver };
        let start = if best.f.is_finite() {
            best.x.clone()
        } else {
            x0.to_vec()
        };
        let o = lm.minimize(&g, &start, lower, upper, &polish_tol_gn(opts));
        iterations += o.iterations;
        evaluations += o.evaluations;
        let failed = o.termination == Termination::LineSearchFailed;
        // its value is the batch path's: compared on the objective's own
        let fo = objective.value(&o.x);
        if fo.is_finite() && (fo < best.f || !best.f.is_finite()) {
            best = Outcome { f: fo, ..o };
        }
        if failed {
            let o = solver.minimize(&f, &best.x, lower, upper, &polish_tol_gn(opts));
            iterations += o.iterations;
            evaluations += o.evaluations;
            if o.f.is_finite() && o.f < best.f {
                best = o;
            }
        }
    }
    best.iterations = iterations;
    best.evaluations = evaluations;
    best
}

/// The floor probes of the adaptive search at the optimum `x` (search
/// units, bounds `lower`): for each log-scaled parameter with a finite lower
/// bound whose value is not already on it (within 1e-6 of the span, the
/// test of `Fit::at_bounds`), `x` with that parameter set to its bound.
pub fn floor_probes(law: &Law, x: &[f64], lower: &[f64]) -> Vec<Vec<f64>> {
    law.params
        .iter()
        .enumerate()
        .filter(|(j, q)| {
            q.transform == crate::law::Transform::Log
                && lower[*j].is_finite()
                && x[*j] - lower[*j] > 1e-6 * (1.0 + x[*j].abs())
        })
        .map(|(j, _)| {
            let mut v = x.to_vec();
            v[j] = lower[j];
            v
        })
        .collect()
}

/// The grid index (or, past the grid, the position) a start is reported
/// by: `order` maps the grid's running positions to its indices; the floor
/// probes (`probes_at`: position and count, inserted among the grid's
/// starts) are numbered after the grid, and the starts after them by their
/// position.
fn start_label(
    order: &[usize],
    probes_at: Option<(usize, usize)>,
    grid_starts: usize,
    i: usize,
) -> usize {
    let (at, k) = probes_at.unwrap_or((usize::MAX, 0));
    if i < at {
        order.get(i).copied().unwrap_or(i)
    } else if i < at + k {
        grid_starts + (i - at)
    } else if i < grid_starts + k {
        order.get(i - k).copied().unwrap_or(i)
    } else {
        i
    }
}

/// The tolerances of a Levenberg-Marquardt polish run to the optimum: no
/// relative-decrease or gradient test (it stops when no damped step
/// decreases f), 10x the fit's iteration limit.
fn polish_tol_gn(opts: &FitOptions) -> Tolerances {
    Tolerances {
        ftol: 0.0,
        pgtol: 0.0,
        max_iter: 10 * opts.tol.max_iter,
    }
}

/// The largest relative decrease-test tolerance (`Tolerances::ftol`) of a
/// fit asked for its optimum: such fits (the default 1e-12) get a polish
/// with no relative-decrease test; a caller who loosened it (warm-started
/// bootstrap replicates, 1e-5) asked for that stop.
pub const FULL_PRECISION_FTOL: f64 = 1e-9;

/// Run the multi-start search on `problem`; `None` when its optimum cannot
/// be mapped back to the data's units.
fn search(
    law: &Law,
    obs: &Observations,
    problem: &Problem,
    opts: &FitOptions,
    solver: &dyn Solver,
) -> Result<Option<FitResult>> {
    let p = law.n_params();
    let objective = Objective::new(law, &problem.obs, opts.loss, opts.space);
    // Large least-squares fits run Levenberg-Marquardt (a handful of
    // Gauss-Newton passes instead of tens of L-BFGS evaluations); small
    // ones and Huber keep the given solver, so their results do not move;
    // so does a solver that does not defer (one the user chose).
    let least_squares = opts.loss == Loss::Squared
        && problem.obs.len() >= crate::fastmath::VECTOR_LN_MIN
        && solver.defers_least_squares();
    let f = FitFunction {
        objective: &objective,
        gauss_newton: least_squares,
    };
    let lm = LevenbergMarquardt { fallback: solver };
    let solver: &dyn Solver = if least_squares { &lm } else { solver };
    let (lower, upper) = law.internal_bounds();
    // The order the starts run in: coarse to fine over the law's grid when
    // the search may stop early; given starts and the whole grid keep theirs.
    let agree_target = match opts.multistart {
        MultiStart::All => 0,
        MultiStart::Adaptive { agree } => agree.max(1),
    };
    let dims: Vec<usize> = law.params.iter().map(|q| q.grid.len()).collect();
    let order: std::rc::Rc<[usize]> = if agree_target > 0
        && opts.starts.is_none()
        && dims.iter().product::<usize>() == problem.n_starts()
    {
        spread_order_memo(&dims)
    } else {
        (0..problem.n_starts()).collect()
    };
    let grid_starts = problem.n_starts();
    // The starts in running order, borrowed (the grid's, then the second
    // search's, kept in `extra_points` once made).
    let extra_points: std::cell::OnceCell<Vec<Vec<f64>>> = std::cell::OnceCell::new();
    // The global phase's box starts (below), kept here for the same reason.
    let box_points: std::cell::OnceCell<Vec<Vec<f64>>> = std::cell::OnceCell::new();
    // The floor probes (below), kept here for the same reason.
    let probe_points: std::cell::OnceCell<Vec<Vec<f64>>> = std::cell::OnceCell::new();
    let mut starts: Vec<&[f64]> = order.iter().map(|&i| problem.start(i)).collect();
    // Screening: every start, to a loose tolerance.
    let start_tol = Tolerances {
        ftol: opts.screen_ftol.max(opts.tol.ftol),
        pgtol: (opts.tol.pgtol * 1e5).min(1e-4),
        ..opts.tol
    };
    let screen = |starts: &[&[f64]]| -> Vec<Outcome> {
        starts
            .par_iter()
            .map(|x0| solver.minimize(&f, x0, &lower, &upper, &start_tol))
            .collect()
    };
    // Polish of a small squared-error fit: Levenberg-Marquardt with no
    // relative-decrease test (it stops on the projected gradient against
    // |f|, or when no damped step decreases f). An L-BFGS polish stops on a
    // small relative decrease, which on the flat valleys of a few-point fit
    // is not the optimum (the valley may run on to a bound); Gauss-Newton
    // steps cross such a valley in a few evaluations. Other fits (Huber,
    // large least squares, a solver the user chose) polish with `solver`.
    let gn_polish = opts.loss == Loss::Squared && !least_squares && solver.defers_least_squares();
    let g = FitFunction {
        objective: &objective,
        gauss_newton: true,
    };
    let polish_tol = if gn_polish {
        polish_tol_gn(opts)
    } else {
        opts.tol
    };
    let polish = |x0: &[f64]| {
        if gn_polish {
            lm.minimize(&g, x0, &lower, &upper, &polish_tol)
        } else {
            solver.minimize(&f, x0, &lower, &upper, &opts.tol)
        }
    };
    // A small Huber fit asked for its optimum (its winner is continued by
    // Levenberg-Marquardt on the IRLS model, below).
    let small_huber = matches!(opts.loss, Loss::Huber { .. })
        && solver.defers_least_squares()
        && opts.tol.ftol <= FULL_PRECISION_FTOL
        && problem.obs.len() < crate::fastmath::VECTOR_LN_MIN;
    let ok = |o: &Outcome| o.converged() && o.f.is_finite();
    let floor = 1e-14 * problem.obs.len() as f64;
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(starts.len());
    // Polished runs, by start position (a start is polished once).
    let mut polish_cache: std::collections::HashMap<usize, Outcome> = Default::default();
    let mut extra = 0;
    // Starts run when the second search was queued (its starts run after).
    let mut second_from: Option<usize> = None;
    let mut polish_evaluations = 0u64;
    let mut polish_iterations = 0u64;
    // The floor probes: where they were inserted among the starts and how
    // many; a batch size forced for the next round (the probes alone).
    let mut probes_at: Option<(usize, usize)> = None;
    let mut next_batch: Option<usize> = None;
    // A single given start (a one-start fit, a warm start) has nothing to
    // be screened against: it runs once to the full tolerances and is its
    // own polished run, instead of stopping early and restarting the solver
    // without its curvature memory. If that run does not converge, the
    // start is screened and polished as any other (the same result as
    // before this shortcut, its evaluations counted on top).
    if opts.starts.is_some() && starts.len() == 1 {
        // A small squared-error fit asked for its optimum: the same
        // Levenberg-Marquardt polish as a multi-start fit's (an L-BFGS run
        // would stop on slow progress in a flat valley).
        let run = if gn_polish && opts.tol.ftol <= FULL_PRECISION_FTOL {
            polish(starts[0])
        } else {
            solver.minimize(&f, starts[0], &lower, &upper, &opts.tol)
        };
        if ok(&run) {
            outcomes.push(run.clone());
            polish_cache.insert(0, run);
        } else {
            polish_evaluations += run.evaluations;
            polish_iterations += run.iterations;
        }
    }
    let (n_converged, mut best, x, fx, mut polished, mut n_best, mut n_near, converged) = loop {
        let batch = if let Some(k) = next_batch.take() {
            k
        } else if agree_target == 0 {
            starts.len() - outcomes.len()
        } else {
            FIRST_BATCH.max(outcomes.len() / 2)
        };
        let end = (outcomes.len() + batch).min(starts.len());
        let more = screen(&starts[outcomes.len()..end]);
        outcomes.extend(more);
        let n_converged = outcomes.iter().filter(|o| ok(o)).count();
        // Best converged start (ties: the lower index); with none converged, the best finite one.
        let pick = |want_converged: bool| {
            outcomes
                .iter()
                .enumerate()
                .filter(|(_, o)| o.f.is_finite() && (!want_converged || o.converged()))
                .min_by(|a, b| a.1.f.total_cmp(&b.1.f).then(a.0.cmp(&b.0)))
                .map(|(i, _)| i)
        };
        let exhausted = outcomes.len() == starts.len();
        let Some(mut best) = pick(true).or_else(|| pick(false)) else {
            if !exhausted {
                continue;
            }
            return Err(Error::Fit(format!(
                "law '{}': the objective is not finite at any of the {} starts (check the data and bounds)",
                law.name,
                starts.len()
            )));
        };
        // Polish: restart the solver from the best few distinct optima with the
        // full tolerances (their scale is now that of the optimum, not of the
        // start), and keep the best. Polishing several guards against a loose
        // start tolerance ranking two nearby basins the wrong way round.
        // The floor probes are not ranked against the screened starts (a
        // probe polished to the end would push the starts' best basins out
        // of the polish); those polished are compared with the polished runs
        // below.
        let is_probe = |i: usize| probes_at.is_some_and(|(at, k)| (at..at + k).contains(&i));
        let mut ranked: Vec<usize> = (0..outcomes.len())
            .filter(|&i| {
                !is_probe(i) && outcomes[i].f.is_finite() && (ok(&outcomes[i]) || n_converged == 0)
            })
            .collect();
        ranked.sort_by(|&a, &b| outcomes[a].f.total_cmp(&outcomes[b].f).then(a.cmp(&b)));
        let mut candidates: Vec<usize> = Vec::new();
        for &i in &ranked {
            if candidates.len() >= opts.polish.max(1) {
                break;
            }
            let cand = &outcomes[i].x;
            if candidates.iter().all(|&c| distinct(&outcomes[c].x, cand)) {
                candidates.push(i);
            }
        }
        let fresh: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|i| !polish_cache.contains_key(i))
            .collect();
        let runs: Vec<(usize, Outcome)> = fresh
            .par_iter()
            .map(|&i| (i, polish(&outcomes[i].x)))
            .collect();
        for (i, o) in runs {
            polish_evaluations += o.evaluations;
            polish_iterations += o.iterations;
            polish_cache.insert(i, o);
        }
        // The polished runs of this round's candidates, by start position
        // (read from `polish_cache`, where a start's polish never changes).
        let mut polished: Vec<usize> = candidates.clone();
        polished
            .extend((0..outcomes.len()).filter(|&i| is_probe(i) && polish_cache.contains_key(&i)));
        let mut x = outcomes[best].x.clone();
        let mut fx = outcomes[best].f;
        for i in &polished {
            let p = &polish_cache[i];
            if p.f.is_finite() && p.f < fx || (p.f == fx && *i < best) {
                best = *i;
                x = p.x.clone();
                fx = p.f;
            }
        }
        let converged = n_converged > 0 && fx.is_finite();
        // Starts that reached the best optimum: screened to within
        // BEST_TOLERANCE of it (parameters within AGREE_XTOL_SCREENED), or
        // polished to within 1e-3 of it (parameters within AGREE_XTOL_POLISHED).
        let mut reached: Vec<bool> = outcomes
            .iter()
            .map(|o| {
                ok(o)
                    && agrees(
                        &o.x,
                        o.f,
                        &x,
                        fx,
                        BEST_TOLERANCE,
                        AGREE_XTOL_SCREENED,
                        floor,
                    )
            })
            .collect();
        for (i, p) in polish_cache.iter() {
            if agrees(&p.x, p.f, &x, fx, 1e-3, AGREE_XTOL_POLISHED, floor) {
                reached[*i] = true;
            }
        }
        reached[best] |= converged;
        let n_best = reached.iter().filter(|r| **r).count();
        // Starts whose objective alone came that close (parameters
        // anywhere): a best optimum reached by several starts at different
        // parameters lies in a flat valley, where more starts do not help.
        let n_near = outcomes
            .iter()
            .enumerate()
            .filter(|(i, o)| {
                reached[*i]
                    || ok(o) && o.f <= fx + BEST_TOLERANCE * fx.abs() + floor
                    || polish_cache
                        .get(i)
                        .is_some_and(|p| p.f.is_finite() && p.f <= fx + 1e-3 * fx.abs() + floor)
            })
            .count()
            .max(usize::from(converged));
        let agreed = agree_target > 0 && n_best >= agree_target && converged;
        // Floor probe: before stopping on agreement, one start per
        // log-scaled parameter at its lower bound (the best optimum
        // otherwise). A basin at a floor (E -> 0) may lie where no grid
        // start leads (the grid's values sit far above the bound); the
        // starts that agreed all fell into the same higher basin. The
        // probes run as the next batch, alone, and cheaply: a small
        // squared-error fit's probe is a short Levenberg-Marquardt run (the
        // global phase's, `GLOBAL_PROBE_ITER` iterations), polished to the
        // end only when it ends below the agreed optimum; another fit's is
        // screened as a start is, and polished when it ends within
        // `BEST_TOLERANCE` of it. A polished probe that reaches a lower
        // optimum becomes the best, the agreement is counted again there,
        // and the search goes on as it would have. Once per fit, on the
        // law's own grid.
        if agreed && probes_at.is_none() && opts.starts.is_none() {
            let points = probe_points.get_or_init(|| floor_probes(law, &x, &lower));
            let at = outcomes.len();
            probes_at = Some((at, points.len()));
            if !points.is_empty() {
                starts.splice(at..at, points.iter().map(|v| v.as_slice()));
                let probe_tol = Tolerances {
                    ftol: 0.0,
                    pgtol: 0.0,
                    max_iter: GLOBAL_PROBE_ITER,
                };
                // Small fits asked for their optimum (squared error, whose
                // polish is Levenberg-Marquardt, and Huber, whose winner it
                // continues): a short run on the Gauss-Newton (IRLS) model,
                // which crosses the valley from the floor in a few steps
                // where a screened L-BFGS run stops early along it.
                let short = gn_polish || small_huber;
                let runs: Vec<Outcome> = points
                    .par_iter()
                    .map(|v| {
                        if short {
                            let mut o = lm.minimize(&g, v, &lower, &upper, &probe_tol);
                            // Compared on the fit's own value.
                            o.f = objective.value(&o.x);
                            o
                        } else {
                            solver.minimize(&f, v, &lower, &upper, &start_tol)
                        }
                    })
                    .collect();
                let worth = |o: &Outcome| {
                    o.f.is_finite()
                        && if short {
                            o.f < fx - floor
                        } else {
                            o.f <= fx + BEST_TOLERANCE * fx.abs() + floor
                        }
                };
                let chosen: Vec<usize> = (0..runs.len()).filter(|&k| worth(&runs[k])).collect();
                let polished_probes: Vec<(usize, Outcome)> = chosen
                    .par_iter()
                    .map(|&k| (at + k, polish(&runs[k].x)))
                    .collect();
                for (i, o) in polished_probes {
                    polish_evaluations += o.evaluations;
                    polish_iterations += o.iterations;
                    polish_cache.insert(i, o);
                }
                outcomes.extend(runs);
                // Counted again with the probes, no new start run.
                next_batch = Some(0);
                continue;
            }
        }
        if !agreed {
            if !exhausted {
                continue;
            }
            // Second search: the best optimum was reached by a single start.
            // Where other starts came within `BEST_TOLERANCE` of it at other
            // parameters (a flat valley?), a small squared-error fit has the
            // global phase below instead. A small Huber fit has no such
            // phase, and a valley at its best objective does not rule out a
            // lower basin elsewhere: more starts do find them (a broken
            // power law's sharp break between two sizes, found by one start
            // of the grid in one unit of x and by none in another, while the
            // higher optimum it reported lay in a valley along its floor a).
            // So a Huber fit of at most `FOUND_ONCE_MAX_POINTS` points runs
            // the second search whenever its best was found once.
            let few_points = problem.obs.len() <= FOUND_ONCE_MAX_POINTS;
            if extra == 0
                && opts.starts.is_none()
                && opts.retry_factor > 0
                && converged
                && (n_near <= 1 || (small_huber && few_points && n_best <= 1))
            {
                let n = (opts.retry_factor * grid_starts).clamp(32, 4096);
                let more = extra_points.get_or_init(|| extra_starts(problem, &lower, &upper, n));
                starts.extend(more.iter().map(|v| v.as_slice()));
                extra = n;
                second_from = Some(outcomes.len());
                continue;
            }
        }
        break (
            n_converged,
            best,
            x,
            fx,
            polished,
            n_best,
            n_near,
            converged,
        );
    };
    // Count the second search's starts that ran, not those queued (the
    // adaptive search may stop before the last).
    if let Some(from) = second_from {
        extra = outcomes.len().saturating_sub(from);
    }
    // A Huber fit asked for its optimum: its L-BFGS polish stopped on a
    // small relative decrease, which in a flat valley is not the optimum.
    // The winner is continued by Levenberg-Marquardt on the IRLS model with
    // no relative-decrease test (it stops when no damped step decreases f),
    // capped at 10x the fit's iterations; the lower point is kept.
    let (mut x, mut fx) = (x, fx);
    // Global phase: the grid ended without certifying its best optimum
    // (fewer than `agree` starts reached it with the same parameters: the
    // starts agree on the objective only, along a flat valley, or the
    // optimum was found once and its second search found nothing). Such an
    // optimum is the end of a valley the grid's starts fall into; another
    // valley may end lower elsewhere in the box of the bounds, where no grid
    // start leads (the grid's screening also ranks a start whose L-BFGS run
    // stalled on a plateau far below its Gauss-Newton end). Starts drawn
    // over the whole box each run a short Levenberg-Marquardt probe; a probe
    // that ends below the best optimum is polished to the end and replaces
    // it when lower. The answer only moves down. (Small squared-error fits
    // asked for their optimum, by the adaptive search over the law's grid.)
    if gn_polish
        && converged
        && agree_target > 0
        && opts.starts.is_none()
        && opts.global_starts > 0
        && opts.tol.ftol <= FULL_PRECISION_FTOL
        && n_best < agree_target
    {
        let n = opts.global_starts;
        let box_starts = box_points.get_or_init(|| halton(&box_span(&lower, &upper), n));
        let probe_tol = Tolerances {
            ftol: 0.0,
            pgtol: 0.0,
            max_iter: GLOBAL_PROBE_ITER,
        };
        let probes: Vec<Outcome> = box_starts
            .par_iter()
            .map(|x0| lm.minimize(&g, x0, &lower, &upper, &probe_tol))
            .collect();
        extra += n;
        let first = starts.len();
        starts.extend(box_starts.iter().map(|v| v.as_slice()));
        // The probes that went below the best optimum, lowest first, distinct.
        let mut below: Vec<usize> = (0..n)
            .filter(|&k| probes[k].f.is_finite() && probes[k].f < fx - floor)
            .collect();
        below.sort_by(|&a, &b| probes[a].f.total_cmp(&probes[b].f).then(a.cmp(&b)));
        let mut chosen: Vec<usize> = Vec::new();
        for k in below {
            if chosen.len() >= opts.polish.max(1) {
                break;
            }
            if chosen.iter().all(|&c| distinct(&probes[c].x, &probes[k].x)) {
                chosen.push(k);
            }
        }
        let runs: Vec<(usize, Outcome)> = chosen
            .par_iter()
            .map(|&k| (first + k, polish(&probes[k].x)))
            .collect();
        outcomes.extend(probes);
        let mut moved = false;
        for (i, o) in runs {
            polish_evaluations += o.evaluations;
            polish_iterations += o.iterations;
            if o.f.is_finite() && o.f < fx {
                best = i;
                x = o.x.clone();
                fx = o.f;
                moved = true;
            }
            polished.push(i);
            polish_cache.insert(i, o);
        }
        if moved {
            (n_best, n_near) = agreement(&outcomes, &polish_cache, &x, fx, best, floor);
        }
    }
    // Seeds (the optimum of the same law with its rates in log space,
    // `fit_with`): each polished as a start is; one that ends lower than the
    // best optimum replaces it, and the starts of the search that found it
    // are counted with this one's. The answer only moves down.
    let mut converged = converged;
    let mut n_converged = n_converged;
    let mut seed_iterations = 0u64;
    let mut seed_evaluations = 0u64;
    let mut seed_at: Option<usize> = None;
    if !problem.seeds.is_empty() {
        // After the starts that ran (the adaptive search may have stopped
        // before the grid's end): `starts[i]` is outcome i's start.
        let first = outcomes.len();
        starts.splice(first..first, problem.seeds.iter().map(|v| v.as_slice()));
        seed_at = Some(first);
        let runs: Vec<Outcome> = problem.seeds.par_iter().map(|v| polish(v)).collect();
        let mut moved = false;
        for (k, o) in runs.into_iter().enumerate() {
            let i = first + k;
            polish_evaluations += o.evaluations;
            polish_iterations += o.iterations;
            if ok(&o) && (o.f < fx - floor || !converged) {
                best = i;
                x = o.x.clone();
                fx = o.f;
                moved = true;
                converged = true;
            }
            polished.push(i);
            polish_cache.insert(i, o.clone());
            outcomes.push(Outcome {
                iterations: 0,
                evaluations: 0,
                ..o
            });
        }
        extra += problem.seeds.len();
        if let Some(c) = &problem.seed_counts {
            // The seed stands for that search's starts.
            extra += c.starts.saturating_sub(problem.seeds.len());
            n_converged += c.converged;
            seed_iterations = c.iterations;
            seed_evaluations = c.evaluations;
        }
        if moved {
            (n_best, n_near) = agreement(&outcomes, &polish_cache, &x, fx, best, floor);
            if let Some(c) = &problem.seed_counts {
                // That search's starts that reached the optimum, for the seed.
                n_best += c.best.saturating_sub(1);
                n_near += c.best.saturating_sub(1);
            }
        }
    }
    // The last run with no relative-decrease test that ended at the
    // winner: a small squared-error fit's Levenberg-Marquardt polish, or
    // the continuations below.
    let mut continued: Option<Outcome> = if gn_polish {
        polish_cache.get(&best).filter(|o| o.x == x).cloned()
    } else {
        None
    };
    if matches!(opts.loss, Loss::Huber { .. })
        && converged
        && solver.defers_least_squares()
        && opts.tol.ftol <= FULL_PRECISION_FTOL
        && problem.obs.len() < crate::fastmath::VECTOR_LN_MIN
    {
        let o = lm.minimize(&g, &x, &lower, &upper, &polish_tol_gn(opts));
        polish_evaluations += o.evaluations;
        polish_iterations += o.iterations;
        // Its value is the batch path's: compared on the fit's own.
        let fo = objective.value(&o.x);
        if fo.is_finite() && fo < fx {
            x = o.x.clone();
            fx = fo;
        }
        continued = Some(o);
    }
    // Levenberg-Marquardt found no damped step decreasing f away from a
    // small gradient (the IRLS model is rough at the Huber threshold, or the
    // objective is): L-BFGS, with no relative-decrease test either, goes
    // on from the best point until its line search finds no decrease.
    if converged
        && opts.tol.ftol <= FULL_PRECISION_FTOL
        && continued
            .as_ref()
            .is_some_and(|o| o.termination == Termination::LineSearchFailed)
    {
        let o = solver.minimize(&f, &x, &lower, &upper, &polish_tol_gn(opts));
        polish_evaluations += o.evaluations;
        polish_iterations += o.iterations;
        if o.f.is_finite() && o.f < fx {
            x = o.x.clone();
            fx = o.f;
        }
        continued = Some(o);
    }
    // A polish with no relative-decrease test that did not reach the
    // optimum (its iteration limit, still decreasing f along a valley): the
    // search stopped short, and the fit is not reported converged. (A
    // polish that ends because no step decreases f is at the optimum as
    // far as the solvers can tell, the independent check's own standard.)
    let short = continued
        .as_ref()
        .filter(|o| o.termination == Termination::MaxIterations)
        .map(|o| (o.termination, o.message));
    let converged = converged && short.is_none();
    let iterations =
        outcomes.iter().map(|o| o.iterations).sum::<u64>() + polish_iterations + seed_iterations;
    let evaluations =
        outcomes.iter().map(|o| o.evaluations).sum::<u64>() + polish_evaluations + seed_evaluations;
    let mut optima: Vec<Vec<f64>> = vec![x.clone()];
    // The floor probes' ends are not among them (the winner aside, first):
    // the bootstrap's refits start from each, and the probes ran only to
    // test the agreement.
    let mut rest: Vec<&Outcome> = polished
        .iter()
        .filter(|i| !probes_at.is_some_and(|(at, k)| (at..at + k).contains(*i)))
        .map(|i| &polish_cache[i])
        .filter(|o| o.f.is_finite())
        .collect();
    rest.sort_by(|a, b| a.f.total_cmp(&b.f));
    for o in rest {
        if optima.iter().all(|q| distinct(q, &o.x)) {
            optima.push(o.x.clone());
        }
    }

    let mut at_bounds = Vec::new();
    let mut outside_grid = Vec::new();
    let grid_axes: Vec<(f64, f64)> = (0..p)
        .map(|j| {
            (0..problem.n_starts())
                .map(|i| problem.start(i))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
                    (lo.min(s[j]), hi.max(s[j]))
                })
        })
        .collect();
    for (j, param) in law.params.iter().enumerate() {
        let span = (upper[j] - lower[j]).abs().min(1.0 + x[j].abs());
        if (x[j] - lower[j]).abs() <= 1e-6 * span || (upper[j] - x[j]).abs() <= 1e-6 * span {
            at_bounds.push(param.name.clone());
        }
        let (glo, ghi) = grid_axes[j];
        if ghi > glo && (x[j] < glo || x[j] > ghi) {
            outside_grid.push(param.name.clone());
        }
    }
    // Identifiability in the search's (scaled) parameters.
    let start_point = starts[best].to_vec();
    // A seed won: its start is the other search's optimum, which the data
    // moved there from that search's own start (reported instead), so no
    // parameter "stayed at its start".
    let seed_won = seed_at.is_some_and(|at| (at..at + problem.seeds.len()).contains(&best));
    let analysed_start = if seed_won {
        vec![f64::NAN; start_point.len()]
    } else {
        start_point.clone()
    };
    let mut ident = identify::analyse(
        law,
        &objective,
        &x,
        &analysed_start,
        &at_bounds,
        crate::segment::max_iter(opts),
    );

    // Back to the data's units.
    let s = &problem.scales;
    let back = |u: &[f64]| match &problem.near {
        Some(near) => scaling::from_scaled_near(law, u, s, &problem.obs.x, near),
        None => scaling::from_scaled(law, u, s, &problem.obs.x),
    };
    let Some(x_nat) = back(&x) else {
        return Ok(None);
    };
    let optima_nat: Vec<Vec<f64>> = optima.iter().filter_map(|u| back(u)).collect();
    let start_nat = back(&start_point).unwrap_or_else(|| start_point.clone());
    identify::to_natural(law, &mut ident, &x, &x_nat, |u| back(u));
    ident.loose = identify::loose(&ident, &law.param_names_owned(), &law.to_natural(&x_nat));

    let mut warnings = Vec::new();
    if !converged && short.is_none() {
        warnings.push(if n_converged == 0 {
            format!(
                "no start converged ({} starts): the result is the best point reached, not an optimum",
                outcomes.len()
            )
        } else {
            format!(
                "the best point did not converge ({n_converged} of {} starts converged, to higher \
                 objectives or a non-finite one): the result is the best point reached, not an \
                 optimum",
                outcomes.len()
            )
        });
    }
    if !at_bounds.is_empty() {
        warnings.push(format!(
            "optimum on a bound for: {} (widen the bounds?)",
            at_bounds.join(", ")
        ));
    }
    if converged && n_near <= 1 {
        warnings.push(format!(
            "the best optimum was reached by a single start of {}{}: it may not be the global one{}",
            outcomes.len(),
            if extra > 0 {
                format!(" (after {extra} extra starts)")
            } else {
                String::new()
            },
            if outside_grid.is_empty() {
                String::new()
            } else {
                format!(
                    "; it lies outside the starting grid for {} (extend the grid)",
                    outside_grid.join(", ")
                )
            }
        ));
    }
    if let Some((_, why)) = short {
        warnings.push(format!(
            "the search stopped short of the optimum ({why}): the objective may be lower elsewhere along a flat direction"
        ));
    }
    let positive = obs.weight.iter().filter(|w| **w > 0.0).count();
    if positive <= law.n_params() {
        // As many points as parameters: the fit interpolates them, and a
        // residual variance of 0/0 would read as certainty.
        ident.std_errors = ident.std_errors.map(|_| None);
        ident.correlation.clear();
        ident.residual_sd = f64::NAN;
        ident.method = NO_DEGREES_OF_FREEDOM.to_string();
        warnings.push(format!(
            "{positive} points for {} parameters (n <= p): the fit interpolates them with no \
             degree of freedom left; standard errors, correlations and bootstrap intervals \
             cannot be estimated",
            law.n_params()
        ));
    }
    warnings.extend(ident.warnings.iter().cloned());
    // Listed with the identifiability's warnings (the JSON's), not the
    // fit's: the commands that fit laws inside a decision keep theirs.
    ident.warnings.extend(identify::loose_warning(&ident.loose));
    let (termination, termination_message) = match short {
        Some((how, why)) => (
            how,
            format!(
                "the search stopped short of the optimum: the polish with no relative-decrease test stopped ({why})"
            ),
        ),
        None => termination(
            converged,
            continued
                .as_ref()
                .filter(|o| o.x == x)
                .or_else(|| polish_cache.get(&best).filter(|o| o.x == x))
                .unwrap_or(&outcomes[best]),
            &at_bounds,
            outcomes.len(),
            n_converged,
        ),
    };
    Ok(Some(Fit {
        law: law.clone(),
        params: Params::new(law.param_names_owned(), law.to_natural(&x_nat)),
        intervals: None,
        interval_level: None,
        interval_kind: None,
        internal: x_nat,
        search_internal: x,
        objective: fx,
        converged,
        termination,
        termination_message,
        n_starts: outcomes.len()
            + problem
                .seed_counts
                .as_ref()
                .map_or(0, |c| c.starts.saturating_sub(problem.seeds.len())),
        n_converged,
        // A seed is numbered after the grid and the floor probes.
        best_start: match seed_at {
            Some(at) if seed_won => grid_starts + probes_at.map_or(0, |(_, k)| k) + (best - at),
            _ => start_label(&order, probes_at, grid_starts, best),
        },
        best_start_point: match (&problem.seed_counts, seed_won) {
            (Some(c), true) => c.start.clone(),
            _ => law.to_natural(&start_nat),
        },
        iterations,
        evaluations,
        at_bounds,
        outside_grid,
        warnings,
        search_optima: if optima_nat.len() == optima.len() {
            optima
        } else {
            Vec::new()
        },
        optima: optima_nat,
        n_points: obs.len(),
        n_best,
        extra_starts: extra,
        probe_starts: probes_at.map_or(0, |(_, k)| k),
        grid_starts,
        agree_target,
        scale_ln: s.ln_x.iter().copied().chain([s.ln_y]).collect(),
        identifiability: ident,
    }))
}

/// `Identifiability::method` of a fit with as many points (of positive
/// weight) as parameters, or fewer: no standard error can be estimated.
pub const NO_DEGREES_OF_FREEDOM: &str =
    "none: as many points as parameters (n <= p), no degree of freedom left";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::law::catalog;

    /// Three points, three parameters: no "+/- 0" standard errors or NaN
    /// correlations presented as certainty, but none, with a warning.
    #[test]
    fn as_many_points_as_parameters_give_no_standard_errors() {
        let law = catalog::power();
        let obs = crate::synthetic::generate(
            &law,
            &[30.0, 0.4, 2.0],
            &[vec![100.0], vec![1000.0], vec![10000.0]],
            0.0,
            1,
            "",
        );
        let r = fit(&law, &obs, &FitOptions::default()).unwrap();
        let id = &r.identifiability;
        assert!(id.std_errors.iter().all(|e| e.is_none()), "{id:?}");
        assert!(id.correlation.is_empty(), "{id:?}");
        assert_eq!(id.method, NO_DEGREES_OF_FREEDOM);
        assert!(
            r.warnings.iter().any(|w| w.contains("n <= p")),
            "{:?}",
            r.warnings
        );
    }

    /// The per-thread memo of the visiting order gives `spread_order`'s
    /// order, cold and warm, and a fit run with a cold memo (a fresh thread)
    /// and again with a warm one gives the same result to the bit.
    #[test]
    fn the_memoized_spread_order_is_the_computed_one() {
        let shapes: [&[usize]; 5] = [&[6, 6, 1], &[3, 3, 3, 2], &[5], &[6, 6, 1], &[2, 7]];
        std::thread::spawn(move || {
            for dims in shapes {
                // First sight of a shape (cold), then again (warm).
                for _ in 0..2 {
                    assert_eq!(&*spread_order_memo(dims), spread_order(dims).as_slice());
                }
            }
        })
        .join()
        .unwrap();
        let law = catalog::vanilla_ft();
        let x: Vec<f64> = (0..8).map(|i| 200.0 * 2f64.powi(i)).collect();
        let y: Vec<f64> = x.iter().map(|d| 3.0 / d.powf(0.3) + 1.1).collect();
        let obs = crate::observations::Observations::from_columns(&["D"], &[x], y);
        let key = |r: &Fit| {
            let mut k: Vec<u64> = r.params.values().iter().map(|v| v.to_bits()).collect();
            k.extend([r.objective.to_bits(), r.evaluations, r.iterations]);
            k
        };
        let opts = FitOptions::default();
        let (cold, warm) = std::thread::spawn(move || {
            let cold = fit(&law, &obs, &opts).unwrap();
            let warm = fit(&law, &obs, &opts).unwrap();
            (key(&cold), key(&warm))
        })
        .join()
        .unwrap();
        assert_eq!(cold, warm);
    }

    /// A common scale of the weights moves nothing (probe_fz item 6: weights
    /// of 1e308 overflowed the objective, 1e-12 stopped the search early):
    /// uniform weights of any scale fit bit for bit as no weights, and
    /// weights c * w for c from 1e-12 to 1e300 give w's parameters and
    /// objective, which is on the unweighted scale (mean weight 1).
    #[test]
    fn a_common_scale_of_the_weights_changes_nothing() {
        let law = catalog::power();
        let points: Vec<Vec<f64>> = (0..12).map(|i| vec![1e3 * 2f64.powi(i)]).collect();
        let obs = crate::synthetic::generate(&law, &[5.0, 0.3, 1.5], &points, 0.01, 3, "");
        let opts = FitOptions::default();
        let key = |r: &Fit| {
            let mut k: Vec<u64> = r.params.values().iter().map(|v| v.to_bits()).collect();
            k.push(r.objective.to_bits());
            k
        };
        let plain = fit(&law, &obs, &opts).unwrap();
        for c in [1e-300, 1e-12, 1e12, 1e308] {
            let mut o = obs.clone();
            o.weight = vec![c; o.len()];
            let r = fit(&law, &o, &opts).unwrap();
            assert_eq!(key(&r), key(&plain), "uniform weights {c}");
            assert!(r.warnings.is_empty(), "{c}: {:?}", r.warnings);
        }
        let w: Vec<f64> = (0..12).map(|i| [0.5, 1.0, 2.0, 0.0][i % 4]).collect();
        let weighted = |c: f64| {
            let mut o = obs.clone();
            o.weight = w.iter().map(|w| c * w).collect();
            fit(&law, &o, &opts).unwrap()
        };
        let base = weighted(1.0);
        // Mean weight 1 over the positive weights: the objective is on the
        // scale of the unweighted one, not 1e12 times it.
        assert!(
            base.objective < 10.0 * plain.objective,
            "{}",
            base.objective
        );
        for c in [1e-12, 1e12, 1e300] {
            let r = weighted(c);
            for (a, b) in r.params.values().iter().zip(base.params.values()) {
                assert!((a / b - 1.0).abs() < 1e-9, "c = {c}: {a} vs {b}");
            }
            assert!((r.objective / base.objective - 1.0).abs() < 1e-9, "c = {c}");
        }
    }

    /// The floor probes: one per log-scaled parameter not already on its
    /// lower bound, the optimum with that parameter set to the bound.
    #[test]
    fn floor_probes_set_each_log_parameter_to_its_lower_bound() {
        let law = catalog::power(); // (ln A, alpha, ln E): A and E log-scaled
        let (lower, _) = law.internal_bounds();
        let x = [1.5, 0.3, 0.4];
        let probes = floor_probes(&law, &x, &lower);
        assert_eq!(
            probes,
            vec![vec![lower[0], 0.3, 0.4], vec![1.5, 0.3, lower[2]]]
        );
        // E already on its floor: only A's probe.
        let x = [1.5, 0.3, lower[2]];
        assert_eq!(
            floor_probes(&law, &x, &lower),
            vec![vec![lower[0], 0.3, lower[2]]]
        );
    }

    /// The adaptive search runs the floor probes once, after agreement, and
    /// counts them: on data drawn from the power law, where the probes end
    /// higher, the search stops with the grid starts it ran plus the two
    /// probes, and the winner is a grid start.
    #[test]
    fn adaptive_search_counts_its_floor_probes() {
        let law = catalog::power();
        let xs: Vec<Vec<f64>> = (0..10).map(|k| vec![1e3 * 2f64.powi(k)]).collect();
        let obs = crate::synthetic::generate(&law, &[30.0, 0.4, 1.8], &xs, 0.0, 1, "");
        let r = fit(&law, &obs, &FitOptions::default()).unwrap();
        assert!(r.converged);
        assert_eq!(r.probe_starts, 2, "{r:?}");
        assert!(r.n_best >= 3);
        assert!(r.n_starts < r.grid_starts + r.probe_starts);
        assert!(r.best_start < r.grid_starts, "{}", r.best_start);
        // The whole grid runs no probe.
        let all = fit(
            &law,
            &obs,
            &FitOptions {
                multistart: MultiStart::All,
                ..FitOptions::default()
            },
        )
        .unwrap();
        assert_eq!(all.probe_starts, 0);
        assert!((r.objective - all.objective).abs() <= 1e-6 * all.objective.abs() + 1e-13);
    }

    /// probe55's 8-point rectified curve (3% noise, seed 19; the CLI test
    /// `ms56_floor_probe` has the file): the grid starts that agree all end
    /// at E = 1.58 (objective 1.7444e-4); the floor probe of E finds the
    /// lower optimum with E on its bound (1.71925e-4), which `--starts all`
    /// reaches only through its second search.
    #[test]
    fn floor_probe_finds_the_basin_no_grid_start_reaches() {
        let law = catalog::power();
        let x: Vec<f64> = (0..8).map(|k| 1e3 * 2f64.powi(k)).collect();
        let y = vec![
            2.508882, 2.360532, 2.345506, 2.041216, 2.097568, 2.071070, 1.970051, 1.823117,
        ];
        let obs = Observations::from_columns(&["x"], &[x], y);
        let r = fit(&law, &obs, &FitOptions::default()).unwrap();
        assert!(r.converged);
        assert!(r.objective < 1.72e-4, "{}", r.objective);
        assert!(r.at_bounds.contains(&"E".to_string()), "{:?}", r.at_bounds);
        assert_eq!(r.probe_starts, 2);
        // The probe's optimum was reached once, so this Huber fit's second
        // search ran too; one of its starts reaches the same basin.
        assert!(r.extra_starts > 0);
        assert!(r.best_start > r.grid_starts, "{}", r.best_start);
        // Without the second search the winner is E's probe (numbered after
        // the grid, A's first): its short run ended below the agreed optimum
        // and was polished.
        let probe_only = fit(
            &law,
            &obs,
            &FitOptions {
                retry_factor: 0,
                ..FitOptions::default()
            },
        )
        .unwrap();
        assert_eq!(probe_only.probe_starts, 2);
        assert_eq!(
            probe_only.best_start,
            probe_only.grid_starts + 1,
            "{probe_only:?}"
        );
        assert!((probe_only.objective - r.objective).abs() <= 1e-9 * r.objective);
    }
}
