//! Points that break their curve's trend by far more than the noise: a
//! law-free data check, shared by `slaw select`'s pool check
//! ([`crate::selection::spikes`]) and the one-input fits (`fit`, `compare`,
//! [`crate::observations::Observations::trend_break_warnings`]).
//!
//! Each point's residual is ln y minus the line, in log-log, through its
//! two nearest other points of the same curve (its neighbours; at an end,
//! the next two), divided by that residual's own noise factor
//! sqrt(1 + (1 - t)^2 + t^2) (t the point's position along that line: 1.5
//! between equally spaced neighbours, 6 one step beyond them). The noise is
//! 1.4826 x the median of those scaled residuals (over a pool's curves, or
//! over one curve's points), at least [`MIN_NOISE`]: robust to the breaks
//! themselves. A curve whose largest scaled residual exceeds [`SIGMAS`]
//! noises has a break; which of its points it is, is the point (of the
//! largest residual and its two neighbours each side) whose removal leaves
//! the rest of the curve smoothest (a break also pulls its neighbours'
//! residuals, by half its own between equally spaced points, and an end
//! break moves its neighbour's residual as much as its own); each further
//! one is found with the earlier ones removed. Two breaks close together
//! (adjacent, or one point apart) pull the points beside or between them
//! off the line more than themselves: where no single removal leaves the
//! rest within the threshold, the pair near the largest residual whose
//! removal does is taken.
//!
//! The threshold was fixed before any measurement ("far more than the
//! noise": 8 standard deviations, which independent noise essentially never
//! reaches); its checks on public and generated curves are in
//! BENCHMARKS.md ("Points that break their curve's trend").

/// How many noises a point must lie off its curve's trend to be flagged.
pub const SIGMAS: f64 = 8.0;

/// The smallest noise (ln units, about 0.1% per point) the check assumes:
/// on noise-free curves a deviation of 1% still is no break.
pub const MIN_NOISE: f64 = 1e-3;

/// At most this many breaks are named in one curve (beyond, the curve is
/// noisy, not broken).
pub const MAX_PER_CURVE: usize = 2;

/// The fewest points a single curve needs for its own noise (the median of
/// its scaled residuals) to be checked against (fixed before measuring).
pub const MIN_CURVE_POINTS: usize = 8;

/// Each point's residual against the line through its two nearest other
/// points, and its noise factor; `pts` are (ln x, ln y), x ascending.
pub fn residuals(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let m = pts.len();
    if m < 3 {
        return Vec::new();
    }
    (0..m)
        .map(|i| {
            let (a, b) = match i {
                0 => (pts[1], pts[2]),
                _ if i == m - 1 => (pts[m - 3], pts[m - 2]),
                _ => (pts[i - 1], pts[i + 1]),
            };
            let (x, y) = pts[i];
            let t = (x - a.0) / (b.0 - a.0);
            let pred = a.1 + t * (b.1 - a.1);
            (y - pred, 1.0 + (1.0 - t).powi(2) + t * t)
        })
        .collect()
}

/// The scaled residuals of `pts` (in units of `noise`).
pub fn scaled(pts: &[(f64, f64)], noise: f64) -> Vec<f64> {
    residuals(pts)
        .iter()
        .map(|&(e, f)| e / (noise * f.sqrt()))
        .collect()
}

fn largest(v: &[f64]) -> f64 {
    v.iter().map(|s| s.abs()).fold(0.0, f64::max)
}

/// Whether the check applies to `pts` ((ln x, ln y), ascending): every x
/// apart from the next in log space (sizes too close to tell apart, or
/// repeated, get no check).
pub fn usable(pts: &[(f64, f64)]) -> bool {
    pts.iter().all(|p| p.0.is_finite() && p.1.is_finite())
        && pts.windows(2).all(|w| w[1].0 - w[0].0 > 1e-9)
}

/// The noise per point of `curves` ((ln x, ln y) each, ascending; the
/// unusable ones left out): 1.4826 x the median scaled residual, at least
/// [`MIN_NOISE`]. None when no curve has a residual.
pub fn noise<'a>(curves: impl IntoIterator<Item = &'a [(f64, f64)]>) -> Option<f64> {
    let all: Vec<f64> = curves
        .into_iter()
        .filter(|v| usable(v))
        .flat_map(|v| scaled(v, 1.0))
        .map(f64::abs)
        .filter(|s| s.is_finite())
        .collect();
    (!all.is_empty()).then(|| (1.4826 * crate::stats::median(all)).max(MIN_NOISE))
}

/// A point that breaks its curve's trend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Break {
    /// Its index in the curve given.
    pub index: usize,
    /// ln y minus the line through its neighbours (with the earlier breaks
    /// removed).
    pub excess: f64,
    /// The excess in units of the noise (and its own noise factor).
    pub sigmas: f64,
    /// The index of the point before it when it was found (the earlier
    /// breaks removed); None for the first point.
    pub prev: Option<usize>,
}

/// How far off the line a point with residual `excess` (ln units) lies, as
/// the warnings say it: "25% above the line" within a factor 2, else "at 3.1
/// times the line".
pub fn off_the_line(excess: f64) -> String {
    let factor = excess.exp();
    if (0.5..=2.0).contains(&factor) {
        format!(
            "{:.0}% {} the line",
            100.0 * (factor - 1.0).abs(),
            if excess > 0.0 { "above" } else { "below" }
        )
    } else {
        format!("at {} times the line", crate::numbers::short(factor))
    }
}

/// The breaks of one curve `pts` ((ln x, ln y), ascending, [`usable`]) at
/// `noise`, at most `max`, by index; none on fewer than 4 points.
pub fn breaks(pts: &[(f64, f64)], noise: f64, max: usize) -> Vec<Break> {
    let mut left: Vec<usize> = (0..pts.len()).collect();
    let mut found = Vec::new();
    // The largest scaled residual of `cur` without its points `out`.
    let rest = |cur: &[(f64, f64)], out: &[usize]| {
        let r: Vec<(f64, f64)> = (0..cur.len())
            .filter(|k| !out.contains(k))
            .map(|k| cur[k])
            .collect();
        largest(&scaled(&r, noise))
    };
    while found.len() < max && left.len() >= 4 {
        let cur: Vec<(f64, f64)> = left.iter().map(|&i| pts[i]).collect();
        let s = scaled(&cur, noise);
        if largest(&s) <= SIGMAS {
            break;
        }
        // The point whose removal leaves the smoothest rest, among the
        // largest residual's and its two neighbours' each side (a break
        // moves no residual farther away); on a tie the one with the
        // larger own residual.
        let top = (0..s.len())
            .max_by(|&a, &b| s[a].abs().total_cmp(&s[b].abs()))
            .expect("at least 4 points");
        let j = (top.saturating_sub(2)..(top + 3).min(cur.len()))
            .min_by(|&a, &b| {
                rest(&cur, &[a])
                    .total_cmp(&rest(&cur, &[b]))
                    .then(s[b].abs().total_cmp(&s[a].abs()))
            })
            .expect("a non-empty range");
        // Two breaks close together (adjacent, or one point apart) pull
        // the point between or beside them off the line more than either:
        // where no single removal leaves the rest within the threshold, the
        // pair near the largest residual whose removal does, each off the
        // line through its neighbours without the other.
        let mut take = vec![j];
        if rest(&cur, &[j]) > SIGMAS && found.len() + 2 <= max && cur.len() >= 6 {
            let near: Vec<usize> = (top.saturating_sub(3)..(top + 4).min(cur.len())).collect();
            let pair = near
                .iter()
                .flat_map(|&a| near.iter().filter(move |&&b| b > a).map(move |&b| (a, b)))
                .map(|(a, b)| (a, b, rest(&cur, &[a, b])))
                .min_by(|x, y| x.2.total_cmp(&y.2));
            if let Some((a, b, _)) = pair.filter(|p| p.2 <= SIGMAS) {
                if off_line(&cur, noise, b, a).1.abs() > SIGMAS
                    && off_line(&cur, noise, a, b).1.abs() > SIGMAS
                {
                    take = vec![a, b];
                }
            }
        }
        if take.len() == 1 && s[j].abs() <= SIGMAS {
            break;
        }
        for &k in &take {
            // each off the line through its neighbours without the other
            let other = take.iter().copied().find(|&q| q != k);
            let (excess, sigmas, prev) = off_line(&cur, noise, k, other.unwrap_or(usize::MAX));
            found.push(Break {
                index: left[k],
                excess,
                sigmas,
                prev: prev.map(|q| left[q]),
            });
        }
        for &k in take.iter().rev() {
            left.remove(k);
        }
    }
    found.sort_by_key(|b| b.index);
    found
}

/// Point `k` of `cur`, without its point `out` (none when out of range):
/// its residual against the line through its neighbours, that residual in
/// noises, and the index in `cur` of the point before it.
fn off_line(cur: &[(f64, f64)], noise: f64, k: usize, out: usize) -> (f64, f64, Option<usize>) {
    let idx: Vec<usize> = (0..cur.len()).filter(|&q| q != out).collect();
    let r: Vec<(f64, f64)> = idx.iter().map(|&q| cur[q]).collect();
    let at = idx.iter().position(|&q| q == k).expect("k is kept");
    let (e, f) = residuals(&r)[at];
    (e, e / (noise * f.sqrt()), at.checked_sub(1).map(|q| idx[q]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ln of a power law 2 + 5 x^-0.3 at `m` log-spaced x, a deterministic
    /// +-0.3% wiggle, the points `bad` raised by 20%.
    fn curve(m: usize, bad: &[usize]) -> Vec<(f64, f64)> {
        (0..m)
            .map(|i| {
                let x: f64 = 10.0 * 1e4f64.powf(i as f64 / (m - 1) as f64);
                let u = ((i as u64 * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
                let mut y = (2.0 + 5.0 * x.powf(-0.3)) * (1.0 + 0.006 * u);
                if bad.contains(&i) {
                    y *= 1.2;
                }
                (x.ln(), y.ln())
            })
            .collect()
    }

    #[test]
    fn a_clean_curve_has_no_break_and_a_raised_point_is_found() {
        let clean = curve(40, &[]);
        let n = noise([clean.as_slice()]).unwrap();
        assert!(breaks(&clean, n, MAX_PER_CURVE).is_empty());
        for bad in [
            vec![0],
            vec![17],
            vec![39],
            vec![5, 30],
            vec![12, 14],
            vec![20, 21],
        ] {
            let c = curve(40, &bad);
            let n = noise([c.as_slice()]).unwrap();
            let b = breaks(&c, n, MAX_PER_CURVE);
            let found: Vec<usize> = b.iter().map(|b| b.index).collect();
            assert_eq!(found, bad, "{b:?}");
            for b in &b {
                assert!(
                    b.sigmas > SIGMAS && (b.excess - 1.2f64.ln()).abs() < 0.02,
                    "{b:?}"
                );
            }
        }
        // adjacent breaks: the second's previous point is the one before
        // both
        let c = curve(40, &[20, 21]);
        let b = breaks(&c, noise([c.as_slice()]).unwrap(), MAX_PER_CURVE);
        assert!(
            b.iter().any(|b| b.index == 21 && b.prev == Some(19)),
            "{b:?}"
        );
    }

    /// A long curve (a training log of every step) is checked in about
    /// linear time: only the largest residual's neighbourhood is searched
    /// for the point to remove.
    #[test]
    fn a_long_curve_is_checked() {
        let c = curve(100_000, &[54_321]);
        let n = noise([c.as_slice()]).unwrap();
        let b = breaks(&c, n, MAX_PER_CURVE);
        assert_eq!(b.iter().map(|b| b.index).collect::<Vec<_>>(), [54_321]);
    }

    #[test]
    fn close_or_repeated_sizes_are_not_checked() {
        let mut c = curve(10, &[]);
        c[4].0 = c[3].0;
        assert!(!usable(&c));
        assert!(noise([c.as_slice()]).is_none());
    }
}
