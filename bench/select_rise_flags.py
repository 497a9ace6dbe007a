"""`slaw select`'s flag on a loss that rises at the largest affordable size, on the public curves
(BENCHMARKS.md, "select: a loss that rises at the largest affordable size is flagged whatever its
trend" (lead57): the public-curve part of lead57's `rise.py`, re-created; README "A point that
breaks its curve"). probe57's known-truth outlier pools are not here (their generator was not kept).

Per dataset (FLAN, WMT19) and budget 1/8 ... 1/512 of 1,638,400: the largest rise, over the 30
candidates, of the loss at the largest affordable size (0 < n <= 1,638,400 / r) above the loss at the
affordable size before it, in %; and how many of `slaw select FILE --target 1638400 --budget 1/r
--json`'s warnings say a loss "rises" (the flag's wording: "rises N% above the loss at size ...").

Usage: python3 bench/select_rise_flags.py [BIN] [DATA]   (default target/release/slaw,
../shared/data/finetune-selection)
"""
import csv
import json
import os
import subprocess
import sys

S = sys.argv[1] if len(sys.argv) > 1 else "target/release/slaw"
DATA = sys.argv[2] if len(sys.argv) > 2 else "../shared/data/finetune-selection"
FULL = 1638400

flags_all, rises_all = 0, []
for name in ("flan", "wmt19"):
    path = os.path.join(DATA, name + ".csv")
    rows = list(csv.reader(open(path)))
    sizes = [(i, float(h)) for i, h in enumerate(rows[0]) if h.replace(".", "").isdigit() and float(h) > 0]
    for r in (8, 16, 32, 64, 128, 256, 512):
        top = FULL / r
        rise = max(float(row[[i for i, n in sizes if n <= top][-1]]) /
                   float(row[[i for i, n in sizes if n <= top][-2]]) - 1 for row in rows[1:])
        out = subprocess.run([S, "select", path, "--target", str(FULL), "--budget", f"1/{r}", "--json"],
                             capture_output=True, text=True, check=True).stdout
        warnings = json.loads(out).get("warnings") or []
        flags = sum("rises" in json.dumps(w) for w in warnings)
        flags_all += flags
        rises_all.append(rise)
        print(f"{name} 1/{r}: largest rise at the last affordable size {100 * rise:+.1f}%, "
              f"'rises' warnings {flags}")
print(f"14 budgets: largest rises {100 * min(rises_all):+.1f}% ... {100 * max(rises_all):+.1f}%, "
      f"'rises' warnings in all {flags_all}")
