//! Rendering: a figure drawn with plotters to SVG or PNG (with the embedded
//! font) or PDF (through [`super::pdf`]), written to a file or returned.

use super::axes::{bounds, log_ticks, minor_ticks, scientific_from, tick_label_on};
use super::legend::{draw_legend, legend_entries, vline_style};
use super::palette::{faded, line_kind};
use super::{palette, pdf, Figure, Mark, Series, SeriesKind, MUTED};
use plotters::coord::Shift;
use plotters::prelude::*;
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
/// Every axis is logarithmic: its label says so, once (a label that
/// already says "log scale" is kept as written).
fn log_axis_label(label: &str) -> String {
    if label.contains("log scale") {
        label.to_string()
    } else {
        format!("{label} (log scale)")
    }
}

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
            draw(
                BitMapBackend::new(path, SIZE).into_drawing_area(),
                &raster_text(fig),
            )
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
    // A zoom: the plot split, the zoomed x range on the right on a linear
    // x axis; the title over both.
    let zoom = fig
        .zoom
        .filter(|&(a, b)| a > 0.0 && b > a && b.is_finite())
        .and_then(|(a, b)| Some(((a, b), zoom_y(fig, (a, b))?)));
    let (title, title_size) = fitted_title(&plot_area, &fig.title);
    let (main_area, zoom_area, caption) = match zoom {
        Some(_) => {
            let rest = plot_area
                .margin(10, 0, 0, 0)
                .titled(&title, ("sans-serif", title_size))
                .map_err(e)?;
            let w = rest.dim_in_pixel().0;
            let (a, b) = rest.split_horizontally(w * 56 / 100);
            (a, Some(b), None)
        }
        None => (plot_area, None, Some((title, title_size))),
    };
    let (xt, yt) = (log_ticks(x0, x1), log_ticks(y0, y1));
    let (xm, ym) = (minor_ticks(x0, x1, &xt), minor_ticks(y0, y1, &yt));
    let (x_sci, y_sci) = (scientific_from(&xt), scientific_from(&yt));
    let mut builder = ChartBuilder::on(&main_area);
    if let Some((title, size)) = &caption {
        builder.caption(title, ("sans-serif", *size));
    }
    let mut chart = builder
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
        .x_desc(log_axis_label(&fig.x_label))
        .y_desc(log_axis_label(&fig.y_label))
        .x_label_formatter(&|v| tick_label_on(*v, x_sci))
        .y_label_formatter(&|v| tick_label_on(*v, y_sci))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.05))
        .draw()
        .map_err(e)?;
    // The zoomed range, lightly shaded on the main plot.
    if let Some(((a, b), _)) = zoom {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(a.max(x0), y0), (b.min(x1), y1)],
                BLACK.mix(0.06).filled(),
            )))
            .map_err(e)?;
    }
    draw_content(&mut chart, fig, (x0, x1), (y0, y1))?;
    if let (Some(area), Some(((a, b), (zy0, zy1)))) = (zoom_area, zoom) {
        let xt = super::axes::linear_ticks(a, b, 4);
        let yt = log_ticks(zy0, zy1);
        let ym = minor_ticks(zy0, zy1, &yt);
        let y_sci = scientific_from(&yt);
        let x_sci = scientific_from(&xt);
        let mut z = ChartBuilder::on(&area)
            .margin(14)
            .x_label_area_size(52)
            .y_label_area_size(56)
            .build_cartesian_2d(
                a..b,
                (zy0..zy1)
                    .log_scale()
                    .with_key_points(yt)
                    .with_light_points(ym),
            )
            .map_err(e)?;
        z.configure_mesh()
            .x_labels(5)
            .x_desc(format!(
                "{}, linear scale (zoom)",
                fig.x_label
                    .replace(" (log scale)", "")
                    .replace(", log scale", "")
            ))
            .x_label_formatter(&|v| tick_label_on(*v, x_sci))
            .y_label_formatter(&|v| tick_label_on(*v, y_sci))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 15))
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.05))
            .draw()
            .map_err(e)?;
        draw_content(&mut z, fig, (a, b), (zy0, zy1))?;
    }
    if !entries.is_empty() {
        draw_legend(&legend_area, &entries).map_err(e)?;
    }
    root.present().map_err(e)?;
    Ok(())
}

/// The y range of a zoom on x in [a, b]: the points, bands and interval
/// ends there (open lower ends left out), padded as the main plot.
fn zoom_y(fig: &Figure, (a, b): (f64, f64)) -> Option<(f64, f64)> {
    let mut zoomed = fig.clone();
    let inside = |x: f64| x >= a && x <= b;
    for s in &mut zoomed.series {
        if matches!(s.kind, SeriesKind::Interval | SeriesKind::OpenInterval) {
            let pairs: Vec<(f64, f64)> = s
                .points
                .chunks_exact(2)
                .filter(|p| inside(p[0].0))
                .flat_map(|p| [p[0], p[1]])
                .collect();
            s.points = pairs;
        } else {
            s.points.retain(|p| inside(p.0));
        }
    }
    for band in &mut zoomed.bands {
        band.points.retain(|p| inside(p.0));
    }
    zoomed.vlines.clear();
    bounds(&zoomed).map(|(_, y)| y)
}

/// The bands, vertical lines and series of `fig` on a chart over x in
/// [x0, x1] and y in [y0, y1]: what lies outside the x range is left out
/// (a zoom), an open interval's lower end below the plot drawn to its
/// bottom.
fn draw_content<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    fig: &Figure,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> std::result::Result<(), String>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let in_x = |x: f64| x >= x0 * (1.0 - 1e-12) && x <= x1 * (1.0 + 1e-12);
    for b in &fig.bands {
        let pts: Vec<(f64, f64, f64)> = b
            .points
            .iter()
            .copied()
            .filter(|&(x, lo, hi)| x > 0.0 && lo > 0.0 && hi >= lo && hi.is_finite() && in_x(x))
            .collect();
        if pts.len() < 2 {
            continue;
        }
        let mut poly: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.2.min(y1))).collect();
        poly.extend(pts.iter().rev().map(|p| (p.0, p.1.max(y0))));
        chart
            .draw_series(std::iter::once(Polygon::new(
                poly,
                palette(b.color).mix(0.2).filled(),
            )))
            .map_err(e)?;
    }
    for v in fig.vlines.iter().filter(|v| in_x(v.x)) {
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
            .filter(|&(x, y)| x > 0.0 && y > 0.0 && x.is_finite() && y.is_finite() && in_x(x))
            .collect();
        // Interval pairs (x, lo), (x, hi) inside the x range.
        let pairs = || {
            s.points.chunks_exact(2).filter(|p| {
                let ((x, lo), (x2, hi)) = (p[0], p[1]);
                x == x2 && x > 0.0 && lo > 0.0 && hi >= lo && hi.is_finite() && in_x(x)
            })
        };
        match line_kind(s) {
            SeriesKind::Line => chart
                .draw_series(LineSeries::new(pts, c.stroke_width(w)))
                .map(|_| ()),
            SeriesKind::Dashed => chart
                .draw_series(DashedLineSeries::new(pts, 6, 4, c.stroke_width(w)))
                .map(|_| ()),
            SeriesKind::Dotted => chart
                .draw_series(DashedLineSeries::new(pts, 2, 4, faded(c).stroke_width(w)))
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
            SeriesKind::Cross => chart
                .draw_series(pts.into_iter().map(|p| Cross::new(p, 7, c.stroke_width(2))))
                .map(|_| ()),
            SeriesKind::Interval => {
                // One bar per pair (x, lo), (x, hi), with caps 5 px either
                // side, drawn in pixels from the lower end.
                let style = c.stroke_width(2);
                let bars: Vec<_> = pairs()
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
            SeriesKind::OpenInterval => {
                // The upper end capped; the lower end (at most the plot's
                // bottom) an arrowhead pointing down, no cap: open below.
                let style = c.stroke_width(2);
                let bars: Vec<_> = pairs()
                    .map(|p| {
                        let low = (p[0].0, p[0].1.max(y0));
                        let dy = chart.backend_coord(&p[1]).1 - chart.backend_coord(&low).1;
                        EmptyElement::at(low)
                            + PathElement::new(vec![(0, 0), (0, dy)], style)
                            + PathElement::new(vec![(-5, dy), (5, dy)], style)
                            + PathElement::new(vec![(-5, -8), (0, 0), (5, -8)], style)
                    })
                    .collect();
                chart.draw_series(bars).map(|_| ())
            }
        }
        .map_err(e)?;
    }
    Ok(())
}

/// The largest and smallest title sizes, in pixels.
const TITLE_SIZE: (u32, u32) = (20, 12);
/// The plot's margin on each side (the title's too), in pixels.
const MARGIN: u32 = 14;

/// The title and its font size: 20 px, or smaller (down to 12) so that it
/// fits the plot's width as the backend's font measures it (the raster
/// font's width, not an estimate); a title too long even at 12 px is cut
/// in the middle.
fn fitted_title<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, title: &str) -> (String, u32) {
    let avail = area.dim_in_pixel().0.saturating_sub(2 * MARGIN);
    let width = |t: &str, size: u32| {
        area.estimate_text_size(t, &TextStyle::from(("sans-serif", size).into_font()))
            .map_or(0, |(w, _)| w)
    };
    for size in (TITLE_SIZE.1..=TITLE_SIZE.0).rev() {
        if width(title, size) <= avail {
            return (title.to_string(), size);
        }
    }
    let mut max = title.chars().count();
    while max > 8 {
        max -= 1;
        let t = super::legend::shorten(title, max);
        if width(&t, TITLE_SIZE.1) <= avail {
            return (t, TITLE_SIZE.1);
        }
    }
    (super::legend::shorten(title, 8), TITLE_SIZE.1)
}

/// Whether the embedded font (DejaVu Sans) has a glyph for `c`.
fn has_glyph(c: char) -> bool {
    use ab_glyph::Font;
    static FONT: std::sync::OnceLock<Option<ab_glyph::FontRef<'static>>> =
        std::sync::OnceLock::new();
    FONT.get_or_init(|| ab_glyph::FontRef::try_from_slice(dejavu::sans::regular()).ok())
        .as_ref()
        .is_none_or(|f| c.is_whitespace() || f.glyph_id(c).0 != 0)
}

/// `text` with every character the embedded font lacks (CJK, most emoji)
/// as "?", as the PDF writes it: a PNG is drawn with that font alone (no
/// system font is read), where a missing glyph would be an empty box. SVG
/// keeps the text, for the viewer's fonts.
pub(super) fn raster_safe(text: &str) -> String {
    text.chars()
        .map(|c| if has_glyph(c) { c } else { '?' })
        .collect()
}

/// The figure with its every text [`raster_safe`].
fn raster_text(fig: &Figure) -> Figure {
    let mut f = fig.clone();
    f.title = raster_safe(&f.title);
    f.x_label = raster_safe(&f.x_label);
    f.y_label = raster_safe(&f.y_label);
    for s in &mut f.series {
        s.label = raster_safe(&s.label);
    }
    for b in &mut f.bands {
        b.label = raster_safe(&b.label);
    }
    for v in &mut f.vlines {
        v.label = raster_safe(&v.label);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A title wider than the plot at 20 px is drawn smaller, so that it
    /// fits as the embedded font measures it (the PNG's font); a short one
    /// keeps 20 px.
    #[test]
    fn long_titles_shrink_to_fit_the_plot() {
        let mut fig = many_series_figure();
        fig.title = "what-if schedules: tissue law fitted on 3 runs; every schedule \
                     peak=3e-4,final=3e-5,warmup=2160"
            .into();
        let svg = to_svg(&fig).unwrap();
        // 20 px is written as font-size 20 / 1.24 (plotters' SVG em).
        let size = title_size(&svg, "what-if schedules");
        assert!(
            (12.0 / 1.24 - 0.01..20.0 / 1.24 - 0.01).contains(&size),
            "{size}"
        );
        // Measured with the raster font, the title fits the plot's width.
        let mut out = String::new();
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        let (plot, _) = root.split_horizontally(SIZE.0 - LEGEND_W);
        let (t, px) = fitted_title(&plot, &fig.title);
        assert_eq!(t, fig.title);
        let w = plot
            .estimate_text_size(&t, &TextStyle::from(("sans-serif", px).into_font()))
            .unwrap()
            .0;
        assert!(w <= SIZE.0 - LEGEND_W - 2 * MARGIN, "{w}");
        fig.title = "a short title".into();
        let svg = to_svg(&fig).unwrap();
        assert!((title_size(&svg, "a short title") - 20.0 / 1.24).abs() < 1e-9);
    }

    /// A figure with a zoom draws the zoomed x range again, right of the
    /// plot, on a linear axis said in its label, and shades that range on
    /// the main plot; one without draws neither.
    #[test]
    fn a_zoom_draws_a_linear_panel() {
        let mut fig = many_series_figure();
        assert!(!to_svg(&fig).unwrap().contains("linear scale (zoom)"));
        fig.zoom = Some((5e4, 2.1e5));
        let svg = to_svg(&fig).unwrap();
        let (texts, _) = parse_svg(&svg);
        assert!(
            texts.iter().any(|t| t.2 == "x, linear scale (zoom)"),
            "{texts:?}"
        );
        // Its x ticks are plain numbers inside the zoom, right of the
        // main plot's.
        let zoom_label = texts.iter().find(|t| t.2.contains("(zoom)")).unwrap();
        let main_label = texts.iter().find(|t| t.2 == "x (log scale)").unwrap();
        assert!(zoom_label.0 > main_label.0 + 200.0);
        assert!(svg.contains("opacity=\"0.06\""), "the zoomed range shaded");
    }

    /// The font size of the SVG <text> element holding `text`.
    fn title_size(svg: &str, text: &str) -> f64 {
        let at = svg.find(text).expect("the title is drawn");
        let open = svg[..at].rfind("<text").unwrap();
        svg[open..at]
            .split("font-size=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|v| v.parse().ok())
            .expect("a font size")
    }

    /// A PNG's text has "?" where the embedded font has no glyph (CJK), not
    /// an empty box; the characters it has (ü, —) stay.
    #[test]
    fn png_text_replaces_the_glyphs_the_font_lacks() {
        assert_eq!(
            raster_safe("LaMini, 124M — 大模型 ü"),
            "LaMini, 124M — ??? ü"
        );
        let mut fig = many_series_figure();
        fig.series[0].label = "大模型 (chosen)".into();
        fig.title = "über 大".into();
        let f = raster_text(&fig);
        assert_eq!(f.series[0].label, "??? (chosen)");
        assert_eq!(f.title, "über ?");
        // SVG keeps the text for the viewer's fonts.
        assert!(to_svg(&fig).unwrap().contains("大模型"));
    }
    use crate::plot::axes::tick_label_on;
    use crate::plot::legend::shorten;
    use crate::plot::selection_figure;
    use crate::plot::testing::{many_series_figure, parse_svg, pdf_content};

    /// Every axis is logarithmic and its label says so once, whether the
    /// figure's label said it already or not.
    #[test]
    fn every_axis_label_says_log_scale_once() {
        let mut fig = many_series_figure();
        fig.x_label = "step".into();
        fig.y_label = "loss (log scale)".into();
        let svg = to_svg(&fig).unwrap();
        let (texts, _) = parse_svg(&svg);
        let labels: Vec<&str> = texts.iter().map(|t| t.2.as_str()).collect();
        assert!(labels.contains(&"step (log scale)"), "{labels:?}");
        assert!(labels.contains(&"loss (log scale)"), "{labels:?}");
        assert!(
            !labels.iter().any(|t| t.matches("log scale").count() > 1),
            "{labels:?}"
        );
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
            // The label as drawn ("(log scale)" added), its parentheses
            // escaped or not in the PDF string.
            let drawn = log_axis_label(&fig.y_label);
            assert!(
                content.contains(&format!("({drawn}) Tj"))
                    || content.contains(&format!(
                        "({}) Tj",
                        drawn.replace('(', "\\(").replace(')', "\\)")
                    )),
                "{name}: {drawn}"
            );
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
            .find(|t| t.contains("(loss ") && t.contains("log scale"))
            .unwrap();
        assert!(y_label.contains("0 1 -1 0 "), "{y_label}");
        let x_label = content
            .split("BT\n")
            .find(|t| t.contains("(x ") && t.contains("log scale"))
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
