//! Choosing among one-input laws for extrapolation by a rolling-origin
//! backtest inside the fitted data, rather than by training error or AIC.
//!
//! The points are ordered by the input. For each origin fraction r of a
//! [`Rule`], every law is refitted (cold: from its own grid, nothing from the
//! fit on all points) on the first floor(r n) points and scored by the RMSE of
//! ln L on the remaining points of the data — an extrapolation of the same
//! kind as the one asked of it beyond the data. A law's backtest score is the
//! mean of its errors over the rule's origins; a law is eligible only if every
//! origin's refit had more points than parameters and converged, and its fit
//! on all the points converged. The rule then combines the eligible laws:
//! the best one, or a weighted mean of their ln predictions. When fewer than
//! 2 laws are eligible (a short window: the laws with more parameters cannot
//! be refitted at the origins), the backtest compares nothing and the rule's
//! [`Fallback`] sets the weights (the shipped rule: every usable fit of the
//! pool, equally).
//!
//! The rule's constants (origins, combination, pool, fallback, the drift
//! correction) are chosen by a nested leave-one-family-out on public and
//! synthetic learning curves (`crate::learning_curves`, `slaw bench curves
//! --nested`; BENCHMARKS.md).

use crate::fit::{fit, FitOptions, FitResult};
use crate::law::{catalog, Law};
use crate::observations::Observations;
use crate::{Error, Result};
use rayon::prelude::*;

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

/// The shipped rule's drift per law at the centre of its key
/// ([`Rule::shipped`], [`Correction::Keyed`]): ln forecast - ln truth per
/// unit ln(x / x_last) when extrapolating from the window, learned on every
/// family of `slaw bench curves` (the median over each family's curves,
/// then the mean over families; records of branch `bias3`, both windows;
/// `slaw bench curves --from-records R --nested`, the rule chosen on every
/// family); laws not named are not corrected.
pub const SHIPPED_DRIFT: [(&str, f64); 8] = [
    ("power", 0.010749),
    ("vanilla-ft", 0.022782),
    ("rectified", 0.019111),
    ("bnsl", 0.031963),
    ("reciprocal", 0.039908),
    ("m4", 0.020904),
    (M4_AUTHORS_CAPPED, 0.010444),
    (M4_AUTHORS, -0.004232),
];

/// The change of each law's shipped drift per unit of the window's
/// steepening ([`SHIPPED_KEY`]; the family-balanced least-squares slope of
/// the law's drift beyond the window on the key, learned with
/// [`SHIPPED_DRIFT`]).
pub const SHIPPED_SLOPE: [(&str, f64); 8] = [
    ("power", 0.011167),
    ("vanilla-ft", 0.009090),
    ("rectified", -0.000384),
    ("bnsl", 0.000370),
    ("reciprocal", -0.002015),
    ("m4", 0.000760),
    (M4_AUTHORS_CAPPED, 0.006604),
    (M4_AUTHORS, 0.009335),
];

/// The property of the window the shipped drift moves with: how much the
/// descent steepens ([`Key::Steepening`]).
pub const SHIPPED_KEY: Key = Key::Steepening;

/// The family-balanced mean of [`SHIPPED_KEY`] where the shipped drift was
/// learned (the key's value at which a law's drift is [`SHIPPED_DRIFT`]).
pub const SHIPPED_CENTRE: f64 = 0.209088;

/// The smallest and largest [`SHIPPED_KEY`] where the shipped drift was
/// learned (the key is clamped to them).
pub const SHIPPED_RANGE: (f64, f64) = (0.0, 16.237457);

/// The catalog laws of the pick's pool, by name ([`curve_laws`]).
pub const CATALOG_LAWS: [&str; 6] = [
    "power",
    "vanilla-ft",
    "rectified",
    "bnsl",
    "reciprocal",
    "m4",
];

/// The laws a learned correction may name: [`CATALOG_LAWS`] and the
/// authors' capped M4 (and [`M4_AUTHORS`] in records made with it).
pub const CORRECTED_LAWS: [&str; 7] = {
    let mut v = [M4_AUTHORS_CAPPED; 7];
    let mut i = 0;
    while i < CATALOG_LAWS.len() {
        v[i] = CATALOG_LAWS[i];
        i += 1;
    }
    v
};

/// A signed correction of each law's ln prediction for its drift with the
/// extrapolation distance: the corrected ln prediction at x is ln f(x) -
/// c ln(x / x_last) for x > x_last (nothing changes inside the data),
/// x_last the last fitted point's input, c the law's
/// slope (ln forecast - ln truth per unit ln distance) times `shrink`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Correction {
    /// No correction.
    #[default]
    None,
    /// c: the law's own backtest drift on the data (the mean over the
    /// rule's origins of [`Signed::drift`]), times `shrink`; 0 for a law
    /// without a drift at every origin.
    OwnDrift {
        /// Share of the drift removed (0 to 1).
        shrink: f64,
    },
    /// c: a slope per law learned on other curves ([`Correction::PerLaw`]'s
    /// `drift`, 0 for a law not named), times `shrink`.
    PerLaw {
        /// Share of the learned drift removed.
        shrink: f64,
        /// (law, ln forecast - ln truth per unit ln distance).
        drift: Vec<(String, f64)>,
    },
    /// (d) c: the per-law drift shrunk toward the law's own backtest drift,
    /// w own + (1 - w) per-law (w from `own_weight`, 0 for a law not named;
    /// the per-law drift alone when the own drift is missing), times
    /// `shrink`.
    Blend {
        /// Share of the blended drift removed.
        shrink: f64,
        /// (law, drift learned on other curves).
        drift: Vec<(String, f64)>,
        /// (law, w): the own drift's weight, fixed or learned on other
        /// curves (`learned`).
        own_weight: Vec<(String, f64)>,
        /// The weights were learned (a regression of the drift from the
        /// window on the own drift, on other curves) rather than fixed.
        #[serde(default)]
        learned: bool,
    },
    /// (e) c: the per-law drift times `shrink` when the law's own backtest
    /// drift has the same sign, else 0 (the data do not confirm it).
    Gated {
        /// Share of the learned drift removed.
        shrink: f64,
        /// (law, drift learned on other curves).
        drift: Vec<(String, f64)>,
    },
    /// (g) c: the smaller in magnitude of the per-law and the own drift
    /// when their signs agree, else 0, times `shrink`.
    Capped {
        /// Share removed.
        shrink: f64,
        /// (law, drift learned on other curves).
        drift: Vec<(String, f64)>,
    },
    /// (f) c: a drift per law and per window fraction learned on other
    /// curves, times `shrink`: a benchmark-only correction (the records
    /// know the share of the curve in the window; `slaw compare` does not,
    /// and applies none).
    PerWindow {
        /// Share of the learned drift removed.
        shrink: f64,
        /// (window fraction, (law, drift)).
        drift: Vec<(f64, Vec<(String, f64)>)>,
    },
    /// (f') c: a drift per law learned on other curves' windows of at most
    /// `split` points (`small`) or of more (`large`), by the number of
    /// points fitted, times `shrink` (a proxy of (f) that `slaw compare`
    /// can apply).
    PerSize {
        /// Share of the learned drift removed.
        shrink: f64,
        /// Windows of at most this many points use `small`.
        split: usize,
        /// (law, drift) on windows of at most `split` points.
        small: Vec<(String, f64)>,
        /// (law, drift) on larger windows.
        large: Vec<(String, f64)>,
    },
    /// (h) c per unit squared ln distance: ln f(x) - c ln(x / x_last)^2,
    /// c a curvature per law learned on other curves, times `shrink` (an
    /// error that grows faster than the distance is corrected less near
    /// the window and more far from it).
    Quadratic {
        /// Share of the learned curvature removed.
        shrink: f64,
        /// (law, ln forecast - ln truth per unit squared ln distance).
        drift: Vec<(String, f64)>,
    },
    /// (i) c: a per-law drift that moves with a property of the window
    /// ([`Key`], read from the fitted points alone, so that `slaw compare`
    /// can apply it): drift + slope (k - centre), k clamped to `range`
    /// (the values seen where it was learned), times `shrink`; the drift
    /// alone where the key is unavailable.
    Keyed {
        /// Share removed.
        shrink: f64,
        /// The window's property.
        key: Key,
        /// (law, drift at the centre).
        drift: Vec<(String, f64)>,
        /// (law, change of the drift per unit of the key).
        slope: Vec<(String, f64)>,
        /// The key's mean where it was learned.
        centre: f64,
        /// The key's smallest and largest values where it was learned.
        range: (f64, f64),
    },
}

/// A property of the fitting window that a [`Correction::Keyed`] drift
/// moves with; all from the points' ln x and ln y, so unchanged when x or
/// y is multiplied by a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Key {
    /// The change of the log-log slope between the window's first and
    /// second halves, relative to the first half's slope ([`Shape::bend`]):
    /// < 0 when the descent steepens.
    Bend,
    /// max(0, -[`Key::Bend`]): how much the descent steepens (0 when it
    /// flattens).
    Steepening,
    /// The window's span in ln x ([`Shape::span`]).
    Span,
}

impl Key {
    /// Every key.
    pub const ALL: [Key; 3] = [Key::Bend, Key::Steepening, Key::Span];

    /// The key's value on a window of shape `w` (NaN when unavailable).
    pub fn of(self, w: &Shape) -> f64 {
        match self {
            Key::Bend => w.bend,
            // NaN stays NaN (f64::max would return 0)
            Key::Steepening if w.bend.is_nan() => f64::NAN,
            Key::Steepening => (-w.bend).max(0.0),
            Key::Span => w.span,
        }
    }

    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Key::Bend => "bend",
            Key::Steepening => "steepening",
            Key::Span => "ln x span",
        }
    }
}

/// The fitting window's size and shape ([`Correction::slope_at`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Points fitted.
    pub n: usize,
    /// ln(x_last / x_first) (NaN when unavailable).
    pub span: f64,
    /// (s2 - s1) / |s1|, s1 and s2 the least-squares slopes of ln y on ln
    /// x over the window's first and second halves (sharing the middle
    /// point; NaN when unavailable or the first half is flat; unbounded
    /// when the first half is nearly flat: the bounded (s2 - s1) /
    /// max(|s1|, |s2|) was measured too, BENCHMARKS.md, branch `bias3`).
    pub bend: f64,
}

impl Shape {
    /// A window of `n` points whose shape is unknown.
    pub fn points(n: usize) -> Shape {
        Shape {
            n,
            span: f64::NAN,
            bend: f64::NAN,
        }
    }

    /// The shape of the window of points (ln x, ln y), in increasing x
    /// (any origin of ln x: only differences count).
    pub fn of(ln_x: &[f64], ln_y: &[f64]) -> Shape {
        let n = ln_x.len().min(ln_y.len());
        let mut out = Shape::points(n);
        if n < 4 || !ln_x[..n].iter().chain(&ln_y[..n]).all(|v| v.is_finite()) {
            return out;
        }
        out.span = ln_x[n - 1] - ln_x[0];
        let h = n / 2;
        let (s1, s2) = (
            ls_slope(&ln_x[..=h], &ln_y[..=h]),
            ls_slope(&ln_x[h..n], &ln_y[h..n]),
        );
        if let (Some(s1), Some(s2)) = (s1, s2) {
            if s1.abs() > 1e-12 {
                out.bend = (s2 - s1) / s1.abs();
            }
        }
        out
    }
}

/// The least-squares slope of y on x (`None` when x does not vary).
fn ls_slope(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

/// (law, value) pairs as owned names.
fn named_list(v: &[(&str, f64)]) -> Vec<(String, f64)> {
    v.iter().map(|&(n, d)| (n.to_string(), d)).collect()
}

fn named(v: &[(String, f64)], name: &str) -> Option<f64> {
    v.iter().find(|(n, _)| n == name).map(|&(_, d)| d)
}

impl Correction {
    /// The slope c of the law `name` whose own backtest drift is `own`
    /// (0 for [`Correction::PerSize`], which needs the window's size:
    /// [`Correction::slope_n`]).
    pub fn slope(&self, name: &str, own: Option<f64>) -> f64 {
        self.slope_n(name, own, None)
    }

    /// [`Correction::slope`] on a window of `n` points.
    pub fn slope_n(&self, name: &str, own: Option<f64>, n: Option<usize>) -> f64 {
        self.slope_at(name, own, n.map(Shape::points).as_ref())
    }

    /// [`Correction::slope`] on a window of shape `w`.
    pub fn slope_at(&self, name: &str, own: Option<f64>, w: Option<&Shape>) -> f64 {
        let n = w.map(|w| w.n);
        match self {
            Correction::Keyed {
                shrink,
                key,
                drift,
                slope,
                centre,
                range,
            } => {
                let Some(d) = named(drift, name) else {
                    return 0.0;
                };
                let k = w.map_or(f64::NAN, |w| key.of(w));
                if !k.is_finite() {
                    return shrink * d;
                }
                let b = named(slope, name).unwrap_or(0.0);
                shrink * (d + b * (k.clamp(range.0, range.1) - centre))
            }
            Correction::PerSize {
                shrink,
                split,
                small,
                large,
            } => n.map_or(0.0, |n| {
                let d = if n <= *split { small } else { large };
                named(d, name).map_or(0.0, |d| shrink * d)
            }),
            Correction::None => 0.0,
            Correction::OwnDrift { shrink } => own.map_or(0.0, |d| shrink * d),
            Correction::PerLaw { shrink, drift } => named(drift, name).map_or(0.0, |d| shrink * d),
            Correction::Blend {
                shrink,
                drift,
                own_weight,
                ..
            } => {
                let Some(p) = named(drift, name) else {
                    return 0.0;
                };
                let w = named(own_weight, name).unwrap_or(0.0);
                match own {
                    Some(o) => shrink * (w * o + (1.0 - w) * p),
                    None => shrink * p,
                }
            }
            Correction::Gated { shrink, drift } => match (named(drift, name), own) {
                (Some(p), Some(o)) if p * o > 0.0 => shrink * p,
                _ => 0.0,
            },
            Correction::Capped { shrink, drift } => match (named(drift, name), own) {
                (Some(p), Some(o)) if p * o > 0.0 => shrink * p.signum() * p.abs().min(o.abs()),
                _ => 0.0,
            },
            Correction::PerWindow { .. } => 0.0,
            Correction::Quadratic { shrink, drift } => {
                named(drift, name).map_or(0.0, |d| shrink * d)
            }
        }
    }

    /// The power of the ln distance the slope multiplies (2 for
    /// [`Correction::Quadratic`], else 1).
    pub fn power(&self) -> i32 {
        match self {
            Correction::Quadratic { .. } => 2,
            _ => 1,
        }
    }

    /// The per-law drifts of a learned correction (`None` for none and the
    /// own drift).
    pub fn drift(&self) -> Option<&[(String, f64)]> {
        match self {
            Correction::None
            | Correction::OwnDrift { .. }
            | Correction::PerWindow { .. }
            | Correction::PerSize { .. } => None,
            Correction::PerLaw { drift, .. }
            | Correction::Keyed { drift, .. }
            | Correction::Blend { drift, .. }
            | Correction::Gated { drift, .. }
            | Correction::Capped { drift, .. }
            | Correction::Quadratic { drift, .. } => Some(drift),
        }
    }

    /// A short label ("" for none).
    pub fn label(&self) -> String {
        match self {
            Correction::None => String::new(),
            Correction::OwnDrift { shrink } => format!(", own drift x{shrink}"),
            Correction::PerLaw { shrink, drift } => {
                let d: Vec<String> = drift.iter().map(|(n, d)| format!("{n} {d:.4}")).collect();
                format!(", per-law drift x{shrink} ({})", d.join(", "))
            }
            Correction::Blend {
                shrink,
                drift,
                own_weight,
                learned,
            } => {
                let d: Vec<String> = drift
                    .iter()
                    .map(|(n, d)| {
                        let w = named(own_weight, n).unwrap_or(0.0);
                        format!("{n} {d:.4} w {w:.2}")
                    })
                    .collect();
                let how = if *learned { "learned" } else { "fixed" };
                format!(
                    ", per-law drift blended with own drift ({how} w) x{shrink} ({})",
                    d.join(", ")
                )
            }
            Correction::Gated { shrink, drift } => {
                let d: Vec<String> = drift.iter().map(|(n, d)| format!("{n} {d:.4}")).collect();
                format!(
                    ", per-law drift gated by own drift's sign x{shrink} ({})",
                    d.join(", ")
                )
            }
            Correction::Capped { shrink, drift } => {
                let d: Vec<String> = drift.iter().map(|(n, d)| format!("{n} {d:.4}")).collect();
                format!(
                    ", per-law drift capped by own drift x{shrink} ({})",
                    d.join(", ")
                )
            }
            Correction::PerWindow { shrink, drift } => {
                let d: Vec<String> = drift
                    .iter()
                    .map(|(f, v)| {
                        let v: Vec<String> = v.iter().map(|(n, d)| format!("{n} {d:.4}")).collect();
                        format!("{f}: {}", v.join(", "))
                    })
                    .collect();
                format!(
                    ", per-law drift per window fraction x{shrink} ({})",
                    d.join("; ")
                )
            }
            Correction::Quadratic { shrink, drift } => {
                let d: Vec<String> = drift.iter().map(|(n, d)| format!("{n} {d:.4}")).collect();
                format!(
                    ", per-law curvature (per squared ln distance) x{shrink} ({})",
                    d.join(", ")
                )
            }
            Correction::Keyed {
                shrink,
                key,
                drift,
                slope,
                centre,
                range,
            } => {
                let d: Vec<String> = drift
                    .iter()
                    .map(|(n, d)| {
                        let b = named(slope, n).unwrap_or(0.0);
                        format!("{n} {d:.4} {b:+.4}")
                    })
                    .collect();
                format!(
                    ", per-law drift keyed to the window's {} (centre {centre:.3}, range {:.3} to {:.3}) x{shrink} ({})",
                    key.label(),
                    range.0,
                    range.1,
                    d.join(", ")
                )
            }
            Correction::PerSize {
                shrink,
                split,
                small,
                large,
            } => {
                let f = |v: &[(String, f64)]| {
                    let v: Vec<String> = v.iter().map(|(n, d)| format!("{n} {d:.4}")).collect();
                    v.join(", ")
                };
                format!(
                    ", per-law drift by window size x{shrink} (<= {split} points: {}; more: {})",
                    f(small),
                    f(large)
                )
            }
        }
    }
}

/// The mean over origins of the drifts, `None` if any is missing (or none).
pub fn mean_drift(drifts: &[Option<f64>]) -> Option<f64> {
    score(drifts)
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

/// The one-input catalog laws a learning curve is fitted with (bnsl-2, with
/// nine parameters, is left out: it rarely has enough points in a window).
pub fn curve_laws() -> Vec<Law> {
    CATALOG_LAWS
        .iter()
        .map(|n| catalog::by_name(n).expect("a catalog law"))
        .collect()
}

/// Indices of `obs` ordered by the (first) input.
pub fn order(obs: &Observations) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..obs.len()).collect();
    idx.sort_by(|&a, &b| obs.point(a)[0].total_cmp(&obs.point(b)[0]).then(a.cmp(&b)));
    idx
}

/// RMSE of ln y against ln of the law's predictions at the points `idx`;
/// NaN when a prediction is not a positive number.
pub fn rmse_log(law: &Law, params: &[f64], obs: &Observations, idx: &[usize]) -> f64 {
    if idx.is_empty() {
        return f64::NAN;
    }
    let mut s = 0.0;
    for &i in idx {
        let p = law.predict(obs.point(i), params);
        if !(p > 0.0 && p.is_finite()) {
            return f64::NAN;
        }
        s += (obs.y[i].ln() - p.ln()).powi(2);
    }
    (s / idx.len() as f64).sqrt()
}

/// A backtest's errors at one origin, on the points after it: the RMSE of
/// ln L, the bias (mean of ln forecast - ln truth) and the drift (that
/// signed error per unit ln distance: the least-squares slope through zero
/// of ln forecast - ln truth against ln(x / x at the origin's last fitted
/// point); `None` when the distances are not defined, i.e. x <= 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Signed {
    /// RMSE of ln L.
    pub rmse: f64,
    /// Mean of ln forecast - ln truth.
    pub bias: f64,
    /// ln forecast - ln truth per unit ln(x / x_origin).
    pub drift: Option<f64>,
}

impl Signed {
    /// The errors of the ln forecasts `ln_pred` against `ln_truth` at
    /// ln distances `ln_dist` (ln(x / x_origin)); `None` when empty or a
    /// forecast is not finite.
    pub fn of(ln_pred: &[f64], ln_truth: &[f64], ln_dist: &[f64]) -> Option<Signed> {
        let n = ln_pred.len();
        if n == 0 || ln_truth.len() != n || ln_dist.len() != n {
            return None;
        }
        let (mut ss, mut s, mut eu, mut uu) = (0.0, 0.0, 0.0, 0.0);
        for j in 0..n {
            let e = ln_pred[j] - ln_truth[j];
            if !e.is_finite() {
                return None;
            }
            ss += e * e;
            s += e;
            eu += e * ln_dist[j];
            uu += ln_dist[j] * ln_dist[j];
        }
        let drift = eu / uu;
        Some(Signed {
            rmse: (ss / n as f64).sqrt(),
            bias: s / n as f64,
            drift: (uu > 0.0 && drift.is_finite()).then_some(drift),
        })
    }
}

/// ln(x / x_o) of the points `later` (indices of `obs`), x_o the input of
/// point `last` (the last fitted); NaN where not defined.
pub fn ln_distances(obs: &Observations, last: usize, later: &[usize]) -> Vec<f64> {
    let xo = obs.point(last)[0];
    later
        .iter()
        .map(|&i| {
            let x = obs.point(i)[0];
            if xo > 0.0 && x > 0.0 {
                (x / xo).ln()
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// The backtest error of `law` at `origin` (points ordered as `idx`): fitted
/// on the points before it, the RMSE of ln L on the rest. `None` when the
/// refit would have no more points than parameters, nothing to score, or
/// did not converge.
pub fn backtest_error(
    law: &Law,
    obs: &Observations,
    idx: &[usize],
    origin: Origin,
    opts: &FitOptions,
) -> Option<f64> {
    backtest_signed(law, obs, idx, origin, opts).map(|s| s.rmse)
}

/// [`backtest_error`] with the signed errors ([`Signed`]).
pub fn backtest_signed(
    law: &Law,
    obs: &Observations,
    idx: &[usize],
    origin: Origin,
    opts: &FitOptions,
) -> Option<Signed> {
    let n = idx.len();
    let m = origin.fitted(n);
    if m <= law.n_params() || m >= n {
        return None;
    }
    let res = fit(law, &fit_data(obs, &idx[..m], n, opts), opts).ok()?;
    if !res.converged {
        return None;
    }
    let ln_pred: Vec<f64> = idx[m..]
        .iter()
        .map(|&i| law.predict(obs.point(i), &res.params).ln())
        .collect();
    later_errors(obs, idx, m, &ln_pred)
}

/// [`Signed`] of `ln_pred` at the points `idx[m..]` against their truth,
/// distances from point `idx[m - 1]`; `None` when a forecast is not a
/// positive number (NaN ln).
fn later_errors(obs: &Observations, idx: &[usize], m: usize, ln_pred: &[f64]) -> Option<Signed> {
    let truth: Vec<f64> = idx[m..].iter().map(|&i| obs.y[i].ln()).collect();
    let dist = ln_distances(obs, idx[m - 1], &idx[m..]);
    let s = Signed::of(ln_pred, &truth, &dist)?;
    s.rmse.is_finite().then_some(s)
}

/// The name of M4 fitted by its authors' procedure ([`crate::m4_reference`])
/// as a law of a rule's pool (it is not a catalog law: its fit is theirs).
pub const M4_AUTHORS: &str = "m4-authors";

/// M4 by its authors' procedure, capped ([`crate::m4_reference::Options::capped`]) for the fit on
/// all the points too.
pub const M4_AUTHORS_CAPPED: &str = "m4-authors-capped";

/// The laws a pool names for M4 fitted by its authors' procedure (see
/// [`pool_law`]), each described with its rounds: `slaw laws` lists them
/// beside the catalog.
pub fn authors_m4_laws() -> Vec<Law> {
    let rounds = |o: crate::m4_reference::Options| {
        format!(
            "{} gradient and up to {} rounds",
            o.grad_rounds, o.max_rounds
        )
    };
    [
        (
            M4_AUTHORS,
            format!(
                "the law m4 fitted by its authors' published procedure (least squares on the \
                 law's transformed equation, {}), in the data's units; only compare's backtest \
                 pick fits it",
                rounds(crate::m4_reference::Options::default())
            ),
        ),
        (
            M4_AUTHORS_CAPPED,
            format!(
                "the same capped at {} (its backtests are always capped); in compare's default \
                 pool for one input",
                rounds(crate::m4_reference::Options::capped())
            ),
        ),
    ]
    .into_iter()
    .map(|(name, description)| {
        let mut law = catalog::m4();
        law.name = name.to_string();
        law.description = description;
        law
    })
    .collect()
}

/// Parameters of M4 (the refits need more points than these).
const M4_PARAMS: usize = 5;

/// Above this many points, each fit of the pick (on all the points, and at
/// each backtest origin on the points before it, however many) is made on [`BINS`]
/// log-spaced bins of the points ([`log_bins`]); the backtests are still
/// scored on every later point. No curve of the benchmarks comes near it
/// (`slaw bench curves`: at most 546 points; the largest file of the shared
/// data has 4,853 rows), so their figures are those of the exact fits; a
/// training log of 1e5 steps is fitted in seconds instead of minutes (M4 by
/// its authors' procedure costs about 1.5 ms per point and fit).
pub const MAX_POINTS: usize = 5_000;

/// Bins of a fit above [`MAX_POINTS`] points.
pub const BINS: usize = 500;

/// Whether [`log_bins`] can bin the points `idx` (ordered by x): one input,
/// no context, every x > 0, none held out, a range of x that is not empty.
pub fn binnable(obs: &Observations, idx: &[usize]) -> bool {
    if obs.dim() != 1 || obs.context_dim != 0 || idx.is_empty() {
        return false;
    }
    let (first, last) = (obs.point(idx[0])[0], obs.point(idx[idx.len() - 1])[0]);
    first > 0.0
        && last > first
        && last.is_finite()
        && !idx
            .iter()
            .any(|&i| obs.held[i] || obs.point(i)[0].is_nan() || obs.point(i)[0] <= 0.0)
}

/// The points `idx` (ordered by x, one input) in `bins` bins equally spaced
/// in ln x from the first point's x to the last's: per non-empty bin one
/// point at exp(mean ln x), the mean of the loss in the fit's `space` (ln L
/// or L), both weighted by the points' weights, with their sum as its
/// weight — so the bins weigh the curve's parts as its points do, and a
/// law smooth over a bin (in ln x, width ln(x_last / x_first) / bins) fits
/// them as it fits the points, to second order in the bin's width (the
/// Huber loss's threshold then acts on bin means, whose noise is smaller
/// than the points'). `None` (fit the points themselves) when an x is 0
/// or below, a point is held out, the points carry context, or the x range
/// is empty.
pub fn log_bins(
    obs: &Observations,
    idx: &[usize],
    bins: usize,
    space: crate::objective::Space,
) -> Option<Observations> {
    if bins == 0 || !binnable(obs, idx) {
        return None;
    }
    let (first, last) = (obs.point(idx[0])[0], obs.point(idx[idx.len() - 1])[0]);
    let (l0, span) = (first.ln(), (last / first).ln());
    let log = space == crate::objective::Space::Log;
    // per bin: sum w, sum w ln x, sum w y (or w ln y), first point
    let mut acc: Vec<(f64, f64, f64, usize)> = vec![(0.0, 0.0, 0.0, usize::MAX); bins];
    for &i in idx {
        let (x, y, w) = (obs.point(i)[0], obs.y[i], obs.weight[i]);
        if w.is_nan() || w <= 0.0 {
            continue;
        }
        let b = ((((x.ln() - l0) / span) * bins as f64) as usize).min(bins - 1);
        let a = &mut acc[b];
        a.0 += w;
        a.1 += w * x.ln();
        a.2 += w * if log { y.ln() } else { y };
        if a.3 == usize::MAX {
            a.3 = i;
        }
    }
    let kept: Vec<&(f64, f64, f64, usize)> = acc.iter().filter(|a| a.0 > 0.0).collect();
    let mut out = obs.subset(&kept.iter().map(|a| a.3).collect::<Vec<_>>());
    for (k, a) in kept.iter().enumerate() {
        out.x[k] = (a.1 / a.0).exp();
        let m = a.2 / a.0;
        out.y[k] = if log { m.exp() } else { m };
        out.weight[k] = a.0;
    }
    Some(out)
}

/// The points `idx` (ordered by x) a fit of the pick on a curve of `n`
/// points is made on: the points themselves up to [`MAX_POINTS`], else
/// their [`log_bins`] (at the backtest origins too, so that the whole pick
/// of a long curve is on bins).
fn fit_data<'a>(
    obs: &'a Observations,
    idx: &[usize],
    n: usize,
    opts: &FitOptions,
) -> std::borrow::Cow<'a, Observations> {
    if n > MAX_POINTS {
        if let Some(b) = log_bins(obs, idx, BINS, opts.space) {
            return std::borrow::Cow::Owned(b);
        }
    }
    obs.part(idx)
}

/// The (x, y, weight) M4 by its authors' procedure is fitted to, from the
/// points `idx` (ordered by x) of a curve of `n` points: the points
/// (weights `None`) up to [`MAX_POINTS`], else their [`log_bins`] of ln L.
fn m4_data(obs: &Observations, idx: &[usize], n: usize) -> (Vec<f64>, Vec<f64>, Option<Vec<f64>>) {
    if n > MAX_POINTS {
        if let Some(b) = log_bins(obs, idx, BINS, crate::objective::Space::Log) {
            return (b.x, b.y, Some(b.weight));
        }
    }
    let x: Vec<f64> = idx.iter().map(|&i| obs.point(i)[0]).collect();
    let y: Vec<f64> = idx.iter().map(|&i| obs.y[i]).collect();
    (x, y, None)
}

/// M4 by its authors' procedure on the points `idx` (ordered by x): on
/// their bins above [`MAX_POINTS`] (each bin weighted by its count, E and
/// I bounded by the points' own lowest and highest loss, as on the points).
fn m4_fit(
    obs: &Observations,
    idx: &[usize],
    n: usize,
    opts: &crate::m4_reference::Options,
) -> Option<crate::m4_reference::M4Reference> {
    let (x, y, w) = m4_data(obs, idx, n);
    match w {
        None => crate::m4_reference::fit(&x, &y, opts),
        Some(w) => {
            let ys = idx.iter().map(|&i| obs.y[i]);
            let lo = ys.clone().fold(f64::INFINITY, f64::min);
            let hi = ys.fold(f64::NEG_INFINITY, f64::max);
            crate::m4_reference::fit_weighted(&x, &y, &w, (lo, hi), opts)
        }
    }
}

/// The backtest error of M4 fitted by its authors' procedure, capped
/// ([`crate::m4_reference::Options::capped`]) so that backtests are
/// affordable; `None` as [`backtest_error`] (too few points, nothing to
/// score, or no finite prediction).
pub fn m4_authors_error(obs: &Observations, idx: &[usize], origin: Origin) -> Option<f64> {
    m4_authors_signed(obs, idx, origin).map(|s| s.rmse)
}

/// [`m4_authors_error`] with the signed errors ([`Signed`]).
pub fn m4_authors_signed(obs: &Observations, idx: &[usize], origin: Origin) -> Option<Signed> {
    let n = idx.len();
    let m = origin.fitted(n);
    if m <= M4_PARAMS || m >= n {
        return None;
    }
    let f = m4_fit(obs, &idx[..m], n, &crate::m4_reference::Options::capped())?;
    let ln_pred: Vec<f64> = idx[m..]
        .iter()
        .map(|&i| f.predict(obs.point(i)[0]).ln())
        .collect();
    later_errors(obs, idx, m, &ln_pred)
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
fn unshrunk_weights(
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

/// One law's backtest in a [`pick`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct LawBacktest {
    /// The law's name.
    pub law: String,
    /// The fit on all the points converged.
    pub converged: bool,
    /// Backtest error (RMSE of ln L) per origin of the rule; `None` where
    /// the refit had too few points or did not converge.
    pub errors: Vec<Option<f64>>,
    /// The mean error, when the law is eligible.
    pub score: Option<f64>,
    /// The mean over the rule's origins of the signed backtest drift (ln
    /// forecast - ln truth per unit ln(x / x_origin), [`Signed::drift`]);
    /// `None` when an origin has none.
    pub drift: Option<f64>,
    /// Weight in the pick (0 for laws not chosen).
    pub weight: f64,
    /// Why the law is not eligible, if it is not.
    pub reason: Option<String>,
    #[serde(skip)]
    /// The fit on all the points (None when it failed, and for M4 fitted
    /// by its authors' procedure: see `params`).
    pub fit: Option<FitResult>,
    /// The parameters of the fit on all the points, in the law's order
    /// (for the authors' M4: the catalog `m4` law's).
    pub params: Option<Vec<f64>>,
}

/// The backtest pick on one curve.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pick {
    /// The rule applied.
    pub rule: Rule,
    /// Every law considered, in the order given, with its score and weight.
    pub laws: Vec<LawBacktest>,
    /// Fewer than 2 laws were eligible and the rule's fallback set the weights.
    pub fallback: bool,
    /// The input of the last point (the origin of the rule's
    /// [`Correction`]).
    pub x_last: f64,
    /// The input of the first point (the smallest).
    pub x_first: f64,
    /// The number of points fitted ([`Correction::PerSize`]).
    #[serde(skip)]
    pub n_points: usize,
    /// The window's shape ([`Correction::Keyed`]).
    #[serde(skip)]
    pub shape: Option<Shape>,
    /// (law, c) for each weighted law: the rule's correction slope at this
    /// window ([`Correction::slope_at`]): its ln prediction at x > `x_last`
    /// is lowered by c ln(x / x_last) (squared for
    /// [`Correction::Quadratic`]); empty without a correction.
    pub corrections: Vec<(String, f64)>,
    /// Above [`MAX_POINTS`] points: the fits were made on at most this
    /// many log-spaced bins of the points ([`log_bins`]); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bins: Option<usize>,
    #[serde(skip)]
    laws_def: Vec<Law>,
    /// The points the fits on all the points were made on, and how
    /// ([`Pick::predict_range`]).
    #[serde(skip)]
    fitted_on: Option<(Observations, FitOptions)>,
}

impl Pick {
    /// The pick's prediction at x: exp of the weighted mean (or median) of
    /// the chosen laws' ln predictions; `None` when no law was eligible.
    pub fn predict(&self, x: &[f64]) -> Option<f64> {
        let ln_pred = self.ln_predictions(x, |_, _, p| Some((p, p)))?;
        let lo: Vec<f64> = ln_pred.iter().map(|p| p.0).collect();
        let w: Vec<f64> = ln_pred.iter().map(|p| p.2).collect();
        let v = combine_ln(self.rule.combine, &lo, &w);
        v.is_finite().then(|| v.exp())
    }

    /// Where a chosen law's Huber optimum is a segment
    /// ([`crate::segment::prediction_range`]), the range of the pick's
    /// prediction at x over the fits as good as each law's optimum: the
    /// rule's combination (a weighted mean or a median of the ln
    /// predictions, each rising with every law's) of the laws' lower ends,
    /// and of their upper ends. `None` when no chosen law has a segment, or
    /// none that moves the combination (by 1e-9 in ln).
    pub fn predict_range(&self, x: &[f64]) -> Option<(f64, f64)> {
        let (data, opts) = self.fitted_on.as_ref()?;
        let mut any = false;
        let ln_pred = self.ln_predictions(x, |law, l, p| {
            match l
                .fit
                .as_ref()
                .and_then(|f| crate::segment::prediction_range(law, f, data, opts, x))
            {
                Some(r) => {
                    any = true;
                    Some(r)
                }
                None => Some((p, p)),
            }
        })?;
        if !any {
            return None;
        }
        let lo: Vec<f64> = ln_pred.iter().map(|p| p.0).collect();
        let hi: Vec<f64> = ln_pred.iter().map(|p| p.1).collect();
        let w: Vec<f64> = ln_pred.iter().map(|p| p.2).collect();
        let (a, b) = (
            combine_ln(self.rule.combine, &lo, &w),
            combine_ln(self.rule.combine, &hi, &w),
        );
        // A segment the combination does not feel (a law off the median)
        // leaves nothing to say.
        (a.is_finite() && b.is_finite() && b - a > 1e-9).then(|| (a.exp(), b.exp()))
    }

    /// The chosen laws' ln predictions at x, each (lower, upper, weight):
    /// the ends from `ends` (law, its backtest, its prediction), lowered by
    /// the rule's correction beyond the data; `None` when a prediction or an
    /// end is not a positive number.
    fn ln_predictions(
        &self,
        x: &[f64],
        mut ends: impl FnMut(&Law, &LawBacktest, f64) -> Option<(f64, f64)>,
    ) -> Option<Vec<(f64, f64, f64)>> {
        let mut ln_pred = Vec::with_capacity(self.laws.len());
        for (l, law) in self.laws.iter().zip(&self.laws_def) {
            if l.weight > 0.0 {
                let p = law.predict(x, l.params.as_ref()?);
                if !(p > 0.0 && p.is_finite()) {
                    return None;
                }
                let (lo, hi) = ends(law, l, p)?;
                if !(lo > 0.0 && hi.is_finite()) {
                    return None;
                }
                let c = self
                    .rule
                    .correction
                    .slope_at(&l.law, l.drift, self.shape.as_ref());
                // Beyond the data only: nothing is corrected inside it.
                let shift = if c != 0.0 && x[0] > self.x_last {
                    c * (x[0] / self.x_last).ln().powi(self.rule.correction.power())
                } else {
                    0.0
                };
                if !shift.is_finite() {
                    return None;
                }
                ln_pred.push((lo.ln() - shift, hi.ln() - shift, l.weight));
            }
        }
        Some(ln_pred)
    }

    /// The law of largest weight; among equal weights (a median, the
    /// fallback's equal weights) the one of lowest backtest score (a law
    /// without a score after those with one), then the first in the order
    /// given: the choice does not depend on the order of the laws unless
    /// their scores tie exactly.
    pub fn top(&self) -> Option<&LawBacktest> {
        let better = |a: &LawBacktest, b: &LawBacktest| match a.weight.total_cmp(&b.weight) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => match (a.score, b.score) {
                (Some(x), Some(y)) => x < y,
                (Some(_), None) => true,
                _ => false,
            },
        };
        self.laws
            .iter()
            .filter(|l| l.weight > 0.0)
            .fold(None, |best: Option<&LawBacktest>, l| match best {
                Some(b) if !better(l, b) => Some(b),
                _ => Some(l),
            })
    }
}

/// Whether `name` is M4 fitted by its authors' procedure ([`M4_AUTHORS`],
/// [`M4_AUTHORS_CAPPED`]) rather than a catalog law.
pub fn is_authors_m4(name: &str) -> bool {
    name == M4_AUTHORS || name == M4_AUTHORS_CAPPED
}

/// The law a pool names: a catalog law, or, for [`M4_AUTHORS`] and
/// [`M4_AUTHORS_CAPPED`], the catalog `m4` law under that name (its inputs,
/// parameters and domain; only [`pick`] fits it by its authors' procedure).
/// An unknown name lists the catalog's laws and these two.
pub fn pool_law(name: &str) -> Result<Law> {
    if is_authors_m4(name) {
        let mut m4 = catalog::m4();
        m4.name = name.to_string();
        return Ok(m4);
    }
    catalog::by_name(name).map_err(|e| match e {
        Error::Unknown { kind, name, .. } => {
            let mut known: Vec<String> = catalog::all().into_iter().map(|l| l.name).collect();
            known.push(M4_AUTHORS.to_string());
            known.push(M4_AUTHORS_CAPPED.to_string());
            Error::unknown(kind, &name, known.join(", "))
        }
        e => e,
    })
}

/// The laws of `rule`'s pool fitted by M4's authors' procedure.
fn authors_in(rule: &Rule) -> Vec<&str> {
    rule.pool
        .iter()
        .map(String::as_str)
        .filter(|n| is_authors_m4(n))
        .collect()
}

/// Fit every law of `laws` admitted by `rule` to the one-input, ungrouped
/// `obs` and backtest it, and M4 by its authors' procedure if the rule's
/// pool names it ([`M4_AUTHORS`], [`M4_AUTHORS_CAPPED`]); laws are fitted
/// in parallel.
pub fn pick(laws: &[Law], obs: &Observations, opts: &FitOptions, rule: &Rule) -> Result<Pick> {
    let authors = authors_in(rule);
    pick_with(laws, &authors, obs, opts, rule)
}

/// [`pick`] with the laws fitted by M4's authors' procedure named in
/// `authors` (each of [`M4_AUTHORS`], [`M4_AUTHORS_CAPPED`]; after the
/// catalog laws), whatever the rule's pool.
pub fn pick_with(
    laws: &[Law],
    authors: &[&str],
    obs: &Observations,
    opts: &FitOptions,
    rule: &Rule,
) -> Result<Pick> {
    if obs.dim() != 1 {
        return Err(Error::Data(
            "the backtest pick needs one input (points ordered along it)".to_string(),
        ));
    }
    let idx = order(obs);
    let mut laws: Vec<Law> = laws
        .iter()
        .filter(|l| rule.admits(&l.name) && !is_authors_m4(&l.name))
        .cloned()
        .collect();
    let n_catalog = laws.len();
    for a in authors {
        if is_authors_m4(a) && !laws.iter().any(|l| l.name == *a) {
            laws.push(pool_law(a)?);
        }
    }
    // The points of the fits on all the points (binned above MAX_POINTS).
    let full_data = if obs.len() > MAX_POINTS {
        fit_data(obs, &idx, obs.len(), opts).into_owned()
    } else {
        obs.clone()
    };
    let mut out: Vec<LawBacktest> = laws
        .par_iter()
        .enumerate()
        .map(|(k, law)| {
            if k >= n_catalog {
                return authors_backtest(law, obs, &idx, rule);
            }
            let full = if obs.len() > MAX_POINTS {
                fit(law, &full_data, opts).ok()
            } else if obs.len() >= law.n_params() {
                fit(law, obs, opts).ok()
            } else {
                None
            };
            let converged = full.as_ref().is_some_and(|f| f.converged);
            let signed: Vec<Option<Signed>> = rule
                .origins
                .iter()
                .map(|&r| backtest_signed(law, obs, &idx, r, opts))
                .collect();
            let errors: Vec<Option<f64>> = signed.iter().map(|s| s.map(|s| s.rmse)).collect();
            let drifts: Vec<Option<f64>> = signed.iter().map(|s| s.and_then(|s| s.drift)).collect();
            let sc = if converged { score(&errors) } else { None };
            let reason = if full.is_none() {
                Some(format!(
                    "{} parameters, {} points: not fitted",
                    law.n_params(),
                    obs.len()
                ))
            } else if !converged {
                Some("the fit did not converge".to_string())
            } else if sc.is_none() {
                Some("a backtest origin had too few points or did not converge".to_string())
            } else {
                None
            };
            LawBacktest {
                law: law.name.clone(),
                converged,
                errors,
                score: sc,
                drift: mean_drift(&drifts),
                weight: 0.0,
                reason,
                params: full.as_ref().map(|f| f.params.to_vec()),
                fit: full,
            }
        })
        .collect();
    let scores: Vec<Option<f64>> = out.iter().map(|l| l.score).collect();
    let usable: Vec<bool> = out
        .iter()
        .zip(&laws)
        .map(|(l, law)| l.converged && obs.len() > law.n_params())
        .collect();
    let names: Vec<&str> = laws.iter().map(|l| l.name.as_str()).collect();
    let (w, fallback) = rule_weights(rule, &scores, &usable, &names);
    for (l, w) in out.iter_mut().zip(w) {
        l.weight = w;
    }
    let shape = window_shape(obs, &idx);
    let corrections = if rule.correction == Correction::None {
        Vec::new()
    } else {
        out.iter()
            .filter(|l| l.weight > 0.0)
            .map(|l| {
                let c = rule.correction.slope_at(&l.law, l.drift, Some(&shape));
                (l.law.clone(), c)
            })
            .collect()
    };
    let segments = out.iter().any(|l| {
        l.fit
            .as_ref()
            .is_some_and(|f| !f.identifiability.huber_flat.is_empty())
    });
    Ok(Pick {
        rule: rule.clone(),
        laws: out,
        fallback,
        x_last: idx.last().map_or(f64::NAN, |&i| obs.point(i)[0]),
        x_first: idx.first().map_or(f64::NAN, |&i| obs.point(i)[0]),
        n_points: obs.len(),
        shape: Some(shape),
        corrections,
        bins: (obs.len() > MAX_POINTS && log_bins(obs, &idx, BINS, opts.space).is_some())
            .then_some(BINS),
        laws_def: laws,
        // Kept only where a range can be asked of it (a law with a segment).
        fitted_on: segments.then(|| (full_data, opts.clone())),
    })
}

/// The shape of the window of `obs`'s points ordered as `idx`
/// ([`Shape::of`]; its size alone when an input is not positive).
pub fn window_shape(obs: &Observations, idx: &[usize]) -> Shape {
    let lx: Vec<f64> = idx.iter().map(|&i| obs.point(i)[0].ln()).collect();
    let ly: Vec<f64> = idx.iter().map(|&i| obs.y[i].ln()).collect();
    Shape::of(&lx, &ly)
}

/// The backtest of M4 fitted by its authors' procedure (`law`: the catalog
/// `m4` law named [`M4_AUTHORS`] or [`M4_AUTHORS_CAPPED`]): on all the
/// points their estimator as published ([`M4_AUTHORS`]) or capped, at the
/// origins capped ([`m4_authors_error`]). "Converged": a finite fit (their
/// stopping test may not fire; M4's authors use the fit all the same).
fn authors_backtest(law: &Law, obs: &Observations, idx: &[usize], rule: &Rule) -> LawBacktest {
    let opts = if law.name == M4_AUTHORS {
        crate::m4_reference::Options::default()
    } else {
        crate::m4_reference::Options::capped()
    };
    let full = (obs.len() >= M4_PARAMS)
        .then(|| m4_fit(obs, idx, idx.len(), &opts))
        .flatten();
    let converged = full.is_some();
    let signed: Vec<Option<Signed>> = rule
        .origins
        .iter()
        .map(|&r| m4_authors_signed(obs, idx, r))
        .collect();
    let errors: Vec<Option<f64>> = signed.iter().map(|s| s.map(|s| s.rmse)).collect();
    let drifts: Vec<Option<f64>> = signed.iter().map(|s| s.and_then(|s| s.drift)).collect();
    let sc = if converged { score(&errors) } else { None };
    // M4 takes ln x: an x of 0 or below, not the point count, is the cause.
    let bad_x = idx
        .iter()
        .find(|&&i| obs.point(i)[0].partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater));
    let reason = if let Some(&i) = bad_x {
        Some(format!(
            "{}, row {}: x = {} (M4 needs x > 0: it takes its logarithm)",
            obs.source,
            obs.line[i],
            obs.point(i)[0]
        ))
    } else if full.is_none() {
        Some(format!(
            "{} parameters, {} points: not fitted (or no finite fit)",
            M4_PARAMS,
            obs.len()
        ))
    } else if sc.is_none() {
        Some("a backtest origin had too few points or no finite fit".to_string())
    } else {
        None
    };
    LawBacktest {
        law: law.name.clone(),
        converged,
        errors,
        score: sc,
        drift: mean_drift(&drifts),
        weight: 0.0,
        reason,
        fit: None,
        params: full.map(|f| f.params),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pick whose only law has a segment of Huber optima (+-2% balanced
    /// residuals on a doubling ladder): its prediction's range is that
    /// law's range, lowered by the same correction as the prediction; none
    /// under least squares.
    #[test]
    fn a_pick_predicts_the_range_of_its_laws_segments() {
        let law = crate::law::formula::formula_law(
            "A / D^alpha",
            &["D".to_string()],
            &["A".to_string(), "alpha".to_string()],
            &["A".to_string()],
        )
        .unwrap();
        let d: Vec<f64> = (0..12).map(|k| 200.0 * 2f64.powi(k)).collect();
        let y: Vec<f64> = d
            .iter()
            .enumerate()
            .map(|(k, d)| 3.3 * d.powf(-0.113) * f64::exp(0.02 * [1.0, -1.0, -1.0, 1.0][k % 4]))
            .collect();
        let obs = Observations::from_columns(&["D"], &[d], y);
        let rule = Rule::shipped_with_any_pool();
        let opts = FitOptions::default();
        let p = pick(std::slice::from_ref(&law), &obs, &opts, &rule).unwrap();
        let x = [1e7];
        let v = p.predict(&x).unwrap();
        let (lo, hi) = p.predict_range(&x).expect("a segment");
        assert!(lo <= v && v <= hi && hi / lo > 1.01, "{lo} {v} {hi}");
        let fit = p.laws[0].fit.as_ref().unwrap();
        let (llo, lhi) = crate::segment::prediction_range(&law, fit, &obs, &opts, &x).unwrap();
        let own = law.predict(&x, p.laws[0].params.as_ref().unwrap());
        for (a, b) in [(lo / v, llo / own), (hi / v, lhi / own)] {
            assert!((a / b - 1.0).abs() < 1e-9, "{a} {b}");
        }
        let squared = FitOptions {
            loss: crate::objective::Loss::Squared,
            ..opts
        };
        let p = pick(std::slice::from_ref(&law), &obs, &squared, &rule).unwrap();
        assert!(p.predict_range(&x).is_none());
    }

    #[test]
    fn signed_errors_and_corrections() {
        // ln forecast - ln truth = 0.01 + 0.05 u at distances u
        let u = [0.1, 0.5, 1.0, 2.0];
        let truth = [1.0, 0.9, 0.8, 0.7];
        let pred: Vec<f64> = u
            .iter()
            .zip(&truth)
            .map(|(u, t)| t + 0.01 + 0.05 * u)
            .collect();
        let s = Signed::of(&pred, &truth, &u).unwrap();
        let e: Vec<f64> = u.iter().map(|u| 0.01 + 0.05 * u).collect();
        assert!((s.bias - e.iter().sum::<f64>() / 4.0).abs() < 1e-12);
        let slope = e.iter().zip(&u).map(|(e, u)| e * u).sum::<f64>()
            / u.iter().map(|u| u * u).sum::<f64>();
        assert!((s.drift.unwrap() - slope).abs() < 1e-12 && slope > 0.05);
        let rmse = (e.iter().map(|e| e * e).sum::<f64>() / 4.0).sqrt();
        assert!((s.rmse - rmse).abs() < 1e-12);
        // no distance, no drift; a non-finite forecast, nothing
        assert_eq!(Signed::of(&pred, &truth, &[0.0; 4]).unwrap().drift, None);
        assert!(Signed::of(&[f64::NAN], &[1.0], &[1.0]).is_none());
        let own = Correction::OwnDrift { shrink: 0.5 };
        assert_eq!(own.slope("power", Some(0.04)), 0.02);
        assert_eq!(own.slope("power", None), 0.0);
        let learned = Correction::PerLaw {
            shrink: 1.0,
            drift: vec![("power".into(), 0.03)],
        };
        assert_eq!(learned.slope("power", Some(0.5)), 0.03);
        assert_eq!(learned.slope("bnsl", Some(0.5)), 0.0);
        assert_eq!(Correction::None.slope("power", Some(0.5)), 0.0);
        // branch bias2: the blend, the gate, the cap, the size
        let d = vec![("power".to_string(), 0.03)];
        let blend = Correction::Blend {
            shrink: 1.0,
            drift: d.clone(),
            own_weight: vec![("power".into(), 0.25)],
            learned: false,
        };
        assert!((blend.slope("power", Some(0.07)) - (0.25 * 0.07 + 0.75 * 0.03)).abs() < 1e-15);
        assert_eq!(blend.slope("power", None), 0.03);
        assert_eq!(blend.slope("bnsl", Some(0.07)), 0.0);
        let gated = Correction::Gated {
            shrink: 0.5,
            drift: d.clone(),
        };
        assert_eq!(gated.slope("power", Some(0.001)), 0.015);
        assert_eq!(gated.slope("power", Some(-0.02)), 0.0);
        assert_eq!(gated.slope("power", None), 0.0);
        let capped = Correction::Capped {
            shrink: 1.0,
            drift: d.clone(),
        };
        assert_eq!(capped.slope("power", Some(0.01)), 0.01);
        assert_eq!(capped.slope("power", Some(0.08)), 0.03);
        assert_eq!(capped.slope("power", Some(-0.01)), 0.0);
        let sized = Correction::PerSize {
            shrink: 1.0,
            split: 10,
            small: vec![("power".into(), 0.05)],
            large: d,
        };
        assert_eq!(sized.slope_n("power", None, Some(10)), 0.05);
        assert_eq!(sized.slope_n("power", None, Some(11)), 0.03);
        assert_eq!(sized.slope("power", Some(0.5)), 0.0);
        let quad = Correction::Quadratic {
            shrink: 0.5,
            drift: vec![("power".into(), 0.02)],
        };
        assert_eq!((quad.slope("power", None), quad.power()), (0.01, 2));
        assert_eq!(Correction::None.power(), 1);
        // keyed: drift + slope (key - centre), the key clamped to its range
        let keyed = Correction::Keyed {
            shrink: 0.5,
            key: Key::Span,
            drift: vec![("power".into(), 0.02)],
            slope: vec![("power".into(), 0.01)],
            centre: 2.0,
            range: (1.0, 4.0),
        };
        let at = |span: f64| Shape {
            n: 12,
            span,
            bend: f64::NAN,
        };
        let close = |a: f64, b: f64| (a - b).abs() < 1e-15;
        assert!(close(keyed.slope_at("power", None, Some(&at(3.0))), 0.015));
        assert!(close(keyed.slope_at("power", None, Some(&at(9.0))), 0.02));
        assert!(close(keyed.slope_at("power", None, Some(&at(0.0))), 0.005));
        assert!(close(keyed.slope("power", None), 0.01));
        assert_eq!(keyed.slope_at("bnsl", None, Some(&at(3.0))), 0.0);
        assert!(Key::Steepening.of(&at(3.0)).is_nan());
    }

    #[test]
    fn weights_pick_and_normalize() {
        let s = [Some(0.02), None, Some(0.01), Some(0.04)];
        assert_eq!(weights(Combine::Best, &s), vec![0.0, 0.0, 1.0, 0.0]);
        let w = weights(Combine::Top { k: 2 }, &s);
        assert_eq!(w[1], 0.0);
        assert_eq!(w[3], 0.0);
        assert!((w[0] + w[2] - 1.0).abs() < 1e-12);
        assert!((w[2] / w[0] - 4.0).abs() < 1e-9);
        assert!(weights(Combine::Best, &[None, None])
            .iter()
            .all(|&w| w == 0.0));
    }

    #[test]
    fn fallback_weighs_converged_fits_when_fewer_than_two_are_eligible() {
        let names = ["power", "vanilla-ft", "bnsl", "m4"];
        let scores = [Some(0.02), None, None, None];
        let converged = [true, true, false, true];
        let mut rule = Rule {
            pool: names.iter().map(|s| s.to_string()).collect(),
            ..Rule::shipped()
        };
        // the default: the one eligible law
        rule.fallback = Fallback::Eligible;
        let (w, used) = rule_weights(&rule, &scores, &converged, &names);
        assert_eq!((w, used), (vec![1.0, 0.0, 0.0, 0.0], false));
        // every converged fit of the pool, equal weights
        rule.fallback = Fallback::AllFits;
        let (w, used) = rule_weights(&rule, &scores, &converged, &names);
        assert!(used);
        let third = 1.0 / 3.0;
        assert_eq!(w, vec![third, third, 0.0, third]);
        // the eligible law and m4
        rule.fallback = Fallback::WithM4;
        let (w, used) = rule_weights(&rule, &scores, &converged, &names);
        assert_eq!((w, used), (vec![0.5, 0.0, 0.0, 0.5], true));
        // with M4 fitted by its authors' procedure in the pool, that M4
        let five = ["power", "vanilla-ft", "bnsl", "m4", M4_AUTHORS_CAPPED];
        let mut with_authors = rule.clone();
        with_authors.pool = five.iter().map(|s| s.to_string()).collect();
        let (w, used) = rule_weights(
            &with_authors,
            &[Some(0.02), None, None, None, None],
            &[true, true, false, true, true],
            &five,
        );
        assert_eq!((w, used), (vec![0.5, 0.0, 0.0, 0.0, 0.5], true));
        // two eligible laws: the backtest's weights, whatever the fallback
        let two = [Some(0.02), Some(0.01), None, None];
        let (w, used) = rule_weights(&rule, &two, &converged, &names);
        assert!(!used);
        assert_eq!(w, weights(rule.combine, &two));
        // laws outside the pool never weigh
        rule.fallback = Fallback::AllFits;
        rule.pool = vec!["power".into(), "m4".into()];
        let (w, _) = rule_weights(&rule, &scores, &converged, &names);
        assert_eq!(w, vec![0.5, 0.0, 0.0, 0.5]);
    }

    /// With equal weights (the shipped median of 3) the choice is the law
    /// of best score, whatever the order the laws are given in (it was the
    /// last of the equal weights: the worst-scoring law in one order).
    #[test]
    fn the_choice_among_equal_weights_is_the_best_score_in_any_order() {
        let xs: Vec<f64> = (0..15)
            .map(|i| 1e3 * 10f64.powf(i as f64 * 4.0 / 14.0))
            .collect();
        // 0.5% deterministic wiggle around 50 / x^0.3 + 1.8
        let y: Vec<f64> = xs
            .iter()
            .enumerate()
            .map(|(i, x)| {
                (50.0 / x.powf(0.3) + 1.8) * (0.005 * ((i * 7 % 5) as f64 - 2.0) / 2.0).exp()
            })
            .collect();
        let obs = Observations::from_columns(&["n"], &[xs], y);
        let opts = FitOptions::default();
        let rule = Rule::shipped_with_any_pool();
        let choice = |names: &[&str]| {
            let laws: Vec<Law> = names.iter().map(|n| catalog::by_name(n).unwrap()).collect();
            let g = pick_groups(&laws, &obs, &opts, &rule).unwrap().remove(0);
            let w: Vec<f64> = g.pick.laws.iter().map(|l| l.weight).collect();
            assert!(w.iter().all(|&v| v == w[0] && v > 0.0), "{w:?}");
            let best = g
                .pick
                .laws
                .iter()
                .filter_map(|l| l.score)
                .fold(f64::INFINITY, f64::min);
            let top = g.pick.top().unwrap();
            assert_eq!(top.score, Some(best), "{:?}", g.pick.laws);
            (g.choice.unwrap(), top.score.unwrap())
        };
        let (a, sa) = choice(&["power", "vanilla-ft"]);
        let (b, sb) = choice(&["vanilla-ft", "power"]);
        assert_eq!(a, b);
        assert_eq!(sa, sb);
        // Three laws in two orders: the same best score (power and rectified
        // may tie exactly, rectified reducing to power).
        let (_, sc) = choice(&["power", "rectified", "vanilla-ft"]);
        let (_, sd) = choice(&["vanilla-ft", "rectified", "power"]);
        assert_eq!(sc, sd);
    }

    #[test]
    fn no_law_backtested_still_weighs_the_usable_fits() {
        // 5 points: no law could be backtested; m4 (5 parameters) and bnsl
        // interpolate (not usable), power and vanilla-ft have spare points
        let names = ["power", "vanilla-ft", "bnsl", "m4"];
        let scores = [None, None, None, None];
        let usable = [true, true, false, false];
        for fallback in [Fallback::Eligible, Fallback::AllFits, Fallback::WithM4] {
            let rule = Rule {
                fallback,
                ..Rule::shipped()
            };
            let (w, used) = rule_weights(&rule, &scores, &usable, &names);
            assert!(used, "{fallback:?}");
            assert_eq!(w, vec![0.5, 0.5, 0.0, 0.0], "{fallback:?}");
        }
        // nothing usable: no weights (the caller reports that no law could be used)
        let (w, used) = rule_weights(&Rule::shipped(), &scores, &[false; 4], &names);
        assert!(!used && w.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn weightings_order_and_normalize() {
        let s = [Some(0.02), None, Some(0.01), Some(0.04)];
        let top3 = Combine::Top { k: 3 };
        let check = |w: &[f64]| {
            assert_eq!(w[1], 0.0);
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            // the better backtest never weighs less
            assert!(w[2] >= w[0] && w[0] >= w[3], "{w:?}");
        };
        let inv = weights_by(top3, Weighting::Inverse, &s);
        check(&inv);
        assert!((inv[2] / inv[0] - 2.0).abs() < 1e-9);
        assert!((inv[0] / inv[3] - 2.0).abs() < 1e-9);
        let eq = weights_by(top3, Weighting::Equal, &s);
        check(&eq);
        assert!((eq[0] - 1.0 / 3.0).abs() < 1e-12 && eq[0] == eq[3]);
        // exp(-(s / s_min - 1) / t): 1, e^-1, e^-3 for t = 1
        let ex = weights_by(top3, Weighting::Exp(1.0), &s);
        check(&ex);
        assert!((ex[0] / ex[2] - (-1.0f64).exp()).abs() < 1e-12);
        assert!((ex[3] / ex[2] - (-3.0f64).exp()).abs() < 1e-12);
        // scale-free: the same weights when every score is 1000x
        let big: Vec<Option<f64>> = s.iter().map(|v| v.map(|x| x * 1e3)).collect();
        let ex_big = weights_by(top3, Weighting::Exp(1.0), &big);
        for (a, b) in ex.iter().zip(&ex_big) {
            assert!((a - b).abs() < 1e-12);
        }
        // the default is the inverse square
        assert_eq!(
            weights_by(top3, Weighting::default(), &s),
            weights(top3, &s)
        );
    }

    #[test]
    fn m4_alone_fallback_and_shrinkage_toward_m4() {
        let names = ["power", "vanilla-ft", "bnsl", M4_AUTHORS_CAPPED];
        let usable = [true, true, true, true];
        let mut rule = Rule {
            pool: names.iter().map(|s| s.to_string()).collect(),
            fallback: Fallback::M4,
            combine: Combine::Top { k: 2 },
            ..Rule::shipped()
        };
        // one eligible law: M4 alone replaces it
        let one = [Some(0.02), None, None, None];
        let (w, used) = rule_weights(&rule, &one, &usable, &names);
        assert_eq!((w, used), (vec![0.0, 0.0, 0.0, 1.0], true));
        // M4 not usable: the eligible law
        let (w, used) = rule_weights(&rule, &one, &[true, true, true, false], &names);
        assert_eq!((w, used), (vec![1.0, 0.0, 0.0, 0.0], false));
        // shrinkage: (1 - s) times the backtest's weights, plus s on M4
        let two = [Some(0.02), Some(0.01), None, Some(0.04)];
        rule.shrink = 0.25;
        let base = weights(rule.combine, &two);
        let (w, used) = rule_weights(&rule, &two, &usable, &names);
        assert!(!used);
        for i in 0..3 {
            assert!((w[i] - 0.75 * base[i]).abs() < 1e-12);
        }
        assert!((w[3] - (0.75 * base[3] + 0.25)).abs() < 1e-12);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // no usable M4: nothing to shrink toward
        let (w, _) = rule_weights(&rule, &two, &[true, true, true, false], &names);
        assert_eq!(w, base);
        // not with the median (its value is not a weighted mean)
        rule.combine = Combine::Median { k: 3 };
        let (w, _) = rule_weights(&rule, &two, &usable, &names);
        assert_eq!(w, weights(rule.combine, &two));
        // the label says both
        rule.combine = Combine::Top { k: 2 };
        rule.weighting = Weighting::Inverse;
        let l = rule.label();
        assert!(l.contains("weights 1/s") && l.contains("m4 alone") && l.contains("shrunk 0.25"));
        // rules saved before these fields read as before
        let json = r#"{"origins":[{"kind":"last","value":2}],"combine":{"kind":"best"},"pool":[]}"#;
        let old: Rule = serde_json::from_str(json).unwrap();
        assert_eq!(
            (old.weighting, old.shrink, old.fallback),
            (Weighting::InverseSquare, 0.0, Fallback::Eligible)
        );
    }

    /// A dense smooth curve: L = 2 + 30 x^-0.4 at x = 100, 101, ...
    /// (`n` points, a training log's every step), times 1 + a deterministic
    /// noise uniform in +-0.5%.
    fn dense_curve(n: usize) -> Observations {
        let x: Vec<f64> = (0..n).map(|k| 100.0 + k as f64).collect();
        let y: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
                (2.0 + 30.0 * v.powf(-0.4)) * (1.0 + 0.01 * u)
            })
            .collect();
        Observations::from_columns(&["x"], &[x], y)
    }

    /// The pick's reduction of a long curve ([`log_bins`]): fitted on 500
    /// log-spaced bins of 20,000 points, each law predicts within 0.3% of
    /// its fit to every point at 10 and 100 times the last x (the
    /// extrapolation the pick is for; measured: at most 0.06%), and M4 by
    /// its authors' procedure (shortened here to 30 rounds, on 6,000
    /// points) within 0.5% (measured: 0.0x%).
    #[test]
    fn bins_of_a_dense_curve_fit_as_its_points() {
        let obs = dense_curve(20_000);
        let idx = order(&obs);
        let opts = FitOptions::default();
        let bins = log_bins(&obs, &idx, BINS, opts.space).unwrap();
        assert_eq!(bins.len(), BINS);
        assert_eq!(bins.weight.iter().sum::<f64>(), 20_000.0);
        for name in ["power", "vanilla-ft", "rectified"] {
            let law = catalog::by_name(name).unwrap();
            let full = fit(&law, &obs, &opts).unwrap();
            let binned = fit(&law, &bins, &opts).unwrap();
            assert!(full.converged && binned.converged, "{name}");
            for x in [2e5, 2e6] {
                let (a, b) = (
                    law.predict(&[x], &full.params),
                    law.predict(&[x], &binned.params),
                );
                let rel = (b / a).ln().abs();
                eprintln!("{name} at {x}: {a} (points) vs {b} (bins): {rel:.1e}");
                assert!(rel < 3e-3, "{name} at {x}: {a} (points) vs {b} (bins)");
            }
        }
        let obs = dense_curve(6_000);
        let idx = order(&obs);
        let short = crate::m4_reference::Options {
            max_rounds: 30,
            grad_rounds: 10,
            ..crate::m4_reference::Options::default()
        };
        let x: Vec<f64> = idx.iter().map(|&i| obs.point(i)[0]).collect();
        let full = crate::m4_reference::fit(&x, &obs.y, &short).unwrap();
        let binned = m4_fit(&obs, &idx, idx.len(), &short).unwrap();
        for x in [6.1e4, 6.1e5] {
            let (a, b) = (full.predict(x), binned.predict(x));
            let rel = (b / a).ln().abs();
            eprintln!("m4-authors at {x}: {a} (points) vs {b} (bins): {rel:.1e}");
            assert!(rel < 5e-3, "m4-authors at {x}: {a} (points) vs {b} (bins)");
        }
    }

    /// Up to [`MAX_POINTS`] points the pick fits the points themselves (the
    /// benchmarks' curves: their figures do not move); above, bins, and the
    /// pick says so ([`Pick::bins`]).
    #[test]
    fn only_curves_above_the_limit_are_binned() {
        let laws = [catalog::by_name("power").unwrap()];
        let rule = Rule::shipped_with_any_pool();
        let opts = FitOptions::default();
        // (M4 on the points, 3 fits of 5,000, would take some 20 s)
        let none: [&str; 0] = [];
        for (n, bins, authors) in [
            (MAX_POINTS, None, &none[..]),
            (MAX_POINTS + 1, Some(BINS), &[M4_AUTHORS_CAPPED][..]),
        ] {
            let p = pick_with(&laws, authors, &dense_curve(n), &opts, &rule).unwrap();
            assert_eq!(p.bins, bins, "{n} points");
            assert!(p.laws.iter().all(|l| l.score.is_some()), "{n} points");
        }
        // the exact fit on the points up to the limit, as before
        let obs = dense_curve(MAX_POINTS);
        let p = pick_with(&laws, &[], &obs, &opts, &rule).unwrap();
        let full = fit(&laws[0], &obs, &opts).unwrap();
        assert_eq!(p.laws[0].params, Some(full.params.to_vec()));
        assert!(log_bins(&obs, &order(&obs), BINS, opts.space).is_some());
    }

    #[test]
    fn score_needs_every_origin() {
        assert_eq!(score(&[Some(1.0), Some(3.0)]), Some(2.0));
        assert_eq!(score(&[Some(1.0), None]), None);
        assert_eq!(score(&[]), None);
    }
}

/// The backtest pick of one group of points.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GroupPick {
    /// The group's key.
    pub group: String,
    /// The law of largest weight, if any law was eligible.
    pub choice: Option<String>,
    #[serde(flatten)]
    /// The pick's rule and every law's backtest.
    pub pick: Pick,
}

/// [`pick`] on every group of `obs` (one input), groups in order.
pub fn pick_groups(
    laws: &[Law],
    obs: &Observations,
    opts: &FitOptions,
    rule: &Rule,
) -> Result<Vec<GroupPick>> {
    let authors = authors_in(rule);
    pick_groups_with(laws, &authors, obs, opts, rule)
}

/// [`pick_with`] on every group of `obs` (one input), groups in order.
pub fn pick_groups_with(
    laws: &[Law],
    authors: &[&str],
    obs: &Observations,
    opts: &FitOptions,
    rule: &Rule,
) -> Result<Vec<GroupPick>> {
    obs.groups()
        .into_iter()
        .map(|g| {
            let p = pick_with(
                laws,
                authors,
                &obs.subset(&obs.group_indices(&g)),
                opts,
                rule,
            )?;
            Ok(GroupPick {
                group: g,
                choice: p.top().map(|l| l.law.clone()),
                pick: p,
            })
        })
        .collect()
}

/// A pick's prediction at one value of x (`slaw compare --predict`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PickPrediction {
    /// The group's key (empty when ungrouped).
    pub group: String,
    /// The input.
    pub x: f64,
    /// The pick's predicted loss ([`Pick::predict`]); None when no law was
    /// eligible.
    pub loss: Option<f64>,
    /// The input lies outside the fitted points' range: how far, and that
    /// the pick gives no interval; empty inside (a list, as `slaw fit`'s
    /// `outside_data`).
    pub outside_data: Vec<String>,
    /// Where a chosen law's Huber optimum is a segment, the range of the
    /// pick's prediction over the fits as good as the optimum
    /// ([`Pick::predict_range`]); None otherwise.
    pub equal_fit_range: Option<crate::bootstrap::Interval>,
}

/// The note of [`PickPrediction::outside_data`] for `x` and a pick fitted
/// from `first` to `last`.
fn pick_outside(x: f64, first: f64, last: f64) -> Vec<String> {
    use crate::numbers::short as num;
    let (side, edge) = if x > last {
        ("above the largest", last)
    } else if x < first {
        ("below the smallest", first)
    } else {
        return Vec::new();
    };
    vec![format!(
        "{} {side} fitted x ({}): an extrapolation, with no interval (the pick gives none; `slaw fit --law L --predict` calibrates one per law)",
        crate::numbers::decades((x / edge).log10().abs()),
        num(edge)
    )]
}

/// Every group's pick predicting at each of `xs`, groups in order.
pub fn predictions(picks: &[GroupPick], xs: &[f64]) -> Vec<PickPrediction> {
    picks
        .iter()
        .flat_map(|gp| {
            xs.iter().map(|&x| PickPrediction {
                group: gp.group.clone(),
                x,
                loss: gp.pick.predict(&[x]),
                outside_data: pick_outside(x, gp.pick.x_first, gp.pick.x_last),
                equal_fit_range: gp
                    .pick
                    .predict_range(&[x])
                    .map(|(lo, hi)| crate::bootstrap::Interval { lo, hi }),
            })
        })
        .collect()
}

/// [`predictions`] as text, a line each.
pub fn predictions_text(predictions: &[PickPrediction]) -> String {
    predictions
        .iter()
        .map(|p| {
            format!(
                "prediction{} at x = {}: {}{}{}\n",
                if p.group.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", p.group)
                },
                crate::numbers::g6(p.x),
                p.loss
                    .map(crate::numbers::num)
                    .unwrap_or_else(|| "- (no law eligible)".into()),
                p.equal_fit_range
                    .map(|r| format!(
                        "   (a chosen law's Huber optimum is a segment: fits as good predict {} to {})",
                        crate::numbers::num(r.lo),
                        crate::numbers::num(r.hi)
                    ))
                    .unwrap_or_default(),
                if p.loss.is_some() && !p.outside_data.is_empty() {
                    format!("   ({})", p.outside_data.join("; "))
                } else {
                    String::new()
                }
            )
        })
        .collect()
}

/// What a pick fitted on bins says ([`Pick::bins`]): `n` points, `bins` bins.
pub fn bins_note(n: usize, bins: usize) -> String {
    format!(
        "{n} points (over {MAX_POINTS}): every fit (on all the points and at each backtest \
         origin) was made on {bins} bins of the points equally spaced in ln x (each bin at its \
         points' mean ln x and mean ln L, weighted by its count), nearly the fit to the points at \
         a fraction of the cost; the backtests are scored on every point"
    )
}

/// The backtest picks as text: per group, each law's backtest errors, score
/// and weight, laws not eligible with the reason.
pub fn text(picks: &[GroupPick]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for gp in picks {
        let p = &gp.pick;
        if !gp.group.is_empty() {
            let _ = writeln!(s, "group {}", gp.group);
        }
        let nw = p
            .laws
            .iter()
            .map(|l| l.law.len())
            .max()
            .unwrap_or(0)
            .max(12);
        let _ = write!(s, "{:<nw$}", "law");
        for o in &p.rule.origins {
            let _ = write!(s, " {:>12}", format!("err@{}", o.label()));
        }
        let _ = writeln!(s, " {:>10} {:>7}", "score", "weight");
        for l in &p.laws {
            let _ = write!(s, "{:<nw$}", l.law);
            for e in &l.errors {
                match e {
                    Some(e) => {
                        let _ = write!(s, " {e:>12.5}");
                    }
                    None => {
                        let _ = write!(s, " {:>12}", "-");
                    }
                }
            }
            match l.score {
                Some(sc) => {
                    let _ = write!(s, " {sc:>10.5} {:>7.3}", l.weight);
                }
                None if l.weight > 0.0 => {
                    let _ = write!(s, " {:>10} {:>7.3}", "-", l.weight);
                }
                None => {
                    let _ = write!(s, " {:>10} {:>7}", "-", "-");
                }
            }
            if let Some(r) = &l.reason {
                let _ = write!(s, "  not eligible: {r}");
            }
            s.push('\n');
        }
        if p.fallback {
            let _ = writeln!(
                s,
                "fewer than {} laws could be backtested: weights by the rule's fallback ({})",
                Fallback::MIN_ELIGIBLE,
                p.rule.fallback.label()
            );
        }
        match &gp.choice {
            Some(c) => {
                let top = p.top().map_or(0.0, |l| l.weight);
                // The other laws of the blend, so that an equal-weight
                // blend (e.g. the fallback's) does not read as one law.
                let others: Vec<String> = p
                    .laws
                    .iter()
                    .filter(|l| l.weight > 0.0 && l.law != *c)
                    .map(|l| format!("{} ({:.3})", l.law, l.weight))
                    .collect();
                let with = if others.is_empty() {
                    String::new()
                } else {
                    format!(", blended with {}", others.join(", "))
                };
                let _ = writeln!(
                    s,
                    "pick: {c} (weight {top:.3}){with}; rule: {}",
                    p.rule.label()
                );
            }
            None => {
                let _ = writeln!(s, "pick: none (no law eligible); rule: {}", p.rule.label());
            }
        }
        if let Some(b) = p.bins {
            let _ = writeln!(s, "note: {}", bins_note(p.n_points, b));
        }
        if !p.corrections.is_empty() {
            let at = match (&p.rule.correction, &p.shape) {
                (Correction::Keyed { key, .. }, Some(w)) => {
                    let k = key.of(w);
                    if k.is_finite() {
                        format!(" (the window's {}: {k:.3})", key.label())
                    } else {
                        // `Correction::slope_at` then uses the drift at the
                        // key's centre: say so rather than print NaN.
                        format!(
                            " (the window's {}: not measurable on these points \
                             (under 4 points, an x of 0 or below, x constant over a \
                             half of them, or a flat first half): the drift at the learned \
                             centre)",
                            key.label()
                        )
                    }
                }
                _ => String::new(),
            };
            let c: Vec<String> = p
                .corrections
                .iter()
                .map(|(n, c)| format!("{n} {c:.4}"))
                .collect();
            let _ = writeln!(
                s,
                "drift correction beyond the data{at}: ln L lowered by c ln(x / {}) per law: {}",
                p.x_last,
                c.join(", ")
            );
        }
    }
    // How the chosen laws' predictions combine (every group has the same rule).
    let combined = match picks.first().map(|gp| &gp.pick.rule.combine) {
        Some(Combine::Median { .. }) => {
            "exp of the median of the ln predictions of the laws with a weight (the weights say \
which laws; the median does not weigh them)"
        }
        _ => "exp of the weighted mean of the weighted laws' ln predictions",
    };
    let _ = writeln!(
        s,
        "err@o: RMSE of ln L on the points after origin o when fitted on the points before it \
(o a fraction of the points ordered by x, or last-k: all but the last k); score: mean over \
origins; the prediction is {combined}"
    );
    s
}
