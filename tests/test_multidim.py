"""Multi-dimensional matrix profiles (mstump, maamp, mstumped, maamped, subspace, mdl, mmotifs):
against a brute force written here (every pair, every channel, long double), and against STUMPY."""
import threading
from concurrent.futures import CancelledError

import numpy as np
import pytest
from conftest import dask_client as local_dask_client
from naive import distance_matrix

import mpcore
from mpcore._algos import multidim


@pytest.fixture(scope="module")
def stumpy():
    """STUMPY, for the comparisons only (it does not run on free-threaded CPython)."""
    return pytest.importorskip("stumpy")


# ----------------------------------------------------------------------------- brute force

def brute_mstump(T, m, include=None, discords=False, normalize=True, p=2.0, const=None,
                 full=False):
    """P[k, i] = min over non-trivial j of the mean of the k+1 first per-channel distances of
    (i, j), the included channels first and the others sorted; ties to the lowest j."""
    T = np.asarray(T, dtype=np.float64)
    d, n = T.shape
    l = n - m + 1
    D = np.array([distance_matrix(T[c], m, normalize=normalize, p=p,
                                  const_A=None if const is None else const[c],
                                  const_B=None if const is None else const[c])
                  for c in range(d)])  # (d, l, l), long double
    inc = [] if include is None else list(include)
    rest = [c for c in range(d) if c not in inc]
    R = np.sort(D[rest], axis=0)
    if discords:
        R = R[::-1]
    D = np.concatenate([D[inc], R]) if inc else R
    M = np.cumsum(D, axis=0) / np.arange(1, d + 1)[:, None, None]
    excl = int(np.ceil(m / 4))
    for i in range(l):
        M[:, i, max(0, i - excl) : i + excl + 1] = np.inf
    I = np.argmin(M, axis=2)  # first minimum: the lowest index
    P = np.take_along_axis(M, I[:, :, None], axis=2)[:, :, 0].astype(np.float64)
    I[~np.isfinite(P)] = -1
    return (P, I, M) if full else (P, I)


def walks(d, n, seed=0):
    return np.random.default_rng(seed).standard_normal((d, n)).cumsum(axis=1)


def check(T, m, tol=1e-9, **kw):
    P, I = mpcore.mstump(T, m, **kw) if kw.get("normalize", True) else \
        mpcore.maamp(T, m, **{a: b for a, b in kw.items() if a != "normalize"})
    kw.pop("T_subseq_isconstant", None)
    rP, rI, M = brute_mstump(T, m, full=True, **kw)
    np.testing.assert_allclose(P, rP, rtol=tol, atol=tol)
    # the lowest index wins ties; where windows repeat exactly (an exact tie), the kernel's
    # running sums may rank the tied candidates by rounding (as STUMPY's do): the index it
    # gives must then be a true minimum too
    assert ((I < 0) == (rI < 0)).all()
    k, i = np.nonzero(I != rI)
    np.testing.assert_allclose(M[k, i, I[k, i]].astype(float), rP[k, i], rtol=tol, atol=tol)
    return P, I


# ----------------------------------------------------------------------------- mstump / maamp

@pytest.mark.parametrize("d, n, m", [(1, 80, 5), (2, 120, 3), (3, 150, 10), (5, 100, 7),
                                     (10, 90, 4), (17, 70, 6)])
@pytest.mark.parametrize("discords", [False, True])
def test_mstump_brute_force(d, n, m, discords):
    check(walks(d, n, seed=d), m, discords=discords)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("d, n, m", [(1, 80, 5), (3, 150, 10), (10, 90, 4)])
def test_maamp_brute_force(d, n, m, p):
    T = walks(d, n, seed=d) * 100.0
    check(T, m, normalize=False, p=p)
    check(T, m, normalize=False, p=p, discords=True, include=[d - 1])


def test_mstump_d32():
    check(walks(32, 60, seed=3), 5)
    check(walks(32, 60, seed=3), 5, include=[31, 4, 0], discords=True)


@pytest.mark.parametrize("include", [[0], [2, 0], [1, 3, 0], [0, 1, 2, 3], [3]])
@pytest.mark.parametrize("discords", [False, True])
def test_include(include, discords):
    T = walks(4, 100, seed=5)
    check(T, 6, include=include, discords=discords)
    check(T, 6, include=np.array(include), discords=discords, normalize=False)


def test_include_repeats_and_errors():
    T = walks(3, 60)
    with pytest.warns(UserWarning, match="Removed repeating"):
        P, I = mpcore.mstump(T, 5, include=[1, 1, 0])
    rP, rI = brute_mstump(T, 5, include=[1, 0])
    np.testing.assert_allclose(P, rP, rtol=1e-9)
    with pytest.raises(ValueError, match="include"):
        mpcore.mstump(T, 5, include=[3])
    with pytest.raises(ValueError, match="include"):
        mpcore.mstump(T, 5, include=[-1])
    with pytest.raises(TypeError, match="include"):
        mpcore.mstump(T, 5, include=[0.5])


def test_nan_in_one_channel():
    T = walks(4, 200, seed=7)
    T[1, 50] = np.nan
    T[1, 120:123] = np.inf
    T[3, 199] = -np.inf
    T0 = T.copy()
    P, I = check(T, 8)
    np.testing.assert_array_equal(T, T0, strict=True)  # the input is never modified
    # windows holding the NaN still have finite k < d-1 profiles; the last row is inf, -1
    assert np.isfinite(P[:3, 50]).all() and P[3, 50] == np.inf and I[3, 50] == -1
    check(T, 8, normalize=False)
    check(T, 8, include=[1], discords=True)


def test_constant_channels():
    T = walks(4, 200, seed=8)
    T[0] = 3.0  # an all-constant channel
    T[2, 40:90] = -1.5  # a constant stretch
    T[3, 100:130] = T[3, 10:40]  # an exact repeat: distance 0
    P, I = check(T, 10)
    assert P[0, 100] == 0.0 and I[0, 100] == 0  # constant channel: 0 apart, lowest index
    assert P[1, 100] == 0.0 and I[1, 100] == 10  # and the exact repeat in channel 3
    check(T, 10, discords=True)
    check(T, 10, include=[2])
    check(T, 10, normalize=False)


def test_isconstant_argument():
    T = walks(3, 120, seed=9)
    m = 6
    l = 120 - m + 1

    def flat(a, w):
        return np.ptp(np.lib.stride_tricks.sliding_window_view(a, w), axis=-1) < 1.0

    const = np.array([flat(T[c], m) for c in range(3)])
    for arg in (flat, const, [flat, None, const[2]]):
        P, I = mpcore.mstump(T, m, T_subseq_isconstant=arg)
        c = const.copy()
        if isinstance(arg, list):
            c[1] = False
        rP, rI = brute_mstump(T, m, const=c)
        np.testing.assert_allclose(P, rP, rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(I, rI)
    with pytest.raises(ValueError, match="T_subseq_isconstant"):
        mpcore.mstump(T, m, T_subseq_isconstant=np.zeros((2, l), dtype=bool))
    with pytest.raises(ValueError, match="T_subseq_isconstant"):
        mpcore.mstump(T, m, T_subseq_isconstant=[None])


def test_d1_equals_stump():
    x = walks(1, 500, seed=11)[0]
    x[200:230] = 0.5
    for m in (3, 10, 50):
        P, I = mpcore.mstump(x[None], m)
        mp = mpcore.stump(x, m)
        np.testing.assert_allclose(P[0], mp.P_, rtol=1e-12, atol=1e-12)
        # among exactly tied neighbours (the constant stretch) STUMPY's stump takes the nearest
        # in time and its mstump the lowest index: elsewhere the indices are equal, and where
        # they differ both choices are at exactly the same distance
        differ = np.flatnonzero(I[0] != mp.I_)
        assert np.all(x[differ[:, None] + np.arange(m)] == 0.5)  # constant windows only
        w = np.lib.stride_tricks.sliding_window_view(x, m)
        for i in differ:
            assert np.all(w[I[0][i]] == w[mp.I_[i]]) or (
                np.ptp(w[I[0][i]]) == 0 and np.ptp(w[mp.I_[i]]) == 0)
        # (aamp compared without the constant stretch: on exact ties mpcore.aamp does not
        # always give the lowest index yet; maamp's ties are checked by the brute force)
        y = walks(1, 500, seed=12)[0]
        P, I = mpcore.maamp(y[None], m, p=1.0)
        mp = mpcore.aamp(y, m, p=1.0)
        np.testing.assert_allclose(P[0], mp.P_, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(I[0], mp.I_)


def test_long_series_reseeds():
    """Long enough for the kernel to restart its running sums (every 4096 rows)."""
    T = walks(3, 5000, seed=12)
    T[1] = 1e6 + T[1]  # a large offset in one channel
    P, I = mpcore.mstump(T, 40)
    # each P[k, i] is exactly the mean of the k+1 smallest exact distances to I[k, i]
    rng = np.random.default_rng(0)
    for i in rng.integers(0, P.shape[1], 10):
        for k in range(3):
            j = I[k, i]
            dd = np.sort([float(distance_matrix(T[c, i : i + 40], 40, T[c, j : j + 40])[0, 0])
                          for c in range(3)])
            assert P[k, i] == pytest.approx(dd[: k + 1].mean(), rel=1e-9)
    # and it is the minimum: compare a few rows with the brute force over all j
    for i in rng.integers(0, P.shape[1], 3):
        D = np.array([distance_matrix(T[c, i : i + 40], 40, T[c])[0] for c in range(3)])
        M = np.cumsum(np.sort(D, axis=0), axis=0) / np.arange(1, 4)[:, None]
        M[:, max(0, i - 10) : i + 11] = np.inf
        np.testing.assert_allclose(P[:, i], M.min(axis=1).astype(float), rtol=1e-9)


def test_threads_bitwise_identical():
    T = walks(5, 700, seed=13)
    P1, I1 = mpcore.mstump(T, 12, n_threads=1)
    for nt in (2, 3):
        P, I = mpcore.mstump(T, 12, n_threads=nt)
        np.testing.assert_array_equal(P, P1)
        np.testing.assert_array_equal(I, I1)


def _fast_path_inputs(d, seed):
    """Random walks with the cases the AVX2 strip treats apart: a NaN, a constant stretch,
    a constant channel (no longer 'clean'), exactly repeated windows, exact ties everywhere.  200 points: 22 or more
    strips of 8 diagonals, and each m leaves another remainder of the last strip."""
    rng = np.random.default_rng(seed)
    n, m = 200, [6, 11, 25][seed % 3]
    T = walks(d, n, seed=seed)
    yield T, m
    R = T.copy()
    R[:, 100 : 100 + m] = R[:, 15 : 15 + m]
    R[:, 165 : 165 + m] = R[:, 15 : 15 + m]
    yield R, m
    N = T.copy()
    N[rng.integers(d), 50:53] = np.nan
    N[0, 185] = np.inf
    yield N, m
    C = T.copy()
    C[d - 1, :] = 2.5
    C[0, 60:100] = -1.0
    yield C, m
    # ties on most cells (every column's best moves to each lower index): exactly periodic
    # channels, and channels constant but for a stretch (vector offers, mband.c)
    S = np.stack([np.tile([0.0, 0.0, 1.0, 1.0, 3.0][: 3 + c % 3], n)[:n] for c in range(d)])
    yield S, m
    M = np.full_like(T, 2.0)
    M[:, 120:150] = T[:, 120:150]
    yield M, m
    # near-flat windows beside larger ones: the recurrence's rounding tracked, exact fixes
    F = T.copy()
    F[:, 60:160] = 1.5 + 1e-9 * rng.standard_normal((d, 100))
    yield F, m
    # p-norms: a spike and a step whose rounding the running sums keep after they pass (the
    # strips recompute a sum exactly where its bound exceeds 1e-8 of it)
    L = T.copy()
    L[0, 90] = 1e8
    L[d - 1, 130:] += 1e7
    yield L, m


@pytest.mark.parametrize("d", list(range(1, 18)))
@pytest.mark.parametrize("normalize, p", [(True, 2.0), (False, 2.0), (False, 1.0)])
def test_fast_strip_bitwise_equals_generic(d, normalize, p, monkeypatch):
    """The AVX2 strip (no include, d <= 16; z-norm, p = 1, p = 2) must give the generic strip's
    P and I bit for bit: same operations, and a sorting network's output does not depend on the
    network.  Where the CPU has no AVX2 (or d > 16) both runs take the generic strip."""
    for seed in (d, d + 50):
        for T, m in _fast_path_inputs(d, seed):
            for discords in (False, True):
                kw = dict(discords=discords, normalize=normalize, p=p, n_threads=2)
                monkeypatch.delenv("MPCORE_MBAND_GENERIC", raising=False)
                P, I = mpcore.mstump(T, m, **kw)
                monkeypatch.setenv("MPCORE_MBAND_GENERIC", "1")
                rP, rI = mpcore.mstump(T, m, **kw)
                np.testing.assert_array_equal(I, rI)
                np.testing.assert_array_equal(P, rP)


@pytest.mark.parametrize("d", [1, 3, 10])
def test_refine_window_stats_bitwise(d):
    """Exact distances from the cached window statistics equal those recomputed per pair."""
    for T, m in _fast_path_inputs(d, d):
        job = multidim.prepare_mjob(T, m, None, False, True, 2.0, None)
        I = np.random.default_rng(d).integers(-1, job.l, size=(d, job.l))
        stats = tuple(np.empty((d, job.stride)) for _ in range(3))
        multidim._mengine.window_stats(job, job.E, job.cst, *stats)
        P = np.empty((d, job.l))
        rP = np.empty((d, job.l))
        multidim._mengine.refine(job, job.E, job.cst, I, P, stats=stats)
        multidim._mengine.refine(job, job.E, job.cst, I, rP)
        np.testing.assert_array_equal(P, rP)
        assert np.isinf(P[I < 0]).all() and not np.isnan(P).any()


def test_input_forms():
    pd = pytest.importorskip("pandas")
    T = walks(3, 100, seed=14)
    P, I = mpcore.mstump(T, 7)
    for form in (pd.DataFrame(T.T), list(T), [pd.Series(t) for t in T]):
        P2, I2 = mpcore.mstump(form, 7)
        np.testing.assert_array_equal(P2, P)
        np.testing.assert_array_equal(I2, I)
    Ti = np.round(T * 10).astype(np.int64)  # int input: converted (STUMPY raises TypeError)
    np.testing.assert_array_equal(mpcore.mstump(Ti, 7).P_, mpcore.mstump(Ti.astype(float), 7).P_)
    out = mpcore.mstump(T, 7)
    assert isinstance(out, tuple) and out._fields == ("P_", "I_")


def test_bad_input():
    T = walks(2, 50)
    with pytest.raises(ValueError, match="2-dimensional"):
        mpcore.mstump(T[0], 5)
    with pytest.raises(ValueError, match="m="):
        mpcore.mstump(T, 51)
    with pytest.raises(ValueError, match="at least 3"):
        mpcore.mstump(T, 2)
    with pytest.raises(TypeError, match="discords"):
        mpcore.mstump(T, 5, discords=2)
    with pytest.raises(TypeError, match="normalize"):
        mpcore.mstump(T, 5, normalize="yes")
    with pytest.raises(ValueError, match="p"):
        mpcore.maamp(T, 5, p=-1.0)
    with pytest.raises(TypeError, match="T"):
        mpcore.mstump(np.array([["a", "b", "c"]]), 3)
    with pytest.raises(ValueError, match="same length"):
        mpcore.mstump([np.ones(10), np.ones(11)], 3)


def test_too_short_for_any_neighbour():
    P, I = mpcore.mstump(walks(2, 8), 6)  # 3 windows, exclusion zone 2
    assert np.isinf(P).all() and (I == -1).all()


def test_progress(capsys):
    T = walks(2, 400)
    P, I = mpcore.mstump(T, 10, progress=True)
    np.testing.assert_array_equal(P, mpcore.mstump(T, 10).P_)


def test_cancel():
    T = walks(3, 20000)
    ev = threading.Event()
    ev.set()
    with pytest.raises(CancelledError):
        mpcore.mstump(T, 50, cancel=ev)


def test_sorting_network():
    rng = np.random.default_rng(0)
    for lo, hi in [(0, 1), (0, 2), (1, 5), (0, 7), (2, 18), (0, 33), (5, 40)]:
        net = multidim.sorting_network(lo, hi)
        for _ in range(50):
            x = rng.integers(0, 5, hi).astype(float)
            y = x.copy()
            for a, b in net:
                y[a], y[b] = min(y[a], y[b]), max(y[a], y[b])
            np.testing.assert_array_equal(y[lo:], np.sort(x[lo:]))
            np.testing.assert_array_equal(y[:lo], x[:lo])


# ----------------------------------------------------------------------------- against STUMPY

@pytest.mark.slow  # STUMPY's JIT compiles mstump and maamp for every argument kind: ~90 s
def test_vs_stumpy_mstump(stumpy):
    # no constant stretch here: STUMPY breaks exact ties by its rounding (see the brute-force
    # tests for those)
    T = walks(4, 150, seed=15)
    T[2, 30] = np.nan
    for kw in (dict(), dict(include=[2]), dict(discords=True), dict(include=[3, 1],
                                                                    discords=True)):
        P, I = mpcore.mstump(T, 8, **kw)
        rP, rI = stumpy.mstump(T, 8, **kw)
        np.testing.assert_allclose(P, rP, rtol=1e-7, atol=1e-7)
        np.testing.assert_array_equal(I[np.isfinite(P)], rI[np.isfinite(P)])
        P, I = mpcore.maamp(T, 8, p=1.5, **kw)
        rP, rI = stumpy.maamp(T, 8, p=1.5, **kw)
        np.testing.assert_allclose(P, rP, rtol=1e-7, atol=1e-7)
        np.testing.assert_array_equal(I[np.isfinite(P)], rI[np.isfinite(P)])


@pytest.mark.slow  # STUMPY's JIT compilation dominates (~1 min)
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("kw", [dict(), dict(include=[3]), dict(discords=True),
                                dict(include=[0, 2], discords=True), dict(n_bit=4)])
def test_vs_stumpy_subspace_mdl(stumpy, normalize, kw):
    T = walks(5, 120, seed=16)
    T[1, 20:40] = 0.0
    m = 10
    P, I = mpcore.mstump(T, m)
    for k in range(5):
        i = int(np.argmin(P[k]))
        S = mpcore.subspace(T, m, i, I[k, i], k, normalize=normalize, **kw)
        rS = stumpy.subspace(T, m, i, I[k, i], k, normalize=normalize, **kw)
        np.testing.assert_array_equal(S, rS)
    idx = np.argmin(P, axis=1)
    nn = I[np.arange(5), idx]
    bits, S = mpcore.mdl(T, m, idx, nn, normalize=normalize, **kw)
    rbits, rS = stumpy.mdl(T, m, idx, nn, normalize=normalize, **kw)
    np.testing.assert_allclose(bits, rbits, rtol=1e-12)
    for a, b in zip(S, rS):
        np.testing.assert_array_equal(a, b)
    if not normalize:
        bits, S = mpcore.maamp_mdl(T, m, idx, nn, p=1.0, **kw)
        rbits, rS = stumpy.maamp_mdl(T, m, idx, nn, p=1.0, **kw)
        np.testing.assert_allclose(bits, rbits, rtol=1e-12)


@pytest.mark.slow  # STUMPY's JIT compilation dominates (~1 min)
@pytest.mark.parametrize("kw", [dict(), dict(max_motifs=3), dict(k=1, max_matches=3),
                                dict(include=[2], max_motifs=2), dict(cutoffs=np.inf),
                                dict(max_distance=2.0, min_neighbors=0)])
def test_vs_stumpy_mmotifs(stumpy, kw):
    T = walks(3, 300, seed=17)
    T[:, 200:220] = T[:, 50:70] + 0.01 * np.arange(20)  # a planted motif
    m = 20
    P, I = mpcore.mstump(T, m)
    got = mpcore.mmotifs(T, P, I, **kw)
    ref = stumpy.mmotifs(T, P, I, **kw)
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(got[1], ref[1])
    assert len(got[2]) == len(ref[2])
    for a, b in zip(got[2], ref[2]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(got[3], ref[3]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    P, I = mpcore.maamp(T, m)
    got = mpcore.aamp_mmotifs(T, P, I, **kw)
    ref = stumpy.aamp_mmotifs(T, P, I, **kw)
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(got[1], ref[1])


def _ref_subspace_D(T, m, a, b, normalize, p=2.0, n_bit=8):
    """Per-channel distances of the discretized windows, as STUMPY defines them (plainly)."""
    sp = pytest.importorskip("scipy.stats")
    x, y = T[:, a : a + m], T[:, b : b + m]
    if normalize:
        def z(W):
            sd = W.std(axis=1, keepdims=True)
            out = (W - W.mean(axis=1, keepdims=True)) / np.where(sd < 1e-7, 1.0, sd)
            out[np.ptp(W, axis=1) == 0] = 0.0
            return out

        bins = sp.norm.ppf(np.arange(1, 2**n_bit) / 2**n_bit)
        dx, dy = np.searchsorted(bins, z(x)), np.searchsorted(bins, z(y))
    else:
        lo, hi = T.min(), T.max()
        dx = np.round((x - lo) / (hi - lo) * (2**n_bit - 1)).astype(np.int64) + 1
        dy = np.round((y - lo) / (hi - lo) * (2**n_bit - 1)).astype(np.int64) + 1
    return dx, dy, (np.abs(dx - dy).astype(float) ** p).sum(axis=1) ** (1 / p)


@pytest.mark.parametrize("normalize", [True, False])
def test_subspace_and_mdl_reference(normalize):
    T = walks(5, 120, seed=16)
    T[1, 20:40] = 0.0
    m = 10
    P, I = mpcore.mstump(T, m)
    idx = np.argmin(P, axis=1)
    nn = I[np.arange(5), idx]
    bits, S = mpcore.mdl(T, m, idx, nn, normalize=normalize, include=[4])
    for k in range(5):
        dx, dy, D = _ref_subspace_D(T, m, idx[k], nn[k], normalize)
        order = np.argsort(D, kind="stable")
        order = np.concatenate([[4], order[order != 4]])
        np.testing.assert_array_equal(S[k], order[: k + 1])
        np.testing.assert_array_equal(
            mpcore.subspace(T, m, idx[k], nn[k], k, normalize=normalize),
            np.argsort(D, kind="stable")[: k + 1])
        sub = order[: k + 1]
        n_val = len(np.unique(dx[sub] - dy[sub]))
        ref = 8 * (2 * 5 * m - (k + 1) * m) + (k + 1) * m * np.log2(n_val) + n_val * 8
        assert bits[k] == pytest.approx(ref, rel=1e-12)
    with pytest.raises(ValueError, match="k"):
        mpcore.subspace(T, m, 0, 20, 5)
    with pytest.raises(ValueError, match="subseq_idx"):
        mpcore.subspace(T, m, 200, 20, 1)


@pytest.mark.parametrize("normalize", [True, False])
def test_mmotifs_planted(normalize):
    T = walks(3, 400, seed=17)
    rng = np.random.default_rng(1)
    T[:2, 300:330] = T[:2, 60:90] + 1e-3 * rng.standard_normal((2, 30))  # 2 of 3 channels
    m = 30
    P, I = mpcore.mstump(T, m) if normalize else mpcore.maamp(T, m)
    dist, idx, subspaces, mdls = mpcore.mmotifs(T, P, I, normalize=normalize, k=1)
    assert sorted(idx[0][:2]) == [60, 300]
    assert sorted(subspaces[0]) == [0, 1]
    assert dist[0][0] == 0.0 and dist[0][1] == pytest.approx(P[1, 60], rel=1e-9)
    assert len(mdls[0]) == 3
    none = mpcore.mmotifs(T, P, I, normalize=normalize, cutoffs=0.0)
    assert none[0].shape == (1, 0) and none[2] == []


# ----------------------------------------------------------------------------- Dask

@pytest.fixture(scope="module")
def dask_client():
    with local_dask_client(processes=False) as client:
        yield client


def test_mstumped_equals_mstump(dask_client):
    client = dask_client
    T = walks(3, 800, seed=18)
    T[1, 100] = np.nan
    for kw in (dict(), dict(include=[1], discords=True)):
        P, I = mpcore.mstumped(client, T, 16, **kw)
        rP, rI = mpcore.mstump(T, 16, **kw)
        np.testing.assert_array_equal(P, rP)
        np.testing.assert_array_equal(I, rI)
    P, I = mpcore.maamped(client, T, 16, p=1.0)
    rP, rI = mpcore.maamp(T, 16, p=1.0)
    np.testing.assert_array_equal(P, rP)
    np.testing.assert_array_equal(I, rI)
    P, I = mpcore.mstumped(client, T, 16, normalize=False)
    np.testing.assert_array_equal(P, mpcore.maamp(T, 16).P_)


def test_mstumped_equals_mstump_with_constant_windows(dask_client):
    """The workers build the kernel's statistics themselves, from the series and the flags the
    client resolved from ``T_subseq_isconstant`` (a function runs once, on the client)."""
    T = walks(3, 600, seed=19)
    T[0, 200:260] = 1.5  # constant windows by STUMPY's default rule
    T[2, 50:90] = T[2, 300:340]  # an exact repeat in one channel
    m = 12

    def flat(a, w):
        return np.ptp(np.lib.stride_tricks.sliding_window_view(a, w), axis=-1) < 0.5

    const = np.array([flat(T[c], m) for c in range(3)])
    for kw in (dict(), dict(T_subseq_isconstant=flat), dict(T_subseq_isconstant=const),
               dict(T_subseq_isconstant=[None, flat, const[2]], include=[2, 0])):
        P, I = mpcore.mstumped(dask_client, T, m, **kw)
        rP, rI = mpcore.mstump(T, m, **kw)
        np.testing.assert_array_equal(P, rP)
        np.testing.assert_array_equal(I, rI)
    for x in (T[:1], T[:1, :40]):  # one channel (its rows are contiguous views), and tiny
        np.testing.assert_array_equal(mpcore.mstumped(dask_client, x, m).I_,
                                      mpcore.mstump(x, m).I_)


class _GraphClient:
    """Stands in for a Dask client: runs the graphs given to ``get`` in this thread and keeps
    their pickled sizes (what a real client sends to the scheduler)."""

    def __init__(self, nthreads=None):
        self.sent = []
        self.scattered = []
        self._nthreads = nthreads or {"worker": 2}

    class Held:
        """A scattered value: pickles as a reference, as a Dask future does."""

        def __init__(self, value):
            self.value = value

        def __reduce__(self):
            return (type(self), (None,))

    def scatter(self, value, hash=True):
        self.scattered.append(value)
        return self.Held(value)

    def nthreads(self):
        return dict(self._nthreads)

    def submit(self, *args, **kwargs):
        raise AssertionError("mstumped sends one graph")

    def cancel(self, futures):
        pass

    def get(self, graph, keys, sync=True):
        import pickle

        self.sent.append(len(pickle.dumps(graph)))
        done = {}

        def value(a):
            return run(a) if isinstance(a, str) and a in graph else \
                a.value if isinstance(a, self.Held) else a

        def run(key):  # as Dask reads a graph: a tuple headed by a callable is a task, else data
            if key not in done:
                task = graph[key]
                if isinstance(task, tuple) and task and callable(task[0]):
                    done[key] = task[0](*[value(a) for a in task[1:]])
                else:
                    done[key] = value(task)
            return done[key]

        class Done:
            def __init__(self, key):
                self.key = key

            def result(self):
                return run(self.key)

        return [Done(k) for k in keys]


@pytest.mark.parametrize("d", [3, 10])
def test_mstumped_ships_the_series_not_its_statistics(d):
    """What goes to the cluster is the series (8 bytes a point) and a few scalars, not the
    prepared statistics (~80 bytes a point, which cost more to send than the workers take to
    compute them)."""
    T = walks(d, 3000, seed=20)
    client = _GraphClient()
    for normalize in (True, False):
        P, I = mpcore.mstumped(client, T, 50, normalize=normalize, include=[1])
        rP, rI = mpcore.mstump(T, 50, normalize=normalize, include=[1])
        np.testing.assert_array_equal(P, rP)
        np.testing.assert_array_equal(I, rI)
    assert len(client.sent) == 2 and not client.scattered
    assert max(client.sent) < T.nbytes + 20_000


def test_mstumped_sends_a_large_series_ahead_of_its_graph(monkeypatch):
    """Above DASK_EMBED_BYTES the series is scattered (Dask warns about graphs over 10 MB)."""
    T = walks(3, 3000, seed=21)
    monkeypatch.setattr(multidim, "DASK_EMBED_BYTES", T.nbytes - 1)
    client = _GraphClient()
    P, I = mpcore.mstumped(client, T, 50)
    rP, rI = mpcore.mstump(T, 50)
    np.testing.assert_array_equal(P, rP)
    np.testing.assert_array_equal(I, rI)
    (spec,) = client.scattered
    np.testing.assert_array_equal(spec.T, T)
    assert client.sent[0] < 20_000


@pytest.mark.parametrize("workers", [1, 3])
def test_mstumped_one_task_per_worker(workers):
    """One task per worker, each running its share of the strips on the worker's threads (taken
    as they free up, as mstump's are); every strip in exactly one share, the shares' cells
    within one strip of each other; the result mstump's, bitwise."""
    T = walks(3, 2000, seed=22)
    client = _GraphClient({f"w{i}": 2 for i in range(workers)})
    P, I = mpcore.mstumped(client, T, 40)
    rP, rI = mpcore.mstump(T, 40)
    np.testing.assert_array_equal(P, rP)
    np.testing.assert_array_equal(I, rI)
    spec = multidim.mjob_spec(T, 40, None, False, True, 2.0, None)
    shares = multidim._shares(spec, workers)
    assert len(shares) == workers
    np.testing.assert_array_equal(np.sort(np.concatenate(shares)), np.sort(spec.bands))
    cells = [int(spec.band_cells(b).sum()) for b in shares]
    assert max(cells) - min(cells) <= int(spec.band_cells(spec.bands).max())


def test_mstumped_not_a_client():
    with pytest.raises(TypeError, match="Client"):
        mpcore.mstumped(object(), walks(2, 100), 8)


def test_signatures_match_stumpy_positionally():
    """Positional calls bind as in STUMPY: mstumped takes p before normalize (unlike mstump)."""
    import inspect

    params = list(inspect.signature(mpcore.mstumped).parameters)
    assert params == ["client", "T", "m", "include", "discords", "p", "normalize",
                      "T_subseq_isconstant"]
    assert list(inspect.signature(mpcore.mstump).parameters)[:6] == [
        "T", "m", "include", "discords", "normalize", "p"]


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("case", ["offset-1e6", "offset-1e4", "spikes-1e4sd", "nan-and-offset"])
def test_maamp_offsets_and_spikes(case, p):
    """Each channel's kernel series is centred on its median, and a running sum whose rounding
    bound exceeds 1e-8 of it is recomputed: before, an offset of 1e4 or more (548 of 951 rows
    of an ECG at 1e4) or spikes of 1e4 standard deviations (949 of 951 rows at p = 3) gave
    neighbours that were not the nearest; a fixed cut zeroed the sums of the spiky series."""
    T = walks(3, 240, seed=11)
    if case.startswith("offset"):
        T = T + float(case.split("-")[1])
    elif case == "spikes-1e4sd":
        T[:, [40, 130, 200]] += 1e4 * T.std()
    else:
        T = T + 1e6
        T[1, 100] = np.nan
    check(T, 12, normalize=False, p=p)


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("kw", [{"max_matches": 0}, {"max_matches": -1}, {"atol": -1.0},
                                {"max_distance": lambda D: -1.0}])
def test_mmotifs_no_match_at_all_returns(normalize, kw):
    """A candidate with no match, not even itself (at distance 0), excluded nothing, so the
    next candidate was the same one again: these calls never returned.  Now no motif."""
    import signal

    T = walks(3, 100, seed=2)
    P, I = (mpcore.mstump if normalize else mpcore.maamp)(T, 8)
    def hang(*_):
        raise TimeoutError("mmotifs did not return")

    old = signal.signal(signal.SIGALRM, hang)  # a hang fails the test instead of the run
    signal.alarm(20)
    try:
        dist, idx, subspaces, mdls = mpcore.mmotifs(T, P, I, normalize=normalize, **kw)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert dist.shape == (1, 0) and idx.shape == (1, 0) and subspaces == [] and mdls == []


@pytest.mark.parametrize("kw, exc, name", [
    ({"max_matches": np.nan}, TypeError, "max_matches"), ({"max_matches": "3"}, TypeError,
                                                          "max_matches"),
    ({"atol": None}, TypeError, "atol"), ({"min_neighbors": None}, TypeError, "min_neighbors"),
    ({"k": 3}, ValueError, "k"), ({"k": -1}, ValueError, "k"), ({"k": 1.5}, TypeError, "k")])
def test_mmotifs_bad_arguments(kw, exc, name):
    T = walks(3, 100, seed=3)
    P, I = mpcore.mstump(T, 8)
    with pytest.raises(exc, match=name):
        mpcore.mmotifs(T, P, I, **kw)


@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("generic", [False, True])
def test_near_flat_stretch_beside_a_walk(d, generic, monkeypatch):
    """Windows near-flat against their channel's scale (1.5 + 1e-9 noise beside a random
    walk): the recurrence's rounding swamped their co-moments and the nearest neighbour was
    missed (3 rows of 21 at n = 24, 42 of 197 at n = 200), and their distances were refined
    with a rounded mean (1e-11 off).  Their pairs' co-moments are now computed exactly and
    the refinement keeps the mean's residual apart: brute force to 1e-12."""
    if generic:
        monkeypatch.setenv("MPCORE_MBAND_GENERIC", "1")
    rng = np.random.default_rng(d)
    T = walks(d, 200, seed=d)
    T[:, 40:170] = 1.5 + 1e-9 * rng.standard_normal((d, 130))
    check(T, 8, tol=1e-12)
