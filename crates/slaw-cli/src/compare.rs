//! `slaw compare`: several laws fitted to the same data, ranked by held-out
//! error or combined by the backtest pick.

use crate::data::{data_spec, load, print_note, read_table, DataArgs};
use crate::{html, output};
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use slaw::analysis;
use slaw::table::Table;
use slaw_report::report;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub(crate) struct CompareArgs {
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
    /// L = (B / D^beta + E)^alpha, is fitted in the data's units too: E is in units of
    /// L^(1/alpha) and its bounds are absolute, so multiplying the loss by a constant can put E
    /// on a bound and change its fit, its backtests and the pick; x is not rescaled either, and
    /// on real learning curves B can run to its bound, so x's unit can change its fit and the
    /// pick as well. The pick for
    /// extrapolating a learning curve, benchmarked (BENCHMARKS.md, `slaw bench curves`) with
    /// --laws power,vanilla-ft,rectified,bnsl,m4-authors-capped: chosen by a nested
    /// leave-one-family-out (`slaw bench curves --nested`); out of sample (leaving one family of
    /// curves out, the choice made inside the fold) it beats M4 fitted by its authors'
    /// procedure on 74% of the curves fitted on 25% of their points (mean RMSE 0.69x) and 60%
    /// at 50% (0.70x).
    #[arg(long, value_enum, default_value = "auto")]
    pick: PickKind,
    /// The backtest pick without its learned drift correction: each law's prediction beyond the
    /// data as fitted. The drift is a prior learned on language-model learning curves (every law
    /// over-predicted their later losses); on curves of another kind (an image classifier's
    /// error rate, a curve that follows one law exactly) it lowers the prediction all the same,
    /// by a few percent per decade of x. The benchmarked pick keeps it.
    #[arg(long)]
    no_drift: bool,
    /// Values of x at which the backtest pick predicts the loss (comma separated; one input
    /// column): the median (or weighted mean) of the chosen laws' ln predictions, each lowered
    /// by its drift correction beyond the data, per group. Text and JSON (`predictions`).
    #[arg(long, value_delimiter = ',')]
    predict: Vec<f64>,
    /// Also write a self-contained HTML page (tables, warnings, provenance; compare draws no
    /// figure, so the page has none).
    #[arg(long, value_parser = crate::html::report_path)]
    report: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Backtest pick: also print the pick's weights and the rule's parameters (origins,
    /// combination, fallback, drift correction), after the plain "prediction:" line.
    #[arg(long)]
    verbose: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum PickKind {
    Auto,
    Holdout,
    Backtest,
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

pub(crate) fn cmd_compare(mut a: CompareArgs) -> Result<ExitCode> {
    let (table, x_note) = read_table(&mut a.data)?;
    print_note(&x_note, a.json);
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
        return compare_backtest(a, table);
    }
    if !a.predict.is_empty() {
        bail!(
            "--predict: only the backtest pick predicts (one input column, no --holdout, --pick \
             auto or backtest); a hold-out ranking compares laws, it does not combine them"
        );
    }
    let (obs, holdout, opts, note) = load(&a.data, table)?;
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
fn compare_backtest(a: CompareArgs, table: Table) -> Result<ExitCode> {
    let (obs, _, opts, note) = load(&a.data, table)?;
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
    let result =
        analysis::backtest_comparison(given, &obs, &opts, &a.data.y, &a.predict, !a.no_drift)?;
    let text = report::backtest_report(&result, a.verbose, report::Interface::Cli);
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
    } else if result.values_rise {
        eprintln!(
            "error: the values rise with x (see the warning): the laws describe a falling \
             loss, so their predictions are not to be acted on; exit status 3"
        );
        Ok(ExitCode::from(3))
    } else if result.groups.iter().all(|p| p.choice.is_some()) {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: no law was eligible for at least one group (see the reasons above)");
        Ok(ExitCode::from(3))
    }
}
