"""Property-based: random small series (with repeats, NaN and flat runs) against brute force."""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import checks  # noqa: E402
import mpcore  # noqa: E402

values = st.one_of(st.integers(-3, 3).map(float), st.floats(-1e3, 1e3, allow_nan=False),
                   st.just(np.nan))


@settings(max_examples=200, deadline=None)
@given(T=st.lists(values, min_size=8, max_size=60), m=st.integers(3, 8), k=st.integers(1, 3),
       normalize=st.booleans())
def test_self_join_matches_brute_force(T, m, k, normalize):
    T = np.array(T)
    if len(T) < m:
        return
    mp = mpcore.stump(T, m, k=k, normalize=normalize)
    checks.assert_profile(mp, T, m, k=k, normalize=normalize)


@settings(max_examples=40, deadline=None)
@given(A=st.lists(values, min_size=5, max_size=40), B=st.lists(values, min_size=5, max_size=40),
       m=st.integers(3, 5))
def test_ab_join_matches_brute_force(A, B, m):
    A, B = np.array(A), np.array(B)
    mp = mpcore.stump(A, m, B, ignore_trivial=False)
    checks.assert_profile(mp, A, m, B)
