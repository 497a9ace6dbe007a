#!/usr/bin/env bash
# Dump every law fit of the selection benchmark (vanilla-fit and rectified-fit,
# FLAN and WMT19, budgets 1/8..1/512: 840 fits) as one TSV row each:
#   dataset ratio method candidate objective evaluations iterations termination n_warnings predicted_loss
# Usage: bench/selection_fits.sh SLAW_BINARY [DATA_DIR] > fits.tsv
# Compare two dumps with bench/selection_fits_compare.py BEFORE.tsv AFTER.tsv.
set -euo pipefail
bin=${1:?usage: selection_fits.sh SLAW_BINARY [DATA_DIR]}
data=${2:-../shared/data/finetune-selection}
for ds in flan wmt19; do
  for r in 8 16 32 64 128 256 512; do
    for m in vanilla-fit rectified-fit; do
      # Exit status 3: a fit did not converge (said in the JSON); the dump keeps it.
      json=$("$bin" select "$data/$ds.csv" --target 1638400 --budget "1/$r" --method "$m" \
        --bootstrap 0 --json) || [ $? -eq 3 ]
      printf '%s\n' "$json" |
        jq -r --arg ds "$ds" --arg r "$r" --arg m "$m" '.ranking[] | select(.detail.kind == "fit") |
          [$ds, $r, $m, .id, (.detail.objective | tostring), .detail.evaluations, .detail.iterations,
           .detail.termination, (.detail.warnings | length), (.predicted_loss | tostring)] | @tsv'
    done
  done
done
