//! What-if schedules: fit a schedule-aware law on the runs one has (several
//! schedules), then predict whole curves under schedules not run, with
//! bootstrap intervals; and search the WSD family (decay length for a fixed
//! step budget) for the schedule with the lowest predicted final loss.

use super::curve::LR_COLUMNS;
use super::job::Replicates;
use super::prior::{self, Priors};
use super::{fit_curves, Curve, CurveLaw, Schedule};
use crate::bootstrap::{percentile, Resampling};
use crate::law::Params;
use crate::stats::student_t_quantile;
use crate::table::Table;
use crate::{Error, Result};
use rayon::prelude::*;
use std::path::Path;

/// A schedule to predict: its name and a curve of steps with the learning
/// rate but no loss.
#[derive(Debug, Clone)]
pub struct Target {
    /// The schedule's name.
    pub name: String,
    /// Its steps and learning rates.
    pub curve: Curve,
}

impl Target {
    /// The schedule of a measured curve (its steps and learning rates, the
    /// losses left out), to forecast it as a target.
    pub fn from_curve(c: &Curve) -> Target {
        Target {
            name: c.name.clone(),
            curve: Curve {
                loss: vec![f64::NAN; c.len()],
                ..c.clone()
            },
        }
    }

    /// An analytic schedule evaluated every `every` steps from the end of its
    /// warmup (or `every`) to `total`, plus the steps of `at`.
    pub fn from_schedule(
        name: &str,
        s: Schedule,
        total: f64,
        every: f64,
        at: &[f64],
    ) -> Result<Target> {
        if !(every > 0.0 && every.is_finite()) {
            return Err(Error::setting(
                crate::error::Setting::Spacing,
                format!("must be a finite number > 0, got {every}"),
            ));
        }
        if !(total > 0.0 && total.is_finite()) {
            return Err(Error::setting(
                crate::error::Setting::Schedule,
                format!(
                    "schedule '{name}': the last step must be a finite number > 0, got {total}"
                ),
            ));
        }
        let first = if s.warmup > 0.0 { s.warmup } else { every };
        if total / every > 1e6 {
            return Err(Error::setting(
                crate::error::Setting::Schedule,
                format!(
                "schedule '{name}': {total} steps every {every} is over a million points; give a larger spacing"
            )));
        }
        let mut step: Vec<f64> = Vec::new();
        let mut t = first;
        while t < total {
            step.push(t);
            t += every;
        }
        step.push(total);
        for &a in at {
            if a > 0.0 && a.is_finite() {
                step.push(a);
            }
        }
        step.sort_by(f64::total_cmp);
        step.dedup();
        Ok(Target {
            name: name.to_string(),
            curve: Curve {
                name: name.to_string(),
                lr: Some(step.iter().map(|&t| s.at(t)).collect()),
                loss: vec![f64::NAN; step.len()],
                step,
                schedule: Some(s),
                untrained: vec![],
                lead: vec![],
            },
        })
    }

    /// A learning rate per step from a file (columns `step_col`, `lr_col`;
    /// `lr_col` "lr" absent, the first of the other [`LR_COLUMNS`] present,
    /// as `slaw forecast` finds them), predicted from its first peak rate on
    /// (the rise before it is taken as a linear warmup from 0).
    pub fn from_file(path: &Path, step_col: &str, lr_col: &str) -> Result<Target> {
        let t = Table::read(path)?;
        let si = t.column_index(step_col)?;
        let li = match t.column_index(lr_col) {
            Ok(i) => i,
            Err(e) if lr_col == LR_COLUMNS[0] => LR_COLUMNS[1..]
                .iter()
                .find_map(|c| t.column_index(c).ok())
                .ok_or(e)?,
            Err(e) => return Err(e),
        };
        let lr_name = t.columns[li].clone();
        let mut step = Vec::new();
        let mut lr = Vec::new();
        for r in 0..t.len() {
            let (s, l) = (t.number(r, si)?, t.number(r, li)?);
            // A first row at step 0 is the warmup's start (or the rate set
            // before the first update): no step trains at it, and the rate
            // before the first row is a linear ramp from 0 anyway.
            if s == 0.0 && step.is_empty() && l >= 0.0 {
                continue;
            }
            let broken = if s <= 0.0 {
                Some((step_col, "steps must be > 0"))
            } else if step.last().is_some_and(|&p| s <= p) {
                Some((
                    step_col,
                    "steps must increase (this one is not above the previous row's)",
                ))
            } else if l < 0.0 {
                Some((lr_name.as_str(), "learning rates must be >= 0"))
            } else {
                None
            };
            if let Some((col, rule)) = broken {
                return Err(t.name_rows(Error::input(&t.source, Some(t.line(r)), Some(col), rule)));
            }
            step.push(s);
            lr.push(l);
        }
        let peak = lr.iter().copied().fold(0.0, f64::max);
        let first = lr.iter().position(|&l| l >= peak).unwrap_or(0);
        let (step, lr) = (step[first..].to_vec(), lr[first..].to_vec());
        if step.len() < 2 || peak <= 0.0 {
            return Err(Error::input(
                &t.source,
                None,
                None,
                "a schedule file needs at least 2 rows after its peak learning rate, and a rate > 0",
            ));
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("schedule")
            .to_string();
        Ok(Target {
            curve: Curve {
                name: name.clone(),
                loss: vec![f64::NAN; step.len()],
                step,
                lr: Some(lr),
                schedule: None,
                untrained: vec![],
                lead: vec![],
            },
            name,
        })
    }
}

/// A predicted loss at one step of a target.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PredictedPoint {
    /// The step.
    pub step: f64,
    /// The predicted loss.
    pub loss: f64,
    /// Lower end of the interval, when computed.
    pub lo: Option<f64>,
    /// Upper end of the interval, when computed.
    pub hi: Option<f64>,
}

/// The predicted curve of one target schedule.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Prediction {
    /// The schedule's name.
    pub schedule: String,
    /// Every point of the schedule's curve; the last is the final loss.
    pub points: Vec<PredictedPoint>,
}

impl Prediction {
    /// The final point.
    pub fn last(&self) -> &PredictedPoint {
        self.points.last().expect("a target has points")
    }
    /// The predicted point at `step` (a step of the target's curve).
    pub fn at(&self, step: f64) -> Option<&PredictedPoint> {
        self.points.iter().find(|p| p.step == step)
    }
}

/// (step, observed loss, fitted loss) of a fitted run.
pub type FittedPoint = (f64, f64, f64);

/// What-if schedules: a law fitted on runs, every target predicted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WhatIf {
    /// The law.
    pub method: &'static str,
    /// Its formula.
    pub formula: String,
    /// The fitted parameters by name.
    pub params: Params,
    /// Whether the fit converged.
    pub converged: bool,
    /// The fitted runs and their points.
    pub runs: Vec<(String, usize)>,
    /// One prediction per target.
    pub predictions: Vec<Prediction>,
    /// The bootstrap behind the intervals, when computed.
    pub bootstrap: Option<Replicates>,
    /// What the points' `lo`/`hi` cover, as `slaw forecast`'s
    /// `interval_kind`: `backtest` at the level with the rolling-origin
    /// calibration and the schedule-transfer error (two runs or more), else
    /// `bootstrap` (with one run, a warning says what the intervals leave
    /// out); None without a bootstrap.
    pub interval_kind: Option<super::IntervalKind>,
    /// The best target of the search, when asked for.
    pub best: Option<Best>,
    /// Relative error of each run's final loss predicted from the other
    /// runs (leave one run out; empty with a single run).
    pub transfer_errors: Vec<f64>,
    /// Their root mean square: the schedule-transfer error the intervals
    /// add (in quadrature) to the bootstrap refit spread, times the Student
    /// t quantile with as many degrees of freedom as errors (a new error's
    /// prediction interval from so few: 2.35 for 3 runs at 90%, where the
    /// normal quantile is 1.64). The intervals cover both; without it (one
    /// run) only the refit spread.
    pub model_error: Option<f64>,
    /// Where a target's learning rate decays further than any fitted run's
    /// did: the range the intervals were widened to (the decay prior, as
    /// `slaw forecast`'s `decay_term`).
    pub decay_term: Option<super::job::DecayTerm>,
    /// The rolling-origin calibration of the law's extrapolation error
    /// along the steps (all runs cut at each origin step; `Fitted::calibration`):
    /// the intervals also add its half-width at each step, which grows with
    /// ln(step / last fitted step).
    pub calibration: Option<crate::extrapolation::Calibration>,
    /// What the reader should know.
    pub warnings: Vec<String>,
    /// The fitted runs' observed and fitted losses, for plots.
    #[serde(skip)]
    pub fitted: Vec<(String, Vec<FittedPoint>)>,
}

/// The search over a schedule family: the target with the lowest predicted
/// final loss.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Best {
    /// The best schedule.
    pub schedule: String,
    /// Its predicted final loss.
    pub final_loss: f64,
    /// The runner-up and how much higher its predicted final loss is.
    pub runner_up: Option<(String, f64)>,
    /// Share of the bootstrap replicates in which the best stays best: the
    /// noise of the fitted points only, not the schedule-transfer or
    /// extrapolation errors the intervals add (nor another noise draw's
    /// fit landing elsewhere): not the probability that it is the best.
    pub stays_best_over_point_noise: Option<f64>,
    /// Interval of (runner-up - best) over the replicates (point noise only).
    pub margin_interval: Option<(f64, f64)>,
    /// The targets not distinguishable from the best, the best included,
    /// in the search's order: those whose interval of ln(final loss) minus
    /// the best's reaches 0 or below. That interval adds, in quadrature, the
    /// replicates' spread of the difference and the schedule-transfer error
    /// of one prediction (`model_error` times its t quantile, two runs or
    /// more); `differences_cover` says which.
    pub not_distinguishable: Vec<String>,
    /// For each searched target, in the search's order: its predicted final
    /// loss minus the best's, in the loss's units and in ln(loss), and the
    /// interval of the ln difference (None without replicates or transfer
    /// error).
    pub differences: Vec<Difference>,
    /// What the differences' intervals cover: "point noise and schedule
    /// transfer" or "point noise only" (one run).
    pub differences_cover: Option<String>,
    /// The largest predicted final-loss difference from the best inside
    /// `not_distinguishable`: what choosing any of them may cost, as far as
    /// the runs can tell.
    pub largest_difference_in_set: f64,
    /// False when more than half of the searched targets are not
    /// distinguishable from the best: the runs do not decide.
    pub decided: bool,
    /// The fit's bound and unpinned-parameter warnings (also among the
    /// warnings), which the choice depends on.
    pub caveats: Vec<String>,
}

/// A searched target's predicted final loss against the best's.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Difference {
    /// The target's name.
    pub target: String,
    /// Its predicted final loss minus the best's, in the loss's units.
    pub loss_difference: f64,
    /// ln(its predicted final loss) - ln(the best's): the scale of
    /// `ln_interval`.
    pub ln_difference: f64,
    /// The interval of `ln_difference` (None without replicates or
    /// transfer error).
    pub ln_interval: Option<(f64, f64)>,
}

/// How to fit and predict what-if schedules.
pub struct Options {
    /// The law.
    pub method: CurveLaw,
    /// Bootstrap replicates for the intervals (0: none).
    pub bootstrap: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Level of the intervals.
    pub level: f64,
    /// Report the best of the targets from index `search_from` on.
    pub search_from: Option<usize>,
    /// The priors of the intervals (`Priors::shipped()`, as `slaw
    /// forecast`'s): the law's error prior pooled into the rolling-origin
    /// calibration when it has too few scores, the decay prior where a
    /// target decays further than the runs.
    pub priors: Priors,
}

/// Fit `opts.method` on every point of `runs`, predict every target.
pub fn what_if(runs: &[Curve], targets: &[Target], opts: &Options) -> Result<WhatIf> {
    if !opts.method.needs_lr() {
        return Err(Error::setting(
            crate::error::Setting::Method,
            format!(
                "the {} law does not read the schedule: use tissue or multipower",
                opts.method.name()
            ),
        ));
    }
    if runs.is_empty() || targets.is_empty() {
        return Err(Error::data(
            "what-if needs at least one run and one schedule",
        ));
    }
    // Too few replicates for a percentile interval at the level (one gives
    // an interval of zero width that need not hold the prediction).
    Resampling::new(opts.bootstrap, opts.level, opts.seed).check_replicates()?;
    // The same curve twice (a file given twice) would count as two runs:
    // the leave-one-run-out error would vanish and the intervals shrink.
    for (j, b) in runs.iter().enumerate() {
        if let Some(a) = runs[..j].iter().find(|a| {
            a.step == b.step
                && a.loss.len() == b.loss.len()
                && a.loss
                    .iter()
                    .zip(&b.loss)
                    .all(|(x, y)| x.to_bits() == y.to_bits())
        }) {
            return Err(Error::data(format!(
                "runs '{}' and '{}' are the same curve (the same steps and losses): give each run once",
                a.name, b.name
            )));
        }
    }
    // The fit, its bootstrap and the leave-one-run-out refits read the runs
    // in a canonical order (`canonical_order`): the bootstrap draws point
    // positions, so the runs listed in another order (files swapped, a
    // file's runs in another row order) drew other replicates and moved the
    // intervals at the same seed. The output keeps the runs' given order.
    let order = canonical_order(runs);
    let sorted: Vec<Curve> = order.iter().map(|&i| runs[i].clone()).collect();
    let mut at = vec![0; runs.len()];
    for (k, &i) in order.iter().enumerate() {
        at[i] = k;
    }
    let mut curves: Vec<Curve> = sorted.clone();
    curves.extend(targets.iter().map(|t| t.curve.clone()));
    let upto: Vec<usize> = curves
        .iter()
        .enumerate()
        .map(|(i, c)| if i < runs.len() { c.len() } else { 0 })
        .collect();
    let f = fit_curves(opts.method, &curves, &upto)?;
    let nr = runs.len();
    let how = Resampling::new(opts.bootstrap, opts.level, opts.seed);
    // A search's replicates start from every basin the multi-start found:
    // warm-started from the optimum alone they never leave its basin, and
    // the share in which the best stays best overstates its stability.
    let draws = if opts.search_from.is_some() {
        f.draws_from_optima(&how)
    } else {
        f.draws(&how)
    };
    let mut warnings = Vec::new();
    if !f.converged {
        warnings.push("the fit did not converge".to_string());
    }
    warnings.extend(same_names(runs));
    warnings.extend(super::one_model::warnings(runs));
    warnings.extend(
        runs.iter()
            .filter_map(|r| Some(format!("run '{}': {}", r.name, r.untrained_warning()?))),
    );
    warnings.extend(identifiability(f.result()));
    warnings.extend(before_the_runs(runs, targets));
    warnings.extend(far_past_the_runs(runs, targets));
    warnings.extend(follows_unpinned(&f, &sorted, targets));
    warnings.extend(peak_outside_the_runs(runs, targets));
    warnings.extend(warmup_outside_the_runs(opts.method, runs, targets));
    if opts.bootstrap > 0 && !how.enough(draws.len()) {
        warnings.push(format!(
            "only {} of {} bootstrap refits converged: the intervals are unreliable",
            draws.len(),
            opts.bootstrap
        ));
    }
    let calibration = (opts.bootstrap > 0)
        .then(|| f.calibration_with(opts.level, &opts.priors))
        .flatten();
    let loro = leave_one_run_out_in(&sorted, &order, opts.method);
    let model_error = (loro.len() >= 2)
        .then(|| (loro.iter().map(|e| e * e).sum::<f64>() / loro.len() as f64).sqrt());
    // The errors' mean is taken as 0: e / RMS is t-distributed with as
    // many degrees of freedom as errors.
    let z = student_t_quantile(0.5 + opts.level / 2.0, loro.len().max(1));
    let decay = opts
        .priors
        .decay(opts.method)
        .filter(|_| opts.bootstrap > 0)
        .map(|q| {
            (
                prior::quantile_at(q, 0.5 - opts.level / 2.0),
                prior::quantile_at(q, 0.5 + opts.level / 2.0),
            )
        });
    let seen = runs.iter().filter_map(decay_so_far).fold(0.0f64, f64::max);
    let mut most_ahead: Option<f64> = None;
    let predictions: Vec<Prediction> = targets
        .iter()
        .enumerate()
        .map(|(ti, t)| {
            let c = nr + ti;
            let ahead = decay_ahead_of(&t.curve, seen);
            // The predictions and the replicates' at every point, in
            // batches (`Fitted::predict_many`: the values of `predict`).
            let idx: Vec<(usize, usize)> = (0..t.curve.len()).map(|i| (c, i)).collect();
            let point_loss = f.predict_points(&idx);
            let boot: Vec<Option<crate::bootstrap::Interval>> = if draws.is_empty() {
                vec![None; idx.len()]
            } else {
                f.draw_intervals(&idx, &draws, opts.level)
                    .into_iter()
                    .map(Some)
                    .collect()
            };
            Prediction {
                schedule: t.name.clone(),
                points: (0..t.curve.len())
                    .map(|i| {
                        let iv = boot[i];
                        let loss = point_loss[i];
                        // Refit spread, schedule-transfer error and the
                        // calibrated extrapolation error, in quadrature.
                        let h = calibration
                            .as_ref()
                            .map_or(0.0, |c| c.half_width(t.curve.step[i]));
                        let (mut lo, mut hi) = iv
                            .filter(|_| loss > 0.0 && loss.is_finite())
                            .map(|v| widen_in_ln(loss, v, z * model_error.unwrap_or(0.0), h))
                            .unzip();
                        if let (Some((zl, zh)), Some(a), Some(l), Some(h)) =
                            (decay, ahead[i], lo, hi)
                        {
                            lo = Some(l.min(loss * (zl * a).exp()));
                            hi = Some(h.max(loss * (zh * a).exp()));
                            most_ahead = Some(most_ahead.map_or(a, |m: f64| m.max(a)));
                        }
                        PredictedPoint {
                            step: t.curve.step[i],
                            loss,
                            lo,
                            hi,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    warnings.extend(not_positive(&predictions));
    if opts.bootstrap > 0 && !draws.is_empty() && model_error.is_none() {
        warnings.push(format!(
            "the intervals leave out the schedule-transfer error (how far the law fitted on some \
             schedules misses another's loss): it is measured by leaving each run out, which \
             needs two runs each predicted from the others ({}); they are the refit spread{}{}, \
             not a prediction interval for another schedule. Fit runs of two or more schedules \
             to include it",
            if runs.len() == 1 {
                "one run here".to_string()
            } else {
                format!("{} of the {} runs here could be", loro.len(), runs.len())
            },
            if calibration.is_some() {
                " with the law's extrapolation error along the steps (about 0 up to the runs' \
                 last step)"
            } else {
                ""
            },
            if most_ahead.is_some() {
                " and the decay prior where a schedule decays further than the runs"
            } else {
                ""
            }
        ));
    }
    let best = opts.search_from.and_then(|from| {
        let finals: Vec<(usize, f64)> = (from..targets.len())
            .map(|ti| (ti, predictions[ti].last().loss))
            .filter(|(_, l)| *l > 0.0 && l.is_finite())
            .collect();
        let mut order = finals.clone();
        order.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (bi, bl) = *order.first()?;
        let runner = order.get(1).copied();
        let mut diff_iv: Vec<Option<(f64, f64)>> = vec![None; finals.len()];
        let transfer = model_error.map(|e| z * e);
        let (stays, margin) = match (runner, draws.is_empty()) {
            (Some((ri, _)), false) => {
                let last = |ti: usize| targets[ti].curve.len() - 1;
                let mut wins = 0;
                let mut gaps = Vec::new();
                let mut lnd: Vec<Vec<f64>> = vec![Vec::new(); finals.len()];
                for p in &draws {
                    let fin: Vec<f64> = finals
                        .iter()
                        .map(|&(ti, _)| f.predict_with(nr + ti, last(ti), p))
                        .collect();
                    let mine = f.predict_with(nr + bi, last(bi), p);
                    if fin.iter().all(|&v| mine <= v) {
                        wins += 1;
                    }
                    for (k, &v) in fin.iter().enumerate() {
                        if v > 0.0 && v.is_finite() && mine > 0.0 && mine.is_finite() {
                            lnd[k].push(v.ln() - mine.ln());
                        }
                    }
                    gaps.push(f.predict_with(nr + ri, last(ri), p) - mine);
                }
                gaps.sort_by(f64::total_cmp);
                let a = (1.0 - opts.level) / 2.0;
                for (k, &(_, l)) in finals.iter().enumerate() {
                    let mut v = std::mem::take(&mut lnd[k]);
                    if !how.enough(v.len()) {
                        continue;
                    }
                    v.sort_by(f64::total_cmp);
                    let d = l.ln() - bl.ln();
                    let (lo_b, hi_b) = (
                        (d - percentile(&v, a)).max(0.0),
                        (percentile(&v, 1.0 - a) - d).max(0.0),
                    );
                    let t = transfer.unwrap_or(0.0);
                    diff_iv[k] = Some((d - lo_b.hypot(t), d + hi_b.hypot(t)));
                }
                (
                    Some(wins as f64 / draws.len() as f64),
                    Some((percentile(&gaps, a), percentile(&gaps, 1.0 - a))),
                )
            }
            _ => (None, None),
        };
        // Without replicates, the transfer error alone.
        if draws.is_empty() {
            if let Some(t) = transfer {
                for (k, &(_, l)) in finals.iter().enumerate() {
                    let d = l.ln() - bl.ln();
                    diff_iv[k] = Some((d - t, d + t));
                }
            }
        }
        let within: Vec<usize> = finals
            .iter()
            .zip(&diff_iv)
            .filter(|&(&(ti, _), iv)| ti == bi || iv.is_some_and(|(lo, _)| lo <= 0.0))
            .map(|(&(ti, _), _)| ti)
            .collect();
        let largest = finals
            .iter()
            .filter(|(ti, _)| within.contains(ti))
            .map(|&(_, l)| l - bl)
            .fold(0.0f64, f64::max);
        let cover = diff_iv.iter().any(Option::is_some).then(|| {
            match (transfer.is_some(), draws.is_empty()) {
                (true, false) => "point noise and schedule transfer",
                (true, true) => "schedule transfer only",
                _ => "point noise only",
            }
            .to_string()
        });
        Some(Best {
            schedule: targets[bi].name.clone(),
            final_loss: bl,
            runner_up: runner.map(|(ri, rl)| (targets[ri].name.clone(), rl - bl)),
            stays_best_over_point_noise: stays,
            margin_interval: margin,
            not_distinguishable: within.iter().map(|&ti| targets[ti].name.clone()).collect(),
            differences: finals
                .iter()
                .zip(&diff_iv)
                .map(|(&(ti, l), iv)| Difference {
                    target: targets[ti].name.clone(),
                    loss_difference: l - bl,
                    ln_difference: l.ln() - bl.ln(),
                    ln_interval: *iv,
                })
                .collect(),
            differences_cover: cover,
            largest_difference_in_set: largest,
            decided: 2 * within.len() <= finals.len(),
            caveats: identifiability(f.result()),
        })
    });
    let decay_term = decay.zip(most_ahead).map(|((zl, zh), a)| super::job::DecayTerm {
        method: format!(
            "a target's learning rate decays further than any fitted run's (by more than {:.0}% of its peak): its interval there also spans the forecast times exp([{zl:.4}, {zh:.4}] x the decay beyond the runs), the {} range of the {} law's errors per unit of decay its fit had not seen (the decay prior, learned on the multi-power curves)",
            100.0 * prior::DECAY_NEGLIGIBLE,
            crate::numbers::percent(opts.level),
            opts.method.name()
        ),
        per_unit_decay: (zl, zh),
        decay_ahead: a,
    });
    Ok(WhatIf {
        // What the intervals cover, when there are any: none without a
        // converged refit, whatever was asked.
        // Predictive only with both the calibration along the steps and the
        // schedule-transfer error (two or more runs): with one run the
        // refit spread is all a new schedule's interval has.
        interval_kind: (opts.bootstrap > 0 && !draws.is_empty()).then_some(
            match (&calibration, model_error) {
                (Some(_), Some(_)) => super::IntervalKind::Backtest { level: opts.level },
                _ => super::IntervalKind::Bootstrap { level: opts.level },
            },
        ),
        calibration,
        decay_term,
        transfer_errors: loro,
        model_error,
        method: opts.method.name(),
        formula: f.law.formula.clone(),
        params: Params::new(f.law.param_names_owned(), f.params.clone()),
        converged: f.converged,
        runs: runs
            .iter()
            .map(|r| (r.name.clone(), r.observed()))
            .collect(),
        predictions,
        bootstrap: (opts.bootstrap > 0).then_some(Replicates {
            replicates: opts.bootstrap,
            converged: draws.len(),
            level: opts.level,
            first_where_negligible: None,
            asked: None,
            band_points: None,
        }),
        best,
        warnings,
        fitted: runs
            .iter()
            .enumerate()
            .map(|(c, r)| {
                (
                    r.name.clone(),
                    (0..r.len())
                        .map(|i| (r.step[i], r.loss[i], f.predict(at[c], i)))
                        .collect(),
                )
            })
            .collect(),
    })
}

/// Runs that share a name (e.g. `constant_24000.csv` of two model sizes):
/// they are fitted as runs of one law, which is right only for one model.
fn same_names(runs: &[Curve]) -> Vec<String> {
    let mut out = Vec::new();
    for (j, b) in runs.iter().enumerate() {
        let before = runs[..j].iter().filter(|a| a.name == b.name).count();
        if before == 1 {
            out.push(format!(
                "{} runs are named '{}': every run is fitted by one law (one model and data); \
                 if they come from different models, fit them separately",
                runs.iter().filter(|a| a.name == b.name).count(),
                b.name
            ));
        }
    }
    out
}

/// Per predicted schedule, where its final loss follows a direction of
/// the fit the runs do not pin (`identify::unpinned_shift`): a step along
/// it that leaves every fitted point in place moves the prediction (the
/// annealing terms, fitted on constant-rate runs alone, for a schedule that
/// decays). A schedule the runs pin (another constant rate) is not named.
fn follows_unpinned(f: &super::Fitted, runs: &[Curve], targets: &[Target]) -> Vec<String> {
    let nr = runs.len();
    let u = f.law.to_internal(&f.params);
    let id = &f.result().identifiability;
    if id.flat_directions.is_empty() {
        return vec![];
    }
    let (lo, hi) = f.result().search_bounds();
    let window = |v: &[f64]| {
        let p = f.law.to_natural(v);
        runs.iter()
            .enumerate()
            .flat_map(|(c, r)| (0..r.len()).map(move |i| (c, i)))
            .map(|(c, i)| f.predict_with(c, i, &p))
            .collect::<Vec<f64>>()
    };
    let shifts: Vec<(&str, f64, Vec<String>)> = targets
        .iter()
        .enumerate()
        .filter_map(|(ti, t)| {
            let last = t.curve.len().checked_sub(1)?;
            let (shift, names) =
                crate::identify::unpinned_shift(&f.law, &u, (&lo, &hi), id, window, |v| {
                    f.predict_with(nr + ti, last, &f.law.to_natural(v))
                })?;
            Some((t.name.as_str(), shift, names))
        })
        .collect();
    // One line per set of parameters followed: a search over the WSD
    // family would otherwise repeat it for every decay length.
    type Group<'a> = (&'a [String], Vec<(&'a str, f64)>);
    let mut groups: Vec<Group> = Vec::new();
    for (name, shift, names) in &shifts {
        match groups.iter_mut().find(|g| g.0 == names.as_slice()) {
            Some(g) => g.1.push((name, *shift)),
            None => groups.push((names.as_slice(), vec![(name, *shift)])),
        }
    }
    groups
        .into_iter()
        .map(|(names, of)| {
            let text = crate::identify::shift_text;
            let tail = "(the fitted points by less than a tenth of that); fit runs whose \
                        schedules vary as these do";
            if let [(name, shift)] = of[..] {
                return format!(
                    "the prediction for '{name}' follows {}, which the runs do not pin: moving \
                     along a direction the fitted points do not see moves its final loss by up \
                     to {} {}",
                    names.join(", "),
                    text(shift),
                    tail.replace("these do", "this one does"),
                );
            }
            let (lo, hi) = of.iter().fold((f64::INFINITY, 0f64), |(a, b), s| {
                (a.min(s.1.abs()), b.max(s.1.abs()))
            });
            let shown: Vec<String> = of.iter().take(3).map(|s| format!("'{}'", s.0)).collect();
            format!(
                "the predictions for {} schedules ({}{}) follow {}, which the runs do not pin: \
                 moving along a direction the fitted points do not see moves their final losses \
                 by up to {} ({} for the least affected) {tail}",
                of.len(),
                shown.join(", "),
                if of.len() > shown.len() { ", ..." } else { "" },
                names.join(", "),
                text(hi),
                text(lo),
            )
        })
        .collect()
}

/// The fit's parameters at a bound of their range, and those the runs do
/// not pin (a flat direction, or still at the start), as `slaw forecast`
/// warns: predictions for schedules unlike the runs depend on them.
fn identifiability(r: &crate::fit::FitResult) -> Vec<String> {
    let list = |v: &[&str]| v.join(", ");
    let mut out = Vec::new();
    let bounded: Vec<&str> = r.at_bounds.iter().map(String::as_str).collect();
    if !bounded.is_empty() {
        out.push(format!(
            "{} at a bound of {} range: the runs do not pin {}, and the predictions may follow \
             the bound",
            list(&bounded),
            if bounded.len() == 1 { "its" } else { "their" },
            if bounded.len() == 1 { "it" } else { "them" }
        ));
    }
    let rest: Vec<&str> = r
        .unidentified()
        .iter()
        .map(String::as_str)
        .filter(|p| !bounded.contains(p))
        .collect();
    if !rest.is_empty() {
        out.push(format!(
            "{} not pinned by the runs (a flat direction of the fit, or still at the starting \
             value): predictions for schedules unlike the runs depend on values the data did not \
             choose",
            list(&rest)
        ));
    }
    out
}

/// The interval of a what-if prediction `loss` (> 0) at one step: the
/// bootstrap percentiles `iv` widened in ln L, as `Fitted::intervals` widens
/// `slaw forecast`'s — each end's distance from the prediction in ln units
/// in quadrature with the schedule-transfer error `transfer` (a relative
/// error, t times the leave-one-run-out RMS) and the calibrated
/// extrapolation half-width `h` (ln units). The two errors widen both ends
/// alike, so the prediction lies inside even when every refit falls on
/// one side of it, and both ends stay > 0; a lower percentile at or below
/// 0 (refits that predict no positive loss) gives a lower end of 0.
fn widen_in_ln(loss: f64, iv: crate::bootstrap::Interval, transfer: f64, h: f64) -> (f64, f64) {
    let extra = transfer.hypot(h);
    let (below, above) = iv.ln_beyond(loss);
    (
        loss * (-below.hypot(extra)).exp(),
        loss * above.hypot(extra).exp(),
    )
}

/// How far a predicted schedule's peak learning rate may lie outside the
/// fitted runs' peaks before it is said (recorded rates are rounded).
const PEAK_TOLERANCE: f64 = 0.02;

/// The peak learning rate of a curve: its schedule's, else the highest
/// recorded rate.
fn peak_lr(c: &Curve) -> Option<f64> {
    match c.schedule {
        Some(s) => Some(s.peak),
        None => {
            c.lr.as_ref()
                .map(|lr| lr.iter().copied().fold(0.0f64, f64::max))
        }
    }
    .filter(|p| *p > 0.0 && p.is_finite())
}

/// Targets whose peak learning rate lies outside the range of the fitted
/// runs' peaks: the law's parameters hold for the peaks the runs had, and
/// a what-if at another peak extrapolates them (the laws were published for
/// one peak rate; a higher peak can predict a loss far below any run's, or
/// below 0).
fn peak_outside_the_runs(runs: &[Curve], targets: &[Target]) -> Vec<String> {
    let peaks: Vec<f64> = runs.iter().filter_map(peak_lr).collect();
    let (Some(lo), Some(hi)) = (
        peaks.iter().copied().reduce(f64::min),
        peaks.iter().copied().reduce(f64::max),
    ) else {
        return vec![];
    };
    let range = if lo == hi {
        format!("the fitted runs' peak ({})", crate::numbers::short(hi))
    } else {
        format!(
            "the fitted runs' peaks ({} to {})",
            crate::numbers::short(lo),
            crate::numbers::short(hi)
        )
    };
    targets
        .iter()
        .filter_map(|t| {
            let p = peak_lr(&t.curve)?;
            let how = if p > hi * (1.0 + PEAK_TOLERANCE) {
                format!("{}x above", crate::numbers::short(p / hi))
            } else if p < lo / (1.0 + PEAK_TOLERANCE) {
                format!("{}x below", crate::numbers::short(lo / p))
            } else {
                return None;
            };
            Some(format!(
                "schedule '{}' peaks at a learning rate of {}, {how} {range}: the law was fitted \
                 at the runs' peak rates, and its prediction at another peak extrapolates it \
                 (run a schedule at this peak to check)",
                t.name,
                crate::numbers::short(p)
            ))
        })
        .collect()
}

/// How much shorter than the fitted runs' a predicted schedule's warmup may
/// be (a factor) before it is said.
const WARMUP_FACTOR: f64 = 2.0;

/// A warmup's length in words: "N steps", or "none".
fn describe_warmup(w: f64) -> String {
    if w > 0.0 {
        format!("{} steps", crate::numbers::short(w))
    } else {
        "none".to_string()
    }
}

/// Targets whose warmup is shorter than the fitted runs' (by more than a
/// factor [`WARMUP_FACTOR`]; none where the runs had one), for the law that
/// puts the warmup in its drop sum (`multipower-warmup`): the warmup's rise
/// enters as negative drops that raise the loss for the rest of training,
/// so a what-if without the runs' warmup drops that term and predicts a loss
/// lower than the law was fitted to show (probe48: a constant schedule
/// without warmup 4% below the measured run, its interval missing it). A
/// longer warmup moves the same rise later, a small effect (0.1% for 10000
/// steps against 2176), and is not said. A run's warmup is where its decay
/// is measured from (a recorded rise, or its first recorded step after the
/// assumed rise from 0).
fn warmup_outside_the_runs(method: CurveLaw, runs: &[Curve], targets: &[Target]) -> Vec<String> {
    if method != CurveLaw::MultiPowerWarmup {
        return vec![];
    }
    let w: Vec<f64> = runs.iter().map(Curve::decay_start).collect();
    let (Some(lo), Some(hi)) = (
        w.iter().copied().reduce(f64::min),
        w.iter().copied().reduce(f64::max),
    ) else {
        return vec![];
    };
    let range = if lo == hi || lo <= 0.0 {
        describe_warmup(hi)
    } else {
        format!(
            "{} to {} steps",
            crate::numbers::short(lo),
            crate::numbers::short(hi)
        )
    };
    targets
        .iter()
        .filter_map(|t| {
            let wt = t.curve.decay_start();
            (wt < lo / WARMUP_FACTOR).then(|| {
                format!(
                    "schedule '{}' {} where the fitted runs warmed up over {range} \
                     (a run's warmup: its recorded rise, or the rise from 0 assumed before its \
                     first recorded step): the {} law counts the warmup's rise as negative drops \
                     that raise the loss for the rest of training, so a shorter warmup predicts a \
                     lower loss: this prediction extrapolates the law to a warmup the runs did not \
                     have (give the schedule the runs' warmup, or use \
                     the multipower law, whose drop sum starts after the warmup)",
                    t.name,
                    if wt > 0.0 {
                        format!("warms up over {}", describe_warmup(wt))
                    } else {
                        "has no warmup".to_string()
                    },
                    method.name()
                )
            })
        })
        .collect()
}

/// Predicted schedules whose loss is not > 0 at some step: the law is
/// extrapolated where it no longer holds (a loss is > 0); those points have
/// no interval.
fn not_positive(predictions: &[Prediction]) -> Vec<String> {
    predictions
        .iter()
        .filter_map(|p| {
            let bad: Vec<&PredictedPoint> = p
                .points
                .iter()
                .filter(|q| !(q.loss > 0.0 && q.loss.is_finite()))
                .collect();
            let first = bad.first()?;
            Some(format!(
                "the law predicts a loss that is not > 0 for schedule '{}' at {} of its {} \
                 points, the first at step {} ({}): the law does not hold there (a loss is \
                 > 0), so those points have no interval; the schedule lies too far from the \
                 runs for this law",
                p.schedule,
                bad.len(),
                p.points.len(),
                crate::numbers::num(first.step),
                crate::numbers::num(first.loss)
            ))
        })
        .collect()
}

/// Targets whose last step lies before every fitted point: the law is
/// extrapolated backwards, to steps it was not fitted at.
fn before_the_runs(runs: &[Curve], targets: &[Target]) -> Vec<String> {
    let first = logged_steps(runs).fold(f64::INFINITY, f64::min);
    targets
        .iter()
        .filter_map(|t| {
            let last = *t.curve.step.last()?;
            (last < first).then(|| {
                super::backwards_warning(
                    &format!(
                        "schedule '{}' ends at step {}",
                        t.name,
                        crate::numbers::num(last)
                    ),
                    "the runs'",
                    first,
                    false,
                )
            })
        })
        .collect()
}

/// The steps of `runs` with a logged loss.
fn logged_steps(runs: &[Curve]) -> impl Iterator<Item = f64> + '_ {
    runs.iter()
        .flat_map(|r| r.step.iter().zip(&r.loss).filter(|(_, l)| !l.is_nan()))
        .map(|(s, _)| *s)
}

/// Schedules ending more than [`FAR_PAST_DECADES`] decades past the runs'
/// last logged step: a warning each (a budget given in tokens, not steps?).
fn far_past_the_runs(runs: &[Curve], targets: &[Target]) -> Vec<String> {
    let last = logged_steps(runs).fold(0.0, f64::max);
    targets
        .iter()
        .filter_map(|t| {
            let end = *t.curve.step.last()?;
            let d = (end / last).log10();
            (last > 0.0 && d > FAR_PAST_DECADES).then(|| {
                format!(
                    "schedule '{}' ends at step {}, {} past the runs' last step ({}): the law is \
                     extrapolated that far, past the distances its intervals were calibrated \
                     on (a budget given in tokens rather than steps?)",
                    t.name,
                    crate::numbers::num(end),
                    crate::numbers::decades(d),
                    crate::numbers::num(last)
                )
            })
        })
        .collect()
}

/// How far past the runs (decades of steps) a schedule may end unwarned.
const FAR_PAST_DECADES: f64 = 1.0;

/// The WSD family for a budget of `total` steps: decays ending at `total`
/// whose length is each fraction of `fractions` of the steps after warmup
/// (named "wsd decay F% (from step S)").
pub fn wsd_family(
    peak: f64,
    final_lr: f64,
    warmup: f64,
    total: f64,
    shape: &str,
    fractions: &[f64],
) -> Result<Vec<(String, Schedule)>> {
    if let Some(f) = fractions.iter().find(|f| !(**f > 0.0 && **f <= 1.0)) {
        return Err(crate::Error::setting(
            crate::error::Setting::Schedule,
            format!(
                "the WSD decay fractions (each the decay's share of the steps after warmup) \
                 must be in (0, 1]; got {f}"
            ),
        ));
    }
    fractions
        .iter()
        .map(|&f| {
            let start = total - f * (total - warmup);
            let spec = format!(
                "wsd:peak={peak},final={final_lr},warmup={warmup},total={total},decay_start={start},decay={shape}"
            );
            let name = format!(
                "wsd decay {} (from step {start:.0})",
                crate::numbers::percent(f)
            );
            Schedule::parse(&spec).map(|s| (name, s))
        })
        .collect()
}

/// The runs' positions in a canonical order: by name, then by their points
/// (steps, losses, learning rates, each by `total_cmp`), then position
/// (runs equal in all of these are the same curve, refused by `what_if`).
fn canonical_order(runs: &[Curve]) -> Vec<usize> {
    fn slices(a: &[f64], b: &[f64]) -> std::cmp::Ordering {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| a.len().cmp(&b.len()))
    }
    let mut idx: Vec<usize> = (0..runs.len()).collect();
    idx.sort_by(|&a, &b| {
        let (x, y) = (&runs[a], &runs[b]);
        x.name
            .cmp(&y.name)
            .then_with(|| slices(&x.step, &y.step))
            .then_with(|| slices(&x.loss, &y.loss))
            .then_with(|| match (&x.lr, &y.lr) {
                (Some(p), Some(q)) => slices(p, q),
                (p, q) => p.is_some().cmp(&q.is_some()),
            })
            .then(a.cmp(&b))
    });
    idx
}

/// `leave_one_run_out` on the runs `sorted` (the given runs at positions
/// `order`), its errors in the given runs' order.
fn leave_one_run_out_in(sorted: &[Curve], order: &[usize], method: CurveLaw) -> Vec<f64> {
    if sorted.len() < 2 {
        return vec![];
    }
    let errors: Vec<Option<f64>> = (0..sorted.len())
        .into_par_iter()
        .map(|r| left_out_error(sorted, r, method))
        .collect();
    let mut given = vec![None; sorted.len()];
    for (k, &i) in order.iter().enumerate() {
        given[i] = errors[k];
    }
    given.into_iter().flatten().collect()
}

/// For each run, the relative error of its final loss predicted by the law
/// fitted on the other runs (runs whose leave-out fit fails are skipped).
/// The refits are independent: they run in parallel, their errors in the
/// runs' order (the errors of a serial loop, `leave_one_run_out_serial`).
pub fn leave_one_run_out(runs: &[Curve], method: CurveLaw) -> Vec<f64> {
    if runs.len() < 2 {
        return vec![];
    }
    (0..runs.len())
        .into_par_iter()
        .filter_map(|r| left_out_error(runs, r, method))
        .collect()
}

/// `leave_one_run_out` one refit after the other (the reference its
/// parallel refits are tested against).
#[cfg(test)]
fn leave_one_run_out_serial(runs: &[Curve], method: CurveLaw) -> Vec<f64> {
    if runs.len() < 2 {
        return vec![];
    }
    (0..runs.len())
        .filter_map(|r| left_out_error(runs, r, method))
        .collect()
}

/// The relative error of run `r`'s final loss predicted by the law fitted
/// on the other runs (None when that fit fails or does not converge).
fn left_out_error(runs: &[Curve], r: usize, method: CurveLaw) -> Option<f64> {
    let mut curves: Vec<Curve> = runs
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != r)
        .map(|(_, c)| c.clone())
        .collect();
    curves.push(runs[r].clone());
    let upto: Vec<usize> = curves
        .iter()
        .enumerate()
        .map(|(i, c)| if i + 1 < curves.len() { c.len() } else { 0 })
        .collect();
    let f = fit_curves(method, &curves, &upto)
        .ok()
        .filter(|f| f.converged)?;
    let c = curves.len() - 1;
    let last = (0..runs[r].len())
        .rev()
        .find(|&i| !runs[r].loss[i].is_nan())?;
    let obs = runs[r].loss[last];
    let e = (f.predict(c, last) - obs) / obs;
    e.is_finite().then_some(e)
}

/// The deepest decay of a curve's learning rate after its warmup, as a
/// fraction of its peak rate there (None without a learning rate).
fn decay_so_far(c: &Curve) -> Option<f64> {
    let path = c.lr_path()?;
    let w0 = c.decay_start();
    let lrs: Vec<f64> = c
        .step
        .iter()
        .filter(|&&s| s >= w0)
        .map(|&s| path.at(s))
        .collect();
    let peak = lrs.iter().copied().fold(0.0f64, f64::max);
    let min = lrs.iter().copied().fold(f64::INFINITY, f64::min);
    (peak > 0.0 && min.is_finite()).then(|| (peak - min) / peak)
}

/// At each step of a target, how much further its rate has decayed (fraction
/// of its peak after warmup) than `seen`, where that is more than
/// `prior::DECAY_NEGLIGIBLE`.
fn decay_ahead_of(c: &Curve, seen: f64) -> Vec<Option<f64>> {
    let Some(path) = c.lr_path() else {
        return vec![None; c.len()];
    };
    let w0 = c.decay_start();
    let peak = c
        .step
        .iter()
        .filter(|&&s| s >= w0)
        .map(|&s| path.at(s))
        .fold(0.0f64, f64::max);
    if peak <= 0.0 {
        return vec![None; c.len()];
    }
    let mut min = f64::INFINITY;
    c.step
        .iter()
        .map(|&s| {
            if s >= w0 {
                min = min.min(path.at(s));
            }
            let a = (peak - min) / peak - seen;
            (min.is_finite() && a > prior::DECAY_NEGLIGIBLE).then_some(a)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::Interval;

    /// The leave-one-run-out refits in parallel give the serial loop's
    /// errors, in its order, to the bit: three synthetic runs (constant,
    /// cosine and WSD schedules with a warmup) whose loss falls with the
    /// forward area and drops with the rate, with a deterministic ripple.
    #[test]
    fn parallel_leave_one_run_out_is_the_serial_loop() {
        let step: Vec<f64> = (1..=48).map(|k| 250.0 * k as f64).collect();
        let run = |name: &str, lr: &dyn Fn(f64) -> f64| {
            let mut s1 = 0.0;
            let mut prev = 0.0;
            let loss = step
                .iter()
                .enumerate()
                .map(|(k, &t)| {
                    s1 += lr(t) * (t - prev);
                    prev = t;
                    let ripple = 2e-3 * ((k * 7919 % 13) as f64 / 13.0 - 0.5);
                    3.0 + 0.6 * s1.powf(-0.4) - 400.0 * (3e-4 - lr(t)) + ripple
                })
                .collect();
            Curve {
                name: name.into(),
                step: step.clone(),
                lr: Some(step.iter().map(|&t| lr(t)).collect()),
                loss,
                schedule: None,
                untrained: vec![],
                lead: vec![],
            }
        };
        let warm = |t: f64| (t / 1000.0).min(1.0);
        let runs = [
            run("constant", &|t| 3e-4 * warm(t)),
            run("cosine", &|t| {
                3e-4 * warm(t) * (0.55 + 0.45 * (std::f64::consts::PI * t / 12_000.0).cos())
            }),
            run("wsd", &|t| {
                3e-4 * warm(t)
                    * if t < 9000.0 {
                        1.0
                    } else {
                        1.0 - 0.8 * (t - 9000.0) / 3000.0
                    }
            }),
        ];
        let parallel = leave_one_run_out(&runs, CurveLaw::MultiPower);
        let serial = leave_one_run_out_serial(&runs, CurveLaw::MultiPower);
        assert!(parallel.len() >= 2, "{parallel:?}");
        let bits = |v: &[f64]| v.iter().map(|e| e.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&parallel), bits(&serial), "{parallel:?} {serial:?}");
    }

    /// probe_rd 20: `--decay-fractions 0.125` was named "wsd decay 12%"
    /// (`{:.0}%`); the level's rule, `numbers::percent`, reads 12.5%.
    #[test]
    fn wsd_family_names_a_fraction_with_its_digits() {
        let fam = wsd_family(3e-4, 3e-5, 100.0, 1100.0, "linear", &[0.125, 0.2]).unwrap();
        assert_eq!(fam[0].0, "wsd decay 12.5% (from step 975)");
        assert_eq!(fam[1].0, "wsd decay 20% (from step 900)");
    }

    /// probe_fz 1, 2: the errors were added in linear space, with the sign
    /// of each percentile's side: a lower end below 0 and, when every refit
    /// fell on one side, the prediction as one end.
    #[test]
    fn what_if_intervals_widen_both_ends_in_ln_loss() {
        // Both percentiles below the prediction (one replicate).
        let (lo, hi) = widen_in_ln(3.0, Interval { lo: 2.9, hi: 2.9 }, 0.01, 0.0);
        assert!(lo < 2.9 && hi > 3.0, "{lo} {hi}");
        assert!(
            (hi / 3.0).ln() - 0.01 < 1e-12,
            "the upper end: the errors alone"
        );
        // Symmetric in ln L for the errors alone.
        let (lo, hi) = widen_in_ln(3.0, Interval { lo: 3.0, hi: 3.0 }, 0.3, 0.4);
        assert!(((3.0 / lo).ln() - 0.5).abs() < 1e-12 && ((hi / 3.0).ln() - 0.5).abs() < 1e-12);
        // Large errors: still > 0 (linear space gave 3 - 3 * 1.5 < 0).
        let (lo, _) = widen_in_ln(3.0, Interval { lo: 2.0, hi: 4.0 }, 1.5, 0.0);
        assert!(lo > 0.0, "{lo}");
        // Refits that predict no positive loss: a lower end of 0, not NaN.
        let (lo, hi) = widen_in_ln(3.0, Interval { lo: -1.0, hi: 4.0 }, 0.1, 0.0);
        assert_eq!(lo, 0.0);
        assert!(hi > 4.0);
        // No finite refit: the errors alone.
        let (lo, hi) = widen_in_ln(
            3.0,
            Interval {
                lo: f64::NAN,
                hi: f64::NAN,
            },
            0.1,
            0.0,
        );
        assert!(lo < 3.0 && hi > 3.0 && lo.is_finite() && hi.is_finite());
    }
}
