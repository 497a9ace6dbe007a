# Issue 13, branch s13d: ats-gap corrected by a *reference* -- the same candidates' curves on another
# task (LODO: the other dataset of the folder), rows matched by the candidate's name. Python + numpy,
# reading ../shared/data/finetune-selection at run time (run from the worktree root). No data here.
#   python3 bench/s13d/ref.py [diag|table]
# The correction: pred = ats-gap + c * e_ref, e_ref = the reference's own ats-gap error at the target
# at the same budget (ln L_ref(target) - prediction from the reference's affordable prefix, centred on
# the pool), c estimated at run time from the evaluated pool's observed prefixes only (no truth past
# the budget): never chosen by looking at the evaluated dataset's truth.
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 's13c'))
_argv = sys.argv; sys.argv = [sys.argv[0], 'none']
from share import *
sys.argv = _argv

_P = {}
def prior_of(src):
    if src not in _P: _P[src] = (learn([(X, DATA[src][c, 1:]) for c in range(30)]), learn4(DATA[src], 'all', 'r2z'))
    return _P[src]


def gap_pred(xs, y, y0, w, W4, xtarget):
    p, pa, tr, st, f = at_pred(xs, y, w, xtarget)
    g = f['y_last'] + row4(f, xtarget - f['x_last'], y0, 'r2z') @ W4
    return 0.5 * (p + g)


_BTE = {}
def bt_errors(ds, src, i, mode):
    """ats-gap's backtest errors of dataset ds at budget i (weights from src, trend adapted to ds's
    affordable prefixes as in the method), centred on the pool, one column per window:
    mode 'last': every prefix end -> the last affordable size; 'all': every (prefix end, later size);
    'last1': the longest prefix only -> the last affordable size. Per unit ln horizon when 'unit'."""
    key = (ds, src, i, mode)
    if key in _BTE: return _BTE[key]
    Y = DATA[ds]; prior, W4 = prior_of(src)
    a = afford(RATIOS[i]); xs = X[a]; m = a.sum()
    w = adapt(prior, [(xs, Y[c, 1:][a]) for c in range(30)])
    cols = []
    ends = [m - 1] if mode == 'last1' else range(4, m)
    for end in ends:
        js = range(end, m) if mode == 'all' else [m - 1]
        for j in js:
            e = np.array([Y[c, 1:][a][j] - gap_pred(xs[:end], Y[c, 1:][a][:end], Y[c, 0], w, W4, xs[j]) for c in range(30)])
            cols.append((e - e.mean(), xs[j] - xs[end - 1]))
    _BTE[key] = cols
    return cols


def ref_target_err(ref, src, i):
    """The reference's ats-gap error at the target, budget i (weights from src), centred."""
    b = GB(ref, src)[i]; e = np.log(b['truth']) - b['pg']; return e - e.mean()


def beta_bt(ds, ref, src, i, mode, unit=False):
    """Regression of the pool's backtest errors on the reference's at the same windows (pooled over
    windows): beta, its standard error (windows' residuals, 30 models), and the correlation."""
    P = bt_errors(ds, src, i, mode); R = bt_errors(ref, src, i, mode)
    sxy = sxx = syy = 0.0; n = 0
    for (ep, hp), (er, hr) in zip(P, R):
        if unit: ep = ep / hp; er = er / hr
        sxy += ep @ er; sxx += er @ er; syy += ep @ ep; n += len(ep)
    if sxx <= 0: return 0.0, np.inf, 0.0
    beta = sxy / sxx
    res = syy - beta * sxy
    se = np.sqrt(max(res, 0) / max(n - len(P) - 1, 1) / sxx)
    return beta, se, sxy / np.sqrt(sxx * syy)


def diag():
    print('oracle beta = cov(e_pool, e_ref)/var(e_ref) at the target (reads the truth) vs backtest estimates')
    for ds, ref in FOLDS:
        src = ref
        for i, b in enumerate(GB(ds, src)):
            ep = np.log(b['truth']) - b['pg']; ep -= ep.mean(); er = ref_target_err(ref, src, i)
            bo = ep @ er / (er @ er); ro = np.corrcoef(ep, er)[0, 1]
            s = []
            for mode in ('last1', 'last', 'all'):
                bb, se, rr = beta_bt(ds, ref, src, i, mode)
                s.append('%s %.2f+-%.2f r %.2f' % (mode, bb, se, rr))
            hr = GB(ref, src)[i]['h'].mean(); hp = b['h'].mean()
            print('%-5s 1/%-3d oracle beta %.2f r %.2f sd %.3f/%.3f | h ratio %.2f | %s' % (
                ds, RATIOS[i], bo, ro, ep.std(), er.std(), hp / hr, ' | '.join(s)))


if __name__ == '__main__':
    what = sys.argv[1] if len(sys.argv) > 1 else 'table'
    if what == 'diag': diag()


def shrink(beta, se):
    """Positive-part James-Stein toward 0: beta (1 - se^2 / beta^2)+ (the empirical-Bayes posterior
    mean of a normal effect with a flat-variance prior estimated from this one estimate)."""
    if not np.isfinite(se) or beta == 0: return 0.0
    return beta * max(0.0, 1.0 - se * se / (beta * beta))


def variant(kind, folds=FOLDS, fixed=None, clip=True):
    """preds[ds][i]: ats-gap + c e_ref with c from the rule `kind` (run-time, the pool's prefixes only)."""
    out = {}
    for ds, ref in folds:
        src = ref; out[ds] = []
        for i, b in enumerate(GB(ds, src)):
            er = ref_target_err(ref, src, i); br = GB(ref, src)[i]
            hr = br['h'].mean(); hp = b['h'].mean()
            if kind == 'fixed': c = fixed
            elif kind == 'fixed-h': c = fixed * hp / hr                      # lead's naive c, scaled by h ratio
            elif kind.startswith('eb-'):                                     # (a) shrunk regression of backtests
                beta, se, r = beta_bt(ds, ref, src, i, kind[3:]); c = shrink(beta, se)
            elif kind.startswith('rho-h-'):                                  # (b) backtest corr x h ratio
                beta, se, r = beta_bt(ds, ref, src, i, kind[6:])
                r_se = (1 - r * r) / np.sqrt(30 - 3); c = shrink(r, r_se) * hp / hr
            elif kind.startswith('rho-sd-'):                                 # (b) backtest corr x the reference's
                beta, se, r = beta_bt(ds, ref, src, i, kind[7:])              # target error sd scaled by the
                r_se = (1 - r * r) / np.sqrt(30 - 3); c = shrink(r, r_se) * hp / hr  # (same as rho-h; kept for clarity)
            if clip: c = max(c, 0.0)
            out[ds].append(b['pg'] + c * er)
    return out


def shape_transfer(folds=FOLDS, mix='bayes'):
    """(c) a second predictor: the reference's own continuation from the last affordable size to the
    target, scaled by the ratio of local slopes (pool / reference) -- the candidate's curve shape on the
    other task; combined with ats-gap by inverse backtest MSE (windows: every prefix end -> the last
    affordable size, same predictor built from the reference at the same window)."""
    out = {}
    for ds, ref in folds:
        src = ref; out[ds] = []; Y = DATA[ds]; R = DATA[ref]
        for i, b in enumerate(GB(ds, src)):
            a = afford(RATIOS[i]); xs = X[a]; m = a.sum()
            def st(end, j, c):
                fp = feats(xs[:end], Y[c, 1:][a][:end]); fr = feats(xs[:end], R[c, 1:][a][:end])
                yr = R[c, 1:]; k = np.clip(fp['local'] / fr['local'], 0, 5) if fr['local'] < 0 else 1.0
                return fp['y_last'] + k * (yr[j] - yr[end - 1])
            pred = np.array([st(m, len(X) - 1, c) for c in range(30)])
            # backtest MSE of both predictors at the same windows (every prefix end -> last affordable)
            P = bt_errors(ds, src, i, 'last'); mse_g = np.mean([np.mean((e) ** 2) for e, h in P])
            es = []
            for end in range(4, m):
                e = np.array([Y[c, 1:][a][m - 1] - st(end, m - 1, c) for c in range(30)]); es.append(e - e.mean())
            mse_s = np.mean([np.mean(e ** 2) for e in es]) if es else np.inf
            if mix == 'bayes': wgt = (1 / mse_s) / (1 / mse_s + 1 / mse_g)
            elif mix == 'alone': wgt = 1.0
            else: wgt = mix
            out[ds].append((1 - wgt) * b['pg'] + wgt * pred)
    return out


if __name__ == '__main__' and what == 'table':
    print('%-34s %s' % ('LODO PearCorr x100', 'FLAN 1/8 ... 1/512 | WMT19 1/8 ... 1/512'))
    evaluate(base_preds(), 'ats-gap')
    for c in (0.25, 0.5): evaluate(variant('fixed', fixed=c), 'fixed c %.2f (not a rule)' % c)
    for c in (0.25, 0.5): evaluate(variant('fixed-h', fixed=c), 'fixed rho %.2f x h ratio (not a rule)' % c)
    for mode in ('last1', 'last', 'all'):
        evaluate(variant('eb-' + mode), '(a) EB beta, ' + mode)
        evaluate(variant('eb-' + mode, clip=False), '(a) EB beta signed, ' + mode)
        evaluate(variant('rho-h-' + mode), '(b) EB rho x h ratio, ' + mode)
    for mix in ('bayes', 'alone', 0.5):
        evaluate(shape_transfer(mix=mix), '(c) shape transfer, %s' % mix)


if __name__ == '__main__' and what == 'weights':
    # the inverse-MSE weight of the shape-transfer predictor per budget, and a paired bootstrap
    import builtins
    for ds, ref in FOLDS:
        ws = []
        Y = DATA[ds]; R = DATA[ref]
        for i, b in enumerate(GB(ds, ref)):
            p = shape_transfer([(ds, ref)], mix='bayes')[ds][i]; a_ = shape_transfer([(ds, ref)], mix='alone')[ds][i]
            ws.append((p - b['pg'])[0] / (a_ - b['pg'])[0])
        print(ds, 'weight of shape transfer', ' '.join('%.2f' % w for w in ws))
    (fm, f5), (wm, w5) = boot(shape_transfer(mix='bayes'))
    print('bootstrap sd of the difference to ats-gap: FLAN mean %.2f, 1/512 %.2f | WMT19 mean %.2f, 1/512 %.2f' % (fm, f5, wm, w5))


def shape_general(folds=FOLDS, ratio=True, windows='last', comb='inv', cap=5.0):
    """shape_transfer with its parts varied (the sensitivity of the rule, and the 2-fold choice):
    ratio: the slope ratio (False: the reference's fall as is); windows: 'last' (every prefix -> the
    last affordable size) or 'all' (every prefix -> every later affordable size); comb: 'inv'
    (inverse MSE) or 'opt' (the backtest-optimal weight with the errors' covariance, clipped to [0,1])."""
    out = {}
    for ds, ref in folds:
        src = ref; out[ds] = []; Y = DATA[ds]; R = DATA[ref]
        prior, W4 = prior_of(src)
        for i, b in enumerate(GB(ds, src)):
            a = afford(RATIOS[i]); xs = X[a]; m = a.sum()
            w = adapt(prior, [(xs, Y[c, 1:][a]) for c in range(30)])
            def st(end, j, c):
                fp = feats(xs[:end], Y[c, 1:][a][:end]); fr = feats(xs[:end], R[c, 1:][a][:end])
                yr = R[c, 1:]
                k = (np.clip(fp['local'] / fr['local'], 0, cap) if fr['local'] < 0 else 1.0) if ratio else 1.0
                return fp['y_last'] + k * (yr[j] - yr[end - 1])
            pred = np.array([st(m, len(X) - 1, c) for c in range(30)])
            G = []; S = []
            for end in range(4, m):
                for j in (range(end, m) if windows == 'all' else [m - 1]):
                    eg = np.array([Y[c, 1:][a][j] - gap_pred(xs[:end], Y[c, 1:][a][:end], Y[c, 0], w, W4, xs[j]) for c in range(30)])
                    es = np.array([Y[c, 1:][a][j] - st(end, j, c) for c in range(30)])
                    G.append(eg - eg.mean()); S.append(es - es.mean())
            G = np.concatenate(G); S = np.concatenate(S)
            if comb == 'inv':
                wgt = (1 / (S @ S)) / (1 / (S @ S) + 1 / (G @ G))
            else:
                wgt = float(np.clip((G @ G - G @ S) / ((G - S) @ (G - S)), 0, 1))
            out[ds].append((1 - wgt) * b['pg'] + wgt * pred)
    return out


if __name__ == '__main__' and what == 'sens':
    print('%-34s %s' % ('LODO PearCorr x100', 'FLAN 1/8 ... 1/512 | WMT19 1/8 ... 1/512'))
    evaluate(base_preds(), 'ats-gap')
    res = {}
    for ratio in (True, False):
        for windows in ('last', 'all'):
            for comb in ('inv', 'opt'):
                name = 'ratio=%s windows=%s comb=%s' % (ratio, windows, comb)
                P, RR, oks = evaluate(shape_general(ratio=ratio, windows=windows, comb=comb), name)
                res[name] = (P, oks)
    # 2-fold choice: the variant best on one fold (mean PearCorr, RelAcc ok), scored on the other
    for k, (ds, other) in enumerate(FOLDS):
        best = max(res, key=lambda n: (res[n][1][k], np.mean(res[n][0][7 * k:7 * k + 7])))
        o = 1 - k
        print('chosen on %s: %s -> %s mean %.1f, 1/512 %.1f' % (ds, best, FOLDS[o][0], np.mean(res[best][0][7 * o:7 * o + 7]), res[best][0][7 * o + 6]))


if __name__ == '__main__' and what == 'shuffled':
    # A reference that does not match: the other dataset's rows permuted (another model's curve under
    # each name). The weight should fall and the ranking stay near ats-gap's.
    evaluate(base_preds(), 'ats-gap')
    rng = np.random.default_rng(1)
    orig = {k: v.copy() for k, v in DATA.items()}
    for s in range(5):
        perm = {ds: rng.permutation(30) for ds in DATA}
        # the reference of fold (ds, ref) is DATA[ref] permuted; the pool and the weights' source unchanged
        out = {}
        for ds, ref in FOLDS:
            DATA[ref] = orig[ref][perm[ref]]
            _P.pop(ref, None)
            # prior_of(src) must stay learned on the unpermuted curves (same set, order irrelevant)
            out[ds] = shape_transfer([(ds, ref)], mix='bayes')[ds]
            DATA[ref] = orig[ref]; _P.pop(ref, None)
        evaluate(out, 'shuffled reference, seed %d' % s)
    rng = np.random.default_rng(1)
    for s in range(5):
        perm = {ds: rng.permutation(30) for ds in DATA}
        line = []
        for ds, ref in FOLDS:
            DATA[ref] = orig[ref][perm[ref]]; _P.pop(ref, None)
            mix = shape_transfer([(ds, ref)], mix='bayes')[ds]; alone = shape_transfer([(ds, ref)], mix='alone')[ds]
            DATA[ref] = orig[ref]; _P.pop(ref, None)
            g = base_preds([(ds, ref)])[ds]
            line.append(ds + ' ' + ' '.join('%.2f' % ((mix[i] - g[i])[0] / (alone[i] - g[i])[0]) for i in range(7)))
        print('seed %d weight of the shuffled reference:' % s, ' | '.join(line))


if __name__ == '__main__' and what == 'shuffled2':
    # the same check for the variant without the slope ratio (shape_general ratio=False)
    def wts(ds, ref, **kw):
        mix = shape_general([(ds, ref)], comb='inv', **kw)[ds]
        g = base_preds([(ds, ref)])[ds]
        # weight: recover from the first candidate whose transfer differs (alone = weight 1)
        return mix
    orig = {k: v.copy() for k, v in DATA.items()}
    evaluate(shape_general(ratio=False), 'no slope ratio, real reference')
    rng = np.random.default_rng(1)
    for s in range(5):
        perm = {ds: rng.permutation(30) for ds in DATA}
        out = {}
        for ds, ref in FOLDS:
            DATA[ref] = orig[ref][perm[ref]]; _P.pop(ref, None)
            out[ds] = shape_general([(ds, ref)], ratio=False)[ds]
            DATA[ref] = orig[ref]; _P.pop(ref, None)
        evaluate(out, 'no slope ratio, shuffled, seed %d' % s)


if __name__ == '__main__' and what == 'match':
    # Diagnostic for a future gate (chooses nothing; reads no truth past the budget): across the
    # candidates, the correlation of the pool's and the reference's observed fall over the affordable
    # sizes (ln L(last) - ln L(first)) and of their local slopes, true reference vs rows permuted.
    rng = np.random.default_rng(1)
    for ds, ref in FOLDS:
        Y = DATA[ds]; R = DATA[ref]
        for name, perms in [('true', [np.arange(30)]), ('shuffled x5', [rng.permutation(30) for _ in range(5)])]:
            cf = []; cs = []
            for p in perms:
                rowf = []; rows_ = []
                for i in range(7):
                    a = afford(RATIOS[i]); xs = X[a]
                    fp = np.array([Y[c, 1:][a][-1] - Y[c, 1:][a][0] for c in range(30)])
                    fr = np.array([R[p[c], 1:][a][-1] - R[p[c], 1:][a][0] for c in range(30)])
                    sp = np.array([feats(xs, Y[c, 1:][a])['local'] for c in range(30)])
                    sr = np.array([feats(xs, R[p[c], 1:][a])['local'] for c in range(30)])
                    rowf.append(np.corrcoef(fp, fr)[0, 1]); rows_.append(np.corrcoef(sp, sr)[0, 1])
                cf.append(rowf); cs.append(rows_)
            cf = np.array(cf); cs = np.array(cs)
            print('%-5s %-11s corr(fall) %s | corr(local slope) %s' % (ds, name,
                  ' '.join('%5.2f' % v for v in cf.mean(0)) if len(perms) == 1 else ' '.join('%5.2f..%5.2f' % (lo, hi) for lo, hi in zip(cf.min(0), cf.max(0))),
                  ' '.join('%5.2f' % v for v in cs.mean(0)) if len(perms) == 1 else ' '.join('%5.2f..%5.2f' % (lo, hi) for lo, hi in zip(cs.min(0), cs.max(0)))))
