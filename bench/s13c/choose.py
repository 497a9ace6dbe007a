# The s13 protocol for choosing among variants: each dataset alone, in sample (trend prior, gap and size
# weights and scoring on the same dataset), mean PearCorr over the 7 budgets with the risk-averse choice
# around the new centre, RelAcc >= AtS at every budget. The variant chosen on one dataset is then
# scored LODO on the other (`python3 bench/s13c/choose.py`). Two criteria: 'robust' (RelAcc of the
# risk-averse choice around the new centre >= AtS at every budget), 'ranking' (the variant moves the
# ranking only and the choice stays ats-trend's, as ats-gap ships: RelAcc unchanged, no constraint).
# 'c own' (each candidate's own backtest residual) is a control that shares nothing: not a candidate.
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from share import *

VARIANTS = [('ats-gap', lambda f: base_preds(f))]
for lam in (None, 0.25, 0.5):
    VARIANTS.append(('a family B=%s' % ('EB' if lam is None else lam), lambda f, lam=lam: variant_a(lam, folds=f)))
for t in ('gapterm', 'sizeline'):
    VARIANTS.append(('a2 ' + t, lambda f, t=t: variant_a2(t, folds=f)))
for form in ('r', 'r2', 'rs', 'rgap'):
    for staged in (False, True):
        for sc in (1.0, 2.0, 3.0):
            VARIANTS.append(('b %s %s x%.0f' % (form, 'staged' if staged else 'joint', sc),
                             lambda f, form=form, staged=staged, sc=sc: variant_b(form, staged, sc, folds=f)))
for kind in ('size', 'family', 'size+family', 'own', 'size-last', 'family-last'):
    for sc in (0.5, 1.0):
        VARIANTS.append(('c %s x%.1f' % (kind, sc), lambda f, kind=kind, sc=sc: variant_c(kind, sc, folds=f)))

if __name__ == '__main__':
    print('in sample, each dataset alone: FLAN 1/8..1/512 | WMT19 1/8..1/512')
    ins = {}
    for name, fn in VARIANTS:
        ins[name] = evaluate(fn(INSAMPLE), name, folds=INSAMPLE)
    for crit in ('robust', 'ranking'):
        print('--- criterion:', crit)
        chosen = {}
        for k, ds in enumerate(['flan', 'wmt19']):
            ok = [(np.mean(P[7 * k:7 * k + 7]), n) for n, (P, RR, oks) in ins.items()
                  if (oks[k] or crit == 'ranking') and not n.startswith('c own')]
            best = max(ok); chosen[ds] = best[1]
            print('chosen on %s alone: %s (in-sample mean %.1f; ats-gap %.1f)' % (ds, best[1], best[0], np.mean(ins['ats-gap'][0][7 * k:7 * k + 7])))
        print('LODO: FLAN scored with the variant chosen on WMT19, WMT19 with the one chosen on FLAN')
        lodo = {n: evaluate(fn(FOLDS), n, show=False) for n, fn in VARIANTS if n in chosen.values() or n == 'ats-gap'}
        P = np.concatenate([lodo[chosen['wmt19']][0][:7], lodo[chosen['flan']][0][7:]])
        g = lodo['ats-gap'][0]
        print('%-34s' % 'chosen (LODO)', ' '.join('%5.1f' % v for v in P[:7]), '|', ' '.join('%5.1f' % v for v in P[7:]),
              '| F %.1f W %.1f | 1/512 %.1f %.1f' % (np.mean(P[:7]), np.mean(P[7:]), P[6], P[13]))
        print('%-34s' % 'ats-gap (LODO)', ' '.join('%5.1f' % v for v in g[:7]), '|', ' '.join('%5.1f' % v for v in g[7:]),
              '| F %.1f W %.1f | 1/512 %.1f %.1f' % (np.mean(g[:7]), np.mean(g[7:]), g[6], g[13]))
        print('RelAcc (new centre) FLAN', lodo[chosen['wmt19']][2][0], 'WMT19', lodo[chosen['flan']][2][1])
