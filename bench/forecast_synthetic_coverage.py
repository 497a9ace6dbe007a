#!/usr/bin/env python3
"""Coverage of `slaw forecast`'s intervals when the law holds exactly.

Step-only curves of a known law with relative log-normal noise: `power`
(L = E + A t^-alpha), `reciprocal` (L = E + A / (1 + b t)) or `log`
(L = a - b ln t, from E at the last step to E + u E at step 100), steps 100 to
100,000 every 100 (1,000 points; `--every K`: every K steps), parameters drawn per seed (E in [1.5, 3],
alpha in [0.2, 0.6], the excess over E at the first step 1-3 x E; b x the
last step in [10, 300]). Each curve is fitted by the same law on its first
25% of steps (`--fit-until 0.25`) and forecast at the last step (4x the
fitted span); the interval is compared with the noiseless truth there and
with the observed (noisy) final loss.

Usage: python3 bench/forecast_synthetic_coverage.py SLAW SEEDS NOISE LAW [--level L] [--every K]
  e.g. python3 bench/forecast_synthetic_coverage.py target/release/slaw 20 0.01 power
Prints: covered (truth) / seeds, covered (observed) / seeds, the median
half-width of the interval in ln L, and the 90th percentile of
|ln(forecast / truth)|.
"""

import argparse
import json
import math
import os
import random
import subprocess
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("slaw")
    ap.add_argument("seeds", type=int)
    ap.add_argument("noise", type=float)
    ap.add_argument("law", choices=["power", "reciprocal", "log"])
    ap.add_argument("--level", default="0.9")
    ap.add_argument(
        "--every",
        type=int,
        default=100,
        help="log every this many steps (default 100: 1,000 points; 10: 10,000, whose "
        "25%% window is fitted on 500 bins)",
    )
    a = ap.parse_args()
    steps = list(range(a.every, 100001, a.every))
    half, err, hit, hit_obs = [], [], 0, 0
    with tempfile.TemporaryDirectory() as d:
        for seed in range(1, a.seeds + 1):
            rng = random.Random(1000 * seed + {"power": 0, "reciprocal": 1, "log": 2}[a.law])
            e = rng.uniform(1.5, 3.0)
            u = rng.uniform(1.0, 3.0)
            if a.law == "power":
                alpha = rng.uniform(0.2, 0.6)
                amp = e * u * 100 ** alpha  # the excess at step 100, whatever --every
                truth = lambda t: e + amp * t ** -alpha
            elif a.law == "log":
                slope = e * u / math.log(1000.0)  # E + u E at step 100, E at 100,000
                top = e + slope * math.log(100000.0)
                truth = lambda t: top - slope * math.log(t)
            else:
                b = 10 ** rng.uniform(1.0, math.log10(300.0)) / steps[-1]
                amp = e * u * (1 + b * 100)
                truth = lambda t: e + amp / (1 + b * t)
            path = os.path.join(d, f"curve_{seed}.csv")
            observed = []
            with open(path, "w") as f:
                f.write("step,loss\n")
                for t in steps:
                    y = truth(t) * math.exp(rng.gauss(0.0, a.noise))
                    observed.append(y)
                    f.write(f"{t},{y:.6f}\n")
            out = subprocess.run(
                [a.slaw, "forecast", path, "--method", a.law, "--fit-until", "0.25",
                 "--at", str(steps[-1]), "--level", a.level, "--json"],
                capture_output=True, text=True)
            if out.returncode not in (0, 3):
                raise SystemExit(f"seed {seed}: exit {out.returncode}: {out.stderr}")
            fc = json.loads(out.stdout)["forecasts"][-1]
            true_final = truth(steps[-1])
            hit += fc["lo"] <= true_final <= fc["hi"]
            hit_obs += fc["lo"] <= observed[-1] <= fc["hi"]
            half.append(math.log(fc["hi"] / fc["lo"]) / 2)
            err.append(abs(math.log(fc["loss"] / true_final)))
    half.sort()
    err.sort()
    p90 = err[min(len(err) - 1, math.ceil(0.9 * len(err)) - 1)]
    mid = half[len(half) // 2]
    print(f"{a.law}, noise {a.noise}, {a.seeds} seeds, level {a.level}: covered {hit}/{a.seeds} "
          f"(observed final {hit_obs}/{a.seeds}), median half-width {mid:.4f}, "
          f"90th percentile |ln error| {p90:.4f}, ratio {mid / p90:.1f}")


if __name__ == "__main__":
    main()
