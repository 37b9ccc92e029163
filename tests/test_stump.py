"""stump against the long-double brute force and against STUMPY, on many kinds of input."""
import functools
import math

import numpy as np
import pytest
from conftest import random_walk

import checks
import mpcore

SIZES = [(8, 3), (20, 3), (64, 3), (64, 8), (100, 16), (257, 32), (300, 50), (400, 200),
         (600, 100), (1000, 5), (1500, 20), (64, 32)]


@pytest.mark.parametrize("n,m", SIZES)
def test_self_join_random_walk(n, m):
    T = random_walk(n, seed=n + m)
    checks.assert_profile(mpcore.stump(T, m), T, m)


@pytest.mark.parametrize("n,m", [(64, 3), (300, 50), (700, 64), (1200, 100)])
def test_self_join_every_kernel(kernel, n, m):
    T = random_walk(n, seed=7)
    checks.assert_profile(mpcore.stump(T, m), T, m)
    TB = random_walk(n // 2 + 5, seed=8)
    checks.assert_profile(mpcore.stump(T, m, TB, ignore_trivial=False), T, m, TB)
    checks.assert_profile(mpcore.stump(T, m, k=3), T, m, k=3)


@pytest.mark.parametrize("na,nb,m", [(64, 64, 3), (100, 37, 8), (37, 100, 8), (500, 300, 50),
                                     (300, 900, 64), (50, 50, 50)])
def test_ab_join_both_ways(na, nb, m):
    A, B = random_walk(na, seed=1), random_walk(nb, seed=2)
    checks.assert_profile(mpcore.stump(A, m, B, ignore_trivial=False), A, m, B)
    checks.assert_profile(mpcore.stump(B, m, A, ignore_trivial=False), B, m, A)


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("ab", [False, True])
def test_top_k(k, ab):
    T = random_walk(300, seed=k)
    TB = random_walk(200, seed=10 + k) if ab else None
    mp = mpcore.stump(T, 12, TB, ignore_trivial=not ab, k=k)
    checks.assert_profile(mp, T, 12, TB, k=k)
    assert mp.shape == (289, 2 * k + 2)
    if k > 1:
        assert np.all(np.diff(mp.P_, axis=1) >= 0)


NAN_POSITIONS = [0, -1, slice(1, 3), [0, 3], slice(40, 60), slice(100, 101)]


@pytest.mark.parametrize("pos", NAN_POSITIONS, ids=str)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nonfinite(pos, value):
    T = random_walk(150, seed=3)
    T[pos] = value
    mp = mpcore.stump(T, 8)
    checks.assert_profile(mp, T, 8)
    TB = random_walk(90, seed=4)
    TB[pos] = value
    checks.assert_profile(mpcore.stump(T, 8, TB, ignore_trivial=False), T, 8, TB)
    checks.assert_profile(mpcore.stump(TB, 8, T, ignore_trivial=False), TB, 8, T)


def test_nonfinite_windows_get_inf_and_minus_one():
    T = random_walk(50, seed=5)
    T[10] = np.nan
    mp = mpcore.stump(T, 5)
    assert np.all(np.isinf(mp.P_[6:11])) and np.all(mp.I_[6:11] == -1)
    assert np.all(np.isfinite(mp.P_[:6])) and not np.isin(np.arange(6, 11), mp.I_).any()


def test_all_nan_series():
    T = np.full(20, np.nan)
    mp = mpcore.stump(T, 4)
    assert np.all(np.isinf(mp.P_)) and np.all(mp.I_ == -1)


def test_constant_stretches():
    T = np.concatenate((np.zeros(20), np.ones(5)))
    checks.assert_profile(mpcore.stump(T, 3), T, 3)
    T = random_walk(200, seed=6)
    T[50:90] = 2.5
    T[150:170] = -1.0
    for k in (1, 3):
        checks.assert_profile(mpcore.stump(T, 10, k=k), T, 10, k=k)


@pytest.mark.parametrize("which", ["A", "B", "both"])
def test_constant_series_in_ab_join(which):
    A, B = random_walk(80, seed=1), random_walk(60, seed=2)
    if which in ("A", "both"):
        A = np.full(80, 3.0)
    if which in ("B", "both"):
        B = np.full(60, -1.0)
    for X, Y in ((A, B), (B, A)):
        mp = mpcore.stump(X, 6, Y, ignore_trivial=False)
        checks.assert_profile(mp, X, 6, Y)
    if which == "both":
        assert np.all(mp.P_ == 0)
    else:
        assert np.all(np.isclose(mpcore.stump(A, 6, B, ignore_trivial=False).P_, math.sqrt(6)))


def test_planted_identical_windows_are_exactly_zero():
    T = random_walk(500, seed=9)
    T[300:340] = T[40:80]
    mp = mpcore.stump(T, 40)
    assert mp.P_[40] == 0.0 and mp.P_[300] == 0.0
    assert mp.I_[40] == 300 and mp.I_[300] == 40
    TB = random_walk(300, seed=10)
    TB[100:140] = T[40:80]
    ab = mpcore.stump(T, 40, TB, ignore_trivial=False)
    assert ab.P_[40] == 0.0 and ab.I_[40] == 100


@pytest.mark.parametrize("offset,scale", [(1e9, 1.0), (0.0, 1e-9), (-3e7, 1e3), (1e9, 1e-3)])
def test_offset_and_scale(offset, scale):
    T = offset + scale * random_walk(400, seed=11)
    checks.assert_profile(mpcore.stump(T, 25), T, 25)
    T2 = offset + scale * random_walk(300, seed=12)
    checks.assert_profile(mpcore.stump(T, 25, T2, ignore_trivial=False), T, 25, T2)


def test_long_series_stays_exact():
    # long diagonals: the recurrence is re-seeded, and the final distances are exact anyway
    T = 1e6 + random_walk(12000, seed=13)
    m = 8
    mp = mpcore.stump(T, m)
    rows = np.random.default_rng(0).choice(len(mp), 40, replace=False)
    for i in rows:
        D = mpcore.mass(T[i : i + m], T)
        D[max(0, i - 2) : i + 3] = np.inf
        j = int(np.argmin(D))
        assert abs(mp.P_[i] - D[j]) <= 1e-12 * 2 * math.sqrt(m)
        assert mp.I_[i] == j or abs(D[mp.I_[i]] - D[j]) <= 1e-12 * 2 * math.sqrt(m)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float32, np.float16, np.uint8])
def test_int_and_float32_input_converted(dtype):
    rng = np.random.default_rng(0)
    T = rng.integers(0, 50, 120).astype(dtype)
    ref = T.astype(np.float64)
    checks.assert_profile(mpcore.stump(T, 6), ref, 6)
    assert T.dtype == dtype


def test_list_pandas_polars_input():
    pd = pytest.importorskip("pandas")
    T = random_walk(100, seed=14)
    expect = mpcore.stump(T, 7)
    for obj in (list(T), pd.Series(T)):
        np.testing.assert_array_equal(mpcore.stump(obj, 7).P_, expect.P_)
    pl = pytest.importorskip("polars")
    np.testing.assert_array_equal(mpcore.stump(pl.Series(T), 7).P_, expect.P_)
    TB = pd.Series(random_walk(60, seed=15))
    ab = mpcore.stump(pd.Series(T), 7, TB, ignore_trivial=False)
    checks.assert_profile(ab, T, 7, TB.to_numpy())


def test_isconstant_array_and_callable():
    T = random_walk(120, seed=16)
    T[30:45] += 1e-9 * np.arange(15)  # nearly flat, not exactly constant
    T[30:45] = T[30]
    const = np.zeros(120 - 8 + 1, dtype=bool)
    const[60:70] = True
    mp = mpcore.stump(T, 8, T_A_subseq_isconstant=const)
    checks.assert_profile(mp, T, 8, const_A=const)

    def flat(a, w, threshold):
        from numpy.lib.stride_tricks import sliding_window_view
        return np.std(sliding_window_view(a, w), axis=1) < threshold

    f = functools.partial(flat, threshold=0.5)
    mp = mpcore.stump(T, 8, T_A_subseq_isconstant=f)
    checks.assert_profile(mp, T, 8, const_A=f(T, 8))
    B = random_walk(70, seed=17)
    ab = mpcore.stump(T, 8, B, ignore_trivial=False, T_A_subseq_isconstant=f,
                      T_B_subseq_isconstant=f)
    checks.assert_profile(ab, T, 8, B, const_A=f(T, 8), const_B=f(B, 8))


def test_inputs_not_modified():
    T = random_walk(100, seed=18)
    T[5] = np.nan
    TB = random_walk(80, seed=19)
    T0, TB0 = T.copy(), TB.copy()
    mpcore.stump(T, 5, TB, ignore_trivial=False)
    mpcore.stump(T, 5)
    mpcore.aamp(T, 5, p=1.0)
    np.testing.assert_array_equal(T, T0)
    np.testing.assert_array_equal(TB, TB0)


def test_normalize_false_is_aamp():
    T = random_walk(100, seed=20)
    T_B = random_walk(80, seed=21)
    # against the brute-force p-norm profile, not against aamp (stump calls aamp here)
    checks.assert_profile(mpcore.stump(T, 6, normalize=False, p=1.5), T, 6, normalize=False, p=1.5)
    checks.assert_profile(mpcore.stump(T, 6, T_B, ignore_trivial=False, normalize=False, k=2),
                          T, 6, T_B, k=2, normalize=False)


def test_stumpy_documented_example():
    # STUMPY 1.14's output for its docstring example, to its own precision
    T = np.array([584.0, -11.0, 23.0, 79.0, 1001.0, 0.0, -19.0])
    mp = mpcore.stump(T, m=3)
    np.testing.assert_allclose(
        mp.P_, [0.1163385711369199, 2.6940739180634403, 3.0000926340485923,
                2.6940739180634403, 0.1163385711369199], rtol=1e-12)
    np.testing.assert_array_equal(mp.I_, [4, 3, 0, 1, 0])
    np.testing.assert_array_equal(mp.left_I_, [-1, -1, 0, 1, 0])
    np.testing.assert_array_equal(mp.right_I_, [4, 3, 4, -1, -1])
    checks.assert_profile(mp, T, 3)


def test_warnings_like_stumpy():
    T = random_walk(50, seed=21)
    with pytest.warns(UserWarning, match="implies a self-join"):
        mpcore.stump(T, 5, T.copy(), ignore_trivial=False)
    with pytest.warns(UserWarning, match="implies an AB-join"):
        mp = mpcore.stump(T, 5, random_walk(40, seed=22), ignore_trivial=True)
    assert np.all(mp.left_I_ == -1)
    with pytest.warns(UserWarning, match="may be too large and could lead to meaningless"):
        mpcore.stump(random_walk(10, seed=1), 7)
