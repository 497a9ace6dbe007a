# RelAcc (x100) of the prior-sampled variants, LODO, three ways of choosing: ats-trend's risk-averse
# choice (what ats-gap ships: unchanged by the ranking), the risk-averse choice around the new centre
# with the new prediction as a 4th hypothesis (bench/s13 robust2.py's form), the lowest prediction.
from prior4 import *
CHOSEN = {'flan': ('syn', 'quad', 1e-4, 0.5, 'gap'), 'wmt19': ('syn', 'quad', 1e-4, None, 'gap')}
VAR = [('nested choice', None), ('ridge gap4 + ats-gap', ('syn', 'gap4', 1e-6, None, 'gap')),
       ('ridge gap4 alone', ('syn', 'gap4', 1e-6, None, 'alone')), ('ridge quad alone', ('syn', 'quad', 1e-4, None, 'alone'))]
for ds, other in FOLDS:
    B = get_base(ds, other); S = sample_from(other, np.arange(30), 3000, 0)
    ra = [100 * relacc(b['truth'], b['ats_choice']) for b in B]
    print('%-6s AtS                      ' % ds, ' '.join('%5.1f' % v for v in ra))
    print('%-6s ats-trend choice (ats-gap)' % ds, ' '.join('%5.1f' % (100 * relacc(b['truth'], b['choice'])) for b in B))
    for name, cfg in VAR:
        cfg = cfg or CHOSEN[ds]; src, kind, lam, match, mix = cfg
        rob = []; low = []
        for b in B:
            q = ridge_preds(S, (other, 'lodo', src, 0), DATA[ds], np.arange(30), b['m'], kind, lam, match)
            p = q if mix == 'alone' else 0.5 * (q + b['pg'])
            h = np.array([max(abs(v - p[c]) for v in (hy[1], hy[2], hy[3], q[c])) for c, hy in enumerate(b['hyps'])])
            up = p + Q * np.hypot(b['sp'] * b['rr'], h)
            rob.append(100 * relacc(b['truth'], int(np.argmin(up)))); low.append(100 * relacc(b['truth'], int(np.argmin(p))))
        ok = lambda v: 'OK' if all(x >= y - 1e-9 for x, y in zip(v, ra)) else 'below AtS'
        print('%-6s %-19s robust' % (ds, name), ' '.join('%5.1f' % v for v in rob), ok(rob))
        print('%-6s %-19s lowest' % (ds, name), ' '.join('%5.1f' % v for v in low), ok(low))
