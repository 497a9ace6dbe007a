//! Critical fine-tuning data size between two methods: the D_f at which
//! their predicted losses cross, for a given factor value X.
//!
//! Numerically: the roots of ln L1(X, D) - ln L2(X, D) in ln D, bracketed on
//! a log grid and refined by bisection. In closed form when E1 = E2 (the
//! multiplicative law): D_c = H X^gamma with H = (A1 / A2)^(1 / (beta1 - beta2))
//! and gamma = (alpha2 - alpha1) / (beta1 - beta2).

use crate::law::Params;

/// The closed form's (H, gamma); exact only when E1 = E2.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ClosedForm {
    #[serde(rename = "H")]
    /// Coefficient H of D_c = H X^gamma (D_f units at X = 1).
    pub h: f64,
    /// Exponent gamma of D_c = H X^gamma.
    pub gamma: f64,
    /// E1 = E2 to 1e-9 relative: the closed form is the crossing.
    pub exact: bool,
    /// E1 - E2 (the closed form ignores it).
    pub e_difference: f64,
    /// The closed form is usable at the X it was checked at
    /// ([`closed_form_at`]): exact, or the two laws cross within a factor
    /// 2 of its D_c there. Otherwise it approximates no crossing (E differ
    /// by too much against the reducible terms at D_c): the numeric
    /// crossings are the answer. [`closed_form`], at no X, sets it to
    /// `exact`.
    pub valid: bool,
}

impl ClosedForm {
    /// D_c = H X^gamma at `x`.
    pub fn at(&self, x: f64) -> f64 {
        self.h * x.powf(self.gamma)
    }
}

/// From two methods' parameters of the multiplicative law (the catalog's
/// `joint-mult`: A, alpha, beta, E by name) for one factor.
pub fn closed_form(l1: &Params, l2: &Params) -> Option<ClosedForm> {
    let v = |p: &Params, n: &str| p.value(n);
    let db = v(l1, "beta") - v(l2, "beta");
    if db.abs() < 1e-12 || !db.is_finite() {
        return None;
    }
    let (e1, e2) = (v(l1, "E"), v(l2, "E"));
    let exact = (e1 - e2).abs() <= 1e-9 * e1.abs().max(e2.abs());
    Some(ClosedForm {
        h: ((v(l1, "A") / v(l2, "A")).ln() / db).exp(),
        gamma: (v(l2, "alpha") - v(l1, "alpha")) / db,
        exact,
        e_difference: e1 - e2,
        valid: exact,
    })
}

/// [`closed_form`] with its validity at the factor value `x`. The rule,
/// from the law's algebra: with R_i the reducible term A_i / (X^alpha_i
/// D^beta_i), the closed form solves R1 = R2, the crossing solves R1 - R2
/// = E2 - E1. At D = k D_c (R1 = R2 = R at D_c) that is R (k^-beta1 -
/// k^-beta2) = E2 - E1: when |E1 - E2| is small against R, a k near 1
/// solves it; when it is not, the crossing is far from D_c or there is
/// none. The closed form is called valid when exact or when the two laws'
/// losses cross within a factor 2 of D_c (a sign change of ln L1 - ln L2
/// in [D_c / 2, 2 D_c]).
pub fn closed_form_at(l1: &Params, l2: &Params, x: f64) -> Option<ClosedForm> {
    let mut cf = closed_form(l1, l2)?;
    if !cf.exact {
        let dc = cf.at(x);
        let law = crate::law::catalog::joint_mult();
        let gap = |d: f64| law.predict(&[x, d], l1).ln() - law.predict(&[x, d], l2).ln();
        cf.valid = dc.is_finite() && dc > 0.0 && !crossings(gap, 0.5 * dc, 2.0 * dc).is_empty();
    }
    Some(cf)
}

/// Every D in [lo, hi] where f(D) changes sign, refined to 1e-10 in ln D.
pub fn crossings(f: impl Fn(f64) -> f64, lo: f64, hi: f64) -> Vec<f64> {
    const STEPS: usize = 400;
    let (a, b) = (lo.ln(), hi.ln());
    let g = |t: f64| f(t.exp());
    let mut out = Vec::new();
    let mut t0 = a;
    let mut f0 = g(t0);
    for i in 1..=STEPS {
        let t1 = a + (b - a) * i as f64 / STEPS as f64;
        let f1 = g(t1);
        if f0 == 0.0 {
            out.push(t0.exp());
        } else if f0.is_finite() && f1.is_finite() && f0.signum() != f1.signum() && f1 != 0.0 {
            let (mut l, mut r, mut fl) = (t0, t1, f0);
            while r - l > 1e-10 {
                let m = 0.5 * (l + r);
                let fm = g(m);
                if fm == 0.0 {
                    l = m;
                    r = m;
                    break;
                }
                if fm.signum() == fl.signum() {
                    l = m;
                    fl = fm;
                } else {
                    r = m;
                }
            }
            out.push((0.5 * (l + r)).exp());
        }
        t0 = t1;
        f0 = f1;
    }
    if f0 == 0.0 {
        out.push(t0.exp());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_crossing_equals_the_closed_form_when_e_is_shared() {
        let law = crate::law::catalog::joint_mult();
        let l1 = crate::joint::Form::Multiplicative.params(1.2e5, 0.52, &[0.15, 0.7]);
        let l2 = crate::joint::Form::Multiplicative.params(3.9e3, 0.40, &[0.051, 0.7]);
        let cf = closed_form(&l1, &l2).unwrap();
        assert!(cf.exact);
        let predict = |p: &Params, x: f64, d: f64| law.predict(&[x, d], p);
        for x in [1e9, 4e9, 16e9] {
            let roots = crossings(
                |d| predict(&l1, x, d).ln() - predict(&l2, x, d).ln(),
                1.0,
                1e15,
            );
            assert_eq!(roots.len(), 1, "{roots:?}");
            let expect = cf.h * x.powf(cf.gamma);
            assert!(
                (roots[0] / expect - 1.0).abs() < 1e-8,
                "{} vs {expect}",
                roots[0]
            );
        }
    }

    /// The closed form's validity (fix53a): exact with a shared E; valid
    /// with a small E difference (the laws cross within 2x of D_c); not
    /// valid when E differ by much against the reducible terms at D_c.
    #[test]
    fn the_closed_form_is_valid_only_near_a_crossing() {
        let law = crate::law::catalog::joint_mult();
        let p = |a: f64, alpha: f64, beta: f64, e: f64| {
            crate::joint::Form::Multiplicative.params(a, alpha, &[beta, e])
        };
        let x = 4e9;
        let same =
            closed_form_at(&p(1.2e5, 0.52, 0.15, 0.7), &p(3.9e3, 0.40, 0.051, 0.7), x).unwrap();
        assert!(same.exact && same.valid && same.e_difference == 0.0);
        // E differ by 1e-4 against reducible terms of about 0.1: valid
        let (l1, l2) = (p(1.2e5, 0.52, 0.15, 0.7001), p(3.9e3, 0.40, 0.051, 0.7));
        let near = closed_form_at(&l1, &l2, x).unwrap();
        let dc = near.at(x);
        let r = law.predict(&[x, dc], &l1) - 0.7001;
        assert!(!near.exact && near.valid, "{near:?}, R = {r}");
        assert!(r > 100.0 * 1e-4, "{r}");
        let roots = crossings(
            |d| law.predict(&[x, d], &l1).ln() - law.predict(&[x, d], &l2).ln(),
            1.0,
            1e15,
        );
        assert!(
            roots.iter().any(|&c| (c / dc).ln().abs() < 2f64.ln()),
            "{roots:?} {dc}"
        );
        // E differ by 0.13 (the En-De FMT vs Prompt E, 0.75 vs 0.62): not valid
        let (l1, l2) = (p(1.2e5, 0.52, 0.15, 0.75), p(3.9e3, 0.40, 0.051, 0.62));
        let far = closed_form_at(&l1, &l2, x).unwrap();
        assert!(!far.exact && !far.valid, "{far:?}");
        assert!((far.e_difference - 0.13).abs() < 1e-12);
        let roots = crossings(
            |d| law.predict(&[x, d], &l1).ln() - law.predict(&[x, d], &l2).ln(),
            1.0,
            1e15,
        );
        let dc = far.at(x);
        assert!(
            roots.iter().all(|&c| (c / dc).ln().abs() > 2f64.ln()),
            "{roots:?} {dc}"
        );
        // at no X: valid only when exact
        assert!(!closed_form(&l1, &l2).unwrap().valid);
    }

    #[test]
    fn no_crossing_is_an_empty_list() {
        assert!(crossings(|d| d + 1.0, 1.0, 1e6).is_empty());
    }
}
