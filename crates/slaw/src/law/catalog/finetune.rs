//! The fine-tuning laws of one model's loss in the fine-tuning data size D:
//! `vanilla-ft` (Hernandez et al.) and `rectified` (Lin et al.).

use super::{law, ln_range, log_sum_exp, BIG, LN_REF_D, LN_REF_Y};
use crate::fastmath::{self, fmadd};
use crate::law::{exp_capped, Law, Model, Param, Transform};
use crate::objective::LossData;
use crate::observations::Domain;
use std::sync::Arc;

/// L = (B / D^beta + E)^alpha. Internal: (ln B, beta, ln E, alpha).
struct VanillaFt;
impl Model for VanillaFt {
    fn rescale(&self, u: &[f64], l: &[f64], m: f64) -> Option<Vec<f64>> {
        let alpha = u[3];
        if alpha == 0.0 {
            return None;
        }
        Some(vec![
            u[0] + u[1] * l[0] + m / alpha,
            u[1],
            u[2] + m / alpha,
            alpha,
        ])
    }
    fn reference_scale(&self) -> Option<(Vec<f64>, f64)> {
        Some((vec![LN_REF_D], LN_REF_Y))
    }
    fn value_grad(&self, x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let l = self.ln_value_grad(x, lnx, u, g);
        let v = exp_capped(l);
        for gi in g.iter_mut() {
            *gi *= v;
        }
        v
    }
    fn value(&self, x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        let mut g = [0.0; 4];
        self.value_grad(x, lnx, u, &mut g)
    }
    fn ln_value_grad(&self, _x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let ld = lnx[0];
        let (inner, w) = log_sum_exp([u[0] - u[1] * ld, u[2]]);
        let alpha = u[3];
        g[0] = alpha * w[0];
        g[1] = -alpha * ld * w[0];
        g[2] = alpha * w[1];
        g[3] = inner;
        alpha * inner
    }
    ln_kernels!(batch vanilla_ln_batch, loss vanilla_ln_loss);
    ln_kernels!(gauss_newton vanilla_ln_gauss_newton);
}

crate::multiversion! {
    /// ln L and its Jacobian for the vanilla fine-tuning law over a batch.
    fn vanilla_ln_batch(lnx: &[f64], u: &[f64], out: &mut [f64], jac: &mut [f64]) {
        let (b, beta, alpha) = (u[0], u[1], u[3]);
        let e = fastmath::exp(u[2].min(700.0));
        for ((o, j), &l) in out.iter_mut().zip(jac.chunks_exact_mut(4)).zip(lnx) {
            let (v, g) = vanilla_ln_point(l, b, beta, e, alpha);
            *o = v;
            j.copy_from_slice(&g);
        }
    }
}

/// ln L of the vanilla law at one point (l = ln D) and its gradient, the
/// one formula its batch and Gauss-Newton kernels share (inlined: the same
/// operations in the same order in both, so the same bits).
#[inline(always)]
fn vanilla_ln_point(l: f64, b: f64, beta: f64, e: f64, alpha: f64) -> (f64, [f64; 4]) {
    let t = fastmath::exp((b - beta * l).min(700.0));
    let s = t + e;
    let inv = 1.0 / s;
    let inner = fastmath::ln_positive(s);
    (
        alpha * inner,
        [
            alpha * t * inv,
            -alpha * l * t * inv,
            alpha * e * inv,
            inner,
        ],
    )
}

/// L = B / (D_l + D^beta) + E. Internal: (ln B, ln D_l, beta, ln E).
/// Defined at D = 0, where L = B / D_l + E (the zero-shot point).
struct Rectified;
impl Model for Rectified {
    fn rescale(&self, u: &[f64], l: &[f64], m: f64) -> Option<Vec<f64>> {
        Some(vec![
            u[0] + u[2] * l[0] + m,
            u[1] + u[2] * l[0],
            u[2],
            u[3] + m,
        ])
    }
    fn reference_scale(&self) -> Option<(Vec<f64>, f64)> {
        Some((vec![LN_REF_D], LN_REF_Y))
    }
    fn value_grad(&self, x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let ld = lnx[0];
        let b = exp_capped(u[0]);
        let dl = exp_capped(u[1]);
        let dpow = if x[0] > 0.0 {
            exp_capped(u[2] * ld)
        } else {
            0.0
        };
        let s = dl + dpow;
        let t = b / s;
        let e = exp_capped(u[3]);
        g[0] = t;
        g[1] = -t * dl / s;
        g[2] = if x[0] > 0.0 { -t * dpow * ld / s } else { 0.0 };
        g[3] = e;
        t + e
    }
    fn value(&self, x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        let dpow = if x[0] > 0.0 {
            exp_capped(u[2] * lnx[0])
        } else {
            0.0
        };
        exp_capped(u[0]) / (exp_capped(u[1]) + dpow) + exp_capped(u[3])
    }
    ln_kernels!(batch rectified_ln_batch, loss rectified_ln_loss);
    ln_kernels!(gauss_newton rectified_ln_gauss_newton);
}

crate::multiversion! {
    /// ln L and its Jacobian for the rectified law over a batch of points.
    fn rectified_ln_batch(lnx: &[f64], u: &[f64], out: &mut [f64], jac: &mut [f64]) {
        let b = fastmath::exp(u[0].min(700.0));
        let dl = fastmath::exp(u[1].min(700.0));
        let beta = u[2];
        let e = fastmath::exp(u[3].min(700.0));
        for ((o, j), &l) in out.iter_mut().zip(jac.chunks_exact_mut(4)).zip(lnx) {
            let (v, g) = rectified_ln_point(l, b, dl, beta, e);
            *o = v;
            j.copy_from_slice(&g);
        }
    }
}

/// ln L of the rectified law at one point (l = ln D) and its gradient, the
/// one formula its batch and Gauss-Newton kernels share (inlined: the same
/// bits in both).
#[inline(always)]
fn rectified_ln_point(l: f64, b: f64, dl: f64, beta: f64, e: f64) -> (f64, [f64; 4]) {
    // At D = 0 (l = -inf), D^beta = 0 and its derivative is 0.
    let pos = l > f64::MIN;
    let ls = if pos { l } else { 0.0 };
    let dpow = if pos {
        fastmath::exp((beta * ls).min(700.0))
    } else {
        0.0
    };
    let s = dl + dpow;
    let t = b / s;
    let v = t + e;
    let inv = 1.0 / v;
    (
        fastmath::ln_positive(v),
        [
            t * inv,
            -t * dl / s * inv,
            -t * dpow * ls / s * inv,
            e * inv,
        ],
    )
}

// Fused Gauss-Newton kernels (see `Model::ln_gauss_newton`): the batch
// kernels' per-point formulas (`vanilla_ln_point`, `rectified_ln_point`),
// reduced in the same pass by `fused_gauss_newton`. They serve the
// Levenberg-Marquardt polish of small squared-error fits, where the batch
// path's per-evaluation overhead (scratch buffers, a Jacobian written and
// read back) is most of an evaluation of 5-12 points.

crate::multiversion! {
    /// alpha ln(B / D^beta + E): the Gauss-Newton pass over a batch.
    fn vanilla_ln_gauss_newton(
        lnx: &[f64],
        u: &[f64],
        data: &LossData,
        grad: &mut [f64],
        gn: &mut [f64],
    ) -> f64 {
        let (b, beta, alpha) = (u[0], u[1], u[3]);
        let e = fastmath::exp(u[2].min(700.0));
        crate::fused_gauss_newton!(data, grad, gn, 4, FMA, lnx, 1, |xi| {
            vanilla_ln_point(xi[0], b, beta, e, alpha)
        })
    }
}

crate::multiversion! {
    /// ln(B / (D_l + D^beta) + E): the Gauss-Newton pass over a batch.
    fn rectified_ln_gauss_newton(
        lnx: &[f64],
        u: &[f64],
        data: &LossData,
        grad: &mut [f64],
        gn: &mut [f64],
    ) -> f64 {
        let b = fastmath::exp(u[0].min(700.0));
        let dl = fastmath::exp(u[1].min(700.0));
        let beta = u[2];
        let e = fastmath::exp(u[3].min(700.0));
        crate::fused_gauss_newton!(data, grad, gn, 4, FMA, lnx, 1, |xi| {
            rectified_ln_point(xi[0], b, dl, beta, e)
        })
    }
}

crate::multiversion! {
    /// alpha ln(B / D^beta + E): the objective over a batch.
    fn vanilla_ln_loss(lnx: &[f64], u: &[f64], data: &LossData, grad: &mut [f64]) -> f64 {
        let (b, beta, alpha) = (u[0], u[1], u[3]);
        let e = fastmath::exp_k::<FMA>(u[2].min(700.0));
        crate::fused_reduce!(data, grad, 4, FMA, lnx, 1, |xi| {
            let l = xi[0];
            let t = fastmath::exp_k::<FMA>(fmadd::<FMA>(-beta, l, b).min(700.0));
            let s = t + e;
            let inv = 1.0 / s;
            let inner = fastmath::ln_positive_k::<FMA>(s);
            let w = alpha * t * inv;
            (alpha * inner, [w, -l * w, alpha * e * inv, inner])
        })
    }
}

crate::multiversion! {
    /// ln(B / (D_l + D^beta) + E): the objective over a batch.
    fn rectified_ln_loss(lnx: &[f64], u: &[f64], data: &LossData, grad: &mut [f64]) -> f64 {
        let b = fastmath::exp_k::<FMA>(u[0].min(700.0));
        let dl = fastmath::exp_k::<FMA>(u[1].min(700.0));
        let beta = u[2];
        let e = fastmath::exp_k::<FMA>(u[3].min(700.0));
        crate::fused_reduce!(data, grad, 4, FMA, lnx, 1, |xi| {
            let l = xi[0];
            // At D = 0 (l = -inf), D^beta = 0 and its derivative is 0.
            let pos = l > f64::MIN;
            let ls = if pos { l } else { 0.0 };
            let dpow = if pos {
                fastmath::exp_k::<FMA>((beta * ls).min(700.0))
            } else {
                0.0
            };
            let s = dl + dpow;
            let t = b / s;
            let v = t + e;
            let inv = 1.0 / v;
            let q = t * inv / s;
            (
                fastmath::ln_positive_k::<FMA>(v),
                [t * inv, -q * dl, -q * dpow * ls, e * inv],
            )
        })
    }
}

/// `vanilla-ft`: Hernandez et al.'s fine-tuning law L = (B / D^beta + E)^alpha.
pub fn vanilla_ft() -> Law {
    law(
        "vanilla-ft",
        "Fine-tuning law of Hernandez et al. (no pre-power phase)",
        "L = (B / D^beta + E)^alpha",
        &[("D", Domain::Positive)],
        vec![
            Param::log_with_ln_grid("B", (1e-12, BIG), &ln_range(0.0, 10.0, 3)),
            Param::new("beta", Transform::Identity, (0.0, 5.0), &[0.1, 0.3, 0.7]),
            Param::log_with_ln_grid("E", (1e-10, 1e6), &ln_range(-2.0, 1.0, 2)),
            Param::new("alpha", Transform::Identity, (1e-3, 20.0), &[0.5, 1.5]),
        ],
        Arc::new(VanillaFt),
    )
}

/// `rectified`: Lin et al.'s rectified fine-tuning law L = B / (D_l + D^beta) + E.
pub fn rectified() -> Law {
    law(
        "rectified",
        "Rectified fine-tuning law of Lin et al. (D_l: pre-learned data size); L(0) = B/D_l + E",
        "L = B / (D_l + D^beta) + E",
        &[("D", Domain::NonNegative)],
        vec![
            Param::log_with_ln_grid("B", (1e-12, BIG), &ln_range(1.0, 10.0, 3)),
            Param::log_with_ln_grid("D_l", (1e-12, BIG), &ln_range(1.0, 10.0, 3)),
            Param::new("beta", Transform::Identity, (0.0, 5.0), &[0.2, 0.5, 0.9]),
            Param::log_with_ln_grid("E", (1e-10, 1e6), &ln_range(-1.0, 0.5, 2)),
        ],
        Arc::new(Rectified),
    )
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rectified_is_defined_at_zero() {
        let law = rectified();
        let p = [400.0, 1000.0, 0.3, 1.5];
        let v = law.predict(&[0.0], &p);
        assert!((v - (400.0 / 1000.0 + 1.5)).abs() < 1e-12);
        let mut g = [0.0; 4];
        law.model
            .value_grad(&[0.0], &[f64::NEG_INFINITY], &law.to_internal(&p), &mut g);
        assert!(g.iter().all(|x| x.is_finite()));
    }
}
