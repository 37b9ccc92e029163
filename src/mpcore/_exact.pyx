"""Exact per-window arithmetic: window statistics, final distances, and MASS.

The band kernels only rank candidates; every distance mpcore reports is computed here from the
two windows themselves, so identical windows give exactly 0 and no recurrence drift reaches the
result.
"""
import numpy as np

from libc.math cimport sqrt, fabs, pow, frexp, ldexp, INFINITY
from libc.stdint cimport int64_t, uint8_t, uint64_t



cdef inline double _mean(const double *x, int64_t m) noexcept nogil:
    """Mean with one correction pass: the residual sum recovers most of the rounding error."""
    cdef double s = 0.0, c = 0.0, mu
    cdef int64_t t
    for t in range(m):
        s += x[t]
    mu = s / m
    for t in range(m):
        c += x[t] - mu
    return mu + c / m


cdef inline double _ssd(const double *x, int64_t m, double mu) noexcept nogil:
    cdef double s = 0.0, d
    cdef int64_t t
    for t in range(m):
        d = x[t] - mu
        s += d * d
    return s


def window_stats(const double[::1] T, int64_t m):
    """Means and sums of squared deviations of every window of length ``m``.

    Small windows are computed exactly (two passes); long ones slide the sums and start again
    from an exact window every 64 steps, or sooner if the sum of squares shrinks a thousandfold
    (a flat stretch after a busy one), where a sliding update would lose its relative accuracy.
    """
    cdef int64_t n = T.shape[0], l = n - m + 1, i
    mu_arr = np.empty(l)
    ssd_arr = np.empty(l)
    cdef double[::1] mu = mu_arr, ssd = ssd_arr
    cdef double mean = 0.0, q = 0.0, ref = 0.0, xin, xout, mnew
    cdef bint exact
    with nogil:
        for i in range(l):
            exact = m <= 64 or i % 64 == 0
            if not exact:
                xout = T[i - 1]
                xin = T[i + m - 1]
                mnew = mean + (xin - xout) / m
                q = q + (xin - xout) * (xin - mnew + xout - mean)
                mean = mnew
                exact = q < ref * 1e-3 or q <= 0.0
            if exact:
                mean = _mean(&T[i], m)
                q = _ssd(&T[i], m, mean)
                ref = q
            mu[i] = mean
            ssd[i] = q if q > 0.0 else 0.0
    return mu_arr, ssd_arr


# The loops below keep four partial sums: a single running sum is a serial chain the compiler may
# not reorder (no fast-math here), so one accumulator would leave most of the core idle.  The
# split is fixed, so results stay deterministic.

cdef inline double _sum(const double *x, int64_t m) noexcept nogil:
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    cdef int64_t t = 0
    while t + 4 <= m:
        a0 += x[t]
        a1 += x[t + 1]
        a2 += x[t + 2]
        a3 += x[t + 3]
        t += 4
    while t < m:
        a0 += x[t]
        t += 1
    return (a0 + a1) + (a2 + a3)


cdef inline void _wstats(const double *x, int64_t m, double *mu, double *corr, double *isd,
                         double *sc) noexcept nogil:
    """Mean and sqrt(m / sum of squared deviations) of one window: the corrected two-pass
    algorithm, deterministic, so equal windows get bitwise equal statistics.  The statistics
    are those of ``x * sc``, and the mean is returned as ``mu + corr`` and used as
    ``(x * sc - mu) - corr``: ``x - mu`` is exact for values near the mean, so a window of
    1e9 + 1e-3 noise keeps the digits of its noise.  ``sc`` is 1 unless the window's values
    or squared deviations leave the safe range of float64 (1e300, 1e-300; see _wstats_scaled)."""
    cdef double m0 = _sum(x, m) / m, d0, d1, d2, d3
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0
    cdef int64_t t = 0
    while t + 4 <= m:
        d0 = x[t] - m0
        d1 = x[t + 1] - m0
        d2 = x[t + 2] - m0
        d3 = x[t + 3] - m0
        s0 += d0
        s1 += d1
        s2 += d2
        s3 += d3
        q0 += d0 * d0
        q1 += d1 * d1
        q2 += d2 * d2
        q3 += d3 * d3
        t += 4
    while t < m:
        d0 = x[t] - m0
        s0 += d0
        q0 += d0 * d0
        t += 1
    s0 = (s0 + s1) + (s2 + s3)
    q0 = (q0 + q1) + (q2 + q3)
    if not (1e-200 <= q0 <= 1e200):  # also NaN: a sum that overflowed
        _wstats_scaled(x, m, mu, corr, isd, sc)
        return
    mu[0] = m0
    corr[0] = s0 / m
    isd[0] = sqrt(m / (q0 - s0 * s0 / m))
    sc[0] = 1.0


cdef inline double _pow2_under(double top) noexcept nogil:
    """A power of two p with top * p in [0.5, 1), kept within float64's normal range."""
    cdef int e
    frexp(top, &e)
    return ldexp(1.0, min(1020, max(-1020, -e)))


cdef void _wstats_scaled(const double *x, int64_t m, double *mu, double *corr, double *isd,
                         double *sc) noexcept nogil:
    """_wstats for a window whose sums or squares would over- or underflow (values near 1e306,
    deviations near 1e-300): the window is scaled by a power of two to |x| ~ 1 (exact), its
    deviations by a second one, and the second taken out again."""
    cdef double top = 0.0, s1, s2, m0 = 0.0, d, s = 0.0, q = 0.0
    cdef int64_t t
    for t in range(m):
        top = max(top, fabs(x[t]))
    s1 = _pow2_under(top) if top > 0.0 else 1.0
    for t in range(m):
        m0 += x[t] * s1
    m0 = m0 / m
    top = 0.0
    for t in range(m):
        top = max(top, fabs(x[t] * s1 - m0))
    mu[0] = m0
    sc[0] = s1
    if top == 0.0:
        corr[0] = 0.0
        isd[0] = INFINITY
        return
    s2 = _pow2_under(top)
    for t in range(m):
        d = (x[t] * s1 - m0) * s2
        s += d
        q += d * d
    corr[0] = s / (m * s2)
    isd[0] = sqrt(m / (q - s * s / m)) * s2


cdef inline double _zdist2(const double *x, double mx, double cx, double sx, double ax,
                           const double *y, double my, double cy, double sy, double ay,
                           int64_t m) noexcept nogil:
    """z-normalized distance of two non-constant windows with known statistics (_wstats)."""
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, d0, d1, d2, d3
    cdef int64_t t = 0
    if ax != 1.0 or ay != 1.0:  # a scaled window (_wstats_scaled): rare, kept out of the loop
        while t < m:
            d0 = ((x[t] * ax - mx) - cx) * sx - ((y[t] * ay - my) - cy) * sy
            a0 += d0 * d0
            t += 1
        return sqrt(a0)
    while t + 4 <= m:
        d0 = ((x[t] - mx) - cx) * sx - ((y[t] - my) - cy) * sy
        d1 = ((x[t + 1] - mx) - cx) * sx - ((y[t + 1] - my) - cy) * sy
        d2 = ((x[t + 2] - mx) - cx) * sx - ((y[t + 2] - my) - cy) * sy
        d3 = ((x[t + 3] - mx) - cx) * sx - ((y[t + 3] - my) - cy) * sy
        a0 += d0 * d0
        a1 += d1 * d1
        a2 += d2 * d2
        a3 += d3 * d3
        t += 4
    while t < m:
        d0 = ((x[t] - mx) - cx) * sx - ((y[t] - my) - cy) * sy
        a0 += d0 * d0
        t += 1
    return sqrt((a0 + a1) + (a2 + a3))


cdef inline double _pdist(const double *x, const double *y, int64_t m, double p) noexcept nogil:
    cdef double s = 0.0, d, a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, d1, d2, d3
    cdef int64_t t = 0
    if p == 2.0:
        while t + 4 <= m:
            d = x[t] - y[t]
            d1 = x[t + 1] - y[t + 1]
            d2 = x[t + 2] - y[t + 2]
            d3 = x[t + 3] - y[t + 3]
            a0 += d * d
            a1 += d1 * d1
            a2 += d2 * d2
            a3 += d3 * d3
            t += 4
        while t < m:
            d = x[t] - y[t]
            a0 += d * d
            t += 1
        return sqrt((a0 + a1) + (a2 + a3))
    if p == 1.0:
        for t in range(m):
            s += fabs(x[t] - y[t])
        return s
    for t in range(m):
        s += pow(fabs(x[t] - y[t]), p)
    return pow(s, 1.0 / p)


cdef inline int64_t _tie_key(int64_t row, int64_t j, bint nearest) noexcept nogil:
    """STUMPY's order among equally near neighbours.  Its self-join walks the diagonals
    outwards and keeps the first of equal distances, so the nearest in time wins, the left one
    when both sides are as near; an AB-join walks the columns in order, so the lowest index."""
    if not nearest:
        return j
    return 2 * (j - row) + 1 if j > row else 2 * (row - j)


cdef inline bint _before(double da, int64_t ka, int64_t ia, double db, int64_t kb,
                         int64_t ib) noexcept nogil:
    """Result order: smaller distance first, then the smaller tie key; empty entries (-1)
    last."""
    if ia < 0:
        return False
    if ib < 0:
        return True
    return da < db or (da == db and ka < kb)


def refine(const double[::1] TX, const double[::1] TY, int64_t m, bint normalize, double p,
           const uint8_t[::1] constX, const uint8_t[::1] constY, int64_t[:, ::1] I,
           double[:, ::1] D, int64_t r0=0, int64_t r1=-1, bint nearest=False,
           const double[:, ::1] SX=None, const double[:, ::1] SY=None):
    """Exact distances of every (row, I[row, q]) pair into ``D``, rows then sorted by distance,
    equal distances in STUMPY's order (``nearest``: the self-join's, nearest in time first;
    else the lowest index first).

    Pairs with one constant window are ``sqrt(m)`` apart and two constant windows 0 (STUMPY's
    rules); empty entries (-1) get ``inf``.  Only rows ``r0 <= r < r1`` are done, so that
    threads can share the work (the GIL is released).  ``SX``/``SY``: the windows' statistics
    from window_zstats, when the caller has them (the same numbers, computed once).
    """
    cdef int64_t l = I.shape[0], k = I.shape[1], r, q, j, a, ib, kb
    cdef double sm = sqrt(<double> m), db, mx = 0.0, cx = 0.0, sx = 0.0, ax = 1.0, my, cy, sy
    cdef double ay
    cdef bint given = SX is not None and SY is not None
    if r1 < 0 or r1 > l:
        r1 = l
    with nogil:
        for r in range(r0, r1):
            if normalize and not constX[r]:  # (any entry may be the first non-empty one)
                if given:
                    mx, cx, sx, ax = SX[r, 0], SX[r, 1], SX[r, 2], SX[r, 3]
                else:
                    _wstats(&TX[r], m, &mx, &cx, &sx, &ax)
            for q in range(k):
                j = I[r, q]
                if j < 0:
                    D[r, q] = INFINITY
                elif not normalize:
                    D[r, q] = _pdist(&TX[r], &TY[j], m, p)
                elif constX[r] and constY[j]:
                    D[r, q] = 0.0
                elif constX[r] or constY[j]:
                    D[r, q] = sm
                else:
                    if given:
                        my, cy, sy, ay = SY[j, 0], SY[j, 1], SY[j, 2], SY[j, 3]
                    else:
                        _wstats(&TY[j], m, &my, &cy, &sy, &ay)
                    D[r, q] = _zdist2(&TX[r], mx, cx, sx, ax, &TY[j], my, cy, sy, ay, m)
            # k is small: insertion sort
            for q in range(1, k):
                db = D[r, q]
                ib = I[r, q]
                kb = _tie_key(r, ib, nearest)
                a = q
                while a > 0 and _before(db, kb, ib, D[r, a - 1],
                                        _tie_key(r, I[r, a - 1], nearest), I[r, a - 1]):
                    D[r, a] = D[r, a - 1]
                    I[r, a] = I[r, a - 1]
                    a -= 1
                D[r, a] = db
                I[r, a] = ib


def window_zstats(const double[::1] T, int64_t m, const uint8_t[::1] usable):
    """The statistics refine() needs of every window (mean, correction, inverse norm, scale:
    see _wstats), in one (l, 4) array; zeros where ``usable`` is 0."""
    cdef int64_t l = T.shape[0] - m + 1, j
    out = np.zeros((max(l, 0), 4))
    cdef double[:, ::1] S = out
    with nogil:
        for j in range(l):
            if usable[j]:
                _wstats(&T[j], m, &S[j, 0], &S[j, 1], &S[j, 2], &S[j, 3])
    return out


def distance_profile(const double[::1] Q, const double[::1] T, int64_t m, bint normalize,
                     double p, const uint8_t[::1] valid, const uint8_t[::1] constT,
                     bint constQ, const double[::1] M_T=None, const double[::1] S_T=None,
                     const double[:, ::1] stats=None):
    """Exact distances from the window ``Q`` to every window of ``T`` (MASS, without the FFT).

    ``M_T``/``S_T`` are caller-supplied window means and standard deviations; when given they
    replace the ones computed here, as in STUMPY's ``mass``; ``stats`` (window_zstats of ``T``)
    are the same numbers computed once, for callers that take many profiles of one series.
    """
    cdef int64_t l = T.shape[0] - m + 1, j
    out = np.empty(l)
    cdef double[::1] D = out
    cdef double mq = 0.0, cq = 0.0, sq = 0.0, aq = 1.0, mt, ct, st, at, sm = sqrt(<double> m)
    cdef bint given = M_T is not None and S_T is not None
    cdef bint have_stats = stats is not None
    with nogil:
        if normalize and not constQ:
            _wstats(&Q[0], m, &mq, &cq, &sq, &aq)
        for j in range(l):
            if not valid[j]:
                D[j] = INFINITY
            elif not normalize:
                D[j] = _pdist(&Q[0], &T[j], m, p)
            elif constQ and constT[j]:
                D[j] = 0.0
            elif constQ or constT[j]:
                D[j] = sm
            else:
                if given:
                    mt = M_T[j]
                    ct = 0.0
                    st = 1.0 / S_T[j]
                    at = 1.0
                elif have_stats:
                    mt, ct, st, at = stats[j, 0], stats[j, 1], stats[j, 2], stats[j, 3]
                else:
                    _wstats(&T[j], m, &mt, &ct, &st, &at)
                D[j] = _zdist2(&Q[0], mq, cq, sq, aq, &T[j], mt, ct, st, at, m)
    return out


cdef inline bint _same_window(const double *x, const double *y, int64_t m) noexcept nogil:
    cdef int64_t t
    for t in range(m):
        if x[t] != y[t]:  # 0.0 == -0.0: equal values give equal distances
            return False
    return True


def window_classes(const double[::1] T, int64_t m, const uint8_t[::1] usable):
    """For every window, the lowest index of a window with the same values (itself if none),
    or -1 where ``usable`` is 0.

    Identical windows are at bitwise equal exact distances from every other window: the ties
    STUMPY's order must decide.  A 64-bit rolling hash (odd multiplier, arithmetic modulo 2**64)
    of the values' bits groups candidates in O(n); every member is then compared with its
    group's representatives, so a hash collision can never merge different windows.
    """
    cdef int64_t n = T.shape[0], l = n - m + 1, i, t, a, b, q, nrep
    cdef uint64_t B = 0x9E3779B97F4A7C15ULL, Bm = 1, h = 0, v
    cdef double x
    hashes = np.empty(max(l, 0), dtype=np.uint64)
    cls_arr = np.full(max(l, 0), -1, dtype=np.int64)
    if l <= 0:
        return cls_arr
    cdef uint64_t[::1] H = hashes
    cdef int64_t[::1] cls = cls_arr
    cdef uint64_t[::1] bits = np.ascontiguousarray(
        np.where(np.isfinite(np.asarray(T)), np.asarray(T) + 0.0, 0.0)).view(np.uint64)
    with nogil:
        for t in range(m):
            Bm = Bm * B
        for i in range(n):
            h = h * B + bits[i]
            if i >= m:
                h = h - Bm * bits[i - m]
            if i >= m - 1:
                H[i - m + 1] = h
    order_arr = np.argsort(hashes, kind="stable")  # equal hashes stay in index order
    cdef const int64_t[::1] order = order_arr
    reps_arr = np.empty(l, dtype=np.int64)
    cdef int64_t[::1] reps = reps_arr
    with nogil:
        a = 0
        while a < l:
            b = a + 1
            while b < l and H[order[b]] == H[order[a]]:
                b += 1
            nrep = 0
            for q in range(a, b):  # in index order: each class is named by its first window
                i = order[q]
                if not usable[i]:
                    continue
                for t in range(nrep):
                    if _same_window(&T[reps[t]], &T[i], m):
                        cls[i] = reps[t]
                        break
                else:
                    reps[nrep] = i
                    nrep += 1
                    cls[i] = i
            a = b
    return cls_arr
