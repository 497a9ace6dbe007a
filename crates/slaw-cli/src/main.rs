//! The `slaw` command: parses arguments, calls the library, prints.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use slaw::analysis::{self, FitJob};
use slaw::law::{catalog, formula::formula_law, Law};
use slaw::observations::{DataSpec, Holdout, Observations};
use slaw::table::Table;
use slaw_report::{plot, report};
use std::path::PathBuf;
use std::process::ExitCode;

mod config;
mod forecast;
mod html;
mod joint;
mod output;
mod progress;
mod run;
mod schedule;

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
        /// is fixed.
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
    Fit(FitArgs),
    /// Fit several laws to the same data and choose among them: for one input, by backtests
    /// (the pick for extrapolation, see --pick), otherwise by held-out error.
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
    Select(SelectArgs),
    /// Fit the joint fine-tuning laws (multiplicative and additive) per method; held-out MAD side by side.
    Joint(joint::JointArgs),
    /// Which fine-tuning method for a setting: predicted loss per method, critical data sizes.
    ///
    /// A method left out of the decision (its runs cannot be fitted, or none varies the --at
    /// factor) is a warning, listed in the JSON's recommendation.left_out, and makes the exit
    /// status 3 (a partial result, as joint, fit --group and forecast --run-col do).
    Methods(joint::MethodsArgs),
    /// Compute-optimal model size and tokens for compute budgets, from a Chinchilla fit.
    Allocate(joint::AllocateArgs),
    /// Forecast a training run's loss from the early part of its curve.
    Forecast(forecast::ForecastArgs),
    /// What-if learning-rate schedules: fit a schedule-aware law on runs, predict other schedules.
    Schedule(schedule::ScheduleArgs),
    /// Model selection on built-in synthetic candidates (no data needed); writes a plot.
    Demo {
        /// Where to write the plot (.svg, .png or .pdf).
        #[arg(long, default_value = "slaw-demo.svg", value_parser = plot_path)]
        plot: PathBuf,
        /// Seed of the candidates' 1% noise (each seed draws other noisy curves; the same seed
        /// gives the same output).
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Print JSON (the selection, the noise-free losses, the true best and the relative
        /// accuracy) instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BenchWhat {
    /// The selection protocol of Lin et al. on every CSV of a folder: budgets 1/8 ... 1/512, all methods.
    Selection {
        /// The folder of wide CSVs (flan.csv, wmt19.csv, ...).
        #[arg(long, default_value = "../shared/data/finetune-selection")]
        data: PathBuf,
        /// Times the protocol is run for the timing (at least 1; the rows are the same each time).
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// Also write the rows as CSV.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Also write the rows as JSON.
        #[arg(long)]
        json_out: Option<PathBuf>,
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
        /// in-sample: the shipped methods on every dataset; lodo: leave one dataset out (every
        /// data-chosen part learned without the evaluated dataset; intervals and their coverage;
        /// the other datasets are each one's references for ats-ref), and the defaults the
        /// LODO rule picks without and with references.
        #[arg(long, value_enum, default_value = "in-sample")]
        protocol: Protocol,
        /// Interval level of the lodo protocol.
        #[arg(long, default_value_t = 0.9, allow_negative_numbers = true)]
        level: f64,
        /// With --protocol lodo: also run ats-ref with each dataset's references (the other
        /// datasets) with their rows permuted, N seeds (each name carries another model's
        /// curve), alone and beside the true references: the match test's verdicts and
        /// ats-ref's PearCorr against ats-gap's (untimed; the table after the timing).
        #[arg(long, value_name = "N")]
        permuted_references: Option<usize>,
        /// With --permuted-references: the share of each reference's rows permuted (among
        /// themselves; the others keep their names), in (0, 1].
        #[arg(long, default_value_t = 1.0, requires = "permuted_references")]
        permuted_share: f64,
    },
    /// `slaw run`'s scheduler replayed on the selection benchmark's measured losses: runs, compute
    /// and selection quality of the fixed ladder, adaptive AtS and successive halving, per budget.
    Runner {
        /// The folder of wide CSVs (flan.csv, wmt19.csv, ...).
        #[arg(long, default_value = "../shared/data/finetune-selection")]
        data: PathBuf,
        /// The plan's selection method (default: the plans' default, as slaw select's:
        /// ats-gap, or ats-ref with --references).
        #[arg(long)]
        method: Option<String>,
        /// Each dataset's plans name the folder's other datasets as references (the same
        /// candidates on other tasks), as the leave-one-dataset-out protocol does.
        #[arg(long)]
        references: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Loss-curve forecasting: the multi-power schedule protocol and the early-to-final protocol.
    Forecast {
        /// The folder holding multipower/ and misfitting/.
        #[arg(long, default_value = "../shared/data/loss-curves")]
        data: PathBuf,
        /// Also measure the coverage of the forecast intervals at this level (e.g. 0.9):
        /// `slaw schedule`'s on the multi-power protocol, `slaw forecast`'s early to final.
        #[arg(long)]
        coverage: Option<f64>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Learning-curve extrapolation against M4: fit on the first part of each curve's points,
    /// RMSE of ln L on the rest, for M4, each one-input law, `slaw compare`'s held-out pick and
    /// the backtest pick (its rule chosen leaving one family of curves out).
    Curves {
        /// The folder holding multipower/ and misfitting/.
        #[arg(long, default_value = "../shared/data/loss-curves")]
        data: PathBuf,
        /// Fractions of each curve's points fitted.
        #[arg(long, value_delimiter = ',', default_value = "0.25,0.5")]
        fractions: Vec<f64>,
        /// Synthetic curves per synthetic family (power, two-power, M4, BNSL, log-spaced; and
        /// synth-even: one of those laws at evenly spaced checkpoints).
        #[arg(long, default_value_t = 24)]
        synthetic: usize,
        /// Leave these families out of the benchmark (e.g. synth-even), with or without
        /// --from-records.
        #[arg(long, value_delimiter = ',')]
        exclude_family: Vec<String>,
        /// Seed of the synthetic curves' draws.
        #[arg(long, default_value_t = 14)]
        seed: u64,
        /// Also write one row per curve, fraction and method as CSV.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Also save every fit's backtests and predictions (JSON), to re-score with --from-records.
        #[arg(long)]
        save_records: Option<PathBuf>,
        /// Score the rules on records saved by --save-records instead of fitting.
        #[arg(long)]
        from_records: Option<PathBuf>,
        /// Also fit M4 by its authors' own procedure (their published code's least squares on
        /// the transformed equation, and their algorithm's) and score the picks and the
        /// catalog `m4` against it; slow (up to 10,000 rounds per fit).
        #[arg(long)]
        m4_reference: bool,
        /// Choose the pick's rule among 5,184 more candidates (other weights of the combined
        /// laws, the fallback "M4 alone", shrinkage toward M4; measured and not adopted:
        /// BENCHMARKS.md, "other weights, shrinkage toward M4, "M4 alone"");
        /// needs records with the capped authors' M4.
        #[arg(long)]
        extended_rules: bool,
        /// Also choose among rules with a signed correction of each law's prediction for its
        /// drift with the extrapolation distance: `own-drift` (the law's own backtest drift on
        /// the window, shrunk by 0.25-1), `per-law` (a drift per law learned on the families the
        /// rule is chosen on), `blend` (the per-law drift shrunk toward the own drift, weight
        /// fixed or learned on those families), `gated` (the per-law drift where the own drift
        /// agrees in sign, or capped by it), `per-window` (a per-law drift per window fraction;
        /// benchmark only: `slaw compare` does not know the fraction), `per-size` (a per-law drift
        /// on windows of at most or more than 8-24 points), `quadratic` (a per-law curvature: the
        /// error growing with the squared ln distance), `keyed` (a per-law drift moving linearly
        /// with a property of the window: the bend of its log-log slope, its steepening, or its
        /// ln x span; `keyed-bend`, `keyed-steepening`, `keyed-span`: one key only; needs
        /// records that hold the windows' x, as --save-records writes them now); needs records
        /// with signed backtests (BENCHMARKS.md, "Learning-curve extrapolation against M4": the
        /// drift corrections).
        #[arg(long, value_delimiter = ',', value_parser = ["own-drift", "per-law", "blend", "gated", "per-window", "per-size", "quadratic", "keyed", "keyed-bend", "keyed-steepening", "keyed-span"])]
        corrections: Vec<String>,
        /// The protocol's selection criterion: `log-ratio` (the mean over families of the mean
        /// ln(RMSE / RMSE of the catalog M4)) or `goal` (per family, ln of the ratio of mean RMSEs
        /// against M4 fitted by its authors' code + 0.5 x the share of curves not beating it;
        /// BENCHMARKS.md, "Learning-curve extrapolation against M4").
        #[arg(long, default_value = "log-ratio", value_parser = ["log-ratio", "goal"])]
        criterion: String,
        /// Leaving each family out, choose the criterion (log-ratio or goal) and the keyed drift
        /// (none, steepening, span) too, by an inner leave-one-family-out on the other families
        /// scored by the goal's terms (with the corrections own-drift and per-law);
        /// the rule chosen on every family is then the nested choice too (each configuration
        /// scored by leave-one-family-out over every family: printed with its margin), the
        /// shipped rule. Overrides --corrections and --criterion.
        #[arg(long)]
        nested: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The objective kernels of the built-in laws: CPU nanoseconds per point and evaluation
    /// (value and gradient) on one thread, fused kernel and batch path side by side.
    Kernels {
        /// The folder holding chinchilla/.
        #[arg(long, default_value = "../shared/data")]
        data: PathBuf,
        /// Times each kernel is timed (the median is printed).
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The temporal law against the aggregate-curve laws on real pretraining runs with
    /// per-position losses: fit on the first 10/20/30% of each run, forecast the rest.
    Temporal {
        /// The folder of per-position CSV files (step, position, loss, lr).
        #[arg(long, default_value = "bench/temporal/data")]
        data: PathBuf,
        /// Fractions of each run's steps to fit on.
        #[arg(long, value_delimiter = ',', default_value = "0.1,0.2,0.3")]
        fractions: Vec<f64>,
        /// Bootstrap replicates for each method's own interval (0: none).
        #[arg(long, default_value_t = 100)]
        bootstrap: usize,
        /// Interval level.
        #[arg(long, default_value_t = 0.9, allow_negative_numbers = true)]
        level: f64,
        /// How the temporal law's trajectories are fitted: robust-bounded (the default: Huber
        /// fits, a2 among bounded forms, warmup included), robust (Huber fits), least-squares
        /// (least-squares fits: the default before robust-bounded was adopted).
        #[arg(long, default_value = "robust-bounded")]
        rule: String,
        /// The temporal law's interval past the fit: pooled (the default: the bootstrap
        /// widened to forecast x exp(+-c ln(step / last fitted step)), c the per-distance
        /// scale pooled over 16 committed runs, temporal::POOLED_SCALE) or rolling (widened
        /// to the run's own rolling-origin calibration, the default before pooled was
        /// adopted).
        #[arg(long, default_value = "pooled")]
        interval: String,
        /// Which runs the pooled calibration columns leave out for each run: prefix (the runs
        /// of its size and seed), size, or run.
        #[arg(long, default_value = "prefix")]
        pool_by: String,
        /// Print JSON (every case) instead of the tables.
        #[arg(long)]
        json: bool,
    },
    /// The fitting engine: Chinchilla 4500-start fit and the 60 rectified-law fits.
    Engine {
        /// The folder holding chinchilla/ and finetune-selection/.
        #[arg(long, default_value = "../shared/data")]
        data: PathBuf,
        /// Times each fit is timed (the median is printed).
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// The local solver.
        #[arg(long, value_enum, default_value = "box")]
        solver: SolverKind,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct SelectArgs {
    /// Candidates: the wide CSV (model id, a column per fine-tuning size with
    /// 0 = zero-shot, optional size and family) or a long file (model, n, loss [, size, family]).
    file: PathBuf,
    /// The full fine-tuning data size to predict the loss at. A candidate whose predicted loss
    /// there is 0 or inf, has an interval from 0 to inf, or lies more than 6 decades from its
    /// measured losses is not ranked (the target is too far to extrapolate to).
    #[arg(long, allow_negative_numbers = true)]
    target: f64,
    /// Budget as a fraction of the target, e.g. 1/64. At 1 (the target itself) a note names the
    /// candidate with the lowest measured loss; the ranking stays the method's score.
    #[arg(long, conflicts_with = "max_n")]
    budget: Option<String>,
    /// Budget as the largest affordable fine-tuning size.
    #[arg(long)]
    max_n: Option<f64>,
    /// Also write a self-contained HTML page: figure, ranking, warnings, provenance.
    #[arg(long, value_parser = html::report_path)]
    report: Option<PathBuf>,
    /// Selection method: ats-ref, ats-gap, ats-trend, ats, ats-blend, rectified-fit,
    /// vanilla-fit, sub-tuning, zero-shot, model-size (the last three score by the loss at the
    /// largest affordable size, the zero-shot loss and -ln(parameter count): the header says
    /// which). The default is the method best under
    /// the leave-one-dataset-out protocol of `slaw bench selection --protocol lodo` (RelAcc
    /// first, then PearCorr, against AtS; BENCHMARKS.md): ats-gap without --reference (its
    /// trends were learned on other datasets only), ats-ref with --reference (there each
    /// dataset had the other as its reference).
    #[arg(long)]
    method: Option<String>,
    /// The same candidates' loss curves on another task (e.g. your earlier fine-tuning
    /// results; the same formats as FILE), rows matched by the model's name; repeatable.
    /// Read by ats-ref (the default when given): ats-gap's prediction combined with each
    /// reference's curve shape from the budget to --target, weighted by how well each
    /// predicts this pool's own last affordable losses. A candidate without a reference row
    /// keeps ats-gap's prediction. Each reference must reach --target. Each is tested first: a
    /// permutation test of the rank agreement of the pool's and the reference's curves at the
    /// affordable sizes (level, fall, zero-shot loss) against random re-matchings of the names;
    /// one with p > 0.05 is not used and is named in a warning with its p-value.
    #[arg(long)]
    reference: Vec<PathBuf>,
    /// AtS: smallest number of points of the power-phase line.
    #[arg(long, default_value_t = 3)]
    k: usize,
    /// AtS: rejection threshold in residual standard deviations.
    #[arg(long, default_value_t = 5.0)]
    delta: f64,
    /// Bootstrap replicates for the interval of the law-fit methods (rectified-fit,
    /// vanilla-fit; 0: none). These intervals carry the noise of the points only.
    #[arg(long, default_value_t = 200)]
    bootstrap: usize,
    /// Level of those bootstrap intervals. (The line methods' intervals follow --level,
    /// drawn by the same bootstrap when the pool is too small to calibrate them.)
    #[arg(long, default_value_t = slaw::selection::BOOTSTRAP_LEVEL)]
    bootstrap_level: f64,
    /// Seed of the bootstrap's resampling (the same seed gives the same intervals).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Level of the predictive intervals of ats, ats-blend, ats-trend, ats-gap and ats-ref (the
    /// last two use ats-trend's, so their own score may lie outside it: such rows are marked
    /// `*`, JSON `prediction_outside_interval`): ats-trend's or the method's prediction,
    /// corrected by the method's recent drift in backtests inside the affordable sizes,
    /// +- k times the disagreement of its extrapolation hypotheses, k the level's quantile
    /// learned on complete curves of FLAN and WMT19. Meant to cover the true loss at
    /// --target; coverage measured by `slaw bench selection --protocol lodo` (90%: 80-100%
    /// per budget; k above the 0.99 level is the 0.99 one). A pool too small to calibrate
    /// (fewer than 5 backtests) gets a bootstrap of the points at this level instead. (0.9: the
    /// level the coverage goal is stated and measured at.) k was learned on those two datasets
    /// only: least safe at the largest budgets and on curves unlike theirs (synthetic
    /// rectified-law pools, 1% noise: 90% covered 73% at 1/8, 87% at 1/32, 95% at 1/64).
    #[arg(long, default_value_t = 0.9, allow_negative_numbers = true)]
    level: f64,
    /// Average tokens per fine-tuning example (for the FLOP count).
    #[arg(long)]
    tokens_per_example: Option<f64>,
    /// Fine-tuning epochs (for the cost).
    #[arg(long, default_value_t = 1.0)]
    epochs: f64,
    /// Long format: the model column.
    #[arg(long, default_value = "model")]
    model_col: String,
    /// Long format: the fine-tuning size column.
    #[arg(long, default_value = "n")]
    n_col: String,
    /// Long format: the loss column.
    #[arg(long, default_value = "loss")]
    loss_col: String,
    /// Long format: the parameter-count column (default: "size" when present).
    #[arg(long)]
    size_col: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Plot the points, each highlighted model's curve and its prediction at the target with the
    /// interval as a bar (set right of the target line) (.svg, .png or .pdf).
    #[arg(long, value_parser = crate::plot_path)]
    plot: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Protocol {
    InSample,
    Lodo,
}

#[derive(Clone, Copy, ValueEnum)]
enum SolverKind {
    /// basin's L-BFGS-B.
    Basin,
    /// slaw's own projected L-BFGS (default).
    Box,
}

#[derive(Clone, Copy, ValueEnum)]
enum ObjectiveKind {
    /// Huber loss of the residuals (robust to outliers; threshold --delta).
    Huber,
    /// Sum of squared residuals.
    Squared,
}

#[derive(Clone, Copy, ValueEnum)]
enum SpaceKind {
    Log,
    Linear,
}

#[derive(Args)]
struct DataArgs {
    /// Input file: CSV, TSV, JSON lines or a JSON array (a trainer_state.json too) with a header /
    /// keys, or a TensorBoard event file; - for stdin.
    file: PathBuf,
    /// Input column(s), in the order of the law's inputs (e.g. N,D).
    #[arg(long, value_delimiter = ',', required = true)]
    x: Vec<String>,
    /// Output column (the loss).
    #[arg(long)]
    y: String,
    /// Fit one law per value of this column.
    #[arg(long)]
    group: Option<String>,
    /// A column computed from others before fitting, NAME=EXPR (repeatable), e.g.
    /// --derive "D=C/(6*N)"; names with spaces in backticks: `Model Size`.
    #[arg(long)]
    derive: Vec<String>,
    /// Per-point weights (>= 0; 0 leaves a point out). They are divided by the mean of the
    /// positive weights before fitting, so only their ratios matter, and the reported objective
    /// is on the scale of an unweighted fit.
    #[arg(long)]
    weight: Option<String>,
    /// Held-out points: none, largest:K[:INPUT] (per group, every point at the K largest
    /// distinct values of the input INPUT, by default the first: K values, not K points, so
    /// rows tied on that input are held out together and the rows' order does not matter;
    /// with several inputs only INPUT is ranked, e.g. Chinchilla's largest:2 holds out every
    /// run at the 2 largest N, whatever its D; values are tied only when exactly equal), or
    /// column (with --holdout-col, for any other split). Not given: nothing held out in `fit`;
    /// `compare` then chooses its pick and split itself (see --pick), and an explicit none
    /// ranks by AIC with nothing held out.
    #[arg(long)]
    holdout: Option<String>,
    /// Column flagging held-out points (1/0, true/false, yes/no; a blank is an
    /// error); implies --holdout column (another --holdout rule beside it is an
    /// error).
    #[arg(long)]
    holdout_col: Option<String>,
    /// The objective the fit minimizes over the residuals (see --space).
    #[arg(long, value_enum, default_value = "huber")]
    objective: ObjectiveKind,
    /// Huber threshold.
    #[arg(long, default_value_t = 1e-3)]
    delta: f64,
    /// Residuals on log L (default) or on L.
    #[arg(long, value_enum, default_value = "log")]
    space: SpaceKind,
    /// Iteration limit of each local solve.
    #[arg(long, default_value_t = 1000)]
    max_iter: u64,
    /// Screening tolerance of the multi-start phase (relative decrease per step);
    /// the best distinct optima are then polished to full precision.
    #[arg(long, default_value_t = 1e-3)]
    screen_tol: f64,
    /// How many starts of the law's grid run: K (the default 3) runs them in batches, coarse to
    /// fine over the grid, and stops once K distinct starts reached the best optimum (objective
    /// within 1% after screening, parameters within 5%); `all` runs the whole grid. (3: an
    /// optimum is trusted once several distinct starts found it; validated against `all` in
    /// BENCHMARKS.md.)
    #[arg(long, default_value = "3")]
    starts: String,
}

#[derive(Args)]
struct LawArgs {
    /// A built-in law (see `slaw laws`).
    #[arg(long, conflicts_with = "formula")]
    law: Option<String>,
    /// A user-defined law, e.g. "B/(Dl + D^beta) + E" (inputs are the --x column names).
    #[arg(long)]
    formula: Option<String>,
    /// Parameter names of --formula.
    #[arg(long, value_delimiter = ',')]
    params: Vec<String>,
    /// Parameters of --formula fitted as ln p (positive, spanning orders of magnitude; their
    /// --bound and --init must be > 0). Not for --law (a built-in law's transforms are its own).
    #[arg(long, value_delimiter = ',')]
    log_params: Vec<String>,
    /// Bounds of a parameter, NAME=LOW:HIGH (repeatable).
    #[arg(long = "bound")]
    bounds: Vec<String>,
    /// Starting values of a parameter, NAME=v1,v2,... or NAME=LOW:HIGH:COUNT (repeatable), added
    /// to the law's own grid for it (its values outside --bound dropped). With --bound or --init
    /// the search runs in the data's units.
    #[arg(long = "init")]
    inits: Vec<String>,
}

#[derive(Args)]
struct FitArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    law: LawArgs,
    /// Predict at a point: NAME=VALUE[,NAME=VALUE] or VALUE[,VALUE] (repeatable).
    #[arg(long)]
    predict: Vec<String>,
    /// Bootstrap replicates for intervals on parameters and predictions (0: none; else at
    /// least 1 / (1 - level), e.g. 20 at 95%, so that a replicate is expected outside the
    /// percentile interval).
    #[arg(long, default_value_t = 0)]
    bootstrap: usize,
    /// Interval level, of the bootstrap intervals and of the extrapolation intervals. With
    /// --predict, a one-input law also gives an extrapolation interval, meant to cover the true
    /// loss beyond the data including the law's own extrapolation error, not only the noise.
    /// Calibration: rolling origin — the law refitted on the first half, then on more and more
    /// of the points (ordered by the input; at most 32 origins, spread over the second half);
    /// each refit is scored once, by the median error of its later points in the farther half
    /// of its reach, per unit of the ratio (ln distance) / (ln span of the data it saw); only
    /// the refits whose reach is at least half the longest are scored, so the number of points
    /// (their density) does not widen the interval. Their 90% quantile per unit of
    /// ratio (with fewer than 9, their normal approximation) times a misfit factor learned on
    /// public loss curves — from how far the real (Mis)Fitting runs' final losses fell from
    /// that half-width (151 windows of 11 model sizes), the level's quantile of those ratios, a
    /// window counting as 0 at the levels where its own noise floor covers its error, the
    /// largest over the levels up to the one asked (a higher level never narrows) — scales the
    /// interval with ln(x / last x) / (ln span of the data); at least the fit's own residual
    /// quantile (with too few residuals for its conformal rank at the level (above n/(n+1)),
    /// the largest residual times z((1+level)/2) / z((1+n/(n+1))/2), so a higher level never
    /// narrows it). Measured coverage of the runs' final losses, each model size left out
    /// (windows of the first 25% / 50% of each run): 75% / 82% at 80%, 84% / 93% at 90%,
    /// 98% / 98% at 95%, 100% / 100% at 99%. Below the data the same rule mirrored (origins
    /// keep the largest points and score the smaller ones), with the same misfit factor: there
    /// is no real data of extrapolation below the data, so it is not calibrated there (the
    /// output says so); on synthetic power laws it holds the truth.
    /// A later point nearer its origin than a tenth of the median gap between distinct x
    /// values is not scored. Over 5,000 points each origin's refit is made on 500 bins of its
    /// points equally spaced in ln x (weighted by their counts), as compare's backtest pick, and
    /// a note says so (JSON `bins` in the calibration).
    #[arg(long, default_value_t = 0.95, allow_negative_numbers = true)]
    level: f64,
    /// Seed of the bootstrap's resampling (the same seed gives the same intervals).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Plot the fit (.svg, .png or .pdf): one input: points, the law, its bootstrap band, the
    /// predictions with their extrapolation intervals; several: predicted vs observed, the
    /// predictions on y = x.
    #[arg(long, value_parser = crate::plot_path)]
    plot: Option<PathBuf>,
    /// Also write a self-contained HTML page (figures, tables, warnings, provenance).
    #[arg(long, value_parser = crate::html::report_path)]
    report: Option<PathBuf>,
    /// With several groups: every group's details after the summary table.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Args)]
struct CompareArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Built-in laws to compare, e.g. power,rectified,vanilla-ft. Laws that cannot be fitted
    /// (more parameters than points, inputs outside their domain) are skipped and reported;
    /// only converged fits are ranked (exit 3 when none converged). --pick holdout: held out
    /// by default, every point at the 2 largest values of the first input (see --holdout); with
    /// nothing held out (--holdout none, or largest:0), laws are ranked by AIC;
    /// m4-authors(-capped) are skipped there
    /// (only the backtest pick fits them; m4 is slaw's fit). Default: with one input column, the
    /// learning-curve pool the backtest pick was benchmarked with,
    /// power,vanilla-ft,rectified,bnsl,m4-authors-capped (see --pick); with several, every
    /// catalog law of that many inputs (e.g. chinchilla, joint-mult, joint-add for two).
    #[arg(long, value_delimiter = ',')]
    laws: Option<Vec<String>>,
    /// How the laws are chosen. auto (default): backtest with one input column and neither
    /// --holdout (none included) nor --holdout-col, holdout otherwise. holdout: ranked by the error on the held-out points (see --laws).
    /// backtest (one input): every law refitted on the first 75% of the points (ordered by x)
    /// and on all but the last 2, each scored on the points after; the median of the ln L
    /// predictions of the 3 converged laws of lowest mean backtest error, each law's
    /// prediction beyond the data first lowered by its learned drift per unit ln(x / last x),
    /// which moves with how much the descent steepens over the data (s the log-log slope of the
    /// first and of the second half of the points; steepening max(0, (s1 - s2) / |s1|), read
    /// from the points given): drift + slope (k - 0.209), k the steepening clamped to 0-16.2
    /// ((drift, slope): power (0.011, 0.011), vanilla-ft (0.023, 0.009), rectified (0.019, 0),
    /// bnsl (0.032, 0), m4-authors-capped (0.010, 0.007); every law over-predicts the later loss
    /// of the benchmark's curves, more so where they steepen). When fewer than 2 laws can be
    /// backtested (short data: the laws with more parameters cannot be refitted), the median
    /// of every converged fit with more points than parameters; likewise when none can (4 or
    /// 5 points). Above 5,000 points (a training log of every step; no benchmark curve comes
    /// near: at most 546) each fit, on all the points and at each origin, is made on 500 bins
    /// of the points equally spaced in ln x (each at its points' mean ln x and mean ln L,
    /// weighted by its count; M4's E and I still bounded by the points' own losses), scored on
    /// every point, and a note says so (JSON `bins`): 1e5 points take seconds, not minutes.
    /// m4-authors / m4-authors-capped in --laws: M4 fitted by its authors' published
    /// procedure (least squares on the law's transformed equation; capped: 10 gradient and at
    /// most 1,000 rounds instead of 100 and 10,000; backtests always capped), in the data's
    /// units as published (beta >= 1, a 1e-3 margin in the loss's unit): unlike the other
    /// laws it is not unit-free, so rescaling x can change it and the pick. vanilla-ft,
    /// L = (B / D^beta + E)^alpha, follows x's unit but not the loss's: E is in units of
    /// L^(1/alpha) and its bounds are absolute, so multiplying the loss by a constant can put E
    /// on a bound and change its fit, its backtests and the pick. The pick for
    /// extrapolating a learning curve, benchmarked (BENCHMARKS.md, `slaw bench curves`) with
    /// --laws power,vanilla-ft,rectified,bnsl,m4-authors-capped: chosen by a nested
    /// leave-one-family-out (`slaw bench curves --nested`); out of sample (leaving one family of
    /// curves out, the choice made inside the fold) it beats M4 fitted by its authors'
    /// procedure on 69% of the curves fitted on 25% of their points (mean RMSE 0.73x) and 66%
    /// at 50% (0.69x).
    #[arg(long, value_enum, default_value = "auto")]
    pick: PickKind,
    /// Values of x at which the backtest pick predicts the loss (comma separated; one input
    /// column): the median (or weighted mean) of the chosen laws' ln predictions, each lowered
    /// by its drift correction beyond the data, per group. Text and JSON (`predictions`).
    #[arg(long, value_delimiter = ',')]
    predict: Vec<f64>,
    /// Also write a self-contained HTML page (figures, tables, warnings, provenance).
    #[arg(long, value_parser = crate::html::report_path)]
    report: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum PickKind {
    Auto,
    Holdout,
    Backtest,
}

/// A `--plot` path: .svg, .png or .pdf, checked before any work is done.
fn plot_path(s: &str) -> std::result::Result<PathBuf, String> {
    let p = PathBuf::from(s);
    slaw_report::plot::check_path(&p).map_err(|e| e.to_string())?;
    Ok(p)
}

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
    let cli = <Cli as clap::FromArgMatches>::from_arg_matches(&command().get_matches())
        .unwrap_or_else(|e| e.exit());
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
            eprintln!("error: {}", output::message(&e));
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

impl BenchWhat {
    /// The folder of the benchmark's data (`--data`).
    fn data(&self) -> &std::path::Path {
        match self {
            BenchWhat::Selection { data, .. }
            | BenchWhat::Runner { data, .. }
            | BenchWhat::Forecast { data, .. }
            | BenchWhat::Curves { data, .. }
            | BenchWhat::Kernels { data, .. }
            | BenchWhat::Temporal { data, .. }
            | BenchWhat::Engine { data, .. } => data,
        }
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
        Command::Fit(a) => cmd_fit(a),
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
        Command::Bench {
            what:
                BenchWhat::Forecast {
                    data,
                    coverage,
                    json,
                },
        } => forecast::bench_forecast(&data, coverage, json),
        Command::Bench {
            what:
                BenchWhat::Runner {
                    data,
                    method,
                    references,
                    json,
                },
        } => run::bench_runner(&data, method.as_deref(), references, json),
        Command::Bench {
            what:
                BenchWhat::Temporal {
                    data,
                    fractions,
                    bootstrap,
                    level,
                    rule,
                    interval,
                    pool_by,
                    json,
                },
        } => {
            let level = config::level(level)?;
            let Some(interval) = slaw::forecast::temporal::IntervalRule::from_name(&interval)
            else {
                anyhow::bail!("--interval must be rolling or pooled (got {interval})");
            };
            let Some(pool_by) = slaw::forecast::realruns::PoolBy::from_name(&pool_by) else {
                anyhow::bail!("--pool-by must be one of prefix, size, run (got {pool_by})");
            };
            let Some(rule) = slaw::forecast::temporal::TrajectoryRule::from_name(&rule) else {
                anyhow::bail!(
                    "--rule must be one of least-squares, robust, robust-bounded (got {rule})"
                );
            };
            if let Some(f) = fractions.iter().find(|f| !(**f > 0.0 && **f < 1.0)) {
                anyhow::bail!("--fractions must be in (0, 1) (got {f})");
            }
            let t = std::time::Instant::now();
            let steps = progress::Steps::new("temporal", json);
            let rules = slaw::forecast::realruns::TemporalRules {
                trajectory: rule,
                interval,
            };
            let r = slaw::forecast::realruns::bench(
                &data, &fractions, bootstrap, level, rules, pool_by, &steps,
            )?;
            drop(steps);
            output::emit(json, &r, || {
                print!("{}", slaw::forecast::realruns::table(&r));
                println!("({:.1} s)", t.elapsed().as_secs_f64());
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what:
                BenchWhat::Curves {
                    data,
                    fractions,
                    synthetic,
                    exclude_family,
                    seed,
                    csv,
                    save_records,
                    from_records,
                    m4_reference,
                    extended_rules,
                    corrections,
                    criterion,
                    nested,
                    json,
                },
        } => bench_curves(
            &data,
            &fractions,
            synthetic,
            &exclude_family,
            (
                seed,
                m4_reference,
                slaw::learning_curves::RuleSet {
                    extended: extended_rules,
                    own_drift: corrections.iter().any(|c| c == "own-drift"),
                    per_law: corrections.iter().any(|c| c == "per-law"),
                    blend: corrections.iter().any(|c| c == "blend"),
                    gated: corrections.iter().any(|c| c == "gated"),
                    per_window: corrections.iter().any(|c| c == "per-window"),
                    per_size: corrections.iter().any(|c| c == "per-size"),
                    quadratic: corrections.iter().any(|c| c == "quadratic"),
                    keyed: ["bend", "steepening", "span"].map(|k| {
                        corrections
                            .iter()
                            .any(|c| c == "keyed" || *c == format!("keyed-{k}"))
                    }),
                    criterion: if criterion == "goal" {
                        slaw::learning_curves::Criterion::Goal
                    } else {
                        slaw::learning_curves::Criterion::LogRatio
                    },
                    nested,
                },
            ),
            [
                csv.as_deref(),
                save_records.as_deref(),
                from_records.as_deref(),
            ],
            json,
        ),
        Command::Methods(a) => joint::cmd_methods(a),
        Command::Allocate(a) => joint::cmd_allocate(a),
        Command::Bench {
            what:
                BenchWhat::Kernels {
                    data,
                    repeats,
                    json,
                },
        } => {
            let steps = progress::Steps::new("kernels", json);
            let k = slaw_report::bench::kernels(&data, repeats, &steps)?;
            drop(steps);
            output::emit(json, &k, || {
                println!(
                    "peak of one core, measured: {:.1} GFLOP/s (independent 8-lane FMAs, vector level {}, median of {repeats})",
                    k.peak_gflops, k.vector_level
                );
                println!(
                    "{:<24} {:>8} {:>14} {:>14}   (CPU ns per point and evaluation, one thread, median of {repeats})",
                    "law", "points", "fused", "batch path"
                );
                for r in &k.rows {
                    let rate = match (
                        r.flops_per_point,
                        r.gflops,
                        r.percent_of_peak,
                        r.percent_of_peak_quartiles,
                        r.peak_slices,
                    ) {
                        (Some(f), Some(g), Some(p), Some((q1, q3)), Some(k)) => {
                            format!("   {f:.0} flops per point: {g:.1} GFLOP/s, {p:.1}% of peak (median of {k} slices, each against the peak measured just before it; quartiles {q1:.1}-{q3:.1}%)")
                        }
                        _ => String::new(),
                    };
                    println!(
                        "{:<24} {:>8} {:>14} {:>14.2}{rate}",
                        r.law,
                        r.points,
                        r.fused_ns_per_point
                            .map(|v| format!("{v:.2}"))
                            .unwrap_or_else(|| "-".into()),
                        r.unfused_ns_per_point
                    );
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what:
                BenchWhat::Engine {
                    data,
                    repeats,
                    solver,
                    json,
                },
        } => {
            let solver: Box<dyn slaw::solver::Solver> = match solver {
                SolverKind::Basin => Box::new(slaw::solver::BasinLbfgsb),
                SolverKind::Box => Box::new(slaw::solver::LbfgsBox::default()),
            };
            let steps = progress::Steps::new("engine", json);
            let rows = slaw_report::bench::engine(&data, repeats, solver.as_ref(), &steps)?;
            drop(steps);
            output::emit(json, &rows, || {
                println!("solver: {}; threads: {}", solver.name(), slaw::threads());
                let count = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
                for r in &rows {
                    println!(
                        "{}\n  median {:.4} s wall (min {:.4} s), {:.4} s CPU ({}); {} fit(s) x {} starts, {} evaluations\n  {}",
                        r.name, r.median_s, r.min_s, r.cpu_median_s,
                        slaw::numbers::count(r.repeats, "repeat"), r.fits,
                        count(r.starts_per_fit.map(|s| s as u64)), count(r.evaluations), r.result
                    );
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what:
                BenchWhat::Selection {
                    data,
                    repeats,
                    csv,
                    json_out,
                    json,
                    protocol,
                    level,
                    permuted_references,
                    permuted_share,
                },
        } => {
            let level = config::level(level)?;
            if repeats == 0 {
                bail!("--repeats must be at least 1 (the protocol runs once per repeat)");
            }
            if permuted_references.is_some() && !matches!(protocol, Protocol::Lodo) {
                bail!("--permuted-references needs --protocol lodo (the references are the other datasets)");
            }
            if permuted_references == Some(0) {
                bail!("--permuted-references must be at least 1");
            }
            if !(permuted_share > 0.0 && permuted_share <= 1.0) {
                bail!("--permuted-share must be in (0, 1], got {permuted_share}");
            }
            let steps = progress::Steps::new("selection", json);
            let (rows, timing) = match protocol {
                Protocol::InSample => slaw_report::bench::selection(&data, repeats, &steps)?,
                Protocol::Lodo => {
                    slaw_report::bench::selection_lodo(&data, repeats, level, &steps)?
                }
            };
            drop(steps);
            // The datasets' warnings (a constant truth, too few
            // candidates): read again, cheap beside the protocol.
            let data_sets = slaw_report::bench::wide_datasets(&data)?;
            let warnings = slaw::selection::protocol::warnings(&data_sets);
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            if let Some(p) = csv {
                slaw::selection::protocol::write_csv(&rows, &p)?;
            }
            if let Some(p) = json_out {
                std::fs::write(&p, serde_json::to_string_pretty(&rows)?)
                    .with_context(|| format!("{}", p.display()))?;
            }
            let mismatch = match permuted_references {
                Some(n) => Some(slaw_report::bench::selection_mismatch(
                    &data,
                    level,
                    n,
                    permuted_share,
                )?),
                None => None,
            };
            let mut out = serde_json::json!({"timing": timing, "rows": rows});
            if !warnings.is_empty() {
                out["warnings"] = serde_json::json!(warnings);
            }
            if let Some((m, secs)) = &mismatch {
                out["mismatch"] = serde_json::json!({"rows": m, "wall_s": secs});
            }
            output::emit(json, &out, || {
                print!("{}", report::selection_bench_table(&rows));
                println!(
                    "\n{}: median {:.4} s wall (min {:.4} s), {:.4} s CPU ({}, {})",
                    timing.name,
                    timing.median_s,
                    timing.min_s,
                    timing.cpu_median_s,
                    slaw::numbers::count(timing.repeats, "repeat"),
                    slaw::numbers::count(slaw::threads(), "thread")
                );
                if !timing.result.is_empty() {
                    println!("{}", timing.result);
                }
                if let Some((m, secs)) = &mismatch {
                    println!();
                    print!("{}", report::selection_mismatch_table(m));
                    println!("({secs:.2} s wall)");
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare(a) => cmd_compare(a),
        Command::Demo {
            plot: path,
            seed,
            json,
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
                    "is the noisy measurement at the full size, which the selection never sees.\n"
                );
                print!("{}", report::selection_report(&demo.selection));
                print!("{}", demo.verdict());
            })?;
            let fig = plot::selection_figure(&demo.pool, &demo.selection);
            plot::save(&fig, &path)?;
            eprintln!("plot written to {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Select(a) => cmd_select(a),
    }
}

/// The data the flags describe.
fn data_spec(d: &DataArgs) -> DataSpec {
    DataSpec {
        x: d.x.clone(),
        y: d.y.clone(),
        group: d.group.clone(),
        derive: d.derive.clone(),
        weight: d.weight.clone(),
        holdout: d.holdout.clone(),
        holdout_col: d.holdout_col.clone(),
    }
}

/// The data, how points are held out, the fit's options, and for a
/// TensorBoard event file a note of the steps dropped where a column read
/// is not logged.
fn load(d: &DataArgs) -> Result<(Observations, Holdout, slaw::FitOptions, Option<String>)> {
    let spec = data_spec(d);
    let (obs, holdout, note) = spec.read_logged(std::borrow::Cow::Owned(Table::read(&d.file)?))?;
    if holdout == Holdout::Flagged && d.holdout_col.is_none() {
        bail!("--holdout column needs --holdout-col NAME");
    }
    let opts = config::fit_options(config::Fitting::Flags(d))?;
    Ok((obs, holdout, opts, note))
}

/// A note of [`load`]: with the text report on stdout, on stderr beside
/// JSON (whose shape has no place for it).
fn print_note(note: &Option<String>, json: bool) {
    if let Some(n) = note {
        if json {
            eprintln!("note: {n}");
        } else {
            println!("note: {n}");
        }
    }
}

fn parse_f64(s: &str, what: &str) -> Result<f64> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| anyhow!("{what}: '{s}' is not a number"))?;
    if !v.is_finite() {
        bail!("{what}: '{s}' is not a finite number");
    }
    Ok(v)
}

fn build_law(a: &LawArgs, x_names: &[String]) -> Result<Law> {
    let mut law = match (&a.law, &a.formula) {
        (Some(name), None) => {
            // --params / --log-params describe a --formula: a built-in law's
            // parameters and their transforms are its own (they were ignored).
            for (flag, given) in [("--params", &a.params), ("--log-params", &a.log_params)] {
                if !given.is_empty() {
                    bail!(
                        "{flag} {}: only for --formula; the parameters of --law {name} and how they \
                         are fitted are its own (see `slaw laws`)",
                        given.join(",")
                    );
                }
            }
            analysis::fit_law(name)?
        }
        (None, Some(f)) => formula_law(f, x_names, &a.params, &a.log_params)?,
        _ => bail!("give --law NAME or --formula \"...\" --params a,b,..."),
    };
    for b in &a.bounds {
        let (name, range) = b
            .split_once('=')
            .ok_or_else(|| anyhow!("--bound '{b}': expected NAME=LOW:HIGH"))?;
        let (lo, hi) = range
            .split_once(':')
            .ok_or_else(|| anyhow!("--bound '{b}': expected NAME=LOW:HIGH"))?;
        law.set_param(
            name,
            Some((parse_f64(lo, "--bound")?, parse_f64(hi, "--bound")?)),
            None,
        )?;
    }
    for i in &a.inits {
        let (name, vals) = i
            .split_once('=')
            .ok_or_else(|| anyhow!("--init '{i}': expected NAME=v1,v2 or NAME=LOW:HIGH:COUNT"))?;
        let grid = if vals.contains(':') {
            let parts: Vec<&str> = vals.split(':').collect();
            if parts.len() != 3 {
                bail!("--init '{i}': expected NAME=LOW:HIGH:COUNT");
            }
            let (lo, hi) = (
                parse_f64(parts[0], "--init")?,
                parse_f64(parts[1], "--init")?,
            );
            let n: usize = parts[2]
                .parse()
                .map_err(|_| anyhow!("--init '{i}': '{}' is not a count", parts[2]))?;
            if n == 0 {
                bail!("--init '{i}': the count must be at least 1");
            }
            if n > slaw::law::MAX_GRID_STARTS {
                bail!(
                    "--init '{i}': {n} starting values; at most {} (each start is a full fit)",
                    slaw::law::MAX_GRID_STARTS
                );
            }
            let log = law
                .params
                .iter()
                .any(|p| p.name == name && p.transform == slaw::law::Transform::Log);
            if log && lo > 0.0 && hi > 0.0 {
                plot::log_space(lo, hi, n)
            } else {
                (0..n)
                    .map(|k| lo + (hi - lo) * k as f64 / (n.max(2) - 1) as f64)
                    .collect()
            }
        } else {
            vals.split(',')
                .map(|v| parse_f64(v, "--init"))
                .collect::<Result<_>>()?
        };
        // A starting value outside the bounds (the library refuses it: the
        // search would clamp it silently) is named with the flag's text.
        law.add_starts(name, &grid).map_err(|e| match e {
            e @ slaw::Error::StartOutsideBounds { .. } => {
                anyhow!("--init '{i}': {}", output::start_outside_bounds(&e))
            }
            e => e.into(),
        })?;
    }
    Ok(law)
}

fn parse_predict(s: &str, law: &Law, x_names: &[String]) -> Result<Vec<f64>> {
    let parts: Vec<&str> = s.split(',').collect();
    let k = law.inputs.len();
    if parts.len() != k {
        bail!(
            "--predict '{s}': needs {k} value(s), one per input ({})",
            x_names.join(", ")
        );
    }
    let mut out = vec![f64::NAN; k];
    for (pos, part) in parts.iter().enumerate() {
        match part.split_once('=') {
            Some((name, v)) => {
                let j = x_names
                    .iter()
                    .position(|n| n == name.trim())
                    .or_else(|| law.inputs.iter().position(|n| n == name.trim()))
                    .ok_or_else(|| {
                        anyhow!(
                            "--predict '{s}': '{name}' is not an input ({})",
                            x_names.join(", ")
                        )
                    })?;
                out[j] = parse_f64(v, "--predict")?;
            }
            None => out[pos] = parse_f64(part, "--predict")?,
        }
    }
    if out.iter().any(|v| v.is_nan()) {
        bail!("--predict '{s}': every input needs a value");
    }
    Ok(out)
}

fn cmd_fit(a: FitArgs) -> Result<ExitCode> {
    let (obs, holdout, mut opts, note) = load(&a.data)?;
    let law = build_law(&a.law, &a.data.x)?;
    // Bounds and starting values given on the command line are in the data's
    // units: the search then runs in those units.
    opts.scale_free = a.law.bounds.is_empty() && a.law.inits.is_empty();
    analysis::validate(&law, &obs, opts.space, &a.data.y)?;
    let level = config::bootstrap(a.bootstrap, "--level", a.level, a.seed)?.level;
    let predict = a
        .predict
        .iter()
        .map(|p| parse_predict(p, &law, &a.data.x))
        .collect::<Result<Vec<_>>>()?;
    let job = FitJob {
        law: law.clone(),
        opts,
        holdout,
        bootstrap: a.bootstrap,
        seed: a.seed,
        level: Some(level),
        predict,
    };
    // A group with too few points is skipped (said, exit 3), not the end
    // of every other group's fit.
    let (kept, skipped) = analysis::fittable_groups(&job, &obs);
    let obs = kept.unwrap_or(obs);
    let warnings: Vec<&str> = note
        .iter()
        .map(|n| n.as_str())
        .chain(skipped.iter().map(|g| g.reason.as_str()))
        .collect();
    let n_groups = obs.groups().len();
    let bar = progress::bar(a.bootstrap * n_groups, "bootstrap", a.json);
    let file = a.data.file.display().to_string();
    let fits = analysis::run(&job, &obs, &|| bar.inc(1)).map_err(|e| {
        // an error that already names the file is not prefixed with it again
        if e.to_string().starts_with(&file) {
            anyhow::Error::from(e)
        } else {
            anyhow::Error::from(e).context(format!("fitting {file}"))
        }
    })?;
    bar.finish_and_clear();
    let v = serde_json::json!({
        "law": law.name,
        "formula": law.formula,
        "groups": fits,
        "skipped": skipped,
        "warnings": warnings,
    });
    output::emit(a.json, &v, || {
        for w in &warnings {
            println!("warning: {w}");
        }
        if fits.len() > 1 || !skipped.is_empty() {
            // Many groups: one table first, the details on request.
            print!(
                "{}",
                report::summary::group_table(&law, &fits, skipped.len())
            );
            if a.verbose {
                print!("\n{}", report::fit_report(&law, &fits, &a.data.x));
            }
        } else {
            print!("{}", report::fit_report(&law, &fits, &a.data.x));
        }
    })?;
    if let Some(path) = &a.plot {
        plot::save(
            &plot::fit_figure(&law, &obs, &fits, &a.data.y, a.data.group.as_deref()),
            path,
        )?;
        eprintln!("plot written to {}", path.display());
    }
    if let Some(p) = &a.report {
        let mut text = String::new();
        if fits.len() > 1 || !skipped.is_empty() {
            text += &report::summary::group_table(&law, &fits, skipped.len());
            text += "\n";
        }
        text += &report::fit_report(&law, &fits, &a.data.x);
        html::write(
            p,
            &format!("slaw fit {} ({})", a.data.file.display(), law.name),
            &text,
            &serde_json::json!({"law": law.name, "formula": law.formula, "groups": fits}),
            &[(
                format!("{} fitted to {}", law.name, a.data.file.display()),
                plot::fit_figure(&law, &obs, &fits, &a.data.y, a.data.group.as_deref()),
            )],
            std::slice::from_ref(&a.data.file),
        )?;
    }
    if !skipped.is_empty() {
        eprintln!(
            "error: {} group(s) not fitted (too few points; see the warnings); exit status {}",
            skipped.len(),
            output::EXIT_NOT_CONVERGED
        );
        return Ok(ExitCode::from(output::EXIT_NOT_CONVERGED));
    }
    // A fit no better than a constant: the parameters to fit in log space,
    // by this command's flag (with the ones already there).
    let log_space: Vec<&String> = fits
        .iter()
        .filter_map(|g| g.no_better_than_constant.as_ref())
        .flat_map(|v| &v.fit_in_log_space)
        .collect();
    if !log_space.is_empty() {
        let mut all: Vec<&String> = a.law.log_params.iter().collect();
        for n in log_space {
            if !all.contains(&n) {
                all.push(n);
            }
        }
        let all: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
        eprintln!("hint: to fit in log space: --log-params {}", all.join(","));
    }
    let what = if fits.iter().any(|g| g.no_better_than_constant.is_some()) {
        "the fit explains the data no better than a constant for at least one group"
    } else {
        "the fit did not converge for at least one group"
    };
    Ok(output::converged_exit(
        fits.iter().all(|g| g.fit.converged),
        what,
    ))
}

/// Every `--laws` name known ([`slaw::pick::pool_law`]), checked before any
/// work is done; an unknown one is named as `--laws`' value.
fn check_compare_laws(names: &[String]) -> Result<()> {
    for n in names {
        match slaw::pick::pool_law(n) {
            Ok(_) => {}
            Err(e @ slaw::Error::Unknown { .. }) => bail!("--laws: {e}"),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

fn cmd_compare(mut a: CompareArgs) -> Result<ExitCode> {
    // Without --laws, the library's default for this many inputs.
    let laws = a
        .laws
        .take()
        .unwrap_or_else(|| analysis::compare_laws(a.data.x.len()));
    if laws.is_empty() {
        bail!(
            "no catalog law takes {} inputs ({}): give --laws",
            a.data.x.len(),
            a.data.x.join(", ")
        );
    }
    a.laws = Some(laws);
    let laws = a.laws.as_deref().unwrap_or_default();
    check_compare_laws(laws)?;
    if let Some(x) = a.predict.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
        bail!("--predict: {x} is not a value of x > 0");
    }
    let backtest = match a.pick {
        PickKind::Backtest => true,
        PickKind::Holdout => false,
        PickKind::Auto => a.data.x.len() == 1 && !data_spec(&a.data).holdout_given(),
    };
    if backtest {
        return compare_backtest(a);
    }
    if !a.predict.is_empty() {
        bail!(
            "--predict: only the backtest pick predicts (one input column, no --holdout, --pick \
             auto or backtest); a hold-out ranking compares laws, it does not combine them"
        );
    }
    let (obs, holdout, opts, note) = load(&a.data)?;
    print_note(&note, a.json);
    let given = data_spec(&a.data).holdout_given();
    // A law whose inputs or domain do not fit the data is skipped and reported.
    let ranked =
        analysis::compare_by_holdout(laws, &obs, &opts, given.then_some(holdout), &a.data.y)?;
    output::emit(a.json, &ranked, || {
        print!("{}", report::compare_report(&ranked));
    })?;
    if let Some(p) = &a.report {
        html::write(
            p,
            &format!("slaw compare {}", a.data.file.display()),
            &report::compare_report(&ranked),
            &ranked,
            &[],
            std::slice::from_ref(&a.data.file),
        )?;
    }
    Ok(output::converged_exit(
        ranked.iter().any(|r| r.rank.is_some()),
        "no law converged (nothing to rank)",
    ))
}

/// `slaw compare --pick backtest`.
fn compare_backtest(a: CompareArgs) -> Result<ExitCode> {
    let (obs, _, opts, note) = load(&a.data)?;
    print_note(&note, a.json);
    if obs.dim() != 1 {
        bail!(
            "--pick backtest needs one input column (got {}: {})",
            obs.dim(),
            a.data.x.join(", ")
        );
    }
    // M4 fitted by its authors' procedure is not a catalog law: the pick fits it itself.
    let given = a.laws.as_deref().unwrap_or_default();
    let result = analysis::backtest_comparison(given, &obs, &opts, &a.data.y, &a.predict)?;
    let mut text = slaw::pick::text(&result.groups);
    for s in &result.skipped {
        text += &format!("skipped: {}: {}\n", s.law, s.reason);
    }
    text += &result.predictions_text();
    if result.no_better_than_constant.is_none()
        && result
            .predictions
            .iter()
            .any(|p| !p.outside_data.is_empty())
    {
        text += "(an interval beyond the data, per law: slaw fit --law L --predict X)\n";
    }
    for w in &result.warnings {
        text += &format!("warning: {w}\n");
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print!("{text}");
    }
    if let Some(p) = &a.report {
        html::write(
            p,
            &format!("slaw compare {}", a.data.file.display()),
            &text,
            &result,
            &[],
            std::slice::from_ref(&a.data.file),
        )?;
    }
    if let Some(why) = &result.no_better_than_constant {
        // as `fit` on such points: exit 3
        Ok(output::converged_exit(false, why))
    } else if result.groups.iter().all(|p| p.choice.is_some()) {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: no law was eligible for at least one group (see the reasons above)");
        Ok(ExitCode::from(3))
    }
}

fn bench_curves(
    data: &std::path::Path,
    fractions: &[f64],
    synthetic: usize,
    exclude: &[String],
    (seed, m4_reference, set): (u64, bool, slaw::learning_curves::RuleSet),
    [csv, save, from]: [Option<&std::path::Path>; 3],
    json: bool,
) -> Result<ExitCode> {
    use slaw::learning_curves as lc;
    if let Some(f) = fractions.iter().find(|f| !(**f > 0.0 && **f < 1.0)) {
        bail!("--fractions must be in (0, 1) (got {f})");
    }
    let t = std::time::Instant::now();
    let rep = match from {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let mut r: lc::Records = serde_json::from_str(&text).with_context(|| {
                format!("{}: not records saved by --save-records", path.display())
            })?;
            r.records.retain(|c| !exclude.contains(&c.family));
            if set.keyed.iter().any(|&k| k) {
                if let Some(c) = r.records.iter().find(|c| c.ln_x_window.len() != c.window) {
                    bail!(
                        "{}: --corrections keyed needs the windows' x, which records saved by an \
                         older slaw lack (curve {:?} at {}); save them again with --save-records",
                        path.display(),
                        c.name,
                        c.fraction
                    );
                }
            }
            lc::evaluate_records_rules(r, set)
        }
        None => {
            let mut curves = lc::public_curves(data)
                .with_context(|| format!("reading the learning curves under {}", data.display()))?;
            curves.extend(lc::synthetic_curves(synthetic, seed));
            curves.retain(|c| !exclude.contains(&c.family));
            let steps = progress::Steps::new("curves", json);
            let rep = lc::run_with(
                &curves,
                fractions,
                &config::fit_options(config::Fitting::Library)?,
                &steps,
                m4_reference,
            );
            if set != lc::RuleSet::default() {
                lc::evaluate_records_rules(rep.records(), set)
            } else {
                rep
            }
        }
    };
    if let Some(path) = save {
        std::fs::write(path, serde_json::to_string(&rep.records())?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = csv {
        std::fs::write(path, lc::csv(&rep))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rep)?);
    } else {
        print!("{}", lc::text(&rep));
        println!("({:.1} s)", t.elapsed().as_secs_f64());
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_select(a: SelectArgs) -> Result<ExitCode> {
    use slaw::selection::{Budget, Method, Reference, SelectOptions};
    let long = slaw::datasets::LongColumns {
        model: a.model_col,
        n: a.n_col,
        loss: a.loss_col,
        size: a.size_col,
        family: None,
    };
    config::stdin_once(
        std::iter::once(("FILE".to_string(), a.file.as_path())).chain(
            a.reference
                .iter()
                .map(|r| ("--reference".to_string(), r.as_path())),
        ),
    )?;
    let table = Table::read(&a.file)?;
    let pool = slaw::datasets::candidates_table(&table, &long)?;
    let rows = slaw::datasets::pool_rows(&table, &long)?;
    drop(table);
    let max_n = match (a.budget, a.max_n) {
        (Some(b), None) => a.target * Budget::parse_fraction(&b)?,
        (None, Some(m)) => {
            // (A bad --target is Budget::new's to name.)
            let target_ok = a.target.is_finite() && a.target > 0.0;
            if target_ok && (!(m.is_finite() && m > 0.0) || m > a.target) {
                bail!(
                    "--max-n: must be in (0, --target = {}], got {m}",
                    slaw::numbers::num(a.target)
                );
            }
            m
        }
        _ => bail!("give the budget: --budget 1/R (a fraction of --target) or --max-n N"),
    };
    let budget = Budget::new(a.target, max_n)?;
    if a.k < 2 {
        bail!(
            "--k must be at least 2 (points of the AtS line), got {}",
            a.k
        );
    }
    if !(a.delta.is_finite() && a.delta > 0.0) {
        bail!("--delta must be a positive number, got {}", a.delta);
    }
    if !(a.epochs.is_finite() && a.epochs > 0.0) {
        bail!("--epochs must be a positive number, got {}", a.epochs);
    }
    if let Some(t) = a.tokens_per_example {
        if !(t.is_finite() && t > 0.0) {
            bail!("--tokens-per-example must be a positive number, got {t}");
        }
    }
    let level = config::level(a.level)?;
    let method =
        Method::parse_or_default(a.method.as_deref(), !a.reference.is_empty(), a.k, a.delta)?;
    let mut references = Vec::new();
    if !a.reference.is_empty() && !method.kind().needs().reference {
        bail!(
            "--reference is read by ats-ref only (the default with --reference), not by {}",
            method.name()
        );
    }
    for path in &a.reference {
        let r = slaw::datasets::candidates(path, &long)?;
        references.push(Reference::checked(
            &pool,
            &r,
            a.target,
            &path.display().to_string(),
            &a.file.display().to_string(),
        )?);
    }
    let opts = SelectOptions {
        bootstrap: config::bootstrap(a.bootstrap, "--bootstrap-level", a.bootstrap_level, a.seed)?,
        tokens_per_example: a.tokens_per_example,
        epochs: a.epochs,
        level: Some(level),
        rank_the_rest: true,
        ..SelectOptions::default()
    };
    // Messages about one candidate name its row (the library's, as the
    // Python package's).
    let sel = slaw::selection::select_located(&pool, method, budget, &opts, &references, &rows)?;
    output::emit(a.json, &sel, || {
        print!("{}", report::selection_report(&sel));
    })?;
    if let Some(p) = a.plot {
        plot::save(&plot::selection_figure(&pool, &sel), &p)?;
        eprintln!("plot written to {}", p.display());
    }
    if let Some(p) = &a.report {
        html::write(
            p,
            &format!("slaw select {}", a.file.display()),
            &report::selection_report(&sel),
            &sel,
            &[(
                "Measured losses, fitted extrapolations and the chosen model".into(),
                plot::selection_figure(&pool, &sel),
            )],
            &std::iter::once(a.file.clone())
                .chain(a.reference.iter().cloned())
                .collect::<Vec<_>>(),
        )?;
    }
    let unconverged = sel
        .ranking
        .iter()
        .any(|r| matches!(&r.estimate.detail, slaw::selection::Detail::Fit(f) if !f.converged));
    Ok(output::converged_exit(
        !unconverged,
        "the law fit of at least one candidate did not converge",
    ))
}
