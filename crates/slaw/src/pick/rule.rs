//! The pick's rule: backtest origins, how the eligible laws are weighed and
//! combined, and the fallback of short windows.

use super::*;

/// Where a backtest cuts the points: fit on the points before, score on the
/// points after.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Origin {
    /// Fit on the first floor(r n) points.
    Fraction(f64),
    /// Fit on all but the last k points (`slaw compare`'s default hold-out is `Last(2)`).
    Last(usize),
}

impl Origin {
    /// Points fitted out of n.
    pub fn fitted(self, n: usize) -> usize {
        match self {
            Origin::Fraction(r) => ((r * n as f64).floor() as usize).min(n),
            Origin::Last(k) => n.saturating_sub(k),
        }
    }

    /// The origin as shown in tables and JSON: the fraction, or "last-k".
    pub fn label(self) -> String {
        match self {
            Origin::Fraction(r) => format!("{r}"),
            Origin::Last(k) => format!("last-{k}"),
        }
    }
}

/// How the eligible laws' predictions are combined.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Combine {
    /// The law with the lowest backtest score.
    Best,
    /// The mean of the ln predictions of the `k` best laws, weighted by the
    /// inverse square of their scores.
    Top {
        /// The number of best laws averaged.
        k: usize,
    },
    /// The median of the ln predictions of the `k` best laws (at each x;
    /// one wild extrapolation among them does not move it).
    Median {
        /// The number of best laws whose median is taken.
        k: usize,
    },
}

/// How a weighted combination ([`Combine::Top`]) weighs the `k` best laws
/// from their backtest scores s (the best score s_min).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Weighting {
    /// 1 / s^2.
    #[default]
    InverseSquare,
    /// 1 / s.
    Inverse,
    /// Equal weights.
    Equal,
    /// exp(-(s / s_min - 1) / t): relative to the best score, so free of
    /// the curve's scale; a smaller t is sharper.
    Exp(f64),
}

impl Weighting {
    /// A short label: "1/s^2", "1/s", "equal", "exp t=1".
    pub fn label(self) -> String {
        match self {
            Weighting::InverseSquare => "1/s^2".into(),
            Weighting::Inverse => "1/s".into(),
            Weighting::Equal => "equal".into(),
            Weighting::Exp(t) => format!("exp t={t}"),
        }
    }

    /// Unnormalized weights of the scores `s` (ascending, every one finite).
    fn raw(self, s: &[f64]) -> Vec<f64> {
        // Floor the scores at a tiny value so a perfect backtest cannot
        // take an infinite weight.
        let s: Vec<f64> = s.iter().map(|v| v.max(1e-9)).collect();
        let min = s.iter().copied().fold(f64::INFINITY, f64::min);
        s.iter()
            .map(|&v| match self {
                Weighting::InverseSquare => 1.0 / (v * v),
                Weighting::Inverse => 1.0 / v,
                Weighting::Equal => 1.0,
                Weighting::Exp(t) => (-(v / min - 1.0) / t.max(1e-9)).exp(),
            })
            .collect()
    }
}

/// What the pick does when fewer than 2 laws are eligible (the backtest
/// compares nothing: a short window, where the laws with more parameters
/// cannot be refitted at the origins).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fallback {
    /// The one eligible law (as many as are eligible).
    #[default]
    Eligible,
    /// Every law of the pool whose fit on all the points is usable
    /// (converged, more points than parameters), with equal weights.
    AllFits,
    /// The eligible law and M4 (if its fit on all the points is usable;
    /// fitted by its authors' procedure, [`M4_AUTHORS`], when the pool has
    /// it, otherwise the catalog `m4`), with equal weights.
    WithM4,
    /// M4 alone (the same M4 as [`Fallback::WithM4`]; the eligible law, if
    /// any, when M4's fit is not usable).
    M4,
}
// Whatever the fallback, when no law is eligible at all, every usable fit
// of the pool is weighed equally ([`rule_weights`]).

impl Fallback {
    /// Fewest eligible laws for the backtest's weights to be used.
    pub const MIN_ELIGIBLE: usize = 2;

    /// A short label: "eligible", "all fits", "with m4".
    pub fn label(self) -> &'static str {
        match self {
            Fallback::Eligible => "eligible",
            Fallback::AllFits => "all fits",
            Fallback::WithM4 => "with m4",
            Fallback::M4 => "m4 alone",
        }
    }
}

/// A backtest pick rule: origins (fractions of the points fitted), the
/// combination, the pool of laws it draws from, and what it does when fewer
/// than 2 laws can be backtested.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    /// The backtest origins; a law's score is the mean error over them.
    pub origins: Vec<Origin>,
    /// How the eligible laws' predictions are combined.
    pub combine: Combine,
    /// Names of the laws the rule may choose; empty = every law given.
    pub pool: Vec<String>,
    /// What the pick does when fewer than [`Fallback::MIN_ELIGIBLE`] laws
    /// are eligible.
    #[serde(default)]
    pub fallback: Fallback,
    /// How [`Combine::Top`] weighs the laws it combines.
    #[serde(default)]
    pub weighting: Weighting,
    /// Shrinkage toward M4 (the pool's, as [`Fallback::WithM4`]): the
    /// combined ln prediction is (1 - s) times the rule's plus s times
    /// M4's, when M4's fit is usable (not with [`Combine::Median`]).
    #[serde(default)]
    pub shrink: f64,
    /// The signed correction of each law's prediction ([`Correction`]).
    #[serde(default)]
    pub correction: Correction,
}

impl Rule {
    /// The shipped rule (`slaw compare --pick backtest`): origins 0.75 and
    /// last-2, the median of the best 3 laws, a pool with M4 fitted by its
    /// authors' procedure (capped, [`M4_AUTHORS_CAPPED`]) instead of slaw's
    /// `m4` fit, every usable fit of the pool equally when fewer than 2
    /// laws can be backtested, and each law's ln prediction beyond the
    /// data lowered by a drift per law that moves with how much the
    /// window's descent steepens ([`Correction::Keyed`], [`SHIPPED_KEY`]):
    /// c = [`SHIPPED_DRIFT`] + [`SHIPPED_SLOPE`] (k - [`SHIPPED_CENTRE`]), k
    /// the window's steepening clamped to [`SHIPPED_RANGE`] (read from the
    /// points given, [`window_shape`]); every law over-predicts the later
    /// loss by about 0.01-0.04 per unit ln(x / x_last) at the centre.
    ///
    /// Chosen by the nested procedure (`slaw bench curves --nested`): six
    /// configurations (criterion log-ratio or the goal's, keyed drift none,
    /// steepening or span, all with the own and per-law drifts) each scored
    /// by leave-one-family-out over every family by the goal's terms; the
    /// goal's criterion with the steepening key scores best (-0.284; the
    /// runner-up, log-ratio with the span key, -0.258), and its protocol
    /// chooses this rule on every family. Out of sample (the same
    /// procedure with each family left out, configuration chosen inside
    /// the fold) it beats M4 fitted by its authors' code on 113/164 curves
    /// (mean RMSE 0.729x) fitted on 25% of their points and 168/253 (0.686x)
    /// on 50%: BENCHMARKS.md, "Learning-curve extrapolation against M4",
    /// branch `bias3`.
    pub fn shipped() -> Rule {
        Rule {
            origins: vec![Origin::Fraction(0.75), Origin::Last(2)],
            combine: Combine::Median { k: 3 },
            pool: [
                "power",
                "vanilla-ft",
                "rectified",
                "bnsl",
                M4_AUTHORS_CAPPED,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            fallback: Fallback::AllFits,
            weighting: Weighting::InverseSquare,
            shrink: 0.0,
            correction: Correction::Keyed {
                shrink: 1.0,
                key: SHIPPED_KEY,
                drift: named_list(&SHIPPED_DRIFT),
                slope: named_list(&SHIPPED_SLOPE),
                centre: SHIPPED_CENTRE,
                range: SHIPPED_RANGE,
                own: OwnEvidence::None,
            },
        }
    }

    /// The shipped rule with `laws` as its pool (`slaw compare`: the laws
    /// given are the pool).
    pub fn shipped_with_any_pool() -> Rule {
        Rule {
            pool: Vec::new(),
            ..Rule::shipped()
        }
    }

    /// A short label, e.g. "origins 0.5/0.75, top-3, all laws".
    pub fn label(&self) -> String {
        let o: Vec<String> = self.origins.iter().map(|r| r.label()).collect();
        let c = match self.combine {
            Combine::Best => "best".to_string(),
            Combine::Top { k } => format!("top-{k}"),
            Combine::Median { k } => format!("median of {k}"),
        };
        let p = if self.pool.is_empty() {
            "all laws".to_string()
        } else {
            self.pool.join("+")
        };
        let f = match self.fallback {
            Fallback::Eligible => String::new(),
            f => format!(", under 2 eligible: {}", f.label()),
        };
        let w = match (self.combine, self.weighting) {
            (Combine::Top { .. }, w) if w != Weighting::InverseSquare => {
                format!(", weights {}", w.label())
            }
            _ => String::new(),
        };
        let s = if self.shrink > 0.0 {
            format!(", shrunk {} toward m4", self.shrink)
        } else {
            String::new()
        };
        format!(
            "origins {}, {c}{w}, {p}{f}{s}{}",
            o.join("/"),
            self.correction.label()
        )
    }

    /// Whether `law` is in the pool.
    pub fn admits(&self, law: &str) -> bool {
        self.pool.is_empty() || self.pool.iter().any(|p| p == law)
    }
}

/// The mean of the errors at every origin, `None` if any is missing.
pub fn score(errors: &[Option<f64>]) -> Option<f64> {
    if errors.is_empty() {
        return None;
    }
    let mut s = 0.0;
    for e in errors {
        s += (*e)?;
    }
    Some(s / errors.len() as f64)
}

/// Weights of the laws under `rule` (same order as `scores`, `usable`
/// and `names`): [`weights`] of the eligible laws when at least
/// [`Fallback::MIN_ELIGIBLE`] are, otherwise the rule's fallback among the
/// laws whose fit on all the points is usable (`usable`: converged, with
/// more points than parameters — a fit through as many points as it has
/// parameters interpolates them; names outside the rule's pool never
/// weigh). When no law is eligible and the fallback adds none, every
/// usable fit of the pool, with equal weights (a window too short for any
/// backtest still gets a prediction). The flag says whether the fallback
/// was used.
pub fn rule_weights(
    rule: &Rule,
    scores: &[Option<f64>],
    usable: &[bool],
    names: &[&str],
) -> (Vec<f64>, bool) {
    let all_fits = |i: usize| usable[i] && rule.admits(names[i]);
    // The pool's M4: fitted by its authors' procedure if the pool has it.
    let m4 = [M4_AUTHORS, M4_AUTHORS_CAPPED, "m4"]
        .iter()
        .find_map(|m| (0..names.len()).find(|&i| names[i] == *m && all_fits(i)));
    let (mut w, used) = unshrunk_weights(rule, scores, names.len(), m4, all_fits);
    if let (Some(i), true) = (m4, rule.shrink > 0.0) {
        if !matches!(rule.combine, Combine::Median { .. }) && w.iter().any(|&v| v > 0.0) {
            let s = rule.shrink.min(1.0);
            for v in w.iter_mut() {
                *v *= 1.0 - s;
            }
            w[i] += s;
        }
    }
    (w, used)
}

/// [`rule_weights`] before the shrinkage toward M4 (`m4`: the pool's M4,
/// if usable; `all_fits`: usable and in the pool).
pub(super) fn unshrunk_weights(
    rule: &Rule,
    scores: &[Option<f64>],
    n: usize,
    m4: Option<usize>,
    all_fits: impl Fn(usize) -> bool,
) -> (Vec<f64>, bool) {
    let by_backtest = || weights_by(rule.combine, rule.weighting, scores);
    let eligible = scores
        .iter()
        .filter(|s| s.is_some_and(f64::is_finite))
        .count();
    if eligible >= Fallback::MIN_ELIGIBLE || (rule.fallback == Fallback::Eligible && eligible > 0) {
        return (by_backtest(), false);
    }
    let mut chosen: Vec<usize> = (0..n)
        .filter(|&i| match rule.fallback {
            Fallback::Eligible => false,
            Fallback::AllFits => all_fits(i),
            Fallback::WithM4 => scores[i].is_some_and(f64::is_finite) || Some(i) == m4,
            Fallback::M4 => Some(i) == m4,
        })
        .collect();
    if eligible == 0 && chosen.is_empty() {
        chosen = (0..n).filter(|&i| all_fits(i)).collect();
    }
    // M4 alone replaces the one eligible law; the other fallbacks add laws.
    let replaces = rule.fallback == Fallback::M4 && m4.is_some();
    if chosen.len() <= eligible && !replaces {
        return (by_backtest(), false);
    }
    let mut w = vec![0.0; n];
    for &i in &chosen {
        w[i] = 1.0 / chosen.len() as f64;
    }
    (w, true)
}

/// Weights of the laws (same order as `scores`; `None` = not eligible) under
/// `combine`: zero for laws not chosen, summing to 1; all zero when no law
/// is eligible. For `Median`, the chosen laws get equal weights (the
/// median is taken by [`combine_ln`]).
pub fn weights(combine: Combine, scores: &[Option<f64>]) -> Vec<f64> {
    weights_by(combine, Weighting::InverseSquare, scores)
}

/// [`weights`] with `weighting` for [`Combine::Top`].
pub fn weights_by(combine: Combine, weighting: Weighting, scores: &[Option<f64>]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..scores.len())
        .filter(|&i| scores[i].is_some_and(f64::is_finite))
        .collect();
    order.sort_by(|&a, &b| scores[a].unwrap().total_cmp(&scores[b].unwrap()));
    let mut w = vec![0.0; scores.len()];
    match combine {
        Combine::Best => {
            if let Some(&i) = order.first() {
                w[i] = 1.0;
            }
        }
        Combine::Top { k } => {
            let chosen = &order[..order.len().min(k.max(1))];
            let s: Vec<f64> = chosen.iter().map(|&i| scores[i].unwrap()).collect();
            let raw = weighting.raw(&s);
            let total: f64 = raw.iter().sum();
            for (&i, r) in chosen.iter().zip(raw) {
                w[i] = r / total;
            }
        }
        Combine::Median { k } => {
            let chosen = &order[..order.len().min(k.max(1))];
            for &i in chosen {
                w[i] = 1.0 / chosen.len() as f64;
            }
        }
    }
    w
}

/// The combined ln prediction from the laws' ln predictions `ln_pred` and
/// their `weights`: the weighted mean, or for `Median` the median of the
/// laws of positive weight (mean of the middle two for an even count).
/// NaN when no law has a weight or a chosen prediction is not finite.
pub fn combine_ln(combine: Combine, ln_pred: &[f64], weights: &[f64]) -> f64 {
    let chosen: Vec<(f64, f64)> = ln_pred
        .iter()
        .zip(weights)
        .filter(|(_, &w)| w > 0.0)
        .map(|(&p, &w)| (p, w))
        .collect();
    if chosen.is_empty() || chosen.iter().any(|(p, _)| !p.is_finite()) {
        return f64::NAN;
    }
    match combine {
        Combine::Median { .. } => crate::stats::median(chosen.iter().map(|c| c.0).collect()),
        _ => {
            let wsum: f64 = chosen.iter().map(|c| c.1).sum();
            chosen.iter().map(|(p, w)| p * w).sum::<f64>() / wsum
        }
    }
}
