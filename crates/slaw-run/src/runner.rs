//! The run loop: recover what a killed slaw left, then repeatedly collect
//! finished attempts, ask the scheduler what to run, claim and launch into
//! free slots, until nothing is left. Every result goes to the journal the
//! moment it is known.

use crate::backend::{Backend, Launch, Orphan, Poll};
use crate::journal::{hostname, Claim, Journal, Record, State};
use crate::loss::read_loss;
use crate::plan::{Plan, RunSpec};
use crate::scheduler::{decide_now, rank_full, Decision, RankedCandidate, Rungs};
use crate::template::{render, render_shell};
use crate::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

struct Active {
    handle: String,
    slot: String,
    attempt: u32,
    started: Instant,
    spec: RunSpec,
    out_dir: PathBuf,
    stdout: PathBuf,
}

/// What a finished (or stopped) `run` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    /// Attempts this process started.
    pub launched: usize,
    /// The scheduler's decision on the journal as it is now.
    pub decision: Decision,
    /// The ranking of the candidates (empty when not asked for).
    pub ranking: Vec<RankedCandidate>,
    /// Compute spent so far beside the fixed ladder's.
    pub cost: CostReport,
    /// With the ranking: each plan reference that fails its match test
    /// against the measured pool, hence not used (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The chosen candidate, with its runs that failed for good
    /// ([`crate::report::run_choice`]); None without a ranking or a choice.
    pub choice: Option<crate::report::RunChoice>,
    /// Notes on the ranking: `slaw select`'s note when an ats-gap plan's
    /// pool was ranked by ats-trend (some zero-shot losses missing:
    /// [`crate::scheduler::rank_full`]); absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The method that ranked the pool (the plan's, or ats-trend: see
    /// `notes`); None without a ranking.
    #[serde(skip)]
    pub ranked_by: Option<slaw::selection::Method>,
}

impl Summary {
    /// `plan` with the method that ranked its pool ([`Summary::ranked_by`]),
    /// for the ranking's text and figure.
    pub fn ranked_plan(&self, plan: &Plan) -> Plan {
        Plan {
            method: self.ranked_by.unwrap_or(plan.method),
            ..plan.clone()
        }
    }
}

/// Compute spent against the fixed ladder's and the full fine-tuning's, in
/// the plan's cost unit (see [`Plan::cost`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CostReport {
    /// The unit of every cost here ([`Plan::cost_unit`]).
    pub unit: &'static str,
    /// Runs of the plan's ladder (its candidates, sizes and seeds) that
    /// finished (done or failed), each counted once whatever its attempts.
    pub runs: usize,
    /// The cost of those runs.
    pub spent: f64,
    /// The fixed ladder: every size for every candidate and seed (its runs).
    pub fixed_runs: usize,
    /// The fixed ladder's cost.
    pub fixed: f64,
    /// Fine-tuning every candidate once on the target size.
    pub full: f64,
}

/// [`cost_of`] the journal's records.
pub fn cost_report(plan: &Plan, journal: &Journal) -> Result<CostReport> {
    Ok(cost_of(plan, &journal.all()?))
}

/// Compute spent by `records` (done and failed runs) beside the fixed ladder's.
pub fn cost_of(plan: &Plan, records: &[crate::journal::Record]) -> CostReport {
    let mut spent = 0.0;
    let mut runs = 0;
    let sizes = plan.sizes();
    for r in records {
        // Runs of the plan's ladder only: a journal may hold runs of sizes
        // or seeds an edited plan no longer has.
        let in_ladder = sizes.contains(&(r.n as f64)) && plan.seeds.contains(&r.seed);
        if matches!(r.state, State::Done | State::Failed) && in_ladder {
            if let Some(ci) = plan.candidates.iter().position(|c| c.id == r.candidate) {
                let spec = RunSpec {
                    candidate: ci,
                    n: r.n,
                    seed: r.seed,
                };
                // A row under another key than its own run's is not that
                // run ([`rows_outside_plan`] refuses such a journal).
                if r.id == plan.run_id(&spec) {
                    runs += 1;
                    spent += plan.cost(&spec);
                }
            }
        }
    }
    let ladder = plan.fixed_ladder();
    let full = (0..plan.candidates.len())
        .map(|c| {
            plan.cost(&RunSpec {
                candidate: c,
                n: plan.target as u64,
                seed: 0,
            })
        })
        .sum();
    CostReport {
        unit: plan.cost_unit(),
        runs,
        spent,
        fixed_runs: ladder.len(),
        fixed: ladder.iter().map(|r| plan.cost(r)).sum(),
        full,
    }
}

/// The journal's rows that are no run of the plan: runs of a candidate,
/// size or seed an edited plan no longer has (their id the key of their own
/// candidate, size and seed, [`crate::plan::run_key`]), kept in the journal
/// and left out of every count and decision; returned for the reports to
/// name. A row whose id is not the key of its own candidate, size and seed
/// is an error naming the journal, the row and the plan it was checked
/// against: the runner never writes one (a hand edit, or damage), and its
/// result would be counted beside the run its cells name, which the
/// scheduler, reading runs by id, runs again (probe63: a row renamed 'x'
/// made "73 runs finished" of a plan of 72).
pub fn rows_outside_plan<'a>(plan: &Plan, records: &'a [Record]) -> Result<Vec<&'a Record>> {
    let ids: HashSet<String> = plan.fixed_ladder().iter().map(|r| plan.run_id(r)).collect();
    let mut outside = Vec::new();
    for r in records {
        let key = crate::plan::run_key(&r.candidate, r.n, r.seed);
        if r.id != key {
            return Err(Error::JournalFile {
                path: plan.journal.display().to_string(),
                message: format!(
                    "run '{}' is {} of the plan {}, but its row holds candidate '{}', n = {} and \
                     seed {}: the run '{key}'{}. The runner never writes such a row (the journal \
                     was edited or damaged): restore the journal, or delete that row",
                    r.id,
                    if ids.contains(&r.id) {
                        "a run"
                    } else {
                        "no run"
                    },
                    plan.path.display(),
                    r.candidate,
                    r.n,
                    r.seed,
                    if ids.contains(&key) {
                        " of the plan"
                    } else {
                        ""
                    }
                ),
            });
        }
        if !ids.contains(&r.id) {
            outside.push(r);
        }
    }
    Ok(outside)
}

/// The current state from the journal (for `slaw status` and `slaw report`).
/// A journal row under another run's key is an error ([`rows_outside_plan`]).
pub fn snapshot(plan: &Plan, with_ranking: bool) -> Result<Summary> {
    let journal = Journal::open(&plan.journal)?;
    let records = journal.all()?;
    rows_outside_plan(plan, &records)?;
    let mut rungs = Rungs::default();
    rungs.advance(plan, &records);
    let decision = decide_now(plan, &records, &rungs);
    let r = with_ranking.then(|| rank_full(plan, &decision.candidates));
    Ok(summary(0, cost_report(plan, &journal)?, decision, r))
}

/// The [`Summary`] of `decision` with its ranking `r` (None: not asked).
fn summary(
    launched: usize,
    cost: CostReport,
    decision: Decision,
    r: Option<crate::scheduler::Ranking>,
) -> Summary {
    let (ranking, warnings, notes, ranked_by) = match r {
        Some(r) => (r.ranking, r.warnings, r.notes, Some(r.method)),
        None => (vec![], vec![], vec![], None),
    };
    Summary {
        launched,
        cost,
        choice: crate::report::run_choice(&decision, &ranking),
        decision,
        ranking,
        warnings,
        notes,
        ranked_by,
    }
}

/// Run the plan to the end (or until `stop` is set: running attempts are
/// then stopped and given back to the journal, and `Error::Interrupted` is
/// returned). `progress` is called after every change.
/// A journal with runs made under other inputs than the plan now gives
/// them ([`input_changes`]) is refused (`Error::InputsChanged`):
/// [`rerun_changed`] queues them again, or [`run_keeping_finished`] keeps
/// them.
pub fn run(
    plan: &Plan,
    backend: &mut dyn Backend,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(&Decision, usize),
) -> Result<Summary> {
    run_with(plan, backend, stop, progress, false)
}

/// [`run`] on a journal whose finished runs (done or failed) were made
/// under other inputs than the plan now gives them: they are kept and
/// counted as they are (the reports say so: [`input_changes`]), and every
/// run launched from here on runs under the plan's inputs now (a failed
/// run given its attempts back, after its cause was fixed in the plan, say).
/// A run still running under other inputs is refused as by [`run`].
pub fn run_keeping_finished(
    plan: &Plan,
    backend: &mut dyn Backend,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(&Decision, usize),
) -> Result<Summary> {
    run_with(plan, backend, stop, progress, true)
}

fn run_with(
    plan: &Plan,
    backend: &mut dyn Backend,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(&Decision, usize),
    keep_finished: bool,
) -> Result<Summary> {
    match run_loop(plan, backend, stop, progress, keep_finished) {
        // An interrupt that cut a wait on a busy journal short: the journal
        // could not be told; the attempts this process started are stopped
        // when the backend is dropped, and the next `slaw run` finds them
        // orphaned and runs them again.
        Err(Error::Journal { .. })
            if stop.load(Ordering::SeqCst) || crate::interrupt::requested() =>
        {
            Err(Error::Interrupted)
        }
        r => r,
    }
}

fn run_loop(
    plan: &Plan,
    backend: &mut dyn Backend,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(&Decision, usize),
    keep_finished: bool,
) -> Result<Summary> {
    let mut journal = Journal::open(&plan.journal)?;
    let records = journal.all()?;
    rows_outside_plan(plan, &records)?;
    let changes = if keep_finished {
        let running: Vec<Record> = records
            .iter()
            .filter(|r| r.state == State::Running)
            .cloned()
            .collect();
        input_changes(plan, &running)
    } else {
        input_changes(plan, &records)
    };
    if !changes.is_empty() {
        return Err(Error::InputsChanged {
            journal: plan.journal.display().to_string(),
            changes,
        });
    }
    // A run folder that cannot be made would fail every run at launch.
    std::fs::create_dir_all(&plan.workdir).map_err(|e| Error::Io {
        path: format!("workdir {}", plan.workdir.display()),
        source: e,
    })?;
    let poll_every = match plan.backend {
        crate::plan::BackendKind::Local => Duration::from_millis(20),
        crate::plan::BackendKind::Slurm => {
            Duration::from_secs_f64(plan.slurm.poll_seconds.unwrap_or(2.0))
        }
    };
    let mut active: HashMap<String, Active> = HashMap::new();
    let mut launched = 0;
    let mut rungs = Rungs::default();
    let mut settled_seen = usize::MAX;
    let mut last_recovery: Option<Instant> = None;
    loop {
        if stop.load(Ordering::SeqCst) {
            for (id, a) in active.drain() {
                backend.cancel(&a.handle);
                journal.release(&id, "slaw was interrupted")?;
            }
            return Err(Error::Interrupted);
        }
        // Runs a killed slaw left (at the start, or a dead slaw running
        // beside this one), and runs their owner never reported past the
        // plan's timeout.
        if last_recovery.is_none_or(|t| t.elapsed() >= RECOVER_EVERY) {
            last_recovery = Some(Instant::now());
            recover_orphans(plan, backend, &mut journal)?;
            take_over_overdue(plan, backend, &mut journal, poll_every, &active)?;
        }
        // Collect finished attempts.
        let ids: Vec<String> = active.keys().cloned().collect();
        for id in ids {
            let a = &active[&id];
            let elapsed = a.started.elapsed().as_secs_f64();
            let stderr = a.out_dir.join("stderr.log");
            let outcome = match backend.poll(&a.handle)? {
                Poll::Running => match plan.timeout {
                    Some(t) if elapsed > t => {
                        backend.cancel(&a.handle);
                        Some(Err((None, format!("timeout after {t} s"), stderr)))
                    }
                    _ => None,
                },
                Poll::Exited { code: Some(0), .. } => Some(
                    read_run_loss(plan, &a.spec, &a.out_dir, &a.slot, a.attempt)
                        .map_err(|(r, log)| (Some(0), r, log)),
                ),
                Poll::Exited { code: Some(c), .. } => {
                    Some(Err((Some(c), format!("non-zero exit status {c}"), stderr)))
                }
                Poll::Exited { signal, .. } => Some(Err((
                    None,
                    format!(
                        "killed by signal {}",
                        signal.map(|s| s.to_string()).unwrap_or_else(|| "?".into())
                    ),
                    stderr,
                ))),
            };
            if let Some(o) = outcome {
                active.remove(&id);
                match o {
                    Ok(loss) => {
                        journal.finish_done(&id, Some(0), loss, Some(elapsed))?;
                    }
                    Err((code, reason, log)) => {
                        journal.finish_failed(
                            &id,
                            code,
                            elapsed,
                            &reason,
                            Some(&log.display().to_string()),
                        )?;
                    }
                }
            }
        }
        let records = journal.all()?;
        // Rungs move on only when a run settles (done, or failed).
        let settled = records
            .iter()
            .filter(|r| matches!(r.state, State::Done | State::Failed))
            .count();
        if settled != settled_seen {
            settled_seen = settled;
            rungs.advance(plan, &records);
        }
        let d = decide_now(plan, &records, &rungs);
        // Slots are held in the journal: free means no running run (of any
        // slaw on this journal) holds it.
        let mut free: Vec<&String> = plan
            .slots
            .iter()
            .filter(|s| {
                !records
                    .iter()
                    .any(|r| r.state == State::Running && r.slot.as_deref() == Some(s.as_str()))
            })
            .collect();
        for spec in &d.launch {
            let id = plan.run_id(spec);
            if active.contains_key(&id) {
                continue;
            }
            let cand = &plan.candidates[spec.candidate];
            let mut claimed = None;
            while let Some(slot) = free.first().copied() {
                match journal.claim(
                    &id,
                    &cand.id,
                    spec.n,
                    spec.seed,
                    plan.max_attempts(),
                    Some(slot),
                )? {
                    Claim::Claimed => {
                        free.remove(0);
                        claimed = Some(slot.clone());
                        break;
                    }
                    // Another slaw took the slot since the journal was read.
                    Claim::SlotBusy => {
                        free.remove(0);
                    }
                    // Another slaw has the run, or it has no attempts left.
                    Claim::Taken => break,
                }
            }
            let Some(slot) = claimed else {
                if free.is_empty() {
                    break;
                }
                continue;
            };
            let attempt = journal.get(&id)?.map(|r| r.attempts).unwrap_or(1);
            match start(plan, backend, spec, &id, &slot, attempt) {
                Ok(a) => {
                    journal.launched(
                        &id,
                        &a.handle,
                        &a.stdout.display().to_string(),
                        &plan.run_inputs(spec),
                    )?;
                    active.insert(id, a);
                    launched += 1;
                }
                Err(e) => {
                    journal.finish_failed(
                        &id,
                        None,
                        0.0,
                        &format!("could not start: {e}"),
                        None,
                    )?;
                }
            }
        }
        let records = journal.all()?;
        rungs.advance(plan, &records);
        let d = decide_now(plan, &records, &rungs);
        progress(&d, active.len());
        if d.finished && active.is_empty() {
            break;
        }
        std::thread::sleep(poll_every);
    }
    let records = journal.all()?;
    rungs.advance(plan, &records);
    let decision = decide_now(plan, &records, &rungs);
    let r = rank_full(plan, &decision.candidates);
    Ok(summary(
        launched,
        cost_report(plan, &journal)?,
        decision,
        Some(r),
    ))
}

/// The runs of the journal whose recorded inputs (done, failed or running:
/// [`Plan::run_inputs`] when they were launched) differ from what the plan
/// gives them now: their results are not this plan's. Each line names what
/// changed (command, model, loss reader) and how many runs; empty when
/// nothing did. Runs recorded without inputs (older journals) and runs of
/// candidates no longer in the plan are not compared.
pub fn input_changes(plan: &Plan, records: &[Record]) -> Vec<String> {
    changed_runs(plan, records)
        .into_iter()
        .fold(Vec::<(String, usize)>::new(), |mut acc, (_, whats)| {
            for w in whats {
                match acc.iter_mut().find(|(x, _)| *x == w) {
                    Some(e) => e.1 += 1,
                    None => acc.push((w, 1)),
                }
            }
            acc
        })
        .into_iter()
        .map(|(w, k)| format!("{w} ({k} run{})", if k == 1 { "" } else { "s" }))
        .collect()
}

/// Each changed run's id and what changed (see [`input_changes`]).
fn changed_runs(plan: &Plan, records: &[Record]) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for r in records {
        if !matches!(r.state, State::Done | State::Failed | State::Running) {
            continue;
        }
        let (Some(old), Some(spec)) = (&r.inputs, spec_of(plan, r)) else {
            continue;
        };
        let now = plan.run_inputs(&spec);
        if *old == now {
            continue;
        }
        let (Ok(old), Ok(now)) = (
            serde_json::from_str::<serde_json::Value>(old),
            serde_json::from_str::<serde_json::Value>(&now),
        ) else {
            continue;
        };
        let mut whats = Vec::new();
        for (key, what) in [
            ("command", "the command"),
            ("model", "the model"),
            ("loss", "the loss reader"),
        ] {
            let (o, n) = (old.get(key), now.get(key));
            // The command runs under `sh -c`: compared by its shell words,
            // so a change of blanks alone (a trailing space, two spaces for
            // one, a line broken with `\`) is no change (probe47 7d).
            let same = o == n
                || (key == "command"
                    && matches!(
                        (o.and_then(|v| v.as_str()), n.and_then(|v| v.as_str())),
                        (Some(a), Some(b)) if shell_words(a).is_some() && shell_words(a) == shell_words(b)
                    ));
            if !same {
                let show = |v: Option<&serde_json::Value>| match v {
                    Some(serde_json::Value::String(s)) => format!("{s:?}"),
                    Some(v) => v.to_string(),
                    None => "(none)".into(),
                };
                let whose = if key == "model" {
                    format!(" of candidate '{}'", r.candidate)
                } else {
                    String::new()
                };
                whats.push(format!(
                    "{what}{whose} was {} and is now {}",
                    show(old.get(key)),
                    show(now.get(key))
                ));
            }
        }
        if !whats.is_empty() {
            out.push((r.id.clone(), whats));
        }
    }
    out
}

/// The words `sh` splits a command into, for comparing two commands:
/// unquoted blanks separate words, quotes and backslashes group them (a
/// backslash before a newline joins lines). A character that is special to
/// the shell (`$`, `` ` ``, glob and brace characters, `~`) keeps a mark of
/// being quoted, so `$x` and `"$x"`, which the shell expands differently,
/// stay different words. None for an unterminated quote (compared as text).
fn shell_words(cmd: &str) -> Option<Vec<String>> {
    const SPECIAL: &str = "$`*?[]{}~";
    #[derive(PartialEq)]
    enum Q {
        No,
        Single,
        Double,
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut started = false;
    let mut q = Q::No;
    let mut chars = cmd.chars().peekable();
    let quoted = |word: &mut String, c: char| {
        if SPECIAL.contains(c) {
            word.push('\\');
        }
        word.push(c);
    };
    while let Some(c) = chars.next() {
        match q {
            Q::No => match c {
                ' ' | '\t' | '\n' => {
                    if started {
                        words.push(std::mem::take(&mut word));
                        started = false;
                    }
                }
                '\'' => {
                    q = Q::Single;
                    started = true;
                }
                '"' => {
                    q = Q::Double;
                    started = true;
                }
                '\\' => match chars.next() {
                    Some('\n') => {}
                    Some(d) => {
                        quoted(&mut word, d);
                        started = true;
                    }
                    None => {
                        word.push('\\');
                        started = true;
                    }
                },
                c => {
                    word.push(c);
                    started = true;
                }
            },
            Q::Single => match c {
                '\'' => q = Q::No,
                c => quoted(&mut word, c),
            },
            Q::Double => match c {
                '"' => q = Q::No,
                '\\' => match chars.peek().copied() {
                    Some('\n') => {
                        chars.next();
                    }
                    Some(d @ ('$' | '`' | '"' | '\\')) => {
                        chars.next();
                        quoted(&mut word, d);
                    }
                    _ => quoted(&mut word, '\\'),
                },
                // Expansions stay live inside double quotes, without the
                // field splitting of unquoted ones: a mark of their own.
                c @ ('$' | '`') => {
                    word.push('\u{1}');
                    word.push(c);
                }
                c => quoted(&mut word, c),
            },
        }
    }
    if q != Q::No {
        return None;
    }
    if started {
        words.push(word);
    }
    Some(words)
}

/// Queue every finished run whose inputs changed ([`input_changes`]) to run
/// again with the plan as it is now; returns how many. A changed run still
/// running (under another slaw) is an error: stop that slaw first.
pub fn rerun_changed(plan: &Plan) -> Result<usize> {
    let mut journal = Journal::open(&plan.journal)?;
    let records = journal.all()?;
    let changed = changed_runs(plan, &records);
    if let Some(r) = records
        .iter()
        .find(|r| r.state == State::Running && changed.iter().any(|c| c.0 == r.id))
    {
        return Err(Error::InputsChanged {
            journal: plan.journal.display().to_string(),
            changes: vec![format!(
                "run {} is running under other inputs (owner {}): stop that slaw first",
                r.id,
                r.owner.as_deref().unwrap_or("?")
            )],
        });
    }
    let mut n = 0;
    for (id, whats) in &changed {
        if journal.run_again(id, &format!("its inputs changed: {}", whats.join("; ")))? {
            n += 1;
        }
    }
    Ok(n)
}

/// How often runs of dead or silent owners are looked for (and at start).
const RECOVER_EVERY: Duration = Duration::from_secs(1);

/// The plan's run spec of journal record `r` (None: not in the plan).
fn spec_of(plan: &Plan, r: &Record) -> Option<RunSpec> {
    let candidate = plan.candidates.iter().position(|c| c.id == r.candidate)?;
    Some(RunSpec {
        candidate,
        n: r.n,
        seed: r.seed,
    })
}

/// Take over each run a dead slaw process left (one process only): if its
/// trainer is still running, stop it and give the run back to be run again.
/// If it ended while slaw was dead, its outcome decides: exit status 0 and a
/// loss that reads (written by this attempt) keep that result instead of
/// running it again; a non-zero status or a signal fails it as it would
/// have failed under a live slaw; an unknown outcome gives it back to run
/// again (a process that crashed may have left output that reads as a
/// result, such as an intermediate loss, so it is never taken as done).
fn recover_orphans(plan: &Plan, backend: &mut dyn Backend, journal: &mut Journal) -> Result<()> {
    for orphan in journal.orphans()? {
        if !journal.adopt(&orphan)? {
            continue;
        }
        let spec = spec_of(plan, &orphan);
        let attempt = orphan.attempts.max(1);
        let out = spec.as_ref().map(|s| plan.attempt_dir(s, attempt));
        let ended = backend.recover_orphan(&orphan.id, orphan.handle.as_deref(), out.as_deref());
        let (Some(spec), Some(out)) = (spec, out) else {
            journal.release(&orphan.id, "its slaw process died")?;
            continue;
        };
        let stderr = out.join("stderr.log").display().to_string();
        match ended {
            Orphan::Ended {
                code: Some(0),
                signal: _,
            } => {
                let slot = orphan.slot.clone().unwrap_or_default();
                // Only output written by this attempt: a file older than its
                // claim is left from an attempt that was given back.
                let v = values(plan, &spec, &out, &slot, attempt);
                let fresh = crate::loss::source(&plan.loss, &out, &out.join("stdout.log"), &|t| {
                    render(t, &v)
                })
                .ok()
                .and_then(|f| std::fs::metadata(f).ok()?.modified().ok())
                .zip(orphan.started)
                .is_some_and(|(modified, started)| {
                    modified >= std::time::UNIX_EPOCH + Duration::from_secs_f64(started.max(0.0))
                });
                match read_run_loss(plan, &spec, &out, &slot, attempt) {
                    Ok(loss) if fresh => {
                        journal.finish_done(&orphan.id, Some(0), loss, None)?;
                    }
                    Ok(_) => {
                        let log = out.join("stdout.log").display().to_string();
                        journal.finish_failed(
                            &orphan.id,
                            Some(0),
                            0.0,
                            "exit status 0, but its loss was not written by this attempt \
                             (the file predates it)",
                            Some(&log),
                        )?;
                    }
                    Err((reason, log)) => {
                        journal.finish_failed(
                            &orphan.id,
                            Some(0),
                            0.0,
                            &reason,
                            Some(&log.display().to_string()),
                        )?;
                    }
                }
            }
            Orphan::Ended {
                code: Some(c),
                signal: _,
            } => {
                journal.finish_failed(
                    &orphan.id,
                    Some(c),
                    0.0,
                    &format!("non-zero exit status {c} (while its slaw process was dead)"),
                    Some(&stderr),
                )?;
            }
            Orphan::Ended {
                code: None,
                signal: Some(s),
            } => {
                journal.finish_failed(
                    &orphan.id,
                    None,
                    0.0,
                    &format!("killed by signal {s} (while its slaw process was dead)"),
                    Some(&stderr),
                )?;
            }
            Orphan::Ended {
                code: None,
                signal: None,
            } => journal.release(
                &orphan.id,
                "its slaw process died and how its attempt ended is unknown",
            )?,
            Orphan::Stopped => journal.release(&orphan.id, "its slaw process died")?,
        }
    }
    Ok(())
}

/// With a timeout: runs another slaw owns (one that looks alive: a reused
/// pid, another host) and has not reported long after the timeout (plus a
/// minute of grace for a busy journal) are taken over and failed as timed
/// out, so this slaw never waits past the plan's timeout.
fn take_over_overdue(
    plan: &Plan,
    backend: &mut dyn Backend,
    journal: &mut Journal,
    poll_every: Duration,
    active: &HashMap<String, Active>,
) -> Result<()> {
    let Some(t) = plan.timeout else {
        return Ok(());
    };
    let grace = 60.0 + 2.0 * poll_every.as_secs_f64();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    for r in journal.all()? {
        if r.state != State::Running || active.contains_key(&r.id) {
            continue;
        }
        let Some(started) = r.started else { continue };
        if now - started <= t + grace {
            continue;
        }
        let owner = r.owner.clone().unwrap_or_else(|| "?".into());
        let why = format!("timeout after {t} s (its owner {owner} never reported it)");
        if !journal.take_over(&r, &why)? {
            continue;
        }
        // Stop it only where this process can tell it is that run.
        if owner.split(':').next() == Some(hostname().as_str()) {
            backend.cancel_orphan(&r.id, r.handle.as_deref());
        }
        journal.finish_failed(&r.id, None, now - started, &why, None)?;
    }
    Ok(())
}

/// The value of each placeholder for one attempt.
fn values(
    plan: &Plan,
    spec: &RunSpec,
    out: &Path,
    slot: &str,
    attempt: u32,
) -> impl Fn(&str) -> Option<String> {
    let c = plan.candidates[spec.candidate].clone();
    let (n, seed, out, slot) = (
        spec.n,
        spec.seed,
        out.display().to_string(),
        slot.to_string(),
    );
    move |k: &str| {
        Some(match k {
            "model" => c.model.clone().unwrap_or_else(|| c.id.clone()),
            "id" => c.id.clone(),
            "n" => n.to_string(),
            "seed" => seed.to_string(),
            "out" => out.clone(),
            "slot" => slot.clone(),
            "attempt" => attempt.to_string(),
            _ => return None,
        })
    }
}

/// The loss of a finished attempt, or why not and which file tells more.
fn read_run_loss(
    plan: &Plan,
    spec: &RunSpec,
    out: &Path,
    slot: &str,
    attempt: u32,
) -> std::result::Result<f64, (String, PathBuf)> {
    let v = values(plan, spec, out, slot, attempt);
    let stdout = out.join("stdout.log");
    let log = match plan.loss {
        crate::plan::LossSpec::Regex { .. } => stdout.clone(),
        _ => out.join("stderr.log"),
    };
    read_loss(&plan.loss, out, &stdout, &|t: &str| render(t, &v)).map_err(|r| (r, log))
}

fn start(
    plan: &Plan,
    backend: &mut dyn Backend,
    spec: &RunSpec,
    id: &str,
    slot: &str,
    attempt: u32,
) -> Result<Active> {
    let out_dir = plan.attempt_dir(spec, attempt);
    let command = render_shell(&plan.command, &values(plan, spec, &out_dir, slot, attempt))
        .map_err(Error::Template)?;
    let stdout = out_dir.join("stdout.log");
    let launch = Launch {
        id: id.to_string(),
        command,
        env: vec![
            (plan.slot_env.clone(), slot.to_string()),
            ("SLAW_SLOT".into(), slot.to_string()),
            ("SLAW_RUN_ID".into(), id.to_string()),
        ],
        stderr: out_dir.join("stderr.log"),
        stdout: stdout.clone(),
        out_dir: out_dir.clone(),
    };
    let handle = backend.launch(&launch)?;
    Ok(Active {
        handle,
        slot: slot.to_string(),
        attempt,
        started: Instant::now(),
        spec: spec.clone(),
        out_dir,
        stdout,
    })
}

#[cfg(test)]
mod probe48_tests {
    use super::shell_words;

    #[test]
    fn probe48_commands_compare_by_their_shell_words() {
        let w = |s: &str| shell_words(s).unwrap();
        let base = w("python train.py --model {model} --out '{out}'");
        for same in [
            "python train.py --model {model} --out '{out}' ",
            "  python  train.py\t--model {model} \\\n --out '{out}'",
        ] {
            assert_eq!(w(same), base, "{same:?}");
        }
        assert_eq!(w("echo 'a b'"), w("echo \"a b\""));
        assert_eq!(w("echo a\\ b"), w("echo 'a b'"));
        for other in [
            "python train.py --model {model} --out {out}",
            "python train.py --model {model} --out '{out}' --lr 1",
            "python  train2.py --model {model} --out '{out}'",
        ] {
            assert_ne!(w(other), base, "{other:?}");
        }
        // The shell expands these differently.
        assert_ne!(w("echo $x"), w("echo \"$x\""));
        assert_ne!(w("echo \"$x\""), w("echo '$x'"));
        assert_ne!(w("ls *.json"), w("ls '*.json'"));
        assert_eq!(shell_words("echo 'open"), None);
    }
}
