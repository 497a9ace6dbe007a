//! `extrapolation::MISFIT_RATIOS` (the real curves' misfit that scales
//! `slaw fit --predict`'s extrapolation intervals) is what
//! `extrapolation::misfit_ratios` derives from the (Mis)Fitting runs.
mod common;

use slaw::extrapolation::{misfit_ratios, MISFIT_RATIOS};

#[test]
fn the_shipped_misfit_ratios_are_the_misfitting_runs() {
    let Some(path) = common::shared_data("loss-curves/misfitting/scaling_results.csv") else {
        return;
    };
    let runs = slaw::forecast::protocol::misfitting_runs(&path).unwrap();
    let rows = misfit_ratios(&runs);
    let mut t: Vec<f64> = rows.iter().map(|r| r.2).collect();
    t.sort_by(f64::total_cmp);
    let table = format!(
        "pub const MISFIT_RATIOS: [f64; {}] = [{}];",
        t.len(),
        t.iter()
            .map(|v| format!("{v:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert_eq!(t.len(), MISFIT_RATIOS.len(), "re-derived table:\n{table}");
    for (a, b) in t.iter().zip(MISFIT_RATIOS.iter()) {
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1e-3),
            "{a} {b}; re-derived table:\n{table}"
        );
    }
    // 11 model sizes, both windows
    let mut models: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    models.sort();
    models.dedup();
    assert_eq!(models.len(), 11, "{models:?}");
    assert!(rows.iter().any(|r| r.1 == 0.25) && rows.iter().any(|r| r.1 == 0.5));
}
