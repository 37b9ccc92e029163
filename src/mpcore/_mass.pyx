"""Compiled parts of the FFT ``mass`` (see :mod:`mpcore._search`).

``window_stats_dd``: every window's mean and sum of squared deviations from double-double prefix
sums, so each window keeps its digits wherever it lies in the series (O(n)).

``finish``: distances from FFT dot products, each with an error bound; the positions whose bound
exceeds the tolerance are flagged for an exact O(m) recomputation by the caller.
"""
import numpy as np

from libc.math cimport sqrt, fabs, INFINITY
from libc.stdint cimport int64_t, uint8_t

cdef double SPLIT = 134217729.0  # 2**27 + 1, Dekker's split
cdef double EPS = 1.1102230246251565e-16  # 2**-53


cdef inline void _two_sum(double a, double b, double *s, double *e) noexcept nogil:
    cdef double x = a + b, z = x - a
    s[0] = x
    e[0] = (a - (x - z)) + (b - z)


cdef inline void _two_prod(double a, double b, double *p, double *e) noexcept nogil:
    cdef double x = a * b, t, ah, al, bh, bl
    t = SPLIT * a
    ah = t - (t - a)
    al = a - ah
    t = SPLIT * b
    bh = t - (t - b)
    bl = b - bh
    p[0] = x
    e[0] = ((ah * bh - x) + ah * bl + al * bh) + al * bl


cdef inline void _dd_add(double ah, double al, double bh, double bl, double *ch,
                         double *cl) noexcept nogil:
    cdef double s, e
    _two_sum(ah, bh, &s, &e)
    e += al + bl
    _two_sum(s, e, ch, cl)


DEF NSEG = 4  # independent prefix chains: a double-double add is a long serial chain


def window_stats_dd(const double[::1] y, int64_t m):
    """Means and sums of squared deviations of the windows of ``y`` (finite, of moderate size:
    callers scale it), from double-double prefix sums of ``y`` and ``y**2``.

    A window's sums are differences of prefix sums, accurate to about 1e-31 of the prefix's
    magnitude, and its sum of squared deviations ``S2 - S1**2 / m`` is formed in double-double
    too: no cancellation is left to lose digits, however far the window's mean lies from 0.
    The prefix sums run as ``NSEG`` interleaved chains over consecutive segments (then each
    segment is offset by the total of those before it), so the adds overlap in the pipeline.
    """
    cdef int64_t n = y.shape[0], l = n - m + 1, t, j, i, seg = (n + NSEG - 1) // NSEG, k
    p1h_a = np.empty(n + 1)
    p1l_a = np.empty(n + 1)
    p2h_a = np.empty(n + 1)
    p2l_a = np.empty(n + 1)
    mu_a = np.empty(l)
    ssd_a = np.empty(l)
    cdef double[::1] p1h = p1h_a, p1l = p1l_a, p2h = p2h_a, p2l = p2l_a, mu = mu_a, ssd = ssd_a
    cdef double qh, ql, s1h, s1l, s2h, s2l, rh, rl, ph, pl, fm = <double> m
    cdef double b1h, b1l, b2h, b2l
    with nogil:
        # local prefix sums of each segment: position t + 1 holds the sum of its segment's
        # values up to t
        for i in range(seg):
            for k in range(NSEG):
                t = k * seg + i
                if t >= n:
                    break
                if i == 0:
                    p1h[t + 1] = y[t]
                    p1l[t + 1] = 0.0
                    _two_prod(y[t], y[t], &p2h[t + 1], &p2l[t + 1])
                else:
                    _dd_add(p1h[t], p1l[t], y[t], 0.0, &p1h[t + 1], &p1l[t + 1])
                    _two_prod(y[t], y[t], &qh, &ql)
                    _dd_add(p2h[t], p2l[t], qh, ql, &p2h[t + 1], &p2l[t + 1])
        # offset each segment by the total of the segments before it (independent adds)
        p1h[0] = p1l[0] = p2h[0] = p2l[0] = 0.0
        for k in range(1, NSEG):
            if k * seg >= n:
                break
            b1h, b1l, b2h, b2l = p1h[k * seg], p1l[k * seg], p2h[k * seg], p2l[k * seg]
            for t in range(k * seg + 1, min((k + 1) * seg, n) + 1):
                _dd_add(p1h[t], p1l[t], b1h, b1l, &p1h[t], &p1l[t])
                _dd_add(p2h[t], p2l[t], b2h, b2l, &p2h[t], &p2l[t])
        for j in range(l):
            _dd_add(p1h[j + m], p1l[j + m], -p1h[j], -p1l[j], &s1h, &s1l)
            _dd_add(p2h[j + m], p2l[j + m], -p2h[j], -p2l[j], &s2h, &s2l)
            mu[j] = (s1h + s1l) / fm
            # S1**2 / m in double-double: the product's error term, then one division step
            _two_prod(s1h, s1h, &ph, &pl)
            pl += 2.0 * s1h * s1l
            rh = ph / fm
            _two_prod(rh, fm, &qh, &ql)
            rl = ((ph - qh) - ql + pl) / fm
            _dd_add(s2h, s2l, -rh, -rl, &qh, &ql)
            ssd[j] = qh + ql if qh + ql > 0.0 else 0.0
    return mu_a, ssd_a


def finish(const double[::1] C, int64_t m, int64_t L, const double[::1] shift,
           const double[::1] bnorm, const double[::1] mu, const double[::1] ssd,
           const uint8_t[::1] valid, const uint8_t[::1] constT, bint constQ, double qnorm,
           double qsum, double fft_err, double stats_err, double stats_abs, double tol,
           double[::1] D, uint8_t[::1] redo, int64_t j0=0, int64_t j1=-1):
    """Z-normalized distances from the FFT dot products ``C`` into ``D``; returns how many
    positions were flagged in ``redo`` for exact recomputation.

    ``C[j]`` is the FFT's ``sum_t qhat[t] * (T[j + t] - shift[j // L])`` with ``qhat`` the
    centred query (``sum qhat = qsum``, ``||qhat|| = qnorm``); its error is taken as at most
    ``fft_err * qnorm * bnorm[j // L]``.  A window's norm ``sqrt(ssd[j])`` and ``qnorm`` are
    taken as off by at most ``stats_err + stats_abs / ssd[j]`` (relative) together.  The bound
    on the dot product's error is carried through the correlation and the square root; a
    position whose distance may be off by more than ``tol`` is flagged (as are windows whose
    norm is 0 or not finite).  Only positions ``j0 <= j < j1`` are done, so that threads can
    share the work (the GIL is released).
    """
    cdef int64_t l = D.shape[0], j, b, nredo = 0
    cdef double sm = sqrt(<double> m), tm = 2.0 * m, st, den, c, rho, err, d2, d, e2, bound
    if j1 < 0 or j1 > l:
        j1 = l
    with nogil:
        for j in range(j0, j1):
            redo[j] = 0
            if not valid[j]:
                D[j] = INFINITY
                continue
            if constQ and constT[j]:
                D[j] = 0.0
                continue
            if constQ or constT[j]:
                D[j] = sm
                continue
            b = j // L
            st = sqrt(ssd[j])
            den = qnorm * st
            # sum qhat * (T - mu_j) = sum qhat * (T - shift) + (shift - mu_j) * sum qhat
            c = C[j] + (shift[b] - mu[j]) * qsum
            rho = c / den
            err = (fft_err * qnorm * bnorm[b] + 4.0 * EPS * fabs((shift[b] - mu[j]) * qsum)) / den \
                + (stats_err + stats_abs / ssd[j] + 8.0 * EPS) * (fabs(rho) + 1.0)
            if not (den > 0.0 and err < 1.0):  # also catches NaN and inf
                redo[j] = 1
                nredo += 1
                D[j] = INFINITY
                continue
            if rho > 1.0:
                rho = 1.0
            elif rho < -1.0:
                rho = -1.0
            d2 = tm * (1.0 - rho)
            d = sqrt(d2)
            e2 = tm * err + 4.0 * EPS * d2
            # |sqrt(a) - sqrt(b)| = |a - b| / (sqrt(a) + sqrt(b)), and sqrt(b) >= sqrt(a - e2)
            if d2 > e2:
                bound = e2 / (d + sqrt(d2 - e2))
            else:
                bound = sqrt(2.0 * e2)
            D[j] = d
            if bound > tol:
                redo[j] = 1
                nredo += 1
    return nredo
