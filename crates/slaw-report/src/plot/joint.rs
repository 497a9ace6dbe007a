//! Figures of `slaw joint` and `slaw methods`.

use super::{
    extrapolated_key, log_space, measured_and_extrapolated, Band, Figure, Series, SeriesKind,
};
use slaw::joint::decision::Recommendation;
use slaw::joint::{Form, MethodFit, Runs};

/// One figure per (method, factor): loss against fine-tuning data for each
/// factor value, the fitted curve of `form`, held-out runs hollow. Each
/// curve is solid over the data sizes of its value's fitted runs and dashed
/// past them (extrapolated); a value whose runs are all held out is dashed
/// throughout and says so. Returns (method, factor, figure).
pub fn joint_figures(runs: &Runs, fits: &[MethodFit], form: Form) -> Vec<(String, String, Figure)> {
    let mut out = Vec::new();
    for m in fits {
        let ff = m.form(form);
        for fac in &ff.factors {
            let k = runs
                .factors
                .iter()
                .position(|f| f.name == fac.factor)
                .expect("fitted factors come from the runs");
            let rs: Vec<_> = runs
                .runs
                .iter()
                .filter(|r| r.method == m.method && r.factor == k)
                .collect();
            let mut xs: Vec<f64> = rs.iter().map(|r| r.x).collect();
            xs.sort_by(f64::total_cmp);
            xs.dedup();
            let d_lo = rs.iter().map(|r| r.d).fold(f64::INFINITY, f64::min);
            let d_hi = rs.iter().map(|r| r.d).fold(0.0, f64::max);
            let mut series = Vec::new();
            let mut any_dashed = false;
            for (c, &x) in xs.iter().enumerate() {
                let held = |r: &&&slaw::joint::Run| slaw::joint::is_held(runs, r);
                let mine: Vec<_> = rs.iter().filter(|r| r.x == x).collect();
                let curve: Vec<(f64, f64)> = log_space(d_lo, d_hi, 100)
                    .into_iter()
                    .filter_map(|d| ff.predict(&fac.factor, x, d).map(|l| (d, l)))
                    .collect();
                let label = format!("{} = {}", fac.factor, crate::report::num(x));
                let fitted: Vec<f64> = mine.iter().filter(|r| !held(r)).map(|r| r.d).collect();
                let lo = fitted.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = fitted.iter().copied().fold(0.0, f64::max);
                if lo <= hi {
                    let parts =
                        measured_and_extrapolated(label, c, SeriesKind::Line, curve, (lo, hi));
                    any_dashed |= parts.iter().any(|s| s.kind == SeriesKind::Dashed);
                    series.extend(parts);
                } else {
                    // Every run of this value held out: the whole curve is
                    // a prediction.
                    any_dashed = true;
                    series.push(Series {
                        label: format!("{label} (held out)"),
                        color: c,
                        kind: SeriesKind::Dashed,
                        points: curve,
                    });
                }
                series.push(Series {
                    label: String::new(),
                    color: c,
                    kind: SeriesKind::Points,
                    points: mine
                        .iter()
                        .filter(|r| !held(r))
                        .map(|r| (r.d, r.loss))
                        .collect(),
                });
                series.push(Series {
                    label: String::new(),
                    color: c,
                    kind: SeriesKind::HollowPoints,
                    points: mine
                        .iter()
                        .filter(|r| held(r))
                        .map(|r| (r.d, r.loss))
                        .collect(),
                });
            }
            if any_dashed {
                series.push(extrapolated_key("dashed: extrapolated"));
            }
            out.push((
                m.method.clone(),
                fac.factor.clone(),
                Figure {
                    title: format!(
                        "{}, factor {}: {} law (hollow: held out)",
                        m.method,
                        fac.factor,
                        form.name()
                    ),
                    x_label: "fine-tuning data D_f (log scale)".into(),
                    y_label: "loss (log scale)".into(),
                    series,
                    bands: vec![],
                    vlines: vec![],
                    zoom: None,
                },
            ));
        }
    }
    out
}

/// Critical data size against the factor for each pair of methods, the
/// user's setting marked. The runs' ranges of X and D_f are shaded; a
/// crossing is drawn solid inside that box and dashed outside it, where the
/// laws are extrapolated (often far: a crossing at less than one example).
/// A factor value with several crossings gives several branches, each its
/// own line (never joined across branches).
pub fn critical_figure(r: &Recommendation) -> Figure {
    let mut series = Vec::new();
    let ((x_lo, x_hi), (d_lo, d_hi)) = (r.runs_x, r.runs_d);
    let inside = |&(x, d): &(f64, f64)| r.within_runs_x(x) && r.within_runs_d(d);
    let mut extrapolated_label = false;
    for (c, cc) in r.critical.iter().enumerate() {
        let name = format!("{} = {}", cc.methods.0, cc.methods.1);
        let branches = cc.curve.iter().map(|(_, ds)| ds.len()).max().unwrap_or(0);
        let mut labelled = false;
        for j in 0..branches {
            // Branch j: the j-th crossing at every X that has one, split
            // where X has fewer.
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for (x, ds) in &cc.curve {
                match ds.get(j) {
                    Some(&d) => runs.last_mut().expect("one run").push((*x, d)),
                    None => runs.push(Vec::new()),
                }
            }
            for pts in runs.into_iter().filter(|p| !p.is_empty()) {
                let all_inside = pts.iter().all(inside);
                // Outside (or all of it when nothing is inside): dashed.
                if !all_inside {
                    series.push(Series {
                        label: if labelled {
                            String::new()
                        } else if pts.iter().any(inside) {
                            name.clone()
                        } else {
                            format!("{name} (outside the runs)")
                        },
                        color: c,
                        kind: SeriesKind::Dashed,
                        points: pts.clone(),
                    });
                    labelled = true;
                    extrapolated_label = true;
                }
                // The stretches inside the runs' box, solid.
                let mut stretch = Vec::new();
                for p in pts
                    .iter()
                    .copied()
                    .chain(std::iter::once((f64::NAN, f64::NAN)))
                {
                    if p.0.is_finite() && inside(&p) {
                        stretch.push(p);
                    } else if !stretch.is_empty() {
                        // A lone point inside is a dot (a line needs two).
                        series.push(Series {
                            label: String::new(),
                            color: c,
                            kind: if stretch.len() == 1 {
                                SeriesKind::Points
                            } else {
                                SeriesKind::Line
                            },
                            points: std::mem::take(&mut stretch),
                        });
                    }
                }
                if all_inside && !labelled {
                    if let Some(last) = series.last_mut() {
                        last.label = name.clone();
                    }
                    labelled = true;
                }
            }
        }
        if branches == 0 {
            series.push(Series {
                label: format!("{name}: no crossing"),
                color: c,
                kind: SeriesKind::Line,
                points: Vec::new(),
            });
        }
    }
    // The crossing's bootstrap interval at the setting's X, one bar per
    // pair (nudged apart in X by a few percent when several pairs have one).
    let bars: Vec<(usize, &slaw::joint::decision::CriticalCurve)> = r
        .critical
        .iter()
        .enumerate()
        .filter(|(_, cc)| {
            cc.at_setting_interval
                .is_some_and(|ci| ci.interval.is_some())
        })
        .collect();
    for (k, &(c, cc)) in bars.iter().enumerate() {
        let ci = cc.at_setting_interval.expect("filtered");
        let iv = ci.interval.expect("filtered");
        let x = r.setting.x * (0.04 * (k as f64 - (bars.len() as f64 - 1.0) / 2.0)).exp();
        // The legend fits about 32 characters: the pair and the level (the
        // text output gives the replicate pairs without a crossing).
        series.push(Series {
            label: format!(
                "{} = {}: {} interval",
                cc.methods.0,
                cc.methods.1,
                slaw::numbers::percent(r.level)
            ),
            color: c,
            kind: SeriesKind::Interval,
            points: vec![(x, iv.lo), (x, iv.hi)],
        });
    }
    series.push(Series {
        label: format!("setting (best: {})", r.recommended),
        color: 7,
        kind: SeriesKind::Marker,
        points: vec![(r.setting.x, r.setting.d)],
    });
    let mut bands = Vec::new();
    if x_lo > 0.0 && x_hi.is_finite() && d_lo > 0.0 && d_hi.is_finite() {
        // A box: a band over the runs' X with the runs' D_f (a degenerate
        // X range widened by 1% either side, so that it shows).
        let (a, b) = if x_hi > x_lo {
            (x_lo, x_hi)
        } else {
            (x_lo / 1.01, x_hi * 1.01)
        };
        bands.push(Band {
            label: "the runs (their X and D_f)".into(),
            color: 6,
            points: vec![(a, d_lo, d_hi), (b, d_lo, d_hi)],
        });
    }
    Figure {
        title: format!("critical fine-tuning data size ({} law)", r.form.name()),
        x_label: format!("{} (log scale)", r.setting.factor),
        y_label: if extrapolated_label {
            "D_f where the losses cross (log scale; dashed: outside the runs)".into()
        } else {
            "D_f where the losses cross (log scale)".into()
        },
        series,
        bands,
        vlines: vec![],
        zoom: None,
    }
}
