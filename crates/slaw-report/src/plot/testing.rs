//! Helpers of the figures' tests: a figure of many series, and the SVG and
//! PDF they render to, read back.

use super::legend::legend_entries;
use super::{Band, Figure, Mark, Series, SeriesKind, VLine, MUTED};

pub(super) type Texts = Vec<(f64, f64, String)>;

/// (x, y, text) of the SVG's text elements and (cx, cy) of its circles.
pub(super) fn parse_svg(svg: &str) -> (Texts, Vec<(f64, f64)>) {
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

/// The points of every SVG polyline (paths: lines, bars, caps), in pixels.
pub(super) fn parse_polylines(svg: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline")
        .skip(1)
        .filter_map(|p| {
            let tag = p.split('>').next()?;
            let pts = tag.split("points=\"").nth(1)?.split('"').next()?;
            Some(
                pts.split_whitespace()
                    .filter_map(|xy| {
                        let (x, y) = xy.split_once(',')?;
                        Some((x.parse().ok()?, y.parse().ok()?))
                    })
                    .collect(),
            )
        })
        .collect()
}

pub(super) fn many_series_figure() -> Figure {
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
        zoom: None,
    }
}

pub(super) fn legend(fig: &Figure) -> Vec<String> {
    legend_entries(fig).into_iter().map(|e| e.1).collect()
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
