"""Coverage of `slaw fit`'s extrapolation intervals (95%) beyond and below the data, on 60
synthetic power laws L = 5 x^-0.3 + 1.5 with 1% log-normal noise at x = 1e3 ... 2.05e6
(12 points): the truth at x = 1e7 (0.7 decades beyond) and at x = 100 (one decade below).
Usage: python3 bench/fit_below_coverage.py [path/to/slaw]  (default target/release/slaw)."""
import json, math, os, random, subprocess, sys, tempfile

S = sys.argv[1] if len(sys.argv) > 1 else "target/release/slaw"
random.seed(7)
f = lambda x: 5 * x ** -0.3 + 1.5
n, beyond, below = 60, 0, 0
with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, "p.csv")
    for _ in range(n):
        with open(p, "w") as fh:
            fh.write("x,loss\n")
            for x in [1e3 * 2 ** i for i in range(12)]:
                fh.write(f"{x!r},{f(x) * math.exp(random.gauss(0, 0.01))!r}\n")
        out = subprocess.run([S, "fit", p, "--law", "power", "--x", "x", "--y", "loss",
                              "--predict", "1e7", "--predict", "100", "--json"],
                             capture_output=True, text=True, check=True).stdout
        e, b = [q["extrapolation_interval"] for q in json.loads(out)["groups"][0]["predictions"]]
        beyond += e["lo"] <= f(1e7) <= e["hi"]
        below += b["lo"] <= f(100) <= b["hi"]
print(f"95% extrapolation intervals: beyond the data (x = 1e7) {beyond}/{n}, below (x = 100) {below}/{n}")
