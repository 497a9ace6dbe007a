//! Coverage of `slaw fit`'s extrapolation intervals on the (Mis)Fitting
//! curves: fit the power law L = A / step^alpha + E to the checkpoints of the
//! first 25% (50%) of each run's steps, and check whether the interval at the
//! run's last checkpoint contains its final C4 eval loss. Also the coverage of
//! an interval from the fit's residuals alone (the noise floor), for contrast.
//!
//! With a bootstrap count, also the coverage of the interval widened to
//! hold the bootstrap band of the prediction (a pairs bootstrap of the
//! window's points, as `slaw fit --bootstrap N` draws it). For power and
//! vanilla-ft that column also holds the rectified law's prediction where
//! it falls outside, as `slaw fit` does (without a bootstrap count too).
//!
//! cargo run --release -p slaw --example extrapolation_coverage -- ../shared/data [level] [law] [bootstrap]
use rayon::prelude::*;
use slaw::analysis::{alternative_law, hold_alternative, AlternativePrediction};
use slaw::bootstrap::{bootstrap, Interval, Resampling, Scheme};
use slaw::extrapolation::calibrate;
use slaw::fit::{fit, FitOptions};
use slaw::law::catalog;

/// Per window: covered, covered by the noise floor alone, the half-width
/// (ln), covered by the hull with the bootstrap band, its half-width.
type Outcome = (bool, bool, f64, bool, f64);

fn main() {
    let mut args = std::env::args().skip(1);
    let data = args.next().unwrap_or_else(|| "../shared/data".into());
    let level: f64 = args.next().map_or(0.9, |s| s.parse().unwrap());
    let path = std::path::Path::new(&data).join("loss-curves/misfitting/scaling_results.csv");
    let runs = slaw::forecast::protocol::misfitting_runs(&path).unwrap();
    let name = args.next().unwrap_or_else(|| "power".into());
    let law = catalog::by_name(&name).expect("a catalog law");
    let replicates: usize = args.next().map_or(0, |s| s.parse().unwrap());
    let opts = FitOptions::default();
    println!(
        "level {level}: {name} law on the first part of each run, interval at the last checkpoint"
    );
    println!("fraction  runs  with interval  covered  share   noise-only covered  median half-width (log)  bootstrap hull covered  its median half-width");
    for frac in [0.25, 0.5] {
        let out: Vec<Option<Outcome>> = runs
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
                // the hull with the bootstrap band, where one is drawn
                let (lo, hi) = if replicates > 0 {
                    let how = Resampling {
                        replicates,
                        level,
                        seed: 0,
                    };
                    let b = bootstrap(
                        &law,
                        &obs,
                        &r,
                        &opts,
                        &how,
                        Scheme::Points,
                        &[vec![x]],
                        &|| {},
                    );
                    let band = b.predictions[0];
                    (i.lo.min(band.lo), i.hi.max(band.hi))
                } else {
                    (i.lo, i.hi)
                };
                // power and vanilla-ft: the interval also holds the rectified
                // law's prediction where it falls outside (as `slaw fit`)
                let (lo, hi) = match alternative_law(&law) {
                    Some((name, alt)) => {
                        let value = fit(&alt, &obs, &opts)
                            .ok()
                            .filter(|a| a.converged)
                            .map_or(f64::NAN, |a| alt.predict(&[x], &a.params));
                        let other = AlternativePrediction { law: name, value };
                        let held = hold_alternative(Some(Interval { lo, hi }), other)
                            .0
                            .unwrap();
                        (held.lo, held.hi)
                    }
                    None => (lo, hi),
                };
                let hull = lo <= y && y <= hi;
                Some((
                    covered,
                    noise_only,
                    (i.hi / pred).ln(),
                    hull,
                    0.5 * (hi / lo).ln(),
                ))
            })
            .collect();
        let eligible = runs
            .iter()
            .filter(|(c, t)| c.step.iter().filter(|&&s| s <= frac * t).count() >= 4)
            .count();
        let ok: Vec<Outcome> = out.into_iter().flatten().collect();
        let hull = ok.iter().filter(|o| o.3).count();
        let mut hw: Vec<f64> = ok.iter().map(|o| o.4).collect();
        hw.sort_by(f64::total_cmp);
        let cov = ok.iter().filter(|o| o.0).count();
        let noise = ok.iter().filter(|o| o.1).count();
        let mut w: Vec<f64> = ok.iter().map(|o| o.2).collect();
        w.sort_by(f64::total_cmp);
        println!(
            "{:>7.0}%  {:>4}  {:>13}  {:>7}  {:>5.1}%  {:>18}  {:>23.4}  {:>22}  {:.4}",
            frac * 100.0,
            eligible,
            ok.len(),
            cov,
            100.0 * cov as f64 / ok.len().max(1) as f64,
            noise,
            w.get(w.len() / 2).copied().unwrap_or(f64::NAN),
            hull,
            hw.get(hw.len() / 2).copied().unwrap_or(f64::NAN)
        );
    }
}
