//! `slaw bench`: the benchmarks on the public data sets, their arguments and
//! their printing (the forecast and runner benchmarks are their commands'
//! modules').

use crate::{config, forecast, output, progress, run};
use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use slaw_report::report;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub(crate) enum BenchWhat {
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
        /// BENCHMARKS.md, "Learning-curve extrapolation against M4"); `goal-worst`: the goal's
        /// terms of the worst family instead of their mean over families.
        #[arg(long, default_value = "log-ratio", value_parser = ["log-ratio", "goal", "goal-worst"])]
        criterion: String,
        /// Leaving each family out, choose the criterion (log-ratio or goal) and the keyed drift
        /// (none, steepening, span) too, by an inner leave-one-family-out on the other families
        /// scored by the goal's terms (with the corrections own-drift and per-law);
        /// the rule chosen on every family is then the nested choice too (each configuration
        /// scored by leave-one-family-out over every family: printed with its margin), the
        /// shipped rule. Overrides --corrections and --criterion.
        #[arg(long)]
        nested: bool,
        /// With keyed drifts, also their variants that combine the keyed drift (a prior learned
        /// on other curves) with the curve's own backtest drift: the prior gated by the own
        /// drift's sign, capped by it, or shrunk toward it by a weight per law learned on the
        /// families the rule is chosen on. With --nested, the pool gains the four keyed
        /// configurations with these variants (10 in all).
        #[arg(long)]
        own_evidence: bool,
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
    /// per-position losses: fit on the first 10/20/30/40/50% of each run, forecast the rest.
    Temporal {
        /// The folder of per-position CSV files (step, position, loss, lr).
        #[arg(long, default_value = "bench/temporal/data")]
        data: PathBuf,
        /// Fractions of each run's steps to fit on (0.4 and 0.5 added after a forecast at 0.5
        /// was found 6.8x off; temporal::POOLED_SCALE was computed on 0.1,0.2,0.3 only).
        #[arg(long, value_delimiter = ',', default_value = "0.1,0.2,0.3,0.4,0.5")]
        fractions: Vec<f64>,
        /// Bootstrap replicates for each method's own interval (0: none).
        #[arg(long, default_value_t = 100)]
        bootstrap: usize,
        /// Interval level.
        #[arg(long, default_value_t = 0.9, allow_negative_numbers = true)]
        level: f64,
        /// How the temporal law's trajectories are fitted: robust-bounded (the default: Huber
        /// fits, a2 among bounded forms and the lr form where the window pins the decay, warmup
        /// included), robust (Huber fits), least-squares
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

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Protocol {
    InSample,
    Lodo,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SolverKind {
    /// basin's L-BFGS-B.
    Basin,
    /// slaw's own projected L-BFGS (default).
    Box,
}

impl BenchWhat {
    /// The folder of the benchmark's data (`--data`).
    pub(crate) fn data(&self) -> &std::path::Path {
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

/// One benchmark: its flags checked, run, printed.
pub(crate) fn cmd_bench(what: BenchWhat) -> Result<ExitCode> {
    match what {
        BenchWhat::Forecast {
            data,
            coverage,
            json,
        } => forecast::bench_forecast(&data, coverage, json),
        BenchWhat::Runner {
            data,
            method,
            references,
            json,
        } => run::bench_runner(&data, method.as_deref(), references, json),
        BenchWhat::Temporal {
            data,
            fractions,
            bootstrap,
            level,
            rule,
            interval,
            pool_by,
            json,
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
            own_evidence,
            json,
        } => {
            if own_evidence && !nested && !corrections.iter().any(|c| c.starts_with("keyed")) {
                bail!(
                    "--own-evidence combines keyed drifts with the curves' own backtest drift: \
                     give --corrections keyed (or keyed-...) or --nested with it"
                );
            }
            bench_curves(
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
                        criterion: if criterion.starts_with("goal") {
                            slaw::learning_curves::Criterion::Goal
                        } else {
                            slaw::learning_curves::Criterion::LogRatio
                        },
                        aggregate: if criterion == "goal-worst" {
                            slaw::learning_curves::Aggregate::Worst
                        } else {
                            slaw::learning_curves::Aggregate::Mean
                        },
                        nested,
                        own_evidence,
                    },
                ),
                [
                    csv.as_deref(),
                    save_records.as_deref(),
                    from_records.as_deref(),
                ],
                json,
            )
        }
        BenchWhat::Kernels {
            data,
            repeats,
            json,
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
        BenchWhat::Engine {
            data,
            repeats,
            solver,
            json,
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
