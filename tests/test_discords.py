"""discords: the top-k distinct discords, against a brute-force argmax loop."""
import numpy as np
import pytest
from conftest import random_walk
from reference import analysis as ref
from test_match import series

import mpcore
import naive


def check(ours, expected):
    d, i = ours
    assert d.dtype == np.float64 and i.dtype == np.int64
    np.testing.assert_array_equal(i, [e[1] for e in expected])
    np.testing.assert_allclose(d, [e[0] for e in expected], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("kind", ["walk", "nan", "constant", "spikes", "periodic"])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("m", [3, 16])
def test_discords_vs_reference(kind, normalize, m):
    T = series(kind, 300, seed=2)
    P = naive.stump(T, m, normalize=normalize)[0][:, 0].astype(np.float64)
    for k, zone in ((1, None), (3, None), (5, 2), (1000, None)):
        z = m if zone is None else zone
        expected = ref.discords(P, k, z)
        check(mpcore.discords(T, m, k, excl_zone=zone, normalize=normalize), expected)
        # on a given profile, in every form
        mp = mpcore.stump(T, m) if normalize else mpcore.aamp(T, m)
        for given in (mp, np.asarray(mp), mp.P_, mp[:, 0]):
            check(mpcore.discords(T, m, k, mp=given, excl_zone=zone), expected)


def test_discords_are_distinct_events():
    T = np.sin(np.linspace(0, 80 * np.pi, 4000))
    T[1000:1005] += 2.0
    T[3000:3005] -= 2.0
    d, i = mpcore.discords(T, 50, k=2)
    assert sorted(abs(i - 1000).tolist() + abs(i - 3000).tolist())[:2] <= [50, 50]
    assert abs(int(i[0]) - int(i[1])) > 50 and d[0] >= d[1]


def test_p_norm_and_ties():
    T = np.tile([0.0, 1.0, 0.0, 5.0], 30)
    d, i = mpcore.discords(T, 4, k=3, normalize=False, p=1.0)
    P = naive.stump(T, 4, normalize=False, p=1.0)[0][:, 0].astype(np.float64)
    check((d, i), ref.discords(P, 3, 4))


def test_bad_input():
    T = random_walk(100)
    with pytest.raises(ValueError, match="k"):
        mpcore.discords(T, 10, k=0)
    with pytest.raises(TypeError, match="k"):
        mpcore.discords(T, 10, k=1.5)
    with pytest.raises(ValueError, match="window|m"):
        mpcore.discords(T, 2)
    with pytest.raises(ValueError, match="mp"):
        mpcore.discords(T, 10, mp=np.ones(50))
    with pytest.raises(ValueError, match="excl_zone"):
        mpcore.discords(T, 10, excl_zone=-1)
    T0 = T.copy()
    mpcore.discords(T, 10, k=3)
    np.testing.assert_array_equal(T, T0)


@pytest.mark.parametrize("seed", range(4))
def test_many_ties_across_blocks(seed):
    rng = np.random.default_rng(seed)
    T = random_walk(3000, seed)
    m = 10
    P = rng.integers(0, 5, len(T) - m + 1).astype(float)  # many equal values
    P[rng.choice(P.size, 50, replace=False)] = np.inf
    P[rng.choice(P.size, 50, replace=False)] = np.nan
    for k, zone in ((1, 0), (7, 3), (200, 300), (5000, 1)):
        check(mpcore.discords(T, m, k, mp=P, excl_zone=zone), ref.discords(P, k, zone))
