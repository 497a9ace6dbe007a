"""ux49 (probe48 finding 4): ``slaw.fit`` on a TensorBoard event file whose tag is logged at
some steps only fits the steps where it is logged, with a ``UserWarning`` saying how many were
dropped, and equals the CLI's ``slaw fit --json``."""

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


def test_fit_of_a_sparse_event_tag_keeps_its_steps():
    out = subprocess.run([str(cli()), "fit", str(EVENTS), "--law", "power", "--x", "step",
                          "--y", "eval/loss", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    ref = json.loads(out.stdout)
    with pytest.warns(UserWarning, match="54 of 60 steps dropped"):
        f = slaw.fit(str(EVENTS), law="power", x="step", y="eval/loss")
    assert same(f.to_dict(), ref["groups"][0])
    assert "54 of 60 steps dropped" in ref["warnings"][0]
