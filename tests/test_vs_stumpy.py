"""The same inputs through STUMPY 1.14: same layout, distances within STUMPY's own error, and
where indices differ it is a tie (equal exact distance), never an error."""
import warnings

import numpy as np
import pytest
from conftest import random_walk

import mpcore
import naive


@pytest.fixture(scope="module")
def stumpy():
    """STUMPY, imported by the first test that runs here (importing it takes seconds: numba),
    not when the default run collects this module and deselects it (every test here is slow:
    conftest.SLOW)."""
    return pytest.importorskip("stumpy",
                               reason="STUMPY (numba) is not installable on this Python")


def _both(fn_ours, fn_theirs, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn_ours(*args, **kw), fn_theirs(*args, **kw)


def _check(ours, theirs, T_A, m, T_B=None, k=1, normalize=True, p=2.0, atol=1e-6):
    D = naive.distance_matrix(T_A, m, T_B, normalize, p).astype(np.float64)
    l = ours.shape[0]
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == object
    P, I = ours.P_.reshape(l, k), ours.I_.reshape(l, k)
    Ps = np.asarray(theirs[:, :k], dtype=np.float64)
    Is = np.asarray(theirs[:, k : 2 * k], dtype=np.int64)
    np.testing.assert_array_equal(np.isinf(P), np.isinf(Ps))
    fin = np.isfinite(P)
    np.testing.assert_allclose(P[fin], Ps[fin], rtol=0, atol=atol)
    for q in range(k):
        diff = np.flatnonzero(I[:, q] != Is[:, q])
        for i in diff:
            assert abs(D[i, I[i, q]] - D[i, Is[i, q]]) <= atol, f"row {i}: not a tie"
    for col in (2 * k, 2 * k + 1):
        ours_lr = np.asarray(ours[:, col], dtype=np.int64)
        theirs_lr = np.asarray(theirs[:, col], dtype=np.int64)
        for i in np.flatnonzero(ours_lr != theirs_lr):
            assert ours_lr[i] >= 0 and theirs_lr[i] >= 0
            assert abs(D[i, ours_lr[i]] - D[i, theirs_lr[i]]) <= atol, f"left/right row {i}"
    # the typed views match STUMPY's (converted) ones
    np.testing.assert_allclose(ours.P_[np.isfinite(ours.P_)],
                               theirs.P_[np.isfinite(theirs.P_)], atol=atol, rtol=0)


@pytest.mark.parametrize("n,m", [(64, 3), (200, 10), (1000, 50), (2000, 100), (700, 350)])
def test_self_join(stumpy, n, m):
    T = random_walk(n, seed=n)
    _check(*_both(mpcore.stump, stumpy.stump, T, m), T, m)


@pytest.mark.parametrize("n,m", [(300, 10), (1500, 64)])
def test_ab_join(stumpy, n, m):
    A, B = random_walk(n, seed=1), random_walk(n // 3, seed=2)
    _check(*_both(mpcore.stump, stumpy.stump, A, m, B, ignore_trivial=False), A, m, B)
    _check(*_both(mpcore.stump, stumpy.stump, B, m, A, ignore_trivial=False), B, m, A)


def test_stumpy_test_suite_data(stumpy):
    # the fixed arrays of STUMPY's own test_stump.py
    T_A = np.array([9, 8100, -60, 7], dtype=np.float64)
    T_B = np.array([584, -11, 23, 79, 1001, 0, -19], dtype=np.float64)
    for A, B in ((T_B, None), (T_A, T_B), (T_B, T_A)):
        ours, theirs = _both(mpcore.stump, stumpy.stump, A, 3, B, ignore_trivial=B is None)
        _check(ours, theirs, A, 3, B)


@pytest.mark.parametrize("k", [2, 3])
def test_top_k(stumpy, k):
    T = random_walk(400, seed=k)
    _check(*_both(mpcore.stump, stumpy.stump, T, 16, k=k), T, 16, k=k)


@pytest.mark.parametrize("pos", [0, -1, slice(1, 3), [0, 3], slice(50, 80)], ids=str)
def test_nan_inf(stumpy, pos):
    T = random_walk(200, seed=3)
    T[pos] = np.nan
    _check(*_both(mpcore.stump, stumpy.stump, T, 10), T, 10)
    T[pos] = np.inf
    B = random_walk(120, seed=4)
    _check(*_both(mpcore.stump, stumpy.stump, T, 10, B, ignore_trivial=False), T, 10, B)


def test_constant_stretches(stumpy):
    T = random_walk(300, seed=5)
    T[100:160] = 1.5
    _check(*_both(mpcore.stump, stumpy.stump, T, 12), T, 12)
    T = np.concatenate((np.zeros(20), np.ones(5)))
    _check(*_both(mpcore.stump, stumpy.stump, T, 3), T, 3)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_aamp(stumpy, p):
    T = random_walk(500, seed=6)
    _check(*_both(mpcore.aamp, stumpy.aamp, T, 20, p=p), T, 20, normalize=False, p=p)
    B = random_walk(300, seed=7)
    _check(*_both(mpcore.aamp, stumpy.aamp, T, 20, B, ignore_trivial=False, p=p), T, 20, B,
           normalize=False, p=p)


def test_stump_normalize_false_like_stumpy(stumpy):
    T = random_walk(300, seed=8)
    ours, theirs = _both(mpcore.stump, stumpy.stump, T, 15, normalize=False, p=1.0)
    _check(ours, theirs, T, 15, normalize=False, p=1.0)


@pytest.mark.parametrize("normalize", [True, False])
def test_mass(stumpy, normalize):
    T = random_walk(1000, seed=9)
    T[500] = np.nan
    Q = T[100:150].copy()
    ours = mpcore.mass(Q, T, normalize=normalize)
    theirs = stumpy.mass(Q, T, normalize=normalize)
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))
    fin = np.isfinite(ours)
    np.testing.assert_allclose(ours[fin], theirs[fin], atol=1e-6, rtol=0)
    assert ours[100] == 0.0
