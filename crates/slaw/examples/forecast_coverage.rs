//! Coverage of the default `slaw forecast` intervals, early to final: every
//! shared loss curve (multi-power curves, and the (Mis)Fitting runs with at
//! least 8 checkpoints) fitted on its first 25% / 50% of steps, the default
//! call (auto, 200 bootstrap replicates, 90%) at its last step; share of
//! intervals holding the observed final loss, and the wall time per call.
//! `cargo run --release -p slaw --example forecast_coverage [data dir] [level]`.

use slaw::forecast::job::{self, Choice, Data, Request};
use slaw::forecast::{protocol, Curve};
use std::path::Path;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or("../shared/data/loss-curves".into());
    let level: f64 = std::env::args()
        .nth(2)
        .map(|v| v.parse().unwrap())
        .unwrap_or(0.9);
    let mut curves: Vec<(String, Curve, f64)> = Vec::new();
    for size in ["25", "100"] {
        let mut names: Vec<String> = std::fs::read_dir(format!("{dir}/multipower/{size}"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str().map(String::from))
            .collect();
        names.sort();
        for n in names {
            let c = Curve::read(
                Path::new(&format!("{dir}/multipower/{size}/{n}")),
                "step",
                "loss",
                Some("lr"),
            )
            .unwrap();
            let last = *c.step.last().unwrap();
            curves.push((format!("multipower {size}M {n}"), c, last));
        }
    }
    let runs =
        protocol::misfitting_runs(Path::new(&format!("{dir}/misfitting/scaling_results.csv")))
            .unwrap();
    for (c, total) in runs {
        curves.push((format!("misfitting {}", c.name), c, total));
    }
    for frac in [0.25, 0.5] {
        let mut rows: Vec<(bool, usize, usize, f64, f64)> = Vec::new(); // (multipower?, covered, kind backtest, secs, ape)
        for (name, c, total) in &curves {
            let lr = c.lr.is_some();
            let req = Request {
                choice: Choice::parse("auto", false, lr).unwrap(),
                fit_until: frac * total,
                at: vec![],
                schedule: None,
                bootstrap: 200,
                seed: 0,
                level,
            };
            let k = c.step.iter().filter(|&&s| s <= frac * total).count();
            if k < 4 || k >= c.len() {
                continue;
            }
            let t = std::time::Instant::now();
            let Ok(o) = job::run(&Data::Aggregate(c.clone()), &req) else {
                continue;
            };
            let secs = t.elapsed().as_secs_f64();
            let p = &o.forecasts[0];
            let obs = p.observed.unwrap();
            let (lo, hi) = (p.lo.unwrap(), p.hi.unwrap());
            let cov = lo <= obs && obs <= hi;
            let backtest = matches!(
                o.interval_kind,
                Some(slaw::forecast::IntervalKind::Backtest { .. })
            );
            if name.starts_with("multipower") {
                println!(
                    "{frac} {name:<40} {:<10} {:.4} [{lo:.4}, {hi:.4}] obs {obs:.4} {} {} {secs:.2} s",
                    o.method,
                    p.loss,
                    if cov { "covered" } else { "MISSED" },
                    if backtest { "backtest" } else { "bootstrap" },
                );
            }
            rows.push((
                name.starts_with("multipower"),
                cov as usize,
                backtest as usize,
                secs,
                ((p.loss - obs) / obs).abs(),
            ));
        }
        for (label, mp) in [("multipower curves", true), ("misfitting runs", false)] {
            let r: Vec<_> = rows.iter().filter(|r| r.0 == mp).collect();
            let n = r.len();
            let cov: usize = r.iter().map(|r| r.1).sum();
            let bt: Vec<_> = r.iter().filter(|r| r.2 == 1).collect();
            let bt_cov: usize = bt.iter().map(|r| r.1).sum();
            let mut secs: Vec<f64> = r.iter().map(|r| r.3).collect();
            secs.sort_by(f64::total_cmp);
            println!(
                "fit until {:.0}% | {label}: {n} forecasts, {cov} covered ({:.1}%); with a backtest interval {} ({} covered, {:.1}%); time median {:.2} s, max {:.2} s",
                100.0 * frac,
                100.0 * cov as f64 / n.max(1) as f64,
                bt.len(),
                bt_cov,
                100.0 * bt_cov as f64 / bt.len().max(1) as f64,
                secs.get(n / 2).copied().unwrap_or(0.0),
                secs.last().copied().unwrap_or(0.0)
            );
        }
    }
}
