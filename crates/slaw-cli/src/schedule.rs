//! `slaw schedule`: what-if learning-rate schedules from the runs one has.

use crate::output;
use anyhow::{bail, Result};
use clap::Args;
use slaw::forecast::whatif_job::{self, Spec as WhatIfSpec};
use slaw_report::plot::{self, forecast::what_if_figure};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ScheduleArgs {
    /// Loss curves of finished (or running) runs: step, lr and loss columns. Several files,
    /// or one file with --run-col.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// A schedule to predict (repeatable): KIND:KEY=VALUE,... as `slaw forecast --schedule`
    /// takes: constant:peak=P; cosine:peak=P,total=T; linear:peak=P,total=T;
    /// wsd:peak=P,decay_start=S,total=T[,decay=linear|exp|cosine]; two-stage:peak=P,switch=S,low=Q
    /// (every kind also takes warmup=W, default 0; cosine, linear and wsd also final=F, the
    /// last learning rate, default 0; constant and two-stage end at --steps); or lr:FILE, a
    /// file with the learning rate per step (columns --step-col, --lr-col; a first row at step 0
    /// is the warmup's start).
    #[arg(long, num_args = 1..)]
    predict: Vec<String>,
    /// The step budget: the last step of predicted schedules without a total (constant,
    /// two-stage) and of the --optimize-wsd family.
    #[arg(long, allow_negative_numbers = true)]
    steps: Option<f64>,
    /// Spacing of the predicted points (default: the median spacing of the first run).
    #[arg(long, allow_negative_numbers = true)]
    every: Option<f64>,
    /// Search the WSD family for a budget of --steps: decays ending at the last step, of each
    /// length in --decay-fractions (of the steps after warmup). Takes peak=,final=,warmup=[,decay=].
    /// Names every length not distinguishable from the lowest predicted (its final loss minus the
    /// lowest's has an interval reaching 0, from the refit spread and the schedule-transfer
    /// error); when they are more than half the lengths, says the runs do not decide, with the
    /// largest predicted loss difference among them, and the fit's unpinned-parameter caveats.
    #[arg(long)]
    optimize_wsd: Option<String>,
    /// The decay lengths --optimize-wsd tries, as fractions of the steps after warmup
    /// (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.05,0.1,0.15,0.2,0.25,0.3,0.4,0.5"
    )]
    decay_fractions: Vec<f64>,
    /// tissue, multipower or multipower-warmup (the warmup in the drop sum, as the paper).
    #[arg(long, default_value = "tissue")]
    method: String,
    /// Bootstrap replicates for the intervals (0: none; else at least 1 / (1 - level), 10 at
    /// 90%). The intervals add, in quadrature and in ln L (both ends > 0), the
    /// leave-one-run-out schedule-transfer error (times Student's t for so few runs) and the law's
    /// rolling-origin extrapolation error along the steps (as `slaw forecast`'s: each backtest
    /// error less the residuals' white noise, from their first differences, that noise in
    /// quadrature); where a schedule decays further than any run did, they also span the decay
    /// prior's range (as `slaw forecast`). Coverage as measured at 90% on the multi-power runs
    /// (two model sizes, nine schedules each), fitting every choice of three schedules and
    /// predicting the final loss of the six others (504 per size): tissue 92% and 95%,
    /// multipower 89% and 90%, multipower-warmup 88% and 89% (on the published choice of three
    /// alone, 6 targets per size: tissue 8 of 12, the others 12 of 12); on synthetic runs that
    /// follow the law they are
    /// conservative, the more so the noisier the points (median half-width 7.3-10.3x the errors
    /// at 3x the runs' length; BENCHMARKS.md). With one run the transfer error is not measured: the intervals leave it
    /// out (a warning; JSON interval_kind bootstrap, not backtest). A predicted loss that is
    /// not > 0 gets no interval, and a warning.
    #[arg(long, default_value_t = 100)]
    bootstrap: usize,
    /// Level of the intervals (0.9: the level their coverage is measured at, BENCHMARKS.md).
    #[arg(long, default_value_t = 0.9, allow_negative_numbers = true)]
    level: f64,
    /// Seed of the bootstrap's resampling (the same seed gives the same intervals).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The step column: optimizer steps for the default law, tissue, whose momentum is per
    /// step (tokens or another unit of the steps change its answer; multipower's does not).
    #[arg(long, default_value = "step")]
    step_col: String,
    /// The loss column.
    #[arg(long, default_value = "loss")]
    loss_col: String,
    /// The learning-rate column (of an `lr:FILE` schedule without an `lr` column, by default
    /// the first of "learning_rate" and "train/learning_rate" present, as `slaw forecast`).
    #[arg(long, default_value = "lr")]
    lr_col: String,
    /// The column naming the run of each row (or several, comma-separated).
    #[arg(long)]
    run_col: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Plot the fitted runs with the law's fit through them, and the predicted curves with
    /// their interval (a band, and a bar at the final loss) (.svg, .png or .pdf).
    #[arg(long, value_parser = crate::plot_path)]
    plot: Option<PathBuf>,
}

pub fn cmd_schedule(a: ScheduleArgs) -> Result<ExitCode> {
    crate::config::level(a.level)?;
    let spec = WhatIfSpec {
        predict: a.predict,
        steps: a.steps,
        every: a.every,
        optimize_wsd: a.optimize_wsd,
        decay_fractions: a.decay_fractions,
        method: a.method,
        bootstrap: a.bootstrap,
        level: a.level,
        seed: a.seed,
        step_col: a.step_col,
        loss_col: a.loss_col,
        lr_col: a.lr_col,
        run_col: a.run_col,
    };
    spec.check()?;
    crate::config::stdin_once(
        a.files
            .iter()
            .enumerate()
            .map(|(k, f)| (format!("run {}", k + 1), f.as_path())),
    )?;
    if !spec.predicts() {
        bail!("nothing to predict: give --predict SCHEDULE or --optimize-wsd");
    }
    let files: Vec<&std::path::Path> = a.files.iter().map(|f| f.as_path()).collect();
    let runs = whatif_job::read_files(&files)?;
    let inputs: Vec<(&slaw::table::Table, &str)> =
        runs.iter().map(|(t, s)| (t, s.as_str())).collect();
    let w = spec.run(&inputs)?;
    output::emit(a.json, &w, || {
        print!("{}", slaw_report::report::forecast::schedule_report(&w));
    })?;
    if let Some(p) = &a.plot {
        plot::save(&what_if_figure(&w), p)?;
        eprintln!("plot written to {}", p.display());
    }
    Ok(output::converged_exit(
        w.converged,
        "the fit did not converge",
    ))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapped {
        #[command(flatten)]
        args: super::ScheduleArgs,
    }

    /// The default written out for the help (comma-separated, as typed) is
    /// the library's.
    #[test]
    fn the_default_decay_fractions_are_the_librarys() {
        let w = Wrapped::parse_from(["slaw", "runs.csv"]);
        assert_eq!(
            w.args.decay_fractions,
            slaw::forecast::whatif_job::DEFAULT_DECAY_FRACTIONS.to_vec()
        );
    }
}
