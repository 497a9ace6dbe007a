"""A dense loss curve for the long-curve timings (BENCHMARKS.md, "Long loss curves").

Takes a curve of ../shared/data/loss-curves (step,lr,loss), stretches it to N
points logged at every step (steps a .. a+N-1, a keeping the original ratio of
first to last step), loss and learning rate linearly interpolated, the loss
times exp(noise z), z standard normal (numpy's default_rng(seed)).

    python3 bench/long_curve.py ../shared/data/loss-curves/multipower/25/cosine_24000.csv 1e5 cos_1e5.csv [seed=1] [noise=0.003]
"""
import sys

import numpy as np

src = sys.argv[1]
n = int(float(sys.argv[2]))
out = sys.argv[3]
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
noise = float(sys.argv[5]) if len(sys.argv) > 5 else 0.003
d = np.genfromtxt(src, delimiter=",", names=True)
s0, s1 = d["step"][0], d["step"][-1]
a = int(np.ceil(n * s0 / (s1 - s0)))
steps = np.arange(a, a + n)
orig = s0 + (steps - a) * (s1 - s0) / (n - 1)
rng = np.random.default_rng(seed)
loss = np.interp(orig, d["step"], d["loss"]) * np.exp(noise * rng.standard_normal(n))
lr = np.interp(orig, d["step"], d["lr"])
with open(out, "w") as f:
    f.write("step,lr,loss\n")
    for s, l, y in zip(steps, lr, loss):
        f.write(f"{int(s)},{float(l)!r},{y:.6f}\n")
