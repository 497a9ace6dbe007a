//! warm55: a log that includes the warmup (as Hugging Face and W&B logs
//! do) is forecast from the warmup's end by the schedule-aware laws and
//! `auto` too, the warmup's rows kept in the summed learning rate. Known
//! truth: tissue-law and multi-power-law curves, warmup from step 0.

mod common;

use common::{json_of, slaw, write};
use tempfile::TempDir;

const WARMUP: usize = 2000;
const TOTAL: usize = 30000;
const PEAK: f64 = 3e-4;
const FINAL: f64 = 3e-5;

/// A linear warmup from 0 at step 0 to the peak at 2000, then a cosine to
/// the final rate at 30000.
fn lr(s: f64) -> f64 {
    let w = WARMUP as f64;
    if s <= w {
        return PEAK * s / w;
    }
    let p = (s - w) / (TOTAL as f64 - w);
    FINAL + 0.5 * (PEAK - FINAL) * (1.0 + (std::f64::consts::PI * p).cos())
}

/// The logged steps: 10..200 every 10 and 300..1900 every 100 (the
/// warmup), then every 100 to 30000.
fn logged() -> Vec<usize> {
    (1..=20)
        .map(|k| 10 * k)
        .chain((3..20).map(|k| 100 * k))
        .chain((WARMUP..=TOTAL).step_by(100))
        .collect()
}

/// Per step s = 1..=30000: S1 (the summed rate, trapezoid per step) and
/// tissue's S2 (the momentum's area, lambda 0.999, from the warmup's end).
fn areas() -> (Vec<f64>, Vec<f64>) {
    let kappa = -(0.999f64).ln();
    let (mut s1, mut s2) = (vec![0.0; TOTAL + 1], vec![0.0; TOTAL + 1]);
    let mut m = 0.0;
    for s in 1..=TOTAL {
        let (e0, e1) = (lr(s as f64 - 1.0), lr(s as f64));
        s1[s] = s1[s - 1] + 0.5 * (e0 + e1);
        s2[s] = s2[s - 1];
        if s > WARMUP {
            // m' = -kappa m - slope over one step, and its integral.
            let q = -(-kappa).exp_m1();
            let slope = e1 - e0;
            s2[s] += m * q / kappa - slope / kappa * (1.0 - q / kappa);
            m = m * (1.0 - q) - slope * q / kappa;
        }
    }
    (s1, s2)
}

/// The log: the warmup's rows fall from 10.8 towards the loss at its end
/// (no law's shape: as a real warmup), the rest is `law(step)`; every row
/// times a deterministic +-0.2% wiggle.
fn log_of(law: impl Fn(usize) -> f64) -> String {
    let end = law(WARMUP);
    let mut out = String::from("step,lr,loss\n");
    for (k, s) in logged().into_iter().enumerate() {
        let l = if s < WARMUP {
            10.8 * (end / 10.8).powf((s as f64 / WARMUP as f64).powf(0.8))
        } else {
            law(s)
        };
        let wiggle = 1.0 + 0.002 * ((k * 37 % 11) as f64 / 5.0 - 1.0);
        out.push_str(&format!("{s},{},{}\n", lr(s as f64), l * wiggle));
    }
    out
}

/// The same log from the warmup's end on.
fn without_warmup(log: &str) -> String {
    let mut lines = log.lines();
    let head = lines.next().unwrap();
    let rest: Vec<&str> = lines
        .filter(|l| l.split(',').next().unwrap().parse::<usize>().unwrap() >= WARMUP)
        .collect();
    format!("{head}\n{}\n", rest.join("\n"))
}

fn forecast(file: &str, method: &str, until: &str) -> serde_json::Value {
    json_of(
        &slaw()
            .args(["forecast", file, "--fit-until", until, "--method", method])
            .args(["--seed", "1", "--json"])
            .output()
            .unwrap(),
    )
}

fn param(v: &serde_json::Value, p: &str) -> f64 {
    v["params"][p].as_f64().unwrap()
}

/// The final forecast's (loss, lo, hi).
fn last(v: &serde_json::Value) -> (f64, f64, f64) {
    let f = v["forecasts"].as_array().unwrap().last().unwrap().clone();
    let g = |k: &str| f[k].as_f64().unwrap();
    (g("loss"), g("lo"), g("hi"))
}

/// Checks the default forecast of `log` (true final loss `truth`) by
/// `method`: fitted from the warmup's end with the note, its final
/// interval covering the truth, and the same forecast as the log without
/// the warmup's rows fitted to the same last step (0.5 of the whole log:
/// step 15005). Returns the default's JSON.
fn check(dir: &TempDir, name: &str, log: &str, method: &str, truth: f64) -> serde_json::Value {
    let f = write(dir, &format!("{name}.csv"), log);
    let g = write(dir, &format!("{name}-nowu.csv"), &without_warmup(log));
    let v = forecast(&f, method, "0.5");
    let notes: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert!(
        notes.iter().any(|w| w.starts_with(
            "fitted from step 2000, the end of the warmup (the learning rate rises to its peak there; its rows still count in the summed learning rate): the 37 rows before it are not fitted"
        )),
        "{method}: {notes:?}"
    );
    let (loss, lo, hi) = last(&v);
    assert!(
        lo <= truth && truth <= hi,
        "{method}: {truth} not in [{lo}, {hi}] ({loss})"
    );
    let w = forecast(&g, method, "15005");
    assert_eq!(v["fit_points"], w["fit_points"], "{method}");
    let (l2, _, _) = last(&w);
    assert!(
        (loss / l2 - 1.0).abs() < 1e-4,
        "{method}: {loss} vs {l2} without the warmup's rows"
    );
    v
}

#[test]
fn a_tissue_law_log_with_its_warmup_is_fitted_from_the_warmups_end_near_the_truth() {
    let (l0, a, alpha, c) = (2.8, 0.6, 0.5, 0.5);
    let (s1, s2) = areas();
    let law = |s: usize| l0 + a * s1[s].powf(-alpha) - c * s2[s];
    let dir = TempDir::new().unwrap();
    for method in ["tissue", "auto"] {
        let v = check(&dir, "tissue", &log_of(law), method, law(TOTAL));
        if method == "tissue" {
            let (fl0, fa, fc) = (param(&v, "L0"), param(&v, "alpha"), param(&v, "C"));
            assert!((fl0 - l0).abs() < 0.05, "L0 {fl0}");
            assert!((fa - alpha).abs() < 0.05, "alpha {fa}");
            assert!((fc - c).abs() < 0.15, "C {fc}");
        }
    }
}

#[test]
fn a_multipower_law_log_with_its_warmup_is_fitted_from_the_warmups_end_near_the_truth() {
    // probe54's parameters (the multi-power fit of the public 25M runs).
    let (l0, a, alpha, b, c, beta, gamma) = (3.157, 0.514, 0.51, 444.0, 1.09e-5, 0.375, 2.0);
    let (s1, _) = areas();
    let law = |t: usize| {
        let mut drop = 0.0;
        for k in WARMUP + 1..=t {
            let (e0, e1) = (lr(k as f64 - 1.0), lr(k as f64));
            if e0 > e1 {
                let x = e1.powf(-gamma) * (s1[t] - s1[k - 1]);
                drop += (e0 - e1) * (1.0 - (c * x + 1.0).powf(-beta));
            }
        }
        l0 + a * s1[t].powf(-alpha) - b * drop
    };
    let dir = TempDir::new().unwrap();
    let v = check(&dir, "mp", &log_of(law), "multipower", law(TOTAL));
    let (fl0, fa, falpha) = (param(&v, "L0"), param(&v, "A"), param(&v, "alpha"));
    assert!((fl0 - l0).abs() < 0.1, "L0 {fl0}");
    assert!((fa - a).abs() < 0.15, "A {fa}");
    assert!((falpha - alpha).abs() < 0.1, "alpha {falpha}");
}
