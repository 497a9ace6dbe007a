//! Learn the forecast intervals' priors (`slaw::forecast::prior`) on every
//! public window and print them as the source of `ERROR_PRIOR` and
//! `DECAY_PRIOR`, with a summary of the scores per family / schedule kind.
//! `cargo run --release -p slaw --example derive_priors [loss-curves dir]`.

use slaw::forecast::prior::{self, K};
use slaw::forecast::CurveLaw;
use std::collections::BTreeMap;
use std::path::Path;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or("../shared/data/loss-curves".into());
    let t = std::time::Instant::now();
    let w = prior::windows(Path::new(&dir)).unwrap();
    let s = prior::scores(&w);
    eprintln!(
        "{} windows scored in {:.1} s",
        w.len(),
        t.elapsed().as_secs_f64()
    );
    let shipped = prior::Priors::shipped();
    for (j, law) in CurveLaw::ALL.iter().enumerate() {
        let mut by: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        for (win, sc) in w.iter().zip(&s) {
            let key = if win.family == "multipower" {
                format!("multipower/{}", prior::schedule_kind(&win.group))
            } else {
                win.family.clone()
            };
            let e = by.entry(key).or_default();
            e.0.extend(prior::rule_score(&sc[j], shipped.signed(*law)));
            e.1.extend(sc[j].decay);
        }
        for (k, (e, d)) in by {
            let q = |mut v: Vec<f64>, u: f64| {
                v.sort_by(f64::total_cmp);
                slaw::stats::percentile(&v, u)
            };
            if !e.is_empty() || !d.is_empty() {
                eprintln!(
                    "{:<18} {:<20} error n={:>3} median {:.4} q90 {:.4} | decay n={:>3} q05 {:.4} median {:.4} q95 {:.4}",
                    law.name(),
                    k,
                    e.len(),
                    q(e.clone(), 0.5),
                    q(e.clone(), 0.9),
                    d.len(),
                    q(d.clone(), 0.05),
                    q(d.clone(), 0.5),
                    q(d.clone(), 0.95)
                );
            }
        }
    }
    let p = prior::learn(&w, &s, &|_| true);
    let table = |name: &str, f: &dyn Fn(CurveLaw) -> Option<[f64; K]>| {
        println!("pub const {name}: &[(&str, Quantiles)] = &[");
        for law in CurveLaw::ALL {
            if let Some(q) = f(law) {
                let v: Vec<String> = q.iter().map(|x| format!("{x:e}")).collect();
                println!("    (\"{}\", [{}]),", law.name(), v.join(", "));
            }
        }
        println!("];");
    };
    table("ERROR_PRIOR", &|l| p.error(l).copied());
    table("DECAY_PRIOR", &|l| p.decay(l).copied());
    // Power's shortfall prior (candidate (D) of branch `cal51`, not
    // shipped), on every window and per family left out.
    for out in ["", "misfitting", "multipower"] {
        if let Some(q) = prior::learn_shortfall(CurveLaw::Power, &w, &s, &|x| x.family != out) {
            let v: Vec<String> = q.iter().map(|x| format!("{x:e}")).collect();
            eprintln!(
                "power shortfall prior without {out:?}: q90 {:.4}; {}",
                prior::quantile_at(&q, 0.9),
                v.join(",")
            );
        }
    }
}
