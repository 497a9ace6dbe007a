//! The column a user probably meant when a named column is missing: read
//! back from the "no such column" error, matched against the file's
//! columns. Front ends (the CLI, the Python package) add their own words for
//! the option that named the column; nothing here names an option.

/// The missing column's name and the file's columns, from a message
/// "..., column 'C': no such column (columns are: A, B)...", or None for any
/// other message.
pub fn missing_column(msg: &str) -> Option<(String, Vec<String>)> {
    const MARK: &str = "': no such column (columns are: ";
    let at = msg.find(MARK)?;
    let start = msg[..at].rfind("column '")? + "column '".len();
    let column = msg[start..at].to_string();
    let rest = &msg[at + MARK.len()..];
    let list = &rest[..rest.find(')').unwrap_or(rest.len())];
    let columns = list.split(", ").map(str::to_string).collect();
    Some((column, columns))
}

/// The column `name` was probably meant to be: one equal to it but for
/// case ('Step' for 'step'), else the one column that ends with it (a W&B
/// export's 'run-1 - train/loss' for 'train/loss' or 'loss'), else the one
/// within 2 edits of it (for a name of 4 or more characters: 'modle').
pub fn nearest(name: &str, columns: &[String]) -> Option<String> {
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

/// W&B's count of its log calls ('_step' in a history export): not the
/// optimizer's steps, so never taken for the step column.
pub const WANDB_LOG_CALLS: &str = "_step";

/// What to add after suggesting `near`: for W&B's '_step', that it counts
/// log calls, not the optimizer's steps.
pub fn near_note(near: &str) -> Option<&'static str> {
    (near == WANDB_LOG_CALLS).then_some(
        "W&B's '_step' counts its log calls, not the optimizer's steps: name the trainer's \
         step column if the export has one",
    )
}

/// Several columns named "<run> - `name`" (a W&B wide export: a column per
/// run), quoted; empty unless there are at least two.
pub fn per_run_columns(name: &str, columns: &[String]) -> Vec<String> {
    let end = format!(" - {}", name.to_lowercase());
    let runs: Vec<String> = columns
        .iter()
        .filter(|c| c.to_lowercase().ends_with(&end))
        .map(|c| format!("'{c}'"))
        .collect();
    if runs.len() >= 2 {
        runs
    } else {
        Vec::new()
    }
}

/// The option-free hint for a missing-column message: "did you mean 'X'?"
/// (with [`near_note`]'s words), or the per-run columns a W&B wide export
/// holds; None for any other message or when nothing is near.
pub fn hint(msg: &str) -> Option<String> {
    let (column, columns) = missing_column(msg)?;
    if let Some(n) = nearest(&column, &columns) {
        return Some(match near_note(&n) {
            Some(note) => format!("did you mean '{n}'? {note}"),
            None => format!("did you mean '{n}'?"),
        });
    }
    let runs = per_run_columns(&column, &columns);
    (!runs.is_empty()).then(|| {
        format!(
            "{} columns end with ' - {column}', one per run (a W&B wide export): {}; name one, \
             or reshape the table to one row per run and step (a run column)",
            runs.len(),
            runs.join(", ")
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
    fn the_option_free_hint() {
        let h = hint("h.csv, column 'step': no such column (columns are: _step, train/loss)");
        assert_eq!(
            h.as_deref(),
            Some(
                "did you mean '_step'? W&B's '_step' counts its log calls, not the optimizer's \
                 steps: name the trainer's step column if the export has one"
            )
        );
        let runs = hint(
            "w.csv, column 'train/loss': no such column (columns are: Step, a - train/loss, \
             b - train/loss)",
        )
        .unwrap();
        assert!(
            runs.starts_with("2 columns end with ' - train/loss'")
                && runs.contains("'a - train/loss', 'b - train/loss'; name one"),
            "{runs}"
        );
        assert!(hint("w.csv, column 'zz': no such column (columns are: a, b)").is_none());
        assert!(hint("another error").is_none());
    }

    #[test]
    fn per_run_columns_need_two() {
        let cols: Vec<String> = ["Step", "cos-a - train/loss", "cos-a - train/loss__MIN"]
            .map(String::from)
            .to_vec();
        assert!(per_run_columns("train/loss", &cols).is_empty());
    }
}
