"""ux63: the result objects expose the JSON's objects the CLI prints (a forecast's held-out
scores and auto's choice, a selection's calibration and choice), a list of forecasts has a
notebook view, and a missing file raises what README says."""

import json
import math
import pathlib
import random
import subprocess

import numpy as np
import pytest

import slaw
from conftest import REPO, cli

EXAMPLES = REPO / "examples"


def run_cli(*args) -> dict:
    out = subprocess.run([str(cli()), *map(str, args)], capture_output=True, text=True)
    assert out.returncode in (0, 3), out.stderr
    return json.loads(out.stdout)


def runs_file(tmp_path: pathlib.Path) -> pathlib.Path:
    rng = random.Random(1)
    rows = ["run,step,loss"]
    for run, n in [("a", 60), ("b", 60), ("c", 2)]:
        for s in range(1, n + 1):
            t = 100 * s
            rows.append(f"{run},{t},{(8 * t ** -0.3 + 2) * math.exp(rng.gauss(0, 0.005))!r}")
    path = tmp_path / "runs.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_forecast_heldout_and_choice_are_the_jsons():
    path = EXAMPLES / "run.csv"
    ref = run_cli("forecast", path, "--json")
    with pytest.warns(UserWarning):
        r = slaw.forecast(str(path))
    assert r.to_dict()["heldout"] == ref["heldout"]
    # auto chose the law: its candidates and their held-out scores
    assert r.heldout == ref["heldout"] and r.heldout["n"] > 0
    assert r.choice == ref["choice"] and r.choice["candidates"]
    assert r.choice["candidates"][0]["method"] == r.method
    # an attribute edited leaves to_dict() (the CLI's --json) as it was
    r.heldout["n"] = -1
    r.choice["candidates"].clear()
    assert r.to_dict()["heldout"] == ref["heldout"]
    assert r.to_dict()["choice"] == ref["choice"]


def test_forecast_by_name_has_no_choice(tmp_path):
    path = runs_file(tmp_path)
    with pytest.warns(UserWarning):
        out = slaw.forecast(str(path), run_col="run", fit_until=0.5, method="power",
                            bootstrap=20)
    ref = run_cli("forecast", path, "--run-col", "run", "--fit-until", 0.5, "--method",
                  "power", "--bootstrap", 20, "--json")
    for f, g in zip(out, ref["forecasts"]):
        assert f.choice is None and g.get("choice") is None
        assert f.heldout == g["heldout"] and f.heldout["n"] == 30


def test_forecast_results_notebook_view(tmp_path):
    path = runs_file(tmp_path)
    with pytest.warns(UserWarning):
        out = slaw.forecast(str(path), run_col="run", fit_until=0.5, method="power",
                            bootstrap=20)
    h = out._repr_html_()
    assert h.startswith("<p><b>Forecasts of 2 runs (1 skipped)</b></p>")
    # each run's own view, in the runs' order, then the skipped run with its reason
    assert h.index(out[0]._repr_html_()) < h.index(out[1]._repr_html_())
    assert h.count("<table") == 2
    assert "<li>skipped: c: " in h and "a curve needs at least 4" in h


def test_selection_calibration_and_choice_are_the_jsons():
    path = EXAMPLES / "curves.csv"
    ref = run_cli("select", path, "--target", 1638400, "--max-n", 25600, "--json")
    s = slaw.select(str(path), target=1638400, max_n=25600)
    assert s.to_dict()["calibration"] == ref["calibration"]
    assert s.calibration == ref["calibration"] and s.calibration["count"] > 0
    assert s.choice == ref["choice"]
    assert s.chosen == ref["ranking"][s.choice["position"]]["id"]
    s.calibration["count"] = -1
    assert s.to_dict()["calibration"] == ref["calibration"]


def test_a_missing_file_raises_file_not_found_as_readme_says(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError) as e:
        slaw.fit(str(missing), law="power", x="n")
    assert "nope.csv" in str(e.value)
    readme = " ".join((REPO / "README.md").read_text().split())
    assert "a path that does not exist raises `FileNotFoundError`" in readme
    assert "FileNotFoundError" in slaw.__doc__


def test_allocate_figures_draw_undetermined_growth_dotted_and_faded():
    """As the CLI's figure: past the compute isoflop and envelope fitted, their exponent's
    interval reaching 0, the N_opt line is dotted and faded, without a band, with a legend
    entry; the parametric law's line is not."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f = EXAMPLES / "scaling_results.csv"
    r = slaw.allocate(str(f), n_col="N", d_col="D", flops_col="C",
                      where={"portion_steps_elapsed": 1}, best_per_size=True, method="all")
    name = next(n for n in r.figure_names if n.endswith("nopt"))
    ax = r.plot(which=name)
    faded = [ln for ln in ax.get_lines()
             if ln.get_linestyle() == ":" and ln.get_alpha() == 0.45 and len(ln.get_xdata())]
    # isoflop's and envelope's lines past their runs, in their colours
    assert {str(ln.get_color()).lower() for ln in faded} == {"#0072b2", "#d55e00"}
    # past the compute they fitted (1.2e18 .. 1.92e19), joined to the solid part at its end
    for ln in faded:
        x = np.sort(np.asarray(ln.get_xdata(), dtype=float))
        assert x[0] <= 1.92e19 < x[1] and x[-1] == pytest.approx(1e25)
    labels = ax.get_legend_handles_labels()[1]
    assert "not determined by the runs" in labels
    assert not any(lab.startswith("parametric") and ln.get_linestyle() == ":"
                   for ln, lab in zip(*ax.get_legend_handles_labels()))
    plt.close("all")
