"""``holdout="largest:K[:INPUT]"``: every row at the K largest distinct values of the input is
held out, so the rows' order does not change the split (the library's rule, as the CLI's)."""

import numpy as np
import pytest
import pandas as pd

import slaw


def grid():
    """A Chinchilla-like grid: 5 model sizes N, each trained on 4 data sizes D (4 rows tie on
    each N), the law times a small deterministic wiggle."""
    rows = []
    for i, n in enumerate([1e7, 3e7, 1e8, 3e8, 1e9]):
        for j, d in enumerate([2e8, 6e8, 2e9, 6e9]):
            law = 1.7 + 400.0 / n**0.34 + 1500.0 / d**0.37
            rows.append((n, d, law * (1 + 0.003 * ((i * 5 + j * 3) % 7 - 3))))
    return pd.DataFrame(rows, columns=["N", "D", "loss"])


def test_compare_does_not_depend_on_the_row_order():
    df = grid()
    # The default hold-out (the 2 largest N) took 2 of the 4 runs at the largest N by their
    # rows: a permutation changed the ranking's figures.
    ref = slaw.compare(df, x=["N", "D"]).to_dict()
    for seed in range(3):
        perm = np.random.default_rng(seed).permutation(len(df))
        shuffled = df.iloc[perm].reset_index(drop=True)
        assert slaw.compare(shuffled, x=["N", "D"]).to_dict() == ref
    assert slaw.compare(df.iloc[::-1], x=["N", "D"]).to_dict() == ref


def test_largest_holds_out_every_row_at_the_k_largest_values():
    df = grid()

    def sizes(rule):
        d = slaw.fit(df, law="chinchilla", x=["N", "D"], holdout=rule).to_dict()
        return d["train"]["n"], d["heldout"]["n"]

    # 2 values of N, 4 runs each; 1 value of D, 5 runs (one per N).
    assert sizes("largest:2") == (12, 8)
    assert sizes("largest:2:N") == (12, 8)
    assert sizes("largest:1:D") == (15, 5)


def test_compare_refuses_a_holdout_that_leaves_too_few_points():
    """Every law would be skipped: an error naming the hold-out, not rows of None."""
    x = [1e3 * 2.0**k for k in range(12)]
    df = pd.DataFrame({"x": x, "loss": [1.5 + 5.0 * v**-0.3 for v in x]})
    with pytest.raises(Exception, match="hold out fewer"):
        slaw.compare(df, x="x", y="loss", holdout="largest:10")


def test_an_explicit_holdout_none_holds_out_nothing_in_compare():
    """As the CLI: ``holdout="none"`` ranks by AIC with nothing held out; not given, the 2
    largest N are held out."""
    df = grid()
    default = slaw.compare(df, x=["N", "D"]).to_dict()
    none = slaw.compare(df, x=["N", "D"], holdout="none").to_dict()
    assert none == slaw.compare(df, x=["N", "D"], holdout="largest:0").to_dict()
    assert none != default
    flagged = df.assign(held=[int(i % 4 == 3) for i in range(len(df))])
    with pytest.raises(Exception, match="beside the flag column"):
        slaw.fit(flagged, law="chinchilla", x=["N", "D"], holdout="none", holdout_col="held")
    fit = slaw.fit(flagged, law="chinchilla", x=["N", "D"], holdout_col="held").to_dict()
    assert fit["heldout"]["n"] == 5
