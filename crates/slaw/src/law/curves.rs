//! The loss-curve laws of the catalog: the laws `slaw forecast` fits to
//! loss against training step (step-only baselines and the
//! learning-rate-schedule-aware laws of Tissue et al. and Luo et al.), and
//! the temporal law's per-position law (Xiong et al.).
//!
//! A loss-curve law's inputs are a prefix of [`INPUTS`]: the step `t`, then
//! (schedule-aware laws) the schedule's forward area `S1` and Tissue et
//! al.'s annealing area `S2` at the point (`forecast::Features`). Which
//! curve and point a data point is (where the multi-power law finds its
//! learning-rate drops) is its context (`Observations::context`, two
//! integers), never an input.
//!
//! Every law here is scale-free: it maps its parameters in closed form when
//! its inputs and the loss are multiplied by constants (`Model::rescale`),
//! so a fit moves the data to the scale its grid was written for and the
//! optimum does not depend on the units of the step (or of the loss, on
//! ln L). The power and reciprocal laws are the catalog's own models.

use super::catalog::{Power, Reciprocal};
use super::{exp_capped, Law, Model, Param, Transform};
use crate::fastmath;
use crate::forecast::curve::Features;
use crate::observations::Domain;
use std::sync::Arc;

/// The inputs a loss-curve law reads, in order (each law reads a prefix):
/// the step, the forward area S1 and the annealing area S2.
pub const INPUTS: [&str; 3] = ["t", "S1", "S2"];

// The scales (ln) the loss-curve laws' grids were written for: the fitted
// part of the multi-power protocol's curves (geometric means over the
// three fitting curves of the 25M runs: steps, S1 and |S2|, and the loss).
/// Training steps about 1e4.
const LN_REF_STEP: f64 = 9.2;
/// Forward areas S1 (a peak rate of 3e-4 over about 1e4 steps).
const LN_REF_S1: f64 = 0.86;
/// Annealing areas |S2|.
const LN_REF_S2: f64 = -1.6;
/// Losses of order 3.5.
const LN_REF_LOSS: f64 = 1.25;
/// Token positions and per-position losses of the temporal law.
const LN_REF_POSITION: (f64, f64) = (6.5, std::f64::consts::LN_2);

fn make(
    name: &str,
    description: &str,
    formula: &str,
    inputs: usize,
    params: Vec<Param>,
    model: Arc<dyn Model>,
) -> Law {
    let domains = [Domain::Positive, Domain::Positive, Domain::Any];
    Law {
        name: name.into(),
        description: description.into(),
        formula: formula.into(),
        inputs: INPUTS[..inputs].iter().map(|s| s.to_string()).collect(),
        domains: domains[..inputs].to_vec(),
        params,
        model,
    }
}

/// L = A t^-alpha + E (the catalog's power law in the step). Internal
/// (ln A, alpha, ln E).
pub fn power() -> Law {
    make(
        "power",
        "power law in steps (Kaplan form)",
        "L = A * t^-alpha + E",
        1,
        vec![
            Param::log_with_ln_grid("A", (1e-12, 1e30), &[0.0, 3.0, 6.0]),
            Param::new("alpha", Transform::Identity, (0.0, 5.0), &[0.1, 0.3, 0.7]),
            Param::log_with_ln_grid("E", (1e-10, 1e3), &[-1.0, 0.5, 1.2]),
        ],
        Arc::new(Power {
            reference: (LN_REF_STEP, LN_REF_LOSS),
        }),
    )
}

/// L = a / (1 + b t) + c (the catalog's reciprocal law in the step).
/// Internal (ln a, ln b, ln c).
pub fn reciprocal() -> Law {
    make(
        "reciprocal",
        "reciprocal function of the step",
        "L = a / (1 + b * t) + c",
        1,
        vec![
            Param::log_with_ln_grid("a", (1e-12, 1e6), &[-1.0, 0.5, 2.0]),
            Param::log_with_ln_grid("b", (1e-15, 1e3), &[-12.0, -8.0, -4.0]),
            Param::log_with_ln_grid("c", (1e-10, 1e3), &[-1.0, 0.5, 1.2]),
        ],
        Arc::new(Reciprocal {
            reference: (LN_REF_STEP, LN_REF_LOSS),
        }),
    )
}

/// The per-position law of the temporal law (Xiong et al.): the loss at
/// token position i of one checkpoint, L_i = a0 / (1 + a1 i) + a2 (the
/// catalog's reciprocal law, with the temporal law's bounds and grid).
/// Internal (ln a0, ln a1, ln a2).
pub fn position() -> Law {
    Law {
        name: "position".into(),
        description: "per-position loss at one checkpoint (Xiong et al.)".into(),
        formula: "L_i = a0 / (1 + a1 * i) + a2".into(),
        inputs: vec!["i".into()],
        domains: vec![Domain::NonNegative],
        params: vec![
            Param::log_with_ln_grid("a0", (1e-8, 1e4), &[-1.0, 1.0]),
            Param::log_with_ln_grid("a1", (1e-8, 1e4), &[-6.0, -3.0, 0.0]),
            Param::log_with_ln_grid("a2", (1e-6, 1e4), &[0.0, 1.5]),
        ],
        model: Arc::new(Reciprocal {
            reference: LN_REF_POSITION,
        }),
    }
}

/// L = a - b ln t. Natural parameters (a, b).
struct Logarithmic;
impl Model for Logarithmic {
    /// a' - b' ln(c t) = cy (a - b ln t): b' = cy b, a' = cy (a + b ln c).
    fn rescale(&self, u: &[f64], l: &[f64], m: f64) -> Option<Vec<f64>> {
        let cy = m.exp();
        Some(vec![cy * (u[0] + u[1] * l[0]), cy * u[1]])
    }
    fn reference_scale(&self) -> Option<(Vec<f64>, f64)> {
        Some((vec![LN_REF_STEP], LN_REF_LOSS))
    }
    fn value_grad(&self, _x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        g[0] = 1.0;
        g[1] = -lnx[0];
        u[0] - u[1] * lnx[0]
    }
    fn value(&self, _x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        u[0] - u[1] * lnx[0]
    }
    fn ln_batch(
        &self,
        x: &[f64],
        lnx: &[f64],
        dim: usize,
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        if !log_ln_batch(lnx, u, out, jac) {
            super::per_point(x, lnx, dim, &[], 0, u, out, jac, |x, l, _, u, g| {
                self.ln_value_grad(x, l, u, g)
            });
        }
    }
    context_free_batch!();
}

/// Whether a prediction's ln is what [`fastmath::ln_positive_k`] computes:
/// positive, normal and finite. A batch with any other prediction (zero,
/// negative, subnormal, infinite or NaN: where the law is undefined on ln
/// L, or at the edge of the doubles) is evaluated again point by point, so
/// those points keep the values of `ln_value_grad`.
#[inline(always)]
fn regular(v: f64) -> bool {
    (f64::MIN_POSITIVE..=f64::MAX).contains(&v)
}

crate::multiversion! {
    /// ln(a - b ln t) and its Jacobian over a batch; false when a
    /// prediction is not [`regular`] (the outputs are then meaningless).
    /// The prediction is the scalar path's a - b ln t, no fused
    /// multiply-add: where it cancels, a last-bit change of b ln t would
    /// be a large relative one of the prediction.
    fn log_ln_batch(lnx: &[f64], u: &[f64], out: &mut [f64], jac: &mut [f64]) -> bool {
        let (a, b) = (u[0], u[1]);
        let mut ok = true;
        for ((o, j), &l) in out.iter_mut().zip(jac.chunks_exact_mut(2)).zip(lnx) {
            let v = a - b * l;
            ok &= regular(v);
            let inv = 1.0 / v;
            *o = fastmath::ln_positive_k::<FMA>(v);
            j[0] = inv;
            j[1] = -l * inv;
        }
        ok
    }
}

/// L = a - b ln t.
pub fn logarithmic() -> Law {
    make(
        "log",
        "logarithmic function of the step",
        "L = a - b * ln(t)",
        1,
        vec![
            Param::new("a", Transform::Identity, (-1e3, 1e3), &[3.0, 6.0]),
            Param::new("b", Transform::Identity, (-1e2, 1e2), &[0.05, 0.3]),
        ],
        Arc::new(Logarithmic),
    )
}

/// L = L0 + A S1^-alpha - C S2. Internal (ln L0, ln A, alpha, C).
struct Tissue;
impl Model for Tissue {
    fn rescale(&self, u: &[f64], l: &[f64], m: f64) -> Option<Vec<f64>> {
        Some(vec![
            u[0] + m,
            u[1] + u[2] * l[1] + m,
            u[2],
            u[3] * (m - l[2]).exp(),
        ])
    }
    fn reference_scale(&self) -> Option<(Vec<f64>, f64)> {
        Some((vec![LN_REF_STEP, LN_REF_S1, LN_REF_S2], LN_REF_LOSS))
    }
    fn value_grad(&self, x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        let l0 = exp_capped(u[0]);
        let p = exp_capped(u[1] - u[2] * lnx[1]);
        g[0] = l0;
        g[1] = p;
        g[2] = -lnx[1] * p;
        g[3] = -x[2];
        l0 + p - u[3] * x[2]
    }
    fn value(&self, x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        let mut g = [0.0; 4];
        self.value_grad(x, lnx, u, &mut g)
    }
    fn ln_batch(
        &self,
        x: &[f64],
        lnx: &[f64],
        dim: usize,
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        if dim != 3 || !tissue_ln_batch(x, lnx, u, out, jac) {
            super::per_point(x, lnx, dim, &[], 0, u, out, jac, |x, l, _, u, g| {
                self.ln_value_grad(x, l, u, g)
            });
        }
    }
    context_free_batch!();
}

crate::multiversion! {
    /// ln(L0 + A S1^-alpha - C S2) and its Jacobian over a batch (rows of
    /// (t, S1, S2)); false when a prediction is not [`regular`]. L0 as the
    /// scalar path computes it, the power term by the fast exp (its
    /// exponent capped at 700), the sum in the scalar path's order.
    fn tissue_ln_batch(
        x: &[f64],
        lnx: &[f64],
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) -> bool {
        let l0 = exp_capped(u[0]);
        let (a, alpha, c) = (u[1], u[2], u[3]);
        let mut ok = true;
        for (((o, j), xi), li) in out
            .iter_mut()
            .zip(jac.chunks_exact_mut(4))
            .zip(x.chunks_exact(3))
            .zip(lnx.chunks_exact(3))
        {
            let (ls1, s2) = (li[1], xi[2]);
            let p = fastmath::exp_k::<FMA>(fastmath::fmadd::<FMA>(-alpha, ls1, a).min(700.0));
            let v = l0 + p - c * s2;
            ok &= regular(v);
            let inv = 1.0 / v;
            let w = p * inv;
            *o = fastmath::ln_positive_k::<FMA>(v);
            j[0] = l0 * inv;
            j[1] = w;
            j[2] = -ls1 * w;
            j[3] = -s2 * inv;
        }
        ok
    }
}

/// Tissue et al.: L = L0 + A S1^-alpha - C S2. Internal (ln L0, ln A, alpha, C).
pub fn tissue() -> Law {
    make(
        "tissue",
        "LR-annealing law of Tissue et al. (S1 forward area, S2 annealing area, lambda 0.999)",
        "L = L0 + A * S1^-alpha - C * S2",
        3,
        vec![
            Param::log_with_ln_grid("L0", (1e-6, 1e3), &[0.5, 1.0]),
            Param::log_with_ln_grid("A", (1e-12, 1e6), &[-1.0, 0.5]),
            Param::new("alpha", Transform::Identity, (0.0, 5.0), &[0.3, 0.6]),
            Param::new("C", Transform::Identity, (0.0, 1e6), &[0.1, 1.0, 10.0]),
        ],
        Arc::new(Tissue),
    )
}

/// Luo et al.'s multi-power law over the curves whose features it holds:
/// L(t) = L0 + A S1(t)^-alpha - B sum_k d_k G(eta_k^-gamma (S1(t) - S1_k)),
/// G(x) = 1 - (C x + 1)^-beta, the sum over the learning-rate drops up to t
/// (after the warmup; with `warmup`, also over the warmup's steps, whose
/// increases are negative drops, as the paper's sum from the first step:
/// `warmup::nodes`). Internal (ln L0, ln A, alpha, ln B, ln C, beta, gamma).
///
/// S1(t) is the point's input; the drops' areas S1_k come from the curve's
/// features (the point's context: curve, index), read relative to the
/// point's own S1 there, so that the law follows a change of the unit of
/// S1 (S1 - S1_k = S1 (1 - S1_k / S1(t)), the ratio in the features' units).
struct MultiPower {
    curves: Vec<Features>,
    warmup: bool,
    /// Per curve, the terms of every point's drop sum that do not depend
    /// on the parameters (`CurveTerms`), built at the first `ln_batch_at`
    /// (a fit's evaluations, its refits' on subsets of its points too,
    /// then read them instead of walking the drop tree again).
    terms: std::sync::OnceLock<Vec<CurveTerms>>,
}

impl MultiPower {
    fn new(curves: Vec<Features>, warmup: bool) -> MultiPower {
        MultiPower {
            curves,
            warmup,
            terms: std::sync::OnceLock::new(),
        }
    }
}

/// The parameter-free parts of the terms of a curve's drop sums, point by
/// point, in `MultiPower::point`'s order (the blocks its tree walk visits,
/// then the warmup's terms): point k's terms are `start[k]..start[k + 1]`;
/// per term the slot of its factor eta^-gamma in `drop_factors`
/// (`factor_index`), the decrease, ln of the rate after it, and the
/// distance in S1 (S1 - S_k, at least 0, in the features' units).
struct CurveTerms {
    start: Vec<usize>,
    slot: Vec<u32>,
    d: Vec<f64>,
    ln_eta: Vec<f64>,
    dist: Vec<f64>,
}

/// The drop sum and its derivatives in C, beta and gamma.
#[derive(Default)]
struct DropSum {
    ld: f64,
    d_c: f64,
    d_beta: f64,
    d_gamma: f64,
}

impl DropSum {
    /// Add drop d (rate after it e^ln_eta) seen at x = eta^-gamma (S1 - S_k).
    #[inline(always)]
    fn add(&mut self, d: f64, ln_eta: f64, xk: f64, c: f64, beta: f64) {
        let q = c * xk + 1.0;
        let lq = fastmath::ln_positive(q);
        let pw = fastmath::exp(-beta * lq); // q^-beta
        self.ld += d * (1.0 - pw);
        // dG/dC = beta x q^(-beta-1); dG/dbeta = q^-beta ln q; dG/dgamma = beta C q^(-beta-1) x (-ln eta)
        let common = d * beta * pw / q * xk;
        self.d_c += common;
        self.d_beta += d * pw * lq;
        self.d_gamma -= common * c * ln_eta;
    }
}

impl MultiPower {
    /// eta^-gamma of every block of curve `f`'s drop tree that a point
    /// reads (`Features::visited_ln_eta`), then of every warmup term (the
    /// per-drop factors, once per evaluation; `factor_index` finds a term's).
    /// Features built for predictions only (`Needs::Predict`: no visited
    /// blocks listed) give every block's factor, in the tree's flat order
    /// (where `factor_index` then finds each).
    fn drop_factors(&self, f: &Features, gamma: f64) -> Vec<f64> {
        let mut v: Vec<f64> = if f.visited_slot.is_empty() {
            f.tree
                .blocks()
                .map(|b| fastmath::exp(-gamma * b.ln_eta))
                .collect()
        } else {
            f.visited_ln_eta
                .iter()
                .map(|&l| fastmath::exp(-gamma * l))
                .collect()
        };
        if self.warmup {
            v.extend(
                f.warm
                    .iter()
                    .map(|w| fastmath::exp(-gamma * w.1.max(1e-30).ln())),
            );
        }
        v
    }

    /// Value and gradient at point `i` of curve `f`, whose S1 is `s1`;
    /// `factor(j, ln_eta)` is eta^-gamma of term j (flat index of
    /// `drop_factors`).
    #[inline(always)]
    fn point(
        &self,
        f: &Features,
        i: usize,
        s1: f64,
        u: &[f64],
        factor: impl Fn(usize, f64) -> f64,
        g: &mut [f64],
    ) -> f64 {
        // The features' S1 at the point, and the unit change to the input's.
        let own = f.s1[i];
        let r = s1 / own;
        let ln_s1 = s1.ln();
        let l0 = exp_capped(u[0]);
        let p = exp_capped(u[1] - u[2] * ln_s1);
        let (b, c, beta) = (exp_capped(u[3]), exp_capped(u[4]), u[5]);
        let mut sum = DropSum::default();
        f.tree.for_each_indexed(f.drops_upto[i], own, |blk, j| {
            sum.add(
                blk.d,
                blk.ln_eta,
                factor(j, blk.ln_eta) * r * (own - blk.s).max(0.0),
                c,
                beta,
            );
        });
        if self.warmup {
            let (a, e) = f.warm_range[i];
            let off = f.tree.len();
            for j in a as usize..e as usize {
                let (d, eta, s) = f.warm[j];
                let ln_eta = eta.max(1e-30).ln();
                sum.add(
                    d,
                    ln_eta,
                    factor(off + j, ln_eta) * r * (own - s).max(0.0),
                    c,
                    beta,
                );
            }
        }
        g[0] = l0;
        g[1] = p;
        g[2] = -ln_s1 * p;
        g[3] = -b * sum.ld;
        g[4] = -b * sum.d_c * c;
        g[5] = -b * sum.d_beta;
        g[6] = -b * sum.d_gamma;
        l0 + p - b * sum.ld
    }

    /// The point's curve and index (its context), or None.
    fn locate(&self, ctx: &[u32]) -> Option<(&Features, usize)> {
        let (c, i) = (*ctx.first()? as usize, *ctx.get(1)? as usize);
        let f = self.curves.get(c)?;
        (i < f.s1.len()).then_some((f, i))
    }
}

/// Points per run of [`MultiPower`]'s `values_many_at`: the blocks their
/// sums read are gathered, and their factors computed, once per run.
const MANY_CHUNK: usize = 512;

/// SIMD lanes of [`point_sums`]: the parameter vectors are padded to a
/// multiple of it.
const LANES: usize = 8;

crate::multiversion! {
    /// Add to `acc` (one sum per parameter vector, `acc.len()` a multiple
    /// of [`LANES`]) the drop-sum terms `terms` (slot of the block's
    /// factors in `fac`, `acc.len()` per slot; decrease d; distance in S1)
    /// at unit ratio `r`: `acc[v] += d (1 - (C_v x + 1)^-beta_v)`,
    /// x = fac r distance, in the terms' order, with `DropSum::add`'s
    /// operations (the fast exp and ln without fused multiply-adds, in
    /// every copy): the same bits as the point-by-point sum.
    fn point_sums(
        acc: &mut [f64],
        terms: &[(usize, f64, f64)],
        fac: &[f64],
        c: &[f64],
        beta: &[f64],
        r: f64,
    ) {
        let _ = FMA;
        let width = acc.len();
        if !width.is_multiple_of(LANES) {
            // Fewer vectors than lanes (a single prediction): one at a time.
            for (v, s) in acc.iter_mut().enumerate() {
                for &(slot, d, dist) in terms {
                    let xk = fac[slot * width + v] * r * dist;
                    let q = c[v] * xk + 1.0;
                    let lq = fastmath::ln_positive_k::<false>(q);
                    let pw = fastmath::exp_k::<false>(-beta[v] * lq);
                    *s += d * (1.0 - pw);
                }
            }
            return;
        }
        for v in (0..width).step_by(LANES) {
            let mut s: [f64; LANES] = acc[v..v + LANES].try_into().expect("whole lanes");
            let cv: [f64; LANES] = c[v..v + LANES].try_into().expect("whole lanes");
            let bv: [f64; LANES] = beta[v..v + LANES].try_into().expect("whole lanes");
            for &(slot, d, dist) in terms {
                let row = slot * width + v;
                let f: [f64; LANES] = fac[row..row + LANES].try_into().expect("whole lanes");
                for l in 0..LANES {
                    let xk = f[l] * r * dist;
                    let q = cv[l] * xk + 1.0;
                    let lq = fastmath::ln_positive_k::<false>(q);
                    let pw = fastmath::exp_k::<false>(-bv[l] * lq);
                    s[l] += d * (1.0 - pw);
                }
            }
            acc[v..v + LANES].copy_from_slice(&s);
        }
    }
}

/// Where term `j` (a flat index of `point`'s `factor`: a block of the tree,
/// then the warmup's terms) is in `MultiPower::drop_factors`.
#[inline(always)]
fn factor_index(f: &Features, j: usize) -> usize {
    match f.visited_slot.get(j) {
        Some(&k) => k as usize,
        None => f.visited_ln_eta.len() + (j - f.visited_slot.len()),
    }
}

/// ln of a positive value and its gradient divided by it; NaN otherwise.
#[inline]
fn to_ln(v: f64, g: &mut [f64]) -> f64 {
    if v > 0.0 && v.is_finite() {
        g.iter_mut().for_each(|gj| *gj /= v);
        v.ln()
    } else {
        f64::NAN
    }
}

impl Model for MultiPower {
    /// L0, A and B follow the loss; A and C follow the unit of S1.
    fn rescale(&self, u: &[f64], l: &[f64], m: f64) -> Option<Vec<f64>> {
        Some(vec![
            u[0] + m,
            u[1] + u[2] * l[1] + m,
            u[2],
            u[3] + m,
            u[4] - l[1],
            u[5],
            u[6],
        ])
    }
    fn reference_scale(&self) -> Option<(Vec<f64>, f64)> {
        Some((vec![LN_REF_STEP, LN_REF_S1], LN_REF_LOSS))
    }
    /// Without context the point is not located: NaN.
    fn value_grad(&self, x: &[f64], lnx: &[f64], u: &[f64], g: &mut [f64]) -> f64 {
        self.value_grad_at(x, lnx, &[], u, g)
    }
    fn value(&self, x: &[f64], lnx: &[f64], u: &[f64]) -> f64 {
        self.value_at(x, lnx, &[], u)
    }
    fn value_grad_at(&self, x: &[f64], _lnx: &[f64], c: &[u32], u: &[f64], g: &mut [f64]) -> f64 {
        let Some((f, i)) = self.locate(c) else {
            return f64::NAN;
        };
        let gamma = u[6];
        self.point(f, i, x[1], u, |_, ln_eta| (-gamma * ln_eta).exp(), g)
    }
    fn ln_value_grad_at(&self, x: &[f64], lnx: &[f64], c: &[u32], u: &[f64], g: &mut [f64]) -> f64 {
        let v = self.value_grad_at(x, lnx, c, u, g);
        to_ln(v, g)
    }
    fn value_at(&self, x: &[f64], lnx: &[f64], c: &[u32], u: &[f64]) -> f64 {
        let mut g = [0.0; 7];
        self.value_grad_at(x, lnx, c, u, &mut g)
    }
    /// Per run of up to [`MANY_CHUNK`] points of one curve: the blocks
    /// their drop sums read, each block's factor eta^-gamma once per
    /// vector (as `value_at` computes it: std exp), then each point's sum
    /// for every vector at once (the vectors in SIMD lanes:
    /// [`point_sums`]). The operations of `point` on each (point, vector),
    /// in its order: the same bits.
    fn values_many_at(
        &self,
        x: &[f64],
        dim: usize,
        ctx: &[u32],
        cdim: usize,
        us: &[f64],
        np: usize,
        out: &mut [f64],
    ) {
        let nr = us.len() / np.max(1);
        if nr == 0 || dim < 2 || cdim < 2 {
            // Not located (no context): NaN, as `value_at`.
            out.fill(f64::NAN);
            return;
        }
        let n = out.len() / nr;
        // Several vectors padded to whole lanes (C = beta = 1 and a zero
        // factor: a term of 0 there, never read); fewer than a lane's not.
        let width = if nr < LANES {
            nr
        } else {
            nr.div_ceil(LANES) * LANES
        };
        let col = |f: &dyn Fn(&[f64]) -> f64, pad: f64| -> Vec<f64> {
            let mut v: Vec<f64> = us.chunks_exact(np).map(f).collect();
            v.resize(width, pad);
            v
        };
        let l0 = col(&|u| exp_capped(u[0]), 0.0);
        let (a, alpha) = (col(&|u| u[1], 0.0), col(&|u| u[2], 0.0));
        let (b, c) = (
            col(&|u| exp_capped(u[3]), 0.0),
            col(&|u| exp_capped(u[4]), 1.0),
        );
        let (beta, gamma) = (col(&|u| u[5], 1.0), col(&|u| u[6], 0.0));
        let mut terms: Vec<(usize, f64, f64)> = Vec::new();
        let mut starts: Vec<usize> = Vec::new();
        let mut js: Vec<usize> = Vec::new();
        let mut fac: Vec<f64> = Vec::new();
        let mut acc = vec![0.0; width];
        let mut warm_fac = vec![0.0; width];
        let mut k = 0;
        while k < n {
            let here = |p: usize| self.locate(&ctx[p * cdim..(p + 1) * cdim]);
            let Some((f, _)) = here(k) else {
                out[k * nr..(k + 1) * nr].fill(f64::NAN);
                k += 1;
                continue;
            };
            let curve = ctx[k * cdim];
            let mut e = k + 1;
            while e < n && e - k < MANY_CHUNK && ctx[e * cdim] == curve && here(e).is_some() {
                e += 1;
            }
            // The terms of each point's drop sum (block, decrease, distance
            // in S1), then each block's slot among the run's blocks.
            terms.clear();
            starts.clear();
            for p in k..e {
                let (_, i) = here(p).expect("located above");
                starts.push(terms.len());
                let own = f.s1[i];
                f.tree.for_each_indexed(f.drops_upto[i], own, |blk, j| {
                    terms.push((j, blk.d, (own - blk.s).max(0.0)));
                });
            }
            starts.push(terms.len());
            js.clear();
            js.extend(terms.iter().map(|t| t.0));
            js.sort_unstable();
            js.dedup();
            for t in terms.iter_mut() {
                t.0 = js
                    .binary_search(&t.0)
                    .expect("every term's block is listed");
            }
            fac.clear();
            for &j in &js {
                let ln_eta = f.tree.block(j).ln_eta;
                fac.extend(gamma.iter().map(|&g| (-g * ln_eta).exp()));
            }
            for p in k..e {
                let (_, i) = here(p).expect("located above");
                let own = f.s1[i];
                let s1 = x[p * dim + 1];
                let r = s1 / own;
                let ln_s1 = s1.ln();
                acc.fill(0.0);
                point_sums(
                    &mut acc,
                    &terms[starts[p - k]..starts[p - k + 1]],
                    &fac,
                    &c,
                    &beta,
                    r,
                );
                if self.warmup {
                    let (wa, we) = f.warm_range[i];
                    for &(d, eta, s) in &f.warm[wa as usize..we as usize] {
                        let ln_eta = eta.max(1e-30).ln();
                        for (w, &g) in warm_fac.iter_mut().zip(&gamma) {
                            *w = (-g * ln_eta).exp();
                        }
                        let term = [(0, d, (own - s).max(0.0))];
                        point_sums(&mut acc, &term, &warm_fac, &c, &beta, r);
                    }
                }
                for (rep, o) in out[p * nr..(p + 1) * nr].iter_mut().enumerate() {
                    let pw = exp_capped(a[rep] - alpha[rep] * ln_s1);
                    *o = l0[rep] + pw - b[rep] * acc[rep];
                }
            }
            k = e;
        }
    }
    /// The per-drop factors once per call, not once per (point, drop); the
    /// drop sums' terms a run of [`TERM_CHUNK`] points at a time: gathered,
    /// their transcendental parts in SIMD lanes (`drop_terms`), then summed
    /// point by point in the tree's order: the bits of `point`'s sums
    /// (`ln_batch_pointwise`, the reference the tests hold it to).
    fn ln_batch_at(
        &self,
        x: &[f64],
        _lnx: &[f64],
        dim: usize,
        ctx: &[u32],
        cdim: usize,
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        let p = u.len();
        let factors: Vec<Vec<f64>> = self
            .curves
            .iter()
            .map(|f| self.drop_factors(f, u[6]))
            .collect();
        TERMS.with(|cell| {
            let mut t = cell.borrow_mut();
            let n = out.len();
            let mut first = 0;
            while first < n {
                let last = TERM_CHUNK.min(n - first) + first;
                self.chunk_at(
                    &mut t,
                    &factors,
                    &x[first * dim..last * dim],
                    dim,
                    &ctx[first * cdim..last * cdim],
                    cdim,
                    u,
                    &mut out[first..last],
                    &mut jac[first * p..last * p],
                );
                first = last;
            }
        });
    }
}

/// Points per run of [`MultiPower`]'s `ln_batch_at`: their drop sums'
/// terms are gathered (a few dozen per point) and computed at once.
const TERM_CHUNK: usize = 64;

/// The drop-sum terms of a run of points (`MultiPower::chunk_at`), column
/// by column: the inputs of `DropSum::add` (decrease, ln of the rate after
/// it, x), then its four addends; `end[i]`: where point i's terms end
/// (`usize::MAX`: a point without a curve).
#[derive(Default)]
struct Terms {
    d: Vec<f64>,
    ln_eta: Vec<f64>,
    xk: Vec<f64>,
    ld: Vec<f64>,
    d_c: Vec<f64>,
    d_beta: Vec<f64>,
    d_gamma: Vec<f64>,
    end: Vec<usize>,
}

thread_local! {
    static TERMS: std::cell::RefCell<Terms> = std::cell::RefCell::new(Terms::default());
}

impl MultiPower {
    /// `ln_batch_at` on a run of points (`factors`: `drop_factors` of every
    /// curve): each point's terms in `point`'s order, their addends at
    /// once, each point's sums in that order (as `DropSum::add` adds them,
    /// from zero), then its value and gradient as `point` writes them.
    #[allow(clippy::too_many_arguments)]
    fn chunk_at(
        &self,
        t: &mut Terms,
        factors: &[Vec<f64>],
        x: &[f64],
        dim: usize,
        ctx: &[u32],
        cdim: usize,
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        let p = u.len();
        let n = out.len();
        let terms = self
            .terms
            .get_or_init(|| self.curves.iter().map(|f| self.curve_terms(f)).collect());
        t.d.clear();
        t.ln_eta.clear();
        t.xk.clear();
        t.end.clear();
        for i in 0..n {
            let Some((f, k)) = self.locate(&ctx[i * cdim..(i + 1) * cdim]) else {
                t.end.push(usize::MAX);
                continue;
            };
            let c = ctx[i * cdim] as usize;
            let (fc, ct) = (&factors[c], &terms[c]);
            let r = x[i * dim + 1] / f.s1[k];
            let (a, e) = (ct.start[k], ct.start[k + 1]);
            t.d.extend_from_slice(&ct.d[a..e]);
            t.ln_eta.extend_from_slice(&ct.ln_eta[a..e]);
            t.xk.extend(
                ct.slot[a..e]
                    .iter()
                    .zip(&ct.dist[a..e])
                    .map(|(&j, &dist)| fc[j as usize] * r * dist),
            );
            t.end.push(t.d.len());
        }
        let m = t.d.len();
        for col in [&mut t.ld, &mut t.d_c, &mut t.d_beta, &mut t.d_gamma] {
            col.resize(m, 0.0);
        }
        let (l0, b, c, beta) = (exp_capped(u[0]), exp_capped(u[3]), exp_capped(u[4]), u[5]);
        drop_terms(
            &t.d,
            &t.ln_eta,
            &t.xk,
            c,
            beta,
            &mut t.ld,
            &mut t.d_c,
            &mut t.d_beta,
            &mut t.d_gamma,
        );
        let mut from = 0;
        for (i, o) in out.iter_mut().enumerate() {
            let g = &mut jac[i * p..(i + 1) * p];
            let to = t.end[i];
            if to == usize::MAX {
                *o = f64::NAN;
                continue;
            }
            let ln_s1 = x[i * dim + 1].ln();
            let pw = exp_capped(u[1] - u[2] * ln_s1);
            let mut sum = DropSum::default();
            for k in from..to {
                sum.ld += t.ld[k];
                sum.d_c += t.d_c[k];
                sum.d_beta += t.d_beta[k];
                sum.d_gamma -= t.d_gamma[k];
            }
            from = to;
            g[0] = l0;
            g[1] = pw;
            g[2] = -ln_s1 * pw;
            g[3] = -b * sum.ld;
            g[4] = -b * sum.d_c * c;
            g[5] = -b * sum.d_beta;
            g[6] = -b * sum.d_gamma;
            *o = to_ln(l0 + pw - b * sum.ld, g);
        }
    }

    /// The terms of curve `f`'s every point (`CurveTerms`): the blocks
    /// `point`'s tree walk visits from the point's own S1, then (the
    /// warmup-aware law) the warmup's terms.
    fn curve_terms(&self, f: &Features) -> CurveTerms {
        let mut t = CurveTerms {
            start: vec![0],
            slot: Vec::new(),
            d: Vec::new(),
            ln_eta: Vec::new(),
            dist: Vec::new(),
        };
        for (k, &own) in f.s1.iter().enumerate() {
            f.tree.for_each_indexed(f.drops_upto[k], own, |blk, j| {
                t.slot.push(factor_index(f, j) as u32);
                t.d.push(blk.d);
                t.ln_eta.push(blk.ln_eta);
                t.dist.push((own - blk.s).max(0.0));
            });
            if self.warmup {
                let (a, e) = f.warm_range[k];
                let off = f.tree.len();
                for j in a as usize..e as usize {
                    let (d, eta, s) = f.warm[j];
                    t.slot.push(factor_index(f, off + j) as u32);
                    t.d.push(d);
                    t.ln_eta.push(eta.max(1e-30).ln());
                    t.dist.push((own - s).max(0.0));
                }
            }
            t.start.push(t.d.len());
        }
        t
    }

    /// `ln_batch_at` point by point through `point` (the reference of the
    /// batched sums).
    #[cfg(test)]
    #[allow(clippy::too_many_arguments)]
    fn ln_batch_pointwise(
        &self,
        x: &[f64],
        dim: usize,
        ctx: &[u32],
        cdim: usize,
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        let p = u.len();
        let factors: Vec<Vec<f64>> = self
            .curves
            .iter()
            .map(|f| self.drop_factors(f, u[6]))
            .collect();
        for (i, o) in out.iter_mut().enumerate() {
            let g = &mut jac[i * p..(i + 1) * p];
            let Some((f, k)) = self.locate(&ctx[i * cdim..(i + 1) * cdim]) else {
                *o = f64::NAN;
                continue;
            };
            let fc = &factors[ctx[i * cdim] as usize];
            let v = self.point(f, k, x[i * dim + 1], u, |j, _| fc[factor_index(f, j)], g);
            *o = to_ln(v, g);
        }
    }
}

crate::multiversion! {
    /// The addends `DropSum::add` adds for each term (decrease `d`, ln of
    /// the rate after it `ln_eta`, x `xk`), with its operations in its
    /// order (the fast exp and ln without fused multiply-adds, in every
    /// copy: its bits), the terms in SIMD lanes; `d_gamma` the amount it
    /// subtracts.
    #[allow(clippy::too_many_arguments)]
    fn drop_terms(
        d: &[f64],
        ln_eta: &[f64],
        xk: &[f64],
        c: f64,
        beta: f64,
        ld: &mut [f64],
        d_c: &mut [f64],
        d_beta: &mut [f64],
        d_gamma: &mut [f64],
    ) {
        let _ = FMA;
        let n = d.len();
        let (ln_eta, xk) = (&ln_eta[..n], &xk[..n]);
        let (ld, d_c, d_beta, d_gamma) = (&mut ld[..n], &mut d_c[..n], &mut d_beta[..n], &mut d_gamma[..n]);
        for k in 0..n {
            let (d, x) = (d[k], xk[k]);
            let q = c * x + 1.0;
            let lq = fastmath::ln_positive_k::<false>(q);
            let pw = fastmath::exp_k::<false>(-beta * lq);
            ld[k] = d * (1.0 - pw);
            let common = d * beta * pw / q * x;
            d_c[k] = common;
            d_beta[k] = d * pw * lq;
            d_gamma[k] = common * c * ln_eta[k];
        }
    }
}

fn multipower_law(curves: Vec<Features>, warmup: bool) -> Law {
    let (name, description, sum_from) = if warmup {
        (
            "multipower-warmup",
            "multi-power law of Luo et al. with the warmup in the drop sum, as the paper (learning-rate schedule aware)",
            "k from the first step (warmup increases are negative drops)",
        )
    } else {
        (
            "multipower",
            "multi-power law of Luo et al. (learning-rate schedule aware; drop sum after the warmup)",
            "k after the warmup",
        )
    };
    make(
        name,
        description,
        &format!("L = L0 + A * S1^-alpha - B * sum_k (eta_(k-1) - eta_k) * (1 - (C * eta_k^-gamma * S_k(t) + 1)^-beta), {sum_from}"),
        2,
        vec![
            Param::log_with_ln_grid("L0", (1e-6, 1e3), &[0.5, 1.0]),
            Param::log_with_ln_grid("A", (1e-12, 1e6), &[-1.0, 0.5]),
            Param::new("alpha", Transform::Identity, (0.0, 5.0), &[0.3, 0.6]),
            Param::log_with_ln_grid("B", (1e-6, 1e9), &[5.0, 7.0]),
            Param::log_with_ln_grid("C", (1e-9, 1e6), &[-1.0, 1.0]),
            Param::new("beta", Transform::Identity, (1e-3, 10.0), &[0.5]),
            Param::new("gamma", Transform::Identity, (0.0, 2.0), &[0.5]),
        ],
        Arc::new(MultiPower::new(curves, warmup)),
    )
}

/// Luo et al.'s multi-power law over `curves` (a point's context indexes
/// them: curve, point), the drop sum after the warmup.
pub fn multipower(curves: Vec<Features>) -> Law {
    multipower_law(curves, false)
}

/// The multi-power law with the warmup's steps in the drop sum.
pub fn multipower_warmup(curves: Vec<Features>) -> Law {
    multipower_law(curves, true)
}

/// Every loss-curve law of `slaw forecast` (the multi-power laws without
/// curves, for their description) and the temporal law's per-position law.
pub fn all() -> Vec<Law> {
    vec![
        power(),
        reciprocal(),
        logarithmic(),
        tissue(),
        multipower(vec![]),
        multipower_warmup(vec![]),
        position(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::curve::Curve;

    /// The batch kernels of `log` and `tissue` give the point-by-point
    /// values and Jacobians to 1e-13 (ln L relative to max(1, |ln L|),
    /// entries relative to the row's largest; tissue's times the
    /// condition of its sum, (L0 + P + |C S2|) / |L|), on steps and areas
    /// over many decades: where every prediction is positive the kernel
    /// runs (asserted), with the power term's exponent capped at 700 in
    /// both paths; where some are not (L <= 0, undefined on ln L) the
    /// batch is evaluated point by point and its undefined points stay
    /// NaN. The `ln_batch_at` of log, tissue and power with context (as a
    /// forecast fit calls it) is their kernel, to the bit.
    #[test]
    fn batch_kernels_match_the_points() {
        use crate::law::batch_check::{compare, Uniform};
        let mut r = Uniform::new();
        let ts: Vec<f64> = (0..203).map(|_| 10f64.powf(r.within(0.0, 8.0))).collect();

        let law = logarithmic();
        let xs: Vec<Vec<f64>> = ts.iter().map(|&t| vec![t]).collect();
        let lnx: Vec<f64> = ts.iter().map(|t| t.ln()).collect();
        let mut positive: Vec<Vec<f64>> = Vec::new();
        for _ in 0..300 {
            positive.push(vec![r.within(5.0, 20.0), r.within(-0.25, 0.25)]);
        }
        let (mut out, mut jac) = (vec![0.0; 203], vec![0.0; 406]);
        for u in &positive {
            assert!(log_ln_batch(&lnx, u, &mut out, &mut jac), "{u:?}");
        }
        let s = compare(&law, &xs, &positive, 1e-13, |_, _| Some(1.0));
        assert_eq!(s.checked, xs.len() * positive.len(), "{s:?}");
        println!("log: {s:?}");
        let mixed: Vec<Vec<f64>> = (0..300)
            .map(|_| vec![r.within(-5.0, 10.0), r.within(-1.0, 1.0)])
            .collect();
        let s = compare(&law, &xs, &mixed, 1e-13, |_, _| Some(1.0));
        assert!(s.undefined > 1000 && s.checked > 10_000, "{s:?}");
        println!("log, some L <= 0: {s:?}");

        let law = tissue();
        let xs: Vec<Vec<f64>> = ts
            .iter()
            .map(|&t| vec![t, 10f64.powf(r.within(-4.0, 3.0)), r.within(-1.0, 2.0)])
            .collect();
        let x: Vec<f64> = xs.iter().flatten().copied().collect();
        let lnx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
        let mut positive: Vec<Vec<f64>> = Vec::new();
        for _ in 0..300 {
            positive.push(vec![
                r.within(0.0, 5.0),
                r.within(-10.0, 30.0),
                r.within(-1.0, 5.0),
                r.within(0.0, 0.2),
            ]);
        }
        for e in [
            [0.0, 705.0, 0.0, 0.1],
            [0.0, 750.0, -1.0, 0.0],
            [0.0, -750.0, 3.0, 0.1],
        ] {
            positive.push(e.to_vec());
        }
        let (mut out, mut jac) = (vec![0.0; 203], vec![0.0; 812]);
        for u in &positive {
            assert!(tissue_ln_batch(&x, &lnx, u, &mut out, &mut jac), "{u:?}");
        }
        let condition = |x: &[f64], u: &[f64]| {
            let (l0, p) = (u[0].exp(), (u[1] - u[2] * x[1].ln()).min(700.0).exp());
            let v = l0 + p - u[3] * x[2];
            Some((l0 + p + (u[3] * x[2]).abs()) / v.abs())
        };
        let s = compare(&law, &xs, &positive, 1e-13, condition);
        assert_eq!(s.checked, xs.len() * positive.len(), "{s:?}");
        println!("tissue: {s:?}");
        let mixed: Vec<Vec<f64>> = (0..300)
            .map(|_| {
                vec![
                    r.within(-3.0, 3.0),
                    r.within(-10.0, 10.0),
                    r.within(-1.0, 3.0),
                    r.within(-3.0, 3.0),
                ]
            })
            .collect();
        let s = compare(&law, &xs, &mixed, 1e-13, condition);
        assert!(s.undefined > 1000 && s.checked > 10_000, "{s:?}");
        println!("tissue, some L <= 0: {s:?}");

        // With context (a forecast fit's points): the kernels of log,
        // tissue and power, not the point-by-point path.
        let ctx: Vec<u32> = (0..203u32).flat_map(|i| [0, i]).collect();
        let lnts: Vec<f64> = ts.iter().map(|t| t.ln()).collect();
        let cases = [
            (
                logarithmic(),
                &ts,
                &lnts,
                1,
                vec![vec![6.0, 0.3], vec![9.0, -0.1]],
            ),
            (
                tissue(),
                &x,
                &lnx,
                3,
                vec![vec![1.0, 5.0, 0.5, 0.05], positive[7].clone()],
            ),
            (
                crate::law::catalog::power(),
                &ts,
                &lnts,
                1,
                vec![vec![2.0, 0.3, 0.5], vec![9.0, 0.05, -1.0]],
            ),
        ];
        for (law, x, lnx, dim, us) in cases {
            let p = law.params.len();
            let (mut o1, mut j1) = (vec![0.0; 203], vec![0.0; 203 * p]);
            let (mut o2, mut j2) = (vec![0.0; 203], vec![0.0; 203 * p]);
            for u in us {
                law.model.ln_batch(x, lnx, dim, &u, &mut o1, &mut j1);
                law.model
                    .ln_batch_at(x, lnx, dim, &ctx, 2, &u, &mut o2, &mut j2);
                let same =
                    |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same(&o1, &o2) && same(&j1, &j2), "{} {u:?}", law.name);
            }
        }
    }

    /// The features of a curve recorded at `step` with rate `lr(step)`.
    fn features(step: Vec<f64>, lr: impl Fn(f64) -> f64) -> Features {
        Curve {
            name: "c".into(),
            loss: step.iter().map(|_| 3.0).collect(),
            lr: Some(step.iter().map(|&s| lr(s)).collect()),
            step,
            schedule: None,
            untrained: vec![],
            lead: vec![],
        }
        .features()
        .unwrap()
    }

    /// A curve with a warmup-free constant phase then a linear decay.
    fn decaying() -> Features {
        features((1..=40).map(|k| 100.0 * k as f64).collect(), |s| {
            if s < 2000.0 {
                3e-4
            } else {
                3e-4 * (1.0 - (s - 2000.0) / 2500.0)
            }
        })
    }

    /// Value and gradient of every loss-curve law against central
    /// differences, at a point of a decaying curve (context: curve 0, point 34).
    #[test]
    fn gradients_match_finite_differences() {
        let f = decaying();
        assert!(!f.drops.is_empty());
        let i = 34;
        let x = [3500.0, f.s1[i], f.s2[i]];
        let ctx = [0, i as u32];
        for law in [
            power(),
            reciprocal(),
            logarithmic(),
            tissue(),
            multipower(vec![f.clone()]),
            multipower_warmup(vec![f.clone()]),
            position(),
        ] {
            let x = &x[..law.inputs.len()];
            let lnx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
            let n = law.n_params();
            let u: Vec<f64> = match n {
                7 => vec![1.0, 0.3, 0.5, 6.0, 0.2, 0.6, 0.4],
                _ => (0..n).map(|j| 0.3 + 0.2 * j as f64).collect(),
            };
            let m = &law.model;
            let mut g = vec![0.0; n];
            let v = m.value_grad_at(x, &lnx, &ctx, &u, &mut g);
            assert!(v.is_finite(), "{}", law.name);
            for j in 0..n {
                let h = 1e-6;
                let (mut up, mut dn) = (u.clone(), u.clone());
                up[j] += h;
                dn[j] -= h;
                let fd =
                    (m.value_at(x, &lnx, &ctx, &up) - m.value_at(x, &lnx, &ctx, &dn)) / (2.0 * h);
                assert!(
                    (fd - g[j]).abs() < 1e-6 * (1.0 + fd.abs()),
                    "{} param {j}: {fd} vs {}",
                    law.name,
                    g[j]
                );
            }
        }
    }

    /// `rescale` is exact: the law at inputs times c and parameters mapped
    /// equals the loss times cy.
    #[test]
    fn rescale_follows_the_units() {
        let f = decaying();
        let i = 30;
        let x = [3100.0, f.s1[i], f.s2[i]];
        let ctx = [0, i as u32];
        let (lc, m) = ([2.3, -1.7, 0.9], 0.4);
        let without_curves = |l: &Law| !l.name.starts_with("multipower");
        for law in all().into_iter().filter(without_curves).chain([
            multipower(vec![f.clone()]),
            multipower_warmup(vec![f.clone()]),
        ]) {
            let d = law.inputs.len();
            let x = &x[..d];
            let u: Vec<f64> = (0..law.n_params()).map(|j| 0.2 + 0.15 * j as f64).collect();
            let u2 = law.model.rescale(&u, &lc[..d], m).unwrap();
            let xc: Vec<f64> = x.iter().zip(&lc).map(|(v, l)| v * l.exp()).collect();
            let a = law.value_internal_at(x, &ctx, &u) * m.exp();
            let b = law.value_internal_at(&xc, &ctx, &u2);
            assert!((a - b).abs() <= 1e-12 * a.abs(), "{}: {a} vs {b}", law.name);
        }
    }

    /// A fit's window of a long curve (a rate recorded at every one of
    /// 20,000 steps, the fit's 100 points in its first 2,000): its features
    /// keep only the drops before the window's last point, and an
    /// evaluation computes the per-block factor of the blocks the points
    /// read (a few per point), not of every block of the curve (the
    /// multi-power forecast of a 1e5-step curve spent 64% of its time on
    /// those); the batch kernel still equals the per-point evaluation.
    #[test]
    fn a_window_of_a_long_curve_reads_only_its_own_drops() {
        let total = 20_000.0;
        let eta = |s: f64| 3e-5 + 1.35e-4 * (1.0 + (std::f64::consts::PI * s / total).cos());
        let step: Vec<f64> = (1..=20_000).map(|k| k as f64).collect();
        let c = Curve {
            name: "c".into(),
            loss: step.iter().map(|_| 3.0).collect(),
            lr: Some(step.iter().map(|&s| eta(s)).collect()),
            step,
            schedule: None,
            untrained: vec![],
            lead: vec![],
        };
        let at: Vec<f64> = (1..=100).map(|k| 20.0 * k as f64).collect();
        let f = c.lr_path().unwrap().features(&at, 1.0);
        assert_eq!(f.drops.len(), *f.drops_upto.last().unwrap());
        assert!(f.drops.len() <= 4 * 2000, "{} drops", f.drops.len());
        assert!(
            f.visited_ln_eta.len() <= 20 * at.len() && f.visited_ln_eta.len() < f.tree.len(),
            "{} of {} blocks read",
            f.visited_ln_eta.len(),
            f.tree.len()
        );
        let u = [1.0, -0.5, 0.45, 6.08, 0.76, 0.6, 0.65];
        let n = at.len();
        let x: Vec<f64> = (0..n).flat_map(|i| [at[i], f.s1[i]]).collect();
        let ctx: Vec<u32> = (0..n as u32).flat_map(|i| [0, i]).collect();
        let lnx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
        let law = multipower(vec![f]);
        let (mut out, mut jac) = (vec![0.0; n], vec![0.0; n * 7]);
        law.model
            .ln_batch_at(&x, &lnx, 2, &ctx, 2, &u, &mut out, &mut jac);
        for i in 0..n {
            let mut g = [0.0; 7];
            let (xi, li) = (&x[i * 2..i * 2 + 2], &lnx[i * 2..i * 2 + 2]);
            let v = law
                .model
                .ln_value_grad_at(xi, li, &ctx[2 * i..2 * i + 2], &u, &mut g);
            assert!((v - out[i]).abs() < 1e-13, "point {i}: {v} vs {}", out[i]);
        }
    }

    /// The many-vector predictions (`Law::predict_many_at`: the per-block
    /// factors once per run of points and vector, the vectors in SIMD
    /// lanes) are `predict_at`'s, bit for bit: 2,000 steps of a warmup, a
    /// constant phase and a cosine decay, every point, two curves (the
    /// second its first 1,500 steps), with 1, 8 and 13 parameter vectors
    /// (one vector alone, whole lanes, padded lanes), for both multi-power
    /// laws; a point of no curve is NaN in both.
    #[test]
    fn many_vector_predictions_are_the_point_predictions() {
        let total = 2000.0;
        let eta = |s: f64| {
            if s < 100.0 {
                3e-4 * s / 100.0
            } else if s < 600.0 {
                3e-4
            } else {
                3e-5 + 1.35e-4
                    * (1.0 + (std::f64::consts::PI * (s - 600.0) / (total - 600.0)).cos())
            }
        };
        let f1 = features((1..=2000).map(|k| k as f64).collect(), eta);
        let f2 = features((1..=1500).map(|k| k as f64).collect(), eta);
        let (n1, n2) = (f1.s1.len(), f2.s1.len());
        let mut x = Vec::new();
        let mut ctx = Vec::new();
        for (c, f, n) in [(0u32, &f1, n1), (1, &f2, n2)] {
            for i in 0..n {
                x.extend([(i + 1) as f64, f.s1[i]]);
                ctx.extend([c, i as u32]);
            }
        }
        x.extend([5.0, 1.0]);
        ctx.extend([7, 0]);
        let m = n1 + n2 + 1;
        let base = [3.3, 0.8, 0.5, 1000.0, 2.0, 0.6, 0.5];
        let vectors: Vec<Vec<f64>> = (0..13)
            .map(|r| {
                let t = r as f64 / 13.0;
                vec![
                    base[0] * (1.0 + 0.1 * t),
                    base[1] * (1.0 - 0.3 * t),
                    base[2] + 0.2 * t,
                    base[3] * (1.0 + 3.0 * t),
                    base[4] * (0.5 + t),
                    base[5] + 1.5 * t,
                    base[6] + 1.4 * t,
                ]
            })
            .collect();
        for law in [
            multipower(vec![f1.clone(), f2.clone()]),
            multipower_warmup(vec![f1, f2]),
        ] {
            for nv in [1, 8, 13] {
                let vs = &vectors[..nv];
                let many = law.predict_many_at(&x, &ctx, 2, vs);
                assert_eq!(many.len(), m * nv);
                for k in 0..m {
                    for (r, p) in vs.iter().enumerate() {
                        let one = law.predict_at(&x[2 * k..2 * k + 2], &ctx[2 * k..2 * k + 2], p);
                        let got = many[k * nv + r];
                        assert!(k == m - 1 || one.is_finite(), "point {k}: {one}");
                        assert!(
                            one.to_bits() == got.to_bits() || (one.is_nan() && got.is_nan()),
                            "{} point {k} vector {r} of {nv}: {one} vs {got}",
                            law.name
                        );
                    }
                }
                assert!(many[(m - 1) * nv].is_nan());
            }
        }
    }

    /// Features built for predictions (no drop list, no visited blocks)
    /// or for a law without the drop sum (areas only) hold the same areas
    /// and drop counts as a fit's, and the multi-power laws over them
    /// predict the same bits, point by point and in a batch evaluation
    /// (which then computes every block's factor): 2,000 steps with a
    /// warmup and a cosine decay.
    #[test]
    fn features_for_predictions_predict_as_a_fit_s() {
        use crate::forecast::curve::Needs;
        let step: Vec<f64> = (1..=2000).map(|k| k as f64).collect();
        let c = Curve {
            name: "c".into(),
            loss: step.iter().map(|_| 3.0).collect(),
            lr: Some(
                step.iter()
                    .map(|&s| {
                        if s < 100.0 {
                            3e-4 * s / 100.0
                        } else {
                            3e-5 + 1.35e-4 * (1.0 + (std::f64::consts::PI * s / 2000.0).cos())
                        }
                    })
                    .collect(),
            ),
            step,
            schedule: None,
            untrained: vec![],
            lead: vec![],
        };
        let path = c.lr_path().unwrap();
        let [fit, pred, areas] = [Needs::Fit, Needs::Predict, Needs::Areas]
            .map(|n| path.features_for(&c.step, c.warmup_end(), n));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for f in [&pred, &areas] {
            assert_eq!(bits(&f.s1), bits(&fit.s1));
            assert_eq!(bits(&f.s2), bits(&fit.s2));
            assert_eq!(f.drops_upto, fit.drops_upto);
        }
        assert!(!fit.drops.is_empty() && !fit.visited_ln_eta.is_empty());
        assert!(pred.drops.is_empty() && pred.visited_slot.is_empty());
        assert_eq!(pred.tree.len(), fit.tree.len());
        assert!(areas.drops.is_empty() && areas.tree.is_empty());
        let n = c.len();
        let x: Vec<f64> = (0..n).flat_map(|i| [c.step[i], fit.s1[i]]).collect();
        let ctx: Vec<u32> = (0..n as u32).flat_map(|i| [0, i]).collect();
        let lnx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
        let u = [1.0, -0.5, 0.45, 6.08, 0.76, 0.6, 0.65];
        for make in [multipower, multipower_warmup] {
            let (a, b) = (make(vec![fit.clone()]), make(vec![pred.clone()]));
            let (mut oa, mut ja) = (vec![0.0; n], vec![0.0; n * 7]);
            let (mut ob, mut jb) = (vec![0.0; n], vec![0.0; n * 7]);
            a.model
                .ln_batch_at(&x, &lnx, 2, &ctx, 2, &u, &mut oa, &mut ja);
            b.model
                .ln_batch_at(&x, &lnx, 2, &ctx, 2, &u, &mut ob, &mut jb);
            assert_eq!(bits(&oa), bits(&ob), "{}", a.name);
            assert_eq!(bits(&ja), bits(&jb), "{}", a.name);
            for i in (0..n).step_by(7) {
                let (xi, ci) = (&x[2 * i..2 * i + 2], &ctx[2 * i..2 * i + 2]);
                let (va, vb) = (
                    a.value_internal_at(xi, ci, &u),
                    b.value_internal_at(xi, ci, &u),
                );
                assert!(
                    va.is_finite() && va.to_bits() == vb.to_bits(),
                    "{i}: {va} vs {vb}"
                );
            }
        }
    }

    /// The batch kernel (per-drop factors hoisted) equals the per-point
    /// evaluation; the warmup term raises the loss by about B eta_peak.
    /// `ln_batch_at`'s batched drop sums (the terms gathered a run of
    /// points at a time, their addends in SIMD lanes, then summed in
    /// order) are `point`'s sums to the bit: values and Jacobians, with
    /// and without the warmup terms, on two curves whose points
    /// interleave across several runs of `TERM_CHUNK`, inputs in another
    /// unit of S1 than the features' (ratio r != 1), and points without a
    /// curve (NaN in both).
    #[test]
    fn batched_drop_sums_are_the_pointwise_sums_to_the_bit() {
        let step: Vec<f64> = (0..150).map(|k| 40.0 + 80.0 * k as f64).collect();
        let cosine = features(step.clone(), |s| {
            if s < 1200.0 {
                3e-4 * s / 1200.0
            } else {
                3e-5 + 1.35e-4 * (1.0 + (std::f64::consts::PI * (s - 1200.0) / 10800.0).cos())
            }
        });
        let wsd = features(step.clone(), |s| {
            if s < 600.0 {
                3e-4 * s / 600.0
            } else if s < 9000.0 {
                3e-4
            } else {
                3e-4 * (1.0 - 0.9 * (s - 9000.0) / 3000.0)
            }
        });
        assert!(!cosine.drops.is_empty() && !wsd.drops.is_empty());
        let curves = [cosine, wsd];
        // Points of both curves interleaved, a scaled S1, and two points
        // whose context names no curve or no point.
        let mut x = Vec::new();
        let mut ctx = Vec::new();
        for (i, &t) in step.iter().enumerate() {
            for (c, f) in curves.iter().enumerate() {
                x.extend([t, 1.7 * f.s1[i]]);
                ctx.extend([c as u32, i as u32]);
            }
            if i == 70 {
                x.extend([t, 1.0]);
                ctx.extend([5, 0]);
                x.extend([t, 1.0]);
                ctx.extend([0, 10_000]);
            }
        }
        let n = ctx.len() / 2;
        assert!(n > 4 * TERM_CHUNK);
        let lnx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
        let same = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
        for warmup in [false, true] {
            let m = MultiPower::new(curves.to_vec(), warmup);
            for u in [
                [1.0, -0.5, 0.45, 6.08, 0.76, 0.6, 0.65],
                [1.2, 0.3, 0.3, 5.0, -1.0, 1.5, 0.0],
                [0.8, -1.0, 0.7, 8.0, 2.0, 0.2, 2.0],
            ] {
                let (mut o1, mut j1) = (vec![0.0; n], vec![0.0; n * 7]);
                let (mut o2, mut j2) = (vec![1.0; n], vec![1.0; n * 7]);
                m.ln_batch_at(&x, &lnx, 2, &ctx, 2, &u, &mut o1, &mut j1);
                m.ln_batch_pointwise(&x, 2, &ctx, 2, &u, &mut o2, &mut j2);
                assert_eq!(o1.iter().filter(|v| v.is_nan()).count(), 2, "{u:?}");
                assert!(o1.iter().filter(|v| v.is_finite()).count() == n - 2);
                assert!(same(&o1, &o2), "warmup {warmup}, {u:?}: values differ");
                // The Jacobian rows of the points without a curve are
                // left as they were (neither path writes them).
                let rows = |j: &[f64]| -> Vec<f64> {
                    (0..n)
                        .filter(|&i| o1[i].is_finite())
                        .flat_map(|i| j[i * 7..(i + 1) * 7].to_vec())
                        .collect()
                };
                assert!(
                    same(&rows(&j1), &rows(&j2)),
                    "warmup {warmup}, {u:?}: Jacobians differ"
                );
            }
        }
    }

    #[test]
    fn batch_equals_points_and_the_warmup_raises_the_loss() {
        let step: Vec<f64> = (0..60).map(|k| 2160.0 + 128.0 * k as f64).collect();
        let f = features(step.clone(), |s| {
            3e-5 + 1.35e-4 * (1.0 + (std::f64::consts::PI * (s - 2160.0) / 7552.0).cos())
        });
        assert!(f.warm.len() <= 34 && f.warm_range.iter().all(|r| r.1 as usize == f.warm.len()));
        let u = [1.0, -0.5, 0.45, 6.08, 0.76, 0.6, 0.65];
        let n = 60;
        let x: Vec<f64> = (0..n).flat_map(|i| [step[i], f.s1[i]]).collect();
        let ctx: Vec<u32> = (0..n as u32).flat_map(|i| [0, i]).collect();
        let lnx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
        let (plain, warm) = (multipower(vec![f.clone()]), multipower_warmup(vec![f]));
        for law in [&plain, &warm] {
            let (mut out, mut jac) = (vec![0.0; n], vec![0.0; n * 7]);
            law.model
                .ln_batch_at(&x, &lnx, 2, &ctx, 2, &u, &mut out, &mut jac);
            for i in 0..n {
                let mut g = [0.0; 7];
                let v = law.model.ln_value_grad_at(
                    &x[i * 2..i * 2 + 2],
                    &lnx[i * 2..i * 2 + 2],
                    &ctx[2 * i..2 * i + 2],
                    &u,
                    &mut g,
                );
                assert!((v - out[i]).abs() < 1e-13, "point {i}: {v} vs {}", out[i]);
                for j in 0..7 {
                    assert!((g[j] - jac[i * 7 + j]).abs() < 1e-10 * (1.0 + g[j].abs()));
                }
            }
        }
        let b = u[3].exp();
        let at = |law: &Law, i: usize| {
            law.model.value_at(
                &x[2 * i..2 * i + 2],
                &lnx[2 * i..2 * i + 2],
                &[0, i as u32],
                &u,
            )
        };
        let rise = at(&warm, 30) - at(&plain, 30);
        assert!(rise > 0.5 * b * 3e-4 && rise < b * 3e-4, "{rise}");
    }
}
