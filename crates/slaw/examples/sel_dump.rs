//! Diagnostic dump (not committed).
use slaw::selection::method::{Hypotheses, LineKind, PoolContext};
use slaw::selection::protocol::{learn_prior, FULL_SIZE, RATIOS};
use slaw::selection::{Budget, Method};
use std::io::Write;
fn main() {
    let dir = std::path::Path::new("../shared/data/finetune-selection");
    let names = ["flan", "wmt19"];
    let pools: Vec<_> = names
        .iter()
        .map(|f| slaw::datasets::finetune_wide(&dir.join(format!("{f}.csv"))).unwrap())
        .collect();
    let priors = [
        ("flan", learn_prior([pools[0].as_slice()]).unwrap()),
        ("wmt19", learn_prior([pools[1].as_slice()]).unwrap()),
    ];
    let m = Method::DEFAULT;
    let mut out = std::fs::File::create("/tmp/sel/pred.csv").unwrap();
    let mut bt = std::fs::File::create("/tmp/sel/bt.csv").unwrap();
    writeln!(out, "ds,prior,ratio,cand,n,rT,line,steep,trend,pred,truth,drift,spread").unwrap();
    writeln!(bt, "ds,prior,ratio,cand,nlast,n,r,err,line,steep,trend").unwrap();
    for (di, pool) in pools.iter().enumerate() {
        for (pn, prior) in &priors {
            for &r in &RATIOS {
                let budget = Budget::new(FULL_SIZE, FULL_SIZE / r as f64).unwrap();
                let ctx = PoolContext::of(&m, pool, &budget, prior, Some(0.9));
                let cal = ctx.calibration.unwrap();
                let w = ctx.trend;
                for (ci, c) in pool.iter().enumerate() {
                    let pts = budget.affordable(c);
                    let xl = pts[pts.len() - 1].0.ln();
                    for &(n, l) in c.curve.iter().filter(|p| p.0 > budget.max_n * 1.0001) {
                        let (h, _) = Hypotheses::at(&pts, 3, 5.0, &w, n).unwrap();
                        let pred = h.predict(LineKind::Trend(w));
                        writeln!(
                            out,
                            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                            names[di], pn, r, ci, n, n.ln() - xl, h.line, h.steepening, h.trend, pred,
                            l.ln(), cal.drift, cal.spread
                        )
                        .unwrap();
                    }
                    // pool backtests
                    for end in 4..pts.len() {
                        let pre = &pts[..end];
                        let xp = pre[end - 1].0.ln();
                        for &(n, l) in &pts[end..] {
                            if let Some((h, _)) = Hypotheses::at(pre, 3, 5.0, &w, n) {
                                let pred = h.predict(LineKind::Trend(w));
                                writeln!(
                                    bt,
                                    "{},{},{},{},{},{},{},{},{},{},{}",
                                    names[di], pn, r, ci, pre[end - 1].0, n, n.ln() - xp,
                                    l.ln() - pred, h.line, h.steepening, h.trend
                                )
                                .unwrap();
                            }
                        }
                    }
                }
            }
        }
    }
}
