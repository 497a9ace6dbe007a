//! The temporal law on per-position data generated from known parameter
//! trajectories: the trajectories and the future mean loss are recovered.
//! The truths give a2 a power and an lr form, which the default rule
//! (a2 among the bounded forms) excludes by design: these tests recover
//! every form with the least-squares rule, where a2 may take any form.

use slaw::forecast::temporal::{
    fit_temporal_rule, generate, mean_loss, TemporalFit, TrajectoryRule,
};
use slaw::forecast::trajectory::TrajectoryForm;
use slaw::forecast::{Curve, Schedule};

fn fit_temporal(
    pc: &slaw::forecast::positions::PositionCurves,
    k: usize,
    schedule: Option<&Curve>,
) -> slaw::Result<TemporalFit> {
    fit_temporal_rule(
        pc,
        k,
        schedule,
        &TrajectoryForm::ALL,
        TrajectoryRule::LeastSquares,
    )
}

fn positions() -> Vec<f64> {
    (0..256).map(|i| (4 * i) as f64).collect()
}

fn steps() -> Vec<f64> {
    (1..=40).map(|k| 500.0 * k as f64).collect()
}

/// a0 logarithmic, a1 hyperbolic, a2 power in the step. Orders of
/// magnitude as in a small GPT: about 7.5 nats at the first position, the
/// context helping within tens of tokens, 3 to 4 nats far into the sequence.
fn truth(t: f64) -> [f64; 3] {
    [
        4.0 + 0.25 * (t / 1000.0).ln(),
        0.9 - 0.6 / (1.0 + t / 2000.0),
        2.2 + 30.0 * t.powf(-0.45),
    ]
}

#[test]
fn recovers_trajectories_and_future_loss() {
    let pos = positions();
    let st = steps();
    for seed in 0..3 {
        let pc = generate(&truth, &st, &pos, 0.005, seed);
        // Fit on the first 30% of the steps: 12 checkpoints.
        let k = 12;
        let f = fit_temporal(&pc, k, None).unwrap();
        assert!(f.converged());
        let chosen: Vec<&str> = f
            .trajectories
            .iter()
            .map(|t| t.chosen.form.name())
            .collect();
        // The per-checkpoint estimates are close to the truth.
        for (t, a) in &f.per_checkpoint {
            let w = truth(*t);
            // a1 is the least determined (the curvature over positions).
            for (j, tol) in [0.03, 0.08, 0.03].into_iter().enumerate() {
                assert!(
                    (a[j] - w[j]).abs() < tol * w[j],
                    "seed {seed} step {t} a{j}: {} vs {}",
                    a[j],
                    w[j]
                );
            }
        }
        // Forecast the remaining 28 checkpoints.
        for &t in &st[k..] {
            let x = [t / f.t_ref, 1.0, 1.0];
            let a = f.params_at(&x);
            let w = truth(t);
            // Up to 3.3x the fitted range: a0 and a2 within 3%, a1 (which
            // the loss depends on least) within 15%, the mean loss within 1%.
            assert!(
                (a[0] - w[0]).abs() < 0.03 * w[0],
                "seed {seed} {chosen:?} a0 at {t}: {} vs {}",
                a[0],
                w[0]
            );
            assert!(
                (a[1] - w[1]).abs() < 0.15 * w[1],
                "seed {seed} {chosen:?} a1 at {t}: {} vs {}",
                a[1],
                w[1]
            );
            assert!(
                (a[2] - w[2]).abs() < 0.03 * w[2],
                "seed {seed} {chosen:?} a2 at {t}: {} vs {}",
                a[2],
                w[2]
            );
            let want = mean_loss(&pos, w);
            let got = f.predict(&x);
            assert!(
                (got - want).abs() < 0.01 * want,
                "seed {seed} {chosen:?} mean at {t}: {got} vs {want}"
            );
        }
        // The bootstrap interval of the final loss covers the truth and is not degenerate.
        let x = [st[39] / f.t_ref, 1.0, 1.0];
        let (iv, ok) = f.bootstrap(&[x], 200, 7, 0.9);
        // 168 of 200 since a polish that ends on its iteration cap makes a
        // refit not converged (issue 14, branch `hub`; such replicates were
        // counted converged before, while stopped short): they are dropped.
        assert!(ok >= 160, "{ok} of 200 refits converged");
        let iv = iv[0];
        let want = mean_loss(&pos, truth(st[39]));
        assert!(iv.lo < iv.hi, "{iv:?}");
        assert!(iv.hi - iv.lo < 0.05 * want, "{iv:?}");
        assert!(
            iv.lo - 0.005 * want <= want && want <= iv.hi + 0.005 * want,
            "seed {seed}: {want} vs {iv:?}"
        );
    }
}

#[test]
fn the_lr_form_follows_the_schedule() {
    // a2 falls with the forward area and rises with the learning rate: the
    // cosine decay after the fitted part lowers the loss more than any
    // step-only form can see.
    let sched = Schedule::parse("cosine:peak=3e-4,final=3e-5,total=20000,warmup=500").unwrap();
    let st = steps();
    let pos = positions();
    let curve0 = Curve {
        name: "s".into(),
        step: st.clone(),
        lr: None,
        loss: vec![1.0; st.len()],
        schedule: None,
        untrained: vec![],
        lead: vec![],
    }
    .with_schedule(sched);
    let feats = curve0.features().unwrap();
    let s1_of = |t: f64| feats.s1[st.iter().position(|&s| s == t).unwrap()];
    let a2 = |t: f64| 3.4 - 0.2 * (s1_of(t) / 3e-4 / 1000.0).ln() + 0.5 * sched.at(t) / 3e-4;
    let truth = |t: f64| [2.0, 0.05, a2(t)];
    let mut pc = generate(&truth, &st, &pos, 0.003, 11);
    pc.lr = Some(st.iter().map(|&t| sched.at(t)).collect());
    let k = 16;
    let f = fit_temporal(&pc, k, Some(&curve0)).unwrap();
    assert!(f.has_lr);
    assert_eq!(
        f.trajectories[2].chosen.form.name(),
        "lr",
        "{:?}",
        f.trajectories[2].candidates
    );
    let xs = slaw::forecast::temporal::inputs(&curve0, f.t_ref);
    for (i, &t) in st.iter().enumerate().skip(k) {
        let want = mean_loss(&pos, truth(t));
        let got = f.predict(&xs[i]);
        assert!(
            (got - want).abs() < 0.005 * want,
            "step {t}: {got} vs {want}"
        );
    }
}
