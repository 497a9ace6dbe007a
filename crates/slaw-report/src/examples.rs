//! The example inputs of README (`examples/` in the repository, written by
//! `slaw demo --write DIR`): small files drawn from known laws with fixed
//! seeds, one per input format the commands read, so that README's
//! examples run on a fresh checkout. The files are generated, not measured:
//! each one's law and parameters are below, and a test checks that the
//! committed files are byte for byte what this module writes.

use crate::demo::{demo_pool, DEFAULT_SEED};
use slaw::synthetic::normal_draws;
use std::fmt::Write;

/// One example file: its name and its text.
pub struct ExampleFile {
    /// The file's name (no folder).
    pub name: &'static str,
    /// What it holds, for the listing `slaw demo --write` prints.
    pub about: &'static str,
    /// Its contents.
    pub text: String,
}

/// Every example file, in a fixed order.
pub fn example_files() -> Vec<ExampleFile> {
    vec![
        ExampleFile {
            name: "curves.csv",
            about: "fine-tuning curves of the demo's 8 candidates, long form (model,n,loss,size): select, fit",
            text: curves(),
        },
        ExampleFile {
            name: "plan.toml",
            about: "a runner plan over the demo's candidates whose \"trainer\" replays curves.csv: plan, run, status, report",
            text: plan(),
        },
        ExampleFile {
            name: "runs.csv",
            about: "fine-tuning runs of 3 methods (the multiplicative joint law): joint, methods",
            text: joint_runs(),
        },
        ExampleFile {
            name: "run.csv",
            about: "one training log with a learning-rate column, warmup included (step,lr,loss): forecast",
            text: training_log(),
        },
        ExampleFile {
            name: "training_runs.csv",
            about: "three training logs under three schedules, long form (run,step,lr,loss): schedule, forecast --run-col",
            text: training_runs(),
        },
        ExampleFile {
            name: "positions.csv",
            about: "per-position losses of one run's checkpoints (step,position,loss): forecast (temporal law)",
            text: positions(),
        },
        ExampleFile {
            name: "chinchilla.csv",
            about: "pretraining runs from the Chinchilla law (N,D,loss): fit --law chinchilla",
            text: chinchilla(),
        },
        ExampleFile {
            name: "isoflops.csv",
            about: "isoFLOP grids of two Chinchilla-law sources (source,budget,N,tokens,flops,loss): allocate",
            text: isoflops(),
        },
        ExampleFile {
            name: "scaling_results.csv",
            about: "a sweep of sizes, token counts and learning rates with checkpoints (N,D,C,lr,portion_steps_elapsed,loss): allocate --where --best-per-size",
            text: scaling_results(),
        },
    ]
}

/// The demo's pool (`slaw demo`, default seed): a row per candidate and
/// size, zero-shot (n = 0) up to the full 1,638,400, the loss as the demo
/// draws it (so `slaw select` on it ranks as the demo does).
fn curves() -> String {
    let mut s = String::from("model,n,loss,size\n");
    for c in demo_pool(DEFAULT_SEED) {
        for &(n, loss) in &c.curve {
            let _ = writeln!(s, "{},{n},{loss},{:e}", c.id, c.size.unwrap_or(f64::NAN));
        }
    }
    s
}

/// A plan for `slaw run` over the demo's candidates whose command, in
/// place of a fine-tuning script, looks the loss up in `curves.csv` (an
/// awk line; the run folders are `plan-runs/ID/n=N/seed=S/attempt-K`
/// next to the plan, so the file is five folders up).
fn plan() -> String {
    let mut s = String::from(
        "# slaw run's plan for the demo's candidates. In place of a fine-tuning script the\n\
         # command looks the loss up in curves.csv (it runs in the run's folder,\n\
         # plan-runs/ID/n=N/seed=S/attempt-K next to this file); yours runs your trainer.\n\
         name = \"pick-a-base\"\n\
         full_size = 1638400\n\
         budget = \"1/64\"\n\
         min_size = 200\n\
         zero_shot = true\n\
         slots = 2\n\
         command = \"awk -F, -v m={model} -v n={n} '$1 == m && $2 == n {{ print \\\"eval_loss=\\\" $3 }}' ../../../../../curves.csv\"\n\
         loss = { kind = \"regex\", pattern = \"eval_loss=([0-9.eE+-]+)\" }\n",
    );
    for m in &crate::demo::DEMO_MODELS {
        let _ = write!(
            s,
            "\n[[candidate]]\nid = \"{}\"\nparams = {:e}\n",
            m.name, m.size
        );
    }
    s
}

/// Draws for one file: a seed per file, so that the files do not share
/// noise streams.
fn noise(seed: u64, n: usize) -> impl Iterator<Item = f64> {
    normal_draws(seed, n).into_iter()
}

/// Joint fine-tuning runs: for each method, a model-size factor and a
/// pretraining-tokens factor (Zhang et al.'s WMT14 En-De parameters of the
/// multiplicative law, `slaw::joint::published::EN_DE`), and for the prompt
/// method a prompt-length factor (the PET parameter: A = 0.6, alpha = 0.1,
/// made up), over 5 fine-tuning data sizes, Gaussian noise of mean absolute
/// value 0.005 (the paper's fitting error).
fn joint_runs() -> String {
    use slaw::joint::published::{noise_sd, EN_DE, MODEL_SIZES, PRETRAIN_TOKENS};
    const DATA: [f64; 5] = [1e4, 3e4, 1e5, 3e5, 1e6];
    const PROMPT_LEN: [f64; 5] = [25.0, 50.0, 100.0, 200.0, 400.0];
    let sd = noise_sd(0.005);
    let mut z = noise(101, 3 * 15 * DATA.len());
    let mut s = String::from("method,model_size,pretrain_tokens,prompt_len,data,loss\n");
    for p in &EN_DE {
        let mut factors: Vec<(usize, f64, f64, &[f64])> = vec![
            (0, p.model.0, p.model.1, &MODEL_SIZES),
            (1, p.pretrain.0, p.pretrain.1, &PRETRAIN_TOKENS),
        ];
        if p.method == "prompt" {
            factors.push((2, 0.6, 0.1, &PROMPT_LEN));
        }
        for (f, a, alpha, xs) in factors {
            for &x in xs {
                for &d in &DATA {
                    let loss = a / (x.powf(alpha) * d.powf(p.beta)) + p.e + sd * z.next().unwrap();
                    let mut cells = [String::new(), String::new(), String::new()];
                    cells[f] = format!("{x:e}");
                    let _ = writeln!(
                        s,
                        "{},{},{},{},{d:e},{loss:.4}",
                        p.method, cells[0], cells[1], cells[2]
                    );
                }
            }
        }
    }
    s
}

/// The learning rate of the training logs' schedules at step `t`: a linear
/// warmup over 2,000 steps to 3e-4, then constant, cosine to 3e-5 at
/// 24,000, or WSD (constant to 19,200, linear to 3e-5 at 24,000).
fn lr(kind: &str, t: f64) -> f64 {
    use slaw::forecast::schedule::Schedule;
    let spec = match kind {
        "constant" => "constant:peak=3e-4,warmup=2000",
        "cosine" => "cosine:peak=3e-4,final=3e-5,total=24000,warmup=2000",
        _ => "wsd:peak=3e-4,final=3e-5,decay_start=19200,total=24000,warmup=2000",
    };
    Schedule::parse(spec).expect("a valid schedule").at(t)
}

/// A training log under schedule `kind` by the law of Tissue et al.,
/// L = L0 + A S1^-alpha - C S2 (L0 = 3, A = 0.5, alpha = 0.5, C = 0.4; S1
/// the summed learning rate, S2 its momentum-0.999 annealing area from the
/// warmup's end on, step by step), with
/// 0.5% log-normal noise: (step, lr, loss) every `every` steps up to 24,000.
/// The training logs' warmup, in steps.
const WARMUP: usize = 2_000;

fn tissue_log(kind: &str, every: usize, seed: u64) -> Vec<(f64, f64, f64)> {
    let (l0, a, alpha, c) = (3.0, 0.5, 0.5, 0.4);
    let total = 24_000usize;
    let mut z = noise(seed, total / every);
    let (mut s1, mut s2, mut m, mut prev) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut out = Vec::new();
    for t in 1..=total {
        let eta = lr(kind, t as f64);
        s1 += eta;
        // annealing counted from the warmup's end, as the library's fits
        // count it (a rising rate is no annealing)
        if t > WARMUP {
            m = 0.999 * m + (prev - eta);
        }
        s2 += m;
        prev = eta;
        if t % every == 0 {
            let loss = (l0 + a * s1.powf(-alpha) - c * s2) * (0.005 * z.next().unwrap()).exp();
            out.push((t as f64, eta, loss));
        }
    }
    out
}

/// One cosine run's log, warmup included, every 250 steps.
fn training_log() -> String {
    let mut s = String::from("step,lr,loss\n");
    for (t, eta, loss) in tissue_log("cosine", 250, 201) {
        let _ = writeln!(s, "{t},{eta:.6e},{loss:.5}");
    }
    s
}

/// Three runs (constant, cosine, WSD) in one file, every 500 steps.
fn training_runs() -> String {
    let mut s = String::from("run,step,lr,loss\n");
    for (k, kind) in ["constant", "cosine", "wsd"].into_iter().enumerate() {
        for (t, eta, loss) in tissue_log(kind, 500, 301 + k as u64) {
            let _ = writeln!(s, "{kind},{t},{eta:.6e},{loss:.5}");
        }
    }
    s
}

/// Per-position losses of one run: at checkpoint t (every 2,000 steps to
/// 40,000) and token position i (1, 2, 4, ..., 1024),
/// L = a0 / (1 + a1 i) + a2 with a0 = 4 (t / 1000)^-0.3, a1 = 0.05 and
/// a2 = 2 + 1.5 (t / 1000)^-0.4 (the per-position law of the temporal law,
/// its parameters moving as power laws of the step), 0.5% log-normal noise.
fn positions() -> String {
    let steps: Vec<f64> = (1..=20).map(|k| 2000.0 * k as f64).collect();
    let pos: Vec<f64> = (0..=10).map(|k| 2f64.powi(k)).collect();
    let mut z = noise(401, steps.len() * pos.len());
    let mut s = String::from("step,position,loss\n");
    for &t in &steps {
        let tau = t / 1000.0;
        let (a0, a1, a2) = (4.0 * tau.powf(-0.3), 0.05, 2.0 + 1.5 * tau.powf(-0.4));
        for &i in &pos {
            let loss = (a0 / (1.0 + a1 * i) + a2) * (0.005 * z.next().unwrap()).exp();
            let _ = writeln!(s, "{t},{i},{loss:.5}");
        }
    }
    s
}

/// Hoffmann et al.'s Approach-3 fit (A, alpha, B, beta, E) and Besiroglu
/// et al.'s replication of it.
const HOFFMANN: [f64; 5] = [406.4, 0.34, 410.7, 0.28, 1.69];
const BESIROGLU: [f64; 5] = [482.01, 0.3478, 2085.43, 0.3658, 1.8172];

fn chinchilla_loss(p: &[f64; 5], n: f64, d: f64) -> f64 {
    p[4] + p[0] / n.powf(p[1]) + p[2] / d.powf(p[3])
}

/// Model sizes 7 per budget, 2x apart, centred near the law's optimum.
fn isoflop_sizes(c: f64) -> Vec<f64> {
    // N_opt ~ 0.6 C^0.5 for these laws at 1e18-1e21 FLOPs (rounded: the
    // grid need not be centred exactly)
    let centre = 0.1 * c.sqrt();
    (-3..=3).map(|k| centre * 2f64.powi(k)).collect()
}

/// Pretraining runs on isoFLOP grids (4 budgets, 7 sizes each) from
/// Hoffmann et al.'s law, D = C / (6 N), 0.5% log-normal noise.
fn chinchilla() -> String {
    let budgets = [1e18, 1e19, 1e20, 1e21];
    let mut z = noise(501, budgets.len() * 7);
    let mut s = String::from("N,D,loss\n");
    for &c in &budgets {
        for n in isoflop_sizes(c) {
            let d = c / (6.0 * n);
            let loss = chinchilla_loss(&HOFFMANN, n, d) * (0.005 * z.next().unwrap()).exp();
            let _ = writeln!(s, "{n:.4e},{d:.4e},{loss:.5}");
        }
    }
    s
}

/// IsoFLOP grids of two sources (Hoffmann et al.'s law and Besiroglu et
/// al.'s), 4 budgets of 7 sizes each, flops = 6 N tokens, 0.5% noise.
fn isoflops() -> String {
    let budgets = [3e18, 1e19, 3e19, 1e20];
    let mut s = String::from("source,budget,N,tokens,flops,loss\n");
    for (k, (name, p)) in [("hoffmann", HOFFMANN), ("besiroglu", BESIROGLU)]
        .into_iter()
        .enumerate()
    {
        let mut z = noise(601 + k as u64, budgets.len() * 7);
        for &c in &budgets {
            for n in isoflop_sizes(c) {
                let n = (n / 1e6).round() * 1e6;
                let d = (c / (6.0 * n) / 1e6).round() * 1e6;
                let loss = chinchilla_loss(&p, n, d) * (0.005 * z.next().unwrap()).exp();
                let _ = writeln!(s, "{name},{c:e},{n:e},{d:e},{:e},{loss:.5}", 6.0 * n * d);
            }
        }
    }
    s
}

/// A sweep like a scaling-law study's results table: model sizes 50M-800M
/// and token counts 1B-16B (2x apart, so runs of equal 6 N D share a
/// budget), each at two learning rates (the worse 2% above the law), each
/// with a checkpoint at half its steps (D / 2, 1% above the law at D / 2)
/// and at the end; Hoffmann et al.'s law, 0.5% noise.
fn scaling_results() -> String {
    let sizes = [5e7, 1e8, 2e8, 4e8, 8e8];
    let tokens = [1e9, 2e9, 4e9, 8e9, 1.6e10];
    let mut z = noise(701, sizes.len() * tokens.len() * 4);
    let mut s = String::from("N,D,C,lr,portion_steps_elapsed,loss\n");
    for &n in &sizes {
        for &d_full in &tokens {
            for (lr, worse) in [(1e-3, 1.0), (3e-3, 1.02)] {
                for (portion, unfinished) in [(0.5, 1.01), (1.0, 1.0)] {
                    let d = d_full * portion;
                    let loss = chinchilla_loss(&HOFFMANN, n, d)
                        * worse
                        * unfinished
                        * (0.005 * z.next().unwrap()).exp();
                    let _ = writeln!(
                        s,
                        "{n:e},{d:e},{:e},{lr:e},{portion},{loss:.5}",
                        6.0 * n * d
                    );
                }
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file is small; every CSV has a header and rows of as many
    /// cells, and no cell that is not a finite number but the text columns'.
    #[test]
    fn the_example_files_are_small_rectangular_and_finite() {
        for f in example_files() {
            assert!(
                f.text.len() < 8 * 1024,
                "{}: {} bytes",
                f.name,
                f.text.len()
            );
            if !f.name.ends_with(".csv") {
                continue;
            }
            let mut lines = f.text.lines();
            let header: Vec<&str> = lines.next().unwrap().split(',').collect();
            let mut rows = 0;
            for l in lines {
                let cells: Vec<&str> = l.split(',').collect();
                assert_eq!(cells.len(), header.len(), "{}: {l}", f.name);
                for (h, c) in header.iter().zip(&cells) {
                    if matches!(*h, "model" | "method" | "run" | "source") || c.is_empty() {
                        continue;
                    }
                    let v: f64 = c.parse().unwrap_or_else(|_| panic!("{}: {h} {c}", f.name));
                    assert!(v.is_finite() && v >= 0.0, "{}: {h} {c}", f.name);
                }
                rows += 1;
            }
            assert!(rows >= 20, "{}: {rows} rows", f.name);
        }
    }

    /// The same files on every call (fixed seeds).
    #[test]
    fn the_example_files_are_deterministic() {
        let a = example_files();
        let b = example_files();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.text, y.text, "{}", x.name);
        }
    }
}
