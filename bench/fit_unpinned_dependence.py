"""How often `slaw fit --predict` says a prediction depends on a parameter the data do not pin,
and whether the predictions it names are the worse ones.

Each of the 60 fine-tuning curves of FLAN and WMT19 (../shared/data/finetune-selection) is
fitted by LAW on its sizes 0/200 .. a budget (columns up to LAST-1 of the wide file: 8 = 6,400,
10 = 25,600, 12 = 102,400) and predicts the loss at 1,638,400. Per binary: the fits with an
unpinned parameter (the warning "the data do not pin"), the predictions said to depend on one
(`depends_on_unpinned`), and the median |ln(prediction / truth)| of the predictions flagged and
not flagged.

  python3 bench/fit_unpinned_dependence.py DATA_DIR LAW LAST BINARY [BINARY ...]
"""
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

data, law, last = sys.argv[1], sys.argv[2], int(sys.argv[3])
binaries = sys.argv[4:]
rows_out = {b: {"n": 0, "unpinned": 0, "flagged": 0, "err_flag": [], "err_rest": []} for b in binaries}
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
            for b in binaries:
                run = subprocess.run(
                    [b, "fit", path, "--x", "n", "--law", law, "--predict", "1638400", "--json"],
                    capture_output=True, text=True)
                if run.returncode not in (0, 3):
                    raise SystemExit(run.stderr)
                g = json.loads(run.stdout)["groups"][0]
                p = g["predictions"][0]
                o = rows_out[b]
                o["n"] += 1
                o["unpinned"] += any("do not pin" in w for w in g["fit"]["warnings"])
                err = abs(math.log(p["value"] / truth)) if p["value"] > 0 else float("inf")
                if p["depends_on_unpinned"]:
                    o["flagged"] += 1
                    o["err_flag"].append(err)
                else:
                    o["err_rest"].append(err)
med = lambda v: f"{statistics.median(v):.3f}" if v else "-"
print(f"law {law}, sizes up to column {last - 1} ({head[last - 1]}), predicting 1638400")
print("| binary | fits | with an unpinned parameter | prediction said to depend | median abs ln err, flagged | not flagged |")
print("|---|---|---|---|---|---|")
for b in binaries:
    o = rows_out[b]
    print(f"| {b} | {o['n']} | {o['unpinned']} | {o['flagged']} | {med(o['err_flag'])} | {med(o['err_rest'])} |")
