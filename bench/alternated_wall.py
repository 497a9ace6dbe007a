"""Benchmarks' own wall times, binaries alternated round by round (BENCHMARKS.md, "Quiet-machine wall
figure owed by the speed audit": the lead's `quiet56/run.sh`, re-created; the issue-22 Status row
`slaw bench selection <= 0.15 s`).

Protocol (as the section states it): ROUNDS rounds; in each, for one binary and then the next,
`slaw bench selection --data DATA/finetune-selection --repeats 7` then `slaw bench engine --data DATA
--repeats 7`; then two rounds, per binary, of `slaw bench forecast --data DATA/loss-curves` (the
process's user CPU) and `slaw bench selection --data DATA/finetune-selection --protocol lodo --repeats
3`. Figures are the benchmarks' own medians of their repeats; printed: the median and the range over
the rounds, per binary. Run from anywhere; note the load average beside the figures (printed).

Usage: python3 bench/alternated_wall.py DATA ROUNDS BIN [BIN ...]
       e.g. python3 bench/alternated_wall.py ../shared/data 5 ./slaw-old target/release/slaw
"""
import os
import re
import resource
import statistics
import subprocess
import sys

DATA, ROUNDS, BINS = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
WALL = re.compile(r"median ([0-9.]+) s wall \(min [0-9.]+ s\), ([0-9.]+) s CPU")


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def user_cpu(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    run(cmd)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before


fig = {b: {} for b in BINS}


def add(b, key, v):
    fig[b].setdefault(key, []).append(v)


sel = ["bench", "selection", "--data", os.path.join(DATA, "finetune-selection")]
print(f"load average at start: {os.getloadavg()}")
for r in range(ROUNDS):
    for b in BINS:
        out = run([b] + sel + ["--repeats", "7"])
        w, c = WALL.search(out).groups()
        add(b, "bench selection, wall", float(w))
        add(b, "bench selection, CPU", float(c))
        out = run([b, "bench", "engine", "--data", DATA, "--repeats", "7"])
        blocks = out.split("\n")
        for i, line in enumerate(blocks):
            m = WALL.search(line)
            if not m:
                continue
            head = blocks[i - 1]
            if head.startswith("chinchilla") and "every start" in head:
                add(b, "bench engine Chinchilla, every start, wall", float(m.group(1)))
            elif head.startswith("chinchilla") and "adaptive" in head:
                add(b, "bench engine Chinchilla, adaptive, wall", float(m.group(1)))
            elif head.startswith("rectified") and "adaptive" in head:
                add(b, "bench engine rectified 60 curves, adaptive, wall", float(m.group(1)))
for r in range(2):
    for b in BINS:
        out = run([b] + sel + ["--protocol", "lodo", "--repeats", "3"])
        add(b, "bench selection --protocol lodo, wall", float(WALL.search(out).group(1)))
        add(b, "bench forecast, user CPU of the process",
            user_cpu([b, "bench", "forecast", "--data", os.path.join(DATA, "loss-curves")]))
print(f"load average at end: {os.getloadavg()}")
for key in fig[BINS[0]]:
    cells = []
    for b in BINS:
        v = fig[b][key]
        cells.append(f"{b}: {statistics.median(v):.4f} s ({min(v):.4f}-{max(v):.4f}, {len(v)} rounds)")
    print(f"{key}: " + "; ".join(cells))
