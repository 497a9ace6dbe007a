//! The power law in one input, `power` (also the model of the loss-curve
//! law `power` of `law::curves`).

use super::{law, ln_range, log_sum_exp, BIG, LN_REF_X, LN_REF_Y};
use crate::fastmath::{self, fmadd};
use crate::law::{exp_capped, Law, Model, Param, Transform};
use crate::objective::LossData;
use crate::observations::Domain;
use std::sync::Arc;

/// L = A / x^alpha + E. Internal: (ln A, alpha, ln E). `reference`: ln of
/// the input and output scales its law's grid was written for (see
/// `Model::reference_scale`); the loss-curve law `power` of `law::curves`
/// is the same model at the scale of training steps.
pub(in crate::law) struct Power {
    pub(in crate::law) reference: (f64, f64),
}
impl Model for Power {
    fn rescale(&self, u: &[f64], l: &[f64], m: f64) -> Option<Vec<f64>> {
        Some(vec![u[0] + u[1] * l[0] + m, u[1], u[2] + m])
    }
    fn reference_scale(&self) -> Option<(Vec<f64>, f64)> {
        Some((vec![self.reference.0], self.reference.1))
    }
    fn value_grad(&self, _x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let lx = lnx[0];
        let t = exp_capped(u[0] - u[1] * lx);
        let e = exp_capped(u[2]);
        g[0] = t;
        g[1] = -lx * t;
        g[2] = e;
        t + e
    }
    fn value(&self, _x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        exp_capped(u[0] - u[1] * lnx[0]) + exp_capped(u[2])
    }
    fn ln_value_grad(&self, _x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let lx = lnx[0];
        let (l, w) = log_sum_exp([u[0] - u[1] * lx, u[2]]);
        g[0] = w[0];
        g[1] = -lx * w[0];
        g[2] = w[1];
        l
    }
    ln_kernels!(batch power_ln_batch, loss power_ln_loss);
    context_free_batch!();
}

crate::multiversion! {
    /// ln(A / x^alpha + E) and its Jacobian over a batch (the Gauss-Newton
    /// pass of `identify` and the batch path; the same formula as
    /// `power_ln_loss`).
    fn power_ln_batch(lnx: &[f64], u: &[f64], out: &mut [f64], jac: &mut [f64]) {
        let (a, alpha) = (u[0], u[1]);
        let e = fastmath::exp_k::<FMA>(u[2].min(700.0));
        for ((o, j), &l) in out.iter_mut().zip(jac.chunks_exact_mut(3)).zip(lnx) {
            let t = fastmath::exp_k::<FMA>(fmadd::<FMA>(-alpha, l, a).min(700.0));
            let s = t + e;
            let inv = 1.0 / s;
            let w = t * inv;
            *o = fastmath::ln_positive_k::<FMA>(s);
            j[0] = w;
            j[1] = -l * w;
            j[2] = e * inv;
        }
    }
}

crate::multiversion! {
    /// ln(A / x^alpha + E): the objective over a batch.
    fn power_ln_loss(lnx: &[f64], u: &[f64], data: &LossData, grad: &mut [f64]) -> f64 {
        let (a, alpha) = (u[0], u[1]);
        let e = fastmath::exp_k::<FMA>(u[2].min(700.0));
        crate::fused_reduce!(data, grad, 3, FMA, lnx, 1, |xi| {
            let l = xi[0];
            let t = fastmath::exp_k::<FMA>(fmadd::<FMA>(-alpha, l, a).min(700.0));
            let s = t + e;
            let inv = 1.0 / s;
            let w = t * inv;
            (fastmath::ln_positive_k::<FMA>(s), [w, -l * w, e * inv])
        })
    }
}

/// `power`: L = A / x^alpha + E, one input.
pub fn power() -> Law {
    law(
        "power",
        "Power law in one input with an irreducible loss",
        "L = A / x^alpha + E",
        &[("x", Domain::Positive)],
        vec![
            Param::log_with_ln_grid("A", (1e-12, BIG), &ln_range(-2.0, 14.0, 5)),
            Param::new(
                "alpha",
                Transform::Identity,
                (0.0, 10.0),
                &[0.1, 0.3, 0.6, 1.0],
            ),
            Param::log_with_ln_grid("E", (1e-10, 1e6), &ln_range(-2.0, 1.0, 4)),
        ],
        Arc::new(Power {
            reference: (LN_REF_X, LN_REF_Y),
        }),
    )
}
