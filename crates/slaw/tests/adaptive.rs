//! The adaptive multi-start search reaches the optimum of the whole grid:
//! on data drawn from every built-in law, on the Chinchilla runs and on the
//! 60 fine-tuning curves, the default search (batches until three distinct
//! starts agree) and `MultiStart::All` end at the same objective (1e-6
//! relative) and the same predictions (1e-4 relative); the adaptive search
//! uses fewer starts where the optimum is well determined, and reports how
//! many it used and how many agreed.

mod common;

use slaw::fit::{fit, spread_order, FitOptions, FitResult, MultiStart};
use slaw::law::{catalog, Law};
use slaw::objective::{Loss, Space};
use slaw::observations::Observations;
use slaw::synthetic::generate;

fn log_grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (lo.ln() + (hi.ln() - lo.ln()) * i as f64 / (n - 1) as f64).exp())
        .collect()
}

fn both(law: &Law, obs: &Observations, opts: &FitOptions) -> (FitResult, FitResult) {
    let adaptive = fit(law, obs, opts).unwrap();
    let all = fit(
        law,
        obs,
        &FitOptions {
            multistart: MultiStart::All,
            ..opts.clone()
        },
    )
    .unwrap();
    (adaptive, all)
}

/// Same optimum: objective and predictions at the data's points.
fn same_optimum(what: &str, law: &Law, obs: &Observations, a: &FitResult, b: &FitResult) {
    assert!(a.converged && b.converged, "{what}");
    let rel = (a.objective - b.objective).abs() / b.objective.abs().max(1e-300);
    assert!(
        rel <= 1e-6 || (a.objective - b.objective).abs() <= 1e-14 * obs.len() as f64,
        "{what}: adaptive objective {} vs whole grid {} ({} of {} starts)",
        a.objective,
        b.objective,
        a.n_starts,
        a.grid_starts
    );
    for i in 0..obs.len() {
        let x = obs.point(i);
        let (pa, pb) = (law.predict(x, &a.params), law.predict(x, &b.params));
        assert!(
            (pa / pb - 1.0).abs() <= 1e-4,
            "{what} at {x:?}: {pa} vs {pb} (params {:?} vs {:?})",
            a.params,
            b.params
        );
    }
}

#[test]
fn spread_order_is_a_coarse_to_fine_permutation() {
    let dims = [6, 5, 6, 5, 5];
    let order = spread_order(&dims);
    let n: usize = dims.iter().product();
    assert_eq!(order.len(), n);
    let mut seen = vec![false; n];
    for &i in &order {
        assert!(!seen[i]);
        seen[i] = true;
    }
    // The first cell is the centre of every axis: (2, 2, 2, 2, 2).
    let centre = (((2 * 5 + 2) * 6 + 2) * 5 + 2) * 5 + 2;
    assert_eq!(order[0], centre);
    // The first 3^5 cells are the grid of centres and ends.
    let coarse = |v: usize, d: usize| v == (d - 1) / 2 || v == 0 || v == d - 1;
    for &cell in &order[..243] {
        let mut rest = cell;
        for &d in dims.iter().rev() {
            assert!(coarse(rest % d, d), "cell {cell}");
            rest /= d;
        }
    }
    assert_eq!(spread_order(&[1]), vec![0]);
    assert_eq!(spread_order(&[2]), vec![0, 1]);
    assert_eq!(spread_order(&[5]), vec![2, 0, 4, 1, 3]);
}

#[test]
fn adaptive_search_reaches_the_whole_grids_optimum_on_every_law() {
    let sq = FitOptions {
        loss: Loss::Squared,
        space: Space::Log,
        ..FitOptions::default()
    };
    let one = |lo: f64, hi: f64| -> Vec<Vec<f64>> {
        log_grid(lo, hi, 40).into_iter().map(|x| vec![x]).collect()
    };
    let mut two = Vec::new();
    for x in log_grid(1e8, 1e10, 5) {
        for d in log_grid(1e3, 1e6, 8) {
            two.push(vec![x, d]);
        }
    }
    let mut chin = Vec::new();
    for n in log_grid(1e7, 1e10, 8) {
        for d in log_grid(1e9, 1e12, 5) {
            chin.push(vec![n, d]);
        }
    }
    let mut rect = vec![vec![0.0]];
    rect.extend(one(200.0, 1_638_400.0).into_iter().take(39));
    let cases: Vec<(Law, Vec<f64>, Vec<Vec<f64>>)> = vec![
        (catalog::power(), vec![2e3, 0.5, 1.5], one(10.0, 1e6)),
        (
            catalog::vanilla_ft(),
            vec![50.0, 0.4, 1.0, 1.0],
            one(100.0, 1e6),
        ),
        (catalog::rectified(), vec![80.0, 40.0, 0.5, 1.0], rect),
        (
            catalog::chinchilla(),
            vec![400.0, 0.34, 410.0, 0.28, 1.7],
            chin,
        ),
        (catalog::joint_mult(), vec![1e4, 0.3, 0.1, 1.0], two.clone()),
        (
            catalog::joint_add(),
            vec![300.0, 0.3, 5.0, 0.15, 1.0],
            two.clone(),
        ),
        (
            catalog::bnsl(1),
            vec![0.8, 20.0, 0.1, 3e3, 0.3, 1.0],
            one(10.0, 1e7),
        ),
        (
            catalog::reciprocal(),
            vec![3.0, 0.05, 2.5],
            (0..40).map(|i| vec![(i * 50) as f64]).collect(),
        ),
        (
            catalog::m4(),
            vec![1.0, 3.0, 1.0, 10f64.powf(1.4), 0.4],
            one(10.0, 1e6),
        ),
    ];
    let mut saved = 0usize;
    for (law, truth, pts) in &cases {
        for seed in 0..3u64 {
            let obs = generate(law, truth, pts, 0.002, seed, "");
            let (a, b) = both(law, &obs, &sq);
            let what = format!("{} seed {seed}", law.name);
            same_optimum(&what, law, &obs, &a, &b);
            // The grid starts run (the floor probes come on top).
            let grid_run = a.n_starts - a.probe_starts;
            assert!(grid_run <= b.n_starts, "{what}");
            assert_eq!(a.agree_target, 3);
            assert_eq!(b.agree_target, 0);
            // Stopped early only when three starts agreed.
            if grid_run < a.grid_starts {
                assert!(a.n_best >= 3, "{what}: {} agreeing", a.n_best);
            }
            saved += b.n_starts - grid_run;
            eprintln!(
                "{what}: adaptive {} of {} starts ({} agree), whole grid {} starts",
                a.n_starts, a.grid_starts, a.n_best, b.n_starts
            );
        }
    }
    assert!(saved > 0);
}

#[test]
fn adaptive_search_on_the_chinchilla_runs_and_the_finetuning_curves() {
    let Some(path) = common::shared_data("chinchilla/svg_extracted_data.csv") else {
        return;
    };
    let obs = slaw::datasets::chinchilla(&path, 5).unwrap();
    let law = catalog::chinchilla();
    let (a, b) = both(&law, &obs, &FitOptions::default());
    same_optimum("chinchilla", &law, &obs, &a, &b);
    assert_eq!(b.n_starts, 4500);
    assert!(a.n_starts <= 100, "{} starts", a.n_starts);
    assert!(a.n_best >= 3);
    // Deterministic: the same starts and the same optimum on a rerun.
    let again = fit(&law, &obs, &FitOptions::default()).unwrap();
    assert_eq!(again.n_starts, a.n_starts);
    assert_eq!(again.params, a.params);

    let law = catalog::rectified();
    let opts = FitOptions {
        loss: Loss::Squared,
        space: Space::Log,
        ..FitOptions::default()
    };
    for file in ["flan.csv", "wmt19.csv"] {
        let Some(p) = common::shared_data(&format!("finetune-selection/{file}")) else {
            return;
        };
        for m in slaw::datasets::finetune_wide(&p).unwrap() {
            let obs = m.observations(1.0, f64::INFINITY);
            let (a, b) = both(&law, &obs, &opts);
            let what = format!("{file} {}", m.id);
            // Flat valleys: the objective agrees; predictions at the data
            // agree to the fit's own precision.
            assert!(
                a.objective <= b.objective * (1.0 + 1e-6) + 1e-14,
                "{what}: {} vs {}",
                a.objective,
                b.objective
            );
        }
    }
}

/// A solver that adds up the iterations and evaluations of every run it
/// returns (the default L-BFGS underneath).
#[derive(Default)]
struct Tally {
    iterations: std::sync::atomic::AtomicU64,
    evaluations: std::sync::atomic::AtomicU64,
}

impl slaw::solver::Solver for Tally {
    fn minimize(
        &self,
        f: &dyn slaw::solver::Function,
        x0: &[f64],
        lower: &[f64],
        upper: &[f64],
        tol: &slaw::solver::Tolerances,
    ) -> slaw::solver::Outcome {
        use std::sync::atomic::Ordering::Relaxed;
        let o = slaw::solver::LbfgsBox::default().minimize(f, x0, lower, upper, tol);
        self.iterations.fetch_add(o.iterations, Relaxed);
        self.evaluations.fetch_add(o.evaluations, Relaxed);
        o
    }
    fn name(&self) -> &'static str {
        "tally"
    }
}

#[test]
fn a_fit_counts_the_iterations_and_evaluations_of_every_solver_run() {
    use std::sync::atomic::Ordering::Relaxed;
    let law = catalog::vanilla_ft();
    let points: Vec<Vec<f64>> = log_grid(1e2, 1e6, 12)
        .into_iter()
        .map(|x| vec![x])
        .collect();
    let obs = generate(&law, &[50.0, 0.4, 1.0, 1.0], &points, 0.01, 3, "");
    for (what, opts) in [
        ("grid", FitOptions::default()),
        (
            "one given start",
            FitOptions {
                starts: Some(vec![law.to_internal(&[40.0, 0.3, 1.5, 0.8])]),
                ..FitOptions::default()
            },
        ),
    ] {
        let tally = Tally::default();
        let r = slaw::fit::fit_with(&law, &obs, &opts, &tally).unwrap();
        assert!(r.converged, "{what}");
        // Polishing runs count too (they are not the screening runs).
        assert_eq!(
            r.iterations,
            tally.iterations.load(Relaxed),
            "{what}: iterations"
        );
        assert_eq!(
            r.evaluations,
            tally.evaluations.load(Relaxed),
            "{what}: evaluations"
        );
        assert!(r.iterations > 0, "{what}");
    }
}

/// A given starting point must have one value per parameter: a wrong length
/// is refused with an error that says so, not a panic or a silent misread.
#[test]
fn a_given_start_of_the_wrong_length_is_a_clear_error() {
    let law = catalog::vanilla_ft();
    let points: Vec<Vec<f64>> = log_grid(1e2, 1e6, 8).into_iter().map(|x| vec![x]).collect();
    let obs = generate(&law, &[50.0, 0.4, 1.0, 1.0], &points, 0.01, 3, "");
    let good = law.to_internal(&[40.0, 0.3, 1.5, 0.8]);
    for bad in [good[..3].to_vec(), [good.clone(), vec![0.0]].concat()] {
        let n = bad.len();
        let opts = FitOptions {
            starts: Some(vec![good.clone(), bad]),
            ..FitOptions::default()
        };
        let e = fit(&law, &obs, &opts).unwrap_err().to_string();
        assert!(
            e.contains(&format!("a starting point has {n} values")) && e.contains("4 parameters"),
            "{e}"
        );
    }
    // The same starts of the right length fit.
    let opts = FitOptions {
        starts: Some(vec![good.clone(), good]),
        ..FitOptions::default()
    };
    assert!(fit(&law, &obs, &opts).unwrap().converged);
}
