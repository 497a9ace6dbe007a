//! `slaw fit`'s extrapolation interval rules (`extrapolation::FitRule`) on
//! the (Mis)Fitting curves, with a misspecification multiplier k learned
//! leaving one family (model size) out: the power law fitted to the
//! checkpoints of the first 25% / 50% of each run's steps, the interval at
//! the run's last checkpoint, covered if it holds the final C4 eval loss.
//! Per rule and window: coverage and median half-width (ln) with k = 1, and
//! with k learned on the other families' runs (both windows pooled: the
//! conformal quantile at the level of err / (rule's half-width), 0 where
//! the noise floor alone covers). For C: D' and D'' (normalized), D''' (D''
//! with the ratio 0 where the window's floor at 0.5 / 0.9 / 0.95 / the level
//! covers its error; D'' below that level) and the D'' tail (ratios > 3).
//! K (fx47a, shipped): D'' with each window 0 from the lowest level at which
//! its floor covers its error up, the running maximum over the levels
//! (`extrapolation::misfit_multiplier`).
//!
//! cargo run --release -p slaw --example extrapolation_lofo -- ../shared/data [level]
use rayon::prelude::*;
use slaw::extrapolation::{
    calibrate_with, covering_level, far_ratio_scores, misfit_multiplier, noise_floor,
    rolling_scores, Along, FitRule, FIT_MAX_ORIGINS, FIT_MAX_SCORES_PER_ORIGIN,
};
use slaw::fit::{fit, FitOptions};
use slaw::law::catalog;

/// (family, window fraction, |ln error|, the rule's rate times the distance,
/// noise floor, level-free scale b: rms of the kept scores times rho*)
type Case = (String, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64);

fn conformal(mut v: Vec<f64>, level: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let k = ((v.len() + 1) as f64 * level).ceil() as usize;
    v[k.clamp(1, v.len()) - 1]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let data = args.next().unwrap_or_else(|| "../shared/data".into());
    let level: f64 = args.next().map_or(0.9, |s| s.parse().unwrap());
    // a third argument `c12`: only rule C 1/2
    let only_c12 = args.next().as_deref() == Some("c12");
    let path = std::path::Path::new(&data).join("loss-curves/misfitting/scaling_results.csv");
    let runs = slaw::forecast::protocol::misfitting_runs(&path).unwrap();
    let law = catalog::power();
    let opts = FitOptions::default();
    let rules = [
        ("every later point", FitRule::EveryLater),
        ("C 1/2", FitRule::FarRatio { share: 0.5, k: 1.0 }),
        (
            "C 1/4",
            FitRule::FarRatio {
                share: 0.25,
                k: 1.0,
            },
        ),
    ];
    println!(
        "level {level}; families: model sizes; k learned without the family, both windows pooled"
    );
    let shipped = &slaw::extrapolation::MISFIT_RATIOS;
    let all: Vec<f64> = shipped.iter().map(|w| w.0).collect();
    println!(
        "shipped multiplier by level (the quantile of every ratio, fx46d's D'', in brackets): {}",
        [0.5, 0.8, 0.9, 0.93, 0.94, 0.95, 0.97, 0.99, 0.999]
            .iter()
            .map(|&l| format!(
                "{l} {:.3} ({:.3})",
                misfit_multiplier(shipped, l),
                noise_floor(all.clone(), l).0
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("rule               window  runs  with  k=1 covered  share  med hw | LOFO covered  share  med hw  k range");
    for (name, rule) in rules {
        if only_c12 && name != "C 1/2" {
            continue;
        }
        let mut cases: Vec<Case> = Vec::new();
        let mut eligible = [0usize; 2];
        for (wi, frac) in [0.25, 0.5].into_iter().enumerate() {
            let out: Vec<Option<Case>> = runs
                .par_iter()
                .map(|(c, total)| {
                    let (k, obs) = slaw::extrapolation::early_window(c, frac, *total)?;
                    let r = fit(&law, &obs, &opts).ok().filter(|r| r.converged)?;
                    let cal = calibrate_with(&law, &obs, &r, &opts, level, false, rule)?;
                    let x = *c.step.last().unwrap();
                    let pred = law.predict(&[x], &r.params);
                    let err = (c.loss.last().unwrap() / pred).ln().abs();
                    let a = cal.per_distance * (x / c.step[k - 1]).ln();
                    let family = c.name.split_whitespace().next().unwrap().to_string();
                    let b = match rule {
                        FitRule::FarRatio { share, .. } => {
                            let along = Along {
                                input: 0,
                                max_origins: FIT_MAX_ORIGINS,
                                max_scores_per_origin: FIT_MAX_SCORES_PER_ORIGIN,
                                normal_fallback: true,
                                fallback_floor: true,
                                prior: None,
                                signed: None,
                                backward: false,
                                rule: slaw::extrapolation::AlongRule::EveryLater,
                                rate: slaw::extrapolation::RateRule::Rank,
                            };
                            let rolled = rolling_scores(&law, &obs, &r, &opts, &along)?;
                            let s = far_ratio_scores(&rolled, share);
                            let rms =
                                (s.iter().map(|v| v * v).sum::<f64>() / s.len() as f64).sqrt();
                            rms * (x / c.step[k - 1]).ln() / (rolled.ln_last - rolled.ln_first)
                        }
                        _ => f64::NAN,
                    };
                    // D'': the rule's rate at level 0.9 times the distance
                    let b90 = match rule {
                        FitRule::FarRatio { share, .. } => {
                            let c90 = calibrate_with(
                                &law,
                                &obs,
                                &r,
                                &opts,
                                0.9,
                                false,
                                FitRule::FarRatio { share, k: 1.0 },
                            )?;
                            c90.per_distance * (x / c.step[k - 1]).ln()
                        }
                        _ => f64::NAN,
                    };
                    // D''': the full fit's noise floor at 0.5 and at 0.9
                    let res: Vec<f64> = (0..k)
                        .map(|i| {
                            (law.predict(&[c.step[i]], &r.params) / c.loss[i])
                                .ln()
                                .abs()
                        })
                        .collect();
                    let r50 = noise_floor(res.clone(), 0.5).0;
                    let r90 = noise_floor(res.clone(), 0.9).0;
                    let r95 = noise_floor(res.clone(), 0.95).0;
                    // the lowest level at which the window's floor covers its error
                    let lw = covering_level(&res, err);
                    Some((family, frac, err, a, cal.noise, b, b90, r50, r90, r95, lw))
                })
                .collect();
            eligible[wi] = runs
                .iter()
                .filter(|(c, t)| c.step.iter().filter(|&&s| s <= frac * t).count() >= 4)
                .count();
            cases.extend(out.into_iter().flatten());
        }
        let t = |c: &Case| if c.2 <= c.4 { 0.0 } else { c.2 / c.3 };
        let mut families: Vec<String> = cases.iter().map(|c| c.0.clone()).collect();
        families.sort();
        families.dedup();
        let k_without =
            |f: &str| conformal(cases.iter().filter(|c| c.0 != f).map(t).collect(), level);
        let ks: Vec<(String, f64)> = families.iter().map(|f| (f.clone(), k_without(f))).collect();
        let k_of = |f: &str| ks.iter().find(|k| k.0 == f).unwrap().1;
        let (kmin, kmax) = ks.iter().fold((f64::INFINITY, 0.0f64), |(a, b), k| {
            (a.min(k.1), b.max(k.1))
        });
        for (wi, frac) in [0.25, 0.5].into_iter().enumerate() {
            let w: Vec<&Case> = cases.iter().filter(|c| c.1 == frac).collect();
            let n = w.len().max(1) as f64;
            let cov1 = w.iter().filter(|c| c.2 <= c.3.max(c.4)).count();
            let mut hw1: Vec<f64> = w.iter().map(|c| c.3.max(c.4)).collect();
            hw1.sort_by(f64::total_cmp);
            let covd = w
                .iter()
                .filter(|c| c.2 <= (k_of(&c.0) * c.3).max(c.4))
                .count();
            let mut hwd: Vec<f64> = w.iter().map(|c| (k_of(&c.0) * c.3).max(c.4)).collect();
            hwd.sort_by(f64::total_cmp);
            let med = |v: &Vec<f64>| v.get(v.len() / 2).copied().unwrap_or(f64::NAN);
            println!(
                "{name:<18} {:>5.0}%  {:>4}  {:>4}  {cov1:>11}  {:>5.1}%  {:.4} | {covd:>12}  {:>5.1}%  {:.4}  {kmin:.2}-{kmax:.2}",
                frac * 100.0,
                eligible[wi],
                w.len(),
                100.0 * cov1 as f64 / n,
                med(&hw1),
                100.0 * covd as f64 / n,
                med(&hwd),
            );
        }
        let all = conformal(cases.iter().map(t).collect(), level);
        println!("{name:<18} k learned on all families: {all:.3}");
        if matches!(rule, FitRule::EveryLater) {
            continue;
        }
        // D': t = err / b, covered iff err <= max(k b, r)
        let tb = |c: &Case| c.2 / c.5;
        let kb = |f: &str| conformal(cases.iter().filter(|c| c.0 != f).map(tb).collect(), level);
        let kbs: Vec<(String, f64)> = families.iter().map(|f| (f.clone(), kb(f))).collect();
        let kb_of = |f: &str| kbs.iter().find(|k| k.0 == f).unwrap().1;
        for frac in [0.25, 0.5] {
            let w: Vec<&Case> = cases.iter().filter(|c| c.1 == frac).collect();
            let cov = w
                .iter()
                .filter(|c| c.2 <= (kb_of(&c.0) * c.5).max(c.4))
                .count();
            let mut hw: Vec<f64> = w.iter().map(|c| (kb_of(&c.0) * c.5).max(c.4)).collect();
            hw.sort_by(f64::total_cmp);
            println!(
                "{name:<18} D' {:>3.0}%: LOFO {cov}/{} {:.1}%, med hw {:.4}, k {:.2}-{:.2}",
                frac * 100.0,
                w.len(),
                100.0 * cov as f64 / w.len().max(1) as f64,
                hw.get(hw.len() / 2).copied().unwrap_or(f64::NAN),
                kbs.iter().map(|k| k.1).fold(f64::INFINITY, f64::min),
                kbs.iter().map(|k| k.1).fold(0.0, f64::max),
            );
        }
        // D'': t = err / b90
        let t2 = |c: &Case| c.2 / c.6;
        let k2 = |f: &str| conformal(cases.iter().filter(|c| c.0 != f).map(t2).collect(), level);
        let k2s: Vec<(String, f64)> = families.iter().map(|f| (f.clone(), k2(f))).collect();
        let k2_of = |f: &str| k2s.iter().find(|k| k.0 == f).unwrap().1;
        for frac in [0.25, 0.5] {
            let w: Vec<&Case> = cases.iter().filter(|c| c.1 == frac).collect();
            let cov = w
                .iter()
                .filter(|c| c.2 <= (k2_of(&c.0) * c.6).max(c.4))
                .count();
            let mut hw: Vec<f64> = w.iter().map(|c| (k2_of(&c.0) * c.6).max(c.4)).collect();
            hw.sort_by(f64::total_cmp);
            println!(
                "{name:<18} D'' {:>3.0}%: LOFO {cov}/{} {:.1}%, med hw {:.4}, k {:.3}-{:.3}",
                frac * 100.0,
                w.len(),
                100.0 * cov as f64 / w.len().max(1) as f64,
                hw.get(hw.len() / 2).copied().unwrap_or(f64::NAN),
                k2s.iter().map(|k| k.1).fold(f64::INFINITY, f64::min),
                k2s.iter().map(|k| k.1).fold(0.0, f64::max),
            );
        }
        // D'' with the shipped quantile (`noise_floor`, as the library), and
        // K (fx47a): each window 0 from its covering level up, the running
        // maximum over the levels (`misfit_multiplier`)
        for (label, kf) in [
            (
                "D''(nf)",
                Box::new(|f: &str| {
                    noise_floor(cases.iter().filter(|c| c.0 != f).map(t2).collect(), level).0
                }) as Box<dyn Fn(&str) -> f64>,
            ),
            (
                "K(run max)",
                Box::new(|f: &str| {
                    let table: Vec<(f64, f64)> = cases
                        .iter()
                        .filter(|c| c.0 != f)
                        .map(|c| (t2(c), c.10))
                        .collect();
                    misfit_multiplier(&table, level)
                }),
            ),
        ] {
            let kfs: Vec<f64> = families.iter().map(|f| kf(f)).collect();
            let k_of = |f: &str| kfs[families.iter().position(|g| g == f).unwrap()];
            for frac in [0.25, 0.5] {
                let w: Vec<&Case> = cases.iter().filter(|c| c.1 == frac).collect();
                let cov = w
                    .iter()
                    .filter(|c| c.2 <= (k_of(&c.0) * c.6).max(c.4))
                    .count();
                let mut hw: Vec<f64> = w.iter().map(|c| (k_of(&c.0) * c.6).max(c.4)).collect();
                hw.sort_by(f64::total_cmp);
                println!(
                    "{name:<18} {label} {:>3.0}%: LOFO {cov}/{} {:.1}%, med hw {:.4}, k {:.3}-{:.3}",
                    frac * 100.0,
                    w.len(),
                    100.0 * cov as f64 / w.len().max(1) as f64,
                    hw.get(hw.len() / 2).copied().unwrap_or(f64::NAN),
                    kfs.iter().fold(f64::INFINITY, |a, b| a.min(*b)),
                    kfs.iter().fold(0.0f64, |a, b| a.max(*b)),
                );
            }
        }
        let table: Vec<(f64, f64)> = cases.iter().map(|c| (t2(c), c.10)).collect();
        println!(
            "{name:<18} K(run max) on all families {:.4} (D'' {:.4}); zeroed at the level {} of {}",
            misfit_multiplier(&table, level),
            noise_floor(cases.iter().map(t2).collect(), level).0,
            cases.iter().filter(|c| c.10 <= level).count(),
            cases.len()
        );
        // D''' (zeroed where the floor at `from` covers); below `from`, D''
        // (from = level: D'''(L), zeroed where the floor at the level asked covers)
        for from in [0.5, 0.9, 0.95, level] {
            let t3 = |c: &Case| {
                let r = if from == level {
                    c.4
                } else if from == 0.5 {
                    c.7
                } else if from == 0.9 {
                    c.8
                } else {
                    c.9
                };
                if level >= from && c.2 <= r {
                    0.0
                } else {
                    c.2 / c.6
                }
            };
            let k3 =
                |f: &str| conformal(cases.iter().filter(|c| c.0 != f).map(t3).collect(), level);
            let k3s: Vec<(String, f64)> = families.iter().map(|f| (f.clone(), k3(f))).collect();
            let k3_of = |f: &str| k3s.iter().find(|k| k.0 == f).unwrap().1;
            for frac in [0.25, 0.5] {
                let w: Vec<&Case> = cases.iter().filter(|c| c.1 == frac).collect();
                let cov = w
                    .iter()
                    .filter(|c| c.2 <= (k3_of(&c.0) * c.6).max(c.4))
                    .count();
                let mut hw: Vec<f64> = w.iter().map(|c| (k3_of(&c.0) * c.6).max(c.4)).collect();
                hw.sort_by(f64::total_cmp);
                println!(
                    "{name:<18} D'''({from}) {:>3.0}%: LOFO {cov}/{} {:.1}%, med hw {:.4}, k {:.3}-{:.3}",
                    frac * 100.0,
                    w.len(),
                    100.0 * cov as f64 / w.len().max(1) as f64,
                    hw.get(hw.len() / 2).copied().unwrap_or(f64::NAN),
                    k3s.iter().map(|k| k.1).fold(f64::INFINITY, f64::min),
                    k3s.iter().map(|k| k.1).fold(0.0, f64::max),
                );
            }
            let mut t3s: Vec<f64> = cases.iter().map(t3).collect();
            t3s.sort_by(f64::total_cmp);
            println!(
                "{name:<18} D'''({from}) k on all {:.4}; zeroed {} of {}; top: {}",
                conformal(t3s.clone(), level),
                t3s.iter().filter(|v| **v == 0.0).count(),
                t3s.len(),
                t3s[t3s.len().saturating_sub(10)..]
                    .iter()
                    .map(|v| format!("{v:.3}"))
                    .collect::<Vec<_>>()
                    .join(",")
            );
        }
        // the D'' tail: which run-windows have t > 3
        for c in cases.iter().filter(|c| t2(c) > 3.0) {
            println!(
                "{name:<18} D'' tail: {} {:.0}% t {:.3} err {:.4} b90 {:.4} floor@0.9 {:.4} floor@level {:.4}",
                c.0,
                c.1 * 100.0,
                t2(c),
                c.2,
                c.6,
                c.8,
                c.4
            );
        }
        let mut t2s: Vec<f64> = cases.iter().map(t2).collect();
        t2s.sort_by(f64::total_cmp);
        println!(
            "{name:<18} D'' k on all families {:.4}; t ({}): {}",
            conformal(t2s.clone(), level),
            t2s.len(),
            t2s.iter()
                .map(|v| format!("{v:.4}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut ts: Vec<f64> = cases.iter().map(tb).collect();
        ts.sort_by(f64::total_cmp);
        println!(
            "{name:<18} D' t over all families ({}): {}",
            ts.len(),
            ts.iter()
                .map(|v| format!("{v:.4}"))
                .collect::<Vec<_>>()
                .join(",")
        );
    }
}
