"""Compiled parts of the FFT ``mass`` (see :mod:`mpcore._search`).

``window_flags``: which windows hold only finite values, and which are constant (STUMPY's
default rule: all values equal), in one O(n) pass.

``window_stats``: every window's mean and inverse norm, with a bound on the error of its sum of
squared deviations, from a compensated sliding update (O(n), restarted exactly where the bound
grows).

``finish``: distances from FFT dot products, each with an error bound; the positions whose bound
exceeds the tolerance are flagged for an exact O(m) recomputation by the caller.
"""
import numpy as np

from libc.math cimport sqrt, fabs, INFINITY, isfinite
from libc.stdint cimport int64_t, uint8_t

DEF EPS = 1.1102230246251565e-16  # 2**-53 (a compile-time constant, never reloaded)


cdef inline void _two_sum(double a, double b, double *s, double *e) noexcept nogil:
    cdef double x = a + b, z = x - a
    s[0] = x
    e[0] = (a - (x - z)) + (b - z)


def window_flags(const double[::1] T, int64_t m):
    """``(valid, const)`` as uint8 arrays of length ``len(T) - m + 1``: ``valid`` where the
    window holds only finite values, ``const`` where its values are all equal (and finite):
    STUMPY's default rule for constant windows, from run lengths in one pass."""
    cdef int64_t n = T.shape[0], l = n - m + 1, t, fin_run = 0, eq_run = 0
    valid_a = np.empty(l, dtype=np.uint8)
    const_a = np.empty(l, dtype=np.uint8)
    cdef uint8_t[::1] valid = valid_a, const = const_a
    with nogil:
        for t in range(n):
            if isfinite(T[t]):
                fin_run += 1
                eq_run = eq_run + 1 if (fin_run > 1 and T[t] == T[t - 1]) else 1
            else:
                fin_run = eq_run = 0
            if t >= m - 1:
                valid[t - m + 1] = fin_run >= m
                const[t - m + 1] = eq_run >= m
    return valid_a, const_a


DEF STATS_CHUNK = 8192  # windows per independent sliding chain (each starts exactly)


cdef inline void _restart(const double *x, int64_t m, double inv_m, double *s, double *s1h,
                          double *s1l, double *m2h, double *m2l, double *e2) noexcept nogil:
    """Exact start of a sliding chain at window ``x[:m]``: shift ``s`` (the plain mean), the
    shifted values' sum ``s1h + s1l`` and sum of squared deviations from their rounded mean
    ``m2h + m2l``, both accumulated without rounding loss (two-sum), and ``e2``, a bound on
    ``m2``'s error against the exact sum of squared deviations of the shifted values."""
    cdef int64_t t
    cdef double acc = 0.0, y, hi = 0.0, lo = 0.0, e, mu, d, qh = 0.0, ql = 0.0
    for t in range(m):
        acc += x[t]
    s[0] = acc * inv_m
    for t in range(m):
        y = x[t] - s[0]
        _two_sum(hi, y, &hi, &e)
        lo += e
    s1h[0] = hi
    s1l[0] = lo
    mu = (hi + lo) * inv_m
    for t in range(m):
        d = (x[t] - s[0]) - mu
        _two_sum(qh, d * d, &qh, &e)
        ql += e
    m2h[0] = qh
    m2l[0] = ql
    # each d**2 is off by at most 3 eps of itself (the subtraction and the square); the
    # rounded mean mu is off by at most 3.01 eps |mu|, which adds m (mu error)**2
    e = 3.01 * EPS * fabs(mu)
    e2[0] = 3.02 * EPS * (qh + fabs(ql)) + <double> m * e * e + 4.0 * EPS * EPS * m * qh


cdef void _stats_chunk(const double *x, int64_t m, int64_t j0, int64_t j1,
                       const uint8_t *skip, double restart_rel, double *mu_out, double *isd_out,
                       double *rel_out, int64_t *nrestart) noexcept nogil:
    """Windows ``j0 <= j < j1`` of ``x``: a sliding (Welford-style) update of the mean and the
    sum of squared deviations, in coordinates shifted by a recent window's mean, with a running
    bound on the error; the chain restarts exactly (``_restart``) where the bound exceeds
    ``restart_rel`` of the window's own sum of squares (after a spike leaves a window, say)."""
    cdef double inv_m = 1.0 / m, fm = <double> m, sm = 1.01 * sqrt(fm)
    cdef double s = 0.0, s1h = 0.0, s1l = 0.0, m2h = 0.0, m2l = 0.0, e2 = 0.0
    cdef double mu, mu1, yn, yo, dh, dl, e, a, b, inc, ssd, err, emu, e1, w
    cdef int64_t j, last = j0, rmin = m // 8 if m >= 8 else 1
    _restart(&x[j0], m, inv_m, &s, &s1h, &s1l, &m2h, &m2l, &e2)
    nrestart[0] += 1
    mu = (s1h + s1l) * inv_m
    e1 = 2.0 * EPS * m * fabs(s1l)  # the sum's low part rounds: a bound on the sum's error
    j = j0
    while True:
        ssd = m2h + m2l
        # the error of m2 itself, of its rounded sum, and of the shifted values (each off by
        # eps of itself: at most eps (2 ssd + m mu**2) on the sum of squared deviations)
        err = e2 + EPS * (3.02 * fabs(ssd) + 1.01 * fm * mu * mu)
        if err > restart_rel * ssd and not skip[j] and j - last >= rmin:
            _restart(&x[j], m, inv_m, &s, &s1h, &s1l, &m2h, &m2l, &e2)
            nrestart[0] += 1
            last = j
            mu = (s1h + s1l) * inv_m
            e1 = 2.0 * EPS * m * fabs(s1l)
            ssd = m2h + m2l
            err = e2 + EPS * (3.02 * fabs(ssd) + 1.01 * fm * mu * mu)
        mu_out[j] = s + mu
        if ssd > 0.0:
            w = 1.0 / sqrt(ssd)
            isd_out[j] = w
            # err / ssd, without a second division (w * w is within 4 eps of 1 / ssd); and
            # the shifted mean's error, as finish needs it (see window_stats)
            rel_out[j] = err * (w * w) * (1.0 + 8.0 * EPS) \
                + sm * (3.01 * EPS * fabs(mu) + 2.0 * e1 * inv_m) * w
        else:  # no spread: the window goes to the exact path
            isd_out[j] = 0.0
            rel_out[j] = INFINITY
        j += 1
        if j >= j1:
            break
        yn = x[j + m - 1] - s
        yo = x[j - 1] - s
        # the window's sum moves by yn - yo, exactly (two-sum), so its mean stays exact
        _two_sum(yn, -yo, &dh, &dl)
        _two_sum(s1h, dh, &s1h, &e)
        s1l += e + dl
        e1 += 2.0 * EPS * fabs(s1l)
        mu1 = (s1h + s1l) * inv_m
        # sum of squared deviations: M2' = M2 + (yn - yo) ((yn - mu') + (yo - mu))
        a = yn - mu1
        b = yo - mu
        inc = dh * (a + b)
        _two_sum(m2h, inc, &m2h, &e)
        m2l += e
        # the increment's error: a, b and their sum each round (2 eps (|a| + |b|)), the
        # means are off by 3.01 eps of themselves (and by the sum's error), the product
        # rounds once more
        emu = 3.01 * EPS * (fabs(mu) + fabs(mu1)) + 2.0 * e1 * inv_m
        e2 += fabs(dh) * (4.02 * EPS * (fabs(a) + fabs(b)) + emu) + 4.0 * EPS * EPS * fabs(m2h)
        mu = mu1


DEF PLAIN_MAX_M = 48  # window_stats' plain sliding sums for m up to this; Welford's beyond


cdef inline void _plain_sums(const double *x, int64_t m, double s, double *s1,
                             double *s2) noexcept nogil:
    """Sums of ``x - s`` and of its squares over ``m`` values, in four accumulators."""
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0
    cdef double y0, y1, y2, y3
    cdef int64_t t = 0
    while t + 4 <= m:
        y0 = x[t] - s
        y1 = x[t + 1] - s
        y2 = x[t + 2] - s
        y3 = x[t + 3] - s
        a0 += y0
        a1 += y1
        a2 += y2
        a3 += y3
        q0 += y0 * y0
        q1 += y1 * y1
        q2 += y2 * y2
        q3 += y3 * y3
        t += 4
    while t < m:
        y0 = x[t] - s
        a0 += y0
        q0 += y0 * y0
        t += 1
    s1[0] = (a0 + a1) + (a2 + a3)
    s2[0] = (q0 + q1) + (q2 + q3)


cdef void _stats_chunk_plain(const double *x, int64_t m, int64_t j0, int64_t j1,
                             const uint8_t *skip, double restart_rel, double *mu_out,
                             double *isd_out, double *rel_out, int64_t *nrestart) noexcept nogil:
    """``_stats_chunk`` for short windows: plain sliding sums of the shifted values and of their
    squares, each with a running bound on its error (cheaper per window than the compensated
    Welford update, but the bound grows with every step and with the drift away from the shift,
    so chains restart more often: every few dozen windows, at ``7 m`` operations each)."""
    cdef double inv_m = 1.0 / m, fm = <double> m, sm = 1.01 * sqrt(fm)
    cdef double s = 0.0, s1 = 0.0, s2 = 0.0, e1 = 0.0, e2 = 0.0
    cdef double yn, yo, d, q, mu, ssd, err, w, acc, e
    cdef int64_t j = j0, t, last = j0, rmin = m // 8 if m >= 8 else 1
    cdef bint fresh = True
    while True:
        if fresh:
            # start exactly enough: shift by the window's (plain) mean, plain sums in four
            # accumulators, each sum off by at most (m / 4 + 2) eps of its absolute terms
            # (sum |y| <= sqrt(m sum y**2)); the squares round once more
            acc = 0.0
            for t in range(m):
                acc += x[j + t]
            s = acc * inv_m
            _plain_sums(&x[j], m, s, &s1, &s2)
            e = ((m + 3) // 4 + 2) * 1.01 * EPS
            e1 = e * sqrt(fm * s2)
            e2 = (e + 1.01 * EPS) * s2
            nrestart[0] += 1
            last = j
            fresh = False
        mu = s1 * inv_m
        ssd = s2 - s1 * mu
        # ssd's error: the sums', the product's and the subtraction's rounding, and the shifted
        # values' own (each off by eps of itself: eps (2 ssd + m mu**2) on the sum of squared
        # deviations; s1 mu = m mu**2)
        err = e2 + 2.01 * fabs(mu) * e1 + e1 * e1 * inv_m + 4.02 * EPS * fabs(s1 * mu) \
            + 3.02 * EPS * fabs(ssd)
        if err > restart_rel * ssd and not skip[j] and j - last >= rmin:
            fresh = True
            continue
        mu_out[j] = s + mu
        if ssd > 0.0:
            w = 1.0 / sqrt(ssd)
            isd_out[j] = w
            # err / ssd, without a second division (w * w is within 4 eps of 1 / ssd); and
            # the shifted mean's error, as finish needs it (see window_stats)
            rel_out[j] = err * (w * w) * (1.0 + 8.0 * EPS) \
                + sm * (e1 * inv_m + 2.01 * EPS * fabs(mu)) * w
        else:
            isd_out[j] = 0.0
            rel_out[j] = INFINITY
        j += 1
        if j >= j1:
            break
        yn = x[j + m - 1] - s
        yo = x[j - 1] - s
        d = yn - yo
        s1 += d
        e1 += EPS * (fabs(d) + fabs(s1))
        yn = yn * yn
        yo = yo * yo
        q = yn - yo
        s2 += q
        e2 += EPS * (2.01 * (yn + yo) + fabs(s2))


def window_stats(const double[::1] y, int64_t m, const uint8_t[::1] skip, double restart_rel,
                 int64_t c0=0, int64_t c1=-1, mu_a=None, isd_a=None, rel_a=None):
    """For the windows of ``y`` (finite, of moderate size: callers scale it): means ``mu``,
    ``isd = 1 / sqrt(ssd)`` (0 where ``ssd``, the sum of squared deviations, is 0) and ``rel``, a
    bound on the relative error of the computed ``ssd`` (``inf`` where it is 0).

    Each mean is ``s + mu_y`` (``s`` a recent window's mean, ``mu_y`` the mean of the shifted
    values), off by at most ``eps |mu|`` plus ``mu_y``'s error ``e``.  ``finish`` needs ``e``
    only times ``|sum qhat| / (||qhat|| sqrt(ssd))``, which is at most ``sqrt(m) / sqrt(ssd)``
    (Cauchy-Schwarz), so ``rel`` includes ``1.01 sqrt(m) e / sqrt(ssd)`` too (``rel`` counts at
    least once in finish's bound).

    Windows are done in chains of ``STATS_CHUNK``, each starting exactly, so that the result
    does not depend on how chains are shared among threads: ``c0 <= chain < c1`` are done here
    (the GIL released), into the given output arrays.  ``skip`` marks windows whose statistics
    are not used (non-finite or constant ones): they never trigger a restart.  Returns
    ``(mu, isd, rel, restarts)``.
    """
    cdef int64_t n = y.shape[0], l = n - m + 1, nch = (l + STATS_CHUNK - 1) // STATS_CHUNK, c
    cdef int64_t nrestart = 0
    if mu_a is None:
        mu_a = np.empty(l)
        isd_a = np.empty(l)
        rel_a = np.empty(l)
    cdef double[::1] mu = mu_a, isd = isd_a, rel = rel_a
    if c1 < 0 or c1 > nch:
        c1 = nch
    with nogil:
        for c in range(c0, c1):
            if m <= PLAIN_MAX_M:
                _stats_chunk_plain(&y[0], m, c * STATS_CHUNK, min((c + 1) * STATS_CHUNK, l),
                                   &skip[0], restart_rel, &mu[0], &isd[0], &rel[0], &nrestart)
            else:
                _stats_chunk(&y[0], m, c * STATS_CHUNK, min((c + 1) * STATS_CHUNK, l), &skip[0],
                             restart_rel, &mu[0], &isd[0], &rel[0], &nrestart)
    return mu_a, isd_a, rel_a, nrestart


def stats_chains(int64_t l):
    """How many chains ``window_stats`` uses for ``l`` windows."""
    return (l + STATS_CHUNK - 1) // STATS_CHUNK


def blocks(const double[::1] y, int64_t B, int64_t L, int64_t nb):
    """The FFT's overlapping blocks of ``y`` in one pass: block ``b`` holds ``y[b L : b L + B]``
    (zeros past the end) less its own mean ``shift[b]``; ``bnorm[b]`` is its norm.  Returns
    ``(X, shift, bnorm)`` with ``X`` of shape ``(nb, B)``."""
    cdef int64_t n = y.shape[0], b, t, a, k
    X_a = np.empty((nb, B))
    shift_a = np.empty(nb)
    bnorm_a = np.empty(nb)
    cdef double[:, ::1] X = X_a
    cdef double[::1] shift = shift_a, bnorm = bnorm_a
    cdef double acc, q, v
    with nogil:
        for b in range(nb):
            a = b * L
            k = n - a if n - a < B else B
            acc = 0.0
            for t in range(k):
                acc += y[a + t]
            acc = acc / B
            shift[b] = acc
            q = 0.0
            for t in range(k):
                v = y[a + t] - acc
                X[b, t] = v
                q += v * v
            for t in range(k, B):
                X[b, t] = -acc
                q += acc * acc
            bnorm[b] = sqrt(q)
    return X_a, shift_a, bnorm_a


def finish(const double[:, ::1] C, int64_t m, const double[::1] shift,
           const double[::1] bnorm, const double[::1] mu, const double[::1] isd,
           const double[::1] rel, const uint8_t[::1] kind, bint constQ, double qnorm,
           double qsum, double fft_err, double stats_err, double tol, double[::1] D,
           uint8_t[::1] redo, int64_t j0=0, int64_t j1=-1, int64_t b_off=0):
    """Z-normalized distances from the FFT dot products ``C`` into ``D``; returns how many
    positions were flagged in ``redo`` for exact recomputation.

    Row ``b`` of ``C`` holds block ``b``'s dot products: ``C[b, t]`` is the FFT's
    ``sum_u qhat[u] * (T[j + u] - shift[b])`` for window ``j = b L + t`` (``L = B - m + 1``),
    with ``qhat`` the centred query (``sum qhat = qsum``, ``||qhat|| = qnorm``); its error is
    taken as at most ``fft_err * qnorm * bnorm[b]``.  A window's ``isd[j] = 1 / sqrt(ssd[j])``
    comes with ``rel[j]``, a bound on ``ssd[j]``'s relative error and on the part of ``mu[j]``'s
    error beyond ``2 eps`` of itself (``window_stats``); ``qnorm`` is off by at most
    ``stats_err`` (relative).  ``kind[j]``:
    0 an ordinary window, 1 a non-finite one (``inf``), 2 a constant one.

    The bound on the dot product's error is carried through the correlation and the square
    root; a position whose distance may be off by more than ``tol`` is flagged (as are windows
    whose norm is 0).  Only positions ``j0 <= j < j1`` are done, so that threads can share the
    work (the GIL is released); ``C`` may then hold only their blocks, from block ``b_off`` on.
    """
    cdef int64_t l = D.shape[0], B = C.shape[1], L = B - m + 1, j, b, nredo = 0, ja, jb
    cdef double sm = sqrt(<double> m), tm = 2.0 * m, iq, aq, fb, sh, off, mj, c, rho, err
    cdef double d2, d, e2, bound, w, r, sconst = stats_err + 12.0 * EPS
    cdef const double *row
    cdef uint8_t k
    if j1 < 0 or j1 > l:
        j1 = l
    iq = 1.0 / qnorm if qnorm > 0.0 else 0.0
    aq = EPS * fabs(qsum) * iq
    if fabs(qsum) * iq > 1.01 * sm:  # rel's share for the means assumes less (window_stats)
        qnorm = 0.0
    with nogil:
        for b in range(j0 // L, (j1 + L - 1) // L):
            # the FFT error over the norms: fft_err qnorm bnorm / (qnorm sqrt(ssd))
            fb = fft_err * bnorm[b]
            sh = shift[b]
            row = &C[b - b_off, 0] - b * L
            ja = b * L if b * L > j0 else j0
            jb = (b + 1) * L if (b + 1) * L < j1 else j1
            for j in range(ja, jb):
                redo[j] = 0
                k = kind[j]
                if k != 0:
                    if k == 1:
                        D[j] = INFINITY
                    elif constQ:
                        D[j] = 0.0
                    else:
                        D[j] = sm
                    continue
                if constQ:
                    D[j] = sm
                    continue
                mj = mu[j]
                off = sh - mj
                # sum qhat * (T - mu_j) = sum qhat * (T - shift) + (shift - mu_j) * sum qhat
                c = row[j] + off * qsum
                w = isd[j]
                rho = c * w * iq
                r = rel[j] + sconst
                err = (fb + aq * (4.0 * fabs(off) + 2.0 * fabs(mj))) * w + r * (fabs(rho) + 1.0)
                if not (w > 0.0 and err < 1.0 and qnorm > 0.0):
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
                D[j] = d
                # |sqrt(a) - sqrt(b)| = |a - b| / (sqrt(a) + sqrt(b)), and sqrt(b) >= sqrt(a - e2);
                # e2 <= tol d is enough (the usual case), else the exact test
                if e2 > tol * d:
                    if d2 > e2:
                        bound = e2 / (d + sqrt(d2 - e2))
                    else:
                        bound = sqrt(2.0 * e2)
                    if bound > tol:
                        redo[j] = 1
                        nredo += 1
    return nredo
