# Item 2: the calibrated interval (selection::calibrate, replicated) centred on ats-trend's
# prediction (today's, to check the replica) or on ats-gap's own prediction; k learned on the other
# dataset's complete curves (pooled over budgets as in Rust, or per budget: 'Mondrian'); h the
# hypotheses' spread around the centre (ats-trend's 3, or the 4 with the gap trend). LODO.
from harness import *
LEVELS = [0.8, 0.9, 0.95]
def rows(ds, prior_ds):
    Y = DATA[ds]; Yp = DATA[prior_ds]; truth = Y[:, -1]
    prior = learn([(X, Yp[c, 1:]) for c in range(30)]); W4 = learn4(Yp, 'all', 'r2z')
    out = []
    for r in RATIOS:
        a = afford(r); m = a.sum(); xs = X[a]; rr = xt - xs[-1]
        w = adapt(prior, [(xs, Y[c, 1:][a]) for c in range(30)])
        def pred(x, y, y0, xtt, gap):
            p, pa, tr, st, f = at_pred(x, y, w, xtt)
            if not gap: return p, (pa, tr, st)
            g = f['y_last'] + row4(f, xtt - f['x_last'], y0, 'r2z') @ W4
            return 0.5 * (p + g), (pa, tr, st, g, p)
        R = {}
        for gap in (False, True):
            zr = []
            for c in range(30):
                y = Y[c, 1:][a]
                for end in range(4, m):
                    if xs[end - 1] < xs[-2] - np.log(4) - 1e-9: continue
                    for j in range(end, m):
                        zr.append((y[j] - pred(xs[:end], y[:end], Y[c, 0], xs[j], gap)[0]) / (xs[j] - xs[end - 1]))
            drift = np.mean(zr)
            P = []; H3 = []; H4 = []
            for c in range(30):
                p, hy = pred(xs, Y[c, 1:][a], Y[c, 0], xt, gap)
                P.append(p); H3.append(max(abs(q - p) for q in hy[:3])); H4.append(max(abs(q - p) for q in hy))
            R[gap] = dict(centre=np.array(P) + rr * drift, h3=np.array(H3), h4=np.array(H4), pred=np.array(P), drift=drift)
        # ats-gap's prediction, no drift correction / with ats-trend's drift; width from ats-trend's h
        R['nodrift'] = dict(centre=R[True]['pred'], h3=R[False]['h3'])
        R['trenddrift'] = dict(centre=R[True]['pred'] + rr * R[False]['drift'], h3=R[False]['h3'])
        R['nodrift_h3g'] = dict(centre=R[True]['pred'], h3=R[True]['h3'])
        out.append(dict(R=R, truth=truth))
    return out
def k_of(scores, level): return np.percentile(scores, 100 * level)
if __name__ == '__main__':
    ROWS = {(ds, p): rows(ds, p) for ds in DATA for p in DATA}
    for name, gap, hk in [('ats-trend (Rust today)', False, 'h3'), ('ats-gap centre, h 3 hyps', True, 'h3'),
                          ('gap pred, no drift, trend h', 'nodrift', 'h3'), ('gap pred, trend drift, trend h', 'trenddrift', 'h3'),
                          ('gap pred, no drift, gap h', 'nodrift_h3g', 'h3')]:
        for per_budget in (False,):
            for level in LEVELS:
                line_ = []
                for ds, o in FOLDS:
                    cal = ROWS[(o, o)]; ev = ROWS[(ds, o)]
                    u = [np.abs(b['truth'] - b['R'][gap]['centre']) / b['R'][gap][hk] for b in cal]
                    cov = []
                    for i, b in enumerate(ev):
                        k = k_of(u[i] if per_budget else np.concatenate(u), level)
                        c = b['R'][gap]
                        cov.append(100 * np.mean(np.abs(b['truth'] - c['centre']) <= k * c[hk]))
                    line_.append(cov)
                inb = sum(80 <= v <= 97 for l in line_ for v in l)
                print('%-26s %-9s %.2f  FLAN %s | WMT19 %s  (in 80-97: %d/14; mean %.0f %.0f)' % (
                    name, 'perbudget' if per_budget else 'pooled', level, ' '.join('%3.0f' % v for v in line_[0]),
                    ' '.join('%3.0f' % v for v in line_[1]), inb, np.mean(line_[0]), np.mean(line_[1])))
