//! `slaw bench curves`: learning-curve extrapolation, fit early / score late,
//! against the M4 estimator of Alabdulmohsin et al. (NeurIPS 2022).
//!
//! Curves: the (Mis)Fitting runs (C4 eval loss against the step, runs with
//! at least 8 checkpoints), the multi-power curves (loss against the step),
//! and synthetic curves drawn from several laws with log-normal noise
//! (log-spaced, and evenly spaced as training logs are), each group a
//! *family*. Each curve's points are ordered by x; the first
//! floor(f n) points (f = the fraction, of the points — on the public curves,
//! evenly spaced in the step, it is also the fraction of x) are the fitting
//! window, the rest the later part. Curves with fewer than [`MIN_WINDOW`]
//! points in the window are skipped. Score: RMSE of ln L on the later part.
//!
//! Methods, every one using the window only: M4 (the catalog `m4` law), each
//! single one-input law, `slaw compare`'s default pick (the 2 largest points
//! of the window held out, the converged law of lowest held-out error,
//! refitted on the whole window), and the backtest pick (`crate::pick`). The
//! backtest rule's constants are chosen from [`candidate_rules`] by leave one
//! family out: for each family, the rule that does best on the other families
//! (mean over families of the mean ln(RMSE / RMSE of M4)) is scored on it.
//! The records keep each backtest's signed errors (bias, and drift per unit
//! ln distance), so that rules with a signed correction of each law's
//! forecast ([`pick::Correction`]: the window's own drift, or a per-law
//! drift learned on the families the rule is chosen on) are re-scored from
//! records too (`--corrections`).

use crate::fit::{fit, FitOptions};
use crate::forecast::curve::Curve;
use crate::forecast::protocol::misfitting_runs;
use crate::law::{catalog, Law};
use crate::observations::Observations;
use crate::pick::{self, order, Combine, Fallback, Origin, Rule, Weighting};
use crate::progress::{counted, Progress};
use crate::Result;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::path::Path;

mod choice;
mod curves;
mod records;
mod report;
mod templates;

pub use choice::*;
pub use curves::*;
pub use records::*;
pub use report::*;
pub use templates::*;

/// Fewest points in a fitting window.
pub const MIN_WINDOW: usize = 6;

/// One method's figures on a set of curves.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MethodScore {
    /// The method's label (a law, M4, or one of [`LOFO`], [`SHIPPED`], [`COMPARE`]).
    pub method: String,
    /// Curves where its RMSE is strictly below M4's.
    pub wins: usize,
    /// Mean RMSE of ln L on the later parts.
    pub mean_rmse: f64,
    /// mean RMSE / M4's mean RMSE.
    pub ratio: f64,
}

/// A row of the table: a family (or "all") at a fraction.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CurvesRow {
    /// Share of each curve's points in the window.
    pub fraction: f64,
    /// The family, or "all".
    pub family: String,
    /// Curves scored.
    pub curves: usize,
    /// M4's mean RMSE of ln L on the later parts (the reference of `ratio`).
    pub m4_mean_rmse: f64,
    /// Every method's figures.
    pub methods: Vec<MethodScore>,
    /// The picks and the catalog `m4` against each variant of M4's own
    /// estimator ([`REFERENCES`]), on the curves where it gave a finite
    /// RMSE.
    pub references: Vec<ReferenceScore>,
}

/// Figures against one variant of M4's own estimator.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReferenceScore {
    /// The variant (one of [`REFERENCES`]).
    pub reference: String,
    /// Curves where it gave a finite RMSE (the others are left out here).
    pub curves: usize,
    /// Its mean RMSE of ln L on the later parts of those curves.
    pub mean_rmse: f64,
    /// Wins (strictly lower RMSE) and mean-RMSE ratio against it.
    pub methods: Vec<MethodScore>,
}

/// The benchmark's result.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct CurvesReport {
    /// The window fractions evaluated.
    pub fractions: Vec<f64>,
    /// Curves skipped per fraction (window too small, or no finite M4 prediction).
    pub skipped: Vec<(f64, usize)>,
    /// The rule chosen without each family (leave one family out).
    pub lofo_rules: Vec<(String, Rule)>,
    /// With [`RuleSet::nested`]: the configuration chosen without each
    /// family ([`nested_lofo_rules`]).
    pub lofo_configs: Vec<(String, String)>,
    /// With [`RuleSet::nested`]: the configurations scored on every family
    /// and the one chosen ([`nested_all`]; `all_rule` is its rule).
    pub nested_all: Option<NestedChoice>,
    /// The rule chosen on every family (what the shipped rule should be;
    /// with [`RuleSet::nested`], the nested procedure's choice).
    pub all_rule: Rule,
    /// The rule shipped in `pick::Rule::shipped`.
    pub shipped_rule: Rule,
    /// One row per (fraction, family) and per fraction over all families.
    pub rows: Vec<CurvesRow>,
    #[serde(skip)]
    /// The per-curve inputs behind the rows (see [`Records`]).
    pub records: Vec<CurveRecord>,
}

/// Label of the backtest pick with the rule chosen leaving the curve's family out.
pub const LOFO: &str = "backtest (leave family out)";
/// Label of the backtest pick with the shipped rule (`pick::Rule::shipped`).
pub const SHIPPED: &str = "backtest (shipped rule)";
/// Label of `slaw compare`'s default pick (2 largest points of the window held out).
pub const COMPARE: &str = "compare (held-out 2)";

/// Run the protocol on `curves` at `fractions` with the catalog's one-input
/// laws ([`pick::curve_laws`]).
pub fn run(
    curves: &[LearningCurve],
    fractions: &[f64],
    opts: &FitOptions,
    progress: &dyn Progress,
) -> CurvesReport {
    run_with(curves, fractions, opts, progress, false)
}

/// [`run`], and with `m4_reference` M4 fitted by its authors' procedure too
/// (scored in [`CurvesRow::references`]).
pub fn run_with(
    curves: &[LearningCurve],
    fractions: &[f64],
    opts: &FitOptions,
    progress: &dyn Progress,
    m4_reference: bool,
) -> CurvesReport {
    let laws = pick::curve_laws();
    let jobs: Vec<(usize, f64)> = fractions
        .iter()
        .flat_map(|&f| (0..curves.len()).map(move |c| (c, f)))
        .collect();
    progress.start("curves x fractions", jobs.len());
    let recs: Vec<Option<CurveRecord>> = jobs
        .par_iter()
        .map(|&(c, f)| {
            counted(progress, || {
                record_with(&curves[c], f, &laws, opts, m4_reference)
            })
        })
        .collect();
    let mut skipped: Vec<(f64, usize)> = fractions.iter().map(|&f| (f, 0)).collect();
    let mut records = Vec::new();
    for ((_, f), r) in jobs.iter().zip(recs) {
        match r {
            Some(r) if r.m4().is_finite() => records.push(r),
            _ => {
                if let Some(s) = skipped.iter_mut().find(|s| s.0 == *f) {
                    s.1 += 1;
                }
            }
        }
    }
    evaluate(records, fractions, skipped)
}

/// The table from computed records (leave one family out over families).
pub fn evaluate(
    records: Vec<CurveRecord>,
    fractions: &[f64],
    skipped: Vec<(f64, usize)>,
) -> CurvesReport {
    evaluate_with(records, fractions, skipped, false)
}

/// [`evaluate`], the rules chosen among [`extended_rules`] with `extended`.
pub fn evaluate_with(
    records: Vec<CurveRecord>,
    fractions: &[f64],
    skipped: Vec<(f64, usize)>,
    extended: bool,
) -> CurvesReport {
    evaluate_rules(
        records,
        fractions,
        skipped,
        RuleSet {
            extended,
            ..RuleSet::default()
        },
    )
}

/// [`evaluate`], the rules chosen among those of `set`.
pub fn evaluate_rules(
    records: Vec<CurveRecord>,
    fractions: &[f64],
    skipped: Vec<(f64, usize)>,
    set: RuleSet,
) -> CurvesReport {
    let mut families: Vec<String> = records.iter().map(|r| r.family.clone()).collect();
    families.sort();
    families.dedup();
    let all: Vec<&CurveRecord> = records.iter().collect();
    let table = RuleTable::new(&all, set);
    let mut lofo_configs: Vec<(String, String)> = Vec::new();
    let configs = if set.own_evidence {
        nested_configs_own(set.extended)
    } else {
        nested_configs(set.extended)
    };
    let tables = if set.nested {
        config_tables(&all, &configs)
    } else {
        Vec::new()
    };
    let lofo_rules: Vec<(String, Rule)> = if set.nested {
        nested_lofo_in(&all, &configs, &tables)
            .into_iter()
            .map(|(f, r, c)| {
                lofo_configs.push((f.clone(), c));
                (f, r)
            })
            .collect()
    } else {
        families
            .iter()
            .map(|f| (f.clone(), table.choose(&all, |r| &r.family != f)))
            .collect()
    };
    let nested_all_families = set.nested.then(|| nested_all_in(&all, &configs, &tables));
    let all_rule = match &nested_all_families {
        Some(n) => n.rule.clone(),
        None => table.choose(&all, |_| true),
    };
    let shipped = Rule::shipped();
    let law_names: Vec<String> = pick::curve_laws().iter().map(|l| l.name.clone()).collect();
    let mut rows = Vec::new();
    let mut groups: Vec<String> = families.clone();
    groups.push("all".into());
    for &fr in fractions {
        for g in &groups {
            let set: Vec<&CurveRecord> = records
                .iter()
                .filter(|r| r.fraction == fr && (g == "all" || &r.family == g))
                .collect();
            if set.is_empty() {
                continue;
            }
            let m4: Vec<f64> = set.iter().map(|r| r.m4()).collect();
            let m4_mean = m4.iter().sum::<f64>() / m4.len() as f64;
            let score = |name: &str, v: Vec<f64>| {
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                MethodScore {
                    method: name.to_string(),
                    wins: v.iter().zip(&m4).filter(|(a, b)| a < b).count(),
                    mean_rmse: mean,
                    ratio: mean / m4_mean,
                }
            };
            let mut methods = vec![
                score(
                    LOFO,
                    set.iter()
                        .map(|r| {
                            let rule = &lofo_rules.iter().find(|(f, _)| *f == r.family).unwrap().1;
                            r.rule_rmse(rule)
                        })
                        .collect(),
                ),
                score(SHIPPED, set.iter().map(|r| r.rule_rmse(&shipped)).collect()),
                score(COMPARE, set.iter().map(|r| r.compare_rmse()).collect()),
            ];
            for (k, name) in law_names.iter().enumerate() {
                // NaN predictions (a law not fitted) count as a loss, not as a mean.
                let v: Vec<f64> = set
                    .iter()
                    .map(|r| {
                        let e = r.laws[k].rmse;
                        if e.is_finite() {
                            e
                        } else {
                            f64::INFINITY
                        }
                    })
                    .collect();
                methods.push(score(name, v));
            }
            let references = reference_scores(&set, &lofo_rules, &shipped);
            rows.push(CurvesRow {
                fraction: fr,
                family: g.clone(),
                curves: set.len(),
                m4_mean_rmse: m4_mean,
                methods,
                references,
            });
        }
    }
    CurvesReport {
        fractions: fractions.to_vec(),
        skipped,
        lofo_rules,
        lofo_configs,
        nested_all: nested_all_families,
        all_rule,
        shipped_rule: shipped,
        rows,
        records,
    }
}

/// The picks and the catalog `m4` against each variant of M4's own
/// estimator, on the curves of `set` where it gave a finite RMSE.
fn reference_scores(
    set: &[&CurveRecord],
    lofo_rules: &[(String, Rule)],
    shipped: &Rule,
) -> Vec<ReferenceScore> {
    REFERENCES
        .iter()
        .enumerate()
        .filter_map(|(k, (name, _))| {
            let sub: Vec<(&CurveRecord, f64)> = set
                .iter()
                .filter_map(|r| {
                    let e = r.references.get(k)?.rmse;
                    e.is_finite().then_some((*r, e))
                })
                .collect();
            if sub.is_empty() {
                return None;
            }
            let refs: Vec<f64> = sub.iter().map(|s| s.1).collect();
            let ref_mean = refs.iter().sum::<f64>() / refs.len() as f64;
            let score = |label: &str, f: &dyn Fn(&CurveRecord) -> f64| {
                let v: Vec<f64> = sub
                    .iter()
                    .map(|(r, _)| {
                        let e = f(r);
                        if e.is_finite() {
                            e
                        } else {
                            f64::INFINITY
                        }
                    })
                    .collect();
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                MethodScore {
                    method: label.to_string(),
                    wins: v.iter().zip(&refs).filter(|(a, b)| a < b).count(),
                    mean_rmse: mean,
                    ratio: mean / ref_mean,
                }
            };
            let lofo = |r: &CurveRecord| {
                let rule = &lofo_rules.iter().find(|(f, _)| *f == r.family).unwrap().1;
                r.rule_rmse(rule)
            };
            Some(ReferenceScore {
                reference: name.to_string(),
                curves: sub.len(),
                mean_rmse: ref_mean,
                methods: vec![
                    score(LOFO, &lofo),
                    score(SHIPPED, &|r| r.rule_rmse(shipped)),
                    score(COMPARE, &|r| r.compare_rmse()),
                    score("m4 (catalog law, slaw's fit)", &|r| r.m4()),
                ],
            })
        })
        .collect()
}

/// What the fits produced (every law's backtests and predictions on every
/// curve), saved so that the rules can be re-scored without refitting.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Records {
    /// The window fractions evaluated.
    pub fractions: Vec<f64>,
    /// Curves skipped per fraction.
    pub skipped: Vec<(f64, usize)>,
    /// Every curve's inputs at every fraction.
    pub records: Vec<CurveRecord>,
}

impl CurvesReport {
    /// What to save to re-score the rules later (`evaluate_records`).
    pub fn records(&self) -> Records {
        Records {
            fractions: self.fractions.clone(),
            skipped: self.skipped.clone(),
            records: self.records.clone(),
        }
    }
}

/// The report from saved [`Records`].
pub fn evaluate_records(r: Records) -> CurvesReport {
    evaluate(r.records, &r.fractions, r.skipped)
}

/// [`evaluate_records`], the rules chosen among [`extended_rules`] with
/// `extended`.
pub fn evaluate_records_with(r: Records, extended: bool) -> CurvesReport {
    evaluate_with(r.records, &r.fractions, r.skipped, extended)
}

/// [`evaluate_records`], the rules chosen among those of `set`.
pub fn evaluate_records_rules(r: Records, set: RuleSet) -> CurvesReport {
    evaluate_rules(r.records, &r.fractions, r.skipped, set)
}

#[cfg(test)]
mod tests;
