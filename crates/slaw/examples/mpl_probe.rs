//! Probe of the multi-power protocol: per size and law, fit time, engine
//! evaluations, parameters and R^2 on the six predicted curves; and R^2 at
//! the authors' published parameters (their repository's README).
//! `cargo run --release -p slaw --example mpl_probe [data dir]`.

use slaw::forecast::protocol::{FIT_ON, PREDICT};
use slaw::forecast::{accuracy, fit_curves, fit_curves_from, Curve, CurveLaw, Fitted};

fn r2(f: &Fitted, curves: &[Curve], p: &[f64]) -> f64 {
    (3..9)
        .map(|ci| {
            let c = &curves[ci];
            let pred: Vec<f64> = (0..c.len()).map(|i| f.predict_with(ci, i, p)).collect();
            accuracy(&pred, &c.loss).r2
        })
        .sum::<f64>()
        / 6.0
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or("../shared/data/loss-curves/multipower".into());
    let published = [
        ("25", [3.040, 0.525, 0.508, 363.788, 2.066, 0.583, 0.641]),
        ("100", [2.651, 0.601, 0.453, 437.946, 2.132, 0.598, 0.655]),
    ];
    for (size, pubp) in published {
        let curves: Vec<Curve> = FIT_ON
            .iter()
            .chain(PREDICT.iter())
            .map(|n| {
                Curve::read(
                    std::path::Path::new(&format!("{dir}/{size}/{n}.csv")),
                    "step",
                    "loss",
                    Some("lr"),
                )
                .unwrap()
            })
            .collect();
        let upto: Vec<usize> = (0..9)
            .map(|i| if i < 3 { curves[i].len() } else { 0 })
            .collect();
        for m in [CurveLaw::MultiPower, CurveLaw::MultiPowerWarmup] {
            let t = std::time::Instant::now();
            let f = fit_curves(m, &curves, &upto).unwrap();
            let secs = t.elapsed().as_secs_f64();
            let r = f.result();
            println!(
                "{size}M {:<18} R2 {:.4} obj {:.6e} {:.2} s, {} starts, {} best, best start {:.3?}, {} evals, params {:.4?}",
                m.name(),
                r2(&f, &curves, &f.params),
                f.objective,
                secs,
                r.n_starts,
                r.n_best,
                r.best_start_point,
                r.evaluations,
                f.params
            );
            println!(
                "      at the published parameters: R2 {:.4}",
                r2(&f, &curves, &pubp)
            );
            if let Ok(extra) = std::env::var("START") {
                let p: Vec<f64> = extra.split(',').map(|v| v.parse().unwrap()).collect();
                let u = f.law.to_internal(&p);
                let g = fit_curves_from(m, &curves, &upto, Some(vec![u])).unwrap();
                println!(
                    "      from START: R2 {:.4} obj {:.6e} params {:.4?}",
                    r2(&g, &curves, &g.params),
                    g.objective,
                    g.params
                );
            }
        }
    }
}
