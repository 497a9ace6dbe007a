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
    generate_family(laws, Family::Multiplicative, sd, seed)
}

/// How runs are generated from the published parameters: the law the
/// engine fits (well specified) or a law a real user meets instead
/// (misspecified for the multiplicative fit). Used by the coverage study
/// of `slaw methods`' intervals (`examples/joint_coverage.rs`) and tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Family {
    /// The multiplicative law, Gaussian noise on L.
    Multiplicative,
    /// The additive law L = A' / X^alpha + B' / D^beta + E with the
    /// published exponents and E, its two terms each half the
    /// multiplicative term at the geometric centre of the runs (X0, D0).
    Additive,
    /// A flat phase before the power law in D_f (the rectified form):
    /// L = A / (X^alpha (D_l^beta + D^beta)) + E, with D_l = 1e4 (the
    /// smallest data size of the runs).
    Rectified,
    /// The pretraining factor's E larger by 0.05 than the model-size
    /// factor's: the shared-E assumption of the joint procedure broken.
    FactorE,
    /// The multiplicative law with the noise on ln L (log-normal), not on L.
    LnNoise,
}

impl Family {
    /// Every family, the well-specified one first.
    pub const ALL: [Family; 5] = [
        Family::Multiplicative,
        Family::Additive,
        Family::Rectified,
        Family::FactorE,
        Family::LnNoise,
    ];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Family::Multiplicative => "multiplicative",
            Family::Additive => "additive",
            Family::Rectified => "rectified",
            Family::FactorE => "factor-E",
            Family::LnNoise => "ln-noise",
        }
    }

    /// The generating law's loss (without noise) of method `p`, factor 0
    /// (model size) or 1 (pretraining tokens), at (x, d).
    pub fn loss(self, p: &Published, factor: usize, x: f64, d: f64) -> f64 {
        let (a, alpha) = if factor == 0 { p.model } else { p.pretrain };
        let mult = |d_term: f64| a / (x.powf(alpha) * d_term) + p.e;
        match self {
            // the catalog law itself, bit for bit as the engine predicts
            Family::Multiplicative | Family::LnNoise => {
                Form::Multiplicative.law().predict(&[x, d], &p.law(factor))
            }
            Family::Additive => {
                let xs: &[f64] = if factor == 0 {
                    &MODEL_SIZES
                } else {
                    &PRETRAIN_TOKENS
                };
                let x0 = geo_mean(xs);
                let d0 = geo_mean(&DATA_SIZES);
                let half = 0.5 * a / (x0.powf(alpha) * d0.powf(p.beta));
                half * (x0 / x).powf(alpha) + half * (d0 / d).powf(p.beta) + p.e
            }
            Family::Rectified => mult(DATA_SIZES[0].powf(p.beta) + d.powf(p.beta)),
            Family::FactorE => mult(d.powf(p.beta)) + if factor == 1 { 0.05 } else { 0.0 },
        }
    }
}

fn geo_mean(v: &[f64]) -> f64 {
    (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp()
}

/// Runs of every method, factor, factor value and data size from `family`'s
/// law, with Gaussian noise of standard deviation `sd` on L (on ln L for
/// [`Family::LnNoise`]); deterministic in `seed`.
pub fn generate_family(laws: &[Published], family: Family, sd: f64, seed: u64) -> Runs {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut runs = Vec::new();
    for p in laws {
        for (factor, xs) in [MODEL_SIZES, PRETRAIN_TOKENS].iter().enumerate() {
            for &x in xs {
                for &d in &DATA_SIZES {
                    let mean = family.loss(p, factor, x, d);
                    let z = sd * standard_normal(&mut rng);
                    let loss = if family == Family::LnNoise {
                        mean * z.exp()
                    } else {
                        mean + z
                    };
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
        notes: vec![],
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
