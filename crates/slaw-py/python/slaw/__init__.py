"""slaw: scaling laws for LLM training decisions (Python bindings of the Rust library).

Inputs are pandas DataFrames (column names as in the CLI), dicts of columns or numpy arrays,
or a file path (read exactly as the CLI reads it). Outputs are result objects with
attributes, ``.to_frame()``, ``.to_dict()`` (the CLI's ``--json`` output; a single fit's is its
group's object, the CLI's ``groups[i]``), ``.report()`` and a notebook view. Bad input raises ``ValueError`` with the library's message naming the row and
the column; a path that does not exist raises ``FileNotFoundError`` (another error reading a file
``OSError``); a fit that did not converge says so (``converged``, ``termination``).

The heavy work runs in Rust with the GIL released; Ctrl-C raises ``KeyboardInterrupt`` at
once (the computation already started finishes in the background and is discarded; a call made
while it still runs warns that it shares the cores with it).

Quickstart::

    import pandas as pd, slaw
    df = pd.read_csv("svg_extracted_data.csv")
    df["D"] = df["Training FLOP"] / (6 * df["Model Size"])
    r = slaw.fit(df, law="chinchilla", x=["Model Size", "D"], y="loss")
    r.params, r.intervals, r.converged
    r.predict({"Model Size": [7e10], "D": [1.4e12]})
"""

from __future__ import annotations

import collections.abc as _abc
import json as _json
import os as _os
import re as _re
import sqlite3 as _sqlite3
import typing as _typing
import warnings as _warnings

import numpy as _np
import pandas as _pd

from . import _native
from ._data import (
    as_points as _as_points,
    column_cells as _column_cells,
    diverged_tail as _diverged_tail,
    index_columns as _index_columns,
    to_table as _to_table,
)

# The public namespace is the API (``__all__``): the helpers above are
# imported under private names, the typing names only for type checkers
# (the annotations are strings: ``from __future__ import annotations``).
if _typing.TYPE_CHECKING:
    from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

    from ._data import DataLike

del annotations  # the future import's feature object, not the API
from ._results import (
    FitResult,
    FitResults,
    ForecastResult,
    ForecastResults,
    FrameResult,
    JointResult,
    MethodsResult,
    ScheduleResult,
    SelectionResult,
)

__version__: str = _native.__version__

__all__ = [
    "fit",
    "compare",
    "laws",
    "select",
    "forecast",
    "schedule",
    "joint",
    "methods",
    "allocate",
    "journal",
    "FitResult",
    "FitResults",
    "ForecastResult",
    "ForecastResults",
    "FrameResult",
    "JointResult",
    "MethodsResult",
    "ScheduleResult",
    "SelectionResult",
]


def _names(v: Union[str, Sequence[str], None], what: str) -> List[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    try:
        out = list(v)
    except TypeError:
        raise ValueError(
            f"{what}: give a column name (str) or a list of them, got {type(v).__name__} {v!r}"
        ) from None
    if not all(isinstance(s, str) for s in out):
        raise ValueError(f"{what}: column names must be strings, got {out!r}")
    return out


def _opt_str(v: Any, what: str) -> Optional[str]:
    if v is None or isinstance(v, str):
        return v
    raise ValueError(f"{what} must be a column name (str), got {type(v).__name__}")


def _holdout_rule(v: Any) -> Optional[str]:
    if v is None or isinstance(v, str):
        return v
    raise ValueError(f"holdout must be a rule (str: 'none', 'largest:K[:INPUT]', 'column'), "
                     f"got {type(v).__name__}")


def _number(v: Any, what: str) -> float:
    if isinstance(v, bool):
        raise ValueError(f"{what} must be a number, got {v!r}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {v!r}") from None
    if f != f or f in (float("inf"), float("-inf")):
        raise ValueError(f"{what} must be a finite number, got {v!r}")
    return f


def _values(v: Any, what: str) -> list:
    """A keyword that takes several numbers (``at=``, ``budgets=``): a list, an array, or one
    number (a scalar is a list of one); None is none."""
    if v is None:
        return []
    if isinstance(v, (str, bytes, _abc.Mapping)):
        raise ValueError(f"{what} must be a number or a list of numbers, got {v!r}")
    if _np.ndim(v) == 0:
        return [v]
    try:
        return list(_np.asarray(v, dtype=object).reshape(-1))
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number or a list of numbers, got {v!r}") from None


def _fit_until(v: Any) -> Union[float, str]:
    """``fit_until``: a number (a fraction <= 1 of the logged span, or a step), or text as the
    CLI's ``--fit-until`` (``"step:N"``: the step N whatever its value; ``"0.2"``)."""
    if isinstance(v, str):
        return v.strip()
    return _number(v, "fit_until")


_U64_MAX = 2**64 - 1


def _range(v: Any, what: str) -> List[float]:
    """A (low, high) pair of numbers, named `what` in the error."""
    try:
        lo, hi = v
    except (TypeError, ValueError):
        raise ValueError(f"{what}: a (low, high) pair, got {v!r}") from None
    return [_number(lo, what), _number(hi, what)]


def _whole(v: Any, what: str, lo: int = 0, hi: int = _U64_MAX) -> int:
    """A whole number in [lo, hi] (an int, or a float with no fractional part), or a
    ValueError naming the argument: never truncated silently."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, "__index__"):
        raise ValueError(f"{what} must be a whole number, got {type(v).__name__} {v!r}")
    if isinstance(v, float):
        if not (v == v and abs(v) != float("inf") and v == int(v)):
            raise ValueError(f"{what} must be a whole number, got {v!r}")
        v = int(v)
    n = int(v.__index__()) if not isinstance(v, int) else v
    if not lo <= n <= hi:
        raise ValueError(f"{what} must be a whole number between {lo} and {hi}, got {n}")
    return n


def _starts(v: Any) -> str:
    """``starts``: a count of agreeing starts (>= 1) or "all"."""
    if isinstance(v, str):
        return v
    return str(_whole(v, "starts", 1))


def _call(fn: Any, data: Any, opts: Optional[Mapping[str, Any]], *extra: Any) -> Any:
    try:
        return _json.loads(fn(data, _json.dumps(opts, allow_nan=False), *extra))
    except ValueError as e:
        msg = str(e)
        cells = isinstance(data, tuple) or (
            isinstance(data, list) and all(isinstance(t, tuple) for t in data))
        if msg.endswith(": empty cell") and cells:
            raise ValueError(msg + " (a missing value: NaN or None)") from None
        named = _option_naming_column(msg, opts)
        if named:
            raise ValueError(named) from None
        raise


def _option_naming_column(msg: str, opts: Optional[Mapping[str, Any]]) -> Optional[str]:
    """A missing-column error with the keyword that named the column, inside the hint the
    library gave ("did you mean ...?"), as the CLI names its flag; None for other errors."""
    m = _re.search(r"column '([^']*)': no such column", msg)
    if not m or not opts:
        return None
    col = m.group(1)
    keys = [k for k, v in opts.items()
            if isinstance(v, str) and col in (p.strip() for p in v.split(","))]
    if not keys:
        return None
    phrase = f"the keyword {keys[0]}= names this column"
    if " (did you mean" in msg:
        return msg.replace(" (did you mean", f" ({phrase}; did you mean", 1)
    return f"{msg} ({phrase})"


def laws(kind: Optional[str] = "fit") -> _pd.DataFrame:
    """The law catalog (``slaw laws``): one row per law with its kind, formula, inputs,
    parameters (with bounds) and description.

    ``kind``: "fit" (default: the laws ``fit`` and ``compare`` take), "forecast" (the loss-curve
    laws of ``forecast``), "trajectory_forms" (the temporal law's), "compare_procedures" (M4 fitted
    by its authors' procedure, which only ``compare``'s pool names), indexed by name; or None for
    every kind, indexed by (kind, name) (a name such as ``power`` is both a fit and a forecast
    law)."""
    cat = _json.loads(_native.laws())
    if kind is not None and kind not in cat:
        raise ValueError(f"kind: '{kind}' is not one of {', '.join(cat)} (or None for all)")
    rows = []
    for k, items in cat.items():
        if kind is not None and k != kind:
            continue
        for law in items:
            rows.append({
                "name": law["name"], "kind": k, "formula": law["formula"],
                "inputs": list(law["inputs"]),
                "params": [p["name"] for p in law["params"]],
                "bounds": {p["name"]: (p["lower"], p["upper"]) for p in law["params"]},
                "description": law["description"],
            })
    return _pd.DataFrame(rows).set_index("name" if kind is not None else ["kind", "name"])


def _data_opts(x: Any, y: str, group: Any, derive: Any, weight: Any, holdout: Optional[str],
               holdout_col: Any, objective: str, delta: float, space: str, max_iter: int,
               screen_tol: float, starts: Union[int, str]) -> Dict[str, Any]:
    # Empty (x not given): the table's one numeric column besides the loss, chosen by the
    # library (_chosen_input) once the table is read.
    xs = _names(x, "x")
    if not isinstance(y, str):
        raise ValueError(f"y must be a column name (str), got {type(y).__name__}")
    if isinstance(derive, _abc.Mapping):
        derive = [f"{k}={v}" for k, v in derive.items()]
    return {
        "x": xs, "y": y, "group": _opt_str(group, "group"), "derive": _names(derive, "derive"),
        "weight": _opt_str(weight, "weight"), "holdout": _holdout_rule(holdout),
        "holdout_col": _opt_str(holdout_col, "holdout_col"), "objective": str(objective),
        "delta": _number(delta, "delta"), "space": str(space),
        "max_iter": _whole(max_iter, "max_iter", 1),
        "screen_tol": _number(screen_tol, "screen_tol"), "starts": _starts(starts),
    }


def _read_once(table: Any, opts: Dict[str, Any]) -> Any:
    """A file whose input column is to be chosen (no ``x``) read once, for the choice and the
    fit both (each would read the path again); a path with ``x`` given, or cells, as given."""
    if isinstance(table, str) and not opts["x"]:
        return _native._read(table)
    return table


def _chosen_input(table: Any, opts: Dict[str, Any]) -> Optional[str]:
    """With no ``x`` given: the table's one numeric column besides the loss (and the group,
    weight and hold-out columns) as the input, chosen by the library as the CLI's ``slaw fit``
    and ``slaw compare`` choose it without ``--x`` (``opts["x"]`` set); returns the note that
    says so (None when ``x`` was given). Several candidates, or none, are a ``ValueError``
    listing them."""
    if opts["x"]:
        return None
    keys = ("x", "y", "group", "derive", "weight", "holdout", "holdout_col")
    out = _call(_native._choose_input, table, {k: opts[k] for k in keys})
    opts["x"] = list(out["x"])
    return out.get("note")


def _flag(v: Any, name: str) -> bool:
    if not isinstance(v, (bool, _np.bool_)):
        raise ValueError(f"{name}= must be True or False, got {v!r}")
    return bool(v)


def fit(
    data: DataLike,
    law: Optional[str] = None,
    *,
    x: Union[str, Sequence[str], None] = None,
    y: str = "loss",
    formula: Optional[str] = None,
    params: Optional[Sequence[str]] = None,
    log_params: Optional[Sequence[str]] = None,
    bounds: Optional[Mapping[str, Tuple[float, float]]] = None,
    init: Optional[Mapping[str, Sequence[float]]] = None,
    group: Optional[str] = None,
    derive: Union[None, Sequence[str], Mapping[str, str]] = None,
    weight: Optional[str] = None,
    holdout: Optional[str] = None,
    holdout_col: Optional[str] = None,
    objective: str = "huber",
    delta: float = 1e-3,
    space: str = "log",
    max_iter: int = 1000,
    screen_tol: float = 1e-3,
    starts: Union[int, str] = 3,
    predict: Any = None,
    bootstrap: int = 0,
    level: float = 0.95,
    seed: int = 0,
    profile: bool = False,
) -> Union[FitResult, FitResults]:
    """Fit a law to data (``slaw fit``).

    Parameters
    ----------
    data : DataFrame, dict of columns, or a path to a CSV/TSV/JSON-lines file.
    law : a built-in law (see :func:`laws`), or ``formula=`` with ``params=``.
    x, y : input column(s), in the order of the law's inputs, and the loss column. ``x`` not
        given: the table's one numeric column besides the loss (and the group, weight and
        hold-out columns), as the CLI without ``--x``, said in a ``UserWarning`` ("note: x: n
        (the only numeric column besides loss)"); several such columns are a ``ValueError``
        listing them.
    formula, params, log_params : a law of your own, e.g.
        ``formula="B/(Dl + D^beta) + E", params=["B", "Dl", "beta", "E"], log_params=["B", "Dl", "E"]``.
    bounds : {name: (lo, hi)}; init : {name: [starting values]}, added to the law's own grid
        for that parameter (data units: with either, the search runs in the data's units, as
        the CLI's ``--bound``/``--init``).
    group : fit one law per value of this column (returns :class:`FitResults`).
    derive : columns computed before fitting, ``["D=C/(6*N)"]`` or ``{"D": "C/(6*N)"}``.
    weight, holdout ("none", "largest:K[:INPUT]", "column"), holdout_col, objective ("huber",
    "squared"), delta, space ("log", "linear"), max_iter, screen_tol, starts (K or "all"):
        as the CLI's options of the same names. ``"largest:K[:INPUT]"`` holds out, per group,
        every row at the K largest distinct values of INPUT (default: the first input): K
        values, not K rows, so tied rows go together and the rows' order does not matter; with
        several inputs only INPUT is ranked (Chinchilla's ``"largest:2"``: every run at the 2
        largest N, whatever its D); values tie only when exactly equal.
    predict : points to predict at, reported with intervals: the forms
        :meth:`FitResult.predict` takes (a DataFrame or dict with the x columns, an array of
        shape (n, k), or (n,) for a one-input law, a list of points, a scalar); a flat list
        of k values is one point of a k-input law.
    bootstrap, level, seed : bootstrap replicates for the parameter intervals, their level.
    profile : profile-likelihood intervals of the parameters at ``level`` (``slaw fit
        --profile``): then :attr:`FitResult.intervals` holds them (``interval_kind ==
        "profile"``; an open side, not determined by the data, reaches the parameter's bound).

    Returns
    -------
    FitResult (one group) or FitResults (a mapping group -> FitResult).
    """
    opts = _data_opts(x, y, group, derive, weight, holdout, holdout_col, objective, delta,
                      space, max_iter, screen_tol, starts)
    if (law is None) == (formula is None):
        raise ValueError("give law=NAME (see slaw.laws()) or formula='...' with params=[...]")
    path_or_cells = _to_table(data)
    table = _read_once(path_or_cells, opts)
    # No x: the one numeric column besides the loss, as the CLI's note says.
    x_note = _chosen_input(table, opts)
    if x_note:
        _warnings.warn(f"note: {x_note}", stacklevel=2)
    spec: Dict[str, Any] = {
        "law": law, "formula": formula, "params": _names(params, "params"),
        "log_params": _names(log_params, "log_params"), "x": opts["x"],
        "bounds": [[k, *_bounds(k, b)] for k, b in _mapping(bounds, "bounds").items()],
        "init": [[k, [_number(v, f"init[{k!r}]") for v in (vs if hasattr(vs, "__iter__") else [vs])]]
                 for k, vs in _mapping(init, "init").items()],
    }
    pts = [] if predict is None else _as_points(predict, _law_inputs(law, opts["x"]), opts["x"])
    opts.update({"law": spec, "predict": pts, "bootstrap": _whole(bootstrap, "bootstrap"),
                 "level": _number(level, "level"), "seed": _whole(seed, "seed"),
                 "profile": _flag(profile, "profile")})
    raw = _call(_native.fit, table, opts)
    # Beside the CLI's --json ({law, formula, groups}): what the results need (the CLI's
    # --plot figures, the fitted points' ranges).
    figures = raw.pop("_figures")
    figure_all = raw.pop("_figure_all")
    ranges = raw.pop("_ranges")
    param_names = list(raw.pop("param_names"))
    inputs = raw.pop("inputs")
    transforms = raw.pop("transforms")
    bounds = [tuple(b) for b in raw.pop("bounds")]
    pred_spec = {k: spec[k] for k in ("law", "formula", "params", "log_params", "x")}
    keep = data if not isinstance(data, (str, _os.PathLike)) else None
    if isinstance(keep, _pd.DataFrame):
        keep = _index_columns(keep)  # a group column kept in the index, as the library read it

    fits = {}
    for g, fig, rng in zip(raw["groups"], figures, ranges):
        sub = keep
        if keep is not None and group is not None:
            df = keep if isinstance(keep, _pd.DataFrame) else _pd.DataFrame(keep)
            # The keys as the library read them (booleans are "1"/"0", floats shortest).
            keys = _np.asarray(_column_cells(group, df[group].to_numpy(), "data"))
            sub = df[keys == g["group"]]
        fits[g["group"]] = FitResult(g, pred_spec, inputs, opts["x"], y, raw["formula"],
                                     float(level), sub, transforms, param_names, bounds,
                                     figure=fig, ranges=rng, refit=_Refit(path_or_cells, opts, g["group"]))
    # A group with too few points to fit is skipped, as the CLI's (FitResults.skipped).
    for w in raw.get("warnings") or []:
        _warnings.warn(w, stacklevel=2)
    # Each fit's own warnings (a parameter on a bound or not pinned, the law not following
    # the data's end, ...), which the CLI prints as `warning:` lines: raised too, as the
    # other commands raise theirs (they were only in `.warnings`, so a fit on 4 points
    # predicted silently); by group when grouped.
    for key, r in fits.items():
        for w in r.warnings:
            _warnings.warn(f"group {key}: {w}" if group is not None else w, stacklevel=2)
    # A fit that failed (the CLI's FAILED and exit status 3): its parameters are not to be used.
    for g in raw["groups"]:
        f = g.get("fit") or {}
        if not f.get("converged", True):
            where = f"group {g['group']}: " if g.get("group") else ""
            _warnings.warn(f"{where}the fit did not converge ({f.get('termination')}: "
                           f"{f.get('termination_message')}): its parameters and predictions are "
                           "not to be used", stacklevel=2)
    if group is None and len(fits) == 1:
        return next(iter(fits.values()))
    return FitResults(raw, fits, figure_all)


class _Refit:
    """The same fit with other prediction points, for ``FitResult.predict(intervals=True)``:
    the table and options kept as plain data (not a closure), so that a result pickles (a
    process pool, a cache) and fits again after unpickling."""

    def __init__(self, table: Any, opts: Mapping[str, Any], key: str):
        self.table = table
        self.opts = dict(opts)
        self.key = key

    def __call__(self, points: List[List[float]]) -> List[Dict[str, Any]]:
        out = _call(_native.fit, self.table, dict(self.opts, predict=[list(p) for p in points]))
        for g in out["groups"]:
            if g["group"] == self.key:
                return list(g.get("predictions") or [])
        return []


def _mapping(v: Any, what: str) -> Mapping[str, Any]:
    if v is None:
        return {}
    if not isinstance(v, _abc.Mapping):
        raise ValueError(f"{what}: give a dict {{parameter: ...}}, got {type(v).__name__}")
    return v


def _bounds(name: str, b: Any) -> List[float]:
    what = f"bounds[{name!r}]"
    try:
        lo, hi = b
    except (TypeError, ValueError):
        raise ValueError(f"{what}: give (low, high), got {b!r}") from None
    return [_number(lo, what), _number(hi, what)]


def _law_inputs(law: Optional[str], xs: List[str]) -> List[str]:
    """A built-in law's input names where it takes as many as the x columns; else the x
    columns (a formula's inputs)."""
    if law is not None:
        for item in _json.loads(_native.laws())["fit"]:
            if item["name"] == law and len(item["inputs"]) == len(xs):
                return list(item["inputs"])
    return list(xs)


def compare(
    data: DataLike,
    laws: Optional[Sequence[str]] = None,
    *,
    x: Union[str, Sequence[str], None] = None,
    y: str = "loss",
    group: Optional[str] = None,
    derive: Union[None, Sequence[str], Mapping[str, str]] = None,
    weight: Optional[str] = None,
    holdout: Optional[str] = None,
    holdout_col: Optional[str] = None,
    objective: str = "huber",
    delta: float = 1e-3,
    space: str = "log",
    max_iter: int = 1000,
    screen_tol: float = 1e-3,
    starts: Union[int, str] = 3,
    pick: str = "auto",
    predict: Union[None, float, Sequence[float]] = None,
    drift: bool = True,
) -> FrameResult:
    """Fit several laws to the same data and rank them (``slaw compare``).

    ``laws``: catalog laws (see :func:`laws`) or ``m4-authors``/``m4-authors-capped`` (M4 fitted
    by its authors' procedure, backtest pick only); default as the CLI's: with one input the
    learning-curve pool power, vanilla-ft, rectified, bnsl, m4-authors-capped, else every
    catalog law of that many inputs.
    ``pick="holdout"``: by held-out RMSD of log L (default hold-out: every row at the 2 largest
    values of the first input, as ``holdout="largest:2"`` in :func:`fit`, when ``holdout`` is not
    given), by AIC with ``holdout="none"`` (nothing held out); ``to_frame()``: one row per law (rank,
    status, RMSDs, AIC, BIC, ...). ``pick="backtest"``: each law refitted at rolling origins
    inside the data (75% of the points, and all but the last 2) and scored on the later
    points; the shipped rule (chosen leaving one family of curves out, see BENCHMARKS.md) takes
    the median of the 3 best laws' predictions, each lowered by a learned drift beyond the
    data; when fewer than 2 laws can be backtested (short windows), every usable fit weighs
    equally. ``to_frame()``: one row per group and law (score, weight, chosen: the law of
    largest weight, among equal weights the best score). ``pick="auto"`` (as the CLI):
    backtest with one input and no ``holdout``/``holdout_col`` given, else holdout. Laws that cannot be fitted are
    listed with the reason.

    ``drift=False`` (the CLI's ``--no-drift``): the backtest pick without its learned drift
    correction, each law's prediction beyond the data as fitted (the drift is a prior learned on
    language-model curves and lowers predictions on curves of other kinds too).

    ``predict``: values of x (> 0) at which the backtest pick predicts (the CLI's ``--predict``):
    ``.predictions`` is a DataFrame (group, x, loss, and equal_fit_lo / equal_fit_hi: where a
    chosen law's Huber optimum is a segment, the range of the prediction over the fits as good,
    NaN elsewhere), ``to_dict()["predictions"]`` the CLI's JSON.

    The backtest pick's frame has a row per law: score, weight, chosen, converged, reason, and
    ``segment_origins`` (the origins whose refit's Huber optimum is a segment, so the score there is
    one of many the points allow; the CLI's line naming them for the laws in the pick).

    ``x`` not given: the table's one numeric column besides the loss (and the group, weight and
    hold-out columns), as the CLI without ``--x``; a ``UserWarning`` says which (the CLI's
    ``note:``, also among the result's notes); several such columns are a ``ValueError`` listing
    them.

    On a TensorBoard event file, the steps where a column used is not logged are dropped, as the
    CLI does; a ``UserWarning`` says how many (the CLI's ``note:``)."""
    # law names hold no comma: "power,rectified" is the CLI's --laws list
    names = [n.strip() for s in _names(laws, "laws") for n in s.split(",") if n.strip()]
    if laws is not None and not names:
        raise ValueError("laws: name the laws to compare, e.g. ['power', 'rectified'], "
                         "or leave it out for the CLI's default")
    xs = [] if predict is None else _np.asarray(predict, dtype=float).reshape(-1).tolist()
    opts = _data_opts(x, y, group, derive, weight, holdout, holdout_col, objective, delta,
                      space, max_iter, screen_tol, starts)
    opts["laws"] = names
    opts["pick"] = str(pick)
    opts["predict"] = [_number(v, "predict") for v in xs]
    if not isinstance(drift, bool):
        raise ValueError(f"drift: expected True or False, got {drift!r}")
    opts["drift"] = drift
    table = _read_once(_to_table(data), opts)
    x_note = _chosen_input(table, opts)
    out = _call(_native.compare, table, opts)
    raw = out["result"]
    text = out.get("text") or ""  # what the CLI prints after its notes, for report()
    # The backtest pick's figure per group, for plot() (the CLI draws none).
    cmp_figures = [(g.get("group", ""), f) for g, f in
                   zip(raw.get("groups") or [], out.get("figures") or [])] if isinstance(raw, dict) else []
    # The CLI's notes: the input chosen without x first, then what reading the data dropped
    # (an event file's steps where a tag is not logged).
    read_notes = ([x_note] if x_note else []) + list(out.get("notes") or [])
    for n in read_notes:
        _warnings.warn(n, stacklevel=2)
    if isinstance(raw, dict):
        names = [l["law"] for l in (raw.get("groups") or [{}])[0].get("laws", [])] + [
            sk["law"] for sk in raw.get("skipped", [])]
        rows = []
        for g in raw.get("groups", []):
            for l in g.get("laws", []):
                rows.append({"group": g.get("group", ""), "law": l["law"], "score": l.get("score"),
                             "weight": l.get("weight"), "chosen": l["law"] == g.get("choice"),
                             "converged": l.get("converged"), "reason": l.get("reason"),
                             # origins whose refit's Huber optimum is a segment: the score
                             # there is one of many the points allow
                             "segment_origins": ", ".join(l.get("segment_origins") or [])})
        for sk in raw.get("skipped", []):
            rows.append({"group": "", "law": sk["law"], "score": None, "weight": 0.0,
                         "chosen": False, "converged": False, "reason": sk["reason"],
                         "segment_origins": ""})
        frame = _pd.DataFrame(rows).set_index("law") if rows else _pd.DataFrame()
        raw_preds = raw.get("predictions") or []
        preds = _pd.DataFrame(raw_preds, columns=["group", "x", "loss"])
        preds["loss"] = preds["loss"].astype(float)
        # Where a chosen law's Huber optimum is a segment: the range of the pick's
        # prediction over the fits as good (NaN elsewhere).
        segs = [p.get("equal_fit_range") or {} for p in raw_preds]
        preds["equal_fit_lo"] = [float(r.get("lo", float("nan"))) for r in segs]
        preds["equal_fit_hi"] = [float(r.get("hi", float("nan"))) for r in segs]
        # The combined laws' own predictions, lowest and highest (their spread, not an
        # interval; NaN where one law alone makes the prediction).
        spread = [p.get("laws_range") or {} for p in raw_preds]
        preds["laws_lo"] = [float(r.get("lo", float("nan"))) for r in spread]
        preds["laws_hi"] = [float(r.get("hi", float("nan"))) for r in spread]
        # A prediction the drift correction took below every combined law's floor: the lowest
        # floor (NaN elsewhere), as the CLI's note says.
        floors = [p.get("below_floors") or {} for p in raw_preds]
        preds["below_floor"] = [float(f.get("floor", float("nan"))) for f in floors]
        # A combined law whose prediction leans on parameters the data do not pin.
        lean = []
        for p in raw_preds:
            for u in p.get("depends_on_unpinned") or []:
                w = (f"{u['law']}'s prediction at x = {p['x']:g} depends on "
                     f"{', '.join(u['params'])}, which the data do not pin: it is not "
                     "determined by the data")
                _warnings.warn(w, stacklevel=2)
                lean.append(f"warning: {w}")
            f = p.get("below_floors")
            if f:
                lean.append(f"note: the drift correction puts the prediction at x = {p['x']:g} "
                            f"below the floor of every combined law (the lowest, {f['law']}'s, "
                            f"is {f['floor']:.6g}): no fitted law predicts a loss this low")
        notes = [f"note: {n}" for n in read_notes] + [
                 f"prediction{f' ({p.group})' if p.group else ''} at x = {p.x:g}: {p.loss:.6g}"
                 + (f" (a chosen law's Huber optimum is a segment: fits as good predict "
                    f"{p.equal_fit_lo:.6g} to {p.equal_fit_hi:.6g})" if p.equal_fit_lo == p.equal_fit_lo else "")
                 for p in preds.itertuples()] + lean
        # What the data warrant (an input that never varies, a value decades from the rest).
        for w in raw.get("warnings") or []:
            _warnings.warn(w, stacklevel=2)
            notes.append(f"warning: {w}")
        result = FrameResult(raw, frame, f"Backtest pick among {', '.join(names)} on {y}", notes,
                             figures=cmp_figures,
                             text="".join(f"note: {n}\n" for n in read_notes) + text)
        result.predictions = preds  # type: ignore[attr-defined]
        # The lack-of-fit check of each group's pick (its backtest error many times the
        # points' noise: no law of the pool follows them), by group key; empty when none warns.
        result.lack_of_fit = {  # type: ignore[attr-defined]
            g.get("group", ""): g["lack_of_fit"] for g in raw.get("groups", [])
            if g.get("lack_of_fit")}
        return result
    names = [r["law"] for r in raw]
    frame = _pd.DataFrame(raw).set_index("law") if raw else _pd.DataFrame()
    return FrameResult(raw, frame, f"Comparison of {', '.join(names)} on {y}",
                       [f"note: {n}" for n in read_notes], bars="heldout_rmsd_log",
                       text="".join(f"note: {n}\n" for n in read_notes) + text)


def select(
    data: DataLike,
    *,
    target: float,
    budget: Union[str, float, None] = None,
    max_n: Optional[float] = None,
    method: Optional[str] = None,
    reference: Union[DataLike, Sequence[DataLike], None] = None,
    k: int = 3,
    delta: float = 5.0,
    bootstrap: int = 200,
    bootstrap_level: float = 0.95,
    seed: int = 0,
    level: float = 0.9,
    tokens_per_example: Optional[float] = None,
    epochs: float = 1.0,
    model_col: str = "model",
    n_col: str = "n",
    loss_col: str = "loss",
    size_col: Optional[str] = None,
) -> SelectionResult:
    """Rank candidate models by predicted fine-tuned loss at ``target`` (``slaw select``).

    ``data``: the wide table (model id, a loss column per fine-tuning size with 0 = zero-shot,
    optional size and family) or a long one (model, n, loss [, size]). The budget is a fraction
    of the target (``budget="1/64"`` or ``1/64``) or the largest affordable size (``max_n``).
    ``reference``: the same candidates' results on other tasks (``slaw select --reference``): a
    table in the same format as ``data`` (a path, a DataFrame or a dict of columns), a list of
    them, or a dict {task name: path or DataFrame}, rows matched by the model's name; each must
    reach ``target``. ``method``: default ``ats-gap``, or ``ats-ref`` with a reference (as the
    CLI). Returns a :class:`SelectionResult`; ``report()`` the CLI's text; ``.ranking`` /
    ``.to_frame()`` is the ranking DataFrame (rank, predicted_loss, lo, hi, interval kind and
    level, score, chosen), ``.cost`` the cost. Each of its ``warnings`` is also a
    ``UserWarning`` (the CLI's ``warning:`` lines). A wide table's blank cells are sizes not
    measured: they are skipped, and a ``UserWarning`` (the CLI's first note) says how many, in which
    columns.
    """
    if budget is None and max_n is None:
        raise ValueError("give the budget: budget='1/R' (a fraction of target) or max_n=N")
    if budget is not None and max_n is not None:
        raise ValueError("give the budget one way: budget='1/R' (a fraction of target) or max_n=N, not both")
    if budget is not None and not isinstance(budget, str):
        budget = repr(_number(budget, "budget"))
    opts = {
        "target": _number(target, "target"), "budget": budget,
        "max_n": None if max_n is None else _number(max_n, "max_n"),
        "method": None if method is None else str(method),
        "k": _whole(k, "k"), "delta": _number(delta, "delta"),
        "bootstrap": _whole(bootstrap, "bootstrap"),
        "bootstrap_level": _number(bootstrap_level, "bootstrap_level"),
        "seed": _whole(seed, "seed"), "level": _number(level, "level"),
        "tokens_per_example": None if tokens_per_example is None else _number(tokens_per_example, "tokens_per_example"),
        "epochs": _number(epochs, "epochs"), "model_col": model_col, "n_col": n_col,
        "loss_col": loss_col, "size_col": _opt_str(size_col, "size_col"),
    }
    raw = _call(_native.select, _to_table(data), opts, _references(reference))
    text = raw.pop("_text", "")  # what the CLI prints, for report()
    # A wide table's blank cells, skipped as not measured: the CLI's first note, as a warning.
    if raw.get("blank_cells"):
        note = raw["notes"][0]
        if not isinstance(data, (str, _os.PathLike)):
            # pandas reads a blank cell and a cell written "nan" alike (NaN): both are a size
            # not measured here; the CLI refuses "nan" (a fine-tuning that failed is not one).
            note += (" (NaN or None: a blank cell; a fine-tuning that diverged or failed is "
                     "not a size not measured: the CLI refuses a cell written 'nan')")
        _warnings.warn(note, stacklevel=2)
    result = SelectionResult(raw, text)
    # What the reader must act on (a column that rises with the size, a target past the
    # calibrated extrapolation, intervals that are a bootstrap, ...): the CLI's ``warning:``.
    for w in result.warnings:
        _warnings.warn(w, stacklevel=2)
    return result


def _references(reference: Any) -> list:
    """``reference`` as a list of tables: one table (a path, a DataFrame, a dict of columns),
    a list/tuple of them, or a dict {task name: path or DataFrame} (a DataFrame's source named
    by its key)."""
    if reference is None:
        return []
    if isinstance(reference, _abc.Mapping) and reference and all(
            _is_path(v) or isinstance(v, _pd.DataFrame) for v in reference.values()):
        # {task name: path or DataFrame}: the tables, a DataFrame's named by its key
        out = []
        for name, table in reference.items():
            t = _to_table(table, f"reference[{name!r}]")
            out.append(t if isinstance(t, str) else (str(name),) + tuple(t[1:]))
        return out
    if isinstance(reference, (list, tuple)):
        items = list(reference)
        if not items:
            raise ValueError("reference: give at least one table, or None")
    else:
        items = [reference]
    return [_to_table(r, "reference") for r in items]


def forecast(
    data: Any,
    *,
    fit_until: Union[float, str] = 0.2,
    method: str = "auto",
    at: Union[None, float, Sequence[float]] = None,
    schedule: Optional[str] = None,
    bootstrap: int = 200,
    level: float = 0.9,
    seed: int = 0,
    step_col: str = "step",
    loss_col: str = "loss",
    lr_col: Optional[str] = None,
    position_col: str = "position",
    run_col: Union[str, Sequence[str], None] = None,
    name: Optional[str] = None,
    fit_from: Optional[float] = None,
) -> Union[ForecastResult, ForecastResults]:
    """Forecast a training run's loss from the early part of its curve (``slaw forecast``).

    ``fit_until``: a fraction (<= 1) of the logged span, first to last step, or a step, or
    ``"step:N"`` (the step N whatever its value, e.g. ``"step:1"`` on a curve logged in epochs),
    as the CLI's ``--fit-until``; ``method``: auto, temporal,
    power, reciprocal, log, tissue, multipower, multipower-warmup; ``at``: a step or steps to
    forecast (default the last step); ``schedule``: e.g. ``"cosine:peak=3e-4,final=3e-5,total=24000"``;
    ``run_col``: a column, or several (a list, or ``"a,b"`` as the CLI's ``--run-col a,b``)
    whose values together name a run: one forecast per run (returns a :class:`ForecastResults`,
    a list of forecasts with ``skipped``, ``warnings`` and ``to_dict()``, the CLI's ``--json``;
    a run that cannot be forecast, e.g. too short, is left out with a warning). ``name`` names a single curve (default: a file's
    stem, as the CLI, or ``"DataFrame"``/``"dict"``). ``data`` may also be several tables, as
    ``schedule``'s: a dict {run name: path, DataFrame or dict of columns} or a list of tables;
    each is forecast as the CLI's ``slaw forecast`` of that table alone (with ``run_col``, each
    of its runs), the single curve of a table named by its key in a dict (a file's stem in a
    list, as the CLI names it; ``data[i]`` for a DataFrame), and the result is a
    :class:`ForecastResults` of every table's forecasts in the order given (its ``skipped`` and
    ``warnings`` those of the tables' runs); a table that cannot be forecast raises its
    ``ValueError`` prefixed by ``data['NAME']`` (``data[i]`` in a list). ``fit_from``: the first step fitted, as the CLI's
    ``--fit-from`` (default: the first row, or the end of a logged warmup for every law but
    multipower-warmup and temporal, with a note among the warnings; its rows stay in the summed rate).

    A NaN loss in a DataFrame is a blank cell (a loss not logged, skipped and said), except where
    it ends a run: the rows after the run's last logged loss, at later steps, holding no other
    loss column, when the run logged a loss on every earlier row. Those are a divergence, as a
    ``nan`` cell of a file: the run is forecast from before it, had it not diverged, and a
    warning says where it diverged (inside the fitted window, an error). A single curve's
    warnings are each a ``UserWarning`` too (the CLI's ``warning:`` lines), and so are the notes
    on the columns found for the default names (a W&B export's loss and learning rate).

    ``step_col`` left at ``"step"`` on a table without such a column (``n`` and ``loss``): its one
    numeric column besides the loss (and the learning-rate, run and position columns) is the step,
    as the CLI does, said in a ``UserWarning`` ("note: step: n (no 'step' column; ...)"); several
    such columns are a ``ValueError`` listing them.
    """
    if run_col is not None and not isinstance(run_col, str):
        run_col = ",".join(_names(run_col, "run_col"))
    runs_of = _forecast_runs(data)
    if runs_of is not None:
        # Several tables (a dict {run name: table}, a list of tables): each forecast as the CLI's
        # `slaw forecast` of that table alone, its single curve named by its key (a file's stem
        # in a list, as the CLI's, a DataFrame's "data[i]").
        if name is not None:
            raise ValueError("name: the runs of a dict are named by its keys (of a list: a "
                             "file's stem, data[i] for a DataFrame); give name= with one table")
        raw: Dict[str, Any] = {"forecasts": [], "skipped": [], "warnings": []}
        curves: List[Any] = []
        texts: List[str] = []
        for what, key, table in runs_of:
            try:
                one = _forecast_raw(table, key, fit_until, method, at, schedule, bootstrap,
                                    level, seed, step_col, loss_col, lr_col, position_col,
                                    run_col, fit_from)
            except ValueError as e:
                raise ValueError(f"{what}: {e}") from e
            o_raw, o_curves, o_texts, _ = one
            for k in raw:
                raw[k].extend(o_raw.get(k) or [])
            curves += o_curves
            texts += o_texts
        return ForecastResults(raw, curves, texts)
    runs, curves, texts, text = _forecast_raw(data, name, fit_until, method, at, schedule,
                                              bootstrap, level, seed, step_col, loss_col,
                                              lr_col, position_col, run_col, fit_from)
    if run_col is not None:
        return ForecastResults(runs, curves, texts, text)
    # A single curve's warnings (a divergence, rows skipped, a decay ahead of the window): the
    # CLI's `warning:` lines, each a UserWarning too (with run_col, each run's are in its
    # ForecastResult.warnings and the ForecastResults' report).
    for w in runs["forecasts"][0].get("warnings") or []:
        _warnings.warn(w, stacklevel=2)
    return ForecastResult(runs["forecasts"][0], curves[0], text)


def _forecast_runs(data: Any) -> Optional[List[Tuple[str, Optional[str], Any]]]:
    """``forecast``'s tables when it is given several: (what to name in an error, the run's name
    (None: the file's stem, as the CLI's), the table) for a dict {run name: path, DataFrame or
    dict of columns} or a list of those; None for one table (a dict of columns stays one)."""
    if isinstance(data, _abc.Mapping) and data and all(_is_table(v) for v in data.values()):
        return [(f"data[{k!r}]", str(k), v) for k, v in data.items()]
    if isinstance(data, (list, tuple)):
        if not data:
            raise ValueError("data: give the run's table(s): at least one")
        out = []
        for i, table in enumerate(data):
            if not _is_table(table):
                raise ValueError(f"data[{i}] must be a file path, a pandas DataFrame or a dict "
                                 f"of columns, got {type(table).__name__}")
            out.append((f"data[{i}]", None if _is_path(table) else f"data[{i}]", table))
        return out
    return None


def _forecast_raw(data: Any, name: Optional[str], fit_until: Any, method: str, at: Any,
                  schedule: Optional[str], bootstrap: int, level: float, seed: int,
                  step_col: str, loss_col: str, lr_col: Optional[str], position_col: str,
                  run_col: Optional[str], fit_from: Optional[float]) -> Tuple[Any, list, list, str]:
    """One table's forecasts: the CLI's ``--json`` (the runs' warnings raised as
    ``UserWarning``), each forecast's curve and text, and the CLI's text."""
    opts = {
        "fit_until": _fit_until(fit_until), "method": str(method),
        "at": [_number(a, "at") for a in _values(at, "at")], "schedule": schedule,
        "bootstrap": _whole(bootstrap, "bootstrap"), "level": _number(level, "level"),
        "seed": _whole(seed, "seed"),
        "step_col": step_col, "loss_col": loss_col, "lr_col": _opt_str(lr_col, "lr_col"),
        "position_col": position_col, "run_col": run_col, "name": name,
    }
    if fit_from is not None:
        opts["fit_from"] = _number(fit_from, "fit_from")
    table = _to_table(data)
    if not isinstance(table, str) and step_col not in table[1]:
        # No step column (a table of n and loss): its one numeric column besides the loss,
        # chosen by the library as the CLI does (the engine does the same for a file).
        chosen = _call(_native._choose_step, table, opts)
        if chosen.get("note"):
            _warnings.warn(f"note: {chosen['note']}", stacklevel=3)
            step_col = opts["step_col"] = chosen["step_col"]
    if not isinstance(table, str) and position_col not in table[1]:
        # A NaN loss that ends a run is a divergence, as a `nan` cell of a file (not a loss
        # left blank): the engine says where the run diverged and forecasts from before it.
        loss = _native._loss_column(table[1], loss_col)
        runs_by = [c.strip() for c in run_col.split(",")] if run_col else []
        table = _diverged_tail(table, loss, step_col, runs_by)
    runs = _call(_native.forecast, table, opts)
    # Each forecast's curve, for plot(): beside the CLI's --json, taken out of it.
    curves = [f.pop("_curve", None) for f in runs.get("forecasts", [])]
    # What the CLI prints, for report(): each forecast's report, and the whole text.
    texts = [f.pop("_text", "") for f in runs.get("forecasts", [])]
    text = runs.pop("_text", "")
    # The columns found for the default names (a W&B export's loss and rate): the CLI's note.
    for n in runs.pop("_notes", None) or []:
        _warnings.warn(f"note: {n}", stacklevel=3)
    for w in runs.get("warnings", []):
        _warnings.warn(w, stacklevel=3)
    return runs, curves, texts, text


def _is_path(v: Any) -> bool:
    return isinstance(v, (str, _os.PathLike))


def _is_table(v: Any) -> bool:
    """A table of one run: a path, a DataFrame or a dict of columns."""
    return _is_path(v) or isinstance(v, (_pd.DataFrame, _abc.Mapping))


def _runs_tables(data: Any) -> list:
    """``schedule``'s runs as tables: one table (a path, a DataFrame, a dict of columns), a
    list of them, or a dict {run name: path, DataFrame or dict of columns}. A file's runs are
    named by its stem (as the CLI's), a dict's by its key (a file given there is read once, its
    errors naming the file); an unnamed DataFrame's "DataFrame" (one) or ``data[i]`` (the i-th
    of a list)."""
    if isinstance(data, _abc.Mapping) and data and all(_is_table(v) for v in data.values()):
        out = []
        for name, table in data.items():
            if _is_path(table):
                # read here, once: the run takes the key's name, errors name the file
                out.append(_native._read(_os.fspath(table), str(name)))
                continue
            t = _to_table(table, f"data[{name!r}]")
            out.append((str(name),) + tuple(t[1:]))
        return out
    if isinstance(data, (list, tuple)):
        if not data:
            raise ValueError("data: give the runs' table(s): at least one")
        out = []
        for i, table in enumerate(data):
            t = _to_table(table, f"data[{i}]")
            out.append(t if isinstance(t, str) else (f"data[{i}]",) + tuple(t[1:]))
        return out
    return [_to_table(data)]


def schedule(
    data: Any,
    *,
    predict: Union[None, str, Sequence[str]] = None,
    steps: Optional[float] = None,
    every: Optional[float] = None,
    optimize_wsd: Optional[str] = None,
    decay_fractions: Union[None, float, Sequence[float]] = None,
    method: str = "tissue",
    bootstrap: int = 100,
    level: float = 0.9,
    seed: int = 0,
    step_col: str = "step",
    loss_col: str = "loss",
    lr_col: str = "lr",
    run_col: Union[str, Sequence[str], None] = None,
) -> ScheduleResult:
    """What if the runs had used another learning-rate schedule (``slaw schedule``): fit a
    schedule-aware law on every point of the runs given (several schedules pin its annealing
    terms), predict the whole loss curve under each schedule of ``predict``, with intervals.

    ``data``: the runs' loss curves (step, learning rate and loss columns): one table (a path,
    a DataFrame, a dict of columns; several runs with ``run_col``), a list of tables (one run
    each, as the CLI's FILES), or a dict {run name: path, DataFrame or dict of columns}. A
    file's run is named by its stem, as the CLI names it, or by its key in a dict (read once
    there; a bad cell raises the CLI's error naming the file, row and column); an unnamed
    DataFrame's "DataFrame" (one) or ``data[i]`` (in a list).
    ``predict``: a schedule or a list of them, as the CLI's ``--predict``:
    ``"KIND:KEY=VALUE,..."`` (constant:peak=P; cosine:peak=P,total=T; linear:peak=P,total=T;
    wsd:peak=P,decay_start=S,total=T[,decay=linear|exp|cosine]; two-stage:peak=P,switch=S,low=Q;
    each also warmup=W, and cosine, linear and wsd final=F) or ``"lr:FILE"`` (a file with the
    learning rate per step). ``steps``: the step budget, the last step of the schedules without
    a total and of the WSD search. ``every``: spacing of the predicted points (default: the
    first run's median spacing). ``optimize_wsd``: ``"peak=P[,final=F][,warmup=W][,decay=...]"``
    searches the WSD decay lengths ``decay_fractions`` (of the steps after warmup; default
    0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5) for a budget of ``steps``: ``best`` says which
    lengths the runs cannot tell apart. ``method``: tissue, multipower or multipower-warmup.
    ``bootstrap``, ``level``, ``seed``: the intervals, as the CLI's. ``run_col``: a column, or
    several (a list, or ``"a,b"``), whose values together name a run.

    Returns a :class:`ScheduleResult`: ``to_dict()`` is the CLI's ``--json``; ``report()`` the
    CLI's text; ``to_frame()`` the final loss per schedule, ``predictions`` every predicted point, ``plot()`` the CLI's
    ``--plot`` figure. A bad schedule raises ``ValueError`` naming it (``predict:
    'cosine:peak=3e-4': missing total=``); the warnings (the CLI's ``warning:`` lines) are each
    a ``UserWarning`` too."""
    if run_col is not None and not isinstance(run_col, str):
        run_col = ",".join(_names(run_col, "run_col"))
    if isinstance(predict, str):
        predict = [predict]
    specs = [] if predict is None else list(predict)
    if not all(isinstance(p, str) for p in specs):
        raise ValueError(f"predict: give a schedule (str) or a list of them, got {predict!r}")
    if optimize_wsd is not None and not isinstance(optimize_wsd, str):
        raise ValueError(f"optimize_wsd: give the search as text, e.g. 'peak=3e-4,final=3e-5', "
                         f"got {optimize_wsd!r}")
    opts: Dict[str, Any] = {
        "predict": specs, "steps": None if steps is None else _number(steps, "steps"),
        "every": None if every is None else _number(every, "every"),
        "optimize_wsd": optimize_wsd, "method": str(method),
        "bootstrap": _whole(bootstrap, "bootstrap"), "level": _number(level, "level"),
        "seed": _whole(seed, "seed"), "step_col": step_col, "loss_col": loss_col,
        "lr_col": lr_col, "run_col": _opt_str(run_col, "run_col"),
    }
    if decay_fractions is not None:
        opts["decay_fractions"] = [_number(f, "decay_fractions")
                                   for f in _values(decay_fractions, "decay_fractions")]
    tables = _runs_tables(data)
    raw = _call(_native.schedule, tables, opts)
    figure = raw.pop("_figure", None)
    text = raw.pop("_text", "")  # what the CLI prints, for report()
    result = ScheduleResult(raw, figure, text)
    for w in result.warnings:
        _warnings.warn(w, stacklevel=2)
    return result


def _run_cols(factors: Any, pet: Any, method_col: str, data_col: str, loss_col: str,
              experiment_col: Any, holdout_col: Any) -> Dict[str, Any]:
    fs = _names(factors, "factors")
    if not fs:
        raise ValueError("factors: name the factor column(s), e.g. ['model_size']")
    return {"factors": fs, "pet": _names(pet, "pet"), "method_col": method_col,
            "data_col": data_col, "loss_col": loss_col,
            "experiment_col": _opt_str(experiment_col, "experiment_col"),
            "holdout_col": _opt_str(holdout_col, "holdout_col")}


def joint(
    data: DataLike,
    *,
    factors: Union[str, Sequence[str]],
    pet: Union[str, Sequence[str], None] = None,
    method_col: str = "method",
    data_col: str = "data",
    loss_col: str = "loss",
    experiment_col: Optional[str] = None,
    holdout_col: Optional[str] = None,
) -> JointResult:
    """Fit the joint fine-tuning laws (multiplicative and additive) per fine-tuning method
    (``slaw joint``). ``to_frame()``: one row per method and form with the shared parameters,
    their standard errors (``<name>_se``) and the held-out MAD; ``.warnings`` every warning
    (the CLI's JSON ``warnings``); ``.held_out`` the held-out comparison per method;
    ``.skipped`` the methods and factors that could not be fitted (DataFrame: method, factor
    (None for a whole method), reason; each also a ``UserWarning``); ``report()`` what the CLI
    prints; ``to_dict()``: the CLI's ``--json`` (``fits``, ``skipped``, ``warnings``)."""
    opts = _run_cols(factors, pet, method_col, data_col, loss_col, experiment_col, holdout_col)
    raw = _call(_native.joint, _to_table(data), opts)
    figures = raw.pop("_figures", None)  # the CLI's --plot figures per form, for plot()
    text = raw.pop("_text", "")  # what the CLI prints, for report()
    # A method or factor that cannot be fitted is skipped, as the CLI's (JointResult.skipped).
    for k in raw.get("skipped") or []:
        _warnings.warn(f"method '{k['method']}' not fitted: {k['reason']}" if k.get("factor") is None
                      else f"method {k['method']}: {k['reason']}: not fitted (the method's other "
                      "factors are)", stacklevel=2)
    rows = []
    for m in raw.get("fits") or []:
        for f in m.get("forms", []):
            row: Dict[str, Any] = {"method": m.get("method"), "form": f.get("form"),
                                   "formula": f.get("formula")}
            shared = f.get("shared") or {}
            row.update(shared if isinstance(shared, dict) else {n: v for n, v in shared})
            se = f.get("shared_std_errors") or {}
            se = se if isinstance(se, dict) else {n: v for n, v in se}
            row.update({f"{n}_se": v for n, v in se.items()})
            row["mad_fit"] = f.get("mad_fit")
            row["mad_held"] = f.get("mad_held")
            row["converged"] = bool(f.get("shared_converged", True)) and all(
                fa.get("converged", True) for fa in f.get("factors") or [])
            rows.append(row)
    frame = _pd.DataFrame(rows)
    if len(frame):
        frame = frame.set_index(["method", "form"])
    return JointResult(raw, frame, figures, text)


def methods(
    data: DataLike,
    *,
    factors: Union[str, Sequence[str]],
    at: Mapping[str, float],
    data_size: float,
    form: str = "multiplicative",
    bootstrap: int = 200,
    level: float = 0.95,
    seed: int = 0,
    d_range: Optional[Tuple[float, float]] = None,
    pet: Union[str, Sequence[str], None] = None,
    method_col: str = "method",
    data_col: str = "data",
    loss_col: str = "loss",
    experiment_col: Optional[str] = None,
    holdout_col: Optional[str] = None,
    intervals: str = "bootstrap",
) -> MethodsResult:
    """Which fine-tuning method for a setting (``slaw methods``): ``at={"model_size": 8e9}``,
    ``data_size`` the fine-tuning data size (the CLI's ``--data``); ``d_range`` where critical
    data sizes are searched (default, as the CLI's ``--d-range``: from 1e-4 x the smallest to
    1e6 x the largest D_f of the runs and the setting). ``intervals``: ``"bootstrap"`` (the
    fit's noise only) or ``"predictive"`` (widened by the law's extrapolation error on its
    held-out runs beyond their noise, per direction; the CLI's ``--intervals``). ``to_frame()``: the predicted loss per method
    with its interval (``lo``, ``hi``), both kinds (``bootstrap_lo`` ... ``predictive_hi``) and
    ``extrapolation_distance``; ``.recommended`` the method; ``.interval_kind`` what the
    intervals cover; ``.critical`` per pair of methods its crossing(s) at the setting and their
    bootstrap interval (``at_setting_interval``, with the replicate pairs without a crossing
    counted) as a DataFrame; ``.warnings`` the CLI's warnings (those about the fits of the form
    used, a held-out comparison favouring the other form, methods left out), ``.info`` its
    notes, ``.left_out`` the methods left out; ``report()`` what the CLI prints;
    ``to_dict()``: the recommendation, critical data sizes, fits."""
    if not isinstance(at, _abc.Mapping) or len(at) != 1:
        raise ValueError("at: one factor and its value, e.g. {'model_size': 8e9}")
    (factor, value), = at.items()
    opts = _run_cols(factors, pet, method_col, data_col, loss_col, experiment_col, holdout_col)
    value = _number(value, "at")
    data_size = _number(data_size, "data_size")
    opts.update({"at": [str(factor), value], "data": data_size,
                 "form": str(form), "bootstrap": _whole(bootstrap, "bootstrap"),
                 "level": _number(level, "level"), "seed": _whole(seed, "seed"),
                 "d_range": None if d_range is None else _range(d_range, "d_range"),
                 "intervals": str(intervals)})
    raw = _call(_native.methods, _to_table(data), opts)
    figure = raw.pop("_figure", None)  # the CLI's --plot figure, for plot()
    text = raw.pop("_text", "")  # what the CLI prints, for report()
    rec = raw.get("recommendation") or {}
    # A method left out of the decision (the CLI's exit status 3), as joint() warns of a skip.
    for k in rec.get("left_out") or []:
        _warnings.warn(f"method '{k.get('method')}' left out of the decision: {k.get('reason')}",
                       stacklevel=2)
    rows = []
    for p in rec.get("predictions") or []:
        iv = p.get("interval") or {}
        bi = p.get("bootstrap_interval") or {}
        pi = p.get("predictive_interval") or {}
        rows.append({"method": p.get("method"), "predicted_loss": p.get("predicted_loss"),
                     "lo": iv.get("lo"), "hi": iv.get("hi"),
                     "bootstrap_lo": bi.get("lo"), "bootstrap_hi": bi.get("hi"),
                     "predictive_lo": pi.get("lo"), "predictive_hi": pi.get("hi"),
                     "extrapolation_distance": p.get("extrapolation_distance"),
                     "replicates": p.get("replicates"),
                     "replicates_drawn": p.get("replicates_drawn"),
                     # the method's fitting runs each replicate resamples (all factors)
                     "bootstrap_runs": sum(f.get("runs", 0) for f in p.get("bootstrap_runs") or []),
                     "recommended": p.get("method") == rec.get("recommended")})
    table = _pd.DataFrame(rows)
    if len(table):
        table = table.set_index("method")
    return MethodsResult(raw, table, f"Fine-tuning method at {factor}={value:g}, data {data_size:g}",
                         figure, text)


def allocate(
    data: Optional[DataLike] = None,
    *,
    params: Optional[Sequence[float]] = None,
    n_col: str = "N",
    d_col: Optional[str] = None,
    flops_col: Optional[str] = None,
    method: str = "parametric",
    group: Union[str, Sequence[str], None] = None,
    budget_col: Optional[str] = None,
    where: Optional[Mapping[str, float]] = None,
    best_per_size: bool = False,
    budget_gap: float = 1.25,
    level: float = 0.95,
    loss_col: str = "loss",
    drop_highest: int = 0,
    budgets: Union[None, float, Sequence[float]] = None,
    bootstrap: int = 1000,
    seed: int = 0,
) -> FrameResult:
    """Compute-optimal model size and tokens for compute budgets (``slaw allocate``), from a
    Chinchilla fit to ``data`` or from ``params=[A, alpha, B, beta, E]``; ``method``:
    parametric, isoflop, envelope or all. ``budgets``: a budget or a list of them.
    ``to_frame()``: one row per budget (with ``group`` and ``method`` columns when the result is
    per group). ``to_dict()`` is the CLI's ``--json``: one allocation (an object) with the
    default ``method="parametric"`` and no ``group``, whatever ``where``/``best_per_size``
    keep; a list, one entry per group, with ``group`` or another method. ``.warnings``: the
    CLI's ``warning:`` lines (units, budgets extrapolated, the fit's, a method that could not
    run), each also a ``UserWarning`` and printed by ``report()``; with one allocation,
    ``.exponent_n`` and ``.params`` are its a and law."""
    opts = {
        "params": None if params is None else [_number(p, "params") for p in params],
        "n_col": n_col, "d_col": _opt_str(d_col, "d_col"), "flops_col": _opt_str(flops_col, "flops_col"),
        "method": str(method), "group": _names(group, "group"),
        "budget_col": _opt_str(budget_col, "budget_col"),
        "filters": [[str(k), _number(v, f"where[{k!r}]")] for k, v in (where or {}).items()],
        "best_per_size": _flag(best_per_size, "best_per_size"),
        "budget_gap": _number(budget_gap, "budget_gap"),
        "level": _number(level, "level"), "loss_col": loss_col,
        "drop_highest": _whole(drop_highest, "drop_highest"),
        "budgets": [_number(b, "budgets") for b in _values(budgets, "budgets")],
        "bootstrap": _whole(bootstrap, "bootstrap"), "seed": _whole(seed, "seed"),
    }
    table = None if data is None else _to_table(data)
    out = _call(_native.allocate, table, opts)
    raw = out["result"]
    # The CLI's --plot figures (per group: N_opt and D_opt against C, iso-loss contours, ...).
    figures = [(f"{g}: {n}" if g else n, f) for g, n, f in out.get("figures") or []]
    if isinstance(raw, dict):
        frame = _pd.json_normalize(raw.get("rows") or [])
    else:
        frames = []
        for g in raw:
            for key, v in g.items():
                if isinstance(v, dict) and isinstance(v.get("rows"), list):
                    f = _pd.json_normalize(v["rows"])
                    f.insert(0, "method", key)
                    f.insert(0, "group", g.get("group", ""))
                    frames.append(f)
        frame = _pd.concat(frames, ignore_index=True) if frames else _pd.DataFrame()
    # What the CLI prints as `warning:` lines: a UserWarning each, in .warnings and report().
    warns = _allocation_warnings(raw)
    for w in warns:
        _warnings.warn(w, stacklevel=2)
    result = FrameResult(raw, frame, f"Compute-optimal allocation ({method})",
                         [f"warning: {w}" for w in warns], figures=figures,
                         text=out.get("text") or "")
    result.warnings = warns  # type: ignore[attr-defined]
    if isinstance(raw, dict):
        result.exponent_n = raw.get("exponent_n")  # type: ignore[attr-defined]
        result.params = dict(raw.get("params") or {})  # type: ignore[attr-defined]
    return result


def _allocation_warnings(raw: Any) -> List[str]:
    """An allocation's warnings as the CLI prints them: the fit's and the table's (one
    allocation), or per group (its name first) the parametric fit's, the group's and each
    method that could not run."""
    out: List[str] = []

    def add(w: str) -> None:
        if w not in out:
            out.append(w)

    if isinstance(raw, dict):
        for w in list((raw.get("fit") or {}).get("warnings") or []) + list(raw.get("warnings") or []):
            add(w)
        return out
    for g in raw or []:
        where = f"group {g['group']}: " if g.get("group") else ""
        p = g.get("parametric") or {}
        for w in (p.get("fit") or {}).get("warnings") or []:
            add(f"{where}parametric: {w}")
        for w in g.get("warnings") or []:
            add(f"{where}{w}")
        for m, why in g.get("failed") or []:
            add(f"{where}{m}: could not run: {why}")
    return out


def _journal_path(plan: str) -> str:
    """The journal of a plan: its ``journal = "..."`` key (relative to the plan's folder), else
    ``<plan stem>.journal.sqlite`` beside the plan (as ``slaw run``)."""
    import re

    folder = _os.path.dirname(_os.path.abspath(plan))
    with open(plan, encoding="utf-8") as f:
        for line in f:
            if line.lstrip().startswith("["):
                break  # the key is a top-level one
            m = re.match(r"""\s*journal\s*=\s*(["'])(.*)\1\s*(#.*)?$""", line)
            if m:
                return _os.path.join(folder, m.group(2))
    stem = _os.path.splitext(_os.path.basename(plan))[0]
    return _os.path.join(folder, f"{stem}.journal.sqlite")


def journal(path: Union[str, "os.PathLike[str]"], events: bool = False) -> _pd.DataFrame:
    """A plan's journal (``slaw run``'s SQLite file) as a DataFrame, one row per run (id,
    candidate, n, seed, state, attempts, loss, duration, exit_status, reason, ...);
    ``events=True`` gives the event log (at, run, event) instead. ``path``: the journal, or the
    plan's TOML (its journal is found as ``slaw run`` finds it). Read-only: safe while
    ``slaw run`` is writing."""
    p = _os.fspath(path)
    if p.endswith(".toml"):
        if not _os.path.exists(p):
            raise FileNotFoundError(f"{p}: no such plan")
        p = _journal_path(p)
    if not _os.path.exists(p):
        raise FileNotFoundError(f"{p}: no journal (run the plan with `slaw run` first)")
    if _os.path.getsize(p) == 0:
        raise ValueError(f"{p}: an empty (0-byte) file, not a journal")
    con = _sqlite3.connect(f"file:{p}?mode=ro", uri=True)
    try:
        table = "events" if events else "runs"
        try:
            df = _pd.read_sql_query(f"SELECT * FROM {table}", con)
        except (_sqlite3.DatabaseError, _pd.errors.DatabaseError) as e:
            raise ValueError(f"{p}: not a slaw journal ({e})") from None
    finally:
        con.close()
    return df
