"""Coverage of `slaw fit --law power`'s 95% interval beyond 4-5 points, where no extrapolation
interval exists and only the bootstrap one is printed (BENCHMARKS.md, "Extrapolation intervals of
`slaw fit`", "Few points (few56)": probe55's `fcov.py`, re-created; README "Few points").

Design (as the section states it): truth `power` L = 30 x^-0.4 + 1.8 or `rect` L = 40 / (20 + x^0.5)
+ 1.8, N points at x = 1e3 x 2^k (k = 0 .. N-1), log-normal noise exp(NOISE z), z standard normal;
each of SEEDS files fitted with `slaw fit FILE --law power --x x --y loss --predict 4x --predict 16x
(the last x) --bootstrap 100 --seed S --json`; counted: the noise-free truth inside the printed
interval (the extrapolation interval if any, else the bootstrap one) at 4x and at 16x. The noise
draws are this script's (Python's `random.Random(seed)`), not probe55's.

Usage: python3 bench/fit_few_points_coverage.py [BIN] [SEEDS]   (every cell: power|rect, N 4 and 5,
NOISE 0.01 and 0.03; default BIN target/release/slaw, SEEDS 30)
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

S = sys.argv[1] if len(sys.argv) > 1 else "target/release/slaw"
SEEDS = int(sys.argv[2]) if len(sys.argv) > 2 else 30
TRUTH = {
    "power": lambda x: 30 * x ** -0.4 + 1.8,
    "rect": lambda x: 40 / (20 + x ** 0.5) + 1.8,
}


def cell(d, kind, n, noise):
    f = TRUTH[kind]
    xs = [1e3 * 2 ** k for k in range(n)]
    at = [4 * xs[-1], 16 * xs[-1]]
    covered, kinds = [0, 0], set()
    for seed in range(1, SEEDS + 1):
        rng = random.Random(seed)
        p = os.path.join(d, f"d-{kind}-{n}-{noise}-{seed}.csv")
        with open(p, "w") as fh:
            fh.write("x,loss\n")
            for x in xs:
                fh.write(f"{x!r},{f(x) * math.exp(rng.gauss(0, noise))!r}\n")
        cmd = [S, "fit", p, "--law", "power", "--x", "x", "--y", "loss", "--bootstrap", "100",
               "--seed", str(seed), "--json"]
        for a in at:
            cmd += ["--predict", repr(a)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        for i, q in enumerate(json.loads(out)["groups"][0]["predictions"]):
            iv = q["extrapolation_interval"] or q["interval"]
            kinds.add((q["extrapolation_interval_kind"] or q["interval_kind"])["kind"])
            covered[i] += iv["lo"] <= f(at[i]) <= iv["hi"]
    return covered, kinds


with tempfile.TemporaryDirectory() as d:
    print(f"truth  N  noise  covered at 4x / 16x (of {SEEDS})  interval")
    for n in (4, 5):
        for kind in ("power", "rect"):
            for noise in (0.01, 0.03):
                (c4, c16), kinds = cell(d, kind, n, noise)
                print(f"{kind:5s}  {n}  {noise:.2f}   {c4:2d} / {c16:2d}  {','.join(sorted(kinds))}")
