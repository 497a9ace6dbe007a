//! The `slaw` command: parses arguments, calls the library, prints.

use anyhow::Result;
use bench::BenchWhat;
use clap::{Parser, Subcommand};
use compare::CompareArgs;
use fit::FitArgs;
use select::SelectArgs;
use slaw::analysis;
use slaw::law::catalog;
use slaw_report::{plot, report};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod bench;
mod compare;
mod config;
mod data;
mod fit;
mod forecast;
mod hints;
mod html;
mod joint;
mod output;
mod progress;
mod run;
mod schedule;
mod select;

#[derive(Parser)]
#[command(
    name = "slaw",
    version,
    about = "Scaling laws for LLM training decisions"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the runs a plan would launch and their estimated cost, without running.
    Plan(run::PlanCmdArgs),
    /// Run a plan's fine-tunings (resumable; journaled), adaptively, and rank the candidates.
    Run {
        #[command(flatten)]
        args: run::PlanArgs,
        /// No progress bars (--json shows none either).
        #[arg(long)]
        quiet: bool,
        /// First give every failed run of the journal its attempts back (`retries + 1`), so runs
        /// that failed for good (a typo in the command, a missing file) run again once the cause
        /// is fixed. When the plan's command (model, loss reader) was changed to fix it, only the
        /// failed runs run again, under the plan as it is now; the finished runs are kept and
        /// every report says how many were made with the earlier inputs.
        #[arg(long)]
        retry_failed: bool,
        /// Run again the runs of the journal made with another command template, model or loss
        /// reader than the plan now gives them (without it, such a journal is refused, naming what
        /// changed).
        #[arg(long)]
        rerun_changed: bool,
    },
    /// Runs done/running/failed per candidate, from the plan's journal.
    Status(run::PlanArgs),
    /// Ranking, predictions and failures from the plan's journal.
    ///
    /// Exit status 4 when the chosen candidate has failed runs, or another ranked candidate
    /// whose interval overlaps the chosen one's lost runs to failures (retrying them may change
    /// the choice), or no candidate could be ranked and some lost runs to failures (no result:
    /// fix them and `slaw run --retry-failed`); 3 when some candidates could not be scored
    /// (their runs failed) and are not ranked beside ranked ones (a partial result), or none
    /// could be ranked for another reason; candidates not run yet do not count.
    Report {
        #[command(flatten)]
        args: run::PlanArgs,
        /// Write the measured points, extrapolations and predictions (.svg, .png or .pdf).
        #[arg(long, value_parser = crate::plot_path)]
        plot: Option<PathBuf>,
        /// Also write a self-contained HTML page (figure, status, ranking, provenance).
        #[arg(long, value_parser = crate::html::report_path)]
        html: Option<PathBuf>,
    },
    /// Fit a law to data (CSV, TSV, JSON lines or array, TensorBoard events) and report parameters, fit quality and predictions.
    ///
    /// With one input, warns when the law does not follow the data: the last 3 fitted points
    /// all on one side of the curve by 2.5x the points' noise or more (the noise from the first
    /// differences of the residuals, at least 0.5% of the loss), or the held-out points all on one
    /// side at 4x that noise and 3x the fit's RMSD (JSON lack_of_fit).
    Fit(FitArgs),
    /// Fit several laws to the same data and choose among them: for one input, by backtests
    /// (the pick for extrapolation, see --pick), otherwise by held-out error.
    ///
    /// The backtest pick warns when its backtest error is 4x the points' noise or more: no law of
    /// the pool follows the points (JSON groups[].lack_of_fit).
    Compare(CompareArgs),
    /// List the built-in laws with their formulas and parameters.
    Laws {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks on the public data sets (see BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
    /// Choose the model to fine-tune: rank candidates by predicted loss at the target size.
    ///
    /// Exit status 3 when some candidates could not be scored and are not ranked (a partial
    /// result: the others are ranked, and the warnings name them); 2 for bad input.
    Select(SelectArgs),
    /// Fit the joint fine-tuning laws (multiplicative and additive) per method; held-out MAD side by side.
    Joint(joint::JointArgs),
    /// Which fine-tuning method for a setting: predicted loss per method, critical data sizes.
    ///
    /// A method left out of the decision (its runs cannot be fitted, or none varies the --at
    /// factor) is a warning, listed in the JSON's recommendation.left_out, and makes the exit
    /// status 3 (a partial result, as joint, fit --group and forecast --run-col do).
    Methods(joint::MethodsArgs),
    /// Compute-optimal model size and tokens for compute budgets: the Chinchilla law's fit,
    /// isoFLOP profiles or the envelope, or all three side by side.
    Allocate(joint::AllocateArgs),
    /// Forecast a training run's loss from the early part of its curve.
    Forecast(forecast::ForecastArgs),
    /// What-if learning-rate schedules: fit a schedule-aware law on runs, predict other schedules.
    Schedule(schedule::ScheduleArgs),
    /// Model selection on built-in synthetic candidates (no data needed); writes a plot.
    Demo {
        /// Where to write the plot (.svg, .png or .pdf). Default: slaw-demo.svg, except with
        /// --json, which writes no figure unless --plot is given; --plot /dev/null writes none.
        #[arg(long, value_parser = demo_plot_path)]
        plot: Option<PathBuf>,
        /// Seed of the candidates' 1% noise (each seed draws other noisy curves; the same seed
        /// gives the same output).
        #[arg(long, default_value_t = slaw_report::demo::DEFAULT_SEED)]
        seed: u64,
        /// Print JSON (the selection, the noise-free losses, the true best and the relative
        /// accuracy) instead of text.
        #[arg(long)]
        json: bool,
        /// Instead of the selection, write README's example input files into this folder (made if
        /// missing; files of the same names are replaced): the demo's curves and runs, training
        /// logs and pretraining grids drawn from known laws with fixed seeds (the repository's
        /// examples/ folder is this output).
        #[arg(long, value_name = "DIR")]
        write: Option<PathBuf>,
    },
}

/// `slaw demo --write DIR`: README's example files into `dir`, one line
/// per file on stdout.
fn write_examples(dir: &std::path::Path) -> Result<ExitCode> {
    use anyhow::Context;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot make the folder", dir.display()))?;
    for f in slaw_report::examples::example_files() {
        let p = dir.join(f.name);
        std::fs::write(&p, &f.text).with_context(|| format!("{}: cannot write", p.display()))?;
        println!("{}  {}", p.display(), f.about);
    }
    Ok(ExitCode::SUCCESS)
}

/// A `--plot` path: .svg, .png or .pdf, checked before any work is done.
fn plot_path(s: &str) -> std::result::Result<PathBuf, String> {
    let p = PathBuf::from(s);
    slaw_report::plot::check_path(&p).map_err(|e| e.to_string())?;
    Ok(p)
}

/// The demo's `--plot`: a plot path, or /dev/null for no figure.
fn demo_plot_path(s: &str) -> std::result::Result<PathBuf, String> {
    if Path::new(s) == Path::new(DEV_NULL) {
        return Ok(PathBuf::from(s));
    }
    plot_path(s)
}

/// `slaw demo --plot /dev/null`: no figure.
const DEV_NULL: &str = "/dev/null";

/// The command line, with every flag that takes a value allowed to take a
/// negative number (`--delta -1`, `--epochs -2`): slaw's own check then
/// says what is wrong, instead of clap's "unexpected argument '-1'" and its
/// tip `-- -1`, which would make the value a positional argument.
fn command() -> clap::Command {
    fn allow(c: clap::Command) -> clap::Command {
        c.mut_args(|a| {
            if a.get_action().takes_values() && !a.is_positional() {
                a.allow_negative_numbers(true)
            } else {
                a
            }
        })
        .mut_subcommands(allow)
    }
    allow(<Cli as clap::CommandFactory>::command())
}

fn main() -> ExitCode {
    let cmd = command();
    let matches = cmd.clone().get_matches();
    let cli =
        <Cli as clap::FromArgMatches>::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if !matches!(cli.command, Command::Run { .. }) {
        // Like other Unix tools, end quietly when the reader of stdout has
        // gone (`slaw laws | head -2`) instead of panicking on the write.
        // `slaw run` keeps SIGPIPE ignored while its runs are in flight (they
        // must be handed back), and restores it before printing.
        // SAFETY: restores the default action of a signal before any thread
        // is started.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let msg = output::message(&e);
            // A missing column: the flag that chose it, a near name.
            let args: Vec<String> = std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            let hint = hints::column_hint(&msg, &cmd, &matches, &args).unwrap_or_default();
            eprintln!("error: {msg}{hint}");
            output::exit_code(&e)
        }
    }
}

/// [`dispatch`]; a benchmark whose data folder does not exist gets a hint:
/// the default folders are relative to the current one.
fn run(cli: Cli) -> Result<ExitCode> {
    let bench_data = match &cli.command {
        Command::Bench { what } => Some(what.data().to_path_buf()),
        _ => None,
    };
    match (dispatch(cli), bench_data) {
        (Err(e), Some(d)) if !d.exists() => Err(anyhow::anyhow!(
            "{}; the benchmark's --data folder {} does not exist here ({}; the defaults are \
             relative to the repository's root): pass --data DIR",
            output::message(&e),
            d.display(),
            std::env::current_dir()
                .map(|c| format!("the current folder is {}", c.display()))
                .unwrap_or_else(|_| "the current folder is unknown".into())
        )),
        (r, _) => r,
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Laws { json } => {
            let laws = catalog::all();
            let curve_laws = slaw::law::curves::all();
            let forms = slaw::forecast::trajectory::form_laws();
            let procedures = slaw::pick::authors_m4_laws();
            let v = analysis::law_listing();
            output::emit(json, &v, || {
                print!("{}", report::law_catalog(&laws));
                println!("Loss-curve laws of `slaw forecast` (t: step; S1, S2: learning-rate areas; i: token position).");
                println!("power and reciprocal here are forecast's own, with bounds and grids for loss curves in the");
                println!("step; `slaw fit --law power|reciprocal` uses the catalog's above (same formulas):\n");
                print!("{}", report::law_catalog(&curve_laws));
                println!("Trajectory forms of the temporal law: how a0, a1, a2 move over training");
                println!("(tau = step / last fitted step; S1 = summed learning rate / peak rate / last fitted step;");
                println!(
                    " eta = learning rate / peak rate; chosen per parameter by held-out error):\n"
                );
                print!("{}", report::law_catalog(&forms));
                println!("\nProcedures of `slaw compare`'s pool (law m4 above, fitted another way; not for `fit --law`):\n");
                for p in &procedures {
                    println!("{:<18} {}", p.name, p.description);
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Fit(a) => fit::cmd_fit(a),
        Command::Joint(a) => joint::cmd_joint(a),
        Command::Forecast(a) => forecast::cmd_forecast(a),
        Command::Schedule(a) => schedule::cmd_schedule(a),
        Command::Plan(a) => run::cmd_plan(a),
        Command::Run {
            args,
            quiet,
            retry_failed,
            rerun_changed,
        } => run::cmd_run(args, quiet, retry_failed, rerun_changed),
        Command::Status(a) => run::cmd_status(a, None),
        Command::Report { args, plot, html } => run::cmd_status(args, Some((plot, html))),
        Command::Bench { what } => bench::cmd_bench(what),
        Command::Methods(a) => joint::cmd_methods(a),
        Command::Allocate(a) => joint::cmd_allocate(a),
        Command::Compare(a) => compare::cmd_compare(a),
        Command::Demo {
            write: Some(dir), ..
        } => write_examples(&dir),
        Command::Demo {
            plot: path,
            seed,
            json,
            write: None,
        } => {
            let demo = slaw_report::demo::run_demo(seed)?;
            // The selection's JSON plus what the text prints after it: the
            // true best and how good the choice was.
            let mut value = serde_json::to_value(&demo.selection)?;
            if let Some(o) = value.as_object_mut() {
                o.insert("true_best".into(), demo.best.clone().into());
                o.insert("relative_accuracy".into(), demo.relative_accuracy.into());
                // What both are computed from: the law's losses without noise.
                let truth: serde_json::Map<String, serde_json::Value> = demo
                    .pool
                    .iter()
                    .zip(&demo.truth)
                    .map(|(c, t)| (c.id.clone(), (*t).into()))
                    .collect();
                o.insert("noise_free_loss_at_target".into(), truth.into());
                o.insert(
                    "true_best_and_relative_accuracy_from".into(),
                    "noise_free_loss_at_target (not observed_at_target, a noisy draw)".into(),
                );
            }
            output::emit(json, &value, || {
                println!(
                    "Demo: choose which of {} synthetic pre-trained models to fine-tune on {} examples,",
                    demo.pool.len(),
                    report::num(slaw_report::demo::TARGET)
                );
                println!("fine-tuning each only on subsets of at most 1/64 of the data. The curves follow the");
                println!("rectified law with parameters of real FLAN fits and 1% noise; the \"observed\" column");
                println!(
                    "is the noisy measurement at the full size, which the selection never sees. The"
                );
                println!(
                    "cost's FLOPs assume {} tokens per example (the demo's assumption: synthetic",
                    report::num(slaw_report::demo::TOKENS_PER_EXAMPLE)
                );
                println!("candidates have no data to count tokens in).\n");
                print!("{}", report::selection_report(&demo.selection));
                print!("{}", demo.verdict());
            })?;
            // The figure: slaw-demo.svg by default; with --json only where
            // --plot asks (stdout is the JSON, and a file beside it is a
            // side effect the reader of JSON does not expect).
            let path = match path {
                Some(p) => Some(p),
                None if json => None,
                None => Some(PathBuf::from("slaw-demo.svg")),
            };
            match path {
                Some(p) if p == Path::new(DEV_NULL) => {
                    eprintln!("no plot written (--plot /dev/null)");
                }
                Some(p) => {
                    let fig = plot::selection_figure(&demo.pool, &demo.selection);
                    plot::save(&fig, &p)?;
                    eprintln!("plot written to {}", p.display());
                }
                None => {}
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Select(a) => select::cmd_select(a),
    }
}
