"""Coverage of `slaw methods`' bootstrap intervals on small designs, known truth.

Three methods (fmt, lora, prompt) each follow the multiplicative joint law
L = A / (X^alpha D^beta) + E (alpha, beta, E: fmt 0.20, 0.16, 0.80; lora 0.16,
0.10, 0.82; prompt 0.10, 0.05, 0.86; A so that the reducible term is 0.30,
0.26, 0.28 at X = 8e9, D = 1e5), 1% lognormal noise on L. DESIGN NXxND: NX
model sizes (3: 1e9, 4e9, 1.6e10; more: 1e9 doubling) x ND data sizes (1e4 to
1e6, log-spaced), no run held out (HOLDOUT `none`, the default) or the command's
default hold-out (HOLDOUT `default`: the largest model size and data size held
out, so a 3x4 design fits 6 runs per method). Settings: X = 8e9, D = 3e4 (inside) and
X = 6.4e10, D = 3e6 (beyond); levels 0.8, 0.9, 0.95. Prints per setting and
level: intervals covering the law's value / intervals, median half-width (ln).

python3 bench/methods_small_design_coverage.py SLAW SEEDS DESIGN [NOISE] [HOLDOUT]
Needs numpy. Writes its CSVs to a temporary folder.
"""
import json, os, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor
import numpy as np

slaw, seeds, design = sys.argv[1], int(sys.argv[2]), sys.argv[3]
noise = float(sys.argv[4]) if len(sys.argv) > 4 else 0.01
holdout = sys.argv[5] if len(sys.argv) > 5 else "none"
if holdout not in ("none", "default"):
    sys.exit(f"HOLDOUT must be none or default, got {holdout!r}")
nx, nd = map(int, design.split("x"))
sizes = [1e9 * 4**i for i in range(nx)] if nx <= 3 else [1e9 * 2**i for i in range(nx)]
datas = [1e4 * 10 ** (2 * i / (nd - 1)) for i in range(nd)]
TRUE = {"fmt": (0.20, 0.16, 0.80, 0.30), "lora": (0.16, 0.10, 0.82, 0.26),
        "prompt": (0.10, 0.05, 0.86, 0.28)}
P = {m: (red * 8e9**a * 1e5**b, a, b, e) for m, (a, b, e, red) in TRUE.items()}


def law(m, x, d):
    a_, a, b, e = P[m]
    return a_ / (x**a * d**b) + e


SETTINGS = [(8e9, 3e4), (6.4e10, 3e6)]
LEVELS = [0.8, 0.9, 0.95]
tmp = tempfile.mkdtemp()


def one(seed):
    rng = np.random.default_rng(seed)
    rows = [(m, x, d, law(m, x, d) * np.exp(noise * rng.standard_normal()))
            for m in P for x in sizes for d in datas]
    fn = os.path.join(tmp, f"{design}_{seed}.csv")
    with open(fn, "w") as f:
        f.write("method,model_size,data,loss,held\n")
        f.writelines(f"{m},{x:g},{d:g},{l:.6f},0\n" for m, x, d, l in rows)
    out = []
    for x, d in SETTINGS:
        for lv in LEVELS:
            held = ["--holdout-col", "held"] if holdout == "none" else []
            p = subprocess.run([slaw, "methods", fn, "--factor", "model_size", *held,
                                "--at", f"model_size={x:g}", "--data", f"{d:g}",
                                "--json", "--seed", str(seed), "--level", str(lv)],
                               capture_output=True, text=True)
            if p.returncode not in (0, 3):
                sys.exit(f"seed {seed}: exit {p.returncode}: {p.stderr}")
            for pr in json.loads(p.stdout)["recommendation"]["predictions"]:
                iv = pr["interval"]
                if iv is not None:
                    t = law(pr["method"], x, d)
                    out.append(((x, lv), iv["lo"] <= t <= iv["hi"], np.log(iv["hi"] / iv["lo"]) / 2))
    return out


cells = {}
with ThreadPoolExecutor(2) as ex:
    for res in ex.map(one, range(seeds)):
        for k, c, w in res:
            cells.setdefault(k, []).append((c, w))
for (x, lv), v in sorted(cells.items()):
    c = sum(a for a, _ in v)
    print(f"{design} noise {noise} holdout {holdout} X={x:g} level {lv}: {c}/{len(v)} = {100 * c / len(v):.1f}%"
          f"  median half-width (ln) {np.median([w for _, w in v]):.4f}")
