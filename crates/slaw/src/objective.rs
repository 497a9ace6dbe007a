//! The objective: a robust (Huber) or squared loss of the residuals, on log L
//! (default) or on L, summed over points with their weights.

use crate::law::Law;
use crate::observations::Observations;

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
/// The loss of a residual.
pub enum Loss {
    /// Huber with threshold delta: r^2/2 inside, delta (|r| - delta/2) outside.
    Huber {
        /// The threshold between the quadratic and the linear part.
        delta: f64,
    },
    /// r^2.
    Squared,
}

/// The one formula of the loss of a residual `r` and its derivative:
/// Huber with threshold `d` scaled by `c`, i.e. (c rho(r), c psi(r)) with
/// rho = r^2/2 inside, d (|r| - d/2) outside, psi = clamp(r, -d, d).
/// Squared error is `c = 2, d = inf` (r^2, 2r). Branch-free (selects), so
/// loops over points vectorize. Every objective path (fused kernels,
/// batch reduction) scores residuals through it.
#[inline(always)]
pub fn huber(r: f64, c: f64, d: f64) -> (f64, f64) {
    let a = r.abs();
    let rho = if a <= d {
        0.5 * r * r
    } else {
        d * (a - 0.5 * d)
    };
    let psi = r.max(-d).min(d);
    (c * rho, c * psi)
}

impl Loss {
    /// The (scale, threshold) of [`huber`] for this loss.
    #[inline(always)]
    pub fn huber_params(self) -> (f64, f64) {
        match self {
            Loss::Huber { delta } => (1.0, delta),
            Loss::Squared => (2.0, f64::INFINITY),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
/// The space residuals are taken in.
pub enum Space {
    /// Residual ln(prediction) - ln(y).
    Log,
    /// Residual prediction - y.
    Linear,
}

/// Per-thread buffers for predictions and Jacobians, reused across
/// evaluations (an objective is evaluated hundreds of thousands of times).
#[derive(Default)]
struct Scratch {
    pred: Vec<f64>,
    jac: Vec<f64>,
}

impl Scratch {
    fn take(&mut self, n: usize, nj: usize) -> (&mut [f64], &mut [f64]) {
        if self.pred.len() < n {
            self.pred.resize(n, 0.0);
        }
        if self.jac.len() < nj {
            self.jac.resize(nj, 0.0);
        }
        (&mut self.pred[..n], &mut self.jac[..nj])
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// The objective for one law on one set of observations.
pub struct Objective<'a> {
    /// The law.
    pub law: &'a Law,
    /// The points.
    pub obs: &'a Observations,
    /// The loss of the residuals.
    pub loss: Loss,
    /// The space of the residuals.
    pub space: Space,
    target: Vec<f64>,
    lnx: Vec<f64>,
    /// [`ln_ranges`] of `lnx`.
    ln_range: Vec<[f64; 2]>,
    /// [`ln_columns`] of `lnx` when the law's fused kernel reads them
    /// (`Model::ln_loss_reads_columns`); empty otherwise.
    ln_columns: Vec<f64>,
}

impl<'a> Objective<'a> {
    /// The objective of `law` on `obs` (targets and ln inputs computed once).
    pub fn new(law: &'a Law, obs: &'a Observations, loss: Loss, space: Space) -> Self {
        // ln y and ln x (`law::ln_input`: ln 0 = -inf) in vectorized passes.
        let target = match space {
            Space::Log => crate::fastmath::ln_vec(&obs.y),
            Space::Linear => obs.y.clone(),
        };
        let lnx = crate::fastmath::ln_vec(&obs.x);
        let ln_range = ln_ranges(&lnx, obs.dim());
        let ln_columns = if space == Space::Log && law.model.ln_loss_reads_columns() {
            ln_columns(&lnx, obs.dim())
        } else {
            Vec::new()
        };
        Objective {
            law,
            obs,
            loss,
            space,
            target,
            lnx,
            ln_range,
            ln_columns,
        }
    }

    /// Objective value and gradient w.r.t. the internal parameters. A point
    /// where the law is undefined (non-finite or, in log space, non-positive
    /// prediction) makes the objective +inf.
    pub fn value_grad(&self, u: &[f64], grad: &mut [f64]) -> f64 {
        match self.fused(u, grad) {
            Some(v) => v,
            None => self.value_grad_unfused(u, grad),
        }
    }

    fn loss_data(&self) -> LossData<'_> {
        let (huber, delta) = match self.loss {
            Loss::Huber { delta } => (true, delta),
            Loss::Squared => (false, 0.0),
        };
        LossData {
            target: &self.target,
            weight: &self.obs.weight,
            huber,
            delta,
            ln_range: &self.ln_range,
            ln_columns: &self.ln_columns,
        }
    }

    /// The law's fused kernel (one pass over the points, no Jacobian in
    /// memory), if it has one and the objective is on log L.
    fn fused(&self, u: &[f64], grad: &mut [f64]) -> Option<f64> {
        if self.space != Space::Log || self.obs.context_dim > 0 {
            return None;
        }
        let total = self.law.model.ln_loss(
            &self.obs.x,
            &self.lnx,
            self.obs.dim(),
            u,
            &self.loss_data(),
            grad,
        )?;
        Some(if total.is_finite() && grad.iter().all(|g| g.is_finite()) {
            total
        } else {
            f64::INFINITY
        })
    }

    /// Whether `value_grad` runs a fused kernel for this law (it evaluates
    /// once at `u`).
    pub fn has_fused_kernel(&self, u: &[f64], grad: &mut [f64]) -> bool {
        self.fused(u, grad).is_some()
    }

    /// `value_grad` through the law's batch evaluation (`ln_batch` /
    /// `value_batch`) and a separate reduction over the Jacobian, a block of
    /// points at a time (see [`BLOCK`]): the path of laws without a fused
    /// kernel (and the reference the fused kernels are tested and
    /// benchmarked against).
    pub fn value_grad_unfused(&self, u: &[f64], grad: &mut [f64]) -> f64 {
        let LossData { huber, delta, .. } = self.loss_data();
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut total = 0.0;
        self.prediction_blocks(u, |first, pred, jac| {
            let rows = first..first + pred.len();
            total = reduce(
                huber,
                delta,
                total,
                pred,
                &self.target[rows.clone()],
                &self.obs.weight[rows],
                jac,
                grad,
            );
        });
        if total.is_finite() && grad.iter().all(|g| g.is_finite()) {
            total
        } else {
            f64::INFINITY
        }
    }

    /// For squared error: the objective, its gradient and the Gauss-Newton
    /// matrix 2 J^T W J (row major, p x p, into `gn`) in one pass through the
    /// batch path; `None` for Huber. A point where the law is undefined makes
    /// the objective +inf.
    pub fn gauss_newton(&self, u: &[f64], grad: &mut [f64], gn: &mut [f64]) -> Option<f64> {
        if self.loss != Loss::Squared {
            return None;
        }
        let fused =
            if self.space == Space::Log && self.obs.context_dim == 0 && self.obs.len() <= BLOCK {
                self.law.model.ln_gauss_newton(
                    &self.obs.x,
                    &self.lnx,
                    self.obs.dim(),
                    u,
                    &self.loss_data(),
                    grad,
                    gn,
                )
            } else {
                None
            };
        // A fused kernel writes every gradient entry and the upper
        // triangle (the lower one is filled below); the batch path adds
        // into zeroed sums.
        let total = match fused {
            Some(total) => total,
            None => {
                grad.iter_mut().for_each(|g| *g = 0.0);
                gn.iter_mut().for_each(|g| *g = 0.0);
                self.gauss_newton_batch(u, grad, gn)
            }
        };
        let p = u.len();
        Some(symmetric_or_inf(total, grad, gn, p))
    }

    /// The sums of [`Objective::gauss_newton`] through the batch path
    /// (`grad` and `gn` zeroed by the caller; the upper triangle of `gn`).
    fn gauss_newton_batch(&self, u: &[f64], grad: &mut [f64], gn: &mut [f64]) -> f64 {
        let mut total = 0.0;
        self.prediction_blocks(u, |first, pred, jac| {
            let rows = first..first + pred.len();
            total = reduce_gauss_newton(
                total,
                pred,
                &self.target[rows.clone()],
                &self.obs.weight[rows],
                jac,
                grad,
                gn,
            );
        });
        total
    }

    /// For the Huber loss: the objective, its gradient and the IRLS
    /// Gauss-Newton matrix J^T W C J (row major, p x p, into `gn`), with
    /// per point the curvature weight c = 1 inside the threshold and
    /// delta / |r| outside (psi(r) / r: a positive semi-definite model whose
    /// quadratic majorizes the Huber loss around the point), in one pass
    /// through the batch path; `None` for squared error (see
    /// [`Objective::gauss_newton`]). A point where the law is undefined
    /// makes the objective +inf. The value is the batch path's, which may
    /// differ from the fused kernel's `value_grad` in the last bits.
    pub fn huber_gauss_newton(&self, u: &[f64], grad: &mut [f64], gn: &mut [f64]) -> Option<f64> {
        let Loss::Huber { delta } = self.loss else {
            return None;
        };
        let p = u.len();
        grad.iter_mut().for_each(|g| *g = 0.0);
        gn.iter_mut().for_each(|g| *g = 0.0);
        let mut total = 0.0;
        self.prediction_blocks(u, |first, pred, jac| {
            for (k, (row, &pr)) in jac.chunks_exact(p).zip(pred).enumerate() {
                let i = first + k;
                let w = self.obs.weight[i];
                let r = pr - self.target[i];
                let (rho, psi) = huber(r, w, delta);
                total += rho;
                let a = r.abs();
                let c = if a <= delta { w } else { w * delta / a };
                for (a_, &ja) in row.iter().enumerate() {
                    grad[a_] += psi * ja;
                    let cj = c * ja;
                    for (b, &jb) in row.iter().enumerate().skip(a_) {
                        gn[a_ * p + b] += cj * jb;
                    }
                }
            }
        });
        Some(symmetric_or_inf(total, grad, gn, p))
    }

    /// The predictions (in the objective's space) and their Jacobian at the
    /// points `rows`, through the law's batch evaluation with the points'
    /// context.
    fn batch(&self, u: &[f64], rows: std::ops::Range<usize>, pred: &mut [f64], jac: &mut [f64]) {
        let d = self.obs.dim();
        let cd = self.obs.context_dim;
        let x = &self.obs.x[rows.start * d..rows.end * d];
        let lnx = &self.lnx[rows.start * d..rows.end * d];
        let ctx = &self.obs.context[rows.start * cd..rows.end * cd];
        let m = &self.law.model;
        match self.space {
            Space::Log => m.ln_batch_at(x, lnx, d, ctx, cd, u, pred, jac),
            Space::Linear => m.value_batch_at(x, lnx, d, ctx, cd, u, pred, jac),
        }
    }

    /// The objective's value alone.
    pub fn value(&self, u: &[f64]) -> f64 {
        let mut g = vec![0.0; u.len()];
        self.value_grad(u, &mut g)
    }

    /// The predictions (in the objective's space) and their Jacobian w.r.t.
    /// the internal parameters (row major, one row per point), [`BLOCK`]
    /// points at a time in order: `f(first point, predictions, Jacobian)`.
    /// Memory stays at one block whatever the number of points.
    pub fn prediction_blocks(&self, u: &[f64], mut f: impl FnMut(usize, &[f64], &[f64])) {
        let n = self.obs.len();
        let p = u.len();
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            let mut first = 0;
            while first < n {
                let m = BLOCK.min(n - first);
                let (pred, jac) = scratch.take(m, m * p);
                self.batch(u, first..first + m, pred, jac);
                f(first, pred, jac);
                first += m;
            }
        })
    }

    /// Residuals in the objective's space and their Jacobian, block by
    /// block as [`Objective::prediction_blocks`].
    pub fn residual_blocks(&self, u: &[f64], mut f: impl FnMut(usize, &[f64], &[f64])) {
        let mut residual = Vec::new();
        self.prediction_blocks(u, |first, pred, jac| {
            residual.clear();
            residual.extend(
                pred.iter()
                    .zip(&self.target[first..first + pred.len()])
                    .map(|(p, t)| p - t),
            );
            f(first, &residual, jac);
        });
    }
}

/// Points per block of the batch path (a multiple of [`LANES`]): predictions
/// and Jacobian rows are evaluated and reduced a block at a time, so memory
/// does not grow with points x parameters, and the sums run in the same
/// order as over all points at once.
pub const BLOCK: usize = 4096;

/// What a fused kernel needs to score its predictions: the targets (in the
/// objective's space), the weights and the loss.
pub struct LossData<'a> {
    /// Targets, in the objective's space.
    pub target: &'a [f64],
    /// Weights of the points.
    pub weight: &'a [f64],
    /// Huber with threshold `delta`; otherwise squared error.
    pub huber: bool,
    /// The Huber threshold (unused for squared error).
    pub delta: f64,
    /// The smallest and largest ln input of each input column ([`ln_ranges`];
    /// may be empty: a kernel then assumes nothing of its inputs).
    pub ln_range: &'a [[f64; 2]],
    /// The ln inputs column by column ([`ln_columns`]: column k holds the
    /// n points' k-th ln input, at `k * n..(k + 1) * n`), for a kernel that
    /// reads them so (`Model::ln_loss_reads_columns`); empty when not
    /// prepared (such a kernel then builds them itself).
    pub ln_columns: &'a [f64],
}

/// The smallest and largest value of each of the `dim` columns of `lnx` (row
/// major, one row per point): [NaN, NaN] for a column holding a NaN, [inf,
/// -inf] for no points. Kernels whose exponents are monotone in an input
/// check their overflow guards once per evaluation against it.
pub fn ln_ranges(lnx: &[f64], dim: usize) -> Vec<[f64; 2]> {
    let mut range = vec![[f64::INFINITY, f64::NEG_INFINITY]; dim];
    for row in lnx.chunks_exact(dim.max(1)) {
        for (r, &v) in range.iter_mut().zip(row) {
            if v.is_nan() || r[0].is_nan() {
                *r = [f64::NAN; 2];
            } else {
                *r = [r[0].min(v), r[1].max(v)];
            }
        }
    }
    range
}

/// `lnx` (row major, `dim` values per point) column by column: column k
/// (the points' k-th values, in point order) at `k * n..(k + 1) * n`. A
/// kernel that reads its inputs so loads a block's values of one input as
/// one vector, without the permutes that split interleaved rows.
pub fn ln_columns(lnx: &[f64], dim: usize) -> Vec<f64> {
    let d = dim.max(1);
    let n = lnx.len() / d;
    let mut cols = vec![0.0; n * d];
    for (i, row) in lnx.chunks_exact(d).enumerate() {
        for (k, &v) in row.iter().enumerate() {
            cols[k * n + i] = v;
        }
    }
    cols
}

/// Independent accumulators of a fused reduction (one vector register on
/// AVX-512, two on AVX2): the sums over points run lane by lane, so the
/// loop vectorizes without reassociating floating-point additions.
pub const LANES: usize = 8;

/// The weighted loss of the residual `pred - t` and its derivative times
/// the weight. Branch-free: squared error is twice Huber with an infinite
/// threshold, so one formula with selects serves both (and the loop over
/// points vectorizes).
#[inline(always)]
pub fn weighted_loss(data: &LossData, t: f64, w: f64, pred: f64) -> (f64, f64) {
    let (c, d) = if data.huber {
        (1.0, data.delta)
    } else {
        (2.0, f64::INFINITY)
    };
    let (rho, psi) = huber(pred - t, c * w, d);
    (rho, psi)
}

/// [`weighted_loss`] in fewer operations, for [`pipelined_reduce!`]: psi =
/// clamp(r, -d, d) as before, and rho = psi (r - psi / 2) in one fused
/// multiply-add and a multiplication (r^2 / 2 inside the threshold,
/// d (|r| - d / 2) outside) instead of |r|, a compare, a select and three
/// multiplications. The same values to a rounding or two (the last bits
/// differ, which is why only the Chinchilla kernel uses it).
#[inline(always)]
pub fn weighted_loss_lean<const FMA: bool>(
    data: &LossData,
    t: f64,
    w: f64,
    pred: f64,
) -> (f64, f64) {
    let (c, d) = if data.huber {
        (1.0, data.delta)
    } else {
        (2.0, f64::INFINITY)
    };
    let cw = c * w;
    let r = pred - t;
    let psi = r.max(-d).min(d);
    let rho = psi * crate::fastmath::fmadd::<FMA>(-0.5, psi, r);
    (cw * rho, cw * psi)
}

/// Sum over the `data.target.len()` points of the weighted loss of the
/// prediction (in the objective's space) that `$body` computes from point
/// `$xi` (its `$d` inputs, a `&[f64; $d]` read from `$inputs`), with the
/// gradient sum_i w_i psi(r_i) J_i written into `$grad` (`$body` evaluates
/// to `(prediction, [J_i; $p])`). Use it inside a [`crate::multiversion!`]
/// kernel: the body is pasted into the loop (a closure would be compiled
/// apart, without the kernel's vector features). Points go in blocks of
/// `LANES`: the block's predictions and gradients into fixed-size arrays
/// (every index known at compile time, so the loop vectorizes), then their
/// losses into one accumulator per lane.
#[macro_export]
macro_rules! fused_reduce {
    ($data:expr, $grad:expr, $p:literal, $fma:ident, $inputs:expr, $d:literal, |$xi:ident| $body:block) => {{
        use $crate::objective::LANES;
        let data: &$crate::objective::LossData = $data;
        let grad: &mut [f64] = $grad;
        let n = data.target.len();
        let inputs: &[f64] = &$inputs[..n * $d];
        let (target, weight) = (data.target, &data.weight[..n]);
        let mut tot = [0.0f64; LANES];
        let mut acc = [[0.0f64; LANES]; $p];
        let chunks = n / LANES;
        for c in 0..chunks {
            let xs: &[f64; $d * LANES] = inputs[c * LANES * $d..(c + 1) * LANES * $d]
                .try_into()
                .unwrap();
            let t: &[f64; LANES] = target[c * LANES..(c + 1) * LANES].try_into().unwrap();
            let w: &[f64; LANES] = weight[c * LANES..(c + 1) * LANES].try_into().unwrap();
            let mut pr = [0.0f64; LANES];
            let mut jb = [[0.0f64; LANES]; $p];
            for l in 0..LANES {
                let $xi: &[f64; $d] = xs[l * $d..(l + 1) * $d].try_into().unwrap();
                let (pred, j): (f64, [f64; $p]) = $body;
                pr[l] = pred;
                for k in 0..$p {
                    jb[k][l] = j[k];
                }
            }
            for l in 0..LANES {
                let (rho, s) = $crate::objective::weighted_loss(data, t[l], w[l], pr[l]);
                tot[l] += rho;
                for k in 0..$p {
                    acc[k][l] = $crate::fastmath::fmadd::<$fma>(s, jb[k][l], acc[k][l]);
                }
            }
        }
        // The last n % LANES points: evaluated as one block (padded with
        // copies of the last point, whose results are not used), then
        // summed one after the other into lane 0. Each point's arithmetic
        // is elementwise, so a lane computes the bits a scalar pass would:
        // the sums, in the same order, are those of a point-by-point tail
        // (small fits, 5-14 points, are mostly tail).
        let base = chunks * LANES;
        let rem = n - base;
        if rem > 0 {
            let at = |l: usize| base + l.min(rem - 1);
            let mut xs = [0.0f64; $d * LANES];
            let mut t = [0.0f64; LANES];
            let mut w = [0.0f64; LANES];
            for l in 0..LANES {
                let i = at(l);
                xs[l * $d..(l + 1) * $d].copy_from_slice(&inputs[i * $d..(i + 1) * $d]);
                t[l] = target[i];
                w[l] = weight[i];
            }
            let mut rh = [0.0f64; LANES];
            let mut ss = [0.0f64; LANES];
            let mut jb = [[0.0f64; LANES]; $p];
            for l in 0..LANES {
                let $xi: &[f64; $d] = xs[l * $d..(l + 1) * $d].try_into().unwrap();
                let (pred, j): (f64, [f64; $p]) = $body;
                let (rho, s) = $crate::objective::weighted_loss(data, t[l], w[l], pred);
                rh[l] = rho;
                ss[l] = s;
                for k in 0..$p {
                    jb[k][l] = j[k];
                }
            }
            for l in 0..rem {
                tot[0] += rh[l];
                for k in 0..$p {
                    acc[k][0] = $crate::fastmath::fmadd::<$fma>(ss[l], jb[k][l], acc[k][0]);
                }
            }
        }
        for (g, a) in grad.iter_mut().zip(&acc) {
            *g = $crate::objective::lane_sum(a);
        }
        $crate::objective::lane_sum(&tot)
    }};
}

/// The Gauss-Newton pass of a squared-error objective on ln L in one sweep
/// over the points (no Jacobian in memory): the sum of w_i r_i^2 (r_i the
/// prediction `$body` computes from point `$xi`, minus its target), the
/// gradient 2 J^T W r into `$grad` and the upper triangle of 2 J^T W J into
/// `$gn` (row major, `$p` x `$p`; the lower triangle is left alone). The
/// sums run as [`reduce_gauss_newton`]'s on the same predictions (point k
/// into lane k % [`LANES`], the lanes summed pairwise), so for the same
/// per-point values the result has the same bits as the batch path's.
/// Points go in blocks of `LANES`, the last one padded with copies of the
/// last point (their results are not summed), so the per-point work
/// vectorizes. Use it inside a [`crate::multiversion!`] kernel.
#[macro_export]
macro_rules! fused_gauss_newton {
    ($data:expr, $grad:expr, $gn:expr, $p:literal, $fma:ident, $inputs:expr, $d:literal, |$xi:ident| $body:block) => {{
        use $crate::fastmath::fmadd;
        use $crate::objective::{lane_sum, LANES};
        let data: &$crate::objective::LossData = $data;
        let grad: &mut [f64] = $grad;
        let gn: &mut [f64] = $gn;
        let n = data.target.len();
        let inputs: &[f64] = &$inputs[..n * $d];
        let (target, weight) = (data.target, &data.weight[..n]);
        let mut tot = [0.0f64; LANES];
        let mut g = [[0.0f64; LANES]; $p];
        let mut h = [[[0.0f64; LANES]; $p]; $p];
        let mut base = 0;
        while base < n {
            let valid = (n - base).min(LANES);
            // The block's inputs, targets and weights gathered first (fixed
            // indices: the per-point loop below vectorizes).
            let mut xs = [0.0f64; $d * LANES];
            let mut t = [0.0f64; LANES];
            let mut w = [0.0f64; LANES];
            for l in 0..LANES {
                let k = base + l.min(valid - 1);
                xs[l * $d..(l + 1) * $d].copy_from_slice(&inputs[k * $d..(k + 1) * $d]);
                t[l] = target[k];
                w[l] = weight[k];
            }
            let mut r = [0.0f64; LANES];
            let mut w2 = [0.0f64; LANES];
            let mut col = [[0.0f64; LANES]; $p];
            for l in 0..LANES {
                let $xi: &[f64; $d] = xs[l * $d..(l + 1) * $d].try_into().unwrap();
                let (pred, j): (f64, [f64; $p]) = $body;
                r[l] = pred - t[l];
                w2[l] = 2.0 * w[l];
                for i in 0..$p {
                    col[i][l] = j[i];
                }
            }
            if valid == LANES {
                let mut s = [0.0f64; LANES];
                for l in 0..LANES {
                    tot[l] = fmadd::<$fma>(0.5 * w2[l] * r[l], r[l], tot[l]);
                    s[l] = w2[l] * r[l];
                }
                for i in 0..$p {
                    let mut wi = [0.0f64; LANES];
                    for l in 0..LANES {
                        g[i][l] = fmadd::<$fma>(s[l], col[i][l], g[i][l]);
                        wi[l] = w2[l] * col[i][l];
                    }
                    for j in i..$p {
                        for l in 0..LANES {
                            h[i][j][l] = fmadd::<$fma>(wi[l], col[j][l], h[i][j][l]);
                        }
                    }
                }
            } else {
                for l in 0..valid {
                    tot[l] = fmadd::<$fma>(0.5 * w2[l] * r[l], r[l], tot[l]);
                    let s = w2[l] * r[l];
                    for i in 0..$p {
                        g[i][l] = fmadd::<$fma>(s, col[i][l], g[i][l]);
                        let wi = w2[l] * col[i][l];
                        for j in i..$p {
                            h[i][j][l] = fmadd::<$fma>(wi, col[j][l], h[i][j][l]);
                        }
                    }
                }
            }
            base += LANES;
        }
        // `0.0 +`: the batch path adds each sum to a zeroed total.
        for i in 0..$p {
            grad[i] = 0.0 + lane_sum(&g[i]);
            for j in i..$p {
                gn[i * $p + j] = 0.0 + lane_sum(&h[i][j]);
            }
        }
        0.0 + lane_sum(&tot)
    }};
}

/// [`fused_reduce!`] software-pipelined, for kernels whose per-point work
/// is a long chain of dependent operations (Chinchilla's two exponentials,
/// then a division and ln of their sum). Each point's work is split in
/// three: `|$xi| $first` computes a state of `$s` values from its inputs
/// (`$xi`, a `[f64; $d]`; `$inputs` holds them column by column, as
/// [`ln_columns`] lays them out: a block's values of one input are one
/// vector load, no permutes), `|$st| $mid` a second state of `$s2` values
/// from it, `|$st2, $xi2| $second` the prediction and its gradient from
/// that and the point's inputs again (`$xi2`, read from memory rather
/// than carried through the stages: fewer values live across the loop,
/// fewer spilled to the stack), as `fused_reduce!`'s body. The loop runs
/// the first part of block c, the second of block c - 1, the third of
/// block c - 2 and the loss and sums of block c - 3 together: the four are
/// independent, so the out-of-order core always has work whose inputs are
/// ready, where one block's chain alone keeps its scheduler full of
/// waiting operations. The loop holds full blocks only (no lane-by-lane
/// access, which would make the compiler keep the lanes apart); the last
/// n % `LANES` points run after it as one block padded with copies of the
/// last point, summed one by one into lane 0: `fused_reduce!`'s order. The
/// loss is [`weighted_loss_lean`].
#[macro_export]
macro_rules! pipelined_reduce {
    ($data:expr, $grad:expr, $p:literal, $fma:ident, $inputs:expr, $d:literal, $s:literal,
     $s2:literal, |$xi:ident| $first:block, |$st:ident| $mid:block,
     |$st2:ident, $xi2:ident| $second:block) => {{
        use $crate::objective::LANES;
        let data: &$crate::objective::LossData = $data;
        let grad: &mut [f64] = $grad;
        let n = data.target.len();
        let inputs: &[f64] = &$inputs[..n * $d];
        // Column k: the points' k-th inputs.
        let cols: [&[f64]; $d] = ::std::array::from_fn(|k| &inputs[k * n..(k + 1) * n]);
        let (target, weight) = (data.target, &data.weight[..n]);
        let chunks = n / LANES;
        let rem = n - chunks * LANES;
        let mut tot = [0.0f64; LANES];
        let mut acc = [[0.0f64; LANES]; $p];
        // The states of blocks c - 1 and c - 2, the predictions of c - 3.
        let mut a = [[0.0f64; LANES]; $s];
        let mut a2 = [[0.0f64; LANES]; $s2];
        let mut b = ([0.0f64; LANES], [[0.0f64; LANES]; $p]);
        // (The stages are pasted into the loop, not closures: a closure
        // would be compiled apart, without the kernel's vector features.)
        for c in 0..chunks + 3 {
            let next_a = if c < chunks {
                // The block's inputs, one array per input.
                let xs: [&[f64; LANES]; $d] = ::std::array::from_fn(|k| {
                    cols[k][c * LANES..(c + 1) * LANES].try_into().unwrap()
                });
                let mut st = [[0.0f64; LANES]; $s];
                for l in 0..LANES {
                    let $xi: [f64; $d] = ::std::array::from_fn(|k| xs[k][l]);
                    let v: [f64; $s] = $first;
                    for k in 0..$s {
                        st[k][l] = v[k];
                    }
                }
                st
            } else {
                a
            };
            let next_a2 = if c >= 1 && c <= chunks {
                let mut st = [[0.0f64; LANES]; $s2];
                for l in 0..LANES {
                    let mut $st = [0.0f64; $s];
                    for k in 0..$s {
                        $st[k] = a[k][l];
                    }
                    let v: [f64; $s2] = $mid;
                    for k in 0..$s2 {
                        st[k][l] = v[k];
                    }
                }
                st
            } else {
                a2
            };
            let next_b = if c >= 2 && c <= chunks + 1 {
                let q = c - 2;
                let xs: [&[f64; LANES]; $d] = ::std::array::from_fn(|k| {
                    cols[k][q * LANES..(q + 1) * LANES].try_into().unwrap()
                });
                let mut pr = [0.0f64; LANES];
                let mut jb = [[0.0f64; LANES]; $p];
                for l in 0..LANES {
                    let $xi2: [f64; $d] = ::std::array::from_fn(|k| xs[k][l]);
                    let mut $st2 = [0.0f64; $s2];
                    for k in 0..$s2 {
                        $st2[k] = a2[k][l];
                    }
                    let (pred, j): (f64, [f64; $p]) = $second;
                    pr[l] = pred;
                    for k in 0..$p {
                        jb[k][l] = j[k];
                    }
                }
                (pr, jb)
            } else {
                b
            };
            if c >= 3 {
                let q = c - 3;
                let t: &[f64; LANES] = target[q * LANES..(q + 1) * LANES].try_into().unwrap();
                let w: &[f64; LANES] = weight[q * LANES..(q + 1) * LANES].try_into().unwrap();
                for l in 0..LANES {
                    let (rho, s) =
                        $crate::objective::weighted_loss_lean::<$fma>(data, t[l], w[l], b.0[l]);
                    tot[l] += rho;
                    for k in 0..$p {
                        acc[k][l] = $crate::fastmath::fmadd::<$fma>(s, b.1[k][l], acc[k][l]);
                    }
                }
            }
            a = next_a;
            a2 = next_a2;
            b = next_b;
        }
        if rem > 0 {
            let mut xs = [[0.0f64; $d]; LANES];
            let mut t = [0.0f64; LANES];
            let mut w = [0.0f64; LANES];
            for l in 0..LANES {
                let i = chunks * LANES + l.min(rem - 1);
                for k in 0..$d {
                    xs[l][k] = cols[k][i];
                }
                t[l] = target[i];
                w[l] = weight[i];
            }
            let mut rh = [0.0f64; LANES];
            let mut ss = [0.0f64; LANES];
            let mut jb = [[0.0f64; LANES]; $p];
            for l in 0..LANES {
                let ($xi, $xi2) = (xs[l], xs[l]);
                let $st: [f64; $s] = $first;
                let $st2: [f64; $s2] = $mid;
                let (pred, j): (f64, [f64; $p]) = $second;
                let (rho, s) =
                    $crate::objective::weighted_loss_lean::<$fma>(data, t[l], w[l], pred);
                rh[l] = rho;
                ss[l] = s;
                for k in 0..$p {
                    jb[k][l] = j[k];
                }
            }
            for l in 0..rem {
                tot[0] += rh[l];
                for k in 0..$p {
                    acc[k][0] = $crate::fastmath::fmadd::<$fma>(ss[l], jb[k][l], acc[k][0]);
                }
            }
        }
        for (g, a) in grad.iter_mut().zip(&acc) {
            *g = $crate::objective::lane_sum(a);
        }
        $crate::objective::lane_sum(&tot)
    }};
}

/// Pairwise sum of the lanes (a fixed order: the same on every machine).
#[inline(always)]
pub fn lane_sum(a: &[f64; LANES]) -> f64 {
    let mut v = *a;
    let mut w = LANES;
    while w > 1 {
        w /= 2;
        for i in 0..w {
            v[i] += v[i + w];
        }
    }
    v[0]
}

crate::multiversion! {
    /// `start` plus the sum of the (weighted) losses of the residuals
    /// pred - target, in point order, with their gradient J^T psi accumulated
    /// into `grad` (J: one row per point).
    #[allow(clippy::too_many_arguments)]
    fn reduce(
        huber: bool,
        delta: f64,
        start: f64,
        pred: &[f64],
        target: &[f64],
        weight: &[f64],
        jac: &[f64],
        grad: &mut [f64],
    ) -> f64 {
        let cd = if huber {
            (1.0, delta)
        } else {
            (2.0, f64::INFINITY)
        };
        match grad.len() {
            1 => reduce_fixed::<1>(cd, start, pred, target, weight, jac, grad),
            2 => reduce_fixed::<2>(cd, start, pred, target, weight, jac, grad),
            3 => reduce_fixed::<3>(cd, start, pred, target, weight, jac, grad),
            4 => reduce_fixed::<4>(cd, start, pred, target, weight, jac, grad),
            5 => reduce_fixed::<5>(cd, start, pred, target, weight, jac, grad),
            6 => reduce_fixed::<6>(cd, start, pred, target, weight, jac, grad),
            _ => {
                let (c, d) = cd;
                let mut total = start;
                for (((&pr, &t), &w), row) in pred
                    .iter()
                    .zip(target)
                    .zip(weight)
                    .zip(jac.chunks_exact(grad.len()))
                {
                    let (rho, psi) = self::huber(pr - t, c, d);
                    total += w * rho;
                    let s = w * psi;
                    for (g, j) in grad.iter_mut().zip(row) {
                        *g += s * j;
                    }
                }
                total
            }
        }
    }
}

/// [`reduce`] for `P` parameters: the gradient sums held in registers
/// across the points (not loaded and stored through `grad` at every
/// point), the same operations in the same order (the same bits).
#[inline(always)]
fn reduce_fixed<const P: usize>(
    (c, d): (f64, f64),
    start: f64,
    pred: &[f64],
    target: &[f64],
    weight: &[f64],
    jac: &[f64],
    grad: &mut [f64],
) -> f64 {
    let mut acc: [f64; P] = grad[..P].try_into().unwrap();
    let mut total = start;
    for (((&pr, &t), &w), row) in pred.iter().zip(target).zip(weight).zip(jac.chunks_exact(P)) {
        let (rho, psi) = huber(pr - t, c, d);
        total += w * rho;
        let s = w * psi;
        for (g, j) in acc.iter_mut().zip(row) {
            *g += s * j;
        }
    }
    grad[..P].copy_from_slice(&acc);
    total
}

crate::multiversion! {
    /// `start` plus the weighted squared residuals pred - target, with the
    /// gradient 2 J^T W r added into `grad` and the upper triangle of
    /// 2 J^T W J into `gn` (row major, p x p). A fixed order: [`LANES`]
    /// accumulators over the points, summed pairwise (the laws' 1-6
    /// parameters are unrolled so the sums stay in registers).
    #[allow(clippy::too_many_arguments)]
    fn reduce_gauss_newton(
        start: f64,
        pred: &[f64],
        target: &[f64],
        weight: &[f64],
        jac: &[f64],
        grad: &mut [f64],
        gn: &mut [f64],
    ) -> f64 {
        match grad.len() {
            1 => gn_lanes::<FMA, 1>(start, pred, target, weight, jac, grad, gn),
            2 => gn_lanes::<FMA, 2>(start, pred, target, weight, jac, grad, gn),
            3 => gn_lanes::<FMA, 3>(start, pred, target, weight, jac, grad, gn),
            4 => gn_lanes::<FMA, 4>(start, pred, target, weight, jac, grad, gn),
            5 => gn_lanes::<FMA, 5>(start, pred, target, weight, jac, grad, gn),
            6 => gn_lanes::<FMA, 6>(start, pred, target, weight, jac, grad, gn),
            _ => gn_serial(start, pred, target, weight, jac, grad, gn),
        }
    }
}

/// [`reduce_gauss_newton`] for `P` parameters, [`LANES`] points at a time.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
fn gn_lanes<const FMA: bool, const P: usize>(
    start: f64,
    pred: &[f64],
    target: &[f64],
    weight: &[f64],
    jac: &[f64],
    grad: &mut [f64],
    gn: &mut [f64],
) -> f64 {
    use crate::fastmath::fmadd;
    let n = pred.len();
    let (pred, target, weight, jac) = (&pred[..n], &target[..n], &weight[..n], &jac[..n * P]);
    let mut tot = [0.0; LANES];
    let mut g = [[0.0; LANES]; P];
    let mut h = [[[0.0; LANES]; P]; P];
    let full = n / LANES * LANES;
    let mut k0 = 0;
    while k0 < full {
        // Gather the chunk column by column, then accumulate lane-wise
        // (contiguous lanes: one vector operation per sum).
        let mut r = [0.0; LANES];
        let mut w2 = [0.0; LANES];
        let mut col = [[0.0; LANES]; P];
        for l in 0..LANES {
            let k = k0 + l;
            r[l] = pred[k] - target[k];
            w2[l] = 2.0 * weight[k];
            for i in 0..P {
                col[i][l] = jac[k * P + i];
            }
        }
        let mut s = [0.0; LANES];
        for l in 0..LANES {
            tot[l] = fmadd::<FMA>(0.5 * w2[l] * r[l], r[l], tot[l]);
            s[l] = w2[l] * r[l];
        }
        for i in 0..P {
            let mut wi = [0.0; LANES];
            for l in 0..LANES {
                g[i][l] = fmadd::<FMA>(s[l], col[i][l], g[i][l]);
                wi[l] = w2[l] * col[i][l];
            }
            for j in i..P {
                for l in 0..LANES {
                    h[i][j][l] = fmadd::<FMA>(wi[l], col[j][l], h[i][j][l]);
                }
            }
        }
        k0 += LANES;
    }
    // The last partial block, in lane order.
    for k in full..n {
        let l = k - full;
        let r = pred[k] - target[k];
        let w2 = 2.0 * weight[k];
        tot[l] = fmadd::<FMA>(0.5 * w2 * r, r, tot[l]);
        let s = w2 * r;
        let row = &jac[k * P..k * P + P];
        for i in 0..P {
            g[i][l] = fmadd::<FMA>(s, row[i], g[i][l]);
            let wi = w2 * row[i];
            for j in i..P {
                h[i][j][l] = fmadd::<FMA>(wi, row[j], h[i][j][l]);
            }
        }
    }
    for i in 0..P {
        grad[i] += lane_sum(&g[i]);
        for j in i..P {
            gn[i * P + j] += lane_sum(&h[i][j]);
        }
    }
    start + lane_sum(&tot)
}

/// [`reduce_gauss_newton`] for any number of parameters, point by point.
#[allow(clippy::too_many_arguments)]
fn gn_serial(
    start: f64,
    pred: &[f64],
    target: &[f64],
    weight: &[f64],
    jac: &[f64],
    grad: &mut [f64],
    gn: &mut [f64],
) -> f64 {
    let p = grad.len();
    let mut total = start;
    for (((&pr, &t), &w), row) in pred.iter().zip(target).zip(weight).zip(jac.chunks_exact(p)) {
        let r = pr - t;
        total += w * r * r;
        let s = 2.0 * w * r;
        for i in 0..p {
            grad[i] += s * row[i];
            let wi = 2.0 * w * row[i];
            for j in i..p {
                gn[i * p + j] += wi * row[j];
            }
        }
    }
    total
}

/// Mirror a Gauss-Newton matrix's upper triangle (row major, p x p) into
/// its lower one; the objective `total`, or +inf when it, the gradient or
/// the matrix is not finite (a point where the law is undefined). For the
/// parameter counts of the built-in laws (2-6) a copy with p known at
/// compile time (the small fits' polishes call this once per evaluation):
/// the same copies and the same test.
fn symmetric_or_inf(total: f64, grad: &[f64], gn: &mut [f64], p: usize) -> f64 {
    match p {
        2 => symmetric_or_inf_fixed::<2>(total, grad, gn),
        3 => symmetric_or_inf_fixed::<3>(total, grad, gn),
        4 => symmetric_or_inf_fixed::<4>(total, grad, gn),
        5 => symmetric_or_inf_fixed::<5>(total, grad, gn),
        6 => symmetric_or_inf_fixed::<6>(total, grad, gn),
        _ => symmetric_or_inf_any(total, grad, gn, p),
    }
}

/// [`symmetric_or_inf`] for `P` parameters: no bounds checks, every loop
/// unrolled.
#[inline(always)]
fn symmetric_or_inf_fixed<const P: usize>(total: f64, grad: &[f64], gn: &mut [f64]) -> f64 {
    let grad: &[f64; P] = grad[..P].try_into().unwrap();
    let gn: &mut [f64] = &mut gn[..P * P];
    for i in 0..P {
        for j in 0..i {
            gn[i * P + j] = gn[j * P + i];
        }
    }
    let inf_or_nan = |x: f64| x.to_bits() & 0x7ff0_0000_0000_0000 == 0x7ff0_0000_0000_0000;
    let mut any = inf_or_nan(total);
    for &x in grad {
        any |= inf_or_nan(x);
    }
    for &x in gn.iter() {
        any |= inf_or_nan(x);
    }
    if any {
        f64::INFINITY
    } else {
        total
    }
}

/// [`symmetric_or_inf`] for any `p`.
fn symmetric_or_inf_any(total: f64, grad: &[f64], gn: &mut [f64], p: usize) -> f64 {
    for i in 0..p {
        for j in 0..i {
            gn[i * p + j] = gn[j * p + i];
        }
    }
    // Whether any entry is not finite, without an early exit (a loop the
    // compiler vectorizes): its exponent bits all set.
    let not_finite = |v: &[f64]| {
        v.iter().fold(false, |any, x| {
            any | (x.to_bits() & 0x7ff0_0000_0000_0000 == 0x7ff0_0000_0000_0000)
        })
    };
    if total.is_finite() && !not_finite(grad) && !not_finite(gn) {
        total
    } else {
        f64::INFINITY
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    /// The copies of `symmetric_or_inf` for 2-6 parameters give the general
    /// loop's matrix and value, finite or not.
    #[test]
    fn fixed_size_symmetric_or_inf_is_the_general_one() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let specials = [f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
        for p in 2..=6 {
            for case in 0..200 {
                let mut total = next();
                let mut grad: Vec<f64> = (0..p).map(|_| next()).collect();
                let mut gn: Vec<f64> = (0..p * p).map(|_| next()).collect();
                // Every fourth case one non-finite value somewhere.
                if case % 4 == 0 {
                    let v = specials[(case / 4) % 3];
                    match (case / 12) % 3 {
                        0 => total = v,
                        1 => grad[case % p] = v,
                        _ => gn[(case * 7) % (p * p)] = v,
                    }
                }
                let mut gn_any = gn.clone();
                let any = symmetric_or_inf_any(total, &grad, &mut gn_any, p);
                let fixed = symmetric_or_inf(total, &grad, &mut gn, p);
                assert_eq!(any.to_bits(), fixed.to_bits(), "p {p} case {case}");
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&gn_any), bits(&gn), "p {p} case {case}");
            }
        }
    }

    /// `reduce` with its sums in registers (1-6 parameters) gives the bits
    /// of the loop through `grad` it replaced, for both losses, with and
    /// without a running start.
    #[test]
    #[allow(clippy::needless_range_loop)]
    fn reduce_keeps_the_bits_of_the_loop_through_grad() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for p in 1..=7 {
            for n in [0, 1, 7, 100] {
                let pred: Vec<f64> = (0..n).map(|_| uniform() - 0.5).collect();
                let target: Vec<f64> = (0..n).map(|_| 0.01 * uniform()).collect();
                let weight: Vec<f64> = (0..n).map(|_| 1.0 + uniform()).collect();
                let jac: Vec<f64> = (0..n * p).map(|_| 10.0 * uniform() - 5.0).collect();
                for (huber, start) in [(true, 0.0), (false, 0.0), (true, 0.3)] {
                    let init: Vec<f64> = (0..p).map(|k| start * k as f64).collect();
                    let mut grad = init.clone();
                    let total =
                        reduce(huber, 1e-2, start, &pred, &target, &weight, &jac, &mut grad);
                    let (c, d) = if huber {
                        (1.0, 1e-2)
                    } else {
                        (2.0, f64::INFINITY)
                    };
                    let (mut want, mut g) = (start, init);
                    for i in 0..n {
                        let (rho, psi) = super::huber(pred[i] - target[i], c, d);
                        want += weight[i] * rho;
                        let s = weight[i] * psi;
                        for k in 0..p {
                            g[k] += s * jac[i * p + k];
                        }
                    }
                    assert_eq!(total.to_bits(), want.to_bits(), "p {p} n {n}");
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&grad), bits(&g), "p {p} n {n}");
                }
            }
        }
    }

    /// A value and gradient `(f1, g1)` equal to the reference `(f2, g2)`:
    /// the value to 1e-12 relative, each gradient component to 1e-10 of
    /// the largest (plus `abs`); false (nothing compared) where the
    /// reference is not finite, which `f1` must then not be either.
    fn agree(what: &str, (f1, g1): (f64, &[f64]), (f2, g2): (f64, &[f64]), abs: f64) -> bool {
        if !f2.is_finite() {
            assert!(!f1.is_finite(), "{what}");
            return false;
        }
        assert!((f1 - f2).abs() <= 1e-12 * f2.abs(), "{what}: {f1} vs {f2}");
        let scale = g2.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (a, b) in g1.iter().zip(g2) {
            assert!(
                (a - b).abs() <= 1e-10 * scale + abs,
                "{what}: gradient {g1:?} vs {g2:?}"
            );
        }
        true
    }

    #[test]
    fn fused_kernels_match_the_batch_path() {
        use crate::law::catalog;
        let xs: Vec<f64> = (0..203)
            .map(|i| 10f64.powf(1.0 + i as f64 / 40.0))
            .collect();
        let cases: Vec<(crate::law::Law, Vec<f64>, usize)> = vec![
            (catalog::power(), vec![2e3, 0.5, 1.5], 1),
            (catalog::vanilla_ft(), vec![50.0, 0.4, 1.0, 1.0], 1),
            (catalog::rectified(), vec![80.0, 40.0, 0.5, 1.0], 1),
            (
                catalog::chinchilla(),
                vec![400.0, 0.34, 410.0, 0.28, 1.7],
                2,
            ),
            (catalog::joint_mult(), vec![1e4, 0.3, 0.1, 1.0], 2),
            (catalog::joint_add(), vec![300.0, 0.3, 5.0, 0.15, 1.0], 2),
            (catalog::reciprocal(), vec![3.0, 0.05, 2.5], 1),
            (catalog::bnsl(1), vec![0.8, 20.0, 0.1, 3e3, 0.3, 1.0], 1),
        ];
        for (law, truth, dim) in cases {
            let pts: Vec<Vec<f64>> = xs
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    let mut p = vec![if law.name == "rectified" && i == 0 {
                        0.0
                    } else {
                        x
                    }];
                    if dim == 2 {
                        p.push(1e3 * (1.0 + (i % 7) as f64));
                    }
                    p
                })
                .collect();
            let obs = crate::synthetic::generate(&law, &truth, &pts, 0.01, 3, "");
            for loss in [Loss::Huber { delta: 1e-3 }, Loss::Squared] {
                let o = Objective::new(&law, &obs, loss, Space::Log);
                for start in law.grid().iter().step_by(7).take(20) {
                    let (mut g1, mut g2) = (vec![0.0; start.len()], vec![0.0; start.len()]);
                    assert!(o.has_fused_kernel(start, &mut g1), "{}", law.name);
                    let f1 = o.value_grad(start, &mut g1);
                    let f2 = o.value_grad_unfused(start, &mut g2);
                    agree(&law.name, (f1, &g1), (f2, &g2), 1e-300);
                }
            }
        }
    }

    #[test]
    fn gauss_newton_matches_the_gradient_and_the_jacobian() {
        use crate::law::catalog;
        // 4,099 points: a full block, lanes and a partial chunk; 2 to 6
        // parameters (the unrolled counts) and 9 (the serial path).
        let xs: Vec<f64> = (0..4099)
            .map(|i| 10f64.powf(1.0 + i as f64 / 800.0))
            .collect();
        let pts: Vec<Vec<f64>> = xs.iter().map(|&x| vec![x]).collect();
        for (law, truth) in [
            (catalog::power(), vec![2e3, 0.5, 1.5]),
            (catalog::vanilla_ft(), vec![50.0, 0.4, 1.0, 1.0]),
            (catalog::bnsl(1), vec![0.8, 20.0, 0.1, 3e3, 0.3, 1.0]),
            (
                catalog::bnsl(2),
                vec![0.8, 20.0, 0.1, 3e3, 0.3, 1e4, 0.2, 0.5, 1.0],
            ),
        ] {
            let obs = crate::synthetic::generate(&law, &truth, &pts, 0.01, 3, "");
            let o = Objective::new(&law, &obs, Loss::Squared, Space::Log);
            let p = law.n_params();
            for u in law.grid().iter().step_by(11).take(10) {
                let (mut g1, mut g2, mut h) = (vec![0.0; p], vec![0.0; p], vec![0.0; p * p]);
                let f1 = o.gauss_newton(u, &mut g1, &mut h).unwrap();
                let f2 = o.value_grad_unfused(u, &mut g2);
                if !agree(&law.name, (f1, &g1), (f2, &g2), 0.0) {
                    continue;
                }
                // 2 J^T J from the Jacobian, point by point.
                let mut want = vec![0.0; p * p];
                o.residual_blocks(u, |_, r, jac| {
                    for row in jac.chunks_exact(p).take(r.len()) {
                        for i in 0..p {
                            for j in 0..p {
                                want[i * p + j] += 2.0 * row[i] * row[j];
                            }
                        }
                    }
                });
                let hs = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for (a, b) in h.iter().zip(&want) {
                    assert!(
                        (a - b).abs() <= 1e-10 * hs,
                        "{}: {h:?} vs {want:?}",
                        law.name
                    );
                }
            }
        }
        let law = catalog::power();
        let obs = crate::synthetic::generate(&law, &[2e3, 0.5, 1.5], &pts, 0.01, 3, "");
        let o = Objective::new(&law, &obs, Loss::Huber { delta: 1e-3 }, Space::Log);
        assert!(o
            .gauss_newton(&[1.0, 0.5, 0.0], &mut [0.0; 3], &mut [0.0; 9])
            .is_none());
    }

    #[test]
    fn fused_gauss_newton_has_the_bits_of_the_batch_path() {
        // vanilla-ft and rectified (the zero-shot point at D = 0 first):
        // every point count from 1 to 20 (tails and full lanes) and 203,
        // at grid starts; value, gradient and the Gauss-Newton matrix equal
        // to the bit.
        use crate::law::catalog;
        for (law, truth) in [
            (catalog::vanilla_ft(), vec![50.0, 0.4, 1.0, 1.0]),
            (catalog::rectified(), vec![80.0, 40.0, 0.5, 1.0]),
        ] {
            let zero = law.name == "rectified";
            let pts: Vec<Vec<f64>> = (0..203)
                .map(|i| {
                    if zero && i == 0 {
                        vec![0.0]
                    } else {
                        vec![10f64.powf(1.0 + i as f64 / 40.0)]
                    }
                })
                .collect();
            let all = crate::synthetic::generate(&law, &truth, &pts, 0.01, 3, "");
            let p = law.n_params();
            for n in (1..=20).chain([203]) {
                let idx: Vec<usize> = (0..n).collect();
                let obs = all.subset(&idx);
                let o = Objective::new(&law, &obs, Loss::Squared, Space::Log);
                for u in law.grid().iter().step_by(5) {
                    let (mut g1, mut h1) = (vec![0.0; p], vec![0.0; p * p]);
                    let f1 = o.gauss_newton(u, &mut g1, &mut h1).unwrap();
                    let (mut g2, mut h2) = (vec![0.0; p], vec![0.0; p * p]);
                    let f2 = o.gauss_newton_batch(u, &mut g2, &mut h2);
                    assert_eq!(f1.to_bits(), f2.to_bits(), "{} n = {n}", law.name);
                    for (a, b) in g1.iter().zip(&g2) {
                        assert_eq!(a.to_bits(), b.to_bits(), "{} n = {n}", law.name);
                    }
                    for i in 0..p {
                        for j in i..p {
                            let (a, b) = (h1[i * p + j], h2[i * p + j]);
                            assert_eq!(a.to_bits(), b.to_bits(), "{} n = {n}", law.name);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn small_fits_sum_their_points_in_order_with_each_point_as_alone() {
        // Fewer than LANES points are all "tail": evaluated as one padded
        // block, then summed into one accumulator point after point. The
        // objective must be the in-order sum of each point's loss as the
        // kernel computes it for that point alone (the padding lanes never
        // enter it), to the bit.
        use crate::law::catalog;
        let cases: Vec<(crate::law::Law, Vec<f64>)> = vec![
            (catalog::power(), vec![2e3, 0.5, 1.5]),
            (catalog::vanilla_ft(), vec![50.0, 0.4, 1.0, 1.0]),
            (catalog::rectified(), vec![80.0, 40.0, 0.5, 1.0]),
        ];
        let xs = [0.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 6400.0];
        for (law, truth) in cases {
            let pts: Vec<Vec<f64>> = xs
                .iter()
                .filter(|&&x| x > 0.0 || law.name == "rectified")
                .map(|&x| vec![x])
                .collect();
            let obs = crate::synthetic::generate(&law, &truth, &pts, 0.01, 5, "");
            for loss in [Loss::Huber { delta: 1e-3 }, Loss::Squared] {
                let u = &law.grid()[5];
                let mut g = vec![0.0; u.len()];
                let alone: Vec<f64> = (0..obs.len())
                    .map(|i| {
                        let one = obs.subset(&[i]);
                        Objective::new(&law, &one, loss, Space::Log).value_grad(u, &mut g)
                    })
                    .collect();
                for n in 1..=obs.len() {
                    let idx: Vec<usize> = (0..n).collect();
                    let part = obs.subset(&idx);
                    let f = Objective::new(&law, &part, loss, Space::Log).value_grad(u, &mut g);
                    let sum = alone[1..n].iter().fold(alone[0], |a, b| a + b);
                    assert_eq!(f.to_bits(), sum.to_bits(), "{} n = {n}", law.name);
                }
            }
        }
    }

    #[test]
    fn huber_is_continuous_at_delta() {
        let (c, d) = Loss::Huber { delta: 1e-3 }.huber_params();
        let a = huber(1e-3 - 1e-12, c, d).0;
        let b = huber(1e-3 + 1e-12, c, d).0;
        assert!((a - b).abs() < 1e-14);
        assert_eq!(huber(5.0, c, d).1, 1e-3);
        assert_eq!(huber(-5.0, c, d).1, -1e-3);
        // Squared error: r^2 and 2r, exactly.
        let (c, d) = Loss::Squared.huber_params();
        assert_eq!(huber(3.0, c, d), (9.0, 6.0));
        assert_eq!(huber(-0.1, c, d), (0.1f64 * 0.1, -0.2));
    }
}
