use slaw::forecast::realruns::{fit_count, forecast, read_runs, Contender};
use slaw::forecast::CurveLaw;
fn main() {
    let mut runs = vec![];
    for d in std::env::args().skip(1) {
        runs.extend(read_runs(std::path::Path::new(&d)).unwrap());
    }
    let c = match std::env::var("XT_C").as_deref() {
        Ok("recip") => Contender::Law(CurveLaw::Reciprocal),
        Ok("power") => Contender::Law(CurveLaw::Power),
        _ => Contender::Temporal(None),
    };
    if let Ok(run) = std::env::var("XT_CAL") {
        let fr: f64 = std::env::var("XT_FR").unwrap().parse().unwrap();
        for r in runs.iter().filter(|r| r.pc.name == run) {
            let c = slaw::forecast::realruns::case(r, fr, c, 0, 0.9);
            println!("{:?}", c.calibrated);
        }
        return;
    }
    for fr in [0.1, 0.2, 0.3] {
        let mut s = 0.0;
        let mut line = String::new();
        for r in &runs {
            let k = fit_count(r, fr);
            let n = r.agg.len();
            let pred = match forecast(r, k, c, 0, 0.9) {
                Ok(f) => f.values[n - 1],
                Err(_) => f64::NAN,
            };
            let ape = 100.0 * (pred / r.agg.loss[n - 1] - 1.0).abs();
            if let Ok(v) = std::env::var("XT_OUT") {
                use std::io::Write;
                let mut o = std::fs::OpenOptions::new().append(true).create(true).open("/tmp/temp2_xt.tsv").unwrap();
                writeln!(o, "{v}\t{fr}\t{}\t{pred}\t{}", r.pc.name, r.agg.loss[n - 1]).unwrap();
            }
            s += ape;
            line += &format!(" {}={:.2}", r.pc.name.replace("_seed", "").replace("constant", "con").replace("cosine", "cos"), ape);
        }
        println!("{fr} MAPE {:.2} |{line}", s / runs.len() as f64);
    }
}
