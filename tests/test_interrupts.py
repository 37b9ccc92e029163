"""Ctrl-C and worker errors surface as the right exception, whatever moment they arrive."""
import random
import signal
import threading
import time

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
    real = _threads._Pool.start
    count = [0]

    def start(self, task):
        count[0] += 1
        if count[0] == fail_on:
            raise KeyboardInterrupt
        real(self, task)
        handed.append(task)

    monkeypatch.setattr(_threads._Pool, "start", start)


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
    assert all(t.ended() for t in handed)
    assert _no_busy_pool_thread()
    monkeypatch.undo()
    np.testing.assert_array_equal(mpcore.stump(T, 20, n_threads=4).I_,
                                  mpcore.stump(T, 20, n_threads=1).I_)


@pytest.mark.parametrize("inline", [True, False])
def test_worker_error_surfaces(monkeypatch, inline):
    real = _pipeline._engine.run_worker

    def run_worker(*args):
        if _threads.in_pool():
            raise _Boom("a pool worker failed")
        time.sleep(0.2)  # the caller's own share starts late: a pool worker surely begins
        return real(*args)

    monkeypatch.setattr(_pipeline._engine, "run_worker", run_worker)
    if not inline:
        monkeypatch.setattr(_pipeline, "CALLER_WORK_CELLS", 0)
    with pytest.raises(_Boom, match="a pool worker failed"):
        mpcore.stump(random_walk(2000, seed=2), 16, n_threads=3)
    assert _no_busy_pool_thread()


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
    monkeypatch.setattr(_pipeline, "REFINE_VALUES_PER_THREAD", 50_000)  # threaded refinement
    T = random_walk(5000, seed=4)
    with pytest.raises(_Boom, match="refine failed"):
        mpcore.stump(T, 100, k=2, n_threads=n_threads)
    assert 1 <= calls[0] <= 4 * n_threads  # (rows in 4 blocks per thread)
    assert _no_busy_pool_thread()


def test_ctrl_c_while_handing_refine_blocks(monkeypatch):
    handed: list = []
    monkeypatch.setattr(_pipeline, "CALLER_WORK_CELLS", 1 << 40)  # search: caller + 2 tasks
    monkeypatch.setattr(_pipeline, "REFINE_VALUES_PER_THREAD", 50_000)  # threaded refinement
    _failing_submit(monkeypatch, 3, handed)  # the 3rd hand-over is the refinement's first
    with pytest.raises(KeyboardInterrupt):
        mpcore.stump(random_walk(5000, seed=5), 100, k=2, n_threads=3)
    assert len(handed) == 2 and all(t.ended() for t in handed)
    assert _no_busy_pool_thread()


def test_results_identical_inline_or_threaded(monkeypatch):
    T = random_walk(1500, seed=6)
    T[700:740] = 3.0
    inline = mpcore.stump(T, 24, k=2, n_threads=2)
    monkeypatch.setattr(_pipeline, "CALLER_WORK_CELLS", 0)
    threaded = mpcore.stump(T, 24, k=2, n_threads=2)
    np.testing.assert_array_equal(np.asarray(inline), np.asarray(threaded))


class _Interrupt(KeyboardInterrupt):
    """What this module's SIGINT handler raises: a KeyboardInterrupt that cannot be pytest's."""


def _calls_under_fire(calls, seconds: float, seed: int) -> dict:
    """Run ``calls`` round-robin for ``seconds`` while another thread sends SIGINT to this
    (the main) thread at random moments, as a user pressing Ctrl-C does.  Each call must
    return or raise the handler's KeyboardInterrupt, nothing else; counts of both come back.
    The handler raises only while a call runs (once per call), so that this loop's own
    bookkeeping is never interrupted and nothing reaches pytest."""
    rng = random.Random(seed)
    main = threading.get_ident()
    stop = threading.Event()
    armed = [False]

    def fire():
        while not stop.is_set():
            time.sleep(rng.uniform(0.0005, 0.02))
            signal.pthread_kill(main, signal.SIGINT)

    def raise_interrupt(signum, frame):
        if armed[0]:
            armed[0] = False
            raise _Interrupt

    counts = {"returned": 0, "interrupted": 0}
    previous = signal.signal(signal.SIGINT, raise_interrupt)
    killer = threading.Thread(target=fire, daemon=True)
    try:
        killer.start()
        end = time.monotonic() + seconds
        i = 0
        while time.monotonic() < end:
            try:
                armed[0] = True
                calls[i % len(calls)]()
                armed[0] = False
                counts["returned"] += 1
            except _Interrupt:
                counts["interrupted"] += 1
            i += 1
    finally:
        armed[0] = False
        stop.set()
        killer.join()
        time.sleep(0.05)  # a signal still on its way lands here, disarmed
        signal.signal(signal.SIGINT, previous)
    return counts


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="POSIX only")
def test_ctrl_c_at_any_moment_raises_keyboardinterrupt_only():
    """Ctrl-C landing anywhere (a hand-over, a wait, a worker's start, the caller's own share)
    gives a KeyboardInterrupt: never another error (threading's Python-level waits can turn
    one into "release unlocked lock"), never a hang, and the pool is idle afterwards."""
    T = random_walk(2**15, seed=7)
    P = mpcore.stump(T[:4000], 50).P_
    calls = [
        lambda: mpcore.stump(T[:6000], 50, n_threads=3),
        lambda: mpcore.match(T[100:150], T, max_distance=np.inf, max_matches=5),
        lambda: mpcore.motifs(T[:4049], P, max_motifs=20, cutoff=np.inf, max_distance=np.inf),
        lambda: mpcore.stump(T[:3000], 40, k=2, n_threads=2),
        lambda: mpcore.mass(T[:100], T),
    ]
    counts = _calls_under_fire(calls, 4.0, seed=8)
    assert counts["interrupted"] > 20 and counts["returned"] > 0, counts
    deadline = time.monotonic() + 5
    while not _no_busy_pool_thread() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _no_busy_pool_thread()
    np.testing.assert_array_equal(mpcore.stump(T[:6000], 50, n_threads=3).I_,
                                  mpcore.stump(T[:6000], 50, n_threads=1).I_)


def test_callers_thread_runs_no_python_level_threading_code(monkeypatch):
    """The rule behind the test above, checked exactly: while a threaded call runs, the
    caller's thread enters no Python code of ``threading``, ``queue`` or
    ``concurrent.futures`` (where a Ctrl-C can strike between two bytecodes of a wait and break
    a lock); it only acquires and releases raw locks, C calls that a signal interrupts whole."""
    import sys

    monkeypatch.setattr(_pipeline, "CALLER_WORK_CELLS", 0)  # every search on pool threads
    monkeypatch.setattr(_pipeline, "REFINE_VALUES_PER_THREAD", 50_000)  # threaded refinement
    T = random_walk(60_000, seed=9)  # long enough for the threaded FFT search (mass)
    short = T[:3000]
    seen = set()

    def profile(frame, event, arg):
        name = frame.f_code.co_filename.replace("\\", "/")
        if event == "call" and (name.endswith(("/threading.py", "/queue.py"))
                                or "/concurrent/" in name):
            seen.add((name.rsplit("/", 1)[-1], frame.f_code.co_name))

    sys.setprofile(profile)
    try:
        mpcore.stump(short, 30, n_threads=3)
        mpcore.stump(short, 30, k=3, n_threads=2)  # threaded refinement
        mpcore.mass(T[:100], T)  # FFTs beside the window statistics, two halves per profile
        mpcore.match(T[:200], T[:20_000], max_distance=np.inf, max_matches=3)
        mpcore.motifs(short, mpcore.stump(short, 30).P_, max_motifs=2)
        mpcore.snippets(short[:1200], 60, 2)
        mpcore.mstump(np.stack([short, short[::-1]]), 30)
        mpcore.scrump(short, 30, percentage=0.1, n_threads=2).update()
    finally:
        sys.setprofile(None)
    assert not seen, sorted(seen)
