//! Reproduction on real data: Hoffmann et al.'s Approach 3 on the Epoch AI
//! reconstruction of the Chinchilla runs.

mod common;

use slaw::fit::{fit, FitOptions, MultiStart};
use slaw::law::catalog;
use slaw::observations::Observations;

fn chinchilla_observations() -> Option<Observations> {
    let path = common::shared_data("chinchilla/svg_extracted_data.csv")?;
    Some(slaw::datasets::chinchilla(&path, 5).unwrap())
}

#[test]
fn chinchilla_approach3_reaches_the_reference_optimum() {
    let Some(obs) = chinchilla_observations() else {
        return;
    };
    assert_eq!(obs.len(), 240);
    let law = catalog::chinchilla();
    // The adaptive search (stops once 3 starts agree) and Hoffmann's whole grid.
    for multistart in [MultiStart::DEFAULT, MultiStart::All] {
        let opts = FitOptions {
            multistart,
            ..FitOptions::default()
        };
        let res = fit(&law, &obs, &opts).unwrap();
        let p = &res.params; // A, alpha, B, beta, E
        eprintln!("{res:?}");
        assert!(res.converged);
        assert_eq!(res.grid_starts, 4500);
        if multistart == MultiStart::All {
            assert_eq!(res.n_starts, 4500);
        } else {
            assert!(res.n_starts < 4500 && res.n_best >= 3, "{}", res.n_starts);
        }
        assert!(res.objective <= 0.0010184, "objective {}", res.objective);
        assert!((p[1] - 0.3473).abs() <= 0.001, "alpha {}", p[1]);
        assert!((p[3] - 0.3672).abs() <= 0.001, "beta {}", p[3]);
        assert!((p[4] - 1.8172).abs() <= 0.002, "E {}", p[4]);
    }
}
