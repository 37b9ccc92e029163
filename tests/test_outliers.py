"""Outliers: exact results, and no cliff, where huge values sit in small noise.

An outlier S leaves ~1e-16 S^2 of rounding in the co-moment recurrence of every diagonal it
meets (a spike paired with itself at c = r + m, or with its windows' means), which would swamp
the co-moments of quiet windows further along the diagonal.  The CPU kernels track that
rounding where an outlier meets a band and recompute a diagonal exactly before it matters
(mp_series.e in _kernels/band.h), so the quiet windows stay in the kernels instead of taking an
O(l m) exact path each (the cliff: n = 8,000 took over a minute).  test_spiky_noise_exact fails
if the tracking is removed while the windows stay in the kernels.
"""
import time

import numpy as np
import pytest
from conftest import random_walk

import checks
import mpcore
import naive
from mpcore import _pipeline, _prepare


def _noise_with_spikes(n, spikes=(0.5,), value=1e5, seed=0):
    T = np.random.default_rng(seed).standard_normal(n) * 1e-3
    for at in spikes:
        T[int(at * n)] = value
    return T


@pytest.mark.parametrize("spikes", [(0.5,), (0.1, 0.11, 0.7), (0.0, 0.999)])
def test_spiky_noise_exact(spikes):
    T = _noise_with_spikes(400, spikes)
    checks.assert_profile(mpcore.stump(T, 30), T, 30)
    checks.assert_profile(mpcore.stump(T, 30, k=2), T, 30, k=2)
    TB = _noise_with_spikes(200, (0.3,), value=-1e7, seed=3)
    checks.assert_profile(mpcore.stump(T, 30, TB, ignore_trivial=False), T, 30, TB)


def test_spike_on_a_random_walk_exact():
    T = random_walk(500, seed=4)
    T[[100, 400]] = [1e8, -1e8]
    checks.assert_profile(mpcore.stump(T, 40), T, 40)


@pytest.mark.parametrize("seed", range(6))
def test_spikes_of_any_size_exact(seed):
    """One spike of 1e2..1e12 times the noise, on noise or a random walk, in self- and
    AB-joins, k = 1 and 2.  (Several spikes of one size make windows that z-normalize to
    near-identical one-hot patterns, at distances below what any correlation can rank.)"""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(150, 600)), int(rng.choice([4, 16, 50]))
    base = float(rng.choice([1e-9, 1e-3, 1.0, 1e4]))
    T = rng.standard_normal(n) * base if seed % 2 else random_walk(n, seed=seed) * base
    T[int(rng.integers(0, n))] = base * 10.0 ** rng.uniform(2, 12) * rng.choice([-1, 1])
    k = 1 + seed % 2
    checks.assert_profile(mpcore.stump(T, m, k=k), T, m, k=k)
    TB = rng.standard_normal(int(rng.integers(m + 10, 300))) * base
    TB[int(rng.integers(0, len(TB)))] = -1e7 * base
    checks.assert_profile(mpcore.stump(T, m, TB, ignore_trivial=False, k=k), T, m, TB, k=k)


def _plateaus(n, seed):
    """Plateaus of 80..250 points at distinct integer levels 0..99, plus noise of 1e-7: every
    band meets an edge, whose rows and columns leave ~1e-7 of a plateau pair's score in
    rounding (more where a row's and a column's edges meet); returns the series and its edges."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(80, 250, n // 80 + 2)
    T = np.repeat(rng.permutation(100)[: len(lengths)].astype(float), lengths)[:n]
    edges = np.flatnonzero(np.diff(T) != 0) + 1
    return T + 1e-7 * rng.standard_normal(n), edges


def _assert_plateau_rows(mp, T, m, edges, TB=None, k=1):
    """The rows whose window is a plateau's noise alone, against the brute force.  (Windows
    holding one edge at the same offset z-normalize to nearly the same shape, their distances
    ~1e-7 apart in 2 sqrt(m): below what any correlation in float64 ranks, so those rows are
    not checked here.)"""
    P_ref, I_ref, L_ref, R_ref, D = naive.stump(T, m, TB, k)
    l = P_ref.shape[0]
    quiet = np.ones(l, dtype=bool)
    for e in edges:
        quiet[max(e - m + 1, 0) : min(e, l)] = False
    rows = np.flatnonzero(quiet)
    tol = checks.RTOL * checks._scale(D, np.sqrt(m))
    P, I = mp.P_.reshape(l, k)[rows], mp.I_.reshape(l, k)[rows]
    err = np.abs(P - P_ref.reshape(l, k)[rows].astype(np.float64))
    assert err.max() <= tol, f"max error {err.max()} > {tol}"
    for q in range(k):
        checks.assert_ties(D, rows, I[:, q], I_ref.reshape(l, k)[rows, q], tol, f"I[:, {q}]")
    if TB is None:
        checks.assert_ties(D, rows, mp.left_I_[rows], L_ref[rows], tol, "left_I")
        checks.assert_ties(D, rows, mp.right_I_[rows], R_ref[rows], tol, "right_I")


@pytest.mark.parametrize("seed", range(3))
def test_plateau_noise_exact(seed, kernel):
    """A series of plateaus far above their noise: each row is tracked only in the vectors of
    lanes whose own rows or columns meet an edge (mp_series.eslide, mixed_rows_ in
    _kernels/band_impl.h), the others run untracked.  With every vector of such rows left
    untracked, the noise windows' neighbours are lost (errors of ~4 in the profile)."""
    T, edges = _plateaus(1500, seed)
    for m, k in ((30, 1), (50, 2)):
        _assert_plateau_rows(mpcore.stump(T, m, k=k), T, m, edges, k=k)
    TB, _ = _plateaus(700, seed + 10)
    _assert_plateau_rows(mpcore.stump(T, 30, TB, ignore_trivial=False), T, 30, edges, TB)


def test_steps_short_windows_exact(kernel):
    """Plateaus 1e6 apart with noise of 1, short windows: in tracked rows, each column whose
    window leaves an edge is recomputed at consecutive rows, one lane a row, from exact values
    computed for several rows at once and looked up by row and column (memo_dot_ in
    _kernels/band_impl.h); with track_rows_' lookup keyed one column off at its second row,
    the rows took other pairs' co-moments (errors of ~0.5 in the profile)."""
    rng = np.random.default_rng(0)
    T = np.repeat(rng.integers(0, 100, 9).astype(float) * 1e6, 500)[:4000]
    T = T + rng.standard_normal(len(T))
    checks.assert_profile(mpcore.stump(T, 4), T, 4)
    TB = T[::-1][:937].copy()
    checks.assert_profile(mpcore.stump(T, 4, TB, ignore_trivial=False), T, 4, TB)


def test_quiet_windows_stay_in_the_kernels():
    """Near-flat is decided per window: beside a spike, the noise windows are not flat."""
    T = _noise_with_spikes(3000)
    job = _prepare.prepare_job(T, 50, None, True, True, 2.0, 1, None, None)
    assert len(job.series[0].flat) == 0
    # a window flat against its own values still is: an offset the common shift leaves
    T2 = _noise_with_spikes(3000)
    T2[1000:1200] = 1e5 + np.random.default_rng(1).standard_normal(200) * 1e-9
    flat = _prepare.prepare_job(T2, 50, None, True, True, 2.0, 1, None, None).series[0].flat
    assert set(range(1000, 1151)) <= set(flat.tolist()) and len(flat) < 200


def test_untracked_rule_exact():
    """Engines without the rounding bookkeeping (the CUDA kernel) use the global rule: the
    quiet windows take the exact path there, with the same exact result."""
    T = _noise_with_spikes(400, (0.3, 0.8))
    job = _prepare.prepare_job(T, 30, None, True, True, 2.0, 1, None, None)
    _prepare.untracked(job)
    assert len(job.series[0].flat) > 300
    mp = _pipeline.finalize(job, _pipeline.merge(job, _pipeline.run_threads(job)))
    checks.assert_profile(mp, T, 30)


def test_outlier_costs_about_what_clean_costs():
    """Issue 10's series: noise of 1e-3 with one value of 1e5 (the kernels' extra work for it
    is about 1.1x by instruction count; 3x leaves room for a busy machine, the cliff was
    several hundred times)."""
    clean = _noise_with_spikes(6000, ())
    spiky = _noise_with_spikes(6000)

    def best(T):
        mpcore.stump(T, 50)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            mpcore.stump(T, 50)
            times.append(time.perf_counter() - start)
        return min(times)

    assert best(spiky) < 3.0 * best(clean) + 0.01


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("seed", range(3))
def test_aamp_spikes_exact(p, seed):
    """p-norm profiles: a spike leaves ~1e-16 S^p in the running distance of every diagonal it
    meets, more than the quiet windows' distances further on; the kernels track it (a lane is
    recomputed exactly first), so the quiet windows keep their true nearest neighbours."""
    rng = np.random.default_rng(seed)
    T = rng.standard_normal(400) * 1e-3
    T[int(rng.integers(0, 400))] = 1e5 * rng.choice([-1, 1])
    checks.assert_profile(mpcore.aamp(T, 30, p=p), T, 30, normalize=False, p=p)
    TB = rng.standard_normal(250) * 1e-3
    TB[100] = -1e6
    checks.assert_profile(mpcore.aamp(T, 30, TB, ignore_trivial=False, p=p), T, 30, TB,
                          normalize=False, p=p)


@pytest.mark.slow
def test_random_walk_costs_what_noise_costs():
    """The rounding bound charges an operand's rounding to the other side's step, not to its
    level (mp_series.e in _kernels/band.h): a random walk at m = 32, whose levels are ~30x
    its windows' spread, is not tracked row by row.  With a bound that multiplied the two
    levels (e_r e_c), 70% of its rows were tracked and it cost 1.6x white noise (one thread,
    n = 2**15); now about 1.0x.  Interleaved runs, the best of each."""
    n, m = 2**15, 32
    walk = random_walk(n, seed=3)
    noise = np.random.default_rng(3).standard_normal(n)
    best = {"walk": np.inf, "noise": np.inf}
    for _ in range(7):
        for name, T in (("walk", walk), ("noise", noise)):
            start = time.process_time()
            mpcore.stump(T, m, n_threads=1)
            best[name] = min(best[name], time.process_time() - start)
    assert best["walk"] < 1.3 * best["noise"], best


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("value", [1e3, 1e5, 1e8])
def test_scraamp_spikes_exact(p, value):
    """scraamp's scattered diagonals (the kernels' diagonal-list entry) track the p-norm
    rounding as the bands do: a spike's |S|^p left in the running sums would otherwise rank
    the quiet windows after it by rounding noise (p = 2 and 3 picked wrong neighbours at
    2,800 of 2,951 windows).  At percentage=1.0 every diagonal is done: aamp's profile."""
    T = _noise_with_spikes(3000, (0.5,), value)
    T[700] = value / 3
    np.random.seed(0)
    approx = mpcore.scraamp(T, 50, percentage=1.0, p=p)
    approx.update()
    ref = mpcore.aamp(T, 50, p=p)  # exact on spikes: test_aamp_spikes_exact above
    np.testing.assert_array_equal(approx.I_, ref.I_)
    np.testing.assert_allclose(approx.P_, ref.P_, rtol=1e-12, atol=0)


@pytest.mark.parametrize("p", [1.0, 2.0])
def test_aamp_plateau_noise_exact(p, kernel):
    """p-norm profiles of plateaus far above their noise: every row of every band is tracked
    (each band reaches columns of other levels) and runs in blocks of rows, one test per block
    (track_band_aamp_ in _kernels/band_impl.h); a diagonal that leaves an edge's steps for
    pairs inside a plateau is recomputed first.  Without the recomputation in the blocks the
    noise windows' neighbours are lost."""
    T, _ = _plateaus(1500, 7)
    for m, k in ((30, 1), (50, 3)):
        checks.assert_profile(mpcore.aamp(T, m, p=p, k=k), T, m, k=k, normalize=False, p=p)
    TB, _ = _plateaus(700, 17)
    checks.assert_profile(mpcore.aamp(T, 30, TB, ignore_trivial=False, p=p), T, 30, TB,
                          normalize=False, p=p)
