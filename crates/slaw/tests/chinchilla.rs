//! Reproduction on real data: Hoffmann et al.'s Approach 3 on the Epoch AI
//! reconstruction of the Chinchilla runs.

mod common;

use slaw::fit::{fit, FitOptions};
use slaw::law::catalog;
use slaw::observations::Observations;
use slaw::table::Table;

fn chinchilla_observations() -> Option<Observations> {
    let path = common::shared_data("chinchilla/svg_extracted_data.csv")?;
    let table = Table::read(&path).unwrap();
    let ni = table.column_index("Model Size").unwrap();
    let ci = table.column_index("Training FLOP").unwrap();
    let li = table.column_index("loss").unwrap();
    let mut rows: Vec<(f64, f64, f64)> = (0..table.rows.len())
        .map(|r| {
            let n = table.number(r, ni).unwrap();
            let c = table.number(r, ci).unwrap();
            (n, c / (6.0 * n), table.number(r, li).unwrap())
        })
        .collect();
    // Drop the 5 highest-loss runs, as the replication does.
    rows.sort_by(|a, b| a.2.total_cmp(&b.2));
    rows.truncate(rows.len() - 5);
    let n: Vec<f64> = rows.iter().map(|r| r.0).collect();
    let d: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let y: Vec<f64> = rows.iter().map(|r| r.2).collect();
    Some(Observations::from_columns(&["N", "D"], &[n, d], y))
}

#[test]
fn chinchilla_approach3_reaches_the_reference_optimum() {
    let Some(obs) = chinchilla_observations() else {
        return;
    };
    assert_eq!(obs.len(), 240);
    let law = catalog::chinchilla();
    let res = fit(&law, &obs, &FitOptions::default()).unwrap();
    let p = &res.params; // A, alpha, B, beta, E
    eprintln!("{res:?}");
    assert!(res.converged);
    assert_eq!(res.n_starts, 4500);
    assert!(res.objective <= 0.0010184, "objective {}", res.objective);
    assert!((p[1] - 0.3473).abs() <= 0.001, "alpha {}", p[1]);
    assert!((p[3] - 0.3672).abs() <= 0.001, "beta {}", p[3]);
    assert!((p[4] - 1.8172).abs() <= 0.002, "E {}", p[4]);
}
