"""ostinato/aamp_ostinato (and their -ed and gpu_ bindings) against a brute-force consensus
motif (plain NumPy) and STUMPY."""
import warnings

import naive
import numpy as np
import pytest
from conftest import dask_client, random_walk

import mpcore
from mpcore import _gpu


def ref_ostinato(Ts, m, normalize=True, p=2.0):
    """Every window's radius (the largest distance to its nearest neighbour in each other
    series) from brute-force distance matrices; the best radius; then, among the nearest
    neighbours of the best window that reach the same radius, the one closest on average to
    its own nearest neighbours (the "most central" rule of the Ostinato paper and STUMPY)."""
    n = len(Ts)
    D = {(a, b): naive.distance_matrix(Ts[a], m, Ts[b], normalize, p).astype(np.float64)
         for a in range(n) for b in range(n) if a != b}

    def nn(a, q):  # distances and positions of window q of series a's nearest neighbours
        rad = np.zeros(n)
        pos = np.zeros(n, dtype=np.int64)
        for b in range(n):
            if b == a:
                row = naive.distance_matrix(Ts[a][q : q + m], m, Ts[a], normalize, p)[0]
                row = row.astype(np.float64)
            else:
                row = D[(a, b)][q]
            pos[b] = np.argmin(row)
            rad[b] = row[pos[b]]
        return rad, pos

    radii = [np.max([D[(a, b)].min(axis=1) for b in range(n) if b != a], axis=0)
             for a in range(n)]
    best = min(radii[a].min() for a in range(n))
    a = next(a for a in range(n) if radii[a].min() == best)
    q = int(np.argmin(radii[a]))
    rad, pos = nn(a, q)
    best_mean = rad.mean()
    for b in np.flatnonzero(np.isclose(rad, best)):
        r2, _ = nn(b, pos[b])
        if np.isclose(r2.max(), best) and r2.mean() < best_mean:
            a, q, best_mean = b, pos[b], r2.mean()
    return best, a, q, radii


def _sets():
    rng = np.random.default_rng(11)
    yield "walks", [random_walk(int(rng.integers(40, 90)), s) for s in range(4)], 8
    yield "two series", [random_walk(60, 20), random_walk(50, 21)], 5
    motif = np.sin(np.linspace(0, 2 * np.pi, 12)) * 3
    Ts = []
    for s in range(3):
        T = random_walk(80, 30 + s)
        at = int(rng.integers(0, 60))
        T[at : at + 12] = motif + 0.01 * rng.standard_normal(12)  # planted consensus motif
        Ts.append(T)
    yield "planted motif", Ts, 12
    Ts = [random_walk(70, 40 + s) for s in range(3)]
    Ts[1][20:35] = 0.5
    Ts[2][5] = np.nan
    yield "constant and nan", Ts, 6


SETS = list(_sets())


@pytest.mark.parametrize("name,Ts,m", SETS, ids=[c[0] for c in SETS])
@pytest.mark.parametrize("normalize,p", [(True, 2.0), (False, 2.0), (False, 1.0)])
def test_brute_force(name, Ts, m, normalize, p):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = mpcore.ostinato(Ts, m, normalize=normalize, p=p)
        if not normalize:
            assert mpcore.aamp_ostinato(Ts, m, p=p) == got
    best, a, q, radii = ref_ostinato(Ts, m, normalize, p)
    assert got[0] == pytest.approx(best, rel=1e-10, abs=1e-12)
    assert (got[1], got[2]) == (a, q)
    assert radii[got[1]][got[2]] == pytest.approx(got[0], rel=1e-10, abs=1e-12)


@pytest.mark.slow  # STUMPY's first calls JIT-compile for minutes
@pytest.mark.parametrize("seed", range(3))
def test_against_stumpy(seed):
    stumpy = pytest.importorskip("stumpy")
    rng = np.random.default_rng(seed)
    Ts = [np.cumsum(rng.standard_normal(int(rng.integers(50, 300)))) for _ in range(4)]
    m = int(rng.integers(3, 30))
    for ours, theirs in ((mpcore.ostinato(Ts, m), stumpy.ostinato(Ts, m)),
                         (mpcore.aamp_ostinato(Ts, m, p=1.0), stumpy.aamp_ostinato(Ts, m, p=1.0))):
        assert ours[0] == pytest.approx(theirs[0], rel=1e-7)
        assert ours[1:] == tuple(theirs[1:])


def test_isconstant_list():
    Ts = [random_walk(60, s) for s in range(3)]
    iscon = [np.zeros(len(T) - 5, dtype=bool) for T in Ts]
    iscon[0][10] = iscon[1][::9] = True
    got = mpcore.ostinato(Ts, 6, Ts_subseq_isconstant=iscon)
    # the flags change the distances: check the radius against flagged brute-force matrices
    radius = max(
        naive.distance_matrix(Ts[got[1]][got[2] : got[2] + 6], 6, Ts[b], True, 2.0,
                              iscon[got[1]][got[2] : got[2] + 1], iscon[b]).min()
        for b in range(3) if b != got[1]
    )
    assert got[0] == pytest.approx(float(radius), rel=1e-10)
    assert isinstance(iscon[0], np.ndarray)  # the caller's list is left alone


def test_inputs_not_modified():
    Ts = [random_walk(60, s) for s in range(3)]
    copies = [T.copy() for T in Ts]
    mpcore.ostinato(Ts, 5)
    mpcore.aamp_ostinato(Ts, 5)
    for T, T0 in zip(Ts, copies):
        np.testing.assert_array_equal(T, T0)


@pytest.mark.parametrize("args,err,word", [
    ((np.zeros((3, 20)), 5), ValueError, "list"),
    (([], 5), ValueError, "empty"),
    (([random_walk(30, 1), random_walk(10, 2)], 11), ValueError, "m"),
    (([random_walk(30, 1), "abc"], 5), TypeError, "Ts\\[1\\]"),
    (([random_walk(30, 1), random_walk(30, 2)], 5.5), TypeError, "m"),
])
def test_bad_input(args, err, word):
    with pytest.raises(err, match=word):
        mpcore.ostinato(*args)


def test_bad_isconstant():
    with pytest.raises(ValueError, match="Ts_subseq_isconstant"):
        mpcore.ostinato([random_walk(30, 1), random_walk(30, 2)], 5, Ts_subseq_isconstant=[None])


@pytest.mark.skipif(_gpu.gpu_available(), reason="a GPU is available")
def test_gpu_without_gpu_raises():
    Ts = [random_walk(60, s) for s in range(3)]
    for f in (mpcore.gpu_ostinato, mpcore.gpu_aamp_ostinato):
        with pytest.raises(RuntimeError, match="GPU"):
            f(Ts, 5)


@pytest.mark.skipif(not _gpu.gpu_available(), reason="no CUDA GPU")
def test_gpu_matches_cpu():
    Ts = [random_walk(1000, s) for s in range(4)]
    assert mpcore.gpu_ostinato(Ts, 20) == mpcore.ostinato(Ts, 20)
    assert mpcore.gpu_aamp_ostinato(Ts, 20, p=1.0) == mpcore.aamp_ostinato(Ts, 20, p=1.0)


@pytest.mark.slow
def test_dask_matches_cpu():
    Ts = [random_walk(800, s) for s in range(4)]
    Ts[2][100:130] = 1.0
    with dask_client() as client:
        assert mpcore.ostinatoed(client, Ts, 20) == mpcore.ostinato(Ts, 20)
        assert mpcore.aamp_ostinatoed(client, Ts, 20, p=1.0) == mpcore.aamp_ostinato(Ts, 20, p=1.0)
        assert mpcore.ostinatoed(client, Ts, 20, normalize=False) == mpcore.aamp_ostinato(Ts, 20)


def test_result_types_are_stumpys():
    """(numpy.float64, int, numpy.int64), as STUMPY returns them."""
    Ts = [random_walk(200, seed=s) for s in (1, 2, 3)]
    for f in (mpcore.ostinato, mpcore.aamp_ostinato):
        radius, Ts_idx, subseq_idx = f(Ts, 20)
        assert (type(radius), type(Ts_idx), type(subseq_idx)) == (np.float64, int, np.int64)
