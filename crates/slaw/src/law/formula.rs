//! User-defined laws from a formula string, e.g. `B/(Dl + D^beta) + E`.
//!
//! A small Pratt parser builds an expression tree; gradients come from
//! forward-mode automatic differentiation with dual numbers (num-dual), one
//! pass per parameter: exact, no finite differences. The batch paths of the
//! objective run the tree compiled into a flat program over blocks of
//! points (see [`program`]).

mod program;

use super::{Law, Model, Param, Transform};
use crate::observations::Domain;
use crate::{Error, Result};
use num_dual::{Dual64, DualNum};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Num(f64),
    Input(usize),
    Param(usize),
    Neg(Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
    Call(Func, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Func {
    Exp,
    Ln,
    Log10,
    Sqrt,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Sym(char),
}

fn err(formula: &str, position: usize, message: impl Into<String>) -> Error {
    // A long formula is quoted around the position only.
    let formula = if formula.len() > 120 {
        let lo = (0..=position.saturating_sub(40).min(formula.len()))
            .rev()
            .find(|&i| formula.is_char_boundary(i))
            .unwrap_or(0);
        let hi = (position.saturating_add(40).min(formula.len())..=formula.len())
            .find(|&i| formula.is_char_boundary(i))
            .unwrap_or(formula.len());
        format!(
            "{}{}{}",
            if lo > 0 { "..." } else { "" },
            &formula[lo..hi],
            if hi < formula.len() { "..." } else { "" }
        )
    } else {
        formula.to_string()
    };
    Error::Formula {
        formula,
        position,
        message: message.into(),
    }
}

fn tokenize(s: &str) -> Result<Vec<(Tok, usize)>> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i] as char;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && i + 1 < b.len() && (b[i + 1] as char).is_ascii_digit())
        {
            let start = i;
            while i < b.len() && ((b[i] as char).is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                let save = i;
                i += 1;
                if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                    i += 1;
                }
                if i < b.len() && (b[i] as char).is_ascii_digit() {
                    while i < b.len() && (b[i] as char).is_ascii_digit() {
                        i += 1;
                    }
                } else {
                    i = save; // `2E` is 2 times a parameter named E
                }
            }
            let text = &s[start..i];
            let v: f64 = text
                .parse()
                .map_err(|_| err(s, start, format!("bad number '{text}'")))?;
            out.push((Tok::Num(v), start));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && ((b[i] as char).is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Ident(s[start..i].to_string()), start));
        } else if c == '`' {
            // A quoted name: a column whose name has spaces or symbols.
            let start = i;
            let end = s[i + 1..]
                .find('`')
                .ok_or_else(|| err(s, start, "unclosed ` quote"))?;
            let name = &s[i + 1..i + 1 + end];
            if name.is_empty() {
                return Err(err(s, start, "empty ` quoted name"));
            }
            out.push((Tok::Ident(name.to_string()), start));
            i += end + 2;
        } else if "+-*/^()".contains(c) {
            out.push((Tok::Sym(c), i));
            i += 1;
        } else {
            return Err(err(s, i, format!("unexpected character '{c}'")));
        }
    }
    Ok(out)
}

/// The deepest expression tree a formula may build (nesting of
/// parentheses, functions and `^`, and the length of a chain of `+`/`*`):
/// evaluation recurses once per level, so this bounds the stack it needs.
/// Scaling laws are a few levels deep.
pub const MAX_DEPTH: usize = 200;

struct Parser<'a> {
    src: &'a str,
    /// Calls of `expr` in progress (the parser's own recursion).
    level: usize,
    toks: Vec<(Tok, usize)>,
    pos: usize,
    inputs: &'a [String],
    params: &'a [String],
    used_params: Vec<bool>,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(self.src.len(), |t| t.1)
    }
    fn too_deep(&self, at: usize) -> Error {
        err(
            self.src,
            at,
            format!(
                "the formula is nested too deeply (more than {MAX_DEPTH} levels of parentheses, functions, powers or terms in one chain)"
            ),
        )
    }
    fn expr(&mut self, min_bp: u8) -> Result<Expr> {
        Ok(self.expr_depth(min_bp)?.0)
    }
    /// An expression and the depth of its tree.
    fn expr_depth(&mut self, min_bp: u8) -> Result<(Expr, usize)> {
        let start = self.offset();
        if self.level >= MAX_DEPTH {
            return Err(self.too_deep(start));
        }
        self.level += 1;
        let r = self.expr_inner(min_bp);
        self.level -= 1;
        let (e, d) = r?;
        if d > MAX_DEPTH {
            return Err(self.too_deep(start));
        }
        Ok((e, d))
    }
    fn expr_inner(&mut self, min_bp: u8) -> Result<(Expr, usize)> {
        let start = self.offset();
        let tok = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or_else(|| err(self.src, start, "unexpected end of formula"))?;
        self.pos += 1;
        let (mut lhs, mut depth) = match tok.0 {
            Tok::Num(v) => (Expr::Num(v), 1),
            Tok::Sym('-') => {
                let (e, d) = self.expr_depth(5)?;
                (Expr::Neg(Box::new(e)), d + 1)
            }
            Tok::Sym('+') => self.expr_depth(5)?,
            Tok::Sym('(') => {
                let e = self.expr_depth(0)?;
                self.expect(')')?;
                e
            }
            Tok::Ident(name) => {
                if self.peek() == Some(&Tok::Sym('(')) {
                    let f = match name.as_str() {
                        "exp" => Func::Exp,
                        "ln" | "log" => Func::Ln,
                        "log10" => Func::Log10,
                        "sqrt" => Func::Sqrt,
                        _ => {
                            return Err(err(
                                self.src,
                                tok.1,
                                format!(
                                    "unknown function '{name}' (known: exp, ln, log, log10, sqrt)"
                                ),
                            ))
                        }
                    };
                    self.pos += 1;
                    let (arg, d) = self.expr_depth(0)?;
                    self.expect(')')?;
                    (Expr::Call(f, Box::new(arg)), d + 1)
                } else if let Some(j) = self.params.iter().position(|p| *p == name) {
                    self.used_params[j] = true;
                    (Expr::Param(j), 1)
                } else if let Some(j) = self.inputs.iter().position(|p| *p == name) {
                    (Expr::Input(j), 1)
                } else if name == "pi" {
                    (Expr::Num(std::f64::consts::PI), 1)
                } else {
                    return Err(err(
                        self.src,
                        tok.1,
                        format!(
                            "unknown name '{name}': not a parameter ({}) nor an input ({})",
                            self.params.join(", "),
                            self.inputs.join(", ")
                        ),
                    ));
                }
            }
            Tok::Sym(c) => return Err(err(self.src, tok.1, format!("unexpected '{c}'"))),
        };
        loop {
            let op = match self.peek() {
                Some(Tok::Sym('+')) => Op::Add,
                Some(Tok::Sym('-')) => Op::Sub,
                Some(Tok::Sym('*')) => Op::Mul,
                Some(Tok::Sym('/')) => Op::Div,
                Some(Tok::Sym('^')) => Op::Pow,
                Some(Tok::Sym(')')) | None => break,
                Some(_) => return Err(err(self.src, self.offset(), "expected an operator")),
            };
            // (left binding power, right binding power); ^ is right-associative
            // and binds tighter than unary minus on its left: -x^2 = -(x^2).
            let (l_bp, r_bp) = match op {
                Op::Add | Op::Sub => (1, 2),
                Op::Mul | Op::Div => (3, 4),
                Op::Pow => (7, 6),
            };
            if l_bp < min_bp {
                break;
            }
            let at = self.offset();
            self.pos += 1;
            let (rhs, d) = self.expr_depth(r_bp)?;
            depth = depth.max(d) + 1;
            if depth > MAX_DEPTH {
                return Err(self.too_deep(at));
            }
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok((lhs, depth))
    }
    fn expect(&mut self, c: char) -> Result<()> {
        if self.peek() == Some(&Tok::Sym(c)) {
            self.pos += 1;
            Ok(())
        } else {
            Err(err(self.src, self.offset(), format!("expected '{c}'")))
        }
    }
}

fn parse(src: &str, inputs: &[String], params: &[String]) -> Result<Expr> {
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return Err(err(src, 0, "empty formula"));
    }
    let mut p = Parser {
        src,
        toks,
        level: 0,
        pos: 0,
        inputs,
        params,
        used_params: vec![false; params.len()],
    };
    let e = p.expr(0)?;
    if p.pos < p.toks.len() {
        return Err(err(
            src,
            p.offset(),
            "unexpected text after the end of the formula",
        ));
    }
    if let Some(j) = p.used_params.iter().position(|u| !u) {
        // About the whole formula, not a token of it: no position to give
        // (it used to read "at position 0").
        return Err(Error::Data(format!(
            "formula '{src}': parameter '{}' is listed among its parameters but does not \
             appear in it",
            params[j]
        )));
    }
    Ok(e)
}

/// A value type the expression can be evaluated in: f64 or a dual number.
trait Num: DualNum<Primitive = f64> + Copy {}
impl<T: DualNum<Primitive = f64> + Copy> Num for T {}

fn eval<T: Num>(e: &Expr, x: &[f64], p: &[T]) -> T {
    match e {
        Expr::Num(v) => T::from(*v),
        Expr::Input(j) => T::from(x[*j]),
        Expr::Param(j) => p[*j],
        Expr::Neg(a) => -eval(a, x, p),
        Expr::Bin(op, a, b) => {
            let l = eval(a, x, p);
            match op {
                Op::Add => l + eval(b, x, p),
                Op::Sub => l - eval(b, x, p),
                Op::Mul => l * eval(b, x, p),
                Op::Div => l / eval(b, x, p),
                Op::Pow => {
                    if let Expr::Num(k) = **b {
                        if k.fract() == 0.0 && k.abs() < 64.0 {
                            return l.powi(k as i32);
                        }
                        return l.powf(k);
                    }
                    let r = eval(b, x, p);
                    // 0^y = 0 for y > 0, with a zero derivative (e.g. D^beta at D = 0).
                    if l.re() == 0.0 && r.re() > 0.0 {
                        return T::from(0.0);
                    }
                    (l.ln() * r).exp()
                }
            }
        }
        Expr::Call(f, a) => {
            let v = eval(a, x, p);
            match f {
                Func::Exp => v.exp(),
                Func::Ln => v.ln(),
                Func::Log10 => v.log10(),
                Func::Sqrt => v.sqrt(),
            }
        }
    }
}

struct FormulaModel {
    expr: Expr,
    transforms: Vec<Transform>,
    /// The tree compiled for the batch paths (`None`: point by point).
    program: Option<program::Program>,
}

impl FormulaModel {
    fn natural(&self, u: &[f64]) -> Vec<f64> {
        u.iter()
            .zip(&self.transforms)
            .map(|(&v, t)| t.to_natural(v))
            .collect()
    }
}

impl Model for FormulaModel {
    fn numeric_rescale(&self) -> bool {
        true
    }
    fn value_grad(&self, x: &[f64], _lnx: &[f64], u: &[f64], grad: &mut [f64]) -> f64 {
        let nat = self.natural(u);
        let mut duals: Vec<Dual64> = nat.iter().map(|&v| Dual64::from(v)).collect();
        let mut value = f64::NAN;
        for j in 0..nat.len() {
            duals[j].eps = 1.0;
            let r = eval(&self.expr, x, &duals);
            duals[j].eps = 0.0;
            value = r.re;
            // chain rule for log-transformed parameters: dp/du = p
            grad[j] = match self.transforms[j] {
                Transform::Identity => r.eps,
                Transform::Log => r.eps * nat[j],
            };
        }
        value
    }
    fn value(&self, x: &[f64], _lnx: &[f64], u: &[f64]) -> f64 {
        eval(&self.expr, x, &self.natural(u))
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
        self.batch(x, lnx, dim, u, true, out, jac);
    }
    fn value_batch(
        &self,
        x: &[f64],
        lnx: &[f64],
        dim: usize,
        u: &[f64],
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        self.batch(x, lnx, dim, u, false, out, jac);
    }
}

impl FormulaModel {
    /// The batch path (of ln f when `ln`): the compiled program, with the
    /// points it declines (and every point when there is no program)
    /// evaluated one by one by the tree walker.
    #[allow(clippy::too_many_arguments)]
    fn batch(
        &self,
        x: &[f64],
        lnx: &[f64],
        dim: usize,
        u: &[f64],
        ln: bool,
        out: &mut [f64],
        jac: &mut [f64],
    ) {
        let mut one = |i: usize, row: &mut [f64]| {
            let (xi, li) = (&x[i * dim..(i + 1) * dim], &lnx[i * dim..(i + 1) * dim]);
            if ln {
                self.ln_value_grad(xi, li, u, row)
            } else {
                self.value_grad(xi, li, u, row)
            }
        };
        if let Some(prog) = &self.program {
            let nat = self.natural(u);
            // d(natural)/d(internal): p for a log parameter (dp/du = p).
            let scale: Vec<f64> = nat
                .iter()
                .zip(&self.transforms)
                .map(|(&v, t)| match t {
                    Transform::Identity => 1.0,
                    Transform::Log => v,
                })
                .collect();
            if prog.batch(x, lnx, dim, &nat, &scale, ln, out, jac, &mut one) {
                return;
            }
        }
        let p = u.len();
        for (i, o) in out.iter_mut().enumerate() {
            *o = one(i, &mut jac[i * p..(i + 1) * p]);
        }
    }
}

/// An expression over a table's columns (`--derive NAME=EXPR`), e.g.
/// `C / (6 * N)` or `` `Training FLOP` / (6 * `Model Size`) ``.
#[derive(Debug, Clone)]
pub struct ColumnExpr {
    expr: Expr,
    /// The columns the expression reads.
    pub used: Vec<usize>,
}

impl ColumnExpr {
    /// Parse `expr` with the table's `columns` as its variables.
    pub fn parse(expr: &str, columns: &[String]) -> Result<ColumnExpr> {
        let e = parse(expr, columns, &[])?;
        let mut used = Vec::new();
        fn walk(e: &Expr, used: &mut Vec<usize>) {
            match e {
                Expr::Input(j) if !used.contains(j) => used.push(*j),
                Expr::Neg(a) | Expr::Call(_, a) => walk(a, used),
                Expr::Bin(_, a, b) => {
                    walk(a, used);
                    walk(b, used);
                }
                _ => {}
            }
        }
        walk(&e, &mut used);
        Ok(ColumnExpr { expr: e, used })
    }

    /// The value on a row given every column's value (unused ones ignored).
    pub fn eval(&self, row: &[f64]) -> f64 {
        eval::<f64>(&self.expr, row, &[])
    }
}

/// Build a law from a formula over the given inputs and parameters. Bounds
/// and grids start from defaults (linear: unbounded, grid {0.5, 1, 2};
/// log: [1e-12, 1e30], grid {0.1, 1, 10}) and are set with `Law::set_param`;
/// `log_params` are fitted as ln p. The search runs on data divided by
/// their own scale (`FitOptions::scale_free`), so the grids are read
/// relative to the data's units: a linear parameter has no bounds, so that
/// its value in the data's units (an amplitude of losses in large units,
/// an offset) is never cut by a bound meant for the normalized problem.
pub fn formula_law(
    formula: &str,
    inputs: &[String],
    params: &[String],
    log_params: &[String],
) -> Result<Law> {
    build(formula, inputs, params, log_params, true)
}

/// [`formula_law`] without the compiled program: the tree walker at every
/// point of the batch paths too (the reference the program is benchmarked
/// against, `slaw bench kernels`).
pub fn formula_law_tree_walker(
    formula: &str,
    inputs: &[String],
    params: &[String],
    log_params: &[String],
) -> Result<Law> {
    build(formula, inputs, params, log_params, false)
}

/// For each parameter of a formula, whether it sets a scale: it appears
/// somewhere outside every exponent and `exp(...)` (an amplitude, an
/// offset, a constant an input is divided by), unlike an exponent. A
/// linear parameter of that kind starts its search near 1 whatever the
/// data's units: fitted in log space, it follows them. An unparsable
/// formula gives all false.
pub fn sets_scale(formula: &str, inputs: &[String], params: &[String]) -> Vec<bool> {
    fn walk(e: &Expr, in_exponent: bool, out: &mut [bool]) {
        match e {
            Expr::Num(_) | Expr::Input(_) => {}
            Expr::Param(i) => {
                if !in_exponent {
                    out[*i] = true;
                }
            }
            Expr::Neg(a) => walk(a, in_exponent, out),
            Expr::Bin(Op::Pow, a, b) => {
                walk(a, in_exponent, out);
                walk(b, true, out);
            }
            Expr::Bin(_, a, b) => {
                walk(a, in_exponent, out);
                walk(b, in_exponent, out);
            }
            Expr::Call(Func::Exp, a) => walk(a, true, out),
            Expr::Call(_, a) => walk(a, in_exponent, out),
        }
    }
    let mut out = vec![false; params.len()];
    if let Ok(e) = parse(formula, inputs, params) {
        walk(&e, false, &mut out);
    }
    out
}

/// For each parameter of a formula, whether it is a rate: it multiplies
/// or divides an expression of the inputs (`k*x`, `x/tau`, `k*(x-m)`)
/// inside a function, a power or a denominator (`exp(-k*x)`, `(x/x0)^-a`,
/// `1/(1+k*x)`), so that it sets the scale of an input. An amplitude
/// (`A*exp(..)`, `A/x^a`) is none. An unparsable formula gives all false.
pub fn rate_params(formula: &str, inputs: &[String], params: &[String]) -> Vec<bool> {
    fn bare(e: &Expr) -> Option<usize> {
        match e {
            Expr::Param(j) => Some(*j),
            Expr::Neg(a) => bare(a),
            _ => None,
        }
    }
    // Whether `e` reads an input.
    fn of_inputs(e: &Expr) -> bool {
        match e {
            Expr::Num(_) | Expr::Param(_) => false,
            Expr::Input(_) => true,
            Expr::Neg(a) | Expr::Call(_, a) => of_inputs(a),
            Expr::Bin(_, a, b) => of_inputs(a) || of_inputs(b),
        }
    }
    fn walk(e: &Expr, nested: bool, out: &mut [bool]) {
        match e {
            Expr::Num(_) | Expr::Input(_) | Expr::Param(_) => {}
            Expr::Neg(a) => walk(a, nested, out),
            Expr::Call(_, a) => walk(a, true, out),
            Expr::Bin(op, a, b) => {
                if nested && matches!(op, Op::Mul | Op::Div) {
                    for (p, q) in [(a, b), (b, a)] {
                        if let Some(j) = bare(p) {
                            if of_inputs(q) {
                                out[j] = true;
                            }
                        }
                    }
                }
                let deeper = matches!(op, Op::Pow);
                walk(a, nested || deeper, out);
                walk(b, nested || deeper || matches!(op, Op::Div), out);
            }
        }
    }
    let mut out = vec![false; params.len()];
    if let Ok(e) = parse(formula, inputs, params) {
        walk(&e, false, &mut out);
    }
    out
}

/// A formula law with its rates ([`rate_params`]) that are searched in
/// linear units moved to log space, for the positive side of their bounds
/// and the positive values of their grid; its other parameters as they are.
/// `None` when the law is not a formula of its own parameters (held or
/// per-group parameters) or has no such rate. The two laws describe the
/// same curves for positive rates: the rate and time-constant forms of a
/// law (`exp(-k*x)`, `exp(-x/tau)`) are one problem in log space, where the
/// multi-start search of either runs the same way (`fit::fit_with` searches
/// both and keeps the lower optimum).
pub fn with_log_rates(law: &Law) -> Option<Law> {
    if law.name != "formula" {
        return None;
    }
    let names = law.param_names_owned();
    let rates = rate_params(&law.formula, &law.inputs, &names);
    let moved: Vec<bool> = law
        .params
        .iter()
        .zip(&rates)
        .map(|(q, &r)| {
            r && q.transform == Transform::Identity
                && q.upper > 0.0
                && q.grid.iter().any(|&v| v > 0.0)
        })
        .collect();
    if !moved.iter().any(|&m| m) {
        return None;
    }
    let logs: Vec<String> = law
        .params
        .iter()
        .zip(&moved)
        .filter(|(q, &m)| m || q.transform == Transform::Log)
        .map(|(q, _)| q.name.clone())
        .collect();
    let mut alt = build(&law.formula, &law.inputs, &names, &logs, true).ok()?;
    for ((a, q), &m) in alt.params.iter_mut().zip(&law.params).zip(&moved) {
        if m {
            a.lower = q.lower.max(1e-12);
            a.upper = q.upper.min(1e30);
            a.grid = q.grid.iter().copied().filter(|&v| v > 0.0).collect();
        } else {
            a.lower = q.lower;
            a.upper = q.upper;
            a.grid = q.grid.clone();
        }
    }
    if alt
        .params
        .iter()
        .any(|a| a.lower >= a.upper && a.transform == Transform::Log)
    {
        return None;
    }
    // The same curve at a point: the formula is the law's own.
    let x = vec![1.5; law.inputs.len()];
    let lnx: Vec<f64> = x.iter().map(|v: &f64| v.ln()).collect();
    let nat: Vec<f64> = law
        .params
        .iter()
        .map(|q| q.grid.get(q.grid.len() / 2).copied().unwrap_or(1.0))
        .collect();
    let nat: Vec<f64> = nat
        .iter()
        .zip(&moved)
        .map(|(&v, &m)| if m { v.abs().max(1e-3) } else { v })
        .collect();
    let (v1, v2) = (
        law.model.value(&x, &lnx, &law.to_internal(&nat)),
        alt.model.value(&x, &lnx, &alt.to_internal(&nat)),
    );
    let same = (v1.is_nan() && v2.is_nan()) || v1 == v2 || (v1 - v2).abs() <= 1e-12 * v1.abs();
    same.then_some(alt)
}

fn build(
    formula: &str,
    inputs: &[String],
    params: &[String],
    log_params: &[String],
    compiled: bool,
) -> Result<Law> {
    if params.is_empty() {
        return Err(Error::setting(
            crate::error::Setting::FormulaParams,
            "a formula law needs the names of its parameters",
        ));
    }
    for (i, p) in params.iter().enumerate() {
        if params[..i].contains(p) {
            return Err(Error::setting(
                crate::error::Setting::FormulaParams,
                format!("parameter '{p}' is listed twice"),
            ));
        }
        if inputs.contains(p) {
            return Err(Error::setting(
                crate::error::Setting::FormulaParams,
                format!("'{p}' is both a parameter and an input column"),
            ));
        }
    }
    for l in log_params {
        if !params.contains(l) {
            return Err(Error::setting(
                crate::error::Setting::LogParams,
                format!("'{l}' is not among the formula's parameters"),
            ));
        }
    }
    let expr = parse(formula, inputs, params)?;
    let transforms: Vec<Transform> = params
        .iter()
        .map(|p| {
            if log_params.contains(p) {
                Transform::Log
            } else {
                Transform::Identity
            }
        })
        .collect();
    let ps = params
        .iter()
        .zip(&transforms)
        .map(|(name, &t)| match t {
            Transform::Log => Param::new(name, t, (1e-12, 1e30), &[0.1, 1.0, 10.0]),
            Transform::Identity => Param::new(
                name,
                t,
                (f64::NEG_INFINITY, f64::INFINITY),
                &[0.5, 1.0, 2.0],
            ),
        })
        .collect();
    Ok(Law {
        name: "formula".into(),
        description: "user-defined law".into(),
        formula: formula.to_string(),
        inputs: inputs.to_vec(),
        domains: vec![Domain::Any; inputs.len()],
        params: ps,
        model: Arc::new(FormulaModel {
            program: compiled
                .then(|| program::Program::compile(&expr, params.len()))
                .flatten(),
            expr,
            transforms,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn eng63_rates_are_the_parameters_that_scale_an_input_inside_a_function() {
        let f = |src: &str, ps: &[&str]| rate_params(src, &names(&["x"]), &names(ps));
        assert_eq!(f("A*exp(-k*x)+E", &["A", "k", "E"]), [false, true, false]);
        assert_eq!(
            f("A*exp(-x/tau)+E", &["A", "tau", "E"]),
            [false, true, false]
        );
        assert_eq!(f("A/(1+k*x)+E", &["A", "k", "E"]), [false, true, false]);
        assert_eq!(f("(x/x0)^-a+E", &["x0", "a", "E"]), [true, false, false]);
        assert_eq!(
            f("A/(1+exp(k*(x-m)))+E", &["A", "k", "m", "E"]),
            [false, true, false, false]
        );
        // exponents and amplitudes are not rates
        assert_eq!(f("A/x^a+E", &["A", "a", "E"]), [false, false, false]);
        assert_eq!(f("A*x^-a+E", &["A", "a", "E"]), [false, false, false]);
        // the alternative law: k in log space, the same curve
        let law = formula_law(
            "A*exp(-k*x)+E",
            &names(&["x"]),
            &names(&["A", "k", "E"]),
            &[],
        )
        .unwrap();
        let alt = with_log_rates(&law).unwrap();
        assert_eq!(alt.params[1].transform, Transform::Log);
        assert_eq!(alt.params[0].transform, Transform::Identity);
        assert!(with_log_rates(&alt).is_none());
        let nat = [2.0, 0.3, 1.5];
        let (x, lnx) = ([4.0], [4f64.ln()]);
        let (a, b) = (
            law.model.value(&x, &lnx, &law.to_internal(&nat)),
            alt.model.value(&x, &lnx, &alt.to_internal(&nat)),
        );
        assert!((a - b).abs() < 1e-12, "{a} {b}");
        // a law without a rate, and a rate the user bounded below zero
        let p = formula_law("A/x^a+E", &names(&["x"]), &names(&["A", "a", "E"]), &[]).unwrap();
        assert!(with_log_rates(&p).is_none());
        let mut neg = law.clone();
        neg.set_param("k", Some((-5.0, -1.0)), None).unwrap();
        assert!(with_log_rates(&neg).is_none());
    }

    #[test]
    fn fx46a_scale_parameters_are_outside_exponents() {
        let f = |src: &str, ps: &[&str]| sets_scale(src, &names(&["x"]), &names(ps));
        assert_eq!(f("(Nc/x)^a", &["Nc", "a"]), vec![true, false]);
        assert_eq!(
            f("A*x^(-alpha)+E", &["A", "alpha", "E"]),
            vec![true, false, true]
        );
        assert_eq!(f("A*exp(-x/c)", &["A", "c"]), vec![true, false]);
        // a parameter both in and out of an exponent sets a scale
        assert_eq!(f("b*x^b", &["b"]), vec![true]);
    }

    #[test]
    fn fx46a_linear_parameters_are_unbounded() {
        let law = formula_law(
            "A*x^(-alpha)+E",
            &names(&["x"]),
            &names(&["A", "alpha", "E"]),
            &names(&["E"]),
        )
        .unwrap();
        assert!(law.params[0].lower == f64::NEG_INFINITY && law.params[0].upper == f64::INFINITY);
        assert_eq!(law.params[2].transform, Transform::Log);
    }

    #[test]
    fn formula_matches_builtin_rectified() {
        let law = formula_law(
            "B/(Dl + D^beta) + E",
            &names(&["D"]),
            &names(&["B", "Dl", "beta", "E"]),
            &names(&["B", "Dl"]),
        )
        .unwrap();
        let builtin = super::super::catalog::rectified();
        let p = [400.0, 1000.0, 0.3, 1.5];
        for d in [0.0, 200.0, 1e5] {
            let a = law.predict(&[d], &p);
            let b = builtin.predict(&[d], &p);
            assert!((a - b).abs() < 1e-12 * b, "{a} vs {b}");
        }
        // gradient w.r.t. ln B equals B/(Dl + D^beta)
        let mut g = [0.0; 4];
        law.model
            .value_grad(&[200.0], &[200f64.ln()], &law.to_internal(&p), &mut g);
        let expect = 400.0 / (1000.0 + 200f64.powf(0.3));
        assert!((g[0] - expect).abs() < 1e-12);
    }

    #[test]
    fn precedence_and_constants() {
        let law = formula_law(
            "-x^2 + 2*3 - E/2 + exp(0) + 1e-1",
            &names(&["x"]),
            &names(&["E"]),
            &[],
        )
        .unwrap();
        let v = law.predict(&[3.0], &[4.0]);
        assert!((v - (-9.0 + 6.0 - 2.0 + 1.0 + 0.1)).abs() < 1e-12, "{v}");
    }

    #[test]
    fn errors_point_at_the_token() {
        let e = formula_law("A / x^ * E", &names(&["x"]), &names(&["A", "E"]), &[]).unwrap_err();
        assert!(matches!(e, Error::Formula { position: 7, .. }), "{e}");
        let e = formula_law("A / y", &names(&["x"]), &names(&["A"]), &[]).unwrap_err();
        assert!(e.to_string().contains("unknown name 'y'"), "{e}");
        let e = formula_law("A * (x + 1", &names(&["x"]), &names(&["A"]), &[]).unwrap_err();
        assert!(e.to_string().contains("expected ')'"), "{e}");
        let e = formula_law("A * x", &names(&["x"]), &names(&["A", "B"]), &[]).unwrap_err();
        assert!(e.to_string().contains("'B' is listed"), "{e}");
        assert!(!e.to_string().contains("position"), "{e}");
    }

    /// Nesting, long chains of terms and of powers: a clear error naming
    /// the limit, never a stack overflow (they used to abort the process).
    #[test]
    fn deep_or_long_formulas_are_refused_not_crashed() {
        let x = names(&["x"]);
        let a = names(&["A"]);
        let n = 20_000;
        let nested = format!("A*{}x{}", "(".repeat(n), ")".repeat(n));
        let sum = format!("A{}", "+x".repeat(n));
        let pow = format!("A*x{}", "^x".repeat(3 * n));
        let neg = format!("A*{}x", "-".repeat(n));
        let funcs = format!("A*{}x{}", "exp(".repeat(n), ")".repeat(n));
        for f in [&nested, &sum, &pow, &neg, &funcs] {
            let e = formula_law(f, &x, &a, &[]).unwrap_err();
            assert!(
                e.to_string().contains("nested too deeply"),
                "{}",
                &e.to_string()[..80]
            );
        }
        // Within the limit it parses and evaluates.
        let ok = format!("A*{}x{}", "(".repeat(150), ")".repeat(150));
        let law = formula_law(&ok, &x, &a, &[]).unwrap();
        assert_eq!(law.predict(&[3.0], &[2.0]), 6.0);
        let ok = format!("A{}", "+x".repeat(150));
        let law = formula_law(&ok, &x, &a, &[]).unwrap();
        assert_eq!(law.predict(&[1.0], &[1.0]), 151.0);
    }
}
