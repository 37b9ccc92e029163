"""Query search: ``match`` and ``aamp_match`` (STUMPY 1.14 semantics), over a prepared series.

A :class:`PreparedSeries` holds what a query search needs about ``T`` (finite-zeroed, scaled
values, which windows are finite and constant, and the window statistics), computed once and
reused by every query: ``motifs`` runs one search per candidate motif on one prepared series.
The distance profile itself and the greedy pick of matches run in compiled code (``_analysis``).

When the shared prepared-series object of the core (with an FFT ``mass``) lands, it replaces
:class:`PreparedSeries` here: its users only call ``PreparedSeries(...)`` and ``.profile(Q)``.
"""
from __future__ import annotations

import math
import numbers
import warnings
import numpy as np

from .. import _analysis, _exact, _validate
from .._prepare import FLAT_SSD, common_scale
from .._threads import each, resolve

# Below this many point operations a profile runs on the calling thread: a thread pool costs
# more than it saves.
_PARALLEL_WORK = 1 << 21


def excl_zone_of(m: int) -> int:
    """STUMPY's exclusion zone, ``ceil(m / 4)``."""
    return int(math.ceil(m / 4))


def _ranges(l: int, work: int, n_threads: int | None):
    """``(n_threads, ranges)``: four ranges per thread, taken as threads free up, so that a
    thread slowed by other load on the machine does not hold the others back."""
    n = resolve(n_threads) if work >= _PARALLEL_WORK else 1
    n = max(1, min(n, l))
    parts = 1 if n == 1 else min(4 * n, l)
    edges = np.linspace(0, l, parts + 1).astype(np.int64)
    return n, [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def _run(fn, plan) -> None:
    """Run ``fn(j0, j1)`` over the planned ranges; the compiled loops release the GIL."""
    n, ranges = plan
    each(lambda ab: fn(*ab), ranges, n)


class PreparedSeries:
    """One series ``T`` made ready for many queries of length ``m``.

    Parameters
    ----------
    T : numpy.ndarray
        float64 series (NaN/inf allowed: their windows are ``inf`` away from any query).
    m : int
        Query length.
    normalize : bool
        z-normalized (True) or p-norm (False) distances.
    isconstant : bool array or callable, optional
        STUMPY's ``T_subseq_isconstant`` (normalized only).
    M_T, Σ_T : numpy.ndarray, optional
        Caller-supplied window means and standard deviations (STUMPY's ``match`` arguments);
        used instead of the exact statistics.
    isfinite : bool array, optional
        Caller-supplied finite windows (STUMPY's ``T_subseq_isfinite``).
    """

    def __init__(self, T, m, normalize=True, isconstant=None, M_T=None, Σ_T=None,
                 isfinite=None, n_threads=None):
        self.m = m
        self.l = l = T.shape[0] - m + 1
        self.normalize = normalize
        self.n_threads = n_threads
        top, isfinite_T, allequal = _analysis.scan(T, m)
        if isfinite is None:
            self.isfinite = isfinite_T
        else:
            self.isfinite = np.asarray(isfinite)
            if self.isfinite.dtype != np.bool_ or self.isfinite.shape != (l,):
                raise ValueError(f"T_subseq_isfinite must be a bool array of length {l}")
        self.valid = np.ascontiguousarray(self.isfinite).view(np.uint8)
        # z-normalized distances do not depend on scale: a power of two (exact) keeps squares
        # of values like 1e200 in range.  p-norm distances are scaled back at the end.
        # (at most 2**1020, as common_scale: below ~2.2e-308 a full power would overflow, and
        # a subnormal series then stays below 1, which costs nothing)
        self.scale = float(np.ldexp(1.0, min(1020, -int(np.frexp(top)[1])))) if top > 0.0 \
            else 1.0
        self.T = T * self.scale
        if not np.all(isfinite_T):
            self.T[~np.isfinite(T)] = 0.0
        if not normalize:
            return
        if isconstant is None:
            const = allequal
        else:
            const = _validate.isconstant(np.where(np.isfinite(T), T, np.nan), m, isconstant,
                                         "T_subseq_isconstant", self.isfinite)
        if M_T is not None and Σ_T is not None:
            M = np.asarray(M_T, dtype=np.float64).reshape(-1)
            S = np.asarray(Σ_T, dtype=np.float64).reshape(-1)
            if M.shape != (l,) or S.shape != (l,):
                raise ValueError(f"M_T and Σ_T must have length len(T) - m + 1 = {l}")
            self.mu = M * self.scale
            self.corr = np.zeros(l)
            with np.errstate(divide="ignore"):
                self.isd = 1.0 / (S * self.scale)
        else:
            # the core's O(n) sliding statistics (exact restarts every 64 windows); windows
            # whose spread is far below the series' scale get exact two-pass statistics
            self.mu, ssd = _exact.window_stats(self.T, m)
            self.corr = np.zeros(l)
            with np.errstate(divide="ignore"):
                self.isd = np.sqrt(m / ssd)
            flat = np.flatnonzero(ssd < FLAT_SSD * m)
            if flat.size:
                _analysis.zstats_at(self.T, m, flat, self.mu, self.corr, self.isd)
        # a window with no spread is constant whatever the caller's rule says (z-normalization
        # would divide by zero)
        self.const = (const | allequal | ~np.isfinite(self.isd)) & self.isfinite
        self.const_u8 = self.const.view(np.uint8)

    def profile(self, Q, Q_isconstant=False, p=2.0):
        """Distance profile of the query ``Q`` (float64, length m, finite) against ``T``."""
        out = np.empty(self.l)
        ranges = _ranges(self.l, self.l * self.m, self.n_threads)
        if self.normalize:
            Qs = Q * common_scale(Q)
            constQ = bool(Q_isconstant) or np.all(Q == Q[0])
            _run(lambda a, b: _analysis.zprofile(Qs, self.T, self.m, self.mu, self.corr,
                                                 self.isd, self.valid, self.const_u8, constQ,
                                                 out, a, b), ranges)
        else:
            Ts, scale = self.T, self.scale
            Qs = Q * scale
            if not np.all(np.abs(Qs) <= 4.0):
                # a query far above the series' scale (1.0 against values of 1e-310): one
                # scale for both, so that neither over- nor underflows
                scale = common_scale(Q, self.T / self.scale)
                Ts, Qs = self.T * (scale / self.scale), Q * scale
            _run(lambda a, b: _analysis.pprofile(Qs, Ts, self.m, p, self.valid, out, a, b),
                 ranges)
            out /= scale  # a power of two: exact
        return out


def default_max_distance(D):
    """STUMPY's default: ``max(mean(D) - 2 std(D), min(D))`` over the finite distances."""
    mean, std, lo, _ = _analysis.finite_stats(np.ascontiguousarray(D, dtype=np.float64))
    return float(np.fmax(mean - 2.0 * std, lo))  # NaN only when no distance is finite


def resolve_max_distance(max_distance, D) -> float:
    """A float threshold from STUMPY's ``max_distance`` (None, a number or ``f(D)``)."""
    if max_distance is None:
        return float(default_max_distance(D))
    if isinstance(max_distance, numbers.Real) and not isinstance(max_distance, bool):
        return float(max_distance)
    if callable(max_distance):
        return float(max_distance(D.copy()))
    raise TypeError(
        f"max_distance must be None, a number or a function f(D), got "
        f"{type(max_distance).__name__}"
    )


def find_matches(D, excl_zone, max_distance=None, max_matches=None, query_idx=None,
                 atol=1e-8):
    """STUMPY's ``_find_matches``: the matches of a distance profile ``D``, best first.

    Repeatedly the closest window (lowest index on ties; ``query_idx`` first when given) is
    taken while it is finite and within ``max_distance + atol``, and the windows within
    ``excl_zone`` of it are blanked.  Returns an object array of ``[distance, index]`` rows.
    """
    max_matches = _validate.check_max_matches(max_matches)
    thr = _validate.check_real(atol, "atol") + resolve_max_distance(max_distance, D)
    if max_matches is None:
        max_matches = D.shape[0]
    max_matches = int(min(max(max_matches, 0), D.shape[0]))
    # "not (D > thr)" rather than "D <= thr": a NaN threshold lets every finite window in, as
    # STUMPY's loop does
    ok = np.isfinite(D) & ~(D > thr)
    cand = np.flatnonzero(ok)
    order = cand[np.argsort(D[cand], kind="stable")]  # stable: ties by lowest index
    first = -1
    if query_idx is not None and ok[query_idx]:
        first = int(query_idx)
    elif query_idx is not None:
        order = order[:0]  # STUMPY stops at once when the query's own window fails
    kept = _analysis.pick(order.astype(np.int64), D.shape[0], excl_zone, first, max_matches)
    if kept.shape[0] == 0:
        return np.array([], dtype=object)  # STUMPY's shape for no match: (0,), not (0, 2)
    out = np.empty((kept.shape[0], 2), dtype=object)
    out[:, 0] = list(D[kept])
    out[:, 1] = list(kept)
    return out


def _as_2d(a, name):
    """STUMPY's match takes one series (1-D) or several (2-D, one per row)."""
    if hasattr(a, "to_numpy") and not isinstance(a, np.ndarray):
        a = a.to_numpy()
    arr = np.asarray(a)
    if arr.ndim == 1:
        return _validate.as_series(arr, name)[None, :]
    if arr.ndim == 2 and arr.shape[0] >= 1:
        return np.stack([_validate.as_series(row, name) for row in arr])
    raise ValueError(f"{name} must be 1-dimensional (or 2-dimensional, one row per dimension), "
                     f"got {arr.ndim} dimensions")


def _per_row(arg, d, name):
    """Split a per-series argument of a d-dimensional search into d per-row arguments."""
    if arg is None or callable(arg):
        return [arg] * d
    if isinstance(arg, list):
        if len(arg) != d:
            raise ValueError(f"{name} must hold one entry per row of T ({d})")
        return arg
    a = np.asarray(arg)
    if a.ndim == 1 and d == 1:
        return [a]
    if a.ndim == 2 and a.shape[0] == d:
        return list(a)
    raise ValueError(f"{name} must have one row per dimension of T ({d})")


def _q_isconstant(Q, m, arg):
    if arg is None:
        return bool(np.all(Q == Q[0]))
    if isinstance(arg, (bool, np.bool_)):
        return bool(arg)
    out = _validate.isconstant(Q, m, arg, "Q_subseq_isconstant", np.ones(1, bool))
    return bool(out[0])


def _check_query(Qs, Ts, query_idx):
    if not np.all(np.isfinite(Qs)):
        raise ValueError("Q contains illegal values (NaN or inf)")
    if Qs.shape[0] != Ts.shape[0]:
        raise ValueError(f"Q has {Qs.shape[0]} dimensions but T has {Ts.shape[0]}")
    m = Qs.shape[1]
    if m < 3:
        raise ValueError(f"All window sizes must be greater than or equal to three; Q has {m}")
    if m > Ts.shape[1]:
        raise ValueError(f"The length of `Q` ({m}) must be less than or equal to the length of "
                         f"`T` ({Ts.shape[1]}).")
    l = Ts.shape[1] - m + 1
    if query_idx is not None:
        query_idx = _validate.check_int(query_idx, "query_idx")
        if not 0 <= query_idx < l:
            raise ValueError(f"query_idx={query_idx} is outside T's {l} windows")
        for Q, T in zip(Qs, Ts):
            W = T[query_idx : query_idx + m]
            fin = np.isfinite(W)
            if not np.all(fin) or not np.allclose(Q, W):
                warnings.warn(
                    "Subsequences `Q` and `T[query_idx:query_idx+m]` are different but were "
                    "expected to be identical. Please verify that `query_idx` is correct.",
                    stacklevel=3,
                )
    return m, query_idx


def search(Q, prepared, max_distance, max_matches, atol, query_idx, Q_isconstant=False,
           p=2.0):
    """One query on prepared series (one per dimension): the mean distance profile, then
    :func:`find_matches`.  ``motifs`` calls this once per candidate."""
    D = prepared[0].profile(Q[0], Q_isconstant[0], p)
    for i in range(1, len(prepared)):
        D += prepared[i].profile(Q[i], Q_isconstant[i], p)
    if len(prepared) > 1:
        D /= len(prepared)
    if query_idx is not None:
        D[query_idx] = 0.0
    return find_matches(D, excl_zone_of(Q.shape[1]), max_distance, max_matches, query_idx,
                        atol)


def match(Q, T, M_T=None, Σ_T=None, max_distance=None, max_matches=None, atol=1e-8,
          query_idx=None, normalize=True, p=2.0, T_subseq_isfinite=None,
          T_subseq_isconstant=None, Q_subseq_isconstant=None):
    """Find all matches of a query ``Q`` in a time series ``T``.

    The windows of ``T`` within ``max_distance`` of ``Q``, closest first; after each match the
    windows within ``ceil(m / 4)`` of it are excluded before the next is searched.

    Parameters
    ----------
    Q : array_like
        The query (length m >= 3, finite); 2-D for a multi-dimensional query (one row per
        dimension, distances averaged over the dimensions).
    T : array_like
        The time series (same number of dimensions as ``Q``).
    M_T, Σ_T : array_like, optional
        Sliding means and standard deviations of ``T``; computed (exactly) when omitted.
    max_distance : float or callable, optional
        A window is a match when its distance is at most ``max_distance + atol``.  A function
        ``f(D)`` of the distance profile may give it; default
        ``max(mean(D) - 2 std(D), min(D))`` over the finite distances.
    max_matches : int, optional
        At most this many matches; None (default) for all.
    atol : float, default 1e-8
        Absolute tolerance added to ``max_distance``.
    query_idx : int, optional
        Where ``Q`` sits in ``T`` (self-join): its own window comes first, at distance 0.
    normalize : bool, default True
        False computes non-normalized p-norm distances (see :func:`aamp_match`).
    p : float, default 2.0
        The p-norm when ``normalize=False``.
    T_subseq_isfinite : array_like of bool, optional
        Which windows of ``T`` are finite (used when ``normalize=False``).
    T_subseq_isconstant, Q_subseq_isconstant : array_like of bool or callable, optional
        Which windows are constant (see :func:`mpcore.stump`).

    Returns
    -------
    numpy.ndarray
        Object array of shape ``(n_matches, 2)``: the distance and the index of each match,
        sorted by distance (ties by index); shape ``(0,)`` when nothing matches (as STUMPY).

    Notes
    -----
    Distances are computed from the z-normalized windows themselves (no FFT), so identical
    windows are exactly 0 apart.  Integer input is converted to float64 (STUMPY raises).

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.sin(np.linspace(0, 6 * np.pi, 61))  # three periods of 20 points
    >>> matches = mpcore.match(T[:10], T, max_distance=0.1)
    >>> matches[:, 1].astype(int)  # the query itself and one window per period
    array([ 0, 20, 40])
    >>> print(matches[:, 0].astype(float).round(6))
    [0. 0. 0.]
    """
    if not _validate.check_bool(normalize, "normalize"):
        return aamp_match(Q, T, T_subseq_isfinite, max_distance, max_matches, atol, query_idx,
                          p)
    Qs, Ts = _as_2d(Q, "Q"), _as_2d(T, "T")
    m, query_idx = _check_query(Qs, Ts, query_idx)
    d = Ts.shape[0]
    T_const = _per_row(T_subseq_isconstant, d, "T_subseq_isconstant")
    Q_const = _per_row(Q_subseq_isconstant, d, "Q_subseq_isconstant")
    if (M_T is None) != (Σ_T is None):
        M_T = Σ_T = None  # STUMPY recomputes both unless both are given
    Ms = [None] * d if M_T is None else list(np.atleast_2d(np.asarray(M_T, np.float64)))
    Ss = [None] * d if Σ_T is None else list(np.atleast_2d(np.asarray(Σ_T, np.float64)))
    if len(Ms) != d or len(Ss) != d:
        raise ValueError(f"M_T and Σ_T must have one row per dimension of T ({d})")
    prepared = [PreparedSeries(Ts[i], m, True, T_const[i], Ms[i], Ss[i]) for i in range(d)]
    Qc = [_q_isconstant(Qs[i], m, Q_const[i]) for i in range(d)]
    return search(Qs, prepared, max_distance, max_matches, atol, query_idx, Qc)


def aamp_match(Q, T, T_subseq_isfinite=None, max_distance=None, max_matches=None, atol=1e-8,
               query_idx=None, p=2.0):
    """Find all matches of a query ``Q`` in ``T`` with non-normalized p-norm distances.

    Parameters
    ----------
    Q, T : array_like
        The query (finite) and the series, 1-D (or 2-D: one row per dimension).
    T_subseq_isfinite : array_like of bool, optional
        Which windows of ``T`` are finite; computed when omitted.
    max_distance : float or callable, optional
        See :func:`match`.
    max_matches : int, optional
        At most this many matches; None for all.
    atol : float, default 1e-8
        Absolute tolerance added to ``max_distance``.
    query_idx : int, optional
        Where ``Q`` sits in ``T``; its window comes first, at distance 0.
    p : float, default 2.0
        The p-norm.

    Returns
    -------
    numpy.ndarray
        Object array of ``[distance, index]`` rows, closest first (see :func:`match`).

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.array([0., 1., 3., 2., 9., 1., 3., 2., 0., 5.])
    >>> matches = mpcore.aamp_match(T[1:4], T, max_distance=1.5)
    >>> matches[:, 1].astype(int)
    array([1, 5])
    >>> print(matches[:, 0].astype(float))
    [0. 0.]
    """
    p = _validate.check_p(p)
    Qs, Ts = _as_2d(Q, "Q"), _as_2d(T, "T")
    m, query_idx = _check_query(Qs, Ts, query_idx)
    d = Ts.shape[0]
    fin = _per_row(T_subseq_isfinite, d, "T_subseq_isfinite")
    prepared = [PreparedSeries(Ts[i], m, False, isfinite=fin[i]) for i in range(d)]
    return search(Qs, prepared, max_distance, max_matches, atol, query_idx, [False] * d, p)
