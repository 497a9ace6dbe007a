//! Dump, for the temporal law (auto) on every run of a folder and every
//! fraction, the forecast, the bootstrap and the calibrated interval at
//! every checkpoint after the fit (JSON lines on stdout).
use slaw::forecast::realruns::{fit_count, forecast, read_runs, Contender};
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("DIR"));
    let runs = read_runs(&dir).unwrap();
    for r in &runs {
        for fr in [0.1, 0.2, 0.3] {
            let k = fit_count(r, fr);
            let n = r.agg.len();
            let f = forecast(r, k, Contender::Temporal(None), 100, 0.9).unwrap();
            let t = f.temporal.as_ref().unwrap();
            let cal = t.calibrate(0.9);
            let pts: Vec<String> = (k..n)
                .map(|j| {
                    let b = f.bootstrap_later[j - k];
                    let c = cal.map(|c| c.interval(r.agg.step[j], f.values[j]));
                    let iv = |i: Option<slaw::bootstrap::Interval>| match i {
                        Some(i) => format!("[{},{}]", i.lo, i.hi),
                        None => "null".into(),
                    };
                    format!(
                        "{{\"step\":{},\"obs\":{},\"pred\":{},\"boot\":{},\"cal\":{}}}",
                        r.agg.step[j],
                        r.agg.loss[j],
                        f.values[j],
                        iv(b),
                        iv(c)
                    )
                })
                .collect();
            println!(
                "{{\"run\":\"{}\",\"fraction\":{},\"k\":{},\"fit_until\":{},\"q\":{},\"noise\":{},\"points\":[{}]}}",
                r.pc.name,
                fr,
                k,
                r.agg.step[k - 1],
                cal.map(|c| c.per_distance).unwrap_or(f64::NAN),
                cal.map(|c| c.noise).unwrap_or(f64::NAN),
                pts.join(",")
            );
        }
    }
}
