//! Coverage of `slaw forecast` intervals, early to final, per law: every
//! shared loss curve — the multi-power curves fitted until 20% / 50% of
//! their steps, the (Mis)Fitting runs with at least 4 checkpoints in the
//! window until 25% / 50% — forecast at its last step with the law (200
//! bootstrap replicates, seed 0, at `level`); share of intervals holding the
//! observed final loss, split by what the interval is (calibrated on the
//! window, pooled with the prior, refit spread only) and by whether the
//! learning rate's decay is still ahead of the window; the median half-width
//! and the mean interval (Winkler) score in ln units: the width plus
//! 2 / (1 - level) times the distance by which the truth falls outside.
//! The priors (`slaw::forecast::prior`): `PRIORS=lofo` (default) learns them
//! for each curve without its family (error prior: misfitting, multipower,
//! each synthetic family) and without its schedule's kind (decay prior:
//! constant, cosine, wsd, wsdld, wsdcon; both model sizes), `PRIORS=shipped`
//! uses the shipped tables, `PRIORS=none` none (the window alone).
//! The signed interval rules under `PRIORS=lofo` (`extrapolation::Signed`):
//! `RULES=shipped` (default) the shipped ones (`prior::SIGNED_RULES`: none),
//! `RULES=own-drift` the candidate of branch `cov3`, the rules
//! `bench/forecast_interval_replay.py own` chooses leaving the curve's family
//! out ([`lofo_rules`]; not adopted), `RULES=none` none.
//! `SHORTFALL=1` adds power's shortfall prior (`prior::learn_shortfall`,
//! candidate (D) of branch `cal51`, not shipped), learned without the
//! curve's family.
//! `cargo run --release -p slaw --example forecast_coverage [data dir] [level] [laws,comma-separated]`.

use slaw::forecast::job::{self, Choice, Data, Request};
use slaw::forecast::prior::{self, Priors, Signed};
use slaw::forecast::{protocol, Curve};
use std::path::Path;

/// One forecast: covered, what the interval is, decay ahead, half-width (ln),
/// seconds, interval score (ln units).
type Row = (bool, String, bool, f64, f64, f64);

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or("../shared/data/loss-curves".into());
    let level: f64 = std::env::args()
        .nth(2)
        .map(|v| v.parse().unwrap())
        .unwrap_or(0.9);
    let laws: Vec<String> = std::env::args()
        .nth(3)
        .unwrap_or("auto,power,reciprocal,log,tissue,multipower,multipower-warmup".into())
        .split(',')
        .map(String::from)
        .collect();
    let verbose = std::env::var("VERBOSE").is_ok();
    // CANDIDATES=1: per schedule-aware forecast whose window does not pin
    // the annealing terms, a tab-separated line of what the point-forecast
    // candidates of branch `mpf72` read (BENCHMARKS.md).
    let candidates = std::env::var("CANDIDATES").is_ok();
    let mode = std::env::var("PRIORS").unwrap_or("lofo".into());
    let rules_mode = std::env::var("RULES").unwrap_or("shipped".into());
    // SHORTFALL=1: power's shortfall prior (`prior::learn_shortfall`,
    // candidate (D) of branch `cal51`, not shipped) learned without the
    // curve's family.
    let shortfall = std::env::var("SHORTFALL").is_ok();
    let (windows, scores) = if mode == "lofo" {
        let t = std::time::Instant::now();
        let w = prior::windows(Path::new(&dir)).unwrap();
        let s = prior::scores_with_drift(&w, rules_mode == "own-drift");
        eprintln!(
            "{} windows scored in {:.1} s",
            w.len(),
            t.elapsed().as_secs_f64()
        );
        (w, s)
    } else {
        (vec![], vec![])
    };
    let priors_for = |family: &str, kind: &str| -> Priors {
        match mode.as_str() {
            "none" => Priors::none(),
            "shipped" => Priors::shipped(),
            _ => {
                let rules = match rules_mode.as_str() {
                    "none" => prior::rules(&[]),
                    "own-drift" => prior::rules(&lofo_rules(family)),
                    _ => prior::rules(prior::SIGNED_RULES),
                };
                let e = prior::learn_with(&windows, &scores, &|w| w.family != family, rules);
                let d = prior::learn(&windows, &scores, &|w| {
                    w.family == "multipower" && prior::schedule_kind(&w.group) != kind
                });
                let mut p = Priors {
                    error: e.error,
                    decay: d.decay,
                    signed: e.signed,
                    shortfall: e.shortfall,
                };
                if shortfall {
                    let q = prior::learn_shortfall(
                        slaw::forecast::CurveLaw::Power,
                        &windows,
                        &scores,
                        &|w| w.family != family,
                    );
                    if verbose {
                        eprintln!("shortfall prior without {family}: {q:?}");
                    }
                    p.set_shortfall(slaw::forecast::CurveLaw::Power, q);
                }
                p
            }
        }
    };
    let mut curves: Vec<(String, Curve, f64)> = Vec::new();
    for (size, f, c) in protocol::multipower_curves(Path::new(&dir)).unwrap() {
        let n = f.file_name().unwrap().to_string_lossy().into_owned();
        let last = *c.step.last().unwrap();
        curves.push((format!("multipower {size}M {n}"), c, last));
    }
    let runs =
        protocol::misfitting_runs(Path::new(&format!("{dir}/misfitting/scaling_results.csv")))
            .unwrap();
    for (c, total) in runs {
        curves.push((format!("misfitting {}", c.name), c, total));
    }
    for law in &laws {
        for (label, mp, fracs) in [
            ("multipower", true, [0.2, 0.5]),
            ("misfitting", false, [0.25, 0.5]),
        ] {
            for frac in fracs {
                // (covered, kind, decay ahead, half-width ln, secs)
                let mut rows: Vec<Row> = Vec::new();
                let mut refused: Vec<String> = Vec::new();
                for (name, c, total) in curves.iter().filter(|x| x.0.starts_with(label)) {
                    let lr = c.lr.is_some();
                    let Ok(choice) = Choice::parse(law, false) else {
                        continue;
                    };
                    if let Choice::Law(m) = choice {
                        if m.needs_lr() && !lr {
                            continue;
                        }
                    }
                    let req = Request {
                        choice,
                        fit_until: slaw::forecast::job::FitUntil::Step(frac * total),
                        at: vec![],
                        schedule: None,
                        bootstrap: 200,
                        seed: 0,
                        level,
                        priors: if mp {
                            priors_for("multipower", prior::schedule_kind(&c.name))
                        } else {
                            priors_for("misfitting", "")
                        },
                    };
                    let k = c.step.iter().filter(|&&s| s <= frac * total).count();
                    if k < 4 || k >= c.len() {
                        continue;
                    }
                    let t = std::time::Instant::now();
                    let o = match job::run(&Data::Aggregate(c.clone()), &req) {
                        Ok(o) => o,
                        Err(e) => {
                            // A refusal is counted and its reason printed
                            // under the row, not skipped silently.
                            refused.push(format!("{name}: {e}"));
                            continue;
                        }
                    };
                    let secs = t.elapsed().as_secs_f64();
                    let p = &o.forecasts[0];
                    let obs = p.observed.unwrap();
                    let (lo, hi) = (p.lo.unwrap(), p.hi.unwrap());
                    let cov = lo <= obs && obs <= hi;
                    let kind = match (&o.interval_kind, &o.calibration) {
                        (Some(slaw::forecast::IntervalKind::Backtest { .. }), Some(c))
                            if c.method.contains("prior") =>
                        {
                            "prior"
                        }
                        (Some(slaw::forecast::IntervalKind::Backtest { .. }), _) => "window",
                        _ => "bootstrap",
                    };
                    let ahead = o.decay.is_some_and(|d| !d.identified());
                    if verbose {
                        println!(
                            "{law} {frac} {name:<45} {:<10} {:.4} [{lo:.4}, {hi:.4}] obs {obs:.4} {} {kind}{} {secs:.2} s",
                            o.method,
                            p.loss,
                            if cov { "covered" } else { "MISSED" },
                            if ahead { " decay-ahead" } else { "" },
                        );
                    }
                    if candidates && ahead {
                        if let Choice::Law(m) = choice {
                            if m.needs_lr() {
                                print_candidate(law, frac, name, c, &req, &o, obs);
                            }
                        }
                    }
                    // Interval (Winkler) score in ln units: width, plus 2 / alpha
                    // times the distance by which the truth falls outside.
                    let alpha = 1.0 - level;
                    let (l, h, y) = (lo.ln(), hi.ln(), obs.ln());
                    let score = (h - l) + 2.0 / alpha * ((l - y).max(0.0) + (y - h).max(0.0));
                    rows.push((cov, kind.into(), ahead, 0.5 * (hi / lo).ln(), secs, score));
                }
                if rows.is_empty() {
                    continue;
                }
                for r in &refused {
                    println!("refused ({law} {:.0}%): {r}", 100.0 * frac);
                }
                let share = |f: &dyn Fn(&Row) -> bool| {
                    let r: Vec<_> = rows.iter().filter(|r| f(r)).collect();
                    let c = r.iter().filter(|r| r.0).count();
                    if r.is_empty() {
                        "-".to_string()
                    } else {
                        format!(
                            "{c}/{} ({:.0}%)",
                            r.len(),
                            100.0 * c as f64 / r.len() as f64
                        )
                    }
                };
                let mut hw: Vec<f64> = rows.iter().map(|r| r.3).collect();
                hw.sort_by(f64::total_cmp);
                let mut secs: Vec<f64> = rows.iter().map(|r| r.4).collect();
                secs.sort_by(f64::total_cmp);
                println!(
                    "| {law} | {label} {:.0}% | {} | window {} | prior {} | bootstrap-only {} | decay ahead {} | rest {} | median half-width {:.4} | mean interval score {:.4} | max {:.2} s |",
                    100.0 * frac,
                    share(&|_| true),
                    share(&|r| r.1 == "window"),
                    share(&|r| r.1 == "prior"),
                    share(&|r| r.1 == "bootstrap"),
                    share(&|r| r.2),
                    share(&|r| !r.2),
                    hw[hw.len() / 2],
                    rows.iter().map(|r| r.5).sum::<f64>() / rows.len() as f64,
                    secs.last().copied().unwrap_or(0.0),
                );
            }
        }
    }
}

/// The signed rules chosen without `family` by
/// `python3 bench/forecast_interval_replay.py dump.tsv own` (its "chosen"
/// line: shrink, mode per law and family left out; 0 / "sym" is no rule),
/// for the two real families this example measures.
fn lofo_rules(family: &str) -> Vec<(&'static str, Signed)> {
    let r = |shrink, asymmetric| Signed { shrink, asymmetric };
    match family {
        "misfitting" => vec![("log", r(1.0, true))],
        "multipower" => vec![("power", r(0.25, false)), ("log", r(0.75, true))],
        _ => vec![],
    }
}

/// `CANDIDATES=1`'s line: law, fraction, curve, the law's forecast and
/// interval, the step-only reciprocal law's forecast and interval (decay
/// term included) on the same window, the median of its decay prior, the
/// decay ahead at the forecast step, the observed loss.
fn print_candidate(
    law: &str,
    frac: f64,
    name: &str,
    c: &Curve,
    req: &Request,
    o: &job::ForecastOutput,
    obs: f64,
) {
    let p = &o.forecasts[0];
    let mut r = req.clone();
    r.choice = Choice::Law(slaw::forecast::CurveLaw::Reciprocal);
    let Ok(ro) = job::run(&Data::Aggregate(c.clone()), &r) else {
        println!("CAND\t{law}\t{frac}\t{name}\tno-reciprocal");
        return;
    };
    let q = &ro.forecasts[0];
    let z50 = req
        .priors
        .decay(slaw::forecast::CurveLaw::Reciprocal)
        .map_or(f64::NAN, |q| prior::quantile_at(q, 0.5));
    let until = frac * *c.step.last().unwrap();
    let until = c
        .step
        .iter()
        .copied()
        .filter(|&s| s <= until)
        .fold(0.0, f64::max);
    let d = prior::decay_ahead(c, until)
        .last()
        .copied()
        .flatten()
        .unwrap_or(f64::NAN);
    println!(
        "CAND\t{law}\t{frac}\t{name}\t{}\t{}\t{}\t{}\t{}\t{}\t{z50}\t{d}\t{obs}",
        p.loss,
        p.lo.unwrap(),
        p.hi.unwrap(),
        q.loss,
        q.lo.unwrap(),
        q.hi.unwrap(),
    );
}
