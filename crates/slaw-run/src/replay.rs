//! Replay a plan against a table of already measured losses: the scheduler's
//! own decisions (adaptive AtS, successive halving, ranking), with the
//! "training" answered from the table instead of a process. Used to measure
//! what adaptive running saves on real curves (`slaw bench runner`) and to
//! test the scheduler without processes.
//!
//! Runs finish in waves: everything the scheduler asks for at one moment
//! finishes before it is asked again (as with one slot per wanted run).

use crate::journal::{Record, State};
use crate::plan::{Plan, RunSpec};
use crate::runner::CostReport;
use crate::scheduler::{decide_now, rank, Decision, RankedCandidate, Rungs};
use crate::{Error, Result};

/// The end of a replay.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Replay {
    /// The scheduler's final decision (nothing left to launch).
    pub decision: Decision,
    /// The ranking from the replayed results.
    pub ranking: Vec<RankedCandidate>,
    /// Compute the replayed runs would have spent.
    pub cost: CostReport,
    /// Waves of runs (each wave: what the scheduler wanted at that moment).
    pub waves: usize,
}

/// Replay `plan`, answering each run from `loss` (None: the table has no
/// such run, an error naming it).
pub fn replay(plan: &Plan, loss: &dyn Fn(&RunSpec) -> Option<f64>) -> Result<Replay> {
    let mut records: Vec<Record> = Vec::new();
    let mut rungs = Rungs::default();
    let mut waves = 0;
    loop {
        rungs.advance(plan, &records);
        let d = decide_now(plan, &records, &rungs);
        if d.launch.is_empty() {
            break;
        }
        waves += 1;
        for spec in &d.launch {
            let id = plan.run_id(spec);
            let l = loss(spec).ok_or_else(|| {
                Error::Data(format!("replay: the table has no loss for run {id}"))
            })?;
            records.push(Record {
                id,
                candidate: plan.candidates[spec.candidate].id.clone(),
                n: spec.n,
                seed: spec.seed,
                state: State::Done,
                attempts: 1,
                owner: None,
                handle: None,
                exit_status: Some(0),
                loss: Some(l),
                duration: Some(0.0),
                log_path: None,
                reason: None,
                started: None,
                slot: None,
                granted: 0,
                inputs: None,
            });
        }
    }
    rungs.advance(plan, &records);
    let decision = decide_now(plan, &records, &rungs);
    let ranking = rank(plan, &decision.candidates);
    let cost = crate::runner::cost_of(plan, &records);
    Ok(Replay {
        decision,
        ranking,
        cost,
        waves,
    })
}

/// How the runner is configured in a benchmark row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Every size of the ladder for every candidate.
    Fixed,
    /// Adaptive AtS: halve until the phase transition.
    Adaptive,
    /// Adaptive AtS and successive halving (drop_worse).
    DropWorse,
    /// Cheapest sizes first; a candidate doubles only while its interval
    /// overlaps the best one's (ascending + drop_worse).
    Ascending,
}

impl Mode {
    /// Every mode, from the fixed ladder to the most frugal.
    pub const ALL: [Mode; 4] = [
        Mode::Fixed,
        Mode::Adaptive,
        Mode::DropWorse,
        Mode::Ascending,
    ];
    /// The mode's name in benchmark tables.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Fixed => "fixed ladder",
            Mode::Adaptive => "adaptive",
            Mode::DropWorse => "adaptive+drop",
            Mode::Ascending => "ascending+drop",
        }
    }
}

/// One benchmark row: a dataset, a budget, a runner mode.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchRow {
    /// The dataset (benchmark table) replayed.
    pub dataset: String,
    /// The budget as 1/ratio of the full size.
    pub ratio: u32,
    /// How the runner was configured.
    pub mode: Mode,
    /// Runs the replay finished.
    pub runs: usize,
    /// Runs of the fixed ladder of the same plan.
    pub fixed_runs: usize,
    /// Compute spent / the fixed ladder's (examples x parameters).
    pub compute_vs_fixed: f64,
    /// Compute spent / fine-tuning every candidate on the full size.
    pub compute_vs_full: f64,
    /// Pearson correlation of the ranked candidates' predicted scores with
    /// their measured losses at the full size (NaN with fewer than 2).
    pub pear_corr: f64,
    /// Relative accuracy of the chosen candidate: (worst - chosen) / (worst -
    /// best) of the measured full-size losses; NaN when none was chosen.
    pub rel_acc: f64,
    /// The chosen candidate's id (empty when none).
    pub chosen: String,
    /// Candidates the method could not rank.
    pub unranked: usize,
    /// Candidates successive halving dropped.
    pub dropped: usize,
}

/// Replay the selection benchmark's tables through the runner: for every
/// budget 1/r of `full_size` and every mode, a plan over `pool` with the
/// ladder of measured sizes (down to the smallest measured size), plus the
/// zero-shot evaluations where every candidate has a loss at N = 0,
/// answered from the table; scored against the measured loss at `full_size`.
/// The plans name `references` (tables of the same candidates on other
/// tasks, matched by name) and `method` (None: the plans' default, ats-gap,
/// or ats-ref with references).
pub fn bench(
    dataset: &str,
    pool: &[slaw::datasets::Candidate],
    full_size: f64,
    ratios: &[u32],
    method: Option<&str>,
    references: &[std::path::PathBuf],
) -> Result<Vec<BenchRow>> {
    use slaw::selection::metrics::{pearson, relative_accuracy};
    let truth: Vec<f64> = pool
        .iter()
        .map(|c| {
            c.loss_at(full_size).ok_or_else(|| {
                Error::Data(format!(
                    "{dataset}: candidate '{}' has no loss at {full_size}",
                    c.id
                ))
            })
        })
        .collect::<Result<_>>()?;
    let smallest = pool
        .iter()
        .flat_map(|c| c.curve.iter().map(|p| p.0))
        .filter(|&n| n > 0.0)
        .fold(f64::INFINITY, f64::min);
    // Where the table measured every candidate's zero-shot loss, the plans
    // measure it too (`zero_shot = true`: runs at n = 0, no training).
    let zero_shot = pool.iter().all(|c| c.loss_at(0.0).is_some());
    let ids: Vec<String> = pool.iter().map(|c| c.id.replace(['/', '|'], "~")).collect();
    let mut rows = Vec::new();
    for &r in ratios {
        for mode in Mode::ALL {
            let mut text = format!(
                "full_size = {full_size}\nbudget = \"1/{r}\"\nmin_size = {smallest}\n\
                 adaptive = {}\ndrop_worse = {}\nascending = {}\nzero_shot = {zero_shot}\n\
                 command = \"replay {{model}} {{n}}\"\n\
                 loss = {{ kind = \"regex\", pattern = \"loss=(.+)\" }}\n",
                mode != Mode::Fixed,
                matches!(mode, Mode::DropWorse | Mode::Ascending),
                mode == Mode::Ascending
            );
            if let Some(m) = method {
                text += &format!("method = {m:?}\n");
            }
            if !references.is_empty() {
                let paths: Vec<String> = references
                    .iter()
                    .map(|p| format!("{:?}", p.display().to_string()))
                    .collect();
                text += &format!("reference = [{}]\n", paths.join(", "));
            }
            for (c, id) in pool.iter().zip(&ids) {
                // `model` is the table's name, which references match.
                text += &format!("[[candidate]]\nid = {id:?}\nmodel = {:?}\n", c.id);
                if let Some(p) = c.size {
                    text += &format!("params = {p}\n");
                }
            }
            let plan = Plan::parse(std::path::Path::new("replay.toml"), &text)?;
            let out = replay(&plan, &|s: &RunSpec| pool[s.candidate].loss_at(s.n as f64))?;
            let mut score = vec![f64::NAN; pool.len()];
            let mut chosen = None;
            for rc in &out.ranking {
                if let (Some(e), Some(i)) = (&rc.estimate, ids.iter().position(|x| *x == rc.id)) {
                    score[i] = e.score;
                    if rc.chosen {
                        chosen = Some(i);
                    }
                }
            }
            let ranked: Vec<usize> = (0..pool.len()).filter(|&i| score[i].is_finite()).collect();
            let s: Vec<f64> = ranked.iter().map(|&i| score[i]).collect();
            let t: Vec<f64> = ranked.iter().map(|&i| truth[i]).collect();
            rows.push(BenchRow {
                dataset: dataset.to_string(),
                ratio: r,
                mode,
                runs: out.cost.runs,
                fixed_runs: out.cost.fixed_runs,
                compute_vs_fixed: out.cost.spent / out.cost.fixed,
                compute_vs_full: out.cost.spent / out.cost.full,
                pear_corr: pearson(&s, &t),
                rel_acc: chosen
                    .map(|i| relative_accuracy(&truth, truth[i]))
                    .unwrap_or(f64::NAN),
                chosen: chosen.map(|i| pool[i].id.clone()).unwrap_or_default(),
                unranked: pool.len() - ranked.len(),
                dropped: out
                    .decision
                    .candidates
                    .iter()
                    .filter(|c| c.dropped())
                    .count(),
            });
        }
    }
    Ok(rows)
}

/// The fixed ladder against the ascending runner at equal total compute.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EqualCompute {
    /// The dataset (benchmark table).
    pub dataset: String,
    /// The fixed ladder's budget, as 1/ratio of the full size.
    pub fixed_ratio: u32,
    /// The fixed ladder's compute, as a share of fine-tuning every
    /// candidate on the full size.
    pub fixed_compute: f64,
    /// The fixed ladder's relative accuracy (see [`BenchRow::rel_acc`]).
    pub fixed_rel_acc: f64,
    /// The fixed ladder's Pearson correlation (see [`BenchRow::pear_corr`]).
    pub fixed_pear_corr: f64,
    /// The largest ascending budget whose compute does not exceed it (None:
    /// every ascending budget costs more).
    pub ascending_ratio: Option<u32>,
    /// That ascending row's compute share (NaN when there is none).
    pub ascending_compute: f64,
    /// That ascending row's relative accuracy (NaN when there is none).
    pub ascending_rel_acc: f64,
    /// That ascending row's Pearson correlation (NaN when there is none).
    pub ascending_pear_corr: f64,
}

/// For every fixed-ladder row: the ascending row of the same dataset with
/// the largest budget that costs no more (the same total compute spent where
/// it decides something: larger runs only for candidates still in the race).
pub fn equal_compute(rows: &[BenchRow]) -> Vec<EqualCompute> {
    rows.iter()
        .filter(|r| r.mode == Mode::Fixed)
        .map(|f| {
            let asc = rows
                .iter()
                .filter(|a| {
                    a.dataset == f.dataset
                        && a.mode == Mode::Ascending
                        && a.compute_vs_full <= f.compute_vs_full * (1.0 + 1e-9)
                })
                .min_by_key(|a| a.ratio);
            EqualCompute {
                dataset: f.dataset.clone(),
                fixed_ratio: f.ratio,
                fixed_compute: f.compute_vs_full,
                fixed_rel_acc: f.rel_acc,
                fixed_pear_corr: f.pear_corr,
                ascending_ratio: asc.map(|a| a.ratio),
                ascending_compute: asc.map_or(f64::NAN, |a| a.compute_vs_full),
                ascending_rel_acc: asc.map_or(f64::NAN, |a| a.rel_acc),
                ascending_pear_corr: asc.map_or(f64::NAN, |a| a.pear_corr),
            }
        })
        .collect()
}
