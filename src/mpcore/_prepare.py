"""Prepare step of the pipeline: window statistics and the plan of passes and bands.

Shared by every engine (CPU threads, GPU, Dask): what it builds is plain NumPy arrays, so a Job
can be pickled to another process as is.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import _validate
from . import _exact
from . import _config, _engine, _threads, _twins
from ._engine import BAND, PAD

MODE_ZNORM, MODE_AAMP_P2, MODE_AAMP_P1, MODE_AAMP_P = 0, 1, 2, 3
EXCL_ZONE_DENOM = 4
FLAT_SSD = 1e-12  # per point, on the series scaled to max |T - shift| ~ 1 (see prepare_series)
# The same against a window's own magnitude, where the kernels see the series' values exactly
# (the shift rounded none of them) and track their rounding: only deviations of a few hundred
# units in the last place of the window's level (2**-45 of it) are left to the exact path.
FLAT_SSD_EXACT = 2.0**-90
# Scaled values below this take the exact path: the kernels multiply two of them (squares
# and co-moments of deviations), and below 2**-511 such a product leaves float64's normal
# range (1e-164 beside 1 gave w = inf and silently wrong neighbours); 2**-480 keeps m of
# them summed clear of it.
TINY = 2.0**-480
SEED_BAND = 128  # diagonals of the seeds' pass (see seed_thresholds)
# Top-k tables up to this k start from seeds of their k-th best (see seed_thresholds)
TOPK_SEED_MAX = _engine.SEED_GROUPS
SEED_MIN_WINDOWS = 512  # shorter series start their top-1 tables unseeded (see prepare_job)
# From this many windows the twins' hashing (~20 ns a window, one thread) runs beside the
# seeds' pass: below it, handing it to a thread costs more than it saves
TWINS_BESIDE_WINDOWS = 1 << 16


@dataclass
class Series:
    """One input series as the kernels see it (arrays padded by ``PAD`` for the vector loops)."""

    l: int
    T: np.ndarray  # kernel series: non-finite -> 0, less an offset or not (kernel_centre)
    mu: np.ndarray
    df: np.ndarray
    dg: np.ndarray
    w: np.ndarray  # 1/norm (or 1.0); NaN marks windows the kernels must skip
    exact: np.ndarray  # unpadded series the final distances are computed from
    valid: np.ndarray  # bool: window holds only finite values
    const: np.ndarray  # uint8: window is constant (z-normalized only)
    flat: np.ndarray  # indices of near-flat windows, left to the exact path (z-normalized only)
    # 0, or preSCRIMP's sampling step: the kernels score only the windows at its multiples
    # (mp_series.sample in _kernels/band.h)
    sample: int = 0
    # finalize offers every all-zero window its twins (_twins), so the kernels' rounding bound
    # may leave their pairs out (mp_series.zeros_settled in _kernels/band.h)
    zeros_settled: bool = False
    # z-normalized: the part of each window's mean that ``mu`` could not hold
    # (mp_series.mulo in _kernels/band.h); None for none
    mulo: np.ndarray | None = None


def _pow2_under(top: float) -> float:
    """A power of two p with top * p in [0.5, 1) (within float64's normal range)."""
    return float(np.ldexp(1.0, min(1020, max(-1020, -int(np.frexp(top)[1])))))


def _f64(series) -> list:
    return [np.ascontiguousarray(T, dtype=np.float64).reshape(-1) for T in series]


def _finite_top(*series: np.ndarray) -> float:
    return _exact.finite_top(_f64(series))


def common_shift(*series: np.ndarray) -> float:
    """The median of all finite values: z-normalized distances ignore offsets, and shifting a
    series like 1e9 + noise to the scale of its noise gives float64 all its digits back.  The
    median, not the mean: one outlier (1e5 in noise of 1e-3) would move the mean far from the
    noise and cost it the very digits the shift is for.  Computed on the series scaled by a
    power of two, so values near 1e308 cannot overflow.  One shift for all series keeps
    identical windows bitwise identical.  (Compiled: np.median's value, a zero as +0.0.)"""
    return _exact.common_shift(_f64(series))


def common_scale(*series: np.ndarray, shift: float = 0.0) -> float:
    """A power of two that brings the largest finite |T - shift| near 1: multiplying by it is
    exact, and keeps squares of values like 1e-200 or 1e200 from under- or overflowing.
    ``T - shift`` is formed as ``T * s - shift * s`` (s a power of two), so that values of
    opposite signs near 1e308 cannot overflow.  The power is ``s * 2**-e`` (``s`` bringing
    the largest |T| near 1, ``2**e`` the spread), kept within float64's range: for subnormal
    input (1e-310) the scaled series then stays below 1, which is harmless.  (Compiled.)"""
    return _exact.common_scale(_f64(series), float(shift))


def kernel_centre(*series: np.ndarray) -> tuple[float, float]:
    """The shift and scale of the kernel series: the median (common_shift) where it lies
    outside the values' spread, an offset (1e6 + noise), else 0; and common_scale for it.

    p-norm distances ignore a shift; shifted by an offset, the kernels' running sums stay on
    the scale of the spread (with 1e6 + noise, a missing value counted as 0 put terms of 1e18
    in them at p = 3, whose rounding hid the distances).  Within the spread a shift gains no
    digits, and it would turn a constant stretch at the median into all-zero windows, which
    a partial search (scrump) has to track.

    z-normalized: shifted by an offset or not at all, the series keeps every value exactly in
    the common case (_shift_is_exact), where a shift within the spread rounded the values far
    from it (1e-7 noise on a plateau at 0, less a median of 50, kept 7 of its digits)."""
    shift = common_shift(*series)
    scale = common_scale(*series, shift=shift)
    if abs(shift) * scale < 1.0:
        return 0.0, common_scale(*series, shift=0.0)
    return shift, scale


def _shift_is_exact(T: np.ndarray, shift: float, scale: float) -> bool:
    """Whether ``T * scale - shift * scale`` rounds none of the finite values: true of an
    offset series less its median (Sterbenz), false where values far from the shift lost
    digits to it.  (Compiled: _exact.shift_is_exact.)"""
    return _exact.shift_is_exact(np.ascontiguousarray(T, dtype=np.float64), shift, scale)


def prepare_series(T: np.ndarray, m: int, normalize: bool, isconstant_arg, name: str,
                   shift: float = 0.0, scale: float = 1.0, tracked: bool = False) -> Series:
    """Window statistics of one (validated, float64) series, computed on ``(T - shift) * scale``
    (p-norms: their exact distances on ``T * scale``, which a shift would round).  The per-point work is one compiled pass
    (_exact.series_stats, and _exact.near_flat), cut among mpcore's threads for a long series.

    ``tracked``: the engine bounds the rounding its recurrence accumulates (the CPU band
    kernels, see ``mp_series.e`` in _kernels/band.h), so a window is near-flat only against
    its own magnitude; otherwise (the CUDA and multi-dimensional kernels) against the series'
    scale, as an outlier's rounding could swamp a quiet window's co-moments."""
    n = T.shape[0]
    given = None
    if normalize and isconstant_arg is not None:
        # z-normalization is undefined for a window with all values equal: such a window is
        # constant whatever the caller's rule says (STUMPY would divide by zero there), so
        # series_stats adds those to the caller's
        valid = _validate.rolling_isfinite(T, m)
        Tn = np.where(np.isfinite(T), T, np.nan)
        given = _validate.isconstant(Tn, m, isconstant_arg, name, valid).view(np.uint8)
    Tp, mu, ssd, df, dg, w, exact, valid, const, tiny, mulo = _exact.series_stats(
        T, m, normalize, shift, scale, PAD, TINY, given, None)
    if normalize:
        # The recurrence's rounding is relative to the series' scale (about 1 after scaling), so a
        # window whose spread is a millionth of that would be ranked by rounding noise: such
        # near-flat windows skip the kernels and get exact distance profiles instead.
        # (Deciding this per window, against the window's own magnitude, is not enough: where
        # two large values meet in one step of a diagonal's recurrence (a spike S paired with
        # itself at c = r + m), their products of ~S^2 cancel and leave ~1e-16 S^2 in the
        # co-moments of every later pair on that diagonal until its next reseed.)
        # With ``tracked``, the kernels track what outliers leave in the co-moments; what is
        # left is the rounding of the window's own values: relative to their magnitude (an
        # offset the common shift could not remove, 1e5 + 1e-3 noise beside 0 + 1e-3 noise),
        # so a window is near-flat where ``ssd < FLAT_SSD * m * top**2``, ``top`` the
        # largest |value| of the window in the kernel series (Tp[:n], unpadded, a sliding max);
        # otherwise where ``ssd < FLAT_SSD * m``.  Values that scaling took near float64's
        # underflow (1e-300 beside 1e300) keep too few digits to rank windows by: such windows
        # take the exact path too (on the unscaled series; ``tiny`` holds the finite,
        # non-constant windows with such a value).  (Compiled: _exact.near_flat.)
        # Where the kernels see every value exactly (no shift, or one that rounded none:
        # 1e6 + noise less its median) and track their rounding, their operands are deviations
        # formed from double-double means (mp_series.mulo), exact to their own rounding: a
        # plateau of 1e3 + 1e-7 noise ranks as precisely as a clean series, and only windows
        # whose deviations are a few hundred units in the last place of their level are left
        # to the exact path (FLAT_SSD_EXACT; a series of such plateaus cost 300x a random walk
        # when every one took it).
        precise = tracked and (shift == 0.0 or _shift_is_exact(T, shift, scale))
        flat = _exact.near_flat(Tp, m, ssd, valid.view(np.uint8), const.view(np.uint8),
                                FLAT_SSD_EXACT if precise else FLAT_SSD, tracked,
                                None if tiny is None else tiny.view(np.uint8), None)
        if len(flat):
            w[flat] = np.nan  # the kernels skip them
        # Exact distances recentre and rescale each window themselves (_exact._wstats), so
        # they take the series as given (``exact``: non-finite values 0): the shift would round
        # away variations far below the offset (0.125 + 1e-223), the scale flush values like
        # 1e-300 beside 1e300 to zero.
    else:
        flat = np.zeros(0, dtype=np.int64)
    return Series(
        l=n - m + 1,
        T=Tp,
        mu=mu,
        df=df,
        dg=dg,
        w=w,
        exact=exact,
        valid=valid,
        const=const.view(np.uint8),
        flat=flat,
        mulo=mulo if normalize else None,
    )


@dataclass
class Table:
    """A top-k table: for each of ``l`` windows its ``k`` best (score, index), best first;
    equal scores by index, the lower first, or with ``later`` the higher (a self-join's left
    table: STUMPY's order takes the nearest in time on each side; mp_topk.later in band.h)."""

    l: int
    k: int
    later: bool = False
    P: np.ndarray = field(init=False)
    I: np.ndarray = field(init=False)
    thr: np.ndarray = field(init=False)

    def __post_init__(self):
        # (empty + fill: np.full's Python layer costs more than the fill for small tables)
        self.P = np.empty(self.l * self.k)
        self.P.fill(-np.inf)
        self.I = np.empty(self.l * self.k, dtype=np.int64)
        self.I.fill(-1)
        self.thr = np.empty(self.l + PAD)
        self.thr[: self.l] = -np.inf
        self.thr[self.l :] = np.inf

    def rows(self, a: int, b: int) -> Table:
        """Rows ``[a, b)`` as a table that shares this one's arrays (its indices stay this
        table's): for merges of rows an executor has finished, not for the kernels, which
        read thresholds past the last row (``PAD``)."""
        if not 0 <= a <= b <= self.l:
            raise ValueError(f"rows [{a}, {b}) outside a table of {self.l}")
        view = object.__new__(Table)
        view.l, view.k, view.later = b - a, self.k, self.later
        view.P = self.P[a * self.k : b * self.k]
        view.I = self.I[a * self.k : b * self.k]
        view.thr = self.thr[a:b]
        return view


@dataclass
class Job:
    """Everything an engine needs: the series, the passes over their diagonals, and the bands."""

    m: int
    k: int
    p: float
    normalize: bool
    mode: int
    self_join: bool
    excl_zone: int
    series: list[Series]
    passes: np.ndarray  # (npass, 4): x, y, rows target, cols target
    pass_diags: np.ndarray  # (npass, 2): first and past-last diagonal of each pass
    targets: list[int]  # series index of each target table
    bands: np.ndarray  # (nb, 3): pass, d0, d1; longest first
    reseed: int
    unscale: float = 1.0  # p-norm distances are computed on scaled series: multiply back
    seeds: list | None = None  # per target: a lower bound of each row's k-th best score
    # identical windows (_twins.find_twins): the column series' classes, and each row's twins
    classes: tuple | None = None
    twins: np.ndarray | None = None

    @property
    def cells(self) -> int:
        return int(band_cells(self).sum())

    def new_tables(self) -> list[Table]:
        tables = [Table(self.series[s].l, self.k) for s in self.targets]
        if self.self_join:  # (its targets: the right table, then the left)
            tables[1].later = True
        for table, seed in zip(tables, self.seeds or ()):
            table.thr[: table.l] = seed
        return tables


def _diagonal_scores(job: Job, X: Series, Y: Series, d: int) -> np.ndarray:
    """Scores of the pairs (r, r + d) by the kernels' own recurrence along one diagonal, as a
    cumulative sum restarted from an exact value every 4096 rows (O(l), not O(l m)), lowered
    by a margin far above the rounding of either, so that no kernel score for the same pair can
    fall below it; -inf where a pair is not an ordinary kernel candidate.

    Compiled (_exact.diagonal_scores, one pass).  z-normalized: step r adds
    ``df_c dg_r + dg_c df_r``, and the margin is ``1e-9 + 3e-8 + (1e-11 m + 2**-38 g) w_r w_c``
    with ``g`` the sum of the steps' bounds ``e_r e_c`` since the restart (``e`` as in
    mp_series.e of _kernels/band.h): the co-moment's rounding, here and in the kernels, is
    ~1e-12 m on the series' scale (|T| <= 1) plus what the steps leave (an outlier ~1e-16 S^2
    until the restart), amplified by both inverse norms, and the kernels keep their scores
    within MP_SCORE_TOL (1e-8) of exact besides.  p-norm: step ``|b|^p - |a|^p`` of the
    entering and leaving terms, margin ``1e-9 m 2**p`` (the series are scaled to |T| <= 1)."""
    return _exact.diagonal_scores(X, Y, int(d), job.m, job.normalize, float(job.p))


def _least(S) -> np.ndarray:
    """Each window's least of the rows of S (k lower bounds of scores of distinct pairs): a
    lower bound of its k-th best, -inf where any is -inf or NaN (no bound there)."""
    if len(S) == 1:
        return S[0]
    with np.errstate(invalid="ignore"):
        out = np.min(S, axis=0)
    out[~(out > -np.inf)] = -np.inf
    return out


def seed_thresholds(job: Job) -> list | None:
    """Start every top-1 table from a real candidate's score (lowered by a margin), so that a
    table only takes candidates at least that good: this cuts the insertions of a fresh table
    (the kernels' costly rare path) without changing any result, as each row's best scores at
    least as high as its seed.  Top-k tables (k <= TOPK_SEED_MAX) start from a lower bound of
    each row's k-th best: the least of k scores of distinct pairs (z-normalized: the maxima of
    k interleaved groups of the first band's diagonals, _engine.band_max(groups=k); p-norms:
    the first k diagonals' scores).

    Z-normalized: the best score of each row and column over the first band of diagonals
    (_engine.band_max, a pass without tables), lowered by a margin on the two windows' own
    scale.  Near a self-join's exclusion zone the scores
    of a row climb and fall from one diagonal to the next, and a table started from one
    diagonal took every climb: at n = 4096, m = 32 (2 workers, each with its own tables) the
    kernels left their fast path about 87,000 times, and about 28,000 times from these seeds
    (counted by emulating the kernels' order), for a pass over 1/16 of the cells.
    p-norms: the adjacent diagonal's scores (_diagonal_scores)."""
    k = job.k
    if k > TOPK_SEED_MAX:
        return None
    X = job.series[0]
    if job.normalize:
        kernel, reseed = _config.kernel_index(), job.reseed
        if job.self_join:
            gap = job.excl_zone + 1
            right, left = _engine.band_max(kernel, job.m, reseed, X, X, gap,
                                           max(gap, min(gap + SEED_BAND, X.l)), groups=k)
            return [_least(right), _least(left)]
        Y = job.series[1]
        rows, _ = _engine.band_max(kernel, job.m, reseed, X, Y, 0, min(SEED_BAND, Y.l),
                                   groups=k)
        _, cols = _engine.band_max(kernel, job.m, reseed, Y, X, 1,
                                   max(1, min(1 + SEED_BAND, X.l)), groups=k)
        return [np.maximum(_least(rows), _least(cols))]
    if job.self_join:
        gap = job.excl_zone + 1
        # the right table's candidates c = r + gap + j; the left's, r - gap - j (j < k)
        right = [_diagonal_scores(job, X, X, gap + j) for j in range(k)]
        left = np.full((k, X.l), -np.inf)
        for j, S in enumerate(right):
            left[j, gap + j:] = S[: max(0, X.l - gap - j)]
        return [_least(right), _least(left)]
    # A's windows past B's end get no seed: -inf, as before
    return [_least([_diagonal_scores(job, X, job.series[1], j) for j in range(k)])]


def band_cells(job: Job) -> np.ndarray:
    """Cells (row-diagonal pairs) of every band of ``job.bands``, vectorized."""
    bands = job.bands
    out = np.zeros(len(bands), dtype=np.int64)
    step = max(1, (1 << 22) // BAND)  # bounded scratch: step * BAND int64
    lens = np.array([s.l for s in job.series], dtype=np.int64)
    lx = lens[job.passes[bands[:, 0], 0]]
    ly = lens[job.passes[bands[:, 0], 1]]
    off = np.arange(BAND, dtype=np.int64)
    for i in range(0, len(bands), step):
        sl = slice(i, i + step)
        d = bands[sl, 1, None] + off
        c = np.minimum(lx[sl, None], ly[sl, None] - d).clip(0)
        c[d >= bands[sl, 2, None]] = 0
        out[sl] = c.sum(axis=1)
    return out


def _plan_bands(passes, pass_diags, series) -> np.ndarray:
    parts = []
    for ps, (ds, de) in enumerate(pass_diags.tolist()):
        d0 = np.arange(ds, de, BAND, dtype=np.int64)
        part = np.empty((len(d0), 3), dtype=np.int64)
        part[:, 0] = ps
        part[:, 1] = d0
        part[:, 2] = np.minimum(d0 + BAND, de)
        parts.append(part)
    if len(parts) == 1:
        # one pass: a band's length min(lx, ly - d0) never grows with d0, so the bands are in
        # order already (longest first, equal lengths by d0)
        return parts[0]
    bands = np.concatenate(parts) if parts else np.zeros((0, 3), dtype=np.int64)
    # longest bands first: workers that take the next band dynamically then finish together
    lens = np.array([s.l for s in series], dtype=np.int64)
    lx = lens[passes[bands[:, 0], 0]]
    ly = lens[passes[bands[:, 0], 1]]
    size = np.minimum(lx, ly - bands[:, 1])
    order = np.lexsort((bands[:, 1], bands[:, 0], -size))
    return np.ascontiguousarray(bands[order])


def _check_pnorm_range(series, m: int, p: float) -> None:
    """Non-normalized distances grow with the values: where one could exceed float64's range
    (values near 1e306), say so rather than return inf."""
    top = _finite_top(*series)
    with np.errstate(over="ignore"):
        bound = 2.0 * top * float(m) ** (1.0 / p)
    if not np.isfinite(bound):
        raise ValueError(f"T_A/T_B hold values up to {top:.3g}: p-norm distances of windows of "
                         f"length m = {m} could exceed the float64 range; rescale the input "
                         "(or use normalize=True)")


def check_ignore_trivial(T_A, T_B, ignore_trivial: bool) -> bool:
    """STUMPY's warnings when ``ignore_trivial`` does not fit the arrays."""
    equal = T_A.shape == T_B.shape and np.array_equal(T_A, T_B, equal_nan=True)
    if not ignore_trivial and equal:
        warnings.warn(
            "Arrays T_A, T_B are equal, which implies a self-join. "
            "Try setting `ignore_trivial = True`.",
            stacklevel=4,
        )
    if ignore_trivial and not equal:
        warnings.warn(
            "Arrays T_A, T_B are not equal, which implies an AB-join. "
            "`ignore_trivial` has been automatically set to `False`.",
            stacklevel=4,
        )
        ignore_trivial = False
    return ignore_trivial


def prepare_job(T_A, m, T_B, ignore_trivial, normalize, p, k, A_isconstant, B_isconstant,
                seeds: bool = True, flat_exact: bool = False) -> Job:
    """Validate the arguments of ``stump``/``aamp`` and build the Job (validate + prepare).
    ``seeds=False`` leaves ``job.seeds`` None and finds no twins (a job that searches only some
    diagonals, whose rows' best need not reach the seeds nor be settled before: scrump).
    ``flat_exact``: for an engine without the CPU kernels' rounding bookkeeping (the GPU's),
    near-flat windows take the exact path (:func:`untracked`), here, before the seeds are
    taken (applied after them, it took the seeds' pass again: 0.06 s at n = 2**20)."""
    normalize = _validate.check_bool(normalize, "normalize")
    ignore_trivial = _validate.check_bool(ignore_trivial, "ignore_trivial")
    k = _validate.check_k(k)
    p = _validate.check_p(p)
    A = _validate.as_series(T_A, "T_A")
    if T_B is None:
        if not ignore_trivial:
            warnings.warn(
                "`ignore_trivial` cannot be `False` for a self-join and has been automatically "
                "set to `True`.",
                stacklevel=3,
            )
        ignore_trivial = True
        B = A
        B_isconstant = A_isconstant
    else:
        B = _validate.as_series(T_B, "T_B")
        ignore_trivial = check_ignore_trivial(A, B, ignore_trivial)
    m = _validate.check_window(m, min(A.shape[0], B.shape[0]), "T_A" if A.shape[0] <= B.shape[0] else "T_B")
    if normalize:
        mode = MODE_ZNORM
    else:
        mode = {2.0: MODE_AAMP_P2, 1.0: MODE_AAMP_P1}.get(p, MODE_AAMP_P)
    excl_zone = int(math.ceil(m / EXCL_ZONE_DENOM))
    both = (A,) if ignore_trivial else (A, B)  # validated: float64, contiguous
    # Both modes: the median where it lies outside the values' spread (an offset), else 0.
    # z-normalized, the kernel series must hold every value exactly (prepare_series'
    # FLAT_SSD_EXACT): where the offset would round some (plateaus at 20 and 80 less a median
    # of 80), the series itself is taken instead, as its double-double means need no shift
    # (with the offset, every plateau window took an exact distance profile: 20x the time).
    shift, scale = kernel_centre(*both)
    if normalize and shift != 0.0 and not all(_shift_is_exact(x, shift, scale) for x in both):
        shift, scale = 0.0, common_scale(*both, shift=0.0)
    if not normalize:
        _check_pnorm_range(both, m, p)
    sa = prepare_series(A, m, normalize, A_isconstant, "T_A_subseq_isconstant", shift, scale,
                        tracked=True)
    if ignore_trivial:
        if sa.l // 2 <= excl_zone:
            # (STUMPY's words first, for callers that filter warnings by their text)
            warnings.warn(
                f"The window size, 'm = {m}', may be too large and could lead to meaningless "
                f"results. Consider reducing 'm' where necessary (len(T_A) = {A.shape[0]}: "
                "some subsequences have no eligible nearest neighbour and get distance inf, "
                "index -1)",
                stacklevel=3,
            )
        series = [sa]
        passes = np.array([[0, 0, 0, 1]], dtype=np.int64)  # rows -> right table, cols -> left
        pass_diags = np.array([[excl_zone + 1, max(excl_zone + 1, sa.l)]], dtype=np.int64)
        targets = [0, 0]
    else:
        sb = prepare_series(B, m, normalize, B_isconstant, "T_B_subseq_isconstant", shift,
                            scale, tracked=True)
        series = [sa, sb]
        # diagonals c - r >= 0 of (A, B) give A's rows; those of (B, A) give A's columns
        passes = np.array([[0, 1, 0, -1], [1, 0, -1, 0]], dtype=np.int64)
        pass_diags = np.array([[0, sb.l], [1, max(1, sa.l)]], dtype=np.int64)
        targets = [0]
    reseed = max(4096, 32 * m)
    job = Job(
        m=m,
        k=k,
        p=p,
        normalize=normalize,
        mode=mode,
        self_join=ignore_trivial,
        excl_zone=excl_zone,
        series=series,
        passes=passes,
        pass_diags=pass_diags,
        targets=targets,
        bands=_plan_bands(passes, pass_diags, series),
        reseed=reseed,
        unscale=1.0 if normalize else 1.0 / scale,
    )
    if flat_exact:
        untracked(job)
    if seeds:
        if job.series[0].l >= TWINS_BESIDE_WINDOWS:
            # the twins' hashing (one thread) beside the seeds' pass (every thread): neither
            # needs the other; the twins then settle their rows' seeds
            raw, _ = _threads.each(lambda f: f(), [lambda: seed_thresholds(job),
                                                   lambda: _twins.find_twins(job)], 2)
            job.seeds = _twins.settle_thresholds(job, raw)
        else:
            _twins.find_twins(job)
            job.seeds = start_thresholds(job)
        for s in series:
            s.zeros_settled = True
    return job


def start_thresholds(job: Job) -> list | None:
    """Where each target table's thresholds start: the seeds (seed_thresholds; seeding costs
    a fixed ~50 us of NumPy calls, and for a few hundred windows it saves less), and +inf for
    the rows identical windows settle (_twins.settle_thresholds)."""
    seeded = job.series[0].l >= SEED_MIN_WINDOWS
    return _twins.settle_thresholds(job, seed_thresholds(job) if seeded else None)


def untracked(job: Job) -> None:
    """Adapt ``job`` in place to an engine without the CPU kernels' rounding bookkeeping (the
    CUDA kernel): windows near-flat against the series' scale, which an outlier's rounding
    could swamp there, skip the kernel and take the exact path (``finalize``) instead."""
    if not job.normalize:
        return
    cut = 1.0 / math.sqrt(FLAT_SSD * job.m)  # w = 1/sqrt(ssd): ssd < FLAT_SSD * m
    changed = False
    for s in job.series:
        with np.errstate(invalid="ignore"):
            extra = np.flatnonzero(s.w[: s.l] > cut)  # NaN (unusable) compares False
        if len(extra):
            s.w[extra] = np.nan
            s.flat = np.union1d(s.flat, extra)
            changed = True
    if changed and job.seeds is not None:
        job.seeds = start_thresholds(job)
