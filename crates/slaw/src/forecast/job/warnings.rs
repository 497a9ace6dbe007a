//! What a forecast says beside its numbers: the warnings on the data, the
//! fit and the decay, and the error for a forecast that is not a loss.

use super::{ForecastOutput, Point, WindowDecay};
use crate::forecast::{Curve, CurveLaw};
use crate::Error;
use std::ops::Not;

/// The lowest level at which an observation outside the interval is read as
/// the run departing from the forecast (below it, the interval leaves out
/// a large share of the observations by design).
pub const DEPARTURE_LEVEL: f64 = 0.9;

/// A warning when the observed loss at a forecast step past the window lies
/// outside the forecast's interval: the run departs from the forecast (a
/// diverging run read from a complete log said nothing but its R^2,
/// probe47).
pub(super) fn outside_interval(forecasts: &[Point], until: f64, level: f64) -> Option<String> {
    let num = crate::numbers::num;
    let short = crate::numbers::short;
    let out: Vec<String> = forecasts
        .iter()
        .filter(|p| p.step > until)
        .filter_map(|p| {
            let (lo, hi, o) = (p.lo?, p.hi?, p.observed?);
            (o < lo || o > hi).then(|| {
                format!(
                    "at step {}, {} lies {} [{}, {}]",
                    num(p.step),
                    short(o),
                    if o > hi { "above" } else { "below" },
                    short(lo),
                    short(hi)
                )
            })
        })
        .collect();
    if out.is_empty() {
        return None;
    }
    let pct = num((100.0 * level * 1e6).round() / 1e6);
    // A low level's interval misses many observations by design: no alarm.
    if level < DEPARTURE_LEVEL {
        return Some(format!(
            "the observed loss lies outside the forecast's {pct}% interval ({}): an interval at \
             this level leaves out about {}% of the observations by design, so this alone does \
             not say the run departs from the forecast (ask a level of {}% or more for that)",
            out.join("; "),
            num((100.0 * (1.0 - level) * 1e6).round() / 1e6),
            num(100.0 * DEPARTURE_LEVEL)
        ));
    }
    Some(format!(
        "the observed loss lies outside the forecast's {pct}% interval ({}): the run departs from \
         the forecast after the fitted window (a divergence, a restart, a change of data or \
         schedule?), or the forecast misses it",
        out.join("; ")
    ))
}

/// A warning when the fitted losses (in step order) rise over the window:
/// the median of its last quarter above that of its first. A check on the
/// data, whatever the law (a law of the step alone, a schedule-aware law or
/// the temporal law): every loss-curve law describes a falling loss, and
/// some fit a rising one without a flag (reciprocal with a < 0, log with
/// b < 0).
pub(super) fn rising(fitted: &[f64]) -> Option<String> {
    crate::stats::rises(fitted).map(|(a, b)| {
        format!(
            "the loss rises over the fitted window (median {} over its first quarter, {} over its last): the laws describe a falling loss, so the forecast extrapolates a trend the training curve should not have (a diverging run, a restarted schedule, or a metric other than the loss?)",
            crate::numbers::short(a),
            crate::numbers::short(b)
        )
    })
}

/// A warning when the law does not follow the end of the fitted window
/// (the points up to `until` of `points`, in step order): the lack-of-fit
/// end test of `slaw fit` (`crate::lack_of_fit::end_test`: the last 3
/// fitted losses all on one side of the fitted curve, by at least 2.5x the
/// points' noise on average). A loss that turns up at the window's end is
/// missed by the rising check, which compares the window's quarters.
pub(super) fn window_end(points: &[Point], until: f64) -> Option<String> {
    let res: Vec<f64> = points
        .iter()
        .filter(|p| p.step <= until)
        .filter_map(|p| {
            let o = p.observed?;
            (o > 0.0 && p.loss > 0.0).then(|| o.ln() - p.loss.ln())
        })
        .collect();
    crate::lack_of_fit::end_test(&res).map(|l| {
        format!(
            "the fitted law does not follow the window's end: its last {} losses all lie {} the \
             fitted curve, by {:.1}x the points' noise on average ({} in ln L; noise {}, from the \
             residuals' first differences); the forecast leans on that end, so it is doubtful (a \
             loss that turns {} there: a divergence, a restart, a change of data or schedule?)",
            l.points,
            l.side.unwrap_or("on one side of"),
            l.ratio,
            crate::numbers::short(l.error),
            crate::numbers::short(l.noise),
            if l.side == Some("above") {
                "up"
            } else {
                "down"
            },
        )
    })
}

/// The error for a forecast that is not a positive loss (`loss` at
/// `step`): the law was extrapolated past where it holds. The log law,
/// L = a - b ln t, reaches 0 at t = exp(a / b): said. `default_step`: the
/// step was not asked for (the curve's last step), so the method is named
/// rather than --at.
pub(super) fn not_positive(
    out: &ForecastOutput,
    step: f64,
    loss: f64,
    default_step: bool,
) -> Error {
    let num = crate::numbers::num;
    let zero = match (out.params.by_name("a"), out.params.by_name("b")) {
        (Some(&a), Some(&b)) if out.method == CurveLaw::Log.name() && b > 0.0 => {
            Some((a / b).exp()).filter(|z| z.is_finite())
        }
        _ => None,
    };
    let message = match zero {
        Some(z) => format!(
            "the log law fitted on the window (L = {} - {} ln t) reaches 0 at step {}: its \
             forecast at step {} is {} (a loss is > 0); forecast before step {}, or use a law \
             that stays above 0 (reciprocal, power)",
            num(out.params.value("a")),
            num(out.params.value("b")),
            num(z),
            num(step),
            num(loss),
            num(z)
        ),
        None => format!(
            "the {} law's forecast at step {} is {} (a loss is > 0): the law does not hold that \
             far from its window; forecast nearer to it, or use another law",
            out.method,
            num(step),
            num(loss)
        ),
    };
    Error::setting(
        if default_step {
            crate::error::Setting::Method
        } else {
            crate::error::Setting::ForecastAt
        },
        message,
    )
}

/// The warning of a law of the step alone (`method`, named or auto's
/// choice) forecasting past a window after which the learning rate still
/// decays (`d`): the forecast ignores the decay; what the intervals of `o`
/// do about it, when it has any. `moved`: `auto`'s forecast beyond the
/// window was moved by the decay prior's median (`step_only_moved`), the
/// law's own (unmoved) forecast at the last forecast step.
pub(super) fn ignores_decay(
    d: &WindowDecay,
    method: CurveLaw,
    o: &ForecastOutput,
    auto: bool,
    moved: Option<&Point>,
) -> String {
    let intervals = if o.interval_kind.is_none() {
        String::new()
    } else if o.decay_term.is_some() {
        " (the intervals are widened to cover the decay's effect as a prior learned on other schedules' curves gives it)".to_string()
    } else {
        " (the intervals cover that law's own extrapolation error, not the decay's effect)"
            .to_string()
    };
    if let (true, Some(p)) = (auto, moved) {
        format!(
            "{}; auto uses {}, a law of the step alone that ignores the coming decay: beyond the window its forecast is moved by the median effect of the decay ahead on other schedules' curves, as a schedule-aware law's on such a window (the law's own at step {}: {:.4}); a run whose annealing lowers its loss more ends lower{intervals}. Fit on a window that includes part of the decay to use the schedule",
            d.describe(),
            method.name(),
            crate::numbers::num(p.step),
            p.loss,
        )
    } else if auto {
        format!(
            "{}; auto uses {}, a law of the step alone that ignores the coming decay: expect the loss to end lower than forecast{intervals}. Fit on a window that includes part of the decay to use the schedule",
            d.describe(),
            method.name(),
        )
    } else {
        format!(
            "the learning rate decays by {:.0}% of its peak by the forecast step but only by {:.0}% inside the fitted window; {} is a law of the step alone that ignores the coming decay: expect the loss to end lower than forecast{intervals}. A schedule-aware law (tissue, multipower) fitted on a window that includes part of the decay uses the schedule",
            100.0 * d.forecast,
            100.0 * d.window,
            method.name(),
        )
    }
}

/// The fitted points of the curve `ext` (its first `k`, with a loss) at
/// which the checks of what the window pins evaluate the law: every one up
/// to [`crate::forecast::MAX_FIT_POINTS`], beyond that as many spread
/// evenly, the last included (a long log's window moves smoothly from one
/// point to the next; evaluating the law at each of 20,000 points, tens of
/// times per check, had made a long multi-power forecast twice as slow).
fn window_points(ext: &Curve, k: usize) -> Vec<(usize, usize)> {
    let all: Vec<usize> = (0..k.min(ext.len()))
        .filter(|&i| !ext.loss[i].is_nan())
        .collect();
    let cap = crate::forecast::MAX_FIT_POINTS;
    if all.len() <= cap {
        return all.into_iter().map(|i| (0, i)).collect();
    }
    let n = all.len();
    (0..cap)
        .map(|j| all[(j * (n - 1)) / (cap - 1)])
        .map(|i| (0, i))
        .collect()
}

/// Parameters of the fitted law that change neither a fitted point nor a
/// forecast: each moved both ways by a step of its own size in the search's
/// units (0.1 or a tenth of its value, whichever is larger; in ln for a
/// log-scaled one), the law at the window's points and at up to 64 points
/// of the curve after it (its last included) stays the same to 1e-12.
/// A schedule-aware law on a rate that never decays up to the forecast has
/// such parameters: its annealing terms are 0 wherever it is evaluated, and
/// the values reported for them are where the search left them.
pub(super) fn unused_params(f: &crate::forecast::Fitted, ext: &Curve, k: usize) -> Vec<String> {
    let mut at = window_points(ext, k);
    let (from, n) = (k.min(ext.len()), ext.len());
    if n > from {
        let m = (n - from).min(64);
        at.extend((0..m).map(|j| (0, from + j * (n - 1 - from) / (m - 1).max(1))));
    }
    let u = f.law.to_internal(&f.params);
    let base = f.predict_many(&at, std::slice::from_ref(&f.params));
    let same = |v: &[f64]| {
        let moved = f.predict_many(&at, &[f.law.to_natural(v)]);
        moved
            .iter()
            .zip(&base)
            .all(|(a, b)| a.is_finite() && (a - b).abs() <= 1e-12 * b.abs().max(1e-300))
    };
    f.law
        .params
        .iter()
        .enumerate()
        .filter(|&(j, _)| {
            let step = (0.1 * u[j].abs()).max(0.1);
            [step, -step].iter().all(|d| {
                let mut v = u.clone();
                v[j] += d;
                same(&v)
            })
        })
        .map(|(_, p)| p.name.clone())
        .collect()
}

/// How the warning of [`follows_unpinned`] begins.
pub(super) const FOLLOWS_UNPINNED: &str = "the forecast at step";

/// Where the forecast at the curve's last step follows a direction the
/// fitted window does not pin (`identify::unpinned_shift`): a warning
/// naming the parameters and how far a step along it moves the forecast.
pub(super) fn follows_unpinned(
    f: &crate::forecast::Fitted,
    ext: &Curve,
    k: usize,
) -> Option<String> {
    let fitted = window_points(ext, k);
    let last = ext.len().checked_sub(1)?;
    let u = f.law.to_internal(&f.params);
    let (lo, hi) = f.result().search_bounds();
    let (shift, names) = crate::identify::unpinned_shift(
        &f.law,
        &u,
        (&lo, &hi),
        &f.result().identifiability,
        |v| f.predict_many(&fitted, &[f.law.to_natural(v)]),
        |v| f.predict_with(0, last, &f.law.to_natural(v)),
    )?;
    Some(format!(
        "{FOLLOWS_UNPINNED} {} follows {}, which the fitted window does not pin: moving {} along a direction the window does not see moves it by up to {} and the fitted points by less than a tenth of that",
        crate::numbers::num(ext.step[last]),
        names.join(", "),
        if names.len() == 1 { "it" } else { "them" },
        crate::identify::shift_text(shift),
    ))
}

/// Parameters the fit left at a bound of their range, when the forecast
/// depends on them: the bounds the search had (`FitResult::at_bounds`; a
/// scale-free search's bounds follow the loss's unit, the law's nominal
/// ones do not), an annealing parameter only where the decay matters, any
/// other only where the forecast at the curve `ext`'s last step follows the
/// parameter past its bound ([`follows_past_bound`]; the first `k` points
/// fitted) — or, on the floor of a log scale, as about 0 ([`zero_warning`]).
pub(super) fn at_bounds(
    f: &crate::forecast::Fitted,
    ext: &Curve,
    k: usize,
    decay_matters: bool,
) -> Vec<String> {
    let annealing = annealing_params(f.method);
    let hit = &f.result().at_bounds;
    f.law
        .params
        .iter()
        .enumerate()
        .filter(|(_, p)| decay_matters || !annealing.contains(&p.name.as_str()))
        .filter(|(_, p)| hit.contains(&p.name))
        .filter_map(|(j, p)| {
            // (an annealing parameter where the decay matters: named as
            // before, in the warning on the annealing terms when the
            // window does not pin them)
            if annealing.contains(&p.name.as_str()) || follows_past_bound(f, ext, k, j) {
                Some(bound_warning(&p.name))
            } else {
                about_zero(f, j).then(|| zero_warning(&p.name))
            }
        })
        .collect()
}

/// Whether parameter `j` is a log-scaled one on the lower bound of the
/// search (a value of about 0: a loss floor of a curve that shows none).
fn about_zero(f: &crate::forecast::Fitted, j: usize) -> bool {
    let (lo, _) = f.result().search_bounds();
    let u = f.law.to_internal(&f.params);
    matches!(f.law.params[j].transform, crate::law::Transform::Log)
        && (u[j] - lo[j]).abs() <= 1e-6 * (1.0 + lo[j].abs())
}

/// The note on a parameter the fit left on the floor of a log scale (about
/// 0) where the forecast does not follow it past that bound.
pub(super) fn zero_warning(name: &str) -> String {
    format!(
        "parameter {name} is at a bound of its range, about 0: the window shows no such term (for a loss floor: no floor), and the forecast is the law's without it"
    )
}

/// Whether the forecast at the curve `ext`'s last step follows parameter
/// `j` (at a bound) past that bound: a step of 0.01 in its internal value,
/// the other parameters moving to keep the fitted points' (the first `k`)
/// ln predictions in place as well as they can (least squares on finite
/// differences), changes ln(forecast) by more than 1e-4 — the test of
/// `analysis::depends_on`, with that compensation. A ratio the window pins
/// while both its terms run off together (the reciprocal law's a and b far
/// above the window's scale: a / (1 + b t) ~ (a / b) / t) does not; a
/// parameter whose move the window cannot absorb, or that moves the
/// forecast along a direction the window does not see, does. True when the
/// compensation cannot be computed (the warning stays).
pub(super) fn follows_past_bound(
    f: &crate::forecast::Fitted,
    ext: &Curve,
    k: usize,
    j: usize,
) -> bool {
    let fitted = window_points(ext, k);
    let Some(last) = ext.len().checked_sub(1) else {
        return true;
    };
    let u = f.law.to_internal(&f.params);
    let p = u.len();
    let ln_at = |v: &[f64]| -> (Vec<f64>, f64) {
        let nat = f.law.to_natural(v);
        let w = f.predict_many(&fitted, std::slice::from_ref(&nat));
        (
            w.iter().map(|x| x.ln()).collect(),
            f.predict_with(0, last, &nat).ln(),
        )
    };
    let (w0, t0) = ln_at(&u);
    const H: f64 = 1e-5;
    // columns of the window's Jacobian (ln units) and the forecast's gradient
    let mut cols: Vec<Vec<f64>> = Vec::with_capacity(p);
    let mut grad = Vec::with_capacity(p);
    for i in 0..p {
        let mut v = u.clone();
        v[i] += H;
        let (w, t) = ln_at(&v);
        cols.push(w.iter().zip(&w0).map(|(a, b)| (a - b) / H).collect());
        grad.push((t - t0) / H);
    }
    let finite = |x: &f64| x.is_finite();
    if !cols.iter().flatten().all(finite) || !grad.iter().all(finite) {
        return true;
    }
    let others: Vec<usize> = (0..p).filter(|&i| i != j).collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let m = others.len();
    let mut a = vec![0.0; m * m];
    let mut b = vec![0.0; m];
    for (r, &i) in others.iter().enumerate() {
        for (c, &l) in others.iter().enumerate() {
            a[r * m + c] = dot(&cols[i], &cols[l]);
        }
        b[r] = -dot(&cols[i], &cols[j]);
    }
    // a tiny ridge: directions the window does not see stay put
    let trace: f64 = (0..m).map(|r| a[r * m + r]).sum();
    let ridge = 1e-10 * (trace / m.max(1) as f64) + 1e-300;
    for r in 0..m {
        a[r * m + r] += ridge;
    }
    let d = if m == 0 {
        Some(vec![])
    } else {
        crate::linalg::solve(&a, &b)
    };
    let Some(d) = d else {
        return true;
    };
    let moved = grad[j]
        + others
            .iter()
            .zip(&d)
            .map(|(&i, di)| grad[i] * di)
            .sum::<f64>();
    // (a NaN move counts: the warning stays)
    (0.01 * moved.abs() <= 1e-4).not()
}

/// The parameters of a schedule-aware law's annealing terms (the decay's
/// effect), which a window before the decay does not pin.
pub(super) fn annealing_params(method: CurveLaw) -> &'static [&'static str] {
    match method {
        CurveLaw::MultiPower | CurveLaw::MultiPowerWarmup => &["B", "C", "beta", "gamma"],
        CurveLaw::Tissue => &["C"],
        _ => &[],
    }
}

/// The warning on a parameter the fit left at a bound of its range.
pub(super) fn bound_warning(name: &str) -> String {
    format!(
        "parameter {name} is at a bound of its range: the data do not pin it, and the forecast may follow the bound"
    )
}

/// Largest departure, as a share of the peak, between a given schedule's
/// shape and the logged rates' over the fitted rows before a warning: a
/// schedule written from the run's settings reproduces a logged rate to its
/// rounding; 3% leaves room for conventions (a warmup counted from step 0
/// or 1, a rate logged once per interval) and catches a mistyped setting
/// (probe53: a total of 48000 for 24000 departed 8.5% by step 7152).
pub const SCHEDULE_SHAPE_TOLERANCE: f64 = 0.03;

/// Largest relative difference between a given schedule's peak and the
/// logged rates' over the same rows before a warning.
pub const SCHEDULE_PEAK_TOLERANCE: f64 = 0.02;

/// A schedule given for a curve that logs its own learning rate, compared
/// with it over the fitted rows (step <= `until`): a warning when their
/// shapes (each rate divided by its largest over those rows) depart by
/// more than [`SCHEDULE_SHAPE_TOLERANCE`] of the peak, naming the step of
/// the largest departure, and one when the schedule's largest rate there
/// differs from the logged one by more than [`SCHEDULE_PEAK_TOLERANCE`].
pub fn schedule_vs_logged(
    curve: &Curve,
    schedule: &crate::forecast::Schedule,
    until: f64,
) -> Vec<String> {
    let Some(lr) = &curve.lr else {
        return vec![];
    };
    let rows: Vec<(f64, f64, f64)> = curve
        .step
        .iter()
        .zip(lr)
        .filter(|(&s, _)| s <= until)
        .map(|(&s, &l)| (s, l, schedule.at(s)))
        .collect();
    let logged_peak = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let given_peak = rows.iter().map(|r| r.2).fold(0.0, f64::max);
    if rows.is_empty() || logged_peak.is_nan() || logged_peak <= 0.0 || given_peak <= 0.0 {
        return vec![];
    }
    let mut out = vec![];
    let worst = rows
        .iter()
        .map(|&(s, l, g)| (s, l, g, (g / given_peak - l / logged_peak).abs()))
        .fold((0.0, 0.0, 0.0, -1.0), |a, b| if b.3 > a.3 { b } else { a });
    let n = rows.len();
    let range = format!(
        "the {n} fitted row{} with a logged rate (steps {} to {})",
        if n == 1 { "" } else { "s" },
        crate::numbers::num(rows[0].0),
        crate::numbers::num(rows[n - 1].0)
    );
    if worst.3 > SCHEDULE_SHAPE_TOLERANCE {
        out.push(format!(
            "the schedule given departs from the learning rate the file logs: over {range}, the two rates, each as a share of its largest there, differ by up to {:.1}% of the peak, at step {} (logged {}, {:.1}% of its largest; the schedule {}, {:.1}% of its), more than {:.0}%; the forecast uses the schedule — is a setting of it mistyped?",
            100.0 * worst.3,
            crate::numbers::num(worst.0),
            crate::numbers::short(worst.1),
            100.0 * worst.1 / logged_peak,
            crate::numbers::short(worst.2),
            100.0 * worst.2 / given_peak,
            100.0 * SCHEDULE_SHAPE_TOLERANCE
        ));
    }
    let ratio = given_peak / logged_peak;
    if (ratio - 1.0).abs() > SCHEDULE_PEAK_TOLERANCE {
        out.push(format!(
            "the schedule given peaks at {} over {range}, where the file's logged rate peaks at {} ({}x): the schedule-aware laws (tissue, multipower) read the rate's shape, not its scale, so a peak off by a constant factor does not change their forecast; but is it the schedule of this run?",
            crate::numbers::short(given_peak),
            crate::numbers::short(logged_peak),
            crate::numbers::short(ratio)
        ));
    }
    out
}

/// How many decades a schedule's settings may lie before a log's first
/// step (or past its last forecast step) before a warning: a unit slip
/// (steps in tokens, the schedule in optimizer steps) puts them 3 to 7
/// decades apart, a log that starts after the warmup a fraction of one.
pub const SCHEDULE_UNITS_DECADES: f64 = 1.0;

/// A schedule whose steps all lie more than [`SCHEDULE_UNITS_DECADES`]
/// before the log's first step, or after its last forecast step: the law
/// would read a constant rate over the whole log (the steps in other units?).
pub fn schedule_vs_steps(
    schedule: &crate::forecast::Schedule,
    first: f64,
    last: f64,
) -> Option<String> {
    use crate::forecast::schedule::Kind;
    let mut marks = vec![schedule.warmup];
    match schedule.kind {
        Kind::Constant => {}
        Kind::Cosine { total, .. } => marks.push(total),
        Kind::Wsd {
            decay_start, total, ..
        } => marks.extend([decay_start, total]),
        Kind::TwoStage { switch, .. } => marks.push(switch),
    }
    marks.retain(|m| m.is_finite() && *m > 0.0);
    let end = marks.iter().copied().fold(0.0, f64::max);
    let start = marks.iter().copied().fold(f64::INFINITY, f64::min);
    let far = 10f64.powf(SCHEDULE_UNITS_DECADES);
    let num = crate::numbers::num;
    if end > 0.0 && first > far * end {
        Some(format!(
            "the schedule ends at step {} but the log starts at step {} ({} later): the law reads \
             the schedule's final rate over the whole log. Are the log's steps in tokens or \
             samples and the schedule's in optimizer steps? Give both in the same units",
            num(end),
            num(first),
            crate::numbers::decades((first / end).log10())
        ))
    } else if start.is_finite() && last > 0.0 && start > far * last {
        Some(format!(
            "the schedule's first setting is at step {}, past the last step forecast ({}) by {}: \
             the law reads the schedule's start only. Is the schedule in tokens or samples and \
             the log in optimizer steps? Give both in the same units",
            num(start),
            num(last),
            crate::numbers::decades((start / last).log10())
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod units_tests {
    use super::schedule_vs_steps;
    use crate::forecast::Schedule;

    #[test]
    fn a_schedule_decades_before_or_after_the_log_is_a_unit_slip() {
        let s = Schedule::parse("cosine:peak=3e-4,final=3e-5,total=30000,warmup=2000").unwrap();
        let w = schedule_vs_steps(&s, 8.388608e9, 1.2582912e11).unwrap();
        assert!(
            w.starts_with("the schedule ends at step 30000 but the log starts at step 8.38861e9"),
            "{w}"
        );
        // A log from the warmup's end, in the schedule's units: nothing.
        assert!(schedule_vs_steps(&s, 2000.0, 30000.0).is_none());
        assert!(schedule_vs_steps(&s, 2100.0, 15000.0).is_none());
        let t = Schedule::parse("cosine:peak=3e-4,final=3e-5,total=1.2582912e11,warmup=8.388608e9")
            .unwrap();
        let w = schedule_vs_steps(&t, 2000.0, 30000.0).unwrap();
        assert!(w.contains("past the last step forecast (30000)"), "{w}");
    }
}
