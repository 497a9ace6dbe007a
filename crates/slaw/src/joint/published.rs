//! The published WMT14 En-De parameters of Zhang et al. (2024) for the
//! multiplicative law (FMT / Prompt / LoRA; model-size and pretraining-data
//! factors), and a generator of runs from them with noise of the size of the
//! paper's fitting error. Used by tests and as sample input.

use super::law::Form;
use super::runs::{Factor, Run, Runs};
use crate::law::Params;
use crate::synthetic::standard_normal;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// One method's published parameters: (A, alpha) for the model-size and the
/// pretraining-data factors, the shared beta and E.
#[derive(Debug, Clone, Copy)]
pub struct Published {
    /// The method's name in the paper.
    pub method: &'static str,
    /// (A, alpha) of the model-size factor.
    pub model: (f64, f64),
    /// (A, alpha) of the pretraining-tokens factor.
    pub pretrain: (f64, f64),
    /// The shared data exponent beta.
    pub beta: f64,
    /// The shared irreducible loss E.
    pub e: f64,
}

impl Published {
    /// The parameters of the multiplicative law (`joint-mult`) for factor
    /// 0 (model size) or 1 (pretraining tokens).
    pub fn law(&self, factor: usize) -> Params {
        let (a, alpha) = if factor == 0 {
            self.model
        } else {
            self.pretrain
        };
        Form::Multiplicative.params(a, alpha, &[self.beta, self.e])
    }
}

/// The multiplicative-law parameters Zhang et al. publish for WMT14 En-De (fmt, prompt, lora), used to generate test runs.
pub const EN_DE: [Published; 3] = [
    Published {
        method: "fmt",
        model: (1.2e5, 0.52),
        pretrain: (6.3e2, 0.21),
        beta: 0.15,
        e: 0.75,
    },
    Published {
        method: "prompt",
        model: (3.9e3, 0.40),
        pretrain: (2.7e2, 0.21),
        beta: 0.051,
        e: 0.62,
    },
    Published {
        method: "lora",
        model: (2.1e3, 0.36),
        pretrain: (1.4e2, 0.18),
        beta: 0.081,
        e: 0.62,
    },
];

/// Model sizes (parameters) of the model-size factor: 1B ... 16B.
pub const MODEL_SIZES: [f64; 5] = [1e9, 2e9, 4e9, 8e9, 16e9];
/// Pretraining tokens of the pretraining-data factor.
pub const PRETRAIN_TOKENS: [f64; 5] = [2.5e10, 5e10, 1e11, 2e11, 4e11];
/// Fine-tuning data sizes.
pub const DATA_SIZES: [f64; 6] = [1e4, 3e4, 1e5, 3e5, 1e6, 3e6];

/// Gaussian noise whose mean absolute value is `mad` (the paper's fitting
/// errors are MADs of about 0.005).
pub fn noise_sd(mad: f64) -> f64 {
    mad * (std::f64::consts::PI / 2.0).sqrt()
}

/// Runs of every method, factor, factor value and data size, loss from the
/// law plus Gaussian noise of standard deviation `sd`; deterministic in `seed`.
pub fn generate(laws: &[Published], sd: f64, seed: u64) -> Runs {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut runs = Vec::new();
    let law = Form::Multiplicative.law();
    for p in laws {
        for (factor, xs) in [MODEL_SIZES, PRETRAIN_TOKENS].iter().enumerate() {
            let params = p.law(factor);
            for &x in xs {
                for &d in &DATA_SIZES {
                    let loss = law.predict(&[x, d], &params) + sd * standard_normal(&mut rng);
                    runs.push(Run {
                        method: p.method.to_string(),
                        factor,
                        x,
                        d,
                        loss,
                        held: None,
                        line: runs.len() + 2,
                    });
                }
            }
        }
    }
    Runs {
        source: "generated from Zhang et al.'s En-De parameters".into(),
        factors: vec![
            Factor {
                name: "model_size".into(),
                pet: false,
            },
            Factor {
                name: "pretrain_tokens".into(),
                pet: false,
            },
        ],
        runs,
    }
}

/// The runs as CSV text: method, model_size, pretrain_tokens, data, loss
/// (the factor a run does not vary is left empty).
pub fn to_csv(runs: &Runs) -> String {
    let mut s = String::from("method,model_size,pretrain_tokens,data,loss\n");
    for r in &runs.runs {
        let (m, p) = if r.factor == 0 {
            (format!("{}", r.x), String::new())
        } else {
            (String::new(), format!("{}", r.x))
        };
        s.push_str(&format!("{},{m},{p},{},{}\n", r.method, r.d, r.loss));
    }
    s
}
