//! The temporal scaling law (Xiong et al. 2024). At every checkpoint the
//! loss at token position i follows L_i = a0 / (1 + a1 i) + a2; over
//! training each of a0, a1, a2 follows its own trajectory form
//! (`trajectory`), chosen by held-out error on the fitted checkpoints. The
//! forecast at a future step is the mean over positions of the per-position
//! law with the extrapolated parameters; intervals come from refitting the
//! trajectories on checkpoints resampled with replacement.

use super::curve::Curve;
use super::positions::PositionCurves;
use super::trajectory::{self, Candidate, FittedForm, Form};
use crate::bootstrap::{interval_of, resample, Interval};
use crate::fit::{fit, FitOptions};
use crate::law::{exp_capped, Law, Model, Param};
use crate::objective::{Loss, Space};
use crate::observations::{Domain, Observations};
use crate::{Error, Result};
use rayon::prelude::*;
use std::sync::Arc;

pub const PARAMS: [&str; 3] = ["a0", "a1", "a2"];

/// The per-position law L_i = a0 / (1 + a1 i) + a2, internal (ln a0, ln a1, ln a2).
pub fn position_law() -> Law {
    Law {
        name: "position".into(),
        description: "per-position loss at one checkpoint (Xiong et al.)".into(),
        formula: "L_i = a0 / (1 + a1 * i) + a2".into(),
        inputs: vec!["i".into()],
        domains: vec![Domain::Any],
        params: vec![
            Param::log_with_ln_grid("a0", (1e-8, 1e4), &[-1.0, 1.0]),
            Param::log_with_ln_grid("a1", (1e-8, 1e4), &[-6.0, -3.0, 0.0]),
            Param::log_with_ln_grid("a2", (1e-6, 1e4), &[0.0, 1.5]),
        ],
        model: Arc::new(PositionModel),
    }
}

struct PositionModel;

impl Model for PositionModel {
    fn value_grad(&self, x: &[f64], _lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let (a0, a1, a2) = (exp_capped(u[0]), exp_capped(u[1]), exp_capped(u[2]));
        let q = 1.0 + a1 * x[0];
        g[0] = a0 / q;
        g[1] = -a0 * x[0] * a1 / (q * q);
        g[2] = a2;
        a0 / q + a2
    }
    fn value(&self, x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        let mut g = [0.0; 3];
        self.value_grad(x, lnx, u, &mut g)
    }
}

/// Mean over `positions` of the per-position law. Extrapolated parameters
/// are clamped at 0 (a negative a1 would make the law blow up).
pub fn mean_loss(positions: &[f64], a: [f64; 3]) -> f64 {
    let (a0, a1) = (a[0].max(0.0), a[1].max(0.0));
    positions.iter().map(|&i| a0 / (1.0 + a1 * i)).sum::<f64>() / positions.len() as f64 + a[2]
}

/// Fit the per-position law at one checkpoint.
pub fn fit_checkpoint(positions: &[f64], loss: &[f64]) -> Result<([f64; 3], bool)> {
    let law = position_law();
    let obs = Observations::from_columns(&["i"], &[positions.to_vec()], loss.to_vec());
    let opts = FitOptions {
        loss: Loss::Squared,
        space: Space::Log,
        polish: 2,
        ..FitOptions::default()
    };
    let r = fit(&law, &obs, &opts)?;
    Ok(([r.params[0], r.params[1], r.params[2]], r.converged))
}

/// The trajectory inputs (tau, S1, eta) of every point of `curve` (see
/// `trajectory`); S1 and eta are 1 without a schedule.
pub fn inputs(curve: &Curve, t_ref: f64) -> Vec<[f64; 3]> {
    match (curve.features(), curve.lr.as_ref()) {
        (Some(f), Some(lr)) => {
            let peak = lr.iter().copied().fold(0.0, f64::max).max(1e-300);
            curve
                .step
                .iter()
                .zip(&f.s1)
                .zip(lr)
                .map(|((&t, &s1), &e)| [t / t_ref, (s1 / peak / t_ref).max(1e-300), e / peak])
                .collect()
        }
        _ => curve.step.iter().map(|&t| [t / t_ref, 1.0, 1.0]).collect(),
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ParamTrajectory {
    pub param: &'static str,
    pub chosen: FittedForm,
    pub candidates: Vec<Candidate>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TemporalFit {
    pub positions: usize,
    /// Checkpoints fitted and the last fitted step (tau = step / t_ref).
    pub checkpoints: usize,
    pub t_ref: f64,
    /// Whether the trajectories could use the learning-rate schedule.
    pub has_lr: bool,
    /// (step, [a0, a1, a2]) at every fitted checkpoint.
    pub per_checkpoint: Vec<(f64, [f64; 3])>,
    /// Checkpoints whose per-position fit did not converge.
    pub not_converged: Vec<f64>,
    pub trajectories: Vec<ParamTrajectory>,
    #[serde(skip)]
    position_values: Vec<f64>,
    #[serde(skip)]
    xs: Vec<[f64; 3]>,
}

impl TemporalFit {
    /// a0, a1, a2 at trajectory input x.
    pub fn params_at(&self, x: &[f64; 3]) -> [f64; 3] {
        [0, 1, 2].map(|j| self.trajectories[j].chosen.value(x))
    }
    /// The forecast mean loss at trajectory input x.
    pub fn predict(&self, x: &[f64; 3]) -> f64 {
        mean_loss(&self.position_values, self.params_at(x))
    }
    pub fn converged(&self) -> bool {
        self.not_converged.is_empty() && self.trajectories.iter().all(|t| t.chosen.converged)
    }

    /// Percentile intervals of the forecast at each of `at` from `n`
    /// trajectory refits on resampled checkpoints (seeded), and how many
    /// refits converged (only those count).
    pub fn bootstrap(
        &self,
        at: &[[f64; 3]],
        n: usize,
        seed: u64,
        level: f64,
    ) -> (Vec<Interval>, usize) {
        let k = self.per_checkpoint.len();
        let draws: Vec<Option<Vec<f64>>> = (0..n)
            .into_par_iter()
            .map(|b| {
                let idx = resample(k, seed, b);
                let xs: Vec<[f64; 3]> = idx.iter().map(|&i| self.xs[i]).collect();
                let mut forms = Vec::with_capacity(3);
                for (j, tr) in self.trajectories.iter().enumerate() {
                    let y: Vec<f64> = idx.iter().map(|&i| self.per_checkpoint[i].1[j]).collect();
                    forms.push(trajectory::refit(&tr.chosen, &xs, &y)?);
                }
                Some(
                    at.iter()
                        .map(|x| {
                            let a = [0, 1, 2].map(|j| forms[j].value(x));
                            mean_loss(&self.position_values, a)
                        })
                        .collect(),
                )
            })
            .collect();
        let ok: Vec<Vec<f64>> = draws.into_iter().flatten().collect();
        let iv = (0..at.len())
            .map(|i| interval_of(ok.iter().map(|d| d[i]).collect(), level))
            .collect();
        (iv, ok.len())
    }
}

/// Fit the temporal law on the first `k` checkpoints of `pc`. `schedule`
/// is the aggregate curve carrying the learning rates (from the file or a
/// schedule), or None.
pub fn fit_temporal(
    pc: &PositionCurves,
    k: usize,
    schedule: Option<&Curve>,
) -> Result<TemporalFit> {
    fit_temporal_forms(pc, k, schedule, &Form::ALL)
}

/// `fit_temporal` with each parameter's trajectory chosen among `forms`
/// only (one form: every parameter follows it).
pub fn fit_temporal_forms(
    pc: &PositionCurves,
    k: usize,
    schedule: Option<&Curve>,
    forms: &[Form],
) -> Result<TemporalFit> {
    const MIN_FIT: usize = 6;
    if k < MIN_FIT {
        return Err(Error::usage(format!(
            "{k} checkpoints up to the end of the fit: the temporal law needs at least {MIN_FIT} (fit on a longer part of the curve)"
        )));
    }
    let fits: Vec<Result<([f64; 3], bool)>> = (0..k)
        .into_par_iter()
        .map(|c| fit_checkpoint(&pc.positions, &pc.loss[c]))
        .collect();
    let mut per_checkpoint = Vec::with_capacity(k);
    let mut not_converged = Vec::new();
    for (c, r) in fits.into_iter().enumerate() {
        let (a, ok) = r?;
        if !ok {
            not_converged.push(pc.steps[c]);
        }
        per_checkpoint.push((pc.steps[c], a));
    }
    let t_ref = pc.steps[k - 1];
    let has_lr = schedule.is_some_and(|c| c.lr.is_some());
    let xs: Vec<[f64; 3]> = match schedule {
        Some(c) if has_lr => inputs(c, t_ref)[..k].to_vec(),
        _ => pc.steps[..k]
            .iter()
            .map(|&t| [t / t_ref, 1.0, 1.0])
            .collect(),
    };
    // A form is scored by the error it causes in the mean loss at the
    // held-out checkpoints (the other parameters at their fitted values):
    // what matters is the forecast, and a parameter the loss hardly depends
    // on should not pick a form for its noise.
    let fitted_mean: Vec<f64> = per_checkpoint
        .iter()
        .map(|(_, a)| mean_loss(&pc.positions, *a))
        .collect();
    let mut trajectories = Vec::with_capacity(3);
    for (j, name) in PARAMS.iter().enumerate() {
        let y: Vec<f64> = per_checkpoint.iter().map(|(_, a)| a[j]).collect();
        let held_error = |first: usize, v: &[f64]| {
            let implied: Vec<f64> = v
                .iter()
                .enumerate()
                .map(|(h, &val)| {
                    let mut a = per_checkpoint[first + h].1;
                    a[j] = val;
                    mean_loss(&pc.positions, a)
                })
                .collect();
            trajectory::rmse_from(&fitted_mean, first, &implied)
        };
        let (chosen, candidates) = trajectory::choose_among(forms, &xs, &y, has_lr, &held_error)?;
        trajectories.push(ParamTrajectory {
            param: name,
            chosen,
            candidates,
        });
    }
    Ok(TemporalFit {
        positions: pc.positions.len(),
        checkpoints: k,
        t_ref,
        has_lr,
        per_checkpoint,
        not_converged,
        trajectories,
        position_values: pc.positions.clone(),
        xs,
    })
}

/// Per-position curves generated from known parameter trajectories:
/// `truth(step)` gives (a0, a1, a2); every loss gets multiplicative noise
/// of standard deviation `noise` (seeded).
pub fn generate(
    truth: &dyn Fn(f64) -> [f64; 3],
    steps: &[f64],
    positions: &[f64],
    noise: f64,
    seed: u64,
) -> PositionCurves {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let loss = steps
        .iter()
        .map(|&t| {
            let [a0, a1, a2] = truth(t);
            positions
                .iter()
                .map(|&i| {
                    let z = crate::synthetic::standard_normal(&mut rng);
                    (a0 / (1.0 + a1 * i) + a2) * (1.0 + noise * z)
                })
                .collect()
        })
        .collect();
    PositionCurves {
        name: "synthetic".into(),
        steps: steps.to_vec(),
        lr: None,
        positions: positions.to_vec(),
        loss,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_checkpoint_is_recovered() {
        let pos: Vec<f64> = (0..512).map(|i| i as f64).collect();
        let loss: Vec<f64> = pos.iter().map(|&i| 4.0 / (1.0 + 0.05 * i) + 2.5).collect();
        let (a, ok) = fit_checkpoint(&pos, &loss).unwrap();
        assert!(ok);
        for (x, want) in a.iter().zip([4.0, 0.05, 2.5]) {
            assert!((x - want).abs() < 1e-6 * want, "{a:?}");
        }
    }

    #[test]
    fn position_gradient_matches_finite_differences() {
        let u = [1.2, -2.0, 0.8];
        let x = [37.0];
        let mut g = [0.0; 3];
        PositionModel.value_grad(&x, &[0.0], &u, &mut g);
        for j in 0..3 {
            let (mut a, mut b) = (u, u);
            a[j] += 1e-6;
            b[j] -= 1e-6;
            let fd =
                (PositionModel.value(&x, &[0.0], &a) - PositionModel.value(&x, &[0.0], &b)) / 2e-6;
            assert!((fd - g[j]).abs() < 1e-6 * (1.0 + fd.abs()), "{j}");
        }
    }
}
