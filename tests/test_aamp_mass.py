"""aamp (non-normalized p-norm) and mass against the long-double brute force."""
import math

import numpy as np
import pytest
from conftest import random_walk

import checks
import mpcore
import naive


@pytest.mark.parametrize("p", [1.0, 2.0, 0.5, 3.0])
@pytest.mark.parametrize("n,m", [(64, 3), (300, 20),
                                 pytest.param(900, 64, marks=pytest.mark.slow)])  # long double
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


def _mass_reference(Q, T, normalize=True, p=2.0, const_Q=None, const_T=None):
    """Brute-force distance profile (long double), via the full distance matrix of one query."""
    Dref = naive.distance_matrix(Q, len(Q), T, normalize, p, const_Q, const_T)[0]
    return Dref.astype(np.float64)


def _assert_close(D, Dref):
    np.testing.assert_array_equal(np.isinf(D), np.isinf(Dref))
    fin = np.isfinite(Dref)
    assert np.abs(D[fin] - Dref[fin]).max(initial=0) <= 1e-12 * max(Dref[fin].max(), 1.0)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_mass_T_subseq_isfinite_non_normalized(p):
    T = random_walk(300, seed=9)
    T[150] = np.nan
    Q = T[10:30].copy()
    l = len(T) - 20 + 1
    mask = np.ones(l, bool)
    mask[[0, 5, 200, l - 1]] = False  # finite windows the caller declares non-finite: inf
    mask[140] = True  # it holds the NaN: still inf, never a NaN distance
    D = mpcore.mass(Q, T, normalize=False, p=p, T_subseq_isfinite=mask)
    Dref = _mass_reference(Q, T, normalize=False, p=p)
    Dref[~mask] = np.inf
    _assert_close(D, Dref)
    assert not np.isnan(D).any()
    # the default (None) is the windows' own finiteness
    _assert_close(mpcore.mass(Q, T, normalize=False, p=p), _mass_reference(Q, T, False, p))


def test_mass_T_subseq_isfinite_ignored_when_normalized():
    """STUMPY documents T_subseq_isfinite as ignored when normalize=True."""
    T = random_walk(300, seed=10)
    Q = T[40:60].copy()
    mask = np.zeros(len(T) - 19, bool)
    np.testing.assert_array_equal(mpcore.mass(Q, T, T_subseq_isfinite=mask), mpcore.mass(Q, T))
    _assert_close(mpcore.mass(Q, T, T_subseq_isfinite=mask), _mass_reference(Q, T))


def _rolling_ptp_below(a, w, tol=3.0):
    W = np.lib.stride_tricks.sliding_window_view(np.asarray(a, dtype=np.float64), w)
    return np.ptp(W, axis=-1) < tol


def test_mass_T_subseq_isconstant_array_and_callable():
    T = random_walk(400, seed=11)
    m = 16
    Q = T[100 : 100 + m].copy()
    const_T = _rolling_ptp_below(T, m)
    assert 0 < const_T.sum() < len(const_T) - 10  # both kinds of window occur
    Dref = _mass_reference(Q, T, const_T=const_T)
    assert np.any(Dref[const_T] == math.sqrt(m))  # the rule changed distances
    _assert_close(mpcore.mass(Q, T, T_subseq_isconstant=const_T), Dref)
    _assert_close(mpcore.mass(Q, T, T_subseq_isconstant=_rolling_ptp_below), Dref)
    # a constant query: 0 to the constant windows, sqrt(m) to the others
    const_Q = np.array([True])
    Dref = _mass_reference(Q, T, const_Q=const_Q, const_T=const_T)
    for rule in (const_Q, True, lambda a, w: np.ones(len(a) - w + 1, bool)):
        D = mpcore.mass(Q, T, T_subseq_isconstant=const_T, Q_subseq_isconstant=rule)
        _assert_close(D, Dref)
        assert np.all(D[const_T] == 0.0) and np.all(D[~const_T] == math.sqrt(m))


@pytest.mark.slow  # STUMPY compiles its functions with numba on first use
def test_mass_isfinite_and_isconstant_match_stumpy():
    stumpy = pytest.importorskip("stumpy")
    T = random_walk(300, seed=12)
    T[77] = np.inf
    Q = T[200:220].copy()
    mask = np.isfinite(np.lib.stride_tricks.sliding_window_view(T, 20)).all(axis=1)
    mask[[3, 150]] = False
    const_T = _rolling_ptp_below(T, 20)
    for kwargs in (dict(normalize=False, T_subseq_isfinite=mask),
                   dict(normalize=False, p=1.0, T_subseq_isfinite=mask),
                   dict(T_subseq_isfinite=mask),
                   dict(T_subseq_isconstant=const_T),
                   dict(T_subseq_isconstant=_rolling_ptp_below)):
        D, Dst = mpcore.mass(Q, T, **kwargs), stumpy.mass(Q, T, **kwargs)
        np.testing.assert_array_equal(np.isinf(D), np.isinf(Dst), err_msg=str(kwargs))
        fin = np.isfinite(Dst)
        np.testing.assert_allclose(D[fin], Dst[fin], rtol=1e-6, atol=1e-6, err_msg=str(kwargs))


@pytest.mark.parametrize("p", [1.5, 3.0])
@pytest.mark.parametrize("m", [3, 4, 5, 23])
def test_aamp_general_p_every_kernel(kernel, p, m):
    """A general p (vector powers, each term computed once and kept in the band's ring; see
    seed_ring_ in _kernels/band_impl.h) on every kernel against the brute force: a walk with
    a plateau far above its noise (tracked rows and blocks), a NaN, windows shorter than a
    block of rows (m <= 4: a row's ta is the tb of a row in the same block), self- and
    AB-joins, k = 1 and 2."""
    rng = np.random.default_rng(m)
    T = random_walk(700, seed=m)
    T[200:300] = 50.0 + 1e-3 * rng.standard_normal(100)
    T[450] = np.nan
    checks.assert_profile(mpcore.aamp(T, m, p=p), T, m, normalize=False, p=p)
    checks.assert_profile(mpcore.aamp(T, m, p=p, k=2), T, m, normalize=False, p=p, k=2)
    B = random_walk(300, seed=m + 1)
    checks.assert_profile(mpcore.aamp(T, m, B, ignore_trivial=False, p=p), T, m, B,
                          normalize=False, p=p)
