"""GPU kernel tests: ``_gpu.run_pass`` against a brute-force NumPy reference, and
``gpu_stump``/``gpu_aamp`` against the CPU ``stump``/``aamp``.

Every test is skipped (with the reason) when no CUDA GPU is usable, which is the
normal case on CI machines; ``import mpcore._gpu`` itself never needs CUDA.
"""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import mpcore
from mpcore import _gpu

pytestmark = pytest.mark.skipif(
    not _gpu.gpu_available(), reason=f"no CUDA GPU: {_gpu.gpu_unavailable_reason()}"
)

F32_TOL = 1e-3  # > (2*512 + 4) * 2**-24 * G with generous G, see _gpu's docstring


def random_walk(n, seed=0):
    return np.cumsum(np.random.default_rng(seed).standard_normal(n))


def prepare(T, m, mode):
    """The per-window arrays of the contract, built independently of mpcore's own code."""
    T = np.asarray(T, dtype=np.float64)
    l = T.shape[0] - m + 1
    win = sliding_window_view(T, m)
    valid = np.all(np.isfinite(win), axis=1)
    Tk = np.where(np.isfinite(T), T, 0.0)
    if mode != 0:
        w = np.where(valid, 1.0, np.nan)
        return dict(l=l, T=Tk, mu=None, df=None, dg=None, w=w)
    Tk = Tk - Tk.mean()
    wk = sliding_window_view(Tk, m)
    mu = wk.mean(axis=1)
    ss = np.sum((wk - mu[:, None]) ** 2, axis=1)
    ok = valid & (ss > 0)
    w = np.full(l, np.nan)
    w[ok] = 1.0 / np.sqrt(ss[ok])
    df = np.zeros(l)
    dg = np.zeros(l)
    df[:-1] = (Tk[m:] - Tk[: l - 1]) / 2
    dg[:-1] = (Tk[m:] - mu[1:]) + (Tk[: l - 1] - mu[:-1])
    return dict(l=l, T=Tk, mu=mu, df=df, dg=dg, w=w)


def score_matrix(X, Y, m, mode, p, d_start, d_stop):
    """Exact scores S[r, c] on the pass's diagonals, -inf elsewhere and for NaN."""
    xw = sliding_window_view(X["T"], m)
    yw = sliding_window_view(Y["T"], m)
    if mode == 0:
        cov = (xw - X["mu"][:, None]) @ (yw - Y["mu"][:, None]).T
        S = cov * X["w"][:, None] * Y["w"][None, :]
    else:
        S = np.empty((X["l"], Y["l"]))
        for r in range(X["l"]):
            e = np.abs(xw[r][None, :] - yw)
            S[r] = -(np.sum(e * e, axis=1) if mode == 1 else np.sum(e**p, axis=1))
        S *= X["w"][:, None] * Y["w"][None, :]
    d = np.arange(Y["l"])[None, :] - np.arange(X["l"])[:, None]
    S[(d < d_start) | (d >= d_stop) | np.isnan(S)] = -np.inf
    return S


def best(S):
    """Row-wise best under the total order (higher score, then lower index)."""
    idx = np.argmax(S, axis=1)  # argmax returns the first (lowest) index of the max
    sc = S[np.arange(S.shape[0]), idx]
    idx = np.where(np.isneginf(sc), -1, idx)
    return sc, idx


def run(X, Y, m, mode, p, d_start, d_stop, rows=True, cols=True, f32=False, init=None):
    lX, lY = X["l"], Y["l"]
    rs, ri = (np.full(lX, -np.inf), np.full(lX, -1, np.int64)) if rows else (None, None)
    cs, ci = (np.full(lY, -np.inf), np.full(lY, -1, np.int64)) if cols else (None, None)
    if init is not None:
        init(rs, ri, cs, ci)
    _gpu.run_pass(0, mode, m, p, lX, X["T"], X["mu"], X["df"], X["dg"], X["w"],
                  lY, Y["T"], Y["mu"], Y["df"], Y["dg"], Y["w"], d_start, d_stop,
                  rs, ri, cs, ci, use_float32=f32)
    return rs, ri, cs, ci


def check(S, got_score, got_idx, tol, exact_idx=False):
    want_score, want_idx = best(S)
    none = want_idx == -1
    np.testing.assert_array_equal(got_idx[none], -1)
    ok = ~none
    np.testing.assert_allclose(got_score[ok], want_score[ok], rtol=0, atol=tol)
    # The chosen index must be (numerically) a best one; exact where ties are exact.
    chosen = S[np.nonzero(ok)[0], got_idx[ok]]
    np.testing.assert_allclose(chosen, want_score[ok], rtol=0, atol=2 * tol)
    if exact_idx:
        np.testing.assert_array_equal(got_idx, want_idx)


def tol_for(S, f32=False):
    scale = np.max(np.abs(S[np.isfinite(S)]), initial=1.0)
    return (F32_TOL if f32 else 1e-9) * scale


@pytest.mark.parametrize("mode, p", [(0, 2.0), (1, 2.0), (2, 1.0), (2, 3.0)])
def test_self_pass_both_sides(mode, p):
    # l > 4096 and > 1024 diagonals: several bands, row chunks, warps and re-seeds.
    m = 40 if mode == 0 else 12
    n = 4700 if mode == 0 else 1500
    X = prepare(random_walk(n, 1), m, mode)
    d0 = int(np.ceil(m / 4)) + 1
    S = score_matrix(X, X, m, mode, p, d0, X["l"])
    rs, ri, cs, ci = run(X, X, m, mode, p, d0, X["l"])
    tol = tol_for(S)
    check(S, rs, ri, tol)
    check(S.T, cs, ci, tol)


@pytest.mark.parametrize("mode", [0, 1])
@pytest.mark.parametrize("nA, nB", [(900, 1300), (1300, 700)])
def test_ab_pass(mode, nA, nB):
    m = 25
    X, Y = prepare(random_walk(nA, 2), m, mode), prepare(random_walk(nB, 3), m, mode)
    S = score_matrix(X, Y, m, mode, 2.0, 0, Y["l"])
    rs, ri, cs, ci = run(X, Y, m, mode, 2.0, 0, Y["l"])
    check(S, rs, ri, tol_for(S))
    check(S.T, cs, ci, tol_for(S))


def test_partial_diagonal_range_and_one_side():
    m = 16
    X = prepare(random_walk(3000, 4), m, 0)
    S = score_matrix(X, X, m, 0, 2.0, 700, 2100)
    rs, ri, _, _ = run(X, X, m, 0, 2.0, 700, 2100, cols=False)
    check(S, rs, ri, tol_for(S))
    _, _, cs, ci = run(X, X, m, 0, 2.0, 700, 2100, rows=False)
    check(S.T, cs, ci, tol_for(S))


@pytest.mark.parametrize("mode", [0, 1])
def test_nan_windows(mode):
    m = 20
    T = random_walk(2500, 5)
    T[[100, 101, 1500]] = np.nan
    T[2000:2100] = np.inf
    if mode == 0:
        T[600:660] = 3.0  # constant windows are invalid in mode 0
    X = prepare(T, m, mode)
    d0 = 5
    S = score_matrix(X, X, m, mode, 2.0, d0, X["l"])
    rs, ri, cs, ci = run(X, X, m, mode, 2.0, d0, X["l"])
    check(S, rs, ri, tol_for(S))
    check(S.T, cs, ci, tol_for(S))
    invalid = np.isnan(X["w"])
    assert np.all(ri[invalid] == -1) and np.all(np.isneginf(rs[invalid]))


def test_ties_take_lowest_index():
    # Small integers make every squared distance exact, so ties are exact too.
    m = 3
    T = np.random.default_rng(6).integers(0, 3, 3000).astype(np.float64)
    X = prepare(T, m, 1)
    S = score_matrix(X, X, m, 1, 2.0, 1, X["l"])
    rs, ri, cs, ci = run(X, X, m, 1, 2.0, 1, X["l"])
    check(S, rs, ri, 0.0, exact_idx=True)
    check(S.T, cs, ci, 0.0, exact_idx=True)


def test_merges_with_incoming_values():
    m = 20
    X = prepare(random_walk(1500, 7), m, 0)
    S = score_matrix(X, X, m, 0, 2.0, 5, X["l"])

    def init(rs, ri, cs, ci):
        rs[:10], ri[:10] = 2.0, 12345  # better than any correlation: must stay
        cs[:10], ci[:10] = 2.0, 54321

    rs, ri, cs, ci = run(X, X, m, 0, 2.0, 5, X["l"], init=init)
    assert np.all(rs[:10] == 2.0) and np.all(ri[:10] == 12345) and np.all(ci[:10] == 54321)
    check(S[10:], rs[10:], ri[10:], tol_for(S))


def test_deterministic():
    m = 30
    X = prepare(random_walk(3000, 8), m, 0)
    a = run(X, X, m, 0, 2.0, 8, X["l"])
    b = run(X, X, m, 0, 2.0, 8, X["l"])
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("mode", [0, 1])
def test_float32_within_bound(mode):
    m = 50
    X = prepare(random_walk(4500, 9), m, mode)
    S = score_matrix(X, X, m, mode, 2.0, 13, X["l"])
    rs, ri, cs, ci = run(X, X, m, mode, 2.0, 13, X["l"], f32=True)
    if mode == 1:  # non-normalized: bound relative to m * max|T|^2
        tol = F32_TOL * m * np.max(np.abs(X["T"])) ** 2
    else:
        tol = F32_TOL
    check(S, rs, ri, tol)
    check(S.T, cs, ci, tol)


def test_errors():
    X = prepare(random_walk(200, 10), 10, 0)
    with pytest.raises(TypeError):
        _gpu.run_pass(0, 0, 10, 2.0, X["l"], X["T"].astype(np.float32), X["mu"], X["df"],
                      X["dg"], X["w"], X["l"], X["T"], X["mu"], X["df"], X["dg"], X["w"],
                      1, X["l"], np.full(X["l"], -np.inf), np.full(X["l"], -1, np.int64))
    with pytest.raises(RuntimeError, match="CUDA"):  # no such device
        _gpu.run_pass(
            _gpu.device_count() + 5, 0, 10, 2.0, X["l"], X["T"], X["mu"], X["df"], X["dg"],
            X["w"], X["l"], X["T"], X["mu"], X["df"], X["dg"], X["w"], 1, X["l"],
            np.full(X["l"], -np.inf), np.full(X["l"], -1, np.int64))


# ------------------------------------------------------------- public API


def assert_same_profile(gpu, cpu, rtol=1e-12):
    """Distances equal to ``rtol``; indices equal except on exact distance ties."""
    gP = np.asarray(gpu[:, 0], dtype=np.float64)
    cP = np.asarray(cpu[:, 0], dtype=np.float64)
    np.testing.assert_allclose(gP, cP, rtol=rtol, atol=1e-12)
    for col in range(1, gpu.shape[1]):
        gi = np.asarray(gpu[:, col], dtype=np.int64)
        ci = np.asarray(cpu[:, col], dtype=np.int64)
        differ = gi != ci
        # where indices differ the two choices must be tied, hence equal distances
        np.testing.assert_allclose(gP[differ], cP[differ], rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("n, m", [(2000, 50), (6000, 100)])
def test_gpu_stump_matches_stump(n, m):
    T = random_walk(n, 11)
    assert_same_profile(mpcore.gpu_stump(T, m), mpcore.stump(T, m))


def test_gpu_stump_ab_and_nan():
    T_A, T_B = random_walk(3000, 12), random_walk(2200, 13)
    T_A[500] = np.nan
    assert_same_profile(mpcore.gpu_stump(T_A, 40, T_B, ignore_trivial=False),
                        mpcore.stump(T_A, 40, T_B, ignore_trivial=False))


def test_gpu_aamp_matches_aamp():
    T = random_walk(3000, 14)
    assert_same_profile(mpcore.gpu_aamp(T, 30), mpcore.aamp(T, 30))
    assert_same_profile(mpcore.gpu_aamp(T, 30, p=1.0), mpcore.aamp(T, 30, p=1.0))
