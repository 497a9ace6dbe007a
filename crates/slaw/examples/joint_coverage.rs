//! Coverage of `slaw methods`' intervals (BENCHMARKS.md, "Joint laws:
//! coverage of `slaw methods` intervals"): runs generated from Zhang et
//! al.'s published En-De parameters (`joint::published`), well specified
//! (the multiplicative law plus noise) and misspecified (additive,
//! rectified, a factor's own E, noise on ln L), fitted as `slaw methods`
//! fits them, 200 bootstrap replicates per method (its default). The truth
//! is the generating law's value: the intervals are for the law's mean loss.
//!
//! cargo run --release -p slaw --example joint_coverage [SEEDS] [REPLICATES]

use slaw::bootstrap::{interval_of, Interval, Resampling};
use slaw::joint::decision::{
    crossings_at, predictive_interval, replicate_crossings, CrossingInterval,
};
use slaw::joint::published::{generate_family, noise_sd, Family, EN_DE};
use slaw::joint::{
    bootstrap_fits, default_options, fit_all, ExtrapolationRates, Form, Offsets, RateRule,
};

const LEVELS: [f64; 3] = [0.8, 0.9, 0.95];
const SCALES: [f64; 6] = [0.25, 0.5, 1.0, 1.5, 2.0, 3.0];
/// (label, X = model size, D_f).
const SETTINGS: [(&str, f64, f64); 5] = [
    ("a inside", 4e9, 1e5),
    ("b X 3x", 48e9, 1e5),
    ("c D 3e3", 8e9, 3e3),
    ("d X 12x", 2e11, 1e5),
    ("d D 100x", 8e9, 1e2),
];

struct Rec {
    cfg: usize,
    setting: usize,
    p: f64,
    draws: Vec<f64>,
    dist: f64,
    rate: Option<f64>,
    offsets: Offsets,
    /// Per rule of `RULES`: the rates.
    rates: Vec<Option<ExtrapolationRates>>,
    truth: f64,
}

/// The rules for the law's extrapolation error compared (label, rule,
/// per direction), all fixed before measuring, scale 1: the jcov rule
/// (raw, pooled), the noise taken out per run or pooled, and each per
/// direction (X above, D_f above; the pooled rate elsewhere).
const RULES: [(&str, RateRule, bool); 6] = [
    ("raw", RateRule::Raw, false),
    ("per-run", RateRule::PerRun, false),
    ("pooled", RateRule::Pooled, false),
    ("raw/dir", RateRule::Raw, true),
    ("per-run/dir", RateRule::PerRun, true),
    ("pooled/dir", RateRule::Pooled, true),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seeds: u64 = args.get(1).map_or(200, |s| s.parse().unwrap());
    let reps: usize = args.get(2).map_or(200, |s| s.parse().unwrap());
    // (family, MAD of the noise)
    let cfgs: Vec<(Family, f64)> = vec![
        (Family::Multiplicative, 0.002),
        (Family::Multiplicative, 0.005),
        (Family::Multiplicative, 0.01),
        (Family::Additive, 0.005),
        (Family::Rectified, 0.005),
        (Family::FactorE, 0.005),
        (Family::LnNoise, 0.005),
    ];
    let opts = default_options();
    let mut recs = Vec::new();
    // decision: (cfg, setting) -> (right, total)
    let mut right = vec![vec![(0usize, 0usize); SETTINGS.len()]; cfgs.len()];
    // D_c: (cfg, setting, level) -> (covered, truth crosses, no interval, without-crossing share sum)
    let mut dc = vec![vec![[(0usize, 0usize, 0usize, 0.0f64); 3]; SETTINGS.len()]; cfgs.len()];
    let t0 = std::time::Instant::now();
    for (ci, &(fam, mad)) in cfgs.iter().enumerate() {
        for seed in 0..seeds {
            let runs = generate_family(&EN_DE, fam, noise_sd(mad), seed);
            let fits = fit_all(&runs, &opts).expect("fit");
            let pubs: Vec<_> = fits
                .iter()
                .map(|f| EN_DE.iter().find(|p| p.method == f.method).unwrap())
                .collect();
            let b = Resampling::new(reps, 0.95, seed);
            let boots: Vec<_> = fits
                .iter()
                .map(|f| bootstrap_fits(&runs, f, Form::Multiplicative, &opts, &b).unwrap())
                .collect();
            for (si, &(_, x, d)) in SETTINGS.iter().enumerate() {
                let mut best_p = (f64::INFINITY, 0);
                let mut best_t = (f64::INFINITY, 0);
                for (m, f) in fits.iter().enumerate() {
                    let ff = f.form(Form::Multiplicative);
                    let p = ff.predict("model_size", x, d).unwrap();
                    let truth = fam.loss(pubs[m], 0, x, d);
                    if p < best_p.0 {
                        best_p = (p, m);
                    }
                    if truth < best_t.0 {
                        best_t = (truth, m);
                    }
                    let draws: Vec<f64> = boots[m]
                        .iter()
                        .filter_map(|r| r.predict("model_size", x, d))
                        .collect();
                    recs.push(Rec {
                        cfg: ci,
                        setting: si,
                        p,
                        draws,
                        dist: ff.extrapolation_distance("model_size", x, d).unwrap(),
                        rate: ff.raw_extrapolation_error_rate(),
                        offsets: ff.extrapolation_offsets("model_size", x, d).unwrap(),
                        rates: RULES
                            .iter()
                            .map(|(_, rule, _)| ff.extrapolation_rates(&boots[m], *rule))
                            .collect(),
                        truth,
                    });
                }
                right[ci][si].1 += 1;
                if best_p.1 == best_t.1 {
                    right[ci][si].0 += 1;
                }
                // D_c of every pair at the setting's X
                let d_range = (d.min(1e4) * 1e-4, 3e6 * 1e6);
                for i in 0..fits.len() {
                    for j in i + 1..fits.len() {
                        let gap = |dd: f64| {
                            fam.loss(pubs[i], 0, x, dd).ln() - fam.loss(pubs[j], 0, x, dd).ln()
                        };
                        let truth = slaw::joint::critical::crossings(gap, d_range.0, d_range.1);
                        if truth.is_empty() {
                            continue;
                        }
                        let (f1, f2) = (
                            fits[i].form(Form::Multiplicative),
                            fits[j].form(Form::Multiplicative),
                        );
                        let point = crossings_at(f1, f2, "model_size", x, d_range);
                        let (found, without) = replicate_crossings(
                            &boots[i],
                            &boots[j],
                            "model_size",
                            x,
                            d_range,
                            point.first().copied(),
                        );
                        for (li, &level) in LEVELS.iter().enumerate() {
                            let ci_ = CrossingInterval::of(&found, without, level);
                            let e = &mut dc[ci][si][li];
                            e.1 += 1;
                            let tot = (ci_.with_crossing + ci_.without_crossing).max(1);
                            e.3 += ci_.without_crossing as f64 / tot as f64;
                            match ci_.interval {
                                Some(iv) => {
                                    if truth.iter().any(|t| iv.lo <= *t && *t <= iv.hi) {
                                        e.0 += 1;
                                    }
                                }
                                None => e.2 += 1,
                            }
                        }
                    }
                }
            }
        }
        eprintln!(
            "{} MAD {mad}: done ({:.0} s)",
            fam.name(),
            t0.elapsed().as_secs_f64()
        );
    }
    let cfg_name = |ci: usize| format!("{} {}", cfgs[ci].0.name(), cfgs[ci].1);
    let boot_iv = |r: &Rec, level: f64| interval_of(r.draws.clone(), level);
    let pred_iv = |r: &Rec, level: f64, c: f64| -> Option<Interval> {
        r.rate
            .map(|rate| predictive_interval(r.p, boot_iv(r, level), rate * r.dist, level, c))
    };
    let rule_iv = |r: &Rec, level: f64, k: usize| -> Option<Interval> {
        let (_, _, per_dir) = RULES[k];
        r.rates[k].map(|rt| {
            predictive_interval(
                r.p,
                boot_iv(r, level),
                rt.spread(&r.offsets, per_dir),
                level,
                1.0,
            )
        })
    };
    let covered = |iv: Option<Interval>, t: f64| iv.is_some_and(|iv| iv.lo <= t && t <= iv.hi);
    // coverage[(cfg, setting, level)] for the bootstrap and a scale
    let cov = |ci: usize, si: usize, level: f64, c: Option<f64>| -> f64 {
        let rs: Vec<&Rec> = recs
            .iter()
            .filter(|r| r.cfg == ci && r.setting == si)
            .collect();
        let k = rs
            .iter()
            .filter(|r| {
                let iv = match c {
                    None => Some(boot_iv(r, level)),
                    Some(c) => pred_iv(r, level, c),
                };
                covered(iv, r.truth)
            })
            .count();
        k as f64 / rs.len() as f64
    };
    println!(
        "seeds {seeds}, bootstrap replicates {reps}, 3 methods x 5 settings per seed; truth: \
         the generating law's value"
    );
    let rcov = |ci: usize, si: usize, level: f64, k: usize| -> f64 {
        let rs: Vec<&Rec> = recs
            .iter()
            .filter(|r| r.cfg == ci && r.setting == si)
            .collect();
        let n = rs
            .iter()
            .filter(|r| covered(rule_iv(r, level, k), r.truth))
            .count();
        n as f64 / rs.len() as f64
    };
    for (k, (label, _, _)) in RULES.iter().enumerate() {
        println!("\nRule {label}: coverage bootstrap>rule at 80/90/95%");
        let (mut well, mut mis_beyond, mut boot_well, mut boot_mis) = (0.0, 0.0, 0.0, 0.0);
        let mut worst_well: f64 = 0.0;
        for (ci, cfg) in cfgs.iter().enumerate() {
            let right_law = matches!(cfg.0, Family::Multiplicative | Family::LnNoise);
            print!("{:<22}", cfg_name(ci));
            for si in 0..SETTINGS.len() {
                let cell: Vec<String> = LEVELS
                    .iter()
                    .map(|&l| {
                        let (b, c) = (cov(ci, si, l, None), rcov(ci, si, l, k));
                        if right_law {
                            well += (c - l).abs();
                            boot_well += (b - l).abs();
                            worst_well = worst_well.max((c - l).abs());
                        } else if si > 0 {
                            mis_beyond += (c - l).abs();
                            boot_mis += (b - l).abs();
                        }
                        format!("{b:.2}>{c:.2}")
                    })
                    .collect();
                print!(" | {}", cell.join(" "));
            }
            println!();
        }
        println!(
            "  sum |cov - level|: right law {well:.2} (bootstrap {boot_well:.2}, worst cell \
             {worst_well:.2}); misspecified beyond the runs {mis_beyond:.2} (bootstrap {boot_mis:.2})"
        );
        let mut w = Vec::new();
        for r in &recs {
            if r.dist > 0.0 {
                if let Some(iv) = rule_iv(r, 0.9, k) {
                    let b = boot_iv(r, 0.9);
                    w.push((iv.hi / iv.lo).ln() / (b.hi / b.lo).ln());
                }
            }
        }
        w.sort_by(f64::total_cmp);
        if !w.is_empty() {
            println!(
                "  median width (ln) / bootstrap's beyond the runs at 90%: {:.2}",
                w[w.len() / 2]
            );
        }
    }
    println!("\nCoverage of the law's value, bootstrap -> the jcov raw rule (scale 1; the tables above compare every rule):");
    print!("{:<22}", "family");
    for (s, _, _) in SETTINGS {
        print!(" | {:<26}", s);
    }
    println!();
    print!("{:<22}", "");
    for _ in SETTINGS {
        print!(" | {:<26}", "80%   90%   95%");
    }
    println!();
    for ci in 0..cfgs.len() {
        print!("{:<22}", cfg_name(ci));
        for si in 0..SETTINGS.len() {
            let cell: Vec<String> = LEVELS
                .iter()
                .map(|&l| {
                    format!(
                        "{:.2}>{:.2}",
                        cov(ci, si, l, None),
                        cov(ci, si, l, Some(1.0))
                    )
                })
                .collect();
            print!(" | {}", cell.join(" "));
        }
        println!();
    }
    // median extrapolation distance and width ratio
    println!("\nMedian distance beyond the fitting runs (ln units) per setting:");
    for (si, (s, _, _)) in SETTINGS.iter().enumerate() {
        let mut v: Vec<f64> = recs
            .iter()
            .filter(|r| r.setting == si)
            .map(|r| r.dist)
            .collect();
        v.sort_by(f64::total_cmp);
        println!("  {s}: {:.2}", v[v.len() / 2]);
    }
    // leave one family out: the scale chosen on the other families
    let fams: Vec<Family> = Family::ALL.to_vec();
    println!(
        "\nLeave one family out: scale chosen on the other families (least sum of |coverage - \
         level| over their settings and levels), coverage on the family left out:"
    );
    let loss_of = |cis: &[usize], c: f64| -> f64 {
        let mut s = 0.0;
        for &ci in cis {
            for si in 0..SETTINGS.len() {
                for &l in &LEVELS {
                    s += (cov(ci, si, l, Some(c)) - l).abs();
                }
            }
        }
        s
    };
    for fam in &fams {
        let others: Vec<usize> = (0..cfgs.len()).filter(|&ci| cfgs[ci].0 != *fam).collect();
        let mine: Vec<usize> = (0..cfgs.len()).filter(|&ci| cfgs[ci].0 == *fam).collect();
        let c = SCALES
            .iter()
            .copied()
            .min_by(|a, b| loss_of(&others, *a).total_cmp(&loss_of(&others, *b)))
            .unwrap();
        for ci in mine {
            print!("{:<22} scale {:<4}", cfg_name(ci), c);
            for si in 0..SETTINGS.len() {
                let cell: Vec<String> = LEVELS
                    .iter()
                    .map(|&l| format!("{:.2}", cov(ci, si, l, Some(c))))
                    .collect();
                print!(" | {}", cell.join(" "));
            }
            println!();
        }
    }
    println!("\nSum of |coverage - level| over every family, setting and level, per scale:");
    let all: Vec<usize> = (0..cfgs.len()).collect();
    for c in SCALES {
        println!("  scale {c}: {:.2}", loss_of(&all, c));
    }
    let mut boot_loss = 0.0;
    for ci in 0..cfgs.len() {
        for si in 0..SETTINGS.len() {
            for &l in &LEVELS {
                boot_loss += (cov(ci, si, l, None) - l).abs();
            }
        }
    }
    println!("  bootstrap: {boot_loss:.2}");
    println!("\nDecision accuracy (the recommended method is the truly best at the setting):");
    for (ci, row) in right.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .map(|(r, n)| format!("{:.2}", *r as f64 / *n as f64))
            .collect();
        println!("{:<22} {}", cfg_name(ci), cells.join("  "));
    }
    println!(
        "\nD_c (every pair whose true losses cross at the setting's X): coverage of the true \
         crossing at 80/90/95% [cases; no interval; mean share of replicate pairs without a \
         crossing]:"
    );
    for (ci, row) in dc.iter().enumerate() {
        print!("{:<22}", cfg_name(ci));
        for e in row {
            if e[0].1 == 0 {
                print!(" | no true crossing");
                continue;
            }
            print!(
                " | {} [{}; {}; {:.2}]",
                e.iter()
                    .map(|x| format!("{:.2}", x.0 as f64 / x.1 as f64))
                    .collect::<Vec<_>>()
                    .join(" "),
                e[0].1,
                e[2].2,
                e[0].3 / e[0].1 as f64
            );
        }
        println!();
    }
    eprintln!("total {:.0} s", t0.elapsed().as_secs_f64());
}
