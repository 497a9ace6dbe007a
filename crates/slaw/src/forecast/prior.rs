//! Priors of the forecast intervals, learned from other curves' early-to-final
//! errors: what a window cannot calibrate by itself.
//!
//! - **Error prior** (per step-only law): the law's error at a curve's last
//!   point when fitted on its early part, per unit of extrapolation distance,
//!   |ln L - ln forecast| / ln(last step / last fitted step). A window too
//!   short for a conformal rank of its own rolling-origin scores pools them
//!   with the prior's [`K`] pseudo-scores (`extrapolation::calibrate_along`).
//! - **Decay prior** (per law): on curves whose learning rate still decays
//!   after the window (a step-only law, which ignores the schedule, or a
//!   schedule-aware law whose annealing terms the window does not pin), the
//!   signed error ln L - ln forecast at the last point per unit of the decay
//!   still ahead (fraction of the window's peak rate). The interval at a step
//!   with decay D ahead then also spans ln forecast + [z_lo, z_hi] D, the
//!   prior's quantiles at (1 -+ level) / 2 (`job::run`).
//!
//! Both are learned on public curves ([`windows`]) and shipped as constant
//! tables ([`Priors::shipped`]), re-derived by `tests/priors.rs`; their
//! coverage is measured leaving out the family (error prior) or the schedule
//! (decay prior, the only curves with a recorded schedule being the
//! multi-power ones) a curve belongs to (BENCHMARKS.md).

use super::job::window_decay;
use super::protocol::misfitting_runs;
use super::{fit_curves, Curve, CurveLaw};
use crate::learning_curves::synthetic_curves;
use crate::Result;
use std::path::Path;

/// Pseudo-scores of a prior: its quantiles at (i + 0.5) / K.
pub const K: usize = 20;

/// A prior as [`K`] quantiles (ascending).
pub type Quantiles = [f64; K];

/// The decay still ahead (fraction of the peak rate) below which a
/// step-only law is taken to need no decay term.
pub const DECAY_NEGLIGIBLE: f64 = 0.05;

/// The priors a forecast's intervals use, by law (`CurveLaw::ALL`'s order).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Priors {
    /// Error prior per law (None: the law has none).
    pub error: [Option<Quantiles>; 6],
    /// Decay prior per law (None: the law has none).
    pub decay: [Option<Quantiles>; 6],
}

fn slot(law: CurveLaw) -> usize {
    CurveLaw::ALL
        .iter()
        .position(|&m| m == law)
        .expect("every law is in ALL")
}

impl Priors {
    /// No prior: intervals from the window alone.
    pub fn none() -> Priors {
        Priors {
            error: [None; 6],
            decay: [None; 6],
        }
    }
    /// The shipped tables ([`ERROR_PRIOR`], [`DECAY_PRIOR`]), learned on
    /// every public curve.
    pub fn shipped() -> Priors {
        let mut p = Priors::none();
        for (name, q) in ERROR_PRIOR {
            p.error[slot(CurveLaw::parse(name).expect("a law"))] = Some(*q);
        }
        for (name, q) in DECAY_PRIOR {
            p.decay[slot(CurveLaw::parse(name).expect("a law"))] = Some(*q);
        }
        p
    }
    /// The error prior of `law`.
    pub fn error(&self, law: CurveLaw) -> Option<&Quantiles> {
        self.error[slot(law)].as_ref()
    }
    /// The decay prior of `law`.
    pub fn decay(&self, law: CurveLaw) -> Option<&Quantiles> {
        self.decay[slot(law)].as_ref()
    }
    /// Set the error prior of `law`.
    pub fn set_error(&mut self, law: CurveLaw, q: Option<Quantiles>) {
        self.error[slot(law)] = q;
    }
    /// Set the decay prior of `law`.
    pub fn set_decay(&mut self, law: CurveLaw, q: Option<Quantiles>) {
        self.decay[slot(law)] = q;
    }
}

/// The fewest scores a prior is learned from.
pub const MIN_SCORES: usize = 10;

/// The [`K`] quantiles of `scores` at (i + 0.5) / K (linear interpolation
/// between order statistics); None with fewer than [`MIN_SCORES`] finite.
pub fn quantiles(scores: &[f64]) -> Option<Quantiles> {
    let mut v: Vec<f64> = scores.iter().copied().filter(|s| s.is_finite()).collect();
    if v.len() < MIN_SCORES {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mut q = [0.0; K];
    for (i, qi) in q.iter_mut().enumerate() {
        *qi = crate::stats::percentile(&v, (i as f64 + 0.5) / K as f64);
    }
    Some(q)
}

/// The prior's quantile at `u` in (0, 1): linear between its pseudo-scores,
/// the end ones beyond them.
pub fn quantile_at(q: &Quantiles, u: f64) -> f64 {
    let x = u * K as f64 - 0.5;
    if x <= 0.0 {
        return q[0];
    }
    let i = x.floor() as usize;
    if i + 1 >= K {
        return q[K - 1];
    }
    let f = x - i as f64;
    q[i] + f * (q[i + 1] - q[i])
}

/// The decay still ahead of the window (fitted up to step `until`) at each
/// step of `ext` (fraction of the window's peak rate), where more than
/// [`DECAY_NEGLIGIBLE`] of it is: a step-only law ignores it, a
/// schedule-aware law forecasts it from annealing terms fitted on the decay
/// inside the window, if any. None at steps inside the window, or without
/// a learning rate.
pub fn decay_ahead(ext: &Curve, until: f64) -> Vec<Option<f64>> {
    let Some(path) = ext.lr_path() else {
        return vec![None; ext.len()];
    };
    let Some(w) = window_decay(ext, until, &[]) else {
        return vec![None; ext.len()];
    };
    let w0 = ext.warmup_end();
    let peak = ext
        .step
        .iter()
        .filter(|&&s| s >= w0 && s <= until)
        .map(|&s| path.at(s))
        .fold(0.0f64, f64::max);
    let mut min_after = f64::INFINITY;
    ext.step
        .iter()
        .map(|&s| {
            if s <= until {
                return None;
            }
            if s >= w0 {
                min_after = min_after.min(path.at(s));
            }
            let forecast = w.window.max((peak - min_after) / peak);
            let ahead = forecast - w.window;
            (ahead > DECAY_NEGLIGIBLE).then_some(ahead)
        })
        .collect()
}

/// A window of a public curve the priors learn from.
#[derive(Debug, Clone)]
pub struct Window {
    /// The curve's family: `misfitting`, `multipower`, or a synthetic family
    /// of `learning_curves` (the unit the error prior's validation leaves out).
    pub family: String,
    /// The curve's schedule (multi-power curves: the file's name; the unit
    /// the decay prior's validation leaves out), else its name.
    pub group: String,
    /// The curve.
    pub curve: Curve,
    /// The points fitted (the first `upto`).
    pub upto: usize,
}

/// The kind of a multi-power curve's schedule: its name up to the first
/// `_` (constant, cosine, wsd, wsdld, wsdcon) — the unit the decay prior's
/// validation leaves out (both model sizes, every length).
pub fn schedule_kind(name: &str) -> &str {
    name.split('_').next().unwrap_or(name)
}

/// Fractions of the multi-power curves' steps fitted.
pub const MULTIPOWER_FRACTIONS: [f64; 3] = [0.2, 0.35, 0.5];
/// Fractions of the (Mis)Fitting runs' steps fitted.
pub const MISFITTING_FRACTIONS: [f64; 2] = [0.25, 0.5];
/// Fractions of the synthetic curves' points fitted.
pub const SYNTHETIC_FRACTIONS: [f64; 2] = [0.25, 0.5];
/// Synthetic curves per family, and their seed (`slaw bench curves`'s).
pub const SYNTHETIC: (usize, u64) = (24, 14);
/// The fewest points in a window.
pub const MIN_POINTS: usize = 4;

/// The windows the priors learn from: the (Mis)Fitting runs (loss-curves
/// folder `dir`, runs of at least 8 checkpoints) fitted until 25% / 50% of
/// their steps, the multi-power curves until 20% / 35% / 50%, the synthetic
/// learning curves ([`SYNTHETIC`]) on their first 25% / 50% of points; each
/// window with at least [`MIN_POINTS`] points and one after it.
pub fn windows(dir: &Path) -> Result<Vec<Window>> {
    let mut out = Vec::new();
    let mut push = |family: &str, group: String, curve: Curve, upto: usize| {
        if upto >= MIN_POINTS && upto < curve.len() {
            out.push(Window {
                family: family.into(),
                group,
                curve,
                upto,
            });
        }
    };
    for (c, total) in misfitting_runs(&dir.join("misfitting/scaling_results.csv"))? {
        for f in MISFITTING_FRACTIONS {
            let k = c.step.iter().filter(|&&s| s <= f * total).count();
            push("misfitting", c.name.clone(), c.clone(), k);
        }
    }
    for size in ["25", "100"] {
        let folder = dir.join("multipower").join(size);
        let mut files: Vec<_> = std::fs::read_dir(&folder)
            .map_err(|e| crate::Error::Io {
                path: folder.display().to_string(),
                source: e,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        files.sort();
        for f in files {
            let c = Curve::read(&f, "step", "loss", Some("lr"))?;
            let group = f
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let last = *c.step.last().expect("curves are not empty");
            for fr in MULTIPOWER_FRACTIONS {
                let k = c.step.iter().filter(|&&s| s <= fr * last).count();
                push("multipower", group.clone(), c.clone(), k);
            }
        }
    }
    for lc in synthetic_curves(SYNTHETIC.0, SYNTHETIC.1) {
        let c = Curve {
            name: lc.name.clone(),
            step: lc.x.clone(),
            lr: None,
            loss: lc.y.clone(),
            schedule: None,
        };
        for f in SYNTHETIC_FRACTIONS {
            let k = (f * c.len() as f64).floor() as usize;
            push(&lc.family, lc.name.clone(), c.clone(), k);
        }
    }
    Ok(out)
}

/// The error score of `law` on `w`: |ln L - ln forecast| at the curve's last
/// point per unit ln(last step / last fitted step), the law fitted on the
/// window (None: the fit failed or did not converge, or the law needs a
/// learning rate the curve lacks).
pub fn error_score(law: CurveLaw, w: &Window) -> Option<f64> {
    let (pred, obs, d) = final_error(law, w)?;
    Some((obs.ln() - pred.ln()).abs() / d)
}

/// The decay score of `law` on `w`: (ln L - ln forecast) at the last point
/// per unit of the decay ahead of the window there, when the law needs a
/// decay term there ([`decay_ahead`]).
pub fn decay_score(law: CurveLaw, w: &Window) -> Option<f64> {
    let until = w.curve.step[w.upto - 1];
    let ahead = (*decay_ahead(&w.curve, until).last()?)?;
    let (pred, obs, _) = final_error(law, w)?;
    Some((obs.ln() - pred.ln()) / ahead)
}

fn final_error(law: CurveLaw, w: &Window) -> Option<(f64, f64, f64)> {
    if law.needs_lr() && w.curve.lr.is_none() {
        return None;
    }
    let f = fit_curves(law, std::slice::from_ref(&w.curve), &[w.upto])
        .ok()
        .filter(|f| f.converged)?;
    let last = w.curve.len() - 1;
    let (pred, obs) = (f.predict(0, last), w.curve.loss[last]);
    let d = (w.curve.step[last] / w.curve.step[w.upto - 1]).ln();
    (pred > 0.0 && obs > 0.0 && d > 0.0).then_some((pred, obs, d))
}

/// The laws with an error prior: the step-only laws (the schedule-aware
/// ones are fitted on the multi-power curves only, the family their prior
/// would be validated on).
pub const ERROR_LAWS: [CurveLaw; 3] = [CurveLaw::Power, CurveLaw::Reciprocal, CurveLaw::Log];

/// Every law's scores on every window: (error, decay) per law of
/// `CurveLaw::ALL` (in parallel over windows).
pub fn scores(windows: &[Window]) -> Vec<[(Option<f64>, Option<f64>); 6]> {
    use rayon::prelude::*;
    windows
        .par_iter()
        .map(|w| {
            let mut row = [(None, None); 6];
            for (j, &law) in CurveLaw::ALL.iter().enumerate() {
                let err = ERROR_LAWS
                    .contains(&law)
                    .then(|| error_score(law, w))
                    .flatten();
                let dec = decay_score(law, w);
                row[j] = (err, dec);
            }
            row
        })
        .collect()
}

/// Priors learned from the windows `keep` admits (their `scores`).
pub fn learn(
    windows: &[Window],
    scores: &[[(Option<f64>, Option<f64>); 6]],
    keep: &dyn Fn(&Window) -> bool,
) -> Priors {
    let mut p = Priors::none();
    for (j, &law) in CurveLaw::ALL.iter().enumerate() {
        let (mut e, mut d) = (Vec::new(), Vec::new());
        for (w, s) in windows.iter().zip(scores) {
            if keep(w) {
                e.extend(s[j].0);
                d.extend(s[j].1);
            }
        }
        p.set_error(law, quantiles(&e));
        p.set_decay(law, quantiles(&d));
    }
    p
}

/// The shipped error prior: per law, [`K`] quantiles of [`error_score`] over
/// every window of [`windows`] (re-derived by `tests/priors.rs`).
pub const ERROR_PRIOR: &[(&str, Quantiles)] = &[];

/// The shipped decay prior: per law, [`K`] quantiles of [`decay_score`]
/// over every window of [`windows`] (re-derived by `tests/priors.rs`).
pub const DECAY_PRIOR: &[(&str, Quantiles)] = &[];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_and_clamp() {
        let v: Vec<f64> = (0..101).map(|i| i as f64).collect();
        let q = quantiles(&v).unwrap();
        assert!((q[0] - 2.5).abs() < 1e-9 && (q[K - 1] - 97.5).abs() < 1e-9);
        assert!((quantile_at(&q, 0.5) - 50.0).abs() < 1e-9);
        assert_eq!(quantile_at(&q, 0.001), q[0]);
        assert_eq!(quantile_at(&q, 0.999), q[K - 1]);
        assert!(quantiles(&v[..5]).is_none());
    }
}
