//! One `slaw forecast` job: a curve (aggregate or per-position), the method,
//! the part to fit and the steps to forecast -> a `ForecastOutput` with
//! intervals and the error on the part of the curve not fitted.

use super::positions::PositionCurves;
use super::temporal::{self, TemporalFit};
use super::{accuracy, fit_curves, Accuracy, Curve, Method, Schedule};
use crate::{Error, Result};

/// The method of a job: one of the aggregate-curve laws, or the temporal law
/// (per-position data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Law(Method),
    Temporal,
}

impl Choice {
    pub fn name(self) -> &'static str {
        match self {
            Choice::Law(m) => m.name(),
            Choice::Temporal => "temporal",
        }
    }
    /// `auto`: temporal with per-position data, multipower with a learning
    /// rate, reciprocal otherwise.
    pub fn parse(s: &str, positions: bool, lr: bool) -> Result<Choice> {
        match s {
            "temporal" => Ok(Choice::Temporal),
            "auto" if positions => Ok(Choice::Temporal),
            "auto" if lr => Ok(Choice::Law(Method::MultiPower)),
            "auto" => Ok(Choice::Law(Method::Reciprocal)),
            _ => Method::parse(s).map(Choice::Law).map_err(|_| {
                Error::usage(format!(
                    "unknown forecast method '{s}' (known: auto, temporal, {})",
                    Method::ALL.map(|m| m.name()).join(", ")
                ))
            }),
        }
    }
}

/// The data of a job.
#[derive(Debug, Clone)]
pub enum Data {
    Aggregate(Curve),
    Positions(PositionCurves),
}

#[derive(Debug, Clone)]
pub struct Request {
    pub choice: Choice,
    /// A fraction of the last step (<= 1) or a step (> 1).
    pub fit_until: f64,
    /// Steps to forecast; empty: the last step of the file.
    pub at: Vec<f64>,
    pub schedule: Option<Schedule>,
    /// Bootstrap replicates for the intervals (0: none).
    pub bootstrap: usize,
    pub seed: u64,
    pub level: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Point {
    pub step: f64,
    pub loss: f64,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    /// The observed loss when the curve has this step.
    pub observed: Option<f64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ForecastOutput {
    pub curve: String,
    pub method: &'static str,
    pub formula: String,
    /// The fitted parameters (for the temporal law: each trajectory's coefficients).
    pub params: Vec<(String, f64)>,
    pub converged: bool,
    pub fit_points: usize,
    pub fit_until_step: f64,
    pub forecasts: Vec<Point>,
    /// Accuracy on the observed points not used by the fit.
    pub rest: Option<Accuracy>,
    /// (replicates, converged replicates, level) when intervals were computed.
    pub bootstrap: Option<(usize, usize, f64)>,
    pub temporal: Option<TemporalFit>,
    /// Every point of the (extended) curve, for plots.
    #[serde(skip)]
    pub curve_points: Vec<Point>,
    pub warnings: Vec<String>,
}

pub fn run(data: &Data, req: &Request) -> Result<ForecastOutput> {
    let mut curve = match data {
        Data::Aggregate(c) => c.clone(),
        Data::Positions(p) => p.aggregate(),
    };
    if let Some(s) = req.schedule {
        curve = curve.with_schedule(s);
    }
    let last = *curve.step.last().expect("curves are not empty");
    if !(req.fit_until > 0.0 && req.fit_until.is_finite()) {
        return Err(Error::usage(
            "--fit-until must be > 0 (a fraction <= 1 or a step)",
        ));
    }
    let until = if req.fit_until <= 1.0 {
        req.fit_until * last
    } else {
        req.fit_until
    };
    let at = if req.at.is_empty() {
        vec![last]
    } else {
        req.at.clone()
    };
    if let Some(t) = at.iter().find(|t| t.is_nan() || **t <= 0.0) {
        return Err(Error::usage(format!("--at steps must be > 0 (got {t})")));
    }
    let needs_lr = match req.choice {
        Choice::Law(m) => m.needs_lr(),
        Choice::Temporal => false,
    };
    if needs_lr && curve.schedule.is_none() {
        if let Some(t) = at.iter().find(|&&t| t > last * 1.001) {
            return Err(Error::usage(format!(
                "--at {t}: the {} law needs the learning rate, which the file gives only up to step {last}; give the schedule with --schedule to forecast further",
                req.choice.name()
            )));
        }
    }
    if needs_lr && curve.schedule.is_none() && curve.lr.is_none() {
        return Err(Error::usage(format!(
            "curve '{}' has no learning-rate column: the {} law needs the schedule (an lr column or --schedule)",
            curve.name,
            req.choice.name()
        )));
    }
    // The curve with every forecast step on it (loss unknown there).
    let ext = curve.with_steps(&at);
    let k = ext.step.iter().filter(|&&s| s <= until).count();
    let mut out = match req.choice {
        Choice::Law(method) => run_law(method, &ext, k, req)?,
        Choice::Temporal => match data {
            Data::Positions(p) => {
                let kp = p.steps.iter().filter(|&&s| s <= until).count();
                run_temporal(p, &curve, &ext, kp, req)?
            }
            Data::Aggregate(_) => {
                return Err(Error::usage(
                    "the temporal law needs per-position data: a file with step, position and loss columns (see examples/per_position_loss.py), or --position-col",
                ))
            }
        },
    };
    out.fit_until_step = until;
    for &t in &at {
        let i = ext
            .step
            .iter()
            .position(|&s| s == t)
            .expect("with_steps puts every forecast step on the curve");
        out.forecasts.push(out.curve_points[i].clone());
    }
    let (pred, truth): (Vec<f64>, Vec<f64>) = out
        .curve_points
        .iter()
        .filter(|p| p.step > until)
        .filter_map(|p| p.observed.map(|o| (p.loss, o)))
        .unzip();
    if !truth.is_empty() {
        out.rest = Some(accuracy(&pred, &truth));
    }
    Ok(out)
}

fn run_law(method: Method, ext: &Curve, k: usize, req: &Request) -> Result<ForecastOutput> {
    let f = fit_curves(method, std::slice::from_ref(ext), &[k])?;
    let mut points: Vec<Point> = (0..ext.len())
        .map(|i| Point {
            step: ext.step[i],
            loss: f.predict(0, i),
            lo: None,
            hi: None,
            observed: (!ext.loss[i].is_nan()).then_some(ext.loss[i]),
        })
        .collect();
    let mut bootstrap = None;
    if req.bootstrap > 0 {
        let idx: Vec<(usize, usize)> = (0..ext.len()).map(|i| (0, i)).collect();
        let (iv, ok) = f.bootstrap(&idx, req.bootstrap, req.seed, req.level);
        for (p, iv) in points.iter_mut().zip(iv) {
            p.lo = Some(iv.lo);
            p.hi = Some(iv.hi);
        }
        bootstrap = Some((req.bootstrap, ok, req.level));
    }
    Ok(ForecastOutput {
        curve: ext.name.clone(),
        method: method.name(),
        formula: f.law.formula.clone(),
        params: f
            .law
            .params
            .iter()
            .map(|p| p.name.clone())
            .zip(f.params.iter().copied())
            .collect(),
        converged: f.converged,
        fit_points: (0..k).filter(|&i| !ext.loss[i].is_nan()).count(),
        fit_until_step: 0.0,
        forecasts: vec![],
        rest: None,
        bootstrap,
        temporal: None,
        curve_points: points,
        warnings: vec![],
    })
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
    if req.bootstrap > 0 {
        let (iv, ok) = f.bootstrap(&xs, req.bootstrap, req.seed, req.level);
        for (p, iv) in points.iter_mut().zip(iv) {
            p.lo = Some(iv.lo);
            p.hi = Some(iv.hi);
        }
        bootstrap = Some((req.bootstrap, ok, req.level));
    }
    let mut warnings: Vec<String> = f
        .not_converged
        .iter()
        .map(|s| format!("the per-position fit at step {s} did not converge"))
        .collect();
    for tr in &f.trajectories {
        if !tr.chosen.converged {
            warnings.push(format!(
                "the trajectory fit of {} did not converge",
                tr.param
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
        params: f
            .trajectories
            .iter()
            .flat_map(|tr| {
                ["c0", "c1", "c2"]
                    .iter()
                    .zip(&tr.chosen.coef)
                    .map(|(c, &v)| (format!("{}.{c}", tr.param), v))
                    .collect::<Vec<_>>()
            })
            .collect(),
        converged: f.converged(),
        fit_points: f.checkpoints,
        fit_until_step: 0.0,
        forecasts: vec![],
        rest: None,
        bootstrap,
        temporal: Some(f),
        curve_points: points,
        warnings,
    })
}
