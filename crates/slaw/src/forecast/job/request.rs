//! What one forecast job is asked: the method, where the fit ends, the data
//! and the request's settings.

use crate::forecast::positions::PositionCurves;
use crate::forecast::prior::Priors;
use crate::forecast::{Curve, CurveLaw, Schedule};
use crate::{Error, Result};

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

    pub(super) fn check(self) -> Result<()> {
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
