"""Coverage of `slaw fit --predict`'s extrapolation interval on fine-tuning curves.

Each of the 60 curves of FLAN and WMT19 (../shared/data/finetune-selection) is fitted by one law
on its sizes 200 .. the size in column LAST-1 of the wide file (LAST=10: up to 25,600; 12: up to
102,400), with a bootstrap, and the loss at 1,638,400 is predicted. Counted: how often the true
loss lies inside the extrapolation interval (as the binary ships it), inside the bootstrap band
alone, inside the hull of the two, and inside the interval combined with the band in quadrature
(each side, in ln L), with the median half-widths (ln); and how many intervals were widened to hold
the alternative law's prediction (`widened_to_alternative`, power and vanilla-ft: the rectified
law's). The interval as shipped already holds the band, so "hull" equals "interval".

  python3 bench/fit_interval_finetune.py SLAW DATA_DIR LAW LAST [LEVEL]
  e.g. python3 bench/fit_interval_finetune.py target/release/slaw ../shared/data rectified 10 0.9
"""
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

slaw, data, law, last = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
level = sys.argv[5] if len(sys.argv) > 5 else "0.9"
count = {"n": 0, "no interval": 0, "interval": 0, "band": 0, "hull": 0, "quadrature": 0,
         "widened to the alternative": 0}
widths = {"interval": [], "hull": [], "quadrature": []}
with tempfile.TemporaryDirectory() as tmp:
    for ds in ["flan", "wmt19"]:
        rows = list(csv.reader(open(os.path.join(data, "finetune-selection", f"{ds}.csv"))))
        head = rows[0]
        target = head.index("1638400")
        for r in rows[1:]:
            if not r[target]:
                continue
            truth = float(r[target])
            path = os.path.join(tmp, "curve.csv")
            with open(path, "w") as f:
                f.write("n,loss\n")
                for k in range(2, last):
                    if r[k]:
                        f.write(f"{head[k]},{r[k]}\n")
            run = subprocess.run(
                [slaw, "fit", path, "--x", "n", "--law", law, "--predict", "1638400",
                 "--bootstrap", "200", "--level", level, "--json"],
                capture_output=True, text=True)
            # exit status 3: a fit that did not converge (its JSON printed, no interval)
            if run.returncode not in (0, 3):
                raise SystemExit(run.stderr)
            out = run.stdout
            p = json.loads(out)["groups"][0]["predictions"][0]
            count["n"] += 1
            count["widened to the alternative"] += p.get("widened_to_alternative") is not None
            e, b, v = p["extrapolation_interval"], p["interval"], p["value"]
            if e is None or b is None:
                count["no interval"] += 1
                continue
            inside = lambda lo, hi: lo <= truth <= hi
            count["interval"] += inside(e["lo"], e["hi"])
            count["band"] += inside(b["lo"], b["hi"])
            lo, hi = min(e["lo"], b["lo"]), max(e["hi"], b["hi"])
            count["hull"] += inside(lo, hi)
            down = math.hypot(math.log(v / e["lo"]), max(0.0, math.log(v / b["lo"])))
            up = math.hypot(math.log(e["hi"] / v), max(0.0, math.log(b["hi"] / v)))
            count["quadrature"] += inside(v * math.exp(-down), v * math.exp(up))
            widths["interval"].append(0.5 * math.log(e["hi"] / e["lo"]))
            widths["hull"].append(0.5 * math.log(hi / lo))
            widths["quadrature"].append(0.5 * (down + up))
print(f"{law}, sizes up to {rows[0][last - 1]}, level {level}: {count}")
print("median half-widths (ln):", {k: round(statistics.median(w), 3) for k, w in widths.items() if w})
