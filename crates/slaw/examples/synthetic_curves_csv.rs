//! Writes the learning-curve benchmark's synthetic curves
//! (`slaw::learning_curves::synthetic_curves`) as one CSV on stdout:
//! `curve,family,x,loss`, for fitting them with the CLI (e.g. the
//! lack-of-fit check's false alarms, BENCHMARKS.md 2026-12-06).
//!
//! cargo run --release -p slaw --example synthetic_curves_csv -- PER_FAMILY SEED
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let per: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(24);
    let seed: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(14);
    println!("curve,family,x,loss");
    for c in slaw::learning_curves::synthetic_curves(per, seed) {
        for (x, y) in c.x.iter().zip(&c.y) {
            println!("{},{},{x:e},{y:e}", c.name.replace(' ', "_"), c.family);
        }
    }
}
