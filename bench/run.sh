#!/usr/bin/env bash
# Measure slaw's engine and the scipy reference in one run, on this machine.
# Usage: bench/run.sh [DATA_DIR] [--skip-numeric]
# Needs python3; installs numpy and scipy into target/bench-venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data}"
shift || true
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet numpy scipy
fi
cargo build --release --quiet
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== slaw (median of 5 repeats; wall and CPU time of the process)"
./target/release/slaw bench engine --data "$data" --repeats 5
./target/release/slaw bench engine --data "$data" --repeats 5 --solver basin
echo "== scipy reference (one run each; BLAS/OpenMP pinned to one thread, as a fit of 5 parameters needs)"
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$venv/bin/python" bench/reference/scipy_engine.py "$data" "$@"
echo "== slaw bench kernels (CPU ns per point and evaluation, one thread)"
./target/release/slaw bench kernels --data "$data" --repeats 5
echo "== slaw bench selection (median of 5 repeats)"
./target/release/slaw bench selection --data "$data/finetune-selection" --repeats 5
echo "== slaw bench runner (the run scheduler replayed on the measured losses)"
./target/release/slaw bench runner --data "$data/finetune-selection"
