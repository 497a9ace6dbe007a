//! Errors of the library. Every input error names the file, row and column.
//!
//! The errors name concepts ("the budget", "the x columns"), never the flags
//! of a command line: a front end maps [`Setting`] to its own option names.
//! What went wrong decides the variant, so a caller can tell bad input
//! ([`Error::Input`], [`Error::Setting`], [`Error::Unknown`], [`Error::Data`])
//! from a fit that ran and failed ([`Error::Fit`]) and from the system
//! ([`Error::Io`], [`Error::Output`]).

use std::fmt;

/// Where in an input file a problem is. A row is the line number in the file
/// (a CSV header is line 1, so its first data row is row 2); in a JSON array,
/// which has no lines to count, the object's number in the array from 1,
/// shown as "record N" ([`Location::record`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file (or `<stdin>`).
    pub file: String,
    /// The line in the file, when the problem is on one.
    pub row: Option<usize>,
    /// The column's name, when the problem is in one.
    pub column: Option<String>,
    /// `row` counts the records of a JSON array from 1, not lines.
    pub record: bool,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(r) = self.row {
            let noun = if self.record { "record" } else { "row" };
            write!(f, ", {noun} {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column '{c}'")?;
        }
        Ok(())
    }
}

/// A setting of an analysis: what an [`Error::Setting`] is about. Its text
/// names the concept; a command line maps it to its flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Setting {
    /// The input (x) columns of a law.
    Inputs,
    /// The inputs at which to predict.
    Predict,
    /// The hold-out rule of a fit.
    Holdout,
    /// The fine-tuning budget (a fraction of the target size).
    Budget,
    /// The target (full) fine-tuning set size.
    Target,
    /// The level of an interval.
    Level,
    /// The factor columns of joint fine-tuning runs.
    Factors,
    /// The experiment column of joint fine-tuning runs.
    Experiment,
    /// A setting (factor value and data size) at which to decide.
    DecisionPoint,
    /// The parameter names of a formula law.
    FormulaParams,
    /// The parameters fitted in log space of a formula law.
    LogParams,
    /// A parameter's bounds.
    Bounds,
    /// A parameter's starting values.
    StartingGrid,
    /// The learning-rate schedule.
    Schedule,
    /// The end of the fitted part of a loss curve.
    FitUntil,
    /// The steps at which to forecast.
    ForecastAt,
    /// A derived column (`NAME=EXPR`).
    Derive,
    /// The compute budgets of an allocation.
    ComputeBudgets,
    /// The parameters of a law given directly (not fitted).
    LawParams,
    /// The space (log or linear) the loss is fitted in.
    Space,
    /// The method (law) asked for.
    Method,
    /// The laws to compare.
    Laws,
    /// The law to fit.
    Law,
    /// The path of a figure.
    PlotPath,
    /// The path of an HTML report.
    ReportPath,
    /// The number of bootstrap replicates.
    Replicates,
    /// The fine-tuning data size of a decision setting.
    DataSize,
    /// The spacing of predicted points along the steps.
    Spacing,
    /// The step budget (the last step) of a predicted schedule.
    StepBudget,
    /// The cost factors of a selection (epochs, tokens per example).
    CostFactors,
    /// The schedules to predict from runs of other schedules (what-if).
    PredictedSchedules,
    /// The WSD decay-length search (its peak, final rate, warmup, shape).
    WsdSearch,
    /// The decay lengths the WSD search tries (fractions of the steps
    /// after warmup).
    DecayFractions,
}

impl Setting {
    /// The concept in words, as error messages name it.
    pub fn describe(self) -> &'static str {
        match self {
            Setting::Inputs => "the x columns",
            Setting::Predict => "the prediction inputs",
            Setting::Holdout => "the hold-out rule",
            Setting::Budget => "the budget",
            Setting::Target => "the target size",
            Setting::Level => "the interval level",
            Setting::Factors => "the factor columns",
            Setting::Experiment => "the experiment column",
            Setting::DecisionPoint => "the decision setting",
            Setting::FormulaParams => "the formula's parameters",
            Setting::LogParams => "the log parameters",
            Setting::Bounds => "the bounds",
            Setting::StartingGrid => "the starting values",
            Setting::Schedule => "the schedule",
            Setting::FitUntil => "the end of the fit",
            Setting::ForecastAt => "the forecast steps",
            Setting::Derive => "the derived column",
            Setting::ComputeBudgets => "the compute budgets",
            Setting::LawParams => "the law's parameters",
            Setting::Space => "the fitting space",
            Setting::Method => "the method",
            Setting::Laws => "the laws",
            Setting::Law => "the law",
            Setting::PlotPath => "the plot file",
            Setting::ReportPath => "the report file",
            Setting::Replicates => "the bootstrap replicates",
            Setting::DataSize => "the data size",
            Setting::Spacing => "the spacing of the predicted points",
            Setting::StepBudget => "the step budget",
            Setting::CostFactors => "the cost factors (epochs, tokens per example)",
            Setting::PredictedSchedules => "the schedules to predict",
            Setting::WsdSearch => "the WSD search",
            Setting::DecayFractions => "the WSD decay fractions",
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// An error of the library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad input data: the location says where.
    #[error("{location}: {message}")]
    Input {
        /// File, row and column.
        location: Location,
        /// What is wrong there.
        message: String,
    },
    /// A formula that does not parse, with the byte offset of the bad token.
    #[error("formula error at position {position} in '{formula}': {message}")]
    Formula {
        /// The formula's text.
        formula: String,
        /// The byte offset of the bad token.
        position: usize,
        /// What is wrong there.
        message: String,
    },
    /// A setting with a value that is not allowed.
    #[error("{setting}: {message}")]
    Setting {
        /// Which setting.
        setting: Setting,
        /// What is wrong with its value.
        message: String,
    },
    /// A starting value given for a parameter outside its bounds (the
    /// search would clamp it silently, starting elsewhere than asked).
    #[error(
        "{}: starting value {} of '{param}' is outside its bounds [{}, {}]",
        Setting::StartingGrid,
        crate::numbers::shortest(*value),
        crate::numbers::shortest(*lower),
        crate::numbers::shortest(*upper)
    )]
    StartOutsideBounds {
        /// The parameter.
        param: String,
        /// The first starting value outside the bounds.
        value: f64,
        /// The parameter's lower bound.
        lower: f64,
        /// The parameter's upper bound.
        upper: f64,
    },
    /// A name that is none of the known ones (a law, a method).
    #[error("unknown {kind} '{name}' (known: {known})")]
    Unknown {
        /// What was named ("law", "forecast method", ...).
        kind: &'static str,
        /// The name given.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// The data do not allow the analysis asked for (too few points, runs or
    /// datasets; a quantity the method needs is missing).
    #[error("{0}")]
    Data(String),
    /// A loss curve without learning rates for a law that reads the schedule.
    #[error("{}", needs_schedule(curve, law, *known_until))]
    NeedsSchedule {
        /// The curve's name.
        curve: String,
        /// The law that reads the schedule.
        law: String,
        /// The last step with a learning rate, when the file has some.
        known_until: Option<f64>,
    },
    /// A loss that is not positive, fitted in log space.
    #[error("{location}: value {value} must be > 0 to fit in log space (or fit in linear space)")]
    NotPositiveInLogSpace {
        /// File, row and column.
        location: Location,
        /// The value.
        value: f64,
    },
    /// The fit ran but could not give an answer (no start converged, ...).
    #[error("fit failed: {0}")]
    Fit(String),
    /// A file that could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// An output (a CSV, a figure) that could not be written.
    #[error("{path}: {source}")]
    Output {
        /// The file.
        path: String,
        /// The writer's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An error about one part of an input (a candidate of a pool: its
    /// row), which the error itself does not locate: "pool.csv, row 17:
    /// candidate 'beta': ...". Its kind is the inner error's
    /// ([`Error::innermost`]).
    #[error("{location}: {source}")]
    Located {
        /// The file and row (and column) the inner error is about.
        location: Location,
        /// The error.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// The error itself, inside any [`Error::Located`]: what went wrong
    /// decides the kind (bad input, a failed fit), not where.
    pub fn innermost(&self) -> &Error {
        match self {
            Error::Located { source, .. } => source.innermost(),
            e => e,
        }
    }

    /// Bad input at a file, row and column.
    pub fn input(
        file: &str,
        row: Option<usize>,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Error::Input {
            location: Location {
                file: file.to_string(),
                row,
                column: column.map(str::to_string),
                record: false,
            },
            message: message.into(),
        }
    }
    /// A setting with a bad value.
    pub fn setting(setting: Setting, message: impl Into<String>) -> Self {
        Error::Setting {
            setting,
            message: message.into(),
        }
    }
    /// Data that do not allow the analysis.
    pub fn data(message: impl Into<String>) -> Self {
        Error::Data(message.into())
    }
    /// An unknown name among `known`.
    pub fn unknown(kind: &'static str, name: &str, known: impl Into<String>) -> Self {
        Error::Unknown {
            kind,
            name: name.to_string(),
            known: known.into(),
        }
    }
    /// An output file that could not be written.
    pub fn output(
        path: impl fmt::Display,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Output {
            path: path.to_string(),
            source: source.into(),
        }
    }
    /// The error with the rows it names in `file` counted as the records of
    /// a JSON array (shown "record N"): the readers of a table build their
    /// errors from its row numbers, and the table knows what they count
    /// ([`crate::table::Table::name_rows`]).
    pub fn in_records_of(self, file: &str) -> Self {
        let mark = |mut l: Location| {
            if l.file == file && l.row.is_some() {
                l.record = true;
            }
            l
        };
        match self {
            Error::Input { location, message } => Error::Input {
                location: mark(location),
                message,
            },
            Error::NotPositiveInLogSpace { location, value } => Error::NotPositiveInLogSpace {
                location: mark(location),
                value,
            },
            Error::Located { location, source } => Error::Located {
                location: mark(location),
                source: Box::new(source.in_records_of(file)),
            },
            e => e,
        }
    }

    /// True when the error is about the input (data, settings, names): the
    /// caller can fix it; false for a fit that failed and for the system.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::Input { .. }
                | Error::Formula { .. }
                | Error::Setting { .. }
                | Error::StartOutsideBounds { .. }
                | Error::Unknown { .. }
                | Error::Data(_)
                | Error::NeedsSchedule { .. }
                | Error::NotPositiveInLogSpace { .. }
        )
    }
}

fn needs_schedule(curve: &str, law: &str, known_until: Option<f64>) -> String {
    match known_until {
        None => {
            format!("curve '{curve}' has no learning-rate column: the {law} law needs the schedule")
        }
        Some(s) => format!(
            "curve '{curve}': the {law} law needs the learning rate, which the file gives only \
             up to step {s}; give the schedule to forecast further"
        ),
    }
}

/// The library's result.
pub type Result<T> = std::result::Result<T, Error>;
