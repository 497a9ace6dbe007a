"""ux52: a prediction inside the fitted range gets an interpolation interval holding the
bootstrap band (as the CLI's ``--json``); a wide table's blank cells are skipped with a
``UserWarning`` naming how many and where (the CLI's first note); the selection's cost note
says "sizes", not "examples"."""

import json
import math
import subprocess

import pytest

import slaw

from conftest import cli, shared_data

SMALL = "x,y\n1,5.10\n2,4.05\n4,3.70\n8,3.10\n16,2.98\n32,2.60\n64,2.55\n"


def same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def test_a_prediction_inside_the_data_is_an_interpolation_holding_the_band(tmp_path):
    f = tmp_path / "small.csv"
    f.write_text(SMALL)
    out = subprocess.run([str(cli()), "fit", str(f), "--law", "power", "--x", "x", "--y", "y",
                          "--bootstrap", "200", "--level", "0.9", "--predict", "1",
                          "--predict", "64", "--predict", "128", "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    ref = json.loads(out.stdout)
    r = slaw.fit(str(f), law="power", x="x", y="y", bootstrap=200, level=0.9,
                 predict=[1, 64, 128])
    assert same(r.to_dict(), ref["groups"][0])
    kinds = [p["extrapolation_interval_kind"] for p in r.to_dict()["predictions"]]
    assert kinds[0] == {"kind": "interpolation", "level": 0.9, "bootstrap": True}
    assert kinds[1]["kind"] == "interpolation"
    assert kinds[2] == {"kind": "backtest", "level": 0.9}
    for p in r.to_dict()["predictions"][:2]:
        assert p["extrapolation_interval"]["lo"] <= p["interval"]["lo"]
        assert p["extrapolation_interval"]["hi"] >= p["interval"]["hi"]


def test_blank_cells_of_a_wide_table_are_a_warning_and_the_cli_s_json(tmp_path):
    flan = shared_data("finetune-selection/flan.csv")
    rows = [l.split(",") for l in flan.read_text().splitlines()]
    rows[1][14] = rows[1][15] = rows[2][15] = rows[3][5] = ""
    f = tmp_path / "flan_blank.csv"
    f.write_text("\n".join(",".join(r) for r in rows) + "\n")
    out = subprocess.run([str(cli()), "select", str(f), "--target", "1638400", "--budget", "1/64",
                          "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    ref = json.loads(out.stdout)
    with pytest.warns(UserWarning, match="4 blank cells skipped as not measured"):
        r = slaw.select(str(f), target=1638400, budget="1/64")
    assert same(r.to_dict(), ref)
    assert r.to_dict()["blank_cells"][2] == {"column": "1638400", "cells": 2}
    assert any("sizes summed over the candidates" in n for n in r.notes)
    assert not any("examples" in n for n in r.notes)
    # A cell that is neither blank nor a number is still an error naming row and column.
    rows[4][6] = "n/a"
    f.write_text("\n".join(",".join(r) for r in rows) + "\n")
    with pytest.raises(Exception, match=r"row 5, column '3200': 'n/a' is not a number"):
        slaw.select(str(f), target=1638400, budget="1/64")
