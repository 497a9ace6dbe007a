"""ux68: FitResults.skipped and SelectionResult.unranked are DataFrames (group, reason / id,
reason), as JointResult.skipped and ForecastResults.skipped; to_dict() stays the CLI's --json."""

import json
import subprocess

import pandas as pd
import pytest

import slaw
from conftest import cli, same


def cli_json(*args, code=0):
    out = subprocess.run([str(cli()), *map(str, args), "--json"], capture_output=True, text=True,
                         check=False)
    assert out.returncode == code, out.stderr
    return json.loads(out.stdout)


def groups_csv(path):
    """Two groups of 8 points of a power law and a group 'tiny' of 2 (too few to fit)."""
    lines = ["run,x,loss"]
    for run, e in (("a", 1.5), ("b", 2.0)):
        for k in range(8):
            x = 100.0 * 2**k
            lines.append(f"{run},{x},{e + 20.0 / x ** 0.4!r}")
    lines += ["tiny,100,4.0", "tiny,200,3.9"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_fit_results_skipped_is_a_frame_of_the_json_rows(tmp_path):
    path = groups_csv(tmp_path / "g.csv")
    with pytest.warns(UserWarning, match="group 'tiny'"):
        fits = slaw.fit(str(path), "power", x="x", y="loss", group="run")
    ref = cli_json("fit", path, "--law", "power", "--x", "x", "--group", "run", code=3)
    assert same(fits.to_dict(), ref)
    sk = fits.skipped
    assert isinstance(sk, pd.DataFrame)
    assert list(sk.columns) == ["group", "reason"]
    assert sk.to_dict("records") == ref["skipped"]
    assert list(sk["group"]) == ["tiny"] and "3 free parameters" in sk["reason"][0]
    # none skipped: an empty frame with the same columns
    two = slaw.fit(pd.read_csv(path).query("run != 'tiny'"), "power", x="x", y="loss",
                   group="run")
    assert isinstance(two.skipped, pd.DataFrame) and len(two.skipped) == 0
    assert list(two.skipped.columns) == ["group", "reason"]


def pool_csv(path):
    """A long pool of 5 candidates; 'short' has only two affordable sizes (not ranked)."""
    lines = ["model,n,loss"]
    for i in range(5):
        b, dl, beta, e = 20 + 15 * ((i * 5) % 7), 8 + 5 * (i % 4), 0.2 + 0.02 * ((i * 3) % 7), \
            0.6 + 0.05 * i
        name = "short" if i == 1 else f"m{i}"
        sizes = [200 * 2**k for k in range(8)]
        if name == "short":
            sizes = sizes[:2]
        for n in sizes:
            lines.append(f"{name},{n},{b / (dl + n**beta) + e!r}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_selection_unranked_is_a_frame_of_the_json_rows(tmp_path):
    path = pool_csv(tmp_path / "pool.csv")
    with pytest.warns(UserWarning):
        sel = slaw.select(str(path), target=1638400, max_n=25600)
    ref = cli_json("select", path, "--target", 1638400, "--max-n", 25600, code=3)
    assert sel.to_dict() == ref
    un = sel.unranked
    assert isinstance(un, pd.DataFrame)
    assert list(un.columns) == ["id", "reason"]
    # the JSON's rows, their id and reason (the JSON's index, the pool position, is in to_dict())
    assert un.to_dict("records") == [{"id": u["id"], "reason": u["reason"]}
                                     for u in ref["unranked"]]
    assert list(un["id"]) == ["short"] and "affordable sizes" in un["reason"][0]
    assert "short" not in sel.ranking.index
    # every candidate ranked: an empty frame with the same columns
    rest = slaw.select(pd.read_csv(path).query("model != 'short'"), target=1638400,
                       max_n=25600)
    assert isinstance(rest.unranked, pd.DataFrame) and len(rest.unranked) == 0
    assert list(rest.unranked.columns) == ["id", "reason"]
