//! Does a reference hold the pool's models? A permutation test of the
//! reference's rows against the pool's, computed at run time from what the
//! user has: the pool's affordable points and the reference's curve at the
//! same sizes (nothing past the budget).
//!
//! Per candidate that the reference has by name, up to three features are
//! compared, each on the pool and on the reference at the candidate's own
//! affordable sizes:
//! - `level`: ln L at the last affordable size;
//! - `fall`: ln L at the first affordable size minus ln L at the last
//!   (two affordable sizes or more);
//! - `zero-shot`: ln L at N = 0, when the pool and the reference have it.
//!
//! A feature enters when every tested candidate has it on both sides. The
//! statistic is the sum over the features of Spearman's rank correlation
//! across the candidates. Under the null hypothesis the reference's rows
//! are attached to the names at random: the same statistic under
//! [`PERMUTATIONS`] random re-matchings (one permutation for every feature;
//! a fixed seed, drawn over the candidates in the order of their names, so
//! the same inputs in any row order give the same p-value) gives
//! p = (1 + #{T_perm >= T}) / (1 + PERMUTATIONS); with at most 6 tested
//! candidates every re-matching is drawn once (the exact p-value, the
//! identity included), so 3 or fewer candidates can never pass at 0.05,
//! and 4 only when no other re-matching reaches their statistic (p = 1/24). A reference with p >
//! [`MATCH_LEVEL`] is not used. The statistic and the level were fixed
//! before the test was run on any data (issue 13, BENCHMARKS.md "A
//! reference that does not match is noticed").

use super::reference::Reference;
use super::Budget;
use crate::datasets::Candidate;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The largest p-value at which a reference is used.
pub const MATCH_LEVEL: f64 = 0.05;

/// Random re-matchings of the reference's rows in the test.
pub const PERMUTATIONS: usize = 999;

/// The seed of the re-matchings (every test draws the same ones).
const SEED: u64 = 0x13_5EED;

/// The result of the match test of one reference against one pool under one
/// budget.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MatchTest {
    /// Candidates tested: those the reference has by name with an affordable
    /// point inside the reference's sizes.
    pub candidates: usize,
    /// The features compared ("level", "fall", "zero-shot").
    pub features: Vec<&'static str>,
    /// The sum over the features of Spearman's rank correlation between the
    /// pool and the reference across the tested candidates.
    pub statistic: f64,
    /// The share of random re-matchings (the observed one counted) whose
    /// statistic is at least the observed one; 1 when nothing was testable.
    pub p_value: f64,
    /// Re-matchings drawn (every one, m!, when m! <= [`PERMUTATIONS`]).
    pub permutations: usize,
    /// The largest p-value at which the reference is used.
    pub level: f64,
    /// p_value <= level.
    pub passed: bool,
}

impl MatchTest {
    /// The smallest p-value this test could give (the observed matching
    /// alone at least as good): 1 / m! when every re-matching was drawn, 1
    /// when nothing was testable.
    pub fn min_p_value(&self) -> f64 {
        match self.permutations {
            0 => 1.0,
            n if n < PERMUTATIONS => 1.0 / n as f64,
            _ => 1.0 / (1 + PERMUTATIONS) as f64,
        }
    }

    /// Test `reference` against `pool` under `budget`.
    pub fn of(pool: &[Candidate], budget: &Budget, reference: &Reference) -> MatchTest {
        let f = Features::of(pool, budget, reference);
        Self::from_features(&f)
    }

    fn from_features(f: &Features) -> MatchTest {
        let m = f.level.0.len();
        let mut features = vec!["level"];
        let mut pairs = vec![&f.level];
        if let Some(p) = &f.fall {
            features.push("fall");
            pairs.push(p);
        }
        if let Some(p) = &f.zero_shot {
            features.push("zero-shot");
            pairs.push(p);
        }
        if m < 2 {
            return MatchTest {
                candidates: m,
                features,
                statistic: 0.0,
                p_value: 1.0,
                permutations: 0,
                level: MATCH_LEVEL,
                passed: false,
            };
        }
        // Centred, unit-norm ranks: a correlation is one dot product, and a
        // re-matching permutes the reference's side only.
        let z: Vec<(Vec<f64>, Vec<f64>)> = pairs
            .iter()
            .map(|(a, b)| (unit_ranks(a), unit_ranks(b)))
            .collect();
        let stat = |perm: &[usize]| -> f64 {
            z.iter()
                .map(|(a, b)| (0..m).map(|i| a[i] * b[perm[i]]).sum::<f64>())
                .sum()
        };
        let ident: Vec<usize> = (0..m).collect();
        let t = stat(&ident);
        let tol = 1e-9 * (1.0 + t.abs());
        let n_all: usize = (1..=m).product();
        if n_all <= PERMUTATIONS {
            // Few candidates: every re-matching, the exact p-value.
            let mut at_least = 0usize;
            every_permutation(m, &mut |perm| {
                if stat(perm) >= t - tol {
                    at_least += 1;
                }
            });
            let p_value = at_least as f64 / n_all as f64;
            return MatchTest {
                candidates: m,
                features,
                statistic: t,
                p_value,
                permutations: n_all,
                level: MATCH_LEVEL,
                passed: p_value <= MATCH_LEVEL,
            };
        }
        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        let mut perm = ident;
        let mut at_least = 0usize;
        for _ in 0..PERMUTATIONS {
            // Fisher-Yates.
            for i in (1..m).rev() {
                let j = rng.random_range(0..=i);
                perm.swap(i, j);
            }
            if stat(&perm) >= t - tol {
                at_least += 1;
            }
        }
        let p_value = (1 + at_least) as f64 / (1 + PERMUTATIONS) as f64;
        MatchTest {
            candidates: m,
            features,
            statistic: t,
            p_value,
            permutations: PERMUTATIONS,
            level: MATCH_LEVEL,
            passed: p_value <= MATCH_LEVEL,
        }
    }
}

/// Per feature, the pool's and the reference's values over the tested
/// candidates, in the order of their names (so the re-matchings, and the
/// p-value, do not depend on the order of the pool's rows).
struct Features {
    level: (Vec<f64>, Vec<f64>),
    fall: Option<(Vec<f64>, Vec<f64>)>,
    zero_shot: Option<(Vec<f64>, Vec<f64>)>,
}

impl Features {
    fn of(pool: &[Candidate], budget: &Budget, r: &Reference) -> Features {
        let mut level = (Vec::new(), Vec::new());
        let mut fall = Some((Vec::new(), Vec::new()));
        let mut zero_shot = Some((Vec::new(), Vec::new()));
        let mut by_name: Vec<&Candidate> = pool.iter().collect();
        by_name.sort_by(|a, b| a.id.cmp(&b.id));
        for c in by_name {
            let pts: Vec<(f64, f64)> = budget
                .affordable(c)
                .into_iter()
                .filter(|p| p.1 > 0.0 && p.1.is_finite())
                .map(|p| (p.0.ln(), p.1.ln()))
                .collect();
            let Some(&(x_last, y_last)) = pts.last() else {
                continue;
            };
            let Some(r_last) = r.ln_loss(&c.id, x_last) else {
                continue;
            };
            level.0.push(y_last);
            level.1.push(r_last);
            let first = (pts.len() >= 2)
                .then(|| Some((pts[0].1, r.ln_loss(&c.id, pts[0].0)?)))
                .flatten();
            fall = match (fall, first) {
                (Some((mut a, mut b)), Some((y0, r0))) => {
                    a.push(y0 - y_last);
                    b.push(r0 - r_last);
                    Some((a, b))
                }
                _ => None,
            };
            let z0 = c
                .loss_at(0.0)
                .filter(|l| *l > 0.0 && l.is_finite())
                .zip(r.ln_zero_shot(&c.id));
            zero_shot = match (zero_shot, z0) {
                (Some((mut a, mut b)), Some((l0, r0))) => {
                    a.push(l0.ln());
                    b.push(r0);
                    Some((a, b))
                }
                _ => None,
            };
        }
        let m = level.0.len();
        let keep = |f: Option<(Vec<f64>, Vec<f64>)>| f.filter(|f| m >= 2 && f.0.len() == m);
        Features {
            level,
            fall: keep(fall),
            zero_shot: keep(zero_shot),
        }
    }
}

/// Call `f` with every permutation of 0..m (Heap's algorithm; the identity
/// among them).
fn every_permutation(m: usize, f: &mut dyn FnMut(&[usize])) {
    let mut a: Vec<usize> = (0..m).collect();
    let mut c = vec![0usize; m];
    f(&a);
    let mut i = 1;
    while i < m {
        if c[i] < i {
            if i % 2 == 0 {
                a.swap(0, i);
            } else {
                a.swap(c[i], i);
            }
            f(&a);
            c[i] += 1;
            i = 1;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
}

/// The ranks of `v` (ties averaged), centred and scaled to unit norm (all 0
/// when `v` is constant).
fn unit_ranks(v: &[f64]) -> Vec<f64> {
    let n = v.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    let mean = (n as f64 - 1.0) / 2.0;
    r.iter_mut().for_each(|x| *x -= mean);
    let norm = r.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        r.iter_mut().for_each(|x| *x /= norm);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pool of `n` models whose curves differ in level, slope and
    /// zero-shot loss, and the same models on another task (other levels
    /// and slopes, but ordered alike, with noise), measured to the target.
    fn pools(n: usize) -> (Vec<Candidate>, Vec<Candidate>) {
        let sizes: Vec<f64> = (0..14).map(|i| 200.0 * 2f64.powi(i)).collect();
        let curve = |level: f64, slope: f64, z: f64| -> Vec<(f64, f64)> {
            std::iter::once((0.0, z))
                .chain(sizes.iter().map(|&s| (s, level * (s / 200.0).powf(slope))))
                .collect()
        };
        let mut pool = Vec::new();
        let mut other = Vec::new();
        for i in 0..n {
            // A deterministic scramble so that level, slope and zero-shot
            // are not one ordering.
            let a = ((i * 7) % n) as f64 / n as f64;
            let b = ((i * 11 + 3) % n) as f64 / n as f64;
            let noise = 0.02 * ((i as f64) * 1.7).sin();
            pool.push(Candidate {
                id: format!("m{i}"),
                curve: curve(2.0 + a, -0.02 - 0.05 * b, 3.0 + a + 0.3 * b),
                size: None,
                family: None,
            });
            other.push(Candidate {
                id: format!("m{i}"),
                curve: curve(
                    1.2 + 0.7 * a + noise,
                    -0.04 - 0.03 * b + noise * 0.1,
                    2.0 + 0.5 * a + 0.2 * b + noise,
                ),
                size: None,
                family: None,
            });
        }
        (pool, other)
    }

    #[test]
    fn unit_ranks_average_ties_and_give_unit_norm() {
        let r = unit_ranks(&[3.0, 1.0, 3.0, 2.0]);
        // Ranks 2.5, 0, 2.5, 1 minus 1.5.
        let raw = [1.0, -1.5, 1.0, -0.5];
        let norm = raw.iter().map(|x: &f64| x * x).sum::<f64>().sqrt();
        for (a, b) in r.iter().zip(raw) {
            assert!((a - b / norm).abs() < 1e-12);
        }
        assert_eq!(unit_ranks(&[1.0, 1.0]), vec![0.0, 0.0]);
    }

    /// The same models pass at every budget; the same curves under
    /// re-matched names fail, and the p-value is the same on a second run.
    #[test]
    fn a_matched_reference_passes_and_a_permuted_one_fails() {
        let (pool, other) = pools(20);
        let target = 200.0 * 2f64.powi(13);
        let matched = Reference::of(&other);
        // A permutation of the names: model i gets model (i + 7) mod 20's curve.
        let permuted: Vec<Candidate> = other
            .iter()
            .enumerate()
            .map(|(i, c)| Candidate {
                id: format!("m{}", (i + 7) % 20),
                ..c.clone()
            })
            .collect();
        let permuted = Reference::of(&permuted);
        for r in [8.0, 64.0, 512.0] {
            let budget = Budget::new(target, target / r).unwrap();
            let t = MatchTest::of(&pool, &budget, &matched);
            assert!(t.passed, "1/{r}: {t:?}");
            assert_eq!(t.candidates, 20);
            assert_eq!(t.features, vec!["level", "fall", "zero-shot"]);
            assert!(
                t.p_value <= 1.0 / (1 + PERMUTATIONS) as f64 + 1e-12,
                "{t:?}"
            );
            let u = MatchTest::of(&pool, &budget, &permuted);
            assert!(!u.passed, "1/{r}: {u:?}");
            assert!(u.p_value > MATCH_LEVEL);
            assert_eq!(u, MatchTest::of(&pool, &budget, &permuted));
        }
    }

    /// The pool's rows in another order give the same test (the
    /// re-matchings are drawn over the names, not the rows): the p-value of
    /// a reference near the level once moved with the file's row order.
    #[test]
    fn the_pools_row_order_does_not_change_the_test() {
        let (pool, other) = pools(20);
        let target = 200.0 * 2f64.powi(13);
        // A weak agreement, so that p is not at its floor: every name's
        // curve moved three places along.
        let shifted: Vec<Candidate> = other
            .iter()
            .enumerate()
            .map(|(i, c)| Candidate {
                id: format!("m{}", (i + 3) % 20),
                ..c.clone()
            })
            .collect();
        let reversed: Vec<Candidate> = pool.iter().rev().cloned().collect();
        let mut scrambled = pool.clone();
        scrambled.rotate_left(7);
        for r in [Reference::of(&other), Reference::of(&shifted)] {
            for budget_ratio in [8.0, 512.0] {
                let budget = Budget::new(target, target / budget_ratio).unwrap();
                let t = MatchTest::of(&pool, &budget, &r);
                assert_eq!(t, MatchTest::of(&reversed, &budget, &r));
                assert_eq!(t, MatchTest::of(&scrambled, &budget, &r));
            }
        }
    }

    #[test]
    fn every_permutation_once() {
        let mut seen = std::collections::BTreeSet::new();
        every_permutation(4, &mut |p| {
            seen.insert(p.to_vec());
        });
        assert_eq!(seen.len(), 24);
    }

    /// Four candidates that agree perfectly: the exact p-value 1/24 (the
    /// identity alone reaches the statistic); three can never pass.
    #[test]
    fn few_candidates_get_the_exact_p_value() {
        let (pool, _) = pools(20);
        let target = 200.0 * 2f64.powi(13);
        let budget = Budget::new(target, target / 64.0).unwrap();
        let four: Vec<Candidate> = [0, 5, 10, 15].iter().map(|&i| pool[i].clone()).collect();
        let t = MatchTest::of(&four, &budget, &Reference::of(&four));
        assert_eq!(t.permutations, 24);
        assert!((t.p_value - 1.0 / 24.0).abs() < 1e-12, "{t:?}");
        assert!(t.passed);
        assert!((t.min_p_value() - 1.0 / 24.0).abs() < 1e-12);
        let t = MatchTest::of(&four[..3], &budget, &Reference::of(&four[..3]));
        assert_eq!(t.permutations, 6);
        assert!(!t.passed);
        // Three cannot pass whatever they hold: the warning says so
        // rather than blame the reference.
        assert!(t.min_p_value() > MATCH_LEVEL);
        let sel = crate::selection::select_with_references(
            &four[..3],
            crate::selection::Method::parse("ats-ref", 3, 5.0).unwrap(),
            budget,
            &crate::selection::SelectOptions::default(),
            &[Reference::of(&four[..3])],
        )
        .unwrap();
        let w = sel.warnings.join(" ");
        assert!(w.contains("too few for the match test"), "{w}");
        assert!(!w.contains("does not match"), "{w}");
    }

    /// Nothing testable (one matched candidate): p = 1, not passed.
    #[test]
    fn one_matched_candidate_cannot_pass() {
        let (pool, other) = pools(5);
        let r = Reference::of(&other[..1]);
        let target = 200.0 * 2f64.powi(13);
        let t = MatchTest::of(&pool, &Budget::new(target, target / 64.0).unwrap(), &r);
        assert_eq!(t.candidates, 1);
        assert_eq!(t.p_value, 1.0);
        assert!(!t.passed);
    }
}
