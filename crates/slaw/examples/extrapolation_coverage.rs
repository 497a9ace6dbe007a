//! Coverage of `slaw fit`'s extrapolation intervals on the (Mis)Fitting
//! curves: fit the power law L = A / step^alpha + E to the checkpoints of the
//! first 25% (50%) of each run's steps, and check whether the interval at the
//! run's last checkpoint contains its final C4 eval loss. Also the coverage of
//! an interval from the fit's residuals alone (the noise floor), for contrast.
//!
//! cargo run --release -p slaw --example extrapolation_coverage -- ../shared/data [level]
use rayon::prelude::*;
use slaw::extrapolation::calibrate;
use slaw::fit::{fit, FitOptions};
use slaw::law::catalog;

fn main() {
    let mut args = std::env::args().skip(1);
    let data = args.next().unwrap_or_else(|| "../shared/data".into());
    let level: f64 = args.next().map_or(0.9, |s| s.parse().unwrap());
    let path = std::path::Path::new(&data).join("loss-curves/misfitting/scaling_results.csv");
    let runs = slaw::forecast::protocol::misfitting_runs(&path).unwrap();
    let law = catalog::power();
    let opts = FitOptions::default();
    println!(
        "level {level}: power law on the first part of each run, interval at the last checkpoint"
    );
    println!("fraction  runs  with interval  covered  share   noise-only covered  median half-width (log)");
    for frac in [0.25, 0.5] {
        let out: Vec<Option<(bool, bool, f64)>> = runs
            .par_iter()
            .map(|(c, total)| {
                let (_, obs) = slaw::extrapolation::early_window(c, frac, *total)?;
                let r = fit(&law, &obs, &opts).ok().filter(|r| r.converged)?;
                let cal = calibrate(&law, &obs, &r, &opts, level, false)?;
                let last = c.len() - 1;
                let x = c.step[last];
                let pred = law.predict(&[x], &r.params);
                let i = cal.interval(x, pred)?;
                let y = c.loss[last];
                let covered = i.lo <= y && y <= i.hi;
                let noise_only = (y / pred).ln().abs() <= cal.noise;
                Some((covered, noise_only, (i.hi / pred).ln()))
            })
            .collect();
        let eligible = runs
            .iter()
            .filter(|(c, t)| c.step.iter().filter(|&&s| s <= frac * t).count() >= 4)
            .count();
        let ok: Vec<(bool, bool, f64)> = out.into_iter().flatten().collect();
        let cov = ok.iter().filter(|o| o.0).count();
        let noise = ok.iter().filter(|o| o.1).count();
        let mut w: Vec<f64> = ok.iter().map(|o| o.2).collect();
        w.sort_by(f64::total_cmp);
        println!(
            "{:>7.0}%  {:>4}  {:>13}  {:>7}  {:>5.1}%  {:>18}  {:.4}",
            frac * 100.0,
            eligible,
            ok.len(),
            cov,
            100.0 * cov as f64 / ok.len().max(1) as f64,
            noise,
            w.get(w.len() / 2).copied().unwrap_or(f64::NAN)
        );
    }
}
