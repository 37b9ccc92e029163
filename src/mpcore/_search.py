"""Distance profiles of queries against one series: the FFT ``mass``, prepared once per series.

Internal API (for ``mass`` and for the families that search one series many times: ``match``,
``motifs``, ``snippets``, ``mpdist``, ``ostinato``)::

    ps = prepare_mass(T, m)                 # O(n log m), once per (series, window size)
    D = ps.distance_profile(Q)              # per query: one batched FFT product, O(n log m)
    D = ps.distance_profile(Q, Q_subseq_isconstant=True)

``prepare_mass`` takes STUMPY's ``mass`` arguments for the series (``T_subseq_isconstant``,
``T_subseq_isfinite``, ``M_T``/``Σ_T``); ``ps.valid``, ``ps.const`` and ``ps.l`` describe the
windows.  Only z-normalized profiles are prepared (non-normalized ones stay on the exact path).

How a profile is computed, and why it is exact to ``TOL``:

1. The series is cut into overlapping blocks of ``B`` (a power of two, about 4m) points, each
   shifted by its own mean and transformed once (``numpy.fft.rfft``, batched).  A query's dot
   products with every window are then one product of spectra and one inverse transform.  Short
   blocks keep FFT rounding relative to the block's own magnitude, not the whole series', so a
   spike only affects the windows of its own blocks.
2. Each window's mean and spread come from sliding sums (``_mass.window_stats``, O(n), on a
   second thread beside the FFTs): plain sums for short windows, compensated Welford updates
   for long ones, in coordinates shifted by a recent window's mean, each carrying a running
   bound on its error.  A chain restarts exactly (O(m)) where its bound exceeds
   ``STATS_RESTART_REL`` of the window's own sum of squares (after a spike leaves the window,
   say); every window's bound goes on to ``finish``.
3. ``_mass.finish`` turns each dot product into a distance together with a bound on its error
   (FFT rounding, estimated as ``FFT_ERR_FACTOR * eps * log2(B) * ||q|| * ||block||`` with a wide
   margin over the worst error observed, and the statistics' bound, carried through the
   correlation and the square root).
   Wherever the bound exceeds ``TOL`` (near-matches, where ``D`` is small and the correlation
   cancels; flat windows next to large values) the distance is recomputed exactly, window by
   window (``_exact.distance_profile``), so the FFT only ever screens.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from . import _exact, _mass, _threads, _validate
from ._prepare import _pow2_under, common_scale

EPS = 2.0**-53
# Estimated FFT error per unit of ||q|| * ||block||, per level of the transform.  numpy's
# pocketfft stays below 0.25 * eps * log2(B) on random walks, spikes and offsets
# (tests/test_mass.py measures it); 8 leaves a margin of 30.
FFT_ERR_FACTOR = 8.0
# The largest error allowed in a reported z-normalized distance, relative to the largest
# possible one (2 sqrt(m)): 1.1e-12 at m = 32, 6.3e-12 at m = 1000.
TOL_REL = 1e-13
# A sliding chain of window statistics restarts exactly (O(m)) where the bound on a window's sum
# of squared deviations exceeds this much of it (64 eps: the restart itself is good to ~6 eps).
STATS_RESTART_REL = 2.0**-47


# Series at least this long use two threads (the GIL released), when allowed: window statistics
# beside the FFTs, and each profile's finish in two halves.  Shorter ones are not worth a thread.
THREADED = 50_000


def _threaded(l: int) -> bool:
    return l >= THREADED and _threads.get_num_threads() > 1


def _scale_of(T: np.ndarray, all_finite: bool) -> float:
    """``common_scale(T)``, without its copies when every value is finite: the largest |T|
    times a power of two is exact, so it is the scaled spread."""
    if not all_finite:
        return common_scale(T)
    top = float(np.max(np.abs(T)))
    if top == 0.0:
        return 1.0
    s = _pow2_under(top)
    e = math.frexp(s)[1] - 1 - math.frexp(top * s)[1]
    return math.ldexp(1.0, min(1020, e))


def _block_size(m: int, n: int) -> int:
    """A power of two of at least 4m (an FFT of B points gives B - m + 1 dot products) and 64,
    but no more than the series needs.  Longer blocks cost fewer transforms per window, shorter
    ones keep the rounding local (fewer exact recomputations): 4m measured best."""
    return 1 << int(math.ceil(math.log2(max(64, min(4 * m, n)))))


class PreparedSeries:
    """One series (a validated float64 array) prepared for z-normalized distance profiles with
    window size ``m``.  Build it with :func:`prepare_mass`."""

    def __init__(self, T: np.ndarray, m: int, T_subseq_isconstant=None,
                 T_subseq_isfinite=None, M_T=None, Σ_T=None):
        n = T.shape[0]
        l = n - m + 1
        self.m, self.l = m, l
        # one compiled pass: finite windows, and constant ones by STUMPY's default rule
        valid8, const8 = _mass.window_flags(T, m)
        all_finite = bool(valid8.all())
        if T_subseq_isfinite is not None:
            valid = np.asarray(T_subseq_isfinite)
            if valid.dtype != np.bool_ or valid.shape != (l,):
                raise ValueError(f"T_subseq_isfinite must be a bool array of length {l}")
            valid8 = valid.astype(np.uint8)
        else:
            valid = valid8.view(bool)
        self.valid = valid
        self._valid8 = valid8
        if T_subseq_isconstant is None:
            const8 &= valid8
            const = const8.view(bool)
        else:
            const = _validate.isconstant(T if all_finite else np.where(np.isfinite(T), T, np.nan),
                                         m, T_subseq_isconstant, "T_subseq_isconstant", valid)
            const8 = const.astype(np.uint8)
        self.const = const
        self._const8 = const8
        # z-normalized distances ignore scale: a power of two (exact) keeps squares of values
        # like 1e200 or 1e-200 in range.  No common shift: one dominated by a few spikes would
        # round away the digits of quiet stretches; each block and window is centred on its own.
        scale = _scale_of(T, all_finite)
        self.Ts = T * scale if all_finite else np.where(np.isfinite(T), T * scale, 0.0)
        jobs = [self._transform]  # and the statistics' chains, unless given
        if M_T is not None and Σ_T is not None:  # (one alone is ignored, as STUMPY does)
            M = _validate.as_series(M_T, "M_T")
            S = _validate.as_series(Σ_T, "Σ_T")
            if M.shape != (l,) or S.shape != (l,):
                raise ValueError(f"M_T and Σ_T must have length len(T) - m + 1 = {l}")
            # the caller's statistics are used as given (STUMPY's semantics), also when exact
            self._given = (M * scale, S * scale)
            self.mu = M * scale
            with np.errstate(divide="ignore", invalid="ignore"):
                ssd = m * (S * scale) ** 2
                self._isd = np.where(ssd > 0.0, 1.0 / np.sqrt(ssd), 0.0)
            self._rel = np.zeros(l)
        else:
            self._given = (None, None)
            # windows whose statistics are never used (non-finite, constant) never restart a
            # chain; the chains are computed beside the FFTs, below
            skip = (valid8 ^ 1) | const8
            stats = (np.empty(l), np.empty(l), np.empty(l))
            for c in range(_mass.stats_chains(l)):
                jobs.append(functools.partial(_mass.window_stats, self.Ts, m, skip,
                                              STATS_RESTART_REL, c, c + 1, *stats))
        # 0: an ordinary window, 1: non-finite, 2: constant (finish's cases)
        # (const8 is 0 wherever valid8 is 0: isconstant's rule)
        self._kind = (const8 << 1) | (valid8 ^ 1)
        self._B = B = _block_size(m, n)
        self._L = B - m + 1
        # the FFTs and the statistics' chains (all release the GIL) on two threads for a long
        # series, each taking the next job as it frees up: who computes what changes nothing
        _threads.each(lambda job: job(), jobs, 2 if _threaded(l) else 1)
        if self._given[0] is None:
            self.mu, self._isd, self._rel = stats
        self._fft_err = FFT_ERR_FACTOR * EPS * math.log2(B)

    def _transform(self) -> None:
        """The spectra of the series' overlapping blocks of B points."""
        nb = -(-self.l // self._L)
        X, self._shift, self._bnorm = _mass.blocks(self.Ts, self._B, self._L, nb)
        self._spectra = np.fft.rfft(X, axis=1)

    def distance_profile(self, Q: np.ndarray, Q_subseq_isconstant=None) -> np.ndarray:
        """Z-normalized distances from ``Q`` (float64, length m) to every window: ``inf`` where
        either holds a non-finite value; STUMPY's constant-window rules."""
        m, l = self.m, self.l
        Q = np.asarray(Q, dtype=np.float64)
        if Q.shape != (m,):
            raise ValueError(f"Q must have length m = {m}, got shape {Q.shape}")
        if not np.all(np.isfinite(Q)):
            return np.full(l, np.inf)
        if isinstance(Q_subseq_isconstant, (bool, np.bool_)):
            Q_subseq_isconstant = np.array([bool(Q_subseq_isconstant)])
        constQ = bool(_validate.isconstant(Q, m, Q_subseq_isconstant, "Q_subseq_isconstant",
                                           np.ones(1, bool))[0])
        Qs = Q * common_scale(Q)
        qhat = Qs - np.mean(Qs)
        qsum = math.fsum(qhat)
        qss = math.fsum(qhat * qhat) - qsum * qsum / m  # the true mean's sum of squares
        qnorm = math.sqrt(qss) if qss > 0.0 else 0.0
        D = np.empty(l)
        redo = np.empty(l, dtype=np.uint8)
        fft = qnorm > 0.0 and not constQ  # else no dot products are needed (constant query)
        spectrum = np.fft.rfft(qhat, self._B).conj() if fft else None
        args = (m, self._shift, self._bnorm, self.mu, self._isd, self._rel, self._kind, constQ,
                qnorm, qsum, self._fft_err, 4.0 * EPS, TOL_REL * 2.0 * math.sqrt(m), D, redo)
        nb, L = self._spectra.shape[0], self._L

        def part(b0, b1):
            # blocks b0 <= b < b1: their dot products (one row each; finish reads the first L),
            # then their windows' distances; numpy's FFT and finish both release the GIL
            if fft:
                C = np.fft.irfft(self._spectra[b0:b1] * spectrum, self._B, axis=1)
            else:
                C = np.zeros((b1 - b0, self._B))
            return _mass.finish(C, *args, b0 * L, min(b1 * L, l), b0)

        halves = [(0, nb // 2), (nb // 2, nb)] if _threaded(l) else [(0, nb)]
        nredo = sum(_threads.each(lambda h: part(*h), halves, len(halves)))
        if nredo:
            exact = _exact.distance_profile(Qs, self.Ts, m, True, 2.0, redo, self._const8,
                                            constQ, *self._given)
            np.copyto(D, exact, where=redo.view(bool))
        return D


def prepare_mass(T, m: int, T_subseq_isconstant=None, T_subseq_isfinite=None, M_T=None,
                 Σ_T=None) -> PreparedSeries:
    """Validate ``T`` and ``m`` and prepare ``T`` for many z-normalized distance profiles."""
    Ta = _validate.as_series(T, "T")
    m = _validate.check_window(m, Ta.shape[0], "T")
    return PreparedSeries(Ta, m, T_subseq_isconstant, T_subseq_isfinite, M_T, Σ_T)
