"""GPU kernel tests: ``_gpu.run_pass`` against a brute-force NumPy reference, and
``gpu_stump``/``gpu_aamp`` against the CPU ``stump``/``aamp``.

Every test is skipped (with the reason) when no CUDA GPU is usable, which is the
normal case on CI machines; ``import mpcore._gpu`` itself never needs CUDA.
"""


import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import checks
import mpcore
from mpcore import _gpu

pytestmark = pytest.mark.skipif(
    not _gpu.gpu_available(), reason=f"no CUDA GPU: {_gpu.gpu_unavailable_reason()}"
)


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


def best(S, later=False):
    """Row-wise best under the total order (higher score, then lower index; the higher with
    ``later``)."""
    if later:
        idx = S.shape[1] - 1 - np.argmax(S[:, ::-1], axis=1)
    else:
        idx = np.argmax(S, axis=1)  # argmax returns the first (lowest) index of the max
    sc = S[np.arange(S.shape[0]), idx]
    idx = np.where(np.isneginf(sc), -1, idx)
    return sc, idx


def topk(S, k, later=False):
    """Row-wise k best under the total order, padded with (-inf, -1)."""
    cols = np.broadcast_to(np.arange(S.shape[1]), S.shape)
    order = np.lexsort((-cols if later else cols, -S), axis=1)[:, :k]
    sc = np.take_along_axis(S, order, axis=1)
    return sc, np.where(np.isneginf(sc), -1, order)


def run(X, Y, m, mode, p, d_start, d_stop, rows=True, cols=True, init=None, k=1,
        hints=(None, None), later=(False, False)):
    lX, lY = X["l"], Y["l"]
    rs, ri = (np.full(lX * k, -np.inf), np.full(lX * k, -1, np.int64)) if rows else (None, None)
    cs, ci = (np.full(lY * k, -np.inf), np.full(lY * k, -1, np.int64)) if cols else (None, None)
    if init is not None:
        init(rs, ri, cs, ci)
    _gpu.run_pass(0, mode, m, p, lX, X["T"], X["mu"], X["df"], X["dg"], X["w"],
                  lY, Y["T"], Y["mu"], Y["df"], Y["dg"], Y["w"], d_start, d_stop,
                  rs, ri, cs, ci, k=k, row_hint=hints[0], col_hint=hints[1],
                  row_later=later[0], col_later=later[1])
    return rs, ri, cs, ci


def check(S, got_score, got_idx, tol, exact_idx=False, later=False):
    want_score, want_idx = best(S, later)
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


@pytest.mark.parametrize("k", [1, 3])
def test_later_side_keeps_the_highest_index(k):
    """A side marked ``later`` (a self-join's left table) keeps the higher index of equal
    scores, the other side the lower, for k = 1 (one warp-reduced merge per row) and top-k."""
    m = 3
    T = np.random.default_rng(7).integers(0, 3, 2500).astype(np.float64)
    X = prepare(T, m, 1)
    S = score_matrix(X, X, m, 1, 2.0, 1, X["l"])
    for later in ((False, True), (True, False)):
        rs, ri, cs, ci = run(X, X, m, 1, 2.0, 1, X["l"], k=k, later=later)
        np.testing.assert_array_equal(ri.reshape(-1, k), topk(S, k, later[0])[1])
        np.testing.assert_array_equal(ci.reshape(-1, k), topk(S.T, k, later[1])[1])
        if k == 1:
            check(S, rs, ri, 0.0, exact_idx=True, later=later[0])
            check(S.T, cs, ci, 0.0, exact_idx=True, later=later[1])


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


@pytest.mark.parametrize("mode, p", [(0, 2.0), (1, 2.0), (2, 1.0)])
@pytest.mark.parametrize("k", [2, 5])
def test_topk_pass(mode, p, k):
    m = 20
    X = prepare(random_walk(2300, 15 + k), m, mode)
    d0 = 6
    S = score_matrix(X, X, m, mode, p, d0, X["l"])
    rs, ri, cs, ci = run(X, X, m, mode, p, d0, X["l"], k=k)
    tol = tol_for(S)
    for SS, sc, ix in ((S, rs, ri), (S.T, cs, ci)):
        want_s, want_i = topk(SS, k)
        got_s, got_i = sc.reshape(-1, k), ix.reshape(-1, k)
        np.testing.assert_array_equal(got_i == -1, want_i == -1)
        ok = want_i >= 0
        np.testing.assert_allclose(got_s[ok], want_s[ok], rtol=0, atol=tol)
        # each chosen index really has (numerically) the score reported, best first
        rows = np.nonzero(ok)[0]
        np.testing.assert_allclose(SS[rows, got_i[ok]], want_s[ok], rtol=0, atol=2 * tol)
        assert np.all(np.diff(got_s, axis=1)[np.isfinite(got_s[:, 1:])] <= 0)
        # no window listed twice for the same row
        srt = np.sort(got_i, axis=1)
        assert not np.any((srt[:, 1:] == srt[:, :-1]) & (srt[:, 1:] >= 0))


def test_topk_exact_ties():
    m, k = 3, 4
    T = np.random.default_rng(16).integers(0, 3, 2000).astype(np.float64)
    X = prepare(T, m, 1)
    S = score_matrix(X, X, m, 1, 2.0, 1, X["l"])
    rs, ri, cs, ci = run(X, X, m, 1, 2.0, 1, X["l"], k=k)
    np.testing.assert_array_equal(ri.reshape(-1, k), topk(S, k)[1])
    np.testing.assert_array_equal(ci.reshape(-1, k), topk(S.T, k)[1])


def test_hints_skip_cells_without_changing_results():
    m = 30
    X = prepare(random_walk(5000, 17), m, 0)
    S = score_matrix(X, X, m, 0, 2.0, 8, X["l"])
    plain = run(X, X, m, 0, 2.0, 8, X["l"])
    # lower bounds of each row's and column's best: just under the true best
    rbest, _ = best(S)
    cbest, _ = best(S.T)
    hints = (np.nextafter(rbest, -np.inf) - 1e-6, np.nextafter(cbest, -np.inf) - 1e-6)
    hinted = run(X, X, m, 0, 2.0, 8, X["l"], hints=hints)
    for u, v in zip(plain, hinted):
        np.testing.assert_array_equal(u, v)


def test_infinite_hint_skips_the_row():
    """A hint of +inf (a row its twins settle, mpcore._twins) keeps the row's table as it was:
    no cell is offered there; the other rows are as without hints."""
    m = 20
    T = np.tile(random_walk(300, 18), 4)  # every window repeated: the CPU settles them all
    X = prepare(T, m, 1)
    plain = run(X, X, m, 1, 2.0, 6, X["l"])
    rh = np.full(X["l"], -np.inf)
    ch = np.full(X["l"], -np.inf)
    rh[::3] = np.inf
    ch[1::3] = np.inf
    rs, ri, cs, ci = run(X, X, m, 1, 2.0, 6, X["l"], hints=(rh, ch))
    assert np.all(ri[::3] == -1) and np.all(rs[::3] == -np.inf)
    assert np.all(ci[1::3] == -1) and np.all(cs[1::3] == -np.inf)
    keep = np.ones(X["l"], bool)
    keep[::3] = False
    np.testing.assert_array_equal(ri[keep], plain[1][keep])
    keep = np.ones(X["l"], bool)
    keep[1::3] = False
    np.testing.assert_array_equal(ci[keep], plain[3][keep])


@pytest.mark.parametrize("l", [1, 2, 3, 127, 128, 129, 255, 256, 257, 1023, 1024, 1025, 1151,
                               1152, 1153, 1279, 1280, 1281, 4095, 4096, 4097, 8191, 8192, 8193])
def test_tile_edges(l):
    # window counts around every tile size of the kernel and of the shapes it was measured
    # with: sub-tile rows (128, 256), band width (1024), staged columns (1152, 1280),
    # work-item rows (4096)
    m = 4
    T = random_walk(l + m - 1, 18)
    X = prepare(T, m, 0)
    for d0 in (0, 2):
        S = score_matrix(X, X, m, 0, 2.0, d0, X["l"])
        rs, ri, cs, ci = run(X, X, m, 0, 2.0, d0, X["l"])
        check(S, rs, ri, tol_for(S))
        check(S.T, cs, ci, tol_for(S))


def test_three_threads_split_one_pass():
    import threading

    m = 25
    X = prepare(random_walk(6000, 19), m, 0)
    d0 = 7
    whole = run(X, X, m, 0, 2.0, d0, X["l"])
    cuts = [d0, 900, 2500, X["l"]]
    parts = [None] * 3

    def work(i):
        parts[i] = run(X, X, m, 0, 2.0, cuts[i], cuts[i + 1])

    ts = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for side in (0, 2):  # merge the three partial profiles: best score, then lowest index
        sc = np.stack([p[side] for p in parts])
        ix = np.stack([p[side + 1] for p in parts])
        key = np.lexsort((np.where(ix < 0, np.iinfo(np.int64).max, ix), -sc), axis=0)[0]
        cols = np.arange(sc.shape[1])
        np.testing.assert_array_equal(sc[key, cols], whole[side])
        np.testing.assert_array_equal(ix[key, cols], whole[side + 1])


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


def pair_dist(TA, TB, m, i, j, normalize=True, p=2.0):
    """Distances of the window pairs (TA[i:i+m], TB[j:j+m]), computed plainly (NaN for -1)."""
    i, j = np.asarray(i), np.asarray(j)
    ok = (i >= 0) & (j >= 0)
    a = sliding_window_view(TA, m)[np.where(ok, i, 0)]
    b = sliding_window_view(TB, m)[np.where(ok, j, 0)]
    if normalize:
        a = a - a.mean(axis=1, keepdims=True)
        b = b - b.mean(axis=1, keepdims=True)
        sa, sb = np.sqrt(np.sum(a * a, axis=1)), np.sqrt(np.sum(b * b, axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = np.sum(a * b, axis=1) / (sa * sb)
        d = np.sqrt(np.maximum(2 * m * (1 - rho), 0))
    else:
        d = np.sum(np.abs(a - b) ** p, axis=1) ** (1 / p)
    return np.where(ok, d, np.nan)


def assert_same_profile(gpu, cpu, TA, m, TB=None, normalize=True, p=2.0, k=1):
    """Distances equal to 1e-12; every index column (top-k, left, right) equal, except where
    the two choices are exact ties, checked on distances computed here from the series."""
    TB = TA if TB is None else TB
    gP = np.asarray(gpu.P_, dtype=np.float64).reshape(len(gpu), -1)
    cP = np.asarray(cpu.P_, dtype=np.float64).reshape(len(cpu), -1)
    np.testing.assert_allclose(gP, cP, rtol=1e-12, atol=1e-12)
    pairs = [(np.asarray(gpu.I_).reshape(len(gpu), -1), np.asarray(cpu.I_).reshape(len(cpu), -1))]
    pairs.append((np.asarray(gpu.left_I_)[:, None], np.asarray(cpu.left_I_)[:, None]))
    pairs.append((np.asarray(gpu.right_I_)[:, None], np.asarray(cpu.right_I_)[:, None]))
    rows = np.arange(len(cpu))
    for gI, cI in pairs:
        for col in range(gI.shape[1]):
            differ = gI[:, col] != cI[:, col]
            if not differ.any():
                continue
            assert np.all(gI[differ, col] >= 0) and np.all(cI[differ, col] >= 0)
            r = rows[differ]
            dg = pair_dist(TA, TB, m, r, gI[differ, col], normalize, p)
            dc = pair_dist(TA, TB, m, r, cI[differ, col], normalize, p)
            np.testing.assert_allclose(dg, dc, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n, m", [(2000, 50), (6000, 100)])
def test_gpu_stump_matches_stump(n, m):
    T = random_walk(n, 11)
    assert_same_profile(mpcore.gpu_stump(T, m), mpcore.stump(T, m), T, m)


@pytest.mark.parametrize("k", [2, 4])
def test_gpu_stump_topk_matches_stump(k):
    T = random_walk(5000, 21)
    T[1200:1260] = 2.0  # constant windows
    T[3000] = np.nan
    assert_same_profile(mpcore.gpu_stump(T, 40, k=k), mpcore.stump(T, 40, k=k), T, 40, k=k)
    TB = random_walk(3100, 22)
    assert_same_profile(mpcore.gpu_stump(T, 40, TB, ignore_trivial=False, k=k),
                        mpcore.stump(T, 40, TB, ignore_trivial=False, k=k), T, 40, TB, k=k)


def test_gpu_aamp_topk_matches_aamp():
    T = random_walk(3000, 23)
    for p in (1.0, 2.0, 3.0):
        assert_same_profile(mpcore.gpu_aamp(T, 30, p=p, k=3), mpcore.aamp(T, 30, p=p, k=3),
                            T, 30, normalize=False, p=p, k=3)


def test_gpu_stump_ab_and_nan():
    T_A, T_B = random_walk(3000, 12), random_walk(2200, 13)
    T_A[500] = np.nan
    assert_same_profile(mpcore.gpu_stump(T_A, 40, T_B, ignore_trivial=False),
                        mpcore.stump(T_A, 40, T_B, ignore_trivial=False), T_A, 40, T_B)


def test_gpu_aamp_matches_aamp():
    T = random_walk(3000, 14)
    for p in (1.0, 2.0, 3.0):
        assert_same_profile(mpcore.gpu_aamp(T, 30, p=p), mpcore.aamp(T, 30, p=p), T, 30,
                            normalize=False, p=p)


@pytest.mark.parametrize("seed", [1, 2])
def test_periodic_integer_series(seed):
    # exact ties everywhere: the GPU must choose as the CPU does
    T = np.tile(np.random.default_rng(seed).integers(0, 5, 20).astype(float), 6)
    for k in (1, 3):
        assert_same_profile(mpcore.gpu_stump(T, 10, k=k), mpcore.stump(T, 10, k=k), T, 10, k=k)
        assert_same_profile(mpcore.gpu_aamp(T, 10, k=k), mpcore.aamp(T, 10, k=k), T, 10,
                            normalize=False, k=k)


@pytest.mark.parametrize("k", [1, 3])
def test_twins_settled_rows_match_the_cpu(k):
    """Rows settled by identical windows before the pass (constant stretches, a square wave):
    the GPU gets +inf hints there, and the results equal the CPU's."""
    T = random_walk(4000, 25)
    T[500:2500] = 3.0
    T[3000:3400] = 3.0
    assert_same_profile(mpcore.gpu_aamp(T, 30, k=k), mpcore.aamp(T, 30, k=k), T, 30,
                        normalize=False, k=k)
    sq = np.tile([0.0, 0.0, 1.0, 1.0, 1.0], 800)
    with pytest.warns(UserWarning):
        assert_same_profile(mpcore.gpu_stump(sq, 25, k=k), mpcore.stump(sq, 25, k=k), sq, 25,
                            k=k)
    TB = random_walk(1500, 26)
    TB[200:700] = 3.0
    assert_same_profile(mpcore.gpu_aamp(T, 30, TB, ignore_trivial=False, k=k),
                        mpcore.aamp(T, 30, TB, ignore_trivial=False, k=k), T, 30, TB,
                        normalize=False, k=k)


def test_tile_edge_sweep_public_api():
    m = 8
    for l in (1, 2, 127, 129, 255, 257, 1023, 1025, 1153, 1281, 4095, 4097, 8193):
        T = random_walk(l + m - 1, 24 + l)
        assert_same_profile(mpcore.gpu_stump(T, m), mpcore.stump(T, m), T, m)


def test_threads_call_at_once():
    import threading

    Ts = [random_walk(3000 + 100 * i, 30 + i) for i in range(8)]
    want = [mpcore.stump(T, 32) for T in Ts]
    got = [None] * len(Ts)

    def work(i):
        got[i] = mpcore.gpu_stump(Ts[i], 32)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(len(Ts))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for g, w, T in zip(got, want, Ts):
        assert_same_profile(g, w, T, 32)


def test_bad_device_id():
    T = random_walk(500, 40)
    with pytest.raises(ValueError, match="device_id"):
        mpcore.gpu_stump(T, 20, device_id=_gpu.device_count() + 3)
    with pytest.raises(ValueError, match="device_id"):
        mpcore.gpu_stump(T, 20, device_id=[0, 0])
    with pytest.raises(TypeError, match="device_id"):
        mpcore.gpu_stump(T, 20, device_id="0")


@pytest.mark.parametrize("p, k", [(1.0, 1), (2.0, 1), (2.0, 3), (1.0, 2)])
def test_integer_counts_every_tie_in_order(p, k):
    """Small counts tie exactly between windows that are not identical: every index is the
    reference's, in STUMPY's order, as on the CPU (test_ties): the kernel's left side keeps
    the later of equal scores (col_later)."""
    checks.assert_integer_counts_tie_order(mpcore.gpu_aamp, p, k)


def hard_series(kind, n=1500, seed=50):
    """Inputs that are hard on the kernels' rounding (the CPU's test_extreme kinds)."""
    rng = np.random.default_rng(seed)
    T = random_walk(n, seed)
    if kind == "offset":
        return T + 1e6
    if kind == "plateaus":  # levels far above their noise (test_extreme's series)
        rng = np.random.default_rng(3)
        T = random_walk(600, 3)
        for start, level in zip(range(40, 450, 150), (1e3, -40.0, 7.25, 3e5)):
            T[start : start + 120] = level + 1e-9 * rng.standard_normal(120)
        return T
    if kind == "spike":
        T[n // 2] = 1e8
        return T
    if kind == "levels":  # two halves 1e8 apart
        T[n // 2 :] += 1e8
        return T
    if kind == "levels_bump":  # and a bump inside the upper level
        T[n // 2 :] += 1e8
        T[1100:1150] += 1e6
        return T
    if kind == "tiny":
        return T * 1e-300
    if kind == "nearflat":
        T[300:700] = 5.0 + 1e-9 * rng.standard_normal(400)
        return T
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["offset", "plateaus", "spike", "levels", "levels_bump", "tiny",
                                  "nearflat"])
def test_hard_inputs_against_the_brute_force(kind):
    """gpu_stump and gpu_aamp on inputs that stress the kernels' rounding: exact distances and
    every neighbour a nearest one, against the long-double brute force."""
    T = hard_series(kind)
    m = 16
    checks.assert_profile(mpcore.gpu_stump(T, m), T, m)
    checks.assert_profile(mpcore.gpu_stump(T, m, k=2), T, m, k=2)
    if kind != "plateaus":  # (an AB-join of two such series has near-repeats: test_extreme)
        TB = hard_series(kind, 700, seed=51)
        checks.assert_profile(mpcore.gpu_stump(T, m, TB, ignore_trivial=False), T, m, TB)
    if kind not in ("plateaus", "nearflat"):  # (p-norms rank near-flat windows only so far:
        for p in (1.0, 2.0):                   # README, "ranking resolution")
            checks.assert_profile(mpcore.gpu_aamp(T, m, p=p), T, m, normalize=False, p=p)
