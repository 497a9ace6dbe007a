# On the 29 runs of bench/temporal/data: when the temporal forecast warns that no trajectory it
# chose reads the learning rate (so it ignores the coming decay), did the final loss end above or
# below the forecast? Per fit fraction and per branch of the warning: 'unpinned' (the window does
# not pin the decay), 'pinned' (it does, but the held-out error kept a2's constant form), 'none'
# (no such warning). Usage: python3 bench/fix53a/temporal_decay_warning.py target/release/slaw
import collections, glob, json, os, subprocess, sys
S = sys.argv[1]
data = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'temporal', 'data')
files = sorted(glob.glob(os.path.join(data, '*.csv')))
print(len(files), 'files')
for F in ('0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7'):
    tally = collections.Counter()
    for f in files:
        p = subprocess.run([S, 'forecast', f, '--fit-until', F, '--json'], capture_output=True, text=True)
        if not p.stdout.strip(): tally['fail'] += 1; continue
        d = json.loads(p.stdout)
        ws = [w for w in d['warnings'] if 'no trajectory the temporal law chose reads' in w]
        branch = 'none' if not ws else ('pinned' if ('a2 is offered' in ws[0] or 'a2 was offered' in ws[0]) else 'unpinned')
        fc = d['forecasts'][-1]
        if fc.get('observed') is None: tally['no observed'] += 1; continue
        tally[(branch, 'below' if fc['observed'] < fc['loss'] else 'ABOVE')] += 1
    print(F, dict(sorted(tally.items(), key=str)), flush=True)
