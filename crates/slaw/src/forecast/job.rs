//! One `slaw forecast` job: a curve (aggregate or per-position), the method,
//! the part to fit and the steps to forecast -> a `ForecastOutput` with
//! intervals and the error on the part of the curve not fitted.

use super::positions::PositionCurves;
use super::prior::{self, Priors};
use super::temporal::{self, TemporalFit};
use super::{accuracy, fit_curves, Accuracy, Curve, CurveLaw, IntervalKind, Schedule};
use crate::extrapolation::Calibration;
use crate::law::Params;
use crate::table::Table;
use crate::{Error, Result};
use std::borrow::Cow;

/// The method of a job: one of the aggregate-curve laws, or the temporal law
/// (per-position data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// A loss-curve law fitted to the aggregate curve.
    Law(CurveLaw),
    /// The temporal law (per-position data).
    Temporal,
    /// A law chosen on the window: schedule-aware when the window pins its
    /// annealing terms, by held-out error on the window's tail (see `choose`).
    Auto,
}

impl Choice {
    /// The method's name.
    pub fn name(self) -> &'static str {
        match self {
            Choice::Law(m) => m.name(),
            Choice::Temporal => "temporal",
            Choice::Auto => "auto",
        }
    }
    /// `auto`: temporal with per-position data, otherwise a law chosen on
    /// the window (`Choice::Auto`: see `choose`).
    pub fn parse(s: &str, positions: bool) -> Result<Choice> {
        match s {
            "temporal" => Ok(Choice::Temporal),
            "auto" if positions => Ok(Choice::Temporal),
            "auto" => Ok(Choice::Auto),
            _ => CurveLaw::parse(s).map(Choice::Law).map_err(|_| {
                Error::unknown(
                    "forecast method",
                    s,
                    format!(
                        "auto, temporal, {}",
                        CurveLaw::ALL.map(|m| m.name()).join(", ")
                    ),
                )
            }),
        }
    }
}

/// Where the fit of a curve ends: a plain number (when <= 1 a fraction of
/// the logged span, from the curve's first step to its last, so that a log
/// resumed from a checkpoint at a late step is cut where its user means;
/// else a step), or a step named as one (`step:N`, for a step <= 1 that a
/// plain number would read as a fraction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FitUntil {
    /// A fraction of the logged span (<= 1) or a step (> 1).
    Number(f64),
    /// A step, whatever its value.
    Step(f64),
}

impl From<f64> for FitUntil {
    fn from(v: f64) -> FitUntil {
        FitUntil::Number(v)
    }
}

impl std::fmt::Display for FitUntil {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            FitUntil::Number(v) => write!(f, "{}", crate::numbers::num(*v)),
            FitUntil::Step(v) => write!(f, "step:{}", crate::numbers::num(*v)),
        }
    }
}

impl FitUntil {
    /// `0.2` (a fraction of the logged span), `2000` (a step) or `step:1`
    /// (a step, also when <= 1); the value must be finite and > 0.
    pub fn parse(s: &str) -> Result<FitUntil> {
        let t = s.trim();
        let (step, num) = match t.strip_prefix("step:") {
            Some(rest) => (true, rest.trim()),
            None => (false, t),
        };
        let bad = || {
            Error::setting(
                crate::error::Setting::FitUntil,
                format!(
                    "'{s}' is not a fraction of the logged span (<= 1), a step (> 1) or \
                     step:N (a step, also <= 1)"
                ),
            )
        };
        let v: f64 = num.parse().map_err(|_| bad())?;
        let out = if step {
            FitUntil::Step(v)
        } else {
            FitUntil::Number(v)
        };
        out.check()?;
        Ok(out)
    }

    fn value(self) -> f64 {
        match self {
            FitUntil::Number(v) | FitUntil::Step(v) => v,
        }
    }

    fn check(self) -> Result<()> {
        let v = self.value();
        if v > 0.0 && v.is_finite() {
            Ok(())
        } else {
            Err(Error::setting(
                crate::error::Setting::FitUntil,
                "must be > 0 (a fraction <= 1, a step, or step:N)",
            ))
        }
    }

    /// The last step fitted on a curve whose steps run from `first` to
    /// `last`: a fraction v <= 1 is `first + v (last - first)`, of the
    /// logged span (probe47 7e: a fraction of the last step fell before the
    /// first step of a log resumed at a late step); a curve logged from step
    /// 0 is cut as by a fraction of its last step.
    pub fn step(self, first: f64, last: f64) -> f64 {
        match self {
            FitUntil::Number(v) if v <= 1.0 => first + v * (last - first),
            FitUntil::Number(v) | FitUntil::Step(v) => v,
        }
    }
}

impl<'de> serde::Deserialize<'de> for FitUntil {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(v) => Ok(FitUntil::Number(v)),
            Raw::Text(t) => FitUntil::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// The data of a job.
#[derive(Debug, Clone)]
pub enum Data {
    /// One loss curve.
    Aggregate(Curve),
    /// Per-position loss curves (the temporal law's data).
    Positions(PositionCurves),
}

/// What a forecast job is asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub choice: Choice,
    /// A fraction of the logged span (<= 1), a step (> 1), or a step named
    /// as one ([`FitUntil`]).
    pub fit_until: FitUntil,
    /// Steps to forecast; empty: the last step of the file.
    pub at: Vec<f64>,
    /// A schedule given for the whole run (the learning rate past the file).
    pub schedule: Option<Schedule>,
    /// Bootstrap replicates for the intervals (0: none).
    pub bootstrap: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Level of the intervals (e.g. 0.9).
    pub level: f64,
    /// The priors the intervals use where the window alone cannot
    /// calibrate them (`Priors::shipped()`, or `Priors::none()`).
    pub priors: Priors,
}

/// A forecast as a table and settings describe it (`slaw forecast`'s
/// options, the Python package's keywords): the columns to read, the
/// method, the part to fit, the steps to forecast and the intervals. Its
/// serde form is the Python package's keywords.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Spec {
    /// A fraction of the logged span (<= 1), a step (> 1), or a step named
    /// as one ([`FitUntil`]).
    pub fit_until: FitUntil,
    /// The method's name (`auto`, `temporal` or a loss-curve law).
    pub method: String,
    /// Steps to forecast; empty: the last step of the curve.
    pub at: Vec<f64>,
    /// A schedule for the whole run (see [`Schedule::parse`]).
    pub schedule: Option<String>,
    /// Bootstrap replicates for the intervals (0: none).
    pub bootstrap: usize,
    /// Level of the intervals.
    pub level: f64,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// The step column.
    pub step_col: String,
    /// The loss column.
    pub loss_col: String,
    /// The learning-rate column (default: `lr` when present).
    pub lr_col: Option<String>,
    /// The token-position column of per-position data (its presence
    /// selects that format).
    pub position_col: String,
    /// The column(s), comma-separated, naming the run of each row.
    pub run_col: Option<String>,
    /// The name of a single curve (default: the name the caller gives).
    pub name: Option<String>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            fit_until: FitUntil::Number(0.2),
            method: "auto".into(),
            at: vec![],
            schedule: None,
            bootstrap: 200,
            level: 0.9,
            seed: 0,
            step_col: "step".into(),
            loss_col: "loss".into(),
            lr_col: None,
            position_col: "position".into(),
            run_col: None,
            name: None,
        }
    }
}

impl Spec {
    /// Whether `table` holds per-position data (it has the position column).
    pub fn positions(&self, table: &Table) -> bool {
        table.columns.contains(&self.position_col)
    }

    /// The curves of `table`: its per-position curves, or one aggregate
    /// curve per run; a single curve is named by the spec, else `name`.
    pub fn data(&self, table: &Table, name: &str) -> Result<Vec<Data>> {
        let name = self.name.as_deref().unwrap_or(name);
        if self.positions(table) {
            let cols = super::positions::PositionColumns {
                step: &self.step_col,
                position: &self.position_col,
                loss: &self.loss_col,
                lr: self.lr_col.as_deref(),
            };
            return Ok(vec![Data::Positions(PositionCurves::from_table(
                table,
                &cols,
                name.to_string(),
            )?)]);
        }
        Ok(Curve::runs_from_table(
            table,
            name,
            &self.step_col,
            &self.loss_col,
            self.lr_col.as_deref(),
            self.run_col.as_deref(),
        )?
        .into_iter()
        .map(Data::Aggregate)
        .collect())
    }

    /// The request of every curve (the method chosen per curve by
    /// [`run_each`]).
    pub fn request(&self) -> Result<Request> {
        // Too few replicates for a percentile interval at the level, as
        // every other bootstrap (`Resampling::check_replicates`).
        crate::bootstrap::Resampling::new(self.bootstrap, self.level, self.seed)
            .check_replicates()?;
        Ok(Request {
            choice: Choice::Auto,
            fit_until: self.fit_until,
            at: self.at.clone(),
            schedule: self.schedule.as_deref().map(Schedule::parse).transpose()?,
            bootstrap: self.bootstrap,
            seed: self.seed,
            level: self.level,
            priors: Priors::shipped(),
        })
    }

    /// Forecast every curve of `table` (see [`Spec::data`]). With several
    /// runs, a run that cannot be forecast (too few points, a window that
    /// leaves too few, a fit that fails) is skipped and said why, and the
    /// others are forecast; when no run can be, an error naming every run
    /// and why.
    /// A single curve's error is the error (naming the file). Bad values
    /// in any run (a step that goes back, a loss <= 0) are errors of the
    /// table, but a loss that reads as NaN or inf (a diverged run) among
    /// several runs skips that run.
    pub fn run(&self, table: &Table, name: &str) -> Result<Runs> {
        self.run_table(Cow::Borrowed(table), name)
    }

    /// [`Spec::run`] on a table it may free once its curves are read (the
    /// table of a log of 1e6 steps is some 67 MB): the same result.
    pub fn run_owned(&self, table: Table, name: &str) -> Result<Runs> {
        self.run_table(Cow::Owned(table), name)
    }

    fn run_table(&self, table: Cow<'_, Table>, name: &str) -> Result<Runs> {
        let base = self.request()?;
        if self.positions(&table) {
            let data = self.data(&table, name)?;
            drop(table);
            let forecasts = run_each(&data, &self.method, &base)?;
            return Ok(Runs {
                forecasts,
                skipped: vec![],
                warnings: vec![],
            });
        }
        let runs = Curve::runs_from_table_each(
            &table,
            self.name.as_deref().unwrap_or(name),
            &self.step_col,
            &self.loss_col,
            self.lr_col.as_deref(),
            self.run_col.as_deref(),
        )?;
        // What the forecasts say of the table's rows, read before them (an
        // error of it still comes after theirs), and the table let go.
        let notes = self.row_notes(&table, name);
        let source = table.source.clone();
        drop(table);
        let several = runs.len() > 1;
        let mut out = Runs::default();
        for (position, (run, curve)) in runs.into_iter().enumerate() {
            let result = curve.and_then(|c| {
                run_each(&[Data::Aggregate(c)], &self.method, &base).map(|mut v| v.remove(0))
            });
            match result {
                Ok(o) => out.forecasts.push(o),
                Err(e) if several => out.skipped.push(SkippedRun {
                    run,
                    position,
                    reason: e.to_string(),
                }),
                Err(e) => return Err(in_file(e, &source)),
            }
        }
        for (run, w) in notes? {
            warn_run(&mut out.forecasts, &run, &w);
        }
        if out.forecasts.is_empty() {
            let why: Vec<String> = out
                .skipped
                .iter()
                .map(|k| format!("run '{}': {}", k.run, k.reason))
                .collect();
            return Err(Error::data(format!(
                "no run could be forecast; {}",
                why.join("; ")
            )));
        }
        out.warnings = out
            .skipped
            .iter()
            .map(|k| format!("run '{}' was not forecast: {}", k.run, k.reason))
            .collect();
        Ok(out)
    }

    /// The warnings of [`Spec::run`] about the table's rows, per run (its
    /// name, the warning): rows with a step but no loss, the loss at step 0.
    fn row_notes(&self, table: &Table, name: &str) -> Result<Vec<(String, String)>> {
        let name = self.name.as_deref().unwrap_or(name);
        let mut notes = Vec::new();
        for (run, rows) in Curve::missing_losses(
            table,
            name,
            &self.step_col,
            &self.loss_col,
            self.lr_col.as_deref(),
            self.run_col.as_deref(),
        )? {
            let shown: Vec<String> = rows
                .iter()
                .take(5)
                .map(|&r| {
                    format!(
                        "line {} (step {})",
                        table.line(r),
                        table.text(r, table.column_index(&self.step_col).expect("read above"))
                    )
                })
                .collect();
            let w = format!(
                "{} row{} with a step but an empty loss (a missing value) {} skipped: {}{}",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" },
                if rows.len() == 1 { "was" } else { "were" },
                shown.join(", "),
                if rows.len() > 5 { ", ..." } else { "" }
            );
            notes.push((run, w));
        }
        for (run, rows) in Curve::at_step_zero(
            table,
            name,
            &self.step_col,
            &self.loss_col,
            self.run_col.as_deref(),
        )? {
            let lines: Vec<String> = rows.iter().map(|&r| table.line(r).to_string()).collect();
            let w = format!(
                "the loss at step 0 (before any training step; line{} {}) is not on the curve the laws fit: skipped",
                if rows.len() == 1 { "" } else { "s" },
                lines.join(", ")
            );
            notes.push((run, w));
        }
        Ok(notes)
    }
}

/// A single curve's error that names no file (a window too short for the
/// law, a failed fit) names it (probe47: "3 points to fit the reciprocal
/// law's 3 parameters" said of no file); errors that locate themselves are
/// kept as they are.
fn in_file(e: Error, file: &str) -> Error {
    match e {
        Error::Data(_) | Error::Fit(_) => Error::Located {
            location: crate::error::Location {
                file: file.to_string(),
                row: None,
                column: None,
            },
            source: Box::new(e),
        },
        e => e,
    }
}

/// A run of the input that was not forecast, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SkippedRun {
    /// The run's name (the values of the run column(s)).
    pub run: String,
    /// The run's position among all the runs of the input (0-based, in
    /// the order of first appearance), for listing it in input order.
    #[serde(skip)]
    pub position: usize,
    /// Why it was not forecast (the error it met).
    pub reason: String,
}

/// The forecasts of every run of an input, and the runs skipped.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Runs {
    /// One forecast per run, in the order of first appearance.
    pub forecasts: Vec<ForecastOutput>,
    /// The runs that could not be forecast (only when the input holds
    /// several: a single curve's failure is an error).
    pub skipped: Vec<SkippedRun>,
    /// What the reader should know about the runs as a whole: each skipped
    /// run, "run 'R' was not forecast: why" (each forecast's own warnings
    /// are in its `warnings`).
    pub warnings: Vec<String>,
}

/// A forecast at one step.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Point {
    /// The step.
    pub step: f64,
    /// The forecast loss.
    pub loss: f64,
    /// Lower end of the interval, when computed.
    pub lo: Option<f64>,
    /// Upper end of the interval, when computed.
    pub hi: Option<f64>,
    /// The observed loss when the curve has this step.
    pub observed: Option<f64>,
}

/// How many bootstrap refits ran, how many converged (only these enter
/// the intervals), and the intervals' level.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Replicates {
    /// Refits run.
    pub replicates: usize,
    /// Refits that converged.
    pub converged: usize,
    /// The intervals' level.
    pub level: f64,
    /// When all the replicates ran for some points only: the first this
    /// many, used alone at the points where their refit spread adds under
    /// 5% to the calibrated error (each point decided alone, so a step's
    /// interval does not depend on the other steps asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_where_negligible: Option<usize>,
    /// When fewer refits ran than asked (the first ones alone, their refit
    /// spread adding under 5% to the calibrated error at every point): the
    /// number asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asked: Option<usize>,
    /// On a curve of over [`MAX_BAND_POINTS`] points: how many of its
    /// points the replicates were predicted at (every k-th, the last and
    /// the forecast steps; `band_points`), the others having no interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub band_points: Option<usize>,
}

/// Over this many points (a training log of over 1e5 steps; no benchmark
/// curve has over 546), a law's bootstrap replicates are predicted at
/// every k-th point of the curve, k = ceil(points / this), at its last
/// point and at the forecast steps, rather than at every point: the
/// intervals at the forecast steps are as on every point, the band
/// between grid points has none, and whether more replicates run (the
/// refit spread's share of the calibrated error) is decided on the grid.
/// Every prediction itself stays at every point.
pub const MAX_BAND_POINTS: usize = 100_000;

/// Every how many points a curve of `n` points over [`MAX_BAND_POINTS`]
/// has its band predicted ([`band_points`]).
pub fn band_stride(n: usize) -> usize {
    n.div_ceil(MAX_BAND_POINTS)
}

/// The points of `ext` (indices) a law's bootstrap replicates are
/// predicted at, when it has over [`MAX_BAND_POINTS`]; None: every point.
fn band_points(ext: &Curve, req: &Request) -> Option<Vec<usize>> {
    let n = ext.len();
    if n <= MAX_BAND_POINTS {
        return None;
    }
    let stride = band_stride(n);
    let mut v: Vec<usize> = (0..n).step_by(stride).collect();
    v.push(n - 1);
    v.extend(
        req.at
            .iter()
            .filter_map(|&t| ext.step.iter().position(|&s| s == t)),
    );
    v.sort_unstable();
    v.dedup();
    Some(v)
}

/// The result of a forecast job for one curve.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ForecastOutput {
    /// The curve's name.
    pub curve: String,
    /// The method used (for `auto`: the law chosen).
    pub method: &'static str,
    /// The method's formula.
    pub formula: String,
    /// The fitted parameters by name (for the temporal law: each
    /// trajectory's coefficients, `a0.c0` ...).
    pub params: Params,
    /// Whether every fit behind the forecast converged.
    pub converged: bool,
    /// Points (checkpoints for the temporal law) fitted.
    pub fit_points: usize,
    /// The last fitted step.
    pub fit_until_step: f64,
    /// The forecasts at the steps asked for.
    pub forecasts: Vec<Point>,
    /// Accuracy on the observed points not used by the fit.
    pub heldout: Option<Accuracy>,
    /// The bootstrap behind the intervals, when computed.
    pub bootstrap: Option<Replicates>,
    /// What the intervals cover: `backtest` (predictive: the law's own
    /// extrapolation error, calibrated by rolling-origin backtests inside the
    /// fitted window and scaled by ln(step / last fitted step), in quadrature
    /// with the bootstrap refit spread), `bootstrap` (the refit spread
    /// only: the noise of the fitted points, not the error of the law) or,
    /// for the temporal law, `pooled-scale` (its bootstrap widened past the
    /// fit by the extrapolation error c pooled over other runs, with c).
    pub interval_kind: Option<IntervalKind>,
    /// The rolling-origin calibration behind a `backtest` interval (its
    /// `method` says when a prior learned on other curves was pooled in).
    pub calibration: Option<Calibration>,
    /// Where the learning rate still decays after the window and the law
    /// cannot forecast the decay's effect: the range the intervals were
    /// widened to, to cover it.
    pub decay_term: Option<DecayTerm>,
    /// Where a schedule-aware law's window does not pin its annealing
    /// terms: how the intervals were widened to the step-only law's
    /// (`hull_with_step_only`).
    pub unpinned_decay: Option<String>,
    /// The temporal law's fit (temporal method only).
    pub temporal: Option<TemporalFit>,
    /// How `auto` chose the law (None for a method given by name).
    pub choice: Option<AutoChoice>,
    /// The learning-rate decay inside the fit window and up to the forecast.
    pub decay: Option<WindowDecay>,
    /// Every point of the (extended) curve, for plots.
    #[serde(skip)]
    pub curve_points: Vec<Point>,
    /// What the reader should know about the forecast.
    pub warnings: Vec<String>,
}

/// How the intervals cover the learning rate's decay still ahead of the
/// window (`prior`: a decay prior learned on other schedules).
#[derive(Debug, Clone, serde::Serialize)]
pub struct DecayTerm {
    /// What the term is.
    pub method: String,
    /// The range of ln L - ln forecast per unit of decay ahead (the prior's
    /// quantiles at (1 -+ level) / 2).
    pub per_unit_decay: (f64, f64),
    /// The decay still ahead of the window (fraction of its peak rate) at
    /// the last step forecast.
    pub decay_ahead: f64,
}

/// Forecast every curve of `data` with the method named `method` (`auto`,
/// `temporal`, a law's name), the law resolved per curve from what it holds
/// (per-position data, learning rates, or `base.schedule`); every other
/// setting from `base` (whose `choice` is replaced).
pub fn run_each(data: &[Data], method: &str, base: &Request) -> Result<Vec<ForecastOutput>> {
    data.iter()
        .map(|d| {
            let positions = matches!(d, Data::Positions(_));
            let req = Request {
                choice: Choice::parse(method, positions)?,
                at: base.at.clone(),
                ..*base
            };
            run(d, &req)
        })
        .collect()
}

/// Fit the method of `req` to `data` and forecast.
pub fn run(data: &Data, req: &Request) -> Result<ForecastOutput> {
    // The curve as given (not a copy: a log of 1e6 steps is 24 MB), the
    // aggregate of per-position data, or with the schedule's rates.
    let mut curve: Cow<Curve> = match data {
        Data::Aggregate(c) => Cow::Borrowed(c),
        Data::Positions(p) => Cow::Owned(p.aggregate()),
    };
    if let Some(s) = req.schedule {
        curve = Cow::Owned(curve.into_owned().with_schedule(s));
    }
    let last = *curve.step.last().expect("curves are not empty");
    req.fit_until.check()?;
    let first = curve.step[0];
    let until = req.fit_until.step(first, last);
    if until < first {
        return Err(Error::setting(
            crate::error::Setting::FitUntil,
            format!(
                "{} ends the fit at step {}, before the curve's first step {}: nothing to fit \
                 (a value <= 1 is a fraction of the logged span, steps {} to {}; a larger one \
                 a step, step:N the step N)",
                req.fit_until,
                crate::numbers::num(until),
                crate::numbers::num(first),
                crate::numbers::num(first),
                crate::numbers::num(last)
            ),
        ));
    }
    let at = if req.at.is_empty() {
        vec![last]
    } else {
        req.at.clone()
    };
    if let Some(t) = at.iter().find(|t| !t.is_finite() || **t <= 0.0) {
        return Err(Error::setting(
            crate::error::Setting::ForecastAt,
            format!("steps must be finite and > 0 (got {t})"),
        ));
    }
    let needs_lr = match req.choice {
        Choice::Law(m) => m.needs_lr(),
        Choice::Temporal | Choice::Auto => false,
    };
    if needs_lr && curve.schedule.is_none() && at.iter().any(|&t| t > last * 1.001) {
        return Err(Error::NeedsSchedule {
            curve: curve.name.clone(),
            law: req.choice.name().to_string(),
            known_until: Some(last),
        });
    }
    if needs_lr && curve.schedule.is_none() && curve.lr.is_none() {
        return Err(Error::NeedsSchedule {
            curve: curve.name.clone(),
            law: req.choice.name().to_string(),
            known_until: None,
        });
    }
    // The curve with every forecast step on it (loss unknown there): the
    // curve itself when it has them all (the default, its last step).
    let ext: Cow<Curve> = if at.iter().all(|t| curve.step.contains(t)) {
        Cow::Borrowed(&*curve)
    } else {
        Cow::Owned(curve.with_steps(&at))
    };
    let k = ext.step.iter().filter(|&&s| s <= until).count();
    let decay = window_decay(&ext, until, &at);
    let mut out = match req.choice {
        Choice::Law(method) => {
            let mut o = run_law(method, &ext, k, req)?;
            if !method.needs_lr() {
                // A law of the step alone ignores decay after the window,
                // named or chosen by auto (with or without intervals).
                if let Some(d) = decay.filter(|d| d.forecast > d.window + prior::DECAY_NEGLIGIBLE)
                {
                    let w = ignores_decay(&d, method, &o, false);
                    o.warnings.insert(0, w);
                }
            } else {
                if let Some(d) = decay.filter(|d| !d.identified()) {
                    // said below, with what the intervals do about it
                    o.warnings.retain(|w| !w.starts_with(FOLLOWS_UNPINNED));
                    // The annealing parameters left at a bound are the
                    // unpinned ones this warning is about: named in it, not
                    // each in a warning of its own (probe47 7i: four such
                    // warnings beside the one that matters).
                    let folded: Vec<&str> = annealing_params(method)
                        .iter()
                        .copied()
                        .filter(|p| o.warnings.contains(&bound_warning(p)))
                        .collect();
                    o.warnings.retain(|w| !folded.iter().any(|p| *w == bound_warning(p)));
                    let hull = req.bootstrap > 0 && hull_with_step_only(&mut o, &ext, k, req);
                    o.warnings.insert(0, format!(
                        "the forecast depends on the {} law's annealing parameters, which this window does not pin: {}{}{}",
                        method.name(), d.describe(),
                        match folded.len() {
                            0 => String::new(),
                            1 => format!("; {} ended at a bound of its range", folded[0]),
                            _ => format!(
                                "; {} ended at bounds of their ranges",
                                folded.join(", ")
                            ),
                        },
                        if hull {
                            "; the intervals also span the step-only reciprocal law's interval (with its decay term)"
                        } else {
                            ""
                        }
                    ));
                }
            }
            o
        }
        Choice::Auto => {
            // Past the last recorded rate without a schedule, the laws that
            // read the rate cannot forecast (the rate is not held: an
            // explicit schedule-aware law refuses there). When the logged
            // rate has not decayed (constant after any warmup), auto chooses
            // among the laws of the step alone, as without a learning rate,
            // and says so (probe48 9h: it chose tissue on a constant rate
            // and then refused); a rate that decays in the log makes the
            // schedule matter, and a schedule-aware choice refuses.
            let past_rates = ext.lr.is_some()
                && curve.schedule.is_none()
                && at.iter().any(|&t| t > last * 1.001);
            let flat = past_rates
                && window_decay(&ext, last, &[]).is_none_or(|d| d.window <= prior::DECAY_NEGLIGIBLE);
            let (method, choice) = choose(&ext, k, decay, flat)?;
            if method.needs_lr() && past_rates {
                return Err(Error::NeedsSchedule {
                    curve: curve.name.clone(),
                    law: format!("{} (auto's choice)", method.name()),
                    known_until: Some(last),
                });
            }
            // The chosen law's fit on the whole window is the full
            // multi-start, as for the law named with --method: a start of
            // its own (its optimum on the first three quarters) lands
            // elsewhere on a valley of equal fits (the reciprocal law's
            // a-b valley where b t >> 1), and the backtest refits,
            // warm-started from the landing point, with it: the same law
            // chosen or named gave other intervals (probe44 item 10).
            let mut o = run_law(method, &ext, k, req)?;
            if let Some(d) = decay.filter(|d| !d.identified()) {
                let w = ignores_decay(&d, method, &o, true);
                o.warnings.insert(0, w);
            }
            if flat {
                o.warnings.insert(0, rate_unknown_note(&curve.name, last, &at));
            }
            let mut choice = choice;
            // Power chosen on a step-only curve: its intervals alone
            // under-cover the real runs' short windows (BENCHMARKS.md,
            // fx46c), so they span reciprocal's too.
            choice.interval_hull = choice.interval_hull
                && req.bootstrap > 0
                && hull_with_reciprocal(&mut o, &ext, k, req).is_some();
            o.choice = Some(choice);
            o
        }
        Choice::Temporal => match data {
            Data::Positions(p) => {
                let kp = p.steps.iter().filter(|&&s| s <= until).count();
                let mut o = run_temporal(p, &curve, &ext, kp, req)?;
                let reads_lr: Vec<&str> = o
                    .temporal
                    .iter()
                    .flat_map(|f| &f.trajectories)
                    .filter(|tr| tr.chosen.form.needs_lr())
                    .map(|tr| tr.param)
                    .collect();
                // As for a schedule-aware law: a trajectory that reads the
                // learning rate is not forecast past the last recorded rate
                // by holding it; the schedule is needed.
                if !reads_lr.is_empty()
                    && curve.schedule.is_none()
                    && at.iter().any(|&t| t > last * 1.001)
                {
                    return Err(Error::NeedsSchedule {
                        curve: curve.name.clone(),
                        law: format!("temporal (the lr trajectory form of {})", reads_lr.join(", ")),
                        known_until: Some(last),
                    });
                }
                if let Some(d) = decay.filter(|d| !d.identified()) {
                    let head = format!(
                        "the learning rate decays by {:.0}% of its peak by the forecast step but only by {:.0}% inside the fitted window",
                        100.0 * d.forecast,
                        100.0 * d.window
                    );
                    o.warnings.insert(
                        0,
                        if reads_lr.is_empty() {
                            format!(
                                "{head}; no trajectory the temporal law chose reads the learning rate, so its forecast ignores the coming decay: expect the loss to end lower than forecast (the interval does not cover the decay's effect)"
                            )
                        } else {
                            format!(
                                "{head}; the temporal law forecasts the decay's effect through the lr trajectory form of {}, fitted where the rate barely changed",
                                reads_lr.join(", ")
                            )
                        },
                    );
                }
                o
            }
            Data::Aggregate(_) => {
                return Err(Error::data(
                    "the temporal law needs per-position data: a file with step, position and loss columns (see examples/per_position_loss.py), or a position column",
                ))
            }
        },
    };
    // The last step fitted (a --fit-until past the curve's end, or between
    // two checkpoints, is not a step of it).
    out.fit_until_step = curve
        .step
        .iter()
        .copied()
        .filter(|&s| s <= until)
        .fold(first, f64::max);
    out.decay = decay;
    if let Some(w) = curve.untrained_warning() {
        out.warnings.push(w);
    }
    for &t in &at {
        let i = ext
            .step
            .iter()
            .position(|&s| s == t)
            .expect("with_steps puts every forecast step on the curve");
        out.forecasts.push(out.curve_points[i].clone());
    }
    if let Some(p) = out
        .forecasts
        .iter()
        .find(|p| !(p.loss > 0.0 && p.loss.is_finite()))
    {
        return Err(not_positive(&out, p.step, p.loss, req.at.is_empty()));
    }
    if let Some(w) = outside_interval(&out.forecasts, until, req.level) {
        out.warnings.push(w);
    }
    // A fitted loss decades from every other (a typo or a unit error) is
    // fitted like any other point (the rule `fit` and `compare` warn by).
    let window = &ext.loss[..k.min(ext.len())];
    for i in crate::observations::far_values(window) {
        out.warnings.push(format!(
            "the loss at step {} is {}, more than {} decades from every other fitted loss: a typo or a unit error? It is fitted like any other point and can decide the forecast",
            crate::numbers::num(ext.step[i]),
            crate::numbers::short(window[i]),
            crate::observations::FAR_DECADES
        ));
    }
    let fitted: Vec<f64> = (0..k.min(ext.len()))
        .map(|i| ext.loss[i])
        .filter(|l| !l.is_nan())
        .collect();
    let (lo, hi) = fitted
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &l| {
            (a.min(l), b.max(l))
        });
    if fitted.len() > 1 && hi - lo <= 1e-12 * hi.abs() {
        out.warnings.push(format!(
            "the loss is flat in the fitted window (all {} fitted losses are {}): the window \
             does not show how the loss falls, so the law's decay is not determined by it and \
             the forecast holds the flat value",
            fitted.len(),
            crate::numbers::num(hi)
        ));
    }
    if let Some(w) = rising(&fitted) {
        out.warnings.push(w);
    }
    let before: Vec<String> = at
        .iter()
        .filter(|&&t| t < first)
        .map(|&t| crate::numbers::num(t))
        .collect();
    if !before.is_empty() {
        out.warnings.push(super::backwards_warning(
            &format!(
                "the forecast{} at step{} {}",
                if before.len() == 1 { "" } else { "s" },
                if before.len() == 1 { "" } else { "s" },
                before.join(", ")
            ),
            "the curve's",
            first,
            before.len() > 1,
        ));
    }
    let (pred, truth): (Vec<f64>, Vec<f64>) = out
        .curve_points
        .iter()
        .filter(|p| p.step > until)
        .filter_map(|p| p.observed.map(|o| (p.loss, o)))
        .unzip();
    if !truth.is_empty() {
        out.heldout = Some(accuracy(&pred, &truth));
    }
    Ok(out)
}

/// A warning when the observed loss at a forecast step past the window lies
/// outside the forecast's interval: the run departs from the forecast (a
/// diverging run read from a complete log said nothing but its R^2,
/// probe47).
fn outside_interval(forecasts: &[Point], until: f64, level: f64) -> Option<String> {
    let num = crate::numbers::num;
    let short = crate::numbers::short;
    let out: Vec<String> = forecasts
        .iter()
        .filter(|p| p.step > until)
        .filter_map(|p| {
            let (lo, hi, o) = (p.lo?, p.hi?, p.observed?);
            (o < lo || o > hi).then(|| {
                format!(
                    "at step {}, {} lies {} [{}, {}]",
                    num(p.step),
                    short(o),
                    if o > hi { "above" } else { "below" },
                    short(lo),
                    short(hi)
                )
            })
        })
        .collect();
    if out.is_empty() {
        return None;
    }
    Some(format!(
        "the observed loss lies outside the forecast's {}% interval ({}): the run departs from \
         the forecast after the fitted window (a divergence, a restart, a change of data or \
         schedule?), or the forecast misses it",
        num((100.0 * level * 1e6).round() / 1e6),
        out.join("; ")
    ))
}

/// A warning when the fitted losses (in step order) rise over the window:
/// the median of its last quarter above that of its first. A check on the
/// data, whatever the law (a law of the step alone, a schedule-aware law or
/// the temporal law): every loss-curve law describes a falling loss, and
/// some fit a rising one without a flag (reciprocal with a < 0, log with
/// b < 0).
fn rising(fitted: &[f64]) -> Option<String> {
    let q = fitted.len() / 4;
    if q == 0 {
        return None;
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        0.5 * (v[(n - 1) / 2] + v[n / 2])
    };
    let (a, b) = (median(&fitted[..q]), median(&fitted[fitted.len() - q..]));
    (b > a).then(|| {
        format!(
            "the loss rises over the fitted window (median {} over its first quarter, {} over its last): the laws describe a falling loss, so the forecast extrapolates a trend the training curve should not have (a diverging run, a restarted schedule, or a metric other than the loss?)",
            crate::numbers::short(a),
            crate::numbers::short(b)
        )
    })
}

/// The error for a forecast that is not a positive loss (`loss` at
/// `step`): the law was extrapolated past where it holds. The log law,
/// L = a - b ln t, reaches 0 at t = exp(a / b): said. `default_step`: the
/// step was not asked for (the curve's last step), so the method is named
/// rather than --at.
fn not_positive(out: &ForecastOutput, step: f64, loss: f64, default_step: bool) -> Error {
    let num = crate::numbers::num;
    let zero = match (out.params.by_name("a"), out.params.by_name("b")) {
        (Some(&a), Some(&b)) if out.method == CurveLaw::Log.name() && b > 0.0 => {
            Some((a / b).exp()).filter(|z| z.is_finite())
        }
        _ => None,
    };
    let message = match zero {
        Some(z) => format!(
            "the log law fitted on the window (L = {} - {} ln t) reaches 0 at step {}: its \
             forecast at step {} is {} (a loss is > 0); forecast before step {}, or use a law \
             that stays above 0 (reciprocal, power)",
            num(out.params.value("a")),
            num(out.params.value("b")),
            num(z),
            num(step),
            num(loss),
            num(z)
        ),
        None => format!(
            "the {} law's forecast at step {} is {} (a loss is > 0): the law does not hold that \
             far from its window; forecast nearer to it, or use another law",
            out.method,
            num(step),
            num(loss)
        ),
    };
    Error::setting(
        if default_step {
            crate::error::Setting::Method
        } else {
            crate::error::Setting::ForecastAt
        },
        message,
    )
}

fn run_law(method: CurveLaw, ext: &Curve, k: usize, req: &Request) -> Result<ForecastOutput> {
    let f = fit_curves(method, std::slice::from_ref(ext), &[k])?;
    let every = || {
        (0..ext.len())
            .map(|i| (0, i))
            .collect::<Vec<(usize, usize)>>()
    };
    let pred = f.predict_points(&every());
    let mut points: Vec<Point> = (0..ext.len())
        .map(|i| Point {
            step: ext.step[i],
            loss: pred[i],
            lo: None,
            hi: None,
            observed: (!ext.loss[i].is_nan()).then_some(ext.loss[i]),
        })
        .collect();
    drop(pred);
    let (mut bootstrap, mut interval_kind, mut calibration, mut decay_term) =
        (None, None, None, None);
    if req.bootstrap > 0 {
        // A very long curve: the replicates at a grid of its points.
        let band = band_points(ext, req);
        let at: Vec<(usize, usize)> = match &band {
            Some(b) => b.iter().map(|&i| (0, i)).collect(),
            None => every(),
        };
        let ivs = f.intervals_with(&at, req.bootstrap, req.seed, req.level, &req.priors);
        for (&(_, i), iv) in at.iter().zip(&ivs.iv) {
            points[i].lo = Some(iv.lo);
            points[i].hi = Some(iv.hi);
        }
        bootstrap = Some(Replicates {
            replicates: ivs.replicates.0,
            converged: ivs.replicates.1,
            level: req.level,
            first_where_negligible: ivs.first_where_negligible,
            asked: (ivs.replicates.0 < req.bootstrap).then_some(req.bootstrap),
            band_points: band.map(|b| b.len()),
        });
        interval_kind = Some(ivs.kind);
        calibration = ivs.calibration;
        decay_term = widen_for_decay(method, ext, k, req, &mut points);
    }
    let mut warnings = at_bounds(&f, decay_matters(ext, k));
    warnings.extend(follows_unpinned(&f, ext, k));
    Ok(ForecastOutput {
        curve: ext.name.clone(),
        method: method.name(),
        formula: f.law.formula.clone(),
        params: Params::new(f.law.param_names_owned(), f.params.clone()),
        converged: f.converged,
        fit_points: (0..k).filter(|&i| !ext.loss[i].is_nan()).count(),
        fit_until_step: 0.0,
        forecasts: vec![],
        heldout: None,
        bootstrap,
        interval_kind,
        calibration,
        decay_term,
        unpinned_decay: None,
        temporal: None,
        choice: None,
        decay: None,
        curve_points: points,
        warnings,
    })
}

/// Widen the intervals of `points` beyond the window (the first `k`
/// points of `ext`) where the learning rate still decays
/// (`prior::decay_ahead`): each spans at least
/// ln forecast + [z_lo, z_hi] x (decay ahead), z the decay prior's quantiles
/// at (1 -+ level) / 2. None without a decay prior or decay ahead.
fn widen_for_decay(
    method: CurveLaw,
    ext: &Curve,
    k: usize,
    req: &Request,
    points: &mut [Point],
) -> Option<DecayTerm> {
    let q = req.priors.decay(method)?;
    let until = ext.step[k.clamp(1, ext.len()) - 1];
    let ahead = prior::decay_ahead(ext, until);
    let (zl, zh) = (
        prior::quantile_at(q, 0.5 - req.level / 2.0),
        prior::quantile_at(q, 0.5 + req.level / 2.0),
    );
    let mut most: Option<f64> = None;
    for (p, a) in points.iter_mut().zip(&ahead) {
        let (Some(a), Some(lo), Some(hi)) = (*a, p.lo, p.hi) else {
            continue;
        };
        p.lo = Some(lo.min(p.loss * (zl * a).exp()));
        p.hi = Some(hi.max(p.loss * (zh * a).exp()));
        most = Some(most.map_or(a, |m: f64| m.max(a)));
    }
    Some(DecayTerm {
        method: format!(
            "the learning rate decays after the window ({}): each interval beyond it also spans the forecast times exp([{zl:.4}, {zh:.4}] x the decay ahead), the {} range of the {} law's errors per unit of decay ahead on other schedules' curves (a prior learned on the multi-power curves)",
            if method.needs_lr() {
                "its effect forecast from annealing terms fitted on the window"
            } else {
                "a law of the step alone ignores it"
            },
            crate::numbers::percent(req.level),
            method.name(),
        ),
        per_unit_decay: (zl, zh),
        decay_ahead: most?,
    })
}

/// The warning of a law of the step alone (`method`, named or auto's
/// choice) forecasting past a window after which the learning rate still
/// decays (`d`): the forecast ignores the decay; what the intervals of `o`
/// do about it, when it has any.
fn ignores_decay(d: &WindowDecay, method: CurveLaw, o: &ForecastOutput, auto: bool) -> String {
    let intervals = if o.interval_kind.is_none() {
        String::new()
    } else if o.decay_term.is_some() {
        " (the intervals are widened to cover the decay's effect as a prior learned on other schedules' curves gives it)".to_string()
    } else {
        " (the intervals cover that law's own extrapolation error, not the decay's effect)"
            .to_string()
    };
    if auto {
        format!(
            "{}; auto uses {}, a law of the step alone that ignores the coming decay: expect the loss to end lower than forecast{intervals}. Fit on a window that includes part of the decay to use the schedule",
            d.describe(),
            method.name(),
        )
    } else {
        format!(
            "the learning rate decays by {:.0}% of its peak by the forecast step but only by {:.0}% inside the fitted window; {} is a law of the step alone that ignores the coming decay: expect the loss to end lower than forecast{intervals}. A schedule-aware law (tissue, multipower) fitted on a window that includes part of the decay uses the schedule",
            100.0 * d.forecast,
            100.0 * d.window,
            method.name(),
        )
    }
}

/// A schedule-aware law on a window that does not pin its annealing terms
/// forecasts the coming decay from parameters the data do not determine
/// (their grid start, a bound): widen its intervals beyond the window to the
/// hull of its own and of the step-only reciprocal law's (whose forecast
/// ignores the schedule, with its decay term from the decay prior), so that
/// they cover either hypothesis. Says so in the output's `unpinned_decay`;
/// false when the reciprocal fit fails.
fn hull_with_step_only(o: &mut ForecastOutput, ext: &Curve, k: usize, req: &Request) -> bool {
    let Some(r) = hull_with_reciprocal(o, ext, k, req) else {
        return false;
    };
    o.unpinned_decay = Some(format!(
        "the window does not pin the {} law's annealing terms: each interval beyond it is the hull of the law's own and of the step-only {} law's (its decay term included)",
        o.method, r.method
    ));
    true
}

/// Widen each interval of `o` beyond the window to the hull of its own
/// and of the step-only reciprocal law's (and that law's forecast); the
/// reciprocal law's output, None when its fit fails.
fn hull_with_reciprocal(
    o: &mut ForecastOutput,
    ext: &Curve,
    k: usize,
    req: &Request,
) -> Option<ForecastOutput> {
    let r = run_law(CurveLaw::Reciprocal, ext, k, req).ok()?;
    let until = ext.step[k.clamp(1, ext.len()) - 1];
    for (p, q) in o.curve_points.iter_mut().zip(&r.curve_points) {
        if p.step <= until {
            continue;
        }
        if let (Some(lo), Some(hi), Some(rl), Some(rh)) = (p.lo, p.hi, q.lo, q.hi) {
            p.lo = Some(lo.min(rl).min(q.loss));
            p.hi = Some(hi.max(rh).max(q.loss));
        }
    }
    Some(r)
}

fn run_temporal(
    pc: &PositionCurves,
    curve: &Curve,
    ext: &Curve,
    k: usize,
    req: &Request,
) -> Result<ForecastOutput> {
    let sched = curve.lr.is_some().then_some(curve);
    let f = temporal::fit_temporal(pc, k, sched)?;
    let xs = temporal::inputs(ext, f.t_ref);
    let mut points: Vec<Point> = (0..ext.len())
        .map(|i| Point {
            step: ext.step[i],
            loss: f.predict(&xs[i]),
            lo: None,
            hi: None,
            observed: (!ext.loss[i].is_nan()).then_some(ext.loss[i]),
        })
        .collect();
    let mut bootstrap = None;
    let mut interval_kind = None;
    let mut warnings: Vec<String> = Vec::new();
    if req.bootstrap > 0 {
        let (iv, ok) = f.bootstrap(&xs, req.bootstrap, req.seed, req.level);
        // Past the fit, the bootstrap (trajectory noise) widened to the
        // extrapolation error (see temporal::IntervalRule); that alone when
        // fewer than half of the replicates were plausible.
        let rule = temporal::IntervalRule::default();
        let cal = f.widening(req.level, rule);
        if rule == temporal::IntervalRule::Pooled
            && temporal::pooled_scale_at(req.level).is_some_and(|(_, x)| x)
        {
            let t = &temporal::POOLED_SCALE;
            warnings.push(format!(
                "the pooled extrapolation scale was measured at levels {}-{}: at level {} the interval past the fit uses the nearest one's scale times the ratio of normal quantiles (an extrapolation; the measured errors' tails are heavier than normal)",
                t[0].0,
                t[t.len() - 1].0,
                req.level
            ));
        }
        let enough = 2 * ok > req.bootstrap;
        if !enough {
            warnings.push(format!(
                "{ok} of {} bootstrap replicates gave a plausible forecast: the interval is the calibrated one alone",
                req.bootstrap
            ));
        }
        for (p, iv) in points.iter_mut().zip(iv) {
            let b = enough.then_some(iv);
            let w = cal
                .filter(|_| p.step > f.t_ref || b.is_none())
                .and_then(|c| c.interval(p.step, p.loss));
            let (lo, hi) = match (b, w) {
                (Some(b), Some(w)) => (b.lo.min(w.lo), b.hi.max(w.hi)),
                (Some(b), None) => (b.lo, b.hi),
                (None, Some(w)) => (w.lo, w.hi),
                (None, None) => continue,
            };
            p.lo = Some(lo);
            p.hi = Some(hi);
        }
        bootstrap = Some(Replicates {
            replicates: req.bootstrap,
            converged: ok,
            level: req.level,
            first_where_negligible: None,
            asked: None,
            band_points: None,
        });
        // What the widening makes of the bootstrap: a forecast interval,
        // with the pooled scale c (or this run's rolling-origin backtests).
        interval_kind = Some(match cal {
            Some(temporal::Widening::Pooled { scale, .. }) => IntervalKind::PooledScale {
                level: req.level,
                c: scale,
            },
            Some(temporal::Widening::Rolling(_)) => IntervalKind::Backtest { level: req.level },
            None => IntervalKind::Bootstrap { level: req.level },
        });
    }
    warnings.extend(
        f.not_converged
            .iter()
            .map(|s| format!("the per-position fit at step {s} did not converge")),
    );
    for tr in &f.trajectories {
        for c in &tr.chosen.at_bounds {
            warnings.push(format!(
                "parameter {}.{c} (of the {} trajectory of {}) is at a bound of its range: the data do not pin it, and the forecast may follow the bound",
                tr.param,
                tr.chosen.form.name(),
                tr.param
            ));
        }
        if !tr.chosen.converged {
            warnings.push(format!(
                "the trajectory fit of {} did not converge",
                tr.param
            ));
        }
        let j = temporal::PARAMS
            .iter()
            .position(|p| *p == tr.param)
            .expect("a0, a1, a2");
        let values: Vec<f64> = f.per_checkpoint.iter().map(|(_, a)| a[j]).collect();
        if let Some((big, scale)) =
            super::trajectory::oversized(tr.chosen.form, &tr.chosen.coef, &values)
        {
            let err = |form| {
                tr.candidates
                    .iter()
                    .find(|c| c.form == form)
                    .and_then(|c| c.held_out_error)
            };
            let simpler = match (
                err(tr.chosen.form),
                err(super::trajectory::TrajectoryForm::Constant),
            ) {
                (Some(e), Some(c)) => format!(
                    " (held-out RMSE of the mean loss {} against {} for the constant form)",
                    crate::numbers::short(e),
                    crate::numbers::short(c)
                ),
                _ => String::new(),
            };
            warnings.push(format!(
                "the {} trajectory of {} has a coefficient of {}, over {}x the parameter's fitted values (median {}): large terms cancelling each other{simpler}; its forecast and interval rest on their difference",
                tr.chosen.form.name(),
                tr.param,
                crate::numbers::short(big),
                super::trajectory::OVERSIZED_COEFS,
                crate::numbers::short(scale)
            ));
        }
    }
    let last_x = xs.last().expect("non-empty");
    let a = f.params_at(last_x);
    for (j, name) in temporal::PARAMS.iter().enumerate() {
        if a[j] < 0.0 {
            warnings.push(format!(
                "{name} extrapolated to {} at step {}: clamped at 0",
                a[j],
                ext.step.last().expect("non-empty")
            ));
        }
    }
    Ok(ForecastOutput {
        curve: ext.name.clone(),
        method: "temporal",
        formula: "L = mean over positions i of a0(t) / (1 + a1(t) i) + a2(t)".into(),
        params: Params::from_pairs(f.trajectories.iter().flat_map(|tr| {
            ["c0", "c1", "c2"]
                .iter()
                .zip(&tr.chosen.coef)
                .map(|(c, &v)| (format!("{}.{c}", tr.param), v))
                .collect::<Vec<_>>()
        })),
        converged: f.converged(),
        fit_points: f.checkpoints,
        fit_until_step: 0.0,
        forecasts: vec![],
        heldout: None,
        interval_kind,
        calibration: None,
        decay_term: None,
        unpinned_decay: None,
        bootstrap,
        temporal: Some(f),
        choice: None,
        decay: None,
        curve_points: points,
        warnings,
    })
}

/// How much the learning rate decays (fractions of the window's peak rate)
/// inside the fitted window and by the last forecast step.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct WindowDecay {
    /// Decay inside the fitted window.
    pub window: f64,
    /// Decay by the last forecast step.
    pub forecast: f64,
}

impl WindowDecay {
    /// Whether the window pins the annealing terms the forecast needs: the
    /// forecast adds little decay to the window's (5% of the peak), or the
    /// window holds at least a quarter of it.
    pub fn identified(&self) -> bool {
        self.forecast <= self.window + 0.05 || self.window >= 0.25 * self.forecast
    }
    /// The warning given when the decay is not identified.
    pub fn describe(&self) -> String {
        format!(
            "the learning rate decays by {:.0}% of its peak by the forecast step but only by {:.0}% inside the fitted window, so the annealing terms are not identified",
            100.0 * self.forecast,
            100.0 * self.window
        )
    }
}

/// The decay inside the window (steps after the warmup up to `until`) and
/// up to the last of `at`; None without a learning rate.
pub fn window_decay(ext: &Curve, until: f64, at: &[f64]) -> Option<WindowDecay> {
    let path = ext.lr_path()?;
    let w0 = ext.decay_start();
    let last = at.iter().copied().fold(until, f64::max);
    let (mut peak, mut wmin, mut fmin) = (0.0f64, f64::INFINITY, f64::INFINITY);
    for &s in ext.step.iter().filter(|&&s| s >= w0) {
        let e = path.at(s);
        if s <= until {
            peak = peak.max(e);
            wmin = wmin.min(e);
        } else if s <= last {
            fmin = fmin.min(e);
        }
    }
    if peak <= 0.0 || !wmin.is_finite() {
        return None;
    }
    Some(WindowDecay {
        window: (peak - wmin) / peak,
        forecast: (peak - wmin.min(fmin)) / peak,
    })
}

/// Whether the rate decays after the window (then the annealing parameters
/// matter to the forecast).
fn decay_matters(ext: &Curve, k: usize) -> bool {
    let until = ext.step[k.clamp(1, ext.len()) - 1];
    let last = *ext.step.last().expect("non-empty");
    window_decay(ext, until, &[last]).is_some_and(|d| d.forecast > d.window + 0.05)
}

/// Add warning `w` to every forecast of run `run`.
fn warn_run(forecasts: &mut [ForecastOutput], run: &str, w: &str) {
    for o in forecasts.iter_mut().filter(|o| o.curve == run) {
        o.warnings.push(w.to_string());
    }
}

/// How the warning of [`follows_unpinned`] begins.
const FOLLOWS_UNPINNED: &str = "the forecast at step";

/// Where the forecast at the curve's last step follows a direction the
/// fitted window does not pin (`identify::unpinned_shift`): a warning
/// naming the parameters and how far a step along it moves the forecast.
fn follows_unpinned(f: &super::Fitted, ext: &Curve, k: usize) -> Option<String> {
    let fitted: Vec<(usize, usize)> = (0..k.min(ext.len()))
        .filter(|&i| !ext.loss[i].is_nan())
        .map(|i| (0, i))
        .collect();
    let last = ext.len().checked_sub(1)?;
    let u = f.law.to_internal(&f.params);
    let (lo, hi) = f.result().search_bounds();
    let (shift, names) = crate::identify::unpinned_shift(
        &f.law,
        &u,
        (&lo, &hi),
        &f.result().identifiability,
        |v| f.predict_many(&fitted, &[f.law.to_natural(v)]),
        |v| f.predict_with(0, last, &f.law.to_natural(v)),
    )?;
    Some(format!(
        "{FOLLOWS_UNPINNED} {} follows {}, which the fitted window does not pin: moving {} along a direction the window does not see moves it by up to {:.1}% and the fitted points by less than a tenth of that",
        crate::numbers::num(ext.step[last]),
        names.join(", "),
        if names.len() == 1 { "it" } else { "them" },
        crate::identify::shift_percent(shift),
    ))
}

/// Parameters the fit left at a bound of their range, when the forecast
/// depends on them: the bounds the search had (`FitResult::at_bounds`; a
/// scale-free search's bounds follow the loss's unit, the law's nominal
/// ones do not).
fn at_bounds(f: &super::Fitted, decay_matters: bool) -> Vec<String> {
    let annealing = annealing_params(f.method);
    let hit = &f.result().at_bounds;
    f.law
        .params
        .iter()
        .filter(|p| decay_matters || !annealing.contains(&p.name.as_str()))
        .filter(|p| hit.contains(&p.name))
        .map(|p| bound_warning(&p.name))
        .collect()
}

/// The parameters of a schedule-aware law's annealing terms (the decay's
/// effect), which a window before the decay does not pin.
fn annealing_params(method: CurveLaw) -> &'static [&'static str] {
    match method {
        CurveLaw::MultiPower | CurveLaw::MultiPowerWarmup => &["B", "C", "beta", "gamma"],
        CurveLaw::Tissue => &["C"],
        _ => &[],
    }
}

/// The warning on a parameter the fit left at a bound of its range.
fn bound_warning(name: &str) -> String {
    format!(
        "parameter {name} is at a bound of its range: the data do not pin it, and the forecast may follow the bound"
    )
}

/// A candidate law of `auto` and its error on the held-out tail of the window.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LawCandidate {
    /// The law.
    pub method: &'static str,
    /// RMSE of ln L on the last quarter of the window's points, fitted on
    /// the rest (None: the fit failed or did not converge).
    pub held_out_rmse: Option<f64>,
    /// RMSE of ln L on the whole window, fitted on it (step-only choice
    /// only; None: with a learning rate, or the fit failed).
    pub fit_rmse: Option<f64>,
}

/// How `auto` chose a law.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AutoChoice {
    /// Every candidate law, with its held-out error.
    pub candidates: Vec<LawCandidate>,
    /// Whether the window pins the schedule-aware laws' annealing terms
    /// (false without a learning rate).
    pub annealing_identified: bool,
    /// Without a learning rate: the choice between the step-only laws
    /// power and reciprocal (see [`choose`]).
    pub step_only: bool,
    /// Beyond the window, each interval is the hull of the chosen law's and
    /// of the step-only reciprocal law's (power chosen without a learning
    /// rate).
    pub interval_hull: bool,
}

/// `auto`'s note when the learning rate is logged only up to `last`,
/// without decaying, and no schedule is given, so that it chose among the
/// step-only laws.
fn rate_unknown_note(curve: &str, last: f64, at: &[f64]) -> String {
    let past: Vec<f64> = at.iter().copied().filter(|&t| t > last * 1.001).collect();
    format!(
        "{curve}: the learning rate is logged up to step {}, where it has not decayed, and no schedule is given, so the laws that read it (tissue, multipower) cannot forecast step {}: auto chose among the laws of the step alone, which assume the loss goes on as its trend in the window (give the schedule to use the rate)",
        crate::numbers::num(last),
        past.iter()
            .map(|&t| crate::numbers::num(t))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Power's held-out tail error must be within this factor of the noise
/// (the smaller whole-window RMSE of ln L of the two step-only laws) for
/// `auto` to take power over reciprocal (fixed before measuring;
/// BENCHMARKS.md, "Loss-curve forecasting", branch fx46c).
pub const STEP_ONLY_NOISE_FACTOR: f64 = 2.0;

/// RMSE of ln L of the law `m` fitted on the first `upto` points of `ext`
/// at the points `at` (None: the fit failed or did not converge).
fn ln_rmse(m: CurveLaw, ext: &Curve, upto: usize, at: &[usize]) -> Option<f64> {
    let f = fit_curves(m, std::slice::from_ref(ext), &[upto])
        .ok()
        .filter(|f| f.converged)?;
    let ss: f64 = at
        .iter()
        .map(|&i| (f.predict(0, i).ln() - ext.loss[i].ln()).powi(2))
        .sum();
    Some((ss / at.len().max(1) as f64).sqrt()).filter(|e| e.is_finite())
}

/// `auto` on an aggregate curve.
///
/// With a learning rate: the schedule-aware law (tissue or multipower)
/// with the smallest held-out error on the last quarter of the window when
/// fitted on the rest, when the window pins their annealing terms; else
/// the step-only reciprocal law.
///
/// Without one: power when its held-out error on the window's last
/// quarter is below reciprocal's and within [`STEP_ONLY_NOISE_FACTOR`] of
/// the noise (the smaller whole-window RMSE of the two), else reciprocal
/// (the better step-only law on the real early-to-final curves alone).
/// Chosen leaving each family of curves out on the (Mis)Fitting runs,
/// the multi-power curves and synthetic curves of known truth; power's
/// intervals alone under-cover the real runs at 25% of their steps, so
/// where power is chosen its intervals are widened to reciprocal's
/// (`AutoChoice::interval_hull`).
///
/// `step_only`: choose among the step-only laws even though the curve has
/// a learning rate (the rate is not known at every forecast step).
pub fn choose(
    ext: &Curve,
    k: usize,
    decay: Option<WindowDecay>,
    step_only: bool,
) -> Result<(CurveLaw, AutoChoice)> {
    let obs: Vec<usize> = (0..k.min(ext.len()))
        .filter(|&i| !ext.loss[i].is_nan())
        .collect();
    let train = obs.len() - obs.len() / 4;
    let upto = obs.get(train).copied().unwrap_or(k);
    let held = &obs[train..];
    if ext.lr.is_none() || step_only {
        let methods = [CurveLaw::Reciprocal, CurveLaw::Power];
        let candidates: Vec<LawCandidate> = methods
            .iter()
            .map(|&m| LawCandidate {
                method: m.name(),
                held_out_rmse: ln_rmse(m, ext, upto, held),
                fit_rmse: ln_rmse(m, ext, k, &obs),
            })
            .collect();
        let noise = candidates
            .iter()
            .filter_map(|c| c.fit_rmse)
            .min_by(f64::total_cmp);
        let power = match (
            candidates[0].held_out_rmse,
            candidates[1].held_out_rmse,
            noise,
        ) {
            (Some(r), Some(p), Some(n)) => r > p && p <= STEP_ONLY_NOISE_FACTOR * n,
            _ => false,
        };
        return Ok((
            methods[usize::from(power)],
            AutoChoice {
                candidates,
                annealing_identified: false,
                step_only: true,
                interval_hull: power,
            },
        ));
    }
    let identified = decay.is_none_or(|d| d.identified());
    // Ties (e.g. no decay anywhere: both laws reduce to a power of S1) go
    // to the simpler law. Without the schedule pinned, reciprocal: the
    // better step-only law on the multi-power curves at 20% of the run (a
    // held-out tail choice with power there was worse, BENCHMARKS.md
    // fx46c).
    let methods: &[CurveLaw] = if identified {
        &[CurveLaw::Tissue, CurveLaw::MultiPower]
    } else {
        &[CurveLaw::Reciprocal]
    };
    let candidates: Vec<LawCandidate> = methods
        .iter()
        .map(|&m| LawCandidate {
            method: m.name(),
            held_out_rmse: ln_rmse(m, ext, upto, held),
            fit_rmse: None,
        })
        .collect();
    let best = methods
        .iter()
        .zip(&candidates)
        .filter_map(|(&m, c)| c.held_out_rmse.map(|e| (m, e)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(m, _)| m);
    let method = best.unwrap_or(methods[0]);
    Ok((
        method,
        AutoChoice {
            candidates,
            annealing_identified: identified,
            step_only: false,
            interval_hull: false,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table given to the library (`run_owned`, freed once its curves
    /// are read) forecasts as one lent to it (`run`): the same runs, the
    /// same warnings about its rows (a missing loss, the loss at step 0),
    /// and the same error for a table no run of which can be forecast.
    #[test]
    fn an_owned_table_forecasts_as_a_lent_one() {
        let mut text = String::from("run,step,loss\n");
        for run in ["a", "b"] {
            text += &format!("{run},0,9.0\n");
            for k in 1..=30 {
                let t = 100.0 * k as f64;
                let loss = if k == 7 && run == "b" {
                    String::new()
                } else {
                    format!("{}", 2.0 + 30.0 / t.sqrt())
                };
                text += &format!("{run},{t},{loss}\n");
            }
        }
        let table = Table::from_delimited("runs.csv", &text, b',').unwrap();
        let spec = Spec {
            method: "reciprocal".into(),
            run_col: Some("run".into()),
            bootstrap: 20,
            ..Spec::default()
        };
        let json = |r: &Runs| serde_json::to_string(r).unwrap();
        let lent = spec.run(&table, "runs").unwrap();
        let owned = spec.run_owned(table.clone(), "runs").unwrap();
        assert_eq!(json(&lent), json(&owned));
        let warnings = &owned.forecasts[1].warnings;
        assert!(
            warnings.iter().any(|w| w.contains("empty loss"))
                && warnings.iter().any(|w| w.contains("step 0")),
            "{warnings:?}"
        );
        // Too short for any run: the same error.
        let short = Spec {
            fit_until: FitUntil::Number(150.0),
            ..spec
        };
        let (a, b) = (
            short.run(&table, "runs").unwrap_err().to_string(),
            short.run_owned(table, "runs").unwrap_err().to_string(),
        );
        assert!(a.contains("no run could be forecast"), "{a}");
        assert_eq!(a, b);
    }

    fn curve(step: &[f64], lr: &[f64]) -> Curve {
        Curve {
            name: "c".into(),
            step: step.to_vec(),
            lr: Some(lr.to_vec()),
            loss: step.iter().map(|s| 3.0 + 1.0 / s).collect(),
            schedule: None,
            untrained: vec![],
        }
    }

    /// The bounds the scale-free search had follow the loss's unit
    /// (probe44 item 3): a pure power curve fits E on the search's floor,
    /// which is k times higher for losses k times higher, and `at_bounds`
    /// and `follows_unpinned` read those bounds, not the law's nominal ones.
    #[test]
    fn the_search_bounds_follow_the_unit_of_the_loss() {
        let step: Vec<f64> = (1..=200).map(|i| 100.0 * i as f64).collect();
        let e = |k: f64| {
            let c = Curve {
                name: "pure".into(),
                loss: step.iter().map(|t| k * 10.0 * t.powf(-0.5)).collect(),
                step: step.clone(),
                lr: None,
                schedule: None,
                untrained: vec![],
            };
            let f = fit_curves(CurveLaw::Power, std::slice::from_ref(&c), &[60]).unwrap();
            let j = f.law.params.iter().position(|p| p.name == "E").unwrap();
            let (lo, _) = f.result().search_bounds();
            let u = f.law.to_internal(&f.params);
            assert!(
                (u[j] - lo[j]).abs() < 1e-6 * (1.0 + lo[j].abs()),
                "k {k}: {} {}",
                u[j],
                lo[j]
            );
            assert!(at_bounds(&f, false)
                .iter()
                .any(|w| w.starts_with("parameter E ")));
            lo[j]
        };
        // E is log-transformed: its floor moves by ln k.
        let (a, b) = (e(1.0), e(2.5));
        assert!((b - a - 2.5f64.ln()).abs() < 1e-9, "{a} {b}");
        assert!((e(0.5) - a - 0.5f64.ln()).abs() < 1e-9);
    }

    /// A recorded warmup ramp (rates rising to the peak) is not decay: the
    /// window's decay is measured from the peak.
    #[test]
    fn a_recorded_warmup_is_not_decay_in_the_window() {
        let step = [
            2.0, 4.0, 6.0, 8.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 400.0,
        ];
        let lr = [
            1e-3, 2e-3, 3e-3, 4e-3, 4e-3, 4e-3, 4e-3, 4e-3, 4e-3, 1e-3, 4e-4,
        ];
        let c = curve(&step, &lr);
        assert_eq!(c.decay_start(), 8.0);
        let d = window_decay(&c, 100.0, &[400.0]).unwrap();
        assert_eq!(d.window, 0.0);
        assert!((d.forecast - 0.9).abs() < 1e-12, "{d:?}");
        assert!(!d.identified());
        // Without the ramp: the same.
        let c = curve(&step[3..], &lr[3..]);
        let e = window_decay(&c, 100.0, &[400.0]).unwrap();
        assert_eq!((e.window, e.forecast), (d.window, d.forecast));
        // A run that decays from its first point: decay from there.
        let c = curve(&step[8..], &[4e-3, 2e-3, 1e-3]);
        assert_eq!(c.decay_start(), 160.0);
        let d = window_decay(&c, 320.0, &[]).unwrap();
        assert!((d.window - 0.5).abs() < 1e-12);
    }

    /// A step-only curve: 300 steps 10..3000 of `truth`, a deterministic
    /// wiggle of 0.5% on L.
    fn step_only(truth: impl Fn(f64) -> f64) -> Table {
        let mut text = String::from("step,loss\n");
        for k in 1..=300 {
            let t = 10.0 * k as f64;
            let wiggle = 1.0 + 0.005 * ((k * 37 % 11) as f64 / 5.0 - 1.0);
            text += &format!("{t},{}\n", truth(t) * wiggle);
        }
        Table::from_delimited("c.csv", &text, b',').unwrap()
    }

    fn forecast(table: &Table, method: &str) -> ForecastOutput {
        let spec = Spec {
            method: method.into(),
            fit_until: 0.3.into(),
            bootstrap: 50,
            ..Spec::default()
        };
        spec.run(table, "c").unwrap().forecasts.remove(0)
    }

    /// fx46c (probe45): `auto` without a learning rate takes power on a
    /// clean power law (it took reciprocal, 2.915 for a truth of 2.724),
    /// its interval the hull of power's and reciprocal's.
    #[test]
    fn fx46c_auto_takes_power_on_a_clean_power_law() {
        let truth = |t: f64| 8.0 * t.powf(-0.3) + 2.0;
        let table = step_only(truth);
        let auto = forecast(&table, "auto");
        let power = forecast(&table, "power");
        let recip = forecast(&table, "reciprocal");
        assert_eq!(auto.method, "power");
        let c = auto.choice.as_ref().unwrap();
        assert!(c.step_only && c.interval_hull, "{c:?}");
        let names: Vec<&str> = c.candidates.iter().map(|k| k.method).collect();
        assert_eq!(names, ["reciprocal", "power"]);
        assert!(c.candidates.iter().all(|k| k.fit_rmse.is_some()));
        let (a, p, r) = (&auto.forecasts[0], &power.forecasts[0], &recip.forecasts[0]);
        assert_eq!(a.loss, p.loss);
        assert!(
            ((a.loss - truth(3000.0)) / truth(3000.0)).abs() < 0.01,
            "{}",
            a.loss
        );
        assert!(
            (r.loss - truth(3000.0)) / truth(3000.0) > 0.03,
            "{}",
            r.loss
        );
        assert_eq!(a.lo, Some(p.lo.unwrap().min(r.lo.unwrap())));
        assert_eq!(a.hi, Some(p.hi.unwrap().max(r.hi.unwrap())));
    }

    /// fx46c: on a reciprocal curve `auto` keeps reciprocal, the same
    /// forecast and interval as the law named.
    #[test]
    fn fx46c_auto_keeps_reciprocal_on_a_reciprocal_curve() {
        let table = step_only(|t| 2.0 + 4.0 / (1.0 + t / 300.0));
        let auto = forecast(&table, "auto");
        let recip = forecast(&table, "reciprocal");
        assert_eq!(auto.method, "reciprocal");
        let c = auto.choice.as_ref().unwrap();
        assert!(c.step_only && !c.interval_hull, "{c:?}");
        assert_eq!(auto.forecasts[0].loss, recip.forecasts[0].loss);
        assert_eq!(auto.forecasts[0].lo, recip.forecasts[0].lo);
        assert_eq!(auto.forecasts[0].hi, recip.forecasts[0].hi);
    }
}
