//! Long curves: the pick's fits on log-spaced bins of the points.

use super::*;

/// Above this many points, each fit of the pick (on all the points, and at
/// each backtest origin on the points before it, however many) is made on [`BINS`]
/// log-spaced bins of the points ([`log_bins`]); the backtests are still
/// scored on every later point. No curve of the benchmarks comes near it
/// (`slaw bench curves`: at most 546 points; the largest file of the shared
/// data has 4,853 rows), so their figures are those of the exact fits; a
/// training log of 1e5 steps is fitted in seconds instead of minutes (M4 by
/// its authors' procedure costs about 1.5 ms per point and fit).
pub const MAX_POINTS: usize = 5_000;

/// Bins of a fit above [`MAX_POINTS`] points.
pub const BINS: usize = 500;

/// Whether [`log_bins`] can bin the points `idx` (ordered by x): one input,
/// no context, every x > 0, none held out, a range of x that is not empty.
pub fn binnable(obs: &Observations, idx: &[usize]) -> bool {
    if obs.dim() != 1 || obs.context_dim != 0 || idx.is_empty() {
        return false;
    }
    let (first, last) = (obs.point(idx[0])[0], obs.point(idx[idx.len() - 1])[0]);
    first > 0.0
        && last > first
        && last.is_finite()
        && !idx
            .iter()
            .any(|&i| obs.held[i] || obs.point(i)[0].is_nan() || obs.point(i)[0] <= 0.0)
}

/// The points `idx` (ordered by x, one input) in `bins` bins equally spaced
/// in ln x from the first point's x to the last's: per non-empty bin one
/// point at exp(mean ln x), the mean of the loss in the fit's `space` (ln L
/// or L), both weighted by the points' weights, with their sum as its
/// weight — so the bins weigh the curve's parts as its points do, and a
/// law smooth over a bin (in ln x, width ln(x_last / x_first) / bins) fits
/// them as it fits the points, to second order in the bin's width (the
/// Huber loss's threshold then acts on bin means, whose noise is smaller
/// than the points'). `None` (fit the points themselves) when an x is 0
/// or below, a point is held out, the points carry context, or the x range
/// is empty.
pub fn log_bins(
    obs: &Observations,
    idx: &[usize],
    bins: usize,
    space: crate::objective::Space,
) -> Option<Observations> {
    if bins == 0 || !binnable(obs, idx) {
        return None;
    }
    let (first, last) = (obs.point(idx[0])[0], obs.point(idx[idx.len() - 1])[0]);
    let (l0, span) = (first.ln(), (last / first).ln());
    let log = space == crate::objective::Space::Log;
    // per bin: sum w, sum w ln x, sum w y (or w ln y), first point
    let mut acc: Vec<(f64, f64, f64, usize)> = vec![(0.0, 0.0, 0.0, usize::MAX); bins];
    for &i in idx {
        let (x, y, w) = (obs.point(i)[0], obs.y[i], obs.weight[i]);
        if w.is_nan() || w <= 0.0 {
            continue;
        }
        let b = ((((x.ln() - l0) / span) * bins as f64) as usize).min(bins - 1);
        let a = &mut acc[b];
        a.0 += w;
        a.1 += w * x.ln();
        a.2 += w * if log { y.ln() } else { y };
        if a.3 == usize::MAX {
            a.3 = i;
        }
    }
    let kept: Vec<&(f64, f64, f64, usize)> = acc.iter().filter(|a| a.0 > 0.0).collect();
    let mut out = obs.subset(&kept.iter().map(|a| a.3).collect::<Vec<_>>());
    for (k, a) in kept.iter().enumerate() {
        out.x[k] = (a.1 / a.0).exp();
        let m = a.2 / a.0;
        out.y[k] = if log { m.exp() } else { m };
        out.weight[k] = a.0;
    }
    Some(out)
}

/// The points `idx` (ordered by x) a fit of the pick on a curve of `n`
/// points is made on: the points themselves up to [`MAX_POINTS`], else
/// their [`log_bins`] (at the backtest origins too, so that the whole pick
/// of a long curve is on bins).
pub(super) fn fit_data<'a>(
    obs: &'a Observations,
    idx: &[usize],
    n: usize,
    opts: &FitOptions,
) -> std::borrow::Cow<'a, Observations> {
    if n > MAX_POINTS {
        if let Some(b) = log_bins(obs, idx, BINS, opts.space) {
            return std::borrow::Cow::Owned(b);
        }
    }
    obs.part(idx)
}
