"""compare(drift=False): the backtest pick without its learned drift correction, equal to the
CLI's --no-drift JSON; a prediction above the drift-corrected one."""
import json
import math
import subprocess

import pytest

import slaw

from conftest import cli  # noqa: F401  (the CLI binary beside the package's build)


def curve(path):
    z = [0.3, -1.1, 0.8, 1.4, -0.6, -0.2, 1.0, -1.5, 0.4, -0.9, 1.2, -0.1]
    rows = ["images,error"]
    for i, e in enumerate(z):
        x = 1e5 * 1000 ** (i / 11)
        rows.append(f"{x:.6e},{(0.05 + 8 * x ** -0.2) * math.exp(0.005 * e):.8f}")
    path.write_text("\n".join(rows) + "\n")


def test_no_drift_is_the_clis(tmp_path):
    f = tmp_path / "vis.csv"
    curve(f)
    r = slaw.compare(str(f), x="images", y="error", predict=1e9, drift=False)
    out = subprocess.run([str(cli()), "compare", str(f), "--x", "images", "--y", "error",
                          "--predict", "1e9", "--no-drift", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    j = json.loads(out.stdout)
    assert r.to_dict()["predictions"] == j["predictions"]
    assert j["groups"][0]["rule"]["correction"]["kind"] == "none"
    with_drift = slaw.compare(str(f), x="images", y="error", predict=1e9)
    assert r.predictions["loss"].iloc[0] > with_drift.predictions["loss"].iloc[0]
    with pytest.raises(ValueError, match="drift"):
        slaw.compare(str(f), x="images", y="error", drift="no")
