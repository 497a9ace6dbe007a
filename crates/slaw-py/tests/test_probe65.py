"""probe65: ``methods``' and ``joint``'s ``report()`` print numbers as the CLI does (README:
"as the CLI"): the setting ``model_size = 8e9``, the crossing range ``D_f in [0.3, 1e12]`` and
each crossing as ``slaw methods`` prints them, where the package printed ``8000000000`` and
``1.00000e+12``; ``_num`` is the library's ``numbers::num`` rule."""

import re
import subprocess

import pandas as pd

import slaw
from slaw._results import _num

from conftest import REPO, cli

RUNS = REPO / "examples" / "runs.csv"
FACTORS = ["model_size", "pretrain_tokens", "prompt_len"]


def cli_text(*args):
    out = subprocess.run([str(cli()), *map(str, args)], capture_output=True, text=True)
    assert out.returncode in (0, 3), out.stderr
    return out.stdout


def test_num_is_the_cli_rule():
    # plain between 1e-3 and 1e5 to 6 decimals, trailing zeros dropped
    assert _num(0.9007371234) == "0.900737"
    assert _num(3000.0) == "3000"
    assert _num(20253.9070724) == "20253.907072"
    assert _num(0.004175841) == "0.004176"
    # else 6 significant digits: plain from 1e-4 to 1e6, scientific outside
    assert _num(8e9) == "8e9"
    assert _num(1e12) == "1e12"
    assert _num(2978770.4) == "2.97877e6"
    assert _num(587015.2) == "587015"
    assert _num(0.000123456789) == "0.000123457"
    assert _num(1.2283456e-7) == "1.22835e-7"
    assert _num(999999.7) == "1e6"
    assert _num(-8e9) == "-8e9"
    assert _num(0.0) == "0"
    assert _num(None) == "-" and _num(float("nan")) == "-"


def test_methods_report_numbers_read_as_the_cli_prints_them():
    text = cli_text("methods", RUNS, *sum((["--factor", f] for f in FACTORS), []),
                    "--pet", "prompt_len", "--at", "model_size=8e9", "--data", "3e3")
    m = slaw.methods(pd.read_csv(RUNS), factors=FACTORS, pet="prompt_len",
                     at={"model_size": 8e9}, data_size=3e3)
    report = m.report()
    cli_setting = text.splitlines()[0]
    assert cli_setting.startswith("setting: model_size = 8e9, fine-tuning data D_f = 3000 ")
    assert report.splitlines()[0].startswith(cli_setting), (report, cli_setting)
    cli_range = re.search(r"D_f in \[[^\]]+\]", text).group(0)
    assert cli_range == "D_f in [0.3, 1e12]"
    assert cli_range in report, report
    # the one crossing at the setting, to the CLI's digits
    crossing = re.search(r"lora vs prompt: at model_size = 8e9: (\S+);", text).group(1)
    assert f"lora vs prompt: at model_size = 8e9: {crossing};" in report, report
    assert "8000000000" not in report and "e+" not in report, report


def test_joint_report_shared_parameters_read_as_the_cli_prints_them():
    text = cli_text("joint", RUNS, *sum((["--factor", f] for f in FACTORS), []),
                    "--pet", "prompt_len")
    j = slaw.joint(pd.read_csv(RUNS), factors=FACTORS, pet="prompt_len")
    report = j.report()
    # the multiplicative law's shared term of the first method, as the CLI prints it
    # (each shared parameter with its 95% profile interval beside its standard error)
    shared = re.search(r"shared (beta=\S+ \+/- \S+ \(95% profile \[[^\]]+\]\), "
                       r"E=\S+ \+/- \S+ \(95% profile \[[^\]]+\]\))", text).group(1)
    assert shared in report, (shared, report)
