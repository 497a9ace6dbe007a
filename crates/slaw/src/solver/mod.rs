//! Local bounded minimization behind our own trait, so the backend can be
//! swapped. The default backend is our projected L-BFGS (`LbfgsBox`);
//! basin's L-BFGS-B is the alternative, compiled with the `basin` feature.

#[cfg(feature = "basin")]
mod basin_lbfgsb;
mod lbfgs_box;

#[cfg(feature = "basin")]
pub use basin_lbfgsb::BasinLbfgsb;
pub use lbfgs_box::LbfgsBox;

/// A smooth function with its gradient: returns f(x) and writes grad.
pub trait Function: Sync {
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64;
}

impl<F: Fn(&[f64], &mut [f64]) -> f64 + Sync> Function for F {
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        self(x, grad)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A convergence test passed.
    Converged,
    /// The iteration limit was reached first.
    IterationLimit,
    /// The solver could not make progress (line search failure, non-finite values).
    Failed,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub x: Vec<f64>,
    pub f: f64,
    pub status: Status,
    pub iterations: u64,
    pub evaluations: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct Tolerances {
    pub max_iter: u64,
    /// Stop when the projected gradient's infinity norm is below this times
    /// the objective's scale (see `Solver::minimize`).
    pub pgtol: f64,
    /// Stop when a step reduces f by less than this fraction of |f|.
    pub ftol: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            max_iter: 1000,
            pgtol: 1e-9,
            ftol: 1e-12,
        }
    }
}

pub trait Solver: Send + Sync {
    /// Minimize f over the box [lower, upper] from x0. Tolerances are
    /// relative to the objective's scale, not absolute, so an objective of
    /// 1e-3 is solved as tightly as one of 1e3.
    fn minimize(
        &self,
        f: &dyn Function,
        x0: &[f64],
        lower: &[f64],
        upper: &[f64],
        tol: &Tolerances,
    ) -> Outcome;
    fn name(&self) -> &'static str;
}
