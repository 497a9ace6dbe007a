//! What the command prints and how it exits: one JSON-or-text helper, one
//! mapping of errors to messages (library concepts to this command's flags)
//! and to exit statuses, one exit for fits that did not converge.

use slaw::error::Setting;
use std::process::ExitCode;

/// Exit status of bad input (data, options, names).
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit status of a fit that did not converge (or failed).
pub const EXIT_NOT_CONVERGED: u8 = 3;

/// Print `value` as pretty JSON when `json`, else run `text` (which prints
/// the same result for people).
pub fn emit<T: serde::Serialize + ?Sized>(
    json: bool,
    value: &T,
    text: impl FnOnce(),
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        text();
    }
    Ok(())
}

/// Success when every fit converged; else `what` (which fit did not
/// converge) on stderr and exit status 3.
pub fn converged_exit(converged: bool, what: &str) -> ExitCode {
    if converged {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: {what} (see the report); exit status {EXIT_NOT_CONVERGED}");
        ExitCode::from(EXIT_NOT_CONVERGED)
    }
}

/// The flag of this command that sets a library [`Setting`].
fn flag(s: Setting) -> Option<&'static str> {
    Some(match s {
        Setting::Inputs => "--x",
        Setting::Predict => "--predict",
        Setting::Holdout => "--holdout",
        Setting::Budget => "--budget",
        Setting::Target => "--target",
        Setting::Level => "--level",
        Setting::Factors => "--factor",
        Setting::Experiment => "--experiment-col",
        Setting::DecisionPoint => "--at",
        Setting::FormulaParams => "--params",
        Setting::LogParams => "--log-params",
        Setting::Bounds => "--bound",
        Setting::StartingGrid => "--init",
        Setting::Schedule => "--schedule",
        Setting::FitUntil => "--fit-until",
        Setting::ForecastAt => "--at",
        Setting::Derive => "--derive",
        Setting::ComputeBudgets => "--budget",
        Setting::LawParams => "--params",
        Setting::Space => "--space",
        Setting::Method => "--method",
        Setting::Laws => "--laws",
        Setting::Law => "--law",
        Setting::PlotPath => "--plot",
        Setting::ReportPath => "--report",
        Setting::Replicates => "--bootstrap",
        Setting::DataSize => "--data",
        Setting::Spacing => "--every",
        Setting::StepBudget => "--steps",
        Setting::CostFactors => "--epochs / --tokens-per-example",
        Setting::PredictedSchedules => "--predict",
        Setting::WsdSearch => "--optimize-wsd",
        Setting::DecayFractions => "--decay-fractions",
        _ => return None,
    })
}

/// A starting value outside its parameter's bounds, with the flag that
/// widens them (without the `--init` prefix); any other error as it reads.
pub fn start_outside_bounds(e: &slaw::Error) -> String {
    match e {
        slaw::Error::StartOutsideBounds {
            param,
            value,
            lower,
            upper,
        } => format!(
            "starting value {} of '{param}' is outside its bounds [{}, {}] \
             (widen them with --bound {param}=LOW:HIGH)",
            slaw::numbers::shortest(*value),
            slaw::numbers::shortest(*lower),
            slaw::numbers::shortest(*upper)
        ),
        e => e.to_string(),
    }
}

/// A library error in this command's words: settings by their flag.
fn library_message(e: &slaw::Error) -> Option<String> {
    match e {
        slaw::Error::Setting { setting, message } => {
            let f = flag(*setting)?;
            Some(format!("{f}: {message}"))
        }
        slaw::Error::StartOutsideBounds { .. } => {
            Some(format!("--init: {}", start_outside_bounds(e)))
        }
        slaw::Error::NotPositiveInLogSpace { location, value } => Some(format!(
            "{location}: value {value} must be > 0 to fit in log space (use --space linear)"
        )),
        slaw::Error::NeedsSchedule { .. } => Some(format!("{e} (--schedule)")),
        slaw::Error::Unknown { kind: "law", .. } => Some(format!("{e} (--law, or --formula)")),
        // The inner error in the CLI's words, where it was.
        slaw::Error::Located { location, source } => Some(format!(
            "{location}: {}",
            library_message(source).unwrap_or_else(|| source.to_string())
        )),
        _ => None,
    }
}

fn as_library<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a slaw::Error> {
    if let Some(l) = e.downcast_ref::<slaw::Error>() {
        return Some(l);
    }
    match e.downcast_ref::<slaw_run::Error>() {
        Some(slaw_run::Error::Library(l)) => Some(l),
        _ => None,
    }
}

/// The error and its causes, each once: a cause whose text already ends the
/// message (errors that print their source) is not repeated.
pub fn message(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for (i, cause) in e.chain().enumerate() {
        let c = as_library(cause)
            .and_then(library_message)
            .unwrap_or_else(|| cause.to_string());
        if i == 0 {
            msg = c;
        } else if !msg.ends_with(&cause.to_string()) {
            msg = format!("{msg}: {c}");
        }
        // A located error has said its inner one (and that one's causes).
        if matches!(as_library(cause), Some(slaw::Error::Located { .. })) {
            break;
        }
    }
    msg
}

/// The exit status of an error: 3 when a fit failed, 130 when `slaw run` was
/// interrupted, 2 otherwise (bad input, a file that cannot be read).
pub fn exit_code(e: &anyhow::Error) -> ExitCode {
    if e.chain().any(|c| {
        matches!(
            c.downcast_ref::<slaw_run::Error>(),
            Some(slaw_run::Error::Interrupted)
        )
    }) {
        return ExitCode::from(slaw_run::interrupt::EXIT_INTERRUPTED);
    }
    let fit_failed = e
        .chain()
        .any(|c| matches!(as_library(c), Some(slaw::Error::Fit(_))));
    ExitCode::from(if fit_failed {
        EXIT_NOT_CONVERGED
    } else {
        EXIT_BAD_INPUT
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    fn code(e: anyhow::Error) -> ExitCode {
        exit_code(&e)
    }

    #[test]
    fn fit_failures_exit_3_and_bad_input_2() {
        let fit = slaw::Error::Fit("no start converged".into());
        assert_eq!(code(fit.into()), ExitCode::from(EXIT_NOT_CONVERGED));
        // Through a context and through the runner's error alike.
        let wrapped: anyhow::Result<()> =
            Err(slaw::Error::Fit("x".into())).context("fitting data.csv");
        assert_eq!(
            code(wrapped.unwrap_err()),
            ExitCode::from(EXIT_NOT_CONVERGED)
        );
        let run = slaw_run::Error::Library(slaw::Error::Fit("x".into()));
        assert_eq!(code(run.into()), ExitCode::from(EXIT_NOT_CONVERGED));
        let bad = slaw::Error::setting(Setting::Budget, "expects 1/R");
        assert_eq!(code(bad.into()), ExitCode::from(EXIT_BAD_INPUT));
        let input = slaw::Error::input("f.csv", Some(3), Some("loss"), "not a number");
        assert_eq!(code(input.into()), ExitCode::from(EXIT_BAD_INPUT));
    }

    #[test]
    fn settings_are_named_by_their_flag() {
        let e: anyhow::Error = slaw::Error::setting(Setting::Budget, "expects 1/R").into();
        assert_eq!(message(&e), "--budget: expects 1/R");
        let e = anyhow::Error::from(slaw::Error::setting(Setting::Holdout, "'x': bad"))
            .context("fitting f.csv");
        assert_eq!(message(&e), "fitting f.csv: --holdout: 'x': bad");
        // Input errors keep file, row and column.
        let e: anyhow::Error =
            slaw::Error::input("f.csv", Some(3), Some("loss"), "not a number").into();
        assert_eq!(message(&e), "f.csv, row 3, column 'loss': not a number");
    }
}
