//! Forecast intervals are nested in the level (a new-user probe's finding,
//! BENCHMARKS.md "Forecast intervals nested in the level"): for levels
//! l1 < l2 the l2 interval contains the l1 interval at every step, for
//! every forecast law and `auto`, on synthetic curves and on the public
//! (Mis)Fitting runs. The rolling-origin scores once had the points' white
//! noise taken out at the level asked for, so a higher level removed more
//! and could give a narrower interval (`extrapolation::NOISE_REFERENCE_LEVEL`).

mod common;

use rand::SeedableRng;
use slaw::forecast::job::{self, Choice, Data, FitUntil, ForecastOutput, Request, Spec};
use slaw::forecast::prior::Priors;
use slaw::forecast::{Curve, CurveLaw};
use slaw::synthetic::standard_normal;

const LEVELS: [f64; 8] = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99];

/// Every step's interval of `o` as (step, lo, hi): the forecast steps and
/// every point of the extended curve that has one.
fn intervals(o: &ForecastOutput) -> Vec<(f64, f64, f64)> {
    o.forecasts
        .iter()
        .chain(&o.curve_points)
        .filter_map(|p| Some((p.step, p.lo?, p.hi?)))
        .collect()
}

/// Asserts that each level's intervals contain the previous level's at
/// every step (`outs` in the order of `LEVELS`), and that a level with
/// intervals is followed by levels with intervals.
fn assert_nested(what: &str, outs: &[ForecastOutput]) {
    let slack = 1e-9;
    for (k, pair) in outs.windows(2).enumerate() {
        let (l1, l2) = (LEVELS[k], LEVELS[k + 1]);
        let (a, b) = (intervals(&pair[0]), intervals(&pair[1]));
        assert!(
            a.is_empty() || a.len() == b.len(),
            "{what}: {} intervals at {l1}, {} at {l2}",
            a.len(),
            b.len()
        );
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.0, y.0, "{what}");
            assert!(
                y.1 <= x.1 * (1.0 + slack) && y.2 >= x.2 * (1.0 - slack),
                "{what}: at step {} the {l2} interval [{}, {}] does not contain the {l1} one [{}, {}] ({:?} / {:?})",
                x.0,
                y.1,
                y.2,
                x.1,
                x.2,
                pair[0].interval_kind,
                pair[1].interval_kind,
            );
        }
    }
}

fn request(choice: Choice, fit_until: f64, at: Vec<f64>, level: f64) -> Request {
    Request {
        choice,
        fit_until: FitUntil::Number(fit_until),
        at,
        schedule: None,
        bootstrap: 200,
        seed: 0,
        level,
        priors: Priors::shipped(),
    }
}

/// The probe's curve: L = 2 + 6 t^-0.35 at steps 100, 200, ..., 20000,
/// 0.5% log-normal noise (seeded), no learning rate.
fn probe_curve(seed: u64) -> Curve {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let step: Vec<f64> = (1..=200).map(|k| 100.0 * k as f64).collect();
    let loss = step
        .iter()
        .map(|&t| (2.0 + 6.0 * t.powf(-0.35)) * (0.005 * standard_normal(&mut rng)).exp())
        .collect();
    Curve {
        name: format!("probe-{seed}"),
        step,
        lr: None,
        loss,
        schedule: None,
        untrained: vec![],
        lead: vec![],
    }
}

/// A run with a cosine learning rate (warmup-free, from 1e-3 to 1e-4 over
/// 300 logged steps of 100), its loss falling with the summed rate and
/// dropping as the rate decays, 0.4% noise and a slow bump.
fn cosine_curve(seed: u64) -> Curve {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n = 300;
    let step: Vec<f64> = (1..=n).map(|k| 100.0 * k as f64).collect();
    let total = step[n - 1];
    let lr: Vec<f64> = step
        .iter()
        .map(|&t| 1e-4 + 0.5 * 9e-4 * (1.0 + (std::f64::consts::PI * t / total).cos()))
        .collect();
    let mut s1 = 0.0;
    let loss = step
        .iter()
        .zip(&lr)
        .map(|(&t, &eta)| {
            s1 += 100.0 * eta / 1e-3;
            let bump = 0.01 * (t / 4000.0).sin();
            (2.2 + 5.0 * s1.powf(-0.4) - 0.25 * (1.0 - eta / 1e-3) + bump)
                * (0.004 * standard_normal(&mut rng)).exp()
        })
        .collect();
    Curve {
        name: format!("cosine-{seed}"),
        step,
        lr: Some(lr),
        loss,
        schedule: None,
        untrained: vec![],
        lead: vec![],
    }
}

fn methods(schedule: bool) -> Vec<Choice> {
    let mut m = vec![Choice::Auto];
    m.extend(
        CurveLaw::ALL
            .iter()
            .filter(|l| schedule || !l.needs_lr())
            .map(|&l| Choice::Law(l)),
    );
    m
}

fn run_levels(curve: &Curve, choice: Choice, fit_until: f64, at: &[f64]) -> Vec<ForecastOutput> {
    let data = Data::Aggregate(curve.clone());
    LEVELS
        .iter()
        .map(|&l| {
            job::run(&data, &request(choice, fit_until, at.to_vec(), l))
                .unwrap_or_else(|e| panic!("{} {}: {e}", curve.name, choice.name()))
        })
        .collect()
}

/// The probe's case (a clean power curve fitted on 30%: before the fix
/// the 97% interval at the last step was inside the 80% one, and
/// reciprocal's 90% and 95% were identical) and two more seeds, each law
/// of the step alone and `auto`, at several steps past the window.
#[test]
fn step_only_intervals_are_nested_in_the_level() {
    for seed in [1, 2, 3] {
        let c = probe_curve(seed);
        for choice in methods(false) {
            let outs = run_levels(&c, choice, 0.3, &[8000.0, 12000.0, 20000.0, 40000.0]);
            assert_nested(&format!("{} {}", c.name, choice.name()), &outs);
        }
    }
}

/// Short windows, where the window's own scores are too few for a rank
/// at the higher levels and the error prior's pseudo-scores are pooled in
/// (before the fix a window of 4 points had no calibration at 97%, so its
/// interval was the bootstrap's, inside the 95% one), and noisier curves
/// of random parameters.
#[test]
fn short_and_noisy_windows_are_nested_in_the_level() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(60);
    for k in 0..3 {
        let mut c = common::noisy_power_curve(&mut rng, 40, 250.0);
        c.name = format!("noisy-{k}");
        for (until, at) in [(0.12, 10000.0), (0.25, 10000.0), (0.5, 20000.0)] {
            for choice in methods(false) {
                let outs = run_levels(&c, choice, until, &[at]);
                assert_nested(&format!("{} {} {until}", c.name, choice.name()), &outs);
            }
        }
    }
}

/// The schedule-aware laws (and `auto`, which may take one) on cosine
/// runs fitted on 20% and 50% of their steps.
#[test]
fn schedule_aware_intervals_are_nested_in_the_level() {
    for seed in [4, 5] {
        let c = cosine_curve(seed);
        for until in [0.2, 0.5] {
            for choice in methods(true) {
                let outs = run_levels(&c, choice, until, &[20000.0, 30000.0]);
                assert_nested(&format!("{} {} {until}", c.name, choice.name()), &outs);
            }
        }
    }
}

/// Every (Mis)Fitting run at 25% and 50% windows, each step-only law and
/// `auto` (the probe's misfitting_35m run: its 99% interval was inside its
/// 95% one; misfitting_300m's 4-point windows had none at 97%).
#[test]
fn misfitting_runs_are_nested_in_the_level() {
    let Some(path) = common::shared_data("loss-curves/misfitting/scaling_results.csv") else {
        return;
    };
    let table = slaw::table::Table::read(&path).unwrap();
    for until in [0.25, 0.5] {
        for method in ["auto", "power", "reciprocal", "log"] {
            let runs: Vec<_> = LEVELS
                .iter()
                .map(|&level| {
                    let spec = Spec {
                        method: method.into(),
                        fit_until: FitUntil::Number(until),
                        step_col: "current_steps".into(),
                        run_col: Some("model,peak_lr,sweep".into()),
                        level,
                        ..Spec::default()
                    };
                    spec.run(&table, "scaling_results").unwrap()
                })
                .collect();
            let n = runs[0].forecasts.len();
            assert!(n > 40, "{method} {until}: {n} runs forecast");
            for r in 0..n {
                let outs: Vec<ForecastOutput> =
                    runs.iter().map(|x| x.forecasts[r].clone()).collect();
                let what = format!("{} {method} {until}", outs[0].curve);
                assert_nested(&what, &outs);
                // Every level's interval is of the same kind (no level drops
                // to the bootstrap's refit spread).
                for o in &outs[1..] {
                    assert_eq!(
                        std::mem::discriminant(o.interval_kind.as_ref().unwrap()),
                        std::mem::discriminant(outs[0].interval_kind.as_ref().unwrap()),
                        "{what}"
                    );
                }
            }
        }
    }
}

/// The temporal law (per-position data: README's `examples/positions.csv`,
/// 20 checkpoints x 11 positions) fitted on 30% and 50% of its steps.
#[test]
fn temporal_intervals_are_nested_in_the_level() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/positions.csv");
    let table = slaw::table::Table::read(&path).unwrap();
    for until in [0.3, 0.5] {
        let outs: Vec<ForecastOutput> = LEVELS
            .iter()
            .map(|&level| {
                let spec = Spec {
                    method: "temporal".into(),
                    fit_until: FitUntil::Number(until),
                    at: vec![60000.0, 100000.0],
                    level,
                    ..Spec::default()
                };
                spec.run(&table, "positions").unwrap().forecasts.remove(0)
            })
            .collect();
        assert_nested(&format!("positions temporal {until}"), &outs);
    }
}
