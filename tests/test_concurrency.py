"""Many Python threads at once, Ctrl-C, cancellation from another thread, progress, and the
free-threaded build (GIL stays disabled after import)."""
import os
import signal
import sys
import sysconfig
import threading
import time
from concurrent.futures import CancelledError, ThreadPoolExecutor

import checks
import naive
import numpy as np
import pytest
from conftest import random_walk

import mpcore

STRESS_SECONDS = float(os.environ.get("MPCORE_STRESS_SECONDS", "60"))


def _mpcore_threads():
    """mpcore threads still at work: pool threads running a task (idle ones wait for the next
    call, see mpcore._threads), and any other thread mpcore started."""
    busy = mpcore._threads.pool_threads()[1]
    other = [t for t in threading.enumerate() if t.name.startswith("mpcore-") and t.is_alive()]
    return other + [f"{busy} busy pool thread(s)"] * (busy > 0)


def test_free_threaded_build_keeps_gil_disabled():
    if not sysconfig.get_config_var("Py_GIL_DISABLED"):
        pytest.skip("not a free-threaded CPython build")
    assert not sys._is_gil_enabled()


def test_concurrent_callers_match_sequential():
    T = random_walk(500, seed=1)
    B = random_walk(300, seed=2)
    calls = [
        lambda: mpcore.stump(T, 50, n_threads=2),
        lambda: mpcore.stump(T, 30, B, ignore_trivial=False, n_threads=1),
        lambda: mpcore.aamp(T, 40, p=1.0, n_threads=1),
        lambda: mpcore.stump(T, 20, k=3, n_threads=3),
        lambda: mpcore.mass(T[100:200], T),
    ]
    expected = [c() for c in calls]
    # the sequential results are right (brute force), so equal concurrent ones are right too
    checks.assert_profile(expected[0], T, 50)
    checks.assert_profile(expected[1], T, 30, B)
    checks.assert_profile(expected[2], T, 40, normalize=False, p=1.0)
    checks.assert_profile(expected[3], T, 20, k=3)
    Dref = naive.distance_matrix(T[100:200], 100, T)[0].astype(np.float64)
    np.testing.assert_allclose(expected[4], Dref, rtol=0, atol=1e-12 * Dref.max())
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(calls[i % len(calls)]) for i in range(40)]
        for i, f in enumerate(futures):
            got, want = f.result(), expected[i % len(calls)]
            if isinstance(want, np.ndarray) and want.dtype == object:
                np.testing.assert_array_equal(got.P_, want.P_)
                np.testing.assert_array_equal(got.I_, want.I_)
                np.testing.assert_array_equal(got.left_I_, want.left_I_)
                np.testing.assert_array_equal(got.right_I_, want.right_I_)
            else:
                np.testing.assert_array_equal(got, want)


@pytest.mark.slow
def test_stress_16_threads_mixed_calls():
    """16 threads hammer mixed calls on shared and private inputs for a bounded time."""
    shared = random_walk(2500, seed=3)
    shared.flags.writeable = False
    rng = np.random.default_rng(4)
    cases = []
    for i in range(6):
        T = shared if i % 2 else random_walk(800 + 300 * i, seed=10 + i)
        m = int(rng.integers(5, 60))
        kind = ["stump", "ab", "aamp", "topk", "mass", "aamp1"][i]
        cases.append((kind, T, m))

    def run(kind, T, m, n_threads):
        if kind == "stump":
            return mpcore.stump(T, m, n_threads=n_threads).P_
        if kind == "ab":
            return mpcore.stump(T, m, shared, ignore_trivial=False, n_threads=n_threads).P_
        if kind == "aamp":
            return mpcore.aamp(T, m, n_threads=n_threads).P_
        if kind == "aamp1":
            return mpcore.aamp(T, m, p=1.0, n_threads=n_threads).I_
        if kind == "topk":
            return mpcore.stump(T, m, k=2, n_threads=n_threads).I_
        return mpcore.mass(T[:m], shared)

    expected = [run(*c, 1) for c in cases]
    deadline = time.monotonic() + STRESS_SECONDS
    errors, counts = [], [0] * 16

    def hammer(tid):
        local = np.random.default_rng(tid)
        try:
            while time.monotonic() < deadline:
                i = int(local.integers(len(cases)))
                got = run(*cases[i], int(local.integers(1, 4)))
                np.testing.assert_array_equal(got, expected[i])
                counts[tid] += 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(t,)) for t in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(STRESS_SECONDS + 120)
        assert not t.is_alive(), "a caller thread hung"
    assert not errors, errors[0]
    assert min(counts) > 0 and sum(counts) >= 16
    assert not _mpcore_threads()


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_ctrl_c_stops_a_long_run_promptly():
    T = random_walk(2**20, seed=5)  # minutes of work on this machine
    small = random_walk(300, seed=6)
    before = mpcore.stump(small, 10)
    sent = []

    def interrupt():
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    # Python installs no SIGINT handler where SIGINT is ignored (a shell's background job):
    # install the default one, which raises KeyboardInterrupt, for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, interrupt)
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            mpcore.stump(T, 100, n_threads=2)
        stopped = time.perf_counter()
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert sent, "the run ended before the signal was sent"
    assert stopped - sent[0] < 0.5, f"took {stopped - sent[0]:.3f} s to stop"
    assert not _mpcore_threads(), "worker threads still running"
    # the next call works and is right
    after = mpcore.stump(small, 10)
    checks.assert_profile(after, small, 10)
    np.testing.assert_array_equal(after.I_, before.I_)


def test_cancel_from_another_thread():
    T = random_walk(2**19, seed=7)
    event = threading.Event()
    timer = threading.Timer(0.5, event.set)
    timer.start()
    start = time.perf_counter()
    with pytest.raises(CancelledError):
        mpcore.aamp(T, 64, n_threads=2, cancel=event)
    assert time.perf_counter() - start < 1.5
    timer.join()
    assert not _mpcore_threads()


def test_progress_bar(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # the plain stderr bar
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    T = random_walk(3000, seed=8)
    quiet = mpcore.stump(T, 30)
    loud = mpcore.stump(T, 30, progress=True)
    err = capsys.readouterr().err
    assert "100%" in err and "cells" in err
    np.testing.assert_array_equal(quiet.P_, loud.P_)
    mpcore.stump(T, 30)
    assert capsys.readouterr().err == ""


def test_cancel_set_before_the_call():
    event = threading.Event()
    event.set()
    T = random_walk(2**19, seed=9)
    for fn in (mpcore.stump, mpcore.aamp):
        start = time.perf_counter()
        with pytest.raises(CancelledError):
            fn(T, 64, n_threads=2, cancel=event)
        assert time.perf_counter() - start < 1.5, fn.__name__
        assert not _mpcore_threads()


def test_cancel_event_never_set_changes_nothing():
    T = random_walk(2000, seed=10)
    event = threading.Event()
    mp = mpcore.stump(T, 40, cancel=event)
    np.testing.assert_array_equal(mp.P_, mpcore.stump(T, 40).P_)
    np.testing.assert_array_equal(mp.I_, mpcore.stump(T, 40).I_)


def test_progress_bar_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    T = random_walk(3000, seed=8)
    quiet = mpcore.aamp(T, 30)
    capsys.readouterr()
    loud = mpcore.aamp(T, 30, progress=True)
    err = capsys.readouterr().err
    assert "mpcore: 100%|" in err and "cell/s" in err, err  # tqdm's bar, completed
    assert "% of" not in err  # not the plain fallback line
    np.testing.assert_array_equal(quiet.P_, loud.P_)
    mpcore.stump(T, 30, progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("egress", [False, True])
def test_one_stream_updated_from_two_threads(egress):
    """Two threads sharing one stumpi: each update holds the object's lock (_threads.Guarded),
    so no point is lost (15-42% of runs lost points without it, silently) and the profile is
    that of the series the object holds; reads meanwhile see whole updates only."""
    T = random_walk(1400, seed=5)
    for _ in range(4):
        s = mpcore.stumpi(T[:1000], 40, egress=egress)
        start = threading.Barrier(3)
        seen, errors = [], []

        def feed(values):
            start.wait()
            for v in values:
                s.update(v)

        def read():
            start.wait()
            try:
                for _ in range(50):
                    P = s.P_  # one read: one whole state
                    seen.append(len(P))
                    assert not np.isnan(P).any() and (P >= 0).all()
            except Exception as exc:  # (surfaced in the test's thread)
                errors.append(exc)

        threads = [threading.Thread(target=feed, args=(T[1000:1200],)),
                   threading.Thread(target=feed, args=(T[1200:1400],)),
                   threading.Thread(target=read)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        l0 = 1000 - 40 + 1
        assert all(l0 <= x <= (l0 if egress else l0 + 400) for x in seen)
        held = np.array(s.T_)
        assert len(held) == (1000 if egress else 1400)
        if not egress:
            np.testing.assert_allclose(s.P_, mpcore.stump(held, 40).P_, rtol=1e-9, atol=1e-9)


def test_guarded_objects_pickle_and_copy():
    """The lock is left out of a pickle and made anew by unpickling and copying."""
    import copy
    import pickle

    import importlib.util

    T = random_walk(300, seed=6)
    objects = [mpcore.stumpi(T, 20), mpcore.scrump(T, 20, percentage=0.5),
               mpcore.stimp(T, 10, 30)]
    if importlib.util.find_spec("scipy"):  # (floss's arc curve is SciPy's beta fit)
        objects.append(mpcore.floss(mpcore.stump(T, 20), T, 20, 20))
    for obj in objects:
        for other in (pickle.loads(pickle.dumps(obj)), pickle.loads(pickle.dumps(obj, 1)),
                      copy.copy(obj), copy.deepcopy(obj)):
            assert other._lock is not obj._lock and not other._lock.locked()
        other.update(1.0) if hasattr(obj, "T_") else other.update()
