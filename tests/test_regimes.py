"""fluss / floss and the arc-curve helpers: against brute-force definitions and STUMPY (whose
seeded idealized arc curve must be reproduced exactly)."""
import numpy as np
import pytest
from conftest import random_walk
from reference import analysis as ref

import mpcore
from mpcore._algos import regimes


def parabola(k):
    x = np.arange(k)
    return -(k / 2 / (k / 2) ** 2) * (x - k / 2) ** 2 + k / 2


@pytest.mark.parametrize("n", [1, 2, 50, 1000])
def test_nnmark_vs_loop(n):
    rng = np.random.default_rng(n)
    I = rng.integers(-1, n, n)
    np.testing.assert_array_equal(regimes._nnmark(I), ref.nnmark(I))
    mp = mpcore.stump(random_walk(n + 20, n), 20)
    np.testing.assert_array_equal(regimes._nnmark(mp[:, 1]), ref.nnmark(mp.I_))


def test_nnmark_rejects_bad_indices():
    with pytest.raises(ValueError, match="outside"):
        regimes._nnmark(np.array([0, 5, 1]))


@pytest.mark.parametrize("excl_factor", [0, 1, 5])
def test_fluss_vs_reference(excl_factor):
    T = np.concatenate([np.sin(np.arange(600) / 5), np.sign(np.sin(np.arange(600) / 9))])
    T = T + 0.05 * random_walk(1200, 1)
    m, L = 30, 30
    mp = mpcore.stump(T, m)
    iac = parabola(len(mp))
    I0 = mp.I_.copy()
    cac, locs = mpcore.fluss(mp[:, 1], L, 3, excl_factor, custom_iac=iac)
    np.testing.assert_array_equal(mp.I_, I0)
    expected = ref.cac(mp.I_, L, excl_factor, iac)
    np.testing.assert_allclose(cac, expected, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(locs, ref.rea(expected, 3, L, excl_factor))
    if excl_factor == 5:  # the regime change at 600 is found
        assert abs(int(locs[0]) - 600) < 60


def test_custom_iac_not_modified():
    iac = parabola(100)
    iac[[0, 10]] = 0.0
    before = iac.copy()
    regimes._cac(np.arange(100)[::-1].copy(), 2, True, 1, iac)
    np.testing.assert_array_equal(iac, before)


def test_bad_input():
    I = np.arange(50)
    with pytest.raises(ValueError, match="n_regimes"):
        mpcore.fluss(I, 5, 0)
    with pytest.raises(TypeError, match="L"):
        mpcore.fluss(I, 5.5, 2)
    with pytest.raises(ValueError, match="custom_iac"):
        mpcore.fluss(I, 5, 2, custom_iac=np.ones(10))
    T = random_walk(100)
    mp = mpcore.stump(T, 10)
    with pytest.raises(ValueError, match="mp"):
        mpcore.floss(mp[:50], T, 10, 5, custom_iac=np.ones(91))
    with pytest.raises(ValueError, match="callable"):
        mpcore.floss(mp, T, 10, 5, custom_iac=np.ones(91), T_subseq_isconstant_func=3)
    stream = mpcore.floss(mp, T, 10, 5, custom_iac=np.ones(91))
    with pytest.raises(TypeError, match="t"):
        stream.update("x")


def brute_floss(T_all, n, m, L, excl_factor, iac, normalize, p):
    """Each step from scratch: right nearest neighbours of the window T_all[i+1 : i+1+n]."""
    k = n - m + 1
    zone = ref.excl(m)
    P, I = ref.right_profile(T_all[:n], m, normalize, p)
    P = P.copy()
    I = np.where(I < 0, np.arange(k), I)
    for i in range(len(T_all) - n):
        T = T_all[i + 1 : i + 1 + n]
        P = np.append(P[1:], np.inf)
        I = np.append(I[1:], k + i)
        D = ref.distance_profile(np.where(np.isfinite(T[-m:]), T[-m:], 0.0), T, normalize, p)
        if not np.all(np.isfinite(T[-m:])):
            D[:] = np.inf
        D[max(0, k - zone) :] = np.inf
        better = D < P
        P[better] = D[better]
        I[better] = k + i
        cac = ref.cac(I - i - 1, L, excl_factor, iac)
        yield T, P.copy(), np.where(P == np.inf, -1, I), cac


@pytest.mark.parametrize("normalize,p", [(True, 2.0), (False, 2.0), (False, 1.0)])
@pytest.mark.parametrize("kind", ["walk", "nan", "constant"])
def test_floss_vs_brute_force(normalize, p, kind):
    rng = np.random.default_rng(4)
    data = random_walk(140, 4)
    if kind == "nan":
        data[[20, 90, 121]] = [np.nan, np.inf, np.nan]
    elif kind == "constant":
        data[30:60] = 1.0
        data[100:125] = 2.0
    n, m, L, excl_factor = 80, 6, 4, 1
    k = n - m + 1
    iac = parabola(k) + rng.random(k)
    P0, I0 = ref.right_profile(data[:n], m, normalize, p)
    mp = np.empty((k, 4), dtype=object)
    mp[:, 0], mp[:, 1], mp[:, 2], mp[:, 3] = P0, I0, -1, I0
    stream = mpcore.floss(mp, data[:n], m, L, excl_factor, custom_iac=iac,
                          normalize=normalize, p=p)
    np.testing.assert_array_equal(stream.cac_1d_, -1.0)
    for t, (T, P, I, cac) in zip(data[n:], brute_floss(data, n, m, L, excl_factor, iac,
                                                       normalize, p)):
        stream.update(t)
        np.testing.assert_array_equal(stream.T_, T)
        np.testing.assert_array_equal(stream.I_, I)
        np.testing.assert_allclose(stream.P_, P, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(stream.cac_1d_, cac, rtol=1e-12, atol=0)


@pytest.mark.slow  # importing STUMPY (numba) takes seconds
def test_iac_matches_stumpy_and_its_random_state():
    import sys

    pytest.importorskip("stumpy")
    stumpy_floss = sys.modules["stumpy.floss"]  # the module: stumpy.floss is the class
    for width, bidirectional in ((40, True), (40, False), (3, False)):
        a = stumpy_floss._iac(width, bidirectional, n_iter=5, n_samples=50)
        after_a = np.random.random()
        b = regimes._iac(width, bidirectional, n_iter=5, n_samples=50)
        after_b = np.random.random()
        c = regimes._iac(width, bidirectional, n_iter=5, n_samples=50)  # from the cache
        after_c = np.random.random()
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(b, c)
        assert after_a == after_b == after_c


@pytest.mark.slow  # STUMPY's JIT compilation takes tens of seconds
def test_floss_and_fluss_vs_stumpy():
    import sys

    pytest.importorskip("stumpy")
    S = sys.modules["stumpy.floss"]
    data = random_walk(200, 6)
    n, m, L = 120, 8, 5
    mp = mpcore.stump(data[:n], m)
    iac = S._iac(len(mp), bidirectional=False, n_iter=5, n_samples=50)
    ours = mpcore.floss(mp, data[:n], m, L, 1, custom_iac=iac)
    theirs = S.floss(np.asarray(mp), data[:n], m, L, 1, custom_iac=iac)
    for t in data[n:]:
        ours.update(t)
        theirs.update(t)
        np.testing.assert_array_equal(ours.I_, theirs.I_)
        np.testing.assert_allclose(ours.P_, theirs.P_, atol=1e-6)
        np.testing.assert_allclose(ours.cac_1d_, theirs.cac_1d_, atol=1e-12)
    mp = mpcore.stump(data, m)
    iac = parabola(len(mp))
    a = mpcore.fluss(mp[:, 1], L, 4, 2, iac)
    b = S.fluss(np.asarray(mp)[:, 1], L, 4, 2, iac.copy())
    np.testing.assert_allclose(a[0], b[0], rtol=1e-15)
    np.testing.assert_array_equal(a[1], b[1])


def test_iac_from_threads_at_once():
    """The idealized arc curve seeds and draws a generator of its own (STUMPY draws from
    NumPy's global one): two threads computing it at once got curves of interleaved draws in
    every try, and the cache kept one for the rest of the process."""
    import threading

    pytest.importorskip("scipy")  # (the curve is SciPy's beta fit)
    args = (60, True, 40, 200)
    regimes._IAC_CACHE.clear()
    want = regimes._iac(*args)
    after = np.random.random()  # the global generator is left as STUMPY leaves it
    for _ in range(3):
        regimes._IAC_CACHE.clear()
        got = [None] * 4
        start = threading.Barrier(4)

        def run(i):
            start.wait()
            got[i] = regimes._iac(*args)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for g in got:
            np.testing.assert_array_equal(g, want)
        np.testing.assert_array_equal(regimes._iac(*args), want)  # (the cached curve)
        assert np.random.random() == after
