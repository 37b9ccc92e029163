"""An executor that leaves the host idle (a GPU, a Dask cluster) runs beside the exact steps'
series facts (_pipeline.matrix_profile's ``beside``): the facts are computed once, while the
executor runs, and the result is bitwise the one computed after it."""
import functools
import threading
import time

import numpy as np
import pytest
from conftest import dask_client, random_walk

import mpcore
from mpcore import _gpu, _gpu_api, _pipeline

# l * m * 2k at least twice REFINE_VALUES_PER_THREAD: finalize takes the general path, which
# uses the facts (a smaller job takes finalize_small and needs none)
N, M = 40_000, 64


def _series(kind):
    if kind == "walk":
        return random_walk(N, seed=11)
    T = random_walk(N, seed=12)
    T[3000:3400] = 5.0  # constant windows
    T[9000:9600] = np.tile(np.sin(np.arange(100) / 7.0), 6)  # identical windows: classes
    T[15000] = np.nan
    T[30000:30500] = T[20000:20500]  # an exact repeat
    return T


def _call(beside, kind, ab, normalize, k, executor=None):
    T = _series(kind)
    B = random_walk(7000, seed=13) if ab else None
    ex = executor or (lambda job: _pipeline.run_threads(job, 2))
    return _pipeline.matrix_profile(T, M, B, not ab, normalize, 2.0, k, None, None, ex, 2,
                                    beside=beside)


def _same(a, b):
    assert a.shape == b.shape
    for col in range(a.shape[1]):
        x = np.asarray(a[:, col], dtype=np.float64)
        y = np.asarray(b[:, col], dtype=np.float64)
        np.testing.assert_array_equal(x, y)


@pytest.fixture
def facts_log(monkeypatch):
    """Which thread ran each series_facts call, and an event set when one has finished."""
    log = {"threads": [], "done": threading.Event()}
    real = _pipeline.series_facts

    def spy(job, n_threads, cache):
        log["threads"].append(threading.get_ident())
        out = real(job, n_threads, cache)
        log["done"].set()
        return out

    monkeypatch.setattr(_pipeline, "series_facts", spy)
    return log


@pytest.mark.parametrize("kind", ["walk", "hard"])
@pytest.mark.parametrize("ab", [False, True])
@pytest.mark.parametrize("normalize,k", [(True, 1), (True, 3), (False, 1)])
def test_beside_gives_the_same_bits(facts_log, kind, ab, normalize, k):
    got = _call(True, kind, ab, normalize, k)
    assert len(facts_log["threads"]) == 1  # beside, and not again in finalize
    want = _call(False, kind, ab, normalize, k)
    assert len(facts_log["threads"]) == 2  # (finalize's own)
    _same(got, want)


def test_facts_run_while_the_executor_waits(facts_log):
    """The executor here waits until the facts are done: it returns only if they ran beside
    it; finalize then reuses them instead of computing them again."""
    def idle_executor(job):
        assert facts_log["done"].wait(60), "the series facts did not run beside the executor"
        return _pipeline.run_threads(job, 2)

    got = _call(True, "hard", False, True, 1, idle_executor)
    assert len(facts_log["threads"]) == 1
    _same(got, _call(False, "hard", False, True, 1))


def test_small_jobs_stay_on_one_path(facts_log):
    """A job finalize_small takes needs no facts: nothing runs beside it."""
    T = random_walk(2000, seed=3)
    got = _pipeline.matrix_profile(T, 32, None, True, True, 2.0, 1, None, None,
                                   lambda job: _pipeline.run_threads(job, 2), 2, beside=True)
    assert facts_log["threads"] == []
    _same(got, mpcore.stump(T, 32))


@pytest.mark.parametrize("which", ["executor", "facts"])
def test_an_error_on_either_side_is_raised(monkeypatch, which):
    def broken(*args, **kwargs):
        raise RuntimeError(f"broken {which}")

    if which == "facts":
        monkeypatch.setattr(_pipeline, "series_facts", broken)
        executor = None
    else:
        executor = broken
    with pytest.raises(RuntimeError, match=f"broken {which}"):
        _call(True, "walk", False, True, 1, executor)


def test_gpu_stump_runs_its_executor_beside_the_facts(monkeypatch, facts_log):
    """gpu_stump's wiring, without a GPU: its executor (here the CPU one, in run_gpu's place)
    runs beside the facts, and the result is stump's."""
    seen = []

    def fake_run_gpu(job, device_ids, rows_done):
        seen.append(device_ids)
        assert facts_log["done"].wait(60)
        tables = _pipeline.merge(job, _pipeline.run_threads(job, 2))
        rows_done(tables, 0)  # (every row at once: the CPU's executor runs bands, not rows)
        rows_done(tables, job.series[0].l)
        return [tables]

    monkeypatch.setattr(_gpu_api, "run_gpu", fake_run_gpu)
    T = _series("hard")
    got = mpcore.gpu_stump(T, M, device_id=[0])
    assert seen == [[0]] and len(facts_log["threads"]) == 1
    _same(got, mpcore.stump(T, M))


def test_stumped_runs_beside_the_facts(facts_log):
    """stumped's client waits on the cluster: the facts run meanwhile, the result is stump's,
    bitwise (here on a cluster of threads, where the facts' thread competes with the workers
    for the same cores: slower, but the wiring is the same)."""
    T = _series("hard")
    with dask_client(processes=False) as client:
        got = mpcore.stumped(client, T, M)
    assert len(facts_log["threads"]) == 1
    _same(got, mpcore.stump(T, M))


@pytest.mark.skipif(_gpu.gpu_available(), reason="a GPU is available")
def test_gpu_stump_without_a_gpu_still_raises():
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        mpcore.gpu_stump(_series("walk"), M)


# --- a self-join's rows refined as the GPU finishes them (matrix_profile's in_rows) -------


def _scores(mode, m, p, TX, lX, wX, TY, lY, wY):
    """The kernels' scores of every pair, plainly: Pearson correlation (mode 0), minus the
    squared distance (1), minus the sum of |x - y|**p (2); NaN where a window is unusable
    (its inverse norm is NaN)."""
    X = np.lib.stride_tricks.sliding_window_view(TX[: lX + m - 1], m)
    Y = np.lib.stride_tricks.sliding_window_view(TY[: lY + m - 1], m)
    with np.errstate(all="ignore"):
        if mode == 0:
            zx = (X - X.mean(1, keepdims=True)) / X.std(1, keepdims=True)
            zy = (Y - Y.mean(1, keepdims=True)) / Y.std(1, keepdims=True)
            S = zx @ zy.T / m
        elif mode == 1:
            S = -((X * X).sum(1)[:, None] + (Y * Y).sum(1)[None, :] - 2 * X @ Y.T)
        else:
            S = -(np.abs(X[:, None, :] - Y[None, :, :]) ** p).sum(2)
    S[np.isnan(wX[:lX])] = np.nan
    S[:, np.isnan(wY[:lY])] = np.nan
    return S


def _offer(score, idx, S, I, k, later):
    """Each line's k best of its entries (score, idx) and the candidates (S, I), in the
    tables' order: higher score first, then the lower index (the higher with ``later``)."""
    P = np.concatenate([score.reshape(-1, k), S], axis=1)
    J = np.concatenate([idx.reshape(-1, k), I], axis=1)
    P = np.where((J >= 0) & ~np.isnan(P), P, -np.inf)
    J = np.where(P > -np.inf, J, -1)
    for r in range(P.shape[0]):
        o = np.lexsort(((-J[r] if later else J[r]), -P[r]))[:k]
        keep = P[r, o] > -np.inf
        score[r * k : (r + 1) * k] = np.where(keep, P[r, o], -np.inf)
        idx[r * k : (r + 1) * k] = np.where(keep, J[r, o], -1)


def fake_run_pass(device, mode, m, p, lX, X_T, X_mu, X_df, X_dg, X_w, lY, Y_T, Y_mu, Y_df,
                  Y_dg, Y_w, d_start, d_stop, row_score=None, row_idx=None, col_score=None,
                  col_idx=None, k=1, row_hint=None, col_hint=None, row_later=False,
                  col_later=False):
    """_gpu.run_pass's contract in NumPy (the hints, which only skip cells, ignored)."""
    S = _scores(mode, m, p, X_T, lX, X_w, Y_T, lY, Y_w)
    r, c = np.indices(S.shape)
    S[(c - r < d_start) | (c - r >= d_stop)] = np.nan
    if row_score is not None:
        _offer(row_score, row_idx, S, c, k, row_later)
    if col_score is not None:
        _offer(col_score, col_idx, S.T.copy(), r.T.copy(), k, col_later)


@pytest.fixture
def fake_gpu(monkeypatch):
    """Two fake devices that run _gpu.run_pass's contract on the CPU, in ranges of 64 rows
    (a small re-seed interval: small series then make several ranges), finalize's general
    path for every size.  The log lists each pass's (lX, lY) and the rows refined."""
    log = {"passes": [], "refined": []}

    def logged_pass(*args, **kwargs):
        log["passes"].append((args[4], args[10]))
        return log.get("pass", fake_run_pass)(*args, **kwargs)

    real_refine = _pipeline.Rows.refine

    def logged_refine(self, a, b):
        log["refined"].append((a, b))
        return real_refine(self, a, b)

    monkeypatch.setattr(_gpu_api, "gpu_available", lambda: True)
    monkeypatch.setattr(_gpu, "device_count", lambda: 2)
    monkeypatch.setattr(_gpu, "run_pass", logged_pass)
    monkeypatch.setattr(_gpu_api, "RESEED_ROWS", 64)
    monkeypatch.setattr(_pipeline, "_finalizes_small", lambda *args: False)
    monkeypatch.setattr(_pipeline.Rows, "refine", logged_refine)
    return log


def _hard_small(n, seed):
    T = random_walk(n, seed=seed)
    T[100:160] = 2.0  # constant windows
    T[300:420] = np.tile(np.sin(np.arange(40) / 3.0), 3)  # identical windows: classes
    T[500] = np.nan
    T[700:780] = T[900:980]  # an exact repeat
    T[1100:1130] = 7.0 + 1e-9 * np.sin(np.arange(30))  # near-flat windows
    return T


@pytest.mark.parametrize("ranges", [1, 3, 8])
@pytest.mark.parametrize("kind", ["walk", "hard"])
@pytest.mark.parametrize("normalize,k,p", [(True, 1, 2.0), (True, 3, 2.0), (False, 1, 2.0),
                                           (False, 2, 1.0)])
@pytest.mark.parametrize("devices", [[0], [0, 1]])
def test_rows_refined_in_ranges_give_the_same_bits(fake_gpu, monkeypatch, ranges, kind,
                                                   normalize, k, p, devices):
    """gpu_stump/gpu_aamp in ranges of rows (1, 3, 8: the last ranges short of 64 rows or
    empty of cells) on one or two devices: the result is the one of a whole pass finalized
    after it, bitwise, and the CPU's."""
    monkeypatch.setattr(_gpu_api, "ROW_RANGES", ranges)
    n, m = 1400, 20
    T = random_walk(n, seed=5) if kind == "walk" else _hard_small(n, seed=6)
    call = mpcore.gpu_stump if normalize else mpcore.gpu_aamp
    got = call(T, m, device_id=devices, k=k, p=p)
    l = n - m + 1
    cuts = _gpu_api._row_cuts(l, ranges)
    assert len(fake_gpu["passes"]) >= len(devices) * (len(cuts) - 2)  # a range a pass
    assert fake_gpu["refined"][-1][1] == l and len(fake_gpu["refined"]) <= len(cuts) - 1
    executor = functools.partial(_gpu_api.run_gpu, device_ids=devices)
    whole = _pipeline.matrix_profile(T, m, None, True, normalize, p, k, None, None, executor,
                                     beside=True)  # (in_rows False: one pass, then finalize)
    _same(got, whole)
    cpu = mpcore.stump(T, m, k=k) if normalize else mpcore.aamp(T, m, p=p, k=k)
    _same(got, cpu)


def test_rows_are_refined_while_the_gpu_runs(fake_gpu, monkeypatch):
    """Each range's pass waits until the host has refined the range before the one before it
    (ranges 3 on): it returns only if the host works beside the GPU."""
    monkeypatch.setattr(_gpu_api, "ROW_RANGES", 6)
    refined = []
    real_refine = _pipeline.Rows.refine

    def refine(self, a, b):
        real_refine(self, a, b)
        refined.append(b)

    def waiting_pass(*args, **kwargs):
        ranges_run = len(fake_gpu["passes"]) - 1  # (this one logged already)
        if ranges_run >= 2:
            cuts = _gpu_api._row_cuts(1400 - 20 + 1, 6)
            deadline = time.monotonic() + 60
            while not (refined and refined[-1] >= cuts[ranges_run - 1]):
                assert time.monotonic() < deadline, "the host did not refine beside the GPU"
                time.sleep(0.001)
        fake_run_pass(*args, **kwargs)

    monkeypatch.setattr(_pipeline.Rows, "refine", refine)
    fake_gpu["pass"] = waiting_pass
    T = _hard_small(1400, seed=7)
    _same(mpcore.gpu_stump(T, 20), mpcore.stump(T, 20))
    assert len(refined) >= 3


@pytest.mark.parametrize("where", ["gpu", "host"])
def test_an_error_on_either_side_stops_both(fake_gpu, monkeypatch, where):
    """An error in a range's pass, or in the host's refinement, is raised (no hang); after a
    host error the GPU starts no further range."""
    monkeypatch.setattr(_gpu_api, "ROW_RANGES", 8)

    def broken(*args, **kwargs):
        raise RuntimeError(f"broken {where}")

    if where == "gpu":
        fake_gpu["pass"] = lambda *a, **kw: (broken() if len(fake_gpu["passes"]) == 3
                                             else fake_run_pass(*a, **kw))
    else:
        started = threading.Event()

        def slow_pass(*args, **kwargs):
            fake_run_pass(*args, **kwargs)
            if len(fake_gpu["passes"]) >= 2:
                assert started.wait(60)

        def refine(self, a, b):
            started.set()
            broken()

        fake_gpu["pass"] = slow_pass
        monkeypatch.setattr(_pipeline.Rows, "refine", refine)
    with pytest.raises(RuntimeError, match=f"broken {where}"):
        mpcore.gpu_stump(random_walk(1400, seed=8), 20)
    ranges = len(_gpu_api._row_cuts(1400 - 20 + 1, 8)) - 1
    assert len(fake_gpu["passes"]) < ranges


@pytest.mark.parametrize("k", [1, 3])
def test_a_range_merges_into_its_rows_with_its_indices_shifted(k):
    """What a range's pass gives (fresh tables, indices r0 lower) merges into rows [r0, r1) of
    the job's tables as if its indices had been global; tables of other shapes are refused."""
    from mpcore import _engine
    from mpcore._prepare import Table

    rng = np.random.default_rng(3)
    l, r0, r1 = 50, 20, 35
    dst, want, part = Table(l, k, later=True), Table(l, k, later=True), Table(r1 - r0, k)
    for t in (dst, want):  # the same entries so far
        t.P[:] = np.sort(rng.integers(0, 4, (l, k)), axis=1)[:, ::-1].ravel() / 4
        t.I[:] = rng.integers(0, l, l * k)
    want.P[:], want.I[:] = dst.P, dst.I
    part.P[:] = np.sort(rng.integers(0, 4, (r1 - r0, k)), axis=1)[:, ::-1].ravel() / 4
    part.I[:] = rng.integers(0, l - r0, (r1 - r0) * k)
    part.I[::4] = -1  # empty slots stay empty
    glob = Table(r1 - r0, k)
    glob.P[:], glob.I[:] = part.P, np.where(part.I >= 0, part.I + r0, -1)
    _engine.merge_into(dst.rows(r0, r1), part, r0)
    _engine.merge_into(want.rows(r0, r1), glob)
    np.testing.assert_array_equal(dst.P, want.P)
    np.testing.assert_array_equal(dst.I, want.I)
    with pytest.raises(ValueError, match="differ in shape"):
        _engine.merge_into(dst.rows(r0, r1 + 1), part, r0)


def test_the_gpu_waits_for_no_merge(fake_gpu, monkeypatch):
    """Range i's tables are merged while range i + 1 runs: here each merge of a range's
    tables waits until the next range's pass has begun (it never returns if the GPU's thread
    merges between two passes), and the result is still stump's."""
    from mpcore import _engine

    monkeypatch.setattr(_gpu_api, "ROW_RANGES", 6)
    l = 1400 - 20 + 1
    cuts = _gpu_api._row_cuts(l, 6)
    real_merge = _engine.merge_into
    waited = []

    def merge_into(dst, src, shift=0):
        if shift > 0:  # a range's own tables (the host's merges have no shift)
            i = cuts.index(shift)
            if i + 1 < len(cuts) - 1:  # not the last range: the next one's pass runs
                deadline = time.monotonic() + 30
                while len(fake_gpu["passes"]) < i + 2:
                    assert time.monotonic() < deadline, "the GPU waited for a merge"
                    time.sleep(0.001)
                waited.append(i)
        return real_merge(dst, src, shift)

    monkeypatch.setattr(_engine, "merge_into", merge_into)
    T = _hard_small(1400, seed=9)
    _same(mpcore.gpu_stump(T, 20, device_id=[0]), mpcore.stump(T, 20))
    assert sorted(set(waited)) == list(range(1, len(cuts) - 2))


@pytest.mark.parametrize("devices", [[0], [0, 1]])
def test_each_range_starts_from_the_best_so_far(fake_gpu, monkeypatch, devices):
    """A range's column thresholds (the hints it is given) are at least each column's best
    over every earlier range's rows, the range just before included (its tables are merged
    only while this range runs), and never above the final best: a pass that skips every
    cell under its hints, as the kernel does, still gives stump's result."""
    monkeypatch.setattr(_gpu_api, "ROW_RANGES", 5)
    n, m = 1400, 20
    T = random_walk(n, seed=10)
    seen = []

    def honouring_pass(device, mode, m_, p, lX, X_T, X_mu, X_df, X_dg, X_w, lY, Y_T, Y_mu,
                       Y_df, Y_dg, Y_w, d_start, d_stop, row_score=None, row_idx=None,
                       col_score=None, col_idx=None, k=1, row_hint=None, col_hint=None,
                       row_later=False, col_later=False):
        seen.append((lY, col_hint.copy()))
        S = _scores(mode, m_, p, X_T, lX, X_w, Y_T, lY, Y_w)
        r, c = np.indices(S.shape)
        S[(c - r < d_start) | (c - r >= d_stop)] = np.nan
        Sc = S.copy()  # (each side skips the cells under its own hint, as the kernel does)
        S[S < row_hint[:lX, None]] = np.nan
        Sc[Sc < col_hint[None, :lY]] = np.nan
        _offer(row_score, row_idx, S, c, k, row_later)
        _offer(col_score, col_idx, Sc.T.copy(), r.T.copy(), k, col_later)

    fake_gpu["pass"] = honouring_pass
    got = mpcore.gpu_stump(T, m, device_id=devices)
    _same(got, mpcore.stump(T, m))
    l = n - m + 1
    X = np.lib.stride_tricks.sliding_window_view(T, m)
    Z = (X - X.mean(1, keepdims=True)) / X.std(1, keepdims=True)
    S = Z @ Z.T / m
    r, c = np.indices(S.shape)
    excl = int(np.ceil(m / 4))
    S[c - r <= excl] = -np.inf  # a column's left side: rows before its exclusion zone
    cuts = _gpu_api._row_cuts(l, 5)
    assert len(seen) >= len(cuts) - 1
    for r0 in cuts[1:-1]:
        best = S[:r0, r0:].max(axis=0)  # each column's best over the rows of earlier ranges
        hints = [h for ly, h in seen if ly == l - r0]
        assert hints
        for h in hints:
            assert (h[: l - r0] >= best - 1e-12).all()
    final = S.max(axis=0)
    for ly, h in seen:
        assert (h[:ly] <= final[l - ly :] + 1e-9).all()


def test_near_flat_windows_cost_the_gpu_one_seeds_pass(fake_gpu, monkeypatch):
    """The GPU's near-flat rule (windows the kernel cannot rank take the exact path) is
    applied before the seeds are taken, not after (which took the seeds' pass twice)."""
    from mpcore import _prepare

    calls = []
    real = _prepare.seed_thresholds

    def counted(job):
        calls.append(job)
        return real(job)

    monkeypatch.setattr(_prepare, "seed_thresholds", counted)
    T = _hard_small(1400, seed=11)  # (its near-flat windows: 1100..1130)
    got = mpcore.gpu_stump(T, 20)
    assert len(calls) == 1
    assert np.isnan(calls[0].series[0].w[1100])  # the seeds saw the rule applied
    _same(got, mpcore.stump(T, 20))
