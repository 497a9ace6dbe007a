//! A formula's expression tree compiled once into a flat program, evaluated
//! over blocks of points: every value is a column of [`WIDE`] (or, for the
//! last points, [`NARROW`]) lanes, and the gradient with respect to each
//! parameter the value depends on is carried beside it as a column too
//! (forward mode), so each instruction is a loop over lanes that the
//! compiler vectorizes. exp and ln run through [`crate::fastmath`].
//!
//! Subtrees without an input (`2*pi`, `exp(a)`, a parameter alone) are
//! evaluated once per call by the tree walker of the point-by-point path
//! and broadcast. The fast path is taken only where it is safe: a block in
//! which any value or derivative factor is not finite, or an exp/ln/pow
//! argument leaves the fast functions' range (overflow, 0^x, a negative
//! base, NaN), is evaluated again point by point by the tree walker, so
//! such points keep the exact semantics (values, NaNs, infinities) of
//! before.

use super::{eval, Expr, Func, Op};
use crate::fastmath::{exp_k, fmadd, ln_positive_k};
use num_dual::Dual64;

/// Lanes of a block (columns of 64 values: each instruction's loop runs
/// long enough for its dispatch to be negligible).
pub const WIDE: usize = 64;
/// Lanes of the blocks of the last `n % WIDE` points (small fits evaluate
/// few points).
pub const NARROW: usize = 8;

/// Which operands of a binary instruction depend on a parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    A,
    B,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Neg,
    Add,
    Sub,
    Mul,
    Div,
    /// a^n, n a constant integer with |n| < 64.
    PowInt(i32),
    /// a^k, k another constant.
    PowConst(f64),
    /// a^b; `Some(slot)`: ln a is read from the slot (a is an input, whose
    /// ln the objective has computed once).
    Pow(Option<usize>),
    Call(Func),
}

#[derive(Debug, Clone)]
struct Instr {
    kind: Kind,
    dst: usize,
    a: usize,
    b: usize,
    /// The parameters `dst` depends on, and which operands carry them.
    grads: Vec<(usize, Side)>,
}

/// A compiled formula. Slots are columns (a value and one gradient column
/// per parameter): first the uniform subtrees, then the inputs and ln
/// inputs, then one per instruction (single assignment: an instruction's
/// operands precede it).
#[derive(Debug, Clone)]
pub struct Program {
    params: usize,
    uniform: Vec<(Expr, u64)>,
    /// (slot, input column); `ln` true: ln of the input.
    inputs: Vec<(usize, usize, bool)>,
    code: Vec<Instr>,
    slots: usize,
    root: usize,
}

fn has_input(e: &Expr) -> bool {
    match e {
        Expr::Input(_) => true,
        Expr::Num(_) | Expr::Param(_) => false,
        Expr::Neg(a) | Expr::Call(_, a) => has_input(a),
        Expr::Bin(_, a, b) => has_input(a) || has_input(b),
    }
}

fn param_mask(e: &Expr) -> u64 {
    match e {
        Expr::Param(j) => 1 << j,
        Expr::Num(_) | Expr::Input(_) => 0,
        Expr::Neg(a) | Expr::Call(_, a) => param_mask(a),
        Expr::Bin(_, a, b) => param_mask(a) | param_mask(b),
    }
}

struct Compiler {
    uniform: Vec<(Expr, u64)>,
    inputs: Vec<(usize, bool)>,
    code: Vec<(Kind, Operand, Operand, u64)>,
}

/// A slot before numbering: uniform, input or instruction number.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Operand {
    Uniform(usize),
    Input(usize),
    Code(usize),
}

impl Compiler {
    fn input(&mut self, j: usize, ln: bool) -> Operand {
        let k = match self.inputs.iter().position(|&v| v == (j, ln)) {
            Some(k) => k,
            None => {
                self.inputs.push((j, ln));
                self.inputs.len() - 1
            }
        };
        Operand::Input(k)
    }
    fn mask(&self, o: Operand) -> u64 {
        match o {
            Operand::Uniform(k) => self.uniform[k].1,
            Operand::Input(_) => 0,
            Operand::Code(k) => self.code[k].3,
        }
    }
    fn push(&mut self, kind: Kind, a: Operand, b: Operand) -> Operand {
        let mask = match kind {
            Kind::Add | Kind::Sub | Kind::Mul | Kind::Div | Kind::Pow(_) => {
                self.mask(a) | self.mask(b)
            }
            _ => self.mask(a),
        };
        self.code.push((kind, a, b, mask));
        Operand::Code(self.code.len() - 1)
    }
    fn compile(&mut self, e: &Expr) -> Operand {
        if !has_input(e) {
            self.uniform.push((e.clone(), param_mask(e)));
            return Operand::Uniform(self.uniform.len() - 1);
        }
        match e {
            Expr::Input(j) => self.input(*j, false),
            Expr::Neg(a) => {
                let a = self.compile(a);
                self.push(Kind::Neg, a, a)
            }
            Expr::Call(f, a) => {
                let a = self.compile(a);
                self.push(Kind::Call(*f), a, a)
            }
            Expr::Bin(Op::Pow, a, b) => {
                if let Expr::Num(k) = **b {
                    // As the tree walker: powi for small integers, powf else.
                    let kind = if k.fract() == 0.0 && k.abs() < 64.0 {
                        Kind::PowInt(k as i32)
                    } else {
                        Kind::PowConst(k)
                    };
                    let a = self.compile(a);
                    return self.push(kind, a, a);
                }
                let ln = match **a {
                    Expr::Input(j) => Some(self.input(j, true)),
                    _ => None,
                };
                let (a, b) = (self.compile(a), self.compile(b));
                // The ln slot is numbered after compilation (see `number`).
                let kind = Kind::Pow(ln.map(|o| match o {
                    Operand::Input(k) => k,
                    _ => unreachable!(),
                }));
                self.push(kind, a, b)
            }
            Expr::Bin(op, a, b) => {
                let (a, b) = (self.compile(a), self.compile(b));
                let kind = match op {
                    Op::Add => Kind::Add,
                    Op::Sub => Kind::Sub,
                    Op::Mul => Kind::Mul,
                    Op::Div => Kind::Div,
                    Op::Pow => unreachable!(),
                };
                self.push(kind, a, b)
            }
            Expr::Num(_) | Expr::Param(_) => unreachable!("uniform"),
        }
    }
}

impl Program {
    /// Compile `expr` (over `params` parameters). `None` when the formula
    /// has no input (a constant law) or more than 64 parameters: such laws
    /// keep the point-by-point path.
    pub fn compile(expr: &Expr, params: usize) -> Option<Program> {
        if params > 64 || !has_input(expr) {
            return None;
        }
        let mut c = Compiler {
            uniform: Vec::new(),
            inputs: Vec::new(),
            code: Vec::new(),
        };
        let root = c.compile(expr);
        let nu = c.uniform.len();
        let ni = c.inputs.len();
        let slot = |o: Operand| match o {
            Operand::Uniform(k) => k,
            Operand::Input(k) => nu + k,
            Operand::Code(k) => nu + ni + k,
        };
        let mask = |o: Operand, c: &Compiler| c.mask(o);
        let code = c
            .code
            .iter()
            .enumerate()
            .map(|(i, &(kind, a, b, m))| {
                let binary = matches!(
                    kind,
                    Kind::Add | Kind::Sub | Kind::Mul | Kind::Div | Kind::Pow(_)
                );
                let (ma, mb) = (mask(a, &c), if binary { mask(b, &c) } else { 0 });
                let grads = (0..params)
                    .filter(|k| m >> k & 1 == 1)
                    .map(|k| {
                        let side = match (ma >> k & 1 == 1, mb >> k & 1 == 1) {
                            (true, true) => Side::Both,
                            (true, false) => Side::A,
                            _ => Side::B,
                        };
                        (k, side)
                    })
                    .collect();
                let kind = match kind {
                    Kind::Pow(Some(k)) => Kind::Pow(Some(nu + k)),
                    k => k,
                };
                Instr {
                    kind,
                    dst: nu + ni + i,
                    a: slot(a),
                    b: slot(b),
                    grads,
                }
            })
            .collect();
        Some(Program {
            params,
            inputs: c
                .inputs
                .iter()
                .enumerate()
                .map(|(k, &(j, ln))| (nu + k, j, ln))
                .collect(),
            uniform: c.uniform,
            slots: nu + ni + c.code.len(),
            root: slot(root),
            code,
        })
    }

    /// Columns per slot: the value and one gradient per parameter.
    fn stride(&self) -> usize {
        1 + self.params
    }

    /// Values (`out`) and gradients (`jac`, row major, one row of the
    /// parameters per point) at the points of `x` (row major, `dim` inputs
    /// per point; `lnx` their ln), with respect to the internal parameters:
    /// `scale[k]` is d(natural)/d(internal) of parameter k. `ln`: ln of the
    /// prediction and its gradient (as [`super::super::Model::ln_batch`]).
    /// `fallback(i, row)`: the point-by-point evaluation of point `i`,
    /// used for the blocks the fast path declines. Returns false (and
    /// writes nothing) when a subtree without inputs is not finite: the
    /// caller then evaluates every point by itself.
    #[allow(clippy::too_many_arguments)]
    pub fn batch(
        &self,
        x: &[f64],
        lnx: &[f64],
        dim: usize,
        nat: &[f64],
        scale: &[f64],
        ln: bool,
        out: &mut [f64],
        jac: &mut [f64],
        fallback: &mut dyn FnMut(usize, &mut [f64]) -> f64,
    ) -> bool {
        let p = self.params;
        let n = out.len();
        BUF.with(|cell| {
            let mut buf = cell.borrow_mut();
            let need = self.slots * self.stride() * WIDE;
            if buf.len() < need {
                buf.resize(need, 0.0);
            }
            if !self.fill_uniform(nat, &mut buf) {
                return false;
            }
            let mut trouble = Vec::new();
            run(
                self,
                x,
                lnx,
                dim,
                scale,
                ln,
                out,
                jac,
                &mut buf[..],
                &mut trouble,
            );
            for (start, len) in trouble {
                for i in start..(start + len).min(n) {
                    out[i] = fallback(i, &mut jac[i * p..(i + 1) * p]);
                }
            }
            true
        })
    }

    /// Broadcast the uniform subtrees' values and gradients (by the tree
    /// walker, with dual numbers, as the point-by-point path) into their
    /// slots for both block widths: false if one is not finite. Every
    /// parameter's pass runs, also those the subtree does not read: a
    /// derivative factor that is not finite (sqrt at 0) makes the tree
    /// walker's gradient NaN for every parameter.
    fn fill_uniform(&self, nat: &[f64], buf: &mut [f64]) -> bool {
        let s = self.stride();
        let mut duals: Vec<Dual64> = nat.iter().map(|&v| Dual64::from(v)).collect();
        for (slot, (e, _)) in self.uniform.iter().enumerate() {
            let mut col = vec![0.0; s];
            col[0] = eval::<f64>(e, &[], nat);
            for k in 0..self.params {
                duals[k].eps = 1.0;
                let r = eval(e, &[], &duals);
                duals[k].eps = 0.0;
                col[0] = r.re;
                col[1 + k] = r.eps;
            }
            if !col.iter().all(|v| v.is_finite()) {
                return false;
            }
            for (c, &v) in col.iter().enumerate() {
                // The same slot serves both widths: WIDE lanes hold both.
                let at = (slot * s + c) * WIDE;
                buf[at..at + WIDE].fill(v);
            }
        }
        true
    }
}

thread_local! {
    static BUF: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

crate::multiversion! {
    /// Every block of points through the program: full blocks of `WIDE`
    /// lanes, then blocks of `NARROW`; the (first point, length) of the
    /// blocks the fast path declined go to `trouble`.
    #[allow(clippy::too_many_arguments)]
    fn run(
        prog: &Program,
        x: &[f64],
        lnx: &[f64],
        dim: usize,
        scale: &[f64],
        ln: bool,
        out: &mut [f64],
        jac: &mut [f64],
        buf: &mut [f64],
        trouble: &mut Vec<(usize, usize)>,
    ) {
        let n = out.len();
        let mut start = 0;
        while start < n {
            let len = n - start;
            let ok = if len >= WIDE {
                block::<FMA, WIDE>(prog, x, lnx, dim, scale, ln, start, WIDE, out, jac, buf)
            } else {
                block::<FMA, NARROW>(prog, x, lnx, dim, scale, ln, start, len.min(NARROW), out, jac, buf)
            };
            let len = if len >= WIDE { WIDE } else { len.min(NARROW) };
            if !ok {
                trouble.push((start, len));
            }
            start += len;
        }
    }
}

/// A column of `W` lanes of slot `slot` (column 0: value, 1 + k: gradient
/// of parameter k), in a buffer whose columns are `WIDE` apart.
#[inline(always)]
fn col<const W: usize>(buf: &[f64], stride: usize, slot: usize, c: usize) -> &[f64; W] {
    let at = (slot * stride + c) * WIDE;
    buf[at..at + W].try_into().unwrap()
}

/// Adds 0 to `chk` where `v` is finite, NaN elsewhere.
#[inline(always)]
fn check<const W: usize>(chk: &mut [f64; W], v: &[f64; W]) {
    for l in 0..W {
        chk[l] += v[l] * 0.0;
    }
}

/// Adds 0 to `chk` where `lo <= v <= hi`, NaN elsewhere (and for NaN).
#[inline(always)]
fn check_range<const W: usize>(chk: &mut [f64; W], v: &[f64; W], lo: f64, hi: f64) {
    for l in 0..W {
        chk[l] += if v[l] >= lo && v[l] <= hi {
            0.0
        } else {
            f64::NAN
        };
    }
}

/// The arguments of the fast exp that give a normal, finite result.
const EXP_LO: f64 = -708.0;
const EXP_HI: f64 = 709.0;

/// One block of `len` points from `start` (the lanes past `len` repeat the
/// last point): false if the fast path declines it (nothing is written).
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
fn block<const FMA: bool, const W: usize>(
    prog: &Program,
    x: &[f64],
    lnx: &[f64],
    dim: usize,
    scale: &[f64],
    ln: bool,
    start: usize,
    len: usize,
    out: &mut [f64],
    jac: &mut [f64],
    buf: &mut [f64],
) -> bool {
    let s = prog.stride();
    let p = prog.params;
    let mut chk = [0.0f64; W];
    for &(slot, j, is_ln) in &prog.inputs {
        let src = if is_ln { lnx } else { x };
        let at = slot * s * WIDE;
        let c: &mut [f64; W] = (&mut buf[at..at + W]).try_into().unwrap();
        for l in 0..W {
            c[l] = src[(start + l.min(len - 1)) * dim + j];
        }
        check(&mut chk, c);
    }
    for ins in &prog.code {
        let (lo, hi) = buf.split_at_mut(ins.dst * s * WIDE);
        let a = col::<W>(lo, s, ins.a, 0);
        let b = col::<W>(lo, s, ins.b, 0);
        let mut v = [0.0f64; W];
        // d dst / d a (unary instructions and powers of a constant).
        let mut f1 = [0.0f64; W];
        let mut unary = true;
        match ins.kind {
            Kind::Neg => {
                for l in 0..W {
                    v[l] = -a[l];
                    f1[l] = -1.0;
                }
            }
            Kind::Add | Kind::Sub | Kind::Mul | Kind::Div => {
                unary = false;
                for l in 0..W {
                    v[l] = match ins.kind {
                        Kind::Add => a[l] + b[l],
                        Kind::Sub => a[l] - b[l],
                        Kind::Mul => a[l] * b[l],
                        _ => a[l] / b[l],
                    };
                }
            }
            Kind::PowInt(k) => {
                let m = k.unsigned_abs();
                if k == 0 {
                    v = [1.0; W];
                } else if k > 0 {
                    // a^(k-1) by squaring, then one more factor.
                    let q = powi_col(a, m - 1);
                    for l in 0..W {
                        v[l] = q[l] * a[l];
                        f1[l] = k as f64 * q[l];
                    }
                } else {
                    let q = powi_col(a, m);
                    for l in 0..W {
                        v[l] = 1.0 / q[l];
                        f1[l] = k as f64 * v[l] / a[l];
                    }
                }
            }
            Kind::PowConst(k) => {
                check_range(&mut chk, a, f64::MIN_POSITIVE, f64::MAX);
                let mut z = [0.0f64; W];
                for l in 0..W {
                    z[l] = k * ln_positive_k::<FMA>(a[l]);
                }
                check_range(&mut chk, &z, EXP_LO, EXP_HI);
                for l in 0..W {
                    v[l] = exp_k::<FMA>(z[l]);
                    f1[l] = k * v[l] / a[l];
                }
            }
            Kind::Pow(ln_slot) => {
                unary = false;
                check_range(&mut chk, a, f64::MIN_POSITIVE, f64::MAX);
                let mut la = [0.0f64; W];
                match ln_slot {
                    Some(sl) => la = *col::<W>(lo, s, sl, 0),
                    None => {
                        for l in 0..W {
                            la[l] = ln_positive_k::<FMA>(a[l]);
                        }
                    }
                }
                let mut z = [0.0f64; W];
                for l in 0..W {
                    z[l] = la[l] * b[l];
                }
                check_range(&mut chk, &z, EXP_LO, EXP_HI);
                for l in 0..W {
                    v[l] = exp_k::<FMA>(z[l]);
                }
                // d/da = v b / a, d/db = v ln a.
                let mut da = [0.0f64; W];
                let mut db = [0.0f64; W];
                for l in 0..W {
                    da[l] = v[l] * b[l] / a[l];
                    db[l] = v[l] * la[l];
                }
                check(&mut chk, &da);
                write_grads::<FMA, W>(hi, s, ins, lo, &da, &db);
            }
            Kind::Call(f) => match f {
                Func::Exp => {
                    check_range(&mut chk, a, EXP_LO, EXP_HI);
                    for l in 0..W {
                        v[l] = exp_k::<FMA>(a[l]);
                        f1[l] = v[l];
                    }
                }
                Func::Ln | Func::Log10 => {
                    check_range(&mut chk, a, f64::MIN_POSITIVE, f64::MAX);
                    let c = if f == Func::Ln {
                        1.0
                    } else {
                        std::f64::consts::LOG10_E
                    };
                    for l in 0..W {
                        v[l] = ln_positive_k::<FMA>(a[l]) * c;
                        f1[l] = c / a[l];
                    }
                }
                Func::Sqrt => {
                    for l in 0..W {
                        v[l] = a[l].sqrt();
                        f1[l] = v[l] * (1.0 / a[l]) * 0.5;
                    }
                }
            },
        }
        check(&mut chk, &v);
        if unary {
            check(&mut chk, &f1);
            for &(k, _) in &ins.grads {
                let ga = col::<W>(lo, s, ins.a, 1 + k);
                let at = 1 + k;
                let g: &mut [f64; W] = (&mut hi[at * WIDE..at * WIDE + W]).try_into().unwrap();
                for l in 0..W {
                    g[l] = ga[l] * f1[l];
                }
            }
        } else if !matches!(ins.kind, Kind::Pow(_)) {
            // d/da and d/db of a + b, a - b, a * b, a / b.
            let mut da = [1.0f64; W];
            let mut db = [1.0f64; W];
            match ins.kind {
                Kind::Sub => db = [-1.0; W],
                Kind::Mul => {
                    da = *b;
                    db = *a;
                }
                Kind::Div => {
                    for l in 0..W {
                        da[l] = 1.0 / b[l];
                        db[l] = -v[l] * da[l];
                    }
                }
                _ => {}
            }
            write_grads::<FMA, W>(hi, s, ins, lo, &da, &db);
        }
        let d: &mut [f64; W] = (&mut hi[..W]).try_into().unwrap();
        *d = v;
    }
    // The root's value and gradient, then ln of it if asked.
    let (_, root) = buf.split_at_mut(prog.root * s * WIDE);
    let mut v = *col::<W>(root, s, 0, 0);
    let mut inv = [1.0f64; W];
    if ln {
        check_range(&mut chk, &v, f64::MIN_POSITIVE, f64::MAX);
        for l in 0..W {
            inv[l] = 1.0 / v[l];
            v[l] = ln_positive_k::<FMA>(v[l]);
        }
    }
    for k in 0..p {
        let gk = col::<W>(root, s, 0, 1 + k);
        let c = scale[k];
        let mut g = [0.0f64; W];
        for l in 0..W {
            g[l] = gk[l] * c * inv[l];
        }
        check(&mut chk, &g);
        // The block's gradient columns, kept in the root slot.
        let at = (1 + k) * WIDE;
        root[at..at + W].copy_from_slice(&g);
    }
    if chk.iter().any(|c| c.is_nan()) {
        return false;
    }
    out[start..start + len].copy_from_slice(&v[..len]);
    for l in 0..len {
        let row = &mut jac[(start + l) * p..(start + l + 1) * p];
        for (k, r) in row.iter_mut().enumerate() {
            *r = root[(1 + k) * WIDE + l];
        }
    }
    true
}

/// The gradient columns of a binary instruction (or a power): d dst / d
/// param k = da g_a,k + db g_b,k over the parameters it depends on.
#[inline(always)]
fn write_grads<const FMA: bool, const W: usize>(
    hi: &mut [f64],
    s: usize,
    ins: &Instr,
    lo: &[f64],
    da: &[f64; W],
    db: &[f64; W],
) {
    for &(k, side) in &ins.grads {
        let at = 1 + k;
        let mut g = [0.0f64; W];
        match side {
            Side::A => {
                let ga = col::<W>(lo, s, ins.a, at);
                for l in 0..W {
                    g[l] = ga[l] * da[l];
                }
            }
            Side::B => {
                let gb = col::<W>(lo, s, ins.b, at);
                for l in 0..W {
                    g[l] = gb[l] * db[l];
                }
            }
            Side::Both => {
                let ga = col::<W>(lo, s, ins.a, at);
                let gb = col::<W>(lo, s, ins.b, at);
                for l in 0..W {
                    g[l] = fmadd::<FMA>(ga[l], da[l], gb[l] * db[l]);
                }
            }
        }
        hi[at * WIDE..at * WIDE + W].copy_from_slice(&g);
    }
}

/// a^m for each lane by repeated squaring (m >= 0).
#[inline(always)]
fn powi_col<const W: usize>(a: &[f64; W], m: u32) -> [f64; W] {
    let mut acc = [1.0f64; W];
    let mut b = *a;
    let mut e = m;
    while e > 0 {
        if e & 1 == 1 {
            for l in 0..W {
                acc[l] *= b[l];
            }
        }
        e >>= 1;
        if e > 0 {
            for v in b.iter_mut() {
                *v *= *v;
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::super::{formula_law, parse};
    use super::*;
    use crate::law::{Law, Transform};
    use rand::{RngExt, SeedableRng};

    fn names(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    /// The same number, or both non-finite of the same kind (NaN, +inf or
    /// -inf), or within `tol` relative.
    fn same(new: f64, old: f64, tol: f64) -> bool {
        if !old.is_finite() || !new.is_finite() {
            return new.to_bits() == old.to_bits() || (new.is_nan() && old.is_nan());
        }
        (new - old).abs() <= tol * old.abs().max(new.abs())
    }

    /// The program against the point-by-point path (`Model::ln_value_grad`
    /// and `value_grad`, dual numbers through the tree) at every point:
    /// values to 1e-12 relative, gradients to 1e-10, non-finite results
    /// alike. Returns how many points the fast path evaluated.
    fn compare(formula: &str, law: &Law, nat: &[f64], pts: &[[f64; 2]], row_scale: bool) -> usize {
        let dim = law.inputs.len();
        let x: Vec<f64> = pts.iter().flat_map(|p| p[..dim].to_vec()).collect();
        let lnx = crate::fastmath::ln_vec(&x);
        let params = law.param_names_owned();
        let expr = parse(formula, &law.inputs, &params).unwrap();
        let Some(prog) = Program::compile(&expr, nat.len()) else {
            return 0;
        };
        let u = law.to_internal(nat);
        // The parameters as the law sees them (through their transforms).
        let nat = &law.to_natural(&u)[..];
        let scale: Vec<f64> = law
            .params
            .iter()
            .zip(nat)
            .map(|(p, &v)| match p.transform {
                Transform::Identity => 1.0,
                Transform::Log => v,
            })
            .collect();
        let p = nat.len();
        let n = pts.len();
        let mut fast = 0;
        for ln in [true, false] {
            let one = |i: usize, row: &mut [f64]| {
                let (xi, li) = (&x[i * dim..(i + 1) * dim], &lnx[i * dim..(i + 1) * dim]);
                if ln {
                    law.model.ln_value_grad(xi, li, &u, row)
                } else {
                    law.model.value_grad(xi, li, &u, row)
                }
            };
            let mut out = vec![0.0; n];
            let mut jac = vec![0.0; n * p];
            let mut slow = 0;
            let ok = prog.batch(
                &x,
                &lnx,
                dim,
                nat,
                &scale,
                ln,
                &mut out,
                &mut jac,
                &mut |i, row| {
                    slow += 1;
                    one(i, row)
                },
            );
            if !ok {
                slow = n;
                for i in 0..n {
                    out[i] = one(i, &mut jac[i * p..(i + 1) * p]);
                }
            }
            fast += n - slow;
            // The law's own batch path gives the same bits.
            let (mut out2, mut jac2) = (vec![0.0; n], vec![0.0; n * p]);
            if ln {
                law.model.ln_batch(&x, &lnx, dim, &u, &mut out2, &mut jac2);
            } else {
                law.model
                    .value_batch(&x, &lnx, dim, &u, &mut out2, &mut jac2);
            }
            for i in 0..n {
                assert_eq!(out[i].to_bits(), out2[i].to_bits(), "{formula}");
                let mut g = vec![0.0; p];
                let v = one(i, &mut g);
                let at = format!("{formula} (ln {ln}) at {:?}, params {nat:?}", pts[i]);
                let ok = if row_scale && out[i].is_finite() && v.is_finite() {
                    // Relative to the largest value in the tree (a sum
                    // that cancels keeps the rounding of its terms).
                    let m = magnitude(&expr, &x[i * dim..(i + 1) * dim], nat);
                    let m = if ln {
                        1.0f64.max(v.abs())
                    } else {
                        m.max(v.abs())
                    };
                    (out[i] - v).abs() <= 1e-12 * m
                } else {
                    same(out[i], v, 1e-12)
                };
                assert!(ok, "{at}: value {} vs {v}", out[i]);
                let big = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for k in 0..p {
                    let (a, b) = (jac[i * p + k], g[k]);
                    let ok = if row_scale && a.is_finite() && b.is_finite() {
                        (a - b).abs() <= 1e-10 * big
                    } else {
                        same(a, b, 1e-10)
                    };
                    assert!(ok, "{at}: d/du{k} {a} vs {b}");
                    assert_eq!(a.to_bits(), jac2[i * p + k].to_bits());
                }
            }
        }
        fast
    }

    /// The largest |value| of a node of the tree at `x`.
    fn magnitude(e: &Expr, x: &[f64], p: &[f64]) -> f64 {
        let here = eval::<f64>(e, x, p).abs();
        let below = match e {
            Expr::Neg(a) | Expr::Call(_, a) => magnitude(a, x, p),
            Expr::Bin(_, a, b) => magnitude(a, x, p).max(magnitude(b, x, p)),
            _ => 0.0,
        };
        here.max(below)
    }

    /// Points: two full blocks of ordinary ones (positive, spread over
    /// orders of magnitude), a block with the edge cases of the formulas
    /// among them (0, negatives, NaN, infinities, huge and subnormal
    /// values), then a tail of 11: ordinary, then an edge.
    fn points() -> Vec<[f64; 2]> {
        let edges = [
            0.0,
            -0.0,
            -1.0,
            -3.5,
            f64::NAN,
            f64::INFINITY,
            1e300,
            1e-310,
            2.0,
            3.0,
        ];
        (0..203)
            .map(|i| {
                let t = i as f64 / 203.0;
                let x = 10f64.powf(-2.0 + 8.0 * t);
                let y = 10f64.powf(3.0 - 5.0 * ((i * 37) % 203) as f64 / 203.0);
                let edge = (128..192).contains(&i) && i % 4 == 0 || i == 201;
                if edge && i % 8 == 0 {
                    [edges[(i / 8) % edges.len()], y]
                } else if edge {
                    [x, edges[(i / 4 + 3) % edges.len()]]
                } else {
                    [x, y]
                }
            })
            .collect()
    }

    /// Every operator and function of the parser, with the edge cases of
    /// each: overflow of exp and of powers, 0^x (0 for x > 0), negative
    /// bases (NaN for a non-integer power, defined for integer ones),
    /// division by zero, ln and sqrt of 0 and of negatives, NaN inputs.
    #[test]
    fn the_program_matches_the_tree_walker() {
        let xy = names(&["x", "y"]);
        let cases: &[(&str, &[&str], &[f64])] = &[
            ("a / x^b + c", &["a", "c"], &[400.0, 0.3, 1.5]),
            ("a / x^b + c", &[], &[-2.0, 1.7, 0.5]),
            ("a * exp(-b * x) + c", &["c"], &[3.0, 0.01, 0.2]),
            ("exp(a * x) * b + c", &[], &[2.0, 1.0, 1.0]),
            (
                "ln(a + x) * b - log(x) + log10(c * y)",
                &["a"],
                &[1.5, 0.7, 2.0],
            ),
            ("sqrt(a * x) + b / (c + y)", &[], &[2.0, 3.0, -100.0]),
            (
                "sqrt(x) * a + b * y + c",
                &["a", "b", "c"],
                &[2.0, 3.0, 0.1],
            ),
            (
                "a * x^2 + b * x^-2 + c * x^3.5 + x^(-1) * 2",
                &[],
                &[0.5, 1.5, 1e-3],
            ),
            (
                "a * x^0 + b * x^1 + c * x^70 + x^0.5",
                &["b"],
                &[1.0, 2.0, 1e-9],
            ),
            ("a * x^-3 + b * x^3 + c * y^5", &[], &[1.0, -2.0, 0.5]),
            ("(a - x)^b + c", &[], &[5.0, 0.5, 1.0]),
            ("(x - a)^2 * b + c", &["b", "c"], &[10.0, 2.0, 0.3]),
            ("a^x * b + c", &["a"], &[1.01, 2.0, 0.0]),
            ("b * x^a + c", &[], &[0.7, 2.0, 1.0]),
            ("b * x^a + c * y^(a * b)", &["b", "c"], &[-0.7, 2.0, 1.0]),
            ("a / (x - b) + c", &[], &[1.0, 2.0, 0.5]),
            ("-a + +x * pi - 2E3 * b + c / 1e2", &[], &[1.0, 2.0, 3.0]),
            ("exp(a) * x + ln(b) * y + c", &["b"], &[0.5, 3.0, 0.25]),
            ("(x / y)^(a - b) * exp(c)", &[], &[1.0, 0.25, 0.1]),
            (
                "c + 1 / (1 / (a * x) + 1 / (b * y))",
                &["a", "b"],
                &[2.0, 3.0, 0.5],
            ),
            ("-(a * x)^b + log10(y)^2 * c", &[], &[0.5, 0.5, 2.0]),
            ("exp(-(x / a)^b) * c", &["a", "c"], &[300.0, 0.6, 2.0]),
        ];
        let pts = points();
        let mut fast_total = 0;
        for &(f, logs, nat) in cases {
            let law = formula_law(f, &xy, &names(&["a", "b", "c"]), &names(logs)).unwrap();
            let fast = compare(f, &law, nat, &pts, false);
            fast_total += fast;
        }
        // The fast path ran for most points (the edges decline their blocks).
        assert!(fast_total > cases.len() * 2 * 203 / 3, "{fast_total}");
    }

    /// The Chinchilla law and `A / D^alpha + E` written as formulas, on
    /// 1000 points, agree with the tree walker and with the built-in laws.
    #[test]
    fn scaling_law_formulas_take_the_fast_path() {
        let f = "E + A / N^alpha + B / D^beta";
        assert!(Program::compile(
            &parse(
                f,
                &names(&["N", "D"]),
                &names(&["A", "alpha", "B", "beta", "E"])
            )
            .unwrap(),
            5
        )
        .is_some());
        let law = formula_law(
            f,
            &names(&["N", "D"]),
            &names(&["A", "alpha", "B", "beta", "E"]),
            &names(&["A", "B", "E"]),
        )
        .unwrap();
        let pts: Vec<[f64; 2]> = (0..1000)
            .map(|i| {
                let t = i as f64 / 1000.0;
                [
                    10f64.powf(7.0 + 4.0 * t),
                    10f64.powf(9.0 + 3.0 * ((i * 7) % 1000) as f64 / 1000.0),
                ]
            })
            .collect();
        let nat = [406.4, 0.34, 410.7, 0.28, 1.69];
        assert_eq!(compare(f, &law, &nat, &pts, false), 2000);
        let f = "A / D^alpha + E";
        let law = formula_law(
            f,
            &names(&["D"]),
            &names(&["A", "alpha", "E"]),
            &names(&["A", "E"]),
        )
        .unwrap();
        assert_eq!(compare(f, &law, &[2e3, 0.5, 1.5], &pts, false), 2000);
    }

    /// A random formula over x, y and the parameters a, b, c: every
    /// operator and function, nested up to `depth`.
    fn random_formula(rng: &mut impl rand::Rng, depth: usize) -> String {
        let leaf = |rng: &mut dyn rand::Rng| -> String {
            ["x", "y", "a", "b", "c", "2", "0.5", "3", "1.5", "pi"][rng.random_range(0..10)]
                .to_string()
        };
        if depth == 0 || rng.random_range(0..4) == 0 {
            return leaf(rng);
        }
        let a = random_formula(rng, depth - 1);
        match rng.random_range(0..12) {
            0 => format!("({a} + {})", random_formula(rng, depth - 1)),
            1 => format!("({a} - {})", random_formula(rng, depth - 1)),
            2 | 3 => format!("({a} * {})", random_formula(rng, depth - 1)),
            4 => format!("({a} / {})", random_formula(rng, depth - 1)),
            5 => format!("({a})^{}", random_formula(rng, 0)),
            6 => format!("({a})^({})", random_formula(rng, depth - 1)),
            7 => format!("exp({a} / 10)"),
            8 => format!("ln({a})"),
            9 => format!("log10({a})"),
            10 => format!("sqrt({a})"),
            _ => format!("-{a}"),
        }
    }

    /// Random formulas (a fixed seed) at random parameters: the program
    /// matches the tree walker wherever it evaluates, and declines the rest.
    /// Gradients to 1e-10 of the row's largest component (terms that cancel
    /// exactly in the tree walker, a * (y / a), leave a rounding).
    #[test]
    fn random_formulas_match_the_tree_walker() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(22);
        let xy = names(&["x", "y"]);
        let abc = names(&["a", "b", "c"]);
        let pts = points();
        let (mut tried, mut fast) = (0, 0);
        while tried < 300 {
            let f = format!(
                "{} + a * {} + b * c",
                random_formula(&mut rng, 4),
                random_formula(&mut rng, 3)
            );
            if !has_input(&parse(&f, &xy, &abc).unwrap()) {
                continue;
            }
            let logs = if rng.random_range(0..2) == 0 {
                names(&["a"])
            } else {
                vec![]
            };
            let law = formula_law(&f, &xy, &abc, &logs).unwrap();
            let nat: Vec<f64> = (0..3).map(|_| rng.random_range(0.1..3.0)).collect();
            fast += compare(&f, &law, &nat, &pts, true);
            tried += 1;
        }
        assert!(fast > 300 * 2 * 203 / 4, "{fast}");
    }
}
