"""Probe 45, findings 4, 6, 10 and 11: the Python results carry what the CLI says (methods'
and joint's reports, warnings, critical sizes; forecast per run as the CLI's JSON), the
held-out comparison of the two joint forms warns when it favours the form not used, the
shared parameters carry standard errors, and a method that cannot be fitted is left out."""

import io
import json
import math
import random
import subprocess

import pandas as pd
import pytest

import slaw
from slaw import _native

from conftest import cli

FACTORS = ["model_size", "pretrain_tokens"]


def run_cli(*args, ok=(0,)):
    out = subprocess.run([str(cli()), *map(str, args)], capture_output=True, text=True, check=False)
    assert out.returncode in ok, out.stderr
    return out.stdout


def same(a, b):
    """Equal up to float formatting of the JSON round trip (numbers within 1e-12)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def additive_runs(seed=0, noise=0.01):
    """Runs of a clearly additive joint law (probe 45's gen_joint_add.py, two factors)."""
    rng = random.Random(seed)
    laws = {"full": (1.0, 0.30, {"model_size": (80, 0.15), "pretrain_tokens": (60, 0.10)}),
            "lora": (1.05, 0.25, {"model_size": (60, 0.14), "pretrain_tokens": (45, 0.09)}),
            "prompt": (1.1, 0.2, {"model_size": (40, 0.12), "pretrain_tokens": (30, 0.08)})}
    xs = {"model_size": [1e8, 3e8, 1e9, 2e9, 4e9],
          "pretrain_tokens": [1e10, 3e10, 1e11, 3e11, 1e12]}
    lines = ["method,model_size,pretrain_tokens,data,loss"]
    for m, (e, b, fs) in laws.items():
        for f, (a, alpha) in fs.items():
            for x in xs[f]:
                for d in [1e3, 3e3, 1e4, 3e4, 1e5, 3e5]:
                    loss = (a / x ** alpha + 20 / d ** b + e) * math.exp(rng.gauss(0, noise))
                    cells = {"model_size": "", "pretrain_tokens": ""}
                    cells[f] = repr(x)
                    lines.append(f"{m},{cells['model_size']},{cells['pretrain_tokens']},{d!r},{loss!r}")
    return "\n".join(lines) + "\n"


def methods_both(path, form, bootstrap=20, ok=(0,)):
    cli_args = ["methods", path, "--factor", "model_size", "--factor", "pretrain_tokens",
                "--at", "model_size=8e9", "--data", "3e3", "--bootstrap", bootstrap,
                "--form", form]
    text = run_cli(*cli_args, ok=ok)
    ref = json.loads(run_cli(*cli_args, "--json", ok=ok))
    m = slaw.methods(str(path), factors=FACTORS, at={"model_size": 8e9}, data_size=3e3,
                     bootstrap=bootstrap, form=form)
    return m, ref, text


def test_methods_warns_when_the_held_out_comparison_favours_the_other_form(tmp_path):
    """Finding 4, both directions: multiplicative runs decided with the additive form, and
    additive runs decided with the multiplicative (default) form, warn in the result's
    warnings and report (naming form=...), as the CLI does (naming --form)."""
    mult = tmp_path / "mult.csv"
    mult.write_text(_native._joint_example_csv(0.005, 2))
    add = tmp_path / "add.csv"
    add.write_text(additive_runs())
    for path, used, other in [(mult, "additive", "multiplicative"),
                              (add, "multiplicative", "additive")]:
        m, ref, text = methods_both(path, used)
        assert same(m.to_dict(), ref)
        assert m.other_form_better, path
        assert m.other_form_better == ref["recommendation"]["other_form_better"]
        assert m.warnings == ref["recommendation"]["warnings"]
        for meth in m.other_form_better:
            assert any(w.startswith(f"method {meth}: the {other} law predicts the held-out runs "
                                    f"better than the {used} law used here") for w in m.warnings)
        assert f"--form {other}" in text
        assert f"form='{other}'" in m.report()
        # the form of the data: no such warning
        good, ref, _ = methods_both(path, other)
        assert good.other_form_better == [] and same(good.to_dict(), ref)
        assert not any("predicts the held-out runs better" in w for w in good.warnings)


def test_methods_report_carries_what_the_cli_prints(tmp_path):
    """Finding 6: the report has the separation verdict, the critical data sizes at the setting
    with their bootstrap intervals, the warnings and notes; .critical is a DataFrame."""
    path = tmp_path / "runs.csv"
    path.write_text(_native._joint_example_csv(0.005, 2))
    m, ref, text = methods_both(path, "multiplicative")
    rep = m.report()
    rec_line = next(l for l in text.splitlines() if l.startswith("recommended: "))
    assert rec_line in rep
    assert "critical fine-tuning data size" in rep
    for w in ref["recommendation"]["warnings"]:
        assert f"warning: {w}" in rep and f"warning: {w}" in text
    for n in ref["recommendation"]["info"]:
        assert f"note: {n}" in rep and f"note: {n}" in text
    assert isinstance(m.critical, pd.DataFrame) and len(m.critical) == 3
    for c, raw in zip(m.critical.itertuples(index=False), ref["recommendation"]["critical"]):
        assert [c.method_1, c.method_2] == raw["methods"]
        assert c.at_setting == raw["at_setting"]
        line = f"  {c.method_1} vs {c.method_2}: "
        assert line in rep
        iv = raw["at_setting_interval"]["interval"]
        if iv:
            assert math.isclose(c.lo, iv["lo"]) and math.isclose(c.hi, iv["hi"])
    assert m.recommended == ref["recommendation"]["recommended"]
    assert m.separated == ref["recommendation"]["separated"]


def test_warnings_concern_the_form_used(tmp_path):
    """Finding 11: with the multiplicative form the warnings name no additive fit; the
    additive fits' warnings are only counted in a note."""
    path = tmp_path / "add.csv"
    path.write_text(additive_runs())
    m, ref, _ = methods_both(path, "multiplicative")
    fits = ref["fits"]
    assert not any(": additive law" in w for w in m.warnings)
    n_add = sum(len(f["forms"][1]["warnings"]) for f in fits)
    noted = any(n.startswith(f"the additive law, not used for this decision, has {n_add}")
                for n in m.info)
    assert noted == (n_add > 0)


def test_a_method_that_cannot_be_fitted_is_left_out(tmp_path):
    """Finding 11: a method with a single model size is left out with a warning, as the CLI."""
    df = pd.read_csv(io.StringIO(_native._joint_example_csv(0.005, 2)))
    df = df[~((df["method"] == "lora") & df["model_size"].notna() & (df["model_size"] != 1e9))]
    path = tmp_path / "runs.csv"
    df.to_csv(path, index=False)
    # a method left out: a partial result, exit 3 (ux50), as joint's skipped methods
    m, ref, text = methods_both(path, "multiplicative", bootstrap=0, ok=(3,))
    assert same(m.to_dict(), ref)
    assert list(m.left_out["method"]) == ["lora"]
    assert "a single value" in m.left_out["reason"][0]
    assert "lora" not in m.to_frame().index
    assert m.warnings[0].startswith("method 'lora' left out of the decision")
    assert "warning: method 'lora' left out" in text


def test_joint_result_warnings_standard_errors_and_verdict(tmp_path):
    """Findings 6 and 10: joint's result has the warnings, the shared parameters' standard
    errors (frame columns <name>_se, report '+/-') and the held-out verdict."""
    path = tmp_path / "runs.csv"
    path.write_text(_native._joint_example_csv(0.005, 2))
    ref = json.loads(run_cli("joint", path, "--factor", "model_size", "--factor",
                             "pretrain_tokens", "--json"))
    j = slaw.joint(str(path), factors=FACTORS)
    assert same(j.to_dict(), ref)
    fits = ref["fits"]
    assert j.warnings == ref["warnings"]
    assert j.warnings == [f"method {m['method']}: {w}" for m in fits for w in m["warnings"]]
    assert ref["skipped"] == [] and len(j.skipped) == 0
    f = j.to_frame()
    assert {"beta_se", "E_se"} <= set(f.columns)
    se = fits[0]["forms"][0]["shared_std_errors"]
    assert math.isclose(f.loc[(fits[0]["method"], "multiplicative"), "beta_se"], se["beta"])
    rep = j.report()
    assert "+/-" in rep and "generalizes better" in rep
    for m in fits:
        for w in m["warnings"]:
            assert f"  warning: {w}" in rep
    assert list(j.held_out.index) == [m["method"] for m in fits if m["held_out"]]


def test_joint_fits_what_it_can_and_lists_the_rest(tmp_path):
    """ux49 (probe48 finding 2): a method, or a factor of a method, that cannot be fitted is
    skipped with its reason (``skipped`` DataFrame, ``UserWarning``) while the others are
    fitted, as the CLI's JSON (``fits``, ``skipped``, ``warnings``) and its exit status 3."""
    df = pd.read_csv(io.StringIO(_native._joint_example_csv(0.005, 2)))
    # lora: a single model size (its pretraining runs still fit); prompt: a single model size
    # and no pretraining runs (nothing to fit)
    df = df[~((df["method"] == "lora") & df["model_size"].notna() & (df["model_size"] != 1e9))]
    df = df[~((df["method"] == "prompt") & (df["model_size"].isna()
                                           | (df["model_size"] != 1e9)))]
    path = tmp_path / "runs.csv"
    df.to_csv(path, index=False)
    ref = json.loads(run_cli("joint", path, "--factor", "model_size", "--factor",
                             "pretrain_tokens", "--json", ok=(3,)))
    with pytest.warns(UserWarning, match="not fitted"):
        j = slaw.joint(str(path), factors=FACTORS)
    assert same(j.to_dict(), ref)
    assert [m["method"] for m in ref["fits"]] == ["fmt", "lora"]
    sk = j.skipped
    assert list(sk["method"]) == ["lora", "prompt"]
    assert sk["factor"][0] == "model_size" and sk["factor"][1] is None
    assert all("a single value" in r for r in sk["reason"])
    assert j.warnings == ref["warnings"]
    assert j.warnings[0].startswith("method 'prompt' not fitted: ")
    assert set(j.to_frame().index.get_level_values("method")) == {"fmt", "lora"}
    assert "warning: method 'prompt' not fitted" in j.report()


def test_forecast_per_run_is_the_clis_json(tmp_path):
    """Finding 6: forecast(..., run_col=...) returns a list-like result whose to_dict() is the
    CLI's --json (forecasts, skipped, warnings)."""
    rng = random.Random(1)
    rows = ["run,step,loss"]
    for run, n in [("a", 60), ("b", 60), ("c", 2)]:
        for s in range(1, n + 1):
            t = 100 * s
            rows.append(f"{run},{t},{(8 * t ** -0.3 + 2) * math.exp(rng.gauss(0, 0.005))!r}")
    path = tmp_path / "runs.csv"
    path.write_text("\n".join(rows) + "\n")
    ref = json.loads(run_cli("forecast", path, "--run-col", "run", "--fit-until", 0.5,
                             "--method", "power", "--bootstrap", 20, "--json", ok=(3,)))
    with pytest.warns(UserWarning):
        out = slaw.forecast(str(path), run_col="run", fit_until=0.5, method="power",
                            bootstrap=20)
    assert isinstance(out, list) and isinstance(out, slaw.ForecastResults)
    assert [o.curve for o in out] == ["a", "b"]
    assert same(out.to_dict(), ref)
    assert set(ref) >= {"forecasts", "skipped", "warnings"}
    assert out.skipped.to_dict("records") == ref["skipped"] and len(out.skipped) == 1
    assert out.warnings == ref["warnings"]
    # report() is the CLI's table of runs, the skipped run counted
    text = run_cli("forecast", path, "--run-col", "run", "--fit-until", 0.5, "--method", "power",
                   "--bootstrap", 20, ok=(3,))
    assert out.report() == text.rstrip("\n") and "1 skipped" in out.report()


def test_select_budget_message_and_missing_file(tmp_path):
    """Finding 6: no budget is not called 'both'; a missing file is FileNotFoundError."""
    df = pd.DataFrame({"model": ["a"] * 3, "n": [100, 200, 400], "loss": [3.0, 2.8, 2.7]})
    with pytest.raises(ValueError) as e:
        slaw.select(df, target=1638400)
    assert "not both" not in str(e.value) and "budget=" in str(e.value)
    with pytest.raises(ValueError, match="not both"):
        slaw.select(df, target=1638400, budget="1/64", max_n=400)
    with pytest.raises(FileNotFoundError):
        slaw.select(str(tmp_path / "nope.csv"), target=1638400, budget="1/64")
    with pytest.raises(FileNotFoundError):
        slaw.joint(str(tmp_path / "nope.csv"), factors=FACTORS)
