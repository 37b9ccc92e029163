"""mparray: STUMPY's constructor and attributes, pickling with k, and no stale typed columns."""
import copy
import pickle

import numpy as np
import pytest
from conftest import random_walk

import mpcore
from mpcore import mparray


@pytest.mark.parametrize("k", [1, 2, 3])
def test_pickle_keeps_k_m_and_columns(k):
    mp = mpcore.stump(random_walk(120, seed=k), 10, k=k)
    for clone in (pickle.loads(pickle.dumps(mp, protocol=proto)) for proto in (2, 5)):
        assert type(clone) is mparray
        assert (clone._m, clone._k, clone._excl_zone_denom) == (10, k, 4)
        np.testing.assert_array_equal(clone.P_, mp.P_)
        np.testing.assert_array_equal(clone.I_, mp.I_)
        np.testing.assert_array_equal(clone.left_I_, mp.left_I_)
        np.testing.assert_array_equal(clone.right_I_, mp.right_I_)
        assert clone.P_.shape == ((111,) if k == 1 else (111, k))
    deep = copy.deepcopy(mp)
    assert deep._k == k
    np.testing.assert_array_equal(deep.I_, mp.I_)


def test_pickle_of_a_slice_keeps_attributes():
    mp = mpcore.stump(random_walk(80, seed=1), 8, k=2)
    part = pickle.loads(pickle.dumps(mp[5:15]))
    assert part._k == 2
    np.testing.assert_array_equal(part.I_, mp.I_[5:15])


@pytest.mark.parametrize("k", [1, 2])
def test_writes_by_any_route_are_seen(k):
    mp = mpcore.stump(random_walk(100, seed=3), 8, k=k)
    np.asarray(mp)[0, 0] = 123.0  # bypasses mparray.__setitem__
    np.asarray(mp)[1, k] = 7
    view = mp[2:4]
    np.asarray(view)[0, 2 * k] = 11  # through a view of a slice
    mp[5, 2 * k + 1] = 13
    assert mp.P_.reshape(len(mp), -1)[0, 0] == 123.0
    assert mp.I_.reshape(len(mp), -1)[1, 0] == 7
    assert mp.left_I_[2] == 11 and mp.right_I_[5] == 13
    # STUMPY's naive.replace_inf writes in place, then reads P_
    mp[mp == np.inf] = 0.0
    assert np.all(np.isfinite(mp.P_))


def test_stumpys_constructor_and_template_attributes():
    arr = mpcore.stump(random_walk(64, seed=4), 3, k=2)
    mp = mparray(arr, 3, 2, 4)
    assert (mp._m, mp._k, mp._excl_zone_denom) == (3, 2, 4)
    sub = mp[1:, :]
    assert (sub._m, sub._k, sub._excl_zone_denom) == (3, 2, 4)
    np.testing.assert_array_equal(sub.P_, arr.P_[1:])
    plain = mparray(np.asarray(arr), 3, 2, 4)  # from a plain object array
    np.testing.assert_array_equal(plain.I_, arr.I_)


def test_column_types_like_stumpys():
    mp = mpcore.stump(random_walk(100, seed=3), 8, k=2)
    assert mp.P_.dtype == np.float64 and mp.I_.dtype == np.int64
    assert mp.left_I_.dtype == np.int64 and mp.right_I_.dtype == np.int64
    assert isinstance(mp[0, 0], float) and isinstance(mp[0, 2], int)
    P = mp.P_
    P[:] = -1.0  # the returned arrays are copies: writing them leaves the result alone
    assert mp.P_.min() >= 0.0


def _columns(l, k, ly, seed):
    """Typed result columns with what boxing must keep: -1 and indices into a longer series
    (AB-join), repeated indices, inf and NaN distances."""
    rng = np.random.default_rng(seed)
    P = np.sort(rng.random((l, k)) * 10, axis=1)
    P[::7, -1] = np.inf
    P[5, 0] = np.nan
    I = rng.integers(-1, ly, size=(l, k))
    left = np.where(rng.random(l) < 0.3, -1, rng.integers(0, l, size=l))
    right = np.where(rng.random(l) < 0.3, -1, I[:, 0])
    return P, I, left, right


def _same_table(got, want):
    assert got.dtype == want.dtype == object and got.shape == want.shape
    for g, w in zip(got.ravel().tolist(), want.ravel().tolist()):
        assert type(g) is type(w) and (g == w or (g != g and w != w)), (g, w)


@pytest.mark.parametrize("k,ly", [(1, 3000), (3, 3000), (2, 9000)])
def test_box_rows_in_pieces_equal_one_box(k, ly):
    """box_rows in pieces gives box_profile's table."""
    from mpcore import _exact

    cols = _columns(3000, k, ly, seed=k)
    want = _exact.box_profile(*cols)
    got = np.empty_like(want)
    for a, b in ((0, 1), (1, 1000), (1000, 1000), (1000, 2999), (2999, 3000)):
        _exact.box_rows(got, *cols, a, b)
    _same_table(got, want)
    with pytest.raises(ValueError, match="rows"):
        _exact.box_rows(got, *cols, 10, 3001)
    with pytest.raises(ValueError, match="shapes"):
        _exact.box_rows(np.empty((3000, 2 * k + 1), dtype=object), *cols, 0, 10)


@pytest.mark.parametrize("l", [5000, 2**18, 2**18 + 1])
def test_box_profile_shares_index_objects_up_to_2_18_rows(l):
    """The table holds the plain values whichever way its indices are boxed: up to 2**18 rows
    one int object per index is shared by all rows (fewer objects: a 16,384-row table fits one
    of pymalloc's arenas); beyond, a row's left or right index shares only its nearest's."""
    from mpcore import _exact

    P, I, left, right = _columns(l, 2, l + 7, seed=l)
    I[::3, 1] = I[::3, 0]
    right = np.where(right < 0, right, I[:, 0])  # a self-join's: one side is the nearest
    out = _exact.box_profile(P, I, left, right)
    want = [[float(x) for x in p] + [int(x) for x in i] + [int(a), int(b)]
            for p, i, a, b in zip(P.tolist(), I.tolist(), left.tolist(), right.tolist())]
    _same_table(out, np.array(want, dtype=object))
    rows = np.flatnonzero((I[:, 1] == I[:, 0]) & (I[:, 0] >= 256) & (I[:, 0] < l))  # not small ints
    assert len(rows) > 0
    shared = [out[i, 2] is out[i, 3] for i in rows]
    assert all(shared) if l <= 2**18 else not any(shared)
    same = np.flatnonzero((right == I[:, 0]) & (right >= 256) & (right < l))
    assert all(out[i, 5] is out[i, 2] for i in same)


def test_long_tables_boxed_by_threads_where_the_gil_is_off(monkeypatch):
    """A free-threaded CPython boxes long tables on several threads (forced here on any
    build): the result is the one thread's, the threads were asked for, and with the GIL on
    one thread boxes alone."""
    from mpcore import _mparray, _threads

    assert _mparray.box_threads(10**6, 4) == (1 if _mparray._gil_enabled() else 4)
    assert _mparray.box_threads(2 * _mparray.BOX_ROWS_PER_THREAD - 1, 4) == 1
    T = random_walk(40_000, seed=8)
    want = mpcore.stump(T, 50)
    monkeypatch.setattr(_mparray, "_gil_enabled", lambda: False)
    calls = []
    real = _threads.each

    def spy(fn, items, n):
        calls.append(n)
        return real(fn, items, n)

    monkeypatch.setattr(_threads, "each", spy)
    got = mpcore.stump(T, 50, n_threads=2)
    assert 2 in calls
    _same_table(got, want)
    assert type(got) is mparray and got._k == 1 and got._m == 50
