"""stumpi / aampi: a stream replayed against brute force at many points in time, STUMPY,
NaN/inf arriving in the stream, block updates, pickling, threads, bad input."""
import math
import pickle
import threading

import numpy as np
import pytest
from conftest import random_walk

import mpcore
import naive


def _reference(T_seen, m, start, k, normalize, p):
    """Brute-force incremental profile of the points seen, restricted to the live windows
    (from window ``start`` on), with STUMPY's egress semantics: a live row keeps the best
    neighbours it ever had (dropped windows included), indices global."""
    D = naive.distance_matrix(T_seen, m, normalize=normalize, p=p).astype(float)
    l = D.shape[0]
    excl = math.ceil(m / 4)
    for i in range(l):
        D[i, max(0, i - excl) : i + excl + 1] = np.inf
    P = np.full((l, k), np.inf)
    I = np.full((l, k), -1, dtype=np.int64)
    left_P = np.full(l, np.inf)
    left_I = np.full(l, -1, dtype=np.int64)
    for i in range(l):
        # row i may only have met windows that were live at the same time as it
        lo = max(0, start - (l - 1 - i)) if start else 0
        cols = np.arange(lo, l)
        d = D[i, cols]
        order = np.lexsort((cols, d))[:k]
        ok = np.isfinite(d[order])
        P[i, : ok.sum()] = d[order][ok]
        I[i, : ok.sum()] = cols[order][ok]
        lc = cols[cols < i]
        if len(lc) and np.isfinite(D[i, lc]).any():
            j = lc[np.lexsort((lc, D[i, lc]))[0]]
            left_P[i], left_I[i] = D[i, j], j
    return P[start:], I[start:], left_P[start:], left_I[start:], D


def _check(stream, ref, k):
    P, I, left_P, left_I, D = ref
    start = D.shape[0] - P.shape[0]
    np.testing.assert_allclose(stream.P_.reshape(-1, k), P, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(stream.left_P_, left_P, rtol=1e-12, atol=1e-12)
    for ours, theirs in ((stream.I_.reshape(-1, k), I), (stream.left_I_[:, None], left_I[:, None])):
        for r, q in zip(*np.nonzero(ours != theirs)):  # only ties may differ
            a, b = ours[r, q], theirs[r, q]
            assert a >= 0 and b >= 0
            assert abs(D[start + r, a] - D[start + r, b]) <= 1e-12 * max(1, D[start + r, b])


def _stream_data(kind, n, seed):
    T = random_walk(n, seed)
    if kind == "nan":
        T[n // 2] = np.nan
        T[n // 2 + 9] = np.inf
    elif kind == "const":
        T[n // 3 : n // 3 + 15] = 2.0
    return T


@pytest.mark.parametrize("kind", ["walk", "nan", "const"])
@pytest.mark.parametrize("egress", [False, True])
@pytest.mark.parametrize("k", [1, 2])
def test_stumpi_replayed_against_brute_force(kind, egress, k):
    m, n0, steps = 10, 60, 50
    T = _stream_data(kind, n0 + steps, seed=3)
    stream = mpcore.stumpi(T[:n0], m, egress=egress, k=k)
    for s in range(steps):
        stream.update(T[n0 + s])
        if s % 7 == 6 or s == steps - 1:
            seen = T[: n0 + s + 1]
            start = s + 1 if egress else 0
            _check(stream, _reference(seen, m, start, k, True, 2.0), k)
            np.testing.assert_array_equal(stream.T_, np.nan_to_num(seen[start:], nan=0.0,
                                                                  posinf=0.0))


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("egress", [False, True])
def test_aampi_replayed_against_brute_force(p, egress):
    m, n0, steps = 8, 50, 40
    T = _stream_data("nan", n0 + steps, seed=4)
    stream = mpcore.aampi(T[:n0], m, egress=egress, p=p)
    for s in range(steps):
        stream.update(T[n0 + s])
    start = steps if egress else 0
    _check(stream, _reference(T, m, start, 1, False, p), 1)


def test_stumpi_fresh_stump_after_growth():
    """Without egress the profile after many points is a fresh stump of the whole series."""
    T = random_walk(700, seed=5)
    stream = mpcore.stumpi(T[:200], 25, egress=False)
    stream.update(T[200:])
    mp = mpcore.stump(T, 25)
    np.testing.assert_allclose(stream.P_, mp.P_, rtol=1e-12, atol=1e-12)
    D = naive.distance_matrix(T, 25).astype(float)
    rows = np.flatnonzero(stream.I_ != mp.I_)
    assert np.allclose(D[rows, stream.I_[rows]], D[rows, mp.I_[rows]], rtol=1e-12)


def test_nan_does_not_poison_later_windows():
    T = random_walk(300, seed=6)
    stream = mpcore.stumpi(T[:100], 12, egress=False)
    stream.update(np.nan)
    stream.update(T[100:])
    P = stream.P_
    held = np.arange(100 - 12 + 1, 101)  # windows holding the NaN
    assert np.isinf(P[held]).all() and (stream.I_[held] == -1).all()
    assert np.isfinite(P[101:]).all()


@pytest.mark.parametrize("egress", [True, False])
@pytest.mark.parametrize("normalize, p", [(True, 2.0), (False, 2.0), (False, 1.0),
                                          (False, 3.0)])
@pytest.mark.parametrize("k", [1, 2])
def test_block_update_equals_single_updates(egress, normalize, p, k):
    """The compiled block path (stream_block) against one update per point: the buffers are
    compacted (egress) or doubled (growth) in the middle of the block, the block holds NaN/inf
    and a constant stretch."""
    T = random_walk(900, seed=7)
    T[400] = np.nan
    T[520] = np.inf
    T[600:640] = 2.0
    a = mpcore.stumpi(T[:150], 20, egress=egress, normalize=normalize, p=p, k=k)
    b = mpcore.stumpi(T[:150], 20, egress=egress, normalize=normalize, p=p, k=k)
    a.update(T[150:])
    for t in T[150:]:
        b.update(t)
    for name in ("P_", "I_", "left_P_", "left_I_", "T_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    # and against a fresh profile of what the stream now holds (growth: the whole series)
    if not egress and normalize:
        np.testing.assert_allclose(a.P_.reshape(-1, k)[:, 0], mpcore.stump(T, 20).P_,
                                   rtol=1e-12, atol=1e-12)


def test_block_update_with_a_callers_constant_rule():
    """A caller's constant rule is asked per window, as STUMPY asks it (the Python path)."""
    T = random_walk(300, seed=17)

    def rule(a, w):
        return np.lib.stride_tricks.sliding_window_view(a, w).std(axis=1) < 0.3

    a = mpcore.stumpi(T[:100], 12, T_subseq_isconstant_func=rule)
    b = mpcore.stumpi(T[:100], 12, T_subseq_isconstant_func=rule)
    a.update(T[100:])
    for t in T[100:]:
        b.update(t)
    np.testing.assert_array_equal(a.P_, b.P_)
    np.testing.assert_array_equal(a.I_, b.I_)


def test_pickle_round_trip_resumes():
    T = random_walk(300, seed=8)
    a = mpcore.stumpi(T[:120], 16, egress=True)
    a.update(T[120:200])
    b = pickle.loads(pickle.dumps(a))
    a.update(T[200:])
    b.update(T[200:])
    np.testing.assert_array_equal(a.P_, b.P_)
    np.testing.assert_array_equal(a.I_, b.I_)


def _resumed_as_earlier(stream, dropped, runs=False):
    """``stream`` pickled and unpickled as a pickle of an earlier mpcore would be, without the
    attributes ``dropped``; the p-norms' ``_QT`` held the centered windows' dot products with
    the last then and, unless ``runs``, their ``_cst`` no run counts (all 0)."""
    state = pickle.loads(pickle.dumps(stream)).__dict__
    for name in dropped:
        state.pop(name, None)
    if not stream._normalize:
        a, n, m = stream._a, stream._n, stream._m
        Tc = state["_Tcbuf"][a : a + n]
        mpcore._stream.dots(Tc, Tc[n - m :], state["_QT"][a : a + n - m + 1])
        if not runs:
            state["_cst"][:] = 0
    out = type(stream).__new__(type(stream))
    out.__setstate__(state)
    return out


@pytest.mark.parametrize("normalize, p", [(True, 2.0), (False, 2.0), (False, 1.0)])
@pytest.mark.parametrize("version", ["runs", "comoments"])
def test_pickle_of_an_earlier_version_resumes(normalize, p, version):
    # a stream checkpointed by mpcore before the co-moments (and the p-norms' runs of
    # identical windows), or before the p-norms' sums of differences (their dot products in
    # _QT, no _QE), resumes with them made afresh, with the same results
    T = np.repeat(random_walk(40, seed=31), 9)  # plateaus: identical windows for aampi
    T = T + (1e-7 * np.random.default_rng(31).standard_normal(len(T)) if normalize else 0)
    a = mpcore.stumpi(T[:150], 12, egress=True, normalize=normalize, p=p, k=2)
    a.update(T[150:250])
    dropped = ("_QE",) if version == "comoments" else (
        "_cbar", "_cgbar", "_czbar", "_sgbar", "_df", "_dg", "_mc", "_zdev", "_QE")
    b = _resumed_as_earlier(a, dropped, runs=version == "comoments")
    a.update(T[250:])
    b.update(T[250:])
    np.testing.assert_array_equal(a.P_, b.P_)
    np.testing.assert_array_equal(a.I_, b.I_)
    if version == "comoments" or p != 2.0:  # (stumpi_ab: as before)
        return
    c = mpcore.stumpi_ab(T[:60], 12, random_walk(300, seed=32), normalize=normalize)
    c.update(T[60:120])
    d = _resumed_as_earlier(c, ("_mcR", "_dfR", "_dgR", "_czR", "_zdevR", "_ringS", "_ringG"))
    c.update(T[120:])
    d.update(T[120:])
    np.testing.assert_array_equal(c.P_, d.P_)
    np.testing.assert_array_equal(c.ref_P_, d.ref_P_)


def test_threads_update_separate_objects():
    T = random_walk(2000, seed=9)
    expected = mpcore.stumpi(T[:500], 30, egress=True)
    expected.update(T[500:])
    streams = [mpcore.stumpi(T[:500], 30, egress=True) for _ in range(4)]
    workers = [threading.Thread(target=s.update, args=(T[500:],)) for s in streams]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for s in streams:
        np.testing.assert_array_equal(s.P_, expected.P_)
        np.testing.assert_array_equal(s.I_, expected.I_)


def test_input_not_modified_and_mp_given():
    T = random_walk(200, seed=10)
    T[50] = np.nan
    before = T.copy()
    mp = mpcore.stump(T, 10)
    a = mpcore.stumpi(T, 10, mp=mp)
    b = mpcore.stumpi(T, 10)
    assert np.array_equal(T, before, equal_nan=True)
    a.update(1.0)
    b.update(1.0)
    np.testing.assert_array_equal(a.P_, b.P_)


def test_bad_input():
    T = random_walk(100)
    with pytest.raises(ValueError, match="mp"):
        mpcore.stumpi(T, 10, mp=np.zeros((5, 4)))
    with pytest.raises(ValueError, match="T_subseq_isconstant_func"):
        mpcore.stumpi(T, 10, T_subseq_isconstant_func=np.zeros(91, bool))
    with pytest.raises(TypeError, match="t"):
        mpcore.stumpi(T, 10).update("x")
    with pytest.raises(ValueError, match="m"):
        mpcore.aampi(T, 2)


@pytest.mark.slow  # STUMPY's JIT compilation
def test_stumpy_agrees():
    stumpy = pytest.importorskip("stumpy")
    T = random_walk(400, seed=11)
    for kw in (dict(egress=False), dict(egress=True, k=2), dict(normalize=False, p=1.0)):
        a = stumpy.stumpi(T[:300], 20, **kw)
        b = mpcore.stumpi(T[:300], 20, **kw)
        for t in T[300:]:
            a.update(t)
            b.update(t)
        np.testing.assert_allclose(b.P_, a.P_, rtol=1e-8)
        np.testing.assert_array_equal(b.I_, a.I_)
        np.testing.assert_array_equal(b.left_I_, a.left_I_)


@pytest.mark.parametrize("egress", [False, True])
@pytest.mark.parametrize("normalize, p", [(True, 2.0), (False, 2.0), (False, 1.0)])
@pytest.mark.parametrize("k", [1, 2])
def test_stumpi_ab_replayed_against_brute_force(egress, normalize, p, k):
    R = _stream_data("const", 150, seed=20)
    T = _stream_data("nan", 120, seed=21)
    m, n0 = 10, 40
    stream = mpcore.stumpi_ab(T[:n0], m, R, egress=egress, normalize=normalize, p=p, k=k)
    for s in range(n0, len(T), 13):
        stream.update(T[s : s + 13])  # blocks
        seen = T[: s + 13]
        D = naive.distance_matrix(seen, m, R, normalize, p).astype(float)
        start = len(seen) - n0 if egress else 0
        P, I = naive.matrix_profile(D, k)[:2]
        np.testing.assert_allclose(stream.P_.reshape(-1, k), P[start:].astype(float),
                                   rtol=1e-12, atol=1e-12)
        # reference rows: best over every stream window seen (dropped ones included)
        Pr, Ir = naive.matrix_profile(D.T, k)[:2]
        np.testing.assert_allclose(stream.ref_P_.reshape(-1, k), Pr.astype(float),
                                   rtol=1e-12, atol=1e-12)
        for ours, theirs, DD in ((stream.I_.reshape(-1, k), I[start:], D[start:]),
                                 (stream.ref_I_.reshape(-1, k), Ir, D.T)):
            for r, q in zip(*np.nonzero(ours != theirs)):  # ties only
                assert abs(DD[r, ours[r, q]] - DD[r, theirs[r, q]]) <= 1e-12


def test_stumpi_ab_pickles():
    R = random_walk(300, seed=22)
    T = random_walk(200, seed=23)
    a = mpcore.stumpi_ab(T[:50], 16, R)
    a.update(T[50:100])
    b = pickle.loads(pickle.dumps(a))
    a.update(T[100:])
    b.update(T[100:])
    np.testing.assert_array_equal(a.P_, b.P_)
    np.testing.assert_array_equal(a.ref_I_, b.ref_I_)


# ---------------------------------------------------------------------------------------------
# block updates split over threads (_stream.StreamBlock): small parts, tiles and blocks, so that
# these sizes take the paths that large streams take (replayed columns at each part's left,
# tiles handing over their last column, new windows' rows merged across parts)

_KINDS = [dict(normalize=True), dict(normalize=False, p=1.0), dict(normalize=False, p=2.0),
          dict(normalize=False, p=3.0)]


@pytest.fixture
def small_parts(monkeypatch):
    """Split blocks of a few points and a few hundred windows; count the threaded calls."""
    from mpcore._algos import streaming

    monkeypatch.setattr(streaming, "_MIN_PART", 40)
    monkeypatch.setattr(streaming, "_MIN_POINTS_THREADED", 2)
    monkeypatch.setattr(streaming, "_TILE", 37)
    monkeypatch.setattr(streaming, "_MAX_BLOCK", 90)
    calls = []
    run = mpcore._threads.run

    def counting_run(work, n, **kw):
        if isinstance(getattr(work, "__self__", None), mpcore._stream.StreamBlock):
            calls.append(n)
        return run(work, n, **kw)

    monkeypatch.setattr(mpcore._threads, "run", counting_run)
    return calls


def _block_data(seed):
    T = random_walk(700, seed=seed)
    T[430] = np.nan  # inside the block: the windows holding it
    T[505] = np.inf
    T[560:590] = -1.5  # a constant stretch (constant windows, and a constant new window)
    return T


def _attrs(stream):
    return {name: getattr(stream, name) for name in ("P_", "I_", "left_P_", "left_I_", "T_")}


@pytest.mark.parametrize("kind", _KINDS, ids=["z", "p1", "p2", "p3"])
@pytest.mark.parametrize("egress", [True, False])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("threads", [1, 2])
def test_block_split_over_threads_equals_single_updates(small_parts, kind, egress, k, threads):
    """Every attribute after one block update equals the same points applied one by one:
    bitwise, indices and distances, for any thread count."""
    T = _block_data(seed=30)
    m, n0 = 15, 300
    ctor = mpcore.stumpi if kind["normalize"] else mpcore.aampi
    kw = {key: v for key, v in kind.items() if key != "normalize" or v}
    a = ctor(T[:n0], m, egress=egress, k=k, **kw)
    b = ctor(T[:n0], m, egress=egress, k=k, **kw)
    with mpcore.threads(threads):
        a.update(T[n0:])
    for t in T[n0:]:
        b.update(t)
    for name, value in _attrs(b).items():
        np.testing.assert_array_equal(_attrs(a)[name], value, err_msg=name)
    if threads > 1:
        assert small_parts and max(small_parts) == threads  # the block was split
    else:
        assert not small_parts


@pytest.mark.parametrize("egress", [True, False])
@pytest.mark.parametrize("k", [1, 3])
def test_block_split_over_threads_against_brute_force(small_parts, egress, k):
    T = _block_data(seed=31)
    m, n0 = 12, 250
    stream = mpcore.stumpi(T[:n0], m, egress=egress, k=k)
    with mpcore.threads(2):
        stream.update(T[n0:])
    assert small_parts
    start = len(T) - n0 if egress else 0
    _check(stream, _reference(T, m, start, k, True, 2.0), k)


def test_block_split_is_completed_when_interrupted(monkeypatch, small_parts):
    """A Ctrl-C while the threads run a block: the block is completed before the exception
    propagates, so the stream holds whole blocks, each as if its points came one by one."""
    from mpcore._algos import streaming

    T = _block_data(seed=32)
    m, n0 = 15, 300
    a = mpcore.stumpi(T[:n0], m, k=2)
    b = mpcore.stumpi(T[:n0], m, k=2)
    blocks = []
    run = mpcore._threads.run

    def interrupted(work, n, **kw):  # the second block: no part has run when Ctrl-C comes
        if not isinstance(getattr(work, "__self__", None), mpcore._stream.StreamBlock):
            return run(work, n, **kw)
        blocks.append(n)
        if len(blocks) == 2:
            raise KeyboardInterrupt
        for i in range(n):
            work(i)

    monkeypatch.setattr(mpcore._threads, "run", interrupted)
    with mpcore.threads(2), pytest.raises(KeyboardInterrupt):
        a.update(T[n0:])
    held = 2 * streaming._MAX_BLOCK
    for t in T[n0 : n0 + held]:
        b.update(t)
    for name, value in _attrs(b).items():
        np.testing.assert_array_equal(_attrs(a)[name], value, err_msg=name)
    a.update(T[n0 + held :])  # and it goes on as usual
    b.update(T[n0 + held :])
    for name, value in _attrs(b).items():
        np.testing.assert_array_equal(_attrs(a)[name], value, err_msg=name)


def _twin_stream(kind, n, seed):
    rng = np.random.default_rng(seed)
    if kind == "periodic":  # exactly repeated windows: distances of exactly 0
        return np.tile([0.0, 0.0, 1.0, 3.0, 1.0, 2.0], n // 6 + 1)[:n]
    if kind == "sparse":  # counts, mostly 0: all-zero windows
        return (rng.random(n) < 0.1).astype(float)
    return rng.integers(0, 3, n).astype(float)  # small counts: exact ties of all kinds


@pytest.mark.parametrize("kind, normalize, p", [("periodic", True, 2.0), ("periodic", False, 2.0),
                                                ("sparse", False, 1.0), ("sparse", False, 2.0),
                                                ("counts", False, 1.0)])
@pytest.mark.parametrize("egress", [False, True])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("block", [False, True])
def test_identical_windows_replayed_against_brute_force(small_parts, kind, normalize, p,
                                                        egress, k, block):
    """Rows whose k-th best is 0 take no candidate (their threshold is +inf), a new row with
    k zeros takes no later column, and the set-aside candidates are sorted by (lower bound,
    column): the same profile as brute force, every index in order where the distances are
    exact (p-norms of small integers), ties only among equal distances otherwise."""
    m, n0 = 8, 120
    T = _twin_stream(kind, n0 + 90, seed=7)
    ctor = mpcore.stumpi if normalize else mpcore.aampi
    stream = _replayed(ctor(T[:n0], m, egress=egress, k=k, **({} if normalize else {"p": p})),
                       T[n0:], block)
    start = len(T) - n0 if egress else 0
    ref = _reference(T, m, start, k, normalize, p)
    _check(stream, ref, k)
    if not normalize:
        I, left_I = _tie_order(ref[4], n0 - m + 1, start, k, math.ceil(m / 4))
        np.testing.assert_array_equal(stream.I_.reshape(-1, k), I)
        np.testing.assert_array_equal(stream.left_I_, left_I)


def _replayed(stream, new, block):
    """``stream`` after the points ``new``: one block over 2 threads, or one point a call."""
    if block:
        with mpcore.threads(2):
            stream.update(new)
    else:
        for t in new:
            stream.update(t)
    return stream


def _plateau_stream(kind, n, seed):
    rng = np.random.default_rng(seed)
    if kind == "square":  # half-period 13 > m: runs of identical windows a period apart
        return np.tile(np.r_[np.zeros(13), np.full(13, 2.0)], n // 26 + 1)[:n]
    if kind == "long":  # a plateau of 300 points: a run longer than the 255 counted
        T = rng.integers(0, 3, n).astype(float)
        T[150:450] = 1.0
        return T
    # steps: levels from a few, held 5 to 40 points, so that equal and near levels recur;
    # "nan": one inside a plateau (its windows break the run)
    T = np.repeat(rng.integers(0, 4, n).astype(float), rng.integers(5, 41, n))[:n]
    if kind == "nan":
        T[T.shape[0] // 2 :][np.flatnonzero(np.diff(T[n // 2 :]) == 0)[:1]] = np.nan
    return T


@pytest.mark.parametrize("kind", ["steps", "square", "long", "nan"])
@pytest.mark.parametrize("egress", [False, True])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("block", [False, True])
def test_plateaus_replayed_against_brute_force(small_parts, kind, egress, k, block):
    """aampi on plateaus (steps, a square wave, a run of 300): a column that is the k-th or
    later of a run of identical windows (sb_ctx.cst) is no candidate of the new row, since the
    k windows before it are as near; the runs counted at setup and at each step, cut by the
    live region, by NaN and at 255.  The same profile as brute force, every index in
    STUMPY's order."""
    m, n0 = 8, 120
    T = _plateau_stream(kind, n0 + (500 if kind == "long" else 150), seed=11)
    n0 = 200 if kind == "long" else n0  # (the run starts in the initial series, ends later)
    stream = _replayed(mpcore.aampi(T[:n0], m, egress=egress, k=k), T[n0:], block)
    start = len(T) - n0 if egress else 0
    ref = _reference(T, m, start, k, False, 2.0)
    _check(stream, ref, k)
    I, left_I = _tie_order(ref[4], n0 - m + 1, start, k, math.ceil(m / 4))
    np.testing.assert_array_equal(stream.I_.reshape(-1, k), I)
    np.testing.assert_array_equal(stream.left_I_, left_I)


def _noisy_plateaus(n, seed, scale=1.0, noise=1e-7):
    """Levels from a few far apart (3 to 97, times ``scale``), each held 15 to 50 points,
    with noise: windows of the same level near-identical (d^2 ~ 1e-12 for m = 10) but not
    identical."""
    rng = np.random.default_rng(seed)
    levels = rng.choice([3.0, 20.0, 50.0, 97.0], n)
    T = np.repeat(levels, rng.integers(15, 51, n))[:n] * scale
    return T + noise * rng.standard_normal(n)


@pytest.mark.parametrize("m", [3, 10])
@pytest.mark.parametrize("p", [1.0, 2.0])
@pytest.mark.parametrize("egress", [False, True])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("block", [False, True])
def test_noisy_plateaus_replayed_against_brute_force(small_parts, m, p, egress, k, block):
    """aampi on plateaus with noise of 1e-7 (sb_psum): a same-level pair's sum of squared
    differences (~1e-12) is stepped from pairs across a level change (~1e4 m), whose rounding
    it keeps (1e-12 and more) until it is summed afresh; the centered values' dot products had
    a bound of ~1e-8 there, and every same-level column took an exact distance (1.7x a walk's
    time a block).  The same profile as brute force.  (p = 1: levels of 3e10 to 97e10 with
    noise of 1e-3, so that a level change's rounding, ~1e-5 m, is as large against a
    same-level pair's sum, and above the comparison's tolerance.  m = 3: chains also start at
    the columns summed afresh every PREFRESH m, 192.)"""
    n0 = 150
    T = _noisy_plateaus(n0 + 200, seed=5, **({} if p == 2.0 else dict(scale=1e10, noise=1e-3)))
    stream = _replayed(mpcore.aampi(T[:n0], m, egress=egress, p=p, k=k), T[n0:], block)
    start = len(T) - n0 if egress else 0
    _check(stream, _reference(T, m, start, k, False, p), k)


def _tie_order(D, l0, start, k, excl):
    """The indices of a replayed stream among equal distances, as STUMPY's stumpi orders them:
    a window of the initial series starts from stump's profile (its order: the nearest in time,
    the left one first) and then takes each later window after its equal entries; a window
    that arrived later meets the live windows in index order.  ``D``: _reference's matrix
    (exclusion zones at inf)."""
    l = D.shape[0]
    I = np.full((l, k), -1, dtype=np.int64)
    left = np.full(l, -1, dtype=np.int64)
    for i in range(l):
        lo = max(0, start - (l - 1 - i)) if start else 0
        cols = np.arange(lo, l)
        cols = cols[np.isfinite(D[i, cols])]
        first = (cols < l0) & (i < l0)  # (from stump's profile)
        key = np.where(first, 2 * np.abs(cols - i) + (cols > i), 2 * l + cols)
        order = cols[np.lexsort((key, D[i, cols]))]
        I[i, : min(k, len(order))] = order[:k]
        lc = cols[cols < i]
        if len(lc):
            lkey = np.where(i < l0, -lc, lc)  # stump's left: the nearest; later rows: lowest
            left[i] = lc[np.lexsort((lkey, D[i, lc]))[0]]
    return I[start:], left[start:]


def test_periodic_stream_costs_what_a_walk_costs():
    """An exactly periodic stream took 8.7x a random walk's time per point (n = 8,000,
    m = 50): every window identical to the new one got an exact distance of 0, and the new
    row's candidates were insertion-sorted (quadratic in their number)."""
    import time

    n, m = 8000, 50
    walk = random_walk(n, seed=8)
    square = np.tile([0.0, 0.0, 1.0, 1.0], n // 4)

    def run(T):
        s = mpcore.stumpi(T[: n - 300], m)
        start = time.perf_counter()
        for t in T[n - 300 :]:
            s.update(t)
        return time.perf_counter() - start

    run(walk)
    clean = min(run(walk) for _ in range(3))
    took = min(run(square) for _ in range(3))
    assert took < 2.5 * clean + 0.01, (took, clean)


@pytest.mark.parametrize("normalize, noisy", [(False, False), (False, True), (True, True)])
def test_plateaus_cost_what_a_walk_costs(normalize, noisy):
    """Plateaus cost about what a random walk costs, single updates and blocks (n = 8,000,
    m = 50; 2x leaves room for a busy machine).  aampi on steps held exactly (levels 0..99, 500
    points each) took 1.8x a walk's time a single update and 4x a block: every window of a
    plateau nearer than those before was set aside for the new row, heap-sorted and computed
    when its level was the nearest (sb_ctx.cst now drops all but the first k of a run).  stumpi
    on the same levels with noise of 1e-7 took 7x and 27x: every window sat under a rounding
    bound a billion times its spread (the co-moments, sb_zbound); aampi on them 1.7x a block,
    every same-level column within its dot products' bound (the sums of differences, sb_psum:
    1.05x)."""
    import time

    n, m = 8000, 50
    walk = random_walk(n + 1000, seed=8)
    rng = np.random.default_rng(8)
    steps = np.repeat(rng.integers(0, 100, (n + 1000) // 500 + 1).astype(float), 500)
    if noisy:
        # (with noise of 1e-7, the updates inside a plateau)
        steps = steps[200 : n + 1200] + 1e-7 * rng.standard_normal(n + 1000)
    make = mpcore.stumpi if normalize else mpcore.aampi

    def run(T, block):
        s = make(T[:n], m, egress=True)
        start = time.perf_counter()
        if block:
            s.update(T[n : n + 1000])
        else:
            for t in T[n : n + 300]:
                s.update(t)
        return time.perf_counter() - start

    for block in (False, True):
        run(walk, block)
        clean = min(run(walk, block) for _ in range(3))
        took = min(run(steps, block) for _ in range(3))
        assert took < 2.0 * clean + 0.002, (block, took, clean)


@pytest.mark.parametrize("bad", [lambda a, w: None, lambda a, w: np.zeros(3, bool),
                                 lambda a, w: np.zeros(len(a) - w + 1)])
def test_bad_constant_rule_named(bad):
    """A rule returning anything but a bool per window: a ValueError naming it, at once (it
    was taken as all False when the stream was made, then an IndexError at the first
    update)."""
    with pytest.raises(ValueError, match="T_subseq_isconstant_func"):
        s = mpcore.stumpi(random_walk(100, seed=2), 8, T_subseq_isconstant_func=bad)
        s.update(1.0)


@pytest.mark.parametrize("egress", [False, True])
def test_stumpys_private_attributes_hold_the_live_profile(egress):
    """Packages read STUMPY's private ``_P``, ``_I``, ``_left_P``, ``_left_I`` and ``_T``
    (aeon's LeftSTAMPi: ``_left_P``).  mpcore's buffers of those names were longer (room to
    grow, inf past the live windows): 600 points gave aeon 851 scores, silently.  Now they are
    the live part, as STUMPY holds it."""
    T = random_walk(300, seed=12)
    s = mpcore.stumpi(T[:100], 10, egress=egress, k=2)
    for t in T[100:]:
        s.update(t)
    l = len(s.T_) - 10 + 1
    assert s._P.shape == (l, 2) and s._I.shape == (l, 2)
    np.testing.assert_array_equal(s._P, s.P_)
    np.testing.assert_array_equal(s._I, s.I_)
    np.testing.assert_array_equal(s._left_P, s.left_P_)
    np.testing.assert_array_equal(s._left_I, s.left_I_)
    np.testing.assert_array_equal(s._T, s.T_)


# ---------------------------------------------------------------------------------------------
# series far from 0 or nearly flat: the streamed dot products' rounding (sb_allowance)

_ULPS_LEVEL = 1e15


def _scale_stream(kind, n, seed):
    rng = np.random.default_rng(seed)
    if kind == "offset":  # 1e6 + noise: the dot products are 1e12 m, the deviations 1
        return 1e6 + rng.standard_normal(n)
    if kind == "drift":  # a walk that leaves its start by 1e4 standard deviations
        return 1e3 * np.cumsum(rng.standard_normal(n)) + np.linspace(0, 1e7, n)
    if kind == "plateaus":  # levels 0..99 with noise of 1e-7: windows 1e9 above their spread
        levels = rng.integers(0, 100, n // 60 + 1).astype(float)
        return np.repeat(levels, 60)[:n] + 1e-7 * rng.standard_normal(n)
    if kind == "ulps":  # 1e15 plus multiples of its ulp (0.125): windows a few ulps wide
        return _ULPS_LEVEL + rng.integers(0, 8, n) * 0.125
    if kind == "tiny":  # a stretch of values of 1e-200 in a walk: their squares underflow
        T = random_walk(n, seed)
        T[n // 3 : n // 3 + 60] = 1e-200 * rng.standard_normal(60)
        return T
    T = 2.0 * random_walk(n, seed)  # near-flat stretches (deviations 1e-9) in a walk
    for a in range(n // 5, n - 40, n // 3):
        T[a : a + 40] = 1.5 + 1e-9 * rng.standard_normal(40)
    return T


@pytest.mark.parametrize("kind", ["offset", "nearflat", "drift", "plateaus", "ulps", "tiny"])
@pytest.mark.parametrize("egress", [False, True])
@pytest.mark.parametrize("k", [1, 3])
def test_offset_and_near_flat_streams_against_brute_force(kind, egress, k):
    # Every pair whose distance a window's k-th best may hold must come within the bound that
    # sends it to an exact distance.  The bound was 16 u M^2 of the raw values, below the
    # dot products' own rounding: rows took a neighbour up to 5% farther than the nearest.
    # Plateaus took 7x a walk's time (every pair within the bound), and windows of values of
    # 1e-200 got no distance (their squares underflowed: inf).
    m, n0 = 20, 90
    seed = {"offset": 9, "nearflat": 0, "drift": 0, "plateaus": 3, "ulps": 5, "tiny": 6}[kind]
    T = _scale_stream(kind, n0 + 150, seed)
    # (the reference of 1e15's ulps on the series less its level, exactly: long double holds
    # their deviations to 1e-4 only)
    Tr = T - _ULPS_LEVEL if kind == "ulps" else T
    stream = mpcore.stumpi(T[:n0], m, egress=egress, k=k)
    pos = n0
    for size in (1, 17, 1, 40, 3, 58, 30):  # single points and blocks
        stream.update(T[pos] if size == 1 else T[pos : pos + size])
        pos += size
        start = pos - n0 if egress else 0
        _check(stream, _reference(Tr[:pos], m, start, k, True, 2.0), k)


@pytest.mark.parametrize("kind", ["offset", "nearflat", "plateaus", "ulps", "tiny"])
def test_stumpi_ab_offset_and_near_flat(kind):
    # (plateaus: the reference's windows took an exact distance at every point, 4x a walk's
    # time, until the co-moments; tiny values had no distance)
    seed = {"offset": 4, "nearflat": 0, "plateaus": 7, "ulps": 8, "tiny": 9}[kind]
    R = _scale_stream(kind, 200, seed)
    T = _scale_stream(kind, 200, seed + 100)
    m, n0, k = 20, 40, 2
    stream = mpcore.stumpi_ab(T[:n0], m, R, k=k, egress=False)
    for s in range(n0, len(T), 15):
        stream.update(T[s : s + 15])
    level = _ULPS_LEVEL if kind == "ulps" else 0.0  # (see the self-join's test)
    D = naive.distance_matrix(T - level, m, R - level, True, 2.0).astype(float)
    P = naive.matrix_profile(D, k)[0]
    Pr = naive.matrix_profile(D.T, k)[0]
    np.testing.assert_allclose(stream.P_.reshape(-1, k), P.astype(float), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(stream.ref_P_.reshape(-1, k), Pr.astype(float), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("kind", ["offset", "nearflat", "drift", "spike", "plateaus"])
@pytest.mark.parametrize("normalize, p", [(True, 2.0), (False, 2.0), (False, 1.0)])
@pytest.mark.parametrize("block", [True, False])
def test_streamed_dot_products_stay_within_their_bound(small_parts, kind, normalize, p, block):
    # the invariant the filter rests on, after thousands of points (chains refreshed every few
    # m columns, the series re-centered as the buffers move).  p-norms (p = 1, 2): the sums of
    # |x - y|^p of the series' own windows, |QT[w] - exact| <= 6.5 u (m + 2) QE[w] (sb_psum),
    # QE what the column's chain took in, and within 2^-20 of QT itself (sb_preseed);
    # z-normalized, the co-moments of the deviations from the means: |X[w] - exact| <=
    # al Z_w + ga (sb_zbound), Z_w from the largest norm of the deviations and step terms of
    # the windows the column's chain went through, al and ga from the new window's
    m = 12
    if kind == "spike":
        T = np.random.default_rng(35).standard_normal(4000) * 1e-3
        T[[1000, 3500]] = 1e5
    else:
        T = _scale_stream(kind, 4000, seed=34)
    T = T if block else T[:1300]  # (one point a call: fewer points)
    stream = _replayed(mpcore.stumpi(T[:300], m, egress=True, normalize=normalize, p=p),
                       T[300:], block)
    a, n = stream._a, stream._n
    l = n - m + 1
    Tc = stream._Tcbuf[a : a + n]
    np.testing.assert_array_equal(Tc, (T[-n:] - stream._center) * stream._scale)
    W = np.lib.stride_tricks.sliding_window_view(Tc.astype(np.longdouble), m)
    h = mpcore._stream.REFRESH_PER_M * m + 1  # a chain's reach: R + 1 windows back
    u = 2.0**-53
    rss = stream._rss[a : a + l]
    sbar = stream._sbar[a : a + l]
    if normalize:
        # the deviations from the stored two-part means
        mu = stream._mu[a : a + l].astype(np.longdouble) + stream._mc[a : a + l]
        D = W - mu[:, None]
        dev = np.sqrt((D * D).sum(axis=1)).astype(float)
        assert (rss >= dev).all()
        E = W - W.mean(axis=1)[:, None]  # from the exact means
        exact = E @ E[-1]
        R, g = h - 1, stream._gbase
        starts = [max(0, w - (w + g) % R) for w in range(l)]  # the last direct column
        # each window's entering transition's G bounds its |df| and |dg|
        df, dg = stream._df[a : a + l - 1], stream._dg[a : a + l - 1]
        gin = np.concatenate([[0.0], np.maximum(np.abs(df), np.abs(dg))])
        cbar, cgbar, czbar, sgbar = (getattr(stream, f"_{x}")[a : a + l]
                                     for x in ("cbar", "cgbar", "czbar", "sgbar"))
        for w in range(l):
            assert cbar[w] >= rss[starts[w] : w + 1].max()
            assert cgbar[w] >= gin[starts[w] + 1 : w + 1].max(initial=0.0)
            assert sgbar[w] >= gin[max(0, w - h) : w + 1].max()
        al, ga, v = mpcore._stream.pair_zbound(m, stream._M, sbar[-1], sgbar[-1])
        assert v == pytest.approx(6 / math.sqrt(2), rel=1e-12)
        np.testing.assert_allclose(czbar, math.sqrt(2) * cbar + v * cgbar, rtol=1e-15)
        # as derived (sb_zbound), at a refresh period of a few m: u R Z_q a column's Z
        sz = math.sqrt(2) * sbar[-1] + v * sgbar[-1]
        assert al <= u * (4 * m + m / 8 + 4 + 4 * math.sqrt(m)) * sz * 1.01 + 1e-40
        bound = al * czbar + ga
    else:
        V = np.lib.stride_tricks.sliding_window_view(T[-n:].astype(np.longdouble), m)
        exact = (np.abs(V - V[-1]) ** p).sum(axis=1)
        assert mpcore._stream.pdiff_coef(m) == 6.5 * u * (m + 2)
        bound = mpcore._stream.pdiff_coef(m) * stream._QE[a : a + l]
        # tight: within 2^-20 of the value (the rest are summed afresh), and on a plateau
        # nearly exact, where the centered values' dot products had a bound of ~1e-8
        assert (bound <= 2.0**-20 * stream._QT[a : a + l]).all()
    if normalize:
        assert all(sbar[w] >= rss[max(0, w - h) : w + 1].max() * (1 - 1e-14)
                   for w in range(h, l))
    err = np.abs(stream._QT[a : a + l] - exact).astype(float)
    assert (err <= bound).all()
    # and it is tight where the deviations are small: on a plateau a correlation's bound is
    # under 1e-10; the centered values' dot products had one of about 100 there (every pair
    # took an exact distance), and one-double means one of 4e-5
    if kind == "plateaus" and normalize:
        sig = stream._sig[a : a + l]
        calm = (cbar < 1e-6) & (sbar[-1] < 1e-6)
        assert calm.sum() > l // 4
        assert (bound[calm] / (m * sig[calm] * sig[-1]) < 1e-10).all()
