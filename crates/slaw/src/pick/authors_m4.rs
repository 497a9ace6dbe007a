//! M4 fitted by its authors' published procedure as a law of the pick's
//! pool: its fit on all the points and its backtests.

use super::*;

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
pub(super) const M4_PARAMS: usize = 5;

/// The (x, y, weight) M4 by its authors' procedure is fitted to, from the
/// points `idx` (ordered by x) of a curve of `n` points: the points
/// (weights `None`) up to [`MAX_POINTS`], else their [`log_bins`] of ln L.
pub(super) fn m4_data(
    obs: &Observations,
    idx: &[usize],
    n: usize,
) -> (Vec<f64>, Vec<f64>, Option<Vec<f64>>) {
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
pub(super) fn m4_fit(
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

/// Whether `name` is M4 fitted by its authors' procedure ([`M4_AUTHORS`],
/// [`M4_AUTHORS_CAPPED`]) rather than a catalog law.
pub fn is_authors_m4(name: &str) -> bool {
    name == M4_AUTHORS || name == M4_AUTHORS_CAPPED
}

/// The backtest of M4 fitted by its authors' procedure (`law`: the catalog
/// `m4` law named [`M4_AUTHORS`] or [`M4_AUTHORS_CAPPED`]): on all the
/// points their estimator as published ([`M4_AUTHORS`]) or capped, at the
/// origins capped ([`m4_authors_error`]). "Converged": a finite fit (their
/// stopping test may not fire; M4's authors use the fit all the same).
pub(super) fn authors_backtest(
    law: &Law,
    obs: &Observations,
    idx: &[usize],
    rule: &Rule,
) -> LawBacktest {
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
            "{}, {} {}: x = {} (M4 needs x > 0: it takes its logarithm)",
            obs.source,
            obs.row_noun(),
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
        let n = idx.len();
        let outcomes: Vec<std::result::Result<Signed, BacktestFailure>> = rule
            .origins
            .iter()
            .zip(&signed)
            .map(|(o, s)| {
                let m = o.fitted(n);
                s.ok_or(if m <= M4_PARAMS {
                    BacktestFailure::TooFewPoints {
                        fitted: m,
                        params: M4_PARAMS,
                    }
                } else if m >= n {
                    BacktestFailure::NothingAfter
                } else {
                    BacktestFailure::NoFinite
                })
            })
            .collect();
        Some(super::failure_reason(&rule.origins, &outcomes))
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
        segment_origins: Vec::new(),
        fit: None,
        params: full.map(|f| f.params),
    }
}
