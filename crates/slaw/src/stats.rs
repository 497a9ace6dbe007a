//! Small statistics shared by the fits, the decisions and their intervals:
//! the normal quantile, percentiles, and the error sums behind R^2, MAE and
//! RMSE (the Huber loss is `objective::huber`).

/// Sums of the errors of predictions against the truth, over the pairs:
/// what R^2, MAE, RMSE and the largest error are computed from (one pass,
/// in order, so every caller gets the same bits).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorSums {
    /// Pairs summed.
    pub n: usize,
    /// Sum of (pred - truth)^2.
    pub ss_res: f64,
    /// Sum of (truth - mean truth)^2.
    pub ss_tot: f64,
    /// Sum of |pred - truth|.
    pub sum_abs: f64,
    /// Largest |pred - truth|.
    pub max_abs: f64,
}

impl ErrorSums {
    /// The sums over the pairs of `pred` and `truth` (up to the shorter).
    pub fn new(pred: &[f64], truth: &[f64]) -> ErrorSums {
        let n = truth.len().max(1) as f64;
        let mean = truth.iter().sum::<f64>() / n;
        let (mut ss_res, mut ss_tot, mut sum_abs, mut max_abs) = (0.0, 0.0, 0.0, 0.0f64);
        for (p, t) in pred.iter().zip(truth) {
            let e = p - t;
            ss_res += e * e;
            ss_tot += (t - mean) * (t - mean);
            sum_abs += e.abs();
            max_abs = max_abs.max(e.abs());
        }
        ErrorSums {
            n: truth.len(),
            ss_res,
            ss_tot,
            sum_abs,
            max_abs,
        }
    }
    /// 1 - ss_res / ss_tot (not finite when the truth is constant).
    pub fn r2(&self) -> f64 {
        1.0 - self.ss_res / self.ss_tot
    }
    /// R^2 where it is defined (NaN, JSON null, elsewhere) and, where it is
    /// not, why: under 2 points, losses all equal, their variance
    /// overflowing (a loss of 1e308 among losses near 2), or a prediction's
    /// error not finite. Reports print the reason beside "R^2 n/a".
    pub fn r2_defined(&self) -> (f64, Option<&'static str>) {
        let why = if self.n < 2 {
            Some("fewer than 2 observed points")
        } else if self.ss_tot == 0.0 {
            Some("the observed losses are all equal")
        } else if !self.ss_tot.is_finite() {
            Some("the variance of the observed losses overflows (a loss near the top of the doubles?)")
        } else if !self.ss_res.is_finite() {
            Some("a prediction or its error is not finite")
        } else {
            None
        };
        match why {
            None if self.r2().is_finite() => (self.r2(), None),
            None => (f64::NAN, Some("it is not finite")),
            Some(w) => (f64::NAN, Some(w)),
        }
    }
    /// Mean absolute error.
    pub fn mae(&self) -> f64 {
        self.sum_abs / self.n.max(1) as f64
    }
    /// Root mean squared error.
    pub fn rmse(&self) -> f64 {
        (self.ss_res / self.n.max(1) as f64).sqrt()
    }
}

/// Percentile `q` in [0, 1] of sorted data with linear interpolation (NaN
/// when empty).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let i = pos.floor() as usize;
    let j = (i + 1).min(sorted.len() - 1);
    sorted[i] + (sorted[j] - sorted[i]) * (pos - i as f64)
}

/// The median of `v` (the mean of the two middle values for an even
/// count; NaN when empty). NaNs sort last.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

/// A robust standard deviation: 1.4826 median |v - median v| (the sd of a
/// normal sample; NaN when empty).
pub fn mad_sd(v: &[f64]) -> f64 {
    let centre = median(v.to_vec());
    1.4826 * median(v.iter().map(|x| (x - centre).abs()).collect())
}

/// The white noise of a series from its second differences: [`mad_sd`] of
/// y[i+1] - 2 y[i] + y[i-1] over sqrt(6) (white noise of sd s gives second
/// differences of variance 6 s^2; a smooth bend changes little between
/// neighbours). `d2`: the second differences (of one series or several).
pub fn second_difference_noise(d2: &[f64]) -> f64 {
    mad_sd(d2) / 6f64.sqrt()
}

/// The second differences of `y`.
pub fn second_differences(y: &[f64]) -> impl Iterator<Item = f64> + '_ {
    y.windows(3).map(|w| w[2] - 2.0 * w[1] + w[0])
}

/// The medians of the first and the last quarter of `v` (values in the
/// order of their input) when the last is above the first: a series that
/// rises over its span. `None` otherwise, or with fewer than 4 values.
pub fn rises(v: &[f64]) -> Option<(f64, f64)> {
    let q = v.len() / 4;
    if q == 0 {
        return None;
    }
    let (a, b) = (median(v[..q].to_vec()), median(v[v.len() - q..].to_vec()));
    (b > a).then_some((a, b))
}

/// The standard normal quantile (Acklam's rational approximation, relative
/// error < 1.2e-9), for p in (0, 1).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The quantile of Student's t with `df` degrees of freedom at p in (0, 1):
/// closed forms for 1 and 2 degrees of freedom, else the Cornish-Fisher
/// expansion around the normal quantile (Abramowitz & Stegun 26.7.5;
/// within 1e-3 of the exact value for df >= 3 and p in [0.005, 0.995]).
pub fn student_t_quantile(p: f64, df: usize) -> f64 {
    if !(p > 0.0 && p < 1.0) || df == 0 {
        return f64::NAN;
    }
    match df {
        1 => (std::f64::consts::PI * (p - 0.5)).tan(),
        2 => (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt(),
        _ => {
            let x = normal_quantile(p);
            let n = df as f64;
            let (x2, x3) = (x * x, x * x * x);
            let (x5, x7, x9) = (x3 * x2, x3 * x2 * x2, x3 * x3 * x3);
            let g1 = (x3 + x) / 4.0;
            let g2 = (5.0 * x5 + 16.0 * x3 + 3.0 * x) / 96.0;
            let g3 = (3.0 * x7 + 19.0 * x5 + 17.0 * x3 - 15.0 * x) / 384.0;
            let g4 = (79.0 * x9 + 776.0 * x7 + 1482.0 * x5 - 1920.0 * x3 - 945.0 * x) / 92160.0;
            x + g1 / n + g2 / (n * n) + g3 / (n * n * n) + g4 / (n * n * n * n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R^2 n/a says why: not "all equal" for a loss of 1e308 among losses
    /// near 2 (the variance overflows) or for a single point.
    #[test]
    fn r2_says_why_it_is_not_defined() {
        let (r2, why) = ErrorSums::new(&[2.0, 2.1, 2.2], &[2.0, 2.1, 2.3]).r2_defined();
        assert!(r2.is_finite() && why.is_none());
        let why_of = |p: &[f64], t: &[f64]| ErrorSums::new(p, t).r2_defined().1.unwrap();
        assert_eq!(
            why_of(&[2.0, 2.0], &[2.0, 2.0]),
            "the observed losses are all equal"
        );
        assert_eq!(why_of(&[2.0], &[2.5]), "fewer than 2 observed points");
        assert!(why_of(&[2.0, 2.1, 2.2], &[2.0, 1e308, 2.2]).contains("overflows"));
        assert!(why_of(&[2.0, f64::NAN, 2.2], &[2.0, 2.1, 2.2]).contains("not finite"));
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(vec![]).is_nan());
    }

    #[test]
    fn normal_quantiles() {
        assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-8);
        assert!((normal_quantile(0.95) - 1.644_853_627).abs() < 1e-8);
        assert!((normal_quantile(0.001) + 3.090_232_306).abs() < 1e-8);
        assert!(normal_quantile(0.5).abs() < 1e-12);
        assert!(normal_quantile(1.0).is_nan());
    }

    #[test]
    fn student_t_quantiles() {
        // Tables: t(0.95; 1, 2, 3, 5, 10, 30) and t(0.975; 3).
        for (df, p, t) in [
            (1, 0.95, 6.313_752),
            (2, 0.95, 2.919_986),
            (3, 0.95, 2.353_363),
            (5, 0.95, 2.015_048),
            (10, 0.95, 1.812_461),
            (30, 0.95, 1.697_261),
            (3, 0.975, 3.182_446),
        ] {
            let q = student_t_quantile(p, df);
            assert!((q - t).abs() < 2e-3 * t, "df {df} p {p}: {q} vs {t}");
            assert!((student_t_quantile(1.0 - p, df) + q).abs() < 1e-9);
        }
        assert!(student_t_quantile(0.5, 4).abs() < 1e-12);
        assert!(student_t_quantile(0.95, 0).is_nan());
    }
}
