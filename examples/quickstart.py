"""Find the motif (best-matching pair) and the discord (most unusual window) of a series.

The series is a noisy heartbeat-like signal with one malformed beat planted in it; the matrix
profile finds that beat as the discord without being told where it is.
"""
import time

import numpy as np

import mpcore

rng = np.random.default_rng(42)
t = np.arange(20_000)
beat = np.exp(-0.5 * ((t % 250 - 60) / 6.0) ** 2)  # one spike every 250 samples
T = beat + 0.3 * np.sin(2 * np.pi * t / 250) + 0.05 * rng.standard_normal(t.size)
T[12_060:12_080] *= -1.0  # a malformed beat
m = 250

start = time.perf_counter()
mp = mpcore.stump(T, m)
elapsed = time.perf_counter() - start

motif = int(np.argmin(mp.P_))
discord = int(np.argmax(np.where(np.isfinite(mp.P_), mp.P_, -np.inf)))
print(f"mpcore {mpcore.__version__}: matrix profile of {len(T)} points, m={m}, in {elapsed:.3f} s")
print(f"motif:   windows {motif} and {mp.I_[motif]} (distance {mp.P_[motif]:.4f})")
print(f"discord: window {discord} (distance {mp.P_[discord]:.4f}), the malformed beat at 12060")
assert discord <= 12_060 <= discord + m, "the discord should cover the malformed beat"
