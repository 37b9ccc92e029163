"""Analysis-layer benchmarks: mpcore vs STUMPY side by side, in one run.

    python -m pytest benchmarks/test_bench_analysis.py --benchmark-only \
        --benchmark-json=bench_analysis.json [--bench-threads 2]

Each case is a pytest-benchmark group holding one benchmark per library.  The matrix profile
is given (computed once per series by mpcore, outside the timing); STUMPY is warmed up with a
small call of the same function first, so numba's JIT compilation is not counted.  Both run
with ``--bench-threads`` threads (numba.set_num_threads / mpcore.threads).

Cases: motifs and match at n = 2**14 and 2**17 (m = 100, STUMPY's defaults), fluss (given
idealized arc curve, so the timing is the arc curve, not the seeded beta fit, identical in
both), 30 floss updates on a 2**14 window, allc on a 2**17 profile, and the top-10 discords
on a 2**17 profile (STUMPY has no discords function: its baseline is the loop its users write,
argmax then ``stumpy.core.apply_exclusion_zone``, k times).
"""
from __future__ import annotations

import functools
import os
import sys
import warnings

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import SEED, random_walk  # noqa: E402

M = 100
LIBS = ("mpcore", "stumpy")


@functools.lru_cache(maxsize=None)
def series(n):
    import mpcore

    T = np.ascontiguousarray(random_walk(n, SEED), dtype=np.float64)
    mp = np.asarray(mpcore.stump(T, M))
    return T, mp


@functools.lru_cache(maxsize=None)
def library(name, threads):
    mod = pytest.importorskip(name, reason=f"{name} is not importable")
    if name == "stumpy":
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    return mod


def stumpy_discords(P, k, zone):
    """What a STUMPY user writes for the top-k discords."""
    from stumpy import core

    P = P.copy()
    P[~np.isfinite(P)] = -np.inf
    idx = []
    for _ in range(k):
        i = int(np.argmax(P))
        if P[i] == -np.inf:
            break
        idx.append(i)
        core.apply_exclusion_zone(P, i, zone, -np.inf)
    return np.array(idx)


def case_fn(lib, name, n):
    """The call to time for ``name`` on a series of length n (inputs prepared here)."""
    T, mp = series(n)
    P = mp[:, 0].astype(np.float64)
    if name == "motifs":
        return lambda: lib.motifs(T, P)
    if name == "match":
        Q = T[n // 3 : n // 3 + M].copy()
        return lambda: lib.match(Q, T)
    if name == "fluss":
        I = mp[:, 1].astype(np.int64)
        x = np.arange(len(I))
        iac = 2.0 * x * (len(I) - x) / len(I)
        return lambda: lib.fluss(I, M, 3, 5, iac.copy())
    if name == "floss":
        k, steps = n - M + 1, 30
        stream_T = random_walk(n + steps, SEED + 3)
        smp = series_floss(n)
        iac = np.ones(k)

        def run():
            s = lib.floss(smp, stream_T[:n], M, M, custom_iac=iac)
            for t in stream_T[n:]:
                s.update(t)
        return run
    if name == "allc":
        IL, IR = mp[:, 2].astype(np.int64), mp[:, 3].astype(np.int64)
        return lambda: lib.allc(IL, IR)
    if name == "discords":
        if lib.__name__ == "stumpy":
            return lambda: stumpy_discords(P, 10, M)
        return lambda: lib.discords(T, M, 10, mp=P)
    raise ValueError(name)


@functools.lru_cache(maxsize=None)
def series_floss(n):
    import mpcore

    T = random_walk(n + 30, SEED + 3)
    return np.asarray(mpcore.stump(T[:n], M))


CASES = [("motifs", 2**14), ("motifs", 2**17), ("match", 2**14), ("match", 2**17),
         ("fluss", 2**17), ("floss", 2**14), ("allc", 2**17), ("discords", 2**17)]


@pytest.mark.parametrize("lib_name", LIBS)
@pytest.mark.parametrize("name,n", CASES, ids=[f"{c}-n{n}" for c, n in CASES])
def test_analysis(benchmark, lib_name, name, n, pytestconfig):
    threads = pytestconfig.getoption("--bench-threads")
    lib = library(lib_name, threads)
    benchmark.group = f"{name}-n{n}-m{M}"
    benchmark.extra_info.update(library=lib_name, case=name, n=n, m=M, threads=threads)
    fn = case_fn(lib, name, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # STUMPY's own warnings on every call
        if lib_name == "stumpy":
            case_fn(lib, name, 2**12)()  # JIT warm-up on a small series, untimed
            fn()
            benchmark.pedantic(fn, rounds=3, iterations=1)
        else:
            import mpcore

            with mpcore.threads(threads):
                fn()
                benchmark.pedantic(fn, rounds=5, iterations=1)


COLD_CHILD = r"""
import time
import numpy as np
T = np.random.default_rng(0).standard_normal(10_000).cumsum()
t0 = time.perf_counter()
import mpcore
mp = mpcore.stump(T, 100)
mpcore.motifs(T, mp.P_)
print(time.perf_counter() - t0)
"""


def test_cold_start_stump_motifs(benchmark):
    """A new process: ``import mpcore`` + ``stump`` + ``motifs`` on n = 10,000, m = 100.  The
    timing is the whole child process; ``extra_info['in_process_s']`` is import + calls."""
    import subprocess

    inner = []

    def run():
        out = subprocess.run([sys.executable, "-c", COLD_CHILD], capture_output=True, text=True,
                             check=True)
        inner.append(float(out.stdout))

    benchmark.group = "cold-start-stump+motifs-n10000-m100"
    benchmark.pedantic(run, rounds=5, iterations=1)
    benchmark.extra_info.update(library="mpcore", in_process_s=float(np.median(inner)))
