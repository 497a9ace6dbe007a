//! A small Huber fit whose best optimum was reached by a single start runs
//! the second search even where other starts came close to it at other
//! parameters (a flat valley). Two broken-power-law fits showed why: on 10
//! noisy points a sharp break between two points is a narrow basin that one
//! start of the grid finds in one unit of x and none finds in another, and
//! the fit reported the higher optimum as converged.
//!
//! The data: 10 sizes 1e8 ... 5.12e10 (doubling), loss (1.69 + 406.4 /
//! N^0.34) exp(0.01 z), z standard normal (Python's `random.Random(seed)`,
//! seeds 1 and 4), the values as written to the files the measurement used
//! (BENCHMARKS.md, "A found-once Huber fit searches again").

use slaw::fit::{fit, FitOptions, FitResult};
use slaw::law::catalog;
use slaw::observations::Observations;

const SIZES: [f64; 10] = [
    1e8, 2e8, 4e8, 8e8, 1.6e9, 3.2e9, 6.4e9, 1.28e10, 2.56e10, 5.12e10,
];

const SEED_1: [f64; 10] = [
    2.496330346187179,
    2.3353977676961915,
    2.174782809604969,
    2.0560791959269533,
    1.970050148929927,
    1.9289474991769462,
    1.8592005543266117,
    1.8125345028337385,
    1.8111371315407634,
    1.7852337382436554,
];

const SEED_4: [f64; 10] = [
    2.465386286906444,
    2.312516729874041,
    2.1633467966811764,
    2.0791778671693133,
    2.0102165270205377,
    1.9362908045175717,
    1.9078715706632108,
    1.8225628618696927,
    1.8087494129526163,
    1.7703255086959886,
];

fn bnsl_fit(loss: &[f64], x_factor: f64) -> FitResult {
    let law = catalog::by_name("bnsl").expect("bnsl in the catalog");
    let x: Vec<f64> = SIZES.iter().map(|n| n * x_factor).collect();
    let obs = Observations::from_columns(&["N"], &[x], loss.to_vec());
    fit(&law, &obs, &FitOptions::default()).expect("the fit runs")
}

/// Seed 4: every start of the grid but none that reached the lower optimum
/// (3.0723e-5: a break of sharpness f1 = 0.0017 between the third and
/// fourth sizes) ended at 3.5570e-5 or above, several of them within 1% of
/// it, so the second search did not run and 3.5570e-5 was reported.
#[test]
fn a_found_once_huber_optimum_is_searched_again() {
    let r = bnsl_fit(&SEED_4, 1.0);
    assert!(r.converged);
    assert!(
        r.objective <= 3.0723e-5,
        "objective {:.6e}: the lower optimum (3.0723e-5) was not found",
        r.objective
    );
    // The second search ran, and the count says how often the best was reached.
    assert!(r.extra_starts > 0, "no second search");
    assert!(r.n_best >= 1);
}

/// Seed 1 with N as given and N x 1e9: the same optimum (2.3132e-5) in both
/// units. Before, at 1e9 the grid's one start into its basin went
/// elsewhere and the fit reported 2.9155e-5 (a 26% higher objective).
#[test]
fn the_optimum_does_not_depend_on_the_unit_of_n() {
    let base = bnsl_fit(&SEED_1, 1.0);
    let scaled = bnsl_fit(&SEED_1, 1e9);
    assert!(base.objective <= 2.3132e-5, "{:.6e}", base.objective);
    assert!(
        (scaled.objective - base.objective).abs() <= 1e-6 * base.objective,
        "objective {:.6e} with N x 1e9 against {:.6e}",
        scaled.objective,
        base.objective
    );
}
