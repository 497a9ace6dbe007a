"""Write the large-fit benchmark's points as a CSV (columns x, loss) for `slaw fit`:
the points of `bench_large` in bench/reference/scipy_engine.py, n of them.

Usage: python3 bench/large_csv.py power|vanilla-ft N OUT.csv
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "reference"))
from scipy_engine import large_points  # noqa: E402

if __name__ == "__main__":
    law, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    x, y = large_points(law, n)
    np.savetxt(out, np.column_stack([x, y]), fmt="%.12g", delimiter=",", header="x,loss", comments="")
