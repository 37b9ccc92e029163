"""Compiled loops of the anytime and streaming profiles (preSCRIMP, stumpi/aampi updates).

Scores follow the band kernels' convention (higher is better: the Pearson correlation, or minus
the p-th power of the p-norm distance) and go into the same top-k tables, so the pipeline's
merge and exact refinement finish the job.  Every loop runs with the GIL released.
"""
import numpy as np

from libc.math cimport fabs, pow, sqrt, INFINITY, isnan
from libc.stdint cimport int64_t, uint8_t
from libc.stdlib cimport malloc, free


cdef extern from "_kernels/band.h":
    ctypedef struct mp_topk:
        double *P
        int64_t *I
        double *thr
        int64_t k
    void mp_topk_insert(mp_topk *tk, int64_t row, double s, int64_t idx) noexcept nogil


cdef void _fill_topk(mp_topk *t, obj):
    cdef double[::1] P = obj.P
    cdef int64_t[::1] I = obj.I
    cdef double[::1] thr = obj.thr
    t.P = &P[0]
    t.I = &I[0]
    t.thr = &thr[0]
    t.k = obj.k


cdef inline void _offer(mp_topk *tk, int64_t row, double s, int64_t idx) noexcept nogil:
    """Offer (s, idx) to a row unless idx is already there (preSCRIMP meets pairs twice)."""
    cdef int64_t q
    if isnan(s) or s < tk.thr[row]:
        return
    for q in range(tk.k):
        if tk.I[row * tk.k + q] == idx:
            return
    mp_topk_insert(tk, row, s, idx)


cdef struct _side:
    const double *T    # kernel series (z-normalized: shifted and scaled)
    const double *mu
    const double *w    # 1/norm of the centred window; NaN where not usable
    const uint8_t *cst
    const uint8_t *valid
    int64_t l


cdef inline double _pair(const _side *X, int64_t i, const _side *Y, int64_t j, int64_t m,
                         int mode, double p) noexcept nogil:
    """Score of the windows X[i] and Y[j], computed directly (O(m))."""
    cdef int64_t t
    cdef double acc = 0.0, d
    if not X.valid[i] or not Y.valid[j]:
        return -INFINITY
    if mode == 0:
        if X.cst[i] or Y.cst[j]:
            return 1.0 if (X.cst[i] and Y.cst[j]) else 0.5
        for t in range(m):
            acc += (X.T[i + t] - X.mu[i]) * (Y.T[j + t] - Y.mu[j])
        return acc * X.w[i] * Y.w[j]
    for t in range(m):
        d = fabs(X.T[i + t] - Y.T[j + t])
        acc += d * d if mode == 1 else (d if mode == 2 else pow(d, p))
    return -acc


cdef void _profile(const _side *X, int64_t i, const _side *Y, int64_t m, int mode, double p,
                   double *sc) noexcept nogil:
    """Scores of window X[i] against every window of Y, blocked so the block stays in L1."""
    cdef int64_t j0 = 0, j1, j, t, B = 512
    cdef double a, sa, d
    cdef bint ci = X.cst[i]
    while j0 < Y.l:
        j1 = min(j0 + B, Y.l)
        for j in range(j0, j1):
            sc[j] = 0.0
        if mode == 0:
            if ci:
                j0 = j1
                continue
            sa = 0.0
            for t in range(m):
                a = X.T[i + t] - X.mu[i]
                sa += a
                for j in range(j0, j1):
                    sc[j] += a * Y.T[j + t]
            for j in range(j0, j1):  # sum_t a_t (y_t - mu_y) = sum_t a_t y_t - mu_y sum_t a_t
                sc[j] = (sc[j] - Y.mu[j] * sa) * X.w[i] * Y.w[j]
        else:
            for t in range(m):
                a = X.T[i + t]
                if mode == 1:
                    for j in range(j0, j1):
                        d = a - Y.T[j + t]
                        sc[j] += d * d
                elif mode == 2:
                    for j in range(j0, j1):
                        sc[j] += fabs(a - Y.T[j + t])
                else:
                    for j in range(j0, j1):
                        sc[j] += pow(fabs(a - Y.T[j + t]), p)
            for j in range(j0, j1):
                sc[j] = -sc[j]
        j0 = j1
    for j in range(Y.l):
        if not Y.valid[j]:
            sc[j] = -INFINITY
        elif mode == 0 and (ci or Y.cst[j]):
            sc[j] = 1.0 if (ci and Y.cst[j]) else 0.5
        elif isnan(sc[j]):
            sc[j] = -INFINITY


cdef _side _make_side(dict d, list keep):
    cdef _side s
    cdef const double[::1] T = d["T"]
    cdef const double[::1] mu = d["mu"]
    cdef const double[::1] w = d["w"]
    cdef const uint8_t[::1] c = d["const"]
    cdef const uint8_t[::1] v = d["valid"]
    keep.extend([T, mu, w, c, v])
    s.T = &T[0]
    s.mu = &mu[0]
    s.w = &w[0]
    s.cst = &c[0]
    s.valid = &v[0]
    s.l = v.shape[0]
    return s


def prescrump_special(dict X, dict Y, int64_t m, int mode, double p,
                      const int64_t[::1] samples, const uint8_t[::1] spx,
                      const int64_t[::1] special_y, int64_t excl, nn_table, offer_table):
    """preSCRIMP's pairs that hold a window the band kernels skip (constant or near-flat):
    for each sampled row i of X (a slice of the samples, so that threads can share them), a
    special i gets its full score profile (its best to ``nn_table``, and in a self-join the
    whole profile offered to every row as the candidate i, into ``offer_table``); an ordinary
    i is scored against every special window of Y (``special_y``), offered both ways likewise.
    ``excl < 0``: an AB-join.  The kernels did every other pair, so each pair is offered here
    at most once; the GIL is released throughout."""
    cdef list keep = []
    cdef _side x = _make_side(X, keep)
    cdef _side y = _make_side(Y, keep)
    cdef mp_topk nn, off
    _fill_topk(&nn, nn_table)
    if excl >= 0:
        _fill_topk(&off, offer_table)
    cdef double *sc = <double *> malloc(max(y.l, 1) * sizeof(double))
    if sc == NULL:
        raise MemoryError()
    cdef int64_t n = samples.shape[0], ns = special_y.shape[0], a, i, j, b, nbest
    cdef double best, v
    cdef bint self_join = excl >= 0
    with nogil:
        for a in range(n):
            i = samples[a]
            if not x.valid[i]:
                continue
            if spx[i]:
                _profile(&x, i, &y, m, mode, p, sc)
                if self_join:
                    for j in range(max(0, i - excl), min(y.l, i + excl + 1)):
                        sc[j] = -INFINITY
                nbest = -1
                best = -INFINITY
                for j in range(y.l):
                    if sc[j] > best:
                        best = sc[j]
                        nbest = j
                if nbest >= 0:
                    _offer(&nn, i, best, nbest)
                if self_join:
                    for j in range(y.l):
                        if sc[j] > -INFINITY:
                            _offer(&off, j, sc[j], i)
                continue
            for b in range(ns):
                j = special_y[b]
                if self_join and j - i <= excl and i - j <= excl:
                    continue
                v = _pair(&x, i, &y, j, m, mode, p)
                _offer(&nn, i, v, j)
                if self_join:
                    _offer(&off, j, v, i)
    free(sc)


def prescrump_pairs(dict X, dict Y, int64_t m, int mode, double p, const int64_t[::1] samples,
                    int64_t s, int64_t excl, const int64_t[::1] nn, const double[::1] best,
                    table):
    """preSCRIMP's walk along each sample's diagonal: sampled row i, whose best match ``nn[i]``
    (score ``best[i]``) is offered to it, and the pairs (i + g, nn + g) for |g| < s offered to
    row i + g (and in a self-join, ``excl >= 0``, to row nn + g as well).  Candidates a row
    already holds are not offered again.  Samples in STUMPY's order; GIL released."""
    cdef list keep = []
    cdef _side x = _make_side(X, keep)
    cdef _side y = _make_side(Y, keep)
    cdef mp_topk tk
    _fill_topk(&tk, table)
    cdef int64_t n = samples.shape[0], a, i, j, g, gmax
    cdef double v
    cdef bint self_join = excl >= 0
    with nogil:
        for a in range(n):
            i = samples[a]
            j = nn[i]
            if not x.valid[i] or j < 0:
                continue
            _offer(&tk, i, best[i], j)
            gmax = min(s, min(x.l - i, y.l - j))
            for g in range(1, gmax):
                v = _pair(&x, i + g, &y, j + g, m, mode, p)
                _offer(&tk, i + g, v, j + g)
                if self_join:
                    _offer(&tk, j + g, v, i + g)
            gmax = min(s, min(i + 1, j + 1))
            for g in range(1, gmax):
                v = _pair(&x, i - g, &y, j - g, m, mode, p)
                _offer(&tk, i - g, v, j - g)
                if self_join:
                    _offer(&tk, j - g, v, i - g)



cdef inline double _zdist_exact(const double *x, const double *y, int64_t m) noexcept nogil:
    """z-normalized distance computed from the two windows themselves (two passes)."""
    cdef int64_t t
    cdef double mx = 0.0, my = 0.0, sx = 0.0, sy = 0.0, a, b, acc = 0.0
    for t in range(m):
        mx += x[t]
        my += y[t]
    mx /= m
    my /= m
    for t in range(m):
        sx += (x[t] - mx) * (x[t] - mx)
        sy += (y[t] - my) * (y[t] - my)
    sx = sqrt(sx / m)
    sy = sqrt(sy / m)
    for t in range(m):
        a = (x[t] - mx) / sx - (y[t] - my) / sy
        acc += a * a
    return sqrt(acc)


cdef inline double _pdist_exact(const double *x, const double *y, int64_t m,
                                double p) noexcept nogil:
    cdef int64_t t
    cdef double acc = 0.0, d
    for t in range(m):
        d = fabs(x[t] - y[t])
        acc += d * d if p == 2.0 else (d if p == 1.0 else pow(d, p))
    return sqrt(acc) if p == 2.0 else (acc if p == 1.0 else pow(acc, 1.0 / p))


cdef inline void _insert_dist(double *P, int64_t *I, int64_t k, double d, int64_t idx) noexcept nogil:
    """STUMPY's insertion: after the entries equal to d (searchsorted 'right'), last one out."""
    cdef int64_t q = k - 1
    while q > 0 and P[q - 1] > d:
        P[q] = P[q - 1]
        I[q] = I[q - 1]
        q -= 1
    P[q] = d
    I[q] = idx


cdef void _step(const double *T, int64_t n, double *QT, const double *mu, const double *sig,
                const uint8_t *cst, const uint8_t *wvalid, const double *ss, double *P,
                int64_t *I, int64_t k, int64_t m, int64_t excl, bint normalize, double p,
                double M, int64_t gbase) noexcept nogil:
    """The body of :func:`stream_step` on raw pointers (P and I row-major, k per row)."""
    cdef int64_t l = n - m + 1, q = l - 1, j, t
    cdef double tnew = T[n - 1], tdrop, d2, d, inv, bound, kth, qth
    cdef double mq = mu[q], sq = sig[q]
    cdef double eps = 2.220446049250313e-16, sqm = sqrt(<double> m), c16 = 16.0 * eps * M * M
    cdef bint qconst = cst[q], direct = (not normalize) and p != 2.0
    if l >= 2:
        tdrop = T[n - m - 1]
        j = l - 1
        while j >= 1:
            QT[j] = QT[j - 1] - T[j - 1] * tdrop + T[j + m - 1] * tnew
            j -= 1
    QT[0] = 0.0
    for t in range(m):
        QT[0] += T[t] * T[n - m + t]
    for t in range(k):
        P[q * k + t] = INFINITY
        I[q * k + t] = -1
    for j in range(max(0, q - excl) if wvalid[q] else 0):
        if not wvalid[j]:
            continue
        if normalize:
            if qconst or cst[j]:
                d = 0.0 if (qconst and cst[j]) else sqm
                _offer_dist(P, I, j, q, d, k, gbase)
                continue
            # d2 = 2m (1 - corr), corr = (QT - m mq mu) / (m sq sig): one division, not two
            inv = 1.0 / (sq * sig[j])
            d2 = 2.0 * m - 2.0 * (QT[j] - m * mq * mu[j]) * inv
            bound = c16 * inv + 1e-12
        elif direct:
            d2 = 0.0
            bound = INFINITY
        else:
            d2 = ss[j] + ss[q] - 2.0 * QT[j]
            bound = 16.0 * eps * m * M * M + 1e-12
        kth = P[j * k + k - 1]
        qth = P[q * k + k - 1]
        if d2 - bound < kth * kth or d2 - bound < qth * qth:
            if normalize:
                d = _zdist_exact(&T[j], &T[n - m], m)
            else:
                d = _pdist_exact(&T[j], &T[n - m], m, p)
            _offer_dist(P, I, j, q, d, k, gbase)


cdef inline void _offer_dist(double *P, int64_t *I, int64_t j, int64_t q, double d, int64_t k,
                             int64_t gbase) noexcept nogil:
    if d < P[j * k + k - 1]:
        _insert_dist(&P[j * k], &I[j * k], k, d, gbase + q)
    if d < P[q * k + k - 1]:
        _insert_dist(&P[q * k], &I[q * k], k, d, gbase + j)


def stream_step(const double[::1] T, double[::1] QT, const double[::1] mu,
                const double[::1] sig, const uint8_t[::1] cst, const uint8_t[::1] wvalid,
                const double[::1] ss, double[:, ::1] P, int64_t[:, ::1] I, int64_t m,
                int64_t excl, bint normalize, double p, double M, int64_t gbase):
    """One streaming update, the new point already appended: ``T`` is the live series, whose
    last window q = l - 1 is the new one; ``mu``/``sig``/``cst``/``wvalid``/``ss`` (sum of
    squares, p-norms) describe every live window; ``QT[j - 1]`` holds the dot product of the
    previous last window with window j (the buffers are aligned, so with egress the dropped
    window's slot is QT[-1] of this view's predecessor and is never read).  ``QT`` is updated
    in place to the new window's dot products (O(l), descending, no allocation).

    Each row whose approximate distance to the new window comes within a rounding bound of its
    k-th best gets the exact distance, entered when strictly better (STUMPY's rule, inserted
    after equal entries); the new window's row, filled here, gets its exact top-k the same way.
    Indices are global (``gbase`` is window 0's).  ``M`` bounds |T|.  GIL released.
    """
    cdef int64_t n = T.shape[0]
    with nogil:
        _step(&T[0], n, &QT[0], &mu[0], &sig[0], &cst[0], &wvalid[0], &ss[0], &P[0, 0],
              &I[0, 0], P.shape[1], m, excl, normalize, p, M, gbase)


def stream_block(const double[::1] values, double[::1] T, uint8_t[::1] fin, double[::1] mu,
                 double[::1] sig, uint8_t[::1] cst, uint8_t[::1] wvalid, double[::1] ss,
                 double[::1] QT, double[:, ::1] P, int64_t[:, ::1] I, double[::1] left_P,
                 int64_t[::1] left_I, int64_t a, int64_t n, int64_t gbase, double M,
                 int64_t m, int64_t excl, bint egress, bint normalize, double p):
    """``update(values)`` of stumpi/aampi in one call: for each point in order, what one
    ``_append`` does (store it, the new window's statistics, :func:`stream_step`, its left
    neighbour), without returning to Python in between.  For the default constant rule (all
    values of a window equal) only; the buffers must have room for every value.  Returns the
    new ``(a, n, gbase, M)``.  GIL released."""
    cdef int64_t nv = values.shape[0], v, t, l, q, k = P.shape[1]
    cdef double x, mean, var, sumsq, lo, hi
    cdef bint finite, valid
    if a + n + nv > T.shape[0] or a + n + nv - m + 1 > P.shape[0]:
        raise ValueError("stream_block: the buffers have no room for the block")
    with nogil:
        for v in range(nv):
            x = values[v]
            finite = not (isnan(x) or x == INFINITY or x == -INFINITY)
            T[a + n] = x if finite else 0.0
            fin[a + n] = finite
            if egress:
                a += 1
                gbase += 1
            else:
                n += 1
            l = n - m + 1
            q = a + l - 1
            valid = True
            for t in range(a + n - m, a + n):
                if not fin[t]:
                    valid = False
                    break
            wvalid[q] = valid
            if valid:
                if fabs(x) > M:
                    M = fabs(x)
                mean = 0.0
                sumsq = 0.0
                lo = T[a + n - m]
                hi = lo
                for t in range(a + n - m, a + n):
                    mean += T[t]
                    sumsq += T[t] * T[t]
                    lo = min(lo, T[t])
                    hi = max(hi, T[t])
                mean /= m
                var = 0.0
                for t in range(a + n - m, a + n):
                    var += (T[t] - mean) * (T[t] - mean)
                mu[q] = mean
                sig[q] = sqrt(var / m)
                ss[q] = sumsq
                cst[q] = normalize and lo == hi
            else:
                cst[q] = 0
            _step(&T[a], n, &QT[a], &mu[a], &sig[a], &cst[a], &wvalid[a], &ss[a], &P[a, 0],
                  &I[a, 0], k, m, excl, normalize, p, M, gbase)
            left_P[q] = P[q, 0]
            left_I[q] = I[q, 0]
    return a, n, gbase, M


def stream_step_ab(const double[::1] S, const double[::1] R, double[::1] QT,
                   const double[::1] muR, const double[::1] sigR, const uint8_t[::1] cstR,
                   const uint8_t[::1] validR, const double[::1] ssR, double mq, double sq,
                   bint cq, bint validq, double ssq, double[::1] Pq, int64_t[::1] Iq,
                   double[:, ::1] PR, int64_t[:, ::1] IR, int64_t m, bint normalize, double p,
                   double M, int64_t gq):
    """One update of a streaming AB-join, the new point already appended to the live stream
    ``S``: ``QT`` (dot products of the previous last stream window with every window of the
    fixed reference ``R``) is updated in place to the new window's (O(l_R)); the new window's
    own top-k over ``R`` goes to ``Pq``/``Iq``, and every reference row that it beats takes its
    global index ``gq`` (``PR``/``IR``).  Rows come within a rounding bound of their k-th best
    before an exact distance is computed, as in :func:`stream_step`.  GIL released."""
    cdef int64_t n = S.shape[0], lR = R.shape[0] - m + 1, j, t, k = Pq.shape[0]
    cdef double tnew = S[n - 1], tdrop, d2, d, corr, bound, kth
    cdef double eps = 2.220446049250313e-16, sqm = sqrt(<double> m)
    cdef bint direct = (not normalize) and p != 2.0
    with nogil:
        if n > m:
            tdrop = S[n - m - 1]
            j = lR - 1
            while j >= 1:
                QT[j] = QT[j - 1] - R[j - 1] * tdrop + R[j + m - 1] * tnew
                j -= 1
        QT[0] = 0.0
        for t in range(m):
            QT[0] += R[t] * S[n - m + t]
        if n == m:  # no previous window: every dot product directly
            for j in range(1, lR):
                QT[j] = 0.0
                for t in range(m):
                    QT[j] += R[j + t] * S[n - m + t]
        for t in range(k):
            Pq[t] = INFINITY
            Iq[t] = -1
        for j in range(lR if validq else 0):
            if not validR[j]:
                continue
            if normalize:
                if cq or cstR[j]:
                    d = 0.0 if (cq and cstR[j]) else sqm
                    if d < PR[j, k - 1]:
                        _insert_dist(&PR[j, 0], &IR[j, 0], k, d, gq)
                    if d < Pq[k - 1]:
                        _insert_dist(&Pq[0], &Iq[0], k, d, j)
                    continue
                corr = (QT[j] - m * mq * muR[j]) / (m * sq * sigR[j])
                d2 = 2.0 * m * (1.0 - corr)
                bound = 16.0 * eps * M * M / (sq * sigR[j]) + 1e-12
            elif direct:
                d2 = 0.0
                bound = INFINITY
            else:
                d2 = ssR[j] + ssq - 2.0 * QT[j]
                bound = 16.0 * eps * m * M * M + 1e-12
            kth = PR[j, k - 1]
            if d2 - bound < kth * kth or d2 - bound < Pq[k - 1] * Pq[k - 1]:
                if normalize:
                    d = _zdist_exact(&R[j], &S[n - m], m)
                else:
                    d = _pdist_exact(&R[j], &S[n - m], m, p)
                if d < kth:
                    _insert_dist(&PR[j, 0], &IR[j, 0], k, d, gq)
                if d < Pq[k - 1]:
                    _insert_dist(&Pq[0], &Iq[0], k, d, j)
