//! The Levenberg-Marquardt path of large squared-error fits (n >= 65,536):
//! it reaches the projected L-BFGS optimum on the same objective (objective
//! equal to 1e-12 relative, parameters to 1e-6), honours the box, leaves
//! Huber objectives to the fallback, and `fit` recovers the truth with it.

mod common;

use slaw::fastmath::VECTOR_LN_MIN;
use slaw::fit::{fit, FitOptions};
use slaw::law::{catalog, Law};
use slaw::objective::{Loss, Objective, Space};
use slaw::observations::Observations;
use slaw::solver::{Function, LbfgsBox, LevenbergMarquardt, Outcome, Solver, Tolerances};
use slaw::synthetic::LargeFit;

/// n points of the large-fit benchmark's problem for `law`
/// (`synthetic::LargeFit`).
fn points(law: &Law, truth: &[f64], n: usize, lo: f64, hi: f64) -> Observations {
    LargeFit {
        law: law.clone(),
        truth: truth.to_vec(),
        start: Vec::new(),
        decades: (lo, hi),
    }
    .points(n)
}

/// (Levenberg-Marquardt, projected L-BFGS) from `start` over [lo, hi].
fn both(obj: &Objective, start: &[f64], lo: &[f64], hi: &[f64]) -> (Outcome, Outcome) {
    let tol = Tolerances::default();
    let lm = LevenbergMarquardt {
        fallback: &LbfgsBox::default(),
    }
    .minimize(&common::WithGaussNewton(obj), start, lo, hi, &tol);
    let f = |u: &[f64], g: &mut [f64]| obj.value_grad(u, g);
    let lbfgs = LbfgsBox::default().minimize(&f, start, lo, hi, &tol);
    (lm, lbfgs)
}

fn assert_same_optimum(lm: &Outcome, lbfgs: &Outcome, what: &str) {
    assert!(
        lm.converged(),
        "{what}: LM did not converge: {}",
        lm.message
    );
    assert!(lbfgs.converged(), "{what}: L-BFGS: {}", lbfgs.message);
    let rel = (lm.f - lbfgs.f).abs() / lbfgs.f.abs();
    assert!(
        rel <= 1e-12,
        "{what}: objective {} vs L-BFGS {} ({rel:e} relative)",
        lm.f,
        lbfgs.f
    );
    for (a, b) in lm.x.iter().zip(&lbfgs.x) {
        assert!(
            (a - b).abs() <= 1e-6 * (1.0 + b.abs()),
            "{what}: parameters {:?} vs L-BFGS {:?}",
            lm.x,
            lbfgs.x
        );
    }
}

#[test]
fn levenberg_marquardt_reaches_the_lbfgs_optimum_on_large_least_squares() {
    let n = VECTOR_LN_MIN + 4_463;
    for case in LargeFit::cases() {
        let (law, start) = (&case.law, &case.start);
        let obs = case.points(n);
        let obj = Objective::new(law, &obs, Loss::Squared, Space::Log);
        let (blo, bhi) = law.internal_bounds();
        let (lm, lbfgs) = both(&obj, &law.to_internal(start), &blo, &bhi);
        assert_same_optimum(&lm, &lbfgs, &law.name);
        assert!(
            lm.evaluations < lbfgs.evaluations,
            "{}: {} LM evaluations vs {} L-BFGS",
            law.name,
            lm.evaluations,
            lbfgs.evaluations
        );
    }
}

#[test]
fn levenberg_marquardt_honours_the_box() {
    // power with alpha capped below its true 0.5: the optimum is on the bound.
    let law = catalog::power();
    let obs = points(&law, &[2000.0, 0.5, 1.5], VECTOR_LN_MIN, 1.0, 6.0);
    let obj = Objective::new(&law, &obs, Loss::Squared, Space::Log);
    let (lo, mut hi) = law.internal_bounds();
    hi[1] = 0.45;
    let (lm, lbfgs) = both(&obj, &law.to_internal(&[100.0, 0.3, 1.0]), &lo, &hi);
    assert_eq!(lm.x[1], 0.45, "alpha should end on its bound: {:?}", lm.x);
    assert_same_optimum(&lm, &lbfgs, "power, alpha <= 0.45");
}

#[test]
fn huber_objectives_go_to_the_fallback_unchanged() {
    let law = catalog::power();
    let obs = points(&law, &[2000.0, 0.5, 1.5], VECTOR_LN_MIN, 1.0, 6.0);
    let obj = Objective::new(&law, &obs, Loss::Huber { delta: 1e-3 }, Space::Log);
    let (lo, hi) = law.internal_bounds();
    let (lm, lbfgs) = both(&obj, &law.to_internal(&[100.0, 0.3, 1.0]), &lo, &hi);
    assert_eq!(lm.x, lbfgs.x);
    assert_eq!(lm.f, lbfgs.f);
    assert_eq!(lm.evaluations, lbfgs.evaluations);
}

#[test]
fn large_squared_error_fits_recover_the_truth() {
    for (law, truth, (lo, hi)) in [
        (catalog::power(), vec![2000.0, 0.5, 1.5], (1.0, 6.0)),
        (catalog::vanilla_ft(), vec![50.0, 0.4, 1.0, 1.0], (2.0, 6.0)),
    ] {
        let obs = points(&law, &truth, VECTOR_LN_MIN + 1, lo, hi);
        let opts = FitOptions {
            loss: Loss::Squared,
            space: Space::Log,
            ..FitOptions::default()
        };
        let res = fit(&law, &obs, &opts).unwrap();
        assert!(res.converged, "{}: not converged", law.name);
        for (name, (got, want)) in law.param_names().iter().zip(res.params.iter().zip(&truth)) {
            assert!(
                (got - want).abs() <= 1e-3 * want.abs(),
                "{}: {name} = {got}, truth {want}",
                law.name
            );
        }
    }
}

/// A solver the caller chose (it does not defer): counts its runs.
struct Chosen(std::sync::atomic::AtomicUsize);

impl Solver for Chosen {
    fn minimize(
        &self,
        f: &dyn Function,
        x0: &[f64],
        lower: &[f64],
        upper: &[f64],
        tol: &Tolerances,
    ) -> Outcome {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        LbfgsBox::default().minimize(f, x0, lower, upper, tol)
    }
    fn name(&self) -> &'static str {
        "chosen"
    }
}

#[test]
fn a_solver_the_caller_chose_runs_as_asked() {
    let law = catalog::power();
    let obs = points(&law, &[2000.0, 0.5, 1.5], VECTOR_LN_MIN + 1, 1.0, 6.0);
    let opts = FitOptions {
        loss: Loss::Squared,
        space: Space::Log,
        ..FitOptions::default()
    };
    let chosen = Chosen(Default::default());
    let res = slaw::fit::fit_with(&law, &obs, &opts, &chosen).unwrap();
    assert!(res.converged);
    assert!(
        chosen.0.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "the chosen solver was bypassed"
    );
    // The default solver defers: the same fit through it never runs L-BFGS
    // on this least-squares problem, and takes fewer evaluations.
    let default = fit(&law, &obs, &opts).unwrap();
    assert!(
        default.evaluations < res.evaluations,
        "{} vs {}",
        default.evaluations,
        res.evaluations
    );
    assert!((default.objective - res.objective).abs() <= 1e-9 * res.objective.abs());
}
