//! What-if schedules as tables and settings describe them ([`Spec`]): the
//! runs read from their tables, the schedules to predict from their text
//! specs (`KIND:KEY=VALUE,...`, or `lr:FILE`), the WSD decay search, then
//! [`whatif::what_if`]. What `slaw schedule` and the Python package's
//! `schedule()` both call; they only read the tables and show the result.

use super::prior::Priors;
use super::whatif::{self, Options, Target, WhatIf};
use super::{Curve, CurveLaw, Schedule};
use crate::error::Setting;
use crate::table::Table;
use crate::{Error, Result};
use std::path::Path;

/// The decay lengths the WSD search tries by default, as fractions of the
/// steps after warmup.
pub const DEFAULT_DECAY_FRACTIONS: [f64; 8] = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5];

/// What-if schedules as settings describe them (`slaw schedule`'s options,
/// the Python package's keywords; its serde form is the keywords).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Spec {
    /// Schedules to predict: `KIND:KEY=VALUE,...` (see [`Schedule::parse`])
    /// or `lr:FILE`, a file with the learning rate per step.
    pub predict: Vec<String>,
    /// The step budget: the last step of the schedules without a total
    /// (constant, two-stage) and of the WSD search.
    pub steps: Option<f64>,
    /// Spacing of the predicted points (default: the median spacing of the
    /// first run).
    pub every: Option<f64>,
    /// The WSD search: `peak=P[,final=F][,warmup=W][,decay=SHAPE]`.
    pub optimize_wsd: Option<String>,
    /// The decay lengths the WSD search tries, as fractions of the steps
    /// after warmup.
    pub decay_fractions: Vec<f64>,
    /// The law's name (tissue, multipower or multipower-warmup).
    pub method: String,
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
    /// The learning-rate column.
    pub lr_col: String,
    /// The column(s), comma-separated, naming the run of each row.
    pub run_col: Option<String>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            predict: vec![],
            steps: None,
            every: None,
            optimize_wsd: None,
            decay_fractions: DEFAULT_DECAY_FRACTIONS.to_vec(),
            method: "tissue".into(),
            bootstrap: 100,
            level: 0.9,
            seed: 0,
            step_col: "step".into(),
            loss_col: "loss".into(),
            lr_col: "lr".into(),
            run_col: None,
        }
    }
}

/// The number of `k=` in a spec (`KIND:K=V,...` or `K=V,...`), if it parses.
fn key(spec: &str, k: &str) -> Option<f64> {
    spec.split([':', ','])
        .filter_map(|p| p.split_once('='))
        .find(|(a, _)| a.trim() == k)
        .and_then(|(_, v)| v.trim().parse().ok())
}

/// A schedule error about the predicted schedule `spec` as the schedules to
/// predict's error, naming the spec.
fn predicted(spec: &str, e: Error) -> Error {
    match e {
        Error::Setting {
            setting: Setting::Schedule,
            message,
        } => {
            let message = if message.contains(spec) {
                message
            } else {
                format!("'{spec}': {message}")
            };
            Error::setting(Setting::PredictedSchedules, message)
        }
        e => e,
    }
}

/// Files given twice (the same path, or two paths of one file) would count
/// as two runs: an error naming the second. Standard input (`-`) is not
/// compared (a caller checks it is given once).
pub fn distinct_files(files: &[&Path]) -> Result<()> {
    for (j, f) in files.iter().enumerate() {
        let same = |g: &&Path| {
            f.as_os_str() != "-"
                && match (std::fs::canonicalize(f), std::fs::canonicalize(g)) {
                    (Ok(x), Ok(y)) => x == y,
                    _ => f == g,
                }
        };
        if files[..j].iter().any(same) {
            return Err(Error::input(
                &f.display().to_string(),
                None,
                None,
                "given twice; give each run once",
            ));
        }
    }
    Ok(())
}

/// The runs' files read, each with the name of a single curve read from it
/// (its stem), after [`distinct_files`].
pub fn read_files(files: &[&Path]) -> Result<Vec<(Table, String)>> {
    distinct_files(files)?;
    files
        .iter()
        .map(|f| {
            let stem = f
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("curve")
                .to_string();
            Ok((Table::read(f)?, stem))
        })
        .collect()
}

impl Spec {
    /// The settings that need no data: the spacing, the step budget, the
    /// level and the law's name.
    pub fn check(&self) -> Result<CurveLaw> {
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(Error::setting(
                Setting::Level,
                format!("must be between 0 and 1, got {}", self.level),
            ));
        }
        if let Some(e) = self.every.filter(|e| !(*e > 0.0 && e.is_finite())) {
            return Err(Error::setting(
                Setting::Spacing,
                format!("must be a finite number > 0, got {e}"),
            ));
        }
        if let Some(t) = self.steps.filter(|t| !(*t > 0.0 && t.is_finite())) {
            return Err(Error::setting(
                Setting::StepBudget,
                format!("must be a finite number > 0, got {t}"),
            ));
        }
        CurveLaw::parse(&self.method)
    }

    /// Whether anything is to be predicted: a schedule, or the WSD search.
    pub fn predicts(&self) -> bool {
        !self.predict.is_empty() || self.optimize_wsd.is_some()
    }

    /// The runs of the tables, each with the name of a single curve read
    /// from it (a file's stem), and a warning per run whose rows have a step
    /// but no loss (skipped).
    pub fn runs(&self, tables: &[(&Table, &str)]) -> Result<(Vec<Curve>, Vec<String>)> {
        let mut runs: Vec<Curve> = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        for (table, stem) in tables {
            let (step, loss, lr, run) = (
                self.step_col.as_str(),
                self.loss_col.as_str(),
                Some(self.lr_col.as_str()),
                self.run_col.as_deref(),
            );
            runs.extend(Curve::runs_from_table(table, stem, step, loss, lr, run)?);
            for (run, rows) in Curve::missing_losses(table, stem, step, loss, lr, run)? {
                missing.push(format!(
                    "run '{run}': {}",
                    super::missing_losses_warning(table, &rows, step)
                ));
            }
        }
        Ok((runs, missing))
    }

    /// The spacing of the predicted points: as set, else the median spacing
    /// of the first run's steps.
    pub fn spacing(&self, runs: &[Curve]) -> Result<f64> {
        if let Some(e) = self.every {
            return Ok(e);
        }
        let s = runs.first().map(|r| r.step.as_slice()).unwrap_or(&[]);
        let mut gaps: Vec<f64> = s.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort_by(f64::total_cmp);
        gaps.get(gaps.len() / 2).copied().ok_or_else(|| {
            Error::setting(
                Setting::Spacing,
                "the first run has fewer than 2 steps to take the spacing of the predicted \
                 points from: give it",
            )
        })
    }

    /// The schedules to predict, points `every` steps apart, then the WSD
    /// search's (with the index of its first target, where searched).
    pub fn targets(&self, every: f64) -> Result<(Vec<Target>, Option<usize>)> {
        let mut targets = Vec::new();
        for spec in &self.predict {
            if let Some(path) = spec.strip_prefix("lr:") {
                targets.push(Target::from_file(
                    Path::new(path),
                    &self.step_col,
                    &self.lr_col,
                )?);
                continue;
            }
            let s = Schedule::parse(spec).map_err(|e| predicted(spec, e))?;
            let total = match (key(spec, "total"), self.steps) {
                (Some(t), _) | (None, Some(t)) => t,
                (None, None) => {
                    return Err(Error::setting(
                        Setting::StepBudget,
                        format!("needed by the schedule '{spec}', which has no total="),
                    ))
                }
            };
            targets.push(
                Target::from_schedule(spec, s, total, every, &[])
                    .map_err(|e| predicted(spec, e))?,
            );
        }
        let search_from = match &self.optimize_wsd {
            None => None,
            Some(spec) => {
                let Some(total) = self.steps else {
                    return Err(Error::setting(
                        Setting::StepBudget,
                        "needed by the WSD search (the last step of its schedules)",
                    ));
                };
                let get = |k: &str, d: Option<f64>| -> Result<f64> {
                    key(spec, k).or(d).ok_or_else(|| {
                        Error::setting(Setting::WsdSearch, format!("'{spec}': missing {k}="))
                    })
                };
                let shape = spec
                    .split(',')
                    .filter_map(|p| p.split_once('='))
                    .find(|(k, _)| k.trim() == "decay")
                    .map(|(_, v)| v.trim().to_string())
                    .unwrap_or_else(|| "linear".into());
                if let Some(f) = self
                    .decay_fractions
                    .iter()
                    .find(|f| !(**f > 0.0 && **f <= 1.0))
                {
                    return Err(Error::setting(
                        Setting::DecayFractions,
                        format!(
                            "each is the decay's share of the steps after warmup, in (0, 1]; \
                             got {f}"
                        ),
                    ));
                }
                let from = targets.len();
                for (name, s) in whatif::wsd_family(
                    get("peak", None)?,
                    get("final", Some(0.0))?,
                    get("warmup", Some(0.0))?,
                    total,
                    &shape,
                    &self.decay_fractions,
                )? {
                    targets.push(Target::from_schedule(&name, s, total, every, &[])?);
                }
                Some(from)
            }
        };
        Ok((targets, search_from))
    }

    /// Fit the law on every run of the tables (each with the name of a
    /// single curve read from it) and predict every schedule, with the
    /// shipped priors: the settings checked, the runs read, the targets
    /// built, [`whatif::what_if`]; the warnings of rows without a loss first.
    pub fn run(&self, tables: &[(&Table, &str)]) -> Result<WhatIf> {
        let method = self.check()?;
        let (runs, missing) = self.runs(tables)?;
        if !self.predicts() {
            return Err(Error::setting(
                Setting::PredictedSchedules,
                "nothing to predict: give a schedule, or the WSD search",
            ));
        }
        let every = self.spacing(&runs)?;
        let (targets, search_from) = self.targets(every)?;
        let mut w = whatif::what_if(
            &runs,
            &targets,
            &Options {
                method,
                bootstrap: self.bootstrap,
                seed: self.seed,
                level: self.level,
                search_from,
                priors: Priors::shipped(),
            },
        )?;
        w.warnings.splice(0..0, missing);
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_read_from_a_schedule_or_a_search_spec() {
        let s = "cosine:peak=3e-4,final=3e-5, total = 72000";
        assert_eq!(key(s, "total"), Some(72000.0));
        assert_eq!(key(s, "peak"), Some(3e-4));
        assert_eq!(key(s, "warmup"), None);
        assert_eq!(key("peak=1e-3,final=0", "final"), Some(0.0));
    }

    #[test]
    fn a_bad_predicted_schedule_is_named_by_its_spec() {
        let spec = Spec {
            predict: vec!["cosine:peak=3e-4".into()],
            ..Spec::default()
        };
        let e = spec.targets(10.0).unwrap_err();
        let Error::Setting { setting, message } = &e else {
            panic!("{e}")
        };
        assert_eq!(*setting, Setting::PredictedSchedules);
        assert!(message.contains("'cosine:peak=3e-4'"), "{message}");
        // A schedule without a total, and no step budget: the budget's
        // error, naming the schedule.
        let spec = Spec {
            predict: vec!["constant:peak=3e-4".into()],
            ..Spec::default()
        };
        let e = spec.targets(10.0).unwrap_err();
        assert!(
            matches!(&e, Error::Setting { setting: Setting::StepBudget, message }
                if message.contains("'constant:peak=3e-4'")),
            "{e}"
        );
    }

    #[test]
    fn the_wsd_search_needs_its_peak_and_fractions_in_range() {
        let mut spec = Spec {
            optimize_wsd: Some("final=0".into()),
            steps: Some(1000.0),
            ..Spec::default()
        };
        let e = spec.targets(10.0).unwrap_err();
        assert!(
            matches!(&e, Error::Setting { setting: Setting::WsdSearch, message }
                if message.contains("missing peak=")),
            "{e}"
        );
        spec.optimize_wsd = Some("peak=3e-4".into());
        spec.decay_fractions = vec![0.1, 1.5];
        let e = spec.targets(10.0).unwrap_err();
        assert!(
            matches!(&e, Error::Setting { setting: Setting::DecayFractions, message }
                if message.ends_with("got 1.5")),
            "{e}"
        );
        spec.decay_fractions = vec![0.1, 0.2];
        let (t, from) = spec.targets(10.0).unwrap();
        assert_eq!((t.len(), from), (2, Some(0)));
    }

    #[test]
    fn the_spacing_is_the_first_runs_median_step_unless_set() {
        let run = Curve {
            name: "a".into(),
            step: vec![10.0, 20.0, 30.0, 60.0],
            loss: vec![3.0; 4],
            lr: None,
            schedule: None,
            untrained: vec![],
            lead: vec![],
        };
        let spec = Spec::default();
        assert_eq!(spec.spacing(std::slice::from_ref(&run)).unwrap(), 10.0);
        let spec = Spec {
            every: Some(7.0),
            ..Spec::default()
        };
        assert_eq!(spec.spacing(&[run]).unwrap(), 7.0);
        assert!(Spec::default().spacing(&[]).is_err());
    }

    #[test]
    fn settings_out_of_range_are_refused_by_name() {
        for (spec, want) in [
            (
                Spec {
                    every: Some(0.0),
                    ..Spec::default()
                },
                Setting::Spacing,
            ),
            (
                Spec {
                    steps: Some(f64::NAN),
                    ..Spec::default()
                },
                Setting::StepBudget,
            ),
            (
                Spec {
                    level: 1.0,
                    ..Spec::default()
                },
                Setting::Level,
            ),
        ] {
            let e = spec.check().unwrap_err();
            assert!(
                matches!(&e, Error::Setting { setting, .. } if *setting == want),
                "{e}"
            );
        }
    }
}
