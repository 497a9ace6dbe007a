#!/usr/bin/env python3
"""Coverage of `slaw schedule --optimize-wsd`'s answers on runs of known truth.

Three runs of 24,000 steps (constant, cosine, two-stage; peak 3e-4, final
3e-5, warmup 2,000) follow a known law with relative log-normal noise;
`slaw schedule --optimize-wsd` searches the WSD family (linear decays to
the last step, of each default length). Against the noiseless truth of
every searched schedule it counts, over the seeds:

- set:    the truly best length is the lowest predicted or among the
          lengths named "not distinguishable" from it (the set is meant as
          a confidence set for the best length at the level);
- diffs:  each length's interval for ln(its final loss / the lowest
          predicted's) holds the true one (lengths other than the lowest
          predicted itself);
- margin: the "refit interval" of the margin over the runner-up holds the
          true margin (that interval is labelled "the points' noise only");
- regret: the true final loss of the picked length minus the true best's.

Truths: `tissue` (the law `slaw schedule`'s default fits: L = L0 + A
S1^-alpha - C S2, S2 the momentum-smoothed decreases, momentum 0.999) and
`multipower` (Luo et al.'s law: L = L0 + A S1^-alpha - B sum_k (eta_(k-1) -
eta_k) (1 - (C eta_k^-gamma S_k(t) + 1)^-beta), a law the tissue fit does
not contain).

Usage: python3 bench/wsd_search_coverage.py SLAW SEEDS NOISE TRUTH [METHOD] [--level L]
  e.g. python3 bench/wsd_search_coverage.py target/release/slaw 30 0.003 tissue
"""

import argparse
import json
import math
import os
import random
import subprocess
import tempfile

PEAK, FINAL, WARMUP, TOTAL = 3e-4, 3e-5, 2000, 24000
FRACTIONS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5]
TISSUE = dict(L0=3.0, A=0.5, alpha=0.5, C=0.4)
MOMENTUM = 0.999
MULTIPOWER = dict(L0=3.0, A=0.5, alpha=0.5, B=400.0, C=2.0, beta=0.55, gamma=0.5)
FITTED = ["constant", "cosine", "twostage"]


def rate(kind, t):
    """The learning rate at step t of a fitted run, or of ("wsd", fraction)."""
    if t < WARMUP:
        return PEAK * t / WARMUP
    if kind == "constant":
        return PEAK
    if kind == "cosine":
        phase = (t - WARMUP) / (TOTAL - WARMUP)
        return FINAL + (PEAK - FINAL) * 0.5 * (1 + math.cos(math.pi * phase))
    if kind == "twostage":
        return PEAK if t < 8000 else 9e-5
    _, fraction = kind
    start = TOTAL - fraction * (TOTAL - WARMUP)
    if t <= start:
        return PEAK
    return PEAK + (FINAL - PEAK) * min(1.0, (t - start) / (TOTAL - start))


def tissue(kind, steps):
    """Noiseless tissue-law losses at the given steps (sorted)."""
    p = TISSUE
    s1 = s2 = m = prev = 0.0
    out, want = [], set(steps)
    for t in range(1, TOTAL + 1):
        eta = rate(kind, t)
        s1 += eta
        if t > WARMUP:
            m = MOMENTUM * m + (prev - eta)
        s2 += m
        prev = eta
        if t in want:
            out.append(p["L0"] + p["A"] * s1 ** -p["alpha"] - p["C"] * s2)
    return out


def multipower(kind, steps):
    """Noiseless multi-power-law losses at the given steps (sorted)."""
    p = MULTIPOWER
    etas = [0.0] + [rate(kind, t) for t in range(1, TOTAL + 1)]
    prefix = [0.0]
    for t in range(1, TOTAL + 1):
        prefix.append(prefix[-1] + etas[t])
    # the steps after the warmup where the rate decreases
    drops = [k for k in range(WARMUP + 1, TOTAL + 1) if etas[k] < etas[k - 1]]
    out = []
    for t in steps:
        ld = 0.0
        for k in drops:
            if k > t:
                break
            s_k = prefix[t] - prefix[k - 1]
            x = p["C"] * etas[k] ** -p["gamma"] * s_k
            ld += (etas[k - 1] - etas[k]) * (1.0 - (x + 1.0) ** -p["beta"])
        out.append(p["L0"] + p["A"] * prefix[t] ** -p["alpha"] - p["B"] * ld)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("slaw")
    ap.add_argument("seeds", type=int)
    ap.add_argument("noise", type=float)
    ap.add_argument("truth", choices=["tissue", "multipower"])
    ap.add_argument("method", nargs="?", default="tissue")
    ap.add_argument("--level", default="0.9")
    a = ap.parse_args()
    law = tissue if a.truth == "tissue" else multipower
    logged = [t for t in range(WARMUP, TOTAL + 1) if t % 128 == 0]
    fitted = {k: law(k, logged) for k in FITTED}
    names = [f"wsd decay {round(100 * f)}%" for f in FRACTIONS]
    final = {n: law(("wsd", f), [TOTAL])[0] for n, f in zip(names, FRACTIONS)}
    best_true = min(final, key=final.get)
    n_set = n_diff = n_diff_total = n_margin = n_margin_total = n_decided = 0
    regrets, set_sizes = [], []
    with tempfile.TemporaryDirectory() as d:
        runs = os.path.join(d, "runs.csv")
        for seed in range(1, a.seeds + 1):
            rng = random.Random(seed)
            with open(runs, "w") as f:
                f.write("run,step,lr,loss\n")
                for kind in FITTED:
                    for t, loss in zip(logged, fitted[kind]):
                        noisy = loss * math.exp(rng.gauss(0.0, a.noise))
                        f.write(f"{kind},{t},{rate(kind, t):.10g},{noisy:.6f}\n")
            out = subprocess.run(
                [a.slaw, "schedule", runs, "--run-col", "run", "--method", a.method,
                 "--level", a.level, "--steps", str(TOTAL), "--json",
                 "--optimize-wsd", f"peak={PEAK},final={FINAL},warmup={WARMUP}"],
                capture_output=True, text=True)
            if out.returncode not in (0, 3):
                raise SystemExit(f"seed {seed}: exit {out.returncode}: {out.stderr}")
            best = json.loads(out.stdout)["best"]
            short = lambda s: s.split(" (")[0]
            picked = short(best["schedule"])
            named = {picked} | {short(s) for s in best["not_distinguishable"]}
            n_set += best_true in named
            set_sizes.append(len(named))
            n_decided += bool(best["decided"])
            regrets.append(final[picked] - final[best_true])
            for d in best["differences"]:
                name = short(d["target"])
                lo, hi = d["ln_interval"]
                if name == picked:
                    continue
                n_diff_total += 1
                n_diff += lo <= math.log(final[name] / final[picked]) <= hi
            if best.get("margin_interval") and best.get("runner_up"):
                lo, hi = best["margin_interval"]
                true_margin = final[short(best["runner_up"][0])] - final[picked]
                n_margin_total += 1
                n_margin += lo <= true_margin <= hi
    regrets.sort()
    set_sizes.sort()
    print(f"truth {a.truth}, method {a.method}, noise {a.noise}, {a.seeds} seeds, level {a.level}; "
          f"true best {best_true} (final {final[best_true]:.4f}; the true finals span "
          f"{max(final.values()) - min(final.values()):.4f})")
    print(f"set holds the true best {n_set}/{a.seeds} (median size {set_sizes[len(set_sizes) // 2]} "
          f"of {len(FRACTIONS)}; decided {n_decided}); differences covered {n_diff}/{n_diff_total}; "
          f"margin (points' noise only) covered {n_margin}/{n_margin_total}; regret median "
          f"{regrets[len(regrets) // 2]:.5f}, max {regrets[-1]:.5f}")


if __name__ == "__main__":
    main()
