//! Hints the CLI appends to a library error: for "no such column", the flag
//! that chose the column (the library's strings never name flags) and a
//! column of the file that the name was probably meant to be.

use clap::parser::ValueSource;
use clap::{ArgMatches, Command};
use slaw::near_column::{missing_column, near_note, nearest, per_run_columns};

/// The hint for an error message `msg` of the command line parsed as
/// `matches` (of `cmd`): "(--step-col names this column, 'step' by
/// default; did you mean 'Step'?)", or None when `msg` is no
/// missing-column error.
///
/// `args` is the command line as typed: a flag with an alias (`fit`'s
/// --y, also spelt --loss-col) is named as the user spelt it, and a default
/// by both names.
pub fn column_hint(
    msg: &str,
    cmd: &Command,
    matches: &ArgMatches,
    args: &[String],
) -> Option<String> {
    let (column, columns) = missing_column(msg)?;
    let flag = flag_of(&column, cmd, matches, args);
    let near = nearest(&column, &columns);
    let mut parts = Vec::new();
    match &flag {
        Some((long, true)) => {
            parts.push(format!("--{long} names this column, '{column}' by default"))
        }
        Some((long, false)) => parts.push(format!("'{column}' was given with --{long}")),
        None => {}
    }
    if let Some(n) = near {
        parts.push(format!("did you mean '{n}'?"));
        if let Some(note) = near_note(&n) {
            parts.push(note.to_string());
        }
    } else if let Some(h) = per_run_hint(&column, &columns, flag.as_ref().map(|f| f.0.as_str())) {
        parts.push(h);
    }
    (!parts.is_empty()).then(|| format!(" ({})", parts.join("; ")))
}

/// The long flag whose value (or one of its comma-separated values) is
/// `column`, in the deepest subcommand given, and whether that value is
/// the flag's default (a name the user never typed). A flag with visible
/// aliases reads "y (or --loss-col)" for a default, and for a typed value
/// the spelling last typed in `args`.
fn flag_of(
    column: &str,
    cmd: &Command,
    matches: &ArgMatches,
    args: &[String],
) -> Option<(String, bool)> {
    let (mut cmd, mut m) = (cmd, matches);
    while let Some((name, sub)) = m.subcommand() {
        cmd = cmd.find_subcommand(name)?;
        m = sub;
    }
    for arg in cmd.get_arguments() {
        let Some(long) = arg.get_long() else {
            continue;
        };
        let id = arg.get_id().as_str();
        let Ok(Some(values)) = m.try_get_raw(id) else {
            continue;
        };
        let hit = values
            .filter_map(|v| v.to_str())
            .any(|v| v == column || v.split(',').any(|p| p.trim() == column));
        if hit {
            let default = m.value_source(id) == Some(ValueSource::DefaultValue);
            let aliases: Vec<&str> = arg.get_visible_aliases().unwrap_or_default();
            let name = if aliases.is_empty() {
                long.to_string()
            } else if default {
                let others: Vec<String> = aliases.iter().map(|a| format!("--{a}")).collect();
                format!("{long} (or {})", others.join(", "))
            } else {
                typed_spelling(long, &aliases, args)
            };
            return Some((name, default));
        }
    }
    None
}

/// Which of `long` and its `aliases` was typed in `args` (as `--NAME` or
/// `--NAME=VALUE`, before any `--`; clap refuses such a flag given twice);
/// `long` when none is found.
fn typed_spelling(long: &str, aliases: &[&str], args: &[String]) -> String {
    let names: Vec<&str> = std::iter::once(long)
        .chain(aliases.iter().copied())
        .collect();
    args.iter()
        .take_while(|a| a.as_str() != "--")
        .find_map(|a| {
            let flag = a.strip_prefix("--")?;
            let flag = flag.split_once('=').map_or(flag, |(f, _)| f);
            names.iter().find(|n| **n == flag)
        })
        .unwrap_or(&long)
        .to_string()
}

/// Several columns named "<run> - `name`" (a W&B wide export: a column per
/// run): the candidates, with the ways to use them (one of them, or the
/// file reshaped to one row per run and step and read with --run-col).
fn per_run_hint(name: &str, columns: &[String], flag: Option<&str>) -> Option<String> {
    let runs = per_run_columns(name, columns);
    (!runs.is_empty()).then(|| {
        format!(
            "{} columns end with ' - {name}', one per run (a W&B wide export): {}; name one{}, \
             or reshape the file to one row per run and step (a run column) and forecast every \
             run with --run-col",
            runs.len(),
            runs.join(", "),
            flag.map(|f| format!(" with --{f}")).unwrap_or_default()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_per_run_columns_are_listed() {
        let cols: Vec<String> = [
            "Step",
            "cos-a - train/loss",
            "cos-a - train/loss__MIN",
            "cos-b - train/loss",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(nearest("train/loss", &cols), None);
        let h = per_run_hint("train/loss", &cols, Some("loss-col")).unwrap();
        assert!(
            h.starts_with("2 columns end with ' - train/loss'")
                && h.contains(
                    "'cos-a - train/loss', 'cos-b - train/loss'; name one with --loss-col"
                )
                && h.contains("--run-col")
                && !h.contains("__MIN"),
            "{h}"
        );
        // one such column: no list (the near-name hint names it)
        assert!(per_run_hint("train/loss", &cols[..3], None).is_none());
    }

    #[test]
    fn an_aliased_flag_is_named_as_typed() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let aliases = ["loss-col"];
        let typed = |v: &[&str]| typed_spelling("y", &aliases, &args(v));
        assert_eq!(
            typed(&["slaw", "fit", "f.csv", "--loss-col", "L"]),
            "loss-col"
        );
        assert_eq!(typed(&["slaw", "fit", "f.csv", "--loss-col=L"]), "loss-col");
        assert_eq!(typed(&["slaw", "fit", "f.csv", "--y", "L"]), "y");
        // a positional argument after `--` that looks like the flag is not it
        assert_eq!(typed(&["slaw", "fit", "--y", "L", "--", "--loss-col"]), "y");
        // not found (e.g. an abbreviation clap does not take): the long name
        assert_eq!(typed(&["slaw", "fit", "f.csv"]), "y");
    }
}
