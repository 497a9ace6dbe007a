"""fit57 (issue 14, probe57 findings 1 and 5): the lack-of-fit checks reach the Python result
objects as attributes (``FitResult.lack_of_fit``, the compare result's ``lack_of_fit``), equal to
the CLI's ``--json``; a clean power law gives none."""

import json
import math
import subprocess

import slaw

from conftest import cli, same

Z = [0.31, -1.12, 0.84, 1.37, -0.58, -0.21, 0.97, -1.46, 0.42, -0.88, 1.18, -0.12]


def curve(plateau, brk=2e4):
    rows = ["n,loss"]
    for i, z in enumerate(Z):
        x = 1e3 * 100 ** (i / 11)
        if not plateau:
            t = 2 + 30 * x ** -0.3
        else:
            t = 3.0 if x <= brk else 2 + (x / brk) ** -0.5
        rows.append(f"{x:.6e},{t * math.exp(0.01 * z):.6f}")
    return "\n".join(rows) + "\n"


def test_fit_lack_of_fit_is_an_attribute_equal_to_the_cli(tmp_path):
    f = tmp_path / "plateau.csv"
    f.write_text(curve(True))
    r = slaw.fit(str(f), "power", x="n", predict=[4e5])
    out = subprocess.run([str(cli()), "fit", str(f), "--law", "power", "--x", "n",
                          "--predict", "400000", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    g = json.loads(out.stdout)["groups"][0]
    assert same(r.to_dict(), g)
    assert [l["test"] for l in r.lack_of_fit] == ["end"]
    assert r.lack_of_fit == g["lack_of_fit"]
    assert r.lack_of_fit[0]["side"] == "below"
    assert any(w.startswith("the law does not follow the data's end") for w in r.warnings)

    c = tmp_path / "clean.csv"
    c.write_text(curve(False))
    assert slaw.fit(str(c), "power", x="n").lack_of_fit == []


def test_compare_lack_of_fit_by_group(tmp_path):
    f = tmp_path / "plateau.csv"
    f.write_text(curve(True, 3e4))
    r = slaw.compare(str(f), x="n")
    out = subprocess.run([str(cli()), "compare", str(f), "--x", "n", "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    j = json.loads(out.stdout)
    assert same(r.to_dict(), j)
    assert r.lack_of_fit[""] == j["groups"][0]["lack_of_fit"]
    assert r.lack_of_fit[""]["test"] == "backtest"
