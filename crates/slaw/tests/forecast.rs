//! Loss-curve forecasting on the public curves: the multi-power protocol
//! (Luo et al.) and the early-to-final protocol on the (Mis)Fitting runs.

mod common;

use slaw::forecast::{fit_curves, protocol, Curve, Method};

#[test]
fn schedule_protocol_reaches_the_published_accuracy() {
    let Some(dir) = common::shared_data("loss-curves/multipower") else {
        return;
    };
    let rows =
        protocol::schedules(&dir, &[Method::Tissue, Method::MultiPower, Method::Power]).unwrap();
    let get = |model: &str, m: &str| {
        rows.iter()
            .find(|r| r.model == model && r.method == m)
            .unwrap()
    };
    for model in ["25M", "100M"] {
        let t = get(model, "tissue");
        let mp = get(model, "multipower");
        let p = get(model, "power");
        eprintln!(
            "{model}: tissue {:?} multipower {:?} power {:?}",
            t.mean, mp.mean, p.mean
        );
        assert!(t.converged && mp.converged);
        // Published Tissue-law R^2: 0.9904 (25M), 0.9959 (100M); ours must do at least as well.
        assert!(t.mean.r2 >= 0.997, "{model} tissue R^2 {}", t.mean.r2);
        assert!(mp.mean.r2 >= 0.995, "{model} multipower R^2 {}", mp.mean.r2);
        // A step-only law cannot follow the schedules.
        assert!(p.mean.r2 < t.mean.r2 && p.mean.rmse > 2.0 * t.mean.rmse);
    }
    assert!(
        get("25M", "tissue").mean.r2 >= 0.9975,
        "25M: at or above published multi-power"
    );
}

#[test]
fn early_to_final_on_the_misfitting_runs() {
    let Some(path) = common::shared_data("loss-curves/misfitting/scaling_results.csv") else {
        return;
    };
    let rows = protocol::early_to_final(&path, &Method::ALL, &[0.25, 0.5], None).unwrap();
    assert_eq!(rows.len(), 6, "three step-only methods x two fractions");
    let get = |f: f64, m: &str| {
        rows.iter()
            .find(|r| r.fraction == f && r.method == m)
            .unwrap()
    };
    for m in ["power", "reciprocal"] {
        let (q, h) = (get(0.25, m), get(0.5, m));
        assert!(
            h.runs > 100 && q.runs > 50,
            "{m}: {} / {} runs",
            q.runs,
            h.runs
        );
        // More of the curve, a better forecast; at half the run within 5%.
        assert!(h.mape < q.mape, "{m}: {} vs {}", h.mape, q.mape);
        assert!(h.mape < 0.05, "{m} MAPE at 50%: {}", h.mape);
    }
}

#[test]
fn schedule_laws_need_a_learning_rate() {
    let c = Curve {
        name: "no-lr".into(),
        step: (1..=20).map(|k| 100.0 * k as f64).collect(),
        lr: None,
        loss: (1..=20).map(|k| 3.0 + 1.0 / k as f64).collect(),
        schedule: None,
    };
    let err = fit_curves(Method::Tissue, std::slice::from_ref(&c), &[10])
        .unwrap_err()
        .to_string();
    assert!(err.contains("no learning-rate column"), "{err}");
    // A step-only law recovers a clean power law.
    let c = Curve {
        loss: c.step.iter().map(|t| 2.0 + 30.0 * t.powf(-0.5)).collect(),
        ..c
    };
    let f = fit_curves(Method::Power, std::slice::from_ref(&c), &[10]).unwrap();
    assert!(
        (f.params[1] - 0.5).abs() < 1e-4 && (f.params[2] - 2.0).abs() < 1e-4,
        "{:?}",
        f.params
    );
    assert!((f.predict(0, 19) - c.loss[19]).abs() < 1e-6);
}

mod real_step_axis {
    //! Steps are a real axis (tokens, epochs, samples): crash inputs of the
    //! hardening issue, kept as regression tests.
    use slaw::forecast::job::{run, Choice, Data, Request};
    use slaw::forecast::{Curve, Method, Schedule};

    fn curve(step: Vec<f64>) -> Curve {
        let n = step.len() as f64;
        let lr = (0..step.len())
            .map(|i| 3e-4 * (1.0 - 0.6 * i as f64 / n))
            .collect();
        let loss = step
            .iter()
            .enumerate()
            .map(|(i, _)| 2.0 + 2.0 / (1.0 + i as f64).sqrt())
            .collect();
        Curve {
            name: "c".into(),
            step,
            lr: Some(lr),
            loss,
            schedule: None,
        }
    }

    fn request(at: Vec<f64>, schedule: Option<Schedule>) -> Request {
        Request {
            choice: Choice::Law(Method::MultiPower),
            fit_until: 0.6,
            at,
            schedule,
            bootstrap: 5,
            seed: 0,
            level: 0.9,
        }
    }

    fn forecast_is_finite(c: Curve, req: &Request) {
        let out = run(&Data::Aggregate(c), req).unwrap();
        assert!(!out.forecasts.is_empty());
        for p in &out.forecasts {
            assert!(p.loss.is_finite(), "{p:?}");
        }
    }

    #[test]
    fn steps_in_tokens() {
        // Was: "memory allocation of 40000000008 bytes failed".
        let step = (0..40).map(|i| 1e9 + 1e8 * i as f64).collect();
        forecast_is_finite(curve(step), &request(vec![], None));
    }

    #[test]
    fn last_step_beyond_usize() {
        // Was: a panic at forecast/mod.rs:157 (last step >= 1.8e19).
        let step = (1..=40).map(|i| 1e18 * i as f64).collect();
        forecast_is_finite(curve(step), &request(vec![], None));
    }

    #[test]
    fn fractional_steps() {
        // Was: a panic at forecast/curve.rs:232 (epochs 0.5 .. 2.5).
        let step = (0..21).map(|i| 0.5 + 0.1 * i as f64).collect();
        forecast_is_finite(curve(step), &request(vec![], None));
    }

    #[test]
    fn schedule_far_past_the_curve() {
        // Was: an 80 GB allocation (--schedule cosine:... --at 1e10).
        let step = (1..=40).map(|i| 500.0 * i as f64).collect();
        let s = Schedule::parse("cosine:peak=3e-4,final=3e-5,total=1e10,warmup=500").unwrap();
        forecast_is_finite(curve(step), &request(vec![1e10], Some(s)));
    }
}

/// The six predicted schedules of the multi-power protocol as specs (warmup
/// 2160 steps), with the file of each.
fn protocol_targets() -> Vec<(&'static str, String)> {
    let w = 2160;
    vec![
        ("constant_72000", format!("constant:peak=3e-4,warmup={w}")),
        (
            "cosine_72000",
            format!("cosine:peak=3e-4,final=3e-5,total=72000,warmup={w}"),
        ),
        (
            "wsd_20000_24000",
            format!("wsd:peak=3e-4,final=3e-5,decay_start=20000,total=24000,decay=exp,warmup={w}"),
        ),
        (
            "wsdld_20000_24000",
            format!("wsd:peak=3e-4,final=3e-5,decay_start=20000,total=24000,warmup={w}"),
        ),
        (
            "wsdcon_3",
            format!("two-stage:peak=3e-4,switch=8000,low=3e-5,warmup={w}"),
        ),
        (
            "wsdcon_18",
            format!("two-stage:peak=3e-4,switch=8000,low=1.8e-4,warmup={w}"),
        ),
    ]
}

/// Mean absolute relative error of the final loss of the six schedules
/// predicted by `what_if` from the three fitted runs, per size.
fn what_if_final_errors(dir: &std::path::Path, method: Method) -> Vec<(String, f64)> {
    use slaw::forecast::whatif::{what_if, Options, Target};
    use slaw::forecast::Schedule;
    let mut out = Vec::new();
    for size in ["25", "100"] {
        let read = |n: &str| {
            Curve::read(
                &dir.join(size).join(format!("{n}.csv")),
                "step",
                "loss",
                Some("lr"),
            )
            .unwrap()
        };
        let runs: Vec<Curve> = protocol::FIT_ON.iter().map(|n| read(n)).collect();
        let truth: Vec<Curve> = protocol_targets().iter().map(|(n, _)| read(n)).collect();
        let targets: Vec<Target> = protocol_targets()
            .iter()
            .zip(&truth)
            .map(|((n, spec), c)| {
                let last = *c.step.last().unwrap();
                Target::from_schedule(n, Schedule::parse(spec).unwrap(), last, 128.0, &[]).unwrap()
            })
            .collect();
        let opts = Options {
            method,
            bootstrap: 0,
            seed: 0,
            level: 0.9,
            search_from: None,
        };
        let w = what_if(&runs, &targets, &opts).unwrap();
        assert!(w.converged);
        let errs: Vec<f64> = w
            .predictions
            .iter()
            .zip(&truth)
            .map(|(p, c)| {
                let obs = *c.loss.last().unwrap();
                (p.last().loss - obs).abs() / obs
            })
            .collect();
        eprintln!("{size}M {}: final-loss errors {errs:?}", method.name());
        out.push((
            format!("{size}M"),
            errs.iter().sum::<f64>() / errs.len() as f64,
        ));
    }
    out
}

#[test]
fn what_if_predicts_the_final_loss_of_unseen_schedules() {
    let Some(dir) = common::shared_data("loss-curves/multipower") else {
        return;
    };
    // Measured 2026-12-01 (BENCHMARKS.md): mean absolute error of the final
    // loss, tissue 0.21% / 0.26%, multipower 0.24% / 0.33% (25M / 100M);
    // the goal is 0.5%.
    for (m, limits) in [
        (Method::Tissue, [0.0023, 0.0029]),
        (Method::MultiPower, [0.0027, 0.0036]),
    ] {
        let e = what_if_final_errors(&dir, m);
        for ((size, mae), limit) in e.iter().zip(limits) {
            assert!(*mae <= limit, "{} {size}: MAE {mae}", m.name());
        }
    }
}

#[test]
fn a_long_curve_is_fitted_on_bins_and_predicted_everywhere() {
    // 20,000 points of a Tissue-law curve under a cosine decay: the fit runs
    // on 500 bins, the prediction at every point, recovering the law.
    let n = 20_000;
    let step: Vec<f64> = (1..=n).map(|k| 100.0 + k as f64).collect();
    let lr: Vec<f64> = step
        .iter()
        .map(|&t| 3e-5 + 1.35e-4 * (1.0 + (std::f64::consts::PI * (t - 100.0) / n as f64).cos()))
        .collect();
    let mut c = Curve {
        name: "long".into(),
        loss: vec![1.0; n],
        step,
        lr: Some(lr),
        schedule: None,
    };
    let f = c.features().unwrap();
    let truth = |i: usize| 2.5 + 0.6 * f.s1[i].powf(-0.45) - 2.0 * f.s2[i];
    c.loss = (0..n).map(truth).collect();
    let fit = fit_curves(Method::Tissue, std::slice::from_ref(&c), &[n / 2]).unwrap();
    assert!(fit.converged);
    for i in [0, n / 2, n - 1] {
        let (p, t) = (fit.predict(0, i), truth(i));
        assert!((p - t).abs() < 1e-3 * t, "point {i}: {p} vs {t}");
    }
}
