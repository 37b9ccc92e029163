"""Time series snippets (snippets, aampdist_snippets): the k windows that best summarize a series.

Every non-overlapping window ``S_i = T[i m : (i + 1) m]`` is a candidate; its MPdist profile
``D[i, c] = MPdist(S_i, T[c : c + m])`` uses sub-windows of length ``s``.  For one candidate,
the distances of its ``j = m - s + 1`` sub-windows to all windows of ``T`` form a ``j x l_s``
matrix, and each MPdist value is the k-th smallest of ``j`` sliding row minima and ``j`` column
minima of it.  The series is scaled and its window flags computed once; each candidate's rows
are exact distance profiles (compiled, the GIL released), candidates spread over threads.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import _exact, _threads, _validate
from .._prepare import common_scale
from .mpdist import check_percentage, check_rank, select_kth


class Windows:
    """A series prepared once for many exact distance profiles with window length ``s``:
    its finite and constant flags, scaled by ``scale`` (default: its own
    :func:`~mpcore._prepare.common_scale`, a power of two that keeps squares of huge or tiny
    values in range; series compared with each other must share one)."""

    def __init__(self, T, s, normalize, p, isconstant_arg, name, scale=None):
        self.s, self.normalize, self.p = s, normalize, p
        finite = np.isfinite(T)
        self.valid = _validate.rolling_isfinite(T, s)
        if normalize:
            Tn = np.where(finite, T, np.nan)
            const = _validate.isconstant(Tn, s, isconstant_arg, name, self.valid)
            if isconstant_arg is not None:  # all-equal windows are constant whatever the rule
                const |= _validate.isconstant(Tn, s, None, name, self.valid)
        else:
            const = np.zeros(self.valid.shape[0], dtype=bool)
        self.scale = common_scale(T) if scale is None else scale
        self.T = np.where(finite, T * self.scale, 0.0)
        self.const = const
        self.valid_u8 = self.valid.astype(np.uint8)
        self.const_u8 = const.astype(np.uint8)
        if normalize:  # the statistics of every window, computed once for all profiles
            self.stats = _exact.window_zstats(self.T, s, (self.valid & ~const).astype(np.uint8))

    def profile(self, Q: Windows, q: int) -> np.ndarray:
        """Exact distances of ``Q``'s window ``q`` to every window of this series."""
        if not Q.valid[q]:
            return np.full(self.valid.shape[0], np.inf)
        if self.normalize:  # bitwise distance_profile's result, without its statistics pass
            return _exact.distance_profile(Q.T[q : q + self.s], self.T, self.s, True, 2.0,
                                           self.valid_u8, self.const_u8, bool(Q.const[q]),
                                           stats=self.stats)
        out = _exact.distance_profile(Q.T[q : q + self.s], self.T, self.s, False, self.p,
                                      self.valid_u8, self.const_u8, False)
        return out / self.scale  # a power of two: exact

    def distance_matrix(self, start, j):
        """Exact distances of the windows ``start .. start + j - 1`` to every window."""
        return np.array([self.profile(self, q) for q in range(start, start + j)])


def mpdist_profile(W: Windows, start, m, n_out, k):
    """MPdist of the window ``T[start : start + m]`` to each of the first ``n_out`` windows."""
    j = m - W.s + 1
    if j == 1:  # P_ABBA is then [d, d]: any rank gives d
        return W.profile(W, start)[:n_out]
    DM = W.distance_matrix(start, j)
    rows = sliding_window_view(DM, j, axis=1)[:, :n_out].min(axis=2)  # (j, n_out)
    cols = sliding_window_view(DM.min(axis=0), j)[:n_out]  # (n_out, j)
    return select_kth(np.concatenate([rows.T, cols], axis=1), k)


def _mask_slices(mask):
    """[start, stop) of every run of True in ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.column_stack((np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def snippets_core(T, m, k, percentage, s, mpdist_percentage, mpdist_k, normalize, p,
                  isconstant_arg, n_threads=None):
    T = _validate.as_series(T, "T")
    n = T.shape[0]
    m = _validate.check_int(m, "m")
    if m > n // 2:
        raise ValueError(
            f"The snippet window size of {m} is too large for a time series with length {n}. "
            "Please try `m <= len(T) // 2`."
        )
    m = _validate.check_window(m, n // 2, "T")
    k = _validate.check_k(k)
    p = _validate.check_p(p)
    if s is not None:
        s = check_rank(s, "s")
        if s < 1:
            raise ValueError(f"s (the sub-window length) must be >= 1, got {s}")
        s = min(s, m)
    else:
        s = min(math.ceil(check_percentage(percentage, "percentage") * m), m)
        if s < 1:
            raise ValueError(f"percentage={percentage} leaves sub-windows of {s} points")
    j = m - s + 1
    if mpdist_k is None:
        rank = min(math.ceil(check_percentage(mpdist_percentage, "mpdist_percentage") * 2 * m),
                   2 * j - 1)
    else:
        rank = min(check_rank(mpdist_k, "mpdist_k"), 2 * j - 1)
    # STUMPY takes the n // m whole windows as candidates; its non-normalized variant takes
    # ceil(n / m) - 1 of them (one fewer when m divides n)
    n_cand = n // m if normalize else -(-n // m) - 1
    if n_cand < 1:
        raise ValueError(f"T ({n} points) holds no candidate snippet of m={m} points")
    l = n - m + 1
    W = Windows(T, s, normalize, p, isconstant_arg, "mpdist_T_subseq_isconstant")

    def profile(i):
        return mpdist_profile(W, i * m, m, l, rank)

    D = np.array(_threads.each(profile, range(n_cand), _threads.resolve(n_threads)))

    snippets = np.empty((k, m))
    indices = np.empty(k, dtype=np.int64)
    profiles = np.empty((k, l))
    fractions = np.empty(k)
    areas = np.empty(k)
    Q = np.full(l, np.inf)
    for i in range(k):  # greedy: the candidate that lowers the total area most, as STUMPY
        idx = int(np.argmin(np.minimum(D, Q).sum(axis=1)))
        indices[i] = idx * m
        snippets[i] = T[idx * m : idx * m + m]
        profiles[i] = D[idx]
        areas[i] = np.minimum(D[idx], Q).sum()
        Q = np.minimum(D[idx], Q)
    total_min = profiles.min(axis=0)
    regimes = []
    for i in range(k):
        mask = profiles[i] <= total_min
        fractions[i] = mask.sum() / l
        total_min = total_min - mask  # a window counts for the first snippet that reaches it
        slices = _mask_slices(mask)
        regimes.append(np.column_stack((np.full(len(slices), i), slices)))
    return snippets, indices, profiles, fractions, areas, np.vstack(regimes).astype(np.int64)


def snippets(T, m, k, percentage=1.0, s=None, mpdist_percentage=0.05, mpdist_k=None,
             normalize=True, p=2.0, mpdist_T_subseq_isconstant=None):
    """Find the ``k`` snippets of a time series: the windows that best summarize it.

    Parameters
    ----------
    T : array_like
        The time series.
    m : int
        Snippet length, at least 3 and at most ``len(T) // 2``.
    k : int
        Number of snippets.
    percentage : float, default 1.0
        Sub-window length of the MPdist comparisons, as a fraction of ``m``; ignored when
        ``s`` is given.
    s : int, optional
        Sub-window length of the MPdist comparisons (at most ``m``).
    mpdist_percentage : float, default 0.05
        ``percentage`` of each MPdist comparison (see :func:`mpcore.mpdist`).
    mpdist_k : int, optional
        ``k`` of each MPdist comparison.
    normalize : bool, default True
        False computes :func:`aampdist_snippets` instead.
    p : float, default 2.0
        The p-norm, used only when ``normalize=False``.
    mpdist_T_subseq_isconstant : array_like of bool or callable, optional
        Which sub-windows (of length ``s``) are constant (see :func:`mpcore.stump`).

    Returns
    -------
    snippets : numpy.ndarray
        ``(k, m)``: the snippets.
    snippets_indices : numpy.ndarray
        Their positions in ``T``.
    snippets_profiles : numpy.ndarray
        ``(k, len(T) - m + 1)``: the MPdist profile of each snippet.
    snippets_fractions : numpy.ndarray
        The fraction of ``T`` each snippet covers.
    snippets_areas : numpy.ndarray
        The area under the running minimum profile when each snippet was chosen.
    snippets_regimes : numpy.ndarray
        ``(r, 3)`` rows ``[snippet, start, stop)`` of the stretches each snippet covers.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> t = np.arange(300)
    >>> T = np.concatenate([np.sin(2 * np.pi * t / 30), np.sign(np.sin(2 * np.pi * t / 30))])
    >>> snips, indices, profiles, fractions, areas, regimes = mpcore.snippets(T, m=30, k=2)
    >>> indices  # one sine period, one square period
    array([  0, 330])
    >>> print(fractions.round(3))
    [0.499 0.501]
    """
    if not _validate.check_bool(normalize, "normalize"):
        return aampdist_snippets(T, m, k, percentage, s, mpdist_percentage, mpdist_k, p)
    return snippets_core(T, m, k, percentage, s, mpdist_percentage, mpdist_k, True, p,
                         mpdist_T_subseq_isconstant)


def aampdist_snippets(T, m, k, percentage=1.0, s=None, mpdist_percentage=0.05, mpdist_k=None,
                      p=2.0):
    """Find the ``k`` snippets of a time series with non-normalized (p-norm) MPdist.

    Parameters
    ----------
    T, m, k, percentage, s, mpdist_percentage, mpdist_k
        As in :func:`snippets`.
    p : float, default 2.0
        The p-norm.

    Returns
    -------
    tuple
        As :func:`snippets`.  As in STUMPY, the candidates are the ``ceil(len(T) / m) - 1``
        first whole windows.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> t = np.arange(300)
    >>> T = np.concatenate([np.sin(2 * np.pi * t / 30), np.sign(np.sin(2 * np.pi * t / 30))])
    >>> snips, indices, profiles, fractions, areas, regimes = mpcore.aampdist_snippets(T, 30, 2)
    >>> indices
    array([ 60, 330])
    >>> snips.shape
    (2, 30)
    """
    return snippets_core(T, m, k, percentage, s, mpdist_percentage, mpdist_k, False, p, None)
