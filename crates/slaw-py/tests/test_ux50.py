"""ux50: ``slaw.compare`` on a TensorBoard event file says, with a ``UserWarning``, the steps it
drops where a tag is not logged (the CLI's ``note:``), and on points that all share one x it
predicts nothing and warns, as ``slaw compare`` (exit 3); both equal the CLI's ``--json``."""

import json
import math
import subprocess

import pytest

import slaw

from conftest import REPO, cli

EVENTS = REPO / "crates/slaw/tests/fixtures/tfevents/events.out.tfevents.slaw-fixture"


def same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def test_compare_on_a_sparse_event_tag_warns_of_the_dropped_steps():
    out = subprocess.run([str(cli()), "compare", str(EVENTS), "--x", "step", "--y", "eval/loss",
                          "--json"], capture_output=True, text=True)
    assert "54 of 60 steps dropped" in out.stderr, out.stderr
    ref = json.loads(out.stdout)
    with pytest.warns(UserWarning, match="54 of 60 steps dropped"):
        r = slaw.compare(str(EVENTS), x="step", y="eval/loss")
    assert same(r.to_dict(), ref)
    assert any("54 of 60 steps dropped" in n for n in r.notes)


def test_compare_on_points_sharing_one_x_predicts_nothing(tmp_path):
    f = tmp_path / "onex.csv"
    f.write_text("n,loss\n1000,2.5\n1000,2.4\n1000,2.6\n1000,2.45\n1000,2.55\n")
    out = subprocess.run([str(cli()), "compare", str(f), "--x", "n", "--y", "loss",
                          "--predict", "1e6", "--json"], capture_output=True, text=True)
    assert out.returncode == 3, out.stderr
    ref = json.loads(out.stdout)
    with pytest.warns(UserWarning, match="no better than a constant"):
        r = slaw.compare(str(f), x="n", y="loss", predict=1e6)
    assert same(r.to_dict(), ref)
    assert ref["predictions"][0]["loss"] is None
    assert math.isnan(r.predictions["loss"][0])
