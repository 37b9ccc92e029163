"""The fixed cost of one call: warm ``stump`` at small n, mpcore vs STUMPY in the same run.

Run:
    python -m pytest benchmarks/test_bench_small.py --benchmark-only --benchmark-group-by=group

m = 32, a z-normalized self-join, threads from ``--bench-threads`` (default 2) for both libraries
(STUMPY through ``numba.set_num_threads``).  STUMPY is warmed up (JIT) outside the timing.  Targets
(issue 14): n = 128 under 0.15 ms; n = 4,096 at least 2.5e9 cells/s and 3x STUMPY.  The
``cells_per_s`` extra info is l * (l - 1) / 2 over the median.

``test_stimp_defaults``: a pan matrix profile with STUMPY's defaults (``percentage=0.01``,
``pre_scrump=True``: one preSCRIMP + 1 % SCRIMP per length, the profile of each), 20 window
lengths (m = 10, 20, ..., 200) of a 2**13 random walk, the global random state seeded before
each round; target (issue 14) 5x STUMPY.  ``-k stimp`` runs it alone.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import SEED, random_walk  # noqa: E402

M = 32


@pytest.mark.parametrize("n", [128, 512, 2048, 4096, 8192])
@pytest.mark.parametrize("lib", ["mpcore", "stumpy"])
def test_small_stump(benchmark, bench_threads, lib, n):
    mod = pytest.importorskip(lib)
    T = random_walk(n, SEED)
    kwargs = {"n_threads": bench_threads}
    if lib == "stumpy":
        import numba

        numba.set_num_threads(min(bench_threads, numba.config.NUMBA_NUM_THREADS))
        kwargs = {}
    for _ in range(3):  # warm-up: numba's JIT, first-call costs
        mod.stump(T, M, **kwargs)
    benchmark.group = f"small-stump-n{n}-m{M}"
    rounds = 400 if n <= 512 else 60 if n <= 4096 else 20
    mp = benchmark.pedantic(mod.stump, args=(T, M), kwargs=kwargs, rounds=rounds,
                            warmup_rounds=5)
    l = n - M + 1
    benchmark.extra_info.update(n=n, m=M, threads=bench_threads)
    if benchmark.stats is not None:  # None under --benchmark-disable
        benchmark.extra_info["cells_per_s"] = l * (l - 1) / 2 / benchmark.stats.stats.median
    assert mp.shape == (l, 4)


def _stimp_defaults(module, T):
    np.random.seed(SEED)  # scrump's and preSCRIMP's draws
    pmp = module.stimp(T, 10, 200, 10)
    for _ in range(len(pmp.M_)):
        pmp.update()
    return pmp.M_


@pytest.mark.parametrize("lib", ["mpcore", "stumpy"])
def test_stimp_defaults(benchmark, bench_threads, bench_rounds, lib):
    mod = pytest.importorskip(lib)
    T = np.array(random_walk(2**13, SEED))
    if lib == "stumpy":
        import numba

        numba.set_num_threads(min(bench_threads, numba.config.NUMBA_NUM_THREADS))
    _stimp_defaults(mod, np.array(random_walk(300, 1)))  # warm-up (numba's JIT)

    def call():
        if lib == "mpcore":
            with mod.threads(bench_threads):
                return _stimp_defaults(mod, T)
        return _stimp_defaults(mod, T)

    benchmark.group = "stimp-defaults-n8192"
    benchmark.extra_info.update(n=2**13, lengths=20, threads=bench_threads)
    M = benchmark.pedantic(call, rounds=bench_rounds or 3, iterations=1)
    assert sorted(M) == list(range(10, 201, 10))
