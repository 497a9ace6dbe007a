"""The rising-loss rule of `slaw select` (crates/slaw/src/selection/checks.rs: the slope of ln L on
ln n over a candidate's affordable points, N > 0 and at least 3, above 0.02 with its last affordable
loss above its first) on the public curves: per dataset and budget 1/8 ... 1/512 of 1638400, how
many candidates rise and the largest slope. Usage: python3 bench/rising_losses.py ../shared/data/finetune-selection"""
import csv
import math
import sys

RISE_SLOPE, MIN_POINTS, FULL = 0.02, 3, 1638400

data = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/finetune-selection"
for d in ["flan", "wmt19"]:
    rows = list(csv.reader(open(f"{data}/{d}.csv")))
    sizes = [(i, float(h)) for i, h in enumerate(rows[0]) if h.replace(".", "").isdigit()]
    for r in [8, 16, 32, 64, 128, 256, 512]:
        top, worst, rising, judged = FULL / r, -math.inf, 0, 0
        for row in rows[1:]:
            pts = [(n, float(row[i])) for i, n in sizes if 0 < n <= top and row[i].strip()]
            if len(pts) < MIN_POINTS:
                continue
            judged += 1
            xs = [math.log(n) for n, _ in pts]
            ys = [math.log(l) for _, l in pts]
            mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
            s = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
            worst = max(worst, s)
            rising += s > RISE_SLOPE and pts[-1][1] > pts[0][1]
        print(f"{d} 1/{r}: judged {judged}, rising {rising}, largest slope {worst:+.4f}")
