"""stumped and aamped: the shared pipeline with a Dask executor (loaded on first use).

The executor cuts the job's bands into many more tasks than the cluster has worker threads,
scatters the :class:`~mpcore._prepare.Job` (plain NumPy arrays) to every worker once, runs each
task with the compiled kernel on one thread (the GIL released, so a worker with several threads
runs several tasks at once), and merges the partial top-k tables on the cluster by a pairwise
tree of merge tasks.  Only the final tables come back; the client then runs the same ``merge``
and ``finalize`` as :func:`mpcore.stump`, so the result is bitwise identical to it.

Every task is a deterministic function of its inputs, so when a worker dies Dask reruns the
lost tasks elsewhere and the result does not change.  This module never imports Dask (it only
calls the methods of the client it is given), so ``import mpcore`` never does either.
"""
from __future__ import annotations

import dataclasses
import functools
import uuid

import numpy as np

from . import _engine, _validate
from ._engine import PAD
from ._mparray import mparray
from ._pipeline import matrix_profile, run_threads
from ._prepare import Job, Table, band_cells

__all__ = ["aamped", "stumped"]

#: tasks per worker thread: enough for dynamic load balancing and cheap recovery of a lost
#: worker's share, few enough that the per-task cost (one O(n) table out, one merge) is small
TASKS_PER_THREAD = 3
#: how many times a run is restarted from scratch when the scattered Job itself was lost
#: (every worker holding a copy died); a lost task or partial result is simply recomputed
_MAX_RESTARTS = 2


# --------------------------------------------------------------------------- worker side
#
# Partial results travel as a list of (P, I) pairs, one per target table: the third array of
# a Table, ``thr``, is by construction the k-th best score of each row (``P[k-1::k]``), so it is
# rebuilt on arrival instead of being shipped (a third less to transfer and to hold).


def _pack(tables: list[Table]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(t.P, t.I) for t in tables]


def _own(a: np.ndarray, dtype, copy: bool) -> np.ndarray:
    if copy or not (a.dtype == dtype and a.flags.writeable and a.flags.c_contiguous):
        return np.array(a, dtype=dtype, order="C")
    return a


def _unpack(part, k: int, copy: bool) -> list[Table]:
    """Tables the compiled merge may write into: deserialized arrays can be read-only, and a
    task must never modify its input (Dask may hand the same object to a rerun)."""
    out = []
    for P, I in part:
        t = Table.__new__(Table)
        t.l, t.k = P.shape[0] // k, k
        t.P = _own(P, np.float64, copy)
        t.I = _own(I, np.int64, copy)
        t.thr = np.full(t.l + PAD, np.inf)
        t.thr[: t.l] = t.P[k - 1 :: k]
        out.append(t)
    return out


def _run_group(job: Job, start: int, stop: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """One task: the bands ``job.bands[start:stop]`` on one thread; returns its top-k tables."""
    (tables,) = run_threads(job, n_threads=1, bands=job.bands[start:stop])
    return _pack(tables)


def _merge_group(k: int, *parts) -> list[tuple[np.ndarray, np.ndarray]]:
    """One merge task: the top-k tables of several tasks merged into new tables."""
    merged = _unpack(parts[0], k, copy=True)
    for part in parts[1:]:
        for dst, src in zip(merged, _unpack(part, k, copy=False)):
            _engine.merge_into(dst, src)
    return _pack(merged)


# --------------------------------------------------------------------------- client side


def plan_groups(job: Job, n_threads: int, tasks_per_thread: int = TASKS_PER_THREAD
                ) -> list[tuple[int, int]]:
    """Cut ``job.bands`` (longest first) into contiguous runs ``(start, stop)`` for tasks.

    Guided scheduling: each run takes about ``remaining / (2 * n_threads)`` cells, but at least
    ``total / (2 * tasks_per_thread * n_threads)``, so the first tasks are large (little
    overhead) and the last ones small (the workers finish together); that makes about
    ``tasks_per_thread`` tasks per thread.  Runs come out largest first, the order they should
    start in.
    """
    # a family with its own kernel (multidim) counts its own cells
    cells = job.band_cells(job.bands) if hasattr(job, "band_cells") else band_cells(job)
    nb = len(cells)
    if nb == 0:
        return [(0, 0)]
    total = int(cells.sum())
    w = max(1, int(n_threads))
    smallest = max(1, total // (2 * tasks_per_thread * w))
    csum = np.cumsum(cells)
    groups = []
    start, done = 0, 0
    while start < nb:
        size = max((total - done) // (2 * w), smallest)
        stop = int(np.searchsorted(csum, done + size, side="left")) + 1
        stop = min(max(stop, start + 1), nb)
        if nb - stop and int(csum[-1] - csum[stop - 1]) < smallest // 2:
            stop = nb  # do not leave a sliver for the last task
        groups.append((start, stop))
        done = int(csum[stop - 1])
        start = stop
    return groups


def _worker_job(job: Job) -> Job:
    """The Job without what only the client's ``finalize`` reads (the unpadded series, the
    finite and constant flags, the identical windows): about a fifth less to scatter and to
    hold on every worker."""
    empty = dict(exact=np.empty(0), valid=np.empty(0, dtype=bool),
                 const=np.empty(0, dtype=np.uint8))
    return dataclasses.replace(job, series=[dataclasses.replace(s, **empty) for s in job.series],
                               classes=None, twins=None)


def _total_threads(client) -> int:
    try:
        nthreads = client.nthreads()
    except Exception:  # a client that cannot tell: assume one thread
        return 1
    return max(1, sum(int(v) for v in nthreads.values()))


def _reduce_on_cluster(client, futures: list, k: int, run: str, merge=None):
    """Merge the partial results ``futures`` on the cluster, pairwise as they complete; returns
    the future of the final merge.

    The client only hears of completions, never the data: each pair of finished results gets a
    merge task (high priority, so it runs before the next band task on its worker), whose
    result joins the pool.  Merging eagerly keeps at most a few partial tables alive per worker;
    the shape of the tree does not change the result (ties go to the lowest index), and every
    merge task is a fixed function of fixed inputs, so Dask can rerun any of them.
    """
    from distributed import as_completed

    done = as_completed(futures)
    futures.clear()  # from here on, a result is held only until its merge has run
    waiting, count = None, 0
    try:
        for future in done:
            if future.status in ("error", "cancelled"):
                future.result()  # raises: fail now rather than after every other task
            if waiting is None:
                waiting = future
                continue
            merged = client.submit(merge or _merge_group, k, waiting, future, pure=False,
                                   priority=100, key=f"mpcore-merge-{run}-{count}")
            count += 1
            waiting = future = None
            done.add(merged)
    finally:
        done.clear()  # on an error or Ctrl-C: release (cancel) whatever is left
    return waiting


def run_dask(job: Job, client) -> list[list[Table]]:
    """Dask executor: band tasks on the cluster, merged there, one result back."""
    if not (hasattr(client, "submit") and hasattr(client, "scatter")):
        raise TypeError(
            f"client must be a dask.distributed.Client, got {type(client).__name__}"
        )
    for attempt in range(_MAX_RESTARTS + 1):
        run = uuid.uuid4().hex[:12]
        groups = plan_groups(job, _total_threads(client))
        job_future, root = None, None
        try:
            job_future = client.scatter(_worker_job(job), broadcast=True, hash=False)
            # earlier (larger) groups get a higher priority, so they start first
            futures = [client.submit(_run_group, job_future, start, stop, pure=False,
                                     key=f"mpcore-bands-{run}-{i}", priority=-i)
                       for i, (start, stop) in enumerate(groups)]
            root = _reduce_on_cluster(client, futures, job.k, run)
            part = root.result()
        except BaseException as exc:
            lost = job_future is None or job_future.status != "finished"
            pending = [f for f in (root, job_future) if f is not None]
            if pending:
                client.cancel(pending)
            if isinstance(exc, Exception) and lost and attempt < _MAX_RESTARTS:
                continue  # every copy of the Job died with its workers: start over
            raise
        return [_unpack(part, job.k, copy=False)]
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- public API


def stumped(client, T_A, m, T_B=None, ignore_trivial=True, normalize=True, p=2.0, k=1,
            T_A_subseq_isconstant=None, T_B_subseq_isconstant=None):
    """Compute the z-normalized matrix profile on a Dask cluster.

    Same parameters and result as :func:`mpcore.stump`, with the work spread over the workers
    of ``client``; the result is bitwise identical to :func:`mpcore.stump` on the same input.

    Parameters
    ----------
    client : distributed.Client
        A Dask distributed client.  Its workers must have mpcore installed (the same version as
        the client).  Each worker thread runs one task at a time with the GIL released, so use
        as many threads per worker as it has cores.
    T_A : array_like
        The time series for which to compute the matrix profile.
    m : int
        Window size, at least 3.
    T_B : array_like, optional
        The series used to annotate ``T_A`` (AB-join); None for a self-join.
    ignore_trivial : bool, default True
        True for a self-join (exclusion zone ``ceil(m / 4)``), False for an AB-join.
    normalize : bool, default True
        False computes the non-normalized p-norm matrix profile (see :func:`aamped`).
    p : float, default 2.0
        The p-norm, used only when ``normalize=False``.
    k : int, default 1
        Number of nearest neighbours per window.
    T_A_subseq_isconstant, T_B_subseq_isconstant : array_like of bool or callable, optional
        Which windows are constant (see :func:`mpcore.stump`).

    Returns
    -------
    mparray
        As :func:`mpcore.stump`: shape ``(l, 2k+2)``, with ``.P_``, ``.I_``, ``.left_I_`` and
        ``.right_I_``.

    Notes
    -----
    The window statistics are computed on the client and scattered to every worker once
    (about 40 bytes per point).  The diagonal bands are cut into about three tasks per worker
    thread, balanced by cell count; each task returns the top-k tables of its bands, and these
    are merged on the cluster by pairwise merge tasks as they complete, so only the final
    tables (``16 k`` bytes per window) travel back to the client, which then computes the
    exact distances.  Memory per worker is O(n).  A worker that dies is tolerated: Dask reruns its
    tasks elsewhere (all tasks are deterministic), and the result is unchanged.

    Examples
    --------
    >>> from dask.distributed import Client, LocalCluster  # doctest: +SKIP
    >>> import numpy as np, mpcore
    >>> with LocalCluster(n_workers=2, threads_per_worker=2) as cluster, \\
    ...         Client(cluster) as client:  # doctest: +SKIP
    ...     mp = mpcore.stumped(client, np.random.rand(10_000), m=50)
    """
    if not _validate.check_bool(normalize, "normalize"):
        return aamped(client, T_A, m, T_B, ignore_trivial, p, k)
    executor = functools.partial(run_dask, client=client)
    return matrix_profile(T_A, m, T_B, ignore_trivial, True, p, k, T_A_subseq_isconstant,
                          T_B_subseq_isconstant, executor, beside=True)


def aamped(client, T_A, m, T_B=None, ignore_trivial=True, p=2.0, k=1) -> mparray:
    """Compute the non-normalized (p-norm) matrix profile on a Dask cluster.

    Same parameters and result as :func:`mpcore.aamp`, with the work spread over the workers
    of ``client`` as in :func:`stumped`; bitwise identical to :func:`mpcore.aamp`.

    Parameters
    ----------
    client : distributed.Client
        A Dask distributed client whose workers have mpcore installed.
    T_A : array_like
        The time series for which to compute the matrix profile.
    m : int
        Window size, at least 3.
    T_B : array_like, optional
        The series used to annotate ``T_A`` (AB-join); None for a self-join.
    ignore_trivial : bool, default True
        True for a self-join (exclusion zone ``ceil(m / 4)``), False for an AB-join.
    p : float, default 2.0
        The p-norm: distance ``(sum |a - b|**p) ** (1/p)``.
    k : int, default 1
        Number of nearest neighbours per window.

    Returns
    -------
    mparray
        Same layout as :func:`mpcore.aamp`.
    """
    executor = functools.partial(run_dask, client=client)
    return matrix_profile(T_A, m, T_B, ignore_trivial, False, p, k, None, None, executor,
                          beside=True)
