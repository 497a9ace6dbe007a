//! `slaw fit`: the law (built-in or a formula) and its flags, the points to
//! predict at, the fit and its printing.

use crate::data::{load, print_note, read_table, DataArgs};
use crate::{config, html, output, progress};
use anyhow::{anyhow, bail, Result};
use clap::Args;
use slaw::analysis::{self, FitJob};
use slaw::law::{formula::formula_law, Law};
use slaw_report::{plot, report};
use std::path::PathBuf;
use std::process::ExitCode;

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
pub(crate) struct FitArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    law: LawArgs,
    /// Predict at a point: NAME=VALUE[,NAME=VALUE] or VALUE[,VALUE] (repeatable). A prediction
    /// whose interval (the extrapolation interval, else the bootstrap one) spans more than a
    /// decade (upper end over 10x the lower) or reaches 0 is marked "not determined by the data
    /// (spans X decades)" (JSON not_determined, decades).
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
    /// of the points (ordered by the input; at most 32 origins, spread over the second half,
    /// and at most 1,024 later points scored per origin, spread evenly beyond that);
    /// each refit is scored once, by the median error of its later points in the farther half
    /// of its reach, per unit of the ratio (ln distance) / (ln span of the data it saw); only
    /// the refits whose reach is at least half the longest are scored, so the number of points
    /// (their density) does not widen the interval. Their 90% quantile per unit of
    /// ratio (with fewer than 9, their normal approximation) times a misfit factor learned on
    /// public loss curves — from how far the real (Mis)Fitting runs' final losses fell from
    /// that half-width (151 windows of 11 model sizes), the level's quantile of those ratios, a
    /// window counting as 0 at the levels where its own noise floor covers its error, the
    /// largest over the levels up to the one asked (a higher level never narrows; above 95%
    /// at least the 95% factor times the normal quantiles' ratio) — scales the
    /// interval with ln(x / last x) / (ln span of the data); at least the fit's own residual
    /// quantile (with too few residuals for its conformal rank at the level (above n/(n+1)),
    /// the largest residual times z((1+level)/2) / z((1+n/(n+1))/2), so a higher level never
    /// narrows it). Measured coverage of the runs' final losses, each model size left out
    /// (windows of the first 25% / 50% of each run): 75% / 82% at 80%, 84% / 93% at 90%,
    /// 98% / 98% at 95%, 100% / 100% at 99%. Below the data the same rule mirrored (origins
    /// keep the largest points and score the smaller ones), with the same misfit factor: there
    /// is no real data of extrapolation below the data, so it is not calibrated there (the
    /// output says so); on synthetic power laws it holds the truth. With --bootstrap the
    /// interval also holds the prediction's bootstrap band where that reaches further. With
    /// power or vanilla-ft, beyond the data, it also holds the rectified law's prediction
    /// (fitted to the same points) where that falls outside (JSON `widened_to_alternative`).
    /// On fine-tuning curves (FLAN, WMT19, extrapolated 16-64x) the 90% interval still covered
    /// only 70-90% (power lowest): use `slaw select` there.
    /// A later point nearer its origin than a tenth of the median gap between distinct x
    /// values is not scored. Over 5,000 points each origin's refit is made on 500 bins of its
    /// points equally spaced in ln x (weighted by their counts), as compare's backtest pick, and
    /// a note says so (JSON `bins` in the calibration).
    #[arg(long, default_value_t = 0.95, allow_negative_numbers = true)]
    level: f64,
    /// Seed of the bootstrap's resampling (the same seed gives the same intervals).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Profile-likelihood intervals of the parameters at --level, printed beside the standard
    /// errors (JSON `profile`): each parameter held at values stepped away from its estimate
    /// (in ln for a log parameter), the others refitted, up to where the objective has risen
    /// by the level's chi-square(1) quantile times the noise scale the standard errors use (so
    /// the two agree where the objective is quadratic). A side where it never rises enough
    /// before the bound is "open": the data do not determine it (the parameter is then
    /// reported loosely determined). Where they differ by more than 2x the standard error is
    /// marked local. Measured on data drawn from the law (BENCHMARKS.md, "Profile-likelihood
    /// intervals"): where the standard errors hold they cover 86-97% at 90%; on a rectified curve
    /// still in its pre-power phase they held the floor E in 98% of fits at 95% (the standard
    /// errors 38%), on an m4 curve its I in 97% (56%), but m4's beta there in only 70-75% (use
    /// --bootstrap there). Costs 80-150 refits (3-600x the fit's time).
    #[arg(long)]
    profile: bool,
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

pub(crate) fn cmd_fit(mut a: FitArgs) -> Result<ExitCode> {
    let (table, x_note) = read_table(&mut a.data)?;
    print_note(&x_note, a.json);
    let (obs, holdout, mut opts, note) = load(&a.data, table)?;
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
        profile: a.profile,
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
            "partial result: {} group(s) not fitted (too few points; see the warnings); exit status {}",
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
