"""Pictures of matrix profiles with matplotlib (``pip install mpcore[plot]``).

Every function returns the :class:`matplotlib.figure.Figure` it drew on and takes ``ax=`` to
draw into Axes the caller made (then nothing else on the figure is touched).

==========================  ==================================================================
function                    what it draws
==========================  ==================================================================
:func:`profile`             a series with its matrix profile beneath, the top motif pairs and
                            discords highlighted
:func:`motifs`              the occurrences of the top motifs (:func:`mpcore.motifs`)
                            overlaid, and where they sit in the series
:func:`discords`            the top discords (:func:`mpcore.discords`) in the series, each
                            beside its nearest neighbour
:func:`regimes`             regime boundaries (:func:`mpcore.fluss`) in the series, with the
                            corrected arc curve beneath
:func:`multidim`            a multi-dimensional series and its k-dimensional profiles
                            (:func:`mpcore.mstump`)
==========================  ==================================================================

Windows are drawn at the x position of their first sample: sample indices for arrays, the
``time`` of a :class:`mpcore.datasets.Dataset` (whose ``unit`` labels the y axis).  Each
artist that stands for data carries a gid (``"series"``, ``"profile"``, ``"motif-0"``,
``"discord"``, ...) so that code and tests can find it with
``[a for a in ax.get_children() if a.get_gid() == "motif-0"]``.
"""
from __future__ import annotations

try:
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "mpcore.plot needs matplotlib, which is not installed: pip install mpcore[plot]"
    ) from exc

import numpy as np

from . import _validate

__all__ = ["discords", "motifs", "multidim", "profile", "regimes"]

_SERIES_COLOR = "C0"
_DISCORD_COLOR = "C3"
_NEIGHBOUR_COLOR = "0.45"
_REGIME_COLOR = "C3"
# one colour per motif, none shared with the series (C0) or the discords (C3)
_MOTIF_COLORS = ("C1", "C2", "C4", "C6", "C8", "C9", "C5", "C7")
_SPAN_ALPHA = 0.3


# ----------------------------------------------------------------------------- input checks

def _series(T, name: str = "T"):
    """The values of a 1-D series (a float64 copy), the x of each sample, and the y and x labels.

    A :class:`mpcore.datasets.Dataset` gives its ``time`` as x and its unit as y label; anything
    else is drawn against the sample index.
    """
    from .datasets import Dataset

    if isinstance(T, Dataset):
        y = _validate.as_series(T.values, name)
        x = np.asarray(T.time)
        xlabel = "" if np.issubdtype(x.dtype, np.datetime64) else "time (s)"
        return y, x, T.unit, xlabel
    y = _validate.as_series(T, name)
    return y, np.arange(y.shape[0]), "", "index"


def _profile_index(mp, name: str = "mp"):
    """``(P, I)`` from a matrix profile: an mparray (its ``P_``/``I_``; the nearest neighbour
    when k > 1), STUMPY's ``(l, 2k+2)`` table or a ``(l, 2)`` array of P and I, or a 1-D
    profile (then ``I`` is None)."""
    if mp is None:
        raise TypeError(f"{name} must be a matrix profile (stump's result), got None")
    if hasattr(mp, "P_") and hasattr(mp, "I_"):
        P, I = np.asarray(mp.P_), np.asarray(mp.I_)
        if P.ndim == 2:  # top-k: the nearest neighbour is column 0
            P, I = P[:, 0], I[:, 0]
    else:
        a = np.asarray(mp.to_numpy() if hasattr(mp, "to_numpy") else mp)
        if a.ndim == 1:
            P, I = a, None
        elif a.ndim == 2 and a.shape[1] >= 2:
            # STUMPY's layout: k distances, k indices, left, right; or just P and I
            k = (a.shape[1] - 2) // 2 if a.shape[1] >= 4 and a.shape[1] % 2 == 0 else 1
            P, I = a[:, 0], a[:, k]
        else:
            raise ValueError(
                f"{name} must be a matrix profile: an mparray, a 2-D array whose columns 0 and 1 "
                f"are the distances and indices, or a 1-D profile; got shape {a.shape}"
            )
    try:
        P = np.array(P, dtype=np.float64)
        I = None if I is None else np.array(I, dtype=np.int64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must hold numbers, got dtype {np.asarray(mp).dtype}") from None
    return P, I


def _check_profile_length(P, n: int, m, name: str = "mp") -> int:
    """The window size: ``m`` checked against ``len(T) - len(P) + 1``, or inferred from it."""
    if m is None:
        m = n - P.shape[0] + 1
        if m < 3 or P.shape[0] < 1:
            raise ValueError(
                f"{name} has {P.shape[0]} rows, T has {n} points: a matrix profile of T has "
                "len(T) - m + 1 rows with m >= 3"
            )
        return m
    m = _validate.check_window(m, n, "T")
    if P.shape[0] != n - m + 1:
        raise ValueError(f"{name} must have len(T) - m + 1 = {n - m + 1} rows, got {P.shape[0]}")
    return m


def _count(value, name: str, low: int = 0) -> int:
    value = _validate.check_int(value, name)
    if value < low:
        raise ValueError(f"{name} must be at least {low}, got {value}")
    return value


def _check_title(title):
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    return title


def _axes(ax, n: int, make):
    """The figure and ``n`` Axes: ``make()`` builds them when ``ax`` is None, else ``ax`` must be
    ``n`` Axes (one Axes when ``n == 1``)."""
    if ax is None:
        fig, axes = make()
        return fig, list(axes)
    if isinstance(ax, Axes):
        axes = [ax]
    else:
        try:
            axes = list(np.asarray(ax, dtype=object).ravel())
        except TypeError:
            axes = [ax]
    if len(axes) != n or not all(isinstance(a, Axes) for a in axes):
        what = "one matplotlib Axes" if n == 1 else f"a sequence of {n} matplotlib Axes"
        raise TypeError(f"ax must be None or {what}, got {type(ax).__name__}"
                        + ("" if isinstance(ax, Axes) else f" of {len(axes)}"))
    return axes[0].figure, axes


def _stacked(n_rows: int, heights, sharex: bool, figsize=(10, 5)):
    """A figure with ``n_rows`` Axes stacked vertically."""
    def make():
        fig, axes = plt.subplots(n_rows, 1, sharex=sharex, figsize=figsize, layout="constrained",
                                 gridspec_kw={"height_ratios": heights})
        return fig, np.atleast_1d(axes)
    return make


def _drawable(a):
    """Non-finite profile values drawn as gaps (an infinite distance has no height)."""
    a = np.array(a, dtype=np.float64)
    a[~np.isfinite(a)] = np.nan
    return a


# ----------------------------------------------------------------------------- drawing pieces

def _plot_series(ax, x, y, ylabel="", color=_SERIES_COLOR, gid="series"):
    (line,) = ax.plot(x, y, color=color, linewidth=1.0, gid=gid)
    ax.set_ylabel(ylabel)
    ax.set_xlim(x[0], x[-1])
    return line


def _highlight(ax, x, y, start: int, m: int, color, gid: str):
    """Shade the window of ``m`` samples starting at ``start`` and redraw its samples in
    ``color`` (in a long series the shade alone is thinner than the line drawn over it)."""
    stop = start + m
    ax.axvspan(x[start], x[stop - 1], color=color, alpha=_SPAN_ALPHA, linewidth=0, gid=gid)
    ax.plot(x[start:stop], y[start:stop], color=color, linewidth=1.2, gid=gid)


def _markers(ax, x, y, idx, color, marker, gid, label=None):
    idx = np.asarray(idx, dtype=np.int64)
    (line,) = ax.plot(x[idx], y[idx], linestyle="none", marker=marker, color=color,
                      markersize=7, gid=gid, label=label)
    return line


def _window(y, start: int, m: int, normalize: bool):
    """One window of ``y``, z-normalized when asked (a constant window becomes zeros)."""
    w = y[start : start + m].copy()
    if normalize:
        sd = w.std()
        w = (w - w.mean()) / sd if sd > 0 else np.zeros_like(w)
    return w


def _motif_pairs(P, I, count: int, excl: int):
    """The ``count`` lowest finite profile values, each with its nearest neighbour, skipping
    windows within ``excl`` of a pair already taken (so the highlighted windows are distinct
    events).  Ties go to the lowest index, as ``np.argmin`` does."""
    pairs = []
    taken = np.zeros(P.shape[0], dtype=bool)
    if count == 0:
        return pairs
    for i in np.argsort(P, kind="stable"):
        if not np.isfinite(P[i]):
            break
        j = -1 if I is None else int(I[i])
        if taken[i] or (j >= 0 and taken[j]):
            continue
        pairs.append((int(i), j))
        for w in (i, j) if j >= 0 else (i,):
            taken[max(0, w - excl) : w + excl + 1] = True
        if len(pairs) == count:
            break
    return pairs


def _motif_color(k: int):
    return _MOTIF_COLORS[k % len(_MOTIF_COLORS)]


def _profile_for(y, m: int, mp, normalize: bool, p: float):
    """``(P, I)`` of ``mp``, or of a self-join computed here when ``mp`` is None."""
    if mp is None:
        from ._api import aamp, stump

        mp = stump(y, m) if normalize else aamp(y, m, p=p)
    P, I = _profile_index(mp)
    _check_profile_length(P, y.shape[0], m)
    return P, I


# ----------------------------------------------------------------------------- public API

def profile(T, mp, *, m=None, motifs=1, discords=1, ax=None, title=None):
    """Draw a time series with its matrix profile beneath, the top motifs and discords marked.

    The top ``motifs`` motif pairs (the lowest profile values, each with its nearest
    neighbour) are shaded in the series, one colour per pair, and marked with circles on the
    profile; the top ``discords`` discords (:func:`mpcore.discords`) are shaded red and marked
    with triangles.  Windows are shaded from their first to their last sample.

    Parameters
    ----------
    T : array_like or mpcore.datasets.Dataset
        The time series.  For a dataset, the x axis is its ``time`` and the y label its unit.
    mp : mparray or array_like
        Its matrix profile: the result of :func:`mpcore.stump` or :func:`mpcore.aamp`, a 2-D
        array whose columns 0 and 1 are the distances and the neighbour indices (STUMPY's
        layout), or a 1-D profile (then motifs are marked without their neighbours).
        Non-finite values are drawn as gaps.
    m : int, optional
        Window size; default ``len(T) - len(mp) + 1``.
    motifs : int, default 1
        Number of motif pairs highlighted (0 for none).
    discords : int, default 1
        Number of discords highlighted (0 for none).
    ax : pair of matplotlib.axes.Axes, optional
        The Axes for the series and for the profile; by default a new figure with two stacked
        Axes sharing x.
    title : str, optional
        Title above the series.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    See Also
    --------
    motifs, discords : The motifs' and discords' windows drawn side by side.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.sin(np.linspace(0, 20 * np.pi, 1000)); T[500:510] += 0.5
    >>> mp = mpcore.stump(T, m=50)
    >>> fig = mpcore.plot.profile(T, mp, title="a sine with a bump")
    >>> series_ax, profile_ax = fig.axes
    >>> [a.get_gid() for a in series_ax.patches]
    ['motif-0', 'motif-0', 'discord']
    """
    y, x, ylabel, xlabel = _series(T)
    P, I = _profile_index(mp)
    m = _check_profile_length(P, y.shape[0], m)
    n_motifs = _count(motifs, "motifs")
    n_discords = _count(discords, "discords")
    title = _check_title(title)
    fig, (ax_T, ax_P) = _axes(ax, 2, _stacked(2, (1, 1), sharex=True))

    l = P.shape[0]
    _plot_series(ax_T, x, y, ylabel)
    ax_P.plot(x[:l], _drawable(P), color=_SERIES_COLOR, linewidth=1.0, gid="profile")
    ax_P.set_ylabel("matrix profile")
    ax_P.set_xlabel(xlabel)
    ax_P.set_xlim(x[0], x[-1])

    for k, pair in enumerate(_motif_pairs(P, I, n_motifs, m)):
        windows = [w for w in pair if w >= 0]
        for w in windows:
            _highlight(ax_T, x, y, w, m, _motif_color(k), f"motif-{k}")
        _markers(ax_P, x, P, windows, _motif_color(k), "o", f"motif-{k}",
                 "motif" if k == 0 else None)
    if n_discords:
        from ._algos.motifs import discords as find_discords

        _, idx = find_discords(y, m, k=n_discords, mp=P)
        for w in idx:
            _highlight(ax_T, x, y, int(w), m, _DISCORD_COLOR, "discord")
        if len(idx):
            _markers(ax_P, x, P, idx, _DISCORD_COLOR, "v", "discord", "discord")
    if ax_P.get_legend_handles_labels()[0]:
        ax_P.legend(loc="upper right", fontsize="small")
    if title is not None:
        ax_T.set_title(title)
    return fig


def motifs(T, m, mp=None, *, max_motifs=3, ax=None, normalize=True, p=2.0, min_neighbors=1,
           max_distance=None, cutoff=None, max_matches=10, title=None):
    """Draw the top motifs of a series: their occurrences overlaid, and where they sit.

    The motifs are those of :func:`mpcore.motifs` (each with every match within
    ``max_distance``).  The upper Axes shade every occurrence in the series, one colour per
    motif; the lower one overlays the occurrences' windows, z-normalized when ``normalize``,
    in the same colours.

    Parameters
    ----------
    T : array_like or mpcore.datasets.Dataset
        The time series.
    m : int
        Window size.
    mp : mparray or array_like, optional
        A matrix profile of ``T`` computed with window ``m`` (see :func:`profile`); computed
        here with :func:`mpcore.stump` (:func:`mpcore.aamp` when ``normalize=False``) when None.
    max_motifs : int, default 3
        Largest number of motifs drawn.
    ax : pair of matplotlib.axes.Axes, optional
        The Axes for the series and for the overlaid windows; by default a new figure.
    normalize : bool, default True
        Z-normalized motifs (and windows drawn z-normalized), or non-normalized p-norm ones.
    p : float, default 2.0
        The p-norm when ``normalize=False``.
    min_neighbors, max_distance, cutoff, max_matches
        Passed to :func:`mpcore.motifs`.
    title : str, optional
        Title above the series.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> rng = np.random.default_rng(0)
    >>> T = rng.standard_normal(600); T[100:140] = T[400:440] = np.sin(np.linspace(0, 6, 40))
    >>> mp = mpcore.stump(T, m=40)
    >>> mpcore.motifs(T, mp.P_)[1]
    array([[100, 400]])
    >>> fig = mpcore.plot.motifs(T, m=40, mp=mp, max_motifs=1)
    >>> len(fig.axes[1].lines)  # both occurrences, overlaid
    2
    """
    y, x, ylabel, xlabel = _series(T)
    m = _validate.check_window(m, y.shape[0], "T")
    max_motifs = _count(max_motifs, "max_motifs", 1)
    normalize = _validate.check_bool(normalize, "normalize")
    p = _validate.check_p(p)
    title = _check_title(title)
    P, _ = _profile_for(y, m, mp, normalize, p)
    fig, (ax_T, ax_W) = _axes(ax, 2, _stacked(2, (1, 1), sharex=False))

    from ._algos.motifs import motifs as find_motifs

    _, indices = find_motifs(y, P, min_neighbors=min_neighbors, max_distance=max_distance,
                             cutoff=cutoff, max_matches=max_matches, max_motifs=max_motifs,
                             normalize=normalize, p=p)
    _plot_series(ax_T, x, y, ylabel)
    ax_T.set_xlabel(xlabel)
    offsets = np.arange(m)
    for k, row in enumerate(indices if indices.size else []):
        for w in row[row >= 0]:
            _highlight(ax_T, x, y, int(w), m, _motif_color(k), f"motif-{k}")
            ax_W.plot(offsets, _window(y, int(w), m, normalize), color=_motif_color(k),
                      linewidth=1.0, alpha=0.8, gid=f"motif-{k}")
    ax_W.set_xlim(0, m - 1)
    ax_W.set_xlabel("offset in window (samples)")
    ax_W.set_ylabel("z-normalized" if normalize else ylabel)
    if title is not None:
        ax_T.set_title(title)
    return fig


def discords(T, m, mp=None, *, k=3, ax=None, normalize=True, p=2.0, excl_zone=None,
             title=None):
    """Draw the top discords of a series, each window beside its nearest neighbour.

    The discords are those of :func:`mpcore.discords` (the windows farthest from their nearest
    neighbours, ``excl_zone`` apart).  The upper Axes shade them in the series; below, one Axes
    per discord overlays its window (red) and its nearest neighbour's (grey, dashed),
    z-normalized when ``normalize``.

    Parameters
    ----------
    T : array_like or mpcore.datasets.Dataset
        The time series.
    m : int
        Window size.
    mp : mparray or array_like, optional
        A matrix profile of ``T`` computed with window ``m`` (see :func:`profile`); computed
        here when None.  A 1-D profile has no neighbour indices: the discords are then drawn
        alone.
    k : int, default 3
        Number of discords wanted; fewer are drawn when fewer distinct windows exist.
    ax : sequence of matplotlib.axes.Axes, optional
        ``1 + k`` Axes: the series, then one per discord (those beyond the discords found are
        left untouched); by default a new figure with one Axes per discord found.
    normalize : bool, default True
        Z-normalized profile (and windows drawn z-normalized), or non-normalized p-norm one.
    p : float, default 2.0
        The p-norm when ``normalize=False``.
    excl_zone : int, optional
        Passed to :func:`mpcore.discords` (default ``m``).
    title : str, optional
        Title above the series.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.sin(np.linspace(0, 40 * np.pi, 2000)); T[1200:1210] += 1.0
    >>> fig = mpcore.plot.discords(T, m=50, k=2)
    >>> len(fig.axes)
    3
    """
    y, x, ylabel, xlabel = _series(T)
    m = _validate.check_window(m, y.shape[0], "T")
    k = _count(k, "k", 1)
    normalize = _validate.check_bool(normalize, "normalize")
    p = _validate.check_p(p)
    title = _check_title(title)
    P, I = _profile_for(y, m, mp, normalize, p)

    from ._algos.motifs import discords as find_discords

    _, idx = find_discords(y, m, k=k, mp=P, excl_zone=excl_zone)
    n = len(idx)

    def make():
        fig = plt.figure(figsize=(10, 5), layout="constrained")
        grid = fig.add_gridspec(2, max(n, 1))
        top = fig.add_subplot(grid[0, :])
        panels = [fig.add_subplot(grid[1, j]) for j in range(n)]
        for a in panels[1:]:
            a.sharey(panels[0])
        return fig, [top] + panels + [None] * (k - n)

    fig, axes = _axes(ax, 1 + k, make)
    ax_T, panels = axes[0], axes[1:]
    _plot_series(ax_T, x, y, ylabel)
    ax_T.set_xlabel(xlabel)
    offsets = np.arange(m)
    for j, w in enumerate(int(w) for w in idx):
        _highlight(ax_T, x, y, w, m, _DISCORD_COLOR, "discord")
        a = panels[j]
        if I is not None and I[w] >= 0:
            a.plot(offsets, _window(y, int(I[w]), m, normalize), color=_NEIGHBOUR_COLOR,
                   linestyle="--", linewidth=1.0, gid="neighbour")
        a.plot(offsets, _window(y, w, m, normalize), color=_DISCORD_COLOR, linewidth=1.2,
               gid="discord")
        a.set_xlim(0, m - 1)
    if title is not None:
        ax_T.set_title(title)
    return fig


def regimes(T, m, *, mp=None, n_regimes=2, L=None, excl_factor=5, ax=None):
    """Draw a series with its regime boundaries and the corrected arc curve beneath.

    The ``n_regimes - 1`` boundaries that :func:`mpcore.fluss` finds are vertical lines across
    both Axes.  A low arc curve means few nearest-neighbour arcs cross that point: the series on
    either side differs.

    Parameters
    ----------
    T : array_like or mpcore.datasets.Dataset
        The time series.
    m : int
        Window size.
    mp : mparray or array_like, optional
        A matrix profile of ``T`` computed with window ``m``, with its neighbour indices (see
        :func:`profile`); computed here with :func:`mpcore.stump` when None.
    n_regimes : int, default 2
        Number of regimes; ``n_regimes - 1`` boundaries are drawn.
    L : int, optional
        Subsequence length for the arc curve (see :func:`mpcore.fluss`); default ``m``.
    excl_factor : int, default 5
        Passed to :func:`mpcore.fluss`.
    ax : pair of matplotlib.axes.Axes, optional
        The Axes for the series and for the arc curve; by default a new figure with two stacked
        Axes sharing x.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> t = np.arange(1000)
    >>> T = np.where(t < 500, np.sin(t / 5), np.sign(np.sin(t / 9)))
    >>> fig = mpcore.plot.regimes(T, m=40)
    >>> [round(float(line.get_xdata()[0]), -2) for line in fig.axes[0].lines[1:]]
    [500.0]
    """
    y, x, ylabel, xlabel = _series(T)
    m = _validate.check_window(m, y.shape[0], "T")
    n_regimes = _count(n_regimes, "n_regimes", 1)
    L = m if L is None else _count(L, "L", 1)
    P, I = _profile_for(y, m, mp, True, 2.0)
    if I is None:
        raise ValueError("mp must hold the nearest-neighbour indices (stump's result or a 2-D "
                         "array whose column 1 is I), not a 1-D profile")
    fig, (ax_T, ax_C) = _axes(ax, 2, _stacked(2, (1, 1), sharex=True))

    from ._algos.regimes import fluss

    cac, locs = fluss(I, L, n_regimes, excl_factor=excl_factor)
    _plot_series(ax_T, x, y, ylabel)
    ax_C.plot(x[: cac.shape[0]], cac, color=_SERIES_COLOR, linewidth=1.0, gid="cac")
    ax_C.set_ylim(0, 1.05)
    ax_C.set_ylabel("corrected arc curve")
    ax_C.set_xlabel(xlabel)
    ax_C.set_xlim(x[0], x[-1])
    for a in (ax_T, ax_C):
        for loc in locs:
            a.axvline(x[int(loc)], color=_REGIME_COLOR, linestyle="--", linewidth=1.2,
                      gid="regime")
    return fig


def multidim(T, m, *, P=None, ax=None):
    """Draw a multi-dimensional series and its k-dimensional matrix profiles.

    One row per dimension: row ``k`` holds channel ``k`` of ``T`` (left) and the
    ``(k+1)``-dimensional profile ``P[k]`` of :func:`mpcore.mstump` (right), its minimum (the
    best ``(k+1)``-dimensional motif) marked.  All Axes share x.

    Parameters
    ----------
    T : array_like
        The series, shape ``(d, n)`` (or a DataFrame whose columns are the channels, as for
        :func:`mpcore.mstump`).
    m : int
        Window size.
    P : array_like, optional
        The profiles, shape ``(d, n - m + 1)``, or :func:`mpcore.mstump`'s result; computed here
        with :func:`mpcore.mstump` when None.
    ax : array of matplotlib.axes.Axes, optional
        ``d`` rows of two Axes (shape ``(d, 2)``, as ``plt.subplots(d, 2)`` returns); by
        default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.random.default_rng(0).standard_normal((3, 300)).cumsum(axis=1)
    >>> fig = mpcore.plot.multidim(T, m=20)
    >>> len(fig.axes)
    6
    """
    from ._algos.multidim import as_multi

    Y = as_multi(T, "T")
    d, n = Y.shape
    m = _validate.check_window(m, n, "T")
    l = n - m + 1
    if P is None:
        from ._algos.multidim import mstump

        P = mstump(Y, m).P_
    P = np.asarray(P.P_ if hasattr(P, "P_") else P)
    if P.dtype.kind not in "iuf":
        raise TypeError(f"P must hold numbers, got dtype {P.dtype}")
    if P.shape != (d, l):
        raise ValueError(f"P must have shape (d, n - m + 1) = {(d, l)}, got {P.shape}")

    def make():
        fig, axes = plt.subplots(d, 2, sharex=True, squeeze=False, layout="constrained",
                                 figsize=(10, 1.6 * d + 0.8))
        return fig, axes.ravel()

    fig, axes = _axes(ax, 2 * d, make)
    x = np.arange(n)
    for k in range(d):
        ax_T, ax_P = axes[2 * k], axes[2 * k + 1]
        _plot_series(ax_T, x, Y[k], f"T[{k}]")
        Pk = _drawable(P[k])
        ax_P.plot(x[:l], Pk, color=_SERIES_COLOR, linewidth=1.0, gid="profile")
        ax_P.set_ylabel(f"P[{k}]")
        ax_P.set_xlim(x[0], x[-1])
        if np.isfinite(Pk).any():
            _markers(ax_P, x, Pk, [int(np.nanargmin(Pk))], _motif_color(0), "o", "motif-0")
    axes[-2].set_xlabel("index")
    axes[-1].set_xlabel("index")
    return fig
