"""select's messages name the file (or "DataFrame") and row as the CLI's do (notes/probe45.md,
finding 5): unranked candidates' reasons, warnings about one candidate's point, and the error
when no candidate can be scored; to_dict() equals the CLI's --json."""

import json
import math
import re
import subprocess

import pandas as pd
import pytest

import slaw

from conftest import cli

LAWS = [("alpha", 199.0, 45.5, 0.33, 0.46), ("beta", 332.0, 85.1, 0.395, 0.88),
        ("gamma", 26.8, 9.92, 0.197, 0.69), ("delta", 6.88, 3.93, 0.184, 1.16),
        ("eps", 20.7, 8.39, 0.18, 0.56), ("zeta", 13.1, 8.33, 0.231, 1.22)]


def pool_text(spike=None):
    """Six rectified-law candidates, n = 0, 200, ..., 1638400, a fixed pseudo-noise of +-1% (as
    crates/slaw-cli/tests/select_odd_pools.rs); `spike`: (model, n, factor); plus a candidate
    'short' with one size (not ranked). Row 2 is alpha's zero-shot loss, 15 rows a model."""
    lines = ["model,n,loss"]
    for i, (m, b, dl, beta, e) in enumerate(LAWS):
        for k in range(15):
            n = 0.0 if k == 0 else 200.0 * 2 ** (k - 1)
            h = math.sin((i * 15 + k) * 12.9898) * 43758.5453
            noise = 0.01 * (2 * (h - math.floor(h)) - 1)
            f = spike[2] if spike and spike[0] == m and spike[1] == n else 1.0
            lines.append(f"{m},{n!r},{(b / (dl + n ** beta) + e) * math.exp(noise) * f!r}")
    lines.append("short,200.0,2.5")
    return "\n".join(lines) + "\n"


def cli_run(*args):
    return subprocess.run([str(cli()), *map(str, args)], capture_output=True, text=True, check=False)


def test_select_names_the_file_and_row_as_the_cli_does(tmp_path):
    path = tmp_path / "spike.csv"
    path.write_text(pool_text(("beta", 3200.0, 1.2)))
    out = cli_run("select", path, "--target", 1638400, "--budget", "1/64", "--json")
    # 'short' is not ranked beside the others: a partial result, exit 3 (sel52).
    assert out.returncode == 3, out.stderr
    ref = json.loads(out.stdout)
    sel = slaw.select(str(path), target=1638400, budget="1/64")
    assert sel.to_dict() == ref
    # The unranked candidate's reason and the spike's warning name the file and row.
    assert sel.to_dict()["unranked"][0]["reason"].startswith(f"{path}, row 92: candidate 'short':")
    spike = [w for w in sel.warnings if "times the pool's noise" in w]
    assert len(spike) == 1 and spike[0].startswith(f"{path}, row 22: candidate 'beta': the loss "), spike
    # A DataFrame: rows numbered as df.iloc (file row - 2).
    # Exact floats (pandas 2's default parser may differ in the last digit; pandas 3's is exact).
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    df = pd.read_csv(path, **exact)
    d = slaw.select(df, target=1638400, budget="1/64").to_dict()
    assert d["unranked"][0]["reason"].startswith("DataFrame, row 90: candidate 'short':")
    assert [w for w in d["warnings"] if "times the pool's noise" in w][0].startswith(
        "DataFrame, row 20: candidate 'beta': the loss ")
    # Everything else as the file's.
    for key in ("ranking", "choice", "calibration", "notes"):
        assert d[key] == ref[key], key


def test_no_candidate_scored_names_the_first_ones_row(tmp_path):
    path = tmp_path / "all_short.csv"
    path.write_text("model,n,loss\nalpha,200,2.5\nbeta,200,2.4\n")
    out = cli_run("select", path, "--target", 1638400, "--budget", "1/64")
    assert out.returncode == 2
    msg = out.stderr.strip().removeprefix("error: ")
    assert msg.startswith(f"{path}, row 2: candidate 'alpha':"), msg
    with pytest.raises(ValueError, match="^" + re.escape(msg) + "$"):
        slaw.select(str(path), target=1638400, budget="1/64")
    df = pd.DataFrame({"model": ["alpha", "beta"], "n": [200, 200], "loss": [2.5, 2.4]})
    with pytest.raises(ValueError, match=r"^DataFrame, row 0: candidate 'alpha': "):
        slaw.select(df, target=1638400, budget="1/64")


def test_the_budget_message_says_what_was_given():
    df = pd.DataFrame({"model": ["a", "a"], "n": [200, 400], "loss": [2.5, 2.4]})
    with pytest.raises(ValueError, match=r"^give the budget: budget='1/R' \(a fraction of target\) or max_n=N$"):
        slaw.select(df, target=1638400)
    with pytest.raises(ValueError, match=r"not both$"):
        slaw.select(df, target=1638400, budget="1/64", max_n=25600)


def test_fx47b_weak_drift_warning_and_evidence_as_the_cli(tmp_path):
    """fx47b: a drift correction larger than its evidence is warned about in to_dict() as in the
    CLI's --json, with the calibration's evidence (half the candidates flatten, half steepen)."""
    lines = ["model,n,loss"]
    for j, b in enumerate([0.01, 0.01, 0.01, -0.004, -0.004, -0.004]):
        for i in range(8):
            n = 200.0 * 2 ** i
            x = math.log(n / 200.0)
            lines.append(f"m{j},{n!r},{math.exp(1.2 + 0.02 * j - 0.12 * x + b * x * x)!r}")
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(lines) + "\n")
    out = cli_run("select", path, "--target", 1638400, "--max-n", 25600, "--method", "ats", "--json")
    assert out.returncode == 0, out.stderr
    ref = json.loads(out.stdout)
    d = slaw.select(str(path), target=1638400, max_n=25600, method="ats").to_dict()
    assert d == ref
    assert d["calibration"]["recent_evidence"]["same_sign"] == 3
    # a note since sel54 (it fired on most known-truth pools without marking lower coverage)
    assert any("more than its evidence supports" in w for w in d["notes"]), d["notes"]
    assert not any("more than its evidence supports" in w for w in d["warnings"]), d["warnings"]
