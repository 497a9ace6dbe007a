//! Hints the CLI appends to a library error: for "no such column", the flag
//! that chose the column (the library's strings never name flags) and a
//! column of the file that the name was probably meant to be.

use clap::parser::ValueSource;
use clap::{ArgMatches, Command};

/// The hint for an error message `msg` of the command line parsed as
/// `matches` (of `cmd`): "(--step-col names this column, 'step' by
/// default; did you mean 'Step'?)", or None when `msg` is no
/// missing-column error.
pub fn column_hint(msg: &str, cmd: &Command, matches: &ArgMatches) -> Option<String> {
    let (column, columns) = missing_column(msg)?;
    let flag = flag_of(&column, cmd, matches);
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
        if n == "_step" {
            parts.push(
                "W&B's '_step' counts its log calls, not the optimizer's steps: name the \
                 trainer's step column if the export has one"
                    .to_string(),
            );
        }
    } else if let Some(h) = per_run_hint(&column, &columns, flag.as_ref().map(|f| f.0.as_str())) {
        parts.push(h);
    }
    (!parts.is_empty()).then(|| format!(" ({})", parts.join("; ")))
}

/// The missing column's name and the file's columns, from a message
/// "..., column 'C': no such column (columns are: A, B)...".
fn missing_column(msg: &str) -> Option<(String, Vec<String>)> {
    const MARK: &str = "': no such column (columns are: ";
    let at = msg.find(MARK)?;
    let start = msg[..at].rfind("column '")? + "column '".len();
    let column = msg[start..at].to_string();
    let rest = &msg[at + MARK.len()..];
    let list = &rest[..rest.find(')').unwrap_or(rest.len())];
    let columns = list.split(", ").map(str::to_string).collect();
    Some((column, columns))
}

/// The long flag whose value (or one of its comma-separated values) is
/// `column`, in the deepest subcommand given, and whether that value is
/// the flag's default (a name the user never typed).
fn flag_of(column: &str, cmd: &Command, matches: &ArgMatches) -> Option<(String, bool)> {
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
            return Some((long.to_string(), default));
        }
    }
    None
}

/// The column `name` was probably meant to be: one equal to it but for
/// case ('Step' for 'step'), else the one column that ends with it (a W&B
/// export's 'run-1 - train/loss' for 'train/loss' or 'loss'), else the one
/// within 2 edits of it (for a name of 4 or more characters: 'modle').
fn nearest(name: &str, columns: &[String]) -> Option<String> {
    let low = name.to_lowercase();
    if let Some(c) = columns.iter().find(|c| c.to_lowercase() == low) {
        return Some(c.clone());
    }
    // A step: the trainer's own count ('train/global_step' of an HF run
    // logged to W&B) before W&B's '_step', which counts log calls.
    if low == "step" {
        let global: Vec<&String> = columns
            .iter()
            .filter(|c| c.to_lowercase().ends_with("global_step"))
            .collect();
        if let [one] = global.as_slice() {
            return Some((*one).clone());
        }
    }
    let ending: Vec<&String> = columns
        .iter()
        .filter(|c| c.to_lowercase().ends_with(&low))
        .collect();
    if let [one] = ending.as_slice() {
        return Some((*one).clone());
    }
    if name.chars().count() < 4 {
        return None;
    }
    let close: Vec<&String> = columns
        .iter()
        .filter(|c| edits(&c.to_lowercase(), &low) <= 2)
        .collect();
    match close.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

/// Several columns named "<run> - `name`" (a W&B wide export: a column per
/// run): the candidates, with the ways to use them (one of them, or the
/// file reshaped to one row per run and step and read with --run-col).
fn per_run_hint(name: &str, columns: &[String], flag: Option<&str>) -> Option<String> {
    let end = format!(" - {}", name.to_lowercase());
    let runs: Vec<String> = columns
        .iter()
        .filter(|c| c.to_lowercase().ends_with(&end))
        .map(|c| format!("'{c}'"))
        .collect();
    (runs.len() >= 2).then(|| {
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

/// Levenshtein distance between `a` and `b` (in characters).
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_and_its_near_names() {
        let (c, cols) = missing_column(
            "w.csv, column 'step': no such column (columns are: Step, run-1 - train/loss, \
             run-1 - train/loss__MIN)",
        )
        .unwrap();
        assert_eq!(c, "step");
        assert_eq!(cols.len(), 3);
        assert_eq!(nearest("step", &cols).as_deref(), Some("Step"));
        assert_eq!(
            nearest("train/loss", &cols).as_deref(),
            Some("run-1 - train/loss")
        );
        assert_eq!(nearest("x", &cols), None);
        // A W&B history export of an HF run: the trainer's step, not W&B's
        // count of log calls.
        let wandb: Vec<String> = ["_step", "_runtime", "train/loss", "train/global_step"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            nearest("step", &wandb).as_deref(),
            Some("train/global_step")
        );
        assert_eq!(nearest("step", &wandb[..3]).as_deref(), Some("_step"));
        let m = ["Model".to_string(), "N".into(), "loss".into()];
        assert_eq!(nearest("modle", &m).as_deref(), Some("Model"));
        assert_eq!(nearest("n", &m).as_deref(), Some("N"));
        assert_eq!(edits("kitten", "sitting"), 3);
        assert!(missing_column("some other error").is_none());
    }

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
}
