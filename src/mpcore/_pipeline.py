"""The pipeline every engine shares: validate -> prepare -> run bands -> merge -> refine -> result.

``stump``, ``gpu_stump`` and ``stumped`` differ only in the executor that runs the bands; an
executor takes a :class:`~mpcore._prepare.Job` and returns one list of top-k tables per worker.
"""
from __future__ import annotations

import queue
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


def _select(job: Job, X, Y, cand: np.ndarray, scratch: np.ndarray, a: int, b: int,
            n_threads, stats, I: np.ndarray, D: np.ndarray, left=None, right=None) -> None:
    """Exact distances of the candidates ``cand`` (l, c) of rows ``[a, b)``, each row sorted
    in STUMPY's order, into rows ``[a, b)`` of ``I``/``D`` (l, k): its first k distinct
    entries (a repeated candidate counts once; -1, inf where fewer), and, given ``left`` and
    ``right``, the self-join's first entry before and after the row itself
    (_exact.refine_select).  ``scratch`` (l, c) takes the distances; ``cand``'s rows are
    sorted in place."""
    args = (X.exact, Y.exact, job.m, job.normalize, job.p, X.const, Y.const)

    def rows(r0: int, r1: int) -> None:
        _exact.refine_select(*args, cand, scratch, a + r0, a + r1, job.self_join, *stats, I,
                             D, left, right)

    _row_blocks(rows, b - a, _refine_threads(job, b - a, cand.shape[1], n_threads))


# _flat_candidates' tiles: columns a block, flat rows a chunk.  A block's centred windows (B m
# values) are built once for all the chunks; a tile's scores, FLAT_ROWS x FLAT_BLOCK doubles
# (32 MB), stay the one large array a thread holds.
FLAT_BLOCK = 8192
FLAT_ROWS = 512


def _centred(T: np.ndarray, m: int, st: np.ndarray, at, usable: np.ndarray | None = None
             ) -> np.ndarray:
    """Windows ``at`` (a slice or indices) of ``T`` z-normalized as _exact._zdist2 does, ``((x * sc - mu) -
    corr) * isd`` from their _exact.window_zstats ``st``: ``x - mu`` is exact for a near-flat
    window's values, so its deviations keep their digits.  Rows not ``usable``: zeros (their
    values may be NaN, which a product would spread)."""
    W = np.lib.stride_tricks.sliding_window_view(T, m)[at]
    s = st[at]
    Z = W * s[:, 3:4]
    Z -= s[:, 0:1]
    Z -= s[:, 1:2]
    Z *= s[:, 2:3]
    if usable is not None:
        Z[~usable[at]] = 0.0
    return Z


def _flat_candidates(job: Job, tables: list[Table], n_threads: int | None = None,
                     stats: list | None = None) -> None:
    """Near-flat windows skip the kernels (their correlations would be rounding noise): each
    is compared here with every window, exactly centred, offered to its own table and,
    symmetrically, to the tables of the windows it is compared with.  Constant windows are
    left to _constant_candidates, and flat-to-flat pairs are offered once, by the row's own
    pass.

    The scores come in tiles, one matrix product each (flat rows x a block of columns, O(F l m)
    work at BLAS speed rather than F scalar profiles), and _engine.offer_flat_tile offers each
    pair to the tables it may enter.  Threads take ranges of columns: the columns' tables are
    theirs alone, and each keeps its own tables for the flat rows, merged at the end (a top-k
    table's order is total, so the result does not depend on the threads).  ``stats``:
    series_facts' statistics of the series, if known (the same numbers: its usable windows
    are these ``ok`` ones)."""
    m, excl, k = job.m, job.excl_zone, job.k
    if job.self_join:
        jobs = [(0, 0, True, True)]
    else:  # a flat window of A against all of B; one of B, offered to A's windows
        jobs = [(0, 1, True, False), (1, 0, False, True)]
    for x, y, own, other in jobs:
        X, Y = job.series[x], job.series[y]
        rows = np.asarray(X.flat, dtype=np.int64)
        F = len(rows)
        if not F:
            continue
        flat_y = np.zeros(Y.l, dtype=bool)
        flat_y[Y.flat] = True
        ok = Y.valid & (Y.const == 0)
        # once, not once per block
        st = stats[y] if stats is not None else _zstats(job, Y, ok, n_threads)
        if job.self_join:
            sx = st
        elif stats is not None:
            sx = stats[x]
        else:
            mine = np.zeros(X.l, dtype=bool)
            mine[rows] = True
            sx = _exact.window_zstats(X.exact, m, mine)
        ZX = _centred(X.exact, m, sx, rows)
        # flat columns were offered by their own pass (self-join) or A's (AB-join)
        offer = (~flat_y).view(np.uint8) if other else np.zeros(Y.l, np.uint8)
        ok8 = ok.view(np.uint8)
        if job.self_join:
            col_right, col_left = tables[1], tables[0]  # the row before the column: its left
        else:
            col_right, col_left = (tables[0] if other else None), None

        def span(ab: tuple[int, int]) -> list[Table]:
            mine = [Table(F, k), Table(F, k, later=True)] if own else []
            o_r = mine[0] if own else None
            o_l = mine[1] if own and job.self_join else None
            S = np.empty(min(F, FLAT_ROWS) * FLAT_BLOCK)
            for c0 in range(ab[0], ab[1], FLAT_BLOCK):
                c1 = min(c0 + FLAT_BLOCK, ab[1])
                if not ok[c0:c1].any():
                    continue
                ZT = _centred(Y.exact, m, st, slice(c0, c1), ok).T
                for r0 in range(0, F, FLAT_ROWS):
                    r1 = min(r0 + FLAT_ROWS, F)
                    tile = S[: (r1 - r0) * (c1 - c0)].reshape(r1 - r0, c1 - c0)
                    np.matmul(ZX[r0:r1], ZT, out=tile)
                    tile /= m  # the Pearson correlation, 1 - D^2 / (2 m)
                    _engine.offer_flat_tile(tile, rows[r0:r1], c0, ok8, offer, excl,
                                            job.self_join, o_r, o_l, col_right, col_left, r0)
            return mine

        n = _threads.resolve(n_threads)
        n = max(1, min(n, Y.l // FLAT_BLOCK))
        cuts = [Y.l * i // n for i in range(n + 1)]
        cuts = [c - c % FLAT_BLOCK if 0 < c < Y.l else c for c in cuts]  # whole blocks
        spans = [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]
        got = _threads.each(span, spans, len(spans))
        if not own:
            continue
        for mine in got:
            for part, dst in zip(mine, tables[:2] if job.self_join else tables[:1]):
                I = part.I.reshape(F, k)
                keep = I >= 0
                _engine.insert_scored(dst, np.repeat(rows, k)[keep.ravel()], I[keep],
                                      part.P.reshape(F, k)[keep])


def _tie_candidates(I: np.ndarray, cls: np.ndarray, side: str, excl: int,
                    sizes: tuple | None = None, done: np.ndarray | None = None,
                    r0: int = 0) -> np.ndarray:
    """``I`` (l, k) widened by the windows identical to its entries (same ``cls``), the k of
    each class that come first in STUMPY's order on this side: the nearest after ``r + excl``
    ("right"), the nearest before ``r - excl`` ("left"), the lowest indices ("all").

    Identical windows are exactly as near to every row, so the kernels' choice among them is
    rounding; with each class's first k offered, the exact sort picks STUMPY's, whatever
    window of a class the kernels found.  Cost O(l k^2) when classes exist, else nothing.
    ``sizes``: _twins.sorted_members(cls), if known.  ``done``: an anytime profile's
    diagonals done (sorted), the only ones the identical windows may come from.  ``r0``: the
    row of ``I``'s first line (a range of rows finalized apart; not with ``done``)."""
    k = I.shape[1]
    sizes = _twins.sorted_members(cls) if sizes is None else sizes
    if not (sizes[2] > 1).any():
        return I  # every window unique: no ties of this kind
    if done is not None:
        if r0:
            raise ValueError("an anytime profile's rows are finalized together")
        starts = np.zeros(len(cls) + 1, dtype=np.int64)
        np.cumsum(sizes[2], out=starts[1:])
        extra = _stream.class_members_on(np.ascontiguousarray(I).ravel(), k,
                                         -1 if side == "left" else 1, done, cls, sizes[0],
                                         starts)
        return np.ascontiguousarray(np.concatenate([I, extra], axis=1))
    c = np.where(I >= 0, cls[np.maximum(I, 0)], -1)
    c[(c >= 0) & (sizes[2][np.maximum(c, 0)] < 2)] = -1  # a class of one: the entry itself
    extra = _twins.class_members(c, cls, side, excl, k, sizes, r0)
    return np.ascontiguousarray(np.concatenate([I, extra], axis=1))


def _with_twins(job: Job, cand: np.ndarray, side: str, sizes: tuple, r0: int = 0) -> np.ndarray:
    """``cand`` (rows from ``r0``) widened by each row's own twins (_twins): the first k
    windows identical to it on this side, at distance 0.  The rows they settle got no cell
    from the kernels."""
    twins = job.twins[r0 : r0 + cand.shape[0], None]
    extra = _twins.class_members(twins, job.classes[0], side, job.excl_zone, job.k, sizes, r0)
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
    if special:
        special_candidates(job, tables, n_threads, cache)
    X = job.series[0]
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
    rows = Rows(job, tables, n_threads, cache, done)
    rows.refine(0, X.l)
    return rows.result(warn, boxed)


def special_candidates(job: Job, tables: list[Table], n_threads: int | None = None,
                       cache: dict | None = None) -> None:
    """Offer the candidates the kernels leave out, constant and near-flat windows', to
    ``tables`` (the job's own, or fresh ones merged into them later, row by row).
    ``cache``: series_facts', whose window statistics the near-flat windows' need too."""
    if job.normalize:
        _constant_candidates(job, tables)
        stats = cache.get("stats") if cache is not None else None
        _flat_candidates(job, tables, n_threads, stats)


BOX_PIECE_ROWS = 16384


class Rows:
    """finalize's general path, a range of rows at a time.  Each row's result depends on its
    own rows of the tables and on the series alone, so the rows an executor has finished (a
    GPU's self-join finishes them in order, see matrix_profile) can be refined and boxed while
    it runs on; one call for all the rows is finalize's path."""

    def __init__(self, job: Job, tables: list[Table], n_threads: int | None,
                 cache: dict | None = None, done: np.ndarray | None = None):
        # each window's statistics once, not once per pair (a self-join refines both sides)
        if cache is None or "stats" not in cache:
            cache = series_facts(job, n_threads, {} if cache is None else cache)
        self.job, self.tables, self.n_threads, self.done = job, tables, n_threads, done
        self.stats, (self.cls, repeats) = cache["stats"], cache["classes"]
        self.ties = bool(repeats)  # identical windows exist (else _tie_candidates adds nothing)
        wide = self.ties if job.self_join else self.ties or job.twins is not None
        self.sizes = _twins.sorted_members(self.cls) if wide else None
        l, k = job.series[0].l, job.k
        self.I = np.empty((l, k), dtype=np.int64)
        self.D = np.empty((l, k))
        if job.self_join:
            self.left, self.right = np.empty(l, dtype=np.int64), np.empty(l, dtype=np.int64)
        else:
            self.left, self.right = np.full(l, -1, dtype=np.int64), np.full(l, -1, np.int64)
        self.cand: list = [None, None]  # candidates and their distances, (l, c) each, per step
        self.boxed = None

    def _step(self, i: int, a: int, b: int, cand: np.ndarray, stats, sides: bool) -> None:
        """_select of rows ``[a, b)``'s candidates ``cand`` (b - a, c) into I and D; each step
        keeps one (l, c) array of candidates (refine_select takes whole arrays and a range,
        and sorts the candidates in place: never a table's own)."""
        l = self.I.shape[0]
        if a == 0 and b == l and cand.flags.owndata and cand.flags.c_contiguous:
            full, scratch = cand, np.empty(cand.shape)  # all the rows at once: no copy
        else:
            if self.cand[i] is None or self.cand[i][0].shape[1] != cand.shape[1]:
                self.cand[i] = (np.empty((l, cand.shape[1]), dtype=np.int64),
                                np.empty((l, cand.shape[1])))
            full, scratch = self.cand[i]
            full[a:b] = cand
        X = self.job.series[0]
        Y = X if self.job.self_join else self.job.series[1]
        _select(self.job, X, Y, full, scratch, a, b, self.n_threads, stats, self.I, self.D,
                self.left if sides else None, self.right if sides else None)

    def refine(self, a: int, b: int) -> None:
        """Exact results of rows ``[a, b)``, whose entries in every table are final."""
        if b <= a:
            return
        job, tables, k, excl = self.job, self.tables, self.job.k, self.job.excl_zone
        stats, cls, sizes, done = self.stats, self.cls, self.sizes, self.done
        rows = [t.I.reshape(t.l, k)[a:b] for t in tables]
        if job.self_join:
            # both sides in one sorted list: distance, then the nearest in time, the left
            # first; each side's own best is then its first entry
            cand = rows[:2]
            if self.ties:
                cand = [_tie_candidates(cand[0], cls, "right", excl, sizes, done, a),
                        _tie_candidates(cand[1], cls, "left", excl, sizes, done, a)]
                if job.twins is not None:
                    cand = [_with_twins(job, cand[0], "right", sizes, a),
                            _with_twins(job, cand[1], "left", sizes, a)]
            self._step(0, a, b, np.concatenate(cand, axis=1), (stats[0], stats[0]), True)
            if len(tables) > 2:  # e.g. preSCRIMP's table: for the profile, not for left/right
                self._step(1, a, b, np.concatenate([self.I[a:b]] + rows[2:], axis=1),
                           (stats[0], stats[0]), False)
        else:
            cand = rows[0]
            if self.sizes is not None:
                cand = _tie_candidates(cand, cls, "all", 0, sizes, done, a)
                if job.twins is not None:
                    cand = _with_twins(job, cand, "all", sizes, a)
            self._step(0, a, b, cand, tuple(stats), False)
        if job.unscale != 1.0:
            self.D[a:b] *= job.unscale  # a power of two: exact

    def box(self, a: int, b: int) -> None:
        """STUMPY's object table's rows ``[a, b)``, made now (result then only wraps it).
        Boxing holds the GIL: it goes in pieces of BOX_PIECE_ROWS (about 2 ms each), between
        which an executor's thread that needs it to start its next range gets it."""
        if self.boxed is None:
            self.boxed = np.empty((self.I.shape[0], 2 * self.job.k + 2), dtype=object)
        for r in range(a, b, BOX_PIECE_ROWS):
            mparray._box_into(self.boxed, self.D, self.I, self.left, self.right, r,
                              min(b, r + BOX_PIECE_ROWS), self.n_threads)

    def result(self, warn: bool = True, boxed: bool = True):
        """The result of all the rows, refined: the mparray (boxed as it goes if :meth:`box`
        was called, else all at once), or :class:`Columns`."""
        job, D = self.job, self.D
        P0 = D[:, 0]
        # (a smallest distance of 2e-6 or more rules the warning out without the NumPy calls)
        if warn and not P0.min() >= 2e-6:
            _warn_small(P0, 5)  # (the public function's frame, as from finalize)
        if not boxed:
            return Columns(D, self.I, self.left, self.right, job.k)
        if self.boxed is not None:
            return mparray(self.boxed, job.m, job.k, EXCL_ZONE_DENOM)
        return mparray._from_columns(D, self.I, self.left, self.right, job.m, job.k,
                                     EXCL_ZONE_DENOM, self.n_threads)


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


def _warn_small(P0: np.ndarray, stacklevel: int = 4) -> None:
    """STUMPY's warning when the profile is mostly (near) zero."""
    if np.isfinite(P0).any() and (np.mean(P0[np.isfinite(P0)]) < 1e-6 or np.all(P0 < 1e-6)):
        warnings.warn(
            "A large number of values in `P` are smaller than 1e-06.\n"
            "For a self-join, try setting `ignore_trivial=True`.",
            stacklevel=stacklevel,
        )


def matrix_profile(T_A, m, T_B, ignore_trivial, normalize, p, k, A_isconstant, B_isconstant,
                   executor: Executor, n_threads: int | None = None,
                   beside: bool = False, in_rows: bool = False) -> mparray:
    """The whole pipeline with ``executor``.  ``beside``: the executor leaves the host's cores
    idle while it waits (a GPU, a Dask cluster), so the part of the exact steps that depends on
    the series alone (:func:`series_facts`) runs on another thread meanwhile, instead of after
    it (n = 2**20: about 0.07 s of 2 cores here).  ``in_rows`` (with ``beside``): the executor
    also finishes a self-join's rows in order and says so (:func:`_refined_in_rows`)."""
    job = prepare_job(T_A, m, T_B, ignore_trivial, normalize, p, k, A_isconstant, B_isconstant,
                      flat_exact=getattr(executor, "flat_exact", False))
    ntables = len(job.targets)
    if not beside or _finalizes_small(job, ntables, n_threads):
        return finalize(job, merge(job, executor(job)), n_threads)
    if in_rows and job.self_join and ntables == 2:
        return _refined_in_rows(job, executor, n_threads)
    cache: dict = {}
    # two threads, the caller's among them, one item each; an error in either (a Ctrl-C
    # included) is re-raised here once both have returned
    per_worker, _ = _threads.each(lambda run: run(), [lambda: executor(job),
                                                      lambda: series_facts(job, n_threads, cache)],
                                  2)
    return finalize(job, merge(job, per_worker), n_threads, cache=cache)


class _HostFailed(Exception):
    """Stops an executor whose results the host can no longer use (the host's error is the
    one raised)."""


def _refined_in_rows(job: Job, executor, n_threads: int | None) -> mparray:
    """A self-join whose executor finishes rows in order: it takes ``rows_done(tables, R)``,
    called with its merged tables whose rows ``[0, R)`` are final (R never falls; first with
    R = 0 once the job is settled, before any cell).  In a self-join's upper triangle row r's
    right entries come from its own cells and its left ones from earlier rows' cells, so an
    executor that runs the rows in ranges can say so after each.  The host, meanwhile, refines
    and boxes the rows said final (:class:`Rows`), so that what waits for the last cell is the
    last range's share of the exact steps, not all of them.  The result is the same as
    finalize's: each row's depends on its own rows of the tables."""
    events: queue.SimpleQueue = queue.SimpleQueue()
    failed: list[BaseException] = []
    l = job.series[0].l

    def rows_done(tables: list[Table], R: int) -> None:
        if failed:
            raise _HostFailed
        events.put((tables, R))

    def run() -> list[list[Table]]:
        try:
            return executor(job, rows_done=rows_done)
        finally:
            events.put(None)  # the host stops waiting, whatever happened

    def host() -> Rows | None:
        try:
            cache = series_facts(job, n_threads, {})  # while the executor starts
            first = events.get()
            if first is None:
                return None  # the executor failed: its error is raised
            tables, done = first
            # constant and near-flat windows' candidates, into tables of their own: the
            # executor is still writing the job's (merged in below, a range at a time)
            extra = job.new_tables()
            special_candidates(job, extra, n_threads, cache)
            rows = Rows(job, tables, n_threads, cache)
            while done < l:
                got = [events.get()]
                while not events.empty():  # take every range said final meanwhile at once
                    got.append(events.get())
                if got[-1] is None:
                    if len(got) == 1:
                        return None
                    got.pop()
                    events.put(None)  # (seen again on the next turn)
                R = got[-1][1]
                if R > done:
                    for t, x in zip(tables, extra):
                        _engine.merge_into(t.rows(done, R), x.rows(done, R))
                    rows.refine(done, R)
                    rows.box(done, R)
                    done = R
            return rows
        except BaseException as exc:
            failed.append(exc)
            raise

    try:
        _, rows = _threads.each(lambda part: part(), [run, host], 2)
    except _HostFailed:
        raise failed[0] from None
    if rows is None:
        raise RuntimeError("mpcore: the executor ended before every row was final")
    return rows.result()
