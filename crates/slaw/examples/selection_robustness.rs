//! How robust the default's advantage over AtS is to pools unlike the two
//! public ones (BENCHMARKS.md, "The default against AtS on perturbed
//! pools"): random sub-pools of 6, 10 and 15 candidates of FLAN and of
//! WMT19 (never mixed), each scored unperturbed and with multiplicative
//! log-normal noise of 0.5%, 1% and 2% on every loss below the target (the
//! same normal draws for every level; the target's loss, the truth,
//! untouched), every shipped method at every budget 1/8 ... 1/512, under
//! the leave-one-dataset-out protocol: each dataset's trend prior, gap
//! weights and interval scales learned once on the other dataset's complete
//! curves (`protocol::lodo_fold`, exactly what `run_lodo` uses), the other
//! dataset as `ats-ref`'s reference.
//!
//! The safeguard F (`safeguarded`), pre-registered and measured here, was
//! adopted (`selection::Choice::of`): since then the library's `ats-gap`
//! rows are F's and `ats-gap+F` repeats them; the figures before it come
//! from this example at the commit that added it.
//!
//! cargo run --release -p slaw --example selection_robustness [DRAWS] [CSV]
//!
//! DRAWS: sub-pools per dataset and size (100); CSV: where to write every
//! row (dataset, size, draw, sigma, the protocol row).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use slaw::bootstrap::Resampling;
use slaw::datasets::{finetune_wide, Candidate};
use slaw::selection::metrics::relative_accuracy;
use slaw::selection::protocol::ProtocolOptions;
use slaw::selection::protocol::{
    all_methods, lodo_fold, run_lodo, run_with_references, Row, FULL_SIZE, RATIOS,
};
use slaw::selection::{
    select_with_references, Budget, Method, Ranked, Reference, SelectOptions, BOOTSTRAP_LEVEL,
};
use slaw::synthetic::standard_normal;
use std::io::Write;

const SIZES: [usize; 3] = [6, 10, 15];
const SIGMAS: [f64; 4] = [0.0, 0.005, 0.01, 0.02];
const LEVEL: f64 = 0.9;
const DEFAULT: &str = "ats-gap";
const ATS: &str = "ats";
/// The pre-registered safeguard F on the default's choice (`safeguarded`).
const GUARDED: &str = "ats-gap+F";

/// Rule F, pre-registered: the default's pick g (the lowest upper end of
/// its risk interval) unless AtS's pick a differs and the two risk
/// intervals overlap (hi(g) >= lo(a)): then a. One row per budget of
/// `rows` (the protocol's rows of `pool`, every method), named
/// [`GUARDED`]; the ranking, hence PearCorr, is ats-gap's.
fn safeguarded(
    pool: &[Candidate],
    default: &Method,
    mi: usize,
    opts: &ProtocolOptions,
    refs: &[Reference],
    rows: &[Row],
) -> Vec<Row> {
    let truth: Vec<f64> = pool.iter().map(|c| c.loss_at(FULL_SIZE).unwrap()).collect();
    let sopts = SelectOptions {
        level: opts.level,
        bootstrap: Resampling::new(opts.bootstrap, BOOTSTRAP_LEVEL, 0),
        trend_prior: opts.trend_prior,
        gap_prior: opts.gap_prior,
        spread_scale: opts.spread_scales[mi],
        ..SelectOptions::default()
    };
    RATIOS
        .iter()
        .map(|&r| {
            let of = |m: &str| {
                rows.iter()
                    .find(|x| x.ratio == r && x.method == m)
                    .expect("row")
            };
            let budget = Budget::new(FULL_SIZE, FULL_SIZE / r as f64).unwrap();
            let sel = select_with_references(pool, *default, budget, &sopts, refs).unwrap();
            let g = sel.chosen();
            assert_eq!(g.estimate.id, of(DEFAULT).chosen, "the default's pick");
            let ats_pick = &of(ATS).chosen;
            let a = sel
                .ranking
                .iter()
                .find(|x| &x.estimate.id == ats_pick)
                .unwrap();
            let risk = |x: &Ranked| x.estimate.risk_interval.unwrap();
            let pick = if a.index != g.index && risk(g).hi >= risk(a).lo {
                a
            } else {
                g
            };
            let mut row = of(DEFAULT).clone();
            row.method = GUARDED.to_string();
            row.chosen = pick.estimate.id.clone();
            row.rel_acc = relative_accuracy(&truth, truth[pick.index]);
            row
        })
        .collect()
}

/// (dataset, pool size, draw, noise level, budget) of one pool's cell.
type Key = (usize, usize, usize, usize, u32);
/// Which cells a column of a table takes.
type Filter = Box<dyn Fn(&Key) -> bool>;

/// One (pool, budget, method) of the study.
struct Rec {
    ds: usize,
    k: usize,
    draw: usize,
    sigma: usize,
    row: Row,
}

/// The seed of draw `draw` of size `k` on dataset `ds` (`what`: 0 the
/// candidates, 1 the noise).
fn seed(ds: usize, k: usize, draw: usize, what: u64) -> u64 {
    0x5e15_3000_0000 + (ds as u64) * 10_000_000 + (k as u64) * 100_000 + (draw as u64) * 10 + what
}

/// `k` distinct indices of 0..n, uniformly (a partial Fisher-Yates shuffle).
fn sample(n: usize, k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    for i in 0..k {
        let j = rng.random_range(i..n);
        idx.swap(i, j);
    }
    let mut out = idx[..k].to_vec();
    out.sort_unstable();
    out
}

/// The sub-pool with every loss below the target multiplied by
/// exp(sigma z) (z per candidate and point, the same for every sigma).
fn perturb(sub: &[Candidate], z: &[Vec<f64>], sigma: f64) -> Vec<Candidate> {
    sub.iter()
        .zip(z)
        .map(|(c, zc)| {
            let mut c = c.clone();
            for (p, &zi) in c.curve.iter_mut().zip(zc) {
                if p.0 < FULL_SIZE {
                    p.1 *= (sigma * zi).exp();
                }
            }
            c
        })
        .collect()
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v
        .filter(|x| x.is_finite())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        f64::NAN
    } else {
        s / n as f64
    }
}

/// Loss share (%), mean and p90 of the shortfall, win share (%), over the
/// pairs (default's RelAcc, AtS's RelAcc) of `pairs`.
fn loss_stats(pairs: &[(f64, f64)]) -> (f64, f64, f64, f64, usize) {
    let n = pairs.len();
    let mut short: Vec<f64> = pairs
        .iter()
        .filter(|(g, a)| *g < *a - 1e-9)
        .map(|(g, a)| a - g)
        .collect();
    let wins = pairs.iter().filter(|(g, a)| *g > *a + 1e-9).count();
    let share = 100.0 * short.len() as f64 / n as f64;
    let m = mean(short.iter().copied());
    let p90 = quantile(&mut short, 0.9);
    (share, m, p90, 100.0 * wins as f64 / n as f64, n)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let draws: usize = args.get(1).map_or(100, |s| s.parse().expect("DRAWS"));
    let csv = args.get(2).cloned();
    let dir = std::path::Path::new("../shared/data/finetune-selection");
    let names = ["flan", "wmt19"];
    let datasets: Vec<(String, Vec<Candidate>)> = names
        .iter()
        .map(|n| {
            let pool = finetune_wide(&dir.join(format!("{n}.csv"))).expect("dataset");
            (n.to_string(), pool)
        })
        .collect();
    let methods = all_methods();
    let folds: Vec<_> = (0..datasets.len())
        .map(|i| lodo_fold(&datasets, i, &methods, LEVEL, 0).expect("fold"))
        .collect();

    // The harness reproduces the LODO table exactly on the whole pools.
    let lodo = run_lodo(&datasets, &methods, LEVEL, 0, &()).expect("lodo");
    for (i, (name, pool)) in datasets.iter().enumerate() {
        let (opts, refs) = &folds[i];
        let rows = run_with_references(name, pool, &methods, opts, refs, &()).expect("rows");
        for r in &rows {
            let l = lodo
                .iter()
                .find(|l| l.dataset == r.dataset && l.ratio == r.ratio && l.method == r.method)
                .unwrap();
            assert!(
                l.chosen == r.chosen
                    && l.rel_acc.to_bits() == r.rel_acc.to_bits()
                    && l.pear_corr.to_bits() == r.pear_corr.to_bits(),
                "the harness differs from run_lodo at {} 1/{} {}",
                r.dataset,
                r.ratio,
                r.method
            );
        }
    }
    eprintln!("harness == run_lodo on the whole pools: checked");
    let gi = methods.iter().position(|m| m.name() == DEFAULT).unwrap();
    println!("## the unperturbed LODO table (whole pools): RelAcc of ats-gap, ats-gap+F, ats; PearCorr of ats-gap (= ats-gap+F's) and ats");
    println!("| dataset | budget | ats-gap | ats-gap+F | ats | PearCorr ats-gap | PearCorr ats |");
    println!("|---|---|---|---|---|---|---|");
    for (i, (name, pool)) in datasets.iter().enumerate() {
        let (opts, refs) = &folds[i];
        let rows: Vec<Row> = lodo
            .iter()
            .filter(|r| &r.dataset == name)
            .cloned()
            .collect();
        let f = safeguarded(pool, &methods[gi], gi, opts, refs, &rows);
        for fr in &f {
            let of = |m: &str| {
                rows.iter()
                    .find(|x| x.ratio == fr.ratio && x.method == m)
                    .unwrap()
            };
            println!(
                "| {name} | 1/{} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
                fr.ratio,
                100.0 * of(DEFAULT).rel_acc,
                100.0 * fr.rel_acc,
                100.0 * of(ATS).rel_acc,
                100.0 * of(DEFAULT).pear_corr,
                100.0 * of(ATS).pear_corr
            );
        }
    }
    println!();

    let jobs: Vec<(usize, usize, usize)> = (0..datasets.len())
        .flat_map(|ds| {
            SIZES
                .iter()
                .flat_map(move |&k| (0..draws).map(move |d| (ds, k, d)))
        })
        .collect();
    let t0 = std::time::Instant::now();
    let failed = std::sync::Mutex::new(Vec::<String>::new());
    let recs: Vec<Rec> = jobs
        .par_iter()
        .flat_map_iter(|&(ds, k, draw)| {
            let (name, pool) = &datasets[ds];
            let idx = sample(
                pool.len(),
                k,
                &mut ChaCha8Rng::seed_from_u64(seed(ds, k, draw, 0)),
            );
            let sub: Vec<Candidate> = idx.iter().map(|&i| pool[i].clone()).collect();
            let mut zr = ChaCha8Rng::seed_from_u64(seed(ds, k, draw, 1));
            let z: Vec<Vec<f64>> = sub
                .iter()
                .map(|c| c.curve.iter().map(|_| standard_normal(&mut zr)).collect())
                .collect();
            let (opts, refs) = &folds[ds];
            let mut out = Vec::new();
            for (si, &sigma) in SIGMAS.iter().enumerate() {
                let p = perturb(&sub, &z, sigma);
                let mut pool_rows: Vec<Row> = Vec::new();
                // One method at a time: a method that fails on this pool (a
                // law fit whose prediction is no prediction, say) is
                // counted as failed there, the others still scored.
                for (mi, m) in methods.iter().enumerate() {
                    let mut one = *opts;
                    one.spread_scales = Default::default();
                    one.spread_scales[0] = opts.spread_scales[mi];
                    match run_with_references(name, &p, std::slice::from_ref(m), &one, refs, &()) {
                        Ok(rows) => {
                            pool_rows.extend(rows.iter().cloned());
                            // PearCorr and RelAcc x100, as the tables print them.
                            out.extend(rows.into_iter().map(|mut row| {
                                row.pear_corr *= 100.0;
                                row.rel_acc *= 100.0;
                                Rec {
                                    ds,
                                    k,
                                    draw,
                                    sigma: si,
                                    row,
                                }
                            }))
                        }
                        Err(e) => failed.lock().unwrap().push(format!(
                            "{name} k {k} draw {draw} sigma {sigma} {}: {e}",
                            m.name()
                        )),
                    }
                }
                let gi = methods.iter().position(|m| m.name() == DEFAULT).unwrap();
                let f = safeguarded(&p, &methods[gi], gi, opts, refs, &pool_rows);
                out.extend(f.into_iter().map(|mut row| {
                    row.pear_corr *= 100.0;
                    row.rel_acc *= 100.0;
                    Rec {
                        ds,
                        k,
                        draw,
                        sigma: si,
                        row,
                    }
                }));
            }
            out.into_iter()
        })
        .collect();
    eprintln!(
        "{} pools, {} rows in {:.1} s wall",
        jobs.len() * SIGMAS.len(),
        recs.len(),
        t0.elapsed().as_secs_f64()
    );

    let failed = failed.into_inner().unwrap();
    eprintln!("{} (pool, method) selections failed", failed.len());
    for f in &failed {
        eprintln!("  {f}");
    }
    if let Some(path) = csv {
        let mut f = std::fs::File::create(&path).expect("csv");
        writeln!(
            f,
            "dataset,k,draw,sigma,ratio,method,pear_corr,rel_acc,chosen"
        )
        .unwrap();
        for r in &recs {
            writeln!(
                f,
                "{},{},{},{},{},{},{},{},{}",
                names[r.ds],
                r.k,
                r.draw,
                SIGMAS[r.sigma],
                r.row.ratio,
                r.row.method,
                r.row.pear_corr,
                r.row.rel_acc,
                r.row.chosen
            )
            .unwrap();
        }
    }

    // (default's RelAcc, AtS's RelAcc) per pool and budget, with the cell.
    let mut by: std::collections::HashMap<(Key, &str), &Row> = Default::default();
    for r in &recs {
        by.insert(
            (
                (r.ds, r.k, r.draw, r.sigma, r.row.ratio),
                r.row.method.as_str(),
            ),
            &r.row,
        );
    }
    let pairs_where = |who: &str, f: &dyn Fn(&Key) -> bool| -> Vec<(f64, f64)> {
        let mut keys: Vec<Key> = by
            .keys()
            .filter(|(key, m)| *m == who && f(key) && by.contains_key(&(*key, ATS)))
            .map(|(key, _)| *key)
            .collect();
        keys.sort_unstable();
        keys.iter()
            .map(|key| (by[&(*key, who)].rel_acc, by[&(*key, ATS)].rel_acc))
            .collect()
    };

    for who in [DEFAULT, GUARDED] {
        println!("\n## {who} against ats, RelAcc, every pool (2 datasets x 3 sizes x {draws} draws x 4 noise levels)");
        println!("| budget | pools | loses | mean shortfall | p90 shortfall | wins |");
        println!("|---|---|---|---|---|---|");
        for &r in &RATIOS {
            let (s, m, p, w, n) = loss_stats(&pairs_where(who, &|k| k.4 == r));
            println!("| 1/{r} | {n} | {s:.1}% | {m:.1} | {p:.1} | {w:.1}% |");
        }

        let grid = |who: &str, title: &str, cols: Vec<(String, Filter)>| {
            println!("\n## loss share (%) of {who} to ats on RelAcc (mean shortfall), by {title}");
            print!("| budget |");
            for (c, _) in &cols {
                print!(" {c} |");
            }
            println!();
            println!("|---|{}", "---|".repeat(cols.len()));
            for &r in &RATIOS {
                print!("| 1/{r} |");
                for (_, f) in &cols {
                    let (s, m, _, _, _) = loss_stats(&pairs_where(who, &|k| k.4 == r && f(k)));
                    if s > 0.0 {
                        print!(" {s:.0} ({m:.1}) |");
                    } else {
                        print!(" 0 |");
                    }
                }
                println!();
            }
        };
        grid(
            who,
            "pool size",
            SIZES
                .iter()
                .map(|&k| {
                    (
                        format!("k = {k}"),
                        Box::new(move |key: &Key| key.1 == k) as Filter,
                    )
                })
                .collect(),
        );
        grid(
            who,
            "noise",
            (0..SIGMAS.len())
                .map(|si| {
                    (
                        format!("sigma {}%", SIGMAS[si] * 100.0),
                        Box::new(move |key: &Key| key.3 == si) as Filter,
                    )
                })
                .collect(),
        );
        grid(
            who,
            "dataset",
            (0..names.len())
                .map(|ds| {
                    (
                        names[ds].to_string(),
                        Box::new(move |key: &Key| key.0 == ds) as Filter,
                    )
                })
                .collect(),
        );
        println!(
        "\n## loss share (%) of {who} to ats on RelAcc (mean shortfall), by dataset, pool size \
         and noise ({draws} draws a cell)"
    );
        print!("| dataset | k | sigma |");
        for &r in &RATIOS {
            print!(" 1/{r} |");
        }
        println!();
        println!("|---|---|---|{}", "---|".repeat(RATIOS.len()));
        for (ds, name) in names.iter().enumerate() {
            for &k in &SIZES {
                for (si, sigma) in SIGMAS.iter().enumerate() {
                    print!("| {name} | {k} | {}% |", sigma * 100.0);
                    for &r in &RATIOS {
                        let (s, m, _, _, _) =
                            loss_stats(&pairs_where(who, &|key| *key == (ds, k, key.2, si, r)));
                        if s > 0.0 {
                            print!(" {s:.0} ({m:.1}) |");
                        } else {
                            print!(" 0 |");
                        }
                    }
                    println!();
                }
            }
        }
    }

    println!("\n## failed selections (pool x method; every budget of that pool left out)");
    for m in &methods {
        let n = failed
            .iter()
            .filter(|f| f.contains(&format!(" {}: ", m.name())))
            .count();
        println!("- {}: {n}", m.name());
    }
    println!("\n## mean RelAcc / mean PearCorr of every method, every pool");
    print!("| budget |");
    for m in &methods {
        print!(" {} |", m.name());
    }
    println!();
    println!("|---|{}", "---|".repeat(methods.len()));
    for &r in &RATIOS {
        print!("| 1/{r} |");
        for m in &methods {
            let rows: Vec<&Row> = recs
                .iter()
                .filter(|x| x.row.ratio == r && x.row.method == m.name())
                .map(|x| &x.row)
                .collect();
            print!(
                " {:.1} / {:.1} |",
                mean(rows.iter().map(|x| x.rel_acc)),
                mean(rows.iter().map(|x| x.pear_corr))
            );
        }
        println!();
    }
    println!(
        "\n## mean RelAcc / mean PearCorr, ats-gap vs ats, by noise (all sizes, both datasets)"
    );
    println!("| budget | sigma | ats-gap | ats | PearCorr gap - ats |");
    println!("|---|---|---|---|---|");
    for &r in &RATIOS {
        for (si, sigma) in SIGMAS.iter().enumerate() {
            let of = |m: &str| -> Vec<&Row> {
                recs.iter()
                    .filter(|x| x.row.ratio == r && x.sigma == si && x.row.method == m)
                    .map(|x| &x.row)
                    .collect()
            };
            let (g, a) = (of(DEFAULT), of(ATS));
            let pg = mean(g.iter().map(|x| x.pear_corr));
            let pa = mean(a.iter().map(|x| x.pear_corr));
            println!(
                "| 1/{r} | {}% | {:.1} / {pg:.1} | {:.1} / {pa:.1} | {:+.1} |",
                sigma * 100.0,
                mean(g.iter().map(|x| x.rel_acc)),
                mean(a.iter().map(|x| x.rel_acc)),
                pg - pa
            );
        }
    }
}
