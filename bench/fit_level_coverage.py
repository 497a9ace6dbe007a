"""Coverage of `slaw fit`'s extrapolation interval at a level above 95% (BENCHMARKS.md, "Extrapolation
intervals of `slaw fit`", "2026-12-05, stop 53 (lead; probe53 finding 2): the misfit factor above 95%":
probe53's `lv99.py`, re-created for the two laws whose probe53 design is written down).

Design: as `bench/fit_undetermined_flag.py` (probe53's rectified L = 40 / (200 + x^0.45) + 1.3 and m4
with E 1.5, I 5, alpha 1, beta 30, c 0.5; 12 points log-spaced 1e3 ... 1.6e5, 1% log-normal noise
drawn by Python's `random.Random(seed)`, seeds 1 ... SEEDS), each `slaw fit FILE --law LAW --x x --y
loss --predict 6.4e5 --predict 2.56e6 (4x, 16x) --level LEVEL --json` (no `--bootstrap`). Counted:
the noise-free truth inside the extrapolation interval (else the printed interval); a prediction
without an interval counts as a miss and is listed; and in how many cases the LEVEL interval differs
from the 95% one.

Usage: python3 bench/fit_level_coverage.py [BIN] [LEVEL] [SEEDS]   (default target/release/slaw,
0.99, 20)
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

S = sys.argv[1] if len(sys.argv) > 1 else "target/release/slaw"
LEVEL = sys.argv[2] if len(sys.argv) > 2 else "0.99"
SEEDS = int(sys.argv[3]) if len(sys.argv) > 3 else 20


def m4(x, e=1.5, i=5.0, beta=30.0, c=0.5):
    b = beta * x ** -c
    return (e + b * i) / (1 + b)


TRUTH = {"rectified": lambda x: 40 / (200 + x ** 0.45) + 1.3, "m4": m4}
XS = [1e3 * 160 ** (k / 11) for k in range(12)]
AT = [4 * XS[-1], 16 * XS[-1]]


def intervals(p, law, level):
    out = subprocess.run([S, "fit", p, "--law", law, "--x", "x", "--y", "loss", "--predict", repr(AT[0]),
                          "--predict", repr(AT[1]), "--level", level, "--json"],
                         capture_output=True, text=True).stdout
    return [q["extrapolation_interval"] or q["interval"] for q in json.loads(out)["groups"][0]["predictions"]]


with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, "c.csv")
    for law, f in TRUTH.items():
        held = {"0.95": 0, LEVEL: 0}
        differ, none = 0, []
        for seed in range(1, SEEDS + 1):
            rng = random.Random(seed)
            with open(p, "w") as fh:
                fh.write("x,loss\n")
                for x in XS:
                    fh.write(f"{x!r},{f(x) * math.exp(rng.gauss(0, 0.01))!r}\n")
            ivs = {lv: intervals(p, law, lv) for lv in held}
            for lv, row in ivs.items():
                for iv, a in zip(row, AT):
                    if iv is None:
                        none.append((seed, lv))
                    else:
                        held[lv] += iv["lo"] <= f(a) <= iv["hi"]
            differ += sum(a != b for a, b in zip(ivs["0.95"], ivs[LEVEL]))
        print(f"{law}: covered at 0.95 {held['0.95']}/{2 * SEEDS}, at {LEVEL} {held[LEVEL]}/{2 * SEEDS}; "
              f"the {LEVEL} interval differs from the 0.95 one in {differ}/{2 * SEEDS}"
              + (f"; no interval (a miss): seed, level {sorted(set(none))}" if none else ""))
