//! The learning rate's decay inside the fitted window and ahead of it, and
//! the intervals widened for the decay still ahead.

use super::{DecayTerm, Point, Request};
use crate::forecast::prior;
use crate::forecast::{Curve, CurveLaw};

/// Widen the intervals of `points` beyond the window (the first `k`
/// points of `ext`) where the learning rate still decays
/// (`prior::decay_ahead`): each spans at least
/// ln forecast + [z_lo, z_hi] x (decay ahead), z the decay prior's quantiles
/// at (1 -+ level) / 2. None without a decay prior or decay ahead.
pub(super) fn widen_for_decay(
    method: CurveLaw,
    ext: &Curve,
    k: usize,
    req: &Request,
    points: &mut [Point],
) -> Option<DecayTerm> {
    let q = req.priors.decay(method)?;
    let until = super::last_fitted_step(ext, k);
    let ahead = prior::decay_ahead(ext, until);
    let (zl, zh) = (
        prior::quantile_at(q, 0.5 - req.level / 2.0),
        prior::quantile_at(q, 0.5 + req.level / 2.0),
    );
    let mut most: Option<f64> = None;
    for (p, a) in points.iter_mut().zip(&ahead) {
        let (Some(a), Some(lo), Some(hi)) = (*a, p.lo, p.hi) else {
            continue;
        };
        p.lo = Some(lo.min(p.loss * (zl * a).exp()));
        p.hi = Some(hi.max(p.loss * (zh * a).exp()));
        most = Some(most.map_or(a, |m: f64| m.max(a)));
    }
    let most = most?;
    Some(DecayTerm {
        method: format!(
            "the learning rate decays after the window ({}): each interval beyond it also spans the forecast times exp([{zl:.4}, {zh:.4}] x the decay ahead), the {} range of the {} law's errors per unit of decay ahead on other schedules' curves (a prior learned on the multi-power curves); here {} to {} of the forecast at the last step: a run whose annealing lowers its loss more than those runs' did ends below the interval",
            if method.needs_lr() {
                "its effect forecast from annealing terms fitted on the window"
            } else {
                "a law of the step alone ignores it"
            },
            crate::numbers::percent(req.level),
            method.name(),
            signed_percent((zl * most).exp()),
            signed_percent((zh * most).exp()),
        ),
        per_unit_decay: (zl, zh),
        decay_ahead: most,
    })
}

/// A factor `f` as the signed change it makes, in percent with one
/// decimal ("-4.4%", "+0.9%").
fn signed_percent(f: f64) -> String {
    format!("{:+.1}%", 100.0 * (f - 1.0))
}

/// How much the learning rate decays (fractions of the window's peak rate)
/// inside the fitted window and by the last forecast step.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct WindowDecay {
    /// Decay inside the fitted window.
    pub window: f64,
    /// Decay by the last forecast step.
    pub forecast: f64,
    /// The share of the loss's answer to the decay that the window shows:
    /// Tissue et al.'s annealing area (the rate's decreases, smoothed by
    /// the momentum 0.999 per step) at the window's end over its value at
    /// the last forecast step. A drop at the window's end is in `window`
    /// but its effect on the loss is still ahead. None where no decay
    /// reaches the forecast steps (or without them).
    pub response: Option<f64>,
}

impl WindowDecay {
    /// Whether the window pins the annealing terms the forecast needs: the
    /// forecast adds little decay to the window's (5% of the peak), or the
    /// window holds at least a quarter of it.
    /// The loss must also have shown at least a quarter of its answer to
    /// the decay (`response`): a drop at the window's last points is in
    /// the window but not yet in its losses.
    pub fn identified(&self) -> bool {
        self.rate_identified() && self.response.is_none_or(|r| r >= MIN_RESPONSE)
    }
    /// The rule on the rate alone (the window's decay against the
    /// forecast's): `auto` chooses among the schedule-aware laws when it
    /// holds, even where the losses have not yet answered the decay (the
    /// forecast then warns and takes the step-only law's hull, as a
    /// schedule-aware law named on such a window).
    pub fn rate_identified(&self) -> bool {
        self.forecast <= self.window + 0.05 || self.window >= 0.25 * self.forecast
    }
    /// Whether the window holds the decay the forecast needs but not the
    /// loss's answer to it (the reason `identified` is false, if it is).
    pub fn answer_ahead(&self) -> bool {
        self.rate_identified() && !self.identified()
    }
    /// The warning given when the decay is not identified.
    pub fn describe(&self) -> String {
        match self.response {
            Some(r) if self.answer_ahead() => format!(
                "the learning rate decays by {:.0}% of its peak inside the fitted window, but the loss shows only {:.0}% of its answer to that decay there (the annealing area at the window's end against the forecast step's): the decay came at the window's last points, so the annealing terms are not identified",
                100.0 * self.window,
                100.0 * r
            ),
            _ => format!(
                "the learning rate decays by {:.0}% of its peak by the forecast step but only by {:.0}% inside the fitted window, so the annealing terms are not identified",
                100.0 * self.forecast,
                100.0 * self.window
            ),
        }
    }
}

/// The least share of the loss's answer to the decay (`WindowDecay::
/// response`) a window must show to pin the annealing terms: a quarter, as
/// the rate rule's (fixed before it was measured).
pub const MIN_RESPONSE: f64 = 0.25;

/// The decay inside the window (steps after the warmup up to `until`) and
/// up to the last of `at`; None without a learning rate.
pub fn window_decay(ext: &Curve, until: f64, at: &[f64]) -> Option<WindowDecay> {
    let path = ext.lr_path()?;
    let w0 = ext.decay_start();
    let last = at.iter().copied().fold(until, f64::max);
    let (mut peak, mut wmin, mut fmin) = (0.0f64, f64::INFINITY, f64::INFINITY);
    for &s in ext.step.iter().filter(|&&s| s >= w0) {
        let e = path.at(s);
        if s <= until {
            peak = peak.max(e);
            wmin = wmin.min(e);
        } else if s <= last {
            fmin = fmin.min(e);
        }
    }
    if peak <= 0.0 || !wmin.is_finite() {
        return None;
    }
    // The annealing area at the window's end and at the last step ahead.
    let response = (last > until)
        .then(|| path.features(&[until, last], w0).s2)
        .filter(|s2| s2.len() == 2 && s2[1] > 0.0 && s2[1].is_finite())
        .map(|s2| (s2[0] / s2[1]).clamp(0.0, 1.0));
    Some(WindowDecay {
        window: (peak - wmin) / peak,
        forecast: (peak - wmin.min(fmin)) / peak,
        response,
    })
}

/// Whether the rate decays after the window (then the annealing parameters
/// matter to the forecast).
pub(super) fn decay_matters(ext: &Curve, k: usize) -> bool {
    let until = super::last_fitted_step(ext, k);
    let last = *ext.step.last().expect("non-empty");
    window_decay(ext, until, &[last]).is_some_and(|d| d.forecast > d.window + 0.05)
}
