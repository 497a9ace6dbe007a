"""ux64: ``fit`` and ``compare`` without ``x`` take the table's one numeric column besides the
loss, as the CLI without ``--x`` (the library's ``DataSpec::choose_input`` through a native
binding), the note a ``UserWarning``; ``forecast`` on a table without a step column takes its one
numeric column besides the loss as the step, as the CLI; several candidates are a ``ValueError``
listing them. ``methods`` says how many runs each method's bootstrap resamples. Each
``to_dict()`` equal to the CLI's ``--json``."""

import json
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest

import slaw

from conftest import REPO, cli, same


def cli_run(*args):
    out = subprocess.run([str(cli()), *map(str, args)], capture_output=True, text=True)
    assert out.returncode in (0, 3), out.stderr
    return out


def cli_json(*args):
    return json.loads(cli_run(*args, "--json").stdout)


def sizes_table():
    n = np.array([1e7, 2e7, 4e7, 8e7, 1.6e8, 3.2e8, 6.4e8, 1.28e9])
    wobble = 1 + 0.003 * np.sin(np.arange(len(n)) * 1.7)
    return pd.DataFrame({"name": [f"m{i}" for i in range(len(n))], "n": n,
                         "loss": (1.8 + 400 * n ** -0.3) * wobble})


def notes(record):
    return [str(w.message) for w in record if issubclass(w.category, UserWarning)]


def test_fit_without_x_takes_the_one_numeric_column(tmp_path):
    df = sizes_table()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        r = slaw.fit(df, law="power")
    assert "note: x: n (the only numeric column besides loss)" in notes(rec)
    assert r.to_dict() == slaw.fit(df, law="power", x="n").to_dict()
    # the chosen column is the fit's input, for its predictions too
    assert "n" in r.predict(2.56e9).columns
    assert r.predict_values(2.56e9) == pytest.approx(
        slaw.fit(df, law="power", x="n").predict_values(2.56e9))
    # a file alike, and the CLI without --x gives the same JSON (its note on stderr)
    f = tmp_path / "sizes.csv"
    df.to_csv(f, index=False)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        rp = slaw.fit(str(f), law="power")
    assert "note: x: n (the only numeric column besides loss)" in notes(rec)
    out = cli_run("fit", f, "--law", "power", "--json")
    assert "note: x: n (the only numeric column besides loss)" in out.stderr
    assert same(rp.to_dict(), json.loads(out.stdout)["groups"][0])  # one group's object


def test_several_candidates_are_an_error_listing_them():
    df = sizes_table().assign(tokens=lambda d: 20 * d["n"])
    with pytest.raises(ValueError, match=r"2 numeric columns besides the loss 'loss' could be "
                                         r"inputs: n, tokens; name the input column\(s\) with x="):
        slaw.fit(df, law="power")
    with pytest.raises(ValueError, match=r"could be inputs: n, tokens"):
        slaw.compare(df)
    # the group and weight columns are no inputs: one candidate again
    g = sizes_table().assign(w=1.0)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        r = slaw.fit(g, law="power", weight="w")
    assert "note: x: n (the only numeric column besides loss)" in notes(rec)
    assert r.to_dict() == slaw.fit(g, law="power", weight="w", x="n").to_dict()
    with pytest.raises(ValueError, match=r"no numeric column besides the loss 'loss' could be one"):
        slaw.fit(pd.DataFrame({"name": ["a", "b", "c"], "loss": [3.0, 2.9, 2.8]}), law="power")


def test_compare_without_x_takes_the_one_numeric_column(tmp_path):
    df = sizes_table()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        r = slaw.compare(df, laws=["power", "vanilla-ft"])
    assert "x: n (the only numeric column besides loss)" in notes(rec)
    assert "note: x: n (the only numeric column besides loss)" in r.report()
    assert r.to_dict() == slaw.compare(df, laws=["power", "vanilla-ft"], x="n").to_dict()
    f = tmp_path / "sizes.csv"
    df.to_csv(f, index=False)
    assert same(slaw.compare(str(f), laws=["power", "vanilla-ft"]).to_dict(),
                cli_json("compare", f, "--laws", "power,vanilla-ft"))


def curve_table():
    n = np.arange(1, 61) * 100.0
    wobble = 1 + 0.002 * ((np.arange(1, 61) * 7919) % 11) / 10
    return pd.DataFrame({"n": n, "loss": (2 + 8 * n ** -0.35) * wobble})


def test_forecast_without_a_step_column_takes_the_one_numeric_column(tmp_path):
    df = curve_table()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        r = slaw.forecast(df, fit_until=0.5, bootstrap=0)
    assert "note: step: n (no 'step' column; the only numeric column besides loss)" in notes(rec)
    named = slaw.forecast(df, fit_until=0.5, bootstrap=0, step_col="n")
    assert r.to_dict() == named.to_dict()
    # a file: the engine chooses, the note among the warnings; the CLI's JSON alike
    f = tmp_path / "curve.csv"
    df.to_csv(f, index=False)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        rf = slaw.forecast(str(f), fit_until=0.5, bootstrap=0)
    assert "note: step: n (no 'step' column; the only numeric column besides loss)" in notes(rec)
    assert same(rf.to_dict(), cli_json("forecast", f, "--fit-until", "0.5", "--bootstrap", "0"))
    # several: the missing column's error listing them, with the keyword
    two = df.assign(tokens=df["n"] * 1000)
    with pytest.raises(ValueError, match=r"2 numeric columns besides the loss 'loss' could be the "
                                         r"step: n, tokens; name the step column \(the keyword "
                                         r"step_col= names this column"):
        slaw.forecast(two, fit_until=0.5, bootstrap=0)
    # a step column named and missing stays the error it was
    with pytest.raises(ValueError, match=r"column 'iter': no such column"):
        slaw.forecast(df, fit_until=0.5, bootstrap=0, step_col="iter")


def test_methods_says_how_many_runs_each_bootstrap_resamples():
    f = REPO / "examples" / "runs.csv"
    args = dict(factors=["model_size", "pretrain_tokens", "prompt_len"], pet="prompt_len",
                at={"model_size": 8e9}, data_size=3e4, bootstrap=20)
    r = slaw.methods(str(f), **args)
    assert same(r.to_dict(), cli_json("methods", f, "--factor", "model_size", "--factor",
                                      "pretrain_tokens", "--factor", "prompt_len", "--pet",
                                      "prompt_len", "--at", "model_size=8e9", "--data", "3e4",
                                      "--bootstrap", "20"))
    for p in r.to_dict()["recommendation"]["predictions"]:
        per = p["bootstrap_runs"]
        assert len(per) >= 2 and {x["factor"] for x in per} <= set(args["factors"])
        assert r.frame.loc[p["method"], "bootstrap_runs"] == sum(x["runs"] for x in per) > 0
        each = ", ".join(f"{x['factor']} {x['runs']}" for x in per)
        assert f"{p['method']} {sum(x['runs'] for x in per)} ({each})" in r.report()
    assert "bootstrap: each replicate resamples every method's fitting runs" in r.report()
    none = slaw.methods(str(f), **dict(args, bootstrap=0))
    assert (none.frame["bootstrap_runs"] == 0).all()
    assert "bootstrap: each replicate" not in none.report()


def test_forecast_takes_the_trainers_step_not_wandbs_count_of_log_calls(tmp_path):
    steps = list(range(100, 2100, 100))
    df = pd.DataFrame({"_step": list(range(len(steps))),
                       "train/loss": [4.0 * (s / 100) ** -0.2 + 1.5 for s in steps],
                       "train/global_step": steps})
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        r = slaw.forecast(df, loss_col="train/loss", bootstrap=0)
    assert ("note: step: train/global_step (no 'step' column; the only numeric column besides "
            "train/loss)") in notes(rec)
    assert r.to_dict() == slaw.forecast(df, loss_col="train/loss", bootstrap=0,
                                        step_col="train/global_step").to_dict()
    # W&B's '_step' alone is no step: the error's hint says what it counts
    with pytest.raises(ValueError, match=r"W&B's '_step' counts its log calls"):
        slaw.forecast(df.drop(columns=["train/global_step"]), loss_col="train/loss", bootstrap=0)
