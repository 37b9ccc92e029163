"""The result type: STUMPY's ``mparray`` layout and constructor, picklable with its attributes."""
from __future__ import annotations

import sys

import numpy as np

from . import _exact, _threads


# Rows boxed per thread at least (about 1 ms of one core at ~60 ns a row)
BOX_ROWS_PER_THREAD = 16384


def _gil_enabled() -> bool:
    # asked at each call: a free-threaded CPython turns the GIL back on at run time when an
    # extension that does not support running without it is imported
    return getattr(sys, "_is_gil_enabled", lambda: True)()


def box_threads(l: int, n_threads: int | None) -> int:
    """Threads to box a table of ``l`` rows: 1 where the GIL serializes the objects' making."""
    if l < 2 * BOX_ROWS_PER_THREAD or _gil_enabled():
        return 1
    return max(1, min(_threads.resolve(n_threads), l // BOX_ROWS_PER_THREAD))


class mparray(np.ndarray):
    """Matrix profile result, a drop-in for STUMPY's ``mparray``.

    An object array of shape ``(l, 2k+2)``: columns ``[:k]`` are the top-k distances (ascending),
    ``[k:2k]`` their indices, ``[2k]`` the left and ``[2k+1]`` the right nearest-neighbour
    index (-1 in an AB-join).  ``P_``, ``I_``, ``left_I_`` and ``right_I_`` convert those cells
    to float64/int64 on every access, as STUMPY does: the object cells are the only state, so a
    write by any route (``mp[i, j] = x``, a view, ``np.asarray(mp)``) is always reflected.

    Parameters
    ----------
    input_array : array_like
        The ``(l, 2k+2)`` table.
    m : int
        Window size.
    k : int
        Number of nearest neighbours per window.
    excl_zone_denom : int
        Denominator of the exclusion zone (``ceil(m / excl_zone_denom)``).

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> mp = mpcore.stump(np.array([584., -11., 23., 79., 1001., 0., -19.]), m=3)
    >>> mp.shape, mp.dtype  # STUMPY's object table: distance, index, left and right index
    ((5, 4), dtype('O'))
    >>> mp[0]
    mparray([0.11633857113691783, 4, -1, 4], dtype=object)
    >>> mp.P_.dtype, mp.I_.dtype, mp.left_I_
    (dtype('float64'), dtype('int64'), array([-1, -1,  0,  1,  0]))
    """

    def __new__(cls, input_array, m, k, excl_zone_denom):
        obj = np.asarray(input_array).view(cls)
        obj._m = m
        obj._k = k
        obj._excl_zone_denom = excl_zone_denom
        return obj

    @classmethod
    def _from_columns(cls, P, I, left_I, right_I, m, k, excl_zone_denom, n_threads=None):
        """Box typed results (P and I of shape (l, k), left_I and right_I of length l) into
        Python floats and ints, in compiled code (a NumPy cast per column costs twice as
        much).  On a free-threaded CPython, long tables are boxed by up to ``n_threads``
        threads (None: mpcore's setting), each a share of the rows; with the GIL, objects are
        made one at a time whatever the threads, so by the caller's thread alone."""
        l = len(left_I)
        cols = (np.ascontiguousarray(np.reshape(P, (l, k)), dtype=np.float64),
                np.ascontiguousarray(np.reshape(I, (l, k)), dtype=np.int64),
                np.ascontiguousarray(left_I, dtype=np.int64),
                np.ascontiguousarray(right_I, dtype=np.int64))
        if box_threads(l, n_threads) <= 1:
            return cls(_exact.box_profile(*cols), m, k, excl_zone_denom)
        out = np.empty((l, 2 * k + 2), dtype=object)
        cls._box_into(out, *cols, 0, l, n_threads)
        return cls(out, m, k, excl_zone_denom)

    @staticmethod
    def _box_into(out, P, I, left_I, right_I, a, b, n_threads=None):
        """Rows ``[a, b)`` of :meth:`_from_columns`'s table, written into ``out`` (an object
        array ``(l, 2k+2)``; the columns C-contiguous, P and I ``(l, k)``), by as many
        threads as :func:`box_threads` allows."""
        n = box_threads(b - a, n_threads)
        cuts = [a + (b - a) * i // n for i in range(n + 1)]
        _threads.each(lambda i: _exact.box_rows(out, P, I, left_I, right_I, cuts[i],
                                                cuts[i + 1]), range(n), n)

    def __array_finalize__(self, obj):
        # slices and copies ("new from template") keep the attributes, as in STUMPY
        self._m = getattr(obj, "_m", None)
        self._k = getattr(obj, "_k", None)
        self._excl_zone_denom = getattr(obj, "_excl_zone_denom", None)

    def __reduce__(self):
        # ndarray's pickle state holds the data only: add the attributes, else k is lost
        fn, args, state = super().__reduce__()
        return fn, args, (state, self._m, self._k, self._excl_zone_denom)

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 4 and isinstance(state[0], tuple):
            state, self._m, self._k, self._excl_zone_denom = state
        super().__setstate__(state)

    def _k_columns(self, start, dtype):
        out = np.asarray(self[:, start : start + self._k], dtype=dtype)
        return out[:, 0].copy() if self._k == 1 else out

    @property
    def P_(self):
        """Top-k distances, float64: 1-D when k == 1, else (l, k)."""
        return self._k_columns(0, np.float64)

    @property
    def I_(self):
        """Top-k neighbour indices, int64: 1-D when k == 1, else (l, k)."""
        return self._k_columns(self._k, np.int64)

    @property
    def left_I_(self):
        """Index of each window's nearest neighbour to its left (self-join), else -1; int64."""
        return np.asarray(self[:, 2 * self._k], dtype=np.int64)

    @property
    def right_I_(self):
        """Index of each window's nearest neighbour to its right (self-join), else -1; int64."""
        return np.asarray(self[:, 2 * self._k + 1], dtype=np.int64)
