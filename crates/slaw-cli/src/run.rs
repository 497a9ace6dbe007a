//! `slaw plan`, `slaw run`, `slaw status`, `slaw report`: argument parsing,
//! progress bars and printing.

use crate::output;
use anyhow::Result;
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use slaw_run::backend::local::Local;
use slaw_run::backend::slurm::Slurm;
use slaw_run::journal::Journal;
use slaw_run::plan::BackendKind;
use slaw_run::report;
use slaw_run::runner;
use slaw_run::scheduler;
use slaw_run::Plan;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct PlanArgs {
    /// The plan file (TOML; see README "slaw run").
    plan: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// `slaw plan`'s arguments: the plan's, and --verbose.
#[derive(Args)]
pub struct PlanCmdArgs {
    #[command(flatten)]
    args: PlanArgs,
    /// Every run and its command after the per-candidate table.
    #[arg(long, short)]
    verbose: bool,
}

pub fn cmd_plan(a: PlanCmdArgs) -> Result<ExitCode> {
    let plan = Plan::load(&a.args.plan)?;
    // The JSON is the struct the text prints.
    let summary = report::plan_summary(&plan);
    output::emit(a.args.json, &summary, || {
        print!("{}", report::plan_report(&plan, a.verbose))
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn cmd_run(
    a: PlanArgs,
    quiet: bool,
    retry_failed: bool,
    rerun_changed: bool,
) -> Result<ExitCode> {
    let plan = Plan::load(&a.plan)?;
    // Before the journal is first opened: a wait on its lock is cut short
    // by an interrupt.
    let stop = slaw_run::interrupt::flag();
    let interrupted = |e: slaw_run::Error| match e {
        slaw_run::Error::Journal { .. } if slaw_run::interrupt::requested() => {
            slaw_run::Error::Interrupted
        }
        e => e,
    };
    if plan.journal.exists() {
        if rerun_changed {
            let n = runner::rerun_changed(&plan).map_err(interrupted)?;
            eprintln!("{n} run(s) made with other inputs queued to run again");
        } else {
            let records = Journal::open(&plan.journal)
                .and_then(|j| j.all())
                .map_err(interrupted)?;
            let changes = runner::input_changes(&plan, &records);
            if !changes.is_empty() && retry_failed {
                // The user fixed a failure's cause in the plan: the failed
                // runs run again under the plan's inputs now, the finished
                // ones are kept as they are, and every report says so.
                eprintln!(
                    "note: runs of the journal were made with other inputs than the plan now \
                     gives them: {}. Only the failed runs run again (under the plan's inputs now); \
                     the finished runs are kept and counted as they are, and `slaw status` and \
                     `slaw report` say so. `slaw run --rerun-changed` runs them all again",
                    changes.join("; ")
                );
            } else if !changes.is_empty() {
                anyhow::bail!(
                    "{}: the journal {} has runs made with other inputs than the plan now gives \
                     them, so their results are not this plan's: {}. `slaw run --rerun-changed` \
                     runs them all again; if the change only fixes the cause of failed runs, \
                     `slaw run --retry-failed` runs only the failed runs under the plan's inputs \
                     now and keeps the finished ones (reports then count the runs made with the \
                     earlier inputs); or restore the plan, or give it its own journal",
                    plan.path.display(),
                    plan.journal.display(),
                    changes.join("; ")
                );
            }
        }
        if retry_failed {
            let n = Journal::open(&plan.journal)
                .and_then(|mut j| j.retry_failed())
                .map_err(interrupted)?;
            eprintln!("{n} failed run(s) given their attempts back");
        }
    }
    let mut backend: Box<dyn slaw_run::backend::Backend> = match plan.backend {
        BackendKind::Local => Box::new(Local::default()),
        BackendKind::Slurm => Box::new(Slurm::new(plan.slurm.sbatch_args.clone(), &plan.journal)),
    };
    let multi = MultiProgress::new();
    if quiet || a.json {
        multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let per = (plan.sizes().len() * plan.seeds.len()) as u64;
    let style = ProgressStyle::with_template("{prefix:<20} {bar:20} {pos}/{len} {msg}")
        .expect("valid template");
    let bars: Vec<ProgressBar> = plan
        .candidates
        .iter()
        .map(|c| {
            let b = multi.add(ProgressBar::new(per));
            b.set_style(style.clone());
            b.set_prefix(c.id.clone());
            b
        })
        .collect();
    let leader = multi.add(ProgressBar::new_spinner());
    let mut last_points = usize::MAX;
    let quick = Plan {
        bootstrap: 0,
        ..plan.clone()
    };
    // `--retry-failed` keeps the finished runs made under earlier inputs
    // (said above and in the reports); a plain run refuses them.
    let run = if retry_failed {
        runner::run_keeping_finished
    } else {
        runner::run
    };
    let summary = run(&plan, backend.as_mut(), stop, &mut |d, _| {
        for (b, c) in bars.iter().zip(&d.candidates) {
            b.set_position(c.done as u64);
            b.set_message(format!(
                "running {} queued {} failed {}{}",
                c.running,
                c.queued,
                c.failed.len(),
                c.stopped
                    .as_ref()
                    .map(|s| format!(" - {s}"))
                    .unwrap_or_default()
            ));
        }
        let points: usize = d.candidates.iter().map(|c| c.points.len()).sum();
        if points != last_points {
            last_points = points;
            let r = slaw_run::scheduler::rank(&quick, &d.candidates);
            let ranked: Vec<String> = r
                .iter()
                .filter(|c| c.rank.is_some())
                .map(|c| c.id.clone())
                .collect();
            leader.set_message(format!("current ranking: {}", ranked.join(" > ")));
        }
    });
    // Each bar stays where its candidate stopped (a dropped candidate ends
    // short of its ladder).
    for b in &bars {
        b.abandon();
    }
    leader.finish_and_clear();
    let mut summary = summary?;
    // Every run is handed back: from here on, end quietly like other Unix
    // tools when the reader of stdout has gone (`slaw run plan.toml | head`).
    // SAFETY: restores the default action of a signal; the run loop's
    // threads are done.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let runs = Journal::open(&plan.journal)?.all()?;
    // Runs kept from earlier inputs (`--retry-failed` after a change of the
    // plan): said first among the warnings, as `slaw status` and `slaw
    // report` say it.
    if let Some(w) = kept_runs_warning(&plan, &runs) {
        summary.warnings.insert(0, w);
    }
    // Runs of the journal an edited plan no longer has: named, not counted.
    if let Some(w) = outside_plan_warning(&plan, &runs)? {
        summary.warnings.insert(0, w);
    }
    output::emit(a.json, &summary, || {
        print!("{}", report::status_report(&plan, &summary, &runs));
        print!(
            "{}",
            report::ranking_report(
                &summary.ranked_plan(&plan),
                &summary.ranking,
                &summary.warnings,
                summary.choice.as_ref(),
                &summary.notes,
            )
        );
    })?;
    let failed = summary
        .decision
        .candidates
        .iter()
        .any(|c| !c.failed.is_empty());
    Ok(if failed {
        eprintln!("some runs failed with no retries left (see above); exit status 4");
        ExitCode::from(4)
    } else {
        ExitCode::SUCCESS
    })
}

/// The warning of `slaw run`, `status` and `report` when runs of the
/// journal were made with other inputs than the plan now gives them (kept
/// and counted as they are); None when none were.
fn kept_runs_warning(plan: &Plan, runs: &[slaw_run::journal::Record]) -> Option<String> {
    let changes = runner::input_changes(plan, runs);
    (!changes.is_empty()).then(|| {
        format!(
            "runs of the journal were made with other inputs than the plan now gives them, \
             and are counted as they are: {}. `slaw run --rerun-changed` runs them again",
            changes.join("; ")
        )
    })
}

/// The warning naming the journal's runs that are no run of the plan (an
/// edited plan's), left out of every count; None when there are none. A
/// row under another run's key is an error (`runner::rows_outside_plan`).
fn outside_plan_warning(
    plan: &Plan,
    runs: &[slaw_run::journal::Record],
) -> slaw_run::Result<Option<String>> {
    let outside = runner::rows_outside_plan(plan, runs)?;
    Ok(report::outside_plan_warning(plan, &outside))
}

/// `slaw status` (report None) and `slaw report` (Some((optional plot path, optional HTML page))).
pub fn cmd_status(
    a: PlanArgs,
    report: Option<(Option<PathBuf>, Option<PathBuf>)>,
) -> Result<ExitCode> {
    let ranking = report.is_some();
    let plan = Plan::load(&a.plan)?;
    if !plan.journal.exists() {
        anyhow::bail!(
            "{}: no journal at {} (nothing has run yet: `slaw run {}`)",
            plan.path.display(),
            plan.journal.display(),
            plan.path.display()
        );
    }
    let summary = runner::snapshot(&plan, ranking)?;
    let runs = Journal::open(&plan.journal)?.all()?;
    // On stdout with the report (and in the JSON's `warnings`), as every
    // command's warnings.
    let warnings: Vec<String> = outside_plan_warning(&plan, &runs)?
        .into_iter()
        .chain(kept_runs_warning(&plan, &runs))
        .collect();
    let warning_lines: String = warnings.iter().map(|w| format!("warning: {w}\n")).collect();
    // The JSON's `warnings` holds every warning: the journal's, then the
    // ranking's (also in `summary.warnings`, where `slaw run --json` has
    // them); the text prints the ranking's with the ranking.
    let all_warnings: Vec<&String> = warnings.iter().chain(&summary.warnings).collect();
    let v = serde_json::json!({"summary": summary, "runs": runs, "warnings": all_warnings});
    output::emit(a.json, &v, || {
        print!("{warning_lines}");
        print!("{}", report::status_report(&plan, &summary, &runs));
        if ranking {
            print!(
                "{}",
                report::ranking_report(
                    &summary.ranked_plan(&plan),
                    &summary.ranking,
                    &summary.warnings,
                    summary.choice.as_ref(),
                    &summary.notes,
                )
            );
        }
    })?;
    let (plot, html) = report.unwrap_or((None, None));
    // The page first: it holds the status even when nothing can be ranked
    // (and so plotted) yet.
    if let Some(path) = html {
        let text = warning_lines.clone()
            + &report::status_report(&plan, &summary, &runs)
            + &report::ranking_report(
                &summary.ranked_plan(&plan),
                &summary.ranking,
                &summary.warnings,
                summary.choice.as_ref(),
                &summary.notes,
            );
        let figures: Vec<_> = scheduler::as_selection(
            &summary.ranked_plan(&plan),
            &summary.decision.candidates,
            &summary.ranking,
            &summary.warnings,
        )
        .map(|(pool, sel)| {
            (
                "Measured losses, extrapolations and the chosen model".to_string(),
                slaw_report::plot::selection_figure_with_failures(
                    &pool,
                    &sel,
                    &scheduler::failed_points(&summary.decision.candidates),
                ),
            )
        })
        .into_iter()
        .collect();
        crate::html::write(
            &path,
            &format!("slaw report {}", plan.path.display()),
            &text,
            &v,
            &figures,
            // the plan, its journal and the reference tables it reads
            &[plan.path.clone(), plan.journal.clone()]
                .into_iter()
                .chain(plan.reference.iter().cloned())
                .collect::<Vec<_>>(),
        )?;
    }
    if let Some(path) = plot {
        let Some((pool, sel)) = scheduler::as_selection(
            &summary.ranked_plan(&plan),
            &summary.decision.candidates,
            &summary.ranking,
            &summary.warnings,
        ) else {
            anyhow::bail!(
                "{}: no candidate can be ranked yet, so there is nothing to plot",
                plan.path.display()
            );
        };
        let fig = slaw_report::plot::selection_figure_with_failures(
            &pool,
            &sel,
            &scheduler::failed_points(&summary.decision.candidates),
        );
        slaw_report::plot::save(&fig, &path)?;
        eprintln!("plot written to {}", path.display());
    }
    // `report` presents the ranking: candidates that could not be scored
    // (not those not run yet) beside ranked ones make it a partial result,
    // exit 3 as `select` (where none is ranked and some could not be
    // scored: no result, below).
    let unranked = summary
        .ranking
        .iter()
        .filter(|c| c.rank.is_none() && c.error.is_some())
        .count();
    let ranked = summary.ranking.iter().any(|c| c.rank.is_some());
    // The chosen candidate has runs that failed for good: the choice rests
    // on its other sizes, exit 4 as `slaw run` with failures.
    if let Some(f) = summary
        .choice
        .as_ref()
        .filter(|_| ranking)
        .and_then(|c| c.failures.as_ref().map(|f| (c, f)))
    {
        eprintln!(
            "error: the chosen candidate {}: {}; exit status 4",
            f.0.id, f.1
        );
        return Ok(ExitCode::from(4));
    }
    // Another ranked candidate lost runs to failures and its interval
    // overlaps the chosen one's: retrying them may change the choice, exit
    // 4 as `slaw run` with failures. One whose interval lies wholly above
    // the chosen one's is noted only.
    let open: Vec<&report::FailedContender> = summary
        .choice
        .iter()
        .filter(|_| ranking)
        .flat_map(|c| &c.failed_contenders)
        .filter(|f| f.may_change_choice)
        .collect();
    if !open.is_empty() {
        eprintln!(
            "error: {} ranked without failed runs that may change the choice ({}): fix their \
             cause and `slaw run --retry-failed`; exit status 4",
            if open.len() == 1 {
                "a candidate is"
            } else {
                "candidates are"
            },
            open.iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(ExitCode::from(4));
    }
    // No candidate ranked although some could have been scored (their
    // runs ended): the report has no result. Exit 4 when runs failed for
    // good (retrying them is what can give a ranking, as `slaw run`'s
    // status), else 3: never 0, which a script would take for a choice.
    if ranking && !ranked && unranked > 0 {
        let lost: Vec<&str> = summary
            .ranking
            .iter()
            .filter(|c| c.rank.is_none() && c.error.is_some() && c.failed_runs > 0)
            .map(|c| c.id.as_str())
            .collect();
        if !lost.is_empty() {
            eprintln!(
                "error: no candidate could be ranked: {} of {} lost runs to failures ({}): fix \
                 their cause and `slaw run --retry-failed`; exit status 4",
                lost.len(),
                summary.ranking.len(),
                lost.join(", ")
            );
            return Ok(ExitCode::from(4));
        }
        eprintln!(
            "error: no candidate could be ranked (see the ranking); exit status {}",
            output::EXIT_NOT_CONVERGED
        );
        return Ok(ExitCode::from(output::EXIT_NOT_CONVERGED));
    }
    if ranking && ranked && unranked > 0 {
        eprintln!(
            "partial result: {unranked} of {} candidates not ranked (see the warnings); exit status {}",
            summary.ranking.len(),
            output::EXIT_NOT_CONVERGED
        );
        return Ok(ExitCode::from(output::EXIT_NOT_CONVERGED));
    }
    Ok(ExitCode::SUCCESS)
}

/// `slaw bench runner`: the scheduler replayed on every CSV of `data`.
pub fn bench_runner(
    data: &std::path::Path,
    method: Option<&str>,
    references: bool,
    json: bool,
) -> Result<ExitCode> {
    use slaw::progress::Progress;
    // An unknown method is the flag's fault, before any data is read (the
    // replay's plans would name a file the user never gave).
    if let Some(m) = method {
        slaw::selection::Method::parse_or_default(Some(m), references, 3, 5.0)
            .map_err(|e| anyhow::anyhow!("--method: {}", crate::output::message(&e.into())))?;
    }
    let start = std::time::Instant::now();
    let mut rows = Vec::new();
    let files = slaw_report::bench::wide_csvs(data)?;
    let steps = crate::progress::Steps::new("runner", json);
    steps.start("datasets", files.len());
    for f in &files {
        let pool = slaw::datasets::finetune_wide(f)?;
        let others: Vec<std::path::PathBuf> = if references {
            files.iter().filter(|g| *g != f).cloned().collect()
        } else {
            vec![]
        };
        let name = f
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        // Budgets 1/2 and 1/4 too: the ascending runner may afford them at
        // the fixed ladder's compute.
        let ratios: Vec<u32> = [2, 4]
            .into_iter()
            .chain(slaw::selection::protocol::RATIOS)
            .collect();
        rows.extend(slaw_run::replay::bench(
            &name,
            &pool,
            slaw::selection::protocol::FULL_SIZE,
            &ratios,
            method,
            &others,
        )?);
        steps.tick();
    }
    drop(steps);
    let equal = slaw_run::replay::equal_compute(&rows);
    output::emit(
        json,
        &serde_json::json!({ "rows": rows, "equal_compute": equal }),
        || {
            print!("{}", report::bench_table(&rows));
            println!();
            print!("{}", report::equal_compute_table(&equal));
            let method = method.unwrap_or(
                slaw::selection::Method::default_for(references && files.len() > 1).name(),
            );
            let refs = if references {
                "; each dataset with the others as references"
            } else {
                ""
            };
            println!(
                "\nmethod {method}{refs}; {:.2} s in all",
                start.elapsed().as_secs_f64()
            );
        },
    )?;
    Ok(ExitCode::SUCCESS)
}
