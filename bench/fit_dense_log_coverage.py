"""Coverage and width of `slaw fit`'s 95% extrapolation interval on dense logs of a correct power law,
beyond and below the data (BENCHMARKS.md, "Extrapolation intervals of `slaw fit`", branches `fx45d`,
`fx46d`, `fx47a`: the linear-step rows of their synthetic grids, `run_grid.sh` / `cov_grid.py` /
`below_grid.py`, re-created for those rows only).

Design (the sections' and the tests `extrapolation::tests::more_data_from_the_law_do_not_widen_the_
interval{,_below_the_data}`): truth L = 8 x^-0.3 + 2, N evenly spaced steps 10 ... 20,000, 1%
log-normal noise (exp(0.01 z), z standard normal, Python's `random.Random(seed)`: not the sections'
draws). `beyond`: x = step, predicted at 10x the last step (x = 200,000); `below`: the log mirrored
in ln x (x = 200,000 / step, dense near the first x = 10), predicted at 1/10 of the first x (x = 1).
Each seed `slaw fit FILE --law power --x x --y loss --predict X --json` (defaults: 95%); counted: the
noise-free truth inside the extrapolation interval, and the median half-width in ln, ln(hi / lo) / 2.
The grids' other rows (12 doubling sizes, 3% noise, a bent truth) are not here: the sections do not
give their x or their bend's x0.

Usage: python3 bench/fit_dense_log_coverage.py [BIN] [SEEDS]   (both directions, N = 30, 200, 2,000;
default target/release/slaw, 40 seeds)
"""
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile

S = sys.argv[1] if len(sys.argv) > 1 else "target/release/slaw"
SEEDS = int(sys.argv[2]) if len(sys.argv) > 2 else 40
truth = lambda x: 8 * x ** -0.3 + 2

with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, "log.csv")
    for direction, x_at in (("beyond", 200000.0), ("below", 1.0)):
        for n in (30, 200, 2000):
            held, half = 0, []
            for seed in range(1, SEEDS + 1):
                rng = random.Random(seed)
                steps = [10 + (20000 - 10) * k / (n - 1) for k in range(n)]
                xs = steps if direction == "beyond" else [200000 / s for s in steps]
                with open(p, "w") as fh:
                    fh.write("x,loss\n")
                    for x in xs:
                        fh.write(f"{x!r},{truth(x) * math.exp(rng.gauss(0, 0.01))!r}\n")
                out = subprocess.run([S, "fit", p, "--law", "power", "--x", "x", "--y", "loss",
                                      "--predict", repr(x_at), "--json"],
                                     capture_output=True, text=True, check=True).stdout
                iv = json.loads(out)["groups"][0]["predictions"][0]["extrapolation_interval"]
                held += iv["lo"] <= truth(x_at) <= iv["hi"]
                half.append(math.log(iv["hi"] / iv["lo"]) / 2)
            print(f"{direction} (x = {x_at:g}), {n} points: {held}/{SEEDS} hold the truth, "
                  f"median half-width {statistics.median(half):.3f}")
