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
    if let Some((_, _, level)) = o.bootstrap {
        bands.push(Band {
            label: format!("{:.0}% interval", 100.0 * level),
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

/// The figure of `slaw schedule`: the fitted runs (points) with the law's
/// fit, and each predicted schedule's curve (line) with its shaded band.
pub fn what_if_figure(w: &slaw::forecast::whatif::WhatIf) -> Figure {
    let mut series = Vec::new();
    let mut bands = Vec::new();
    let mut color = 0;
    // Each prediction's band is shaded in its colour (not in the legend).
    for (name, pts) in &w.fitted {
        series.push(Series {
            label: format!("{name} (fitted run)"),
            color,
            kind: SeriesKind::HollowPoints,
            points: pts.iter().map(|p| (p.0, p.1)).collect(),
        });
        color += 1;
    }
    for p in &w.predictions {
        series.push(Series {
            label: format!("{} (predicted)", p.schedule),
            color,
            kind: SeriesKind::Line,
            points: p.points.iter().map(|q| (q.step, q.loss)).collect(),
        });
        bands.push(Band {
            label: String::new(),
            color,
            points: p
                .points
                .iter()
                .filter_map(|q| Some((q.step, q.lo?, q.hi?)))
                .collect(),
        });
        color += 1;
    }
    Figure {
        title: format!(
            "what-if schedules: {} law fitted on {} runs",
            w.method,
            w.fitted.len()
        ),
        x_label: "step".into(),
        y_label: "loss".into(),
        series,
        bands,
        vlines: vec![],
    }
}
