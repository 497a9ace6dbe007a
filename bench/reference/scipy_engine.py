"""Reference timings for `slaw bench engine`: the same fits done the way the
research code does them, with scipy's L-BFGS-B.

1. Chinchilla (Hoffmann et al. Approach 3 as replicated by Besiroglu et al.):
   Huber (delta 1e-3) of log-sum-exp residuals on log L, summed, from the
   4500-point grid; with an analytic gradient and with scipy's finite
   differences.
2. The rectified law B / (D_l + D^beta) + E fitted to each of the 60
   fine-tuning curves (14 non-zero sizes), squared error on log L, one
   L-BFGS-B run from one start per curve, finite-difference gradient.

Usage: python scipy_engine.py DATA_DIR [--skip-numeric] [--large-only]
(--large-only: the two large fits with L-BFGS-B and with least_squares trf, then stop)
Prints one JSON object per benchmark.
"""
import csv
import itertools
import json
import sys
import time

import numpy as np
from scipy.optimize import least_squares, minimize
from scipy.special import logsumexp


def chinchilla(data_dir):
    rows = []
    with open(f"{data_dir}/chinchilla/svg_extracted_data.csv") as f:
        for r in csv.DictReader(f):
            n, c, loss = float(r["Model Size"]), float(r["Training FLOP"]), float(r["loss"])
            rows.append((n, c / (6 * n), loss))
    rows.sort(key=lambda r: r[2])
    rows = rows[:-5]
    n = np.array([r[0] for r in rows])
    d = np.array([r[1] for r in rows])
    y = np.log(np.array([r[2] for r in rows]))
    return np.log(n), np.log(d), y


def huber(r, delta=1e-3):
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))


def chinchilla_objective(p, ln_n, ln_d, y, with_grad):
    a, alpha, b, beta, e = p
    z = np.stack([a - alpha * ln_n, b - beta * ln_d, np.full_like(ln_n, e)])
    pred = logsumexp(z, axis=0)
    r = pred - y
    f = huber(r).sum()
    if not with_grad:
        return f
    w = np.exp(z - pred)
    psi = np.clip(r, -1e-3, 1e-3)
    g = np.array([
        (psi * w[0]).sum(), (psi * -ln_n * w[0]).sum(),
        (psi * w[1]).sum(), (psi * -ln_d * w[1]).sum(),
        (psi * w[2]).sum(),
    ])
    return f, g


def bench_chinchilla(data_dir, with_grad):
    ln_n, ln_d, y = chinchilla(data_dir)
    grid = itertools.product(np.arange(0, 30, 5), np.arange(0, 2.5, 0.5), np.arange(0, 30, 5),
                             np.arange(0, 2.5, 0.5), np.arange(-1, 1.5, 0.5))
    t = time.perf_counter()
    c = time.process_time()
    best = None
    for a, alpha, b, beta, e in grid:
        res = minimize(chinchilla_objective, [a, alpha, b, beta, e], args=(ln_n, ln_d, y, with_grad),
                       jac=with_grad, method="L-BFGS-B")
        if best is None or res.fun < best.fun:
            best = res
    elapsed = time.perf_counter() - t
    cpu = time.process_time() - c
    a, alpha, b, beta, e = best.x
    return {
        "name": "chinchilla 4500 starts, scipy L-BFGS-B, " + ("analytic gradient" if with_grad else "finite differences"),
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "objective": best.fun,
        "alpha": alpha, "beta": beta, "E": float(np.exp(e)),
    }


def curves(data_dir):
    out = []
    for name in ("flan.csv", "wmt19.csv"):
        with open(f"{data_dir}/finetune-selection/{name}") as f:
            reader = csv.reader(f)
            header = next(reader)
            cols = [(i, float(h)) for i, h in enumerate(header) if h.replace(".", "").isdigit() and float(h) > 0]
            for row in reader:
                out.append((np.array([c[1] for c in cols]), np.array([float(row[i]) for i, _ in cols])))
    return out


def bench_rectified(data_dir):
    data = curves(data_dir)
    t = time.perf_counter()
    c = time.process_time()
    worst = 0.0
    for dsz, loss in data:
        ln_d, y = np.log(dsz), np.log(loss)

        def obj(p):
            lb, ldl, beta, le = p
            pred = np.exp(lb) / (np.exp(ldl) + np.exp(beta * ln_d)) + np.exp(le)
            return ((np.log(pred) - y) ** 2).sum()

        res = minimize(obj, [5.0, 5.0, 0.5, 0.0], method="L-BFGS-B",
                       bounds=[(-30, 70), (-30, 70), (0, 5), (-23, 14)])
        worst = max(worst, float(np.sqrt(res.fun / len(y))))
    elapsed = time.perf_counter() - t
    cpu = time.process_time() - c
    return {"name": f"rectified {len(data)} curves, scipy L-BFGS-B, one start each",
            "seconds": elapsed, "cpu_seconds": cpu, "per_fit": elapsed / len(data), "largest_rmsd_log": worst}


def large_points(law, n):
    """The points of the large-fit benchmark (`slaw bench engine` builds the same at n = 100,000):
    x log-spaced, y the law at the true parameters times 1 + 0.002 sin(i)."""
    i = np.arange(n)
    if law == "power":
        x = 10.0 ** (1.0 + 5.0 * i / (n - 1))
        return x, (2000.0 * x ** -0.5 + 1.5) * (1.0 + 0.002 * np.sin(i))
    x = 10.0 ** (2.0 + 4.0 * i / (n - 1))
    return x, (50.0 * x ** -0.4 + 1.0) ** 1.0 * (1.0 + 0.002 * np.sin(i))


def large_problem(law):
    """ln x, ln y of the large-fit points, the start and the bounds (slaw's internal
    parametrization: log amplitudes, exponents as they are)."""
    x, y = large_points(law, 100_000)
    if law == "power":
        p0 = [np.log(100.0), 0.3, np.log(1.0)]
        bounds = [(np.log(1e-12), np.log(1e30)), (0.0, 10.0), (np.log(1e-10), np.log(1e6))]
    else:
        p0 = [np.log(10.0), 0.3, np.log(0.5), 0.8]
        bounds = [(np.log(1e-12), np.log(1e30)), (0.0, 5.0), (np.log(1e-10), np.log(1e6)), (1e-3, 20.0)]
    return np.log(x), np.log(y), p0, bounds


def bench_large(law):
    """power or vanilla-ft on the 100,000 points of `slaw bench engine`, one start, squared
    error on ln L, analytic gradient (the same points, start and bounds as slaw)."""
    lx, ly, p0, bounds = large_problem(law)

    def obj(p):
        if law == "power":
            a, alpha, e = p
            z = np.stack([a - alpha * lx, np.full_like(lx, e)])
            pred = logsumexp(z, axis=0)
            w = np.exp(z - pred)
            r = pred - ly
            g = 2 * np.array([(r * w[0]).sum(), (r * -lx * w[0]).sum(), (r * w[1]).sum()])
            return (r * r).sum(), g
        b, beta, e, alpha = p
        z = np.stack([b - beta * lx, np.full_like(lx, e)])
        inner = logsumexp(z, axis=0)
        w = np.exp(z - inner)
        r = alpha * inner - ly
        g = 2 * np.array([(r * alpha * w[0]).sum(), (r * -alpha * lx * w[0]).sum(),
                          (r * alpha * w[1]).sum(), (r * inner).sum()])
        return (r * r).sum(), g

    t = time.perf_counter()
    c = time.process_time()
    res = minimize(obj, p0, jac=True, method="L-BFGS-B", bounds=bounds)
    return {"name": f"{law} 100000 points, scipy L-BFGS-B, one start, analytic gradient",
            "seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - c,
            "objective": float(res.fun), "evaluations": int(res.nfev), "x": [float(v) for v in res.x]}


def bench_large_trf(law):
    """The same fits as `bench_large` with scipy.optimize.least_squares (method 'trf', the
    analytic Jacobian of the residuals, the same bounds): the least-squares reference for
    slaw's Levenberg-Marquardt path. Objective reported as sum r^2 (least_squares
    minimizes half of it)."""
    lx, ly, p0, bounds = large_problem(law)
    lo, hi = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])

    def parts(p):
        if law == "power":
            a, alpha, e = p
            z = np.stack([a - alpha * lx, np.full_like(lx, e)])
            pred = logsumexp(z, axis=0)
            w = np.exp(z - pred)
            return pred - ly, np.stack([w[0], -lx * w[0], w[1]], axis=1)
        b, beta, e, alpha = p
        z = np.stack([b - beta * lx, np.full_like(lx, e)])
        inner = logsumexp(z, axis=0)
        w = np.exp(z - inner)
        return alpha * inner - ly, np.stack([alpha * w[0], -alpha * lx * w[0], alpha * w[1], inner], axis=1)

    t = time.perf_counter()
    c = time.process_time()
    res = least_squares(lambda p: parts(p)[0], p0, jac=lambda p: parts(p)[1], bounds=(lo, hi), method="trf")
    return {"name": f"{law} 100000 points, scipy least_squares trf, one start, analytic Jacobian",
            "seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - c,
            "objective": float(2 * res.cost), "evaluations": int(res.nfev), "jacobians": int(res.njev),
            "x": [float(v) for v in res.x]}


if __name__ == "__main__":
    print(json.dumps(bench_large("power")), flush=True)
    print(json.dumps(bench_large("vanilla-ft")), flush=True)
    if "--large-only" in sys.argv:
        print(json.dumps(bench_large_trf("power")), flush=True)
        print(json.dumps(bench_large_trf("vanilla-ft")), flush=True)
        sys.exit(0)
    data_dir = sys.argv[1]
    print(json.dumps(bench_rectified(data_dir)), flush=True)
    print(json.dumps(bench_chinchilla(data_dir, True)), flush=True)
    if "--skip-numeric" not in sys.argv:
        print(json.dumps(bench_chinchilla(data_dir, False)), flush=True)
