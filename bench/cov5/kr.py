# k depending on the log distance r to the target, learned on the other dataset's complete curves:
# (i) one k per budget (Mondrian), (ii) a power of r: ln q_b(level) = c + p ln r fitted over the
# other dataset's 7 budgets (least squares), (iii) a pooled k for the 3 short and the 4 long
# budgets (two bands). Base width: h (today) or the form given on the command line.
from variants import *
form = sys.argv[1] if len(sys.argv) > 1 else 'h (today)'
a_fixed = float(sys.argv[2]) if len(sys.argv) > 2 else None


def ks(cal, a, level, mode):
    U = scores(cal, form, a)
    rr = np.array([b['rr'] for b in cal])
    if mode == 'pooled':
        return np.full(7, pct(np.concatenate(U), level))
    if mode == 'per budget':
        return np.array([pct(u, level) for u in U])
    if mode == 'power of r':
        q = np.log([pct(u, level) for u in U])
        p, c = np.polyfit(np.log(rr), q, 1)
        return np.exp(c + p * np.log(rr))
    if mode == 'two bands':
        lo, hi = pct(np.concatenate(U[:3]), level), pct(np.concatenate(U[3:]), level)
        return np.array([lo] * 3 + [hi] * 4)


for mode in ('pooled', 'per budget', 'power of r', 'two bands'):
    line = []
    for ds, o in FOLDS:
        a = a_fixed if a_fixed is not None else choose(o, form)[0]
        ev, cal = ev_cal(ds, o)
        for lv in LEVELS:
            k = ks(cal, a, lv, mode)
            cv, hw, IS = [], [], []
            for kb, b in zip(k, ev):
                w = FORMS[form](b, a)
                cv.append(100 * np.mean(np.abs(b['truth'] - b['centre']) <= kb * w))
                hw.append(np.median(kb * w))
                IS.append(np.mean(interval_score(b['centre'] - kb * w, b['centre'] + kb * w, b['truth'], lv)))
            line.append((ds, lv, cv, np.median(hw), np.mean(IS), k))
    print('%s, k %s: in band at 90%%: %d/14' % (form, mode, sum(band(c) for ds, lv, c, *_ in line if lv == 0.9)))
    for ds, lv, c, mh, IS, k in line:
        print('   %.2f %-6s %s mean %4.1f  med half %.3f IS %.3f   k %s' % (lv, ds, fmt(c), np.mean(c), mh, IS, ' '.join('%.2f' % v for v in k)))
