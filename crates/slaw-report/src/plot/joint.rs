//! Figures of `slaw joint` and `slaw methods`.

use super::{log_space, Figure, Series, SeriesKind};
use slaw::joint::decision::Recommendation;
use slaw::joint::{Form, MethodFit, Runs};

/// One figure per (method, factor): loss against fine-tuning data for each
/// factor value, the fitted curve of `form`, held-out runs hollow. Returns
/// (method, factor, figure).
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
            for (c, &x) in xs.iter().enumerate() {
                let held = |r: &&&slaw::joint::Run| slaw::joint::is_held(runs, r);
                let mine: Vec<_> = rs.iter().filter(|r| r.x == x).collect();
                let curve = log_space(d_lo, d_hi, 100)
                    .into_iter()
                    .filter_map(|d| ff.predict(&fac.factor, x, d).map(|l| (d, l)))
                    .collect();
                series.push(Series {
                    label: format!("{} = {}", fac.factor, crate::report::num(x)),
                    color: c,
                    kind: SeriesKind::Line,
                    points: curve,
                });
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
                    x_label: "fine-tuning data D_f".into(),
                    y_label: "loss".into(),
                    series,
                    bands: vec![],
                    vlines: vec![],
                },
            ));
        }
    }
    out
}

/// Critical data size against the factor for each pair of methods, the
/// user's setting marked.
pub fn critical_figure(r: &Recommendation) -> Figure {
    let mut series = Vec::new();
    for (c, cc) in r.critical.iter().enumerate() {
        let pts: Vec<(f64, f64)> = cc
            .curve
            .iter()
            .flat_map(|(x, ds)| ds.iter().map(move |d| (*x, *d)))
            .collect();
        series.push(Series {
            label: format!("{} = {}", cc.methods.0, cc.methods.1),
            color: c,
            kind: SeriesKind::Line,
            points: pts,
        });
    }
    series.push(Series {
        label: format!("setting (best: {})", r.recommended),
        color: 7,
        kind: SeriesKind::Marker,
        points: vec![(r.setting.x, r.setting.d)],
    });
    Figure {
        title: format!("critical fine-tuning data size ({} law)", r.form.name()),
        x_label: r.setting.factor.clone(),
        y_label: "D_f where the losses cross".into(),
        series,
        bands: vec![],
        vlines: vec![],
    }
}
