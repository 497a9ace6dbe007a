#!/usr/bin/env python3
"""Coverage of `slaw schedule`'s intervals over every choice of fitted runs.

The multi-power protocol fits three named schedules and predicts six: one
draw of the runs a user might have. This script fits every choice of three
of the nine schedules of each model size (84 per size), predicts the final
loss of the six others with `slaw schedule ... --json` (default bootstrap,
90%), and prints per size the share of final losses inside their interval,
per target schedule too.

Usage: python3 bench/schedule_every_triple_coverage.py SLAW METHOD [DATA]
  DATA: the multi-power folder (default ../shared/data/loss-curves/multipower)
  e.g. python3 bench/schedule_every_triple_coverage.py target/release/slaw tissue
"""

import csv
import itertools
import json
import math
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

NAMES = [
    "constant_24000", "constant_72000", "cosine_24000", "cosine_72000", "wsd_20000_24000",
    "wsdld_20000_24000", "wsdcon_3", "wsdcon_9", "wsdcon_18",
]
SIZES = ["25", "100"]


def main():
    slaw, method = sys.argv[1], sys.argv[2]
    data = sys.argv[3] if len(sys.argv) > 3 else "../shared/data/loss-curves/multipower"
    truth = {}
    for size in SIZES:
        for n in NAMES:
            with open(f"{data}/{size}/{n}.csv") as f:
                truth[(size, n)] = float(list(csv.DictReader(f))[-1]["loss"])

    def job(args):
        size, runs = args
        targets = [n for n in NAMES if n not in runs]
        cmd = [slaw, "schedule", *[f"{data}/{size}/{n}.csv" for n in runs], "--method", method, "--json"]
        for n in targets:
            cmd += ["--predict", f"lr:{data}/{size}/{n}.csv"]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        d = json.loads(out.stdout)
        rows = []
        for p, n in zip(d["predictions"], targets):
            last = p["points"][-1]
            rows.append((size, n, last["loss"], last["lo"], last["hi"], truth[(size, n)]))
        return rows

    jobs = [(s, runs) for s in SIZES for runs in itertools.combinations(NAMES, 3)]
    with ThreadPoolExecutor(2) as ex:
        rows = [r for rs in ex.map(job, jobs) for r in rs]
    for size in SIZES:
        mine = [r for r in rows if r[0] == size]
        inside = lambda r: r[3] is not None and r[3] <= r[5] <= r[4]
        half = [0.5 * math.log(r[4] / r[3]) for r in mine if r[3]]
        err = [abs(math.log(r[2] / r[5])) for r in mine]
        print(f"{size}M {method}: covered {sum(map(inside, mine))}/{len(mine)} "
              f"({100 * sum(map(inside, mine)) / len(mine):.1f}%), median half-width (ln) "
              f"{statistics.median(half):.4f}, median |ln error| {statistics.median(err):.4f}")
        for n in NAMES:
            t = [r for r in mine if r[1] == n]
            print(f"    {n:<18} {sum(map(inside, t)):2d}/{len(t)}")


if __name__ == "__main__":
    main()
