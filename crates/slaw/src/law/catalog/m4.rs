//! M4 of Alabdulmohsin et al. (NeurIPS 2022), `m4`: a learning-curve law
//! implicit in L, solved per point (the scalar safeguarded solver, and the
//! batch kernel's closed-form start and Halley steps).

use super::{law, LN_REF_X, LN_REF_Y};
use crate::fastmath;
use crate::law::{exp_capped, Law, Model, Param, Transform};
use crate::observations::Domain;
use std::sync::Arc;

/// M4 of Alabdulmohsin et al. (NeurIPS 2022): (L - E) / (I - L)^alpha =
/// beta x^-c, implicit in L, which lies in (E, I). Internal: (ln E, ln I,
/// alpha, ln beta, c).
///
/// Solved per point for s = (L - E) / (I - E) in logit form z: with
/// K = ln beta - c ln x - (1 - alpha) ln(I - E), phi(z) = ln s - alpha ln(1 - s)
/// = K is strictly increasing (phi' = 1 - s + alpha s), so a bracketed
/// Newton iteration with bisection as a safeguard finds the root. Gradients
/// by implicit differentiation of F = ln(L - E) - alpha ln(I - L) - ln beta +
/// c ln x: dL/dtheta = -F_theta / F_L, F_L = 1/(L - E) + alpha/(I - L).
struct M4;

impl M4 {
    /// (L, L - E, I - L, ln(I - L)) at ln x for internal u; `None` where
    /// undefined (I <= E, alpha < 0, no root, non-finite values).
    fn solve(lx: f64, u: &[f64]) -> Option<(f64, f64, f64, f64)> {
        let e = exp_capped(u[0]);
        let i = exp_capped(u[1]);
        let alpha = u[2];
        let gap = i - e;
        if gap.is_nan() || gap <= 0.0 || alpha.is_nan() || alpha < 0.0 || !lx.is_finite() {
            return None;
        }
        let k = u[3] - u[4] * lx - (1.0 - alpha) * gap.ln();
        if !k.is_finite() {
            return None;
        }
        // phi(z) = -softplus(-z) + alpha softplus(z)
        let softplus = |z: f64| if z > 30.0 { z } else { z.exp().ln_1p() };
        let phi = |z: f64| -softplus(-z) + alpha * softplus(z) - k;
        let (mut lo, mut hi) = (-1.0f64, 1.0f64);
        let mut n = 0;
        while phi(lo) > 0.0 {
            lo = 2.0 * lo - 1.0;
            n += 1;
            if n > 80 {
                return None;
            }
        }
        while phi(hi) < 0.0 {
            hi = 2.0 * hi + 1.0;
            n += 1;
            if n > 160 {
                return None;
            }
        }
        let mut z = 0.5 * (lo + hi);
        for _ in 0..200 {
            let f = phi(z);
            if f == 0.0 {
                break;
            }
            if f < 0.0 {
                lo = z;
            } else {
                hi = z;
            }
            let s = 1.0 / (1.0 + (-z).exp());
            let d = (1.0 - s) + alpha * s;
            let newton = z - f / d;
            let next = if newton > lo && newton < hi {
                newton
            } else {
                0.5 * (lo + hi)
            };
            if (next - z).abs() <= 1e-15 * (1.0 + z.abs()) || hi - lo <= 1e-15 * (1.0 + z.abs()) {
                z = next;
                break;
            }
            z = next;
        }
        let s = 1.0 / (1.0 + (-z).exp());
        let t = 1.0 / (1.0 + z.exp());
        let a = gap * s;
        let b = gap * t;
        // ln(I - L) without underflow when L is within rounding of I
        let ln_b = gap.ln() - softplus(z);
        let l = e + a;
        (l.is_finite() && ln_b.is_finite()).then_some((l, a, b, ln_b))
    }
}

impl Model for M4 {
    fn rescale(&self, u: &[f64], l: &[f64], m: f64) -> Option<Vec<f64>> {
        Some(vec![
            u[0] + m,
            u[1] + m,
            u[2],
            u[3] + u[4] * l[0] + (1.0 - u[2]) * m,
            u[4],
        ])
    }
    fn reference_scale(&self) -> Option<(Vec<f64>, f64)> {
        Some((vec![LN_REF_X], LN_REF_Y))
    }
    fn value_grad(&self, _x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let Some((l, a, b, ln_b)) = Self::solve(lnx[0], u) else {
            g.iter_mut().for_each(|v| *v = f64::NAN);
            return f64::NAN;
        };
        // dL/dtheta = -F_theta / F_L, with numerator and denominator times
        // a b (finite when L is within rounding of E or of I).
        let alpha = u[2];
        let den = b + alpha * a;
        if den.is_nan() || den <= 0.0 {
            g.iter_mut().for_each(|v| *v = f64::NAN);
            return f64::NAN;
        }
        let e = exp_capped(u[0]);
        let i = exp_capped(u[1]);
        g.copy_from_slice(&m4_grad(a, b, ln_b, 1.0 / den, e, i, alpha, lnx[0]));
        l
    }
    fn value(&self, _x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        Self::solve(lnx[0], u).map_or(f64::NAN, |(l, ..)| l)
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
        m4_ln_batch(lnx, u, out, jac);
    }
}

/// dL/du of m4 by implicit differentiation (`M4`'s doc), from a = L - E,
/// b = I - L, ln b and 1 / den, den = b + alpha a (> 0): the numerator and the
/// denominator of -F_theta / F_L times a b, finite where L is within
/// rounding of E or of I. The one formula of the scalar path and the batch
/// kernel.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn m4_grad(
    a: f64,
    b: f64,
    ln_b: f64,
    inv_den: f64,
    e: f64,
    i: f64,
    alpha: f64,
    lx: f64,
) -> [f64; 5] {
    let inv_fl = a * b * inv_den;
    [
        e * b * inv_den,
        alpha * i * a * inv_den,
        ln_b * inv_fl,
        inv_fl,
        -lx * inv_fl,
    ]
}

/// Halley steps of the m4 kernel from its closed-form start, before the
/// final evaluation that checks convergence. From the start, 2 steps reach
/// a step of 1e-11 (1 + |z|) at about 97% of random points (a prototype:
/// alpha over [0, 20] and its decades, |K| up to 800), 3 steps at 99.9%
/// (the rest mostly alpha > 6 near K = 0; they go to the scalar solver).
/// In the unit test no point with alpha in [0.1, 3) goes there.
const M4_STEPS: usize = 3;

/// The kernel's convergence check: the Newton step at the last iterate,
/// relative to 1 + |z|. Its outputs are moved by that step to first order,
/// so their error is of the order of the step squared times
/// phi'' / (2 phi') (at most |alpha - 1| / 2 <= 10): below 1e-19 here.
const M4_TOL: f64 = 1e-10;

/// Beyond this |z| the scalar solver's bracket (80 or 160 doublings from
/// +-1) may give up: such points go to it.
const M4_Z_MAX: f64 = 1e18;

/// (2 ln 2)^2: the hyperbola with phi's asymptotes (z and alpha z) that
/// passes through phi(0) = (alpha - 1) ln 2.
const M4_HYPERBOLA: f64 = 4.0 * std::f64::consts::LN_2 * std::f64::consts::LN_2;

/// The per-call constants of the m4 kernel, computed as the scalar solver
/// computes them (libm, once per call), so K has the scalar path's bits.
#[derive(Clone, Copy)]
struct M4Scales {
    e: f64,
    i: f64,
    gap: f64,
    ln_gap: f64,
    alpha: f64,
    ln_beta: f64,
    c: f64,
}

impl M4Scales {
    /// `None` where the scalar solver refuses every point (I <= E,
    /// alpha < 0 or NaN).
    fn new(u: &[f64]) -> Option<M4Scales> {
        let e = exp_capped(u[0]);
        let i = exp_capped(u[1]);
        let alpha = u[2];
        let gap = i - e;
        if gap.is_nan() || gap <= 0.0 || alpha.is_nan() || alpha < 0.0 {
            return None;
        }
        Some(M4Scales {
            e,
            i,
            gap,
            ln_gap: gap.ln(),
            alpha,
            ln_beta: u[3],
            c: u[4],
        })
    }
}

/// phi(z) - K of `M4`'s doc at z, with phi', s = L - E over I - E, t = 1 - s
/// and softplus(z): the scalar solver's functions (softplus cut at 30 as
/// there) with the fast exp and ln, branch-free.
#[inline(always)]
fn m4_phi<const FMA: bool>(z: f64, alpha: f64, k: f64) -> [f64; 5] {
    let e = fastmath::exp_k::<FMA>(-z.abs());
    // ln(1 + e) and 1 / (1 + e), one division
    let (lp, r) = fastmath::ln_1p_recip_k::<FMA>(e);
    let pos = z >= 0.0;
    let sp = if z > 30.0 {
        z
    } else if pos {
        z + lp
    } else {
        lp
    };
    let sm = if z < -30.0 {
        -z
    } else if pos {
        lp
    } else {
        lp - z
    };
    let f = -sm + alpha * sp - k;
    let (s, t) = if pos { (r, e * r) } else { (e * r, r) };
    [f, t + alpha * s, s, t, sp]
}

/// The start of the m4 kernel's iteration: the root of the hyperbola
/// ((1 + alpha) z + (alpha - 1) sqrt(z^2 + C)) / 2 = K, C = (2 ln 2)^2
/// (phi's asymptotes, and phi(0)), written without cancellation.
#[inline(always)]
fn m4_start(k: f64, alpha: f64) -> f64 {
    let r = (k * k + alpha * M4_HYPERBOLA).sqrt();
    let p = k * (1.0 + alpha);
    let q = (1.0 - alpha) * r;
    // z = (p + q) / (2 alpha) = (4 K^2 - (alpha - 1)^2 C) / (2 (p - q))
    let direct = (p >= 0.0) == (q >= 0.0) && alpha > 0.0;
    let am1 = alpha - 1.0;
    let num = if direct {
        p + q
    } else {
        4.0 * k * k - am1 * am1 * M4_HYPERBOLA
    };
    let den = if direct { 2.0 * alpha } else { 2.0 * (p - q) };
    num / den
}

/// One Halley step of the m4 kernel on phi(z) = K: 2 f phi' / (2 phi'^2 -
/// f phi''), phi'' = (alpha - 1) s t; a Newton step where that correction
/// would more than double the step.
#[inline(always)]
fn m4_halley<const FMA: bool>(z: f64, alpha: f64, k: f64) -> f64 {
    let [f, d, s, t, _] = m4_phi::<FMA>(z, alpha, k);
    let two_d = 2.0 * d;
    let hd = two_d * d - f * ((alpha - 1.0) * s * t);
    let halley = hd > d * d;
    let num = if halley { two_d * f } else { f };
    let den = if halley { hd } else { d };
    z - num / den
}

/// K of `M4`'s doc at ln x, with the scalar solver's operations (so its
/// bits).
#[inline(always)]
fn m4_k(lx: f64, m: &M4Scales) -> f64 {
    m.ln_beta - m.c * lx - (1.0 - m.alpha) * m.ln_gap
}

/// ln L of m4 at ln x and its gradient from the kernel's last iterate z of
/// phi(z) = K, and whether the iteration converged there (when not, the
/// caller solves the point with the scalar solver): the Newton step at z
/// as the check, L - E, I - L and ln(I - L) moved by it to first order, the
/// gradient by `m4_grad`.
// The checks are combined with `&`, not `&&` or `contains`: branch-free in
// the vectorized loop.
#[allow(clippy::manual_range_contains)]
#[inline(always)]
fn m4_ln_finish<const FMA: bool>(lx: f64, k: f64, z: f64, m: &M4Scales) -> (f64, [f64; 5], bool) {
    let alpha = m.alpha;
    let [f, d, s, t, sp] = m4_phi::<FMA>(z, alpha, k);
    let dz = f / d;
    let a = m.gap * s * (1.0 - t * dz);
    let b = m.gap * t * (1.0 + s * dz);
    let ln_b = (m.ln_gap - sp) + s * dz;
    let l = m.e + a;
    let den = b + alpha * a;
    // 1 / den and 1 / L from one reciprocal (where den L is normal)
    let dl = den * l;
    let q = 1.0 / dl;
    let g = m4_grad(a, b, ln_b, l * q, m.e, m.i, alpha, lx);
    let inv = den * q;
    let ok = (dz.abs() <= M4_TOL * (1.0 + z.abs()))
        & (z.abs() <= M4_Z_MAX)
        & (den > 0.0)
        & (l >= f64::MIN_POSITIVE)
        & (l < f64::INFINITY)
        & (dl >= f64::MIN_POSITIVE)
        & (dl < f64::INFINITY)
        & (ln_b.abs() < f64::INFINITY)
        & g.iter()
            .fold(true, |acc, v| acc & (v.abs() < f64::INFINITY));
    (fastmath::ln_positive_k::<FMA>(l), g.map(|v| v * inv), ok)
}

/// Points per chunk of the m4 kernel: each stage (start, each Halley step,
/// the finish) runs over a chunk before the next, so that the 4 vectors of
/// 8 points of a chunk are independent chains the core overlaps (one
/// point's chain is a sequence of divisions, exp and ln: bound by latency
/// when run alone).
const M4_CHUNK: usize = 32;

crate::multiversion! {
    /// ln L of m4 and its Jacobian over a batch, chunk by chunk: the
    /// closed-form start, `M4_STEPS` Halley steps on phi(z) = K, then
    /// `m4_ln_finish`; each point it does not certify marked NaN. Returns
    /// the number marked.
    fn m4_ln_kernel(lnx: &[f64], m: &M4Scales, out: &mut [f64], jac: &mut [f64]) -> usize {
        let alpha = m.alpha;
        let (mut k, mut z) = ([0.0; M4_CHUNK], [0.0; M4_CHUNK]);
        for ((lc, oc), jc) in lnx
            .chunks(M4_CHUNK)
            .zip(out.chunks_mut(M4_CHUNK))
            .zip(jac.chunks_mut(5 * M4_CHUNK))
        {
            let n = lc.len();
            let (k, z) = (&mut k[..n], &mut z[..n]);
            for ((ki, zi), &lx) in k.iter_mut().zip(z.iter_mut()).zip(lc) {
                *ki = m4_k(lx, m);
                *zi = m4_start(*ki, alpha);
            }
            for _ in 0..M4_STEPS {
                for (zi, &ki) in z.iter_mut().zip(k.iter()) {
                    *zi = m4_halley::<FMA>(*zi, alpha, ki);
                }
            }
            for (((o, j), (&lx, &ki)), &zi) in oc
                .iter_mut()
                .zip(jc.chunks_exact_mut(5))
                .zip(lc.iter().zip(k.iter()))
                .zip(z.iter())
            {
                let (v, g, ok) = m4_ln_finish::<FMA>(lx, ki, zi, m);
                *o = if ok { v } else { f64::NAN };
                j.copy_from_slice(&g);
            }
        }
        out.iter().filter(|v| v.is_nan()).count()
    }
}

/// ln L of m4 and its Jacobian over a batch: the kernel, then the scalar
/// solver (`M4::ln_value_grad`) at the points the kernel did not certify.
/// Returns how many points the scalar solver took.
fn m4_ln_batch(lnx: &[f64], u: &[f64], out: &mut [f64], jac: &mut [f64]) -> usize {
    let missed = match M4Scales::new(u) {
        Some(m) => m4_ln_kernel(lnx, &m, out, jac),
        None => {
            out.iter_mut().for_each(|o| *o = f64::NAN);
            out.len()
        }
    };
    if missed == 0 {
        return 0;
    }
    for (i, o) in out.iter_mut().enumerate() {
        if o.is_nan() {
            let l = &lnx[i..i + 1];
            *o = M4.ln_value_grad(l, l, u, &mut jac[i * 5..(i + 1) * 5]);
        }
    }
    missed
}

/// `m4`: Alabdulmohsin et al.'s M4, implicit in L.
pub fn m4() -> Law {
    law(
        "m4",
        "M4 of Alabdulmohsin et al. (NeurIPS 2022), implicit in L: E the irreducible loss, I the loss at the start (L lies in (E, I)); solved per point",
        "(L - E) / (I - L)^alpha = beta x^-c",
        &[("x", Domain::Positive)],
        vec![
            Param::log_with_ln_grid("E", (1e-10, 1e6), &[-1.5, -0.2, 0.4]),
            Param::log_with_ln_grid("I", (1e-10, 1e8), &[1.1, 1.8, 2.7]),
            Param::new("alpha", Transform::Identity, (0.0, 20.0), &[0.3, 1.0]),
            Param::log_with_ln_grid("beta", (1e-30, 1e30), &[0.0, 2.5, 5.0]),
            Param::new("c", Transform::Identity, (0.0, 10.0), &[0.2, 0.6]),
        ],
        Arc::new(M4),
    )
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m4_solves_its_equation_across_the_range() {
        let law = m4();
        // (E, I, alpha, beta, c)
        for p in [
            [0.5, 4.0, 0.6, 30.0, 0.4],
            [1e-3, 1e3, 2.5, 1e-4, 1.2],
            [2.0, 2.0001, 0.01, 5.0, 0.3],
        ] {
            for x in [1e-3, 1.0, 10.0, 1e4, 1e9, 1e15] {
                let l = law.predict(&[x], &p);
                assert!(l >= p[0] && l <= p[1], "{p:?} at {x}: {l}");
                let lhs = (l - p[0]).ln() - p[2] * (p[1] - l).ln();
                let rhs = p[3].ln() - p[4] * f64::ln(x);
                // the equation holds unless L is within rounding of E or I
                if (l - p[0]) > 1e-9 * l && (p[1] - l) > 1e-9 * l {
                    assert!(
                        (lhs - rhs).abs() < 1e-7 * (1.0 + rhs.abs()),
                        "{p:?} at {x}: {lhs} vs {rhs}"
                    );
                }
            }
        }
        // alpha = 1: closed form L = (E + r I) / (1 + r)
        let p = [0.5, 4.0, 1.0, 30.0, 0.4];
        let r = 30.0 * 100f64.powf(-0.4);
        let want = (0.5 + r * 4.0) / (1.0 + r);
        assert!((law.predict(&[100.0], &p) - want).abs() < 1e-12);
        // I <= E is outside the law's domain: NaN, not a panic
        assert!(law.predict(&[10.0], &[3.0, 2.0, 0.5, 1.0, 0.3]).is_nan());
    }

    /// m4's batch kernel gives the scalar solver's ln L and Jacobian to
    /// 1e-12 (as in `batch_kernels_match_the_points`), times the root's
    /// condition, at the grid and random parameters over the bounds and
    /// beyond (alpha 0..20, beta e^-69..e^69, I - E from 1e-9 to 1e8), on x
    /// over 18 decades: L within rounding of E or of I, the softplus cut at
    /// |z| = 30, E and I at the e^700 cap, alpha = 0 and 1, I <= E, no
    /// root; and the points the kernel leaves to the scalar solver (counted:
    /// there the batch is the scalar path itself).
    #[test]
    fn m4_batch_kernel_matches_the_scalar_solver() {
        use crate::law::batch_check::{compare, Uniform};
        let law = m4();
        let mut r = Uniform::new();
        let xs: Vec<Vec<f64>> = (0..203)
            .map(|_| vec![10f64.powf(r.within(-3.0, 15.0))])
            .collect();
        let mut us = law.grid();
        for n in 0..600 {
            let le = r.within(-12.0, 8.0);
            // I - E from e^-20 E to e^18 E
            let li = le
                + if n % 3 == 0 {
                    r.within(-20.0, 0.0)
                } else {
                    r.within(0.0, 18.0)
                }
                .exp()
                .ln_1p();
            let alpha = match n % 10 {
                0 => r.within(0.0, 20.0),
                1 => 10f64.powf(r.within(-8.0, 0.0)),
                2 => 1.0,
                3 => 0.0,
                _ => r.within(0.0, 3.0),
            };
            us.push(vec![
                le,
                li,
                alpha,
                r.within(-69.0, 69.0),
                r.within(0.0, if n % 2 == 0 { 1.0 } else { 10.0 }),
            ]);
        }
        for e in [
            [705.0, 706.0, 0.5, 1.0, 0.3],
            [-30.0, 705.0, 0.5, 1.0, 0.3],
            [1.0, 0.5, 0.5, 1.0, 0.3],
            [0.0, 1.0, -0.5, 1.0, 0.3],
            [0.0, 1.0, 0.0, 5.0, 0.0],
            [0.0, 1.0, 1e-30, 60.0, 0.0],
            [0.0, 1.0, 15.0, 0.0, 0.0],
        ] {
            us.push(e.to_vec());
        }
        let s = compare(&law, &xs, &us, 1e-13, |_, _| Some(1.0));
        println!("m4: {s:?}");
        assert!(s.checked > 130_000 && s.undefined > 1_000, "{s:?}");
        // The points the kernel leaves to the scalar solver, where that
        // solver finds a root: the fallback fired there, and `compare`
        // checked them above.
        let lnx: Vec<f64> = xs.iter().map(|x| x[0].ln()).collect();
        let n = lnx.len();
        let (mut out, mut jac) = (vec![0.0; n], vec![0.0; 5 * n]);
        let mut g = [0.0; 5];
        let (mut fallback, mut moderate) = (0, 0);
        for u in &us {
            let Some(m) = M4Scales::new(u) else { continue };
            m4_ln_kernel(&lnx, &m, &mut out, &mut jac);
            for (i, o) in out.iter().enumerate() {
                let l = &lnx[i..i + 1];
                let v = M4.ln_value_grad(l, l, u, &mut g);
                if o.is_nan() && v.is_finite() && g.iter().all(|d| d.is_finite()) {
                    fallback += 1;
                    moderate += usize::from((0.1..3.0).contains(&u[2]));
                }
            }
        }
        println!("m4: {fallback} points with a root left to the scalar solver, {moderate} with alpha in [0.1, 3)");
        assert!(fallback >= 20 && moderate == 0, "{fallback} {moderate}");
    }
}
