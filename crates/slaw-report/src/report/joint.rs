//! Reports of `slaw joint`, `slaw methods` and `slaw allocate`.

use super::{num, Interface};
use slaw::allocate::AllocationReport;
use slaw::bootstrap::Interval;
use slaw::joint::decision::{Intervals, Recommendation};
use slaw::joint::{Form, JointFits};
use slaw::numbers::g6;
use std::fmt::Write;

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.4}")).unwrap_or_else(|| "-".into())
}

/// An exponent's interval, in the one number format ([`num`]).
fn interval_num(i: Option<Interval>) -> String {
    i.map(|i| format!("[{}, {}]", num(i.lo), num(i.hi)))
        .unwrap_or_else(|| "-".into())
}

fn interval(i: Option<Interval>) -> String {
    i.map(|i| format!("[{}, {}]", num(i.lo), num(i.hi)))
        .unwrap_or_else(|| "-".into())
}

/// `slaw joint`'s text: a warning per method that could not be fitted,
/// then each fitted method (a factor that could not be fitted is among its
/// warnings).
pub fn joint_report(j: &JointFits) -> String {
    let mut s = String::new();
    for k in j.skipped.iter().filter(|k| k.factor.is_none()) {
        let _ = writeln!(s, "warning: method '{}' not fitted: {}", k.method, k.reason);
    }
    if j.skipped.iter().any(|k| k.factor.is_none()) {
        s.push('\n');
    }
    for m in &j.fits {
        let _ = writeln!(s, "method {}", m.method);
        for (kind, n) in m.labelled_notes() {
            let _ = writeln!(s, "  {kind}: {n}");
        }
        for f in &m.forms {
            let shared: Vec<String> = f
                .shared
                .pairs()
                .map(|(k, v)| {
                    let value = match f.shared_std_errors.by_name(k).copied().flatten() {
                        Some(se) => format!("{k}={} +/- {}", num(*v), num(se)),
                        None => format!("{k}={}", num(*v)),
                    };
                    match f
                        .shared_profile_intervals
                        .as_ref()
                        .and_then(|p| p.params.by_name(k).map(|i| (p.level, i)))
                    {
                        Some((level, i)) => format!(
                            "{value} ({} profile [{}{}, {}{}])",
                            slaw::numbers::percent(level),
                            num(i.lo),
                            if i.lo_open { " open" } else { "" },
                            num(i.hi),
                            if i.hi_open { " open" } else { "" }
                        ),
                        None => value,
                    }
                })
                .collect();
            let _ = writeln!(
                s,
                "  {:<14} {}   shared {} (from {}){}",
                f.form.name(),
                f.formula,
                shared.join(", "),
                f.shared_from.join(", "),
                if f.converged() { "" } else { "  NOT CONVERGED" }
            );
            let _ = writeln!(
                s,
                "    {:<20} {:>12} {:>8} {:>6} {:>8} {:>6} {:>8}",
                "factor", "A", "alpha", "n fit", "MAD fit", "n held", "MAD held"
            );
            for ff in &f.factors {
                let _ = writeln!(
                    s,
                    "    {:<20} {:>12} {:>8.4} {:>6} {:>8.4} {:>6} {:>8}{}",
                    format!("{}{}", ff.factor, if ff.pet { " (PET)" } else { "" }),
                    num(ff.a()),
                    ff.alpha(),
                    ff.n_fit,
                    ff.mad_fit,
                    ff.n_held,
                    opt(ff.mad_held),
                    if ff.converged { "" } else { "  NOT CONVERGED" }
                );
            }
        }
        let (mu, ad) = (m.form(Form::Multiplicative), m.form(Form::Additive));
        let verdict = match &m.held_out {
            Some(c) => match c.better {
                Some(f) => format!(
                    "the {} law generalizes better (run by run, by {} +/- {} over {} held-out \
                     runs)",
                    f.name(),
                    num(c.mean_difference.abs()),
                    num(c.std_error),
                    c.n
                ),
                None => format!(
                    "no difference: the laws' held-out errors differ by {} +/- {} run by run over \
                     {} runs, within twice the standard error",
                    num(c.mean_difference.abs()),
                    num(c.std_error),
                    c.n
                ),
            },
            None => "no held-out runs to compare the laws on".to_string(),
        };
        let _ = writeln!(
            s,
            "  MAD fit / held-out: multiplicative {} / {}, additive {} / {}: {verdict}\n",
            opt(Some(mu.mad_fit)),
            opt(mu.mad_held),
            opt(Some(ad.mad_fit)),
            opt(ad.mad_held)
        );
    }
    // What the +/- and the profile intervals are, once: a +/- alone reads
    // as an interval, and E's under-covers on small designs.
    let any_se = j.fits.iter().any(|m| {
        m.held_out.is_some()
            || m.forms.iter().any(|f| {
                f.shared
                    .pairs()
                    .any(|(k, _)| f.shared_std_errors.by_name(k).copied().flatten().is_some())
            })
    });
    if any_se {
        let _ = writeln!(s, "{JOINT_LEGEND}");
    }
    s
}

/// The legend of `slaw joint`'s +/- and profile intervals, with what they
/// were measured to cover (BENCHMARKS.md, "The shared E's interval on small
/// designs").
pub const JOINT_LEGEND: &str = "(+/-: standard errors: a shared parameter's from the stage-one fit (linearised at its optimum), the held-out comparison's of the mean run-by-run difference; profile: a shared parameter's profile-likelihood interval at the level it names. On runs drawn from the law on small designs (4x4, 4x5, 3x6 and 5x7 runs per method) E's profile interval at 95% held the true E in 93-98% of seeds, +-1.96 of its standard errors in only 37-96%: read E by its profile interval)";

/// The measured coverage of the bootstrap intervals, one clause
/// (BENCHMARKS.md, "Joint laws: coverage of `slaw methods` intervals").
pub const COVERAGE_BOOTSTRAP: &str = "measured on runs of the published En-De law, 200 noise seeds: 95% intervals cover the law's value 95-97% when the law is right, inside or beyond the runs, but 16-61% beyond the runs of an additive law and 72% 100x below the D_f of a rectified one (BENCHMARKS.md)";
/// The measured coverage of the predictive intervals, one clause.
pub const COVERAGE_PREDICTIVE: &str = "measured on runs of the published En-De law, 200 noise seeds: beyond the runs, 95% intervals cover the law's value 97-99% when the law is right (80% ones 89-95%: still wide) and 84-100% when it is misspecified (80% ones 47-77% for an additive law); inside the runs it is the bootstrap (BENCHMARKS.md)";

/// "1 of 200 prompt replicates failed" for each of `methods` some of whose
/// bootstrap replicates failed (did not converge or gave no loss), joined;
/// None when none failed.
fn failed_replicates(r: &Recommendation, methods: &[&str]) -> Option<String> {
    let parts: Vec<String> = r
        .predictions
        .iter()
        .filter(|p| methods.contains(&p.method.as_str()) && p.replicates < p.replicates_drawn)
        .map(|p| {
            let failed = p.replicates_drawn - p.replicates;
            format!(
                "{failed} of {} {} {} failed",
                p.replicates_drawn,
                p.method,
                slaw::numbers::plural(p.replicates_drawn, "replicate")
            )
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// "bootstrap: each replicate resamples every method's fitting runs (with
/// replacement, within each factor): lora 9, prompt 9, fmt 9 runs" (with
/// several factors each method's count per factor: "lora 24 (model_size 8,
/// pretrain_tokens 8, prompt_len 8)"); None without a bootstrap.
fn resampled_runs(r: &Recommendation) -> Option<String> {
    let per: Vec<String> = r
        .predictions
        .iter()
        .filter(|p| !p.bootstrap_runs.is_empty())
        .map(|p| {
            let total: usize = p.bootstrap_runs.iter().map(|f| f.runs).sum();
            match p.bootstrap_runs.as_slice() {
                [_] => format!("{} {total}", p.method),
                several => format!(
                    "{} {total} ({})",
                    p.method,
                    several
                        .iter()
                        .map(|f| format!("{} {}", f.factor, f.runs))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        })
        .collect();
    (!per.is_empty()).then(|| {
        format!(
            "bootstrap: each replicate resamples every method's fitting runs (with replacement, \
             within each factor): {} runs",
            per.join(", ")
        )
    })
}

/// `slaw joint`'s whole text: what reading the runs assumed (`notes`, a
/// `note:` line each), then [`joint_report`].
pub fn joint_text(notes: &[String], j: &JointFits) -> String {
    let mut s = String::new();
    for n in notes {
        let _ = writeln!(s, "note: {n}");
    }
    s + &joint_report(j)
}

/// `slaw methods`' report (the command line's words for its options).
pub fn methods_report(r: &Recommendation) -> String {
    methods_report_in(r, Interface::Cli)
}

/// `slaw methods`' whole text in `iface`'s words: [`methods_report_in`],
/// then the warnings of the form used (the setting's own are in the report),
/// the option that switches the form where the held-out comparison favours
/// the other, and the notes.
pub fn methods_text(r: &Recommendation, iface: Interface) -> String {
    let mut s = methods_report_in(r, iface);
    for w in r
        .warnings
        .iter()
        .filter(|w| !r.setting_warnings.contains(w))
    {
        let _ = writeln!(s, "warning: {w}");
    }
    if !r.other_form_better.is_empty() {
        let other = Form::BOTH
            .into_iter()
            .find(|&f| f != r.form)
            .unwrap_or(r.form);
        let _ = writeln!(
            s,
            "  (to predict with the {} law: {})",
            other.name(),
            iface.option("form", other.name())
        );
    }
    for n in &r.info {
        let _ = writeln!(s, "note: {n}");
    }
    s
}

/// `slaw methods`' report: the predictions, the recommendation, the
/// critical data sizes; options named in `iface`'s words. A fine-tuning
/// data size D_f (the setting's, the runs' span, a crossing and its
/// interval) reads to 6 significant digits ([`g6`]: 20253.9, 254595,
/// 2.97877e6), not [`num`]'s 6 decimals, which are for losses.
pub fn methods_report_in(r: &Recommendation, iface: Interface) -> String {
    let mut s = String::new();
    let st = &r.setting;
    let _ = writeln!(
        s,
        "setting: {} = {}, fine-tuning data D_f = {} ({} law)",
        st.factor,
        num(st.x),
        g6(st.d),
        r.form.name()
    );
    // The method column as wide as its longest name (probe48 9a: "Switch
    // Transformer" pushed its row out of line).
    let w = r
        .predictions
        .iter()
        .map(|p| p.method.chars().count())
        .max()
        .unwrap_or(0)
        .max(16);
    let _ = writeln!(
        s,
        "{:<w$} {:>12} {:>24}",
        "method",
        "loss",
        match r.intervals {
            Intervals::Bootstrap => format!("{} refit bootstrap", slaw::numbers::percent(r.level)),
            Intervals::Predictive => format!("{} predictive", slaw::numbers::percent(r.level)),
        }
    );
    // The loss and its interval: one quantity, one format.
    let col = slaw::numbers::Column::of(r.predictions.iter().flat_map(|p| {
        std::iter::once(p.predicted_loss).chain(p.interval.into_iter().flat_map(|i| [i.lo, i.hi]))
    }));
    for p in &r.predictions {
        let _ = writeln!(
            s,
            "{:<w$} {:>12} {:>24}",
            p.method,
            col.fmt(p.predicted_loss),
            p.interval
                .map(|i| format!("[{}, {}]", col.fmt(i.lo), col.fmt(i.hi)))
                .unwrap_or_else(|| "-".into())
        );
    }
    if r.predictions.iter().any(|p| p.interval.is_some()) {
        match r.intervals {
            Intervals::Bootstrap => {
                let _ = writeln!(
                    s,
                    "intervals: percentiles of a bootstrap of the runs (resampled within each \
                     factor, both stages refitted): the noise of the fit's parameters only, not \
                     the error of extrapolating the law ({COVERAGE_BOOTSTRAP}; \
                     {} adds that error)",
                    iface.option("intervals", "predictive")
                );
            }
            Intervals::Predictive => {
                let _ = writeln!(
                    s,
                    "intervals: meant to cover the law's mean loss at the setting: the bootstrap \
                     of the runs widened by the law's own extrapolation error on its held-out \
                     runs beyond their noise (per ln unit beyond the fitting runs, each \
                     direction its own) times the setting's distance beyond them \
                     ({COVERAGE_PREDICTIVE})"
                );
                for p in &r.predictions {
                    let f =
                        |v: Option<f64>| v.map_or_else(|| "-".to_string(), |e| format!("{e:.4}"));
                    let rates = p.extrapolation_rates;
                    let _ = writeln!(
                        s,
                        "  {}: {:.2} ln units beyond the fitting runs; held-out error beyond the \
                         noise, in ln L per ln unit: {} above the runs in X, {} below in X, {} \
                         above in D_f, {} below in D_f, {} pooled (used where a direction shows -: \
                         no run held out in it)",
                        p.method,
                        p.extrapolation_distance,
                        f(rates.and_then(|r| r.x_above)),
                        f(rates.and_then(|r| r.x_below)),
                        f(rates.and_then(|r| r.d_above)),
                        f(rates.and_then(|r| r.d_below)),
                        f(p.extrapolation_error_rate)
                    );
                }
            }
        }
    }
    if let Some(line) = resampled_runs(r) {
        let _ = writeln!(s, "{line}");
    }
    let all: Vec<&str> = r.predictions.iter().map(|p| p.method.as_str()).collect();
    if let (Some(f), true) = (
        failed_replicates(r, &all),
        r.predictions.iter().any(|p| p.interval.is_some()),
    ) {
        let _ = writeln!(
            s,
            "bootstrap: {f} (the refit did not converge or gave no loss at the setting): the \
             intervals and the crossings' replicate pairs use the replicates that converged"
        );
    }
    let _ = writeln!(
        s,
        "\nrecommended: {}{}",
        r.recommended,
        if (r.predictions[1].predicted_loss / r.predictions[0].predicted_loss - 1.0).abs() <= 1e-12
        {
            format!(
                " (tied with {}: equal predicted losses, the data do not separate them)",
                r.predictions[1].method
            )
        } else if r.predictions[0].interval.is_none()
            && r.predictions[0].bootstrap_interval.is_some()
        {
            " (no predictive interval: no held-out run outside the fitting runs to measure \
             the extrapolation error on)"
                .to_string()
        } else if r.predictions[0].interval.is_none() && r.predictions[0].replicates > 0 {
            " (no interval: too few bootstrap replicates converged to compare the methods)"
                .to_string()
        } else if r.predictions[0].interval.is_none() {
            format!(
                " (no bootstrap: run with {} for intervals)",
                iface.option("bootstrap", "N")
            )
        } else if r.separated {
            " (its interval lies below every other method's)".to_string()
        } else {
            format!(
                " (intervals overlap with {}: the data do not separate them at this setting)",
                r.predictions[1].method
            )
        }
    );
    // A setting far outside the runs undermines the recommendation: said
    // right under it, not after the crossings.
    for w in &r.setting_warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    let _ = writeln!(
        s,
        "\ncritical fine-tuning data size (where two methods' losses cross, D_f in [{}, {}]):",
        g6(r.d_range.0),
        g6(r.d_range.1)
    );
    // A crossing outside the runs' D_f (or at an X outside theirs) is the
    // laws extrapolated, not something the runs showed: marked.
    let ((xlo, xhi), (dlo, dhi)) = (r.runs_x, r.runs_d);
    // At X = `x`: outside the runs' D_f or their X (as the plot dashes it).
    let mark = |x: f64, d: f64| {
        if !r.within_runs_d(d) || !r.within_runs_x(x) {
            format!("{} (outside the runs)", g6(d))
        } else {
            g6(d)
        }
    };
    let _ =
        writeln!(
        s,
        "  (the runs span {} in [{}, {}] and D_f in [{}, {}]; a crossing outside them is the laws \
         extrapolated, not measured{})",
        st.factor,
        num(xlo),
        num(xhi),
        g6(dlo),
        g6(dhi),
        if !r.within_runs_x(st.x) {
            format!("; the setting's {} = {} is outside them too", st.factor, num(st.x))
        } else {
            String::new()
        }
    );
    for c in &r.critical {
        let at = if c.coincide {
            "no crossing: the two methods' losses are equal over the whole range".to_string()
        } else if c.at_setting.is_empty() {
            "no crossing".to_string()
        } else {
            c.at_setting
                .iter()
                .map(|d| mark(st.x, *d))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let of_mult = if r.form == Form::Multiplicative {
            ""
        } else {
            " (of the multiplicative fits, not the additive law's crossings)"
        };
        // Valid (exact, or the laws cross within 2x of D_c at the
        // setting): a usable approximation; otherwise it approximates no
        // crossing and is printed as not valid.
        let cf = c
            .closed_form
            .map(|cf| {
                if cf.valid {
                    format!(
                        "; closed form D_c = H X^gamma{of_mult}, H = {}, gamma = {:.4}{}",
                        num(cf.h),
                        cf.gamma,
                        if cf.exact {
                            String::new()
                        } else {
                            format!(
                                " (E differ by {}: approximate, the laws cross within a factor \
                                 2 of it here)",
                                num(cf.e_difference.abs())
                            )
                        }
                    )
                } else {
                    format!(
                        "; closed form not valid here: E differ by {} (D_c = H X^gamma{of_mult}, \
                         H = {}, gamma = {:.4}, gives {} at {} = {}, where the laws do not cross \
                         within a factor 2; the numeric crossing above is the answer)",
                        num(cf.e_difference.abs()),
                        num(cf.h),
                        cf.gamma,
                        g6(cf.at(st.x)),
                        st.factor,
                        num(st.x)
                    )
                }
            })
            .unwrap_or_default();
        // The curve's factor values, one column format (not 8000000000
        // above 5.00000e7); the setting's, in its sentence, as the setting
        // line prints it (`num`: 8, not 8.000000).
        let col = slaw::numbers::Column::of(c.curve.iter().step_by(6).map(|(x, _)| *x));
        // The bootstrap of the crossing: percentiles of the replicate
        // pairs' crossings, the pairs without one counted.
        let iv = c
            .at_setting_interval
            .map(|ci| {
                let pairs = ci.with_crossing + ci.without_crossing;
                if !ci.too_few_converged && ci.is_mostly_without(r.level) {
                    // the range of those that cross is no interval at the
                    // level of the crossing: said as what it is
                    return format!(
                        " (no crossing in {} of {pairs} replicate pairs{}: no {} interval{})",
                        ci.without_crossing,
                        failed_replicates(r, &[&c.methods.0, &c.methods.1])
                            .map(|f| format!(" ({f})"))
                            .unwrap_or_default(),
                        slaw::numbers::percent(r.level),
                        ci.crossing_range_of_replicates_that_cross
                            .map(|i| format!(
                                "; the {} that cross: {}-{}",
                                ci.with_crossing,
                                g6(i.lo),
                                g6(i.hi)
                            ))
                            .unwrap_or_default()
                    );
                }
                let failed = failed_replicates(r, &[&c.methods.0, &c.methods.1])
                    .map(|f| format!("; {f}"))
                    .unwrap_or_default();
                format!(
                    " ({}; {} of {pairs} replicate pairs without a crossing{failed})",
                    ci.interval.map_or_else(
                        || {
                            if ci.too_few_converged {
                                "too few bootstrap replicates converged for an interval".to_string()
                            } else {
                                "too few replicates crossing for an interval".to_string()
                            }
                        },
                        |i| format!(
                            "{} bootstrap [{}, {}]",
                            slaw::numbers::percent(r.level),
                            g6(i.lo),
                            g6(i.hi)
                        )
                    ),
                    ci.without_crossing
                )
            })
            .unwrap_or_default();
        // Which method is lower on each side of the crossings (the point
        // of a critical data size).
        let sides = match (c.lower_between.as_slice(), c.at_setting.as_slice()) {
            ([below, above], [_]) => format!("; {below} below it, {above} above"),
            (l, [_, ..]) if !l.is_empty() => {
                let mut parts = vec![format!("{} below {}", l[0], g6(c.at_setting[0]))];
                for (k, m) in l.iter().enumerate().skip(1) {
                    parts.push(format!("{m} above {}", g6(c.at_setting[k - 1])));
                }
                format!("; lower: {}", parts.join(", "))
            }
            ([only], []) if !c.coincide => format!("; {only} lower over the whole range"),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "  {} vs {}: at {} = {}: {at}{sides}{iv}{cf}",
            c.methods.0,
            c.methods.1,
            st.factor,
            num(st.x)
        );
        for (x, ds) in c.curve.iter().step_by(6) {
            let _ = writeln!(
                s,
                "      {} = {:>12}: {}",
                st.factor,
                col.fmt(*x),
                if ds.is_empty() {
                    "-".to_string()
                } else {
                    ds.iter()
                        .map(|d| mark(*x, *d))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
        }
    }
    s
}

pub fn allocation_report(r: &AllocationReport) -> String {
    let mut s = String::new();
    let l = &r.law;
    let _ = writeln!(
        s,
        "law: L = E + A/N^alpha + B/D^beta with A={} alpha={} B={} beta={} E={}",
        num(l.a),
        num(l.alpha),
        num(l.b),
        num(l.beta),
        num(l.e)
    );
    if let Some(f) = &r.fit {
        let _ = writeln!(
            s,
            "fit: {} runs, objective {:.7} (Huber on ln L), {} starts, {}",
            f.points,
            f.objective,
            f.n_starts,
            if f.converged {
                "converged"
            } else {
                "NOT CONVERGED"
            }
        );
        for w in &f.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
    }
    if let Some(b) = &r.bootstrap {
        let p: Vec<String> = b
            .intervals
            .pairs()
            .map(|(n, i)| {
                if r.undetermined(&[n]) {
                    format!("{n} not determined")
                } else {
                    format!("{n} {}", interval(Some(*i)))
                }
            })
            .collect();
        let _ = writeln!(
            s,
            "bootstrap: {} of {} replicates converged; {} intervals: {}",
            b.converged,
            b.replicates,
            slaw::numbers::percent(b.level),
            p.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "N_opt grows as C^a with a = beta/(alpha+beta) = {:.4}{}; D_opt as C^(1-a)",
        r.exponent_n,
        match r.exponent_n_interval {
            Some(i) => format!(" [{:.4}, {:.4}]", i.lo, i.hi),
            None if r.undetermined(&["alpha", "beta"]) => " [not determined]".into(),
            None => String::new(),
        }
    );
    for w in &r.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    let _ = writeln!(s);
    // The intervals' level (the bootstrap's); a table without intervals
    // has no interval columns.
    let level = r.bootstrap.as_ref().map(|b| b.level);
    // An interval the data do not determine (unpinned parameters) says so.
    let none = if r.undetermined_by.is_empty() {
        ""
    } else {
        "not determined"
    };
    let iv = |i: Option<Interval>, f: &dyn Fn(f64) -> String| {
        i.map(|i| format!("[{}, {}]", f(i.lo), f(i.hi)))
            .unwrap_or_else(|| none.to_string())
    };
    // Every number of the table in the one format of the reports
    // ([`num`]), but D/N, a ratio, to 6 significant digits ([`g6`]: 20.3
    // tokens per parameter, 48.9671, or 0.0214 with N in millions and D in
    // billions), not to 6 decimals.
    match level {
        Some(level) => {
            let h = format!("{} interval", slaw::numbers::percent(level));
            let _ = writeln!(
                s,
                "{:>12} {:>11} {:>25} {:>11} {:>25} {:>12} {:>11} {:>23}",
                "C=6ND FLOPs", "N_opt", h, "D_opt", h, "D/N", "loss", h
            );
        }
        None => {
            let _ = writeln!(
                s,
                "{:>12} {:>11} {:>11} {:>12} {:>11}",
                "C=6ND FLOPs", "N_opt", "D_opt", "D/N", "loss"
            );
        }
    }
    for a in &r.rows {
        let ex = if a.extrapolated { "  (extrap.)" } else { "" };
        let c = slaw::numbers::sci(a.compute);
        let _ = if level.is_some() {
            writeln!(
                s,
                "{:>12} {:>11} {:>25} {:>11} {:>25} {:>12} {:>11} {:>23}{ex}",
                c,
                num(a.n_opt),
                iv(a.n_interval, &num),
                num(a.d_opt),
                iv(a.d_interval, &num),
                g6(a.tokens_per_param),
                num(a.loss),
                iv(a.loss_interval, &num),
            )
        } else {
            writeln!(
                s,
                "{:>12} {:>11} {:>11} {:>12} {:>11}{ex}",
                c,
                num(a.n_opt),
                num(a.d_opt),
                g6(a.tokens_per_param),
                num(a.loss),
            )
        };
    }
    s
}

/// What the intervals of `allocation_methods_report` are: level and kind
/// per method (None when no method has intervals).
fn methods_interval_legend(g: &slaw::allocate::methods::GroupAllocation) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(b) = g.parametric.as_ref().and_then(|p| p.bootstrap.as_ref()) {
        parts.push(format!(
            "parametric {} percentile bootstrap ({} of {} refits of the law on resampled runs)",
            slaw::numbers::percent(b.level),
            b.converged,
            b.replicates
        ));
    }
    for (name, r) in [("isoflop", &g.isoflop), ("envelope", &g.envelope)] {
        if let Some(r) = r.as_ref().filter(|r| r.replicates > 0) {
            // Isoflop's replicates also vary the window of sizes: their
            // interval is widened to reach the estimate (`Profile::interval`).
            let reach = if r.method == slaw::allocate::isoflop::Profile::Isoflop {
                ", widened to reach the estimate where it lies outside"
            } else {
                ""
            };
            // Replicates drawn but too few had a minimum anywhere: no
            // interval was given, and the legend says so rather than name
            // a bootstrap behind intervals that are not there.
            let any = r.exponent_n_interval.is_some()
                || r.exponent_d_interval.is_some()
                || r.budgets.iter().any(|b| b.n_interval.is_some())
                || r.rows
                    .iter()
                    .any(|w| w.n_interval.is_some() || w.d_interval.is_some());
            if !any {
                parts.push(format!(
                    "{name} none (too few bootstrap replicates had a minimum for any interval: each budget's line says how many)"
                ));
                continue;
            }
            parts.push(format!(
                "{name} {} percentile bootstrap ({} replicates, each budget's runs resampled{reach})",
                slaw::numbers::percent(r.level),
                r.replicates
            ));
        }
    }
    (!parts.is_empty()).then(|| format!("intervals: {}", parts.join("; ")))
}

/// One method's allocation at a budget, as the `--method all` tables
/// print it.
struct Cell {
    n: f64,
    n_iv: Option<Interval>,
    d: f64,
    d_iv: Option<Interval>,
    /// Beyond 10x the measured compute.
    extrapolated: bool,
    /// The design check found the optimum not determined.
    not_determined: bool,
    /// The exponent's interval reaches 0 and the budget lies outside the
    /// fitted compute.
    growth_not_determined: bool,
}

impl Cell {
    /// A value, its interval and the row's marks: `[not determined]`
    /// (design), `?` (growth not determined), `(extrap.)`.
    fn text(&self, v: f64, iv: Option<Interval>) -> String {
        format!(
            "{}{}{}{}{}",
            num(v),
            if self.not_determined {
                " [not determined]"
            } else {
                ""
            },
            iv.map_or(String::new(), |i| format!(
                " [{}, {}]",
                num(i.lo),
                num(i.hi)
            )),
            if self.growth_not_determined { "?" } else { "" },
            if self.extrapolated { " (extrap.)" } else { "" }
        )
    }
}

/// The report of `slaw allocate --method isoflop|envelope|all` (and groups):
/// per group, the exponents side by side, each profile's budgets, the
/// allocation at the asked budgets by every method, and the disagreement.
/// A group the parametric method alone ran on (`--method parametric` with
/// `--group`, `--where` or `--best-per-size`) gets the report `slaw
/// allocate` prints without them ([`allocation_report`]: N_opt, D_opt, D/N
/// and the loss with their intervals, and the law), under its name.
pub fn allocation_methods_report(groups: &[slaw::allocate::methods::GroupAllocation]) -> String {
    allocation_methods_report_in(groups, Interface::Cli)
}

/// [`allocation_methods_report`] with the options it names in `iface`'s
/// words.
pub fn allocation_methods_report_in(
    groups: &[slaw::allocate::methods::GroupAllocation],
    iface: Interface,
) -> String {
    let mut s = String::new();
    for g in groups {
        if let (Some(p), None, None, true) =
            (&g.parametric, &g.isoflop, &g.envelope, g.failed.is_empty())
        {
            let mut text = allocation_report(p);
            // The group's own warnings (a FLOPs column that is not 6ND)
            // beside the law's.
            for w in g.warnings.iter().filter(|w| !p.warnings.contains(w)) {
                let _ = writeln!(text, "warning: {w}");
            }
            if g.group.is_empty() {
                s += &text;
            } else {
                let _ = writeln!(s, "group {}: {} runs", g.group, g.runs);
                for line in text.lines() {
                    let _ = if line.is_empty() {
                        writeln!(s)
                    } else {
                        writeln!(s, "  {line}")
                    };
                }
            }
            let _ = writeln!(s);
            continue;
        }
        let _ = writeln!(
            s,
            "{}{} runs",
            if g.group.is_empty() {
                String::new()
            } else {
                format!("group {}: ", g.group)
            },
            g.runs
        );
        let _ = writeln!(
            s,
            "  {:<11} {:>8} {:>22} {:>8} {:>22}  basis",
            "method", "a", "interval", "b", "interval"
        );
        if let Some(p) = &g.parametric {
            let _ = writeln!(
                s,
                "  {:<11} {:>8} {:>22} {:>8} {:>22}  law fit to {} runs{}",
                "parametric",
                num(p.exponent_n),
                interval_num(p.exponent_n_interval),
                num(1.0 - p.exponent_n),
                interval_num(p.exponent_n_interval.map(|i| Interval {
                    lo: 1.0 - i.hi,
                    hi: 1.0 - i.lo
                })),
                p.fit.as_ref().map_or(0, |f| f.points),
                p.fit
                    .as_ref()
                    .map_or("", |f| if f.converged { "" } else { " (NOT CONVERGED)" })
            );
            for w in p.fit.iter().flat_map(|f| &f.warnings) {
                let _ = writeln!(s, "  warning: parametric: {w}");
            }
        }
        for w in &g.warnings {
            let _ = writeln!(s, "  warning: {w}");
        }
        for (name, r) in [("isoflop", &g.isoflop), ("envelope", &g.envelope)] {
            if let Some(r) = r {
                let iv = |i: Option<Interval>| {
                    if r.design.not_determined || r.exponent_not_determined {
                        "not determined".to_string()
                    } else {
                        interval_num(i)
                    }
                };
                let _ = writeln!(
                    s,
                    "  {:<11} {:>8} {:>22} {:>8} {:>22}  {} of {} budgets, C {} .. {}",
                    name,
                    num(r.exponent_n),
                    iv(r.exponent_n_interval),
                    num(r.exponent_d),
                    iv(r.exponent_d_interval),
                    r.used,
                    r.budgets.len(),
                    num(r.compute_range.0),
                    num(r.compute_range.1)
                );
            }
        }
        for (m, why) in &g.failed {
            let _ = writeln!(s, "  {m}: could not run: {why}");
        }
        if let Some(d) = &g.disagreement {
            let _ = writeln!(
                s,
                "  the methods' exponents span {}{}{}",
                num(d.spread),
                if d.left_out.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} left out: its exponent is not determined, see the warning)",
                        d.left_out.join(" and ")
                    )
                },
                if d.beyond_intervals {
                    "; DISAGREE: some intervals do not overlap, the method choice matters more than the intervals say".to_string()
                } else if d.intervals_compared {
                    "; their intervals overlap".to_string()
                } else {
                    format!(
                        " (no intervals to compare it with: {}, too few replicates had an answer, or a method's are not determined)",
                        iface.option("bootstrap", "0")
                    )
                }
            );
        }
        if let Some(r) = &g.isoflop {
            // The figure draws every budget with 3 or more runs, those left
            // out hollow: its count differs from "used" (probe61: "24
            // budgets" beside "22 of 30").
            let drawn = r.budgets.iter().filter(|b| b.points.len() >= 3).count();
            let _ = writeln!(
                s,
                "  isoFLOP profiles ({} of {} budgets used{}):",
                r.used,
                r.budgets.len(),
                if drawn > r.used {
                    format!(
                        "; the isoflop figure draws the {drawn} with 3 or more runs, the {} of \
                         them left out hollow",
                        drawn - r.used
                    )
                } else {
                    String::new()
                }
            );
            for b in &r.budgets {
                let _ = writeln!(
                    s,
                    "    C {:>11}  {:>3} {:<4}  N* {}{}",
                    num(b.compute),
                    b.runs,
                    slaw::numbers::plural(b.runs, "run"),
                    b.n_opt.map_or("-".to_string(), num),
                    match (&b.note, b.n_interval) {
                        (Some(why), _) => format!("  left out: {why}"),
                        (None, Some(i)) => format!(" [{}, {}]", num(i.lo), num(i.hi)),
                        _ => String::new(),
                    } + if b.minimum_outside {
                        "  (minimum outside the sampled sizes)"
                    } else {
                        ""
                    } + &b
                        .caveats
                        .iter()
                        .map(|c| format!("  ({c})"))
                        .collect::<String>()
                );
            }
        }
        // Allocation at the asked budgets: N_opt by every method with the
        // ratio largest/smallest, then D_opt (tokens) and D/N.
        let mut cols: Vec<(&str, Vec<Cell>)> = Vec::new();
        if let Some(p) = &g.parametric {
            cols.push((
                if g.flops_per_6nd.is_some() {
                    "parametric (C = 6ND)"
                } else {
                    "parametric"
                },
                p.rows
                    .iter()
                    .map(|r| Cell {
                        n: r.n_opt,
                        n_iv: r.n_interval,
                        d: r.d_opt,
                        d_iv: r.d_interval,
                        extrapolated: r.extrapolated,
                        not_determined: false,
                        growth_not_determined: r.growth_not_determined,
                    })
                    .collect(),
            ));
        }
        for (name, r) in [("isoflop", &g.isoflop), ("envelope", &g.envelope)] {
            if let Some(r) = r {
                cols.push((
                    name,
                    r.rows
                        .iter()
                        .map(|x| Cell {
                            n: x.n_opt,
                            n_iv: x.n_interval,
                            d: x.d_opt,
                            d_iv: x.d_interval,
                            extrapolated: x.extrapolated,
                            not_determined: x.not_determined,
                            growth_not_determined: x.growth_not_determined,
                        })
                        .collect(),
                ));
            }
        }
        if let Some(first) = cols.first() {
            let compute = |k: usize| {
                g.parametric
                    .as_ref()
                    .map(|p| p.rows[k].compute)
                    .or_else(|| g.isoflop.as_ref().map(|r| r.rows[k].compute))
                    .or_else(|| g.envelope.as_ref().map(|r| r.rows[k].compute))
                    .unwrap_or(f64::NAN)
            };
            let _ = write!(s, "  {:>10}", "C (FLOPs)");
            for (name, _) in &cols {
                let _ = write!(s, " {:>46}", format!("N_opt {name}"));
            }
            let _ = writeln!(
                s,
                "{}",
                if g.disagreement.is_some() {
                    "  max/min"
                } else {
                    ""
                }
            );
            for k in 0..first.1.len() {
                let _ = write!(s, "  {:>10}", slaw::numbers::sci(compute(k)));
                for (_, v) in &cols {
                    let _ = write!(s, " {:>46}", v[k].text(v[k].n, v[k].n_iv));
                }
                if let Some(d) = &g.disagreement {
                    let _ = write!(s, "  {}x", g6(d.n_ratio[k].1));
                }
                let _ = writeln!(s);
            }
            // The tokens to train on: D_opt and tokens per parameter.
            let _ = write!(s, "  {:>10}", "C (FLOPs)");
            for (name, _) in &cols {
                let _ = write!(s, " {:>48} {:>6}", format!("D_opt {name}"), "D/N");
            }
            let _ = writeln!(s);
            for k in 0..first.1.len() {
                let _ = write!(s, "  {:>10}", slaw::numbers::sci(compute(k)));
                for (_, v) in &cols {
                    let c = &v[k];
                    let _ = write!(
                        s,
                        " {:>48} {:>6}",
                        c.text(c.d, c.d_iv),
                        slaw::numbers::short(c.d / c.n)
                    );
                }
                let _ = writeln!(s);
            }
            let _ = writeln!(
                s,
                "  N_opt: parameters; D_opt: training tokens; D/N: tokens per parameter at the \
                 optimum (3 digits)"
            );
            // Each marked method and why: its exponent not determined by
            // its budgets, or the exponent's interval reaching 0.
            let exponent_undetermined = |name: &str| {
                match name {
                    "isoflop" => g.isoflop.as_ref(),
                    "envelope" => g.envelope.as_ref(),
                    _ => None,
                }
                .is_some_and(|r| r.exponent_not_determined)
            };
            // (reason, the methods it marks), in the columns' order
            let mut why: Vec<(&str, Vec<&str>)> = Vec::new();
            for (n, _) in cols
                .iter()
                .filter(|(_, v)| v.iter().any(|c| c.growth_not_determined))
            {
                let reason = if exponent_undetermined(n) {
                    "its exponent a is not determined by its budgets"
                } else {
                    "the interval of a reaches 0"
                };
                match why.iter_mut().find(|w| w.0 == reason) {
                    Some(w) => w.1.push(n),
                    None => why.push((reason, vec![n])),
                }
            }
            let names: Vec<String> = why
                .iter()
                .map(|(reason, n)| format!("{}: {reason}", n.join(", ")))
                .collect();
            if !names.is_empty() {
                let _ = writeln!(
                    s,
                    "  ?: not determined by the runs ({}; see the warning): outside the compute \
                     the method fitted, the runs do not say whether N_opt grows or shrinks with \
                     compute, and the interval printed{} spans both: no range to plan with",
                    names.join("; "),
                    if why.iter().any(|w| w.0.starts_with("its exponent")) {
                        ", if any,"
                    } else {
                        ""
                    }
                );
            }
        }
        if let Some(legend) = methods_interval_legend(g) {
            let _ = writeln!(s, "  {legend}");
        }
        let _ = writeln!(s);
    }
    s
}
