"""The fixed cost of a call (issue 14): the worker pool, the compiled prepare and finalize steps.

Each compiled helper is checked against the NumPy expressions it replaces (kept here as the
reference), and the one-call finalize of small jobs against the general path, bitwise.
"""
import multiprocessing
import os
import sys
import threading
import time
import warnings

import numpy as np
import pytest
from conftest import random_walk

import mpcore
from mpcore import _exact, _pipeline, _prepare, _threads

# ---------------------------------------------------------------------------------------------
# NumPy references: the expressions mpcore used before they were compiled


def _ref_finite_top(*series):
    return max((float(np.max(np.abs(T[np.isfinite(T)]), initial=0.0)) for T in series),
               default=0.0)


def _ref_pow2_under(top):
    return float(np.ldexp(1.0, min(1020, max(-1020, -int(np.frexp(top)[1])))))


def _ref_shift(*series):
    top = _ref_finite_top(*series)
    if top == 0.0:
        return 0.0
    s = _ref_pow2_under(top)
    values = np.concatenate([T[np.isfinite(T)] * s for T in series])
    return float(np.median(values)) / s


def _ref_scale(*series, shift=0.0):
    top = _ref_finite_top(*series)
    if top == 0.0:
        return 1.0
    s = _ref_pow2_under(top)
    spread = max(float(np.max(np.abs(T[np.isfinite(T)] * s - shift * s), initial=0.0))
                 for T in series)
    if spread == 0.0:
        return 1.0
    e = int(np.frexp(s)[1]) - 1 - int(np.frexp(spread)[1])
    return float(np.ldexp(1.0, min(1020, e)))


def _ref_series(T, m, shift, scale, tiny):
    """The arrays of the NumPy prepare_series (z-normalized), unpadded."""
    n = T.shape[0]
    l = n - m + 1
    finite = np.isfinite(T)
    bad = np.concatenate(([0], np.cumsum(~finite)))
    valid = bad[m:] - bad[:l] == 0
    Tn = np.where(finite, T, np.nan)
    changes = np.concatenate(([0], np.cumsum(Tn[1:] != Tn[:-1])))
    const = (changes[m - 1:] - changes[:l] == 0) & valid
    Tk = np.where(finite, T * scale - shift * scale, 0.0)
    mu, mulo, ssd = _exact.window_stats_dd(Tk, m)  # (checked against exact sums in test_exact)
    df = np.zeros(l)
    dg = np.zeros(l)
    df[:-1] = (Tk[m:] - Tk[: l - 1]) / 2.0
    dg[:-1] = ((Tk[m:] - mu[1:]) - mulo[1:]) + ((Tk[: l - 1] - mu[:-1]) - mulo[:-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(valid & ~const, 1.0 / np.sqrt(ssd), np.nan)
    small = (np.abs(np.where(finite, T, 0.0) * scale) < tiny) & (T != 0.0) & finite
    count = np.concatenate(([0], np.cumsum(small)))
    tiny_w = (count[m:] - count[:l] > 0) & valid & ~const
    return Tk, mu, ssd, df, dg, w, np.where(finite, T, 0.0), valid, const, tiny_w, mulo


def _series_cases():
    rng = np.random.default_rng(7)
    walk = np.cumsum(rng.standard_normal(700))
    holes = walk.copy()
    holes[[3, 50, 51, 300]] = [np.nan, np.inf, -np.inf, np.nan]
    holes[400:460] = 2.5  # constant
    extreme = rng.standard_normal(300) * 1e-300
    extreme[::9] = 1e300
    even = rng.standard_normal(64)
    zeros = np.zeros(50)
    zeros[::3] = -0.0
    ints = np.round(rng.standard_normal(500) * 3)
    return {"walk": walk, "holes": holes, "extreme": extreme, "even": even, "zeros": zeros,
            "ints": ints, "offset": 1e9 + rng.standard_normal(200) * 1e-3,
            "all_nan": np.full(20, np.nan), "one": np.array([np.nan, 4.0, np.inf])}


def _same(a, b):
    return np.asarray(a).tobytes() == np.asarray(b).tobytes()


@pytest.mark.parametrize("name", list(_series_cases()))
def test_shift_and_scale_match_numpy(name):
    T = _series_cases()[name]
    for series in [(T,), (T, T[::-1].copy()), (T, np.array([1.0, -3.0, np.nan]))]:
        want = _ref_shift(*series)
        got = _prepare.common_shift(*series)
        # np.median's value; a zero median may be -0.0 there, always +0.0 here
        assert got == want and (want != 0.0 or str(got) == "0.0")
        assert _prepare.common_scale(*series, shift=got) == _ref_scale(*series, shift=want)
        assert _prepare._finite_top(*series) == _ref_finite_top(*series)


def test_median_selection_against_np_median():
    rng = np.random.default_rng(3)
    for n in [1, 2, 3, 4, 5, 10, 101, 1000, 4097]:
        for kind in ["normal", "sorted", "reversed", "few", "equal"]:
            x = rng.standard_normal(n)
            x = {"sorted": np.sort(x), "reversed": np.sort(x)[::-1].copy(),
                 "few": rng.integers(0, 3, n).astype(float), "equal": np.full(n, 0.25)}.get(
                kind, x)
            x = x * 0.5 / max(1.0, np.abs(x).max())  # in [-0.5, 0.5]: scaled by 1
            x[0] = 0.75  # top 0.75: the power of two is 1
            assert _exact.common_shift((x,)) == np.median(x) + 0.0, (n, kind)


@pytest.mark.parametrize("name, m", [(k, m) for k, T in _series_cases().items()
                                     if k not in ("one", "all_nan")
                                     for m in (3, 8, 65, 100) if m <= T.shape[0]])
def test_series_stats_match_numpy(name, m):
    T = _series_cases()[name]
    shift = _prepare.common_shift(T)
    scale = _prepare.common_scale(T, shift=shift)
    pad = 7
    got = _exact.series_stats(T, m, True, shift, scale, pad, _prepare.TINY, None)
    want = _ref_series(T, m, shift, scale, _prepare.TINY)
    Tp, mu, ssd, df, dg, w, exact, valid, const, tiny, mulo = got
    n, l = T.shape[0], T.shape[0] - m + 1
    assert _same(Tp[:n], want[0]) and not Tp[n:].any() and Tp.shape == (n + pad,)
    for a, b in [(mu, want[1]), (df, want[3]), (dg, want[4]), (mulo, want[10])]:
        assert _same(a[:l], b) and a.shape == (l + pad,) and not a[l:].any()
    assert _same(ssd, want[2]) and _same(exact, want[6])
    assert _same(w[:l], want[5]) and np.isnan(w[l:]).all()
    assert np.array_equal(valid, want[7]) and np.array_equal(const, want[8])
    assert (tiny is None and not want[9].any()) or np.array_equal(tiny, want[9])


def test_series_stats_given_constant_windows_and_aamp():
    T = random_walk(200, seed=2)
    l = 200 - 10 + 1
    given = np.zeros(l, dtype=bool)
    given[::7] = True
    T[100] = np.nan
    valid = _exact.series_stats(T, 10, True, 0.0, 1.0, 0, 0.0, None)[7]
    const = _exact.series_stats(T, 10, True, 0.0, 1.0, 0, 0.0, given.view(np.uint8))[8]
    np.testing.assert_array_equal(const, given & valid)  # never a window holding NaN
    Tp, mu, ssd, df, dg, w, exact, valid, const, tiny, mulo = _exact.series_stats(
        T, 10, False, 0.5, 0.25, 3, 0.0, None)
    assert ssd is None and tiny is None and not const.any() and not mu.any()
    assert not mulo.any()
    assert _same(exact, np.where(np.isfinite(T), T * 0.25 - 0.0, 0.0))
    np.testing.assert_array_equal(w[:l], np.where(valid, 1.0, np.nan))


def test_window_stats_interleaved_match_one_at_a_time():
    # m <= 64 computes four windows at a time: the same bits as the sliding path's exact
    # windows (every 64th), and as a window computed on its own
    T = random_walk(1000, seed=5) * 1e3 + 1e6
    for m in [3, 4, 5, 31, 64]:
        mu, ssd = _exact.window_stats(T, m)
        for i in [0, 1, 2, 3, 4, 5, 6, 7, 500, len(mu) - 3, len(mu) - 1]:
            mu1, ssd1 = _exact.window_stats(np.ascontiguousarray(T[i : i + m]), m)
            assert _same(mu[i], mu1[0]) and _same(ssd[i], ssd1[0]), (m, i)


def _brute_classes(T, m, usable):
    l = T.shape[0] - m + 1
    W = np.where(np.isfinite(T), T, 0.0)
    out = np.full(l, -1)
    for i in range(l):
        if usable[i]:
            out[i] = next(j for j in range(i + 1) if usable[j] and
                          np.array_equal(W[j : j + m], W[i : i + m]))
    return out


def test_window_classes_hash_table():
    rng = np.random.default_rng(11)
    cases = [np.tile([1.0, 2.0, 3.0, 2.0], 40),            # all-zero low bits, many repeats
             np.round(rng.standard_normal(400)),            # integers: collisions of values
             np.tile(rng.standard_normal(7), 30),
             rng.standard_normal(300)]
    cases[0][[5, 90]] = [-0.0, 0.0]
    for T in cases:
        for m in [2, 3, 8]:
            usable = rng.random(T.shape[0] - m + 1) > 0.1
            want = _brute_classes(T, m, usable)
            cls, repeats = _exact.window_classes(T, m, usable.view(np.uint8), True)
            np.testing.assert_array_equal(cls, want)
            assert repeats == int(np.sum((want >= 0) & (want != np.arange(len(want)))))


def test_box_profile():
    P = np.array([[0.5, 1.5], [np.inf, 2.0], [0.0, -0.0]])
    I = np.array([[2, 1], [-1, 0], [5000, 1]], dtype=np.int64)
    left = np.array([-1, 0, 1], dtype=np.int64)
    right = np.array([2, -1, -1], dtype=np.int64)
    out = _exact.box_profile(P, I, left, right)
    assert out.dtype == object and out.shape == (3, 6)
    for row, (p, i, a, b) in enumerate(zip(P, I, left, right)):
        want = [*p, *i, a, b]
        assert [type(x) for x in out[row]] == [float] * 2 + [int] * 4
        assert [str(x) for x in out[row]] == [str(float(x)) if q < 2 else str(int(x))
                                              for q, x in enumerate(want)]
    assert _exact.box_profile(np.zeros((0, 1)), np.zeros((0, 1), np.int64),
                              np.zeros(0, np.int64), np.zeros(0, np.int64)).shape == (0, 4)


def _profile_cases():
    rng = np.random.default_rng(21)
    walk = np.cumsum(rng.standard_normal(300))
    holes = walk.copy()
    holes[[10, 150]] = np.nan
    holes[200:240] = 1.0
    A, B = np.cumsum(rng.standard_normal(260)), np.cumsum(rng.standard_normal(310))
    return [(walk, 20, None, {}), (walk, 9, None, {"k": 3}), (holes, 12, None, {"k": 2}),
            (1e-280 * walk, 15, None, {}), (A, 16, B, {}), (B, 16, A, {"k": 2}),
            (A, 10, None, {"normalize": False, "p": 1.0}),
            (A, 10, B, {"normalize": False, "k": 2}),
            (np.tile(np.sin(np.arange(25.0)), 8), 10, None, {"k": 2})]  # repeats: general path


@pytest.mark.parametrize("case", range(len(_profile_cases())))
def test_finalize_small_matches_the_general_path(monkeypatch, case):
    T, m, B, kw = _profile_cases()[case]
    kw = dict(kw, ignore_trivial=B is None)
    fast = mpcore.stump(T, m, B, n_threads=1, **kw)
    monkeypatch.setattr(_exact, "finalize_small", lambda *args: None)  # the general path
    slow = mpcore.stump(T, m, B, n_threads=1, **kw)
    assert _same(fast.P_, slow.P_) and _same(fast.I_, slow.I_)
    assert _same(fast.left_I_, slow.left_I_) and _same(fast.right_I_, slow.right_I_)
    assert [type(x) for x in np.asarray(fast).ravel()] == \
        [type(x) for x in np.asarray(slow).ravel()]


def test_finalize_small_warns_like_the_general_path():
    T = np.tile(random_walk(40, seed=3), 10)  # every window repeats: distances 0
    with pytest.warns(UserWarning, match="smaller than 1e-06"):
        mpcore.stump(T, 8, T, ignore_trivial=False, n_threads=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mpcore.stump(random_walk(200, seed=4), 8, n_threads=1)


# ---------------------------------------------------------------------------------------------
# the worker pool


def test_pool_runs_every_share_once():
    for inline in (True, False):
        for n in (1, 2, 5):
            seen = []
            lock = threading.Lock()

            def work(i):
                with lock:
                    seen.append((i, threading.get_ident(), _threads.in_pool()))

            _threads.run(work, n, inline=inline, shared=False)
            assert sorted(i for i, _, _ in seen) == list(range(n))
            where = {i: (ident, pooled) for i, ident, pooled in seen}
            if inline:
                assert where[0] == (threading.get_ident(), False)
            assert all(where[i][1] for i in range(int(inline), n))
    assert _threads.pool_threads()[1] == 0


def test_pool_drops_shares_nobody_began():
    # a share no pool thread has begun is taken back (the caller does not wait for it); one a
    # thread has begun is not.  Checked on the tasks themselves: whether a worker begins before
    # the caller's own share ends is a race (free-threaded builds usually win it).
    pool = _threads._pool
    ran = []
    pending = _threads._Task(lambda: ran.append("late"))
    assert pool.drop(pending) and pending.ended() and pending.state == _threads._DROPPED
    begun = _threads._Task(lambda: None)
    begun.state = _threads._RUNNING
    assert not pool.drop(begun) and not begun.ended() and not begun.wait(0.01)
    assert ran == []
    # and a call with shares to drop returns with its own share done, all others accounted for
    got = []
    _threads.run(got.append, 3, inline=True, shared=True)
    assert 0 in got and set(got) <= {0, 1, 2}


def test_pool_error_in_a_share_leaves_the_pool_working():
    def work(i):
        if i == 1:
            raise RuntimeError("discarded: shares report their own errors")

    _threads.run(work, 3, inline=False)
    got = []
    _threads.run(got.append, 3, inline=False, shared=False)
    assert sorted(got) == [0, 1, 2]


def test_pool_idle_threads_leave(monkeypatch):
    monkeypatch.setattr(_threads, "POOL_IDLE_SECONDS", 0.05)
    monkeypatch.setattr(_threads, "_pool", _threads._Pool())
    _threads.run(lambda i: time.sleep(0.01), 4, inline=False)
    assert _threads.pool_threads()[0] == 4
    deadline = time.time() + 5
    while _threads.pool_threads()[0] and time.time() < deadline:
        time.sleep(0.02)
    assert _threads.pool_threads() == (0, 0)
    _threads.run(lambda i: None, 2, inline=False)  # and new ones start when needed


def test_concurrent_calls_each_get_their_threads():
    # 6 Python threads at once, each asking for 3: no share waits behind another call's
    barrier = threading.Barrier(6 * 2)
    errors = []

    def work(i):
        if i < 2:  # the two pool shares of every call meet at one barrier
            try:
                barrier.wait(10)
            except threading.BrokenBarrierError as exc:
                errors.append(exc)

    callers = [threading.Thread(target=_threads.run, args=(work, 3),
                                kwargs={"inline": False, "shared": False})
               for _ in range(6)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    assert not errors


def _child_stump(queue):
    T = random_walk(3000, seed=8)
    queue.put(np.asarray(mpcore.stump(T, 20, n_threads=3).P_))


@pytest.mark.skipif(sys.platform == "win32" or "fork" not in
                    multiprocessing.get_all_start_methods(), reason="needs fork")
def test_pool_after_fork():
    T = random_walk(3000, seed=8)
    want = mpcore.stump(T, 20, n_threads=3).P_  # the parent's pool has threads now
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        proc = ctx.Process(target=_child_stump, args=(queue,))
        proc.start()
    got = queue.get(timeout=120)
    proc.join(60)
    assert proc.exitcode == 0
    np.testing.assert_array_equal(got, want)


def test_thread_counts_give_identical_results_on_mid_sizes():
    # sizes around the thresholds where the refinement is shared among threads
    # (REFINE_VALUES_PER_THREAD: l * m * 2k of 4M and more; 8000, 128, 2 is just past it)
    for n, m, k in [(600, 20, 1), (2200, 32, 1), (1800, 50, 2), (7800, 128, 2), (8000, 128, 2)]:
        T = random_walk(n, seed=n)
        ref = mpcore.stump(T, m, k=k, n_threads=1)
        for nt in (2, 3, os.cpu_count() or 2):
            got = mpcore.stump(T, m, k=k, n_threads=nt)
            for attr in ("P_", "I_", "left_I_", "right_I_"):
                assert _same(getattr(got, attr), getattr(ref, attr)), (n, nt, attr)


@pytest.mark.parametrize("m", [3, 8, 64, 65, 100, 257])
def test_window_stats_dd_hold_each_mean_to_double_double_precision(m):
    """mu + mulo is each window's mean to far below float64's rounding of the level, and ssd
    its sum of squares to float64's relative precision (exact rationals as the reference):
    on plateaus of 1e6 + 1e-9 noise, after a spike, and on a random walk."""
    from fractions import Fraction

    rng = np.random.default_rng(m)
    T = np.concatenate([np.cumsum(rng.standard_normal(300)),
                        1e6 + 1e-9 * rng.standard_normal(400),
                        -3.0 + 1e-12 * rng.standard_normal(300)])
    T[450] = 1e12  # a spike on the plateau
    mu, mulo, ssd = _exact.window_stats_dd(T, m)
    l = T.shape[0] - m + 1
    for i in list(range(0, l, 37)) + [449, 450 + m, 451 + m]:
        x = [Fraction(v) for v in T[i : i + m]]
        mean = sum(x) / m
        q = sum((v - mean) ** 2 for v in x)
        err = abs(Fraction(mu[i]) + Fraction(mulo[i]) - mean)
        spread = max(abs(v - mean) for v in x)
        assert err <= Fraction(2.0**-48) * spread + Fraction(2.0**-100) * abs(mean), i
        assert abs(Fraction(ssd[i]) - q) <= Fraction(1e-13) * q, i


def test_shift_is_exact_matches_twosum_in_numpy():
    """_exact.shift_is_exact against TwoSum's error term in NumPy: an offset series less its
    median rounds nothing; values below half the shift, in a lower binade than their
    difference from it, do; non-finite values are left out."""
    rng = np.random.default_rng(11)
    for T in (1e6 + rng.standard_normal(300), np.r_[1.5e6 + rng.standard_normal(50), 5e5 + 0.1],
              np.r_[1e6 + rng.standard_normal(20), np.nan, np.inf], rng.standard_normal(100)):
        for shift, scale in ((float(np.median(T[np.isfinite(T)])), 2.0**-20), (0.0, 1.0)):
            x = T[np.isfinite(T)] * scale
            b = -shift * scale
            d = x + b
            bb = d - x
            want = bool(np.all((x - (d - bb)) + (b - bb) == 0.0))
            assert _exact.shift_is_exact(T, shift, scale) == want
    # one unit in the last place of 5e5 is half a unit of 1e6, its difference from the shift
    assert not _exact.shift_is_exact(np.r_[1.5e6, np.nextafter(5e5, 1e6)], 1.5e6, 2.0**-20)
    assert _exact.shift_is_exact(1e6 + rng.standard_normal(100), 1e6, 2.0**-20)
