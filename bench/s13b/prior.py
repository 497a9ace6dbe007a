# Curves sampled from a prior fitted to the OTHER dataset's complete curves (issue 13, idea b with
# synthetic curves, in the spirit of prior-fitted networks), LODO.
#  prior: rectified-law parameters th = (ln E, ln B, ln Dl, ln beta) of the other dataset's 30 curves;
#   'kde': th_c + tau * chol(Sigma) z (c a random curve), 'mvn': mean + tau * chol(Sigma) z;
#   noise: the residual vector of a random fitted curve ('resid', the law's misfit as it occurs), or
#   iid normal with the residuals' rms ('iid'), or none.
#  A (ridge): per budget, a map from the prefix's features to ln L(target) - ln L(last) learned on
#   the synthetic curves.
#  B (bayes): the posterior mean of ln L(target) - ln L(last) under the sampled prior, importance
#   weights exp(-sum (y_obs - y_s - shift)^2 / 2 s^2) over the prefix (zero-shot + affordable).
from harness import *
import itertools
_FIT = {}
def fits(ds):
    if ds not in _FIT:
        T = []; R = []
        for c in range(30):
            th, r = fit_curve(DATA[ds][c]); T.append(th); R.append(r)
        _FIT[ds] = (np.array(T), np.array(R))
    return _FIT[ds]
def sample(ds, n, mode='kde', tau=0.5, noise='resid', seed=0):
    T, R = fits(ds); rng = np.random.default_rng(seed)
    S = np.cov(T.T) + 1e-9 * np.eye(4); Lc = np.linalg.cholesky(S)
    z = rng.standard_normal((n, 4)) @ Lc.T
    th = (T[rng.integers(0, 30, n)] if mode == 'kde' else T.mean(0)) + tau * z
    th[:, 0] = np.maximum(th[:, 0], LNE_MIN); th[:, 3] = np.clip(th[:, 3], np.log(0.05), np.log(2.0))
    Y = rect_ln(th, SIZES[None, :])
    if noise == 'resid': Y = Y + R[rng.integers(0, 30, n)]
    elif noise == 'iid': Y = Y + np.sqrt((R ** 2).mean()) * rng.standard_normal(Y.shape)
    return Y[np.all(np.isfinite(Y), axis=1)]
def featrow(y0, ys, xs, kind):
    f = feats(xs, ys); rr = xt - f['x_last']; s = f['local']; a = f['ats_s']; z = y0 - f['y_last']
    es = line(xs[:3], ys[:3])[0]  # the earliest slope
    b = [rr * s, rr * a, rr * rr * s, rr * rr * z]
    if kind == 'gap4': return np.array(b), f
    if kind == 'quad':  # + second-order terms of the same quantities
        return np.array(b + [z, s * z, s * s, z * z, a * a, a * z, es, es * z, 1.0]), f
    raise ValueError(kind)
def feat_matrix(Y, m, kind):
    F = []; D = []
    for c in range(Y.shape[0]):
        fr, f = featrow(Y[c, 0], Y[c, 1:m + 1], X[:m], kind); F.append(fr); D.append(Y[c, -1] - f['y_last'])
    return np.array(F), np.array(D)
def ridge(F, D, lam):
    sc = np.sqrt((F ** 2).mean(0)) + 1e-12; G = F / sc
    return np.linalg.solve(G.T @ G + lam * len(D) * np.eye(F.shape[1]), G.T @ D) / sc
def method_ridge(ds, other, Ysyn, kind, lam):
    Y = DATA[ds]; out = []
    for b in get_base(ds, other):
        m = b['m']; Fs, Ds = feat_matrix(Ysyn, m, kind); w = ridge(Fs, Ds, lam)
        F, _ = feat_matrix(Y, m, kind); out.append(b['ylast'] + F @ w)
    return out
def method_bayes(ds, other, Ysyn, s, shift):
    Y = DATA[ds]; out = []
    for b in get_base(ds, other):
        m = b['m']; cols = list(range(m + 1))  # zero-shot + affordable
        Ps = Ysyn[:, cols]; delta = Ysyn[:, -1] - Ysyn[:, m]
        pr = []
        for c in range(30):
            d = Y[c, cols][None, :] - Ps
            if shift: d = d - d[:, -1:]  # anchored at the last affordable point: shape only
            ll = -0.5 * np.sum(d * d, axis=1) / s ** 2; wt = np.exp(ll - ll.max())
            pr.append(Y[c, m] + wt @ delta / wt.sum())
        out.append(np.array(pr))
    return out
if __name__ == '__main__':
    import sys
    what = sys.argv[1] if len(sys.argv) > 1 else 'all'
    N = 4000
    for mode, tau, noise in [('kde', 0.3, 'resid'), ('kde', 0.6, 'resid'), ('mvn', 1.0, 'resid'), ('kde', 0.3, 'iid')]:
        syn = {ds: sample(o, N, mode, tau, noise) for ds, o in FOLDS}
        tag = '%s %.1f %s' % (mode, tau, noise)
        if what in ('all', 'ridge'):
            for kind, lam in [('gap4', 1e-6), ('quad', 1e-4), ('quad', 1e-2)]:
                report('ridge %s %g | %s' % (kind, lam, tag), {ds: method_ridge(ds, o, syn[ds], kind, lam) for ds, o in FOLDS})
        if what in ('all', 'bayes'):
            for s, shift in [(0.02, True), (0.05, True), (0.05, False)]:
                report('bayes %.2f %s | %s' % (s, shift, tag), {ds: method_bayes(ds, o, syn[ds], s, shift) for ds, o in FOLDS})
        sys.stdout.flush()
