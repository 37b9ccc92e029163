"""Motifs and discords read off a matrix profile: ``motifs``, ``aamp_motifs`` (STUMPY 1.14
semantics) and ``discords`` (new).

``motifs`` prepares ``T`` once (:class:`.search.PreparedSeries`) and runs one compiled query
search per candidate motif; ``aamp_motifs`` is the same loop with p-norm distances.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import _analysis, _validate
from .._mparray import mparray
from .._pipeline import _Progress
from .search import PreparedSeries, default_max_distance, excl_zone_of, search


def _profile_1d(P, name="P"):
    """A float64 copy of a 1-D profile (a matrix profile's first column, an mparray's ``P_``)."""
    if hasattr(P, "to_numpy") and not isinstance(P, np.ndarray):
        P = P.to_numpy()
    P = np.asarray(P)
    if P.ndim != 1:
        raise ValueError(
            f"{name} is {P.ndim}-dimensional and must be 1-dimensional. "
            "Multidimensional motif discovery is not yet supported."
        )
    try:
        return P.astype(np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must hold numbers, got dtype {P.dtype}") from None


def _jagged(rows, fill, dtype):
    if not rows:
        return np.array([[]])
    out = np.full((len(rows), max(len(r) for r in rows)), fill, dtype=dtype)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def _find_motifs(T, P, m, min_neighbors, max_distance, cutoff, max_matches, max_motifs, atol,
                 normalize, p, T_subseq_isconstant, progress=False):
    """STUMPY's motif loop: the lowest profile value not yet excluded is a candidate; its
    matches make a motif when there are more than ``min_neighbors``; the profile is then
    blanked around every match (a match cannot become a motif itself)."""
    if not isinstance(max_motifs, (int, np.integer)) or isinstance(max_motifs, bool):
        raise TypeError(f"max_motifs must be an int, got {type(max_motifs).__name__}")
    if max_motifs < 1:
        warnings.warn("The maximum number of motifs, `max_motifs`, must be greater than or "
                      "equal to 1.\n`max_motifs` has been set to `1`", stacklevel=3)
        max_motifs = 1
    l = P.shape[0]
    if not 3 <= m <= T.shape[0]:  # (m is inferred from the lengths of T and P)
        raise ValueError(f"P has {l} entries and T {T.shape[0]} points: P must be T's matrix "
                         "profile, of len(T) - m + 1 entries for a window size m >= 3")
    m = _validate.check_window(m, T.shape[0], "T")
    excl_zone = excl_zone_of(m)
    max_matches = _validate.check_max_matches(max_matches)
    min_neighbors = _validate.check_int(min_neighbors, "min_neighbors")
    atol = _validate.check_real(atol, "atol")
    if cutoff is not None:
        cutoff = _validate.check_real(cutoff, "cutoff")
    if max_matches is None:
        max_matches = l
    if cutoff is None:
        cutoff = default_max_distance(P)  # the same rule, on P
    if cutoff == 0.0:
        warnings.warn(
            "The `cutoff` has been set to 0.0 and may result in little/no candidate motifs "
            "being identified.\nYou may consider relaxing the constraint by increasing the "
            f"`cutoff` (e.g., cutoff={np.partition(P, 1)[1]}).", stacklevel=3)
    prepared = [PreparedSeries(T, m, normalize, T_subseq_isconstant)]
    Tf = prepared[0].T / prepared[0].scale  # finite-zeroed, as STUMPY's queries are
    distances, indices = [], []
    # STUMPY's aamp_motifs asks for every match (and blanks the profile around all of them),
    # motifs for the first max_matches only
    ask = max_matches if normalize else None
    bar = _Progress(min(max_motifs, l), "motifs", "motif") if progress else None
    try:
        for _ in range(l):
            if len(indices) >= max_motifs:
                break
            c = int(np.argmin(P))
            value = P[c]
            if value > cutoff or not np.isfinite(value):
                break
            if isinstance(max_distance, float) and value > max_distance:
                break
            Q = Tf[None, c : c + m]
            constQ = [bool(prepared[0].const[c])] if normalize else [False]
            found = search(Q, prepared, max_distance, ask, atol, c, constQ, p)
            if not len(found):
                # not even the candidate itself, at distance 0 (max_matches < 1, or a limit
                # below 0): no later candidate can have a match either
                break
            if len(found) > min_neighbors:
                distances.append(found[:max_matches, 0])
                indices.append(found[:max_matches, 1])
            for i in found[:, 1].astype(np.int64):
                P[max(0, i - excl_zone) : i + excl_zone + 1] = np.inf
            if bar is not None:
                bar.update(len(indices))
    finally:
        if bar is not None:
            bar.close()
    motif_distances = _jagged(distances, np.nan, np.float64)
    motif_indices = _jagged(indices, -1, np.int64)
    if motif_distances.shape[1] == 0:
        warnings.warn(
            f"No motifs were found. You may consider increasing the `cutoff` (e.g., "
            f"cutoff={2.0 * cutoff}) and/or increasing the `max_distance `(e.g., "
            "max_distance=np.inf).", stacklevel=3)
    return motif_distances, motif_indices


def motifs(T, P, min_neighbors=1, max_distance=None, cutoff=None, max_matches=10,
           max_motifs=1, atol=1e-8, normalize=True, p=2.0, T_subseq_isconstant=None, *,
           progress=False):
    """Discover the top motifs of the time series ``T`` from its matrix profile ``P``.

    The window with the lowest profile value is a candidate; its matches (windows within
    ``max_distance``, see :func:`match`) make a motif when there are more than
    ``min_neighbors`` of them.  The profile is then blanked around every match and the next
    candidate taken, until ``max_motifs`` motifs are found or the profile value exceeds
    ``cutoff``.

    Parameters
    ----------
    T : array_like
        The time series.
    P : array_like
        Its (1-D) matrix profile, e.g. ``mp[:, 0]`` or ``mp.P_``; ``len(T) - len(P) + 1`` is
        the window size.  For a top-k profile, reduce the k distances to one value first.
    min_neighbors : int, default 1
        A candidate needs more than this many matches (itself included) to be a motif.
    max_distance : float or callable, optional
        Largest distance of a match; a function ``f(D)`` of the distance profile may give it;
        default ``max(mean(D) - 2 std(D), min(D))``.
    cutoff : float, optional
        Largest profile value of a candidate; default ``max(mean(P) - 2 std(P), min(P))``.
    max_matches : int or None, default 10
        Matches kept per motif (the first is the motif itself); None for all.
    max_motifs : int, default 1
        Largest number of motifs returned.
    atol : float, default 1e-8
        Absolute tolerance added to ``max_distance``.
    normalize : bool, default True
        False uses non-normalized p-norm distances (see :func:`aamp_motifs`).
    p : float, default 2.0
        The p-norm when ``normalize=False``.
    T_subseq_isconstant : array_like of bool or callable, optional
        Which windows of ``T`` are constant (see :func:`mpcore.stump`).
    progress : bool, default False
        Show a progress bar (motifs found out of ``max_motifs``).  Ctrl-C stops the search.

    Returns
    -------
    motif_distances : numpy.ndarray
        The distances of each motif's matches, one row per motif (float64, NaN-padded); the
        first column is the motif itself (0).
    motif_indices : numpy.ndarray
        The matching indices (int64, -1-padded).  Both are ``np.array([[]])`` when no motif is
        found (with a warning), as in STUMPY.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.array([584., -11., 23., 79., 1001., 0., -19.])
    >>> mp = mpcore.stump(T, m=3)
    >>> mpcore.motifs(T, mp.P_, max_distance=2.0)  # doctest: +ELLIPSIS
    (array([[0.        , 0.11633857]]), array([[0, 4]]))
    """
    if not _validate.check_bool(normalize, "normalize"):
        return aamp_motifs(T, P, min_neighbors, max_distance, cutoff, max_matches, max_motifs,
                           atol, p, progress=progress)
    T = _validate.as_series(T, "T")
    P = _profile_1d(P)
    return _find_motifs(T, P, T.shape[0] - P.shape[0] + 1, min_neighbors, max_distance, cutoff,
                        max_matches, max_motifs, atol, True, 2.0, T_subseq_isconstant, progress)


def aamp_motifs(T, P, min_neighbors=1, max_distance=None, cutoff=None, max_matches=10,
                max_motifs=1, atol=1e-8, p=2.0, *, progress=False):
    """Discover the top motifs of ``T`` from its non-normalized (p-norm) matrix profile ``P``.

    The same search as :func:`motifs` (without ``normalize`` and ``T_subseq_isconstant``), with
    p-norm distances.  As in STUMPY, the profile is blanked around every match within
    ``max_distance`` of a candidate, not only the first ``max_matches``.

    Parameters
    ----------
    T : array_like
        The time series.
    P : array_like
        Its (1-D) non-normalized matrix profile, e.g. ``aamp(T, m).P_``.
    min_neighbors, max_distance, cutoff, max_matches, max_motifs, atol
        As in :func:`motifs`.
    p : float, default 2.0
        The p-norm of the distances.
    progress : bool, default False
        Show a progress bar (motifs found out of ``max_motifs``).

    Returns
    -------
    motif_distances : numpy.ndarray
        The distances of each motif's matches, one row per motif (float64, NaN-padded).
    motif_indices : numpy.ndarray
        The matching indices (int64, -1-padded).

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.array([0., 1., 3., 2., 9., 1.5, 3., 2., 0., 5.])
    >>> mp = mpcore.aamp(T, m=3)
    >>> d, i = mpcore.aamp_motifs(T, mp.P_, max_distance=1.0)
    >>> print(d)  # the motif itself, then its match
    [[0.  0.5]]
    >>> print(i)
    [[1 5]]
    """
    p = _validate.check_p(p)
    T = _validate.as_series(T, "T")
    P = _profile_1d(P)
    return _find_motifs(T, P, T.shape[0] - P.shape[0] + 1, min_neighbors, max_distance, cutoff,
                        max_matches, max_motifs, atol, False, p, None, progress)


def discords(T, m, k=1, mp=None, excl_zone=None, normalize=True, p=2.0,
             T_subseq_isconstant=None, *, n_threads=None):
    """Find the top-``k`` discords of ``T``: the windows farthest from their nearest neighbour.

    Each discord is a distinct event: windows are taken by decreasing matrix profile value
    (ties: lowest index); after each one, the windows within ``excl_zone`` of it are skipped, so
    two discords never describe the same anomaly.  Windows with an infinite or NaN profile value
    (those holding NaN/inf, or with no neighbour outside the exclusion zone) are never discords.
    New in mpcore: STUMPY has no discord search of its own.

    Parameters
    ----------
    T : array_like
        The time series.
    m : int
        Window size.
    k : int, default 1
        Number of discords wanted; fewer are returned when fewer distinct windows exist.
    mp : array_like, optional
        A matrix profile of ``T`` already computed with window ``m`` (an ``mparray`` or the
        array STUMPY returns, whose first column is used, or a 1-D profile).  When None, it is
        computed with :func:`mpcore.stump` (or :func:`mpcore.aamp` when ``normalize=False``).
    excl_zone : int, optional
        Half-width of the zone skipped around each discord; default ``m``, so the discords'
        windows do not overlap.
    normalize : bool, default True
        Whether the profile computed here (when ``mp`` is None) is z-normalized (True) or a
        non-normalized p-norm profile (False).
    p : float, default 2.0
        The p-norm when ``normalize=False``.
    T_subseq_isconstant : array_like of bool or callable, optional
        Which windows are constant (see :func:`mpcore.stump`), when ``mp`` is computed here.
    n_threads : int, optional
        Threads for computing ``mp``.

    Returns
    -------
    discord_distances : numpy.ndarray
        The profile values of the discords, largest first (float64).
    discord_indices : numpy.ndarray
        Their window indices (int64).

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.sin(np.linspace(0, 40 * np.pi, 2000)); T[1200:1210] += 1.0
    >>> d, i = mpcore.discords(T, m=50, k=2)
    >>> bool(1150 < i[0] < 1210)
    True
    """
    if mp is None:
        T = _validate.as_series(T, "T")
    else:  # only T's length is needed: no copy of a long series
        T = np.asarray(T.to_numpy() if hasattr(T, "to_numpy") else T)
        if T.ndim != 1 or T.dtype.kind not in "iuf":
            raise TypeError(f"T must be a 1-D array of numbers, got dtype {T.dtype} and "
                            f"{T.ndim} dimensions")
    m = _validate.check_window(m, T.shape[0], "T")
    k = _validate.check_int(k, "k")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    l = T.shape[0] - m + 1
    if excl_zone is None:
        excl_zone = m
    excl_zone = _validate.check_int(excl_zone, "excl_zone")
    if excl_zone < 0:
        raise ValueError(f"excl_zone must be >= 0, got {excl_zone}")
    p = _validate.check_p(p)
    normalize = _validate.check_bool(normalize, "normalize")
    if mp is None:
        from .._api import aamp, stump

        if normalize:
            if T_subseq_isconstant is not None:  # (checked here, under its own name)
                T_subseq_isconstant = _validate.isconstant(
                    np.where(np.isfinite(T), T, np.nan), m, T_subseq_isconstant,
                    "T_subseq_isconstant", _validate.rolling_isfinite(T, m))
            mp = stump(T, m, T_A_subseq_isconstant=T_subseq_isconstant, n_threads=n_threads)
        else:
            mp = aamp(T, m, p=p, n_threads=n_threads)
    if np.ndim(mp) == 2 and isinstance(mp, mparray):  # its typed column, no conversion
        P = np.asarray(mp.P_, dtype=np.float64)
    else:
        P = np.asarray(mp)
        if P.ndim == 2:
            P = P[:, 0]
        P = P if P.dtype == np.float64 and P.ndim == 1 else _profile_1d(P, "mp")
    if P.shape != (l,):
        raise ValueError(f"mp must have len(T) - m + 1 = {l} rows, got {P.shape[0]}")
    kept = _analysis.pick_max(np.ascontiguousarray(P), k, excl_zone)
    return P[kept].copy(), kept
