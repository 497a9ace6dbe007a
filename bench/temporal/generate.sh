#!/usr/bin/env bash
# Generate the temporal dataset: 3 model sizes x 3 schedules (seed 1) plus
# second seeds (small cosine / constant / wsd, medium cosine / constant / wsd,
# large constant), later seeds (small cosine_seed3 / constant_seed3 / constant_seed4 /
# wsd_seed5, medium wsd_seed3 / cosine_seed3 / cosine_seed4, large cosine_seed3 /
# wsd_seed2), and four runs of other lengths / peak rates (below). One thread. Usage:
#   bash bench/temporal/generate.sh [OUT_DIR] [RUN_NAME...]
# With run names (e.g. small_cosine_seed1) only those runs are generated.
# A run name is SIZE_SCHEDULE_seedN, optionally followed by _stepsS (S steps
# instead of 400) and/or _lrX (peak learning rate X instead of 3e-3), in that
# order: e.g. small_cosine_seed6_steps800, large_wsd_seed6_lr1e-2.
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-data}"
shift || true
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
STEPS=400
declare -A SIZE=(
  [small]="--d 64 --layers 2 --heads 2"
  [medium]="--d 96 --layers 3 --heads 3"
  [large]="--d 128 --layers 3 --heads 4"
)
runs=()
for size in small medium large; do
  for sched in constant cosine wsd; do
    runs+=("${size}_${sched}_seed1")
  done
  [ "$size" = small ] && runs+=("small_cosine_seed2" "small_constant_seed2" "small_wsd_seed2" \
    "small_cosine_seed3" "small_constant_seed4" "small_constant_seed3" "small_wsd_seed5")
  [ "$size" = medium ] && runs+=("medium_cosine_seed2" "medium_constant_seed2" "medium_wsd_seed2" \
    "medium_wsd_seed3" "medium_cosine_seed4" "medium_cosine_seed3")
  [ "$size" = large ] && runs+=("large_constant_seed2" "large_cosine_seed3" "large_wsd_seed2")
done
# Issue 17's seventh push: runs unlike the 25 (longer horizon, other peak rates).
runs+=("small_cosine_seed6_steps800" "large_wsd_seed6_lr1e-2" "medium_constant_seed6_lr1e-3" \
  "small_constant_seed6_steps800_lr1e-3")
[ $# -gt 0 ] && runs=("$@")
for run in "${runs[@]}"; do
  IFS=_ read -r size sched seed extra <<<"$run"
  steps="$STEPS" lr=3e-3
  if [ -n "${extra:-}" ]; then
    IFS=_ read -ra parts <<<"$extra"
    for part in "${parts[@]}"; do
      case "$part" in
        steps[0-9]*) steps="${part#steps}" ;;
        lr[0-9]*) lr="${part#lr}" ;;
        *) echo "generate.sh: unknown part '$part' in run name '$run'" >&2; exit 2 ;;
      esac
    done
  fi
  if [ -z "${SIZE[$size]+x}" ]; then
    echo "generate.sh: unknown size '$size' in run name '$run'" >&2; exit 2
  fi
  # shellcheck disable=SC2086
  python3 train.py ${SIZE[$size]} --steps "$steps" --lr "$lr" --schedule "$sched" \
    --seed "${seed#seed}" --checkpoints 40 --val-seqs 64 --out "$out/$run.csv"
done
