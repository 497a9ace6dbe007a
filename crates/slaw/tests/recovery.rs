//! Parameter recovery: data drawn from every built-in law with known
//! parameters and small multiplicative noise is fitted back.
//!
//! Stated tolerances (noise sd 0.2% in log L, 40 points unless noted):
//! - every law: the fit converges, and the fitted curve matches the noiseless
//!   truth within 1% everywhere on the design;
//! - identifiable exponents and floors (power, chinchilla, joint-mult,
//!   joint-add, reciprocal): each exponent within 0.03, E within 3%;
//! - m4: the curve tolerance, and E within 10%;
//! - rectified, vanilla-ft and bnsl, whose B / D_l / beta (or b / d / c) trade
//!   off along flat valleys: the curve tolerance only, plus beta within 0.1
//!   for the rectified law.

use proptest::prelude::*;
use slaw::fit::{fit, FitOptions, FitResult};
use slaw::law::{catalog, Law};
use slaw::objective::{Loss, Space};
use slaw::synthetic::generate;

const NOISE: f64 = 0.002;

fn log_grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (lo.ln() + (hi.ln() - lo.ln()) * i as f64 / (n - 1) as f64).exp())
        .collect()
}

fn recover(
    law: &Law,
    truth: &[f64],
    points: &[Vec<f64>],
    seed: u64,
    opts: FitOptions,
) -> FitResult {
    let obs = generate(law, truth, points, NOISE, seed, "");
    let res = fit(law, &obs, &opts).unwrap();
    assert!(res.converged, "{}: {:?}", law.name, res.warnings);
    for p in points {
        let want = law.predict(p, truth);
        let got = law.predict(p, &res.params);
        assert!(
            (got / want - 1.0).abs() < 0.01,
            "{} at {p:?}: {got} vs {want} (truth {truth:?}, fit {:?})",
            law.name,
            res.params
        );
    }
    res
}

fn squared() -> FitOptions {
    FitOptions {
        loss: Loss::Squared,
        space: Space::Log,
        ..FitOptions::default()
    }
}

fn close(name: &str, got: f64, want: f64, abs: f64) {
    assert!(
        (got - want).abs() <= abs,
        "{name}: {got} vs {want} (tolerance {abs})"
    );
}

proptest! {
    // A fixed seed: the same cases on every run (set PROPTEST_CASES for more).
    #![proptest_config(ProptestConfig {
        cases: 6,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20261123),
        ..ProptestConfig::default()
    })]

    #[test]
    fn power(r in 0.2..2.0f64, alpha in 0.25..0.8f64, e in 0.5..3.0f64, seed in 0u64..1000) {
        // The power term is r times E at the largest x, so E shows in the data.
        let a = r * e * 1e6f64.powf(alpha);
        let law = catalog::power();
        let pts: Vec<Vec<f64>> = log_grid(10.0, 1e6, 40).into_iter().map(|x| vec![x]).collect();
        let r = recover(&law, &[a, alpha, e], &pts, seed, squared());
        close("alpha", r.params[1], alpha, 0.03);
        close("E", r.params[2], e, 0.03 * e);
    }

    #[test]
    fn chinchilla(ra in 0.3..1.5f64, alpha in 0.25..0.45f64, rb in 0.3..1.5f64, beta in 0.25..0.45f64, e in 1.5..2.2f64, seed in 0u64..1000) {
        // Each term is ra (rb) times E at the centre of the design (N = 1e8.5, D = 1e10.5).
        let a = ra * e * 10f64.powf(8.5 * alpha);
        let b = rb * e * 10f64.powf(10.5 * beta);
        let law = catalog::chinchilla();
        let mut pts = Vec::new();
        for n in log_grid(1e7, 1e10, 8) {
            for d in log_grid(1e9, 1e12, 5) {
                pts.push(vec![n, d]);
            }
        }
        let r = recover(&law, &[a, alpha, b, beta, e], &pts, seed, FitOptions::default());
        close("alpha", r.params[1], alpha, 0.03);
        close("beta", r.params[3], beta, 0.03);
        close("E", r.params[4], e, 0.03 * e);
    }

    #[test]
    fn joint_laws(ra in 0.3..2.0f64, alpha in 0.1..0.6f64, beta in 0.05..0.3f64, e in 0.5..1.5f64, seed in 0u64..1000) {
        // The term is ra times E at the centre of the design (X = 1e9, D = 10^4.5).
        let a = ra * e * 10f64.powf(9.0 * alpha + 4.5 * beta);
        let mut pts = Vec::new();
        for x in log_grid(1e8, 1e10, 5) {
            for d in log_grid(1e3, 1e6, 8) {
                pts.push(vec![x, d]);
            }
        }
        let mult = catalog::joint_mult();
        let r = recover(&mult, &[a, alpha, beta, e], &pts, seed, squared());
        close("alpha", r.params[1], alpha, 0.03);
        close("beta", r.params[2], beta, 0.03);
        close("E", r.params[3], e, 0.03 * e);
        let add = catalog::joint_add();
        let (a1, b1) = (ra * e * 10f64.powf(9.0 * alpha), ra * e * 10f64.powf(4.5 * beta));
        let r = recover(&add, &[a1, alpha, b1, beta, e], &pts, seed, squared());
        close("alpha", r.params[1], alpha, 0.03);
        close("beta", r.params[3], beta, 0.03);
    }

    #[test]
    fn rectified(q in 0.01..0.3f64, r in 0.5..3.0f64, beta in 0.3..0.7f64, e in 0.5..2.0f64, seed in 0u64..1000) {
        // A visible power phase: D_l is a fraction q of D^beta at the largest
        // size, and the zero-shot excess B / D_l is r times E.
        let dl = q * 1_638_400f64.powf(beta);
        let b = r * e * dl;
        let law = catalog::rectified();
        let mut pts = vec![vec![0.0]];
        pts.extend(log_grid(200.0, 1_638_400.0, 39).into_iter().map(|x| vec![x]));
        let r = recover(&law, &[b, dl, beta, e], &pts, seed, squared());
        close("beta", r.params[2], beta, 0.1);
    }

    #[test]
    fn vanilla_ft(b in 5.0..200.0f64, beta in 0.2..0.6f64, e in 0.5..2.0f64, alpha in 0.6..1.5f64, seed in 0u64..1000) {
        let law = catalog::vanilla_ft();
        let pts: Vec<Vec<f64>> = log_grid(100.0, 1e6, 40).into_iter().map(|x| vec![x]).collect();
        recover(&law, &[b, beta, e, alpha], &pts, seed, squared());
    }

    #[test]
    fn bnsl(b in 5.0..50.0f64, c0 in 0.05..0.2f64, d1 in 1e3..1e4f64, c1 in 0.2..0.5f64, seed in 0u64..1000) {
        let law = catalog::bnsl(1);
        let pts: Vec<Vec<f64>> = log_grid(10.0, 1e7, 40).into_iter().map(|x| vec![x]).collect();
        recover(&law, &[0.8, b, c0, d1, c1, 1.0], &pts, seed, squared());
    }

    #[test]
    fn m4(e in 0.3..1.5f64, gap in 1.0..4.0f64, alpha in 0.3..2.0f64, c in 0.2..0.6f64, seed in 0u64..1000) {
        // beta puts the curve's midpoint (r = 1 at alpha = 1) at x = 10^3.5,
        // inside the design 10..1e6, so both E and I show in the data.
        let beta = 10f64.powf(3.5 * c);
        let law = catalog::m4();
        let pts: Vec<Vec<f64>> = log_grid(10.0, 1e6, 40).into_iter().map(|x| vec![x]).collect();
        let r = recover(&law, &[e, e + gap, alpha, beta, c], &pts, seed, squared());
        close("E", r.params[0], e, 0.1 * e);
    }

    #[test]
    fn reciprocal(a0 in 1.0..5.0f64, a1 in 0.005..0.2f64, a2 in 1.5..3.5f64, seed in 0u64..1000) {
        let law = catalog::reciprocal();
        let pts: Vec<Vec<f64>> = (0..40).map(|i| vec![(i * 50) as f64]).collect();
        let r = recover(&law, &[a0, a1, a2], &pts, seed, squared());
        close("a1", r.params[1], a1, 0.1 * a1);
        close("a2", r.params[2], a2, 0.03 * a2);
    }
}
