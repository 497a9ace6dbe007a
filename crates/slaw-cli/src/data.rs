//! The data flags shared by `slaw fit` and `slaw compare`: the input file,
//! its columns, the hold-out rule and the fitting options, read into
//! observations.

use crate::config;
use anyhow::{anyhow, bail, Result};
use clap::{Args, ValueEnum};
use slaw::observations::{DataSpec, Holdout, Observations};
use slaw::table::Table;
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ObjectiveKind {
    /// Huber loss of the residuals (robust to outliers; threshold --delta).
    Huber,
    /// Sum of squared residuals.
    Squared,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SpaceKind {
    Log,
    Linear,
}

#[derive(Args)]
pub(crate) struct DataArgs {
    /// Input file: CSV, TSV, JSON lines or a JSON array (a trainer_state.json too) with a header /
    /// keys, or a TensorBoard event file; - for stdin.
    pub(crate) file: PathBuf,
    /// Input column(s), in the order of the law's inputs (e.g. N,D). Not given: the file's one
    /// numeric column besides the loss (and the --group, --weight and --holdout-col columns),
    /// said in a note; with several such columns, an error lists them.
    #[arg(long, value_delimiter = ',')]
    pub(crate) x: Vec<String>,
    /// Output column (the loss; as in Python and the other commands, `loss` by default).
    /// --loss-col, as the other commands call it, is the same flag.
    #[arg(long, visible_alias = "loss-col", default_value = "loss")]
    pub(crate) y: String,
    /// Fit one law per value of this column.
    #[arg(long)]
    pub(crate) group: Option<String>,
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
    /// Column flagging held-out points (1/0, true/false, yes/no, y/n, in any case; a blank is
    /// an error); implies --holdout column (another --holdout rule beside it is an
    /// error).
    #[arg(long)]
    holdout_col: Option<String>,
    /// The objective the fit minimizes over the residuals (see --space).
    #[arg(long, value_enum, default_value = "huber")]
    pub(crate) objective: ObjectiveKind,
    /// Huber threshold.
    #[arg(long, default_value_t = 1e-3)]
    pub(crate) delta: f64,
    /// Residuals on log L (default) or on L.
    #[arg(long, value_enum, default_value = "log")]
    pub(crate) space: SpaceKind,
    /// Iteration limit of each local solve.
    #[arg(long, default_value_t = 1000)]
    pub(crate) max_iter: u64,
    /// Screening tolerance of the multi-start phase (relative decrease per step);
    /// the best distinct optima are then polished to full precision.
    #[arg(long, default_value_t = 1e-3)]
    pub(crate) screen_tol: f64,
    /// How many starts of the law's grid run: K (the default 3) runs them in batches, coarse to
    /// fine over the grid, and stops once K distinct starts reached the best optimum (objective
    /// within 1% after screening, parameters within 5%); `all` runs the whole grid. (3: an
    /// optimum is trusted once several distinct starts found it; validated against `all` in
    /// BENCHMARKS.md.)
    #[arg(long, default_value = "3")]
    pub(crate) starts: String,
}

/// The data the flags describe.
pub(crate) fn data_spec(d: &DataArgs) -> DataSpec {
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

/// The input file read, and without --x its one numeric column besides the
/// loss chosen as the input (`d.x` set; the note says so; several such
/// columns are an error listing them).
pub(crate) fn read_table(d: &mut DataArgs) -> Result<(Table, Option<String>)> {
    let table = Table::read(&d.file)?;
    let mut spec = data_spec(d);
    // "name the input column(s)" gets the flag; other errors (no loss
    // column, no rows) are the library's as they are.
    let note = spec.choose_input(&table).map_err(|e| {
        let msg = e.to_string();
        if msg.ends_with("name the input column(s)") {
            anyhow!("{msg} with --x")
        } else {
            anyhow::Error::new(e)
        }
    })?;
    d.x = spec.x;
    Ok((table, note))
}

/// The data of `table` ([`read_table`]), how points are held out, the
/// fit's options, and for a TensorBoard event file a note of the steps
/// dropped where a column read is not logged.
pub(crate) fn load(
    d: &DataArgs,
    table: Table,
) -> Result<(Observations, Holdout, slaw::FitOptions, Option<String>)> {
    let spec = data_spec(d);
    let (obs, holdout, note) = spec.read_logged(std::borrow::Cow::Owned(table))?;
    if holdout == Holdout::Flagged && d.holdout_col.is_none() {
        bail!("--holdout column needs --holdout-col NAME");
    }
    let opts = config::fit_options(config::Fitting::Flags(d))?;
    Ok((obs, holdout, opts, note))
}

/// A note of [`load`]: with the text report on stdout, on stderr beside
/// JSON (whose shape has no place for it).
pub(crate) fn print_note(note: &Option<String>, json: bool) {
    if let Some(n) = note {
        if json {
            eprintln!("note: {n}");
        } else {
            println!("note: {n}");
        }
    }
}
