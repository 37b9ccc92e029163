"""Values near float64's limits: right answers against the long-double brute force, or a clear
ValueError; never inf/NaN or indices chosen from overflowed arithmetic."""
import numpy as np
import pytest
from conftest import random_walk

import checks
import naive
import mpcore
from mpcore import _pipeline, _prepare


def _walk(n=300, seed=0):
    W = random_walk(n, seed=seed)
    return W / np.abs(W).max()


def _series(name):
    W = _walk()
    if name == "mixed":  # the same shapes at 1e-300 and at 1e300 in one series
        T = W.copy()
        T[:150] *= 1e-300
        T[150:] *= 1e300
        return T
    if name == "opposite-1e307":  # |T - mean| would overflow
        return W * 1e305 + np.where(np.arange(300) < 150, -1.5e307, 1.5e307)
    if name == "spike-1e308":
        T = W * 1e-3
        T[77] = 1.7e308
        return T
    if name == "offset-subnormal":  # deviations near the smallest normal number
        return 1e-300 + W * 1e-307
    if name.startswith("spike-"):  # the rest scaled to 1e-200 or 1e-160: squares underflow
        T = W.copy()
        T[77] = float(name[6:])
        return T
    return W * float(name)


NAMES = ["1e306", "1.7e308", "1e300", "1e-300", "1e-310", "mixed", "opposite-1e307",
         "spike-1e308", "offset-subnormal", "spike-1e200", "spike-1e160"]


def test_values_whose_squares_underflow():
    """A window of zeros and one value of 1e-164 beside -1: its squared deviations underflow
    float64 (a Hypothesis example; the kernels' w was inf and the window's right neighbour
    was lost)."""
    T = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 2.68e-164, 0.0, -1.0])
    for k in (1, 2):
        checks.assert_profile(mpcore.stump(T, 3, k=k), T, 3, k=k)


@pytest.mark.parametrize("name", NAMES)
def test_znormalized(name):
    T = _series(name)
    checks.assert_profile(mpcore.stump(T, 12), T, 12)
    checks.assert_profile(mpcore.stump(T, 12, k=2), T, 12, k=2)
    TB = _series("1e-300")[::-1].copy()
    checks.assert_profile(mpcore.stump(T, 12, TB, ignore_trivial=False), T, 12, TB)


@pytest.mark.parametrize("name, p", [(name, p) for name in ["1e306", "1e300", "1e-300", "mixed"]
                                     for p in (1.0, 2.0)] + [("opposite-1e307", 2.0)])
def test_non_normalized(name, p):
    T = _series(name)
    checks.assert_profile(mpcore.aamp(T, 12, p=p), T, 12, normalize=False, p=p)


@pytest.mark.parametrize("name, p", [("1.7e308", 2.0), ("spike-1e308", 2.0),
                                     ("opposite-1e307", 1.0)])
def test_non_normalized_overflow_is_a_value_error(name, p):
    # distances of such windows exceed float64 (3e307 apart, 12 times: 3.6e308 for p = 1):
    # a clear error, not inf
    with pytest.raises(ValueError, match="float64 range"):
        mpcore.aamp(_series(name), 12, p=p)
    with pytest.raises(ValueError, match="float64 range"):
        mpcore.stump(_series(name), 12, normalize=False, p=p)


def test_shift_and_scale_never_overflow():
    T = np.array([1.7e308, -1.7e308, 1.6e308, np.nan, -1.0])
    shift = _prepare.common_shift(T)
    scale = _prepare.common_scale(T, shift=shift)
    assert np.isfinite(shift) and np.isfinite(scale) and scale > 0
    Tk = _prepare.prepare_series(T, 3, True, None, "T", shift, scale).T[: T.shape[0]]
    assert np.all(np.isfinite(Tk)) and np.abs(Tk).max() <= 1.0


def test_the_shift_ignores_one_outlier():
    # the median keeps a noise series at its own scale whatever one spike does
    T = np.random.default_rng(0).standard_normal(1000) * 1e-3
    T[500] = 1e5
    assert abs(_prepare.common_shift(T)) < 1e-3


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("offset", [1e6, -3e9])
def test_pnorm_offset_with_missing_values(offset, p):
    """p-norm kernels run on the series centred on its median: a missing value counted as 0
    beside values near 1e6 put terms of 1e18 (p = 3) in the running sums, whose rounding hid
    the distances (993 rows of 1901 wrong at p = 3); the exact distances stay uncentred."""
    T = random_walk(700, seed=5) + offset
    T[[300, 301, 555]] = np.nan
    checks.assert_profile(mpcore.aamp(T, 25, p=p), T, 25, normalize=False, p=p)
    TB = random_walk(400, seed=6) + offset
    TB[100] = np.inf
    checks.assert_profile(mpcore.aamp(T, 25, TB, ignore_trivial=False, p=p), T, 25, TB,
                          normalize=False, p=p)


def _far_apart(name, n, seed):
    """A random walk with part of it 1e8 away from the rest, which no one shift can centre:
    its second half raised by 1e8 ("levels"), one value of 1e8 ("spike"), or both."""
    T = random_walk(n, seed=seed)
    if "levels" in name:
        T[n // 2 :] += 1e8
    if "spike" in name:
        T[(n * 7) // 15] = 1e8
    return T


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("name", ["levels", "spike", "levels+spike"])
def test_pnorm_values_1e8_apart(name, p, kernel):
    """p-norm kernels whose running sums pass through cells of windows 1e8 apart (acc ~ m 1e16)
    and on into cells of two windows of the upper level: the rounding left there (~ulp(1e17))
    dwarfs those pairs' distances^p (~10), yet it was held to 1e-8 of the pairs' magnitude
    q_r + q_c (~m 1e16), so nothing was recomputed and the upper level's neighbours were ranked
    by noise (levels, p = 2: 655 rows of 1485 wrong, 4.53 for 3.69; p = 3: 730).  Tracked
    rows now hold each score to 1e-8 of its own value."""
    _assert_aamp_joins(_far_apart(name, 1000, seed=50), _far_apart(name, 600, seed=51), p, k=2)


def _assert_aamp_joins(T, TB, p, k, m=16):
    """aamp against the brute force: T's self-join (k = 1 and k), T against TB (k = 1) and TB
    against T (k)."""
    checks.assert_profile(mpcore.aamp(T, m, p=p), T, m, normalize=False, p=p)
    checks.assert_profile(mpcore.aamp(T, m, p=p, k=k), T, m, k=k, normalize=False, p=p)
    checks.assert_profile(mpcore.aamp(T, m, TB, ignore_trivial=False, p=p), T, m, TB,
                          normalize=False, p=p)
    checks.assert_profile(mpcore.aamp(TB, m, T, ignore_trivial=False, p=p, k=k), TB, m, T,
                          k=k, normalize=False, p=p)


@pytest.mark.parametrize("p", [2.0, 3.0])
def test_pnorm_values_1e8_apart_scraamp(p):
    """The diagonal-list kernels (scraamp) track their rounding as the bands do (scraamp on
    all diagonals, levels 1e8 apart: 379 rows of 885 wrong at p = 2)."""
    m = 16
    T = _far_apart("levels", 900, seed=50)
    np.random.seed(0)
    obj = mpcore.scraamp(T, m, percentage=1.0, p=p)
    obj.update()
    P_ref, I_ref, L_ref, R_ref, D = naive.stump(T, m, None, 1, False, p)
    tol = checks.RTOL * checks._scale(D)
    np.testing.assert_allclose(obj.P_, P_ref[:, 0].astype(np.float64), rtol=0, atol=tol)
    rows = np.arange(len(obj.P_))
    checks.assert_ties(D, rows, obj.I_, I_ref[:, 0], tol, "I")
    checks.assert_ties(D, rows, obj.left_I_, L_ref, tol, "left_I")
    checks.assert_ties(D, rows, obj.right_I_, R_ref, tol, "right_I")


def _tracked_series(name, n, seed):
    """Series whose p-norm diagonals run tracked (steps far above some pairs' distances^p):
    plateaus at integer levels with noise of 1e-7 (the edges' steps ~1e4 against the plateaus'
    pairs ~1e-12), a walk with a stretch of 3 + 1e-9 noise, noise of 1e-3 with a spike of 1e5,
    and plateaus 1e8 apart with a bump of 1e6."""
    rng = np.random.default_rng(seed)
    if name == "plateaus":
        return np.repeat(rng.integers(0, 100, n // 150 + 1).astype(float), 150)[:n] + (
            1e-7 * rng.standard_normal(n))
    if name == "flat":
        T = random_walk(n, seed=seed)
        T[n // 3 : n // 3 + n // 4] = 3.0 + 1e-9 * rng.standard_normal(n // 4)
        return T
    if name == "spike":
        T = 1e-3 * rng.standard_normal(n)
        T[n // 2] = 1e5
        return T
    return _far_levels(n, seed)


@pytest.mark.parametrize("p", [1.0, 2.0])
@pytest.mark.parametrize("name", ["plateaus", "flat", "spike", "levels"])
def test_pnorm_tracked_diagonals_scraamp(name, p, kernel):
    """The diagonal-list kernels' tracked p-norm rows, W at a time in vector code (each lane's
    state the carried one plus a prefix sum of the steps, its bound from those operations),
    against the brute force: scraamp on every diagonal, top-1 and top-3 (whose every
    diagonal of these series runs tracked for the most part)."""
    m = 16
    T = _tracked_series(name, 900, seed=60)
    D, tol, rows = _assert_scraamp_exact(T, m, p)
    P3, I3, _, _, _ = naive.stump(T, m, None, 3, False, p)
    np.random.seed(1)
    obj = mpcore.scraamp(T, m, percentage=1.0, p=p, k=3)
    obj.update()
    np.testing.assert_allclose(obj.P_, P3.astype(np.float64), rtol=0, atol=tol)
    for j in range(3):
        checks.assert_ties(D, rows, obj.I_[:, j], I3[:, j], tol, f"I[:, {j}]")


def _assert_scraamp_exact(T, m, p):
    """scraamp on every diagonal against the brute force (top-1: the profile, its indices and
    the left and right ones, ties within the tolerance); returns the brute force's distance
    matrix, the tolerance and the rows, for the caller's further checks."""
    P_ref, I_ref, L_ref, R_ref, D = naive.stump(T, m, None, 1, False, p)
    tol = checks.RTOL * checks._scale(D)
    rows = np.arange(len(P_ref))
    np.random.seed(0)
    obj = mpcore.scraamp(T, m, percentage=1.0, p=p)
    obj.update()
    np.testing.assert_allclose(obj.P_, P_ref[:, 0].astype(np.float64), rtol=0, atol=tol)
    checks.assert_ties(D, rows, obj.I_, I_ref[:, 0], tol, "I")
    checks.assert_ties(D, rows, obj.left_I_, L_ref, tol, "left_I")
    checks.assert_ties(D, rows, obj.right_I_, R_ref, tol, "right_I")
    return D, tol, rows


def _far_levels(n, seed, sign=1.0):
    """A random walk on two levels 1e8 and 2e8 (sign -1: -1e8 and -2e8), with a bump of 1e6
    over 12 points inside the outer one: every window lies far from the kernel series' 0
    against its own spread (the median lies between the levels, within the values' spread, so
    no shift is taken)."""
    T = random_walk(n, seed=seed) + sign * 1e8
    T[n // 2 :] += sign * 1e8
    T[(3 * n) // 4 : (3 * n) // 4 + 12] += sign * 1e6
    return T


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_pnorm_levels_far_from_zero(p, sign, kernel):
    """The lean loop's bound on the p-norm rounding, from magnitudes measured about a centre
    near the windows (mp_series.zblk), not about the kernel series' 0: measured from 0, every
    window of a level 1e8 away looked as large as the level, the bump's rows stepped by far
    less than 1e-8 of that and ran untracked, and the rounding of their sums outweighed the
    level's own distances (levels 1e8 and 2e8 with a bump: at p = 2, 635 rows of 1485 wrong,
    506 of an AB-join's; p = 3: 707; at n = 20000 with levels 0 and 1e8, m = 100, p = 3, 5083
    rows)."""
    _assert_aamp_joins(_far_levels(1500, seed=50, sign=sign), _far_levels(900, seed=51, sign=sign),
                       p, k=3)


@pytest.mark.parametrize("p", [2.0, 3.0])
def test_pnorm_levels_far_from_zero_relatives(p):
    """The same series through the kernels' other callers: scraamp (the diagonal-list
    kernels; 289 rows of 885 wrong at p = 2) and aampi's block updates (13 of 885)."""
    m = 16
    T = _far_levels(900, seed=50)
    D, tol, rows = _assert_scraamp_exact(T, m, p)
    P_ref, I_ref = naive.stump(T, m, None, 1, False, p)[:2]
    stream = mpcore.aampi(T[:500], m, egress=False, p=p)
    stream.update(T[500:])
    np.testing.assert_allclose(stream.P_, P_ref[:, 0].astype(np.float64), rtol=0, atol=tol)
    checks.assert_ties(D, rows, stream.I_, I_ref[:, 0], tol, "I")

def _plateaus(n, noise, seed):
    """A random walk with plateaus inserted at levels far above their noise (1e3 + 1e-9 noise,
    -40 + 1e-12 noise, ...): transitions stay unique shapes, so every neighbour is well
    defined."""
    rng = np.random.default_rng(seed)
    T = random_walk(n, seed=seed)
    for start, level in zip(range(40, n - 150, n // 4), (1e3, -40.0, 7.25, 3e5)):
        T[start : start + 120] = level + noise * rng.standard_normal(120)
    return T


@pytest.mark.parametrize("noise", [1e-4, 1e-9, 1e-12])
def test_plateaus_far_above_their_noise_are_ranked_by_the_kernels(noise):
    """Windows whose spread is far below their level are ranked by the kernels (no exact
    distance profile each: a series of such plateaus cost 300x a random walk) and still get
    their exact nearest neighbours: the kernels' deviations come from double-double means.
    Deviations of a few units in the last place of the level (1e-12 of 1e3) still take the
    exact path."""
    T = _plateaus(600, noise, seed=3)
    m = 16
    job = _prepare.prepare_job(T, m, None, True, True, 2.0, 1, None, None)
    assert (len(job.series[0].flat) == 0) == (noise >= 1e-9)
    checks.assert_profile(mpcore.stump(T, m), T, m)
    checks.assert_profile(mpcore.stump(T, m, k=2), T, m, k=2)
    # An AB-join: the windows that end a plateau with one value of the walk are near-repeats
    # of each other in z-normalized shape (one large value beside noise of 1e-9 of it), whose
    # order is the kernels' ranking resolution (README); every other row is exact, and every
    # reported distance is the exact distance to the reported neighbour.
    TB = _plateaus(400, noise, seed=4)
    mp = mpcore.stump(T, m, TB, ignore_trivial=False)
    P_ref, I_ref, _, _, D = naive.stump(T, m, TB)
    P, I = mp.P_, mp.I_
    rows = np.arange(len(P))
    tol = checks.RTOL * 2 * np.sqrt(m)
    np.testing.assert_allclose(P, D[rows, I].astype(np.float64), rtol=0, atol=tol)
    far = P_ref[:, 0].astype(np.float64) > 1e-2
    assert far.mean() > 0.9
    np.testing.assert_allclose(P[far], P_ref[far, 0].astype(np.float64), rtol=0, atol=tol)


def test_a_shift_that_rounds_values_is_not_taken():
    """An offset whose subtraction would round some values (1.5e6 + a walk, with a plateau at
    5e5, whose difference from it lies in a higher binade) is not taken: the z-normalized
    kernel series is the input itself, the plateau is ranked by the kernels, and the answers
    are exact.  prepare_series given such a shift keeps the near-flat rule against the
    windows' magnitude (the kernels could not see those values exactly)."""
    rng = np.random.default_rng(5)
    T = 1.5e6 + random_walk(500, seed=5)
    T[200:260] = 5e5 + 0.1 * rng.standard_normal(60)
    shift, scale = _prepare.kernel_centre(T)
    assert shift != 0.0 and not _prepare._shift_is_exact(T, shift, scale)
    job = _prepare.prepare_job(T, 12, None, True, True, 2.0, 1, None, None)
    assert len(job.series[0].flat) == 0
    checks.assert_profile(mpcore.stump(T, 12), T, 12)
    s = _prepare.prepare_series(T, 12, True, None, "T_A_subseq_isconstant", shift, scale,
                                tracked=True)
    assert len(s.flat)


def _flat_brute(T, m, rows, ok, excl, self_join):
    """Correlations of the flat rows with every window, centred in long double (the NumPy
    expression _flat_candidates' tiles replace)."""
    W = np.lib.stride_tricks.sliding_window_view(np.asarray(T, np.longdouble), m)
    Z = W - W.mean(axis=1, keepdims=True)
    Z /= np.sqrt((Z * Z).sum(axis=1, keepdims=True))
    C = np.full((len(rows), len(W)), -np.inf)
    good = np.flatnonzero(ok)
    C[:, good] = (Z[rows] @ Z[good].T).astype(np.float64)
    if self_join:
        d = np.arange(len(W))[None, :] - np.asarray(rows)[:, None]
        return np.where(d > excl, C, -np.inf), np.where(d < -excl, C, -np.inf)
    return C, None


def _best(scores, k, later):
    """The k best columns of each row of ``scores``, a top-k table's order (-1: none)."""
    idx = np.arange(scores.shape[1])
    out = np.full((scores.shape[0], k), -1)
    for i, s in enumerate(scores):
        keep = np.flatnonzero(np.isfinite(s))
        order = keep[np.lexsort((-idx[keep] if later else idx[keep], -s[keep]))][:k]
        out[i, : len(order)] = order
    return out


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN windows: never offered
@pytest.mark.parametrize("self_join", [True, False])
@pytest.mark.parametrize("k", [1, 3])
def test_flat_candidates_match_brute_force(monkeypatch, self_join, k):
    """_flat_candidates' tiles (here small, so that several blocks and row chunks meet and the
    exclusion zone crosses block edges) give each flat row, and each column, the candidates a
    long double brute force ranks first, on the right sides and outside the exclusion zone."""
    monkeypatch.setattr(_pipeline, "FLAT_BLOCK", 64)
    monkeypatch.setattr(_pipeline, "FLAT_ROWS", 5)
    m = 8
    T = random_walk(600, seed=4)
    T[100:160] = 7.0 + 1e-7 * np.sin(np.arange(60))
    T[300:340] = 2.0  # constant: left to _constant_candidates
    T[340:380] = 2.0 + 1e-7 * np.cos(np.arange(40) / 2)
    T[450] = np.nan
    # near-flat and almost periodic, a period just over the exclusion zone (m = 8: 2): each
    # window's nearest lies just past the zone, and would lie on its edge if the zone let it
    T[500:540] = 5.0 + 1e-7 * np.sin(2 * np.pi * np.arange(40) / 2.05)
    # (40 samples: no two windows 41 apart, 20 periods, whose near-ties would rank by rounding)
    B = random_walk(300, seed=5)
    B[40:90] = -1.0 + 1e-7 * np.sin(np.arange(50) / 3)
    job = _prepare.prepare_job(T, m, None if self_join else B, self_join, True, 2.0, k, None,
                               None, flat_exact=True)
    tables = job.new_tables()
    _pipeline._flat_candidates(job, tables, n_threads=2)
    X = job.series[0]
    Y = X if self_join else job.series[1]
    rows = np.asarray(X.flat)
    assert len(rows) > 10
    ok = Y.valid & (Y.const == 0)
    if self_join:
        right, left = _flat_brute(Y.exact, m, rows, ok, job.excl_zone, True)
        got_r = tables[0].I.reshape(-1, k)[rows]
        got_l = tables[1].I.reshape(-1, k)[rows]
        np.testing.assert_array_equal(got_r, _best(right, k, False))
        np.testing.assert_array_equal(got_l, _best(left, k, True))
        # scores within the kernels' tolerance of the truth
        P = tables[0].P.reshape(-1, k)[rows]
        want = np.take_along_axis(right, np.maximum(got_r, 0), axis=1)
        assert np.all(np.abs(P - want)[got_r >= 0] < 1e-8)
        # each non-flat column got the flat rows before it in its left table, after it in
        # its right one
        cols = np.flatnonzero(ok & ~np.isin(np.arange(Y.l), rows))
        for tab, side, later in ((tables[1], right, True), (tables[0], left, False)):
            want = _best(side.T[cols], k, later)
            np.testing.assert_array_equal(tab.I.reshape(-1, k)[cols],
                                          np.where(want >= 0, rows[np.maximum(want, 0)], -1))
    else:
        A_rows = rows
        okB = job.series[1].valid & (job.series[1].const == 0)
        WA = np.lib.stride_tricks.sliding_window_view(np.asarray(X.exact, np.longdouble), m)
        WB = np.lib.stride_tricks.sliding_window_view(np.asarray(job.series[1].exact,
                                                                 np.longdouble), m)
        ZA = WA - WA.mean(axis=1, keepdims=True)
        ZA /= np.sqrt((ZA * ZA).sum(axis=1, keepdims=True))
        ZB = WB - WB.mean(axis=1, keepdims=True)
        ZB /= np.sqrt((ZB * ZB).sum(axis=1, keepdims=True))
        C = np.full((len(A_rows), len(WB)), -np.inf)
        C[:, okB] = (ZA[A_rows] @ ZB[okB].T).astype(np.float64)
        CB = np.full((len(job.series[1].flat), X.l), -np.inf)
        okA = X.valid & (X.const == 0)
        CB[:, okA] = (ZB[job.series[1].flat] @ ZA[okA].T).astype(np.float64)
        # A's flat rows: all of B; A's other rows: B's flat windows (A's flat ones hold theirs)
        I = tables[0].I.reshape(-1, k)
        np.testing.assert_array_equal(I[A_rows], _best(C, k, False))
        others = np.flatnonzero(okA & ~np.isin(np.arange(X.l), A_rows))
        want = _best(CB.T[others], k, False)
        np.testing.assert_array_equal(
            I[others], np.where(want >= 0, np.asarray(job.series[1].flat)[np.maximum(want, 0)],
                                -1))
