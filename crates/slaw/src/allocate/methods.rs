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
    /// The runs' median C / (6 N D) when it is not within 10% of 1 (a FLOPs
    /// column that counts more than 6ND, or N or D in other units): the
    /// parametric rows answer for 6ND = C, the isoflop and envelope rows for
    /// the FLOPs column = C, so their N_opt differ by this definition.
    pub flops_per_6nd: Option<f64>,
    /// What the reader should know about the group: budgets far outside
    /// the runs, a FLOPs column that is not 6ND.
    pub warnings: Vec<String>,
}

impl GroupAllocation {
    /// The parametric method's report alone, as one group (the figures of
    /// `slaw allocate` without `--method`).
    pub fn from_parametric(report: AllocationReport, runs: usize) -> GroupAllocation {
        GroupAllocation {
            group: String::new(),
            runs,
            parametric: Some(report),
            isoflop: None,
            envelope: None,
            failed: Vec::new(),
            disagreement: None,
            flops_per_6nd: None,
            warnings: Vec::new(),
        }
    }
}

impl GroupAllocation {
    /// The parametric method's report of a group it ran on alone: the shape
    /// of an allocation of the whole table by that method, whatever rows
    /// were kept (filters, the best run per size), so that the output's
    /// shape depends on the method and the grouping only. The group's
    /// warnings the report lacks are added to it; a parametric fit that
    /// could not run is the error saying why.
    pub fn into_parametric(self) -> crate::Result<AllocationReport> {
        let Some(mut r) = self.parametric else {
            let why = self
                .failed
                .iter()
                .find(|(m, _)| m == "parametric")
                .map_or("the method was not asked", |(_, w)| w.as_str());
            return Err(crate::Error::data(format!(
                "the parametric law could not be fitted to the {} kept: {why}",
                crate::numbers::count(self.runs, "run")
            )));
        };
        for w in self.warnings {
            if !r.warnings.contains(&w) {
                r.warnings.push(w);
            }
        }
        Ok(r)
    }
}

/// The median of the runs' C / (6 N D), when it is more than 10% from 1.
fn flops_per_6nd(runs: &[Run]) -> Option<f64> {
    let mut r: Vec<f64> = runs
        .iter()
        .map(|r| r.c / (6.0 * r.n * r.d))
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    if r.is_empty() {
        return None;
    }
    r.sort_by(f64::total_cmp);
    let m = r[r.len() / 2];
    (m.ln().abs() > 1.1f64.ln()).then_some(m)
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
    /// Some two methods both have an exponent interval, so that
    /// `beyond_intervals` compared something (false under `--bootstrap 0`).
    pub intervals_compared: bool,
    /// Per asked budget: the largest N_opt over the smallest across methods
    /// (the parametric one at 6ND = C / `flops_per_6nd` when that is set).
    pub n_ratio: Vec<(f64, f64)>,
    /// Per asked budget, when both ran: isoflop's N_opt over the
    /// parametric one (at the same budget as `n_ratio`); empty otherwise.
    pub isoflop_over_parametric: Vec<(f64, f64)>,
    /// The budgets where those two point estimates differ by more than
    /// [`POINT_GAP`], whether or not their intervals overlap.
    pub point_gap_budgets: Vec<f64>,
    /// Methods that ran but are left out of every figure above: their
    /// exponent is not determined by the budgets
    /// (`ProfileReport::exponent_not_determined`; a warning says why).
    pub left_out: Vec<String>,
}

/// The factor between isoflop's and the parametric N_opt beyond which
/// `slaw allocate` says the two disagree at a budget, intervals or not
/// (fixed before measuring; BENCHMARKS.md).
pub const POINT_GAP: f64 = 2.0;

/// The warning of budgets where isoflop and the parametric law put N_opt
/// more than [`POINT_GAP`] apart. `iso_undetermined`: isoflop's design
/// check found its N_opt not determined by the runs; the gap is then the
/// design's bias more than a choice between methods, and the warning says
/// so (probe58 5: it read as a choice between two answers).
fn point_gap_warning(d: &Disagreement, iso_undetermined: bool) -> Option<String> {
    let far: Vec<String> = d
        .isoflop_over_parametric
        .iter()
        .filter(|(c, _)| d.point_gap_budgets.contains(c))
        .map(|&(c, r)| {
            format!(
                "{} (isoflop {}x the parametric)",
                crate::numbers::sci(c),
                crate::numbers::short(r)
            )
        })
        .collect();
    (!far.is_empty()).then(|| {
        let why = if iso_undetermined {
            "isoflop's N_opt is not determined by these runs (its design warning), so the gap \
             shows how far the design moves isoflop, and the parametric law, fitted on the same \
             narrow sizes, is not checked by it either"
        } else {
            "the choice of method moves the answer by more than that factor there, whatever \
             the intervals say"
        };
        format!(
            "isoflop and the parametric law put N_opt more than {}x apart at {}: {why}",
            crate::numbers::short(POINT_GAP),
            far.join(", ")
        )
    })
}

/// Run the asked methods on one group of runs built in memory (messages
/// about a run name `<memory>` and its place among `runs`).
pub fn allocate_group(group: &str, runs: &[Run], o: &Options) -> GroupAllocation {
    allocate_group_from("<memory>", group, runs, o)
}

/// [`allocate_group`] on runs read from `source` (the table's name, as its
/// own errors give it): a message about a run (the same point twice, a
/// value decades from its column) names that source and the run's line.
pub fn allocate_group_from(
    source: &str,
    group: &str,
    runs: &[Run],
    o: &Options,
) -> GroupAllocation {
    let budgets = super::distinct_budgets(o.budgets);
    let o = &Options {
        budgets: &budgets,
        ..*o
    };
    let mut out = GroupAllocation {
        group: group.to_string(),
        runs: runs.len(),
        parametric: None,
        isoflop: None,
        envelope: None,
        failed: Vec::new(),
        disagreement: None,
        flops_per_6nd: flops_per_6nd(runs),
        warnings: Vec::new(),
    };
    if let Some(r) = out.flops_per_6nd {
        out.warnings.push(format!(
            "the FLOPs column is {} x 6ND (median over the runs): the parametric rows are at \
             6ND = C, the isoflop and envelope rows at FLOPs = C, so their N_opt are not for the \
             same budget (the parametric answer for FLOPs = C is its optimum at 6ND = C / {}, \
             which max/min compares)",
            crate::numbers::sig(r, 4),
            crate::numbers::sig(r, 4)
        ));
    }
    if o.method.runs(AllocationMethod::Parametric) {
        let mut obs = Observations::from_columns(
            &["N", "D"],
            &[
                runs.iter().map(|r| r.n).collect(),
                runs.iter().map(|r| r.d).collect(),
            ],
            runs.iter().map(|r| r.loss).collect(),
        );
        obs.source = source.to_string();
        obs.line = runs.iter().map(|r| r.line).collect();
        if runs.len() <= 5 {
            out.failed.push((
                "parametric".into(),
                format!(
                    "{} for a law of 5 parameters",
                    crate::numbers::count(runs.len(), "run")
                ),
            ));
        } else {
            match from_fit(&obs, o.fit, o.budgets, &o.bootstrap, &|| {}) {
                Ok(r) => {
                    out.warnings.extend(r.warnings.iter().cloned());
                    out.parametric = Some(r)
                }
                Err(e) => out.failed.push(("parametric".into(), e.to_string())),
            }
        }
    }
    // N or D not a count misplaces every method's D_opt (the profiles' D*
    // too): said once per group, with or without the parametric fit.
    let n: Vec<f64> = runs.iter().map(|r| r.n).collect();
    let d: Vec<f64> = runs.iter().map(|r| r.d).collect();
    for w in super::unit_warnings(&n, &d)
        .into_iter()
        .chain(super::design_warnings(&n, &d))
    {
        if !out.warnings.contains(&w) {
            out.warnings.push(w);
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
                out.warnings.extend(r.design_warning());
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
    // The profile methods' "(extrap.)" said as the parametric one's is: a
    // budget more than 10x outside the budgets their regression used
    // (probe58 9: the marks had no explanation).
    let mut far_lines: Vec<(String, Vec<String>, (f64, f64))> = Vec::new();
    for (name, r) in [("isoflop", &out.isoflop), ("envelope", &out.envelope)] {
        let Some(r) = r else { continue };
        let far: Vec<String> = o
            .budgets
            .iter()
            .filter(|&&c| r.extrapolates(c))
            .map(|&c| crate::numbers::sci(c))
            .collect();
        if far.is_empty() {
            continue;
        }
        // One line for both methods when they name the same budgets and range.
        match far_lines.last_mut() {
            Some(l) if l.1 == far && l.2 == r.compute_range => l.0.push_str(" and envelope"),
            _ => far_lines.push((name.to_string(), far, r.compute_range)),
        }
    }
    for (names, far, (lo, hi)) in far_lines {
        out.warnings.push(format!(
            "{names}: budget{} {} more than 10x outside the budgets the regression used (C = {} \
             .. {}): N_opt there extrapolates the fitted line (marked \"(extrap.)\")",
            if far.len() == 1 { "" } else { "s" },
            far.join(", "),
            crate::numbers::sci(lo),
            crate::numbers::sci(hi),
        ));
    }
    out.warnings.extend(sign_not_determined(&out));
    out.warnings.extend(exponent_not_determined(&out));
    out.disagreement = disagreement(&out, o.budgets);
    let iso_undetermined = out
        .isoflop
        .as_ref()
        .is_some_and(|r| r.design.not_determined);
    if let Some(w) = out
        .disagreement
        .as_ref()
        .and_then(|d| point_gap_warning(d, iso_undetermined))
    {
        out.warnings.push(w);
    }
    out
}

/// A warning for each method whose interval of the exponent a (N_opt ~
/// C^a) reaches 0 or below: the runs do not say that the optimal size grows
/// with compute, so its N_opt beyond them is not determined, and an overlap
/// with the other methods' intervals says nothing.
fn sign_not_determined(g: &GroupAllocation) -> Vec<String> {
    // (method, its exponent's interval, the compute its fit used)
    type Exponent<'a> = (&'a str, Option<Interval>, Option<(f64, f64)>);
    let mut ex: Vec<Exponent> = Vec::new();
    if let Some(p) = &g.parametric {
        ex.push(("parametric", p.exponent_n_interval, p.compute_range));
    }
    for (name, r) in [("isoflop", &g.isoflop), ("envelope", &g.envelope)] {
        // a method whose exponent is not determined at all has its own
        // warning ([`exponent_not_determined`])
        if let Some(r) = r.as_ref().filter(|r| !r.exponent_not_determined) {
            ex.push((name, r.exponent_n_interval, Some(r.compute_range)));
        }
    }
    ex.into_iter()
        .filter_map(|(name, iv, range)| {
            let iv = iv?;
            (iv.lo <= 0.0).then(|| {
                let marked = range.map_or(String::new(), |(lo, hi)| {
                    format!(
                        "; its rows at budgets outside C = {} .. {} are marked \"?\"",
                        crate::numbers::sci(lo),
                        crate::numbers::sci(hi)
                    )
                });
                format!(
                    "{name}: the interval of the exponent a (N_opt ~ C^a), [{}, {}], reaches 0 or \
                     below: the runs do not determine even that the optimal model size grows with \
                     compute, so {name}'s N_opt and D_opt away from the runs are not determined by \
                     them, their intervals included{marked} (and an overlap with the other \
                     methods' intervals says nothing)",
                    crate::numbers::short(iv.lo),
                    crate::numbers::short(iv.hi)
                )
            })
        })
        .collect()
}

/// A warning for each profile method whose exponent a is not determined
/// by its budgets (`ProfileReport::exponent_not_determined`): its N_opt
/// away from them is no answer, and comparing it with the other methods
/// would read a number the runs do not give as a disagreement.
fn exponent_not_determined(g: &GroupAllocation) -> Vec<String> {
    [("isoflop", &g.isoflop), ("envelope", &g.envelope)]
        .into_iter()
        .filter_map(|(name, r)| {
            let r = r.as_ref()?;
            let why = r.exponent_not_determined_why()?;
            Some(format!(
                "{name}: {why}, so the runs do not determine {name}'s exponent: its N_opt and \
                 D_opt at budgets outside C = {} .. {} are not determined by them (marked \"?\"), \
                 and {name} is left out of the methods' exponent spread, the comparison of their \
                 intervals and their N_opt max/min",
                crate::numbers::sci(r.compute_range.0),
                crate::numbers::sci(r.compute_range.1)
            ))
        })
        .collect()
}

fn disagreement(g: &GroupAllocation, budgets: &[f64]) -> Option<Disagreement> {
    let mut ex: Vec<(String, f64, Option<Interval>)> = Vec::new();
    let mut n_at: Vec<Vec<f64>> = Vec::new();
    let mut parametric_at: Option<Vec<f64>> = None;
    if let Some(p) = &g.parametric {
        ex.push(("parametric".into(), p.exponent_n, p.exponent_n_interval));
        // At FLOPs = C the runs' 6ND is C / r: the parametric law's
        // optimum there, so that max/min compares one budget.
        let r = g.flops_per_6nd.unwrap_or(1.0);
        n_at.push(
            p.rows
                .iter()
                .map(|row| {
                    if r == 1.0 {
                        row.n_opt
                    } else {
                        p.law.optimum(row.compute / r).0
                    }
                })
                .collect(),
        );
        parametric_at = n_at.last().cloned();
    }
    let mut left_out = Vec::new();
    for (name, r) in [("isoflop", &g.isoflop), ("envelope", &g.envelope)] {
        if let Some(r) = r {
            if r.exponent_not_determined {
                left_out.push(name.to_string());
                continue;
            }
            ex.push((name.into(), r.exponent_n, r.exponent_n_interval));
            n_at.push(r.rows.iter().map(|r| r.n_opt).collect());
        }
    }
    if ex.len() < 2 {
        return None;
    }
    let isoflop = g.isoflop.as_ref().filter(|r| !r.exponent_not_determined);
    let lo = ex.iter().map(|e| e.1).fold(f64::INFINITY, f64::min);
    let hi = ex.iter().map(|e| e.1).fold(f64::NEG_INFINITY, f64::max);
    let (mut beyond, mut compared) = (false, false);
    for i in 0..ex.len() {
        for j in (i + 1)..ex.len() {
            if let (Some(a), Some(b)) = (ex[i].2, ex[j].2) {
                compared = true;
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
    let isoflop_over_parametric: Vec<(f64, f64)> = match (&parametric_at, isoflop) {
        (Some(p), Some(iso)) => budgets
            .iter()
            .zip(p)
            .zip(&iso.rows)
            .map(|((&c, &pn), row)| (c, row.n_opt / pn))
            .collect(),
        _ => Vec::new(),
    };
    let point_gap_budgets = isoflop_over_parametric
        .iter()
        .filter(|(_, r)| r.is_finite() && r.ln().abs() > POINT_GAP.ln())
        .map(|(c, _)| *c)
        .collect();
    Some(Disagreement {
        isoflop_over_parametric,
        point_gap_budgets,
        exponents: ex,
        spread: hi - lo,
        beyond_intervals: beyond,
        intervals_compared: compared,
        n_ratio,
        left_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// isoflop and the parametric N_opt more than 2x apart at a budget are
    /// named, intervals or not; within 2x, nothing.
    #[test]
    fn a_point_gap_beyond_2x_is_warned_about() {
        let d = |r: &[(f64, f64)]| Disagreement {
            exponents: Vec::new(),
            spread: 0.0,
            beyond_intervals: false,
            intervals_compared: true,
            n_ratio: Vec::new(),
            isoflop_over_parametric: r.to_vec(),
            left_out: Vec::new(),
            point_gap_budgets: r
                .iter()
                .filter(|x| x.1.ln().abs() > POINT_GAP.ln())
                .map(|x| x.0)
                .collect(),
        };
        assert!(point_gap_warning(&d(&[(1e21, 1.9), (1e23, 0.55)]), false).is_none());
        let w = point_gap_warning(&d(&[(1e21, 1.5), (1e23, 0.2)]), false).unwrap();
        assert!(
            w.contains("more than 2x apart at 1e23 (isoflop 0.2x the parametric)"),
            "{w}"
        );
        assert!(!w.contains("1e21"), "{w}");
        assert!(w.contains("the choice of method moves the answer"), "{w}");
        // Where isoflop's design check found N_opt not determined, the gap
        // is not offered as a choice between two answers.
        let w = point_gap_warning(&d(&[(1e21, 1.5), (1e23, 0.2)]), true).unwrap();
        assert!(w.contains("not determined by these runs"), "{w}");
        assert!(!w.contains("the choice of method moves"), "{w}");
    }
}
