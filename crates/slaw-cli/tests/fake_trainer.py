"""A fake fine-tuning script for slaw's runner tests: sleeps briefly, then
writes {"eval_loss": L} to OUT/metrics.json, with L drawn from a known
rectified curve L(n) = B / (Dl + n^beta) + E times (1 + 0.003 z), z seeded by
(model, n, seed). Models named after failure modes misbehave on purpose."""

import argparse, hashlib, json, math, os, random, sys, time

CURVES = {  # B, Dl, beta, E
    "alpha": (40.0, 20.0, 0.50, 1.20),
    "beta": (30.0, 15.0, 0.45, 1.45),
    "gamma": (50.0, 40.0, 0.55, 1.00),
    # Clearly worse, and a pure power law: no phase transition to stop at.
    "delta": (8.0, 0.0, 0.10, 0.0),
}

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--n", type=int, required=True)
p.add_argument("--seed", type=int, required=True)
p.add_argument("--out", required=True)
p.add_argument("--attempt", type=int, default=1)
p.add_argument("--sleep", type=float, default=0.03)
a = p.parse_args()

time.sleep(a.sleep)
if a.model == "crashy":
    sys.exit(1)
if a.model == "sleepy":
    time.sleep(600)
if a.model == "silent":
    sys.exit(0)
if a.model == "flaky" and a.attempt == 1:
    sys.exit(3)
B, Dl, beta, E = CURVES.get(a.model, CURVES["alpha"])
h = int(hashlib.sha256(f"{a.model}/{a.n}/{a.seed}".encode()).hexdigest()[:12], 16)
z = random.Random(h).gauss(0.0, 1.0)
loss = (B / (Dl + a.n ** beta) + E) * (1.0 + 0.003 * z)
os.makedirs(a.out, exist_ok=True)
with open(os.path.join(a.out, "metrics.json"), "w") as f:
    if a.model == "garbage":
        f.write('{"eval_loss": "n/a"}')
    else:
        json.dump({"eval_loss": loss}, f)
print(f"eval_loss={loss}")
