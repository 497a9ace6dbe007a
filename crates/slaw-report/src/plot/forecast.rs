//! The figure of `slaw forecast`: observed curve (fitted part filled,
//! the rest hollow), the forecast and its shaded interval band.

use super::{Band, Figure, Mark, Series, SeriesKind, VLine};
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
            label: "truth (not fitted)".into(),
            color: super::MUTED,
            kind: SeriesKind::HollowPoints,
            points: obs(false),
        },
        Series {
            label: "forecast".into(),
            color: 3,
            kind: SeriesKind::Line,
            points: o.curve_points.iter().map(|p| (p.step, p.loss)).collect(),
        },
    ];
    let mut bands = Vec::new();
    if let Some(level) = o.bootstrap.map(|b| b.level) {
        bands.push(Band {
            label: format!("{} interval", slaw::numbers::percent(level)),
            color: 3,
            points: o
                .curve_points
                .iter()
                .filter_map(|p| Some((p.step, p.lo?, p.hi?)))
                .collect(),
        });
    }
    series.retain(|s| !s.points.is_empty());
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
    }
}

/// The figure of `slaw schedule`: the fitted runs (filled points, as
/// fitted data everywhere) with the law's fit through each (a dark line),
/// and each predicted schedule's curve (line) with its shaded interval band
/// and the interval of its final loss as a bar (the band is often only a
/// few pixels wide: the bar shows it at the step that matters).
pub fn what_if_figure(w: &slaw::forecast::whatif::WhatIf) -> Figure {
    let mut series = Vec::new();
    let mut bands = Vec::new();
    let mut color = 0;
    for (name, pts) in &w.fitted {
        series.push(Series {
            label: format!("{name} (fitted run)"),
            color,
            kind: SeriesKind::Points,
            points: pts.iter().map(|p| (p.0, p.1)).collect(),
        });
        color += 1;
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
    for p in &w.predictions {
        series.push(Series {
            label: format!("{} (predicted)", p.schedule),
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
        bands.push(Band {
            label: match interval {
                Some(l) if bands.is_empty() => {
                    format!("{} interval", slaw::numbers::percent(l))
                }
                _ => String::new(),
            },
            color,
            points,
        });
        let last = p.last();
        if let (Some(lo), Some(hi)) = (last.lo, last.hi) {
            series.push(Series {
                label: String::new(),
                color,
                kind: SeriesKind::Interval,
                points: vec![(last.step, lo), (last.step, hi)],
            });
        }
        color += 1;
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
            "what-if schedules: {} law fitted on {} run{}{}",
            w.method,
            w.fitted.len(),
            if w.fitted.len() == 1 { "" } else { "s" },
            // The warning's point, where the figure is all one looks at.
            if w.bootstrap.is_some() && w.model_error.is_none() {
                " (intervals without the schedule-transfer error)"
            } else {
                ""
            }
        ),
        x_label: "step".into(),
        y_label: "loss".into(),
        series,
        bands,
        vlines: vec![],
    }
}
