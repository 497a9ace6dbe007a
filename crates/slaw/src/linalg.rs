//! Small dense linear algebra for p x p matrices (p is a law's parameter
//! count, at most a few dozen): a linear solve and a symmetric
//! eigendecomposition. Row-major `Vec<f64>` matrices.

/// Solve `a x = b` by Gaussian elimination with partial pivoting; `None`
/// when `a` is singular to working precision.
pub fn solve(a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    let mut m = a.to_vec();
    let mut x = b.to_vec();
    let scale = m.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    if scale.is_nan() || scale <= 0.0 || !scale.is_finite() {
        return None;
    }
    for k in 0..n {
        let piv = (k..n).max_by(|&i, &j| m[i * n + k].abs().total_cmp(&m[j * n + k].abs()))?;
        if m[piv * n + k].abs() <= 1e-300_f64.max(1e-15 * scale) {
            return None;
        }
        if piv != k {
            for j in 0..n {
                m.swap(k * n + j, piv * n + j);
            }
            x.swap(k, piv);
        }
        for i in k + 1..n {
            let f = m[i * n + k] / m[k * n + k];
            if f != 0.0 {
                for j in k..n {
                    m[i * n + j] -= f * m[k * n + j];
                }
                x[i] -= f * x[k];
            }
        }
    }
    for k in (0..n).rev() {
        let s: f64 = (k + 1..n).map(|j| m[k * n + j] * x[j]).sum();
        x[k] = (x[k] - s) / m[k * n + k];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Eigenvalues (ascending) and unit eigenvectors (column k of the returned
/// row-major matrix belongs to eigenvalue k) of a symmetric matrix, by
/// cyclic Jacobi rotations.
pub fn sym_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let (vals, vecs, _) = jacobi(a, n);
    (vals, vecs)
}

/// The most sweeps [`sym_eigen`] runs (the off-diagonal part falls
/// quadratically once the rotations are small: 4-7 are the rule).
const MAX_SWEEPS: usize = 100;

/// [`sym_eigen`], and the sweeps it took.
fn jacobi(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>, usize) {
    // Symmetrized: a matrix built entry by entry (a product V^T H V) can
    // differ from its transpose by rounding, and the rotations, which read
    // the upper triangle, then never bring the lower one below the stopping
    // test (every sweep up to the cap ran, at 1e-11 of asymmetry).
    let mut m: Vec<f64> = (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            0.5 * (a[i * n + j] + a[j * n + i])
        })
        .collect();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let mut sweeps = 0;
    while sweeps < MAX_SWEEPS {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        let diag: f64 = (0..n).map(|i| m[i * n + i] * m[i * n + i]).sum();
        if off <= 1e-30 * diag || off == 0.0 {
            break;
        }
        sweeps += 1;
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let mkp = m[k * n + p];
                    let mkq = m[k * n + q];
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let mpk = m[p * n + k];
                    let mqk = m[q * n + k];
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let vkp = v[k * n + p];
                    let vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| m[a * n + a].total_cmp(&m[b * n + b]));
    let vals = order.iter().map(|&k| m[k * n + k]).collect();
    let mut vecs = vec![0.0; n * n];
    for (col, &k) in order.iter().enumerate() {
        for i in 0..n {
            vecs[i * n + col] = v[i * n + k];
        }
    }
    (vals, vecs, sweeps)
}

/// [`solve`] for a 3 x 3 system given as rows.
pub fn solve3(a: [[f64; 3]; 3], b: [f64; 3]) -> Option<[f64; 3]> {
    let flat: Vec<f64> = a.iter().flat_map(|r| r.iter().copied()).collect();
    solve(&flat, &b).map(|x| [x[0], x[1], x[2]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_and_diagonalizes() {
        let a = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let x = solve(&a, &[1.0, 2.0, 3.0]).unwrap();
        for i in 0..3 {
            let r: f64 = (0..3).map(|j| a[i * 3 + j] * x[j]).sum();
            assert!((r - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
        let (vals, vecs) = sym_eigen(&a, 3);
        assert!(vals[0] <= vals[1] && vals[1] <= vals[2]);
        for k in 0..3 {
            for i in 0..3 {
                let av: f64 = (0..3).map(|j| a[i * 3 + j] * vecs[j * 3 + k]).sum();
                assert!((av - vals[k] * vecs[i * 3 + k]).abs() < 1e-10);
            }
        }
        assert!(solve(&[1.0, 2.0, 2.0, 4.0], &[1.0, 1.0]).is_none());
    }

    /// A matrix that is symmetric only up to rounding, as the identifiability
    /// check builds one (V^T H V entry by entry; this one is from a Chinchilla
    /// bootstrap refit): the decomposition is the symmetric part's, and it
    /// stops after a handful of sweeps. It ran all 100 before (about 250,000
    /// instructions a call, 9% of `slaw allocate`'s bootstrap), and so did
    /// nearly singular matrices given the same rounding.
    #[test]
    fn a_matrix_symmetric_up_to_rounding_stops_after_a_few_sweeps() {
        let seen = [
            0.11807045287376264,
            0.02070151982666823,
            0.006350702829640304,
            0.022311237642190146,
            -0.007029275664255724,
            0.02070151982652788,
            0.14151682107752467,
            -0.033960674653495414,
            -0.039079840882756164,
            -0.05615402794749616,
            0.006350702829640304,
            -0.0339606746534918,
            0.11559432509000218,
            -0.025757239340069415,
            -0.04192495696308223,
            0.022311237642188578,
            -0.039079840882749114,
            -0.025757239340069016,
            0.1567829014104844,
            -0.008800746132943519,
            -0.007029275664255202,
            -0.05615402794749585,
            -0.041924956963082134,
            -0.008800746132943495,
            0.1759902171611997,
        ];
        let mut cases = vec![(seen.to_vec(), 5)];
        // nearly singular: J^T J of nearly collinear columns, unit diagonal,
        // the lower triangle moved by 1e-11 relative
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for &(n, tie) in &[(3, 1e-4), (4, 1e-6), (5, 1e-8), (6, 1e-7)] {
            let rows = 40;
            let base: Vec<f64> = (0..rows).map(|_| uniform()).collect();
            let mut jac = vec![0.0; rows * n];
            for r in 0..rows {
                for j in 0..n {
                    jac[r * n + j] = base[r] + if j == 0 { 0.0 } else { tie * uniform() };
                }
            }
            let mut h = vec![0.0; n * n];
            for a in 0..n {
                for b in 0..n {
                    h[a * n + b] = (0..rows).map(|r| jac[r * n + a] * jac[r * n + b]).sum();
                }
            }
            let d: Vec<f64> = (0..n).map(|j| h[j * n + j].sqrt()).collect();
            for a in 0..n {
                for b in 0..n {
                    h[a * n + b] /= d[a] * d[b];
                    if a > b {
                        h[a * n + b] *= 1.0 + 1e-11 * uniform();
                    }
                }
            }
            cases.push((h, n));
        }
        for (case, (a, n)) in cases.iter().enumerate() {
            let n = *n;
            let (vals, vecs, sweeps) = jacobi(a, n);
            assert!(sweeps <= 20, "case {case}: {sweeps} sweeps");
            let sym = |i: usize, j: usize| 0.5 * (a[i * n + j] + a[j * n + i]);
            for k in 0..n {
                for i in 0..n {
                    let av: f64 = (0..n).map(|j| sym(i, j) * vecs[j * n + k]).sum();
                    assert!(
                        (av - vals[k] * vecs[i * n + k]).abs() < 1e-12,
                        "case {case}"
                    );
                }
                for l in 0..n {
                    let dot: f64 = (0..n).map(|i| vecs[i * n + k] * vecs[i * n + l]).sum();
                    let want = if k == l { 1.0 } else { 0.0 };
                    assert!((dot - want).abs() < 1e-12, "case {case}");
                }
            }
            assert!(vals.windows(2).all(|w| w[0] <= w[1]), "case {case}");
        }
    }

    #[test]
    fn solve3_solves() {
        let a = [[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]];
        let x = [1.0, -2.0, 0.5];
        let b = [
            a[0][0] * x[0] + a[0][1] * x[1] + a[0][2] * x[2],
            a[1][0] * x[0] + a[1][1] * x[1] + a[1][2] * x[2],
            a[2][0] * x[0] + a[2][1] * x[1] + a[2][2] * x[2],
        ];
        let got = solve3(a, b).unwrap();
        for i in 0..3 {
            assert!((got[i] - x[i]).abs() < 1e-12);
        }
        assert!(solve3([[0.0; 3]; 3], [1.0; 3]).is_none());
    }
}
