"""Per-group fits show their warnings; group keys as the column's values; compare's laws as the
CLI's comma list (a new user's probe, findings 7)."""
import pandas as pd
import pytest

import slaw


def _grouped():
    # two curves of L = 2 + 30 x^-0.5, one per group value of a float column; the power law
    # puts nothing on a bound, the "rectified" one may
    rows = []
    for g in (0.0, 1.0):
        for k in range(10):
            x = 100.0 * 2 ** k
            rows.append({"g": g, "x": x, "loss": (2 + 30 * x ** -0.5) * (1 + 0.003 * (-1) ** k)})
    return pd.DataFrame(rows)


def test_a_float_group_is_found_by_its_value():
    fr = slaw.fit(_grouped(), law="power", x="x", group="g")
    assert set(fr) == {"0.0", "1.0"}
    assert fr[1.0] is fr["1.0"]
    assert 1.0 in fr and "1.0" in fr and 2.0 not in fr
    with pytest.raises(KeyError, match="the groups are"):
        fr[2.0]


def test_the_groups_frame_shows_termination_and_warnings():
    fr = slaw.fit(_grouped(), law="power", x="x", group="g")
    frame = fr.to_frame()
    for g, f in fr.items():
        assert frame.loc[g, "termination"] == f.termination_code
        assert frame.loc[g, "warnings"] == len(f.warnings)
        assert fr.warnings.get(g, []) == f.warnings


def test_compare_takes_the_clis_comma_list():
    df = _grouped()
    one = df[df.g == 0.0][["x", "loss"]]
    a = slaw.compare(one, x="x", laws="power,vanilla-ft")
    b = slaw.compare(one, x="x", laws=["power", "vanilla-ft"])
    assert a.to_dict() == b.to_dict()


def test_a_call_after_an_interrupt_says_the_abandoned_work_still_runs():
    # Ctrl-C stops the wait, not the work: the interrupted bootstrap (tens of thousands of
    # refits, seconds of work on any machine) still holds the cores when the next call starts.
    import os
    import pathlib
    import signal
    import threading
    import time
    import warnings

    chin = pathlib.Path(__file__).resolve().parents[3] / "examples" / "chinchilla.csv"

    def workers():
        # the calls' worker threads are named slaw-worker (Linux: /proc lists the threads)
        found = set()
        for t in pathlib.Path("/proc/self/task").glob("*/comm"):
            try:
                if t.read_text().strip() == "slaw-worker":
                    found.add(t.parent.name)
            except OSError:
                pass
        return found

    before = workers()  # an earlier call's worker may not be gone yet

    def worker_running():
        return bool(workers() - before)

    def interrupt_once_running():
        # wait on the event (the worker started), a generous guard only; without /proc, a
        # fixed delay
        if pathlib.Path("/proc/self/task").is_dir():
            deadline = time.monotonic() + 60
            while not worker_running() and time.monotonic() < deadline:
                time.sleep(0.01)
        else:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Thread(target=interrupt_once_running)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        slaw.allocate(str(chin), n_col="N", d_col="D", bootstrap=50000)
    timer.join()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        slaw.fit(_grouped()[lambda d: d.g == 0.0][["x", "loss"]], law="power", x="x")
    said = [str(w.message) for w in caught if "interrupted slaw computation" in str(w.message)]
    assert said and "still running in the background" in said[0], [str(w.message) for w in caught]


def test_joint_names_its_figures_and_a_forecast_plots_a_csv_beside_it(tmp_path):
    import pathlib

    import matplotlib

    matplotlib.use("Agg")
    root = pathlib.Path(__file__).resolve().parents[3] / "examples"
    j = slaw.joint(str(root / "runs.csv"), factors=["model_size", "pretrain_tokens", "prompt_len"],
                   pet=["prompt_len"])
    names = j.figure_names
    assert names and len(names) == len(j.plot())
    ax = j.plot(which=names[0])
    assert ax is not None
    f = slaw.forecast(str(root / "run.csv"), fit_until=0.2)
    ax = f.plot(data=str(root / "run.csv"))
    assert "data given" in [l.get_label() for l in ax.get_lines()]
    with pytest.raises(ValueError, match="'step' and 'loss'"):
        f.plot(data=pd.DataFrame({"x": [1.0], "y": [2.0]}))
