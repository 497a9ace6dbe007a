"""Coverage of `slaw fit`'s interpolation interval (a prediction inside the fitted range, "meant to
cover a new observed loss there"), with and without `--bootstrap` (BENCHMARKS.md, "Every interval
against its level").

Design: DESIGN `pow` L = 2 + 50 n^-0.3 with 1% log-normal noise fitted by `--law power`, or `rect`
L = 1.8 + 400 / (30 + n^0.5) with 3% noise fitted by `--law rectified`, or `vft` L = (30 n^-0.4 +
1.5)^1.2 with 1% noise fitted by `--law vanilla-ft`; NP points log-spaced in
1e2 ... 1e5, noise drawn by Python's `random.Random(1000 + seed)`, seeds 0 ... SEEDS-1. Each curve:
`slaw fit FILE --x n --law LAW --level L --json --predict X...` at the two ends of the fitted range
and three points inside it, at L = 0.8 and 0.95, with `--bootstrap BOOT --seed seed` when BOOT > 0.
Counted: the probability that a new observed loss (the law's value times exp(N(0, sd^2))) falls
inside the interval, computed exactly from the normal distribution and averaged over seeds (per
position and in all); a new draw per seed and position as a check; the median width over the width
of the exact interval (2 z sd).

Usage: python3 bench/fit_interpolation_coverage.py BIN DESIGN SEEDS BOOT [NP]
  e.g. python3 bench/fit_interpolation_coverage.py target/release/slaw pow 40 0 12
"""
import json
import math
import os
import random
import statistics as st
import subprocess
import sys
import tempfile

S, DESIGN, SEEDS, BOOT = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
NP = int(sys.argv[5]) if len(sys.argv) > 5 else 12


def phi(z):
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


if DESIGN == "pow":
    def f(n):
        return 2.0 + 50 * n ** -0.3
    SD, LAW = 0.01, "power"
elif DESIGN == "rect":
    def f(n):
        return 1.8 + 400 / (30 + n ** 0.5)
    SD, LAW = 0.03, "rectified"
elif DESIGN == "vft":
    def f(n):
        return (30 * n ** -0.4 + 1.5) ** 1.2
    SD, LAW = 0.01, "vanilla-ft"
else:
    raise SystemExit(f"unknown design {DESIGN} (pow, rect, vft)")

xs = [10 ** (2 + 3 * i / (NP - 1)) for i in range(NP)]
asked = [xs[0], 10 ** (2 + 3 * 0.2 + 0.01), 10 ** (3.5 + 0.01), 10 ** (2 + 3 * 0.8 + 0.01), xs[-1]]
with tempfile.TemporaryDirectory() as d:
    for level in (0.8, 0.95):
        probs, drawn, widths, missing = [], 0, [], 0
        for seed in range(SEEDS):
            r = random.Random(1000 + seed)
            path = os.path.join(d, f"c{seed}.csv")
            with open(path, "w") as out:
                out.write("n,loss\n")
                for x in xs:
                    out.write(f"{x:.6g},{f(x) * math.exp(r.gauss(0, SD)):.6f}\n")
            cmd = [S, "fit", path, "--x", "n", "--law", LAW, "--level", str(level), "--json"]
            for q in asked:
                cmd += ["--predict", f"{q:.6g}"]
            if BOOT:
                cmd += ["--bootstrap", str(BOOT), "--seed", str(seed)]
            g = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
            draw = random.Random(5000 + seed)
            for p, q in zip(g["groups"][0]["predictions"], asked):
                kind = p["extrapolation_interval_kind"]
                if not kind:
                    missing += 1
                    continue
                assert kind["kind"] == "interpolation", kind
                lo, hi = p["extrapolation_interval"]["lo"], p["extrapolation_interval"]["hi"]
                m = f(float(f"{q:.6g}"))
                probs.append(phi((math.log(hi / m)) / SD) - phi((math.log(lo / m)) / SD))
                drawn += lo <= m * math.exp(draw.gauss(0, SD)) <= hi
                widths.append(math.log(hi / lo))
        if not probs:
            print(f"{DESIGN} NP={NP} boot={BOOT} level={level}: no interpolation interval ({missing})")
            continue
        z = st.NormalDist().inv_cdf((1 + level) / 2)
        per = [st.mean(probs[i::len(asked)]) for i in range(len(asked))]
        print(f"{DESIGN} NP={NP} boot={BOOT} level={level}: P(new loss inside) {st.mean(probs):.3f} "
              f"(drawn {drawn}/{len(probs)}); ends {per[0]:.2f} {per[-1]:.2f}, inside "
              f"{' '.join(f'{v:.2f}' for v in per[1:-1])}; median width / exact "
              f"{st.median(widths) / (2 * z * SD):.2f}", flush=True)
