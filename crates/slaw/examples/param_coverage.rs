//! Coverage of the parameter intervals of a fit on data drawn from the law
//! itself with known parameters (well specified): the share of seeds whose
//! interval holds the true parameter, for the +-z standard-error interval
//! (Gauss-Newton at the optimum; on ln p for a parameter fitted as ln p, as
//! the Python package's `FitResult.intervals` without a bootstrap) and the
//! bootstrap's percentile interval (`slaw fit --bootstrap`) and the
//! profile-likelihood interval (`slaw fit --profile`, an open side reaching
//! the bound), with the time of the plain fit and of its profile.
//!
//! cargo run --release -p slaw --example param_coverage -- [seeds] [level] [noise] [replicates] [tails] [designs] [losses]
//!
//! `designs`: `tests` (the designs of `tests/recovery.rs`, the default),
//! `probe53` (a rectified curve still in its pre-power phase and probe53's
//! m4 curve, 12 points from 1e3 to 1.6e5) or `all`. `losses`: `both` (the
//! default), `huber` or `squared`.
//!
//! `tails`: `normal` (the default), `t3` (Student's t with 3 degrees of
//! freedom scaled to standard deviation 1: heavy tails) or `outliers` (one
//! point in 10 with 5 times the noise).
use rayon::prelude::*;
use slaw::bootstrap::{bootstrap, Resampling, Scheme};
use slaw::fit::{fit, FitOptions};
use slaw::law::{catalog, Law, Transform};
use slaw::numbers::log_space;
use slaw::objective::{Loss, Space};
use slaw::observations::Observations;
use slaw::profile::profile;
use slaw::stats::normal_quantile;
use slaw::synthetic::standard_normal;

/// The law's values at `points` times exp(noise * e), e a unit-variance
/// draw with the given tails.
fn draw(case: &Case, noise: f64, tails: &str, seed: u64) -> Observations {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let y = case
        .points
        .iter()
        .map(|p| {
            let e = match tails {
                "t3" => {
                    let z = standard_normal(&mut rng);
                    let chi2: f64 = (0..3).map(|_| standard_normal(&mut rng).powi(2)).sum();
                    z / (chi2 / 3.0).sqrt() / 3f64.sqrt()
                }
                "outliers" => {
                    let z = standard_normal(&mut rng);
                    let u = standard_normal(&mut rng);
                    if u.abs() > 1.645 {
                        5.0 * z
                    } else {
                        z
                    }
                }
                _ => standard_normal(&mut rng),
            };
            case.law.predict(p, &case.truth) * (noise * e).exp()
        })
        .collect();
    let names: Vec<&str> = case.law.inputs.iter().map(String::as_str).collect();
    let cols: Vec<Vec<f64>> = (0..names.len())
        .map(|j| case.points.iter().map(|p| p[j]).collect())
        .collect();
    Observations::from_columns(&names, &cols, y)
}

/// `n` one-input points log-spaced from `lo` to `hi`.
fn log_grid(lo: f64, hi: f64, n: usize) -> Vec<Vec<f64>> {
    log_space(lo, hi, n).into_iter().map(|x| vec![x]).collect()
}

struct Case {
    law: Law,
    truth: Vec<f64>,
    points: Vec<Vec<f64>>,
    label: String,
}

fn cases(designs: &str) -> Vec<Case> {
    let mut v = Vec::new();
    if designs == "probe53" || designs == "all" {
        let pts = log_grid(1e3, 1.6e5, 12);
        v.push(Case {
            law: catalog::rectified(),
            truth: vec![40.0, 200.0, 0.45, 1.3],
            points: pts.clone(),
            label: "rectified pre-power, 12".into(),
        });
        v.push(Case {
            law: catalog::m4(),
            truth: vec![1.5, 5.0, 1.0, 30.0, 0.5],
            points: pts,
            label: "m4 probe53, 12".into(),
        });
    }
    if designs == "probe53" {
        return v;
    }
    for n in [12, 40] {
        let e = 1.5;
        v.push(Case {
            law: catalog::power(),
            truth: vec![e * 1e6f64.powf(0.5), 0.5, e],
            points: log_grid(10.0, 1e6, n),
            label: format!("power, {n} points"),
        });
        v.push(Case {
            law: catalog::reciprocal(),
            truth: vec![3.0, 0.02, 2.5],
            points: (0..n).map(|i| vec![(i * 2000 / n) as f64]).collect(),
            label: format!("reciprocal, {n} points"),
        });
        let beta = 0.5;
        let dl = 0.1 * 1_638_400f64.powf(beta);
        let mut pts = vec![vec![0.0]];
        pts.extend(log_grid(200.0, 1_638_400.0, n - 1));
        v.push(Case {
            law: catalog::rectified(),
            truth: vec![1.5 * dl, dl, beta, 1.0],
            points: pts,
            label: format!("rectified, {n} points"),
        });
        v.push(Case {
            law: catalog::m4(),
            truth: vec![0.8, 2.8, 1.0, 10f64.powf(3.5 * 0.4), 0.4],
            points: log_grid(10.0, 1e6, n),
            label: format!("m4, {n} points"),
        });
    }
    let e = 1.8;
    let (alpha, beta) = (0.34, 0.28);
    let mut pts = Vec::new();
    for n in log_grid(1e7, 1e10, 8) {
        for d in log_grid(1e9, 1e12, 5) {
            pts.push(vec![n[0], d[0]]);
        }
    }
    v.push(Case {
        law: catalog::chinchilla(),
        truth: vec![
            0.8 * e * 10f64.powf(8.5 * alpha),
            alpha,
            0.8 * e * 10f64.powf(10.5 * beta),
            beta,
            e,
        ],
        points: pts,
        label: "chinchilla, 40 points".into(),
    });
    v
}

/// Per parameter: (seeds with a finite standard error, covered by +-z se),
/// (seeds with a bootstrap interval, covered by it), seeds the data do not pin it.
#[derive(Default, Clone)]
struct Tally {
    se: (usize, usize),
    boot: (usize, usize),
    /// (seeds with a profile, covered by it, open on a side)
    prof: (usize, usize, usize),
    unpinned: usize,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seeds: u64 = args.next().map_or(100, |s| s.parse().unwrap());
    let level: f64 = args.next().map_or(0.9, |s| s.parse().unwrap());
    let noise: f64 = args.next().map_or(0.01, |s| s.parse().unwrap());
    let replicates: usize = args.next().map_or(200, |s| s.parse().unwrap());
    let tails = args.next().unwrap_or_else(|| "normal".into());
    let designs = args.next().unwrap_or_else(|| "tests".into());
    let losses = args.next().unwrap_or_else(|| "both".into());
    let z = normal_quantile(0.5 + level / 2.0);
    println!(
        "level {level}, noise sd {noise} on ln L ({tails} tails), {seeds} seeds, {replicates} bootstrap replicates"
    );
    println!("covered / seeds: +-z se | bootstrap | profile (oN: N seeds with an open side); (u: seeds where the data do not pin it)");
    for (loss_name, loss) in [
        ("Huber 1e-3 (default)", Loss::Huber { delta: 1e-3 }),
        ("squared", Loss::Squared),
    ] {
        if losses != "both" && !loss_name.to_lowercase().starts_with(losses.as_str()) {
            continue;
        }
        let opts = FitOptions {
            loss,
            space: Space::Log,
            ..FitOptions::default()
        };
        println!("\nloss: {loss_name}");
        for case in cases(&designs) {
            let k = case.law.n_params();
            let tallies: Vec<Option<(Vec<Tally>, f64, f64)>> = (0..seeds)
                .into_par_iter()
                .map(|seed| {
                    let obs = draw(&case, noise, &tails, seed);
                    let clock = std::time::Instant::now();
                    let r = fit(&case.law, &obs, &opts).ok().filter(|r| r.converged)?;
                    let t_fit = clock.elapsed().as_secs_f64();
                    let clock = std::time::Instant::now();
                    let prof = profile(&case.law, &obs, &r, &opts, level).ok();
                    let t_prof = clock.elapsed().as_secs_f64();
                    let how = Resampling::new(replicates, level, seed);
                    let b = bootstrap(
                        &case.law,
                        &obs,
                        &r,
                        &opts,
                        &how,
                        Scheme::Points,
                        &[],
                        &|| {},
                    );
                    let enough =
                        b.converged >= Resampling::min_replicates(level) && how.enough(b.converged);
                    let id = &r.identifiability;
                    let mut t = vec![Tally::default(); k];
                    for (j, p) in case.law.params.iter().enumerate() {
                        let (v, truth) = (r.params[j], case.truth[j]);
                        if id.unidentified.contains(&p.name) {
                            t[j].unpinned += 1;
                        }
                        if let Some(s) = id.std_errors[j].filter(|s| s.is_finite()) {
                            let (lo, hi) = if p.transform == Transform::Log && v > 0.0 {
                                (v * (-z * s / v).exp(), v * (z * s / v).exp())
                            } else {
                                (v - z * s, v + z * s)
                            };
                            let (lo, hi) = (lo.max(p.lower), hi.min(p.upper));
                            t[j].se.0 += 1;
                            t[j].se.1 += usize::from(lo <= truth && truth <= hi);
                        }
                        if enough {
                            let iv = b.params[j];
                            t[j].boot.0 += 1;
                            t[j].boot.1 += usize::from(iv.lo <= truth && truth <= iv.hi);
                        }
                        if let Some(pp) = &prof {
                            let iv = pp.params[j];
                            // an open side reaches the bound
                            let lo = if iv.lo_open { p.lower } else { iv.lo };
                            let hi = if iv.hi_open { p.upper } else { iv.hi };
                            t[j].prof.0 += 1;
                            t[j].prof.1 += usize::from(lo <= truth && truth <= hi);
                            t[j].prof.2 += usize::from(iv.open());
                        }
                    }
                    Some((t, t_fit, t_prof))
                })
                .collect();
            let fitted = tallies.iter().flatten().count();
            let mut sum = vec![Tally::default(); k];
            let (mut t_fit, mut t_prof) = (Vec::new(), Vec::new());
            for (t, a, b) in tallies.iter().flatten() {
                t_fit.push(*a);
                t_prof.push(*b);
                for (s, x) in sum.iter_mut().zip(t) {
                    s.se.0 += x.se.0;
                    s.se.1 += x.se.1;
                    s.boot.0 += x.boot.0;
                    s.boot.1 += x.boot.1;
                    s.prof.0 += x.prof.0;
                    s.prof.1 += x.prof.1;
                    s.prof.2 += x.prof.2;
                    s.unpinned += x.unpinned;
                }
            }
            let median = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
            };
            let ratio: Vec<f64> = t_prof.iter().zip(&t_fit).map(|(p, f)| p / f).collect();
            let cells: Vec<String> = case
                .law
                .params
                .iter()
                .zip(&sum)
                .map(|(p, s)| {
                    let pct = |(n, c): (usize, usize)| {
                        if n == 0 {
                            "-".to_string()
                        } else {
                            format!("{:.0}% ({c}/{n})", 100.0 * c as f64 / n as f64)
                        }
                    };
                    let u = if s.unpinned > 0 {
                        format!(" u{}", s.unpinned)
                    } else {
                        String::new()
                    };
                    let open = if s.prof.2 > 0 {
                        format!(" o{}", s.prof.2)
                    } else {
                        String::new()
                    };
                    format!(
                        "{} {} | {} | {}{open}{u}",
                        p.name,
                        pct(s.se),
                        pct(s.boot),
                        pct((s.prof.0, s.prof.1))
                    )
                })
                .collect();
            println!(
                "  {:<24} fitted {fitted}/{seeds}: {}",
                case.label,
                cells.join("; ")
            );
            let (mf, mp, mr) = (
                median(&mut t_fit),
                median(&mut t_prof),
                median(&mut ratio.clone()),
            );
            println!(
                "  {:<24} median time: fit {:.2} ms, profile {:.2} ms (median ratio {:.1}x)",
                "",
                1e3 * mf,
                1e3 * mp,
                mr
            );
        }
    }
}
