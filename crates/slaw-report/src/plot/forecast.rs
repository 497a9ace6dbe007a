//! The figure of `slaw forecast`: observed curve (fitted part filled,
//! the rest hollow), the forecast and its shaded interval band.

use super::{
    extrapolated_key, measured_and_extrapolated, Band, Figure, Mark, Series, SeriesKind, VLine,
};
use slaw::forecast::job::ForecastOutput;

pub fn forecast_figure(o: &ForecastOutput) -> Figure {
    let until = o.fit_until_step;
    let obs = |fitted: bool| -> Vec<(f64, f64)> {
        o.curve_points
            .iter()
            .filter(|p| (p.step <= until) == fitted)
            .filter_map(|p| p.observed.map(|l| (p.step, l)))
            .collect()
    };
    let mut series = vec![
        Series {
            label: "fitted part".into(),
            color: 0,
            kind: SeriesKind::Points,
            points: obs(true),
        },
        Series {
            label: "observed (not fitted)".into(),
            color: super::MUTED,
            kind: SeriesKind::HollowPoints,
            points: obs(false),
        },
    ];
    // The law solid over the steps it was fitted on, dashed past them.
    let forecast: Vec<(f64, f64)> = o.curve_points.iter().map(|p| (p.step, p.loss)).collect();
    let first = forecast.first().map_or(until, |p| p.0);
    let parts = measured_and_extrapolated(
        "forecast".into(),
        3,
        SeriesKind::Line,
        forecast,
        (first, until),
    );
    let dashed = parts.iter().any(|s| s.kind == SeriesKind::Dashed);
    series.extend(parts);
    let mut bands = Vec::new();
    if let Some(level) = o.bootstrap.map(|b| b.level) {
        bands.push(Band {
            // Its kind and level: "90% predictive interval" (backtest-
            // calibrated) or "90% bootstrap interval" (the fit's noise only).
            label: match &o.interval_kind {
                // A band whose level is not a coverage says so instead.
                Some(k @ slaw::selection::IntervalKind::NotCalibrated { .. }) => {
                    format!("band, {}", k.label())
                }
                Some(k) => format!("{} interval", k.label()),
                None => format!("{} interval", slaw::numbers::percent(level)),
            },
            color: 3,
            points: o
                .curve_points
                .iter()
                .filter_map(|p| Some((p.step, p.lo?, p.hi?)))
                .collect(),
        });
    }
    series.retain(|s| !s.points.is_empty());
    if dashed {
        series.push(extrapolated_key("dashed: extrapolated"));
    }
    Figure {
        title: format!(
            "{}: {} law fitted up to step {}",
            o.curve,
            o.method,
            crate::report::num(until)
        ),
        x_label: "step".into(),
        y_label: "loss".into(),
        series,
        bands,
        vlines: vec![VLine::new(until, "end of fit", Mark::Event)],
        zoom: None,
    }
}

/// The figure of `slaw schedule`: the fitted runs (filled points, as
/// fitted data everywhere) with the law's fit through each (a dark line),
/// and each predicted schedule's curve (line) with its shaded interval band
/// and the interval of its final loss as a bar (the band is often only a
/// few pixels wide: the bar shows it at the step that matters). The fits
/// are black, so no schedule is (the palette's black skipped). Schedules
/// that differ only near their end (WSD decays, which pile up at the end
/// of the log axis) are drawn again in a zoom on a linear step axis, from
/// a little before the step where they part.
pub fn what_if_figure(w: &slaw::forecast::whatif::WhatIf) -> Figure {
    let mut series = Vec::new();
    let mut bands = Vec::new();
    // The palette without its black (6), the fits' colour.
    let mut colors = (0..).filter(|c| *c != 6);
    let mut color = colors.next().unwrap_or(0);
    for (name, pts) in &w.fitted {
        series.push(Series {
            label: format!("{name} (fitted run)"),
            color,
            kind: SeriesKind::Points,
            points: pts.iter().map(|p| (p.0, p.1)).collect(),
        });
        color = colors.next().unwrap_or(0);
    }
    // The law's fit through each run, over its points, on top of them.
    for (k, (_, pts)) in w.fitted.iter().enumerate() {
        series.push(Series {
            label: if k == 0 {
                format!("{} law fit (each run)", w.method)
            } else {
                String::new()
            },
            color: 6,
            kind: SeriesKind::Line,
            points: pts.iter().map(|p| (p.0, p.2)).collect(),
        });
    }
    let level = w.bootstrap.as_ref().map(|b| b.level);
    let specs: Vec<&str> = w.predictions.iter().map(|p| p.schedule.as_str()).collect();
    let (labels, common) = schedule_labels(&specs);
    let bar_steps = bar_steps(
        &w.predictions
            .iter()
            .map(|p| p.last().step)
            .collect::<Vec<_>>(),
    );
    // Several schedules' translucent bands stacked over each other mix into
    // one muddy colour: only the band of the lowest predicted final loss
    // (the search's pick) is filled; the others are their edges, dotted
    // and faded in their schedule's colour.
    let filled = (w.predictions.len() > 1)
        .then(|| {
            (0..w.predictions.len()).min_by(|&a, &b| {
                w.predictions[a]
                    .last()
                    .loss
                    .total_cmp(&w.predictions[b].last().loss)
            })
        })
        .flatten();
    let mut edges = false;
    for (k, p) in w.predictions.iter().enumerate() {
        series.push(Series {
            label: predicted_label(&labels[k]),
            color,
            kind: SeriesKind::Line,
            points: p.points.iter().map(|q| (q.step, q.loss)).collect(),
        });
        let points: Vec<(f64, f64, f64)> = p
            .points
            .iter()
            .filter_map(|q| Some((q.step, q.lo?, q.hi?)))
            .collect();
        let interval = level.filter(|_| !points.is_empty());
        if filled.is_some_and(|f| f != k) {
            edges |= points.len() >= 2;
            for edge in [
                |q: &(f64, f64, f64)| (q.0, q.1),
                |q: &(f64, f64, f64)| (q.0, q.2),
            ] {
                series.push(Series {
                    label: String::new(),
                    color,
                    kind: SeriesKind::Dotted,
                    points: points.iter().map(edge).collect(),
                });
            }
        } else {
            bands.push(Band {
                label: match (interval, filled) {
                    (Some(l), Some(_)) => {
                        format!("{} interval, lowest final", slaw::numbers::percent(l))
                    }
                    (Some(l), None) if bands.is_empty() => {
                        format!("{} interval", slaw::numbers::percent(l))
                    }
                    _ => String::new(),
                },
                color,
                points,
            });
        }
        let last = p.last();
        if let (Some(lo), Some(hi)) = (last.lo, last.hi) {
            series.push(Series {
                label: String::new(),
                color,
                kind: SeriesKind::Interval,
                points: vec![(bar_steps[k], lo), (bar_steps[k], hi)],
            });
        }
        color = colors.next().unwrap_or(0);
    }
    if let (Some(l), true) = (level, edges) {
        series.push(Series {
            label: format!("{} interval, the others", slaw::numbers::percent(l)),
            color: 6,
            kind: SeriesKind::Dotted,
            points: Vec::new(),
        });
    }
    if let (Some(l), true) = (level, series.iter().any(|s| s.kind == SeriesKind::Interval)) {
        series.push(Series {
            label: format!("{} interval, final loss", slaw::numbers::percent(l)),
            color: 6,
            kind: SeriesKind::Interval,
            points: Vec::new(),
        });
    }
    Figure {
        title: format!(
            "what-if schedules: {} law fitted on {} run{}{}{}",
            w.method,
            w.fitted.len(),
            if w.fitted.len() == 1 { "" } else { "s" },
            if common.is_empty() {
                String::new()
            } else {
                format!("; every schedule {}", common.join(","))
            },
            // The warning's point, where the figure is all one looks at.
            if w.bootstrap.is_some() && w.model_error.is_none() {
                " (intervals without the schedule-transfer error)"
            } else {
                ""
            }
        ),
        x_label: "step (log scale)".into(),
        y_label: "loss (log scale)".into(),
        series,
        bands,
        vlines: vec![],
        zoom: parting_zoom(&w.predictions, &bar_steps),
    }
}

/// A predicted schedule's legend label: "NAME (predicted)" when that fits
/// the legend; a WSD decay of the search, "wsd decay 10% (from step
/// 21800)", as "wsd 10%, decay from 21800" (its decay start kept whole);
/// else the name alone.
fn predicted_label(name: &str) -> String {
    if name.chars().count() <= LABEL_ROOM {
        return format!("{name} (predicted)");
    }
    let wsd = name
        .strip_prefix("wsd decay ")
        .and_then(|r| r.strip_suffix(')'))
        .and_then(|r| r.split_once(" (from step "));
    match wsd {
        Some((fraction, start)) => format!("wsd {fraction}, decay from {start}"),
        None => name.to_string(),
    }
}

/// The zoom of the what-if figure: from a little before the first step at
/// which two schedules' predicted losses part to a little past the last
/// bar, when they part in the last half of the steps (before that the log
/// axis shows them apart already); None for one schedule.
fn parting_zoom(
    predictions: &[slaw::forecast::whatif::Prediction],
    bar_steps: &[f64],
) -> Option<(f64, f64)> {
    let (first, rest) = predictions.split_first()?;
    if rest.is_empty() {
        return None;
    }
    let parts = first.points.iter().find(|q| {
        rest.iter().any(|p| {
            p.at(q.step)
                .is_some_and(|r| (r.loss - q.loss).abs() > 1e-9 * q.loss.abs())
        })
    })?;
    let end = predictions
        .iter()
        .map(|p| p.last().step)
        .fold(0.0, f64::max);
    let start = first.points.first()?.step;
    if !(parts.step > start + 0.5 * (end - start) && end > parts.step) {
        return None;
    }
    let width = end - parts.step;
    let right = bar_steps.iter().copied().fold(end, f64::max);
    Some((parts.step - 0.15 * width, right + 0.06 * width))
}

/// The legend labels of the predicted schedules, and the settings common
/// to all of them (probe48 9c: the legend cuts a long label in the middle,
/// so two schedules read alike, "cosine:peak=3e-…160" and
/// "constant:peak=…160"). Two or more schedules of which one is longer
/// than fits ([`LABEL_ROOM`]) keep what differs: the settings (`key=value`
/// after the kind) that every schedule has are taken out of the labels and
/// returned, for the title, once. Labels that would then read alike (one
/// schedule's settings a reordering of another's) are the specs numbered.
pub fn schedule_labels(specs: &[&str]) -> (Vec<String>, Vec<String>) {
    let full = || (specs.iter().map(|s| s.to_string()).collect(), Vec::new());
    if specs.len() < 2 || specs.iter().all(|s| s.chars().count() <= LABEL_ROOM) {
        return full();
    }
    let split = |s: &str| -> (String, Vec<String>) {
        match s.split_once(':') {
            Some((kind, rest)) => (
                kind.to_string(),
                rest.split(',').map(|i| i.trim().to_string()).collect(),
            ),
            None => (s.to_string(), Vec::new()),
        }
    };
    let parts: Vec<(String, Vec<String>)> = specs.iter().map(|s| split(s)).collect();
    let common: Vec<String> = parts[0]
        .1
        .iter()
        .filter(|i| i.contains('=') && parts.iter().all(|(_, items)| items.contains(i)))
        .cloned()
        .collect();
    if common.is_empty() {
        return full();
    }
    let labels: Vec<String> = parts
        .iter()
        .map(|(kind, items)| {
            let rest: Vec<&str> = items
                .iter()
                .filter(|i| !common.contains(i))
                .map(String::as_str)
                .collect();
            if rest.is_empty() {
                kind.clone()
            } else {
                format!("{kind}:{}", rest.join(","))
            }
        })
        .collect();
    let distinct = labels
        .iter()
        .enumerate()
        .all(|(i, a)| labels[..i].iter().all(|b| a != b));
    if distinct {
        (labels, common)
    } else {
        (
            specs
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{}: {s}", i + 1))
                .collect(),
            Vec::new(),
        )
    }
}

/// The characters of a schedule's label that the legend shows whole (its
/// 32 less " (predicted)").
const LABEL_ROOM: usize = 20;

/// Where each predicted schedule's final-loss bar is drawn: at its last
/// step, a bar at the same step as an earlier one moved right by 4% of
/// the step per earlier bar there (probe48 9c: two bars at one step hid
/// each other; on the log axis 4% is some 7 pixels, the caps apart).
pub fn bar_steps(last_steps: &[f64]) -> Vec<f64> {
    last_steps
        .iter()
        .enumerate()
        .map(|(k, &x)| {
            let before = last_steps[..k].iter().filter(|&&y| y == x).count();
            x * (1.0 + 0.04 * before as f64)
        })
        .collect()
}

#[cfg(test)]
mod ux50_tests {
    use super::{bar_steps, schedule_labels};

    /// probe48 9c: two long schedules keep what differs in their labels,
    /// the settings they share said once; short ones stay whole.
    #[test]
    fn ux50_schedule_labels_keep_what_differs() {
        let (labels, common) = schedule_labels(&[
            "cosine:peak=3e-4,final=3e-5,total=72000,warmup=2160",
            "constant:peak=3e-4,warmup=2160",
        ]);
        assert_eq!(labels, ["cosine:final=3e-5,total=72000", "constant"]);
        assert_eq!(common, ["peak=3e-4", "warmup=2160"]);
        let (labels, common) = schedule_labels(&["constant:peak=3e-4", "cosine:peak=3e-4"]);
        assert_eq!(labels, ["constant:peak=3e-4", "cosine:peak=3e-4"]);
        assert!(common.is_empty());
        // the same settings reordered: numbered, in full
        let (labels, _) = schedule_labels(&[
            "wsd:peak=3e-4,final=3e-5,decay_start=6000,total=9000",
            "wsd:peak=3e-4,decay_start=6000,final=3e-5,total=9000",
        ]);
        assert!(labels[0].starts_with("1: wsd:") && labels[1].starts_with("2: wsd:"));
    }

    /// probe48 9c: final-loss bars at one step are drawn apart.
    #[test]
    fn ux50_bars_at_one_step_are_apart() {
        let x = bar_steps(&[72000.0, 72000.0, 24000.0, 72000.0]);
        assert_eq!(x[0], 72000.0);
        assert_eq!(x[2], 24000.0);
        assert!(x[1] > x[0] && x[3] > x[1], "{x:?}");
    }
}
