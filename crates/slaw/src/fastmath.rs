//! Branch-free exp and ln for the hot loops of the objective, written so the
//! compiler can vectorize a loop over data points (libm calls cannot be).
//! Both are accurate to a few units in the last place over the range the laws
//! use; the unit tests compare them with the standard library.

// ln 2 split into a high part with trailing zero bits and a low remainder.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const INV_LN2: f64 = std::f64::consts::LOG2_E;
/// 1.5 * 2^52: adding and subtracting it rounds to the nearest integer.
const ROUNDER: f64 = 6_755_399_441_055_744.0;

static LEVEL: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(u8::MAX);

/// The widest vector unit of this CPU: 0 = baseline x86-64 (or another
/// architecture), 1 = AVX2 + FMA, 2 = AVX-512. Detected once; after that a
/// load inlined into every kernel's dispatch (each evaluation of a small
/// fit passes through one).
#[inline(always)]
pub fn vector_level() -> u8 {
    let l = LEVEL.load(std::sync::atomic::Ordering::Relaxed);
    if l != u8::MAX {
        return l;
    }
    detect_vector_level()
}

/// [`vector_level`]'s detection, stored for the next calls.
#[cold]
#[inline(never)]
fn detect_vector_level() -> u8 {
    use std::sync::atomic::Ordering;
    #[allow(unused_mut)]
    let mut l = 0;
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            l = 1;
            if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512dq")
                && std::is_x86_feature_detected!("avx512vl")
            {
                l = 2;
            }
        }
    }
    LEVEL.store(l, Ordering::Relaxed);
    l
}

/// Defines a function whose body is compiled three times — for baseline
/// x86-64, for AVX2 + FMA and for AVX-512 — and dispatched at run time by
/// [`vector_level`]. The hot batch loops of the laws and the objective use
/// it: the branch-free exp/ln below then run 4 or 8 points at a time with
/// fused multiply-adds, while the binary still runs on any x86-64. The body
/// must only call `#[inline(always)]` helpers to profit.
///
/// The body sees a `const FMA: bool`, true in the AVX2 and AVX-512 copies:
/// pass it to [`fmadd`], [`exp_k`] and [`ln_positive_k`] so that their
/// multiply-adds become single fused instructions there and stay a
/// multiply and an add in the baseline copy (where `f64::mul_add` would be
/// a slow library call).
#[macro_export]
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn kernel<const FMA: bool>($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            fn v3($($arg: $ty),*) $(-> $ret)? {
                $crate::fastmath::align_frame();
                kernel::<true>($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            fn v4($($arg: $ty),*) $(-> $ret)? {
                $crate::fastmath::align_frame();
                kernel::<true>($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            {
                match $crate::fastmath::vector_level() {
                    // SAFETY: the features were detected on this CPU.
                    2 => return unsafe { v4($($arg),*) },
                    1 => return unsafe { v3($($arg),*) },
                    _ => {}
                }
            }
            kernel::<false>($($arg),*)
        }
    };
}

/// A cache line of stack, 64-byte aligned (see [`align_frame`]).
#[repr(C, align(64))]
pub struct CacheLine([f64; 8]);

/// Makes the calling function keep its stack frame 64-byte aligned (it is
/// inlined: the uninitialized, 64-byte-aligned slot whose address escapes
/// lands in the caller's frame, so the compiler realigns that frame in its
/// prologue). Called first thing by the vector copies of a
/// [`multiversion!`] function. Why: the compiler spills vector registers
/// to the stack (the Chinchilla kernel holds ~60 8-lane spill slots), and
/// without a realigned frame it places a 64-byte spill slot only 16-byte
/// aligned, with unaligned moves. Where a slot then straddles two cache
/// lines, or worse a 4 KiB page boundary, every access to it is split:
/// the same machine code ran 1-57% slower depending on the stack address
/// the process happened to get (Linux randomizes it, so from run to run;
/// BENCHMARKS.md, issue 22, branch `k240`). With the frame aligned, every
/// slot is aligned (aligned moves) and the speed no longer depends on it.
/// The cost: a frame pointer and an `and` in the prologue, no store.
#[inline(always)]
pub fn align_frame() {
    let slot = std::mem::MaybeUninit::<CacheLine>::uninit();
    std::hint::black_box(slot.as_ptr());
}

/// a * b + c: one fused multiply-add (one rounding) when `FMA` (inside the
/// AVX2 / AVX-512 copies of a [`multiversion!`] function), a multiply and an
/// add otherwise.
#[inline(always)]
pub fn fmadd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// e^x for x in [-708, 709] (arguments outside are clamped: no inf, no NaN
/// from overflow; the laws cap their exponents anyway).
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    exp_k::<false>(x)
}

/// [`exp`], with fused multiply-adds when `FMA`.
///
/// The integer k of e^x = 2^k e^r is read from the bits of the rounded
/// value x / ln 2 + 1.5 * 2^52 (its low bits hold k exactly), and 2^k is
/// built by adding the exponent bias in the integer unit: no float-to-int
/// conversion (whose saturating semantics cost a dozen instructions per
/// lane) in the hot loop. The clamp keeps k in [-1021, 1023], where one
/// power of two is normal and p * 2^k cannot overflow (p < sqrt 2).
#[inline(always)]
pub fn exp_k<const FMA: bool>(x: f64) -> f64 {
    let x = x.clamp(-708.0, 709.0);
    let t = fmadd::<FMA>(x, INV_LN2, ROUNDER);
    let kf = t - ROUNDER;
    let r = fmadd::<FMA>(-kf, LN2_LO, fmadd::<FMA>(-kf, LN2_HI, x));
    // Taylor series of e^r, |r| <= ln2 / 2, to degree 13 (error < 1e-17).
    let mut p = 1.0 / 6_227_020_800.0;
    p = fmadd::<FMA>(p, r, 1.0 / 479_001_600.0);
    p = fmadd::<FMA>(p, r, 1.0 / 39_916_800.0);
    p = fmadd::<FMA>(p, r, 1.0 / 3_628_800.0);
    p = fmadd::<FMA>(p, r, 1.0 / 362_880.0);
    p = fmadd::<FMA>(p, r, 1.0 / 40_320.0);
    p = fmadd::<FMA>(p, r, 1.0 / 5_040.0);
    p = fmadd::<FMA>(p, r, 1.0 / 720.0);
    p = fmadd::<FMA>(p, r, 1.0 / 120.0);
    p = fmadd::<FMA>(p, r, 1.0 / 24.0);
    p = fmadd::<FMA>(p, r, 1.0 / 6.0);
    p = fmadd::<FMA>(p, r, 0.5);
    p = fmadd::<FMA>(p, r, 1.0);
    p = fmadd::<FMA>(p, r, 1.0);
    // k + 1023 in the exponent field: the low bits of t hold 2^51 + k.
    let biased = t
        .to_bits()
        .wrapping_sub(ROUNDER.to_bits())
        .wrapping_add(1023);
    p * f64::from_bits(biased << 52)
}

/// ln x without the check: the caller guarantees a positive, normal, finite x
/// (the result is meaningless otherwise). Branch-free, so loops vectorize.
#[inline(always)]
pub fn ln_positive(x: f64) -> f64 {
    ln_positive_k::<false>(x)
}

/// [`ln_positive`], with fused multiply-adds when `FMA`.
#[inline(always)]
pub fn ln_positive_k<const FMA: bool>(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let big = m > std::f64::consts::SQRT_2;
    m = if big { m * 0.5 } else { m };
    // The biased exponent (plus one when m was halved) as a float, through
    // the bits of 1.5 * 2^52 + it: no int-to-float conversion.
    let eb = ((bits >> 52) & 0x7ff) + u64::from(big);
    let ef = (f64::from_bits(ROUNDER.to_bits() + eb) - ROUNDER) - 1023.0;
    // ln m = 2 atanh(f), f = (m - 1) / (m + 1), |f| <= 0.1716.
    let f = (m - 1.0) / (m + 1.0);
    let f2 = f * f;
    let mut p = 1.0 / 23.0;
    p = fmadd::<FMA>(p, f2, 1.0 / 21.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 19.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 17.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 15.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 13.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 11.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 9.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 7.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 5.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 3.0);
    p = fmadd::<FMA>(p, f2, 1.0);
    fmadd::<FMA>(ef, LN2_HI, fmadd::<FMA>(ef, LN2_LO, 2.0 * f * p))
}

// The series of atanh below is written out in both ln kernels on purpose:
// shared through an `#[inline(always)]` helper, the batch paths of `power`
// and `log` measured 6.1 -> 7.3 and 4.4 -> 5.3 ns per point (`slaw bench
// kernels`, alternated runs, 2026-12-03): the compiler's inlining around
// `ln_positive_k` changed.

/// (ln(1 + x), 1 / (1 + x)) for x in [0, 1], with one division for both
/// (a kernel whose speed the divider bounds: the m4 kernel). 1 + x = 2^k m
/// with k = 0 (m = 1 + x) or 1 (m = (1 + x) / 2, from x > sqrt 2 - 1), and
/// f = (m - 1) / (m + 1) = x / (x + 2) or (x - 1) / (x + 3), whose
/// numerator carries no rounding of 1 + x (so ln(1 + x) keeps its relative
/// accuracy for tiny x); both quotients from one reciprocal of (1 + x) w.
/// Then [`ln_positive_k`]'s series of 2 atanh(f), |f| <= 0.1716. Accurate to
/// a few units in the last place (tested against the standard library).
#[inline(always)]
pub fn ln_1p_recip_k<const FMA: bool>(x: f64) -> (f64, f64) {
    let big = x > std::f64::consts::SQRT_2 - 1.0;
    let num = if big { x - 1.0 } else { x };
    let w = if big { x + 3.0 } else { x + 2.0 };
    let u = 1.0 + x;
    let q = 1.0 / (u * w);
    let f = num * (u * q);
    let f2 = f * f;
    let mut p = 1.0 / 23.0;
    p = fmadd::<FMA>(p, f2, 1.0 / 21.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 19.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 17.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 15.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 13.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 11.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 9.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 7.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 5.0);
    p = fmadd::<FMA>(p, f2, 1.0 / 3.0);
    p = fmadd::<FMA>(p, f2, 1.0);
    let ef = if big { 1.0 } else { 0.0 };
    (
        fmadd::<FMA>(ef, LN2_HI, fmadd::<FMA>(ef, LN2_LO, 2.0 * f * p)),
        w * q,
    )
}

/// 1.5 * 2^52 + 1023: adding it rounds to the nearest integer k and puts
/// k + 1023, the biased exponent of 2^k, in the low bits.
const ROUNDER_BIASED: f64 = ROUNDER + 1023.0;

/// [`exp_k`] with a shallow dependency chain, for kernels whose speed is
/// bound by latency (the Chinchilla kernel): the same argument reduction
/// and the same degree-13 Taylor polynomial of e^r, evaluated as
/// 1 + (r + r^2 H(r)) with H by Estrin's scheme (powers r^2, r^4, r^8 and
/// independent pairs) instead of Horner's rule: 7 dependent operations
/// after r instead of 14, three more multiplications. The leading 1 + r
/// stays exact to the last rounding, so the accuracy is [`exp_k`]'s (a few
/// units in the last place, tested against the standard library); the last
/// bits may differ from [`exp_k`]'s. Arguments are clamped as in [`exp_k`].
/// The rounding constant carries the exponent bias, so 2^k is one shift of
/// the rounded value's bits (k + 1023 in [2, 2046] after the clamp): the
/// same k, the same bits as adding the bias apart, one integer operation
/// fewer.
#[inline(always)]
pub fn exp_shallow_k<const FMA: bool>(x: f64) -> f64 {
    exp_shallow_unclamped_k::<FMA>(x.clamp(-708.0, 709.0))
}

/// [`exp_shallow_k`] without its clamp, for a kernel that has checked once
/// that every argument is in [-708, 709] (the result is meaningless
/// outside).
#[inline(always)]
pub fn exp_shallow_unclamped_k<const FMA: bool>(x: f64) -> f64 {
    let t = fmadd::<FMA>(x, INV_LN2, ROUNDER_BIASED);
    let kf = t - ROUNDER_BIASED;
    let r = fmadd::<FMA>(-kf, LN2_LO, fmadd::<FMA>(-kf, LN2_HI, x));
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    // H(r) = sum over i = 0..=11 of r^i / (i + 2)!
    let q0 = fmadd::<FMA>(r, 1.0 / 6.0, 0.5);
    let q1 = fmadd::<FMA>(r, 1.0 / 120.0, 1.0 / 24.0);
    let q2 = fmadd::<FMA>(r, 1.0 / 5_040.0, 1.0 / 720.0);
    let q3 = fmadd::<FMA>(r, 1.0 / 362_880.0, 1.0 / 40_320.0);
    let q4 = fmadd::<FMA>(r, 1.0 / 39_916_800.0, 1.0 / 3_628_800.0);
    let q5 = fmadd::<FMA>(r, 1.0 / 6_227_020_800.0, 1.0 / 479_001_600.0);
    let s0 = fmadd::<FMA>(q1, r2, q0);
    let s1 = fmadd::<FMA>(q3, r2, q2);
    let s2 = fmadd::<FMA>(q5, r2, q4);
    let h = fmadd::<FMA>(s2, r8, fmadd::<FMA>(s1, r4, s0));
    let p = fmadd::<FMA>(h, r2, r) + 1.0;
    // The low 12 bits of t's bits hold k + 1023 (its mantissa is
    // 2^51 + k + 1023, and 2^51 shifts out).
    p * f64::from_bits(t.to_bits() << 52)
}

/// Bits of sqrt(1/2).
const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;

/// [`ln_positive_k`] with a shallow dependency chain (for the same kernels
/// as [`exp_shallow_k`]; the same contract: a positive, normal, finite x):
/// [`ln_shallow_reduce_k`] then [`ln_shallow_finish_k`]. Accuracy as
/// [`ln_positive_k`] (tested against the standard library); last bits may
/// differ.
#[inline(always)]
pub fn ln_shallow_k<const FMA: bool>(x: f64) -> f64 {
    let (f, k) = ln_shallow_reduce_k(x);
    ln_shallow_finish_k::<FMA>(f, k)
}

/// The first half of [`ln_shallow_k`], apart so that a software-pipelined
/// kernel can run it and the second half on different blocks: x = 2^k m
/// with m in [sqrt(1/2), sqrt 2) in four integer operations (one add moves
/// the exponent when the mantissa is at least sqrt 2's: no compare, no
/// select), and (f, k) with f = (m - 1) / (m + 1), |f| <= 0.1716, k as a
/// float.
#[inline(always)]
pub fn ln_shallow_reduce_k(x: f64) -> (f64, f64) {
    let ix = x
        .to_bits()
        .wrapping_add(0x3ff0_0000_0000_0000 - SQRT_HALF_BITS);
    let m = f64::from_bits((ix & 0x000f_ffff_ffff_ffff).wrapping_add(SQRT_HALF_BITS));
    // k as a float through the bits of 1.5 * 2^52 + k + 1023 (exact).
    let ef = f64::from_bits(ROUNDER.to_bits() + (ix >> 52)) - (ROUNDER + 1023.0);
    ((m - 1.0) / (m + 1.0), ef)
}

/// The second half of [`ln_shallow_k`]: ln x = k ln 2 + 2 atanh(f), the
/// series to f^23 with its tail by Estrin's scheme. Its coefficients are
/// doubled (2 / (2i + 3), exact multiples of the undoubled ones), so that
/// f * P is 2 f P to the last bit without the doubling.
#[inline(always)]
pub fn ln_shallow_finish_k<const FMA: bool>(f: f64, ef: f64) -> f64 {
    let f2 = f * f;
    let f4 = f2 * f2;
    let f8 = f4 * f4;
    // P(f2) = sum over i = 0..=10 of 2 f2^i / (2i + 3)
    let q0 = fmadd::<FMA>(f2, 2.0 / 5.0, 2.0 / 3.0);
    let q1 = fmadd::<FMA>(f2, 2.0 / 9.0, 2.0 / 7.0);
    let q2 = fmadd::<FMA>(f2, 2.0 / 13.0, 2.0 / 11.0);
    let q3 = fmadd::<FMA>(f2, 2.0 / 17.0, 2.0 / 15.0);
    let q4 = fmadd::<FMA>(f2, 2.0 / 21.0, 2.0 / 19.0);
    let s0 = fmadd::<FMA>(q1, f4, q0);
    let s1 = fmadd::<FMA>(q3, f4, q2);
    let s2 = fmadd::<FMA>(2.0 / 23.0, f4, q4);
    let pp = fmadd::<FMA>(s2, f8 * f8, fmadd::<FMA>(s1, f8, s0));
    let p = fmadd::<FMA>(pp, f2, 2.0);
    fmadd::<FMA>(ef, LN2_HI, fmadd::<FMA>(ef, LN2_LO, f * p))
}

crate::multiversion! {
    /// ln of every value, vectorized where the value is positive, normal
    /// and finite; the standard library's ln for the rest (0 -> -inf,
    /// negatives and NaN -> NaN, subnormals, inf): a pass over a data
    /// column (ln of inputs and targets) at a few cycles per value instead
    /// of a libm call each.
    pub fn ln_slice(src: &[f64], dst: &mut [f64]) {
        for (d, &v) in dst.iter_mut().zip(src) {
            *d = ln_positive_k::<FMA>(v);
        }
        for (d, &v) in dst.iter_mut().zip(src) {
            if !(v.is_normal() && v > 0.0) {
                *d = ln_rare(v);
            }
        }
    }
}

/// libm's ln for the rare values [`ln_slice`] does not vectorize; out of
/// line and behind `black_box`, so the compiler cannot turn the fix-up
/// loop into a libm call for every value.
#[cold]
#[inline(never)]
fn ln_rare(v: f64) -> f64 {
    std::hint::black_box(v).ln()
}

/// Columns from this many values on take the vectorized [`ln_slice`];
/// shorter ones libm's ln (correctly rounded in practice), so that fits on
/// small data keep their last bits (fits in flat valleys follow them; see
/// BENCHMARKS.md, issue 22). Below it the pass costs well under a
/// millisecond either way.
pub const VECTOR_LN_MIN: usize = 1 << 16;

/// ln of every value of a data column (ln 0 = -inf): [`ln_slice`] from
/// [`VECTOR_LN_MIN`] values on, libm's ln below.
pub fn ln_vec(src: &[f64]) -> Vec<f64> {
    if src.len() < VECTOR_LN_MIN {
        return src.iter().map(|v| v.ln()).collect();
    }
    let mut out = vec![0.0; src.len()];
    ln_slice(src, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_std() {
        let mut worst: f64 = 0.0;
        let mut x = -700.0;
        while x < 700.0 {
            let rel = (exp(x) - x.exp()).abs() / x.exp();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 4e-16, "worst relative error {worst}");
        assert!(exp(1000.0).is_finite() && exp(-1000.0) >= 0.0);
        // The extremes of the clamp: 2^k stays normal and finite.
        assert!((exp(709.0) / 709f64.exp() - 1.0).abs() < 4e-16);
        assert!((exp(-708.0) / (-708f64).exp() - 1.0).abs() < 4e-16);
    }

    #[test]
    fn ln_1p_recip_matches_std() {
        let (mut worst_ln, mut worst_r): (f64, f64) = (0.0, 0.0);
        let mut xs: Vec<f64> = (0..=20_000).map(|i| i as f64 / 20_000.0).collect();
        xs.extend((1..=700).map(|i| (-(i as f64) * 0.05).exp()));
        xs.extend([
            0.0,
            f64::MIN_POSITIVE,
            1e-300,
            1e-17,
            std::f64::consts::SQRT_2 - 1.0,
            (std::f64::consts::SQRT_2 - 1.0).next_up(),
            1.0,
        ]);
        for x in xs {
            for fma in [false, true] {
                let (l, r) = if fma {
                    ln_1p_recip_k::<true>(x)
                } else {
                    ln_1p_recip_k::<false>(x)
                };
                let want = x.ln_1p();
                let e = if want == 0.0 {
                    l.abs()
                } else {
                    (l - want).abs() / want
                };
                worst_ln = worst_ln.max(e);
                worst_r = worst_r.max((r * (1.0 + x) - 1.0).abs());
            }
        }
        println!("ln(1 + x): worst {worst_ln:e}, 1 / (1 + x): worst {worst_r:e}");
        // A few roundings more than `ln_positive_k` (the shared reciprocal)
        assert!(
            worst_ln < 8e-16,
            "ln(1 + x): worst relative error {worst_ln}"
        );
        assert!(
            worst_r < 4e-16,
            "1 / (1 + x): worst relative error {worst_r}"
        );
    }

    #[test]
    fn fused_variants_match_std() {
        let mut worst: f64 = 0.0;
        let mut x = -700.0;
        while x < 700.0 {
            worst = worst.max((exp_k::<true>(x) - x.exp()).abs() / x.exp());
            let y = x.abs() + 1e-3;
            worst = worst.max((ln_positive_k::<true>(y) - y.ln()).abs() / y.ln().abs().max(1.0));
            x += 0.0137;
        }
        assert!(worst < 4e-16, "worst error {worst}");
        assert_eq!(fmadd::<true>(2.0, 3.0, 1.0), 7.0);
        assert_eq!(fmadd::<false>(2.0, 3.0, 1.0), 7.0);
    }

    #[test]
    fn shallow_variants_match_std() {
        for fma in [false, true] {
            let (e, l) = if fma {
                (
                    exp_shallow_k::<true> as fn(f64) -> f64,
                    ln_shallow_k::<true> as fn(f64) -> f64,
                )
            } else {
                (
                    exp_shallow_k::<false> as fn(f64) -> f64,
                    ln_shallow_k::<false> as fn(f64) -> f64,
                )
            };
            let mut worst: f64 = 0.0;
            let mut x = -708.0;
            while x <= 709.0 {
                worst = worst.max((e(x) - x.exp()).abs() / x.exp());
                // and against the Horner form, which the kernels used before
                worst = worst.max((e(x) - exp_k::<true>(x)).abs() / x.exp() / 2.0);
                x += 0.00731;
            }
            // Clamped, never inf or NaN; the clamp's ends are normal.
            assert_eq!(e(1e4), e(709.0));
            assert!(e(f64::MAX).is_finite() && e(-1e4) > 0.0 && e(-1e4) == e(-708.0));
            assert!((e(709.0) / 709f64.exp() - 1.0).abs() < 4e-16);
            assert!((e(-708.0) / (-708f64).exp() - 1.0).abs() < 4e-16);
            assert_eq!(e(0.0), 1.0);
            let mut y = f64::MIN_POSITIVE;
            while y < 1e308 {
                worst = worst.max((l(y) - y.ln()).abs() / y.ln().abs().max(1.0));
                y *= 1.0137;
            }
            let r2 = std::f64::consts::SQRT_2;
            for &y in &[
                0.5,
                0.999_999_999,
                1.000_000_001,
                2.0,
                r2,
                r2 * (1.0 - 1e-15),
                r2 * (1.0 + 1e-15),
                f64::MAX,
                f64::MIN_POSITIVE,
            ] {
                worst = worst.max((l(y) - y.ln()).abs() / y.ln().abs().max(1e-300));
            }
            assert_eq!(l(1.0), 0.0);
            assert!(worst < 4e-16, "worst relative error {worst} (fma {fma})");
        }
    }

    #[test]
    fn ln_slice_matches_std_everywhere() {
        let mut src = vec![
            0.0,
            -0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::MIN_POSITIVE / 8.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            1.0,
        ];
        let mut x = 1e-300;
        while x < 1e300 {
            src.push(x);
            x *= 1.173;
        }
        let mut out = vec![0.0; src.len()];
        ln_slice(&src, &mut out);
        for (&v, &l) in src.iter().zip(&out) {
            let want = v.ln();
            if want.is_nan() {
                assert!(l.is_nan(), "ln({v}) = {l}");
            } else if want.is_infinite() {
                assert_eq!(l, want, "ln({v})");
            } else {
                assert!(
                    (l - want).abs() <= 4e-16 * want.abs().max(1.0),
                    "ln({v}) = {l}, not {want}"
                );
            }
        }
    }

    #[test]
    fn ln_matches_std() {
        let mut worst: f64 = 0.0;
        let mut x = 1e-300;
        while x < 1e300 {
            let err = (ln_positive(x) - x.ln()).abs() / x.ln().abs().max(1.0);
            worst = worst.max(err);
            x *= 1.0371;
        }
        // Near 1 (where ln x is small) and around the sqrt(2) switch.
        let r2 = std::f64::consts::SQRT_2;
        for &x in &[
            0.5,
            0.999_999,
            1.000_001,
            2.0,
            r2 * (1.0 - 1e-9),
            r2 * (1.0 + 1e-9),
        ] {
            let err = (ln_positive(x) - f64::ln(x)).abs() / f64::ln(x).abs();
            worst = worst.max(err);
        }
        assert_eq!(ln_positive(1.0), 0.0);
        assert!(worst < 4e-16, "worst error {worst}");
    }
}
