"""probe73: ``schedule`` gives the same intervals whatever the order of the runs. Its bootstrap drew
point positions from the runs in the order given, so a DataFrame whose runs came in another order
(or the same runs as a mapping in another order) moved the intervals at the same seed
(examples/training_runs.csv with its runs reversed: the 90% interval at step 72000 [2.9289, 3.1432]
became [2.9290, 3.1440]). The output still lists the runs in the order given."""

import pathlib

import pandas as pd

import slaw

EXAMPLES = pathlib.Path(__file__).resolve().parents[3] / "examples"
COSINE = "cosine:peak=3e-4,final=3e-5,total=72000,warmup=2000"


def points(result):
    d = result.to_dict()
    return [(p["step"], p["loss"], p["lo"], p["hi"]) for s in d["predictions"] for p in s["points"]]


def test_schedule_gives_the_same_intervals_whatever_the_order_of_the_runs():
    runs = pd.read_csv(EXAMPLES / "training_runs.csv")
    names = list(dict.fromkeys(runs["run"]))
    assert len(names) == 3
    kw = dict(run_col="run", predict=COSINE, bootstrap=40, seed=3)
    base = slaw.schedule(runs, **kw)
    for order in (names[::-1], names[1:] + names[:1]):
        moved = pd.concat([runs[runs["run"] == n] for n in order]).reset_index(drop=True)
        other = slaw.schedule(moved, **kw)
        assert points(other) == points(base), order
        assert sorted(other.to_dict()["transfer_errors"]) == sorted(base.to_dict()["transfer_errors"])
        assert [r[0] for r in other.to_dict()["runs"]] == order
    # The runs as a mapping of DataFrames, in two orders.
    frames = {n: runs[runs["run"] == n].drop(columns="run") for n in names}
    a = slaw.schedule(frames, predict=COSINE, bootstrap=40, seed=3)
    b = slaw.schedule({n: frames[n] for n in names[::-1]}, predict=COSINE, bootstrap=40, seed=3)
    assert points(a) == points(b)
