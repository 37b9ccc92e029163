"""stumped/aamped on a real local Dask cluster: bitwise equal to stump/aamp, also when a worker
dies in the middle of a run."""
import concurrent.futures
import os
import signal
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest
from conftest import dask_client, random_walk

import mpcore
from mpcore import _dask, _prepare

distributed = pytest.importorskip("distributed")

# An abrupt kill on every OS: Windows has no SIGKILL, and there os.kill with any other signal
# calls TerminateProcess, which is just as abrupt.
KILL = getattr(signal, "SIGKILL", signal.SIGTERM)


def _same(a, b):
    np.testing.assert_array_equal(a.P_, b.P_)
    np.testing.assert_array_equal(a.I_, b.I_)
    np.testing.assert_array_equal(a.left_I_, b.left_I_)
    np.testing.assert_array_equal(a.right_I_, b.right_I_)


def _within(seconds, fn, *args, **kwargs):
    """Run fn in a thread and fail (instead of hanging the suite) if it takes too long."""
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        return pool.submit(fn, *args, **kwargs).result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        pytest.fail(f"{getattr(fn, '__name__', fn)} took more than {seconds} s")
    finally:
        pool.shutdown(wait=False)


@pytest.fixture(scope="module")
def client():
    # The kill tests below need every nanny to restart its worker. LocalCluster closes a nanny
    # for good when its worker has not come back within lost-worker-timeout (15 s by default),
    # and on a loaded 2-core CI machine a restarted worker's imports can take longer than that
    # (seen once: "Only 1/2 workers arrived"), so give it as long as the tests wait anyway.
    with dask_client(**{"distributed.deploy.lost-worker-timeout": "120s"}) as c:
        yield c


def _wait_for_both_workers(client):
    """Both workers up, restarted ones included (a restart can take tens of seconds here)."""
    client.wait_for_workers(2, timeout=90)


def _series():
    T = random_walk(3000, seed=1)
    T[100:140] = 0.0  # constant stretch: many exact ties
    T[1000:1040] = T[2000:2040]  # an exact repeat: distance 0
    return T


CASES = {
    "self": dict(),
    "k3": dict(k=3),
    "ab": dict(T_B=random_walk(2000, seed=2), ignore_trivial=False),
    "ba": dict(swap=True),
    "ab-k3": dict(T_B=random_walk(2000, seed=2), ignore_trivial=False, k=3),
    "nonfinite": dict(nonfinite=True),
    "isconstant": dict(T_A_subseq_isconstant=lambda a, w: np.ptp(
        np.lib.stride_tricks.sliding_window_view(a, w), axis=-1) < 4.0),
}


@pytest.mark.slow  # a local cluster of worker processes
@pytest.mark.parametrize("name", list(CASES))
def test_stumped_bitwise_equals_stump(client, name):
    args = dict(CASES[name])
    T = _series()
    if args.pop("swap", False):  # the AB-join the other way round
        T, args = random_walk(2000, seed=2), dict(T_B=T, ignore_trivial=False)
    if args.pop("nonfinite", False):
        T[500] = np.nan
        T[1500:1510] = np.inf
        T[2500] = -np.inf
    ref = mpcore.stump(T, 32, **args)
    _same(_within(60, mpcore.stumped, client, T, 32, **args), ref)


@pytest.mark.slow  # a local cluster of worker processes
@pytest.mark.parametrize("args", [dict(), dict(p=1.0), dict(p=3.0, k=2), dict(k=3),
                                  dict(T_B=random_walk(2000, seed=2), ignore_trivial=False),
                                  dict(nonfinite=True)], ids=str)
def test_aamped_bitwise_equals_aamp(client, args):
    args = dict(args)
    T = _series()
    if args.pop("nonfinite", False):
        T[700:720] = np.nan
    ref = mpcore.aamp(T, 32, **args)
    _same(_within(60, mpcore.aamped, client, T, 32, **args), ref)
    # stumped(normalize=False) is aamped, as in STUMPY
    _same(_within(60, mpcore.stumped, client, T, 32, normalize=False, **args), ref)


@pytest.mark.slow  # a local cluster of worker processes
@pytest.mark.parametrize("n, m", [(10, 8), (40, 3), (12, 12)])
def test_tiny_inputs(client, n, m):
    T = random_walk(n, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = mpcore.stump(T, m)
        _same(_within(60, mpcore.stumped, client, T, m), ref)
        ref = mpcore.aamp(T, m, T_B=T[::-1].copy(), ignore_trivial=False)
        _same(_within(60, mpcore.aamped, client, T, m, T_B=T[::-1].copy(),
                      ignore_trivial=False), ref)


@pytest.mark.slow  # a local cluster of worker processes
def test_work_is_split_and_merged_on_the_cluster(client):
    T = random_walk(20000, seed=3)
    with distributed.get_task_stream(client) as ts:
        mp = _within(60, mpcore.stumped, client, T, 50)
    _same(mp, mpcore.stump(T, 50))
    names = [t["key"] if isinstance(t["key"], str) else str(t["key"]) for t in ts.data]
    bands = [k for k in names if "mpcore-bands-" in k]
    merges = [k for k in names if "mpcore-merge-" in k]
    assert len(bands) >= 2 * 2  # several tasks per worker thread
    assert len(merges) == len(bands) - 1  # a pairwise tree, all of it run on the workers
    assert len({t["worker"] for t in ts.data}) == 2


def test_plan_groups_partition_the_bands():
    T = random_walk(2**15, seed=4)
    job = _prepare.prepare_job(T, 64, None, True, True, 2.0, 1, None, None)
    cells = _prepare.band_cells(job)
    for (ps, d0, d1), got in zip(job.bands[:50], cells[:50]):  # plainly, diagonal by diagonal
        lx = job.series[job.passes[ps, 0]].l
        ly = job.series[job.passes[ps, 1]].l
        assert got == sum(max(0, min(lx, ly - d)) for d in range(d0, d1))
    for threads in (1, 2, 3, 8, 64):
        groups = _dask.plan_groups(job, threads)
        assert groups[0][0] == 0 and groups[-1][1] == len(job.bands)
        assert all(a < b for a, b in groups)
        assert all(b == c for (_, b), (c, _) in zip(groups[:-1], groups[1:]))
        assert len(groups) <= max(2 * _dask.TASKS_PER_THREAD * threads, 1)
        if threads <= 8:
            assert len(groups) >= 2 * threads
        size = [int(cells[a:b].sum()) for a, b in groups]
        assert size[-1] <= size[0]  # largest first, small ones for the tail


def test_importing_mpcore_does_not_import_dask():
    code = ("import sys, mpcore; mpcore.stump([1., 2, 4, 3, 5, 4, 6], 3); "
            "from mpcore import _dask; "
            "assert not {'dask', 'distributed'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_not_a_client():
    with pytest.raises(TypeError, match="Client"):
        mpcore.stumped(object(), random_walk(100), 8)


@pytest.mark.slow  # a local cluster of worker processes
def test_survives_a_worker_killed_mid_run(client):
    """Kill one worker process while the bands run: its nanny restarts it, Dask reruns the
    lost tasks, and the result is still complete and bitwise equal to stump's."""
    T = random_walk(2**17, seed=5)
    ref = mpcore.stump(T, 100, n_threads=2)
    pids = client.run(os.getpid)
    victim_addr, victim = sorted(pids.items())[0]
    killed = []

    def kill():
        os.kill(victim, KILL)
        killed.append(time.perf_counter())

    timer = threading.Timer(0.6, kill)
    timer.start()
    mp = _within(80, mpcore.stumped, client, T, 100)
    done = time.perf_counter()
    timer.cancel()
    assert killed and killed[0] < done, "the worker was not killed during the run"
    _same(mp, ref)
    _wait_for_both_workers(client)
    assert victim not in client.run(os.getpid).values()  # it was really killed and replaced


def _run_killing_every_worker(client, fn, *args):
    """``fn(client, *args)`` (within 80 s) while every worker of the cluster is killed 0.5 s in;
    its result, once it is checked that the workers died during the run."""
    pids = list(client.run(os.getpid).values())
    killed = []

    def kill():
        for pid in pids:
            os.kill(pid, KILL)
        killed.append(time.perf_counter())

    timer = threading.Timer(0.5, kill)
    timer.start()
    out = _within(80, fn, client, *args)
    done = time.perf_counter()
    timer.cancel()
    assert killed and killed[0] < done, "the workers were not killed during the run"
    return out


@pytest.mark.slow  # a local cluster of worker processes
def test_survives_losing_every_worker_mid_run(client, monkeypatch):
    """Kill both workers: the scattered Job is lost with them, so the run starts over once
    the nannies have restarted the workers, and the result is still exact."""
    _wait_for_both_workers(client)
    attempts = []
    plan = _dask.plan_groups
    monkeypatch.setattr(_dask, "plan_groups", lambda *a: attempts.append(1) or plan(*a))
    T = random_walk(2**17, seed=6)
    ref = mpcore.stump(T, 64, n_threads=2)
    mp = _run_killing_every_worker(client, mpcore.stumped, T, 64)
    _same(mp, ref)
    assert len(attempts) >= 2  # the run was started over
    _wait_for_both_workers(client)


@pytest.mark.slow  # a local cluster of worker processes
def test_mstumped_survives_losing_every_worker_mid_run(client):
    """mstumped sends its series inside the task graph (nothing is scattered), so when every
    worker dies the scheduler reruns all that was lost once the nannies have restarted them,
    and the result is still bitwise mstump's."""
    _wait_for_both_workers(client)
    T = np.array([random_walk(2**15, seed=s) for s in (7, 8, 9)])
    ref = mpcore.mstump(T, 64, n_threads=2)
    P, I = _run_killing_every_worker(client, mpcore.mstumped, T, 64)
    np.testing.assert_array_equal(P, ref.P_)
    np.testing.assert_array_equal(I, ref.I_)
    _wait_for_both_workers(client)
