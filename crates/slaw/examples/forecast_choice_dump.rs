//! What a choice between the step-only laws `power` and `reciprocal` can see
//! on a window, and what each law then forecasts, for offline replays of
//! `auto`'s step-only choice (`bench/forecast_choice_replay.py`). Windows:
//! the multi-power curves until 20% / 50% of their steps and the
//! (Mis)Fitting runs until 25% / 50% (as `forecast_coverage`, priors learned
//! without the curve's family), and synthetic step-only curves of known
//! truth (power, reciprocal, stretched exponential, log; noise sd 0.002,
//! 0.01, 0.03 on ln L; 60-300 evenly spaced steps; shipped priors) until
//! 25% / 50%; the same laws with a recorded learning rate the window does
//! not pin (`synth-lr-cosine`, `synth-lr-linear`: 100-400 steps, until
//! 15% / 25%). One tab-separated line per window:
//! family, curve, fraction, points fitted, observed final loss, distance
//! ln(last step / last fitted step), auto's law, forecast, lo, hi, then per
//! law (power, reciprocal): forecast, lo, hi (90%, 200 replicates, seed 0),
//! the tail RMSE of ln L (fitted on the window's first three quarters,
//! scored on its last quarter: today's `auto` tail), the in-sample RMSE of
//! ln L, the shape parameter (power: alpha; reciprocal: b x the last fitted
//! step), and the rolling-origin backtests `fitted:distance:score:signed` at
//! each origin's farthest point, comma-separated; last, the kind of auto's
//! choice (`step-only`: no learning rate; `unpinned`: a learning rate the
//! window does not pin; `pinned`) and whether its interval is the hull
//! with reciprocal's (1 / 0); then per law (power, reciprocal) the noise
//! of the window's last quarter: the RMSE of ln L of the whole-window fit
//! there, and the white noise from the first differences of those
//! residuals. The vision-style error-rate curves ([`vision`]) are drawn
//! with the seed given second (default 70); `vision-only` third dumps
//! only them.
//! `cargo run --release -p slaw --example forecast_choice_dump [loss-curves dir] [vision seed] [vision-only] > dump.tsv`.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use slaw::forecast::job::{self, Choice, Data, Request};
use slaw::forecast::prior::{self, Priors};
use slaw::forecast::{fit_curves, protocol, Curve, CurveLaw};
use std::path::Path;

struct Win {
    family: String,
    name: String,
    frac: f64,
    curve: Curve,
    until: f64,
    priors: Priors,
}

fn synthetic() -> Vec<(String, String, Curve)> {
    synthetic_with(&mut ChaCha8Rng::seed_from_u64(46), &[60, 150, 300])
}

fn synthetic_with(rng: &mut ChaCha8Rng, sizes: &[usize; 3]) -> Vec<(String, String, Curve)> {
    let mut out = vec![];
    for kind in ["power", "reciprocal", "stretched-exp", "log"] {
        for sd in [0.002, 0.01, 0.03] {
            for j in 0..6 {
                let n = sizes[j % 3];
                let dt = 10.0;
                let step: Vec<f64> = (1..=n).map(|i| dt * i as f64).collect();
                let (t0, tl) = (step[0], step[n - 1]);
                let e: f64 = rng.random_range(1.5..3.0);
                let u: f64 = rng.random_range(1.0..3.0);
                let truth: Box<dyn Fn(f64) -> f64> = match kind {
                    "power" => {
                        let a = rng.random_range(0.15..0.8);
                        let amp = e * u * t0.powf(a);
                        Box::new(move |t: f64| e + amp * t.powf(-a))
                    }
                    "reciprocal" => {
                        let b = 10f64.powf(rng.random_range(0.0..2.5)) / tl;
                        let amp = e * u * (1.0 + b * t0);
                        Box::new(move |t: f64| e + amp / (1.0 + b * t))
                    }
                    "stretched-exp" => {
                        let beta = rng.random_range(0.3..0.7);
                        let tau = tl * 10f64.powf(rng.random_range(-2.0..-0.5));
                        let amp = e * u;
                        Box::new(move |t: f64| e + amp * (-(t / tau).powf(beta)).exp())
                    }
                    _ => {
                        let b = e * rng.random_range(0.05..0.25);
                        Box::new(move |t: f64| e + b * (tl / t).ln())
                    }
                };
                let loss: Vec<f64> = step
                    .iter()
                    .map(|&t| truth(t) * (sd * slaw::synthetic::standard_normal(rng)).exp())
                    .collect();
                let name = format!("{kind} sd{sd} #{j}");
                out.push((
                    format!("synth-{kind}"),
                    name.clone(),
                    Curve {
                        name,
                        step,
                        lr: None,
                        loss,
                        schedule: None,
                        untrained: vec![],
                        lead: vec![],
                    },
                ));
            }
        }
    }
    out
}

/// Error-rate curves of a vision-style run (probe69 item 6): top-1 error
/// measured on an eval set of 10,000 or 50,000 images (binomial noise,
/// relatively larger as the error falls), at 30 / 40 / 60 log-spaced
/// numbers of images seen from 1e6 up to 1e9, 1e10 or 1e11. Truths: a
/// power law E + A x^-alpha (`vision-power`), the probe's saturating shape
/// E + (I - E)(1 + x / x0)^-alpha (`vision-vis`) and a reciprocal
/// E + A / (1 + b x) (`vision-reciprocal`). Windows: the first half / three
/// quarters of the points (fraction 0.5 / 0.75 of the points, not of the
/// steps). `seed`: develop on one, report on another.
fn vision(seed: u64) -> Vec<(String, String, Curve, [f64; 2])> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = vec![];
    for kind in ["power", "vis", "reciprocal"] {
        for j in 0..18 {
            let n = [30, 40, 60][j % 3];
            let top = [9.0, 10.0, 11.0][(j / 3) % 3];
            let m = [10_000.0, 50_000.0][j / 9];
            let step: Vec<f64> = (0..n)
                .map(|i| 10f64.powf(6.0 + (top - 6.0) * i as f64 / (n - 1) as f64))
                .collect();
            let e: f64 = rng.random_range(0.02..0.12);
            let truth: Box<dyn Fn(f64) -> f64> = match kind {
                "power" => {
                    let a = rng.random_range(0.1..0.35);
                    // the error at 1e6 images between 0.4 and 0.8
                    let amp = (rng.random_range(0.4..0.8) - e) * 1e6f64.powf(a);
                    Box::new(move |x: f64| e + amp * x.powf(-a))
                }
                "vis" => {
                    let a = rng.random_range(0.3..0.6);
                    let x0 = 10f64.powf(rng.random_range(6.5..8.0));
                    Box::new(move |x: f64| e + (0.9 - e) * (1.0 + x / x0).powf(-a))
                }
                _ => {
                    let b = 10f64.powf(rng.random_range(-0.5..2.0)) / step[n - 1];
                    let amp = (rng.random_range(0.4..0.8) - e) * (1.0 + b * step[0]);
                    Box::new(move |x: f64| e + amp / (1.0 + b * x))
                }
            };
            let loss: Vec<f64> = step
                .iter()
                .map(|&x| {
                    let p = truth(x);
                    let y =
                        p + (p * (1.0 - p) / m).sqrt() * slaw::synthetic::standard_normal(&mut rng);
                    y.clamp(1e-4, 0.9999)
                })
                .collect();
            let name = format!("{kind} n{n} 1e{top} m{m} #{j}");
            let c = Curve {
                name: name.clone(),
                step: step.clone(),
                lr: None,
                loss,
                schedule: None,
                untrained: vec![],
                lead: vec![],
            };
            // `until` just past the point that ends the window
            let w = |f: f64| step[((f * n as f64) as usize).max(4) - 1] * 1.0001;
            out.push((format!("vision-{kind}"), name, c, [w(0.5), w(0.75)]));
        }
    }
    out
}

/// Step-only laws (as [`synthetic`]) with a recorded learning rate that
/// the windows (15% / 25% of the run) do not pin: a 2% linear warmup, then
/// a cosine or linear decay over the rest of the run to 0-10% of the
/// peak. The loss follows the step-only law whatever the rate (probe47
/// finding 6's curve), so the step-only choice between power and
/// reciprocal is what matters there.
fn synthetic_lr() -> Vec<(String, String, Curve)> {
    let mut out = vec![];
    let mut rng = ChaCha8Rng::seed_from_u64(48);
    for sched in ["cosine", "linear"] {
        for (_, name, mut c) in synthetic_with(&mut rng, &[100, 200, 400]) {
            let n = c.len();
            let wu = (n / 50).max(1);
            let floor: f64 = rng.random_range(0.0..0.1);
            let peak = 3e-4;
            let lr: Vec<f64> = (0..n)
                .map(|i| {
                    if i < wu {
                        return peak * (i + 1) as f64 / wu as f64;
                    }
                    let p = (i + 1 - wu) as f64 / (n - wu) as f64;
                    let d = match sched {
                        "cosine" => 0.5 * (1.0 + (std::f64::consts::PI * p).cos()),
                        _ => 1.0 - p,
                    };
                    peak * (floor + (1.0 - floor) * d)
                })
                .collect();
            c.lr = Some(lr);
            out.push((format!("synth-lr-{sched}"), name, c));
        }
    }
    out
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or("../shared/data/loss-curves".into());
    let windows = prior::windows(Path::new(&dir)).unwrap();
    let scores = prior::scores_with_drift(&windows, false);
    let priors_for = |family: &str, kind: &str| -> Priors {
        let e = prior::learn_with(&windows, &scores, &|w| w.family != family, {
            prior::rules(prior::SIGNED_RULES)
        });
        let d = prior::learn(&windows, &scores, &|w| {
            w.family == "multipower" && prior::schedule_kind(&w.group) != kind
        });
        Priors {
            error: e.error,
            decay: d.decay,
            signed: e.signed,
            shortfall: e.shortfall,
        }
    };
    let mut wins: Vec<Win> = vec![];
    for (size, f, c) in protocol::multipower_curves(Path::new(&dir)).unwrap() {
        let n = f.file_name().unwrap().to_string_lossy().into_owned();
        let last = *c.step.last().unwrap();
        let p = priors_for("multipower", prior::schedule_kind(&c.name));
        for frac in [0.2, 0.5] {
            wins.push(Win {
                family: "multipower".into(),
                name: format!("{size}M {n}"),
                frac,
                curve: c.clone(),
                until: frac * last,
                priors: p,
            });
        }
    }
    let runs =
        protocol::misfitting_runs(Path::new(&format!("{dir}/misfitting/scaling_results.csv")))
            .unwrap();
    let p = priors_for("misfitting", "");
    for (c, total) in runs {
        for frac in [0.25, 0.5] {
            wins.push(Win {
                family: "misfitting".into(),
                name: c.name.clone(),
                frac,
                curve: c.clone(),
                until: frac * total,
                priors: p,
            });
        }
    }
    let lr_curves = synthetic_lr().into_iter().map(|x| (x, [0.15, 0.25]));
    for ((family, name, c), fracs) in synthetic()
        .into_iter()
        .map(|x| (x, [0.25, 0.5]))
        .chain(lr_curves)
    {
        let last = *c.step.last().unwrap();
        for frac in fracs {
            wins.push(Win {
                family: family.clone(),
                name: name.clone(),
                frac,
                curve: c.clone(),
                until: frac * last,
                priors: Priors::shipped(),
            });
        }
    }
    let vision_seed: u64 = std::env::args()
        .nth(2)
        .map_or(70, |s| s.parse().expect("vision seed: an integer"));
    let only_vision = std::env::args().nth(3).is_some_and(|s| s == "vision-only");
    if only_vision {
        wins.clear();
    }
    for (family, name, c, untils) in vision(vision_seed) {
        for (frac, until) in [0.5, 0.75].into_iter().zip(untils) {
            wins.push(Win {
                family: family.clone(),
                name: name.clone(),
                frac,
                curve: c.clone(),
                until,
                priors: Priors::shipped(),
            });
        }
    }
    let lines: Vec<String> = wins
        .par_iter()
        .filter_map(|w| {
            let c = &w.curve;
            let k = c.step.iter().filter(|&&s| s <= w.until).count();
            if k < 4 || k >= c.len() {
                return None;
            }
            let last = c.len() - 1;
            let obs = c.loss[last];
            let dist = (c.step[last] / c.step[k - 1]).ln();
            let run = |choice: Choice| -> Option<(String, f64, f64, f64, String)> {
                let req = Request {
                    choice,
                    fit_until: w.until.into(),
                    at: vec![],
                    schedule: None,
                    bootstrap: 200,
                    seed: 0,
                    level: 0.9,
                    priors: w.priors,
                };
                let o = job::run(&Data::Aggregate(c.clone()), &req).ok()?;
                let p = &o.forecasts[0];
                let kind = match &o.choice {
                    None => "law".to_string(),
                    Some(ch) if ch.step_only => {
                        format!("step-only\t{}", u8::from(ch.interval_hull))
                    }
                    Some(ch) if ch.annealing_identified => "pinned\t0".to_string(),
                    Some(ch) => format!("unpinned\t{}", u8::from(ch.interval_hull)),
                };
                Some((o.method.to_string(), p.loss, p.lo?, p.hi?, kind))
            };
            let auto = run(Choice::parse("auto", false).ok()?)?;
            let mut line = format!(
                "{}\t{}\t{}\t{k}\t{obs}\t{dist}\t{}\t{}\t{}\t{}",
                w.family, w.name, w.frac, auto.0, auto.1, auto.2, auto.3
            );
            for law in [CurveLaw::Power, CurveLaw::Reciprocal] {
                let (_, f, lo, hi, _) = run(Choice::Law(law))?;
                let rmse = |fit: &slaw::forecast::Fitted, idx: &[usize]| -> f64 {
                    let ss: f64 = idx
                        .iter()
                        .map(|&i| (fit.predict(0, i).ln() - c.loss[i].ln()).powi(2))
                        .sum();
                    (ss / idx.len() as f64).sqrt()
                };
                let obs_idx: Vec<usize> = (0..k).filter(|&i| !c.loss[i].is_nan()).collect();
                let train = obs_idx.len() - obs_idx.len() / 4;
                let tail = fit_curves(law, std::slice::from_ref(c), &[obs_idx[train]])
                    .ok()
                    .filter(|f| f.converged)
                    .map_or(f64::NAN, |f| rmse(&f, &obs_idx[train..]));
                let full = fit_curves(law, std::slice::from_ref(c), &[k]).ok()?;
                let ins = rmse(&full, &obs_idx);
                let shape = match law {
                    CurveLaw::Power => full.params[1],
                    _ => full.params[1] * c.step[k - 1],
                };
                let roll: Vec<String> = full
                    .rolling_scores()
                    .map(|r| {
                        r.per_origin
                            .iter()
                            .enumerate()
                            .filter_map(|(o, pts)| {
                                let (j, &(s, d)) = pts
                                    .iter()
                                    .enumerate()
                                    .max_by(|a, b| a.1 .1.total_cmp(&b.1 .1))?;
                                Some(format!("{}:{d}:{s}:{}", r.fitted[o], r.signed[o][j]))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                line += &format!(
                    "\t{f}\t{lo}\t{hi}\t{tail}\t{ins}\t{shape}\t{}",
                    roll.join(",")
                );
            }
            line += &format!("\t{}", auto.4);
            // the noise of the window's last quarter, per law: the RMSE of
            // the whole-window fit's ln residuals there, and the white
            // noise from their first differences (RMS / sqrt 2, the point
            // before the quarter included)
            for law in [CurveLaw::Power, CurveLaw::Reciprocal] {
                let obs_idx: Vec<usize> = (0..k).filter(|&i| !c.loss[i].is_nan()).collect();
                let train = obs_idx.len() - obs_idx.len() / 4;
                let full = fit_curves(law, std::slice::from_ref(c), &[k]).ok()?;
                let res: Vec<f64> = obs_idx
                    .iter()
                    .map(|&i| full.predict(0, i).ln() - c.loss[i].ln())
                    .collect();
                let q = &res[train..];
                let rq = (q.iter().map(|r| r * r).sum::<f64>() / q.len() as f64).sqrt();
                let d = &res[train.saturating_sub(1)..];
                let dd: Vec<f64> = d.windows(2).map(|p| p[1] - p[0]).collect();
                let rd = (dd.iter().map(|r| r * r).sum::<f64>() / (2.0 * dd.len() as f64)).sqrt();
                line += &format!("\t{rq}\t{rd}");
            }
            Some(line)
        })
        .collect();
    for l in lines {
        println!("{l}");
    }
}
