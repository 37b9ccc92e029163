"""scrump / scraamp / prescrump / prescraamp: brute force, STUMPY, pickling, bad input."""
import math
import pickle
import warnings

import numpy as np
import pytest
from conftest import random_walk

import mpcore
import naive


def _series(kind, n, seed=0):
    T = random_walk(n, seed)
    if kind == "nan":
        T[n // 3] = np.nan
        T[n // 2] = np.inf
    elif kind == "const":
        T[n // 4 : n // 4 + 30] = 1.5
        T[n // 2 : n // 2 + 12] = -2.0
    elif kind == "spike":
        T[n // 3] = 1e6
    elif kind == "flat":  # near-flat windows: the kernels skip them, exact paths rank them
        T[n // 4 : n // 4 + 30] = 1.5 + 1e-9 * np.sin(np.arange(30))
    return T


def _on_done(obj, D, self_join):
    """The distance matrix D with inf off the diagonals the object has done so far."""
    done = obj._diags[: obj._ranges[obj._chunk - 1, 1]] if obj._chunk else obj._diags[:0]
    i, j = np.indices(D.shape)
    mask = np.isin(j - i, done)
    if self_join:
        mask |= mask.T
    return np.where(mask, D, np.inf)


def _masked_reference(obj, T_A, m, T_B, k, normalize, p):
    """Brute-force top-k over exactly the diagonals the object has done so far."""
    D = naive.distance_matrix(T_A, m, T_B, normalize, p)
    Dm = _on_done(obj, D, T_B is None)
    return naive.matrix_profile(Dm, k, math.ceil(m / 4) if T_B is None else None), D


def _check_exact(obj, ref, k, self_join, D, rtol=1e-12):
    """Distances exact to 1e-12; an index may differ from the reference only in a tie (the
    brute-force distances of both indices equal to 1e-12)."""
    P, I, left, right = ref
    l = P.shape[0]
    np.testing.assert_allclose(obj.P_.reshape(l, k), P.astype(float), rtol=rtol, atol=1e-12)

    def same_or_tie(ours, theirs):
        for r, q in zip(*np.nonzero(ours != theirs)):
            a, b = ours[r, q], theirs[r, q]
            assert a >= 0 and b >= 0, f"row {r}: {a} vs {b}"
            assert abs(D[r, a] - D[r, b]) <= 1e-12 * max(1.0, abs(D[r, b])), f"row {r}: no tie"

    same_or_tie(obj.I_.reshape(l, k), I)
    if self_join:
        same_or_tie(obj.left_I_[:, None], left[:, None])
        same_or_tie(obj.right_I_[:, None], right[:, None])
    else:
        assert (obj.left_I_ == -1).all() and (obj.right_I_ == -1).all()


@pytest.mark.parametrize("kind", ["walk", "nan", "const", "spike", "flat"])
@pytest.mark.parametrize("join", ["self", "AB", "BA"])
@pytest.mark.parametrize("k", [1, 3])
def test_scrump_matches_brute_force_on_done_diagonals(kind, join, k):
    T = _series(kind, 160, seed=1)
    U = random_walk(120, seed=2)
    m = 8
    T_A, T_B = {"self": (T, None), "AB": (T, U), "BA": (U, T)}[join]
    np.random.seed(7)
    obj = mpcore.scrump(T_A, m, T_B, ignore_trivial=T_B is None, percentage=0.2, k=k)
    true = naive.stump(T_A, m, T_B, k=k)[0].astype(float)
    for _ in range(len(obj._ranges) + 1):
        obj.update()
        ref, D = _masked_reference(obj, T_A, m, T_B, k, True, 2.0)
        _check_exact(obj, ref, k, T_B is None, D)
        # an approximate profile never goes below the true one
        assert (obj.P_.reshape(-1, k) >= true - 1e-12).all()
    ref = naive.stump(T_A, m, T_B, k=k)
    _check_exact(obj, ref[:4], k, T_B is None, ref[4])


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("join", ["self", "AB"])
def test_scraamp_matches_brute_force(p, join):
    T = _series("nan", 150, seed=3)
    T_B = None if join == "self" else random_walk(100, seed=4)
    m = 7
    np.random.seed(3)
    obj = mpcore.scraamp(T, m, T_B, ignore_trivial=T_B is None, percentage=0.3, p=p)
    for _ in range(len(obj._ranges)):
        obj.update()
        ref, D = _masked_reference(obj, T, m, T_B, 1, False, p)
        _check_exact(obj, ref, 1, T_B is None, D)
    # normalize=False reroutes scrump to the same implementation
    np.random.seed(3)
    other = mpcore.scrump(T, m, T_B, ignore_trivial=T_B is None, percentage=0.3, p=p,
                          normalize=False)
    for _ in range(len(other._ranges)):
        other.update()
    np.testing.assert_array_equal(other.P_, obj.P_)


def test_scrump_full_equals_stump_large_m():
    T = random_walk(3000, seed=5)
    np.random.seed(0)
    obj = mpcore.scrump(T, 200, percentage=1.0)
    obj.update()
    mp = mpcore.stump(T, 200)
    np.testing.assert_array_equal(obj.P_, mp.P_)
    np.testing.assert_array_equal(obj.I_, mp.I_)
    np.testing.assert_array_equal(obj.left_I_, mp.left_I_)
    np.testing.assert_array_equal(obj.right_I_, mp.right_I_)


def test_scrump_pickles_and_resumes():
    T = random_walk(600, seed=6)
    np.random.seed(11)
    a = mpcore.scrump(T, 20, percentage=0.1, k=2)
    a.update()
    b = pickle.loads(pickle.dumps(a))
    for obj in (a, b):
        obj.update()
        obj.update()
    np.testing.assert_array_equal(a.P_, b.P_)
    np.testing.assert_array_equal(a.I_, b.I_)


def test_scrump_does_not_modify_input():
    T = _series("nan", 300)
    before = T.copy()
    obj = mpcore.scrump(T, 10, percentage=0.5)
    obj.update()
    np.testing.assert_array_equal(T, before)


@pytest.mark.parametrize("bad, exc", [(0.0, ValueError), (-0.5, ValueError),
                                      (float("nan"), ValueError), ("x", TypeError)])
def test_scrump_bad_percentage(bad, exc):
    with pytest.raises(exc, match="percentage"):
        mpcore.scrump(random_walk(100), 10, percentage=bad)


def test_scrump_bad_window():
    with pytest.raises(ValueError, match="m"):
        mpcore.scrump(random_walk(100), 2)
    with pytest.raises(ValueError, match="too long for a self join"):
        mpcore.scrump(random_walk(10), 9)


@pytest.fixture(scope="module")
def stumpy():
    return pytest.importorskip("stumpy", reason="STUMPY is not installable on this Python")


@pytest.mark.slow  # STUMPY's JIT compilation
@pytest.mark.parametrize("join", ["self", "AB"])
@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("normalize", [True, False])
def test_scrump_same_diagonals_as_stumpy(stumpy, join, k, normalize):
    T = random_walk(700, seed=8)
    T_B = None if join == "self" else random_walk(500, seed=9)
    for pct in (0.05, 0.3):
        np.random.seed(21)
        ours = mpcore.scrump(T, 25, T_B, ignore_trivial=T_B is None, percentage=pct, k=k,
                             normalize=normalize)
        np.random.seed(21)
        theirs = stumpy.scrump(T, 25, T_B, ignore_trivial=T_B is None, percentage=pct, k=k,
                               normalize=normalize)
        for _ in range(3):
            ours.update()
            theirs.update()
            np.testing.assert_allclose(ours.P_, theirs.P_, rtol=1e-8)
            np.testing.assert_array_equal(ours.I_, theirs.I_)
            np.testing.assert_array_equal(ours.left_I_, theirs.left_I_)
            np.testing.assert_array_equal(ours.right_I_, theirs.right_I_)


@pytest.mark.slow
def test_scrump_consumes_random_state_like_stumpy(stumpy):
    T = random_walk(400, seed=10)
    for pre in (False, True):
        np.random.seed(4)
        mpcore.scrump(T, 16, pre_scrump=pre)
        ours = np.random.randint(1 << 30)
        np.random.seed(4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stumpy.scrump(T, 16, pre_scrump=pre)
        assert ours == np.random.randint(1 << 30)


def _prescrump_reference(D, samples, s, excl, k):
    """preSCRIMP by its definition, over a brute-force distance matrix: each sampled row's
    nearest neighbour, the pairs within s of it along that diagonal (both ways in a self-join),
    and in a self-join the sampled row's whole profile offered to every row.  The top-k of
    each row is then taken over the distinct candidates it was offered (ties: lowest index)."""
    D = np.array(D, dtype=float)
    l, w = D.shape
    offered = [set() for _ in range(l)]
    for i in samples:
        prof = D[i].copy()
        if excl is not None:
            prof[max(0, i - excl) : i + excl + 1] = np.inf
        j = int(np.argmin(prof))
        if not np.isfinite(prof[j]):
            continue
        offered[i].add(j)
        for g in list(range(1, min(s, l - i, w - j))) + [-g for g in range(1, min(s, i + 1, j + 1))]:
            offered[i + g].add(j + g)
            if excl is not None:
                offered[j + g].add(i + g)
        if excl is not None:
            for r in np.flatnonzero(np.isfinite(prof)):
                offered[r].add(i)
    P = np.full((l, k), np.inf)
    I = np.full((l, k), -1, dtype=np.int64)
    for r in range(l):
        cols = np.array(sorted(c for c in offered[r] if np.isfinite(D[r, c])), dtype=np.int64)
        if len(cols):
            order = np.lexsort((cols, D[r, cols]))[:k]
            P[r, : len(order)] = D[r, cols[order]]
            I[r, : len(order)] = cols[order]
    return P, I


def _prescrump_and_reference(T, T_B, m, s, k, normalize, p, seed):
    """prescrump's (P, I) and its definition's (_prescrump_reference) on the same samples,
    both (l, k), and the brute-force distances."""
    D = naive.distance_matrix(T, m, T_B, normalize, p)
    np.random.seed(seed)
    P, I = mpcore.prescrump(T, m, T_B, s=s, k=k, normalize=normalize, p=p)
    np.random.seed(seed)
    samples = np.random.permutation(range(0, D.shape[0], s))
    excl = math.ceil(m / 4) if T_B is None else None
    Pr, Ir = _prescrump_reference(D, samples, s, excl, k)
    return P.reshape(-1, k), I.reshape(-1, k), Pr, Ir, D


# The "flat" series is z-normalized only: its non-normalized distances of ~1e-9 are below
# the kernels' rounding of sums of squares (~1e-16 of the series' scale per step), where
# aamp ranks them as noise too.
@pytest.mark.parametrize("kind, normalize, p",
                         [(kind, normalize, p) for kind in ("walk", "nan", "const", "flat")
                          for normalize, p in ((True, 2.0), (False, 2.0), (False, 1.0),
                                               (False, 3.0))
                          if normalize or kind != "flat"])
@pytest.mark.parametrize("join", ["self", "AB"])
@pytest.mark.parametrize("k", [1, 3])
def test_prescrump_matches_brute_force(kind, join, k, normalize, p):
    T = _series(kind, 150, seed=12)
    T_B = None if join == "self" else random_walk(110, seed=13)
    m, s = 9, 3
    P, I, Pr, Ir, D = _prescrump_and_reference(T, T_B, m, s, k, normalize, p, 17)
    np.testing.assert_allclose(P, Pr, rtol=1e-12, atol=1e-12)
    for r, q in zip(*np.nonzero(I != Ir)):  # ties only
        assert abs(D[r, I[r, q]] - D[r, Ir[r, q]]) <= 1e-12 * max(1, D[r, Ir[r, q]])
    # approximate, never below the true profile; identical for any thread count
    true = naive.stump(T, m, T_B, k=k, normalize=normalize, p=p)[0].astype(float)
    assert (P >= true - 1e-12).all()
    np.random.seed(17)
    P1, I1 = mpcore.prescrump(T, m, T_B, s=s, k=k, normalize=normalize, p=p, n_threads=1)
    np.testing.assert_array_equal(P1.reshape(-1, k), P)


def test_scrump_plus_plus_merges_prescrump():
    T = random_walk(500, seed=14)
    np.random.seed(2)
    P0, I0 = mpcore.prescrump(T, 20)
    np.random.seed(2)
    obj = mpcore.scrump(T, 20, pre_scrump=True, percentage=0.1)
    np.testing.assert_allclose(obj.P_, P0, rtol=1e-12)  # before any update: preSCRIMP alone
    obj.update()
    assert (obj.P_ <= P0 + 1e-12).all()
    true = mpcore.stump(T, 20).P_
    assert (obj.P_ >= true - 1e-12).all()
    for _ in range(20):
        obj.update()
    np.testing.assert_allclose(obj.P_, true, rtol=1e-12)


def test_prescrump_bad_s():
    with pytest.raises(ValueError, match="s"):
        mpcore.prescrump(random_walk(100), 10, s=0)


@pytest.mark.parametrize("join", ["self", "AB", "BA"])
@pytest.mark.parametrize("normalize, p", [(True, 2.0), (False, 2.0), (False, 1.0),
                                          (False, 3.0)])
def test_scrump_every_kernel_matches_brute_force(kernel, join, normalize, p):
    """The diagonal-list entry of every kernel: long enough diagonals for several row blocks
    (512 rows), vector and scalar rows, both passes of an AB-join; k = 2."""
    T = _series("nan", 1300, seed=31)
    U = random_walk(1100, seed=32)
    m, k = 12, 2
    T_A, T_B = {"self": (T, None), "AB": (T, U), "BA": (U, T)}[join]
    np.random.seed(5)
    obj = mpcore.scrump(T_A, m, T_B, ignore_trivial=T_B is None, percentage=0.02, k=k,
                        normalize=normalize, p=p)
    D = naive.distance_matrix(T_A, m, T_B, normalize, p)
    for _ in range(3):
        obj.update()
    ref = naive.matrix_profile(_on_done(obj, D, T_B is None), k,
                               math.ceil(m / 4) if T_B is None else None)
    _check_exact(obj, ref, k, T_B is None, D)


def test_scrump_crosses_reseed_rows_like_stump(kernel):
    """Diagonals longer than the recurrence's restart interval (4096 rows): at 100% every
    diagonal is done, so the profile is stump's."""
    T = random_walk(4700, seed=33)
    np.random.seed(1)
    obj = mpcore.scrump(T, 10, percentage=1.0)
    obj.update()
    mp = mpcore.stump(T, 10)
    np.testing.assert_array_equal(obj.P_, mp.P_)
    np.testing.assert_array_equal(obj.I_, mp.I_)


@pytest.mark.parametrize("normalize", [True, False])
def test_scrump_same_for_any_thread_count(normalize):
    T = _series("const", 2000, seed=34)
    out = []
    for n in (1, 2, 3):
        np.random.seed(9)
        obj = mpcore.scrump(T, 16, percentage=0.05, k=2, normalize=normalize, n_threads=n)
        obj.update()
        obj.update()
        out.append((obj.P_, obj.I_, obj.left_I_, obj.right_I_))
    for other in out[1:]:
        for a, b in zip(out[0], other):
            np.testing.assert_array_equal(a, b)


def test_diagonal_scores_do_not_depend_on_grouping(kernel):
    """The kernels' scores of a diagonal are the same whatever list it is run in (one group
    of many diagonals, or each on its own): what makes results thread-count independent."""
    from mpcore import _config, _engine
    from mpcore._algos.anytime import _DiagonalJob
    from mpcore._prepare import prepare_job

    T = random_walk(1500, seed=35)
    job = prepare_job(T, 20, None, True, True, 2.0, 1, None, None)
    job.seeds = None
    diags = np.random.default_rng(0).permutation(np.arange(6, 1481))[:200]
    plan = _DiagonalJob(job, diags, 1)

    def run(groups):
        tables = job.new_tables()
        _engine.run_worker_diags(_config.kernel_index(), job.mode, job.m, job.p, job.reseed,
                                 job.series, job.passes, plan.diags, groups,
                                 np.zeros(2, dtype=np.int64), tables, np.zeros(1, np.intc))
        return tables

    whole = run(np.array([[0, 0, 200]], dtype=np.int64))
    single = run(np.array([[0, i, i + 1] for i in range(200)], dtype=np.int64))
    for a, b in zip(whole, single):
        np.testing.assert_array_equal(a.P, b.P)
        np.testing.assert_array_equal(a.I, b.I)
    with pytest.raises(ValueError, match="diagonals"):
        _engine.run_worker_diags(_config.kernel_index(), job.mode, job.m, job.p, job.reseed,
                                 job.series, job.passes, -plan.diags, np.array([[0, 0, 1]]),
                                 np.zeros(2, dtype=np.int64), job.new_tables(),
                                 np.zeros(1, np.intc))


@pytest.mark.parametrize("join", ["self", "AB"])
def test_prescrump_every_kernel_and_thread_count(kernel, join):
    T = _series("const", 700, seed=36)
    T_B = None if join == "self" else random_walk(500, seed=37)
    m, s, k = 16, 4, 2
    D = naive.distance_matrix(T, m, T_B)
    np.random.seed(3)
    P, I = mpcore.prescrump(T, m, T_B, s=s, k=k)
    np.random.seed(3)
    samples = np.random.permutation(range(0, D.shape[0], s))
    Pr, Ir = _prescrump_reference(D, samples, s, math.ceil(m / 4) if T_B is None else None, k)
    np.testing.assert_allclose(P, Pr, rtol=1e-12, atol=1e-12)
    for n in (1, 3):
        np.random.seed(3)
        P1, I1 = mpcore.prescrump(T, m, T_B, s=s, k=k, n_threads=n)
        np.testing.assert_array_equal(P1, P)
        np.testing.assert_array_equal(I1, I)


@pytest.mark.parametrize("join", ["self", "AB"])
def test_scrump_quiet_windows_beside_a_spike(kernel, join):
    """A spike's rounding in the co-moments of a diagonal must not decide the neighbours of
    the quiet windows after it (the diagonal-list entry tracks it, as the bands do): at 100%
    the profile is stump's, whose tests check it against brute force."""
    T = random_walk(3000, seed=38)
    T[700] = 1e7
    T_B = None
    if join == "AB":
        T_B = random_walk(2500, seed=39)
        T_B[1200] = -1e7
    np.random.seed(2)
    obj = mpcore.scrump(T, 20, T_B, ignore_trivial=T_B is None, percentage=1.0)
    obj.update()
    mp = mpcore.stump(T, 20, T_B, ignore_trivial=T_B is None)
    np.testing.assert_allclose(obj.P_, mp.P_, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["walk", "nan", "const", "spike", "flat"])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("ab", [False, True])
def test_prescrump_sampled_pass_scores_what_masked_passes_score(kind, normalize, ab, kernel):
    """preSCRIMP's kernel passes score only the cells of sampled windows, and in a z-normalized
    self-join both sides in one pass (mp_series.sample in _kernels/band.h).  The plain way,
    the sampled windows' inverse norms kept and all others NaN, one pass (sampled, all) and
    one (all, sampled) scoring every lane, must give the same tables, on every kernel this CPU
    runs (the ``kernel`` fixture)."""
    import dataclasses

    from mpcore import _pipeline, _prepare
    from mpcore._algos import anytime

    T = _series(kind, 1500, seed=4)
    T_B = _series("walk", 1100, seed=5) if ab else None
    m, k = 24, 3
    job = _prepare.prepare_job(T, m, T_B, not ab, normalize, 2.0, k, None, None)
    X = job.series[0]
    samples = np.arange(0, X.l, 6)
    plan = anytime._SampledJob(job, 6)
    assert any(s.sample == 6 for s in plan.series)
    plain = anytime._SampledJob(job, 6)
    w = np.full_like(X.w, np.nan)
    w[samples] = X.w[samples]
    Xs = dataclasses.replace(X, w=w, sample=0)
    first = job.excl_zone + 1
    if ab:
        plain.series = [Xs, job.series[1]]
        plain.passes = np.array([[0, 1, 0, -1], [1, 0, -1, 0]], dtype=np.int64)
        diags = np.array([[0, job.series[1].l], [1, X.l]], dtype=np.int64)
    else:
        plain.series = [X, Xs]
        plain.passes = np.array([[1, 0, 0, 1], [0, 1, 1, 0]], dtype=np.int64)
        diags = np.array([[first, X.l]] * 2, dtype=np.int64)
    plain.bands = _prepare._plan_bands(plain.passes, diags, plain.series)
    got = _pipeline.merge(plan, _pipeline.run_threads(plan, 2))
    want = _pipeline.merge(plain, _pipeline.run_threads(plain, 2))
    # Where rounding is tracked (a spike's, or what the walk's steps leave in the co-moments
    # of a near-flat stretch), a diagonal is recomputed exactly when a scored cell needs it:
    # one pass scores a sampled row's cells and a sampled column's at once, so it recomputes
    # some diagonals at other rows than two passes do; and a pass whose rows are all scored
    # (here the plain AB-join's (B, A) pass) tracks only the vectors of lanes an outlier
    # reaches (mixed_rows_ in _kernels/band_impl.h), where a sampled pass tracks whole rows.
    # Their scores then differ by rounding, well within what the kernels promise
    # (MP_SCORE_TOL = 1e-8); elsewhere they are the very same bits.
    tol = 1e-8 if (kind in ("spike", "flat") and normalize) else 0.0
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.I, w.I)
        np.testing.assert_allclose(g.P, w.P, rtol=0, atol=tol)


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("join", ["self", "AB"])
def test_scrump_mostly_constant_matches_brute_force(join, k):
    """Constant windows everywhere, near-flat ones among them: the fixed-score pairs come from
    _stream.fixed_score_pairs (each row's first k of each score), the rest as before."""
    T = random_walk(300, seed=8)
    T[20:250] = 2.0
    T[120:140] = 2.0 + 1e-9 * np.sin(np.arange(20))  # near-flat windows
    U = random_walk(150, seed=9)
    U[30:110] = 2.0
    T_B = U if join == "AB" else None
    np.random.seed(5)
    obj = mpcore.scrump(T, 8, T_B, ignore_trivial=T_B is None, percentage=0.3, k=k)
    for _ in range(len(obj._ranges) + 1):
        obj.update()
        ref, D = _masked_reference(obj, T, 8, T_B, k, True, 2.0)
        _check_exact(obj, ref, k, T_B is None, D)


def test_scrump_mostly_constant_costs_what_a_walk_costs():
    """Each constant window's pairs were materialized on every diagonal of an update (a
    series 90% constant, n = 12,000: 6.8 s and 1.6 GB for one full update, against 35 ms for
    a random walk); now each row's first k of each fixed score, about a walk's time and O(n)
    memory."""
    import time
    import tracemalloc

    n, m = 12_000, 50
    walk = random_walk(n, seed=10)
    flat = walk.copy()
    flat[500 : 500 + int(0.9 * n)] = 5.0

    def run(T):
        s = mpcore.scrump(T, m, percentage=1.0, pre_scrump=False)
        start = time.perf_counter()
        s.update()
        return time.perf_counter() - start

    run(walk)
    clean = min(run(walk) for _ in range(3))
    tracemalloc.start()
    took = min(run(flat) for _ in range(3))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert took < 5.0 * clean + 0.05, (took, clean)
    assert peak < 64 << 20, peak


def _twin_heavy(kind, n, seed):
    rng = np.random.default_rng(seed)
    if kind == "sparse":  # counts, mostly 0: many all-zero windows
        return (rng.random(n) < 0.08).astype(float)
    if kind == "counts":  # small integers: exact ties between windows that are not identical
        return rng.integers(0, 3, n).astype(float)
    return np.tile([0.0, 0.0, 1.0, 3.0, 1.0], n // 5 + 1)[:n]  # exactly periodic


TWIN_CASES = [("sparse", False, 2.0), ("sparse", False, 1.0), ("sparse", True, 2.0),
              ("counts", False, 1.0), ("counts", False, 3.0), ("periodic", False, 2.0),
              ("periodic", True, 2.0)]


# (z-normalized sparse counts are left out here: windows with one event at different places
# are all exactly as far from another one, and the kernels' rounded correlations rank them in
# either order, as README says; the prescrump test below takes them, checking distances)
@pytest.mark.parametrize("kind, normalize, p", [c for c in TWIN_CASES if c[:2] != ("sparse", True)])
@pytest.mark.parametrize("join", ["self", "AB"])
@pytest.mark.parametrize("k", [1, 3])
def test_identical_windows_in_order_on_done_diagonals(kind, normalize, p, join, k):
    """Identical windows on an update's diagonals are offered before the kernels run them
    (_stream.twin_pairs, at +inf): after every update each index is STUMPY's (naive's tie
    order) over the diagonals done, not one identical to it on a diagonal not yet done."""
    T = _twin_heavy(kind, 240, seed=11)
    T_B = _twin_heavy(kind, 130, seed=12) if join == "AB" else None
    m = 8
    np.random.seed(4)
    obj = mpcore.scrump(T, m, T_B, ignore_trivial=T_B is None, percentage=0.15, k=k,
                        normalize=normalize, p=p)
    excl = math.ceil(m / 4) if T_B is None else None
    D = naive.distance_matrix(T, m, T_B, normalize, p)
    for _ in range(len(obj._ranges)):
        obj.update()
        I, left, right = naive.tie_order_profile(_on_done(obj, D, T_B is None), k, excl)
        np.testing.assert_array_equal(obj.I_.reshape(-1, k), I)
        if T_B is None:
            np.testing.assert_array_equal(obj.left_I_, left)
            np.testing.assert_array_equal(obj.right_I_, right)


@pytest.mark.parametrize("kind, normalize, p", TWIN_CASES)
@pytest.mark.parametrize("join", ["self", "AB"])
@pytest.mark.parametrize("k", [1, 3])
def test_prescrump_identical_windows_match_brute_force(kind, normalize, p, join, k):
    """The pairs of identical windows are offered before the kernels run (_sampled_twins, at
    +inf): the same profile as preSCRIMP's definition.  An AB-join's indices are the lowest of
    equal distances; a self-join's table holds a row's offers from both sides, k of them, so
    among equal distances it may keep others than the nearest in time (STUMPY keeps the first
    offered, which depends on its threads' split of the samples)."""
    T = _twin_heavy(kind, 200, seed=13)
    T_B = _twin_heavy(kind, 120, seed=14) if join == "AB" else None
    P, I, Pr, Ir, D = _prescrump_and_reference(T, T_B, 8, 3, k, normalize, p, 21)
    np.testing.assert_allclose(P, Pr, rtol=1e-12, atol=1e-12)
    if T_B is not None:
        np.testing.assert_array_equal(I, Ir)
    rows = np.arange(len(I))[:, None]
    found = np.where(I >= 0, D[rows, np.maximum(I, 0)], np.inf)
    np.testing.assert_allclose(found, Pr, rtol=1e-12, atol=1e-12)  # each a true tie


@pytest.mark.parametrize("call", ["scraamp", "scraamp_partial", "prescraamp"])
def test_identical_windows_cost_what_a_walk_costs(call):
    """Sparse counts (2% ones, m = 50: a third of the windows all zero) took 6-10x a random
    walk's time: every pair of identical windows tied a row's best and took the kernels' rare
    path (scraamp 712 ms, prescraamp 290 ms, a walk 67 / 40 ms at n = 12,000).  Their pairs
    are now offered first at +inf and those rows get no cell."""
    import time

    n, m = 12_000, 50
    walk = random_walk(n, seed=15)
    sparse = (np.random.default_rng(16).random(n) < 0.02).astype(float)

    def run(T):
        np.random.seed(0)
        start = time.perf_counter()
        if call == "prescraamp":
            mpcore.prescraamp(T, m)
        else:
            mpcore.scraamp(T, m, percentage=1.0 if call == "scraamp" else 0.2).update()
        return time.perf_counter() - start

    run(walk)
    clean = min(run(walk) for _ in range(3))
    took = min(run(sparse) for _ in range(3))
    assert took < 2.5 * clean + 0.02, (took, clean)


def test_update_interrupted_and_run_again_offers_no_pair_twice(monkeypatch):
    """An update's identical pairs are offered before its pass; interrupted in the pass and
    run again, it offers them again: a row's table must not hold an index twice (k > 1)."""
    from mpcore._algos import anytime

    T = _twin_heavy("sparse", 300, seed=17)
    np.random.seed(6)
    obj = mpcore.scraamp(T, 8, percentage=0.25, k=3)
    np.random.seed(6)
    clean = mpcore.scraamp(T, 8, percentage=0.25, k=3)
    real = anytime.run_threads
    calls = []

    def interrupted_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(anytime, "run_threads", interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        obj.update()
    obj.update()  # the same chunk again
    monkeypatch.setattr(anytime, "run_threads", real)
    clean.update()
    for table in obj._tables:
        I = table.I.reshape(-1, 3)
        for row in I:
            got = row[row >= 0]
            assert len(set(got.tolist())) == len(got)
    np.testing.assert_array_equal(obj.I_, clean.I_)
    np.testing.assert_array_equal(obj.P_, clean.P_)


@pytest.mark.parametrize("seed", range(6))
def test_scrump_plus_plus_ab_join_keeps_its_entries(seed):
    """An AB-join's preSCRIMP pairs are merged into the profile's table; an update's near-flat
    pairs (A on an offset far from B: A's windows are near-flat on the join's common scale)
    were inserted without checking, so a pair preSCRIMP had found went in twice and pushed out
    another: k = 2 rows with their second entry lost (inf).  From a fuzzing run."""
    rng = np.random.default_rng(seed)
    T_A = 1e6 + random_walk(40, seed=seed)
    T_B = 5.0 + random_walk(70, seed=seed + 100)
    T_B[rng.integers(70)] = np.inf
    m, k = 9, 2
    np.random.seed(seed)
    obj = mpcore.scrump(T_A, m, T_B, ignore_trivial=False, percentage=0.5, pre_scrump=True,
                        k=k)
    D = naive.distance_matrix(T_A, m, T_B)
    for _ in range(len(obj._ranges)):
        obj.update()
        for table in obj._tables:  # no row holds an index twice
            for row in table.I.reshape(-1, k):
                got = row[row >= 0]
                assert len(set(got.tolist())) == len(got)
        # never worse than the diagonals done; each distance that of its index
        best = naive.matrix_profile(_on_done(obj, D, False), k)[0].astype(float)
        P, I = obj.P_.reshape(-1, k), obj.I_.reshape(-1, k)
        assert (P <= best + 1e-9).all()
        rows = np.arange(len(P))[:, None]
        np.testing.assert_allclose(np.where(I >= 0, D[rows, np.maximum(I, 0)], np.inf), P,
                                   rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_prescrump_nearest_among_identical_windows_is_the_lowest(seed):
    """A sampled row's nearest among windows identical to each other (0/1 counts in T_B) is
    the lowest index, as preSCRIMP's argmin takes it; the kernels' rounded scores had picked
    any of them (4 of 12 samples), so other diagonals were walked and P differed from the
    definition's.  From a fuzzing run."""
    rng = np.random.default_rng(seed)
    T_A = random_walk(60, seed=seed)
    T_B = (rng.random(200) < 0.15).astype(float)
    m, s = 4, 5
    D = naive.distance_matrix(T_A, m, T_B).astype(float)
    np.random.seed(seed)
    P, I = mpcore.prescrump(T_A, m, T_B, s=s)
    np.random.seed(seed)
    samples = np.random.permutation(range(0, D.shape[0], s))
    W = np.lib.stride_tricks.sliding_window_view(T_B, m)
    for i in samples:
        j = int(np.argmin(D[i]))  # the lowest of equal minima
        if (W == W[j]).all(axis=1).sum() > 1:  # (identical windows to choose among)
            assert I[i] == j, (i, I[i], j)
    Pr, _ = _prescrump_reference(D, samples, s, None, 1)
    np.testing.assert_allclose(P, Pr[:, 0], rtol=1e-12, atol=1e-12)
