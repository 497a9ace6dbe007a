//! Measurement behind BENCHMARKS.md's "select's interval: a pool-level floor
//! check" section: per pool and budget, the default's 90% interval (as
//! `select` prints it), its centre c and spread h, each candidate's
//! rectified-law floor fit F at the target, and the pool statistic (the
//! rectified fit's and the line centre's self-check at a smaller cut of
//! the same affordable points).
//!
//! `cargo run --release -p slaw --example sel67_floor -- synth N NOISE BETA_LO BETA_HI SEED0 SEED1 CUT`
//! `cargo run --release -p slaw --example sel67_floor -- real DIR CUT`
//! One line per candidate and budget (tab-separated, header first).

use slaw::datasets::{finetune_wide, Candidate};
use slaw::fit::fit;
use slaw::law::catalog;
use slaw::selection::method::{
    curve_observations, law_fit_options, law_points, Hypotheses, Method, PoolContext,
};
use slaw::selection::{select, trend, Budget, SelectOptions};

const TARGET: f64 = 1_638_400.0;
const RATIOS: [f64; 7] = [8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// ln of the rectified law fitted to `pts` (zero-shot point of `c` first)
/// at each of `at`.
fn floor_fit(pts: &[(f64, f64)], c: &Candidate, at: &[f64]) -> Option<Vec<f64>> {
    let law = catalog::rectified();
    let curve = law_points(pts, c, true);
    if curve.len() < law.n_params() {
        return None;
    }
    let res = fit(&law, &curve_observations(&curve), &law_fit_options()).ok()?;
    let v: Vec<f64> = at.iter().map(|&n| res.predict(&[n]).ln()).collect();
    v.iter().all(|x| x.is_finite()).then_some(v)
}

fn rows(label: &str, cands: &[Candidate], truth: &[f64], cut: f64) {
    let m = Method::DEFAULT;
    let opts = SelectOptions::default();
    for ratio in RATIOS {
        let budget = Budget::new(TARGET, TARGET / ratio).unwrap();
        let Ok(sel) = select(cands, m, budget, &opts) else {
            eprintln!("{label} 1/{ratio}: select failed");
            continue;
        };
        let ctx = PoolContext::of(&m, cands, &budget, &trend::PRIOR, Some(0.9));
        let Some(cal) = ctx.calibration else { continue };
        let k = cal.scale.unwrap();
        let kind = m.line_kind(&ctx.trend, &ctx.gap).interval_kind();
        for row in &sel.ranking {
            let c = &cands[row.index];
            let iv = row.estimate.interval.unwrap();
            let pts = budget.affordable(c);
            let (hyp, _) = Hypotheses::at(&pts, 3, 5.0, &ctx.trend, None, TARGET).unwrap();
            let pred = hyp.predict(kind);
            let r = TARGET.ln() - pts[pts.len() - 1].0.ln();
            let centre = cal.centre(pred, r);
            let h = hyp.spread(pred);
            let fe = floor_fit(&pts, c, &[TARGET, 1e40]);
            let f = fe.as_ref().map_or(f64::NAN, |v| v[0]);
            let floor = fe.as_ref().map_or(f64::NAN, |v| v[1]);
            let ll = pts[pts.len() - 1].1.ln();
            // The self-check: the points past last/cut predicted from the
            // points up to it.
            let last = pts[pts.len() - 1].0;
            let head: Vec<(f64, f64)> = pts
                .iter()
                .copied()
                .filter(|p| p.0 <= last / cut * 1.000001)
                .collect();
            let tail: Vec<(f64, f64)> = pts
                .iter()
                .copied()
                .filter(|p| p.0 > head.last().map_or(0.0, |q| q.0))
                .collect();
            let (mut ef, mut el, mut sf, mut sl) = (f64::NAN, f64::NAN, f64::NAN, f64::NAN);
            if !head.is_empty() && !tail.is_empty() {
                let at: Vec<f64> = tail.iter().map(|p| p.0).collect();
                if let Some(pf) = floor_fit(&head, c, &at) {
                    let errs: Vec<f64> = tail.iter().zip(&pf).map(|(p, q)| p.1.ln() - q).collect();
                    ef = errs.iter().map(|e| e.abs()).sum::<f64>() / errs.len() as f64;
                    sf = errs.iter().sum::<f64>() / errs.len() as f64;
                }
                let xh = head[head.len() - 1].0.ln();
                let errs: Option<Vec<f64>> = tail
                    .iter()
                    .map(|p| {
                        let (hy, _) = Hypotheses::at(&head, 3, 5.0, &ctx.trend, None, p.0)?;
                        Some(p.1.ln() - cal.centre(hy.predict(kind), p.0.ln() - xh))
                    })
                    .collect();
                if let Some(errs) = errs {
                    el = errs.iter().map(|e| e.abs()).sum::<f64>() / errs.len() as f64;
                    sl = errs.iter().sum::<f64>() / errs.len() as f64;
                }
            }
            println!(
                "{label}\t{ratio}\t{}\t{}\t{:.6}\t{:.6}\t{:.6}\t{:.6}\t{:.6}\t{k:.4}\t{:.6}\t{:.6}\t{:.6}\t{:.6}\t{:.6}\t{}\t{floor:.6}\t{ll:.6}\t{}",
                c.id,
                row.rank,
                truth[row.index].ln(),
                iv.lo.ln(),
                iv.hi.ln(),
                centre,
                h,
                f,
                ef,
                el,
                sf,
                sl,
                usize::from(row.rank - 1 == sel.choice.position),
                usize::from(ctx.floor.is_some_and(|f| f.shows_floor())),
            );
        }
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    println!("pool\tratio\tid\trank\ttruth\tlo\thi\tc\th\tk\tF\tefloor\teline\tsfloor\tsline\tchosen\tE\tll\ton");
    match a[1].as_str() {
        "synth" => {
            let n: usize = a[2].parse().unwrap();
            let noise: f64 = a[3].parse().unwrap();
            let (blo, bhi): (f64, f64) = (a[4].parse().unwrap(), a[5].parse().unwrap());
            let (s0, s1): (u64, u64) = (a[6].parse().unwrap(), a[7].parse().unwrap());
            let cut: f64 = a[8].parse().unwrap();
            for seed in s0..=s1 {
                let (cands, truth) = slaw::synthetic::rectified_pool(seed, n, noise, (blo, bhi));
                rows(&format!("s{seed}"), &cands, &truth, cut);
            }
        }
        "real" => {
            let dir = std::path::Path::new(&a[2]);
            let cut: f64 = a[3].parse().unwrap();
            for name in ["flan", "wmt19"] {
                let cands = finetune_wide(&dir.join(format!("{name}.csv"))).unwrap();
                let truth: Vec<f64> = cands.iter().map(|c| c.loss_at(TARGET).unwrap()).collect();
                rows(name, &cands, &truth, cut);
            }
        }
        _ => panic!("synth or real"),
    }
}
