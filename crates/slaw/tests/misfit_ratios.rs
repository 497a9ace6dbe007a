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
    let mut t: Vec<(f64, f64)> = rows.iter().map(|r| (r.2, r.3)).collect();
    t.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let table = format!(
        "pub const MISFIT_RATIOS: [(f64, f64); {}] = [{}];",
        t.len(),
        t.iter()
            .map(|v| format!("({:?}, {:?})", v.0, v.1))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert_eq!(t.len(), MISFIT_RATIOS.len(), "re-derived table:\n{table}");
    for (a, b) in t.iter().zip(MISFIT_RATIOS.iter()) {
        assert!(
            (a.0 - b.0).abs() <= 1e-9 * b.0.abs().max(1e-3) && (a.1 - b.1).abs() <= 1e-9,
            "{a:?} {b:?}; re-derived table:\n{table}"
        );
    }
    // every covering level in (0, 1]; the windows that no level below 1 covers are 1
    assert!(t.iter().all(|w| w.1 > 0.0 && w.1 <= 1.0), "{t:?}");
    // 11 model sizes, both windows
    let mut models: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    models.sort();
    models.dedup();
    assert_eq!(models.len(), 11, "{models:?}");
    assert!(rows.iter().any(|r| r.1 == 0.25) && rows.iter().any(|r| r.1 == 0.5));
}
