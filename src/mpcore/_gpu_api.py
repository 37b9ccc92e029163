"""gpu_stump and gpu_aamp: the shared pipeline with a GPU executor (loaded on first use)."""
from __future__ import annotations

import functools
import operator

import numpy as np

from . import _gpu, _threads, _validate
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


def _split(job: Job, ps: int, parts: int) -> list[tuple[int, int]]:
    """Cut one pass's diagonals into ``parts`` ranges of about equal cell counts."""
    ds, de = (int(x) for x in job.pass_diags[ps])
    lx = job.series[job.passes[ps, 0]].l
    ly = job.series[job.passes[ps, 1]].l
    cells = np.minimum(lx, ly - np.arange(ds, de)).clip(0).cumsum()
    total = cells[-1] if len(cells) else 0
    cuts = [ds] + [ds + int(np.searchsorted(cells, total * i / parts)) for i in range(1, parts)]
    cuts.append(de)
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


def run_gpu(job: Job, device_ids: list[int]) -> list[list[Table]]:
    """GPU executor: each device, driven from its own thread, runs a share of every pass into
    its own top-k tables, which the shared merge then combines."""
    if not gpu_available():
        raise RuntimeError(f"mpcore: no CUDA GPU available: {_gpu.gpu_unavailable_reason()}")
    count = _gpu.device_count()
    for d in device_ids:
        if d >= count:
            raise ValueError(f"device_id {d} does not exist: {count} CUDA device(s) found")
    mode = 0 if job.mode == MODE_ZNORM else (1 if job.mode == MODE_AAMP_P2 else 2)
    untracked(job)  # the CUDA kernel has no rounding bookkeeping: the global near-flat rule
    tables = [job.new_tables() for _ in device_ids]

    def work(slot: int, device: int) -> None:
        for ps in range(len(job.passes)):
            x, y, rows, cols = (int(v) for v in job.passes[ps])
            X, Y = job.series[x], job.series[y]
            shares = _split(job, ps, len(device_ids))
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
    executor = functools.partial(run_gpu, device_ids=_device_ids(device_id))
    return matrix_profile(T_A, m, T_B, ignore_trivial, True, p, k, T_A_subseq_isconstant,
                          T_B_subseq_isconstant, executor, beside=True)


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
    executor = functools.partial(run_gpu, device_ids=_device_ids(device_id))
    return matrix_profile(T_A, m, T_B, ignore_trivial, False, p, k, None, None, executor,
                          beside=True)
