//! Reading a finished run's loss: a JSON file, a regex on stdout, or a
//! Hugging Face trainer_state.json. A failure is a reason string that goes
//! into the journal.

use crate::plan::LossSpec;
use std::path::Path;

/// The loss of a run whose output folder is `out` and whose stdout was
/// saved in `stdout_file`. `render` fills the placeholders of file names.
pub fn read_loss(
    spec: &LossSpec,
    stdout_file: &Path,
    render: &dyn Fn(&str) -> Result<String, String>,
) -> Result<f64, String> {
    let v = match spec {
        LossSpec::Json { file, key } => {
            let path = render(file)?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("missing output: cannot read {path}: {e}"))?;
            let json: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("unparsable loss: {path} is not JSON: {e}"))?;
            let key = key.as_deref().unwrap_or("loss");
            let mut cur = &json;
            for part in key.split('.') {
                cur = cur
                    .get(part)
                    .ok_or_else(|| format!("unparsable loss: {path} has no '{key}'"))?;
            }
            cur.as_f64().ok_or_else(|| {
                format!("unparsable loss: '{key}' in {path} is {cur}, not a number")
            })?
        }
        LossSpec::Regex { pattern } => {
            let re = regex_lite::Regex::new(pattern).map_err(|e| e.to_string())?;
            let text = std::fs::read_to_string(stdout_file)
                .map_err(|e| format!("missing output: {}: {e}", stdout_file.display()))?;
            let m = re
                .captures_iter(&text)
                .last()
                .and_then(|c| c.get(1))
                .ok_or_else(|| format!("unparsable loss: no match of '{pattern}' on stdout"))?;
            m.as_str().trim().parse::<f64>().map_err(|_| {
                format!(
                    "unparsable loss: '{}' (from '{pattern}') is not a number",
                    m.as_str()
                )
            })?
        }
        LossSpec::TrainerState { file, key } => {
            let path = render(file)?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("missing output: cannot read {path}: {e}"))?;
            let json: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("unparsable loss: {path} is not JSON: {e}"))?;
            let key = key.as_deref().unwrap_or("eval_loss");
            json.get("log_history")
                .and_then(|h| h.as_array())
                .and_then(|h| h.iter().rev().find_map(|e| e.get(key)?.as_f64()))
                .ok_or_else(|| {
                    format!("unparsable loss: no '{key}' in the log_history of {path}")
                })?
        }
    };
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("unparsable loss: {v} is not a positive number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_readers() {
        let dir = tempfile::TempDir::new().unwrap();
        let out = dir.path().join("stdout.txt");
        std::fs::write(&out, "step 1 eval_loss=3.2\nstep 2 eval_loss=2.9\n").unwrap();
        let json = dir.path().join("m.json");
        std::fs::write(&json, r#"{"eval": {"loss": 2.5}}"#).unwrap();
        let ts = dir.path().join("trainer_state.json");
        std::fs::write(
            &ts,
            r#"{"log_history": [{"loss": 3.0}, {"eval_loss": 2.7}, {"loss": 2.6}]}"#,
        )
        .unwrap();
        let id = |s: &str| Ok(s.to_string());
        let re = LossSpec::Regex {
            pattern: "eval_loss=([0-9.]+)".into(),
        };
        assert_eq!(read_loss(&re, &out, &id), Ok(2.9));
        let j = LossSpec::Json {
            file: json.display().to_string(),
            key: Some("eval.loss".into()),
        };
        assert_eq!(read_loss(&j, &out, &id), Ok(2.5));
        let t = LossSpec::TrainerState {
            file: ts.display().to_string(),
            key: None,
        };
        assert_eq!(read_loss(&t, &out, &id), Ok(2.7));
        let missing = LossSpec::Json {
            file: "/nonexistent.json".into(),
            key: None,
        };
        assert!(read_loss(&missing, &out, &id)
            .unwrap_err()
            .starts_with("missing output"));
        let nomatch = LossSpec::Regex {
            pattern: "loss: ([0-9.]+)".into(),
        };
        assert!(read_loss(&nomatch, &out, &id)
            .unwrap_err()
            .starts_with("unparsable loss"));
    }
}
