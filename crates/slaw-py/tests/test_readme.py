"""The README's Python section against the package: its examples run as written and give
sensible results, and the keyword names it lists exist."""

import ast
import inspect
import json
import subprocess

import pandas as pd

import slaw

from conftest import REPO, cli, shared_data


def readme_python_block():
    """The README's first ```python block, parsed."""
    text = (REPO / "README.md").read_text()
    start = text.index("```python\n") + len("```python\n")
    return text[start:text.index("```", start)]


def readme_call(func, first_arg):
    """The README's statement `slaw.FUNC(FIRST_ARG, ...)`, as source text."""
    src = readme_python_block()
    for node in ast.walk(ast.parse(src)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == func and node.args
                and isinstance(node.args[0], ast.Constant) and node.args[0].value == first_arg):
            return ast.get_source_segment(src, node)
    raise AssertionError(f"README has no slaw.{func}({first_arg!r}, ...)")


def flan_long(path, n_max=25600):
    """The FLAN curves in the README's long format (model, n, loss), sizes up to n_max."""
    wide = pd.read_csv(shared_data("finetune-selection/flan.csv"))
    sizes = [c for c in wide.columns[1:] if c.isdigit() and int(c) <= n_max]
    long = wide.melt(id_vars=[wide.columns[0]], value_vars=sizes, var_name="n", value_name="loss")
    long = long.rename(columns={wide.columns[0]: "model"})
    long["n"] = long["n"].astype(int)
    long.to_csv(path, index=False, float_format="%.17g")


def test_the_readme_formula_example_gives_a_sensible_fit(monkeypatch):
    # README's examples run from the repository's root on examples/
    monkeypatch.chdir(REPO)
    call = readme_call("fit", "examples/curves.csv")
    fits = eval(call, {"slaw": slaw})
    assert len(fits) == 8
    for name, f in fits.items():
        # the pole the example without log_params/bounds fell into (Dl near -1, beta near 0,
        # R^2 0.73) is ruled out: Dl > 0 (fitted in log space), beta in its bounds, a close fit
        assert f.converged, name
        assert f.params["Dl"] > 0 and 0 <= f.params["beta"] <= 3, (name, f.params)
        assert f.train["r2"] > 0.99, (name, f.train)
    # the same fit as the CLI's formula example on the same file
    readme = (REPO / "README.md").read_text()
    line = next(ln for ln in readme.splitlines()
                if ln.startswith("slaw fit examples/curves.csv --formula"))
    assert '"B/(Dl + n^beta) + E"' in line and "--log-params B,Dl,E" in line
    out = subprocess.run([str(cli()), "fit", "examples/curves.csv", "--formula",
                          "B/(Dl + n^beta) + E", "--params", "B,Dl,beta,E", "--log-params",
                          "B,Dl,E", "--bound", "beta=0:3", "--init", "beta=0.1,0.5,1", "--x", "n",
                          "--y", "loss", "--group", "model", "--json"],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert fits.to_dict() == json.loads(out.stdout)


def test_termination_code_is_the_cli_jsons_termination(tmp_path):
    flan_long(tmp_path / "curves.csv")
    one = pd.read_csv(tmp_path / "curves.csv")
    one = one[(one["model"] == "gpt2") & (one["n"] > 0)]
    one.to_csv(tmp_path / "gpt2.csv", index=False, float_format="%.17g")
    for law in ("power", "rectified"):
        out = subprocess.run([str(cli()), "fit", str(tmp_path / "gpt2.csv"), "--law", law,
                              "--x", "n", "--y", "loss", "--json"], capture_output=True, text=True)
        ref = json.loads(out.stdout)["groups"][0]["fit"]
        f = slaw.fit(str(tmp_path / "gpt2.csv"), law=law, x="n")
        assert f.termination_code == ref["termination"]
        assert f.termination_message == ref["termination_message"]
        assert f.termination_code in ("converged", "at_bound", "max_iterations",
                                      "line_search_failed", "non_finite")
        assert f.converged == (f.termination_code in ("converged", "at_bound"))
    # a fit stopped by its iteration limit: a code, not "converged"
    f = slaw.fit(str(tmp_path / "gpt2.csv"), law="rectified", x="n", max_iter=1)
    assert not f.converged and f.termination_code == "max_iterations"


def test_the_keyword_exceptions_the_readme_lists_exist():
    readme = (REPO / "README.md").read_text()
    sig = {name: inspect.signature(getattr(slaw, name)).parameters
           for name in ("fit", "compare", "joint", "methods", "allocate")}
    for func, kw, flag in [("fit", "bounds", "--bound"), ("fit", "init", "--init"),
                           ("compare", "laws", "--laws"), ("joint", "factors", "--factor"),
                           ("methods", "factors", "--factor"), ("methods", "at", "--at"),
                           ("methods", "data_size", "--data"), ("allocate", "budgets", "--budget"),
                           ("allocate", "params", "--params"), ("allocate", "where", "--where")]:
        assert kw in sig[func], (func, kw)
        assert f"`{flag}`" in readme and f"`{kw}=" in readme, (flag, kw)


def test_the_readme_python_block_runs_as_written(tmp_path, monkeypatch):
    """README's Python block, every statement, from a copy of the repository's root: its
    examples/ files and ../shared beside it (the plan's journal made first by `slaw run`,
    as README says)."""
    import matplotlib

    matplotlib.use("Agg")
    shared = shared_data("")
    root = tmp_path / "repo"
    (root / "examples").mkdir(parents=True)
    for f in (REPO / "examples").iterdir():
        if f.is_file() and not f.name.startswith("plan.journal"):
            (root / "examples" / f.name).write_bytes(f.read_bytes())
    (tmp_path / "shared").symlink_to(shared.parent)
    monkeypatch.chdir(root)
    run = subprocess.run([str(cli()), "run", "examples/plan.toml", "--quiet"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    scope = {}
    exec(compile(readme_python_block(), "README.md", "exec"), scope)
    # what the block made: the Chinchilla fit, the selection and the methods' report
    assert scope["fit"].converged
    assert scope["sel"].chosen
    assert "recommended" in scope["m"].report()
