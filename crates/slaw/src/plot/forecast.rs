//! The figure of `slaw forecast`: observed curve (fitted part filled,
//! the rest hollow), the forecast and its interval band (dashed).

use super::{Figure, Series, SeriesKind};
use crate::forecast::job::ForecastOutput;

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
            color: 7,
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
    if let Some((_, _, level)) = o.bootstrap {
        for (bound, pick) in [("low", 0), ("high", 1)] {
            series.push(Series {
                label: format!("{:.0}% interval ({bound})", 100.0 * level),
                color: 3,
                kind: SeriesKind::Dashed,
                points: o
                    .curve_points
                    .iter()
                    .filter_map(|p| {
                        let v = if pick == 0 { p.lo } else { p.hi };
                        v.map(|v| (p.step, v))
                    })
                    .collect(),
            });
        }
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
        vlines: vec![(until, "end of fit".into())],
    }
}

/// The figure of `slaw schedule`: the fitted runs (points) with the law's
/// fit, and each predicted schedule's curve (line) with its band (dashed).
pub fn what_if_figure(w: &crate::forecast::whatif::WhatIf) -> Figure {
    let mut series = Vec::new();
    let mut color = 0;
    // Bands are dashed lines in each curve's colour (not in the legend).
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
        for pick in [0, 1] {
            let band: Vec<(f64, f64)> = p
                .points
                .iter()
                .filter_map(|q| if pick == 0 { q.lo } else { q.hi }.map(|v| (q.step, v)))
                .collect();
            if !band.is_empty() {
                series.push(Series {
                    label: String::new(),
                    color,
                    kind: SeriesKind::Dashed,
                    points: band,
                });
            }
        }
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
        vlines: vec![],
    }
}
