# The pool-matched ridge on prior-sampled curves (prior2.py): (1) its settings chosen on each dataset
# ALONE (prior, trend/gap weights and scoring on the same dataset, in sample: each LODO fold's choice
# is then made without the evaluated dataset, as bench/s13 choose_form.py), then scored LODO;
# (2) seeds of the sampling; (3) control: the same pool-matched ridge on the other dataset's 30 real
# curves (no prior, no sampling).
from prior2 import *
import sys
GRID = [(sh, kind, lam, match, mix) for sh in [0.0, 1.0] for kind, lam in [('gap4', 1e-6), ('quad', 1e-4)]
        for match in [None, 1.0, 0.5] for mix in ['alone', 'gap']]
def preds(ds, prior_ds, cfg, seed=0, N=3000, real=False):
    sh, kind, lam, match, mix = cfg
    if real: Ys = DATA[prior_ds]; key = ('realref', prior_ds)
    else: Ys = sample2(prior_ds, N, 0.3, 'resid', sh, seed); key = ('syn', prior_ds, sh, seed, N)
    B = base(ds, prior_ds) if (ds, prior_ds) not in _B else _B[(ds, prior_ds)]; _B[(ds, prior_ds)] = B
    Y = DATA[ds]; out = []
    for b in B:
        m = b['m']; Fs, Ds = fm(key, Ys, m, kind); F, _ = fm(('real', ds), Y, m, kind)
        if match is None: w = ridge(Fs, Ds, lam)
        else:
            G, _ = fm(key, Ys, m, 'gap4'); Gp, _ = fm(('real', ds), Y, m, 'gap4')
            sd = G.std(0) + 1e-12; d2 = (((G[:, None, :] - Gp[None, :, :]) / sd) ** 2).sum(2)
            wt = np.exp(-0.5 * d2 / match ** 2).mean(1); wt = wt / wt.mean()
            sw = np.sqrt(wt)[:, None]; w = ridge(Fs * sw, Ds * sw[:, 0], lam)
        p = b['ylast'] + F @ w
        out.append(p if mix == 'alone' else 0.5 * (p + b['pg']))
    return B, out
_B = {}
def score(B, P): return np.array([100 * pearson(np.exp(p), b['truth']) for b, p in zip(B, P)])
def gapscore(B): return np.array([100 * pearson(np.exp(b['pg']), b['truth']) for b in B])
if __name__ == '__main__':
    what = sys.argv[1]
    if what == 'choose':
        for ds in DATA:
            B = base(ds, ds); _B[(ds, ds)] = B; g = gapscore(B)
            print('in sample', ds, 'ats-gap mean %.1f' % g.mean(), ' '.join('%5.1f' % v for v in g))
            for cfg in GRID:
                P = score(*preds(ds, ds, cfg)); print('in sample', ds, cfg, 'mean %.1f' % P.mean(), ' '.join('%5.1f' % v for v in P)); sys.stdout.flush()
    if what == 'seeds':
        cfg = tuple(eval(sys.argv[2]))
        for seed in range(4):
            for ds, o in FOLDS:
                P = score(*preds(ds, o, cfg, seed)); print('LODO', ds, cfg, 'seed', seed, 'mean %.1f' % P.mean(), ' '.join('%5.1f' % v for v in P)); sys.stdout.flush()
    if what == 'control':
        for cfg in [c for c in GRID if c[0] == 0.0]:
            for ds, o in FOLDS:
                P = score(*preds(ds, o, cfg, real=True)); print('LODO real-curves', ds, cfg, 'mean %.1f' % P.mean(), ' '.join('%5.1f' % v for v in P)); sys.stdout.flush()
