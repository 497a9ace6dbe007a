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
//! - **Signed rule** (per step-only law, [`SIGNED_RULES`]): where set, the
//!   interval beyond the window is centred on the forecast shifted by a share
//!   of the window's own drift (its rolling-origin errors' slope against
//!   distance) and its half-widths come from the errors around that drift
//!   (`extrapolation::Signed`); the law's error prior then holds the same
//!   residuals of the final errors, (ln L - ln forecast) / d - shrink x the
//!   window's drift (signed when the rule is asymmetric, else absolute).
//!
//! Both are learned on public curves ([`windows`]) and shipped as constant
//! tables ([`Priors::shipped`]), re-derived by `tests/priors.rs`; their
//! coverage is measured leaving out the family (error prior) or the schedule
//! (decay prior, the only curves with a recorded schedule being the
//! multi-power ones) a curve belongs to (BENCHMARKS.md).

use super::job::window_decay;
use super::protocol::misfitting_runs;
use super::{fit_curves, Curve, CurveLaw, Fitted};
pub use crate::extrapolation::Signed;
use crate::learning_curves::{synthetic_curves, SYNTH_EVEN};
use crate::Result;
use std::path::Path;

/// How many forecasting laws a prior table has a slot for (`CurveLaw::ALL`).
const LAWS: usize = CurveLaw::ALL.len();

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
    pub error: [Option<Quantiles>; LAWS],
    /// Decay prior per law (None: the law has none).
    pub decay: [Option<Quantiles>; LAWS],
    /// Signed rule per law (None: the unsigned rule); the error prior holds
    /// its residuals.
    pub signed: [Option<Signed>; LAWS],
    /// Shortfall prior per law ([`learn_shortfall`]; None: none, as
    /// shipped): the lower rate of the law's interval per unit distance is
    /// at least its level quantile times the window's misfit level
    /// (`extrapolation::Calibration::misfit`). Measured for power on
    /// 2026-12-05 (branch `cal51`, candidate (D)).
    pub shortfall: [Option<Quantiles>; LAWS],
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
            error: [None; LAWS],
            decay: [None; LAWS],
            signed: [None; LAWS],
            shortfall: [None; LAWS],
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
        p.signed = shipped_rules();
        p
    }
    /// The signed rule of `law`.
    pub fn signed(&self, law: CurveLaw) -> Option<Signed> {
        self.signed[slot(law)]
    }
    /// The error prior of `law`.
    pub fn error(&self, law: CurveLaw) -> Option<&Quantiles> {
        self.error[slot(law)].as_ref()
    }
    /// The decay prior of `law`.
    pub fn decay(&self, law: CurveLaw) -> Option<&Quantiles> {
        self.decay[slot(law)].as_ref()
    }
    /// The shortfall prior of `law`.
    pub fn shortfall(&self, law: CurveLaw) -> Option<&Quantiles> {
        self.shortfall[slot(law)].as_ref()
    }
    /// Set the shortfall prior of `law`.
    pub fn set_shortfall(&mut self, law: CurveLaw, q: Option<Quantiles>) {
        self.shortfall[slot(law)] = q;
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
    // (The window's decay first: its learning-rate path, a copy of the
    // curve's rates, is freed before this one's is made.)
    let Some(w) = window_decay(ext, until, &[]) else {
        return vec![None; ext.len()];
    };
    let Some(path) = ext.lr_path() else {
        return vec![None; ext.len()];
    };
    let w0 = ext.decay_start();
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
    for (_, f, c) in super::protocol::multipower_curves(dir)? {
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
    // The four log-spaced synthetic families (the shipped tables were learned
    // on them; the evenly spaced family of `slaw bench curves` is left out).
    for lc in synthetic_curves(SYNTHETIC.0, SYNTHETIC.1)
        .into_iter()
        .filter(|c| c.family != SYNTH_EVEN)
    {
        let c = Curve {
            name: lc.name.clone(),
            step: lc.x.clone(),
            lr: None,
            loss: lc.y.clone(),
            schedule: None,
            untrained: vec![],
            lead: vec![],
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

/// The signed error of `law` on `w` per unit distance (see [`Score`]) and,
/// when `drift`, the window's own drift (else, or without rolling-origin
/// scores, 0).
pub fn signed_error(law: CurveLaw, w: &Window, drift: bool) -> Option<(f64, f64)> {
    signed_error_misfit(law, w, drift).map(|(e, d, _)| (e, d))
}

/// [`signed_error`] and the window fit's misfit level at
/// [`SHORTFALL_LEVEL`] (`Fitted::residual_misfit`).
pub fn signed_error_misfit(law: CurveLaw, w: &Window, drift: bool) -> Option<(f64, f64, f64)> {
    let (f, pred, obs, d) = window_fit(law, w)?;
    let drift = if drift {
        f.rolling_scores().and_then(|r| r.drift()).unwrap_or(0.0)
    } else {
        0.0
    };
    Some((
        (obs.ln() - pred.ln()) / d,
        drift,
        f.residual_misfit(SHORTFALL_LEVEL),
    ))
}

/// The level the shortfall prior's misfit levels are measured at.
pub const SHORTFALL_LEVEL: f64 = 0.9;

/// The shortfall prior of `law` ([`Priors::shortfall`]) learned from the
/// windows `keep` admits: per window whose fit converged with no decay
/// ahead of it (no decay score) and a misfit level m > 0, the final loss's
/// shortfall below the forecast per unit distance per unit misfit,
/// max(0, -error) / m; its [`K`] quantiles (None with too few).
pub fn learn_shortfall(
    law: CurveLaw,
    windows: &[Window],
    scores: &[[Score; LAWS]],
    keep: &dyn Fn(&Window) -> bool,
) -> Option<Quantiles> {
    let j = slot(law);
    let t: Vec<f64> = windows
        .iter()
        .zip(scores)
        .filter(|(w, s)| keep(w) && s[j].decay.is_none())
        .filter_map(|(_, s)| {
            let (e, m) = (s[j].error?, s[j].misfit?);
            (m > 0.0).then(|| (-e).max(0.0) / m)
        })
        .collect();
    quantiles(&t)
}

fn final_error(law: CurveLaw, w: &Window) -> Option<(f64, f64, f64)> {
    window_fit(law, w).map(|(_, pred, obs, d)| (pred, obs, d))
}

/// `law` fitted on the window's first `upto` points (converged), with its
/// prediction and the observed loss at the curve's last point and the ln
/// distance from the window's end to it (all > 0).
fn window_fit(law: CurveLaw, w: &Window) -> Option<(Fitted, f64, f64, f64)> {
    if law.needs_lr() && w.curve.lr.is_none() {
        return None;
    }
    let f = fit_curves(law, std::slice::from_ref(&w.curve), &[w.upto])
        .ok()
        .filter(|f| f.converged)?;
    let last = w.curve.len() - 1;
    let (pred, obs) = (f.predict(0, last), w.curve.loss[last]);
    let d = (w.curve.step[last] / w.curve.step[w.upto - 1]).ln();
    (pred > 0.0 && obs > 0.0 && d > 0.0).then_some((f, pred, obs, d))
}

/// The laws with an error prior: the step-only laws (the schedule-aware
/// ones are fitted on the multi-power curves only, the family their prior
/// would be validated on).
pub const ERROR_LAWS: [CurveLaw; 3] = [CurveLaw::Power, CurveLaw::Reciprocal, CurveLaw::Log];

/// A law's scores on a window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Score {
    /// The signed error (ln L - ln forecast) at the curve's last point per
    /// unit ln(last step / last fitted step) (step-only laws; None: the fit
    /// failed); its absolute value is [`error_score`].
    pub error: Option<f64>,
    /// The window's own drift (`extrapolation::RollingScores::drift`; 0
    /// without rolling-origin scores).
    pub drift: f64,
    /// [`decay_score`].
    pub decay: Option<f64>,
    /// The window fit's misfit level (`Fitted::residual_misfit` at
    /// [`SHORTFALL_LEVEL`]; step-only laws).
    pub misfit: Option<f64>,
}

/// Every law's scores on every window, per law of `CurveLaw::ALL` (in
/// parallel over windows), with the windows' drifts exactly when a signed
/// rule is shipped ([`SIGNED_RULES`]; without one, 0: the unsigned rule
/// reads none), so that [`learn`] on these scores re-derives the shipped
/// priors whatever the rules (see [`scores_with_drift`]).
pub fn scores(windows: &[Window]) -> Vec<[Score; LAWS]> {
    scores_with_drift(windows, !SIGNED_RULES.is_empty())
}

/// [`scores`], with each window's own drift when `drift` (8 more refits per
/// window and step-only law: the rolling origins).
pub fn scores_with_drift(windows: &[Window], drift: bool) -> Vec<[Score; LAWS]> {
    use rayon::prelude::*;
    windows
        .par_iter()
        .map(|w| {
            let mut row = [Score::default(); LAWS];
            for (j, &law) in CurveLaw::ALL.iter().enumerate() {
                if ERROR_LAWS.contains(&law) {
                    if let Some((e, d, m)) = signed_error_misfit(law, w, drift) {
                        row[j].error = Some(e);
                        row[j].drift = d;
                        row[j].misfit = Some(m);
                    }
                }
                row[j].decay = decay_score(law, w);
            }
            row
        })
        .collect()
}

/// The score a law's error prior holds under `rule`: |error| without a
/// rule, else the error minus the rule's share of the window's drift
/// (absolute unless the rule is asymmetric).
pub fn rule_score(s: &Score, rule: Option<Signed>) -> Option<f64> {
    let e = s.error?;
    Some(match rule {
        None => e.abs(),
        Some(r) => {
            let v = e - r.shrink * s.drift;
            if r.asymmetric {
                v
            } else {
                v.abs()
            }
        }
    })
}

/// Priors learned from the windows `keep` admits (their `scores`), with the
/// shipped signed rules ([`SIGNED_RULES`]).
pub fn learn(
    windows: &[Window],
    scores: &[[Score; LAWS]],
    keep: &dyn Fn(&Window) -> bool,
) -> Priors {
    learn_with(windows, scores, keep, shipped_rules())
}

/// `learn` with the signed rules `rules` (per law of `CurveLaw::ALL`).
pub fn learn_with(
    windows: &[Window],
    scores: &[[Score; LAWS]],
    keep: &dyn Fn(&Window) -> bool,
    rules: [Option<Signed>; LAWS],
) -> Priors {
    let mut p = Priors::none();
    p.signed = rules;
    for (j, &law) in CurveLaw::ALL.iter().enumerate() {
        let (mut e, mut d) = (Vec::new(), Vec::new());
        for (w, s) in windows.iter().zip(scores) {
            if keep(w) {
                e.extend(rule_score(&s[j], rules[j]));
                d.extend(s[j].decay);
            }
        }
        p.set_error(law, quantiles(&e));
        p.set_decay(law, quantiles(&d));
    }
    p
}

/// Signed rules per law, as [`SIGNED_RULES`] lists them.
pub fn rules(list: &[(&str, Signed)]) -> [Option<Signed>; LAWS] {
    let mut r = [None; LAWS];
    for (name, s) in list {
        r[slot(CurveLaw::parse(name).expect("a law"))] = Some(*s);
    }
    r
}

fn shipped_rules() -> [Option<Signed>; LAWS] {
    rules(SIGNED_RULES)
}

/// The shipped signed rules (`extrapolation::Signed`): none. The candidate
/// `bench/forecast_interval_replay.py own` chooses (per law, shrink in
/// {0, 0.25, 0.5, 0.75, 1}, symmetric or asymmetric, by the mean interval
/// score with each family weighted equally) — on every window: power and
/// reciprocal unsigned, log its whole drift with lower and upper ranks — was
/// measured out of sample (`forecast_coverage` with `RULES=own-drift`) and
/// not adopted: it brings none of the cells outside 80-97% into the band
/// and takes log at 20% of the multi-power curves out of it (BENCHMARKS.md,
/// "branch `cov3`").
pub const SIGNED_RULES: &[(&str, Signed)] = &[];

/// The shipped error prior: per law, [`K`] quantiles of [`rule_score`]
/// under the law's shipped signed rule (none: [`error_score`]) over every
/// window of [`windows`] (re-derived by `tests/priors.rs`).
pub const ERROR_PRIOR: &[(&str, Quantiles)] = &[
    (
        "power",
        [
            1.2266232217785751e-3,
            4.123316653713033e-3,
            6.86118125370809e-3,
            8.815319957911601e-3,
            1.08043801929664e-2,
            1.4334887055805663e-2,
            1.7254827706882355e-2,
            1.8987512038518815e-2,
            2.2171800022433574e-2,
            2.466934689058587e-2,
            2.7678986312513757e-2,
            3.2726061103321116e-2,
            3.6284121902925896e-2,
            4.2361973571164994e-2,
            4.617104595995105e-2,
            5.491661902065134e-2,
            6.695440407536232e-2,
            8.7304936640004e-2,
            1.2183979679954587e-1,
            1.4577029659951268e-1,
        ],
    ),
    (
        "reciprocal",
        [
            1.6148581527502704e-3,
            6.9533439691094445e-3,
            1.0618094826568683e-2,
            1.2808426184567087e-2,
            1.6667187048752325e-2,
            2.046454448639356e-2,
            2.3262131265374367e-2,
            2.614494455243527e-2,
            2.929378241531704e-2,
            3.241690711770455e-2,
            3.69240822386793e-2,
            4.015125254589106e-2,
            4.5858018807429006e-2,
            5.164564349051152e-2,
            5.753772071326954e-2,
            6.424918767052244e-2,
            7.124864249100307e-2,
            8.765717996362704e-2,
            1.215718658541651e-1,
            2.0695018386130984e-1,
        ],
    ),
    (
        "log",
        [
            9.680559578492223e-3,
            1.9200628858484194e-2,
            3.6792393229362653e-2,
            4.810196681997381e-2,
            5.7111915014772106e-2,
            6.711674770755073e-2,
            8.219887443771376e-2,
            9.491942485984547e-2,
            1.0704028870378239e-1,
            1.2624318312105645e-1,
            1.4478993754787575e-1,
            1.5944962678401217e-1,
            1.868409059266995e-1,
            2.1173342379067064e-1,
            2.2413191451064937e-1,
            2.4607467130917407e-1,
            2.7165344488991583e-1,
            3.0245559833483504e-1,
            3.4781784723343717e-1,
            5.407511182847359e-1,
        ],
    ),
];

/// The shipped decay prior: per law, [`K`] quantiles of [`decay_score`]
/// over every window of [`windows`] (re-derived by `tests/priors.rs`).
pub const DECAY_PRIOR: &[(&str, Quantiles)] = &[
    (
        "multipower",
        [
            -3.550727353698744e-2,
            -3.393803052022298e-2,
            -2.7406025340186303e-2,
            -2.6658804998947003e-2,
            -2.5915632699150027e-2,
            -2.581981864243521e-2,
            -2.56437135718535e-2,
            -2.5414218118260442e-2,
            -2.473182776208973e-2,
            -2.3639534627826805e-2,
            -2.2154791880039583e-2,
            -2.1328655727171512e-2,
            -2.0164832879609195e-2,
            -1.2241360524848534e-2,
            -8.389171822782305e-3,
            -6.433128327580316e-3,
            -2.342828007319383e-3,
            1.0108505994247244e-2,
            3.0410885752293462e-2,
            4.132038118453247e-1,
        ],
    ),
    (
        "multipower-warmup",
        [
            -2.2401813494863476e-2,
            -2.1177888212333965e-2,
            -2.1011122741474732e-2,
            -1.973920199861482e-2,
            -1.5591741815860774e-2,
            -8.964075912598301e-3,
            -4.947913404018559e-3,
            -2.575843704891518e-3,
            1.097012947555394e-4,
            2.8324697731243794e-3,
            5.442466366560966e-2,
            7.642754669675497e-2,
            1.1660445501110173e-1,
            2.2444276259235202e-1,
            3.9780809961390906e-1,
            5.916581073722924e-1,
            8.498073396198013e-1,
            9.237290517093016e-1,
            1.0517725073951978e0,
            1.5780488079007977e0,
        ],
    ),
    (
        "tissue",
        [
            -3.0530435428270473e-2,
            -2.6313708886685588e-2,
            -2.471679636242073e-2,
            -2.106899821806007e-2,
            -1.896402519319126e-2,
            -1.829987161261246e-2,
            -1.766895838594074e-2,
            -1.7191071484815697e-2,
            -1.6809530482512852e-2,
            -1.642605064803055e-2,
            -1.531587403003988e-2,
            -1.4939537081433281e-2,
            -1.4170942198869357e-2,
            -1.2655732439422506e-2,
            -9.962322534572556e-3,
            -3.3219247426228803e-3,
            8.903043629036752e-4,
            1.2544904626865666e-2,
            4.051860319376233e-2,
            4.4467151318766364e-2,
        ],
    ),
    (
        "power",
        [
            -8.251594364548254e-2,
            -6.650907254838671e-2,
            -6.487180807878928e-2,
            -6.2213095123303315e-2,
            -6.1482804637145824e-2,
            -5.3204952540836695e-2,
            -4.724188541578016e-2,
            -4.444990634916433e-2,
            -4.102433737960944e-2,
            -3.990364212869952e-2,
            -3.8237322487351295e-2,
            -3.719689758828859e-2,
            -3.604228500780967e-2,
            -3.443939966838706e-2,
            -3.345739142452126e-2,
            -3.0207154846511715e-2,
            -2.7025473715317522e-2,
            -2.6273408127844494e-2,
            -2.357001712510856e-2,
            -1.7787677922719312e-2,
        ],
    ),
    (
        "reciprocal",
        [
            -5.104798811936659e-2,
            -4.8624715077365134e-2,
            -4.82180478608575e-2,
            -4.3228345762869394e-2,
            -4.1466997510607985e-2,
            -3.830863714336273e-2,
            -3.7356757033690825e-2,
            -3.562428724116884e-2,
            -3.4611375429900476e-2,
            -3.304845691448773e-2,
            -2.9398427815540508e-2,
            -2.9150245986313564e-2,
            -2.7181878337845446e-2,
            -1.902307827448448e-2,
            -1.7880272513774834e-2,
            -1.5235851246915089e-2,
            -1.1261501733550332e-2,
            -9.505312419172135e-3,
            -5.596973175459361e-3,
            2.589443067678068e-2,
        ],
    ),
    (
        "log",
        [
            1.385798095131055e-2,
            1.5186126859179425e-2,
            2.368689140564822e-2,
            3.7391838297742355e-2,
            4.6205944973430876e-2,
            4.964851086399655e-2,
            5.128196170365591e-2,
            5.397962659705943e-2,
            6.445999387647801e-2,
            7.873588610269265e-2,
            8.847867938341147e-2,
            1.0144409263173905e-1,
            1.105083198054133e-1,
            1.4782153742095858e-1,
            1.6265886806660337e-1,
            1.7581055517359387e-1,
            2.0578421691677923e-1,
            2.4085679908387903e-1,
            3.071362844113828e-1,
            5.46923768725469e-1,
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A power curve with a deterministic wiggle as its noise (sd about
    /// `noise` on ln L) and, from step `bend` on, a late decay the law
    /// cannot follow (ln L lowered by `drop` x ln(step / bend)).
    fn cal51_curve(noise: f64, bend: f64, drop: f64) -> Curve {
        let step: Vec<f64> = (1..=120).map(|i| 100.0 * i as f64).collect();
        let loss = step
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let wiggle = noise * 1.2 * ((i as f64 * 2.39996).sin());
                let late = if t > bend {
                    drop * (t / bend).ln()
                } else {
                    0.0
                };
                (2.0 + 30.0 * t.powf(-0.5)) * (wiggle - late).exp()
            })
            .collect();
        Curve {
            name: "cal51".into(),
            step,
            lr: None,
            schedule: None,
            untrained: vec![],
            lead: vec![],
            loss,
        }
    }

    /// The shipped rule of forecasts is the white-noise rule (C): the
    /// noise term of a forecast's calibration is the white noise, at most
    /// the noise floor, in quadrature with the rate.
    #[test]
    fn cal51_forecasts_ship_the_white_noise_rule() {
        use crate::extrapolation::AlongRule;
        assert_eq!(crate::forecast::FORECAST_RULE, AlongRule::WhiteFloor);
        let c = cal51_curve(0.01, f64::INFINITY, 0.0);
        let f =
            crate::forecast::fit_curves(CurveLaw::Power, std::slice::from_ref(&c), &[60]).unwrap();
        let cal = f.calibration_with(0.9, &Priors::none()).unwrap();
        assert!(cal.noise_in_quadrature);
        assert!(cal.method.contains("white noise"), "{}", cal.method);
        assert!(cal.noise > 0.0 && cal.noise.is_finite(), "{cal:?}");
        // the noise term is r_w, the misfit level the rest of the floor
        let floor = cal.noise.hypot(cal.misfit);
        assert!(cal.noise <= floor + 1e-12 && cal.misfit >= 0.0, "{cal:?}");
        assert_eq!(cal.per_distance, cal.per_distance_below);
    }

    /// The misfit level is the floor less the white noise in quadrature,
    /// never negative; (D)'s shortfall prior raises only the lower rate,
    /// to its level quantile times the window's misfit level, and only
    /// where that is above the window's own rate.
    #[test]
    fn cal51_a_shortfall_prior_floors_the_lower_rate_only() {
        use crate::extrapolation::misfit_level;
        assert!((misfit_level(0.05, 0.03) - 0.04).abs() < 1e-12);
        assert_eq!(misfit_level(0.01, 0.02), 0.0);
        let c = cal51_curve(0.002, 3000.0, 0.05);
        let f =
            crate::forecast::fit_curves(CurveLaw::Power, std::slice::from_ref(&c), &[60]).unwrap();
        let plain = f.calibration_with(0.9, &Priors::none()).unwrap();
        assert!(plain.misfit > 0.0, "{plain:?}");
        for kappa in [0.0, 1e3] {
            let mut p = Priors::none();
            p.set_shortfall(CurveLaw::Power, Some([kappa; K]));
            let cal = f.calibration_with(0.9, &p).unwrap();
            assert_eq!(cal.per_distance, plain.per_distance);
            assert_eq!(cal.noise, plain.noise);
            let want = plain.per_distance_below.max(kappa * plain.misfit);
            assert!((cal.per_distance_below - want).abs() < 1e-12, "{kappa}");
            assert_eq!(cal.method.contains("lower rate"), kappa > 0.0);
            // other laws read no power prior
            let r =
                crate::forecast::fit_curves(CurveLaw::Reciprocal, std::slice::from_ref(&c), &[60])
                    .unwrap();
            let a = r.calibration_with(0.9, &p).unwrap();
            let b = r.calibration_with(0.9, &Priors::none()).unwrap();
            assert_eq!(a.per_distance_below, b.per_distance_below);
        }
        // the lower edge moves down, the upper one stays
        let mut p = Priors::none();
        p.set_shortfall(CurveLaw::Power, Some([1e3; K]));
        let x = c.step[119];
        let (_, lo_plain, hi_plain) = plain.edges(x);
        let (_, lo, hi) = f.calibration_with(0.9, &p).unwrap().edges(x);
        assert!(
            lo > lo_plain && hi == hi_plain,
            "{lo} {lo_plain} {hi} {hi_plain}"
        );
    }

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
