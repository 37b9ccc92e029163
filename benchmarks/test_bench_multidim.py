"""Multi-dimensional matrix profile benchmarks: mpcore vs STUMPY (mstump, maamp), and mstumped on
a local Dask cluster vs mstump on the same cores.

Run (the issue's cases, n = 2**14; STUMPY takes minutes a round there):
    python -m pytest benchmarks/test_bench_multidim.py --benchmark-only --benchmark-json=md.json
Quick subset (n = 2**12):
    python -m pytest benchmarks/test_bench_multidim.py --benchmark-only -m quick

Each case is a pytest-benchmark group ``{kind}-n{n}-d{d}-m{m}`` with one benchmark per library.
STUMPY is warmed up (one small call of the same kind, outside the timing) so numba's JIT
compilation is not counted; every library gets --bench-threads threads (default 2).
"""
from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import SEED  # noqa: E402

M = 100
CASES = [(kind, n, d) for kind in ("mstump", "maamp") for n in (2**12, 2**14) for d in (3, 10)]


def _walks(d, n, seed=SEED):
    return np.random.default_rng(seed).standard_normal((d, n)).cumsum(axis=1)


def _rounds(lib, n, d, config):
    forced = config.getoption("--bench-rounds")
    if forced:
        return forced
    if lib == "stumpy":
        return 1 if n * d > 2**14 else 3  # minutes a round at n = 2**14
    return 5


def _param(kind, n, d):
    marks = [pytest.mark.quick] if n <= 2**12 else []
    return pytest.param(kind, n, d, marks=marks, id=f"{kind}-n{n}-d{d}-m{M}")


@pytest.fixture(scope="module")
def threads(request):
    return request.config.getoption("--bench-threads")


@pytest.fixture(scope="module")
def stumpy_lib(threads):
    stumpy = pytest.importorskip("stumpy")
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    T = _walks(3, 600, SEED + 1)
    stumpy.mstump(T, 50)  # warm-up: JIT compilation outside the timing
    stumpy.maamp(T, 50)
    return stumpy


def _check(P, I, ref):
    """The libraries must agree before their timings mean anything."""
    np.testing.assert_allclose(P, ref[0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("lib", ["mpcore", "stumpy"])
@pytest.mark.parametrize("kind, n, d", [_param(*c) for c in CASES])
def test_multidim(benchmark, request, lib, kind, n, d, threads):
    import mpcore

    T = _walks(d, n)
    benchmark.group = f"{kind}-n{n}-d{d}-m{M}"
    benchmark.extra_info.update(kind=kind, n=n, d=d, m=M, threads=threads,
                                cells=(n - M + 1) ** 2 / 2)
    if lib == "mpcore":
        fn = getattr(mpcore, kind)
        out = benchmark.pedantic(lambda: fn(T, M, n_threads=threads), warmup_rounds=1,
                                 rounds=_rounds(lib, n, d, request.config), iterations=1)
    else:
        stumpy = request.getfixturevalue("stumpy_lib")
        fn = getattr(stumpy, kind)
        out = benchmark.pedantic(lambda: fn(T, M), rounds=_rounds(lib, n, d, request.config),
                                 iterations=1)
        _check(*mpcore_result(kind, T), out)
    assert out[0].shape == (d, n - M + 1)


def mpcore_result(kind, T):
    import mpcore

    return getattr(mpcore, kind)(T, M)


@pytest.fixture(scope="module")
def dask_client(threads):
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=threads,
                                           processes=True, dashboard_address=None,
                                           host="127.0.0.1")
        client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("lib", ["mstump", "mstumped"])
@pytest.mark.parametrize("n, d", [(2**14, 3), (2**14, 10)])
def test_mstumped(benchmark, request, lib, n, d, threads):
    """mstumped on a one-worker local cluster with the same threads as mstump."""
    import mpcore

    T = _walks(d, n)
    benchmark.group = f"dask-n{n}-d{d}-m{M}"
    benchmark.extra_info.update(kind=lib, n=n, d=d, m=M, threads=threads)
    if lib == "mstump":
        benchmark.pedantic(lambda: mpcore.mstump(T, M, n_threads=threads), warmup_rounds=1,
                           rounds=5, iterations=1)
    else:
        client = request.getfixturevalue("dask_client")
        out = benchmark.pedantic(lambda: mpcore.mstumped(client, T, M), warmup_rounds=1,
                                 rounds=5, iterations=1)
        np.testing.assert_array_equal(out[0], mpcore.mstump(T, M).P_)
