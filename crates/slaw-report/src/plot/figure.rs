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
