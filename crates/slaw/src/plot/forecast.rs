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
