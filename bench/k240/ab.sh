#!/usr/bin/env bash
# A/B of two slaw binaries on `slaw bench kernels`, alternated (ABBA order,
# so neither side always runs first), N rounds; prints the per-law medians of
# the CPU ns per point (fused kernel and batch path), the Chinchilla rows'
# % of peak, and the ratio B / A of the medians (< 1: B faster).
#
#   bash bench/k240/ab.sh BIN_A BIN_B [N=6] [REPEATS=3] [DATA=../shared/data]
#
# Each run's JSON is kept in $OUT (default a fresh temp dir). Run from the
# repository root on a quiet machine; `nice` is used because the machine is
# shared.
set -euo pipefail
A=${1:?usage: ab.sh BIN_A BIN_B [N] [REPEATS] [DATA]}
B=${2:?usage: ab.sh BIN_A BIN_B [N] [REPEATS] [DATA]}
N=${3:-6}
REPEATS=${4:-3}
DATA=${5:-../shared/data}
OUT=${OUT:-$(mktemp -d /tmp/ab.XXXXXX)}
echo "A = $A"
echo "B = $B"
echo "$N rounds, --repeats $REPEATS, data $DATA, runs kept in $OUT"
for i in $(seq 1 "$N"); do
  if (( i % 2 )); then order="A B"; else order="B A"; fi
  for side in $order; do
    bin=$A; [[ $side == B ]] && bin=$B
    nice "$bin" bench kernels --data "$DATA" --repeats "$REPEATS" --json \
      >"$OUT/$side.$i.json" 2>/dev/null
  done
  echo "round $i done ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))"
done
python3 - "$OUT" "$N" <<'PY'
import json, statistics as st, sys
out, n = sys.argv[1], int(sys.argv[2])
runs = {s: [json.load(open(f"{out}/{s}.{i}.json")) for i in range(1, n + 1)] for s in "AB"}
def rows(run):
    return {(r["law"], r["points"]): r for r in run["rows"]}
keys = [(r["law"], r["points"]) for r in runs["A"][0]["rows"]]
med = lambda xs: st.median(xs) if xs else float("nan")
print(f"peak GFLOP/s, median: A {med([r['peak_gflops'] for r in runs['A']]):.1f}  "
      f"B {med([r['peak_gflops'] for r in runs['B']]):.1f}")
print(f"{'law':26} {'points':>7} | {'fused A':>8} {'fused B':>8} {'B/A':>6} | "
      f"{'batch A':>8} {'batch B':>8} {'B/A':>6}   (median CPU ns per point over {n} runs)")
for k in keys:
    cells = []
    for field in ("fused_ns_per_point", "unfused_ns_per_point"):
        a = med([rows(r)[k][field] for r in runs["A"] if rows(r)[k][field] is not None])
        b = med([rows(r)[k][field] for r in runs["B"] if rows(r)[k][field] is not None])
        cells.append(f"{a:8.2f} {b:8.2f} {b / a:6.3f}" if a == a else f"{'-':>8} {'-':>8} {'':>6}")
    print(f"{k[0]:26} {k[1]:>7} | {cells[0]} | {cells[1]}")
for k in keys:
    if rows(runs["A"][0])[k]["percent_of_peak"] is None:
        continue
    for s in "AB":
        p = [rows(r)[k]["percent_of_peak"] for r in runs[s]]
        ns = [rows(r)[k]["fused_ns_per_point"] for r in runs[s]]
        print(f"{k[0]} {k[1]} {s}: % of peak per run " + " ".join(f"{x:.1f}" for x in p)
              + f"; median {med(p):.2f}%; ns/pt per run " + " ".join(f"{x:.2f}" for x in ns))
PY
