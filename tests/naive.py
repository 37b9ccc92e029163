"""Brute-force references, written plainly in NumPy: the full distance matrix, then top-k.

Distances are computed window by window in long double from z-normalized windows (no
correlation shortcut, so near-identical windows keep their digits).
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

LD = np.longdouble


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
    """D[i, j] = distance between window i of T_A and window j of T_B (long double)."""
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
        diff = np.abs(A[i] - B)
        if p == 2.0:
            D[i] = np.sqrt((diff * diff).sum(axis=1))
        else:
            D[i] = (diff ** LD(p)).sum(axis=1) ** (LD(1) / LD(p))
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
    l, lb = D.shape
    idx = np.arange(lb)
    if excl_zone is not None:
        for i in range(l):
            D[i, max(0, i - excl_zone) : i + excl_zone + 1] = np.inf
    P = np.full((l, k), np.inf, dtype=LD)
    I = np.full((l, k), -1, dtype=np.int64)
    left = np.full(l, -1, dtype=np.int64)
    right = np.full(l, -1, dtype=np.int64)
    for i in range(l):
        order = np.lexsort((idx, D[i]))[:k]
        ok = np.isfinite(D[i, order])
        P[i, : ok.sum()] = D[i, order[ok]]
        I[i, : ok.sum()] = order[ok]
        if excl_zone is not None:
            for side, sel in ((left, idx < i), (right, idx > i)):
                cand = np.flatnonzero(sel & np.isfinite(D[i]))
                if len(cand):
                    side[i] = cand[np.lexsort((cand, D[i, cand]))[0]]
    return P, I, left, right


def stump(T_A, m, T_B=None, k=1, normalize=True, p=2.0, const_A=None, const_B=None):
    """Reference (P, I, left_I, right_I, D): a self-join when T_B is None."""
    D = distance_matrix(T_A, m, T_B, normalize, p, const_A, const_B)
    excl = math.ceil(m / 4) if T_B is None else None
    P, I, left, right = matrix_profile(D, k, excl)
    return P, I, left, right, D


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
