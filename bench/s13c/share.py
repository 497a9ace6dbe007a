# Issue 13, branch s13c: what the candidates share (size, family), LODO. Builds on bench/s13b
# harness.py (ats-gap / ats-trend as the Rust code computes them). Reads ../shared at run time.
#   python3 bench/s13c/share.py [a|b|c|all|boot]
# a. family pooling of ats-gap's continuation at the same budget (empirical Bayes);
# b. ln(size) as a 5th gap-trend term, weights learned on the other dataset's complete curves;
# c. within-pool regression of the pool's own backtest residuals on ln(size) / family.
import sys, os, csv
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 's13b'))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 's13'))
from harness import *

META = {}
for ds in DATA:
    rows_ = list(csv.reader(open(D + ds + '.csv')))[1:]
    fam = [r[17] for r in rows_]; size = np.array([float(r[16]) for r in rows_])
    META[ds] = dict(fam=fam, lsize=np.log(size), names=[r[0] for r in rows_])
    assert len(fam) == 30


def zsize(ds):
    ls = META[ds]['lsize']; return ls - ls.mean()


def fam_ids(ds):
    f = META[ds]['fam']; u = sorted(set(f)); return np.array([u.index(v) for v in f]), len(u)


_B2 = {}
def GB(ds, src):
    """harness.base(ds, src): ats-trend / ats-gap on ds with every weight learned on src (src != ds:
    LODO; src == ds: in sample, the protocol for choosing a variant on one dataset alone)."""
    if (ds, src) not in _B2: _B2[(ds, src)] = base(ds, src)
    return _B2[(ds, src)]


INSAMPLE = [('flan', 'flan'), ('wmt19', 'wmt19')]


# ---------- metrics ----------
def evaluate(preds, name, show=True, folds=FOLDS):
    """preds[ds][i] = ln predictions at budget i (ranking). Returns PearCorr per cell and RelAcc two
    ways: ats-trend's risk-averse choice (unchanged: what ats-gap ships), and the risk-averse choice
    around the new centre with it as a 4th hypothesis (bench/s13b relacc.py's form)."""
    P = []; RR = []; ok = True; oks = []
    for ds, other in folds:
        oks.append(True)
        for i, b in enumerate(GB(ds, other)):
            p = preds[ds][i]
            P.append(100 * pearson(np.exp(p), b['truth']))
            h = np.array([max(abs(v - p[c]) for v in (hy[1], hy[2], hy[3], b['pg'][c])) for c, hy in enumerate(b['hyps'])])
            up = p + Q * np.hypot(b['sp'] * b['rr'], h)
            ra = 100 * relacc(b['truth'], int(np.argmin(up))); at = 100 * relacc(b['truth'], b['ats_choice'])
            RR.append(ra); ok &= ra >= at - 1e-9; oks[-1] &= ra >= at - 1e-9
    P = np.array(P)
    if show:
        print('%-34s' % name, ' '.join('%5.1f' % v for v in P[:7]), '|', ' '.join('%5.1f' % v for v in P[7:]),
              '| F %.1f W %.1f | 1/512 %.1f %.1f | RelAcc(new centre) %s' % (
                  np.mean(P[:7]), np.mean(P[7:]), P[6], P[13], 'OK' if ok else 'BELOW AtS ' + ' '.join('%.1f' % v for v in RR)))
    return P, RR, oks


def base_preds(folds=FOLDS):
    return {ds: [b['pg'] for b in GB(ds, o)] for ds, o in folds}


# ---------- a. family pooling (empirical Bayes) ----------
def shrink_family(d, fid, nf, s2, lam=None):
    """d: continuations (ln units) of the pool; s2: each prediction's error variance (pool backtests).
    Shrinks d toward its family mean. lam None: B = s2 / (s2 + tau2), tau2 the within-family variance of
    d minus the noise (moment estimate, >= 0). lam given: a fixed factor."""
    out = d.copy()
    # within-family variance of d around the family means (families with >= 2 members)
    devs = []; 
    for f in range(nf):
        idx = np.where(fid == f)[0]
        if len(idx) >= 2:
            devs.extend(d[idx] - d[idx].mean())
    if not devs: return out
    nmem = sum(1 for f in range(nf) if (fid == f).sum() >= 2)
    wv = np.sum(np.square(devs)) / max(len(devs) - nmem, 1)
    tau2 = max(wv - np.mean(s2), 0.0)
    for f in range(nf):
        idx = np.where(fid == f)[0]
        if len(idx) < 2: continue
        m = d[idx].mean()
        B = (s2[idx] / (s2[idx] + tau2 + 1e-300)) if lam is None else lam
        # leave-self-in family mean (the candidate's own value is in it; with 2 members it is half)
        out[idx] = m + (1 - B) * (d[idx] - m)
    return out


def variant_a(lam=None, which='gap', noise='spread', folds=FOLDS, pool=False):
    out = {}
    for ds, o in folds:
        fid, nf = fam_ids(ds) if not pool else (np.zeros(30, dtype=int), 1); out[ds] = []
        for b in GB(ds, o):
            base_ = b['pg'] if which == 'gap' else b['pt']
            d = base_ - b['ylast']
            if noise == 'spread': s2 = np.full(30, (b['sp'] * b['rr']) ** 2)
            else: s2 = np.square(b['h'] / Q)  # the hypotheses' disagreement
            out[ds].append(b['ylast'] + shrink_family(d, fid, nf, s2, lam))
    return out


# ---------- b. ln(size) as a 5th gap-trend term ----------
def row5(f, r, y0, zs, form):
    base4 = row4(f, r, y0, 'r2z')
    extra = {'r': r * zs, 'r2': r * r * zs, 'rs': r * zs * f['local'], 'rgap': r * r * zs * (y0 - f['y_last'])}[form]
    return np.append(base4, extra)


def learn5(Yo, zs, form, staged=False):
    """Least squares over every (prefix, later size) window of the complete curves (as learn4).
    staged: ats-gap's 4 weights kept, the 5th fitted to their residuals (one weight learned)."""
    W4 = learn4(Yo, 'all', 'r2z')
    A = np.zeros((5, 5)); b = np.zeros(5)
    for c in range(Yo.shape[0]):
        y = Yo[c, 1:]
        for end in range(4, len(X)):
            f = feats(X[:end], y[:end])
            for j in range(end, len(X)):
                rw = row5(f, X[j] - f['x_last'], Yo[c, 0], zs[c], form); t = y[j] - f['y_last']
                if staged: t = t - rw[:4] @ W4
                A += np.outer(rw, rw); b += rw * t
    if staged:
        return np.append(W4, b[4] / A[4, 4])
    return np.linalg.solve(A + 1e-9 * np.eye(5), b)


_W5 = {}
def variant_b(form, staged=False, scale=1.0, folds=FOLDS):
    out = {}
    for ds, o in folds:
        src = o
        key = (src, form, staged)
        if key not in _W5: _W5[key] = learn5(DATA[src], zsize(src), form, staged)
        W5 = _W5[key].copy(); W5[4] *= scale
        Y = DATA[ds]; zs = zsize(ds); out[ds] = []
        for b in GB(ds, o):
            g = np.array([hy[4]['y_last'] + row5(hy[4], b['rr'], Y[c, 0], zs[c], form) @ W5 for c, hy in enumerate(b['hyps'])])
            out[ds].append(0.5 * (b['pt'] + g))
    return out


# ---------- c. within-pool regression of backtest residuals ----------
_W4 = {}
def backtests(ds, o, i, b, last_only=False):
    """Per candidate: ats-gap's backtest residuals inside the affordable sizes, per unit of log horizon
    (prefix end e, every later affordable size j), averaged per candidate; ats-gap as LODO computes it
    (the pool-adapted trend w, gap weights from the other dataset). last_only: only the windows that
    end at the last affordable size."""
    Y = DATA[ds]
    if o not in _W4: _W4[o] = learn4(DATA[o], 'all', 'r2z')
    W4 = _W4[o]
    prior = learn([(X, DATA[o][c, 1:]) for c in range(30)])
    a = afford(RATIOS[i]); xs = X[a]; m = a.sum()
    w = adapt(prior, [(xs, Y[c, 1:][a]) for c in range(30)])
    res = np.zeros(30); n = np.zeros(30)
    for c in range(30):
        y = Y[c, 1:][a]
        for end in range(4, m):
            for j in ([m - 1] if last_only else range(end, m)):
                p, pa, tr, st, f = at_pred(xs[:end], y[:end], w, xs[j])
                g = f['y_last'] + row4(f, xs[j] - f['x_last'], Y[c, 0], 'r2z') @ W4
                res[c] += (y[j] - 0.5 * (p + g)) / (xs[j] - xs[end - 1]); n[c] += 1
    return res / np.maximum(n, 1), n


_BT = {}
def get_bt(ds, o, last_only=False):
    if (ds, o, last_only) not in _BT:
        _BT[(ds, o, last_only)] = [backtests(ds, o, i, b, last_only) for i, b in enumerate(GB(ds, o))]
    return _BT[(ds, o, last_only)]


def family_eb(res, fid, nf):
    """Each family's mean of `res` (centred on the pool), shrunk toward 0 by tau2 / (tau2 + s2w / n_f):
    s2w the pooled within-family variance, tau2 the between-family variance of the means minus the
    noise (moment estimate, >= 0). Computed on the pool itself, no learned weight."""
    corr = np.zeros(len(res)); grand = res.mean(); within = []
    for f in range(nf):
        idx = fid == f
        if idx.sum() >= 2: within.extend(res[idx] - res[idx].mean())
    nmem = sum(1 for f in range(nf) if (fid == f).sum() >= 2)
    if not within or nf < 3: return corr
    s2w = np.sum(np.square(within)) / max(len(within) - nmem, 1)
    fm = np.array([res[fid == f].mean() for f in range(nf)]); cnt = np.array([(fid == f).sum() for f in range(nf)])
    tau2 = max(np.var(fm, ddof=1) - np.mean(s2w / cnt), 0.0)
    for f in range(nf):
        idx = fid == f; Bf = tau2 / (tau2 + s2w / cnt[f] + 1e-300)
        corr[idx] = Bf * (fm[f] - grand)
    return corr


def variant_a2(target, folds=FOLDS):
    """a, other forms. 'gapterm': the gap trend's contribution (ats-gap - ats-trend) replaced by its
    family EB mean (family_eb) plus half the candidate's deviation from it (a fixed factor); 'sizeline': the continuation
    shrunk toward its family's own line in ln size (EB between/within), keeping the size effect."""
    out = {}
    for ds, o in folds:
        fid, nf = fam_ids(ds); zs = zsize(ds); out[ds] = []
        for b in GB(ds, o):
            if target == 'gapterm':
                t = b['pg'] - b['pt']; out[ds].append(b['pt'] + t.mean() + family_eb(t, fid, nf) + 0.5 * (t - t.mean() - family_eb(t, fid, nf)))
            else:
                d = b['pg'] - b['ylast']; fit = d.copy(); s2 = (b['sp'] * b['rr']) ** 2
                for f in range(nf):
                    idx = np.where(fid == f)[0]
                    if len(idx) >= 3:
                        A = np.vstack([zs[idx], np.ones(len(idx))]).T; fit[idx] = A @ np.linalg.lstsq(A, d[idx], rcond=None)[0]
                r = d - fit; ok = r != 0
                tau2 = max(np.mean(np.square(r[ok])) * 1.5 - s2, 0.0) if ok.any() else 0.0  # dof-corrected
                B = s2 / (s2 + tau2 + 1e-300)
                out[ds].append(b['ylast'] + fit + (1 - B) * r)
    return out


def variant_c(kind, scale=1.0, folds=FOLDS):
    out = {}
    for ds, o in folds:
        zs = zsize(ds); fid, nf = fam_ids(ds); out[ds] = []
        for i, b in enumerate(GB(ds, o)):
            res, n = get_bt(ds, o, kind.endswith('-last'))[i]
            if n.min() == 0: out[ds].append(b['pg']); continue
            if kind in ('size', 'size-last'):  # slope of residual on centred ln size; the correction excludes the intercept
                A = np.vstack([zs, np.ones(30)]).T; beta = np.linalg.lstsq(A, res, rcond=None)[0]
                corr = beta[0] * zs
            elif kind in ('family', 'family-last'):  # family mean residual, shrunk by between/within variance (EB)
                corr = family_eb(res, fid, nf)
            elif kind == 'own':  # the candidate's own residual (no sharing: a control)
                corr = res - res.mean()
            elif kind == 'size+family':  # size slope, then the family EB mean of what it leaves
                A = np.vstack([zs, np.ones(30)]).T; beta = np.linalg.lstsq(A, res, rcond=None)[0]
                corr = beta[0] * zs + family_eb(res - A @ beta, fid, nf)
            out[ds].append(b['pg'] + scale * b['rr'] * corr)
    return out


if __name__ == '__main__':
    what = sys.argv[1] if len(sys.argv) > 1 else 'all'
    print('%-34s %s' % ('LODO PearCorr x100', 'FLAN 1/8 ... 1/512 | WMT19 1/8 ... 1/512'))
    evaluate(base_preds(), 'ats-gap')
    if what in ('a', 'all'):
        for which in ('gap',):
            for noise in ('spread', 'hyps'):
                evaluate(variant_a(None, which, noise), 'a EB %s noise=%s' % (which, noise))
            for lam in (0.25, 0.5, 0.75, 1.0):
                evaluate(variant_a(lam, which), 'a fixed B=%.2f %s' % (lam, which))
        for t in ('gapterm', 'sizeline'):
            evaluate(variant_a2(t), 'a2 ' + t)
        for lam in (None, 0.1, 0.2):  # the whole pool as one family: the fallback without a family column
            evaluate(variant_a(lam, pool=True), 'a pool as one family B=%s' % ('EB' if lam is None else lam))
    if what in ('b', 'all'):
        for form in ('r', 'r2', 'rs', 'rgap'):
            for staged in (False, True):
                evaluate(variant_b(form, staged), 'b %s %s' % (form, 'staged' if staged else 'joint'))
    if what in ('c', 'all'):
        for kind in ('size', 'family', 'size+family', 'own', 'size-last', 'family-last'):
            for sc in (0.5, 1.0):
                evaluate(variant_c(kind, sc), 'c %s x%.1f' % (kind, sc))


def boot(preds, nboot=1000, seed=0):
    """Paired bootstrap over the 30 candidates (one resample for all budgets of a dataset): the sd of the
    difference of mean PearCorr (x100) between `preds` and ats-gap, per dataset, and at 1/512."""
    rng = np.random.default_rng(seed); g = base_preds(); out = []
    for ds, o in FOLDS:
        B = GB(ds, o); dm = []; d5 = []
        for _ in range(nboot):
            ix = rng.integers(0, 30, 30)
            diff = [100 * (pearson(np.exp(preds[ds][i][ix]), b['truth'][ix]) - pearson(np.exp(g[ds][i][ix]), b['truth'][ix]))
                    for i, b in enumerate(B)]
            dm.append(np.mean(diff)); d5.append(diff[-1])
        out.append((np.std(dm), np.std(d5)))
    return out


if __name__ == '__main__' and what == 'boot':
    for name, p in [('b r staged x1', variant_b('r', True)), ('b rgap staged x1', variant_b('rgap', True)),
                    ('c size x1.0', variant_c('size', 1.0)), ('c family x1.0', variant_c('family', 1.0)),
                    ('a fixed B=0.25', variant_a(0.25))]:
        (fm, f5), (wm, w5) = boot(p)
        print('%-18s bootstrap sd of the difference to ats-gap: FLAN mean %.2f, 1/512 %.2f | WMT19 mean %.2f, 1/512 %.2f' % (name, fm, f5, wm, w5))
