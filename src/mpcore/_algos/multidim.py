"""Multi-dimensional matrix profiles (mSTAMP): mstump/maamp, their Dask twins, subspace, mdl and
mmotifs, with STUMPY 1.14's names, signatures and semantics.

For a self-join of a (d, n) series, ``P[k, i]`` is the smallest, over the windows j outside the
exclusion zone of i, of the mean of the k+1 smallest per-channel distances between windows i and
j (the ``include``d channels always counted first; ``discords=True`` takes the largest instead),
and ``I[k, i]`` is that j (the lowest one on ties; -1 where every candidate is inf).

One compiled kernel (``_mengine``, ``_kernels/mband.c``) walks the diagonals once for all k and
channels; the executor is passed in (threads here, Dask tasks in ``mstumped``), and every
reported distance is recomputed exactly from its windows afterwards.
"""
from __future__ import annotations

import functools
import math
import statistics
import warnings
from collections import namedtuple
from dataclasses import dataclass, field

import numpy as np

from .. import _exact, _mengine, _threads, _validate
from .._pipeline import run_threads
from .._prepare import (EXCL_ZONE_DENOM, common_scale, common_shift, kernel_centre,
                        prepare_series)

#: STUMPY's multi-dimensional result: a named tuple, so ``P, I = mstump(T, m)`` unpacks.
mparray = namedtuple("mparray", "P_,I_")

MODE_ZNORM, MODE_P2, MODE_P1, MODE_P = 0, 1, 2, 3


# ----------------------------------------------------------------------------- input checks

def as_multi(T: object, name: str = "T") -> np.ndarray:
    """A private float64 (d, n) copy of ``T``: a 2-D array, a list of equal-length series, or a
    pandas/polars DataFrame whose columns are the channels (transposed, as STUMPY does)."""
    if T is None:
        raise TypeError(f"{name} must be a 2-D array (channels x time), got None")
    if type(T).__name__ == "DataFrame":  # pandas or polars: columns are channels
        T = np.asarray(T.to_numpy()).T
    elif isinstance(T, (list, tuple)):
        rows = [np.asarray(t.to_numpy() if hasattr(t, "to_numpy") else t) for t in T]
        if len({r.shape for r in rows}) > 1:
            raise ValueError(f"the series in {name} must all have the same length")
        T = np.stack(rows) if rows else np.empty((0, 0))
    a = np.asarray(T)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{name} has dtype {a.dtype}; give an int or float array")
    if a.ndim != 2:
        raise ValueError(
            f"{name} is {a.ndim}-dimensional and must be 2-dimensional (channels x time); "
            "for one channel use T[np.newaxis]"
        )
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {a.shape})")
    return np.array(a, dtype=np.float64, order="C", copy=True)


def channel_isconstant(arg: object, d: int, l: int) -> list:
    """One ``T_subseq_isconstant`` argument per channel: None or a function applies to every
    channel, a list gives one per channel, a (d, l) bool array one row per channel."""
    if arg is None or callable(arg):
        return [arg] * d
    if isinstance(arg, list):
        if len(arg) != d:
            raise ValueError(
                f"T_subseq_isconstant as a list must have one entry per channel ({d}), "
                f"got {len(arg)}"
            )
        return arg
    a = np.asarray(arg)
    if a.dtype != np.bool_:
        raise TypeError(f"T_subseq_isconstant must be a bool array, got dtype {a.dtype}")
    if a.shape != (d, l):
        raise ValueError(
            f"T_subseq_isconstant must have shape (d, len(T) - m + 1) = {(d, l)}, got {a.shape}"
        )
    return list(a)


def check_include(include: object, d: int) -> np.ndarray | None:
    """``include`` as unique int64 channel numbers in the given order (repeats removed with
    STUMPY's warning)."""
    if include is None:
        return None
    inc = np.asarray(include)
    if inc.ndim != 1 or (inc.size and inc.dtype.kind not in "iu"):
        raise TypeError(f"include must be a 1-D list of channel numbers, got {include!r}")
    inc = inc.astype(np.int64)
    if inc.size and (inc.min() < 0 or inc.max() >= d):
        raise ValueError(f"include must hold channel numbers in 0..{d - 1}, got {include!r}")
    _, first = np.unique(inc, return_index=True)
    if len(first) != len(inc):
        warnings.warn("Removed repeating indices in `include`", stacklevel=3)
        inc = inc[np.sort(first)]
    return inc


def sorting_network(lo: int, hi: int) -> np.ndarray:
    """Batcher's odd-even merge sort over positions lo..hi-1 as (a, b) pairs, a < b: after
    compare-exchanging every pair in order (min to a), the positions are sorted.  Pairs that
    would reach past hi are dropped (they would compare with +inf), so any size works."""
    n = hi - lo
    pairs = []
    p = 1
    while p < n:
        k = p
        while k >= 1:
            for j in range(k % p, n - k, 2 * k):
                for i in range(min(k, n - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((lo + i + j, lo + i + j + k))
            k //= 2
        p *= 2
    return np.array(pairs, dtype=np.int32).reshape(-1, 2)


# ----------------------------------------------------------------------------- the job

@dataclass
class MTable:
    """One worker's best running sums and their indices, (d, stride), k-major."""

    best: np.ndarray
    idx: np.ndarray


@dataclass
class MJob:
    """Everything the kernel needs (plain NumPy arrays, so it pickles to Dask workers)."""

    d: int
    n: int
    l: int
    m: int
    stride: int
    mode: int
    p: float
    reseed: int
    nfix: int
    discords: int
    excl_zone: int
    T: np.ndarray
    mu: np.ndarray
    df: np.ndarray
    dg: np.ndarray
    w: np.ndarray
    half: np.ndarray
    bad: np.ndarray
    net: np.ndarray
    E: np.ndarray  # exact series for the refinement
    cst: np.ndarray  # constant flags (uint8)
    order: np.ndarray  # kernel channel c is input channel order[c]
    bands: np.ndarray  # first diagonal of each strip of _mengine.LANES diagonals, longest first
    snap: float = 0.0
    unscale: float = 1.0
    # z-norm: 1 where a window is near-flat against its channel's scale (uint8, as w), or None
    flat: np.ndarray | None = None
    series: list = field(default_factory=list)  # run_threads reads it; unused here

    @property
    def cells(self) -> int:
        g = np.arange(self.excl_zone + 1, self.l)
        return int(np.sum(self.l - g))

    def band_cells(self, bands: np.ndarray) -> np.ndarray:
        q = np.arange(_mengine.LANES)
        return np.clip(self.l - bands[:, None] - q, 0, None).sum(axis=1)

    def new_tables(self) -> list[MTable]:
        return [MTable(np.full((self.d, self.stride), np.inf),
                       np.full((self.d, self.stride), -1, dtype=np.int64))]

    def run_worker(self, bands, counters, tables, cancel) -> bool:
        (t,) = tables
        return _mengine.run_worker(self, bands, counters, t.best, t.idx, cancel)


@dataclass
class MSpec:
    """The validated arguments of one call, before any window statistics: all a worker needs to
    build the :class:`MJob` itself (the series, a few scalars, and the caller's constant-window
    flags already resolved on the client), so a Dask run ships ``8 d n`` bytes instead of the
    MJob's ``~80 d n``."""

    T: np.ndarray  # (d, n) float64, the caller's channel order
    m: int
    order: np.ndarray  # kernel channel c is input channel order[c]
    nfix: int
    normalize: bool
    p: float
    discords: bool
    given: list  # per input channel: None or its resolved T_subseq_isconstant (bool, (l,))

    @property
    def l(self) -> int:
        return self.T.shape[1] - self.m + 1

    @property
    def bands(self) -> np.ndarray:
        """First diagonal of each strip of _mengine.LANES diagonals, longest first."""
        excl_zone = int(math.ceil(self.m / EXCL_ZONE_DENOM))
        return np.arange(excl_zone + 1, self.l, _mengine.LANES, dtype=np.int64)

    def band_cells(self, bands: np.ndarray) -> np.ndarray:
        return MJob.band_cells(self, bands)


def mjob_spec(T, m, include, discords, normalize, p, T_subseq_isconstant) -> MSpec:
    """Validate the arguments of mstump/maamp (the caller's ``T_subseq_isconstant`` is applied
    here, once, in the kernel's channel order as before)."""
    normalize = _validate.check_bool(normalize, "normalize")
    discords = _validate.check_bool(discords, "discords")
    p = _validate.check_p(p)
    T = as_multi(T)
    d, n = T.shape
    m = _validate.check_window(m, n, "T")
    l = n - m + 1
    inc = check_include(include, d)
    order = np.concatenate([inc if inc is not None else np.empty(0, np.int64),
                            [c for c in range(d) if inc is None or c not in set(inc.tolist())]]
                           ).astype(np.int64)
    nfix = 0 if inc is None else len(inc)
    given = [None] * d
    if normalize:
        iscst = channel_isconstant(T_subseq_isconstant, d, l)
        for src in order:
            if iscst[src] is not None:
                # as prepare_series resolves it; given back to it, the bool array is kept as is
                x = T[src]
                valid = _validate.rolling_isfinite(x, m)
                given[src] = _validate.isconstant(np.where(np.isfinite(x), x, np.nan), m,
                                                  iscst[src], "T_subseq_isconstant", valid)
    return MSpec(T=T, m=m, order=order, nfix=nfix, normalize=normalize, p=p,
                 discords=discords, given=given)


def build_mjob(spec: MSpec, refine: bool = True) -> MJob:
    """The MJob of a validated call; ``refine=False`` leaves out what only :func:`finalize`
    reads (``E``, ``cst``), for a Dask worker."""
    T, m, order, normalize = spec.T, spec.m, spec.order, spec.normalize
    d, n = T.shape
    l = n - m + 1
    pad = _mengine.PAD
    stride = n + pad
    shape = (d, stride)
    Tk, mu, df, dg, w, half = (np.zeros(shape) for _ in range(6))
    E = np.zeros(shape if refine else (d, 0))
    bad = np.full(shape, np.inf)
    cst = np.zeros(shape if refine else (d, 0), dtype=np.uint8)
    flat = np.zeros(shape, dtype=np.uint8)
    unscale = 1.0
    if normalize:
        mode = MODE_ZNORM
        for c, src in enumerate(order):
            x = T[src]
            # each channel is z-normalized on its own: its own shift and scale are exact
            shift = common_shift(x)
            s = prepare_series(x, m, True, spec.given[src], "T_subseq_isconstant", shift,
                               common_scale(x, shift=shift))
            Tk[c, :n] = s.T[:n]
            mu[c, :l] = s.mu[:l]
            df[c, :l] = s.df[:l]
            dg[c, :l] = s.dg[:l]
            # near-flat windows (skipped by stump's kernels) are ranked here by their tiny
            # norms; their reported distances are exact all the same
            _, ssd = _exact.window_stats(np.ascontiguousarray(Tk[c, :n]), m)
            ok = s.valid & (s.const == 0) & (ssd > 0)
            with np.errstate(divide="ignore"):
                w[c, :l] = np.where(ok, 1.0 / np.sqrt(np.where(ok, ssd, 1.0)), 0.0)
            half[c, :l] = np.where(s.const != 0, 0.5, 0.0)
            bad[c, :l] = np.where(s.valid, 0.0, np.inf)
            # windows near-flat against the channel's scale (prepare_series' rule for kernels
            # that do not track rounding): the co-moments of their pairs are computed exactly,
            # as the recurrence's rounding (~1e-16 of the scale squared) can swamp them (1.5 +
            # 1e-9 noise beside a random walk: wrong nearest neighbours)
            flat[c, s.flat] = 1
            if refine:
                E[c, :n] = s.exact
                cst[c, :l] = s.const
    else:
        mode = {2.0: MODE_P2, 1.0: MODE_P1}.get(spec.p, MODE_P)
        # Each channel's kernel series is shifted by its own offset (kernel_centre): a channel's
        # distances ignore its shift, and the kernels' sums (for p = 2, of squares and
        # products) then stay on the scale of its spread; on a channel with an offset of 1e4
        # or more they had rounding errors above the distances, and missed neighbours.  One
        # power-of-two scale for all channels (their distances are summed), exact; the exact
        # distances are taken on the scaled, unshifted values.
        centres = [kernel_centre(T[src]) for src in order]
        shifts = [sh for sh, _ in centres]
        scale = min(sc for _, sc in centres)
        unscale = 1.0 / scale
        for c, src in enumerate(order):
            x = T[src]
            finite = np.isfinite(x)
            Tk[c, :n] = np.where(finite, x * scale - shifts[c] * scale, 0.0)
            bad[c, :l] = np.where(_validate.rolling_isfinite(x, m), 0.0, np.inf)
            if refine:
                E[c, :n] = np.where(finite, x * scale, 0.0)
    excl_zone = int(math.ceil(m / EXCL_ZONE_DENOM))
    # z-normalized: rounding noise of the co-moments (series scaled to |T| <= ~1, restarted
    # every `reseed` rows) is far below this; squared distances under it rank as exact 0, so
    # repeated windows tie and the lowest index wins, as in the brute force.  (p-norms need
    # no cut: each running sum carries its own rounding bound, and a sum within it of 0 is
    # recomputed exactly; see mpm_strip_generic.)
    snap = 2.0 * m * 1e-13 if normalize else 0.0
    return MJob(d=d, n=n, l=l, m=m, stride=stride, mode=mode, p=spec.p,
                reseed=max(4096, 32 * m), nfix=spec.nfix, discords=int(spec.discords),
                excl_zone=excl_zone, T=Tk, mu=mu, df=df, dg=dg, w=w, half=half, bad=bad,
                net=sorting_network(spec.nfix, d), E=E, cst=cst, order=order,
                bands=np.ascontiguousarray(spec.bands), snap=snap, unscale=unscale,
                flat=flat if flat.any() else None)


def prepare_mjob(T, m, include, discords, normalize, p, T_subseq_isconstant) -> MJob:
    """Validate the arguments of mstump/maamp and build the MJob."""
    return build_mjob(mjob_spec(T, m, include, discords, normalize, p, T_subseq_isconstant))


def merge(job: MJob, parts: list[list[MTable]]) -> MTable:
    """The workers' tables merged: smaller sum wins, ties go to the lower index."""
    out = MTable(parts[0][0].best.copy(), parts[0][0].idx.copy())
    for (t,) in parts[1:]:
        take = (t.best < out.best) | ((t.best == out.best) & (t.idx >= 0) & (t.idx < out.idx))
        out.best[take] = t.best[take]
        out.idx[take] = t.idx[take]
    return out


def finalize(job: MJob, table: MTable, n_threads: int | None = None) -> mparray:
    """Exact distances for every neighbour found, in the caller's channel-free (d, l) layout."""
    l, d = job.l, job.d
    I = np.ascontiguousarray(table.idx[:, :l])
    I[~np.isfinite(table.best[:, :l])] = -1
    P = np.empty((d, l))
    nt = max(1, min(_threads.resolve(n_threads), l * job.m * d * d // 200_000))
    cuts = np.linspace(0, l, nt + 1).astype(np.int64)
    spans = [(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:])]

    def in_threads(fn, *args):
        _threads.each(lambda span: fn(*args, *span), spans, len(spans))

    stats = None
    if job.mode == MODE_ZNORM:
        # every window's mean (and its residual) and 1 / std once, instead of once for each
        # pair it is part of
        stats = tuple(np.empty((d, job.stride)) for _ in range(3))
        in_threads(_mengine.window_stats, job, job.E, job.cst, *stats)
    in_threads(functools.partial(_mengine.refine, stats=stats), job, job.E, job.cst, I, P)
    if job.unscale != 1.0:
        P *= job.unscale  # a power of two: exact
    return mparray(P, I)


def multi_profile(T, m, include, discords, normalize, p, T_subseq_isconstant, executor,
                  n_threads=None) -> mparray:
    """The shared pipeline; ``executor(spec)`` returns the MJob (for ``finalize``) and the
    workers' tables (a Dask executor builds the MJob while the cluster works)."""
    spec = mjob_spec(T, m, include, discords, normalize, p, T_subseq_isconstant)
    if len(spec.bands) == 0:  # no window has a non-trivial neighbour
        d, l = spec.T.shape[0], spec.l
        return mparray(np.full((d, l), np.inf), np.full((d, l), -1, np.int64))
    job, parts = executor(spec)
    return finalize(job, merge(job, parts), n_threads)


def _run_threads_spec(spec: MSpec, **kwargs) -> tuple[MJob, list[list[MTable]]]:
    job = build_mjob(spec)
    return job, run_threads(job, **kwargs)


def _threads_executor(n_threads, progress, cancel):
    return functools.partial(_run_threads_spec, n_threads=n_threads, progress=progress,
                             cancel_event=cancel)


# ----------------------------------------------------------------------------- public API

def mstump(T, m, include=None, discords=False, normalize=True, p=2.0,
           T_subseq_isconstant=None, *, n_threads=None, progress=False, cancel=None):
    """Compute the multi-dimensional z-normalized matrix profile (mSTAMP) on CPU threads.

    Parameters
    ----------
    T : array_like
        The time series, shape ``(d, n)``: a 2-D array, a list of equal-length series, or a
        pandas DataFrame whose columns are the channels (it is transposed, as in STUMPY).
        int input is converted to float64 (STUMPY raises).
    m : int
        Window size, at least 3.
    include : array_like of int, optional
        Channels that must be part of every subspace; they are counted first, in this order.
    discords : bool, default False
        True averages the largest per-channel distances instead of the smallest.
    normalize : bool, default True
        False computes the non-normalized p-norm profile instead (see :func:`maamp`).
    p : float, default 2.0
        The p-norm, used only when ``normalize=False``.
    T_subseq_isconstant : array_like of bool, callable or list, optional
        Which windows are constant: a function ``f(a, w)`` for every channel, a (d, l) bool
        array, or a list with one such entry per channel.
    n_threads : int, optional
        Worker threads for this call; default :func:`mpcore.get_num_threads`.
    progress : bool, default False
        Show a progress bar.
    cancel : threading.Event, optional
        Set it from another thread to stop the call (raises ``CancelledError``).

    Returns
    -------
    mparray
        A named tuple ``(P_, I_)`` of two ``(d, n - m + 1)`` arrays: ``P_[k, i]`` is the mean
        of the k+1 smallest per-channel distances from window i to its best match ``I_[k, i]``
        (minimized over all non-trivial windows), so ``P, I = mstump(T, m)`` works.

    Notes
    -----
    One pass over the diagonals serves every k; every reported distance is recomputed exactly
    from its windows.  Ties go to the lowest index; a row whose candidates are all inf
    (e.g. k counts a channel whose window holds NaN) gets ``inf`` and -1.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.random.default_rng(0).standard_normal((3, 200)).cumsum(axis=1)
    >>> P, I = mpcore.mstump(T, m=20)
    >>> P.shape
    (3, 181)
    """
    if not _validate.check_bool(normalize, "normalize"):
        return maamp(T, m, include, discords, p, n_threads=n_threads, progress=progress,
                     cancel=cancel)
    return multi_profile(T, m, include, discords, True, p, T_subseq_isconstant,
                         _threads_executor(n_threads, progress, cancel), n_threads)


def maamp(T, m, include=None, discords=False, p=2.0, *, n_threads=None, progress=False,
          cancel=None):
    """Compute the multi-dimensional non-normalized (p-norm) matrix profile on CPU threads.

    Parameters
    ----------
    T : array_like
        The time series, shape ``(d, n)`` (see :func:`mstump`).
    m : int
        Window size, at least 3.
    include : array_like of int, optional
        Channels that must be part of every subspace.
    discords : bool, default False
        True averages the largest per-channel distances instead of the smallest.
    p : float, default 2.0
        The p-norm: per-channel distance ``(sum |a - b|**p) ** (1/p)``.
    n_threads, progress, cancel
        As in :func:`mstump`.

    Returns
    -------
    mparray
        The named tuple ``(P_, I_)``, each of shape ``(d, n - m + 1)``.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.random.default_rng(0).standard_normal((3, 200))
    >>> T[1:, 150:170] = T[1:, 20:40]  # a repeat in channels 1 and 2
    >>> P, I = mpcore.maamp(T, m=20)
    >>> P.shape
    (3, 181)
    >>> np.argmin(P, axis=1)  # the repeat is the best 1-D and 2-D motif
    array([20, 20, 20])
    """
    return multi_profile(T, m, include, discords, False, p, None,
                         _threads_executor(n_threads, progress, cancel), n_threads)


# ----------------------------------------------------------------------------- Dask

#: the largest series (bytes) mstumped sends inside its task graph rather than ahead of it
DASK_EMBED_BYTES = 4 << 20


def _dask_share(spec: MSpec, bands: np.ndarray, n_threads: int) -> tuple[np.ndarray, np.ndarray]:
    """One Dask task per worker: the kernel's part of the MJob built from the raw series (the
    same values and code as the client's, so the kernel's input is the one mstump's kernel
    gets; cheaper than shipping it, ~10x the series' size), then the strips ``bands`` on the
    worker's threads, taken as they free up (the threads executor, as mstump runs them)."""
    job = build_mjob(spec, refine=False)
    out = merge(job, run_threads(job, n_threads=n_threads, bands=bands))
    return out.best, out.idx


def _dask_merge(_k, *parts) -> tuple[np.ndarray, np.ndarray]:
    """One merge task (same tie rule as :func:`merge`); never modifies its inputs."""
    tables = [[MTable(np.asarray(b), np.asarray(i))] for b, i in parts]
    out = merge(None, tables)
    return out.best, out.idx


def _shares(spec: MSpec, n: int) -> list[np.ndarray]:
    """The strips (longest first) dealt to ``n`` shares of about equal cells: each to the share
    with the fewest so far, so every share holds long and short strips alike."""
    cells = spec.band_cells(spec.bands)
    load = np.zeros(n)
    owner = np.empty(len(cells), dtype=np.int64)
    for i, c in enumerate(cells.tolist()):
        owner[i] = int(np.argmin(load))
        load[owner[i]] += c
    return [np.ascontiguousarray(spec.bands[owner == j]) for j in range(n) if (owner == j).any()]


def run_dask(spec: MSpec, client) -> tuple[MJob, list[list[MTable]]]:
    """Dask executor: one graph of one task per worker (its share of the strips, on its threads,
    see _dask_share) and one merge task, sent in one message; the client builds its own MJob
    (for ``finalize``) while the cluster works.

    Where the time went at n = 2**14, d = 3 (a one-worker local cluster, ~0.3 s of kernel):
    scattering the client's MJob (~80 bytes a point) took ~25-40 ms, and every separate
    message to the scheduler after the first waits up to the client's 10 ms batching interval.
    Shipping the series (8 bytes a point) inside one graph removes both.  A fixed split of the
    strips into one task per thread then cost 1.3-1.5x mstump: the threads' speeds vary by
    +-25% from task to task on a shared machine, and a static split turns that into idle
    threads, where mstump's threads take the next strip as they free up; one task per worker
    running the threads executor does the same.  (Dask sees one busy slot per worker: the
    task's threads are mpcore's own.)

    Unlike stumped's pairwise tree of merges, one merge: each round trip between the client and
    the scheduler costs ~10-15 ms, and a chain of them cost 1.8x mstump's time (the
    multi-dimensional kernel is fast enough for that to show)."""
    import uuid

    from .. import _dask

    if not (hasattr(client, "submit") and hasattr(client, "get")):
        raise TypeError(f"client must be a dask.distributed.Client, got {type(client).__name__}")
    run = uuid.uuid4().hex[:12]
    try:
        nthreads = [max(1, int(v)) for v in client.nthreads().values()] or [1]
    except Exception:  # a client that cannot tell: one worker of one thread
        nthreads = [1]
    shares = _shares(spec, len(nthreads))
    per_task = max(1, sum(nthreads) // len(nthreads))
    # a large series goes ahead on its own (one more round trip, nothing beside a kernel of
    # that size): a graph over Dask's large-graph threshold (10 MB) draws its warning
    nbytes = spec.T.nbytes + sum(g.nbytes for g in spec.given if g is not None)
    data = client.scatter(spec, hash=False) if nbytes > DASK_EMBED_BYTES else spec
    spec_key = f"mpcore-mspec-{run}"
    graph = {spec_key: data}  # once in the graph, however many tasks read it
    keys = []
    for i, bands in enumerate(shares):
        keys.append(f"mpcore-mshare-{run}-{i}")
        graph[keys[-1]] = (_dask_share, spec_key, bands, per_task)
    root_key = keys[0]
    if len(keys) > 1:
        root_key = f"mpcore-mmerge-{run}"
        graph[root_key] = (_dask_merge, 0, *keys)
    # only the root's result is held: the other tasks' results are released once used
    (root,) = client.get(graph, [root_key], sync=False)
    try:
        job = build_mjob(spec)
        best, idx = root.result()
    except BaseException:
        client.cancel([root] if data is spec else [root, data])
        raise
    # merge() copies (the arrays may be read-only buffers of the message they came in)
    return job, [[MTable(best, idx)]]


def mstumped(client, T, m, include=None, discords=False, p=2.0, normalize=True,
             T_subseq_isconstant=None):
    """Compute the multi-dimensional z-normalized matrix profile on a Dask cluster.

    Same parameters and result as :func:`mstump`; the diagonals are cut into tasks that run
    the same compiled kernel on the workers, and their tables are merged on the cluster.

    Parameters
    ----------
    client : distributed.Client
        A Dask distributed client whose workers have mpcore installed.
    T, m, include, discords, p, normalize, T_subseq_isconstant
        As in :func:`mstump` (``p`` before ``normalize`` here, as in STUMPY's ``mstumped``).

    Returns
    -------
    mparray
        The named tuple ``(P_, I_)``, each of shape ``(d, n - m + 1)``; identical to
        :func:`mstump`'s.

    Notes
    -----
    One task graph per call: the series (``8 d n`` bytes) and the constant-window flags
    (``T_subseq_isconstant`` is applied on the client) travel inside it once; one task per
    worker computes the window statistics there and runs its share of the diagonals on the
    worker's threads (mpcore's own, as in :func:`mstump`: Dask sees one busy slot), and one
    task merges their tables; only the merged table (``16 d n`` bytes) comes back.  A series
    over 4 MiB is scattered first.  When workers die, Dask recomputes what was lost and the
    result is unchanged.
    """
    if not _validate.check_bool(normalize, "normalize"):
        return maamped(client, T, m, include, discords, p)
    return multi_profile(T, m, include, discords, True, p, T_subseq_isconstant,
                         functools.partial(run_dask, client=client))


def maamped(client, T, m, include=None, discords=False, p=2.0):
    """Compute the multi-dimensional non-normalized matrix profile on a Dask cluster.

    Parameters
    ----------
    client : distributed.Client
        A Dask distributed client whose workers have mpcore installed.
    T, m, include, discords, p
        As in :func:`maamp`.

    Returns
    -------
    mparray
        The named tuple ``(P_, I_)``; identical to :func:`maamp`'s.
    """
    return multi_profile(T, m, include, discords, False, p, None,
                         functools.partial(run_dask, client=client))


# ----------------------------------------------------------------------------- subspace and MDL

STDDEV_THRESHOLD = 1e-7  # STUMPY's z_norm: a window with a smaller std is divided by 1


@functools.lru_cache
def _normal_bins(n_bit: int) -> np.ndarray:
    """The 2**n_bit - 1 quantiles of the standard normal that cut it into equiprobable bins."""
    q = np.arange(1, 2**n_bit) / 2**n_bit
    inv = statistics.NormalDist().inv_cdf
    return np.array([inv(float(x)) for x in q])


def _check_n_bit(n_bit) -> int:
    n_bit = _validate.check_int(n_bit, "n_bit")
    if not 1 <= n_bit <= 32:
        raise ValueError(f"n_bit must be between 1 and 32, got {n_bit}")
    return n_bit


def _check_idx(idx, n: int, m: int, name: str) -> int:
    idx = _validate.check_int(idx, name)
    if not 0 <= idx <= n - m:
        raise ValueError(f"{name} must be a window start in 0..{n - m}, got {idx}")
    return idx


def _isconstant_rows(T: np.ndarray, m: int, arg) -> np.ndarray:
    """(d, l) STUMPY constant-window flags, one channel at a time."""
    d, n = T.shape
    args = channel_isconstant(arg, d, n - m + 1)
    out = []
    for c in range(d):
        x = np.where(np.isfinite(T[c]), T[c], np.nan)
        out.append(_validate.isconstant(x, m, args[c], "T_subseq_isconstant",
                                        _validate.rolling_isfinite(T[c], m)))
    return np.array(out, dtype=bool).reshape(d, n - m + 1)


def _windows(T: np.ndarray, idx: int, m: int) -> np.ndarray:
    """The (d, m) window at idx, non-finite values as 0 (STUMPY's preprocessing)."""
    W = T[:, idx : idx + m].copy()
    W[~np.isfinite(W)] = 0.0
    return W


def _znorm_windows(T, idx, m, iscst) -> np.ndarray:
    W = _windows(T, idx, m)
    std = np.std(W, axis=1, keepdims=True)
    std[std < STDDEV_THRESHOLD] = 1.0
    W = (W - np.mean(W, axis=1, keepdims=True)) / std
    W[iscst[:, idx]] = 0.0
    return W


def _subspace(D: np.ndarray, k: int, include, discords: bool) -> np.ndarray:
    """Channel numbers of the k-dimensional subspace (k + 1 of them), best first; the
    ``include``d ones come first."""
    # STUMPY 1.14 argsorts the *reversed* distance vector for discords (so the numbers are
    # positions in that reversed vector); kept as is for compatibility
    order = np.argsort(D[::-1] if discords else D, kind="stable")
    if include is not None:
        inc = check_include(include, D.shape[0])
        keep = np.isin(order, inc)
        order = np.concatenate([order[keep], order[~keep]])
    return order[: k + 1]


def _check_k(k, d: int) -> int:
    k = _validate.check_int(k, "k")
    if not 0 <= k < d:
        raise ValueError(f"k (zero-based subspace size) must be in 0..{d - 1}, got {k}")
    return k


def _mdl_bits(disc_subseqs, disc_neighbors, S, n_bit: int) -> float:
    """Bits to store both windows when the neighbour is coded as a hypothesis for S."""
    d, m = disc_subseqs.shape
    n_val = len(np.unique(disc_subseqs[S] - disc_neighbors[S]))
    sub = len(S)
    return n_bit * (2 * d * m - sub * m) + sub * m * np.log2(n_val) + n_val * n_bit


class _Discretizer:
    """The inputs of subspace/mdl checked once, and the per-window distance vector D."""

    def __init__(self, T, m, discretize_func, n_bit, normalize, p, T_subseq_isconstant):
        self.T = as_multi(T)
        d, n = self.T.shape
        self.m = _validate.check_window(m, n, "T")
        self.n_bit = _check_n_bit(n_bit)
        self.normalize = normalize
        self.p = _validate.check_p(p)
        if normalize:
            self.iscst = _isconstant_rows(self.T, self.m, T_subseq_isconstant)
            if discretize_func is None:
                bins = _normal_bins(self.n_bit)
                discretize_func = functools.partial(np.digitize, bins=bins, right=True)
        elif discretize_func is None:
            finite = self.T[np.isfinite(self.T)]
            if not finite.size:
                raise ValueError("T holds no finite value to discretize")
            lo, hi = float(finite.min()), float(finite.max())
            levels = 2.0**self.n_bit - 1.0

            def discretize_func(a):
                return np.round((a - lo) / (hi - lo) * levels).astype(np.int64) + 1

        if not callable(discretize_func):
            raise TypeError("discretize_func must be a function of one array, or None")
        self.disc = discretize_func

    def pair(self, subseq_idx, nn_idx):
        d, n = self.T.shape
        a = _check_idx(subseq_idx, n, self.m, "subseq_idx")
        b = _check_idx(nn_idx, n, self.m, "nn_idx")
        if self.normalize:
            x = _znorm_windows(self.T, a, self.m, self.iscst)
            y = _znorm_windows(self.T, b, self.m, self.iscst)
            ds, dn = self.disc(x), self.disc(y)
            D = np.linalg.norm(ds - dn, axis=1)
        else:
            ds, dn = self.disc(_windows(self.T, a, self.m)), self.disc(_windows(self.T, b, self.m))
            D = np.linalg.norm(ds - dn, axis=1, ord=self.p)
        return ds, dn, D


def subspace(T, m, subseq_idx, nn_idx, k, include=None, discords=False, discretize_func=None,
             n_bit=8, normalize=True, p=2.0, T_subseq_isconstant=None):
    """The k-dimensional subspace of a motif pair: which channels make it.

    Parameters
    ----------
    T : array_like
        The time series, shape ``(d, n)`` (see :func:`mstump`).
    m : int
        Window size.
    subseq_idx, nn_idx : int
        Start of the window and of its nearest neighbour (e.g. ``I[k, subseq_idx]``).
    k : int
        Zero-based subspace size: ``k + 1`` channels are returned.
    include : array_like of int, optional
        Channels that must be part of the subspace (they come first).
    discords : bool, default False
        Rank the channels by decreasing distance.
    discretize_func : callable, optional
        Maps z-normalized (or raw, ``normalize=False``) windows to integers; default: 2**n_bit
        equiprobable bins of the standard normal (or of [min(T), max(T)]).
    n_bit : int, default 8
        Bits of the default discretization.
    normalize : bool, default True
        False uses the raw windows and the p-norm (see :func:`maamp_subspace`).
    p : float, default 2.0
        The p-norm, used only when ``normalize=False``.
    T_subseq_isconstant : array_like of bool, callable or list, optional
        Which windows are constant (see :func:`mstump`).

    Returns
    -------
    numpy.ndarray
        The ``k + 1`` channel numbers, best first.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.random.default_rng(0).standard_normal((3, 200))
    >>> T[1:, 150:170] = T[1:, 20:40]  # a repeat in channels 1 and 2
    >>> mpcore.subspace(T, m=20, subseq_idx=20, nn_idx=150, k=1)  # the best 2 channels
    array([1, 2])
    """
    if not _validate.check_bool(normalize, "normalize"):
        return maamp_subspace(T, m, subseq_idx, nn_idx, k, include, discords, discretize_func,
                              n_bit, p)
    z = _Discretizer(T, m, discretize_func, n_bit, True, 2.0, T_subseq_isconstant)
    _, _, D = z.pair(subseq_idx, nn_idx)
    return _subspace(D, _check_k(k, len(D)), include, _validate.check_bool(discords, "discords"))


def maamp_subspace(T, m, subseq_idx, nn_idx, k, include=None, discords=False,
                   discretize_func=None, n_bit=8, p=2.0):
    """The k-dimensional subspace of a motif pair, non-normalized (see :func:`subspace`).

    Parameters
    ----------
    T, m, subseq_idx, nn_idx, k, include, discords, discretize_func, n_bit
        As in :func:`subspace`; the default discretization maps [min(T), max(T)] onto
        1..2**n_bit.
    p : float, default 2.0
        The p-norm of the per-channel distances.

    Returns
    -------
    numpy.ndarray
        The ``k + 1`` channel numbers, best first.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.random.default_rng(0).standard_normal((3, 200))
    >>> T[1:, 150:170] = T[1:, 20:40]
    >>> mpcore.maamp_subspace(T, m=20, subseq_idx=20, nn_idx=150, k=1)
    array([1, 2])
    """
    z = _Discretizer(T, m, discretize_func, n_bit, False, p, None)
    _, _, D = z.pair(subseq_idx, nn_idx)
    return _subspace(D, _check_k(k, len(D)), include, _validate.check_bool(discords, "discords"))


def _mdl(z: _Discretizer, subseq_idx, nn_idx, include, discords):
    d = z.T.shape[0]
    discords = _validate.check_bool(discords, "discords")
    subseq_idx, nn_idx = np.asarray(subseq_idx), np.asarray(nn_idx)
    if subseq_idx.shape != (d,) or nn_idx.shape != (d,):
        raise ValueError(f"subseq_idx and nn_idx must hold one window start per channel ({d})")
    bit_sizes = np.empty(d)
    S = [None] * d
    for k in range(d):
        ds, dn, D = z.pair(subseq_idx[k], nn_idx[k])
        S[k] = _subspace(D, k, include, discords)
        bit_sizes[k] = _mdl_bits(ds, dn, S[k], z.n_bit)
    return bit_sizes, S


def mdl(T, m, subseq_idx, nn_idx, include=None, discords=False, discretize_func=None, n_bit=8,
        normalize=True, p=2.0, T_subseq_isconstant=None):
    """Minimum description length of every k-dimensional motif: how many channels matter.

    Parameters
    ----------
    T, m
        As in :func:`subspace`.
    subseq_idx, nn_idx : array_like of int
        One window start and its neighbour per k (``d`` each), e.g. ``argmin(P, axis=1)`` and
        the matching entries of ``I``.
    include, discords, discretize_func, n_bit, normalize, p, T_subseq_isconstant
        As in :func:`subspace`.

    Returns
    -------
    bit_sizes : numpy.ndarray
        The MDL bit size of each k-dimensional motif (``d`` values; smaller is better).
    S : list of numpy.ndarray
        The k-dimensional subspace of each.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.random.default_rng(0).standard_normal((3, 200))
    >>> T[1:, 150:170] = T[1:, 20:40]  # a repeat in channels 1 and 2
    >>> P, I = mpcore.mstump(T, m=20)
    >>> subseq_idx = np.argmin(P, axis=1)
    >>> nn_idx = I[np.arange(3), subseq_idx]
    >>> bit_sizes, S = mpcore.mdl(T, 20, subseq_idx, nn_idx)
    >>> int(np.argmin(bit_sizes)), S[1]  # two channels describe the motif best
    (1, array([1, 2]))
    """
    if not _validate.check_bool(normalize, "normalize"):
        return maamp_mdl(T, m, subseq_idx, nn_idx, include, discords, discretize_func, n_bit, p)
    z = _Discretizer(T, m, discretize_func, n_bit, True, 2.0, T_subseq_isconstant)
    return _mdl(z, subseq_idx, nn_idx, include, discords)


def maamp_mdl(T, m, subseq_idx, nn_idx, include=None, discords=False, discretize_func=None,
              n_bit=8, p=2.0):
    """Minimum description length of every k-dimensional motif, non-normalized.

    The p-norm twin of :func:`mdl`.

    Parameters
    ----------
    T, m, subseq_idx, nn_idx, include, discords, discretize_func, n_bit, p
        As in :func:`mdl` and :func:`maamp_subspace`.

    Returns
    -------
    bit_sizes : numpy.ndarray
        The MDL bit size of each k-dimensional motif.
    S : list of numpy.ndarray
        The k-dimensional subspace of each.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.random.default_rng(0).standard_normal((3, 200))
    >>> T[1:, 150:170] = T[1:, 20:40]
    >>> P, I = mpcore.maamp(T, m=20)
    >>> subseq_idx = np.argmin(P, axis=1)
    >>> bit_sizes, S = mpcore.maamp_mdl(T, 20, subseq_idx, I[np.arange(3), subseq_idx])
    >>> int(np.argmin(bit_sizes)), S[1]
    (1, array([1, 2]))
    """
    z = _Discretizer(T, m, discretize_func, n_bit, False, p, None)
    return _mdl(z, subseq_idx, nn_idx, include, discords)


# ----------------------------------------------------------------------------- motifs

def _exclude(a: np.ndarray, idx: int, excl_zone: int) -> None:
    a[..., max(0, idx - excl_zone) : min(a.shape[-1], idx + excl_zone) + 1] = np.inf


def _find_matches(D: np.ndarray, excl_zone: int, max_distance, max_matches, atol: float):
    """Greedy matches in a distance profile, best first, each excluding its neighbourhood
    (the query itself, at distance 0, comes first)."""
    D = D.copy()
    if max_distance is None:
        finite = D[np.isfinite(D)]
        max_distance = max(np.mean(finite) - 2.0 * np.std(finite), np.min(finite)) \
            if finite.size else np.nan
    elif callable(max_distance):
        max_distance = max_distance(D)
    matches = []
    while len(matches) < max_matches:
        j = int(np.argmin(D))
        if not np.isfinite(D[j]) or D[j] > atol + max_distance:
            break
        matches.append([D[j], j])
        _exclude(D, j, excl_zone)
    return np.array(matches, dtype=object)


def _jagged(rows: list, fill, dtype) -> np.ndarray:
    if not rows:
        return np.array([[]])  # STUMPY's shape (1, 0) for "no motif"
    out = np.full((len(rows), max(len(r) for r in rows)), fill, dtype=dtype)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def _mmotifs(T, P, I, min_neighbors, max_distance, cutoffs, max_matches, max_motifs, atol, k,
             include, normalize, p, T_subseq_isconstant):
    """mmotifs and aamp_mmotifs, written once."""
    T = as_multi(T)
    P = np.array(P, dtype=np.float64, copy=True)
    I = np.asarray(I)
    d, n = T.shape
    if P.ndim != 2 or P.shape[0] != d or I.shape != P.shape:
        raise ValueError(f"P and I must both have shape (d, l) with d = {d} channels")
    if I.dtype.kind not in "iu":
        raise TypeError(f"I must hold integer indices (mstump's I), got dtype {I.dtype}")
    m = _validate.check_window(n - P.shape[1] + 1, n, "T")
    if isinstance(max_motifs, bool) or not isinstance(max_motifs, (int, np.integer)):
        raise TypeError("max_motifs must be an int")
    if max_motifs < 1:
        warnings.warn("The maximum number of motifs, `max_motifs`, must be greater than or "
                      "equal to 1.\n`max_motifs` has been set to `1`", stacklevel=3)
        max_motifs = 1
    valid = np.array([_validate.rolling_isfinite(x, m) for x in T])
    iscst = _isconstant_rows(T, m, T_subseq_isconstant) if normalize else np.zeros_like(valid)
    T = np.where(np.isfinite(T), T, 0.0)  # as STUMPY's preprocessing hands T on
    excl_zone = int(math.ceil(m / EXCL_ZONE_DENOM))
    max_matches = _validate.check_max_matches(max_matches)
    if max_matches is None:
        max_matches = np.inf
    min_neighbors = _validate.check_int(min_neighbors, "min_neighbors")
    atol = _validate.check_real(atol, "atol")
    if k is not None:
        k = _validate.check_int(k, "k")
        if not 0 <= k < d:
            raise ValueError(f"k (a zero-based subspace size) must be in [0, {d - 1}], got {k}")
    if cutoffs is None:
        Pn = np.where(np.isinf(P), np.nan, P)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            cutoffs = np.nanmax([np.nanmean(Pn, axis=1) - 2.0 * np.nanstd(Pn, axis=1),
                                 np.nanmin(Pn, axis=1)], axis=0)
    if np.isscalar(cutoffs):
        cutoffs = np.full(d, cutoffs)
    cutoffs = np.asarray(cutoffs, dtype=np.float64)
    limit = float(max_distance) if isinstance(max_distance, (float, np.floating)) else None
    distances, indices, subspaces_out, mdls_out = [], [], [], []
    reset_k = False
    rows = np.arange(d)
    cand = np.argmin(P, axis=1)
    nn = I[rows, cand]
    while len(distances) < max_motifs:
        if normalize:
            mdls, subspaces = mdl(T, m, cand, nn, include)
        else:
            mdls, subspaces = maamp_mdl(T, m, cand, nn, include)
        if k is None:
            k = int(np.argmin(mdls))
            reset_k = True
        S = subspaces[k]
        motif_idx = int(cand[k])
        value = P[k, motif_idx]
        if (value > cutoffs[k] or not np.isfinite(value) or motif_idx < 0 or nn[k] < 0
                or (limit is not None and value > limit)):
            break
        # distance profile of the motif's window over its subspace: mean of the channels'
        D = np.zeros(n - m + 1)
        for c in S:
            D += _exact.distance_profile(
                np.ascontiguousarray(T[c, motif_idx : motif_idx + m]), T[c], m, normalize, p,
                valid[c].astype(np.uint8), iscst[c].astype(np.uint8), bool(iscst[c, motif_idx]))
        D /= len(S)
        D[motif_idx] = 0.0  # STUMPY's query_idx: the query matches itself exactly
        matches = _find_matches(D, excl_zone, max_distance, max_matches, atol)
        if not len(matches):
            # not even the candidate itself, at distance 0 (max_matches < 1, or a limit below
            # 0): nothing is excluded, so the next candidate would be this one again (STUMPY
            # raises an IndexError there)
            break
        if len(matches) > min_neighbors:
            distances.append(matches[:, 0])
            indices.append(matches[:, 1])
            subspaces_out.append(S)
            mdls_out.append(mdls)
        for j in matches[:, 1]:
            _exclude(P, int(j), excl_zone)
        cand = np.argmin(P, axis=1)
        nn = I[rows, cand]
        if reset_k:
            k = None
    return (_jagged(distances, np.nan, np.float64), _jagged(indices, -1, np.int64),
            subspaces_out, mdls_out)


def mmotifs(T, P, I, min_neighbors=1, max_distance=None, cutoffs=None, max_matches=10,
            max_motifs=1, atol=1e-8, k=None, include=None, normalize=True, p=2.0,
            T_subseq_isconstant=None):
    """Discover multi-dimensional motifs from ``mstump``'s profile.

    Parameters
    ----------
    T : array_like
        The time series, shape ``(d, n)``.
    P, I : numpy.ndarray
        The multi-dimensional matrix profile and indices (``mstump(T, m)``).
    min_neighbors : int, default 1
        A motif needs more than this many matches (itself included).
    max_distance : float or callable, optional
        Largest distance of a match; a function of the distance profile; default
        ``max(mean - 2 std, min)`` of the profile.
    cutoffs : float or array_like, optional
        Largest ``P[k]`` value a motif may start from, per k; default
        ``max(mean - 2 std, min)`` of each row of ``P``.
    max_matches : int, default 10
        Most matches per motif (None: no limit).
    max_motifs : int, default 1
        Most motifs returned.
    atol : float, default 1e-8
        Tolerance added to ``max_distance``.
    k : int, optional
        Zero-based subspace size; default: the one with the smallest MDL bit size.
    include : array_like of int, optional
        Channels every subspace must contain.
    normalize : bool, default True
        False finds non-normalized motifs (see :func:`aamp_mmotifs`).
    p : float, default 2.0
        The p-norm, used only when ``normalize=False``.
    T_subseq_isconstant : array_like of bool, callable or list, optional
        Which windows are constant (see :func:`mstump`).

    Returns
    -------
    motif_distances : numpy.ndarray
        Distances of each motif's matches (NaN-padded rows).
    motif_indices : numpy.ndarray
        Their window starts (-1-padded rows).
    motif_subspaces : list of numpy.ndarray
        The subspace of each motif.
    motif_mdls : list of numpy.ndarray
        The MDL bit sizes computed for each motif.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.random.default_rng(0).standard_normal((3, 200))
    >>> T[1:, 150:170] = T[1:, 20:40]  # a repeat in channels 1 and 2
    >>> P, I = mpcore.mstump(T, m=20)
    >>> distances, indices, subspaces, mdls = mpcore.mmotifs(T, P, I)
    >>> indices, subspaces
    (array([[ 20, 150]]), [array([1, 2])])
    """
    if not _validate.check_bool(normalize, "normalize"):
        return aamp_mmotifs(T, P, I, min_neighbors, max_distance, cutoffs, max_matches,
                            max_motifs, atol, k, include, p)
    return _mmotifs(T, P, I, min_neighbors, max_distance, cutoffs, max_matches, max_motifs,
                    atol, k, include, True, 2.0, T_subseq_isconstant)


def aamp_mmotifs(T, P, I, min_neighbors=1, max_distance=None, cutoffs=None, max_matches=10,
                 max_motifs=1, atol=1e-8, k=None, include=None, p=2.0):
    """Discover multi-dimensional non-normalized motifs from ``maamp``'s profile.

    Parameters
    ----------
    T, P, I, min_neighbors, max_distance, cutoffs, max_matches, max_motifs, atol, k, include
        As in :func:`mmotifs` (``P`` and ``I`` from :func:`maamp`).
    p : float, default 2.0
        The p-norm of the matches' distances.

    Returns
    -------
    motif_distances, motif_indices, motif_subspaces, motif_mdls
        As in :func:`mmotifs`.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.random.default_rng(0).standard_normal((3, 200))
    >>> T[1:, 150:170] = T[1:, 20:40]
    >>> P, I = mpcore.maamp(T, m=20)
    >>> distances, indices, subspaces, mdls = mpcore.aamp_mmotifs(T, P, I)
    >>> indices, subspaces
    (array([[ 20, 150]]), [array([1, 2])])
    """
    return _mmotifs(T, P, I, min_neighbors, max_distance, cutoffs, max_matches, max_motifs,
                    atol, k, include, False, _validate.check_p(p), None)
