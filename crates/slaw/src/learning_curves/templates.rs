//! The candidate rules of the pick and the templates whose constants
//! (drifts, keyed drifts, own-drift weights) are learned from records.

use super::*;

/// The origins every law is backtested at (fractions of the window, and
/// `slaw compare`'s hold-out of the last 2 points); the candidate rules use
/// subsets of them.
pub const ORIGIN_GRID: [Origin; 4] = [
    Origin::Fraction(0.5),
    Origin::Fraction(0.6),
    Origin::Fraction(0.75),
    Origin::Last(2),
];

/// The origin sets of the candidate rules (subsets of [`ORIGIN_GRID`]).
pub(super) const ORIGIN_SETS: [&[Origin]; 8] = {
    use Origin::{Fraction as F, Last};
    [
        &[F(0.5)],
        &[F(0.6)],
        &[F(0.75)],
        &[Last(2)],
        &[F(0.5), F(0.75)],
        &[F(0.5), F(0.6), F(0.75)],
        &[F(0.75), Last(2)],
        &[F(0.5), F(0.6), F(0.75), Last(2)],
    ]
};

/// The rules the leave-one-family-out protocol chooses among: origin sets ×
/// combinations × pools × fallbacks (when fewer than 2 laws are eligible);
/// `with_authors`: also pools with M4 fitted by its authors' procedure
/// ([`pick::M4_AUTHORS`], in records made with the reference).
pub fn candidate_rules(with_authors: bool) -> Vec<Rule> {
    let origin_sets = ORIGIN_SETS;
    let combines = [
        Combine::Best,
        Combine::Top { k: 2 },
        Combine::Top { k: 3 },
        Combine::Top { k: 6 },
        Combine::Median { k: 3 },
        Combine::Median { k: 5 },
    ];
    let pool = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut pools: Vec<Vec<String>> = vec![
        pool(&pick::CATALOG_LAWS),
        pool(&["power", "vanilla-ft", "rectified", "bnsl", "m4"]),
        pool(&["power", "vanilla-ft", "rectified", "m4"]),
    ];
    if with_authors {
        use pick::{M4_AUTHORS, M4_AUTHORS_CAPPED};
        pools.extend([
            pool(&["power", "vanilla-ft", "rectified", "bnsl", M4_AUTHORS]),
            pool(&["power", "vanilla-ft", "rectified", "bnsl", "m4", M4_AUTHORS]),
            pool(&["power", "vanilla-ft", "rectified", M4_AUTHORS]),
            pool(&[
                "power",
                "vanilla-ft",
                "rectified",
                "bnsl",
                M4_AUTHORS_CAPPED,
            ]),
        ]);
    }
    let fallbacks = [Fallback::Eligible, Fallback::AllFits, Fallback::WithM4];
    let mut out = Vec::new();
    for o in origin_sets {
        for c in combines {
            for p in &pools {
                for f in fallbacks {
                    out.push(Rule {
                        origins: o.to_vec(),
                        combine: c,
                        pool: p.clone(),
                        fallback: f,
                        weighting: Weighting::InverseSquare,
                        shrink: 0.0,
                        correction: pick::Correction::None,
                    });
                }
            }
        }
    }
    out
}

/// [`candidate_rules`] (with the authors' M4), then the rules of branch
/// `m4gap` (`slaw bench curves --extended-rules`; BENCHMARKS.md): the
/// weighted combinations of the 2, 3 or 6 best laws with other weights
/// ([`Weighting`]: 1/s^2, 1/s, equal, exp with t = 0.5, 1, 2), the
/// fallback "M4 alone" besides the others, and shrinkage toward M4 (0,
/// 0.25, 0.5), on the pools power, vanilla-ft, rectified, [bnsl,
/// [reciprocal,]] m4-authors-capped (the pool's M4 for the fallback and
/// the shrinkage): 8 origin sets x 3 pools x 3 combinations x 4
/// fallbacks x 6 weightings x 3 shrinkages = 5,184 more. No
/// leave-one-family-out fold gained from them on both windows (which is
/// why they are not the default candidates).
pub fn extended_rules() -> Vec<Rule> {
    use pick::M4_AUTHORS_CAPPED as CAP;
    let mut out = candidate_rules(true);
    let pool = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let pools = [
        pool(&["power", "vanilla-ft", "rectified", "bnsl", CAP]),
        pool(&[
            "power",
            "vanilla-ft",
            "rectified",
            "bnsl",
            "reciprocal",
            CAP,
        ]),
        pool(&["power", "vanilla-ft", "rectified", CAP]),
    ];
    let weightings = [
        Weighting::InverseSquare,
        Weighting::Inverse,
        Weighting::Equal,
        Weighting::Exp(0.5),
        Weighting::Exp(1.0),
        Weighting::Exp(2.0),
    ];
    let fallbacks = [
        Fallback::Eligible,
        Fallback::AllFits,
        Fallback::WithM4,
        Fallback::M4,
    ];
    for o in ORIGIN_SETS {
        for p in &pools {
            for k in [2, 3, 6] {
                for f in fallbacks {
                    for w in weightings {
                        for s in [0.0, 0.25, 0.5] {
                            out.push(Rule {
                                origins: o.to_vec(),
                                combine: Combine::Top { k },
                                pool: p.clone(),
                                fallback: f,
                                weighting: w,
                                shrink: s,
                                correction: pick::Correction::None,
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

/// Shares of the drift removed by the signed corrections tried.
pub const CORRECTION_SHRINKS: [f64; 4] = [0.25, 0.5, 0.75, 1.0];

/// The candidate rules with the pool every fold chooses (power,
/// vanilla-ft, rectified, bnsl, the capped authors' M4): 8 origin sets x
/// 6 combinations x 3 fallbacks = 144.
pub(super) fn capped_pool_rules() -> Vec<Rule> {
    candidate_rules(true)
        .into_iter()
        .filter(|r| r.pool.iter().any(|p| p == pick::M4_AUTHORS_CAPPED))
        .collect()
}

/// [`capped_pool_rules`] with the corrections `corrections(shrink)` gives
/// for each of [`CORRECTION_SHRINKS`]: per rule, per shrink, per
/// correction, in that order.
pub(super) fn with_corrections<I: IntoIterator<Item = pick::Correction>>(
    corrections: impl Fn(f64) -> I,
) -> Vec<Rule> {
    let mut out = Vec::new();
    for r in capped_pool_rules() {
        for shrink in CORRECTION_SHRINKS {
            for correction in corrections(shrink) {
                out.push(Rule {
                    correction,
                    ..r.clone()
                });
            }
        }
    }
    out
}

/// [`capped_pool_rules`] with each law's ln prediction corrected by its own
/// backtest drift on the window ([`pick::Correction::OwnDrift`]), shrunk by
/// each of [`CORRECTION_SHRINKS`]: 576 rules.
pub fn own_drift_rules() -> Vec<Rule> {
    with_corrections(|shrink| [pick::Correction::OwnDrift { shrink }])
}

/// [`capped_pool_rules`] with a per-law drift ([`pick::Correction::PerLaw`],
/// each of [`CORRECTION_SHRINKS`]) left empty: [`learn_drift`] fills it
/// from the records the rule is chosen on. 576 templates.
pub fn per_law_templates() -> Vec<Rule> {
    with_corrections(|shrink| {
        [pick::Correction::PerLaw {
            shrink,
            drift: Vec::new(),
        }]
    })
}

/// Fixed weights of the own drift in [`blend_templates`].
pub const OWN_WEIGHTS: [f64; 3] = [0.25, 0.5, 0.75];

/// [`capped_pool_rules`] with the per-law drift shrunk toward the own drift
/// ([`pick::Correction::Blend`]), each of [`CORRECTION_SHRINKS`], the own
/// drift's weight each of [`OWN_WEIGHTS`] or learned ([`learn_own_weight`]):
/// 2,304 templates, completed on the records they are chosen on.
pub fn blend_templates() -> Vec<Rule> {
    with_corrections(|shrink| {
        OWN_WEIGHTS
            .iter()
            .map(|&w| Some(w))
            .chain([None])
            .map(move |w| pick::Correction::Blend {
                shrink,
                drift: Vec::new(),
                own_weight: w.map_or(Vec::new(), |w| {
                    pick::CORRECTED_LAWS
                        .iter()
                        .map(|n| (n.to_string(), w))
                        .collect()
                }),
                learned: w.is_none(),
            })
    })
}

/// [`capped_pool_rules`] with the per-law drift gated by the sign of the
/// own drift ([`pick::Correction::Gated`]) or capped by it
/// ([`pick::Correction::Capped`]), each of [`CORRECTION_SHRINKS`]: 1,152
/// templates.
pub fn gated_templates() -> Vec<Rule> {
    with_corrections(|shrink| {
        [
            pick::Correction::Gated {
                shrink,
                drift: Vec::new(),
            },
            pick::Correction::Capped {
                shrink,
                drift: Vec::new(),
            },
        ]
    })
}

/// [`capped_pool_rules`] with a drift per law and per window fraction
/// ([`pick::Correction::PerWindow`]), each of [`CORRECTION_SHRINKS`]: 576
/// templates.
pub fn per_window_templates() -> Vec<Rule> {
    with_corrections(|shrink| {
        [pick::Correction::PerWindow {
            shrink,
            drift: Vec::new(),
        }]
    })
}

/// The window sizes (points fitted, at most) splitting small from large
/// windows in [`per_size_templates`].
pub const SIZE_SPLITS: [usize; 5] = [8, 10, 12, 16, 24];

/// [`capped_pool_rules`] with a drift per law learned on windows of at most
/// or more than each of [`SIZE_SPLITS`] points
/// ([`pick::Correction::PerSize`]), each of [`CORRECTION_SHRINKS`]: 2,880
/// templates.
pub fn per_size_templates() -> Vec<Rule> {
    with_corrections(|shrink| {
        SIZE_SPLITS.map(|split| pick::Correction::PerSize {
            shrink,
            split,
            small: Vec::new(),
            large: Vec::new(),
        })
    })
}

/// [`capped_pool_rules`] with a per-law curvature
/// ([`pick::Correction::Quadratic`]), each of [`CORRECTION_SHRINKS`]: 576
/// templates.
pub fn quadratic_templates() -> Vec<Rule> {
    with_corrections(|shrink| {
        [pick::Correction::Quadratic {
            shrink,
            drift: Vec::new(),
        }]
    })
}

/// [`capped_pool_rules`] with a per-law drift keyed to each of `keys`
/// ([`pick::Correction::Keyed`]), each of [`CORRECTION_SHRINKS`]: 576
/// templates per key, completed by [`learn_keyed`] on the records they are
/// chosen on.
pub fn keyed_templates(keys: &[pick::Key]) -> Vec<Rule> {
    with_corrections(|shrink| {
        keys.iter()
            .map(move |&key| keyed_blank(shrink, key, pick::OwnEvidence::None))
    })
}

/// A keyed drift to be learned ([`learn_keyed`]): its shrink, key and own
/// evidence set, its drift, slopes, centre and range empty.
fn keyed_blank(shrink: f64, key: pick::Key, own: pick::OwnEvidence) -> pick::Correction {
    pick::Correction::Keyed {
        shrink,
        key,
        drift: Vec::new(),
        slope: Vec::new(),
        centre: 0.0,
        range: (0.0, 0.0),
        own,
    }
}

/// [`keyed_templates`] whose keyed drift (the prior) is combined with the
/// curve's own backtest drift ([`pick::OwnEvidence`]): gated by its sign,
/// capped by it, or shrunk toward it by a weight per law learned on the
/// records the rule is chosen on ([`learn_keyed_own_weight`]); each of
/// [`CORRECTION_SHRINKS`]: 1,728 templates per key.
pub fn keyed_own_templates(keys: &[pick::Key]) -> Vec<Rule> {
    with_corrections(|shrink| {
        keys.iter().flat_map(move |&key| {
            [
                pick::OwnEvidence::Gate,
                pick::OwnEvidence::Cap,
                pick::OwnEvidence::Shrink(Vec::new()),
            ]
            .map(|own| keyed_blank(shrink, key, own))
        })
    })
}

/// Drifts beyond this (per unit ln distance) are clipped in
/// [`learn_keyed`], so that a few short windows do not set the slope.
pub(super) const KEYED_CLIP: f64 = 0.3;

/// A per-law drift keyed to `key` learned on `records` (those whose
/// window has the key): the key's centre (mean, each family weighing as
/// much as any other) and range; per law, the change of the drift per unit
/// of the key (the least-squares slope of the law's extrapolation drift,
/// clipped at +-[`KEYED_CLIP`], on the key, families weighted alike); the
/// drift at the centre is `drift` ([`learn_drift`]). `None` when fewer
/// than 2 families have the key.
pub fn learn_keyed(
    records: &[&CurveRecord],
    key: pick::Key,
    drift: &[(String, f64)],
) -> Option<pick::Correction> {
    let keyed: Vec<(&CurveRecord, f64)> = records
        .iter()
        .map(|r| (*r, key.of(&r.shape())))
        .filter(|(_, k)| k.is_finite())
        .collect();
    let mut size: Vec<(&str, usize)> = Vec::new();
    for (r, _) in &keyed {
        match size.iter_mut().find(|(f, _)| *f == r.family) {
            Some(e) => e.1 += 1,
            None => size.push((&r.family, 1)),
        }
    }
    if size.len() < 2 {
        return None;
    }
    let weight =
        |r: &CurveRecord| 1.0 / size.iter().find(|(f, _)| *f == r.family).map_or(1, |e| e.1) as f64;
    let (mut sw, mut sk) = (0.0, 0.0);
    let mut range = (f64::INFINITY, f64::NEG_INFINITY);
    for (r, k) in &keyed {
        sw += weight(r);
        sk += weight(r) * k;
        range = (range.0.min(*k), range.1.max(*k));
    }
    let centre = sk / sw;
    let slope = drift
        .iter()
        .map(|(name, _)| {
            let mut pts: Vec<(f64, f64, f64)> = Vec::new();
            for (r, k) in &keyed {
                let Some(i) = r.law_index(name) else { continue };
                if let Some(d) = r.extrapolation_drift(i) {
                    pts.push((weight(r), *k, d.clamp(-KEYED_CLIP, KEYED_CLIP)));
                }
            }
            let w: f64 = pts.iter().map(|p| p.0).sum();
            if w <= 0.0 {
                return (name.clone(), 0.0);
            }
            let mk = pts.iter().map(|p| p.0 * p.1).sum::<f64>() / w;
            let md = pts.iter().map(|p| p.0 * p.2).sum::<f64>() / w;
            let (mut sxy, mut sxx) = (0.0, 0.0);
            for (w, k, d) in &pts {
                sxy += w * (k - mk) * (d - md);
                sxx += w * (k - mk) * (k - mk);
            }
            (name.clone(), if sxx > 0.0 { sxy / sxx } else { 0.0 })
        })
        .collect();
    Some(pick::Correction::Keyed {
        shrink: 1.0,
        key,
        drift: drift.to_vec(),
        slope,
        centre,
        range,
        own: pick::OwnEvidence::None,
    })
}

/// The template `t` ([`per_law_templates`], [`blend_templates`],
/// [`gated_templates`]) completed with the per-law `drift` learned on
/// `records` (and, for learned blends, the own drift's weights,
/// [`learn_own_weight`]).
pub(super) fn complete(t: &Rule, drift: &[(String, f64)], records: &[&CurveRecord]) -> Rule {
    let mut rule = t.clone();
    let d = drift.to_vec();
    rule.correction = match &t.correction {
        pick::Correction::PerLaw { shrink, .. } => pick::Correction::PerLaw {
            shrink: *shrink,
            drift: d,
        },
        pick::Correction::Blend {
            shrink,
            own_weight,
            learned,
            ..
        } => pick::Correction::Blend {
            shrink: *shrink,
            own_weight: if *learned {
                learn_own_weight(records, t, drift)
            } else {
                own_weight.clone()
            },
            drift: d,
            learned: *learned,
        },
        pick::Correction::Gated { shrink, .. } => pick::Correction::Gated {
            shrink: *shrink,
            drift: d,
        },
        pick::Correction::Capped { shrink, .. } => pick::Correction::Capped {
            shrink: *shrink,
            drift: d,
        },
        pick::Correction::PerWindow { shrink, .. } => {
            let mut fr: Vec<f64> = records.iter().map(|r| r.fraction).collect();
            fr.sort_by(f64::total_cmp);
            fr.dedup();
            pick::Correction::PerWindow {
                shrink: *shrink,
                drift: fr
                    .into_iter()
                    .map(|f| {
                        let same: Vec<&CurveRecord> = records
                            .iter()
                            .copied()
                            .filter(|r| r.fraction == f)
                            .collect();
                        (f, learn_drift(&same))
                    })
                    .collect(),
            }
        }
        pick::Correction::Keyed {
            shrink, key, own, ..
        } => match learn_keyed(records, *key, drift) {
            Some(pick::Correction::Keyed {
                drift,
                slope,
                centre,
                range,
                ..
            }) => {
                let mut c = pick::Correction::Keyed {
                    shrink: *shrink,
                    key: *key,
                    drift,
                    slope,
                    centre,
                    range,
                    own: pick::OwnEvidence::None,
                };
                let evidence = match own {
                    pick::OwnEvidence::Shrink(_) => {
                        pick::OwnEvidence::Shrink(learn_keyed_own_weight(records, t, &c))
                    }
                    o => o.clone(),
                };
                if let pick::Correction::Keyed { own, .. } = &mut c {
                    *own = evidence;
                }
                c
            }
            _ => pick::Correction::PerLaw {
                shrink: *shrink,
                drift: d,
            },
        },
        pick::Correction::Quadratic { shrink, .. } => pick::Correction::Quadratic {
            shrink: *shrink,
            drift: learn_curvature(records),
        },
        pick::Correction::PerSize { shrink, split, .. } => {
            let (small, large): (Vec<&CurveRecord>, Vec<&CurveRecord>) =
                records.iter().partition(|r| r.window <= *split);
            pick::Correction::PerSize {
                shrink: *shrink,
                split: *split,
                small: learn_drift(&small),
                large: learn_drift(&large),
            }
        }
        c => c.clone(),
    };
    rule
}

/// Residuals beyond this (per unit ln distance) are clipped in
/// [`learn_own_weight`], so that a few short windows do not set it.
pub(super) const OWN_WEIGHT_CLIP: f64 = 0.2;

/// Each law's weight w of its own backtest drift o (mean over `rule`'s
/// origins) against the per-law drift p: the least-squares slope through
/// zero of (d - p) on (o - p), d the drift of the law's extrapolation from
/// the window, each family weighing as much as any other (each record
/// 1 / its family's size), residuals clipped at +-[`OWN_WEIGHT_CLIP`], w
/// clipped to [0, 1] (the best linear shrinkage of the per-law drift
/// toward the own one, learned on `records`).
pub fn learn_own_weight(
    records: &[&CurveRecord],
    rule: &Rule,
    drift: &[(String, f64)],
) -> Vec<(String, f64)> {
    let names: Vec<String> = drift.iter().map(|(n, _)| n.clone()).collect();
    learn_own_weight_by(records, rule, &names, |_, name| {
        drift
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0.0, |&(_, d)| d)
    })
}

/// [`learn_own_weight`] against a keyed prior (a [`pick::Correction::Keyed`]
/// learned on `records`, its own evidence unused): each record's prior is
/// the keyed drift at its window's shape (unshrunk).
pub fn learn_keyed_own_weight(
    records: &[&CurveRecord],
    rule: &Rule,
    prior: &pick::Correction,
) -> Vec<(String, f64)> {
    let names: Vec<String> = prior
        .drift()
        .map(|d| d.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let mut unshrunk = prior.clone();
    if let pick::Correction::Keyed { shrink, own, .. } = &mut unshrunk {
        *shrink = 1.0;
        *own = pick::OwnEvidence::None;
    }
    learn_own_weight_by(records, rule, &names, |r, name| {
        unshrunk.slope_at(name, None, Some(&r.shape()))
    })
}

/// [`learn_own_weight`] with each record's prior drift of a law given by
/// `prior` (record, law name).
fn learn_own_weight_by(
    records: &[&CurveRecord],
    rule: &Rule,
    names: &[String],
    prior: impl Fn(&CurveRecord, &str) -> f64,
) -> Vec<(String, f64)> {
    let cols = CurveRecord::origin_columns(rule);
    let mut size: Vec<(&str, usize)> = Vec::new();
    for r in records {
        match size.iter_mut().find(|(f, _)| *f == r.family) {
            Some(e) => e.1 += 1,
            None => size.push((&r.family, 1)),
        }
    }
    let clip = |v: f64| v.clamp(-OWN_WEIGHT_CLIP, OWN_WEIGHT_CLIP);
    names
        .iter()
        .map(|name| {
            let (mut sxy, mut sxx) = (0.0, 0.0);
            for r in records {
                let Some(k) = r.law_index(name) else { continue };
                let p = &prior(r, name);
                let l = &r.laws[k];
                if l.backtest_drift.is_empty() {
                    continue;
                }
                let o: Vec<Option<f64>> = cols.iter().map(|&c| l.backtest_drift[c]).collect();
                let (Some(o), Some(d)) = (pick::mean_drift(&o), r.extrapolation_drift(k)) else {
                    continue;
                };
                let n = size.iter().find(|(f, _)| *f == r.family).map_or(1, |e| e.1);
                let (x, y) = (clip(o - p), clip(d - p));
                sxy += x * y / n as f64;
                sxx += x * x / n as f64;
            }
            let w = if sxx > 0.0 { sxy / sxx } else { 0.0 };
            (name.clone(), w.clamp(0.0, 1.0))
        })
        .collect()
}

/// Each law's drift when extrapolating from the window (ln forecast - ln
/// truth per unit ln(x / x_last), [`CurveRecord::extrapolation_drift`]),
/// learned on `records`: the median over each family's records, then the
/// mean over families (each family counts once, whatever its size).
pub fn learn_drift(records: &[&CurveRecord]) -> Vec<(String, f64)> {
    learn_per_law(records, CurveRecord::extrapolation_drift)
}

/// [`learn_drift`] per unit squared ln distance
/// ([`CurveRecord::extrapolation_curvature`]).
pub fn learn_curvature(records: &[&CurveRecord]) -> Vec<(String, f64)> {
    learn_per_law(records, CurveRecord::extrapolation_curvature)
}

/// The median over each family's records of `of` (record, law index), then
/// the mean over families, per law.
pub(super) fn learn_per_law(
    records: &[&CurveRecord],
    of: fn(&CurveRecord, usize) -> Option<f64>,
) -> Vec<(String, f64)> {
    let mut names: Vec<String> = Vec::new();
    for r in records {
        for l in &r.laws {
            if !names.contains(&l.law) {
                names.push(l.law.clone());
            }
        }
    }
    let mut fams: Vec<&str> = records.iter().map(|r| r.family.as_str()).collect();
    fams.sort();
    fams.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let per_family: Vec<f64> = fams
                .iter()
                .filter_map(|f| {
                    let d: Vec<f64> = records
                        .iter()
                        .filter(|r| r.family == *f)
                        .filter_map(|r| of(r, r.law_index(&name)?))
                        .collect();
                    (!d.is_empty()).then(|| crate::stats::median(d))
                })
                .collect();
            (!per_family.is_empty()).then(|| {
                (
                    name,
                    per_family.iter().sum::<f64>() / per_family.len() as f64,
                )
            })
        })
        .collect()
}
