# Upper bound for a form with one pooled k: the most budgets in 80-97% at 90% that any k reaches,
# chosen with hindsight on the evaluated dataset (LODO centres), per form and setting.
from variants import *
for form in FORMS:
    for a in GRID.get(form, [None]):
        out = []
        for ds, o in FOLDS:
            ev, _ = ev_cal(ds, o)
            U = [np.abs(b['truth'] - b['centre']) / FORMS[form](b, a) for b in ev]
            lo, hi = min(np.min(u) for u in U), max(np.max(u) for u in U)
            out.append(max(band([100 * np.mean(u <= k) for u in U]) for k in np.linspace(lo, hi, 2000)))
        if sum(out) >= 13:
            print('%-26s a=%-6s FLAN %d/7  WMT19 %d/7' % (form, a if a is None else '%.3g' % a, *out))
