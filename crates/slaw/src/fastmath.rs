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
#[macro_export]
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn kernel($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            fn v3($($arg: $ty),*) $(-> $ret)? { kernel($($arg),*) }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
            fn v4($($arg: $ty),*) $(-> $ret)? { kernel($($arg),*) }
            #[cfg(target_arch = "x86_64")]
            {
                match $crate::fastmath::vector_level() {
                    // SAFETY: the features were detected on this CPU.
                    2 => return unsafe { v4($($arg),*) },
                    1 => return unsafe { v3($($arg),*) },
                    _ => {}
                }
            }
            kernel($($arg),*)
        }
    };
}

/// e^x for x in [-708, 709] (arguments outside are clamped: no inf, no NaN
/// from overflow; the laws cap their exponents anyway).
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let x = x.clamp(-708.0, 709.0);
    let kf = (x * INV_LN2 + ROUNDER) - ROUNDER;
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    // Taylor series of e^r, |r| <= ln2 / 2, to degree 13 (error < 1e-17).
    let mut p = 1.0 / 6_227_020_800.0;
    p = p * r + 1.0 / 479_001_600.0;
    p = p * r + 1.0 / 39_916_800.0;
    p = p * r + 1.0 / 3_628_800.0;
    p = p * r + 1.0 / 362_880.0;
    p = p * r + 1.0 / 40_320.0;
    p = p * r + 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // Scale by 2^k in two halves so that k = 1024 or -1022 stays finite.
    let k = kf as i64;
    let k1 = k >> 1;
    let k2 = k - k1;
    let s1 = f64::from_bits(((k1 + 1023) as u64) << 52);
    let s2 = f64::from_bits(((k2 + 1023) as u64) << 52);
    p * s1 * s2
}

/// ln x for positive normal x; anything else falls back to the standard library.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    if !(f64::MIN_POSITIVE..f64::INFINITY).contains(&x) {
        return x.ln();
    }
    ln_positive(x)
}

/// ln x without the check: the caller guarantees a positive, normal, finite x
/// (the result is meaningless otherwise). Branch-free, so loops vectorize.
#[inline(always)]
pub fn ln_positive(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let big = m > std::f64::consts::SQRT_2;
    m = if big { m * 0.5 } else { m };
    e += big as i64;
    // ln m = 2 atanh(f), f = (m - 1) / (m + 1), |f| <= 0.1716.
    let f = (m - 1.0) / (m + 1.0);
    let f2 = f * f;
    let mut p = 1.0 / 23.0;
    p = p * f2 + 1.0 / 21.0;
    p = p * f2 + 1.0 / 19.0;
    p = p * f2 + 1.0 / 17.0;
    p = p * f2 + 1.0 / 15.0;
    p = p * f2 + 1.0 / 13.0;
    p = p * f2 + 1.0 / 11.0;
    p = p * f2 + 1.0 / 9.0;
    p = p * f2 + 1.0 / 7.0;
    p = p * f2 + 1.0 / 5.0;
    p = p * f2 + 1.0 / 3.0;
    p = p * f2 + 1.0;
    let ef = e as f64;
    ef * LN2_HI + (ef * LN2_LO + 2.0 * f * p)
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
    }

    #[test]
    fn ln_matches_std() {
        let mut worst: f64 = 0.0;
        let mut x = 1e-300;
        while x < 1e300 {
            let err = (ln(x) - x.ln()).abs() / x.ln().abs().max(1.0);
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
            let err = (ln(x) - f64::ln(x)).abs() / f64::ln(x).abs();
            worst = worst.max(err);
        }
        assert_eq!(ln(1.0), 0.0);
        assert!(worst < 4e-16, "worst error {worst}");
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
    }
}
