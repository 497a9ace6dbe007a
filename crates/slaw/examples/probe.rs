use slaw::fit::{fit, FitOptions};
use slaw::law::catalog;
use slaw::objective::{Loss, Objective, Space};
use slaw::observations::Observations;
use slaw::table::Table;
use std::time::Instant;
fn main() {
    let table = Table::read(std::path::Path::new(
        "../shared/data/chinchilla/svg_extracted_data.csv",
    ))
    .unwrap();
    let (ni, ci, li) = (
        table.column_index("Model Size").unwrap(),
        table.column_index("Training FLOP").unwrap(),
        table.column_index("loss").unwrap(),
    );
    let mut rows: Vec<(f64, f64, f64)> = (0..table.rows.len())
        .map(|r| {
            let n = table.number(r, ni).unwrap();
            (
                n,
                table.number(r, ci).unwrap() / (6.0 * n),
                table.number(r, li).unwrap(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.2.total_cmp(&b.2));
    rows.truncate(240);
    let obs = Observations::from_columns(
        &["N", "D"],
        &[
            rows.iter().map(|r| r.0).collect(),
            rows.iter().map(|r| r.1).collect(),
        ],
        rows.iter().map(|r| r.2).collect(),
    );
    let law = catalog::chinchilla();
    let obj = Objective::new(&law, &obs, Loss::Huber { delta: 1e-3 }, Space::Log);
    let u = vec![6.0, 0.35, 7.6, 0.36, 0.6];
    let mut g = vec![0.0; 5];
    let t = Instant::now();
    let mut s = 0.0;
    for _ in 0..100000 {
        s += obj.value_grad(&u, &mut g);
    }
    if std::env::var("ONLY_EVAL").is_ok() {
        return;
    }
    println!(
        "objective eval: {:.2} us ({s})",
        t.elapsed().as_secs_f64() / 100000.0 * 1e6
    );
    for k in 0..4 {
        let t = Instant::now();
        let r = if k % 2 == 0 {
            slaw::fit::fit_with(
                &law,
                &obs,
                &FitOptions::default(),
                &slaw::solver::LbfgsBox::default(),
            )
            .unwrap()
        } else {
            fit(&law, &obs, &FitOptions::default()).unwrap()
        };
        println!(
            "{k} fit: {:.3} s, evals {}, iters {}, obj {}",
            t.elapsed().as_secs_f64(),
            r.evaluations,
            r.iterations,
            r.objective
        );
        println!("  {:?} conv {}", r.params, r.n_converged);
    }
}
