//! The legend: its entries (what each series, band and vertical line looks
//! like) and its column right of the plot, labels shortened to fit.

use super::palette::{faded, line_kind};
use super::{palette, Figure, Mark, SeriesKind, MUTED};
use plotters::coord::Shift;
use plotters::prelude::*;

/// `s` cut in the middle to at most `max` characters ("facebook/o…-6.7b
/// (chosen)"), so that both ends stay readable (the tables' cut too).
pub(super) fn shorten(s: &str, max: usize) -> String {
    slaw::numbers::truncate(s, max)
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
pub(super) enum Swatch {
    Line(RGBColor, u32),
    Dashed(RGBColor),
    Dotted(RGBColor),
    Point(RGBColor),
    Hollow(RGBColor),
    Marker(RGBColor),
    Cross(RGBColor),
    Band(RGBColor),
    Interval(RGBColor),
    OpenInterval(RGBColor),
}

pub(super) fn vline_style(m: Mark) -> (RGBColor, Swatch) {
    match m {
        Mark::Budget => (RGBColor(90, 90, 90), Swatch::Dashed(RGBColor(90, 90, 90))),
        Mark::Target => (RGBColor(0, 0, 0), Swatch::Line(RGBColor(0, 0, 0), 2)),
        Mark::Event => (RGBColor(60, 60, 60), Swatch::Dotted(RGBColor(60, 60, 60))),
    }
}

pub(super) fn legend_entries(fig: &Figure) -> Vec<(Swatch, String)> {
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
                SeriesKind::Dotted => Swatch::Dotted(faded(c)),
                SeriesKind::Points => Swatch::Point(c),
                SeriesKind::HollowPoints => Swatch::Hollow(c),
                SeriesKind::Marker => Swatch::Marker(c),
                SeriesKind::Cross => Swatch::Cross(c),
                SeriesKind::Interval => Swatch::Interval(c),
                SeriesKind::OpenInterval => Swatch::OpenInterval(c),
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

/// The legend in its own column right of the plot (never over the data);
/// entries that do not fit are summarised as "... and N more".
pub(super) fn draw_legend<DB: DrawingBackend>(
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
            Swatch::Cross(c) => area.draw(&Cross::new((18, y), 7, c.stroke_width(2)))?,
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
            Swatch::OpenInterval(c) => {
                // A cap on top, an arrowhead pointing down below.
                let style = c.stroke_width(2);
                area.draw(&PathElement::new(vec![(18, y - 7), (18, y + 7)], style))?;
                area.draw(&PathElement::new(vec![(13, y - 7), (23, y - 7)], style))?;
                area.draw(&PathElement::new(
                    vec![(13, y + 2), (18, y + 7), (23, y + 2)],
                    style,
                ))?;
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

#[cfg(test)]
mod tests {
    use crate::plot::testing::{many_series_figure, parse_svg};
    use crate::plot::to_svg;

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
}
