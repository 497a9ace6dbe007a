"""How often `slaw forecast` warns that the law does not follow the window's end.

Usage (from the repository root):
    python3 bench/forecast_window_end.py target/release/slaw ../shared/data/loss-curves

Counts the warning on the (Mis)Fitting runs fitted to 25% / 50% of their
steps and the multi-power curves at 20% / 50% (BENCHMARKS.md, "Zero-crossing
laws, a window that turns at its end"; the temporal law has its own check).
"""
import glob
import json
import os
import subprocess
import sys

KEY = "does not follow the window's end"


def run(binary, args):
    p = subprocess.run([binary, 'forecast'] + args + ['--json'], capture_output=True, text=True)
    if p.returncode not in (0, 3):  # 3: some runs of a table not forecast
        return []
    d = json.loads(p.stdout)
    if isinstance(d, dict) and isinstance(d.get('forecasts'), list) and d['forecasts'] \
            and 'curve' in d['forecasts'][0]:
        return d['forecasts']
    return d if isinstance(d, list) else [d]


def count(tag, outs):
    fired = [o['curve'] for o in outs if any(KEY in w for w in o['warnings'])]
    print(f"{tag}: {len(fired)} / {len(outs)} {fired}", flush=True)


def main():
    binary, curves = sys.argv[1], sys.argv[2]
    mis = os.path.join(curves, 'misfitting', 'scaling_results.csv')
    for u in ['0.25', '0.5']:
        count('misfitting ' + u, run(binary, [mis, '--step-col', 'current_steps', '--run-col',
                                              'model,peak_lr,sweep', '--fit-until', u]))
    for u in ['0.2', '0.5']:
        outs = []
        for f in sorted(glob.glob(os.path.join(curves, 'multipower', '*', '*.csv'))):
            outs += run(binary, [f, '--fit-until', u])
        count('multipower ' + u, outs)


if __name__ == '__main__':
    main()
