"""Outliers: exact results where one huge value sits in small noise.

These pin what a per-window flat rule (the open part of issue 10's "no cliffs") must keep: a
rule that only compares each window with its own magnitude ranks the pairs (r, r + m) after a
spike by rounding noise (the spike meets itself in one recurrence step, ~1e-16 S^2 of error
against co-moments of ~m * noise^2) and fails test_spiky_noise_exact.
"""
import numpy as np
import pytest
from conftest import random_walk

import checks
import mpcore


def _noise_with_spikes(n, spikes=(0.5,), value=1e5, seed=0):
    T = np.random.default_rng(seed).standard_normal(n) * 1e-3
    for at in spikes:
        T[int(at * n)] = value
    return T


@pytest.mark.parametrize("spikes", [(0.5,), (0.1, 0.11, 0.7), (0.0, 0.999)])
def test_spiky_noise_exact(spikes):
    T = _noise_with_spikes(400, spikes)
    checks.assert_profile(mpcore.stump(T, 30), T, 30)
    checks.assert_profile(mpcore.stump(T, 30, k=2), T, 30, k=2)
    TB = _noise_with_spikes(200, (0.3,), value=-1e7, seed=3)
    checks.assert_profile(mpcore.stump(T, 30, TB, ignore_trivial=False), T, 30, TB)


def test_spike_on_a_random_walk_exact():
    T = random_walk(500, seed=4)
    T[[100, 400]] = [1e8, -1e8]
    checks.assert_profile(mpcore.stump(T, 40), T, 40)
