//! The warmup in the multi-power law's drop sum, by quadrature.
//!
//! Luo et al. sum the drop term over every step from the first one:
//! LD(t) = B sum_(k=1..t) (eta_(k-1) - eta_k) G(eta_k^-gamma (S1(t) - S1(k-1))).
//! During a warmup each step *raises* the rate, so the warmup enters as
//! negative drops (about +B eta_peak on the loss once the warmup is over;
//! it is what their fitted L0 absorbs). Summed step by step that is W terms
//! per point (2,160 on the multi-power curves). Here the first and the last
//! `EXACT` steps of the ramp are summed one by one (the rate near 0 makes
//! eta^-gamma steep; the steps just before a point make S1(t) - S1(k-1)
//! small), and the steps between by Gauss-Legendre (nodes gathered toward
//! both ends by a cubic change of variable) with the Euler-Maclaurin end
//! terms: sum_(k=a..b) f(k) ~ integral_a^b f + (f(a) + f(b)) / 2.
//! 2 `EXACT` + `GL_NODES` + 2 terms per point (test below: within 2e-7 of
//! the step-by-step sum in loss units; 5e-6 without the change of variable).

use super::curve::LrPath;
use std::sync::OnceLock;

/// A term of the drop sum: (decrease of the rate, here negative; rate after
/// the step; forward area at the step's start).
pub type Node = (f64, f64, f64);

/// Steps summed exactly at each end of the ramp.
pub const EXACT: usize = 8;
/// Gauss-Legendre nodes over the rest of the ramp.
pub const GL_NODES: usize = 16;

/// The terms of the warmup's steps 1..=floor(`end`) (step k takes the rate
/// from eta(k - 1) to eta(k)). Steps with no change of rate are left out.
pub fn nodes(path: &LrPath, end: f64) -> Vec<Node> {
    let n = if end.is_finite() && end >= 1.0 {
        end.floor() as usize
    } else {
        0
    };
    let term = |k: f64, w: f64| -> Node {
        let (e0, e1) = (path.at(k - 1.0), path.at(k));
        (-(e1 - e0) * w, e1, path.area(k - 1.0))
    };
    let mut out = Vec::new();
    if n <= 2 * EXACT + GL_NODES + 2 {
        out.extend((1..=n).map(|k| term(k as f64, 1.0)));
    } else {
        out.extend((1..=EXACT).map(|k| term(k as f64, 1.0)));
        let (a, b) = ((EXACT + 1) as f64, (n - EXACT) as f64);
        out.push(term(a, 0.5));
        // k = a + (b - a) phi(v), phi(v) = v^2 (3 - 2 v): nodes gather
        // toward both ends, where the terms change fastest.
        for &(x, w) in gauss_legendre() {
            let v = 0.5 * (x + 1.0);
            let k = a + (b - a) * v * v * (3.0 - 2.0 * v);
            out.push(term(k, 0.5 * w * (b - a) * 6.0 * v * (1.0 - v)));
        }
        out.push(term(b, 0.5));
        out.extend((n - EXACT + 1..=n).map(|k| term(k as f64, 1.0)));
    }
    out.retain(|t| t.0 != 0.0);
    out
}

/// Nodes and weights of the `GL_NODES`-point Gauss-Legendre rule on [-1, 1]
/// (Newton's method on the Legendre polynomial; exact to rounding).
fn gauss_legendre() -> &'static [(f64, f64)] {
    static RULE: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    RULE.get_or_init(|| {
        let n = GL_NODES;
        (0..n)
            .map(|i| {
                let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
                let mut dp = 0.0;
                for _ in 0..100 {
                    // P_n(x) and P_n'(x) by the three-term recurrence.
                    let (mut p0, mut p1) = (1.0, x);
                    for k in 2..=n {
                        let kf = k as f64;
                        let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
                        p0 = p1;
                        p1 = p2;
                    }
                    dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
                    let dx = p1 / dp;
                    x -= dx;
                    if dx.abs() < 1e-15 {
                        break;
                    }
                }
                (x, 2.0 / ((1.0 - x * x) * dp * dp))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_integrates_polynomials_exactly() {
        let r = gauss_legendre();
        assert_eq!(r.len(), GL_NODES);
        assert!((r.iter().map(|p| p.1).sum::<f64>() - 2.0).abs() < 1e-13);
        for deg in [2, 10, 30] {
            let v: f64 = r.iter().map(|&(x, w)| w * x.powi(deg)).sum();
            assert!((v - 2.0 / (deg as f64 + 1.0)).abs() < 1e-13, "x^{deg}: {v}");
        }
    }

    /// The quadrature against the step-by-step sum on the multi-power
    /// curves' 2,160-step linear warmup, at the published 100M parameters
    /// and at extreme shapes, at points from the warmup's end to step 72,000.
    #[test]
    fn quadrature_matches_the_step_by_step_sum() {
        let path = LrPath::from_points(&[2160.0, 72_000.0], &[3e-4, 3e-4]);
        let quad = nodes(&path, 2160.0);
        assert!(quad.len() <= 2 * EXACT + GL_NODES + 2, "{}", quad.len());
        let exact: Vec<Node> = (1..=2160)
            .map(|k| {
                let k = k as f64;
                (
                    path.at(k - 1.0) - path.at(k),
                    path.at(k),
                    path.area(k - 1.0),
                )
            })
            .collect();
        let sum = |ns: &[Node], s1: f64, c: f64, beta: f64, gamma: f64| -> f64 {
            ns.iter()
                .map(|&(d, eta, s)| {
                    let x = eta.powf(-gamma) * (s1 - s).max(0.0);
                    d * (1.0 - (c * x + 1.0).powf(-beta))
                })
                .sum()
        };
        for (b, c, beta, gamma) in [
            (437.9, 2.132, 0.598, 0.655),
            (400.0, 0.01, 0.05, 0.0),
            (400.0, 50.0, 2.0, 1.5),
            (400.0, 1.0, 0.5, 0.5),
        ] {
            for t in [2160.0, 2161.0, 2288.0, 5000.0, 24_000.0, 72_000.0] {
                let s1 = path.area(t);
                let (e, q) = (
                    sum(&exact, s1, c, beta, gamma),
                    sum(&quad, s1, c, beta, gamma),
                );
                assert!(
                    (b * (e - q)).abs() < 2e-7,
                    "t {t} C {c} beta {beta} gamma {gamma}: {} vs {} (loss units)",
                    b * e,
                    b * q
                );
            }
        }
    }
}
