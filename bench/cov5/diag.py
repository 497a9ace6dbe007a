# Why FLAN 1/512 is over-covered: u = |truth - centre| / h per dataset and budget (in sample, the
# dataset's own prior, as its scores enter the other fold's k), the k each fold uses, h and |err|.
from base import *
np.set_printoptions(precision=3, suppress=True)
print('u = |ln L_true - centre| / h, per budget (the dataset with its own prior: its calibration scores)')
for ds in ('flan', 'wmt19'):
    R = rows(ds, ds)
    for lv in (0.8, 0.9, 0.95):
        print('%-6s q%.2f of u per budget: %s   pooled %.2f' % (ds, lv, ' '.join('%5.2f' % pct(np.abs(b['truth'] - b['centre']) / b['h'], lv) for b in R),
              pct(np.concatenate([np.abs(b['truth'] - b['centre']) / b['h'] for b in R]), lv)))
print()
print('Evaluated LODO (the other dataset\'s prior):')
for ds, o in FOLDS:
    ev, cal = ev_cal(ds, o)
    U = np.concatenate([np.abs(b['truth'] - b['centre']) / b['h'] for b in cal])
    k = pct(U, 0.9)
    print('%s: k(0.9) learned on %s = %.3f' % (ds, o, k))
    for b in ev:
        e = b['truth'] - b['centre']
        u = np.abs(e) / b['h']
        print('  1/%-3d r %.2f  med h %.4f  med|e| %.4f  rms e %.4f  mean e %+.4f  q.9 u %.2f  q.9 |e| %.4f  k*med h %.4f  cov %.0f  u sorted top: %s' % (
            b['r'], b['rr'], np.median(b['h']), np.median(np.abs(e)), np.sqrt(np.mean(e ** 2)), e.mean(), pct(u, .9), pct(np.abs(e), .9),
            k * np.median(b['h']), 100 * np.mean(u <= k), np.sort(u)[-4:]))
print()
print('h: how the hypotheses spread; line / trend / steepening relative to pred (median over candidates)')
for ds, o in FOLDS:
    ev, _ = ev_cal(ds, o)
    for b in ev:
        d = b['H'][:, 1:] - b['pred'][:, None]
        which = np.argmax(np.abs(d), axis=1)
        print('  %s 1/%-3d med line %+.4f trend %+.4f steep %+.4f ; h set by line/trend/steep: %s ; truth-pred med %+.4f, drift corr %+.4f' % (
            ds, b['r'], *np.median(d, axis=0), np.bincount(which, minlength=3), np.median(b['truth'] - b['pred']), b['rr'] * b['rdrift']))
