"""fix53a: ``methods``' closed form flagged valid only near a crossing and its crossing
interval withheld when most replicate pairs do not cross (``to_dict()`` the CLI's
``--json``); a setting's error names the Python keyword; the public namespace is
``__all__``; a bound-held parameter's standard error is "?"; ``forecast``'s auto on sparse
per-position data falls back to the aggregate laws."""

import json
import math
import pathlib
import subprocess

import pytest

import slaw

from conftest import cli

RUNS = pathlib.Path(__file__).resolve().parents[2] / "slaw-cli" / "tests" / "data" / "fix53a_joint_runs.csv"
FACTORS = ["model_size", "pretrain_tokens", "prompt_len", "lora_rank"]
PET = ["prompt_len", "lora_rank"]


def same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def test_methods_closed_form_validity_and_crossing_range_match_the_cli():
    m = slaw.methods(str(RUNS), factors=FACTORS, pet=PET, at={"model_size": 8e9},
                     data_size=3e3, seed=7)
    args = [str(cli()), "methods", str(RUNS), "--at", "model_size=8e9", "--data", "3e3",
            "--seed", "7", "--json"]
    for f in FACTORS:
        args += ["--factor", f]
    for f in PET:
        args += ["--pet", f]
    ref = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    assert same(m.to_dict(), ref)
    crit = {(c["methods"][0], c["methods"][1]): c for c in ref["recommendation"]["critical"]}
    fp = crit[("fmt", "prompt")]
    assert fp["closed_form"]["valid"] is False
    assert fp["at_setting_interval"]["interval"] is None
    rng = fp["at_setting_interval"]["crossing_range_of_replicates_that_cross"]
    row = m.critical[(m.critical.method_1 == "fmt") & (m.critical.method_2 == "prompt")].iloc[0]
    assert row.closed_form_valid is False or row.closed_form_valid == False  # noqa: E712
    assert math.isclose(row.closed_form_h, fp["closed_form"]["H"])
    assert math.isclose(row.crossing_range_lo, rng["lo"]) and math.isclose(row.crossing_range_hi, rng["hi"])
    assert math.isnan(row.lo)
    rep = m.report()
    # report() is the CLI's text (an option it names, as the keyword)
    text = subprocess.run([a for a in args if a != "--json"], capture_output=True, text=True,
                          check=True).stdout
    assert rep == text.replace("--intervals predictive", "intervals='predictive'").rstrip("\n")
    assert "fmt vs prompt: at model_size = 8e9: no crossing; " in rep
    assert "(no crossing in 151 of 200 replicate pairs: no 95% interval; the 49 that cross: " in rep


def test_a_setting_error_names_the_python_keyword():
    df = {"x": [1e3, 2e3, 4e3, 8e3, 1.6e4, 3.2e4], "loss": [3.0, 2.8, 2.65, 2.55, 2.47, 2.41]}
    with pytest.raises(ValueError, match=r"^bootstrap: 5 replicate\(s\) are too few"):
        slaw.fit(df, law="power", x="x", bootstrap=5)


def test_the_public_namespace_is_the_api():
    public = {n for n in dir(slaw) if not n.startswith("_")}
    assert public == set(slaw.__all__), public ^ set(slaw.__all__)
    for helper in ("np", "pd", "os", "json", "sqlite3", "Any", "Dict", "Optional", "warnings"):
        assert not hasattr(slaw, helper), helper


def test_a_parameter_held_by_a_bound_prints_no_standard_error():
    xs = [1e3 * 2 ** i for i in range(10)]
    df = {"x": xs, "loss": [(5 * x ** -0.5 + 1) * (1 + 0.003 * ((i * 37 % 7) - 3)) for i, x in enumerate(xs)]}
    r = slaw.fit(df, formula="A/x^alpha + E", params=["A", "alpha", "E"], x="x", bounds={"alpha": (0, 0.3)})
    assert "alpha" in r.at_bounds
    line = next(l for l in r.report().splitlines() if l.strip().startswith("alpha"))
    assert "+/- ?" in line, line


def test_auto_falls_back_on_sparse_per_position_data(tmp_path):
    rows = ["step,position,loss"]
    for c in range(1, 9):
        t = 50.0 * c
        for p in range(1, 65):
            rows.append(f"{t},{p},{2.2 + 2.0 * p ** -0.4 + 8.0 / math.sqrt(t)}")
    f = tmp_path / "sparse.csv"
    f.write_text("\n".join(rows) + "\n")
    r = slaw.forecast(str(f), fit_until=0.5)
    d = r.to_dict()
    ref = json.loads(subprocess.run([str(cli()), "forecast", str(f), "--fit-until", "0.5", "--json"],
                                    capture_output=True, text=True, check=True).stdout)
    assert same(d, ref)
    assert d["method"] != "temporal"
    assert d["warnings"][0].startswith("4 checkpoint(s) up to the end of the fit, too few for the temporal law")
    with pytest.raises(ValueError, match="the temporal law needs at least 6"):
        slaw.forecast(str(f), fit_until=0.5, method="temporal")
