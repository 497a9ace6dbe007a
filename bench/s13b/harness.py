# LODO harness: ats-trend / ats-gap as in Rust (bench/s13 robust2.py, the 'all','r2z' gap form), and
# a slot for a new extrapolator: ln predictions at the target for the 30 curves of the evaluated
# dataset at each budget, learned on the other dataset only.
from rect import *
Q = 1.6448536269514722
# From bench/s13 robust.py / robust2.py (copied: importing them runs their tables).
def steep(f, xs, x):
    x0 = xs[0] - np.log(2); span = f['x_last'] - x0
    return f['local_level'] + f['local'] * ((x - x0) ** 2 - (f['x_last'] - x0) ** 2) / (2 * span)
def at_pred(x, y, w, xtt):
    f = feats(x, y); pa = f['ats_s'] * xtt + f['ats_i']; tr = trend_ln(f, w, xtt)
    return 0.5 * (pa + tr), pa, tr, steep(f, x, xtt), f
def spread_of(Y, a, w):
    xs = X[a]; z = []
    for c in range(30):
        y = Y[c, 1:][a]
        for end in range(4, len(xs)):
            for j in range(end, len(xs)):
                p = at_pred(xs[:end], y[:end], w, xs[j])[0]; z.append((y[j] - p) / (xs[j] - xs[end - 1]))
    z = np.array(z); return z.std(ddof=1) if len(z) >= 5 else None
def row4(f, r, y0, zform='r2z'):
    z = y0 - f['y_last']
    return np.array([r * f['local'], r * f['ats_s'], r * r * f['local'], {'z': z, 'rz': r * z, 'r2z': r * r * z}[zform]])
def learn4(Yo, mode='all', zform='r2z'):
    A = np.zeros((4, 4)); b = np.zeros(4)
    for c in range(Yo.shape[0]):
        y = Yo[c, 1:]
        for end in range(4, len(X)):
            f = feats(X[:end], y[:end]); js = range(end, len(X)) if mode == 'all' else [len(X) - 1]
            for j in js:
                rw = row4(f, X[j] - f['x_last'], Yo[c, 0], zform); A += np.outer(rw, rw); b += rw * (y[j] - f['y_last'])
    return np.linalg.solve(A + 1e-9 * np.eye(4), b)
xt = np.log(FULL)
def base(ds, other):
    """Per budget: dict with ats-trend centre, ats-gap centre, robust choice, AtS RelAcc."""
    Y = DATA[ds]; Yo = DATA[other]; truth = np.exp(Y[:, -1])
    prior = learn([(X, Yo[c, 1:]) for c in range(30)]); W4 = learn4(Yo, 'all', 'r2z')
    out = []
    for r in RATIOS:
        a = afford(r); xs = X[a]; rr = xt - xs[-1]
        w = adapt(prior, [(xs, Y[c, 1:][a]) for c in range(30)]); sp = spread_of(Y, a, w)
        B = [at_pred(xs, Y[c, 1:][a], w, xt) for c in range(30)]
        pt = np.array([b[0] for b in B]); pa = np.array([b[1] for b in B])
        gap = np.array([b[4]['y_last'] + row4(b[4], rr, Y[c, 0], 'r2z') @ W4 for c, b in enumerate(B)])
        pg = 0.5 * (pt + gap)
        h = np.array([max(abs(q - b[0]) for q in (b[1], b[2], b[3])) for b in B])
        up = pt + Q * np.hypot(sp * rr, h)
        out.append(dict(r=r, m=a.sum(), rr=rr, sp=sp, pt=pt, pg=pg, pa=pa, h=h, hyps=B, choice=int(np.argmin(up)),
                        ats_choice=int(np.argmin(pa)), truth=truth, ylast=Y[:, 1:][:, a.sum() - 1]))
    return out
_BASE = {}
def get_base(ds, other):
    if ds not in _BASE: _BASE[ds] = base(ds, other)
    return _BASE[ds]
FOLDS = [('flan', 'wmt19'), ('wmt19', 'flan')]
def report(name, preds, show=True):
    """preds[ds][i] = ln predictions at budget i. Prints PearCorr alone / avg with ats-gap / with ats-trend."""
    res = {}
    for mix in ['alone', 'gap', 'trend']:
        P = []; R = []
        for ds, other in FOLDS:
            for i, b in enumerate(get_base(ds, other)):
                p = preds[ds][i]
                q = p if mix == 'alone' else 0.5 * (p + (b['pg'] if mix == 'gap' else b['pt']))
                P.append(100 * pearson(np.exp(q), b['truth'])); R.append(100 * relacc(b['truth'], int(np.argmin(q))))
        res[mix] = (np.array(P), np.array(R))
        if show:
            print('%-28s %-5s P' % (name, mix), ' '.join('%5.1f' % v for v in P),
                  ' F %.1f W %.1f | 1/512 %.1f %.1f' % (np.mean(P[:7]), np.mean(P[7:]), P[6], P[13]))
    return res
if __name__ == '__main__':
    pg = {ds: [b['pg'] for b in get_base(ds, o)] for ds, o in FOLDS}
    pt = {ds: [b['pt'] for b in get_base(ds, o)] for ds, o in FOLDS}
    report('ats-gap', pg); report('ats-trend', pt)
    for ds, o in FOLDS:
        print(ds, 'RelAcc robust', ' '.join('%5.1f' % (100 * relacc(b['truth'], b['choice'])) for b in get_base(ds, o)),
              'AtS', ' '.join('%5.1f' % (100 * relacc(b['truth'], b['ats_choice'])) for b in get_base(ds, o)))
