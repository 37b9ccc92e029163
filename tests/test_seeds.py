"""The thresholds a fresh top-1 table starts from must never exceed a row's true best score:
otherwise a kernel would skip the real nearest neighbour."""
import numpy as np
import pytest
from conftest import random_walk

import mpcore
import naive
from mpcore._prepare import prepare_job


def _series():
    T = 1e6 + random_walk(700, seed=1)
    T[200:320] = T[200] + 1e-6 * random_walk(120, seed=2)  # nearly flat: badly conditioned
    T[500:530] = T[100:130]  # an exact repeat
    return T


@pytest.mark.parametrize("normalize,p", [(True, 2.0), (False, 2.0), (False, 1.0), (False, 3.0)])
def test_seeds_are_lower_bounds_self_join(normalize, p):
    T, m = _series(), 20
    job = prepare_job(T, m, None, True, normalize, p, 1, None, None)
    D = naive.distance_matrix(T, m, None, normalize, p).astype(np.float64)
    l, gap = D.shape[0], job.excl_zone + 1
    scale = 1.0 / job.unscale
    for r in range(l):
        right = D[r, r + gap :]
        left = D[r, : max(0, r - gap + 1)]
        for seeds, cand in ((job.seeds[0], right), (job.seeds[1], left)):
            if not np.isfinite(seeds[r]):
                continue
            best = np.min(cand)
            true = 1 - best**2 / (2 * m) if normalize else -((best * scale) ** p)
            assert seeds[r] <= true, (r, seeds[r], true)
    assert np.isfinite(job.seeds[0]).mean() > 0.5  # the seeds are used, not all -inf
    ours = mpcore.stump(T, m, normalize=normalize, p=p)
    P, I, _, _, _ = naive.stump(T, m, normalize=normalize, p=p)
    np.testing.assert_array_equal(np.isfinite(ours.P_), np.isfinite(P[:, 0].astype(float)))


def test_seeds_are_lower_bounds_ab_join():
    A, B, m = _series(), 2e6 + random_walk(400, seed=3), 16
    job = prepare_job(A, m, B, False, True, 2.0, 1, None, None)
    D = naive.distance_matrix(A, m, B).astype(np.float64)
    true = 1 - D.min(axis=1) ** 2 / (2 * m)
    seeds = job.seeds[0]
    fin = np.isfinite(seeds)
    assert fin.any() and np.all(seeds[fin] <= true[fin])


def test_no_seeds_for_short_series_or_large_k():
    assert prepare_job(random_walk(100), 8, None, True, True, 2.0, 3, None, None).seeds is None
    k = mpcore._prepare.TOPK_SEED_MAX
    T = random_walk(2000)
    assert prepare_job(T, 8, None, True, True, 2.0, k, None, None).seeds is not None
    assert prepare_job(T, 8, None, True, True, 2.0, k + 1, None, None).seeds is None


@pytest.mark.parametrize("normalize,p", [(True, 2.0), (False, 2.0), (False, 1.0)])
@pytest.mark.parametrize("k", [2, 3, 5])
def test_topk_seeds_are_lower_bounds_of_the_kth_best(normalize, p, k):
    """Each side's seeds never exceed its k-th best distance, from a plain distance matrix."""
    T, m = _series(), 20
    T = np.concatenate([T, T[:300] + 1e-3 * random_walk(300, seed=9)])  # near repeats
    job = prepare_job(T, m, None, True, normalize, p, k, None, None)
    D = naive.distance_matrix(T, m, None, normalize, p).astype(np.float64)
    l, gap = D.shape[0], job.excl_zone + 1
    scale = 1.0 / job.unscale
    used = 0
    for r in range(l):
        for seeds, cand in ((job.seeds[0], D[r, r + gap :]), (job.seeds[1], D[r, : max(0, r - gap + 1)])):
            if not np.isfinite(seeds[r]):
                continue
            used += 1
            kth = np.sort(cand)[k - 1]  # (a seed implies k candidates at least)
            true = 1 - kth**2 / (2 * m) if normalize else -((kth * scale) ** p)
            assert seeds[r] <= true, (r, seeds[r], true)
    assert used > l  # most rows of both sides have seeds


def _hard_series(n, seed):
    """A random walk with what stresses the seeds' margin: a spike, a constant stretch,
    non-finite values, a near-flat stretch, an exact repeat, an offset (positions scale with
    n); n > 4096 crosses the recurrences' exact restart."""
    T = random_walk(n, seed=seed)
    at = [int(f * n) for f in (0.07, 0.2, 0.35, 0.47, 0.7, 0.12, 0.82)]
    T[at[0]] += 1e5  # spike: its rounding lingers in the co-moments of the diagonals it meets
    T[at[1] : at[1] + 40] = 3.0  # constant
    T[at[2]] = np.nan
    T[at[2] + 1] = np.inf
    T[at[3] : at[3] + 60] = T[at[3]] + 1e-7 * random_walk(60, seed=seed + 1)  # nearly flat
    T[at[4] : at[4] + 40] = T[at[5] : at[5] + 40]  # exact repeat
    T[at[6] :] += 1e6  # offset
    return T


def _kernel_bests(job):
    """Each table's final k-th best score when the search starts from no seeds: the kernels'
    own score of the pair that comes k-th, which a seed must never exceed."""
    from mpcore import _pipeline

    seeds, job.seeds = job.seeds, None
    try:
        tables = _pipeline.merge(job, _pipeline.run_threads(job, 1))
    finally:
        job.seeds = seeds
    return [t.P.reshape(t.l, t.k)[:, -1] for t in tables]


def _quiet_series(n, seed):
    """Noise of 1e-3 with one value of 1e5 (the seeds' margin is on each window's own scale:
    here the noise windows' values are 1e-8 of the series' largest), and a stretch of noise of
    1e-9 around zero beside a walk."""
    rng = np.random.default_rng(seed)
    T = rng.standard_normal(n) * 1e-3
    T[n // 3] = 1e5
    T[n // 2 :] = random_walk(n - n // 2, seed=seed)
    T[3 * n // 4 : 3 * n // 4 + 200] = 1e-9 * rng.standard_normal(200)
    return T


@pytest.mark.parametrize("n,m,kind", [(4300, 32, "hard"), (1200, 5, "hard"), (2500, 300, "hard"),
                                      (4300, 50, "quiet"), (1500, 8, "quiet")])
@pytest.mark.parametrize("ab", [False, True], ids=["self", "ab"])
@pytest.mark.parametrize("k", [1, 3, 16])
def test_band_seeds_never_exceed_the_kernels_best(n, m, kind, ab, k):
    """(k > 1: the k-th best; the seeds then come from k interleaved groups of the band)"""
    from mpcore import _pipeline

    T = (_hard_series if kind == "hard" else _quiet_series)(n, seed=n)
    B = random_walk(n // 2, seed=7) if ab else None
    if ab:
        B[100] += 1e4
        B[200:260] = T[1000:1060]
    job = prepare_job(T, m, B, not ab, True, 2.0, k, None, None)
    bests = _kernel_bests(job)
    used = 0
    for seeds, best in zip(job.seeds, bests):
        fin = np.isfinite(seeds)
        used += fin.sum()
        assert np.all(seeds[fin] <= best[fin]), np.flatnonzero(seeds[fin] > best[fin])[:5]
    # (an AB-join's band reaches A's windows up to B's length only)
    assert used > 0.5 * min(s.l for s in job.series)
    # the search from the seeds ends exactly where the unseeded one does
    seeded = _pipeline.finalize(job, _pipeline.merge(job, _pipeline.run_threads(job, 2)), 1)
    job.seeds = None
    plain = _pipeline.finalize(job, _pipeline.merge(job, _pipeline.run_threads(job, 2)), 1)
    np.testing.assert_array_equal(np.asarray(seeded), np.asarray(plain))


@pytest.mark.parametrize("ab", [False, True], ids=["self", "ab"])
@pytest.mark.parametrize("k,gap", [(1, 0.1), (3, 0.25), (8, 0.3)])
def test_band_seeds_are_close_on_a_clean_series(ab, k, gap):
    """Where the series is well conditioned (a plain random walk), the band's best is most
    rows' best, or near it: the seeds do what they are for.  (k > 1: a row's k best are
    mostly its best match and the windows beside it, and so are the band's groups' maxima.)"""
    T = random_walk(3000, seed=11)
    B = random_walk(3000, seed=12) if ab else None
    job = prepare_job(T, 32, B, not ab, True, 2.0, k, None, None)
    for seeds, best in zip(job.seeds, _kernel_bests(job)):
        fin = np.isfinite(seeds)
        assert fin.mean() > 0.9 and np.all(seeds[fin] <= best[fin])
        assert np.median(best[fin] - seeds[fin]) < gap


def test_band_seeds_are_close_beside_a_spike():
    """One value of 1e5 in noise of 1e-3 leaves the noise windows' seeds useful: their margin
    is on their own scale, not the spike's."""
    T = np.random.default_rng(3).standard_normal(3000) * 1e-3
    T[1500] = 1e5
    job = prepare_job(T, 50, None, True, True, 2.0, 1, None, None)
    for seeds, best in zip(job.seeds, _kernel_bests(job)):
        fin = np.isfinite(seeds) & np.isfinite(best)
        assert fin.mean() > 0.9 and np.all(seeds[fin] <= best[fin])
        assert np.median(best[fin] - seeds[fin]) < 0.2


@pytest.mark.parametrize("kernel", mpcore._engine.kernel_names())
@pytest.mark.parametrize("k", [1, 4])
def test_band_seeds_of_every_kernel_are_lower_bounds(kernel, monkeypatch, k):
    """The seeds' pass of each instruction set (its own rounding: the baseline has no FMA)."""
    i = mpcore._engine.kernel_names().index(kernel)
    monkeypatch.setattr(mpcore._config, "kernel_index", lambda: i)
    T = _hard_series(4300, seed=5)
    job = prepare_job(T, 24, None, True, True, 2.0, k, None, None)
    for seeds, best in zip(job.seeds, _kernel_bests(job)):
        fin = np.isfinite(seeds)
        assert fin.mean() > 0.5 and np.all(seeds[fin] <= best[fin])


def test_band_max_rejects_what_the_kernel_cannot_run():
    X = prepare_job(random_walk(600, seed=2), 16, None, True, True, 2.0, 1, None, None).series[0]
    band_max = mpcore._engine.band_max
    with pytest.raises(ValueError, match="d0"):
        band_max(0, 16, 4096, X, X, 5, 5 + mpcore._engine.BAND + 1)  # wider than a band
    with pytest.raises(ValueError, match="d0"):
        band_max(0, 16, 4096, X, X, -1, 10)
    with pytest.raises(ValueError, match="kernel"):
        band_max(99, 16, 4096, X, X, 5, 10)
    for groups in (0, mpcore._engine.SEED_GROUPS + 1):
        with pytest.raises(ValueError, match="groups"):
            band_max(0, 16, 4096, X, X, 5, 10, groups=groups)
    rows, cols = band_max(0, 16, 4096, X, X, 9, 9)  # an empty band: no seed anywhere
    assert rows.shape == cols.shape == (1, X.l) and np.all(rows == -np.inf) and np.all(cols == -np.inf)


def test_band_max_groups_against_a_plain_reference(kernel):
    """groups > 1: group g's maxima are those of the band's diagonals d0 + j with j % groups
    == g.  Reference: a band of 16 diagonals (whole vectors for every kernel) in 16 groups,
    one diagonal each, i.e. each diagonal's own scores; any grouping is their maxima, and one
    group the top-1 seeds' bits."""
    from mpcore import _engine

    i = _engine.kernel_names().index(kernel)
    T = _hard_series(5000, seed=21)
    B = random_walk(2500, seed=22)
    for ab in (False, True):
        job = prepare_job(T, 20, B if ab else None, not ab, True, 2.0, 1, None, None)
        X = job.series[0]
        Y = job.series[1] if ab else X
        d0 = 0 if ab else job.excl_zone + 1
        d1 = d0 + 16
        each_r, each_c = _engine.band_max(i, 20, job.reseed, X, Y, d0, d1, groups=16)
        assert np.isfinite(each_r).mean() > 0.4 and np.isfinite(each_c).mean() > 0.4
        for groups in (1, 2, 3, 5, 7):
            rows, cols = _engine.band_max(i, 20, job.reseed, X, Y, d0, d1, groups=groups)
            assert rows.shape == (groups, X.l) and cols.shape == (groups, Y.l)
            for g in range(groups):
                np.testing.assert_array_equal(rows[g], each_r[g::groups].max(axis=0))
                np.testing.assert_array_equal(cols[g], each_c[g::groups].max(axis=0))


@pytest.mark.parametrize("ab", [False, True])
@pytest.mark.parametrize("reseed", [4096, 300, 37])
def test_band_max_in_pieces_gives_the_bits_of_one_pass(kernel, monkeypatch, ab, reseed):
    """The seeds' pass cut among threads at multiples of the reseed period (even pieces at
    once, then odd ones) gives the bits of one pass, for any thread count; with a tiny
    minimum the pieces are many and short (37-row periods: pieces of PAD rows and more, where
    a piece's columns reach furthest into the next one).  The series' e and windows' largest
    |T| are cut among the threads too, and cover each series once."""
    i = mpcore._engine.kernel_names().index(kernel)
    T = _hard_series(9000, seed=9)
    B = _hard_series(6000, seed=10) if ab else None
    job = prepare_job(T, 40, B, not ab, True, 2.0, 1, None, None)
    X = job.series[0]
    Y = job.series[1] if ab else X
    d0 = 0 if ab else job.excl_zone + 1
    d1 = d0 + mpcore._engine.BAND
    band_max = mpcore._engine.band_max
    want = band_max(i, 40, reseed, X, Y, d0, d1, 1)
    assert np.isfinite(want[0]).mean() > 0.5 and np.isfinite(want[1]).mean() > 0.5
    pieces = []
    real_each = mpcore._threads.each

    def spy(fn, items, n):
        items = list(items)
        pieces.extend(items)
        return real_each(fn, items, n)

    monkeypatch.setattr(mpcore._threads, "each", spy)
    monkeypatch.setattr(mpcore._engine, "BAND_MAX_MIN_ROWS", 500)
    for n in (2, 3, 7):
        pieces.clear()
        got = band_max(i, 40, reseed, X, Y, d0, d1, n)
        preps = sorted(p for p in pieces if len(p) == 3)  # (of Y, first, past last)
        cuts = sorted(p for p in pieces if len(p) == 2)
        for of_y, s in [(False, X)] + ([(True, Y)] if ab else []):
            mine = [(a, b) for o, a, b in preps if o == of_y]
            assert len(mine) == n and mine[0][0] == 0
            assert mine[-1][1] == s.l + mpcore._engine.PAD
            assert all(a[1] == b[0] for a, b in zip(mine, mine[1:]))
        assert len(preps) == n * (2 if ab else 1)
        nrows = min(X.l, Y.l - d0)
        assert len(cuts) >= min(4, -(-nrows // reseed)) and cuts[0][0] == 0
        assert cuts[-1][1] == nrows
        assert all(a[1] == b[0] for a, b in zip(cuts, cuts[1:]))  # every row, once
        assert all(a % reseed == 0 and b - a >= mpcore._engine.PAD for a, b in cuts[:-1])
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
