#!/usr/bin/env python3
"""Compare two dumps of the selection benchmark's law fits, fit by fit.

Input: TSV rows `dataset ratio law-or-method candidate objective evaluations
iterations termination warnings prediction` (crates/slaw/examples/small_fits.rs
or bench/selection_fits.sh). Prints, per law, how many fits end lower, equal
(within --tie, relative) or higher after than before, the worst rise, the
evaluation totals, and the fits whose prediction at the target moved by more
than 1e-6 (relative). Exit status 1 when a fit ends higher than --tie.

    python3 bench/selection_fits_compare.py before.tsv after.tsv [--tie 1e-12]
"""
import sys


def load(path):
    rows = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        rows[tuple(f[:4])] = (float(f[4]), int(f[5]), int(f[6]), f[7], int(f[8]), float(f[9]))
    return rows


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    tie = 1e-12
    if "--tie" in sys.argv:
        tie = float(sys.argv[sys.argv.index("--tie") + 1])
        args = [a for a in args if a != sys.argv[sys.argv.index("--tie") + 1]]
    before, after = load(args[0]), load(args[1])
    assert before.keys() == after.keys(), "the two dumps hold different fits"
    higher_any = False
    for law in sorted({k[2] for k in before}):
        keys = [k for k in before if k[2] == law]
        lower = equal = higher = 0
        worst = 0.0
        moved = []
        for k in keys:
            fb, fa = before[k][0], after[k][0]
            rel = (fa - fb) / abs(fb) if fb != 0 else fa - fb
            if rel < -tie:
                lower += 1
            elif rel > tie:
                higher += 1
                worst = max(worst, rel)
                print(f"  higher: {' '.join(k)}: {fb:.17e} -> {fa:.17e} ({rel:.2e})")
            else:
                equal += 1
            pb, pa = before[k][5], after[k][5]
            if abs(pa - pb) > 1e-6 * abs(pb):
                moved.append((abs(pa - pb) / abs(pb), k, pb, pa, rel))
        eb = sum(before[k][1] for k in keys)
        ea = sum(after[k][1] for k in keys)
        print(
            f"{law}: {len(keys)} fits: lower {lower}, equal within {tie:g} {equal}, "
            f"higher {higher} (worst {worst:.2e}); evaluations {eb} -> {ea}"
        )
        for m, k, pb, pa, rel in sorted(moved, reverse=True)[:15]:
            print(f"  prediction moved {m:.2e}: {' '.join(k)}: {pb:.6g} -> {pa:.6g} (objective {rel:+.2e})")
        if len(moved) > 15:
            print(f"  ... {len(moved)} predictions moved by > 1e-6 in all")
        higher_any |= higher > 0
    sys.exit(1 if higher_any else 0)


if __name__ == "__main__":
    main()
