//! Plots (SVG, PNG or PDF by file extension): SVG and PNG with an embedded
//! font, so no system font libraries are needed; PDF as vector graphics
//! with Helvetica, a font every PDF reader has (see [`pdf`]).

pub mod forecast;
pub mod joint;
pub mod pdf;

use plotters::coord::Shift;
use plotters::prelude::*;
use slaw::allocate::CurvePoint;
use slaw::analysis::GroupFit;
use slaw::law::Law;
use slaw::observations::Observations;
use slaw::{Error, Result};
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
    /// Vertical interval bars with caps: the points in pairs, (x, lo) then
    /// (x, hi), one bar per pair (an interval at one input, such as a
    /// prediction's).
    Interval,
}

#[derive(Debug, Clone)]
pub struct Figure {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Shaded interval bands, drawn under the series.
    pub bands: Vec<Band>,
    /// Vertical lines, e.g. the budget, the target, a phase transition.
    pub vlines: Vec<VLine>,
}

/// A shaded band: (x, low, high) per point.
#[derive(Debug, Clone)]
pub struct Band {
    pub label: String,
    pub color: usize,
    pub points: Vec<(f64, f64, f64)>,
}

/// A vertical line and what it marks (each role has its own style).
#[derive(Debug, Clone)]
pub struct VLine {
    pub x: f64,
    pub label: String,
    pub mark: Mark,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// The largest affordable size: dashed grey.
    Budget,
    /// The size the decision is about: solid black.
    Target,
    /// An event on the curve (a phase transition, the end of the fit): dotted.
    Event,
}

impl VLine {
    pub fn new(x: f64, label: impl Into<String>, mark: Mark) -> VLine {
        VLine {
            x,
            label: label.into(),
            mark,
        }
    }
}

/// The colour index of series drawn muted (light grey, no legend entry of
/// their own): the many candidates behind the highlighted ones.
pub const MUTED: usize = usize::MAX;

/// The first colour index of the sequential map (see [`sequential`]).
pub const SEQUENTIAL: usize = 1 << 20;

/// The colour index of `t` in [0, 1] on a sequential map (viridis, dark
/// purple to green; its light yellow end is left out so that every colour
/// reads on white): for series ordered by a quantity, such as the compute
/// budgets of isoFLOP profiles, where the palette's 8 colours would repeat.
pub fn sequential(t: f64) -> usize {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    SEQUENTIAL + (t * 255.0).round() as usize
}

fn viridis(t: f64) -> RGBColor {
    // Anchors of viridis at 0, 0.1, ..., 0.8 (the map's first 80%).
    const V: [(f64, f64, f64); 9] = [
        (68.0, 1.0, 84.0),
        (72.0, 36.0, 117.0),
        (65.0, 68.0, 135.0),
        (53.0, 95.0, 141.0),
        (42.0, 120.0, 142.0),
        (33.0, 145.0, 140.0),
        (34.0, 168.0, 132.0),
        (68.0, 191.0, 112.0),
        (122.0, 209.0, 81.0),
    ];
    let x = t.clamp(0.0, 1.0) * (V.len() - 1) as f64;
    let k = (x.floor() as usize).min(V.len() - 2);
    let f = x - k as f64;
    let mix = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    RGBColor(
        mix(V[k].0, V[k + 1].0),
        mix(V[k].1, V[k + 1].1),
        mix(V[k].2, V[k + 1].2),
    )
}

/// The colour-blind safe palette of Okabe and Ito (yellow darkened to read
/// on white); indices wrap after 8. [`MUTED`] is light grey; indices from
/// [`sequential`] are on the sequential map.
pub fn palette(i: usize) -> RGBColor {
    if i == MUTED {
        return RGBColor(175, 175, 175);
    }
    if (SEQUENTIAL..=SEQUENTIAL + 255).contains(&i) {
        return viridis((i - SEQUENTIAL) as f64 / 255.0);
    }
    const P: [RGBColor; 8] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(230, 159, 0),
        RGBColor(204, 121, 167),
        RGBColor(86, 180, 233),
        RGBColor(0, 0, 0),
        RGBColor(170, 150, 0),
    ];
    P[i % P.len()]
}

/// The held-out points of group `k` (hollow; labelled once, on the first group).
fn held_out(k: usize, points: Vec<(f64, f64)>) -> Series {
    Series {
        label: if k == 0 {
            "held out".into()
        } else {
            String::new()
        },
        color: k,
        kind: SeriesKind::HollowPoints,
        points,
    }
}

/// Lines of colours past the palette's 8 are drawn dashed, so that no two
/// series look the same until 16.
fn line_kind(s: &Series) -> SeriesKind {
    if s.kind == SeriesKind::Line && s.color != MUTED && (8..SEQUENTIAL).contains(&s.color) {
        SeriesKind::Dashed
    } else {
        s.kind
    }
}

/// The figure size in pixels.
pub const SIZE: (u32, u32) = (1040, 640);
/// Width of the legend column right of the plot.
const LEGEND_W: u32 = 250;

/// The formats a figure can be written in, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Svg,
    Png,
    Pdf,
}

/// The format `path` names (.svg, .png, .pdf); checked before any work so
/// that a wrong extension fails at once.
fn format_of(path: &Path) -> Result<Format> {
    match crate::extension(path).as_str() {
        "svg" => Ok(Format::Svg),
        "png" => Ok(Format::Png),
        "pdf" => Ok(Format::Pdf),
        _ => Err(Error::setting(
            slaw::error::Setting::PlotPath,
            format!(
                "{}: plots are written as .svg, .png or .pdf",
                path.display()
            ),
        )),
    }
}

/// Whether `path` names a format the plots can be written in (.svg, .png,
/// .pdf); checked before any work so that a wrong extension fails at once.
pub fn check_path(path: &Path) -> Result<()> {
    format_of(path)?;
    match crate::unwritable(path) {
        Some(why) => Err(Error::setting(slaw::error::Setting::PlotPath, why)),
        None => Ok(()),
    }
}

/// Write the figure to `path` (.svg, .png or .pdf).
pub fn save(fig: &Figure, path: &Path) -> Result<()> {
    let res = match format_of(path)? {
        Format::Png => {
            register_font();
            draw(BitMapBackend::new(path, SIZE).into_drawing_area(), fig)
        }
        Format::Svg => {
            register_font();
            draw(SVGBackend::new(path, SIZE).into_drawing_area(), fig)
        }
        Format::Pdf => draw(pdf::PdfBackend::new(path, SIZE).into_drawing_area(), fig),
    };
    res.map_err(|e| Error::output(path.display(), format!("cannot draw the plot: {e}")))
}

/// The figure as PDF bytes (for tests and embeddings).
pub fn to_pdf(fig: &Figure) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    draw(
        pdf::PdfBackend::with_buffer(&mut out, SIZE).into_drawing_area(),
        fig,
    )
    .map_err(|e| Error::output("<pdf>", format!("cannot draw the plot: {e}")))?;
    Ok(out)
}

/// The figure as SVG text (for reports and tests).
pub fn to_svg(fig: &Figure) -> Result<String> {
    register_font();
    let mut out = String::new();
    draw(
        SVGBackend::with_string(&mut out, SIZE).into_drawing_area(),
        fig,
    )
    .map_err(|e| Error::output("<svg>", format!("cannot draw the plot: {e}")))?;
    Ok(out)
}

fn bounds(fig: &Figure) -> Option<((f64, f64), (f64, f64))> {
    let mut xs = (f64::INFINITY, f64::NEG_INFINITY);
    let mut ys = (f64::INFINITY, f64::NEG_INFINITY);
    let mut add = |x: f64, y: f64| {
        if x > 0.0 && y > 0.0 && x.is_finite() && y.is_finite() {
            xs = (xs.0.min(x), xs.1.max(x));
            ys = (ys.0.min(y), ys.1.max(y));
        }
    };
    for s in &fig.series {
        for &(x, y) in &s.points {
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

/// Tick positions on a log axis over [lo, hi]: powers of ten over many
/// decades, 1-2-5 steps over one to a few, evenly spaced round numbers
/// inside one decade; the first choice with at least three ticks in range.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return vec![];
    }
    let inside = |v: f64| v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12);
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let decades = (hi / lo).log10();
    let with = |mantissas: &[f64], every: i32| -> Vec<f64> {
        let mut v = Vec::new();
        for k in k0..=k1 {
            if (k - k0) % every != 0 {
                continue;
            }
            for &m in mantissas {
                let t = m * 10f64.powi(k);
                if inside(t) {
                    v.push(t);
                }
            }
        }
        v
    };
    let every = ((decades / 7.0).ceil() as i32).max(1);
    for (ms, min_decades) in [(&[1.0][..], 2.0), (&[1.0, 2.0, 5.0][..], 0.7)] {
        if decades >= min_decades {
            let t = with(ms, if ms.len() == 1 { every } else { 1 });
            if t.len() >= 3 && t.len() <= 12 {
                return t;
            }
        }
    }
    linear_ticks(lo, hi, 8)
}

/// Round-number ticks about `target` apart in count over [lo, hi].
fn linear_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
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
fn minor_ticks(lo: f64, hi: f64, major: &[f64]) -> Vec<f64> {
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
fn scientific_from(ticks: &[f64]) -> f64 {
    if !ticks.iter().any(|t| t.abs() >= 1e5) {
        f64::INFINITY
    } else if ticks.iter().any(|t| t.abs() < 1.0) {
        0.0
    } else {
        1e3
    }
}

fn tick_label_on(v: f64, scientific_from: f64) -> String {
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

/// `s` cut in the middle to at most `max` characters ("facebook/o…-6.7b
/// (chosen)"), so that both ends stay readable.
fn shorten(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let head = (max - 1) / 2;
    let tail = max - 1 - head;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// `label` shortened in the middle ([`shorten`]) until it fits `width`
/// pixels in `font`, as the backend measures it (at most 32 characters;
/// 32 when the backend cannot measure).
fn fitted_label<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    label: &str,
    font: &TextStyle,
    width: i32,
) -> String {
    let mut max = 32;
    loop {
        let text = shorten(label, max);
        let fits = area
            .estimate_text_size(&text, font)
            .map_or(true, |(w, _)| w as i32 <= width);
        if fits || max <= 8 {
            return text;
        }
        max -= 1;
    }
}

/// What a legend entry looks like.
#[derive(Debug, Clone, Copy)]
enum Swatch {
    Line(RGBColor, u32),
    Dashed(RGBColor),
    Dotted(RGBColor),
    Point(RGBColor),
    Hollow(RGBColor),
    Marker(RGBColor),
    Band(RGBColor),
    Interval(RGBColor),
}

fn vline_style(m: Mark) -> (RGBColor, Swatch) {
    match m {
        Mark::Budget => (RGBColor(90, 90, 90), Swatch::Dashed(RGBColor(90, 90, 90))),
        Mark::Target => (RGBColor(0, 0, 0), Swatch::Line(RGBColor(0, 0, 0), 2)),
        Mark::Event => (RGBColor(60, 60, 60), Swatch::Dotted(RGBColor(60, 60, 60))),
    }
}

fn legend_entries(fig: &Figure) -> Vec<(Swatch, String)> {
    let mut out = Vec::new();
    for b in &fig.bands {
        if !b.label.is_empty() {
            out.push((Swatch::Band(palette(b.color)), b.label.clone()));
        }
    }
    for s in &fig.series {
        if s.label.is_empty() {
            continue;
        }
        let c = palette(s.color);
        let w = if s.color == MUTED { 1 } else { 2 };
        out.push((
            match line_kind(s) {
                SeriesKind::Line => Swatch::Line(c, w),
                SeriesKind::Dashed => Swatch::Dashed(c),
                SeriesKind::Points => Swatch::Point(c),
                SeriesKind::HollowPoints => Swatch::Hollow(c),
                SeriesKind::Marker => Swatch::Marker(c),
                SeriesKind::Interval => Swatch::Interval(c),
            },
            s.label.clone(),
        ));
    }
    for v in &fig.vlines {
        if !v.label.is_empty() {
            out.push((vline_style(v.mark).1, v.label.clone()));
        }
    }
    out
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
    let entries = legend_entries(fig);
    let (plot_area, legend_area) = if entries.is_empty() {
        let (w, h) = root.dim_in_pixel();
        (root.clone(), root.clone().shrink((w, h), (0, 0)))
    } else {
        root.split_horizontally(SIZE.0 - LEGEND_W)
    };
    let (xt, yt) = (log_ticks(x0, x1), log_ticks(y0, y1));
    let (xm, ym) = (minor_ticks(x0, x1, &xt), minor_ticks(y0, y1, &yt));
    let (x_sci, y_sci) = (scientific_from(&xt), scientific_from(&yt));
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(&fig.title, ("sans-serif", 20))
        .margin(14)
        .x_label_area_size(52)
        .y_label_area_size(72)
        .build_cartesian_2d(
            (x0..x1)
                .log_scale()
                .with_key_points(xt)
                .with_light_points(xm),
            (y0..y1)
                .log_scale()
                .with_key_points(yt)
                .with_light_points(ym),
        )
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(&fig.x_label)
        .y_desc(&fig.y_label)
        .x_label_formatter(&|v| tick_label_on(*v, x_sci))
        .y_label_formatter(&|v| tick_label_on(*v, y_sci))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.05))
        .draw()
        .map_err(e)?;
    for b in &fig.bands {
        let pts: Vec<(f64, f64, f64)> = b
            .points
            .iter()
            .copied()
            .filter(|&(x, lo, hi)| x > 0.0 && lo > 0.0 && hi >= lo && hi.is_finite())
            .collect();
        if pts.len() < 2 {
            continue;
        }
        let mut poly: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.2)).collect();
        poly.extend(pts.iter().rev().map(|p| (p.0, p.1)));
        chart
            .draw_series(std::iter::once(Polygon::new(
                poly,
                palette(b.color).mix(0.2).filled(),
            )))
            .map_err(e)?;
    }
    for v in &fig.vlines {
        let (c, _) = vline_style(v.mark);
        let line = vec![(v.x, y0), (v.x, y1)];
        match v.mark {
            Mark::Target => chart
                .draw_series(LineSeries::new(line, c.mix(0.8).stroke_width(2)))
                .map(|_| ()),
            Mark::Budget => chart
                .draw_series(DashedLineSeries::new(line, 8, 5, c.stroke_width(1)))
                .map(|_| ()),
            Mark::Event => chart
                .draw_series(DashedLineSeries::new(line, 2, 4, c.stroke_width(2)))
                .map(|_| ()),
        }
        .map_err(e)?;
    }
    // Muted series first, so that the highlighted ones stay on top.
    let mut order: Vec<&Series> = fig.series.iter().filter(|s| s.color == MUTED).collect();
    order.extend(fig.series.iter().filter(|s| s.color != MUTED));
    for s in order {
        let c = palette(s.color);
        let w = if s.color == MUTED { 1 } else { 2 };
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .copied()
            .filter(|&(x, y)| x > 0.0 && y > 0.0 && x.is_finite() && y.is_finite())
            .collect();
        match line_kind(s) {
            SeriesKind::Line => chart
                .draw_series(LineSeries::new(pts, c.stroke_width(w)))
                .map(|_| ()),
            SeriesKind::Dashed => chart
                .draw_series(DashedLineSeries::new(pts, 6, 4, c.stroke_width(w)))
                .map(|_| ()),
            SeriesKind::Points => chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, w + 2, c.filled())))
                .map(|_| ()),
            SeriesKind::HollowPoints => chart
                .draw_series(
                    pts.into_iter()
                        .map(|p| Circle::new(p, w + 3, c.stroke_width(w))),
                )
                .map(|_| ()),
            SeriesKind::Marker => chart
                .draw_series(
                    pts.into_iter()
                        .map(|p| TriangleMarker::new(p, 7, c.filled())),
                )
                .map(|_| ()),
            SeriesKind::Interval => {
                // One bar per pair (x, lo), (x, hi), with caps 5 px either
                // side, drawn in pixels from the lower end.
                let style = c.stroke_width(2);
                let bars: Vec<_> = s
                    .points
                    .chunks_exact(2)
                    .filter(|p| {
                        let ((x, lo), (x2, hi)) = (p[0], p[1]);
                        x == x2 && x > 0.0 && lo > 0.0 && hi >= lo && hi.is_finite()
                    })
                    .map(|p| {
                        let dy = chart.backend_coord(&p[1]).1 - chart.backend_coord(&p[0]).1;
                        EmptyElement::at(p[0])
                            + PathElement::new(vec![(0, 0), (0, dy)], style)
                            + PathElement::new(vec![(-5, 0), (5, 0)], style)
                            + PathElement::new(vec![(-5, dy), (5, dy)], style)
                    })
                    .collect();
                chart.draw_series(bars).map(|_| ())
            }
        }
        .map_err(e)?;
    }
    if !entries.is_empty() {
        draw_legend(&legend_area, &entries).map_err(e)?;
    }
    root.present().map_err(e)?;
    Ok(())
}

/// The legend in its own column right of the plot (never over the data);
/// entries that do not fit are summarised as "... and N more".
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(Swatch, String)],
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, h) = area.dim_in_pixel();
    let row = 19i32;
    let top = 48i32;
    let room = ((h as i32 - top - 10) / row).max(1) as usize;
    let shown = if entries.len() > room {
        room - 1
    } else {
        entries.len()
    };
    let font = ("sans-serif", 14).into_font().color(&BLACK);
    for (i, (sw, label)) in entries.iter().take(shown).enumerate() {
        let y = top + i as i32 * row;
        let (x0, x1) = (6, 30);
        match *sw {
            Swatch::Line(c, w) => {
                area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(w)))?
            }
            Swatch::Dashed(c) => {
                for k in 0..3 {
                    let a = x0 + k * 9;
                    area.draw(&PathElement::new(
                        vec![(a, y), (a + 5, y)],
                        c.stroke_width(2),
                    ))?;
                }
            }
            Swatch::Dotted(c) => {
                for k in 0..5 {
                    let a = x0 + k * 5;
                    area.draw(&PathElement::new(
                        vec![(a, y), (a + 2, y)],
                        c.stroke_width(2),
                    ))?;
                }
            }
            Swatch::Point(c) => area.draw(&Circle::new((18, y), 4, c.filled()))?,
            Swatch::Hollow(c) => area.draw(&Circle::new((18, y), 5, c.stroke_width(2)))?,
            Swatch::Marker(c) => area.draw(&TriangleMarker::new((18, y), 7, c.filled()))?,
            Swatch::Band(c) => area.draw(&Rectangle::new(
                [(x0, y - 6), (x1, y + 6)],
                c.mix(0.25).filled(),
            ))?,
            Swatch::Interval(c) => {
                let style = c.stroke_width(2);
                area.draw(&PathElement::new(vec![(18, y - 7), (18, y + 7)], style))?;
                for yy in [y - 7, y + 7] {
                    area.draw(&PathElement::new(vec![(13, yy), (23, yy)], style))?;
                }
            }
        }
        let text = fitted_label(area, label, &font, w as i32 - 38 - 6);
        area.draw(&Text::new(text, (38, y - 8), font.clone()))?;
    }
    if shown < entries.len() {
        let y = top + shown as i32 * row;
        area.draw(&Text::new(
            format!("... and {} more", entries.len() - shown),
            (38, y - 8),
            font,
        ))?;
    }
    Ok(())
}

pub use slaw::numbers::log_space;

/// A group's name in a legend: "model_size = 1e8" (the column's name and
/// the value, a number in short form), or the value alone without a name.
fn group_label(column: Option<&str>, group: &str) -> String {
    let value = match group.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => tick_label(v),
        _ => group.to_string(),
    };
    match column {
        Some(c) if !c.is_empty() => format!("{c} = {value}"),
        _ => value,
    }
}

/// The figure for `slaw fit`: for a one-input law, data and fitted curve per
/// group on log-log axes with held-out points hollow, the bootstrap band
/// along the curve (the noise of the points), predictions as triangles with
/// their extrapolation intervals (bars; one group: also the band from the
/// data's edge out to them); for a law of several inputs, predicted against
/// observed, each prediction a triangle on y = x with its bootstrap interval
/// shaded. `group_col` names the groups' column in the legend.
pub fn fit_figure(
    law: &Law,
    obs: &Observations,
    fits: &[GroupFit],
    y_name: &str,
    group_col: Option<&str>,
) -> Figure {
    let mut series = Vec::new();
    let mut bands = Vec::new();
    let multi = fits.len() > 1;
    use slaw::numbers::percent;
    if law.inputs.len() == 1 {
        let mut labelled_band = false;
        let mut bar_level = None;
        for (k, g) in fits.iter().enumerate() {
            let label = if multi {
                group_label(group_col, &g.group)
            } else {
                "fitted law".to_string()
            };
            let pts = |idx: &[usize]| {
                idx.iter()
                    .map(|&i| (obs.point(i)[0], obs.y[i]))
                    .collect::<Vec<_>>()
            };
            let fitted_x: Vec<f64> = g
                .train_idx
                .iter()
                .map(|&i| obs.point(i)[0])
                .filter(|&x| x > 0.0)
                .collect();
            let mut xs: Vec<f64> = fitted_x.clone();
            xs.extend(g.held_idx.iter().map(|&i| obs.point(i)[0]));
            xs.extend(g.predictions.iter().map(|p| p.at[0]));
            xs.retain(|&x| x > 0.0 && x.is_finite());
            let lo = xs.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let grid = if lo.is_finite() && hi > lo {
                log_space(lo, hi, 200)
            } else {
                Vec::new()
            };
            if !grid.is_empty() {
                series.push(Series {
                    label: label.clone(),
                    color: k,
                    kind: SeriesKind::Line,
                    points: grid
                        .iter()
                        .map(|&x| (x, law.predict(&[x], &g.fit.params)))
                        .collect(),
                });
            }
            // The bootstrap band along the whole curve.
            if let Some(b) = g.bootstrap.as_ref().filter(|b| !b.draws.is_empty()) {
                let points: Vec<(f64, f64, f64)> = grid
                    .iter()
                    .step_by(4)
                    .chain(grid.last())
                    .filter_map(|&x| b.interval_at(law, &[x]).map(|iv| (x, iv.lo, iv.hi)))
                    .collect();
                bands.push(Band {
                    label: if labelled_band {
                        String::new()
                    } else {
                        format!("{} bootstrap (point noise)", percent(b.level))
                    },
                    color: k,
                    points,
                });
                labelled_band = true;
            }
            // One group: the extrapolation interval from the fitted
            // points' edge out to the farthest prediction on either side.
            let (first, last) = (
                fitted_x.iter().cloned().fold(f64::INFINITY, f64::min),
                fitted_x.iter().cloned().fold(0.0, f64::max),
            );
            let level = g
                .calibration
                .as_ref()
                .or(g.calibration_below.as_ref())
                .map(|c| c.level);
            if !multi {
                let extrapolated: Vec<(f64, f64, f64)> = [
                    (g.calibration_below.as_ref(), lo, first),
                    (g.calibration.as_ref(), last, hi),
                ]
                .into_iter()
                .filter(|(c, a, b)| c.is_some() && b > a)
                .flat_map(|(c, a, b)| {
                    let c = c.expect("filtered");
                    log_space(a, b, 40).into_iter().filter_map(move |x| {
                        let iv = c.interval(x, law.predict(&[x], &g.fit.params))?;
                        Some((x, iv.lo, iv.hi))
                    })
                })
                .collect();
                // Below and above the data: two bands (never one across it).
                let (below, above): (Vec<_>, Vec<_>) =
                    extrapolated.into_iter().partition(|p| p.0 <= first);
                let mut first_band = true;
                for points in [below, above] {
                    if points.len() >= 2 {
                        bands.push(Band {
                            label: if first_band {
                                format!("{} extrapolation interval", percent(level.unwrap_or(0.95)))
                            } else {
                                String::new()
                            },
                            color: 3,
                            points,
                        });
                        first_band = false;
                    }
                }
            }
            series.push(Series {
                label: if multi {
                    String::new()
                } else {
                    "fitted points".into()
                },
                color: k,
                kind: SeriesKind::Points,
                points: pts(&g.train_idx),
            });
            if !g.held_idx.is_empty() {
                series.push(held_out(k, pts(&g.held_idx)));
            }
            let preds: Vec<(f64, f64)> = g.predictions.iter().map(|p| (p.at[0], p.value)).collect();
            if !preds.is_empty() {
                series.push(Series {
                    label: match (multi, preds.len()) {
                        (true, _) => String::new(),
                        (false, 1) => "prediction".into(),
                        (false, _) => "predictions".into(),
                    },
                    color: k,
                    kind: SeriesKind::Marker,
                    points: preds,
                });
            }
            let bars: Vec<(f64, f64)> = g
                .predictions
                .iter()
                .filter_map(|p| p.extrapolation_interval.map(|iv| (p.at[0], iv)))
                .flat_map(|(x, iv)| [(x, iv.lo), (x, iv.hi)])
                .collect();
            if !bars.is_empty() {
                // One group: the band's colour and legend entry say it.
                series.push(Series {
                    label: String::new(),
                    color: if multi { k } else { 3 },
                    kind: SeriesKind::Interval,
                    points: bars,
                });
                bar_level = bar_level.or(level);
            }
        }
        // Several groups: what the marks mean, once, in black after the
        // groups' colours.
        if multi {
            let any = |kind: SeriesKind| {
                series
                    .iter()
                    .any(|s| s.kind == kind && !s.points.is_empty())
            };
            let mut key = Vec::new();
            for (kind, label) in [
                (SeriesKind::Points, "fitted points".to_string()),
                (SeriesKind::Marker, "predictions".to_string()),
            ] {
                if any(kind) {
                    key.push((kind, label));
                }
            }
            if let Some(l) = bar_level {
                key.push((
                    SeriesKind::Interval,
                    format!("{} extrapolation intervals", percent(l)),
                ));
            }
            series.extend(key.into_iter().map(|(kind, label)| Series {
                label,
                color: 6,
                kind,
                points: Vec::new(),
            }));
        }
        let x_name = obs.input_names.first().cloned().unwrap_or_default();
        Figure {
            title: format!("{}: {}", law.name, law.formula),
            x_label: format!("{x_name} (log scale)"),
            y_label: format!("{y_name} (log scale)"),
            series,
            bands,
            vlines: Vec::new(),
        }
    } else {
        let mut all = Vec::new();
        let mut predicted = Vec::new();
        for (k, g) in fits.iter().enumerate() {
            let u = law.to_internal(&g.fit.params);
            let pair = |i: usize| (law.value_internal(obs.point(i), &u), obs.y[i]);
            series.push(Series {
                label: if multi {
                    group_label(group_col, &g.group)
                } else {
                    "fitted points".into()
                },
                color: k,
                kind: SeriesKind::Points,
                points: g.train_idx.iter().map(|&i| pair(i)).collect(),
            });
            if !g.held_idx.is_empty() {
                series.push(held_out(k, g.held_idx.iter().map(|&i| pair(i)).collect()));
            }
            all.extend(g.train_idx.iter().chain(&g.held_idx).map(|&i| obs.y[i]));
            predicted.extend(g.predictions.iter().map(|p| (k, p)));
        }
        let lo = all.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = all.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = predicted.iter().fold((lo, hi), |(lo, hi), (_, p)| {
            let (a, b) = p.interval.map_or((p.value, p.value), |iv| (iv.lo, iv.hi));
            (lo.min(a), hi.max(b))
        });
        series.push(Series {
            label: "y = x".into(),
            color: MUTED,
            kind: SeriesKind::Dashed,
            points: vec![(lo, lo), (hi, hi)],
        });
        // Each prediction: a triangle on y = x (it has no observed loss),
        // named by its inputs when it is the only one, and its bootstrap
        // interval as a shaded strip across the observed range.
        let names = &obs.input_names;
        let at = |p: &slaw::analysis::Prediction| {
            names
                .iter()
                .zip(&p.at)
                .map(|(n, v)| format!("{n}={}", tick_label(*v)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let level = fits
            .iter()
            .find_map(|g| g.bootstrap.as_ref())
            .map(|b| b.level);
        for (i, (k, p)) in predicted.iter().enumerate() {
            series.push(Series {
                label: match (i, predicted.len()) {
                    (0, 1) => "prediction (on y = x)".into(),
                    (0, _) => "predictions (on y = x)".into(),
                    _ => String::new(),
                },
                color: *k,
                kind: SeriesKind::Marker,
                points: vec![(p.value, p.value)],
            });
            if let (Some(iv), Some(level)) = (p.interval, level) {
                bands.push(Band {
                    label: if i == 0 {
                        format!("{} bootstrap (point noise)", percent(level))
                    } else {
                        String::new()
                    },
                    color: *k,
                    points: vec![(iv.lo, lo, hi), (iv.hi, lo, hi)],
                });
            }
        }
        let title = match predicted.as_slice() {
            [(_, p)] => format!(
                "{}: predicted vs observed; prediction at {}",
                law.name,
                at(p)
            ),
            _ => format!("{}: predicted vs observed", law.name),
        };
        Figure {
            title,
            x_label: format!("predicted {y_name} (log scale)"),
            y_label: format!("observed {y_name} (log scale)"),
            series,
            bands,
            vlines: Vec::new(),
        }
    }
}

/// The figure for `slaw select`: each candidate's measured points (affordable
/// ones filled, the others hollow) and the method's curve (the chosen model's
/// solid, the others dashed): for the line methods the AtS line through the
/// sizes it accepted up to the last affordable one, then the method's
/// extrapolation from there to the target (the method predicts from the last
/// affordable size on; its formula says nothing below it); for a fitted law
/// the law over the whole range. The highlighted candidates' predictions at
/// the target are triangles with their intervals as bars, set apart right of
/// the target line in rank order (so that none hides another); the chosen
/// model's phase transition is a dotted line when AtS detected one above the
/// smallest size (the smallest is never part of the line anyway).
pub fn selection_figure(
    pool: &[slaw::datasets::Candidate],
    sel: &slaw::selection::Selection,
) -> Figure {
    use slaw::selection::Detail;
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
    let chosen_rank = sel.chosen().rank;
    let mut color_of = std::collections::HashMap::new();
    let mut next = 0;
    for r in &sel.ranking {
        if r.rank <= HIGHLIGHT || r.rank == chosen_rank {
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
    let (mut kinds, mut any_prediction) = (Vec::new(), false);
    let muted = sel.ranking.len() - color_of.len();
    for r in &sel.ranking {
        let c = &pool[r.index];
        let chosen = r.rank == chosen_rank;
        let color = color_of.get(&r.rank).copied().unwrap_or(MUTED);
        let label = if color == MUTED {
            String::new()
        } else if chosen {
            format!("{}. {} (chosen)", r.rank, c.id)
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
                pts.extend(
                    sel.method
                        .curve(c, b, &r.estimate, &log_space(last, b.target, 80)),
                );
                pts
            }
            _ => sel
                .method
                .curve(c, b, &r.estimate, &log_space(first, b.target, 100)),
        };
        series.push(Series {
            label: label.clone(),
            color,
            kind: if chosen || color == MUTED {
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
                series.push(Series {
                    label: String::new(),
                    color,
                    kind: SeriesKind::Interval,
                    points: vec![(x, iv.lo), (x, iv.hi)],
                });
                kinds.extend(r.estimate.interval_kind.map(|k| k.label()));
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
    if muted > 0 {
        series.push(Series {
            label: format!("{muted} other candidates"),
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
    if let Some(first) = kinds.first() {
        series.push(Series {
            label: if kinds.iter().all(|k| k == first) {
                format!("{first} interval")
            } else {
                "interval at the target".into()
            },
            color: 6,
            kind: SeriesKind::Interval,
            points: Vec::new(),
        });
    }
    Figure {
        title: format!(
            "model selection, {}: budget {} of {} examples",
            sel.method.name(),
            tick_label(b.max_n),
            tick_label(b.target)
        ),
        x_label: "fine-tuning examples (filled: affordable, hollow: not used; predictions set \
                  right of the target)"
            .into(),
        y_label: "loss".into(),
        series,
        bands: Vec::new(),
        vlines,
    }
}

/// Which compute-optimal quantity a figure shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Optimum {
    N,
    D,
}

impl Optimum {
    fn key(self) -> &'static str {
        match self {
            Optimum::N => "nopt",
            Optimum::D => "dopt",
        }
    }
    fn pick(self, nd: (f64, f64)) -> f64 {
        match self {
            Optimum::N => nd.0,
            Optimum::D => nd.1,
        }
    }

    /// A method's fitted N_opt(C) or D_opt(C) line from its curve.
    fn line(self, curve: &[CurvePoint], label: String, color: usize, kind: SeriesKind) -> Series {
        Series {
            label,
            color,
            kind,
            points: curve
                .iter()
                .map(|p| (p.compute, self.pick((p.n_opt, p.d_opt))))
                .collect(),
        }
    }

    /// The band of a method's curve; None without intervals.
    fn band(self, curve: &[CurvePoint], label: String, color: usize) -> Option<Band> {
        let points: Vec<(f64, f64, f64)> = curve
            .iter()
            .filter_map(|p| {
                let iv = match self {
                    Optimum::N => p.n_interval?,
                    Optimum::D => p.d_interval?,
                };
                Some((p.compute, iv.lo, iv.hi))
            })
            .collect();
        (!points.is_empty()).then_some(Band {
            label,
            color,
            points,
        })
    }
}

/// N_opt (or D_opt) against C: the budgets' minima, every method's fitted
/// allocation and its pointwise bootstrap band — each method's `curve`, the
/// numbers its JSON carries.
fn optimum_figure(g: &slaw::allocate::methods::GroupAllocation, which: Optimum) -> Option<Figure> {
    let name = match which {
        Optimum::N => "N_opt",
        Optimum::D => "D_opt",
    };
    let profiles = [("isoflop", &g.isoflop), ("envelope", &g.envelope)];
    let mut series = Vec::new();
    let mut bands = Vec::new();
    for (k, (method, r)) in profiles.into_iter().enumerate() {
        let Some(r) = r else { continue };
        series.push(Series {
            label: format!("{method}: budget minima"),
            color: k,
            kind: SeriesKind::Points,
            points: r
                .budgets
                .iter()
                .filter_map(|b| Some((b.compute, which.pick((b.n_opt?, b.d_opt?)))))
                .collect(),
        });
    }
    for (k, (method, r)) in profiles.into_iter().enumerate() {
        let Some(r) = r else { continue };
        let exponent = match which {
            Optimum::N => r.exponent_n,
            Optimum::D => r.exponent_d,
        };
        series.push(which.line(
            &r.curve,
            format!("{method}: {name} ~ C^{exponent:.3}"),
            k,
            SeriesKind::Line,
        ));
        bands.extend(which.band(
            &r.curve,
            format!("{method}: {} band", slaw::numbers::percent(r.level)),
            k,
        ));
    }
    if let Some(p) = &g.parametric {
        let exponent = match which {
            Optimum::N => p.exponent_n,
            Optimum::D => 1.0 - p.exponent_n,
        };
        series.push(which.line(
            &p.curve,
            format!("parametric: {name} ~ C^{exponent:.3}"),
            2,
            SeriesKind::Dashed,
        ));
        let level = p.bootstrap.as_ref().map_or(0.95, |b| b.level);
        bands.extend(which.band(
            &p.curve,
            format!("parametric: {} band", slaw::numbers::percent(level)),
            2,
        ));
    }
    if series.iter().all(|s| s.points.is_empty()) {
        return None;
    }
    Some(Figure {
        title: match which {
            Optimum::N => "compute-optimal model size".into(),
            Optimum::D => "compute-optimal training tokens".into(),
        },
        x_label: "compute C (FLOPs)".into(),
        y_label: match which {
            Optimum::N => "N_opt (parameters)".into(),
            Optimum::D => "D_opt (tokens)".into(),
        },
        series,
        bands,
        vlines: Vec::new(),
    })
}

/// Whether the last series pushed (a curve) has no points.
fn curve_is_empty(series: &[Series]) -> bool {
    series.last().is_some_and(|s| s.points.is_empty())
}

/// The figures of `slaw allocate --method isoflop|all`: the isoFLOP profiles
/// (each budget's runs, its parabola and minimum) and N_opt against C (the
/// budgets' minima and every method's fitted allocation).
pub fn allocation_figures(g: &slaw::allocate::methods::GroupAllocation) -> Vec<(String, Figure)> {
    let mut out = Vec::new();
    if let Some(r) = &g.isoflop {
        let mut series = Vec::new();
        let mut minima = Vec::new();
        // Budgets coloured on a sequential map by log compute (dark: small);
        // the legend names at most 6 of them, spread over the range.
        let shown: Vec<usize> = (0..r.budgets.len())
            .filter(|&i| r.budgets[i].points.len() >= 3)
            .collect();
        let (c_lo, c_hi) = shown.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &i| {
            let c = r.budgets[i].compute.ln();
            (lo.min(c), hi.max(c))
        });
        let labelled: Vec<usize> = if shown.len() <= 6 {
            shown.clone()
        } else {
            (0..6).map(|k| shown[k * (shown.len() - 1) / 5]).collect()
        };
        let mut doubtful = Vec::new();
        let mut left_out = false;
        for (i, b) in r.budgets.iter().enumerate() {
            if b.points.len() < 3 {
                continue;
            }
            left_out |= b.n_opt.is_none();
            // A parabola through 3 sizes or with its minimum below the runs:
            // dashed, its minimum grey (the text says why).
            let shaky = !b.caveats.iter().all(|c| c.starts_with("no interval"));
            let t = if c_hi > c_lo {
                (b.compute.ln() - c_lo) / (c_hi - c_lo)
            } else {
                0.0
            };
            let color = sequential(t);
            series.push(Series {
                label: if labelled.contains(&i) {
                    format!("C = {:.1e}", b.compute)
                } else {
                    String::new()
                },
                color,
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
                    color,
                    kind: if shaky {
                        SeriesKind::Dashed
                    } else {
                        SeriesKind::Line
                    },
                    points: curve,
                });
                if shaky {
                    doubtful.push((n, l));
                } else {
                    minima.push((n, l));
                }
            }
        }
        series.push(Series {
            label: "minimum per budget".into(),
            color: 1,
            kind: SeriesKind::Marker,
            points: minima,
        });
        if !doubtful.is_empty() {
            series.push(Series {
                label: "doubtful minimum (see text)".into(),
                color: MUTED,
                kind: SeriesKind::Marker,
                points: doubtful,
            });
        }
        if left_out {
            series.push(Series {
                label: "left out (no minimum)".into(),
                color: MUTED,
                kind: SeriesKind::HollowPoints,
                points: Vec::new(),
            });
        }
        out.push((
            "isoflop".to_string(),
            Figure {
                title: format!(
                    "isoFLOP profiles of {} budgets, coloured by compute (dark: smallest; {} \
                     labelled)",
                    shown.len(),
                    labelled.len()
                ),
                x_label: "parameters N".into(),
                y_label: "loss".into(),
                series,
                bands: Vec::new(),
                vlines: Vec::new(),
            },
        ));
    }
    for which in [Optimum::N, Optimum::D] {
        if let Some(fig) = optimum_figure(g, which) {
            out.push((which.key().to_string(), fig));
        }
    }
    if let Some(fig) = contours_figure(g) {
        out.push(("contours".to_string(), fig));
    }
    out
}

/// The parametric law's iso-loss contours in the (compute, model size)
/// plane over the runs, with its efficient frontier N_opt(C) (Hoffmann et
/// al.'s figure 4, left). A contour of loss l is traced along N: the tokens
/// D at which the law reaches l, and C = 6 N D.
fn contours_figure(g: &slaw::allocate::methods::GroupAllocation) -> Option<Figure> {
    let law = &g.parametric.as_ref()?.law;
    // The runs, as (C, N), from the isoFLOP budgets when those ran.
    let runs: Vec<(f64, f64)> = g
        .isoflop
        .iter()
        .chain(g.envelope.iter())
        .take(1)
        .flat_map(|r| {
            r.budgets
                .iter()
                .flat_map(|b| b.points.iter().map(move |p| (b.compute, p.0)))
        })
        .collect();
    // Over the runs (or the law's fitted range), widened to the asked
    // budgets: the contours reach every budget of the table.
    let par = g.parametric.as_ref()?;
    let asked = par.rows.iter().map(|a| a.compute);
    let (lo, hi) = if !runs.is_empty() {
        let lo = runs.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let hi = runs.iter().map(|p| p.0).fold(0.0, f64::max);
        (lo, hi)
    } else {
        par.compute_range.unwrap_or((f64::INFINITY, 0.0))
    };
    let lo = asked.clone().fold(lo, f64::min);
    let hi = asked.fold(hi, f64::max);
    let (c_lo, c_hi) = (lo / 3.0, hi * 3.0);
    if !(c_lo > 0.0 && c_hi > c_lo && c_hi.is_finite()) {
        return None;
    }
    let (n_lo, n_hi) = (law.optimum(c_lo).0 / 30.0, law.optimum(c_hi).0 * 30.0);
    let mut series = Vec::new();
    // Six levels: the law's optimal loss at budgets spread over the range,
    // so each contour touches the frontier inside the plot.
    let levels: Vec<f64> = log_space(c_lo * 1.5, c_hi / 1.5, 6)
        .into_iter()
        .map(|c| law.optimum(c).2)
        .collect();
    for (k, &l) in levels.iter().enumerate() {
        let pts: Vec<(f64, f64)> = log_space(n_lo, n_hi, 240)
            .into_iter()
            .filter_map(|n| {
                let c = 6.0 * n * law.tokens_at_loss(n, l)?;
                (c.is_finite() && c >= c_lo && c <= c_hi).then_some((c, n))
            })
            .collect();
        if pts.len() >= 2 {
            series.push(Series {
                label: format!("loss {:.3}", l),
                color: sequential(1.0 - k as f64 / (levels.len() - 1).max(1) as f64),
                kind: SeriesKind::Line,
                points: pts,
            });
        }
    }
    series.push(Series {
        label: format!("N_opt ~ C^{:.3} (parametric)", law.exponent_n()),
        color: 1,
        kind: SeriesKind::Dashed,
        points: log_space(c_lo, c_hi, 40)
            .into_iter()
            .map(|c| (c, law.optimum(c).0))
            .collect(),
    });
    if !runs.is_empty() {
        series.push(Series {
            label: "runs".into(),
            color: MUTED,
            kind: SeriesKind::Points,
            points: runs,
        });
    }
    Some(Figure {
        title: "parametric law: iso-loss contours and the efficient frontier".into(),
        x_label: "compute C (FLOPs)".into(),
        y_label: "parameters N".into(),
        series,
        bands: Vec::new(),
        // The asked budgets (dotted), labelled once.
        vlines: par
            .rows
            .iter()
            .enumerate()
            .map(|(k, r)| VLine {
                x: r.compute,
                label: if k == 0 {
                    "asked budget".into()
                } else {
                    String::new()
                },
                mark: Mark::Event,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_sequential_map_is_ordered_readable_and_solid() {
        let lum = |c: RGBColor| 0.2126 * c.0 as f64 + 0.7152 * c.1 as f64 + 0.0722 * c.2 as f64;
        let steps: Vec<f64> = (0..=10)
            .map(|k| lum(palette(sequential(k as f64 / 10.0))))
            .collect();
        // Darker for small values, lighter for large, and never near white.
        assert!(steps.windows(2).all(|w| w[1] > w[0]), "{steps:?}");
        assert!(steps[10] < 200.0, "{steps:?}");
        assert_eq!(sequential(f64::NAN), sequential(0.0));
        let s = Series {
            label: String::new(),
            color: sequential(0.5),
            kind: SeriesKind::Line,
            points: vec![],
        };
        assert_eq!(line_kind(&s), SeriesKind::Line);
    }

    type Texts = Vec<(f64, f64, String)>;

    /// (x, y, text) of the SVG's text elements and (cx, cy) of its circles.
    fn parse_svg(svg: &str) -> (Texts, Vec<(f64, f64)>) {
        let attr = |tag: &str, name: &str| -> f64 {
            let key = format!(" {name}=\"");
            let i = tag.find(&key).map(|i| i + key.len()).unwrap_or(0);
            tag[i..]
                .split('"')
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN)
        };
        let mut texts = Vec::new();
        for part in svg.split("<text").skip(1) {
            let (tag, rest) = part.split_once('>').unwrap();
            let body = rest.split("</text>").next().unwrap().trim().to_string();
            texts.push((attr(tag, "x"), attr(tag, "y"), body));
        }
        let circles = svg
            .split("<circle")
            .skip(1)
            .map(|p| {
                let tag = p.split('>').next().unwrap();
                (attr(tag, "cx"), attr(tag, "cy"))
            })
            .collect();
        (texts, circles)
    }

    fn many_series_figure() -> Figure {
        let mut series = Vec::new();
        for k in 0..14 {
            let pts: Vec<(f64, f64)> = (0..12)
                .map(|i| {
                    let x = 100.0 * 2f64.powi(i);
                    (x, 2.0 + 0.06 * k as f64 + 0.6 * x.powf(-0.3))
                })
                .collect();
            series.push(Series {
                label: format!("model-{k} with a rather long name, longer than the legend"),
                color: if k < 6 { k } else { MUTED },
                kind: SeriesKind::Points,
                points: pts,
            });
        }
        Figure {
            title: "test".into(),
            x_label: "x".into(),
            y_label: "loss".into(),
            series,
            bands: vec![Band {
                label: "90% interval".into(),
                color: 0,
                points: (0..12)
                    .map(|i| (100.0 * 2f64.powi(i), 2.0, 2.1 + 0.01 * i as f64))
                    .collect(),
            }],
            vlines: vec![
                VLine::new(2e4, "budget", Mark::Budget),
                VLine::new(2e5, "target", Mark::Target),
            ],
        }
    }

    /// The figure's structure: numbers on both axes at the data's range
    /// (the loss lies inside one decade), the legend right of every data
    /// point, the band drawn.
    #[test]
    fn figures_have_ticks_an_outside_legend_and_bands() {
        let fig = many_series_figure();
        let svg = to_svg(&fig).unwrap();
        let (texts, circles) = parse_svg(&svg);
        let legend_x = (SIZE.0 - LEGEND_W) as f64;
        let numbers: Vec<(f64, f64, f64)> = texts
            .iter()
            .filter_map(|(x, y, t)| {
                let v = t.parse::<f64>().ok()?;
                Some((*x, *y, v))
            })
            .collect();
        let y_ticks: Vec<f64> = numbers.iter().filter(|n| n.0 < 90.0).map(|n| n.2).collect();
        let x_ticks: Vec<f64> = numbers
            .iter()
            .filter(|n| n.0 >= 90.0 && n.0 < legend_x && n.1 > (SIZE.1 as f64) - 110.0)
            .map(|n| n.2)
            .collect();
        assert!(y_ticks.len() >= 3, "y ticks {y_ticks:?} in {texts:?}");
        assert!(
            y_ticks.iter().all(|&v| (1.9..=3.0).contains(&v)),
            "{y_ticks:?}"
        );
        assert!(x_ticks.len() >= 3, "x ticks {x_ticks:?}");
        // The legend: every label right of the plot, every data point left of it.
        let legend: Vec<&(f64, f64, String)> = texts
            .iter()
            .filter(|t| t.2.starts_with("model-") || t.2 == "budget")
            .collect();
        assert!(!legend.is_empty());
        assert!(legend.iter().all(|t| t.0 > legend_x), "{legend:?}");
        let data: Vec<&(f64, f64)> = circles.iter().filter(|c| c.0 < legend_x).collect();
        assert!(data.len() >= 14 * 12, "{}", data.len());
        let max_data_x = data.iter().map(|c| c.0).fold(0.0, f64::max);
        assert!(max_data_x < legend_x - 20.0, "{max_data_x}");
        // Muted series share one look and the legend says how many are left out
        // when they do not fit; the band is a filled polygon.
        assert!(svg.contains("<polygon"), "no band");
        assert!(
            texts.iter().any(|t| t.2.contains('…')),
            "long labels are shortened"
        );
    }

    #[test]
    fn figures_render_to_png_and_refuse_other_formats() {
        let dir = std::env::temp_dir().join(format!("slaw-plot-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let demo = crate::demo::run_demo(1).unwrap();
        for (name, fig) in [
            ("many", many_series_figure()),
            ("select", selection_figure(&demo.pool, &demo.selection)),
        ] {
            let p = dir.join(format!("{name}.png"));
            save(&fig, &p).unwrap();
            let bytes = std::fs::read(&p).unwrap();
            assert_eq!(&bytes[1..4], b"PNG");
            assert!(bytes.len() > 20_000, "{name}: {} bytes", bytes.len());
            let p = dir.join(format!("{name}.pdf"));
            save(&fig, &p).unwrap();
            let content = pdf_content(&std::fs::read(&p).unwrap());
            assert!(content.contains(&format!("({}) Tj", fig.y_label)), "{name}");
            let svg = to_svg(&fig).unwrap();
            let (texts, _) = parse_svg(&svg);
            assert!(texts.iter().filter(|t| t.2.parse::<f64>().is_ok()).count() >= 6);
        }
        let sel = selection_figure(&demo.pool, &demo.selection);
        let legend: Vec<&str> = sel
            .series
            .iter()
            .map(|s| s.label.as_str())
            .filter(|l| !l.is_empty())
            .collect();
        assert!(legend.iter().any(|l| l.ends_with("(chosen)")), "{legend:?}");
        assert_eq!(
            sel.vlines
                .iter()
                .map(|v| v.mark)
                .filter(|m| *m == Mark::Target)
                .count(),
            1
        );
        let err = check_path(&dir.join("x.eps")).unwrap_err();
        assert!(err.to_string().contains(".svg, .png or .pdf"), "{err}");
        assert!(check_path(&dir.join("x.PDF")).is_ok());
        std::fs::remove_dir_all(&dir).ok();
    }

    /// A power law's points, fitted with a bootstrap and predictions
    /// above and below the data (groups: one law per value of `groups`).
    fn power_fit(groups: usize, predict: &[f64]) -> (Law, Observations, Vec<GroupFit>) {
        let law = slaw::law::catalog::by_name("power").unwrap();
        let (mut xs, mut y, mut g) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..groups {
            for i in 0..12 {
                let x = 1e3 * 2f64.powi(i);
                let wiggle = 1.0 + 0.01 * [1.0, -1.0, 0.5, -0.5][i as usize % 4];
                xs.push(x);
                y.push(law.predict(&[x], &[5.0 + k as f64, 0.3, 1.5]) * wiggle);
                g.push(k as u32);
            }
        }
        let mut obs = Observations::from_columns(&["x"], &[xs], y);
        obs.group = g;
        obs.group_names = (0..groups)
            .map(|k| format!("{}.0", 1e8 * (k + 1) as f64))
            .collect();
        let job = slaw::analysis::FitJob {
            law: law.clone(),
            opts: slaw::fit::FitOptions::default(),
            holdout: slaw::observations::Holdout::None,
            bootstrap: 60,
            seed: 1,
            level: Some(0.95),
            predict: predict.iter().map(|&x| vec![x]).collect(),
        };
        let fits = slaw::analysis::run(&job, &obs, &|| {}).unwrap();
        (law, obs, fits)
    }

    fn legend(fig: &Figure) -> Vec<String> {
        legend_entries(fig).into_iter().map(|e| e.1).collect()
    }

    /// `slaw fit --plot` draws what the text reports: the bootstrap band
    /// along the curve, the extrapolation interval out to the predictions
    /// (a band from the data's edge and a bar at each), legend entries for
    /// the points and the predictions, and says its axes are logarithmic.
    #[test]
    fn the_fit_figure_draws_its_intervals_and_names_every_mark() {
        let (law, obs, fits) = power_fit(1, &[100.0, 1e7]);
        let fig = fit_figure(&law, &obs, &fits, "loss", None);
        let names = legend(&fig);
        for want in [
            "95% bootstrap (point noise)",
            "95% extrapolation interval",
            "fitted law",
            "fitted points",
            "predictions",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
        }
        assert_eq!(fig.x_label, "x (log scale)");
        assert_eq!(fig.y_label, "loss (log scale)");
        // The bootstrap band spans the curve, from the lower prediction to
        // the upper, and holds the fitted law.
        let boot = &fig.bands[0];
        assert!((boot.points.first().unwrap().0 / 100.0 - 1.0).abs() < 1e-9);
        assert!((boot.points.last().unwrap().0 / 1e7 - 1.0).abs() < 1e-9);
        for &(x, lo, hi) in &boot.points {
            let v = law.predict(&[x], &fits[0].fit.params);
            assert!(lo <= v && v <= hi, "{x}: {v} not in [{lo}, {hi}]");
        }
        // Two extrapolation bands, below and above the data, one legend entry.
        let extra: Vec<&Band> = fig.bands.iter().filter(|b| b.color == 3).collect();
        assert_eq!(extra.len(), 2);
        assert!(extra[0].points.iter().all(|p| p.0 <= 1e3));
        assert!(extra[1].points.iter().all(|p| p.0 >= 1e3 * 2f64.powi(11)));
        // The bars are the predictions' extrapolation intervals.
        let bars = fig
            .series
            .iter()
            .find(|s| s.kind == SeriesKind::Interval)
            .unwrap();
        let want: Vec<(f64, f64)> = fits[0]
            .predictions
            .iter()
            .flat_map(|p| {
                let iv = p.extrapolation_interval.unwrap();
                [(p.at[0], iv.lo), (p.at[0], iv.hi)]
            })
            .collect();
        assert_eq!(bars.points, want);
        let svg = to_svg(&fig).unwrap();
        assert!(svg.matches("<polygon").count() >= 3, "three bands");
        assert!(svg.contains("95% extrapolation interval"));
    }

    /// Groups are named by their column in the legend ("model_size = 1e8",
    /// not "100000000.0"); the marks' meaning is said once.
    #[test]
    fn the_group_legend_names_the_column() {
        assert_eq!(
            group_label(Some("model_size"), "100000000.0"),
            "model_size = 1e8"
        );
        assert_eq!(group_label(Some("task"), "en-de"), "task = en-de");
        assert_eq!(group_label(None, "300000000.0"), "3e8");
        let (law, obs, fits) = power_fit(2, &[1e7]);
        let fig = fit_figure(&law, &obs, &fits, "loss", Some("model_size"));
        let names = legend(&fig);
        assert!(names.contains(&"model_size = 1e8".to_string()), "{names:?}");
        assert!(names.contains(&"model_size = 2e8".to_string()), "{names:?}");
        let key = &names[names.len() - 3..];
        assert_eq!(
            key,
            [
                "fitted points",
                "predictions",
                "95% extrapolation intervals"
            ],
            "{names:?}"
        );
    }

    /// A law of several inputs: its predictions appear on the predicted-vs-
    /// observed figure, on y = x, with their bootstrap interval shaded.
    #[test]
    fn the_predicted_vs_observed_figure_shows_the_predictions() {
        let law = slaw::law::catalog::by_name("chinchilla").unwrap();
        let truth = [406.4, 410.7, 0.34, 0.28, 1.69];
        let names = law.param_names_owned();
        let truth: Vec<f64> = names
            .iter()
            .map(|n| match n.as_str() {
                "A" => truth[0],
                "B" => truth[1],
                "alpha" => truth[2],
                "beta" => truth[3],
                _ => truth[4],
            })
            .collect();
        let (mut n, mut d, mut y) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..6 {
            for j in 0..6 {
                let (a, b) = (1e7 * 3f64.powi(i), 1e9 * 3f64.powi(j));
                n.push(a);
                d.push(b);
                y.push(law.predict(&[a, b], &truth) * (1.0 + 0.005 * ((i * 7 + j * 3) % 5) as f64));
            }
        }
        let obs = Observations::from_columns(&["N", "D"], &[n, d], y);
        let job = slaw::analysis::FitJob {
            law: law.clone(),
            opts: slaw::fit::FitOptions::default(),
            holdout: slaw::observations::Holdout::None,
            bootstrap: 40,
            seed: 1,
            level: Some(0.9),
            predict: vec![vec![7e10, 1.4e12]],
        };
        let fits = slaw::analysis::run(&job, &obs, &|| {}).unwrap();
        let fig = fit_figure(&law, &obs, &fits, "loss", None);
        let p = &fits[0].predictions[0];
        let marker = fig
            .series
            .iter()
            .find(|s| s.kind == SeriesKind::Marker)
            .unwrap();
        assert_eq!(marker.points, vec![(p.value, p.value)]);
        assert!(fig.title.contains("N=7e10, D=1.4e12"), "{}", fig.title);
        let iv = p.interval.unwrap();
        assert_eq!(fig.bands.len(), 1);
        assert_eq!(fig.bands[0].points[0].0, iv.lo);
        assert_eq!(fig.bands[0].points[1].0, iv.hi);
        assert!(legend(&fig).contains(&"90% bootstrap (point noise)".to_string()));
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
            .filter(|s| s.kind == SeriesKind::Interval && !s.points.is_empty())
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

    /// A legend label is shortened until it fits the legend column (a
    /// label of wide letters loses more than 32 characters' worth).
    #[test]
    fn legend_labels_fit_their_column() {
        let mut fig = many_series_figure();
        fig.series[0].label = "W".repeat(40);
        let svg = to_svg(&fig).unwrap();
        let (texts, _) = parse_svg(&svg);
        let w = texts.iter().find(|t| t.2.starts_with('W')).unwrap();
        assert!(w.2.contains('…'), "{}", w.2);
        assert!(w.2.chars().count() < 24, "{}", w.2);
    }

    /// The page's content stream of a PDF, after checking the file's
    /// structure: header, a cross-reference table whose every entry points
    /// at its object, a trailer naming the catalog, one page.
    pub(crate) fn pdf_content(bytes: &[u8]) -> String {
        // Offsets are in bytes: text bytes past ASCII read as '?'.
        let text: String = bytes
            .iter()
            .map(|&b| if b.is_ascii() { b as char } else { '?' })
            .collect();
        assert!(text.starts_with("%PDF-1."), "header");
        assert!(text.trim_end().ends_with("%%EOF"), "end marker");
        let start: usize = text
            .rsplit("startxref")
            .next()
            .and_then(|t| t.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref offset");
        assert!(text[start..].starts_with("xref"), "xref at {start}");
        let mut lines = text[start..].lines().skip(1);
        let count: usize = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .expect("xref subsection");
        let entries: Vec<&str> = lines.take(count).collect();
        assert!(count >= 6, "{count} objects");
        for (id, e) in entries.iter().enumerate().skip(1) {
            let offset: usize = e[..10].parse().unwrap();
            assert!(e.contains(" n"), "entry {id}: {e}");
            assert!(
                text[offset..].starts_with(&format!("{id} 0 obj")),
                "object {id} at {offset}"
            );
        }
        let trailer = &text[start..];
        assert!(trailer.contains("trailer") && trailer.contains("/Root 1 0 R"));
        assert!(text.contains("/Type /Pages") && text.contains("/Count 1"));
        assert_eq!(text.matches("/Type /Page\n").count(), 1, "one page");
        assert!(text.contains("/BaseFont /Helvetica") && text.contains("/WinAnsiEncoding"));
        // The content is the one stream whose object the page names.
        let s = text.find("stream\n").expect("a stream") + "stream\n".len();
        let e = s + text[s..].find("\nendstream").expect("end of stream");
        text[s..e].to_string()
    }

    #[test]
    fn figures_render_to_pdf_with_ticks_labels_and_bands() {
        let fig = many_series_figure();
        let bytes = to_pdf(&fig).unwrap();
        let content = pdf_content(&bytes);
        // Every tick label of both axes is shown.
        let ((x0, x1), (y0, y1)) = bounds(&fig).unwrap();
        for (lo, hi) in [(x0, x1), (y0, y1)] {
            let ticks = log_ticks(lo, hi);
            assert!(ticks.len() >= 3);
            let sci = scientific_from(&ticks);
            for t in ticks {
                let label = format!("({}) Tj", tick_label_on(t, sci));
                assert!(content.contains(&label), "{label} missing");
            }
        }
        // Lines, curves (the circles), fills and text.
        for op in [
            " m\n", " l\n", " c\n", "\nS\n", "\nf\n", "BT\n", " Tm\n", " Tf\n",
        ] {
            assert!(content.contains(op), "no {op:?}");
        }
        // The y label is rotated a quarter turn (reading upwards), the x label not.
        let y_label = content
            .split("BT\n")
            .find(|t| t.contains("(loss) Tj"))
            .unwrap();
        assert!(y_label.contains("0 1 -1 0 "), "{y_label}");
        let x_label = content
            .split("BT\n")
            .find(|t| t.contains("(x) Tj"))
            .unwrap();
        assert!(x_label.contains("1 0 0 1 "), "{x_label}");
        // The band: its colour at alpha 0.2 through an ExtGState, then a fill.
        let c = palette(0);
        let rg = format!(
            "{} {} {} rg",
            c.0 as f32 / 255.0,
            c.1 as f32 / 255.0,
            c.2 as f32 / 255.0
        );
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("/ca 0.2"), "no band alpha");
        let band = content.find(&rg).expect("band colour");
        assert!(content[band..].find("\nf\n").is_some());
        assert!(content[..band].contains(" gs\n"));
        // Long legend labels are shortened with an ellipsis, WinAnsi's 0x85
        // (text past ASCII is written as a hex string).
        let short = shorten(&fig.series[0].label, 32);
        let hex: String = pdf::encode(&short)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        assert!(hex.contains("85"), "{short}");
        assert!(content.contains(&format!("<{hex}> Tj")), "{short}");
        // Legend text right of the plot: its x in the text matrix.
        let legend_x = (SIZE.0 - LEGEND_W) as f32 * pdf::PT_PER_PX;
        let legend = content
            .split("BT\n")
            .find(|t| t.contains("(budget) Tj"))
            .unwrap();
        let x: f32 = legend
            .lines()
            .find(|l| l.ends_with(" Tm"))
            .and_then(|l| l.split_whitespace().nth(4))
            .and_then(|v| v.parse().ok())
            .unwrap();
        assert!(x > legend_x, "{x} <= {legend_x}");
    }
}
