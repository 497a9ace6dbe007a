"""auto's hull and power's own interval on long clean logs (BENCHMARKS.md, "Loss-curve forecasting",
"2026-12-05, branch `fix54`": probe53's `longlog.py` / fix54's `longlog3.py`, re-created; README on
`law_interval`, "if power holds").

Design (as the section states it): SEEDS logs of 1e5 steps (every step 1 ... 100000) of
L = 2 + 6 t^-0.35 with 1% log-normal noise per step (exp(0.01 z), z standard normal, Python's
`random.Random(seed)`: not probe53's draws); each `slaw forecast FILE --fit-until 0.2 --at 100000
--json`. Printed per log: the law auto chose, the forecast, the interval (`forecasts[0].lo/hi`, auto's
hull) and power's own (`law_interval`), each with its width (hi - lo) and whether it holds the true
2 + 6 x 1e5^-0.35 = 2.1067; then the totals.

Usage: python3 bench/forecast_long_log_hull.py [BIN] [SEEDS]   (default target/release/slaw, 10)
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

S = sys.argv[1] if len(sys.argv) > 1 else "target/release/slaw"
SEEDS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
T = 100000
truth = 2 + 6 * T ** -0.35
hull_in = own_in = 0
hull_w, own_w, fc, laws = [], [], [], []
with tempfile.TemporaryDirectory() as d:
    for seed in range(1, SEEDS + 1):
        rng = random.Random(seed)
        p = os.path.join(d, f"log-{seed}.csv")
        with open(p, "w") as fh:
            fh.write("step,loss\n")
            for t in range(1, T + 1):
                fh.write(f"{t},{(2 + 6 * t ** -0.35) * math.exp(rng.gauss(0, 0.01))!r}\n")
        out = subprocess.run([S, "forecast", p, "--fit-until", "0.2", "--at", str(T), "--json"],
                             capture_output=True, text=True, check=True).stdout
        r = json.loads(out)
        f = r["forecasts"][0]
        own = (r.get("law_interval") or {}).get("points", [None])[0]
        h = f["lo"] <= truth <= f["hi"]
        hull_in += h
        hull_w.append(f["hi"] - f["lo"])
        fc.append(f["loss"])
        laws.append(r["method"])
        line = (f"seed {seed:2d}: {r['method']}, forecast {f['loss']:.4f}, interval "
                f"[{f['lo']:.4f}, {f['hi']:.4f}] {'holds' if h else 'misses'}")
        if own:
            o = own["lo"] <= truth <= own["hi"]
            own_in += o
            own_w.append(own["hi"] - own["lo"])
            line += f"; power's own [{own['lo']:.4f}, {own['hi']:.4f}] {'holds' if o else 'misses'}"
        print(line)
print(f"truth {truth:.4f}; auto chose {', '.join(sorted(set(laws)))} ({laws.count('power')}/{SEEDS} power); "
      f"forecasts {min(fc):.4f}-{max(fc):.4f}")
print(f"auto's interval covered {hull_in}/{SEEDS}, widths {min(hull_w):.3f}-{max(hull_w):.3f}")
if own_w:
    print(f"power's own interval covered {own_in}/{len(own_w)}, widths {min(own_w):.3f}-{max(own_w):.3f}")
