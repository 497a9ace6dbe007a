//! Reading a finished run's loss: a JSON file, a regex on stdout, or a
//! Hugging Face trainer_state.json. A failure is a reason string that goes
//! into the journal.

use crate::plan::LossSpec;
use std::path::Path;

/// Lines of stdout longer than this are read in pieces of this size (a
/// loss line is short; a log may hold megabytes without a newline).
const MAX_LINE: usize = 1 << 20;

/// The path of a loss file: placeholders filled, relative to the run's
/// folder `out` (its working directory).
fn loss_file(
    file: &str,
    out: &Path,
    render: &dyn Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    let p = std::path::PathBuf::from(render(file)?);
    Ok(if p.is_absolute() { p } else { out.join(p) }
        .display()
        .to_string())
}

/// The file `spec` reads the loss from (stdout for the regex reader).
pub fn source(
    spec: &LossSpec,
    out: &Path,
    stdout_file: &Path,
    render: &dyn Fn(&str) -> Result<String, String>,
) -> Result<std::path::PathBuf, String> {
    match spec {
        LossSpec::Json { file, .. } | LossSpec::TrainerState { file, .. } => {
            loss_file(file, out, render).map(Into::into)
        }
        LossSpec::Regex { .. } => Ok(stdout_file.to_path_buf()),
    }
}

/// `pattern` with its first capture group replaced by one that takes any
/// word after the same prefix (`([^\s,;]+)`), so that a value the user's
/// group cannot match (`nan`, `inf`: a diverged run) is still seen; `None`
/// when the pattern has no capture group (the reader then fails anyway).
fn loose_pattern(pattern: &str) -> Option<String> {
    let b = pattern.as_bytes();
    let (mut i, mut class) = (0, false);
    let mut start = None;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' if !class => class = true,
            b']' if class => class = false,
            b'(' if !class && b.get(i + 1) != Some(&b'?') => {
                start = Some(i);
                break;
            }
            _ => {}
        }
        i += 1;
    }
    let start = start?;
    // Its closing parenthesis, nested groups and classes skipped.
    let (mut depth, mut class) = (0usize, false);
    let mut j = start;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 1,
            b'[' if !class => class = true,
            b']' if class => class = false,
            b'(' if !class => depth += 1,
            b')' if !class => {
                depth -= 1;
                if depth == 0 {
                    // A quantifier on the group applies to the loose one too.
                    return Some(format!(
                        "{}([^\\s,;]+){}",
                        &pattern[..start],
                        &pattern[j + 1..]
                    ));
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

/// The last match of `re` in the file, line by line, streamed (the log is
/// never held whole in memory); bytes that are not UTF-8 are replaced.
/// With `loose` (the same pattern taking any word as its value), a later
/// value that `re` cannot match but that reads as a non-finite number
/// (`nan`, `inf`: the run diverged after its earlier evaluations) is an
/// error rather than a silent fall back to the earlier finite match.
fn last_match(
    re: &regex_lite::Regex,
    loose: Option<&regex_lite::Regex>,
    file: &Path,
) -> std::io::Result<Result<Option<String>, String>> {
    use std::io::BufRead;
    let mut r = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(file)?);
    let mut line = Vec::new();
    let mut last = None;
    let mut non_finite: Option<String> = None;
    loop {
        line.clear();
        // Read up to a newline or MAX_LINE bytes.
        loop {
            let buf = r.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let room = MAX_LINE - line.len();
            let take = buf.len().min(room);
            match buf[..take].iter().position(|&b| b == b'\n') {
                Some(i) => {
                    line.extend_from_slice(&buf[..i]);
                    r.consume(i + 1);
                    break;
                }
                None => {
                    line.extend_from_slice(&buf[..take]);
                    r.consume(take);
                    if line.len() >= MAX_LINE {
                        break;
                    }
                }
            }
        }
        if line.is_empty() && r.fill_buf()?.is_empty() {
            return Ok(match non_finite {
                Some(v) => Err(v),
                None => Ok(last),
            });
        }
        let text = String::from_utf8_lossy(&line);
        // The last value on this line by either pattern: the strict one
        // wins where both read the same place.
        let strict = re
            .captures_iter(&text)
            .last()
            .and_then(|c| c.get(1))
            .map(|m| (m.start(), m.as_str().to_string()));
        let wide = loose.and_then(|l| {
            l.captures_iter(&text)
                .last()
                .and_then(|c| c.get(1))
                .map(|m| (m.start(), m.as_str().to_string()))
        });
        match (strict, wide) {
            (Some((si, _)), Some((wi, w))) if wi > si && is_non_finite(&w) => non_finite = Some(w),
            (Some((_, s)), _) => {
                last = Some(s);
                non_finite = None;
            }
            (None, Some((_, w))) if is_non_finite(&w) => non_finite = Some(w),
            _ => {}
        }
    }
}

/// A word that reads as a NaN or an infinity (`nan`, `inf`, `-Infinity`).
fn is_non_finite(word: &str) -> bool {
    word.trim()
        .parse::<f64>()
        .map(|v| !v.is_finite())
        .unwrap_or(false)
}

/// The loss of a run whose output folder (and working directory) is `out`
/// and whose stdout was saved in `stdout_file`. `render` fills the
/// placeholders of file names; relative file names are read from `out`.
pub fn read_loss(
    spec: &LossSpec,
    out: &Path,
    stdout_file: &Path,
    render: &dyn Fn(&str) -> Result<String, String>,
) -> Result<f64, String> {
    let v = match spec {
        LossSpec::Json { file, key } => {
            let path = loss_file(file, out, render)?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("missing output: cannot read {path}: {e}"))?;
            let json: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| not_json(&path, &text, e))?;
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
            let loose = loose_pattern(pattern).and_then(|p| regex_lite::Regex::new(&p).ok());
            let m = last_match(&re, loose.as_ref(), stdout_file)
                .map_err(|e| format!("missing output: {}: {e}", stdout_file.display()))?
                .map_err(|v| {
                    format!(
                        "unparsable loss: the last value of '{pattern}' on stdout is '{}', not a finite number (the run diverged; earlier values are not used)",
                        v.escape_debug()
                    )
                })?
                .ok_or_else(|| format!("unparsable loss: no match of '{pattern}' on stdout"))?;
            m.trim().parse::<f64>().map_err(|_| {
                // The trainer's bytes, escaped: never raw control bytes in a
                // terminal or the journal.
                format!(
                    "unparsable loss: '{}' (from '{pattern}') is not a number",
                    m.escape_debug()
                )
            })?
        }
        LossSpec::TrainerState { file, key } => {
            let path = loss_file(file, out, render)?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("missing output: cannot read {path}: {e}"))?;
            let json: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| not_json(&path, &text, e))?;
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
    } else if !v.is_finite() {
        Err(format!("unparsable loss: {v} is not a finite number"))
    } else {
        Err(format!("unparsable loss: {v} is not a positive number"))
    }
}

/// Why `text` (read from `path`) is not JSON; a NaN or an infinity (which
/// Python's json.dump writes, and JSON has not) is named as such.
fn not_json(path: &str, text: &str, e: serde_json::Error) -> String {
    let bare = ["NaN", "Infinity", "-Infinity"].into_iter().find(|w| {
        text.match_indices(w).any(|(i, _)| {
            let before = text[..i].trim_end();
            before.ends_with([':', ',', '['])
        })
    });
    match bare {
        Some(w) => format!(
            "unparsable loss: {path} holds {w}, which is not a number in JSON (the trainer's loss was not finite): {e}"
        ),
        None => format!("unparsable loss: {path} is not JSON: {e}"),
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
        assert_eq!(read_loss(&re, dir.path(), &out, &id), Ok(2.9));
        let j = LossSpec::Json {
            file: json.display().to_string(),
            key: Some("eval.loss".into()),
        };
        assert_eq!(read_loss(&j, dir.path(), &out, &id), Ok(2.5));
        let t = LossSpec::TrainerState {
            file: ts.display().to_string(),
            key: None,
        };
        assert_eq!(read_loss(&t, dir.path(), &out, &id), Ok(2.7));
        let missing = LossSpec::Json {
            file: "/nonexistent.json".into(),
            key: None,
        };
        assert!(read_loss(&missing, dir.path(), &out, &id)
            .unwrap_err()
            .starts_with("missing output"));
        let nomatch = LossSpec::Regex {
            pattern: "loss: ([0-9.]+)".into(),
        };
        assert!(read_loss(&nomatch, dir.path(), &out, &id)
            .unwrap_err()
            .starts_with("unparsable loss"));
    }

    #[test]
    fn non_finite_and_garbage_losses_say_what_they_are() {
        let dir = tempfile::TempDir::new().unwrap();
        let id = |s: &str| Ok(s.to_string());
        let out = dir.path().join("stdout.txt");
        let json = dir.path().join("m.json");
        let j = LossSpec::Json {
            file: json.display().to_string(),
            key: None,
        };
        // Python's json.dump of a NaN or an infinite loss.
        for (text, want) in [
            (r#"{"loss": NaN}"#, "holds NaN"),
            (r#"{"loss": Infinity}"#, "holds Infinity"),
            (r#"{"loss": -Infinity}"#, "holds -Infinity"),
        ] {
            std::fs::write(&json, text).unwrap();
            let e = read_loss(&j, dir.path(), &out, &id).unwrap_err();
            assert!(e.contains(want) && e.contains("not finite"), "{e}");
        }
        let re = LossSpec::Regex {
            pattern: "loss=(\\S+)".into(),
        };
        std::fs::write(&out, "loss=inf\n").unwrap();
        let e = read_loss(&re, dir.path(), &out, &id).unwrap_err();
        assert_eq!(e, "unparsable loss: inf is not a finite number");
        std::fs::write(&out, b"loss=\x00\x1b[2J\xc3\n").unwrap();
        let e = read_loss(&re, dir.path(), &out, &id).unwrap_err();
        assert!(!e.chars().any(|c| c.is_control()), "{e:?}");
        assert!(e.contains("\\0\\u{1b}[2J"), "{e}");
    }

    #[test]
    fn a_diverged_run_is_not_read_from_its_earlier_evaluations() {
        let dir = tempfile::TempDir::new().unwrap();
        let id = |s: &str| Ok(s.to_string());
        let out = dir.path().join("stdout.txt");
        // README's pattern cannot match `nan`: the last finite value used to
        // be read silently.
        let re = LossSpec::Regex {
            pattern: "eval_loss=([0-9.eE+-]+)".into(),
        };
        for text in [
            "eval_loss=3.25\neval_loss=2.90\neval_loss=nan\n",
            "eval_loss=3.25\neval_loss=2.90 eval_loss=inf\n",
            "eval_loss=2.90\nstep 9 eval_loss=NaN, lr=1e-5\ndone\n",
        ] {
            std::fs::write(&out, text).unwrap();
            let e = read_loss(&re, dir.path(), &out, &id).unwrap_err();
            assert!(
                e.starts_with("unparsable loss") && e.contains("not a finite number"),
                "{text:?}: {e}"
            );
        }
        // A finite value after the NaN is the run's loss; other words after
        // the key are not taken for a divergence.
        for (text, want) in [
            ("eval_loss=nan\neval_loss=2.5\n", 2.5),
            ("eval_loss=2.5\neval_loss=pending\n", 2.5),
            ("eval_loss=2.5 eval_loss=2.4\n", 2.4),
        ] {
            std::fs::write(&out, text).unwrap();
            assert_eq!(read_loss(&re, dir.path(), &out, &id), Ok(want), "{text:?}");
        }
    }

    #[test]
    fn the_loose_pattern_replaces_the_first_capture_group_only() {
        assert_eq!(
            loose_pattern("eval_loss=([0-9.eE+-]+)").as_deref(),
            Some("eval_loss=([^\\s,;]+)")
        );
        assert_eq!(
            loose_pattern(r"(?:val|eval)_loss[=(]\s*(\d+(\.\d+)?) end").as_deref(),
            Some(r"(?:val|eval)_loss[=(]\s*([^\s,;]+) end")
        );
        assert_eq!(
            loose_pattern(r"loss \(([0-9.]+)\)").as_deref(),
            Some(r"loss \(([^\s,;]+)\)")
        );
        assert_eq!(loose_pattern("no group"), None);
    }

    #[test]
    fn stdout_is_streamed_line_by_line_and_may_hold_any_bytes() {
        let dir = tempfile::TempDir::new().unwrap();
        let out = dir.path().join("stdout.log");
        // Not UTF-8 (a progress bar's stray bytes), a 3 MB line without a
        // newline, then the loss on the last line without a newline.
        let mut bytes = b"step 1 eval_loss=3.2\n\xff\xfe garbage \xc3\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'#', 3 << 20));
        bytes.extend_from_slice(b"\nstep 2 eval_loss=2.9 \x80\nstep 3 eval_loss=2.8");
        std::fs::write(&out, &bytes).unwrap();
        let re = LossSpec::Regex {
            pattern: "eval_loss=([0-9.]+)".into(),
        };
        let id = |s: &str| Ok(s.to_string());
        assert_eq!(read_loss(&re, dir.path(), &out, &id), Ok(2.8));
        std::fs::write(&out, b"eval_loss=2.5\n\xff\xff\n").unwrap();
        assert_eq!(read_loss(&re, dir.path(), &out, &id), Ok(2.5));
    }

    #[test]
    fn a_relative_loss_file_is_read_from_the_run_folder() {
        let run = tempfile::TempDir::new().unwrap();
        std::fs::write(run.path().join("metrics.json"), r#"{"loss": 1.75}"#).unwrap();
        let j = LossSpec::Json {
            file: "metrics.json".into(),
            key: None,
        };
        let id = |s: &str| Ok(s.to_string());
        let stdout = run.path().join("stdout.log");
        assert_eq!(read_loss(&j, run.path(), &stdout, &id), Ok(1.75));
    }
}
