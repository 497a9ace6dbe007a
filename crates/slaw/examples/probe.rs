//! Ad-hoc timing of the selection protocol per method.
use slaw::selection::protocol::{all_methods, run};
use std::time::Instant;
fn main() {
    let dir = std::path::Path::new("../shared/data/finetune-selection");
    let pools: Vec<_> = ["flan.csv", "wmt19.csv"]
        .iter()
        .map(|f| slaw::datasets::finetune_wide(&dir.join(f)).unwrap())
        .collect();
    for m in all_methods() {
        let t = Instant::now();
        for p in &pools {
            run("x", p, &[m]).unwrap();
        }
        println!("{:>14} {:.4} s", m.name(), t.elapsed().as_secs_f64());
    }
}
