"""Consensus motifs (ostinato, aamp_ostinato and their gpu_ and -ed bindings).

The window of one series whose farthest nearest neighbour among the other series is closest
(the smallest radius), then, among equally good ones, the most central one.  STUMPY's search:
for each series j, an AB-join with the next series ranks j's windows; each candidate's radius
is completed by distance profiles against the remaining series, pruned as soon as it reaches
the best radius so far.  The AB-joins run on the executor given; every series is prepared once
(scaled, finite and constant flags) for all its distance profiles.
"""
from __future__ import annotations

import numpy as np

from .. import _validate
from .._pipeline import matrix_profile
from .._prepare import common_scale
from .mpdist import cpu_executor, dask_executor, gpu_executor
from .snippets import Windows


def _nearest_neighbors(W, Ts_idx, subseq_idx):
    """The nearest neighbour of window ``subseq_idx`` of series ``Ts_idx`` in every series."""
    radii = np.zeros(len(W))
    where = np.zeros(len(W), dtype=np.int64)
    for i, Wi in enumerate(W):
        D = Wi.profile(W[Ts_idx], subseq_idx)
        where[i] = np.argmin(D)
        radii[i] = D[where[i]]
    return radii, where


def _central_motif(W, radius, Ts_idx, subseq_idx):
    """Among the windows that reach the best radius, the one with the smallest mean distance
    to its nearest neighbours (STUMPY's ``_get_central_motif``, same tolerances)."""
    radii, where = _nearest_neighbors(W, Ts_idx, subseq_idx)
    best_mean = radii.mean()
    candidates = np.flatnonzero(np.isclose(radii, radius))
    for c_Ts, c_subseq in zip(candidates, where[candidates]):
        c_radii, _ = _nearest_neighbors(W, c_Ts, c_subseq)
        if np.isclose(c_radii.max(), radius) and c_radii.mean() < best_mean:
            Ts_idx, subseq_idx, best_mean = c_Ts, c_subseq, c_radii.mean()
    return radius, int(Ts_idx), np.int64(subseq_idx)  # (STUMPY's types)


def ostinato_core(Ts, m, normalize, p, Ts_subseq_isconstant, executor):
    if not isinstance(Ts, list):
        raise ValueError(f"`Ts` is of type `{type(Ts)}` but a `list` is expected")
    if not Ts:
        raise ValueError("Ts is empty: give a list of time series")
    p = _validate.check_p(p)
    Ts = [_validate.as_series(T, f"Ts[{i}]") for i, T in enumerate(Ts)]
    m = _validate.check_window(m, min(T.shape[0] for T in Ts), "the shortest of Ts")
    if Ts_subseq_isconstant is None or not normalize:
        iscon = [None] * len(Ts)
    else:
        if not isinstance(Ts_subseq_isconstant, list) or len(Ts_subseq_isconstant) != len(Ts):
            raise ValueError("Ts_subseq_isconstant must be a list with one entry per series")
        iscon = list(Ts_subseq_isconstant)
    scale = common_scale(*Ts)  # one power-of-two scale: windows of different series compare
    W = [Windows(T, m, normalize, p, c, f"Ts_subseq_isconstant[{i}]", scale)
         for i, (T, c) in enumerate(zip(Ts, iscon))]
    n = len(Ts)
    bsf_radius, bsf_Ts_idx, bsf_subseq_idx = np.inf, 0, 0
    for j in range(n):
        h = (j + 1) % n
        P = matrix_profile(Ts[j], m, Ts[h], False, normalize, p, 1, iscon[j], iscon[h],
                           executor).P_
        for q in np.argsort(P):
            radius = P[q]
            if radius >= bsf_radius:
                break
            for i in range(n):
                if i != j and i != h:
                    radius = max(radius, W[i].profile(W[j], q).min())
                    if radius >= bsf_radius:
                        break
            if radius < bsf_radius:
                bsf_radius, bsf_Ts_idx, bsf_subseq_idx = radius, j, int(q)
    return _central_motif(W, bsf_radius, bsf_Ts_idx, bsf_subseq_idx)


def ostinato(Ts, m, normalize=True, p=2.0, Ts_subseq_isconstant=None):
    """Find the z-normalized consensus motif of several time series (Ostinato).

    Parameters
    ----------
    Ts : list of array_like
        The time series.
    m : int
        Window size, at least 3 and at most the length of the shortest series.
    normalize : bool, default True
        False computes :func:`aamp_ostinato` instead.
    p : float, default 2.0
        The p-norm, used only when ``normalize=False``.
    Ts_subseq_isconstant : list, optional
        One entry per series: which windows are constant (see :func:`mpcore.stump`).

    Returns
    -------
    central_radius : float
        The radius of the most central consensus motif: the largest of its distances to its
        nearest neighbour in each other series.
    central_Ts_idx : int
        The series that holds it.
    central_subseq_idx : numpy.int64
        Its position in that series.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> rng = np.random.default_rng(0)
    >>> Ts = [rng.standard_normal(100) for _ in range(3)]
    >>> for T in Ts:
    ...     T[30:50] = np.sin(np.arange(20) / 3)  # the same shape in each series
    >>> radius, Ts_idx, subseq_idx = mpcore.ostinato(Ts, m=20)
    >>> print(round(radius, 6), Ts_idx, subseq_idx)
    0.0 0 30
    """
    if not _validate.check_bool(normalize, "normalize"):
        return aamp_ostinato(Ts, m, p)
    return ostinato_core(Ts, m, True, p, Ts_subseq_isconstant, cpu_executor())


def aamp_ostinato(Ts, m, p=2.0):
    """Find the non-normalized (p-norm) consensus motif of several time series.

    Parameters
    ----------
    Ts : list of array_like
        The time series.
    m : int
        Window size.
    p : float, default 2.0
        The p-norm.

    Returns
    -------
    central_radius : float
        The radius of the most central consensus motif: the largest of its distances to its
        nearest neighbour in each other series.
    central_Ts_idx : int
        The series that holds it.
    central_subseq_idx : numpy.int64
        Its position in that series.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> rng = np.random.default_rng(0)
    >>> Ts = [rng.standard_normal(100) for _ in range(3)]
    >>> for T in Ts:
    ...     T[30:50] = np.sin(np.arange(20) / 3)
    >>> radius, Ts_idx, subseq_idx = mpcore.aamp_ostinato(Ts, m=20)
    >>> print(round(radius, 6), Ts_idx, subseq_idx)
    0.0 0 30
    """
    return ostinato_core(Ts, m, False, p, None, cpu_executor())


def ostinatoed(client, Ts, m, normalize=True, p=2.0, Ts_subseq_isconstant=None):
    """Find the z-normalized consensus motif of several time series on a Dask cluster.

    Parameters
    ----------
    client : distributed.Client
        A Dask distributed client whose workers have mpcore installed; the joins run there.
    Ts, m, normalize, p, Ts_subseq_isconstant
        As in :func:`ostinato`.

    Returns
    -------
    central_radius : float
        The radius of the most central consensus motif: the largest of its distances to its
        nearest neighbour in each other series.
    central_Ts_idx : int
        The series that holds it.
    central_subseq_idx : numpy.int64
        Its position in that series.
    """
    if not _validate.check_bool(normalize, "normalize"):
        return aamp_ostinatoed(client, Ts, m, p)
    return ostinato_core(Ts, m, True, p, Ts_subseq_isconstant, dask_executor(client))


def aamp_ostinatoed(client, Ts, m, p=2.0):
    """Find the non-normalized consensus motif of several time series on a Dask cluster.

    Parameters
    ----------
    client : distributed.Client
        A Dask distributed client whose workers have mpcore installed.
    Ts, m, p
        As in :func:`aamp_ostinato`.

    Returns
    -------
    central_radius : float
        The radius of the most central consensus motif: the largest of its distances to its
        nearest neighbour in each other series.
    central_Ts_idx : int
        The series that holds it.
    central_subseq_idx : numpy.int64
        Its position in that series.
    """
    return ostinato_core(Ts, m, False, p, None, dask_executor(client))


def gpu_ostinato(Ts, m, device_id=0, normalize=True, p=2.0, Ts_subseq_isconstant=None):
    """Find the z-normalized consensus motif of several time series on NVIDIA GPUs.

    Parameters
    ----------
    Ts, m
        As in :func:`ostinato`.
    device_id : int or list of int, default 0
        The GPU(s) that run the joins.
    normalize, p, Ts_subseq_isconstant
        As in :func:`ostinato`.

    Returns
    -------
    central_radius : float
        The radius of the most central consensus motif: the largest of its distances to its
        nearest neighbour in each other series.
    central_Ts_idx : int
        The series that holds it.
    central_subseq_idx : numpy.int64
        Its position in that series.

    Raises
    ------
    RuntimeError
        When no CUDA GPU is available (as :func:`mpcore.gpu_stump`).
    """
    if not _validate.check_bool(normalize, "normalize"):
        return gpu_aamp_ostinato(Ts, m, device_id, p)
    return ostinato_core(Ts, m, True, p, Ts_subseq_isconstant, gpu_executor(device_id))


def gpu_aamp_ostinato(Ts, m, device_id=0, p=2.0):
    """Find the non-normalized consensus motif of several time series on NVIDIA GPUs.

    Parameters
    ----------
    Ts, m
        As in :func:`aamp_ostinato`.
    device_id : int or list of int, default 0
        The GPU(s) that run the joins.
    p : float, default 2.0
        The p-norm.

    Returns
    -------
    central_radius : float
        The radius of the most central consensus motif: the largest of its distances to its
        nearest neighbour in each other series.
    central_Ts_idx : int
        The series that holds it.
    central_subseq_idx : numpy.int64
        Its position in that series.

    Raises
    ------
    RuntimeError
        When no CUDA GPU is available.
    """
    return ostinato_core(Ts, m, False, p, None, gpu_executor(device_id))
