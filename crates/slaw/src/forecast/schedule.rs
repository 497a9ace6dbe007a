//! Learning-rate schedules given on the command line, for curves whose file
//! has no learning-rate column or to forecast past the file's last step:
//!
//! - `constant:peak=3e-4`
//! - `cosine:peak=3e-4,final=3e-5,total=24000`
//! - `wsd:peak=3e-4,final=3e-5,decay_start=20000,total=24000[,decay=linear|exp|cosine]`
//! - `linear:peak=3e-4,final=3e-5,total=24000` (decay from the end of the warmup)
//! - `two-stage:peak=3e-4,switch=8000,low=9e-5`
//!
//! Every kind takes `warmup=W` (default 0): a linear rise from 0 to `peak`
//! over the first W steps; the decay of `cosine` starts after the warmup.
//! After `total` the rate stays at `final`.

use crate::{Error, Result};

/// The shape of a decay from the peak to the final rate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decay {
    /// Linear in the step.
    Linear,
    /// Geometric: peak * (final/peak)^progress.
    Exp,
    /// Half a cosine.
    Cosine,
}

/// A schedule's kind, with its own settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Kind {
    /// The peak rate throughout.
    Constant,
    /// Cosine decay from the peak (after the warmup) to `final_lr` at `total`.
    Cosine {
        /// The step the decay ends at.
        total: f64,
        /// The rate from `total` on.
        final_lr: f64,
    },
    /// Warmup-stable-decay: the peak until `decay_start`, then `decay` to
    /// `final_lr` at `total`.
    Wsd {
        /// The step the decay starts at.
        decay_start: f64,
        /// The step the decay ends at.
        total: f64,
        /// The rate from `total` on.
        final_lr: f64,
        /// The decay's shape.
        decay: Decay,
    },
    /// The peak until `switch`, then `low`.
    TwoStage {
        /// The step of the switch.
        switch: f64,
        /// The rate after it.
        low: f64,
    },
}

/// A learning-rate schedule: the rate as a function of the step.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Schedule {
    /// Its kind and settings.
    pub kind: Kind,
    /// The peak rate.
    pub peak: f64,
    /// Steps of the linear warmup from 0 to the peak.
    pub warmup: f64,
}

impl Schedule {
    /// The learning rate at `step`.
    pub fn at(&self, step: f64) -> f64 {
        if step < self.warmup {
            return self.peak * step.max(0.0) / self.warmup;
        }
        let decay = |from: f64, to: f64, start: f64, end: f64, shape: Decay| {
            let p = ((step - start) / (end - start)).clamp(0.0, 1.0);
            match shape {
                Decay::Linear => from + (to - from) * p,
                Decay::Exp => from * (to / from).powf(p),
                Decay::Cosine => to + (from - to) * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()),
            }
        };
        match self.kind {
            Kind::Constant => self.peak,
            Kind::Cosine { total, final_lr } => {
                decay(self.peak, final_lr, self.warmup, total, Decay::Cosine)
            }
            Kind::Wsd {
                decay_start,
                total,
                final_lr,
                decay: shape,
            } => {
                if step <= decay_start {
                    self.peak
                } else {
                    decay(self.peak, final_lr, decay_start, total, shape)
                }
            }
            Kind::TwoStage { switch, low } => {
                if step < switch {
                    self.peak
                } else {
                    low
                }
            }
        }
    }

    /// Parse `kind:key=value,...` (see the module documentation).
    pub fn parse(spec: &str) -> Result<Schedule> {
        let bad =
            |m: String| Error::setting(crate::error::Setting::Schedule, format!("'{spec}': {m}"));
        let (kind, rest) = spec.split_once(':').unwrap_or((spec, ""));
        let mut kv: Vec<(String, String)> = Vec::new();
        for part in rest.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| bad(format!("'{part}' is not key=value")))?;
            kv.push((k.trim().to_string(), v.trim().to_string()));
        }
        let allowed: &[&str] = match kind.trim() {
            "constant" => &["peak", "warmup"],
            "cosine" | "linear" => &["peak", "warmup", "final", "total"],
            "wsd" => &["peak", "warmup", "final", "total", "decay_start", "decay"],
            "two-stage" => &["peak", "warmup", "switch", "low"],
            k => {
                return Err(bad(format!(
                    "unknown schedule '{k}' (known: constant, cosine, linear, wsd, two-stage)"
                )))
            }
        };
        if let Some((k, _)) = kv.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            return Err(bad(format!(
                "unknown key '{k}' for {kind} (keys: {})",
                allowed.join(", ")
            )));
        }
        let text = |key: &str| kv.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let num = |key: &str, default: Option<f64>| -> Result<f64> {
            match text(key) {
                Some(v) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| bad(format!("{key}={v} is not a number >= 0"))),
                None => default.ok_or_else(|| bad(format!("missing {key}="))),
            }
        };
        let peak = num("peak", None)?;
        let warmup = num("warmup", Some(0.0))?;
        if peak <= 0.0 {
            return Err(bad("peak must be > 0".into()));
        }
        let kind = match kind.trim() {
            "constant" => Kind::Constant,
            "cosine" => Kind::Cosine {
                total: num("total", None)?,
                final_lr: num("final", Some(0.0))?,
            },
            // A linear decay from the end of the warmup: WSD without a stable phase.
            "linear" => Kind::Wsd {
                decay_start: warmup,
                total: num("total", None)?,
                final_lr: num("final", Some(0.0))?,
                decay: Decay::Linear,
            },
            "wsd" => Kind::Wsd {
                decay_start: num("decay_start", None)?,
                total: num("total", None)?,
                final_lr: num("final", Some(0.0))?,
                decay: match text("decay").unwrap_or("linear") {
                    "linear" => Decay::Linear,
                    "exp" => Decay::Exp,
                    "cosine" => Decay::Cosine,
                    d => return Err(bad(format!("decay={d}: use linear, exp or cosine"))),
                },
            },
            _ => Kind::TwoStage {
                switch: num("switch", None)?,
                low: num("low", None)?,
            },
        };
        let s = Schedule { kind, peak, warmup };
        // Every kind's rate is at most its peak after the warmup: a final or
        // low rate above it is a typo (probe48: `final=5e-4` with
        // `peak=3e-4` was taken, a rate above the runs' peak a what-if did
        // not warn about).
        let (key, above) = match s.kind {
            Kind::Cosine { final_lr, .. } | Kind::Wsd { final_lr, .. } => ("final", final_lr),
            Kind::TwoStage { low, .. } => ("low", low),
            Kind::Constant => ("", 0.0),
        };
        if above > peak {
            return Err(bad(format!(
                "{key}={} is above peak={}: the rate falls from its peak (give {key} <= peak, \
                 or the higher rate as the peak)",
                text(key).unwrap_or_default(),
                text("peak").unwrap_or_default()
            )));
        }
        match s.kind {
            Kind::Cosine { total, .. } if total <= warmup => {
                Err(bad("total must be after the warmup".into()))
            }
            Kind::Wsd {
                decay_start,
                total,
                final_lr,
                decay,
            } => {
                if decay_start < warmup || total <= decay_start {
                    Err(bad("need warmup <= decay_start < total".into()))
                } else if decay == Decay::Exp && final_lr <= 0.0 {
                    Err(bad("decay=exp needs final > 0".into()))
                } else {
                    Ok(s)
                }
            }
            _ => Ok(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let c = Schedule::parse("cosine:peak=1e-3,final=1e-4,total=1100,warmup=100").unwrap();
        assert!((c.at(50.0) - 5e-4).abs() < 1e-15);
        assert!((c.at(100.0) - 1e-3).abs() < 1e-15);
        assert!((c.at(600.0) - 5.5e-4).abs() < 1e-12);
        assert!((c.at(5000.0) - 1e-4).abs() < 1e-15);
        let w = Schedule::parse("wsd:peak=3e-4,final=3e-5,decay_start=20000,total=24000,decay=exp")
            .unwrap();
        assert!((w.at(20064.0) - 2.891487070871911e-4).abs() < 1e-12);
        let l = Schedule::parse("wsd:peak=3e-4,final=3e-5,decay_start=20000,total=24000").unwrap();
        assert!((l.at(20064.0) - 2.9568e-4).abs() < 1e-12);
        let t = Schedule::parse("two-stage:peak=3e-4,switch=8000,low=9e-5").unwrap();
        assert_eq!(t.at(7999.0), 3e-4);
        assert_eq!(t.at(8000.0), 9e-5);
        assert_eq!(Schedule::parse("constant:peak=2").unwrap().at(1e9), 2.0);
        let lin = Schedule::parse("linear:peak=2e-4,final=0,total=1100,warmup=100").unwrap();
        assert!((lin.at(600.0) - 1e-4).abs() < 1e-15 && lin.at(50.0) == 1e-4);
    }

    #[test]
    fn errors() {
        for (spec, want) in [
            ("exp:peak=1", "unknown schedule"),
            ("linear:peak=1", "missing total="),
            ("cosine:peak=1", "missing total="),
            ("cosine:peak=1,total=x", "not a number"),
            ("constant:peak=1,total=3", "unknown key 'total'"),
            ("constant:peak", "not key=value"),
            ("wsd:peak=1,decay_start=5,total=3", "decay_start < total"),
            ("constant:peak=0", "peak must be > 0"),
            // probe48 finding 3
            (
                "cosine:peak=3e-4,final=5e-4,total=24000",
                "final=5e-4 is above peak=3e-4",
            ),
            (
                "linear:peak=3e-4,final=4e-4,total=24000",
                "final=4e-4 is above",
            ),
            (
                "wsd:peak=3e-4,final=4e-4,decay_start=2,total=24000",
                "final=4e-4 is above",
            ),
            (
                "two-stage:peak=3e-4,switch=8000,low=6e-4",
                "low=6e-4 is above peak=3e-4",
            ),
        ] {
            let e = Schedule::parse(spec).unwrap_err().to_string();
            assert!(e.contains(want), "{spec}: {e}");
        }
    }
}
