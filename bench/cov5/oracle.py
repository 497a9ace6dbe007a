# Is there ANY pooled k (one number per dataset, chosen with hindsight on the evaluated dataset) that
# puts all 7 budgets of a dataset in 80-97% with today's centre and h (LODO centres)? And the
# quantile's interpolation: k(0.9) from the other dataset's 210 scores by linear interpolation
# (today), the next order statistic, and the split-conformal rank ceil((n+1) level).
from base import *
for ds, o in FOLDS:
    ev, cal = ev_cal(ds, o)
    U = [np.abs(b['truth'] - b['centre']) / b['h'] for b in ev]
    best = []
    for k in np.arange(1.0, 8.0, 0.01):
        cv = [100 * np.mean(u <= k) for u in U]
        best.append((band(cv), k, cv))
    nmax = max(b[0] for b in best)
    ks_ = [b[1] for b in best if b[0] == nmax]
    print('%s: the most budgets in band with one k (hindsight): %d/7 for k in %.2f..%.2f, e.g. %s' % (
        ds, nmax, min(ks_), max(ks_), fmt([b[2] for b in best if b[0] == nmax][0])))
    print('   FLAN/WMT top u at each budget:', ' '.join('%.2f' % np.sort(u)[-1] for u in U),
          '| 3rd largest (k below it: <= 27/30 = 90%%):', ' '.join('%.2f' % np.sort(u)[-3] for u in U))
    S = np.sort(np.concatenate([np.abs(b['truth'] - b['centre']) / b['h'] for b in cal]))
    n = len(S)
    print('   k(0.9) learned on %s (%d scores): linear %.3f, next order statistic %.3f, conformal rank %d: %.3f' % (
        o, n, np.percentile(S, 90), np.percentile(S, 90, method='higher'), int(np.ceil((n + 1) * 0.9)), S[int(np.ceil((n + 1) * 0.9)) - 1]))
