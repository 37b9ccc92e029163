"""The result type: STUMPY's ``mparray`` layout, with typed columns kept alongside."""
from __future__ import annotations

import numpy as np


class mparray(np.ndarray):
    """Matrix profile result, a drop-in for STUMPY's ``mparray``.

    An object array of shape ``(l, 2k+2)``: columns ``[:k]`` are the top-k distances (ascending),
    ``[k:2k]`` their indices, ``[2k]`` the left and ``[2k+1]`` the right nearest-neighbour
    index (-1 in an AB-join).  ``P_``, ``I_``, ``left_I_`` and ``right_I_`` return float64 and
    int64 arrays straight from the typed results the engine produced (no conversion of the object
    cells), as long as the array was not written to since.
    """

    def __new__(cls, P, I, left_I, right_I, m, k, excl_zone_denom=4):
        P = np.asarray(P, dtype=np.float64).reshape(len(P), -1)
        I = np.asarray(I, dtype=np.int64).reshape(len(I), -1)
        out = np.empty((P.shape[0], 2 * k + 2), dtype=object)
        out[:, :k] = P
        out[:, k : 2 * k] = I
        out[:, 2 * k] = left_I
        out[:, 2 * k + 1] = right_I
        obj = out.view(cls)
        obj._m = m
        obj._k = k
        obj._excl_zone_denom = excl_zone_denom
        obj._typed = (P, I, np.asarray(left_I, np.int64), np.asarray(right_I, np.int64))
        return obj

    def __array_finalize__(self, obj):
        self._m = getattr(obj, "_m", None)
        self._k = getattr(obj, "_k", 1)
        self._excl_zone_denom = getattr(obj, "_excl_zone_denom", None)
        self._typed = None  # views and copies fall back to converting their own cells

    def __setitem__(self, key, value):
        node = self
        while isinstance(node, mparray):  # a write through a view makes its bases stale too
            node._typed = None
            node = node.base
        super().__setitem__(key, value)

    def _column(self, i, cols, dtype):
        typed = self._typed
        if typed is not None and self.ndim == 2 and self.shape[1] == 2 * self._k + 2:
            return typed[i].copy()
        return np.asarray(self[:, cols], dtype=dtype)

    @property
    def P_(self):
        """Top-k distances, float64: 1-D when k == 1, else (l, k)."""
        out = self._column(0, slice(0, self._k), np.float64)
        return out[:, 0].copy() if self._k == 1 and out.ndim == 2 else out

    @property
    def I_(self):
        """Top-k neighbour indices, int64: 1-D when k == 1, else (l, k)."""
        out = self._column(1, slice(self._k, 2 * self._k), np.int64)
        return out[:, 0].copy() if self._k == 1 and out.ndim == 2 else out

    @property
    def left_I_(self):
        """Index of each window's nearest neighbour to its left (self-join), else -1; int64."""
        return self._column(2, 2 * self._k, np.int64)

    @property
    def right_I_(self):
        """Index of each window's nearest neighbour to its right (self-join), else -1; int64."""
        return self._column(3, 2 * self._k + 1, np.int64)
