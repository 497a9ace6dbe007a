"""Coverage of `slaw fit`'s interpolation interval without `--bootstrap` on real curves, out of
sample: each curve is fitted on some of its points and the held-out points between them (inside the
fitted range) are scored: is the held-out loss inside the interval at 80% and at 95%?

Sets (DATA is ../shared/data):
  ft-power: the 60 fine-tuning curves of DATA/finetune-selection (flan, wmt19), sizes 200 ...
    1,638,400 (14 sizes), fitted by `--law power` on every other size (200, 800, ..., 819,200: 7
    points), scored at the 6 sizes between;
  ft-LAW (rectified, vanilla-ft: 4 parameters get no interpolation interval on 7 points): fitted on
    the 14 sizes but every third from the second (400, 3,200, 25,600, 204,800 held out: 10 points),
    scored at those 4;
  train-power: the constant-learning-rate training curves of DATA/loss-curves/multipower (25 and
    100, constant_24000 and constant_72000), loss against step, `--law power` fitted on every other
    logged step, scored at the steps between.
Per binary and set: held-out losses inside / scored, the median interval width (ln hi / lo), and
inside / scored among the predictions that depend on a parameter the data do not pin.

  python3 bench/fit_interpolation_real.py DATA BINARY [BINARY ...]
"""
import csv
import json
import math
import os
import statistics as st
import subprocess
import sys
import tempfile

DATA, BINS = sys.argv[1], sys.argv[2:]


def curves():
    for ds in ("flan", "wmt19"):
        rows = list(csv.reader(open(os.path.join(DATA, "finetune-selection", f"{ds}.csv"))))
        head = rows[0]
        cols = [k for k, h in enumerate(head) if h.isdigit() and int(h) > 0]
        for r in rows[1:]:
            pts = [(float(head[k]), float(r[k])) for k in cols if r[k]]
            if len(pts) < 14:
                continue
            yield "ft-power", "power", pts, set(range(0, len(pts), 2)), set(range(1, len(pts) - 1, 2))
            held = {1, 4, 7, 10}
            for law in ("rectified", "vanilla-ft"):
                yield f"ft-{law}", law, pts, set(range(len(pts))) - held, held
    for size in ("25", "100"):
        for name in ("constant_24000", "constant_72000"):
            rows = list(csv.DictReader(open(os.path.join(DATA, "loss-curves", "multipower", size,
                                                         f"{name}.csv"))))
            pts = [(float(r["step"]), float(r["loss"])) for r in rows]
            n = len(pts)
            yield "train-power", "power", pts, set(range(0, n, 2)), set(range(1, n - 1, 2))


res = {}
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "c.csv")
    for name, law, pts, fit_at, score_at in curves():
        with open(path, "w") as out:
            out.write("x,loss\n")
            for k in sorted(fit_at):
                out.write(f"{pts[k][0]:.10g},{pts[k][1]:.10g}\n")
        for b in BINS:
            for level in (0.8, 0.95):
                cmd = [b, "fit", path, "--x", "x", "--law", law, "--level", str(level), "--json"]
                for k in sorted(score_at):
                    cmd += ["--predict", f"{pts[k][0]:.10g}"]
                run = subprocess.run(cmd, capture_output=True, text=True)
                key = (name, b, level)
                r = res.setdefault(key, {"in": 0, "n": 0, "none": 0, "w": [], "un": 0, "un_in": 0})
                if run.returncode != 0:
                    r["none"] += len(score_at)
                    continue
                g = json.loads(run.stdout)["groups"][0]
                for p, k in zip(g["predictions"], sorted(score_at)):
                    iv = p["extrapolation_interval"]
                    if not iv or not p["extrapolation_interval_kind"] or \
                            p["extrapolation_interval_kind"]["kind"] != "interpolation":
                        r["none"] += 1
                        continue
                    r["n"] += 1
                    r["in"] += iv["lo"] <= pts[k][1] <= iv["hi"]
                    r["w"].append(math.log(iv["hi"] / iv["lo"]))
                    if p["depends_on_unpinned"]:
                        r["un"] += 1
                        r["un_in"] += iv["lo"] <= pts[k][1] <= iv["hi"]
for (name, b, level), r in sorted(res.items()):
    cov = r["in"] / r["n"] if r["n"] else float("nan")
    w = st.median(r["w"]) if r["w"] else float("nan")
    print(f"{name:18s} {level:4} {b}: {r['in']}/{r['n']} = {cov:.3f} (no interval {r['none']}); "
          f"median width (ln hi/lo) {w:.4f}; depending on an unpinned parameter {r['un_in']}/{r['un']}",
          flush=True)
