"""Small GPU workload for compute-sanitizer (memcheck, racecheck, synccheck, initcheck).

    compute-sanitizer --tool racecheck --error-exitcode 1 python benchmarks/gpu_sanitize.py

Covers every kernel mode, both sides, top-k, hints, AB-joins, NaN and constant windows and a
partial band; sizes are small because the sanitizers slow kernels down a hundredfold.
"""
import numpy as np

import mpcore

rng = np.random.default_rng(1)
T = np.cumsum(rng.standard_normal(2600))
T[300:340] = 1.0
T[900] = np.nan
TB = np.cumsum(rng.standard_normal(1500))
for k in (1, 3):
    mpcore.gpu_stump(T, 30, k=k)
    mpcore.gpu_stump(T, 30, TB, ignore_trivial=False, k=k)
    mpcore.gpu_aamp(T, 30, k=k)
    mpcore.gpu_aamp(T, 30, p=3.0, k=k)
mpcore.gpu_stump(T[:1300], 8)
spike = T.copy()  # p-norm lanes through a spike: recomputed exactly once it has passed
spike[1000] = 1e8
mpcore.gpu_aamp(spike, 30)
counts = rng.integers(0, 3, 1500).astype(float)  # exact ties: both sides' orders (later)
for k in (1, 2):
    mpcore.gpu_aamp(counts, 6, k=k)
print("sanitizer workload done")
