#!/usr/bin/env python3
"""ats-gap against ats on synthetic pools of known truth, by noise level.

Each pool: 30 candidates whose fine-tuning losses follow the rectified law
L(D) = G D_l / (D_l + D^beta) + E (G ~ U(1, 3), D_l ~ 10^U(1, 2.5),
E ~ U(0.8, 1.6), beta ~ U(BETA_LO, BETA_HI)) on the ladder 0, 200, ...,
819,200 with log-normal noise NOISE; the truth is the noise-free loss at
1,638,400. `slaw select --method M --budget 1/r --json` ranks each pool
(the shipped weights: learned on FLAN and WMT19, so these pools are a
third, unseen dataset); PearCorr is Pearson's r of the predicted and the
true losses at the target, x100, averaged over the pools.

Usage: python3 bench/selection_noisy_pools.py SLAW NOISE BETA_LO BETA_HI SEED0 POOLS [METHOD ...]
  e.g. python3 bench/selection_noisy_pools.py target/release/slaw 0.03 0.2 0.7 600 5 ats ats-gap
"""

import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

SIZES = [0] + [200 * 2**k for k in range(14)]
BUDGETS = ["1/8", "1/16", "1/32", "1/64", "1/128", "1/256", "1/512"]


def pool(seed, n, noise, beta_lo, beta_hi, path):
    r = random.Random(seed)
    with open(path, "w") as f:
        f.write("config name," + ",".join(map(str, SIZES)) + ",size,family\n")
        for i in range(n):
            g, dl = 1 + 2 * r.random(), 10 ** (1 + 1.5 * r.random())
            beta, e = beta_lo + (beta_hi - beta_lo) * r.random(), 0.8 + 0.8 * r.random()
            vals = [
                (g * dl / (dl + d**beta) + e) * (math.exp(r.gauss(0, noise)) if d < SIZES[-1] else 1.0)
                for d in SIZES
            ]
            f.write(f"m{i:02}," + ",".join("%.6f" % v for v in vals) + ",1e8,synthetic\n")


def main():
    slaw, noise, lo, hi, seed0, pools = sys.argv[1:7]
    methods = sys.argv[7:] or ["ats", "ats-gap"]
    d = tempfile.mkdtemp()
    files = []
    for s in range(int(seed0), int(seed0) + int(pools)):
        files.append(os.path.join(d, f"pool{s}.csv"))
        pool(s, 30, float(noise), float(lo), float(hi), files[-1])

    def score(job):
        f, b, m = job
        out = subprocess.run(
            [slaw, "select", f, "--target", str(SIZES[-1]), "--budget", b, "--method", m, "--json"],
            capture_output=True, text=True,
        )
        if out.returncode not in (0, 4):
            return None
        ranking = json.loads(out.stdout)["ranking"]
        return statistics.correlation([c["score"] for c in ranking], [c["observed_at_target"] for c in ranking])

    jobs = [(f, b, m) for f in files for b in BUDGETS for m in methods]
    with ThreadPoolExecutor(2) as ex:
        got = dict(zip(jobs, ex.map(score, jobs)))
    print(f"noise {noise}, beta U({lo}, {hi}), seeds {seed0}+{pools}: mean PearCorr x100 over the pools")
    print("budget  " + "  ".join(f"{m:>10}" for m in methods))
    means = {m: [] for m in methods}
    for b in BUDGETS:
        row = []
        for m in methods:
            v = [got[(f, b, m)] for f in files if got[(f, b, m)] is not None]
            means[m].append(100 * statistics.mean(v))
            row.append(f"{100 * statistics.mean(v):>10.1f}")
        print(f"{b:<7} " + "  ".join(row))
    print("mean    " + "  ".join(f"{statistics.mean(means[m]):>10.1f}" for m in methods))


if __name__ == "__main__":
    main()
