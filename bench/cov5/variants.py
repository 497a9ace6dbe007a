# Interval forms for the selection interval, LODO: half-width = k * w, w a per-candidate base width
# (ln units), k the quantile at the level of |truth - centre| / w over the OTHER dataset's complete
# curves at every budget (pooled, as Rust's SpreadScale). A form's own setting (a, p, ...) is chosen
# on each dataset alone, in sample (mean |coverage - level| at 80/90/95% over the 7 budgets, as
# RECENT_SPAN was chosen); the LODO fold of a dataset uses the setting chosen on the other one.
from base import *
LEVELS = (0.8, 0.9, 0.95)


def dists(b):
    return np.abs(b['H'][:, 1:] - b['pred'][:, None])  # line, trend, steep


FORMS = {
    'h (today)': lambda b, a: b['h'],
    'h line-trend only': lambda b, a: dists(b)[:, :2].max(axis=1),
    'rms of 3 distances': lambda b, a: np.sqrt((dists(b) ** 2).mean(axis=1)),
    'h * r^p': lambda b, a: b['h'] * b['rr'] ** a,
    'h^p': lambda b, a: b['h'] ** a,
    'h + a (floor, ln units)': lambda b, a: b['h'] + a,
    'h^(1-a) (s r)^a': lambda b, a: b['h'] ** (1 - a) * (b['spread'] * b['rr']) ** a,
    '(1-a) h + a s r': lambda b, a: (1 - a) * b['h'] + a * b['spread'] * b['rr'],
    'hypot(h, a s r)': lambda b, a: np.hypot(b['h'], a * b['spread'] * b['rr']),
    's r^p (common width)': lambda b, a: b['spread'] * b['rr'] ** a + 0 * b['h'],
    'h^(1-a) (s r^1.5)^a': lambda b, a: b['h'] ** (1 - a) * (b['spread'] * b['rr'] ** 1.5) ** a,
    'max(line, trend, c steep)': lambda b, a: np.maximum(dists(b)[:, :2].max(axis=1), a * dists(b)[:, 2]),
}
GRID = {
    'max(line, trend, c steep)': [0.25, 0.5, 0.75, 1.0, 1.25, 1.5],
    'h * r^p': np.linspace(-1.5, 1.5, 13),
    'h^p': np.linspace(0.25, 1.5, 11),
    'h + a (floor, ln units)': [0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08],
    'h^(1-a) (s r)^a': np.linspace(0, 1, 11),
    '(1-a) h + a s r': np.linspace(0, 1, 11),
    'hypot(h, a s r)': [0, 0.5, 1, 1.5, 2, 3, 4, 6],
    's r^p (common width)': np.linspace(0, 2.5, 11),
    'h^(1-a) (s r^1.5)^a': np.linspace(0, 1, 11),
}


def scores(R, form, a):
    return [np.abs(b['truth'] - b['centre']) / FORMS[form](b, a) for b in R]


def coverage(ev, cal, form, a, level):
    k = pct(np.concatenate(scores(cal, form, a)), level)
    out = []
    for b in ev:
        w = FORMS[form](b, a)
        out.append((100 * np.mean(np.abs(b['truth'] - b['centre']) <= k * w), np.median(k * w),
                    np.mean(interval_score(b['centre'] - k * w, b['centre'] + k * w, b['truth'], level))))
    return out


def choose(ds, form):
    """The setting chosen on `ds` alone, in sample."""
    R = rows(ds, ds)
    grid = GRID.get(form, [None])
    dev = [np.mean([abs(c[0] - 100 * lv) for lv in LEVELS for c in coverage(R, R, form, a, lv)]) for a in grid]
    return grid[int(np.argmin(dev))], dev


def table(form, verbose=True):
    res = {}
    for ds, o in FOLDS:
        a, _ = choose(o, form)
        ev, cal = ev_cal(ds, o)
        for lv in LEVELS:
            res[(ds, lv)] = (a, coverage(ev, cal, form, a, lv))
    if verbose:
        inb = band([c[0] for ds, _ in FOLDS for c in res[(ds, 0.9)][1]])
        print('%-24s in band at 90%%: %2d/14' % (form, inb))
        for lv in LEVELS:
            for ds, _ in FOLDS:
                a, cv = res[(ds, lv)]
                print('   %.2f %-6s a=%-6s cov %s  mean %4.1f | med half %.3f | IS %.3f' % (
                    lv, ds, 'n/a' if a is None else '%.3g' % a, fmt([c[0] for c in cv]), np.mean([c[0] for c in cv]),
                    np.median([c[1] for c in cv]), np.mean([c[2] for c in cv])))
    return res


if __name__ == '__main__':
    forms = sys.argv[1:] or list(FORMS)
    for f in forms:
        table(f)
