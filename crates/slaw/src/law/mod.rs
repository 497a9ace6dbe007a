//! A law is data: a name, a description, its formula as text, its inputs,
//! its parameters (bounds, transform, default starting grid) and a model that
//! gives the value and the analytic gradient.
//!
//! The optimizer works on an internal vector `u`: a parameter with the `Log`
//! transform is optimized as `ln p` (values that span orders of magnitude),
//! the others as `p` itself.

/// `Model::ln_batch_at` for a law that reads no context: its `ln_batch`
/// whatever context the points carry (a forecast fit gives every point its
/// curve and index; without this, such a law's batch path would run point
/// by point through `ln_value_grad_at`).
macro_rules! context_free_batch {
    () => {
        fn ln_batch_at(
            &self,
            x: &[f64],
            lnx: &[f64],
            dim: usize,
            _ctx: &[u32],
            _cdim: usize,
            u: &[f64],
            out: &mut [f64],
            jac: &mut [f64],
        ) {
            self.ln_batch(x, lnx, dim, u, out, jac);
        }
    };
}

pub mod catalog;
pub mod curves;
pub mod formula;
pub mod layout;
pub mod named;
pub mod trajectory;

pub use named::{Named, Params};

use crate::observations::Domain;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
/// How a parameter is optimized.
pub enum Transform {
    /// As itself.
    Identity,
    /// As its natural log (positive values spanning orders of magnitude).
    Log,
}

impl Transform {
    /// The optimizer's value of natural value `p`.
    pub fn to_internal(self, p: f64) -> f64 {
        match self {
            Transform::Identity => p,
            Transform::Log => p.ln(),
        }
    }
    /// The natural value of the optimizer's value `u`.
    pub fn to_natural(self, u: f64) -> f64 {
        match self {
            Transform::Identity => u,
            Transform::Log => u.exp(),
        }
    }
}

/// One parameter of a law. Bounds and grid are in natural units.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Param {
    /// The parameter's name (its key in `Params`).
    pub name: String,
    /// How the optimizer sees it.
    pub transform: Transform,
    /// Lower bound (natural units).
    pub lower: f64,
    /// Upper bound (natural units).
    pub upper: f64,
    /// Starting values for the multi-start grid (the grid is the Cartesian
    /// product over parameters).
    pub grid: Vec<f64>,
}

impl Param {
    /// A parameter with its bounds and starting grid in natural units.
    pub fn new(name: &str, transform: Transform, bounds: (f64, f64), grid: &[f64]) -> Param {
        Param {
            name: name.to_string(),
            transform,
            lower: bounds.0,
            upper: bounds.1,
            grid: grid.to_vec(),
        }
    }
    /// Log-transformed parameter whose grid is given as natural logs (as in
    /// Hoffmann et al.: a in {0, 5, ..., 25} means A in {e^0, ..., e^25}).
    pub fn log_with_ln_grid(name: &str, bounds: (f64, f64), ln_grid: &[f64]) -> Param {
        Param::new(
            name,
            Transform::Log,
            bounds,
            &ln_grid.iter().map(|v| v.exp()).collect::<Vec<_>>(),
        )
    }
    /// The bounds as the optimizer sees them (ln of the bounds of a `Log`
    /// parameter; -inf for a lower bound at 0).
    pub fn internal_bounds(&self) -> (f64, f64) {
        match self.transform {
            Transform::Identity => (self.lower, self.upper),
            Transform::Log => (
                if self.lower > 0.0 {
                    self.lower.ln()
                } else {
                    f64::NEG_INFINITY
                },
                if self.upper.is_finite() {
                    self.upper.ln()
                } else {
                    f64::INFINITY
                },
            ),
        }
    }
}

/// Value and gradient of a law's prediction at one point, with respect to the
/// internal parameters `u`. `lnx` holds ln of each input (-inf at 0), computed
/// once per data set rather than once per evaluation.
pub trait Model: Send + Sync {
    /// Prediction at inputs `x`; `grad` receives d(prediction)/du.
    fn value_grad(&self, x: &[f64], lnx: &[f64], u: &[f64], grad: &mut [f64]) -> f64;

    /// Prediction only.
    fn value(&self, x: &[f64], lnx: &[f64], u: &[f64]) -> f64;

    /// ln(prediction) and its gradient. Laws that are sums of exponentials
    /// override this with a log-sum-exp form that cannot overflow.
    fn ln_value_grad(&self, x: &[f64], lnx: &[f64], u: &[f64], grad: &mut [f64]) -> f64 {
        let v = self.value_grad(x, lnx, u, grad);
        if v > 0.0 && v.is_finite() {
            for g in grad.iter_mut() {
                *g /= v;
            }
            v.ln()
        } else {
            f64::NAN
        }
    }

    /// ln(prediction) at every point (`out[i]`) and its gradient (`jac`, row
    /// major, one row of `u.len()` per point). `x` and `lnx` are row major
    /// with `dim` inputs per point. Hot laws override this with a loop the
    /// compiler can vectorize.
    fn ln_batch(
        &self,
        x: &[f64],
        lnx: &[f64],
        dim: usize,
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        per_point(x, lnx, dim, &[], 0, u, out, jac, |x, l, _, u, g| {
            self.ln_value_grad(x, l, u, g)
        });
    }

    /// The objective on ln(prediction) in one pass, for laws with a fused
    /// kernel (no Jacobian in memory): the sum over points of
    /// w_i rho(ln f(x_i; u) - target_i), with its gradient w.r.t. `u` written
    /// into `grad`. `None`: the law has none, and the objective combines
    /// `ln_batch` with a separate reduction.
    fn ln_loss(
        &self,
        _x: &[f64],
        _lnx: &[f64],
        _dim: usize,
        _u: &[f64],
        _data: &crate::objective::LossData,
        _grad: &mut [f64],
    ) -> Option<f64> {
        None
    }

    /// Whether [`Model::ln_loss`] reads the ln inputs column by column
    /// (`LossData::ln_columns`): the objective then lays them out so once,
    /// when it is built, instead of once per evaluation.
    fn ln_loss_reads_columns(&self) -> bool {
        false
    }

    /// For squared error on ln(prediction), in one pass for laws with a
    /// fused Gauss-Newton kernel: the sum of w_i (ln f(x_i; u) - target_i)^2,
    /// its gradient (into `grad`) and the upper triangle of the Gauss-Newton
    /// matrix 2 J^T W J (row major, into `gn`), with the bits of the batch
    /// path (`ln_batch` and the Gauss-Newton reduction of
    /// `Objective::gauss_newton`). Every gradient entry and every entry of
    /// the upper triangle is written (the caller does not zero them).
    /// `None`: the law has none.
    #[allow(clippy::too_many_arguments)]
    fn ln_gauss_newton(
        &self,
        _x: &[f64],
        _lnx: &[f64],
        _dim: usize,
        _u: &[f64],
        _data: &crate::objective::LossData,
        _grad: &mut [f64],
        _gn: &mut [f64],
    ) -> Option<f64> {
        None
    }

    /// How the parameters move when every input j is multiplied by
    /// `exp(ln_c[j])` and the output by `exp(ln_cy)`: the internal vector
    /// `u2` with `f(c x; u2) = cy f(x; u)` for every x. `None` when the law
    /// has no such closed form (the fit then maps parameters numerically,
    /// see `crate::scaling`).
    fn rescale(&self, _u: &[f64], _ln_c: &[f64], _ln_cy: f64) -> Option<Vec<f64>> {
        None
    }

    /// Whether a law without a closed-form `rescale` may be fitted scale-free
    /// with its parameters mapped back numerically (formula laws). Off by
    /// default: such a law is fitted in the data's units.
    fn numeric_rescale(&self) -> bool {
        false
    }

    /// ln of the input scales and of the output scale that the law's default
    /// grid and bounds were written for. A scale-free fit moves the data to
    /// this scale (each input and the output divided by its geometric mean,
    /// times this reference) before the search, so the grid follows the
    /// data. `None`: the data are moved to scale 1.
    fn reference_scale(&self) -> Option<(Vec<f64>, f64)> {
        None
    }

    /// Per-point context: laws whose points carry integers beside their
    /// inputs (the group of a per-group law, the curve and point of a
    /// multi-curve forecast law; see `Observations::context`) read them in
    /// these `_at` forms. `ctx` holds the point's context (empty when the
    /// observations have none); laws without context ignore it.
    fn ln_value_grad_at(
        &self,
        x: &[f64],
        lnx: &[f64],
        _ctx: &[u32],
        u: &[f64],
        grad: &mut [f64],
    ) -> f64 {
        self.ln_value_grad(x, lnx, u, grad)
    }
    /// `value_grad` with the point's context.
    fn value_grad_at(
        &self,
        x: &[f64],
        lnx: &[f64],
        _ctx: &[u32],
        u: &[f64],
        grad: &mut [f64],
    ) -> f64 {
        self.value_grad(x, lnx, u, grad)
    }
    /// `value` with the point's context.
    fn value_at(&self, x: &[f64], lnx: &[f64], _ctx: &[u32], u: &[f64]) -> f64 {
        self.value(x, lnx, u)
    }
    /// `ln_batch` with `cdim` context integers per point (row major in
    /// `ctx`); without context, `ln_batch` itself.
    #[allow(clippy::too_many_arguments)]
    fn ln_batch_at(
        &self,
        x: &[f64],
        lnx: &[f64],
        dim: usize,
        ctx: &[u32],
        cdim: usize,
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        if cdim == 0 {
            return self.ln_batch(x, lnx, dim, u, out, jac);
        }
        per_point(x, lnx, dim, ctx, cdim, u, out, jac, |x, l, c, u, g| {
            self.ln_value_grad_at(x, l, c, u, g)
        });
    }
    /// Predictions at many points for many parameter vectors: the points'
    /// inputs `x` (`dim` per point, row major) and context `ctx` (`cdim`
    /// per point), the internal vectors `us` (`np` per vector, row major);
    /// `out[k * (us.len() / np) + r]` is `value_at` of point k for vector r,
    /// bit for bit (a law may compute what the points share once per
    /// vector: the multi-power law's per-drop factors).
    #[allow(clippy::too_many_arguments)]
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
        let mut lnx = vec![0.0; dim];
        for (k, row) in out.chunks_exact_mut(nr.max(1)).enumerate() {
            let xk = &x[k * dim..(k + 1) * dim];
            for (l, &v) in lnx.iter_mut().zip(xk) {
                *l = ln_input(v);
            }
            let ck = &ctx[k * cdim..(k + 1) * cdim];
            for (o, u) in row.iter_mut().zip(us.chunks_exact(np.max(1))) {
                *o = self.value_at(xk, &lnx, ck, u);
            }
        }
    }
    /// `value_batch` with context, as `ln_batch_at`.
    #[allow(clippy::too_many_arguments)]
    fn value_batch_at(
        &self,
        x: &[f64],
        lnx: &[f64],
        dim: usize,
        ctx: &[u32],
        cdim: usize,
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        if cdim == 0 {
            return self.value_batch(x, lnx, dim, u, out, jac);
        }
        per_point(x, lnx, dim, ctx, cdim, u, out, jac, |x, l, c, u, g| {
            self.value_grad_at(x, l, c, u, g)
        });
    }

    /// Prediction at every point and its gradient, laid out as in `ln_batch`.
    fn value_batch(
        &self,
        x: &[f64],
        lnx: &[f64],
        dim: usize,
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        per_point(x, lnx, dim, &[], 0, u, out, jac, |x, l, _, u, g| {
            self.value_grad(x, l, u, g)
        });
    }
}

/// A law as data: its name, description, formula, inputs, parameters and
/// the model that evaluates it.
#[derive(Clone)]
pub struct Law {
    /// The law's name (`slaw laws`).
    pub name: String,
    /// What the law is, for people.
    pub description: String,
    /// The formula, as text for people.
    pub formula: String,
    /// Names of the inputs in the order the model reads them.
    pub inputs: Vec<String>,
    /// The values each input may take, in the order of `inputs`.
    pub domains: Vec<Domain>,
    /// The parameters, in the order of the internal vector.
    pub params: Vec<Param>,
    /// Value and gradient.
    pub model: Arc<dyn Model>,
}

impl std::fmt::Debug for Law {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Law")
            .field("name", &self.name)
            .field("formula", &self.formula)
            .field("params", &self.params)
            .finish()
    }
}

/// The most starting points a law's multi-start grid may have (the
/// largest built-in grid has 4,500).
pub const MAX_GRID_STARTS: usize = 100_000;

impl Law {
    /// The number of parameters.
    pub fn n_params(&self) -> usize {
        self.params.len()
    }
    /// The parameters' names, in order.
    pub fn param_names(&self) -> Vec<&str> {
        self.params.iter().map(|p| p.name.as_str()).collect()
    }
    /// The parameters' names, in order, owned.
    pub fn param_names_owned(&self) -> Vec<String> {
        self.params.iter().map(|p| p.name.clone()).collect()
    }
    /// Natural parameter values to the optimizer's vector.
    pub fn to_internal(&self, natural: &[f64]) -> Vec<f64> {
        self.params
            .iter()
            .zip(natural)
            .map(|(p, &v)| p.transform.to_internal(v))
            .collect()
    }
    /// The optimizer's vector to natural parameter values.
    pub fn to_natural(&self, u: &[f64]) -> Vec<f64> {
        self.params
            .iter()
            .zip(u)
            .map(|(p, &v)| p.transform.to_natural(v))
            .collect()
    }
    /// Lower and upper bounds of the optimizer's vector.
    pub fn internal_bounds(&self) -> (Vec<f64>, Vec<f64>) {
        self.params.iter().map(|p| p.internal_bounds()).unzip()
    }
    /// Prediction at `x` for natural parameter values.
    pub fn predict(&self, x: &[f64], natural: &[f64]) -> f64 {
        self.value_internal(x, &self.to_internal(natural))
    }
    /// [`Law::predict`], or an error when the value is not finite there: a
    /// formula law has no declared domain, so a value it cannot give (log
    /// of a negative, division by zero) is refused, never printed. `names`
    /// are the inputs as the caller's data name them.
    pub fn predict_finite(&self, x: &[f64], natural: &[f64], names: &[&str]) -> crate::Result<f64> {
        let v = self.predict(x, natural);
        if v.is_finite() {
            return Ok(v);
        }
        let at: Vec<String> = names
            .iter()
            .zip(x)
            .map(|(n, x)| format!("{n} = {x}"))
            .collect();
        Err(crate::Error::setting(
            crate::error::Setting::Predict,
            format!(
                "cannot predict at {}: the fitted law '{}' gives {v} there (outside its domain)",
                at.join(", "),
                self.name
            ),
        ))
    }
    /// Prediction at `x` with per-point context `ctx` (see
    /// `Model::value_at`) for natural parameter values.
    pub fn predict_at(&self, x: &[f64], ctx: &[u32], natural: &[f64]) -> f64 {
        let lnx: Vec<f64> = x.iter().map(|&v| ln_input(v)).collect();
        self.model
            .value_at(x, &lnx, ctx, &self.to_internal(natural))
    }
    /// [`Law::predict_at`] at many points (inputs `x`, `n_inputs` per
    /// point, and context `ctx`, `cdim` per point) for each of the natural
    /// parameter vectors `naturals`: `out[k * naturals.len() + r]`, the
    /// same values bit for bit ([`Model::values_many_at`]).
    pub fn predict_many_at(
        &self,
        x: &[f64],
        ctx: &[u32],
        cdim: usize,
        naturals: &[Vec<f64>],
    ) -> Vec<f64> {
        let dim = self.inputs.len();
        let np = self.n_params();
        let us: Vec<f64> = naturals.iter().flat_map(|p| self.to_internal(p)).collect();
        let n = x.len().checked_div(dim).unwrap_or(0);
        let mut out = vec![0.0; n * naturals.len()];
        if !out.is_empty() {
            self.model
                .values_many_at(x, dim, ctx, cdim, &us, np, &mut out);
        }
        out
    }
    /// Prediction at `x` with context `ctx` for internal parameters.
    pub fn value_internal_at(&self, x: &[f64], ctx: &[u32], u: &[f64]) -> f64 {
        let lnx: Vec<f64> = x.iter().map(|&v| ln_input(v)).collect();
        self.model.value_at(x, &lnx, ctx, u)
    }
    /// Prediction at `x` for internal parameters.
    pub fn value_internal(&self, x: &[f64], u: &[f64]) -> f64 {
        let lnx: Vec<f64> = x.iter().map(|&v| ln_input(v)).collect();
        self.model.value(x, &lnx, u)
    }
    /// The default multi-start grid, as internal vectors, in a fixed order.
    pub fn grid(&self) -> Vec<Vec<f64>> {
        cartesian(&self.grid_axes())
    }
    /// [`Law::grid`] in one vector: its points one after the other,
    /// [`Law::n_params`] values each (one allocation, where `grid` makes one
    /// per point: a small fit's search reads its starts so).
    pub fn grid_flat(&self) -> Vec<f64> {
        cartesian_flat(&self.grid_axes())
    }
    /// Each parameter's grid values in internal units, clamped to its bounds.
    fn grid_axes(&self) -> Vec<Vec<f64>> {
        self.params
            .iter()
            .map(|p| {
                let (lo, hi) = p.internal_bounds();
                p.grid
                    .iter()
                    .map(|&v| p.transform.to_internal(v).clamp(lo, hi))
                    .collect()
            })
            .collect()
    }
    /// Replace a parameter's bounds and/or grid (natural units). A grid
    /// whose product with the other parameters' grids exceeds
    /// [`MAX_GRID_STARTS`] is refused, and so is a starting value outside
    /// the parameter's bounds (those of this call when given, else the
    /// current ones: set the bounds first), which the search would clamp
    /// silently ([`crate::Error::StartOutsideBounds`]). An unknown `name` is
    /// an error about the bounds when `bounds` is given, else about the
    /// starting values.
    pub fn set_param(
        &mut self,
        name: &str,
        bounds: Option<(f64, f64)>,
        grid: Option<Vec<f64>>,
    ) -> crate::Result<()> {
        let setting = if bounds.is_some() {
            crate::error::Setting::Bounds
        } else {
            crate::error::Setting::StartingGrid
        };
        let p = self
            .params
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                crate::Error::setting(
                    setting,
                    format!("law '{}' has no parameter '{name}'", self.name),
                )
            })?;
        if let Some((lo, hi)) = bounds {
            if lo >= hi || lo.is_nan() || hi.is_nan() {
                return Err(crate::Error::setting(
                    crate::error::Setting::Bounds,
                    format!("bounds of '{name}': lower {lo} must be below upper {hi}"),
                ));
            }
            // A log parameter is > 0: a lower bound <= 0 was accepted and
            // meant nothing (a starting value there is refused).
            if p.transform == Transform::Log && lo <= 0.0 {
                // a floor at 0 is what users write: suggest a tiny positive
                // one (the law's own lower bound when it is below `hi`)
                let tiny = if p.lower > 0.0 && p.lower < hi {
                    p.lower
                } else {
                    hi.abs() * 1e-9
                };
                return Err(crate::Error::setting(
                    crate::error::Setting::Bounds,
                    format!(
                        "'{name}' is fitted in log space (positive): its bounds must be > 0, got \
                         {lo}:{hi}; for a lower bound at zero give a small positive one, e.g. \
                         {name}={tiny:e}:{hi}"
                    ),
                ));
            }
            p.lower = lo;
            p.upper = hi;
        }
        if let Some(g) = grid {
            if g.is_empty() {
                return Err(crate::Error::setting(
                    crate::error::Setting::StartingGrid,
                    format!("empty starting grid for '{name}'"),
                ));
            }
            if p.transform == Transform::Log && g.iter().any(|&v| v <= 0.0) {
                return Err(crate::Error::setting(
                    crate::error::Setting::StartingGrid,
                    format!("'{name}' is fitted in log space: starting values must be > 0"),
                ));
            }
            if let Some(v) = g.iter().find(|v| !v.is_finite()) {
                return Err(crate::Error::setting(
                    crate::error::Setting::StartingGrid,
                    format!("starting value {v} of '{name}' is not a finite number"),
                ));
            }
            let (lower, upper) = (p.lower, p.upper);
            if let Some(&value) = g.iter().find(|&&v| v < lower || v > upper) {
                return Err(crate::Error::StartOutsideBounds {
                    param: name.to_string(),
                    value,
                    lower,
                    upper,
                });
            }
            let others: f64 = self
                .params
                .iter()
                .filter(|q| q.name != name)
                .map(|q| q.grid.len() as f64)
                .product();
            let starts = others * g.len() as f64;
            if starts > MAX_GRID_STARTS as f64 {
                return Err(crate::Error::setting(
                    crate::error::Setting::StartingGrid,
                    format!(
                    "a starting grid of {starts:.0} points ({} for '{name}' times {others:.0} for the other parameters): at most {MAX_GRID_STARTS} (each start is a full fit; use fewer values)",
                    g.len()
                )));
            }
            let p = self
                .params
                .iter_mut()
                .find(|p| p.name == name)
                .expect("found above");
            p.grid = g;
        }
        Ok(())
    }

    /// Add `values` to the starting grid of parameter `name` (the law's own
    /// values are kept, those outside its current bounds dropped; the grid
    /// is then sorted): a starting value given for a parameter widens the
    /// search, it does not narrow it to that one start. The values are
    /// checked as [`Law::set_param`] checks a grid.
    pub fn add_starts(&mut self, name: &str, values: &[f64]) -> crate::Result<()> {
        let own: Vec<f64> = self
            .params
            .iter()
            .find(|p| p.name == name)
            .map(|p| {
                p.grid
                    .iter()
                    .copied()
                    .filter(|v| *v >= p.lower && *v <= p.upper)
                    .collect()
            })
            .unwrap_or_default();
        // The given values first: an error names one of them.
        let mut g: Vec<f64> = values.to_vec();
        for v in own {
            if !g.contains(&v) {
                g.push(v);
            }
        }
        if g.iter().all(|v| v.is_finite()) {
            g.sort_by(f64::total_cmp);
            g.dedup();
        }
        self.set_param(name, None, Some(g))
    }
}

/// All combinations of the axes, the last axis varying fastest.
pub fn cartesian(axes: &[Vec<f64>]) -> Vec<Vec<f64>> {
    // Each point built at once from its cell index (last axis fastest):
    // one allocation per point.
    let total: usize = axes.iter().map(|a| a.len()).product();
    let mut digits = vec![0usize; axes.len()];
    (0..total)
        .map(|cell| {
            let mut rest = cell;
            for (d, axis) in digits.iter_mut().zip(axes).rev() {
                *d = rest % axis.len();
                rest /= axis.len();
            }
            digits.iter().zip(axes).map(|(&d, axis)| axis[d]).collect()
        })
        .collect()
}

/// [`cartesian`]'s points one after the other in one vector (`axes.len()`
/// values each, the same values in the same order).
pub fn cartesian_flat(axes: &[Vec<f64>]) -> Vec<f64> {
    let total: usize = axes.iter().map(|a| a.len()).product();
    let mut digits = vec![0usize; axes.len()];
    let mut out = Vec::with_capacity(total * axes.len());
    for cell in 0..total {
        let mut rest = cell;
        for (d, axis) in digits.iter_mut().zip(axes).rev() {
            *d = rest % axis.len();
            rest /= axis.len();
        }
        out.extend(digits.iter().zip(axes).map(|(&d, axis)| axis[d]));
    }
    out
}

/// ln of an input value: -inf at 0 (where laws like the rectified one are
/// still defined), NaN below.
#[inline]
pub fn ln_input(v: f64) -> f64 {
    if v == 0.0 {
        f64::NEG_INFINITY
    } else {
        v.ln()
    }
}

/// exp guarded against overflow: the argument is capped at 700.
#[inline]
pub fn exp_capped(z: f64) -> f64 {
    z.min(700.0).exp()
}

/// The batch path of a law that reads context: each point evaluated with
/// its own context integers (`cdim` per point, row major in `ctx`) by `f`,
/// which writes the point's gradient row of `jac`.
#[allow(clippy::too_many_arguments)]
fn per_point(
    x: &[f64],
    lnx: &[f64],
    dim: usize,
    ctx: &[u32],
    cdim: usize,
    u: &[f64],
    out: &mut [f64],
    jac: &mut [f64],
    f: impl Fn(&[f64], &[f64], &[u32], &[f64], &mut [f64]) -> f64,
) {
    let p = u.len();
    for (i, o) in out.iter_mut().enumerate() {
        *o = f(
            &x[i * dim..(i + 1) * dim],
            &lnx[i * dim..(i + 1) * dim],
            &ctx[i * cdim..(i + 1) * cdim],
            u,
            &mut jac[i * p..(i + 1) * p],
        );
    }
}

#[cfg(test)]
mod grid_cap {
    use super::*;

    #[test]
    fn absurd_starting_grids_are_refused_before_they_are_built() {
        let mut law = catalog::by_name("chinchilla").unwrap();
        let name = law.params[0].name.clone();
        let e = law
            .set_param(&name, None, Some(vec![1.0; 10_000_000]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 100000"), "{e}");
        // The product with the other grids counts too.
        let e = law
            .set_param(&name, None, Some(vec![1.0; 1_000]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("starting grid of"), "{e}");
        assert!(law.grid().len() <= MAX_GRID_STARTS);
        law.set_param(&name, None, Some(vec![1.0, 2.0])).unwrap();
        let e = law
            .set_param(&name, None, Some(vec![1.0, f64::NAN]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a finite number"), "{e}");
    }

    /// A log parameter's bounds must be > 0: a lower bound <= 0 was
    /// accepted, while a starting value <= 0 was refused (probe afc 18).
    #[test]
    fn a_log_parameters_bounds_are_positive() {
        let mut law = crate::law::formula::formula_law(
            "A / x^alpha + E",
            &["x".to_string()],
            &["A".into(), "alpha".into(), "E".into()],
            &["alpha".into()],
        )
        .unwrap();
        for (lo, hi) in [(-1.0, 1.0), (0.0, 1.0), (-2.0, -1.0)] {
            let e = law.set_param("alpha", Some((lo, hi)), None).unwrap_err();
            assert!(e.to_string().contains("bounds must be > 0"), "{e}");
        }
        law.set_param("alpha", Some((0.01, 1.0)), None).unwrap();
        // an identity parameter may be bounded below 0
        law.set_param("E", Some((-1.0, 1.0)), None).unwrap();
    }

    #[test]
    fn a_starting_value_outside_the_bounds_is_refused_not_clamped() {
        let mut law = catalog::by_name("power").unwrap();
        let e = law
            .set_param("alpha", None, Some(vec![0.5, 20.0]))
            .unwrap_err();
        assert!(
            matches!(&e, crate::Error::StartOutsideBounds { param, value, lower, upper }
                if param == "alpha" && *value == 20.0 && *lower == 0.0 && *upper == 10.0),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "the starting values: starting value 20 of 'alpha' is outside its bounds [0, 10]"
        );
        // The grid is unchanged, and the bounds of the same call apply first.
        assert_ne!(law.params[1].grid, vec![0.5, 20.0]);
        law.set_param("alpha", Some((0.0, 30.0)), Some(vec![20.0]))
            .unwrap();
        assert_eq!(law.params[1].grid, vec![20.0]);
        let e = law
            .set_param("alpha", Some((0.1, 0.5)), Some(vec![0.9]))
            .unwrap_err();
        assert!(
            matches!(e, crate::Error::StartOutsideBounds { .. }),
            "{e:?}"
        );
        // At a bound is inside.
        law.set_param("alpha", Some((0.1, 0.5)), Some(vec![0.1, 0.5]))
            .unwrap();
    }

    #[test]
    fn an_unknown_parameter_is_named_as_the_setting_given() {
        let mut law = catalog::by_name("power").unwrap();
        let e = law.set_param("zzz", None, Some(vec![1.0])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the starting values: law 'power' has no parameter 'zzz'"
        );
        let e = law.set_param("zzz", Some((0.0, 1.0)), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the bounds: law 'power' has no parameter 'zzz'"
        );
    }

    #[test]
    fn the_flat_grid_holds_the_grid_points_in_order() {
        for law in catalog::all() {
            let grid = law.grid();
            let flat = law.grid_flat();
            assert_eq!(flat.len(), grid.len() * law.n_params(), "{}", law.name);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&flat), bits(&grid.concat()), "{}", law.name);
        }
    }
}

/// The check of a law's batch kernel against its point-by-point path
/// (`ln_batch` against `ln_value_grad` at each point), shared by the unit
/// tests of the kernels in `catalog` and `curves`.
#[cfg(test)]
pub(crate) mod batch_check {
    use super::{ln_input, Law};

    /// Uniform in [0, 1) from a fixed seed (xorshift).
    pub(crate) struct Uniform(u64);
    impl Uniform {
        pub(crate) fn new() -> Uniform {
            Uniform(0x9e37_79b9_7f4a_7c15)
        }
        pub(crate) fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
        /// Uniform in [lo, hi).
        pub(crate) fn within(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * self.next()
        }
    }

    /// What [`compare`] saw.
    #[derive(Debug, Default)]
    pub(crate) struct Seen {
        /// Points compared to the tolerance.
        pub(crate) checked: usize,
        /// Points where the point-by-point path is not finite (the batch
        /// must not be either).
        pub(crate) undefined: usize,
        /// Points with a finite value but a non-finite gradient point by
        /// point (not compared).
        pub(crate) scalar_overflow: usize,
        /// Points where `scale` said the kernel's guard changes the value
        /// (only finiteness compared).
        pub(crate) guarded: usize,
        /// The largest difference of ln L, relative to max(1, |ln L|) and
        /// divided by the point's condition (`scale`).
        pub(crate) worst_value: f64,
        /// The largest difference of a Jacobian entry, relative to the
        /// row's largest entry and divided by the point's condition.
        pub(crate) worst_jacobian: f64,
    }

    /// `law`'s `ln_batch` over all of `points` (rows of inputs) against
    /// `ln_value_grad` point by point, at every internal vector of `us`:
    /// ln L within `tol` of max(1, |ln L|) and each Jacobian entry within
    /// `tol` of the row's largest, both times `scale(x, u)` (the
    /// formula's own condition where it sums terms that cancel: 1 for a
    /// law without), where the point-by-point value is finite; where
    /// `scale` is `None` (a guard of the kernel changes the value) only
    /// finiteness is compared. A point-by-point value that is not finite
    /// must not be in the batch either.
    pub(crate) fn compare(
        law: &Law,
        points: &[Vec<f64>],
        us: &[Vec<f64>],
        tol: f64,
        scale: impl Fn(&[f64], &[f64]) -> Option<f64>,
    ) -> Seen {
        let dim = law.inputs.len();
        let p = law.n_params();
        let x: Vec<f64> = points.iter().flatten().copied().collect();
        let lnx: Vec<f64> = x.iter().map(|&v| ln_input(v)).collect();
        let n = points.len();
        let mut seen = Seen::default();
        let (mut out, mut jac) = (vec![0.0; n], vec![0.0; n * p]);
        let mut g = vec![0.0; p];
        for u in us {
            law.model.ln_batch(&x, &lnx, dim, u, &mut out, &mut jac);
            for i in 0..n {
                let (xi, li) = (&x[i * dim..(i + 1) * dim], &lnx[i * dim..(i + 1) * dim]);
                let want = law.model.ln_value_grad(xi, li, u, &mut g);
                let got = out[i];
                let row = &jac[i * p..(i + 1) * p];
                let finite = |v: f64, r: &[f64]| v.is_finite() && r.iter().all(|a| a.is_finite());
                if !want.is_finite() {
                    seen.undefined += 1;
                    assert!(
                        !got.is_finite(),
                        "{}: u {u:?} x {xi:?}: batch {got} where the point gives {want}",
                        law.name
                    );
                    continue;
                }
                if !finite(want, &g) {
                    // The scalar path's gradient overflowed in an
                    // intermediate (reciprocal: t a1 x at x = 0); the
                    // kernel's may be finite.
                    seen.scalar_overflow += 1;
                    continue;
                }
                let Some(k) = scale(xi, u) else {
                    seen.guarded += 1;
                    assert!(
                        finite(got, row),
                        "{}: u {u:?} x {xi:?}: batch {got} {row:?}",
                        law.name
                    );
                    continue;
                };
                let dv = (got - want).abs() / want.abs().max(1.0) / k.max(1.0);
                assert!(
                    dv <= tol,
                    "{}: u {u:?} x {xi:?}: ln L {got} vs {want}",
                    law.name
                );
                let largest = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for (a, b) in row.iter().zip(&g) {
                    let dg = (a - b).abs() / largest.max(f64::MIN_POSITIVE) / k.max(1.0);
                    assert!(
                        dg <= tol,
                        "{}: u {u:?} x {xi:?}: Jacobian {row:?} vs {g:?}",
                        law.name
                    );
                    seen.worst_jacobian = seen.worst_jacobian.max(dg);
                }
                seen.worst_value = seen.worst_value.max(dv);
                seen.checked += 1;
            }
        }
        seen
    }
}
