//! The notes and warnings that go with a ranking: the interval's heading,
//! the choice's margin, the budget, a weak drift, values far from the pool's,
//! intervals of zero width.

use super::*;

/// The heading of a ranking's interval column: what the intervals cover,
/// and whose they are when not the method's own ("90% predictive
/// (ats-trend's)" for ats-gap), "interval" when no estimate has one. One
/// heading for `slaw select` and the runner's ranking.
pub fn interval_heading<'a>(estimates: impl IntoIterator<Item = &'a Estimate> + Clone) -> String {
    let from = estimates.clone().into_iter().find_map(|e| e.interval_from);
    estimates
        .into_iter()
        .find_map(|e| e.interval_kind)
        .map(|k| match from {
            Some(m) => format!("{} ({m}'s)", k.label()),
            None => k.label(),
        })
        .unwrap_or_else(|| "interval".into())
}

/// The notes of a selection by `method` over `pool` (see
/// [`Selection::notes`]); `unranked`: the ids of the candidates not scored
/// (the zero-shot note counts the scored ones only).
pub fn notes(method: &Method, pool: &[Candidate], unranked: &[&str]) -> Vec<String> {
    let mut v = Vec::new();
    if method.reads_zero_shot() {
        let scored: Vec<&Candidate> = pool
            .iter()
            .filter(|c| !unranked.contains(&c.id.as_str()))
            .collect();
        let missing = scored
            .iter()
            .filter(|c| !c.loss_at(0.0).is_some_and(|l| l.is_finite() && l > 0.0))
            .count();
        if missing > 0 {
            v.push(format!(
                "{missing} of {} {}candidates have no zero-shot loss (N = 0), which {} reads: \
                 they are scored without it (ats-gap: as by ats-trend)",
                scored.len(),
                if scored.len() < pool.len() {
                    "scored "
                } else {
                    ""
                },
                method.name(),
            ));
        }
    }
    v
}

/// The notes on the choice itself: a pool of one ranked candidate (nothing
/// to choose among) and candidates whose scores tie (the order between them
/// is the input's, not the data's). `ranking` best first, `chosen` its
/// position.
pub fn choice_notes(pool: &[Candidate], ranking: &[Ranked], chosen: usize) -> Vec<String> {
    let mut v = Vec::new();
    if ranking.len() == 1 {
        let id = &pool[ranking[0].index].id;
        v.push(if pool.len() == 1 {
            format!(
                "there is one candidate ('{id}'): nothing to choose among; its prediction and \
                 interval say what to expect of it at the target"
            )
        } else {
            format!(
                "only one candidate is ranked ('{id}'; the others could not be scored): \
                 nothing to choose among"
            )
        });
        return v;
    }
    let same = |a: &Ranked, b: &Ranked| {
        let (x, y) = (a.estimate.score, b.estimate.score);
        (x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()))
            && a.estimate.interval == b.estimate.interval
    };
    let mut i = 0;
    while i < ranking.len() {
        let mut j = i + 1;
        while j < ranking.len() && same(&ranking[i], &ranking[j]) {
            j += 1;
        }
        if j - i > 1 {
            let ids: Vec<String> = ranking[i..j]
                .iter()
                .map(|r| format!("'{}'", pool[r.index].id))
                .collect();
            let chosen_here = (i..j).contains(&chosen);
            v.push(format!(
                "{} tie (score {}{}): they are ranked in the input's order{}",
                ids.join(", "),
                crate::numbers::num(ranking[i].estimate.score),
                if ranking[i].estimate.interval.is_some() {
                    ", the same interval"
                } else {
                    ""
                },
                if chosen_here {
                    ", so the choice among them is that order, not the data"
                } else {
                    ""
                }
            ));
        }
        i = j;
    }
    v
}

/// A note when the budget reaches the target: nothing is left to
/// extrapolate, and the candidates measured at the target are best compared
/// by their measured losses (the `observed` column). The ranking stays the
/// method's (its score from the sizes up to the target, as at any budget,
/// so that a budget is scored one way); the note names the candidate with
/// the lowest measured loss. None otherwise.
pub fn budget_note(method: &Method, pool: &[Candidate], budget: &Budget) -> Option<String> {
    if budget.max_n < budget.target * (1.0 - 1e-12) {
        return None;
    }
    let measured: Vec<(&str, f64)> = pool
        .iter()
        .filter_map(|c| Some((c.id.as_str(), c.loss_at(budget.target)?)))
        .collect();
    let lowest = measured
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, l)| {
            format!(
                "; the lowest measured loss is {id}'s ({})",
                crate::numbers::num(*l)
            )
        })
        .unwrap_or_default();
    Some(format!(
        "the budget reaches the target ({}): there is nothing to extrapolate, and this costs at \
         least as much as fine-tuning every candidate on the target size; {} of {} candidates are \
         measured there: compare them by their measured losses (the observed column){lowest}. \
         The ranking above is not by those measurements: it is {}'s score from the sizes up to \
         the target, as at any budget",
        crate::numbers::num(budget.target),
        measured.len(),
        pool.len(),
        method.name()
    ))
}

/// The largest target-to-budget ratio (128: budgets 1/8 ... 1/128) at which
/// the learned interval's coverage fell short on curves unlike FLAN's and
/// WMT19's ([`coverage_note`]). It was 32 until a second new user's pools
/// (probe64: 40 pools of 8 rectified-law candidates, 1% noise) measured
/// 70% at 1/64 and 81% at 1/128 (94% at 1/256, 93% at 1/512).
pub const SHORT_REACH: f64 = 128.0;

/// A note on the learned predictive interval (`calibration` with a scale)
/// where the target lies within [`SHORT_REACH`] times the largest affordable
/// size (but past it) and the pool shows no floor within reach (`floor`;
/// where it shows one, [`floor_note`] is said instead): there its interval
/// covered [`LODO_COVERAGE_WITHIN_REACH`] of the truth on FLAN and WMT19,
/// each left out (at 90%: 80-97%), but at 90% 64-92% on synthetic pools of rectified-law candidates that nothing
/// was tuned on, before it spanned their floor fits (at 1% noise: 73-87% on
/// the README's at 1/8-1/32; 78-92% and 69-92% on two new users' pools at
/// 1/8-1/128, the second's 70% at 1/64), and the chosen candidate's own
/// interval less often (in the second, 14-23 of 40 pools of 8 at
/// 1/16-1/128, 6 of 20 pools of 20 at 1/64: the lowest prediction of a pool
/// is the likeliest to be too low) (README, "Where it is least safe";
/// BENCHMARKS.md, "select's interval near the budget: the coverage said",
/// "select's interval at 1/64-1/128", "select's interval: a pool-level
/// floor check"). None elsewhere.
pub fn coverage_note(
    calibration: Option<&Calibration>,
    budget: &Budget,
    floor: Option<&super::floor::FloorCheck>,
) -> Option<String> {
    let cal = calibration.filter(|c| c.scale.is_some())?;
    if floor.is_some_and(|f| f.shows_floor()) {
        return None;
    }
    let reach = budget.target / budget.max_n;
    if !(reach > 1.0 + 1e-9 && reach <= SHORT_REACH * (1.0 + 1e-9)) {
        return None;
    }
    let level = cal.interval_level();
    let measured = LODO_COVERAGE_WITHIN_REACH
        .iter()
        .find(|(l, _, _)| (l - level).abs() < 1e-9);
    let on_those = match measured {
        Some((_, lo, hi)) => format!(
            "{} {} interval covered {lo}-{hi}% of the true losses on those datasets (each left out)",
            article(level),
            crate::numbers::percent(level)
        ),
        None => {
            let (l, lo, hi) = LODO_COVERAGE_WITHIN_REACH[1];
            format!(
                "a {} interval covered {lo}-{hi}% of the true losses on those datasets (each left \
                 out; measured at 80%, 90% and 95%, not at {})",
                crate::numbers::percent(l),
                crate::numbers::percent(level)
            )
        }
    };
    Some(format!(
        "the {} interval's width was learned on FLAN and WMT19; where the target is within {}x \
         the largest affordable size (here {}x), {on_those}; a 90% one covered 64-92% on synthetic pools of rectified-law \
         candidates before it spanned their own floor fits, which it does only where most of the \
         pool's curves show a floor within reach (this pool's do not): on curves unlike those two \
         datasets read a 90% interval as nearer 70-85%, and the chosen candidate's own interval as less sure \
         still (on those pools it held the truth in 30-58% of them: the lowest prediction is the \
         likeliest to be too low)",
        crate::numbers::percent(level),
        SHORT_REACH,
        crate::numbers::short(reach)
    ))
}

/// "an" before a percentage read aloud with a vowel (80%, 11%, 18%), else "a".
fn article(level: f64) -> &'static str {
    let p = crate::numbers::percent(level);
    if p.starts_with('8') || p.starts_with("11%") || p.starts_with("18") {
        "an"
    } else {
        "a"
    }
}

/// The default's interval out of sample on FLAN and WMT19 (each left out,
/// `slaw bench selection --protocol lodo --level L`) at the budgets within
/// [`SHORT_REACH`] (1/8 ... 1/128): per level, the lowest and highest share
/// of the 30 candidates' true losses it held, in %, over both datasets
/// (`tests/selection_lodo.rs` re-measures them). [`coverage_note`] quotes
/// the row of the asked level.
pub const LODO_COVERAGE_WITHIN_REACH: [(f64, u32, u32); 3] =
    [(0.8, 73, 93), (0.9, 80, 97), (0.95, 87, 100)];

/// A note where the pool shows a floor within reach
/// ([`super::floor::FloorCheck::shows_floor`]) and the learned predictive
/// intervals therefore span each candidate's own rectified-law fit: how
/// many candidates' fitted floors lie within reach, and the coverage such
/// intervals had on synthetic pools of rectified-law candidates (fresh
/// seeds, two designs, 1% and 3% noise, budgets 1/8 ... 1/512: 86-96% at
/// 90%, 63-95% without the floor fit; the chosen candidate's in 85-100% of
/// the pools; BENCHMARKS.md,
/// "select's interval: a pool-level floor check"). None otherwise.
pub fn floor_note(
    calibration: Option<&Calibration>,
    floor: Option<&super::floor::FloorCheck>,
) -> Option<String> {
    let cal = calibration.filter(|c| c.scale.is_some())?;
    let f = floor.filter(|f| f.shows_floor())?;
    Some(format!(
        "most of the pool's curves bend toward a floor within reach: for {} of {} candidates the \
         floor E of the rectified law B / (D_l + D^beta) + E fitted to the affordable points lies \
         within {}x the drop the interval's centre predicts to the target, so each candidate's {} \
         interval also spans that fit's prediction (the line hypotheses do not bend toward a \
         floor, and the width was learned on FLAN and WMT19, whose curves show none). On \
         synthetic pools of rectified-law candidates such intervals covered 86-96% of the true \
         losses at 90% (63-95% without the floor fit), the chosen candidate's in 85-100% of the \
         pools",
        f.within_reach,
        f.candidates,
        crate::numbers::short(super::floor::FLOOR_REACH),
        crate::numbers::percent(cal.interval_level()),
    ))
}

/// The smallest and largest positive, finite size measured over the pool's
/// curves; None without any.
pub(super) fn pool_size_span(pool: &[Candidate]) -> Option<(f64, f64)> {
    pool.iter()
        .flat_map(|c| c.curve.iter().map(|p| p.0))
        .filter(|n| *n > 0.0 && n.is_finite())
        .fold(None, |s, n| {
            Some(s.map_or((n, n), |(lo, hi): (f64, f64)| (lo.min(n), hi.max(n))))
        })
}

/// A warning when the pool's measurements stop well short of the budget:
/// every candidate's largest measured size is more than 2x below the
/// largest affordable size (a measured halving ladder always reaches within
/// 2x of it). Then the budget did not bound what was measured, and the
/// ranking extrapolates from the largest measured size, not from the
/// budget: the usual cause is a target given in another unit than the
/// sizes (examples against thousands of examples), which no other check
/// sees. None when some candidate is measured within 2x of the budget.
///
/// The 2x rule cannot see a slip when the budget is so small that the
/// slipped sizes all lie under it within 2x (thousands against examples at
/// 1/512: the sizes stop at target / 1000, the budget is target / 512).
/// Two more signs, at every budget, each said instead when the 2x rule is
/// silent ([`unit_slip_warning`]): sizes with fractions (not counts) while
/// the target is a whole number of at least 1000 and lies more than 2x
/// beyond every measured size; or measured sizes reaching more than 100x
/// beyond the target (the target in a larger unit than the sizes).
pub(super) fn short_of_budget_warning(pool: &[Candidate], budget: &Budget) -> Option<String> {
    let largest = pool_size_span(pool)?.1;
    // (not `>=`: a NaN budget warns of nothing)
    if largest * 2.0 >= budget.max_n || budget.max_n.is_nan() {
        return unit_slip_warning(pool, budget);
    }
    (largest * 2.0 < budget.max_n).then(|| {
        format!(
            "the pool's measurements stop at size {} ({}x below the largest affordable size {}): \
         the ranking extrapolates from {} to the target {} ({}), and the cost counts only the \
         sizes measured; if the sizes are in another unit than the target (e.g. thousands of \
         examples against examples), give the target and the budget in the sizes' unit",
            crate::numbers::num(largest),
            crate::numbers::num(budget.max_n / largest),
            crate::numbers::num(budget.max_n),
            crate::numbers::num(largest),
            crate::numbers::num(budget.target),
            crate::numbers::decades((budget.target / largest).log10()),
        )
    })
}

/// The signs of a target in another unit than the sizes that do not
/// depend on the budget (see [`short_of_budget_warning`]): the sizes have
/// fractions (0.2, 1638.4: not counts of examples) while the target is a
/// whole number of at least 1000 more than 2x beyond the largest measured
/// size; or the largest measured size is more than 100x beyond the target.
/// None otherwise.
pub(super) fn unit_slip_warning(pool: &[Candidate], budget: &Budget) -> Option<String> {
    let (_, largest) = pool_size_span(pool)?;
    let target = budget.target;
    if largest > 100.0 * target {
        return Some(format!(
            "the pool's sizes reach {} ({}x beyond the target {}): if the target is in a larger \
             unit than the sizes (e.g. thousands of examples against examples), give the target \
             and the budget in the sizes' unit",
            crate::numbers::num(largest),
            crate::numbers::num(largest / target),
            crate::numbers::num(target),
        ));
    }
    let fraction = pool
        .iter()
        .flat_map(|c| c.curve.iter().map(|p| p.0))
        .find(|n| *n > 0.0 && n.is_finite() && n.fract() != 0.0)?;
    let whole_target = target.fract() == 0.0 && target >= 1000.0;
    (whole_target && largest * 2.0 < target).then(|| {
        format!(
            "the pool's sizes have fractions (e.g. {}), so they are not counts, while the target \
             {} is a whole number {}x beyond the largest measured size {}: the ranking \
             extrapolates {}; if the sizes are in another unit than the target (e.g. thousands \
             of examples against examples), give the target and the budget in the sizes' unit",
            crate::numbers::num(fraction),
            crate::numbers::num(target),
            crate::numbers::num(target / largest),
            crate::numbers::num(largest),
            crate::numbers::decades((target / largest).log10()),
        )
    })
}

/// A warning when the predictive intervals' centre is moved from the
/// prediction, at some candidate's target, by a drift correction larger
/// than the evidence for it ([`Calibration::weak_correction`]): its size in
/// ln and in % of the loss, the drift and how the candidates' backtests
/// agree on it. None when no candidate's is (or without a calibration).
pub(super) fn weak_drift_warning(
    cal: Option<&Calibration>,
    pool: &[Candidate],
    budget: &Budget,
    ranking: &[Ranked],
) -> Option<String> {
    let cal = cal?;
    let flagged: Vec<WeakCorrection> = ranking
        .iter()
        .filter(|rk| {
            matches!(
                rk.estimate.interval_kind,
                Some(IntervalKind::Backtest { .. })
            )
        })
        .filter_map(|rk| {
            let last = budget.affordable(&pool[rk.index]).last()?.0;
            cal.weak_correction(budget.target.ln() - last.ln())
        })
        .collect();
    let w = flagged
        .iter()
        .max_by(|a, b| a.correction.abs().total_cmp(&b.correction.abs()))?;
    let ev = w.evidence;
    let num = crate::numbers::g6;
    let why = {
        let mut v = Vec::new();
        match ev.se {
            Some(se) if w.drift.abs() < calibrate::DRIFT_SE_FACTOR * se => v.push(format!(
                "it is {} standard errors from 0 (se {}, the candidates' mean errors as units)",
                crate::numbers::short(w.drift.abs() / se),
                num(se)
            )),
            None => v.push("it rests on fewer than 2 candidates".to_string()),
            _ => {}
        }
        if ev.candidates < 3 && ev.se.is_some() {
            v.push(format!("it rests on {} candidates", ev.candidates));
        }
        if (ev.same_sign as f64) < calibrate::DRIFT_SAME_SIGN * ev.candidates as f64 {
            v.push(format!(
                "only {} of {} candidates' backtests err in its direction",
                ev.same_sign, ev.candidates
            ));
        }
        v.join("; ")
    };
    Some(format!(
        "the predictive interval{} moved from the prediction by the pool's drift, \
         {}{} ln at the target ({}{}% of the loss), more than its evidence supports: the drift, \
         {} per unit ln(size), comes from backtests inside the affordable sizes, and {why}; the \
         interval may be off-centre by that much",
        if flagged.len() == 1 {
            "'s centre is".to_string()
        } else {
            format!("s' centres ({} candidates) are", flagged.len())
        },
        if w.correction > 0.0 { "+" } else { "" },
        crate::numbers::short(w.correction),
        if w.correction > 0.0 { "+" } else { "" },
        crate::numbers::short(100.0 * w.correction.exp_m1()),
        num(w.drift),
    ))
}

/// The caveats of a ranking of `pool`, after its references' warnings
/// ([`reference_uses`]): the candidates whose predictive interval has no
/// width, the candidates not scored (`unranked`: their ids; said only when
/// some others are ranked), intervals at a lower level than `level` (the
/// calibrated intervals' level asked for; None: bootstrap intervals), and
/// values decades from the others (a loss 1e9 among losses near 3, a
/// parameter count), then the affordable points under `budget` that break
/// their curve's trend ([`spikes::spikes`]; a point decades off has the
/// warning before). One list, in this order, for `slaw select` and the
/// runner's ranking (`slaw run`, `status`, `report`): the same points give
/// the same warnings.
pub fn ranking_caveats(
    pool: &[Candidate],
    budget: &Budget,
    ranked: &[&Estimate],
    unranked: &[&str],
    level: Option<f64>,
) -> Vec<String> {
    caveats_located(pool, budget, ranked, unranked, level, None, None)
}

/// [`ranking_caveats`], a value's warning prefixed by where it was read;
/// `spikes`: [`spikes::spikes`] of `pool` and `budget` when the caller has
/// them already (None: computed here).
pub(super) fn caveats_located(
    pool: &[Candidate],
    budget: &Budget,
    ranked: &[&Estimate],
    unranked: &[&str],
    level: Option<f64>,
    rows: Option<&crate::datasets::PoolRows>,
    spikes: Option<&[spikes::Spike]>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    warnings.extend(zero_width_warning(ranked));
    if !unranked.is_empty() && !ranked.is_empty() {
        // Only a candidate with fewer affordable sizes than every ranked
        // one lacks sizes; another was not scored for another reason (a
        // fit whose floor is 0, say: probe54 #17).
        let sizes = |id: &str| {
            pool.iter().find(|c| c.id == id).map_or(0, |c| {
                budget.affordable(c).iter().filter(|p| p.0 > 0.0).count()
            })
        };
        let fewest = ranked.iter().map(|e| sizes(&e.id)).min().unwrap_or(0);
        let lacking: Vec<&str> = unranked
            .iter()
            .copied()
            .filter(|id| sizes(id) < fewest)
            .collect();
        let what = if lacking.len() == unranked.len() {
            "measure the sizes they lack to rank them".to_string()
        } else if lacking.is_empty() {
            "they have as many affordable sizes as the ranked ones: the reason given for each \
             says why it was not scored"
                .to_string()
        } else {
            format!(
                "measure the sizes that {} lack; the reason given for each of the others says \
                 why it was not scored",
                lacking.join(", ")
            )
        };
        warnings.push(format!(
            "{} of {} candidates could not be scored and are not ranked ({}): the choice is \
             among the others; {what}",
            unranked.len(),
            pool.len(),
            unranked.join(", ")
        ));
    }
    warnings.extend(level.and_then(|l| capped_level_warning(l, ranked)));
    let far_warnings = far_value_warnings(pool);
    // The losses decades off (a parameter count's warning has no size).
    let far: Vec<(usize, f64)> = far_warnings
        .iter()
        .filter_map(|&(ci, n, _)| n.map(|n| (ci, n)))
        .collect();
    warnings.extend(
        far_warnings
            .into_iter()
            .map(|(i, n, w)| located(rows, i, n, w)),
    );
    // A point that breaks its curve's trend (the methods that learn from the
    // pool learn without it); a loss decades off has its own warning above.
    let computed;
    let spikes = match spikes {
        Some(s) => s,
        None => {
            computed = spikes::spikes(pool, budget);
            &computed
        }
    };
    let new_spikes = spikes.iter().filter(|s| !far.contains(&(s.candidate, s.n)));
    warnings.extend(new_spikes.map(|s| {
        located(
            rows,
            s.candidate,
            Some(s.n),
            s.warning(&pool[s.candidate].id),
        )
    }));
    warnings
}

/// The footnote of a ranking's `*` markers (the predicted loss lies outside
/// its interval, [`Estimate::prediction_outside_interval`]): how many, and
/// why (the interval is another method's, built around its own
/// prediction). None when no prediction lies outside. One text for `slaw
/// select` and the runner's ranking.
pub fn outside_interval_note(method: &Method, ranked: &[&Estimate]) -> Option<String> {
    let outside = ranked
        .iter()
        .filter(|e| e.prediction_outside_interval())
        .count();
    (outside > 0).then(|| {
        format!(
            "* {outside} of {} scores lie outside their interval: the interval is {}'s, built \
             around its own drift-corrected prediction, not centred on {}'s score (which moves \
             the ranking only)",
            ranked.len(),
            ranked
                .iter()
                .find_map(|e| e.interval_from)
                .unwrap_or("another method"),
            method.name()
        )
    })
}

/// A warning when the predictive intervals are at a lower level than the
/// one asked for: a calibrated scale has quantiles only up to the last of
/// [`calibrate::SCALE_LEVELS`] (99%), so a level above it gets that level's
/// interval ([`calibrate::Calibration::interval_level`]).
pub(super) fn capped_level_warning(level: f64, ranked: &[&Estimate]) -> Option<String> {
    let given = ranked
        .iter()
        .filter_map(|e| match e.interval_kind {
            Some(IntervalKind::Backtest { level: l }) if l < level => Some(l),
            _ => None,
        })
        .fold(None, |m: Option<f64>, l| Some(m.map_or(l, |m| m.max(l))))?;
    Some(format!(
        "level {level}: the predictive intervals are {} intervals (their calibration on public \
         curves has quantiles only up to {}; rarer misses cannot be learned from them), so they \
         cover less than {} of the time",
        crate::numbers::percent(given),
        crate::numbers::percent(given),
        crate::numbers::percent(level)
    ))
}

/// Warnings naming a measured loss lying more than
/// [`crate::observations::FAR_DECADES`] decades from the candidate's other
/// losses, and a parameter count that far from the other candidates'
/// ([`crate::observations::far_values`]): a loss of 1e308 at one size made
/// vanilla-fit rank its candidate first, silently.
pub(super) fn far_value_warnings(pool: &[Candidate]) -> Vec<(usize, Option<f64>, String)> {
    let median_of_others = |vals: &[f64], i: usize| {
        crate::stats::median(
            vals.iter()
                .enumerate()
                .filter(|&(k, v)| k != i && v.is_finite() && *v > 0.0)
                .map(|(_, v)| *v)
                .collect(),
        )
    };
    let decades = |a: f64, b: f64| (a.log10() - b.log10()).abs();
    let short = crate::numbers::short;
    let mut out = Vec::new();
    for (ci, c) in pool.iter().enumerate() {
        let losses: Vec<f64> = c.curve.iter().map(|p| p.1).collect();
        for i in crate::observations::far_values(&losses) {
            let m = median_of_others(&losses, i);
            out.push((
                ci,
                Some(c.curve[i].0),
                format!(
                    "candidate '{}': the loss {} at size {} lies {:.0} decades from its other \
                 measured losses (median {}): a typo or a unit error? It is scored like any \
                 other point and can decide the ranking",
                    c.id,
                    short(losses[i]),
                    short(c.curve[i].0),
                    decades(losses[i], m),
                    short(m)
                ),
            ));
        }
    }
    let sizes: Vec<f64> = pool.iter().map(|c| c.size.unwrap_or(f64::NAN)).collect();
    for i in crate::observations::far_values(&sizes) {
        let m = median_of_others(&sizes, i);
        out.push((
            i,
            None,
            format!(
                "candidate '{}': the parameter count {} lies {:.0} decades from the other \
             candidates' (median {}): a typo or a unit error?",
                pool[i].id,
                short(sizes[i]),
                decades(sizes[i], m),
                short(m)
            ),
        ));
    }
    out
}

/// The warnings naming the candidates whose interval has no width: a
/// predictive one when their extrapolation hypotheses agree exactly (a flat
/// curve), which the calibration, learned on curves whose hypotheses
/// differ, cannot widen; a bootstrap one when resampling the points moves
/// nothing (the same loss at every size: a probe's runner candidate got
/// [1.5, 1.5] with only the generic bootstrap warning). One warning per
/// kind, None for a kind without such a candidate.
pub(super) fn zero_width_warning(ranked: &[&Estimate]) -> Option<String> {
    let zero = |bootstrap: bool| -> Vec<&str> {
        ranked
            .iter()
            .filter(|e| {
                let kind = match e.interval_kind {
                    Some(IntervalKind::Backtest { .. }) => Some(false),
                    Some(IntervalKind::Bootstrap { .. }) => Some(true),
                    _ => None,
                };
                kind == Some(bootstrap)
                    && e.interval.is_some_and(|iv| iv.hi <= iv.lo * (1.0 + 1e-9))
            })
            .map(|e| e.id.as_str())
            .collect()
    };
    let (predictive, bootstrap) = (zero(false), zero(true));
    let mut parts = Vec::new();
    if !predictive.is_empty() {
        parts.push(format!(
            "{}: the extrapolation hypotheses agree exactly (a flat curve?), so the predictive \
             interval has no width; the calibration, learned on curves whose hypotheses differ, \
             cannot say how far such a prediction misses: read it as a point, not a 0-width \
             certainty",
            predictive.join(", ")
        ));
    }
    if !bootstrap.is_empty() {
        parts.push(format!(
            "{}: resampling the points moves nothing (the same loss at every size?), so the \
             bootstrap interval has no width: read it as a point, not a 0-width certainty",
            bootstrap.join(", ")
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The footnote of the interval marker `<` in a ranking: which candidates'
/// intervals are open below and what such an interval covers; None when
/// none is.
pub fn open_below_note(ranked: &[&Estimate]) -> Option<String> {
    let ids: Vec<String> = ranked
        .iter()
        .filter(|e| e.open_below.is_some())
        .map(|e| format!("'{}'", e.id))
        .collect();
    (!ids.is_empty()).then(|| {
        // "lower end open: the candidate is ..." said of the candidates named.
        let why = OPEN_BELOW_COVERS
            .strip_prefix("lower end open: ")
            .unwrap_or(OPEN_BELOW_COVERS);
        let why = if ids.len() == 1 {
            why.to_string()
        } else {
            why.replacen("the candidate is", "each is", 1)
        };
        format!("<: lower end open for {}: {why}", ids.join(", "))
    })
}

/// A note for each candidate whose affordable curve is still steepening in
/// log-log at its largest affordable sizes ([`still_accelerating`]). Such a
/// curve may not have reached its power phase, and a line through its
/// points predicts too high a loss; the line methods' predictive interval
/// is open below for it ([`OpenBelow`]), which the note says for the
/// candidates named in `open_below` only (a law-fit method's bootstrap
/// interval is not opened).
pub fn accelerating_notes(pool: &[Candidate], budget: &Budget, open_below: &[&str]) -> Vec<String> {
    let num = crate::numbers::short;
    pool.iter()
        .filter_map(|c| {
            let pts = budget.affordable(c);
            let (s1, s3) = still_accelerating(&pts)?;
            let last = pts.iter().rev().find(|p| p.0 > 0.0)?.0;
            // Measured at the target: its loss there is known, not predicted.
            if last >= budget.target {
                return None;
            }
            Some(format!(
                "'{}' is still accelerating at the largest affordable size (slope {} -> {} \
                 per unit ln(size)): it may not have reached its power phase; its \
                 prediction may be too high{}; fine-tune it at a larger size ({}) before \
                 ruling it out",
                c.id,
                num(s1),
                num(s3),
                if open_below.contains(&c.id.as_str()) {
                    " (a predictive interval is open below for it)"
                } else {
                    ""
                },
                num((FINE_TUNE_FACTOR * last).min(budget.target))
            ))
        })
        .collect()
}

#[cfg(test)]
mod sel54_tests {
    use super::*;

    fn cand(id: &str, curve: Vec<(f64, f64)>) -> Candidate {
        Candidate {
            id: id.into(),
            curve,
            size: None,
            family: None,
        }
    }

    fn est(id: &str) -> Estimate {
        Estimate {
            id: id.into(),
            family: None,
            params: None,
            score: 1.0,
            predicted_loss: Some(1.0),
            interval: None,
            interval_kind: None,
            interval_from: None,
            risk_interval: None,
            open_below: None,
            detail: Detail::None,
        }
    }

    /// probe54 #17: a candidate that lacks no size but was not scored (its
    /// fit's floor at 0, say) is not told to measure the sizes it lacks.
    #[test]
    fn the_unranked_summary_names_the_reason_by_sizes() {
        let full: Vec<(f64, f64)> = (0..6)
            .map(|k| (200.0 * 2f64.powi(k), 3.0 - 0.1 * k as f64))
            .collect();
        let short = full[..2].to_vec();
        let pool = [
            cand("a", full.clone()),
            cand("b", full.clone()),
            cand("c", short),
        ];
        let budget = Budget::new(1638400.0, 6400.0).unwrap();
        let e = est("a");
        let ranked = [&e];
        let w = ranking_caveats(&pool, &budget, &ranked, &["b"], None);
        let s = w
            .iter()
            .find(|w| w.contains("could not be scored"))
            .unwrap();
        assert!(!s.contains("measure the sizes"), "{s}");
        assert!(s.contains("the reason given for each"), "{s}");
        let w = ranking_caveats(&pool, &budget, &ranked, &["c"], None);
        let s = w
            .iter()
            .find(|w| w.contains("could not be scored"))
            .unwrap();
        assert!(s.contains("measure the sizes they lack"), "{s}");
        let w = ranking_caveats(&pool, &budget, &ranked, &["b", "c"], None);
        let s = w
            .iter()
            .find(|w| w.contains("could not be scored"))
            .unwrap();
        assert!(s.contains("measure the sizes that c lack"), "{s}");
    }

    /// The still-accelerating rule: slopes steepening at each of the last 3
    /// segments by at least the threshold in all fire; a power law (one
    /// slope) and a flattening curve do not.
    #[test]
    fn the_accelerating_note_fires_on_a_steepening_curve_only() {
        let ns: Vec<f64> = (0..6).map(|k| 200.0 * 2f64.powi(k)).collect();
        let budget = Budget::new(1638400.0, 6400.0).unwrap();
        let curve = |f: &dyn Fn(f64) -> f64| ns.iter().map(|&n| (n, f(n))).collect::<Vec<_>>();
        // ln L = 1 - 0.02 x^2 with x = ln(n / 200): slope -0.04 x, steepening.
        let steep = cand(
            "s",
            curve(&|n: f64| (1.0 - 0.02 * (n / 200.0).ln().powi(2)).exp()),
        );
        let power = cand("p", curve(&|n: f64| 3.0 * n.powf(-0.1)));
        let flat = cand("f", curve(&|n: f64| 1.0 + 2.0 * n.powf(-0.3)));
        let notes = accelerating_notes(
            &[steep.clone(), power.clone(), flat.clone()],
            &budget,
            &["s"],
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].starts_with("'s' is still accelerating"),
            "{}",
            notes[0]
        );
        assert!(
            notes[0].contains("(a predictive interval is open below for it)"),
            "{}",
            notes[0]
        );
        // A method whose interval is not opened (a law fit's bootstrap):
        // the note does not say it is (probe71).
        let notes = accelerating_notes(&[steep.clone(), power, flat], &budget, &[]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(!notes[0].contains("open below"), "{}", notes[0]);
        // Measured at the target (a budget that reaches it): its loss there
        // is known, so no larger run is advised and its interval is not
        // opened (probe60: "fine-tune it at a larger size (25600)" for a
        // candidate measured at 25600).
        let at_target = Budget::new(6400.0, 6400.0).unwrap();
        assert!(accelerating_notes(std::slice::from_ref(&steep), &at_target, &["s"]).is_empty());
        let pts = at_target.affordable(&steep);
        assert!(OpenBelow::of(&pts, &at_target, 0.5).is_none());
        assert!(OpenBelow::of(&pts, &budget, 0.5).is_some());
    }
}
