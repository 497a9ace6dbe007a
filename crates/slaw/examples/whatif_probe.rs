//! Per target of the multi-power protocol: `slaw schedule`'s forecast of the final loss, its
//! interval and the observed loss, per schedule-aware law:
//! `cargo run --release -p slaw --example whatif_probe [data dir] [laws]`.
use slaw::forecast::protocol::{FIT_ON, PREDICT};
use slaw::forecast::whatif::{what_if, Options, Target};
use slaw::forecast::{Curve, CurveLaw};
use std::path::Path;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or("../shared/data/loss-curves/multipower".into());
    let laws = std::env::args()
        .nth(2)
        .unwrap_or("tissue,multipower".into());
    for size in ["25", "100"] {
        let read = |n: &str| {
            Curve::read(
                Path::new(&format!("{dir}/{size}/{n}.csv")),
                "step",
                "loss",
                Some("lr"),
            )
            .unwrap()
        };
        let runs: Vec<Curve> = FIT_ON.iter().map(|n| read(n)).collect();
        let truth: Vec<Curve> = PREDICT.iter().map(|n| read(n)).collect();
        let targets: Vec<Target> = truth.iter().map(Target::from_curve).collect();
        for law in laws.split(',') {
            let m = CurveLaw::parse(law).unwrap();
            let w = what_if(
                &runs,
                &targets,
                &Options {
                    method: m,
                    bootstrap: 100,
                    seed: 0,
                    level: 0.9,
                    search_from: None,
                    priors: slaw::forecast::prior::Priors::shipped(),
                },
            )
            .unwrap();
            println!(
                "{size}M {law}: model_error {:?} transfer {:?} cal {:?}",
                w.model_error,
                w.transfer_errors,
                w.calibration
                    .as_ref()
                    .map(|c| (c.per_distance, c.noise, c.scores))
            );
            for (p, c) in w.predictions.iter().zip(&truth) {
                let l = p.last();
                let obs = *c.loss.last().unwrap();
                let (lo, hi) = (l.lo.unwrap(), l.hi.unwrap());
                println!(
                    "  {:<20} {:.4} [{lo:.4}, {hi:.4}] obs {obs:.4} err {:+.2}% hw {:.2}% {}",
                    p.schedule,
                    l.loss,
                    100.0 * (obs / l.loss - 1.0),
                    50.0 * (hi - lo) / l.loss,
                    if lo <= obs && obs <= hi {
                        "covered"
                    } else {
                        "MISSED"
                    }
                );
            }
        }
    }
}
