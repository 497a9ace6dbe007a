//! The CLI's figures (`--plot`) as JSON, for `plot()` in Python: the same
//! figure model (`slaw_report::plot::Figure`: series, bands, vertical
//! lines, every axis logarithmic), built by the same functions the CLI
//! calls, drawn by matplotlib on the Python side (`_results._draw_figure`).
//! The figures travel beside the CLI's `--json` under keys starting with
//! `_`, which the Python side takes out, so `to_dict()` stays the CLI's.

use serde_json::{json, Value};
use slaw_report::plot::{palette, Figure, Mark, SeriesKind};

/// A colour index of the CLI's palette as `#rrggbb`.
fn colour(i: usize) -> String {
    let c = palette(i);
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// A finite number, or null (JSON has no NaN or infinity).
fn num(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        Value::Null
    }
}

/// At most this many points per series or band go to Python (as a
/// forecast's curve): a fit of 50,000 points would otherwise spend more
/// time sending its figure than fitting (ux54, BENCHMARKS).
pub const MAX_POINTS: usize = 4000;

/// `n` points thinned to at most [`MAX_POINTS`], spread evenly, the last
/// kept: whether point `i` stays.
fn kept(i: usize, n: usize) -> bool {
    let every = n.div_ceil(MAX_POINTS).max(1);
    i % every == 0 || i + 1 == n
}

/// One figure as JSON: `{title, x_label, y_label, series: [{label, color,
/// kind, points}], bands: [{label, color, points: [[x, lo, hi]]}], vlines:
/// [{x, label, mark}], zoom: [lo, hi] or null}` (zoom: an x range the CLI
/// draws again on a linear axis); `kind` one of line, dashed, dotted (faded: not determined by the data), points, hollow,
/// marker, interval (pairs of points (x, lo), (x, hi)), open_interval (the
/// same pairs, the lower end open: not a calibrated level); lines past the
/// palette's 8 colours dashed, as the CLI draws them; a series or band of
/// more than [`MAX_POINTS`] points thinned to that many (interval pairs
/// never).
pub fn to_json(fig: &Figure) -> Value {
    let series: Vec<Value> = fig
        .series
        .iter()
        .map(|s| {
            let kind = match s.kind {
                SeriesKind::Line
                    if s.color != slaw_report::plot::MUTED
                        && (8..slaw_report::plot::SEQUENTIAL).contains(&s.color) =>
                {
                    "dashed"
                }
                SeriesKind::Line => "line",
                SeriesKind::Dashed => "dashed",
                SeriesKind::Dotted => "dotted",
                SeriesKind::Points => "points",
                SeriesKind::HollowPoints => "hollow",
                SeriesKind::Marker => "marker",
                SeriesKind::Cross => "cross",
                SeriesKind::Interval => "interval",
                SeriesKind::OpenInterval => "open_interval",
            };
            let n = s.points.len();
            let points: Vec<Value> = s
                .points
                .iter()
                .enumerate()
                .filter(|(i, _)| kind.ends_with("interval") || kept(*i, n))
                .map(|(_, &(x, y))| json!([num(x), num(y)]))
                .collect();
            json!({
                "label": s.label, "color": colour(s.color), "kind": kind,
                "muted": s.color == slaw_report::plot::MUTED, "points": points,
            })
        })
        .collect();
    let bands: Vec<Value> = fig
        .bands
        .iter()
        .map(|b| {
            let n = b.points.len();
            let points: Vec<Value> = b
                .points
                .iter()
                .enumerate()
                .filter(|(i, _)| kept(*i, n))
                .map(|(_, &(x, lo, hi))| json!([num(x), num(lo), num(hi)]))
                .collect();
            json!({"label": b.label, "color": colour(b.color), "points": points})
        })
        .collect();
    let vlines: Vec<Value> = fig
        .vlines
        .iter()
        .map(|v| {
            let mark = match v.mark {
                Mark::Budget => "budget",
                Mark::Target => "target",
                Mark::Event => "event",
            };
            json!({"x": num(v.x), "label": v.label, "mark": mark})
        })
        .collect();
    json!({
        "title": fig.title, "x_label": fig.x_label, "y_label": fig.y_label,
        "series": series, "bands": bands, "vlines": vlines,
        "zoom": fig.zoom.map(|(a, b)| json!([num(a), num(b)])),
    })
}

/// `slaw compare`'s backtest pick, per group (the CLI draws none): the
/// points, the pick's prediction along the points' range and out to the
/// values asked for, the combined laws' spread (lowest to highest of their
/// own predictions, not an interval) and the predictions as triangles.
pub fn compare_figure(
    cmp: &slaw::analysis::BacktestComparison,
    obs: &slaw::observations::Observations,
    y_name: &str,
    group: &slaw::pick::GroupPick,
) -> Figure {
    use slaw_report::plot::{log_space, Band, Series};
    let idx = obs.group_indices(&group.group);
    let points: Vec<(f64, f64)> = idx.iter().map(|&i| (obs.point(i)[0], obs.y[i])).collect();
    let preds: Vec<&slaw::pick::PickPrediction> = cmp
        .predictions
        .iter()
        .filter(|p| p.group == group.group)
        .collect();
    let xs = points
        .iter()
        .map(|p| p.0)
        .chain(preds.iter().map(|p| p.x))
        .filter(|x| *x > 0.0 && x.is_finite());
    let (lo, hi) = xs.fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
    let pick = &group.pick;
    let grid = if lo.is_finite() && hi > lo {
        log_space(lo, hi, 200)
    } else {
        Vec::new()
    };
    let curve: Vec<(f64, f64)> = grid
        .iter()
        .filter_map(|&x| pick.predict(&[x]).map(|v| (x, v)))
        .collect();
    let spread: Vec<(f64, f64, f64)> = grid
        .iter()
        .filter_map(|&x| pick.laws_range(&[x]).map(|(a, b)| (x, a, b)))
        .collect();
    let weighted: Vec<&str> = pick
        .laws
        .iter()
        .filter(|l| l.weight > 0.0)
        .map(|l| l.law.as_str())
        .collect();
    let mut series = vec![Series {
        label: "points".into(),
        color: 0,
        kind: SeriesKind::Points,
        points,
    }];
    if !curve.is_empty() {
        series.push(Series {
            label: format!("backtest pick ({})", weighted.join(", ")),
            color: 1,
            kind: SeriesKind::Line,
            points: curve,
        });
    }
    let marks: Vec<(f64, f64)> = preds
        .iter()
        .filter_map(|p| p.loss.map(|l| (p.x, l)))
        .collect();
    if !marks.is_empty() {
        series.push(Series {
            label: if marks.len() == 1 {
                "prediction".into()
            } else {
                "predictions".into()
            },
            color: 1,
            kind: SeriesKind::Marker,
            points: marks,
        });
    }
    let bands = if spread.len() >= 2 {
        vec![Band {
            label: "the combined laws' own predictions (spread, not an interval)".into(),
            color: 3,
            points: spread,
        }]
    } else {
        Vec::new()
    };
    let x_name = obs.input_names.first().cloned().unwrap_or_default();
    Figure {
        title: if group.group.is_empty() {
            format!("compare: backtest pick on {y_name}")
        } else {
            format!("compare: backtest pick on {y_name}, group {}", group.group)
        },
        x_label: x_name,
        y_label: y_name.to_string(),
        series,
        bands,
        vlines: Vec::new(),
        zoom: None,
    }
}
