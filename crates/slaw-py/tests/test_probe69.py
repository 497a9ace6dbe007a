"""probe69: ``fit`` raises each fit's warnings as ``UserWarning``s, as the CLI prints them
(``warning: ...``) and as ``compare``, ``forecast``, ``allocate`` and ``select`` raise theirs:
a fit of a power law on 4 points of an error-rate curve (E on a bound, not pinned, a Huber
segment) returned its prediction with no warning at all."""

import subprocess
import warnings

import pandas as pd

import slaw

from conftest import cli

# 4 points of a vision-style error curve (top-1 error; probe69's generator `gen.py few 0`).
FEW = pd.DataFrame({"images": [1e6, 1e7, 1e8, 1e9],
                    "error": [0.889511, 0.795651, 0.493506, 0.231415]})


def raised(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [str(w.message) for w in caught]


def cli_warnings(path, *args):
    out = subprocess.run([str(cli()), "fit", str(path), *args], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [l[len("warning: "):] for l in out.stdout.splitlines() if l.startswith("warning: ")]


def test_fit_raises_the_warnings_the_cli_prints(tmp_path):
    r, said = raised(lambda: slaw.fit(FEW, "power", x="images", y="error", predict=[1e10]))
    assert r.warnings, r.report()
    for w in r.warnings:
        assert w in said, (w, said)
    path = tmp_path / "few.csv"
    FEW.to_csv(path, index=False)
    printed = cli_warnings(path, "--x", "images", "--y", "error", "--law", "power",
                           "--predict", "1e10")
    assert printed == r.warnings, (printed, r.warnings)
    # what they say: E is not pinned, so the prediction is not determined
    assert any("do not pin E" in w for w in said), said


def test_grouped_fit_names_the_group_of_each_warning():
    two = pd.concat([FEW.assign(g="a"), FEW.assign(g="b", error=FEW.error * 1.1)])
    fr, said = raised(lambda: slaw.fit(two, "power", x="images", y="error", group="g"))
    for key in ("a", "b"):
        assert fr[key].warnings
        for w in fr[key].warnings:
            assert f"group {key}: {w}" in said, said


def test_a_clean_fit_raises_no_warning():
    x = [10 ** (3 + k / 4) for k in range(13)]
    clean = pd.DataFrame({"n": x, "loss": [2.0 + 30 * v ** -0.3 * (1 + 0.002 * (-1) ** k)
                                          for k, v in enumerate(x)]})
    r, said = raised(lambda: slaw.fit(clean, "power", x="n"))
    assert r.warnings == [] and said == [], said
