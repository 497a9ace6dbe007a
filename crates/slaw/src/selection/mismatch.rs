//! References that do not match, measured: the leave-one-dataset-out
//! protocol of `ats-ref` with each dataset's references (the other datasets)
//! as they are, with their rows permuted (each name carries another model's
//! curve; seeded), and with both at once. Per dataset and budget: the match
//! test's verdicts ([`MatchTest`](super::MatchTest)) and `ats-ref`'s
//! PearCorr against `ats-gap`'s (`slaw bench selection --protocol lodo
//! --permuted-references N`; issue 13, BENCHMARKS.md "A reference that does
//! not match is noticed").

use super::metrics::pearson;
use super::protocol::{learn_gap_prior, learn_prior, learn_scale, FULL_SIZE, RATIOS};
use super::{select_with_references, AtsOptions, Budget, Method, Reference, SelectOptions};
use crate::datasets::Candidate;
use crate::{Error, Result};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// One (dataset, budget) of [`run`]. PearCorr as a fraction (the tables print x100).
#[derive(Debug, Clone, serde::Serialize)]
pub struct MismatchRow {
    /// The evaluated dataset.
    pub dataset: String,
    /// Target over the budget's largest size.
    pub ratio: u32,
    /// ats-gap's PearCorr (no reference).
    pub gap: f64,
    /// ats-ref's PearCorr with the true references (the other datasets).
    pub true_ref: f64,
    /// The largest p-value of the true references' match tests.
    pub true_p_max: f64,
    /// Permutations of the references' rows (seeds 0 ... n - 1).
    pub permutations: usize,
    /// The share of each reference's rows permuted (1: all).
    pub share: f64,
    /// Share of the permuted references that failed their match test.
    pub permuted_rejected: f64,
    /// ats-ref's PearCorr with the permuted references: mean, min, max over
    /// the permutations.
    pub permuted: [f64; 3],
    /// The true and the permuted references together: share of the runs
    /// where every true reference passed and every permuted one failed.
    pub both_sorted: f64,
    /// ats-ref's PearCorr with both: mean, min, max over the permutations.
    pub both: [f64; 3],
}

/// `pool`'s rows with the names of a share `share` of them (rounded; all
/// when 1) permuted among themselves by `seed`: each of those rows keeps
/// its curve under another of those names (a seeded Fisher-Yates shuffle;
/// the rows are drawn first, by the same generator).
pub fn permute_names(pool: &[Candidate], seed: u64, share: f64) -> Vec<Candidate> {
    let n = pool.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rows: Vec<usize> = (0..n).collect();
    let k = permuted_rows(n, share);
    if k < n {
        // The first k of a shuffle of the rows, in ascending order.
        shuffle(&mut rows, &mut rng);
        rows.truncate(k);
        rows.sort_unstable();
    }
    let mut names: Vec<String> = rows.iter().map(|&i| pool[i].id.clone()).collect();
    shuffle(&mut names, &mut rng);
    let mut out = pool.to_vec();
    for (&i, id) in rows.iter().zip(names) {
        out[i].id = id;
    }
    out
}

/// How many of `n` rows [`permute_names`] permutes at `share`.
fn permuted_rows(n: usize, share: f64) -> usize {
    ((share.clamp(0.0, 1.0) * n as f64).round() as usize).min(n)
}

fn shuffle<T>(v: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
}

/// Leave one dataset out, `ats-ref` against `ats-gap`: every dataset of
/// `datasets` with the others as references (priors and interval scale
/// learned on the others, intervals at `level`, as `protocol::run_lodo`),
/// as they are, permuted (`permutations` seeds; the reference of dataset j
/// under seed s is permuted by seed 1000 j + s; a share `share` of its rows,
/// all when 1: [`permute_names`]), and both together.
pub fn run(
    datasets: &[(String, Vec<Candidate>)],
    level: f64,
    permutations: usize,
    share: f64,
) -> Result<Vec<MismatchRow>> {
    if datasets.len() < 2 {
        return Err(Error::data(
            "the mismatched-reference check needs at least two datasets",
        ));
    }
    for (name, pool) in datasets {
        if permuted_rows(pool.len(), share) < 2 {
            return Err(Error::data(format!(
                "{name}: a share {share} of its {} rows permutes fewer than 2 names (nothing \
                 would change): give a larger share",
                pool.len()
            )));
        }
    }
    let ats = AtsOptions { k: 3, delta: 5.0 };
    let gap_m = Method::parse("ats-gap", ats.k, ats.delta)?;
    let ref_m = Method::parse("ats-ref", ats.k, ats.delta)?;
    let per: Vec<Result<Vec<MismatchRow>>> = (0..datasets.len())
        .into_par_iter()
        .map(|i| {
            let (name, pool) = (&datasets[i].0, &datasets[i].1);
            let others: Vec<&(String, Vec<Candidate>)> = datasets
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, d)| d)
                .collect();
            let other_pools: Vec<&[Candidate]> = others.iter().map(|d| d.1.as_slice()).collect();
            let prior = learn_prior(other_pools.iter().copied())
                .ok_or_else(|| Error::data(format!("{name}: no trend windows in the others")))?;
            let gap_prior = learn_gap_prior(other_pools.iter().copied())
                .ok_or_else(|| Error::data(format!("{name}: no gap windows in the others")))?;
            let truth: Vec<f64> = pool
                .iter()
                .map(|c| {
                    c.loss_at(FULL_SIZE).ok_or_else(|| {
                        Error::data(format!(
                            "{name}: candidate '{}' has no loss at the full size {FULL_SIZE}",
                            c.id
                        ))
                    })
                })
                .collect::<Result<_>>()?;
            let opts_of = |m: &Method| SelectOptions {
                level: Some(level),
                trend_prior: prior,
                gap_prior,
                spread_scale: learn_scale(m, &other_pools, &prior, &gap_prior),
                ..SelectOptions::default()
            };
            let (gap_opts, ref_opts) = (opts_of(&gap_m), opts_of(&ref_m));
            let truths: Vec<Reference> = others
                .iter()
                .map(|d| Reference::of(&d.1).named(d.0.clone()))
                .collect();
            let permuted: Vec<Vec<Reference>> = (0..permutations as u64)
                .map(|s| {
                    others
                        .iter()
                        .enumerate()
                        .map(|(j, d)| {
                            Reference::of(&permute_names(&d.1, 1000 * j as u64 + s, share))
                                .named(format!("{} (rows permuted, seed {s})", d.0))
                        })
                        .collect()
                })
                .collect();
            let run = |budget: Budget, m: Method, opts: &SelectOptions, refs: &[Reference]| {
                let sel = select_with_references(pool, m, budget, opts, refs)?;
                let mut score = vec![0.0; pool.len()];
                for rk in &sel.ranking {
                    score[rk.index] = m.kind().protocol_score(rk.estimate.score);
                }
                let passed: Vec<bool> = sel.references.iter().map(|u| u.test.passed).collect();
                let p_max = sel
                    .references
                    .iter()
                    .map(|u| u.test.p_value)
                    .fold(0.0, f64::max);
                Ok::<_, Error>((pearson(&score, &truth), passed, p_max))
            };
            RATIOS
                .iter()
                .map(|&r| {
                    let budget = Budget::new(FULL_SIZE, FULL_SIZE / r as f64)?;
                    let (gap, _, _) = run(budget, gap_m, &gap_opts, &[])?;
                    let (true_ref, _, true_p_max) = run(budget, ref_m, &ref_opts, &truths)?;
                    let (mut perm, mut both) = (Vec::new(), Vec::new());
                    let (mut rejected, mut sorted) = (0usize, 0usize);
                    for p in &permuted {
                        let (c, passed, _) = run(budget, ref_m, &ref_opts, p)?;
                        rejected += passed.iter().filter(|x| !**x).count();
                        perm.push(c);
                        let refs: Vec<Reference> = truths.iter().chain(p).cloned().collect();
                        let (c, passed, _) = run(budget, ref_m, &ref_opts, &refs)?;
                        let (t, q) = passed.split_at(truths.len());
                        if t.iter().all(|x| *x) && q.iter().all(|x| !*x) {
                            sorted += 1;
                        }
                        both.push(c);
                    }
                    let n = permutations.max(1) as f64;
                    Ok(MismatchRow {
                        dataset: name.clone(),
                        ratio: r,
                        gap,
                        true_ref,
                        true_p_max,
                        permutations,
                        share,
                        permuted_rejected: rejected as f64 / (n * truths.len() as f64),
                        permuted: summary(&perm),
                        both_sorted: sorted as f64 / n,
                        both: summary(&both),
                    })
                })
                .collect()
        })
        .collect();
    let mut rows = Vec::new();
    for r in per {
        rows.extend(r?);
    }
    Ok(rows)
}

/// Mean, min and max of `v` (NaN when empty).
fn summary(v: &[f64]) -> [f64; 3] {
    if v.is_empty() {
        return [f64::NAN; 3];
    }
    [
        v.iter().sum::<f64>() / v.len() as f64,
        v.iter().copied().fold(f64::INFINITY, f64::min),
        v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_names_moves_names_not_curves_and_is_seeded() {
        let pool: Vec<Candidate> = (0..10)
            .map(|i| Candidate {
                id: format!("m{i}"),
                curve: vec![(1.0, 1.0 + i as f64)],
                size: None,
                family: None,
            })
            .collect();
        let a = permute_names(&pool, 3, 1.0);
        let b = permute_names(&pool, 3, 1.0);
        let ids = |v: &[Candidate]| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_ne!(ids(&a), ids(&pool));
        let mut sorted = ids(&a);
        sorted.sort();
        let mut orig = ids(&pool);
        orig.sort();
        assert_eq!(sorted, orig);
        for (c, d) in a.iter().zip(&pool) {
            assert_eq!(c.curve, d.curve);
        }
        // A share: the other rows keep their names.
        let h = permute_names(&pool, 3, 0.3);
        let kept = h.iter().zip(&pool).filter(|(x, y)| x.id == y.id).count();
        assert!(kept >= 7, "{:?}", ids(&h));
        assert_ne!(ids(&h), ids(&pool));
    }
}
