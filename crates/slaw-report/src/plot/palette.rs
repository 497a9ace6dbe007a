//! Colours: the colour-blind safe palette, the muted grey, the sequential
//! map, and the dashed look of lines past the palette's 8 colours.

use super::{Series, SeriesKind};
use plotters::prelude::*;

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

/// A colour faded 55% of the way to white (opaque, so SVG, PNG and PDF draw
/// it alike): a [`SeriesKind::Dotted`] line, which the data do not
/// determine, recedes behind the lines they do.
pub(super) fn faded(c: RGBColor) -> RGBColor {
    let f = |v: u8| (v as f64 + 0.55 * (255.0 - v as f64)).round() as u8;
    RGBColor(f(c.0), f(c.1), f(c.2))
}

/// Lines of colours past the palette's 8 are drawn dashed, so that no two
/// series look the same until 16.
pub(super) fn line_kind(s: &Series) -> SeriesKind {
    if s.kind == SeriesKind::Line && s.color != MUTED && (8..SEQUENTIAL).contains(&s.color) {
        SeriesKind::Dashed
    } else {
        s.kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
