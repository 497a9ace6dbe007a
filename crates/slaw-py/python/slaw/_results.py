"""Result objects: attributes, ``to_dict()``, ``to_frame()``, ``report()`` and an HTML view."""

from __future__ import annotations

import html
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from . import _native
from ._data import as_points

def _normal_quantile(p: float) -> float:
    """Quantile of the standard normal (Acklam's rational approximation, |error| < 1.2e-9)."""
    a = [-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
         1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00]
    b = [-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
         6.680131188771972e01, -1.328068155288572e01]
    c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
         -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00]
    d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00]
    if p < 0.02425:
        q = math.sqrt(-2 * math.log(p))
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    if p > 1 - 0.02425:
        return -_normal_quantile(1 - p)
    q = p - 0.5
    r = q * q
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (
        ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)


def _fmt(v: Any) -> str:
    # a value that is not defined (a standard error along a flat direction,
    # R^2 of a constant loss: JSON null) reads "n/a", never "nan" or "None"
    if v is None:
        return "n/a"
    if isinstance(v, float):
        if v != v:
            return "n/a"
        if v == 0 or 1e-3 <= abs(v) < 1e5:
            return f"{v:.6g}"
        return f"{v:.4e}"
    return str(v)


def _html_table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _loss_axis(ax: Any, which: str, values: np.ndarray) -> None:
    """Log scale for losses spanning a decade or more; linear (readable ticks) within one."""
    v = values[np.isfinite(values) & (values > 0)]
    if len(v) and v.max() / v.min() >= 10:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")


def _new_axes(ax: Any, size: Tuple[float, float]) -> Tuple[Any, bool]:
    """``ax``, or new axes of ``size`` inches; and whether they are new (their figure is then
    laid out with ``tight_layout()`` once drawn, so that a saved figure does not clip names)."""
    if ax is not None:
        return ax, False
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot() needs matplotlib: pip install matplotlib") from None
    _, ax = plt.subplots(figsize=size)
    return ax, True


def _middle(name: str, width: int = 32) -> str:
    """``name`` cut in the middle to ``width`` characters ("cerebras/Cer…GPT-2.7B"), as the
    CLI's tables and figures cut names: both ends, where names differ, stay readable."""
    if len(name) <= width:
        return name
    head = (width - 1) // 2
    return name[:head] + "…" + name[len(name) - (width - 1 - head):]


def _wrap(label: str, width: int = 34) -> str:
    """A long label on several lines of at most ``width`` characters: broken at spaces, and a
    word longer than a line after a comma, a slash, a colon, "=", "-" or "_" (a schedule
    "wsd:peak=3e-4,decay_start=...", a run "llama-8b/cosine-lr3e-4-seed1"), a part still longer
    broken inside: every character kept, in order, none cut (a legend beside a figure holds it
    whole)."""
    if len(label) <= width:
        return label
    import re

    pieces: List[Tuple[str, str]] = []  # (text, what joins it to the next: " " or "")
    for word in label.split(" "):
        if len(word) <= width:
            pieces.append((word, " "))
            continue
        parts = [p for p in re.findall(r"[^,/:=_\-]*[,/:=_\-]?", word) if p]
        pieces += [(p, "") for p in parts[:-1]] + [(parts[-1], " ")]
    lines: List[str] = []
    line = ""
    for text, sep in pieces:
        if line and len(line.rstrip(" ")) + len(text) > width:
            lines.append(line.rstrip(" "))
            line = ""
        while len(text) > width:  # no break inside: a hard break
            lines.append(text[:width])
            text = text[width:]
        line += text + sep
    if line.strip(" "):
        lines.append(line.rstrip(" "))
    return "\n".join(lines)


def _legend(ax: Any, fontsize: float = 7, outside: bool = True) -> Any:
    """The axes' legend with every label whole: long ones (run and schedule names, a method's
    name) wrapped over lines (:func:`_wrap`), not clipped at the figure's edge; beside the axes
    on the right (``outside``, as the CLI's legend column: never over the data) or inside at
    the best place; a long list of entries in a smaller font. None when nothing is labelled."""
    handles, labels = ax.get_legend_handles_labels()
    if not labels:
        return None
    size = fontsize if len(labels) <= 12 else max(5.5, fontsize - 1)
    wrapped = [_wrap(l) for l in labels]
    if outside:
        return ax.legend(handles, wrapped, frameon=False, fontsize=size, loc="upper left",
                         bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return ax.legend(handles, wrapped, frameon=False, fontsize=size)


def _interval_label(kind: Optional[Mapping[str, Any]]) -> str:
    """A band's legend: "90% predictive interval (backtest)", "90% bootstrap interval"."""
    if not kind:
        return "interval"
    level = kind.get("level")
    pct = f"{100 * float(level):g}% " if level is not None else ""
    k = kind.get("kind", "")
    if k == "bootstrap":
        return f"{pct}bootstrap interval (the fit's noise only)"
    if k == "not-calibrated":
        return f"band, not calibrated: {kind.get('reason', '')}"
    return f"{pct}predictive interval ({k})" if k else f"{pct}interval"


def _log_label(label: str) -> str:
    """An axis label saying once that the axis is logarithmic (as the CLI's figures)."""
    return label if "log scale" in label else f"{label} (log scale)"


def _tick(v: float) -> str:
    """A tick label as the CLI's figures write them: "2.5", "1e4", "5e8"."""
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:g}"
    m, e = f"{v:.1e}".split("e")
    m = m.rstrip("0").rstrip(".")
    return f"{m}e{int(e)}"


def _plain_ticks(ax: Any) -> None:
    """Log axes labelled as the CLI's figures label them, at the axes' current limits: the
    same ticks (powers of ten, 1-2-5 steps or round numbers, an end never left unlabelled over
    a quarter of the axis) and labels in one style per axis ("100, 1e3, 1e4", never "100,
    1000, 1e4"; "2.5", not 2.5x10^0), minor ticks unlabelled. Where the library gives fewer
    than two ticks (a degenerate range), plain labels on matplotlib's own ticks."""
    from matplotlib.ticker import FixedFormatter, FixedLocator, FuncFormatter, NullFormatter

    fmt = FuncFormatter(lambda v, _: _tick(v))
    for axis, (lo, hi) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        lo, hi = min(lo, hi), max(lo, hi)
        major, minor = ([], [])
        if lo > 0 and math.isfinite(hi) and hi > lo:
            major, minor = _native._log_axis(float(lo), float(hi))
        if len(major) >= 2:
            axis.set_major_locator(FixedLocator([v for v, _ in major]))
            axis.set_major_formatter(FixedFormatter([label for _, label in major]))
            axis.set_minor_locator(FixedLocator(list(minor)))
            axis.set_minor_formatter(NullFormatter())
            continue
        axis.set_major_formatter(fmt)
        axis.set_minor_formatter(fmt if lo > 0 and hi / lo < 20 else NullFormatter())


_VLINE_STYLE = {"budget": ("#5a5a5a", "--", 1.2), "target": ("#000000", "-", 2.0),
                "event": ("#3c3c3c", ":", 1.2)}


def _draw_figure(ax: Any, fig: Mapping[str, Any], **line_kwargs: Any) -> Any:
    """Draw a figure of the CLI's (``--plot``) on matplotlib axes: the same series (lines,
    dashed lines, points, hollow points, triangles, interval bars with caps), shaded bands,
    vertical lines, title, axis labels and legend entries, both axes logarithmic. The figure
    comes from the library's own plot code (the JSON form of its figure model), so it holds
    what the CLI's SVG/PNG holds. ``line_kwargs`` go to the solid lines."""
    for b in fig.get("bands") or []:
        pts = np.array([[np.nan if v is None else v for v in p] for p in b["points"]], dtype=float)
        if not len(pts):
            continue
        ax.fill_between(pts[:, 0], pts[:, 1], pts[:, 2], color=b["color"], alpha=0.2, lw=0,
                        label=b["label"] or None)
    for srs in fig.get("series") or []:
        pts = np.array([[np.nan if v is None else v for v in p] for p in srs["points"]],
                       dtype=float).reshape(-1, 2)
        label = srs["label"] or None
        c, kind = srs["color"], srs["kind"]
        if kind == "line":
            w = 1.0 if srs.get("muted") else 2.0
            ax.plot(pts[:, 0], pts[:, 1], color=c, lw=w, label=label, **line_kwargs)
        elif kind == "dashed":
            ax.plot(pts[:, 0], pts[:, 1], color=c, lw=1.5, ls="--", label=label)
        elif kind == "dotted":  # a line the data do not determine: dotted, faded
            ax.plot(pts[:, 0], pts[:, 1], color=c, lw=1.5, ls=":", alpha=0.45, label=label)
        elif kind == "points":
            ax.scatter(pts[:, 0], pts[:, 1], s=16, color=c, label=label, zorder=3)
        elif kind == "hollow":
            ax.scatter(pts[:, 0], pts[:, 1], s=18, facecolors="none", edgecolors=c, label=label,
                       zorder=3)
        elif kind == "marker":
            ax.scatter(pts[:, 0], pts[:, 1], s=60, marker="^", color=c, label=label, zorder=4)
        elif kind == "cross":
            ax.scatter(pts[:, 0], pts[:, 1], s=70, marker="x", color=c, linewidths=2, label=label,
                       zorder=5)
        elif kind == "interval":
            x, lo, hi = pts[0::2, 0], pts[0::2, 1], pts[1::2, 1]
            if len(x):
                ax.vlines(x, lo, hi, color=c, lw=1.5, label=label, zorder=3)
                ax.scatter(np.r_[x, x], np.r_[lo, hi], marker="_", s=80, color=c, zorder=3)
            elif label:  # a legend entry only (what the marks mean)
                ax.vlines([], [], [], color=c, lw=1.5, label=label)
        elif kind == "open_interval":  # the lower end open: no cap, an arrowhead down
            x, lo, hi = pts[0::2, 0], pts[0::2, 1], pts[1::2, 1]
            if len(x):
                ax.vlines(x, lo, hi, color=c, lw=1.5, label=label, zorder=3)
                ax.scatter(x, hi, marker="_", s=80, color=c, zorder=3)
                ax.scatter(x, lo, marker="v", s=30, color=c, zorder=3)
            elif label:
                ax.vlines([], [], [], color=c, lw=1.5, label=label)
    for v in fig.get("vlines") or []:
        if v.get("x") is None:
            continue
        c, ls, w = _VLINE_STYLE.get(v.get("mark"), ("#3c3c3c", ":", 1.2))
        ax.axvline(v["x"], color=c, ls=ls, lw=w, label=v.get("label") or None)
    ax.set_xscale("log")
    ax.set_yscale("log")
    import textwrap

    # a long label (methods' "D_f where the losses cross (...)") on two lines, not cut
    ax.set_xlabel(textwrap.fill(_log_label(fig.get("x_label", "")), 70))
    ax.set_ylabel(textwrap.fill(_log_label(fig.get("y_label", "")), 40))
    # a long title (the runs' and schedules' names) wrapped, every word kept
    ax.set_title(_wrap(fig.get("title", ""), 80), fontsize=9)
    _plain_ticks(ax)
    # right of the plot, as the CLI's legend column (never over the data), labels whole
    _legend(ax)
    return ax


def _grid(n: int, size: Tuple[float, float] = (6.0, 4.0), ncols: int = 2) -> List[Any]:
    """``n`` new axes in a grid of ``ncols`` columns (one figure), in reading order."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot() needs matplotlib: pip install matplotlib") from None
    ncols = max(1, min(ncols, n))
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                             squeeze=False)
    flat = list(axes.ravel())
    for extra in flat[n:]:
        extra.set_visible(False)
    return flat[:n]


def _ticker_plain() -> Any:
    """A linear axis's tick labels as plain numbers ("18000", not 1.8e4 offsets)."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:.0f}" if abs(v) >= 1000 else f"{v:g}")


def _plot_figures(figs: Sequence[Mapping[str, Any]], ax: Any = None, ncols: int = 2) -> Any:
    """One figure of the CLI's on ``ax`` (new axes when None); several on a grid of new axes
    (one per figure; ``ax`` is then refused). Returns the axes (one, or a list)."""
    if not figs:
        raise ValueError("plot(): this result has no figure (nothing was fitted)")
    if len(figs) == 1:
        ax, new = _new_axes(ax, (9, 4.5))
        _draw_figure(ax, figs[0])
        if new:
            ax.figure.tight_layout()
        return ax
    if ax is not None:
        raise ValueError(f"plot(): this result has {len(figs)} figures: leave ax out (they go "
                         "on a grid of new axes) or choose one (see the method's keywords)")
    axes = _grid(len(figs), size=(8.5, 4.2), ncols=ncols)
    for a, f in zip(axes, figs):
        _draw_figure(a, f)
    axes[0].figure.tight_layout()
    return axes


class _Result:
    """Shared behaviour: the raw library output (``raw``, the CLI's ``--json``)."""

    raw: Any

    def to_dict(self) -> Dict[str, Any]:
        """The full result as plain Python data: the CLI's ``--json`` output (for one
        :class:`FitResult`, its group's object, the CLI's ``groups[i]``)."""
        import copy

        return copy.deepcopy(self.raw)

    def __repr__(self) -> str:
        return self.report()

    def report(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


class FitResult(_Result):
    """One fitted law (one group).

    Attributes
    ----------
    law, formula : the law's name and formula
    params : dict {name: value}
    stderr : dict {name: standard error} (Gauss-Newton at the optimum)
    intervals : dict {name: (lo, hi)} at ``level``: profile-likelihood intervals with
        ``profile=True`` (``interval_kind == "profile"``; ``open_sides`` {name: (lo_open,
        hi_open)}: an open side is not determined by the data and reaches the bound), else
        bootstrap percentiles when the fit was
        bootstrapped (``interval_kind == "bootstrap"``), else +-z standard errors
        (``interval_kind == "standard-error"``, a normal approximation; on ln p for the
        parameters fitted in log space, so their interval stays positive; cut at the
        parameter's bounds; on data drawn from the law, 90% intervals hold the true
        parameter 88-96% of the time with the default Huber loss: BENCHMARKS.md,
        "Parameter intervals")
    converged : bool (test this one: true for the codes ``converged`` and ``at_bound``)
    termination : str, the multi-start search's outcome in a sentence
    termination_code : str, the CLI JSON's ``termination``: why the winning start stopped
        (``converged``, ``at_bound``, ``max_iterations``, ``line_search_failed``, ``non_finite``,
        ``no_better_than_constant``: the optimum explains the points no better than a constant)
    termination_message : str, the CLI JSON's ``termination_message`` (which test fired)
    objective, n_points, n_starts, n_best, warnings, predictions, train, heldout
    lack_of_fit : list of dict, the CLI JSON's ``lack_of_fit``: each lack-of-fit check that
        warned (``test``: ``end``, the last 3 fitted points all on one side of the curve by
        2.5x the points' noise or more; ``held_out``, the held-out points all on one side, 4x
        the noise and 3x the fit's RMSD), with ``noise``, ``error``, ``ratio``, ``side`` and
        ``message`` (also among ``warnings``); empty when none warns
    """

    def __init__(self, raw_group: Mapping[str, Any], law_spec: Mapping[str, Any],
                 inputs: Sequence[str], x: Sequence[str], y: str, formula: str, level: float,
                 data: Any = None, transforms: Optional[Sequence[str]] = None,
                 param_names: Optional[Sequence[str]] = None,
                 bounds: Optional[Sequence[Tuple[float, float]]] = None,
                 figure: Optional[Mapping[str, Any]] = None,
                 ranges: Optional[Sequence[Sequence[float]]] = None,
                 refit: Any = None):
        self.raw = dict(raw_group)
        f = raw_group["fit"]
        self._spec = dict(law_spec)
        self.group: str = raw_group.get("group", "")
        self.law: str = f["law"]
        self.formula: str = formula
        self.inputs: List[str] = list(inputs)
        self.x: List[str] = list(x)
        self.y: str = y
        self.level: float = level
        names = list(param_names or f["params"].keys())
        self.params: Dict[str, float] = {n: f["params"][n] for n in names}
        ident = f.get("identifiability") or {}
        se = ident.get("std_errors") or {}
        self.stderr: Dict[str, float] = {
            n: (float(se[n]) if se.get(n) is not None else float("nan")) for n in names
        }
        prof = raw_group.get("profile")
        if prof:
            # profile-likelihood intervals; an open side (not determined by the data) is the
            # furthest value reached (the bound; null in JSON when infinite)
            self.interval_kind = "profile"
            inf = float("inf")
            self.intervals = {}
            for n in names:
                p = prof["params"][n]
                self.intervals[n] = (-inf if p["lo"] is None else p["lo"],
                                     inf if p["hi"] is None else p["hi"])
            self.open_sides: Dict[str, Tuple[bool, bool]] = {
                n: (bool(prof["params"][n]["lo_open"]), bool(prof["params"][n]["hi_open"]))
                for n in names}
        elif f.get("intervals"):
            self.interval_kind = "bootstrap"
            self.intervals: Dict[str, Tuple[float, float]] = {
                n: (f["intervals"][n]["lo"], f["intervals"][n]["hi"]) for n in names
            }
        else:
            self.interval_kind = "standard-error"
            # +-z standard errors; for a parameter fitted as ln p (positive), on ln p (the
            # delta method: se(ln p) = se(p) / p), so the interval stays positive.
            # Inside the parameter's bounds: a value the fit cannot take is not in it.
            z = _normal_quantile(0.5 + level / 2)
            self.intervals = {}
            inf = float("inf")
            for n, t, (blo, bhi) in zip(names, transforms or ["identity"] * len(names),
                                        bounds or [(-inf, inf)] * len(names)):
                v, s = self.params[n], self.stderr[n]
                if t == "log" and v > 0:
                    lo, hi = v * math.exp(-z * s / v), v * math.exp(z * s / v)
                else:
                    lo, hi = v - z * s, v + z * s
                # an unbounded side (a formula's linear parameter) is null in JSON
                blo = -inf if blo is None else blo
                bhi = inf if bhi is None else bhi
                self.intervals[n] = (max(lo, blo), min(hi, bhi))
        self.converged: bool = bool(f["converged"])
        self.termination_code: str = f["termination"]
        self.termination_message: str = f["termination_message"]
        self.objective: float = f["objective"]
        self.n_points: int = f["n_points"]
        self.n_starts: int = f["n_starts"]
        self.n_best: int = f["n_best"]
        self.grid_starts: int = f["grid_starts"]
        # The fit's warnings hold the identifiability ones already: each once.
        self.warnings: List[str] = list(dict.fromkeys(
            list(f.get("warnings", [])) + list(ident.get("warnings", []))))
        self.unidentified: List[str] = list(ident.get("unidentified", []))
        # A Huber fit's parameters along a direction no residual within delta
        # constrains: its optimum can be a segment (a warning says so).
        self.huber_flat: List[str] = list(ident.get("huber_flat", []))
        self.at_bounds: List[str] = list(f.get("at_bounds", []))
        self.train: Dict[str, Any] = raw_group.get("train") or {}
        self.heldout: Optional[Dict[str, Any]] = raw_group.get("heldout")
        # What the lack-of-fit checks saw (the law does not follow the fitted points' end,
        # or the held-out points), as the CLI JSON's ``lack_of_fit``; empty when it does.
        self.lack_of_fit: List[Dict[str, Any]] = list(raw_group.get("lack_of_fit") or [])
        self.predictions: List[Dict[str, Any]] = list(raw_group.get("predictions") or [])
        if not self.converged:
            self.termination = f"not converged: {self.termination_message}"
        elif f["agree_target"] and f["n_best"] >= f["agree_target"]:
            self.termination = (
                f"converged: {f['n_best']} distinct starts reached the best optimum "
                f"(the adaptive search stops at {f['agree_target']}); "
                f"{f['n_starts'] - f.get('probe_starts', 0) - f.get('extra_starts', 0)} of "
                f"{f['grid_starts']} grid starts run"
                + (f", and {f['probe_starts']} probe(s) at a floor" if f.get("probe_starts") else "")
            )
        elif f["agree_target"] == 0:
            self.termination = f"converged: the whole grid ran ({f['n_starts']} starts), {f['n_best']} reached the best optimum"
        else:
            self.termination = (
                f"converged, but only {f['n_best']} start(s) reached the best optimum "
                f"(target {f['agree_target']}; {f['n_starts']} starts run): it may not be global"
            )
        self._data = data
        # The CLI's --plot figure of this group (the library's figure model), the fitted
        # points' range per input, and how to fit again with other prediction points.
        self._figure = figure
        self._ranges = [tuple(r) for r in ranges] if ranges else None
        self._refit = refit

    def predict_values(self, at: Any) -> np.ndarray:
        """The law's value at new points as a bare numpy array (what ``predict`` returned
        before it returned a DataFrame): ``predict(at)["loss"].to_numpy()``."""
        pts = as_points(at, self.inputs, self.x)
        import json

        return np.asarray(
            _native.predict(json.dumps(self._spec), list(self.params.values()), pts), dtype=float
        )

    def predict(self, at: Any, intervals: bool = False) -> pd.DataFrame:
        """The law's prediction at new points, one row per point: a DataFrame with the x
        columns, ``loss`` (the law's value), ``lo``, ``hi`` (the prediction interval at the
        fit's ``level``, as ``fit(..., predict=...)`` gives it: beyond or below the fitted
        points the extrapolation interval calibrated on the law's rolling-origin errors (held
        to the bootstrap band when it reaches further), inside them the interpolation interval,
        meant to cover a new observed loss (without ``bootstrap=`` the fit's linearised
        standard error times Student's t in quadrature with its noise floor: README); one-input
        laws only), ``interval_kind`` ("backtest", "interpolation" or None),
        ``bootstrap_lo``, ``bootstrap_hi`` (the bootstrap interval: the fit's noise only;
        with ``bootstrap=`` only; outside the data without ``lo``/``hi`` it is no predictive
        interval: the prediction's ``no_predictive_interval`` in ``predictions`` says why,
        e.g. too few points), ``position`` ("inside" the fitted points' range on every
        input, "beyond" the largest on some input, or "below" the smallest) and
        ``depends_on_unpinned`` (the parameters the data do not pin that the value depends on).

        ``at``: a DataFrame/dict with the x columns, an array of shape (n, k) (or (n,) for a
        one-input law), a list of points, or a scalar.

        The intervals come from the fit's calibration and bootstrap, which the library makes
        for the prediction points it is given when it fits: points given to
        ``fit(..., predict=...)`` get their intervals here at no cost; at other points
        ``lo``/``hi`` are NaN unless ``intervals=True``, which fits again with the same data
        and options plus these points (the same fit, deterministic: the cost of the first
        call, bootstrap included) and takes the library's intervals from it. The values in
        ``loss`` never need the refit (``predict_values`` gives them as an array)."""
        pts = as_points(at, self.inputs, self.x)
        values = self.predict_values(pts)
        names = list(self.x)
        frame = pd.DataFrame([list(p) for p in pts], columns=names, dtype=float)
        frame["loss"] = values
        given = {tuple(float(v) for v in p["at"]): p for p in self.predictions}
        if intervals and any(tuple(p) not in given for p in pts):
            if self._refit is None:
                raise ValueError("predict(intervals=True): this result cannot be fitted again "
                                 "(it was not made by slaw.fit)")
            given.update({tuple(float(v) for v in p["at"]): p for p in self._refit(pts)})
        lo, hi, kind, blo, bhi, unpinned = [], [], [], [], [], []
        for p in pts:
            q = given.get(tuple(p)) or {}
            ext = q.get("extrapolation_interval") or {}
            boot = q.get("interval") or {}
            lo.append(float(ext.get("lo", float("nan"))))
            hi.append(float(ext.get("hi", float("nan"))))
            kind.append((q.get("extrapolation_interval_kind") or {}).get("kind"))
            blo.append(float(boot.get("lo", float("nan"))))
            bhi.append(float(boot.get("hi", float("nan"))))
            unpinned.append(list(q.get("depends_on_unpinned") or []))
        frame["lo"], frame["hi"], frame["interval_kind"] = lo, hi, kind
        frame["bootstrap_lo"], frame["bootstrap_hi"] = blo, bhi
        frame["position"] = [self._position(p) for p in pts]
        frame["depends_on_unpinned"] = unpinned
        return frame

    def _position(self, p: Sequence[float]) -> Optional[str]:
        """Where a point lies against the fitted points' range: inside, beyond or below."""
        if not self._ranges:
            return None
        if any(v > hi for v, (_, hi) in zip(p, self._ranges)):
            return "beyond"
        if any(v < lo for v, (lo, _) in zip(p, self._ranges)):
            return "below"
        return "inside"

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: value, standard error, interval."""
        rows = []
        for n, v in self.params.items():
            lo, hi = self.intervals[n]
            rows.append({"param": n, "value": v, "stderr": self.stderr[n], "lo": lo, "hi": hi})
        return pd.DataFrame(rows).set_index("param")

    def report(self) -> str:
        """An lmfit-style text report."""
        lines = [f"[[Model]]", f"    {self.law}: {self.formula}" + (f"  (group {self.group})" if self.group else "")]
        lines += ["[[Fit Statistics]]",
                  f"    converged          = {self.converged}",
                  f"    termination        = {self.termination}",
                  f"    # data points      = {self.n_points}",
                  f"    # variables        = {len(self.params)}",
                  f"    objective          = {_fmt(self.objective)}",
                  f"    RMSD of log {self.y:<7}= {_fmt(self.train.get('rmsd_log', float('nan')))}",
                  f"    R^2                = {_fmt(self.train.get('r2', float('nan')))}"]
        if self.heldout:
            lines.append(f"    held-out RMSD log  = {_fmt(self.heldout.get('rmsd_log'))} ({self.heldout.get('n')} points)")
        lines.append(f"[[Variables]] (interval: {self.interval_kind}, level {self.level:g})")
        for n, v in self.params.items():
            lo, hi = self.intervals[n]
            se = self.stderr[n]
            rel = f" ({100 * se / abs(v):.2f}%)" if v and se == se else ""
            flags = []
            if n in self.at_bounds:
                flags.append("at bound")
            if n in self.unidentified:
                flags.append("not pinned by the data")
            # held by a bound: no standard error to print (the CLI's "?")
            se_txt = "?" if n in self.at_bounds else _fmt(se)
            if n in self.at_bounds:
                rel = ""
            lines.append(f"    {n:<8} = {_fmt(v):>12} +/- {se_txt}{rel}  [{_fmt(lo)}, {_fmt(hi)}]"
                         + (f"  ({', '.join(flags)})" if flags else ""))
        if self.predictions:
            lines.append("[[Predictions]]")
            for p in self.predictions:
                iv = p.get("extrapolation_interval") or p.get("interval")
                s = f"    at {p['at']}: {_fmt(p['value'])}"
                if iv:
                    s += f"  [{_fmt(iv['lo'])}, {_fmt(iv['hi'])}]"
                    # outside the data with the bootstrap alone: what it covers
                    if p.get("no_predictive_interval") and not p.get("extrapolation_interval"):
                        s += "  (bootstrap: the points' noise only, not a predictive interval)"
                if p.get("not_determined"):
                    dec = p.get("decades")
                    s += ("  (not determined by the data (spans "
                          f"{dec:.1f} decades))" if dec is not None else
                          "  (not determined by the data (the interval's lower end is at or below 0))")
                seg = p.get("equal_fit_range")
                if seg:
                    s += (f"  (the Huber optimum is a segment: fits as good predict "
                          f"{_fmt(seg['lo'])} to {_fmt(seg['hi'])})")
                lines.append(s)
        if self.warnings:
            lines.append("[[Warnings]]")
            lines += [f"    {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        status = "converged" if self.converged else "<b style='color:#c00'>NOT converged</b>"
        head = (f"<p><b>{html.escape(self.law)}</b>: <code>{html.escape(self.formula)}</code>"
                + (f" (group {html.escape(self.group)})" if self.group else "")
                + f"<br>{status}; {self.n_points} points; objective {_fmt(self.objective)}; "
                f"RMSD of log {html.escape(self.y)} {_fmt(self.train.get('rmsd_log', float('nan')))}; "
                f"R<sup>2</sup> {_fmt(self.train.get('r2', float('nan')))}<br>"
                f"<small>{html.escape(self.termination)}</small></p>")
        rows = [(n, v, self.stderr[n], self.intervals[n][0], self.intervals[n][1]) for n, v in self.params.items()]
        table = _html_table(rows, ["param", "value", "stderr", f"lo ({self.interval_kind})", "hi"])
        warn = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        return head + table + (f"<ul>{warn}</ul>" if warn else "")

    def plot(self, ax: Any = None, data: Any = None, **kwargs: Any) -> Any:
        """The figure the CLI's ``slaw fit --plot`` draws for this group (matplotlib, an
        optional dependency), from the points the library read (a path, a DataFrame or a
        dict alike): with one input, the fitted points (held-out ones hollow) and the fitted
        law on log-log axes over a range that reaches the predictions, the bootstrap band
        along the curve (with ``bootstrap=``), the predictions of ``fit(..., predict=...)`` as
        triangles with their extrapolation intervals as bars and the extrapolation band from
        the data's edge out to them; with several inputs, observed against predicted with
        y = x and each prediction on it with its bootstrap interval. ``data`` (a DataFrame or
        dict with the x and y columns) adds points of your own in grey ("data given");
        ``kwargs`` go to the fitted law's line."""
        ax, new = _new_axes(ax, (8.5, 4.5))
        if self._figure is None:
            raise ValueError("plot(): this result has no figure (it was not made by slaw.fit)")
        _draw_figure(ax, self._figure, **kwargs)
        if self.group:  # one group's figure (the CLI draws them all on one)
            title = (self._figure or {}).get("title", "")
            ax.set_title(_wrap(f"{title} (group {self.group})", 80), fontsize=9)
        if data is not None:
            df = pd.DataFrame(data) if not isinstance(data, pd.DataFrame) else data
            y = df[self.y].to_numpy(dtype=float)
            if len(self.inputs) == 1:
                ax.scatter(df[self.x[0]].to_numpy(dtype=float), y, s=14, color="#999999",
                           label="data given", zorder=2)
            else:
                ax.scatter(self.predict_values(df), y, s=14, color="#999999",
                           label="data given", zorder=2)
            _legend(ax)
        if new:
            ax.figure.tight_layout()
        return ax


class FitResults(_Result, Mapping[str, FitResult]):
    """Fits per group (``slaw.fit(..., group=COL)``): a mapping {group: FitResult};
    ``skipped`` the groups not fitted (DataFrame: group, reason; the JSON's ``skipped``)."""

    def __init__(self, raw: Mapping[str, Any], fits: Dict[str, FitResult],
                 figure_all: Optional[Mapping[str, Any]] = None):
        self.raw = dict(raw)
        self._fits = fits
        self._figure_all = figure_all
        # Groups not fitted (fewer points than the law's parameters), one row each: group,
        # reason (a DataFrame, as JointResult.skipped and ForecastResults.skipped; the JSON's
        # ``skipped``).
        self.skipped = pd.DataFrame(
            [{"group": s.get("group"), "reason": s.get("reason")} for s in raw.get("skipped") or []],
            columns=["group", "reason"], dtype=object)

    def __getitem__(self, k: Any) -> FitResult:
        # Group keys are the group column's values as the CLI prints them ('1.0' for a float
        # column): fr[1.0] finds '1.0'.
        if k in self._fits:
            return self._fits[k]
        if not isinstance(k, str) and str(k) in self._fits:
            return self._fits[str(k)]
        raise KeyError(f"no group {k!r}; the groups are {list(self._fits)}")

    def __contains__(self, k: object) -> bool:
        return k in self._fits or (not isinstance(k, str) and str(k) in self._fits)

    def __iter__(self):
        return iter(self._fits)

    def __len__(self) -> int:
        return len(self._fits)

    @property
    def converged(self) -> bool:
        """True when every group's fit converged."""
        return all(f.converged for f in self._fits.values())

    @property
    def warnings(self) -> Dict[str, List[str]]:
        """Each group's warnings ({group: [warning, ...]}), the groups without any left out."""
        return {g: list(f.warnings) for g, f in self._fits.items() if f.warnings}

    def to_frame(self) -> pd.DataFrame:
        """One row per group: convergence, why the search stopped (``termination``: e.g.
        ``at_bound``), the number of warnings (read them in :attr:`warnings`), parameters, RMSD,
        R^2."""
        rows = []
        for g, f in self._fits.items():
            r: Dict[str, Any] = {"group": g, "converged": f.converged,
                                 "termination": f.termination_code,
                                 "warnings": len(f.warnings)}
            r.update(f.params)
            r["rmsd_log"] = f.train.get("rmsd_log")
            r["r2"] = f.train.get("r2")
            if f.heldout:
                r["heldout_rmsd_log"] = f.heldout.get("rmsd_log")
            rows.append(r)
        return pd.DataFrame(rows).set_index("group")

    def report(self) -> str:
        """Every group's report, one after the other."""
        return "\n\n".join(f.report() for f in self._fits.values())

    def plot(self, combined: bool = False, ax: Any = None, ncols: int = 2) -> Any:
        """One axes per group on a grid of ``ncols`` columns (a new figure), each the group's
        :meth:`FitResult.plot` (its points, law, bands, predictions and their intervals);
        returns the list of axes in the groups' order. ``combined=True`` draws instead the
        CLI's ``--plot`` figure: every group on one axes, one colour per group (named by the
        group column), the extrapolation intervals as bars; returns that axes (``ax`` to draw
        on your own)."""
        if combined:
            if self._figure_all is None:
                raise ValueError("plot(combined=True): one group only; use plot()")
            ax, new = _new_axes(ax, (7, 4.5))
            _draw_figure(ax, self._figure_all)
            if new:
                ax.figure.tight_layout()
            return ax
        if ax is not None:
            raise ValueError("plot(): one axes per group on a new figure; ax= only with "
                             "combined=True")
        if not self._fits:
            raise ValueError("plot(): no group was fitted")
        axes = _grid(len(self._fits), ncols=ncols)
        for a, f in zip(axes, self._fits.values()):
            f.plot(ax=a)
        axes[0].figure.tight_layout()
        return axes

    def _repr_html_(self) -> str:
        return self.to_frame().to_html()


class FrameResult(_Result):
    """A result whose main content is a table: ``frame`` (a DataFrame) plus the raw output."""

    def __init__(self, raw: Any, frame: pd.DataFrame, title: str, notes: Sequence[str] = (),
                 figures: Optional[Sequence[Tuple[str, Mapping[str, Any]]]] = None,
                 bars: Optional[str] = None, text: str = ""):
        self.raw = raw
        # What the CLI prints for this result (the library's formatter), for report();
        # empty where the command has none (the result's title, table and notes then); a
        # subclass may have set it before this call.
        self._text = text or getattr(self, "_text", "")
        self.frame = frame
        self.title = title
        self.notes = list(notes)
        # The figures of the CLI's --plot for this command, (name, figure), drawn by plot();
        # or, for a table that has no figure in the CLI, the column plot() draws as bars.
        self._figures = list(figures or [])
        self._bars = bars

    @property
    def figure_names(self) -> List[str]:
        """The names of the figures ``plot()`` draws (``plot(which=NAME)`` draws one)."""
        return [n for n, _ in self._figures]

    def plot(self, which: Optional[str] = None, ax: Any = None, ncols: int = 2) -> Any:
        """The CLI's ``--plot`` figure(s) of this command (matplotlib, an optional
        dependency), from the library's own plot code: ``allocate``'s (per group: N_opt and
        D_opt against compute, the iso-loss contours, ...; the CLI writes one file each) and
        ``compare``'s backtest pick per group (the points, the pick's prediction out to
        ``predict=``, the combined laws' spread; the CLI draws none). One figure goes on
        ``ax`` (new axes when None); several on a grid of new axes, one each, in the order
        of ``figure_names``; ``which`` draws the one of that name. Returns the axes (a list
        for a grid). ``compare``'s hold-out ranking (no figure) draws its laws' held-out
        RMSD of log L as bars."""
        if not self._figures and self._bars is not None:
            return self._plot_bars(ax)
        figs = self._figures
        if which is not None:
            figs = [(n, f) for n, f in figs if n == which]
            if not figs:
                raise ValueError(f"plot(which={which!r}): no such figure; the figures are "
                                 f"{self.figure_names}")
        return _plot_figures([f for _, f in figs], ax, ncols)

    def _plot_bars(self, ax: Any) -> Any:
        f = self.frame
        col = self._bars
        vals = pd.to_numeric(f[col], errors="coerce") if col in f else pd.Series(dtype=float)
        ok = vals.notna() & np.isfinite(vals.to_numpy(dtype=float))
        ax, new = _new_axes(ax, (6, 0.35 * max(int(ok.sum()), 1) + 1.5))
        names = [_middle(str(i)) for i in f.index[ok]]
        y = np.arange(len(names))[::-1]
        ax.barh(y, vals[ok].to_numpy(dtype=float), color="#0072B2", label=col)
        ax.set_yticks(y)
        ax.set_yticklabels(names, fontsize=8)
        ax.set_xlabel({"heldout_rmsd_log": "held-out RMSD of ln loss (lower is better)"}
                      .get(col, col.replace("_", " ")))
        ax.set_title(_middle(self.title, 90), fontsize=9)
        if new:
            ax.figure.tight_layout()
        return ax

    def to_frame(self) -> pd.DataFrame:
        """The result's table as a DataFrame (a copy)."""
        return self.frame.copy()

    def report(self) -> str:
        """What the CLI prints (``compare``, ``allocate``: the same Rust formatter); else the
        title, the table and the notes as text."""
        if self._text:
            return self._text.rstrip("\n")
        with pd.option_context("display.width", 160, "display.max_columns", 20, "display.max_rows", 200):
            body = self.frame.to_string()
        return "\n".join([self.title, body] + self.notes)

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (f"<p><b>{html.escape(self.title)}</b></p>" + self.frame.to_html()
                + (f"<ul>{notes}</ul>" if notes else ""))


class ForecastResult(FrameResult):
    """One forecast of a loss curve: ``frame`` holds the forecast steps (loss, lo, hi,
    observed); ``params`` the fitted law's parameters; ``converged``; ``method``;
    ``heldout`` (dict: ``n``, ``r2``, ``mae``, ``rmse`` on the observed points after the
    fitted part; None when there are none) and ``choice`` (dict: how ``method="auto"`` chose
    the law, its ``candidates`` with their held-out RMSE; None for a law given by name), the
    JSON's objects; ``fit_until_step``, ``fit_points``, ``forecasts`` (the forecast steps as
    the JSON lists them; ``frame`` holds them as a DataFrame), ``bootstrap``, ``calibration``,
    ``decay_term``, ``unpinned_decay``, ``temporal`` and ``decay``: the JSON's fields of those
    names (None where the JSON has none)."""

    def __init__(self, raw: Mapping[str, Any], curve: Optional[Sequence[Sequence[Any]]] = None,
                 text: str = ""):
        self._text = text  # the CLI's text, from the library's formatter
        # The curve read (step, law's loss, lo, hi, observed; thinned to a few thousand
        # steps), for plot(): the library sends it beside the CLI's --json, not in it.
        self._curve = None if curve is None else np.array(
            [[np.nan if v is None else float(v) for v in row] for row in curve], dtype=float
        ).reshape(-1, 5)
        rows = [dict(r) for r in raw.get("forecasts") or []]
        # auto's hull with power's own interval beside it (``law_interval``): its ends as
        # columns law_lo, law_hi at the steps beyond the window (NaN elsewhere).
        self.law_interval: Optional[Dict[str, Any]] = raw.get("law_interval")
        if self.law_interval:
            own = {q["step"]: q for q in self.law_interval.get("points") or []}
            for r in rows:
                q = own.get(r.get("step"))
                r["law_lo"] = q["lo"] if q else None
                r["law_hi"] = q["hi"] if q else None
        frame = pd.DataFrame(rows)
        for c in ("loss", "lo", "hi", "observed", "law_lo", "law_hi"):
            if c in frame:  # null (past the data, no interval) as NaN, not None
                frame[c] = frame[c].astype(float)
        if "step" in frame:
            steps = frame["step"].astype(float)
            if len(steps) and (steps == steps.round()).all() and (steps.abs() < 2**53).all():
                frame["step"] = steps.astype("int64")
            frame = frame.set_index("step")
        self.curve: str = raw.get("curve", "")
        self.method: str = raw.get("method", "")
        self.formula: str = raw.get("formula", "")
        self.converged: bool = bool(raw.get("converged"))
        p = raw.get("params") or {}
        if isinstance(p, dict):
            self.params: Dict[str, float] = dict(p)
        else:
            self.params = {n: v for n, v in p} if p and isinstance(p[0], list) else {}
        self.interval_kind = raw.get("interval_kind")
        self.heldout: Optional[Dict[str, Any]] = _copied(raw.get("heldout"))
        self.choice: Optional[Dict[str, Any]] = _copied(raw.get("choice"))
        self.warnings: List[str] = list(raw.get("warnings") or [])
        # Parameters that change no fitted point and no forecast (a schedule-aware law's
        # annealing terms where the rate never decays): their values are not estimates.
        self.unused_params: List[str] = list(raw.get("unused_params") or [])
        # The rest of the CLI JSON's objects, under their names: the window fitted, how the
        # intervals were made, the decay terms and the temporal law's fit (None where absent).
        self.fit_until_step: Optional[float] = raw.get("fit_until_step")
        self.fit_points: Optional[int] = raw.get("fit_points")
        for key in ("forecasts", "bootstrap", "calibration", "decay_term", "unpinned_decay",
                    "temporal", "decay"):
            setattr(self, key, _copied(raw.get(key)))
        kind = self.interval_kind or {}
        title = (f"Forecast of {self.curve}: {self.method} ({self.formula}); fit until step "
                 f"{_fmt(raw.get('fit_until_step'))} ({raw.get('fit_points')} points); "
                 f"{'converged' if self.converged else 'NOT converged'}; interval: "
                 f"{kind.get('kind', '-')} at level {kind.get('level', '-')}")
        super().__init__(dict(raw), frame, title, self.warnings)

    def report(self) -> str:
        """What the CLI's ``slaw forecast`` prints for this curve (the same Rust formatter):
        the law, the window, the parameters, the forecast steps with their intervals, how the
        law was chosen and the warnings."""
        return self._text.rstrip("\n") if self._text else super().report()

    def plot(self, ax: Any = None, data: Any = None) -> Any:
        """The curve as the CLI's ``--plot`` draws it: the fitted part (filled), the observed
        rest (hollow), the law's forecast curve with its band (labelled with the interval's
        kind and level), the forecast steps and where the fit ends; log-log axes. ``data``
        (a DataFrame, or a CSV file's path, with ``step`` and ``loss`` columns) adds a curve of
        your own as a grey line."""
        if data is not None and not isinstance(data, pd.DataFrame):
            if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
                data = pd.read_csv(data)
            else:
                raise ValueError(f"plot(data=...): a DataFrame or a CSV file's path with 'step' "
                                 f"and 'loss' columns, got {type(data).__name__}")
        if data is not None and not {"step", "loss"} <= set(data.columns):
            raise ValueError(f"plot(data=...): needs 'step' and 'loss' columns, has "
                             f"{list(data.columns)}")
        ax, new = _new_axes(ax, (7, 4.5))
        until = float(self.raw.get("fit_until_step", 0) or 0)
        c = self._curve
        losses = [self.frame["loss"].to_numpy(dtype=float)] if "loss" in self.frame else []
        if data is not None:
            ax.plot(data["step"], data["loss"], color="#999999", lw=1, label="data given")
            losses.append(np.asarray(data["loss"], dtype=float))
        if c is not None and len(c):
            step, law, lo, hi, obs = c.T
            seen = np.isfinite(obs)
            fit = seen & (step <= until)
            rest = seen & (step > until)
            if fit.any():
                ax.plot(step[fit], obs[fit], "o", ms=3, color="#0072B2", label="fitted part")
            if rest.any():
                ax.plot(step[rest], obs[rest], "o", ms=3, mfc="none", color="#AFAFAF",
                        label="observed (not fitted)")
            band = np.isfinite(lo) & np.isfinite(hi)
            if band.any():
                ax.fill_between(step[band], lo[band], hi[band], color="#E69F00", alpha=0.25,
                                lw=0, label=_interval_label(self.interval_kind))
            ax.plot(step, law, color="#D55E00", lw=1.5, label=f"forecast ({self.method})")
            losses += [obs[seen], law]
        f = self.frame
        if len(f):
            if "lo" in f and "hi" in f and (c is None or not len(c)):
                ax.fill_between(f.index, f["lo"], f["hi"], color="#E69F00", alpha=0.3,
                                label=_interval_label(self.interval_kind))
            if "lo" in f and "hi" in f:
                ok = f["lo"].notna() & f["hi"].notna()
                ax.errorbar(f.index[ok], f["loss"][ok],
                            yerr=[f["loss"][ok] - f["lo"][ok], f["hi"][ok] - f["loss"][ok]],
                            fmt="none", ecolor="#D55E00", capsize=3)
            ax.plot(f.index, f["loss"], "^", color="#D55E00", ms=6, label="forecast steps")
        ax.axvline(until, color="#333333", ls=":", label="end of fit")
        ax.set_xscale("log")
        if losses:
            _loss_axis(ax, "y", np.concatenate([np.asarray(v, dtype=float) for v in losses]))
        ax.set_xlabel("step (log scale)")
        ax.set_ylabel("loss")
        # a long run name wrapped, not run past the axes (over a neighbour's in a grid)
        ax.set_title(_wrap(f"{self.curve}: {self.method} law fitted up to step {_fmt(until)}",
                           70), fontsize=9)
        _legend(ax, fontsize=8, outside=False)
        if new:
            ax.figure.tight_layout()
        return ax


class ScheduleResult(FrameResult):
    """What-if learning-rate schedules (``slaw.schedule``): a schedule-aware law fitted on the
    runs given, the whole curve predicted under each schedule asked for (and the WSD search's).

    ``frame`` / ``to_frame()``: one row per predicted schedule, indexed by its name: the last
    step, the predicted final ``loss`` and its interval ``lo``, ``hi`` (NaN without one), as the
    CLI's table; ``predictions``: every predicted point (schedule, step, loss, lo, hi).
    ``method``, ``formula``, ``params`` (dict), ``converged``, ``runs`` (list of (name, points
    fitted)), ``bootstrap`` (replicates, converged, level), ``interval_kind``,
    ``transfer_errors`` and ``model_error`` (the leave-one-run-out schedule-transfer errors and
    their RMS), ``calibration``, ``decay_term``, ``best`` (the WSD search's verdict: the lowest
    predicted, the lengths not distinguishable from it, ``decided``; None without a search) and
    ``warnings``: the CLI's ``--json`` objects, which ``to_dict()`` returns whole."""

    def __init__(self, raw: Mapping[str, Any], figure: Optional[Mapping[str, Any]] = None,
                 text: str = ""):
        self._text = text  # the CLI's text, from the library's formatter
        rows = []
        finals = []
        for p in raw.get("predictions") or []:
            pts = p.get("points") or []
            for q in pts:
                rows.append({"schedule": p["schedule"], "step": q["step"], "loss": q["loss"],
                             "lo": q.get("lo"), "hi": q.get("hi")})
            if pts:
                q = pts[-1]
                finals.append({"schedule": p["schedule"], "last_step": q["step"],
                               "loss": q["loss"], "lo": q.get("lo"), "hi": q.get("hi")})
        cols = ["schedule", "step", "loss", "lo", "hi"]
        self.predictions: pd.DataFrame = pd.DataFrame(rows, columns=cols)
        frame = pd.DataFrame(finals, columns=["schedule", "last_step", "loss", "lo", "hi"])
        for f in (self.predictions, frame):
            for c in ("loss", "lo", "hi"):
                f[c] = f[c].astype(float)  # null (no interval) as NaN, not None
        frame = frame.set_index("schedule")
        self.method: str = raw.get("method", "")
        self.formula: str = raw.get("formula", "")
        self.params: Dict[str, float] = dict(raw.get("params") or {})
        self.converged: bool = bool(raw.get("converged"))
        self.runs: List[Tuple[str, int]] = [(str(n), int(k)) for n, k in raw.get("runs") or []]
        self.bootstrap: Optional[Dict[str, Any]] = _copied(raw.get("bootstrap"))
        self.interval_kind: Optional[Dict[str, Any]] = _copied(raw.get("interval_kind"))
        self.transfer_errors: List[float] = list(raw.get("transfer_errors") or [])
        self.model_error: Optional[float] = raw.get("model_error")
        self.calibration: Optional[Dict[str, Any]] = _copied(raw.get("calibration"))
        self.decay_term: Optional[Dict[str, Any]] = _copied(raw.get("decay_term"))
        self.best: Optional[Dict[str, Any]] = _copied(raw.get("best"))
        self.warnings: List[str] = list(raw.get("warnings") or [])
        runs = ", ".join(f"{n} ({k} points)" for n, k in self.runs)
        params = " ".join(f"{k}={_fmt(v)}" for k, v in self.params.items())
        title = (f"What-if schedules: {self.method} law ({self.formula}) fitted on {runs}; "
                 f"{'converged' if self.converged else 'NOT converged'}; {params}")
        notes = []
        b = self.best
        if b:
            if b.get("decided"):
                notes.append(f"best of the WSD family: {b['schedule']} "
                             f"(final {b['final_loss']:.4f})")
            else:
                notes.append(f"the runs do not decide the WSD decay length: "
                             f"{len(b.get('not_distinguishable') or [])} of the "
                             f"{len(b.get('differences') or [])} searched are not "
                             f"distinguishable from the lowest predicted ({b['schedule']}, final "
                             f"{b['final_loss']:.4f})")
        notes += [f"warning: {w}" for w in self.warnings]
        super().__init__(dict(raw), frame, title, notes,
                         figures=[("schedules", figure)] if figure else None)

    def report(self) -> str:
        """What the CLI's ``slaw schedule`` prints (the same Rust formatter): the law and the
        runs it was fitted on, its parameters, what the intervals hold, the final loss per
        predicted schedule, the WSD search's verdict and the warnings."""
        return self._text.rstrip("\n") if self._text else super().report()

    def plot(self, ax: Any = None) -> Any:
        """The CLI's ``--plot`` figure: the runs (filled: fitted) with the law's fit through
        each, every predicted curve with its interval as a band and as a bar at the final loss;
        where the schedules part only near their end (WSD decays), that part drawn again on a
        linear step axis beside it, as the CLI draws it (two axes, returned as a list; with
        ``ax`` given, the whole figure alone on it)."""
        if not self._figures:
            raise ValueError("plot(): this result has no figure")
        fig = self._figures[0][1]
        zoom = fig.get("zoom")
        if ax is not None or not zoom or None in zoom:
            return _plot_figures([fig], ax)
        axes = _grid(2, size=(6.5, 4.8), ncols=2)
        main, near = axes
        _draw_figure(main, fig)
        if main.get_legend() is not None:
            main.get_legend().remove()
        lo, hi = float(zoom[0]), float(zoom[1])
        main.axvspan(lo, hi, color="#dddddd", alpha=0.5, lw=0)
        _draw_figure(near, fig)
        near.set_xscale("linear")
        near.set_xlim(lo, hi)
        ys = [p[k] for srs in fig.get("series") or [] for p in srs["points"]
              if p[0] is not None and lo <= p[0] <= hi for k in (1,) if p[k] is not None]
        ys += [p[k] for b in fig.get("bands") or [] for p in b["points"]
               if p[0] is not None and lo <= p[0] <= hi for k in (1, 2) if p[k] is not None]
        if ys:
            pad = 0.05 * (max(ys) - min(ys) or max(ys))
            near.set_ylim(min(ys) - pad, max(ys) + pad)
        near.set_title("")
        near.set_ylabel("")
        near.set_xlabel("step, linear scale (zoom)")
        near.xaxis.set_major_formatter(_ticker_plain())
        near.figure.tight_layout()
        return axes


class SelectionResult(FrameResult):
    """A model selection: ``ranking`` (DataFrame: rank, predicted loss, interval, score, ...,
    one row per candidate, best first), ``chosen`` (the recommended candidate's id; with the
    risk-averse ats-gap and ats-trend it may differ from rank 1), ``cost`` (dict: fine-tuning sizes
    summed over the candidates, in the sizes' unit, and FLOPs of the whole selection and their ratio to fine-tuning every candidate on the full data;
    also ``ranking.attrs["cost"]``), ``method``, ``budget``, ``notes`` (the cost, and what the
    method could not use, e.g. candidates without the zero-shot loss ats-gap reads), ``warnings``
    (a reference that does not match the pool, with its match test's p-value; it is not used;
    candidates not ranked), ``references`` (per reference: its source, candidates matched, match
    test and weight), ``unranked`` (DataFrame: id, reason, a row for each candidate the method
    could not score, e.g. too few affordable sizes; the others are ranked, as the CLI and
    ``slaw run`` do)
    and ``score_is`` (what the score column is for this method). ``ranking.interval_from`` names
    whose interval it is (ats-gap's and ats-ref's are ats-trend's) and
    ``ranking.prediction_outside_interval`` marks the rows whose predicted loss it does not hold;
    ``ranking.open_below`` the candidates still accelerating, whose interval is open below (the
    notes name those that may be better than the chosen one). ``may_be_better`` (DataFrame: id ->
    rank, fine_tune_at) lists the candidates not chosen that may be better than the chosen one,
    still accelerating, with the size at which one more run is worth it (empty when none).
    ``choice`` (dict: the chosen row's ``position``, the ``rule`` that chose it,
    ``may_be_better``) and ``calibration`` (dict: the backtest's ``level``, ``drift``,
    ``spread``, ``count``, ...; None for a method without one) and ``floor`` (dict: of the
    ``candidates`` with a rectified-law fit, how many have their fitted floor ``within_reach``;
    where more than half do, each candidate's learned interval also spans its own fit; None
    without learned intervals) are the JSON's objects."""

    def __init__(self, raw: Mapping[str, Any], text: str = ""):
        self._text = text  # the CLI's text, from the library's formatter
        rows = []
        for r in raw["ranking"]:
            iv = r.get("interval") or {}
            kind = r.get("interval_kind") or {}
            rows.append({
                "rank": r["rank"], "id": r["id"], "family": r.get("family"), "params": r.get("params"),
                "predicted_loss": r["predicted_loss"], "lo": iv.get("lo"), "hi": iv.get("hi"),
                "interval_kind": kind.get("kind"), "level": kind.get("level"),
                # whose interval it is (ats-gap's and ats-ref's are ats-trend's), and whether the
                # predicted loss falls outside it (such an interval is not centred on it)
                "interval_from": r.get("interval_from"),
                "prediction_outside_interval": bool(r.get("prediction_outside_interval")),
                # still accelerating: the interval's lower end is open (the CLI's "<" marker;
                # the JSON's open_below says what it covers)
                "open_below": r.get("open_below") is not None,
                "score": r.get("score"),
                "method_detail": (r.get("detail") or {}).get("kind"),
                # AtS's line prediction at the target (the AtS-based methods; the CLI's
                # "AtS line" column): the gap score ranks, and its level can be low
                "ats_line_loss": (r.get("detail") or {}).get("power_phase_loss"),
                "observed_at_target": r.get("observed_at_target"),
            })
        frame = pd.DataFrame(rows).set_index("id")
        for c in ("predicted_loss", "lo", "hi", "level", "score", "observed_at_target",
                  "ats_line_loss"):
            if c in frame:  # null (a method without an interval or score) as NaN, not None
                frame[c] = frame[c].astype(float)
        choice = raw.get("choice") or {}
        pos = choice.get("position", 0)
        self.chosen: str = raw["ranking"][pos]["id"] if raw["ranking"] else ""
        frame["chosen"] = [i == pos for i in range(len(frame))]
        self.ranking = frame
        self.choice: Dict[str, Any] = _copied(choice)
        self.calibration: Optional[Dict[str, Any]] = _copied(raw.get("calibration"))
        self.floor: Optional[Dict[str, Any]] = _copied(raw.get("floor"))
        self.cost: Dict[str, Any] = dict(raw.get("cost") or {})
        frame.attrs["cost"] = dict(self.cost)
        self.method: Dict[str, Any] = dict(raw.get("method") or {})
        self.budget: Dict[str, Any] = dict(raw.get("budget") or {})
        # What the score column is for this method (the predicted loss, -ln(parameters), ...).
        self.score_is: str = raw.get("score_is") or ""
        b = self.budget
        title = (f"Selection by {self.method.get('name')} at target {_fmt(b.get('target'))} with "
                 f"fine-tuning sizes up to {_fmt(b.get('max_n'))}: chosen {self.chosen} "
                 f"({choice.get('rule', '')})")
        notes = []
        if self.cost:
            notes.append(f"cost: {_fmt(self.cost.get('examples'))} (fine-tuning sizes summed over the candidates), "
                         f"{_fmt(self.cost.get('ratio'))} of fine-tuning every candidate on the full data")
        # What the method could not use (e.g. candidates without a zero-shot loss).
        notes.extend(f"note: {n}" for n in raw.get("notes") or [])
        if self.score_is:
            notes.append(f"score: {self.score_is}")
        outside = [str(i) for i, o in zip(frame.index, frame["prediction_outside_interval"]) if o]
        if outside:
            notes.append(f"{len(outside)} predicted losses lie outside their interval ({', '.join(outside)}): "
                         f"the interval is {frame['interval_from'].dropna().iloc[0] if frame['interval_from'].notna().any() else 'another'} "
                         f"method's, not centred on this method's prediction")
        # candidates not chosen that may be better (still accelerating, interval open below), as
        # the CLI's chosen line says
        for m in choice.get("may_be_better") or []:
            notes.append(f"'{m['id']}' (rank {m['position'] + 1}) may be better than {self.chosen}: still "
                         f"accelerating, its interval is open below; fine-tune it at "
                         f"{_fmt(m['fine_tune_at'])} before ruling it out (worth one more run; one run "
                         f"rarely settles it)")
        # the same as a frame: id -> rank, fine_tune_at (empty when none)
        self.may_be_better = pd.DataFrame(
            [{"id": m["id"], "rank": m["position"] + 1, "fine_tune_at": float(m["fine_tune_at"])}
             for m in choice.get("may_be_better") or []],
            columns=["id", "rank", "fine_tune_at"]).set_index("id")
        self.warnings: List[str] = list(raw.get("warnings") or [])
        self.references: List[Dict[str, Any]] = list(raw.get("references") or [])
        # The candidates not ranked, one row each: id, reason (a DataFrame, as the results'
        # ``skipped``; the JSON's ``unranked``).
        self.unranked = pd.DataFrame(
            [{"id": u.get("id"), "reason": u.get("reason")} for u in raw.get("unranked") or []],
            columns=["id", "reason"], dtype=object)
        notes.extend(f"warning: {w}" for w in self.warnings)
        super().__init__(dict(raw), frame, title, notes)

    def report(self) -> str:
        """What the CLI's ``slaw select`` prints (the same Rust formatter): the ranking with
        each candidate's predicted loss at the target and its interval, the method's details,
        the cost and the warnings."""
        return self._text.rstrip("\n") if self._text else super().report()

    def plot(self, ax: Any = None, top: int = 15) -> Any:
        """Predicted loss at the target with its interval, per candidate (best first); the
        observed loss at the target where the data have it."""
        f = self.ranking.head(top)
        ax, new = _new_axes(ax, (7, 0.3 * len(f) + 1.5))
        y = np.arange(len(f))[::-1]
        pred = f["predicted_loss"].to_numpy(dtype=float)
        lo = f["lo"].to_numpy(dtype=float)
        hi = f["hi"].to_numpy(dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        levels = f["level"].dropna()
        kinds = f["interval_kind"].dropna()
        what = "interval"
        if len(levels) and len(kinds):
            what = f"{100 * float(levels.iloc[0]):.0f}% {'predictive' if kinds.iloc[0] == 'backtest' else kinds.iloc[0]} interval"
        ax.errorbar(pred[ok], y[ok], xerr=[pred[ok] - lo[ok], hi[ok] - pred[ok]], fmt="o",
                    color="#0072B2", capsize=2, label=f"predicted ({what})")
        # an interval open below (still accelerating): its lower end is no calibrated level,
        # marked by an arrow as the CLI's "<"
        opened = f["open_below"].to_numpy(dtype=bool) & ok
        if opened.any():
            ax.plot(lo[opened], y[opened], "<", color="#CC79A7", ms=7,
                    label="lower end open (not at the level)")
        ax.plot(pred[~ok], y[~ok], "o", color="#0072B2")
        obs = f["observed_at_target"].to_numpy(dtype=float)
        if np.isfinite(obs).any():
            ax.plot(obs, y, "x", color="#D55E00", label="observed at target")
        chosen = f["chosen"].to_numpy()
        if chosen.any():
            ax.plot(pred[chosen], y[chosen], "s", mfc="none", ms=12, color="#009E73", label="chosen")
        ax.set_yticks(y)
        ax.set_yticklabels([_middle(str(i)) for i in f.index], fontsize=7)
        ax.set_xlabel("loss at the target size")
        _legend(ax, fontsize=8, outside=False)
        if new:
            ax.figure.tight_layout()
        return ax


def _copied(v: Any) -> Any:
    """A JSON object of the raw output as its own copy (an attribute edited by the user
    leaves ``to_dict()``, the CLI's ``--json``, as it was)."""
    import copy

    return copy.deepcopy(v)


def _trim_fraction(s: str) -> str:
    """``s`` without the trailing zeros of its decimals, nor the point when none is left."""
    return s.rstrip("0").rstrip(".") if "." in s else s


def _sci(v: float, digits: int = 6) -> str:
    """Scientific notation to ``digits`` significant digits, trailing zeros dropped, the
    exponent as the CLI writes it (5.76e23, 1.22835e-7; 6, not 6e0)."""
    m, e = f"{v:.{digits - 1}e}".split("e")
    m, e = _trim_fraction(m), int(e)
    return m if e == 0 else f"{m}e{e}"


def _num(v: Any) -> str:
    """A number as the CLI's reports print it (the library's ``numbers::num``): plain between
    1e-3 and 1e5 to 6 decimals (0.900737, 3000), else 6 significant digits, plain down to 1e-4
    and up to 1e6, scientific outside (8e9, 1e12, 2.97877e6); trailing zeros dropped. None and
    NaN read ``-``."""
    if v is None:
        return "-"
    v = float(v)
    if v != v:
        return "-"
    if v == 0:
        return "0"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if 1e-3 <= abs(v) < 1e5:
        return _trim_fraction(f"{v:.6f}")
    # 6 significant digits (rounded first: 999999.7 is 1e6, scientific).
    r = float(f"{v:.5e}")
    a = abs(r)
    if 1e-4 <= a < 1e6:
        decimals = max(0, 5 - math.floor(math.log10(a)))
        return _trim_fraction(f"{r:.{decimals}f}")
    return _sci(r, 6)


def _shared_pairs(shared: Any) -> List[Tuple[str, float]]:
    if isinstance(shared, dict):
        return list(shared.items())
    return [(n, v) for n, v in (shared or [])]


def _shared_intervals(fits: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per method, form and shared parameter: the value, its standard error and its
    profile-likelihood interval (``lo``, ``hi``; ``lo_open`` / ``hi_open``: the side the data
    do not determine, the end then the furthest value the profile reached; ``level``)."""
    cols = ["method", "form", "parameter", "value", "std_error", "lo", "hi", "lo_open",
            "hi_open", "level"]
    rows = []
    for m in fits:
        for f in m.get("forms") or []:
            se = dict(_shared_pairs(f.get("shared_std_errors")))
            prof = f.get("shared_profile_intervals") or {}
            params = prof.get("params") or {}
            for n, v in _shared_pairs(f.get("shared")):
                p = params.get(n) or {}
                s = se.get(n)
                rows.append({"method": m.get("method"), "form": f.get("form"), "parameter": n,
                             "value": v, "std_error": float("nan") if s is None else s,
                             "lo": p.get("lo", float("nan")), "hi": p.get("hi", float("nan")),
                             "lo_open": p.get("lo_open"), "hi_open": p.get("hi_open"),
                             "level": prof.get("level", float("nan"))})
    return pd.DataFrame(rows, columns=cols).set_index(["method", "form", "parameter"])


class JointResult(FrameResult):
    """The joint fine-tuning laws per method (``slaw joint``): ``frame`` one row per method and
    form (shared parameters, their standard errors ``<name>_se``, held-out MAD);
    ``shared_intervals`` one row per method, form and shared parameter (value, ``std_error``,
    the 95% profile-likelihood interval ``lo``, ``hi`` with ``lo_open`` / ``hi_open`` marking a
    side the data do not determine, ``level``); ``warnings``
    every method's warnings ("method M: ..."); ``held_out`` per method the paired comparison
    of the two forms' held-out errors (DataFrame); ``skipped`` the methods and factors that
    could not be fitted (DataFrame: method, factor (None for a whole method), reason);
    ``report()`` what the CLI prints; ``to_dict()`` the CLI's ``--json`` (``{"fits",
    "skipped", "warnings"}``)."""

    def __init__(self, raw: Any, frame: pd.DataFrame,
                 figures: Optional[Mapping[str, Sequence[Any]]] = None, text: str = ""):
        fits = raw.get("fits") or []
        self._text = text  # the CLI's text, from the library's formatter
        # per form: [(method, factor, figure)], the CLI's --plot figures
        self._joint_figures = {k: [tuple(x) for x in v] for k, v in (figures or {}).items()}
        self.warnings: List[str] = list(raw.get("warnings") or [])
        self.skipped = pd.DataFrame(
            [{"method": k.get("method"), "factor": k.get("factor"), "reason": k.get("reason")}
             for k in raw.get("skipped") or []],
            columns=["method", "factor", "reason"], dtype=object)  # factor None, not NaN
        rows = []
        for m in fits:
            h = m.get("held_out")
            if h:
                rows.append({"method": m.get("method"), "n": h.get("n"),
                             "mean_difference": h.get("mean_difference"),
                             "std_error": h.get("std_error"), "better": h.get("better")})
        self.held_out = (pd.DataFrame(rows).set_index("method") if rows
                         else pd.DataFrame(columns=["n", "mean_difference", "std_error", "better"]))
        self.fits: List[Dict[str, Any]] = _copied(list(fits))  # the CLI JSON's fits
        self.shared_intervals = _shared_intervals(fits)
        super().__init__(raw, frame, "Joint fine-tuning laws per method", self.warnings)

    @property
    def figure_names(self) -> List[str]:
        """The names of the figures ``plot()`` draws ("METHOD, FACTOR"; ``plot(which=NAME)``
        draws one), for the multiplicative form (the additive one has the same)."""
        return [f"{m}, {fa}" for m, fa, _ in self._joint_figures.get("multiplicative", [])]

    def plot(self, which: Optional[str] = None, ax: Any = None, ncols: int = 2,
             form: str = "multiplicative", method: Optional[str] = None,
             factor: Optional[str] = None) -> Any:
        """The CLI's ``slaw joint --plot`` figures: per method and factor, the loss against
        the fine-tuning data for each factor value, the fitted law of ``form`` (the CLI's
        ``--plot-form``: "multiplicative" or "additive") and the runs (held-out ones
        hollow). One figure per (method, factor) on a grid of new axes (the CLI writes one
        file each); ``method``/``factor`` keep those of that method/factor (one figure left
        goes on ``ax``). Returns the axes (a list for a grid)."""
        if form not in self._joint_figures:
            raise ValueError(f"plot(form={form!r}): 'multiplicative' or 'additive'")
        figs = [(f"{m}, {fa}", fig) for m, fa, fig in self._joint_figures[form]
                if (method is None or m == method) and (factor is None or fa == factor)]
        if which is not None:
            figs = [(n, f) for n, f in figs if n == which]
        if not figs:
            raise ValueError(f"plot(): no figure for method={method!r}, factor={factor!r}; the "
                             f"figures are {[f'{m}, {fa}' for m, fa, _ in self._joint_figures[form]]}")
        return _plot_figures([f for _, f in figs], ax, ncols)

    def report(self) -> str:
        """What the CLI's ``slaw joint`` prints (the same Rust formatter): what reading the
        runs assumed (``note:``), a warning per method not fitted, then per method its warnings
        and notes, each form's shared parameters with their standard errors and per-factor
        fits, and the held-out verdict."""
        return self._text.rstrip("\n") if self._text else super().report()


class MethodsResult(FrameResult):
    """Which fine-tuning method for a setting (``slaw methods``): ``frame`` / ``to_frame()`` the
    predicted loss per method with its interval; ``recommended``; ``separated`` (its interval
    lies below every other's); ``critical`` a DataFrame, one row per pair of methods: the
    crossing(s) at the setting (``at_setting``, the first in ``d_critical``), its bootstrap
    interval (``lo``, ``hi``, replicate pairs without a crossing; none when more than
    1 - level of the pairs have no crossing, the range of those that cross then in
    ``crossing_range_lo``, ``crossing_range_hi``) and the closed form (``closed_form_valid``:
    exact, or the laws cross within a factor 2 of it at the setting) and ``lower_between``
    (the method with the lower loss on each stretch of the data range the crossings cut it
    into, from the smallest data size up: which wins below a critical size and which above);
    ``critical_curves`` the raw entries (with the crossings over the factor's range);
    ``frame``'s ``bootstrap_runs``: the method's fitting runs each bootstrap replicate resamples
    (JSON ``bootstrap_runs``, per factor; a bootstrap of few runs has few distinct resamples);
    ``warnings`` the CLI's warnings; ``info`` its notes; ``other_form_better`` the methods whose
    held-out comparison favours the form not used; ``left_out`` the methods left out (DataFrame:
    method, reason); ``report()`` what the CLI prints."""

    def __init__(self, raw: Mapping[str, Any], table: pd.DataFrame, title: str,
                 figure: Optional[Mapping[str, Any]] = None, text: str = ""):
        rec = raw.get("recommendation") or {}
        self._text = text  # the CLI's text, from the library's formatter
        self.recommendation = rec
        self.recommended = rec.get("recommended")
        self.fits: List[Dict[str, Any]] = _copied(list(raw.get("fits") or []))  # the JSON's
        self.separated = bool(rec.get("separated"))
        self.form = rec.get("form")
        kinds = [p.get("interval_kind") for p in rec.get("predictions") or [] if p.get("interval_kind")]
        self.interval_kind = kinds[0] if kinds else None
        self.warnings: List[str] = list(rec.get("warnings") or [])
        self.info: List[str] = list(rec.get("info") or [])
        self.other_form_better: List[str] = list(rec.get("other_form_better") or [])
        self.left_out = pd.DataFrame(rec.get("left_out") or [], columns=["method", "reason"])
        self.critical_curves = list(rec.get("critical") or [])
        rows = []
        for c in self.critical_curves:
            m1, m2 = c.get("methods") or (None, None)
            at = list(c.get("at_setting") or [])
            ci = c.get("at_setting_interval") or {}
            iv = ci.get("interval") or {}
            cr = ci.get("crossing_range_of_replicates_that_cross") or {}
            cf = c.get("closed_form") or {}
            rows.append({"method_1": m1, "method_2": m2,
                         "d_critical": at[0] if at else float("nan"), "at_setting": at,
                         "lo": iv.get("lo", float("nan")), "hi": iv.get("hi", float("nan")),
                         "with_crossing": ci.get("with_crossing"),
                         "without_crossing": ci.get("without_crossing"),
                         "crossing_range_lo": cr.get("lo", float("nan")),
                         "crossing_range_hi": cr.get("hi", float("nan")),
                         "closed_form_h": cf.get("H", float("nan")),
                         "closed_form_gamma": cf.get("gamma", float("nan")),
                         "closed_form_exact": cf.get("exact"),
                         "closed_form_valid": cf.get("valid"),
                         "coincide": bool(c.get("coincide")),
                         "lower_between": list(c.get("lower_between") or [])})
        self.critical = pd.DataFrame(rows, columns=[
            "method_1", "method_2", "d_critical", "at_setting", "lo", "hi", "with_crossing",
            "without_crossing", "crossing_range_lo", "crossing_range_hi", "closed_form_h",
            "closed_form_gamma", "closed_form_exact", "closed_form_valid", "coincide",
            "lower_between"])
        super().__init__(dict(raw), table, title, self.warnings,
                         figures=[("critical data size", figure)] if figure else None)

    def plot(self, which: Optional[str] = None, ax: Any = None, ncols: int = 2) -> Any:
        """The CLI's ``slaw methods --plot`` figure: per pair of methods, the critical
        fine-tuning data size (where their predicted losses cross) against the factor,
        solid inside the runs' ranges and dashed outside (extrapolated), the setting
        marked. On ``ax`` (new axes when None); returns the axes."""
        return super().plot(which, ax, ncols)

    def report(self) -> str:
        """What the CLI's ``slaw methods`` prints (the same Rust formatter; an option it tells
        you to change named as this function's keyword, ``form='additive'`` for ``--form
        additive``): the predictions with their intervals, the recommendation with the
        separation verdict, the critical data sizes at the setting, the warnings and the
        notes."""
        return self._text.rstrip("\n") if self._text else super().report()


class ForecastResults(list):
    """The forecasts of several runs (``slaw.forecast(..., run_col=...)``): a list of
    :class:`ForecastResult`, one per run forecast (iterate and index it as before), plus
    ``skipped`` the runs that could not be forecast (DataFrame: run, reason; the JSON's
    ``skipped``), ``warnings`` and ``to_dict()``, the CLI's ``--json`` (``forecasts``,
    ``skipped``, ``warnings``)."""

    def __init__(self, raw: Mapping[str, Any], curves: Optional[Sequence[Any]] = None,
                 texts: Optional[Sequence[str]] = None, text: str = ""):
        fs = raw.get("forecasts") or []
        curves = list(curves or []) + [None] * len(fs)
        texts = list(texts or []) + [""] * len(fs)
        super().__init__(ForecastResult(o, c, t) for o, c, t in zip(fs, curves, texts))
        self._text = text  # the CLI's text (its table of runs), from the library's formatter
        self.raw = dict(raw)
        # The runs not forecast, one row each (a DataFrame, as JointResult.skipped).
        self.skipped = pd.DataFrame(
            [{"run": k.get("run"), "reason": k.get("reason")} for k in raw.get("skipped") or []],
            columns=["run", "reason"], dtype=object)
        self.warnings: List[str] = list(raw.get("warnings") or [])

    def to_dict(self) -> Dict[str, Any]:
        """The CLI's ``--json`` output: ``{"forecasts", "skipped", "warnings"}``."""
        import copy

        return copy.deepcopy(self.raw)

    def _skipped_rows(self) -> List[Dict[str, Any]]:
        return list(self.raw.get("skipped") or [])

    def to_frame(self) -> pd.DataFrame:
        """Every run's forecast points in one DataFrame, the run's name in column ``curve``."""
        frames = [f.to_frame().reset_index().assign(curve=f.curve) for f in self]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def plot(self, ax: Any = None, ncols: int = 2) -> Any:
        """One axes per run on a grid of ``ncols`` columns (a new figure), each the run's
        :meth:`ForecastResult.plot` (the fitted part, the rest of the logged curve, the
        forecast curve and its band, the forecast steps), as the CLI's ``--plot`` writes one
        file per run; returns the list of axes in the runs' order."""
        if ax is not None:
            raise ValueError("plot(): one axes per run on a new figure; to draw one run on "
                             "your axes: result[i].plot(ax=ax)")
        if not len(self):
            raise ValueError("plot(): no run was forecast")
        axes = _grid(len(self), size=(7, 4.5), ncols=ncols)
        for a, f in zip(axes, self):
            f.plot(ax=a)
        axes[0].figure.tight_layout()
        return axes

    def report(self) -> str:
        """What the CLI's ``slaw forecast --run-col`` prints (the same Rust formatter): a line
        per run (the forecast, or why it was skipped); each run's full report is
        ``self[i].report()`` (the CLI's ``--verbose``)."""
        if self._text:
            return self._text.rstrip("\n")
        parts = [f.report() for f in self]
        parts += [f"skipped: {_skipped_text(s)}" for s in self._skipped_rows()]
        parts += [f"warning: {w}" for w in self.warnings]
        return "\n\n".join(parts)

    def _repr_html_(self) -> str:
        """The notebook view: each run's forecast as its own view shows it (title, table,
        warnings), then the skipped runs and the warnings."""
        head = (f"<p><b>Forecasts of {len(self)} run{'s' if len(self) != 1 else ''}"
                + (f" ({len(self.skipped)} skipped)" if len(self.skipped) else "") + "</b></p>")
        body = "".join(f._repr_html_() for f in self)
        rest = [f"skipped: {_skipped_text(s)}" for s in self._skipped_rows()]
        rest += [f"warning: {w}" for w in self.warnings]
        items = "".join(f"<li>{html.escape(n)}</li>" for n in rest)
        return head + body + (f"<ul>{items}</ul>" if items else "")


def _skipped_text(s: Any) -> str:
    """A skipped run as text: "NAME: REASON" for the JSON's {"curve"/"run", "reason"}."""
    if isinstance(s, Mapping):
        name = s.get("curve", s.get("run", s.get("name")))
        reason = s.get("reason")
        if name is not None and reason is not None:
            return f"{name}: {reason}"
    return str(s)
