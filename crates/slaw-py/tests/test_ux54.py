"""ux54, probe53 finding 9 and the ``FitResult.predict`` item of its section 12: every result
has ``plot()``, drawing what the CLI's ``--plot`` draws (the library's own figure model, so the
same series, bands and legend entries), also when the input was a path; ``FitResult.predict``
returns a DataFrame with the prediction intervals the library computes."""

import html
import json
import re
import subprocess

import numpy as np
import pandas as pd
import pytest

import slaw
from slaw import _native

from conftest import cli, same

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def power_csv(path, n=12):
    """12 points of L = 5 x^-0.3 + 1.5 with a +-1% wiggle, x = 1e3 .. 2.048e6."""
    rows = ["x,loss"]
    for i in range(n):
        x = 1e3 * 2 ** i
        w = 1 + 0.01 * [1, -1, 0.5, -0.5][i % 4]
        rows.append(f"{x},{(5 * x ** -0.3 + 1.5) * w}")
    path.write_text("\n".join(rows) + "\n")
    return path


def svg_legend(path):
    """The texts of a CLI SVG figure other than its title, axis labels and tick labels."""
    texts = [t.strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", path.read_text(), re.S)]
    texts = [html.unescape(t) for t in texts]
    return {t for t in texts[3:] if not re.fullmatch(r"[-+0-9.e]+", t)}, texts[:3]


def legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def run_cli(*args):
    out = subprocess.run([str(cli()), *map(str, args)], capture_output=True, text=True)
    assert out.returncode in (0, 3), out.stderr
    return out


PREDICT = [8e6, 3.2e7, 100.0]


def test_a_fit_from_a_path_plots_what_the_cli_plots(tmp_path):
    f = power_csv(tmp_path / "pow.csv")
    r = slaw.fit(str(f), law="power", x="x", predict=PREDICT, bootstrap=60, seed=1)
    ax = r.plot()  # no data= needed: the library read the file
    # The CLI's figure of the same input: the same legend, title and axis labels.
    svg = tmp_path / "cli.svg"
    run_cli("fit", f, "--law", "power", "--x", "x", *sum((["--predict", p] for p in PREDICT), []),
            "--bootstrap", 60, "--seed", 1, "--plot", svg)
    want, head = svg_legend(svg)
    assert set(legend(ax)) == want
    assert want >= {"fitted law", "fitted points", "predictions", "95% bootstrap (point noise)",
                    "95% extrapolation interval"}
    assert ax.get_title() == head[0]
    assert ax.get_ylabel() == head[1] and ax.get_xlabel() == head[2]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    # The fitted points are the file's.
    data = pd.read_csv(f)
    pts = next(c for c in ax.collections if c.get_label() == "fitted points").get_offsets()
    assert np.allclose(sorted(map(tuple, np.asarray(pts))), sorted(zip(data.x, data.loss)))
    # The law over a range that reaches every prediction, below and above the data: solid
    # over the fitted points, dashed (extrapolated) past them, in one colour.
    law = next(l for l in ax.get_lines() if l.get_label() == "fitted law")
    parts = [l for l in ax.get_lines() if l.get_color() == law.get_color() and len(l.get_xdata())]
    assert any(l.get_linestyle() == "--" for l in parts)
    xs = np.concatenate([np.asarray(l.get_xdata(), dtype=float) for l in parts])
    ys = np.concatenate([np.asarray(l.get_ydata(), dtype=float) for l in parts])
    assert min(xs) == pytest.approx(100.0) and max(xs) == pytest.approx(3.2e7)
    assert np.allclose(ys, r.predict_values(xs), rtol=1e-9)
    # The predictions as triangles at their values.
    tri = next(c for c in ax.collections if c.get_label() == "predictions")
    got = sorted(map(tuple, np.asarray(tri.get_offsets())))
    assert np.allclose(got, sorted((p["at"][0], p["value"]) for p in r.predictions))
    # Their extrapolation intervals as bars: one segment (x, lo)-(x, hi) per prediction.
    bars = [c for c in ax.collections if type(c).__name__ == "LineCollection"]
    segs = sorted((s[0][0], s[0][1], s[1][1]) for c in bars for s in c.get_segments())
    want_bars = sorted((p["at"][0], p["extrapolation_interval"]["lo"],
                        p["extrapolation_interval"]["hi"]) for p in r.predictions)
    assert np.allclose(segs, want_bars)
    # The bootstrap band spans the curve and holds it.
    band = next(c for c in ax.collections if c.get_label() == "95% bootstrap (point noise)")
    verts = np.concatenate([p.vertices for p in band.get_paths()])
    assert verts[:, 0].min() == pytest.approx(100.0) and verts[:, 0].max() == pytest.approx(3.2e7)
    fig = tmp_path / "fit.png"
    ax.figure.savefig(fig)
    assert fig.stat().st_size > 1000
    plt.close("all")


def test_a_fit_of_several_inputs_plots_predicted_against_observed_with_its_predictions():
    n = np.geomspace(1e8, 1e10, 4).repeat(4)
    d = np.tile(np.geomspace(1e9, 1e11, 4), 4)
    df = pd.DataFrame({"N": n, "D": d, "loss": 1.7 + 400 / n ** 0.34 + 410 / d ** 0.28})
    r = slaw.fit(df, law="chinchilla", x=["N", "D"], predict=[[7e10, 1.4e12]], bootstrap=30)
    ax = r.plot()
    assert ax.get_xlabel() == "predicted loss (log scale)"
    assert ax.get_ylabel() == "observed loss (log scale)"
    tri = next(c for c in ax.collections if c.get_label() == "prediction (on y = x)")
    v = r.predictions[0]["value"]
    assert np.allclose(tri.get_offsets(), [[v, v]])
    bar = next(l for l in ax.get_lines() if "bootstrap of the prediction" in l.get_label())
    iv = r.predictions[0]["interval"]
    assert np.allclose(bar.get_xdata(), [iv["lo"], iv["hi"]])
    plt.close("all")


def test_grouped_fits_plot_one_axes_per_group_or_the_clis_combined_figure(tmp_path):
    f = power_csv(tmp_path / "pow.csv")
    df = pd.read_csv(f)
    g = pd.concat([df.assign(g="a"), df.assign(g="b", loss=df.loss * 1.2)], ignore_index=True)
    r = slaw.fit(g, law="power", x="x", group="g", predict=[8e6])
    axes = r.plot()
    assert len(axes) == 2
    for ax, key in zip(axes, ["a", "b"]):
        pts = next(c for c in ax.collections if c.get_label() == "fitted points").get_offsets()
        assert np.allclose(sorted(np.asarray(pts)[:, 1]), sorted(g[g.g == key].loss))
    ax = r.plot(combined=True)
    # the two groups' predictions at one x set apart (probe61 finding 11)
    assert {"g = a", "g = b", "fitted points", "predictions (set apart in x)"} <= set(legend(ax))
    plt.close("all")


def test_a_fits_plot_adds_data_given_in_grey(tmp_path):
    f = power_csv(tmp_path / "pow.csv")
    r = slaw.fit(str(f), law="power", x="x")
    extra = pd.DataFrame({"x": [3e6, 5e6], "loss": [1.6, 1.58]})
    ax = r.plot(data=extra)
    given = next(c for c in ax.collections if c.get_label() == "data given")
    assert np.allclose(given.get_offsets(), extra[["x", "loss"]].to_numpy())
    plt.close("all")


def test_forecasts_of_several_runs_plot_one_axes_per_run(tmp_path):
    rows = ["run,step,loss"]
    for run, e in (("r1", 2.0), ("r2", 2.3)):
        for k in range(1, 201):
            t = 10.0 * k
            u = ((k * 7919 + 13) % 1000) / 1000.0 - 0.5
            rows.append(f"{run},{t},{(3.0 / (1.0 + t / 200.0) + e) * (1.0 + 0.01 * u)}")
    f = tmp_path / "runs.csv"
    f.write_text("\n".join(rows) + "\n")
    r = slaw.forecast(str(f), run_col="run", fit_until=0.3, method="reciprocal", bootstrap=30)
    axes = r.plot()
    assert len(axes) == 2
    for ax, fc in zip(axes, r):
        lines = {l.get_label(): l for l in ax.get_lines()}
        assert "forecast (reciprocal)" in lines
        assert len(lines["fitted part"].get_xdata()) + len(lines["observed (not fitted)"].get_xdata()) == 200
        assert fc.curve in ax.get_title()
    plt.close("all")


@pytest.fixture(scope="module")
def runs_csv(tmp_path_factory):
    p = tmp_path_factory.mktemp("joint") / "runs.csv"
    p.write_text(_native._joint_example_csv(0.01, 1))
    return p


def test_methods_plots_the_clis_critical_size_figure(runs_csv, tmp_path):
    kw = dict(factors=["model_size", "pretrain_tokens"], at={"model_size": 8e9}, data_size=3e3,
              bootstrap=20)
    m = slaw.methods(str(runs_csv), **kw)
    ax = m.plot()
    svg = tmp_path / "m.svg"
    run_cli("methods", runs_csv, "--factor", "model_size", "--factor", "pretrain_tokens",
            "--at", "model_size=8e9", "--data", "3e3", "--bootstrap", 20, "--plot", svg)
    want, head = svg_legend(svg)
    assert set(legend(ax)) == want and want
    assert ax.get_title() == head[0]
    # to_dict() stays the CLI's --json (the figure travels beside it)
    out = run_cli("methods", runs_csv, "--factor", "model_size", "--factor", "pretrain_tokens",
                  "--at", "model_size=8e9", "--data", "3e3", "--bootstrap", 20, "--json")
    assert same(m.to_dict(), json.loads(out.stdout))
    plt.close("all")


def test_joint_plots_one_figure_per_method_and_factor_as_the_cli(runs_csv, tmp_path):
    j = slaw.joint(str(runs_csv), factors=["model_size", "pretrain_tokens"])
    methods = [m["method"] for m in j.to_dict()["fits"]]
    axes = j.plot()
    assert len(axes) == 2 * len(methods)
    out = run_cli("joint", runs_csv, "--factor", "model_size", "--factor", "pretrain_tokens",
                  "--plot", tmp_path / "j.svg")
    svgs = sorted(tmp_path.glob("j-*.svg"))
    assert len(svgs) == len(axes)
    titles = {svg_legend(s)[1][0]: svg_legend(s)[0] for s in svgs}
    def cut_alike(full, shown):
        # the SVG legend cuts a long label in its middle ("pretrain_tokens… 4e11 (held out)")
        if "…" not in shown:
            return full == shown
        head, tail = shown.split("…", 1)
        return full.startswith(head) and full.endswith(tail) and len(full) > len(shown)

    for ax in axes:
        mine, svg = sorted(set(legend(ax))), sorted(titles[ax.get_title()])
        assert len(mine) == len(svg), (mine, svg)
        assert all(any(cut_alike(m, s) for m in mine) for s in svg), (mine, svg)
        # one fitted curve and its runs per factor value
        assert len([l for l in ax.get_lines() if l.get_label().startswith(("model_size", "pretrain"))]) >= 2
    one = j.plot(method=methods[0], factor="model_size", form="additive")
    assert "additive law" in one.get_title()
    out = run_cli("joint", runs_csv, "--factor", "model_size", "--factor", "pretrain_tokens", "--json")
    assert same(j.to_dict(), json.loads(out.stdout))
    plt.close("all")


def test_allocate_plots_the_clis_figures(tmp_path):
    path = tmp_path / "runs.csv"
    rows = ["N,D,loss"]
    for n in np.geomspace(1e7, 1e9, 5):
        for d in np.geomspace(1e9, 1e11, 5):
            rows.append(f"{n},{d},{1.69 + 406.4 / n ** 0.34 + 410.7 / d ** 0.28}")
    path.write_text("\n".join(rows) + "\n")
    a = slaw.allocate(str(path), n_col="N", d_col="D", bootstrap=50)
    assert a.figure_names
    axes = a.plot()
    axes = axes if isinstance(axes, list) else [axes]
    assert len(axes) == len(a.figure_names)
    run_cli("allocate", path, "--n-col", "N", "--d-col", "D", "--bootstrap", 50,
            "--plot", tmp_path / "a.svg")
    svgs = sorted(tmp_path.glob("a-*.svg"))
    assert len(svgs) == len(axes)
    titles = {svg_legend(s)[1][0] for s in svgs}
    assert {ax.get_title() for ax in axes} == titles
    one = a.plot(which=a.figure_names[0])
    assert one.get_title() == axes[0].get_title()
    out = run_cli("allocate", path, "--n-col", "N", "--d-col", "D", "--bootstrap", 50, "--json")
    assert same(a.to_dict(), json.loads(out.stdout))
    plt.close("all")


def test_compare_plots_the_backtest_pick_and_the_holdout_ranking(tmp_path):
    f = power_csv(tmp_path / "pow.csv", n=14)
    c = slaw.compare(str(f), x="x", predict=[8e6, 3.2e7])
    ax = c.plot()
    pts = next(s for s in ax.collections if s.get_label() == "points").get_offsets()
    assert len(pts) == 14
    tri = next(s for s in ax.collections if s.get_label() == "predictions").get_offsets()
    assert np.allclose(sorted(map(tuple, np.asarray(tri))),
                       sorted(zip(c.predictions.x, c.predictions.loss)))
    pick = next(l for l in ax.get_lines() if l.get_label().startswith("backtest pick"))
    assert max(pick.get_xdata()) == pytest.approx(3.2e7)
    out = run_cli("compare", f, "--x", "x", "--predict", 8e6, "--predict", 3.2e7, "--json")
    assert same(c.to_dict(), json.loads(out.stdout))
    h = slaw.compare(str(f), ["power", "rectified"], x="x", pick="holdout")
    ax = h.plot()
    widths = sorted(p.get_width() for p in ax.patches)
    assert np.allclose(widths, sorted(h.frame["heldout_rmsd_log"].dropna()))
    plt.close("all")


# ------------------------------------------------------------------ FitResult.predict


def test_predict_returns_a_frame_with_the_fits_intervals_and_where_the_point_lies(tmp_path):
    f = power_csv(tmp_path / "pow.csv")
    r = slaw.fit(str(f), law="power", x="x", predict=PREDICT, bootstrap=60, seed=1)
    p = r.predict({"x": PREDICT + [5e4]})
    assert list(p.columns) == ["x", "loss", "lo", "hi", "interval_kind", "bootstrap_lo",
                               "bootstrap_hi", "position", "depends_on_unpinned"]
    assert list(p.position) == ["beyond", "beyond", "below", "inside"]
    assert np.allclose(p.loss, r.predict_values(PREDICT + [5e4]), rtol=0)
    # The points given to fit(predict=...) carry the library's intervals.
    for row, q in zip(p.itertuples(), r.predictions):
        assert row.loss == q["value"]
        assert (row.lo, row.hi) == (q["extrapolation_interval"]["lo"], q["extrapolation_interval"]["hi"])
        assert (row.bootstrap_lo, row.bootstrap_hi) == (q["interval"]["lo"], q["interval"]["hi"])
        assert row.interval_kind == q["extrapolation_interval_kind"]["kind"] == "backtest"
    # A new point: no interval without a refit (NaN, said in the docstring) ...
    assert np.isnan(p.lo[3]) and np.isnan(p.hi[3]) and pd.isna(p.interval_kind[3])
    # ... and with intervals=True exactly fit(..., predict=[that point])'s.
    q = r.predict([5e4, 1e8], intervals=True)
    ref = slaw.fit(str(f), law="power", x="x", predict=[5e4, 1e8], bootstrap=60, seed=1)
    for row, want in zip(q.itertuples(), ref.predictions):
        assert row.loss == want["value"]
        assert (row.lo, row.hi) == (want["extrapolation_interval"]["lo"],
                                    want["extrapolation_interval"]["hi"])
        assert (row.bootstrap_lo, row.bootstrap_hi) == (want["interval"]["lo"], want["interval"]["hi"])
    assert list(q.interval_kind) == ["interpolation", "backtest"]
    assert list(q.position) == ["inside", "beyond"]
    assert q.lo[0] < q.loss[0] < q.hi[0] and q.lo[1] < q.loss[1] < q.hi[1]


def test_predict_of_a_two_input_law_and_of_a_group():
    n = np.geomspace(1e8, 1e10, 4).repeat(4)
    d = np.tile(np.geomspace(1e9, 1e11, 4), 4)
    df = pd.DataFrame({"N": n, "D": d, "loss": 1.7 + 400 / n ** 0.34 + 410 / d ** 0.28})
    r = slaw.fit(df, law="chinchilla", x=["N", "D"], bootstrap=30)
    p = r.predict({"N": [7e10, 1e9], "D": [1.4e12, 1e10]}, intervals=True)
    assert list(p.columns[:3]) == ["N", "D", "loss"]
    assert list(p.position) == ["beyond", "inside"]
    # several inputs: no extrapolation interval (the library calibrates one input only),
    # the bootstrap interval of the prediction
    assert p.lo.isna().all()
    assert (p.bootstrap_lo < p.loss).all() and (p.loss < p.bootstrap_hi).all()
    g = pd.concat([df.assign(g="a"), df.assign(g="b", loss=df.loss * 1.1)], ignore_index=True)
    fits = slaw.fit(g, law="chinchilla", x=["N", "D"], group="g", bootstrap=30)
    pb = fits["b"].predict([[7e10, 1.4e12]], intervals=True)
    ref = slaw.fit(g, law="chinchilla", x=["N", "D"], group="g", bootstrap=30,
                   predict=[[7e10, 1.4e12]])["b"].predictions[0]
    assert pb.bootstrap_lo[0] == ref["interval"]["lo"] and pb.loss[0] == ref["value"]


def test_a_large_fits_figure_is_thinned_to_4000_points_per_series():
    x = np.geomspace(1e3, 1e7, 10000)
    wiggle = 1 + 0.01 * np.sin(np.arange(10000))
    r = slaw.fit({"x": x, "loss": (5 * x ** -0.3 + 1.5) * wiggle}, law="power", x="x")
    pts = next(s for s in r._figure["series"] if s["label"] == "fitted points")["points"]
    assert 2000 < len(pts) <= 4000
    assert pts[-1][0] == pytest.approx(1e7) and pts[0][0] == pytest.approx(1e3)
    ax = r.plot()
    assert len(next(c for c in ax.collections if c.get_label() == "fitted points").get_offsets()) == len(pts)
    plt.close("all")
