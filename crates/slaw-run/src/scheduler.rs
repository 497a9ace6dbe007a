//! What to run next, from the journal alone (so a restarted slaw decides
//! exactly as an uninterrupted one), and the ranking from the results.
//!
//! Adaptive AtS: each candidate starts at the largest affordable subset and
//! halves; once every seed of a size has finished, AtS (Lin et al.) is run on
//! the candidate's points, and halving stops as soon as it rejects the
//! smallest point (the curve left its power phase: the pre-power phase is
//! reached, smaller runs add nothing). With `drop_worse`, a candidate whose
//! prediction interval lies entirely above the leader's gets no more runs
//! (successive halving), decided only over complete rungs ([`Rungs`]), so
//! neither the slot count nor the timing changes the runs or the ranking.
//! Without `adaptive`, the whole fixed ladder runs.
//! With `zero_shot`, each candidate's evaluation at n = 0 is queued first
//! and gates no size of the ladder.

use crate::journal::{Record, State};
use crate::plan::{Plan, RunSpec};
use slaw::bootstrap::Resampling;
use slaw::datasets::Candidate;
use slaw::selection::{
    ats::ats, trend, Budget, Choice, Cost, Estimate, PoolContext, Ranked, SelectOptions, Selection,
    BOOTSTRAP_LEVEL,
};
use std::collections::HashMap;

/// Where one candidate stands, from the journal.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CandidateStatus {
    /// The candidate's id.
    pub id: String,
    /// (size, mean loss over the seeds that finished), largest first.
    pub points: Vec<(f64, f64)>,
    /// Runs done (with a loss), every size and seed of the plan.
    pub done: usize,
    /// Of `done`, the fine-tuning runs (n > 0).
    #[serde(skip)]
    pub done_finetune: usize,
    /// Runs running now.
    pub running: usize,
    /// Runs wanted now but not started.
    pub queued: usize,
    /// Runs that failed with no attempts left: (run id, reason).
    pub failed: Vec<(String, String)>,
    /// The size of each run of `failed`, in its order.
    #[serde(skip)]
    pub failed_sizes: Vec<f64>,
    /// The smallest fine-tuning size (n > 0) whose every seed failed with no
    /// attempts left (so the size has no point): the candidate's larger
    /// sizes are at risk, and it sets no bar for successive halving while
    /// no larger size of it has finished (`RankedCandidate::failed_at`).
    pub failed_at: Option<f64>,
    /// Why no more sizes are run (None: still going or not started).
    pub stopped: Option<Stop>,
}

impl CandidateStatus {
    /// Whether successive halving dropped it ([`Stop::Dropped`]).
    pub fn dropped(&self) -> bool {
        matches!(self.stopped, Some(Stop::Dropped { .. }))
    }

    /// Nothing of it has run yet: no fine-tuning run (n > 0) finished, no
    /// run failed for good, and it is not stopped (its runs are queued or
    /// running; a zero-shot point may be in).
    pub fn not_run_yet(&self) -> bool {
        self.failed.is_empty() && self.stopped.is_none() && !self.points.iter().any(|p| p.0 > 0.0)
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Why a candidate runs no more sizes: shown (and serialized) as its
/// sentence, kept as data so that no code reads the sentence back.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// Successive halving dropped it: its risk interval lay above the
    /// leading candidate's. `after`: the last size it ran (None: none).
    Dropped {
        /// The last size it ran: the smallest descending, the largest
        /// ascending.
        after: Option<f64>,
    },
    /// AtS detected the phase transition (adaptive, descending).
    PhaseTransition {
        /// The size AtS names.
        at: f64,
    },
    /// Every seed of a size failed with no attempts left: its larger sizes
    /// are not run (ascending plans, unless the plan's `run_past_failures`).
    Failed {
        /// The size whose runs failed.
        at: f64,
    },
    /// Every size of the ladder has its outcome, and none failed.
    LadderComplete,
    /// Every size of the ladder has its outcome, `failed` runs failed for good.
    LadderFailed {
        /// How many runs failed with no attempts left.
        failed: usize,
    },
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Dropped { after } => write!(
                f,
                "dropped{}: its risk interval (the interval the decisions compare, not the \
                 printed one) lay above the leading candidate's",
                after
                    .map(|n| format!(" after n = {}", slaw::numbers::num(n)))
                    .unwrap_or_default()
            ),
            Stop::PhaseTransition { at } => write!(f, "phase transition detected at n = {at}"),
            Stop::Failed { at } => write!(
                f,
                "stopped: its run(s) at n = {} failed with no retries left, so its larger \
                 sizes were not run",
                slaw::numbers::num(*at)
            ),
            Stop::LadderComplete => f.write_str("ladder complete"),
            Stop::LadderFailed { failed } => {
                write!(f, "ladder ended with {failed} failed run(s)")
            }
        }
    }
}

/// As its sentence (the JSON of `slaw status` and `slaw run`).
impl serde::Serialize for Stop {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What the scheduler decided from the journal: what to start, and where
/// each candidate stands.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Decision {
    /// Runs to start, in order of preference (largest sizes first).
    pub launch: Vec<RunSpec>,
    /// Every candidate's status, in plan order.
    pub candidates: Vec<CandidateStatus>,
    /// Whether nothing is left to run or wait for.
    pub finished: bool,
}

/// The decision for the journal's current `records`. `dropped` lists the
/// candidates successive halving has stopped (see [`dropped`]). A candidate's
/// points never depend on `dropped` or on when it stopped: stopping only
/// prevents new runs.
pub fn decide(plan: &Plan, records: &[Record], dropped: &[String]) -> Decision {
    let by_id: HashMap<&str, &Record> = records.iter().map(|r| (r.id.as_str(), r)).collect();
    let max_attempts = plan.max_attempts();
    let mut launch = Vec::new();
    let mut candidates = Vec::new();
    let mut finished = true;
    for (ci, c) in plan.candidates.iter().enumerate() {
        let mut st = CandidateStatus {
            id: c.id.clone(),
            points: vec![],
            done: 0,
            done_finetune: 0,
            running: 0,
            queued: 0,
            failed: vec![],
            failed_sizes: vec![],
            failed_at: None,
            stopped: None,
        };
        // Whether run (ci, n, seed) has an outcome (done, or failed for good).
        let settled = |n: f64, seed: u64| {
            let id = plan.run_id(&RunSpec {
                candidate: ci,
                n: n as u64,
                seed,
            });
            by_id
                .get(id.as_str())
                .is_some_and(|r| r.settled(max_attempts))
        };
        // The zero-shot evaluations (n = 0) first: cheap, and they gate no
        // size of the ladder.
        if plan.zero_shot {
            let at = RunSpec {
                candidate: ci,
                n: 0,
                seed: 0,
            };
            let (pending, losses) = visit(plan, &by_id, at, &mut st, &mut launch, &mut finished);
            if pending == 0 && !losses.is_empty() {
                st.points
                    .push((0.0, losses.iter().sum::<f64>() / losses.len() as f64));
            }
        }
        // Descending (largest first, halving) or ascending (cheapest first).
        let order: Vec<f64> = if plan.ascending {
            plan.ladder.iter().rev().copied().collect()
        } else {
            plan.ladder.clone()
        };
        for (li, &n) in order.iter().enumerate() {
            // Dropping only means something while other sizes are left.
            let rest_unrun = order[li + 1..]
                .iter()
                .any(|&m| plan.seeds.iter().any(|&seed| !settled(m, seed)));
            let (pending, losses) = visit(
                plan,
                &by_id,
                RunSpec {
                    candidate: ci,
                    n: n as u64,
                    seed: 0,
                },
                &mut st,
                &mut launch,
                &mut finished,
            );
            if pending == 0 && !losses.is_empty() {
                st.points
                    .push((n, losses.iter().sum::<f64>() / losses.len() as f64));
            }
            // Every seed of this size failed for good: the size has no point,
            // and the larger sizes (which run later when ascending) are at
            // risk.
            let size_failed =
                n > 0.0 && pending == 0 && losses.is_empty() && st.failed_sizes.contains(&n);
            if size_failed {
                st.failed_at = Some(st.failed_at.map_or(n, |m: f64| m.min(n)));
                if plan.adaptive
                    && plan.ascending
                    && !plan.run_past_failures
                    && rest_unrun
                    && st.stopped.is_none()
                {
                    st.stopped = Some(Stop::Failed { at: n });
                }
            }
            if !plan.adaptive || st.stopped.is_some() {
                // Stopped candidates keep collecting what already finished.
                continue;
            }
            if pending > 0 {
                break; // move on only once this size is complete
            }
            if dropped.contains(&c.id) && rest_unrun {
                // The size named is the last one it ran (below).
                st.stopped = Some(Stop::Dropped { after: None });
            } else if plan.ascending {
                // Larger sizes are what the decision needs: no phase rule.
            } else if let Some(t) =
                ats(&st.points, plan.ats_k, plan.ats_delta).and_then(|f| f.transition)
            {
                st.stopped = Some(Stop::PhaseTransition { at: t });
            }
        }
        // The ladder's walk stops at the first size still waiting for a
        // seed, so it counts only the runs up to there; the runs already
        // done or running above it (a plan given a seed more, say) are
        // counted here, so that `done` is every finished run of the
        // candidate, as the summary's count of finished runs is.
        let sizes = plan
            .zero_shot
            .then_some(0)
            .into_iter()
            .chain(plan.ladder.iter().map(|&n| n as u64));
        let (mut done, mut done_finetune, mut running) = (0, 0, 0);
        for n in sizes {
            for &seed in &plan.seeds {
                let id = plan.run_id(&RunSpec {
                    candidate: ci,
                    n,
                    seed,
                });
                match by_id.get(id.as_str()).map(|r| r.state) {
                    Some(State::Done) => {
                        done += 1;
                        done_finetune += usize::from(n > 0);
                    }
                    Some(State::Running) => running += 1,
                    _ => {}
                }
            }
        }
        st.done = done;
        st.done_finetune = done_finetune;
        if running > st.running {
            st.running = running;
            finished = false;
        }
        st.points.sort_by(|a, b| b.0.total_cmp(&a.0));
        if let Some(Stop::Dropped { after }) = &mut st.stopped {
            // The last size it ran: the smallest descending, the largest
            // ascending (the decision is rebuilt from the journal, so the
            // loop meets the drop at the first complete size).
            let ran = st.points.iter().map(|p| p.0).filter(|&n| n > 0.0);
            *after = if plan.ascending {
                ran.reduce(f64::max)
            } else {
                ran.reduce(f64::min)
            };
        }
        if st.stopped.is_none() && st.queued == 0 && st.running == 0 {
            st.stopped = Some(match st.failed.len() {
                0 => Stop::LadderComplete,
                failed => Stop::LadderFailed { failed },
            });
        }
        candidates.push(st);
    }
    Decision {
        launch,
        candidates,
        finished,
    }
}

/// The runs of one (candidate, size), every seed of the plan: counts them in
/// `st`, queues those not started (unless the candidate has stopped), and
/// returns how many are not finished yet and the losses of those done.
fn visit(
    plan: &Plan,
    by_id: &HashMap<&str, &Record>,
    at: RunSpec,
    st: &mut CandidateStatus,
    launch: &mut Vec<RunSpec>,
    finished: &mut bool,
) -> (usize, Vec<f64>) {
    let max_attempts = plan.max_attempts();
    let mut pending = 0;
    let mut losses = Vec::new();
    for &seed in &plan.seeds {
        let spec = RunSpec { seed, ..at.clone() };
        let id = plan.run_id(&spec);
        match by_id.get(id.as_str()) {
            Some(r) if r.state == State::Done => {
                st.done += 1;
                losses.extend(r.loss);
            }
            Some(r) if r.state == State::Running => {
                // Started before the candidate stopped: wait for it.
                st.running += 1;
                pending += 1;
                *finished = false;
            }
            Some(r) if r.failed_for_good(max_attempts) => {
                st.failed_sizes.push(at.n as f64);
                st.failed.push((
                    id.clone(),
                    r.reason.clone().unwrap_or_else(|| "failed".into()),
                ));
            }
            _ => {
                pending += 1;
                if st.stopped.is_none() {
                    *finished = false;
                    st.queued += 1;
                    launch.push(spec);
                }
            }
        }
    }
    (pending, losses)
}

/// One candidate's estimate, or why there is none.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RankedCandidate {
    /// Position by predicted loss (1: lowest), None when not ranked.
    pub rank: Option<usize>,
    /// Scored without its flagged points, the less favourable score
    /// (`slaw::selection::spikes::less_favourable`).
    #[serde(skip)]
    pub scored_without_flags: bool,
    /// The candidate's id.
    pub id: String,
    /// The method's prediction at the target, with its interval; None when
    /// not ranked.
    pub estimate: Option<Estimate>,
    /// Why there is no estimate (e.g. too few points), when there is none
    /// (None when `not_run_yet`).
    pub error: Option<String>,
    /// Not ranked because nothing of it has run yet: no fine-tuning run
    /// (n > 0) has finished, none failed for good and it is not stopped (a
    /// plan still running; its zero-shot evaluation, which runs first, may
    /// be in). Not a failure: not among the candidates that "could not be
    /// scored" ([`rank_with_warnings`]).
    pub not_run_yet: bool,
    /// With `not_run_yet`: its fine-tuning runs that have finished at
    /// sizes still waiting for another of the plan's seeds (a size's point
    /// is the mean over every seed, so they count once their size is
    /// complete: a plan given a seed more, say). Not serialized when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub runs_done_awaiting_seeds: usize,
    /// The candidate the method recommends (the same rule as `slaw select`:
    /// the lowest upper end of the risk interval for ats-trend).
    pub chosen: bool,
    /// The smallest and largest fine-tuning size (n > 0) the estimate was
    /// made from; None without one. A candidate dropped or stopped early is
    /// ranked from fewer sizes than the others (descending: no smaller
    /// ones; ascending: no larger ones).
    pub sizes: Option<[f64; 2]>,
    /// Successive halving dropped it (its risk interval lay above the
    /// leader's): it ran no larger size after that.
    pub dropped: bool,
    /// The size at which its runs failed with no retries left, when no
    /// larger size finished (its larger sizes were not run, or failed too;
    /// [`CandidateStatus::failed_at`]): it is ranked from its completed
    /// sizes, below the others', never as AtS's pick
    /// (`slaw::selection::Choice::of_partial`); None otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<f64>,
    /// With `failed_at`: runs of sizes above it ran and failed too (a fixed
    /// ladder, or `run_past_failures`), rather than not being run.
    #[serde(skip)]
    pub larger_sizes_failed: bool,
    /// Its runs that failed with no attempts left, and all its runs with an
    /// outcome (done or failed).
    pub failed_runs: usize,
    /// See `failed_runs`.
    pub settled_runs: usize,
    /// The predicted loss lies outside the interval, as `slaw select`'s
    /// (`Estimate::prediction_outside_interval`: the interval is
    /// `interval_from`'s, not centred on this method's prediction); false
    /// when not ranked.
    pub prediction_outside_interval: bool,
}

/// Rank the candidates by the plan's selection method on their measured
/// points (mean over seeds), exactly as `slaw select` would on the same
/// pool: the method adapts to the pool and calibrates its intervals on the
/// pool's own backtests. Candidates without enough points are listed last
/// with the reason (or as not run yet, `RankedCandidate::not_run_yet`).
pub fn rank(plan: &Plan, status: &[CandidateStatus]) -> Vec<RankedCandidate> {
    rank_with_warnings(plan, status).0
}

/// [`rank`], and the warnings `slaw select` gives on the same points, in
/// its order: the plan's references as the ranking used them (each
/// reference that fails its match test against the pool and is not used;
/// `slaw::selection::reference_uses`, from the ranking's pool context),
/// then `slaw::selection::ranking_caveats` (zero-width intervals,
/// candidates not ranked, a capped level, values decades from the others,
/// points that break their curve's trend).
/// A candidate not run yet is not among those not ranked there: a plan
/// still running has not failed to score it (`slaw report` notes it apart).
pub fn rank_with_warnings(
    plan: &Plan,
    status: &[CandidateStatus],
) -> (Vec<RankedCandidate>, Vec<String>) {
    let r = rank_full(plan, status);
    (r.ranking, r.warnings)
}

/// A plan's ranking ([`rank_full`]): the candidates, the warnings, the
/// method that ranked them and the notes on that.
#[derive(Debug, Clone)]
pub struct Ranking {
    /// [`rank`]'s candidates.
    pub ranking: Vec<RankedCandidate>,
    /// [`rank_with_warnings`]'s warnings.
    pub warnings: Vec<String>,
    /// The method that ranked the pool: the plan's, or ats-trend for an
    /// ats-gap plan whose scored candidates partly lack the zero-shot loss
    /// (`slaw::selection::one_scale`, as `slaw select`).
    pub method: slaw::selection::Method,
    /// Notes on the ranking (`slaw select`'s note when the method was
    /// changed); empty otherwise.
    pub notes: Vec<String>,
}

/// [`rank_with_warnings`] with the method that ranked and its notes: when
/// an ats-gap plan's scored candidates partly lack the zero-shot loss (a
/// zero-shot run failed, say), the whole pool is ranked by ats-trend with
/// `slaw select`'s note, by the rule `slaw select` applies
/// (`slaw::selection::one_scale`), so every score is on one scale.
pub fn rank_full(plan: &Plan, status: &[CandidateStatus]) -> Ranking {
    let (ranking, warnings, floor) = rank_by(plan, status);
    let pool = pool(plan, status);
    let scorable: Vec<&Candidate> = pool
        .iter()
        .filter(|c| ranking.iter().any(|r| r.id == c.id && r.estimate.is_some()))
        .collect();
    if let Ok((trend, Some(note))) = slaw::selection::one_scale(plan.method, &scorable) {
        let on_one_scale = Plan {
            method: trend,
            ..plan.clone()
        };
        let (ranking, warnings, floor) = rank_by(&on_one_scale, status);
        return Ranking {
            ranking,
            warnings,
            method: trend,
            notes: std::iter::once(note).chain(floor).collect(),
        };
    }
    // No scored candidate has a zero-shot loss (a plan without
    // `zero_shot = true`): ats-gap ranks as ats-trend, with `slaw select`'s
    // note (the heading names the plan's method).
    let scored: Vec<Candidate> = scorable.into_iter().cloned().collect();
    let mut notes = slaw::selection::notes(&plan.method, &scored, &[]);
    notes.extend(floor);
    Ranking {
        ranking,
        warnings,
        method: plan.method,
        notes,
    }
}

/// [`rank_with_warnings`] by the plan's method as it is, and the notes
/// `slaw select` prints about the pool's context: a noisy pool ranked by
/// the AtS line (`slaw::selection::noise::note`), the pool-level floor
/// check where it fires (`slaw::selection::floor_note`: the pool's curves
/// bend toward a floor within reach, so the intervals span each
/// candidate's rectified-law fit), and the interval's coverage near the
/// budget (`slaw::selection::coverage_note`).
fn rank_by(
    plan: &Plan,
    status: &[CandidateStatus],
) -> (Vec<RankedCandidate>, Vec<String>, Vec<String>) {
    let budget = plan_budget(plan);
    let pool = pool(plan, status);
    let ctx = PoolContext::of(
        &plan.method,
        &pool,
        &budget,
        &trend::PRIOR,
        Some(plan.level),
    )
    .with_references(&plan.method, &pool, &budget, &plan.references);
    // A candidate's bootstrap draws from the seed and its name (as `slaw
    // select`'s: the same points give the same interval), at the selection's level
    // of the law fits' bootstrap intervals (the plan's level is the
    // calibrated one, and that of the line methods' bootstrap fallback).
    let bootstrap = Resampling::new(plan.bootstrap, BOOTSTRAP_LEVEL, 0);
    // As `slaw select`: a candidate with a flagged point keeps the less
    // favourable of its scores with and without it.
    let flags = slaw::selection::spikes::spikes(&pool, &budget);
    let mut out: Vec<RankedCandidate> = pool
        .iter()
        .enumerate()
        .map(|(i, cand)| {
            let score = |c: &Candidate| {
                plan.method
                    .estimate_with(c, &budget, &bootstrap.for_name(&c.id), &ctx)
            };
            let (kept, swapped) =
                slaw::selection::spikes::less_favourable(&pool, i, &flags, score(cand), score);
            let (estimate, error) = match kept {
                Ok(e) => (Some(e), None),
                Err(e) => (None, Some(e.to_string())),
            };
            let st = status.iter().find(|st| st.id == cand.id);
            let not_run_yet = estimate.is_none() && st.is_some_and(CandidateStatus::not_run_yet);
            let sizes = {
                let ns = cand.curve.iter().map(|p| p.0).filter(|&n| n > 0.0);
                ns.clone()
                    .reduce(f64::min)
                    .zip(ns.reduce(f64::max))
                    .map(|(lo, hi)| [lo, hi])
            };
            RankedCandidate {
                rank: None,
                id: cand.id.clone(),
                estimate,
                error: if not_run_yet { None } else { error },
                not_run_yet,
                runs_done_awaiting_seeds: if not_run_yet {
                    st.map_or(0, |st| st.done_finetune)
                } else {
                    0
                },
                chosen: false,
                sizes,
                dropped: st.is_some_and(CandidateStatus::dropped),
                // Only a failure its estimate stops below: a size that
                // failed on a ladder whose larger sizes ran and finished (a
                // fixed ladder, `run_past_failures`) leaves the estimate
                // reading the sizes the others reach, and the candidate is
                // ranked without those runs as a failed contender.
                failed_at: st
                    .and_then(|st| st.failed_at)
                    .filter(|&at| sizes.is_none_or(|s| s[1] < at)),
                larger_sizes_failed: st.is_some_and(|st| {
                    st.failed_at
                        .is_some_and(|at| st.failed_sizes.iter().any(|&n| n > at))
                }),
                failed_runs: st.map_or(0, |st| st.failed.len()),
                settled_runs: st.map_or(0, |st| st.failed.len() + st.done),
                prediction_outside_interval: false,
                scored_without_flags: swapped.is_some(),
            }
        })
        .collect();
    for c in out.iter_mut() {
        c.prediction_outside_interval = c
            .estimate
            .as_ref()
            .is_some_and(Estimate::prediction_outside_interval);
    }
    out.sort_by(|a, b| match (&a.estimate, &b.estimate) {
        (Some(x), Some(y)) => x.score.total_cmp(&y.score),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let mut r = 0;
    for c in out.iter_mut() {
        if c.estimate.is_some() {
            r += 1;
            c.rank = Some(r);
        }
    }
    let mut warnings = if plan.references.is_empty() {
        Vec::new()
    } else {
        slaw::selection::reference_uses(&plan.method, &pool, &ctx).2
    };
    let ests: Vec<&Estimate> = out.iter().filter_map(|c| c.estimate.as_ref()).collect();
    let chosen = (!ests.is_empty())
        .then(|| Choice::of_partial(&plan.method, &ests, &partial(&out)).position);
    // The caveats `slaw select` gives on the same points (one function);
    // a candidate with nothing run yet is no candidate that could not be
    // scored.
    let unranked: Vec<&str> = out
        .iter()
        .filter(|c| c.estimate.is_none() && !c.not_run_yet)
        .map(|c| c.id.as_str())
        .collect();
    warnings.extend(slaw::selection::ranking_caveats(
        &pool,
        &budget,
        &ests,
        &unranked,
        Some(plan.level),
    ));
    // The pool's checks `slaw select` gives after its caveats (rising
    // losses, an extrapolation past the calibrated ratios, bootstrap
    // intervals, parameter counts that are not counts).
    // The extrapolation warning is the plan's budget's: about the
    // candidates still in the race. Those successive halving dropped are
    // ranked from smaller sizes by design (the report notes them apart,
    // `crate::report::dropped_extrapolation_note`).
    let kept: Vec<&Estimate> = out
        .iter()
        .filter(|c| !c.dropped)
        .filter_map(|c| c.estimate.as_ref())
        .collect();
    let all_far = slaw::selection::checks::extrapolation_warning(&pool, &budget, &ests);
    let kept_far = slaw::selection::checks::extrapolation_warning(&pool, &budget, &kept);
    warnings.extend(
        slaw::selection::checks::pool_warnings(&pool, &budget, &ests)
            .into_iter()
            .filter_map(|w| {
                if all_far.as_ref() == Some(&w) {
                    kept_far.clone()
                } else {
                    Some(w)
                }
            }),
    );
    if let Some(i) = chosen {
        out[i].chosen = true;
    }
    let notes = ctx
        .noisy
        .map(|n| slaw::selection::noise::note(plan.method.name(), n))
        .into_iter()
        .chain(slaw::selection::floor_note(
            ctx.calibration.as_ref(),
            ctx.floor.as_ref(),
        ))
        .chain(slaw::selection::coverage_note(
            ctx.calibration.as_ref(),
            &budget,
            ctx.floor.as_ref(),
        ))
        .collect();
    (out, warnings, notes)
}

/// For each ranked candidate of `ranking` (those with an estimate, in
/// order): whether its larger runs failed (`RankedCandidate::failed_at`),
/// the `partial` of `slaw::selection::Choice::of_partial`.
pub fn partial(ranking: &[RankedCandidate]) -> Vec<bool> {
    ranking
        .iter()
        .filter(|r| r.estimate.is_some())
        .map(|r| r.failed_at.is_some())
        .collect()
}

/// The candidates successive halving stops now (empty without `drop_worse`):
/// a function of the journal's records alone, so a restarted slaw, `slaw
/// status` and a replay agree (see [`Rungs`]).
pub fn dropped(plan: &Plan, records: &[Record]) -> Vec<String> {
    let mut r = Rungs::default();
    r.advance(plan, records);
    r.dropped
}

/// The scheduler's decision now: [`decide`] with successive halving's
/// drops ([`Rungs`]), launching only the current rung's runs, zero-shot
/// evaluations first, then by size (smallest first when ascending, largest
/// first otherwise), then in plan order.
pub fn decide_now(plan: &Plan, records: &[Record], rungs: &Rungs) -> Decision {
    let mut d = decide(plan, records, &rungs.dropped);
    if plan.adaptive && plan.drop_worse {
        d.launch.retain(|s| rungs.wave.contains(s));
        // Nothing of the rung left to start or wait for: done, whatever
        // runs of the journal outside the rungs would add.
        if d.launch.is_empty() && d.candidates.iter().all(|c| c.running == 0) {
            d.finished = true;
        }
    }
    order_launch(plan, &mut d.launch);
    d
}

/// Zero-shot evaluations first, then sizes in the plan's order (smallest
/// first when ascending), then plan order; stable.
fn order_launch(plan: &Plan, launch: &mut [RunSpec]) {
    launch.sort_by_key(|s| (s.n != 0, if plan.ascending { s.n } else { u64::MAX - s.n }));
}

/// Successive halving by rungs, from the journal alone. A rung is the runs
/// [`decide`] wants once the previous rungs have finished: each candidate
/// still in the race at its next size (every seed; with `zero_shot`, the
/// first rung also holds the n = 0 evaluations). Candidates are compared
/// and dropped only when a whole rung has finished (every run done, or
/// failed with no attempts left), on the points of the finished rungs: the
/// runs and the ranking depend neither on the number of slots nor on which
/// run happens to finish first, and are those `slaw bench runner` replays
/// (which runs one rung at a time). Without `drop_worse` no decision spans
/// candidates: there are no rungs (nothing dropped, `wave` empty), and
/// [`decide_now`] launches everything [`decide`] wants.
#[derive(Debug, Clone, Default)]
pub struct Rungs {
    /// The records of the finished rungs (settled; they never change).
    known: Vec<Record>,
    /// The candidates dropped at the last finished rung.
    pub dropped: Vec<String>,
    /// The current rung: runs to finish before the next decision (started
    /// or not), in [`decide`]'s order (empty without `drop_worse`).
    pub wave: Vec<RunSpec>,
    /// Whether `wave` is the rung after `known` (it depends on nothing else).
    current: bool,
}

impl Rungs {
    /// Move on over every rung `records` have finished since the last call
    /// (records of the finished rungs are taken as settled for good: call
    /// with the same journal, read again). Ranks once per finished rung.
    pub fn advance(&mut self, plan: &Plan, records: &[Record]) {
        if !(plan.adaptive && plan.drop_worse) {
            // No rungs: [`decide`] alone says what to run.
            return;
        }
        let by_id: HashMap<&str, &Record> = records.iter().map(|r| (r.id.as_str(), r)).collect();
        let max_attempts = plan.max_attempts();
        loop {
            if !self.current {
                self.wave = decide(plan, &self.known, &self.dropped).launch;
                self.current = true;
            }
            if self.wave.is_empty() {
                return;
            }
            let finished: Option<Vec<Record>> = self
                .wave
                .iter()
                .map(|s| {
                    by_id
                        .get(plan.run_id(s).as_str())
                        .filter(|r| r.settled(max_attempts))
                        .map(|r| (*r).clone())
                })
                .collect();
            let Some(finished) = finished else {
                return;
            };
            self.known.extend(finished);
            self.current = false;
            // A candidate ranked from sizes below one that failed for good
            // (`RankedCandidate::failed_at`) sets no bar: its estimate stops
            // below the sizes the others reach, and the candidates it would
            // keep out re-enter as they would had it run on (its larger
            // sizes are at risk and not run). One whose larger sizes ran and
            // finished past the failed one (a descending ladder,
            // `run_past_failures`) is ranked from them without the failed
            // runs, and takes part in the bar from them as the ranking
            // takes it: the bar reads the ranking's own `failed_at`.
            let status = decide(plan, &self.known, &[]).candidates;
            let ranking: Vec<RankedCandidate> = rank(plan, &status)
                .into_iter()
                .filter(|r| r.failed_at.is_none())
                .collect();
            self.dropped = worse_than_leader(&ranking);
        }
    }
}

fn plan_budget(plan: &Plan) -> Budget {
    Budget {
        target: plan.target,
        max_n: plan.budget,
    }
}

/// The candidates with their measured points (mean over seeds), in plan order.
pub fn pool(plan: &Plan, status: &[CandidateStatus]) -> Vec<Candidate> {
    status
        .iter()
        .zip(&plan.candidates)
        .map(|(st, spec)| {
            let mut curve = st.points.clone();
            curve.sort_by(|a, b| a.0.total_cmp(&b.0));
            Candidate {
                id: spec.id.clone(),
                curve,
                size: spec.params,
                family: spec.family.clone(),
            }
        })
        .collect()
}

/// The failed runs a figure marks: (candidate id, size) for each fine-tuning
/// size (n > 0) where runs failed with no attempts left and none finished
/// (the size has no point), in the candidates' order, each size once.
pub fn failed_points(status: &[CandidateStatus]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for st in status {
        let mut sizes: Vec<f64> = st
            .failed_sizes
            .iter()
            .copied()
            .filter(|&n| n > 0.0 && !st.points.iter().any(|p| p.0 == n))
            .collect();
        sizes.sort_by(f64::total_cmp);
        sizes.dedup();
        out.extend(sizes.into_iter().map(|n| (st.id.clone(), n)));
    }
    out
}

/// The ranking as a `slaw select` selection over [`pool`] (ranked candidates
/// only, with the `warnings` of [`rank_with_warnings`]), for the
/// selection figure; None when nothing is ranked yet.
pub fn as_selection(
    plan: &Plan,
    status: &[CandidateStatus],
    ranking: &[RankedCandidate],
    warnings: &[String],
) -> Option<(Vec<Candidate>, Selection)> {
    let pool = pool(plan, status);
    let budget = plan_budget(plan);
    let ranked: Vec<Ranked> = ranking
        .iter()
        .filter_map(|r| {
            let e = r.estimate.clone()?;
            Some(Ranked {
                rank: r.rank?,
                index: pool.iter().position(|c| c.id == r.id)?,
                prediction_outside_interval: e.prediction_outside_interval(),
                estimate: e,
                observed_at_target: None,
            })
        })
        .collect();
    if ranked.is_empty() {
        return None;
    }
    let cost = Cost::of(&pool, plan.method, &budget, &SelectOptions::default());
    let ests: Vec<&Estimate> = ranked.iter().map(|r| &r.estimate).collect();
    let partial: Vec<bool> = ranking
        .iter()
        .filter(|r| r.estimate.is_some() && r.rank.is_some())
        .map(|r| r.failed_at.is_some())
        .collect();
    let choice = Choice::of_partial(&plan.method, &ests, &partial);
    let unranked: Vec<slaw::selection::Unranked> = ranking
        .iter()
        .filter_map(|r| {
            Some(slaw::selection::Unranked {
                index: pool.iter().position(|c| c.id == r.id)?,
                id: r.id.clone(),
                reason: r.error.clone()?,
            })
        })
        .collect();
    let unranked_ids: Vec<&str> = unranked.iter().map(|u| u.id.as_str()).collect();
    let notes = slaw::selection::notes(&plan.method, &pool, &unranked_ids);
    let scored_without_flags: Vec<usize> = ranking
        .iter()
        .filter(|r| r.scored_without_flags)
        .filter_map(|r| pool.iter().position(|c| c.id == r.id))
        .collect();
    Some((
        pool,
        Selection {
            score_is: plan.method.score_is(),
            method: plan.method,
            budget,
            ranking: ranked,
            cost,
            calibration: None,
            floor: None,
            choice,
            notes,
            references: Vec::new(),
            warnings: warnings.to_vec(),
            unranked,
            blank_cells: Vec::new(),
            scored_without_flags,
        },
    ))
}

/// Successive halving: candidates whose prediction interval lies entirely
/// above the lowest upper bound among the ranked candidates (another
/// candidate is then better at the interval's level). The interval compared
/// is the estimate's risk interval where it has one (the line methods with
/// a calibration: `Calibration::risk_interval`, the decision interval the
/// runner's figures were measured with), else its interval.
pub fn worse_than_leader(ranking: &[RankedCandidate]) -> Vec<String> {
    let decision = |e: &Estimate| e.risk_interval.or(e.interval);
    let best_hi = ranking
        .iter()
        .filter_map(|c| decision(c.estimate.as_ref()?))
        .map(|iv| iv.hi)
        .fold(f64::INFINITY, f64::min);
    if !best_hi.is_finite() {
        return vec![];
    }
    ranking
        .iter()
        .filter(|c| {
            c.estimate
                .as_ref()
                .and_then(decision)
                .is_some_and(|iv| iv.lo > best_hi)
        })
        .map(|c| c.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The failed runs a figure marks: sizes whose runs all failed (no
    /// point), each once, not a size where another seed finished, nor the
    /// zero-shot size.
    #[test]
    fn failed_points_are_the_sizes_without_a_point() {
        let st = |id: &str, points: Vec<(f64, f64)>, failed_sizes: Vec<f64>| CandidateStatus {
            id: id.into(),
            points,
            done: 0,
            done_finetune: 0,
            running: 0,
            queued: 0,
            failed: failed_sizes
                .iter()
                .map(|n| (format!("{id}|n={n}"), "exit 1".into()))
                .collect(),
            failed_sizes,
            failed_at: None,
            stopped: None,
        };
        let status = vec![
            st("a", vec![(200.0, 3.0)], vec![6400.0, 400.0, 6400.0, 0.0]),
            st("b", vec![(800.0, 2.0)], vec![800.0]),
            st("c", vec![], vec![]),
        ];
        assert_eq!(
            failed_points(&status),
            vec![("a".to_string(), 400.0), ("a".to_string(), 6400.0)]
        );
    }

    /// Each stop reads (and serializes) as the sentence `stopped` held
    /// before it was data; only a drop counts as dropped.
    #[test]
    fn a_stop_reads_as_its_sentence_and_only_a_drop_is_dropped() {
        let status = |stopped| CandidateStatus {
            id: "a".into(),
            points: vec![],
            done: 0,
            done_finetune: 0,
            running: 0,
            queued: 0,
            failed: vec![],
            failed_sizes: vec![],
            failed_at: None,
            stopped,
        };
        let risk = "its risk interval (the interval the decisions compare, not the printed \
                    one) lay above the leading candidate's";
        for (stop, text, dropped) in [
            (
                Stop::Dropped { after: Some(200.0) },
                format!("dropped after n = 200: {risk}"),
                true,
            ),
            (
                Stop::Dropped {
                    after: Some(1.5e13),
                },
                format!("dropped after n = 1.5e13: {risk}"),
                true,
            ),
            (
                Stop::Dropped { after: None },
                format!("dropped: {risk}"),
                true,
            ),
            (
                Stop::PhaseTransition { at: 400.0 },
                "phase transition detected at n = 400".to_string(),
                false,
            ),
            (
                Stop::PhaseTransition { at: 2.5 },
                "phase transition detected at n = 2.5".to_string(),
                false,
            ),
            (Stop::LadderComplete, "ladder complete".to_string(), false),
            (
                Stop::LadderFailed { failed: 2 },
                "ladder ended with 2 failed run(s)".to_string(),
                false,
            ),
        ] {
            assert_eq!(stop.to_string(), text);
            assert_eq!(
                serde_json::to_value(&stop).unwrap(),
                serde_json::Value::String(text.clone())
            );
            let st = status(Some(stop));
            assert_eq!(st.dropped(), dropped, "{text}");
            assert_eq!(
                serde_json::to_value(&st).unwrap()["stopped"],
                serde_json::Value::String(text)
            );
        }
        let going = status(None);
        assert!(!going.dropped());
        assert_eq!(
            serde_json::to_value(&going).unwrap()["stopped"],
            serde_json::Value::Null
        );
    }
}
