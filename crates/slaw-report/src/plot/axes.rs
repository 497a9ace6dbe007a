//! Axes: the plotted range of a figure, tick positions on log axes and
//! their labels.

use super::{Figure, SeriesKind};

pub(super) fn bounds(fig: &Figure) -> Option<((f64, f64), (f64, f64))> {
    let mut xs = (f64::INFINITY, f64::NEG_INFINITY);
    let mut ys = (f64::INFINITY, f64::NEG_INFINITY);
    let mut add = |x: f64, y: f64| {
        if x > 0.0 && y > 0.0 && x.is_finite() && y.is_finite() {
            xs = (xs.0.min(x), xs.1.max(x));
            ys = (ys.0.min(y), ys.1.max(y));
        }
    };
    for s in &fig.series {
        for (i, &(x, y)) in s.points.iter().enumerate() {
            // An open interval's lower end is no calibrated level: it does
            // not stretch the axis (its bar runs to the plot's bottom).
            if s.kind == SeriesKind::OpenInterval && i % 2 == 0 {
                continue;
            }
            add(x, y);
        }
    }
    for b in &fig.bands {
        for &(x, lo, hi) in &b.points {
            add(x, lo);
            add(x, hi);
        }
    }
    for v in &fig.vlines {
        if v.x > 0.0 && v.x.is_finite() {
            xs = (xs.0.min(v.x), xs.1.max(v.x));
        }
    }
    if !xs.0.is_finite() || !ys.0.is_finite() {
        return None;
    }
    // Pad by a share of the log range (a degenerate range by a fixed factor).
    let pad = |(lo, hi): (f64, f64), share: f64| {
        let f = ((hi / lo).ln() * share).exp().max(1.02);
        (lo / f, hi * f)
    };
    Some((pad(xs, 0.04), pad(ys, 0.05)))
}

/// Tick positions on a log axis over [lo, hi]: every power of ten when at
/// most [`MAX_DECADE_TICKS`] fit, else every k-th, evenly (never "1e19,
/// 1e20, 1e22, 1e24"); 1-2-5 steps over one to a few decades (and where
/// powers of ten would leave more than a quarter of the axis unlabelled at
/// an end), evenly spaced round numbers inside one decade; the first
/// choice with at least three ticks in range. An axis of 1-2-5 steps or
/// round numbers whose end is left without a label over more than a
/// quarter of its length (data from 2160 with ticks from 4000, losses
/// near 3 with ticks from 5) gets one more tick there ([`fill_ends`]); an
/// axis of powers of ten never gets one (no "4e9" among powers of ten).
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let t = main_ticks(lo, hi);
    if is_decades(&t) {
        return t;
    }
    fill_ends(lo, hi, t)
}

/// The most powers of ten an axis labels one by one; past that, every
/// k-th (k the smallest that keeps them at most this many).
pub const MAX_DECADE_TICKS: usize = 10;

/// Whether every tick is a power of ten (at least two of them).
fn is_decades(t: &[f64]) -> bool {
    t.len() >= 2
        && t.iter()
            .all(|v| (v.log10() - v.log10().round()).abs() < 1e-9)
}

/// Where the ticks leave more than a quarter of a log axis without a label
/// at either end, the round number (one significant digit) nearest the
/// middle of that gap, at least a tenth of the axis from the nearest tick.
fn fill_ends(lo: f64, hi: f64, mut t: Vec<f64>) -> Vec<f64> {
    let (Some(&first), Some(&last)) = (t.first(), t.last()) else {
        return t;
    };
    let span = (hi / lo).ln();
    if !(span > 0.0 && span.is_finite()) {
        return t;
    }
    let share = |a: f64, b: f64| (b / a).ln() / span;
    // Round numbers m 10^k in [a, b], nearest (in ln) to their middle first.
    let pick = |a: f64, b: f64, near: f64| -> Option<f64> {
        let mid = (a * b).sqrt();
        let (k0, k1) = (a.log10().floor() as i32, b.log10().ceil() as i32);
        (k0..=k1)
            .flat_map(|k| (1..10).map(move |m| m as f64 * 10f64.powi(k)))
            .filter(|&v| v >= a * (1.0 - 1e-12) && v <= b * (1.0 + 1e-12))
            .filter(|&v| share(v.min(near), v.max(near)) >= 0.1)
            .min_by(|x, y| (x / mid).ln().abs().total_cmp(&(y / mid).ln().abs()))
    };
    if share(lo, first) > 0.25 {
        if let Some(v) = pick(lo, first, first) {
            t.insert(0, v);
        }
    }
    if share(last, hi) > 0.25 {
        if let Some(v) = pick(last, hi, last) {
            t.push(v);
        }
    }
    t
}

fn main_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return vec![];
    }
    let inside = |v: f64| v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12);
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let decades = (hi / lo).log10();
    let powers: Vec<i32> = (k0..=k1).filter(|&k| inside(10f64.powi(k))).collect();
    if decades >= 2.0 && powers.len() >= 2 {
        // Every k-th power, the phase that leaves the least unlabelled at
        // the ends.
        let every = powers.len().div_ceil(MAX_DECADE_TICKS).max(1);
        let best = (0..every)
            .map(|phase| {
                let t: Vec<f64> = powers
                    .iter()
                    .skip(phase)
                    .step_by(every)
                    .map(|&k| 10f64.powi(k))
                    .collect();
                let gap = match (t.first(), t.last()) {
                    (Some(&a), Some(&b)) => (a / lo).log10().max((hi / b).log10()),
                    _ => f64::INFINITY,
                };
                (t, gap)
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(t, gap)| (t, gap / decades));
        if let Some((t, gap_share)) = best {
            // Powers of ten that leave more than a quarter of the axis
            // without a label at an end: 1-2-5 steps when they fit.
            if t.len() >= 3 && gap_share <= 0.25 {
                return t;
            }
            let steps = one_two_five(lo, hi);
            if steps.len() >= 3 && steps.len() <= 12 {
                return steps;
            }
            if t.len() >= 3 || every > 1 {
                return t;
            }
        }
    }
    if decades >= 0.7 {
        let t = one_two_five(lo, hi);
        if t.len() >= 3 && t.len() <= 12 {
            return t;
        }
    }
    linear_ticks(lo, hi, 8)
}

/// 1, 2 and 5 times every power of ten in [lo, hi].
fn one_two_five(lo: f64, hi: f64) -> Vec<f64> {
    let inside = |v: f64| v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12);
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    (k0..=k1)
        .flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k)))
        .filter(|&t| inside(t))
        .collect()
}

/// A log axis over [lo, hi] as the figures draw it: the labelled ticks
/// ([`log_ticks`]) with their labels, in one style per axis ("100, 1e3,
/// 1e4", never "100, 1000, 1e4"), and the unlabelled minor ticks. The
/// Python package draws its matplotlib axes with these, so that its
/// figures read as the CLI's.
pub fn log_axis(lo: f64, hi: f64) -> (Vec<(f64, String)>, Vec<f64>) {
    let major = log_ticks(lo, hi);
    let sci = scientific_from(&major);
    let minor = minor_ticks(lo, hi, &major);
    (
        major.iter().map(|&v| (v, tick_label_on(v, sci))).collect(),
        minor,
    )
}

/// Round-number ticks about `target` apart in count over [lo, hi].
pub(super) fn linear_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let raw = (hi - lo) / target as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * mag);
    // Whole multiples of the step, rounded to its decimals (no 3.4000000000000004).
    let digits = (-step.log10().floor()).max(0.0) as i32 + 1;
    let scale = 10f64.powi(digits);
    let first = (lo / step).ceil() as i64;
    (first..first + 50)
        .map(|k| (k as f64 * step * scale).round() / scale)
        .take_while(|&t| t <= hi * (1.0 + 1e-12))
        .collect()
}

/// Minor ticks of a log axis: 2..9 times each power of ten in range, when
/// the major ticks are powers of ten or 1-2-5 steps.
pub(super) fn minor_ticks(lo: f64, hi: f64, major: &[f64]) -> Vec<f64> {
    let decades = (hi / lo).log10();
    if !(0.7..=8.0).contains(&decades) || major.len() < 2 {
        return vec![];
    }
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    (k0..=k1)
        .flat_map(|k| (1..10).map(move |m| m as f64 * 10f64.powi(k)))
        .filter(|&t| t >= lo && t <= hi && !major.iter().any(|&m| (m / t - 1.0).abs() < 1e-9))
        .collect()
}

/// From which magnitude an axis labels its ticks in scientific notation,
/// so that the axis reads in one style: when some tick needs it (1e5 or
/// more), every tick from 1000 up does ("100, 1e3, 1e4"); when the axis
/// also reaches below 1, every tick does ("1e-1, 1e1, 1e3", never "0.1,
/// 10, 1e3"); else none (infinity).
pub(super) fn scientific_from(ticks: &[f64]) -> f64 {
    if !ticks.iter().any(|t| t.abs() >= 1e5) {
        f64::INFINITY
    } else if ticks.iter().any(|t| t.abs() < 1.0) {
        0.0
    } else {
        1e3
    }
}

pub(super) fn tick_label_on(v: f64, scientific_from: f64) -> String {
    if v != 0.0 && v.abs() >= scientific_from {
        let s = format!("{v:.2e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        return format!("{m}e{e}");
    }
    tick_label(v)
}

/// A short label for a tick value: "0.25", "3", "8000", "1e5", "2.5e-4".
pub fn tick_label(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        return "0".into();
    }
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.2e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        return format!("{m}e{e}");
    }
    for d in 0..8 {
        let s = format!("{v:.d$}");
        if let Ok(r) = s.parse::<f64>() {
            if (r - v).abs() <= 1e-9 * a {
                return s;
            }
        }
    }
    format!("{v}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::legend::shorten;

    #[test]
    fn log_ticks_label_every_range() {
        // Inside one decade: evenly spaced round numbers, at least three.
        for (lo, hi) in [(1.8, 2.9), (2.95, 3.8), (8e3, 1.2e4), (0.31, 0.36)] {
            let t = log_ticks(lo, hi);
            assert!(t.len() >= 3, "{lo}..{hi}: {t:?}");
            assert!(t.iter().all(|&v| v >= lo && v <= hi), "{t:?}");
        }
        assert_eq!(log_ticks(150.0, 2e6), vec![1e3, 1e4, 1e5, 1e6]);
        assert_eq!(log_ticks(1.5, 60.0), vec![2.0, 5.0, 10.0, 20.0, 50.0]);
        // Many decades: every other power.
        assert!(log_ticks(1e2, 1e20).len() <= 12);
    }

    /// probe61 finding 9: an axis of powers of ten labels every power when
    /// they fit, else every k-th evenly (no "1e19, 1e20, 1e22, 1e24"), and
    /// never mixes in a round number ("4e9" among powers of ten); an axis
    /// whose powers would leave an end unlabelled takes 1-2-5 steps.
    #[test]
    fn decade_ticks_are_even_and_unmixed() {
        let even = |t: &[f64]| {
            t.windows(2)
                .map(|w| (w[1] / w[0]).log10().round() as i32)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                == 1
        };
        // 1.3e18 to 5e25 (the isoflop N_opt figures): every power.
        let t = log_ticks(1.3e18, 5e25);
        assert_eq!(t, (19..=25).map(|k| 10f64.powi(k)).collect::<Vec<_>>());
        // Many decades: every k-th, evenly, at most MAX_DECADE_TICKS.
        for (lo, hi) in [(1e2, 1e20), (30.0, 2e15), (5e-3, 1e14), (2e18, 1e25)] {
            let t = log_ticks(lo, hi);
            assert!(t.len() >= 3 && t.len() <= MAX_DECADE_TICKS, "{t:?}");
            assert!(even(&t), "{lo}..{hi}: {t:?}");
            assert!(is_decades(&t), "{t:?}");
        }
        // Three to four decades: powers of ten alone, or 1-2-5 throughout
        // (8e8 to 6e11: 1e9..1e11 would leave a quarter unlabelled).
        for (lo, hi) in [(8e8, 6e11), (1.5e9, 2e13), (2e7, 1e10)] {
            let t = log_ticks(lo, hi);
            let decades = is_decades(&t);
            let steps = t.iter().all(|v| {
                let m = v / 10f64.powf(v.log10().floor());
                [1.0, 2.0, 5.0].iter().any(|x| (m - x).abs() < 1e-9)
            });
            assert!(decades || steps, "{lo}..{hi}: {t:?}");
            assert!(t.len() >= 3, "{t:?}");
        }
    }

    /// probe44's nit: an end of a log axis without a label over a quarter
    /// of it gets a round number there (steps from 2160 had ticks from
    /// 4000; losses near 3 had ticks from 5).
    #[test]
    fn an_unlabelled_end_of_a_log_axis_gets_a_tick() {
        let t = log_ticks(2100.0, 14500.0);
        assert_eq!(t[..2], [3000.0, 4000.0], "{t:?}");
        let t = log_ticks(2.2, 30.0);
        assert_eq!(t, vec![3.0, 5.0, 10.0, 20.0], "{t:?}");
        // Ends already labelled near their start: nothing added.
        assert_eq!(log_ticks(150.0, 2e6), vec![1e3, 1e4, 1e5, 1e6]);
    }

    #[test]
    fn tick_labels_are_short_and_exact() {
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(3.0), "3");
        assert_eq!(tick_label(8000.0), "8000");
        assert_eq!(tick_label(1e5), "1e5");
        assert_eq!(tick_label(2.5e-4), "2.5e-4");
        assert_eq!(tick_label(3.2), "3.2");
        assert_eq!(tick_label_on(1e4, 1e3), "1e4");
        assert_eq!(tick_label_on(500.0, 1e3), "500");
        // One style per axis: an axis of powers of ten from 0.1 to 1e5 is
        // scientific throughout (not "0.1, 10, 1e3, 1e5").
        let ticks = [0.1, 10.0, 1e3, 1e5];
        let labels: Vec<String> = ticks
            .iter()
            .map(|&t| tick_label_on(t, scientific_from(&ticks)))
            .collect();
        assert_eq!(labels, ["1e-1", "1e1", "1e3", "1e5"]);
        let ticks = [100.0, 1e3, 1e4, 1e5];
        assert_eq!(tick_label_on(100.0, scientific_from(&ticks)), "100");
        assert_eq!(tick_label_on(3.0, scientific_from(&[2.0, 3.0, 4.0])), "3");
        assert_eq!(shorten("facebook/opt-6.7b (chosen)", 12), "faceb…hosen)");
        assert_eq!(shorten("short", 12), "short");
    }
}
