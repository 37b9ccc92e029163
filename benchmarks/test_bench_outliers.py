"""Outlier benchmark (issue 10, "no cliffs"): noise of 1e-3 with and without one value of 1e5,
mpcore and STUMPY side by side in one run.

    python -m pytest benchmarks/test_bench_outliers.py --benchmark-only

Compare each library's ``spike`` time with its ``clean`` time (group ``outliers-n{n}``): the
goal is a spike costing at most 1.5x the clean series.
"""

from __future__ import annotations

import numpy as np
import pytest


def _series(n: int, spike: bool) -> np.ndarray:
    T = np.random.default_rng(0).standard_normal(n) * 1e-3
    if spike:
        T[n // 2] = 1e5
    return T


def _stump(lib: str):
    if lib == "mpcore":
        import mpcore

        return mpcore.stump
    stumpy = pytest.importorskip("stumpy")
    return stumpy.stump


@pytest.mark.parametrize("n", [2000, 8000])
@pytest.mark.parametrize("spike", [False, True], ids=["clean", "spike"])
@pytest.mark.parametrize("lib", ["mpcore", "stumpy"])
def test_outliers(benchmark, lib, spike, n):
    stump = _stump(lib)
    T = _series(n, spike)
    stump(T[:500], 50)  # warm-up outside the timing (numba's compilation)
    benchmark.group = f"outliers-n{n}"
    benchmark.extra_info.update(lib=lib, spike=spike, n=n, m=50)
    benchmark.pedantic(stump, args=(T, 50), rounds=3, iterations=1)
