"""Quickstart: the Chinchilla fit (Besiroglu et al.'s replication) and a model selection
(Lin et al.'s FLAN benchmark at budget 1/64), with plots.

    python crates/slaw-py/examples/quickstart.py [DATA_DIR] [OUT_DIR]

DATA_DIR defaults to ../shared/data (the public data beside the repository).
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import slaw  # noqa: E402

data = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
out = sys.argv[2] if len(sys.argv) > 2 else "."

# Chinchilla: L = E + A/N^alpha + B/D^beta, Huber (1e-3) on log L, Hoffmann's 4500-start grid.
df = pd.read_csv(os.path.join(data, "chinchilla", "svg_extracted_data.csv"))
df["D"] = df["Training FLOP"] / (6 * df["Model Size"])
df = df.sort_values("loss").iloc[:-5]  # the replication drops the 5 highest losses
fit = slaw.fit(df, law="chinchilla", x=["Model Size", "D"], y="loss")
print(fit.report())
print(f"alpha = {fit.params['alpha']:.4f}, beta = {fit.params['beta']:.4f}, E = {fit.params['E']:.4f}")
print("loss at N = 70B, D = 1.4T:", fit.predict({"Model Size": [7e10], "D": [1.4e12]})["loss"][0])
ax = fit.plot()
ax.figure.savefig(os.path.join(out, "chinchilla.png"), dpi=120, bbox_inches="tight")
plt.close(ax.figure)

# Model selection: which of 30 models to fine-tune, from fine-tunings on at most 1/64 of the data.
flan = pd.read_csv(os.path.join(data, "finetune-selection", "flan.csv"))
sel = slaw.select(flan, target=1638400, budget="1/64")
print(sel.report())
ax = sel.plot()
ax.figure.savefig(os.path.join(out, "selection.png"), dpi=120, bbox_inches="tight")
print("plots written to", os.path.join(out, "chinchilla.png"), "and", os.path.join(out, "selection.png"))
