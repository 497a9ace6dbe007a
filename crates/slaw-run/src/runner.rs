//! The run loop: recover what a killed slaw left, then repeatedly collect
//! finished attempts, ask the scheduler what to run, claim and launch into
//! free slots, until nothing is left. Every result goes to the journal the
//! moment it is known.

use crate::backend::{Backend, Launch, Poll};
use crate::journal::{Journal, State};
use crate::loss::read_loss;
use crate::plan::{Plan, RunSpec};
use crate::scheduler::{decide, dropped, rank, Decision, RankedCandidate};
use crate::template::{render, shell_quote};
use crate::{Error, Result};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

struct Active {
    handle: String,
    slot: String,
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
    pub decision: Decision,
    pub ranking: Vec<RankedCandidate>,
    pub cost: CostReport,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CostReport {
    pub unit: &'static str,
    /// Runs that finished (done or failed) and their cost.
    pub runs: usize,
    pub spent: f64,
    /// The fixed ladder: every size for every candidate and seed.
    pub fixed_runs: usize,
    pub fixed: f64,
    /// Fine-tuning every candidate once on the target size.
    pub full: f64,
}

pub fn cost_report(plan: &Plan, journal: &Journal) -> Result<CostReport> {
    Ok(cost_of(plan, &journal.all()?))
}

/// Compute spent by `records` (done and failed runs) beside the fixed ladder's.
pub fn cost_of(plan: &Plan, records: &[crate::journal::Record]) -> CostReport {
    let mut spent = 0.0;
    let mut runs = 0;
    for r in records {
        if matches!(r.state, State::Done | State::Failed) {
            if let Some(ci) = plan.candidates.iter().position(|c| c.id == r.candidate) {
                runs += 1;
                spent += plan.cost(&RunSpec {
                    candidate: ci,
                    n: r.n,
                    seed: r.seed,
                });
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

/// The current state from the journal (for `slaw status` and `slaw report`).
pub fn snapshot(plan: &Plan, with_ranking: bool) -> Result<Summary> {
    let journal = Journal::open(&plan.journal)?;
    let records = journal.all()?;
    let decision = decide(plan, &records, &dropped(plan, &records));
    let ranking = if with_ranking {
        rank(plan, &decision.candidates)
    } else {
        vec![]
    };
    Ok(Summary {
        launched: 0,
        cost: cost_report(plan, &journal)?,
        decision,
        ranking,
    })
}

/// Run the plan to the end (or until `stop` is set: running attempts are
/// then stopped and given back to the journal, and `Error::Interrupted` is
/// returned). `progress` is called after every change.
pub fn run(
    plan: &Plan,
    backend: &mut dyn Backend,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(&Decision, usize),
) -> Result<Summary> {
    let mut journal = Journal::open(&plan.journal)?;
    // Runs a killed slaw left: take each over (one process only), stop
    // what is left of it, then give it back to be run again.
    for orphan in journal.orphans()? {
        if journal.adopt(&orphan)? {
            backend.cancel_orphan(&orphan.id, orphan.handle.as_deref());
            journal.release(&orphan.id, "its slaw process died")?;
        }
    }
    let poll_every = match plan.backend {
        crate::plan::BackendKind::Local => Duration::from_millis(20),
        crate::plan::BackendKind::Slurm => {
            Duration::from_secs_f64(plan.slurm.poll_seconds.unwrap_or(2.0))
        }
    };
    let mut active: HashMap<String, Active> = HashMap::new();
    let mut free: Vec<String> = plan.slots.iter().rev().cloned().collect();
    let mut launched = 0;
    let mut stopped: Vec<String> = Vec::new();
    let mut done_seen = usize::MAX;
    loop {
        if stop.load(Ordering::SeqCst) {
            for (id, a) in active.drain() {
                backend.cancel(&a.handle);
                journal.release(&id, "slaw was interrupted")?;
            }
            return Err(Error::Interrupted);
        }
        // Collect finished attempts.
        let ids: Vec<String> = active.keys().cloned().collect();
        for id in ids {
            let a = &active[&id];
            let elapsed = a.started.elapsed().as_secs_f64();
            let outcome = match backend.poll(&a.handle)? {
                Poll::Running => match plan.timeout {
                    Some(t) if elapsed > t => {
                        backend.cancel(&a.handle);
                        Some(Err((None, format!("timeout after {t} s"))))
                    }
                    _ => None,
                },
                Poll::Exited { code: Some(0), .. } => {
                    let fill = |t: &str| fill_template(plan, &a.spec, &a.out_dir, &a.slot, 0, t);
                    Some(read_loss(&plan.loss, &a.stdout, &fill).map_err(|r| (Some(0), r)))
                }
                Poll::Exited { code: Some(c), .. } => {
                    Some(Err((Some(c), format!("non-zero exit status {c}"))))
                }
                Poll::Exited { signal, .. } => Some(Err((
                    None,
                    format!(
                        "killed by signal {}",
                        signal.map(|s| s.to_string()).unwrap_or_else(|| "?".into())
                    ),
                ))),
            };
            if let Some(o) = outcome {
                let a = active.remove(&id).expect("present");
                match o {
                    Ok(loss) => journal.finish_done(&id, 0, loss, elapsed)?,
                    Err((code, reason)) => journal.finish_failed(&id, code, elapsed, &reason)?,
                }
                free.push(a.slot);
            }
        }
        let records = journal.all()?;
        let done = records.iter().filter(|r| r.state == State::Done).count();
        if done != done_seen {
            done_seen = done;
            stopped = dropped(plan, &records);
        }
        let d = decide(plan, &records, &stopped);
        for spec in &d.launch {
            if free.is_empty() {
                break;
            }
            let id = plan.run_id(spec);
            if active.contains_key(&id) {
                continue;
            }
            let cand = &plan.candidates[spec.candidate];
            if !journal.claim(&id, &cand.id, spec.n, spec.seed, plan.retries + 1)? {
                continue; // another slaw has it, or it has no attempts left
            }
            let attempt = journal.get(&id)?.map(|r| r.attempts).unwrap_or(1);
            let slot = free.pop().expect("checked");
            match start(plan, backend, spec, &id, &slot, attempt) {
                Ok(a) => {
                    journal.launched(&id, &a.handle, &a.stdout.display().to_string())?;
                    active.insert(id, a);
                    launched += 1;
                }
                Err(e) => {
                    journal.finish_failed(&id, None, 0.0, &format!("could not start: {e}"))?;
                    free.push(slot);
                }
            }
        }
        let d = decide(plan, &journal.all()?, &stopped);
        progress(&d, active.len());
        if d.finished && active.is_empty() {
            break;
        }
        std::thread::sleep(poll_every);
    }
    let records = journal.all()?;
    let decision = decide(plan, &records, &dropped(plan, &records));
    let ranking = rank(plan, &decision.candidates);
    Ok(Summary {
        launched,
        cost: cost_report(plan, &journal)?,
        decision,
        ranking,
    })
}

fn fill_template(
    plan: &Plan,
    spec: &RunSpec,
    out: &std::path::Path,
    slot: &str,
    attempt: u32,
    template: &str,
) -> std::result::Result<String, String> {
    let c = &plan.candidates[spec.candidate];
    let quote = template == plan.command;
    render(template, &|k| {
        let v = match k {
            "model" => c.model.clone().unwrap_or_else(|| c.id.clone()),
            "id" => c.id.clone(),
            "n" => spec.n.to_string(),
            "seed" => spec.seed.to_string(),
            "out" => out.display().to_string(),
            "slot" => slot.to_string(),
            "attempt" => attempt.to_string(),
            _ => return None,
        };
        Some(if quote { shell_quote(&v) } else { v })
    })
}

fn start(
    plan: &Plan,
    backend: &mut dyn Backend,
    spec: &RunSpec,
    id: &str,
    slot: &str,
    attempt: u32,
) -> Result<Active> {
    let c = &plan.candidates[spec.candidate];
    let out_dir = plan
        .workdir
        .join(&c.id)
        .join(format!("n={}", spec.n))
        .join(format!("seed={}", spec.seed))
        .join(format!("attempt-{attempt}"));
    let out_dir = std::path::absolute(&out_dir).unwrap_or(out_dir);
    let command =
        fill_template(plan, spec, &out_dir, slot, attempt, &plan.command).map_err(Error::Usage)?;
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
        started: Instant::now(),
        spec: spec.clone(),
        out_dir,
        stdout,
    })
}
