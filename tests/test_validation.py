"""Bad input raises a clear ValueError/TypeError naming the parameter; never a crash."""
import numpy as np
import pytest
from conftest import random_walk

import mpcore

T = random_walk(50, seed=0)


@pytest.mark.parametrize("m,exc,match", [
    (2, ValueError, "m .*at least 3"), (0, ValueError, "m "), (-1, ValueError, "m "),
    (51, ValueError, "m=51 is longer"), (3.0, TypeError, "m must be an int"),
    (3.5, TypeError, "m must be an int"), ("5", TypeError, "m must be an int"),
    (None, TypeError, "m must be an int"), (True, TypeError, "m must be an int"),
])
def test_bad_m(m, exc, match):
    with pytest.raises(exc, match=match):
        mpcore.stump(T, m)
    with pytest.raises(exc, match=match):
        mpcore.aamp(T, m)


def test_m_longer_than_T_B():
    with pytest.raises(ValueError, match="T_B"):
        mpcore.stump(T, 20, random_walk(10), ignore_trivial=False)


@pytest.mark.parametrize("bad,exc,match", [
    (np.zeros((5, 10)), ValueError, "T_A is 2-dimensional"),
    (np.array([]), ValueError, "T_A is empty"),
    (np.zeros(10, dtype=complex), TypeError, "T_A is complex"),
    (np.array(["a"] * 10), TypeError, "T_A has dtype"),
    (np.array([object()] * 10), TypeError, "T_A has dtype"),
    (np.ones(10, dtype=bool), TypeError, "T_A has dtype bool"),
    (None, TypeError, "T_A must be"),
    (5.0, ValueError, "T_A is 0-dimensional"),
])
def test_bad_series(bad, exc, match):
    with pytest.raises(exc, match=match):
        mpcore.stump(bad, 3)


def test_bad_T_B():
    with pytest.raises(TypeError, match="T_B is complex"):
        mpcore.stump(T, 3, np.zeros(10, complex), ignore_trivial=False)


@pytest.mark.parametrize("k,exc", [(0, ValueError), (-2, ValueError), (1.0, TypeError),
                                   ("2", TypeError)])
def test_bad_k(k, exc):
    with pytest.raises(exc, match="k"):
        mpcore.stump(T, 5, k=k)


@pytest.mark.parametrize("p,exc", [(0, ValueError), (-1.0, ValueError), (np.inf, ValueError),
                                   (np.nan, ValueError), ("2", TypeError), (None, TypeError)])
def test_bad_p(p, exc):
    with pytest.raises(exc, match="p"):
        mpcore.aamp(T, 5, p=p)


@pytest.mark.parametrize("n_threads,exc", [(0, ValueError), (-3, ValueError),
                                           (1.5, TypeError), ("2", TypeError)])
def test_bad_n_threads(n_threads, exc):
    with pytest.raises(exc, match="n_threads"):
        mpcore.stump(T, 5, n_threads=n_threads)


def test_bad_isconstant():
    with pytest.raises(ValueError, match="T_A_subseq_isconstant must have length"):
        mpcore.stump(T, 5, T_A_subseq_isconstant=np.zeros(10, bool))
    with pytest.raises(TypeError, match="bool array"):
        mpcore.stump(T, 5, T_A_subseq_isconstant=np.zeros(46))
    with pytest.raises(ValueError, match="f\\(a, w\\)"):
        mpcore.stump(T, 5, T_A_subseq_isconstant=lambda x: x)
    with pytest.raises(ValueError, match="must return a bool array"):
        mpcore.stump(T, 5, T_A_subseq_isconstant=lambda a, w: np.zeros(3, bool))
    with pytest.raises(TypeError, match="T_A_subseq_isconstant"):
        mpcore.stump(T, 5, T_A_subseq_isconstant=3)


def test_bad_flags():
    with pytest.raises(TypeError, match="normalize"):
        mpcore.stump(T, 5, normalize="yes")
    with pytest.raises(TypeError, match="ignore_trivial"):
        mpcore.stump(T, 5, ignore_trivial=None)
    with pytest.raises(TypeError, match="ignore_trivial"):
        mpcore.stump(T, 5, ignore_trivial=2)
    # 1 and 0 are flags too (STUMPY takes any truthy value)
    np.testing.assert_array_equal(mpcore.stump(T, 5, normalize=1, ignore_trivial=np.int64(1)).I_,
                                  mpcore.stump(T, 5).I_)


def test_bad_mass():
    with pytest.raises(ValueError, match="Q must hold at least 3"):
        mpcore.mass(T[:2], T)
    with pytest.raises(ValueError, match="less than or equal"):
        mpcore.mass(T, T[:10])
    with pytest.raises(ValueError, match="query_idx"):
        mpcore.mass(T[:5], T, query_idx=100)
    with pytest.raises(ValueError, match="M_T and Σ_T"):
        mpcore.mass(T[:5], T, M_T=np.zeros(3), Σ_T=np.ones(3))
    # as STUMPY: one of M_T and Σ_T alone is ignored; an (n, 1) column is flattened
    want = mpcore.mass(T[:5], T)
    np.testing.assert_array_equal(mpcore.mass(T[:5], T, M_T=np.zeros(3)), want)
    np.testing.assert_array_equal(mpcore.mass(T[:5], T, Σ_T=np.ones(3)), want)
    with pytest.warns(UserWarning, match="flattened"):
        np.testing.assert_array_equal(mpcore.mass(T[:5, None], T[:, None]), want)
    with pytest.raises(ValueError, match="1-dimensional"):
        mpcore.mass(T[:6].reshape(2, 3), T)


def test_inputs_untouched_and_readonly_ok():
    a = random_walk(60, seed=1)
    a.flags.writeable = False
    mp = mpcore.stump(a, 5)
    assert len(mp) == 56


def test_messages_name_the_parameter_given():
    """From a bad-input audit: each message names the argument the caller passed."""
    with pytest.raises(TypeError, match="n must be an int, got NoneType"):
        with mpcore.threads(None):
            pass
    with pytest.raises(ValueError, match="^T_subseq_isconstant must"):
        mpcore.discords(T, 8, T_subseq_isconstant=np.zeros(5, bool))
    with pytest.raises(TypeError, match="^p must"):
        mpcore.discords(T, 8, p="x")  # (checked although a z-normalized profile ignores it)
    P = mpcore.stump(T, 8).P_
    with pytest.raises(ValueError, match="P has .* entries and T"):
        mpcore.motifs(T, np.concatenate([P, P]))
    T2 = np.stack([T, T[::-1].copy()])
    P2, I2 = mpcore.mstump(T2, 8)
    with pytest.raises(TypeError, match="^I must hold integer"):
        mpcore.mmotifs(T2, P2, I2.astype(float))
