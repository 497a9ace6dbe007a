"""ux65: ``slaw.schedule`` (what-if learning-rate schedules, as ``slaw schedule``): its
``to_dict()`` equal to the CLI's ``--json`` on a small generated file, the same result from a
path, a DataFrame and a dict of runs, a bad schedule a ``ValueError`` naming it; ``fit`` and
``compare`` without ``x`` on a file read it once (the input column chosen and fitted from one
reading), its note still a ``UserWarning``."""

import json
import os
import signal
import subprocess
import threading
import warnings

import numpy as np
import pandas as pd
import pytest

import slaw

from conftest import cli, same

PEAK, WARMUP, TOTAL, EVERY = 3e-4, 500, 6000, 200


def lr_at(kind, t):
    """The learning rate of a run at step t (a linear warmup, then constant, cosine or WSD)."""
    if t <= WARMUP:
        return PEAK * t / WARMUP
    if kind == "constant":
        return PEAK
    if kind == "cosine":
        p = (t - WARMUP) / (TOTAL - WARMUP)
        return 3e-5 + (PEAK - 3e-5) * 0.5 * (1 + np.cos(np.pi * p))
    start = 4800  # wsd: linear decay over the last fifth
    return PEAK if t <= start else PEAK + (3e-5 - PEAK) * (t - start) / (TOTAL - start)


def runs_table(seed=0):
    """Three runs (constant, cosine, WSD) of 6000 steps drawn from a tissue-like law: the loss
    falls with the summed rate and drops with the annealing area; 0.3% noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for kind in ("constant", "cosine", "wsd"):
        s1 = s2 = 0.0
        for t in range(1, TOTAL + 1):
            lr = lr_at(kind, t)
            s1 += lr / PEAK
            s2 += max(PEAK - lr, 0.0) / PEAK if t > WARMUP else 0.0
            if t % EVERY == 0:
                loss = (3 + 5 * s1 ** -0.5 - 0.4 * s2 / 1000) * (1 + 0.003 * rng.standard_normal())
                rows.append({"run": kind, "step": t, "lr": lr, "loss": round(loss, 6)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("ux65")
    runs = d / "runs.csv"
    runs_table().to_csv(runs, index=False)
    sched = d / "linear.csv"  # a schedule given as a file: the rate per step
    steps = np.arange(0, 9001, 250)
    pd.DataFrame({"step": steps, "lr": [lr_at("constant", t) * (1 - 0.9 * t / 9000)
                                        for t in steps]}).to_csv(sched, index=False)
    return runs, sched


COSINE = f"cosine:peak={PEAK},final=3e-5,total=12000,warmup={WARMUP}"


def cli_json(*args):
    out = subprocess.run([str(cli()), "schedule", *map(str, args), "--json"],
                         capture_output=True, text=True)
    assert out.returncode in (0, 3), out.stderr
    return json.loads(out.stdout)


def test_schedule_to_dict_is_the_cli_json(files):
    runs, sched = files
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = slaw.schedule(runs, run_col="run", predict=[COSINE, f"lr:{sched}"], bootstrap=20)
    want = cli_json(runs, "--run-col", "run", "--predict", COSINE, f"lr:{sched}",
                    "--bootstrap", "20")
    assert same(r.to_dict(), want)
    # The attributes are the JSON's; the table is the CLI's: the final loss per schedule.
    assert r.method == "tissue" and r.params == want["params"]
    assert r.runs == [("constant", 30), ("cosine", 30), ("wsd", 30)]
    assert list(r.to_frame().index) == [COSINE, "linear"]
    for p in want["predictions"]:
        last = p["points"][-1]
        row = r.to_frame().loc[p["schedule"]]
        assert (row["last_step"], row["loss"], row["lo"], row["hi"]) == (
            last["step"], last["loss"], last["lo"], last["hi"])
        pts = r.predictions[r.predictions["schedule"] == p["schedule"]]
        assert pts["step"].tolist() == [q["step"] for q in p["points"]]
    assert r.best is None
    assert r.interval_kind == want["interval_kind"]


def test_the_wsd_search_to_dict_is_the_cli_json(files):
    runs, _ = files
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = slaw.schedule(runs, run_col="run", optimize_wsd=f"peak={PEAK},final=3e-5,warmup={WARMUP}",
                          steps=6000, decay_fractions=[0.1, 0.3], bootstrap=10, method="multipower")
    want = cli_json(runs, "--run-col", "run", "--optimize-wsd",
                    f"peak={PEAK},final=3e-5,warmup={WARMUP}", "--steps", "6000",
                    "--decay-fractions", "0.1,0.3", "--bootstrap", "10", "--method", "multipower")
    assert same(r.to_dict(), want)
    assert r.best["schedule"] == want["best"]["schedule"]
    assert len(r.to_frame()) == 2


def test_a_dataframe_and_runs_by_name_give_the_files_result(files):
    runs, _ = files
    df = runs_table()  # the cells the file holds (written in their shortest round-trip form)
    kw = dict(predict=COSINE, bootstrap=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_path = slaw.schedule(runs, run_col="run", **kw).to_dict()
        from_frame = slaw.schedule(df, run_col="run", **kw).to_dict()
        by_name = slaw.schedule({k: g.drop(columns="run") for k, g in df.groupby("run")},
                                **kw).to_dict()
    assert same(from_frame, from_path)
    assert same(by_name, from_path)


def test_a_bad_schedule_raises_a_value_error_naming_it(files):
    runs, _ = files
    for spec, msg in [
        ("cosine:peak=3e-4", r"^predict: 'cosine:peak=3e-4': missing total="),
        ("sawtooth:peak=3e-4", r"^predict: 'sawtooth:peak=3e-4'"),
        ("constant:peak=3e-4", r"^steps: needed by the schedule 'constant:peak=3e-4'"),
    ]:
        with pytest.raises(ValueError, match=msg):
            slaw.schedule(runs, run_col="run", predict=[spec], bootstrap=0)
    with pytest.raises(ValueError, match=r"^optimize_wsd: 'final=0': missing peak="):
        slaw.schedule(runs, run_col="run", optimize_wsd="final=0", steps=6000, bootstrap=0)
    with pytest.raises(ValueError, match=r"^decay_fractions: .* got 1\.5"):
        slaw.schedule(runs, run_col="run", optimize_wsd="peak=3e-4", steps=6000,
                      decay_fractions=[0.1, 1.5], bootstrap=0)
    with pytest.raises(ValueError, match=r"^predict: nothing to predict"):
        slaw.schedule(runs, run_col="run", bootstrap=0)
    with pytest.raises(ValueError, match=r"given twice"):
        slaw.schedule([runs, runs], run_col="run", predict=COSINE, bootstrap=0)


def test_schedule_plots_the_clis_figure(files):
    import matplotlib

    matplotlib.use("Agg")
    runs, _ = files
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = slaw.schedule(runs, run_col="run", predict=COSINE, bootstrap=10)
    ax = r.plot()
    labels = ax.get_legend_handles_labels()[1]
    assert any(COSINE[:20] in lbl for lbl in labels), labels
    assert "law fitted on" in r.report() and COSINE in r.report()  # the CLI's text


# ------------------------------------------------------------ fit/compare read a file once


def curve_text():
    n = [1e7, 2e7, 4e7, 8e7, 1.6e8, 3.2e8, 6.4e8, 1.28e9]
    return "n,loss\n" + "".join(f"{x:g},{1.8 + 400 * x ** -0.3:.6f}\n" for x in n)


def read_once(tmp_path, call):
    """``call(path)`` on a named pipe that gives the table once: a second reading would wait
    for a writer forever, so an alarm ends the wait (and the test fails)."""
    fifo = tmp_path / "curve.csv"
    os.mkfifo(fifo)

    def writer():
        with open(fifo, "w") as f:  # waits for the one reader
            f.write(curve_text())

    t = threading.Thread(target=writer, daemon=True)
    t.start()

    def timeout(*_):
        raise TimeoutError("the file was read more than once (the second reading waits)")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(120)  # a guard only: a second reading waits forever, a single one takes < 1 s
    try:
        return call(str(fifo))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        try:  # release a reading still waiting (an end of file)
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        t.join(5)


def test_fit_without_x_reads_the_file_once(tmp_path):
    with pytest.warns(UserWarning, match=r"^note: x: n \(the only numeric column besides loss\)"):
        r = read_once(tmp_path, lambda p: slaw.fit(p, law="power"))
    assert r.x == ["n"]
    path = tmp_path / "plain.csv"
    path.write_text(curve_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert same(r.to_dict(), slaw.fit(str(path), law="power", x="n").to_dict())
        # the result still fits again from the path (intervals at new points)
        again = slaw.fit(str(path), law="power")
    assert again.predict([2.56e9], intervals=True)["loss"].notna().all()


def test_compare_without_x_reads_the_file_once(tmp_path):
    with pytest.warns(UserWarning, match=r"x: n \(the only numeric column besides loss\)"):
        r = read_once(tmp_path, lambda p: slaw.compare(p, ["power", "rectified"]))
    path = tmp_path / "plain.csv"
    path.write_text(curve_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = slaw.compare(str(path), ["power", "rectified"], x="n").to_dict()
    assert same(r.to_dict(), want)


def test_the_readme_python_section_has_schedule():
    from conftest import REPO

    readme = (REPO / "README.md").read_text()
    start = readme.index("## Python package")
    section = readme[start:readme.index("\n## ", start + 1)]
    assert "slaw.schedule(" in section
    # no longer among the commands without a function
    assert "The runner, `slaw demo` and `slaw bench` stay" in section
    assert "`slaw schedule`, `slaw demo`" not in section
    import inspect

    sig = inspect.signature(slaw.schedule).parameters
    for kw in ("predict", "steps", "every", "optimize_wsd", "decay_fractions", "method",
               "bootstrap", "level", "seed", "step_col", "loss_col", "lr_col", "run_col"):
        assert kw in sig, kw
