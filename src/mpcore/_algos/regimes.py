"""Regime changes: ``fluss`` (batch) and ``floss`` (streaming), with STUMPY 1.14's semantics,
and the arc-curve helpers STUMPY's tests use (``_nnmark``, ``_iac``, ``_cac``, ``_rea``).

The arc count is a difference array and a prefix sum in compiled code (``_analysis.nnmark``);
floss's per-point distance profile runs over window statistics kept up to date one window at a
time (``_analysis.zstats``/``zprofile``).
"""
from __future__ import annotations

import collections
import math
import threading

import numpy as np

from .. import _analysis, _exact, _threads, _validate
from .chains import _indices


def _nnmark(I):
    """The arc curve of the nearest-neighbour indices ``I``: how many arcs ``i -> I[i]`` pass
    over each position (``I[i] < 0``: no arc)."""
    return _analysis.nnmark(_indices(np.asarray(I).astype(np.int64), "I"))


# _iac fits a beta distribution n_iter times (seconds for the defaults), and its result and the
# state it leaves NumPy's global generator in depend only on its arguments (it seeds the global
# generator first, as STUMPY does): both are cached, so that a repeated call is instant and
# leaves the generator exactly where a fresh one would.
_IAC_CACHE: collections.OrderedDict = collections.OrderedDict()
_IAC_LOCK = threading.Lock()


def _iac(width, bidirectional=True, n_iter=1000, n_samples=1000, seed=0):
    """The idealized arc curve of a random nearest-neighbour index of length ``width``.

    As STUMPY: NumPy's global generator is seeded with ``seed``, a random index is drawn
    (right neighbours only when ``bidirectional`` is False), ``n_iter`` samples of
    ``n_samples`` points of its arc curve are each fitted with a beta distribution, and the
    beta curve of the mean parameters (rounded to 2 decimals), scaled by a least-squares fit
    to the arc curve, is returned.  The same seed gives the same curve as STUMPY.
    """
    try:
        import scipy.stats
    except ImportError as exc:  # STUMPY's curve is SciPy's beta fit: no other gives the same
        raise ImportError("mpcore.fluss and mpcore.floss fit the idealized arc curve with SciPy, "
                          "as STUMPY does, and SciPy is not installed: "
                          "pip install mpcore[regimes] (or pip install scipy)") from exc

    width = _validate.check_int(width, "width")
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    key = (width, bool(bidirectional), int(n_iter), int(n_samples), seed)
    with _IAC_LOCK:
        hit = _IAC_CACHE.get(key)
        if hit is not None:
            _IAC_CACHE.move_to_end(key)
            np.random.set_state(hit[1])
            return hit[0].copy()
    # STUMPY seeds NumPy's global generator and draws from it; the same stream from a
    # generator of this call's own (two threads drawing from the global one at once got
    # curves of interleaved draws, which the cache then kept), left in the global one after
    rs = np.random.RandomState(seed)
    I = rs.randint(0, width, size=width, dtype=np.int64)
    if not bidirectional:
        # each window's neighbour is to its right: one draw per window, in order (the same
        # stream of draws as a loop of scalar randint calls)
        # (the last window keeps its first draw, as in STUMPY)
        I[:-1] = rs.randint(np.arange(1, width), width, dtype=np.int64)
    target = _analysis.nnmark(I)
    hist = scipy.stats.rv_histogram((target, np.arange(width + 1)))
    params = np.empty((n_iter, 2))
    for i in range(n_iter):
        a, b, _, _ = scipy.stats.beta.fit(hist.rvs(size=n_samples, random_state=rs), floc=0,
                                          fscale=width)
        params[i] = a, b
    a, b = np.round(params.mean(axis=0), 2)
    iac = scipy.stats.beta.pdf(np.arange(width), a, b, loc=0, scale=width)
    slope = np.linalg.lstsq(iac[:, None], target, rcond=None)[0]
    iac = iac * slope
    state = rs.get_state()
    np.random.set_state(state)
    with _IAC_LOCK:
        _IAC_CACHE[key] = (iac.copy(), state)
        while len(_IAC_CACHE) > 16:
            _IAC_CACHE.popitem(last=False)
    return iac


def _cac(I, L, bidirectional=True, excl_factor=5, custom_iac=None, seed=0):
    """The corrected arc curve: the arc curve of ``I`` over the idealized one, capped at 1,
    and 1 within ``L * excl_factor`` of both ends."""
    AC = _nnmark(I)
    k = AC.shape[0]
    if custom_iac is None:
        IAC = _iac(k, bidirectional, seed=seed)
    else:
        IAC = np.array(custom_iac, dtype=np.float64)  # a copy: the caller's is not modified
        if IAC.shape != (k,):
            raise ValueError(f"custom_iac must have length {k}, got shape {IAC.shape}")
    IAC[IAC == 0.0] = 1e-10  # no division by zero
    CAC = np.minimum(AC / IAC, 1.0)
    if excl_factor > 0:
        CAC[: L * excl_factor] = 1.0
        CAC[-L * excl_factor :] = 1.0
    return CAC


def _rea(cac, n_regimes, L, excl_factor=5):
    """Regime extraction: the ``n_regimes - 1`` lowest points of the corrected arc curve, each
    blanking ``L * excl_factor`` on both sides before the next is taken."""
    cac = np.array(cac, dtype=np.float64)
    locs = np.empty(n_regimes - 1, dtype=np.int64)
    for i in range(n_regimes - 1):
        locs[i] = np.argmin(cac)
        cac[max(locs[i] - excl_factor * L, 0) : min(locs[i] + excl_factor * L, cac.shape[0])] = 1.0
    return locs


def fluss(I, L, n_regimes, excl_factor=5, custom_iac=None):
    """Find regime changes from a matrix profile index (FLUSS).

    Fast Low-cost Unipotent Semantic Segmentation: few nearest-neighbour arcs cross a boundary
    between two regimes, so the lowest points of the corrected arc curve mark the changes.

    Parameters
    ----------
    I : numpy.ndarray
        Matrix profile indices (``mp[:, 1]`` or ``mp.I_``).
    L : int
        Subsequence length expected to span about one period (often the window size m).
    n_regimes : int
        Number of regimes wanted; ``n_regimes - 1`` change points are returned.
    excl_factor : int, default 5
        The arc curve is set to 1 within ``L * excl_factor`` of both ends and of each change
        point found.
    custom_iac : numpy.ndarray, optional
        An idealized arc curve to use; by default STUMPY's (fitted once per length, seeded).

    Returns
    -------
    cac : numpy.ndarray
        The corrected arc curve (float64, values in [0, 1]).
    regime_locs : numpy.ndarray
        The locations of the ``n_regimes - 1`` regime changes (int64).

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> t = np.arange(200)
    >>> T = np.concatenate([np.sin(t / 4.0), np.sign(np.sin(t / 4.0))])  # a sine, then a square
    >>> mp = mpcore.stump(T, m=20)
    >>> cac, regime_locs = mpcore.fluss(mp.I_, L=20, n_regimes=2)
    >>> regime_locs  # the change is at 200
    array([189])
    >>> cac.shape
    (381,)
    """
    L = _validate.check_int(L, "L")
    n_regimes = _validate.check_int(n_regimes, "n_regimes")
    excl_factor = _validate.check_int(excl_factor, "excl_factor")
    if n_regimes < 1:
        raise ValueError(f"n_regimes must be at least 1, got {n_regimes}")
    cac = _cac(I, L, bidirectional=True, excl_factor=excl_factor, custom_iac=custom_iac)
    return cac, _rea(cac, n_regimes, L, excl_factor=excl_factor)


class floss(_threads.Guarded):
    """Fast Low-cost Online Semantic Segmentation: the corrected arc curve of a stream.

    Each :meth:`update` appends a point, drops the oldest, finds the new window's matches among
    the older ones (right neighbours only: the stream's arcs point forward in time), and
    recomputes the one-directional corrected arc curve.

    Parameters
    ----------
    mp : numpy.ndarray
        Matrix profile of ``T`` (``stump``'s result); its right indices (column 3) are used.
    T : array_like
        The initial window of the stream.
    m : int
        Window size.
    L : int
        Subsequence length for the arc curve's edges (see :func:`fluss`).
    excl_factor : int, default 5
        See :func:`fluss`.
    n_iter, n_samples : int, default 1000
        Passed to the idealized arc curve when ``custom_iac`` is None.
    custom_iac : numpy.ndarray, optional
        The idealized arc curve to use.
    normalize : bool, default True
        False uses non-normalized p-norm distances.
    p : float, default 2.0
        The p-norm when ``normalize=False``.
    T_subseq_isconstant_func : callable, optional
        ``f(a, w)`` telling which windows are constant; default: all values equal.

    Attributes
    ----------
    cac_1d_ : numpy.ndarray
        The one-directional corrected arc curve (-1 before the first update).
    P_ : numpy.ndarray
        Distances of each window to its right nearest neighbour.
    I_ : numpy.ndarray
        The right nearest-neighbour indices (in the stream's numbering), -1 where none.
    T_ : numpy.ndarray
        The current window of the stream.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> t = np.arange(600)
    >>> T = np.concatenate([np.sin(t[:400] / 4.0), np.sign(np.sin(t[400:] / 4.0))])
    >>> stream = mpcore.floss(mpcore.stump(T[:300], 10), T[:300], m=10, L=10)
    >>> for t_new in T[300:450]:  # the stream turns from a sine into a square at 400
    ...     stream.update(t_new)
    >>> stream.T_.shape  # the sliding window now holds T[150:450]
    (300,)
    >>> int(np.argmin(stream.cac_1d_))  # the change sits at 400 - 150 = 250 in the window
    240
    """

    def __init__(self, mp, T, m, L, excl_factor=5, n_iter=1000, n_samples=1000,
                 custom_iac=None, normalize=True, p=2.0, T_subseq_isconstant_func=None):
        self._T = _validate.as_series(T, "T")
        self._m = m = _validate.check_window(m, self._T.shape[0], "T")
        self._L = _validate.check_int(L, "L")
        self._excl_factor = _validate.check_int(excl_factor, "excl_factor")
        self._normalize = _validate.check_bool(normalize, "normalize")
        self._p = _validate.check_p(p)
        if T_subseq_isconstant_func is not None and not callable(T_subseq_isconstant_func):
            raise ValueError("`T_subseq_isconstant_func` was expected to be a callable "
                             f"function but {type(T_subseq_isconstant_func)} was found.")
        self._isconstant_func = T_subseq_isconstant_func
        self._k = k = self._T.shape[0] - m + 1
        mp = np.asarray(mp)
        if mp.ndim != 2 or mp.shape[0] != k or mp.shape[1] < 4:
            raise ValueError(f"mp must be a matrix profile of T with m={m}: {k} rows and at "
                             f"least 4 columns, got shape {mp.shape}")
        IR = _indices(mp[:, -1], "mp[:, 3]")
        self._last_idx = k
        self._n_appended = 0
        self._excl_zone = int(math.ceil(m / 4))
        if custom_iac is None:
            custom_iac = _iac(k, bidirectional=False, n_iter=n_iter, n_samples=n_samples)
        self._custom_iac = np.array(custom_iac, dtype=np.float64)
        finite = np.isfinite(self._T)
        self._Tf = np.where(finite, self._T, 0.0)
        self._valid = _validate.rolling_isfinite(self._T, m).astype(np.uint8)
        self._mu, self._corr, self._isd = np.empty(k), np.empty(k), np.empty(k)
        self._const = np.zeros(k, np.uint8)
        if self._normalize:
            _analysis.zstats(self._Tf, m, self._mu, self._corr, self._isd, 0, k)
            const = _validate.isconstant(np.where(finite, self._T, np.nan), m,
                                         T_subseq_isconstant_func, "T_subseq_isconstant_func",
                                         self._valid.view(bool))
            self._const[:] = const | (np.isinf(self._isd) & self._valid.view(bool))
        # distance of each window to its right neighbour, exactly; no neighbour: inf and the
        # window's own index (STUMPY's convention, so that the arc curve ignores it)
        none = IR < 0
        J = np.where(none, 0, IR)
        if np.any(J >= k):
            raise ValueError("mp[:, 3] holds indices outside T's windows")
        D = np.empty((k, 1))
        _exact.refine(self._Tf, self._Tf, m, self._normalize, self._p, self._const, self._const,
                      J[:, None].copy(), D)
        self._P = D[:, 0]
        self._P[none | ~self._valid.view(bool) | ~self._valid.view(bool)[J]] = np.inf
        self._IR = np.where(none, np.arange(k), IR)
        self._cac = np.full(k, -1.0)

    @_threads.locked
    def update(self, t):
        """Append the point ``t`` to the stream (dropping the oldest) and update the arc curve.

        Parameters
        ----------
        t : float
            The new point (NaN/inf allowed: windows holding it match nothing).
        """
        m, k = self._m, self._k
        try:
            t = float(t)
        except (TypeError, ValueError):
            raise TypeError(f"t must be a number, got {type(t).__name__}") from None
        for a in (self._T, self._Tf, self._valid, self._mu, self._corr, self._isd, self._const,
                  self._P, self._IR):
            a[:-1] = a[1:]
        self._T[-1] = t
        self._Tf[-1] = t if math.isfinite(t) else 0.0
        last_ok = bool(np.all(np.isfinite(self._T[-m:])))
        self._valid[-1] = last_ok
        self._P[-1] = np.inf
        self._IR[-1] = self._last_idx
        D = np.full(k, np.inf)
        zone_start = max(0, k - self._excl_zone)
        if last_ok:
            Q = self._Tf[-m:].copy()
            if self._normalize:
                _analysis.zstats(self._Tf, m, self._mu, self._corr, self._isd, k - 1, k)
                const = _validate.isconstant(self._T[-m:].copy(), m, self._isconstant_func,
                                             "T_subseq_isconstant_func", np.ones(1, bool))
                self._const[-1] = bool(const[0]) or bool(np.isinf(self._isd[-1]))
                _analysis.zprofile(Q, self._Tf, m, self._mu, self._corr, self._isd,
                                   self._valid, self._const, bool(self._const[-1]), D, 0,
                                   zone_start)
            else:
                _analysis.pprofile(Q, self._Tf, m, self._p, self._valid, D, 0, zone_start)
        else:
            self._const[-1] = 0
        D[zone_start:] = np.inf
        better = D < self._P
        self._P[better] = D[better]
        self._IR[better] = self._last_idx
        self._cac[:] = _cac(self._IR - self._n_appended - 1, self._L, bidirectional=False,
                            excl_factor=self._excl_factor, custom_iac=self._custom_iac)
        self._last_idx += 1
        self._n_appended += 1

    @property
    @_threads.locked
    def cac_1d_(self):
        """The one-directional corrected arc curve."""
        return self._cac.astype(np.float64)

    @property
    @_threads.locked
    def P_(self):
        """Right nearest-neighbour distances."""
        return self._P.astype(np.float64)

    @property
    @_threads.locked
    def I_(self):
        """Right nearest-neighbour indices; -1 where the distance is infinite."""
        I = self._IR.astype(np.int64)
        I[self._P == np.inf] = -1
        return I

    @property
    @_threads.locked
    def T_(self):
        """The current window of the stream."""
        return self._T.astype(np.float64)
