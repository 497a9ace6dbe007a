//! `slaw select`: rank the candidate models by their predicted loss at the
//! target size.

use crate::{config, html, output};
use anyhow::{bail, Result};
use clap::Args;
use slaw::table::Table;
use slaw_report::{plot, report};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub(crate) struct SelectArgs {
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
    /// Budget as the largest affordable fine-tuning size. Between two measured sizes it is the
    /// largest size measured within it (a note says so; the sizes above are not used to rank).
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
    /// dataset had the other as its reference). A pool where only some candidates have the
    /// zero-shot loss (N = 0), which ats-gap reads, is ranked by ats-trend, with a note. On a
    /// pool whose points carry more than 1.5% noise (white noise of ln L, from the second
    /// differences) ats-trend, ats-gap and ats-ref rank by the AtS line, with a note: their
    /// trends amplify the last points' noise, and on synthetic pools that noisy they ranked
    /// below AtS (FLAN's and WMT19's pools read 0.4-1.0%).
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
    /// (fewer than 5 backtests) gets a bootstrap of the points at this level instead; ats-gap
    /// then still recommends AtS's pick unless the lowest score's interval lies entirely below
    /// it. ats-gap's score ranks: its level can be 9-19% low on curves that flatten toward
    /// their floor, so AtS's line prediction is printed beside it. (0.9: the
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

pub(crate) fn cmd_select(a: SelectArgs) -> Result<ExitCode> {
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
    // A W&B export's "run-1 - train/loss" read for the default `loss`: said.
    if let Some(note) = table.loss_column_note(&long.loss) {
        eprintln!("note: {note} (--loss-col names another)");
    }
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
    // A partial result (some candidates not ranked) exits 3, as a group
    // skipped by `fit --group` or a run by `forecast --run-col`.
    if !sel.unranked.is_empty() {
        eprintln!(
            "partial result: {} of {} candidates not ranked (see the warnings); exit status {}",
            sel.unranked.len(),
            sel.unranked.len() + sel.ranking.len(),
            output::EXIT_NOT_CONVERGED
        );
        return Ok(ExitCode::from(output::EXIT_NOT_CONVERGED));
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
