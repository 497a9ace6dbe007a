"""ux67: result types agree (ForecastResults.skipped a DataFrame, as JointResult.skipped);
forecast takes several tables as schedule does (a dict {run name: path, DataFrame or dict of
columns}, or a list), each forecast as the CLI's `slaw forecast` of that table alone."""

import json
import math
import pathlib
import random
import subprocess
import warnings

import pandas as pd
import pytest

import slaw
from conftest import cli, same

EXAMPLES = pathlib.Path(__file__).resolve().parents[3] / "examples"
TRAINING = EXAMPLES / "training_runs.csv"
OPTS = ["--fit-until", "0.3", "--method", "power", "--bootstrap", "20"]
KW = {"fit_until": 0.3, "method": "power", "bootstrap": 20}


def cli_run(*args):
    return subprocess.run([str(cli()), *map(str, args)], capture_output=True, text=True,
                          check=False)


def cli_json(*args, ok=(0,)):
    out = cli_run(*args, "--json")
    assert out.returncode in ok, out.stderr
    return json.loads(out.stdout)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def run_files(folder):
    """examples/training_runs.csv split into one file per run: {stem: path}."""
    df = pd.read_csv(TRAINING)
    out = {}
    for name, g in df.groupby("run", sort=False):
        p = folder / f"{name}.csv"
        g.drop(columns="run").to_csv(p, index=False)
        out[name] = p
    return out


def test_forecast_of_a_dict_of_files_is_the_clis_forecast_of_each(tmp_path):
    files = run_files(tmp_path)
    want = [cli_json("forecast", p, *OPTS) for p in files.values()]
    for data in ({k: str(p) for k, p in files.items()},   # keyed by the stems
                 [str(p) for p in files.values()]):        # a list: named by the stems
        got = quiet(slaw.forecast, data, **KW)
        assert isinstance(got, slaw.ForecastResults)
        assert [f.curve for f in got] == list(files)
        d = got.to_dict()
        assert set(d) == {"forecasts", "skipped", "warnings"}
        assert len(d["forecasts"]) == len(want)
        for f, w in zip(d["forecasts"], want):   # the CLI's JSON of one curve: its forecast
            assert same(f, w), f["curve"]
        assert d["skipped"] == [] and d["warnings"] == []
        assert isinstance(got.skipped, pd.DataFrame) and len(got.skipped) == 0
        assert list(got.skipped.columns) == ["run", "reason"]
        # each run's report is the CLI's of its file
        for f, p in zip(got, files.values()):
            out = cli_run("forecast", p, *OPTS)
            assert out.returncode == 0, out.stderr
            assert f.report() == out.stdout.rstrip("\n")


def test_a_dicts_keys_name_its_runs_files_and_frames_alike_as_schedules(tmp_path):
    files = run_files(tmp_path)
    names = {"constant": "run A (constant lr)", "cosine": "run B", "wsd": "run C"}
    data = {names["constant"]: files["constant"],
            names["cosine"]: pd.read_csv(files["cosine"]),
            names["wsd"]: str(files["wsd"])}
    got = quiet(slaw.forecast, data, **KW)
    assert [f.curve for f in got] == list(data)
    # everything but the name as the CLI's forecast of each file (the CLI names a file's
    # curve by its stem: compared with that name put back)
    for f, p in zip(got.to_dict()["forecasts"], files.values()):
        w = cli_json("forecast", p, *OPTS)
        assert f["curve"] in data.keys()
        assert same({**f, "curve": w["curve"]}, w)
    # schedule names the runs of the same dict by the same keys
    sch = quiet(slaw.schedule, data,
                predict="cosine:peak=3e-4,final=3e-5,total=72000,warmup=2000", bootstrap=20)
    assert [n for n, _ in sch.runs] == [f.curve for f in got]
    # a name= beside a dict is refused: the keys name the runs
    with pytest.raises(ValueError, match="name: the runs of a dict are named by its keys"):
        slaw.forecast(data, name="x", **KW)


def test_a_table_of_a_dict_that_cannot_be_forecast_names_its_key(tmp_path):
    files = run_files(tmp_path)
    bad = tmp_path / "bad.csv"
    lines = files["cosine"].read_text().splitlines()
    lines[4] = lines[4].rsplit(",", 1)[0] + ",abc"
    bad.write_text("\n".join(lines) + "\n")
    out = cli_run("forecast", bad, *OPTS)
    assert out.returncode != 0
    msg = f"{bad}, row 5, column 'loss': 'abc' is not a number"
    assert msg in out.stderr
    with pytest.raises(ValueError) as e:
        slaw.forecast({"a": files["constant"], "b": bad}, **KW)
    assert str(e.value).startswith("data['b']: ") and msg in str(e.value)
    with pytest.raises(ValueError, match=r"data\[1\] must be a file path"):
        slaw.forecast([str(files["constant"]), 3], **KW)


def test_forecast_results_skipped_is_a_dataframe_of_the_jsons_skipped(tmp_path):
    rng = random.Random(1)
    rows = ["run,step,loss"]
    for run, n in [("a", 60), ("b", 60), ("c", 2)]:
        for s in range(1, n + 1):
            t = 100 * s
            rows.append(f"{run},{t},{(8 * t ** -0.3 + 2) * math.exp(rng.gauss(0, 0.005))!r}")
    path = tmp_path / "runs.csv"
    path.write_text("\n".join(rows) + "\n")
    opts = ["--fit-until", "0.5", "--method", "power", "--bootstrap", "20"]
    ref = cli_json("forecast", path, "--run-col", "run", *opts, ok=(3,))
    out = quiet(slaw.forecast, str(path), run_col="run", fit_until=0.5, method="power",
                bootstrap=20)
    assert same(out.to_dict(), ref)
    sk = out.skipped
    assert isinstance(sk, pd.DataFrame) and list(sk.columns) == ["run", "reason"]
    assert sk.to_dict("records") == ref["skipped"] and list(sk["run"]) == ["c"]
    text = cli_run("forecast", path, "--run-col", "run", *opts).stdout
    assert out.report() == text.rstrip("\n")
    assert "skipped" in out._repr_html_() and "c: " in out._repr_html_()
    # the same table as a one-entry dict: the same forecasts and skipped run
    got = quiet(slaw.forecast, {"runs": str(path)}, run_col="run", fit_until=0.5,
                method="power", bootstrap=20)
    assert same(got.to_dict(), ref)
    assert got.skipped.equals(sk)
