# Diagnostic only (it reads the truth, so it chooses nothing): how much of ats-gap's LODO error at the
# target, e = ln L(1,638,400) - ats-gap's prediction (centred on the pool), goes with ln(size) and with
# the family, and whether the pool's own backtest residuals (bench/s13c share.py, variant c) or the
# predicted continuation d = prediction - ln L(last) track it. `python3 bench/s13c/diag.py`
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
sys.argv = [sys.argv[0], 'none']
from share import *
print('dataset budget corr(e, ln size) | family eta^2 (8 families; chance 7/29 = 0.24) | corr(backtest, e) | corr(d, e) | sd e, sd d')
for ds, o in FOLDS:
    zs = zsize(ds); fid, nf = fam_ids(ds)
    for i, b in enumerate(GB(ds, o)):
        err = np.log(b['truth']) - b['pg']; err = err - err.mean()
        fm = np.array([err[fid == f].mean() for f in range(nf)])
        eta = sum((fid == f).sum() * fm[f] ** 2 for f in range(nf)) / np.sum(err ** 2)
        res, n = get_bt(ds, o)[i]; d = b['pg'] - b['ylast']
        print('%-6s 1/%-4d %6.2f | %5.2f | %6.2f | %6.2f | %.3f %.3f' % (
            ds, RATIOS[i], np.corrcoef(err, zs)[0, 1], eta, np.corrcoef(res, err)[0, 1], np.corrcoef(d, err)[0, 1], err.std(), d.std()))
