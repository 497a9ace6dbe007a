//! The plan file (TOML): candidates, sizes, the selection method and its
//! references (the same candidates on other tasks), the command template, how to read the loss, seeds, timeout, retries, slots
//! and the backend. `Plan::load` checks everything before anything runs.

use crate::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One `[[candidate]]` of the plan: a model to choose among.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateSpec {
    /// Unique id; names the candidate's run folders and journal keys, so it
    /// is a safe file name (checked by [`Plan::parse`]).
    pub id: String,
    /// The value of `{model}` (default: the id).
    pub model: Option<String>,
    /// Parameter count (for costs and the model-size method).
    pub params: Option<f64>,
    /// Model family (e.g. "gpt2"), passed on to the selection methods.
    pub family: Option<String>,
}

/// How to read a finished attempt's loss (the plan's `loss`).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LossSpec {
    /// A JSON file the command writes; `key` is a dotted path (default "loss").
    Json {
        /// The file, a template (`{out}` etc.); relative paths are read from
        /// the attempt's folder.
        file: String,
        /// The dotted path of the loss in the JSON (default "loss").
        key: Option<String>,
    },
    /// The last match of a regular expression on the command's stdout;
    /// capture group 1 is the loss.
    Regex {
        /// The regular expression; has at least one capture group.
        pattern: String,
    },
    /// A Hugging Face trainer_state.json: the last `key` (default "eval_loss")
    /// in its log_history.
    TrainerState {
        /// The file, a template (`{out}` etc.); relative paths are read from
        /// the attempt's folder.
        file: String,
        /// The log_history key to read (default "eval_loss").
        key: Option<String>,
    },
}

/// Where runs execute (the plan's `backend`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Local processes ([`crate::backend::local::Local`]), the default.
    #[default]
    Local,
    /// Slurm batch jobs ([`crate::backend::slurm::Slurm`]).
    Slurm,
}

/// The longest `[slurm] poll_seconds` a plan may set (a day).
pub const MAX_POLL_SECONDS: f64 = 86_400.0;

/// The plan's `[slurm]` table, used with `backend = "slurm"`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SlurmSpec {
    /// Extra sbatch arguments, e.g. ["--gres=gpu:1", "--partition=debug"].
    #[serde(default)]
    pub sbatch_args: Vec<String>,
    /// How often to ask Slurm (scontrol show job) for the jobs' states, seconds (default 2).
    pub poll_seconds: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    name: Option<String>,
    /// The full fine-tuning data size (the default target).
    full_size: f64,
    /// The size the decision is about (default: full_size).
    target: Option<f64>,
    /// Largest subset allowed: "1/64" or a fraction such as 0.015625 (of
    /// the target, as `slaw select --budget`), or an integer number of
    /// examples (as `slaw select --max-n`).
    budget: toml::Value,
    /// Smallest subset on the ladder (default: budget / 2^7).
    min_size: Option<f64>,
    /// Default: ats-gap, or ats-ref with `reference` (as `slaw select`).
    method: Option<String>,
    /// Tables of the same candidates' losses on other tasks (the format of
    /// `slaw select`'s input), rows matched by the candidate's `model` or id.
    #[serde(default)]
    reference: Vec<String>,
    /// AtS: points in the first line and the rejection threshold.
    #[serde(default = "default_k")]
    ats_k: usize,
    #[serde(default = "default_delta")]
    ats_delta: f64,
    #[serde(default = "yes")]
    adaptive: bool,
    /// Successive halving: stop running candidates whose prediction interval
    /// lies entirely above the leader's.
    /// Default: with `ascending`.
    drop_worse: Option<bool>,
    /// Cheap sizes first: every candidate runs the smallest sizes, then
    /// doubles only while its interval still overlaps the best candidate's
    /// (needs drop_worse). Default: adaptive plans of every method but
    /// `ats` (halving from the top is free only for AtS, which never uses
    /// the points below the phase transition).
    ascending: Option<bool>,
    /// Also run every candidate at n = 0 (an evaluation without training)
    /// for its zero-shot loss.
    #[serde(default)]
    zero_shot: bool,
    /// Run a candidate's larger sizes even after every seed of a smaller
    /// size failed with no retries left (default false: they are at risk).
    #[serde(default)]
    run_past_failures: bool,
    /// Bootstrap replicates for the prediction intervals.
    #[serde(default = "default_bootstrap")]
    bootstrap: usize,
    /// Level of the calibrated predictive intervals (line methods).
    #[serde(default = "default_level")]
    level: f64,
    command: String,
    loss: LossSpec,
    /// Seeds, or `repetitions` (seeds 0..repetitions).
    seeds: Option<Vec<u64>>,
    repetitions: Option<u64>,
    /// Per-run timeout in seconds (none by default).
    timeout: Option<f64>,
    #[serde(default)]
    retries: u32,
    /// Concurrent runs: a number, or the list of slot values (e.g. GPU ids).
    slots: Option<toml::Value>,
    /// Environment variable receiving the slot value (default CUDA_VISIBLE_DEVICES).
    slot_env: Option<String>,
    /// Where run folders go (default: `<plan stem>-runs` beside the plan).
    workdir: Option<String>,
    /// The journal (default: `<plan stem>.journal.sqlite` beside the plan).
    journal: Option<String>,
    #[serde(default)]
    backend: BackendKind,
    #[serde(default)]
    slurm: SlurmSpec,
    tokens_per_example: Option<f64>,
    #[serde(rename = "candidate")]
    candidates: Vec<CandidateSpec>,
}

fn default_level() -> f64 {
    0.9
}
fn default_k() -> usize {
    3
}
fn default_delta() -> f64 {
    5.0
}
fn yes() -> bool {
    true
}
fn default_bootstrap() -> usize {
    200
}

/// A checked plan with paths resolved against the plan's folder.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The plan file's path, as given.
    pub path: PathBuf,
    /// The plan's name (default: the plan file's stem).
    pub name: String,
    /// The data size the decision is about, in examples (default:
    /// `full_size`); > 0.
    pub target: f64,
    /// The full fine-tuning data size, in examples; > 0.
    pub full_size: f64,
    /// The largest subset, in examples (a fraction of the target resolved);
    /// at most `target`.
    pub budget: f64,
    /// Subset sizes the method reads, largest first (the fixed ladder): of
    /// `budget` halved down to `min_size` (rounded to whole examples), the
    /// sizes `Method::sizes_used` names (every one for the AtS-based methods
    /// and the law fits, the largest for `sub-tuning`, none for `zero-shot`
    /// and `model-size`); at least as many as the method needs
    /// (`ats_k + 1` for the AtS-based methods).
    pub ladder: Vec<f64>,
    /// The sizes of the halving ladder the method does not read, largest
    /// first: never run.
    pub skipped: Vec<f64>,
    /// The selection method that ranks the candidates.
    pub method: slaw::selection::Method,
    /// The reference tables (the plan's `reference`), resolved against the
    /// plan's folder.
    pub reference: Vec<PathBuf>,
    /// Their curves, keyed by candidate id (a row named as a candidate's
    /// `model` is that candidate's), read by `ats-ref`.
    pub references: Vec<slaw::selection::Reference>,
    /// Whether the scheduler decides from the journal which runs are
    /// needed (false: run the whole fixed ladder).
    pub adaptive: bool,
    /// Successive halving: stop running candidates whose prediction
    /// interval lies entirely above the leader's (needs `adaptive`).
    pub drop_worse: bool,
    /// Smallest sizes first (see the plan file's `ascending`).
    pub ascending: bool,
    /// Ascending adaptive plans: run a candidate's larger sizes even after
    /// every seed of a smaller size failed with no attempts left (false by
    /// default: they are at risk and would waste the slots).
    pub run_past_failures: bool,
    /// Whether every candidate also runs at n = 0 (`{n}` = 0: the
    /// pre-trained model evaluated without training) for its zero-shot
    /// loss, which `ats-gap` (the default method), `rectified-fit` and
    /// `zero-shot` read. Off by default: the command must handle n = 0.
    /// These runs are launched first and gate nothing.
    pub zero_shot: bool,
    /// Bootstrap replicates for the prediction intervals.
    pub bootstrap: usize,
    /// Level of the calibrated predictive intervals of the line methods.
    pub level: f64,
    /// The training command template (`sh -c`), with placeholders such as
    /// `{model}`, `{n}`, `{seed}`, `{out}`; checked to quote safely.
    pub command: String,
    /// How to read each attempt's loss.
    pub loss: LossSpec,
    /// The seeds every (candidate, size) runs with: distinct, not empty.
    pub seeds: Vec<u64>,
    /// Per-attempt timeout in seconds (> 0), none by default.
    pub timeout: Option<f64>,
    /// How many times a failed run is tried again (a run gets at most
    /// `retries + 1` attempts).
    pub retries: u32,
    /// The slot values (e.g. GPU ids), distinct, not empty: one run per
    /// slot at a time.
    pub slots: Vec<String>,
    /// The environment variable that receives each run's slot value.
    pub slot_env: String,
    /// Where run folders go, resolved against the plan's folder.
    pub workdir: PathBuf,
    /// The journal (SQLite) file, resolved against the plan's folder.
    pub journal: PathBuf,
    /// Where runs execute.
    pub backend: BackendKind,
    /// Slurm settings (used with [`BackendKind::Slurm`]).
    pub slurm: SlurmSpec,
    /// Tokens per training example: with every candidate's `params`, costs
    /// are in FLOPs (see [`Plan::cost`]).
    pub tokens_per_example: Option<f64>,
    /// The candidates, in plan order: not empty, ids distinct.
    pub candidates: Vec<CandidateSpec>,
    /// AtS: points in the first line (>= 2).
    pub ats_k: usize,
    /// AtS: the rejection threshold, in residual standard deviations (> 0).
    pub ats_delta: f64,
}

/// The reference table at `path` for the plan's `candidates`: its rows
/// named as a candidate's `model` (or id) become that candidate's, checked
/// as `slaw select` checks a reference (a row matches; each matched row
/// reaches `target`). The error is the message, naming the table.
fn read_reference(
    path: &Path,
    candidates: &[CandidateSpec],
    target: f64,
    plan: &str,
) -> std::result::Result<slaw::selection::Reference, String> {
    let long = slaw::datasets::LongColumns::default();
    let mut rows = slaw::datasets::candidates(path, &long).map_err(|e| e.to_string())?;
    for r in rows.iter_mut() {
        if let Some(c) = candidates.iter().find(|c| c.id == r.id).or_else(|| {
            candidates
                .iter()
                .find(|c| c.model.as_deref() == Some(&r.id))
        }) {
            r.id = c.id.clone();
        }
    }
    let pool: Vec<slaw::datasets::Candidate> = candidates
        .iter()
        .map(|c| slaw::datasets::Candidate {
            id: c.id.clone(),
            curve: vec![],
            size: None,
            family: None,
        })
        .collect();
    slaw::selection::Reference::checked(&pool, &rows, target, &path.display().to_string(), plan)
        .map_err(|e| e.to_string())
}

/// The journal key of the run of candidate `candidate` (its id) at size `n`
/// with seed `seed`: "c|n=200|seed=0", every journal row's id.
pub fn run_key(candidate: &str, n: u64, seed: u64) -> String {
    format!("{candidate}|n={n}|seed={seed}")
}

/// One fine-tuning: a candidate on a subset with a seed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunSpec {
    /// Index into [`Plan::candidates`].
    pub candidate: usize,
    /// Subset size, in examples.
    pub n: u64,
    /// The seed (`{seed}`).
    pub seed: u64,
}

impl Plan {
    /// Read and check the plan file at `path` (see [`Plan::parse`]).
    pub fn load(path: &Path) -> Result<Plan> {
        if path == Path::new("-") {
            return Err(Error::Plan {
                file: "-".into(),
                line: 0,
                col: 0,
                message: "a plan cannot be read from standard input: its journal, run folders \
                          and relative paths are named after the plan file and its folder; give \
                          the plan's path"
                    .into(),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        Self::parse(path, &text)
    }

    /// Check the plan `text`, read from `path` (named in errors; relative
    /// `workdir` and `journal` are resolved against its folder). A fault is
    /// an [`Error::Plan`] with its line.
    pub fn parse(path: &Path, text: &str) -> Result<Plan> {
        let file = path.display().to_string();
        let raw: RawPlan = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            Error::Plan {
                file: file.clone(),
                line,
                col,
                message: e.message().to_string(),
            }
        })?;
        let bad = |key: &str, msg: String| Error::Plan {
            file: file.clone(),
            line: key_line(text, key),
            col: 1,
            message: format!("{key}: {msg}"),
        };
        let positive = |key: &str, v: f64| -> Result<f64> {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(bad(key, format!("must be a number > 0, got {v}")))
            }
        };
        let full_size = positive("full_size", raw.full_size)?;
        let target = positive("target", raw.target.unwrap_or(full_size))?;
        let budget = match &raw.budget {
            toml::Value::String(s) => {
                target
                    * slaw::selection::Budget::parse_fraction(s)
                        .map_err(|e| bad("budget", setting_message(e)))?
            }
            toml::Value::Integer(i) => positive("budget", *i as f64)?,
            // A number with a decimal point reads as `slaw select --budget`
            // reads it: a fraction of the target in (0, 1].
            toml::Value::Float(f) => {
                target
                    * slaw::selection::Budget::parse_fraction(&format!("{f:?}")).map_err(|e| {
                        bad(
                            "budget",
                            format!(
                                "{} (a number with a decimal point is a fraction of the target, as slaw select reads its budget; a number of examples is an integer, e.g. budget = 25600)",
                                setting_message(e)
                            ),
                        )
                    })?
            }
            v => {
                return Err(bad(
                    "budget",
                    format!("expected \"1/64\", a fraction such as 0.015625, or an integer number of examples, got {v}"),
                ))
            }
        };
        if budget > target {
            return Err(bad(
                "budget",
                format!("{budget} is larger than the target {target}"),
            ));
        }
        // The subsets are drawn from the full fine-tuning set: a target
        // above it is a question about more data, but a run cannot use more
        // examples than there are.
        if budget > full_size * (1.0 + 1e-12) {
            return Err(bad(
                "budget",
                format!(
                    "{budget} examples is more than full_size = {full_size}: the subsets are drawn from the full fine-tuning set"
                ),
            ));
        }
        let min_size = positive("min_size", raw.min_size.unwrap_or(budget / 128.0))?;
        // The halving ladder: `budget` halved down to `min_size`, rounded to
        // whole examples (the largest rounded down: a size above the budget
        // would not be affordable, so the ranking would not read it).
        let mut halving = Vec::new();
        let mut n = budget;
        while n >= min_size * (1.0 - 1e-9) && n >= 1.0 {
            // (with `Budget::affordable`'s tolerance: 0.57 x 10,000 is
            // 5699.999..., and 5,700 is affordable)
            halving.push(if n.round() > budget * (1.0 + 1e-12) {
                n.floor()
            } else {
                n.round()
            });
            n /= 2.0;
        }
        halving.dedup();
        if halving.is_empty() {
            return Err(bad(
                "budget",
                format!(
                    "the budget is {budget} examples, below min_size = {min_size}: the ladder has no size{}",
                    if matches!(raw.budget, toml::Value::Integer(_)) {
                        " (an integer budget is a number of examples; a fraction of the target is written 0.015625 or \"1/64\")"
                    } else {
                        ""
                    }
                ),
            ));
        }
        if raw.ats_k < 2 {
            return Err(bad(
                "ats_k",
                format!(
                    "must be at least 2 (AtS fits a line through the ats_k largest sizes), got {}",
                    raw.ats_k
                ),
            ));
        }
        if !(raw.ats_delta.is_finite() && raw.ats_delta > 0.0) {
            return Err(bad(
                "ats_delta",
                format!(
                    "must be a number > 0 (the rejection threshold in residual standard deviations), got {}",
                    raw.ats_delta
                ),
            ));
        }
        let method = slaw::selection::Method::parse_or_default(
            raw.method.as_deref(),
            !raw.reference.is_empty(),
            raw.ats_k,
            raw.ats_delta,
        )
        .map_err(|e| bad("method", setting_message(e)))?;
        let ladder = sizes_read(&method, &halving, &raw.candidates, target, budget);
        let skipped: Vec<f64> = halving
            .iter()
            .copied()
            .filter(|n| !ladder.contains(n))
            .collect();
        if let Some((needed, why)) = method.fewest_sizes(raw.zero_shot) {
            if ladder.len() < needed {
                let sizes = slaw::numbers::count(ladder.len(), "size");
                let msg = format!(
                    "the ladder from {} down to {} has {sizes}; {why} needs at least {needed}",
                    slaw::numbers::num(budget),
                    slaw::numbers::num(min_size),
                );
                // Blame the key the user wrote: min_size, else the budget
                // (min_size then defaults to budget / 128).
                return Err(if raw.min_size.is_some() {
                    bad("min_size", msg)
                } else {
                    bad(
                        "budget",
                        format!("{msg} (min_size, not given, defaults to budget / 128: give a smaller one, or a larger budget)"),
                    )
                });
            }
        }
        if method.name()
            == slaw::selection::SelectionMethod::name(&slaw::selection::methods::ZeroShot)
            && !raw.zero_shot
        {
            return Err(bad(
                "method",
                "zero-shot ranks by the loss at n = 0, which the plan measures only with zero_shot = true"
                    .into(),
            ));
        }
        if method.name()
            == slaw::selection::SelectionMethod::name(&slaw::selection::methods::ModelSize)
        {
            if let Some(i) = raw.candidates.iter().position(|c| c.params.is_none()) {
                return Err(Error::Plan {
                    file: file.clone(),
                    line: nth_key_line(text, "id", i),
                    col: 1,
                    message: format!(
                        "params: candidate '{}' has none; model-size ranks by the parameter count",
                        raw.candidates[i].id
                    ),
                });
            }
        }
        if !raw.reference.is_empty() && !method.kind().needs().reference {
            return Err(bad(
                "reference",
                format!(
                    "is read by ats-ref only (the default with a reference), not by {}",
                    method.name()
                ),
            ));
        }
        if !(raw.level > 0.0 && raw.level < 1.0) {
            return Err(bad(
                "level",
                format!("must be in (0, 1), got {}", raw.level),
            ));
        }
        let top = slaw::selection::calibrate::SCALE_LEVELS
            [slaw::selection::calibrate::SCALE_LEVELS.len() - 1];
        if raw.level > top {
            return Err(bad(
                "level",
                format!(
                    "at most {top}: the predictive intervals are calibrated up to {} (a level of {} would be a {} interval all the same)",
                    slaw::numbers::percent(top),
                    raw.level,
                    slaw::numbers::percent(top)
                ),
            ));
        }
        let seeds = match (raw.seeds, raw.repetitions) {
            (Some(_), Some(_)) => {
                return Err(bad("seeds", "give seeds or repetitions, not both".into()))
            }
            (Some(s), None) if !s.is_empty() => s,
            (Some(_), None) => return Err(bad("seeds", "empty list".into())),
            (None, Some(r)) if r > 0 => (0..r).collect(),
            (None, Some(_)) => return Err(bad("repetitions", "must be >= 1".into())),
            (None, None) => vec![0],
        };
        if let Some((i, s)) = seeds
            .iter()
            .enumerate()
            .find(|(i, s)| seeds[..*i].contains(s))
        {
            return Err(bad(
                "seeds",
                format!(
                    "seed {s} appears twice (entries {} and {})",
                    seeds.iter().position(|x| x == s).unwrap_or(0) + 1,
                    i + 1
                ),
            ));
        }
        let slots = match raw.slots {
            None => vec!["0".to_string()],
            Some(toml::Value::Integer(k)) if k >= 1 => (0..k).map(|i| i.to_string()).collect(),
            Some(toml::Value::Array(a)) if !a.is_empty() => a
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => s.clone(),
                    v => v.to_string(),
                })
                .collect(),
            Some(v) => {
                return Err(bad(
                    "slots",
                    format!("expected a number >= 1 or a list of slot values, got {v}"),
                ))
            }
        };
        if let Some((i, s)) = slots
            .iter()
            .enumerate()
            .find(|(i, s)| slots[..*i].contains(s))
        {
            return Err(bad(
                "slots",
                format!(
                    "slot '{s}' appears twice (entry {}): two runs would share it",
                    i + 1
                ),
            ));
        }
        if let Some(name) = &raw.slot_env {
            if !is_env_name(name) {
                return Err(bad(
                    "slot_env",
                    format!(
                        "'{name}' is not an environment variable name (letters, digits and '_', not starting with a digit)"
                    ),
                ));
            }
        }
        let ats_only =
            method.name() == slaw::selection::SelectionMethod::name(&slaw::selection::methods::Ats);
        let ascending = raw
            .ascending
            .unwrap_or(raw.adaptive && !ats_only && raw.drop_worse != Some(false));
        let drop_worse = raw.drop_worse.unwrap_or(ascending);
        if drop_worse && !raw.adaptive {
            return Err(bad(
                "drop_worse",
                "successive halving needs adaptive = true (the fixed ladder runs every size)"
                    .into(),
            ));
        }
        if ascending && !drop_worse {
            return Err(bad(
                "ascending",
                "ascending order saves runs only with drop_worse = true (otherwise every size runs)"
                    .into(),
            ));
        }
        if let Some(t) = raw.timeout {
            positive("timeout", t)?;
        }
        if let Some(t) = raw.slurm.poll_seconds {
            if !(t.is_finite() && t > 0.0 && t <= MAX_POLL_SECONDS) {
                return Err(bad(
                    "poll_seconds",
                    format!("must be a number of seconds in (0, {MAX_POLL_SECONDS}], got {t}"),
                ));
            }
        }
        if let Some(t) = raw.tokens_per_example {
            positive("tokens_per_example", t)?;
        }
        if raw.candidates.is_empty() {
            return Err(bad("candidate", "no [[candidate]] in the plan".into()));
        }
        for (i, c) in raw.candidates.iter().enumerate() {
            // Ids name folders (`<workdir>/<id>/...`) and journal keys.
            let at = |msg: String| Error::Plan {
                file: file.clone(),
                line: nth_key_line(text, "id", i),
                col: 1,
                message: format!("id: candidate {}: {msg}", i + 1),
            };
            if let Err(why) = safe_file_name(&c.id) {
                return Err(at(format!("'{}' {why}", c.id.escape_debug())));
            }
            if raw.candidates[..i].iter().any(|o| o.id == c.id) {
                return Err(at(format!("candidate id '{}' appears twice", c.id)));
            }
            if let Some(o) = raw.candidates[..i]
                .iter()
                .find(|o| o.id.to_lowercase() == c.id.to_lowercase())
            {
                return Err(at(format!(
                    "'{}' differs from candidate id '{}' only in case (their run folders would \
                     clash on a case-insensitive file system)",
                    c.id, o.id
                )));
            }
            if let Some(m) = &c.model {
                if m.contains('\0') {
                    return Err(Error::Plan {
                        file: file.clone(),
                        line: nth_key_line(text, "id", i),
                        col: 1,
                        message: format!(
                            "model: candidate {} ('{}'): contains a NUL byte, which no command \
                             line can carry",
                            i + 1,
                            c.id
                        ),
                    });
                }
            }
            if let Some(p) = c.params {
                if !(p.is_finite() && p > 0.0) {
                    return Err(Error::Plan {
                        file: file.clone(),
                        line: candidate_key_line(text, i, "params"),
                        col: 1,
                        message: format!(
                            "params: candidate {} ('{}'): must be a number > 0, got {p}",
                            i + 1,
                            c.id
                        ),
                    });
                }
            }
        }
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let reference: Vec<PathBuf> = raw
            .reference
            .iter()
            .map(|p| {
                let p = PathBuf::from(p);
                if p.is_absolute() {
                    p
                } else {
                    dir.join(p)
                }
            })
            .collect();
        let references = reference
            .iter()
            .map(|p| read_reference(p, &raw.candidates, target, &file))
            .collect::<std::result::Result<Vec<_>, String>>()
            .map_err(|m| bad("reference", m))?;
        crate::template::check_shell(&raw.command).map_err(|m| bad("command", m))?;
        match &raw.loss {
            LossSpec::Json { file, .. } | LossSpec::TrainerState { file, .. } => {
                crate::template::check(file).map_err(|m| bad("loss", m))?
            }
            LossSpec::Regex { .. } => {}
        }
        if let LossSpec::Regex { pattern } = &raw.loss {
            let re = regex_lite::Regex::new(pattern)
                .map_err(|e| bad("pattern", format!("not a regular expression: {e}")))?;
            if re.captures_len() < 2 {
                return Err(bad(
                    "pattern",
                    "needs a capture group for the loss, e.g. 'eval_loss=([0-9.eE+-]+)'".into(),
                ));
            }
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("plan")
            .to_string();
        let resolve = |p: Option<String>, default: String| {
            let p = PathBuf::from(p.unwrap_or(default));
            if p.is_absolute() {
                p
            } else {
                dir.join(p)
            }
        };
        Ok(Plan {
            path: path.to_path_buf(),
            name: raw.name.unwrap_or_else(|| stem.clone()),
            target,
            full_size,
            budget,
            ladder,
            skipped,
            method,
            reference,
            references,
            adaptive: raw.adaptive,
            drop_worse,
            ascending,
            run_past_failures: raw.run_past_failures,
            zero_shot: raw.zero_shot,
            bootstrap: raw.bootstrap,
            level: raw.level,
            command: raw.command,
            loss: raw.loss,
            seeds,
            timeout: raw.timeout,
            retries: raw.retries,
            slots,
            slot_env: raw
                .slot_env
                .unwrap_or_else(|| "CUDA_VISIBLE_DEVICES".into()),
            workdir: resolve(raw.workdir, format!("{stem}-runs")),
            journal: resolve(raw.journal, format!("{stem}.journal.sqlite")),
            backend: raw.backend,
            slurm: raw.slurm,
            tokens_per_example: raw.tokens_per_example,
            candidates: raw.candidates,
            ats_k: raw.ats_k,
            ats_delta: raw.ats_delta,
        })
    }

    /// The sizes every candidate runs without the adaptive rules: the
    /// ladder (largest first), then n = 0 with `zero_shot`.
    pub fn sizes(&self) -> Vec<f64> {
        let mut v = self.ladder.clone();
        if self.zero_shot {
            v.push(0.0);
        }
        v
    }

    /// Every run of the fixed ladder, largest sizes first (the zero-shot
    /// evaluations last).
    pub fn fixed_ladder(&self) -> Vec<RunSpec> {
        let mut v = Vec::new();
        for (c, _) in self.candidates.iter().enumerate() {
            for n in self.sizes() {
                for &seed in &self.seeds {
                    v.push(RunSpec {
                        candidate: c,
                        n: n as u64,
                        seed,
                    });
                }
            }
        }
        v
    }

    /// The folder of one attempt of a run (`{out}`), absolute.
    pub fn attempt_dir(&self, r: &RunSpec, attempt: u32) -> PathBuf {
        let d = self
            .workdir
            .join(&self.candidates[r.candidate].id)
            .join(format!("n={}", r.n))
            .join(format!("seed={}", r.seed))
            .join(format!("attempt-{attempt}"));
        std::path::absolute(&d).unwrap_or(d)
    }

    /// What determines a run's result beside its key (candidate id, size,
    /// seed): the command template, the value of `{model}` and the loss
    /// reader, as JSON. The journal keeps it with each launched attempt, so
    /// a result made under an edited plan is never taken for this plan's
    /// (see [`crate::runner::input_changes`]).
    pub fn run_inputs(&self, r: &RunSpec) -> String {
        let c = &self.candidates[r.candidate];
        serde_json::json!({
            "command": self.command,
            "model": c.model.as_deref().unwrap_or(&c.id),
            "loss": self.loss,
        })
        .to_string()
    }

    /// The attempts a run gets at most: `retries + 1` (more when attempts
    /// are given back, [`crate::journal::Record::granted`]).
    pub fn max_attempts(&self) -> u32 {
        self.retries + 1
    }

    /// The journal key of a run ([`run_key`]).
    pub fn run_id(&self, r: &RunSpec) -> String {
        run_key(&self.candidates[r.candidate].id, r.n, r.seed)
    }

    /// Relative cost of a run: examples x parameters (x tokens per example)
    /// when known, examples otherwise.
    pub fn cost(&self, r: &RunSpec) -> f64 {
        let p = self.candidates[r.candidate].params;
        match (p, self.tokens_per_example) {
            (Some(p), Some(t)) if self.all_params() => 6.0 * p * t * r.n as f64,
            (Some(p), _) if self.all_params() => p * r.n as f64,
            _ => r.n as f64,
        }
    }

    fn all_params(&self) -> bool {
        self.candidates.iter().all(|c| c.params.is_some())
    }

    /// The unit of `cost`.
    pub fn cost_unit(&self) -> &'static str {
        match (self.all_params(), self.tokens_per_example.is_some()) {
            (true, true) => "FLOPs (6 x params x tokens)",
            (true, false) => "examples x params",
            _ => "examples",
        }
    }
}

/// The sizes of the halving ladder `halving` (largest first) that `method`
/// reads: the union over the candidates of [`Method::sizes_used`] for the
/// candidate measured at every size of the ladder (and at n = 0), largest
/// first. The registry's methods name sizes from which sizes a candidate
/// has, never from its losses (set to 1 here), so every candidate gets the
/// same answer; a method whose answer differed per candidate would have the
/// union run for every candidate (never fewer than one of them reads).
///
/// [`Method::sizes_used`]: slaw::selection::Method::sizes_used
fn sizes_read(
    method: &slaw::selection::Method,
    halving: &[f64],
    candidates: &[CandidateSpec],
    target: f64,
    budget: f64,
) -> Vec<f64> {
    let b = slaw::selection::Budget {
        target,
        max_n: budget,
    };
    let mut curve: Vec<(f64, f64)> = halving.iter().rev().map(|&n| (n, 1.0)).collect();
    curve.insert(0, (0.0, 1.0));
    let mut used: Vec<f64> = Vec::new();
    for c in candidates {
        let probe = slaw::datasets::Candidate {
            id: c.id.clone(),
            curve: curve.clone(),
            size: c.params,
            family: c.family.clone(),
        };
        used.extend(method.sizes_used(&probe, &b));
    }
    halving
        .iter()
        .copied()
        .filter(|n| used.contains(n))
        .collect()
}

/// Whether `s` can name an environment variable in a shell.
fn is_env_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// Ok when `id` is a safe file name: not `.` or `..`, no `/`, `\\`, `|`
/// (the journal key's separator), whitespace or control characters, not
/// starting with `-`, at most 200 bytes.
pub fn safe_file_name(id: &str) -> std::result::Result<(), String> {
    if id.is_empty() {
        return Err("is empty".into());
    }
    if id == "." || id == ".." {
        return Err("is not a file name (it would write outside the run folder)".into());
    }
    if id.starts_with('-') {
        return Err("starts with '-' (it would read as an option)".into());
    }
    if id.len() > 200 {
        return Err("is longer than 200 bytes".into());
    }
    if let Some(c) = id
        .chars()
        .find(|c| "/\\|".contains(*c) || c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "has '{}': an id names a folder (put other names in `model`)",
            c.escape_debug()
        ));
    }
    Ok(())
}

/// The line where `key = ` is set for the (0-based) `nth` time (0 when absent).
/// The line of `key` in the `nth` (0-based) `[[candidate]]` table; the
/// line of its `id` when the key cannot be found there.
fn candidate_key_line(text: &str, nth: usize, key: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[candidate]]")
        .nth(nth)
        .map(|(i, _)| i)
    else {
        return nth_key_line(text, "id", nth);
    };
    lines[start + 1..]
        .iter()
        .take_while(|l| !l.trim_start().starts_with('['))
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map(|k| start + 1 + k + 1)
        .unwrap_or_else(|| nth_key_line(text, "id", nth))
}

fn nth_key_line(text: &str, key: &str, nth: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .nth(nth)
        .map(|(i, _)| i + 1)
        .unwrap_or(0)
}

/// 1-based line and column of byte offset `at`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, col)
}

/// The line where `key = ` is first set (0 when absent), at the start of a
/// line or inside an inline table (`loss = { pattern = ... }`).
fn key_line(text: &str, key: &str) -> usize {
    let sets = |l: &str| {
        let t = l.trim_start();
        if t.strip_prefix(key)
            .is_some_and(|r| r.trim_start().starts_with('='))
        {
            return true;
        }
        l.match_indices(key).any(|(i, _)| {
            l[..i].contains('{')
                && l[..i].ends_with(['{', ',', ' ', '\t'])
                && l[i + key.len()..].trim_start().starts_with('=')
        })
    };
    text.lines().position(sets).map(|i| i + 1).unwrap_or(0)
}

/// A library error's text under a plan key: a setting's message alone (the
/// key already names it).
fn setting_message(e: slaw::Error) -> String {
    match e {
        slaw::Error::Setting { message, .. } => message,
        e => e.to_string(),
    }
}
