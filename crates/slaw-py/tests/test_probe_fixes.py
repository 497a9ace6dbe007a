"""The problems a new-user probe of the package found (notes/probe_py.md), one test each:
wrong answers, silent substitutions, errors that do not name the argument, and the places
where the package was not the CLI."""

import io
import json
import re
import subprocess

import numpy as np
import pandas as pd
import pytest

import slaw
from slaw import _native

from conftest import cli, shared_data


def run_cli(*args):
    out = subprocess.run([str(cli()), *map(str, args)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def power_df(n=12, noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    x = np.geomspace(1e3, 1e7, n)
    return pd.DataFrame({"n": x, "loss": (50 / x**0.3 + 1.8) * np.exp(noise * rng.standard_normal(n))})


# ------------------------------------------------------------------ item 1 and 11: init


def test_a_starting_value_outside_the_bounds_is_refused_as_the_cli_does():
    df = power_df()
    # It was accepted, clamped to the bound, and gave a bad fit reported as converged.
    msg = "init: starting value 20 of 'alpha' is outside its bounds [0, 10] " \
          "(widen them with bounds={'alpha': (LOW, HIGH)})"
    with pytest.raises(ValueError, match="^" + re.escape(msg) + "$"):
        slaw.fit(df, law="power", x="n", init={"alpha": [20.0]})
    with pytest.raises(ValueError, match=r"^init: starting value 0.9 of 'alpha' is outside its bounds \[0.1, 0.5\]"):
        slaw.fit(df, law="power", x="n", bounds={"alpha": (0.1, 0.5)}, init={"alpha": [0.9]})
    # Inside the bounds given, accepted.
    r = slaw.fit(df, law="power", x="n", bounds={"alpha": (0.0, 30.0)}, init={"alpha": [20.0]})
    assert r.converged


def test_an_unknown_parameter_is_named_by_the_argument_that_gave_it():
    df = power_df()
    with pytest.raises(ValueError, match=r"^init: law 'power' has no parameter 'zzz'$"):
        slaw.fit(df, law="power", x="n", init={"zzz": [1]})
    with pytest.raises(ValueError, match=r"^bounds: law 'power' has no parameter 'zzz'$"):
        slaw.fit(df, law="power", x="n", bounds={"zzz": (0, 1)})


# ------------------------------------------------------------------ item 2 and 13: compare


def test_the_chosen_law_is_the_best_score_whatever_the_order_of_laws():
    x = np.geomspace(1e3, 1e7, 15)
    r = np.random.default_rng(0)
    d = pd.DataFrame({"n": x, "loss": (50 / x**0.3 + 1.8) * np.exp(0.005 * r.standard_normal(15))})
    chosen = []
    for laws in (["power", "rectified", "vanilla-ft"], ["vanilla-ft", "rectified", "power"],
                 ["power", "vanilla-ft"], ["vanilla-ft", "power"]):
        f = slaw.compare(d, laws, x="n").to_frame()
        assert f["chosen"].sum() == 1
        best = f.loc[f["weight"] == f["weight"].max(), "score"].min()
        assert f.loc[f["chosen"], "score"].iloc[0] == best, f
        chosen.append(f.index[f["chosen"]][0])
    assert "vanilla-ft" not in chosen  # the worst score, chosen before as the last of equal weights
    assert chosen[2] == chosen[3]


def test_compare_is_the_clis_compare_default_pool_m4_authors_and_predict(tmp_path):
    d = power_df(15, 0.005)
    path = tmp_path / "c.csv"
    d.to_csv(path, index=False, float_format="%.17g")
    ref = run_cli("compare", path, "--x", "n", "--y", "loss", "--predict", "1e8", "--predict", "1e9",
                  "--json")
    c = slaw.compare(str(path), x="n", predict=[1e8, 1e9])
    assert c.to_dict() == ref
    assert list(c.to_frame().index) == ["power", "vanilla-ft", "rectified", "bnsl", "m4-authors-capped"]
    p = c.predictions
    assert list(p.columns) == ["group", "x", "loss", "equal_fit_lo", "equal_fit_hi",
                                "laws_lo", "laws_hi", "below_floor"]
    assert p["x"].tolist() == [1e8, 1e9]
    assert p["loss"].tolist() == [q["loss"] for q in ref["predictions"]]
    # a name of the CLI's pool, refused before
    two = slaw.compare(d, ["power", "m4-authors-capped"], x="n")
    assert set(two.to_frame().index) == {"power", "m4-authors-capped"}
    with pytest.raises(ValueError, match=r"^laws: law 'power' is named twice$"):
        slaw.compare(d, ["power", "power"], x="n")
    with pytest.raises(ValueError, match=r"^predict: only the backtest pick predicts"):
        slaw.compare(d, ["power"], x="n", pick="holdout", predict=1e8)
    with pytest.raises(ValueError, match=r"^predict: -1 is not a value of x > 0$"):
        slaw.compare(d, ["power"], x="n", predict=-1)


# ------------------------------------------------------------------ item 4 and 5: groups


def test_plot_draws_the_points_of_a_boolean_group():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    df = power_df()
    g = pd.concat([df.assign(g=True), df.assign(g=False, loss=df.loss * 1.1)]).reset_index(drop=True)
    r = slaw.fit(g, law="power", x="n", group="g")
    assert list(r) == ["0", "1"]   # listed by key (numbers by value), not the rows' order
    for key, want in (("1", df.loss), ("0", df.loss * 1.1)):
        ax = r[key].plot()
        pts = ax.collections[0].get_offsets()
        assert len(pts) == 12
        assert np.allclose(np.asarray(pts)[:, 1], want)


def test_a_missing_group_cell_is_an_error_at_its_row():
    df = power_df()
    g = pd.concat([df.assign(g="a"), df.assign(g="b")]).reset_index(drop=True)
    g.loc[0:3, "g"] = None
    with pytest.raises(ValueError, match=r"^DataFrame, row 0, column 'g': empty cell \(a missing value: NaN or None\)$"):
        slaw.fit(g, law="power", x="n", group="g")


# ------------------------------------------------------------------ items 8, 9, 10: arguments


def test_methods_takes_a_numeric_string_as_the_library_does():
    runs = pd.read_csv(io.StringIO(_native._joint_example_csv(0.01, 1)))
    m = slaw.methods(runs, factors=["model_size", "pretrain_tokens"], at={"model_size": "8e9"},
                     data_size="3e3", bootstrap=20)
    assert m.title == "Fine-tuning method at model_size=8e+09, data 3000"
    assert m.recommended


def test_fit_predict_takes_the_forms_predict_takes():
    df = power_df()
    base = slaw.fit(df, law="power", x="n")
    want = base.predict([1e9, 1e10])["loss"].tolist()
    for p in (np.array([1e9, 1e10]), [1e9, 1e10], pd.DataFrame({"n": [1e9, 1e10]}),
              {"n": [1e9, 1e10]}, [[1e9], [1e10]]):
        r = slaw.fit(df, law="power", x="n", predict=p)
        assert [q["value"] for q in r.predictions] == pytest.approx(want, rel=1e-12), p
    assert [q["value"] for q in slaw.fit(df, law="power", x="n", predict=1e9).predictions] == \
        pytest.approx(want[:1], rel=1e-12)
    # a two-input law: a flat list of 2 values is one point, as FitResult.predict
    n = np.geomspace(1e8, 1e10, 4).repeat(4)
    dd = np.tile(np.geomspace(1e9, 1e11, 4), 4)
    ch = pd.DataFrame({"N": n, "D": dd, "loss": 1.7 + 400 / n**0.34 + 410 / dd**0.28})
    r = slaw.fit(ch, law="chinchilla", x=["N", "D"], predict=[7e10, 1.4e12])
    assert len(r.predictions) == 1
    assert r.predictions[0]["value"] == pytest.approx(r.predict([7e10, 1.4e12])["loss"][0], rel=1e-12)


@pytest.mark.parametrize("kw, msg", [
    ({"x": 3}, r"^x: give a column name \(str\) or a list of them, got int 3$"),
    ({"bounds": {"alpha": 0.5}}, r"^bounds\['alpha'\]: give \(low, high\), got 0.5$"),
    ({"bounds": [("alpha", 0, 1)]}, r"^bounds: give a dict \{parameter: ...\}, got list$"),
    ({"max_iter": "abc"}, r"^max_iter must be a whole number, got str 'abc'$"),
    ({"max_iter": 2.9}, r"^max_iter must be a whole number, got 2.9$"),
    ({"seed": None}, r"^seed must be a whole number, got NoneType None$"),
    ({"seed": 1.7}, r"^seed must be a whole number, got 1.7$"),
    ({"seed": -1}, r"^seed must be a whole number between 0 and 18446744073709551615, got -1$"),
    ({"seed": 2**70}, r"^seed must be a whole number between 0 and 18446744073709551615, got 1180591620717411303424$"),
    ({"bootstrap": True}, r"^bootstrap must be a whole number, got bool True$"),
    ({"starts": 0}, r"^starts must be a whole number between 1 and"),
])
def test_bad_arguments_are_named(kw, msg):
    args = {"law": "power", "x": "n"}
    args.update(kw)
    with pytest.raises(ValueError, match=msg):
        slaw.fit(power_df(), **args)


def test_whole_numbers_as_floats_and_large_seeds_are_accepted():
    df = power_df()
    a = slaw.fit(df, law="power", x="n", bootstrap=20.0, seed=2**64 - 1, max_iter=1000.0)
    b = slaw.fit(df, law="power", x="n", bootstrap=20, seed=2**64 - 1, max_iter=1000)
    assert a.intervals == b.intervals and a.interval_kind == "bootstrap"


# ------------------------------------------------------------------ items 12, 15: results


def test_each_warning_once():
    df = power_df()
    # B and C are pinned only as their product: an identifiability warning, which the fit's
    # warnings hold already (it was listed twice)
    r = slaw.fit(df, formula="B*C/n^alpha + E", params=["B", "C", "alpha", "E"],
                 log_params=["B", "C", "E"], x="n")
    assert any("do not pin" in w for w in r.warnings)
    assert len(r.warnings) == len(set(r.warnings))
    assert sum(line.startswith("    ") for line in r.report().split("[[Warnings]]")[1].splitlines()) \
        == len(r.warnings)


def test_fit_to_dict_is_the_clis_json(tmp_path):
    df = power_df()
    path = tmp_path / "p.csv"
    df.assign(g=["a"] * 6 + ["b"] * 6).to_csv(path, index=False, float_format="%.17g")
    ref = run_cli("fit", path, "--law", "power", "--x", "n", "--y", "loss", "--json")
    r = slaw.fit(str(path), law="power", x="n")
    assert r.to_dict() == ref["groups"][0]
    ref = run_cli("fit", path, "--law", "power", "--x", "n", "--y", "loss", "--group", "g", "--json")
    rs = slaw.fit(str(path), law="power", x="n", group="g")
    assert rs.to_dict() == ref
    assert list(rs["a"].params) == ["A", "alpha", "E"]


def test_a_segment_of_huber_optima_gives_the_range_its_fits_predict(tmp_path):
    # +-2% residuals in a balanced pattern on a doubling ladder: every residual beyond the
    # default delta, a segment of optima; the range at 1e7 is in to_dict (= the CLI's JSON)
    # and in the report.
    n = 200.0 * 2.0 ** np.arange(12)
    e = 0.02 * np.array([1.0, -1.0, -1.0, 1.0] * 3)
    path = tmp_path / "ladder.csv"
    pd.DataFrame({"n": n, "loss": 3.3 * n ** -0.113 * np.exp(e)}).to_csv(
        path, index=False, float_format="%.17g")
    ref = run_cli("fit", path, "--formula", "A / n^alpha", "--params", "A,alpha", "--log-params",
                  "A", "--x", "n", "--y", "loss", "--predict", "1e7", "--json")
    r = slaw.fit(str(path), formula="A / n^alpha", params=["A", "alpha"], log_params=["A"],
                 x="n", predict=[1e7])
    assert r.to_dict() == ref["groups"][0]
    seg = r.predictions[0]["equal_fit_range"]
    assert seg["lo"] <= r.predictions[0]["value"] <= seg["hi"] and seg["hi"] / seg["lo"] > 1.01
    assert "fits as good predict" in r.report()


# ------------------------------------------------------------------ item 16: a replaced level


def test_a_level_above_99_percent_says_it_was_replaced():
    flan = shared_data("finetune-selection/flan.csv")
    sel = slaw.select(str(flan), target=1638400, budget="1/64", level=0.999)
    assert (sel.ranking["level"] == 0.99).all()
    w = [w for w in sel.warnings if w.startswith("level 0.999")]
    assert len(w) == 1 and "99% intervals" in w[0]
    assert any(n == "warning: " + w[0] for n in sel.notes)
    assert not any(w.startswith("level") for w in
                   slaw.select(str(flan), target=1638400, budget="1/64", level=0.99).warnings)


# ------------------------------------------------------------------ item 17: minor


def test_laws_index_is_unique_and_kinds_are_separate():
    fit = slaw.laws()
    assert fit.index.is_unique and fit.loc["power", "kind"] == "fit"
    assert slaw.laws("forecast").loc["power", "kind"] == "forecast"
    every = slaw.laws(None)
    assert every.index.is_unique and ("forecast", "power") in every.index
    with pytest.raises(ValueError, match=r"^kind: 'nope' is not one of fit, forecast"):
        slaw.laws("nope")
    # review41: compare's M4 procedures are listed as in `slaw laws`, and fit explains them.
    procs = slaw.laws("compare_procedures")
    assert list(procs.index) == ["m4-authors", "m4-authors-capped"]
    assert procs.loc["m4-authors", "formula"] == fit.loc["m4", "formula"]
    with pytest.raises(Exception, match="not a catalog law.*the law 'm4'"):
        slaw.fit({"x": [1.0, 2, 4, 8, 16, 32], "loss": [5.0, 4, 3.4, 3, 2.8, 2.7]},
                 law="m4-authors-capped", x="x")


def test_missing_numbers_in_result_frames_are_float_nan():
    flan = shared_data("finetune-selection/flan.csv")
    for method in ("sub-tuning", "zero-shot", "model-size"):
        f = slaw.select(str(flan), target=1638400, budget="1/64", method=method).ranking
        for c in ("predicted_loss", "lo", "hi"):
            assert f[c].dtype == float, (method, c)
    cur = pd.read_csv(shared_data("loss-curves/multipower/25/wsd_20000_24000.csv"))
    fc = slaw.forecast(cur, fit_until=0.3, at=[24000, 30000], method="reciprocal")
    assert fc.frame["observed"].dtype == float and np.isnan(fc.frame.loc[30000, "observed"])
    assert fc.frame.index.dtype == "int64"


def test_run_col_takes_a_list_of_columns():
    x = np.arange(100, 2100, 100)
    one = pd.DataFrame({"step": x, "loss": 3 + 20 / x**0.5})
    df = pd.concat([one.assign(a="r", b=1), one.assign(a="r", b=2, loss=one.loss * 1.01)])
    by_list = slaw.forecast(df, fit_until=0.5, method="power", run_col=["a", "b"], bootstrap=20)
    by_text = slaw.forecast(df, fit_until=0.5, method="power", run_col="a,b", bootstrap=20)
    assert [f.to_dict() for f in by_list] == [f.to_dict() for f in by_text]
    assert len(by_list) == 2


def test_standard_error_intervals_stay_inside_the_bounds():
    d = power_df()
    d.loc[3, "loss"] = -1.0
    r = slaw.fit(d, law="power", x="n", space="linear")
    assert r.interval_kind == "standard-error"
    z = 1.959963984540054
    v, s = r.params["alpha"], r.stderr["alpha"]
    assert v - z * s < 0  # the normal approximation crosses alpha's lower bound 0
    assert r.intervals["alpha"] == (0.0, pytest.approx(v + z * s, rel=1e-9))
    for n, (lo, hi) in r.intervals.items():
        assert lo <= r.params[n] <= hi


# ------------------------------------------------------------------ a short candidate


def test_a_short_candidate_is_not_ranked_and_the_others_are():
    """A candidate with too few affordable sizes is listed in ``unranked`` with why, and the
    others are ranked as without it (the CLI and ``slaw run`` do the same); it stopped the
    selection with an error."""
    sizes = [200 * 2**k for k in range(13)] + [1638400]
    rows = []
    for i in range(5):
        b, dl, beta, e = 20 + 15 * ((i * 5) % 7), 8 + 5 * (i % 4), 0.2 + 0.02 * ((i * 3) % 7), 0.6 + 0.05 * i
        row = {"model": f"m{i}", "0": b / dl + e}
        for n in sizes:
            row[str(n)] = np.nan if i == 1 and n > 200 else b / (dl + n**beta) + e
        rows.append(row)
    pool = pd.DataFrame(rows)
    sel = slaw.select(pool, target=1638400, budget="1/64")
    assert list(sel.unranked["id"]) == ["m1"]
    assert "needs at least 4 affordable sizes" in sel.unranked["reason"][0]
    assert "m1" not in sel.ranking.index and len(sel.ranking) == 4
    assert any("not ranked (m1)" in w for w in sel.warnings)
    rest = slaw.select(pool[pool.model != "m1"], target=1638400, budget="1/64")
    assert list(rest.ranking.index) == list(sel.ranking.index)
    assert len(rest.unranked) == 0 and list(rest.unranked.columns) == ["id", "reason"]


def test_a_bootstrap_too_small_for_its_level_is_refused():
    """bootstrap=1 gave zero-width intervals that excluded the estimate (probe item 7)."""
    with pytest.raises(ValueError, match="too few for a 95% percentile interval: at least 20"):
        slaw.fit(power_df(), law="power", x="n", bootstrap=1)
    assert slaw.fit(power_df(), law="power", x="n", bootstrap=20).intervals


# ------------------------------------------------------------------ probe_afc item 18: log_params


def test_log_params_with_a_built_in_law_is_refused_as_the_cli_does():
    # It was silently ignored: the law's own transforms were used.
    with pytest.raises(ValueError, match=r"log_params=\[\"A\"\]: only with formula="):
        slaw.fit(power_df(), law="power", x="n", log_params=["A"])
    with pytest.raises(ValueError, match=r"params=\[\"A\"\]: only with formula="):
        slaw.fit(power_df(), law="power", x="n", params=["A"])


# ------------------------------------------------------------------ probe_fz item 10 and 7


def test_compare_pick_warns_of_a_constant_x_and_a_far_value_as_the_cli():
    """compare's backtest pick predicted from an x that never varies with no warning (probe_fz
    item 10); a loss of 1e-320 among losses near 2 was silent (item 7)."""
    d = power_df()
    d["n"] = 1000.0
    with pytest.warns(UserWarning, match=r"input 'n' takes one value \(1000\) at every fitted point"):
        c = slaw.compare(d, x="n", predict=1e5)
    assert any("takes one value" in w for w in c.to_dict()["warnings"])
    far = power_df()
    far.loc[5, "loss"] = 1e-320
    with pytest.warns(UserWarning, match=r"row \d+, column 'loss': the value 1e-320 lies"):
        slaw.compare(far, x="n")


def test_forecast_refuses_too_few_bootstrap_replicates():
    """As the CLI (`--bootstrap 2 --level 0.95` exits 2): a percentile interval at 95% needs at least 20."""
    x = np.arange(100, 2100, 100)
    df = pd.DataFrame({"step": x, "loss": 3 + 20 / x**0.5})
    with pytest.raises(Exception, match="too few"):
        slaw.forecast(df, fit_until=0.5, method="power", bootstrap=2, level=0.95)
    ok = slaw.forecast(df, fit_until=0.5, method="power", bootstrap=20, level=0.95)
    assert len(ok.frame) > 0 and ok.frame["hi"].notna().all()


def test_a_group_with_too_few_points_is_skipped_with_a_warning():
    """One group with fewer points than the law's parameters stopped every group's fit
    (an error); it is skipped with a warning, as the CLI's, and the others are fitted."""
    rows = {"run": [], "x": [], "loss": []}
    for run, e in (("a", 1.5), ("b", 1.8)):
        for k in range(8):
            x = 100.0 * 2 ** k
            rows["run"].append(run)
            rows["x"].append(x)
            rows["loss"].append(e + 20.0 / x ** 0.4)
    rows["run"] += ["tiny", "tiny"]
    rows["x"] += [100.0, 200.0]
    rows["loss"] += [4.0, 3.9]
    with pytest.warns(UserWarning, match="group 'tiny'"):
        fits = slaw.fit(pd.DataFrame(rows), "power", x="x", y="loss", group="run")
    assert sorted(fits) == ["a", "b"]
    assert list(fits.skipped["group"]) == ["tiny"]
    assert "3 free parameters" in fits.skipped["reason"][0]
    assert fits["a"].converged
