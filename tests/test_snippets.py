"""snippets/aampdist_snippets against a brute-force reference (plain NumPy) and STUMPY."""
import math
import warnings

import naive
import numpy as np
import pytest
from conftest import random_walk
from test_mpdist import ref_select

import mpcore


def ref_profiles(T, m, s, rank, normalize, p, n_cand, const=None):
    """D[i, c] = MPdist(T[i m : i m + m], T[c : c + m]) with sub-windows of s points, from the
    brute-force s-window distance matrix of T with itself."""
    D_all = naive.distance_matrix(T, s, None, normalize, p, const, const).astype(np.float64)
    l, j = len(T) - m + 1, m - s + 1
    D = np.empty((n_cand, l))
    for i in range(n_cand):
        block = D_all[i * m : i * m + j]  # the candidate's j sub-windows against all of T
        for c in range(l):
            sub = block[:, c : c + j]
            D[i, c] = ref_select(np.concatenate([sub.min(axis=1), sub.min(axis=0)]), rank)
    return D


def ref_snippets(T, m, k, percentage=1.0, s=None, mpdist_percentage=0.05, mpdist_k=None,
                 normalize=True, p=2.0, const=None):
    s = min(s, m) if s is not None else min(math.ceil(percentage * m), m)
    j = m - s + 1
    rank = min(mpdist_k if mpdist_k is not None else math.ceil(mpdist_percentage * 2 * m),
               2 * j - 1)
    n_cand = len(T) // m if normalize else math.ceil(len(T) / m) - 1
    D = ref_profiles(T, m, s, rank, normalize, p, n_cand, const)
    chosen, covered = [], np.full(D.shape[1], np.inf)
    areas = []
    for _ in range(k):
        totals = [np.minimum(D[i], covered).sum() for i in range(n_cand)]
        best = int(np.argmin(totals))
        chosen.append(best)
        areas.append(totals[best])
        covered = np.minimum(covered, D[best])
    profiles = D[chosen]
    # each window belongs to the first chosen snippet whose profile reaches the minimum; one
    # that no snippet reaches (all inf, as in STUMPY) belongs to every snippet
    owner = np.argmin(profiles, axis=0)
    unreached = ~np.isfinite(profiles.min(axis=0))
    masks = [(owner == i) | unreached for i in range(k)]
    fractions = np.array([mask.mean() for mask in masks])
    regimes = []
    for i, mask in enumerate(masks):
        c = 0
        while c < len(mask):
            if mask[c]:
                e = c
                while e < len(mask) and mask[e]:
                    e += 1
                regimes.append([i, c, e])
                c = e
            else:
                c += 1
    idx = np.array(chosen) * m
    snips = np.array([T[a : a + m] for a in idx])
    return snips, idx, profiles, fractions, np.array(areas), np.array(regimes)


def _check(got, want):
    names = ["snippets", "indices", "profiles", "fractions", "areas", "regimes"]
    for name, g, w in zip(names, got, want):
        if name in ("indices", "regimes"):
            np.testing.assert_array_equal(g, w, err_msg=name)
        else:
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10, err_msg=name)


def _series():
    rng = np.random.default_rng(3)
    yield "uniform", rng.uniform(-1000, 1000, 64), 8
    yield "walk, ragged end", random_walk(131, 4), 10
    T = random_walk(120, 5)
    T[30:50] = 1.0
    yield "constant stretch", T, 9
    T = np.concatenate([np.sin(np.linspace(0, 12 * np.pi, 60)), random_walk(60, 6)])
    yield "two regimes", T, 12
    T = random_walk(100, 7)
    T[[10, 70]] = np.nan
    yield "nan", T, 8


SERIES = list(_series())


@pytest.mark.parametrize("name,T,m", SERIES, ids=[c[0] for c in SERIES])
@pytest.mark.parametrize("kw", [dict(k=1), dict(k=3), dict(k=2, s=3), dict(k=2, percentage=0.6),
                                dict(k=2, s=5, mpdist_k=2), dict(k=3, mpdist_percentage=0.5)])
def test_snippets_brute_force(name, T, m, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check(mpcore.snippets(T, m, **kw), ref_snippets(T, m, **kw))


@pytest.mark.parametrize("name,T,m", SERIES, ids=[c[0] for c in SERIES])
@pytest.mark.parametrize("p", [1.0, 2.0])
@pytest.mark.parametrize("kw", [dict(k=2), dict(k=2, s=4)])
def test_aampdist_snippets_brute_force(name, T, m, p, kw):
    want = ref_snippets(T, m, normalize=False, p=p, **kw)
    _check(mpcore.aampdist_snippets(T, m, p=p, **kw), want)
    _check(mpcore.snippets(T, m, normalize=False, p=p, **kw), want)


def test_isconstant_function():
    T = random_walk(90, 8)
    rule = lambda a, w: np.arange(len(a) - w + 1) % 4 == 0  # noqa: E731
    const = rule(T, 5)
    _check(mpcore.snippets(T, 9, 2, s=5, mpdist_T_subseq_isconstant=rule),
           ref_snippets(T, 9, 2, s=5, const=const))


@pytest.mark.slow  # STUMPY's first calls JIT-compile for minutes
def test_against_stumpy():
    stumpy = pytest.importorskip("stumpy")
    T = random_walk(300, 9)
    for kw in (dict(), dict(s=6), dict(percentage=0.5, mpdist_k=3)):
        for normalize in (True, False):
            ours = mpcore.snippets(T, 20, 3, normalize=normalize, **kw)
            theirs = stumpy.snippets(T, 20, 3, normalize=normalize, **kw)
            for a, b in zip(ours, theirs):
                np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-7)


def test_threads_do_not_change_the_result():
    T = random_walk(2000, 10)
    with mpcore.threads(1):
        one = mpcore.snippets(T, 50, 3, s=20)
    two = mpcore.snippets(T, 50, 3, s=20)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_input_not_modified():
    T = random_walk(100, 1)
    T0 = T.copy()
    mpcore.snippets(T, 10, 2)
    mpcore.aampdist_snippets(T, 10, 2)
    np.testing.assert_array_equal(T, T0)


@pytest.mark.parametrize("kw,err,word", [
    (dict(m=60, k=1), ValueError, "m <= len"),
    (dict(m=2, k=1), ValueError, "m"),
    (dict(m=8.0, k=1), TypeError, "m"),
    (dict(m=8, k=0), ValueError, "k"),
    (dict(m=8, k=1, s=0), ValueError, "s"),
    (dict(m=8, k=1, s=2.5), TypeError, "s"),
    (dict(m=8, k=1, percentage=0.0), ValueError, "percentage"),
    (dict(m=8, k=1, mpdist_k=-1), ValueError, "mpdist_k"),
    (dict(m=8, k=1, mpdist_percentage="x"), TypeError, "mpdist_percentage"),
    (dict(m=8, k=1, normalize=2), TypeError, "normalize"),
])
def test_bad_input(kw, err, word):
    with pytest.raises(err, match=word):
        mpcore.snippets(random_walk(100, 1), **kw)
