"""The pipeline every engine shares: validate -> prepare -> run bands -> merge -> refine -> result.

``stump``, ``gpu_stump`` and ``stumped`` differ only in the executor that runs the bands; an
executor takes a :class:`~mpcore._prepare.Job` and returns one list of top-k tables per worker.
"""
from __future__ import annotations

import sys
import warnings
from collections.abc import Callable

import numpy as np

from . import _config, _engine, _exact, _stream, _threads, _twins
from ._mparray import mparray
from ._prepare import EXCL_ZONE_DENOM, Job, Table, prepare_job

Executor = Callable[[Job], "list[list[Table]]"]


class _Progress:
    """A progress bar: tqdm when installed, else a plain line on stderr."""

    def __init__(self, total: int, desc: str, unit: str = "cell"):
        self.total = max(total, 1)
        self.done = 0
        self.desc, self.unit = desc, unit
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self.bar = None
            self.last = -1
        else:
            self.bar = tqdm(total=self.total, desc=desc, unit=unit, unit_scale=True)

    def update(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(done - self.done)
        else:
            pct = int(100 * done / self.total)
            if pct != self.last:
                self.last = pct
                sys.stderr.write(f"\r{self.desc}: {pct:3d}% of {self.total:.3g} {self.unit}s")
                sys.stderr.flush()
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        else:
            sys.stderr.write("\n")


# Jobs up to this many cells (about 10 ms of one core) let the caller's thread do a worker's
# share itself: one thread fewer per call, and a job of one worker uses no other thread at all.
# The kernels release the GIL but do not return to Python until done, so a Ctrl-C waits for
# that share: bounded by this size.
CALLER_WORK_CELLS = 1 << 25


def run_threads(job: Job, n_threads: int | None = None, progress: bool = False,
                bands: np.ndarray | None = None, cancel_event=None) -> list[list[Table]]:
    """CPU executor: ``n_threads`` workers take bands dynamically, the GIL released.

    The workers are threads of mpcore's pool (_threads.run), kept between calls.  For a small
    job the caller's thread does one worker's share itself (see ``CALLER_WORK_CELLS``), and
    shares no pool thread has begun by the time it is done are dropped (every band is taken);
    otherwise it only waits, so Ctrl-C (KeyboardInterrupt) reaches it at once.  It then raises
    the cancel flag the kernels poll, waits for the running workers, and re-raises; an error in
    a worker is re-raised the same way.  Setting ``cancel_event`` (a ``threading.Event``) from
    another thread stops the call the same way, raising
    ``concurrent.futures.CancelledError``.
    """
    bands = job.bands if bands is None else bands
    n = min(_threads.resolve(n_threads), max(1, len(bands)))
    kernel = _config.kernel_index()
    counters = np.zeros(2, dtype=np.int64)
    cancel = np.zeros(1, dtype=np.intc)
    # worker 0 always runs (on the caller's thread, or as the first task: never dropped) and
    # its tables come first (an anytime job hands it the profile's own); the others make
    # theirs when they begin, so a share dropped unbegun costs nothing
    tables: list = [job.new_tables()] + [None] * (n - 1)
    series = job.series
    errors: list[BaseException] = []

    # a family with its own kernel (multidim) brings its own worker; the executor is shared
    own_worker = getattr(job, "run_worker", None)
    # each worker's thresholds rise to the others' before each band (mp_run_worker): two
    # workers with tables of their own had taken the kernels' rare path twice as often
    peers = _engine.Peers(n, len(tables[0])) if n > 1 and own_worker is None else None

    def work(i: int) -> None:
        try:
            mine = tables[i] if i == 0 else job.new_tables()
            tables[i] = mine
            if own_worker is not None:
                own_worker(bands, counters, mine, cancel)
                return
            _engine.run_worker(kernel, job.mode, job.m, job.p, job.reseed, series, job.passes,
                               bands, counters, mine, cancel, peers, i)
        except BaseException as exc:  # surfaced in the caller's thread
            errors.append(exc)
            cancel[0] = 1

    bar = _Progress(job.cells if bands is job.bands else 0, "mpcore") if progress else None
    # the caller's thread only waits when it must stay responsive (progress, cancel=, big jobs;
    # a family's own kernel, whose bands and cost differ, always runs on worker threads)
    inline = own_worker is None and bar is None and cancel_event is None and \
        int((bands[:, 2] - bands[:, 1]).sum()) * max(s.l for s in series) <= CALLER_WORK_CELLS * n

    def poll() -> None:
        if bar is not None:
            bar.update(int(counters[1]))
        if cancel_event is not None and cancel_event.is_set():
            cancel[0] = 1

    try:
        _threads.run(work, n, inline=inline, cancel=cancel, poll=poll)
    finally:
        if bar is not None:
            bar.update(int(counters[1]))
            bar.close()
    if errors:
        raise errors[0]
    if cancel[0]:
        from concurrent.futures import CancelledError  # imported here: it pulls in logging

        raise CancelledError("mpcore: the call was cancelled")
    return [t for t in tables if t is not None]


def merge(job: Job, per_worker: list[list[Table]]) -> list[Table]:
    """Merge the workers' tables; the order does not matter (ties go to the lowest index)."""
    merged = per_worker[0]
    for other in per_worker[1:]:
        for dst, src in zip(merged, other):
            _engine.merge_into(dst, src)
    return merged


def _constant_candidates(job: Job, tables: list[Table]) -> None:
    """Offer STUMPY's fixed scores for constant windows: two constant windows are a perfect
    match (correlation 1, distance 0), one constant window is at distance sqrt(m)
    (correlation 1/2).  The kernels skip constant windows; in STUMPY's order among these equal
    scores (nearest in time on each side of a self-join, else the lowest index) only the first
    k eligible windows of each kind can enter a table."""
    if not any(s.const.any() for s in job.series):
        return  # (the common case, decided in one pass)
    k = job.k
    if job.self_join:
        s = job.series[0]
        sides = [(tables[0], s, s, "right"), (tables[1], s, s, "left")]
    else:
        sides = [(tables[0], job.series[0], job.series[1], "all")]
    for table, X, Y, side in sides:
        rows_all = np.flatnonzero(X.valid)
        y_const = np.flatnonzero(Y.const)
        y_other = np.flatnonzero(Y.valid & (Y.const == 0))
        if not len(y_const) and not X.const.any():
            continue
        x_const = X.const[rows_all].astype(bool)
        offers = [(rows_all[x_const], y_const, 1.0), (rows_all[x_const], y_other, 0.5),
                  (rows_all[~x_const], y_const, 0.5)]
        for rows, cols, score in offers:
            if not len(rows) or not len(cols):
                continue
            if side == "right":  # c > r + excl_zone: the first k after that point
                pos = np.searchsorted(cols, rows + job.excl_zone, side="right")[:, None]
                pos = pos + np.arange(k)
            elif side == "left":  # c < r - excl_zone: the last k before that point
                pos = np.searchsorted(cols, rows - job.excl_zone)[:, None] - 1 - np.arange(k)
            else:  # AB-join: the lowest k indices overall
                pos = np.zeros((len(rows), 1), dtype=np.int64) + np.arange(k)
            ok = (pos >= 0) & (pos < len(cols))
            c = cols[np.clip(pos, 0, len(cols) - 1)]
            r = np.broadcast_to(rows[:, None], pos.shape)
            _engine.insert_candidates(table, np.ascontiguousarray(r[ok], dtype=np.int64),
                                      np.ascontiguousarray(c[ok], dtype=np.int64), score)


def _row_blocks(fn: Callable[[int, int], None], l: int, n: int) -> None:
    """``fn(a, b)`` over rows ``[0, l)`` in blocks, on up to ``n`` threads (the caller's among
    them), each thread taking the next block until none is left (several blocks per thread,
    so that the caller need not wait long for a pool thread that starts late).  Rows are
    independent, so who does which block changes nothing."""
    if n <= 1:
        fn(0, l)
        return
    nb = 4 * n
    cuts = np.linspace(0, l, nb + 1).astype(np.int64).tolist()
    # no cancel flag: the blocks are O(l k m / n), short next to the search, so running ones
    # are simply waited for (and a Ctrl-C re-raised) once they finish
    _threads.each(lambda b: fn(cuts[b], cuts[b + 1]), range(nb), n)


# Window values (rows x candidates x m) per thread of the exact steps.  Measured (2 cores,
# m = 32, self-join): one thread finalizes faster than two up to l = 32k windows (n = 4096:
# 0.56 ms against 0.69 ms, best of many), as fast at 64k, and slower only from there on; the
# blocks' hand-over and the calls' argument parsing cost more than the work they share.
REFINE_VALUES_PER_THREAD = 2_000_000


def _refine_threads(job: Job, l: int, cols: int, n_threads: int | None) -> int:
    """Threads for O(l cols m) work: one per REFINE_VALUES_PER_THREAD window values."""
    most = l * job.m * cols // REFINE_VALUES_PER_THREAD
    return 1 if most <= 1 else max(1, min(_threads.resolve(n_threads), most))


def _zstats(job: Job, s, usable: np.ndarray, n_threads: int | None) -> np.ndarray:
    """_exact.window_zstats of a series, rows shared among threads."""
    out = np.zeros((s.l, 4))
    _row_blocks(lambda a, b: _exact.window_zstats(s.exact, job.m, usable, out, a, b), s.l,
                _refine_threads(job, s.l, 1, n_threads))
    return out


def _refine(job: Job, X, Y, I: np.ndarray, D: np.ndarray, n_threads: int | None,
            stats=(None, None)) -> None:
    """Exact distances, rows shared among threads (O(l k m) work, the GIL released); each row
    sorted in STUMPY's order (_exact.refine)."""
    args = (X.exact, Y.exact, job.m, job.normalize, job.p, X.const, Y.const, I, D)
    _row_blocks(lambda a, b: _exact.refine(*args, a, b, job.self_join, *stats), I.shape[0],
                _refine_threads(job, I.shape[0], I.shape[1], n_threads))


def _select(job: Job, X, Y, cand: np.ndarray, n_threads, stats, sides: bool) -> tuple:
    """Exact distances of the candidates ``cand`` (l, c), each row sorted in STUMPY's order:
    its first k distinct entries ``(I, D)`` (a repeated candidate counts once; -1, inf where
    fewer), and with ``sides`` the self-join's ``(left_I, right_I)``, the first entry before
    and after the row itself (_exact.refine_select)."""
    l, k = cand.shape[0], job.k
    I = np.empty((l, k), dtype=np.int64)
    D = np.empty((l, k))
    left = np.empty(l, dtype=np.int64) if sides else None
    right = np.empty(l, dtype=np.int64) if sides else None
    scratch = np.empty(cand.shape)
    args = (X.exact, Y.exact, job.m, job.normalize, job.p, X.const, Y.const, cand, scratch)
    _row_blocks(lambda a, b: _exact.refine_select(*args, a, b, job.self_join, *stats, I, D,
                                                  left, right),
                l, _refine_threads(job, l, cand.shape[1], n_threads))
    return I, D, left, right


def _flat_candidates(job: Job, tables: list[Table]) -> None:
    """Near-flat windows skip the kernels (their correlations would be rounding noise): each
    gets an exact distance profile here, offered to its own table and, symmetrically, to the
    tables of the windows it is compared with.  Constant windows are left to
    _constant_candidates, and flat-to-flat pairs are offered once, by the row's own pass."""
    m, excl = job.m, job.excl_zone
    if job.self_join:
        s = job.series[0]
        jobs = [(s, s, tables[0], tables[1], True)]
    else:
        jobs = [(job.series[0], job.series[1], tables[0], None, False),
                (job.series[1], job.series[0], None, tables[0], False)]
    for X, Y, own, other, self_join in jobs:
        if not len(X.flat):
            continue
        flat_y = np.zeros(Y.l, dtype=bool)
        flat_y[Y.flat] = True
        ok = Y.valid & (Y.const == 0)
        stats = _exact.window_zstats(Y.exact, m, ok)  # once, not once per profile
        for r in X.flat:
            D = _exact.distance_profile(X.exact[r : r + m], Y.exact, m, True, 2.0,
                                        ok.astype(np.uint8), Y.const, False, stats=stats)
            score = 1.0 - D * D / (2.0 * m)
            cols = np.flatnonzero(ok)
            if self_join:
                cols = cols[np.abs(cols - r) > excl]
                right, left = cols[cols > r], cols[cols < r]
                for tab, cs in ((tables[0], right), (tables[1], left)):  # r's own tables
                    _engine.insert_scored(tab, np.full(len(cs), r, np.int64), cs, score[cs])
                for tab, cs in ((tables[1], right), (tables[0], left)):  # r as their neighbour
                    cs = cs[~flat_y[cs]]
                    _engine.insert_scored(tab, cs, np.full(len(cs), r, np.int64), score[cs])
            elif own is not None:  # a flat window of A against all of B
                _engine.insert_scored(own, np.full(len(cols), r, np.int64), cols, score[cols])
            else:  # a flat window of B, offered to A's windows (flat ones did it already)
                cols = cols[~flat_y[cols]]
                _engine.insert_scored(other, cols, np.full(len(cols), r, np.int64), score[cols])


def _tie_candidates(I: np.ndarray, cls: np.ndarray, side: str, excl: int,
                    sizes: tuple | None = None, done: np.ndarray | None = None) -> np.ndarray:
    """``I`` (l, k) widened by the windows identical to its entries (same ``cls``), the k of
    each class that come first in STUMPY's order on this side: the nearest after ``r + excl``
    ("right"), the nearest before ``r - excl`` ("left"), the lowest indices ("all").

    Identical windows are exactly as near to every row, so the kernels' choice among them is
    rounding; with each class's first k offered, the exact sort picks STUMPY's, whatever
    window of a class the kernels found.  Cost O(l k^2) when classes exist, else nothing.
    ``sizes``: _twins.sorted_members(cls), if known.  ``done``: an anytime profile's
    diagonals done (sorted), the only ones the identical windows may come from."""
    k = I.shape[1]
    sizes = _twins.sorted_members(cls) if sizes is None else sizes
    if not (sizes[2] > 1).any():
        return I  # every window unique: no ties of this kind
    if done is not None:
        starts = np.zeros(len(cls) + 1, dtype=np.int64)
        np.cumsum(sizes[2], out=starts[1:])
        extra = _stream.class_members_on(np.ascontiguousarray(I).ravel(), k,
                                         -1 if side == "left" else 1, done, cls, sizes[0],
                                         starts)
        return np.ascontiguousarray(np.concatenate([I, extra], axis=1))
    c = np.where(I >= 0, cls[np.maximum(I, 0)], -1)
    c[(c >= 0) & (sizes[2][np.maximum(c, 0)] < 2)] = -1  # a class of one: the entry itself
    extra = _twins.class_members(c, cls, side, excl, k, sizes)
    return np.ascontiguousarray(np.concatenate([I, extra], axis=1))


def _with_twins(job: Job, cand: np.ndarray, side: str, sizes: tuple) -> np.ndarray:
    """``cand`` widened by each row's own twins (_twins): the first k windows identical to it
    on this side, at distance 0.  The rows they settle got no cell from the kernels."""
    extra = _twins.class_members(job.twins[:, None], job.classes[0], side, job.excl_zone,
                                 job.k, sizes)
    return np.concatenate([cand, extra], axis=1)


class Columns:
    """A profile as typed columns, for callers that never need STUMPY's object table (scrump's
    attributes, which would box every value only to unbox it again): the arrays mparray's
    ``P_``, ``I_``, ``left_I_`` and ``right_I_`` would give, a new copy on every access."""

    def __init__(self, D: np.ndarray, I: np.ndarray, left_I: np.ndarray, right_I: np.ndarray,
                 k: int):
        self._D, self._I, self._left, self._right, self._k = D, I, left_I, right_I, k

    @property
    def P_(self) -> np.ndarray:
        return self._D[:, 0].copy() if self._k == 1 else self._D.copy()

    @property
    def I_(self) -> np.ndarray:
        return self._I[:, 0].copy() if self._k == 1 else self._I.copy()

    @property
    def left_I_(self) -> np.ndarray:
        return self._left.copy()

    @property
    def right_I_(self) -> np.ndarray:
        return self._right.copy()


def finalize(job: Job, tables: list[Table], n_threads: int | None = None, special: bool = True,
             warn: bool = True, boxed: bool = True, cache: dict | None = None,
             done: np.ndarray | None = None):
    """Exact distances for every neighbour found, then the STUMPY-shaped result.

    Equal exact distances are ordered as STUMPY orders them (see _exact.refine); the tables
    rank by the kernels' rounded scores, so windows identical to a found neighbour are added
    as candidates first (_tie_candidates).  Everything here depends on the merged tables only,
    so it is the same for any number of workers and any executor.

    ``special=False`` leaves out the candidates of constant and near-flat windows (an anytime
    profile offers them itself, for the diagonals it has done); in a self-join, tables past the
    first two (right, left) count for the profile but not for the left/right indices.

    ``boxed=False`` returns :class:`Columns` instead of the mparray.  ``cache``: a dict kept by
    a caller that finalizes the same job again (an anytime profile after each update), which
    keeps what depends on the series only (the windows' statistics and classes).  ``done``:
    the diagonals an anytime profile has done (sorted), where alone its neighbours lie."""
    k = job.k
    if job.normalize and special:
        _constant_candidates(job, tables)
        _flat_candidates(job, tables)
    X = job.series[0]
    l = X.l
    if job.twins is None and _finalizes_small(job, len(tables), n_threads):
        # small: the same steps in one compiled call (None: identical windows, whose ties
        # take the general path below)
        Y = X if job.self_join else job.series[1]
        got = _exact.finalize_small(X.exact, Y.exact, job.m, job.normalize, job.p, X.const,
                                    Y.const, X.valid, Y.valid, tables[0].I,
                                    tables[1].I if job.self_join else None, k, job.self_join,
                                    job.unscale, boxed,
                                    job.classes is not None and job.classes[1] == 0)
        if got is not None:
            if not boxed:
                D, I, left_I, right_I, smallest = got
                if warn and not smallest >= 2e-6:
                    _warn_small(D[:, 0])
                return Columns(D, I, left_I, right_I, k)
            out, smallest = got
            if warn and not smallest >= 2e-6:
                _warn_small(np.asarray(out[:, 0], dtype=np.float64))
            return mparray(out, job.m, k, EXCL_ZONE_DENOM)
    # each window's statistics once, not once per pair (a self-join refines both sides)
    if cache is None or "stats" not in cache:
        cache = series_facts(job, n_threads, {} if cache is None else cache)
    stats, (cls, repeats) = cache["stats"], cache["classes"]
    if job.self_join:
        right, left = tables[:2]
        Y = X
        # both sides in one sorted list: distance, then the nearest in time, the left first;
        # each side's own best is then its first entry
        cand = [right.I.reshape(l, k), left.I.reshape(l, k)]
        if repeats:  # identical windows exist (else _tie_candidates adds nothing)
            sizes = _twins.sorted_members(cls)
            cand = [_tie_candidates(cand[0], cls, "right", job.excl_zone, sizes, done),
                    _tie_candidates(cand[1], cls, "left", job.excl_zone, sizes, done)]
            if job.twins is not None:
                cand = [_with_twins(job, cand[0], "right", sizes),
                        _with_twins(job, cand[1], "left", sizes)]
        cand = np.concatenate(cand, axis=1)
        I, D, left_I, right_I = _select(job, X, Y, cand, n_threads, (stats[0], stats[0]), True)
        if len(tables) > 2:  # e.g. preSCRIMP's table: for the profile, not for left/right
            extra = [t.I.reshape(l, k) for t in tables[2:]]
            I, D, _, _ = _select(job, X, Y, np.concatenate([I] + extra, axis=1), n_threads,
                                 (stats[0], stats[0]), False)
    else:
        Y = job.series[1]
        cand = tables[0].I.reshape(l, k)
        if repeats or job.twins is not None:
            sizes = _twins.sorted_members(cls)
            cand = _tie_candidates(cand, cls, "all", 0, sizes, done)
            if job.twins is not None:
                cand = _with_twins(job, cand, "all", sizes)
        # (a copy: refine_select sorts its candidates in place, and these are the table's)
        I, D, _, _ = _select(job, X, Y, np.array(cand, dtype=np.int64), n_threads,
                             tuple(stats), False)
        left_I = np.full(l, -1, dtype=np.int64)
        right_I = np.full(l, -1, dtype=np.int64)
    if job.unscale != 1.0:
        D *= job.unscale  # a power of two: exact
    P0 = D[:, 0]
    # (a smallest distance of 2e-6 or more rules the warning out without the NumPy calls)
    if warn and not P0.min() >= 2e-6:
        _warn_small(P0)
    if not boxed:
        return Columns(D, I, left_I, right_I, k)
    return mparray._from_columns(D, I, left_I, right_I, job.m, k, EXCL_ZONE_DENOM, n_threads)


def _finalizes_small(job: Job, ntables: int, n_threads: int | None) -> bool:
    """Whether ``finalize`` of ``ntables`` tables takes its one-call path (finalize_small),
    which needs no :func:`series_facts`."""
    return ntables <= 2 and _refine_threads(job, job.series[0].l, 2 * job.k, n_threads) == 1


def series_facts(job: Job, n_threads: int | None, cache: dict) -> dict:
    """What finalize needs of the series alone, put in ``cache`` (and returned): ``"stats"``,
    each window's statistics (z-normalized; once, not once per pair: a self-join refines both
    sides), and ``"classes"``, the classes of identical windows of the series the neighbours
    come from (_exact.window_classes).  It depends on neither the tables nor the executor, so
    an executor that leaves the host's cores idle (a GPU, a cluster) can run beside it."""
    stats = [None, None]
    usable = [_twins.usable(s) for s in job.series[:2]]
    if job.normalize:
        for i, s in enumerate(job.series[:2]):
            stats[i] = _zstats(job, s, usable[i], n_threads)
    y = 0 if job.self_join else 1
    # (found before the pass where the job looked for twins)
    cache["classes"] = job.classes if job.classes is not None else \
        _exact.window_classes(job.series[y].exact, job.m, usable[y], True)
    cache["stats"] = stats  # last: its presence says the cache is complete
    return cache


def _warn_small(P0: np.ndarray) -> None:
    """STUMPY's warning when the profile is mostly (near) zero."""
    if np.isfinite(P0).any() and (np.mean(P0[np.isfinite(P0)]) < 1e-6 or np.all(P0 < 1e-6)):
        warnings.warn(
            "A large number of values in `P` are smaller than 1e-06.\n"
            "For a self-join, try setting `ignore_trivial=True`.",
            stacklevel=4,
        )


def matrix_profile(T_A, m, T_B, ignore_trivial, normalize, p, k, A_isconstant, B_isconstant,
                   executor: Executor, n_threads: int | None = None,
                   beside: bool = False) -> mparray:
    """The whole pipeline with ``executor``.  ``beside``: the executor leaves the host's cores
    idle while it waits (a GPU, a Dask cluster), so the part of the exact steps that depends on
    the series alone (:func:`series_facts`) runs on another thread meanwhile, instead of after
    it (n = 2**20: about 0.07 s of 2 cores here)."""
    job = prepare_job(T_A, m, T_B, ignore_trivial, normalize, p, k, A_isconstant, B_isconstant)
    ntables = len(job.targets)
    if not beside or _finalizes_small(job, ntables, n_threads):
        return finalize(job, merge(job, executor(job)), n_threads)
    cache: dict = {}
    # two threads, the caller's among them, one item each; an error in either (a Ctrl-C
    # included) is re-raised here once both have returned
    per_worker, _ = _threads.each(lambda run: run(), [lambda: executor(job),
                                                      lambda: series_facts(job, n_threads, cache)],
                                  2)
    return finalize(job, merge(job, per_worker), n_threads, cache=cache)
