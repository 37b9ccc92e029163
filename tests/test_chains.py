"""allc / atsc: against the literal chain walks, on matrix profiles and on arbitrary index
arrays (cycles, self-links, out-of-order links), and against STUMPY."""
import functools
import warnings

import numpy as np
import pytest
from conftest import random_walk
from reference import analysis as ref

import mpcore


@functools.lru_cache(maxsize=None)
def cases():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the periodic series' near-zero profile warns
        return _cases()


def _cases():
    out = []
    for seed, n in ((0, 300), (1, 1000)):
        mp = mpcore.stump(random_walk(n, seed), 10)
        out.append((mp.left_I_, mp.right_I_))
    T = np.tile(np.sin(np.linspace(0, 2 * np.pi, 40)), 20) + np.linspace(0, 1, 800)
    mp = mpcore.stump(T, 40)
    out.append((mp.left_I_, mp.right_I_))  # long chains
    rng = np.random.default_rng(3)
    for n in (1, 2, 50):
        out.append((rng.integers(-1, n, n), rng.integers(-1, n, n)))  # arbitrary links
    IL = np.array([2, 0, 1, -1])  # a cycle 0 -> 1 -> 2 -> 0
    IR = np.array([1, 2, 0, -1])
    out.append((IL, IR))
    return out


@pytest.mark.parametrize("case", range(7))
def test_chains_vs_reference(case):
    IL, IR = cases()[case]
    S, C = mpcore.allc(IL, IR)
    S_ref, C_ref = ref.allc(IL, IR)
    assert all(s.dtype == np.int64 for s in S) and C.dtype == np.int64
    assert sorted(tuple(s) for s in S) == sorted(S_ref)
    np.testing.assert_array_equal(C, C_ref)
    for j in range(0, len(IL), max(1, len(IL) // 25)):
        np.testing.assert_array_equal(mpcore.atsc(IL, IR, j), ref.atsc(IL, IR, j))


def test_object_columns_and_example():
    T = np.array([584.0, -11.0, 23.0, 79.0, 1001.0, 0.0, -19.0])
    mp = mpcore.stump(T, 3)
    np.testing.assert_array_equal(mpcore.atsc(mp[:, 2], mp[:, 3], 1), [1, 3])
    S, C = mpcore.allc(mp[:, 2], mp[:, 3])
    assert [list(s) for s in S] == [[0, 4], [1, 3], [2]] and list(C) == [0, 4]


def test_inputs_not_modified():
    IL, IR = cases()[0]
    a, b = IL.copy(), IR.copy()
    mpcore.allc(IL, IR)
    mpcore.atsc(IL, IR, 5)
    np.testing.assert_array_equal(IL, a)
    np.testing.assert_array_equal(IR, b)


def test_bad_input():
    IL = np.array([-1, 0, 1])
    with pytest.raises(ValueError, match="same length"):
        mpcore.allc(IL, np.array([1, 2]))
    with pytest.raises(ValueError, match="j="):
        mpcore.atsc(IL, IL, 3)
    with pytest.raises(TypeError, match="IL"):
        mpcore.allc(np.array([0.5, 1.0, 2.0]), IL)
    with pytest.raises(TypeError, match="j"):
        mpcore.atsc(IL, IL, 1.5)
    with pytest.raises(ValueError, match="1-D"):
        mpcore.allc(np.ones((2, 2), int), np.ones((2, 2), int))


@pytest.mark.slow  # importing STUMPY (numba) takes seconds
@pytest.mark.parametrize("case", [0, 2, 5])
def test_chains_vs_stumpy(case):
    chains = pytest.importorskip("stumpy.chains")  # pure Python in STUMPY: no JIT to wait for
    IL, IR = cases()[case]
    S, C = mpcore.allc(IL, IR)
    S2, C2 = chains.allc(IL, IR)
    assert sorted(tuple(s) for s in S) == sorted(tuple(s) for s in S2)
    np.testing.assert_array_equal(C, C2)
    np.testing.assert_array_equal(mpcore.atsc(IL, IR, 7), chains.atsc(IL, IR, 7))
