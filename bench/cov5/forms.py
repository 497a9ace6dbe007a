# Every (base width, k's dependence on r) pair, the form's setting chosen on each dataset alone in
# sample by one of two criteria (cov: mean |coverage - level| at 80/90/95% over the budgets, as
# RECENT_SPAN; is: mean interval score at 80/90/95%), LODO: k learned on the other dataset, the
# setting the other dataset chose. One summary line per pair; `-v` prints the tables.
from variants import *

MODES = ('pooled', 'per budget', 'power of r', 'two bands')


def ks(cal, form, a, level, mode):
    U = scores(cal, form, a)
    rr = np.array([b['rr'] for b in cal])
    if mode == 'pooled':
        return np.full(7, pct(np.concatenate(U), level))
    if mode == 'per budget':
        return np.array([pct(u, level) for u in U])
    if mode == 'power of r':
        p, c = np.polyfit(np.log(rr), np.log([pct(u, level) for u in U]), 1)
        return np.exp(c + p * np.log(rr))
    lo, hi = pct(np.concatenate(U[:3]), level), pct(np.concatenate(U[3:]), level)
    return np.array([lo] * 3 + [hi] * 4)


def evaluate(ev, cal, form, a, level, mode):
    k = ks(cal, form, a, level, mode)
    out = []
    for kb, b in zip(k, ev):
        w = kb * FORMS[form](b, a)
        out.append((100 * np.mean(np.abs(b['truth'] - b['centre']) <= w), np.median(w),
                    np.mean(interval_score(b['centre'] - w, b['centre'] + w, b['truth'], level))))
    return out


def choose2(ds, form, mode, crit):
    R = rows(ds, ds)
    grid = GRID.get(form, [None])
    def loss(a):
        res = [evaluate(R, R, form, a, lv, mode) for lv in LEVELS]
        if crit == 'cov':
            return np.mean([abs(c[0] - 100 * lv) for lv, r in zip(LEVELS, res) for c in r])
        return np.mean([c[2] for r in res for c in r])
    return grid[int(np.argmin([loss(a) for a in grid]))]


def run(form, mode, crit, verbose):
    res = {}
    for ds, o in FOLDS:
        a = choose2(o, form, mode, crit)
        ev, cal = ev_cal(ds, o)
        for lv in LEVELS:
            res[(ds, lv)] = (a, evaluate(ev, cal, form, a, lv, mode))
    c9 = [c[0] for ds, _ in FOLDS for c in res[(ds, 0.9)][1]]
    def summ(lv):
        cs = [c[0] for ds, _ in FOLDS for c in res[(ds, lv)][1]]
        return '%2.0f-%3.0f m%4.1f' % (min(cs), max(cs), np.mean(cs))
    print('%-26s %-10s %-3s a=%-11s | 90%%: %2d/14 in band, %s | 80%%: %s | 95%%: %s | med half F %.3f W %.3f | IS90 F %.3f W %.3f' % (
        form, mode, crit, ','.join('n/a' if res[(d, 0.9)][0] is None else '%.3g' % res[(d, 0.9)][0] for d, _ in FOLDS),
        band(c9), summ(0.9), summ(0.8), summ(0.95),
        *[np.median([c[1] for c in res[(d, 0.9)][1]]) for d, _ in FOLDS],
        *[np.mean([c[2] for c in res[(d, 0.9)][1]]) for d, _ in FOLDS]))
    if verbose:
        for lv in LEVELS:
            for ds, _ in FOLDS:
                print('      %.2f %-6s %s' % (lv, ds, fmt([c[0] for c in res[(ds, lv)][1]])))
    return res


if __name__ == '__main__':
    verbose = '-v' in sys.argv
    args = [x for x in sys.argv[1:] if x != '-v']
    forms = args[:1] or list(FORMS)
    for f in forms:
        for mode in MODES:
            for crit in (('cov', 'is') if f in GRID else ('cov',)):
                run(f, mode, crit, verbose)
