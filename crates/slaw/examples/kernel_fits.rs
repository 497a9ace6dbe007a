//! One fit of a law on 1e5 synthetic points, one start, for timing the
//! batch kernels end to end (issue 22 item 2, BENCHMARKS.md): the process's
//! CPU time is the figure (`/usr/bin/time`), the line printed is the optimum
//! that must not move between two builds.
//!
//!     cargo run --release -p slaw --example kernel_fits -- LAW [squared|huber]
//!
//! LAW: reciprocal, bnsl, bnsl-2, joint-mult, m4, log or tissue. Points:
//! x (or the step t) log-spaced over 10..1e6 (joint-mult: X 1e5..1e10, D
//! 1e3..1e6 shuffled), the law at its truth times e^(0.002 z) (seed 1); the
//! start is the truth moved by a fixed factor.
use slaw::fit::{fit, FitOptions};
use slaw::law::{catalog, curves, Law};
use slaw::objective::{Loss, Space};

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().expect("a law name");
    let loss = match args.next().as_deref() {
        None | Some("squared") => Loss::Squared,
        Some("huber") => Loss::Huber { delta: 1e-3 },
        Some(o) => panic!("loss {o}: squared or huber"),
    };
    let n = 100_000;
    let xs: Vec<f64> = (0..n)
        .map(|i| 10f64.powf(1.0 + 5.0 * i as f64 / n as f64))
        .collect();
    let shuffled = |i: usize| ((i * 7919) % n) as f64 / n as f64;
    let (law, truth, start): (Law, Vec<f64>, Vec<f64>) = match name.as_str() {
        "reciprocal" => (
            catalog::reciprocal(),
            vec![3.0, 0.05, 2.5],
            vec![2.0, 0.1, 2.0],
        ),
        "bnsl" => (
            catalog::bnsl(1),
            vec![0.8, 20.0, 0.1, 3e3, 0.3, 1.0],
            vec![0.6, 15.0, 0.15, 2e3, 0.4, 1.2],
        ),
        "bnsl-2" => (
            catalog::bnsl(2),
            vec![0.8, 20.0, 0.1, 3e3, 0.3, 1.0, 1e5, 0.2, 0.5],
            vec![0.6, 15.0, 0.15, 2e3, 0.4, 1.2, 7e4, 0.25, 0.6],
        ),
        "joint-mult" => (
            catalog::joint_mult(),
            vec![1e4, 0.3, 0.1, 1.0],
            vec![5e3, 0.25, 0.15, 0.8],
        ),
        "m4" => (
            catalog::m4(),
            vec![0.5, 4.0, 0.6, 30.0, 0.4],
            vec![0.4, 5.0, 0.5, 20.0, 0.35],
        ),
        "log" => (curves::logarithmic(), vec![6.0, 0.3], vec![5.0, 0.2]),
        "tissue" => (
            curves::tissue(),
            vec![2.5, 0.6, 0.45, 3.0],
            vec![2.0, 0.8, 0.35, 2.0],
        ),
        other => panic!("no case for {other}"),
    };
    let pts: Vec<Vec<f64>> = xs
        .iter()
        .enumerate()
        .map(|(i, &x)| match law.inputs.len() {
            1 => vec![x],
            2 => vec![x * 1e4, 10f64.powf(3.0 + 3.0 * shuffled(i))],
            _ => vec![x, 3e-4 * x, 0.5 * shuffled(i)],
        })
        .collect();
    let obs = slaw::synthetic::generate(&law, &truth, &pts, 0.002, 1, "");
    let opts = FitOptions {
        loss,
        space: Space::Log,
        starts: Some(vec![law.to_internal(&start)]),
        polish: 1,
        ..FitOptions::default()
    };
    let res = fit(&law, &obs, &opts).expect("a fit");
    let params: Vec<String> = law
        .to_natural(&res.internal)
        .iter()
        .map(|v| format!("{v:.12e}"))
        .collect();
    println!(
        "{name} {loss:?}: objective {:.16e} evaluations {} iterations {} converged {} params [{}]",
        res.objective,
        res.evaluations,
        res.iterations,
        res.converged,
        params.join(", ")
    );
}
