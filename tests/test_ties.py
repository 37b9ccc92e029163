"""STUMPY's order among exactly equal distances (identical windows, constant windows).

STUMPY keeps the first of equal values along its traversal: in a self-join the nearest
neighbour in time, the left one when both sides are as near (left_I_ the nearest to the left,
right_I_ the nearest to the right); in an AB-join the lowest index.  mpcore's kernels rank by
rounded scores, so without care rounding picks among identical windows.  Every case here has
many exact ties; indices must equal the long-double reference's, with no tolerance.
"""
import math

import numpy as np
import pytest
from conftest import dask_client, random_walk

import checks
import mpcore
import naive


def _periodic(seed=1, reps=6):  # the series of issue 10
    return np.tile(np.random.default_rng(seed).integers(0, 5, 20).astype(float), reps)


def _tiles(seed, period=20, reps=6):
    return np.tile(np.random.default_rng(seed).standard_normal(period), reps)


def _exact_repeats(seed):
    T = random_walk(400, seed=seed)
    for at in (120, 250, 330):
        T[at : at + 40] = T[20:60]  # the same pattern four times: distance exactly 0
    return T


SERIES = {
    "periodic-ints": _periodic,
    "normal-tiles": _tiles,
    "tiles-period-7": lambda s: _tiles(s, period=7, reps=15),
    "exact-repeats": _exact_repeats,
}


def _windows(T, m):
    return np.lib.stride_tricks.sliding_window_view(np.asarray(T, dtype=float), m)


def assert_tie_order(mp, T, m, T_B=None, k=1, normalize=True, p=2.0, const_A=None):
    """Indices equal the reference's in STUMPY's order.  Between identical windows (the ties
    that rounding used to decide) no difference is allowed; other windows as near as the
    rounding of a float64 distance (e.g. z-normalized x and 2x + 1) may differ."""
    D = checks.assert_profile(mp, T, m, T_B, k=k, normalize=normalize, p=p, const_A=const_A)
    excl = math.ceil(m / 4) if T_B is None else None
    I, left, right = naive.tie_order_profile(D, k, excl)
    l = D.shape[0]
    WB = _windows(T if T_B is None else T_B, m)
    tol = checks.RTOL * checks._scale(D, np.sqrt(m) if normalize else 0.0)
    cases = [(mp.I_.reshape(l, k)[:, q], I[:, q], f"I[:, {q}]") for q in range(k)]
    if T_B is None:
        cases += [(mp.left_I_, left, "left_I"), (mp.right_I_, right, "right_I")]
    for got, want, what in cases:
        for i in np.flatnonzero(got != want):
            g, w = got[i], want[i]
            assert g >= 0 and w >= 0, f"{what}[{i}]: {g} vs {w}"
            assert not np.array_equal(WB[g], WB[w]), (
                f"{what}[{i}]: {g} instead of the identical window {w} (STUMPY's order)")
            assert abs(float(D[i, g]) - float(D[i, w])) <= tol, f"{what}[{i}]: not a tie"


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", list(SERIES))
def test_self_join(name, seed, k):
    T = SERIES[name](seed)
    assert_tie_order(mpcore.stump(T, 10, k=k), T, 10, k=k)


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("name", list(SERIES))
def test_ab_join(name, k):
    T = SERIES[name](3)
    TB = T[13:97].copy()
    assert_tie_order(mpcore.stump(T, 10, TB, ignore_trivial=False, k=k), T, 10, TB, k=k)
    assert_tie_order(mpcore.stump(TB, 10, T, ignore_trivial=False, k=k), TB, 10, T, k=k)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("name", ["periodic-ints", "normal-tiles"])
def test_aamp(name, k, p):
    T = SERIES[name](4)
    assert_tie_order(mpcore.aamp(T, 8, p=p, k=k), T, 8, k=k, normalize=False, p=p)


@pytest.mark.parametrize("k", [1, 3])
def test_constant_windows(k):
    # constant stretches and windows constant by the caller's rule: all at 0 or sqrt(m)
    T = random_walk(300, seed=5)
    T[30:60] = 1.0
    T[200:215] = -2.0
    rule = np.ptp(np.lib.stride_tricks.sliding_window_view(T, 8), axis=1) < 1.5
    for const in (None, rule):
        mp = mpcore.stump(T, 8, k=k, T_A_subseq_isconstant=const)
        assert_tie_order(mp, T, 8, k=k, const_A=const)


def test_issue_examples():
    T = _periodic()
    mp = mpcore.stump(T, 10, k=3)
    assert list(mp.I_[30]) == [10, 50, 70] and mp.left_I_[30] == 10 and mp.right_I_[30] == 50
    assert list(mp.I_[60]) == [40, 80, 20] and mp.left_I_[60] == 40


@pytest.mark.parametrize("args", [dict(), dict(k=3), dict(normalize=False),
                                  dict(T_B=_tiles(9)[5:90].copy(), ignore_trivial=False)],
                         ids=str)
def test_same_for_any_thread_count(args):
    T = np.tile(random_walk(200, seed=6), 8)  # ties everywhere, across bands and workers
    ref = mpcore.stump(T, 16, n_threads=1, **args)
    for n in (2, 3, 5):
        mp = mpcore.stump(T, 16, n_threads=n, **args)
        np.testing.assert_array_equal(mp.P_, ref.P_)
        np.testing.assert_array_equal(mp.I_, ref.I_)
        np.testing.assert_array_equal(mp.left_I_, ref.left_I_)
        np.testing.assert_array_equal(mp.right_I_, ref.right_I_)


def test_window_classes():
    T = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0, -0.0, 0.0, 1.0, 2.0, np.nan, 1.0, 2.0])
    usable = np.isfinite(np.lib.stride_tricks.sliding_window_view(T, 2)).all(axis=1)
    cls = mpcore._exact.window_classes(T, 2, usable.astype(np.uint8))
    # windows: [1,2] [2,3] [3,1] [1,2] [2,3] [3,-0] [-0,0] [0,1] [1,2] [2,nan] [nan,1] [1,2]
    np.testing.assert_array_equal(cls, [0, 1, 2, 0, 1, 5, 6, 7, 0, -1, -1, 0])
    # a hash collision cannot merge different windows: equal hashes are compared value by value
    many = np.random.default_rng(0).integers(0, 3, 5000).astype(float)
    u = np.ones(5000 - 6 + 1, dtype=np.uint8)
    cls = mpcore._exact.window_classes(many, 6, u)
    W = np.lib.stride_tricks.sliding_window_view(many, 6)
    np.testing.assert_array_equal(W, W[cls])
    first = {}
    for i, w in enumerate(map(bytes, W)):
        first.setdefault(w, i)
    np.testing.assert_array_equal(cls, [first[bytes(w)] for w in W])


@pytest.mark.slow
def test_same_on_dask():
    # the order is decided in finalize, on the merged tables: the same on every executor
    T = np.tile(random_walk(150, seed=7), 6)
    with dask_client(processes=False) as client:
        for args in (dict(), dict(k=3), dict(T_B=T[40:500].copy(), ignore_trivial=False)):
            ref = mpcore.stump(T, 16, **args)
            mp = mpcore.stumped(client, T, 16, **args)
            np.testing.assert_array_equal(mp.P_, ref.P_)
            np.testing.assert_array_equal(mp.I_, ref.I_)
            np.testing.assert_array_equal(mp.left_I_, ref.left_I_)
            np.testing.assert_array_equal(mp.right_I_, ref.right_I_)
        assert_tie_order(mpcore.stumped(client, T, 16, k=2), T, 16, k=2)


@pytest.mark.parametrize("p", [1.0, 2.0])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_integer_counts_every_tie_in_order(p, k):
    """Small counts tie exactly between windows that are not identical, and the kernels' sums
    tie with them: every index, not only those among identical windows, is the reference's
    (mp_topk.later keeps a self-join's left table in STUMPY's order)."""
    checks.assert_integer_counts_tie_order(mpcore.aamp, p, k)
