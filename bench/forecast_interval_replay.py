"""Offline replay of forecast-interval rules for the step-only laws (issue 14,
branch cov2), on the dump of `cargo run --release -p slaw --example
forecast_interval_dump > dump.tsv`.

The replayed interval at a window's last point is, in ln units around the
forecast, [-hypot(b_lo, h), +hypot(b_hi, h)] (b: the bootstrap's half-widths,
h: the calibrated half-width, as `Fitted::intervals_with`), widened on the
multi-power windows with decay ahead to the hull with the decay prior's range
[z05, z95] x decay ahead (learned without the curve's schedule kind, as
`job::widen_for_decay`). The current h is q d*: q the conformal 90% rank of
the window's rolling-origin scores, or of those pooled with the 20
pseudo-scores of the error prior learned without the curve's family when too
few (the noise floor is ignored: at these distances it never binds).

Rules tried (every parameter chosen per law on the families other than the
one evaluated, by the mean interval (Winkler) score, each family weighted
equally):
  kc : h = c q_k d*^k, q_k the conformal rank of |e| / d^k (prior likewise)
  k  : the same with c = 1;  c : the same with k = 1
  q90 : h = c q d*, c the conformal 90% rank of the factor on the current h
         that would cover, over the other families' windows without decay
         ahead (normalized conformal, pooled over the other families)
  t  : nothing learned: windows without a rank of their own (prior-pooled)
         get h x t(0.95, n - p) / z(0.95), n points fitted, p parameters
  dist : h = c0 d*^g q d*, c0 the conformal 90% rank over the training
         windows of the ratio needed to cover, g chosen by interval score.

Branch cov6 adds (the dump's scores then carry the points each origin's
refit saw, and a column of the forecast's jackknife): trendstats, trend,
trend2, trendlaw, recency, recency2, jk, jkmax and combinations (see the
cov6 block below).

Branch cov7 adds the laws' disagreement D (the spread of the other step-only
laws' ln forecasts at the target, from the dump's final errors) as a
model-error term: disstats, dismisses, distable (every rule side by side), dis1, dis2, dis3, dis3c, dis4 and their "max"
variants (see the cov7 block below).

python3 bench/forecast_interval_replay.py dump.tsv [rule ...]
"""
import collections
import math
import sys

import numpy as np

FAMS = ["misfitting", "multipower", "synth-power", "synth-2power", "synth-m4", "synth-bnsl"]
FRACTIONS = {"misfitting": [25, 50], "multipower": [20, 35, 50]}


def read(path):
    rows = []
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        sc, sg, om = [], [], []
        if f[12]:
            for t in f[12].split(","):
                k, s, d, *g = t.split(":")
                sc.append((int(k), float(s), float(d)))
                if g:
                    # signed error ln forecast - ln truth of the origin's refit
                    sg.append((float(d), float(g[0])))
                if len(g) > 1:
                    # the points the origin's refit saw (branch cov6)
                    om.append(int(g[1]))
        rows.append(dict(fam=f[0], group=f[1], name=f[2], law=f[3], upto=int(f[4]), n=int(f[5]),
                         ahead=float(f[6]), e=float(f[8]), dstar=float(f[9]), blo=float(f[10]),
                         bhi=float(f[11]), sc=sc, sg=sg, om=om,
                         # the jackknife of ln forecast (branch cov6; NaN: refit failed)
                         jk=[float(x) for x in f[13].split(",") if x] if len(f) > 13 else []))
    by = collections.defaultdict(list)
    for r in rows:
        by[(r["fam"], r["group"], r["name"], r["law"])].append(r)
    for key, v in by.items():
        v.sort(key=lambda r: r["upto"])
        fr = FRACTIONS.get(key[0], [25, 50])
        for i, r in enumerate(v):
            r["nom"] = fr[len(fr) - len(v) + i]
    return [r for r in rows if math.isfinite(r["e"])], rows


def cq(v, level=0.9):
    v = sorted(x for x in v if math.isfinite(x))
    k = math.ceil((len(v) + 1) * level)
    return v[k - 1] if 1 <= k <= len(v) else None


def quant20(v):
    v = [x for x in v if math.isfinite(x)]
    if len(v) < 10:
        return None
    return [float(np.percentile(v, 100 * (i + 0.5) / 20)) for i in range(20)]


def quantile_at(q, u):
    x = u * 20 - 0.5
    if x <= 0:
        return q[0]
    i = int(math.floor(x))
    if i + 1 >= 20:
        return q[19]
    return q[i] + (x - i) * (q[i + 1] - q[i])


class Replay:
    def __init__(self, rows, allrows):
        self.rows, self.all = rows, allrows
        self.cache = {}

    def prior(self, law, fam, k=1.0):
        key = ("p", law, fam, k)
        if key not in self.cache:
            self.cache[key] = quant20([abs(r["e"]) / r["dstar"] ** k for r in self.all
                                       if r["law"] == law and r["fam"] != fam])
        return self.cache[key]

    def decay(self, law, kind):
        key = ("d", law, kind)
        if key not in self.cache:
            q = quant20([r["e"] / r["ahead"] for r in self.all if r["fam"] == "multipower"
                         and r["law"] == law and r["ahead"] > 0
                         and r["group"].split("_")[0] != kind])
            self.cache[key] = (quantile_at(q, 0.05), quantile_at(q, 0.95))
        return self.cache[key]

    def h(self, r, fam_out, k=1.0):
        """Calibrated half-width with scores per unit d^k (k = 1: the current rule)."""
        s = [sc * d / d ** k for _, sc, d in r["sc"]]
        q = cq(s)
        if q is None:
            p = self.prior(r["law"], fam_out, k)
            q = cq(s + p) if p else None
        return q * r["dstar"] ** k if q is not None else 0.0

    def interval(self, r, h):
        lo, hi = math.hypot(r["blo"], h), math.hypot(r["bhi"], h)
        if r["fam"] == "multipower" and r["ahead"] > 0:
            zl, zh = self.decay(r["law"], r["group"].split("_")[0])
            lo, hi = max(lo, -zl * r["ahead"]), max(hi, zh * r["ahead"])
        return lo, hi

    def score(self, r, h):
        lo, hi = self.interval(r, h)
        e = r["e"]
        w = lo + hi + 20 * max(e - hi, 0) + 20 * max(-lo - e, 0)
        return -lo <= e <= hi, w, (lo + hi) / 2

    def mean_score(self, train, hfun):
        fams = sorted(set(r["fam"] for r in train))
        return sum(np.mean([self.score(r, hfun(r))[1] for r in train if r["fam"] == g]) for g in fams)


def rule_kc(rp, grid):
    chosen = {}
    for law in ["power", "reciprocal", "log"]:
        for F in FAMS:
            train = [r for r in rp.rows if r["law"] == law and r["fam"] != F]
            best = min(grid, key=lambda kc: rp.mean_score(train, lambda r: kc[1] * rp.h(r, F, kc[0])))
            chosen[(law, F)] = best
    return (lambda r: chosen[(r["law"], r["fam"])][1] * rp.h(r, r["fam"], chosen[(r["law"], r["fam"])][0])), chosen


def rule_dist(rp):
    chosen = {}
    for law in ["power", "reciprocal", "log"]:
        for F in FAMS:
            train = [r for r in rp.rows if r["law"] == law and r["fam"] != F]
            best = None
            for g in [-1, -0.5, 0, 0.5, 1, 1.5, 2]:
                need = []
                for r in train:
                    h = rp.h(r, F)
                    b = r["bhi"] if r["e"] > 0 else r["blo"]
                    need.append(math.sqrt(max(r["e"] ** 2 - b * b, 0)) / h / r["dstar"] ** g if h > 0 else math.inf)
                c0 = cq(need)
                if c0 is None:
                    continue
                s = rp.mean_score(train, lambda r: c0 * r["dstar"] ** g * rp.h(r, F))
                if best is None or s < best[0]:
                    best = (s, g, c0)
            chosen[(law, F)] = best[1:]
    return (lambda r: chosen[(r["law"], r["fam"])][1] * r["dstar"] ** chosen[(r["law"], r["fam"])][0] * rp.h(r, r["fam"])), chosen


def rule_q90(rp):
    chosen = {}
    for law in ["power", "reciprocal", "log"]:
        for F in FAMS:
            need = []
            for r in rp.rows:
                if r["law"] != law or r["fam"] == F or r["ahead"] > 0:
                    continue
                h = rp.h(r, F)
                b = r["bhi"] if r["e"] > 0 else r["blo"]
                need.append(math.sqrt(max(r["e"] ** 2 - b * b, 0)) / h if h > 0 else math.inf)
            chosen[(law, F)] = cq(need)
    return (lambda r: chosen[(r["law"], r["fam"])] * rp.h(r, r["fam"])), chosen


T95 = {1: 6.314, 2: 2.920, 3: 2.353, 4: 2.132, 5: 2.015, 6: 1.943, 7: 1.895, 8: 1.860, 9: 1.833,
       10: 1.812, 12: 1.782, 15: 1.753, 20: 1.725, 30: 1.697}
PARAMS = {"power": 3, "reciprocal": 4, "log": 3}


def t95(nu):
    """Student's t quantile at 0.95 (table; the next tabulated dof up, z beyond 30)."""
    for k in sorted(T95):
        if nu <= k:
            return T95[k]
    return 1.645


def rule_t(rp):
    def h(r):
        base = rp.h(r, r["fam"])
        if cq([s for _, s, _ in r["sc"]]) is None:
            return base * t95(max(r["upto"] - PARAMS[r["law"]], 1)) / 1.645
        return base
    return h, {}


def table(rp, hfun, fams=("misfitting", "multipower")):
    print("| law | curves, window | current: covered | rule: covered | median half-width (ln) | mean interval score |")
    print("|---|---|---|---|---|---|")
    for law in ["power", "reciprocal", "log"]:
        for F in fams:
            for nom in [20, 25, 50]:
                R = [r for r in rp.rows if r["law"] == law and r["fam"] == F and r["nom"] == nom]
                if not R:
                    continue
                s0 = [rp.score(r, rp.h(r, F)) for r in R]
                s1 = [rp.score(r, hfun(r)) for r in R]
                c0, c1, n = sum(x[0] for x in s0), sum(x[0] for x in s1), len(R)
                print(f"| {law} | {F} {nom}% | {c0}/{n} ({100 * c0 / n:.0f}%) | {c1}/{n} ({100 * c1 / n:.0f}%) "
                      f"| {np.median([x[2] for x in s0]):.3f} -> {np.median([x[2] for x in s1]):.3f} "
                      f"| {np.mean([x[1] for x in s0]):.3f} -> {np.mean([x[1] for x in s1]):.3f} |")


def needed(rp):
    """q90 of the factor on the current h that would cover, per law, family, window."""
    print("| law | family | window | windows | q90 of the factor needed | median d* |")
    print("|---|---|---|---|---|---|")
    for law in ["power", "reciprocal", "log"]:
        for F in FAMS:
            for nom in [20, 25, 50]:
                R = [r for r in rp.rows if r["law"] == law and r["fam"] == F and r["nom"] == nom and r["ahead"] == 0]
                if not R:
                    continue
                v = []
                for r in R:
                    h = rp.h(r, F)
                    b = r["bhi"] if r["e"] > 0 else r["blo"]
                    v.append(math.sqrt(max(r["e"] ** 2 - b * b, 0)) / h if h > 0 else math.inf)
                print(f"| {law} | {F} | {nom}% | {len(R)} | {np.quantile(v, 0.9):.2f} | {np.median([r['dstar'] for r in R]):.2f} |")


# ---- branch cov3: signed rolling-origin errors ------------------------------
# In e-space (e = ln truth - ln forecast, the dump's final error): the window's
# own samples per unit distance u = -signed / d; its own drift
# delta = sum(d * (-signed)) / sum(d^2) (least squares through zero, as
# pick's drift); a per-law drift Lam = mean over the other families of the
# median of their final e / d*. Rule "drift" (so, sl, mode): the interval's
# centre is m d*, m = so delta + sl Lam (shrinks so, sl in [0, 1]); the
# half-widths come from the residuals rho = u - m (around the shift, not |u|):
# mode "sym": q = conformal 90% rank of |rho|, centre +- q d*; mode "asym":
# the lower / upper conformal ranks at 5% / 95% of rho. Too few residuals for
# the rank: pooled with the 20 quantiles of the same residuals of the other
# families' final errors (e / d* - m), as the error prior. Bootstrap in
# quadrature and the decay hull as the current rule (no noise floor: the Rust
# rule, `extrapolation::Signed`, keeps each half-width >= the fit's residual
# quantile). so = sl = 0, "sym" is the current rule. Rules: own ((i) + (ii)),
# law ((iii) + (ii)), drift (all three), driftsym (symmetric only), driftc /
# driftc2 (with a width factor c); the "chosen" line's family "none" is the
# choice on every family (what would ship).

def own_drift(r):
    if "delta" not in r:
        sg = r["sg"]
        den = sum(d * d for d, _ in sg)
        r["delta"] = sum(d * -e for d, e in sg) / den if den > 0 else 0.0
        r["u"] = [-e / d for d, e in sg]
    return r["delta"]


def cq_lo(v, level=0.9):
    """Lower conformal rank at (1 - level) / 2 (floor((N + 1) a)-th smallest)."""
    v = sorted(x for x in v if math.isfinite(x))
    k = math.floor((len(v) + 1) * (1 - level) / 2)
    return v[k - 1] if 1 <= k <= len(v) else None


def cq_hi(v, level=0.9):
    v = sorted(x for x in v if math.isfinite(x))
    k = math.ceil((len(v) + 1) * (1 + level) / 2)
    return v[k - 1] if 1 <= k <= len(v) else None


class Drift:
    def __init__(self, rp):
        self.rp = rp
        self.cache = {}
        for r in rp.all:
            own_drift(r)

    def lam(self, law, fam):
        key = ("lam", law, fam)
        if key not in self.cache:
            per = []
            for g in FAMS:
                if g == fam:
                    continue
                v = [r["e"] / r["dstar"] for r in self.rp.all if r["law"] == law and r["fam"] == g
                     and math.isfinite(r["e"]) and r["ahead"] == 0]
                if v:
                    per.append(float(np.median(v)))
            self.cache[key] = float(np.mean(per)) if per else 0.0
        return self.cache[key]

    def shift(self, r, fam, so, sl):
        return so * own_drift(r) + sl * self.lam(r["law"], fam)

    def prior(self, law, fam, so, sl):
        key = ("prior", law, fam, so, sl)
        if key not in self.cache:
            self.cache[key] = quant20([r["e"] / r["dstar"] - self.shift(r, fam, so, sl) for r in self.rp.all
                                       if r["law"] == law and r["fam"] != fam and math.isfinite(r["e"])])
        return self.cache[key]

    def interval(self, r, fam, so, sl, mode, c=1.0):
        m = self.shift(r, fam, so, sl)
        rho = [u - m for u in r["u"]]
        D = r["dstar"]
        if mode == "sym":
            q = cq([abs(x) for x in rho])
            if q is None:
                p = self.prior(r["law"], fam, so, sl)
                q = cq([abs(x) for x in rho] + [abs(x) for x in p]) if p else 0.0
            a = b = c * q * D
        else:
            ql, qh = cq_lo(rho), cq_hi(rho)
            if ql is None or qh is None:
                p = self.prior(r["law"], fam, so, sl) or []
                ql, qh = cq_lo(rho + p), cq_hi(rho + p)
                if ql is None or qh is None:
                    ql = qh = 0.0
            a, b = -c * ql * D, c * qh * D
        lo = m * D - math.hypot(r["blo"], max(a, 0.0))
        hi = m * D + math.hypot(r["bhi"], max(b, 0.0))
        if r["fam"] == "multipower" and r["ahead"] > 0:
            zl, zh = self.rp.decay(r["law"], r["group"].split("_")[0])
            lo, hi = min(lo, zl * r["ahead"]), max(hi, zh * r["ahead"])
        return lo, hi


def score_iv(r, lo, hi):
    e = r["e"]
    return lo <= e <= hi, (hi - lo) + 20 * max(e - hi, 0) + 20 * max(lo - e, 0), (hi - lo) / 2


def rule_drift(rp, grid, label):
    dr = Drift(rp)
    chosen = {}
    for law in ["power", "reciprocal", "log"]:
        # each family left out, and "none": every family (the shipped analogue)
        for F in FAMS + ["none"]:
            train = [r for r in rp.rows if r["law"] == law and r["fam"] != F]
            fams = sorted(set(r["fam"] for r in train))

            def crit(g):
                return sum(np.mean([score_iv(r, *dr.interval(r, F, *g))[1] for r in train if r["fam"] == f])
                           for f in fams)
            chosen[(law, F)] = min(grid, key=crit)
    return (lambda r: dr.interval(r, r["fam"], *chosen[(r["law"], r["fam"])])), chosen, dr


def table_iv(rp, ivfun, fams=FAMS):
    print("| law | curves, window | current: covered | rule: covered | median half-width (ln) | mean interval score |")
    print("|---|---|---|---|---|---|")
    for law in ["power", "reciprocal", "log"]:
        for F in fams:
            for nom in [20, 25, 50]:
                R = [r for r in rp.rows if r["law"] == law and r["fam"] == F and r["nom"] == nom]
                if not R:
                    continue
                s0 = [rp.score(r, rp.h(r, F)) for r in R]
                s1 = [score_iv(r, *ivfun(r)) for r in R]
                c0, c1, n = sum(x[0] for x in s0), sum(x[0] for x in s1), len(R)
                flag = "" if 0.8 <= c1 / n <= 0.97 else " **out**"
                print(f"| {law} | {F} {nom}% | {c0}/{n} ({100 * c0 / n:.0f}%) | {c1}/{n} ({100 * c1 / n:.0f}%){flag} "
                      f"| {np.median([x[2] for x in s0]):.3f} -> {np.median([x[2] for x in s1]):.3f} "
                      f"| {np.mean([x[1] for x in s0]):.3f} -> {np.mean([x[1] for x in s1]):.3f} |")



def moved(rp, ivfun):
    """Cells moved into / out of 80-97% (every law, family and window of the table)."""
    inn, out, still = [], [], []
    for law in ["power", "reciprocal", "log"]:
        for F in FAMS:
            for nom in [20, 25, 50]:
                R = [r for r in rp.rows if r["law"] == law and r["fam"] == F and r["nom"] == nom]
                if not R:
                    continue
                c0 = sum(rp.score(r, rp.h(r, F))[0] for r in R) / len(R)
                c1 = sum(score_iv(r, *ivfun(r))[0] for r in R) / len(R)
                b0, b1 = 0.8 <= c0 <= 0.97, 0.8 <= c1 <= 0.97
                tag = f"{law}/{F}/{nom}: {100 * c0:.0f}% -> {100 * c1:.0f}%"
                if b1 and not b0:
                    inn.append(tag)
                elif b0 and not b1:
                    out.append(tag)
    print("moved in:", inn)
    print("moved out:", out)


SHRINK = [0.0, 0.25, 0.5, 0.75, 1.0]
DRIFT_GRIDS = {
    # (i) + (ii): the window's own drift, shrink learned; residual spread
    "own": [(so, 0.0, m) for so in SHRINK for m in ("sym", "asym")],
    # (iii) alone: the per-law drift of the other families
    "law": [(0.0, sl, m) for sl in SHRINK for m in ("sym", "asym")],
    # (i) + (ii) + (iii)
    "drift": [(so, sl, m) for so in SHRINK for sl in SHRINK for m in ("sym", "asym")],
    # the same with a width scale c
    "driftsym": [(so, sl, "sym") for so in SHRINK for sl in SHRINK],
    "driftc2": [(so, sl, m, c) for so in SHRINK for sl in SHRINK for m in ("sym", "asym")
                for c in (0.85, 1.0, 1.2)],
    "driftc": [(so, sl, m, c) for so in SHRINK for sl in SHRINK for m in ("sym", "asym")
               for c in (0.7, 0.85, 1.0, 1.2)],
}


# ---- branch cov6: the trend of the scores over the origins; a jackknife -----
# Both keep the current interval's shape (hypot of the bootstrap's half-width
# and h, the decay hull) and change h only:
#   trend (s, clamp): per window with at least 3 origins, b = the slope of
#       ln(RMS of the origin's scores) on ln(points the origin's refit saw);
#       each score u_j becomes u_j (n / m_j)^(s b) (n: the window's points,
#       m_j: its origin's), so the rank is read at the full window's n;
#       clamp: b <= 0 only (never widens); s in SHRINK.
#   trendlaw (beta): the same with a slope beta for every window of the law.
#   recency (gamma): the weighted conformal rank, origin weights (m_j / n)^gamma
#       and the test point's weight 1 (too little weight for the rank: the
#       prior is pooled in, as today);
#   recency2 (gamma): the same with the test point weighted as the mean
#       origin (gamma = 0 is the current rank; the effective sample size
#       does not vanish as gamma grows).
#   jk (c, scope), jkmax (c, scope): h -> hypot(h, c J), J the jackknife's
#       standard error sqrt((k - 1) / k sum (theta_i - mean)^2) of ln forecast
#       over the k refits that converged (jkmax: max |theta_i|, theta_i - ln
#       forecast of the full fit), on every window (scope "all") or only those
#       without a rank of their own (prior-pooled, "short").
# Every parameter chosen per law on the five other families by the mean
# interval score, each family weighted equally (as cov2).

MAXFIT = 500


def nfit(r):
    return min(r["upto"], MAXFIT)


def origin_slope(r):
    if "slope" not in r:
        per = collections.defaultdict(list)
        for (k, u, _), m in zip(r["sc"], r["om"]):
            per[m].append(u)
        pts = [(math.log(m), 0.5 * math.log(np.mean(np.square(v)))) for m, v in per.items()
               if np.mean(np.square(v)) > 0]
        if len(pts) >= 3:
            x, y = np.array(pts).T
            r["slope"] = float(np.polyfit(x, y, 1)[0])
        else:
            r["slope"] = 0.0
    return r["slope"]


def origin_slope2(r):
    """The slope on ln m of ln u regressed on ln m and ln d jointly (every
    score with u > 0; 0 with fewer than 3 distinct origins): the origin's
    trend at a fixed distance (later origins' scores are at shorter
    distances, where the noise inflates a score per unit distance)."""
    if "slope2" not in r:
        pts = [(math.log(m), math.log(d), math.log(u)) for (k, u, d), m in zip(r["sc"], r["om"]) if u > 0]
        if len(set(p[0] for p in pts)) >= 3 and len(pts) >= 5:
            X = np.array([[1.0, a, b] for a, b, _ in pts])
            y = np.array([c for _, _, c in pts])
            coef = np.linalg.lstsq(X, y, rcond=None)[0]
            r["slope2"] = float(coef[1])
        else:
            r["slope2"] = 0.0
    return r["slope2"]


def wq(v, w, w_test, level=0.9):
    """Weighted conformal quantile: smallest v with weight share >= level, the
    test point's weight w_test at +inf; None when it is the test point."""
    o = sorted(zip(v, w))
    tot = sum(w) + w_test
    acc = 0.0
    for x, wi in o:
        acc += wi
        if acc / tot >= level:
            return x
    return None


def jk_se(r):
    t = [x for x in r["jk"] if math.isfinite(x)]
    if len(t) < 2:
        return 0.0
    m = np.mean(t)
    return math.sqrt((len(t) - 1) / len(t) * sum((x - m) ** 2 for x in t))


def jk_max(r):
    t = [abs(x) for x in r["jk"] if math.isfinite(x)]
    return max(t) if t else 0.0


class Cov6:
    def __init__(self, rp):
        self.rp = rp

    def scores(self, r, mode, par):
        u = [sc for _, sc, _ in r["sc"]]
        if mode == "trend" and par[0] != 0:
            b = origin_slope(r)
            if par[1]:
                b = min(b, 0.0)
            u = [x * (nfit(r) / m) ** (par[0] * b) for x, m in zip(u, r["om"])]
        elif mode == "trend2" and par[0] != 0:
            b = origin_slope2(r)
            if par[1]:
                b = min(b, 0.0)
            u = [x * (nfit(r) / m) ** (par[0] * b) for x, m in zip(u, r["om"])]
        elif mode == "trendlaw" and par[0] != 0:
            u = [x * (nfit(r) / m) ** par[0] for x, m in zip(u, r["om"])]
        return u

    def h(self, r, F, mode, par, jk=None):
        u = self.scores(r, mode, par)
        if mode == "recency":
            w = [(m / nfit(r)) ** par[0] for m in r["om"]]
            q = wq(u, w, 1.0) if u else None
        elif mode == "recency2":
            # the test point weighted as the mean origin (gamma = 0: the
            # current conformal rank), so the window keeps its own rank
            w = [(m / nfit(r)) ** par[0] for m in r["om"]]
            q = wq(u, w, float(np.mean(w))) if u else None
        else:
            q = cq(u)
        own = q is not None
        if q is None:
            p = self.rp.prior(r["law"], F)
            q = cq(u + p) if p else None
        h = q * r["dstar"] if q is not None else 0.0
        if jk is not None and jk[0] > 0 and (jk[1] == "all" or not own):
            J = jk_se(r) if jk[2] == "se" else jk_max(r)
            h = math.hypot(h, jk[0] * J)
        return h


COV6_GRIDS = {
    "trend": [("trend", (s, c), None) for s in SHRINK for c in (True, False)],
    "trend2": [("trend2", (s, c), None) for s in SHRINK for c in (True, False)],
    "trendlaw": [("trendlaw", (b,), None) for b in (0.0, -0.25, -0.5, -1.0, -1.5, -2.0, -3.0)],
    "recency": [("recency", (g,), None) for g in (0.0, 1.0, 2.0, 4.0, 8.0, 16.0)],
    "recency2": [("recency2", (g,), None) for g in (0.0, 1.0, 2.0, 4.0, 8.0, 16.0)],
    "jk": [("none", (0,), (c, sc, "se")) for c in (0.0, 0.5, 1.0, 1.645, 2.5, 4.0) for sc in ("all", "short")],
    "jkmax": [("none", (0,), (c, sc, "max")) for c in (0.0, 0.25, 0.5, 1.0, 1.5) for sc in ("all", "short")],
}
COV6_GRIDS["trend+jk"] = [(a[0], a[1], b[2]) for a in COV6_GRIDS["trend"] for b in COV6_GRIDS["jk"]]
COV6_GRIDS["recency+jk"] = [(a[0], a[1], b[2]) for a in COV6_GRIDS["recency"] for b in COV6_GRIDS["jk"]]
COV6_GRIDS["trendlaw+jk"] = [(a[0], a[1], b[2]) for a in COV6_GRIDS["trendlaw"] for b in COV6_GRIDS["jk"]]


def rule_cov6(rp, grid):
    c6 = Cov6(rp)
    chosen = {}
    for law in ["power", "reciprocal", "log"]:
        for F in FAMS + ["none"]:
            train = [r for r in rp.rows if r["law"] == law and r["fam"] != F]
            chosen[(law, F)] = min(grid, key=lambda g: rp.mean_score(train, lambda r: c6.h(r, F, *g)))
    return (lambda r: c6.h(r, r["fam"], *chosen[(r["law"], r["fam"])])), chosen


def moved_h(rp, hfun):
    inn, out = [], []
    for law in ["power", "reciprocal", "log"]:
        for F in FAMS:
            for nom in [20, 25, 50]:
                R = [r for r in rp.rows if r["law"] == law and r["fam"] == F and r["nom"] == nom]
                if not R:
                    continue
                c0 = sum(rp.score(r, rp.h(r, F))[0] for r in R) / len(R)
                c1 = sum(rp.score(r, hfun(r))[0] for r in R) / len(R)
                b0, b1 = 0.8 <= c0 <= 0.97, 0.8 <= c1 <= 0.97
                tag = f"{law}/{F}/{nom}: {100 * c0:.0f}% -> {100 * c1:.0f}%"
                if b1 and not b0:
                    inn.append(tag)
                elif b0 and not b1:
                    out.append(tag)
    print("moved in:", inn)
    print("moved out:", out)


def trend_stats(rp):
    """Median per-window slope of ln RMS score on ln origin points, per law and family."""
    print("| law | family | windows with >= 3 origins | median slope | share < 0 | median slope at fixed distance | share < 0 |")
    print("|---|---|---|---|---|---|---|")
    for law in ["power", "reciprocal", "log"]:
        for F in FAMS:
            R = [r for r in rp.rows if r["law"] == law and r["fam"] == F and len(set(r["om"])) >= 3]
            v = [origin_slope(r) for r in R]
            v2 = [origin_slope2(r) for r in R]
            if v:
                print(f"| {law} | {F} | {len(v)} | {np.median(v):+.2f} | {np.mean(np.array(v) < 0):.0%} "
                      f"| {np.median(v2):+.2f} | {np.mean(np.array(v2) < 0):.0%} |")


# ---- branch cov7: the laws' disagreement as the model-error term -----------
# D of law L on a window: the spread of the other step-only laws' ln
# forecasts at the target around L's (the dump's laws that converged on the
# same window). With e = ln truth - ln forecast, ln f_o - ln f_L = e_L - e_o.
#   max : the largest |ln f_o - ln f_L| over the other laws;
#   mean: their mean (with two others, their median);
#   min : the smallest (the nearest other law).
# No other law: D = 0 (dis1 / dis2 / dis4 leave h as it is; dis3 keeps h).
# Rules (h: the current calibrated half-width; bootstrap in quadrature and
# the decay hull as today):
#   dis1 (c, D): hypot(h, c D);  dis2 (c, D): max(h, c D);
#   dis3 (c, D): c D;  dis4 (c, D): dis1 only on the windows without a rank
#   of their own (prior-pooled);
#   dis3c (D): c D, c the family-weighted conformal 90% rank over the other
#   families' windows without decay ahead of the ratio needed to cover.
# Each searched over c and D (suffix "max": D fixed to the largest), every
# constant chosen per law on the five other families by the mean interval
# score, each family weighted equally (as cov2 / cov6); "none" = every family.

C_DIS = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0]
C_DIS3 = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0]
DKINDS = ["max", "mean", "min"]


def attach_disagreement(rp):
    by = collections.defaultdict(dict)
    for r in rp.all:
        if math.isfinite(r["e"]):
            by[(r["fam"], r["group"], r["name"], r["upto"])][r["law"]] = r["e"]
    for r in rp.all:
        if not math.isfinite(r["e"]):
            continue
        others = [abs(r["e"] - e) for law, e in by[(r["fam"], r["group"], r["name"], r["upto"])].items()
                  if law != r["law"]]
        r["D"] = {"max": max(others), "mean": float(np.mean(others)), "min": min(others)} if others \
            else {k: 0.0 for k in DKINDS}


def own_rank(r):
    return cq([s for _, s, _ in r["sc"]]) is not None


def dis_h(rp, r, F, mode, c, dk):
    h = rp.h(r, F)
    D = r["D"][dk]
    if mode == "dis1":
        return math.hypot(h, c * D)
    if mode == "dis2":
        return max(h, c * D)
    if mode in ("dis3", "dis3c"):
        return c * D if D > 0 else h
    if mode == "dis4":
        return h if own_rank(r) else math.hypot(h, c * D)
    raise ValueError(mode)


DIS_GRIDS = {}
for _m in ["dis1", "dis2", "dis4"]:
    DIS_GRIDS[_m] = [(_m, c, dk) for c in C_DIS for dk in DKINDS]
    DIS_GRIDS[_m + "max"] = [(_m, c, "max") for c in C_DIS]
DIS_GRIDS["dis3"] = [("dis3", c, dk) for c in C_DIS3 for dk in DKINDS]
DIS_GRIDS["dis3max"] = [("dis3", c, "max") for c in C_DIS3]
# Added after the table of the rules above had been seen (so not eligible for
# adoption): the rule itself (dis1 / dis2 / dis3 / dis4) chosen per law on the
# other families too, with its c and D.
DIS_GRIDS["disany"] = DIS_GRIDS["dis1"] + DIS_GRIDS["dis2"] + DIS_GRIDS["dis3"] + DIS_GRIDS["dis4"]


def dis3c_constant(rp, law, F, dk):
    """Family-weighted conformal 90% rank of the ratio needed to cover over D."""
    v, w = [], []
    fams = [g for g in FAMS if g != F]
    for g in fams:
        R = [r for r in rp.rows if r["law"] == law and r["fam"] == g and r["ahead"] == 0 and r["D"][dk] > 0]
        for r in R:
            b = r["bhi"] if r["e"] > 0 else r["blo"]
            v.append(math.sqrt(max(r["e"] ** 2 - b * b, 0)) / r["D"][dk])
            w.append(1.0 / len(R))
    return wq(v, w, float(np.mean(w))) if v else None


def rule_dis(rp, name):
    attach_disagreement(rp)
    chosen = {}
    for law in ["power", "reciprocal", "log"]:
        for F in FAMS + ["none"]:
            train = [r for r in rp.rows if r["law"] == law and r["fam"] != F]
            if name.startswith("dis3c"):
                grid = []
                for dk in (["max"] if name == "dis3cmax" else DKINDS):
                    c = dis3c_constant(rp, law, F, dk)
                    if c is not None:
                        grid.append(("dis3c", c, dk))
            else:
                grid = DIS_GRIDS[name]
            chosen[(law, F)] = min(grid, key=lambda g: rp.mean_score(train, lambda r: dis_h(rp, r, F, *g)))
    return (lambda r: dis_h(rp, r, r["fam"], *chosen[(r["law"], r["fam"])])), chosen


def dis_stats(rp):
    """Per law, family and window: median D (max / mean / min), median |e|, the
    correlation of ln D with ln |e| and of ln h with ln |e| (rank correlation), and
    rms |e| / mean D (the selection method's check)."""
    attach_disagreement(rp)
    print("| law | family | window | windows | median D max / mean / min | median abs(e) | median h "
          "| Spearman(D max, abs(e)) | Spearman(D min, abs(e)) | Spearman(h, abs(e)) | rms e / mean D max |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")

    def spear(a, b):
        ra = np.argsort(np.argsort(a))
        rb = np.argsort(np.argsort(b))
        return float(np.corrcoef(ra, rb)[0, 1]) if len(a) > 2 else float("nan")
    for law in ["power", "reciprocal", "log"]:
        for F in FAMS:
            for nom in [20, 25, 50]:
                R = [r for r in rp.rows if r["law"] == law and r["fam"] == F and r["nom"] == nom]
                if not R:
                    continue
                ae = [abs(r["e"]) for r in R]
                h = [rp.h(r, F) for r in R]
                Dm = [r["D"]["max"] for r in R]
                print(f"| {law} | {F} | {nom}% | {len(R)} | {np.median(Dm):.3f} / "
                      f"{np.median([r['D']['mean'] for r in R]):.3f} / {np.median([r['D']['min'] for r in R]):.3f} "
                      f"| {np.median(ae):.3f} | {np.median(h):.3f} | {spear(Dm, ae):+.2f} "
                      f"| {spear([r['D']['min'] for r in R], ae):+.2f} | {spear(h, ae):+.2f} "
                      f"| {math.sqrt(np.mean(np.square(ae))) / max(np.mean(Dm), 1e-12):.2f} |")


def dis_misses(rp):
    """The current interval's misses on the real families against D: the
    misses' median abs(e) and D (nearest / largest), the covered windows' D,
    the correlation of this law's final error with the nearest other law's
    (power <-> reciprocal; log against power) and the share of windows where
    both err on the same side, and rms e / mean D (the selection method's
    check: 1.0-2.2 for its hypotheses' disagreement h)."""
    attach_disagreement(rp)
    by = {(r["fam"], r["group"], r["name"], r["upto"], r["law"]): r for r in rp.rows}
    print("| law | curves, window | misses | misses: median abs(e) | misses: median D min / max "
          "| covered: median D min / max | corr(e, e other) | same side | rms e / mean D min | rms e / mean D max |")
    print("|---|---|---|---|---|---|---|---|---|---|")

    def med(v):
        return f"{np.median(v):.3f}" if len(v) else "-"
    for law in ["power", "reciprocal", "log"]:
        other = {"power": "reciprocal", "reciprocal": "power", "log": "power"}[law]
        for F, nom in [("misfitting", 25), ("misfitting", 50), ("multipower", 20), ("multipower", 50)]:
            R = [r for r in rp.rows if r["law"] == law and r["fam"] == F and r["nom"] == nom]
            hit = [rp.score(r, rp.h(r, F))[0] for r in R]
            miss = [r for r, h in zip(R, hit) if not h]
            cov = [r for r, h in zip(R, hit) if h]
            e = np.array([r["e"] for r in R])
            eo = np.array([by[(r["fam"], r["group"], r["name"], r["upto"], other)]["e"] for r in R])
            rms = math.sqrt(np.mean(e ** 2))
            print(f"| {law} | {F} {nom}% | {len(miss)}/{len(R)} | {med([abs(r['e']) for r in miss])} "
                  f"| {med([r['D']['min'] for r in miss])} / {med([r['D']['max'] for r in miss])} "
                  f"| {med([r['D']['min'] for r in cov])} / {med([r['D']['max'] for r in cov])} "
                  f"| {np.corrcoef(e, eo)[0, 1]:+.2f} ({other}) | {100 * np.mean(np.sign(e) == np.sign(eo)):.0f}% "
                  f"| {rms / np.mean([r['D']['min'] for r in R]):.2f} | {rms / np.mean([r['D']['max'] for r in R]):.2f} |")


def dis_table(rp):
    """Every cov7 rule side by side: coverage per law x family x window (the
    (a) / (b) cells as counts), then the mean interval score per law on (a)
    and (b), each cell weighted equally."""
    names = ["dis1", "dis1max", "dis2", "dis2max", "dis3", "dis3max", "dis3c", "dis3cmax", "dis4", "dis4max",
             "disany"]
    hf = {n: rule_dis(rp, n)[0] for n in names}
    print("| law | family | window | current | " + " | ".join(f"`{n}`" for n in names) + " |")
    print("|---|---|---|---|" + "---|" * len(names))
    for law in ["power", "reciprocal", "log"]:
        for F in FAMS:
            for nom in [20, 25, 50]:
                R = [r for r in rp.rows if r["law"] == law and r["fam"] == F and r["nom"] == nom]
                if not R:
                    continue
                real = F in ("misfitting", "multipower")

                def cell(hfun):
                    c = sum(rp.score(r, hfun(r))[0] for r in R)
                    p = 100 * c / len(R)
                    t = f"{c}/{len(R)}" if real else f"{p:.0f}%"
                    return t if 80 <= p <= 97 else f"**{t}**"
                print(f"| {law} | {F} | {nom}% | {cell(lambda r: rp.h(r, F))} | "
                      + " | ".join(cell(hf[n]) for n in names) + " |")
    print()
    print("| law | protocol | current | " + " | ".join(f"`{n}`" for n in names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    for law in ["power", "reciprocal", "log"]:
        for F, noms in (("misfitting", [25, 50]), ("multipower", [20, 50])):
            def sc(hfun):
                return np.mean([np.mean([rp.score(r, hfun(r))[1] for r in rp.rows if r["law"] == law
                                         and r["fam"] == F and r["nom"] == nom]) for nom in noms])
            s0 = sc(lambda r: rp.h(r, F))
            cells = []
            for n in names:
                s1 = sc(hf[n])
                t = f"{s1:.3f} ({100 * (s1 / s0 - 1):+.0f}%)"
                cells.append(f"**{t}**" if s1 > 1.05 * s0 else t)
            print(f"| {law} | {'(a)' if F == 'misfitting' else '(b)'} {F} | {s0:.3f} | " + " | ".join(cells) + " |")


def score_cells(rp, hfun, fams=("misfitting", "multipower")):
    """Per law, the mean interval score of (a) and (b), each cell weighted equally."""
    out = {}
    for law in ["power", "reciprocal", "log"]:
        for F, noms in (("misfitting", [25, 50]), ("multipower", [20, 50])):
            m0, m1 = [], []
            for nom in noms:
                R = [r for r in rp.rows if r["law"] == law and r["fam"] == F and r["nom"] == nom]
                m0.append(np.mean([rp.score(r, rp.h(r, F))[1] for r in R]))
                m1.append(np.mean([rp.score(r, hfun(r))[1] for r in R]))
            out[(law, F)] = (np.mean(m0), np.mean(m1))
    print("mean interval score per law, (a) misfitting 25+50 / (b) multipower 20+50, current -> rule:")
    for (law, F), (a, b) in out.items():
        flag = " **worse > 5%**" if b > 1.05 * a else ""
        print(f"  {law} {F}: {a:.3f} -> {b:.3f} ({100 * (b / a - 1):+.1f}%){flag}")


def main():
    rows, allrows = read(sys.argv[1])
    rp = Replay(rows, allrows)
    rules = sys.argv[2:] or ["needed", "q90", "kc", "k", "c", "t", "dist"]
    KS = [0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
    CS = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0]
    grids = {"kc": [(k, c) for k in KS for c in CS], "k": [(k, 1.0) for k in KS], "c": [(1.0, c) for c in CS]}
    for rule in rules:
        print(f"\n## {rule}\n")
        if rule == "needed":
            needed(rp)
            continue
        if rule == "trendstats":
            trend_stats(rp)
            continue
        if rule == "disstats":
            dis_stats(rp)
            continue
        if rule == "dismisses":
            dis_misses(rp)
            continue
        if rule == "distable":
            dis_table(rp)
            continue
        if rule in DIS_GRIDS or rule in ("dis3c", "dis3cmax"):
            hfun, chosen = rule_dis(rp, rule)
            print("chosen (mode, c, D) per law / family left out:",
                  {f"{k[0]}/{k[1]}": (v[0], round(v[1], 3), v[2]) for k, v in chosen.items()})
            table(rp, hfun, FAMS)
            moved_h(rp, hfun)
            score_cells(rp, hfun)
            continue
        if rule in COV6_GRIDS:
            hfun, chosen = rule_cov6(rp, COV6_GRIDS[rule])
            print("chosen (mode, par, jackknife) per law / family left out:",
                  {f"{k[0]}/{k[1]}": v for k, v in chosen.items()})
            table(rp, hfun, FAMS)
            moved_h(rp, hfun)
            continue
        if rule in DRIFT_GRIDS:
            ivfun, chosen, dr = rule_drift(rp, DRIFT_GRIDS[rule], rule)
            print("chosen (so, sl, mode[, c]) per law / family left out:",
                  {f"{k[0]}/{k[1]}": v for k, v in chosen.items()})
            print("per-law drift learned without the family (e-space, per unit d*):",
                  {f"{law}/{F}": round(dr.lam(law, F), 4) for law in ["power", "reciprocal", "log"] for F in FAMS})
            table_iv(rp, ivfun)
            moved(rp, ivfun)
            continue
        if rule == "dist":
            hfun, chosen = rule_dist(rp)
        elif rule == "t":
            hfun, chosen = rule_t(rp)
        elif rule == "q90":
            hfun, chosen = rule_q90(rp)
        else:
            hfun, chosen = rule_kc(rp, grids[rule])
        print("chosen:", {f"{k[0]}/{k[1]}": v for k, v in chosen.items() if k[1] in ("misfitting", "multipower")})
        table(rp, hfun)


if __name__ == "__main__":
    main()
