"""Ctrl-C and worker errors surface as the right exception, whatever moment they arrive."""
import threading

import numpy as np
import pytest
from conftest import random_walk

import mpcore
from mpcore import _pipeline


class _Boom(RuntimeError):
    pass


def _thread_class(fail_on_start: int, started: list):
    """A Thread whose ``fail_on_start``-th start() raises KeyboardInterrupt before starting, as a
    Ctrl-C arriving between two starts does; every thread that does start is recorded."""
    count = [0]

    class Thread(threading.Thread):
        def start(self):
            count[0] += 1
            if count[0] == fail_on_start:
                raise KeyboardInterrupt
            super().start()
            started.append(self)

    return Thread


@pytest.mark.parametrize("fail_on_start", [1, 2, 3])
def test_ctrl_c_between_thread_starts(monkeypatch, fail_on_start):
    started: list = []
    monkeypatch.setattr(_pipeline.threading, "Thread", _thread_class(fail_on_start, started))
    monkeypatch.setattr(_pipeline, "CALLER_WORK_CELLS", 0)  # every worker on its own thread
    T = random_walk(3000, seed=1)
    with pytest.raises(KeyboardInterrupt):  # not RuntimeError("cannot join thread ...")
        mpcore.stump(T, 20, n_threads=4)
    assert len(started) == fail_on_start - 1
    assert not any(t.is_alive() for t in started)  # the started ones were stopped and joined
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
    real = _pipeline._exact.refine
    calls = [0]

    def refine(*args):
        calls[0] += 1
        if calls[0] == n_threads:  # the last share fails
            raise _Boom("refine failed")
        return real(*args)

    monkeypatch.setattr(_pipeline._exact, "refine", refine)
    T = random_walk(5000, seed=4)  # l * m * k large enough for threaded refinement
    with pytest.raises(_Boom, match="refine failed"):
        mpcore.stump(T, 100, k=2, n_threads=n_threads)
    assert calls[0] == n_threads


def test_ctrl_c_while_starting_refine_threads(monkeypatch):
    started: list = []
    monkeypatch.setattr(_pipeline.threading, "Thread", _thread_class(2, started))
    monkeypatch.setattr(_pipeline, "CALLER_WORK_CELLS", 1 << 40)  # search inline: no Thread
    with pytest.raises(KeyboardInterrupt):
        mpcore.stump(random_walk(5000, seed=5), 100, k=2, n_threads=3)
    assert len(started) == 1 and not started[0].is_alive()


def test_results_identical_inline_or_threaded(monkeypatch):
    T = random_walk(1500, seed=6)
    T[700:740] = 3.0
    inline = mpcore.stump(T, 24, k=2, n_threads=2)
    monkeypatch.setattr(_pipeline, "CALLER_WORK_CELLS", 0)
    threaded = mpcore.stump(T, 24, k=2, n_threads=2)
    np.testing.assert_array_equal(np.asarray(inline), np.asarray(threaded))
