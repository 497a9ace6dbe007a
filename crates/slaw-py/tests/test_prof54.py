"""prof54: ``fit(..., profile=True)``: the profile-likelihood intervals in
``FitResult.intervals`` (``interval_kind == "profile"``, an open side reaching the bound),
``to_dict()`` equal to the CLI's ``slaw fit --profile --json``."""

import json
import math
import pathlib
import subprocess

import pytest

import slaw

from conftest import cli, same

DATA = pathlib.Path(__file__).resolve().parents[2] / "slaw-cli" / "tests" / "data" / "prof54_rectified_prepower.csv"


def test_profile_intervals_equal_the_cli_and_say_an_open_side():
    r = slaw.fit(str(DATA), "rectified", x="x", profile=True)
    assert r.interval_kind == "profile"
    lo, hi = r.intervals["E"]
    assert r.open_sides["E"] == (True, False)
    # open below: reaches the floor's bound (near 0); closed above the estimate
    assert 0.0 <= lo < 1e-6 and hi > r.params["E"]
    assert "E" in r.to_dict()["fit"]["identifiability"]["loose"]
    out = subprocess.run([str(cli()), "fit", str(DATA), "--law", "rectified", "--x", "x",
                          "--profile", "--json"], capture_output=True, text=True, check=True)
    assert same(r.to_dict(), json.loads(out.stdout)["groups"][0])
    # without it: the standard errors' intervals, no profile in the result
    plain = slaw.fit(str(DATA), "rectified", x="x")
    assert plain.interval_kind == "standard-error"
    assert "profile" not in plain.to_dict()


def test_profile_keyword_takes_only_a_flag():
    with pytest.raises(ValueError, match="profile="):
        slaw.fit(str(DATA), "rectified", x="x", profile="yes")
