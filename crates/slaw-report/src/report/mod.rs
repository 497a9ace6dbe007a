//! Text reports for people (JSON output is the serde form of the same structs).

pub mod forecast;
pub mod joint;
pub mod summary;

use slaw::analysis::{GroupFit, RankedLaw};
use slaw::law::Law;
use std::fmt::Write;

pub use slaw::numbers::{num, truncate};

/// Whose words a report uses for an option it tells the reader to change
/// ("--form additive" on the command line, "form='additive'" in Python):
/// the same report serves both, each naming the option as its user sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interface {
    Cli,
    Python,
}

impl Interface {
    /// The whole result, every detail: `--json` on the command line, the
    /// result's `to_dict()` in Python.
    pub fn whole(self) -> &'static str {
        match self {
            Interface::Cli => "--json",
            Interface::Python => "to_dict()",
        }
    }

    /// The option `name` (snake case) set to `value`: `--name-x VALUE` on the
    /// command line; `name_x=VALUE` in Python, a word quoted as a string
    /// (`intervals='predictive'`), a number or a placeholder (`N`) bare.
    pub fn option(self, name: &str, value: &str) -> String {
        match self {
            Interface::Cli => format!("--{} {value}", name.replace('_', "-")),
            Interface::Python => {
                let bare = value.parse::<f64>().is_ok()
                    || value.chars().all(|c| c.is_ascii_uppercase() || c == '_');
                if bare {
                    format!("{name}={value}")
                } else {
                    format!("{name}='{value}'")
                }
            }
        }
    }
}

/// R^2 with `digits` decimals, or "n/a" where it is not defined: the
/// observed losses are all equal (no variance to explain), so it is never
/// printed as NaN or -inf.
pub fn r2_text(r2: f64, digits: usize) -> String {
    if r2.is_finite() {
        format!("{r2:.digits$}")
    } else {
        "n/a".to_string()
    }
}

/// RMSD of log L with 5 decimals, or "n/a" where it is not defined (a loss
/// or a prediction <= 0, e.g. a fit in linear space): never NaN.
pub fn rmsd_log_text(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.5}")
    } else {
        "n/a".to_string()
    }
}

/// What "n/a" beside RMSD(log L) means.
fn rmsd_log_note(v: f64) -> &'static str {
    if v.is_finite() {
        ""
    } else {
        " (RMSD(log L) n/a: a loss or a prediction <= 0)"
    }
}

/// What "n/a" beside R^2 means, for the reports that print it in full: the
/// library's reason (`why`, from `ErrorSums::r2_defined`), not a guess.
fn r2_note(r2: f64, why: Option<&str>) -> String {
    if r2.is_finite() {
        String::new()
    } else {
        format!(" (R^2 n/a: {})", why.unwrap_or("it is not finite"))
    }
}

/// The laws' names, formulas, descriptions, inputs, bounds and grid sizes.
pub fn law_catalog(laws: &[Law]) -> String {
    let mut s = String::new();
    for l in laws {
        let _ = writeln!(s, "{:<12} {}", l.name, l.formula);
        let _ = writeln!(s, "{:<12} {}", "", l.description);
        let params: Vec<String> = l
            .params
            .iter()
            .map(|p| {
                format!(
                    "{}{} in [{}, {}]",
                    p.name,
                    if p.transform == slaw::law::Transform::Log {
                        " (log)"
                    } else {
                        ""
                    },
                    slaw::numbers::shortest(p.lower),
                    slaw::numbers::shortest(p.upper)
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "{:<12} inputs: {}; parameters: {}; default grid: {} start{}",
            "",
            l.inputs.join(", "),
            params.join(", "),
            l.grid().len(),
            if l.grid().len() == 1 { "" } else { "s" }
        );
        let _ = writeln!(s);
    }
    s
}

pub fn fit_report(law: &Law, fits: &[GroupFit], input_names: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "law: {}   {}", law.name, law.formula);
    for g in fits {
        let f = &g.fit;
        if !g.group.is_empty() {
            let _ = writeln!(s, "\n== group {} ==", g.group);
        }
        let status = if f.converged {
            "converged"
        } else if f.termination == slaw::solver::Termination::NoBetterThanConstant {
            "FAILED: no better than a constant"
        } else if f.n_converged == 0 {
            "FAILED: no start converged"
        } else {
            "FAILED: the best point did not converge"
        };
        let _ = writeln!(
            s,
            "status: {status} ({}/{} starts converged{}; {} reached the best optimum{}; best start #{}; {} iterations, {} evaluations in all)",
            f.n_converged,
            f.n_starts,
            starts_run(f),
            f.n_best,
            if f.agree_target == 0 {
                String::new()
            } else if f.n_best >= f.agree_target {
                format!(" (the search stops at {})", f.agree_target)
            } else {
                format!(" (fewer than the {} the search stops at: every start ran)", f.agree_target)
            },
            f.best_start,
            f.iterations,
            f.evaluations
        );
        let _ = writeln!(
            s,
            "termination: {} ({})",
            f.termination.name(),
            f.termination_message
        );
        let _ = writeln!(
            s,
            "objective: {} on {} points",
            slaw::numbers::g6(f.objective),
            f.n_points
        );
        let id = &f.identifiability;
        for (j, name) in f.param_names().iter().enumerate() {
            let ci = g
                .bootstrap
                .as_ref()
                .map(|b| format!("   [{}, {}]", num(b.params[j].lo), num(b.params[j].hi)))
                .unwrap_or_default();
            // A parameter held by a bound has no standard error to print
            // (the bound, not the data, holds it): "?", whatever the law.
            let se = match id.std_errors.get(j) {
                Some(Some(e)) if !id.at_bounds.contains(name) => format!("   +/- {}", num(*e)),
                _ => "   +/- ?".into(),
            };
            let prof = g.profile.as_ref().map(|p| p.params[j]);
            let pcol = prof
                .map(|p| {
                    let end = |v: f64, open: bool| {
                        if open {
                            "open".to_string()
                        } else {
                            num(v)
                        }
                    };
                    format!(
                        "   profile [{}, {}]",
                        end(p.lo, p.lo_open),
                        end(p.hi, p.hi_open)
                    )
                })
                .unwrap_or_default();
            // On a bound (the user's --bound or the law's own) it is the
            // bound that holds the parameter, whether or not the data would.
            let flag = if id.at_bounds.contains(name) {
                "   (on a bound: held by the bound, not the data)".to_string()
            } else if id.unidentified.contains(name) {
                "   (not pinned by the data)".to_string()
            } else if let Some(side) = prof.and_then(|p| p.open_sides()) {
                format!("   (loosely determined: profile interval open {side})")
            } else if id.loose.contains(name) {
                "   (loosely determined: standard error above the value)".to_string()
            } else {
                String::new()
            };
            // The standard error is local where the profile differs from
            // +-z se by more than 2x on a side (in ln for a log parameter).
            let local = match (prof, id.std_errors.get(j), &g.profile) {
                (Some(p), Some(Some(e)), Some(pr))
                    if !id.at_bounds.contains(name)
                        && slaw::profile::local(
                            law.params[j].transform,
                            f.params[j],
                            *e,
                            &p,
                            pr.level,
                        ) =>
                {
                    format!(
                        "   (+/- is local: the profile interval is {}-{})",
                        if p.lo_open { "open".into() } else { num(p.lo) },
                        if p.hi_open { "open".into() } else { num(p.hi) }
                    )
                }
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "  {:<8} = {}{se}{ci}{pcol}{flag}{local}",
                name,
                num(f.params[j])
            );
        }
        let _ = writeln!(
            s,
            "  (+/-: standard errors, {}{})",
            // The default Huber fit's are its sandwich variance (probe48
            // finding 7: said "Gauss-Newton" whatever the objective).
            if id.method.contains("sandwich") {
                "Gauss-Newton at the optimum with Huber's sandwich variance"
            } else {
                "Gauss-Newton at the optimum"
            },
            if id.method == slaw::fit::NO_DEGREES_OF_FREEDOM {
                "; ?: not determined, as many points as parameters (n <= p)"
            } else if id.std_errors.iter().any(|e| e.is_none()) {
                if id.at_bounds.is_empty() {
                    "; ?: along a flat direction, not determined"
                } else {
                    "; ?: along a flat direction or held by a bound, not determined"
                }
            } else if !id.at_bounds.is_empty() {
                "; ?: held by a bound, not determined by the data"
            } else {
                ""
            }
        );
        if !id.correlation.is_empty() && f.param_names().len() > 1 {
            let _ = writeln!(s, "  correlations:");
            for (j, name) in f.param_names().iter().enumerate() {
                let row: Vec<String> = id.correlation[j][..j]
                    .iter()
                    .map(|c| format!("{c:>7.3}"))
                    .collect();
                if j > 0 {
                    let _ = writeln!(s, "    {:<8} {}", name, row.join(" "));
                }
            }
            let _ = writeln!(
                s,
                "    {:<8} {}",
                "",
                f.param_names()[..f.param_names().len() - 1]
                    .iter()
                    .map(|n| format!("{n:>7}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        if let Some(p) = &g.profile {
            let _ = writeln!(
                s,
                "  (profile: {} profile-likelihood intervals, the objective's rise {} at the ends, {} refits; open: the data do not determine that side)",
                slaw::numbers::percent(p.level),
                slaw::numbers::g6(p.threshold),
                p.refits
            );
        }
        if let Some(b) = &g.bootstrap {
            let _ = writeln!(
                s,
                "  (intervals: {} bootstrap percentiles, {}/{} replicates converged)",
                slaw::numbers::percent(b.level),
                b.converged,
                b.replicates
            );
        }
        let _ = writeln!(
            s,
            "fit:      RMSD(log L) {}  R^2 {}  max|err| {}  ({} points){}{}",
            rmsd_log_text(g.train.rmsd_log),
            r2_text(g.train.r2, 5),
            num(g.train.max_abs_error),
            g.train.n,
            r2_note(g.train.r2, g.train.r2_na),
            rmsd_log_note(g.train.rmsd_log)
        );
        if let Some(h) = &g.heldout {
            let _ = writeln!(
                s,
                "held out: RMSD(log L) {}  R^2 {}  max|err| {}  ({} points){}{}",
                rmsd_log_text(h.rmsd_log),
                r2_text(h.r2, 5),
                num(h.max_abs_error),
                h.n,
                r2_note(h.r2, h.r2_na),
                rmsd_log_note(h.rmsd_log)
            );
        }
        for p in &g.predictions {
            let at: Vec<String> = input_names
                .iter()
                .zip(&p.at)
                .map(|(n, v)| format!("{n}={}", slaw::numbers::g6(*v)))
                .collect();
            // Said what it is, as the extrapolation interval beside it is
            // (probe48 finding 7: it was a bare bracket).
            let ci = p
                .interval
                .map(|i| {
                    let what = match p.interval_kind {
                        // Outside the data with no predictive interval: the
                        // bootstrap is the points' noise only, said beside it.
                        Some(slaw::selection::calibrate::IntervalKind::Bootstrap { level })
                            if p.no_predictive_interval.is_some() =>
                        {
                            format!(
                                "bootstrap {} (the points' noise only, not a predictive interval): ",
                                slaw::numbers::percent(level)
                            )
                        }
                        Some(slaw::selection::calibrate::IntervalKind::Bootstrap { level }) => {
                            format!("bootstrap {}: ", slaw::numbers::percent(level))
                        }
                        _ => String::new(),
                    };
                    format!("   {what}[{}, {}]", num(i.lo), num(i.hi))
                })
                .unwrap_or_default();
            let unpinned = if p.depends_on_unpinned.is_empty() {
                String::new()
            } else {
                format!(
                    "   (depends on {}, which the data do not pin)",
                    p.depends_on_unpinned.join(", ")
                )
            };
            // A Huber optimum that is a segment: what the fits as good as
            // the one printed predict (the same in every unit of x).
            let segment = p
                .equal_fit_range
                .map(|r| {
                    format!(
                        "   (the Huber optimum is a segment: fits as good predict {} to {})",
                        num(r.lo),
                        num(r.hi)
                    )
                })
                .unwrap_or_default();
            let cal = if p.below_data {
                &g.calibration_below
            } else {
                &g.calibration
            };
            // Inside the fitted range the prediction interpolates: its
            // interval (the fit's own uncertainty with the noise floor) says so.
            let interpolates = matches!(
                p.extrapolation_interval_kind,
                Some(slaw::selection::IntervalKind::Interpolation { .. })
            );
            let ex = match (&p.extrapolation_interval, cal) {
                (Some(i), Some(c)) => format!(
                    "   {} {}: [{}, {}]",
                    if interpolates {
                        "interpolation"
                    } else {
                        "extrapolation"
                    },
                    slaw::numbers::percent(c.level),
                    num(i.lo),
                    num(i.hi)
                ),
                _ => String::new(),
            };
            // Beyond the data with no extrapolation interval to say so (a
            // law of several inputs): the inputs outside the fitted range.
            let outside = if p.extrapolation_interval.is_none() && !p.outside_data.is_empty() {
                format!("   (beyond the data: {})", p.outside_data.join("; "))
            } else {
                String::new()
            };
            // An interval over a decade wide (or reaching the floor): the
            // data do not determine the prediction, said beside it.
            let undetermined = if p.not_determined {
                match p.decades {
                    Some(d) => format!("   (not determined by the data (spans {d:.1} decades))"),
                    None => "   (not determined by the data (the interval's lower end is at or below 0))".to_string(),
                }
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "predict {}: {}{ci}{ex}{undetermined}{unpinned}{segment}{outside}",
                at.join(","),
                num(p.value)
            );
        }
        for (c, toward) in [
            (&g.calibration, "later points; {q} of log loss per unit of ln(x / last x)"),
            (
                &g.calibration_below,
                "earlier points, below the data: origins keep the largest points; {q} of log loss per unit of ln(first x / x)",
            ),
        ] {
            let Some(c) = c else { continue };
            // The far-end rule scores each refit once, at the far end of
            // its reach, and scales by the public curves' misfit.
            let (scored, toward) = if c.method.starts_with("rolling-origin, far ends") {
                let far = if c.toward == slaw::extrapolation::SMALLER_X {
                    "toward smaller x, below the data (origins keep the largest points), times the misfit learned on public loss curves beyond the data, not calibrated on real curves below it: {q} of log loss per unit of ln(first x / x)"
                } else {
                    "times the misfit learned on public loss curves: {q} of log loss per unit of ln(x / last x)"
                };
                (
                    "at the far end of their reach,",
                    far.replace("{q}", &format!("{:.4}", c.per_distance)),
                )
            } else {
                (
                    "on",
                    format!(
                        "{} {}",
                        c.scores,
                        toward.replace("{q}", &format!("{:.4}", c.per_distance))
                    ),
                )
            };
            let _ = writeln!(
                s,
                "  (extrapolation intervals: rolling origin, {} refits{} scored {scored} {toward}, at least {:.4}{})",
                c.origins,
                match c.bins {
                    Some(b) => format!(
                        " (note: over {} points, each on {b} bins of its points equally spaced in ln x, weighted by their counts)",
                        slaw::pick::MAX_POINTS
                    ),
                    None => String::new(),
                },
                c.noise,
                if c.noise_approximated {
                    " (too few residuals for their rank at this level: their largest, inflated by a normal approximation)"
                } else {
                    ""
                }
            );
        }
        let widened = g
            .predictions
            .iter()
            .filter(|p| p.widened_to_bootstrap)
            .count();
        if widened > 0 {
            let _ = writeln!(
                s,
                "  ({widened} of these extrapolation intervals widened to hold the bootstrap band, which reached further: the fit's own uncertainty is part of the prediction's)"
            );
        }
        let alternative: Vec<_> = g
            .predictions
            .iter()
            .filter_map(|p| p.widened_to_alternative)
            .collect();
        if let Some(a) = alternative.first() {
            let _ = writeln!(
                s,
                "  ({} of these extrapolation intervals widened to hold the {} law's prediction (fitted to the same points), which fell outside: the law may not hold that far, e.g. a fine-tuning curve's pre-power phase, which the backtest does not see)",
                alternative.len(),
                a.law
            );
        }
        // One legend for the predictions inside the fitted range.
        if let Some(k) = g
            .predictions
            .iter()
            .find_map(|p| match p.extrapolation_interval_kind {
                Some(k @ slaw::selection::IntervalKind::Interpolation { .. }) => Some(k),
                _ => None,
            })
        {
            let _ = writeln!(s, "  (interpolation intervals: {})", k.covers());
        }
        // Said once: why no prediction outside the data has a predictive
        // interval (each group with its own points).
        let no_predictive = g
            .predictions
            .iter()
            .find_map(|p| p.no_predictive_interval.as_deref());
        // A prediction at or below 0 has none whatever the calibration.
        let not_positive = g.predictions.iter().any(|p| {
            p.no_predictive_interval.as_deref() == Some(slaw::analysis::NOT_POSITIVE_REASON)
        });
        if not_positive {
            let _ = writeln!(
                s,
                "  (no predictive interval where the law is at or below 0: {})",
                slaw::analysis::NOT_POSITIVE_REASON
            );
        }
        if let Some(why) = no_predictive
            .filter(|_| g.calibration.is_none())
            .filter(|w| *w != slaw::analysis::NOT_POSITIVE_REASON)
        {
            let _ = writeln!(s, "  (no predictive interval outside the data: {why})");
        } else if g.predictions.iter().any(|p| p.below_data)
            && g.calibration_below.is_none()
            && g.calibration.is_some()
        {
            let _ = writeln!(
                s,
                "  (no extrapolation interval below the data: too few points for rolling-origin refits toward smaller x at this level)"
            );
        }
        if g.calibration.is_none() && !g.predictions.is_empty() && no_predictive.is_none() {
            let _ = writeln!(
                s,
                "  (no extrapolation interval: it needs a one-input law and enough points for rolling-origin refits at this level)"
            );
        }
        for w in &f.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
        // the profile's open parameters have their own warning
        let se_loose: Vec<String> = id
            .loose
            .iter()
            .filter(|n| {
                let j = f.param_names().iter().position(|m| m == *n);
                j.and_then(|j| id.std_errors.get(j).copied().flatten())
                    .zip(j.map(|j| f.params[j]))
                    .is_some_and(|(e, v)| e > v.abs())
            })
            .cloned()
            .collect();
        if let Some(w) = slaw::identify::loose_warning(&se_loose) {
            let _ = writeln!(s, "warning: {w}");
        }
    }
    s
}

/// AIC / BIC with 2 decimals, or "n/a" where undefined.
fn criterion_text(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "n/a".to_string()
    }
}

pub fn compare_report(ranked: &[RankedLaw]) -> String {
    let mut s = String::new();
    let held = ranked.iter().any(|r| !r.heldout_rmsd_log.is_nan());
    // The law column as wide as its longest name (m4-authors-capped), so
    // that every row, a skipped one too, stays in column.
    let w = ranked
        .iter()
        .map(|r| r.law.chars().count())
        .max()
        .unwrap_or(0)
        .max(12);
    let _ = writeln!(
        s,
        "{:<4} {:<w$} {:>6} {:>14} {:>10} {:>10} {:>10} {:>9} {:>6}",
        "rank", "law", "params", "held-out RMSD", "fit RMSD", "AIC", "BIC", "converged", "best"
    );
    for r in ranked {
        if r.status == "skipped" {
            let _ = writeln!(
                s,
                "{:<4} {:<w$} {:>6}   skipped: {}",
                "-",
                r.law,
                r.n_params,
                r.reason.as_deref().unwrap_or("")
            );
            continue;
        }
        let _ = writeln!(
            s,
            "{:<4} {:<w$} {:>6} {:>14} {:>10} {:>10} {:>10} {:>9} {:>6}",
            r.rank.map(|k| k.to_string()).unwrap_or_else(|| "-".into()),
            r.law,
            r.n_params,
            if held {
                rmsd_log_text(r.heldout_rmsd_log)
            } else {
                "-".to_string()
            },
            rmsd_log_text(r.train_rmsd_log),
            criterion_text(r.aic),
            criterion_text(r.bic),
            if r.all_converged { "yes" } else { "NO" },
            r.n_best
        );
    }
    let _ = writeln!(
        s,
        "ranked by {}; only converged fits are ranked; best: fewest starts that reached the best optimum (over groups)",
        if held {
            "held-out RMSD of log L"
        } else {
            "AIC (no point held out)"
        }
    );
    for r in ranked {
        if r.status == "not ranked" {
            let _ = writeln!(
                s,
                "not ranked: {}: {}",
                r.law,
                r.reason.as_deref().unwrap_or("")
            );
        }
    }
    for r in ranked {
        for w in &r.warnings {
            let _ = writeln!(s, "warning: {}: {w}", r.law);
        }
    }
    s
}

/// The warnings of the law fits of a selection (`rectified-fit`,
/// `vanilla-fit`: parameters on a bound, not pinned by the points, ...),
/// one line per distinct warning with the candidates it concerns.
fn fit_warnings(sel: &slaw::selection::Selection, iface: Interface) -> String {
    use std::fmt::Write;
    // Grouped by the warning without its parenthesized figures (condition
    // numbers, bounds), which differ per fit.
    let gist = |w: &str| {
        let mut depth = 0usize;
        let mut out = String::new();
        for ch in w.chars() {
            match ch {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ if depth == 0 => out.push(ch),
                _ => {}
            }
        }
        out.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" ;", ";")
            .replace(" ,", ",")
    };
    let mut by_text: Vec<(String, Vec<&str>)> = Vec::new();
    for r in &sel.ranking {
        if let slaw::selection::Detail::Fit(f) = &r.estimate.detail {
            for w in f.warnings.iter().map(|w| gist(w)) {
                match by_text.iter_mut().find(|(t, _)| *t == w) {
                    Some((_, ids)) => ids.push(&r.estimate.id),
                    None => by_text.push((w, vec![&r.estimate.id])),
                }
            }
        }
    }
    let mut s = String::new();
    for (text, ids) in by_text {
        const SHOWN: usize = 3;
        let more = ids.len().saturating_sub(SHOWN);
        let _ = writeln!(
            s,
            "warning: {} of {} fits: {text} ({}{})",
            ids.len(),
            sel.ranking.len(),
            ids[..ids.len().min(SHOWN)].join(", "),
            if more > 0 {
                format!(
                    " and {more} more; {} lists each fit's warnings",
                    iface.whole()
                )
            } else {
                String::new()
            }
        );
    }
    s
}

/// Why a candidate chosen by its risk score is not rank 1 (probe57 3): ":
/// rank 1 ('a') predicts a lower loss, but its risk score is higher (1.65
/// against 1.12)"; empty when the chosen one is rank 1 or a score is
/// missing.
fn below_rank_one(sel: &slaw::selection::Selection) -> String {
    let chosen = sel.chosen();
    let Some(first) = sel.ranking.first() else {
        return String::new();
    };
    if chosen.rank == 1 || !sel.choice.rule.starts_with("lowest risk score") {
        return String::new();
    }
    match (first.estimate.risk_score(), chosen.estimate.risk_score()) {
        (Some(a), Some(b)) if a > b => format!(
            ": rank 1 ('{}') predicts a lower loss, but its risk score is higher ({} against {})",
            first.estimate.id,
            num(a),
            num(b)
        ),
        _ => String::new(),
    }
}

/// The text report of `slaw select`: the ranking with each model's predicted
/// loss at the target (and interval), AtS phase details, and the cost.
pub fn selection_report(sel: &slaw::selection::Selection) -> String {
    selection_report_in(sel, Interface::Cli)
}

/// [`selection_report`] with what it points the reader to (the whole
/// result: `--json`) in `iface`'s words.
pub fn selection_report_in(sel: &slaw::selection::Selection, iface: Interface) -> String {
    use slaw::selection::Detail;
    use std::fmt::Write;
    let b = &sel.budget;
    let mut s = String::new();
    let fine_tunes = sel.cost.examples > 0.0;
    let _ = writeln!(
        s,
        "method {}: {}, for the loss at {}; score = {}",
        sel.method.name(),
        if fine_tunes {
            format!("fine-tunings up to size {}", num(b.max_n))
        } else {
            "no fine-tuning".to_string()
        },
        num(b.target),
        sel.method.score_is()
    );
    // The method whose prediction the intervals are built around, when it is
    // not this one's (ats-gap, ats-ref: ats-trend's).
    let interval_from = sel.ranking.iter().find_map(|r| r.estimate.interval_from);
    let iv_head = slaw::selection::interval_heading(sel.ranking.iter().map(|r| &r.estimate));
    let iw = iv_head.len().max(21);
    let _ = writeln!(
        s,
        "{:>4}  {:<32} {:>11} {:>iw$} {:>10}  details",
        "rank", "model", "score", iv_head, "observed"
    );
    // The score, the interval and the observed loss: one quantity, one
    // format (not 1.7906 under 1.507848).
    let col = slaw::numbers::Column::of(sel.ranking.iter().flat_map(|r| {
        let e = &r.estimate;
        [
            Some(e.predicted_loss.unwrap_or(e.score)),
            e.interval.map(|i| i.lo),
            e.interval.map(|i| i.hi),
            r.observed_at_target,
        ]
        .into_iter()
        .flatten()
    }));
    let cell = |v: f64| col.fmt(v);
    for r in &sel.ranking {
        let e = &r.estimate;
        let score = cell(e.predicted_loss.unwrap_or(e.score));
        // `*`: the score lies outside the printed interval.
        let score = if r.prediction_outside_interval {
            format!("{score}*")
        } else {
            format!("{score} ")
        };
        // `<`: the interval is open below (still accelerating).
        let interval = e
            .interval
            .map(|i| {
                format!(
                    "[{}, {}]{}",
                    cell(i.lo),
                    cell(i.hi),
                    if e.open_below.is_some() { "<" } else { "" }
                )
            })
            .unwrap_or_else(|| "-".into());
        let observed = r.observed_at_target.map(cell).unwrap_or_else(|| "-".into());
        let details = match &e.detail {
            Detail::Ats {
                accepted,
                transition,
                line,
                power_phase_loss,
                ..
            } => format!(
                "power phase {}..{} (slope of ln L on ln n {:.3}){}{}",
                num(accepted[0]),
                num(*accepted.last().unwrap()),
                line.slope,
                transition
                    .map(|t| format!(", transition at {}", num(t)))
                    .unwrap_or_else(|| ", no transition detected".into()),
                // AtS's own line prediction beside a score that refines it
                // (JSON: detail.power_phase_loss).
                if sel.method.name() == "ats" || !power_phase_loss.is_finite() {
                    String::new()
                } else {
                    format!("; AtS line {}", cell(*power_phase_loss))
                }
            ),
            Detail::Fit(f) => {
                let p: Vec<String> = f
                    .params
                    .pairs()
                    .map(|(n, v)| format!("{n}={}", num(*v)))
                    .collect();
                format!(
                    "{}{}",
                    p.join(" "),
                    if f.converged { "" } else { " (NOT CONVERGED)" }
                )
            }
            Detail::None => String::new(),
        };
        let _ = writeln!(
            s,
            "{:>4}  {} {:>11} {:>iw$} {:>10}  {}",
            r.rank,
            slaw::numbers::pad(&e.id, 32),
            score,
            interval,
            observed,
            details
        );
    }
    let ests: Vec<&slaw::selection::Estimate> = sel.ranking.iter().map(|r| &r.estimate).collect();
    if let Some(note) = slaw::selection::outside_interval_note(&sel.method, &ests) {
        let _ = writeln!(s, "{note}");
    }
    if let Some(note) = slaw::selection::open_below_note(&ests) {
        let _ = writeln!(s, "{note}");
    }
    if sel.ranking.iter().any(|r| r.observed_at_target.is_some()) {
        let _ = writeln!(
            s,
            "observed: the data's loss at the target {}, for checking; the method does not read it",
            num(b.target)
        );
    }
    for u in &sel.unranked {
        let _ = writeln!(
            s,
            "{:>4}  {} not ranked: {}",
            "-",
            slaw::numbers::pad(&u.id, 32),
            u.reason
        );
    }
    let c = &sel.cost;
    let _ = writeln!(
        s,
        "\nchosen: {} (rank {}; {}){}\ncost: {} (fine-tuning sizes summed over the candidates){} = {:.4}% of fine-tuning every candidate on the full data",
        sel.chosen().estimate.id,
        sel.chosen().rank,
        match sel.choice.bound_pick.and_then(|i| sel.ranking.get(i)) {
            Some(b) => format!(
                "AtS's pick (lowest AtS-line prediction): {} (rank {}), of the lowest risk \
                 score, is not clearly better (their intervals overlap)",
                b.estimate.id, b.rank
            ),
            None => format!("{}{}", sel.choice.rule, below_rank_one(sel)),
        },
        slaw::selection::MayBeBetter::clause(&sel.choice.may_be_better),
        num(c.examples),
        c.flops
            .map(|f| format!(
                " ({} FLOPs{})",
                num(f),
                c.tokens_per_example
                    .map(|t| format!(": 6 x parameters x {} tokens per example", num(t)))
                    .unwrap_or_default()
            ))
            .unwrap_or_default(),
        100.0 * c.ratio
    );
    for n in &sel.notes {
        let _ = writeln!(s, "note: {n}");
    }
    for w in &sel.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s.push_str(&fit_warnings(sel, iface));
    if let Some(cal) = &sel.calibration {
        match cal.scale {
            Some(k) => {
                let _ = writeln!(
                    s,
                    "intervals: {} predictive, meant to cover the loss at the target: {} \
                     prediction corrected by the method's recent error per unit ln(size ratio) \
                     in backtests inside the affordable sizes ({:+.4} in ln L per unit \
                     ln(target / largest affordable size); {} backtests in all), \
                     +/- {:.2} x the spread of the extrapolation hypotheses (AtS line, \
                     steepening, learned trend{}; the factor learned on complete curves)",
                    slaw::numbers::percent(cal.interval_level()),
                    interval_from
                        .map(|m| format!("{m}'s"))
                        .unwrap_or_else(|| "the".into()),
                    cal.recent_drift,
                    cal.count,
                    k,
                    if sel.floor.is_some_and(|f| f.shows_floor()) {
                        ", and, as the pool's curves show a floor within reach, each \
                         candidate's own rectified-law fit"
                    } else {
                        ""
                    }
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "intervals: {} predictive, meant to cover the loss at the target: the \
                     method's error per unit ln(size ratio) in {} backtests inside the \
                     affordable sizes (mean {:+.4}, sd {:.4}; ln L per unit ln(size ratio)) scaled to the target, combined \
                     with the spread of the extrapolation hypotheses (AtS line, steepening, \
                     learned trend)",
                    slaw::numbers::percent(cal.interval_level()),
                    cal.count,
                    cal.drift,
                    cal.spread
                );
            }
        }
    } else if sel.ranking.iter().any(|r| {
        matches!(
            r.estimate.interval_kind,
            Some(slaw::selection::IntervalKind::Bootstrap { .. })
        )
    }) {
        let _ = writeln!(
            s,
            "intervals: bootstrap of the affordable points: the noise of the points only, \
             not the error of the extrapolation"
        );
    }
    s
}

/// The table of `slaw bench selection`: one line per dataset and budget,
/// PearCorr / RelAcc (x100) per method.
/// The mismatched-reference check (`slaw bench selection --protocol lodo
/// --permuted-references N`): per dataset and budget, ats-gap's PearCorr,
/// ats-ref's with the true references (and their largest match-test
/// p-value), with the rows permuted (share rejected; mean [min, max]) and
/// with both (share where the true passed and the permuted failed).
pub fn selection_mismatch_table(rows: &[slaw::selection::mismatch::MismatchRow]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let n = rows.first().map_or(0, |r| r.permutations);
    let share = rows.first().map_or(1.0, |r| r.share);
    let which = if share >= 1.0 {
        "their rows permuted".to_string()
    } else {
        format!("{:.0}% of their rows permuted", 100.0 * share)
    };
    let _ = writeln!(
        s,
        "references that do not match: ats-ref's PearCorr x100, each dataset with the others as \
         references, as they are (true), with {which} ({n} seeds), and both together"
    );
    let _ = writeln!(
        s,
        "{:<12} {:>6} {:>8} {:>8} {:>7} {:>9} {:>23} {:>7} {:>23}",
        "dataset",
        "budget",
        "ats-gap",
        "true",
        "p(true)",
        "rejected",
        "permuted mean [min,max]",
        "sorted",
        "both mean [min,max]"
    );
    let band = |v: &[f64; 3]| {
        format!(
            "{:.1} [{:.1}, {:.1}]",
            100.0 * v[0],
            100.0 * v[1],
            100.0 * v[2]
        )
    };
    for r in rows {
        let _ = writeln!(
            s,
            "{:<12} {:>6} {:>8.1} {:>8.1} {:>7.3} {:>8.0}% {:>23} {:>6.0}% {:>23}",
            r.dataset,
            format!("1/{}", r.ratio),
            100.0 * r.gap,
            100.0 * r.true_ref,
            r.true_p_max,
            100.0 * r.permuted_rejected,
            band(&r.permuted),
            100.0 * r.both_sorted,
            band(&r.both)
        );
    }
    s
}

pub fn selection_bench_table(rows: &[slaw::selection::protocol::Row]) -> String {
    use std::fmt::Write;
    let mut methods: Vec<&str> = Vec::new();
    for r in rows {
        if !methods.contains(&r.method.as_str()) {
            methods.push(&r.method);
        }
    }
    let with_cov = rows.iter().any(|r| r.coverage.is_some());
    let w = if with_cov { 19 } else { 15 };
    let mut s = String::new();
    let _ = write!(s, "{:<12} {:>6}", "dataset", "budget");
    for m in &methods {
        let _ = write!(s, " {:>w$}", m);
    }
    let head = if with_cov {
        " PearCorr/RelAcc/Cov"
    } else {
        " PearCorr/RelAcc"
    };
    let _ = writeln!(s, "\n{:<12} {:>6}{}", "", "", head.repeat(methods.len()));
    let mut keys: Vec<(&str, u32)> = Vec::new();
    for r in rows {
        if !keys.contains(&(r.dataset.as_str(), r.ratio)) {
            keys.push((&r.dataset, r.ratio));
        }
    }
    for (ds, ratio) in keys {
        let _ = write!(s, "{:<12} {:>6}", ds, format!("1/{ratio}"));
        for m in &methods {
            match rows
                .iter()
                .find(|r| r.dataset == ds && r.ratio == ratio && r.method == *m)
            {
                Some(r) => {
                    let mut cell = format!("{:.1} / {:.1}", 100.0 * r.pear_corr, 100.0 * r.rel_acc);
                    if with_cov {
                        match r.coverage {
                            Some(c) => {
                                let _ = write!(cell, " / {:.0}", 100.0 * c);
                            }
                            None => cell.push_str(" / -"),
                        }
                    }
                    let _ = write!(s, " {:>w$}", cell);
                }
                None => {
                    let _ = write!(s, " {:>w$}", "-");
                }
            }
        }
        let _ = writeln!(s);
    }
    s
}

/// How the starts of a fit ran, after "N/M starts converged": the grid's
/// share (and how many of its starts did not run), the floor probes, the
/// second search's starts.
fn starts_run(f: &slaw::fit::Fit) -> String {
    // A probe is a short run, polished (and counted as converged) only
    // when it ends below the agreed optimum: said, so that "16/18 starts
    // converged" does not read as two failed starts.
    const SHORT: &str = " (short runs, polished only if below the optimum)";
    let probes = match f.probe_starts {
        0 => String::new(),
        1 => format!("1 probe at a floor{SHORT}"),
        k => format!("{k} probes at a floor{SHORT}"),
    };
    let grid_run = f.n_starts - f.extra_starts - f.probe_starts;
    if f.extra_starts > 0 {
        let also = if probes.is_empty() {
            String::new()
        } else {
            format!(", {probes}")
        };
        format!(", {} of them run by a second search{also}", f.extra_starts)
    } else if grid_run < f.grid_starts {
        format!(
            ": {grid_run} of {} {}-start grid ({} not run){}",
            slaw::numbers::article(f.grid_starts),
            f.grid_starts,
            f.grid_starts - grid_run,
            if probes.is_empty() {
                String::new()
            } else {
                format!(" and {probes}")
            }
        )
    } else if f.probe_starts == 1 {
        format!(", 1 of them a probe at a floor{SHORT}")
    } else if f.probe_starts > 1 {
        format!(", {} of them probes at a floor{SHORT}", f.probe_starts)
    } else {
        String::new()
    }
}

/// The text of `slaw compare`'s backtest pick: each group's pick
/// (`verbose`: every law's backtest), the laws skipped (those skipped for
/// one reason on one line), the pick's predictions, where to get a law's
/// own interval beyond the data (in `iface`'s words) and the warnings.
pub fn backtest_report(
    result: &slaw::analysis::BacktestComparison,
    verbose: bool,
    iface: Interface,
) -> String {
    let mut text = slaw::pick::text(&result.groups, verbose);
    // Laws left out for the same reason (an x of 0 every x^-a law
    // refuses) in one line, naming them all.
    let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
    for s in &result.skipped {
        match reasons.iter_mut().find(|(r, _)| *r == s.reason) {
            Some((_, laws)) => laws.push(&s.law),
            None => reasons.push((&s.reason, vec![&s.law])),
        }
    }
    for (reason, laws) in reasons {
        text += &format!("skipped: {}: {reason}\n", laws.join(", "));
    }
    text += &result.predictions_text();
    if result.no_better_than_constant.is_none()
        && result
            .predictions
            .iter()
            .any(|p| !p.outside_data.is_empty())
    {
        text += match iface {
            Interface::Cli => {
                "(an interval beyond the data, per law: slaw fit --law L --predict X)\n"
            }
            Interface::Python => {
                "(an interval beyond the data, per law: slaw.fit(..., law=L, predict=X))\n"
            }
        };
    }
    for w in &result.warnings {
        text += &format!("warning: {w}\n");
    }
    text
}

#[cfg(test)]
mod interface_tests {
    use super::Interface;

    /// An option the reader is told to change, in each interface's words.
    #[test]
    fn an_option_in_the_words_of_each_interface() {
        assert_eq!(
            Interface::Cli.option("intervals", "predictive"),
            "--intervals predictive"
        );
        assert_eq!(
            Interface::Python.option("intervals", "predictive"),
            "intervals='predictive'"
        );
        assert_eq!(Interface::Cli.option("bootstrap", "N"), "--bootstrap N");
        assert_eq!(Interface::Python.option("bootstrap", "N"), "bootstrap=N");
        assert_eq!(Interface::Cli.option("d_range", "1:2"), "--d-range 1:2");
        assert_eq!(Interface::Python.option("level", "0.9"), "level=0.9");
    }
}
