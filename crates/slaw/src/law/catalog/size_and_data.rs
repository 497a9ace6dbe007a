//! Laws of a size and a data size: Chinchilla's loss in model size N and
//! tokens D (`chinchilla`, Hoffmann et al.'s Approach 3), and the joint
//! fine-tuning laws in a factor X (model size, pretraining tokens, PET size)
//! and the fine-tuning data D (`joint-mult`, `joint-add`; Zhang et al.).

use super::{law, ln_range, log_sum_exp, BIG, LN_REF_CHINCHILLA, LN_REF_JOINT, LN_REF_Y};
use crate::fastmath::{self, fmadd};
use crate::law::{exp_capped, Law, Model, Param, Transform};
use crate::objective::LossData;
use crate::observations::Domain;
use std::sync::Arc;

/// L = E + A / N^alpha + B / D^beta. Internal: (ln A, alpha, ln B, beta, ln E).
/// Also the additive joint law A / X^alpha + B / D^beta + E.
struct Additive2 {
    /// ln of the reference input scales (see `reference_scale`).
    ref_x: [f64; 2],
    ref_y: f64,
}
impl Model for Additive2 {
    fn rescale(&self, u: &[f64], l: &[f64], m: f64) -> Option<Vec<f64>> {
        Some(vec![
            u[0] + u[1] * l[0] + m,
            u[1],
            u[2] + u[3] * l[1] + m,
            u[3],
            u[4] + m,
        ])
    }
    fn reference_scale(&self) -> Option<(Vec<f64>, f64)> {
        Some((self.ref_x.to_vec(), self.ref_y))
    }
    fn value_grad(&self, x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let l = self.ln_value_grad(x, lnx, u, g);
        let v = exp_capped(l);
        for gi in g.iter_mut() {
            *gi *= v;
        }
        v
    }
    fn value(&self, _x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        exp_capped(u[0] - u[1] * lnx[0]) + exp_capped(u[2] - u[3] * lnx[1]) + exp_capped(u[4])
    }
    fn ln_value_grad(&self, _x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let ln_n = lnx[0];
        let ln_d = lnx[1];
        let (l, w) = log_sum_exp([u[0] - u[1] * ln_n, u[2] - u[3] * ln_d, u[4]]);
        g[0] = w[0];
        g[1] = -ln_n * w[0];
        g[2] = w[1];
        g[3] = -ln_d * w[1];
        g[4] = w[2];
        l
    }
    fn ln_batch(
        &self,
        _x: &[f64],
        lnx: &[f64],
        _dim: usize,
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        additive2_ln_batch(lnx, u, out, jac);
    }
    /// The kernel reads ln N and ln D column by column: laid out once per
    /// objective (`data.ln_columns`), here when absent.
    fn ln_loss(
        &self,
        _x: &[f64],
        lnx: &[f64],
        _dim: usize,
        u: &[f64],
        data: &LossData,
        grad: &mut [f64],
    ) -> Option<f64> {
        Some(if data.ln_columns.len() == lnx.len() {
            additive2_ln_loss(data.ln_columns, u, data, grad)
        } else {
            additive2_ln_loss(&crate::objective::ln_columns(lnx, 2), u, data, grad)
        })
    }
    fn ln_loss_reads_columns(&self) -> bool {
        true
    }
}

crate::multiversion! {
    /// ln L and its Jacobian for E + A / N^alpha + B / D^beta over a batch.
    fn additive2_ln_batch(lnx: &[f64], u: &[f64], out: &mut [f64], jac: &mut [f64]) {
        let (a, alpha, b, beta) = (u[0], u[1], u[2], u[3]);
        let e = fastmath::exp(u[4]);
        for ((o, j), l) in out
            .iter_mut()
            .zip(jac.chunks_exact_mut(5))
            .zip(lnx.chunks_exact(2))
        {
            let t1 = fastmath::exp((a - alpha * l[0]).min(700.0));
            let t2 = fastmath::exp((b - beta * l[1]).min(700.0));
            let s = t1 + t2 + e;
            let inv = 1.0 / s;
            *o = fastmath::ln_positive(s);
            j[0] = t1 * inv;
            j[1] = -l[0] * t1 * inv;
            j[2] = t2 * inv;
            j[3] = -l[1] * t2 * inv;
            j[4] = e * inv;
        }
    }
}

crate::multiversion! {
    /// ln(A / N^alpha + B / D^beta + E): the objective over a batch (the
    /// Chinchilla kernel). Software-pipelined in four stages
    /// (`pipelined_reduce`: the two exponentials of a block; their sum, its
    /// reciprocal and the reduction of ln; the rest of ln and the gradient
    /// entries; the loss and the sums) with the shallow exp and ln: its
    /// speed is bound by the latency of these chains and by the vector
    /// operations per point (BENCHMARKS.md, issue 22). The exponents'
    /// gradient entries are summed without their sign, applied once to the
    /// sums (exact: negation does not round). E's entry keeps its factor E
    /// per point: 1/s can be huge where E is tiny, and the sum of 1/s alone
    /// would overflow there. `cols`: ln N and ln D column by column
    /// (`objective::ln_columns`): no permutes to split the rows, and stage
    /// three reads them again instead of carrying them through the stages.
    fn additive2_ln_loss(cols: &[f64], u: &[f64], data: &LossData, grad: &mut [f64]) -> f64 {
        let (a, alpha, b, beta) = (u[0], u[1], u[2], u[3]);
        let e = fastmath::exp_k::<FMA>(u[4].min(700.0));
        // Each exponent is monotone in its column (a fused multiply-add of
        // it), so its extremes are at the column's: when both stay in
        // [-708, 700] for both columns (NaN fails), no point's exponent
        // needs the guard, and the loop runs without it (the same values:
        // the guard is the identity there).
        let within = |c: f64, k: f64, col: usize| {
            data.ln_range.get(col).is_some_and(|r| {
                r.iter().all(|&l| {
                    let z = fmadd::<FMA>(-k, l, c);
                    (-708.0..=700.0).contains(&z)
                })
            })
        };
        let guarded = !(within(a, alpha, 0) && within(b, beta, 1));
        // (A macro, not a closure: the stages are pasted into the loop.)
        macro_rules! pipelined {
            ($guard:literal) => {
                crate::pipelined_reduce!(data, grad, 5, FMA, cols, 2, 3, 5, |xi| {
                    let (l0, l1) = (xi[0], xi[1]);
                    let (z1, z2) = (fmadd::<FMA>(-alpha, l0, a), fmadd::<FMA>(-beta, l1, b));
                    let (t1, t2) = if $guard {
                        (
                            fastmath::exp_shallow_k::<FMA>(z1.min(700.0)),
                            fastmath::exp_shallow_k::<FMA>(z2.min(700.0)),
                        )
                    } else {
                        (
                            fastmath::exp_shallow_unclamped_k::<FMA>(z1),
                            fastmath::exp_shallow_unclamped_k::<FMA>(z2),
                        )
                    };
                    [t1, t2, t1 + t2 + e]
                }, |st| {
                    let [t1, t2, s] = st;
                    let (f, k) = fastmath::ln_shallow_reduce_k(s);
                    [t1, t2, 1.0 / s, f, k]
                }, |st2, x2| {
                    let [t1, t2, inv, f, k] = st2;
                    let (l0, l1) = (x2[0], x2[1]);
                    let (w1, w2) = (t1 * inv, t2 * inv);
                    (
                        fastmath::ln_shallow_finish_k::<FMA>(f, k),
                        [w1, l0 * w1, w2, l1 * w2, e * inv],
                    )
                })
            };
        }
        let total = if guarded { pipelined!(true) } else { pipelined!(false) };
        grad[1] = -grad[1];
        grad[3] = -grad[3];
        total
    }
}

/// ln(A / (X^alpha D^beta) + E) at one point (ln X, ln D) and its gradient
/// in (ln A, alpha, beta, ln E), E given: the one formula of the law's
/// batch and fused kernels (the exponent capped at 700; exp_k holds it
/// above e^-708).
#[inline(always)]
fn joint_mult_ln_point<const FMA: bool>(
    l0: f64,
    l1: f64,
    a: f64,
    alpha: f64,
    beta: f64,
    e: f64,
) -> (f64, [f64; 4]) {
    let z = fmadd::<FMA>(-beta, l1, fmadd::<FMA>(-alpha, l0, a));
    let t = fastmath::exp_k::<FMA>(z.min(700.0));
    let s = t + e;
    let inv = 1.0 / s;
    let w = t * inv;
    (
        fastmath::ln_positive_k::<FMA>(s),
        [w, -l0 * w, -l1 * w, e * inv],
    )
}

crate::multiversion! {
    /// ln(A / (X^alpha D^beta) + E): the objective over a batch.
    fn joint_mult_ln_loss(lnx: &[f64], u: &[f64], data: &LossData, grad: &mut [f64]) -> f64 {
        let (a, alpha, beta) = (u[0], u[1], u[2]);
        let e = fastmath::exp_k::<FMA>(u[3].min(700.0));
        crate::fused_reduce!(data, grad, 4, FMA, lnx, 2, |xi| {
            joint_mult_ln_point::<FMA>(xi[0], xi[1], a, alpha, beta, e)
        })
    }
}

crate::multiversion! {
    /// ln(A / (X^alpha D^beta) + E) and its Jacobian over a batch.
    fn joint_mult_ln_batch(lnx: &[f64], u: &[f64], out: &mut [f64], jac: &mut [f64]) {
        let (a, alpha, beta) = (u[0], u[1], u[2]);
        let e = fastmath::exp_k::<FMA>(u[3].min(700.0));
        for ((o, j), l) in out
            .iter_mut()
            .zip(jac.chunks_exact_mut(4))
            .zip(lnx.chunks_exact(2))
        {
            let (v, g) = joint_mult_ln_point::<FMA>(l[0], l[1], a, alpha, beta, e);
            *o = v;
            j.copy_from_slice(&g);
        }
    }
}

/// L = A / (X^alpha D^beta) + E. Internal: (ln A, alpha, beta, ln E).
struct JointMult;
impl Model for JointMult {
    fn rescale(&self, u: &[f64], l: &[f64], m: f64) -> Option<Vec<f64>> {
        Some(vec![
            u[0] + u[1] * l[0] + u[2] * l[1] + m,
            u[1],
            u[2],
            u[3] + m,
        ])
    }
    fn reference_scale(&self) -> Option<(Vec<f64>, f64)> {
        Some((LN_REF_JOINT.to_vec(), LN_REF_Y))
    }
    fn value_grad(&self, x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let l = self.ln_value_grad(x, lnx, u, g);
        let v = exp_capped(l);
        for gi in g.iter_mut() {
            *gi *= v;
        }
        v
    }
    fn value(&self, _x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        exp_capped(u[0] - u[1] * lnx[0] - u[2] * lnx[1]) + exp_capped(u[3])
    }
    fn ln_value_grad(&self, _x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let lx = lnx[0];
        let ld = lnx[1];
        let (l, w) = log_sum_exp([u[0] - u[1] * lx - u[2] * ld, u[3]]);
        g[0] = w[0];
        g[1] = -lx * w[0];
        g[2] = -ld * w[0];
        g[3] = w[1];
        l
    }
    ln_kernels!(batch joint_mult_ln_batch, loss joint_mult_ln_loss);
}

/// Hoffmann et al.'s 4500-point grid: alpha, beta in {0, 0.5, ..., 2},
/// e in {-1, -0.5, ..., 1}, a, b in {0, 5, ..., 25}.
pub fn chinchilla() -> Law {
    law(
        "chinchilla",
        "Hoffmann et al. (Approach 3): loss vs parameters N and tokens D",
        "L = E + A / N^alpha + B / D^beta",
        &[("N", Domain::Positive), ("D", Domain::Positive)],
        vec![
            Param::log_with_ln_grid("A", (1e-12, BIG), &ln_range(0.0, 25.0, 6)),
            Param::new(
                "alpha",
                Transform::Identity,
                (0.0, 10.0),
                &ln_range(0.0, 2.0, 5),
            ),
            Param::log_with_ln_grid("B", (1e-12, BIG), &ln_range(0.0, 25.0, 6)),
            Param::new(
                "beta",
                Transform::Identity,
                (0.0, 10.0),
                &ln_range(0.0, 2.0, 5),
            ),
            Param::log_with_ln_grid("E", (1e-10, 1e6), &ln_range(-1.0, 1.0, 5)),
        ],
        Arc::new(Additive2 {
            ref_x: LN_REF_CHINCHILLA.0,
            ref_y: LN_REF_CHINCHILLA.1,
        }),
    )
}

/// `joint-mult`: Zhang et al.'s multiplicative joint law L = A / (X^alpha D^beta) + E.
pub fn joint_mult() -> Law {
    law(
        "joint-mult",
        "Multiplicative joint fine-tuning law of Zhang et al. (X: model size, pretraining tokens or PET size)",
        "L = A / (X^alpha * D^beta) + E",
        &[("X", Domain::Positive), ("D", Domain::Positive)],
        vec![
            Param::log_with_ln_grid("A", (1e-12, BIG), &ln_range(0.0, 15.0, 4)),
            Param::new("alpha", Transform::Identity, (0.0, 5.0), &[0.05, 0.2, 0.5]),
            Param::new("beta", Transform::Identity, (0.0, 5.0), &[0.05, 0.2, 0.5]),
            Param::log_with_ln_grid("E", (1e-10, 1e6), &ln_range(-1.5, 1.0, 3)),
        ],
        Arc::new(JointMult),
    )
}

/// `joint-add`: the additive joint law L = A / X^alpha + B / D^beta + E.
pub fn joint_add() -> Law {
    law(
        "joint-add",
        "Additive joint fine-tuning law (Zhang et al.'s alternative form)",
        "L = A / X^alpha + B / D^beta + E",
        &[("X", Domain::Positive), ("D", Domain::Positive)],
        vec![
            Param::log_with_ln_grid("A", (1e-12, BIG), &ln_range(0.0, 15.0, 3)),
            Param::new("alpha", Transform::Identity, (0.0, 5.0), &[0.05, 0.2, 0.5]),
            Param::log_with_ln_grid("B", (1e-12, BIG), &ln_range(0.0, 15.0, 3)),
            Param::new("beta", Transform::Identity, (0.0, 5.0), &[0.05, 0.2, 0.5]),
            Param::log_with_ln_grid("E", (1e-10, 1e6), &ln_range(-1.5, 1.0, 3)),
        ],
        Arc::new(Additive2 {
            ref_x: LN_REF_JOINT,
            ref_y: LN_REF_Y,
        }),
    )
}
#[cfg(test)]
mod tests {
    use super::*;

    crate::multiversion! {
        /// The Chinchilla kernel before the pipelined one (issue 22): Horner
        /// exp and ln, one block at a time. The reference the new kernel is
        /// held to.
        fn additive2_ln_loss_before(lnx: &[f64], u: &[f64], data: &LossData, grad: &mut [f64]) -> f64 {
            let (a, alpha, b, beta) = (u[0], u[1], u[2], u[3]);
            let e = fastmath::exp_k::<FMA>(u[4].min(700.0));
            crate::fused_reduce!(data, grad, 5, FMA, lnx, 2, |xi| {
                let (l0, l1) = (xi[0], xi[1]);
                let t1 = fastmath::exp_k::<FMA>(fmadd::<FMA>(-alpha, l0, a).min(700.0));
                let t2 = fastmath::exp_k::<FMA>(fmadd::<FMA>(-beta, l1, b).min(700.0));
                let s = t1 + t2 + e;
                let inv = 1.0 / s;
                let (w1, w2) = (t1 * inv, t2 * inv);
                (
                    fastmath::ln_positive_k::<FMA>(s),
                    [w1, -l0 * w1, w2, -l1 * w2, e * inv],
                )
            })
        }
    }

    /// The pipelined Chinchilla kernel gives the objective of the previous
    /// one to 1e-14 relative and its gradient to 5e-14 relative to the
    /// largest component (worst seen: printed), on Hoffmann's grid, random parameters and
    /// arguments where exp overflows or underflows (both clamp alike), for
    /// every tail length, Huber and squared error.
    #[test]
    fn chinchilla_kernel_matches_the_previous_one() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut us: Vec<Vec<f64>> = chinchilla().grid();
        for _ in 0..3000 {
            us.push(vec![
                uniform() * 80.0 - 20.0,
                uniform() * 4.0,
                uniform() * 80.0 - 20.0,
                uniform() * 4.0,
                uniform() * 6.0 - 3.0,
            ]);
        }
        for u in [
            [800.0, 0.0, 0.0, 0.0, 0.0],
            [705.0, 0.1, 704.0, 0.1, 699.0],
            [-800.0, 0.0, -900.0, 0.0, -700.0],
            [0.0, 40.0, 0.0, 40.0, -745.0],
            [0.0, -40.0, 0.0, 0.1, 0.0],
            [1e300, 1.0, -1e300, 1.0, 0.0],
        ] {
            us.push(u.to_vec());
        }
        let model = chinchilla().model;
        let (mut checked, mut worst, mut unguarded) = (0, (0.0f64, 0.0f64), 0);
        for n in [1, 5, 8, 13, 16, 240, 243] {
            let (mut lnx, mut target) = (Vec::new(), Vec::new());
            for _ in 0..n {
                let (l0, l1) = (17.5 + 6.0 * uniform(), 20.5 + 6.0 * uniform());
                lnx.extend([l0, l1]);
                let l = (6.0 - 0.34 * l0).exp() + (6.0 - 0.28 * l1).exp() + 1.69;
                target.push(l.ln() + 0.02 * (uniform() - 0.5));
            }
            let weight: Vec<f64> = (0..n).map(|i| 1.0 + (i % 3) as f64).collect();
            for huber in [true, false] {
                let range = crate::objective::ln_ranges(&lnx, 2);
                let columns = crate::objective::ln_columns(&lnx, 2);
                let data = LossData {
                    target: &target,
                    weight: &weight,
                    huber,
                    delta: 1e-3,
                    ln_range: &range,
                    ln_columns: &columns,
                };
                // Without the prepared columns the kernel lays them out
                // itself: the same bits.
                let rowwise = LossData {
                    ln_columns: &[],
                    ..data
                };
                for u in &us {
                    // which of the kernel's two loops runs (both must be checked)
                    let inside = [(u[0], u[1], 0), (u[2], u[3], 1)].iter().all(|&(c, k, j)| {
                        range[j]
                            .iter()
                            .all(|&l| (-708.0..=700.0).contains(&(c - k * l)))
                    });
                    unguarded += usize::from(inside);
                    let (mut g0, mut g1) = ([0.0; 5], [0.0; 5]);
                    let f0 = additive2_ln_loss_before(&lnx, u, &data, &mut g0);
                    let f1 = additive2_ln_loss(&columns, u, &data, &mut g1);
                    let mut g2 = [0.0; 5];
                    let f2 = model.ln_loss(&[], &lnx, 2, u, &rowwise, &mut g2).unwrap();
                    assert_eq!(
                        (f2.to_bits(), g2.map(f64::to_bits)),
                        (f1.to_bits(), g1.map(f64::to_bits)),
                        "{u:?}"
                    );
                    if !f0.is_finite() {
                        assert_eq!(f0.is_nan(), f1.is_nan(), "{u:?}: {f0} vs {f1}");
                        continue;
                    }
                    let df = (f1 - f0).abs() / f0.abs();
                    assert!(df <= 1e-14, "{u:?}: {f1} vs {f0}");
                    worst.0 = worst.0.max(df);
                    let scale = g0.iter().fold(0.0f64, |m, g| m.max(g.abs()));
                    for (a, b) in g1.iter().zip(&g0) {
                        let dg = (a - b).abs() / scale;
                        // the components are sums over the points with
                        // cancellation: a few more units than the objective
                        assert!(dg <= 5e-14, "{u:?}: gradient {g1:?} vs {g0:?}");
                        worst.1 = worst.1.max(dg);
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 40_000, "{checked}");
        // both loops: without the exponents' guard, and with it
        assert!(
            unguarded > 10_000 && checked - unguarded >= 60,
            "{unguarded} of {checked}"
        );
        println!(
            "worst relative difference: objective {:.1e}, gradient {:.1e}",
            worst.0, worst.1
        );
    }

    #[test]
    fn chinchilla_grid_is_hoffmanns() {
        assert_eq!(chinchilla().grid().len(), 4500);
    }
}
