#!/usr/bin/env bash
# Issue 17 (third push): the temporal law's rule variants on the runs of DIR, final-loss
# forecasts from 10/20/30% of each run, written to /tmp/temp2_xt.tsv, then leave one run out
# and leave one size out among them (rules_loo.py). Uses temporary XT_* switches of this commit.
#   bash bench/temporal/experiments/run_rules.sh bench/temporal/data
set -euo pipefail
X=./target/release/examples/xt
cargo build --release --example xt
rm -f /tmp/temp2_xt.tsv
XT_OUT=R0 $X "$@" >/dev/null                                              # all forms, warmup left out (>= 6 left)
XT_OUT=R1 XT_WARM=in $X "$@" >/dev/null                                   # all forms, from the first checkpoint
XT_OUT=R2 XT_A2=constant,hyperbolic $X "$@" >/dev/null                    # a2 bounded, warmup rule
XT_OUT=R3 XT_A2=constant,hyperbolic XT_WARM=in $X "$@" >/dev/null         # a2 bounded, from the first checkpoint
XT_OUT=R4 XT_A2=constant,hyperbolic,log $X "$@" >/dev/null
XT_OUT=R5 XT_A2=constant,hyperbolic,log XT_WARM=in $X "$@" >/dev/null
XT_OUT=R6 XT_A2=constant,hyperbolic,lr $X "$@" >/dev/null
XT_OUT=BT XT_CFG=1 $X "$@" >/dev/null                                     # within-run backtest R0 vs R3
XT_OUT=recip XT_C=recip $X "$@" >/dev/null
XT_OUT=power XT_C=power $X "$@" >/dev/null
python3 bench/temporal/experiments/rules_loo.py R0,R1,R2,R3,R4,R5,R6
