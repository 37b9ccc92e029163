"""aamp (non-normalized p-norm) and mass against the long-double brute force."""
import math

import numpy as np
import pytest
from conftest import random_walk

import checks
import mpcore
import naive


@pytest.mark.parametrize("p", [1.0, 2.0, 0.5, 3.0])
@pytest.mark.parametrize("n,m", [(64, 3), (300, 20), (900, 64)])
def test_aamp_self_and_ab(p, n, m):
    T = random_walk(n, seed=n)
    checks.assert_profile(mpcore.aamp(T, m, p=p), T, m, normalize=False, p=p)
    B = random_walk(n // 2 + 3, seed=n + 1)
    checks.assert_profile(mpcore.aamp(T, m, B, ignore_trivial=False, p=p), T, m, B,
                          normalize=False, p=p)


def test_aamp_every_kernel_nan_topk(kernel):
    T = 1e6 + random_walk(600, seed=3)
    T[[10, 300, 301]] = np.nan
    for p in (1.0, 2.0):
        checks.assert_profile(mpcore.aamp(T, 16, p=p, k=3), T, 16, normalize=False, p=p, k=3)


def test_aamp_identical_windows_zero():
    T = random_walk(400, seed=4)
    T[200:230] = T[20:50]
    mp = mpcore.aamp(T, 30)
    assert mp.P_[20] == 0.0 and mp.I_[20] == 200


@pytest.mark.parametrize("normalize", [True, False])
def test_mass_against_reference(normalize):
    T = 1e9 + random_walk(500, seed=5)
    T[[3, 250]] = np.nan
    T[400:430] = T[400]
    for start in (0, 100, 400):
        Q = T[start : start + 20].copy()
        if not np.all(np.isfinite(Q)):
            continue
        D = mpcore.mass(Q, T, normalize=normalize)
        Dref = naive.distance_matrix(np.concatenate((Q, [0.0])), 20, T, normalize)[0]
        Dref = Dref.astype(np.float64)
        np.testing.assert_array_equal(np.isinf(D), np.isinf(Dref))
        fin = np.isfinite(D)
        scale = Dref[fin].max()
        assert np.abs(D[fin] - Dref[fin]).max() <= 1e-12 * scale
        assert D[start] == 0.0


def test_mass_query_idx_and_nan_query():
    T = random_walk(100, seed=6)
    Q = T[10:20] + 1e-3
    with pytest.warns(UserWarning, match="different"):
        D = mpcore.mass(Q, T, query_idx=10)
    assert D[10] == 0.0
    Q = T[10:20].copy()
    Q[2] = np.inf
    assert np.all(np.isinf(mpcore.mass(Q, T)))


def test_mass_given_stats():
    T = random_walk(200, seed=7)
    Q = T[50:60].copy()
    W = np.lib.stride_tricks.sliding_window_view(T, 10)
    D = mpcore.mass(Q, T, M_T=W.mean(axis=1), Σ_T=W.std(axis=1))
    np.testing.assert_allclose(D, mpcore.mass(Q, T), atol=1e-12)
    assert abs(D[50]) < 1e-7


def test_mass_constant_rules():
    T = np.concatenate((random_walk(50, seed=8), np.full(20, 4.0)))
    Q = np.full(10, 1.0)
    D = mpcore.mass(Q, T)
    assert np.all(D[55:61] == 0.0)
    assert np.all(D[:40] == math.sqrt(10))
