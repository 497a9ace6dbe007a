"""txt62 (probe61 findings 1, 10): the fields the CLI's --json gained are in the Python
results too: ``allocate``'s rows say where a method's exponent interval reaching 0 leaves
N_opt not determined (``growth_not_determined``), ``methods`` how many bootstrap replicates
were drawn beside those that converged (``replicates_drawn``); each ``to_dict()`` equal to the
CLI's ``--json``."""

import json
import subprocess

import slaw

from conftest import REPO, cli, same


def cli_json(*args):
    out = subprocess.run([str(cli()), *map(str, args), "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_allocate_rows_carry_growth_not_determined():
    f = REPO / "examples" / "scaling_results.csv"
    r = slaw.allocate(str(f), n_col="N", d_col="D", flops_col="C",
                      where={"portion_steps_elapsed": 1}, best_per_size=True, method="all")
    assert same(r.to_dict(), cli_json("allocate", f, "--n-col", "N", "--d-col", "D",
                                      "--flops-col", "C", "--where", "portion_steps_elapsed=1",
                                      "--best-per-size", "--method", "all"))
    frame = r.frame
    assert "growth_not_determined" in frame.columns
    env = frame[frame["method"] == "envelope"]
    # The envelope's a interval is [-1, 1]: every budget outside its regression's compute
    # (1.2e18 .. 1.92e19) is marked, 1e19 inside is not; the numbers stay.
    assert list(env["growth_not_determined"]) == [c > 1.92e19 * 1.001 for c in env["compute"]]
    assert env["n_interval.lo"].notna().all()
    assert not frame[frame["method"] == "parametric"]["growth_not_determined"].any()


def test_methods_frame_says_how_many_replicates_were_drawn():
    f = REPO / "examples" / "runs.csv"
    r = slaw.methods(str(f), factors=["model_size", "pretrain_tokens", "prompt_len"],
                     pet="prompt_len", at={"model_size": 2e9}, data_size=1e5, bootstrap=200)
    assert same(r.to_dict(), cli_json("methods", f, "--factor", "model_size", "--factor",
                                      "pretrain_tokens", "--factor", "prompt_len", "--pet",
                                      "prompt_len", "--at", "model_size=2e9", "--data", "1e5",
                                      "--bootstrap", "200"))
    t = r.frame
    assert (t["replicates_drawn"] == 200).all()
    assert t.loc["prompt", "replicates"] == 199
