"""An executor that leaves the host idle (a GPU, a Dask cluster) runs beside the exact steps'
series facts (_pipeline.matrix_profile's ``beside``): the facts are computed once, while the
executor runs, and the result is bitwise the one computed after it."""
import threading

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

    def fake_run_gpu(job, device_ids):
        seen.append(device_ids)
        assert facts_log["done"].wait(60)
        return _pipeline.run_threads(job, 2)

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
