# Rectified-law fits of complete curves (with the zero-shot point) and a prior over their
# parameters: L(D) = E + B / (Dl + D^beta), fitted in ln L (least squares, grid + Gauss-Newton).
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 's13'))
from proto import *
SIZES = np.concatenate([[0.0], np.exp(X)])  # 15 sizes: 0, 200, ..., 1638400
def rect_ln(th, D):
    le, lb, ll, lbeta = th[..., 0:1], th[..., 1:2], th[..., 2:3], th[..., 3:4]
    Dp = np.where(D > 0, np.exp(np.exp(lbeta) * np.log(np.maximum(D, 1e-300))), 0.0)
    return np.log(np.exp(le) + np.exp(lb) / (np.exp(ll) + Dp))
LNE_MIN = -4.0  # E is not identified on curves that have not flattened: floor at 0.018
def fit_curve(y, D=SIZES):
    """th = (ln E, ln B, ln Dl, ln beta) minimising sum (ln L - y)^2."""
    best = None
    L = np.exp(y)
    for beta in np.linspace(0.15, 1.2, 15):
        for lDl in np.linspace(0, 16, 17):
            g = 1.0 / (np.exp(lDl) + np.where(D > 0, D ** beta, 0.0))
            A = np.vstack([np.ones_like(g), g]).T
            E, B = np.linalg.lstsq(A, L, rcond=None)[0]
            E = min(max(E, np.exp(LNE_MIN)), L.min() * 0.999); B = max(B, 1e-6)
            th = np.array([np.log(E), np.log(B), lDl, np.log(beta)])
            sse = np.sum((rect_ln(th, D) - y) ** 2)
            if best is None or sse < best[0]: best = (sse, th)
    th = best[1]; lam = 1e-3
    f = lambda t: rect_ln(t, D) - y
    r = f(th); sse = r @ r
    for it in range(200):
        J = np.empty((len(y), 4))
        for k in range(4):
            d = np.zeros(4); d[k] = 1e-6
            J[:, k] = (f(th + d) - r) / 1e-6
        step = np.linalg.solve(J.T @ J + lam * np.diag(np.diag(J.T @ J) + 1e-12), -J.T @ r)
        t2 = th + step; t2[0] = max(t2[0], LNE_MIN); r2 = f(t2); s2 = r2 @ r2
        if np.isfinite(s2) and s2 < sse:
            th, r, lam = t2, r2, lam / 3
            if sse - s2 < 1e-12 * max(sse, 1e-12): sse = s2; break
            sse = s2
        else:
            lam *= 4
            if lam > 1e8: break
    return th, r
if __name__ == '__main__':
    np.set_printoptions(precision=3, suppress=True, linewidth=200)
    for ds in DATA:
        T = []; R = []
        for c in range(30):
            th, r = fit_curve(DATA[ds][c]); T.append(th); R.append(r)
        T = np.array(T); R = np.array(R)
        print(ds, 'params mean', T.mean(0), 'sd', T.std(0))
        print('  resid rms per size', np.sqrt((R ** 2).mean(0)))
        print('  resid rms per curve', np.sqrt((R ** 2).mean(1)))
        print('  lag-1 autocorr', np.mean(R[:, 1:] * R[:, :-1]) / np.mean(R ** 2))
