//! Rolling-origin backtests of one law: refit on the points before an
//! origin, score ln L on the points after.

use super::*;

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
    backtest_outcome(law, obs, idx, origin, opts).ok()
}

/// Why a backtest at an origin has no error ([`backtest_outcome`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BacktestFailure {
    /// The refit would have `fitted` points, no more than the law's
    /// `params` parameters.
    TooFewPoints {
        /// Points before the origin.
        fitted: usize,
        /// The law's parameters.
        params: usize,
    },
    /// The origin leaves no point after it to score.
    NothingAfter,
    /// The refit failed or did not converge.
    NotConverged,
    /// The refit's forecast of a later point is not a positive number.
    BadForecast,
    /// M4 by its authors' procedure: no finite refit or forecast.
    NoFinite,
}

impl BacktestFailure {
    /// In words, for the origins `at` (their labels, joined).
    pub fn describe(self, at: &str) -> String {
        match self {
            BacktestFailure::TooFewPoints { fitted, params } => format!(
                "too few points: the refit at {at} has {fitted} points for {params} parameters \
                 (a backtest needs more points than parameters)"
            ),
            BacktestFailure::NothingAfter => format!("{at} leaves no point after it to score"),
            BacktestFailure::NotConverged => format!("the refit at {at} did not converge"),
            BacktestFailure::BadForecast => {
                format!("the refit at {at} forecast a loss that is not a positive number")
            }
            BacktestFailure::NoFinite => {
                format!("the refit at {at} gave no finite fit or forecast")
            }
        }
    }
}

/// [`backtest_signed`], or why there is no backtest at `origin`.
pub fn backtest_outcome(
    law: &Law,
    obs: &Observations,
    idx: &[usize],
    origin: Origin,
    opts: &FitOptions,
) -> std::result::Result<Signed, BacktestFailure> {
    backtest_refit(law, obs, idx, origin, opts).map(|(s, _)| s)
}

/// [`backtest_outcome`] and whether the refit's Huber optimum is a segment
/// (`identifiability.huber_flat` not empty: every residual beyond delta
/// along a direction, so fits as good forecast differently and the score
/// is not determined by the points).
pub fn backtest_refit(
    law: &Law,
    obs: &Observations,
    idx: &[usize],
    origin: Origin,
    opts: &FitOptions,
) -> std::result::Result<(Signed, bool), BacktestFailure> {
    let n = idx.len();
    let m = origin.fitted(n);
    if m <= law.n_params() {
        return Err(BacktestFailure::TooFewPoints {
            fitted: m,
            params: law.n_params(),
        });
    }
    if m >= n {
        return Err(BacktestFailure::NothingAfter);
    }
    let res = fit(law, &fit_data(obs, &idx[..m], n, opts), opts)
        .map_err(|_| BacktestFailure::NotConverged)?;
    if !res.converged {
        return Err(BacktestFailure::NotConverged);
    }
    let ln_pred: Vec<f64> = idx[m..]
        .iter()
        .map(|&i| law.predict(obs.point(i), &res.params).ln())
        .collect();
    let segment = !res.identifiability.huber_flat.is_empty();
    later_errors(obs, idx, m, &ln_pred)
        .map(|s| (s, segment))
        .ok_or(BacktestFailure::BadForecast)
}

/// [`Signed`] of `ln_pred` at the points `idx[m..]` against their truth,
/// distances from point `idx[m - 1]`; `None` when a forecast is not a
/// positive number (NaN ln).
pub(super) fn later_errors(
    obs: &Observations,
    idx: &[usize],
    m: usize,
    ln_pred: &[f64],
) -> Option<Signed> {
    let truth: Vec<f64> = idx[m..].iter().map(|&i| obs.y[i].ln()).collect();
    let dist = ln_distances(obs, idx[m - 1], &idx[m..]);
    let s = Signed::of(ln_pred, &truth, &dist)?;
    s.rmse.is_finite().then_some(s)
}
