"""Ctrl-C and worker errors surface as the right exception, whatever moment they arrive."""
import numpy as np
import pytest
from conftest import random_walk

import mpcore
from mpcore import _pipeline, _threads


class _Boom(RuntimeError):
    pass


def _failing_submit(monkeypatch, fail_on: int, handed: list):
    """Make the ``fail_on``-th hand-over of work to a pool thread raise KeyboardInterrupt
    before it happens, as a Ctrl-C arriving between two hand-overs does; every task handed
    over is recorded."""
    real = _threads._Pool.submit
    count = [0]

    def submit(self, fn):
        count[0] += 1
        if count[0] == fail_on:
            raise KeyboardInterrupt
        task = real(self, fn)
        handed.append(task)
        return task

    monkeypatch.setattr(_threads._Pool, "submit", submit)


def _no_busy_pool_thread():
    return _threads.pool_threads()[1] == 0


@pytest.mark.parametrize("fail_on", [1, 2, 3])
def test_ctrl_c_between_hand_overs(monkeypatch, fail_on):
    handed: list = []
    _failing_submit(monkeypatch, fail_on, handed)
    monkeypatch.setattr(_pipeline, "CALLER_WORK_CELLS", 0)  # every worker on a pool thread
    T = random_walk(3000, seed=1)
    with pytest.raises(KeyboardInterrupt):
        mpcore.stump(T, 20, n_threads=4)
    assert len(handed) == fail_on - 1
    # the tasks handed over were dropped or ran to their end (the cancel flag raised)
    assert all(t.done.is_set() for t in handed)
    assert _no_busy_pool_thread()
    monkeypatch.undo()
    np.testing.assert_array_equal(mpcore.stump(T, 20, n_threads=4).I_,
                                  mpcore.stump(T, 20, n_threads=1).I_)


@pytest.mark.parametrize("inline", [True, False])
def test_worker_error_surfaces(monkeypatch, inline):
    real = _pipeline._engine.run_worker
    calls = [0]

    def run_worker(*args):
        calls[0] += 1
        if calls[0] == 2:
            raise _Boom("worker 2 failed")
        return real(*args)

    monkeypatch.setattr(_pipeline._engine, "run_worker", run_worker)
    if not inline:
        monkeypatch.setattr(_pipeline, "CALLER_WORK_CELLS", 0)
    with pytest.raises(_Boom, match="worker 2"):
        mpcore.stump(random_walk(2000, seed=2), 16, n_threads=3)


def test_ctrl_c_in_the_callers_share(monkeypatch):
    """A KeyboardInterrupt raised while the caller's thread runs its share of a small job."""
    def run_worker(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(_pipeline._engine, "run_worker", run_worker)
    with pytest.raises(KeyboardInterrupt):
        mpcore.stump(random_walk(500, seed=3), 16, n_threads=2)


@pytest.mark.parametrize("n_threads", [2, 4])
def test_refine_worker_error_surfaces(monkeypatch, n_threads):
    real = _pipeline._exact.refine_select
    calls = [0]

    def refine_select(*args):
        calls[0] += 1
        if args[10] == args[7].shape[0]:  # the block that ends the rows fails, whoever runs it
            raise _Boom("refine failed")
        return real(*args)

    monkeypatch.setattr(_pipeline._exact, "refine_select", refine_select)
    T = random_walk(5000, seed=4)  # l * m * k large enough for threaded refinement
    with pytest.raises(_Boom, match="refine failed"):
        mpcore.stump(T, 100, k=2, n_threads=n_threads)
    assert 1 <= calls[0] <= 4 * n_threads  # (rows in 4 blocks per thread)
    assert _no_busy_pool_thread()


def test_ctrl_c_while_handing_refine_blocks(monkeypatch):
    handed: list = []
    monkeypatch.setattr(_pipeline, "CALLER_WORK_CELLS", 1 << 40)  # search: caller + 2 tasks
    _failing_submit(monkeypatch, 3, handed)  # the 3rd hand-over is the refinement's first
    with pytest.raises(KeyboardInterrupt):
        mpcore.stump(random_walk(5000, seed=5), 100, k=2, n_threads=3)
    assert len(handed) == 2 and all(t.done.is_set() for t in handed)
    assert _no_busy_pool_thread()


def test_results_identical_inline_or_threaded(monkeypatch):
    T = random_walk(1500, seed=6)
    T[700:740] = 3.0
    inline = mpcore.stump(T, 24, k=2, n_threads=2)
    monkeypatch.setattr(_pipeline, "CALLER_WORK_CELLS", 0)
    threaded = mpcore.stump(T, 24, k=2, n_threads=2)
    np.testing.assert_array_equal(np.asarray(inline), np.asarray(threaded))
