"""lead53: ``slaw.compare``'s predictions carry the combined laws' spread (``laws_lo``,
``laws_hi``; the CLI's ``laws_range``) and warn, with a ``UserWarning``, when a combined law's
prediction leans on parameters its fit does not pin (the CLI's ``depends_on_unpinned``);
``to_dict()`` equals the CLI's ``--json``."""

import json
import math
import subprocess

import pytest

import slaw

from conftest import cli, same

# Twelve points of a broken power law with 1% noise (the CLI test lead53_compare.rs).
BNSL = """x,loss
1000.0,6.296875392558018
1586.2606242654867,5.848053824226871
2516.222768095131,5.3424049068362915
3991.3850989096127,4.88790662702785
6331.377018680325,4.453052213842578
10043.214062112005,4.053729202055163
15931.1550077977,3.5527780239861912
25270.963887939415,3.1059830662607597
40086.33495267335,2.7744376705840685
63587.374706543036,2.4557017879230236
100866.14869740432,2.208634776395558
160000.0,1.9738601099413766
"""


def test_compare_gives_the_laws_spread_and_warns_of_unpinned_laws(tmp_path):
    f = tmp_path / "bnsl.csv"
    f.write_text(BNSL)
    out = subprocess.run([str(cli()), "compare", str(f), "--x", "x", "--predict", "640000",
                          "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    ref = json.loads(out.stdout)
    with pytest.warns(UserWarning, match="prediction at x = 640000 depends on"):
        r = slaw.compare(str(f), x="x", predict=640000)
    assert same(r.to_dict(), ref)
    p = r.predictions.iloc[0]
    assert p["laws_lo"] <= p["loss"] <= p["laws_hi"]
    assert not math.isnan(p["laws_lo"])
    assert any(n.startswith("warning: ") and "do not pin" in n for n in r.notes)
