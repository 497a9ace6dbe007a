//! Where a law's forecast interval width comes from, per early-to-final
//! window (the windows and priors of `forecast_coverage`: the multi-power
//! curves until 20% / 50% of their steps, the (Mis)Fitting runs until 25% /
//! 50%, the error prior learned without the curve's family): at the final
//! step, the interval's half-width (ln, the larger side) against the actual
//! |ln error|, split into its terms — the rolling-origin rate q times the
//! distance d (q from the window's own scores or pooled with the prior's
//! pseudo-scores), the white noise r_w, and the bootstrap spread (what is
//! left in quadrature). One line per window (tab-separated) and a summary
//! per cell (medians). `ORIGINS=1` also prints per window each origin's
//! raw rolling-origin scores (the farthest and the largest |ln error| / d)
//! against the final error per unit distance (lines `ORIGINS`), and the
//! window's rate (the scores' conformal rank at the level, the white noise
//! taken out) from the scores at distance >= x times the largest, x = 0,
//! 0.25, 0.5 (lines `QCUT`: |final error| / d, d, the largest distance,
//! then rate/scores per x) — BENCHMARKS.md, "Loss-curve forecasting",
//! branch `pow53`.
//! `cargo run --release -p slaw --example forecast_width_terms [data dir] [level] [law]`.

use slaw::forecast::job::{self, Choice, Data, Request};
use slaw::forecast::prior::{self, Priors};
use slaw::forecast::{protocol, Curve};
use std::path::Path;

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    slaw::stats::percentile(&v, p)
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or("../shared/data/loss-curves".into());
    let level: f64 = std::env::args()
        .nth(2)
        .map(|v| v.parse().unwrap())
        .unwrap_or(0.9);
    let law = std::env::args().nth(3).unwrap_or("log".into());
    let m = slaw::forecast::CurveLaw::parse(&law).unwrap();
    let w = prior::windows(Path::new(&dir)).unwrap();
    let s = prior::scores(&w);
    let priors_for = |family: &str, kind: &str| -> Priors {
        let e = prior::learn(&w, &s, &|x| x.family != family);
        let d = prior::learn(&w, &s, &|x| {
            x.family == "multipower" && prior::schedule_kind(&x.group) != kind
        });
        Priors {
            error: e.error,
            decay: d.decay,
            signed: e.signed,
            shortfall: e.shortfall,
        }
    };
    for fam in ["misfitting", "multipower"] {
        let p = priors_for(fam, "");
        if let Some(q) = p.error(m) {
            println!(
                "# {law}'s error prior without {fam}: q({level}) = {:.4}; quantiles {:?}",
                prior::quantile_at(q, level),
                q.iter()
                    .map(|v| (v * 1e4).round() / 1e4)
                    .collect::<Vec<_>>()
            );
        }
    }
    let mut curves: Vec<(String, Curve, f64)> = Vec::new();
    for (size, f, c) in protocol::multipower_curves(Path::new(&dir)).unwrap() {
        let n = f.file_name().unwrap().to_string_lossy().into_owned();
        let last = *c.step.last().unwrap();
        curves.push((format!("multipower {size}M {n}"), c, last));
    }
    for (c, total) in
        protocol::misfitting_runs(Path::new(&format!("{dir}/misfitting/scaling_results.csv")))
            .unwrap()
    {
        curves.push((format!("misfitting {}", c.name), c, total));
    }
    println!("cell\tcurve\tpoints\tscores\tpooled\td\tq\tqd\tr_w\tcal_hw\tboot_hw\thw\tsigned_err\tcovered");
    let mut summary = Vec::new();
    for (label, mp, fracs) in [
        ("misfitting", false, [0.25, 0.5]),
        ("multipower", true, [0.2, 0.5]),
    ] {
        for frac in fracs {
            let cell = format!("{label} {:.0}%", 100.0 * frac);
            let mut rows: Vec<[f64; 9]> = Vec::new();
            for (name, c, total) in curves.iter().filter(|x| x.0.starts_with(label)) {
                let k = c.step.iter().filter(|&&s| s <= frac * total).count();
                if k < 4 || k >= c.len() {
                    continue;
                }
                let req = Request {
                    choice: Choice::Law(m),
                    fit_until: job::FitUntil::Step(frac * total),
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
                let Ok(o) = job::run(&Data::Aggregate(c.clone()), &req) else {
                    continue;
                };
                let p = &o.forecasts[0];
                let (Some(lo), Some(hi), Some(obs)) = (p.lo, p.hi, p.observed) else {
                    continue;
                };
                let hw = (p.loss / lo).ln().max((hi / p.loss).ln());
                if std::env::var("ORIGINS").is_ok() {
                    let f = slaw::forecast::fit_curves(m, std::slice::from_ref(c), &[k]).unwrap();
                    if let Some(r) = f.rolling_scores() {
                        let d_final = (p.step / o.fit_until_step).ln();
                        let e_final = (p.observed.unwrap().ln() - p.loss.ln()) / d_final;
                        let per: Vec<String> = r
                            .per_origin
                            .iter()
                            .zip(&r.fitted)
                            .map(|(o, n)| {
                                let far = o.iter().fold((0.0f64, 0.0f64), |a, s| {
                                    if s.1 > a.1 {
                                        (s.0, s.1)
                                    } else {
                                        a
                                    }
                                });
                                let mx = o.iter().fold(0.0f64, |a, s| a.max(s.0));
                                format!("o{n}: far {:.3}@{:.2} max {:.3}", far.0, far.1, mx)
                            })
                            .collect();
                        println!(
                            "ORIGINS {cell}\t{name}\tfinal {e_final:.3}@{d_final:.2}\t{}",
                            per.join(" | ")
                        );
                        // The window's own rate (conformal rank at the level of
                        // the scores, the white noise taken out as the shipped
                        // rule does) from the scores at distance >= x times the
                        // largest distance of any origin, x = 0, 0.25, 0.5.
                        let rw = o.calibration.as_ref().map_or(0.0, |c| c.noise);
                        let dmax = r
                            .per_origin
                            .iter()
                            .flatten()
                            .fold(0.0f64, |m, s| m.max(s.1));
                        let qs: Vec<String> = [0.0, 0.25, 0.5]
                            .iter()
                            .map(|&x| {
                                let mut v: Vec<f64> = r
                                    .per_origin
                                    .iter()
                                    .zip(&r.signed)
                                    .flat_map(|(o, e)| o.iter().zip(e))
                                    .filter(|(s, _)| s.1 >= x * dmax)
                                    .map(|(s, e)| (e * e - rw * rw).max(0.0).sqrt() / s.1)
                                    .collect();
                                v.sort_by(f64::total_cmp);
                                let k = ((v.len() + 1) as f64 * level).ceil() as usize;
                                if k >= 1 && k <= v.len() {
                                    format!("{:.4}/{}", v[k - 1], v.len())
                                } else {
                                    format!("nan/{}", v.len())
                                }
                            })
                            .collect();
                        println!(
                            "QCUT {cell}\t{name}\t{:.4}\t{d_final:.4}\t{dmax:.4}\t{}",
                            e_final.abs(),
                            qs.join("\t")
                        );
                    }
                }
                let err = obs.ln() - p.loss.ln();
                let d = (p.step / o.fit_until_step).ln();
                let (q, rw, scores, pooled) = match &o.calibration {
                    Some(cal) => (
                        cal.per_distance.max(cal.per_distance_below),
                        cal.noise,
                        cal.scores as f64,
                        cal.method.starts_with("prior") as u8 as f64,
                    ),
                    None => (f64::NAN, f64::NAN, 0.0, 0.0),
                };
                let cal_hw = (q * d).hypot(rw);
                let boot = (hw * hw - cal_hw * cal_hw).max(0.0).sqrt();
                let covered = lo <= obs && obs <= hi;
                println!(
                    "{cell}\t{name}\t{}\t{scores}\t{pooled}\t{d:.4}\t{q:.4}\t{:.4}\t{rw:.4}\t{cal_hw:.4}\t{boot:.4}\t{hw:.4}\t{err:.4}\t{}",
                    o.fit_points,
                    q * d,
                    covered as u8
                );
                rows.push([
                    hw,
                    err.abs(),
                    q * d,
                    rw,
                    boot,
                    pooled,
                    covered as u8 as f64,
                    q,
                    err.abs() / d,
                ]);
            }
            if rows.is_empty() {
                continue;
            }
            let col = |j: usize| rows.iter().map(|r| r[j]).collect::<Vec<f64>>();
            summary.push(format!(
                "# {law} {cell}: windows {}, covered {}, pooled with the prior {}, median half-width {:.4}, 90th pct |ln err| {:.4} (ratio {:.2}), median q d {:.4}, r_w {:.4}, bootstrap {:.4}; median q {:.4}, 90th pct of |err| / d {:.4}",
                rows.len(),
                col(6).iter().sum::<f64>(),
                col(5).iter().sum::<f64>(),
                median(col(0)),
                pct(col(1), 0.9),
                median(col(0)) / pct(col(1), 0.9),
                median(col(2)),
                median(col(3)),
                median(col(4)),
                median(col(7)),
                pct(col(8), 0.9),
            ));
        }
    }
    for s in summary {
        println!("{s}");
    }
}
