# One form's setting swept, the same setting in both folds (LODO k): to see the landscape, not to
# choose (the choice is `variants.choose`, on each dataset alone). Also the in-sample criterion.
from variants import *
form = sys.argv[1]
grid = GRID[form]
for ds in ('flan', 'wmt19'):
    a, dev = choose(ds, form)
    print('in-sample criterion on %s: %s -> %s' % (ds, ' '.join('%.3g:%.2f' % (g, d) for g, d in zip(grid, dev)), a))
for a in grid:
    line = []
    for ds, o in FOLDS:
        ev, cal = ev_cal(ds, o)
        for lv in LEVELS:
            cv = coverage(ev, cal, form, a, lv)
            line.append((ds, lv, [c[0] for c in cv], np.median([c[1] for c in cv]), np.mean([c[2] for c in cv])))
    inb = sum(band(c) for ds, lv, c, _, _ in line if lv == 0.9)
    print('a=%.3g in band at 90%%: %d/14' % (a, inb))
    for ds, lv, c, mh, IS in line:
        print('   %.2f %-6s %s mean %4.1f  med half %.3f IS %.3f' % (lv, ds, fmt(c), np.mean(c), mh, IS))
