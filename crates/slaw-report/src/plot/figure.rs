//! The figure model: what a figure holds (series, bands, vertical lines),
//! independent of how it is drawn.

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
    /// A line the data do not determine (e.g. an allocation past the runs
    /// where the exponent's interval reaches 0): dotted and faded.
    Dotted,
    Points,
    HollowPoints,
    Marker,
    /// A cross over a point (a point the method flags, e.g. one that breaks
    /// its curve's trend).
    Cross,
    /// Vertical interval bars with caps: the points in pairs, (x, lo) then
    /// (x, hi), one bar per pair (an interval at one input, such as a
    /// prediction's).
    Interval,
    /// An interval open below: pairs as [`SeriesKind::Interval`], the upper
    /// end calibrated (capped), the lower end not (no cap: an arrowhead
    /// pointing down). Its lower end does not set the y range: below the
    /// plot it is drawn to the axis.
    OpenInterval,
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
    /// An x range drawn again in a panel right of the plot, on a linear x
    /// axis with its own y range (where curves that differ only at the end
    /// of a log axis pile up).
    pub zoom: Option<(f64, f64)>,
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

/// `points` (ascending in x) as a curve measured (fitted) over `range` and
/// extrapolated outside it: the part inside solid (`kind`), the parts
/// outside dashed, each sharing its end point with the inside part so that
/// the curve stays joined. The label goes on the first non-empty part.
pub fn measured_and_extrapolated(
    label: String,
    color: usize,
    kind: SeriesKind,
    points: Vec<(f64, f64)>,
    range: (f64, f64),
) -> Vec<Series> {
    let (lo, hi) = (range.0 * (1.0 - 1e-12), range.1 * (1.0 + 1e-12));
    let inside: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|p| p.0 >= lo && p.0 <= hi)
        .collect();
    let mut below: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.0 < lo).collect();
    let mut above: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.0 > hi).collect();
    if let (Some(&f), false) = (inside.first(), below.is_empty()) {
        below.push(f);
    }
    if let (Some(&l), false) = (inside.last(), above.is_empty()) {
        above.insert(0, l);
    }
    let mut out = Vec::new();
    let mut label = Some(label);
    for (pts, k) in [
        (inside, kind),
        (below, SeriesKind::Dashed),
        (above, SeriesKind::Dashed),
    ] {
        if pts.len() >= 2 {
            out.push(Series {
                label: label.take().unwrap_or_default(),
                color,
                kind: k,
                points: pts,
            });
        }
    }
    out
}

/// The legend entry saying what a dashed line means (no points: a key).
pub fn extrapolated_key(text: &str) -> Series {
    Series {
        label: text.to_string(),
        color: 6,
        kind: SeriesKind::Dashed,
        points: Vec::new(),
    }
}
