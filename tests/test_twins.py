"""Identical windows settle their rows before the pass (mpcore._twins).

A row with k identical windows among its eligible neighbours on a side is known before the
pass: distance 0, those windows in STUMPY's order.  Left to the kernels, every identical pair
tied the row's best and took their rare path, so a long constant stretch in a non-normalized
profile or an exactly periodic series cost ten times a random walk.  Now such rows start at
+inf, get no cell, and finalize offers them their twins.  Results: the long-double reference
in STUMPY's tie order (test_ties.assert_tie_order), for any thread count and executor.
"""
import time

import numpy as np
import pytest
from conftest import dask_client, random_walk
from test_ties import assert_tie_order

import mpcore
from mpcore import _pipeline, _prepare, _twins


def _stretches(n=600, seed=0):
    """A random walk with long constant stretches at two levels, a NaN among them."""
    T = random_walk(n, seed=seed)
    T[50:250] = 3.0
    T[300:420] = -1.0
    T[500:560] = 3.0
    T[330] = np.nan
    return T


def _square(n=480):
    return np.tile([0.0, 0.0, 1.0, 1.0, 1.0], n // 5)


def _job(T, m, T_B=None, normalize=False, p=2.0, k=1):
    return _prepare.prepare_job(T, m, T_B, T_B is None, normalize, p, k, None, None)


def test_settled_rows_start_at_inf_and_get_no_cell():
    """The rows with twins on a side start there at +inf, and the kernels leave them empty;
    the others are searched as before."""
    T, m = _stretches(), 20
    job = _job(T, m)
    right, left = _twins.settled(job)
    # inside the first stretch: twins on both sides (the third stretch is at the same level)
    assert right[60] and left[230] and right[230]
    assert not left[55]  # nothing identical 5+ windows to its left
    assert not right[20] and not left[20]  # a walk's window: no twin
    tables = _pipeline.merge(job, _pipeline.run_threads(job, 2))
    rows = np.arange(job.series[0].l)
    room = (rows < len(rows) - job.excl_zone - 1, rows > job.excl_zone)  # has a neighbour there
    for table, done, has in zip(tables, (right, left), room):
        assert np.all(table.thr[: table.l][done] == np.inf)
        assert np.all(table.I[done] == -1)  # no cell offered
        assert np.all(table.I[~done & has & _twins.usable(job.series[0])] >= 0)


def test_fewer_twins_than_k_leave_the_row_to_the_kernels():
    T = random_walk(300, seed=2)
    T[100:112] = T[20:32]  # one window of 8 repeated: each copy has one twin
    job = _job(T, 8, k=2)
    right, left = _twins.settled(job)
    assert not right.any() and not left.any()
    job1 = _job(T, 8, k=1)
    right, left = _twins.settled(job1)
    assert right[20] and left[100] and not left[20] and not right[100]


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_aamp_constant_stretches(p, k):
    T = _stretches(seed=k)
    for m in (4, 20, 70):
        assert_tie_order(mpcore.aamp(T, m, p=p, k=k), T, m, k=k, normalize=False, p=p)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("k", [1, 2])
def test_aamp_zero_filled_gaps(p, k):
    """Two all-zero windows score exactly 0 with an error bound of exactly 0, which needs no
    recomputation (MP_ERR_FLOOR in _kernels/band_impl.h: a bare `err >= lim * (q_r + q_c)`
    recomputed every such cell, O(m) each)."""
    T = random_walk(900, seed=20 + k)
    for at in (100, 400, 700):
        T[at : at + 90] = 0.0
    T[420] = 1e-3  # a gap with a blip: windows near-zero, not zero
    for m in (8, 30):
        assert_tie_order(mpcore.aamp(T, m, p=p, k=k), T, m, k=k, normalize=False, p=p)
    B = random_walk(300, seed=30)
    B[50:150] = 0.0
    assert_tie_order(mpcore.aamp(T, 30, B, ignore_trivial=False, p=p, k=k), T, 30, B, k=k,
                     normalize=False, p=p)


@pytest.mark.parametrize("p", [1.0, 2.0])
@pytest.mark.parametrize("k", [1, 2])
def test_sparse_events(p, k):
    """Counts that are mostly 0 (the median: the kernels' series is then 0 there too), with
    tiny and large events: the all-zero windows' pairs are left out of the kernels' rounding
    bound (mp_series.zeros_settled), and their twins come from finalize."""
    rng = np.random.default_rng(40 + k)
    T = np.zeros(1200)
    at = rng.choice(1200, 60, replace=False)
    # (real-valued: integer events tie windows that are not identical, whose order is
    # test_ties' business, not this module's)
    T[at] = rng.uniform(1.0, 5.0, 60)
    T[at[:5]] = 1e-7  # windows nearly all-zero, but not all-zero
    T[at[5]] = 1e4
    for m in (6, 40):
        assert_tie_order(mpcore.aamp(T, m, p=p, k=k), T, m, k=k, normalize=False, p=p)
    B = T[::-1].copy()
    assert_tie_order(mpcore.aamp(T, 20, B, ignore_trivial=False, p=p, k=k), T, 20, B, k=k,
                     normalize=False, p=p)


@pytest.mark.parametrize("k", [1, 3])
def test_periodic_series(k):
    T = _square()
    assert_tie_order(mpcore.stump(T, 12, k=k), T, 12, k=k)
    assert_tie_order(mpcore.aamp(T, 12, k=k), T, 12, k=k, normalize=False)
    # two periodic shapes in turn (not affine images of each other: z-normalized, x and
    # x + 0.5 are as near as rounding, which test_ties' order check does not model)
    saw = np.concatenate([np.tile(np.arange(7.0), 30), np.tile([0.0, 3.0, 1.0, 5.0, 2.0], 42)])
    assert_tie_order(mpcore.stump(saw, 10, k=k), saw, 10, k=k)
    assert_tie_order(mpcore.aamp(saw, 10, k=k), saw, 10, k=k, normalize=False)


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("k", [1, 2])
def test_ab_join_twins_in_the_other_series(normalize, k):
    """A's windows identical to windows of B, which has no repeats of its own (the rows are
    settled by one window of B each, for k = 1), and A's stretches matching B's."""
    B = random_walk(500, seed=7)
    A = random_walk(400, seed=8)
    A[100:180] = B[300:380]
    A[250:270] = B[10:30]
    mp = (mpcore.stump if normalize else mpcore.aamp)(A, 10, B, ignore_trivial=False, k=k)
    assert_tie_order(mp, A, 10, B, k=k, normalize=normalize)
    job = _job(A, 10, B, normalize=normalize, k=k)
    assert job.twins is not None and job.classes[1] == 0  # B's windows are all distinct
    assert _twins.settled(job)[0].sum() == (71 + 11 if k == 1 else 0)
    A2, B2 = _stretches(seed=3), _stretches(700, seed=4)
    mp = mpcore.aamp(A2, 15, B2, ignore_trivial=False, k=k)
    assert_tie_order(mp, A2, 15, B2, k=k, normalize=False)


def test_ab_join_of_a_series_with_itself():
    T = random_walk(400, seed=9)
    with pytest.warns(UserWarning, match="implies a self-join"):
        mp = mpcore.stump(T, 16, T.copy(), ignore_trivial=False)
    np.testing.assert_array_equal(mp.I_, np.arange(len(mp)))
    np.testing.assert_array_equal(mp.P_, 0.0)


@pytest.mark.parametrize("args", [dict(), dict(k=3), dict(normalize=False),
                                  dict(normalize=False, p=1.0, k=2)], ids=str)
def test_same_for_any_thread_count(args):
    T = _stretches(3000, seed=5)
    T[2000:2600] = np.tile([0.0, 1.0, 1.0], 200)
    ref = mpcore.stump(T, 16, n_threads=1, **args)
    for n in (2, 3):
        mp = mpcore.stump(T, 16, n_threads=n, **args)
        for attr in ("P_", "I_", "left_I_", "right_I_"):
            np.testing.assert_array_equal(getattr(mp, attr), getattr(ref, attr))


def test_mpdist_with_stretches():
    """mpdist's joint sweep: A's rows settled, B's table searched as before."""
    A, B = _stretches(500, seed=10), _stretches(450, seed=11)
    P_AB, P_BA = mpcore._algos.mpdist.ab_ba_profiles(A, B, 20, False, 2.0, None, None,
                                                     _pipeline.run_threads)
    np.testing.assert_array_equal(P_AB, mpcore.aamp(A, 20, B, ignore_trivial=False).P_)
    np.testing.assert_array_equal(P_BA, mpcore.aamp(B, 20, A, ignore_trivial=False).P_)


def test_scrump_is_left_as_it_was():
    """An anytime profile searches only some diagonals, and STUMPY's partial profiles are
    what those give: no twins settled ahead."""
    T = _stretches()
    job = _prepare.prepare_job(T, 20, None, True, False, 2.0, 1, None, None, seeds=False)
    assert job.twins is None and job.seeds is None


@pytest.mark.slow
def test_same_on_dask():
    T = _stretches(2000, seed=12)
    with dask_client() as client:
        mp = mpcore.aamped(client, T, 20)
    ref = mpcore.aamp(T, 20)
    for attr in ("P_", "I_", "left_I_", "right_I_"):
        np.testing.assert_array_equal(getattr(mp, attr), getattr(ref, attr))


def _best_time(f, reps=5):
    f()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def test_zero_filled_gaps_cost_no_cliff():
    """A walk with zero-filled gaps (a sensor's missing data): 20x a clean walk before, about
    2.5x now (the rows near the gaps still take the kernels' tracked path); 5x is the cliff's
    line."""
    n, m = 16_384, 64
    walk = random_walk(n, seed=14)
    gaps = walk.copy()
    for at in range(1000, n - 600, 3000):
        gaps[at : at + 500] = 0.0
    clean = _best_time(lambda: mpcore.aamp(walk, m), reps=3)
    assert _best_time(lambda: mpcore.aamp(gaps, m), reps=3) < 5.0 * clean + 0.01


def test_no_cliff():
    """A non-normalized profile of a series constant over 90% of it, of sparse events, and a
    square wave cost about what a random walk costs (they cost 13x, 6x and 7x before; 2.5x
    leaves room for a busy machine)."""
    n, m = 12_000, 50
    walk = random_walk(n, seed=13)
    flat = walk.copy()
    flat[500 : 500 + int(0.9 * n)] = 5.0
    square = np.tile([0.0, 0.0, 1.0, 1.0], n // 4)
    clean = _best_time(lambda: mpcore.aamp(walk, m))
    assert _best_time(lambda: mpcore.aamp(flat, m)) < 2.5 * clean + 0.01
    sparse = np.zeros(n)
    sparse[np.random.default_rng(0).choice(n, n // 50, replace=False)] = 1.0
    assert _best_time(lambda: mpcore.aamp(sparse, m)) < 2.5 * clean + 0.01
    with pytest.warns(UserWarning, match="smaller than 1e-06"):
        assert _best_time(lambda: mpcore.aamp(square, m)) < 2.5 * clean + 0.01
    clean = _best_time(lambda: mpcore.stump(walk, m))
    with pytest.warns(UserWarning, match="smaller than 1e-06"):
        assert _best_time(lambda: mpcore.stump(square, m)) < 2.5 * clean + 0.01


def test_twins_found_beside_the_seeds_are_the_same(monkeypatch):
    """From TWINS_BESIDE_WINDOWS windows the twins' hashing runs on a thread beside the seeds'
    pass: the classes, twins and settled seeds are those found one after the other."""
    from mpcore import _prepare

    rng = np.random.default_rng(4)
    T = np.cumsum(rng.standard_normal(70_000))
    T[1000:1400] = T[50_000:50_400]  # twins
    T[20_000:20_300] = 3.0  # a constant stretch (p-norm twins)
    for normalize in (True, False):
        args = (T, 50, None, True, normalize, 2.0, 1, None, None)
        beside = _prepare.prepare_job(*args)
        assert beside.series[0].l >= _prepare.TWINS_BESIDE_WINDOWS
        monkeypatch.setattr(_prepare, "TWINS_BESIDE_WINDOWS", 1 << 40)
        serial = _prepare.prepare_job(*args)
        monkeypatch.undo()
        assert beside.twins is not None and np.isinf(beside.seeds[0]).any()
        np.testing.assert_array_equal(beside.twins, serial.twins)
        np.testing.assert_array_equal(beside.classes[0], serial.classes[0])
        for a, b in zip(beside.seeds, serial.seeds):
            np.testing.assert_array_equal(a, b)
