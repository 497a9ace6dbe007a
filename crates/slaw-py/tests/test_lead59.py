"""lead59 (probe59): rows of weight 0 are left out of everything (``fit`` and ``compare``, as
the CLI), and ``compare``'s predictions give ``below_floor`` where the drift correction puts a
prediction below every combined law's floor; ``to_dict()`` equals the CLI's ``--json``."""

import json
import math
import subprocess

import pandas as pd

import slaw

from conftest import cli, same


def weighted(spoil):
    rows = []
    for k in range(12):
        x = 1e3 * 2.0 ** k
        loss = (50.0 * x ** -0.3 + 1.8) * (1.0 + 0.003 * ((k * 7 % 5) - 2.0) / 2.0)
        if k >= 8:
            if not spoil:
                break
            rows.append({"x": x, "loss": loss * 1.5, "w": 0.0})
        else:
            rows.append({"x": x, "loss": loss, "w": 1.0})
    return pd.DataFrame(rows)


def test_rows_of_weight_zero_are_left_out_as_in_the_cli():
    a = slaw.fit(weighted(True), "power", x="x", weight="w")
    b = slaw.fit(weighted(False), "power", x="x", weight="w")
    assert a.n_points == b.n_points == 8
    assert a.params == b.params


def test_compare_gives_below_floor_as_the_cli(tmp_path):
    f = tmp_path / "clean.csv"
    f.write_text("N,loss\n" + "".join(
        f"{1e8 * 2.0 ** k},{400.0 * (1e8 * 2.0 ** k) ** -0.34 + 1.69}\n" for k in range(10)))
    out = subprocess.run([str(cli()), "compare", str(f), "--x", "N", "--predict", "6e10",
                          "--predict", "1e20", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    ref = json.loads(out.stdout)
    r = slaw.compare(str(f), x="N", predict=[6e10, 1e20])
    assert same(r.to_dict(), ref)
    p = r.predictions
    assert math.isnan(p["below_floor"].iloc[0])
    assert abs(p["below_floor"].iloc[1] - 1.69) < 0.01
    assert p["loss"].iloc[1] < p["below_floor"].iloc[1]
