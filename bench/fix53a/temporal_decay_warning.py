# On the 29 runs of bench/temporal/data: when the temporal forecast warns that no trajectory it
# chose reads the learning rate (so it ignores the coming decay), did the final loss end above or
# below the forecast? Usage: python3 bench/fix53a/temporal_decay_warning.py target/release/slaw
import collections, glob, json, os, subprocess, sys
S = sys.argv[1]
data = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'temporal', 'data')
files = sorted(glob.glob(os.path.join(data, '*.csv')))
tally = collections.Counter()
for f in files:
    for F in ('0.1', '0.2', '0.3'):
        p = subprocess.run([S, 'forecast', f, '--fit-until', F, '--json'], capture_output=True, text=True)
        if not p.stdout.strip(): tally[(F, 'fail')] += 1; continue
        d = json.loads(p.stdout)
        warned = any('ignores the coming decay' in w and 'no trajectory' in w for w in d['warnings'])
        fc = d['forecasts'][-1]
        if fc.get('observed') is None: tally[(F, 'no observed')] += 1; continue
        tally[(F, 'warned' if warned else 'not warned', 'below' if fc['observed'] < fc['loss'] else 'ABOVE')] += 1
print(len(files), 'files')
for k in sorted(tally, key=str): print(k, tally[k])
