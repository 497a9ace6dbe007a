//! Compute-optimal allocation from the Chinchilla law fitted to the Epoch AI
//! reconstruction of the Chinchilla runs.

mod common;

use slaw::allocate;
use slaw::fit::FitOptions;

#[test]
fn chinchilla_allocation_exponent_and_its_interval() {
    let Some(path) = common::shared_data("chinchilla/svg_extracted_data.csv") else {
        return;
    };
    let obs = slaw::datasets::chinchilla(&path, 5).unwrap();
    let r =
        allocate::from_fit(&obs, &FitOptions::default(), &[1e21, 1e24], 400, 0, &|| {}).unwrap();
    eprintln!("{}", slaw::report::joint::allocation_report(&r));
    assert!((r.exponent_n - 0.513).abs() <= 0.01, "a = {}", r.exponent_n);
    let iv = r.exponent_n_interval.unwrap();
    assert!(iv.lo < r.exponent_n && r.exponent_n < iv.hi, "{iv:?}");
    assert!(iv.hi - iv.lo < 0.2, "interval too wide: {iv:?}");
    let b = r.bootstrap.as_ref().unwrap();
    assert!(
        b.converged >= 390,
        "{} of 400 replicates converged",
        b.converged
    );
    for row in &r.rows {
        assert!((6.0 * row.n_opt * row.d_opt / row.compute - 1.0).abs() < 1e-9);
        let n = row.n_interval.unwrap();
        assert!(n.lo < row.n_opt && row.n_opt < n.hi);
    }
    // N_opt grows as C^a between the two budgets.
    let slope = (r.rows[1].n_opt / r.rows[0].n_opt).ln() / 1000f64.ln();
    assert!((slope - r.exponent_n).abs() < 1e-9);
}
