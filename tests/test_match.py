"""match / aamp_match: against the brute-force definition (tests/reference/analysis.py), against
STUMPY, and on bad input."""
import functools
import warnings

import numpy as np
import pytest
from conftest import random_walk
from reference import analysis as ref

import mpcore

TOL = 1e-9  # distances: float64 kernels vs a long-double brute force


def series(kind, n=300, seed=0):
    rng = np.random.default_rng(seed)
    T = random_walk(n, seed)
    if kind == "nan":
        T[rng.choice(n, 5, replace=False)] = np.nan
        T[rng.integers(n)] = np.inf
    elif kind == "constant":
        T[40:90] = 3.0
        T[200:260] = -1.0
    elif kind == "spikes":
        T[rng.choice(n, 4, replace=False)] += 50.0
    elif kind == "offset":  # large offset, small noise: kept by the exact centring
        T = 1e6 + 1e-3 * T
    elif kind == "periodic":  # many near-equal matches
        T = np.sin(np.arange(n) * 2 * np.pi / 25) + 0.01 * rng.standard_normal(n)
    elif kind == "flat":  # near-flat stretches: exact statistics window by window
        T[30:150] = 2.0 + 1e-9 * np.sin(np.arange(120))
        T[180:200] = 2.0
    return T


def check(ours, expected):
    assert ours.dtype == object
    if not expected:
        assert ours.shape == (0,)
        return
    assert ours.shape == (len(expected), 2)
    d = np.array([e[0] for e in expected])
    i = np.array([e[1] for e in expected])
    np.testing.assert_array_equal(ours[:, 1].astype(np.int64), i)
    np.testing.assert_allclose(ours[:, 0].astype(np.float64), d, rtol=TOL, atol=TOL)


KINDS = ["walk", "nan", "constant", "spikes", "offset", "periodic", "flat"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("m", [3, 8, 50])
@pytest.mark.parametrize("normalize", [True, False])
def test_match_vs_reference(kind, m, normalize):
    T = series(kind)
    Q = series("walk", m, seed=7)
    for max_distance in (None, np.inf, lambda D: float(np.nanpercentile(D[np.isfinite(D)], 20))):
        for max_matches in (None, 1, 4):
            ours = mpcore.match(Q, T, max_distance=max_distance, max_matches=max_matches,
                                normalize=normalize)
            check(ours, ref.match(Q, T, max_distance, max_matches, normalize=normalize))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_aamp_match_vs_reference(kind, p):
    T = series(kind, seed=3)
    Q = np.where(np.isfinite(T[100:120]), T[100:120], 0.0)
    ours = mpcore.aamp_match(Q, T, max_distance=np.inf, p=p)
    check(ours, ref.match(Q, T, np.inf, normalize=False, p=p))
    ours = mpcore.match(Q, T, max_distance=np.inf, normalize=False, p=p)
    check(ours, ref.match(Q, T, np.inf, normalize=False, p=p))


@pytest.mark.parametrize("normalize", [True, False])
def test_query_idx_comes_first(normalize):
    T = series("periodic", 400)
    T[300:320] = T[100:120]  # an identical window before... and after the query
    T[50:70] = T[100:120]
    ours = mpcore.match(T[300:320], T, max_distance=np.inf, query_idx=300, normalize=normalize)
    assert ours[0, 1] == 300 and ours[0, 0] == 0.0
    check(ours, ref.match(T[300:320], T, np.inf, query_idx=300, normalize=normalize))
    # identical windows are exactly 0 apart; the lowest index wins the tie
    free = mpcore.match(T[300:320], T, max_distance=np.inf, normalize=normalize)
    assert list(free[:3, 1]) == [50, 100, 300] and list(free[:3, 0]) == [0.0, 0.0, 0.0]


def test_constant_query_and_windows():
    T = series("constant")
    Q = np.full(10, 2.0)
    ours = mpcore.match(Q, T, max_distance=np.inf)
    check(ours, ref.match(Q, T, np.inf))
    assert ours[0, 0] == 0.0 and 40 <= ours[0, 1] <= 80
    # a caller's rule: every window constant
    ours = mpcore.match(Q, T, max_distance=0.0,
                        T_subseq_isconstant=lambda a, w: np.ones(len(a) - w + 1, bool))
    assert len(ours) > 0 and np.all(ours[:, 0].astype(float) == 0.0)


def test_multidimensional_mean_of_profiles():
    T = np.stack([random_walk(200, 1), random_walk(200, 2)])
    Q = np.stack([random_walk(12, 3), random_walk(12, 4)])
    D = (ref.distance_profile(Q[0], T[0]) + ref.distance_profile(Q[1], T[1])) / 2
    ours = mpcore.match(Q, T, max_distance=np.inf)
    check(ours, ref.find_matches(D, ref.excl(12), np.inf))


def test_given_statistics_are_used():
    T, m = series("walk"), 20
    W = np.lib.stride_tricks.sliding_window_view(T, m)
    M, S = W.mean(axis=1), W.std(axis=1)
    ours = mpcore.match(T[10:30], T, M_T=M, Σ_T=S, max_distance=np.inf)
    check(ours, ref.match(T[10:30], T, np.inf))


def test_inputs_not_modified_and_int_input():
    T = series("nan")
    Q = series("walk", 10, 5)
    T0, Q0 = T.copy(), Q.copy()
    mpcore.match(Q, T)
    mpcore.aamp_match(Q, T)
    np.testing.assert_array_equal(T, T0)
    np.testing.assert_array_equal(Q, Q0)
    Ti = np.arange(100) % 7
    a = mpcore.match(Ti[:7], Ti, max_distance=np.inf)
    b = mpcore.match(Ti[:7].astype(float), Ti.astype(float), max_distance=np.inf)
    np.testing.assert_array_equal(a.astype(float), b.astype(float))


def test_bad_input():
    T = random_walk(100)
    with pytest.raises(ValueError, match="Q contains illegal values"):
        mpcore.match(np.array([1.0, np.nan, 2.0]), T)
    with pytest.raises(ValueError, match="three"):
        mpcore.match(T[:2], T)
    with pytest.raises(ValueError, match="length of `Q`"):
        mpcore.match(T, T[:50])
    with pytest.raises(ValueError, match="query_idx"):
        mpcore.match(T[:10], T, query_idx=500)
    with pytest.raises(TypeError, match="max_distance"):
        mpcore.match(T[:10], T, max_distance="far")
    with pytest.raises(TypeError, match="T"):
        mpcore.match(T[:10], ["a"] * 100)
    with pytest.raises(ValueError, match="p"):
        mpcore.aamp_match(T[:10], T, p=-1)
    with pytest.raises(ValueError, match="dimensions"):
        mpcore.match(np.ones((2, 10)), T)
    with pytest.warns(UserWarning, match="query_idx"):
        mpcore.match(T[:10], T, query_idx=3)


@pytest.mark.slow  # STUMPY's JIT compilation takes tens of seconds
@pytest.mark.parametrize("kind", ["walk", "nan", "constant", "periodic"])
def test_match_vs_stumpy(kind):
    stumpy = pytest.importorskip("stumpy")
    T = series(kind, 500, seed=11)
    Q = np.where(np.isfinite(T[200:230]), T[200:230], 1.0)
    for kw in ({}, {"max_distance": np.inf, "max_matches": 5}, {"query_idx": 200}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = mpcore.match(Q, T, **kw)
            theirs = stumpy.match(Q, T, **kw)
        assert ours.shape == theirs.shape
        if len(ours):
            np.testing.assert_array_equal(ours[:, 1].astype(int), theirs[:, 1].astype(int))
            np.testing.assert_allclose(ours[:, 0].astype(float), theirs[:, 0].astype(float),
                                       atol=1e-6)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = mpcore.aamp_match(Q, T, **kw)
            theirs = stumpy.aamp_match(Q, T, **kw)
        assert ours.shape == theirs.shape
        if len(ours):
            np.testing.assert_array_equal(ours[:, 1].astype(int), theirs[:, 1].astype(int))
            np.testing.assert_allclose(ours[:, 0].astype(float), theirs[:, 0].astype(float),
                                       rtol=1e-9, atol=1e-6)


def test_large_series_threads_agree():
    T = random_walk(60_000, 9)
    Q = T[1000:1100].copy()
    one = functools.partial(mpcore.match, Q, T, max_distance=np.inf, max_matches=50)
    with mpcore.threads(1):
        a = one()
    with mpcore.threads(2):
        b = one()
    np.testing.assert_array_equal(a, b)


def test_pandas_and_polars_input():
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    T = series("walk")
    Q = T[30:45].copy()
    expected = mpcore.match(Q, T, max_distance=np.inf)
    for conv in (pd.Series, pl.Series):
        got = mpcore.match(conv(Q), conv(T), max_distance=np.inf)
        np.testing.assert_array_equal(got, expected)
    d, i = mpcore.motifs(pd.Series(T), pd.Series(mpcore.stump(T, 15).P_))
    d2, i2 = mpcore.motifs(T, mpcore.stump(T, 15).P_)
    np.testing.assert_array_equal(i, i2)


def test_mostly_flat_series_costs_what_a_walk_costs():
    """Near-flat windows get exact statistics (_analysis.zstats_at), which made a Python call
    per window: a 90%-constant series of 8,000 points took 9.5 ms a query against a walk's
    0.5 ms.  Now runs of such windows go in blocks, and their statistics are the same bits."""
    import time

    from mpcore import _analysis

    T = random_walk(8000, seed=5)
    T[400:7600] = 3.0
    T[1000:1500] += 1e-10 * np.sin(np.arange(500))
    m = 50
    l = len(T) - m + 1
    idx = np.concatenate([np.arange(300, 4000), np.arange(5000, 7000, 3)])
    got = [np.zeros(l), np.zeros(l), np.zeros(l)]
    _analysis.zstats_at(T, m, idx, *got)
    want = [np.zeros(l), np.zeros(l), np.zeros(l)]
    for j in idx:
        _analysis.zstats(T, m, *want, j, j + 1)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    with pytest.raises(ValueError, match="sorted"):
        _analysis.zstats_at(T, m, idx[::-1].copy(), *got)
    with pytest.raises(ValueError, match="range"):
        _analysis.zstats(T, m, *got, l - 1, l + 1)

    def run(S):
        start = time.perf_counter()
        mpcore.match(S[100:150], S)
        return time.perf_counter() - start

    walk = random_walk(8000, seed=6)
    run(walk)
    clean = min(run(walk) for _ in range(5))
    took = min(run(T) for _ in range(5))
    assert took < 3 * clean + 0.002, (took, clean)


def test_subnormal_series():
    """A series below ~2.2e-308 overflowed the search's power-of-two scale (2**1029): every
    window read as non-finite or constant (match gave 2.83 for every window, aamp_match no
    match at all).  Now the same indices as the series scaled up, as stump and mass give."""
    def up(x):  # times 2**1030, exactly (in two steps: 2**1030 itself overflows)
        return x * 2.0**520 * 2.0**510

    T = random_walk(100, seed=0) * 2.0**-520 * 2.0**-510  # ~1e-310: subnormal
    Q = T[10:18].copy()
    for normalize in (True, False):
        ours = mpcore.match(Q, T, max_distance=np.inf, normalize=normalize)
        want = mpcore.match(up(Q), up(T), max_distance=np.inf, normalize=normalize)
        np.testing.assert_array_equal(ours[:, 1].astype(int), want[:, 1].astype(int))
        d = want[:, 0].astype(float)
        if not normalize:
            d = d * 2.0**-520 * 2.0**-510
        np.testing.assert_allclose(ours[:, 0].astype(float), d, rtol=1e-9,
                                   atol=1e-12 if normalize else 1e-320)
    # a query far above the series: one scale for both (each distance ~ |Q|)
    big = up(Q)
    ours = mpcore.aamp_match(big, T, max_distance=np.inf)
    check(ours, ref.match(big, T, np.inf, normalize=False))
    P = mpcore.stump(T, 8).P_
    np.testing.assert_array_equal(mpcore.motifs(T, P, cutoff=np.inf)[1],
                                  mpcore.motifs(up(T), P, cutoff=np.inf)[1])


@pytest.mark.parametrize("normalize", [True, False])
def test_motifs_no_match_at_all(normalize):
    """max_matches=0 or a negative limit: not even a candidate itself matches, so no motif
    (and no walk over every candidate)."""
    T = random_walk(300, seed=4)
    P = (mpcore.stump(T, 10) if normalize else mpcore.aamp(T, 10)).P_
    fn = mpcore.motifs if normalize else mpcore.aamp_motifs
    with pytest.warns(UserWarning, match="No motifs"):
        dist, idx = fn(T, P, max_matches=0)
    assert dist.shape == (1, 0)
    with pytest.warns(UserWarning, match="No motifs"):
        fn(T, P, atol=-1.0, max_distance=0.0)
    for kw, name in (({"max_matches": np.nan}, "max_matches"), ({"atol": None}, "atol"),
                     ({"cutoff": "a"}, "cutoff"), ({"min_neighbors": 1.5}, "min_neighbors")):
        with pytest.raises(TypeError, match=name):
            fn(T, P, **kw)
    with pytest.raises(TypeError, match="max_matches"):
        mpcore.match(T[:10], T, max_matches=np.nan)
