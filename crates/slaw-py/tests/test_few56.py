"""few56 (probe55 finding 4): with 4 points a prediction beyond the data has no
predictive interval; its bootstrap covers the points' noise only. ``no_predictive_interval``
says why, ``to_dict()`` equals the CLI's ``--json``, and the summary labels the bootstrap."""

import json
import subprocess

import slaw

from conftest import cli, same

FOUR = "x,loss\n1000,3.667856\n2000,3.235268\n4000,2.948087\n8000,2.654484\n"


def test_four_points_say_why_there_is_no_predictive_interval(tmp_path):
    f = tmp_path / "four.csv"
    f.write_text(FOUR)
    r = slaw.fit(str(f), "power", x="x", predict=[32000, 4000], bootstrap=30, seed=3)
    out = subprocess.run([str(cli()), "fit", str(f), "--law", "power", "--x", "x",
                          "--predict", "32000", "--predict", "4000", "--bootstrap", "30",
                          "--seed", "3", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert same(r.to_dict(), json.loads(out.stdout)["groups"][0])
    beyond, inside = r.predictions
    assert beyond["no_predictive_interval"].startswith("4 points for a law of 3 parameters")
    assert beyond["extrapolation_interval"] is None
    assert beyond["interval_kind"]["kind"] == "bootstrap"
    assert inside["no_predictive_interval"] is None
    frame = r.predict([32000])
    assert frame["lo"].isna().all() and frame["interval_kind"].isna().all()
    assert (frame["bootstrap_lo"] < frame["loss"]).all()
    assert "the points' noise only, not a predictive interval" in r.report()
