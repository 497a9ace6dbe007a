"""probe71: a prediction inside the fitted range carries an interpolation interval (meant to cover a
new observed loss); ``FitResult.plot()``, drawn from the CLI's figure model, names its bar in the
legend as such (it had no legend entry alone, and read as the extrapolation band's beside one), and
the interval's kind and level are the CLI's."""

import math
import random

import pandas as pd
import pytest

import slaw


def curve(seed=71):
    r = random.Random(seed)
    ns = [10 ** (2 + 3 * i / 11) for i in range(12)]
    return pd.DataFrame({"n": ns,
                         "loss": [(2.0 + 50.0 * n ** -0.3) * math.exp(r.gauss(0, 0.01))
                                  for n in ns]})


def legend_texts(ax):
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg is not None else []


@pytest.mark.parametrize("predict,want,absent", [
    ([3000.0, 1e6], ["80% interpolation interval", "80% extrapolation interval"], None),
    ([3000.0], ["80% interpolation interval"], "extrapolation interval"),
])
def test_fit_plot_names_the_interpolation_bar(tmp_path, predict, want, absent):
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    fr = slaw.fit(curve(), law="power", x="n", predict=predict, level=0.8)
    p = fr.predict(predict)
    assert p["interval_kind"].iloc[0] == "interpolation"
    ax = fr.plot()
    ax.figure.savefig(tmp_path / "fit.png", dpi=60)
    texts = " | ".join(legend_texts(ax))
    for w in want:
        assert w in texts, texts
    if absent:
        assert absent not in texts, texts
    import matplotlib.pyplot as plt

    plt.close(ax.figure)
