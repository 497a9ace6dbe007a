//! The built-in laws, each with an analytic gradient.
//!
//! One module per family of laws: `power.rs` (`power`), `finetune.rs`
//! (`vanilla-ft`, `rectified`), `size_and_data.rs` (`chinchilla`,
//! `joint-mult`, `joint-add`), `bnsl.rs` (`bnsl`, `bnsl-K`), `reciprocal.rs`
//! (`reciprocal`), `m4.rs` (`m4`); here what they share (the reference
//! scales, the constructor, the kernels' glue), [`all`] and [`by_name`].

use super::{Law, Model, Param};
use crate::observations::Domain;
use crate::{Error, Result};
use std::sync::Arc;

const BIG: f64 = 1e30;

// The scales (ln) each law's default grid was written for: a scale-free fit
// moves the data from their own geometric mean to these
// scales (see `Model::reference_scale`), so the grid follows the data.
/// Losses of order 2.
const LN_REF_Y: f64 = std::f64::consts::LN_2;
/// A one-input power law over about 10..1e5.
const LN_REF_X: f64 = 6.9;
/// Fine-tuning data sizes 200..1.6M (the fine-tuning curves' geometric mean).
const LN_REF_D: f64 = 9.8;
/// Joint laws: model size about 1e9, fine-tuning data about 10^4.5.
const LN_REF_JOINT: [f64; 2] = [20.7, 10.4];
/// Broken power laws over about 10..1e7 (the breaks' grid e^2..e^12 brackets e^7).
const LN_REF_BNSL: f64 = 7.0;
/// Token positions 1..2048 (the a1 grid e^-6..1 puts the bend at positions 1..400).
const LN_REF_POSITION: f64 = 6.5;
/// Hoffmann et al.'s grid, at the scale of their runs (geometric means of the
/// 240 reconstructed runs: N = e^20.5, D = e^23.5, L = e^1).
const LN_REF_CHINCHILLA: ([f64; 2], f64) = ([20.5, 23.5], 1.0);

/// ln of a sum of exponentials and the softmax weights, without overflow.
#[inline]
pub(crate) fn log_sum_exp<const K: usize>(z: [f64; K]) -> (f64, [f64; K]) {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut w = [0.0; K];
    let mut s = 0.0;
    for k in 0..K {
        w[k] = (z[k] - m).exp();
        s += w[k];
    }
    for wk in w.iter_mut() {
        *wk /= s;
    }
    (m + s.ln(), w)
}

/// The `Model` methods that hand a law's points (as ln x) to its batch
/// kernel (`ln_batch`) and its fused objective kernel (`ln_loss`).
macro_rules! ln_kernels {
    (batch $batch:ident, loss $loss:ident) => {
        fn ln_batch(
            &self,
            _x: &[f64],
            lnx: &[f64],
            _dim: usize,
            u: &[f64],
            out: &mut [f64],
            jac: &mut [f64],
        ) {
            $batch(lnx, u, out, jac);
        }
        ln_kernels!(loss $loss);
    };
    (gauss_newton $gn:ident) => {
        fn ln_gauss_newton(
            &self,
            _x: &[f64],
            lnx: &[f64],
            _dim: usize,
            u: &[f64],
            data: &LossData,
            grad: &mut [f64],
            gn: &mut [f64],
        ) -> Option<f64> {
            Some($gn(lnx, u, data, grad, gn))
        }
    };
    (loss $loss:ident) => {
        fn ln_loss(
            &self,
            _x: &[f64],
            lnx: &[f64],
            _dim: usize,
            u: &[f64],
            data: &LossData,
            grad: &mut [f64],
        ) -> Option<f64> {
            Some($loss(lnx, u, data, grad))
        }
    };
}

// Fused objective kernels (see `Model::ln_loss`): ln of the prediction and
// its gradient per point, scored and summed in the same pass by
// `fused_reduce`, with fused multiply-adds in the AVX2 / AVX-512 copies.

mod bnsl;
mod finetune;
mod m4;
mod power;
mod reciprocal;
mod size_and_data;

pub use bnsl::bnsl;
pub use finetune::{rectified, vanilla_ft};
pub use m4::m4;
pub use power::power;
pub(super) use power::Power;
pub use reciprocal::reciprocal;
pub(super) use reciprocal::Reciprocal;
pub use size_and_data::{chinchilla, joint_add, joint_mult};

fn law(
    name: &str,
    description: &str,
    formula: &str,
    inputs: &[(&str, Domain)],
    params: Vec<Param>,
    model: Arc<dyn Model>,
) -> Law {
    Law {
        name: name.into(),
        description: description.into(),
        formula: formula.into(),
        inputs: inputs.iter().map(|(n, _)| n.to_string()).collect(),
        domains: inputs.iter().map(|(_, d)| *d).collect(),
        params,
        model,
    }
}

fn ln_range(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n.max(2) - 1) as f64)
        .collect()
}

/// Every built-in law, in the order `slaw laws` prints them.
pub fn all() -> Vec<Law> {
    vec![
        power(),
        vanilla_ft(),
        rectified(),
        chinchilla(),
        joint_mult(),
        joint_add(),
        bnsl(1),
        bnsl(2),
        reciprocal(),
        m4(),
    ]
}

/// A built-in law by name (`bnsl-K` for K breaks).
pub fn by_name(name: &str) -> Result<Law> {
    if let Some(k) = name.strip_prefix("bnsl-") {
        if let Ok(k) = k.parse::<usize>() {
            if (1..=5).contains(&k) {
                return Ok(bnsl(k));
            }
        }
    }
    all().into_iter().find(|l| l.name == name).ok_or_else(|| {
        Error::unknown(
            "law",
            name,
            format!(
                "{}; or give a formula",
                all()
                    .iter()
                    .map(|l| l.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::law::exp_capped;

    /// The analytic gradients agree with central differences, for value and ln value.
    #[test]
    fn gradients_match_finite_differences() {
        for law in all() {
            let u: Vec<f64> = law
                .grid()
                .into_iter()
                .nth(law.grid().len() / 3)
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, v)| v + 0.1 * (i as f64 + 1.0))
                .collect();
            let x: Vec<f64> = law
                .inputs
                .iter()
                .enumerate()
                .map(|(i, _)| 300.0 + 1000.0 * i as f64)
                .collect();
            let n = law.n_params();
            let mut g = vec![0.0; n];
            let mut gl = vec![0.0; n];
            let lnx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
            let v = law.model.value_grad(&x, &lnx, &u, &mut g);
            let lv = law.model.ln_value_grad(&x, &lnx, &u, &mut gl);
            assert!(
                (v - law.model.value(&x, &lnx, &u)).abs() <= 1e-12 * v.abs(),
                "{}",
                law.name
            );
            assert!((lv - v.ln()).abs() < 1e-10, "{}", law.name);
            for j in 0..n {
                let h = 1e-6;
                let mut up = u.clone();
                let mut dn = u.clone();
                up[j] += h;
                dn[j] -= h;
                let fd =
                    (law.model.value(&x, &lnx, &up) - law.model.value(&x, &lnx, &dn)) / (2.0 * h);
                let tol = 1e-5 * (fd.abs() + v.abs() * 1e-3);
                assert!(
                    (fd - g[j]).abs() <= tol,
                    "{} param {j}: fd {fd} vs {}",
                    law.name,
                    g[j]
                );
                let fdl = (law.model.value(&x, &lnx, &up).ln()
                    - law.model.value(&x, &lnx, &dn).ln())
                    / (2.0 * h);
                assert!(
                    (fdl - gl[j]).abs() <= 1e-5 * (fdl.abs() + 1e-3),
                    "{} ln param {j}",
                    law.name
                );
            }
        }
    }

    /// The batch kernels of reciprocal, joint-mult and bnsl / bnsl-K give
    /// the point-by-point values and Jacobians to 1e-13 (ln L relative to
    /// max(1, |ln L|), entries relative to the row's largest), at the
    /// grid and random parameters over wide ranges, on inputs over many
    /// decades (and x = 0 for reciprocal), including the guards' edges:
    /// exponentials capped at e^700 (both paths) and overflowing 1 + a1 x.
    /// bnsl's tolerance is times the size of the terms its ln(y - a) sums.
    /// joint-mult's kernel caps its exponent at 700 where the scalar
    /// log-sum-exp does not: there only finiteness is compared.
    #[test]
    fn batch_kernels_match_the_points() {
        use crate::law::batch_check::{compare, Uniform};
        let mut r = Uniform::new();
        let decades = |r: &mut Uniform, n: usize, lo: f64, hi: f64| -> Vec<f64> {
            (0..n).map(|_| 10f64.powf(r.within(lo, hi))).collect()
        };

        let law = reciprocal();
        let mut xs: Vec<Vec<f64>> = vec![vec![0.0]];
        xs.extend(
            decades(&mut r, 203, -3.0, 12.0)
                .into_iter()
                .map(|x| vec![x]),
        );
        let mut us = law.grid();
        for _ in 0..300 {
            us.push((0..3).map(|_| r.within(-40.0, 40.0)).collect());
        }
        for e in [
            [705.0, 0.0, 0.0],
            [0.0, 705.0, 0.0],
            [0.0, 0.0, 705.0],
            [-700.0; 3],
            [705.0; 3],
        ] {
            us.push(e.to_vec());
        }
        let s = compare(&law, &xs, &us, 1e-13, |_, _| Some(1.0));
        assert!(
            s.checked + s.scalar_overflow == xs.len() * us.len(),
            "{s:?}"
        );
        assert!(s.scalar_overflow < 10, "{s:?}");
        println!("reciprocal: {s:?}");

        let law = joint_mult();
        let xs: Vec<Vec<f64>> = (0..203)
            .map(|_| {
                vec![
                    10f64.powf(r.within(0.0, 12.0)),
                    10f64.powf(r.within(0.0, 9.0)),
                ]
            })
            .collect();
        let mut us = law.grid();
        for _ in 0..300 {
            us.push(vec![
                r.within(-30.0, 60.0),
                r.within(-0.5, 5.0),
                r.within(-0.5, 5.0),
                r.within(-30.0, 30.0),
            ]);
        }
        for e in [
            [705.0, 0.0, 0.0, 0.0],
            [750.0, 0.1, 0.1, 2.0],
            [-750.0, 0.0, 0.0, -30.0],
        ] {
            us.push(e.to_vec());
        }
        let exponent = |x: &[f64], u: &[f64]| u[0] - u[1] * x[0].ln() - u[2] * x[1].ln();
        let s = compare(&law, &xs, &us, 1e-13, |x, u| {
            (exponent(x, u) <= 699.0).then_some(1.0)
        });
        assert!(
            s.checked > 50_000 && s.guarded >= 400 && s.undefined == 0,
            "{s:?}"
        );
        println!("joint-mult: {s:?}");

        for breaks in 1..=5 {
            let law = bnsl(breaks);
            let xs: Vec<Vec<f64>> = decades(&mut r, 203, -2.0, 10.0)
                .into_iter()
                .map(|x| vec![x])
                .collect();
            let mut us = law
                .grid()
                .into_iter()
                .step_by(7)
                .take(60)
                .collect::<Vec<_>>();
            for k in 0..200 {
                let mut u = vec![
                    r.within(-20.0, 10.0),
                    r.within(-20.0, 30.0),
                    r.within(-1.0, 5.0),
                ];
                for _ in 0..breaks {
                    u.extend([
                        r.within(-5.0, 25.0),
                        r.within(-5.0, 5.0),
                        r.within(-7.0, 7.0),
                    ]);
                }
                if k % 50 == 0 {
                    // f capped at e^700 and f tiny: the breaks' extremes
                    u[5] = 800.0;
                    if breaks > 1 {
                        u[8] = -30.0;
                    }
                }
                us.push(u);
            }
            // ln(y - a) sums terms of size |c_i| f_i softplus(z_i): their
            // roundings, not the kernel, set what can agree.
            let condition = |x: &[f64], u: &[f64]| {
                let lx = x[0].ln();
                let mut c = u[1].abs() + (u[2] * lx).abs();
                for i in 0..breaks {
                    let k = 3 + 3 * i;
                    let f = exp_capped(u[k + 2]);
                    c += u[k + 1].abs() * f * (((lx - u[k]) / f).abs() + 1.0);
                }
                Some(c)
            };
            let s = compare(&law, &xs, &us, 1e-13, condition);
            assert!(s.checked == xs.len() * us.len(), "{s:?}");
            println!("bnsl-{breaks}: {s:?}");
        }
    }

    #[test]
    fn unknown_law_is_an_error() {
        assert!(by_name("nope")
            .unwrap_err()
            .to_string()
            .contains("unknown law"));
        assert_eq!(by_name("bnsl-2").unwrap().n_params(), 9);
    }
}
