//! The pieces of every step-only law's forecast interval on every window the
//! priors learn from (`slaw::forecast::prior::windows`: the (Mis)Fitting runs
//! at 25% / 50% of their steps, the multi-power curves at 20% / 35% / 50%,
//! the four synthetic families at 25% / 50% of their points), one
//! tab-separated line per window and law, for offline replays of interval
//! rules (`bench/forecast_interval_replay.py`):
//! family, group, curve, law, points fitted, points, decay ahead at the last
//! point (fraction of the peak rate, 0 when none or negligible), fitted
//! share of the steps, final error ln L - ln forecast, extrapolation
//! distance ln(last step / last fitted step), the bootstrap's half-widths
//! below / above the forecast in ln (200 replicates, seed 0, 90%), and the
//! window's own rolling-origin scores `origin:score:distance:signed:fitted`,
//! comma-separated (score = |signed| / distance; signed = ln forecast - ln
//! truth of the origin's refit at that later point: positive = over-predicts;
//! fitted = the points the origin's refit saw), and the jackknife of the
//! forecast at the last point (`Fitted::jackknife`: per fitted point left
//! out, ln of the refit's forecast minus ln of the full fit's; NaN where a
//! refit failed; empty for windows of fewer than parameters + 1 points).
//! `cargo run --release -p slaw --example forecast_interval_dump [loss-curves dir] > dump.tsv`.

use rayon::prelude::*;
use slaw::forecast::{fit_curves, prior};
use std::path::Path;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or("../shared/data/loss-curves".into());
    let windows = prior::windows(Path::new(&dir)).unwrap();
    let lines: Vec<String> = windows
        .par_iter()
        .flat_map(|w| {
            let mut out = vec![];
            for law in prior::ERROR_LAWS {
                let Ok(f) = fit_curves(law, std::slice::from_ref(&w.curve), &[w.upto]) else {
                    continue;
                };
                if !f.converged {
                    continue;
                }
                let last = w.curve.len() - 1;
                let until = w.curve.step[w.upto - 1];
                let pred = f.predict(0, last);
                let obs = w.curve.loss[last];
                let dstar = (w.curve.step[last] / until).ln();
                let (b, _) = f.bootstrap(&[(0, last)], 200, 0, 0.9);
                let (blo, bhi) = b
                    .first()
                    .map(|b| ((pred / b.lo).ln().max(0.0), (b.hi / pred).ln().max(0.0)))
                    .unwrap_or((0.0, 0.0));
                let scores: Vec<String> = f
                    .rolling_scores()
                    .map(|r| {
                        r.per_origin
                            .iter()
                            .enumerate()
                            .flat_map(|(k, o)| {
                                let m = r.fitted[k];
                                o.iter()
                                    .zip(&r.signed[k])
                                    .map(move |((s, d), e)| {
                                        format!("{k}:{s:.6e}:{d:.6e}:{e:.6e}:{m}")
                                    })
                                    .collect::<Vec<_>>()
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let jack: Vec<String> = f
                    .jackknife(0, last)
                    .iter()
                    .map(|v| format!("{:.6e}", v - pred.ln()))
                    .collect();
                let ahead = prior::decay_ahead(&w.curve, until)
                    .last()
                    .copied()
                    .flatten()
                    .unwrap_or(0.0);
                out.push(format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{:.3}\t{:.6e}\t{:.6e}\t{:.6e}\t{:.6e}\t{:.6e}\t{}\t{}",
                    w.family,
                    w.group,
                    w.curve.name,
                    law.name(),
                    w.upto,
                    w.curve.len(),
                    ahead,
                    until / w.curve.step[last],
                    obs.ln() - pred.ln(),
                    dstar,
                    blo,
                    bhi,
                    scores.join(","),
                    jack.join(",")
                ));
            }
            out
        })
        .collect();
    for l in lines {
        println!("{l}");
    }
}
