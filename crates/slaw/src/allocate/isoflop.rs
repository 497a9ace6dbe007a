//! Compute-optimal allocation from isoFLOP profiles (Hoffmann et al.'s
//! Approach 2) and from the envelope of final losses (Approach 1, on final
//! checkpoints), with bootstrap intervals that resample whole runs within
//! each compute budget.
//!
//! runs -> budgets (runs of about equal compute) -> per budget: loss against
//! ln N fitted by a parabola, its minimum N*(C) (and D*(C) from the budget's
//! own N-D relation, so FLOPs need not be 6ND) -> ln N* and ln D* regressed
//! on ln C -> N_opt(C) = G C^a, D_opt(C) = H C^b.

use crate::bootstrap::{interval_of, Interval, Resampling};
use crate::{Error, Result};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// One pretraining run at its end: parameters, tokens, compute, loss, and
/// the line of the input it came from.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Run {
    /// Parameters (model size N).
    pub n: f64,
    /// Training tokens D (given, or FLOPs / (6 N)).
    pub d: f64,
    /// Training compute C in FLOPs (given, or 6 N D); need not equal 6 N D.
    pub c: f64,
    /// Final loss of the run.
    pub loss: f64,
    /// The budget label (a budget column's value; else the compute).
    pub budget: f64,
    #[serde(skip)]
    /// Line of the input file the run was read from (1-based), for messages.
    pub line: usize,
}

/// How runs are grouped into compute budgets.
#[derive(Debug, Clone, Copy)]
pub enum Budgets {
    /// Runs with equal budget labels (a budget column).
    Exact,
    /// Sorted by compute, a run joins the current budget when its compute
    /// is within this factor of the budget's smallest.
    Gap(f64),
}

/// The method of Approach 1 or 2.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// The minimum of a parabola in ln N per budget.
    Isoflop,
    /// The run with the lowest loss per budget.
    Envelope,
}

impl Profile {
    /// The interval at `level` of a quantity from its bootstrap replicates
    /// `v` and its estimate `point` (both on the scale the replicates are
    /// drawn on: logs for N and D). Isoflop's replicates fit the parabola
    /// over a window of sizes that drops an end at random
    /// (`resample_budget`): on a profile not symmetric in ln N their vertex
    /// moves with the span, so their percentile interval can miss the
    /// estimate itself (on a wide fixed grid, 8 of 200 seeds). The
    /// shift is kept, it is what covers a biased vertex (centring the
    /// replicates on the estimate took Kaplan-law runs' N_opt coverage from
    /// 78-88% to 42-68%), and the interval is widened to reach the estimate
    /// ([`crate::bootstrap::interval_reaching`]). Envelope's replicates are
    /// the estimate's own: the percentile interval.
    pub fn interval(self, v: Vec<f64>, point: f64, level: f64) -> Interval {
        match self {
            Profile::Isoflop => crate::bootstrap::interval_reaching(v, point, level),
            Profile::Envelope => interval_of(v, level),
        }
    }
}

/// One budget's profile.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct BudgetProfile {
    /// Geometric mean compute of the budget's runs.
    pub compute: f64,
    /// Runs in the budget.
    pub runs: usize,
    /// The loss-minimizing N and D (None when the profile has no minimum
    /// inside its sampled N range: then the budget is left out).
    pub n_opt: Option<f64>,
    /// Tokens at the minimum, from the budget's own fitted ln D - ln N relation.
    pub d_opt: Option<f64>,
    /// Loss at the minimum (the parabola's value; the best run's loss for the envelope).
    pub loss_min: Option<f64>,
    /// Interval of N* over the bootstrap replicates.
    pub n_interval: Option<Interval>,
    /// Why the budget was left out, if it was.
    pub note: Option<String>,
    /// The budget's minimum lies outside its sampled sizes (kept).
    pub minimum_outside: bool,
    /// The budget's minimum lies at the edge of its sampled sizes: kept in
    /// the outer tenth of their ln N span (or outside it), or left out
    /// because it lay far outside (isoflop) or the best run was the
    /// smallest or largest size (envelope). One half of the design check
    /// ([`DesignCheck`]).
    pub at_edge: bool,
    /// Why a kept budget's minimum deserves less trust, or has no interval:
    /// a parabola through exactly 3 sizes (no residual checks its shape), a
    /// minimum below every run's loss, too few replicates with a minimum.
    pub caveats: Vec<String>,
    /// The isoFLOP parabola, loss = p0 + p1 ln N + p2 (ln N)^2.
    pub parabola: Option<[f64; 3]>,
    /// The budget's runs (N, loss), for plots.
    #[serde(skip)]
    pub points: Vec<(f64, f64)>,
}

/// The allocation exponents and laws from the profiles.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct ProfileReport {
    /// Approach 2 (isoflop) or 1 (envelope).
    pub method: Profile,
    /// Every budget in order of compute, the ones left out included (with their note).
    pub budgets: Vec<BudgetProfile>,
    /// N_opt ~ C^a, D_opt ~ C^b: slope and intercept of ln N* (ln D*) on ln C.
    pub exponent_n: f64,
    /// Exponent b of D_opt ~ C^b (a + b = 1 when C = 6 N D).
    pub exponent_d: f64,
    /// Percentile interval of `exponent_n` over the bootstrap replicates (None: no bootstrap, or fewer than half of the replicates had a regression).
    pub exponent_n_interval: Option<Interval>,
    /// Same for `exponent_d`.
    pub exponent_d_interval: Option<Interval>,
    /// Intercept of ln N* on ln C (ln G of N_opt = G C^a).
    pub intercept_n: f64,
    /// Intercept of ln D* on ln C.
    pub intercept_d: f64,
    /// Budgets that entered the regression.
    pub used: usize,
    /// Level of the intervals.
    pub level: f64,
    /// What the intervals cover: `{"kind": "bootstrap", "level": ..}`;
    /// None without a bootstrap.
    pub interval_kind: Option<crate::selection::calibrate::IntervalKind>,
    /// Bootstrap replicates whose regression was defined.
    pub replicates: usize,
    /// Bootstrap replicates drawn (0: no bootstrap was asked).
    pub replicates_drawn: usize,
    /// Range of compute covered by the used budgets.
    pub compute_range: (f64, f64),
    /// The allocation at the asked compute budgets.
    pub rows: Vec<ProfileRow>,
    /// N_opt(C), D_opt(C) and their bands over the budgets used (widened to
    /// the asked ones): the allocation figures' data.
    pub curve: Vec<super::CurvePoint>,
    /// Whether the sampled sizes can locate the optimum at every budget;
    /// when they cannot, the intervals above are not given.
    pub design: DesignCheck,
    /// The exponent a is not determined by the budgets
    /// ([`ProfileReport::exponent_not_determined_why`]): fewer than 3
    /// budgets entered the regression (a line through 2 points, nothing
    /// checks it), or bootstrap replicates were drawn and fewer than half
    /// gave a regression (no interval for that reason). Its rows outside the
    /// compute the regression used carry `growth_not_determined`, and the
    /// method is left out of the methods' comparison.
    pub exponent_not_determined: bool,
    /// The bootstrap replicates' regressions ((slope, intercept) of ln N*
    /// and of ln D* on ln C), empty without enough replicates.
    #[serde(skip)]
    pub replicate_fits: Vec<((f64, f64), (f64, f64))>,
}

/// Whether the design can answer: do the budgets' windows of sizes move
/// with compute, and do the minima lie inside them? A parabola (or the best
/// run) through a profile whose minimum lies near or past the window's edge
/// puts the minimum inside the window, toward its centre; budgets whose
/// minimum is far outside are left out, so every kept minimum sits inside
/// windows that do not follow N*, and the regression on ln C flattens the
/// exponent. Every bootstrap replicate shares that bias, so no interval of
/// these runs covers it (on runs from a known law with the same 5 sizes at
/// every budget, the 95% intervals of N_opt covered the truth in half the
/// seeds: BENCHMARKS.md).
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct DesignCheck {
    /// Least-squares slope of the window's centre, (ln N_min + ln N_max)/2,
    /// on ln C over the budgets of 3 or more sizes (None with fewer than 3
    /// such budgets): about the exponent a when the sizes follow N*.
    pub window_slope: Option<f64>,
    /// Every budget samples the same set of sizes.
    pub same_sizes: bool,
    /// The windows do not move with compute: `same_sizes`, or
    /// `window_slope` below half the exponent a found.
    pub windows_fixed: bool,
    /// Compute of the budgets whose minimum lies at the edge of their sizes
    /// (`BudgetProfile::at_edge`), kept or left out.
    pub edge_budgets: Vec<f64>,
    /// `windows_fixed` and some budget at the edge: the exponents' and the
    /// rows' N_opt / D_opt intervals are not given (the point estimates
    /// are, marked).
    pub not_determined: bool,
    /// At least half of the budgets, and at least 3, are at the edge,
    /// whatever the windows do: the sizes miss the minimum. A warning; the
    /// intervals stay (on designs shifted 1-48x above N_opt they held the
    /// exponent 60/60, wide: BENCHMARKS.md, lead58).
    pub edge_majority: bool,
    /// The side of the sizes where the edge budgets' minima lie, when they
    /// all lie on one: "smallest" or "largest".
    pub edge_side: Option<&'static str>,
}

/// The outer part of a budget's ln N span, each side, whose minima are
/// "at the edge" (fixed before measuring; BENCHMARKS.md).
pub const EDGE_SHARE: f64 = 0.1;

impl DesignCheck {
    /// The check of `profiles` (with the sizes of each budget's `runs`)
    /// against the exponent `a` the profiles gave.
    fn of(profiles: &[BudgetProfile], budgets: &[Vec<Run>], a: f64) -> DesignCheck {
        let sizes: Vec<Vec<f64>> = budgets
            .iter()
            .map(|runs| {
                let mut v: Vec<f64> = runs.iter().map(|r| r.n.ln()).collect();
                v.sort_by(f64::total_cmp);
                v.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
                v
            })
            .collect();
        let (mut lc, mut centre) = (Vec::new(), Vec::new());
        for (runs, v) in budgets.iter().zip(&sizes) {
            if v.len() >= 3 {
                lc.push(runs.iter().map(|r| r.c.ln()).sum::<f64>() / runs.len() as f64);
                centre.push(0.5 * (v[0] + v[v.len() - 1]));
            }
        }
        let window_slope = if lc.len() >= 3 {
            line(&lc, &centre).map(|l| l.1)
        } else {
            None
        };
        let same_sizes = sizes.len() >= 2
            && sizes[0].len() >= 3
            && sizes.iter().all(|v| {
                v.len() == sizes[0].len()
                    && v.iter().zip(&sizes[0]).all(|(x, y)| (x - y).abs() < 1e-6)
            });
        let windows_fixed = same_sizes || window_slope.is_some_and(|s| s < 0.5 * a);
        let edge_budgets: Vec<f64> = profiles
            .iter()
            .filter(|p| p.at_edge)
            .map(|p| p.compute)
            .collect();
        // Which side each edge budget's minimum lies on, from its minimum
        // (or its best run when it was left out) against its sizes' centre.
        let sides: Vec<bool> = profiles
            .iter()
            .zip(&sizes)
            .filter(|(p, v)| p.at_edge && !v.is_empty())
            .filter_map(|(p, v)| {
                let at = p.n_opt.or_else(|| {
                    p.points
                        .iter()
                        .min_by(|a, b| a.1.total_cmp(&b.1))
                        .map(|q| q.0)
                })?;
                Some(at.ln() < 0.5 * (v[0] + v[v.len() - 1]))
            })
            .collect();
        let edge_side = match (sides.iter().all(|&b| b), sides.iter().all(|&b| !b)) {
            _ if sides.is_empty() => None,
            (true, _) => Some("smallest"),
            (_, true) => Some("largest"),
            _ => None,
        };
        let edge_majority = edge_budgets.len() >= 3 && 2 * edge_budgets.len() >= profiles.len();
        DesignCheck {
            window_slope,
            same_sizes,
            windows_fixed,
            not_determined: windows_fixed && !edge_budgets.is_empty(),
            edge_majority,
            edge_side,
            edge_budgets,
        }
    }
}

/// Fewest budgets whose regression determines the exponent a: through 2
/// points the line has no degree of freedom left to check it (probe67 9:
/// an envelope of 2 budgets whose best runs shared one size gave a = 0
/// exactly and entered the methods' comparison).
pub const MIN_BUDGETS_FOR_EXPONENT: usize = 3;

/// The rule behind `ProfileReport::exponent_not_determined`: `used`
/// budgets in the regression, `drawn` bootstrap replicates asked, `enough`
/// of them gave a regression (at least half), and the design check: fewer
/// than [`MIN_BUDGETS_FOR_EXPONENT`] budgets, or replicates drawn and too
/// few gave a regression. No replicates asked is no failure, and an
/// interval the design check removed has its own warning.
fn exponent_undetermined(used: usize, drawn: usize, enough: bool, design: &DesignCheck) -> bool {
    used < MIN_BUDGETS_FOR_EXPONENT || (drawn > 0 && !enough && !design.not_determined)
}

/// Where `x` lies in `(lo, hi)`: 0 at `lo`, 1 at `hi`.
fn position(x: f64, (lo, hi): (f64, f64)) -> f64 {
    if hi > lo {
        (x - lo) / (hi - lo)
    } else {
        0.5
    }
}

/// The allocation at one asked compute budget.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct ProfileRow {
    /// Compute budget asked, in FLOPs.
    pub compute: f64,
    /// N_opt at that budget from the regression.
    pub n_opt: f64,
    /// D_opt at that budget from the regression.
    pub d_opt: f64,
    /// Pointwise interval of N_opt over the replicates' regressions.
    pub n_interval: Option<Interval>,
    /// Pointwise interval of D_opt over the replicates' regressions.
    pub d_interval: Option<Interval>,
    /// The budget lies more than 10x outside the measured compute range.
    pub extrapolated: bool,
    /// The design cannot locate the optimum (`DesignCheck::not_determined`):
    /// no interval, and the point estimate is biased toward the sampled sizes.
    pub not_determined: bool,
    /// The exponent's interval reaches 0 or below and the budget lies
    /// outside the compute the regression used
    /// ([`super::growth_not_determined`]): the runs do not say whether N_opt
    /// there is above or below the runs' sizes, so the intervals are no
    /// determination (the numbers are kept).
    pub growth_not_determined: bool,
}

impl ProfileReport {
    /// (N_opt, D_opt) at compute `c` from the regressions.
    pub fn optimum(&self, c: f64) -> (f64, f64) {
        (
            (self.intercept_n + self.exponent_n * c.ln()).exp(),
            (self.intercept_d + self.exponent_d * c.ln()).exp(),
        )
    }

    /// Pointwise intervals of (N_opt, D_opt) at compute `c` over the
    /// bootstrap replicates' regressions; None without replicates.
    pub fn band(&self, c: f64) -> Option<(Interval, Interval)> {
        if self.replicate_fits.is_empty() {
            return None;
        }
        let (n, d) = self.optimum(c);
        let at = |f: &(f64, f64)| f.1 + f.0 * c.ln();
        let interval = |ln: Vec<f64>, point: f64| {
            let i = self.method.interval(ln, point.ln(), self.level);
            Interval {
                lo: i.lo.exp(),
                hi: i.hi.exp(),
            }
        };
        Some((
            interval(self.replicate_fits.iter().map(|f| at(&f.0)).collect(), n),
            interval(self.replicate_fits.iter().map(|f| at(&f.1)).collect(), d),
        ))
    }

    /// The warning of a design that cannot locate the optimum
    /// (`design.not_determined`), naming the cause and what to run; None
    /// when the design check passed.
    pub fn design_warning(&self) -> Option<String> {
        let d = &self.design;
        let name = match self.method {
            Profile::Isoflop => "isoflop",
            Profile::Envelope => "envelope",
        };
        if !d.not_determined && d.edge_majority {
            return Some(format!(
                "{name}: the minima lie at or past the edge of the sampled sizes at {} of {} \
                 budgets (C = {}{}): the sizes move with compute but do not bracket the minimum, \
                 so {name}'s exponent a and N_opt rest on extrapolated profiles and their \
                 intervals are wide for that reason. Train {}sizes that bracket the minimum at \
                 each budget",
                d.edge_budgets.len(),
                self.budgets.len(),
                d.edge_budgets
                    .iter()
                    .map(|&c| crate::numbers::sci(c))
                    .collect::<Vec<_>>()
                    .join(", "),
                match d.edge_side {
                    Some(side) => format!(", next to the {side} size"),
                    None => String::new(),
                },
                match d.edge_side {
                    Some("smallest") => "smaller ",
                    Some(_) => "larger ",
                    None => "",
                }
            ));
        }
        if !d.not_determined {
            return None;
        }
        let cause = if d.same_sizes {
            "every budget samples the same model sizes".to_string()
        } else {
            format!(
                "the sampled sizes' centre grows as C^{} while the minima give N_opt ~ C^{}",
                crate::numbers::sig(d.window_slope.unwrap_or(0.0), 2),
                crate::numbers::sig(self.exponent_n, 2)
            )
        };
        Some(format!(
            "{name}: the sizes do not move with compute ({cause}) and {} at or past the edge \
             of the sampled sizes (C = {}): the profile puts such minima inside the sizes, and \
             every bootstrap replicate shares that bias, so {name}'s exponent a and N_opt are \
             not determined by these runs (no interval; the point estimates are biased toward \
             the sampled sizes). Train sizes that bracket the minimum at each budget, moving \
             with compute (a factor of 3-4 either side of the expected N_opt)",
            if d.edge_budgets.len() == 1 {
                "1 budget's minimum lies".to_string()
            } else {
                format!("{} budgets' minima lie", d.edge_budgets.len())
            },
            d.edge_budgets
                .iter()
                .map(|&c| crate::numbers::sci(c))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    /// Why the exponent a is not determined by the budgets (the reason
    /// behind `exponent_not_determined`), None when it is: fewer than
    /// [`MIN_BUDGETS_FOR_EXPONENT`] budgets, or replicates drawn and fewer
    /// than half of them gave a regression.
    pub fn exponent_not_determined_why(&self) -> Option<String> {
        if self.used < MIN_BUDGETS_FOR_EXPONENT {
            Some(format!(
                "its exponent a rests on {} (a line through {} points: no degree of freedom \
                 checks it)",
                crate::numbers::count(self.used, "budget"),
                self.used
            ))
        } else if self.exponent_not_determined {
            Some(format!(
                "its exponent a has no interval: {} of {} bootstrap replicates gave a \
                 regression, fewer than half",
                self.replicates, self.replicates_drawn
            ))
        } else {
            None
        }
    }

    /// Whether the allocation at compute `c` is not determined by the runs:
    /// the exponent's interval reaches 0 ([`super::growth_not_determined`])
    /// or the exponent itself is not determined (`exponent_not_determined`),
    /// and `c` lies outside the compute the regression used.
    pub fn growth_not_determined_at(&self, c: f64) -> bool {
        super::growth_not_determined(self.exponent_n_interval, c, self.compute_range)
            || (self.exponent_not_determined && super::outside_fitted(c, self.compute_range))
    }

    /// Whether `c` leaves the measured range by more than 10x.
    pub fn extrapolates(&self, c: f64) -> bool {
        super::far_outside(c, self.compute_range)
    }
}

/// Group runs into budgets, each budget's runs in a canonical order — by
/// N, D, compute, loss (each by `total_cmp`), then line — so that the
/// bootstrap, which draws run positions within a budget, and the envelope's
/// tie-break do not depend on the file's row order.
pub fn group(runs: &[Run], how: Budgets) -> Vec<Vec<Run>> {
    let mut sorted: Vec<Run> = runs.to_vec();
    sorted.sort_by(|a, b| match how {
        Budgets::Exact => a.budget.total_cmp(&b.budget).then(a.line.cmp(&b.line)),
        Budgets::Gap(_) => a.c.total_cmp(&b.c).then(a.line.cmp(&b.line)),
    });
    let mut out: Vec<Vec<Run>> = Vec::new();
    for r in sorted {
        let join = match (out.last().and_then(|g| g.last()), how) {
            (Some(prev), Budgets::Exact) => prev.budget == r.budget,
            (Some(_), Budgets::Gap(f)) => {
                let first = out.last().expect("a budget")[0];
                r.c <= first.c * f
            }
            (None, _) => false,
        };
        if join {
            out.last_mut().expect("a budget").push(r);
        } else {
            out.push(vec![r]);
        }
    }
    for g in &mut out {
        g.sort_by(canonical);
    }
    out
}

/// The canonical order of a budget's runs: N, D, compute, loss, then line.
fn canonical(a: &Run, b: &Run) -> std::cmp::Ordering {
    a.n.total_cmp(&b.n)
        .then(a.d.total_cmp(&b.d))
        .then(a.c.total_cmp(&b.c))
        .then(a.loss.total_cmp(&b.loss))
        .then(a.line.cmp(&b.line))
}

/// Least squares y = p0 + p1 x + p2 x^2; None when singular.
fn parabola(x: &[f64], y: &[f64]) -> Option<[f64; 3]> {
    let n = x.len();
    if n < 3 {
        return None;
    }
    // Centre x for conditioning.
    let mx = x.iter().sum::<f64>() / n as f64;
    let mut a = [[0.0; 3]; 3];
    let mut b = [0.0; 3];
    for (xi, yi) in x.iter().zip(y) {
        let t = xi - mx;
        let row = [1.0, t, t * t];
        for i in 0..3 {
            for j in 0..3 {
                a[i][j] += row[i] * row[j];
            }
            b[i] += row[i] * yi;
        }
    }
    let q = crate::linalg::solve3(a, b)?;
    // Back to uncentred coefficients.
    Some([
        q[0] - q[1] * mx + q[2] * mx * mx,
        q[1] - 2.0 * q[2] * mx,
        q[2],
    ])
}

/// Least squares line y = p0 + p1 x; None when x is constant.
fn line(x: &[f64], y: &[f64]) -> Option<(f64, f64)> {
    crate::selection::ats::Line::fit(x, y).map(|l| (l.intercept, l.slope))
}

/// One budget's optimum: (ln N*, ln D*, loss at the optimum) or the reason
/// there is none.
type Optimum = (f64, f64, f64, Option<[f64; 3]>);

fn budget_optimum(runs: &[Run], method: Profile) -> std::result::Result<Optimum, String> {
    let x: Vec<f64> = runs.iter().map(|r| r.n.ln()).collect();
    let ld: Vec<f64> = runs.iter().map(|r| r.d.ln()).collect();
    let y: Vec<f64> = runs.iter().map(|r| r.loss).collect();
    match method {
        Profile::Envelope => {
            // The best run; runs tied at the lowest loss give the mean of
            // their (distinct) ln N and ln D — a convex profile's minimum
            // lies between equal losses — whatever the rows' order (the
            // first in the file once won).
            let best = y.iter().cloned().fold(f64::INFINITY, f64::min);
            let mut tied: Vec<(f64, f64)> = (0..runs.len())
                .filter(|&i| y[i] == best)
                .map(|i| (x[i], ld[i]))
                .collect();
            if tied.is_empty() {
                return Err("no runs".into());
            }
            tied.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
            tied.dedup();
            // Two sizes of equal loss would put a minimum between them on
            // no other evidence (one of two sizes is always an edge).
            let mut sizes = x.clone();
            sizes.sort_by(f64::total_cmp);
            sizes.dedup();
            if sizes.len() < 3 {
                return Err(format!(
                    "{} (the best run needs a size on each side)",
                    crate::numbers::count(sizes.len(), "distinct model size")
                ));
            }
            let k = tied.len() as f64;
            let xm = tied.iter().map(|t| t.0).sum::<f64>() / k;
            let dm = tied.iter().map(|t| t.1).sum::<f64>() / k;
            let lo = x.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            if !(xm > lo && xm < hi) {
                return Err(format!("the best run (N = {:.3e}) {AT_THE_EDGE}", xm.exp()));
            }
            Ok((xm, dm, best, None))
        }
        Profile::Isoflop => {
            let mut distinct = x.clone();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
            if distinct.len() < 3 {
                return Err(format!(
                    "{} (a parabola needs 3)",
                    crate::numbers::count(distinct.len(), "distinct model size")
                ));
            }
            let p = parabola(&x, &y).ok_or("singular parabola")?;
            if p[2].is_nan() || p[2] <= 0.0 {
                return Err("the profile curves downward: no minimum".into());
            }
            let xs = -p[1] / (2.0 * p[2]);
            let (lo, hi) = (distinct[0], distinct[distinct.len() - 1]);
            // A minimum a little past the sampled sizes is kept (flagged by
            // the caller); one past half the sampled span on either side is
            // an extrapolation the profile cannot support.
            let margin = 0.5 * (hi - lo);
            if xs < lo - margin || xs > hi + margin {
                return Err(format!(
                    "the minimum (N = {:.3e}) {FAR_OUTSIDE} {:.3e} .. {:.3e}",
                    xs.exp(),
                    lo.exp(),
                    hi.exp()
                ));
            }
            let (d0, d1) = line(&x, &ld).ok_or("constant model size")?;
            Ok((xs, d0 + d1 * xs, p[0] + p[1] * xs + p[2] * xs * xs, Some(p)))
        }
    }
}

/// How a budget left out for a minimum past its sizes says so (isoflop).
const FAR_OUTSIDE: &str = "lies far outside the sampled sizes";
/// How a budget left out for its best run at an end says so (envelope).
const AT_THE_EDGE: &str = "is the smallest or largest of the budget's sizes";

/// The mean ln C of a budget's runs.
fn mean_ln_compute(runs: &[Run]) -> f64 {
    runs.iter().map(|r| r.c.ln()).sum::<f64>() / runs.len() as f64
}

/// A budget's compute: its runs' geometric mean, or their common value
/// exactly when they share one (exp of a mean of logs printed 1e18 as
/// 9.999999999999986e17).
fn budget_compute(runs: &[Run]) -> f64 {
    match runs.first() {
        Some(r) if runs.iter().all(|q| q.c == r.c) => r.c,
        _ => mean_ln_compute(runs).exp(),
    }
}

/// Regress (ln N*, ln D*) on ln C: ((a, intercept), (b, intercept)).
fn regress(points: &[(f64, f64, f64)]) -> Option<((f64, f64), (f64, f64))> {
    if points.len() < 2 {
        return None;
    }
    let lc: Vec<f64> = points.iter().map(|p| p.0).collect();
    let n: Vec<f64> = points.iter().map(|p| p.1).collect();
    let d: Vec<f64> = points.iter().map(|p| p.2).collect();
    let (n0, n1) = line(&lc, &n)?;
    let (d0, d1) = line(&lc, &d)?;
    Some(((n1, n0), (d1, d0)))
}

/// One bootstrap replicate of a budget's runs: drawn with replacement, and
/// for isoFLOP profiles with at least 7 distinct sizes, first from a window
/// that drops 0 or 1 of the smallest and 0 or 1 of the largest sizes at
/// random. The window's part carries the error of the parabola itself: a
/// profile that is not symmetric in ln N moves the fitted vertex with the
/// span of sizes sampled, which resampling points alone does not show
/// (measured in `tests/allocation_coverage.rs`: on runs from Kaplan et al.'s
/// law, N_opt inside the measured range is covered by 28-50% of nominal-90%
/// intervals without it and 78-83% with it). The point estimate uses every
/// run.
fn resample_budget(runs: &[Run], method: Profile, rng: &mut ChaCha8Rng) -> Vec<Run> {
    let mut pool = runs;
    let trimmed: Vec<Run>;
    if method == Profile::Isoflop {
        let mut sizes: Vec<f64> = runs.iter().map(|r| r.n).collect();
        sizes.sort_by(f64::total_cmp);
        sizes.dedup();
        if sizes.len() >= 7 {
            let lo = sizes[rng.random_range(0..2usize)];
            let hi = sizes[sizes.len() - 1 - rng.random_range(0..2usize)];
            trimmed = runs
                .iter()
                .filter(|r| r.n >= lo && r.n <= hi)
                .copied()
                .collect();
            pool = &trimmed;
        }
    }
    (0..pool.len())
        .map(|_| pool[rng.random_range(0..pool.len())])
        .collect()
}

/// The profiles' analysis with intervals from the `bootstrap` (each
/// budget's runs resampled by `resample_budget` from the replicate's
/// stream of that budget, `Replicate::stream`; 0 replicates: none).
pub fn analyse(
    budgets: &[Vec<Run>],
    method: Profile,
    asked: &[f64],
    bootstrap: &Resampling,
) -> Result<ProfileReport> {
    let mut profiles = Vec::new();
    let mut points = Vec::new();
    for runs in budgets {
        let lc = mean_ln_compute(runs);
        let mut p = BudgetProfile {
            compute: budget_compute(runs),
            runs: runs.len(),
            n_opt: None,
            d_opt: None,
            loss_min: None,
            n_interval: None,
            note: None,
            minimum_outside: false,
            at_edge: false,
            caveats: Vec::new(),
            parabola: None,
            points: runs.iter().map(|r| (r.n, r.loss)).collect(),
        };
        match budget_optimum(runs, method) {
            Ok((ln_n, ln_d, l, parabola)) => {
                p.parabola = parabola;
                let lo = runs.iter().map(|r| r.n).fold(f64::INFINITY, f64::min);
                let hi = runs.iter().map(|r| r.n).fold(0.0, f64::max);
                p.minimum_outside = ln_n.exp() < lo || ln_n.exp() > hi;
                let u = position(ln_n, (lo.ln(), hi.ln()));
                p.at_edge = !(EDGE_SHARE..=1.0 - EDGE_SHARE).contains(&u);
                if p.at_edge && !p.minimum_outside {
                    p.caveats.push(
                        "minimum in the outer tenth of the sampled sizes: the fit pulls it \
                         toward their centre"
                            .into(),
                    );
                }
                let mut sizes: Vec<f64> = runs.iter().map(|r| r.n).collect();
                sizes.sort_by(f64::total_cmp);
                sizes.dedup();
                if method == Profile::Isoflop && sizes.len() == 3 {
                    p.caveats.push(
                        "3 sizes: the parabola passes through every run, nothing checks its shape"
                            .into(),
                    );
                }
                let best = runs.iter().map(|r| r.loss).fold(f64::INFINITY, f64::min);
                if method == Profile::Isoflop && l < best {
                    let spread = runs.iter().map(|r| r.loss).fold(0.0, f64::max) - best;
                    // Below the best run by more than half the
                    // budget's loss range: the vertex is not where the runs are.
                    if best - l > 0.5 * spread {
                        p.caveats.push(format!(
                            "its minimum {} lies {} below the best run's loss",
                            crate::numbers::sig(l, 4),
                            crate::numbers::sig(best - l, 2)
                        ));
                    }
                }
                p.n_opt = Some(ln_n.exp());
                p.d_opt = Some(ln_d.exp());
                p.loss_min = Some(l);
                points.push((lc, ln_n, ln_d));
            }
            Err(why) => {
                p.at_edge = why.contains(FAR_OUTSIDE) || why.contains(AT_THE_EDGE);
                p.note = Some(why)
            }
        }
        profiles.push(p);
    }
    let ((a, a0), (b, b0)) = regress(&points).ok_or_else(|| {
        Error::Fit(format!(
            "{} of {} budgets have a loss minimum inside their sampled sizes; the allocation \
             needs at least 2",
            points.len(),
            budgets.len()
        ))
    })?;
    let used: Vec<usize> = profiles
        .iter()
        .enumerate()
        .filter(|(_, p)| p.n_opt.is_some())
        .map(|(i, _)| i)
        .collect();
    // Bootstrap: resample each budget's runs; budgets whose replicate has no
    // minimum are left out of that replicate's regression.
    let reps = bootstrap.run(&|| {}, |rep| {
        let mut pts = Vec::new();
        let mut n_star = vec![None; budgets.len()];
        for (bi, runs) in budgets.iter().enumerate() {
            let sample = resample_budget(runs, method, &mut rep.stream(bi));
            if let Ok((ln_n, ln_d, _, _)) = budget_optimum(&sample, method) {
                let lc = mean_ln_compute(runs);
                pts.push((lc, ln_n, ln_d));
                n_star[bi] = Some(ln_n.exp());
            }
        }
        Some((regress(&pts), n_star))
    });
    for &i in &used {
        let v: Vec<f64> = reps.iter().filter_map(|r| r.1[i]).collect();
        if bootstrap.enough(v.len()) {
            let point = profiles[i].n_opt.map_or(f64::NAN, f64::ln);
            let ln = v.iter().map(|n| n.ln()).collect();
            let ln = method.interval(ln, point, bootstrap.level);
            profiles[i].n_interval = Some(Interval {
                lo: ln.lo.exp(),
                hi: ln.hi.exp(),
            });
        } else if bootstrap.replicates > 0 {
            profiles[i].caveats.push(format!(
                "no interval: {} of {} replicates had a minimum, fewer than half",
                v.len(),
                bootstrap.replicates
            ));
        }
    }
    let fits: Vec<((f64, f64), (f64, f64))> = reps.iter().filter_map(|r| r.0).collect();
    let replicates = fits.len();
    let enough = bootstrap.enough(replicates);
    let (slopes_n, slopes_d) = fits.iter().map(|f| (f.0 .0, f.1 .0)).unzip();
    let cs: Vec<f64> = used.iter().map(|&i| profiles[i].compute).collect();
    let compute_range = (
        cs.iter().cloned().fold(f64::INFINITY, f64::min),
        cs.iter().cloned().fold(0.0, f64::max),
    );
    // What the intervals cover, when there are any (a replicate converged).
    let any_interval = enough || profiles.iter().any(|p| p.n_interval.is_some());
    // The design check: when the sizes cannot locate the optimum, the
    // replicates share the bias, and their spread is not an interval.
    let design = DesignCheck::of(&profiles, budgets, a);
    let exponent_not_determined =
        exponent_undetermined(points.len(), bootstrap.replicates, enough, &design);
    let enough = enough && !design.not_determined;
    let mut report = ProfileReport {
        method,
        budgets: profiles,
        exponent_n: a,
        exponent_d: b,
        exponent_n_interval: enough.then(|| method.interval(slopes_n, a, bootstrap.level)),
        exponent_d_interval: enough.then(|| method.interval(slopes_d, b, bootstrap.level)),
        intercept_n: a0,
        intercept_d: b0,
        used: points.len(),
        level: bootstrap.level,
        interval_kind: any_interval.then_some(
            crate::selection::calibrate::IntervalKind::Bootstrap {
                level: bootstrap.level,
            },
        ),
        replicates,
        replicates_drawn: bootstrap.replicates,
        compute_range,
        rows: Vec::new(),
        curve: Vec::new(),
        replicate_fits: if enough { fits } else { Vec::new() },
        design,
        exponent_not_determined,
    };
    report.curve = super::curve(compute_range, asked, |c| {
        (report.optimum(c), report.band(c))
    });
    report.rows = asked
        .iter()
        .map(|&c| {
            let (n, d) = report.optimum(c);
            let band = report.band(c);
            ProfileRow {
                compute: c,
                n_opt: n,
                d_opt: d,
                n_interval: band.map(|b| b.0),
                d_interval: band.map(|b| b.1),
                extrapolated: report.extrapolates(c),
                not_determined: report.design.not_determined,
                growth_not_determined: report.growth_not_determined_at(c),
            }
        })
        .collect();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocate::Chinchilla;
    use rand::SeedableRng;

    /// An isoFLOP grid from a Chinchilla law: `per` sizes spread over a
    /// factor `spread` each side of the optimum at each budget, loss noise
    /// (multiplicative, sd `noise`).
    pub(crate) fn grid(
        law: &Chinchilla,
        budgets: &[f64],
        per: usize,
        spread: f64,
        noise: f64,
        seed: u64,
    ) -> Vec<Run> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::new();
        let mut line = 0;
        for &c in budgets {
            let (n0, _, _) = law.optimum(c);
            for k in 0..per {
                let t = -1.0 + 2.0 * k as f64 / (per - 1) as f64;
                let n = n0 * spread.powf(t);
                let d = c / (6.0 * n);
                let l = law.predict(n, d);
                // Box-Muller normal.
                let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                line += 1;
                out.push(Run {
                    n,
                    d,
                    c,
                    loss: l * (1.0 + noise * z),
                    budget: c,
                    line,
                });
            }
        }
        out
    }

    fn law() -> Chinchilla {
        Chinchilla::from_params(&[406.4, 0.34, 410.7, 0.28, 1.69]).unwrap()
    }

    const BUDGETS: [f64; 7] = [1e18, 3e18, 1e19, 3e19, 1e20, 3e20, 1e21];

    #[test]
    fn recovers_the_exponent_of_a_known_law() {
        let law = law();
        let runs = grid(&law, &BUDGETS, 9, 4.0, 0.0, 0);
        let groups = group(&runs, Budgets::Exact);
        assert_eq!(groups.len(), 7);
        let r = analyse(
            &groups,
            Profile::Isoflop,
            &[5e21],
            &Resampling::new(0, 0.9, 0),
        )
        .unwrap();
        assert_eq!(r.used, 7);
        assert!(
            (r.exponent_n - law.exponent_n()).abs() < 0.01,
            "{} vs {}",
            r.exponent_n,
            law.exponent_n()
        );
        assert!(
            (r.exponent_n + r.exponent_d - 1.0).abs() < 1e-9,
            "C = 6ND: a + b = 1"
        );
        // The allocation at 5e21 (within 10x of the largest budget: not flagged).
        let row = &r.rows[0];
        assert!((6.0 * row.n_opt * row.d_opt / 5e21 - 1.0).abs() < 1e-6);
        assert!(!row.extrapolated);
        assert!((row.n_opt / law.optimum(5e21).0 - 1.0).abs() < 0.1);
        // Grouping by gaps finds the same budgets.
        assert_eq!(group(&runs, Budgets::Gap(1.1)).len(), 7);
    }

    #[test]
    fn noisy_grids_are_recovered_and_the_interval_covers_near_nominal() {
        let law = law();
        let truth = law.exponent_n();
        let trials = 60;
        let mut covered = 0;
        let mut worst: f64 = 0.0;
        for seed in 0..trials {
            let runs = grid(&law, &BUDGETS, 9, 4.0, 0.003, seed);
            let r = analyse(
                &group(&runs, Budgets::Exact),
                Profile::Isoflop,
                &[],
                &Resampling::new(200, 0.9, seed),
            )
            .unwrap();
            worst = worst.max((r.exponent_n - truth).abs());
            let iv = r.exponent_n_interval.unwrap();
            // The parabola's own bias (~0.002 here) is part of the error.
            if iv.lo <= truth && truth <= iv.hi {
                covered += 1;
            }
        }
        let share = covered as f64 / trials as f64;
        eprintln!("isoflop synthetic: coverage {share}, worst error {worst}");
        assert!(worst < 0.02, "worst exponent error {worst}");
        assert!(
            (0.75..=0.99).contains(&share),
            "coverage of the 90% interval: {share}"
        );
    }

    #[test]
    fn a_budget_without_an_inside_minimum_is_left_out_with_a_reason() {
        let law = law();
        let mut runs = grid(&law, &BUDGETS, 9, 4.0, 0.0, 0);
        // The first budget: only sizes far above its optimum.
        for r in runs.iter_mut().take(9) {
            r.n *= 40.0;
            r.d = r.c / (6.0 * r.n);
            r.loss = law.predict(r.n, r.d);
        }
        let r = analyse(
            &group(&runs, Budgets::Exact),
            Profile::Isoflop,
            &[],
            &Resampling::new(0, 0.9, 0),
        )
        .unwrap();
        assert_eq!(r.used, 6);
        assert!(r.budgets[0]
            .note
            .as_deref()
            .unwrap()
            .contains("far outside the sampled sizes"));
    }

    #[test]
    fn envelope_follows_the_best_run() {
        let law = law();
        let runs = grid(&law, &BUDGETS, 9, 4.0, 0.0, 0);
        let r = analyse(
            &group(&runs, Budgets::Exact),
            Profile::Envelope,
            &[],
            &Resampling::new(0, 0.9, 0),
        )
        .unwrap();
        // The best run is the grid point nearest the optimum: within one
        // grid step (factor 4^(1/4)) of the truth, so the exponent is close.
        assert!((r.exponent_n - law.exponent_n()).abs() < 0.05);
    }

    /// A FLOPs column of 8ND (probe afc item 4): the group names the ratio,
    /// the parametric column says it is at 6ND, and max/min compares the
    /// methods at one budget (the parametric law at 6ND = C / r). A repeated
    /// budget is one row; a budget 100x past the runs is marked (item 5).
    #[test]
    fn a_flops_column_that_is_not_6nd_is_named_and_compared_at_one_budget() {
        use crate::allocate::methods::{allocate_group, AllocationMethod, Options};
        let law = law();
        let runs = grid(&law, &BUDGETS, 9, 4.0, 0.002, 1);
        let fit = crate::fit::FitOptions::default();
        let opts = |budgets| Options {
            method: AllocationMethod::All,
            budgets,
            grouping: Budgets::Exact,
            bootstrap: Resampling::new(0, 0.9, 0),
            fit: &fit,
        };
        let plain = allocate_group("", &runs, &opts(&[1e23, 1e23]));
        assert_eq!(plain.flops_per_6nd, None);
        let p = plain.parametric.as_ref().unwrap();
        assert_eq!(p.rows.len(), 1, "a repeated budget is one row");
        assert!(p.rows[0].extrapolated);
        assert!(
            plain
                .warnings
                .iter()
                .any(|w| w.contains("1e23 (2.0 decades above)")),
            "{:?}",
            plain.warnings
        );
        let ratio_6nd = plain.disagreement.as_ref().unwrap().n_ratio[0].1;
        let eight: Vec<Run> = runs
            .iter()
            .map(|r| Run {
                c: r.c * 4.0 / 3.0,
                budget: r.budget * 4.0 / 3.0,
                ..*r
            })
            .collect();
        let g = allocate_group("", &eight, &opts(&[1e23]));
        let r = g.flops_per_6nd.unwrap();
        assert!((r - 4.0 / 3.0).abs() < 1e-9, "{r}");
        assert!(
            g.warnings.iter().any(|w| w.contains("1.333 x 6ND")),
            "{:?}",
            g.warnings
        );
        // The same runs, the same disagreement: no artefact of the definition.
        let ratio = g.disagreement.as_ref().unwrap().n_ratio[0].1;
        assert!(
            (ratio / ratio_6nd - 1.0).abs() < 0.02,
            "max/min {ratio} vs {ratio_6nd} with C = 6ND"
        );
    }

    /// A budget of 3 sizes: its parabola passes through every run, and its
    /// missing interval has a reason (probe afc item 11).
    #[test]
    fn three_size_budgets_say_why_they_are_less_trusted() {
        let law = law();
        let runs = grid(&law, &BUDGETS, 3, 4.0, 0.003, 2);
        let r = analyse(
            &group(&runs, Budgets::Exact),
            Profile::Isoflop,
            &[],
            &Resampling::new(100, 0.9, 0),
        )
        .unwrap();
        for b in r.budgets.iter().filter(|b| b.n_opt.is_some()) {
            assert!(b.caveats.iter().any(|c| c.starts_with("3 sizes")), "{b:?}");
            assert!(
                b.n_interval.is_some() || b.caveats.iter().any(|c| c.starts_with("no interval")),
                "{b:?}"
            );
        }
        // Nine sizes: no caveat.
        let runs = grid(&law, &BUDGETS, 9, 4.0, 0.0, 0);
        let r = analyse(
            &group(&runs, Budgets::Exact),
            Profile::Isoflop,
            &[],
            &Resampling::new(0, 0.9, 0),
        )
        .unwrap();
        assert!(r.budgets.iter().all(|b| b.caveats.is_empty()));
    }

    /// Runs at `sizes` at every budget (the same model sizes throughout),
    /// loss noise `noise` as in [`grid`].
    fn fixed_sizes(law: &Chinchilla, sizes: &[f64], noise: f64, seed: u64) -> Vec<Run> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::new();
        for &c in &BUDGETS {
            for &n in sizes {
                let d = c / (6.0 * n);
                let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                out.push(Run {
                    n,
                    d,
                    c,
                    loss: law.predict(n, d) * (1.0 + noise * z),
                    budget: c,
                    line: out.len() + 2,
                });
            }
        }
        out
    }

    /// probe56 1: the same 5 sizes 2e8..8e8 at every budget while N_opt
    /// moves from 8.1e7 to 1.8e9: the design check fires for both profiles,
    /// the exponent's and the rows' intervals are not given, the rows are
    /// marked, and the warning names the cause and what to run.
    #[test]
    fn fixed_narrow_sizes_leave_the_optimum_not_determined() {
        let law = law();
        let sizes: Vec<f64> = (0..5).map(|i| 2e8 * 4f64.powf(i as f64 / 4.0)).collect();
        for seed in 0..3 {
            let runs = fixed_sizes(&law, &sizes, 0.01, seed);
            for method in [Profile::Isoflop, Profile::Envelope] {
                let r = analyse(
                    &group(&runs, Budgets::Exact),
                    method,
                    &[1e21, 1e23],
                    &Resampling::new(100, 0.95, seed),
                );
                // The envelope may keep fewer than 2 budgets: no allocation.
                let Ok(r) = r else {
                    assert_eq!(method, Profile::Envelope, "{r:?}");
                    continue;
                };
                let d = &r.design;
                assert!(d.same_sizes && d.windows_fixed, "{d:?}");
                assert_eq!(d.window_slope.map(|s| s.abs() < 1e-9), Some(true));
                assert!(d.not_determined && !d.edge_budgets.is_empty(), "{d:?}");
                assert!(r.exponent_n_interval.is_none() && r.exponent_d_interval.is_none());
                assert!(r
                    .rows
                    .iter()
                    .all(|x| x.not_determined && x.n_interval.is_none()));
                let w = r.design_warning().unwrap();
                assert!(
                    w.contains("every budget samples the same model sizes"),
                    "{w}"
                );
                assert!(w.contains("bracket the minimum at each budget"), "{w}");
                // Every budget the check calls "at the edge" is one.
                for b in r.budgets.iter().filter(|b| b.at_edge) {
                    assert!(
                        b.note.is_some()
                            || b.minimum_outside
                            || b.caveats.iter().any(|c| c.contains("outer tenth")),
                        "{b:?}"
                    );
                }
            }
        }
    }

    /// Sizes that move with compute (9 per budget, N_opt/8 .. 8 N_opt):
    /// the windows' slope is the law's exponent, no budget is at the edge,
    /// and the intervals are given. The same fixed sizes spread wide
    /// enough to hold every minimum well inside: fixed windows alone do
    /// not make the optimum undetermined.
    #[test]
    fn moving_or_wide_windows_pass_the_design_check() {
        let law = law();
        let runs = grid(&law, &BUDGETS, 9, 8.0, 0.01, 4);
        let r = analyse(
            &group(&runs, Budgets::Exact),
            Profile::Isoflop,
            &[1e22],
            &Resampling::new(100, 0.95, 4),
        )
        .unwrap();
        let d = &r.design;
        assert!(
            (d.window_slope.unwrap() - law.exponent_n()).abs() < 1e-6,
            "{d:?}"
        );
        assert!(
            !d.same_sizes && !d.windows_fixed && !d.not_determined,
            "{d:?}"
        );
        assert!(d.edge_budgets.is_empty(), "{d:?}");
        assert!(r.design_warning().is_none());
        assert!(r.exponent_n_interval.is_some() && r.rows[0].n_interval.is_some());
        assert!(!r.rows[0].not_determined);
        // 13 sizes 1e6 .. 1e12 at every budget: fixed, but every minimum
        // lies well inside.
        let wide: Vec<f64> = (0..13).map(|i| 1e6 * 10f64.powf(i as f64 / 2.0)).collect();
        let r = analyse(
            &group(&fixed_sizes(&law, &wide, 0.0, 0), Budgets::Exact),
            Profile::Isoflop,
            &[1e22],
            &Resampling::new(0, 0.95, 0),
        )
        .unwrap();
        assert!(
            r.design.windows_fixed && r.design.same_sizes,
            "{:?}",
            r.design
        );
        assert!(r.design.edge_budgets.is_empty(), "{:?}", r.budgets);
        assert!(!r.design.not_determined);
    }

    /// Sizes that move with compute but lie 3-48x above N_opt at every
    /// budget (probe58 3): every minimum is at the low edge; the design
    /// check says so and which way to move, and keeps the (wide) intervals.
    /// A well-placed grid does not get the warning.
    #[test]
    fn sizes_that_move_but_miss_the_minimum_are_warned_about() {
        let law = law();
        let shifted: Vec<Run> = grid(&law, &BUDGETS, 7, 4.0, 0.0, 0)
            .into_iter()
            .map(|r| {
                let n = r.n * 12.0;
                let d = r.c / (6.0 * n);
                Run {
                    n,
                    d,
                    loss: law.predict(n, d),
                    ..r
                }
            })
            .collect();
        let r = analyse(
            &group(&shifted, Budgets::Exact),
            Profile::Isoflop,
            &[1e21],
            &Resampling::new(100, 0.95, 1),
        )
        .unwrap();
        let d = &r.design;
        assert!(!d.windows_fixed && !d.not_determined, "{d:?}");
        assert!(d.edge_majority && d.edge_budgets.len() >= 4, "{d:?}");
        assert_eq!(d.edge_side, Some("smallest"));
        let w = r.design_warning().expect("a warning");
        assert!(w.contains("do not bracket the minimum"), "{w}");
        assert!(w.contains("Train smaller sizes"), "{w}");
        assert!(r.exponent_n_interval.is_some());
        let good = analyse(
            &group(&grid(&law, &BUDGETS, 7, 8.0, 0.01, 1), Budgets::Exact),
            Profile::Isoflop,
            &[1e21],
            &Resampling::new(0, 0.95, 1),
        )
        .unwrap();
        assert!(!good.design.edge_majority, "{:?}", good.design);
        assert!(good.design_warning().is_none());
    }

    /// A window that follows N_opt but with every minimum near its low end:
    /// each budget says so (a caveat), and the check does not declare the
    /// optimum undetermined (the windows move with compute).
    #[test]
    fn a_minimum_in_the_outer_tenth_is_a_caveat_of_its_budget() {
        let law = law();
        let mut runs = grid(&law, &BUDGETS, 9, 4.0, 0.0, 0);
        // 9 sizes over a 16x span from N_opt/1.15 up: the vertex near u = 0.05.
        for r in runs.iter_mut() {
            r.n *= 4.0 / 1.15;
            r.d = r.c / (6.0 * r.n);
            r.loss = law.predict(r.n, r.d);
        }
        let r = analyse(
            &group(&runs, Budgets::Exact),
            Profile::Isoflop,
            &[],
            &Resampling::new(0, 0.95, 0),
        )
        .unwrap();
        for b in &r.budgets {
            assert!(b.at_edge && !b.minimum_outside, "{b:?}");
            assert!(b.caveats.iter().any(|c| c.contains("outer tenth")), "{b:?}");
        }
        assert!(!r.design.windows_fixed && !r.design.not_determined);
    }

    /// Shuffled rows give the same report, bootstrap included, for both
    /// profiles (probe_fz item 3: each budget's runs were resampled in file
    /// order), and the envelope takes runs tied at the lowest loss by the
    /// mean of their ln N, whatever the rows' order (the first row won).
    #[test]
    fn shuffled_rows_give_identical_profiles_and_envelope_ties_take_the_middle() {
        let law = law();
        let mut runs = grid(&law, &BUDGETS, 9, 4.0, 0.003, 3);
        // A tie at the first budget: the runs either side of the best one
        // get the best loss, so three runs share it.
        let best = (0..9)
            .min_by(|&a, &b| runs[a].loss.total_cmp(&runs[b].loss))
            .unwrap();
        assert!(best > 1 && best < 7, "the grid's best run is well inside");
        let l = runs[best].loss;
        runs[best - 1].loss = l;
        runs[best + 1].loss = l;
        // A permutation with the lines the shuffled file would have.
        let mut shuffled = runs.clone();
        shuffled.reverse();
        shuffled.swap(3, 40);
        shuffled.swap(10, 20);
        for (k, r) in shuffled.iter_mut().enumerate() {
            r.line = k + 2;
        }
        for method in [Profile::Isoflop, Profile::Envelope] {
            for how in [Budgets::Exact, Budgets::Gap(1.1)] {
                let report = |runs: &[Run]| {
                    let r = analyse(
                        &group(runs, how),
                        method,
                        &[1e19, 5e21],
                        &Resampling::new(100, 0.9, 7),
                    )
                    .unwrap();
                    serde_json::to_string(&r).unwrap()
                };
                assert_eq!(report(&runs), report(&shuffled), "{method:?} {how:?}");
            }
        }
        let r = analyse(
            &group(&shuffled, Budgets::Exact),
            Profile::Envelope,
            &[],
            &Resampling::new(0, 0.9, 0),
        )
        .unwrap();
        // The grid is geometric in N: the middle of three tied runs.
        let (n_mid, n_opt) = (runs[best].n, r.budgets[0].n_opt.unwrap());
        assert!(
            (n_opt / n_mid - 1.0).abs() < 1e-12,
            "the middle of the tie: {n_opt} vs {n_mid}"
        );
    }

    /// The exponent is not determined by 2 budgets, nor when bootstrap
    /// replicates were drawn and fewer than half gave a regression; it is
    /// with 3 budgets and enough replicates, or with none asked, and an
    /// interval the design check removed is not counted again.
    #[test]
    fn an_exponent_on_two_budgets_or_failed_replicates_is_not_determined() {
        let ok = DesignCheck {
            window_slope: None,
            same_sizes: false,
            windows_fixed: false,
            not_determined: false,
            edge_majority: false,
            edge_side: None,
            edge_budgets: Vec::new(),
        };
        let design_nd = DesignCheck {
            not_determined: true,
            ..ok.clone()
        };
        assert!(exponent_undetermined(2, 1000, true, &ok));
        assert!(exponent_undetermined(2, 0, false, &ok));
        assert!(exponent_undetermined(5, 1000, false, &ok));
        assert!(!exponent_undetermined(3, 1000, true, &ok));
        assert!(!exponent_undetermined(3, 0, false, &ok));
        assert!(!exponent_undetermined(5, 1000, false, &design_nd));
        // On the well-bracketed noisy grids of the coverage test (7
        // budgets, 60 seeds) no method is flagged.
        let law = law();
        for seed in 0..60 {
            let runs = grid(&law, &BUDGETS, 9, 4.0, 0.003, seed);
            let groups = group(&runs, Budgets::Exact);
            for p in [Profile::Isoflop, Profile::Envelope] {
                let r = analyse(&groups, p, &[1e23], &Resampling::new(200, 0.9, seed)).unwrap();
                assert!(!r.exponent_not_determined, "{p:?} seed {seed}");
                assert!(r.exponent_not_determined_why().is_none());
                assert!(!r.rows[0].growth_not_determined);
            }
        }
        // Two of its budgets: flagged, said why, the row past them marked.
        let runs = grid(&law, &BUDGETS[..2], 9, 4.0, 0.003, 0);
        let r = analyse(
            &group(&runs, Budgets::Exact),
            Profile::Isoflop,
            &[1e23],
            &Resampling::new(200, 0.9, 0),
        )
        .unwrap();
        assert!(r.exponent_not_determined);
        let why = r.exponent_not_determined_why().unwrap();
        assert!(why.contains("rests on 2 budgets"), "{why}");
        assert!(r.rows[0].growth_not_determined);
    }
}
