//! Checks of a pool against what the selection assumes, each said as a
//! warning or a note beside the ranking: losses that fall with the
//! fine-tuning size (not an accuracy or a BLEU), every candidate measured at
//! the affordable sizes the others have, a target within the extrapolation
//! ratios the line methods' intervals were calibrated at (and intervals that
//! are predictive at all), parameter counts that are counts. One set for
//! `slaw select` and the runner's ranking (`slaw run`, `status`, `report`).

use super::*;

/// A candidate's losses "rise" with the fine-tuning size when the
/// least-squares slope of ln L on ln n over its affordable points (N > 0)
/// exceeds this and its last affordable loss lies above its first. Fixed
/// before looking at the public curves, by reasoning: a loss with 1% noise
/// per point on a doubling ladder gives the slope a standard error of about
/// 0.01 over 3 points (0.0035 over 6), so 0.02 is two standard errors at
/// the fewest points read; an accuracy or a BLEU taken as the loss rises by
/// 0.05-0.2 per unit ln n. On FLAN and WMT19 at every budget 1/8-1/512 no
/// candidate rises (BENCHMARKS.md, "Checks of the pool").
pub const RISE_SLOPE: f64 = 0.02;

/// The fewest affordable points (N > 0) whose slope [`RISE_SLOPE`] judges.
pub const RISE_MIN_POINTS: usize = 3;

/// Parameter counts all below this are not counts (millions or billions):
/// the smallest fine-tuned language models have over 1e6 parameters.
pub const FEW_PARAMS: f64 = 1e5;

/// The extrapolation ratios target / largest affordable size at which the
/// line methods' interval scales were learned ([`protocol::learn_scale`]:
/// the budgets 1/r of [`protocol::RATIOS`] on doubling ladders, whose
/// largest affordable size is the target / r): the first and the last r.
pub fn calibrated_ratios() -> (f64, f64) {
    let r = protocol::RATIOS;
    (r[0] as f64, r[r.len() - 1] as f64)
}

/// A candidate whose losses rise with the fine-tuning size.
#[derive(Debug, Clone, PartialEq)]
pub struct Rise {
    /// The candidate's position in the pool.
    pub candidate: usize,
    /// The slope of ln L on ln n over its affordable points.
    pub slope: f64,
    /// Its smallest and largest affordable size.
    pub sizes: (f64, f64),
}

/// The least-squares slope of ln L on ln n (None under 2 distinct sizes or
/// a loss that is not positive).
fn ln_slope(pts: &[(f64, f64)]) -> Option<f64> {
    if pts.iter().any(|p| !(p.1 > 0.0 && p.1.is_finite())) {
        return None;
    }
    let xs: Vec<f64> = pts.iter().map(|p| p.0.ln()).collect();
    let ys: Vec<f64> = pts.iter().map(|p| p.1.ln()).collect();
    let k = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / k, ys.iter().sum::<f64>() / k);
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx).filter(|s| s.is_finite())
}

/// The candidates whose losses rise with the fine-tuning size (the rule of
/// [`RISE_SLOPE`]), and how many candidates were judged (those with at
/// least [`RISE_MIN_POINTS`] affordable points).
pub fn rising(pool: &[Candidate], budget: &Budget) -> (Vec<Rise>, usize) {
    let mut judged = 0;
    let mut out = Vec::new();
    for (i, c) in pool.iter().enumerate() {
        let pts = budget.affordable(c);
        if pts.len() < RISE_MIN_POINTS {
            continue;
        }
        let Some(slope) = ln_slope(&pts) else {
            continue;
        };
        judged += 1;
        let (first, last) = (pts[0], pts[pts.len() - 1]);
        if slope > RISE_SLOPE && last.1 > first.1 {
            out.push(Rise {
                candidate: i,
                slope,
                sizes: (first.0, last.0),
            });
        }
    }
    (out, judged)
}

/// Warnings when losses rise with the fine-tuning size: one for the pool
/// when most judged candidates' do (a column where higher is better, an
/// accuracy or a BLEU, read as the loss: the ranking puts the worst model
/// first), else one per candidate whose losses rise (an overfitting curve,
/// a failed run).
pub fn rising_loss_warnings(pool: &[Candidate], budget: &Budget) -> Vec<String> {
    let (rises, judged) = rising(pool, budget);
    if rises.is_empty() {
        return Vec::new();
    }
    let short = crate::numbers::short;
    if 2 * rises.len() > judged {
        let (lo, hi) = rises
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |m, r| {
                (m.0.min(r.slope), m.1.max(r.slope))
            });
        return vec![format!(
            "the losses rise with the fine-tuning size for {} of {} candidates (slope of ln L on \
             ln n over the affordable sizes {} to {}): is this column a loss (lower is better)? \
             An accuracy or a BLEU read as a loss ranks the worst model first",
            rises.len(),
            judged,
            short(lo),
            short(hi)
        )];
    }
    rises
        .iter()
        .map(|r| {
            format!(
                "candidate '{}': its losses rise with the fine-tuning size (slope of ln L on ln n \
                 {} over {}..{}), unlike the other candidates': an overfitting curve or a failed \
                 run? It is scored from these points as they are",
                pool[r.candidate].id,
                short(r.slope),
                short(r.sizes.0),
                short(r.sizes.1)
            )
        })
        .collect()
}

/// Notes naming each candidate that lacks affordable sizes (N > 0, within
/// the budget) measured for most of the other candidates (a blank cell of
/// a wide file, missing rows of a long one): it is scored from fewer sizes,
/// and when the sizes it lacks lie above its largest, extrapolated from a
/// smaller size than the others.
pub fn missing_size_notes(pool: &[Candidate], budget: &Budget, unranked: &[&str]) -> Vec<String> {
    if pool.len() < 2 {
        return Vec::new();
    }
    let affordable: Vec<Vec<f64>> = pool
        .iter()
        .map(|c| budget.affordable(c).iter().map(|p| p.0).collect())
        .collect();
    let mut sizes: Vec<f64> = affordable.iter().flatten().copied().collect();
    sizes.sort_by(f64::total_cmp);
    sizes.dedup();
    let has = |i: usize, n: f64| {
        affordable[i]
            .iter()
            .any(|&m| (m - n).abs() <= 1e-9 * n.abs())
    };
    let num = crate::numbers::num;
    let mut out = Vec::new();
    for i in 0..pool.len() {
        // An unranked candidate was not extrapolated at all (its reason
        // says what it lacks).
        if unranked.contains(&pool[i].id.as_str()) {
            continue;
        }
        let others = pool.len() - 1;
        let missing: Vec<f64> = sizes
            .iter()
            .copied()
            .filter(|&n| !has(i, n))
            .filter(|&n| 2 * (0..pool.len()).filter(|&j| j != i && has(j, n)).count() > others)
            .collect();
        if missing.is_empty() {
            continue;
        }
        let own_last = affordable[i].last().copied();
        let above: Vec<f64> = missing
            .iter()
            .copied()
            .filter(|&n| own_last.is_none_or(|l| n > l))
            .collect();
        let list: Vec<String> = missing.iter().map(|&n| num(n)).collect();
        let tail = match (own_last, above.last()) {
            (Some(l), Some(&top)) => format!(
                ": extrapolated from {} (instead of {}: {} to the target instead of {})",
                num(l),
                num(top),
                crate::numbers::decades((budget.target / l).log10()),
                crate::numbers::decades((budget.target / top).log10()),
            ),
            (None, _) => ": it has no affordable size".to_string(),
            _ => ": it is scored from fewer sizes".to_string(),
        };
        out.push(format!(
            "{} has no loss at {}, measured for the others{tail}",
            pool[i].id,
            list.join(", ")
        ));
    }
    out
}

/// A warning when some ranked line-method estimate extrapolates further
/// than the line methods' intervals were calibrated at: the ratio target /
/// the candidate's largest affordable size above the last of
/// [`calibrated_ratios`]. How many candidates, the largest ratio, and by
/// how much it exceeds the range. None otherwise.
pub fn extrapolation_warning(
    pool: &[Candidate],
    budget: &Budget,
    ranked: &[&Estimate],
) -> Option<String> {
    let (lo, hi) = calibrated_ratios();
    let ratios: Vec<f64> = ranked
        .iter()
        .filter(|e| matches!(e.detail, Detail::Ats { .. }))
        .filter_map(|e| {
            let c = pool.iter().find(|c| c.id == e.id)?;
            let last = budget.affordable(c).last()?.0;
            Some(budget.target / last)
        })
        .filter(|r| *r > hi * (1.0 + 1e-9))
        .collect();
    let far = ratios.iter().copied().fold(f64::NAN, f64::max);
    (!ratios.is_empty()).then(|| {
        let num = crate::numbers::num;
        format!(
            "the target is {}x the largest affordable size{}: the line methods' intervals (and \
             their learned trend) were calibrated at extrapolations of {}x to {}x (public curves \
             at budgets 1/{} to 1/{}); this is {} past that, where their coverage was not \
             measured",
            num(far),
            if ratios.len() == 1 {
                " for 1 candidate".to_string()
            } else {
                format!(" (at most; {} candidates past {}x)", ratios.len(), num(hi))
            },
            num(lo),
            num(hi),
            num(lo),
            num(hi),
            crate::numbers::decades((far / hi).log10()),
        )
    })
}

/// A warning when a line method's interval fell back to the bootstrap of
/// the affordable points (the pool gives too few backtests to calibrate):
/// such an interval carries the noise of the points only, not the error of
/// extrapolating to the target, so it is not predictive. None otherwise.
pub fn bootstrap_fallback_warning(ranked: &[&Estimate]) -> Option<String> {
    let ids: Vec<&str> = ranked
        .iter()
        .filter(|e| {
            matches!(e.detail, Detail::Ats { .. })
                && matches!(e.interval_kind, Some(IntervalKind::Bootstrap { .. }))
        })
        .map(|e| e.id.as_str())
        .collect();
    (!ids.is_empty()).then(|| {
        format!(
            "the intervals of {} of {} ranked candidates are a bootstrap of the affordable \
             points, not predictive intervals: the pool gives too few backtests (under {}) to \
             calibrate them, so they carry the noise of the points only, not the error of \
             extrapolating to the target, and cover the loss there far less often than their \
             level",
            ids.len(),
            ranked.len(),
            calibrate::MIN_BACKTESTS
        )
    })
}

/// A warning when every given parameter count is below [`FEW_PARAMS`]:
/// counts in millions or billions (0.124, 1.3) make a FLOP cost (6 x params
/// x tokens) and an examples x params cost that factor too small, and
/// model-size's score meaningless across units. None without counts.
pub fn parameter_unit_warning(counts: impl IntoIterator<Item = f64>) -> Option<String> {
    let counts: Vec<f64> = counts.into_iter().filter(|p| p.is_finite()).collect();
    let largest = counts.iter().copied().fold(f64::NAN, f64::max);
    (!counts.is_empty() && largest < FEW_PARAMS).then(|| {
        format!(
            "every parameter count is below {} (the largest is {}): they are not counts \
             (millions or billions?), so a cost in FLOPs or examples x params is off by the \
             unit's factor; give the parameters as counts (1.3e9, not 1.3)",
            crate::numbers::short(FEW_PARAMS),
            crate::numbers::short(largest)
        )
    })
}

/// The warnings of these checks on a ranking of `pool` under `budget`
/// (`ranked`: the ranked estimates), in this order: rising losses, the
/// extrapolation beyond the calibrated ratios, bootstrap intervals of a
/// line method, parameter counts that are not counts. One list for `slaw
/// select` and the runner's ranking.
pub fn pool_warnings(pool: &[Candidate], budget: &Budget, ranked: &[&Estimate]) -> Vec<String> {
    let mut v = rising_loss_warnings(pool, budget);
    v.extend(extrapolation_warning(pool, budget, ranked));
    v.extend(bootstrap_fallback_warning(ranked));
    v.extend(parameter_unit_warning(pool.iter().filter_map(|c| c.size)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    // A curve on a doubling ladder from 200 (8 sizes) whose loss follows
    // `level` x (n / 200)^slope, with a 0.3% wiggle (the selection tests').
    use crate::selection::tests::candidate as curve;

    fn pool(slopes: &[f64]) -> Vec<Candidate> {
        slopes
            .iter()
            .enumerate()
            .map(|(i, &s)| curve(&format!("m{i}"), s, 3.0 + 0.1 * i as f64))
            .collect()
    }

    fn budget(target_over_max: f64) -> Budget {
        let max_n = 200.0 * 2f64.powi(7);
        Budget::new(max_n * target_over_max, max_n).unwrap()
    }

    /// An accuracy read as the loss (every curve rises) gets one warning for
    /// the pool; one overfitting curve among falling ones gets its own;
    /// falling curves and flat ones within the noise get none.
    #[test]
    fn rising_losses_are_named_for_the_pool_or_the_candidate() {
        let b = budget(64.0);
        let acc = rising_loss_warnings(&pool(&[0.05, 0.1, 0.2, 0.08]), &b);
        assert_eq!(acc.len(), 1, "{acc:?}");
        assert!(
            acc[0].starts_with("the losses rise with the fine-tuning size for 4 of 4 candidates")
                && acc[0].contains("is this column a loss (lower is better)?"),
            "{acc:?}"
        );
        let one = rising_loss_warnings(&pool(&[-0.1, -0.2, 0.06, -0.15]), &b);
        assert_eq!(one.len(), 1, "{one:?}");
        assert!(
            one[0].starts_with("candidate 'm2': its losses rise with the fine-tuning size"),
            "{one:?}"
        );
        assert!(rising_loss_warnings(&pool(&[-0.1, -0.2, -0.05, -0.15]), &b).is_empty());
        // Flat curves with their 0.3% wiggle: no slope near the threshold.
        assert!(rising_loss_warnings(&pool(&[0.0, 0.0, 0.0, 0.0]), &b).is_empty());
        // Under RISE_MIN_POINTS affordable points, nothing is judged.
        let few = Budget::new(1e6, 400.0).unwrap();
        assert_eq!(rising(&pool(&[0.2, 0.2]), &few), (vec![], 0));
    }

    /// A candidate lacking the two largest affordable sizes the others have
    /// is named with them and the size it is extrapolated from; a pool
    /// measured alike, or sizes past the budget, give no note.
    #[test]
    fn a_candidate_lacking_affordable_sizes_is_noted() {
        let mut p = pool(&[-0.1, -0.1, -0.1, -0.1]);
        let b = budget(64.0);
        assert!(missing_size_notes(&p, &b, &[]).is_empty());
        p[1].curve.truncate(6); // no 12800, 25600
        let notes = missing_size_notes(&p, &b, &[]);
        assert_eq!(
            notes,
            vec![
                "m1 has no loss at 12800, 25600, measured for the others: extrapolated from 6400 \
                 (instead of 25600: 2.4 decades to the target instead of 1.8 decades)"
                    .to_string()
            ]
        );
        // A budget below the missing sizes: nothing affordable is missing.
        let low = Budget::new(1638400.0, 6400.0).unwrap();
        assert!(missing_size_notes(&p, &low, &[]).is_empty());
        // An interior gap: named, scored from fewer sizes.
        let mut q = pool(&[-0.1, -0.1, -0.1]);
        q[2].curve.remove(3);
        let n = missing_size_notes(&q, &b, &[]);
        assert_eq!(n.len(), 1);
        assert!(
            n[0].starts_with("m2 has no loss at 1600, measured for the others: it is scored"),
            "{n:?}"
        );
    }

    /// The calibrated ratios are the protocol's budgets, where the shipped
    /// scales were learned.
    #[test]
    fn the_calibrated_ratios_are_the_protocols_budgets() {
        assert_eq!(calibrated_ratios(), (8.0, 512.0));
    }

    /// A target 1024x the largest affordable size is past the calibrated
    /// 512x: warned, with how far; 64x is not. A pool too small to calibrate
    /// gets the bootstrap's warning.
    #[test]
    fn an_extrapolation_past_the_calibration_and_a_bootstrap_interval_are_warned() {
        let p = pool(&[-0.1, -0.12, -0.14, -0.16, -0.18, -0.2]);
        let method = Method::parse_or_default(Some("ats-trend"), false, 3, 5.0).unwrap();
        let warned = |ratio: f64| {
            let sel = select(&p, method, budget(ratio), &SelectOptions::default()).unwrap();
            sel.warnings
        };
        let near = warned(64.0);
        assert!(
            !near.iter().any(|w| w.starts_with("the target is")),
            "{near:?}"
        );
        let far = warned(1024.0);
        let w = far
            .iter()
            .find(|w| w.starts_with("the target is 1024x the largest affordable size"))
            .unwrap_or_else(|| panic!("{far:?}"));
        assert!(
            w.contains("calibrated at extrapolations of 8x to 512x")
                && w.contains("0.3 decades past that"),
            "{w}"
        );
        // Four affordable sizes give too few backtests (as FLAN at 1/1024):
        // the bootstrap's interval.
        let low = Budget::new(1600.0 * 64.0, 1600.0).unwrap();
        let opts = SelectOptions {
            bootstrap: Resampling::new(50, BOOTSTRAP_LEVEL, 0),
            ..SelectOptions::default()
        };
        let sel = select(&p, method, low, &opts).unwrap();
        let ests: Vec<&Estimate> = sel.ranking.iter().map(|r| &r.estimate).collect();
        assert!(
            ests.iter()
                .all(|e| matches!(e.interval_kind, Some(IntervalKind::Bootstrap { .. }))),
            "{ests:?}"
        );
        assert!(
            sel.warnings.iter().any(|w| w
                .starts_with("the intervals of 6 of 6 ranked candidates are a bootstrap")),
            "{:?}",
            sel.warnings
        );
        assert!(bootstrap_fallback_warning(&[]).is_none());
    }

    /// Parameter counts in billions are warned about; counts, and no
    /// counts at all, are not.
    #[test]
    fn parameter_counts_in_billions_are_warned() {
        let w = parameter_unit_warning([0.124, 1.3, 2.7]).unwrap();
        assert!(
            w.starts_with("every parameter count is below 1e5 (the largest is 2.7)")
                && w.contains("millions or billions?"),
            "{w}"
        );
        assert!(parameter_unit_warning([1.24e8, 1.3e9]).is_none());
        assert!(parameter_unit_warning([]).is_none());
        let mut p = pool(&[-0.1, -0.12, -0.14, -0.16, -0.18, -0.2]);
        for (c, s) in p.iter_mut().zip([0.124, 0.35, 0.77, 1.3, 1.5, 2.7]) {
            c.size = Some(s);
        }
        let sel = select(
            &p,
            Method::default_for(false),
            budget(64.0),
            &SelectOptions::default(),
        )
        .unwrap();
        assert!(
            sel.warnings
                .iter()
                .any(|w| w.starts_with("every parameter count is below 1e5")),
            "{:?}",
            sel.warnings
        );
    }
}
