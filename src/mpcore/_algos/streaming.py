"""Streaming matrix profiles: ``stumpi`` / ``aampi`` (incremental self-join, STUMPY 1.14).

The state lives in preallocated buffers (series, window statistics, dot products, profile),
with a live region that moves forward on egress and is compacted to the front when it reaches
the end, or doubled when it grows: no per-point reallocation.  Updates are compiled
(``_stream.StreamBlock``, GIL released): each new window's sliding values (z-normalized:
co-moments, the windows' deviations from their means, by the batch kernels' recurrence;
p-norms with p = 1 or 2: the sums of |differences|^p) are updated from the previous ones (O(l)
a point; other p compute every distance), and only rows whose approximate distance comes
within a rounding bound of their k-th best get an exact distance, so every stored distance is
exact.  A
block of points is split by windows over the threads, each advancing its windows through all
the block's points (``_kernels/stream_block.h``).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _stream, _threads, _validate
from .._prepare import EXCL_ZONE_DENOM


# A block is split by windows over the threads (each part advances its windows through all the
# block's points): a part of fewer windows than this costs more in hand-over and in the columns
# each part replays on its left (as many as the block has points) than a second thread saves.
_MIN_PART = 16384
# Fewer points than this are never split (one point: the per-update cost is Python's).
_MIN_POINTS_THREADED = 16
# Points per compiled block: bounds the scratch (parts x points x k) and each part's replayed
# columns, and how long a Ctrl-C waits.
_MAX_BLOCK = 1024
# Windows per tile: a tile's statistics and dot products stay in L2 for all of a block's points.
_TILE = 2048
# The state's buffers, one entry a point, and one entry a window (moved together by _make_room)
_POINT_BUFFERS = ("_Tbuf", "_Tcbuf", "_fin")
_WINDOW_BUFFERS = ("_mu", "_sig", "_isig", "_cst", "_wvalid", "_ss", "_QT", "_QE", "_ztbuf",
                   "_rss", "_sbar", "_cbar", "_cgbar", "_czbar", "_sgbar", "_df", "_dg", "_mc",
                   "_Pbuf", "_Ibuf", "_left_Pbuf", "_left_Ibuf")
# Those the co-moments and the p-norms' runs of identical windows brought (2026-11-29): a pickle
# of an earlier mpcore lacks them, and unpickling makes them afresh (_Incremental.__setstate__)
_ADDED_BUFFERS = ("_cbar", "_cgbar", "_czbar", "_sgbar", "_df", "_dg", "_mc")


def _center_scale(values: np.ndarray, normalize: bool,
                  shift: bool = True) -> tuple[float, float]:
    """The center (the median) of the finite ``values`` and, z-normalized, a power-of-two scale
    that brings the centered values' largest magnitude into [1, 2) (1 for p-norms, whose
    distances are in the series' units).  The median, not the mid-range: a spike then leaves
    every other window's centered values as small as in a clean series (sb_coef).

    ``shift=False``: the center is 0, so that the scaled values are exact (a power of two), as
    the co-moments of stumpi need (sb_zbound: their bound is in the deviations' terms, and a
    shift rounds values by u of their level, which a plateau's noise of 1e-9 of it cannot
    bear)."""
    if not values.size:
        return 0.0, 1.0
    center = float(np.median(values)) if shift else 0.0
    span = float(np.max(np.abs(values - center)))
    if not normalize or not 0.0 < span < math.inf:
        return center, 1.0
    return center, math.ldexp(1.0, min(max(1 - math.frexp(span)[1], -1000), 1000))


def _all_equal(a, w):
    """STUMPY's default rule: a window is constant when all its values are equal."""
    W = np.lib.stride_tricks.sliding_window_view(a, w)
    return np.ptp(W, axis=1) == 0


def _identical_runs(const):
    """p-norms' ``cst`` (``sb_ctx.cst``): each constant window's place in its run of constant
    windows, which are identical (two adjacent ones overlap), from 1 up to 255; 0 elsewhere."""
    const = np.asarray(const, dtype=bool)
    idx = np.arange(const.shape[0])
    start = np.maximum.accumulate(np.where(const, -1, idx))  # the last non-constant window
    return np.where(const, np.minimum(idx - start, 255), 0).astype(np.uint8)


class _Incremental(_threads.Guarded):
    """The one implementation behind ``stumpi`` and ``aampi``; its updates and the reads of
    its profile hold the object's lock (_threads.Guarded)."""

    def _setup(self, T, m, egress, normalize, p, k, mp, isconstant_func):
        self._normalize = _validate.check_bool(normalize, "normalize")
        self._egress = _validate.check_bool(egress, "egress")
        self._p = _validate.check_p(p)
        self._k = _validate.check_k(k)
        T = _validate.as_series(T, "T")
        self._m = m = _validate.check_window(m, T.shape[0], "T")
        if isconstant_func is None:
            isconstant_func = _all_equal
        elif not callable(isconstant_func):
            raise ValueError(
                "`T_subseq_isconstant_func` was expected to be a callable function but "
                f"{type(isconstant_func)} was found.")
        self._isconstant = isconstant_func
        self._excl = int(math.ceil(m / EXCL_ZONE_DENOM))
        n = T.shape[0]
        l = n - m + 1
        fin = np.isfinite(T)
        Tz = np.where(fin, T, 0.0)
        wvalid = np.lib.stride_tricks.sliding_window_view(fin, m).all(axis=1)
        k = self._k
        if mp is None:
            from .._api import aamp, stump

            if self._normalize:
                const = self._const_of(Tz, wvalid)
                mp = stump(T, m, k=k, T_A_subseq_isconstant=const)
            else:
                mp = aamp(T, m, p=self._p, k=k)
        mp = np.asarray(mp)
        if mp.shape != (l, 2 * k + 2):
            raise ValueError(f"The shape of `mp` must match ({l}, {2 * k + 2}) but found "
                             f"{mp.shape} instead.")
        cap = 2 * n + 16
        self._a, self._n, self._gbase = 0, n, 0
        self._Tbuf = np.zeros(cap)
        self._Tbuf[:n] = Tz
        self._Tcbuf = np.zeros(cap)
        self._ztbuf = np.zeros((cap, 3))  # z-normalized: each window's exact terms
        self._rss = np.zeros(cap)  # the windows' norms for the bounds, and their chains'
        self._sbar = np.zeros(cap)
        self._cbar = np.zeros(cap)  # z-normalized: each column's own chain's (sb_zbound)
        self._cgbar = np.zeros(cap)  # ... and its transitions', their Z, and the last R + 1
        self._czbar = np.zeros(cap)  # windows' transitions'
        self._sgbar = np.zeros(cap)
        self._df = np.zeros(cap)  # z-normalized: each window's step terms to the next
        self._dg = np.zeros(cap)
        self._mc = np.zeros(cap)  # z-normalized: the low part of each window's mean
        self._zdev = self._new_zdev(cap)
        if self._normalize:
            _stream.window_zterms(Tz, m, self._ztbuf)
        self._fin = np.zeros(cap, dtype=bool)
        self._fin[:n] = fin
        self._mu = np.zeros(cap)
        self._sig = np.ones(cap)
        self._isig = np.zeros(cap)
        self._cst = np.zeros(cap, dtype=np.uint8)
        self._wvalid = np.zeros(cap, dtype=np.uint8)
        self._ss = np.zeros(cap)
        self._QT = np.zeros(cap)
        # p = 1, 2: _QT holds sums of |differences|^p, _QE their rounding (sb_psum)
        self._QE = np.zeros(cap)
        self._Pbuf = np.full((cap, k), np.inf)
        self._Ibuf = np.full((cap, k), -1, dtype=np.int64)
        self._left_Pbuf = np.full(cap, np.inf)
        self._left_Ibuf = np.full(cap, -1, dtype=np.int64)
        if self._normalize:
            self._cst[:l] = self._const_of(Tz, wvalid)
        else:
            self._cst[:l] = _identical_runs(_all_equal(Tz, m) & wvalid)
        self._wvalid[:l] = wvalid
        self._recenter()
        self._Pbuf[:l] = np.asarray(mp[:, :k], dtype=np.float64)
        self._Ibuf[:l] = np.asarray(mp[:, k : 2 * k], dtype=np.int64)
        self._left_Ibuf[:l] = np.asarray(mp[:, 2 * k], dtype=np.int64)
        # left distances, exactly: each window against its left neighbour
        rows = np.flatnonzero(self._left_Ibuf[:l] >= 0)
        out = np.empty(len(rows))
        _stream.pair_distances(Tz, rows, self._left_Ibuf[rows], m, self._cst, self._normalize,
                               self._p, out)
        self._left_Pbuf[rows] = out

    def __setstate__(self, state: dict) -> None:
        """Resume a pickled stream; one pickled by an earlier mpcore (with neither the
        co-moments' terms nor the p-norms' runs of identical windows, or with the p-norms' dot
        products in ``_QT`` and no ``_QE``, before their sums of differences) gets them
        afresh."""
        super().__setstate__(state)
        if all(name in state for name in _ADDED_BUFFERS + ("_zdev", "_QE")):
            return
        cap = self._Tbuf.shape[0]
        if "_QE" not in state:
            self._QE = np.zeros(cap)
        if not all(name in state for name in _ADDED_BUFFERS + ("_zdev",)):
            for name in _ADDED_BUFFERS:
                setattr(self, name, np.zeros(cap))
            self._zdev = self._new_zdev(cap)
            a, n, m = self._a, self._n, self._m
            l = n - m + 1
            if not self._normalize:  # (its cst held no run counts: all 0)
                ok = self._wvalid[a : a + l] != 0
                same = _all_equal(self._Tbuf[a : a + n], m) & ok
                self._cst[a : a + l] = _identical_runs(same)
        self._recenter()

    def _recenter(self) -> None:
        """The kernel's view of the live series, afresh: ``Tc = (T - center) * scale``, and the
        live windows' statistics and dot products (z-normalized: co-moments) with the last
        window of it.

        p-norms: the center is the median, and the kernel's rounding bound is in terms of the
        centered windows' norms (``sb_coef``): centered, a series far from 0 (an offset of 1e6,
        a drift) filters as tightly as one near it, where ``T`` itself gave bounds too wide to
        filter and, before they were derived, too narrow to be right.  Z-normalized, the center
        is 0 and the scale a power of two that brings ``|Tc|`` near 1, so that ``Tc`` holds
        ``T``'s values exactly, and the co-moments' bound is in terms of the windows'
        deviations from their means (``sb_zbound``): an offset, a drift or a plateau far from
        the others filters as tightly as a walk.  Called at setup and whenever the buffers move
        (every ~n points), so that a drifting stream is re-scaled and its chains restart
        exactly.  ``M`` (``max |Tc|``) floors the windows' standard deviations
        (``_stream._wterms``) and bounds the means' rounding.
        """
        a, n, m = self._a, self._n, self._m
        l = n - m + 1
        T, fin = self._Tbuf[a : a + n], self._fin[a : a + n]
        center, scale = _center_scale(T[fin], self._normalize, shift=not self._normalize)
        Tc = np.where(fin, T - center, 0.0) * scale
        self._center, self._scale = center, scale
        self._Tcbuf[a : a + n] = Tc
        self._M = M = float(np.max(np.abs(Tc))) if n else 0.0
        wvalid = self._wvalid[a : a + l] != 0
        # in C, O(1) memory a window: as StreamBlock forms a new window's
        z = self._normalize
        _stream.window_terms(Tc, m, M, self._mu[a : a + l], self._sig[a : a + l],
                             self._ss[a : a + l], self._rss[a : a + l] if z else None,
                             self._mc[a : a + l] if z else None)
        # what the kernel's lower bounds use: 1/sig (0 for a constant window; p-norms: 0), and
        # NaN for a window holding NaN/inf so that it never comes within any bound
        if self._normalize:
            with np.errstate(divide="ignore"):
                isig = np.where(self._cst[a : a + l] != 0, 0.0, 1.0 / self._sig[a : a + l])
        else:
            isig = np.zeros(l)
        isig[~wvalid] = np.nan
        self._isig[a : a + l] = isig
        # the chains restart here, so their norms count from the first live window on
        rss = self._rss[a : a + l]
        _stream.chain_norms(rss if z else self._ss[a : a + l], m, rss, self._sbar[a : a + l],
                            roots=not z)
        self._ss[a : a + l][~wvalid] = np.nan
        if z:
            _stream.transition_terms(Tc, self._mu[a : a + l], self._mc[a : a + l], m,
                                     self._df[a : a + l], self._dg[a : a + l])
            # each window's entering transition's G (sb_zbound; none for the first)
            gin = np.zeros(l)
            gin[1:] = np.maximum(np.abs(self._df[a : a + l - 1]), np.abs(self._dg[a : a + l - 1]))
            _stream.chain_norms(gin, m, gin, self._sgbar[a : a + l], roots=False)
            _stream.chain_starts(rss, gin, m, self._gbase, self._cbar[a : a + l],
                                 self._cgbar[a : a + l], self._czbar[a : a + l])
            _stream.codots(Tc, self._mu[a : a + l], self._mc[a : a + l], m,
                           self._QT[a : a + l])
            _stream.refresh_devs(Tc, self._mu[a : a + l], self._mc[a : a + l], m, self._gbase,
                                 self._zdev)
        elif self._p in (1.0, 2.0):  # the series' own differences (sb_psum), not Tc's
            _stream.pdiffs(T, m, self._p == 2.0, self._QT[a : a + l], self._QE[a : a + l])

    def _new_zdev(self, cap: int) -> np.ndarray:
        """Room for the deviations of the windows whose co-moments the kernel refreshes (every
        ``R = REFRESH * m``-th, by global index, _stream.refresh_devs) among ``cap`` values: a
        ring of rows, enough for every window live during a block and two more."""
        per = _stream.REFRESH_PER_M * self._m
        return np.zeros((cap // per + 3, self._m) if self._normalize else (1, self._m))

    def _ask_isconstant(self, S: np.ndarray) -> np.ndarray:
        """The caller's constant rule on the series ``S``: a bool per window, checked."""
        out = np.asarray(self._isconstant(S, self._m))
        l = S.shape[0] - self._m + 1
        if out.dtype != np.bool_ or out.shape != (l,):
            raise ValueError(
                f"T_subseq_isconstant_func(a, w) must return a bool array of length "
                f"len(a) - w + 1 = {l}, got dtype {out.dtype} and shape {out.shape}")
        return out

    def _const_of(self, Tz, wvalid):
        return (self._ask_isconstant(Tz) | _all_equal(Tz, self._m)) & wvalid

    def _make_room(self):
        """Room for one more point: compact the live region to the front (egress), or double
        the buffers (growth); amortized O(1) per point."""
        a, n, cap = self._a, self._n, self._Tbuf.shape[0]
        if a + n < cap:
            return
        l = n - self._m + 1
        if a > n // 2:
            for name in _POINT_BUFFERS:
                buf = getattr(self, name)
                buf[:n] = buf[a : a + n]
            for name in _WINDOW_BUFFERS:
                buf = getattr(self, name)
                buf[:l] = buf[a : a + l]
            self._a = 0
        else:
            for name in _POINT_BUFFERS + _WINDOW_BUFFERS:
                buf = getattr(self, name)
                fill = {"_Pbuf": np.inf, "_left_Pbuf": np.inf, "_Ibuf": -1,
                        "_left_Ibuf": -1}.get(name, 0)
                new = np.full((2 * cap,) + buf.shape[1:], fill, dtype=buf.dtype)
                new[:cap] = buf
                setattr(self, name, new)
            self._zdev = self._new_zdev(2 * cap)
        self._recenter()

    def _push(self, t: float) -> tuple[int, int]:
        """Store one point (non-finite as 0, flagged), dropping the oldest under egress; returns
        the buffer offset of the series and its length afterwards."""
        self._make_room()
        a = self._a
        finite = math.isfinite(t)
        self._Tbuf[a + self._n] = t if finite else 0.0
        self._fin[a + self._n] = finite
        if self._egress:
            self._a = a = a + 1
            self._gbase += 1
        else:
            self._n += 1
        return a, self._n

    def _append(self, t: float) -> None:
        self._steps(np.array([t], dtype=np.float64))

    def _steps(self, values: np.ndarray) -> None:
        """Append the points of ``values`` in order, one compiled block at a time
        (:class:`mpcore._stream.StreamBlock`): at most ``_MAX_BLOCK`` points, split by windows
        over the threads when there are enough of them.  A caller's constant rule is asked one
        window at a time, before that point's step, as STUMPY asks it.

        A block changes nothing live until its parts run, and once they run it is completed
        whatever happens (``finally``), so an interrupted update leaves the stream holding a
        prefix of the points, each applied in full."""
        custom = self._normalize and self._isconstant is not _all_equal
        m = self._m
        done = 0
        while done < len(values):
            self._make_room()
            room = self._Tbuf.shape[0] - self._a - self._n
            size = 1 if custom else min(room, _MAX_BLOCK, len(values) - done)
            part = np.ascontiguousarray(values[done : done + size], dtype=np.float64)
            nparts = 1
            if size >= _MIN_POINTS_THREADED:
                cols = self._n - m + 1 + size
                nparts = max(1, min(_threads.resolve(None), cols // _MIN_PART))
            blk = _stream.StreamBlock(
                part, self._Tbuf, self._Tcbuf, self._center, self._scale, self._fin.view(np.uint8),
                self._mu, self._ztbuf, self._rss, self._sbar, self._cbar, self._cgbar,
                self._czbar, self._sgbar, self._df, self._dg, self._zdev, self._mc, self._sig,
                self._isig, self._cst, self._wvalid, self._ss, self._QT, self._QE, self._Pbuf,
                self._Ibuf, self._left_Pbuf, self._left_Ibuf, self._a, self._n, self._gbase,
                self._M, m, self._excl, self._egress, self._normalize, self._p, nparts, _TILE)
            if custom and self._wvalid[blk.q0]:  # an error here leaves the stream as it was
                S = self._Tbuf[blk.a + blk.n - m : blk.a + blk.n]
                if self._ask_isconstant(S)[0]:
                    self._cst[blk.q0] = 1
                    self._isig[blk.q0] = 0.0
            try:
                if blk.nparts > 1:
                    _threads.run(blk.work, blk.nparts)
            finally:
                blk.finish(self)
            done += size

    @_threads.locked
    def update(self, t):
        """Append one point or a block of points and update the profile.

        With ``egress=True`` the oldest point is dropped for every new one.

        Parameters
        ----------
        t : float or array_like
            The new point, or a 1-D array of new points appended in order.  NaN/inf points are
            allowed: the windows holding them get distance inf and index -1.
        """
        if np.ndim(t) == 0:
            try:
                value = float(t)
            except (TypeError, ValueError):
                raise TypeError(f"t must be a real number or a 1-D array, got {t!r}") from None
            self._append(value)
            return
        values = _validate.as_series(t, "t")
        if type(self)._append is not _Incremental._append:  # stumpi_ab: its own step
            for value in values.tolist():
                self._append(value)
            return
        self._steps(values)

    @_threads.locked
    def _live(self, name: str) -> np.ndarray:
        """A copy of the live windows' entries of the buffer ``name`` (no update half seen,
        and the buffer the one an update may have replaced)."""
        l = self._n - self._m + 1
        return getattr(self, name)[self._a : self._a + l].copy()

    @property
    def P_(self):
        """The (top-k) matrix profile of the current series: 1-D when k == 1, else (l, k)."""
        P = self._live("_Pbuf")
        return P[:, 0].copy() if self._k == 1 else P

    @property
    def I_(self):
        """The (top-k) matrix profile indices, counted from the first point ever seen.

        1-D when k == 1, else of shape (l, k).
        """
        I = self._live("_Ibuf")
        return I[:, 0].copy() if self._k == 1 else I

    @property
    def left_P_(self):
        """The left (top-1) matrix profile."""
        return self._live("_left_Pbuf")

    @property
    def left_I_(self):
        """The left (top-1) matrix profile indices."""
        return self._live("_left_Ibuf")

    @property
    def T_(self):
        """The current series (NaN/inf stored as 0, as STUMPY does): a view of the state."""
        return self._Tbuf[self._a : self._a + self._n]

    # STUMPY's private attributes of these names, as it holds them, for the packages that read
    # them (aeon's LeftSTAMPi reads _left_P): copies of the live windows' entries.  The
    # buffers behind them are longer (room to grow) and were taken for them silently.
    @property
    def _P(self):
        return self._live("_Pbuf")

    @property
    def _I(self):
        return self._live("_Ibuf")

    _left_P = left_P_
    _left_I = left_I_

    @property
    def _T(self):
        return self.T_.copy()


class stumpi(_Incremental):
    """An incrementally updated z-normalized matrix profile of a growing (or sliding) series.

    Parameters
    ----------
    T : array_like
        The initial time series.
    m : int
        Window size.
    egress : bool, default True
        Drop the oldest point for every new one (the series keeps its length).
    normalize : bool, default True
        False gives the non-normalized p-norm profile (see :class:`aampi`).
    p : float, default 2.0
        The p-norm, used only when ``normalize=False``.
    k : int, default 1
        Number of nearest neighbours per window.
    mp : array_like, optional
        A precomputed matrix profile of ``T`` (shape ``(len(T) - m + 1, 2k + 2)``); computed
        with :func:`mpcore.stump` when omitted.
    T_subseq_isconstant_func : callable, optional
        ``f(a, w)`` returning which windows of ``a`` are constant; default: all values equal.

    Attributes
    ----------
    P_, I_ : numpy.ndarray
        The (top-k) profile and indices (1-D when k == 1).  Indices count from the first point
        of the stream, as in STUMPY.
    left_P_, left_I_ : numpy.ndarray
        The left (top-1) profile and indices.
    T_ : numpy.ndarray
        The current series.

    Notes
    -----
    ``update(t)`` costs one O(l) compiled pass; ``update(values)`` appends a block of points,
    split by windows over :func:`mpcore.get_num_threads` threads when the series is long (the
    result is the same as one ``update(t)`` per point, whatever the number of threads).
    Every stored distance is computed exactly from its two windows.  The object pickles.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> stream = mpcore.stumpi(np.array([584., -11., 23., 79., 1001., 0.]), m=3)
    >>> stream.update(-19.0)
    >>> stream.left_I_
    array([-1,  0,  1,  2])
    """

    def __init__(self, T, m, egress=True, normalize=True, p=2.0, k=1, mp=None,
                 T_subseq_isconstant_func=None):
        self._setup(T, m, egress, normalize, p, k, mp,
                    T_subseq_isconstant_func if _validate.check_bool(normalize, "normalize")
                    else None)


class aampi(_Incremental):
    """An incrementally updated non-normalized (p-norm) matrix profile.

    :class:`stumpi` without z-normalization.

    Parameters
    ----------
    T : array_like
        The initial time series.
    m : int
        Window size.
    egress : bool, default True
        Drop the oldest point for every new one.
    p : float, default 2.0
        The p-norm (p = 1 and 2 update in O(l); other p recompute each distance, O(l m)).
    k : int, default 1
        Number of nearest neighbours per window.
    mp : array_like, optional
        A precomputed matrix profile of ``T``; computed with :func:`mpcore.aamp` when omitted.

    Attributes
    ----------
    P_, I_, left_P_, left_I_, T_ : numpy.ndarray
        As in :class:`stumpi`.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> stream = mpcore.aampi(np.array([584., -11., 23., 79., 1001., 0.]), m=3)
    >>> stream.update(-19.0)  # egress=True: the oldest point leaves
    >>> stream.I_
    array([3, 0, 1, 1])
    >>> print(stream.P_.round(3))
    [ 985.305 1131.064  985.305 1016.994]
    """

    def __init__(self, T, m, egress=True, p=2.0, k=1, mp=None):
        self._setup(T, m, egress, False, p, k, mp, None)


class stumpi_ab(_Incremental):
    """A streaming AB-join: a fixed reference series and a stream of points (new in mpcore).

    Every window of the stream gets its (top-k) nearest neighbours in ``T_ref`` (``P_``,
    ``I_``), and every window of ``T_ref`` its nearest neighbours among all stream windows seen
    so far (``ref_P_``, ``ref_I_``, global stream indices): the monitoring case "does the live
    signal match the library of known patterns" and its converse, both in one O(l_ref) update.

    Parameters
    ----------
    T : array_like
        The initial stream (at least ``m`` points).
    m : int
        Window size.
    T_ref : array_like
        The fixed reference series.
    egress : bool, default True
        Drop the oldest stream point for every new one (the reference rows keep the best
        match they ever had, as ``stumpi`` rows do).
    normalize : bool, default True
        False gives non-normalized p-norm distances.
    p : float, default 2.0
        The p-norm, used only when ``normalize=False``.
    k : int, default 1
        Number of nearest neighbours per window.

    Attributes
    ----------
    P_, I_ : numpy.ndarray
        For each live stream window, its (top-k) distances and indices in ``T_ref``.
    ref_P_, ref_I_ : numpy.ndarray
        For each window of ``T_ref``, its (top-k) distances and global stream indices.
    T_ : numpy.ndarray
        The current stream.

    Notes
    -----
    ``update(t)`` appends one point, ``update(values)`` a block.  NaN/inf points give inf for
    the windows holding them.  Distances are exact (computed from the two windows).  The object
    pickles.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> ref = np.sin(0.1 * np.arange(400))
    >>> live = mpcore.stumpi_ab(np.sin(0.1 * np.arange(30, 80)), 20, ref)
    >>> live.update(np.sin(0.1 * np.arange(80, 100)))
    >>> bool(live.P_.max() < 1e-6)
    True
    """

    def __init__(self, T, m, T_ref, egress=True, normalize=True, p=2.0, k=1):
        normalize = _validate.check_bool(normalize, "normalize")
        R = _validate.as_series(T_ref, "T_ref")
        S = _validate.as_series(T, "T")
        m = _validate.check_window(m, min(R.shape[0], S.shape[0]),
                                   "T" if S.shape[0] <= R.shape[0] else "T_ref")
        from .._api import aamp, stump

        with warnings.catch_warnings():  # stump's hints about self-joins do not apply here
            warnings.simplefilter("ignore")
            if normalize:
                mp = stump(S, m, R, ignore_trivial=False, k=k)
                ref = stump(R, m, S, ignore_trivial=False, k=k)
            else:
                mp = aamp(S, m, R, ignore_trivial=False, p=p, k=k)
                ref = aamp(R, m, S, ignore_trivial=False, p=p, k=k)
        self._setup(S, m, egress, normalize, p, k, mp, None)
        self._left_Ibuf[:] = -1  # an AB-join has no left neighbours
        self._left_Pbuf[:] = np.inf
        fin = np.isfinite(R)
        self._R = np.where(fin, R, 0.0)
        self._validR = np.lib.stride_tricks.sliding_window_view(fin, m).all(axis=1)
        self._cstR = (self._const_of(self._R, self._validR) if normalize
                      else np.zeros(len(self._validR), bool)).astype(np.uint8)
        self._validR = self._validR.astype(np.uint8)
        # the kernel's view, as stumpi's (_recenter): both series less one center (z-normalized:
        # 0, the values exact), scaled alike (the reference's once, the stream's values as they
        # come), and the bound _Mab of its magnitudes (not stumpi's _M, which _make_room renews
        # for the stream alone)
        Sf = np.isfinite(S)
        self._abc = _center_scale(np.concatenate([R[fin], S[Sf]]), normalize,
                                  shift=not normalize)
        self._Rc = self._centered(R, fin)
        Sc = self._centered(S, Sf)
        self._Mab = max(float(np.max(np.abs(self._Rc))), float(np.max(np.abs(Sc))))
        lR = len(self._validR)
        self._muR, self._sigR, self._ssR, self._QTR = (np.empty(lR) for _ in range(4))
        self._zR = np.zeros((lR, 3))
        self._sbarR = np.empty(lR)
        n = S.shape[0]
        if normalize:
            self._setup_zterms(Sc)
        else:
            _stream.window_terms(self._Rc, m, self._Mab, self._muR, self._sigR, self._ssR)
            _stream.chain_norms(self._ssR, m, np.empty(lR), self._sbarR)
            _stream.dots(self._Rc, Sc[n - m :], self._QTR)
        self._PR = np.ascontiguousarray(np.asarray(ref[:, :k], dtype=np.float64))
        self._IR = np.ascontiguousarray(np.asarray(ref[:, k : 2 * k], dtype=np.int64))

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if self._normalize and "_czR" not in state:  # pickled by an earlier mpcore: its
            # kernel view was centered at the median; the co-moments take it uncentered
            a, n = self._a, self._n
            S, Sf = self._Tbuf[a : a + n], self._fin[a : a + n]
            self._abc = _center_scale(np.concatenate([self._R, S[Sf]]), True, shift=False)
            self._Rc = self._centered(self._R, np.ones(len(self._R), bool))
            Sc = self._centered(S, Sf)
            self._Mab = max(float(np.max(np.abs(self._Rc))), float(np.max(np.abs(Sc))))
            self._setup_zterms(Sc)

    def _recenter(self) -> None:
        """Nothing: the kernel's view of the stream here is its own (``_abc``, ``_Mab``, the
        S and G ring), made as the points come; the stream-side terms stumpi's kernel keeps,
        which _make_room would otherwise renew every ~n points in O(l m), are never read."""

    def _centered(self, values: np.ndarray, fin: np.ndarray) -> np.ndarray:
        center, scale = self._abc
        return np.where(fin, values - center, 0.0) * scale

    def _setup_zterms(self, Sc: np.ndarray) -> None:
        """The z-normalized co-moments' terms (``_stream.stream_step_ab``, sb_zbound): the
        reference's windows' two-part means, deviations' norms S, transition terms, chains' Z
        (a chain restarts at every ``REFRESH * m``-th window) and refreshed windows' deviations;
        the S and entering G of the stream's last ``REFRESH * m + 1`` windows (a ring); and the
        co-moments with the stream's last window ``Sc`` (centered values)."""
        m, lR = self._m, len(self._validR)
        per = _stream.REFRESH_PER_M * m
        self._mcR, devR, self._dfR, self._dgR = (np.zeros(lR) for _ in range(4))
        _stream.window_terms(self._Rc, m, self._Mab, self._muR, self._sigR, self._ssR, devR,
                             self._mcR)
        _stream.transition_terms(self._Rc, self._muR, self._mcR, m, self._dfR, self._dgR)
        gin = np.zeros(lR)
        gin[1:] = np.maximum(np.abs(self._dfR[:-1]), np.abs(self._dgR[:-1]))
        self._czR = np.zeros(lR)
        _stream.chain_starts(devR, gin, m, 0, np.zeros(lR), np.zeros(lR), self._czR)
        self._zdevR = np.zeros((lR // per + 3, m))
        _stream.refresh_devs(self._Rc, self._muR, self._mcR, m, 0, self._zdevR)
        self._ringS, self._ringG = np.zeros(per + 1), np.zeros(per + 1)
        lS = len(Sc) - m + 1
        mu, sig, ss, dev, mc, df, dg = (np.zeros(lS) for _ in range(7))
        _stream.window_terms(Sc, m, self._Mab, mu, sig, ss, dev, mc)
        _stream.transition_terms(Sc, mu, mc, m, df, dg)
        for w in range(max(0, lS - per - 1), lS):  # by the windows' global indices
            g = self._gbase + w
            self._ringS[g % (per + 1)] = dev[w]
            self._ringG[g % (per + 1)] = max(abs(df[w - 1]), abs(dg[w - 1])) if w else 0.0
        _stream.window_zterms(self._R, m, self._zR)
        _stream.codots(self._Rc, self._muR, self._mcR, m, self._QTR, Sc[lS - 1 :])

    def _append(self, t: float) -> None:
        m = self._m
        a, n = self._push(t)
        center, scale = self._abc
        z = (dict(mcR=self._mcR, dfR=self._dfR, dgR=self._dgR, czR=self._czR,
                  zdevR=self._zdevR, ringS=self._ringS, ringG=self._ringG)
             if self._normalize else {})
        self._Mab = _stream.stream_step_ab(
            self._Tbuf[a : a + n], self._fin[a : a + n].view(np.uint8), center, scale, self._R,
            self._Rc, self._zR, self._sbarR, self._QTR, self._muR, self._sigR, self._cstR,
            self._validR, self._ssR,
            self._Pbuf[a + n - m], self._Ibuf[a + n - m], self._PR, self._IR, m,
            self._normalize, self._p, self._Mab, self._gbase + n - m, **z)

    @property
    @_threads.locked
    def ref_P_(self):
        """For each window of ``T_ref``: its (top-k) distances to the stream's windows."""
        return self._PR[:, 0].copy() if self._k == 1 else self._PR.copy()

    @property
    @_threads.locked
    def ref_I_(self):
        """For each window of ``T_ref``: global indices of its nearest stream windows."""
        return self._IR[:, 0].copy() if self._k == 1 else self._IR.copy()
