#!/usr/bin/env python3
"""Replay of rules for `auto`'s step-only choice between power and reciprocal
on the dump of `cargo run --release -p slaw --example forecast_choice_dump`.

python3 bench/forecast_choice_replay.py dump.tsv [--hull] [--rules=a,b] [--eval=fresh.tsv]

Rules (fixed before measuring, branch fx46c): tail, tail-r, curv, roll-r,
roll-r+tail (see BENCHMARKS.md, "Loss-curve forecasting", fx46c). Every
constant is learned leaving the evaluated family out, on the mean over the
other families of their median |ln error|; ties to the larger constant.
Rules of fc70 (BENCHMARKS.md, 2026-12-07, fc70): main (today's tail-r, r 1,
noise factor 2), tail-q, tail-d, tail-x, tail-qx; their ties go to the
constant that takes power least. --eval: constants learned on the first
dump, the cells reported on the second (fresh seeds).
"""
import math
import statistics
import sys

INF = float("inf")


def load(path):
    rows = []
    for line in open(path):
        x = line.rstrip("\n").split("\t")
        w = dict(fam=x[0], name=x[1], frac=float(x[2]), k=int(x[3]), obs=float(x[4]),
                 dist=float(x[5]), auto=x[6], af=float(x[7]), alo=float(x[8]), ahi=float(x[9]))
        for law, off in (("P", 10), ("R", 17)):
            roll = []
            if x[off + 6]:
                for o in x[off + 6].split(","):
                    m, d, s, e = o.split(":")
                    roll.append((int(m), float(d), float(s), float(e)))
            w[law] = dict(f=float(x[off]), lo=float(x[off + 1]), hi=float(x[off + 2]),
                          tail=float(x[off + 3]), ins=float(x[off + 4]),
                          shape=float(x[off + 5]), roll=roll)
        # the rule applies where auto takes a step-only law: from fx46c on
        # it may be power; dumps since fc48 say which kind of choice it was
        if len(x) > 29:
            # fc70: auto takes reciprocal alone on an unpinned rate (its
            # step-only choice runs only without a learning rate), so the
            # rule replays only there; elsewhere auto's own outcome
            w["step_only"] = x[24] == "step-only"
        elif len(x) > 24:
            w["step_only"] = x[24] in ("step-only", "unpinned")
        else:
            w["step_only"] = w["auto"] == "reciprocal"
        # dumps since fc70: the noise of the window's last quarter per law
        # (the whole-window fit's RMSE there, and the white noise from its
        # residuals' first differences)
        if len(x) > 29:
            for law, off in (("P", 26), ("R", 28)):
                w[law]["tq"] = float(x[off])
                w[law]["td"] = float(x[off + 1])
        rows.append(w)
    return rows


def roll_q(w, law):
    r = [o for o in w[law]["roll"] if o[0] >= w["k"] / 2]
    if not r:
        return None
    num = sum(min(d / w["dist"], 1.0) * s for (_, d, s, _) in r)
    den = sum(min(d / w["dist"], 1.0) for (_, d, s, _) in r)
    return num / den if den > 0 else None


def sigma(w):
    return min(w["P"]["ins"], w["R"]["ins"])


def take_power(rule, c, w):
    P, R = w["P"], w["R"]
    if isinstance(c, (int, float)) and c < 0:
        c = -c
    if rule == "reciprocal" or c == INF:
        return False
    if rule == "tail":
        return P["tail"] < R["tail"]
    if rule == "tail-r":
        return R["tail"] > c * P["tail"] and P["tail"] <= 2 * sigma(w)
    if rule == "main":
        return R["tail"] > P["tail"] and P["tail"] <= 2 * sigma(w)
    if rule == "tail-q":  # main's with the last quarter's noise (whole-window fits' RMSE there)
        return R["tail"] > P["tail"] and P["tail"] <= c * min(P["tq"], R["tq"])
    if rule == "tail-d":  # ... the last quarter's white noise from first differences
        return R["tail"] > P["tail"] and P["tail"] <= c * min(P["td"], R["td"])
    if rule == "tail-x":  # main's, or reciprocal's tail many noises and several times power's
        # (shipped as (3, 5): with m >= 2.5 the noise arm never binds, since power's tail is over
        # 2 noises wherever main's arm fails, so reciprocal's is over 2m of them)
        m, n = c
        return take_power("main", 1, w) or (R["tail"] > m * P["tail"] and R["tail"] > n * sigma(w))
    if rule == "tail-qx":  # tail-q (factor 2), or tail-x's second arm
        m, n = c
        return take_power("tail-q", 2, w) or (R["tail"] > m * P["tail"] and R["tail"] > n * sigma(w))
    if rule == "curv":
        return R["shape"] > c and P["shape"] < 0.7 and P["ins"] < R["ins"]
    if rule in ("roll-r", "roll-r+tail"):
        qp, qr = roll_q(w, "P"), roll_q(w, "R")
        if qp is None or qr is None:
            return False
        ok = qr > c * qp
        if rule == "roll-r+tail":
            ok = ok and P["tail"] <= 2 * sigma(w)
        return ok
    raise ValueError(rule)


GRID = {
    "reciprocal": [INF],
    "tail": [0],
    "tail-r": [1, 1.5, 2, 3, 5, 10, INF],
    "main": [1],
    # fc70: the noise factor; ties to the smaller (fewer power picks)
    "tail-q": [-1.5, -2, -3, -4, -6],
    "tail-d": [-1.5, -2, -3, -4, -6, -8],
    # (m, n): ties to the larger (fewer power picks)
    "tail-x": [(m, n) for m in (2, 3, 5, 10) for n in (3, 5, 10, 20)],
    "tail-qx": [(m, n) for m in (2, 3, 5, 10) for n in (3, 5, 10, 20)],
    "curv": [3, 10, 30, 100, 300, INF],
    "roll-r": [1, 1.25, 1.5, 2, 3, 5, INF],
    "roll-r+tail": [1, 1.25, 1.5, 2, 3, 5, INF],
}


def outcome(rule, c, w):
    """(forecast, lo, hi, law) of auto under the rule."""
    if not w["step_only"]:
        return w["af"], w["alo"], w["ahi"], w["auto"]
    hull = rule.endswith(" hull")
    law = "P" if take_power(rule.removesuffix(" hull"), c, w) else "R"
    if law == "P" and hull:
        return (w["P"]["f"], min(w["P"]["lo"], w["R"]["lo"]), max(w["P"]["hi"], w["R"]["hi"]), law)
    return w[law]["f"], w[law]["lo"], w[law]["hi"], law


def err(w, f):
    return abs(math.log(w["obs"]) - math.log(f))


def crit(rule, c, rows, fams):
    vals = []
    for fam in fams:
        r = [w for w in rows if w["fam"] == fam and w["step_only"]]
        if r:
            vals.append(statistics.median(err(w, outcome(rule, c, w)[0]) for w in r))
    return sum(vals) / len(vals)


def learn(rule, rows, left_out):
    fams = sorted({w["fam"] for w in rows} - {left_out})
    best = None
    for c in sorted(GRID[rule.removesuffix(" hull")], reverse=True):
        v = crit(rule, c, rows, fams)
        if best is None or v < best[1] - 1e-12:
            best = (c, v)
    return best[0]


def main():
    rows = load(sys.argv[1])
    fams = sorted({w["fam"] for w in rows})
    # --eval=DUMP: constants learned on the first dump, cells reported on
    # this one (fresh seeds of the synthetic families)
    ev = rows
    for a in sys.argv:
        if a.startswith("--eval="):
            ev = load(a.removeprefix("--eval="))
    cells = sorted({(w["fam"], w["frac"]) for w in ev})
    rules = ["reciprocal", "tail", "tail-r", "curv", "roll-r", "roll-r+tail"]
    for a in sys.argv:
        if a.startswith("--rules="):
            rules = a.removeprefix("--rules=").split(",")
    if "--hull" in sys.argv:
        rules = [r if r == "reciprocal" else r + " hull" for r in rules]
    consts = {(rule, fam): learn(rule, rows, fam) for rule in rules for fam in fams}
    print("constants learned leaving the family out:")
    for rule in rules:
        print(f"  {rule}: " + ", ".join(f"{fam} {consts[(rule, fam)]}" for fam in fams))
    print()
    print("| cell | rule | windows (step-only) | power taken | median abs ln err | auto worse than the better of the two | 90% coverage | mean interval score |")
    print("|---|---|---|---|---|---|---|---|")
    for fam, frac in cells:
        r = [w for w in ev if w["fam"] == fam and w["frac"] == frac]
        for rule in rules:
            c = consts[(rule, fam)]
            outs = [outcome(rule, c, w) for w in r]
            so = [(w, o) for w, o in zip(r, outs) if w["step_only"]]
            med = statistics.median(err(w, o[0]) for w, o in zip(r, outs))
            worse = sum(1 for w, o in so
                        if err(w, o[0]) > min(err(w, w["P"]["f"]), err(w, w["R"]["f"])) + 1e-9)
            cov = sum(1 for w, o in zip(r, outs) if o[1] <= w["obs"] <= o[2])
            score = statistics.mean(
                math.log(o[2] / o[1]) + 20 * (max(math.log(o[1] / w["obs"]), 0) + max(math.log(w["obs"] / o[2]), 0))
                for w, o in zip(r, outs))
            npow = sum(1 for w, o in so if o[3] == "P")
            print(f"| {fam} {frac:.0%} | {rule} ({c}) | {len(so)}/{len(r)} | {npow} | {med:.4f} | "
                  f"{worse}/{len(so)} | {cov}/{len(r)} ({100 * cov / len(r):.0f}%) | {score:.4f} |")
    # the rule itself chosen leaving the family out (nested)
    print()
    for fam in fams:
        others = sorted(set(fams) - {fam})
        ranked = sorted(rules, key=lambda r: crit(r, consts[(r, fam)], rows, others))
        print(f"nested, {fam} left out: rule {ranked[0]} ({consts[(ranked[0], fam)]}), "
              + ", ".join(f"{r} {crit(r, consts[(r, fam)], rows, others):.4f}" for r in ranked))
    # the better of the two, the oracle
    print()
    for fam, frac in cells:
        r = [w for w in ev if w["fam"] == fam and w["frac"] == frac and w["step_only"]]
        if not r:
            continue
        mp = statistics.median(err(w, w["P"]["f"]) for w in r)
        mr = statistics.median(err(w, w["R"]["f"]) for w in r)
        pb = sum(1 for w in r if err(w, w["P"]["f"]) < err(w, w["R"]["f"]))
        print(f"{fam} {frac:.0%}: step-only windows {len(r)}, median abs ln err power {mp:.4f} reciprocal {mr:.4f}, power better on {pb}")


if __name__ == "__main__":
    main()
