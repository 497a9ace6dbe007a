"""Inputs from Python: a path, a pandas DataFrame, a dict of columns or numpy arrays.

Every input becomes a table of text cells handed to the Rust library, which parses them
exactly as it parses a CSV file: bad cells (NaN, text where a number is expected, a
missing column) get the library's own message naming the row and the column. Rows of a
DataFrame are numbered as ``df.iloc`` (from 0); rows of a dict from 0. NaN and None are
missing values: empty cells, as in a CSV file, an error only where the cell is used (a loss
curve's NaN tail is a divergence instead: :func:`diverged_tail`). A DataFrame's named index
(``df.pivot(index="model", ...)``, ``df.set_index("method")``) is sent as its first column(s),
as ``df.reset_index()`` would make them.
"""

from __future__ import annotations

import math
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

Table = Tuple[str, list, list, int]
DataLike = Union[str, "os.PathLike[str]", Mapping[str, Any], Any]


def _cell(v: Any) -> str:
    """One cell as text; floats in their shortest round-trip form."""
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return ""
        return repr(f)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, str):
        return v
    if isinstance(v, complex):
        raise TypeError("complex")
    return str(v)


def _column(name: str, values: Any, source: str) -> list:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{source}: column '{name}' must be one-dimensional, got shape {arr.shape}")
    kind = arr.dtype.kind
    if kind == "c":
        raise ValueError(f"{source}: column '{name}' has complex values (dtype {arr.dtype}); give real numbers")
    if kind in "mM":
        raise ValueError(
            f"{source}: column '{name}' has dtype {arr.dtype} (dates/durations); give numbers"
        )
    if kind == "f":
        out = []
        for f in arr.astype(float).tolist():
            # NaN is pandas' missing value: an empty cell, as in a CSV file (an error
            # only where the cell is used).
            out.append("" if f != f else repr(f))
        return out
    if kind in "iu":
        return [str(int(v)) for v in arr.tolist()]
    if kind == "b":
        return ["1" if v else "0" for v in arr.tolist()]
    out = []
    for i, v in enumerate(arr.tolist()):
        try:
            if isinstance(v, float) and v != v:
                out.append("")  # a missing value in a text column (pandas NaN/None)
            else:
                out.append(_cell(v))
        except TypeError:
            raise ValueError(
                f"{source}, row {i}, column '{name}': {type(v).__name__} value {v!r} is not a number or text"
            ) from None
    return out


def column_cells(name: str, values: Any, source: str) -> list:
    """One column's cells as the library reads them (the text ``to_table`` sends): e.g. a
    group column's keys, booleans as "1"/"0"."""
    return _column(name, values, source)


def index_columns(df: Any) -> Any:
    """``df`` with its named index levels as its first columns (as ``df.reset_index()``), so
    that names kept in the index (``df.pivot(index="model", ...)``, ``df.set_index("method")``)
    reach the library as the column they were; an unnamed index (a RangeIndex, the labels left
    by filtering rows), a level named as a column already, or one whose values are not numbers
    or text (dates) is left out, as before."""
    import pandas as pd

    idx = df.index
    if isinstance(idx, pd.RangeIndex):
        return df
    cols = {str(c) for c in df.columns}
    levels = []
    for i, name in enumerate(idx.names):
        if name is None or str(name) in cols:
            continue
        try:
            _column(str(name), idx.get_level_values(i).to_numpy(), "DataFrame")
        except (ValueError, TypeError):
            continue
        levels.append(i)
    if not levels:
        return df
    return df.reset_index(level=levels)


def to_table(data: DataLike, what: str = "data") -> Union[str, Table]:
    """A path stays a path (read by the library as the CLI reads it); anything else
    becomes ``(source, columns, cells, first_row)``."""
    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data)
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        source = "DataFrame"
        data = index_columns(data)
        names = [str(c) for c in data.columns]
        cols = [_column(str(n), s.to_numpy(), source) for n, s in data.items()]
        return (source, names, cols, 0)
    if isinstance(data, Mapping):
        vals = list(data.values())
        if vals and (all(isinstance(v, Mapping) or (pd is not None and isinstance(v, pd.DataFrame))
                         for v in vals)
                     or all(isinstance(v, (str, os.PathLike)) and os.path.isfile(v) for v in vals)):
            # {name: DataFrame or file}: several tables, where one is taken
            raise ValueError(
                f"{what}: a dict of tables ({{name: DataFrame or file}}) is the runs of "
                "slaw.schedule() and slaw.forecast(); here give one table (a file path, a "
                "DataFrame or a dict of columns)")
        source = "dict"
        names = [str(k) for k in data.keys()]
        cols = []
        for n, v in data.items():
            if np.isscalar(v):
                v = [v]
            cols.append(_column(str(n), v, source))
        return (source, names, cols, 0)
    raise ValueError(
        f"{what} must be a file path, a pandas DataFrame or a dict of columns, "
        f"got {type(data).__name__}"
    )


def diverged_tail(table: Table, loss: Optional[str], step: str, runs: Sequence[str]) -> Table:
    """A loss curve's table with the NaN losses that end a run as ``nan``, a diverged run as
    the CLI reads a ``nan`` cell (the engine then says where the run diverged and forecasts from
    its clean rows), not as blank cells (losses not logged, skipped). In each run (the rows
    sharing the ``runs`` columns' cells, in order) those are the rows after its last logged loss,
    at later steps, that hold no other loss column (an evaluation or summary row, as a Hugging
    Face log's, is not a divergence), when the run logged a loss on every earlier such row: a run
    whose loss has gaps (the rate logged at every step, the loss every tenth) logs by a pattern,
    and its missing tail stays blank. Other NaN losses stay blank cells, as pandas reads a blank
    cell."""
    source, names, cols, first = table
    if loss is None or loss not in names or step not in names:
        return table
    li, si = names.index(loss), names.index(step)
    loss_cells, steps = cols[li], cols[si]
    others = [cols[i] for i, n in enumerate(names) if i != li and "loss" in n.lower()]
    keys = [names.index(r) for r in runs if r in names]
    groups: Dict[Tuple[str, ...], List[int]] = {}
    for r in range(len(loss_cells)):
        groups.setdefault(tuple(cols[k][r] for k in keys), []).append(r)

    def number(cell: str) -> Optional[float]:
        try:
            v = float(cell)
        except ValueError:
            return None
        return v if math.isfinite(v) else None

    def plain(r: int) -> bool:  # a row of this loss, not an evaluation or summary row
        return not any(c[r] != "" for c in others)

    out = None
    for rows in groups.values():
        logged = [i for i, r in enumerate(rows) if loss_cells[r] != ""]
        if not logged:
            continue
        last = logged[-1]
        if any(loss_cells[r] == "" and plain(r) for r in rows[:last]):
            continue  # gaps before: the loss is logged by a pattern
        s_last = number(steps[rows[last]])
        if s_last is None:
            continue
        tail = [r for r in rows[last + 1:] if loss_cells[r] == "" and plain(r)
                and (number(steps[r]) if number(steps[r]) is not None else -math.inf) > s_last]
        if not tail:
            continue
        if out is None:
            out = list(loss_cells)
        for r in tail:
            out[r] = "nan"
    if out is None:
        return table
    cols = list(cols)
    cols[li] = out
    return (source, names, cols, first)


def as_points(at: Any, inputs: Sequence[str], x: Sequence[str]) -> list:
    """Points to predict at: a DataFrame/dict with the x (or law input) columns, an array
    of shape (n, k) or (n,) for one input, or a scalar."""
    k = len(inputs)
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None
    if (pd is not None and isinstance(at, pd.DataFrame)) or isinstance(at, Mapping):
        cols = []
        for j in range(k):
            name = x[j] if j < len(x) and x[j] in at else inputs[j]
            if name not in at:
                raise ValueError(
                    f"predict: no column '{x[j] if j < len(x) else inputs[j]}' "
                    f"(columns are: {', '.join(map(str, list(at.keys())))})"
                )
            cols.append(np.asarray(at[name], dtype=float).reshape(-1))
        pts = np.column_stack(cols) if cols else np.zeros((0, 0))
    else:
        try:
            arr = np.asarray(at, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"predict: cannot read {type(at).__name__} as numbers") from None
        if arr.ndim == 0:
            arr = arr.reshape(1, 1)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1) if k == 1 else arr.reshape(1, -1)
        pts = arr
    if pts.ndim != 2 or pts.shape[1] != k:
        raise ValueError(f"predict: the law takes {k} input(s) ({', '.join(inputs)}), got shape {pts.shape}")
    if not np.all(np.isfinite(pts)):
        raise ValueError("predict: the points must be finite numbers (NaN or infinity given)")
    return pts.tolist()
