//! Multi-start fitting: the local solver runs from every point of the
//! starting grid, in parallel, and the best converged run wins. The result
//! says how many starts converged, which one won, and warns when the optimum
//! sits on a bound or outside the grid.

use crate::law::Law;
use crate::objective::{Loss, Objective, Space};
use crate::observations::Observations;
use crate::solver::{LbfgsBox, Solver, Status, Tolerances};
use crate::{Error, Result};
use rayon::prelude::*;

#[derive(Debug, Clone)]
pub struct FitOptions {
    pub loss: Loss,
    pub space: Space,
    pub tol: Tolerances,
    /// Starting points (internal units); `None` uses the law's grid.
    pub starts: Option<Vec<Vec<f64>>>,
    /// Screening tolerance: each start stops once a step improves the
    /// objective by less than this fraction of it; the best distinct results
    /// are then polished with `tol`. A start only has to show which basin it
    /// falls in.
    pub screen_ftol: f64,
    /// How many of the best distinct screening optima are polished.
    pub polish: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            loss: Loss::Huber { delta: 1e-3 },
            space: Space::Log,
            tol: Tolerances::default(),
            starts: None,
            screen_ftol: 1e-3,
            polish: 5,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FitResult {
    pub law: String,
    pub param_names: Vec<String>,
    /// Best parameters in natural units.
    pub params: Vec<f64>,
    /// Best parameters in the optimizer's units (ln for log parameters).
    #[serde(skip)]
    pub internal: Vec<f64>,
    pub objective: f64,
    /// True when at least one start converged; the winner is the best converged start.
    pub converged: bool,
    pub n_starts: usize,
    pub n_converged: usize,
    /// Index of the winning start in the grid, and that start (natural units).
    pub best_start: usize,
    pub best_start_point: Vec<f64>,
    pub iterations: u64,
    pub evaluations: u64,
    /// Parameters whose optimum lies on (within 1e-6 of) a bound.
    pub at_bounds: Vec<String>,
    /// Parameters whose optimum lies outside the range spanned by the grid.
    pub outside_grid: Vec<String>,
    pub warnings: Vec<String>,
    /// Distinct local optima (internal units), best first, at most 5: used to
    /// warm-start bootstrap refits.
    #[serde(skip)]
    pub optima: Vec<Vec<f64>>,
    pub n_points: usize,
}

/// The default local solver (see BENCHMARKS.md for the comparison with basin).
pub fn default_solver() -> LbfgsBox {
    LbfgsBox::default()
}

/// Fit `law` to `obs` from every start with the default solver.
pub fn fit(law: &Law, obs: &Observations, opts: &FitOptions) -> Result<FitResult> {
    fit_with(law, obs, opts, &default_solver())
}

pub fn fit_with(
    law: &Law,
    obs: &Observations,
    opts: &FitOptions,
    solver: &dyn Solver,
) -> Result<FitResult> {
    let p = law.n_params();
    if obs.len() < p {
        return Err(Error::input(
            &obs.source,
            None,
            None,
            format!(
                "{} points but law '{}' has {} free parameters: fewer points than parameters{}",
                obs.len(),
                law.name,
                p,
                if obs.group.iter().any(|g| !g.is_empty()) {
                    format!(" (group '{}')", obs.group[0])
                } else {
                    String::new()
                }
            ),
        ));
    }
    let objective = Objective::new(law, obs, opts.loss, opts.space);
    let f = |u: &[f64], g: &mut [f64]| objective.value_grad(u, g);
    let (lower, upper) = law.internal_bounds();
    let grid_storage;
    let starts: &Vec<Vec<f64>> = match &opts.starts {
        Some(s) => s,
        None => {
            grid_storage = law.grid();
            &grid_storage
        }
    };
    if starts.is_empty() {
        return Err(Error::usage("no starting points"));
    }
    // Screening: every start, to a loose tolerance.
    let start_tol = Tolerances {
        ftol: opts.screen_ftol.max(opts.tol.ftol),
        pgtol: (opts.tol.pgtol * 1e5).min(1e-4),
        ..opts.tol
    };
    let outcomes: Vec<_> = starts
        .par_iter()
        .map(|x0| solver.minimize(&f, x0, &lower, &upper, &start_tol))
        .collect();
    let n_converged = outcomes
        .iter()
        .filter(|o| o.status == Status::Converged && o.f.is_finite())
        .count();
    let iterations = outcomes.iter().map(|o| o.iterations).sum();
    let mut evaluations: u64 = outcomes.iter().map(|o| o.evaluations).sum();
    // Best converged start (ties: the lower index); with none converged, the best finite one.
    let pick = |want_converged: bool| {
        outcomes
            .iter()
            .enumerate()
            .filter(|(_, o)| o.f.is_finite() && (!want_converged || o.status == Status::Converged))
            .min_by(|a, b| a.1.f.total_cmp(&b.1.f).then(a.0.cmp(&b.0)))
            .map(|(i, _)| i)
    };
    let best = pick(true).or_else(|| pick(false));
    let Some(best) = best else {
        return Err(Error::Fit(format!(
            "law '{}': the objective is not finite at any of the {} starts (check the data and bounds)",
            law.name,
            starts.len()
        )));
    };
    // Polish: restart the solver from the best few distinct optima with the
    // full tolerances (their scale is now that of the optimum, not of the
    // start), and keep the best. Polishing several guards against a loose
    // start tolerance ranking two nearby basins the wrong way round.
    let mut order: Vec<usize> = (0..outcomes.len())
        .filter(|&i| {
            outcomes[i].f.is_finite()
                && (outcomes[i].status == Status::Converged || n_converged == 0)
        })
        .collect();
    order.sort_by(|&a, &b| outcomes[a].f.total_cmp(&outcomes[b].f).then(a.cmp(&b)));
    let mut candidates: Vec<usize> = Vec::new();
    for &i in &order {
        if candidates.len() >= opts.polish.max(1) {
            break;
        }
        let cand = &outcomes[i].x;
        let distinct = candidates.iter().all(|&c| {
            outcomes[c]
                .x
                .iter()
                .zip(cand)
                .any(|(a, b)| (a - b).abs() > 1e-3 * (1.0 + a.abs()))
        });
        if distinct {
            candidates.push(i);
        }
    }
    let mut converged = n_converged > 0;
    let polished: Vec<(usize, crate::solver::Outcome)> = candidates
        .par_iter()
        .map(|&i| {
            (
                i,
                solver.minimize(&f, &outcomes[i].x, &lower, &upper, &opts.tol),
            )
        })
        .collect();
    evaluations += polished.iter().map(|p| p.1.evaluations).sum::<u64>();
    let mut best = best;
    let mut x = outcomes[best].x.clone();
    let mut fx = outcomes[best].f;
    for (i, p) in &polished {
        if p.f.is_finite() && p.f < fx || (p.f == fx && *i < best) {
            best = *i;
            x = p.x.clone();
            fx = p.f;
        }
    }
    if !fx.is_finite() {
        converged = false;
    }
    let mut optima: Vec<Vec<f64>> = vec![x.clone()];
    let mut rest: Vec<&crate::solver::Outcome> = polished
        .iter()
        .map(|p| &p.1)
        .filter(|o| o.f.is_finite())
        .collect();
    rest.sort_by(|a, b| a.f.total_cmp(&b.f));
    for o in rest {
        let distinct = optima.iter().all(|q| {
            q.iter()
                .zip(&o.x)
                .any(|(a, b)| (a - b).abs() > 1e-3 * (1.0 + a.abs()))
        });
        if distinct {
            optima.push(o.x.clone());
        }
    }

    let mut at_bounds = Vec::new();
    let mut outside_grid = Vec::new();
    let grid_axes: Vec<(f64, f64)> = (0..p)
        .map(|j| {
            starts
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
                    (lo.min(s[j]), hi.max(s[j]))
                })
        })
        .collect();
    for (j, param) in law.params.iter().enumerate() {
        let span = (upper[j] - lower[j]).abs().min(1.0 + x[j].abs());
        if (x[j] - lower[j]).abs() <= 1e-6 * span || (upper[j] - x[j]).abs() <= 1e-6 * span {
            at_bounds.push(param.name.clone());
        }
        let (glo, ghi) = grid_axes[j];
        if ghi > glo && (x[j] < glo || x[j] > ghi) {
            outside_grid.push(param.name.clone());
        }
    }
    let mut warnings = Vec::new();
    if !converged {
        warnings.push(format!(
            "no start converged ({} starts): the result is the best point reached, not an optimum",
            starts.len()
        ));
    }
    if !at_bounds.is_empty() {
        warnings.push(format!(
            "optimum on a bound for: {} (widen the bounds?)",
            at_bounds.join(", ")
        ));
    }
    if !outside_grid.is_empty() {
        warnings.push(format!(
            "optimum outside the starting grid for: {} (extend the grid to be sure it is global)",
            outside_grid.join(", ")
        ));
    }
    Ok(FitResult {
        law: law.name.clone(),
        param_names: law.params.iter().map(|p| p.name.clone()).collect(),
        params: law.to_natural(&x),
        internal: x,
        objective: fx,
        converged,
        n_starts: starts.len(),
        n_converged,
        best_start: best,
        best_start_point: law.to_natural(&starts[best]),
        iterations,
        evaluations,
        at_bounds,
        outside_grid,
        warnings,
        optima,
        n_points: obs.len(),
    })
}
