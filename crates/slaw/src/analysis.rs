//! The fit pipeline behind `slaw fit` and `slaw compare`: split held-out
//! points, fit each group, evaluate, predict, bootstrap.

use crate::bootstrap::{bootstrap, BootstrapResult, Interval};
use crate::diagnostics::{evaluate, Diagnostics};
use crate::fit::{fit, FitOptions, FitResult};
use crate::law::Law;
use crate::objective::Space;
use crate::observations::{Holdout, Observations};
use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct FitJob {
    pub law: Law,
    pub opts: FitOptions,
    pub holdout: Holdout,
    pub bootstrap: usize,
    pub seed: u64,
    /// Confidence level of bootstrap intervals (e.g. 0.95).
    pub level: f64,
    /// Points at which to predict, one value per law input.
    pub predict: Vec<Vec<f64>>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Prediction {
    pub at: Vec<f64>,
    pub value: f64,
    pub interval: Option<Interval>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct GroupFit {
    pub group: String,
    pub fit: FitResult,
    pub train: Diagnostics,
    pub heldout: Option<Diagnostics>,
    pub predictions: Vec<Prediction>,
    pub bootstrap: Option<BootstrapResult>,
    #[serde(skip)]
    pub train_idx: Vec<usize>,
    #[serde(skip)]
    pub held_idx: Vec<usize>,
}

/// Check inputs against the law before fitting: one column per law input,
/// values in the law's domain, y > 0 for a log-space fit.
pub fn validate(law: &Law, obs: &Observations, space: Space, y_name: &str) -> Result<()> {
    if obs.dim() != law.inputs.len() {
        return Err(Error::usage(format!(
            "law '{}' takes {} input(s) ({}) but {} column(s) were given with --x ({})",
            law.name,
            law.inputs.len(),
            law.inputs.join(", "),
            obs.dim(),
            obs.input_names.join(", ")
        )));
    }
    obs.validate(&law.domains, space == Space::Log, y_name)
}

/// Fit every group (one fit when ungrouped). `on_bootstrap` ticks once per
/// bootstrap replicate.
pub fn run(
    job: &FitJob,
    obs: &Observations,
    on_bootstrap: &(dyn Fn() + Sync),
) -> Result<Vec<GroupFit>> {
    for p in &job.predict {
        if p.len() != job.law.inputs.len() {
            return Err(Error::usage(format!(
                "--predict needs {} value(s) ({}), got {}",
                job.law.inputs.len(),
                job.law.inputs.join(", "),
                p.len()
            )));
        }
    }
    let mut out = Vec::new();
    for group in obs.groups() {
        let idx = obs.group_indices(&group);
        let (train_idx, held_idx) = job.holdout.split(obs, &idx);
        let train = obs.subset(&train_idx);
        let res = fit(&job.law, &train, &job.opts)?;
        let train_diag = evaluate(&job.law, &res.params, &train);
        let heldout =
            (!held_idx.is_empty()).then(|| evaluate(&job.law, &res.params, &obs.subset(&held_idx)));
        let boot = (job.bootstrap > 0 && res.converged).then(|| {
            bootstrap(
                &job.law,
                &train,
                &res,
                &job.opts,
                job.bootstrap,
                job.seed,
                &job.predict,
                job.level,
                on_bootstrap,
            )
        });
        let predictions = job
            .predict
            .iter()
            .enumerate()
            .map(|(k, x)| Prediction {
                at: x.clone(),
                value: job.law.predict(x, &res.params),
                interval: boot.as_ref().map(|b| b.predictions[k]),
            })
            .collect();
        out.push(GroupFit {
            group,
            fit: res,
            train: train_diag,
            heldout,
            predictions,
            bootstrap: boot,
            train_idx,
            held_idx,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Ranked {
    pub law: String,
    /// Mean over groups of the held-out RMSD of log L (the ranking key).
    pub heldout_rmsd_log: f64,
    pub train_rmsd_log: f64,
    pub objective: f64,
    pub all_converged: bool,
    pub n_params: usize,
}

/// Fit several laws to the same data and rank them by held-out error
/// (ties and missing held-out points fall back to the training error).
pub fn compare(
    laws: &[Law],
    obs: &Observations,
    opts: &FitOptions,
    holdout: &Holdout,
) -> Result<Vec<Ranked>> {
    let mut ranked = Vec::new();
    for law in laws {
        let job = FitJob {
            law: law.clone(),
            opts: opts.clone(),
            holdout: holdout.clone(),
            bootstrap: 0,
            seed: 0,
            level: 0.95,
            predict: Vec::new(),
        };
        let fits = run(&job, obs, &|| {})?;
        let n = fits.len() as f64;
        let held: Vec<f64> = fits
            .iter()
            .filter_map(|g| g.heldout.as_ref().map(|d| d.rmsd_log))
            .collect();
        ranked.push(Ranked {
            law: law.name.clone(),
            heldout_rmsd_log: if held.is_empty() {
                f64::NAN
            } else {
                held.iter().sum::<f64>() / held.len() as f64
            },
            train_rmsd_log: fits.iter().map(|g| g.train.rmsd_log).sum::<f64>() / n,
            objective: fits.iter().map(|g| g.fit.objective).sum(),
            all_converged: fits.iter().all(|g| g.fit.converged),
            n_params: law.n_params(),
        });
    }
    ranked.sort_by(|a, b| {
        let ka = if a.heldout_rmsd_log.is_nan() {
            a.train_rmsd_log
        } else {
            a.heldout_rmsd_log
        };
        let kb = if b.heldout_rmsd_log.is_nan() {
            b.train_rmsd_log
        } else {
            b.heldout_rmsd_log
        };
        b.all_converged
            .cmp(&a.all_converged)
            .then(ka.total_cmp(&kb))
    });
    Ok(ranked)
}
