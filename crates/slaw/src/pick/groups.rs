//! The pick per group of points, its predictions, and their text.

use super::*;

/// The backtest pick of one group of points.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GroupPick {
    /// The group's key.
    pub group: String,
    /// The law of largest weight, if any law was eligible.
    pub choice: Option<String>,
    #[serde(flatten)]
    /// The pick's rule and every law's backtest.
    pub pick: Pick,
    /// The lack-of-fit check of the pick ([`crate::lack_of_fit::backtest_test`]):
    /// its backtest error many times the points' noise; None when within
    /// it or not checked (set by [`crate::analysis::backtest_comparison`]).
    pub lack_of_fit: Option<crate::lack_of_fit::LackOfFit>,
}

/// [`pick`] on every group of `obs` (one input), groups in order.
pub fn pick_groups(
    laws: &[Law],
    obs: &Observations,
    opts: &FitOptions,
    rule: &Rule,
) -> Result<Vec<GroupPick>> {
    let authors = authors_in(rule);
    pick_groups_with(laws, &authors, obs, opts, rule)
}

/// [`pick_with`] on every group of `obs` (one input), groups in order.
pub fn pick_groups_with(
    laws: &[Law],
    authors: &[&str],
    obs: &Observations,
    opts: &FitOptions,
    rule: &Rule,
) -> Result<Vec<GroupPick>> {
    obs.groups()
        .into_iter()
        .map(|g| {
            // The group's points in a canonical order, not the file's: every
            // fit sums them in this order (the same rows in another order
            // gave other last digits).
            let mut idx = obs.group_indices(&g);
            obs.sort_canonical(&mut idx);
            let p = pick_with(laws, authors, &obs.subset(&idx), opts, rule)?;
            Ok(GroupPick {
                group: g,
                choice: p.top().map(|l| l.law.clone()),
                pick: p,
                lack_of_fit: None,
            })
        })
        .collect()
}

/// A pick's prediction at one value of x (`slaw compare --predict`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PickPrediction {
    /// The group's key (empty when ungrouped).
    pub group: String,
    /// The input.
    pub x: f64,
    /// The pick's predicted loss ([`Pick::predict`]); None when no law was
    /// eligible.
    pub loss: Option<f64>,
    /// The input lies outside the fitted points' range: how far, and that
    /// the pick gives no interval; empty inside (a list, as `slaw fit`'s
    /// `outside_data`).
    pub outside_data: Vec<String>,
    /// Where a chosen law's Huber optimum is a segment, the range of the
    /// pick's prediction over the fits as good as the optimum
    /// ([`Pick::predict_range`]); None otherwise.
    pub equal_fit_range: Option<crate::bootstrap::Interval>,
    /// The lowest and highest of the combined laws' own predictions at x
    /// ([`Pick::laws_range`]) when the prediction combines two or more: how
    /// far the laws disagree, not an interval. None otherwise.
    pub laws_range: Option<crate::bootstrap::Interval>,
    /// The combined laws whose prediction at x depends on parameters their
    /// fit does not pin, each with those parameters ([`Pick::unpinned`]).
    pub depends_on_unpinned: Vec<LawUnpinned>,
    /// The prediction lies below the floor of every combined law (the
    /// lowest loss each reaches as x grows, [`Pick::floors`]): the drift
    /// correction alone took it there. The lowest of those floors (the
    /// prediction is below it), and its law; None otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub below_floors: Option<LawFloor>,
}

/// A combined law's floor that a pick's prediction lies below.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LawFloor {
    /// The law's name.
    pub law: String,
    /// The lowest loss the law's fit reaches as x grows.
    pub floor: f64,
}

/// A law of a pick and the unpinned parameters its prediction depends on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LawUnpinned {
    /// The law's name.
    pub law: String,
    /// The parameters (e.g. a loss floor E on its bound).
    pub params: Vec<String>,
}

/// The note of [`PickPrediction::outside_data`] for `x` and a pick fitted
/// from `first` to `last`.
pub(super) fn pick_outside(x: f64, first: f64, last: f64) -> Vec<String> {
    use crate::numbers::short as num;
    let (side, edge) = if x > last {
        ("above the largest", last)
    } else if x < first {
        ("below the smallest", first)
    } else {
        return Vec::new();
    };
    vec![format!(
        "{} {side} fitted x ({}): an extrapolation, with no interval (the pick gives none; a fit of one law calibrates one)",
        crate::numbers::decades((x / edge).log10().abs()),
        num(edge)
    )]
}

/// Every group's pick predicting at each of `xs`, groups in order.
pub fn predictions(picks: &[GroupPick], xs: &[f64]) -> Vec<PickPrediction> {
    picks
        .iter()
        .flat_map(|gp| {
            xs.iter().map(|&x| {
                let loss = gp.pick.predict(&[x]);
                PickPrediction {
                    group: gp.group.clone(),
                    x,
                    loss,
                    outside_data: pick_outside(x, gp.pick.x_first, gp.pick.x_last),
                    equal_fit_range: gp
                        .pick
                        .predict_range(&[x])
                        .map(|(lo, hi)| crate::bootstrap::Interval { lo, hi }),
                    laws_range: gp
                        .pick
                        .laws_range(&[x])
                        .map(|(lo, hi)| crate::bootstrap::Interval { lo, hi }),
                    depends_on_unpinned: gp
                        .pick
                        .unpinned(&[x])
                        .into_iter()
                        .map(|(law, params)| LawUnpinned { law, params })
                        .collect(),
                    below_floors: loss.and_then(|l| below_floors(&gp.pick, l)),
                }
            })
        })
        .collect()
}

/// The lowest of the combined laws' floors when the pick's prediction
/// `loss` lies below every one of them (by more than 1e-9 in ln): a
/// prediction the laws themselves do not reach at any x
/// ([`PickPrediction::below_floors`]).
fn below_floors(pick: &Pick, loss: f64) -> Option<LawFloor> {
    let floors = pick.floors();
    let (law, floor) = floors.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
    (loss.ln() < floor.ln() - 1e-9 && floors.len() == pick.weighted_count()).then(|| LawFloor {
        law: law.clone(),
        floor: *floor,
    })
}

/// [`predictions`] as text, a line each.
pub fn predictions_text(predictions: &[PickPrediction]) -> String {
    predictions_text_or(predictions, "- (no law eligible)")
}

/// [`predictions_text`], a prediction without a loss said as `none`.
pub fn predictions_text_or(predictions: &[PickPrediction], none: &str) -> String {
    predictions
        .iter()
        .map(|p| {
            format!(
                "prediction{} at x = {}: {}{}{}\n",
                if p.group.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", p.group)
                },
                crate::numbers::g6(p.x),
                p.loss
                    .map(crate::numbers::num)
                    .unwrap_or_else(|| none.to_string()),
                p.equal_fit_range
                    .map(|r| format!(
                        "   (a chosen law's Huber optimum is a segment: fits as good predict {} to {})",
                        crate::numbers::num(r.lo),
                        crate::numbers::num(r.hi)
                    ))
                    .unwrap_or_default(),
                if p.loss.is_some() && !p.outside_data.is_empty() {
                    format!("   ({})", p.outside_data.join("; "))
                } else {
                    String::new()
                }
            ) + &prediction_notes(p)
        })
        .collect()
}

/// The lines under a pick's prediction: how far apart the combined laws
/// predict, and which of them lean on parameters the data do not pin.
fn prediction_notes(p: &PickPrediction) -> String {
    use crate::numbers::num;
    let mut s = String::new();
    if p.loss.is_none() {
        return s;
    }
    if let Some(r) = p.laws_range {
        s.push_str(&format!(
            "  the combined laws predict {} to {} here (their spread, not an interval)\n",
            num(r.lo),
            num(r.hi)
        ));
    }
    if let Some(f) = &p.below_floors {
        s.push_str(&format!(
            "  note: the drift correction puts this prediction below the floor of every combined \
             law (the lowest loss each reaches at any larger x; the lowest, {}'s, is {}): no \
             fitted law predicts a loss this low. On real training curves the truth lay lower \
             still (all 11 such predictions on 135 (Mis)Fitting runs fitted on their first 10-50%); \
             on points that follow one law to the end it is too low\n",
            f.law,
            num(f.floor)
        ));
    }
    for u in &p.depends_on_unpinned {
        s.push_str(&format!(
            "  warning: {}'s prediction here depends on {}, which the data do not pin (on a bound, at its start or along a flat direction): it is not determined by the data\n",
            u.law,
            u.params.join(", ")
        ));
    }
    s
}

/// What a pick fitted on bins says ([`Pick::bins`]): `n` points, `bins` bins.
pub fn bins_note(n: usize, bins: usize) -> String {
    format!(
        "{n} points (over {MAX_POINTS}): every fit (on all the points and at each backtest \
         origin) was made on {bins} bins of the points equally spaced in ln x (each bin at its \
         points' mean ln x and mean ln L, weighted by its count), nearly the fit to the points at \
         a fraction of the cost; the backtests are scored on every point"
    )
}

/// What a pick's prediction is, in plain words: "the median of 3 laws'
/// drift-corrected predictions (rectified, power, m4-authors-capped)", or
/// one law's; `choice` the law reported as the pick.
fn prediction_words(p: &Pick, choice: Option<&str>) -> String {
    let Some(c) = choice else {
        return "none (no law could be fitted and backtested)".to_string();
    };
    // The law reported as the pick first, then the others with a weight.
    let mut laws: Vec<&str> = vec![c];
    laws.extend(
        p.laws
            .iter()
            .filter(|l| l.weight > 0.0 && l.law != c)
            .map(|l| l.law.as_str()),
    );
    let corrected = if p.corrections.is_empty() {
        ""
    } else {
        "drift-corrected "
    };
    let how = if p.fallback {
        format!(
            " (fewer than {} laws could be backtested: every usable fit)",
            Fallback::MIN_ELIGIBLE
        )
    } else {
        " (those of lowest backtest error)".to_string()
    };
    if laws.len() == 1 {
        let why = if p.fallback {
            how
        } else {
            " (the lowest backtest error)".to_string()
        };
        return format!("{c}'s {corrected}prediction{why}");
    }
    let what = match p.rule.combine {
        Combine::Median { .. } => "the median",
        _ => "the weighted mean",
    };
    format!(
        "{what} of {} laws' {corrected}predictions: {}{how}",
        laws.len(),
        laws.join(", ")
    )
}

/// A note for each law left out of the pick whose score prints (5
/// decimals) the same as a law in it: which was taken and why (the lower
/// unrounded score, or, equal, the earlier in the pool's order), and that
/// a difference that small does not choose between them.
pub fn tie_notes(p: &Pick) -> Vec<String> {
    let shown = |v: f64| format!("{v:.5}");
    let mut out = Vec::new();
    for out_law in p.laws.iter().filter(|l| l.weight == 0.0) {
        let Some(so) = out_law.score else { continue };
        for in_law in p.laws.iter().filter(|l| l.weight > 0.0) {
            let Some(si) = in_law.score else { continue };
            if shown(si) != shown(so) {
                continue;
            }
            let why = if si == so {
                format!(
                    "the scores are equal, and {} comes first in the pool's order",
                    in_law.law
                )
            } else {
                format!(
                    "{}'s unrounded score is lower by {} (relative), a difference that says \
                     nothing about the data: the choice between the two is arbitrary here",
                    in_law.law,
                    crate::numbers::sig((so - si).abs() / si.abs().max(f64::MIN_POSITIVE), 2)
                )
            };
            out.push(format!(
                "tie: {} and {} both score {}; {} is in the pick and {} is not: {why}",
                in_law.law,
                out_law.law,
                shown(si),
                in_law.law,
                out_law.law
            ));
        }
    }
    out
}

/// A note naming the laws in the pick whose score rests on a backtest refit
/// whose Huber optimum is a segment ([`LawBacktest::segment_origins`]):
/// fits as good there forecast differently, so the score printed is one of
/// many the points allow, and a change in the data's last digits can move
/// it and with it the laws in the pick. `None` when no law in the pick has
/// such a refit.
pub fn segment_note(p: &Pick) -> Option<String> {
    let named: Vec<String> = p
        .laws
        .iter()
        .filter(|l| l.weight > 0.0 && l.score.is_some() && !l.segment_origins.is_empty())
        .map(|l| format!("{} (at {})", l.law, l.segment_origins.join(", ")))
        .collect();
    (!named.is_empty()).then(|| {
        format!(
            "backtest refits whose Huber optimum is a segment (every residual beyond delta along \
             a direction; fits as good forecast differently): {}; those scores are one of many \
             the points allow, so which laws are in the pick may change with the data's last \
             digits",
            named.join("; ")
        )
    })
}

/// The backtest picks as text: per group, each law's backtest errors, score
/// and weight, laws not eligible with the reason; what the prediction is,
/// and (`verbose`) the pick's weights and the rule's parameters.
pub fn text(picks: &[GroupPick], verbose: bool) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for gp in picks {
        let p = &gp.pick;
        if !gp.group.is_empty() {
            let _ = writeln!(s, "group {}", gp.group);
        }
        let nw = p
            .laws
            .iter()
            .map(|l| l.law.len())
            .max()
            .unwrap_or(0)
            .max(12);
        let _ = write!(s, "{:<nw$}", "law");
        for o in &p.rule.origins {
            let _ = write!(s, " {:>12}", format!("err@{}", o.label()));
        }
        let _ = writeln!(s, " {:>10} {:>7}", "score", "weight");
        for l in &p.laws {
            let _ = write!(s, "{:<nw$}", l.law);
            for e in &l.errors {
                match e {
                    Some(e) => {
                        let _ = write!(s, " {e:>12.5}");
                    }
                    None => {
                        let _ = write!(s, " {:>12}", "-");
                    }
                }
            }
            match l.score {
                Some(sc) => {
                    let _ = write!(s, " {sc:>10.5} {:>7.3}", l.weight);
                }
                None if l.weight > 0.0 => {
                    let _ = write!(s, " {:>10} {:>7.3}", "-", l.weight);
                }
                None => {
                    let _ = write!(s, " {:>10} {:>7}", "-", "-");
                }
            }
            if let Some(r) = &l.reason {
                let _ = write!(s, "  not eligible: {r}");
            }
            s.push('\n');
        }
        for note in tie_notes(p) {
            let _ = writeln!(s, "{note}");
        }
        if let Some(note) = segment_note(p) {
            let _ = writeln!(s, "{note}");
        }
        // Two origins that cut the points at the same place are one
        // backtest counted twice (8 points: 0.75 and last-2 both fit 6).
        let o = &p.rule.origins;
        for i in 0..o.len() {
            let m = o[i].fitted(p.n_points);
            if let Some(j) = (i + 1..o.len()).find(|&j| o[j].fitted(p.n_points) == m) {
                let _ = writeln!(
                    s,
                    "origins {} and {} both fit the first {m} of {} points: the same backtest, \
                     counted twice in the score",
                    o[i].label(),
                    o[j].label(),
                    p.n_points
                );
            }
        }
        if p.fallback {
            let _ = writeln!(
                s,
                "fewer than {} laws could be backtested: weights by the rule's fallback ({})",
                Fallback::MIN_ELIGIBLE,
                p.rule.fallback.label()
            );
        }
        // What the prediction is, in plain words; the rule's internals
        // (weights, origins, fallback, drift key) only when verbose.
        let _ = writeln!(
            s,
            "prediction: {}",
            prediction_words(p, gp.choice.as_deref())
        );
        if verbose {
            match &gp.choice {
                Some(c) => {
                    let top = p.top().map_or(0.0, |l| l.weight);
                    // The other laws of the blend, so that an equal-weight
                    // blend (e.g. the fallback's) does not read as one law.
                    let others: Vec<String> = p
                        .laws
                        .iter()
                        .filter(|l| l.weight > 0.0 && l.law != *c)
                        .map(|l| format!("{} ({:.3})", l.law, l.weight))
                        .collect();
                    let with = if others.is_empty() {
                        String::new()
                    } else {
                        format!(", blended with {}", others.join(", "))
                    };
                    let _ = writeln!(
                        s,
                        "pick: {c} (weight {top:.3}){with}; rule: {}",
                        p.rule.label()
                    );
                }
                None => {
                    let _ = writeln!(s, "pick: none (no law eligible); rule: {}", p.rule.label());
                }
            }
        }
        if let Some(b) = p.bins {
            let _ = writeln!(s, "note: {}", bins_note(p.n_points, b));
        }
        if !p.corrections.is_empty() {
            let at = match (&p.rule.correction, &p.shape) {
                (Correction::Keyed { key, .. }, Some(w)) => {
                    let k = key.of(w);
                    if k.is_finite() {
                        format!(" (the window's {}: {k:.3})", key.label())
                    } else {
                        // `Correction::slope_at` then uses the drift at the
                        // key's centre: say so rather than print NaN.
                        format!(
                            " (the window's {}: not measurable on these points \
                             (under 4 points, an x of 0 or below, x constant over a \
                             half of them, or a flat first half): the drift at the learned \
                             centre)",
                            key.label()
                        )
                    }
                }
                _ => String::new(),
            };
            let c: Vec<String> = p
                .corrections
                .iter()
                .map(|(n, c)| format!("{n} {c:.4}"))
                .collect();
            let _ = writeln!(
                s,
                "drift correction beyond the data{at}: ln L lowered by c ln(x / {}) per law: {} \
                 (a prior learned on public learning curves, whose later losses every law \
                 over-predicted; on a curve that follows one law exactly it lowers the prediction \
                 too)",
                crate::numbers::num(p.x_last),
                c.join(", ")
            );
        }
    }
    // How the chosen laws' predictions combine (every group has the same rule).
    let combined = match picks.first().map(|gp| &gp.pick.rule.combine) {
        Some(Combine::Median { .. }) => {
            "exp of the median of the ln predictions of the laws with a weight (the weights say \
which laws; the median does not weigh them)"
        }
        _ => "exp of the weighted mean of the weighted laws' ln predictions",
    };
    let _ = writeln!(
        s,
        "err@o: RMSE of ln L on the points after origin o when fitted on the points before it \
(o a fraction of the points ordered by x, or last-k: all but the last k); score: mean over \
origins; the prediction is {combined}"
    );
    s
}
