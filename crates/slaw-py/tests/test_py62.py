"""A new user's findings on the Python package (probe62): a NaN loss that ends a run is a
divergence, as the CLI's ``nan``; names kept in a DataFrame's index reach the library; too few
bootstrap replicates and non-boolean flags are refused; ``allocate``'s warnings reach the user
and its JSON shape depends on the method and grouping only; ``fit_until="step:N"``; results
pickle; scalar ``at``/``budgets``; a W&B export's learning rate is found as its loss is."""

import json
import pathlib
import pickle
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest

import slaw

from conftest import cli, same

EXAMPLES = pathlib.Path(__file__).resolve().parents[3] / "examples"
RUN = EXAMPLES / "run.csv"
CURVES = EXAMPLES / "curves.csv"
CHIN = EXAMPLES / "chinchilla.csv"


def cli_run(*args):
    return subprocess.run([str(cli()), *map(str, args)], capture_output=True, text=True,
                          check=False)


def cli_json(*args):
    out = cli_run(*args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def forecast_points(d):
    """A forecast's answer: the steps, values and intervals, the window."""
    return (d["fit_until_step"], d["fit_points"],
            [(f["step"], f["loss"], f["lo"], f["hi"]) for f in d["forecasts"]])


# ------------------------------------------------------------------ 1. a NaN that ends a run


def diverged_frame(last=17):
    df = pd.read_csv(RUN)
    df.loc[len(df) - last:, "loss"] = np.nan
    return df


def test_a_nan_tail_in_a_dataframe_is_the_divergence_the_cli_reads_in_nan_cells(tmp_path):
    df = diverged_frame()
    f = tmp_path / "div.csv"
    df.to_csv(f, index=False, na_rep="nan")
    want = cli_json("forecast", f, "--fit-until", "0.2")
    with pytest.warns(UserWarning, match="the run diverged at step 20000"):
        r = slaw.forecast(df, fit_until=0.2, name="div")
    got = r.to_dict()
    # The same window, forecast step, value and interval as the CLI on the same log (they
    # were: step 19750 from 9 points, "rows with an empty loss skipped", no divergence).
    assert forecast_points(got) == forecast_points(want)
    assert got["forecasts"][-1]["step"] == 24000
    assert any("diverged at step 20000" in w for w in r.warnings)
    assert not any("empty loss" in w for w in r.warnings)


def test_a_nan_tail_that_starts_inside_the_window_is_refused_as_the_cli_refuses_it(tmp_path):
    df = diverged_frame(last=90)
    f = tmp_path / "early.csv"
    df.to_csv(f, index=False, na_rep="nan")
    out = cli_run("forecast", f, "--fit-until", "0.2")
    assert out.returncode == 2 and "'nan' is not a finite number" in out.stderr
    with pytest.raises(ValueError, match="'nan' is not a finite number"):
        slaw.forecast(df, fit_until=0.2)


def test_a_loss_logged_by_a_pattern_keeps_its_nan_as_not_logged(tmp_path):
    """The rate logged at every row, the loss at every fourth: pandas' NaN there (and in the
    tail after the last loss) are blank cells, as the CLI reads the same file with blanks."""
    base = pd.read_csv(RUN)
    df = base.copy()
    df.loc[df.index % 4 != 3, "loss"] = np.nan
    df = df.iloc[:-2]  # the last rows: the rate only
    assert df["loss"].iloc[-1] != df["loss"].iloc[-1]
    f = tmp_path / "sparse.csv"
    df.to_csv(f, index=False)  # NaN written as blank cells
    want = cli_json("forecast", f, "--fit-until", "0.3", "--bootstrap", "0")
    r = slaw.forecast(df, fit_until=0.3, bootstrap=0, name="sparse")
    assert forecast_points(r.to_dict()) == forecast_points(want)
    assert not any("diverged" in w for w in r.warnings)


def test_evaluation_and_summary_rows_of_a_training_log_are_not_a_divergence():
    """A Hugging Face ``log_history`` frame: evaluation rows and the final summary row hold
    another loss and no ``loss``; they are not where the run diverged."""
    base = pd.read_csv(RUN)
    rows = [dict(step=s, learning_rate=lr, loss=l) for s, lr, l in base.itertuples(index=False)]
    last = int(base.step.iloc[-1])
    rows += [dict(step=last + 10, eval_loss=3.2), dict(step=last + 10, train_loss=3.4,
                                                         train_runtime=100.0)]
    df = pd.DataFrame(rows)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = slaw.forecast(df, fit_until=0.2, bootstrap=0)
    assert not any("diverged" in str(w.message) for w in caught)
    plain = slaw.forecast(base.rename(columns={"lr": "learning_rate"}), fit_until=0.2, bootstrap=0)
    assert forecast_points(r.to_dict()) == forecast_points(plain.to_dict())


def test_a_wide_selection_table_keeps_nan_as_a_size_not_measured_and_says_so():
    """pandas reads a blank cell as NaN: in a wide table it is a size not measured (a pivot of
    curves of different lengths); the warning says a cell written 'nan' is refused by the CLI."""
    cur = pd.read_csv(CURVES)
    wide = cur.pivot(index="model", columns="n", values="loss")
    wide.iloc[1, -3:] = np.nan
    with pytest.warns(UserWarning, match=r"blank cell.*NaN or None: a blank cell.*refuses a cell "
                                         r"written 'nan'"):
        slaw.select(wide, target=1638400, max_n=25600)


# ------------------------------------------------------------------ 12. names in the index


def test_a_pivoted_pool_is_ranked_under_its_model_names():
    cur = pd.read_csv(CURVES)
    wide = cur.pivot(index="model", columns="n", values="loss")
    r = slaw.select(wide, target=1638400, max_n=25600)
    assert r.chosen == "dune-1.4b"
    assert set(r.ranking.index) == set(cur.model)
    assert same(r.to_dict(), slaw.select(wide.reset_index(), target=1638400, max_n=25600).to_dict())
    # A long pool with the model in its index, and a CSV read with index_col=0.
    long = slaw.select(cur.set_index("model"), target=1638400, max_n=25600)
    assert long.chosen == "dune-1.4b"
    assert same(long.to_dict(), slaw.select(cur, target=1638400, max_n=25600).to_dict())


def test_a_method_in_the_index_is_not_pooled_and_a_group_in_the_index_is_fitted():
    runs = pd.read_csv(EXAMPLES / "runs.csv")
    factors = ["model_size", "pretrain_tokens", "prompt_len"]
    j = slaw.joint(runs.set_index("method"), factors=factors, pet="prompt_len")
    assert same(j.to_dict(), slaw.joint(runs, factors=factors, pet="prompt_len").to_dict())
    assert {m for m, _ in j.frame.index} == set(runs.method)
    cur = pd.read_csv(CURVES)
    cur = cur[cur.n > 0]
    fr = slaw.fit(cur.set_index("model"), law="power", x="n", group="model")
    assert set(fr) == set(cur.model)
    one = fr["dune-1.4b"]
    assert len(one._data) == (cur.model == "dune-1.4b").sum()


def test_an_unnamed_index_stays_out():
    cur = pd.read_csv(CURVES)
    sub = cur[cur.n > 0]  # an index of labels, unnamed
    a = slaw.fit(sub, law="power", x="n", group="model")
    b = slaw.fit(sub.reset_index(drop=True), law="power", x="n", group="model")
    assert same(a.to_dict(), b.to_dict())


def test_the_cli_refuses_a_wide_table_without_a_model_column(tmp_path):
    cur = pd.read_csv(CURVES)
    f = tmp_path / "noid.csv"
    cur.pivot(index="model", columns="n", values="loss").to_csv(f, index=False)
    out = cli_run("select", f, "--target", "1638400", "--max-n", "25600")
    assert out.returncode == 2
    assert str(f) in out.stderr and "column '0'" in out.stderr
    assert "no column names the models" in out.stderr
    with pytest.raises(ValueError, match="no column names the models"):
        slaw.select(str(f), target=1638400, max_n=25600)


# ------------------------------------------------------------------ 2, 6. options checked


def test_too_few_replicates_are_refused_by_select_and_allocate_as_by_the_cli():
    msg = "bootstrap: 3 replicate\\(s\\) are too few for a 95% percentile interval: at least 20"
    with pytest.raises(ValueError, match=msg):
        slaw.select(str(CURVES), target=1638400, max_n=25600, method="rectified-fit", bootstrap=3)
    with pytest.raises(ValueError, match=msg):
        slaw.select(str(CURVES), target=1638400, max_n=25600, bootstrap=3)
    with pytest.raises(ValueError, match=msg):
        slaw.allocate(str(CHIN), n_col="N", d_col="D", bootstrap=3)
    out = cli_run("allocate", CHIN, "--n-col", "N", "--d-col", "D", "--bootstrap", "3")
    assert out.returncode == 2 and "3 replicate(s) are too few" in out.stderr
    # 0 (no interval) and enough replicates still run.
    assert slaw.allocate(str(CHIN), n_col="N", d_col="D", bootstrap=0).warnings is not None


def test_best_per_size_must_be_a_boolean():
    with pytest.raises(ValueError, match=r"best_per_size= must be True or False, got 'no'"):
        slaw.allocate(str(CHIN), n_col="N", d_col="D", best_per_size="no", bootstrap=0)
    with pytest.raises(ValueError, match="best_per_size="):
        slaw.allocate(str(CHIN), n_col="N", d_col="D", best_per_size=1, bootstrap=0)


# ------------------------------------------------------------------ 3. allocate's warnings


def test_allocate_warnings_are_user_warnings_an_attribute_and_in_the_report():
    df = pd.read_csv(CHIN)
    df["Nm"] = df.N / 1e6  # N in millions: D/N a million times too large
    with pytest.warns(UserWarning, match="not a count"):
        r = slaw.allocate(df, n_col="Nm", d_col="D", budgets=[1e23], bootstrap=0)
    assert set(r.to_dict()["warnings"]) <= set(r.warnings)
    assert any("not a count" in w for w in r.warnings)
    assert any("extrapolated" in w for w in r.warnings)
    text = r.report()
    for w in r.warnings:
        assert f"warning: {w}" in text
    # Per group (method="all"): each group's warnings, its name first when it has one.
    with pytest.warns(UserWarning, match="extrapolat"):
        a = slaw.allocate(df, n_col="Nm", d_col="D", budgets=1e23, bootstrap=0, method="all")
    assert a.warnings and all(f"warning: {w}" in a.report() for w in a.warnings)
    groups = a.to_dict()
    assert all(w in a.warnings for g in groups for w in g["warnings"])


def test_a_single_forecast_warns_of_what_its_report_says():
    with pytest.warns(UserWarning, match="the learning rate decays"):
        r = slaw.forecast(str(RUN), fit_until=0.2, bootstrap=0)
    assert any("the learning rate decays" in w for w in r.warnings)


# ------------------------------------------------------------------ 4. fit_until="step:N"


def test_fit_until_step_n_is_the_clis(tmp_path):
    t = np.round(np.arange(1, 101) * 0.1, 10)
    f = tmp_path / "epochs.csv"
    pd.DataFrame({"step": t, "loss": 2 + 1.5 * t ** -0.5}).to_csv(f, index=False)
    r = slaw.forecast(str(f), fit_until="step:1", bootstrap=0)
    want = cli_json("forecast", f, "--fit-until", "step:1", "--bootstrap", "0")
    assert same(r.to_dict(), want)
    assert r.raw["fit_points"] == 10 and r.raw["fit_until_step"] == 1
    # fit_until=1 is the whole curve (a fraction), as the CLI's --fit-until 1.
    assert slaw.forecast(str(f), fit_until=1, bootstrap=0).raw["fit_points"] == 100
    with pytest.raises(ValueError, match="step:N"):
        slaw.forecast(str(f), fit_until="step:x")


# ------------------------------------------------------------------ 5. allocate's JSON shape


@pytest.mark.parametrize("kw,flags", [
    (dict(best_per_size=True), ["--best-per-size"]),
    (dict(where={"D": 6.6667e9}, best_per_size=False), None),
    (dict(budget_col="N"), ["--budget-col", "N"]),
])
def test_allocate_json_is_one_object_with_the_parametric_method_and_no_group(kw, flags):
    plain = slaw.allocate(str(CHIN), n_col="N", d_col="D", bootstrap=0)
    if flags is None:
        # a filter that leaves too few runs: the error of the unfiltered command, not null
        with pytest.raises(ValueError, match="could not be fitted to the 1 run kept"):
            slaw.allocate(str(CHIN), n_col="N", d_col="D", bootstrap=0, **kw)
        out = cli_run("allocate", CHIN, "--n-col", "N", "--d-col", "D", "--bootstrap", "0",
                      "--where", "D=6.6667e9", "--json")
        assert out.returncode == 2 and "could not be fitted to the 1 run kept" in out.stderr
        return
    r = slaw.allocate(str(CHIN), n_col="N", d_col="D", bootstrap=0, **kw)
    d = r.to_dict()
    assert isinstance(d, dict) and d["exponent_n"] == r.exponent_n
    assert list(r.to_frame().columns) == list(plain.to_frame().columns)
    assert same(d, cli_json("allocate", CHIN, "--n-col", "N", "--d-col", "D", "--bootstrap", "0",
                            *flags))
    # With a group or another method: a list, one entry per group.
    g = slaw.allocate(str(CHIN), n_col="N", d_col="D", bootstrap=0, method="all", **kw)
    assert isinstance(g.to_dict(), list)


# ------------------------------------------------------------------ 14, 7. pickles, scalars


def test_fit_results_pickle_and_fit_again_after():
    cur = pd.read_csv(CURVES)
    one = cur[(cur.model == "dune-1.4b") & (cur.n > 0)]
    r = slaw.fit(one, law="power", x="n")
    back = pickle.loads(pickle.dumps(r))
    assert same(back.to_dict(), r.to_dict())
    p = back.predict([1638400], intervals=True)
    q = r.predict([1638400], intervals=True)
    assert np.isfinite(p["lo"][0]) and p.equals(q)
    fr = slaw.fit(cur[cur.n > 0], law="power", x="n", group="model")
    fb = pickle.loads(pickle.dumps(fr))
    assert same(fb.to_dict(), fr.to_dict()) and list(fb) == list(fr)


def test_scalar_at_and_budgets_are_one_value_and_other_types_name_the_keyword():
    a = slaw.forecast(str(RUN), at=24000, bootstrap=0)
    b = slaw.forecast(str(RUN), at=[24000], bootstrap=0)
    assert same(a.to_dict(), b.to_dict()) and list(a.frame.index) == [24000]
    c = slaw.allocate(str(CHIN), n_col="N", d_col="D", budgets=1e23, bootstrap=0)
    e = slaw.allocate(str(CHIN), n_col="N", d_col="D", budgets=[1e23], bootstrap=0)
    assert same(c.to_dict(), e.to_dict()) and len(c.frame) == 1
    with pytest.raises(ValueError, match="^at must be a number or a list of numbers"):
        slaw.forecast(str(RUN), at="24000")
    with pytest.raises(ValueError, match="^budgets"):
        slaw.allocate(str(CHIN), n_col="N", d_col="D", budgets={"a": 1})


# ------------------------------------------------------------------ 15. a W&B export's rate


def test_a_wandb_exports_learning_rate_is_found_as_its_loss_is(tmp_path):
    df = pd.read_csv(RUN).rename(columns={"step": "Step", "loss": "run-1 - train/loss",
                                          "lr": "run-1 - train/learning_rate"})
    f = tmp_path / "wandb.csv"
    df.to_csv(f, index=False)
    with pytest.warns(UserWarning, match="the learning rate is read from 'run-1 - train/learning_rate'"):
        r = slaw.forecast(df, step_col="Step", fit_until=0.2, bootstrap=0)
    named = slaw.forecast(df, step_col="Step", fit_until=0.2, bootstrap=0,
                          lr_col="run-1 - train/learning_rate")
    assert same(r.to_dict()["forecasts"], named.to_dict()["forecasts"])
    assert "no learning rate" not in r.report()
    out = cli_run("forecast", f, "--step-col", "Step", "--fit-until", "0.2", "--bootstrap", "0",
                  "--json")
    assert out.returncode == 0, out.stderr
    assert "the learning rate is read from 'run-1 - train/learning_rate'" in out.stderr
    assert same(json.loads(out.stdout)["forecasts"], r.to_dict()["forecasts"])
