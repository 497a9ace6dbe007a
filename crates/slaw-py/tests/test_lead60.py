"""lead60: ``methods``' critical table says which method is lower on each side of a
critical data size (``lower_between``), as the CLI's ``--json`` does."""

import pathlib

import slaw

RUNS = pathlib.Path(__file__).resolve().parents[3] / "examples" / "runs.csv"


def test_methods_critical_table_names_the_lower_method_on_each_side():
    m = slaw.methods(str(RUNS), factors=["model_size", "pretrain_tokens", "prompt_len"],
                     pet=["prompt_len"], at={"model_size": 2e9}, data_size=1e5)
    row = m.critical[(m.critical.method_1 == "fmt") & (m.critical.method_2 == "prompt")].iloc[0]
    assert row.lower_between == ["prompt", "fmt"]
    crit = m.to_dict()["recommendation"]["critical"]
    fp = [c for c in crit if c["methods"] == ["fmt", "prompt"]][0]
    assert fp["lower_between"] == ["prompt", "fmt"]
    assert len(fp["at_setting"]) == 1
