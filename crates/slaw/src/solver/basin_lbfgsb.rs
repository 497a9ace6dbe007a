//! basin's L-BFGS-B (a port of the reference Fortran code) as a `Solver`.
//!
//! Scale: the objective handed to basin is f / s with s = |f(x0)| (or 1).
//! basin's relative tests use max(|f|, 1), so without this an objective near
//! 1e-3 would stop early; `Fit` then polishes its winner with s = |f*|.

use super::{Function, Outcome, Solver, Termination, Tolerances};
use basin::{Constraints, CostFunction, Executor, FirstOrderState, Gradient, Lbfgsb};
use std::convert::Infallible;

#[derive(Debug, Clone, Copy, Default)]
/// basin's L-BFGS-B behind the [`Solver`](super::Solver) trait.
pub struct BasinLbfgsb;

struct Scaled<'a> {
    f: &'a dyn Function,
    scale: f64,
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl Constraints for Scaled<'_> {
    type Set = basin::ConstraintSet<basin::BoxBounds<Vec<f64>>>;
    fn constraints(&self) -> <Self::Set as basin::ConstraintDescription>::Borrowed<'_> {
        basin::ConstraintSet::new()
            .with_bounds(basin::BoxBounds::new(Some(&self.lower), Some(&self.upper)))
    }
}

impl CostFunction for Scaled<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    type Error = Infallible;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Infallible> {
        let mut g = vec![0.0; x.len()];
        Ok(self.f.value_grad(x, &mut g) / self.scale)
    }
}

impl Gradient for Scaled<'_> {
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Infallible> {
        let mut g = vec![0.0; x.len()];
        self.cost_and_gradient_into(x, &mut g)?;
        Ok(g)
    }
    fn cost_and_gradient(&self, x: &Vec<f64>) -> Result<(f64, Vec<f64>), Infallible> {
        let mut g = vec![0.0; x.len()];
        let f = self.cost_and_gradient_into(x, &mut g)?;
        Ok((f, g))
    }
    fn cost_and_gradient_into(&self, x: &Vec<f64>, out: &mut Vec<f64>) -> Result<f64, Infallible> {
        out.resize(x.len(), 0.0);
        let f = self.f.value_grad(x, out) / self.scale;
        for g in out.iter_mut() {
            *g /= self.scale;
        }
        Ok(f)
    }
}

impl Solver for BasinLbfgsb {
    fn name(&self) -> &'static str {
        "basin L-BFGS-B"
    }

    fn minimize(
        &self,
        f: &dyn Function,
        x0: &[f64],
        lower: &[f64],
        upper: &[f64],
        tol: &Tolerances,
    ) -> Outcome {
        let x0: Vec<f64> = x0
            .iter()
            .zip(lower.iter().zip(upper))
            .map(|(&v, (&l, &u))| v.clamp(l, u))
            .collect();
        let mut g = vec![0.0; x0.len()];
        let f0 = f.value_grad(&x0, &mut g);
        if !f0.is_finite() {
            return Outcome {
                x: x0,
                f: f0,
                termination: Termination::NonFinite,
                message: "the objective is not finite at the start",
                iterations: 0,
                evaluations: 1,
            };
        }
        let scale = if f0.abs() > 0.0 { f0.abs() } else { 1.0 };
        let problem = Scaled {
            f,
            scale,
            lower: lower.to_vec(),
            upper: upper.to_vec(),
        };
        let solver = Lbfgsb::new()
            .with_m_capacity(10)
            .with_absolute_projected_gradient_tolerance(tol.pgtol)
            .with_relative_cost_reduction_tolerance(tol.ftol);
        let run = Executor::new(problem, solver, FirstOrderState::new(x0.clone()))
            .max_iter(tol.max_iter)
            .run();
        match run {
            Ok(res) => {
                let (termination, message) = match &res.report.termination {
                    basin::Termination::Converged(_) => (
                        Termination::Converged,
                        "basin's convergence test passed (projected gradient or relative decrease)",
                    ),
                    basin::Termination::Limit(_) => (
                        Termination::MaxIterations,
                        "the iteration limit was reached",
                    ),
                    _ => (
                        Termination::LineSearchFailed,
                        "basin stopped without converging (line search or numerical failure)",
                    ),
                };
                let x = res.best_param().clone();
                let fx = res.best_cost() * scale;
                Outcome {
                    x,
                    f: fx,
                    termination,
                    message,
                    iterations: res.iter(),
                    evaluations: res.cost_evals() + 1,
                }
            }
            Err(_) => Outcome {
                x: x0,
                f: f0,
                termination: Termination::NonFinite,
                message: "basin failed (a non-finite value)",
                iterations: 0,
                evaluations: 1,
            },
        }
    }
}
