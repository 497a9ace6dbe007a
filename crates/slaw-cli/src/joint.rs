//! `slaw joint`, `slaw methods`, `slaw allocate`: argument parsing and printing.

use crate::config::{self, Fitting};
use crate::output;
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use slaw::allocate;
use slaw::bootstrap::Resampling;
use slaw::datasets::{pretraining_runs, DataColumn, PretrainColumns};
use slaw::joint::decision::{decide, Intervals, Setting};
use slaw::joint::{self, Form, RunColumns, Runs};
use slaw_report::plot;
use slaw_report::report::joint as rep;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where the runs are and which columns say what.
#[derive(Args)]
pub struct RunArgs {
    /// Long-format runs, one row per fine-tuning run: any table slaw reads (CSV, TSV, JSON
    /// lines, a JSON array, a TensorBoard event file; - for stdin).
    file: PathBuf,
    /// A factor column (model size, pretraining tokens, PET size); repeat for several.
    #[arg(long = "factor", required = true)]
    factors: Vec<String>,
    /// Factor columns that are PET sizes (prompt length, LoRA rank): left out of the shared beta/E.
    #[arg(long = "pet")]
    pet: Vec<String>,
    /// The column naming each run's fine-tuning method (full, LoRA, prompt, ...). Without it, a
    /// file with no `method` column is one method, named after the file (said in a note).
    #[arg(long, default_value = "method")]
    method_col: String,
    /// The fine-tuning data size column.
    #[arg(long, default_value = "data")]
    data_col: String,
    /// The loss column.
    #[arg(long, default_value = "loss")]
    loss_col: String,
    /// A column naming the factor column each run varies (needed when rows fill several).
    #[arg(long)]
    experiment_col: Option<String>,
    /// A column flagging held-out runs (default: the largest value of each factor and the
    /// largest data size of each method are held out).
    #[arg(long)]
    holdout_col: Option<String>,
}

impl RunArgs {
    fn read(&self) -> Result<Runs> {
        let cols = RunColumns {
            method: self.method_col.clone(),
            factors: self.factors.clone(),
            pet: self.pet.clone(),
            data: self.data_col.clone(),
            loss: self.loss_col.clone(),
            experiment: self.experiment_col.clone(),
            holdout: self.holdout_col.clone(),
        };
        Runs::read(&self.file, &cols).map_err(|e| {
            // The library names the concept; the flag that sets it is ours.
            let several = matches!(&e, slaw::Error::Input { message, .. }
                if message.contains("several factor columns"));
            if several && self.experiment_col.is_none() {
                anyhow::anyhow!("{e}: --experiment-col COL")
            } else {
                e.into()
            }
        })
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormKind {
    Multiplicative,
    Additive,
}

impl From<FormKind> for Form {
    fn from(f: FormKind) -> Form {
        match f {
            FormKind::Multiplicative => Form::Multiplicative,
            FormKind::Additive => Form::Additive,
        }
    }
}

#[derive(Args)]
pub struct JointArgs {
    #[command(flatten)]
    runs: RunArgs,
    /// Print JSON instead of text: {"fits": [one per fitted method], "skipped": [{"method",
    /// "factor", "reason"}: the methods (factor null) and factors that could not be fitted;
    /// any: exit status 3], "warnings": [...]}.
    #[arg(long)]
    json: bool,
    /// Write plots: one file per method and factor, named PLOT-METHOD-FACTOR.svg/.png/.pdf.
    #[arg(long, value_parser = crate::plot_path)]
    plot: Option<PathBuf>,
    /// The law drawn in the plots.
    #[arg(long, value_enum, default_value = "multiplicative")]
    plot_form: FormKind,
    /// Also write a self-contained HTML page (figures, tables, warnings, provenance).
    #[arg(long, value_parser = crate::html::report_path)]
    report: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum IntervalsKind {
    Bootstrap,
    Predictive,
}

impl From<IntervalsKind> for Intervals {
    fn from(k: IntervalsKind) -> Intervals {
        match k {
            IntervalsKind::Bootstrap => Intervals::Bootstrap,
            IntervalsKind::Predictive => Intervals::Predictive,
        }
    }
}

#[derive(Args)]
pub struct MethodsArgs {
    #[command(flatten)]
    runs: RunArgs,
    /// The setting's factor and value, e.g. model_size=8e9.
    #[arg(long)]
    at: String,
    /// The setting's fine-tuning data size (a finite number > 0).
    #[arg(long, allow_negative_numbers = true)]
    data: f64,
    /// Which joint law predicts: multiplicative, L = A / (X^alpha D_f^beta) + E, or additive,
    /// L = A / X^alpha + B / D_f^beta + E.
    #[arg(long, value_enum, default_value = "multiplicative")]
    form: FormKind,
    /// Bootstrap replicates for the prediction intervals (0: none; else at least
    /// 1 / (1 - level), e.g. 20 at 95%). Each replicate resamples the runs within each factor
    /// and refits both stages: the bootstrap intervals cover the noise of the fit only, not the
    /// error of extrapolating the law (a setting far outside the runs is noted; see --intervals).
    #[arg(long, default_value_t = 200)]
    bootstrap: usize,
    /// Level of the prediction intervals (and of the critical data size's bootstrap interval).
    #[arg(long, default_value_t = 0.95, allow_negative_numbers = true)]
    level: f64,
    /// Which interval each prediction gets: bootstrap (the fit's noise only) or predictive (the
    /// bootstrap widened by the law's own extrapolation error on its held-out runs beyond their
    /// noise, per direction, times the setting's distance beyond the fitting runs: meant to
    /// cover the law's mean loss). JSON gives both. Measured (runs of the published En-De law,
    /// 200 seeds): bootstrap 95% covers 95-97% when the law is right, 16-72% beyond the runs of
    /// misspecified laws; predictive 95% beyond the runs 97-99% when the law is right (80%:
    /// 89-95%, still wide), 84-100% when misspecified (BENCHMARKS.md).
    #[arg(long, value_enum, default_value = "bootstrap")]
    intervals: IntervalsKind,
    /// Seed of the bootstrap's resampling (the same seed gives the same intervals).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Range of D_f searched for crossings, LO:HI (default: from 1e-4 times the smallest to 1e6
    /// times the largest D_f of the runs and --data, so it follows the unit of D_f).
    #[arg(long)]
    d_range: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Plot the critical data size against the factor, the runs' X and D_f shaded and
    /// crossings outside them dashed (.svg, .png or .pdf).
    #[arg(long, value_parser = crate::plot_path)]
    plot: Option<PathBuf>,
    /// Also write a self-contained HTML page (figures, tables, warnings, provenance).
    #[arg(long, value_parser = crate::html::report_path)]
    report: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum AllocMethod {
    Parametric,
    Isoflop,
    Envelope,
    All,
}

#[derive(Args)]
pub struct AllocateArgs {
    /// Pretraining runs (N, tokens or FLOPs, loss) to fit the Chinchilla law to; or give
    /// --params instead.
    file: Option<PathBuf>,
    /// Use these parameters instead of a fit: A,alpha,B,beta,E.
    #[arg(long, conflicts_with = "file")]
    params: Option<String>,
    /// Parameter-count column.
    #[arg(long, default_value = "N")]
    n_col: String,
    /// Training-tokens column.
    #[arg(long)]
    d_col: Option<String>,
    /// Training-FLOPs column, used as given (FLOPs need not be 6ND); without --d-col,
    /// tokens = FLOPs / (6 N) for the parametric law.
    #[arg(long)]
    flops_col: Option<String>,
    /// parametric (Approach 3: the law E + A/N^alpha + B/D^beta), isoflop (Approach 2: a
    /// parabola in ln N per compute budget, its minima regressed on C), envelope (Approach 1 on
    /// final losses: the best run per budget), or all three side by side with their disagreement.
    /// isoflop and envelope check the design: when the sizes do not move with compute and some
    /// budget's minimum lies at or past the edge of its sizes, their exponent and N_opt read "not
    /// determined" (biased toward the sampled sizes) with a warning saying what to run; `all`
    /// also warns where isoflop's and the law's N_opt differ by more than 2x.
    #[arg(long, value_enum, default_value = "parametric")]
    method: AllocMethod,
    /// Group column(s): one analysis per distinct value (joined when several).
    #[arg(long = "group")]
    group: Vec<String>,
    /// The compute-budget column of an isoFLOP grid; without it, runs sorted by FLOPs form one
    /// budget while their FLOPs stay within --budget-gap of the budget's smallest.
    #[arg(long)]
    budget_col: Option<String>,
    /// Write figures next to this path (.svg, .png or .pdf), suffixed with the group and the
    /// figure's name: N_opt and D_opt against C (-nopt, -dopt), the parametric law's iso-loss
    /// contours (-contours), and with isoflop the budgets' profiles (-isoflop).
    #[arg(long, value_parser = crate::plot_path)]
    plot: Option<PathBuf>,
    /// Keep only rows whose COL equals the number VALUE (e.g. portion_steps_elapsed=1; numbers
    /// only: select by a text column with --group COL); repeat for several.
    #[arg(long = "where", value_name = "COL=VALUE")]
    filters: Vec<String>,
    /// Keep the lowest loss per model size and token count (the best of a sweep).
    #[arg(long)]
    best_per_size: bool,
    /// Largest FLOPs ratio within one budget (no --budget-col): 1.25 tolerates +-10% noise in
    /// the FLOPs of budgets spaced 1.25x or more apart.
    #[arg(long, default_value_t = 1.25)]
    budget_gap: f64,
    /// Level of the bootstrap intervals (every method). They cover the sampling error of the
    /// runs: parametric refits the law on runs resampled with replacement; isoflop resamples
    /// each budget's runs and its window of sizes (the parabola's own error); envelope
    /// resamples each budget's runs. Coverage measured on synthetic grids: BENCHMARKS.md.
    #[arg(
        long,
        default_value_t = 0.95,
        allow_negative_numbers = true,
        conflicts_with = "params"
    )]
    level: f64,
    /// The loss column.
    #[arg(long, default_value = "loss")]
    loss_col: String,
    /// Drop this many highest-loss runs (Besiroglu et al. drop 5 of the Chinchilla runs).
    #[arg(long, default_value_t = 0)]
    drop_highest: usize,
    /// Compute budget in FLOPs; repeat for several (default: 1e19 ... 1e25).
    #[arg(long = "budget", allow_negative_numbers = true)]
    budgets: Vec<f64>,
    /// Bootstrap replicates for the intervals (0: none; --params gives a law without intervals).
    #[arg(long, default_value_t = 1000, conflicts_with = "params")]
    bootstrap: usize,
    /// Seed of the bootstrap's resampling (the same seed gives the same intervals).
    #[arg(long, default_value_t = 0, conflicts_with = "params")]
    seed: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML page (figures, tables, warnings, provenance).
    #[arg(long, value_parser = crate::html::report_path)]
    report: Option<PathBuf>,
}

/// PLOT-SUFFIX.ext next to PLOT, SUFFIX from `plot::file_suffixes` (the
/// names' parts sanitized, distinct for distinct names).
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("plot");
    let ext = path.extension().and_then(|s| s.to_str()).unwrap_or("svg");
    path.with_file_name(format!("{stem}-{suffix}.{ext}"))
}

fn exit_for(converged: bool) -> ExitCode {
    output::converged_exit(converged, "a fit did not converge (marked NOT CONVERGED)")
}

pub fn cmd_joint(a: JointArgs) -> Result<ExitCode> {
    let runs = a.runs.read()?;
    // A method or factor that cannot be fitted is skipped (said, exit 3),
    // not the end of every other method's fit.
    let j = joint::fit_joint(&runs, &config::fit_options(Fitting::Joint)?)?;
    let fits = &j.fits;
    output::emit(a.json, &j, || {
        // what the reading assumed (a file without a method column is one
        // method); in the JSON, the first of `warnings`
        print!("{}", rep::joint_text(&runs.notes, &j));
    })?;
    if let Some(p) = &a.report {
        let figures: Vec<_> = plot::joint::joint_figures(&runs, fits, a.plot_form.into())
            .into_iter()
            .map(|(m, f, fig)| (format!("{m}, {f}"), fig))
            .collect();
        crate::html::write(
            p,
            &format!("slaw joint {}", a.runs.file.display()),
            &rep::joint_report(&j),
            &j,
            &figures,
            std::slice::from_ref(&a.runs.file),
        )?;
    }
    if let Some(p) = &a.plot {
        let figs = plot::joint::joint_figures(&runs, fits, a.plot_form.into());
        let keys: Vec<Vec<&str>> = figs.iter().map(|(m, f, _)| vec![m.as_str(), f]).collect();
        for ((_, _, fig), suffix) in figs.iter().zip(plot::file_suffixes(&keys)) {
            let path = suffixed(p, &suffix);
            plot::save(fig, &path)?;
            eprintln!("plot written to {}", path.display());
        }
    }
    let ok = fits.iter().all(|m| m.forms.iter().all(|f| f.converged()));
    if !j.skipped.is_empty() {
        let methods = j.skipped.iter().filter(|k| k.factor.is_none()).count();
        let factors = j.skipped.len() - methods;
        let mut what = Vec::new();
        if methods > 0 {
            what.push(format!("{methods} method(s)"));
        }
        if factors > 0 {
            what.push(format!("{factors} factor(s) of fitted methods"));
        }
        eprintln!(
            "partial result: {} not fitted (see the warnings){}; exit status {}",
            what.join(" and "),
            if ok {
                ""
            } else {
                "; a fit did not converge (marked NOT CONVERGED)"
            },
            output::EXIT_NOT_CONVERGED
        );
        return Ok(ExitCode::from(output::EXIT_NOT_CONVERGED));
    }
    Ok(exit_for(ok))
}

fn parse_range(s: &str) -> Result<(f64, f64)> {
    let Some((lo, hi)) = s.split_once(':') else {
        bail!("--d-range must be LO:HI, got '{s}'");
    };
    let num = |v: &str| -> Result<f64> {
        v.trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("--d-range: '{}' is not a number", v.trim()))
    };
    let (lo, hi) = (num(lo)?, num(hi)?);
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        bail!("--d-range needs 0 < LO < HI, got '{s}'");
    }
    Ok((lo, hi))
}

pub fn cmd_methods(a: MethodsArgs) -> Result<ExitCode> {
    let Some((factor, x)) = a.at.split_once('=') else {
        bail!(
            "--at must be FACTOR=VALUE, e.g. model_size=8e9 (got '{}')",
            a.at
        );
    };
    let x: f64 = x
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("--at: '{x}' is not a number"))?;
    let d_range = a.d_range.as_deref().map(parse_range).transpose()?;
    let runs = a.runs.read()?;
    let d_range = match d_range {
        Some(r) => r,
        None => joint::decision::d_range(&runs, a.data, &a.runs.data_col)?,
    };
    let k = runs
        .factors
        .iter()
        .position(|f| f.name == factor)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--at names '{factor}', which is not a factor column (--factor: {})",
                a.runs.factors.join(", ")
            )
        })?;
    let x_range = joint::decision::x_range(&runs, k, x);
    let opts = config::fit_options(Fitting::Joint)?;
    let setting = Setting {
        factor: factor.to_string(),
        x,
        d: a.data,
    };
    let form: Form = a.form.into();
    let (rec, fits) = decide(
        &runs,
        &setting,
        form,
        &opts,
        &config::bootstrap(a.bootstrap, "--level", a.level, a.seed)?,
        x_range,
        d_range,
        a.intervals.into(),
    )?;
    output::emit(
        a.json,
        &serde_json::json!({"recommendation": rec, "fits": fits}),
        || {
            // the report, the warnings of the form used, the option that
            // switches the form, the notes (shared with the Python package)
            print!(
                "{}",
                rep::methods_text(&rec, slaw_report::report::Interface::Cli)
            );
        },
    )?;
    if let Some(p) = &a.plot {
        plot::save(&plot::joint::critical_figure(&rec), p)?;
        eprintln!("plot written to {}", p.display());
    }
    if let Some(p) = &a.report {
        crate::html::write(
            p,
            &format!("slaw methods {}", a.runs.file.display()),
            &rep::methods_report(&rec),
            &serde_json::json!({"recommendation": rec, "fits": fits}),
            &[(
                "Critical data size against the factor".into(),
                plot::joint::critical_figure(&rec),
            )],
            std::slice::from_ref(&a.runs.file),
        )?;
    }
    let ok = fits.iter().all(|m| m.form(form).converged());
    if !rec.left_out.is_empty() {
        // A partial result, as `joint`, `fit --group` and `forecast
        // --run-col`: exit 3.
        eprintln!(
            "partial result: {} method(s) left out of the decision ({}; see the warnings){}; exit status {}",
            rec.left_out.len(),
            rec.left_out
                .iter()
                .map(|l| l.method.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if ok {
                ""
            } else {
                "; a fit did not converge (marked NOT CONVERGED)"
            },
            output::EXIT_NOT_CONVERGED
        );
        return Ok(ExitCode::from(output::EXIT_NOT_CONVERGED));
    }
    Ok(exit_for(ok))
}

pub fn cmd_allocate(a: AllocateArgs) -> Result<ExitCode> {
    let budgets = if a.budgets.is_empty() {
        allocate::default_budgets()
    } else {
        a.budgets.clone()
    };
    let bootstrap = config::bootstrap(a.bootstrap, "--level", a.level, a.seed)?;
    if !(a.budget_gap.is_finite() && a.budget_gap >= 1.0) {
        bail!("--budget-gap must be a ratio >= 1, got {}", a.budget_gap);
    }
    if a.method != AllocMethod::Parametric
        || !a.group.is_empty()
        || a.budget_col.is_some()
        || !a.filters.is_empty()
        || a.best_per_size
    {
        return allocate_methods(&a, &budgets, bootstrap);
    }
    if a.d_col.is_some() && a.flops_col.is_some() {
        bail!("--method parametric fits tokens: give --d-col or --flops-col, not both");
    }
    let report = match (&a.params, &a.file) {
        (Some(p), _) => {
            let v: Vec<f64> = p
                .split(',')
                .map(|s| {
                    s.trim()
                        .parse::<f64>()
                        .map_err(|_| anyhow::anyhow!("--params: '{s}' is not a number"))
                })
                .collect::<Result<_>>()?;
            allocate::from_law(allocate::Chinchilla::from_params(&v)?, &budgets)?
        }
        (None, Some(file)) => {
            let data = match (&a.d_col, &a.flops_col) {
                (Some(d), None) => DataColumn::Tokens(d.clone()),
                (None, Some(c)) => DataColumn::Flops(c.clone()),
                _ => bail!("name the data column: --d-col TOKENS or --flops-col FLOPS"),
            };
            let cols = PretrainColumns {
                n: a.n_col.clone(),
                data,
                loss: a.loss_col.clone(),
            };
            let obs = pretraining_runs(file, &cols, a.drop_highest)?;
            let bar = crate::progress::bar(a.bootstrap, "bootstrap", a.json);
            let mut r = allocate::from_fit(
                &obs,
                &config::fit_options(Fitting::Library)?,
                &budgets,
                &bootstrap,
                &|| bar.inc(1),
            )?;
            bar.finish_and_clear();
            if a.flops_col.is_some() {
                allocate::note_compute_column(&mut r, &obs);
            }
            r
        }
        (None, None) => bail!(
            "give a file of pretraining runs (slaw allocate FILE) or the law's parameters \
             (--params A,alpha,B,beta,E)"
        ),
    };
    output::emit(a.json, &report, || {
        print!("{}", rep::allocation_report(&report));
    })?;
    // The parametric law's figures: N_opt, D_opt against C and the iso-loss contours.
    let figures = || {
        let runs = report.fit.as_ref().map_or(0, |f| f.points);
        plot::allocation_figures(&allocate::methods::GroupAllocation::from_parametric(
            report.clone(),
            runs,
        ))
    };
    if let Some(p) = &a.report {
        let runs = report.fit.as_ref().map_or(0, |f| f.points);
        let g = allocate::methods::GroupAllocation::from_parametric(report.clone(), runs);
        let captioned: Vec<_> = figures()
            .into_iter()
            .map(|(name, fig)| (figure_caption(&name, &g), fig))
            .collect();
        crate::html::write(
            p,
            "slaw allocate (parametric)",
            &rep::allocation_report(&report),
            &report,
            &captioned,
            &a.file.iter().cloned().collect::<Vec<_>>(),
        )?;
    }
    if let Some(p) = &a.plot {
        for (name, fig) in figures() {
            let path = suffixed(p, &name);
            plot::save(&fig, &path)?;
            eprintln!("plot written to {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The `--report` page's caption of an allocation figure (`name`, the
/// suffix of its `--plot` file), in words.
fn figure_caption(name: &str, g: &allocate::methods::GroupAllocation) -> String {
    let what = match name {
        "isoflop" => {
            let (used, total, drawn) = g.isoflop.as_ref().map_or((0, 0, 0), |r| {
                (
                    r.used,
                    r.budgets.len(),
                    r.budgets.iter().filter(|b| b.points.len() >= 3).count(),
                )
            });
            format!(
                "IsoFLOP profiles: loss against model size at each compute budget, with each \
                 budget's parabola and its minimum N* ({used} of {total} budgets used; drawn: the \
                 {drawn} with 3 or more runs{})",
                if drawn > used {
                    format!(", the {} left out hollow", drawn - used)
                } else {
                    String::new()
                }
            )
        }
        "nopt" => "Compute-optimal model size N_opt against compute C, every method's line with \
                   its bootstrap band"
            .to_string(),
        "dopt" => "Compute-optimal training tokens D_opt against compute C, every method's line \
                   with its bootstrap band"
            .to_string(),
        "contours" => "Iso-loss contours of the parametric law in the (C = 6ND, N) plane, the \
                       optimum at each asked budget on the frontier N_opt(C)"
            .to_string(),
        other => other.to_string(),
    };
    format!("{what} (--plot file suffix -{name})")
}

/// `slaw allocate --method isoflop|envelope|all` or with groups.
fn allocate_methods(a: &AllocateArgs, budgets: &[f64], bootstrap: Resampling) -> Result<ExitCode> {
    use slaw::allocate::isoflop::Budgets;
    use slaw::allocate::methods::{allocate_group_from, AllocationMethod, Options};
    let Some(file) = &a.file else {
        bail!("--params gives the parametric law only; the isoFLOP and envelope methods need runs");
    };
    if a.d_col.is_none() && a.flops_col.is_none() {
        bail!("name the data column(s): --d-col TOKENS and/or --flops-col FLOPS");
    }
    let cols = slaw::datasets::RunColumns {
        n: a.n_col.clone(),
        tokens: a.d_col.clone(),
        flops: a.flops_col.clone(),
        loss: a.loss_col.clone(),
        group: a.group.clone(),
        budget: a.budget_col.clone(),
        filters: a
            .filters
            .iter()
            .map(|f| {
                let (c, v) = f
                    .rsplit_once('=')
                    .ok_or_else(|| anyhow::anyhow!("--where expects COL=VALUE, got '{f}'"))?;
                let v: f64 = v.trim().parse().map_err(|_| {
                    anyhow::anyhow!(
                        "--where {f}: '{v}' is not a number (--where compares numbers only; \
                             for a text column, --group {} gives each value its own analysis)",
                        c.trim()
                    )
                })?;
                Ok((c.trim().to_string(), v))
            })
            .collect::<Result<_>>()?,
        best_per_size: a.best_per_size,
    };
    let table = slaw::table::Table::read(file)?;
    let groups = slaw::datasets::pretraining_groups_table(&table, &cols, a.drop_highest)?;
    let method = match a.method {
        AllocMethod::Parametric => AllocationMethod::Parametric,
        AllocMethod::Isoflop => AllocationMethod::Isoflop,
        AllocMethod::Envelope => AllocationMethod::Envelope,
        AllocMethod::All => AllocationMethod::All,
    };
    let fit = config::fit_options(Fitting::Library)?;
    let opts = Options {
        method,
        budgets,
        grouping: if a.budget_col.is_some() {
            Budgets::Exact
        } else {
            Budgets::Gap(a.budget_gap)
        },
        bootstrap,
        fit: &fit,
    };
    // One group needs no count.
    let bar = crate::progress::bar(
        if groups.len() > 1 { groups.len() } else { 0 },
        "groups",
        a.json,
    );
    let out: Vec<_> = groups
        .iter()
        .map(|(g, runs)| {
            let r = allocate_group_from(&table.source, g, runs, &opts);
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();
    // The output's shape depends on the method and the grouping only: the
    // parametric method without --group is the one allocation `slaw
    // allocate` gives without filters (JSON: an object, not a list of one
    // group), and a fit it could not make is an error, as there.
    if a.method == AllocMethod::Parametric && a.group.is_empty() && out.len() == 1 {
        let report = out[0].clone().into_parametric()?;
        output::emit(a.json, &report, || {
            print!("{}", rep::allocation_methods_report(&out));
        })?;
    } else {
        output::emit(a.json, &out, || {
            print!("{}", rep::allocation_methods_report(&out));
        })?;
    }
    if let Some(p) = &a.report {
        let figures: Vec<_> = out
            .iter()
            .flat_map(|g| {
                plot::allocation_figures(g)
                    .into_iter()
                    .map(move |(name, fig)| {
                        let caption = if g.group.is_empty() {
                            figure_caption(&name, g)
                        } else {
                            format!("group {}: {}", g.group, figure_caption(&name, g))
                        };
                        (caption, fig)
                    })
            })
            .collect();
        crate::html::write(
            p,
            &format!("slaw allocate {}", file.display()),
            &rep::allocation_methods_report(&out),
            &out,
            &figures,
            std::slice::from_ref(file),
        )?;
    }
    if let Some(p) = &a.plot {
        // One name per group: groups that meet after sanitizing ("a/b",
        // "a_b") get distinct files.
        let keys: Vec<Vec<&str>> = out.iter().map(|g| vec![g.group.as_str()]).collect();
        for (g, group) in out.iter().zip(plot::file_suffixes(&keys)) {
            for (name, fig) in plot::allocation_figures(g) {
                let path = if g.group.is_empty() {
                    suffixed(p, &name)
                } else {
                    suffixed(p, &format!("{group}-{name}"))
                };
                plot::save(&fig, &path)?;
                eprintln!("plot written to {}", path.display());
            }
        }
    }
    // Exit 3 when some asked method could not run on some group.
    Ok(output::converged_exit(
        out.iter().all(|g| g.failed.is_empty()),
        "a method could not run on at least one group",
    ))
}
