//! `slaw forecast` and `slaw bench forecast`: argument parsing and printing.

use anyhow::{bail, Result};
use clap::Args;
use slaw::forecast::{self, accuracy, protocol, Curve, Method};
use slaw::plot::{self, Figure, Series, SeriesKind};
use slaw::report::forecast::{self as rep, ForecastOutput};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ForecastArgs {
    /// One loss curve: CSV/TSV/JSON lines with step, loss and (for the schedule-aware laws) lr columns.
    file: PathBuf,
    /// The part of the curve to fit: a fraction of the last step (<= 1) or a step (> 1).
    #[arg(long, default_value_t = 0.2)]
    fit_until: f64,
    /// power, reciprocal, log (steps only) or tissue, multipower (need the learning rate).
    #[arg(long, default_value = "multipower")]
    method: String,
    /// Steps to forecast (default: the last step of the file). With a schedule-aware law the
    /// forecast is at the recorded step nearest to each.
    #[arg(long, num_args = 1..)]
    at: Vec<f64>,
    #[arg(long, default_value = "step")]
    step_col: String,
    #[arg(long, default_value = "loss")]
    loss_col: String,
    /// The learning-rate column (default: "lr" when present).
    #[arg(long)]
    lr_col: Option<String>,
    #[arg(long)]
    json: bool,
    /// Plot the observed curve, the fitted part and the forecast (.svg or .png).
    #[arg(long)]
    plot: Option<PathBuf>,
}

pub fn cmd_forecast(a: ForecastArgs) -> Result<ExitCode> {
    let method = Method::parse(&a.method)?;
    let curve = Curve::read(&a.file, &a.step_col, &a.loss_col, a.lr_col.as_deref())?;
    let last = *curve.step.last().expect("non-empty");
    if !(a.fit_until > 0.0 && a.fit_until.is_finite()) {
        bail!("--fit-until must be > 0 (a fraction <= 1 or a step)");
    }
    let until = if a.fit_until <= 1.0 {
        a.fit_until * last
    } else {
        a.fit_until
    };
    let k = curve.step.iter().filter(|&&s| s <= until).count();
    let f = forecast::fit_curves(method, std::slice::from_ref(&curve), &[k])?;
    let mut out = ForecastOutput::new(&curve.name, &f, k, until);
    let at = if a.at.is_empty() {
        vec![last]
    } else {
        a.at.clone()
    };
    for &t in &at {
        if t.is_nan() || t <= 0.0 {
            bail!("--at steps must be > 0 (got {t})");
        }
        let nearest = (0..curve.len())
            .min_by(|&i, &j| {
                (curve.step[i] - t)
                    .abs()
                    .total_cmp(&(curve.step[j] - t).abs())
            })
            .expect("non-empty");
        let (step, pred, obs) = if method.needs_lr() {
            if t > last * 1.001 {
                bail!(
                    "--at {t}: the {} law needs the learning rate, which the file gives only up to step {last}",
                    method.name()
                );
            }
            (
                curve.step[nearest],
                f.predict(0, nearest),
                Some(curve.loss[nearest]),
            )
        } else {
            let exact = (curve.step[nearest] - t).abs() < 1e-9;
            (
                t,
                f.law.predict(&[t, 1.0, 0.0, 0.0, 0.0], &f.params),
                exact.then(|| curve.loss[nearest]),
            )
        };
        out.forecasts.push((step, pred, obs));
    }
    if k < curve.len() {
        let pred: Vec<f64> = (k..curve.len()).map(|i| f.predict(0, i)).collect();
        out.rest = Some(accuracy(&pred, &curve.loss[k..]));
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", rep::forecast_report(&out));
    }
    if let Some(p) = &a.plot {
        let pts = |r: std::ops::Range<usize>| -> Vec<(f64, f64)> {
            r.map(|i| (curve.step[i], curve.loss[i])).collect()
        };
        let fig = Figure {
            title: format!(
                "{}: {} law fitted up to step {}",
                curve.name,
                method.name(),
                until
            ),
            x_label: "step".into(),
            y_label: "loss".into(),
            series: vec![
                Series {
                    label: "fitted part".into(),
                    color: 0,
                    kind: SeriesKind::Points,
                    points: pts(0..k),
                },
                Series {
                    label: "truth (not fitted)".into(),
                    color: 7,
                    kind: SeriesKind::HollowPoints,
                    points: pts(k..curve.len()),
                },
                Series {
                    label: "forecast".into(),
                    color: 3,
                    kind: SeriesKind::Line,
                    points: (0..curve.len())
                        .map(|i| (curve.step[i], f.predict(0, i)))
                        .collect(),
                },
            ],
            vlines: vec![(until, "end of fit".into())],
        };
        plot::save(&fig, p)?;
        eprintln!("plot written to {}", p.display());
    }
    Ok(if f.converged {
        ExitCode::SUCCESS
    } else {
        eprintln!("warning: the fit did not converge; exit status 3");
        ExitCode::from(3)
    })
}

/// `slaw bench forecast`: both protocols.
pub fn bench_forecast(data: &std::path::Path, json: bool) -> Result<ExitCode> {
    let t = std::time::Instant::now();
    let sched = protocol::schedules(&data.join("multipower"), &Method::ALL)?;
    let t_sched = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let early = protocol::early_to_final(
        &data.join("misfitting/scaling_results.csv"),
        &Method::ALL,
        &[0.25, 0.5],
    )?;
    let t_early = t.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"schedules": sched, "early_to_final": early})
            )?
        );
    } else {
        print!("{}", rep::schedules_table(&sched));
        println!("published (Luo et al.): multi-power 25M 0.9975 / 0.0039 / 0.0046, 100M 0.9982 / 0.0038 / 0.0051;");
        println!("                        Tissue et al.  25M 0.9904 / 0.0047 / 0.0060, 100M 0.9959 / 0.0068 / 0.0095");
        println!("({t_sched:.2} s)\n");
        print!("{}", rep::early_table(&early));
        println!("(the file has no learning rates: the schedule-aware laws are not run here; {t_early:.2} s)");
    }
    Ok(ExitCode::SUCCESS)
}
