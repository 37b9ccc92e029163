"""Assertions shared by the tests: exact agreement with the reference, ties made explicit."""
from __future__ import annotations

import math

import numpy as np

import naive

RTOL = 1e-12  # relative to the largest distance


def _scale(D, floor=0.0):
    """The largest finite distance; z-normalized distances range up to 2 sqrt(m), so there
    ``floor = sqrt(m)`` keeps a matrix of only zeros from demanding bit-exact agreement."""
    finite = np.isfinite(D)
    top = float(np.max(D[finite])) if finite.any() else 0.0
    return max(top, floor) if max(top, floor) > 0 else 1.0


def assert_ties(D, rows, got, want, tol, what):
    """Where indices differ, both must be the same distance from the row: a tie, not an error."""
    bad = np.flatnonzero(got != want)
    for i in bad:
        g, w = got[i], want[i]
        assert g >= 0 and w >= 0, f"{what}[{i}]: {g} vs {w} (one side has no neighbour)"
        dg, dw = float(D[rows[i], g]), float(D[rows[i], w])
        assert abs(dg - dw) <= tol, (
            f"{what}[{i}]: index {g} at distance {dg!r} vs reference {w} at {dw!r}: not a tie"
        )


def assert_profile(mp, T_A, m, T_B=None, k=1, normalize=True, p=2.0, const_A=None,
                   const_B=None, rtol=RTOL):
    """Compare an mparray with the brute-force long-double reference."""
    P_ref, I_ref, L_ref, R_ref, D = naive.stump(T_A, m, T_B, k, normalize, p, const_A, const_B)
    l = P_ref.shape[0]
    assert isinstance(mp, np.ndarray) and mp.shape == (l, 2 * k + 2) and mp.dtype == object
    P = mp.P_.reshape(l, k)
    I = mp.I_.reshape(l, k)
    assert P.dtype == np.float64 and I.dtype == np.int64
    tol = rtol * _scale(D, np.sqrt(m) if normalize else 0.0)
    inf = ~np.isfinite(P_ref.astype(np.float64))
    np.testing.assert_array_equal(~np.isfinite(P), inf, err_msg="inf pattern differs")
    np.testing.assert_array_equal(I[inf], -1)
    err = np.abs(P[~inf] - P_ref[~inf].astype(np.float64))
    assert err.max(initial=0) <= tol, f"max error {err.max()} > {tol}"
    rows = np.arange(l)
    for q in range(k):
        assert_ties(D, rows, I[:, q], I_ref[:, q], tol, f"I[:, {q}]")
    if T_B is None:
        assert_ties(D, rows, mp.left_I_, L_ref, tol, "left_I")
        assert_ties(D, rows, mp.right_I_, R_ref, tol, "right_I")
        assert np.all((mp.left_I_ < rows) | (mp.left_I_ == -1))
        assert np.all((mp.right_I_ > rows) | (mp.right_I_ == -1))
    else:
        assert np.all(mp.left_I_ == -1) and np.all(mp.right_I_ == -1)
    # the object columns hold the same values as the typed views
    np.testing.assert_array_equal(np.asarray(mp[:, :k], dtype=np.float64), P)
    np.testing.assert_array_equal(np.asarray(mp[:, k : 2 * k], dtype=np.int64), I)
    return D


def assert_integer_counts_tie_order(aamp, p, k):
    """Small counts: p-norm distances are exact integers, so windows that are not identical
    tie exactly too.  Every index ``aamp`` (``mpcore.aamp`` or ``gpu_aamp``) returns must be
    the reference's: a self-join's left table keeps the later of equal distances (the nearest
    in time before the row), its right table and an AB-join's the lower."""
    rng = np.random.default_rng(int(10 * p) + k)
    T = rng.integers(0, 3, 700).astype(float)
    for m in (5, 12):
        mp = aamp(T, m, p=p, k=k)
        D = naive.distance_matrix(T, m, normalize=False, p=p)
        I, left, right = naive.tie_order_profile(D, k, math.ceil(m / 4))
        np.testing.assert_array_equal(mp.I_.reshape(-1, k), I)
        np.testing.assert_array_equal(mp.left_I_, left)
        np.testing.assert_array_equal(mp.right_I_, right)
    TB = rng.integers(0, 3, 300).astype(float)
    mp = aamp(T, 6, TB, ignore_trivial=False, p=p, k=k)
    I, _, _ = naive.tie_order_profile(naive.distance_matrix(T, 6, TB, normalize=False, p=p), k)
    np.testing.assert_array_equal(mp.I_.reshape(-1, k), I)
