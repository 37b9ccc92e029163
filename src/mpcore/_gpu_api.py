"""gpu_stump and gpu_aamp: the shared pipeline with a GPU executor (loaded on first use)."""
from __future__ import annotations

import functools
import operator

import numpy as np

from . import _engine, _gpu, _threads, _validate
from ._gpu import gpu_available
from ._pipeline import matrix_profile
from ._prepare import MODE_ZNORM, MODE_AAMP_P2, Job, Table, untracked

__all__ = ["gpu_aamp", "gpu_available", "gpu_stump"]


def _device_ids(device_id) -> list[int]:
    ids = device_id if isinstance(device_id, (list, tuple)) else [device_id]
    if not ids:
        raise ValueError("device_id must be an int or a non-empty list of ints")
    out = []
    for d in ids:
        if isinstance(d, bool):
            raise TypeError("device_id must be an int or a list of ints")
        try:
            out.append(operator.index(d))
        except TypeError:
            raise TypeError(f"device_id must be an int or a list of ints, got {d!r}") from None
    if len(set(out)) != len(out) or min(out) < 0:
        raise ValueError(f"device_id must list distinct non-negative ids, got {ids}")
    return out


# A self-join's pass runs in this many ranges of rows (matrix_profile's ``in_rows``): the host
# refines and boxes each range while the GPU runs the next.  Ranges start at multiples of the
# kernel's exact re-seed interval (RC in cuda/mpcore_cuda.cu), where a whole pass re-seeds too,
# so every cell's score is the one a single pass would give.
ROW_RANGES = 4
RESEED_ROWS = 4096


def _row_cuts(l: int, ranges: int) -> list[int]:
    """Cuts of ``[0, l)`` into up to ``ranges`` ranges of about equal rows, each starting at a
    multiple of RESEED_ROWS.  Equal rows, not equal cells: row r has l - r cells, so the last
    ranges are quick for the GPU and the host's share of the last one is all that is left when
    the GPU is done (equal cells would leave the host a third of the rows then)."""
    step = -(-l // max(1, int(ranges)))
    step = max(RESEED_ROWS, -(-step // RESEED_ROWS) * RESEED_ROWS)
    return list(range(0, l, step)) + [l]


def _split(ds: int, de: int, lx: int, ly: int, parts: int) -> list[tuple[int, int]]:
    """Cut the diagonals ``[ds, de)`` of an ``lx`` x ``ly`` pass into ``parts`` ranges of about
    equal cell counts."""
    if parts == 1:  # (one device: the cumulative count of 2**20 diagonals cost 8 ms a range)
        return [(ds, de)] if de > ds else []
    cells = np.minimum(lx, ly - np.arange(ds, de)).clip(0).cumsum()
    total = cells[-1] if len(cells) else 0
    cuts = [ds] + [ds + int(np.searchsorted(cells, total * i / parts)) for i in range(1, parts)]
    cuts.append(de)
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


def _emptied(table: Table, l: int) -> Table:
    """The first ``l`` rows of ``table``, emptied as a new table's entries are.  (Its
    thresholds are left as they are: a range's pass takes its hints apart, and a merge reads
    only the entries.)"""
    view = table.rows(0, l)
    view.P.fill(-np.inf)
    view.I.fill(-1)
    return view


def _from(a, r0: int):
    return None if a is None else a[r0:]


def _hint(table: Table, a: int, b: int) -> np.ndarray:
    """A lower bound of rows [a, b)'s final k-th best: the seed, or the k-th best so far."""
    return np.maximum(table.thr[a:b], table.P[table.k - 1 :: table.k][a:b])


def gpu_executor(device_ids: list[int]):
    """run_gpu on ``device_ids``, as the pipeline's executor.  It is marked ``flat_exact``:
    the pipeline's prepare_job then applies the near-flat rule (untracked) before the seeds,
    which run_gpu would otherwise apply after them, taking the seeds again."""
    executor = functools.partial(run_gpu, device_ids=device_ids)
    executor.flat_exact = True
    return executor


def run_gpu(job: Job, device_ids: list[int], rows_done=None) -> list[list[Table]]:
    """GPU executor: each device, driven from its own thread, runs a share of every pass into
    its own top-k tables, which the shared merge then combines.  With ``rows_done`` (see
    _pipeline._refined_in_rows) a self-join runs in ranges of rows instead, each merged into
    one set of tables as it ends, and the rows it finishes said final."""
    if not gpu_available():
        raise RuntimeError(f"mpcore: no CUDA GPU available: {_gpu.gpu_unavailable_reason()}")
    count = _gpu.device_count()
    for d in device_ids:
        if d >= count:
            raise ValueError(f"device_id {d} does not exist: {count} CUDA device(s) found")
    mode = 0 if job.mode == MODE_ZNORM else (1 if job.mode == MODE_AAMP_P2 else 2)
    untracked(job)  # the CUDA kernel has no rounding bookkeeping: the global near-flat rule
    if rows_done is not None:
        return _run_in_rows(job, device_ids, mode, rows_done)
    tables = [job.new_tables() for _ in device_ids]

    def work(slot: int, device: int) -> None:
        for ps in range(len(job.passes)):
            x, y, rows, cols = (int(v) for v in job.passes[ps])
            X, Y = job.series[x], job.series[y]
            ds, de = (int(v) for v in job.pass_diags[ps])
            shares = _split(ds, de, X.l, Y.l, len(device_ids))
            if slot >= len(shares):
                continue
            d0, d1 = shares[slot]
            rt = tables[slot][rows] if rows >= 0 else None
            ct = tables[slot][cols] if cols >= 0 else None
            # the tables' thresholds start at the seeds: lower bounds of each row's best
            _gpu.run_pass(device, mode, job.m, job.p,
                          X.l, X.T, X.mu, X.df, X.dg, X.w, Y.l, Y.T, Y.mu, Y.df, Y.dg, Y.w,
                          d0, d1,
                          rt.P if rt else None, rt.I if rt else None,
                          ct.P if ct else None, ct.I if ct else None,
                          k=job.k,
                          row_hint=rt.thr[: rt.l] if rt else None,
                          col_hint=ct.thr[: ct.l] if ct else None,
                          row_later=bool(rt and rt.later), col_later=bool(ct and ct.later))

    # one device per thread (the caller's among them); the first error is re-raised here
    _threads.each(lambda slot_device: work(*slot_device), list(enumerate(device_ids)),
                  len(device_ids))
    return tables


def _run_in_rows(job: Job, device_ids: list[int], mode: int, rows_done) -> list[list[Table]]:
    """A self-join's pass in ranges of rows [r0, r1) (_row_cuts), each on every device (a
    share of its diagonals each), merged into one set of tables, then ``rows_done(tables, r1)``.

    A range is a pass of the present C ABI over the series from r0 on both sides (rows r1 - r0,
    columns l - r0, the same diagonals): its cells are (r, r + d) with both indices r0 lower,
    so it writes tables of its own (a set per device), whose indices are shifted by r0 when
    they are merged.  The first range's indices need no shift: on one device it writes the
    job's tables directly.  Its thresholds start at the best known so far (seeds, earlier
    ranges).

    The GPU waits for nothing of the host's between two ranges: range i's tables are merged,
    its rows said final and the set of tables for range i + 1 emptied while range i + 1 runs
    (two sets, used by turns), and range i + 1's column thresholds are the merged tables' (to
    range i - 1) or range i's own, whichever is higher.  (Done in turn, the merges and fresh
    tables kept the GPU waiting ~10 ms a range at n = 2**20.)"""
    X = job.series[0]
    l, k = X.l, job.k
    if len(job.passes) != 1 or tuple(int(v) for v in job.passes[0]) != (0, 0, 0, 1):
        raise ValueError("mpcore: only a self-join's pass runs in ranges of rows")
    tables = job.new_tables()
    right, left = tables
    rows_done(tables, 0)
    ds, de = (int(v) for v in job.pass_diags[0])
    cuts = _row_cuts(l, ROW_RANGES)
    ranges = list(zip(cuts[:-1], cuts[1:]))
    longest = max(b - a for a, b in ranges)
    series_from = [tuple(_from(a, r0) for a in (X.T, X.mu, X.df, X.dg, X.w)) for r0, _ in ranges]
    shares = [_split(ds, min(de, l - r0), r1 - r0, l - r0, len(device_ids)) for r0, r1 in ranges]
    direct = len(device_ids) == 1  # the first range writes the job's tables
    sets: list[list[tuple[Table, Table]]] = [[], []]  # range i's tables: sets[i % 2]
    parts: list = [None] * len(ranges)  # each range's tables (None: the job's own)

    def ready(i: int) -> None:
        """Range i's tables, emptied: its set's, made at first use, as large as they need."""
        if i >= len(ranges) or (i == 0 and direct):
            return
        r0, r1 = ranges[i]
        own = sets[i % 2]
        while len(own) < len(shares[i]):
            own.append((Table(longest, k), Table(l - r0, k, later=True)))
        parts[i] = [(_emptied(rt, r1 - r0), _emptied(ct, l - r0))
                    for rt, ct in own[: len(shares[i])]]

    def merged(i: int) -> None:
        """Merge range i's tables into the job's, and say its rows final."""
        r0, r1 = ranges[i]
        for rt, ct in parts[i] or ():
            _engine.merge_into(right.rows(r0, r1), rt, r0)
            _engine.merge_into(left.rows(r0, l), ct, r0)
        parts[i] = None  # (its set is emptied for range i + 2)
        rows_done(tables, r1)

    def hints(i: int) -> tuple[np.ndarray, np.ndarray]:
        """Range i's thresholds, taken before range i - 1's merge begins (which writes the
        job's tables): the job's, or range i - 1's own where higher."""
        r0, r1 = ranges[i]
        row_hint, col_hint = _hint(right, r0, r1), _hint(left, r0, l)
        if i > 0 and parts[i - 1]:  # range i - 1's columns' k-th best
            p0 = ranges[i - 1][0]
            for _, ct in parts[i - 1]:
                np.maximum(col_hint, ct.P[(r0 - p0) * k + k - 1 :: k], out=col_hint)
        return row_hint, col_hint

    def run(i: int, row_hint: np.ndarray, col_hint: np.ndarray) -> None:
        r0, r1 = ranges[i]
        lx, ly = r1 - r0, l - r0
        own = parts[i] or [(right.rows(0, r1), left)]

        def work(slot: int) -> None:
            rt, ct = own[slot]
            _gpu.run_pass(device_ids[slot], mode, job.m, job.p, lx, *series_from[i], ly,
                          *series_from[i], *shares[i][slot], rt.P, rt.I, ct.P, ct.I, k=k,
                          row_hint=row_hint, col_hint=col_hint, row_later=False,
                          col_later=True)

        _threads.each(work, range(len(shares[i])), len(shares[i]))

    def beside(i: int) -> None:
        """While range i runs: range i - 1 merged, and range i + 1's tables made ready (the
        set range i - 1 used, now merged)."""
        if i > 0:
            merged(i - 1)
        ready(i + 1)

    ready(0)
    for i in range(len(ranges)):
        # the pass first, in the caller's thread; a pool thread takes the rest at once
        _threads.each(lambda f: f(), [functools.partial(run, i, *hints(i)),
                                      functools.partial(beside, i)], 2)
    merged(len(ranges) - 1)
    return [tables]


def gpu_stump(T_A, m, T_B=None, ignore_trivial=True, device_id=0, normalize=True, p=2.0, k=1,
              T_A_subseq_isconstant=None, T_B_subseq_isconstant=None):
    """Compute the z-normalized matrix profile on one or more NVIDIA GPUs.

    Same parameters and result as :func:`mpcore.stump` (top-k included), plus ``device_id``.

    Parameters
    ----------
    T_A, m, T_B, ignore_trivial
        As in :func:`mpcore.stump`.
    device_id : int or list of int, default 0
        The GPU(s) to use; several GPUs are driven from threads of this process.
    normalize, p, k, T_A_subseq_isconstant, T_B_subseq_isconstant
        As in :func:`mpcore.stump`.

    Returns
    -------
    mparray
        As :func:`mpcore.stump`.

    Raises
    ------
    RuntimeError
        When no CUDA GPU (or driver, or CUDA build) is available.
    """
    if not _validate.check_bool(normalize, "normalize"):
        return gpu_aamp(T_A, m, T_B, ignore_trivial, device_id, p, k)
    executor = gpu_executor(_device_ids(device_id))
    return matrix_profile(T_A, m, T_B, ignore_trivial, True, p, k, T_A_subseq_isconstant,
                          T_B_subseq_isconstant, executor, beside=True, in_rows=True)


def gpu_aamp(T_A, m, T_B=None, ignore_trivial=True, device_id=0, p=2.0, k=1):
    """Compute the non-normalized (p-norm) matrix profile on one or more NVIDIA GPUs.

    Same parameters and result as :func:`mpcore.aamp`, plus ``device_id`` as in
    :func:`gpu_stump`.

    Parameters
    ----------
    T_A, m, T_B, ignore_trivial
        As in :func:`mpcore.aamp`.
    device_id : int or list of int, default 0
        The GPU(s) to use.
    p, k
        As in :func:`mpcore.aamp`.

    Returns
    -------
    mparray
        As :func:`mpcore.aamp`.

    Raises
    ------
    RuntimeError
        When no CUDA GPU (or driver, or CUDA build) is available.
    """
    executor = gpu_executor(_device_ids(device_id))
    return matrix_profile(T_A, m, T_B, ignore_trivial, False, p, k, None, None, executor,
                          beside=True, in_rows=True)
