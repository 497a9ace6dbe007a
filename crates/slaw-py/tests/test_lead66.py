"""lead66: a schedule-aware law on a learning rate that never decays — the annealing terms
that change no fitted point and no forecast are named in ``ForecastResult.unused_params``
(the CLI JSON's ``unused_params``), ``report()`` lists them apart from the fitted parameters,
and ``to_dict()`` equals the CLI's ``--json``."""

import json
import math
import subprocess

import pandas as pd

import slaw

from conftest import cli, same


def constant_rate_log() -> pd.DataFrame:
    rows = []
    for i in range(1, 201):
        step = 100.0 * i
        lr = 3e-4 * step / 500.0 if step <= 500.0 else 3e-4
        loss = (2.0 + 1.5 * (3e-4 * step) ** -0.35) * (1.0 + 0.002 * math.sin(i * 2.399))
        rows.append({"step": step, "lr": lr, "loss": round(loss, 6)})
    return pd.DataFrame(rows)


def test_unused_annealing_terms_are_named(tmp_path):
    df = constant_rate_log()
    path = tmp_path / "constant.csv"
    df.to_csv(path, index=False)
    r = slaw.forecast(df, method="multipower", fit_until=0.3, name="constant")
    assert r.unused_params == ["B", "C", "beta", "gamma"]
    assert set(r.unused_params) <= set(r.params)  # values kept, where the search left them
    text = r.report()
    line = next(l for l in text.splitlines() if l.startswith("parameters: "))
    assert "L0=" in line and " B=" not in line and " gamma=" not in line
    assert "not determined, and not used by the forecast: B, C, beta, gamma" in text
    out = subprocess.run(
        [str(cli()), "forecast", str(path), "--method", "multipower", "--fit-until", "0.3",
         "--json"], capture_output=True, text=True, check=True)
    assert same(r.to_dict(), json.loads(out.stdout))
    # a step-only law: nothing unused, the attribute an empty list
    assert slaw.forecast(df, method="reciprocal", fit_until=0.3).unused_params == []
