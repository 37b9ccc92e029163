"""Outlier benchmark (issue 10, "no cliffs"): noise of 1e-3 with and without one value of 1e5,
and plateaus at levels 0..99 with noise of 1e-7 (windows a billion times above their spread),
mpcore and STUMPY side by side in one run.

    python -m pytest benchmarks/test_bench_outliers.py --benchmark-only

Compare each library's ``spike`` and ``plateaus`` times with its ``clean`` time (group
``outliers-n{n}``, n = 2,000, 8,000, 20,000): the goal is an outlier costing at most 1.5x the
clean series, and no input falling off a cliff.
"""

from __future__ import annotations

import numpy as np
import pytest


def _series(n: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(0)
    if kind == "plateaus":  # each took an exact distance profile once: 290x a clean series
        levels = rng.integers(0, 100, n // 500 + 1).astype(float)
        return np.repeat(levels, 500)[:n] + 1e-7 * rng.standard_normal(n)
    T = rng.standard_normal(n) * 1e-3
    if kind == "spike":
        T[n // 2] = 1e5
    return T


def _stump(lib: str):
    if lib == "mpcore":
        import mpcore

        return mpcore.stump
    stumpy = pytest.importorskip("stumpy")
    return stumpy.stump


@pytest.mark.parametrize("n", [2000, 8000, 20000])
@pytest.mark.parametrize("kind", ["clean", "spike", "plateaus"])
@pytest.mark.parametrize("lib", ["mpcore", "stumpy"])
def test_outliers(benchmark, lib, kind, n):
    stump = _stump(lib)
    T = _series(n, kind)
    stump(T[:500], 50)  # warm-up outside the timing (numba's compilation)
    benchmark.group = f"outliers-n{n}"
    benchmark.extra_info.update(lib=lib, kind=kind, n=n, m=50)
    benchmark.pedantic(stump, args=(T, 50), rounds=3, iterations=1)
