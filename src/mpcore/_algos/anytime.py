"""Anytime matrix profiles: ``scrump``/``scraamp`` (SCRIMP) and ``prescrump``/``prescraamp``.

``scrump`` is the band engine run over a chosen subset of diagonals: each ``update()`` runs the
next chunk of diagonals, drawn in STUMPY's random order from NumPy's global random state, as
bands one diagonal wide on all threads, into top-k tables kept between updates.  The profile is
then refined exactly (as in ``stump``), so every reported distance is the exact distance to the
reported neighbour: an upper bound of the true profile, reaching it once every diagonal is done.
``prescrump`` (preSCRIMP) lives in the compiled module ``_stream``; here it is only wired to the
pipeline's tables and exact refinement.
"""
from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

from .. import _config, _engine, _stream, _threads, _twins, _validate
from .._exact import window_stats
from .._pipeline import _refine, finalize, merge, run_threads
from .._prepare import EXCL_ZONE_DENOM, Job, Table, _plan_bands, prepare_job


def _chunk_ranges(counts: np.ndarray, n_chunks: int) -> np.ndarray:
    """STUMPY's split of the diagonals into ``n_chunks`` runs of about equal distance counts:
    run j ends where the cumulative share of distances first exceeds j / n_chunks; when two
    boundaries coincide, the runs from there on are merged into one (STUMPY truncates)."""
    ranges = np.zeros((n_chunks, 2), dtype=np.int64)
    n = counts.shape[0]
    if n == 0 or n_chunks <= 0:
        return ranges
    share = np.cumsum(counts) / counts.sum()
    cuts = 1 + np.searchsorted(share, np.linspace(0, 1, n_chunks + 1)[1:-1])
    ranges[1:, 0] = cuts
    ranges[:-1, 1] = cuts
    ranges[-1, 1] = n
    gaps = np.diff(cuts)
    if np.any(gaps == 0):
        keep = int(np.argmin(gaps)) + 2
        ranges = ranges[:keep]
        ranges[-1, 1] = n
    return ranges


def _diagonal_counts(diags: np.ndarray, l_A: int, l_B: int) -> np.ndarray:
    """Pairs on each diagonal g (cells (i, i + g)) of an l_A x l_B distance matrix."""
    return np.where(diags >= 0, np.minimum(l_B - diags, l_A), np.minimum(l_B, l_A + diags))


def _twin_candidates(job: Job, tables: list[Table], diags: np.ndarray, twins) -> None:
    """Offer the pairs of identical windows on ``diags`` at the score +inf, before the kernels
    run them (_stream.twin_pairs): a row that then holds k of them (its best possible, in
    STUMPY's order among the diagonals done) gets its threshold at +inf, and no cell."""
    rows, cls, members, starts = twins
    g = np.unique(np.asarray(diags, dtype=np.int64))  # sorted: the tables' order of ties
    if not len(g):
        return
    _stream.twin_pairs(tables[0], 1, g, rows, cls, members, starts)
    if job.self_join:  # the left table: row c, candidates r = c - g
        _stream.twin_pairs(tables[1], -1, g, rows, cls, members, starts)


def _special_candidates(job: Job, tables: list[Table], diags: np.ndarray) -> None:
    """Offer the pairs on ``diags`` that the kernels skip (constant or near-flat windows, which
    ``finalize`` would otherwise offer on every diagonal), with the scores STUMPY gives them.

    Pairs holding a constant window have fixed scores, and of each score only a row's first k
    in its table's order can enter it: _stream.fixed_score_pairs offers just those.  Pairs of
    near-flat windows with others (neither constant) get their correlation, computed directly
    in blocks of bounded size."""
    m = job.m
    X = job.series[0]
    Y = X if job.self_join else job.series[1]
    flat_x = np.zeros(X.l, dtype=bool)
    flat_x[X.flat] = True
    flat_y = np.zeros(Y.l, dtype=bool)
    flat_y[Y.flat] = True
    if not (X.const.any() or Y.const.any() or flat_x.any() or flat_y.any()) or not len(diags):
        return
    g = np.unique(np.asarray(diags, dtype=np.int64))  # sorted: the tables' order of ties
    vx, vy = X.valid.view(np.uint8), Y.valid.view(np.uint8)
    _stream.fixed_score_pairs(tables[0], 1, g, X.const, vx, Y.const, vy)
    if job.self_join:  # the left table: row c, candidates r = c - g
        _stream.fixed_score_pairs(tables[1], -1, g, Y.const, vy, X.const, vx)
    # near-flat windows against the other non-constant ones: (r, r + g) from each flat row,
    # and (c - g, c) from each flat column whose row is not flat (each pair once)
    ok_x = X.valid & (X.const == 0)
    ok_y = Y.valid & (Y.const == 0)
    rows_x = np.flatnonzero(flat_x & ok_x)
    cols_y = np.flatnonzero(flat_y & ok_y)
    if not len(rows_x) and not len(cols_y):
        return
    wx = np.lib.stride_tricks.sliding_window_view(X.exact, m)
    wy = np.lib.stride_tricks.sliding_window_view(Y.exact, m)
    step = max(1, (1 << 20) // len(g))  # windows per block: about a million pairs at most
    for rows, from_y in ((rows_x, False), (cols_y, True)):
        for a in range(0, len(rows), step):
            part = rows[a : a + step]
            if from_y:
                c = np.repeat(part, len(g))
                r = c - np.tile(g, len(part))
            else:
                r = np.repeat(part, len(g))
                c = r + np.tile(g, len(part))
            keep = (r >= 0) & (r < X.l) & (c >= 0) & (c < Y.l)
            r, c = r[keep], c[keep]
            keep = ok_x[r] & ok_y[c]
            if from_y:
                keep &= ~flat_x[r]  # (a flat row offered it already)
            r, c = r[keep], c[keep]
            if not len(r):
                continue
            x = wx[r] - wx[r].mean(axis=1, keepdims=True)
            y = wy[c] - wy[c].mean(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                score = np.sum(x * y, axis=1) / np.sqrt(np.sum(x * x, axis=1) *
                                                        np.sum(y * y, axis=1))
            score = np.where(np.isfinite(score), score, -np.inf)
            # (unique: the profile may hold the pair already, from preSCRIMP)
            _engine.insert_scored(tables[0], r, c, score, True)
            if job.self_join:
                _engine.insert_scored(tables[1], c, r, score, True)


class _DiagonalJob:
    """One update's diagonals as the pipeline's executor (``run_threads``) sees a job: groups of
    up to ``_engine.BAND`` scattered diagonals of one pass, each group one work item run by the
    band kernels' diagonal-list entry (a family's own worker; merge and refine are shared).

    Cells (i, i + g) are diagonal g >= 0 of the pass (A, B), or -g of the pass (B, A)."""

    def __init__(self, job: Job, diags: np.ndarray, n_threads, into: list[Table] | None = None,
                 floor: list[np.ndarray] | None = None):
        self._job = job
        self._into = into
        self._floor = floor
        self.series = job.series
        passes = (diags < 0).astype(np.int64)
        d = np.abs(diags).astype(np.int64)
        lens = np.array([s.l for s in job.series], dtype=np.int64)
        rows = np.minimum(lens[job.passes[passes, 0]], lens[job.passes[passes, 1]] - d)
        order = np.lexsort((d, -rows, passes))  # by pass, then longest first
        self.diags = np.ascontiguousarray(d[order])
        passes, rows = passes[order], rows[order]
        # enough groups that the threads share the work (longest first, taken dynamically),
        # few enough that each group's rows are reused by many diagonals
        n = max(1, _threads.resolve(n_threads))
        size = int(min(_engine.BAND, max(1, -(-len(d) // (8 * n)))))
        starts = []
        for ps in range(2):
            at = np.flatnonzero(passes == ps)
            if len(at):
                starts.extend(range(int(at[0]), int(at[-1]) + 1, size))
        starts = np.array(starts, dtype=np.int64)
        ends = np.minimum(starts + size, len(d))
        ends = np.minimum(ends, np.searchsorted(passes, passes[starts], side="right"))
        groups = np.stack([passes[starts] if len(starts) else starts, starts, ends], axis=1)
        cells = np.add.reduceat(np.maximum(rows, 0), starts) if len(starts) else starts
        self.bands = np.ascontiguousarray(groups[np.argsort(-cells, kind="stable")],
                                          dtype=np.int64)

    def new_tables(self) -> list[Table]:
        """Fresh tables for each worker, except ``into`` for the first (see _Anytime.update).
        Their thresholds start at ``floor``, the profile's so far: a cell below its row's
        k-th best cannot enter the profile (and a row the twins settled, at +inf, gets none)."""
        if self._into is not None:
            tables, self._into = self._into, None
            return tables
        tables = self._job.new_tables()
        for table, floor in zip(tables, self._floor or ()):
            table.thr[:] = floor
        return tables

    def run_worker(self, bands, counters, tables, cancel) -> bool:
        job = self._job
        return _engine.run_worker_diags(_config.kernel_index(), job.mode, job.m, job.p,
                                        job.reseed, job.series, job.passes, self.diags, bands,
                                        counters, tables, cancel)


class _Anytime(_threads.Guarded):
    """The one implementation behind ``scrump`` and ``scraamp``; its updates and profile hold
    the object's lock (_threads.Guarded)."""

    def _setup(self, T_A, m, T_B, ignore_trivial, percentage, pre_scrump, s, normalize, p, k,
               A_isconstant, B_isconstant, n_threads):
        pre_scrump = _validate.check_bool(pre_scrump, "pre_scrump")
        if isinstance(percentage, (bool, np.bool_)) or not isinstance(
                percentage, (int, float, np.integer, np.floating)):
            raise TypeError(f"percentage must be a number in (0, 1], got {percentage!r}")
        if not percentage > 0:  # also rejects NaN
            raise ValueError(f"percentage must be in (0, 1], got {percentage!r}")
        self._n_threads = None if n_threads is None else _threads._check(n_threads, "n_threads")
        # (no seeds: those of stump assume every diagonal is searched)
        job = prepare_job(T_A, m, T_B, ignore_trivial, normalize, p, k, A_isconstant,
                          B_isconstant, seeds=False)
        self._job = job
        m = job.m
        l_A = job.series[0].l
        l_B = l_A if job.self_join else job.series[1].l
        excl = job.excl_zone
        if s is None:
            s = excl
        # identical windows: each update offers those on its diagonals first (_twin_candidates)
        job.classes, twins = _twins.twin_classes(job)  # (finalize reuses the classes)
        self._twins = None
        if twins is not None:
            self._twins = (twins, job.classes[0]) + _twins.class_index(job.classes[0])
        self._tables = job.new_tables()
        if pre_scrump:
            extra = _prescrump_table(job, s, self._n_threads)
            if job.self_join:
                self._tables.append(extra)
            else:
                _engine.merge_unique(self._tables[0], extra)
        # every pair of all-zero windows (p-norms) on an update's diagonals is offered by
        # _twin_candidates, so the kernels' rounding bound may leave them out (band.h)
        for series in job.series:
            series.zeros_settled = True
        if job.self_join:
            diags = np.random.permutation(np.arange(excl + 1, l_A, dtype=np.int64))
            if diags.shape[0] == 0:
                raise ValueError(
                    f"The window size, `m = {m}`, is too long for a self join. Please try a "
                    f"value of `m <= {_max_window(job.series[0].exact.shape[0])}`")
        else:
            diags = np.random.permutation(np.arange(-l_A + 1, l_B, dtype=np.int64))
        self._diags = diags
        n_chunks = int(math.ceil(1.0 / float(percentage)))
        self._ranges = _chunk_ranges(_diagonal_counts(diags, l_A, l_B), n_chunks)
        self._chunk = 0
        self._result = None

    @_threads.locked
    def update(self):
        """Compute the next chunk of diagonals and fold it into the profile.

        A chunk holds about ``percentage`` of all distances; once every diagonal is done, a
        call does nothing.
        """
        if self._chunk >= len(self._ranges):
            return
        a, b = self._ranges[self._chunk]
        diags = self._diags[a:b]
        job = self._job
        # k = 1: the first worker offers straight into the profile so far (no tables to fill
        # and merge, and the best so far prunes from the start).  A pair found before (by
        # preSCRIMP in an AB-join's table, or by an update that was interrupted) can only keep
        # its index then; with k > 1 it would take a second place, so the tables are merged
        # skipping the indices a row already holds.
        targets = self._tables[: len(job.targets)]
        if self._twins is not None:
            _twin_candidates(job, targets, diags, self._twins)
        into = targets if job.k == 1 else None
        floor = [t.thr.copy() for t in targets]
        per_worker = run_threads(_DiagonalJob(job, diags, self._n_threads, into, floor),
                                 n_threads=self._n_threads)
        if into is not None:
            per_worker = per_worker[1:]
        if per_worker:
            for dst, src in zip(self._tables, merge(job, per_worker)):
                _engine.merge_unique(dst, src)  # an AB-join's table may hold preSCRIMP's pairs
        if job.normalize:
            _special_candidates(job, self._tables, diags)
        self._chunk += 1
        self._result = None

    def __getstate__(self):
        # what _profile keeps is recomputed after loading: a pickle holds the search's state
        state = super().__getstate__()
        state.pop("_final_cache", None)
        state["_result"] = None
        return state

    @_threads.locked
    def _profile(self):
        if self._result is None:
            # typed columns (the attributes are arrays: no object table to box and unbox);
            # the windows' statistics and classes are kept for the next update's profile
            cache = self.__dict__.setdefault("_final_cache", {})
            done = np.sort(self._diags[: self._ranges[self._chunk - 1, 1]] if self._chunk
                           else self._diags[:0])
            self._result = finalize(self._job, self._tables, self._n_threads, special=False,
                                    warn=False, boxed=False, cache=cache, done=done)
        return self._result

    @property
    def P_(self):
        """The (top-k) matrix profile so far: 1-D when k == 1, else (l, k); float64."""
        return self._profile().P_

    @property
    def I_(self):
        """The (top-k) matrix profile indices so far: 1-D when k == 1, else (l, k); int64."""
        return self._profile().I_

    @property
    def left_I_(self):
        """Left (top-1) matrix profile indices so far (self-join; -1 in an AB-join)."""
        return self._profile().left_I_

    @property
    def right_I_(self):
        """Right (top-1) matrix profile indices so far (self-join; -1 in an AB-join)."""
        return self._profile().right_I_


def _max_window(n: int) -> int:
    """The largest m whose self-join has at least one diagonal outside the exclusion zone."""
    return int(math.floor((n + 1) / (1 + 1 / EXCL_ZONE_DENOM) - 1)) if n > 0 else 0


class scrump(_Anytime):
    """An anytime z-normalized matrix profile (SCRIMP, and SCRIMP++ with ``pre_scrump=True``).

    Parameters
    ----------
    T_A : array_like
        The time series for which to compute the matrix profile.
    m : int
        Window size.
    T_B : array_like, optional
        The series used to annotate ``T_A`` (AB-join); None for a self-join.
    ignore_trivial : bool, default True
        True for a self-join (exclusion zone ``ceil(m / 4)``), False for an AB-join.
    percentage : float, default 0.01
        Share of the distances each :meth:`update` computes, in (0, 1].
    pre_scrump : bool, default False
        Run :func:`prescrump` first (SCRIMP++).
    s : int, optional
        The sampling interval of preSCRIMP; default the exclusion zone ``ceil(m / 4)``.
    normalize : bool, default True
        False gives the non-normalized p-norm profile (see :class:`scraamp`).
    p : float, default 2.0
        The p-norm, used only when ``normalize=False``.
    k : int, default 1
        Number of nearest neighbours per window.
    T_A_subseq_isconstant, T_B_subseq_isconstant : array_like of bool or callable, optional
        Which windows are constant (see :func:`mpcore.stump`).
    n_threads : int, optional
        Worker threads for each update; default all cores.

    Attributes
    ----------
    P_, I_ : numpy.ndarray
        The (top-k) profile and indices so far (1-D when k == 1).  Each distance is the exact
        distance to its neighbour, so never below the true profile.
    left_I_, right_I_ : numpy.ndarray
        Left and right (top-1) indices so far (self-join; -1 in an AB-join).

    Notes
    -----
    The diagonals are drawn with ``np.random.permutation`` from NumPy's global random state in
    STUMPY's order, so seeding ``np.random`` reproduces STUMPY's chunks.  ``percentage`` must be
    positive (STUMPY divides by it).  The object pickles, so a computation can be resumed.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.array([584., -11., 23., 79., 1001., 0., -19.])
    >>> approx = mpcore.scrump(T, m=3, percentage=1.0)
    >>> approx.update()
    >>> approx.I_
    array([4, 3, 0, 1, 0])
    """

    def __init__(self, T_A, m, T_B=None, ignore_trivial=True, percentage=0.01, pre_scrump=False,
                 s=None, normalize=True, p=2.0, k=1, T_A_subseq_isconstant=None,
                 T_B_subseq_isconstant=None, *, n_threads=None):
        normalize = _validate.check_bool(normalize, "normalize")
        self._setup(T_A, m, T_B, ignore_trivial, percentage, pre_scrump, s, normalize, p, k,
                    T_A_subseq_isconstant if normalize else None,
                    T_B_subseq_isconstant if normalize else None, n_threads)


class scraamp(_Anytime):
    """An anytime non-normalized (p-norm) matrix profile.

    :class:`scrump` without z-normalization.

    Parameters
    ----------
    T_A : array_like
        The time series for which to compute the matrix profile.
    m : int
        Window size.
    T_B : array_like, optional
        The series used to annotate ``T_A`` (AB-join); None for a self-join.
    ignore_trivial : bool, default True
        True for a self-join, False for an AB-join.
    percentage : float, default 0.01
        Share of the distances each :meth:`update` computes, in (0, 1].
    pre_scraamp : bool, default False
        Run :func:`prescraamp` first.
    s : int, optional
        The sampling interval of preSCRIMP; default ``ceil(m / 4)``.
    p : float, default 2.0
        The p-norm.
    k : int, default 1
        Number of nearest neighbours per window.
    n_threads : int, optional
        Worker threads for each update; default all cores.

    Attributes
    ----------
    P_, I_, left_I_, right_I_ : numpy.ndarray
        As in :class:`scrump`.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.array([584., -11., 23., 79., 1001., 0., -19.])
    >>> approx = mpcore.scraamp(T, m=3, percentage=1.0)
    >>> approx.update()
    >>> approx.I_  # percentage=1.0: the exact profile, as aamp's
    array([4, 3, 0, 1, 0])
    >>> print(approx.P_.round(3))
    [ 419.254  985.305 1131.064  985.305  419.254]
    """

    def __init__(self, T_A, m, T_B=None, ignore_trivial=True, percentage=0.01,
                 pre_scraamp=False, s=None, p=2.0, k=1, *, n_threads=None):
        self._setup(T_A, m, T_B, ignore_trivial, percentage, pre_scraamp, s, False, p, k, None,
                    None, n_threads)


def _check_s(s, default: int) -> int:
    if s is None:
        return default
    s = _validate.check_int(s, "s")
    if s < 1:
        raise ValueError(f"s must be a positive int, got {s}")
    return s


def _side(series, m: int, normalize: bool, cls: np.ndarray | None = None) -> dict:
    """One series as the preSCRIMP loops see it: like the kernels', but near-flat windows keep
    their inverse norm (they are ranked here; their distances are refined exactly anyway).
    ``cls``: the classes of identical windows (the rows' twins, or the columns' classes; see
    _twins.twin_classes), whose pairs score +inf, as _sampled_twins offers them."""
    if normalize:
        Tk = series.T[: series.l + m - 1]
        mu, ssd = window_stats(np.ascontiguousarray(Tk), m)
        usable = series.valid & (series.const == 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(usable, 1.0 / np.sqrt(ssd), np.nan)
    else:
        mu = np.zeros(series.l)
        w = np.ones(series.l)
    return {"T": series.T, "mu": np.ascontiguousarray(mu), "w": np.ascontiguousarray(w),
            "const": series.const, "valid": series.valid.astype(np.uint8),
            "cls": None if cls is None else np.ascontiguousarray(cls, dtype=np.int64)}


class _SampledJob:
    """preSCRIMP's distance profiles as the pipeline's executor sees a job: the band kernels
    over every diagonal, scoring only the cells of sampled windows (the multiples of ``s``).

    Self-join, z-normalized: tables [nearest (k = 1), offers (k)] and one pass of the series
    with itself, its samples marked (``Series.sample``): a sampled row's cells give its best
    on its right (nearest) and offer it to every later window (offers); a sampled column's
    cells give its best on its left and offer it to every earlier window.  So every pair
    holding a sampled window is scored once, and the recurrence runs once.
    Otherwise the samples are marked by NaN inverse norms (the kernels' mark of a window to
    skip) in a copy of the series: the pass (sampled, all) scores the sampled rows, the pass
    (all, sampled) the sampled columns, which are marked too, so only they are scored.
    AB-join: table [nearest (k = 1)], the sampled rows of A against all of B (both passes)."""

    def __init__(self, job: Job, s: int, floor: list[Table] | None = None):
        # (every pair of identical windows is offered first (_sampled_twins, ``floor``), so
        # the p-norm kernels' rounding bound may leave all-zero windows' pairs out: band.h)
        X = dataclasses.replace(job.series[0], zeros_settled=True)
        w = np.full_like(X.w, np.nan)
        w[: X.l : s] = X.w[: X.l : s]
        self._floor = floor
        self.mode, self.m, self.p, self.reseed = job.mode, job.m, job.p, job.reseed
        self._l, self._k = X.l, job.k
        first = job.excl_zone + 1
        if job.self_join and job.normalize:
            self.series = [dataclasses.replace(X, sample=s)]
            self.passes = np.array([[0, 0, 0, 1, 1, 0]], dtype=np.int64)
            diags = np.array([[first, max(first, X.l)]], dtype=np.int64)
        elif job.self_join:  # (the p-norm kernels do not take sampled rows)
            self.series = [X, dataclasses.replace(X, w=w, sample=s)]
            self.passes = np.array([[1, 0, 0, 1, -1, -1], [0, 1, -1, -1, 1, 0]], dtype=np.int64)
            diags = np.array([[first, max(first, X.l)]] * 2, dtype=np.int64)
        else:
            Y = dataclasses.replace(job.series[1], zeros_settled=True)
            self.series = [dataclasses.replace(X, w=w, sample=s), Y]
            self.passes = np.array([[0, 1, 0, -1, -1, -1], [1, 0, -1, -1, -1, 0]],
                                   dtype=np.int64)
            diags = np.array([[0, Y.l], [1, max(1, X.l)]], dtype=np.int64)
        self._self_join = job.self_join
        self.bands = _plan_bands(self.passes, diags, self.series)

    def new_tables(self) -> list[Table]:
        """Each worker's tables; their thresholds start at ``floor``'s (a row holding enough
        identical windows, at +inf, gets no cell)."""
        tables = [Table(self._l, 1)]
        if self._self_join:
            tables.append(Table(self._l, self._k))
        for table, floor in zip(tables, self._floor or ()):
            table.thr[:] = floor.thr
        return tables


def _lowest_outside(rows, c, ms, ks, L: int, excl: int, q: int) -> tuple:
    """For each row, the q-th (from 0) lowest member of its class ``c`` outside
    [row - excl, row + excl] (anywhere when excl < 0): ``ms``, the members sorted by class then
    index, ``ks`` their keys ``class * L + index``.  Returns (the rows that have one, it)."""
    base = np.searchsorted(ks, c * L)
    end = np.searchsorted(ks, (c + 1) * L)
    low = np.searchsorted(ks, c * L + np.maximum(rows - excl, 0)) if excl >= 0 else end
    high = np.searchsorted(ks, c * L + rows + excl + 1) if excl >= 0 else end
    pos = np.where(base + q < low, base + q, high + (q - (low - base)))
    ok = pos < end
    return rows[ok], ms[pos[ok]]


def _sampled_twins(job: Job, s: int, classes, twins, sizes: tuple) -> list[Table]:
    """preSCRIMP's pairs of identical windows, each table's first in its order at the score
    +inf (as _SampledJob.new_tables makes them): a sampled window's nearest, the lowest
    identical window beyond the exclusion zone; and in a self-join, each window's first k
    identical sampled windows (the multiples of ``s``), the lowest beyond the exclusion zone.
    Left to the kernels, each such pair ties the row's best and takes their rare path (sparse
    counts: 6x a random walk's time)."""
    X = job.series[0]
    tables = [Table(X.l, 1)] + ([Table(X.l, job.k)] if job.self_join else [])
    cls = classes[0]
    L = len(cls) + 1
    members, key, _ = sizes
    excl = job.excl_zone if job.self_join else -1

    def first(rows, ms, ks, k, table):
        for q in range(k):
            got_rows, got = _lowest_outside(rows, twins[rows], ms, ks, L, excl, q)
            if not len(got):
                break
            _engine.insert_scored(table, got_rows, got, np.full(len(got), np.inf))

    samples = np.arange(0, X.l, s, dtype=np.int64)
    first(samples[twins[samples] >= 0], members, key, 1, tables[0])
    if job.self_join:
        sampled = members % s == 0
        first(np.flatnonzero(twins >= 0), members[sampled], key[sampled], job.k, tables[1])
    return tables


def _lowest_nearest(job: Job, nn: Table, classes, sizes: tuple | None) -> None:
    """Each sampled row's nearest (``nn``, k = 1) made the lowest of the windows identical to
    it beyond the exclusion zone: all are exactly as near, and preSCRIMP takes the first of
    equal distances (np.argmin), while the kernels' rounded scores may have picked any; the
    diagonal walked from it, and so the profile, follow the choice."""
    cls, repeats = classes
    if not repeats:
        return
    rows = np.flatnonzero(nn.I >= 0)
    c = cls[nn.I[rows]]
    rows, c = rows[c >= 0], c[c >= 0]
    if not len(rows):
        return
    members, key, size = sizes
    keep = size[c] > 1
    rows, c = rows[keep], c[keep]
    got_rows, got = _lowest_outside(rows, c, members, key, len(cls) + 1,
                                    job.excl_zone if job.self_join else -1, 0)
    nn.I[got_rows] = got


def _special(series) -> np.ndarray:
    """Windows the band kernels skip although they have a distance: constant or near-flat."""
    sp = series.const.astype(bool)
    sp[series.flat] = True
    return sp & series.valid


def _in_threads(fn, parts: list) -> None:
    """Run fn(*args) for each args of ``parts`` on mpcore's worker pool (the calls release the
    GIL; the caller's thread among them); the first error is re-raised."""
    _threads.each(lambda args: fn(*args), parts, len(parts))


def _prescrump_table(job: Job, s, n_threads) -> Table:
    """preSCRIMP's candidates in a top-k table of T_A's windows (scores, not yet refined).
    The sampled rows are drawn as STUMPY draws them (one ``np.random.permutation``).

    The sampled rows' distance profiles come from the band kernels (``_SampledJob``, on all
    threads), the pairs holding a constant or near-flat window from ``_stream``'s direct
    scores; each sampled row's best match, and the pairs within ``s`` of it along its
    diagonal, are then offered in STUMPY's sample order.  Each pair is scored the same way
    whichever thread finds it, so the table is the same for any thread count."""
    X = job.series[0]
    Y = X if job.self_join else job.series[1]
    s = _check_s(s, job.excl_zone if job.self_join else math.ceil(job.m / EXCL_ZONE_DENOM))
    # np.arange rather than STUMPY's range: the same array, so the same draw, 8x faster
    samples = np.random.permutation(np.arange(0, X.l, s, dtype=np.int64))
    classes, twins = _twins.twin_classes(job)
    # the classes sorted once (_twins.sorted_members), for the twins and the nearest
    sizes = _twins.sorted_members(classes[0]) if classes[1] or twins is not None else None
    floor = None if twins is None else _sampled_twins(job, s, classes, twins, sizes)
    plan = _SampledJob(job, s, floor)
    tables = merge(plan, run_threads(plan, n_threads=n_threads))
    if floor is not None:  # (the kernels' own offers of the same pairs are dropped)
        for dst, src in zip(floor, tables):
            _engine.merge_unique(dst, src)
        tables = floor
    nn = tables[0]
    offer = tables[1] if job.self_join else Table(X.l, job.k)
    sx = _side(X, job.m, job.normalize, twins)
    sy = sx if Y is X else _side(Y, job.m, job.normalize, None if twins is None else classes[0])
    excl = job.excl_zone if job.self_join else -1
    spx = _special(X)
    special_y = np.flatnonzero(_special(Y)).astype(np.int64)
    if job.normalize and (spx.any() or len(special_y)):
        n = max(1, min(_threads.resolve(n_threads), len(samples)))
        parts = [np.ascontiguousarray(np.sort(part)) for part in np.array_split(samples, n)]
        own = [[Table(X.l, 1), Table(X.l, job.k)] for _ in parts]
        _in_threads(_stream.prescrump_special,
                    [(sx, sy, job.m, job.mode, job.p, part, spx.astype(np.uint8), special_y,
                      excl, t[0], t[1]) for part, t in zip(parts, own)])
        for t in own:
            _engine.merge_into(nn, t[0])
            if job.self_join:
                _engine.merge_unique(offer, t[1])
    _lowest_nearest(job, nn, classes, sizes)
    _stream.prescrump_pairs(sx, sy, job.m, job.mode, job.p, samples, s, excl, nn.I, nn.P, offer)
    return offer


def _prescrump(T_A, m, T_B, s, normalize, p, k, A_isconstant, B_isconstant, n_threads):
    with warnings.catch_warnings():  # STUMPY's prescrump checks no ignore_trivial
        warnings.simplefilter("ignore")
        job = prepare_job(T_A, m, T_B, T_B is None, normalize, p, k, A_isconstant, B_isconstant,
                          seeds=False)  # (its own tables take no seeds)
    table = _prescrump_table(job, s, n_threads)
    X = job.series[0]
    Y = X if job.self_join else job.series[1]
    I = table.I.reshape(X.l, job.k).copy()
    D = np.empty((X.l, job.k))
    _refine(job, X, Y, I, D, n_threads)
    if job.unscale != 1.0:
        D *= job.unscale
    if job.k == 1:
        return D[:, 0].copy(), I[:, 0].copy()
    return D, I


def prescrump(T_A, m, T_B=None, s=None, normalize=True, p=2.0, k=1, T_A_subseq_isconstant=None,
              T_B_subseq_isconstant=None, *, n_threads=None):
    """Approximate (top-k) z-normalized matrix profile by preSCRIMP.

    Every ``s``-th window (in a random order drawn from NumPy's global random state, as STUMPY
    draws it) gets its full distance profile; its nearest neighbour and the pairs along that
    diagonal within ``s`` of it are offered to the windows concerned (and, in a self-join, the
    whole profile to every window).  Distances are then computed exactly.

    Parameters
    ----------
    T_A : array_like
        The time series for which to compute the profile.
    m : int
        Window size.
    T_B : array_like, optional
        The series used to annotate ``T_A`` (AB-join); None for a self-join.
    s : int, optional
        Sampling interval; default ``ceil(m / 4)`` (the exclusion zone).
    normalize : bool, default True
        False gives :func:`prescraamp`.
    p : float, default 2.0
        The p-norm, used only when ``normalize=False``.
    k : int, default 1
        Number of nearest neighbours per window.
    T_A_subseq_isconstant, T_B_subseq_isconstant : array_like of bool or callable, optional
        Which windows are constant (see :func:`mpcore.stump`).
    n_threads : int, optional
        Worker threads; default all cores.

    Returns
    -------
    P : numpy.ndarray
        Approximate (top-k) profile, exact distances of the neighbours found (never below the
        true profile); 1-D when k == 1, else (l, k).
    I : numpy.ndarray
        Their indices, -1 where none was found.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> np.random.seed(0)  # the sampled rows come from NumPy's global random state
    >>> T = np.array([584., -11., 23., 79., 1001., 0., -19.])
    >>> P, I = mpcore.prescrump(T, m=3)  # a short series: every row is sampled
    >>> I
    array([4, 3, 0, 1, 0])
    >>> print(P.round(3))
    [0.116 2.694 3.    2.694 0.116]
    """
    normalize = _validate.check_bool(normalize, "normalize")
    return _prescrump(T_A, m, T_B, s, normalize, p, k,
                      T_A_subseq_isconstant if normalize else None,
                      T_B_subseq_isconstant if normalize else None, n_threads)


def prescraamp(T_A, m, T_B=None, s=None, p=2.0, k=1, *, n_threads=None):
    """Approximate (top-k) non-normalized (p-norm) matrix profile by preSCRIMP.

    Parameters
    ----------
    T_A : array_like
        The time series for which to compute the profile.
    m : int
        Window size.
    T_B : array_like, optional
        The series used to annotate ``T_A`` (AB-join); None for a self-join.
    s : int, optional
        Sampling interval; default ``ceil(m / 4)``.
    p : float, default 2.0
        The p-norm.
    k : int, default 1
        Number of nearest neighbours per window.
    n_threads : int, optional
        Worker threads; default all cores.

    Returns
    -------
    P : numpy.ndarray
        Approximate (top-k) profile, as in :func:`prescrump`.
    I : numpy.ndarray
        Their indices, -1 where none was found.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> np.random.seed(0)
    >>> T = np.array([584., -11., 23., 79., 1001., 0., -19.])
    >>> P, I = mpcore.prescraamp(T, m=3)
    >>> I
    array([4, 3, 0, 1, 0])
    >>> print(P.round(3))
    [ 419.254  985.305 1131.064  985.305  419.254]
    """
    return _prescrump(T_A, m, T_B, s, False, p, k, None, None, n_threads)
