"""GPU benchmark: ``mpcore.gpu_stump`` z-normalized self-join, n = 2**16 .. 2**20, m = 100.

Run (skipped without a usable CUDA GPU):
    python -m pytest benchmarks/bench_gpu.py --benchmark-only --benchmark-json=gpu.json

Throughput is reported as cells/s in ``extra_info`` (cells = l * l / 2 for a
self-join, l = n - m + 1), the unit the kernel-design notes use (H100 target
for n = 2**20: >= 2.5e12 cells/s in float64).  The first call of each size
runs outside the timing, so CUDA context creation is not counted.
"""

from __future__ import annotations

import numpy as np
import pytest

import mpcore
from mpcore import _gpu

pytestmark = pytest.mark.skipif(
    not _gpu.gpu_available(), reason=f"no CUDA GPU: {_gpu.gpu_unavailable_reason()}"
)

M = 100
SIZES = [2**e for e in range(16, 21)]


def _random_walk(n: int) -> np.ndarray:
    return np.cumsum(np.random.default_rng(20261124).standard_normal(n))


@pytest.mark.parametrize("n", SIZES, ids=[f"n2^{n.bit_length() - 1}" for n in SIZES])
def test_gpu_stump_self(benchmark, n):
    T = _random_walk(n)
    mpcore.gpu_stump(T[: 4 * M], M)  # warm-up: context, module load
    benchmark.group = f"gpu-self-n{n}-m{M}"
    rounds = 5 if n <= 2**18 else 2
    benchmark.pedantic(mpcore.gpu_stump, args=(T, M), rounds=rounds, iterations=1)
    l = n - M + 1
    cells = l * l / 2
    benchmark.extra_info["cells"] = cells
    benchmark.extra_info["cells_per_s"] = cells / benchmark.stats.stats.min
