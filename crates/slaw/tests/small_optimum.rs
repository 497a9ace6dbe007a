//! The engine's answer on small squared-error fits is the optimum, not a
//! point where the polish stopped on a flat valley: on the selection
//! benchmark's law fits (FLAN and WMT19, every budget of the protocol,
//! 5-12 points, 4 parameters) the engine's objective is within 1e-9
//! (relative) of the best an independent check finds: Levenberg-Marquardt
//! run to exhaustion (no tolerance but "no damped step decreases f") from
//! the engine's answer and from every start of the law's grid, and the
//! projected L-BFGS run with no relative-decrease test from the engine's
//! answer. Over the benchmark's fits, at most 1 of 420 per law is more
//! than 1e-6 above that best (was 78 of 420 for vanilla-ft), and every one
//! more than 1e-9 above it says so (a warning that the search stopped
//! short, or the valley's end on a bound).

mod common;

use slaw::datasets::{finetune_wide, Candidate};
use slaw::fit::{fit, Fit};
use slaw::law::{catalog, Law};
use slaw::objective::{Objective, Space};
use slaw::observations::Observations;
use slaw::selection::method::{curve_observations, law_fit_options};
use slaw::selection::protocol::{FULL_SIZE, RATIOS};
use slaw::selection::Budget;
use slaw::solver::{LbfgsBox, LevenbergMarquardt, Solver, Tolerances};

/// The affordable points of candidate `c` at budget FULL_SIZE / r, as the
/// law-fitting selection methods fit them (sizes > 0 only).
fn observations(c: &Candidate, r: u32) -> Observations {
    let budget = Budget::new(FULL_SIZE, FULL_SIZE / r as f64).unwrap();
    curve_observations(&budget.affordable(c))
}

/// The lowest objective the independent check reaches (see the module
/// documentation), in the data's units.
fn independent_best(law: &Law, obs: &Observations, engine: &Fit) -> f64 {
    let opts = law_fit_options();
    let obj = Objective::new(law, obs, opts.loss, Space::Log);
    let (lo, hi) = law.internal_bounds();
    let exhaust = Tolerances {
        max_iter: 100_000,
        pgtol: 0.0,
        ftol: 0.0,
    };
    let lbfgs = LbfgsBox::default();
    let lm = LevenbergMarquardt { fallback: &lbfgs };
    let f = common::WithGaussNewton(&obj);
    let answer = law.to_internal(&engine.params);
    let mut best = obj.value(&answer);
    let mut starts = law.grid();
    starts.push(answer.clone());
    for s in &starts {
        let o = lm.minimize(&f, s, &lo, &hi, &exhaust);
        if o.f.is_finite() {
            best = best.min(o.f);
        }
    }
    let value_grad = |u: &[f64], g: &mut [f64]| obj.value_grad(u, g);
    let o = lbfgs.minimize(&value_grad, &answer, &lo, &hi, &exhaust);
    if o.f.is_finite() {
        best = best.min(o.f);
    }
    best
}

/// The engine's fit and the independent best, for one candidate.
fn check(law: &Law, c: &Candidate, r: u32) -> Option<(Fit, f64, f64)> {
    let obs = observations(c, r);
    if obs.len() < law.n_params() {
        return None;
    }
    let res = fit(law, &obs, &law_fit_options()).unwrap();
    // The engine's objective, recomputed in the data's units.
    let opts = law_fit_options();
    let obj = Objective::new(law, &obs, opts.loss, Space::Log);
    let f_engine = obj.value(&law.to_internal(&res.params));
    let best = independent_best(law, &obs, &res);
    Some((res, f_engine, best))
}

fn pool(file: &str) -> Option<Vec<Candidate>> {
    let dir = common::shared_data("finetune-selection")?;
    Some(finetune_wide(&dir.join(file)).unwrap())
}

/// The case the issue reports: FLAN 1/512, `t5-small`, vanilla-ft; the
/// polish stopped at 1.843e-6 where Levenberg-Marquardt reaches 1.381e-6
/// (E running to its bound).
#[test]
fn flan_512_t5_small_vanilla_reaches_the_optimum() {
    let Some(pool) = pool("flan.csv") else {
        return;
    };
    let c = pool.iter().find(|c| c.id == "t5-small").expect("t5-small");
    let (res, f, best) = check(&catalog::vanilla_ft(), c, 512).unwrap();
    let rel = (f - best) / best;
    assert!(
        rel <= 1e-9,
        "engine objective {f:e} vs {best:e} found independently ({rel:e} relative); termination {:?}: {}",
        res.termination,
        res.termination_message
    );
}

/// Every law fit of the selection benchmark (both laws, both data sets,
/// every budget): at most 1 objective more than 1e-6 (relative) above the
/// independent best, and a fit more than 1e-9 above it says so (not
/// converged, a warning that the search stopped short, or a parameter on
/// a bound).
#[test]
fn selection_law_fits_reach_the_optimum() {
    let (Some(flan), Some(wmt)) = (pool("flan.csv"), pool("wmt19.csv")) else {
        return;
    };
    for law in [catalog::vanilla_ft(), catalog::rectified()] {
        let (mut n, mut short6, mut short9, mut silent) = (0, 0, 0, Vec::new());
        let mut worst: f64 = 0.0;
        for (name, pool) in [("flan", &flan), ("wmt19", &wmt)] {
            for &r in &RATIOS {
                for c in pool.iter() {
                    let Some((res, f, best)) = check(&law, c, r) else {
                        continue;
                    };
                    n += 1;
                    let rel = (f - best) / best;
                    worst = worst.max(rel);
                    short6 += usize::from(rel > 1e-6);
                    if rel > 1e-9 {
                        short9 += 1;
                        eprintln!(
                            "  short: {name} 1/{r} {}: {f:e} vs {best:e} ({rel:e}) converged {} {:?} {:?}",
                            c.id, res.converged, res.termination_message, res.warnings
                        );
                        // Said: not converged, the search's own warning,
                        // or the valley's end on a bound (warned). (Until
                        // branch `basin`, a direction with condition number
                        // inf counted as said too, for FLAN 1/32 opt-2.7b:
                        // 1.7% above the check, another basin that no grid
                        // start of the scaled search reaches; the global
                        // phase of `fit::search` now finds it.)
                        let said = !res.converged
                            || !res.at_bounds.is_empty()
                            || res.warnings.iter().any(|w| w.contains("short of"));
                        if !said {
                            silent.push(format!(
                                "{name} 1/{r} {}: {f:e} vs {best:e} ({rel:e})",
                                c.id
                            ));
                        }
                    }
                }
            }
        }
        eprintln!(
            "{}: {n} fits, short of the independent best by > 1e-6: {short6}, by > 1e-9: {short9}, \
             worst {worst:e}, short and reported converged without a warning: {}",
            law.name,
            silent.len()
        );
        assert!(n >= 400, "{}: {n} fits", law.name);
        assert!(
            short6 <= 1,
            "{}: {short6} answers more than 1e-6 above the independent best",
            law.name
        );
        assert!(
            silent.is_empty(),
            "{}: {} fits short of the optimum reported as converged:\n{}",
            law.name,
            silent.len(),
            silent.join("\n")
        );
    }
}

/// The same case from a single given start (the law's grid's middle
/// point): the start runs the same Levenberg-Marquardt polish as a
/// multi-start fit (it ran L-BFGS to the relative-decrease tolerance
/// before) and ends within 1e-9 of the check, or says it stopped short.
#[test]
fn flan_512_t5_small_vanilla_one_start_reaches_the_optimum() {
    let Some(pool) = pool("flan.csv") else {
        return;
    };
    let c = pool.iter().find(|c| c.id == "t5-small").expect("t5-small");
    let law = catalog::vanilla_ft();
    let obs = observations(c, 512);
    let grid = law.grid();
    let opts = slaw::fit::FitOptions {
        starts: Some(vec![grid[grid.len() / 2].clone()]),
        ..law_fit_options()
    };
    let res = fit(&law, &obs, &opts).unwrap();
    let obj = Objective::new(&law, &obs, opts.loss, Space::Log);
    let f = obj.value(&law.to_internal(&res.params));
    let best = independent_best(&law, &obs, &res);
    let rel = (f - best) / best;
    eprintln!(
        "one start: {f:e} vs {best:e} ({rel:e}), {:?}: {}",
        res.termination, res.termination_message
    );
    assert!(
        rel <= 1e-9 || !res.converged,
        "engine objective {f:e} vs {best:e} found independently ({rel:e}), reported converged: {}",
        res.termination_message
    );
}
