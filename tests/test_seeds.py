"""The thresholds a fresh top-1 table starts from must never exceed a row's true best score:
otherwise a kernel would skip the real nearest neighbour."""
import numpy as np
import pytest
from conftest import random_walk

import mpcore
import naive
from mpcore._prepare import prepare_job


def _series():
    T = 1e6 + random_walk(700, seed=1)
    T[200:320] = T[200] + 1e-6 * random_walk(120, seed=2)  # nearly flat: badly conditioned
    T[500:530] = T[100:130]  # an exact repeat
    return T


@pytest.mark.parametrize("normalize,p", [(True, 2.0), (False, 2.0), (False, 1.0), (False, 3.0)])
def test_seeds_are_lower_bounds_self_join(normalize, p):
    T, m = _series(), 20
    job = prepare_job(T, m, None, True, normalize, p, 1, None, None)
    D = naive.distance_matrix(T, m, None, normalize, p).astype(np.float64)
    l, gap = D.shape[0], job.excl_zone + 1
    scale = 1.0 / job.unscale
    for r in range(l):
        right = D[r, r + gap :]
        left = D[r, : max(0, r - gap + 1)]
        for seeds, cand in ((job.seeds[0], right), (job.seeds[1], left)):
            if not np.isfinite(seeds[r]):
                continue
            best = np.min(cand)
            true = 1 - best**2 / (2 * m) if normalize else -((best * scale) ** p)
            assert seeds[r] <= true, (r, seeds[r], true)
    assert np.isfinite(job.seeds[0]).mean() > 0.5  # the seeds are used, not all -inf
    ours = mpcore.stump(T, m, normalize=normalize, p=p)
    P, I, _, _, _ = naive.stump(T, m, normalize=normalize, p=p)
    np.testing.assert_array_equal(np.isfinite(ours.P_), np.isfinite(P[:, 0].astype(float)))


def test_seeds_are_lower_bounds_ab_join():
    A, B, m = _series(), 2e6 + random_walk(400, seed=3), 16
    job = prepare_job(A, m, B, False, True, 2.0, 1, None, None)
    D = naive.distance_matrix(A, m, B).astype(np.float64)
    true = 1 - D.min(axis=1) ** 2 / (2 * m)
    seeds = job.seeds[0]
    fin = np.isfinite(seeds)
    assert fin.any() and np.all(seeds[fin] <= true[fin])


def test_no_seeds_for_top_k():
    assert prepare_job(random_walk(100), 8, None, True, True, 2.0, 3, None, None).seeds is None
