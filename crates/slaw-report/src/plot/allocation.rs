//! The figures of `slaw allocate`: isoFLOP profiles, N_opt and D_opt
//! against compute, the parametric law's iso-loss contours.

use super::{
    extrapolated_key, log_space, measured_and_extrapolated, sequential, Band, Figure, Mark, Series,
    SeriesKind, VLine, MUTED,
};
use slaw::allocate::{growth_not_determined, CurvePoint};

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

    /// A method's fitted N_opt(C) or D_opt(C) line from its curve: solid
    /// over the compute of the runs it was fitted on (`measured`), dashed
    /// outside (extrapolated); all solid without a known range. Where
    /// `undetermined` holds (the runs do not say whether N_opt grows with
    /// compute there: [`slaw::allocate::growth_not_determined`]) the line is
    /// dotted and faded instead, joined to the rest.
    fn line(
        self,
        curve: &[CurvePoint],
        label: String,
        color: usize,
        measured: Option<(f64, f64)>,
        undetermined: &dyn Fn(f64) -> bool,
    ) -> Vec<Series> {
        let points: Vec<(f64, f64)> = curve
            .iter()
            .map(|p| (p.compute, self.pick((p.n_opt, p.d_opt))))
            .collect();
        let range = measured.unwrap_or((0.0, f64::INFINITY));
        let determined: Vec<(f64, f64)> = points
            .iter()
            .copied()
            .filter(|p| !undetermined(p.0))
            .collect();
        let mut out = measured_and_extrapolated(
            label.clone(),
            color,
            SeriesKind::Line,
            determined.clone(),
            range,
        );
        // The undetermined points below and above the determined ones (the
        // compute the method fitted lies between), each joined to them.
        let (first, last) = (determined.first(), determined.last());
        let mut below: Vec<(f64, f64)> = points
            .iter()
            .copied()
            .filter(|p| undetermined(p.0) && first.is_none_or(|f| p.0 < f.0))
            .collect();
        let mut above: Vec<(f64, f64)> = points
            .iter()
            .copied()
            .filter(|p| undetermined(p.0) && last.is_some_and(|l| p.0 > l.0))
            .collect();
        if let (Some(&f), false) = (first, below.is_empty()) {
            below.push(f);
        }
        if let (Some(&l), false) = (last, above.is_empty()) {
            above.insert(0, l);
        }
        let mut label = out.is_empty().then_some(label);
        for part in [below, above] {
            if part.len() >= 2 {
                out.push(Series {
                    label: label.take().unwrap_or_default(),
                    color,
                    kind: SeriesKind::Dotted,
                    points: part,
                });
            }
        }
        out
    }

    /// The band of a method's curve where the runs determine it; None
    /// without intervals. Where `undetermined` holds the interval spans
    /// both a growing and a shrinking N_opt: no band is drawn (its numbers
    /// stay in the JSON), so that it does not set the figure's range.
    fn band(
        self,
        curve: &[CurvePoint],
        label: String,
        color: usize,
        undetermined: &dyn Fn(f64) -> bool,
    ) -> Option<Band> {
        let points: Vec<(f64, f64, f64)> = curve
            .iter()
            .filter(|p| !undetermined(p.compute))
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

/// The lowest and highest of `values` (finite, positive); None when none.
fn span(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| *v > 0.0 && v.is_finite())
        .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    (lo <= hi).then_some((lo, hi))
}

/// The compute the parametric law was fitted over: its runs' 6ND, else
/// the range it reports.
fn parametric_range(p: &slaw::allocate::AllocationReport) -> Option<(f64, f64)> {
    span(p.runs.iter().map(|r| r.0)).or(p.compute_range)
}

/// " (group NAME)" for a figure of one group of several; empty without groups.
fn group_suffix(g: &slaw::allocate::methods::GroupAllocation) -> String {
    if g.group.is_empty() {
        String::new()
    } else {
        format!(" (group {})", g.group)
    }
}

/// N_opt (or D_opt) against C: the budgets' minima, every method's fitted
/// allocation and its pointwise bootstrap band — each method's `curve`, the
/// numbers its JSON carries; each line solid over the compute of the runs
/// its method was fitted on and dashed past it (extrapolated), the largest
/// run budget a dotted line.
fn optimum_figure(g: &slaw::allocate::methods::GroupAllocation, which: Optimum) -> Option<Figure> {
    let name = match which {
        Optimum::N => "N_opt",
        Optimum::D => "D_opt",
    };
    let profiles = [("isoflop", &g.isoflop), ("envelope", &g.envelope)];
    let mut series = Vec::new();
    let mut bands = Vec::new();
    // Each method's largest measured compute (the profiles' FLOPs column,
    // the parametric law's 6ND: they differ when the column is not 6ND).
    let mut runs_hi: Vec<f64> = Vec::new();
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
        let measured = span(r.budgets.iter().map(|b| b.compute));
        runs_hi.extend(measured.map(|m| m.1));
        let undetermined = |c: f64| r.growth_not_determined_at(c);
        series.extend(which.line(
            &r.curve,
            if r.exponent_not_determined {
                format!("{method}: not determined")
            } else {
                format!("{method}: {name} ~ C^{exponent:.3}")
            },
            k,
            measured,
            &undetermined,
        ));
        bands.extend(which.band(
            &r.curve,
            format!("{method}: {} band", slaw::numbers::percent(r.level)),
            k,
            &undetermined,
        ));
    }
    if let Some(p) = &g.parametric {
        let exponent = match which {
            Optimum::N => p.exponent_n,
            Optimum::D => 1.0 - p.exponent_n,
        };
        let measured = parametric_range(p);
        runs_hi.extend(measured.map(|m| m.1));
        // never for the parametric law (its exponent lies in (0, 1)); the
        // same rule as its rows'
        let undetermined = |c: f64| {
            p.compute_range
                .is_some_and(|range| growth_not_determined(p.exponent_n_interval, c, range))
        };
        series.extend(which.line(
            &p.curve,
            format!("parametric: {name} ~ C^{exponent:.3}"),
            2,
            measured,
            &undetermined,
        ));
        let level = p.bootstrap.as_ref().map_or(0.95, |b| b.level);
        bands.extend(which.band(
            &p.curve,
            format!("parametric: {} band", slaw::numbers::percent(level)),
            2,
            &undetermined,
        ));
    }
    if series.iter().all(|s| s.points.is_empty()) {
        return None;
    }
    let extrapolated = series.iter().any(|s| s.kind == SeriesKind::Dashed);
    if extrapolated {
        series.push(extrapolated_key("dashed: past the runs"));
    }
    // The text's "?" rows: past the compute a method fitted, its exponent's
    // interval reaching 0, the runs do not say whether N_opt grows.
    if series.iter().any(|s| s.kind == SeriesKind::Dotted) {
        series.push(Series {
            label: "not determined by the runs".into(),
            color: 6,
            kind: SeriesKind::Dotted,
            points: Vec::new(),
        });
    }
    // The largest run budget, where the lines turn dashed (when they reach
    // past it), when the methods agree on it (within 1.5x); else the
    // dashes alone say where each method's runs end.
    let hi = runs_hi.iter().copied().fold(0.0, f64::max);
    let lo = runs_hi.iter().copied().fold(f64::INFINITY, f64::min);
    let vlines = if extrapolated && hi > 0.0 && hi <= 1.5 * lo {
        vec![VLine::new(
            hi,
            format!("largest run budget {}", slaw::numbers::sci(hi)),
            Mark::Event,
        )]
    } else {
        Vec::new()
    };
    Some(Figure {
        title: match which {
            Optimum::N => format!("compute-optimal model size{}", group_suffix(g)),
            Optimum::D => format!("compute-optimal training tokens{}", group_suffix(g)),
        },
        x_label: "compute C (FLOPs)".into(),
        y_label: match which {
            Optimum::N => "N_opt (parameters)".into(),
            Optimum::D => "D_opt (tokens)".into(),
        },
        series,
        bands,
        vlines,
        zoom: None,
    })
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
                    "isoFLOP profiles of {} budgets{}, coloured by compute (dark: smallest; {} \
                     labelled)",
                    shown.len(),
                    group_suffix(g),
                    labelled.len()
                ),
                x_label: "parameters N".into(),
                y_label: "loss".into(),
                series,
                bands: Vec::new(),
                vlines: Vec::new(),
                zoom: None,
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
/// al.'s figure 4, left). One contour through each asked budget's optimum,
/// labelled with the budget and its loss ("C = 1e21: loss 2.3045"), the
/// optimum marked on it; a few muted contours of other losses for the
/// shape; the runs at their (6ND, N) always; the frontier solid over the
/// runs' compute and dashed past it. A contour of loss l is traced
/// along N: the tokens D at which the law reaches l, and C = 6 N D.
fn contours_figure(g: &slaw::allocate::methods::GroupAllocation) -> Option<Figure> {
    let par = g.parametric.as_ref()?;
    let law = &par.law;
    // The runs in the law's plane (C = 6 N D, N); from the isoFLOP
    // budgets for a report built without them.
    let runs: Vec<(f64, f64)> = if !par.runs.is_empty() {
        par.runs.clone()
    } else {
        g.isoflop
            .iter()
            .chain(g.envelope.iter())
            .take(1)
            .flat_map(|r| {
                r.budgets
                    .iter()
                    .flat_map(|b| b.points.iter().map(move |p| (b.compute, p.0)))
            })
            .collect()
    };
    // Over the runs (or the law's fitted range), widened to the asked
    // budgets: the contours reach every budget of the table.
    let asked = par.rows.iter().map(|a| a.compute);
    let (lo, hi) = if !runs.is_empty() {
        let lo = runs.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let hi = runs.iter().map(|p| p.0).fold(0.0, f64::max);
        (lo, hi)
    } else {
        par.compute_range.unwrap_or((f64::INFINITY, 0.0))
    };
    let measured = span(runs.iter().map(|r| r.0)).or(par.compute_range);
    let lo = asked.clone().fold(lo, f64::min);
    let hi = asked.fold(hi, f64::max);
    let (c_lo, c_hi) = (lo / 3.0, hi * 3.0);
    if !(c_lo > 0.0 && c_hi > c_lo && c_hi.is_finite()) {
        return None;
    }
    let n_range = (law.optimum(c_lo).0 / 30.0, law.optimum(c_hi).0 * 30.0);
    let mut series = Vec::new();
    // Muted context: the law's optimal loss at 4 budgets spread over the
    // range, so each touches the frontier inside the plot.
    for (k, c) in log_space(c_lo * 1.5, c_hi / 1.5, 4).into_iter().enumerate() {
        let pts = contour(law, law.optimum(c).2, (c_lo, c_hi), n_range);
        if pts.len() >= 2 {
            series.push(Series {
                label: if k == 0 {
                    "iso-loss contours (other losses)".into()
                } else {
                    String::new()
                },
                color: MUTED,
                kind: SeriesKind::Line,
                points: pts,
            });
        }
    }
    if !runs.is_empty() {
        series.push(Series {
            label: "runs (6ND, N)".into(),
            color: MUTED,
            kind: SeriesKind::Points,
            points: runs,
        });
    }
    // One contour per asked budget, through its optimum: colours other
    // than the frontier's (1).
    for (k, r) in par.rows.iter().enumerate() {
        let pts = contour(law, r.loss, (c_lo, c_hi), n_range);
        if pts.len() >= 2 {
            series.push(Series {
                label: format!(
                    "C = {}: loss {}",
                    slaw::numbers::sci(r.compute),
                    slaw::numbers::sig(r.loss, 5)
                ),
                color: [0, 2, 3, 4, 5, 6][k % 6],
                kind: SeriesKind::Line,
                points: pts,
            });
        }
    }
    // The frontier solid over the runs' compute, dashed past it.
    let frontier: Vec<(f64, f64)> = log_space(c_lo, c_hi, 40)
        .into_iter()
        .map(|c| (c, law.optimum(c).0))
        .collect();
    let parts = measured_and_extrapolated(
        format!("N_opt ~ C^{:.3} (parametric)", law.exponent_n()),
        1,
        SeriesKind::Line,
        frontier,
        measured.unwrap_or((0.0, f64::INFINITY)),
    );
    let dashed = parts.iter().any(|s| s.kind == SeriesKind::Dashed);
    series.extend(parts);
    if dashed {
        series.push(extrapolated_key("dashed: past the runs"));
    }
    series.push(Series {
        label: "optimum at each asked budget".into(),
        color: 1,
        kind: SeriesKind::Marker,
        points: par.rows.iter().map(|r| (r.compute, r.n_opt)).collect(),
    });
    Some(Figure {
        title: format!(
            "parametric law{}: iso-loss contours through the asked budgets' optima",
            group_suffix(g)
        ),
        x_label: "compute C = 6ND (FLOPs)".into(),
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
        zoom: None,
    })
}

/// The law's iso-loss contour of `loss` as (C, N) points inside the
/// compute range `c`: traced finely along N (4000 points), then simplified
/// (Douglas-Peucker) to the points it needs to stay within [`CONTOUR_TOLERANCE`]
/// of the fine trace in the log-log plane (each axis's log range taken as
/// 1): many at the nose, where the contour turns, few on its nearly
/// straight arms, where every joint of a 2-pixel line drawn in a PNG showed
/// as a step.
fn contour(
    law: &slaw::allocate::Chinchilla,
    loss: f64,
    c: (f64, f64),
    n: (f64, f64),
) -> Vec<(f64, f64)> {
    let fine: Vec<(f64, f64)> = log_space(n.0, n.1, 4000)
        .into_iter()
        .filter_map(|n| {
            let cc = 6.0 * n * law.tokens_at_loss(n, loss)?;
            (cc.is_finite() && cc >= c.0 && cc <= c.1).then_some((cc, n))
        })
        .collect();
    if fine.len() < 3 {
        return fine;
    }
    // Axis units: each axis's log range is 1.
    let (sx, sy) = ((c.1 / c.0).ln(), (n.1 / n.0).ln());
    let unit: Vec<(f64, f64)> = fine
        .iter()
        .map(|p| ((p.0 / c.0).ln() / sx, (p.1 / n.0).ln() / sy))
        .collect();
    let mut keep = vec![false; fine.len()];
    keep[0] = true;
    keep[fine.len() - 1] = true;
    let mut stack = vec![(0, fine.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let (pa, pb) = (unit[a], unit[b]);
        let (dx, dy) = (pb.0 - pa.0, pb.1 - pa.1);
        let len = (dx * dx + dy * dy).sqrt();
        let dist = |p: (f64, f64)| {
            if len == 0.0 {
                ((p.0 - pa.0).powi(2) + (p.1 - pa.1).powi(2)).sqrt()
            } else {
                ((p.0 - pa.0) * dy - (p.1 - pa.1) * dx).abs() / len
            }
        };
        let far = (a + 1..b)
            .map(|i| (i, dist(unit[i])))
            .fold((a, 0.0f64), |best, x| if x.1 > best.1 { x } else { best });
        if far.1 > CONTOUR_TOLERANCE {
            keep[far.0] = true;
            stack.push((a, far.0));
            stack.push((far.0, b));
        }
    }
    fine.into_iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(p))
        .collect()
}

/// How far a drawn contour may stray from the law's, in axis units (each
/// axis's log range is 1): 1/3000, a quarter of a pixel of the plot.
const CONTOUR_TOLERANCE: f64 = 1.0 / 3000.0;

#[cfg(test)]
mod tests {
    use super::*;

    /// probe61 findings 6 and 7: the N_opt and D_opt lines are solid over
    /// the runs' compute and dashed past it (to the asked budget, 2.8
    /// decades on), the largest run budget marked, the legend saying what
    /// the dashes mean; every figure of a group names it in its title.
    #[test]
    fn optimum_lines_are_dashed_past_the_runs_and_figures_name_their_group() {
        let law =
            slaw::allocate::Chinchilla::from_params(&[406.4, 0.34, 410.7, 0.28, 1.69]).unwrap();
        let mut report = slaw::allocate::from_law(law, &[1e19, 1e21, 5.76e23]).unwrap();
        report.runs = vec![(1e19, 1e8), (1e20, 4e8), (1e21, 1e9)];
        let mut g = slaw::allocate::methods::GroupAllocation::from_parametric(report, 3);
        g.group = "hoffmann".into();
        let figs = allocation_figures(&g);
        assert!(figs.len() >= 3, "{}", figs.len());
        for (name, fig) in &figs {
            assert!(
                fig.title.contains("(group hoffmann)"),
                "{name}: {}",
                fig.title
            );
        }
        let (_, nopt) = figs.iter().find(|f| f.0 == "nopt").unwrap();
        let line: Vec<&Series> = nopt
            .series
            .iter()
            .filter(|s| {
                s.label.starts_with("parametric: N_opt") || (s.color == 2 && s.label.is_empty())
            })
            .filter(|s| matches!(s.kind, SeriesKind::Line | SeriesKind::Dashed))
            .collect();
        let solid: Vec<&&Series> = line.iter().filter(|s| s.kind == SeriesKind::Line).collect();
        let dashed: Vec<&&Series> = line
            .iter()
            .filter(|s| s.kind == SeriesKind::Dashed)
            .collect();
        assert!(!solid.is_empty() && !dashed.is_empty(), "{line:?}");
        assert!(solid.iter().all(|s| s
            .points
            .iter()
            .all(|p| (1e19 * 0.999..=1e21 * 1.001).contains(&p.0))));
        // Dashed past the largest run, out to the asked 5.76e23.
        let beyond = dashed
            .iter()
            .flat_map(|s| s.points.iter())
            .map(|p| p.0)
            .fold(0.0, f64::max);
        assert!(beyond >= 5.76e23 * 0.999, "{beyond}");
        assert!(dashed
            .iter()
            .all(|s| s.points[1..].iter().all(|p| p.0 > 1e21 || p.0 < 1e19)));
        let svg = crate::plot::to_svg(nopt).unwrap();
        for want in [
            "dashed: past the runs",
            "largest run budget 1e21",
            "compute-optimal model size (group hoffmann)",
        ] {
            assert!(svg.contains(want), "{want}");
        }
        // In the SVG, the dashes (short strokes of the parametric colour)
        // reach right of the largest run's x.
        let (texts, _) = crate::plot::testing::parse_svg(&svg);
        let x_of = |label: &str| texts.iter().find(|t| t.2 == label).map(|t| t.0);
        let x21 = x_of("1e21").expect("a 1e21 tick");
        let green = svg
            .split("<polyline")
            .filter(|p| p.contains("stroke=\"#009E73\""))
            .count();
        assert!(green > 20, "{green} green strokes");
        let paths = crate::plot::testing::parse_polylines(&svg);
        assert!(paths.iter().any(|p| p.len() == 2 && p[0].0 > x21 + 50.0));
        // Without groups, the plain titles.
        g.group.clear();
        assert_eq!(
            optimum_figure(&g, Optimum::N).unwrap().title,
            "compute-optimal model size"
        );
    }

    /// The contours figure: one contour per asked budget, labelled with
    /// the budget and its loss, whose every point has the law's loss at
    /// (N, C / 6N) equal to that budget's optimal loss and that passes
    /// through the optimum; the runs drawn; the contour's points evenly
    /// spaced in the log-log plane (no stair-steps at the nose).
    #[test]
    fn contours_go_through_the_asked_budgets_optima_over_the_runs() {
        let law =
            slaw::allocate::Chinchilla::from_params(&[406.4, 0.34, 410.7, 0.28, 1.69]).unwrap();
        let mut report = slaw::allocate::from_law(law, &[1e21, 5.76e23]).unwrap();
        report.runs = vec![(1e19, 1e8), (1e20, 4e8), (1e21, 1e9)];
        let g = slaw::allocate::methods::GroupAllocation::from_parametric(report.clone(), 3);
        let fig = contours_figure(&g).unwrap();
        for r in &report.rows {
            let label = format!(
                "C = {}: loss {}",
                slaw::numbers::sci(r.compute),
                slaw::numbers::sig(r.loss, 5)
            );
            let s = fig
                .series
                .iter()
                .find(|s| s.label == label)
                .unwrap_or_else(|| panic!("no contour '{label}'"));
            for &(c, n) in &s.points {
                let l = law.predict(n, c / (6.0 * n));
                assert!((l - r.loss).abs() < 1e-9, "{label}: {l} at ({c}, {n})");
            }
            // It passes through the optimum: a point within 2% in C of
            // (compute, N_opt) in N.
            let near = s
                .points
                .iter()
                .any(|&(c, n)| (c / r.compute).ln().abs() < 0.02 && (n / r.n_opt).ln().abs() < 0.1);
            assert!(near, "{label} misses its optimum");
            // Smooth: the midpoint of every drawn segment lies within a
            // pixel (1/700 of an axis, each axis's log range over the
            // figure's points taken as 1) of the law's contour: its distance estimated as the loss's
            // departure there over the loss's gradient.
            let span = |f: fn(&(f64, f64)) -> f64| {
                let all = || fig.series.iter().flat_map(|s| s.points.iter()).map(f);
                let lo = all().fold(f64::INFINITY, f64::min);
                let hi = all().fold(0.0, f64::max);
                (hi / lo).ln()
            };
            let (sx, sy) = (span(|p| p.0), span(|p| p.1));
            let loss_at = |u: f64, v: f64| {
                let (c, n) = ((u * sx).exp(), (v * sy).exp());
                law.predict(n, c / (6.0 * n))
            };
            for w in s.points.windows(2) {
                let u = ((w[0].0 * w[1].0).sqrt()).ln() / sx;
                let v = ((w[0].1 * w[1].1).sqrt()).ln() / sy;
                let h = 1e-6;
                let gu = (loss_at(u + h, v) - loss_at(u - h, v)) / (2.0 * h);
                let gv = (loss_at(u, v + h) - loss_at(u, v - h)) / (2.0 * h);
                let off = (loss_at(u, v) - r.loss).abs() / (gu * gu + gv * gv).sqrt();
                assert!(off < 1.0 / 700.0, "{label}: {off} at {w:?}");
            }
            // Fewer points than the fine trace: the straight arms are long
            // segments.
            assert!(s.points.len() < 400, "{label}: {}", s.points.len());
        }
        assert_eq!(
            fig.series
                .iter()
                .find(|s| s.label.starts_with("runs"))
                .map(|s| s.points.len()),
            Some(3)
        );
        let svg = crate::plot::to_svg(&fig).unwrap();
        assert!(
            svg.contains("C = 1e21: loss"),
            "the legend names the budget"
        );
    }
}
