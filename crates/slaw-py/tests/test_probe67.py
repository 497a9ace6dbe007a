"""probe67: without ``x=``, a table that lacks its loss column (or has no rows) gets the error
naming what is missing, not "numeric columns besides the loss 'loss' could be inputs"; the
figures that ``plot()`` draws from the CLI's figure model label their log axes as the CLI does
(the same ticks, one label style per axis, no end of the axis left unlabelled)."""

import pandas as pd
import pytest

import slaw
from slaw import _native


def power_frame(x_col="n", y_col="loss", scale=1.0):
    ns = [100.0 * 2 ** k for k in range(7)]
    return pd.DataFrame({x_col: [n * scale for n in ns],
                         y_col: [2.0 + 50.0 * n ** -0.3 for n in ns]})


def test_a_frame_without_its_loss_column_names_it_when_x_is_inferred():
    df = power_frame("Tokens (B)", "Val Loss [nats]", 1e-3)
    with pytest.raises(ValueError) as e:
        slaw.fit(df, law="power")
    msg = str(e.value)
    assert "column 'loss': no such column (columns are: Tokens (B), Val Loss [nats])" in msg, msg
    assert "could be inputs" not in msg and "with x=" not in msg, msg
    assert "the keyword y= names this column" in msg, msg
    # Named, the other column is the input (with the note).
    with pytest.warns(UserWarning, match=r"x: Tokens \(B\)"):
        r = slaw.fit(df, law="power", y="Val Loss [nats]")
    assert r.converged


def test_a_frame_without_rows_is_no_data_rows_with_or_without_x():
    df = power_frame().iloc[:0]
    for kw in ({}, {"x": "n"}):
        with pytest.raises(ValueError, match="no data rows") as e:
            slaw.fit(df, law="power", **kw)
        assert "no numeric column" not in str(e.value)


def test_several_candidate_inputs_still_ask_for_x():
    df = power_frame().assign(other=1.0)
    with pytest.raises(ValueError, match=r"could be inputs: n, other; name the input column\(s\) "
                                         r"with x="):
        slaw.fit(df, law="power")


def labelled(axis):
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_fit_plot_axes_are_labelled_as_the_cli_labels_them(tmp_path):
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    # Three groups whose losses run from about 2.5 to 17 over n = 100 .. 1e5: matplotlib's
    # own log ticks left everything above 10 unlabelled and mixed "1000" with "1e4".
    rows = []
    for g, (a, b) in {"small": (3.0, 0.25), "big": (2.0, 0.35), "mid": (2.5, 0.3)}.items():
        for k in range(7):
            n = 100.0 * 2 ** k
            rows.append({"model": g, "n": n, "loss": a + 40.0 * n ** -b})
    fr = slaw.fit(pd.DataFrame(rows), law="power", x="n", group="model", predict=[1e5])
    ax = fr.plot(combined=True)
    ax.figure.savefig(tmp_path / "groups.png", dpi=60)
    for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        lo, hi = sorted(lim)
        major, _ = _native._log_axis(lo, hi)
        assert labelled(axis) == [label for _, label in major]
    xs = labelled(ax.xaxis)
    assert "1e3" in xs and "1000" not in xs, xs
    # The top of the loss axis (above 10) has a label.
    ys = [float(t) for t in labelled(ax.yaxis)]
    lo, hi = sorted(ax.get_ylim())
    assert max(ys) > 10.0 and max(ys) <= hi, ys
    import math
    top_gap = math.log(hi / max(ys)) / math.log(hi / lo)
    assert top_gap <= 0.25, (ys, lo, hi)
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_a_run_without_its_name_is_an_error():
    rows = []
    for run, a in (("a", 2.5), (None, 2.3)):
        for step in range(100, 3001, 100):
            rows.append({"run": run, "step": float(step), "loss": a + 8.0 * step ** -0.4})
    df = pd.DataFrame(rows)
    with pytest.raises(ValueError, match=r"row 30, column 'run': empty cell: every row needs the "
                                         r"name of its run"):
        slaw.forecast(df, run_col="run", fit_until=0.5)
    r = slaw.forecast(df.fillna({"run": "b"}), run_col="run", fit_until=0.5)
    assert len(r) == 2
