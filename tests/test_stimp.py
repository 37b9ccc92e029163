"""stimp/aamp_stimp (and their -ed and gpu_ bindings): profiles against brute-force self-joins,
the breadth-first order and the pan() image against plain NumPy references, and STUMPY."""
import math
import warnings

import naive
import numpy as np
import pytest
from conftest import dask_client, random_walk

import mpcore
from mpcore import _gpu
from mpcore._algos.stimp import bfs_indices, max_window_size


def ref_profile(T, m, normalize=True, p=2.0):
    """Brute-force self-join profile (exclusion zone ceil(m / 4))."""
    D = naive.distance_matrix(T, m, None, normalize, p).astype(np.float64)
    for i in range(D.shape[0]):
        D[i, max(0, i - math.ceil(m / 4)) : i + math.ceil(m / 4) + 1] = np.inf
    return D.min(axis=1)


def ref_bfs(n):
    """Breadth-first order of range(n), level by level, written as a recursion on levels."""
    out, level = [], [(0, n)]
    while level:
        nxt = []
        for lo, hi in level:
            mid = (lo + hi) // 2
            out.append(mid)
            nxt += [(a, b) for a, b in ((lo, mid), (mid + 1, hi)) if a < b]
        level = nxt
    return out


def ref_pan(rows, ms, threshold, normalize, contrast, binary, clip, scale_of):
    """The pan image from the computed rows (dict: row index -> profile padded with inf, in the
    order they were computed, which breaks ties of the percentile ranks)."""
    n_rows = len(ms)
    width = len(next(iter(rows.values())))
    PAN = np.full((n_rows, width), np.nan)
    for r, P in rows.items():
        PAN[r] = np.where(np.isinf(P), np.nan, P)
    done = sorted(rows)
    if normalize:
        for r in done:
            PAN[r] = np.minimum(1.0, PAN[r] * scale_of(ms[r]))
    if contrast:
        done = list(rows)
        vals = PAN[done].ravel()
        # rank: by value, NaN last, ties by position
        keys = [(1, 0.0, i) if np.isnan(v) else (0, v, i) for i, v in enumerate(vals)]
        rank = np.empty(len(vals))
        for pos, (_, _, i) in enumerate(sorted(keys)):
            rank[i] = pos / (len(vals) - 1) if len(vals) > 1 else 0.0
        PAN[done] = (1 / (1 + np.exp(-10 * (rank - threshold)))).reshape(len(done), width)
        done = sorted(rows)
    if binary:
        PAN[done] = np.where(PAN[done] <= threshold, 0.0, 1.0)
    if clip:
        PAN[done] = np.clip(PAN[done], 0.0, 1.0)
    out = PAN.copy()
    for r in range(n_rows):  # an uncomputed row shows the next computed row below it
        below = [d for d in done if d >= r]
        if below:
            out[r] = PAN[below[0]]
    out[np.isnan(out)] = np.nanmax(out)
    return out


@pytest.mark.parametrize("n", list(range(1, 70)) + [127, 128, 129, 1000])
def test_bfs_order(n):
    got = bfs_indices(n)
    assert list(got) == ref_bfs(n)
    assert sorted(got) == list(range(n))


def test_max_window_size():
    for n in range(4, 300):
        m = max_window_size(n)
        # the largest m whose self-join still has a window pair outside the exclusion zone
        ok = lambda w: n - w + 1 > math.ceil(w / 4) + 1  # noqa: E731
        assert ok(m) and not ok(m + 1), n


def _series():
    yield "walk", random_walk(90, 1)
    T = random_walk(80, 2)
    T[20:35] = 1.0
    T[60] = np.nan
    yield "constant and nan", T


SERIES = list(_series())


@pytest.mark.parametrize("name,T", SERIES, ids=[s[0] for s in SERIES])
@pytest.mark.parametrize("normalize,p", [(True, 2.0), (False, 2.0), (False, 1.0)])
@pytest.mark.parametrize("kw", [dict(), dict(min_m=5, max_m=30, step=4), dict(min_m=20, max_m=4)])
def test_exact_profiles_and_pan(name, T, normalize, p, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if normalize:
            st = mpcore.stimp(T, percentage=1.0, pre_scrump=False, **kw)
        else:
            st = mpcore.aamp_stimp(T, percentage=1.0, pre_scraamp=False, p=p, **kw)
        lo, hi = sorted([kw.get("min_m", 3), kw.get("max_m", max_window_size(len(T)))])
        ms = np.arange(max(3, lo), min(hi, max_window_size(len(T))) + 1, kw.get("step", 1))
        np.testing.assert_array_equal(st.M_, ms[ref_bfs(len(ms))])
        rows = {}
        for i in range(min(6, len(ms))):
            st.update()
            m = int(st.M_[i])
            P = ref_profile(T, m, normalize, p)
            np.testing.assert_allclose(st.P_[i], P, rtol=1e-11, atol=1e-11)
            rows[int(np.flatnonzero(ms == m)[0])] = np.concatenate([P, np.full(m - 1, np.inf)])
    finite = T[np.isfinite(T)]
    if normalize:
        scale_of = lambda m: 1 / (2 * np.sqrt(m))  # noqa: E731
    else:
        scale_of = lambda m: 1 / ((finite.max() - finite.min()) * m ** (1 / p))  # noqa: E731
    for opts in (dict(), dict(binary=False), dict(contrast=False, binary=False),
                 dict(normalize=False, contrast=False, binary=False, clip=False),
                 dict(threshold=0.5)):
        full = dict(threshold=0.2, normalize=True, contrast=True, binary=True, clip=True)
        full.update(opts)
        want = ref_pan(rows, ms, scale_of=scale_of, **full)
        np.testing.assert_allclose(st.pan(**opts), want, rtol=1e-10, atol=1e-12,
                                   err_msg=str(opts))
    np.testing.assert_array_equal(st.PAN_, st.pan())


def test_normalize_false_is_aamp_stimp():
    T = random_walk(70, 3)
    a = mpcore.stimp(T, percentage=1.0, pre_scrump=False, normalize=False, p=1.0)
    b = mpcore.aamp_stimp(T, percentage=1.0, pre_scraamp=False, p=1.0)
    for _ in range(3):
        a.update()
        b.update()
    np.testing.assert_array_equal(a.PAN_, b.PAN_)


def test_update_past_the_end_and_anytime():
    T = random_walk(40, 4)
    st = mpcore.stimp(T, min_m=3, max_m=6, percentage=1.0, pre_scrump=False)
    for _ in range(10):
        st.update()
    assert all(np.isfinite(P).any() for P in st.P_)
    # anytime profiles (scrump) never go below the exact ones
    for pre in (False, True):
        approx = mpcore.stimp(random_walk(200, 5), min_m=8, max_m=20, percentage=0.2,
                              pre_scrump=pre)
        approx.update()
        m = int(approx.M_[0])
        exact = ref_profile(random_walk(200, 5), m)
        assert (approx.P_[0] >= exact - 1e-9).all()
        assert np.isfinite(approx.P_[0]).sum() > 0
    # the defaults (1 %, preSCRIMP) for both variants
    for cls in (mpcore.stimp, mpcore.aamp_stimp):
        st = cls(random_walk(150, 6))
        st.update()
        assert st.PAN_.shape == (len(st.M_), 150) and set(np.unique(st.PAN_)) <= {0.0, 1.0}


def test_input_not_modified():
    T = random_walk(60, 6)
    T0 = T.copy()
    st = mpcore.stimp(T, percentage=1.0, pre_scrump=False)
    st.update()
    np.testing.assert_array_equal(T, T0)


@pytest.mark.parametrize("kw,err,word", [
    (dict(min_m=2, max_m=None), ValueError, "min_m"),
    (dict(min_m=3.0), TypeError, "min_m"),
    (dict(max_m="x"), TypeError, "max_m"),
    (dict(step=0), ValueError, "step"),
    (dict(percentage="a"), TypeError, "percentage"),
    (dict(pre_scrump=2), TypeError, "pre_scrump"),
    (dict(T_subseq_isconstant_func=np.ones(3, bool)), ValueError, "callable"),
])
def test_bad_input(kw, err, word):
    with pytest.raises(err, match=word):
        mpcore.stimp(random_walk(60, 1), **kw)


@pytest.mark.slow  # STUMPY's first calls JIT-compile for minutes
def test_against_stumpy():
    stumpy = pytest.importorskip("stumpy")
    T = random_walk(200, 7)
    for normalize in (True, False):
        ours = mpcore.stimp(T, 4, 40, 2, percentage=1.0, pre_scrump=False, normalize=normalize)
        theirs = stumpy.stimp(T, 4, 40, 2, percentage=1.0, pre_scrump=False,
                              normalize=normalize)
        for _ in range(6):
            ours.update()
            theirs.update()
        np.testing.assert_array_equal(ours.M_, theirs.M_)
        np.testing.assert_allclose(ours.pan(binary=False), theirs.pan(binary=False),
                                   rtol=1e-7, atol=1e-7)


@pytest.mark.skipif(_gpu.gpu_available(), reason="a GPU is available")
def test_gpu_without_gpu_raises():
    for cls in (mpcore.gpu_stimp, mpcore.gpu_aamp_stimp):
        st = cls(random_walk(60, 1))
        with pytest.raises(RuntimeError, match="GPU"):
            st.update()


@pytest.mark.skipif(not _gpu.gpu_available(), reason="no CUDA GPU")
def test_gpu_matches_cpu():
    T = random_walk(1000, 1)
    a = mpcore.gpu_stimp(T, 10, 60, 5)
    b = mpcore.stimp(T, 10, 60, 5, percentage=1.0, pre_scrump=False)
    for _ in range(4):
        a.update()
        b.update()
    np.testing.assert_array_equal(a.PAN_, b.PAN_)


@pytest.mark.slow
def test_dask_matches_cpu():
    T = random_walk(1500, 1)
    T[100:130] = 1.0
    with dask_client() as client:
        for normalize in (True, False):
            a = mpcore.stimped(client, T, 10, 60, 5, normalize=normalize)
            b = mpcore.stimp(T, 10, 60, 5, percentage=1.0, pre_scrump=False,
                             normalize=normalize)
            for _ in range(3):
                a.update()
                b.update()
            np.testing.assert_array_equal(a.PAN_, b.PAN_)
        a = mpcore.aamp_stimped(client, T, 10, 60, 5, p=1.0)
        b = mpcore.aamp_stimp(T, 10, 60, 5, percentage=1.0, pre_scraamp=False, p=1.0)
        a.update()
        b.update()
        np.testing.assert_array_equal(a.PAN_, b.PAN_)
