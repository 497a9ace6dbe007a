//! AtS ("Accept then Stop", Lin et al. 2024): find where a fine-tuning curve
//! enters its power-law phase and extrapolate a straight line in log-log space.

/// A least-squares line y = intercept + slope * x.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Line {
    /// Slope (in log-log space: the power law's exponent).
    pub slope: f64,
    /// Intercept (ln L at ln n = 0).
    pub intercept: f64,
}

impl Line {
    /// Least squares through (x, y); `None` for fewer than two distinct x.
    pub fn fit(x: &[f64], y: &[f64]) -> Option<Line> {
        let n = x.len() as f64;
        if x.len() < 2 {
            return None;
        }
        let mx = x.iter().sum::<f64>() / n;
        let my = y.iter().sum::<f64>() / n;
        let sxx: f64 = x.iter().map(|v| (v - mx) * (v - mx)).sum();
        if sxx <= 0.0 {
            return None;
        }
        let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let slope = sxy / sxx;
        Some(Line {
            slope,
            intercept: my - slope * mx,
        })
    }

    /// The line's value at `x`.
    pub fn at(&self, x: f64) -> f64 {
        self.intercept + self.slope * x
    }

    /// Population standard deviation of the residuals.
    pub fn residual_sd(&self, x: &[f64], y: &[f64]) -> f64 {
        let r: Vec<f64> = x.iter().zip(y).map(|(a, b)| b - self.at(*a)).collect();
        let m = r.iter().sum::<f64>() / r.len() as f64;
        (r.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / r.len() as f64).sqrt()
    }
}

/// The outcome of AtS on one curve.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AtsFit {
    /// Sizes accepted as the power phase (ascending).
    pub accepted: Vec<f64>,
    /// The largest size rejected (the detected phase transition), if any
    /// point was rejected by the test.
    pub transition: Option<f64>,
    /// The line ln L = intercept + slope ln n through the accepted points.
    pub line: Line,
}

impl AtsFit {
    /// The line's predicted loss at size `n` (exp of the line at ln n).
    pub fn predict(&self, n: f64) -> f64 {
        self.line.at(n.ln()).exp()
    }
}

/// AtS on the points (n, loss), n > 0, any order. With the points ascending,
/// for m = k, k+1, ..., a line is fitted to the m largest; the next smaller
/// point is rejected when its residual exceeds `delta` residual standard
/// deviations, and the search stops. As in the reference implementation, the
/// smallest point is never accepted (when nothing is rejected, the n - 1
/// largest points are kept). `None` when fewer than k + 1 points or the line
/// is undefined.
pub fn ats(points: &[(f64, f64)], k: usize, delta: f64) -> Option<AtsFit> {
    let mut pts: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.0 > 0.0).collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = pts.len();
    let k = k.max(2);
    if n < k + 1 {
        return None;
    }
    let x: Vec<f64> = pts.iter().map(|p| p.0.ln()).collect();
    let y: Vec<f64> = pts.iter().map(|p| p.1.ln()).collect();
    let mut m = k;
    let mut rejected = false;
    while m < n {
        let lo = n - m;
        let line = Line::fit(&x[lo..], &y[lo..])?;
        let s = line.residual_sd(&x[lo..], &y[lo..]);
        let r = (y[lo - 1] - line.at(x[lo - 1])).abs();
        if r > delta * s {
            rejected = true;
            break;
        }
        if m == n - 1 {
            break;
        }
        m += 1;
    }
    let lo = n - m;
    let line = Line::fit(&x[lo..], &y[lo..])?;
    Some(AtsFit {
        accepted: pts[lo..].iter().map(|p| p.0).collect(),
        transition: rejected.then(|| pts[lo - 1].0),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_transition_of_a_flat_then_power_curve() {
        // Flat (pre-power) up to n = 800, then an exact power law.
        let pts: Vec<(f64, f64)> = [200.0, 400.0, 800.0, 1600.0, 3200.0, 6400.0, 12800.0]
            .iter()
            .map(|&n: &f64| {
                let l = if n <= 800.0 {
                    3.0
                } else {
                    3.0 * (n / 800.0).powf(-0.3)
                };
                // A little curvature so residual sd > 0.
                (n, l * (1.0 + 1e-4 * (n.ln() * 7.0).sin()))
            })
            .collect();
        let fit = ats(&pts, 3, 5.0).unwrap();
        // 800 lies on both the plateau and the power law; 400 is the first
        // point off the line.
        assert_eq!(fit.transition, Some(400.0));
        assert_eq!(fit.accepted, vec![800.0, 1600.0, 3200.0, 6400.0, 12800.0]);
        assert!((fit.line.slope + 0.3).abs() < 1e-3);
    }

    #[test]
    fn drops_the_smallest_point_when_nothing_is_rejected() {
        let pts: Vec<(f64, f64)> = (0..6)
            .map(|i| {
                let n = 200.0 * 2f64.powi(i);
                (
                    n,
                    5.0 * n.powf(-0.2) * (1.0 + 1e-3 * if i % 2 == 0 { 1.0 } else { -1.0 }),
                )
            })
            .collect();
        let fit = ats(&pts, 3, 5.0).unwrap();
        assert_eq!(fit.transition, None);
        assert_eq!(fit.accepted.len(), 5);
        assert_eq!(fit.accepted[0], 400.0);
    }

    #[test]
    fn too_few_points() {
        assert!(ats(&[(1.0, 2.0), (2.0, 1.5), (4.0, 1.2)], 3, 5.0).is_none());
    }
}
