"""Compiled loops of the anytime and streaming profiles (preSCRIMP, stumpi/aampi updates).

Scores follow the band kernels' convention (higher is better: the Pearson correlation, or minus
the p-th power of the p-norm distance) and go into the same top-k tables, so the pipeline's
merge and exact refinement finish the job.  Every loop runs with the GIL released.
"""
import numpy as np

from libc.math cimport fabs, ilogb, ldexp, pow, sqrt, INFINITY, NAN, isnan
from libc.stdint cimport int64_t, uint8_t
from libc.stdlib cimport malloc, free


cdef extern from "_kernels/band.h":
    ctypedef struct mp_topk:
        double *P
        int64_t *I
        double *thr
        int64_t k
        int later
    void mp_topk_insert(mp_topk *tk, int64_t row, double s, int64_t idx) noexcept nogil
    ctypedef void (*mp_pow_fn)(const double *, int64_t, double, double *) noexcept nogil
    mp_pow_fn mp_pow_kernel_get(int i) noexcept nogil


cdef mp_pow_fn _powers():
    """A general p's powers: the best band kernel's (_kernels/vpow.h), as _exact's, so that a
    pair's exact distance has the same bits here and there."""
    return mp_pow_kernel_get(0)


cdef void _fill_topk(mp_topk *t, obj):
    cdef double[::1] P = obj.P
    cdef int64_t[::1] I = obj.I
    cdef double[::1] thr = obj.thr
    t.P = &P[0]
    t.I = &I[0]
    t.thr = &thr[0]
    t.k = obj.k
    t.later = bool(getattr(obj, "later", False))


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
    const int64_t *cls  # classes of identical windows (-1: none; NULL: no two are identical)
    int64_t l


cdef inline double _pair(const _side *X, int64_t i, const _side *Y, int64_t j, int64_t m,
                         int mode, double p) noexcept nogil:
    """Score of the windows X[i] and Y[j], computed directly (O(m))."""
    cdef int64_t t
    cdef double acc = 0.0, d
    if not X.valid[i] or not Y.valid[j]:
        return -INFINITY
    if X.cls != NULL and X.cls[i] >= 0 and X.cls[i] == Y.cls[j]:
        return INFINITY  # identical windows: as the tables hold them (see twin_pairs)
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
        elif X.cls != NULL and X.cls[i] >= 0 and X.cls[i] == Y.cls[j]:
            sc[j] = INFINITY  # identical windows (see _pair)
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
    cdef const int64_t[::1] cls
    s.cls = NULL
    if d.get("cls") is not None:
        cls = d["cls"]
        if cls.shape[0] != v.shape[0]:
            raise ValueError("_make_side: cls and valid differ in length")
        keep.append(cls)
        s.cls = &cls[0]
    s.T = &T[0]
    s.mu = &mu[0]
    s.w = &w[0]
    s.cst = &c[0]
    s.valid = &v[0]
    s.l = v.shape[0]
    return s


cdef void _first_outside(mp_topk *tk, int64_t row, const int64_t *C, int64_t nc, int64_t excl,
                         int64_t k, double score) noexcept nogil:
    """Offer ``row`` the first k of the sorted positions C outside [row - excl, row + excl]
    (all of them when excl < 0), lowest first, all with ``score``: the k a table keeps of
    candidates of equal score (the lower index first)."""
    cdef int64_t q = 0, hits = 0, hi
    if excl >= 0:
        hi = _lower_bound(C, nc, row + excl + 1)
        while q < nc and C[q] < row - excl and hits < k:
            _offer(tk, row, score, C[q])
            q += 1
            hits += 1
        q = hi
    while q < nc and hits < k:
        _offer(tk, row, score, C[q])
        q += 1
        hits += 1


def prescrump_special(dict X, dict Y, int64_t m, int mode, double p,
                      const int64_t[::1] samples, const uint8_t[::1] spx,
                      const int64_t[::1] special_y, int64_t excl, nn_table, offer_table):
    """preSCRIMP's pairs that hold a window the band kernels skip (constant or near-flat):
    for each sampled row i of X (a slice of the samples, sorted, so that threads can share
    them), a special i gets its full score profile (its best to ``nn_table``, and in a
    self-join the whole profile offered to every row as the candidate i, into
    ``offer_table``); an ordinary i is scored against every special window of Y
    (``special_y``), offered both ways likewise.  ``excl < 0``: an AB-join.  The kernels did
    every other pair, so each pair is offered here at most once; the GIL is released
    throughout.

    A pair holding a constant window has a fixed score (1.0 for two, 0.5 for one), so of the
    offers of one score to one row only the first k in the table's order (the lowest indices)
    can enter it, and only those are made: O(l k) for the constant windows, not a pair per
    sample and window (a series 90% constant took 2.5x a random walk's time)."""
    cdef list keep = []
    cdef _side x = _make_side(X, keep)
    cdef _side y = _make_side(Y, keep)
    cdef mp_topk nn, off
    _fill_topk(&nn, nn_table)
    if excl >= 0:
        _fill_topk(&off, offer_table)
    cdef int64_t n = samples.shape[0], ns = special_y.shape[0], a, i, j, b, nbest, t
    for a in range(1, n):
        if samples[a] <= samples[a - 1]:
            raise ValueError("prescrump_special: samples must be sorted and distinct")
    # Y's constant and other valid windows; this slice's constant and other valid samples
    yv = np.asarray(<const uint8_t[:y.l]> y.valid, dtype=bool)
    yc = np.asarray(<const uint8_t[:y.l]> y.cst, dtype=bool)
    cdef const int64_t[::1] cy = np.flatnonzero(yv & yc).astype(np.int64)
    cdef const int64_t[::1] oy = np.flatnonzero(yv & ~yc).astype(np.int64)
    sam = np.asarray(samples)
    if n:
        xv = np.asarray(<const uint8_t[:x.l]> x.valid, dtype=bool)[sam]
        xc = np.asarray(<const uint8_t[:x.l]> x.cst, dtype=bool)[sam]
    else:
        xv = xc = np.zeros(0, dtype=bool)
    cdef const int64_t[::1] cs = np.ascontiguousarray(sam[xv & xc], dtype=np.int64)
    cdef const int64_t[::1] os = np.ascontiguousarray(sam[xv & ~xc], dtype=np.int64)
    cdef const int64_t[::1] fy = np.ascontiguousarray(
        np.asarray(special_y)[~yc[np.asarray(special_y)]] if ns else special_y, dtype=np.int64)
    cdef int64_t ncy = cy.shape[0], noy = oy.shape[0], ncs = cs.shape[0], nos = os.shape[0]
    cdef int64_t nfy = fy.shape[0]
    cdef const int64_t *pcy = &cy[0] if ncy else NULL
    cdef const int64_t *poy = &oy[0] if noy else NULL
    cdef const int64_t *pcs = &cs[0] if ncs else NULL
    cdef const int64_t *pos = &os[0] if nos else NULL
    cdef double *sc = <double *> malloc(max(y.l, 1) * sizeof(double))
    if sc == NULL:
        raise MemoryError()
    cdef double best, v
    cdef bint self_join = excl >= 0
    with nogil:
        for a in range(n):
            i = samples[a]
            if not x.valid[i]:
                continue
            if x.cst[i] and mode == 0:
                # its profile: 1.0 to constant windows, 0.5 to the others; its nearest, the
                # lowest of the best kind beyond the exclusion zone (offers: below)
                if ncy:
                    _first_outside(&nn, i, pcy, ncy, excl, 1, 1.0)
                if nn.I[i * nn.k + nn.k - 1] < 0 and noy:
                    _first_outside(&nn, i, poy, noy, excl, 1, 0.5)
                continue
            if spx[i]:  # near-flat: its whole profile, scored
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
                        if sc[j] > -INFINITY and not (mode == 0 and y.cst[j]):
                            _offer(&off, j, sc[j], i)
                continue
            # an ordinary sample: the near-flat windows scored, the constant ones at 0.5
            for b in range(nfy):
                j = fy[b]
                if self_join and j - i <= excl and i - j <= excl:
                    continue
                v = _pair(&x, i, &y, j, m, mode, p)
                _offer(&nn, i, v, j)
                if self_join:
                    _offer(&off, j, v, i)
            if ncy and mode == 0:
                _first_outside(&nn, i, pcy, ncy, excl, 1, 0.5)
        if self_join and mode == 0:
            # each row's offers from the constant samples (1.0 to a constant row, 0.5 to the
            # others), and a constant row's from the other samples (0.5): the first k of each
            for j in range(y.l):
                if not y.valid[j]:
                    continue
                if ncs:
                    _first_outside(&off, j, pcs, ncs, excl, off.k, 1.0 if y.cst[j] else 0.5)
                if y.cst[j] and nos:
                    _first_outside(&off, j, pos, nos, excl, off.k, 0.5)
    free(sc)


cdef int64_t _lower_bound(const int64_t *a, int64_t n, int64_t x) noexcept nogil:
    """The first position of the sorted a[0:n] holding a value >= x (n if none)."""
    cdef int64_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef int64_t _first_k(int64_t row, int sign, const int64_t *D, int64_t nd,
                      const uint8_t *inD, int64_t gmin, int64_t gmax, const int64_t *C,
                      int64_t nc, const int64_t *lab, int64_t want, int64_t lc, int64_t k,
                      int64_t *out) noexcept nogil:
    """The first k candidates p = row + sign * g of ``row`` (into ``out``; returns how many)
    with g in the sorted diagonals D and p in the sorted positions C (those whose label
    ``lab[p]`` is ``want``), by ascending g: a table's order among equal scores (the lowest
    column of a row, the latest row of a column).  Walks whichever of D and C is smaller,
    testing the other (inD, D's bitmap over [gmin, gmax]; lab over [0, lc)): the steps are at
    most that size, and about k over the other's density."""
    cdef int64_t hits = 0, q, g, pos
    if nd <= nc:
        for q in range(nd):
            pos = row + sign * D[q]
            if 0 <= pos < lc and lab[pos] == want:
                out[hits] = pos
                hits += 1
                if hits >= k:
                    break
        return hits
    # C's positions in order of g: upward from row + gmin, or downward from row - gmin
    q = _lower_bound(C, nc, row + gmin) if sign > 0 else _lower_bound(C, nc, row - gmin + 1) - 1
    while 0 <= q < nc:
        g = sign * (C[q] - row)
        if g > gmax:
            break
        if inD[g - gmin]:
            out[hits] = C[q]
            hits += 1
            if hits >= k:
                break
        q += sign
    return hits


cdef void _first_hits(mp_topk *tk, int64_t row, int sign, const int64_t *D, int64_t nd,
                      const uint8_t *inD, int64_t gmin, int64_t gmax, const int64_t *C,
                      int64_t nc, const int64_t *lab, int64_t want, int64_t lc,
                      double score, int64_t *buf) noexcept nogil:
    """Offer ``row`` its first k candidates of _first_k (k = the table's), all with ``score``
    (``buf``: room for k), but those it holds already (an update interrupted and run again
    offers its pairs twice)."""
    cdef int64_t q, hits = _first_k(row, sign, D, nd, inD, gmin, gmax, C, nc, lab, want, lc,
                                    tk.k, buf)
    for q in range(hits):
        _offer(tk, row, score, buf[q])


cdef object _diagonal_bitmap(const int64_t[::1] diags):
    """diags (sorted, distinct, checked) as a bitmap over [diags[0], diags[-1]]."""
    cdef int64_t i, nd = diags.shape[0]
    for i in range(1, nd):
        if diags[i] <= diags[i - 1]:
            raise ValueError("diags must be sorted and distinct")
    inD = np.zeros(diags[nd - 1] - diags[0] + 1, dtype=np.uint8)
    inD[np.asarray(diags) - diags[0]] = 1
    return inD


def fixed_score_pairs(table, int sign, const int64_t[::1] diags, const uint8_t[::1] constR,
                      const uint8_t[::1] validR, const uint8_t[::1] constC,
                      const uint8_t[::1] validC):
    """An anytime profile's pairs on ``diags`` that hold a constant window, offered to the rows
    of ``table`` with STUMPY's fixed scores: for row r of series R its candidates
    c = r + sign * g (g in diags, sorted ascending) of series C.  A constant row scores 1.0
    against constant windows and 0.5 against the other valid ones; any other valid row 0.5
    against constant windows.  Of each kind only a row's first k in the table's order can
    enter it (equal scores), so only those are offered: O(l min(|diags|, |kind|)) at worst,
    not a pair per diagonal and window (a 90%-constant series of 12,000 points took 6.8 s and
    1.6 GB that way).  The GIL is released."""
    cdef mp_topk tk
    _fill_topk(&tk, table)
    cdef int64_t lr = constR.shape[0], lc = constC.shape[0], nd = diags.shape[0], r
    if validR.shape[0] != lr or validC.shape[0] != lc or tk.k < 1:
        raise ValueError("fixed_score_pairs: array lengths differ")
    if nd == 0 or lr == 0 or lc == 0:
        return
    cdef const uint8_t[::1] bD = _diagonal_bitmap(diags)
    cdef int64_t gmin = diags[0], gmax = diags[nd - 1]
    # the column windows' kinds: 0 constant, 1 any other valid one, -1 invalid
    kind_arr = np.where(np.asarray(validC, dtype=bool),
                        np.where(np.asarray(constC, dtype=bool), 0, 1), -1).astype(np.int64)
    cdef const int64_t[::1] kind = kind_arr
    cdef const int64_t[::1] C1 = np.flatnonzero(kind_arr == 0).astype(np.int64)
    cdef const int64_t[::1] C2 = np.flatnonzero(kind_arr == 1).astype(np.int64)
    cdef int64_t n1 = C1.shape[0], n2 = C2.shape[0]
    cdef const int64_t *p1 = &C1[0] if n1 else NULL
    cdef const int64_t *p2 = &C2[0] if n2 else NULL
    cdef int64_t[::1] buf = np.empty(tk.k, dtype=np.int64)
    with nogil:
        for r in range(lr):
            if not validR[r]:
                continue
            if constR[r]:
                if n1:
                    _first_hits(&tk, r, sign, &diags[0], nd, &bD[0], gmin, gmax, p1, n1,
                                &kind[0], 0, lc, 1.0, &buf[0])
                if n2:
                    _first_hits(&tk, r, sign, &diags[0], nd, &bD[0], gmin, gmax, p2, n2,
                                &kind[0], 1, lc, 0.5, &buf[0])
            elif n1:
                _first_hits(&tk, r, sign, &diags[0], nd, &bD[0], gmin, gmax, p1, n1,
                            &kind[0], 0, lc, 0.5, &buf[0])


def twin_pairs(table, int sign, const int64_t[::1] diags, const int64_t[::1] twins,
               const int64_t[::1] cls, const int64_t[::1] members,
               const int64_t[::1] starts):
    """An anytime profile's pairs of identical windows on ``diags``, offered to the rows of
    ``table`` (row r, candidates c = r + sign * g of the column series) with the score +inf:
    each row's first k identical windows in the table's order, ``twins[r]`` naming their
    class (-1: none) in the column windows' classes ``cls``; ``members``, the column windows
    sorted by class then index, class j's from ``starts[j]`` to ``starts[j + 1]``.

    They are exactly 0 apart, the least any distance can be, so a row holding k of them has
    its threshold at +inf and the kernels offer it no more cells: left to the kernels, each
    identical pair ties the row's best and takes their rare path (a tie with an earlier index
    wins), which made sparse counts (many all-zero windows) or an exactly periodic series
    cost 6-10x a random walk.  The GIL is released."""
    cdef mp_topk tk
    _fill_topk(&tk, table)
    cdef int64_t lr = twins.shape[0], lc = cls.shape[0], nd = diags.shape[0], r, c
    if tk.k < 1 or starts.shape[0] != lc + 1 or members.shape[0] != starts[lc]:
        raise ValueError("twin_pairs: array lengths differ")
    if nd == 0 or lr == 0 or lc == 0:
        return
    cdef const uint8_t[::1] bD = _diagonal_bitmap(diags)
    cdef int64_t gmin = diags[0], gmax = diags[nd - 1]
    cdef int64_t[::1] buf = np.empty(tk.k, dtype=np.int64)
    with nogil:
        for r in range(lr):
            c = twins[r]
            if c < 0 or starts[c + 1] == starts[c]:
                continue
            _first_hits(&tk, r, sign, &diags[0], nd, &bD[0], gmin, gmax, &members[starts[c]],
                        starts[c + 1] - starts[c], &cls[0], c, lc, INFINITY, &buf[0])


def class_members_on(const int64_t[::1] I, int64_t k, int sign, const int64_t[::1] diags,
                     const int64_t[::1] cls, const int64_t[::1] members,
                     const int64_t[::1] starts):
    """For an anytime profile's candidates ``I`` (l rows of k), each entry's class's first k
    windows on the diagonals done (``diags``, sorted) in a table's order (see _first_k; row r,
    candidates r + sign * g): an ``(l, k * k)`` array, -1 where fewer.  The anytime twin of
    finalize's tie candidates (windows identical to a found neighbour are exactly as near),
    which must not reach for a diagonal not yet done.  The GIL is released."""
    cdef int64_t l = I.shape[0] // k if k > 0 else 0, lc = cls.shape[0], nd = diags.shape[0]
    if k < 1 or I.shape[0] != l * k or starts.shape[0] != lc + 1 or \
            members.shape[0] != starts[lc]:
        raise ValueError("class_members_on: array lengths differ")
    out_arr = np.full((l, k * k), -1, dtype=np.int64)
    if nd == 0 or l == 0 or lc == 0:
        return out_arr
    cdef int64_t[:, ::1] out = out_arr
    cdef const uint8_t[::1] bD = _diagonal_bitmap(diags)
    cdef int64_t gmin = diags[0], gmax = diags[nd - 1], r, j, e, c
    with nogil:
        for r in range(l):
            for j in range(k):
                e = I[r * k + j]
                if e < 0 or e >= lc:
                    continue
                c = cls[e]
                if c < 0 or starts[c + 1] - starts[c] < 2:
                    continue  # (a class of one: the entry itself)
                _first_k(r, sign, &diags[0], nd, &bD[0], gmin, gmax, &members[starts[c]],
                         starts[c + 1] - starts[c], &cls[0], c, lc, k, &out[r, j * k])
    return out_arr


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



cdef extern from "_kernels/stream_block.h":
    ctypedef struct sb_ctx:
        const double *T
        const double *Tc
        const double *mu
        const double *sig
        const double *ss
        const double *sbar
        const double *df
        const double *dg
        const double *czbar
        const double *sgbar
        const double *mc
        const double *zdev
        int64_t nzdev
        double M
        const double *zt
        const double *isig
        const uint8_t *cst
        const uint8_t *wvalid
        double *QT
        double *QE
        int pdiff, sq
        double *P
        int64_t *I
        int64_t k, m, excl, G
        int normalize, direct
        double p
        mp_pow_fn pw
        double C0, e0
        int64_t R
        int64_t b
        const int64_t *lo
        const int64_t *q
        int64_t a_pre
        int64_t nparts
        const int64_t *bounds
        const double *halo
        const double *haloE
        const int64_t *hlo
        const int64_t *hoff
        double *Pq
        int64_t *Iq
        double *Uq
        double *buf
        int64_t bufsize, tile
    int SB_CHUNK
    void sb_part(const sb_ctx *c, int64_t t, double *lbuf) noexcept nogil
    int sb_claim(uint8_t *state) noexcept nogil
    void sb_done(uint8_t *state) noexcept nogil
    int sb_state(uint8_t *state) noexcept nogil
    void sb_yield() noexcept nogil
    void sb_insert(double *P, int64_t *I, int64_t k, double d, int64_t idx) noexcept nogil
    double sb_zdist(const double *x, const double *y, int64_t m) noexcept nogil
    void sb_zterms(const double *x, int64_t m, double *t3) noexcept nogil
    double sb_zpass(const double *x, const double *tx, const double *y, const double *ty,
                    int64_t m) noexcept nogil
    double sb_dot(const double *x, const double *y, int64_t m) noexcept nogil
    double sb_coef(int64_t m, int64_t R) noexcept nogil
    double sb_zweight(int64_t m) noexcept nogil
    void sb_zbound(int64_t m, int64_t R, double M, double sZ, double *al,
                   double *ga) noexcept nogil
    void sb_devs(const double *x, double mx, double lx, int64_t m, double *out) noexcept nogil
    double sb_codev(const double *x, double mx, double lx, const double *dy,
                    int64_t m) noexcept nogil
    void sb_zstep(const double *Tc, const double *mu, const double *mc, int64_t i, int64_t m,
                  double *df, double *dg) noexcept nogil
    double sb_pdist(const double *x, const double *y, int64_t m, double p,
                    mp_pow_fn pw) noexcept nogil
    double sb_psum(const double *x, const double *y, int64_t m, int sq) noexcept nogil
    double sb_perr(double D) noexcept nogil
    double sb_pce(int64_t m) noexcept nogil


# A streamed dot product (z-normalized: co-moment) is recomputed directly every REFRESH * m
# columns (sb_tile), so that its rounding error stays within sb_coef's (sb_zbound's) bound
# however long the stream.  The period sets the bound, K ~ (m/8 + 5 REFRESH m) u (sb_zbound:
# ~REFRESH m u), against the direct sums' cost, one multiply-add per column and point over
# REFRESH.  The bound decides how many pairs of a nearly flat window need an exact distance:
# single updates of a walk entering a flat stretch (n = 16,384, m = 64) took 67, 111 and 450 us
# a point at periods m, 2m and 4m (a walk: 60 us at each), while a walk's block update costs 6%
# more at m than at 2m.  With the co-moments (n = 16,384, m = 50): 60 us at m and 85 us at 2m
# (a walk: 60 us at both), and a walk's block update within noise of 2m's.
DEF REFRESH = 1
REFRESH_PER_M = REFRESH  # (for the tests of the bound)
# p-norms with p = 1, 2 (sb_psum): each column carries its own bound and is summed afresh when
# it loses precision, so the period only bounds how long a chain grows (on a walk its bound is
# ~6.5 u (m + 2)(2 + L/m) of its value after L steps: 5e-12 at L = 64m, m = 100).  A walk's
# blocks (n = 16,384, 1,000 points) took 17.8, 15.8 and 15.3 ms at periods m, 8m and 64m
# (m = 50; m = 100: 18.7, 17.7, 16.6 ms).
DEF PREFRESH = 64


cdef inline void _wterms(const double *x, int64_t m, double M, double *mu, double *sig,
                         double *ss, double *dev=NULL, double *mc=NULL) noexcept nogil:
    """The kernel's terms of a centered window (sb_coef): its mean, compensated (the
    mean of its deviations from the first one added back), its standard deviation, at least
    u M so that a window whose centered values round alike keeps finite bounds, within which
    it meets every other window, and its sum of squares.

    For the co-moments (sb_zbound), with ``mc`` and ``dev``: the mean as two doubles,
    ``mu + mc``, the plain mean plus the mean of the deviations from it, these summed with
    their subtractions' errors (TwoSum) in a compensated sum (Neumaier), so that it is within
    d = 2 m^1.5 u^2 S + 2 m u^2 M of the exact mean (a plain sum of the deviations was within
    u sqrt(m) S, which a step's df multiplied); the standard deviation from the deviations
    from ``mu + mc`` (a second pass), with no floor but the least normal double: the values
    are not centered here, and a window m ulps of its level wide had one from the plain
    mean's, whose error was as large, and a floor of u M above its own; and S, at least the
    norm of those deviations: their sum of squares rounded up, plus sqrt(m) u^2 M."""
    cdef double mean = 0.0, sumsq = 0.0, s = 0.0, c = 0.0, q = 0.0, d, cx, bb, tt, sc
    cdef double top = 0.0
    cdef double u = 1.1102230246251565e-16
    cdef int64_t t
    for t in range(m):
        mean += x[t]
        sumsq += x[t] * x[t]
    mean /= m
    if mc == NULL:
        for t in range(m):
            d = x[t] - mean
            s += d
            q += d * d
    else:
        for t in range(m):
            d = x[t] - mean
            bb = d - x[t]
            c += (x[t] - (d - bb)) + (-mean - bb)  # what the subtraction rounded off
            tt = s + d
            c += ((s - tt) + d) if fabs(s) >= fabs(d) else ((d - tt) + s)
            s = tt
        s += c
    cx = s / m
    mu[0] = mean + cx
    ss[0] = sumsq
    if mc == NULL:
        sig[0] = max(sqrt(max(q - s * s / m, 0.0) / m), u * M)
        return
    bb = mu[0] - mean  # TwoSum: mu + mc == mean + cx exactly
    mc[0] = (mean - (mu[0] - bb)) + (cx - bb)
    # the squares of the deviations scaled by a power of two that brings the largest near 1
    # (exact): a window of values of 1e-200 had its squares underflow, and sig with them
    for t in range(m):
        top = max(top, fabs((x[t] - mu[0]) - mc[0]))
    sc = ldexp(1.0, -ilogb(top) - 1) if top > 0.0 else 1.0
    for t in range(m):
        d = ((x[t] - mu[0]) - mc[0]) * sc
        q += d * d
    sig[0] = max(sqrt(q / m) / sc, 2.2250738585072014e-308)
    if dev != NULL:
        dev[0] = sqrt(q) / sc * (1.0 + (m + 8) * u + 4.0 * m * m * u * u) + \
            3.0 * m * sqrt(<double> m) * u * u * M


def window_terms(const double[::1] Tc, int64_t m, double M, double[::1] mu, double[::1] sig,
                 double[::1] ss, double[::1] dev=None, double[::1] mc=None):
    """``mu``, ``sig``, ``ss`` (and, for the co-moments, ``dev`` and ``mc``: sb_zbound's S and
    the means' low parts) of every window of the centered series ``Tc`` (_wterms), as
    :class:`StreamBlock` forms them for a new window."""
    cdef int64_t w, l = Tc.shape[0] - m + 1
    if mu.shape[0] < l or sig.shape[0] < l or ss.shape[0] < l or \
            (dev is not None and dev.shape[0] < l) or (mc is not None and mc.shape[0] < l):
        raise ValueError("window_terms: the outputs are shorter than the windows")
    cdef double *pd = &dev[0] if dev is not None and l > 0 else NULL
    cdef double *pc = &mc[0] if mc is not None and l > 0 else NULL
    with nogil:
        for w in range(l):
            _wterms(&Tc[w], m, M, &mu[w], &sig[w], &ss[w], pd + w if pd != NULL else NULL,
                    pc + w if pc != NULL else NULL)


def transition_terms(const double[::1] Tc, const double[::1] mu, const double[::1] mc,
                     int64_t m, double[::1] df, double[::1] dg):
    """Each window's transition terms to the next, ``df`` and ``dg`` (sb_zstep), as
    :class:`StreamBlock` forms them when a window follows."""
    cdef int64_t i, l = Tc.shape[0] - m + 1
    if mu.shape[0] < l or mc.shape[0] < l or df.shape[0] < l - 1 or dg.shape[0] < l - 1:
        raise ValueError("transition_terms: the arrays are shorter than the windows")
    with nogil:
        for i in range(l - 1):
            sb_zstep(&Tc[0], &mu[0], &mc[0], i, m, &df[i], &dg[i])


def codots(const double[::1] Tc, const double[::1] mu, const double[::1] mc, int64_t m,
           double[::1] out, const double[::1] q=None):
    """The co-moments of every window of ``Tc`` with its last, or with the window ``q`` (its
    length the window's), their deviations from the two-part means ``mu + mc`` (``q``'s its
    own, _wterms'), summed as the kernel's direct ones are (``sb_codev``)."""
    cdef int64_t w, l = Tc.shape[0] - m + 1
    cdef double qm = 0.0, qs = 0.0, qss = 0.0, qdev = 0.0, qmc = 0.0
    if l < 1 or mu.shape[0] < l or mc.shape[0] < l or out.shape[0] < l or \
            (q is not None and q.shape[0] != m):
        raise ValueError("codots: no window, or arrays shorter than the windows")
    dq_a = np.empty(m)
    cdef double[::1] dq = dq_a
    with nogil:
        if q is None:
            sb_devs(&Tc[l - 1], mu[l - 1], mc[l - 1], m, &dq[0])
        else:
            _wterms(&q[0], m, 0.0, &qm, &qs, &qss, &qdev, &qmc)
            sb_devs(&q[0], qm, qmc, m, &dq[0])
        for w in range(l):
            out[w] = sb_codev(&Tc[w], mu[w], mc[w], &dq[0], m)


def refresh_devs(const double[::1] Tc, const double[::1] mu, const double[::1] mc, int64_t m,
                 int64_t g, double[:, ::1] zdev):
    """The deviations (sb_devs) of every window of ``Tc`` whose global index ``w + g`` is a
    multiple of ``REFRESH * m``, into row ``((w + g) / (REFRESH * m)) % len(zdev)`` of ``zdev``:
    the kernel's refreshed co-moments are their dot products with the new window's."""
    cdef int64_t w, l = Tc.shape[0] - m + 1, per = REFRESH * m, ns = zdev.shape[0]
    if mu.shape[0] < l or mc.shape[0] < l or zdev.shape[1] != m or ns * per < l + 2 * per:
        raise ValueError("refresh_devs: arrays too short for the windows")
    with nogil:
        for w in range(l):
            if (w + g) % per == 0:
                sb_devs(&Tc[w], mu[w], mc[w], m, &zdev[((w + g) // per) % ns, 0])


def chain_starts(const double[::1] S, const double[::1] Gin, int64_t m, int64_t g,
                 double[::1] cbar, double[::1] cgbar, double[::1] czbar):
    """What column w's co-moment went through since it was last computed directly (from the
    last window whose global index ``w + g`` is a multiple of ``REFRESH * m``, or from the
    first): ``cbar[w]``, the largest ``S`` of those windows, ``cgbar[w]``, the largest ``Gin``
    (each window's entering transition's G) after the first of them, and ``czbar[w]``, their
    Z (sb_zbound)."""
    cdef int64_t w, l = S.shape[0], per = REFRESH * m
    cdef double v = sb_zweight(m), r2 = sqrt(2.0)
    cdef bint start
    if Gin.shape[0] < l or cbar.shape[0] < l or cgbar.shape[0] < l or czbar.shape[0] < l:
        raise ValueError("chain_starts: the arrays are shorter than the windows")
    with nogil:
        for w in range(l):
            start = w == 0 or (w + g) % per == 0
            cbar[w] = S[w] if start else max(cbar[w - 1], S[w])
            cgbar[w] = 0.0 if start else max(cgbar[w - 1], Gin[w])
            czbar[w] = r2 * cbar[w] + v * cgbar[w]


def window_zterms(const double[::1] T, int64_t m, double[:, ::1] out):
    """Every window's exact z-normalization terms (``sb_zterms``) into the rows of ``out``."""
    cdef int64_t w, l = T.shape[0] - m + 1
    if out.shape[0] < l or out.shape[1] != 3:
        raise ValueError("window_zterms: out must hold 3 values for every window")
    with nogil:
        for w in range(l):
            sb_zterms(&T[w], m, &out[w, 0])


def dots(const double[::1] X, const double[::1] q, double[::1] out):
    """The dot products of every window of ``X`` with ``q`` (its length the window's), summed
    as the kernel's direct ones are (``sb_dot``), so that ``allowance`` bounds them too."""
    cdef int64_t j, m = q.shape[0], l = X.shape[0] - q.shape[0] + 1
    if m < 1 or out.shape[0] < l:
        raise ValueError("dots: an empty query or too short an output")
    with nogil:
        for j in range(l):
            out[j] = sb_dot(&X[j], &q[0], m)


def pdiffs(const double[::1] T, int64_t m, bint sq, double[::1] out, double[::1] err):
    """p-norms with p = 1 or 2 (``sq``: p = 2): the sums of ``|x - y|^p`` of every window of
    ``T`` with its last (``sb_psum``) into ``out``, and their rounding measures QE
    (``sb_perr``) into ``err``, as the kernel sums a column afresh."""
    cdef int64_t w, l = T.shape[0] - m + 1
    if l < 1 or out.shape[0] < l or err.shape[0] < l:
        raise ValueError("pdiffs: no window, or outputs shorter than the windows")
    with nogil:
        for w in range(l):
            out[w] = sb_psum(&T[w], &T[l - 1], m, sq)
            err[w] = sb_perr(out[w])


def pdiff_coef(int64_t m):
    """QE's coefficient in the bound of a stepped sum of differences, ``|QT - exact| <=
    pdiff_coef(m) QE`` (``sb_pce``)."""
    return sb_pce(m)


def pair_distances(const double[::1] T, const int64_t[::1] A, const int64_t[::1] B, int64_t m,
                   const uint8_t[::1] cst, bint normalize, double p, double[::1] out):
    """The exact distances of the windows ``A[i]`` and ``B[i]`` of ``T``, as the kernel computes
    them (``sb_zdist``, ``sb_pdist``; z-normalized, two constant windows are 0 apart and a
    constant and another sqrt(m)), in O(1) memory a pair."""
    cdef int64_t i, a, b
    cdef mp_pow_fn pw = _powers()
    if B.shape[0] != A.shape[0] or out.shape[0] < A.shape[0]:
        raise ValueError("pair_distances: A, B and out must match")
    with nogil:
        for i in range(A.shape[0]):
            a = A[i]
            b = B[i]
            if normalize and (cst[a] or cst[b]):
                out[i] = 0.0 if (cst[a] and cst[b]) else sqrt(<double> m)
            elif normalize:
                out[i] = sb_zdist(&T[a], &T[b], m)
            else:
                out[i] = sb_pdist(&T[a], &T[b], m, p, pw)


def pair_coef(int64_t m):
    """K of the bound K S_w S_q of a streamed dot product's rounding (``sb_coef``, at the
    refresh period REFRESH * m)."""
    return sb_coef(m, REFRESH * m)


def pair_zbound(int64_t m, double M, double sS, double sG):
    """``(al, ga)`` of the bound ``al cZ + ga`` of a streamed co-moment's rounding
    (``sb_zbound``, at the refresh period REFRESH * m; ``M`` the bound of |Tc|, ``sS`` and
    ``sG`` the new window's S and G), and ``v``, G's weight in Z (``Z = sqrt(2) S + v G``)."""
    cdef double al, ga, v = sb_zweight(m)
    sb_zbound(m, REFRESH * m, M, sqrt(2.0) * sS + v * sG, &al, &ga)
    return al, ga, v


def chain_norms(const double[::1] ss, int64_t m, double[::1] rss, double[::1] sbar,
                bint roots=True):
    """From the centered windows' sums of squares ``ss`` (window_terms'): their roots ``rss``
    and ``sbar``, the largest of those of the windows ``w - REFRESH * m - 1 .. w`` (from the
    first): what a streamed dot product's chain went through since it was last computed
    directly (``sb_coef``).  ``roots=False``: ``rss`` holds the norms already (z-normalized,
    sb_zbound's S) and ``ss`` is not read.  O(l) for the sliding maximum (van Herk /
    Gil-Werman: blocks' prefix and suffix maxima)."""
    cdef int64_t l = rss.shape[0] if not roots else ss.shape[0], w, h = REFRESH * m + 1, b0
    if rss.shape[0] < l or sbar.shape[0] < l:
        raise ValueError("chain_norms: the outputs are shorter than the windows")
    suf_a = np.empty(max(l, 1))
    cdef double[::1] suf = suf_a
    with nogil:
        if roots:
            for w in range(l):
                rss[w] = sqrt(ss[w])
        # blocks of h + 1 windows: sbar[w] = max(suffix max of w - h in its block, prefix max
        # of w in its block), the window [w - h, w] spanning at most two blocks
        for w in range(l - 1, -1, -1):
            suf[w] = rss[w] if (w + 1) % (h + 1) == 0 or w == l - 1 else max(rss[w], suf[w + 1])
        for w in range(l):
            b0 = w - w % (h + 1)
            sbar[w] = rss[w] if w == b0 else max(sbar[w - 1], rss[w])
        for w in range(l - 1, h - 1, -1):
            sbar[w] = max(sbar[w], suf[w - h])


cdef class StreamBlock:
    """``update(values)`` of stumpi/aampi for one block of points, in three steps:

    - the constructor appends the points past the live region (the series, each new window's
      statistics and an empty row; M, the bound of |T|, per point) and copies what the parts
      need from before the block; nothing live changes yet, so an object dropped here (Ctrl-C
      in the caller) leaves the stream as it was;
    - :meth:`work` runs the parts (column ranges, ``_kernels/stream_block.h``), one per call,
      each taken by exactly one thread; the pool's threads call it, the GIL released;
    - :meth:`finish` runs the parts no thread has taken, waits for the running ones, merges
      the new windows' rows and sets the owner's ``_a, _n, _gbase, _M``: the stream then holds
      the whole block, whatever interrupted the threads.

    z-normalized, the default constant rule (all values of a window equal) is applied; a
    caller may mark a new window (:attr:`q0` on) constant between the constructor and
    :meth:`finish` (``cst`` 1, ``isig`` 0).  p-norms, ``cst`` holds each window's place in its
    run of identical windows (``sb_ctx.cst``).  ``isig`` holds 1/sig of each usable window (0:
    constant, NaN: holding NaN or inf), and ``ss`` is NaN for the latter too: the kernel's
    lower bounds need no division and no test.  The buffers must have room for every value.

    The kernel's dot products (z-normalized: co-moments), means, standard deviations and sums
    of squares are of the centered series ``Tc = (T - center) * scale`` (scale a power of two,
    1 for p-norms; z-normalized, center 0, so that ``Tc`` holds ``T`` exactly), and ``M`` bounds
    ``|Tc|``: what their rounding bounds are in terms of (``sb_coef``, ``sb_zbound``).  The
    co-moments step with each window's transition terms ``df``, ``dg`` and the two-part means
    ``mu + mc``; ``cbar``, ``cgbar``, ``czbar`` and ``sgbar`` are the chains' S, G and Z, and
    ``zdev`` the refreshed windows' deviations (sb_zbound).  p-norms with p = 1 or 2: ``QT``
    holds the sums of ``|x - y|^p`` of ``T``'s own windows with the last, and ``QE`` their
    rounding's measure (sb_psum); other p compute every distance.  The exact distances are of
    ``T`` itself.
    """
    cdef sb_ctx c
    cdef list keep
    cdef uint8_t[::1] state
    cdef double[::1] lbuf
    cdef double *left_P
    cdef int64_t *left_I
    cdef readonly int64_t nparts, q0, a, n, gbase
    cdef readonly double M
    cdef bint finished

    def __init__(self, const double[::1] values, double[::1] T, double[::1] Tc,
                 double center, double scale, uint8_t[::1] fin, double[::1] mu,
                 double[:, ::1] zt, double[::1] rss, double[::1] sbar, double[::1] cbar,
                 double[::1] cgbar, double[::1] czbar, double[::1] sgbar, double[::1] df,
                 double[::1] dg, double[:, ::1] zdev, double[::1] mc, double[::1] sig,
                 double[::1] isig, uint8_t[::1] cst, uint8_t[::1] wvalid, double[::1] ss,
                 double[::1] QT, double[::1] QE, double[:, ::1] P, int64_t[:, ::1] I,
                 double[::1] left_P, int64_t[::1] left_I, int64_t a, int64_t n, int64_t gbase,
                 double M, int64_t m, int64_t excl, bint egress, bint normalize, double p,
                 int64_t nparts, int64_t tile):
        cdef int64_t b = values.shape[0], v, t, r, l, qq, k = P.shape[1]
        cdef double x, xc, lo, hi, acc, gin, r2 = sqrt(2.0), zw = sb_zweight(m)
        cdef int64_t h = REFRESH * m + 1
        cdef bint finite, valid
        if b < 1 or nparts < 1 or tile < 1:
            raise ValueError("StreamBlock: empty block, no part or no tile")
        if a + n + b > T.shape[0] or a + n + b - m + 1 > P.shape[0] or \
                min(cbar.shape[0], cgbar.shape[0], czbar.shape[0], sgbar.shape[0], df.shape[0],
                    dg.shape[0], mc.shape[0], QE.shape[0]) < a + n + b - m + 1 or \
                zdev.shape[1] != m or \
                (normalize and zdev.shape[0] * REFRESH * m < n + b + 2 * REFRESH * m):
            raise ValueError("StreamBlock: the buffers have no room for the block")
        lo_a = np.empty(b, dtype=np.int64)
        q_a = np.empty(b, dtype=np.int64)
        cdef int64_t[::1] lov = lo_a, qv = q_a
        cdef int64_t a0 = a, g0 = gbase, per = REFRESH * m
        with nogil:
            for v in range(b):
                x = values[v]
                finite = not (isnan(x) or x == INFINITY or x == -INFINITY)
                T[a + n] = x if finite else 0.0
                xc = (x - center) * scale if finite else 0.0
                Tc[a + n] = xc
                fin[a + n] = finite
                if fabs(xc) > M:  # every finite value: each enters the dot products
                    M = fabs(xc)
                if egress:
                    a += 1
                    gbase += 1
                else:
                    n += 1
                l = n - m + 1
                qq = a + l - 1
                valid = True
                for t in range(a + n - m, a + n):
                    if not fin[t]:
                        valid = False
                        break
                wvalid[qq] = valid
                # the chains' norm of every window, _wterms' S (sb_zbound) or the root of its sum
                # of squares (sb_coef): a chain goes through windows holding NaN/inf too (stored
                # as the center)
                _wterms(&Tc[a + n - m], m, M, &mu[qq], &sig[qq], &ss[qq],
                        &rss[qq] if normalize else NULL, &mc[qq] if normalize else NULL)
                if not normalize:
                    rss[qq] = sqrt(ss[qq])
                acc = rss[qq]
                for t in range(max(0, qq - h), qq):
                    acc = max(acc, rss[t])
                sbar[qq] = acc
                if normalize:  # the co-moments' step to this window, and its chains' S, G
                    if qq > 0:
                        sb_zstep(&Tc[0], &mu[0], &mc[0], qq - 1, m, &df[qq - 1], &dg[qq - 1])
                    gin = max(fabs(df[qq - 1]), fabs(dg[qq - 1])) if qq > 0 else 0.0
                    if qq == 0 or (qq + g0 - a0) % per == 0:
                        cbar[qq] = rss[qq]
                        cgbar[qq] = 0.0
                    else:
                        cbar[qq] = max(cbar[qq - 1], rss[qq])
                        cgbar[qq] = max(cgbar[qq - 1], gin)
                    czbar[qq] = r2 * cbar[qq] + zw * cgbar[qq]
                    if (qq + g0 - a0) % per == 0:  # a refreshed column: its deviations
                        sb_devs(&Tc[qq], mu[qq], mc[qq], m,
                                &zdev[((qq + g0 - a0) // per) % zdev.shape[0], 0])
                    for t in range(max(1, qq - h), qq):
                        gin = max(gin, fabs(df[t - 1]), fabs(dg[t - 1]))
                    sgbar[qq] = gin
                if valid:
                    lo = T[a + n - m]
                    hi = lo
                    for t in range(a + n - m, a + n):
                        lo = min(lo, T[t])
                        hi = max(hi, T[t])
                    if normalize:
                        sb_zterms(&T[a + n - m], m, &zt[qq, 0])
                    if normalize:
                        cst[qq] = lo == hi
                    elif lo == hi:  # p-norms: its run of identical windows (sb_ctx.cst)
                        cst[qq] = min(255, 1 + (cst[qq - 1] if qq > a else 0))
                    else:
                        cst[qq] = 0
                    isig[qq] = 1.0 / sig[qq] if normalize and not cst[qq] else 0.0
                else:
                    cst[qq] = 0
                    ss[qq] = NAN
                    isig[qq] = NAN
                for r in range(k):
                    P[qq, r] = INFINITY
                    I[qq, r] = -1
                lov[v] = a
                qv[v] = qq
        self.a, self.n, self.gbase, self.M = a, n, gbase, M
        self.q0 = qv[0]
        # parts: equal column ranges of every window live at some point of the block
        cdef int64_t U0 = lov[0], U1 = qv[b - 1] + 1
        nparts = max(1, min(nparts, U1 - U0))
        self.nparts = nparts
        bounds_a = np.empty(nparts + 1, dtype=np.int64)
        cdef int64_t[::1] bounds = bounds_a
        for t in range(nparts + 1):
            bounds[t] = U0 + (U1 - U0) * t // nparts
        hlo_a = np.empty(nparts, dtype=np.int64)
        hoff_a = np.zeros(nparts + 1, dtype=np.int64)
        cdef int64_t[::1] hlo = hlo_a, hoff = hoff_a
        for t in range(nparts):
            hlo[t] = bounds[t] if t == 0 else max(a0, bounds[t] - b)
            hoff[t + 1] = hoff[t] + (bounds[t] - hlo[t])
        halo_a = np.empty(max(1, hoff[nparts]))
        haloE_a = np.empty(max(1, hoff[nparts]))
        cdef double[::1] halo = halo_a, haloE = haloE_a
        for t in range(nparts):  # before any part writes its columns' dot products
            for r in range(bounds[t] - hlo[t]):
                halo[hoff[t] + r] = QT[hlo[t] + r]
                haloE[hoff[t] + r] = QE[hlo[t] + r]
        Pq_a = np.full(nparts * b * k, np.inf)
        Iq_a = np.full(nparts * b * k, -1, dtype=np.int64)
        Uq_a = np.full(nparts * b * k, np.inf)
        cdef double[::1] Pq = Pq_a, Uq = Uq_a
        cdef int64_t[::1] Iq = Iq_a
        tile = min(tile, U1 - U0)
        # X, Y, thr, the chunk's scores, the exact and set-aside candidates (value, column), the
        # windows' two factors, k and k (the zeros' columns), the new window's deviations, and
        # X's and Y's QE (pdiff)
        cdef int64_t bufsize = 4 * (tile + 1) + 7 * tile + SB_CHUNK + 2 * k + m
        buf_a = np.empty(nparts * bufsize)
        cdef double[::1] buf = buf_a
        # two boundaries a part, each of a value and a QE a point (sb_part)
        self.lbuf = np.empty(nparts * 4 * (b + 1))
        self.state = np.zeros(nparts, dtype=np.uint8)
        self.keep = [T, Tc, zt, rss, sbar, cbar, cgbar, czbar, sgbar, df, dg, mc, zdev, mu, sig,
                     isig, ss, cst, wvalid, QT, QE, P, I, left_P, left_I, lo_a, q_a, bounds_a,
                     hlo_a, hoff_a, halo_a, haloE_a, Pq_a, Iq_a, Uq_a, buf_a]
        self.left_P = &left_P[0]
        self.left_I = &left_I[0]
        self.c.T = &T[0]
        self.c.Tc = &Tc[0]
        self.c.zt = &zt[0, 0]
        self.c.sbar = &sbar[0]
        self.c.df = &df[0]
        self.c.dg = &dg[0]
        self.c.mc = &mc[0]
        self.c.zdev = &zdev[0, 0]
        self.c.nzdev = zdev.shape[0]
        self.c.czbar = &czbar[0]
        self.c.sgbar = &sgbar[0]
        self.c.M = M
        self.c.mu = &mu[0]
        self.c.sig = &sig[0]
        self.c.ss = &ss[0]
        self.c.isig = &isig[0]
        self.c.cst = &cst[0]
        self.c.wvalid = &wvalid[0]
        self.c.QT = &QT[0]
        self.c.QE = &QE[0]
        self.c.P = &P[0, 0]
        self.c.I = &I[0, 0]
        self.c.k = k
        self.c.m = m
        self.c.excl = excl
        self.c.G = g0 - a0
        self.c.normalize = normalize
        # p-norms with p = 1 or 2 step sums of |differences|^p (sb_psum), others compute
        # every distance
        self.c.pdiff = (not normalize) and (p == 2.0 or p == 1.0)
        self.c.direct = (not normalize) and not self.c.pdiff
        self.c.sq = normalize or p == 2.0
        self.c.p = p
        self.c.pw = _powers()
        # the absolute slack of a lower bound: z-normalized scores are sums of m terms of at
        # most 4 in magnitude
        self.c.e0 = 1e-12 + 64.0 * m * 1.1102230246251565e-16
        self.c.C0 = 2.0 * m - self.c.e0 if normalize else 0.0
        self.c.R = (PREFRESH if self.c.pdiff else REFRESH) * m
        self.c.b = b
        self.c.lo = &lov[0]
        self.c.q = &qv[0]
        self.c.a_pre = a0
        self.c.nparts = nparts
        self.c.bounds = &bounds[0]
        self.c.halo = &halo[0]
        self.c.haloE = &haloE[0]
        self.c.hlo = &hlo[0]
        self.c.hoff = &hoff[0]
        self.c.Pq = &Pq[0]
        self.c.Iq = &Iq[0]
        self.c.Uq = &Uq[0]
        self.c.buf = &buf[0]
        self.c.bufsize = bufsize
        self.c.tile = tile
        self.finished = False

    cdef void _run(self, int64_t first) noexcept nogil:
        """Run every part not yet taken, starting with ``first``."""
        cdef int64_t s, t
        for s in range(self.nparts):
            t = (first + s) % self.nparts
            if sb_claim(&self.state[t]):
                sb_part(&self.c, t, &self.lbuf[t * 4 * (self.c.b + 1)])
                sb_done(&self.state[t])

    def work(self, int64_t i):
        """Run part ``i``, then any other part no thread has taken (GIL released)."""
        if self.finished:
            return
        with nogil:
            self._run(i % self.nparts)

    def finish(self, owner):
        """Complete the block (every part, the new rows, ``left_P_``/``left_I_``) and set
        ``owner._a, _n, _gbase, _M``.  Call once, after the last :meth:`work` has been handed
        out; no Python code runs between the parts' end and the owner's update."""
        cdef int64_t t, v, r, qq, k = self.c.k, b = self.c.b
        cdef double d
        cdef double *tmpP
        cdef int64_t *tmpI
        if self.finished:
            raise RuntimeError("StreamBlock.finish: called twice")
        tmp_a = np.empty(k)
        tmpI_a = np.empty(k, dtype=np.int64)
        cdef double[::1] tP = tmp_a
        cdef int64_t[::1] tI = tmpI_a
        tmpP = &tP[0]
        tmpI = &tI[0]
        with nogil:
            self._run(0)
            for t in range(self.nparts):  # parts still running on another thread
                while sb_state(&self.state[t]) != 2:
                    sb_yield()
            # each new row: its part-wise top-k over the columns on its left, in column order
            # (its left neighbour), then what it gained later as a column
            for v in range(b):
                qq = self.c.q[v]
                for r in range(k):
                    tmpP[r] = INFINITY
                    tmpI[r] = -1
                for t in range(self.nparts):
                    for r in range(k):
                        d = self.c.Pq[(t * b + v) * k + r]
                        if d < tmpP[k - 1]:
                            sb_insert(tmpP, tmpI, k, d, self.c.Iq[(t * b + v) * k + r])
                self.left_P[qq] = tmpP[0]
                self.left_I[qq] = tmpI[0]
                for r in range(k):
                    d = self.c.P[qq * k + r]
                    if d < tmpP[k - 1]:
                        sb_insert(tmpP, tmpI, k, d, self.c.I[qq * k + r])
                for r in range(k):
                    self.c.P[qq * k + r] = tmpP[r]
                    self.c.I[qq * k + r] = tmpI[r]
        self.finished = True
        owner._a = self.a
        owner._n = self.n
        owner._gbase = self.gbase
        owner._M = self.M


def stream_step_ab(const double[::1] S, const uint8_t[::1] fin, double center, double scale,
                   const double[::1] R, const double[::1] Rc, const double[:, ::1] zR,
                   const double[::1] sbarR, double[::1] QT,
                   const double[::1] muR, const double[::1] sigR, const uint8_t[::1] cstR,
                   const uint8_t[::1] validR, const double[::1] ssR, double[::1] Pq,
                   int64_t[::1] Iq, double[:, ::1] PR, int64_t[:, ::1] IR, int64_t m,
                   bint normalize, double p, double M, int64_t gq,
                   const double[::1] mcR=None, const double[::1] dfR=None,
                   const double[::1] dgR=None, const double[::1] czR=None,
                   const double[:, ::1] zdevR=None, double[::1] ringS=None,
                   double[::1] ringG=None):
    """One update of a streaming AB-join, the new point already appended to the live stream
    ``S`` (``fin``: which of its values are finite; the others are stored as 0): ``QT`` (dot
    products of the previous last stream window with every window of the fixed reference
    ``R``; z-normalized, co-moments) is updated in place to the new window's (O(l_R)); the new
    window's own top-k over ``R`` goes to ``Pq``/``Iq``, and every reference row that it beats
    takes its global index ``gq`` (``PR``/``IR``).  Rows come within a rounding bound of their
    k-th best before an exact distance is computed, as in :class:`StreamBlock`: ``QT`` and the
    statistics ``muR, sigR, ssR`` are of the centered series ``Rc = (R - center) * scale`` and
    likewise the stream's, every ``REFRESH * m``-th one is computed directly, and ``M``, the
    bound of the centered values seen so far, is returned updated.

    p-norms: dot products, within sb_coef's bound, the stream's side S_q taken as sqrt(m) M.
    Z-normalized (center 0): co-moments, stepped as StreamBlock's (sb_zbound), with the
    reference's two-part means' low parts ``mcR``, transition terms ``dfR``, ``dgR``, chains' Z
    ``czR`` (refreshed every ``REFRESH * m``-th window) and refreshed windows' deviations
    ``zdevR`` (row j // (REFRESH * m)); ``ringS``/``ringG`` hold the S and entering G of the
    stream's last ``REFRESH * m + 1`` windows (slot: global index modulo their length), the new
    window's written here.  GIL released."""
    cdef int64_t n = S.shape[0], lR = R.shape[0] - m + 1, j, t, k = Pq.shape[0]
    cdef int64_t per = REFRESH * m, nring = 0
    cdef double tnew, tdrop = 0.0, d2, d, corr, bound, kth, mq = 0.0, sq = 0.0, ssq = 0.0
    cdef double u = 1.1102230246251565e-16, sqm = sqrt(<double> m), A, e0, lo, hi
    cdef double mcq = 0.0, devq = 0.0, mo = 0.0, so = 0.0, sso = 0.0, mco = 0.0, devo = 0.0
    cdef double dfq = 0.0, dgq = 0.0, sS = 0.0, sG = 0.0, al = 0.0, ga = 0.0
    cdef mp_pow_fn pw = _powers()
    cdef bint direct = (not normalize) and p != 2.0, validq = True, cq
    cdef double tq[3]
    if normalize and (mcR is None or dfR is None or dgR is None or czR is None or
                      zdevR is None or ringS is None or ringG is None):
        raise ValueError("stream_step_ab: the z-normalized terms are missing")
    if normalize:
        nring = ringS.shape[0]
        if ringG.shape[0] != nring or nring < per + 1 or zdevR.shape[1] != m or \
                zdevR.shape[0] * per < lR:
            raise ValueError("stream_step_ab: the z-normalized terms' shapes do not fit")
    cdef double *Sc = <double *> malloc((2 * m + 1) * sizeof(double))
    if Sc == NULL:
        raise MemoryError()
    cdef double *dq = Sc + m + 1
    with nogil:
        # the centered values of the last window, after the one that left it (when there is one)
        for t in range(m + 1 if n > m else m):
            j = n - m - (1 if n > m else 0) + t
            Sc[t] = (S[j] - center) * scale if fin[j] else 0.0
        if n > m:
            tdrop = Sc[0]
            if normalize:  # the window that left: its two-part mean, for the step's dg
                _wterms(Sc, m, M, &mo, &so, &sso, &devo, &mco)
            Sc = Sc + 1
        tnew = Sc[m - 1]
        M = max(M, fabs(tnew))
        lo = hi = S[n - m]
        for t in range(m):
            validq = validq and fin[n - m + t] != 0
            lo = min(lo, S[n - m + t])
            hi = max(hi, S[n - m + t])
        if normalize:
            _wterms(Sc, m, M, &mq, &sq, &ssq, &devq, &mcq)
            sb_devs(Sc, mq, mcq, m, dq)
            if n > m:  # the step to this window (sb_zstep's operations)
                dfq = (tnew - tdrop) * 0.5
                dgq = ((tnew - mq) - mcq) + ((tdrop - mo) - mco)
            ringS[gq % nring] = devq
            ringG[gq % nring] = max(fabs(dfq), fabs(dgq))
            for t in range(nring):
                sS = max(sS, ringS[t])
                sG = max(sG, ringG[t])
            sb_zbound(m, per, M, sqrt(2.0) * sS + sb_zweight(m) * sG, &al, &ga)
        else:
            _wterms(Sc, m, M, &mq, &sq, &ssq)
        if normalize and validq:
            sb_zterms(&S[n - m], m, tq)
        cq = normalize and lo == hi
        # p-norms: QT[j] within K sbarR[j] S_q (sb_coef), the stream's side S_q taken as
        # sqrt(m) M; the sums of squares within m u of themselves each (taken as 2m u)
        A = sb_coef(m, per) * sqrt(<double> m) * M
        e0 = 1e-12 + 64.0 * m * u
        for j in range(lR - 1, -1, -1):
            if n > m and j % per != 0:
                if normalize:
                    QT[j] = QT[j - 1] + dfR[j - 1] * dgq + dgR[j - 1] * dfq
                else:
                    QT[j] = QT[j - 1] - Rc[j - 1] * tdrop + Rc[j + m - 1] * tnew
            elif normalize:  # the first window, every per-th, and all at the stream's first
                QT[j] = sb_dot(&zdevR[j // per, 0], dq, m) if j % per == 0 else \
                    sb_codev(&Rc[j], muR[j], mcR[j], dq, m)
            else:
                QT[j] = sb_dot(&Rc[j], Sc, m)
        if n > m:
            Sc = Sc - 1
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
                        sb_insert(&PR[j, 0], &IR[j, 0], k, d, gq)
                    if d < Pq[k - 1]:
                        sb_insert(&Pq[0], &Iq[0], k, d, j)
                    continue
                # d2 - bound = 2m - e0 - 2 (X + A) / (sq sig) as StreamBlock's scan forms it:
                # no product of the two deviations (tiny windows' underflowed, 0 / 0)
                d2 = 2.0 * m - e0
                bound = (1.0 / sq) * ((2.0 / sigR[j]) * (QT[j] + (al * czR[j] + ga)))
            elif direct:
                d2 = 0.0
                bound = INFINITY
            else:
                d2 = ssR[j] + ssq - 2.0 * QT[j]
                bound = 2.0 * A * sbarR[j] + 4.0 * u * m * (ssR[j] + ssq) + e0
            kth = PR[j, k - 1]
            if d2 - bound < kth * kth or d2 - bound < Pq[k - 1] * Pq[k - 1]:
                if normalize:
                    d = sb_zpass(&R[j], &zR[j, 0], &S[n - m], tq, m)
                else:
                    d = sb_pdist(&R[j], &S[n - m], m, p, pw)
                if d < kth:
                    sb_insert(&PR[j, 0], &IR[j, 0], k, d, gq)
                if d < Pq[k - 1]:
                    sb_insert(&Pq[0], &Iq[0], k, d, j)
    free(Sc)
    return M
