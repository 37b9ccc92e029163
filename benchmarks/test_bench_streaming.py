"""Anytime and streaming benchmarks: mpcore vs STUMPY side by side (issue 12's targets).

Run:
    python -m pytest benchmarks/test_bench_streaming.py --benchmark-only \
        --benchmark-json=bench_streaming.json
Groups (one benchmark per library each, so the table shows the ratio):
- ``scrump-n131072-m100``: ``scrump(T, 100, percentage=0.01)`` + one ``update()``
- ``prescrump-n131072-m100``: ``prescrump(T, 100)``
- ``stumpi-update-{walk,plateaus}-n100000-m100``: 100 single ``update(t)`` calls (egress), per
  call = time/100
- ``stumpi-block-{walk,plateaus}-n100000-m100``: 1,000 points: mpcore's ``update(values)`` vs
  1,000 STUMPY ``update(t)`` calls
- ``aampi-p{2,1}-{update,block}-{walk,plateaus}-n16384-m100``: the same for ``aampi`` (p = 2,
  1) on a shorter stream (STUMPY's p = 1 update costs O(n m): 1e5 points took it minutes)
``plateaus``: levels 0..99, 500 points each, with noise of 1e-7 (windows a billion times above
their spread; mpcore's stumpi updates took 15x a walk's until its co-moments, its aampi blocks
1.4-1.8x until its sums of differences).
Both libraries use ``--bench-threads`` threads (default 2); STUMPY is warmed up (JIT) first on
a small input, and both draw the same diagonals/samples (np.random seeded alike).
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import SEED, random_walk  # noqa: E402

N_ANYTIME = 2**17
N_STREAM = 10**5
N_AAMPI = 2**14
M = 100
N_SINGLE = 100
N_BLOCK = 1000


@pytest.fixture(scope="module")
def libs(request):
    threads = request.config.getoption("--bench-threads")
    import mpcore

    mpcore.set_num_threads(threads)
    out = {"mpcore": mpcore}
    try:
        import numba
        import stumpy
    except ImportError:
        return out
    numba.set_num_threads(threads)
    T = random_walk(2000, SEED)
    stumpy.scrump(T, 50, percentage=0.1).update()  # JIT warm-up, not timed
    stumpy.prescrump(T, 50)
    s = stumpy.stumpi(T, 50)
    s.update(1.0)
    for p in (2.0, 1.0):
        s = stumpy.aampi(T, 50, p=p)
        s.update(1.0)
    out["stumpy"] = stumpy
    return out


@pytest.fixture(params=["mpcore", "stumpy"])
def lib(request, libs):
    if request.param not in libs:
        pytest.skip(f"{request.param} is not importable")
    return libs[request.param]


def test_scrump_update(benchmark, lib):
    benchmark.group = f"scrump-n{N_ANYTIME}-m{M}"
    T = random_walk(N_ANYTIME, SEED)

    def run():
        np.random.seed(SEED)
        approx = lib.scrump(T, M, percentage=0.01)
        approx.update()
        return approx.P_

    benchmark.pedantic(run, rounds=3, iterations=1)


def test_prescrump(benchmark, lib):
    benchmark.group = f"prescrump-n{N_ANYTIME}-m{M}"
    T = random_walk(N_ANYTIME, SEED)

    def run():
        np.random.seed(SEED)
        return lib.prescrump(T, M)

    benchmark.pedantic(run, rounds=1, iterations=1)


STREAMS = ["stumpi", "aampi-p2", "aampi-p1"]


def _n(algo):
    return N_STREAM if algo == "stumpi" else N_AAMPI


def _stream(lib, kind, algo):
    n0 = _n(algo)
    n = n0 + N_BLOCK
    if kind == "plateaus":
        rng = np.random.default_rng(SEED)
        levels = rng.integers(0, 100, n // 500 + 2).astype(float)
        # (the updates start 200 points into a plateau: their windows lie on it)
        T = np.repeat(levels, 500)[200 : n + 200] + 1e-7 * rng.standard_normal(n)
    else:
        T = random_walk(n, SEED)
    if algo == "stumpi":
        return lib.stumpi(T[:n0], M, egress=True), T[n0:]
    p = 2.0 if algo == "aampi-p2" else 1.0
    return lib.aampi(T[:n0], M, egress=True, p=p), T[n0:]


@pytest.mark.parametrize("kind", ["walk", "plateaus"])
@pytest.mark.parametrize("algo", STREAMS)
def test_stream_single_updates(benchmark, lib, kind, algo):
    benchmark.group = f"{algo}-update-{kind}-n{_n(algo)}-m{M}"

    def setup():
        stream, new = _stream(lib, kind, algo)
        return (stream, new[:N_SINGLE]), {}

    def run(stream, new):
        for t in new:
            stream.update(t)

    benchmark.pedantic(run, setup=setup, rounds=3, iterations=1)


@pytest.mark.parametrize("kind", ["walk", "plateaus"])
@pytest.mark.parametrize("algo", STREAMS)
def test_stream_block_update(benchmark, lib, kind, algo):
    benchmark.group = f"{algo}-block-{kind}-n{_n(algo)}-m{M}"

    def setup():
        return _stream(lib, kind, algo), {}

    def run(stream, new):
        if lib.__name__ == "mpcore":
            stream.update(new)  # one call for the whole block
        else:
            for t in new:
                stream.update(t)

    benchmark.pedantic(run, setup=setup, rounds=1, iterations=1)
