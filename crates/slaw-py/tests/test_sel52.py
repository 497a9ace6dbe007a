"""sel52: select's checks of the pool reach Python as ``UserWarning`` (as the CLI's ``warning:``
lines) and in ``to_dict()``, which equals the CLI's ``--json``: a column that rises with the
fine-tuning size (an accuracy read as the loss), a target past the extrapolation the intervals
were calibrated at, intervals that fell back to the bootstrap, parameter counts in billions; a
candidate lacking sizes the others have is a note; unranked candidates make the CLI exit 3."""

import json
import math
import subprocess

import pytest

import slaw

from conftest import cli

LAWS = [("alpha", 199.0, 45.5, 0.33, 0.46), ("beta", 332.0, 85.1, 0.395, 0.88),
        ("gamma", 26.8, 9.92, 0.197, 0.69), ("delta", 6.88, 3.93, 0.184, 1.16),
        ("eps", 20.7, 8.39, 0.18, 0.56), ("zeta", 13.1, 8.33, 0.231, 1.22)]
COUNTS = [1.24e8, 3.5e8, 7.7e8, 1.3e9, 1.5e9, 2.7e9]


def pool_text(value=lambda i, n, l: l, size=lambda i: COUNTS[i]):
    """Six rectified-law candidates at n = 200, ..., 25600, a fixed +-1% pseudo-noise (as
    crates/slaw-cli/tests/sel52_select.rs), long format; ``value`` maps each loss to the value
    written (None: the row left out)."""
    lines = ["model,n,loss,size"]
    for i, (m, b, dl, beta, e) in enumerate(LAWS):
        for k in range(8):
            n = 200.0 * 2 ** k
            h = math.sin((i * 15 + k) * 12.9898) * 43758.5453
            noise = 0.01 * (2 * (h - math.floor(h)) - 1)
            v = value(i, n, (b / (dl + n ** beta) + e) * math.exp(noise))
            if v is not None:
                lines.append(f"{m},{n!r},{v!r},{size(i)!r}")
    return "\n".join(lines) + "\n"


def cli_json(*args, code=0):
    out = subprocess.run([str(cli()), *map(str, args), "--json"], capture_output=True, text=True,
                         check=False)
    assert out.returncode == code, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("case,args,match", [
    ("acc", dict(target=1638400, max_n=25600), "is this column a loss"),
    ("plain", dict(target=26214400, max_n=25600), "calibrated at extrapolations of 8x to 512x"),
    ("plain", dict(target=102400, max_n=1600), "are a bootstrap of the affordable points"),
    ("billions", dict(target=1638400, max_n=25600), "every parameter count is below 1e5"),
])
def test_the_pool_checks_warn_in_python_as_in_the_cli(tmp_path, case, args, match):
    text = {
        "acc": pool_text(value=lambda i, n, l: 1.0 - l / 5.0),
        "plain": pool_text(),
        "billions": pool_text(size=lambda i: COUNTS[i] / 1e9),
    }[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text)
    with pytest.warns(UserWarning, match=match):
        sel = slaw.select(str(path), **args)
    ref = cli_json("select", path, "--target", args["target"], "--max-n", args["max_n"])
    assert sel.to_dict() == ref
    assert any(match in w for w in ref["warnings"]), ref["warnings"]


def test_missing_sizes_note_and_unranked_exit_3(tmp_path):
    # beta lacks 12800 and 25600; delta has only those two sizes (not ranked).
    def value(i, n, l):
        if i == 1 and n > 6400:
            return None
        if i == 3 and n < 12800:
            return None
        return l
    path = tmp_path / "gaps.csv"
    path.write_text(pool_text(value=value))
    sel = slaw.select(str(path), target=1638400, max_n=25600)
    ref = cli_json("select", path, "--target", 1638400, "--max-n", 25600, code=3)
    assert sel.to_dict() == ref
    assert list(sel.unranked["id"]) == ["delta"]
    assert any(n.startswith("beta has no loss at 12800, 25600, measured for the others: "
                            "extrapolated from 6400") for n in ref["notes"]), ref["notes"]
