"""Coverage of `slaw forecast`'s 90% band on runs whose annealing lowers the
loss by a chosen amount: runs drawn from the tissue law
L = L0 + A S1^-alpha - C S2 (S1 the summed rate, S2 the annealing area with
momentum 0.999), 20,000 steps with a 500-step warmup, logged every 100,
0.5% lognormal noise; C in [CLO, CHI] sets the annealing's strength
(0.1-0.3: the final loss 1.5-4% below a constant rate's; 0.5-1.2: 6-15%).

python3 bench/forecast_annealing_strength.py SLAW SCHEDULE CLO CHI FIT_UNTIL SEED0 SEED1 [METHOD]
SCHEDULE: cosine | linear | wsd (constant, then a linear decay over the last 20%).
Prints: covered / runs, mean ln(forecast / truth), median half-width (ln), the laws used.
Needs numpy. Writes its CSVs to a temporary folder.
"""
import json, os, subprocess, sys, tempfile
import numpy as np

slaw, sched, clo, chi, fit_until, s0, s1 = sys.argv[1:8]
method = sys.argv[8] if len(sys.argv) > 8 else "auto"
clo, chi, s0, s1 = float(clo), float(chi), int(s0), int(s1)
T, W, peak, final, noise = 20000, 500, 3e-4, 3e-5, 0.005
t = np.arange(1, T + 1)
if sched == "cosine":
    eta = np.where(t <= W, peak * t / W, final + 0.5 * (peak - final) * (1 + np.cos(np.pi * (t - W) / (T - W))))
elif sched == "linear":
    eta = np.where(t <= W, peak * t / W, peak - (peak - final) * (t - W) / (T - W))
else:
    d0 = int(0.8 * T)
    eta = np.where(t <= W, peak * t / W, np.where(t <= d0, peak, peak - (peak - final) * (t - d0) / (T - d0)))
S1 = np.cumsum(eta)
drop = np.r_[0, eta[:-1] - eta[1:]]
drop[t <= W] = 0
m = np.zeros(T)
acc = 0.0
for i in range(T):
    acc = 0.999 * acc + drop[i]
    m[i] = acc
S2 = np.cumsum(m)
log = t[t % 100 == 0]
rows, laws = [], {}
with tempfile.TemporaryDirectory() as tmp:
    for s in range(s0, s1):
        rng = np.random.default_rng(31000 + s)
        L0, alpha, A, C = rng.uniform(1.8, 2.6), rng.uniform(0.4, 0.7), rng.uniform(0.4, 0.8), rng.uniform(clo, chi)
        true = L0 + A * S1 ** -alpha - C * S2
        obs = true * np.exp(rng.normal(0, noise, T))
        fn = os.path.join(tmp, f"run{s}.csv")
        with open(fn, "w") as f:
            f.write("step,lr,loss\n")
            for k in log:
                f.write(f"{k},{float(eta[k - 1])!r},{float(obs[k - 1])!r}\n")
        p = subprocess.run([slaw, "forecast", fn, "--fit-until", fit_until, "--method", method, "--json"],
                           capture_output=True, text=True)
        if p.returncode not in (0, 3):
            print("error", s, p.stderr[:200])
            continue
        d = json.loads(p.stdout)
        f = d["forecasts"][-1]
        laws[d["method"]] = laws.get(d["method"], 0) + 1
        rows.append((f["lo"] <= true[-1] <= f["hi"], np.log(f["loss"] / true[-1]),
                     np.log(f["hi"] / max(f["lo"], 1e-12)) / 2))
print(f"{sched} C [{clo}, {chi}] fit {fit_until} {method}: covers {sum(r[0] for r in rows)}/{len(rows)}, "
      f"mean ln err {np.mean([r[1] for r in rows]):+.4f}, median half-width {np.median([r[2] for r in rows]):.4f}, laws {laws}")
