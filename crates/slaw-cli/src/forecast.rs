//! `slaw forecast` and `slaw bench forecast`: argument parsing and printing.

use crate::output;
use anyhow::{bail, Result};
use clap::Args;
use slaw::forecast::job;
use slaw::forecast::{protocol, CurveLaw};
use slaw::table::Table;
use slaw_report::plot::{self, forecast::forecast_figure};
use slaw_report::report::forecast as rep;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ForecastArgs {
    /// A loss curve (CSV, TSV, JSON lines, a JSON array or trainer_state.json, a TensorBoard event
    /// file; - for stdin) with step and loss columns (and lr for the
    /// schedule-aware laws), or per-position data (step, position, loss) for the temporal law
    /// (positions counted from 1: position 1 is the first predicted token).
    file: PathBuf,
    /// The part of the curve to fit: a fraction (<= 1) of the logged span, from the curve's
    /// first step to its last (0.2 on a log resumed at step 50000 that ends at 70000 fits up to
    /// step 54000), a step (> 1), or step:N for the step N whatever its value (step:1 is step
    /// 1, where 1 alone is the whole curve).
    #[arg(long, default_value = "0.2", value_parser = fit_until, allow_negative_numbers = true)]
    fit_until: job::FitUntil,
    /// The first step fitted (rows before it are left out). Default: the first row; or, when the
    /// log's learning rate rises at its start (a warmup ramp from at most half its peak; or the
    /// --schedule's warmup), the end of that warmup, with a note, for auto and every law but
    /// multipower-warmup and temporal (the warmup's rows stay in the summed learning rate); 0 fits
    /// every row. A fraction of --fit-until stays a fraction of the whole log.
    #[arg(long, value_name = "STEP")]
    fit_from: Option<f64>,
    /// auto, temporal (per-position data), power, reciprocal, log (steps only), tissue,
    /// multipower, multipower-warmup (need the learning rate). auto: temporal with per-position data
    /// (with fewer than 6 checkpoints up to the end of the fit, the aggregate loss's laws below,
    /// with a warning saying why; temporal named explicitly refuses); with a learning rate, tissue or multipower (the lower held-out error on the window's last
    /// quarter) when the window pins their annealing terms, else reciprocal with a warning,
    /// its forecast beyond the window moved by the median effect of the decay ahead on other
    /// schedules' curves (as a schedule-aware law's on such a window; the interval, whose decay
    /// term holds the move, unchanged);
    /// without a learning rate, power when its held-out RMSE of ln L on the window's last
    /// quarter is below reciprocal's and within 2x the window's noise (the smaller RMSE of the
    /// two laws fitted on the whole window), or when reciprocal's is over 3x power's (reciprocal
    /// plainly misses the window's end), its intervals then widened to span reciprocal's,
    /// power's own interval printed beside them ("if power holds": it covered 64% / 93% of
    /// those runs' final losses at 25% / 50% windows, the hull 84% / 97%); else reciprocal. A step-only law forecast past a window after which the learning rate
    /// decays warns that it ignores the decay. auto's 90% intervals covered, as measured, 84%
    /// and 97% of the final losses of 73 / 124 real runs without a learning rate fitted on 25% /
    /// 50% of their steps, 17 and 18 of 18 multi-power curves at 20% and 50% (power alone at
    /// 25% only 64%: its forecast misses low where the runs decay late); on synthetic curves of
    /// four laws 134 of 144 (93%), the median half-width 0.5-4.9x the 90th percentile of the
    /// errors (BENCHMARKS.md, "Loss-curve forecasting").
    #[arg(long, default_value = "auto")]
    method: String,
    /// Steps to forecast (default: the last step of the file; before the first fitted step: a
    /// warning; where the law's loss is not > 0, e.g. the log law past its zero: an error).
    /// Past the file's last step, schedule-aware laws need --schedule (auto too, when it
    /// chooses one: it then refuses rather than hold the last learning rate; --method
    /// reciprocal needs none).
    #[arg(long, num_args = 1..)]
    at: Vec<f64>,
    /// The learning-rate schedule, KIND:KEY=VALUE,...; overrides an lr column. Kinds:
    /// constant:peak=P (P throughout); cosine:peak=P,total=T (cosine from P after the warmup to
    /// final at step T); linear:peak=P,total=T (linear from P after the warmup to final at T);
    /// wsd:peak=P,decay_start=S,total=T[,decay=linear|exp|cosine] (P until S, then the decay to
    /// final at T; default linear; exp needs final > 0); two-stage:peak=P,switch=S,low=Q (P,
    /// then Q from step S). Every kind takes warmup=W (a linear rise from 0 over W steps,
    /// default 0); cosine, linear and wsd take final=F (default 0), the rate after T. E.g.
    /// cosine:peak=3e-4,final=3e-5,total=24000,warmup=500. Where the file logs a rate over the
    /// fitted rows, a schedule whose shape departs from it by more than 3% of the peak, or
    /// whose peak differs by more than 2%, is warned about (the law reads the schedule).
    #[arg(long)]
    schedule: Option<String>,
    /// Bootstrap replicates for the forecast intervals (0: none; else at least 1 / (1 - level),
    /// 10 at 90%). A law's intervals past the fit
    /// add, in quadrature, its own extrapolation error calibrated by rolling-origin backtests in
    /// the window (each backtest error less the residuals' white noise, estimated from their
    /// first differences, that noise in quadrature; too few for a rank: pooled with a prior
    /// learned on other curves); where the
    /// learning rate still decays after the window, they also span the decay's effect as a prior
    /// learned on other schedules gives it. A schedule-aware law whose window does not pin its
    /// annealing terms forecasts beyond the window as the step-only reciprocal law does, moved by
    /// the median effect of the decay ahead on other schedules' curves, with that law's interval;
    /// its own forecast and interval are given beside (the JSON's `calibration`, `decay_term`,
    /// `unpinned_decay` and `law_interval` say which; coverage in BENCHMARKS.md). The temporal law's intervals past the fit are widened to
    /// forecast x exp(+-c ln(step / last fitted step)), c its extrapolation error per unit
    /// ln(step ratio) pooled over real runs (`temporal::POOLED_SCALE`, levels 0.5-0.99; the
    /// run's own rolling-origin calibration outside them; JSON interval_kind pooled-scale
    /// with its c; not-calibrated, the same band, where no trajectory reads the rate and the rate
    /// still decays after the window: the decay ahead is not in it, use --method multipower for an
    /// interval that admits it); at 90% it covered 81.7%, 94.1% and
    /// 87.6% of the later checkpoints from 10%, 20% and 30% of training on 29 real runs (`slaw
    /// bench temporal`). On a curve of over 100,000 points the replicates are predicted at every
    /// k-th point (k = ceil(points / 100,000)), the last and the forecast steps, not at every
    /// point (said in a note; JSON `bootstrap.band_points`): the intervals at the forecast steps
    /// are as on every point, the plot's band has none between grid points.
    #[arg(long, default_value_t = 200)]
    bootstrap: usize,
    /// Level of the intervals (0.9: the level their coverage is measured at, BENCHMARKS.md).
    #[arg(long, default_value_t = 0.9, allow_negative_numbers = true)]
    level: f64,
    /// Seed of the bootstrap's resampling (the same seed gives the same intervals).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The step column. Not given and the file has no `step` column: its one numeric column
    /// besides the loss (and the learning-rate and --run-col columns), said in a note; with
    /// several such columns, an error lists them.
    #[arg(long, default_value = "step")]
    step_col: String,
    /// The loss column (the default "loss", when the file has none: "train/loss" or "train_loss",
    /// as Hugging Face logs name the training loss, else a W&B export's one column named
    /// `RUN - METRIC` whose metric ends in `loss`, said in a note).
    #[arg(long, default_value = "loss")]
    loss_col: String,
    /// The learning-rate column (default: the first of "lr", "learning_rate" and
    /// "train/learning_rate" present, used when the rows with a loss have it).
    #[arg(long)]
    lr_col: Option<String>,
    /// The token-position column of per-position data (its presence selects that format;
    /// counted from 1, position 1 the first predicted token: the temporal law
    /// L_i = a0 / (1 + a1 i) + a2 is not shift-invariant).
    #[arg(long, default_value = "position")]
    position_col: String,
    /// The column naming the run of each row (or several, comma-separated: model,peak_lr; a run
    /// is one combination of their values): one forecast per run. A run that cannot be
    /// forecast (too few points, a window too short, a failed fit, a loss logged as NaN or inf
    /// inside the fitted window: a diverged run, named by the row of its first; one that
    /// diverged after the window is forecast from it, with a warning; a step that does not increase: two runs
    /// under one key, or rows out of order) is listed as skipped with its reason, the
    /// others are forecast, and the exit status is 3 (as for a fit that did not converge); other
    /// bad values in any run are an error of the file. JSON: {"forecasts": [...], "skipped":
    /// [{"run", "reason"}]}.
    #[arg(long)]
    run_col: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Plot the observed curve, the fitted part, the forecast and its band (.svg, .png or .pdf;
    /// with several runs, one file per run: NAME-RUN.svg).
    #[arg(long, value_parser = crate::plot_path)]
    plot: Option<PathBuf>,
    /// Also write a self-contained HTML page: the figure of each run, the forecasts, warnings,
    /// provenance.
    #[arg(long, value_parser = crate::html::report_path)]
    report: Option<PathBuf>,
    /// With several runs: each run's report after the summary table.
    #[arg(long, short)]
    verbose: bool,
}

/// `--fit-until`'s value ([`job::FitUntil::parse`]).
fn fit_until(s: &str) -> std::result::Result<job::FitUntil, String> {
    job::FitUntil::parse(s).map_err(|e| e.to_string())
}

pub fn cmd_forecast(a: ForecastArgs) -> Result<ExitCode> {
    crate::config::level(a.level)?;
    let mut spec = job::Spec {
        fit_until: a.fit_until,
        method: a.method.clone(),
        at: a.at.clone(),
        schedule: a.schedule.clone(),
        bootstrap: a.bootstrap,
        level: a.level,
        seed: a.seed,
        step_col: a.step_col.clone(),
        loss_col: a.loss_col.clone(),
        lr_col: a.lr_col.clone(),
        position_col: a.position_col.clone(),
        run_col: a.run_col.clone(),
        name: None,
        fit_from: a.fit_from,
    };
    let table = Table::read(&a.file)?;
    // A TensorBoard log directory of several runs: each run forecast, as
    // with --run-col.
    let run_col = a.run_col.clone().or(table.run_column.clone());
    spec.run_col = run_col.clone();
    // No step column (a file of n,loss or tokens,loss): its one numeric
    // column besides the loss (and the rate and run columns), said.
    if let Some(note) = spec.choose_step(&table)? {
        eprintln!("note: {note} (--step-col names another)");
    }
    // A W&B export's "run-1 - train/loss" read for the default `loss`: said.
    if let Some(note) = table.loss_column_note(&a.loss_col) {
        eprintln!("note: {note} (--loss-col names another)");
    }
    // Its learning rate ("run-1 - train/learning_rate"), found the same way: said.
    if let Some(note) = table.lr_column_note(a.lr_col.as_deref(), &a.loss_col) {
        eprintln!("note: {note} (--lr-col names another)");
    }
    if spec.positions(&table) && run_col.is_some() {
        bail!("--run-col is not supported with per-position data: one file per run");
    }
    let stem = a
        .file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("curve");
    // The table is the library's now: freed once its curves are read.
    let runs = spec.run_owned(table, stem)?;
    let (outputs, skipped) = (&runs.forecasts, &runs.skipped);
    // One run: its output; several: the list.
    // One curve: its output; with --run-col: every run's forecast and the
    // runs skipped (the library's `Runs`, as Python gets it).
    let v = if run_col.is_some() {
        serde_json::to_value(&runs)?
    } else {
        serde_json::to_value(&outputs[0])?
    };
    let table = outputs.len() + skipped.len() > 1;
    output::emit(a.json, &v, || {
        if table && !a.verbose {
            // Many runs: one table (a line per run), the reports on request.
            print!("{}", rep::runs_table(outputs, skipped));
        } else {
            if table {
                println!("{}", rep::runs_table(outputs, skipped));
            }
            for (i, o) in outputs.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                print!("{}", rep::forecast_report(o));
            }
        }
        // On stdout with the report, as every command's warnings; a skipped
        // run's reason is already in the runs table's row when there is one.
        if !table {
            for w in &runs.warnings {
                println!("warning: {w}");
            }
        }
    })?;
    if let Some(p) = &a.plot {
        // One file per run: names that meet after sanitizing ("a/b", "a_b")
        // get distinct ones.
        let runs: Vec<Vec<&str>> = outputs.iter().map(|o| vec![o.curve.as_str()]).collect();
        let suffixes = plot::file_suffixes(&runs);
        for (o, run) in outputs.iter().zip(&suffixes) {
            let path = if outputs.len() == 1 && skipped.is_empty() {
                p.clone()
            } else {
                let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("plot");
                let ext = p.extension().and_then(|s| s.to_str()).unwrap_or("svg");
                p.with_file_name(format!("{stem}-{run}.{ext}"))
            };
            plot::save(&forecast_figure(o), &path)?;
            eprintln!("plot written to {}", path.display());
        }
    }
    if let Some(p) = &a.report {
        let mut text = String::new();
        if table {
            text += &rep::runs_table(outputs, skipped);
            text += "\n";
        }
        for o in outputs {
            text += &rep::forecast_report(o);
            text += "\n";
        }
        if !table {
            for w in &runs.warnings {
                text += &format!("warning: {w}\n");
            }
        }
        let figures: Vec<_> = outputs
            .iter()
            .map(|o| (format!("Forecast of {}", o.curve), forecast_figure(o)))
            .collect();
        crate::html::write(
            p,
            &format!("slaw forecast {}", a.file.display()),
            &text,
            outputs,
            &figures,
            std::slice::from_ref(&a.file),
        )?;
    }
    let failed: Vec<&str> = outputs
        .iter()
        .filter(|o| !o.converged)
        .map(|o| o.curve.as_str())
        .collect();
    let mut what = Vec::new();
    if !failed.is_empty() {
        what.push(format!(
            "the fit did not converge ({})",
            some_names(&failed)
        ));
    }
    if !skipped.is_empty() {
        let names: Vec<&str> = skipped.iter().map(|k| k.run.as_str()).collect();
        what.push(format!("runs not forecast ({})", some_names(&names)));
    }
    Ok(output::converged_exit(what.is_empty(), &what.join("; ")))
}

/// The names of a closing line: every one up to 5, else the first 5 and
/// how many more (each is in the table above it).
fn some_names(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    if names.len() <= SHOWN {
        return names.join(", ");
    }
    format!(
        "{} of {}: {}, ... (every one in the table)",
        SHOWN,
        names.len(),
        names[..SHOWN].join(", ")
    )
}

/// `slaw bench forecast`: both protocols.
pub fn bench_forecast(
    data: &std::path::Path,
    coverage: Option<f64>,
    json: bool,
) -> Result<ExitCode> {
    if let Some(l) = coverage {
        if !(l > 0.0 && l < 1.0) {
            bail!("--coverage must be a level in (0, 1)");
        }
    }
    // Both inputs first: a missing one is an error before minutes of work.
    for need in ["multipower", "misfitting/scaling_results.csv"] {
        let p = data.join(need);
        if !p.exists() {
            anyhow::bail!("{}: not found (slaw bench forecast needs multipower/ and misfitting/ under --data)", p.display());
        }
    }
    let steps = crate::progress::Steps::new("forecast", json);
    let t = std::time::Instant::now();
    let sched = protocol::schedules(&data.join("multipower"), &CurveLaw::ALL, &steps)?;
    let t_sched = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let early = protocol::early_to_final(
        &data.join("misfitting/scaling_results.csv"),
        &CurveLaw::ALL,
        &[0.25, 0.5],
        coverage.map(|l| (200, l)),
        &steps,
    )?;
    let t_early = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let cov = match coverage {
        Some(l) => {
            protocol::schedules_coverage(&data.join("multipower"), &CurveLaw::ALL, 100, l, &steps)?
        }
        None => vec![],
    };
    let t_cov = t.elapsed().as_secs_f64();
    drop(steps);
    output::emit(
        json,
        &serde_json::json!({"schedules": sched, "early_to_final": early, "schedules_coverage": cov}),
        || {
            print!("{}", rep::schedules_table(&sched));
            println!("published (Luo et al.): multi-power 25M 0.9975 / 0.0039 / 0.0046, 100M 0.9982 / 0.0038 / 0.0051;");
            println!("                        Tissue et al.  25M 0.9904 / 0.0047 / 0.0060, 100M 0.9959 / 0.0068 / 0.0095");
            println!("(no auto row: auto, slaw forecast's default, forecasts a curve from its own first part, the early-to-final protocol below; this one predicts other schedules, slaw schedule's task, whose laws are named; {t_sched:.2} s)\n");
            print!("{}", rep::early_table(&early));
            println!("(the file has no learning rates: the schedule-aware laws are not run here; {t_early:.2} s)");
            if !cov.is_empty() {
                println!();
                print!("{}", rep::coverage_table(&cov));
                println!("({t_cov:.2} s)");
            }
        },
    )?;
    Ok(ExitCode::SUCCESS)
}
