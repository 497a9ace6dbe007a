"""Rule PS (measured, rejected): a pooled extrapolation scale for `slaw fit` with 4-5 points
(BENCHMARKS.md, "Extrapolation intervals of `slaw fit`", "Few points (few56)": few56's
`ps_harvest.py` / `ps_eval.py`, re-created; README "Few points": FLAN's and WMT19's scales differ 3x).

Rule (as the section states it): with n = 4 or 5 points, beyond the data yhat x exp(+-c ln(x /
x_last)), c the conformal quantile at the level of |ln(y / yhat)| / ln(x / x_last) over the public
fine-tuning curves (FLAN, WMT19: sizes 200 x 2^k) cut to their first n sizes, fitted with `slaw fit
--law power` (defaults) and scored at 4x and 16x; learned on FLAN to score WMT19 and the reverse, on
both to score the synthetic design of `bench/fit_few_points_coverage.py` (power and rectified truth,
n = 4, 5, 1% and 3% noise, SEEDS seeds, the noise-free truth at 4x and 16x; the noise draws are that
script's, not probe55's). The conformal quantile of m scores at level L is the ceil((m + 1) L)-th
smallest (the section does not name its quantile; this is the usual split-conformal one). Printed per
cell: c, covered at 4x and 16x and the half-width c ln(4), c ln(16) in ln; then how many of the
48 cells (4x and 16x, 90% and 95%) fall outside the acceptance band 80-97%.

Usage: python3 bench/fit_few_points_pooled_scale.py [BIN] [DATA] [SEEDS]
       (default target/release/slaw, ../shared/data/finetune-selection, 30)
"""
import csv
import json
import math
import os
import random
import subprocess
import sys
import tempfile

S = sys.argv[1] if len(sys.argv) > 1 else "target/release/slaw"
DATA = sys.argv[2] if len(sys.argv) > 2 else "../shared/data/finetune-selection"
SEEDS = int(sys.argv[3]) if len(sys.argv) > 3 else 30
TRUTH = {"power": lambda x: 30 * x ** -0.4 + 1.8, "rect": lambda x: 40 / (20 + x ** 0.5) + 1.8}
RATIOS = (4, 16)


def predict(d, name, pts, seed=None):
    """`slaw fit --law power` on pts; its predictions at 4x and 16x the last x."""
    p = os.path.join(d, name + ".csv")
    with open(p, "w") as fh:
        fh.write("x,loss\n" + "".join(f"{x!r},{y!r}\n" for x, y in pts))
    last = pts[-1][0]
    cmd = [S, "fit", p, "--law", "power", "--x", "x", "--y", "loss", "--json"]
    for r in RATIOS:
        cmd += ["--predict", repr(r * last)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [q["value"] for q in json.loads(out)["groups"][0]["predictions"]]


def public(d, name, n):
    """(yhat, y) at 4x and 16x for every curve of DATA/name.csv cut to its first n sizes > 0."""
    rows = list(csv.reader(open(os.path.join(DATA, name + ".csv"))))
    sizes = [(i, float(h)) for i, h in enumerate(rows[0]) if h.replace(".", "").isdigit() and float(h) > 0]
    pairs = []
    for k, row in enumerate(rows[1:]):
        loss = {x: float(row[i]) for i, x in sizes}
        xs = [x for _, x in sizes][:n]
        yhat = predict(d, f"{name}-{n}-{k}", [(x, loss[x]) for x in xs])
        pairs.append([(yhat[j], loss[r * xs[-1]]) for j, r in enumerate(RATIOS)])
    return pairs


def synthetic(d, kind, n, noise):
    f = TRUTH[kind]
    xs = [1e3 * 2 ** k for k in range(n)]
    pairs = []
    for seed in range(1, SEEDS + 1):
        rng = random.Random(seed)
        pts = [(x, f(x) * math.exp(rng.gauss(0, noise))) for x in xs]
        yhat = predict(d, f"d-{kind}-{n}-{noise}-{seed}", pts)
        pairs.append([(yhat[j], f(r * xs[-1])) for j, r in enumerate(RATIOS)])
    return pairs


def scores(pairs):
    return [abs(math.log(y / yh)) / math.log(r) for p in pairs for (yh, y), r in zip(p, RATIOS)]


def conformal(s, level):
    s = sorted(s)
    k = math.ceil((len(s) + 1) * level)
    return s[k - 1] if k <= len(s) else math.inf


FAILED = []


def covered(pairs, c):
    """Covered at 4x and 16x; a cell outside 80-97% (the acceptance) is counted in FAILED."""
    k = [sum(abs(math.log(p[j][1] / p[j][0])) <= c * math.log(r) for p in pairs)
         for j, r in enumerate(RATIOS)]
    FAILED.extend(x for x in k if not 0.80 <= x / len(pairs) <= 0.97)
    return k


with tempfile.TemporaryDirectory() as d:
    for n in (4, 5):
        pub = {name: public(d, name, n) for name in ("flan", "wmt19")}
        syn = {(k, z): synthetic(d, k, n, z) for k in ("power", "rect") for z in (0.01, 0.03)}
        for level in (0.9, 0.95):
            print(f"{n} points, {level:.0%}:")
            for name, other in (("flan", "wmt19"), ("wmt19", "flan")):
                c = conformal(scores(pub[other]), level)
                c4, c16 = covered(pub[name], c)
                print(f"  {name} (c from {other}): c {c:.4f}; 4x {c4}/{len(pub[name])}, "
                      f"{c * math.log(4):.3f}; 16x {c16}/{len(pub[name])}, {c * math.log(16):.3f}")
            c = conformal(scores(pub["flan"]) + scores(pub["wmt19"]), level)
            cells = [covered(syn[key], c) for key in syn]
            print(f"  synthetic (c from both): c {c:.4f}; power 1% / 3%, rect 1% / 3%: 4x "
                  f"{', '.join(str(x[0]) for x in cells)} of {SEEDS}, {c * math.log(4):.3f}; 16x "
                  f"{', '.join(str(x[1]) for x in cells)}, {c * math.log(16):.3f}")
print(f"{len(FAILED)} of 48 cells outside 80-97%")
