# Issue 13 item 3 / issue 14 (c), branch cov5: the selection interval's coverage, LODO.
# The ats-trend interval of selection::calibrate replicated (as bench/s13b/interval.py, which
# reproduces the Rust coverage in every cell), with everything a variant needs kept per candidate:
# the three hypotheses, h, r, the pool's backtest errors (prefix end, later size, error).
# Reads ../shared/data/finetune-selection at run time (run from the worktree root); no data here.
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 's13'))
from proto import *

xt = np.log(FULL)
LN4 = np.log(4.0)


def at_pred(x, y, w, xtt):
    f = feats(x, y)
    pa = f['ats_s'] * xtt + f['ats_i']
    tr = trend_ln(f, w, xtt)
    x0 = x[0] - np.log(2)
    span = f['x_last'] - x0
    st = f['local_level'] + f['local'] * ((xtt - x0) ** 2 - (f['x_last'] - x0) ** 2) / (2 * span)
    return 0.5 * (pa + tr), pa, tr, st


def budget_rows(ds, prior_ds):
    """Per budget of `ds`, the trend prior learned on `prior_ds`: arrays over the 30 candidates."""
    Y = DATA[ds]
    Yp = DATA[prior_ds]
    prior = learn([(X, Yp[c, 1:]) for c in range(30)])
    out = []
    for r in RATIOS:
        a = afford(r)
        m = a.sum()
        xs = X[a]
        rr = xt - xs[-1]
        w = adapt(prior, [(xs, Y[c, 1:][a]) for c in range(30)])
        bt = []  # (candidate, x_end, x_j, err, recent)
        for c in range(30):
            y = Y[c, 1:][a]
            for end in range(4, m):
                rec = xs[end - 1] >= xs[-2] - LN4 - 1e-9
                for j in range(end, m):
                    q = at_pred(xs[:end], y[:end], w, xs[j])
                    p = q[0]
                    hb = max(abs(v - p) for v in q[1:])
                    bt.append((c, xs[end - 1], xs[j], y[j] - p, rec, hb))
        bt = np.array(bt, dtype=float)
        z = bt[:, 3] / (bt[:, 2] - bt[:, 1])
        rec = bt[:, 4] > 0
        drift, rdrift, spread = z.mean(), z[rec].mean(), z.std(ddof=1)
        # the pool's own scores: |backtest error - recent drift * r| / the backtest's hypotheses' spread
        ubt = np.abs(bt[:, 3] - rdrift * (bt[:, 2] - bt[:, 1])) / bt[:, 5]
        H = np.array([at_pred(xs, Y[c, 1:][a], w, xt) for c in range(30)])  # pred, line, trend, steep
        pred = H[:, 0]
        h = np.abs(H[:, 1:] - pred[:, None]).max(axis=1)
        out.append(dict(r=r, rr=rr, m=m, pred=pred, H=H, h=h, drift=drift, rdrift=rdrift, spread=spread,
                        centre=pred + rr * rdrift, ubt=ubt, truth=Y[:, -1], bt=bt, z=z, ylast=Y[:, 1:][:, m - 1]))
    return out


FOLDS = [('flan', 'wmt19'), ('wmt19', 'flan')]
_C = {}


def rows(ds, p):
    if (ds, p) not in _C:
        _C[(ds, p)] = budget_rows(ds, p)
    return _C[(ds, p)]


def ev_cal(ds, o):
    """(evaluated rows: ds with o's prior; calibration rows: o with o's prior) as Rust's LODO."""
    return rows(ds, o), rows(o, o)


def pct(v, level):
    return np.percentile(v, 100 * level)  # linear between order statistics (stats::percentile)


def band(covs):
    return sum(80 <= v <= 97 + 1e-9 for v in covs)


def fmt(covs):
    return ' '.join('%3.0f' % v for v in covs)


def interval_score(lo, hi, y, level):
    a = 1 - level
    return (hi - lo) + 2 / a * np.maximum(lo - y, 0) + 2 / a * np.maximum(y - hi, 0)
