//! The objective: a robust (Huber) or squared loss of the residuals, on log L
//! (default) or on L, summed over points with their weights.

use crate::law::Law;
use crate::observations::Observations;

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Loss {
    /// Huber with threshold delta: r^2/2 inside, delta (|r| - delta/2) outside.
    Huber { delta: f64 },
    /// r^2.
    Squared,
}

impl Loss {
    #[inline]
    pub fn rho(self, r: f64) -> f64 {
        match self {
            Loss::Huber { delta } => {
                let a = r.abs();
                if a <= delta {
                    0.5 * r * r
                } else {
                    delta * (a - 0.5 * delta)
                }
            }
            Loss::Squared => r * r,
        }
    }
    /// d rho / d r.
    #[inline]
    pub fn psi(self, r: f64) -> f64 {
        match self {
            Loss::Huber { delta } => r.clamp(-delta, delta),
            Loss::Squared => 2.0 * r,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Space {
    /// Residual ln(prediction) - ln(y).
    Log,
    /// Residual prediction - y.
    Linear,
}

/// Per-thread buffers for predictions and Jacobians, reused across
/// evaluations (an objective is evaluated hundreds of thousands of times).
#[derive(Default)]
struct Scratch {
    pred: Vec<f64>,
    jac: Vec<f64>,
}

impl Scratch {
    fn take(&mut self, n: usize, nj: usize) -> (&mut [f64], &mut [f64]) {
        if self.pred.len() < n {
            self.pred.resize(n, 0.0);
        }
        if self.jac.len() < nj {
            self.jac.resize(nj, 0.0);
        }
        (&mut self.pred[..n], &mut self.jac[..nj])
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// The objective for one law on one set of observations.
pub struct Objective<'a> {
    pub law: &'a Law,
    pub obs: &'a Observations,
    pub loss: Loss,
    pub space: Space,
    target: Vec<f64>,
    lnx: Vec<f64>,
}

impl<'a> Objective<'a> {
    pub fn new(law: &'a Law, obs: &'a Observations, loss: Loss, space: Space) -> Self {
        let target = match space {
            Space::Log => obs.y.iter().map(|y| y.ln()).collect(),
            Space::Linear => obs.y.clone(),
        };
        let lnx = obs.x.iter().map(|&v| crate::law::ln_input(v)).collect();
        Objective {
            law,
            obs,
            loss,
            space,
            target,
            lnx,
        }
    }

    /// Objective value and gradient w.r.t. the internal parameters. A point
    /// where the law is undefined (non-finite or, in log space, non-positive
    /// prediction) makes the objective +inf.
    pub fn value_grad(&self, u: &[f64], grad: &mut [f64]) -> f64 {
        let n = self.obs.len();
        let p = u.len();
        let d = self.obs.dim();
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            let (pred, jac) = scratch.take(n, n * p);
            match self.space {
                Space::Log => self
                    .law
                    .model
                    .ln_batch(&self.obs.x, &self.lnx, d, u, pred, jac),
                Space::Linear => {
                    self.law
                        .model
                        .value_batch(&self.obs.x, &self.lnx, d, u, pred, jac)
                }
            }
            grad.iter_mut().for_each(|g| *g = 0.0);
            let (huber, delta) = match self.loss {
                Loss::Huber { delta } => (true, delta),
                Loss::Squared => (false, 0.0),
            };
            let total = reduce(
                huber,
                delta,
                pred,
                &self.target,
                &self.obs.weight,
                jac,
                grad,
            );
            if total.is_finite() && grad.iter().all(|g| g.is_finite()) {
                total
            } else {
                f64::INFINITY
            }
        })
    }

    pub fn value(&self, u: &[f64]) -> f64 {
        let mut g = vec![0.0; u.len()];
        self.value_grad(u, &mut g)
    }

    /// Residuals in the objective's space and their Jacobian w.r.t. the
    /// internal parameters (row major, one row per point).
    pub fn residuals_jacobian(&self, u: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = self.obs.len();
        let p = u.len();
        let d = self.obs.dim();
        let mut pred = vec![0.0; n];
        let mut jac = vec![0.0; n * p];
        match self.space {
            Space::Log => {
                self.law
                    .model
                    .ln_batch(&self.obs.x, &self.lnx, d, u, &mut pred, &mut jac)
            }
            Space::Linear => {
                self.law
                    .model
                    .value_batch(&self.obs.x, &self.lnx, d, u, &mut pred, &mut jac)
            }
        }
        for (r, t) in pred.iter_mut().zip(&self.target) {
            *r -= t;
        }
        (pred, jac)
    }

    /// Residuals in the objective's space.
    pub fn residuals(&self, u: &[f64]) -> Vec<f64> {
        (0..self.obs.len())
            .map(|i| {
                let d = self.obs.dim();
                let v = self
                    .law
                    .model
                    .value(self.obs.point(i), &self.lnx[i * d..(i + 1) * d], u);
                match self.space {
                    Space::Log => v.ln() - self.target[i],
                    Space::Linear => v - self.target[i],
                }
            })
            .collect()
    }
}

crate::multiversion! {
    /// Sum of the (weighted) losses of the residuals pred - target, with
    /// their gradient J^T psi accumulated into `grad` (J: one row per point).
    fn reduce(
        huber: bool,
        delta: f64,
        pred: &[f64],
        target: &[f64],
        weight: &[f64],
        jac: &[f64],
        grad: &mut [f64],
    ) -> f64 {
        let p = grad.len();
        let mut total = 0.0;
        for (((&pr, &t), &w), row) in pred
            .iter()
            .zip(target)
            .zip(weight)
            .zip(jac.chunks_exact(p))
        {
            let r = pr - t;
            let (rho, psi) = if huber {
                let a = r.abs();
                let rho = if a <= delta {
                    0.5 * r * r
                } else {
                    delta * (a - 0.5 * delta)
                };
                (rho, r.clamp(-delta, delta))
            } else {
                (r * r, 2.0 * r)
            };
            total += w * rho;
            let s = w * psi;
            for (g, j) in grad.iter_mut().zip(row) {
                *g += s * j;
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huber_is_continuous_at_delta() {
        let l = Loss::Huber { delta: 1e-3 };
        let a = l.rho(1e-3 - 1e-12);
        let b = l.rho(1e-3 + 1e-12);
        assert!((a - b).abs() < 1e-14);
        assert_eq!(l.psi(5.0), 1e-3);
    }
}
