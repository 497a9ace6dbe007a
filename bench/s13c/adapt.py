# a, another form: the family shares its extrapolation behaviour through the trend's weights. ats-trend
# already adapts its 3 weights to the pool's own windows (proto.adapt, ridge toward the prior, lam 100);
# here they are adapted once more to the family's own windows (ridge toward the pool's weights), and
# the same for ats-gap's 4 gap weights (toward the other dataset's, first to the pool, then to the
# family). LODO; `python3 bench/s13c/adapt.py`.
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
sys.argv = [sys.argv[0], 'none']
from share import *


def normal4(Y, rows_, xs):
    A = np.zeros((4, 4)); b = np.zeros(4)
    for c in rows_:
        y = Y[c, 1:][:len(xs)]
        for end in range(4, len(xs)):
            f = feats(xs[:end], y[:end])
            for j in range(end, len(xs)):
                rw = row4(f, xs[j] - f['x_last'], Y[c, 0], 'r2z'); A += np.outer(rw, rw); b += rw * (y[j] - f['y_last'])
    return A, b


def preds(level, lam_trend, lam_gap):
    """level: 'pool' (the gap weights adapted to the pool only) or 'family' (trend and gap weights
    adapted to the family after the pool). lam_* None: not adapted."""
    out = {}
    for ds, o in FOLDS:
        Y = DATA[ds]; fid, nf = fam_ids(ds); prior = learn([(X, DATA[o][c, 1:]) for c in range(30)])
        W4o = learn4(DATA[o], 'all', 'r2z'); out[ds] = []
        for i, b in enumerate(GB(ds, o)):
            a = afford(RATIOS[i]); xs = X[a]; rr = xt - xs[-1]
            w = adapt(prior, [(xs, Y[c, 1:][a]) for c in range(30)])
            W4 = W4o
            if lam_gap is not None:
                A, bb = normal4(Y, range(30), xs); W4 = np.linalg.solve(A + lam_gap * np.eye(4), bb + lam_gap * W4o)
            p = np.zeros(30)
            for f in range(nf):
                idx = np.where(fid == f)[0]
                wf, W4f = w, W4
                if level == 'family' and len(idx) >= 2:
                    if lam_trend is not None: wf = adapt(w, [(xs, Y[c, 1:][a]) for c in idx], lam_trend)
                    if lam_gap is not None:
                        A, bb = normal4(Y, idx, xs); W4f = np.linalg.solve(A + lam_gap * np.eye(4), bb + lam_gap * W4)
                for c in idx:
                    pt, pa, tr, st, fe = at_pred(xs, Y[c, 1:][a], wf, xt)
                    g = fe['y_last'] + row4(fe, rr, Y[c, 0], 'r2z') @ W4f
                    p[c] = 0.5 * (pt + g)
            out[ds].append(p)
    return out


if __name__ == '__main__':
    evaluate(base_preds(), 'ats-gap')
    for lam in (100.0, 300.0, 1000.0):
        evaluate(preds('family', lam, None), 'family trend w, lam %.0f' % lam)
    for lam in (100.0, 1000.0):
        evaluate(preds('pool', None, lam), 'pool gap W4, lam %.0f' % lam)
        evaluate(preds('family', lam, lam), 'family w + W4, lam %.0f' % lam)
