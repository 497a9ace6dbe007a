#!/usr/bin/env python3
"""Replay of two rules for `auto` (branch fc48; BENCHMARKS.md, "Loss-curve
forecasting") on the dump of
`cargo run --release -p slaw --example forecast_choice_dump`:

python3 bench/forecast_hull_replay.py dump.tsv

H(s): where auto takes power without a learning rate, its interval stays the
hull with reciprocal's unless reciprocal's tail RMSE > s x power's (then it
is power's own); s = inf is the rule before fc48. s is learned leaving the
family out: among the grid values that keep every cell of the other
families at >= 80% coverage, the one with the smallest mean over the other
families of their mean interval score; ties to the larger s.

U(r, nf): on a window with a learning rate it does not pin (auto took
reciprocal), power iff reciprocal's tail RMSE > r x power's and power's tail
RMSE <= nf x the noise (the smaller whole-window RMSE of the two laws), its
interval then the hull with reciprocal's; r = inf is the rule before fc48.
(r, nf) learned leaving the family out on the mean over the other families
with such windows of their median |ln error|; ties to the larger r, then
the smaller nf.

Both fixed before measuring (the fc48 report). With --check S R NF: print
the windows whose replayed outcome under H(S) and U(R, NF) differs from
the dump's own auto (the binary built with those constants: `dump_after`).
"""
import math
import statistics
import sys

INF = float("inf")
S_GRID = [1, 1.25, 1.5, 2, 3, 5, 10, 20, INF]
R_GRID = [1, 1.5, 2, 3, 5, 10, INF]
NF_GRID = [1, 1.5, 2, 3]


def load(path):
    rows = []
    for line in open(path):
        x = line.rstrip("\n").split("\t")
        w = dict(fam=x[0], name=x[1], frac=float(x[2]), k=int(x[3]), obs=float(x[4]),
                 auto=x[6], af=float(x[7]), alo=float(x[8]), ahi=float(x[9]),
                 kind=x[24], hull=x[25] == "1")
        for law, off in (("P", 10), ("R", 17)):
            w[law] = dict(f=float(x[off]), lo=float(x[off + 1]), hi=float(x[off + 2]),
                          tail=float(x[off + 3]), ins=float(x[off + 4]))
        rows.append(w)
    return rows


def sigma(w):
    return min(w["P"]["ins"], w["R"]["ins"])


def hull(w):
    P, R = w["P"], w["R"]
    return P["f"], min(P["lo"], R["lo"], R["f"]), max(P["hi"], R["hi"], R["f"]), "P"


def n_tail(w):
    # the window's last quarter (no missing losses in the dumped curves)
    return w["k"] // 4


def drop_hull(w, s):
    """H(s) (a number) or E(c) (("E", c)): whether power's own interval
    replaces the hull."""
    P, R = w["P"], w["R"]
    if isinstance(s, tuple):
        c = s[1]
        return c != INF and R["tail"] > P["tail"] and n_tail(w) * math.log(R["tail"] / P["tail"]) > c
    return R["tail"] > s * P["tail"]


def outcome(w, s=INF, rnf=(INF, 2)):
    """(forecast, lo, hi, law) of auto under H(s) or E(c), and U(r, nf)."""
    P, R = w["P"], w["R"]
    if w["kind"] == "step-only" and w["auto"] == "power":
        if drop_hull(w, s):
            return P["f"], P["lo"], P["hi"], "P own"
        return w["af"], w["alo"], w["ahi"], "P"
    if w["kind"] == "unpinned":
        r, nf = rnf
        if r != INF and R["tail"] > r * P["tail"] and P["tail"] <= nf * sigma(w):
            return hull(w)
    return w["af"], w["alo"], w["ahi"], "R" if w["auto"] == "reciprocal" else w["auto"]


def err(w, f):
    return abs(math.log(w["obs"]) - math.log(f))


def score(w, o):
    lo, hi = o[1], o[2]
    return math.log(hi / lo) + 20 * (max(math.log(lo / w["obs"]), 0) + max(math.log(w["obs"] / hi), 0))


def cells_of(rows):
    return sorted({(w["fam"], w["frac"]) for w in rows})


def cell_stats(r, outs):
    n = len(r)
    cov = sum(1 for w, o in zip(r, outs) if o[1] <= w["obs"] <= o[2])
    return dict(
        n=n, cov=cov,
        score=statistics.mean(score(w, o) for w, o in zip(r, outs)),
        med=statistics.median(err(w, o[0]) for w, o in zip(r, outs)),
        half=statistics.median(math.log(o[2] / o[1]) / 2 for o in outs),
        power=sum(1 for o in outs if o[3].startswith("P")),
        own=sum(1 for o in outs if o[3] == "P own"),
    )


def by_cell(rows):
    out = {}
    for w in rows:
        out.setdefault((w["fam"], w["frac"]), []).append(w)
    return out


E_GRID = [("E", c) for c in [2, 5, 10, 20, 50, 100, 200, 500, INF]]


def learn_s(rows, left_out, grid=None):
    cells = by_cell(rows)
    fams = sorted({w["fam"] for w in rows} - {left_out})
    best = None
    grid = grid or S_GRID
    for s in sorted(grid, key=lambda g: g[1] if isinstance(g, tuple) else g, reverse=True):
        ok = True
        fam_scores = {}
        for (fam, frac), r in cells.items():
            if fam == left_out:
                continue
            outs = [outcome(w, s) for w in r]
            st = cell_stats(r, outs)
            if st["cov"] < 0.8 * st["n"]:
                ok = False
            fam_scores.setdefault(fam, []).append(st["score"])
        if not ok:
            continue
        v = statistics.mean(statistics.mean(fam_scores[f]) for f in fams)
        if best is None or v < best[1] - 1e-12:
            best = (s, v)
    return best[0] if best else grid[-1]


def learn_rnf(rows, left_out):
    fams = sorted({w["fam"] for w in rows if w["kind"] == "unpinned"} - {left_out})
    best = None
    for r in sorted(R_GRID, reverse=True):
        for nf in sorted(NF_GRID):
            meds = []
            for fam in fams:
                ws = [w for w in rows if w["fam"] == fam and w["kind"] == "unpinned"]
                meds.append(statistics.median(err(w, outcome(w, INF, (r, nf))[0]) for w in ws))
            v = statistics.mean(meds)
            if best is None or v < best[1] - 1e-12:
                best = ((r, nf), v)
    return best[0]


def row(fam, frac, label, st):
    return (f"| {fam} {frac:.0%} | {label} | {st['power']} ({st['own']} own) | {st['med']:.4f} | "
            f"{st['cov']}/{st['n']} ({100 * st['cov'] / st['n']:.0f}%) | {st['half']:.4f} | {st['score']:.4f} |")


HEAD = ("| cell | rule | power taken (own interval) | median abs ln err | 90% coverage | "
        "median half-width (ln) | mean interval score |\n|---|---|---|---|---|---|---|")


def check(rows, s, r, nf):
    bad = 0
    for w in rows:
        f, lo, hi, law = outcome_after(w, s, (r, nf))
        if (abs(f - w["af"]) > 1e-12 * abs(f) or abs(lo - w["alo"]) > 1e-12 * abs(lo)
                or abs(hi - w["ahi"]) > 1e-12 * abs(hi)):
            bad += 1
            print(f"mismatch {w['fam']} {w['name']} {w['frac']}: replay {f} [{lo}, {hi}] {law}, "
                  f"binary {w['auto']} {w['af']} [{w['alo']}, {w['ahi']}]")
    print(f"{bad} mismatches of {len(rows)} windows")


def outcome_after(w, s, rnf):
    """The replay's outcome from the per-law columns alone (the dump of a
    binary with the rules built in has auto's own columns moved)."""
    P, R = w["P"], w["R"]
    if w["kind"] == "step-only":
        power = R["tail"] > P["tail"] and P["tail"] <= 2 * sigma(w)
        if not power:
            return R["f"], R["lo"], R["hi"], "R"
        if drop_hull(w, s):
            return P["f"], P["lo"], P["hi"], "P own"
        return hull(w)
    if w["kind"] == "unpinned":
        r, nf = rnf
        if r != INF and R["tail"] > r * P["tail"] and P["tail"] <= nf * sigma(w):
            return hull(w)
        return R["f"], R["lo"], R["hi"], "R"
    return w["af"], w["alo"], w["ahi"], w["auto"]


def main():
    rows = load(sys.argv[1])
    if "--check" in sys.argv:
        i = sys.argv.index("--check")
        s, r, nf = (float(v) for v in sys.argv[i + 1:i + 4])
        check(rows, s, r, nf)
        return
    # the dump's auto equals the replay of today's rule
    check(rows, INF, INF, 2)
    fams = sorted({w["fam"] for w in rows})
    cells = by_cell(rows)
    print("\n## Item 1: H(s)\n")
    s_of = {fam: learn_s(rows, fam) for fam in fams}
    print("s learned leaving the family out: " + ", ".join(f"{f} {s_of[f]}" for f in fams))
    print("s learned on every family: ", learn_s(rows, None))
    print()
    print(HEAD)
    for (fam, frac), r in sorted(cells.items()):
        if not any(w["kind"] == "step-only" for w in r):
            continue
        print(row(fam, frac, "today (s = inf)", cell_stats(r, [outcome(w) for w in r])))
        print(row(fam, frac, f"**H({s_of[fam]})**", cell_stats(r, [outcome(w, s_of[fam]) for w in r])))
    print("\nEvery s on the real cells (in sample, for reading):\n")
    print(HEAD)
    for (fam, frac), r in sorted(cells.items()):
        if fam != "misfitting":
            continue
        for s in S_GRID:
            print(row(fam, frac, f"H({s})", cell_stats(r, [outcome(w, s) for w in r])))
    print("\n## Item 1: E(c)\n")
    e_of = {fam: learn_s(rows, fam, E_GRID) for fam in fams}
    print("c learned leaving the family out: " + ", ".join(f"{f} {e_of[f][1]}" for f in fams))
    print("c learned on every family: ", learn_s(rows, None, E_GRID)[1])
    print()
    print(HEAD)
    for (fam, frac), r in sorted(cells.items()):
        if not any(w["kind"] == "step-only" for w in r):
            continue
        print(row(fam, frac, "today (c = inf)", cell_stats(r, [outcome(w) for w in r])))
        print(row(fam, frac, f"**E({e_of[fam][1]})**", cell_stats(r, [outcome(w, e_of[fam]) for w in r])))
    print("\nEvery c on the real cells (in sample, for reading):\n")
    print(HEAD)
    for (fam, frac), r in sorted(cells.items()):
        if fam != "misfitting":
            continue
        for s in E_GRID:
            print(row(fam, frac, f"E({s[1]})", cell_stats(r, [outcome(w, s) for w in r])))
    print("\n## Item 2: U(r, nf)\n")
    rnf_of = {fam: learn_rnf(rows, fam) for fam in fams if any(w["kind"] == "unpinned" and w["fam"] == fam for w in rows)}
    print("(r, nf) learned leaving the family out: " + ", ".join(f"{f} {v}" for f, v in rnf_of.items()))
    print()
    print(HEAD)
    for (fam, frac), r in sorted(cells.items()):
        if fam not in rnf_of:
            continue
        print(row(fam, frac, "today (r = inf)", cell_stats(r, [outcome(w) for w in r])))
        print(row(fam, frac, f"**U{rnf_of[fam]}**", cell_stats(r, [outcome(w, INF, rnf_of[fam]) for w in r])))
    print("\nEvery (r, nf) on the multi-power cells (in sample, for reading):\n")
    print(HEAD)
    for (fam, frac), r in sorted(cells.items()):
        if fam != "multipower":
            continue
        for rr in R_GRID:
            for nf in NF_GRID:
                if rr == INF and nf != 2:
                    continue
                print(row(fam, frac, f"U({rr}, {nf})", cell_stats(r, [outcome(w, INF, (rr, nf)) for w in r])))


if __name__ == "__main__":
    main()
