//! Model selection (Lin et al., ICML 2024): rank candidate pre-trained models
//! by their predicted fine-tuned loss at a target data size, using only
//! fine-tunings on small subsets (the budget).
//!
//! candidates (`datasets`) -> budget -> method (`method`, `ats`) -> ranking
//! -> cost accounting; the paper's benchmark protocol and metrics live in
//! `protocol` and `metrics`.

pub mod ats;
pub mod calibrate;
mod caveats;
pub mod checks;
mod cost;
pub mod floor;
pub mod matching;
pub mod method;
pub mod methods;
pub mod metrics;
pub mod mismatch;
pub mod noise;
pub mod open_below;
pub mod protocol;
pub mod reference;
pub mod spikes;
pub mod trend;

use crate::bootstrap::Resampling;
use crate::datasets::Candidate;
use crate::{Error, Result};
pub use calibrate::{Calibration, DriftEvidence, IntervalKind, SpreadScale, WeakCorrection};
pub use matching::MatchTest;
pub use method::{
    About, AtsOptions, Detail, Estimate, Method, Needs, PoolContext, Scoring, SelectionMethod,
};
pub use methods::REGISTRY;
pub use open_below::{
    still_accelerating, OpenBelow, ACCELERATING_SLOPE_CHANGE, BETA_MAX, FINE_TUNE_FACTOR,
    OPEN_BELOW_COVERS,
};
use rayon::prelude::*;
pub use reference::Reference;

pub use caveats::*;
pub use cost::*;

/// What the selector may spend: fine-tunings on at most `max_n` examples;
/// the decision is about the loss at `target` examples.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Budget {
    /// The fine-tuning size (examples) at which the loss is compared.
    pub target: f64,
    /// The largest affordable fine-tuning size, <= target.
    pub max_n: f64,
}

impl Budget {
    /// A budget, checked: both finite and > 0, `max_n` <= `target`.
    pub fn new(target: f64, max_n: f64) -> Result<Budget> {
        if !(target.is_finite() && target > 0.0) {
            return Err(Error::setting(
                crate::error::Setting::Target,
                format!("must be > 0, got {target}"),
            ));
        }
        if !(max_n.is_finite() && max_n > 0.0) || max_n > target {
            return Err(Error::setting(
                crate::error::Setting::Budget,
                format!("must allow a size in (0, target = {target}], got {max_n}"),
            ));
        }
        Ok(Budget { target, max_n })
    }

    /// `--budget 1/64` (a fraction of the target) or a plain fraction `0.015625`.
    pub fn parse_fraction(s: &str) -> Result<f64> {
        let bad = || {
            Error::setting(
                crate::error::Setting::Budget,
                format!("expects 1/R or a fraction in (0, 1], got '{s}'"),
            )
        };
        let v = match s.split_once('/') {
            Some((a, b)) => {
                let a: f64 = a.trim().parse().map_err(|_| bad())?;
                let b: f64 = b.trim().parse().map_err(|_| bad())?;
                a / b
            }
            None => s.trim().parse().map_err(|_| bad())?,
        };
        if !(v.is_finite() && v > 0.0 && v <= 1.0) {
            return Err(bad());
        }
        Ok(v)
    }

    /// The candidate's measured points with 0 < n <= max_n, ascending.
    pub fn affordable(&self, c: &Candidate) -> Vec<(f64, f64)> {
        c.curve
            .iter()
            .copied()
            .filter(|p| p.0 > 0.0 && p.0 <= self.max_n * (1.0 + 1e-12))
            .collect()
    }
}

/// A ranked selection.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Selection {
    /// The method that scored the candidates.
    pub method: Method,
    /// The budget it scored them under.
    pub budget: Budget,
    /// What each estimate's `score` is ([`Method::score_is`]).
    pub score_is: &'static str,
    /// Best first.
    pub ranking: Vec<Ranked>,
    /// What the selection cost against fine-tuning every candidate fully.
    pub cost: Cost,
    /// The calibration of the intervals from the pool's backtests, if any.
    pub calibration: Option<Calibration>,
    /// Whether the pool's curves show a floor within the target's reach
    /// ([`floor::FloorCheck`]; absent where the intervals are not learned
    /// ones). Where they do, each line candidate's interval also spans its
    /// own rectified-law fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor: Option<floor::FloorCheck>,
    /// The recommended candidate: its position in `ranking` and the rule.
    pub choice: Choice,
    /// What the reader should know about how the candidates were scored
    /// (e.g. candidates without the zero-shot loss the method reads).
    pub notes: Vec<String>,
    /// How each reference was used (methods that read references; absent
    /// without one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<ReferenceUse>,
    /// What the reader must act on: a reference that does not match the
    /// pool, candidates not ranked (an empty list when none, as every
    /// command's `warnings`).
    pub warnings: Vec<String>,
    /// Candidates the method could not score, by name, with
    /// why (only under [`SelectOptions::rank_the_rest`]; absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unranked: Vec<Unranked>,
    /// Blank cells of a wide table skipped as not measured, per size
    /// column, in the file's order (the first note says so; absent when
    /// none, or when the pool was not read from a table).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blank_cells: Vec<crate::datasets::BlankCells>,
    /// The pool positions of the candidates scored without their flagged
    /// points ([`spikes::less_favourable`]; a note names each), so that a
    /// figure draws the curve the score came from.
    #[serde(skip)]
    pub scored_without_flags: Vec<usize>,
}

/// A candidate left out of the ranking.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unranked {
    /// The candidate's position in the pool.
    pub index: usize,
    /// Its id.
    pub id: String,
    /// Why the method could not score it.
    pub reason: String,
}

/// How a selection used one reference (`Selection::references`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReferenceUse {
    /// The file (or dataset) it was read from.
    pub source: String,
    /// Candidates of the pool it has by name.
    pub matched: usize,
    /// Whether its rows hold the pool's models.
    pub test: MatchTest,
    /// Its shape transfer's weight against ats-gap's prediction (1); 0 when
    /// the test fails.
    pub weight: f64,
}

/// Why matched candidates were not testable, when some were not: a
/// candidate is tested where the reference has its loss at the candidate's
/// largest affordable size, so sizes in another unit (thousands of
/// examples against examples) leave none testable. The two files' size
/// ranges, for the reader to compare; empty when every matched candidate
/// was tested.
fn untestable_sizes(pool: &[Candidate], r: &Reference, matched: usize, tested: usize) -> String {
    match (matched > tested, pool_size_span(pool), r.size_span()) {
        (true, Some((plo, phi)), Some((rlo, rhi))) => format!(
            ". {} matched candidate{} had no loss in the reference at {} largest affordable \
             size: the reference's sizes run from {} to {}, the pool's from {} to {} (in one \
             unit?)",
            matched - tested,
            if matched - tested == 1 { "" } else { "s" },
            if matched - tested == 1 {
                "its"
            } else {
                "their"
            },
            crate::numbers::num(rlo),
            crate::numbers::num(rhi),
            crate::numbers::num(plo),
            crate::numbers::num(phi),
        ),
        _ => String::new(),
    }
}

/// The references of a selection by `method` over `pool` (in the pool's
/// context `ctx`): how each was used, the notes (candidates matched, weight,
/// the match test) and a warning for each reference that fails its match
/// test. Empty without references.
pub fn reference_uses(
    method: &Method,
    pool: &[Candidate],
    ctx: &PoolContext,
) -> (Vec<ReferenceUse>, Vec<String>, Vec<String>) {
    let (mut uses, mut notes, mut warnings) = (Vec::new(), Vec::new(), Vec::new());
    let Some(mix) = &ctx.reference else {
        return (uses, notes, warnings);
    };
    for (i, ((r, w), t)) in mix
        .references
        .iter()
        .zip(&mix.relative_weight)
        .zip(&mix.tests)
        .enumerate()
    {
        let have = pool.iter().filter(|c| r.has(&c.id)).count();
        let name = if r.source.is_empty() {
            format!("reference {}", i + 1)
        } else {
            format!("reference {} ({})", i + 1, r.source)
        };
        // Candidates it has no row for keep ats-gap's prediction: name
        // them (a few), since a spelling difference is the usual cause.
        let missing: Vec<&str> = pool
            .iter()
            .filter(|c| !r.has(&c.id))
            .map(|c| c.id.as_str())
            .collect();
        let missing_note = (!missing.is_empty()).then(|| {
            let shown = missing.len().min(5);
            format!(
                "{name} has no row for {} candidate{} ({}{}); {} keep{} ats-gap's prediction",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" },
                missing[..shown].join(", "),
                if missing.len() > shown { ", ..." } else { "" },
                if missing.len() == 1 { "it" } else { "they" },
                if missing.len() == 1 { "s" } else { "" },
            )
        });
        let test = format!(
            "permutation test of the {} candidates' {} against {} random re-matchings of the \
             names: p = {:.3}",
            t.candidates,
            t.features.join(", "),
            t.permutations,
            t.p_value
        );
        if t.passed {
            notes.push(format!(
                "{name}: {have} of {} candidates matched by name; its rows match the pool's \
                 models ({test} <= {}); its shape transfer weighs {w:.3} against {}'s ats-gap \
                 prediction (1), the ratio of their backtest errors on this pool{}",
                pool.len(),
                t.level,
                method.name(),
                if *w >= reference::MAX_WEIGHT {
                    format!(
                        " (capped at {}: its backtest error is 0 or nearly, the reference \
                         reproduces this pool's own curves)",
                        crate::numbers::num(reference::MAX_WEIGHT)
                    )
                } else {
                    String::new()
                }
            ));
        } else if t.min_p_value() > t.level {
            warnings.push(format!(
                "{name} is not used (weight 0): {have} of {} candidates matched by name, {} \
                 testable, too few for the match test to pass at {} (even a perfect agreement \
                 gives p = {:.3}); at least 4 are needed{}",
                pool.len(),
                t.candidates,
                t.level,
                t.min_p_value(),
                untestable_sizes(pool, r, have, t.candidates)
            ));
        } else if t.candidates < FEW_TO_CONFIRM {
            warnings.push(format!(
                "{name}: could not confirm it matches (only {} in common; the match test \
                 has little power with fewer than {FEW_TO_CONFIRM}: {test} > {}); it is not used \
                 (weight 0). A reference holding more of the pool's models can be tested{}",
                crate::numbers::count(t.candidates, "candidate"),
                t.level,
                untestable_sizes(pool, r, have, t.candidates)
            ));
        } else {
            warnings.push(format!(
                "{name} does not match the pool: {have} of {} candidates matched by name, but \
                 their curves agree no better than under random re-matchings ({test} > {}); it \
                 is not used (weight 0). Give a reference of the same models, rows named as in \
                 the pool",
                pool.len(),
                t.level
            ));
        }
        notes.extend(missing_note);
        uses.push(ReferenceUse {
            source: r.source.clone(),
            matched: have,
            test: t.clone(),
            weight: *w,
        });
    }
    (uses, notes, warnings)
}

/// Below this many candidates in common with the pool, a reference that
/// fails its match test is said to be unconfirmed, not wrong: correct
/// references (disjoint slices of WMT19's rows against FLAN, budgets 1/16,
/// 1/64, 1/256) with 4-7 rows failed 42 times of 66, so such a failure says
/// little about the file; with 8-12 rows 6 of 39 (a wording threshold: the
/// verdict, p and weight 0 are the same either side).
pub const FEW_TO_CONFIRM: usize = 8;

/// How the recommended candidate is picked from the ranking.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Choice {
    /// Index into `ranking` (0: the lowest predicted loss).
    pub position: usize,
    /// "lowest predicted loss", or "lowest risk score" (a
    /// risk-averse choice: ats-trend with calibrated intervals; the bound is
    /// upper end of `Calibration::risk_interval`), or [`ATS_PICK_RULE`]
    /// (that choice is not clearly better than AtS's); for the methods that
    /// predict no loss, their own score ("largest parameter count", ...).
    pub rule: &'static str,
    /// Under [`ATS_PICK_RULE`]: the position of the candidate with the lowest
    /// risk score, which was not chosen; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound_pick: Option<usize>,
    /// Candidates not chosen that may be better: still accelerating, their
    /// interval open below ([`Estimate::open_below`]) and their calibrated
    /// interval (before it was opened) reaching below the upper end of the
    /// chosen one's ([`MayBeBetter::of`]). The choice does not move for them:
    /// the data cannot rule them out; a fine-tuning at `fine_tune_at` is
    /// worth one more run (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub may_be_better: Vec<MayBeBetter>,
}

/// A candidate that may be better than the chosen one ([`Choice::may_be_better`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct MayBeBetter {
    /// Its position in the ranking.
    pub position: usize,
    /// Its id.
    pub id: String,
    /// The size to fine-tune it at before ruling it out
    /// ([`OpenBelow::fine_tune_at`]; one run there rarely settles it).
    pub fine_tune_at: f64,
}

impl MayBeBetter {
    /// The candidates of `ranked` (best first) other than `chosen` whose
    /// interval is open below and whose calibrated lower end
    /// ([`OpenBelow::calibrated_lo`], the end before it was opened) lies at
    /// or below the upper end of the chosen one's interval (none: every
    /// one). The opened end alone (the law's bound, a few percent of the
    /// last loss) reaches below nearly every interval: it named 14
    /// candidates on WMT19 at 1/64, none better than the pick. The rule was
    /// fixed before measuring among three and kept the true best named in
    /// 97% of the known-truth pools where the opened end named it
    /// (BENCHMARKS.md, "A sharper 'may be better'").
    pub fn of(ranked: &[&Estimate], chosen: usize) -> Vec<MayBeBetter> {
        let hi = ranked
            .get(chosen)
            .and_then(|e| e.interval)
            .map_or(f64::INFINITY, |i| i.hi);
        ranked
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != chosen)
            .filter_map(|(i, e)| {
                let open = e.open_below?;
                (open.calibrated_lo <= hi).then(|| MayBeBetter {
                    position: i,
                    id: e.id.clone(),
                    fine_tune_at: open.fine_tune_at,
                })
            })
            .collect()
    }

    /// The clause the chosen line carries for `list` (empty when none):
    /// "; 'b' (rank 6) may be better: still accelerating, its interval is
    /// open below and its calibrated one overlaps the chosen one's;
    /// fine-tune it at 12800 before ruling it out (...)"; with more than 3, the first 3 by rank and how many more
    /// (JSON `choice.may_be_better` lists each).
    pub fn clause(list: &[MayBeBetter]) -> String {
        const SHOWN: usize = 3;
        match list {
            [] => String::new(),
            [m] => format!(
                "; '{}' (rank {}) may be better: still accelerating, its interval is open below \
                 and its calibrated one overlaps the chosen one's; fine-tune it at {} before \
                 ruling it out (worth one more run; one run rarely settles it)",
                m.id,
                m.position + 1,
                crate::numbers::num(m.fine_tune_at)
            ),
            _ => {
                let named: Vec<String> = list
                    .iter()
                    .take(SHOWN)
                    .map(|m| {
                        format!(
                            "'{}' (rank {}, at {})",
                            m.id,
                            m.position + 1,
                            crate::numbers::num(m.fine_tune_at)
                        )
                    })
                    .collect();
                format!(
                    "; {} candidates may be better: still accelerating, their intervals are open \
                     below and their calibrated ones overlap the chosen one's: {}{}; fine-tune \
                     them at the size given before ruling them out (worth one more run each, \
                     {} examples in all; one run rarely settles it)",
                    list.len(),
                    named.join(", "),
                    if list.len() > SHOWN {
                        format!(" and {} more (see the notes)", list.len() - SHOWN)
                    } else {
                        String::new()
                    },
                    crate::numbers::num(list.iter().map(|m| m.fine_tune_at).sum::<f64>())
                )
            }
        }
    }
}

/// [`Choice::rule`] when a robust method recommends AtS's pick: the
/// candidate with the lowest risk score is another, and its interval
/// overlaps the AtS pick's.
pub const ATS_PICK_RULE: &str = "AtS's pick (lowest AtS-line prediction): the candidate with the \
     lowest risk score is not clearly better (their intervals overlap)";

/// [`Choice::rule`] when the intervals are a bootstrap of the points (too
/// few sizes for predictive ones) and a robust method recommends AtS's pick
/// over the lowest score, whose interval overlaps AtS's pick's.
pub const ATS_PICK_BOOTSTRAP_RULE: &str = "AtS's pick (lowest AtS-line prediction): the \
     intervals are a bootstrap of the points, not predictive, and the lowest score is not \
     clearly better (their intervals overlap)";

impl Estimate {
    /// The score the robust choice ranks by: the upper end of the risk
    /// interval, else of the interval; None without either.
    pub fn risk_score(&self) -> Option<f64> {
        self.risk_interval.or(self.interval).map(|v| v.hi)
    }
}

impl Choice {
    /// AtS's pick (the lowest AtS-line prediction) unless `own`'s interval
    /// (its risk interval, else its interval) lies entirely below AtS's
    /// pick's: then `own`. A missing interval overlaps everything.
    /// A candidate ranked from fewer sizes because its larger runs failed
    /// (`partial[i]`) is never AtS's pick here: AtS's pick is taken among
    /// the others.
    fn ats_safeguard(ranked: &[&Estimate], own: usize, partial: &[bool]) -> usize {
        let ats_loss = |i: usize| match &ranked[i].detail {
            _ if partial.get(i).copied().unwrap_or(false) => f64::INFINITY,
            Detail::Ats {
                power_phase_loss, ..
            } => *power_phase_loss,
            _ => f64::INFINITY,
        };
        let ats = (0..ranked.len())
            .min_by(|&a, &b| ats_loss(a).total_cmp(&ats_loss(b)).then(a.cmp(&b)))
            .unwrap_or(0);
        let hi = |i: usize| {
            ranked[i]
                .risk_interval
                .or(ranked[i].interval)
                .map_or(f64::INFINITY, |v| v.hi)
        };
        let lo = |i: usize| {
            ranked[i]
                .risk_interval
                .or(ranked[i].interval)
                .map_or(f64::NEG_INFINITY, |v| v.lo)
        };
        if ats != own && ats_loss(ats).is_finite() && hi(own) >= lo(ats) {
            ats
        } else {
            own
        }
    }
    /// Rank 1, or, for methods that choose robustly and have predictive
    /// intervals for every candidate, the lowest risk score
    /// (the upper end of [`Estimate::risk_interval`], else of the interval)
    /// unless AtS's pick (the lowest AtS-line prediction) is another
    /// candidate whose interval that bound does not clear (the upper end of
    /// the bound's pick at or above the lower end of AtS's pick): then
    /// AtS's pick, [`ATS_PICK_RULE`].
    /// `ranked`: the
    /// estimates best first (by predicted loss).
    pub fn of(method: &Method, ranked: &[&Estimate]) -> Choice {
        Self::of_partial(method, ranked, &[])
    }

    /// [`Choice::of`] where `partial[i]` says that `ranked[i]` is ranked
    /// from fewer sizes than planned because its larger runs failed (the
    /// runner's ladder stopped it; shorter `partial`: the rest false). Such
    /// a candidate is ranked by what its completed sizes support: its
    /// interval and risk interval are calibrated from its largest completed
    /// size to the target (wider than the others'), it is chosen when its
    /// risk score is the lowest, and it is never taken as AtS's pick
    /// by the safeguard (its AtS line rests on the sizes before the
    /// failures; run54: such a candidate, whose interval spanned
    /// [0.027, 4.058], was chosen as AtS's pick over candidates with
    /// narrower intervals).
    pub fn of_partial(method: &Method, ranked: &[&Estimate], partial: &[bool]) -> Choice {
        let mut c = Self::pick(method, ranked, partial);
        c.may_be_better = MayBeBetter::of(ranked, c.position);
        c
    }

    /// [`Choice::of_partial`] without [`Choice::may_be_better`].
    fn pick(method: &Method, ranked: &[&Estimate], partial: &[bool]) -> Choice {
        let robust = method.chooses_robustly()
            && ranked.iter().all(|e| {
                matches!(e.interval_kind, Some(IntervalKind::Backtest { .. }))
                    && e.interval.is_some()
            });
        if !robust && method.chooses_robustly() {
            // The intervals fall back to a bootstrap of the points (too few
            // sizes for predictive ones): the same safeguard, between the
            // lowest score and AtS's pick (probe54 #8: the lowest gap score
            // alone chose a pool's true worst).
            let position = Self::ats_safeguard(ranked, 0, partial);
            return Choice {
                position,
                rule: if position == 0 {
                    "lowest predicted loss"
                } else {
                    ATS_PICK_BOOTSTRAP_RULE
                },
                bound_pick: None,
                may_be_better: Vec::new(),
            };
        }
        if !robust {
            // The methods that predict no loss rank by their own score.
            let rule = match method.name() {
                _ if method.predicts_loss() => "lowest predicted loss",
                "model-size" => "largest parameter count",
                "zero-shot" => "lowest zero-shot loss",
                "sub-tuning" => "lowest loss at the largest affordable size",
                _ => "lowest score",
            };
            return Choice {
                position: 0,
                rule,
                bound_pick: None,
                may_be_better: Vec::new(),
            };
        }
        let hi = |i: usize| {
            ranked[i]
                .risk_interval
                .or(ranked[i].interval)
                .map_or(f64::INFINITY, |v| v.hi)
        };
        let position = (0..ranked.len())
            .min_by(|&a, &b| hi(a).total_cmp(&hi(b)).then(a.cmp(&b)))
            .unwrap_or(0);
        // AtS's pick unless the bound's pick is clearly better: their
        // intervals do not overlap. Pre-registered and measured on 2,400
        // perturbed sub-pools of FLAN and WMT19 left out (BENCHMARKS.md,
        // "The default against AtS on perturbed pools"): without it the
        // bound's pick lost to AtS's in up to 19% of draws at a budget.
        let chosen = Self::ats_safeguard(ranked, position, partial);
        if chosen != position {
            return Choice {
                position: chosen,
                rule: ATS_PICK_RULE,
                bound_pick: Some(position),
                may_be_better: Vec::new(),
            };
        }
        Choice {
            position,
            rule: "lowest risk score (drift-corrected prediction + backtest and hypothesis spread: a score to rank by, not a bound on the loss)",
            bound_pick: None,
            may_be_better: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
/// One candidate in a ranking.
pub struct Ranked {
    /// Rank by score, 1 = best.
    pub rank: usize,
    /// Position of the candidate in the input.
    #[serde(skip)]
    pub index: usize,
    #[serde(flatten)]
    /// The method's estimate for the candidate.
    pub estimate: Estimate,
    /// The measured loss at the target, when the data has it (for checking).
    pub observed_at_target: Option<f64>,
    /// The predicted loss lies outside the interval
    /// ([`Estimate::prediction_outside_interval`]): the interval is
    /// `interval_from`'s, not centred on this method's prediction.
    pub prediction_outside_interval: bool,
}

impl Selection {
    /// The recommended candidate (see [`Choice`]).
    pub fn chosen(&self) -> &Ranked {
        &self.ranking[self.choice.position]
    }
}

/// The level of the bootstrap intervals of the points unless a caller asks
/// for another (`SelectOptions::bootstrap`): the level the selection
/// protocol's coverage of the law-fit intervals is measured at.
pub const BOOTSTRAP_LEVEL: f64 = 0.95;

/// Options of a selection run.
#[derive(Debug, Clone, Copy)]
pub struct SelectOptions {
    /// The bootstrap of each candidate's points: the intervals of the
    /// law-fit methods, and of the line methods when `level` is None.
    /// Each candidate draws from a seed of this seed and its name
    /// (`Resampling::for_name`), not its row: the rows' order and the other
    /// candidates do not change its interval. 0 replicates: no bootstrap
    /// intervals.
    pub bootstrap: Resampling,
    /// Average tokens per example and epochs, for the FLOP count.
    pub tokens_per_example: Option<f64>,
    /// Fine-tuning epochs (multiplies the cost).
    pub epochs: f64,
    /// Level of the calibrated predictive intervals of the line methods
    /// (ats, ats-blend, ats-trend); None: bootstrap intervals of the points.
    pub level: Option<f64>,
    /// The trend prior of ats-trend (the shipped one, or one learned without
    /// the evaluated dataset in the leave-one-dataset-out protocol).
    pub trend_prior: [f64; trend::N_W],
    /// The gap-trend weights of ats-gap (the shipped ones, or ones learned
    /// without the evaluated dataset).
    pub gap_prior: [f64; trend::N_G],
    /// The width of the line methods' predictive intervals in units of the
    /// hypotheses' spread (None: the method's shipped one,
    /// `calibrate::shipped_scale`; the leave-one-dataset-out protocol
    /// passes one learned without the evaluated dataset).
    pub spread_scale: Option<SpreadScale>,
    /// A candidate the method cannot score (too few affordable sizes, say)
    /// is listed in [`Selection::unranked`] with the reason and the others
    /// are ranked, as `slaw run` does; only when none can be scored is it
    /// an error (the first failing candidate's). False (the default, and
    /// the benchmarks'): any failing candidate is an error.
    pub rank_the_rest: bool,
}

impl Default for SelectOptions {
    fn default() -> Self {
        SelectOptions {
            bootstrap: Resampling::new(0, BOOTSTRAP_LEVEL, 0),
            tokens_per_example: None,
            epochs: 1.0,
            level: Some(0.9),
            trend_prior: trend::PRIOR,
            gap_prior: trend::GAP_PRIOR,
            spread_scale: None,
            rank_the_rest: false,
        }
    }
}

/// Score every candidate (in parallel) and rank them, best first; ties keep
/// the input order.
pub fn select(
    pool: &[Candidate],
    method: Method,
    budget: Budget,
    opts: &SelectOptions,
) -> Result<Selection> {
    select_with_references(pool, method, budget, opts, &[])
}

/// [`select`] with `references`: the same candidates' curves on other
/// tasks, read by the methods whose [`Needs::reference`] (`ats-ref`;
/// ignored by the others). Without references it is [`select`].
pub fn select_with_references(
    pool: &[Candidate],
    method: Method,
    budget: Budget,
    opts: &SelectOptions,
    references: &[Reference],
) -> Result<Selection> {
    select_inner(pool, method, budget, opts, references, None, None)
}

/// [`select_with_references`] on a pool read from a table whose rows
/// `rows` gives ([`crate::datasets::pool_rows`]): a message about one
/// candidate names its row ("pool.csv, row 17: candidate 'beta': ..."), one
/// about one of its points that point's row — unranked candidates' reasons,
/// warnings, and the error when no candidate can be scored (an
/// [`Error::Located`]).
pub fn select_located(
    pool: &[Candidate],
    method: Method,
    budget: Budget,
    opts: &SelectOptions,
    references: &[Reference],
    rows: &crate::datasets::PoolRows,
) -> Result<Selection> {
    let mut sel = select_inner(pool, method, budget, opts, references, Some(rows), None)
        .map_err(|e| locate_error(e, pool, rows))?;
    // A wide table's blank cells were skipped (curves of different
    // lengths): said once, first among the notes.
    if let Some(note) = rows.blank_cells_note() {
        sel.notes.insert(0, note);
        sel.blank_cells = rows.blank_cells.clone();
    }
    Ok(sel)
}

/// `e` located at the row of the first candidate (in the pool's order) it
/// names ("candidate 'ID'"); unchanged when it names none.
pub fn locate_error(e: Error, pool: &[Candidate], rows: &crate::datasets::PoolRows) -> Error {
    let msg = e.to_string();
    let at = pool
        .iter()
        .enumerate()
        .find(|(_, c)| msg.contains(&format!("candidate '{}'", c.id)))
        .and_then(|(i, _)| rows.candidate(i));
    match at {
        Some(location) => Error::Located {
            location: location.clone(),
            source: Box::new(e),
        },
        None => e,
    }
}

/// A message about candidate `i` (or its point at size `n`), prefixed by
/// where it was read when `rows` says.
fn located(
    rows: Option<&crate::datasets::PoolRows>,
    i: usize,
    n: Option<f64>,
    msg: String,
) -> String {
    let at = rows.and_then(|r| match n {
        Some(n) => r.point(i, n),
        None => r.candidate(i),
    });
    match at {
        Some(l) => format!("{l}: {msg}"),
        None => msg,
    }
}

/// ats-gap scores a candidate without a zero-shot loss as ats-trend does,
/// on another scale than the gap score (probe54 #9: 5-18% higher). When
/// some candidates of the pool have the zero-shot loss and some do not, the
/// whole pool is scored by ats-trend, with a note saying so; otherwise the
/// method is unchanged. `pool`: the candidates ats-gap could score (one
/// that cannot be scored is not counted). `slaw run`'s ranking applies the
/// same rule to its measured points (`slaw_run::scheduler`), so a plan and
/// `slaw select` on the same points rank alike.
pub fn one_scale(method: Method, pool: &[&Candidate]) -> Result<(Method, Option<String>)> {
    if method.name() != "ats-gap" {
        return Ok((method, None));
    }
    let missing = pool
        .iter()
        .filter(|c| !c.loss_at(0.0).is_some_and(|l| l.is_finite() && l > 0.0))
        .count();
    if missing == 0 || missing == pool.len() {
        return Ok((method, None));
    }
    let trend = Method::parse("ats-trend", method.ats.k, method.ats.delta)?;
    Ok((
        trend,
        Some(format!(
            "{missing} of {} scored candidates have no zero-shot loss (N = 0), which ats-gap reads: \
             the whole pool is ranked by ats-trend (ats-gap without the zero-shot loss), so \
             that every score is on one scale",
            pool.len()
        )),
    ))
}

/// A budget between two measured sizes of the pool's ladder (some size
/// measured above it): the selection reads the sizes up to the largest
/// measured within it, so the budget becomes that size (the header, the
/// extrapolation distance and the advice are about the sizes read), with a
/// note saying so. Unchanged, without a note, otherwise (a budget on a
/// measured size, or above every measured size).
fn snap_to_measured(pool: &[Candidate], budget: Budget) -> (Budget, Option<String>) {
    let sizes = || {
        pool.iter()
            .flat_map(|c| c.curve.iter().map(|p| p.0))
            .filter(|n| *n > 0.0 && n.is_finite())
    };
    let read = sizes()
        .filter(|n| *n <= budget.max_n * (1.0 + 1e-12))
        .fold(f64::NAN, f64::max);
    let mut above: Vec<f64> = sizes()
        .filter(|n| *n > budget.max_n * (1.0 + 1e-12))
        .collect();
    // (a NaN `read`: no size within the budget, nothing to snap to)
    if read.is_nan() || read >= budget.max_n * (1.0 - 1e-9) || above.is_empty() {
        return (budget, None);
    }
    above.sort_by(f64::total_cmp);
    above.dedup();
    let num = crate::numbers::num;
    let shown: Vec<String> = above.iter().take(3).map(|n| num(*n)).collect();
    let note =
        format!(
        "the budget {} lies between measured sizes: the largest size measured within it is {}, \
         so the candidates are compared from the sizes up to {} (as with that budget); the \
         size{} measured above it ({}{}) {} not used to rank",
        num(budget.max_n),
        num(read),
        num(read),
        if above.len() == 1 { "" } else { "s" },
        shown.join(", "),
        if above.len() > shown.len() { ", ..." } else { "" },
        if above.len() == 1 { "is" } else { "are" },
    );
    (
        Budget {
            target: budget.target,
            max_n: read,
        },
        Some(note),
    )
}

/// The order of `pool`'s candidates by name (then by their points, for a
/// pool with a name twice), or `None` when they are in it already.
fn canonical_order(pool: &[Candidate]) -> Option<Vec<usize>> {
    let cmp = |a: &Candidate, b: &Candidate| {
        a.id.cmp(&b.id).then_with(|| {
            a.curve
                .iter()
                .zip(&b.curve)
                .map(|(p, q)| p.0.total_cmp(&q.0).then(p.1.total_cmp(&q.1)))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| a.curve.len().cmp(&b.curve.len()))
        })
    };
    if pool.windows(2).all(|w| cmp(&w[0], &w[1]).is_le()) {
        return None;
    }
    let mut order: Vec<usize> = (0..pool.len()).collect();
    order.sort_by(|&a, &b| cmp(&pool[a], &pool[b]));
    Some(order)
}

/// `positions`: each candidate's position in the caller's pool, when
/// `pool` is that pool in the canonical order (None: the caller's order).
fn select_inner(
    pool: &[Candidate],
    method: Method,
    budget: Budget,
    opts: &SelectOptions,
    references: &[Reference],
    rows: Option<&crate::datasets::PoolRows>,
    positions: Option<&[usize]>,
) -> Result<Selection> {
    if pool.is_empty() {
        return Err(Error::data("no candidates to select from"));
    }
    // The candidates in a canonical order (by name, unique in a pool), not
    // the file's: the pool's sums (the trend adapted to it, the
    // calibration's drift and spread) ran in the rows' order, so the same
    // rows in another order gave other last digits. The result's positions
    // are the caller's.
    if let Some(order) = canonical_order(pool) {
        let sorted: Vec<Candidate> = order.iter().map(|&i| pool[i].clone()).collect();
        let rows = rows.map(|r| r.permuted(&order));
        let mut sel = select_inner(
            &sorted,
            method,
            budget,
            opts,
            references,
            rows.as_ref(),
            Some(&order),
        )?;
        for r in &mut sel.ranking {
            r.index = order[r.index];
        }
        for u in &mut sel.unranked {
            u.index = order[u.index];
        }
        for i in &mut sel.scored_without_flags {
            *i = order[*i];
        }
        sel.scored_without_flags.sort_unstable();
        return Ok(sel);
    }
    opts.bootstrap.check()?;
    if let Some(l) = opts.level {
        if !(l > 0.0 && l < 1.0) {
            return Err(Error::setting(
                crate::error::Setting::Level,
                format!("must be in (0, 1), got {l}"),
            ));
        }
    }
    let (budget, between_sizes) = snap_to_measured(pool, budget);
    let scale = opts
        .spread_scale
        .or_else(|| calibrate::shipped_scale(method.name()));
    // The points that break their curve's trend: the pool's context learns
    // without them and the caveats name them (computed once for both).
    let spikes = spikes::spikes(pool, &budget);
    let ctx = PoolContext::with_scale_spikes(
        &method,
        pool,
        &budget,
        &opts.trend_prior,
        &opts.gap_prior,
        opts.level,
        scale.as_ref(),
        Some(&spikes),
    )
    .with_references(&method, pool, &budget, references);
    // Every candidate is scored; the error, if any, is the first failing
    // candidate's in the caller's order (the file's rows; rayon's
    // short-circuit would return whichever thread failed first).
    let scored: Vec<Result<Estimate>> = pool
        .par_iter()
        .map(|c| method.estimate_with(c, &budget, &opts.bootstrap.for_name(&c.id), &ctx))
        .collect();
    // A point that breaks its curve's trend never makes its own candidate
    // look better: a candidate with such a point is scored again without
    // it and keeps the less favourable (higher) score (probe58 1: a point
    // 25% high at the start of the power phase steepened its line and won
    // the choice).
    let (mut spike_notes, mut scored_without_flags) = (Vec::new(), Vec::new());
    let scored: Vec<Result<Estimate>> = scored
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let (kept, swapped) = spikes::less_favourable(pool, i, &spikes, r, |c| {
                method.estimate_with(c, &budget, &opts.bootstrap.for_name(&c.id), &ctx)
            });
            if let Some((with, without)) = swapped {
                spike_notes.push(spikes::scored_without_note(
                    &pool[i].id,
                    i,
                    &spikes,
                    with,
                    without,
                ));
                scored_without_flags.push(i);
            }
            kept
        })
        .collect();
    // A pool whose scored candidates partly lack the zero-shot loss is
    // ranked again, as a whole, by ats-trend (`one_scale`).
    let scorable: Vec<&Candidate> = scored
        .iter()
        .zip(pool)
        .filter(|(r, _)| r.is_ok())
        .map(|(_, c)| c)
        .collect();
    if let (trend, Some(note)) = one_scale(method, &scorable)? {
        let mut sel = select_inner(pool, trend, budget, opts, references, rows, positions)?;
        sel.notes.insert(0, note);
        return Ok(sel);
    }
    let all_fail = scored.iter().all(|r| r.is_err());
    let mut unranked = Vec::new();
    let mut kept = Vec::new();
    let mut estimates = Vec::new();
    // The failing candidate first in the caller's order, and its error.
    let mut failed: Option<(usize, Error)> = None;
    for (i, r) in scored.into_iter().enumerate() {
        match r {
            Ok(e) => {
                kept.push(i);
                estimates.push(e);
            }
            Err(e) if opts.rank_the_rest && !all_fail => unranked.push(Unranked {
                index: i,
                id: pool[i].id.clone(),
                reason: located(rows, i, None, e.to_string()),
            }),
            Err(e) => {
                let at = positions.map_or(i, |p| p[i]);
                if failed.as_ref().is_none_or(|(first, _)| at < *first) {
                    failed = Some((at, e));
                }
            }
        }
    }
    if let Some((_, e)) = failed {
        return Err(e);
    }
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.sort_by(|&a, &b| estimates[a].score.total_cmp(&estimates[b].score));
    // Each estimate moves into its place in the ranking (no copy).
    let mut estimates: Vec<Option<Estimate>> = estimates.into_iter().map(Some).collect();
    let ranking = order
        .iter()
        .enumerate()
        .map(|(r, &i)| {
            let estimate = estimates[i].take().expect("each index once");
            Ranked {
                rank: r + 1,
                index: kept[i],
                prediction_outside_interval: estimate.prediction_outside_interval(),
                estimate,
                observed_at_target: pool[kept[i]].loss_at(budget.target),
            }
        })
        .collect::<Vec<Ranked>>();
    let ests: Vec<&Estimate> = ranking.iter().map(|r| &r.estimate).collect();
    let choice = Choice::of(&method, &ests);
    let (references, ref_notes, mut warnings) = reference_uses(&method, pool, &ctx);
    let unranked_ids: Vec<&str> = unranked.iter().map(|u| u.id.as_str()).collect();
    warnings.extend(caveats_located(
        pool,
        &budget,
        &ests,
        &unranked_ids,
        opts.level,
        rows,
        Some(&spikes),
    ));
    warnings.extend(short_of_budget_warning(pool, &budget));
    // A note, not a warning: on known-truth pools it fired on most of them
    // and the intervals it flagged covered at least as often as the others
    // (BENCHMARKS.md, "select's drift note on known-truth pools").
    let drift_note = weak_drift_warning(ctx.calibration.as_ref(), pool, &budget, &ranking);
    warnings.extend(checks::pool_warnings(pool, &budget, &ests));
    let cost = Cost::of(pool, method, &budget, opts);
    cost.check(pool, opts.tokens_per_example)?;
    let choice_notes = choice_notes(pool, &ranking, choice.position);
    // The candidates whose interval is open below (the line methods'), for
    // the still-accelerating note.
    let open_below: Vec<String> = ranking
        .iter()
        .filter(|r| r.estimate.open_below.is_some())
        .map(|r| r.estimate.id.clone())
        .collect();
    Ok(Selection {
        score_is: method.score_is(),
        method,
        budget,
        choice,
        ranking,
        cost,
        notes: {
            let mut v = notes(&method, pool, &unranked_ids);
            v.extend(between_sizes);
            v.extend(spike_notes);
            v.extend(choice_notes);
            v.extend(budget_note(&method, pool, &budget));
            v.extend(checks::missing_size_notes(pool, &budget, &unranked_ids));
            v.extend(ref_notes);
            if method.predicts_loss() {
                let open: Vec<&str> = open_below.iter().map(String::as_str).collect();
                v.extend(accelerating_notes(pool, &budget, &open));
            }
            v.extend(drift_note);
            v.extend(ctx.noisy.map(|n| noise::note(method.name(), n)));
            v.extend(floor_note(ctx.calibration.as_ref(), ctx.floor.as_ref()));
            v.extend(coverage_note(
                ctx.calibration.as_ref(),
                &budget,
                ctx.floor.as_ref(),
            ));
            v
        },
        references,
        warnings,
        unranked,
        calibration: ctx.calibration,
        floor: ctx.floor,
        blank_cells: Vec::new(),
        scored_without_flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// probe_rd 10: the runner's ranking headed ats-gap's column "90%
    /// predictive" where `slaw select` says whose interval it is; both now
    /// read this one heading.
    #[test]
    fn the_interval_heading_says_whose_interval() {
        let e = |from: Option<&'static str>, kind: Option<IntervalKind>| Estimate {
            id: "a".into(),
            family: None,
            params: None,
            score: 1.5,
            predicted_loss: Some(1.5),
            interval: kind.map(|_| crate::bootstrap::Interval { lo: 1.4, hi: 1.6 }),
            interval_kind: kind,
            interval_from: from,
            risk_interval: None,
            open_below: None,
            detail: Detail::None,
        };
        let kind = Some(IntervalKind::Backtest { level: 0.9 });
        let gap = [e(Some("ats-trend"), kind), e(Some("ats-trend"), kind)];
        assert_eq!(interval_heading(&gap), "90% predictive (ats-trend's)");
        assert_eq!(interval_heading(&[e(None, kind)]), "90% predictive");
        assert_eq!(interval_heading(&[e(None, None)]), "interval");
    }

    /// A curve on a doubling ladder from 200 (8 sizes) whose loss follows
    /// `level` x (n / 200)^slope, with a 0.3% wiggle.
    pub(super) fn candidate(id: &str, slope: f64, level: f64) -> Candidate {
        Candidate {
            id: id.into(),
            curve: (0..8)
                .map(|i| {
                    let n = 200.0 * 2f64.powi(i);
                    let wiggle = 1.0 + 0.003 * ((i * 3) as f64 + id.len() as f64).sin();
                    (n, level * (n / 200.0).powf(slope) * wiggle)
                })
                .collect(),
            size: None,
            family: None,
        }
    }

    /// Six candidates `m0` ... `m5` whose slope and level grow with i:
    /// slope s0 + ds i, level l0 + dl i.
    fn six(s0: f64, ds: f64, l0: f64, dl: f64) -> Vec<Candidate> {
        (0..6)
            .map(|i| candidate(&format!("m{i}"), s0 + ds * i as f64, l0 + dl * i as f64))
            .collect()
    }

    /// A reference's curve: the candidate's, continued 9 doublings past its
    /// last size with a slope of -0.05 (to [`far_budget`]'s target).
    fn extend_to_the_target(c: &mut Candidate) {
        let (n0, l0) = c.curve[c.curve.len() - 1];
        c.curve
            .extend((1..=9).map(|j| (n0 * 2f64.powi(j), l0 * 2f64.powf(-0.05 * j as f64))));
    }

    /// Target 200 x 2^16, budget 200 x 2^7 (the pools of [`six`]).
    fn far_budget() -> Budget {
        Budget::new(200.0 * 2f64.powi(16), 200.0 * 2f64.powi(7)).unwrap()
    }

    /// ats-trend recommends the lowest risk score: a candidate whose low
    /// prediction rests on a steep, uncertain extrapolation is ranked first
    /// but not recommended over a flat one that is nearly as good.
    #[test]
    fn robust_choice_is_the_lowest_upper_bound() {
        let pool = six(-0.02, -0.03, 2.0, 0.4);
        let budget = far_budget();
        let sel = select(&pool, Method::DEFAULT, budget, &SelectOptions::default()).unwrap();
        let hi = |r: &Ranked| r.estimate.risk_interval.unwrap().hi;
        let lowest_hi = sel.ranking.iter().map(hi).fold(f64::INFINITY, f64::min);
        assert_eq!(hi(sel.chosen()), lowest_hi);
        assert_eq!(
            sel.choice.rule,
            "lowest risk score (drift-corrected prediction + backtest and hypothesis spread: a score to rank by, not a bound on the loss)"
        );
        // AtS keeps the paper's rule.
        let ats = select(
            &pool,
            Method::parse("ats", 3, 5.0).unwrap(),
            budget,
            &SelectOptions::default(),
        )
        .unwrap();
        assert_eq!(ats.chosen().rank, 1);
    }

    /// The robust methods recommend AtS's pick unless the lowest risk
    /// score's candidate is clearly better (its interval's upper end below
    /// the lower end of AtS's pick's); the methods that rank by rank 1 keep
    /// rank 1.
    #[test]
    fn robust_choice_falls_back_to_ats_unless_clearly_better() {
        use crate::bootstrap::Interval;
        // (id, AtS-line loss at the target, the method's risk interval)
        let est = |id: &str, ats: f64, lo: f64, hi: f64| Estimate {
            id: id.into(),
            family: None,
            params: None,
            score: 0.5 * (lo + hi),
            predicted_loss: Some(0.5 * (lo + hi)),
            interval: Some(Interval { lo, hi }),
            interval_kind: Some(IntervalKind::Backtest { level: 0.9 }),
            interval_from: None,
            risk_interval: Some(Interval { lo, hi }),
            open_below: None,
            detail: Detail::Ats {
                accepted: Vec::new(),
                transition: None,
                line: ats::Line {
                    slope: -0.1,
                    intercept: 0.0,
                },
                power_phase_loss: ats,
                trend: None,
                gap: None,
            },
        };
        let gap = Method::DEFAULT;
        // b has the lowest bound (1.5), a the lowest AtS loss (1.0); they
        // overlap (1.5 >= 1.2): AtS's pick.
        let overlap = [est("a", 1.0, 1.2, 1.8), est("b", 1.4, 1.3, 1.5)];
        let refs: Vec<&Estimate> = overlap.iter().collect();
        let c = Choice::of(&gap, &refs);
        assert_eq!((c.position, c.rule), (0, ATS_PICK_RULE));
        assert_eq!(c.bound_pick, Some(1));
        // b's bound (1.15) clears a's lower end (1.2): b.
        let clear = [est("a", 1.0, 1.2, 1.8), est("b", 1.4, 1.05, 1.15)];
        let refs: Vec<&Estimate> = clear.iter().collect();
        let c = Choice::of(&gap, &refs);
        assert_eq!(c.position, 1);
        assert!(c.rule.starts_with("lowest risk score"), "{}", c.rule);
        // The same candidate under both rules: the bound's rule.
        let same = [est("a", 1.0, 1.2, 1.5), est("b", 1.4, 1.3, 1.8)];
        let refs: Vec<&Estimate> = same.iter().collect();
        let c = Choice::of(&gap, &refs);
        assert_eq!(c.position, 0);
        assert!(c.rule.starts_with("lowest risk score"), "{}", c.rule);
        // AtS itself keeps rank 1.
        let ats = Method::parse("ats", 3, 5.0).unwrap();
        let refs: Vec<&Estimate> = overlap.iter().collect();
        assert_eq!(Choice::of(&ats, &refs).position, 0);
    }

    /// A flat curve's hypotheses agree: its interval has no width, and a
    /// warning names it (the others, which bend, get none).
    #[test]
    fn a_zero_width_interval_is_named() {
        let mut pool = six(-0.02, -0.03, 2.0, 0.4);
        pool.push(Candidate {
            id: "flat".into(),
            curve: (0..8).map(|i| (200.0 * 2f64.powi(i), 1.6)).collect(),
            size: None,
            family: None,
        });
        let sel = select(
            &pool,
            Method::DEFAULT,
            far_budget(),
            &SelectOptions::default(),
        )
        .unwrap();
        let w: Vec<&String> = sel
            .warnings
            .iter()
            .filter(|w| w.contains("no width"))
            .collect();
        assert_eq!(w.len(), 1, "{:?}", sel.warnings);
        assert!(w[0].starts_with("flat:"), "{}", w[0]);
    }

    /// A level above the scale's last (0.99) gets the 0.99 interval: a
    /// warning says so (it was silent); at 0.99 and below, none.
    #[test]
    fn a_level_above_the_scales_last_is_reported_as_replaced() {
        let pool = six(-0.02, -0.03, 2.0, 0.4);
        let at = |level: f64| {
            let opts = SelectOptions {
                level: Some(level),
                ..SelectOptions::default()
            };
            select(&pool, Method::DEFAULT, far_budget(), &opts).unwrap()
        };
        let sel = at(0.999);
        assert!(sel.ranking.iter().all(|r| matches!(
            r.estimate.interval_kind,
            Some(IntervalKind::Backtest { level }) if level == 0.99
        )));
        let w: Vec<&String> = sel
            .warnings
            .iter()
            .filter(|w| w.starts_with("level "))
            .collect();
        assert_eq!(
            w,
            [
                "level 0.999: the predictive intervals are 99% intervals (their calibration on \
              public curves has quantiles only up to 99%; rarer misses cannot be learned from \
              them), so they cover less than 99.9% of the time"
            ]
        );
        for level in [0.99, 0.9] {
            let sel = at(level);
            assert!(
                !sel.warnings.iter().any(|w| w.starts_with("level ")),
                "{:?}",
                sel.warnings
            );
        }
    }

    /// With several candidates failing, the error names the first in the
    /// pool's order, every time (it once named whichever thread failed
    /// first). The two short candidates sit where two threads start.
    #[test]
    fn the_error_names_the_first_failing_candidate() {
        let mut pool: Vec<Candidate> = (0..64)
            .map(|i| candidate(&format!("m{i:02}"), -0.05, 2.0 + 0.01 * i as f64))
            .collect();
        for i in [31, 32, 63] {
            pool[i].curve.truncate(2);
        }
        let budget = far_budget();
        let ats = Method::parse("ats", 3, 5.0).unwrap();
        for _ in 0..20 {
            let e = select(&pool, ats, budget, &SelectOptions::default())
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("candidate 'm31'"), "{e}");
        }
        // The pool in another order (a file's rows): the first failing in
        // that order, not the first by name (the pool is scored sorted by
        // name).
        pool.reverse();
        let e = select(&pool, ats, budget, &SelectOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("candidate 'm63'"), "{e}");
    }

    /// A candidate's bootstrap interval depends on the seed and its name,
    /// not on its row: reversing the pool or removing a candidate leaves
    /// every other candidate's interval unchanged (the seed was seed + row).
    #[test]
    fn a_bootstrap_interval_does_not_depend_on_the_row() {
        let pool = six(-0.03, -0.02, 2.0, 0.3);
        let budget = far_budget();
        let opts = SelectOptions {
            bootstrap: Resampling::new(40, 0.9, 7),
            level: None,
            ..SelectOptions::default()
        };
        let ats = Method::parse("ats", 3, 5.0).unwrap();
        let intervals = |p: &[Candidate]| -> Vec<(String, crate::bootstrap::Interval)> {
            let mut v: Vec<_> = select(p, ats, budget, &opts)
                .unwrap()
                .ranking
                .into_iter()
                .map(|r| (r.estimate.id, r.estimate.interval.unwrap()))
                .collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        let base = intervals(&pool);
        assert!(base.iter().all(|(_, iv)| iv.hi > iv.lo), "{base:?}");
        let reversed: Vec<Candidate> = pool.iter().rev().cloned().collect();
        assert_eq!(intervals(&reversed), base);
        let without_first = intervals(&pool[1..]);
        assert_eq!(without_first, base[1..].to_vec());
        // Another seed draws other intervals.
        let other = SelectOptions {
            bootstrap: Resampling::new(40, 0.9, 8),
            ..opts
        };
        let moved = select(&pool, ats, budget, &other).unwrap();
        assert!(moved.ranking.iter().any(|r| base
            .iter()
            .any(|b| b.0 == r.estimate.id && Some(b.1) != r.estimate.interval)));
    }

    /// ats-ref is ats-gap exactly without a reference, and for a candidate
    /// the reference does not have; with one, the others move.
    #[test]
    fn ats_ref_without_a_reference_is_ats_gap() {
        let pool: Vec<Candidate> = (0..6)
            .map(|i| {
                let mut c = candidate(
                    &format!("m{i}"),
                    -0.02 - 0.03 * i as f64,
                    2.0 + 0.4 * i as f64,
                );
                c.curve.insert(0, (0.0, 3.0 + 0.4 * i as f64));
                c
            })
            .collect();
        // The same models on another task: the pool's curves as 0.7 L^1.2
        // (other levels and slopes, ordered alike: the reference passes its
        // match test), measured up to the target.
        let other: Vec<Candidate> = (0..5)
            .map(|i| {
                let mut c = candidate(
                    &format!("m{i}"),
                    -0.02 - 0.03 * i as f64,
                    2.0 + 0.4 * i as f64,
                );
                c.curve.iter_mut().for_each(|p| p.1 = 0.7 * p.1.powf(1.2));
                let (n0, l0) = c.curve[c.curve.len() - 1];
                c.curve
                    .extend((1..=9).map(|j| (n0 * 2f64.powi(j), l0 * 2f64.powf(-0.06 * j as f64))));
                c
            })
            .collect();
        let budget = far_budget();
        let opts = SelectOptions::default();
        let gap = select(&pool, Method::DEFAULT, budget, &opts).unwrap();
        let score = |s: &Selection, id: &str| {
            s.ranking
                .iter()
                .find(|r| r.estimate.id == id)
                .unwrap()
                .estimate
                .score
        };
        let none = select(&pool, Method::DEFAULT_WITH_REFERENCE, budget, &opts).unwrap();
        let with = select_with_references(
            &pool,
            Method::DEFAULT_WITH_REFERENCE,
            budget,
            &opts,
            &[Reference::of(&other)],
        )
        .unwrap();
        let mut moved = 0;
        for c in &pool {
            assert_eq!(score(&none, &c.id), score(&gap, &c.id), "{}", c.id);
            if c.id == "m5" {
                // Not in the reference.
                assert_eq!(score(&with, &c.id), score(&gap, &c.id));
            } else if (score(&with, &c.id) - score(&gap, &c.id)).abs() > 1e-9 {
                moved += 1;
            }
        }
        assert_eq!(moved, 5);
        // The choice and the intervals are ats-trend's, as ats-gap's.
        assert_eq!(with.chosen().estimate.id, gap.chosen().estimate.id);
        assert!(with.notes.iter().any(|n| n.contains("5 of 6 candidates")));
        assert!(with.references[0].test.passed, "{:?}", with.references);
        assert!(with.warnings.is_empty());
    }

    /// A budget that reaches the target gets a note saying there is
    /// nothing to extrapolate (it once ranked by the extrapolation
    /// silently); a budget below the target does not.
    #[test]
    fn a_budget_at_the_target_is_noted() {
        let pool: Vec<Candidate> = (0..4)
            .map(|i| {
                candidate(
                    &format!("m{i}"),
                    -0.03 - 0.02 * i as f64,
                    2.0 + 0.3 * i as f64,
                )
            })
            .collect();
        let top = 200.0 * 2f64.powi(7);
        let ats = Method::parse("ats", 3, 5.0).unwrap();
        let opts = SelectOptions::default();
        let at = select(&pool, ats, Budget::new(top, top).unwrap(), &opts).unwrap();
        assert!(
            at.notes
                .iter()
                .any(|n| n.contains("the budget reaches the target")
                    && n.contains("4 of 4 candidates are measured there")),
            "{:?}",
            at.notes
        );
        let below = select(&pool, ats, Budget::new(top, top / 2.0).unwrap(), &opts).unwrap();
        assert!(below
            .notes
            .iter()
            .all(|n| !n.contains("reaches the target")));
    }

    /// A parameter count of 1e308 in the file: the cost share is still a
    /// share (the sums are scaled), and when the FLOPs overflow the error
    /// names the candidate, not --epochs / --tokens-per-example (nor NaN).
    #[test]
    fn a_huge_parameter_count_is_blamed_not_the_flags() {
        let pool: Vec<Candidate> = (0..4)
            .map(|i| {
                let mut c = candidate(&format!("m{i}"), -0.05, 2.0 + 0.3 * i as f64);
                c.size = Some(if i == 3 { 1e308 } else { 1e8 * (i + 1) as f64 });
                c
            })
            .collect();
        let budget = far_budget();
        let ats = Method::parse("ats", 3, 5.0).unwrap();
        let sel = select(&pool, ats, budget, &SelectOptions::default()).unwrap();
        assert!(sel.cost.ratio.is_finite() && sel.cost.ratio > 0.0);
        let opts = SelectOptions {
            tokens_per_example: Some(512.0),
            ..SelectOptions::default()
        };
        let e = select(&pool, ats, budget, &opts).unwrap_err().to_string();
        assert!(e.contains("candidate 'm3'") && e.contains("1e308"), "{e}");
        assert!(!e.contains("--epochs") && !e.contains("NaN"), "{e}");
    }

    /// The methods that fine-tune nothing cost +0, not -0 ("-0.0000%");
    /// those that predict no loss say what they rank by.
    #[test]
    fn nothing_fine_tuned_costs_plus_zero_and_the_rule_says_what_ranks() {
        let pool: Vec<Candidate> = (0..4)
            .map(|i| {
                let mut c = candidate(&format!("m{i}"), -0.05, 2.0 + 0.3 * i as f64);
                c.size = Some(1e8 * (i + 1) as f64);
                c.curve.insert(0, (0.0, 3.0 + 0.1 * i as f64));
                c
            })
            .collect();
        let budget = far_budget();
        for (name, rule) in [
            ("model-size", "largest parameter count"),
            ("zero-shot", "lowest zero-shot loss"),
        ] {
            for tokens in [None, Some(512.0)] {
                let opts = SelectOptions {
                    tokens_per_example: tokens,
                    ..SelectOptions::default()
                };
                let m = Method::parse(name, 3, 5.0).unwrap();
                let sel = select(&pool, m, budget, &opts).unwrap();
                assert!(sel.cost.ratio.is_sign_positive(), "{name}");
                assert!(sel.cost.examples.is_sign_positive(), "{name}");
                assert!(
                    sel.cost.flops.is_none_or(|f| f.is_sign_positive()),
                    "{name}"
                );
                assert_eq!(sel.choice.rule, rule);
            }
        }
        let sub = Method::parse("sub-tuning", 3, 5.0).unwrap();
        let sel = select(&pool, sub, budget, &SelectOptions::default()).unwrap();
        assert_eq!(
            sel.choice.rule,
            "lowest loss at the largest affordable size"
        );
        let ats = Method::parse("ats", 3, 5.0).unwrap();
        let sel = select(&pool, ats, budget, &SelectOptions::default()).unwrap();
        assert_eq!(sel.choice.rule, "lowest predicted loss");
    }

    /// Pool curves with zero-shot losses for the reference tests: `n`
    /// candidates.
    fn pool_with_zero_shot(n: usize) -> Vec<Candidate> {
        (0..n)
            .map(|i| {
                let mut c = candidate(
                    &format!("m{i}"),
                    -0.02 - 0.03 * (i % 6) as f64 - 0.001 * i as f64,
                    2.0 + 0.4 * i as f64,
                );
                c.curve.insert(0, (0.0, 3.0 + 0.4 * i as f64));
                c
            })
            .collect()
    }

    /// A reference that reproduces the pool's own curves (backtest error
    /// 0) weighs the cap, said in the note, not 0 ("no backtest").
    #[test]
    fn an_exact_reference_weighs_the_cap() {
        let pool = pool_with_zero_shot(6);
        // The same curves, measured on to the target.
        let same: Vec<Candidate> = pool
            .iter()
            .map(|c| {
                let mut c = c.clone();
                extend_to_the_target(&mut c);
                c
            })
            .collect();
        let budget = far_budget();
        let sel = select_with_references(
            &pool,
            Method::DEFAULT_WITH_REFERENCE,
            budget,
            &SelectOptions::default(),
            &[Reference::of(&same)],
        )
        .unwrap();
        let u = &sel.references[0];
        assert!(u.test.passed, "{u:?}");
        assert_eq!(u.weight, reference::MAX_WEIGHT, "{u:?}");
        assert!(
            sel.notes.iter().any(|n| n.contains("capped at 10000")),
            "{:?}",
            sel.notes
        );
    }

    /// A reference that fails its match test with few candidates in common
    /// is "not confirmed", not "does not match"; with enough, it does not
    /// match. Verdict and p are kept.
    #[test]
    fn a_failed_match_with_few_candidates_is_not_blamed_on_the_reference() {
        for (n, few) in [(5, true), (FEW_TO_CONFIRM + 2, false)] {
            let pool = pool_with_zero_shot(n);
            // The pool's curves under reversed names: anti-correlated.
            let mut reversed: Vec<Candidate> = pool.clone();
            for (i, c) in reversed.iter_mut().enumerate() {
                c.id = format!("m{}", n - 1 - i);
                extend_to_the_target(c);
            }
            let budget = far_budget();
            let sel = select_with_references(
                &pool,
                Method::DEFAULT_WITH_REFERENCE,
                budget,
                &SelectOptions::default(),
                &[Reference::of(&reversed)],
            )
            .unwrap();
            let t = &sel.references[0].test;
            assert!(!t.passed && t.min_p_value() <= t.level, "{t:?}");
            assert_eq!(sel.references[0].weight, 0.0);
            let w = &sel.warnings[0];
            assert!(w.contains(&format!("p = {:.3}", t.p_value)), "{w}");
            if few {
                assert!(
                    w.contains("could not confirm it matches (only 5 candidates in common"),
                    "{w}"
                );
                assert!(!w.contains("does not match"), "{w}");
            } else {
                assert!(w.contains("does not match the pool"), "{w}");
            }
        }
    }
}
