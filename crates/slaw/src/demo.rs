//! The built-in demo: fine-tuning curves of three made-up models, drawn from
//! the rectified law with known parameters and noise, fitted back.

use crate::analysis::{run, FitJob, GroupFit};
use crate::fit::FitOptions;
use crate::law::{catalog, Law};
use crate::objective::{Loss, Space};
use crate::observations::{Holdout, Observations};
use crate::synthetic::{concat, finetune_sizes, generate};
use crate::Result;

pub struct DemoModel {
    pub name: &'static str,
    /// B, D_l, beta, E
    pub truth: [f64; 4],
}

pub const DEMO_MODELS: [DemoModel; 3] = [
    DemoModel {
        name: "small-1b",
        truth: [60.0, 25.0, 0.30, 1.40],
    },
    DemoModel {
        name: "mid-3b",
        truth: [300.0, 400.0, 0.45, 1.10],
    },
    DemoModel {
        name: "large-7b",
        truth: [900.0, 4000.0, 0.55, 0.90],
    },
];

pub struct Demo {
    pub law: Law,
    pub obs: Observations,
    pub fits: Vec<GroupFit>,
}

/// Generate the demo data (zero-shot point plus 14 sizes per model, 1% noise),
/// hold out the two largest sizes, fit per model with 200 bootstrap replicates
/// and predict at the full size 1,638,400.
pub fn run_demo(seed: u64, on_bootstrap: &(dyn Fn() + Sync)) -> Result<Demo> {
    let law = catalog::rectified();
    let mut xs = vec![vec![0.0]];
    xs.extend(finetune_sizes().into_iter().map(|d| vec![d]));
    let parts = DEMO_MODELS
        .iter()
        .enumerate()
        .map(|(k, m)| {
            generate(
                &law,
                &m.truth,
                &xs,
                0.01,
                seed.wrapping_add(k as u64),
                m.name,
            )
        })
        .collect();
    let obs = concat(parts);
    let job = FitJob {
        law: law.clone(),
        opts: FitOptions {
            loss: Loss::Huber { delta: 1e-2 },
            space: Space::Log,
            ..FitOptions::default()
        },
        holdout: Holdout::Largest { k: 2, input: 0 },
        bootstrap: 200,
        seed,
        level: 0.95,
        predict: vec![vec![1_638_400.0]],
    };
    let fits = run(&job, &obs, on_bootstrap)?;
    Ok(Demo { law, obs, fits })
}
