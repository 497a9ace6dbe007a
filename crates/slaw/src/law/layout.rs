//! Laws made from a law by laying out its parameters differently — the
//! formula stays the catalog's:
//!
//! - [`Law::with_fixed`]: some parameters held at given values, the fit
//!   varies the others (lmfit's `vary=False`);
//! - [`Law::per_group`]: some parameters taken once per group, the others
//!   shared across groups; each point's group is its context
//!   (`Observations::context`), not an input.

use super::{Law, Model};
use crate::{Error, Result};
use std::sync::Arc;

/// Parameters a stack buffer holds before a law's full vector spills to
/// the heap (the largest catalog law has 18).
const STACK: usize = 24;

/// Run `f` on a zeroed scratch vector of length `n` (on the stack when short).
#[inline]
fn with_buf<R>(n: usize, f: impl FnOnce(&mut [f64]) -> R) -> R {
    if n <= STACK {
        let mut b = [0.0; STACK];
        f(&mut b[..n])
    } else {
        f(&mut vec![0.0; n])
    }
}

fn position(law: &Law, name: &str) -> Result<usize> {
    law.params
        .iter()
        .position(|p| p.name == name)
        .ok_or_else(|| Error::Unknown {
            kind: "parameter",
            name: name.to_string(),
            known: law
                .params
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

impl Law {
    /// The law with the parameters `fixed` (name, natural value) held at
    /// their values: its parameters are the others, in order.
    pub fn with_fixed(&self, fixed: &[(&str, f64)]) -> Result<Law> {
        let mut template = vec![f64::NAN; self.n_params()];
        for &(name, v) in fixed {
            let j = position(self, name)?;
            if !v.is_finite() {
                return Err(Error::Data(format!(
                    "parameter '{name}' of law '{}' cannot be held at {v}",
                    self.name
                )));
            }
            template[j] = self.params[j].transform.to_internal(v);
        }
        let free: Vec<usize> = (0..self.n_params())
            .filter(|&j| template[j].is_nan())
            .collect();
        Ok(Law {
            name: self.name.clone(),
            description: format!(
                "{} ({} held fixed)",
                self.description,
                fixed.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
            ),
            formula: self.formula.clone(),
            inputs: self.inputs.clone(),
            domains: self.domains.clone(),
            params: free.iter().map(|&j| self.params[j].clone()).collect(),
            model: Arc::new(Fixed {
                inner: self.model.clone(),
                template,
                free,
            }),
        })
    }

    /// The law with the parameters `per_group` taken once per group (named
    /// `name[group]`, group after group), then the others shared. A point's
    /// group is `groups[ctx[0]]`, its first context integer.
    pub fn per_group(&self, per_group: &[&str], groups: &[String]) -> Result<Law> {
        if groups.is_empty() {
            return Err(Error::Data(format!(
                "law '{}' per group: no groups",
                self.name
            )));
        }
        let per: Vec<usize> = per_group
            .iter()
            .map(|n| position(self, n))
            .collect::<Result<_>>()?;
        let shared: Vec<usize> = (0..self.n_params()).filter(|j| !per.contains(j)).collect();
        let mut params = Vec::new();
        for g in groups {
            for &j in &per {
                let mut p = self.params[j].clone();
                p.name = format!("{}[{g}]", p.name);
                params.push(p);
            }
        }
        params.extend(shared.iter().map(|&j| self.params[j].clone()));
        Ok(Law {
            name: self.name.clone(),
            description: format!(
                "{} (one {} per group, shared {})",
                self.description,
                per_group.join(", "),
                shared
                    .iter()
                    .map(|&j| self.params[j].name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            formula: self.formula.clone(),
            inputs: self.inputs.clone(),
            domains: self.domains.clone(),
            params,
            model: Arc::new(PerGroup {
                inner: self.model.clone(),
                groups: groups.len(),
                per,
                shared,
            }),
        })
    }
}

/// Parameters held fixed: `template` holds every internal parameter of the
/// inner law, NaN where free; `free` lists the free ones in order.
struct Fixed {
    inner: Arc<dyn Model>,
    template: Vec<f64>,
    free: Vec<usize>,
}

impl Fixed {
    #[inline]
    fn fill(&self, u: &[f64], full: &mut [f64]) {
        full.copy_from_slice(&self.template);
        for (k, &j) in self.free.iter().enumerate() {
            full[j] = u[k];
        }
    }
    /// Evaluate `f(full u, full gradient)` and gather the free gradient.
    #[inline]
    fn eval(&self, u: &[f64], g: &mut [f64], f: impl FnOnce(&[f64], &mut [f64]) -> f64) -> f64 {
        let n = self.template.len();
        with_buf(2 * n, |b| {
            let (full, gf) = b.split_at_mut(n);
            self.fill(u, full);
            let v = f(full, gf);
            for (k, &j) in self.free.iter().enumerate() {
                g[k] = gf[j];
            }
            v
        })
    }
}

/// The context-free `Model` methods of a layout: its `*_at` methods with no
/// context.
macro_rules! without_context_via_at {
    () => {
        fn value_grad(&self, x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
            self.value_grad_at(x, lnx, &[], u, g)
        }
        fn value(&self, x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
            self.value_at(x, lnx, &[], u)
        }
        fn ln_value_grad(&self, x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
            self.ln_value_grad_at(x, lnx, &[], u, g)
        }
    };
}

impl Model for Fixed {
    without_context_via_at!();
    fn ln_value_grad_at(&self, x: &[f64], lnx: &[f64], c: &[u32], u: &[f64], g: &mut [f64]) -> f64 {
        self.eval(u, g, |full, gf| {
            self.inner.ln_value_grad_at(x, lnx, c, full, gf)
        })
    }
    fn value_grad_at(&self, x: &[f64], lnx: &[f64], c: &[u32], u: &[f64], g: &mut [f64]) -> f64 {
        self.eval(u, g, |full, gf| {
            self.inner.value_grad_at(x, lnx, c, full, gf)
        })
    }
    fn value_at(&self, x: &[f64], lnx: &[f64], c: &[u32], u: &[f64]) -> f64 {
        with_buf(self.template.len(), |full| {
            self.fill(u, full);
            self.inner.value_at(x, lnx, c, full)
        })
    }
}

/// Parameters per group: group k's own parameters at `k * per.len()..`,
/// then the shared ones; `per` and `shared` index the inner law's vector.
struct PerGroup {
    inner: Arc<dyn Model>,
    groups: usize,
    per: Vec<usize>,
    shared: Vec<usize>,
}

impl PerGroup {
    /// The point's group, or None (no context, or out of range).
    #[inline]
    fn group(&self, ctx: &[u32]) -> Option<usize> {
        ctx.first()
            .map(|&k| k as usize)
            .filter(|&k| k < self.groups)
    }
    #[inline]
    fn fill(&self, k: usize, u: &[f64], full: &mut [f64]) {
        let np = self.per.len();
        for (m, &j) in self.per.iter().enumerate() {
            full[j] = u[k * np + m];
        }
        let base = self.groups * np;
        for (s, &j) in self.shared.iter().enumerate() {
            full[j] = u[base + s];
        }
    }
    fn eval(
        &self,
        ctx: &[u32],
        u: &[f64],
        g: &mut [f64],
        f: impl FnOnce(&[f64], &mut [f64]) -> f64,
    ) -> f64 {
        g.iter_mut().for_each(|v| *v = 0.0);
        let Some(k) = self.group(ctx) else {
            return f64::NAN;
        };
        let n = self.per.len() + self.shared.len();
        with_buf(2 * n, |b| {
            let (full, gf) = b.split_at_mut(n);
            self.fill(k, u, full);
            let v = f(full, gf);
            let np = self.per.len();
            for (m, &j) in self.per.iter().enumerate() {
                g[k * np + m] = gf[j];
            }
            let base = self.groups * np;
            for (s, &j) in self.shared.iter().enumerate() {
                g[base + s] = gf[j];
            }
            v
        })
    }
}

impl Model for PerGroup {
    without_context_via_at!();
    fn ln_value_grad_at(&self, x: &[f64], lnx: &[f64], c: &[u32], u: &[f64], g: &mut [f64]) -> f64 {
        self.eval(c, u, g, |full, gf| {
            self.inner.ln_value_grad_at(x, lnx, &[], full, gf)
        })
    }
    fn value_grad_at(&self, x: &[f64], lnx: &[f64], c: &[u32], u: &[f64], g: &mut [f64]) -> f64 {
        self.eval(c, u, g, |full, gf| {
            self.inner.value_grad_at(x, lnx, &[], full, gf)
        })
    }
    fn value_at(&self, x: &[f64], lnx: &[f64], c: &[u32], u: &[f64]) -> f64 {
        let Some(k) = self.group(c) else {
            return f64::NAN;
        };
        with_buf(self.per.len() + self.shared.len(), |full| {
            self.fill(k, u, full);
            self.inner.value_at(x, lnx, &[], full)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::law::catalog;

    #[test]
    fn fixed_and_per_group_laws_evaluate_the_catalog_formula() {
        let base = catalog::joint_mult();
        let full = [6.3e2, 0.21, 0.15, 0.75];
        let x = [1e11, 2e5];
        let want = base.predict(&x, &full);
        let fixed = base.with_fixed(&[("beta", 0.15), ("E", 0.75)]).unwrap();
        assert_eq!(fixed.param_names(), ["A", "alpha"]);
        assert!((fixed.predict(&x, &full[..2]) - want).abs() < 1e-12 * want);
        let groups = vec!["model".to_string(), "pretrain".to_string()];
        let per = base.per_group(&["A", "alpha"], &groups).unwrap();
        assert_eq!(
            per.param_names(),
            [
                "A[model]",
                "alpha[model]",
                "A[pretrain]",
                "alpha[pretrain]",
                "beta",
                "E"
            ]
        );
        let p = [1.2e5, 0.52, 6.3e2, 0.21, 0.15, 0.75];
        assert!((per.predict_at(&x, &[1], &p) - want).abs() < 1e-12 * want);
        assert!(per.predict_at(&x, &[2], &p).is_nan());
        // Gradients: the inner law's, gathered.
        let u = per.to_internal(&p);
        let lnx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
        let mut g = vec![0.0; 6];
        per.model.ln_value_grad_at(&x, &lnx, &[1], &u, &mut g);
        let mut gi = vec![0.0; 4];
        base.model
            .ln_value_grad(&x, &lnx, &base.to_internal(&full), &mut gi);
        assert_eq!(g, [0.0, 0.0, gi[0], gi[1], gi[2], gi[3]]);
        assert!(base.with_fixed(&[("gamma", 1.0)]).is_err());
    }
}
