import random, sys, math
# Zhang et al. En-De published multiplicative law + PET factors of my choosing; noise sd on L
P = {
 'fmt':    dict(E=0.75, beta=0.15,  model_size=(1.2e5, 0.52), pretrain_tokens=(6.3e2, 0.21)),
 'prompt': dict(E=0.62, beta=0.051, model_size=(3.9e3, 0.40), pretrain_tokens=(2.7e2, 0.21), prompt_len=(2.3, 0.2)),
 'lora':   dict(E=0.62, beta=0.081, model_size=(2.1e3, 0.36), pretrain_tokens=(1.4e2, 0.18), lora_rank=(2.3, 0.15)),
}
XS = {'model_size': [1e9, 2e9, 4e9, 8e9, 16e9], 'pretrain_tokens': [5e10, 1e11, 2e11, 4e11, 8e11],
      'prompt_len': [10, 20, 40, 80, 160], 'lora_rank': [4, 8, 16, 32, 64]}
DS = [1e4, 3e4, 1e5, 3e5, 1e6, 3e6]
COLS = ['model_size', 'pretrain_tokens', 'prompt_len', 'lora_rank']
def law(m, f, x, d):
    A, a = P[m][f]; return A / (x**a * d**P[m]['beta']) + P[m]['E']
if __name__ == '__main__':
    seed, sd, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    rng = random.Random(seed)
    with open(out, 'w') as fh:
        fh.write('method,' + ','.join(COLS) + ',data,loss\n')
        for m in P:
            for f in COLS:
                if f not in P[m]: continue
                for x in XS[f]:
                    for d in DS:
                        y = law(m, f, x, d) + sd * rng.gauss(0, 1)
                        cells = [repr(x) if c == f else '' for c in COLS]
                        fh.write(f'{m},' + ','.join(cells) + f',{d!r},{y!r}\n')
