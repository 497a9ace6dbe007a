//! The figure of `slaw select` (and of the runner's `slaw report`).

use super::{
    extrapolated_key, log_space, measured_and_extrapolated, tick_label, Figure, Mark, Series,
    SeriesKind, VLine, MUTED,
};

/// The figure for `slaw select`: each candidate's measured points (affordable
/// ones filled, the others hollow) and the method's curve (the chosen model's
/// solid, the others dashed): for the line methods the AtS line through the
/// sizes it accepted up to the last affordable one, then the method's
/// extrapolation from there to the target (the method predicts from the last
/// affordable size on; its formula says nothing below it); for a fitted law
/// the law over the whole range. The highlighted candidates' predictions at
/// the target are triangles with their intervals as bars, set apart right of
/// the target line in rank order (so that none hides another); an interval
/// open below (its lower end not a calibrated level) without a lower cap,
/// an arrowhead there instead, its lower end not setting the y range; the chosen
/// model's phase transition is a dotted line when AtS detected one above the
/// smallest size (the smallest is never part of the line anyway).
pub fn selection_figure(
    pool: &[slaw::datasets::Candidate],
    sel: &slaw::selection::Selection,
) -> Figure {
    selection_figure_with_failures(pool, sel, &[])
}

/// [`selection_figure`] with the runner's failed runs marked: each (candidate
/// id, fine-tuning size) of `failed` (a size whose every run failed, so the
/// candidate has no point there) is a cross on the candidate's curve at that
/// size, in its colour ("failed run" in the legend), so that a curve ending
/// early and extrapolated from there shows why. A candidate not ranked (no
/// curve drawn) has its failed sizes as crosses along the bottom of the
/// plotted losses, named in the legend ([`unranked_failures`]).
pub fn selection_figure_with_failures(
    pool: &[slaw::datasets::Candidate],
    sel: &slaw::selection::Selection,
    failed: &[(String, f64)],
) -> Figure {
    use slaw::selection::Detail;
    let mut any_failed = false;
    let b = &sel.budget;
    let mut series = Vec::new();
    let mut vlines = vec![
        VLine::new(
            b.max_n,
            format!("budget {}", tick_label(b.max_n)),
            Mark::Budget,
        ),
        VLine::new(
            b.target,
            format!("target {}", tick_label(b.target)),
            Mark::Target,
        ),
    ];
    // The best few by predicted loss and the chosen one in colour, the rest
    // muted behind them (one legend entry), so the legend stays short.
    const HIGHLIGHT: usize = 6;
    // The candidates the choice names as possibly better are always in
    // colour (probe57 F10: one ranked 7th was muted while the text named it).
    let chosen_rank = sel.chosen().rank;
    let named: Vec<usize> = sel
        .choice
        .may_be_better
        .iter()
        .map(|m| m.position + 1)
        .collect();
    let mut color_of = std::collections::HashMap::new();
    let mut next = 0;
    for r in &sel.ranking {
        if r.rank <= HIGHLIGHT || r.rank == chosen_rank || named.contains(&r.rank) {
            color_of.insert(r.rank, next);
            next += 1;
        }
    }
    // The predictions at the target, set apart by a share of the x range
    // (about 11 pixels each), the first rank nearest the target line.
    let smallest = sel
        .ranking
        .iter()
        .flat_map(|r| pool[r.index].curve.iter().map(|p| p.0))
        .filter(|&n| n > 0.0)
        .fold(b.target, f64::min);
    let step = 0.018 * (b.target / smallest).ln().max(1.0);
    let (mut kinds, mut open_kinds, mut any_prediction) = (Vec::new(), Vec::new(), false);
    let mut any_extrapolated = false;
    let muted = sel.ranking.len() - color_of.len();
    let flags = slaw::selection::spikes::spikes(pool, b);
    for r in &sel.ranking {
        let c = &pool[r.index];
        // The curve the score came from: without the flagged points where
        // the candidate was scored without them.
        let scored_on = sel
            .scored_without_flags
            .contains(&r.index)
            .then(|| slaw::selection::spikes::candidate_without(pool, r.index, &flags))
            .flatten();
        let scored_on = scored_on.as_ref().unwrap_or(c);
        let chosen = r.rank == chosen_rank;
        let color = color_of.get(&r.rank).copied().unwrap_or(MUTED);
        let label = if color == MUTED {
            String::new()
        } else if chosen {
            format!("{}. {} (chosen)", r.rank, c.id)
        } else if named.contains(&r.rank) {
            format!("{}. {} (may be better)", r.rank, c.id)
        } else {
            format!("{}. {}", r.rank, c.id)
        };
        type Points = Vec<(f64, f64)>;
        let (fit_pts, other): (Points, Points) = c
            .curve
            .iter()
            .filter(|p| p.0 > 0.0)
            .partition(|p| p.0 <= b.max_n * (1.0 + 1e-12));
        let first = fit_pts.first().map(|p| p.0).unwrap_or(b.max_n);
        let last = fit_pts.last().map(|p| p.0).unwrap_or(b.max_n);
        let curve = match &r.estimate.detail {
            Detail::Ats { accepted, line, .. } if !accepted.is_empty() && last > accepted[0] => {
                let mut pts: Vec<(f64, f64)> = log_space(accepted[0], last, 30)
                    .into_iter()
                    .map(|n| (n, line.at(n.ln()).exp()))
                    .collect();
                pts.extend(sel.method.curve(
                    scored_on,
                    b,
                    &r.estimate,
                    &log_space(last, b.target, 80),
                ));
                pts
            }
            _ => sel
                .method
                .curve(scored_on, b, &r.estimate, &log_space(first, b.target, 100)),
        };
        // Its failed runs: a cross on its curve at each failed size.
        let crosses: Vec<(f64, f64)> = failed
            .iter()
            .filter(|(id, n)| *id == c.id && *n > 0.0)
            .filter_map(|&(_, n)| Some((n, on_curve(&curve, n)?)))
            .collect();
        if !crosses.is_empty() {
            any_failed = true;
            series.push(Series {
                label: String::new(),
                color,
                kind: SeriesKind::Cross,
                points: crosses,
            });
        }
        // Solid over the sizes the curve was fitted on, dashed past the
        // largest affordable one (extrapolated to the target).
        let from = curve.first().map_or(first, |p| p.0);
        let parts =
            measured_and_extrapolated(label.clone(), color, SeriesKind::Line, curve, (from, last));
        let curve_labelled = !parts.is_empty();
        any_extrapolated |= parts.iter().any(|s| s.kind == SeriesKind::Dashed);
        series.extend(parts);
        series.push(Series {
            label: if curve_labelled { String::new() } else { label },
            color,
            kind: SeriesKind::Points,
            points: fit_pts,
        });
        if !other.is_empty() {
            series.push(Series {
                label: String::new(),
                color,
                kind: SeriesKind::HollowPoints,
                points: other,
            });
        }
        if let (Some(p), false) = (r.estimate.predicted_loss, color == MUTED) {
            any_prediction = true;
            let x = b.target * (step * (color + 1) as f64).exp();
            series.push(Series {
                label: String::new(),
                color,
                kind: SeriesKind::Marker,
                points: vec![(x, p)],
            });
            if let Some(iv) = r.estimate.interval {
                // Open below: the lower end is no calibrated level.
                let open = r.estimate.open_below.is_some();
                series.push(Series {
                    label: String::new(),
                    color,
                    kind: if open {
                        SeriesKind::OpenInterval
                    } else {
                        SeriesKind::Interval
                    },
                    points: vec![(x, iv.lo), (x, iv.hi)],
                });
                let kind = r.estimate.interval_kind.map(|k| k.label());
                if open {
                    open_kinds.extend(kind);
                } else {
                    kinds.extend(kind);
                }
            }
        }
        if let (
            true,
            Detail::Ats {
                transition: Some(t),
                ..
            },
        ) = (chosen, &r.estimate.detail)
        {
            if *t > first * (1.0 + 1e-12) {
                vlines.push(VLine::new(
                    *t,
                    format!("phase transition {} (chosen)", tick_label(*t)),
                    Mark::Event,
                ));
            }
        }
    }
    // The points select flags as breaking their curve's trend (probe58 1:
    // the text named one, the figure did not show it).
    let flagged: Vec<(f64, f64)> = flags.iter().map(|s| (s.n, s.loss)).collect();
    if !flagged.is_empty() {
        series.push(Series {
            label: "flagged point (off its curve)".into(),
            color: 6,
            kind: SeriesKind::Cross,
            points: flagged,
        });
    }
    if any_failed {
        series.push(Series {
            label: "failed run".into(),
            color: 6,
            kind: SeriesKind::Cross,
            points: Vec::new(),
        });
    }
    // The failed runs of candidates the figure has no curve of (not
    // ranked: every run failed, or too few sizes left): crosses at their
    // sizes along the bottom of the plotted losses, named in the legend,
    // so that a candidate missing from the figure shows why.
    series.extend(unranked_failures(pool, sel, failed, &series));
    if muted > 0 {
        series.push(Series {
            label: format!(
                "{muted} other candidate{}",
                if muted == 1 { "" } else { "s" }
            ),
            color: MUTED,
            kind: SeriesKind::Line,
            points: Vec::new(),
        });
    }
    if any_prediction {
        series.push(Series {
            label: "predictions at the target".into(),
            color: 6,
            kind: SeriesKind::Marker,
            points: Vec::new(),
        });
    }
    let key = |kinds: &[String]| {
        kinds.first().map(|first| {
            if kinds.iter().all(|k| k == first) {
                format!("{first} interval")
            } else {
                "interval at the target".to_string()
            }
        })
    };
    if let Some(label) = key(&kinds) {
        series.push(Series {
            label,
            color: 6,
            kind: SeriesKind::Interval,
            points: Vec::new(),
        });
    }
    if let Some(first) = open_kinds.first() {
        // Short enough for the legend: "90% interval, open below".
        let level = first
            .split_whitespace()
            .next()
            .filter(|w| w.ends_with('%') && open_kinds.iter().all(|k| k == first));
        series.push(Series {
            label: match level {
                Some(l) => format!("{l} interval, open below"),
                None => "interval open below".into(),
            },
            color: 6,
            kind: SeriesKind::OpenInterval,
            points: Vec::new(),
        });
    }
    if any_extrapolated {
        series.push(extrapolated_key("dashed: extrapolated"));
    }
    Figure {
        title: format!(
            "model selection, {}: budget {} of target size {}",
            sel.method.name(),
            tick_label(b.max_n),
            tick_label(b.target)
        ),
        x_label: "fine-tuning size, log scale (filled: affordable, hollow: not used; \
                  predictions set right of the target)"
            .into(),
        y_label: "loss".into(),
        series,
        bands: Vec::new(),
        vlines,
        zoom: None,
    }
}

/// The crosses of the failed runs of candidates without a curve in the
/// figure (`failed`'s ids not ranked in `sel`): one series in the neutral
/// colour, at each failed size and a loss just below the lowest one the
/// figure plots (`series`), labelled with their names (the first 3, then
/// how many more) first, so that the legend's cut in the middle of a long
/// label keeps a name and "failed, no curve"; none when every failed run's
/// candidate has a curve.
fn unranked_failures(
    pool: &[slaw::datasets::Candidate],
    sel: &slaw::selection::Selection,
    failed: &[(String, f64)],
    series: &[Series],
) -> Option<Series> {
    let ranked: Vec<&str> = sel
        .ranking
        .iter()
        .map(|r| pool[r.index].id.as_str())
        .collect();
    let mut names: Vec<&str> = Vec::new();
    let mut sizes: Vec<f64> = Vec::new();
    for (id, n) in failed {
        if *n > 0.0 && n.is_finite() && !ranked.contains(&id.as_str()) {
            if !names.contains(&id.as_str()) {
                names.push(id);
            }
            sizes.push(*n);
        }
    }
    if sizes.is_empty() {
        return None;
    }
    let lowest = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|y| y.is_finite() && *y > 0.0)
        .fold(f64::INFINITY, f64::min);
    let y = if lowest.is_finite() {
        lowest * 0.97
    } else {
        1.0
    };
    sizes.sort_by(f64::total_cmp);
    sizes.dedup();
    const NAMED: usize = 3;
    let mut who = names
        .iter()
        .take(NAMED)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > NAMED {
        who += &format!(" +{} more", names.len() - NAMED);
    }
    Some(Series {
        label: format!("{who}: failed, no curve"),
        color: 6,
        kind: SeriesKind::Cross,
        points: sizes.into_iter().map(|n| (n, y)).collect(),
    })
}

/// The value of a curve (points in increasing x) at `x`, interpolated
/// linearly in log-log between its points; its first or last value outside
/// its range; None for an empty curve or where it is not finite and positive.
fn on_curve(curve: &[(f64, f64)], x: f64) -> Option<f64> {
    let pts: Vec<(f64, f64)> = curve
        .iter()
        .copied()
        .filter(|p| p.0 > 0.0 && p.1 > 0.0 && p.1.is_finite())
        .collect();
    let (first, last) = (pts.first()?, pts.last()?);
    if x <= first.0 {
        return Some(first.1);
    }
    if x >= last.0 {
        return Some(last.1);
    }
    let k = pts.partition_point(|p| p.0 < x);
    let (a, b) = (pts[k - 1], pts[k]);
    let t = (x / a.0).ln() / (b.0 / a.0).ln();
    Some((a.1.ln() + t * (b.1 / a.1).ln()).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::testing::legend;

    /// The runner's failed runs: a cross on the candidate's curve, in its
    /// colour, at the failed size, and "failed run" in the legend; none
    /// without failures, and a candidate the figure has no curve of apart (below).
    #[test]
    fn failed_runs_are_crosses_on_their_candidates_curves() {
        let demo = crate::demo::run_demo(1).unwrap();
        let sel = &demo.selection;
        let plain = selection_figure(&demo.pool, sel);
        assert!(!legend(&plain).contains(&"failed run".to_string()));
        let r = sel.chosen();
        let id = demo.pool[r.index].id.clone();
        let max_n = sel.budget.max_n;
        let failed = vec![
            (id.clone(), max_n * 2.0),
            ("no such candidate".to_string(), max_n),
        ];
        let fig = selection_figure_with_failures(&demo.pool, sel, &failed);
        assert!(legend(&fig).contains(&"failed run".to_string()));
        let crosses: Vec<&Series> = fig
            .series
            .iter()
            .filter(|s| {
                s.kind == SeriesKind::Cross && !s.points.is_empty() && !s.label.contains("no curve")
            })
            .collect();
        assert_eq!(crosses.len(), 1, "{crosses:?}");
        assert_eq!(crosses[0].points.len(), 1);
        let (x, y) = crosses[0].points[0];
        assert_eq!(x, max_n * 2.0);
        // its colour is the chosen curve's, and it lies on that curve
        let curve: Vec<(f64, f64)> = fig
            .series
            .iter()
            .filter(|s| {
                s.color == crosses[0].color
                    && matches!(s.kind, SeriesKind::Line | SeriesKind::Dashed)
            })
            .flat_map(|s| s.points.iter().copied())
            .collect();
        let below = curve.iter().rfind(|p| p.0 <= x).unwrap();
        let above = curve.iter().find(|p| p.0 >= x).unwrap();
        assert!(
            y <= below.1.max(above.1) * (1.0 + 1e-9) && y >= below.1.min(above.1) * (1.0 - 1e-9),
            "{y} not between {below:?} and {above:?}"
        );
        // the legend's swatch is the only other cross series (no points)
        assert_eq!(
            fig.series
                .iter()
                .filter(|s| s.kind == SeriesKind::Cross && s.label == "failed run")
                .count(),
            1
        );
    }

    /// A candidate without a curve (not ranked: every run of it failed)
    /// has its failed sizes marked too (it had none): crosses below every
    /// plotted loss, its name in the legend; none when no such candidate.
    #[test]
    fn failed_runs_of_a_candidate_without_a_curve_are_marked() {
        let demo = crate::demo::run_demo(1).unwrap();
        let sel = &demo.selection;
        let ranked = demo.pool[sel.chosen().index].id.clone();
        let only_ranked =
            selection_figure_with_failures(&demo.pool, sel, &[(ranked.clone(), sel.budget.max_n)]);
        assert!(!legend(&only_ranked).iter().any(|l| l.contains("no curve")));
        let failed = vec![
            ("broken".to_string(), 100.0),
            ("broken".to_string(), 200.0),
            ("also-broken".to_string(), 100.0),
        ];
        let fig = selection_figure_with_failures(&demo.pool, sel, &failed);
        let marks: Vec<&Series> = fig
            .series
            .iter()
            .filter(|s| s.kind == SeriesKind::Cross && s.label.contains("no curve"))
            .collect();
        assert_eq!(marks.len(), 1, "{:?}", legend(&fig));
        assert_eq!(marks[0].label, "broken, also-broken: failed, no curve");
        let xs: Vec<f64> = marks[0].points.iter().map(|p| p.0).collect();
        assert_eq!(xs, vec![100.0, 200.0]);
        let lowest = fig
            .series
            .iter()
            .filter(|s| !s.label.contains("no curve"))
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold(f64::INFINITY, f64::min);
        assert!(marks[0]
            .points
            .iter()
            .all(|p| p.1 < lowest && p.1 > 0.9 * lowest));
    }

    #[test]
    fn a_point_on_a_curve_is_interpolated_in_log_log() {
        let c = [(10.0, 4.0), (1000.0, 1.0)];
        assert!((on_curve(&c, 100.0).unwrap() - 2.0).abs() < 1e-12);
        assert_eq!(on_curve(&c, 1.0), Some(4.0));
        assert_eq!(on_curve(&c, 1e5), Some(1.0));
        assert_eq!(on_curve(&[], 5.0), None);
    }

    /// The selection figure: each highlighted prediction at the target with
    /// its interval as a bar, set apart right of the target line (no two
    /// at one x); the chosen model's curve through the points its line was
    /// fitted to (not below all of them), starting where AtS accepted.
    #[test]
    fn the_selection_figure_shows_intervals_apart_and_the_fitted_line() {
        let demo = crate::demo::run_demo(1).unwrap();
        let sel = &demo.selection;
        let fig = selection_figure(&demo.pool, sel);
        let target = sel.budget.target;
        let markers: Vec<f64> = fig
            .series
            .iter()
            .filter(|s| s.kind == SeriesKind::Marker)
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        assert!(markers.len() >= 6, "{markers:?}");
        assert!(markers.iter().all(|&x| x > target), "{markers:?}");
        let mut sorted = markers.clone();
        sorted.sort_by(f64::total_cmp);
        sorted.dedup();
        assert_eq!(sorted.len(), markers.len(), "two predictions at one x");
        let bars: Vec<&Series> = fig
            .series
            .iter()
            .filter(|s| {
                matches!(s.kind, SeriesKind::Interval | SeriesKind::OpenInterval)
                    && !s.points.is_empty()
            })
            .collect();
        assert_eq!(bars.len(), markers.len());
        let chosen = sel.chosen();
        let iv = chosen.estimate.interval.unwrap();
        assert!(bars
            .iter()
            .any(|b| b.points[0].1 == iv.lo && b.points[1].1 == iv.hi));
        assert!(legend(&fig).contains(&"90% predictive interval".to_string()));
        // The chosen curve against the points its AtS line used.
        let slaw::selection::Detail::Ats { accepted, .. } = &chosen.estimate.detail else {
            panic!("the demo's method is a line method");
        };
        let curve = fig
            .series
            .iter()
            .find(|s| s.label.ends_with("(chosen)") && s.kind == SeriesKind::Line)
            .unwrap();
        assert!((curve.points[0].0 / accepted[0] - 1.0).abs() < 1e-9);
        assert!(legend(&fig).contains(&"dashed: extrapolated".to_string()));
        let at = |x: f64| {
            let w = curve
                .points
                .windows(2)
                .find(|w| w[0].0 <= x && x <= w[1].0)
                .unwrap();
            let t = (x / w[0].0).ln() / (w[1].0 / w[0].0).ln();
            (w[0].1.ln() + t * (w[1].1.ln() - w[0].1.ln())).exp()
        };
        let c = &demo.pool[chosen.index];
        let used: Vec<(f64, f64)> = c
            .curve
            .iter()
            .copied()
            .filter(|p| accepted.contains(&p.0))
            .collect();
        assert!(used.len() >= 2);
        assert!(
            used.iter().any(|p| p.1 <= at(p.0) * (1.0 + 1e-9)),
            "{used:?}"
        );
        assert!(
            used.iter().any(|p| p.1 >= at(p.0) * (1.0 - 1e-9)),
            "{used:?}"
        );
    }

    /// probe61 findings 5 and 6: an interval open below is drawn open (no
    /// lower cap: an arrowhead pointing down, its own legend entry) and its
    /// lower end does not set the y range; every curve is solid up to the
    /// largest affordable size and dashed past it, the chosen one too.
    #[test]
    fn open_intervals_read_open_and_extrapolations_are_dashed() {
        use crate::plot::axes::bounds;
        use crate::plot::testing::parse_polylines;
        let demo = crate::demo::run_demo(crate::demo::DEFAULT_SEED).unwrap();
        let sel = &demo.selection;
        let open: Vec<f64> = sel
            .ranking
            .iter()
            .filter(|r| r.estimate.open_below.is_some())
            .filter_map(|r| r.estimate.interval.map(|iv| iv.lo))
            .collect();
        assert!(!open.is_empty(), "the demo has an interval open below");
        let fig = selection_figure(&demo.pool, sel);
        let open_bars: Vec<&Series> = fig
            .series
            .iter()
            .filter(|s| s.kind == SeriesKind::OpenInterval && !s.points.is_empty())
            .collect();
        assert!(!open_bars.is_empty());
        assert!(legend(&fig).contains(&"90% interval, open below".to_string()));
        // The y range is not set by the open lower ends (0.26 in the
        // demo): it stops above them.
        let (_, (y0, _)) = bounds(&fig).unwrap();
        let lowest_open = open_bars
            .iter()
            .map(|s| s.points[0].1)
            .fold(f64::INFINITY, f64::min);
        assert!(y0 > lowest_open, "{y0} <= {lowest_open}");
        // Without the open bars, the same range: they add nothing below.
        let mut closed = fig.clone();
        closed
            .series
            .retain(|s| s.kind != SeriesKind::OpenInterval || s.points.is_empty());
        assert_eq!(bounds(&closed).unwrap().1 .0, y0);
        // In the SVG: each open bar ends below in an arrowhead (a 3-point
        // path pointing down, 10 px wide), and no cap (a 10 px horizontal
        // stroke) sits at its tip.
        let svg = crate::plot::to_svg(&fig).unwrap();
        let paths = parse_polylines(&svg);
        let tips: Vec<(f64, f64)> = paths
            .iter()
            .filter(|p| {
                p.len() == 3
                    && p[1].1 > p[0].1
                    && (p[0].1 - p[2].1).abs() < 1e-9
                    && (p[2].0 - p[0].0 - 10.0).abs() < 1e-9
            })
            .map(|p| p[1])
            .collect();
        assert!(tips.len() > open_bars.len(), "{tips:?}"); // and the legend's
        for t in &tips {
            assert!(
                !paths.iter().any(|p| p.len() == 2
                    && (p[0].1 - t.1).abs() < 0.5
                    && (p[1].1 - t.1).abs() < 0.5
                    && (p[0].0 - (t.0 - 5.0)).abs() < 0.5
                    && (p[1].0 - (t.0 + 5.0)).abs() < 0.5),
                "a cap at the open end {t:?}"
            );
        }
        // Solid over the affordable sizes, dashed past them, for every
        // highlighted candidate and the chosen one.
        let max_n = sel.budget.max_n * (1.0 + 1e-9);
        for s in fig.series.iter().filter(|s| !s.points.is_empty()) {
            match s.kind {
                SeriesKind::Line => {
                    assert!(s.points.iter().all(|p| p.0 <= max_n), "{}", s.label)
                }
                SeriesKind::Dashed => {
                    assert!(s.points[1..].iter().all(|p| p.0 > max_n), "{}", s.label)
                }
                _ => {}
            }
        }
        let chosen = sel.chosen();
        let chosen_color = fig
            .series
            .iter()
            .find(|s| s.label.ends_with("(chosen)"))
            .unwrap()
            .color;
        assert!(fig.series.iter().any(|s| s.kind == SeriesKind::Dashed
            && s.color == chosen_color
            && s.points.last().unwrap().0 >= sel.budget.target * (1.0 - 1e-9)));
        assert!(chosen.estimate.predicted_loss.is_some());
    }

    /// probe57 F10: a candidate the choice names as possibly better is in
    /// colour and labelled, whatever its rank (the demo's seed 7 names one
    /// ranked 7th).
    #[test]
    fn a_candidate_that_may_be_better_is_never_muted() {
        let demo = crate::demo::run_demo(7).unwrap();
        let sel = &demo.selection;
        assert!(!sel.choice.may_be_better.is_empty(), "the demo names one");
        let fig = selection_figure(&demo.pool, sel);
        for m in &sel.choice.may_be_better {
            let label = format!("{}. {} (may be better)", m.position + 1, m.id);
            assert!(
                fig.series
                    .iter()
                    .any(|s| s.label == label && s.color != MUTED),
                "{label} not in colour: {:?}",
                legend(&fig)
            );
        }
    }

    /// A phase transition AtS found at the smallest size (only that point
    /// rejected, which AtS never uses anyway) draws no line on the axis'
    /// edge; the curves start at the sizes AtS accepted.
    #[test]
    fn a_transition_at_the_smallest_size_draws_no_line() {
        use slaw::selection::{select, Budget, Method, SelectOptions};
        let sizes: Vec<f64> = (0..11).map(|i| 100.0 * 2f64.powi(i)).collect();
        let pool: Vec<slaw::datasets::Candidate> = (0..4)
            .map(|k| slaw::datasets::Candidate {
                id: format!("m{k}"),
                curve: sizes
                    .iter()
                    .enumerate()
                    .map(|(i, &n)| {
                        let noise = 1.0 + 0.004 * [1.0, -1.0, 0.0, 0.5, -0.5][i % 5];
                        let bump = if i == 0 { 1.3 } else { 1.0 };
                        (n, (2.0 + 0.5 * k as f64) * n.powf(-0.08) * noise * bump)
                    })
                    .collect(),
                size: Some(1e8 * (k + 1) as f64),
                family: None,
            })
            .collect();
        let budget = Budget::new(102_400.0, 6_400.0).unwrap();
        let sel = select(&pool, Method::DEFAULT, budget, &SelectOptions::default()).unwrap();
        let chosen = sel.chosen();
        let slaw::selection::Detail::Ats {
            transition,
            accepted,
            ..
        } = &chosen.estimate.detail
        else {
            panic!("a line method");
        };
        assert_eq!(*transition, Some(100.0), "{accepted:?}");
        let fig = selection_figure(&pool, &sel);
        assert!(
            fig.vlines.iter().all(|v| v.mark != Mark::Event),
            "{:?}",
            fig.vlines
        );
        let curve = fig
            .series
            .iter()
            .find(|s| s.label.ends_with("(chosen)"))
            .unwrap();
        assert!((curve.points[0].0 / 200.0 - 1.0).abs() < 1e-9);
    }
}
