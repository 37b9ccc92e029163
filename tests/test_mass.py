"""mass: FFT screening + exact recomputation, against a long-double brute force and STUMPY."""
import functools
import math

import numpy as np
import pytest
from conftest import random_walk
from numpy.lib.stride_tricks import sliding_window_view

import mpcore
from mpcore import _mass, _search

LD = np.longdouble


def brute_mass(Q, T, constT=None, constQ=None):
    """Z-normalized distance profile, window by window in long double, STUMPY's rules for
    constant windows (all values equal unless given) and non-finite windows (inf)."""
    Q = np.asarray(Q, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    m = len(Q)
    W = sliding_window_view(T, m)
    finite = np.isfinite(W).all(axis=1)
    if not np.isfinite(Q).all():
        return np.full(len(W), np.inf)
    if constT is None:
        constT = finite & (np.ptp(np.where(np.isfinite(W), W, 0), axis=1) == 0)
    if constQ is None:
        constQ = np.ptp(Q) == 0
    # each window (and Q) first relative to its middle value, exactly in long double: a
    # window's spread then keeps its digits however far its level lies from 0
    Wl = np.where(finite[:, None], W, 0).astype(LD)
    Wl = Wl - Wl[:, m // 2 : m // 2 + 1]
    Ql = Q.astype(LD) - LD(Q[m // 2])
    q = Ql - Ql.mean()
    q = q / np.sqrt((q * q).mean()) if not constQ else q
    mu = Wl.mean(axis=1, keepdims=True)
    sd = np.sqrt(((Wl - mu) ** 2).mean(axis=1, keepdims=True))
    sd[sd == 0] = 1
    Z = (Wl - mu) / sd
    D = np.sqrt(((Z - q) ** 2).sum(axis=1))
    D[constT & constQ] = 0
    D[constT ^ constQ] = math.sqrt(m)
    D[~finite] = np.inf
    return D.astype(np.float64)


def assert_close(D, ref, m):
    np.testing.assert_array_equal(np.isinf(D), np.isinf(ref))
    fin = np.isfinite(ref)
    err = np.abs(D[fin] - ref[fin])
    # "within 1e-12": absolute, and for long windows relative to the profile's largest value
    assert err.max(initial=0) <= 1e-12 * max(1.0, ref[fin].max(initial=0)), err.max()


def _series(kind, n, seed):
    rng = np.random.default_rng(seed)
    T = random_walk(n, seed=seed)
    if kind == "offset":
        T = 1e9 + T
    elif kind == "spikes":
        T = 1e-3 * rng.standard_normal(n)
        T[rng.integers(0, n, 3)] = 1e5
    elif kind == "nan_inf":
        T[rng.integers(0, n, 4)] = np.nan
        T[rng.integers(0, n, 2)] = np.inf
    elif kind == "constant":
        T[n // 4 : n // 4 + 3 * n // 20] = 2.5
        T[n // 2 : n // 2 + n // 10] = T[n // 2]
    elif kind == "periodic":
        T = np.tile(rng.standard_normal(37), n // 37 + 1)[:n]
    elif kind == "tiny":
        T = T * 1e-200
    elif kind == "huge":
        T = T * 1e200
    return T


KINDS = ["walk", "offset", "spikes", "nan_inf", "constant", "periodic", "tiny", "huge"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n,m", [(400, 3), (1500, 32), (1200, 150),
                                 pytest.param(3000, 257, marks=pytest.mark.slow),
                                 pytest.param(2500, 1000, marks=pytest.mark.slow)])
def test_mass_against_brute_force(kind, n, m):
    T = _series(kind, n, seed=n + m)
    for start in (0, n // 3, n - m):
        Q = T[start : start + m].copy()
        if not np.isfinite(Q).all():
            Q = np.nan_to_num(Q, posinf=0.0)
        assert_close(mpcore.mass(Q, T), brute_mass(Q, T), m)
    Q = random_walk(m, seed=1) * 7 + 3  # a query from elsewhere
    assert_close(mpcore.mass(Q, T), brute_mass(Q, T), m)


def test_near_matches_are_recomputed_exactly():
    """Planted copies (distance 0) and near copies: where the FFT's correlation cancels most,
    the reported distance must still be exact (the screening flags these windows)."""
    T = random_walk(20000, seed=11)
    m = 100
    Q = T[5000 : 5000 + m].copy()
    for pos, eps in ((100, 0.0), (9000, 1e-9), (15000, 1e-6)):
        T[pos : pos + m] = Q * 3 + 7 + eps * random_walk(m, seed=pos)
    D = mpcore.mass(Q, T)
    assert D[5000] == 0.0 and D[100] < 1e-12  # identical, and an affine copy
    assert_close(D, brute_mass(Q, T), m)


def test_fft_error_estimate_holds_with_margin():
    """The FFT error per unit of ||q|| * ||block|| * eps * log2(B) that the bound assumes
    (FFT_ERR_FACTOR) is at least 10x the largest one measured on varied data."""
    worst = 0.0
    for kind in ("walk", "offset", "spikes", "periodic"):
        for m in (8, 64, 300):
            T = _series(kind, 6000, seed=m)
            ps = _search.prepare_mass(T, m)
            Q = T[1000 : 1000 + m]
            Qs = Q * _search.common_scale(Q)
            qhat = Qs - Qs.mean()
            C = np.fft.irfft(ps._spectra * np.fft.rfft(qhat, ps._B).conj(), ps._B, axis=1)
            C = C[:, : ps._L].reshape(-1)[: ps.l]
            y = ps.Ts
            b = np.arange(ps.l) // ps._L
            W = sliding_window_view(y, m).astype(LD) - ps._shift[b][:, None].astype(LD)
            exact = (W * qhat.astype(LD)).sum(axis=1)
            unit = _search.EPS * math.log2(ps._B) * np.sqrt(qhat @ qhat) * ps._bnorm[b]
            worst = max(worst, float((np.abs(C - exact) / unit).max()))
    assert 0 < worst <= _search.FFT_ERR_FACTOR / 10


def test_screening_without_recomputation_would_be_wrong(monkeypatch):
    """The exact recomputation matters: with the bound switched off (no window flagged) a
    planted near-copy comes out wrong, so the tests above can fail."""
    T = 1e6 + random_walk(5000, seed=12)
    m = 200
    Q = T[1000 : 1000 + m].copy()
    T[3000 : 3000 + m] = Q + 1e-7 * random_walk(m, seed=3)
    ref = brute_mass(Q, T)
    monkeypatch.setattr(_search, "TOL_REL", np.inf)
    monkeypatch.setattr(_search, "FFT_ERR_FACTOR", 0.0)
    D = mpcore.mass(Q, T)
    assert np.abs(D - ref).max() > 1e-10


def test_everything_flagged_gives_the_same_answer(monkeypatch):
    T = _series("constant", 3000, seed=5)
    Q = T[100:150].copy()
    fast = mpcore.mass(Q, T)
    monkeypatch.setattr(_search, "TOL_REL", 0.0)  # every window recomputed exactly
    exact = mpcore.mass(Q, T)
    assert np.abs(fast - exact).max() <= 1e-12 * np.sqrt(50)


def test_prepared_series_reused_across_queries():
    T = _series("nan_inf", 5000, seed=6)
    ps = _search.prepare_mass(T, 48)
    assert ps.l == 5000 - 48 + 1
    for start in (0, 700, 2500, 4000):
        Q = random_walk(48, seed=start)
        np.testing.assert_array_equal(ps.distance_profile(Q), mpcore.mass(Q, T))
    np.testing.assert_array_equal(ps.distance_profile(np.full(48, 2.0)),
                                  mpcore.mass(np.full(48, 2.0), T))
    with pytest.raises(ValueError, match="length m = 48"):
        ps.distance_profile(np.zeros(10))


def test_T_subseq_isfinite_and_isconstant_given():
    T = random_walk(800, seed=7)
    m = 20
    Q = T[100:120].copy()
    l = 800 - m + 1
    isfinite = np.ones(l, bool)
    isfinite[300:350] = False
    # ignored when normalized, as in STUMPY (tests/test_aamp_mass.py pins normalize=False)
    np.testing.assert_array_equal(mpcore.mass(Q, T, T_subseq_isfinite=isfinite),
                                  mpcore.mass(Q, T))
    const = np.zeros(l, bool)
    const[::7] = True
    for arg in (const, lambda a, w: const.copy()):
        D = mpcore.mass(Q, T, T_subseq_isconstant=arg)
        assert_close(D, brute_mass(Q, T, constT=const), m)
        D = mpcore.mass(Q, T, T_subseq_isconstant=arg, Q_subseq_isconstant=True)
        assert_close(D, brute_mass(Q, T, constT=const, constQ=True), m)
    rule = functools.partial(lambda a, w, tol: np.std(sliding_window_view(a, w), axis=1) < tol,
                             tol=0.3)
    D = mpcore.mass(Q, T, T_subseq_isconstant=rule)
    assert_close(D, brute_mass(Q, T, constT=rule(T, m)), m)


def test_given_M_T_and_Σ_T_are_used():
    T = random_walk(600, seed=8)
    m = 30
    Q = T[200:230].copy()
    W = sliding_window_view(T, m)
    M, S = W.mean(axis=1), W.std(axis=1)
    np.testing.assert_allclose(mpcore.mass(Q, T, M_T=M, Σ_T=S), brute_mass(Q, T), atol=1e-10)
    # STUMPY's semantics: the given statistics are used as they are, even when wrong
    D = mpcore.mass(Q, T, M_T=M, Σ_T=2 * S)
    assert np.abs(D - brute_mass(Q, T)).max() > 1.0
    # one alone is ignored (STUMPY computes both then)
    np.testing.assert_array_equal(mpcore.mass(Q, T, M_T=2 * M), mpcore.mass(Q, T))


def test_inputs_not_modified_and_query_idx():
    T = random_walk(500, seed=9)
    Q = T[40:60].copy()
    T0, Q0 = T.copy(), Q.copy()
    D = mpcore.mass(Q, T, query_idx=40)
    np.testing.assert_array_equal(T, T0)
    np.testing.assert_array_equal(Q, Q0)
    assert D[40] == 0.0


@pytest.mark.slow  # STUMPY's JIT compilation takes ~30 s here
@pytest.mark.parametrize("m", [3, 32, 256])
def test_mass_matches_stumpy(m):
    stumpy = pytest.importorskip("stumpy")
    T = random_walk(4000, seed=m)
    T[[100, 2000]] = np.nan
    T[3000:3100] = 1.0
    for Q in (T[500 : 500 + m].copy(), random_walk(m, seed=1), np.full(m, 5.0)):
        ours = mpcore.mass(Q, T)
        theirs = stumpy.mass(Q, T)
        np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))
        fin = np.isfinite(ours)
        np.testing.assert_allclose(ours[fin], theirs[fin], rtol=0, atol=2e-6)


def test_bad_input():
    T = random_walk(100, seed=1)
    with pytest.raises(ValueError, match="at least 3"):
        mpcore.mass(T[:2], T)
    with pytest.raises(ValueError, match="less than or equal"):
        mpcore.mass(T, T[:50])
    with pytest.raises(TypeError, match="Q"):
        mpcore.mass("abc", T)
    with pytest.raises(ValueError, match="T_subseq_isfinite"):
        mpcore.mass(T[:10], T, normalize=False, T_subseq_isfinite=np.ones(5, bool))
    with pytest.raises(TypeError, match="T_subseq_isconstant"):
        mpcore.mass(T[:10], T, T_subseq_isconstant=np.ones(91))


# --- window statistics (_mass.window_stats): sliding sums with a bound, exact restarts ---

def _ld_stats(y, m):
    """Means and sums of squared deviations of every window of ``y``, in long double around
    each window's middle value (so that a window's spread keeps its digits however far its
    level lies from 0).  A few thousand windows at a time: the same values, without long-double
    copies of every window at once (~100 MB at m = 300)."""
    windows = sliding_window_view(y, m)
    mu = np.empty(len(windows), dtype=LD)
    ssd = np.empty(len(windows), dtype=LD)
    for s in range(0, len(windows), 4096):
        W = windows[s : s + 4096].astype(LD)
        W0 = W[:, m // 2 : m // 2 + 1]
        Dv = W - W0
        dmu = Dv.mean(axis=1)
        mu[s : s + 4096] = W0[:, 0] + dmu
        ssd[s : s + 4096] = ((Dv - dmu[:, None]) ** 2).sum(axis=1)
    return mu, ssd


@pytest.mark.parametrize("kind", ["walk", "offset", "spikes", "constant", "tiny", "huge"])
@pytest.mark.parametrize("m", [3, 17, 48, 49, 300])
def test_window_stats_bound_holds(kind, m):
    """Every window's reported error bound covers its actual error (against long double), both
    for short windows (plain sliding sums) and long ones (compensated Welford updates), and
    the bound stays small enough (64 eps) that the screening keeps its windows."""
    n = 20000  # more than two chains of STATS_CHUNK windows
    T = _series(kind, n, seed=m)
    ps = _search.prepare_mass(T, m)
    skip = (ps._valid8 ^ 1) | ps._const8
    mu, isd, rel, restarts = _mass.window_stats(ps.Ts, m, skip, _search.STATS_RESTART_REL)
    ref_mu, ref_ssd = _ld_stats(ps.Ts, m)
    ok = (skip == 0) & (isd > 0)
    ssd = 1.0 / isd[ok].astype(LD) ** 2
    # isd = 1/sqrt(ssd) rounds twice more: 4 eps beyond the bound
    err = np.abs(ssd - ref_ssd[ok]) / ref_ssd[ok]
    assert np.all(err <= rel[ok] + 6 * _search.EPS), (err - rel[ok]).max()
    # a mean is off by eps of itself, plus what rel vouches for (window_stats)
    assert np.all(np.abs(mu[ok] - ref_mu[ok])
                  <= 2 * _search.EPS * np.abs(ref_mu[ok]) + rel[ok] * np.sqrt(ssd / m))
    assert np.median(rel[ok]) <= _search.STATS_RESTART_REL
    # restarts (O(m) each) stay rare on ordinary data: O(n) work in all, not O(n m)
    if kind in ("walk", "offset"):
        assert restarts * m < 3 * n, restarts


def test_window_stats_do_not_depend_on_threads():
    T = _series("spikes", 30000, seed=3)
    Q = T[5000:5040].copy()
    with mpcore.threads(1):
        one = mpcore.mass(Q, T)
        ps1 = _search.prepare_mass(T, 40)
    with mpcore.threads(2):
        two = mpcore.mass(Q, T)
        ps2 = _search.prepare_mass(T, 40)
    np.testing.assert_array_equal(one, two)
    for a in ("mu", "_isd", "_rel"):
        np.testing.assert_array_equal(getattr(ps1, a), getattr(ps2, a))


@pytest.mark.parametrize("m", [3, 40, 200])
def test_mass_hard_series_against_brute_force(m):
    """Series that stress the sliding statistics: steps between long near-constant stretches,
    tiny noise beside huge values, NaN/inf runs, mixed magnitudes, spikes that leave windows."""
    rng = np.random.default_rng(m)
    n = 12000
    T = np.repeat(rng.standard_normal(n // 500), 500) * 1e6 + 1e-4 * rng.standard_normal(n)
    T[3000:3400] = 7.0  # exactly constant
    T[5000:5003] = [np.nan, np.inf, -np.inf]
    T[7000] = 1e12  # a spike far above the noise
    T[9000:9500] *= 1e-9  # a quiet stretch of tiny values
    for Q in (T[100 : 100 + m].copy(), T[7000 - m // 2 : 7000 - m // 2 + m].copy(),
              T[9100 : 9100 + m].copy(), random_walk(m, seed=2), np.full(m, 3.0)):
        assert_close(mpcore.mass(Q, T), brute_mass(Q, T), m)


def test_mass_query_as_long_as_the_series():
    T = random_walk(500, seed=4)
    for Q in (T.copy(), random_walk(500, seed=5)):
        assert_close(mpcore.mass(Q, T), brute_mass(Q, T), 500)
    Tc = np.full(500, 2.0)
    np.testing.assert_array_equal(mpcore.mass(T, Tc), [np.sqrt(500)])
    np.testing.assert_array_equal(mpcore.mass(Tc, Tc), [0.0])


def test_near_constant_windows_go_to_the_exact_path():
    """Windows whose spread is at the rounding level of their neighbours' values: the stats
    bound cannot vouch for them, so they are recomputed exactly and still match."""
    T = random_walk(6000, seed=6)
    T[2000:2600] = 5.0 + 1e-13 * np.arange(600) % 7  # spread ~1e-13 on a level of 5
    m = 50
    Q = T[2100:2150].copy()
    assert_close(mpcore.mass(Q, T), brute_mass(Q, T), m)


def test_core_module_serves_stumpy_core_callers():
    """``stumpy.core.mass`` and ``stumpy.core.mass_absolute``, which tsfresh calls, under
    ``import mpcore as stumpy``: the public functions, with STUMPY's signatures."""
    import inspect

    import mpcore as stumpy

    T = random_walk(400, seed=3)
    Q = T[50:70].copy()
    assert stumpy.core.mass is mpcore.mass
    np.testing.assert_array_equal(stumpy.core.mass_absolute(Q, T, p=1.0),
                                  mpcore.mass(Q, T, normalize=False, p=1.0))
    D = stumpy.core.mass_absolute(Q, T, query_idx=50)
    assert D[50] == 0.0
    W = sliding_window_view(T, 20)
    np.testing.assert_allclose(D, np.sqrt(((W - Q) ** 2).sum(axis=1)), rtol=1e-12, atol=1e-12)
    assert list(inspect.signature(stumpy.core.mass_absolute).parameters) == [
        "Q", "T", "T_subseq_isfinite", "p", "query_idx"]
    real = pytest.importorskip("stumpy")
    assert list(inspect.signature(real.core.mass_absolute).parameters) == list(
        inspect.signature(stumpy.core.mass_absolute).parameters)
