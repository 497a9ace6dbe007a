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

/// The widest vector unit of this CPU: 0 = baseline x86-64 (or another
/// architecture), 1 = AVX2 + FMA, 2 = AVX-512. Detected once.
#[inline]
pub fn vector_level() -> u8 {
    use std::sync::atomic::{AtomicU8, Ordering};
    static LEVEL: AtomicU8 = AtomicU8::new(u8::MAX);
    let l = LEVEL.load(Ordering::Relaxed);
    if l != u8::MAX {
        return l;
    }
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
            fn v3($($arg: $ty),*) $(-> $ret)? { kernel::<true>($($arg),*) }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            fn v4($($arg: $ty),*) $(-> $ret)? { kernel::<true>($($arg),*) }
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
