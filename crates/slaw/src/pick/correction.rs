//! The signed (drift) correction of each law's extrapolation, keyed to the
//! window's shape; the shipped constants.

use super::*;

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
        /// How the curve's own backtest drift moves the keyed drift (a
        /// prior learned on other curves; [`OwnEvidence::None`]: it does
        /// not, the prior is applied whatever the curve says).
        #[serde(default, skip_serializing_if = "OwnEvidence::is_none")]
        own: OwnEvidence,
    },
}

/// How a [`Correction::Keyed`] drift p, a prior learned on other curves,
/// is combined with the curve's own evidence o: each law's backtest drift
/// on the window (the mean over the rule's origins of ln forecast - ln
/// truth per unit ln(x / x_origin) of the refits at each origin). Where o
/// is missing the prior stands.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OwnEvidence {
    /// The prior alone.
    #[default]
    None,
    /// The prior where o has its sign (the curve's own backtests drift the
    /// same way), else 0.
    Gate,
    /// sign(p) min(|p|, |o|) where o has p's sign, else 0.
    Cap,
    /// w o + (1 - w) p, w per law (0 for a law not named): the best linear
    /// shrinkage of the prior toward the own drift, learned on other
    /// curves (`learn_keyed_own_weight` of the learning-curve benchmark).
    Shrink(Vec<(String, f64)>),
}

impl OwnEvidence {
    /// [`OwnEvidence::None`].
    pub fn is_none(&self) -> bool {
        *self == OwnEvidence::None
    }

    /// The drift of law `name` from its prior `p` and its own drift `own`.
    pub fn combine(&self, name: &str, p: f64, own: Option<f64>) -> f64 {
        let Some(o) = own.filter(|o| o.is_finite()) else {
            return p;
        };
        match self {
            OwnEvidence::None => p,
            OwnEvidence::Gate => {
                if o * p > 0.0 {
                    p
                } else {
                    0.0
                }
            }
            OwnEvidence::Cap => {
                if o * p > 0.0 {
                    p.signum() * p.abs().min(o.abs())
                } else {
                    0.0
                }
            }
            OwnEvidence::Shrink(w) => {
                let w = named(w, name).unwrap_or(0.0);
                w * o + (1.0 - w) * p
            }
        }
    }

    /// A short label ("" for none).
    pub fn label(&self) -> String {
        match self {
            OwnEvidence::None => String::new(),
            OwnEvidence::Gate => ", gated by the own drift's sign".to_string(),
            OwnEvidence::Cap => ", capped by the own drift".to_string(),
            OwnEvidence::Shrink(w) => {
                let w: Vec<String> = w.iter().map(|(n, w)| format!("{n} {w:.2}")).collect();
                format!(", shrunk toward the own drift (w: {})", w.join(", "))
            }
        }
    }
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
pub(super) fn ls_slope(x: &[f64], y: &[f64]) -> Option<f64> {
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
pub(super) fn named_list(v: &[(&str, f64)]) -> Vec<(String, f64)> {
    v.iter().map(|&(n, d)| (n.to_string(), d)).collect()
}

pub(super) fn named(v: &[(String, f64)], name: &str) -> Option<f64> {
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
                own: evidence,
            } => {
                let Some(d) = named(drift, name) else {
                    return 0.0;
                };
                let k = w.map_or(f64::NAN, |w| key.of(w));
                let p = if k.is_finite() {
                    let b = named(slope, name).unwrap_or(0.0);
                    d + b * (k.clamp(range.0, range.1) - centre)
                } else {
                    d
                };
                shrink * evidence.combine(name, p, own)
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
                own,
            } => {
                let d: Vec<String> = drift
                    .iter()
                    .map(|(n, d)| {
                        let b = named(slope, n).unwrap_or(0.0);
                        format!("{n} {d:.4} {b:+.4}")
                    })
                    .collect();
                format!(
                    ", per-law drift keyed to the window's {} (centre {centre:.3}, range {:.3} to {:.3}) x{shrink} ({}){}",
                    key.label(),
                    range.0,
                    range.1,
                    d.join(", "),
                    own.label()
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
