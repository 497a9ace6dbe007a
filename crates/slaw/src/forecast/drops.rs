//! The learning-rate drops of a curve, grouped into blocks so that the
//! multi-power law's sum over every earlier drop costs O(log K / eps) per
//! point instead of O(K).
//!
//! A point at forward area S sees drop k through G(eta_k^-gamma (S - S_k)).
//! Drops far back in S vary little in ln(S - S_k): a block of them is summed
//! as one drop (its total decrease at its decrease-weighted mean S_k and mean
//! ln eta_k) when its width in S is at most `EPS` times its distance to the
//! point and its ln eta spread is at most `EPS_LN_ETA`; the error is then of
//! second order in those ratios (below 2e-5 of the drop term on a 100k-step
//! cosine decay, with 57 terms instead of 99,000: test below; 1e-5 with 92
//! terms at EPS 0.2). Recent drops
//! are summed one by one. Blocks are the aligned power-of-two groups of a
//! binary tree, taken greedily from the newest drop.

/// A run of consecutive drops summed as one.
#[derive(Debug, Clone, Copy)]
pub struct Block {
    /// Total decrease of the learning rate.
    pub d: f64,
    /// Decrease-weighted mean forward area at the drops' start.
    pub s: f64,
    /// Decrease-weighted mean ln(learning rate after the drop).
    pub ln_eta: f64,
    s_first: f64,
    s_last: f64,
    ln_lo: f64,
    ln_hi: f64,
}

/// Width of an accepted block relative to its distance (in S) to the point.
/// (The sub-drops of `curve::Features` are 4 per segment; 0.5 keeps the
/// terms per point about where one drop per segment and 0.2 had them.)
pub const EPS: f64 = 0.5;
/// Largest spread of ln eta in an accepted block.
pub const EPS_LN_ETA: f64 = 0.1;

/// The drops of a curve in blocks of 2^l consecutive drops, for the
/// multi-power law's sum: far drops are summed as blocks (see the module).
#[derive(Debug, Clone, Default)]
pub struct DropTree {
    /// levels[l][j]: drops j 2^l .. (j+1) 2^l.
    levels: Vec<Vec<Block>>,
    /// Index of levels[l][0] in the flat order of `blocks`.
    offsets: Vec<usize>,
}

impl DropTree {
    /// From the drops (decrease, rate after it, forward area at its start),
    /// in order of their start.
    pub fn new(drops: &[(f64, f64, f64)]) -> DropTree {
        let base: Vec<Block> = drops
            .iter()
            .map(|&(d, eta, s)| {
                let l = eta.max(1e-30).ln();
                Block {
                    d,
                    s,
                    ln_eta: l,
                    s_first: s,
                    s_last: s,
                    ln_lo: l,
                    ln_hi: l,
                }
            })
            .collect();
        let mut levels = vec![base];
        while levels.last().is_some_and(|l| l.len() >= 2) {
            let prev = levels.last().expect("non-empty");
            let next: Vec<Block> = prev.chunks_exact(2).map(|p| merge(p[0], p[1])).collect();
            levels.push(next);
        }
        let mut offsets = Vec::with_capacity(levels.len());
        let mut o = 0;
        for l in &levels {
            offsets.push(o);
            o += l.len();
        }
        DropTree { levels, offsets }
    }

    /// Every block of the tree, level by level (the flat index of
    /// `for_each_indexed`): per-block factors of a law can be computed once
    /// per evaluation rather than once per point.
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.levels.iter().flatten()
    }

    /// Number of blocks in the tree.
    pub fn len(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// Whether there are no drops.
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty() || self.levels[0].is_empty()
    }

    /// The flat indices (see `blocks`) of the blocks that `for_each` visits
    /// from any of `points` ((drops covered, forward area) pairs), in
    /// increasing order, each once: the only blocks whose per-block factors
    /// an evaluation at those points reads. (They do not depend on a law's
    /// parameters, so they are found once per curve; a fit on a window of
    /// a long curve reads a few thousand blocks of the whole curve's
    /// millions.)
    pub fn visited(&self, points: impl Iterator<Item = (usize, f64)>) -> Vec<usize> {
        let mut seen = vec![false; self.len()];
        for (upto, s) in points {
            self.for_each_indexed(upto, s, |_, j| seen[j] = true);
        }
        (0..seen.len()).filter(|&j| seen[j]).collect()
    }

    /// The block at flat index `j` (see `blocks`).
    pub fn block(&self, j: usize) -> &Block {
        let l = self.offsets.partition_point(|&o| o <= j) - 1;
        &self.levels[l][j - self.offsets[l]]
    }

    /// Call `visit` with blocks covering the first `upto` drops, as seen from
    /// forward area `s`.
    #[inline]
    pub fn for_each(&self, upto: usize, s: f64, mut visit: impl FnMut(&Block)) {
        self.for_each_indexed(upto, s, |b, _| visit(b));
    }

    /// `for_each` with each block's flat index (see `blocks`).
    #[inline]
    pub fn for_each_indexed(&self, upto: usize, s: f64, mut visit: impl FnMut(&Block, usize)) {
        let mut j = upto;
        let top = self.levels.len().saturating_sub(1);
        while j > 0 {
            let mut lvl = (j.trailing_zeros() as usize).min(top);
            loop {
                let size = 1usize << lvl;
                let b = &self.levels[lvl][j / size - 1];
                if lvl == 0
                    || (b.s_last - b.s_first <= EPS * (s - b.s_last)
                        && b.ln_hi - b.ln_lo <= EPS_LN_ETA)
                {
                    visit(b, self.offsets[lvl] + j / size - 1);
                    j -= size;
                    break;
                }
                lvl -= 1;
            }
        }
    }
}

fn merge(a: Block, b: Block) -> Block {
    let d = a.d + b.d;
    let (wa, wb) = if d > 0.0 {
        (a.d / d, b.d / d)
    } else {
        (0.5, 0.5)
    };
    Block {
        d,
        s: wa * a.s + wb * b.s,
        ln_eta: wa * a.ln_eta + wb * b.ln_eta,
        s_first: a.s_first,
        s_last: b.s_last,
        ln_lo: a.ln_lo.min(b.ln_lo),
        ln_hi: a.ln_hi.max(b.ln_hi),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sum_k d_k G(eta_k^-gamma (S - S_k)), exactly and by blocks.
    fn both(drops: &[(f64, f64, f64)], s: f64, c: f64, beta: f64, gamma: f64) -> (f64, f64, usize) {
        let g = |d: f64, ln_eta: f64, sk: f64| {
            let x = (-gamma * ln_eta).exp() * (s - sk).max(0.0);
            d * (1.0 - (c * x + 1.0).powf(-beta))
        };
        let exact: f64 = drops.iter().map(|&(d, e, sk)| g(d, e.ln(), sk)).sum();
        let tree = DropTree::new(drops);
        let (mut approx, mut n) = (0.0, 0);
        tree.for_each(drops.len(), s, |b| {
            approx += g(b.d, b.ln_eta, b.s);
            n += 1;
        });
        (exact, approx, n)
    }

    #[test]
    fn blocks_match_the_exact_sum_with_few_terms() {
        // A cosine decay over 100k steps, one drop per step.
        let n = 100_000;
        let eta = |t: f64| 3e-5 + 1.35e-4 * (1.0 + (std::f64::consts::PI * t / n as f64).cos());
        let mut area = 0.0;
        let mut drops = Vec::new();
        for t in 1..=n {
            let (a, b) = (eta(t as f64 - 1.0), eta(t as f64));
            drops.push((a - b, b, area));
            area += b;
        }
        for (c, beta, gamma) in [(2.0, 0.6, 0.6), (0.001, 0.05, 0.0), (50.0, 2.0, 1.5)] {
            let (exact, approx, terms) = both(&drops, area, c, beta, gamma);
            assert!(
                (exact - approx).abs() <= 3e-5 * exact.abs(),
                "C {c} beta {beta} gamma {gamma}: {exact} vs {approx}"
            );
            eprintln!(
                "C {c} beta {beta} gamma {gamma}: {terms} terms, rel. error {:.1e}",
                (exact - approx).abs() / exact.abs()
            );
            assert!(terms < 150, "{terms} terms");
        }
    }
}
