"""fix54 (probe53 findings 11, 12): the chosen law's own interval beside auto's hull
(``law_interval``), a prediction interval over a decade flagged ``not_determined``, a run
that diverged after its window forecast: each ``to_dict()`` equal to the CLI's ``--json``."""

import json
import subprocess

import slaw

from conftest import cli, same


def power_log(path, n=4000):
    rows = ["step,loss"]
    for t in range(1, n + 1):
        u = ((t * 7919 + 13) % 1000) / 1000.0 - 0.5
        rows.append(f"{t},{(2.0 + 6.0 * t ** -0.35) * (1.0 + 0.02 * u)}")
    path.write_text("\n".join(rows) + "\n")
    return path


def cli_json(*args):
    out = subprocess.run([str(cli()), *map(str, args), "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_auto_choosing_power_gives_powers_own_interval_beside_the_hull(tmp_path):
    f = power_log(tmp_path / "long.csv")
    r = slaw.forecast(str(f), fit_until=0.2, bootstrap=50)
    d = r.to_dict()
    assert same(d, cli_json("forecast", f, "--fit-until", "0.2", "--bootstrap", "50"))
    assert r.method == "power"
    own = r.law_interval
    assert own["law"] == "power" and "64%" in own["covers"]
    p = own["points"][0]
    row = r.frame.loc[int(p["step"])]
    assert row["law_lo"] == p["lo"] and row["law_hi"] == p["hi"]
    # inside the hull, and narrower
    assert row["lo"] <= row["law_lo"] < row["law_hi"] <= row["hi"]
    assert row["law_hi"] - row["law_lo"] < row["hi"] - row["lo"]


RECTIFIED = """x,loss
1000.0,1.4658198089311167
1586.2606242654867,1.4690235351096648
2516.222768095131,1.4622167786511737
3991.3850989096127,1.4607860207253065
6331.377018680325,1.469699534188885
10043.214062112005,1.427243909621945
15931.1550077977,1.4391296027920149
25270.963887939415,1.4282929325623772
40086.33495267335,1.413298277078247
63587.374706543036,1.4142919975965735
100866.14869740432,1.4056756227387204
160000.0,1.4302154999088348
"""


def test_a_prediction_interval_over_a_decade_is_flagged_not_determined(tmp_path):
    f = tmp_path / "rect.csv"
    f.write_text(RECTIFIED)
    r = slaw.fit(str(f), "rectified", x="x", predict=[640000, 2560000])
    d = r.to_dict()
    assert same(d, cli_json("fit", f, "--law", "rectified", "--x", "x",
                            "--predict", "640000", "--predict", "2560000")["groups"][0])
    for p in r.predictions:
        iv = p["extrapolation_interval"]
        assert p["not_determined"] is True
        assert iv["hi"] / iv["lo"] > 10
    assert "not determined by the data (spans" in r.report()


def test_a_run_diverged_after_its_window_is_forecast(tmp_path):
    rows = ["step,loss"]
    for k in range(1, 201):
        t = 100 * k
        rows.append(f"{t},{'nan' if t >= 15000 else 2.0 + 6.0 * t ** -0.3}")
    f = tmp_path / "div.csv"
    f.write_text("\n".join(rows) + "\n")
    r = slaw.forecast(str(f), fit_until=0.3, bootstrap=0)
    assert same(r.to_dict(), cli_json("forecast", f, "--fit-until", "0.3", "--bootstrap", "0"))
    assert any("diverged at step 15000" in w for w in r.warnings)
