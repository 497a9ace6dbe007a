"""The Python package against scipy and against the library, in one run (BENCHMARKS.md,
"Python package (issue 19)").

1. The Chinchilla fit (240 runs, Huber 1e-3 on log L) from Python: slaw.fit on Hoffmann's
   4500-start grid (starts="all") and with the default adaptive starts, against
   scipy.optimize.minimize (L-BFGS-B, analytic gradient) from the same 4500 starts: the
   reference code of bench/reference/scipy_engine.py, run once.
2. The Python call overhead on a 14-point fit (the rectified law on one FLAN curve, sizes
   > 0): slaw.fit's wall time per call against the time spent inside the library call (the
   CLI's library time, measured inside the extension) and against the `slaw fit` process.

Usage: python crates/slaw-py/bench/bench_fit.py [DATA_DIR] [--repeats 5] [--skip-scipy]
Needs numpy, pandas, scipy and the slaw package; run from the repository root.
"""

import os

for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(v, "1")

import argparse  # noqa: E402
import pathlib  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import pandas as pd  # noqa: E402

import slaw  # noqa: E402
from slaw import _native  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[3]


def timed(f, repeats):
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        out = f()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="?", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--overhead-repeats", type=int, default=300)
    ap.add_argument("--skip-scipy", action="store_true")
    a = ap.parse_args()
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"machine: {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}, "
          f"slaw {slaw.__version__}, pandas {pd.__version__}")

    df = pd.read_csv(os.path.join(a.data, "chinchilla", "svg_extracted_data.csv"))
    df["D"] = df["Training FLOP"] / (6 * df["Model Size"])
    df = df.sort_values("loss", kind="stable").iloc[:-5]
    rows = []
    for starts in ("all", 3):
        w, c, r = timed(lambda: slaw.fit(df, law="chinchilla", x=["Model Size", "D"], starts=starts), a.repeats)
        rows.append((f"slaw.fit, starts={starts!r} ({r.n_starts} of {r.grid_starts} starts)", w, c,
                     r.objective, r.params["alpha"], r.params["beta"], r.params["E"]))
    if not a.skip_scipy:
        sys.path.insert(0, str(REPO / "bench" / "reference"))
        import scipy
        import scipy_engine

        s = scipy_engine.bench_chinchilla(a.data, True)
        rows.append((f"scipy {scipy.__version__} L-BFGS-B, analytic gradient, 4500 starts (one run)",
                     s["seconds"], s["cpu_seconds"], s["objective"], s["alpha"], s["beta"], s["E"]))
    print(f"\nChinchilla, 240 runs (median of {a.repeats} for slaw; wall and CPU seconds of the process)")
    print("| fit | wall s | CPU s | objective | alpha | beta | E |")
    print("|---|---|---|---|---|---|---|")
    for name, w, c, obj, al, be, e in rows:
        print(f"| {name} | {w:.4f} | {c:.4f} | {obj:.7f} | {al:.4f} | {be:.4f} | {e:.4f} |")
    if not a.skip_scipy:
        sw, sc = rows[-1][1], rows[-1][2]
        for name, w, c, *_ in rows[:-1]:
            print(f"scipy / {name}: {sw / w:.0f}x wall, {sc / c:.0f}x CPU")

    # 14-point fit: the rectified law on the first FLAN curve, sizes > 0.
    flan = pd.read_csv(os.path.join(a.data, "finetune-selection", "flan.csv"))
    sizes = [c for c in flan.columns if c.replace(".", "").isdigit() and float(c) > 0]
    row = flan.iloc[0]
    curve = pd.DataFrame({"n": [float(c) for c in sizes], "loss": [float(row[c]) for c in sizes]})
    assert len(curve) == 14
    lib = []
    orig = _native.fit

    def fit_recording(data, opts):
        out, secs = _native._fit_timed(data, opts)
        lib.append(secs)
        return out

    _native.fit = fit_recording
    try:
        walls = []
        for _ in range(a.overhead_repeats):
            t = time.perf_counter()
            r = slaw.fit(curve, law="rectified", x="n", y="loss")
            walls.append(time.perf_counter() - t)
    finally:
        _native.fit = orig
    assert r.converged
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "curve.csv")
        curve.to_csv(p, index=False)
        exe = REPO / "target" / "release" / "slaw"
        procs = []
        for _ in range(50):
            t = time.perf_counter()
            subprocess.run([str(exe), "fit", p, "--law", "rectified", "--x", "n", "--y", "loss", "--json"],
                           check=True, capture_output=True)
            procs.append(time.perf_counter() - t)
    pw, lw, cw = statistics.median(walls), statistics.median(lib), statistics.median(procs)
    print(f"\n14-point fit (rectified law, {row.iloc[0]}; median of {a.overhead_repeats} calls, 50 CLI processes)")
    print("| measure | median ms |")
    print("|---|---|")
    print(f"| library call (inside the extension: the CLI's library time) | {lw * 1e3:.3f} |")
    print(f"| slaw.fit from Python (DataFrame in, FitResult out) | {pw * 1e3:.3f} |")
    print(f"| `slaw fit ... --json` (the whole CLI process) | {cw * 1e3:.3f} |")
    print(f"Python / library: {pw / lw:.2f}x; overhead {1e3 * (pw - lw):.3f} ms per call")


if __name__ == "__main__":
    main()
