"""Probe 55, finding 7: what the CLI answers with exit status 3 is also a ``UserWarning`` in
Python: a method left out of ``methods``' decision and a ``fit`` that failed."""

import io

import pandas as pd
import pytest

import slaw
from slaw import _native


def test_methods_warns_of_a_method_left_out_of_the_decision(tmp_path):
    df = pd.read_csv(io.StringIO(_native._joint_example_csv(0.005, 2)))
    # the model-size runs only; prompt at a single model size (nothing to fit)
    df = df[df["model_size"].notna()]
    df = df[~((df["method"] == "prompt") & (df["model_size"] != 1e9))]
    path = tmp_path / "runs.csv"
    df.to_csv(path, index=False)
    with pytest.warns(UserWarning, match="method 'prompt' left out of the decision"):
        m = slaw.methods(str(path), factors=["model_size"], at={"model_size": 3e9},
                         data_size=1e3, bootstrap=20)
    assert list(m.left_out["method"]) == ["prompt"]
    assert m.recommended != "prompt"


def test_a_fit_no_better_than_a_constant_warns(tmp_path):
    path = tmp_path / "flat.csv"
    pd.DataFrame({"x": [1000, 2000, 4000, 8000, 16000, 32000],
                  "loss": [2.5, 2.6, 2.45, 2.55, 2.52, 2.49]}).to_csv(path, index=False)
    with pytest.warns(UserWarning, match="the fit did not converge \\(no_better_than_constant"):
        f = slaw.fit(str(path), law="power", x="x", y="loss")
    assert not f.converged
