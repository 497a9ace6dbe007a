"""Inputs from Python: a path, a pandas DataFrame, a dict of columns or numpy arrays.

Every input becomes a table of text cells handed to the Rust library, which parses them
exactly as it parses a CSV file: bad cells (NaN, text where a number is expected, a
missing column) get the library's own message naming the row and the column. Rows of a
DataFrame are numbered as ``df.iloc`` (from 0); rows of a dict from 0. NaN and None are
missing values: empty cells, as in a CSV file, an error only where the cell is used.
"""

from __future__ import annotations

import math
import os
from typing import Any, Mapping, Sequence, Tuple, Union

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
        names = [str(c) for c in data.columns]
        cols = [_column(str(n), s.to_numpy(), source) for n, s in data.items()]
        return (source, names, cols, 0)
    if isinstance(data, Mapping):
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
