"""How often `slaw fit --predict` marks an interval "not determined by the data" (over a decade, or a
lower end at the floor) beyond 12 points (BENCHMARKS.md, "Loss-curve forecasting", "2026-12-05, branch
`fix54`": fix54's `undet.py`, re-created for the two laws whose probe53 design is written down; README
on `not_determined`).

Design: probe53's rectified and m4 curves as `crates/slaw/examples/param_coverage.rs` (designs
`probe53`) holds them: `rectified` L = 40 / (200 + x^0.45) + 1.3; `m4` (L - E) / (I - L)^alpha = beta
x^-c with E 1.5, I 5, alpha 1, beta 30, c 0.5 (alpha = 1: L = (E + b I) / (1 + b), b = beta x^-c);
12 points log-spaced 1e3 ... 1.6e5, 1% log-normal noise (exp(0.01 z), Python's `random.Random(seed)`:
not probe53's draws), SEEDS seeds; each `slaw fit FILE --law LAW --x x --y loss --predict 6.4e5
--predict 2.56e6 (4x, 16x) --bootstrap 200 --seed 1 --json`. Counted: predictions with
`not_determined` true, and the range of their `decades`. (probe53's power, vanilla-ft and bnsl
designs are not written down anywhere kept, so those rows are not here.)

Usage: python3 bench/fit_undetermined_flag.py [BIN] [SEEDS]   (default target/release/slaw, 20)
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

S = sys.argv[1] if len(sys.argv) > 1 else "target/release/slaw"
SEEDS = int(sys.argv[2]) if len(sys.argv) > 2 else 20


def m4(x, e=1.5, i=5.0, beta=30.0, c=0.5):
    b = beta * x ** -c
    return (e + b * i) / (1 + b)


TRUTH = {"rectified": lambda x: 40 / (200 + x ** 0.45) + 1.3, "m4": m4}
XS = [1e3 * 160 ** (k / 11) for k in range(12)]

with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, "c.csv")
    for law, f in TRUTH.items():
        flagged, decades, seeds = 0, [], []
        for seed in range(1, SEEDS + 1):
            rng = random.Random(seed)
            with open(p, "w") as fh:
                fh.write("x,loss\n")
                for x in XS:
                    fh.write(f"{x!r},{f(x) * math.exp(rng.gauss(0, 0.01))!r}\n")
            out = subprocess.run([S, "fit", p, "--law", law, "--x", "x", "--y", "loss",
                                  "--predict", repr(4 * XS[-1]), "--predict", repr(16 * XS[-1]),
                                  "--bootstrap", "200", "--seed", "1", "--json"],
                                 capture_output=True, text=True).stdout
            for q in json.loads(out)["groups"][0]["predictions"]:
                if q.get("not_determined"):
                    flagged += 1
                    seeds.append(seed)
                    if q.get("decades") is not None:
                        decades.append(q["decades"])
        span = f", {min(decades):.1f}-{max(decades):.1f} decades" if decades else ""
        at_floor = flagged - len(decades)
        print(f"{law}: {flagged}/{2 * SEEDS} flagged{span}"
              f"{f', {at_floor} at the floor' if at_floor else ''}; seeds {sorted(set(seeds))}")
