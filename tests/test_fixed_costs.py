"""Fixed costs of a call (issues 12 and 14): the AVX2 loops of the exact arithmetic, the compiled
seeds and near-flat choice, and finalize's typed columns and cache (scrump).

The AVX2 loops must give the very bits of the scalar ones (``_exact.set_simd``); the compiled
helpers are checked against the NumPy expressions they replace, kept here as the reference.
"""
import copy
import sys
import pickle

import numpy as np
import pytest
from conftest import random_walk

import mpcore
from mpcore import _exact, _pipeline, _prepare


def _same(a, b):
    return np.asarray(a).tobytes() == np.asarray(b).tobytes()


needs_simd = pytest.mark.skipif(not _exact.simd_available(),
                                reason="this CPU has no AVX2: only the scalar loops run")


@pytest.fixture
def scalar():
    """Run the body with the scalar loops, restoring the setting afterwards."""
    previous = _exact.set_simd(False)
    yield
    _exact.set_simd(previous)


def _both(fn):
    """fn() with the AVX2 loops and with the scalar ones."""
    previous = _exact.set_simd(True)
    try:
        fast = fn()
        _exact.set_simd(False)
        slow = fn()
    finally:
        _exact.set_simd(previous)
    return fast, slow


def _series():
    rng = np.random.default_rng(5)
    walk = np.cumsum(rng.standard_normal(600))
    holes = walk.copy()
    holes[[7, 8, 200]] = [np.nan, np.inf, -np.inf]
    holes[300:360] = 4.0  # constant
    spikes = 1e-3 * rng.standard_normal(500)
    spikes[250] = 1e5
    extreme = rng.standard_normal(400) * 1e-300
    extreme[::11] = 1e300  # windows taking _wstats_scaled
    ints = np.round(3 * np.sin(np.arange(500.0) / 5))  # exact repeats and ties
    return {"walk": walk, "holes": holes, "spikes": spikes, "extreme": extreme, "ints": ints,
            "offset": 1e9 + rng.standard_normal(300) * 1e-3}


_WINDOWS = [3, 4, 5, 7, 8, 13, 32, 64, 65, 100, 103]


@needs_simd
@pytest.mark.parametrize("name", list(_series()))
def test_window_statistics_simd_bits(name):
    T = _series()[name]
    for m in _WINDOWS:
        if m > T.shape[0]:
            continue
        l = T.shape[0] - m + 1
        exact = np.where(np.isfinite(T), T, 0.0)
        usable = (np.arange(l) % 5 != 2).view(np.uint8)  # gaps: pairs and odd ones
        fast, slow = _both(lambda: _exact.window_zstats(exact, m, usable))
        assert _same(fast, slow), m
        fast, slow = _both(lambda: _exact.window_stats(exact, m))
        assert _same(fast[0], slow[0]) and _same(fast[1], slow[1]), m


@needs_simd
@pytest.mark.parametrize("name", list(_series()))
@pytest.mark.parametrize("normalize,p", [(True, 2.0), (False, 2.0), (False, 1.0),
                                         (False, 3.0)])
def test_refine_simd_bits(name, normalize, p):
    T = _series()[name]
    rng = np.random.default_rng(9)
    exact = np.where(np.isfinite(T), T, 0.0)
    for m in _WINDOWS:
        if m > T.shape[0] // 2:
            continue
        l = T.shape[0] - m + 1
        valid = _exact.series_stats(T, m, True, 0.0, 1.0, 0, 0.0, None)[7]
        const = _exact.series_stats(T, m, True, 0.0, 1.0, 0, 0.0, None)[8].view(np.uint8)
        if not normalize:
            const = np.zeros(l, dtype=np.uint8)
        for c in (1, 2, 3, 6):
            I = rng.integers(-1, l, (l, c))
            usable = (valid & (const == 0)).view(np.uint8)
            S = _exact.window_zstats(exact, m, usable)

            def run(stats):
                Ic = I.copy()
                D = np.empty((l, c))
                args = (stats, stats) if stats is not None else (None, None)
                _exact.refine(exact, exact, m, normalize, p, const, const, Ic, D, 0, l, True,
                              *args)
                return Ic, D

            for stats in (S, None):
                fast, slow = _both(lambda: run(stats))
                assert _same(fast[0], slow[0]) and _same(fast[1], slow[1]), (m, c)
        Q = exact[10 : 10 + m].copy()
        fast, slow = _both(lambda: _exact.distance_profile(Q, exact, m, normalize, p,
                                                           valid.view(np.uint8), const,
                                                           bool(const[10])))
        assert _same(fast, slow), m


@pytest.mark.parametrize("normalize,p", [(True, 2.0), (False, 2.0), (False, 3.0)])
def test_refine_of_a_long_series_bits(normalize, p):
    """From 2**16 windows on, refine and refine_select ask memory for each row's candidates
    ahead (_prefetch_row), which must change no bit: every distance is the one that
    distance_profile (no requests) gives for that pair.  Candidates drawn at random, with
    empty entries, NaN and constant windows among them."""
    rng = np.random.default_rng(3)
    m = 37
    T = np.cumsum(rng.standard_normal((1 << 16) + 500))
    T[1000] = np.nan
    T[5000:5100] = 2.0
    l = T.shape[0] - m + 1
    exact = np.where(np.isfinite(T), T, 0.0)
    valid, const = _exact.series_stats(T, m, True, 0.0, 1.0, 0, 0.0, None)[7:9]
    const = const.view(np.uint8) if normalize else np.zeros(l, dtype=np.uint8)
    S = _exact.window_zstats(exact, m, (valid & (const == 0)).view(np.uint8))
    stats = (S, S) if normalize else (None, None)
    I = rng.integers(-1, l, (l, 3))
    I[~valid] = -1
    I[I >= 0] = np.where(valid[I[I >= 0]], I[I >= 0], -1)
    Ir, D = I.copy(), np.empty((l, 3))
    _exact.refine(exact, exact, m, normalize, p, const, const, Ir, D, 0, l, True, *stats)
    Is, Ds = I.copy(), np.empty((l, 3))
    outI, outD = np.empty((l, 3), dtype=np.int64), np.empty((l, 3))
    _exact.refine_select(exact, exact, m, normalize, p, const, const, Is, Ds, 0, l, True,
                         *stats, outI, outD)
    assert _same(Ir, Is) and _same(D, Ds)
    for r in rng.choice(np.flatnonzero(valid), 40, replace=False):
        want = _exact.distance_profile(exact[r : r + m].copy(), exact, m, normalize, p,
                                       valid.view(np.uint8), const, bool(const[r]),
                                       stats=S if normalize else None)
        for q in range(3):
            j = Ir[r, q]
            assert _same(D[r, q], want[j] if j >= 0 else np.inf), (r, q, j)


@needs_simd
@pytest.mark.parametrize("kw", [{}, {"k": 3}, {"normalize": False, "p": 2.0},
                                {"normalize": False, "p": 1.0}])
def test_profiles_simd_bits(kw):
    for name, T in _series().items():
        for m in (8, 32, 65):
            for B in (None, T[::-1].copy()):
                def run():
                    mp = mpcore.stump(T, m, B, ignore_trivial=B is None, n_threads=2, **kw)
                    return mp.P_, mp.I_, mp.left_I_, mp.right_I_
                fast, slow = _both(run)
                assert all(_same(a, b) for a, b in zip(fast, slow)), (name, m, B is None)


# ---------------------------------------------------------------------------------------------
# compiled seeds and near-flat windows against the NumPy expressions they replace


def _ref_diagonal_scores(job, X, Y, d):
    """The NumPy _prepare._diagonal_scores (before it was compiled)."""
    m = job.m
    n_pairs = min(X.l, Y.l - d)
    out = np.full(X.l, -np.inf)
    if n_pairs <= 0:
        return out
    r = np.arange(n_pairs)
    c = r + d
    if job.normalize:
        step = Y.df[c] * X.dg[r] + Y.dg[c] * X.df[r]

        def bound(S, i):
            return (np.abs(S.df[i]) + np.abs(S.dg[i]) + np.abs(S.T[i]) + np.abs(S.T[i + m])
                    + np.abs(S.mu[i]) + np.abs(S.mu[i + 1]))

        size = bound(X, r) * bound(Y, c)
    else:
        a = np.abs(X.T[r] - Y.T[c])
        b = np.abs(X.T[r + m] - Y.T[c + m])
        step = (b * b - a * a) if job.p == 2.0 else (b - a if job.p == 1.0 else
                                                     b**job.p - a**job.p)
    seg = 4096
    starts = np.arange(0, n_pairs, seg)
    exact = np.empty(len(starts))
    for i, r0 in enumerate(starts):
        x = X.T[r0 : r0 + m]
        y = Y.T[r0 + d : r0 + d + m]
        if job.normalize:
            exact[i] = np.dot(x - X.mu[r0], y - Y.mu[r0 + d])
        else:
            exact[i] = np.sum(np.abs(x - y) ** job.p)
    acc = np.empty(n_pairs)
    grown = np.empty(n_pairs)
    for i, r0 in enumerate(starts):
        r1 = min(r0 + seg, n_pairs)
        acc[r0] = exact[i]
        acc[r0 + 1 : r1] = exact[i] + np.cumsum(step[r0 : r1 - 1])
        if job.normalize:
            grown[r0] = abs(exact[i])
            grown[r0 + 1 : r1] = abs(exact[i]) + np.cumsum(size[r0 : r1 - 1])
    with np.errstate(invalid="ignore", over="ignore"):
        if job.normalize:
            wrc = X.w[r] * Y.w[c]
            score = acc * wrc - (1e-9 + 3e-8 + (1e-11 * m + 2.0**-38 * grown) * wrc)
        else:
            score = -acc * X.w[r] * Y.w[c] - 1e-9 * m * 2.0**job.p
    usable = np.isfinite(score)
    if job.normalize:
        usable &= ~np.isin(r, X.flat) & ~np.isin(c, Y.flat)
    out[:n_pairs] = np.where(usable, score, -np.inf)
    return out


@pytest.mark.parametrize("normalize,p", [(True, 2.0), (False, 2.0), (False, 1.0),
                                         (False, 3.0)])
def test_diagonal_scores_match_numpy(normalize, p):
    T = 1e6 + random_walk(9000, seed=1)  # two restarts of the cumulative sums
    T[2000:2150] = T[2000] + 1e-7 * random_walk(150, seed=2)  # near-flat windows
    T[5000] = 1e9  # an outlier
    T[7000] = np.nan
    B = random_walk(6000, seed=3)
    for job in (_prepare.prepare_job(T, 30, None, True, normalize, p, 1, None, None),
                _prepare.prepare_job(T, 30, B, False, normalize, p, 1, None, None)):
        X = job.series[0]
        Y = X if job.self_join else job.series[1]
        for d in (0, 1, job.excl_zone + 1, 4000, Y.l - 1, Y.l + 5):
            got = _prepare._diagonal_scores(job, X, Y, d)
            want = _ref_diagonal_scores(job, X, Y, d)
            fin = np.isfinite(want)
            np.testing.assert_array_equal(np.isfinite(got), fin)
            # the same formulas; only the exact value at each restart is summed differently
            # (a plain loop, not BLAS), far inside the margin
            np.testing.assert_allclose(got[fin], want[fin], rtol=1e-10, atol=1e-12)
            if normalize and d < Y.l:
                assert not np.isfinite(got[X.flat]).any()


def _ref_flat(Tp, m, ssd, valid, const, tracked, tiny):
    """The NumPy near-flat choice of prepare_series (before it was compiled)."""
    n = Tp.shape[0]
    if tracked:
        a = np.abs(Tp)
        r, k = a, 1
        while 2 * k <= m:
            r = np.maximum(r[:-k], r[k:])
            k *= 2
        l = n - m + 1
        top = np.maximum(r[:l], r[m - k : m - k + l])
        flat = valid & ~const & (ssd < _prepare.FLAT_SSD * m * top * top)
    else:
        flat = valid & ~const & (ssd < _prepare.FLAT_SSD * m)
    if tiny is not None:
        flat |= tiny
    return np.flatnonzero(flat)


@pytest.mark.parametrize("tracked", [True, False])
def test_near_flat_matches_numpy(tracked):
    rng = np.random.default_rng(4)
    T = rng.standard_normal(3000)
    T[100:400] = 1e5 + 1e-9 * rng.standard_normal(300)  # flat against its magnitude
    T[500:700] *= 1e-7  # flat against the series' scale
    T[900:950] = 2.0  # constant
    T[1200] = np.nan
    T[2000:2100] = 1e-310 * rng.standard_normal(100)  # tiny values
    for m in (3, 4, 17, 64, 100, 257):
        shift = _prepare.common_shift(T)
        scale = _prepare.common_scale(T, shift=shift)
        Tp, mu, ssd, df, dg, w, exact, valid, const, tiny, _ = _exact.series_stats(
            T, m, True, shift, scale, 0, _prepare.TINY, None)
        n = T.shape[0]
        want = _ref_flat(Tp[:n], m, ssd, valid, const, tracked, tiny)
        got = _exact.near_flat(Tp, m, ssd, valid.view(np.uint8), const.view(np.uint8),
                               _prepare.FLAT_SSD, tracked,
                               None if tiny is None else tiny.view(np.uint8))
        np.testing.assert_array_equal(got, want)
        assert len(want)  # the case has near-flat windows


def _flat_case():
    rng = np.random.default_rng(4)
    T = rng.standard_normal(3000)
    T[100:400] = 1e5 + 1e-9 * rng.standard_normal(300)
    T[500:700] *= 1e-7
    T[900:950] = 2.0
    T[1200] = np.nan
    T[1300] = -np.inf
    T[2000:2100] = 1e-310 * rng.standard_normal(100)
    return T


@pytest.mark.parametrize("name", list(_series()) + ["flat"])
def test_series_passes_in_pieces_give_the_bits_of_one(monkeypatch, name):
    """series_stats and near_flat cut a long series among threads (pieces of windows from
    multiples of 64, where the window statistics restart exactly; every running count starts
    afresh at a cut): every array, bit for bit, and the tiny windows' presence, as one
    piece, for any count of pieces, window length, normalization and given constants.  The
    minimum piece is made tiny here so that short series are cut (and many cuts fall within
    a window of the previous piece)."""
    T = _flat_case() if name == "flat" else _series()[name]
    monkeypatch.setattr(_exact, "SERIES_MIN_WINDOWS", 40)
    rng = np.random.default_rng(6)
    seen_pieces = False
    for m in _WINDOWS + [150]:
        if m > T.shape[0] // 2:
            continue
        l = T.shape[0] - m + 1
        given = (rng.random(l) < 0.01).view(np.uint8)
        for normalize, const_given in ((True, None), (True, given), (False, None)):
            shift = _prepare.common_shift(T) if normalize else 0.0
            scale = _prepare.common_scale(T, shift=shift)
            one = _exact.series_stats(T, m, normalize, shift, scale, 7, _prepare.TINY,
                                      const_given, 1)
            for n in (2, 3, 8):
                seen_pieces |= len(_exact._window_cuts(l, n)) > 2
                got = _exact.series_stats(T, m, normalize, shift, scale, 7, _prepare.TINY,
                                          const_given, n)
                for g, w in zip(got, one):
                    assert (g is None) == (w is None), (m, n)
                    assert g is None or _same(g, w), (m, n)
            if not normalize:
                continue
            Tp, ssd, valid, const, tiny = one[0], one[2], one[7], one[8], one[9]
            for tracked in (True, False):
                args = (Tp, m, ssd, valid.view(np.uint8), const.view(np.uint8),
                        _prepare.FLAT_SSD, tracked, None if tiny is None else tiny.view(np.uint8))
                want = _exact.near_flat(*args, 1)
                for n in (2, 3, 8):
                    np.testing.assert_array_equal(_exact.near_flat(*args, n), want)
    assert seen_pieces


# ---------------------------------------------------------------------------------------------
# finalize's typed columns and the anytime profile's cache


@pytest.mark.parametrize("kw", [{}, {"k": 3}, {"normalize": False, "p": 1.0}])
@pytest.mark.parametrize("ab", [False, True])
@pytest.mark.parametrize("small", [False, True])
def test_columns_match_the_boxed_result(monkeypatch, kw, ab, small):
    T = np.round(3 * np.sin(np.arange(900.0) / 7))  # repeats: the general path's ties
    T[:400] = random_walk(400, seed=6)
    B = random_walk(500, seed=7) if ab else None
    if not small:
        monkeypatch.setattr(_exact, "finalize_small", lambda *args: None)
    job = _prepare.prepare_job(T, 20, B, not ab, kw.get("normalize", True), kw.get("p", 2.0),
                               kw.get("k", 1), None, None)
    tables = _pipeline.merge(job, _pipeline.run_threads(job, 2))
    boxed = _pipeline.finalize(job, copy.deepcopy(tables), 2)  # (it adds candidates)
    cols = _pipeline.finalize(job, copy.deepcopy(tables), 2, boxed=False)
    for name in ("P_", "I_", "left_I_", "right_I_"):
        a, b = getattr(boxed, name), getattr(cols, name)
        assert a.dtype == b.dtype and a.shape == b.shape and _same(a, b), name
        getattr(cols, name)[...] = 0  # each access is a copy
        assert _same(getattr(cols, name), a)


@pytest.mark.parametrize("kw", [{}, {"k": 2}, {"pre_scrump": True}])
def test_scrump_profiles_with_cache_match_stump_finalize(monkeypatch, kw):
    T = np.round(3 * np.sin(np.arange(3000.0) / 9))
    T[:1500] = random_walk(1500, seed=8)
    np.random.seed(3)
    approx = mpcore.scrump(T, 30, percentage=0.1, n_threads=2, **kw)
    for _ in range(4):
        approx.update()
        got = (approx.P_, approx.I_, approx.left_I_, approx.right_I_)
        # the same tables through a fresh, uncached, boxed finalize (over the diagonals done)
        done = np.sort(approx._diags[: approx._ranges[approx._chunk - 1, 1]])
        want = _pipeline.finalize(approx._job, approx._tables, 2, special=False, warn=False,
                                  done=done)
        for a, name in zip(got, ("P_", "I_", "left_I_", "right_I_")):
            assert _same(a, getattr(want, name)), name
    clone = pickle.loads(pickle.dumps(approx))
    assert "_final_cache" not in clone.__dict__
    for name in ("P_", "I_", "left_I_", "right_I_"):
        assert _same(getattr(clone, name), getattr(approx, name))
    clone.update()
    approx.update()
    assert _same(clone.P_, approx.P_)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap and getrusage")
@pytest.mark.parametrize("n", [4096, 16384])
def test_repeated_calls_reuse_their_scratch(n):
    """A series of calls reuses warm scratch memory (_kernels/reuse.h): before, glibc gave each
    call's 1.5 MB (n = 4096) back to the system and the next call faulted it in again, 115
    page faults per call at n = 4096 and 860 at n = 16384 (0.1-0.5 ms in a virtual machine)."""
    import resource

    T = random_walk(n, seed=3)
    for _ in range(5):
        mpcore.stump(T, 32, n_threads=2)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(40):
        mpcore.stump(T, 32, n_threads=2)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 40
    assert faults < 25, faults
