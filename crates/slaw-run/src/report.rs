//! Text reports of `slaw plan`, `slaw status` and `slaw report`.

use crate::journal::{Record, State};
use crate::plan::Plan;
use crate::runner::Summary;
use crate::scheduler::{RankedCandidate, Stop};
use slaw::numbers::{name_width, num, truncate};
use std::fmt::Write;

/// Sizes as "a, b, c".
fn list(v: &[f64]) -> String {
    v.iter().map(|n| num(*n)).collect::<Vec<_>>().join(", ")
}

/// What a plan would launch, as `slaw plan` prints it and `slaw plan --json`
/// serializes it ([`plan_summary`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlanSummary {
    /// The plan's name.
    pub name: String,
    /// The selection method.
    pub method: &'static str,
    /// The level of the calibrated predictive intervals the ranking will
    /// give (the plan's `level`).
    pub level: f64,
    /// The fine-tuning size the decision is about.
    pub target: f64,
    /// The full fine-tuning data size.
    pub full_size: f64,
    /// The largest affordable size.
    pub budget: f64,
    /// The sizes run (the method's ladder, largest first).
    pub ladder: Vec<f64>,
    /// Sizes of the halving ladder the method does not read.
    pub not_run: Vec<f64>,
    /// Every candidate also runs at n = 0.
    pub zero_shot: bool,
    /// The seeds of each size.
    pub seeds: Vec<u64>,
    /// How the runs are scheduled ("fixed ladder", "adaptive ...", "ascending ...").
    pub mode: &'static str,
    /// The unit of every cost figure.
    pub cost_unit: &'static str,
    /// One entry per candidate, in plan order.
    pub candidates: Vec<PlanCandidate>,
    /// Every run of the fixed ladder (at most these run).
    pub runs: Vec<PlannedRun>,
    /// The cost of every run of `runs` (`cost_unit`).
    pub total_cost: f64,
    /// The cost of fine-tuning every candidate on the target (`cost_unit`).
    pub full_cost: f64,
    /// `total_cost / full_cost` (a fraction; the text prints it as %).
    pub share_of_full: f64,
    /// What the reader must act on (parameter counts that are not counts);
    /// an empty list when none, as every command's `warnings`.
    pub warnings: Vec<String>,
}

/// One candidate of a [`PlanSummary`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlanCandidate {
    /// The candidate's id.
    pub id: String,
    /// Its runs.
    pub runs: usize,
    /// Its smallest and largest size.
    pub sizes: [f64; 2],
    /// The cost of its runs (`cost_unit`).
    pub cost: f64,
    /// Its share of the plan's total cost (a fraction).
    pub share_of_plan: f64,
}

/// One run of a [`PlanSummary`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlannedRun {
    /// The run's id (as in the journal).
    pub id: String,
    /// Its cost (`cost_unit`).
    pub cost: f64,
}

/// The figures of [`plan_report`].
pub fn plan_summary(plan: &Plan) -> PlanSummary {
    let runs = plan.fixed_ladder();
    let total: f64 = runs.iter().map(|r| plan.cost(r)).sum();
    let candidates = plan
        .candidates
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let mine: Vec<_> = runs.iter().filter(|r| r.candidate == k).collect();
            let cost: f64 = mine.iter().map(|r| plan.cost(r)).sum();
            PlanCandidate {
                id: c.id.clone(),
                runs: mine.len(),
                sizes: [
                    mine.iter().map(|r| r.n).min().unwrap_or(0) as f64,
                    mine.iter().map(|r| r.n).max().unwrap_or(0) as f64,
                ],
                cost,
                share_of_plan: if total > 0.0 { cost / total } else { 0.0 },
            }
        })
        .collect();
    let full: f64 = (0..plan.candidates.len())
        .map(|c| {
            plan.cost(&crate::plan::RunSpec {
                candidate: c,
                n: plan.target as u64,
                seed: 0,
            })
        })
        .sum();
    PlanSummary {
        name: plan.name.clone(),
        method: plan.method.name(),
        level: plan.level,
        target: plan.target,
        full_size: plan.full_size,
        budget: plan.budget,
        ladder: plan.ladder.clone(),
        not_run: plan.skipped.clone(),
        zero_shot: plan.zero_shot,
        seeds: plan.seeds.clone(),
        mode: mode(plan),
        cost_unit: plan.cost_unit(),
        candidates,
        runs: runs
            .iter()
            .map(|r| PlannedRun {
                id: plan.run_id(r),
                cost: plan.cost(r),
            })
            .collect(),
        total_cost: total,
        full_cost: full,
        share_of_full: if full > 0.0 { total / full } else { 0.0 },
        warnings: slaw::selection::checks::parameter_unit_warning(
            plan.candidates.iter().filter_map(|c| c.params),
        )
        .into_iter()
        .collect(),
    }
}

/// How a plan schedules its runs, in words.
fn mode(plan: &Plan) -> &'static str {
    match (plan.adaptive, plan.drop_worse) {
        (true, _) if plan.ladder.len() < 2 => "adaptive, but with at most one size every candidate runs it",
        (true, true) if plan.ascending => "ascending: the smallest sizes first, double while the interval overlaps the best candidate's",
        (true, false) => "adaptive: halve from the largest size, stop at the phase transition",
        (true, true) => "adaptive: halve from the largest size, stop at the phase transition or when the risk interval lies above another candidate's",
        (false, _) => "fixed ladder",
    }
}

/// What a plan would launch: the plan's settings, a line per candidate (runs,
/// sizes, cost and its share) and the total; with `verbose`, every run with
/// its rendered command. The figures are [`plan_summary`]'s.
pub fn plan_report(plan: &Plan, verbose: bool) -> String {
    let mut s = String::new();
    let sum = plan_summary(plan);
    let runs = plan.fixed_ladder();
    let _ = writeln!(
        s,
        "plan '{}': {} candidates, target {} (full data {}), budget {} -> sizes {} x seeds {:?}",
        plan.name,
        plan.candidates.len(),
        num(plan.target),
        num(plan.full_size),
        num(plan.budget),
        match plan.sizes() {
            v if v.is_empty() => "none".to_string(),
            v => list(&v),
        },
        plan.seeds
    );
    if !plan.skipped.is_empty() {
        let _ = writeln!(
            s,
            "{} reads {} of the halving ladder from {} down: {} not run",
            plan.method.name(),
            match plan.ladder.len() {
                0 => "no size".to_string(),
                1 => format!("only the size {}", num(plan.ladder[0])),
                k => format!("{k} sizes"),
            },
            num(plan.budget),
            list(&plan.skipped)
        );
    }
    if plan.zero_shot {
        let _ = writeln!(
            s,
            "zero-shot: every candidate also runs at n = 0 (the command evaluates the pre-trained model without training); these runs go first"
        );
        if !plan.method.reads_zero_shot() {
            let _ = writeln!(
                s,
                "note: {} does not read the zero-shot loss (remove zero_shot = true to skip these runs)",
                plan.method.name()
            );
        }
    } else if plan.method.reads_zero_shot() {
        let _ = writeln!(
            s,
            "note: {} reads the zero-shot loss (n = 0), which this plan does not measure; add zero_shot = true if the command can evaluate without training (with n = 0), else {} ranks without it",
            plan.method.name(),
            plan.method.name()
        );
    }
    // The same model under two ids: the same fine-tunings run twice (unless
    // the command reads {id}).
    if !plan.command.contains("{id}") {
        let model =
            |c: &crate::plan::CandidateSpec| c.model.clone().unwrap_or_else(|| c.id.clone());
        for (i, c) in plan.candidates.iter().enumerate() {
            if let Some(o) = plan.candidates[..i].iter().find(|o| model(o) == model(c)) {
                let _ = writeln!(
                    s,
                    "note: candidates '{}' and '{}' have the same model '{}' and the command does not read {{id}}: their runs are the same fine-tunings, run twice",
                    o.id,
                    c.id,
                    model(c)
                );
            }
        }
    }
    for (path, r) in plan.reference.iter().zip(&plan.references) {
        let _ = writeln!(
            s,
            "reference {}: {} of {} candidates matched by name (read by {}); it is tested against the measured points at each ranking and not used if its rows do not match the pool's models",
            path.display(),
            plan.candidates.iter().filter(|c| r.has(&c.id)).count(),
            plan.candidates.len(),
            plan.method.name()
        );
    }
    let _ = writeln!(
        s,
        "method {}{}, {} (journal {}, runs in {}), backend {:?}, {} slot(s) via {}",
        plan.method.name(),
        // The plan's `level`, said before anything runs (the report's
        // intervals have it).
        if plan.method.predicts_loss() {
            format!(" (intervals at {})", slaw::numbers::percent(plan.level))
        } else {
            String::new()
        },
        sum.mode,
        plan.journal.display(),
        plan.workdir.display(),
        plan.backend,
        plan.slots.len(),
        plan.slot_env
    );
    let fixed = sum.total_cost;
    // The name column as wide as the longest id (up to 64 characters,
    // longer ones cut in the middle, where ids rarely differ).
    let w = name_width(plan.candidates.iter().map(|c| c.id.as_str()), 9, 64);
    let _ = writeln!(
        s,
        "{:<w$} {:>5} {:>21} {:>12} {:>7}",
        "candidate", "runs", "sizes", "cost", "share"
    );
    for c in &sum.candidates {
        let _ = writeln!(
            s,
            "{} {:>5} {:>21} {:>12} {:>6.1}%",
            slaw::numbers::pad(&truncate(&c.id, w), w),
            c.runs,
            format!("{}..{}", num(c.sizes[0]), num(c.sizes[1])),
            num(c.cost),
            100.0 * c.share_of_plan
        );
    }
    let _ = writeln!(
        s,
        "(cost: in {}; share: of the plan's total cost)",
        plan.cost_unit()
    );
    if verbose {
        let _ = writeln!(
            s,
            "\n{:<w$} {:>10} {:>6} {:>14}  command",
            "candidate", "n", "seed", "cost"
        );
    }
    for r in runs.iter().filter(|_| verbose) {
        let c = &plan.candidates[r.candidate];
        let out = plan.attempt_dir(r, 1);
        let slot = plan.slots.first().cloned().unwrap_or_default();
        let cmd = crate::template::render_shell(&plan.command, &|k| {
            Some(match k {
                "model" => c.model.clone().unwrap_or_else(|| c.id.clone()),
                "id" => c.id.clone(),
                "n" => r.n.to_string(),
                "seed" => r.seed.to_string(),
                "out" => out.display().to_string(),
                "slot" => slot.clone(),
                "attempt" => "1".into(),
                _ => return None,
            })
        })
        .unwrap_or_default();
        let _ = writeln!(
            s,
            "{:<w$} {:>10} {:>6} {:>14}  {cmd}",
            c.id,
            r.n,
            r.seed,
            num(plan.cost(r))
        );
    }
    let full = sum.full_cost;
    let _ = writeln!(
        s,
        "at most {} runs, cost {} {} = {:.2}% of fine-tuning every candidate on the target{}",
        runs.len(),
        num(fixed),
        plan.cost_unit(),
        100.0 * fixed / full,
        // What the mode saves, said only for the mode the plan runs.
        match (plan.adaptive && plan.ladder.len() > 1, plan.ascending, plan.drop_worse) {
            (false, _, _) => "",
            (true, true, _) => "; ascending usually runs fewer (larger sizes only for the candidates whose interval still overlaps the best candidate's)",
            (true, false, true) => "; adaptive AtS usually runs fewer (smaller sizes are skipped after the phase transition, and for the candidates whose risk interval lies above another's)",
            (true, false, false) => "; adaptive AtS usually runs fewer (smaller sizes after the phase transition are skipped)",
        }
    );
    for w in &sum.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    if !verbose {
        let _ = writeln!(s, "(each run and its command: --verbose)");
    }
    s
}

/// The warning of `slaw run`, `status` and `report` naming the journal's
/// rows that are no run of the plan (runs of a candidate, size or seed an
/// edited plan no longer has: [`crate::runner::rows_outside_plan`]), which
/// every count leaves out; the first 10 by id, then how many more. None
/// when there are none.
pub fn outside_plan_warning(plan: &Plan, outside: &[&Record]) -> Option<String> {
    const NAMED: usize = 10;
    if outside.is_empty() {
        return None;
    }
    let named: Vec<&str> = outside.iter().take(NAMED).map(|r| r.id.as_str()).collect();
    let more = outside.len() - named.len();
    Some(format!(
        "{} {} of the journal {} no run of the plan {} (a candidate, size or seed it no longer \
         has: an edited plan), left out of every count: {}{}",
        outside.len(),
        slaw::numbers::plural(outside.len(), "run"),
        if outside.len() == 1 { "is" } else { "are" },
        plan.path.display(),
        named.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    ))
}

/// The runs counted as running whose slaw process is gone (killed: see
/// [`crate::journal::owner_dead`]), said as such: nothing runs them now.
/// With the plan of a local backend, each says what the next `slaw run`
/// does with it, from its attempt's process and exit status file (as the
/// runner's recovery reads them): a trainer that finished by itself with
/// exit 0 keeps its loss, one that exited otherwise is failed, one still
/// running is stopped and run again, one without an exit status runs again.
pub fn orphan_note(records: &[Record], plan: Option<&Plan>) -> Option<String> {
    let orphans = crate::journal::orphans_in(records.to_vec());
    if orphans.is_empty() {
        return None;
    }
    let local = plan.filter(|p| p.backend == crate::plan::BackendKind::Local);
    let Some(plan) = local else {
        let ids: Vec<&str> = orphans.iter().map(|r| r.id.as_str()).collect();
        return Some(format!(
            "{} of the runs counted as running belong to a slaw process that is gone (killed): \
             nothing is running them; the next `slaw run` stops what is left of each and runs it \
             again without counting an attempt: {}\n",
            orphans.len(),
            ids.join(", ")
        ));
    };
    let mut s = format!(
        "{} of the runs counted as running belong to a slaw process that is gone (killed); \
         what the next `slaw run` does with each:\n",
        orphans.len()
    );
    for r in &orphans {
        let pid = r.handle.as_deref().and_then(|h| h.parse::<i32>().ok());
        let dir = plan
            .candidates
            .iter()
            .position(|c| c.id == r.candidate)
            .map(|candidate| {
                plan.attempt_dir(
                    &crate::plan::RunSpec {
                        candidate,
                        n: r.n,
                        seed: r.seed,
                    },
                    r.attempts.max(1),
                )
            });
        let what = match pid {
            Some(p) if crate::backend::local::runs(p, &r.id) => format!(
                "still running (pid {p}): it will be stopped and run again without counting \
                 an attempt"
            ),
            None => "never got a process: it will run again without counting an attempt".into(),
            Some(_) => match crate::backend::local::exit_status(dir.as_deref()) {
                crate::backend::Orphan::Ended { code: Some(0), .. } => {
                    "finished while slaw was away (exit 0): its loss will be kept (if it reads)"
                        .into()
                }
                crate::backend::Orphan::Ended { code: Some(c), .. } => {
                    format!("exited {c} while slaw was away: it will be failed")
                }
                crate::backend::Orphan::Ended {
                    code: None,
                    signal: Some(sig),
                } => format!("killed by signal {sig} while slaw was away: it will be failed"),
                _ => "no exit status: it will run again without counting an attempt".into(),
            },
        };
        s.push_str(&format!("  {}: {what}\n", r.id));
    }
    Some(s)
}

/// `slaw status`: a line per candidate (done, running, queued, failed runs
/// and why it stopped), every failure with its reason and log, the compute
/// spent against the fixed ladder's, and whether the plan has finished.
pub fn status_report(plan: &Plan, sum: &Summary, records: &[Record]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<w$} {:>5} {:>8} {:>7} {:>7}  status",
        "candidate",
        "done",
        "running",
        "queued",
        "failed",
        w = id_width(plan.candidates.iter().map(|c| c.id.as_str()))
    );
    for c in &sum.decision.candidates {
        let _ = writeln!(
            s,
            "{} {:>5} {:>8} {:>7} {:>7}  {}",
            slaw::numbers::pad(
                &c.id,
                id_width(plan.candidates.iter().map(|c| c.id.as_str()))
            ),
            c.done,
            c.running,
            c.queued,
            c.failed.len(),
            c.stopped
                .as_ref()
                .map_or_else(|| "in progress".to_string(), Stop::to_string),
        );
    }
    if let Some(note) = orphan_note(records, Some(plan)) {
        s.push_str(&note);
    }
    let plan_ids: std::collections::HashSet<String> =
        plan.fixed_ladder().iter().map(|r| plan.run_id(r)).collect();
    // Failures of the plan's runs (a journal may hold runs of candidates,
    // sizes or seeds an edited plan no longer has); the runs given back when
    // their slaw stopped (Ctrl-C) are not failures: they run again
    // (probe47 7c: they were listed as "[interrupted after 0 attempt(s)]"
    // among the failures).
    let (interrupted, failed): (Vec<&Record>, Vec<&Record>) = records
        .iter()
        .filter(|r| r.reason.is_some() && plan_ids.contains(&r.id))
        .partition(|r| r.state == State::Interrupted);
    if !interrupted.is_empty() {
        let _ = writeln!(
            s,
            "interrupted (stopped before they finished and given back, not failed: the next \
             `slaw run` runs them again without counting an attempt):"
        );
        for r in interrupted {
            let _ = writeln!(s, "  {}: {}", r.id, r.reason.as_deref().unwrap_or(""));
        }
    }
    if !failed.is_empty() {
        let _ = writeln!(
            s,
            "failures (attempts so far; retries allowed: {}):",
            plan.retries
        );
        for r in failed {
            let _ = writeln!(
                s,
                "  {} [{} after {} attempt(s)]: {} (log {})",
                r.id,
                r.state.as_str(),
                r.attempts,
                r.reason.as_deref().unwrap_or(""),
                r.log_path.as_deref().unwrap_or("-")
            );
            if let Some(line) = r.log_path.as_deref().and_then(last_log_line) {
                let _ = writeln!(s, "      its log ends: {line}");
            }
        }
    }
    let c = &sum.cost;
    let failed: usize = sum.decision.candidates.iter().map(|c| c.failed.len()).sum();
    let stopped_by_failures = sum
        .decision
        .candidates
        .iter()
        .filter(|c| matches!(c.stopped, Some(Stop::Failed { .. })))
        .count();
    let _ = writeln!(
        s,
        "{} runs finished{}, cost {} {}; the fixed ladder is {} runs, {}{}; fine-tuning every candidate on the target: {}",
        c.runs,
        // The count holds the runs that failed for good (their compute
        // was spent): say how many, so it is not read as results.
        if failed > 0 {
            format!(" ({failed} of them failed)")
        } else {
            String::new()
        },
        num(c.spent),
        c.unit,
        c.fixed_runs,
        num(c.fixed),
        // A ladder of no training (model-size, zero-shot) saves nothing.
        // Saved only means something once nothing is left to run; sizes
        // left out because a candidate's runs failed are not saved but
        // missing (a trainer that never starts "saved" 97% of the ladder).
        match (c.fixed > 0.0 && sum.decision.finished, stopped_by_failures) {
            (true, 0) => format!(" ({:.1}% saved)", 100.0 * (1.0 - c.spent / c.fixed)),
            (true, k) => format!(
                " ({:.1}% not run, not saved: failures stopped {k} candidate(s) before their larger sizes)",
                100.0 * (1.0 - c.spent / c.fixed)
            ),
            (false, _) => String::new(),
        },
        num(c.full)
    );
    let _ = writeln!(
        s,
        "{}",
        match (sum.decision.finished, failed) {
            (true, 0) => "all runs finished".to_string(),
            (true, f) =>
                format!("ended: {f} run(s) failed with no retries left (see the failures above)"),
            (false, _) => "not finished: `slaw run` continues it".to_string(),
        }
    );
    s
}

/// `slaw report`: the candidates in rank order with their predicted loss at
/// the target and interval, the chosen one marked, unranked ones with why
/// (those not run yet said so, apart from the warnings),
/// a `*` on a prediction outside its interval (as `slaw select`); then
/// `warnings` ([`crate::scheduler::rank_with_warnings`]'s: those of `slaw
/// select` on the same points).
/// `choice`: [`RunChoice`] (the chosen candidate's failures and the failed
/// contenders, said on the `chosen:` line and after it). `notes`: the
/// ranking's (`crate::runner::Summary::notes`), after the heading. `plan`
/// carries the method that ranked the pool
/// (`crate::runner::Summary::ranked_plan`).
pub fn ranking_report(
    plan: &Plan,
    ranking: &[RankedCandidate],
    warnings: &[String],
    choice: Option<&RunChoice>,
    notes: &[String],
) -> String {
    let mut s = String::new();
    let failures = choice.and_then(|c| c.failures.as_deref());
    let contenders: &[FailedContender] = choice.map_or(&[], |c| &c.failed_contenders);
    let _ = writeln!(
        s,
        "ranking by {} at n = {}:",
        plan.method.name(),
        num(plan.target)
    );
    for note in notes {
        let _ = writeln!(s, "note: {note}");
    }
    // As `slaw select`: whose interval the column is (ats-gap's is
    // ats-trend's), and one format for the losses and their intervals.
    let iv_head =
        slaw::selection::interval_heading(ranking.iter().filter_map(|r| r.estimate.as_ref()));
    let iw = iv_head.len().max(24);
    let col =
        slaw::numbers::Column::of(ranking.iter().filter_map(|r| r.estimate.as_ref()).flat_map(
            |e| {
                [Some(e.predicted_loss.unwrap_or(e.score))]
                    .into_iter()
                    .chain(e.interval.map(|i| Some(i.lo)))
                    .chain(e.interval.map(|i| Some(i.hi)))
                    .flatten()
            },
        ));
    // Long ids widen the column rather than push the others out of line.
    let w = id_width(ranking.iter().map(|r| r.id.as_str()));
    // The sizes each estimate comes from, when they differ (candidates
    // dropped or stopped early are ranked from smaller sizes).
    let ranked = || ranking.iter().filter(|r| r.estimate.is_some());
    let uneven = ranked().any(|r| r.dropped)
        || ranked().any(|r| r.sizes != ranked().next().and_then(|f| f.sizes));
    let _ = writeln!(
        s,
        "{:>4} {:<w$} {:>12} {:>iw$}{}",
        "rank",
        "candidate",
        "predicted",
        iv_head,
        if uneven { "  from sizes" } else { "" }
    );
    for r in ranking {
        match &r.estimate {
            Some(e) => {
                let from = match (uneven, r.sizes) {
                    (false, _) => String::new(),
                    (true, Some([lo, hi])) => format!(
                        "  {}..{}{}",
                        num(lo),
                        num(hi),
                        if r.dropped { " (dropped)" } else { "" }
                    ),
                    (true, None) => "  -".into(),
                };
                // `*`: the prediction lies outside the printed interval (as
                // `slaw select`).
                let mark = if r.prediction_outside_interval {
                    "*"
                } else {
                    " "
                };
                let _ = writeln!(
                    s,
                    "{:>4} {} {:>12}{mark}{:>iw$}{from}{}",
                    r.rank.unwrap_or(0),
                    slaw::numbers::pad(&r.id, w),
                    e.predicted_loss
                        .map(|v| col.fmt(v))
                        .unwrap_or_else(|| format!("score {}", col.fmt(e.score))),
                    e.interval
                        .map(|i| format!(
                            "[{}, {}]{}",
                            col.fmt(i.lo),
                            col.fmt(i.hi),
                            // `<`: open below (still accelerating).
                            if e.open_below.is_some() { "<" } else { "" }
                        ))
                        .unwrap_or_default(),
                    if r.chosen { "  <- chosen" } else { "" }
                );
            }
            None if r.not_run_yet && r.runs_done_awaiting_seeds > 0 => {
                let _ = writeln!(
                    s,
                    "{:>4} {} not ranked yet: {} of its fine-tuning runs finished, but no size has \
                     every seed of the plan yet (a size's point is the mean over the seeds)",
                    "-",
                    slaw::numbers::pad(&r.id, w),
                    r.runs_done_awaiting_seeds,
                );
            }
            None if r.not_run_yet => {
                let _ = writeln!(
                    s,
                    "{:>4} {} not run yet: no fine-tuning run of it has finished",
                    "-",
                    slaw::numbers::pad(&r.id, w),
                );
            }
            // Its sizes were run and failed: that, not the sizes it lacks,
            // is why it has too few points.
            None if r.failed_runs > 0 => {
                let _ = writeln!(
                    s,
                    "{:>4} {} not ranked: {} of its {} runs failed (see the failures): fix them \
                     and `slaw run --retry-failed` ({})",
                    "-",
                    slaw::numbers::pad(&r.id, w),
                    r.failed_runs,
                    r.settled_runs,
                    r.error.as_deref().unwrap_or("")
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "{:>4} {} not ranked: {}",
                    "-",
                    slaw::numbers::pad(&r.id, w),
                    r.error.as_deref().unwrap_or("")
                );
            }
        }
    }
    // Not a warning: a plan still running ranks the candidates it has
    // points of.
    let waiting: Vec<&str> = ranking
        .iter()
        .filter(|r| r.not_run_yet)
        .map(|r| r.id.as_str())
        .collect();
    if !waiting.is_empty() {
        // Some have finished runs, at sizes still waiting for a seed.
        let awaiting_seeds = ranking
            .iter()
            .any(|r| r.not_run_yet && r.runs_done_awaiting_seeds > 0);
        let _ = writeln!(
            s,
            "{}: {} of {} candidates ({}){}",
            if awaiting_seeds {
                "not ranked yet (no size of theirs has every seed finished)"
            } else {
                "not run yet"
            },
            waiting.len(),
            ranking.len(),
            waiting.join(", "),
            if ranking.iter().any(|r| r.estimate.is_some()) {
                ": the ranking and the choice are among the others so far"
            } else {
                ""
            }
        );
    }
    // Why the chosen one, and what the intervals cover (as `slaw select`).
    let ests: Vec<&slaw::selection::Estimate> =
        ranking.iter().filter_map(|r| r.estimate.as_ref()).collect();
    if let Some(note) = slaw::selection::outside_interval_note(&plan.method, &ests) {
        let _ = writeln!(s, "{note}");
    }
    if let Some(note) = slaw::selection::open_below_note(&ests) {
        let _ = writeln!(s, "{note}");
    }
    if let Some(chosen) = ranking.iter().find(|r| r.chosen) {
        let choice = slaw::selection::Choice::of_partial(
            &plan.method,
            &ests,
            &crate::scheduler::partial(ranking),
        );
        let _ = writeln!(
            s,
            "chosen: {} ({}){}{}{}",
            chosen.id,
            choice.rule,
            slaw::selection::MayBeBetter::clause(&choice.may_be_better),
            failures.map(|f| format!("; {f}")).unwrap_or_default(),
            failed_contenders_clause(contenders)
        );
    }
    for note in failed_contender_notes(contenders) {
        let _ = writeln!(s, "note: {note}");
    }
    for note in failed_size_notes(ranking) {
        let _ = writeln!(s, "note: {note}");
    }
    if let Some(kind) = ests.iter().find_map(|e| e.interval_kind) {
        let _ = writeln!(
            s,
            "intervals: {}{}",
            kind.covers(),
            ests.iter()
                .find_map(|e| e.interval_from)
                .map(|m| format!("; built around {m}'s prediction, as its column says"))
                .unwrap_or_default()
        );
    }
    if uneven {
        let _ = writeln!(
            s,
            "from sizes: the sizes each candidate's estimate reads; a dropped candidate ran no \
             further size once its risk interval (the interval the decisions compare, not the \
             one printed) lay above the leading candidate's, so its rank rests on fewer sizes"
        );
    }
    if let Some(note) = dropped_extrapolation_note(plan, ranking) {
        let _ = writeln!(s, "note: {note}");
    }
    for w in warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}

/// One sentence per ranked candidate whose runs at a size failed with no
/// retries left, no larger size finished: what its rank rests on and how
/// the choice treats it (`slaw::selection::Choice::of_partial`).
pub fn failed_size_notes(ranking: &[RankedCandidate]) -> Vec<String> {
    ranking
        .iter()
        .filter_map(|r| {
            let at = r.failed_at?;
            let e = r.estimate.as_ref()?;
            let upto = r.sizes.map(|s| num(s[1])).unwrap_or_default();
            let iv = e
                .interval
                .map(|iv| format!(" [{}, {}]", num(iv.lo), num(iv.hi)))
                .unwrap_or_default();
            Some(format!(
                "'{}' is ranked from its completed sizes up to {upto} (its runs at n = {} \
                 failed with no retries left, {}): its \
                 interval{iv} reaches from that size to the target, and the choice takes it \
                 only when its risk score (the upper end of the risk interval the decisions compare) is the \
                 lowest, never as AtS's pick{}",
                r.id,
                num(at),
                if r.larger_sizes_failed {
                    "and every larger size that ran failed too"
                } else {
                    "so its larger sizes were not run"
                },
                if r.chosen {
                    ": it is chosen, its risk score the lowest even so"
                } else {
                    ": it is not chosen; fix the trainer and `slaw run --retry-failed` to rank \
                     it on its larger sizes"
                }
            ))
        })
        .collect()
}

/// The candidates successive halving dropped whose (line-method) estimate
/// extrapolates past the ratios the intervals were calibrated at: said as
/// a note, since the plan stopped them by design (the warning of
/// `slaw::selection::checks::extrapolation_warning` is kept for the
/// candidates still in the race, the plan's own budget). None otherwise.
pub fn dropped_extrapolation_note(plan: &Plan, ranking: &[RankedCandidate]) -> Option<String> {
    let (_, hi) = slaw::selection::checks::calibrated_ratios();
    let far: Vec<(&str, f64)> = ranking
        .iter()
        .filter(|r| r.dropped)
        .filter(|r| {
            r.estimate
                .as_ref()
                .is_some_and(|e| matches!(e.detail, slaw::selection::Detail::Ats { .. }))
        })
        .filter_map(|r| Some((r.id.as_str(), r.sizes?[1])))
        .filter(|(_, n)| plan.target / n > hi * (1.0 + 1e-9))
        .collect();
    let largest = far.iter().map(|f| f.1).fold(f64::NAN, f64::max);
    let smallest = far.iter().map(|f| f.1).fold(f64::NAN, f64::min);
    (!far.is_empty()).then(|| {
        format!(
            "{} dropped candidate(s) ({}) are ranked from sizes up to {}: {}x below the target, \
             past the {}x at which the line methods' intervals were calibrated, so their \
             intervals are not calibrated; successive halving stopped them there by design",
            far.len(),
            far.iter().map(|f| f.0).collect::<Vec<_>>().join(", "),
            num(largest),
            num(plan.target / smallest),
            num(hi)
        )
    })
}

/// The chosen candidate of a plan's ranking, and the runs of it that failed
/// with no attempts left (the `choice` of `slaw run --json`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunChoice {
    /// The chosen candidate's id.
    pub id: String,
    /// Its runs that failed with no attempts left (run ids).
    pub failed_runs: Vec<String>,
    /// The sentence on the `chosen:` line naming them (None: none failed).
    pub failures: Option<String>,
    /// The other ranked candidates with runs that failed with no retries
    /// left, in rank order ([`FailedContender`]); empty when none.
    pub failed_contenders: Vec<FailedContender>,
}

/// A ranked candidate, not the chosen one, with runs that failed with no
/// retries left: it is ranked from its completed runs only.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FailedContender {
    /// Its id.
    pub id: String,
    /// Its rank.
    pub rank: usize,
    /// The smallest and largest fine-tuning size its estimate reads (None
    /// without one).
    pub sizes: Option<[f64; 2]>,
    /// Its runs that failed with no attempts left (run ids).
    pub failed_runs: Vec<String>,
    /// Why each failed (the short form of the reason, as `failed_runs`).
    pub reasons: Vec<String>,
    /// Retrying its failed runs may change the choice: its interval's lower
    /// end (the calibrated one when it is open below, as
    /// `slaw::selection::MayBeBetter::of`) lies at or below the upper end of
    /// the chosen candidate's interval (or either has no interval). When
    /// false its interval lies wholly above the chosen one's: it is noted,
    /// and `slaw report`'s exit status does not change for it.
    pub may_change_choice: bool,
}

impl FailedContender {
    /// The failed runs with their reasons: "a|n=25600|seed=0 (timeout after 5 s)".
    fn runs(&self) -> String {
        self.failed_runs
            .iter()
            .zip(&self.reasons)
            .map(|(r, why)| format!("{r} ({why})"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn from(&self) -> String {
        self.sizes
            .map(|[lo, hi]| format!("{}..{}", num(lo), num(hi)))
            .unwrap_or_else(|| "its zero-shot loss only".into())
    }
}

/// The clause the `chosen:` line carries for the failed contenders that may
/// change the choice (empty when none): who, ranked from which sizes, which
/// runs failed and why, and that retrying them may change the choice.
pub fn failed_contenders_clause(list: &[FailedContender]) -> String {
    let open: Vec<&FailedContender> = list.iter().filter(|f| f.may_change_choice).collect();
    if open.is_empty() {
        return String::new();
    }
    let each: Vec<String> = open
        .iter()
        .map(|f| {
            format!(
                "'{}' (rank {}) is ranked from {} without its failed run(s) {}",
                f.id,
                f.rank,
                f.from(),
                f.runs()
            )
        })
        .collect();
    format!(
        "; {}: {} interval{} the chosen one's, so retrying the failed runs (`slaw run \
         --retry-failed`, after fixing their cause) may change the choice",
        each.join("; "),
        if open.len() == 1 { "its" } else { "their" },
        if open.len() == 1 {
            " overlaps"
        } else {
            "s overlap"
        }
    )
}

/// One note per failed contender that cannot change the choice: its
/// interval lies wholly above the chosen one's.
pub fn failed_contender_notes(list: &[FailedContender]) -> Vec<String> {
    list.iter()
        .filter(|f| !f.may_change_choice)
        .map(|f| {
            format!(
                "'{}' (rank {}) is ranked from {} without its failed run(s) {}: its interval \
                 lies wholly above the chosen one's, so retrying them is not expected to change \
                 the choice",
                f.id,
                f.rank,
                f.from(),
                f.runs()
            )
        })
        .collect()
}

/// The short form of a failure's reason: "the loss was not finite" for a
/// NaN or infinite loss, else its text up to the first ": " (the kind of
/// failure, e.g. "non-zero exit status 7").
fn short_reason(reason: &str) -> String {
    if reason.contains("not finite") || reason.contains("NaN") {
        "the loss was not finite (NaN)".into()
    } else {
        reason.split(": ").next().unwrap_or(reason).to_string()
    }
}

/// The chosen candidate with its failed runs ([`RunChoice`]); None when
/// nothing is chosen.
pub fn run_choice(
    decision: &crate::scheduler::Decision,
    ranking: &[RankedCandidate],
) -> Option<RunChoice> {
    let chosen = ranking.iter().find(|r| r.chosen)?;
    let st = decision.candidates.iter().find(|c| c.id == chosen.id)?;
    let chosen_hi = chosen
        .estimate
        .as_ref()
        .and_then(|e| e.interval)
        .map_or(f64::INFINITY, |i| i.hi);
    let failed_contenders = ranking
        .iter()
        .filter(|r| !r.chosen && r.failed_runs > 0)
        .filter_map(|r| {
            let e = r.estimate.as_ref()?;
            let cst = decision.candidates.iter().find(|c| c.id == r.id)?;
            let lo = match (e.open_below, e.interval) {
                (Some(open), _) => open.calibrated_lo,
                (None, Some(iv)) => iv.lo,
                (None, None) => f64::NEG_INFINITY,
            };
            Some(FailedContender {
                id: r.id.clone(),
                rank: r.rank?,
                sizes: r.sizes,
                failed_runs: cst.failed.iter().map(|f| f.0.clone()).collect(),
                reasons: cst.failed.iter().map(|f| short_reason(&f.1)).collect(),
                may_change_choice: {
                    let above = lo > chosen_hi;
                    !above
                },
            })
        })
        .collect();
    let failures = (!st.failed.is_empty()).then(|| {
        let mut sizes = st.failed_sizes.clone();
        sizes.sort_by(f64::total_cmp);
        sizes.dedup();
        let at = match (sizes.first(), sizes.last()) {
            (Some(a), Some(b)) if a != b => format!("{}-{}", num(*a), num(*b)),
            (Some(a), _) => num(*a),
            _ => String::new(),
        };
        let mut reasons: Vec<String> = st.failed.iter().map(|f| short_reason(&f.1)).collect();
        reasons.dedup();
        format!(
            "{} of its runs, at n = {at}, failed with no retries left ({}): it is chosen from \
             its other sizes; fix the trainer and `slaw run --retry-failed`",
            st.failed.len(),
            reasons.join("; ")
        )
    });
    Some(RunChoice {
        id: chosen.id.clone(),
        failed_runs: st.failed.iter().map(|f| f.0.clone()).collect(),
        failures,
        failed_contenders,
    })
}

/// The table of `slaw bench runner`.
pub fn bench_table(rows: &[crate::replay::BenchRow]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<8} {:>6} {:<14} {:>9} {:>12} {:>12} {:>9} {:>7} {:>8} {:>8}",
        "dataset",
        "budget",
        "runner",
        "runs",
        "vs ladder",
        "vs full FT",
        "PearCorr",
        "RelAcc",
        "dropped",
        "unranked"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:<8} {:>6} {:<14} {:>4}/{:<4} {:>11.1}% {:>11.2}% {:>9.1} {:>7.1} {:>8} {:>8}",
            r.dataset,
            format!("1/{}", r.ratio),
            r.mode.name(),
            r.runs,
            r.fixed_runs,
            100.0 * r.compute_vs_fixed,
            100.0 * r.compute_vs_full,
            100.0 * r.pear_corr,
            100.0 * r.rel_acc,
            r.dropped,
            r.unranked
        );
    }
    s
}

/// The equal-compute table of `slaw bench runner`.
pub fn equal_compute_table(rows: &[crate::replay::EqualCompute]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "equal total compute: the fixed ladder at 1/r against the ascending runner's largest budget that costs no more"
    );
    let _ = writeln!(
        s,
        "{:<8} {:>6} {:>10} {:>8} {:>8}   {:>9} {:>10} {:>8} {:>8}",
        "dataset",
        "fixed",
        "compute",
        "RelAcc",
        "PearCorr",
        "ascending",
        "compute",
        "RelAcc",
        "PearCorr"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:<8} {:>6} {:>9.2}% {:>8.1} {:>8.1}   {:>9} {:>9.2}% {:>8.1} {:>8.1}",
            r.dataset,
            format!("1/{}", r.fixed_ratio),
            100.0 * r.fixed_compute,
            100.0 * r.fixed_rel_acc,
            100.0 * r.fixed_pear_corr,
            r.ascending_ratio
                .map(|a| format!("1/{a}"))
                .unwrap_or_else(|| "-".into()),
            100.0 * r.ascending_compute,
            100.0 * r.ascending_rel_acc,
            100.0 * r.ascending_pear_corr,
        );
    }
    s
}

/// The widest a log's last line is shown, in display columns.
const LOG_LINE_WIDTH: usize = 120;

/// The last non-empty line of the log at `path` (a failed run's stderr:
/// "CUDA out of memory", a Python exception), its control characters
/// dropped and cut at its end to [`LOG_LINE_WIDTH`] columns (the error's
/// name comes first: "torch.OutOfMemoryError: CUDA out of memory. ...");
/// None when the file cannot be read or holds no text. Only the log's last
/// 64 KiB are read.
pub fn last_log_line(path: &str) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)))
        .ok()?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    // A progress bar's carriage returns: the text after the last one.
    let line = text
        .lines()
        .map(|l| l.rsplit('\r').find(|p| !p.trim().is_empty()).unwrap_or(""))
        .rfind(|l| !l.trim().is_empty())?;
    let clean: String = line
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let width = slaw::numbers::display_width(&clean);
    if width <= LOG_LINE_WIDTH {
        return Some(clean);
    }
    let mut out = String::new();
    let mut used = 0;
    for c in clean.chars() {
        let w = slaw::numbers::display_width(c.encode_utf8(&mut [0; 4]));
        if used + w > LOG_LINE_WIDTH - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    Some(out)
}

/// The width of an id column: 24, or the longest id (in display columns).
fn id_width<'a>(ids: impl Iterator<Item = &'a str>) -> usize {
    ids.map(slaw::numbers::display_width)
        .max()
        .unwrap_or(0)
        .max(24)
}
