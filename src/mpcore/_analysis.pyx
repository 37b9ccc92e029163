"""Compiled loops of the analysis layer: distance profiles over prepared window statistics,
greedy picking of matches/discords with an exclusion zone, arc counts, and chains.

Every loop here is O(n) or O(n m) and runs without the GIL.
"""
import numpy as np

from libc.math cimport sqrt, fabs, pow, INFINITY
from libc.stdint cimport int64_t, uint8_t

cdef extern from "_kernels/band.h":
    ctypedef void (*mp_pow_fn)(const double *, int64_t, double, double *) noexcept nogil
    mp_pow_fn mp_pow_kernel_get(int i) noexcept nogil

# Windows are processed in blocks of this many, so that the per-window accumulators and
# statistics of a block stay in L1 while the query is swept over them, and the inner loop runs
# over independent windows (it vectorizes; a loop over one window's points is a serial sum).
cdef enum:
    BLOCK = 256


cdef void _zstats(const double *T, int64_t m, double *mu, double *corr, double *isd,
                  int64_t j0, int64_t j1) noexcept nogil:
    """zstats of the windows j0 <= j < j1 (each window's bits do not depend on its block)."""
    cdef int64_t t, b, jb, nb
    cdef double s[BLOCK]
    cdef double q[BLOCK]
    cdef double m0[BLOCK]
    cdef double d
    jb = j0
    while jb < j1:
        # blocks of windows, points in the outer loop: the inner loop runs over
        # independent windows and vectorizes
        nb = min(<int64_t> BLOCK, j1 - jb)
        for b in range(nb):
            s[b] = 0.0
            q[b] = 0.0
        for t in range(m):
            for b in range(nb):
                s[b] += T[jb + b + t]
        for b in range(nb):
            m0[b] = s[b] / m
            s[b] = 0.0
        for t in range(m):
            for b in range(nb):
                d = T[jb + b + t] - m0[b]
                s[b] += d
                q[b] += d * d
        for b in range(nb):
            d = q[b] - s[b] * s[b] / m
            mu[jb + b] = m0[b]
            corr[jb + b] = s[b] / m
            isd[jb + b] = sqrt(m / d) if d > 0.0 else INFINITY
        jb += nb


def zstats(const double[::1] T, int64_t m, double[::1] mu, double[::1] corr, double[::1] isd,
           int64_t j0, int64_t j1):
    """Mean ``mu + corr`` and ``isd = sqrt(m / sum of squared deviations)`` of the windows
    ``j0 <= j < j1``, into the given arrays.

    Two passes per window (O(m) each), with the residual of the first pass kept apart as
    ``corr``: the distance kernel uses ``(x - mu) - corr``, which keeps the digits of the noise
    on a large offset (1e9 + 1e-3 noise).  Computed once per series, reused by every query.
    A window with zero spread gets ``isd = inf``; callers treat it as constant.
    """
    if j0 < 0 or j1 > mu.shape[0] or j1 > corr.shape[0] or j1 > isd.shape[0] or \
            (j1 > j0 and j1 + m - 1 > T.shape[0]):
        raise ValueError("zstats: windows out of range")
    if j1 <= j0:
        return
    with nogil:
        _zstats(&T[0], m, &mu[0], &corr[0], &isd[0], j0, j1)


def zstats_at(const double[::1] T, int64_t m, const int64_t[::1] idx, double[::1] mu,
              double[::1] corr, double[::1] isd):
    """:func:`zstats` for the windows listed in ``idx`` only (near-flat windows, whose sliding
    statistics are not accurate enough), sorted: each run of consecutive windows in blocks
    (a call per window cost 1.5 us, 10 ms for a series mostly constant)."""
    cdef int64_t a = 0, b, n = idx.shape[0], l = mu.shape[0]
    if corr.shape[0] < l or isd.shape[0] < l or T.shape[0] < l + m - 1:
        raise ValueError("zstats_at: arrays too short")
    for b in range(n):
        if not 0 <= idx[b] < l or (b and idx[b] <= idx[b - 1]):
            raise ValueError("zstats_at: idx must be sorted, distinct windows")
    with nogil:
        while a < n:
            b = a + 1
            while b < n and idx[b] == idx[b - 1] + 1:
                b += 1
            _zstats(&T[0], m, &mu[0], &corr[0], &isd[0], idx[a], idx[b - 1] + 1)
            a = b


def zprofile(const double[::1] Q, const double[::1] T, int64_t m, const double[::1] mu,
             const double[::1] corr, const double[::1] isd, const uint8_t[::1] valid,
             const uint8_t[::1] constT, bint constQ, double[::1] out, int64_t j0, int64_t j1):
    """z-normalized distances from ``Q`` (length m) to the windows ``j0 <= j < j1`` of ``T``.

    STUMPY's rules: a window holding NaN/inf (``valid`` 0) is ``inf`` away, two constant windows
    0 and one constant window ``sqrt(m)``.  Each distance is summed from the z-normalized points
    themselves (no dot-product identity), so equal windows are exactly 0 apart.
    """
    cdef int64_t j, t, b, jb, nb
    cdef double sm = sqrt(<double> m), mq, cq, sq, s, q, d
    cdef double acc[BLOCK]
    cdef double off[BLOCK]
    cdef double sc[BLOCK]
    cdef double cr[BLOCK]
    cdef bint nz
    qn_a = np.empty(m)
    cdef double[::1] qn = qn_a
    with nogil:
        if not constQ:
            s = 0.0
            for t in range(m):
                s += Q[t]
            mq = s / m
            s = 0.0
            q = 0.0
            for t in range(m):
                d = Q[t] - mq
                s += d
                q += d * d
            q = q - s * s / m
            cq = s / m
            sq = sqrt(m / q)
            for t in range(m):
                qn[t] = ((Q[t] - mq) - cq) * sq
        jb = j0
        while jb < j1:
            nb = min(<int64_t> BLOCK, j1 - jb)
            nz = False
            for b in range(nb):
                acc[b] = 0.0
                off[b] = mu[jb + b]
                sc[b] = isd[jb + b]
            if not constQ:
                for b in range(nb):
                    cr[b] = corr[jb + b]
                    nz = nz or cr[b] != 0.0
                if nz:
                    for t in range(m):
                        q = qn[t]
                        for b in range(nb):
                            d = ((T[jb + b + t] - off[b]) - cr[b]) * sc[b] - q
                            acc[b] += d * d
                else:  # no residual mean in this block (sliding statistics): one op less
                    for t in range(m):
                        q = qn[t]
                        for b in range(nb):
                            d = (T[jb + b + t] - off[b]) * sc[b] - q
                            acc[b] += d * d
            for b in range(nb):
                j = jb + b
                if not valid[j]:
                    out[j] = INFINITY
                elif constQ and constT[j]:
                    out[j] = 0.0
                elif constQ or constT[j]:
                    out[j] = sm
                else:
                    out[j] = sqrt(acc[b])
            jb += nb


def pprofile(const double[::1] Q, const double[::1] T, int64_t m, double p,
             const uint8_t[::1] valid, double[::1] out, int64_t j0, int64_t j1):
    """Non-normalized p-norm distances from ``Q`` to the windows ``j0 <= j < j1`` of ``T``; a
    general p's powers the best band kernel's (_kernels/vpow.h), as _exact's."""
    cdef int64_t j, t, b, jb, nb
    cdef double acc[BLOCK]
    cdef double terms[BLOCK]
    cdef double q, d
    cdef mp_pow_fn pw = mp_pow_kernel_get(0)
    with nogil:
        jb = j0
        while jb < j1:
            nb = min(<int64_t> BLOCK, j1 - jb)
            for b in range(nb):
                acc[b] = 0.0
            if p == 2.0:
                for t in range(m):
                    q = Q[t]
                    for b in range(nb):
                        d = T[jb + b + t] - q
                        acc[b] += d * d
            elif p == 1.0:
                for t in range(m):
                    q = Q[t]
                    for b in range(nb):
                        acc[b] += fabs(T[jb + b + t] - q)
            else:  # (each window's terms still summed in window order)
                for t in range(m):
                    q = Q[t]
                    for b in range(nb):
                        terms[b] = fabs(T[jb + b + t] - q)
                    pw(terms, nb, p, terms)
                    for b in range(nb):
                        acc[b] += terms[b]
            for b in range(nb):
                j = jb + b
                if not valid[j]:
                    out[j] = INFINITY
                elif p == 2.0:
                    out[j] = sqrt(acc[b])
                elif p == 1.0:
                    out[j] = acc[b]
                else:
                    out[j] = pow(acc[b], 1.0 / p)
            jb += nb


def pick(const int64_t[::1] order, int64_t l, int64_t excl_zone, int64_t first,
         int64_t max_count):
    """Greedy selection with an exclusion zone: walk ``order`` (candidates, best first, ties
    already by lowest index) and keep each one not within ``excl_zone`` of one kept before,
    until ``max_count`` are kept.  ``first`` (or -1) is kept before all others.

    This is STUMPY's "argmin, then blank ``[i - excl_zone, i + excl_zone]``, repeat" loop in
    O(l + len(order)) instead of O(l) per pick: a candidate is the next argmin exactly when no
    earlier pick blanked it.  Returns the kept indices in order.
    """
    blocked_a = np.zeros(l, np.uint8)
    kept_a = np.empty(max(min(max_count, order.shape[0] + 1), 0), np.int64)
    cdef uint8_t[::1] blocked = blocked_a
    cdef int64_t[::1] kept = kept_a
    cdef int64_t c = 0, i, j, a
    with nogil:
        a = -1
        while c < max_count and a < order.shape[0]:
            if a < 0:
                j = first
            else:
                j = order[a]
            a += 1
            if j < 0 or blocked[j]:
                continue
            kept[c] = j
            c += 1
            for i in range(max(0, j - excl_zone), min(l, j + excl_zone + 1)):
                blocked[i] = 1
    return kept_a[:c]


def nnmark(const int64_t[::1] I):
    """Arc curve: how many nearest-neighbour arcs ``i -> I[i]`` pass over each position (an
    index < 0 means no arc).  A difference array and a prefix sum: O(n)."""
    cdef int64_t k = I.shape[0], i, j
    out_a = np.zeros(k, np.int64)
    cdef int64_t[::1] out = out_a
    with nogil:
        for i in range(k):
            j = I[i]
            if j < 0:
                j = i
            if j < 0 or j >= k:
                with gil:
                    raise ValueError(f"I[{i}] = {j} is outside [0, {k})")
            out[min(i, j)] += 1
            out[max(i, j)] -= 1
        for i in range(1, k):
            out[i] += out[i - 1]
    return out_a


cdef inline int64_t _next(const int64_t[::1] IL, const int64_t[::1] IR, int64_t j,
                          int64_t n) noexcept nogil:
    """The next link of a chain after ``j``, or -1: ``IR[j]`` whose left neighbour is ``j``."""
    cdef int64_t r = IR[j]
    if r < 0 or r >= n or IL[r] != j:
        return -1
    return r


def atsc(const int64_t[::1] IL, const int64_t[::1] IR, int64_t j):
    """The anchored chain from ``j`` (at most ``len(IL)`` links, as STUMPY walks it)."""
    cdef int64_t n = IL.shape[0], c = 1, r
    out_a = np.empty(n + 1, np.int64)
    cdef int64_t[::1] out = out_a
    out[0] = j
    with nogil:
        while c <= n:
            r = _next(IL, IR, j, n)
            if r < 0:
                break
            j = r
            out[c] = j
            c += 1
    return out_a[:c].copy()


def allc_walk(const int64_t[::1] IL, const int64_t[::1] IR):
    """STUMPY's all-chains walk: each index not yet met inside a chain starts one (at most
    ``len(IL)`` links each).

    Returns the concatenated chains, their start offsets (one more than the chains) and STUMPY's
    ``L``: each start's chain length, -1 for indices met inside an earlier chain.
    """
    cdef int64_t n = IL.shape[0], i, j, r, s, c = 0, nc = 0
    L_a = np.ones(n, np.int64)
    offsets_a = np.empty(n + 1, np.int64)
    flat_a = np.empty(2 * n + 2, np.int64)
    cdef int64_t[::1] L = L_a, offsets = offsets_a, flat = flat_a
    for i in range(n):
        if L[i] != 1:
            continue
        if flat.shape[0] - c < n + 1:  # a walk adds at most n + 1 entries
            flat_a = np.concatenate((flat_a[:c], np.empty(max(c, n + 1), np.int64)))
            flat = flat_a
        offsets[nc] = c
        nc += 1
        with nogil:
            j = i
            flat[c] = j
            c += 1
            for s in range(n):
                r = _next(IL, IR, j, n)
                if r < 0:
                    break
                j = r
                L[j] = -1
                L[i] += 1
                flat[c] = j
                c += 1
    offsets[nc] = c
    return flat_a[:c].copy(), offsets_a[:nc + 1].copy(), L_a


def scan(const double[::1] T, int64_t m):
    """One pass over ``T``: the largest finite ``|T|``, which windows hold only finite values,
    and which hold only equal values (STUMPY's default constant rule; never a non-finite one).
    Replaces three NumPy passes with temporaries."""
    cdef int64_t n = T.shape[0], l = n - m + 1, i, bad = 0, changes = 0
    cdef double top = 0.0, x
    valid_a = np.empty(l, np.bool_)
    const_a = np.empty(l, np.bool_)
    cdef uint8_t[::1] valid = valid_a.view(np.uint8), const = const_a.view(np.uint8)
    cdef uint8_t *fin
    cdef int64_t *chg
    nonfinite_a = np.empty(n, np.uint8)
    change_a = np.zeros(n, np.int64)
    cdef uint8_t[::1] nonfinite = nonfinite_a
    cdef int64_t[::1] change = change_a
    with nogil:
        for i in range(n):
            x = T[i]
            if x - x == 0.0:  # finite
                nonfinite[i] = 0
                if fabs(x) > top:
                    top = fabs(x)
            else:
                nonfinite[i] = 1
            if i > 0 and not (T[i] == T[i - 1]):
                change[i] = 1
        # sliding counts of non-finite points and of value changes inside each window
        for i in range(m):
            bad += nonfinite[i]
        for i in range(1, m):
            changes += change[i]
        for i in range(l):
            if i > 0:
                bad += nonfinite[i + m - 1] - nonfinite[i - 1]
                changes += change[i + m - 1] - change[i]
            valid[i] = bad == 0
            const[i] = bad == 0 and changes == 0
    return top, valid_a, const_a


def finite_stats(const double[::1] D):
    """Mean, standard deviation (two passes) and minimum of the finite values of ``D``, and
    their count: what STUMPY's default thresholds take from ``nanmean``/``nanstd``/``nanmin``."""
    cdef int64_t n = D.shape[0], i, c = 0
    cdef double s = 0.0, q = 0.0, lo = INFINITY, mean, d
    with nogil:
        for i in range(n):
            if D[i] - D[i] == 0.0:
                s += D[i]
                c += 1
                if D[i] < lo:
                    lo = D[i]
        mean = s / c if c > 0 else 0.0
        for i in range(n):
            if D[i] - D[i] == 0.0:
                d = D[i] - mean
                q += d * d
    if c == 0:
        return np.nan, np.nan, np.nan, 0
    return mean, sqrt(q / c), lo, c




cdef double _block_max(const double *w, int64_t n) noexcept nogil:
    cdef double v = -INFINITY
    cdef int64_t i
    for i in range(n):
        if w[i] > v:
            v = w[i]
    return v


def pick_max(const double[::1] P, int64_t k, int64_t excl_zone):
    """Up to ``k`` largest finite values of ``P`` (ties: lowest index), each blanking
    ``excl_zone`` on both sides before the next: the discords.

    Block maxima (one O(l) pass) make each pick O(l / BLOCK + BLOCK + excl_zone) instead of a
    full scan, so any k costs about one pass over ``P``.
    """
    cdef int64_t l = P.shape[0], nb = (l + BLOCK - 1) // BLOCK, c = 0, b, bb, i, best, lo, hi
    cdef double v
    W_a = np.empty(l)
    bmax_a = np.empty(max(nb, 1))
    kept_a = np.empty(max(min(k, l), 0), np.int64)
    cdef double[::1] W = W_a, bmax = bmax_a
    cdef int64_t[::1] kept = kept_a
    with nogil:
        for i in range(l):
            W[i] = P[i] if P[i] - P[i] == 0.0 else -INFINITY  # non-finite: never a discord
        for b in range(nb):
            bmax[b] = _block_max(&W[b * BLOCK], min(<int64_t> BLOCK, l - b * BLOCK))
        while c < kept.shape[0]:
            bb = -1
            v = -INFINITY
            for b in range(nb):  # strictly larger: the first block holding the maximum
                if bmax[b] > v:
                    v = bmax[b]
                    bb = b
            if bb < 0:
                break
            best = bb * BLOCK
            while W[best] != v:
                best += 1
            kept[c] = best
            c += 1
            lo = max(0, best - excl_zone)
            hi = min(l, best + excl_zone + 1)
            for i in range(lo, hi):
                W[i] = -INFINITY
            for b in range(lo // BLOCK, (hi - 1) // BLOCK + 1):
                bmax[b] = _block_max(&W[b * BLOCK], min(<int64_t> BLOCK, l - b * BLOCK))
    return kept_a[:c]
