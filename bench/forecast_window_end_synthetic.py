"""Fires of `slaw forecast`'s window-end warning on clean synthetic logs.

Usage: python3 bench/forecast_window_end_synthetic.py target/release/slaw SEEDS NOISE

Logs of three laws (power, reciprocal, log), steps 100..20000 every 100,
log-normal noise of sd NOISE per step (Python's random, seeded 0..SEEDS-1),
fitted to half their steps with `auto` and with the true law: a warning here
is a false alarm (BENCHMARKS.md, "Zero-crossing laws, a window that turns at
its end").
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

LAWS = {
    'power': lambda t: 2 + 6 * t ** -0.35,
    'reciprocal': lambda t: 2.2 + 3 / (1 + 0.002 * t),
    'log': lambda t: 4.5 - 0.2 * math.log(t),
}


def main():
    binary, n, noise = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    fires = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, f in LAWS.items():
            k = 0
            for seed in range(n):
                rng = random.Random(seed)
                path = os.path.join(tmp, f'{name}_{seed}.csv')
                with open(path, 'w') as fh:
                    fh.write('step,loss\n')
                    for s in range(100, 20001, 100):
                        fh.write(f'{s},{f(s) * math.exp(noise * rng.gauss(0, 1)):.6f}\n')
                for m in ('auto', name):
                    p = subprocess.run([binary, 'forecast', path, '--fit-until', '0.5', '--method', m,
                                        '--json'], capture_output=True, text=True)
                    d = json.loads(p.stdout)
                    k += any("window's end" in w for w in d['warnings'])
            fires[name] = f"{k} / {2 * n}"
    print(fires)


if __name__ == '__main__':
    main()
