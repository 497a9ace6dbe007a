//! Local bounded minimization behind our own trait, so the backend can be
//! swapped. The default backend is our projected L-BFGS with a strong-Wolfe
//! line search (`LbfgsBox`, see `fit::default_solver`); basin's L-BFGS-B is
//! the alternative `slaw bench engine` compares it to, compiled with the
//! `basin` feature.

/// Calls `$self.$run::<N>($args)` with `N` the number of variables `$n`
/// for 1..=8 and `N = 0` (any number) above: small problems (every scaling
/// law) get a copy of a solver with the dimension known at compile time,
/// each loop over the variables unrolled and without bounds checks; the
/// arithmetic, in the same order, is identical.
macro_rules! by_dimension {
    ($n:expr, $self:ident . $run:ident ( $($arg:expr),* )) => {
        match $n {
            1 => $self.$run::<1>($($arg),*),
            2 => $self.$run::<2>($($arg),*),
            3 => $self.$run::<3>($($arg),*),
            4 => $self.$run::<4>($($arg),*),
            5 => $self.$run::<5>($($arg),*),
            6 => $self.$run::<6>($($arg),*),
            7 => $self.$run::<7>($($arg),*),
            8 => $self.$run::<8>($($arg),*),
            _ => $self.$run::<0>($($arg),*),
        }
    };
}

#[cfg(feature = "basin")]
mod basin_lbfgsb;
mod lbfgs_box;
mod levenberg_marquardt;
pub mod separable;

#[cfg(feature = "basin")]
pub use basin_lbfgsb::BasinLbfgsb;
pub use lbfgs_box::LbfgsBox;
pub use levenberg_marquardt::LevenbergMarquardt;

/// A smooth function with its gradient: returns f(x) and writes grad.
pub trait Function: Sync {
    /// f(x), with its gradient written to `grad`.
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64;
    /// For a least-squares objective f = sum w r^2: f, its gradient
    /// (written to `grad`) and the Gauss-Newton matrix 2 J^T W J (row major,
    /// p x p, written to `gn`) in one pass over the points. `None` (the
    /// default) when f is not a sum of squares.
    fn gauss_newton(&self, _x: &[f64], _grad: &mut [f64], _gn: &mut [f64]) -> Option<f64> {
        None
    }
}

impl<F: Fn(&[f64], &mut [f64]) -> f64 + Sync> Function for F {
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        self(x, grad)
    }
}

/// Why a minimization stopped (as scipy's `OptimizeResult.status`; the
/// message says which test fired).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Termination {
    /// A convergence test passed (projected gradient, or relative decrease).
    Converged,
    /// Converged with at least one parameter on a bound of its box (a fit's
    /// verdict: the solvers report `Converged`).
    AtBound,
    /// The iteration limit was reached first.
    MaxIterations,
    /// The line search found no decrease along a direction that is not yet
    /// at an optimum.
    LineSearchFailed,
    /// The objective was not finite at the start (or the backend failed).
    NonFinite,
    /// A fit's verdict (the solvers never report it): the search ended at
    /// an optimum that explains the fitted points no better than a
    /// constant (its objective not below the best constant's: for squared
    /// errors, R^2 <= 0 in the fit's space).
    NoBetterThanConstant,
}

impl Termination {
    /// The reason in words ("converged", "at bound", "max iterations", ...).
    pub fn name(self) -> &'static str {
        match self {
            Termination::Converged => "converged",
            Termination::AtBound => "at bound",
            Termination::MaxIterations => "max iterations",
            Termination::LineSearchFailed => "line search failed",
            Termination::NonFinite => "non-finite objective",
            Termination::NoBetterThanConstant => "no better than a constant",
        }
    }
    /// True for the reasons that are an optimum ([`Termination::Converged`],
    /// [`Termination::AtBound`]).
    pub fn converged(self) -> bool {
        matches!(self, Termination::Converged | Termination::AtBound)
    }
}

/// The result of one local minimization.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The last (best) point.
    pub x: Vec<f64>,
    /// f there.
    pub f: f64,
    /// Why the solver stopped.
    pub termination: Termination,
    /// The test that fired, in words.
    pub message: &'static str,
    /// Iterations run.
    pub iterations: u64,
    /// Evaluations of f (with its gradient).
    pub evaluations: u64,
}

impl Outcome {
    /// True when a convergence test passed.
    pub fn converged(&self) -> bool {
        self.termination.converged()
    }
}

/// Stopping rules of a local minimization.
#[derive(Debug, Clone, Copy)]
pub struct Tolerances {
    /// Iteration limit.
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

/// A local minimizer over a box.
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
    /// The solver's name, for reports and benchmarks.
    fn name(&self) -> &'static str;
    /// Whether the engine may hand large least-squares fits to
    /// Levenberg-Marquardt with this solver as its fallback (slaw's own
    /// solver: yes; a solver the user chose to compare, such as basin's
    /// L-BFGS-B: no, it runs as asked).
    fn defers_least_squares(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::Termination;

    /// Every termination, by an exhaustive match: a new variant fails to
    /// compile here until it is listed (and documented).
    fn every_termination() -> Vec<Termination> {
        let all = [
            Termination::Converged,
            Termination::AtBound,
            Termination::MaxIterations,
            Termination::LineSearchFailed,
            Termination::NonFinite,
            Termination::NoBetterThanConstant,
        ];
        for t in all {
            match t {
                Termination::Converged
                | Termination::AtBound
                | Termination::MaxIterations
                | Termination::LineSearchFailed
                | Termination::NonFinite
                | Termination::NoBetterThanConstant => {}
            }
        }
        all.to_vec()
    }

    /// README's "JSON output" lists `termination`'s values between "one of:"
    /// and `termination_message`: exactly the serialised values.
    #[test]
    fn readme_lists_exactly_the_serialised_terminations() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let start = readme
            .find("- `termination` (")
            .expect("README's JSON section documents `termination`");
        let list = &readme[start..];
        let list = &list[list.find("one of:").expect("its values follow 'one of:'")..];
        let list = &list[..list.find("`termination_message`").unwrap()];
        let mut listed: Vec<String> = list
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        listed.sort();
        let mut real: Vec<String> = every_termination()
            .into_iter()
            .map(|t| {
                serde_json::to_value(t)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        real.sort();
        assert_eq!(listed, real, "README's termination values: {list}");
        for t in every_termination() {
            assert_eq!(
                t.converged(),
                matches!(t, Termination::Converged | Termination::AtBound)
            );
        }
    }
}
