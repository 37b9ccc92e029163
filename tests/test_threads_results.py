"""Results do not depend on the number of threads, the kernel, or the process-wide setting."""
import threading

import numpy as np
import pytest
from conftest import random_walk

import mpcore


def _same(a, b):
    np.testing.assert_array_equal(a.P_, b.P_)
    np.testing.assert_array_equal(a.I_, b.I_)
    np.testing.assert_array_equal(a.left_I_, b.left_I_)
    np.testing.assert_array_equal(a.right_I_, b.right_I_)


@pytest.mark.parametrize("args", [dict(), dict(k=3), dict(normalize=False),
                                  dict(normalize=False, p=1.0), dict(ab=True)], ids=str)
@pytest.mark.parametrize("shared_exact", [False, True], ids=["exact-steps-1", "exact-steps-n"])
def test_bitwise_identical_for_any_thread_count(args, shared_exact, monkeypatch):
    if shared_exact:  # the exact steps in row blocks on every thread, as for a long series
        monkeypatch.setattr(mpcore._pipeline, "REFINE_VALUES_PER_THREAD", 1000)
    args = dict(args)
    T = random_walk(3000, seed=1)
    T[100:140] = 0.0  # constant stretch: many exact ties
    T[1000:1040] = T[2000:2040]
    if args.pop("ab", False):
        args.update(T_B=random_walk(2000, seed=2), ignore_trivial=False)
    ref = mpcore.stump(T, 32, n_threads=1, **args)
    for n in (2, 3, 7):
        _same(ref, mpcore.stump(T, 32, n_threads=n, **args))


def test_thread_settings():
    previous = mpcore.set_num_threads(1)
    try:
        assert mpcore.get_num_threads() == 1
        with mpcore.threads(3):
            assert mpcore.get_num_threads() == 3
            seen = []
            t = threading.Thread(target=lambda: seen.append(mpcore.get_num_threads()))
            t.start()
            t.join()
            assert seen == [1]  # the context manager is per thread
        assert mpcore.get_num_threads() == 1
    finally:
        mpcore.set_num_threads(None)
    assert previous >= 1
    with pytest.raises(ValueError):
        mpcore.set_num_threads(0)


def test_mparray_behaves_like_stumpys():
    T = random_walk(100, seed=3)
    mp = mpcore.stump(T, 8, k=2)
    assert mp.P_.shape == (93, 2) and mp.I_.dtype == np.int64
    sub = mp[10:20]
    np.testing.assert_array_equal(sub.P_, mp.P_[10:20])
    mp[0, 0] = 123.0  # writes invalidate the cached typed columns
    assert mp.P_[0, 0] == 123.0
    col = mp[:, 2]  # first index column when k == 2
    assert col.dtype == object and isinstance(col[0], int)
    assert isinstance(mp[0, 0], float)


def test_show_config():  # GPU support: tests/test_config.py
    info = mpcore.show_config(print_out=False)
    assert info["cpu_kernel_in_use"] in info["cpu_kernels"]
