#!/usr/bin/env python3
"""Coverage of `slaw schedule`'s intervals when the law holds exactly.

Runs that follow the tissue law (Tissue et al.: L = L0 + A S1^-alpha - C S2,
S1 the learning rate summed over the steps, warmup included, S2 the
momentum-smoothed sum of its decreases from the warmup's end on, momentum
0.999, the convention of slaw's fits) with relative
log-normal noise: three fitted runs of 24,000 steps (constant, cosine,
two-stage), three schedules predicted (WSD to 24,000 steps, cosine and
constant to 72,000: three times the runs' length). For each seed it
writes the runs and the predicted schedules' learning-rate files into a
scratch folder, runs `slaw schedule ... --json`, and compares each final
prediction and its interval with the noiseless truth.

Usage: python3 bench/schedule_synthetic_coverage.py SLAW SEEDS NOISE [METHOD] [--level L]
  e.g. python3 bench/schedule_synthetic_coverage.py target/release/slaw 20 0.003 tissue
Prints per predicted schedule: covered / seeds, a logged final loss
covered / seeds (the truth with the same noise, drawn per seed apart from
the fitted runs' noise), the median half-width of the interval in ln L, and the 90th percentile of |ln(prediction / truth)|.
"""

import argparse
import json
import math
import os
import random
import subprocess
import tempfile

L0, A, ALPHA, C = 3.0, 0.5, 0.5, 0.4
PEAK, FINAL, WARMUP = 3e-4, 3e-5, 2000
MOMENTUM = 0.999
FITTED = [("constant", 24000), ("cosine", 24000), ("twostage", 24000)]
PREDICTED = [("wsd", 24000), ("cosine", 72000), ("constant", 72000)]


def rate(kind, t, total):
    if t < WARMUP:
        return PEAK * t / WARMUP
    if kind == "constant":
        return PEAK
    if kind == "cosine":
        if t >= total:
            return FINAL
        phase = (t - WARMUP) / (total - WARMUP)
        return FINAL + (PEAK - FINAL) * 0.5 * (1 + math.cos(math.pi * phase))
    if kind == "wsd":
        start = int(0.8 * total)
        return PEAK if t < start else PEAK + (FINAL - PEAK) * (t - start) / (total - start)
    if kind == "twostage":
        return PEAK if t < 8000 else 9e-5
    raise ValueError(kind)


def trajectory(kind, total, every=128):
    """(step, lr, noiseless loss) every `every` steps after the warmup."""
    s1 = s2 = m = prev = 0.0
    out = []
    for t in range(1, total + 1):
        eta = rate(kind, t, total)
        s1 += eta
        # annealing counted from the warmup's end, as slaw's fits count it
        # (a rising rate is no annealing) and as `slaw demo`'s logs do
        if t > WARMUP:
            m = MOMENTUM * m + (prev - eta)
        s2 += m
        prev = eta
        if t >= WARMUP and t % every == 0:
            out.append((t, eta, L0 + A * s1**-ALPHA - C * s2))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("slaw")
    ap.add_argument("seeds", type=int)
    ap.add_argument("noise", type=float)
    ap.add_argument("method", nargs="?", default="tissue")
    ap.add_argument("--level", default="0.9")
    a = ap.parse_args()
    fitted = {k: trajectory(k, n) for k, n in FITTED}
    truth = {}
    with tempfile.TemporaryDirectory() as d:
        lr_files = []
        for kind, total in PREDICTED:
            truth[(kind, total)] = trajectory(kind, total)[-1][2]
            path = os.path.join(d, f"lr_{kind}_{total}.csv")
            with open(path, "w") as f:
                f.write("step,lr\n")
                for t in range(1, total + 1, 16):
                    f.write(f"{t},{rate(kind, t, total):.10g}\n")
            lr_files.append("lr:" + path)
        stats = {p: ([], [], 0) for p in PREDICTED}
        # a logged final loss of each predicted run: the truth with the same
        # noise, drawn apart from the fitted runs' (what a run would log)
        hit_obs = {p: 0 for p in PREDICTED}
        for seed in range(1, a.seeds + 1):
            rng = random.Random(seed)
            runs = os.path.join(d, "runs.csv")
            with open(runs, "w") as f:
                f.write("run,step,lr,loss\n")
                for kind, _ in FITTED:
                    for t, eta, loss in fitted[kind]:
                        noisy = loss * math.exp(rng.gauss(0.0, a.noise))
                        f.write(f"{kind},{t},{eta:.10g},{noisy:.6f}\n")
            out = subprocess.run(
                [a.slaw, "schedule", runs, "--run-col", "run", "--method", a.method,
                 "--level", a.level, "--json", "--predict", *lr_files],
                capture_output=True, text=True)
            if out.returncode not in (0, 3):
                raise SystemExit(f"seed {seed}: exit {out.returncode}: {out.stderr}")
            result = json.loads(out.stdout)
            for p, pred in zip(PREDICTED, result["predictions"]):
                last = pred["points"][-1]
                half, err, hit = stats[p]
                hit += last["lo"] <= truth[p] <= last["hi"]
                observed = truth[p] * math.exp(
                    random.Random(10**6 + 10 * seed + PREDICTED.index(p)).gauss(0.0, a.noise))
                hit_obs[p] += last["lo"] <= observed <= last["hi"]
                half.append(math.log(last["hi"] / last["lo"]) / 2)
                err.append(abs(math.log(last["loss"] / truth[p])))
                stats[p] = (half, err, hit)
    print(f"method {a.method}, noise {a.noise}, {a.seeds} seeds, level {a.level}")
    for (kind, total), (half, err, hit) in stats.items():
        half.sort()
        err.sort()
        p90 = err[min(len(err) - 1, math.ceil(0.9 * len(err)) - 1)]
        print(f"{kind}_{total}: covered {hit}/{a.seeds} (observed final {hit_obs[(kind, total)]}/{a.seeds}), median half-width {half[len(half) // 2]:.4f}, "
              f"90th percentile |ln error| {p90:.4f}, ratio {half[len(half) // 2] / p90:.1f}")


if __name__ == "__main__":
    main()
