//! Plots (SVG or PNG by file extension) with an embedded font, so no system
//! font libraries are needed.

pub mod forecast;
pub mod joint;

use crate::analysis::GroupFit;
use crate::law::Law;
use crate::observations::Observations;
use crate::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

static FONT: Once = Once::new();

fn register_font() {
    FONT.call_once(|| {
        // The embedded DejaVu Sans is a valid font; a failure would only lose text.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

/// A curve or set of points to draw on log-log axes.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub color: usize,
    pub kind: SeriesKind,
    pub points: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKind {
    Line,
    Dashed,
    Points,
    HollowPoints,
    Marker,
}

#[derive(Debug, Clone)]
pub struct Figure {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Vertical lines (x, label), e.g. a phase transition or a target size.
    pub vlines: Vec<(f64, String)>,
}

pub fn palette(i: usize) -> RGBColor {
    const P: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    P[i % P.len()]
}

/// Write the figure to `path` (.svg or .png).
pub fn save(fig: &Figure, path: &Path) -> Result<()> {
    register_font();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let res = match ext.as_str() {
        "svg" => draw(SVGBackend::new(path, (960, 640)).into_drawing_area(), fig),
        "png" => draw(
            BitMapBackend::new(path, (960, 640)).into_drawing_area(),
            fig,
        ),
        _ => {
            return Err(Error::usage(format!(
                "{}: plots are written as .svg or .png",
                path.display()
            )))
        }
    };
    res.map_err(|e| Error::usage(format!("{}: cannot draw the plot: {e}", path.display())))
}

fn bounds(fig: &Figure) -> Option<((f64, f64), (f64, f64))> {
    let mut xs = (f64::INFINITY, f64::NEG_INFINITY);
    let mut ys = (f64::INFINITY, f64::NEG_INFINITY);
    for s in &fig.series {
        for &(x, y) in &s.points {
            if x > 0.0 && y > 0.0 && x.is_finite() && y.is_finite() {
                xs = (xs.0.min(x), xs.1.max(x));
                ys = (ys.0.min(y), ys.1.max(y));
            }
        }
    }
    for (x, _) in &fig.vlines {
        if *x > 0.0 {
            xs = (xs.0.min(*x), xs.1.max(*x));
        }
    }
    if !xs.0.is_finite() || !ys.0.is_finite() {
        return None;
    }
    let pad = |(lo, hi): (f64, f64), f: f64| (lo / f, hi * f);
    Some((pad(xs, 1.3), pad(ys, 1.08)))
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    fig: &Figure,
) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let Some(((x0, x1), (y0, y1))) = bounds(fig) else {
        return Err("nothing to plot (no positive values)".into());
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(&fig.title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(&fig.x_label)
        .y_desc(&fig.y_label)
        .x_label_formatter(&|v| format!("{v:.0e}"))
        .y_label_formatter(&|v| format!("{v:.3}"))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(e)?;
    for (x, label) in &fig.vlines {
        chart
            .draw_series(LineSeries::new(
                vec![(*x, y0), (*x, y1)],
                BLACK.mix(0.4).stroke_width(1),
            ))
            .map_err(e)?
            .label(label.clone())
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK.mix(0.4)));
    }
    for s in &fig.series {
        let c = palette(s.color);
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .copied()
            .filter(|&(x, y)| x > 0.0 && y > 0.0)
            .collect();
        let anno = match s.kind {
            SeriesKind::Line => chart
                .draw_series(LineSeries::new(pts, c.stroke_width(2)))
                .map_err(e)?,
            SeriesKind::Dashed => chart
                .draw_series(DashedLineSeries::new(pts, 6, 4, c.stroke_width(2)))
                .map_err(e)?,
            SeriesKind::Points => chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 4, c.filled())))
                .map_err(e)?,
            SeriesKind::HollowPoints => chart
                .draw_series(
                    pts.into_iter()
                        .map(|p| Circle::new(p, 6, c.stroke_width(2))),
                )
                .map_err(e)?,
            SeriesKind::Marker => chart
                .draw_series(
                    pts.into_iter()
                        .map(|p| TriangleMarker::new(p, 8, c.filled())),
                )
                .map_err(e)?,
        };
        if !s.label.is_empty() {
            anno.label(s.label.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 12, y + 4)], c.filled()));
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 13))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(e)?;
    root.present().map_err(e)?;
    Ok(())
}

/// `n` log-spaced values from lo to hi.
pub fn log_space(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let (a, b) = (lo.ln(), hi.ln());
    (0..n)
        .map(|i| (a + (b - a) * i as f64 / (n - 1).max(1) as f64).exp())
        .collect()
}

/// The figure for `slaw fit`: for a one-input law, data and fitted curve per
/// group on log-log axes with held-out points hollow and predictions as
/// triangles; for a law of several inputs, predicted against observed.
pub fn fit_figure(law: &Law, obs: &Observations, fits: &[GroupFit], y_name: &str) -> Figure {
    let mut series = Vec::new();
    let multi = fits.len() > 1;
    if law.inputs.len() == 1 {
        for (k, g) in fits.iter().enumerate() {
            let label = if multi {
                g.group.clone()
            } else {
                "fit".to_string()
            };
            let pts = |idx: &[usize]| {
                idx.iter()
                    .map(|&i| (obs.point(i)[0], obs.y[i]))
                    .collect::<Vec<_>>()
            };
            let mut xs: Vec<f64> = g
                .train_idx
                .iter()
                .chain(&g.held_idx)
                .map(|&i| obs.point(i)[0])
                .filter(|&x| x > 0.0)
                .collect();
            xs.extend(g.predictions.iter().map(|p| p.at[0]).filter(|&x| x > 0.0));
            let lo = xs.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            if lo.is_finite() && hi > lo {
                let curve = log_space(lo, hi, 200)
                    .into_iter()
                    .map(|x| (x, law.predict(&[x], &g.fit.params)))
                    .collect();
                series.push(Series {
                    label: label.clone(),
                    color: k,
                    kind: SeriesKind::Line,
                    points: curve,
                });
            }
            series.push(Series {
                label: String::new(),
                color: k,
                kind: SeriesKind::Points,
                points: pts(&g.train_idx),
            });
            if !g.held_idx.is_empty() {
                series.push(Series {
                    label: if k == 0 {
                        "held out".into()
                    } else {
                        String::new()
                    },
                    color: k,
                    kind: SeriesKind::HollowPoints,
                    points: pts(&g.held_idx),
                });
            }
            let preds: Vec<(f64, f64)> = g.predictions.iter().map(|p| (p.at[0], p.value)).collect();
            if !preds.is_empty() {
                series.push(Series {
                    label: String::new(),
                    color: k,
                    kind: SeriesKind::Marker,
                    points: preds,
                });
            }
        }
        Figure {
            title: format!("{}: {}", law.name, law.formula),
            x_label: obs.input_names.first().cloned().unwrap_or_default(),
            y_label: y_name.to_string(),
            series,
            vlines: Vec::new(),
        }
    } else {
        let mut all = Vec::new();
        for (k, g) in fits.iter().enumerate() {
            let u = law.to_internal(&g.fit.params);
            let pair = |i: usize| (law.value_internal(obs.point(i), &u), obs.y[i]);
            series.push(Series {
                label: if multi {
                    g.group.clone()
                } else {
                    "fitted points".into()
                },
                color: k,
                kind: SeriesKind::Points,
                points: g.train_idx.iter().map(|&i| pair(i)).collect(),
            });
            if !g.held_idx.is_empty() {
                series.push(Series {
                    label: if k == 0 {
                        "held out".into()
                    } else {
                        String::new()
                    },
                    color: k,
                    kind: SeriesKind::HollowPoints,
                    points: g.held_idx.iter().map(|&i| pair(i)).collect(),
                });
            }
            all.extend(g.train_idx.iter().chain(&g.held_idx).map(|&i| obs.y[i]));
        }
        let lo = all.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = all.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        series.push(Series {
            label: "y = x".into(),
            color: 7,
            kind: SeriesKind::Dashed,
            points: vec![(lo, lo), (hi, hi)],
        });
        Figure {
            title: format!("{}: predicted vs observed", law.name),
            x_label: format!("predicted {y_name}"),
            y_label: format!("observed {y_name}"),
            series,
            vlines: Vec::new(),
        }
    }
}

/// The figure for `slaw select`: each candidate's measured points (affordable
/// ones filled, the others hollow), the method's extrapolation from the
/// largest affordable size to the target (the chosen model's curve solid,
/// the others dashed), the predictions at the target as triangles, and for
/// the chosen model its phase transition as a vertical line.
pub fn selection_figure(
    pool: &[crate::datasets::Candidate],
    sel: &crate::selection::Selection,
) -> Figure {
    use crate::selection::Detail;
    let b = &sel.budget;
    let mut series = Vec::new();
    let mut vlines = vec![
        (b.max_n, "budget".to_string()),
        (b.target, "target".to_string()),
    ];
    for r in &sel.ranking {
        let c = &pool[r.index];
        let chosen = r.rank == sel.chosen().rank;
        let color = r.rank - 1;
        let label = if chosen {
            format!("{} (chosen)", c.id)
        } else {
            c.id.clone()
        };
        type Points = Vec<(f64, f64)>;
        let (fit_pts, other): (Points, Points) = c
            .curve
            .iter()
            .filter(|p| p.0 > 0.0)
            .partition(|p| p.0 <= b.max_n * (1.0 + 1e-12));
        let first = fit_pts.first().map(|p| p.0).unwrap_or(b.max_n);
        let curve = sel
            .method
            .curve(c, b, &r.estimate, &log_space(first, b.target, 100));
        series.push(Series {
            label: label.clone(),
            color,
            kind: if chosen {
                SeriesKind::Line
            } else {
                SeriesKind::Dashed
            },
            points: curve,
        });
        series.push(Series {
            label: if curve_is_empty(&series) {
                label
            } else {
                String::new()
            },
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
        if let Some(p) = r.estimate.predicted_loss {
            series.push(Series {
                label: String::new(),
                color,
                kind: SeriesKind::Marker,
                points: vec![(b.target, p)],
            });
        }
        if let (
            true,
            Detail::Ats {
                transition: Some(t),
                ..
            },
        ) = (chosen, &r.estimate.detail)
        {
            vlines.push((*t, format!("{}: transition", c.id)));
        }
    }
    Figure {
        title: format!(
            "model selection, {}: budget {} of {} examples",
            sel.method.name(),
            b.max_n,
            b.target
        ),
        x_label: "fine-tuning examples".into(),
        y_label: "loss".into(),
        series,
        vlines,
    }
}

/// Whether the last series pushed (a curve) has no points.
fn curve_is_empty(series: &[Series]) -> bool {
    series.last().is_some_and(|s| s.points.is_empty())
}

/// The figures of `slaw allocate --method isoflop|all`: the isoFLOP profiles
/// (each budget's runs, its parabola and minimum) and N_opt against C (the
/// budgets' minima and every method's fitted allocation).
pub fn allocation_figures(g: &crate::allocate::methods::GroupAllocation) -> Vec<(String, Figure)> {
    let mut out = Vec::new();
    if let Some(r) = &g.isoflop {
        let mut series = Vec::new();
        let mut minima = Vec::new();
        for (i, b) in r.budgets.iter().enumerate() {
            if b.points.len() < 3 {
                continue;
            }
            series.push(Series {
                label: format!("C = {:.1e}", b.compute),
                color: i,
                kind: if b.n_opt.is_some() {
                    SeriesKind::Points
                } else {
                    SeriesKind::HollowPoints
                },
                points: b.points.clone(),
            });
            if let (Some(p), Some(n), Some(l)) = (b.parabola, b.n_opt, b.loss_min) {
                let lo = b
                    .points
                    .iter()
                    .map(|q| q.0)
                    .fold(f64::INFINITY, f64::min)
                    .min(n);
                let hi = b.points.iter().map(|q| q.0).fold(0.0, f64::max).max(n);
                let curve = (0..=40)
                    .map(|k| {
                        let x = lo.ln() + (hi.ln() - lo.ln()) * k as f64 / 40.0;
                        (x.exp(), p[0] + p[1] * x + p[2] * x * x)
                    })
                    .filter(|q| q.1 > 0.0)
                    .collect();
                series.push(Series {
                    label: String::new(),
                    color: i,
                    kind: SeriesKind::Line,
                    points: curve,
                });
                minima.push((n, l));
            }
        }
        series.push(Series {
            label: "minimum per budget".into(),
            color: 3,
            kind: SeriesKind::Marker,
            points: minima,
        });
        out.push((
            "isoflop".to_string(),
            Figure {
                title: "isoFLOP profiles: loss against model size per compute budget".into(),
                x_label: "parameters N".into(),
                y_label: "loss".into(),
                series,
                vlines: Vec::new(),
            },
        ));
    }
    // N_opt against C.
    let mut series = Vec::new();
    let mut c_lo = f64::INFINITY;
    let mut c_hi: f64 = 0.0;
    for (k, (name, r)) in [("isoflop", &g.isoflop), ("envelope", &g.envelope)]
        .into_iter()
        .enumerate()
    {
        if let Some(r) = r {
            let pts: Vec<(f64, f64)> = r
                .budgets
                .iter()
                .filter_map(|b| b.n_opt.map(|n| (b.compute, n)))
                .collect();
            c_lo = c_lo.min(r.compute_range.0);
            c_hi = c_hi.max(r.compute_range.1);
            series.push(Series {
                label: format!("{name}: budget minima"),
                color: k,
                kind: SeriesKind::Points,
                points: pts,
            });
        }
    }
    for r in [&g.isoflop, &g.envelope].into_iter().flatten() {
        for row in &r.rows {
            c_lo = c_lo.min(row.compute);
            c_hi = c_hi.max(row.compute);
        }
    }
    if let Some(p) = &g.parametric {
        for row in &p.rows {
            c_lo = c_lo.min(row.compute);
            c_hi = c_hi.max(row.compute);
        }
    }
    if c_lo.is_finite() && c_hi > c_lo {
        let grid: Vec<f64> = (0..=30)
            .map(|k| (c_lo.ln() + (c_hi.ln() - c_lo.ln()) * k as f64 / 30.0).exp())
            .collect();
        for (k, (name, r)) in [("isoflop", &g.isoflop), ("envelope", &g.envelope)]
            .into_iter()
            .enumerate()
        {
            if let Some(r) = r {
                series.push(Series {
                    label: format!("{name}: N_opt ~ C^{:.3}", r.exponent_n),
                    color: k,
                    kind: SeriesKind::Line,
                    points: grid.iter().map(|&c| (c, r.optimum(c).0)).collect(),
                });
            }
        }
        if let Some(p) = &g.parametric {
            series.push(Series {
                label: format!("parametric: N_opt ~ C^{:.3}", p.exponent_n),
                color: 2,
                kind: SeriesKind::Dashed,
                points: grid.iter().map(|&c| (c, p.law.optimum(c).0)).collect(),
            });
        }
    }
    if !series.is_empty() {
        out.push((
            "nopt".to_string(),
            Figure {
                title: "compute-optimal model size".into(),
                x_label: "compute C (FLOPs)".into(),
                y_label: "N_opt".into(),
                series,
                vlines: Vec::new(),
            },
        ));
    }
    out
}
