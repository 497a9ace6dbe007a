//! `slaw bench engine`: the fitting engine's speed on real data, as medians
//! of repeated runs. The scipy reference is measured by
//! `bench/reference/scipy_engine.py` beside it (see BENCHMARKS.md).

use rayon::prelude::*;
use slaw::datasets;
use slaw::fit::{fit_with, FitOptions, MultiStart};
use slaw::law::catalog;
use slaw::objective::{Loss, Objective, Space};
use slaw::observations::Observations;
use slaw::progress::{counted, Progress};
use slaw::solver::Solver;
use slaw::stats::median;
use slaw::Result;
use std::path::Path;
use std::time::Instant;

#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchRow {
    pub name: String,
    pub repeats: usize,
    pub median_s: f64,
    pub min_s: f64,
    /// Median CPU time of the process (every thread) per repeat.
    pub cpu_median_s: f64,
    pub fits: usize,
    /// Starts per fit and objective evaluations of the run (None: not
    /// counted, e.g. the selection protocols, whose methods do not report
    /// their fits' counts; `slaw select --json` gives them per candidate).
    pub starts_per_fit: Option<usize>,
    pub evaluations: Option<u64>,
    /// What the run found, to check that speed did not cost accuracy.
    pub result: String,
}

impl BenchRow {
    /// The row of one fit timed `t` over `repeats`, with what it found.
    fn one_fit(
        name: String,
        repeats: usize,
        t: &Timing,
        res: &slaw::fit::FitResult,
        result: String,
    ) -> BenchRow {
        BenchRow {
            name,
            repeats,
            median_s: t.median,
            min_s: t.min,
            cpu_median_s: t.cpu_median,
            fits: 1,
            starts_per_fit: Some(res.n_starts),
            evaluations: Some(res.evaluations),
            result,
        }
    }
}

/// CPU time of the whole process (all threads) so far, in seconds.
pub fn process_cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        cpu_seconds(libc::CLOCK_PROCESS_CPUTIME_ID)
    }
    #[cfg(not(unix))]
    {
        f64::NAN
    }
}

/// CPU time of the calling thread, in seconds.
fn thread_cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        cpu_seconds(libc::CLOCK_THREAD_CPUTIME_ID)
    }
    #[cfg(not(unix))]
    {
        f64::NAN
    }
}

/// The CPU-time clock `clock` in seconds (NaN when it cannot be read).
#[cfg(unix)]
fn cpu_seconds(clock: libc::clockid_t) -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    if unsafe { libc::clock_gettime(clock, &mut ts) } == 0 {
        ts.tv_sec as f64 + 1e-9 * ts.tv_nsec as f64
    } else {
        f64::NAN
    }
}

/// One timing: wall (median, min) and CPU (median) seconds.
struct Timing {
    median: f64,
    min: f64,
    cpu_median: f64,
}

/// Run `f` `repeats` times, returning the timing and the last output;
/// `tick` after each repeat.
fn time<T>(
    repeats: usize,
    tick: &dyn Fn(),
    mut f: impl FnMut() -> Result<T>,
) -> Result<(Timing, T)> {
    let mut times = Vec::with_capacity(repeats);
    let mut cpu = Vec::with_capacity(repeats);
    let mut last = None;
    for _ in 0..repeats.max(1) {
        let c = process_cpu_seconds();
        let t = Instant::now();
        let out = f()?;
        times.push(t.elapsed().as_secs_f64());
        cpu.push(process_cpu_seconds() - c);
        last = Some(out);
        tick();
    }
    let min = times.iter().cloned().fold(f64::INFINITY, f64::min);
    Ok((
        Timing {
            median: median(times),
            min,
            cpu_median: median(cpu),
        },
        last.expect("at least one repeat"),
    ))
}

/// The Chinchilla fit (adaptive search, then the whole 4500-start grid) and
/// the 60 rectified-law fits (likewise); `progress` counts each step's
/// repeats (and fits).
pub fn engine(
    data: &Path,
    repeats: usize,
    solver: &dyn Solver,
    progress: &dyn Progress,
) -> Result<Vec<BenchRow>> {
    let mut rows = Vec::new();
    let obs = datasets::chinchilla(&data.join("chinchilla/svg_extracted_data.csv"), 5)?;
    let law = catalog::chinchilla();
    for (what, multistart) in [
        ("adaptive starts (3 agreeing)", MultiStart::DEFAULT),
        ("every start", MultiStart::All),
    ] {
        let opts = FitOptions {
            multistart,
            ..FitOptions::default()
        };
        progress.start(&format!("chinchilla, {what}: repeats"), repeats.max(1));
        let (t, res) = time(repeats, &|| progress.tick(), || {
            fit_with(&law, &obs, &opts, solver)
        })?;
        rows.push(BenchRow::one_fit(
            format!("chinchilla: Huber 1e-3 on log L, Hoffmann grid, {what}"),
            repeats,
            &t,
            &res,
            format!(
                "objective {:.7} alpha {:.4} beta {:.4} E {:.4} ({} of {} starts converged, {} reached the best optimum)",
                res.objective,
                res.params[1],
                res.params[3],
                res.params[4],
                res.n_converged,
                res.n_starts,
                res.n_best
            ),
        ));
    }

    // One law on 100,000 points from one start (the scipy script fits the
    // same points from the same start): the cost of a large fit.
    rows.extend(large_fits(repeats, solver, progress)?);

    let law = catalog::rectified();
    let mut curves = Vec::new();
    for file in ["flan.csv", "wmt19.csv"] {
        for m in datasets::finetune_wide(&data.join("finetune-selection").join(file))? {
            curves.push(m.observations(1.0, f64::INFINITY));
        }
    }
    for (what, multistart) in [
        ("adaptive starts", MultiStart::DEFAULT),
        ("every start", MultiStart::All),
    ] {
        let opts = FitOptions {
            loss: Loss::Squared,
            space: Space::Log,
            multistart,
            ..FitOptions::default()
        };
        progress.start(
            &format!("rectified, {what}: repeats x curves"),
            repeats.max(1) * curves.len(),
        );
        let (t, out) = time(repeats, &|| {}, || {
            let fits = curves
                .par_iter()
                .map(|obs| counted(progress, || fit_with(&law, obs, &opts, solver)))
                .collect::<Result<Vec<_>>>()?;
            let evals = fits.iter().map(|r| r.evaluations).sum::<u64>();
            let starts = fits.iter().map(|r| r.n_starts).sum::<usize>();
            let worst = fits
                .iter()
                .zip(&curves)
                .map(|(r, obs)| slaw::diagnostics::evaluate(&law, &r.params, obs).rmsd_log)
                .fold(0.0, f64::max);
            let failed = fits.iter().filter(|r| !r.converged).count();
            Ok((evals, worst, failed, starts))
        })?;
        rows.push(BenchRow {
            name: format!(
                "rectified: {} curves, squared error on log L, {what}",
                curves.len()
            ),
            repeats,
            median_s: t.median,
            min_s: t.min,
            cpu_median_s: t.cpu_median,
            fits: curves.len(),
            starts_per_fit: Some(out.3 / curves.len().max(1)),
            evaluations: Some(out.0),
            result: format!(
                "largest RMSD(log L) {:.4}; {} fits not converged; {} starts in all",
                out.1, out.2, out.3
            ),
        });
    }
    Ok(rows)
}

/// `slaw bench selection`: the paper's protocol on every `*.csv` in `dir`
/// (sorted by name), all methods; returns the rows of the last repeat and
/// the timing of the whole run (reading included).
/// The `.csv` files of a folder, sorted (the selection benchmark's wide CSVs).
pub fn wide_csvs(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let files = slaw::table::csv_files(dir)?;
    if files.is_empty() {
        return Err(slaw::Error::data(format!(
            "{}: no .csv files (expected the benchmark's wide CSVs)",
            dir.display()
        )));
    }
    Ok(files)
}

pub fn selection(
    dir: &Path,
    repeats: usize,
    progress: &dyn Progress,
) -> Result<(Vec<slaw::selection::protocol::Row>, BenchRow)> {
    use slaw::selection::protocol;
    let files = wide_csvs(dir)?;
    let methods = protocol::all_methods();
    progress.start(
        "repeats x datasets x budgets",
        repeats.max(1) * files.len() * protocol::RATIOS.len(),
    );
    let popts = protocol::ProtocolOptions::default();
    let (t, rows) = time(repeats, &|| {}, || {
        // The datasets in parallel (as the budgets and methods within
        // each); rows in the files' order, the first error in that order.
        let per_file: Vec<Result<Vec<protocol::Row>>> = files
            .par_iter()
            .map(|f| {
                let pool = datasets::finetune_wide(f)?;
                let name = f
                    .file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default();
                protocol::run_with(&name, &pool, &methods, &popts, progress)
            })
            .collect();
        let mut rows = Vec::new();
        for r in per_file {
            rows.extend(r?);
        }
        Ok(rows)
    })?;
    let row = selection_row("in-sample", files.len(), repeats, &t, &rows);
    Ok((rows, row))
}

/// The timing row of a selection protocol run.
fn selection_row(
    protocol_name: &str,
    datasets: usize,
    repeats: usize,
    t: &Timing,
    rows: &[slaw::selection::protocol::Row],
) -> BenchRow {
    use slaw::selection::protocol;
    BenchRow {
        name: format!(
            "selection ({protocol_name}): {datasets} dataset(s) x {} budgets x {} methods",
            protocol::RATIOS.len(),
            protocol::all_methods().len()
        ),
        repeats,
        median_s: t.median,
        min_s: t.min,
        cpu_median_s: t.cpu_median,
        fits: rows.len(),
        starts_per_fit: None,
        evaluations: None,
        result: if protocol_name == "in-sample" {
            String::new()
        } else {
            format!(
                "default by LODO: {} (with references: {})",
                protocol::default_by_lodo(rows),
                protocol::default_with_references_by_lodo(rows)
            )
        },
    }
}

/// The selection protocol leaving one dataset out: each dataset of `dir`
/// is evaluated with every data-chosen part (the trend prior of ats-trend,
/// the gap weights of ats-gap) learned from the others, the others as its
/// references (ats-ref), intervals at
/// `level` and their coverage.
pub fn selection_lodo(
    dir: &Path,
    repeats: usize,
    level: f64,
    progress: &dyn Progress,
) -> Result<(Vec<slaw::selection::protocol::Row>, BenchRow)> {
    use slaw::selection::protocol;
    let methods = protocol::all_methods();
    let datasets = wide_datasets(dir)?;
    progress.start(
        "repeats x datasets x budgets",
        repeats.max(1) * datasets.len() * protocol::RATIOS.len(),
    );
    let (t, rows) = time(repeats, &|| {}, || {
        protocol::run_lodo(&datasets, &methods, level, 0, progress)
    })?;
    let row = selection_row("leave one dataset out", datasets.len(), repeats, &t, &rows);
    Ok((rows, row))
}

/// Every wide-format CSV of `dir` (`wide_csvs`) read, named by its stem.
pub fn wide_datasets(dir: &Path) -> Result<Vec<(String, Vec<datasets::Candidate>)>> {
    wide_csvs(dir)?
        .iter()
        .map(|f| {
            let name = f
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            Ok((name, datasets::finetune_wide(f)?))
        })
        .collect()
}

/// The mismatched-reference check on the datasets of `dir`
/// (`slaw::selection::mismatch::run`, `permutations` seeds, intervals at
/// `level`, a share `share` of each reference's rows permuted), and its
/// wall time in seconds.
pub fn selection_mismatch(
    dir: &Path,
    level: f64,
    permutations: usize,
    share: f64,
) -> Result<(Vec<slaw::selection::mismatch::MismatchRow>, f64)> {
    let datasets = wide_datasets(dir)?;
    let t = std::time::Instant::now();
    let rows = slaw::selection::mismatch::run(&datasets, level, permutations, share)?;
    Ok((rows, t.elapsed().as_secs_f64()))
}

/// One law's objective kernel: CPU nanoseconds per point and evaluation
/// (value and gradient, Huber on log L), on one thread, median of
/// `repeats`; the fused kernel (`Model::ln_loss`) and the path through
/// `ln_batch` and a separate reduction. For the Chinchilla kernel also its
/// flops per point (counted as `CHINCHILLA_FLOPS` says) and its rate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KernelRow {
    pub law: String,
    pub points: usize,
    pub fused_ns_per_point: Option<f64>,
    pub unfused_ns_per_point: f64,
    pub flops_per_point: Option<f64>,
    /// flops_per_point / fused_ns_per_point.
    pub gflops: Option<f64>,
    /// 100 x the kernel's rate over the peak of one core, in short slices
    /// (~2 ms of the peak probe, then ~5e5 points of the kernel), each
    /// slice's rate against the peak measured just before it: the median
    /// of every slice of every repeat.
    pub percent_of_peak: Option<f64>,
    /// The first and third quartiles of those slices' percentages.
    pub percent_of_peak_quartiles: Option<(f64, f64)>,
    /// How many slices.
    pub peak_slices: Option<usize>,
}

/// `slaw bench kernels`: the machine's measured double-precision peak of
/// one core and the kernels.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Kernels {
    /// GFLOP/s of one core running independent fused multiply-adds at the
    /// widest vector width (`fma_peak`), median of the repeats.
    pub peak_gflops: f64,
    /// The vector level the peak and the kernels ran at (0 baseline x86-64,
    /// 1 AVX2 + FMA, 2 AVX-512).
    pub vector_level: u8,
    pub rows: Vec<KernelRow>,
}

/// Flops per point of the Chinchilla kernel (`additive2_ln_loss` in
/// `law/catalog/size_and_data.rs`), as executed: counted on the disassembly of its
/// AVX-512 copy (`objdump -d`, the block loop of its four stages, Huber
/// loss), where each 8-lane instruction works once for each of 8 points: a
/// fused multiply-add 2 flops; an add, subtract, multiply, divide, min or
/// max 1; integer and bit operations, permutes, broadcasts, moves and the
/// NaN checks of `max`/`min` (`vcmpunordpd` and the masked moves) 0. The
/// loop this benchmark runs (every exponent in range, so without their
/// guards): 51 fused multiply-adds, 21 multiplications, 10 additions, 1
/// subtraction, 2 divisions, the Huber clamp's min and max: 138. The loop
/// with the guards adds a min and a max per exponent: 142. Counted the same
/// way, the previous kernel (three stages, the guards always, the Huber
/// loss through |r|, a compare and a select, counted 1 each) executed 146.
pub const CHINCHILLA_FLOPS: f64 = 138.0;

slaw::multiversion! {
    /// `n` rounds of 12 independent chains of 8-lane fused multiply-adds
    /// (one 8-wide vector each on AVX-512: enough chains to cover the
    /// FMA latency on every port, so the rate is the FMA throughput).
    fn fma_rounds(n: usize, x: f64) -> f64 {
        let mut acc = [[0.0f64; 8]; 12];
        for (i, a) in acc.iter_mut().enumerate() {
            for (l, v) in a.iter_mut().enumerate() {
                *v = (i * 8 + l) as f64;
            }
        }
        let c = std::hint::black_box(0.999_999_9);
        for _ in 0..n {
            for a in acc.iter_mut() {
                for v in a.iter_mut() {
                    *v = slaw::fastmath::fmadd::<FMA>(*v, c, x);
                }
            }
        }
        acc.iter().flatten().sum()
    }
}

/// The double-precision peak of one core, measured: GFLOP/s (an FMA = 2
/// flops) of `fma_rounds` on this thread, median of `repeats`. On AVX-512
/// with two FMA units it is 32 flops per cycle times the clock the core
/// runs at (which turbo and load move: hence measured, in the same run).
pub fn fma_peak(repeats: usize) -> f64 {
    median(
        (0..repeats.max(1))
            .map(|_| fma_peak_once(2_000_000))
            .collect(),
    )
}

/// Rounds of [`fma_peak_once`] per slice of the kernel benchmark's
/// interleaved measurement (192 flops each: ~2 ms at 80 GFLOP/s, about
/// the time of a kernel slice).
const PEAK_SLICE_ROUNDS: usize = 800_000;

/// One measurement of [`fma_peak`]: `n` rounds (192 flops each).
fn fma_peak_once(n: usize) -> f64 {
    let c = thread_cpu_seconds();
    std::hint::black_box(fma_rounds(n, std::hint::black_box(1e-3)));
    (n * 12 * 8 * 2) as f64 / (thread_cpu_seconds() - c) / 1e9
}

/// The kernels of the built-in laws: Chinchilla's 240 runs, and 1e5
/// synthetic points for the one- and two-input laws.
pub fn kernels(data: &Path, repeats: usize, progress: &dyn Progress) -> Result<Kernels> {
    let peak = fma_peak(repeats);
    let mut cases: Vec<(slaw::law::Law, Observations)> = Vec::new();
    if let Ok(obs) = datasets::chinchilla(&data.join("chinchilla/svg_extracted_data.csv"), 5) {
        cases.push((catalog::chinchilla(), obs));
    }
    let n = 100_000;
    let xs: Vec<f64> = (0..n)
        .map(|i| 10f64.powf(1.0 + 5.0 * i as f64 / n as f64))
        .collect();
    let one = |law: slaw::law::Law, truth: &[f64]| {
        let pts: Vec<Vec<f64>> = xs.iter().map(|&x| vec![x]).collect();
        let obs = slaw::synthetic::generate(&law, truth, &pts, 0.002, 1, "");
        (law, obs)
    };
    let two = |law: slaw::law::Law, truth: &[f64]| {
        let pts: Vec<Vec<f64>> = xs
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                vec![
                    x * 1e4,
                    10f64.powf(3.0 + 3.0 * ((i * 7919) % n) as f64 / n as f64),
                ]
            })
            .collect();
        let obs = slaw::synthetic::generate(&law, truth, &pts, 0.002, 1, "");
        (law, obs)
    };
    cases.push(one(catalog::power(), &[2e3, 0.5, 1.5]));
    cases.push(one(catalog::vanilla_ft(), &[50.0, 0.4, 1.0, 1.0]));
    cases.push(one(catalog::rectified(), &[80.0, 40.0, 0.5, 1.0]));
    cases.push(two(catalog::joint_mult(), &[1e4, 0.3, 0.1, 1.0]));
    cases.push(two(catalog::joint_add(), &[300.0, 0.3, 5.0, 0.15, 1.0]));
    cases.push(one(catalog::reciprocal(), &[3.0, 0.05, 2.5]));
    cases.push(one(catalog::bnsl(1), &[0.8, 20.0, 0.1, 3e3, 0.3, 1.0]));
    // Laws with a batch kernel but no fused one (issue 22 item 2, `kern2`):
    // their row's batch path is the kernel; m4 (implicit, solved per point)
    // and the curve laws `log` and `tissue` (forecast fits, whose points
    // carry context, never run a fused kernel).
    cases.push(one(
        catalog::bnsl(2),
        &[0.8, 20.0, 0.1, 3e3, 0.3, 1.0, 1e5, 0.2, 0.5],
    ));
    cases.push(one(catalog::m4(), &[0.5, 4.0, 0.6, 30.0, 0.4]));
    cases.push(one(slaw::law::curves::logarithmic(), &[6.0, 0.3]));
    {
        // t over 10..1e6 steps, S1 = 3e-4 t (a constant rate), S2 in [0, 0.5).
        let law = slaw::law::curves::tissue();
        let pts: Vec<Vec<f64>> = xs
            .iter()
            .enumerate()
            .map(|(i, &t)| vec![t, 3e-4 * t, 0.5 * ((i * 7919) % n) as f64 / n as f64])
            .collect();
        let obs = slaw::synthetic::generate(&law, &[2.5, 0.6, 0.45, 3.0], &pts, 0.002, 1, "");
        cases.push((law, obs));
    }
    // Formula laws on 1e5 points, each beside the built-in law it writes
    // out (the same points, at the truth): the compiled program (batch
    // path) and the tree walker at every point (the path before it).
    let mut at_truth = Vec::new();
    let names = |s: &[&str]| s.iter().map(|v| v.to_string()).collect::<Vec<_>>();
    let power_truth = [2e3, 0.5, 1.5];
    let chin_truth = [406.4, 0.34, 410.7, 0.28, 1.69];
    let (_, power_obs) = one(catalog::power(), &power_truth);
    let (chin, chin_obs) = two(catalog::chinchilla(), &chin_truth);
    at_truth.push((chin, chin_obs.clone(), chin_truth.to_vec(), false));
    type Build = fn(&str, &[String], &[String], &[String]) -> slaw::Result<slaw::law::Law>;
    let builds: [(Build, &str); 2] = [
        (slaw::law::formula::formula_law, "formula"),
        (slaw::law::formula::formula_law_tree_walker, "tree walker"),
    ];
    for (build, how) in builds {
        let mut law = build(
            "A / D^alpha + E",
            &names(&["D"]),
            &names(&["A", "alpha", "E"]),
            &names(&["A", "E"]),
        )?;
        law.name = format!("power ({how})");
        at_truth.push((
            law,
            power_obs.clone(),
            power_truth.to_vec(),
            how != "formula",
        ));
        let mut law = build(
            "E + A / N^alpha + B / D^beta",
            &names(&["N", "D"]),
            &names(&["A", "alpha", "B", "beta", "E"]),
            &names(&["A", "B", "E"]),
        )?;
        law.name = format!("chinchilla ({how})");
        at_truth.push((law, chin_obs.clone(), chin_truth.to_vec(), how != "formula"));
    }
    let mut cases: Vec<_> = cases
        .into_iter()
        .map(|(law, obs)| {
            let u = law.grid()[0].clone();
            (law, obs, u, false)
        })
        .collect();
    for (law, obs, truth, slow) in at_truth {
        let u = law.to_internal(&truth);
        cases.push((law, obs, u, slow));
    }
    let mut rows = Vec::new();
    progress.start("laws", cases.len());
    for (law, obs, u, slow) in &cases {
        let objective = Objective::new(law, obs, Loss::Huber { delta: 1e-3 }, Space::Log);
        let u = u.clone();
        let mut g = vec![0.0; u.len()];
        // About 2e7 points per measurement (2e6 for the tree walker).
        let evals = (if *slow { 2_000_000 } else { 20_000_000 } / obs.len()).max(10);
        let flops = (law.name == "chinchilla").then_some(CHINCHILLA_FLOPS);
        // Per repeat: ns per point; for the kernel with a flop count also
        // the ratio of its rate to the peak in short interleaved slices
        // (a peak slice, then a kernel slice, each ~2 ms): load on this
        // shared machine moves both within seconds, the ratio of a pair
        // holds. Every slice's ratio is kept: their median and quartiles.
        let slice_evals = (500_000 / obs.len()).max(1);
        let measure = |fused: bool, g: &mut [f64], ratios: &mut Vec<f64>| {
            let eval = |g: &mut [f64]| {
                if fused {
                    objective.value_grad(std::hint::black_box(&u), g)
                } else {
                    objective.value_grad_unfused(std::hint::black_box(&u), g)
                }
            };
            let mut t = Vec::new();
            for _ in 0..repeats.max(1) {
                let mut sink = 0.0;
                let mut cpu = 0.0;
                let mut done = 0;
                while done < evals {
                    let k = slice_evals.min(evals - done);
                    let peak_now = if fused && flops.is_some() {
                        fma_peak_once(PEAK_SLICE_ROUNDS)
                    } else {
                        f64::NAN
                    };
                    let c = thread_cpu_seconds();
                    for _ in 0..k {
                        sink += eval(g);
                    }
                    let dt = thread_cpu_seconds() - c;
                    if let Some(f) = flops.filter(|_| fused) {
                        let ns = dt * 1e9 / (k * obs.len()) as f64;
                        ratios.push(f / ns / peak_now);
                    }
                    cpu += dt;
                    done += k;
                }
                std::hint::black_box(sink);
                t.push(cpu * 1e9 / (evals * obs.len()) as f64);
            }
            median(t)
        };
        let has_fused = {
            let mut g2 = vec![0.0; u.len()];
            objective.has_fused_kernel(&u, &mut g2)
        };
        let mut ratios = Vec::new();
        let fused_ns_per_point = has_fused.then(|| measure(true, &mut g, &mut ratios));
        let flops_per_point = flops;
        let gflops = flops_per_point
            .zip(fused_ns_per_point)
            .map(|(f, ns)| f / ns);
        ratios.sort_by(f64::total_cmp);
        let pct = |q: f64| 100.0 * slaw::stats::percentile(&ratios, q);
        let percent_of_peak = gflops.map(|_| pct(0.5));
        let percent_of_peak_quartiles = gflops.map(|_| (pct(0.25), pct(0.75)));
        let peak_slices = gflops.map(|_| ratios.len());
        rows.push(KernelRow {
            law: law.name.clone(),
            points: obs.len(),
            fused_ns_per_point,
            unfused_ns_per_point: measure(false, &mut g, &mut Vec::new()),
            flops_per_point,
            gflops,
            percent_of_peak,
            percent_of_peak_quartiles,
            peak_slices,
        });
        progress.tick();
    }
    Ok(Kernels {
        peak_gflops: peak,
        vector_level: slaw::fastmath::vector_level(),
        rows,
    })
}

/// `power` and `vanilla-ft` fitted to 100,000 points from one start,
/// squared error on ln L, analytic gradients.
fn large_fits(
    repeats: usize,
    solver: &dyn Solver,
    progress: &dyn Progress,
) -> Result<Vec<BenchRow>> {
    let cases = slaw::synthetic::LargeFit::cases();
    let mut rows = Vec::new();
    progress.start(
        "100,000-point fits: laws x repeats",
        cases.len() * repeats.max(1),
    );
    for case in &cases {
        let (law, start) = (&case.law, &case.start);
        // the scipy script builds the same 100,000 points
        let obs = case.points(100_000);
        let opts = FitOptions {
            loss: Loss::Squared,
            space: Space::Log,
            starts: Some(vec![law.to_internal(start)]),
            polish: 1,
            ..FitOptions::default()
        };
        let (t, res) = time(repeats, &|| progress.tick(), || {
            fit_with(law, &obs, &opts, solver)
        })?;
        rows.push(BenchRow::one_fit(
            format!(
                "{}: 100,000 points, squared error on ln L, one start",
                law.name
            ),
            repeats,
            &t,
            &res,
            format!(
                "objective {:.9e}, parameters {:?}, converged {}",
                res.objective,
                res.params
                    .iter()
                    .map(|v| format!("{v:.6}"))
                    .collect::<Vec<_>>(),
                res.converged
            ),
        ));
    }
    Ok(rows)
}
