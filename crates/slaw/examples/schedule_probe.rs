//! The multi-power protocol with the schedules given exactly (`Schedule`)
//! instead of interpolated from the files' lr column:
//! `cargo run --release -p slaw --example schedule_probe [warmup] [data dir]`.

use slaw::forecast::{accuracy, fit_curves, Curve, CurveLaw, Schedule};
fn main() {
    let warm = std::env::args().nth(1).unwrap_or("2160".into());
    let dir = std::env::args()
        .nth(2)
        .unwrap_or("../shared/data/loss-curves/multipower".into());
    for size in ["25", "100"] {
        let specs = [
            ("constant_24000", format!("constant:peak=3e-4,warmup={warm}")),
            ("cosine_24000", format!("cosine:peak=3e-4,final=3e-5,total=24000,warmup={warm}")),
            ("wsdcon_9", format!("two-stage:peak=3e-4,switch=8000,low=9e-5,warmup={warm}")),
            ("constant_72000", format!("constant:peak=3e-4,warmup={warm}")),
            ("cosine_72000", format!("cosine:peak=3e-4,final=3e-5,total=72000,warmup={warm}")),
            ("wsd_20000_24000", format!("wsd:peak=3e-4,final=3e-5,decay_start=20000,total=24000,decay=exp,warmup={warm}")),
            ("wsdld_20000_24000", format!("wsd:peak=3e-4,final=3e-5,decay_start=20000,total=24000,warmup={warm}")),
            ("wsdcon_3", format!("two-stage:peak=3e-4,switch=8000,low=3e-5,warmup={warm}")),
            ("wsdcon_18", format!("two-stage:peak=3e-4,switch=8000,low=1.8e-4,warmup={warm}")),
        ];
        let curves: Vec<Curve> = specs
            .iter()
            .map(|(n, sp)| {
                let c = Curve::read(
                    std::path::Path::new(&format!("{dir}/{size}/{n}.csv")),
                    "step",
                    "loss",
                    Some("lr"),
                )
                .unwrap();
                let s = Schedule::parse(sp).unwrap();
                let maxd = c
                    .step
                    .iter()
                    .zip(c.lr.as_ref().unwrap())
                    .map(|(&t, &l)| (s.at(t) - l).abs())
                    .fold(0.0, f64::max);
                if maxd > 1e-9 {
                    eprintln!("{n}: schedule differs by {maxd}");
                }
                c.with_schedule(s)
            })
            .collect();
        let upto: Vec<usize> = (0..9)
            .map(|i| if i < 3 { curves[i].len() } else { 0 })
            .collect();
        for m in [CurveLaw::MultiPower, CurveLaw::Tissue] {
            let f = fit_curves(m, &curves, &upto).unwrap();
            let r2: f64 = (3..9)
                .map(|ci| {
                    let c = &curves[ci];
                    let pred: Vec<f64> = (0..c.len()).map(|i| f.predict(ci, i)).collect();
                    accuracy(&pred, &c.loss).r2
                })
                .sum::<f64>()
                / 6.0;
            println!("{size}M {} R2 {r2:.4} {:?}", m.name(), f.params);
        }
    }
}
