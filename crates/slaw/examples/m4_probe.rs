//! Probe (issue 14): the m4 Huber fits on the loss curves' 25% / 50%
//! windows that end more than 1e-6 above the check of
//! `tests/huber_optimum.rs` (projected L-BFGS with no ftol / pgtol from the
//! answer, data units). For each: how many points sit at L = I, the
//! objective on the segment from the answer to the check's point, and a
//! central finite-difference check of the objective's gradient at the
//! answer in the data's units and in the scaled search's units, then the
//! same exhaustive L-BFGS run in the scaled units.
//!
//!     cargo run --release -p slaw --example m4_probe [NAME_FILTER]
use slaw::fit::{fit, FitOptions};
use slaw::law::catalog;
use slaw::learning_curves as lc;
use slaw::objective::{Objective, Space};
use slaw::scaling::{self, Scales};
use slaw::solver::{LbfgsBox, Solver, Tolerances};

fn exhaust(obj: &Objective, x0: &[f64], lo: &[f64], hi: &[f64]) -> (f64, Vec<f64>, String) {
    let tol = Tolerances {
        max_iter: 100_000,
        pgtol: 0.0,
        ftol: 0.0,
    };
    let value_grad = |u: &[f64], g: &mut [f64]| obj.value_grad(u, g);
    let o = LbfgsBox::default().minimize(&value_grad, x0, lo, hi, &tol);
    (o.f, o.x, o.message.to_string())
}

fn fd(obj: &Objective, x: &[f64], lo: &[f64]) {
    let mut g = vec![0.0; x.len()];
    let f = obj.value_grad(x, &mut g);
    for j in 0..x.len() {
        for h in [1e-4, 1e-6, 1e-8] {
            let mut a = x.to_vec();
            let mut b = x.to_vec();
            a[j] += h;
            b[j] -= h;
            let one_sided = b[j] < lo[j];
            if one_sided {
                b[j] = x[j];
            }
            let d = (obj.value(&a) - obj.value(&b)) / (a[j] - b[j]);
            print!(
                "  j={j} h={h:e} fd={d:e}{}",
                if one_sided { "(fwd)" } else { "" }
            );
        }
        println!("  analytic={:e}", g[j]);
    }
    println!("  f={f:e}");
}

fn main() {
    let dir = std::path::Path::new("../shared/data/loss-curves");
    let curves = lc::public_curves(dir).unwrap();
    let law = catalog::m4();
    let opts = FitOptions::default();
    let (lo, hi) = law.internal_bounds();
    let only = std::env::args().nth(1);
    for c in &curves {
        let all = c.observations();
        let idx = slaw::pick::order(&all);
        for frac in [0.25, 0.5] {
            let m = (frac * idx.len() as f64).floor() as usize;
            if m < lc::MIN_WINDOW || m >= idx.len() || m < 5 {
                continue;
            }
            let name = format!("{} {} {frac}", c.family, c.name);
            if let Some(o) = &only {
                if !name.contains(o.as_str()) {
                    continue;
                }
            }
            let w = all.subset(&idx[..m]);
            let Ok(res) = fit(&law, &w, &opts) else {
                continue;
            };
            let obj = Objective::new(&law, &w, opts.loss, Space::Log);
            let f = obj.value(&res.internal);
            let (fe, xe, msg) = exhaust(&obj, &res.internal, &lo, &hi);
            let rel = (f - fe) / fe;
            if rel <= 1e-6 {
                continue;
            }
            println!("{name}: f={f:e} check={fe:e} rel={rel:e} conv={} at_bounds={:?} internal={:?}\n  check x={xe:?} ({msg})", res.converged, res.at_bounds, res.internal);
            let params = law.to_natural(&res.internal);
            let i_loss = params[1];
            let sat = (0..w.len())
                .filter(|&k| law.predict(&w.x[k..k + 1], &params) > i_loss * (1.0 - 1e-9))
                .count();
            println!(
                "  points {} of which L within 1e-9 of I: {sat}; I={i_loss}",
                w.len()
            );
            for t in [0.0, 1e-3, 1e-2, 0.1, 0.3, 0.5, 0.7, 1.0] {
                let u: Vec<f64> = res
                    .internal
                    .iter()
                    .zip(&xe)
                    .map(|(a, b)| a + t * (b - a))
                    .collect();
                print!(" t={t}: {:e}", obj.value(&u));
            }
            println!();
            println!(" data-unit gradient check at the answer:");
            fd(&obj, &res.internal, &lo);
            let mut s = Scales::of(&w, Space::Log);
            let (lx, ly) = law.model.reference_scale().unwrap();
            s.ln_x[0] -= lx[0];
            s.ln_y -= ly;
            let norm = s.normalize(&w);
            let xs = scaling::to_scaled_exact(&law, &res.internal, &s).unwrap();
            let objs = Objective::new(&law, &norm, opts.loss, Space::Log);
            println!(" scaled: f={:e} at {:?}", objs.value(&xs), xs);
            fd(&objs, &xs, &lo);
            let (fs, xs2, msg2) = exhaust(&objs, &xs, &lo, &hi);
            println!(" scaled exhaust: {fs:e} {xs2:?} ({msg2})");
        }
    }
}
