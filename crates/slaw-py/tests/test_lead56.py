"""A missing column in Python names the column probably meant, as the CLI's hint does (without
the CLI's flags): a W&B history export's trainer step, not W&B's count of log calls."""

import re

import pandas as pd
import pytest

import slaw


def _wandb(path, with_global_step):
    steps = list(range(100, 2100, 100))
    df = pd.DataFrame({
        "_step": list(range(len(steps))),
        "train/loss": [4.0 * (s / 100) ** -0.2 + 1.5 for s in steps],
    })
    if with_global_step:
        df["train/global_step"] = steps
        # a second numeric column besides the loss (with the trainer's step alone, it is
        # taken as the step, with a note: test_ux64.py), so that the step must be named
        df["train/epoch"] = [s / 2000 for s in steps]
    df.to_csv(path, index=False)


def test_the_trainer_step_is_suggested(tmp_path):
    path = tmp_path / "history.csv"
    _wandb(path, True)
    with pytest.raises(ValueError, match=re.escape(
            "(the keyword step_col= names this column; did you mean 'train/global_step'?)")):
        slaw.forecast(str(path), loss_col="train/loss")
    # with the suggested column the forecast runs
    fc = slaw.forecast(str(path), step_col="train/global_step", loss_col="train/loss",
                       bootstrap=20)
    assert fc.method and len(fc.frame) > 0


def test_wandb_step_is_suggested_with_what_it_counts(tmp_path):
    path = tmp_path / "history.csv"
    _wandb(path, False)
    with pytest.raises(ValueError) as e:
        slaw.forecast(str(path), loss_col="train/loss")
    msg = str(e.value)
    assert "column 'step': no such column" in msg, msg
    assert "did you mean '_step'? W&B's '_step' counts its log calls" in msg, msg
    assert "--" not in msg, msg
    # a column given by keyword, nothing near: the keyword alone
    with pytest.raises(ValueError, match=re.escape("(the keyword loss_col= names this column)")):
        slaw.forecast(str(path), step_col="_step", loss_col="val_acc")
