"""ux53, probe52 finding 16: ``forecast(path_or_frame).plot()`` draws the curve read (the
fitted part, the observed rest, the law's forecast curve and its band labelled with the
interval's kind and level), not one dot; ``plot()`` lays its own figure out so that a saved
figure keeps the candidates' names whole; the curve travels beside ``to_dict()``, which stays
the CLI's ``--json``. And a W&B export's loss column is read for the default ``loss``."""

import json
import subprocess

import pytest

import slaw

from conftest import cli, same

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")


def curve_csv(path, steps=400):
    rows = ["step,loss"]
    for k in range(1, steps + 1):
        t = 10.0 * k
        u = ((k * 7919 + 13) % 1000) / 1000.0 - 0.5
        rows.append(f"{t},{(3.0 / (1.0 + t / 200.0) + 2.0) * (1.0 + 0.01 * u)}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_forecast_from_a_path_plots_its_curve_and_labelled_band(tmp_path):
    import pandas as pd

    f = curve_csv(tmp_path / "run.csv")
    for source in (str(f), pd.read_csv(f)):
        r = slaw.forecast(source, fit_until=0.3, method="reciprocal", bootstrap=30)
        ax = r.plot()
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        lines = {l.get_label(): l for l in ax.get_lines()}
        # The fitted part and the rest: every observed point, split at the end of the fit.
        until = r.to_dict()["fit_until_step"]
        fitted = lines["fitted part"].get_xdata()
        rest = lines["observed (not fitted)"].get_xdata()
        assert len(fitted) + len(rest) == 400
        assert max(fitted) <= until < min(rest)
        # The law's curve over every step, not one dot.
        law = lines["forecast (reciprocal)"]
        assert len(law.get_xdata()) >= 400
        # The band, labelled with its kind and level.
        kind = r.interval_kind
        band = [k for k in labels if "interval" in k]
        assert band, labels
        assert f"{100 * kind['level']:g}%" in band[0]
        assert ("predictive" in band[0]) == (kind["kind"] != "bootstrap")
        assert kind["kind"] in band[0]
        mpl.pyplot.close(ax.figure)


def test_the_forecast_curve_stays_out_of_to_dict(tmp_path):
    f = curve_csv(tmp_path / "run.csv")
    out = subprocess.run([str(cli()), "forecast", str(f), "--fit-until", "0.3", "--method",
                          "reciprocal", "--bootstrap", "30", "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    r = slaw.forecast(str(f), fit_until=0.3, method="reciprocal", bootstrap=30)
    d = r.to_dict()
    assert "_curve" not in d
    assert same(d, json.loads(out.stdout))


def test_a_saved_selection_plot_keeps_the_names_inside_the_figure(tmp_path):
    rows = ["model,n,loss"]
    names = ["cerebras/Cerebras-GPT-2.7B-with-a-long-suffix", "MBZUAI/LaMini-GPT-774M", "m"]
    for m, (b, e) in zip(names, [(40.0, 1.2), (30.0, 1.5), (50.0, 1.0)]):
        for k in range(8):
            n = 200.0 * 2 ** k
            rows.append(f"{m},{n},{b / (20.0 + n ** 0.5) + e}")
    f = tmp_path / "pool.csv"
    f.write_text("\n".join(rows) + "\n")
    s = slaw.select(str(f), target=25600, max_n=3200)
    ax = s.plot()
    fig = ax.figure
    fig.savefig(tmp_path / "sel.png", dpi=80)
    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width
    ticks = [t for t in ax.get_yticklabels() if t.get_text()]
    assert len(ticks) == 3
    for t in ticks:
        box = t.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width, (t.get_text(), box)
    # Long names are cut in the middle, their ends kept.
    texts = [t.get_text() for t in ticks]
    assert any(t.startswith("cerebras/") and t.endswith("suffix") and "…" in t for t in texts), texts
    mpl.pyplot.close(fig)


def test_a_wandb_exports_loss_column_is_read_for_the_default(tmp_path):
    rows = ["step,run-1 - train/loss,run-1 - train/loss__MIN,run-1 - train/loss__MAX"]
    for k in range(1, 61):
        t = 10.0 * k
        l = 3.0 / (1.0 + t / 50.0) + 2.0
        rows.append(f"{t},{l},{l / 2},{l * 2}")
    f = tmp_path / "w.csv"
    f.write_text("\n".join(rows) + "\n")
    a = slaw.forecast(str(f), fit_until=0.5, method="reciprocal", bootstrap=20)
    b = slaw.forecast(str(f), fit_until=0.5, method="reciprocal", bootstrap=20,
                      loss_col="run-1 - train/loss")
    assert same(a.to_dict(), b.to_dict())
