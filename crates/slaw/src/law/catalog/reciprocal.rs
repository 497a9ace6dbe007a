//! The reciprocal law `reciprocal`, L = a0 / (1 + a1 x) + a2: Xiong et
//! al.'s per-position law (also the model of the loss-curve law
//! `reciprocal` of `law::curves`).

use super::{law, ln_range, BIG, LN_REF_POSITION, LN_REF_Y};
use crate::fastmath::{self, fmadd};
use crate::law::{exp_capped, Law, Model, Param};
use crate::objective::LossData;
use crate::observations::Domain;
use std::sync::Arc;

/// ln(a0 / (1 + a1 x) + a2) at one point (x itself, not its ln) and its
/// gradient in (ln a0, ln a1, ln a2), with a0, a1, a2 given: the one
/// formula of the reciprocal law's batch and fused kernels. Guarded by
/// the parameters' exponentials (capped at e^700, at least e^-708): where
/// 1 + a1 x overflows, t = 0 and its gradient entries are 0, as point by
/// point.
#[inline(always)]
fn reciprocal_ln_point<const FMA: bool>(xi: f64, a0: f64, a1: f64, a2: f64) -> (f64, [f64; 3]) {
    let d = fmadd::<FMA>(a1, xi, 1.0);
    let t = a0 / d;
    let v = t + a2;
    let inv = 1.0 / v;
    let w = t * inv;
    (
        fastmath::ln_positive_k::<FMA>(v),
        [w, -w * a1 * xi / d, a2 * inv],
    )
}

/// (a0, a1, a2) of the reciprocal law's internal `u`.
#[inline(always)]
fn reciprocal_scales<const FMA: bool>(u: &[f64]) -> (f64, f64, f64) {
    (
        fastmath::exp_k::<FMA>(u[0].min(700.0)),
        fastmath::exp_k::<FMA>(u[1].min(700.0)),
        fastmath::exp_k::<FMA>(u[2].min(700.0)),
    )
}

crate::multiversion! {
    /// ln(a0 / (1 + a1 x) + a2): the objective over a batch.
    fn reciprocal_ln_loss(x: &[f64], u: &[f64], data: &LossData, grad: &mut [f64]) -> f64 {
        let (a0, a1, a2) = reciprocal_scales::<FMA>(u);
        crate::fused_reduce!(data, grad, 3, FMA, x, 1, |xv| {
            reciprocal_ln_point::<FMA>(xv[0], a0, a1, a2)
        })
    }
}

crate::multiversion! {
    /// ln(a0 / (1 + a1 x) + a2) and its Jacobian over a batch.
    fn reciprocal_ln_batch(x: &[f64], u: &[f64], out: &mut [f64], jac: &mut [f64]) {
        let (a0, a1, a2) = reciprocal_scales::<FMA>(u);
        for ((o, j), &xi) in out.iter_mut().zip(jac.chunks_exact_mut(3)).zip(x) {
            let (v, g) = reciprocal_ln_point::<FMA>(xi, a0, a1, a2);
            *o = v;
            j.copy_from_slice(&g);
        }
    }
}

/// L = a0 / (1 + a1 x) + a2, internal (ln a0, ln a1, ln a2): the temporal
/// law per token position (x = i), and the loss-curve law `reciprocal` of
/// `law::curves` (x = the step). `reference` as `Power`'s.
pub(in crate::law) struct Reciprocal {
    pub(in crate::law) reference: (f64, f64),
}
impl Model for Reciprocal {
    fn rescale(&self, u: &[f64], l: &[f64], m: f64) -> Option<Vec<f64>> {
        Some(vec![u[0] + m, u[1] - l[0], u[2] + m])
    }
    fn reference_scale(&self) -> Option<(Vec<f64>, f64)> {
        Some((vec![self.reference.0], self.reference.1))
    }
    fn value_grad(&self, x: &[f64], _lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let a0 = exp_capped(u[0]);
        let a1 = exp_capped(u[1]);
        let a2 = exp_capped(u[2]);
        let s = 1.0 + a1 * x[0];
        let t = a0 / s;
        g[0] = t;
        g[1] = -t * a1 * x[0] / s;
        g[2] = a2;
        t + a2
    }
    fn value(&self, x: &[f64], _lnx: &[f64], u: &[f64]) -> f64 {
        exp_capped(u[0]) / (1.0 + exp_capped(u[1]) * x[0]) + exp_capped(u[2])
    }
    fn ln_loss(
        &self,
        x: &[f64],
        _lnx: &[f64],
        _dim: usize,
        u: &[f64],
        data: &LossData,
        grad: &mut [f64],
    ) -> Option<f64> {
        Some(reciprocal_ln_loss(x, u, data, grad))
    }
    fn ln_batch(
        &self,
        x: &[f64],
        _lnx: &[f64],
        _dim: usize,
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        reciprocal_ln_batch(x, u, out, jac);
    }
    context_free_batch!();
}

/// `reciprocal`: L_i = a0 / (1 + a1 i) + a2 (Xiong et al.'s per-position law).
pub fn reciprocal() -> Law {
    law(
        "reciprocal",
        "A reciprocal decay in i, the form of Xiong et al.'s per-position law (loss at token \
         position i); the forecasting laws' reciprocal is this form in the step, with its own bounds",
        "L_i = a0 / (1 + a1 i) + a2",
        &[("i", Domain::NonNegative)],
        vec![
            Param::log_with_ln_grid("a0", (1e-10, BIG), &ln_range(-1.0, 2.0, 3)),
            Param::log_with_ln_grid("a1", (1e-10, BIG), &ln_range(-6.0, 0.0, 4)),
            Param::log_with_ln_grid("a2", (1e-10, 1e6), &ln_range(-1.0, 1.5, 3)),
        ],
        Arc::new(Reciprocal {
            reference: (LN_REF_POSITION, LN_REF_Y),
        }),
    )
}
