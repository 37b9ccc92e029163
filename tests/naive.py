"""Brute-force references, written plainly in NumPy: the full distance matrix, then top-k.

Distances are computed window by window in long double from z-normalized windows (no
correlation shortcut, so near-identical windows keep their digits).

The distance matrices and profiles are kept for the rest of the session (a few, by size): the
same reference serves every kernel of a ``kernel``-fixture test (conftest.py runs those
consecutively) and every call on the same input within a test.  What is returned is read-only,
so no test can change what another one gets.
"""
from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

LD = np.longdouble

_CACHE: OrderedDict = OrderedDict()  # key -> (value, bytes)
_CACHE_LIMIT = 256 << 20  # bytes kept at most; the least recently used go first
_cache_bytes = 0
_cache_lock = threading.Lock()  # tests that call mpcore from threads may call these too


def _key_part(x):
    """A hashable stand-in for one argument: arrays by dtype, shape and content."""
    if isinstance(x, np.generic):
        x = x.item()
    if x is None or isinstance(x, (bool, int, float, str)):
        return type(x).__name__, x
    a = np.ascontiguousarray(x)
    digest = hashlib.blake2b(a.reshape(-1).view(np.uint8), digest_size=16).digest()
    return a.dtype.str, a.shape, digest


def _cached(name, compute, *args, shared=()):
    """compute(), or what it gave before for equal args; ``shared``: arrays of the value that
    another entry holds (and counts) too."""
    global _cache_bytes
    key = (name,) + tuple(_key_part(a) for a in args)
    with _cache_lock:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key][0]
    value = compute()
    arrays = value if isinstance(value, tuple) else (value,)
    for a in arrays:
        a.flags.writeable = False
    size = sum(a.nbytes for a in arrays if not any(a is s for s in shared))
    with _cache_lock:
        if key not in _CACHE:
            _CACHE[key] = value, size
            _cache_bytes += size
        while len(_CACHE) > 1 and _cache_bytes > _CACHE_LIMIT:
            _cache_bytes -= _CACHE.popitem(last=False)[1][1]
    return value


def _windows(T, m):
    T = np.asarray(T, dtype=np.float64)
    W = sliding_window_view(T, m)
    finite = np.isfinite(W).all(axis=1)
    return W, finite


def is_constant(T, m):
    W, finite = _windows(T, m)
    with np.errstate(invalid="ignore"):
        return finite & (np.ptp(np.where(np.isfinite(W), W, 0), axis=1) == 0)


def distance_matrix(T_A, m, T_B=None, normalize=True, p=2.0, const_A=None, const_B=None):
    """D[i, j] = distance between window i of T_A and window j of T_B (long double; read-only)."""
    T_A = np.asarray(T_A, dtype=np.float64)
    T_B = None if T_B is None else np.asarray(T_B, dtype=np.float64)
    const_A = None if const_A is None else np.asarray(const_A)
    const_B = None if const_B is None else np.asarray(const_B)
    return _cached("D", lambda: _distance_matrix(T_A, m, T_B, normalize, p, const_A, const_B),
                   T_A, m, T_B, normalize, float(p), const_A, const_B)


def _distance_matrix(T_A, m, T_B, normalize, p, const_A, const_B):
    if T_B is None:
        T_B, const_B = T_A, const_A
    A, fa = _windows(T_A, m)
    B, fb = _windows(T_B, m)
    # windows with all values equal are constant whatever the caller's rule says
    ca = is_constant(T_A, m) | (False if const_A is None else np.asarray(const_A) & fa)
    cb = is_constant(T_B, m) | (False if const_B is None else np.asarray(const_B) & fb)
    A = np.where(fa[:, None], A, 0).astype(LD)
    B = np.where(fb[:, None], B, 0).astype(LD)
    if normalize:
        def z(W, c):
            mu = W.mean(axis=1, keepdims=True)
            sd = np.sqrt(((W - mu) ** 2).mean(axis=1, keepdims=True))
            sd[c | (sd[:, 0] == 0)] = 1
            return (W - mu) / sd
        A, B = z(A, ca), z(B, cb)
    D = np.empty((A.shape[0], B.shape[0]), dtype=LD)
    for i in range(A.shape[0]):
        diff = A[i] - B
        if p == 2.0:
            D[i] = np.sqrt((diff * diff).sum(axis=1))  # (-x)^2 == x^2: no abs needed
        elif p == 1.0:
            D[i] = np.abs(diff).sum(axis=1)  # x ** 1 == x exactly: no pow
        elif p == 3.0:  # as exact as powl (2 roundings of 2^-64), 10x faster
            a = np.abs(diff)
            D[i] = np.cbrt((a * a * a).sum(axis=1))
        elif p == 0.5:  # sqrtl is correctly rounded; powl(x, 0.5) took 0.6 us a term
            s = np.sqrt(np.abs(diff)).sum(axis=1)
            D[i] = s * s
        else:
            D[i] = (np.abs(diff) ** LD(p)).sum(axis=1) ** (LD(1) / LD(p))
    if normalize:
        D[np.ix_(ca, cb)] = 0
        D[np.ix_(ca, ~cb)] = math.sqrt(m)
        D[np.ix_(~ca, cb)] = math.sqrt(m)
    D[~fa, :] = np.inf
    D[:, ~fb] = np.inf
    return D


def matrix_profile(D, k=1, excl_zone=None):
    """Top-k (distance, index) per row, ties to the lowest index; left/right top-1 indices."""
    D = np.array(D, dtype=LD)
    assert not np.isnan(D).any() and not (D < 0).any(), "distances are >= 0 or inf"
    l, lb = D.shape
    idx = np.arange(lb)
    rows = np.arange(l)
    if excl_zone is not None:
        D[np.abs(idx[None, :] - rows[:, None]) <= excl_zone] = np.inf
    left = np.full(l, -1, dtype=np.int64)
    right = np.full(l, -1, dtype=np.int64)
    if excl_zone is not None and lb:
        for side, sel in ((left, idx < rows[:, None]), (right, idx > rows[:, None])):
            Ds = np.where(sel, D, LD(np.inf))
            j = np.argmin(Ds, axis=1)  # the first of equal minima: the lowest index
            found = np.isfinite(Ds[rows, j])
            side[found] = j[found]
    P = np.full((l, k), np.inf, dtype=LD)
    I = np.full((l, k), -1, dtype=np.int64)
    for q in range(min(k, lb)):  # the q-th nearest: the least distance left, lowest index first
        j = np.argmin(D, axis=1)
        d = D[rows, j]
        found = np.isfinite(d)
        P[found, q] = d[found]
        I[found, q] = j[found]
        D[rows, j] = np.inf
    return P, I, left, right


def stump(T_A, m, T_B=None, k=1, normalize=True, p=2.0, const_A=None, const_B=None):
    """Reference (P, I, left_I, right_I, D): a self-join when T_B is None (read-only arrays)."""
    D = distance_matrix(T_A, m, T_B, normalize, p, const_A, const_B)
    excl = math.ceil(m / 4) if T_B is None else None
    args = [None if a is None else np.asarray(a) for a in (T_A, T_B, const_A, const_B)]
    return _cached("stump", lambda: matrix_profile(D, k, excl) + (D,), *args, m, k, normalize,
                   float(p), shared=(D,))


def tie_order_profile(D, k=1, excl_zone=None):
    """Top-k indices per row and left/right top-1 in STUMPY's order among equal distances: a
    self-join (``excl_zone`` given) prefers the nearest in time, the left one when both sides
    are as near; an AB-join the lowest index.  (STUMPY walks the diagonals outwards, or the
    columns in order, and keeps the first of equal values.)"""
    D = np.array(D, dtype=LD)
    l, lb = D.shape
    idx = np.arange(lb)
    I = np.full((l, k), -1, dtype=np.int64)
    left = np.full(l, -1, dtype=np.int64)
    right = np.full(l, -1, dtype=np.int64)
    for i in range(l):
        if excl_zone is None:
            key = idx
            ok = np.isfinite(D[i])
        else:
            key = 2 * np.abs(idx - i) + (idx > i)
            ok = np.isfinite(D[i]) & (np.abs(idx - i) > excl_zone)
        cand = np.flatnonzero(ok)
        order = cand[np.lexsort((key[cand], D[i, cand]))]
        I[i, : min(k, len(order))] = order[:k]
        if excl_zone is not None:
            for side, sel in ((left, order < i), (right, order > i)):
                if sel.any():
                    side[i] = order[sel][0]
    return I, left, right
