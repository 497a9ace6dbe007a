//! The three allocation methods of Hoffmann et al. side by side on one group
//! of runs, and how much their answers disagree.

use super::isoflop::{self, Budgets, Profile, ProfileReport, Run};
use super::{from_fit, AllocationReport};
use crate::bootstrap::{Interval, Resampling};
use crate::fit::FitOptions;
use crate::observations::Observations;

/// Which allocation method(s) to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllocationMethod {
    /// Approach 3: the parametric law L = E + A/N^alpha + B/D^beta.
    Parametric,
    /// Approach 2: isoFLOP profiles.
    Isoflop,
    /// Approach 1 on final checkpoints: the lowest-loss run per budget.
    Envelope,
    /// All three.
    All,
}

impl AllocationMethod {
    fn runs(&self, m: AllocationMethod) -> bool {
        *self == AllocationMethod::All || *self == m
    }
}

/// Options of a group's analysis.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Which method(s) to run.
    pub method: AllocationMethod,
    /// Compute budgets (FLOPs) at which to report the allocation.
    pub budgets: &'a [f64],
    /// How runs are grouped into compute budgets (Approaches 1 and 2).
    pub grouping: Budgets,
    /// The bootstrap behind every method's intervals: the points for the
    /// parametric law, the runs within each budget for the profiles.
    pub bootstrap: Resampling,
    /// Fit options of the parametric law.
    pub fit: &'a FitOptions,
}

/// One group's allocation by each method asked; a method that cannot run
/// on the group says why.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct GroupAllocation {
    /// The group's key (the joined group-column values; empty without groups).
    pub group: String,
    /// Runs in the group.
    pub runs: usize,
    /// Approach 3, when asked and it ran.
    pub parametric: Option<AllocationReport>,
    /// Approach 2, when asked and it ran.
    pub isoflop: Option<ProfileReport>,
    /// Approach 1 on final losses, when asked and it ran.
    pub envelope: Option<ProfileReport>,
    /// (method, why it could not run).
    pub failed: Vec<(String, String)>,
    /// Present when at least two methods ran.
    pub disagreement: Option<Disagreement>,
}

/// How far the methods' answers are apart.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct Disagreement {
    /// (method, exponent a of N_opt ~ C^a, its interval).
    pub exponents: Vec<(String, f64, Option<Interval>)>,
    /// Largest minus smallest exponent.
    pub spread: f64,
    /// Some two methods' exponent intervals do not overlap.
    pub beyond_intervals: bool,
    /// Per asked budget: the largest N_opt over the smallest across methods.
    pub n_ratio: Vec<(f64, f64)>,
}

/// Run the asked methods on one group of runs.
pub fn allocate_group(group: &str, runs: &[Run], o: &Options) -> GroupAllocation {
    let mut out = GroupAllocation {
        group: group.to_string(),
        runs: runs.len(),
        parametric: None,
        isoflop: None,
        envelope: None,
        failed: Vec::new(),
        disagreement: None,
    };
    if o.method.runs(AllocationMethod::Parametric) {
        let obs = Observations::from_columns(
            &["N", "D"],
            &[
                runs.iter().map(|r| r.n).collect(),
                runs.iter().map(|r| r.d).collect(),
            ],
            runs.iter().map(|r| r.loss).collect(),
        );
        if runs.len() <= 5 {
            out.failed.push((
                "parametric".into(),
                format!("{} runs for a law of 5 parameters", runs.len()),
            ));
        } else {
            match from_fit(&obs, o.fit, o.budgets, &o.bootstrap, &|| {}) {
                Ok(r) => out.parametric = Some(r),
                Err(e) => out.failed.push(("parametric".into(), e.to_string())),
            }
        }
    }
    let groups = isoflop::group(runs, o.grouping);
    for (m, p) in [
        (AllocationMethod::Isoflop, Profile::Isoflop),
        (AllocationMethod::Envelope, Profile::Envelope),
    ] {
        if !o.method.runs(m) {
            continue;
        }
        match isoflop::analyse(&groups, p, o.budgets, &o.bootstrap) {
            Ok(r) => {
                if m == AllocationMethod::Isoflop {
                    out.isoflop = Some(r)
                } else {
                    out.envelope = Some(r)
                }
            }
            Err(e) => out.failed.push((
                if m == AllocationMethod::Isoflop {
                    "isoflop"
                } else {
                    "envelope"
                }
                .into(),
                e.to_string(),
            )),
        }
    }
    out.disagreement = disagreement(&out, o.budgets);
    out
}

fn disagreement(g: &GroupAllocation, budgets: &[f64]) -> Option<Disagreement> {
    let mut ex: Vec<(String, f64, Option<Interval>)> = Vec::new();
    let mut n_at: Vec<Vec<f64>> = Vec::new();
    if let Some(p) = &g.parametric {
        ex.push(("parametric".into(), p.exponent_n, p.exponent_n_interval));
        n_at.push(p.rows.iter().map(|r| r.n_opt).collect());
    }
    for (name, r) in [("isoflop", &g.isoflop), ("envelope", &g.envelope)] {
        if let Some(r) = r {
            ex.push((name.into(), r.exponent_n, r.exponent_n_interval));
            n_at.push(r.rows.iter().map(|r| r.n_opt).collect());
        }
    }
    if ex.len() < 2 {
        return None;
    }
    let lo = ex.iter().map(|e| e.1).fold(f64::INFINITY, f64::min);
    let hi = ex.iter().map(|e| e.1).fold(f64::NEG_INFINITY, f64::max);
    let mut beyond = false;
    for i in 0..ex.len() {
        for j in (i + 1)..ex.len() {
            if let (Some(a), Some(b)) = (ex[i].2, ex[j].2) {
                if a.hi < b.lo || b.hi < a.lo {
                    beyond = true;
                }
            }
        }
    }
    let n_ratio = budgets
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            let v: Vec<f64> = n_at.iter().filter_map(|r| r.get(k).copied()).collect();
            let mx = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let mn = v.iter().cloned().fold(f64::INFINITY, f64::min);
            (c, mx / mn)
        })
        .collect();
    Some(Disagreement {
        exponents: ex,
        spread: hi - lo,
        beyond_intervals: beyond,
        n_ratio,
    })
}
