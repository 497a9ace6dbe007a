//! Coverage of the allocation intervals on synthetic isoFLOP grids drawn from
//! a known Chinchilla law: the share of seeds whose true N_opt(C), D_opt(C)
//! and exponent lie inside the reported interval, for the isoFLOP profiles
//! and the parametric law, at budgets inside the measured range and beyond it.
//! Runs are drawn from the Chinchilla law (the parametric method's own family)
//! and from Kaplan et al.'s law (outside it). The figures are printed
//! (BENCHMARKS.md, "Compute-optimal allocation") and asserted: near the
//! nominal 90% inside the measured range at 0.3% noise, never under 70-80%
//! elsewhere.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use slaw::allocate::isoflop::{Budgets, Run};
use slaw::allocate::methods::{allocate_group, AllocationMethod, Options};
use slaw::allocate::Chinchilla;
use slaw::bootstrap::Interval;
use slaw::fit::FitOptions;
use std::ops::RangeInclusive;

const BUDGETS: [f64; 7] = [1e18, 3e18, 1e19, 3e19, 1e20, 3e20, 1e21];
/// Asked budgets: two inside the measured range, one at 10x beyond its top
/// (not yet flagged) and one at 100x (flagged as an extrapolation).
const ASKED: [f64; 4] = [3e18, 1e20, 1e22, 1e23];
const LEVEL: f64 = 0.9;

/// The law the runs are drawn from: its loss and its compute-optimal
/// allocation.
trait Truth {
    fn loss(&self, n: f64, d: f64) -> f64;
    /// (N_opt, D_opt) at compute c (C = 6ND).
    fn optimum(&self, c: f64) -> (f64, f64);
    /// a in N_opt ~ C^a.
    fn exponent(&self) -> f64;
}

fn law() -> Chinchilla {
    Chinchilla::from_params(&[406.4, 0.34, 410.7, 0.28, 1.69]).unwrap()
}

impl Truth for Chinchilla {
    fn loss(&self, n: f64, d: f64) -> f64 {
        self.predict(n, d)
    }
    fn optimum(&self, c: f64) -> (f64, f64) {
        let (n, d, _) = Chinchilla::optimum(self, c);
        (n, d)
    }
    fn exponent(&self) -> f64 {
        self.exponent_n()
    }
}

/// Kaplan et al.'s L = [(Nc/N)^(aN/aD) + Dc/D]^aD, a law the parametric
/// method does not contain (no irreducible term, the two terms inside one
/// power): its optimum solves p Nc^p N^-(p+1) = 6 Dc / C with p = aN/aD, so
/// N_opt = (p Nc^p C / (6 Dc))^(1/(p+1)).
struct Kaplan;

impl Kaplan {
    const AN: f64 = 0.076;
    const AD: f64 = 0.095;
    const NC: f64 = 8.8e13;
    const DC: f64 = 5.4e13;
}

impl Truth for Kaplan {
    fn loss(&self, n: f64, d: f64) -> f64 {
        let p = Self::AN / Self::AD;
        ((Self::NC / n).powf(p) + Self::DC / d).powf(Self::AD)
    }
    fn optimum(&self, c: f64) -> (f64, f64) {
        let p = Self::AN / Self::AD;
        let n = (p * Self::NC.powf(p) * c / (6.0 * Self::DC)).powf(1.0 / (p + 1.0));
        (n, c / (6.0 * n))
    }
    fn exponent(&self) -> f64 {
        let p = Self::AN / Self::AD;
        1.0 / (p + 1.0)
    }
}

/// `per` sizes per budget over a factor `spread` either side of the optimum,
/// multiplicative loss noise of sd `noise`.
fn grid(law: &dyn Truth, per: usize, spread: f64, noise: f64, seed: u64) -> Vec<Run> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    for &c in &BUDGETS {
        let (n0, _) = law.optimum(c);
        for k in 0..per {
            let t = -1.0 + 2.0 * k as f64 / (per - 1) as f64;
            let n = n0 * spread.powf(t);
            let d = c / (6.0 * n);
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            out.push(Run {
                n,
                d,
                c,
                loss: law.loss(n, d) * (1.0 + noise * z),
                budget: c,
                line: out.len() + 1,
            });
        }
    }
    out
}

#[derive(Default)]
struct Tally {
    trials: usize,
    exponent: usize,
    /// Per asked budget: (N_opt covered, D_opt covered).
    at: [(usize, usize); 4],
    /// Largest relative error of the point estimate of N_opt per budget.
    worst_n: [f64; 4],
}

impl Tally {
    fn add(
        &mut self,
        law: &dyn Truth,
        exponent: (f64, Option<Interval>),
        rows: &[(f64, Option<Interval>, Option<Interval>)],
    ) {
        let inside = |iv: Option<Interval>, v: f64| iv.is_some_and(|iv| iv.lo <= v && v <= iv.hi);
        self.trials += 1;
        self.exponent += inside(exponent.1, law.exponent()) as usize;
        for (k, (&c, (n_opt, n_iv, d_iv))) in ASKED.iter().zip(rows).enumerate() {
            let (n, d) = law.optimum(c);
            self.at[k].0 += inside(*n_iv, n) as usize;
            self.at[k].1 += inside(*d_iv, d) as usize;
            self.worst_n[k] = self.worst_n[k].max((n_opt / n - 1.0).abs());
        }
    }

    fn share(&self, count: usize) -> f64 {
        count as f64 / self.trials as f64
    }

    fn print(&self, method: &str, noise: f64) {
        let cells: Vec<String> = ASKED
            .iter()
            .zip(&self.at)
            .zip(&self.worst_n)
            .map(|((c, (n, d)), w)| {
                format!(
                    "C={c:.0e}: N {:.2} D {:.2} (worst N err {:.1}%)",
                    self.share(*n),
                    self.share(*d),
                    100.0 * w
                )
            })
            .collect();
        eprintln!(
            "allocation coverage, {method}, noise {noise}: {} seeds, exponent {:.2}; {}",
            self.trials,
            self.share(self.exponent),
            cells.join("; ")
        );
    }
}

fn measure(law: &dyn Truth, noise: f64, seeds: u64, replicates: usize) -> (Tally, Tally) {
    let fit = FitOptions::default();
    let (mut iso, mut par) = (Tally::default(), Tally::default());
    for seed in 0..seeds {
        let runs = grid(law, 9, 4.0, noise, 1000 + seed);
        let o = Options {
            method: AllocationMethod::All,
            budgets: &ASKED,
            grouping: Budgets::Exact,
            bootstrap: slaw::bootstrap::Resampling::new(replicates, LEVEL, seed),
            fit: &fit,
        };
        let g = allocate_group("synthetic", &runs, &o);
        assert!(g.failed.is_empty(), "seed {seed}: {:?}", g.failed);
        let i = g.isoflop.as_ref().unwrap();
        let rows: Vec<_> = i
            .rows
            .iter()
            .map(|r| (r.n_opt, r.n_interval, r.d_interval))
            .collect();
        iso.add(law, (i.exponent_n, i.exponent_n_interval), &rows);
        let p = g.parametric.as_ref().unwrap();
        let rows: Vec<_> = p
            .rows
            .iter()
            .map(|r| (r.n_opt, r.n_interval, r.d_interval))
            .collect();
        par.add(law, (p.exponent_n, p.exponent_n_interval), &rows);
    }
    iso.print("isoflop", noise);
    par.print("parametric", noise);
    (iso, par)
}

/// Assert the coverage of the exponent interval and of the N_opt and D_opt
/// intervals at the first `budgets` asked budgets lie in `band`.
fn assert_covers(name: &str, t: &Tally, band: RangeInclusive<f64>, budgets: usize) {
    let e = t.share(t.exponent);
    assert!(band.contains(&e), "{name}: exponent coverage {e}");
    for (c, (n, d)) in ASKED.iter().zip(&t.at).take(budgets) {
        let (n, d) = (t.share(*n), t.share(*d));
        assert!(
            band.contains(&n) && band.contains(&d),
            "{name} at {c:.0e}: N {n}, D {d}"
        );
    }
}

#[test]
fn allocation_intervals_cover_near_nominal_inside_the_measured_range() {
    let (iso, par) = measure(&law(), 0.003, 60, 200);
    // Inside the measured range (3e18 and 1e20) near the nominal 90%.
    assert_covers("isoflop", &iso, 0.75..=0.99, 2);
    assert_covers("parametric", &par, 0.75..=0.99, 2);
}

/// At 1% noise (a third of the points' spread across a budget) the
/// within-budget resampling of the isoFLOP profiles is conservative: a
/// resample with few distinct sizes moves the parabola's vertex more than the
/// noise does. Measured: 0.90-0.98 for isoflop, 0.88-0.95 parametric (0.90-0.93
/// before its draws were made row-order free). A
/// residual (wild) bootstrap was tried instead and under-covers (0.45-0.82):
/// it keeps the design but drops the parabola's own misfit. So the check here
/// is that nothing under-covers.
#[test]
fn allocation_intervals_at_one_percent_noise_do_not_under_cover() {
    let (iso, par) = measure(&law(), 0.01, 60, 200);
    assert_covers("isoflop", &iso, 0.8..=1.0, ASKED.len());
    assert_covers("parametric", &par, 0.8..=1.0, ASKED.len());
}

/// Runs from a law the parametric method does not contain, whose isoFLOP
/// profiles are not symmetric in ln N: the parabola's vertex is biased by a
/// few percent, the same at every budget (the exponent keeps its coverage).
/// Without the window part of the isoFLOP bootstrap, N_opt inside the range
/// was covered 28-50%; with it 78-83% (measured). The parametric law's
/// bootstrap fits scatter widely on such runs: its intervals cover all.
#[test]
fn allocation_intervals_on_a_law_outside_the_parametric_family() {
    let (iso, par) = measure(&Kaplan, 0.003, 60, 200);
    assert_covers("isoflop", &iso, 0.7..=1.0, ASKED.len());
    assert_covers("parametric", &par, 0.7..=1.0, ASKED.len());
}

/// The same sizes at every budget, 9 from 1e7 to 3e10 (a wide fixed grid,
/// every minimum inside it): the profiles are not symmetric in ln N over
/// such a span, so isoflop's replicates, whose window drops an end, shift
/// away from the estimate. Before the intervals were widened to reach the
/// estimate, an estimate (the exponent's, a budget's N* or N_opt's) lay
/// outside its own interval on 8 of 200 seeds of this grid, 4 of the 100
/// here (seeds 20, 58, 79, 80). Every interval now contains its estimate.
#[test]
fn isoflop_intervals_contain_their_estimates_on_a_wide_fixed_grid() {
    let law = law();
    let fit = FitOptions::default();
    for seed in 0..100u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(2000 + seed);
        let mut runs = Vec::new();
        for &c in &BUDGETS {
            for k in 0..9 {
                let n = 1e7 * 3000f64.powf(k as f64 / 8.0);
                let d = c / (6.0 * n);
                let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                runs.push(Run {
                    n,
                    d,
                    c,
                    loss: law.loss(n, d) * (0.01 * z).exp(),
                    budget: c,
                    line: runs.len() + 1,
                });
            }
        }
        let o = Options {
            method: AllocationMethod::Isoflop,
            budgets: &[1e21],
            grouping: Budgets::Exact,
            bootstrap: slaw::bootstrap::Resampling::new(200, LEVEL, seed),
            fit: &fit,
        };
        let g = allocate_group("wide", &runs, &o);
        let i = g.isoflop.as_ref().expect("isoflop fits the wide grid");
        assert!(!i.design.not_determined, "seed {seed}: {:?}", i.design);
        let inside = |x: f64, iv: Option<Interval>| iv.is_some_and(|iv| iv.lo <= x && x <= iv.hi);
        assert!(
            inside(i.exponent_n, i.exponent_n_interval),
            "seed {seed}: a"
        );
        assert!(
            inside(i.exponent_d, i.exponent_d_interval),
            "seed {seed}: b"
        );
        for r in &i.rows {
            assert!(inside(r.n_opt, r.n_interval), "seed {seed}: N_opt {r:?}");
            assert!(inside(r.d_opt, r.d_interval), "seed {seed}: D_opt {r:?}");
        }
        // Runs sharing a compute give the budget that compute exactly.
        let computes: Vec<f64> = i.budgets.iter().map(|b| b.compute).collect();
        assert_eq!(computes, BUDGETS, "seed {seed}");
        for b in i.budgets.iter().filter(|b| b.n_opt.is_some()) {
            let n = b.n_opt.unwrap();
            assert!(inside(n, b.n_interval), "seed {seed}: budget {b:?}");
        }
    }
}
