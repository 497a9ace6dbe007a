"""compare names the laws in its pick whose backtest refit has a segment of equal Huber
optima (the CLI's line, JSON ``segment_origins``, the frame's ``segment_origins`` column)."""
import pandas as pd

import slaw
from conftest import shared_data


def _curve(model):
    df = pd.read_csv(shared_data("finetune-selection/flan.csv"))
    row = df[df["config name"] == model].iloc[0]
    sizes = list(df.columns[2:16])
    return pd.DataFrame({"n": [float(c) for c in sizes], "loss": [float(row[c]) for c in sizes]})


def test_a_pick_resting_on_a_segment_is_named():
    r = slaw.compare(_curve("facebook/bart-large-xsum"), x="n", predict=[1638400])
    row = r.frame.loc["vanilla-ft"]
    assert row["weight"] > 0 and row["segment_origins"] == "last-2"
    laws = {l["law"]: l for l in r.to_dict()["groups"][0]["laws"]}
    assert laws["vanilla-ft"]["segment_origins"] == ["last-2"]
    assert "backtest refits whose Huber optimum is a segment" in r.report()
