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
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Block {
    /// Total decrease of the learning rate.
    pub d: f64,
    /// Decrease-weighted mean forward area at the drops' start.
    pub s: f64,
    /// Decrease-weighted mean ln(learning rate after the drop).
    pub ln_eta: f64,
}

/// Width of an accepted block relative to its distance (in S) to the point.
/// (The sub-drops of `curve::Features` are 4 per segment; 0.5 keeps the
/// terms per point about where one drop per segment and 0.2 had them.)
pub const EPS: f64 = 0.5;
/// Largest spread of ln eta in an accepted block.
pub const EPS_LN_ETA: f64 = 0.1;

/// The drops of a curve in blocks of 2^l consecutive drops, for the
/// multi-power law's sum: far drops are summed as blocks (see the module).
///
/// 24 bytes a block (a rate logged at every step of 1e6 has 4e6 sub-drops,
/// 8e6 blocks: 192 MB), plus a byte per block above the drops: a block's
/// extent in S is its first and last drop's (read from the lowest level,
/// the values a block of its own bounds would hold), and whether its
/// spread of ln eta allows it is decided once, when it is built.
#[derive(Debug, Clone, Default)]
pub struct DropTree {
    /// Every block, level by level (the flat order of `blocks`): level l,
    /// from `offsets[l]`, holds drops j 2^l .. (j+1) 2^l at j; level 0 is
    /// the drops.
    blocks: Vec<Block>,
    /// Per block above level 0 (flat index minus the drops' number):
    /// whether its ln eta spread (highest minus lowest of its drops') is
    /// at most `EPS_LN_ETA` (a single drop is always taken).
    narrow: Vec<bool>,
    /// Index of level l's first block in `blocks`.
    offsets: Vec<usize>,
}

impl DropTree {
    /// From the drops (decrease, rate after it, forward area at its start),
    /// in order of their start.
    pub fn new(drops: &[(f64, f64, f64)]) -> DropTree {
        DropTree::from_drops(
            drops
                .iter()
                .map(|&(d, eta, s)| Block {
                    d,
                    s,
                    ln_eta: ln_rate(eta),
                })
                .collect(),
        )
    }

    /// From the drops as blocks of one ([`ln_rate`] of the rate after
    /// each), in order of their start: the tree of [`DropTree::new`] on
    /// them, without a list of the drops beside it.
    pub fn from_drops(mut blocks: Vec<Block>) -> DropTree {
        let n = blocks.len();
        let mut offsets = vec![0];
        let (mut total, mut len) = (n, n);
        while len >= 2 {
            offsets.push(total);
            len /= 2;
            total += len;
        }
        blocks.reserve_exact(total - n);
        let mut narrow = Vec::with_capacity(total - n);
        // The ln eta range of each block of the level below (level 0's:
        // its own ln eta, not stored twice).
        let mut range: Vec<(f64, f64)> = Vec::new();
        for l in 1..offsets.len() {
            let (below, len) = (offsets[l - 1], (offsets[l] - offsets[l - 1]) / 2);
            let mut next_range = Vec::with_capacity(len);
            for k in 0..len {
                let (a, b) = (blocks[below + 2 * k], blocks[below + 2 * k + 1]);
                blocks.push(merge(a, b));
                let ((alo, ahi), (blo, bhi)) = if l == 1 {
                    ((a.ln_eta, a.ln_eta), (b.ln_eta, b.ln_eta))
                } else {
                    (range[2 * k], range[2 * k + 1])
                };
                let (lo, hi) = (alo.min(blo), ahi.max(bhi));
                next_range.push((lo, hi));
                narrow.push(hi - lo <= EPS_LN_ETA);
            }
            range = next_range;
        }
        DropTree {
            blocks,
            narrow,
            offsets,
        }
    }

    /// Every block of the tree, level by level (the flat index of
    /// `for_each_indexed`): per-block factors of a law can be computed once
    /// per evaluation rather than once per point.
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.blocks.iter()
    }

    /// Number of blocks in the tree.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether there are no drops.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
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
        &self.blocks[j]
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
        let top = self.offsets.len().saturating_sub(1);
        // Level 0: the drops, the first `n` blocks.
        let n = self.offsets.get(1).copied().unwrap_or(self.blocks.len());
        while j > 0 {
            let mut lvl = (j.trailing_zeros() as usize).min(top);
            if lvl > 0 {
                // The blocks tried end at drop j - 1; a block of 2^lvl
                // drops starts at drop j - 2^lvl: its extent in S runs from
                // that drop's to the last's.
                let last = self.blocks[j - 1].s;
                let reach = EPS * (s - last);
                while lvl > 0
                    && !(last - self.blocks[j - (1 << lvl)].s <= reach
                        && self.narrow[self.offsets[lvl] - n + (j >> lvl) - 1])
                {
                    lvl -= 1;
                }
            }
            let at = self.offsets[lvl] + (j >> lvl) - 1;
            visit(&self.blocks[at], at);
            j -= 1 << lvl;
        }
    }
}

/// ln of a drop's rate after it, as a block holds it (a rate of 0 or
/// below as 1e-30).
#[inline]
pub fn ln_rate(eta: f64) -> f64 {
    eta.max(1e-30).ln()
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

    /// The tree as it was before its blocks were made compact (each block
    /// with its first and last drop's S and its ln eta range, 56 bytes):
    /// the reference the compact one must visit as, bit for bit.
    mod wide {
        use super::super::{EPS, EPS_LN_ETA};

        #[derive(Clone, Copy)]
        pub struct Block {
            pub d: f64,
            pub s: f64,
            pub ln_eta: f64,
            s_first: f64,
            s_last: f64,
            ln_lo: f64,
            ln_hi: f64,
        }

        pub struct Tree {
            levels: Vec<Vec<Block>>,
            offsets: Vec<usize>,
        }

        impl Tree {
            pub fn new(drops: &[(f64, f64, f64)]) -> Tree {
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
                    let next = prev.chunks_exact(2).map(|p| merge(p[0], p[1])).collect();
                    levels.push(next);
                }
                let mut offsets = Vec::new();
                let mut o = 0;
                for l in &levels {
                    offsets.push(o);
                    o += l.len();
                }
                Tree { levels, offsets }
            }

            pub fn for_each_indexed(
                &self,
                upto: usize,
                s: f64,
                mut visit: impl FnMut(&Block, usize),
            ) {
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
    }

    /// The compact tree visits the blocks the wide one did, with the same
    /// values, bit for bit, from every point of a schedule with a cosine
    /// decay, jumps (ln eta spreads over `EPS_LN_ETA`), decreases of 0 and
    /// a rate of 0; `from_drops` builds the tree `new` does.
    #[test]
    fn compact_blocks_visit_as_the_wide_ones() {
        let mut drops = Vec::new();
        let mut area = 0.0;
        let mut points = Vec::new();
        let eta = |t: f64| 1e-4 + 2e-4 * (1.0 + (std::f64::consts::PI * t / 3000.0).cos()) / 2.0;
        let mut last = eta(0.0);
        for t in 1..=3000 {
            let mut e = eta(t as f64);
            if t % 700 == 0 {
                e /= 3.0; // a jump: its blocks' ln eta spread is over EPS_LN_ETA
            }
            if t % 450 == 0 {
                drops.push((0.0, last, area)); // a decrease of 0
            }
            if t == 2999 {
                e = 0.0; // a rate of 0 (ln eta of 1e-30)
            }
            if e < last {
                for k in 0..4 {
                    drops.push(((last - e) / 4.0, e, area + 0.25 * k as f64 * e));
                }
            }
            last = e.max(1e-12);
            area += e;
            points.push((drops.len(), area));
        }
        let (wide, compact) = (wide::Tree::new(&drops), DropTree::new(&drops));
        let blocks: Vec<Block> = drops
            .iter()
            .map(|&(d, eta, s)| Block {
                d,
                s,
                ln_eta: ln_rate(eta),
            })
            .collect();
        let rebuilt = DropTree::from_drops(blocks);
        assert_eq!(compact.blocks().count(), rebuilt.len());
        assert!(compact
            .blocks()
            .zip(rebuilt.blocks())
            .all(|(a, b)| bits(a) == bits(b)));
        let mut terms = 0;
        let mut wide_blocks = 0;
        for &(upto, s) in points.iter().chain(&[(drops.len(), 2.0 * area)]) {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            wide.for_each_indexed(upto, s, |blk, j| {
                a.push((j, [blk.d, blk.s, blk.ln_eta].map(f64::to_bits)))
            });
            compact.for_each_indexed(upto, s, |blk, j| b.push((j, bits(blk))));
            assert_eq!(a, b, "point at {s}, {upto} drops");
            terms += b.len();
            wide_blocks += b.iter().filter(|t| t.0 >= drops.len()).count();
        }
        // Blocks above the drops were taken (and some refused for their
        // ln eta spread: the jumps' neighbourhoods).
        assert!(
            wide_blocks > 1000 && terms < 60 * points.len(),
            "{wide_blocks} of {terms}"
        );
    }

    fn bits(b: &Block) -> [u64; 3] {
        [b.d, b.s, b.ln_eta].map(f64::to_bits)
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
