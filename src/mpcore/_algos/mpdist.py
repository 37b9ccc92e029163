"""MPdist (mpdist, aampdist and their gpu_ and -ed bindings): how far apart two whole series are.

MPdist concatenates the AB-join and the BA-join matrix profiles of two series and reports their
k-th smallest value.  Both profiles are the row and column minima of the same ``A x B`` distance
matrix, so one sweep of the shared pipeline fills both top-1 tables at once (STUMPY runs two
joins).  The algorithm takes an executor (``Job -> tables``); the public names below only bind
one: CPU threads, the GPU (:func:`gpu_executor`) or a Dask client (:func:`dask_executor`).
"""
from __future__ import annotations

import dataclasses
import functools
import math
import numbers

import numpy as np

from .. import _twins, _validate
from .._pipeline import finalize, merge, run_threads
from .._prepare import prepare_job

# ----------------------------------------------------------------------------- executors
# Bound here once for every family of this layer (snippets, ostinato and stimp import them);
# the GPU and Dask executors are imported only when asked for, so ``import mpcore`` stays light.


def cpu_executor(n_threads=None):
    return functools.partial(run_threads, n_threads=n_threads)


def gpu_executor(device_id):
    from .._gpu_api import _device_ids, gpu_executor

    return gpu_executor(_device_ids(device_id))


def dask_executor(client):
    from .._dask import run_dask

    return functools.partial(run_dask, client=client)


# ----------------------------------------------------------------------------- algorithm


def ab_ba_profiles(T_A, T_B, m, normalize, p, A_isconstant, B_isconstant, executor,
                   n_threads=None):
    """The AB-join profile of ``T_A`` (for each window of A its nearest in B) and the BA-join
    profile of ``T_B``, from one sweep over the diagonals of ``A x B``.

    Exactly what ``stump(T_A, m, T_B, ignore_trivial=False)[:, 0]`` and
    ``stump(T_B, m, T_A, ignore_trivial=False)[:, 0]`` return, at the cost of one join.
    """
    job = prepare_job(T_A, m, T_B, False, normalize, p, 1, A_isconstant, B_isconstant,
                      flat_exact=getattr(executor, "flat_exact", False))
    # B's profile as its own AB-join: for finalize, and for its windows' twins (_twins)
    job_BA = dataclasses.replace(job, series=job.series[::-1], seeds=None, classes=None,
                                 twins=None)
    _twins.find_twins(job_BA)
    # The AB job's two passes cover every pair (a, b) once; letting each pass also offer its
    # pairs to the other series' table fills B's profile for free.  (The seeds stay those of
    # A's table; B's table starts empty, which only costs a few more insertions, but for the
    # rows its twins settle, as A's.)
    job.passes = np.array([[0, 1, 0, 1], [1, 0, 1, 0]], dtype=np.int64)
    job.targets = [0, 1]
    if job_BA.twins is not None:
        start_A = job.seeds[0] if job.seeds else np.full(job.series[0].l, -np.inf)
        job.seeds = [start_A, _twins.settle_thresholds(job_BA, None)[0]]
    tables = merge(job, executor(job))
    P_AB = finalize(job, [tables[0]], n_threads).P_
    P_BA = finalize(job_BA, [tables[1]], n_threads).P_
    return P_AB, P_BA


def check_percentage(percentage, name):
    if isinstance(percentage, bool) or not isinstance(percentage, numbers.Real):
        raise TypeError(f"{name} must be a real number between 0 and 1, got {percentage!r}")
    if math.isnan(percentage):
        raise ValueError(f"{name} must be a number between 0 and 1, got nan")
    return float(np.clip(percentage, 0.0, 1.0))  # STUMPY clips


def check_rank(k, name):
    k = _validate.check_int(k, name)
    if k < 0:
        raise ValueError(f"{name} must be >= 0, got {k}")
    return k


def select_kth(P_ABBA, k):
    """Rows of ``P_ABBA`` (2-D: one candidate per row) reduced to STUMPY's MPdist value: the
    k-th smallest, or, where that is not finite, the largest finite value among the k smallest
    (the smallest value when none is finite)."""
    P = np.partition(P_ABBA, k, axis=1)
    out = P[:, k].copy()
    bad = ~np.isfinite(out)
    if bad.any():
        if k == 0:
            return out
        first = P[bad, :k]
        finite = np.isfinite(first)
        best_finite = np.where(finite, first, -np.inf).max(axis=1)
        out[bad] = np.where(finite.any(axis=1), best_finite, np.sort(first, axis=1)[:, 0])
    return out


def mpdist_core(T_A, T_B, m, percentage, k, normalize, p, A_isconstant, B_isconstant, executor,
                n_threads=None):
    """MPdist of two series over any executor (z-normalized or p-norm)."""
    T_A = _validate.as_series(T_A, "T_A")
    T_B = _validate.as_series(T_B, "T_B")  # None is an error here, not a self-join
    if k is None:
        percentage = check_percentage(percentage, "percentage")
    else:
        k = check_rank(k, "k")
    P_AB, P_BA = ab_ba_profiles(T_A, T_B, m, normalize, p, A_isconstant, B_isconstant, executor,
                                n_threads)
    P_ABBA = np.concatenate([P_AB, P_BA])
    last = P_ABBA.shape[0] - 1
    if k is None:
        n_A, n_B = P_AB.shape[0] + m - 1, P_BA.shape[0] + m - 1
        k = min(math.ceil(percentage * (n_A + n_B)), last)
    else:
        k = min(k, last)
    return np.float64(select_kth(P_ABBA[None, :], k)[0])  # (STUMPY's type: a NumPy float)


# ----------------------------------------------------------------------------- public names


def mpdist(T_A, T_B, m, percentage=0.05, k=None, normalize=True, p=2.0,
           T_A_subseq_isconstant=None, T_B_subseq_isconstant=None):
    """Compute the z-normalized matrix profile distance (MPdist) between two time series.

    MPdist concatenates the AB-join and BA-join matrix profiles of the two series and returns
    their ``k``-th smallest value: two series are close when they share many subsequences,
    whatever their order.

    Parameters
    ----------
    T_A, T_B : array_like
        The two time series.
    m : int
        Window size, at least 3.
    percentage : float, default 0.05
        Which value to report, as a fraction of ``len(T_A) + len(T_B)``; clipped to [0, 1].
        Ignored when ``k`` is given.
    k : int, optional
        Report the ``k``-th smallest value (0-based) of the concatenated profiles.
    normalize : bool, default True
        False computes the non-normalized :func:`aampdist` instead.
    p : float, default 2.0
        The p-norm, used only when ``normalize=False``.
    T_A_subseq_isconstant, T_B_subseq_isconstant : array_like of bool or callable, optional
        Which windows are constant (see :func:`mpcore.stump`).

    Returns
    -------
    numpy.float64
        The matrix profile distance.

    Notes
    -----
    Both profiles come from one sweep of the ``A x B`` distance matrix (STUMPY runs two
    joins); every distance is computed exactly.  If the selected value is not finite, the
    largest finite value below it is reported, as in STUMPY.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> t = np.arange(100)
    >>> print(round(mpcore.mpdist(np.sin(t / 5), np.sin(t / 5 + 1), m=10), 6))  # the same shape
    0.0
    >>> print(round(mpcore.mpdist(np.sin(t / 5), np.cos(t / 7), m=10), 6))
    0.056907
    """
    if not _validate.check_bool(normalize, "normalize"):
        return aampdist(T_A, T_B, m, percentage, k, p)
    return mpdist_core(T_A, T_B, m, percentage, k, True, p, T_A_subseq_isconstant,
                       T_B_subseq_isconstant, cpu_executor())


def aampdist(T_A, T_B, m, percentage=0.05, k=None, p=2.0):
    """Compute the non-normalized (p-norm) matrix profile distance between two time series.

    Parameters
    ----------
    T_A, T_B : array_like
        The two time series.
    m : int
        Window size, at least 3.
    percentage : float, default 0.05
        Which value to report, as a fraction of ``len(T_A) + len(T_B)``; ignored when ``k``
        is given.
    k : int, optional
        Report the ``k``-th smallest value (0-based) of the concatenated profiles.
    p : float, default 2.0
        The p-norm.

    Returns
    -------
    numpy.float64
        The matrix profile distance (see :func:`mpdist`).

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T_A = np.array([0., 1., 3., 2., 9., 1., 3., 2., 0., 5.])
    >>> print(round(mpcore.aampdist(T_A, T_A + 1.0, m=3), 6))  # shifted by 1 at every point
    1.732051
    """
    return mpdist_core(T_A, T_B, m, percentage, k, False, p, None, None, cpu_executor())


def mpdisted(client, T_A, T_B, m, percentage=0.05, k=None, normalize=True, p=2.0,
             T_A_subseq_isconstant=None, T_B_subseq_isconstant=None):
    """Compute the z-normalized MPdist between two time series on a Dask cluster.

    Same parameters and result as :func:`mpdist`, with the join run on the workers of
    ``client`` (a ``dask.distributed.Client``); the result is identical to :func:`mpdist`.

    Parameters
    ----------
    client : distributed.Client
        A Dask distributed client whose workers have mpcore installed.
    T_A, T_B, m, percentage, k, normalize, p, T_A_subseq_isconstant, T_B_subseq_isconstant
        As in :func:`mpdist`.

    Returns
    -------
    numpy.float64
        The matrix profile distance.
    """
    if not _validate.check_bool(normalize, "normalize"):
        return aampdisted(client, T_A, T_B, m, percentage, k, p)
    return mpdist_core(T_A, T_B, m, percentage, k, True, p, T_A_subseq_isconstant,
                       T_B_subseq_isconstant, dask_executor(client))


def aampdisted(client, T_A, T_B, m, percentage=0.05, k=None, p=2.0):
    """Compute the non-normalized MPdist between two time series on a Dask cluster.

    Parameters
    ----------
    client : distributed.Client
        A Dask distributed client whose workers have mpcore installed.
    T_A, T_B, m, percentage, k, p
        As in :func:`aampdist`.

    Returns
    -------
    numpy.float64
        The matrix profile distance, identical to :func:`aampdist`'s.
    """
    return mpdist_core(T_A, T_B, m, percentage, k, False, p, None, None,
                       dask_executor(client))


def gpu_mpdist(T_A, T_B, m, percentage=0.05, k=None, device_id=0, normalize=True, p=2.0,
               T_A_subseq_isconstant=None, T_B_subseq_isconstant=None):
    """Compute the z-normalized MPdist between two time series on NVIDIA GPUs.

    Parameters
    ----------
    T_A, T_B, m, percentage, k
        As in :func:`mpdist`.
    device_id : int or list of int, default 0
        The GPU(s) to use.
    normalize, p, T_A_subseq_isconstant, T_B_subseq_isconstant
        As in :func:`mpdist`.

    Returns
    -------
    numpy.float64
        The matrix profile distance.

    Raises
    ------
    RuntimeError
        When no CUDA GPU is available (as :func:`mpcore.gpu_stump`).
    """
    if not _validate.check_bool(normalize, "normalize"):
        return gpu_aampdist(T_A, T_B, m, percentage, k, device_id, p)
    return mpdist_core(T_A, T_B, m, percentage, k, True, p, T_A_subseq_isconstant,
                       T_B_subseq_isconstant, gpu_executor(device_id))


def gpu_aampdist(T_A, T_B, m, percentage=0.05, k=None, device_id=0, p=2.0):
    """Compute the non-normalized MPdist between two time series on NVIDIA GPUs.

    Parameters
    ----------
    T_A, T_B, m, percentage, k
        As in :func:`aampdist`.
    device_id : int or list of int, default 0
        The GPU(s) to use.
    p : float, default 2.0
        The p-norm.

    Returns
    -------
    numpy.float64
        The matrix profile distance.

    Raises
    ------
    RuntimeError
        When no CUDA GPU is available.
    """
    return mpdist_core(T_A, T_B, m, percentage, k, False, p, None, None,
                       gpu_executor(device_id))
