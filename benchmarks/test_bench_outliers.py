"""Outlier benchmark (issue 10, "no cliffs"): noise of 1e-3 with and without one value of 1e5,
plateaus at levels 0..99 with noise of 1e-7 (windows a billion times above their spread), and
a random walk on steps of 0..990 every 1,000 points; ``stump`` and ``aamp``, mpcore and STUMPY
side by side in one run.

    python -m pytest benchmarks/test_bench_outliers.py --benchmark-only

Compare each library's ``spike``, ``plateaus`` and ``steps`` times with its ``clean`` time
(group ``{algo}-outliers-n{n}``, n = 2,000, 8,000, 20,000): the goal is an outlier costing at
most 1.5x the clean series, and no input falling off a cliff.
"""

from __future__ import annotations

import numpy as np
import pytest


def _series(n: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(0)
    if kind == "plateaus":  # each took an exact distance profile once: 290x a clean series
        levels = rng.integers(0, 100, n // 500 + 1).astype(float)
        return np.repeat(levels, 500)[:n] + 1e-7 * rng.standard_normal(n)
    if kind == "steps":  # the p-norms' running sums carry each step's rounding past it
        walk = np.cumsum(rng.standard_normal(n))
        return walk + np.repeat(rng.integers(0, 100, n // 1000 + 1) * 10.0, 1000)[:n]
    T = rng.standard_normal(n) * 1e-3
    if kind == "spike":
        T[n // 2] = 1e5
    return T


def _function(lib: str, algo: str):
    if lib == "mpcore":
        import mpcore

        return getattr(mpcore, algo)
    stumpy = pytest.importorskip("stumpy")
    return getattr(stumpy, algo)


@pytest.mark.parametrize("n", [2000, 8000, 20000])
@pytest.mark.parametrize("kind", ["clean", "spike", "plateaus", "steps"])
@pytest.mark.parametrize("lib", ["mpcore", "stumpy"])
@pytest.mark.parametrize("algo", ["stump", "aamp"])
def test_outliers(benchmark, algo, lib, kind, n):
    fn = _function(lib, algo)
    T = _series(n, kind)
    fn(T[:500], 50)  # warm-up outside the timing (numba's compilation)
    benchmark.group = f"{algo}-outliers-n{n}"
    benchmark.extra_info.update(lib=lib, algo=algo, kind=kind, n=n, m=50)
    benchmark.pedantic(fn, args=(T, 50), rounds=3, iterations=1)
