# The closed form's validity flag of `slaw methods` on 20 seeds of runs of the En-De
# multiplicative law with two PET factors (gen_joint.py beside this file), at three settings;
# per pair: valid or not, and where the fit's own numeric crossing at the setting lies.
# Usage: python3 bench/fix53a/closed_form.py target/release/slaw [WORKDIR]  (BENCHMARKS.md, fix53a)
import collections, json, math, os, subprocess, sys
S = sys.argv[1]
W = sys.argv[2] if len(sys.argv) > 2 else 'target/fix53a-joint'
os.makedirs(W, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
F = ['--factor', 'model_size', '--factor', 'pretrain_tokens', '--factor', 'prompt_len', '--factor', 'lora_rank', '--pet', 'prompt_len', '--pet', 'lora_rank']
tally = collections.Counter(); worst = collections.defaultdict(float)
for s in range(1, 21):
    subprocess.run([sys.executable, os.path.join(here, 'gen_joint.py'), str(s), '0.005', f'{W}/runs-0.005-{s}.csv'], check=True)
for x, d in (('8e9', '3e3'), ('4e9', '1e5'), ('6.4e10', '1e5')):
    for s in range(1, 21):
        p = subprocess.run([S, 'methods', f'{W}/runs-0.005-{s}.csv', *F, '--at', f'model_size={x}', '--data', d, '--bootstrap', '0', '--json'], capture_output=True, text=True)
        r = json.loads(p.stdout)['recommendation']
        X = r['setting']['x']
        for c in r['critical']:
            cf = c['closed_form']; dc = cf['H'] * X ** cf['gamma']
            near = min((abs(math.log(a / dc)) for a in c['at_setting']), default=None)
            key = (x, '-'.join(c['methods']), 'valid' if cf['valid'] else 'not valid', 'no numeric crossing' if near is None else ('within 2x' if near <= math.log(2) else 'beyond 2x'))
            tally[key] += 1
            if near is not None: worst[key] = max(worst[key], math.exp(near))
for k in sorted(tally): print(k, tally[k], 'max ratio %.3g' % worst[k] if k in worst else '')
