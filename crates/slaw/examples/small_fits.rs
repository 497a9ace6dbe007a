//! The law fits of the selection benchmark, one after the other in this
//! process: vanilla-fit (`vanilla-ft` on the affordable sizes) and
//! rectified-fit (`rectified` on them with the zero-shot point first), FLAN
//! and WMT19, budgets 1/8..1/512 (840 fits), with the options of
//! `selection::method::law_fit_options`. One TSV row per fit on stdout:
//!
//!     dataset ratio law candidate objective evaluations iterations termination warnings prediction params
//!
//! and the totals (fits, evaluations, iterations, CPU-free wall time) on
//! stderr. Compare two dumps with `bench/selection_fits_compare.py`.
//!
//!     cargo run --release -p slaw --example small_fits [DATA_DIR] > fits.tsv
use slaw::datasets::finetune_wide;
use slaw::fit::fit;
use slaw::law::catalog;
use slaw::selection::method::{curve_observations, law_fit_options, law_points};
use slaw::selection::protocol::{FULL_SIZE, RATIOS};
use slaw::selection::Budget;
use std::time::Instant;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/finetune-selection".into());
    let dir = std::path::Path::new(&dir);
    let opts = law_fit_options();
    let (mut fits, mut evals, mut iters) = (0usize, 0u64, 0u64);
    let t = Instant::now();
    for ds in ["flan", "wmt19"] {
        let pool = finetune_wide(&dir.join(format!("{ds}.csv"))).expect("the data set");
        for &r in &RATIOS {
            let budget = Budget::new(FULL_SIZE, FULL_SIZE / r as f64).expect("a budget");
            for (law, zero_shot) in [(catalog::vanilla_ft(), false), (catalog::rectified(), true)] {
                for c in &pool {
                    let curve = law_points(&budget.affordable(c), c, zero_shot);
                    if curve.len() < law.n_params() {
                        continue;
                    }
                    let obs = curve_observations(&curve);
                    let res = fit(&law, &obs, &opts).expect("a fit");
                    fits += 1;
                    evals += res.evaluations;
                    iters += res.iterations;
                    let params: Vec<String> = res
                        .params
                        .values()
                        .iter()
                        .map(|v| format!("{v:e}"))
                        .collect();
                    println!(
                        "{ds}\t{r}\t{}\t{}\t{:e}\t{}\t{}\t{}\t{}\t{:e}\t{}",
                        law.name,
                        c.id,
                        res.objective,
                        res.evaluations,
                        res.iterations,
                        res.termination.name(),
                        res.warnings.len(),
                        res.predict(&[FULL_SIZE]),
                        params.join(","),
                    );
                }
            }
        }
    }
    eprintln!(
        "{fits} fits, {evals} evaluations, {iters} iterations, {:.3} s wall",
        t.elapsed().as_secs_f64()
    );
}
