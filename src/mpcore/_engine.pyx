"""Compiled engine: runs diagonal bands on worker threads and merges top-k tables.

Everything here works on arrays prepared by :mod:`mpcore._prepare`; the public API never calls
it directly.  Each worker runs with the GIL released and owns its tables, so threads never share
mutable state except two atomic counters (next band, cells done).
"""
import numpy as np

from libc.stdint cimport int64_t, uint8_t
from libc.math cimport fabs, ldexp, pow, INFINITY
from libc.stdlib cimport malloc, calloc, free


cdef extern from "_kernels/window_top.h":
    void mp_window_top(const double *x, int64_t m, int64_t a, int64_t b, double *top,
                       int64_t *dq) noexcept nogil


cdef extern from "_kernels/select.h":
    void mp_select(double *a, int64_t n, int64_t k) noexcept nogil


cdef extern from "_kernels/reuse.h":
    void *mp_take(size_t bytes) noexcept nogil
    void mp_give(void *p) noexcept nogil


cdef extern from "_kernels/band.h":
    ctypedef struct mp_series:
        const double *T
        const double *mu
        const double *mulo
        const double *df
        const double *dg
        const double *w
        int64_t l
        const double *e
        const double *h
        const double *eblk
        const double *hblk
        const double *wblk
        const double *eslide
        const double *hslide
        const double *q
        const double *qblk
        const double *zblk
        int64_t sample
        int zeros_settled
    ctypedef struct mp_topk:
        double *P
        int64_t *I
        double *thr
        int64_t k
        int later
    ctypedef struct mp_params:
        int mode
        int64_t m
        double p
        int64_t reseed
    ctypedef struct mp_pass:
        int x, y, rows, cols, srows, scols
    ctypedef int64_t (*mp_band_fn)(const mp_params *, const mp_series *, const mp_series *,
                                   int64_t, int64_t, mp_topk *, mp_topk *, mp_topk *, mp_topk *,
                                   double *, const volatile int *) noexcept nogil
    ctypedef int64_t (*mp_diags_fn)(const mp_params *, const mp_series *, const mp_series *,
                                    const int64_t *, int64_t, mp_topk *, mp_topk *, double *,
                                    const volatile int *) noexcept nogil
    mp_diags_fn mp_diags_kernel_get(int i) noexcept nogil
    ctypedef void (*mp_bandmax_fn)(const mp_params *, const mp_series *, const mp_series *,
                                   int64_t, int64_t, int64_t, int64_t, int64_t, double *,
                                   double *, const double *, const double *, const double *,
                                   const double *, double *) noexcept nogil
    mp_bandmax_fn mp_bandmax_kernel_get(int i) noexcept nogil
    ctypedef void (*mp_pow_fn)(const double *, int64_t, double, double *) noexcept nogil
    mp_pow_fn mp_pow_kernel_get(int i) noexcept nogil
    int mp_run_worker_diags(mp_diags_fn fn, const mp_params *pr, const mp_series *series,
                            const mp_pass *passes, const int64_t *diags, const int64_t *groups,
                            int64_t ngroups, int64_t *next, int64_t *done, mp_topk *tables,
                            double *scratch, const volatile int *cancel) noexcept nogil
    int MP_BAND
    int MP_PAD
    int MP_SLIDE
    int MP_SEED_GROUPS
    int mp_kernel_count() noexcept nogil
    const char *mp_kernel_name(int i) noexcept nogil
    mp_band_fn mp_kernel_get(int i) noexcept nogil
    void mp_topk_insert(mp_topk *tk, int64_t row, double s, int64_t idx) noexcept nogil
    ctypedef struct mp_peers:
        int64_t nworkers, ntables
        double **slots
    int mp_run_worker(mp_band_fn fn, const mp_params *pr, const mp_series *series,
                      const mp_pass *passes, const int64_t *bands, int64_t nbands,
                      int64_t *next, int64_t *done, mp_topk *tables, double *scratch,
                      const volatile int *cancel, mp_peers *peers, int64_t me) noexcept nogil

BAND = MP_BAND
PAD = MP_PAD
SEED_GROUPS = MP_SEED_GROUPS  # the most groups of band_max (the largest k with seeds)


def kernel_names():
    """Names of the band kernels this CPU can run, best first."""
    return [mp_kernel_name(i).decode() for i in range(mp_kernel_count())]


def kernel_powers(int kernel, const double[::1] x, double p):
    """``x ** p`` (``x >= 0``) as band kernel number ``kernel`` computes a general p-norm's
    terms (``_kernels/vpow.h``): for tests of its accuracy and of its lanes' independence."""
    if kernel < 0 or kernel >= mp_kernel_count():
        raise ValueError(f"no band kernel number {kernel} on this CPU")
    out = np.empty(x.shape[0])
    cdef double[::1] o = out
    cdef mp_pow_fn fn = mp_pow_kernel_get(kernel)
    with nogil:
        fn(&x[0] if x.shape[0] else NULL, x.shape[0], p, &o[0] if x.shape[0] else NULL)
    return out


cdef int _fill_series(mp_series *s, obj) except -1:
    cdef const double[::1] T = obj.T
    cdef const double[::1] mu = obj.mu
    cdef const double[::1] df = obj.df
    cdef const double[::1] dg = obj.dg
    cdef const double[::1] w = obj.w
    cdef const double[::1] mulo
    s.T = &T[0]
    s.mu = &mu[0]
    s.mulo = NULL
    if getattr(obj, "mulo", None) is not None:
        mulo = obj.mulo
        s.mulo = &mulo[0]
    s.df = &df[0]
    s.dg = &dg[0]
    s.w = &w[0]
    s.l = obj.l
    s.e = NULL
    s.h = NULL
    s.eblk = NULL
    s.hblk = NULL
    s.wblk = NULL
    s.eslide = NULL
    s.hslide = NULL
    s.q = NULL
    s.qblk = NULL
    s.zblk = NULL
    s.sample = getattr(obj, "sample", 0)
    if s.sample < 0:
        raise ValueError("sample must be >= 0")
    s.zeros_settled = bool(getattr(obj, "zeros_settled", False))
    return 0


cdef inline Py_ssize_t _bookkeeping_size(int64_t l) noexcept nogil:
    cdef Py_ssize_t n = l + MP_PAD
    return 5 * n + 5 * ((n + MP_BAND - 1) // MP_BAND)


cdef inline double _pw(double x, int mode, double p) noexcept nogil:
    x = fabs(x)
    return x * x if mode == 1 else (x if mode == 2 else pow(x, p))


cdef void _series_e(const mp_series *s, int64_t m, double *e, Py_ssize_t a,
                    Py_ssize_t b) noexcept nogil:
    """Entries [a, b) of mp_series.e of a z-normalized series (s.l of them, then MP_PAD
    zeros): the kernels' rounding bookkeeping (_fill_bookkeeping) and the seeds' margin
    (band_max) both use it."""
    cdef Py_ssize_t i
    cdef double lo0, lo1
    for i in range(a, b):
        if i >= s.l:
            e[i] = 0.0
        elif s.mulo != NULL:
            # the operands are formed from deviations (x - mu) - mulo, each rounded relative
            # to itself; the double-double mean's own error is below 2^-100 of its level
            # (2^-40 here, far above it), so an offset or a plateau far above the windows'
            # spread costs the bound nothing
            lo0 = s.mulo[i]
            lo1 = s.mulo[i + 1]
            e[i] = (fabs(s.df[i]) + fabs(s.dg[i]) + fabs((s.T[i] - s.mu[i]) - lo0)
                    + fabs((s.T[i + m] - s.mu[i + 1]) - lo1)
                    + ldexp(fabs(s.mu[i]) + fabs(s.mu[i + 1]), -40))
        else:
            e[i] = (fabs(s.df[i]) + fabs(s.dg[i]) + fabs(s.T[i]) + fabs(s.T[i + m])
                    + fabs(s.mu[i]) + fabs(s.mu[i + 1]))


cdef void _window_top(const mp_series *s, int64_t m, double *top, int64_t *dq, Py_ssize_t a,
                      Py_ssize_t b) noexcept nogil:
    """Entries [a, b) of the largest |T| of every window (mp_window_top: the same for any
    cut), MP_PAD zeros past the s.l windows; ``dq``: scratch of b - a + m - 1 entries."""
    cdef Py_ssize_t i
    if a < min(b, s.l):
        mp_window_top(s.T, m, a, min(b, s.l), top + a, dq)
    for i in range(max(a, s.l), b):
        top[i] = 0.0


cdef void _fill_bookkeeping(mp_series *s, int64_t m, int mode, double p,
                            double *buf) noexcept nogil:
    """The kernels' rounding bookkeeping of one series (see mp_series.e in band.h): e, and
    z-normalized h, the maxima of e, h and w over blocks of MP_BAND positions (z-normalized,
    also of e and h over the MP_SLIDE positions from each: eslide, hslide), and for the
    p-norm modes q with its block minima and the blocks' centres zblk; padding included
    (e = h = 0, w = NaN, q = inf)."""
    cdef Py_ssize_t n = s.l + MP_PAD, nblk = (n + MP_BAND - 1) // MP_BAND, i, b, t
    cdef Py_ssize_t g, grp, g0, g1, nv, lastb
    cdef double *e = buf
    cdef double *eblk = buf + n
    cdef double *wblk = eblk + nblk
    cdef double *q = wblk + nblk
    cdef double *qblk = q + n
    cdef double *h = qblk + nblk
    cdef double *hblk = h + n
    cdef double *zblk = hblk + nblk
    cdef double *eslide = zblk + nblk
    cdef double *hslide = eslide + n
    cdef double *tmp
    cdef double x, z, run = 0.0, out
    if mode == 0:
        _series_e(s, m, e, 0, n)
    else:
        # p-norms: every magnitude is measured from a centre near the windows (see
        # mp_series.zblk): the median of the values of groups of `grp` positions (MP_BAND
        # blocks, at least m of them, so that q costs O(n) to start afresh at each group)
        grp = MP_BAND * ((m + MP_BAND - 1) // MP_BAND)
        lastb = 0
        tmp = <double *> malloc(grp * sizeof(double))
        g0 = 0
        while g0 < s.l:
            g1 = min(g0 + grp, s.l + m - 1)
            nv = g1 - g0
            if tmp != NULL:
                for t in range(nv):
                    tmp[t] = s.T[g0 + t]
                mp_select(tmp, nv, nv // 2)
                z = tmp[nv // 2]
            else:
                z = 0.0  # (out of memory: the kernel series' 0, as a centre, is still sound)
            for b in range(g0 // MP_BAND, min(g0 + grp, s.l + MP_BAND - 1) // MP_BAND):
                zblk[b] = z
                lastb = b
            g0 += grp
        free(tmp)
        for b in range(lastb + 1, nblk):
            zblk[b] = zblk[lastb] if s.l > 0 else 0.0  # (padding: no pair, no step of its own)
    for i in range(n):
        h[i] = 0.0
        if i >= s.l:
            e[i] = 0.0
        elif mode == 0:
            h[i] = fabs(s.df[i]) + fabs(s.dg[i])
        else:
            z = zblk[i // MP_BAND]
            e[i] = _pw(s.T[i] - z, mode, p) + _pw(s.T[i + m] - z, mode, p)
    for b in range(nblk):
        eblk[b] = 0.0
        hblk[b] = 0.0
        wblk[b] = 0.0
        qblk[b] = INFINITY
    for i in range(n):
        b = i // MP_BAND
        if e[i] > eblk[b]:
            eblk[b] = e[i]
        if h[i] > hblk[b]:
            hblk[b] = h[i]
        x = s.w[i]
        if x > wblk[b]:  # False for NaN: an unusable window never scores
            wblk[b] = x
    s.e = e
    s.h = h
    s.eblk = eblk
    s.hblk = hblk
    s.wblk = wblk
    if mode == 0:
        # the largest e and h over [i, i + MP_SLIDE) (e = h = 0 in the padding)
        for i in range(n):
            eslide[i] = 0.0
            hslide[i] = 0.0
            for t in range(i, min(i + MP_SLIDE, n)):
                if e[t] > eslide[i]:
                    eslide[i] = e[t]
                if h[t] > hslide[i]:
                    hslide[i] = h[t]
        s.eslide = eslide
        s.hslide = hslide
        s.zblk = NULL
        return
    # q: a running sum of |T - z|^p, started afresh at each group (whose windows share z) and
    # recomputed where removing a term could have cancelled most of it (an outlier leaving the
    # window), so that quiet windows keep their own small magnitude
    for i in range(n):
        if i >= s.l:
            q[i] = INFINITY
            continue
        z = zblk[i // MP_BAND]
        if i % grp == 0:
            run = 0.0
            for t in range(m):
                run += _pw(s.T[i + t] - z, mode, p)
        else:
            out = _pw(s.T[i - 1] - z, mode, p)
            run += _pw(s.T[i + m - 1] - z, mode, p) - out
            if out > 1e3 * run or run < 0.0:
                run = 0.0
                for t in range(m):
                    run += _pw(s.T[i + t] - z, mode, p)
        q[i] = run if s.w[i] == s.w[i] else INFINITY  # w is NaN where the window is unusable
        b = i // MP_BAND
        # (a window of its centre's value alone: its pairs need no guard where the twins
        # settle it, see band.h)
        if q[i] < qblk[b] and (q[i] != 0.0 or not s.zeros_settled):
            qblk[b] = q[i]
    s.q = q
    s.qblk = qblk
    s.zblk = zblk


cdef void _fill_topk(mp_topk *t, obj):
    cdef double[::1] P = obj.P
    cdef int64_t[::1] I = obj.I
    cdef double[::1] thr = obj.thr
    t.P = &P[0]
    t.I = &I[0]
    t.thr = &thr[0]
    t.k = obj.k
    t.later = bool(getattr(obj, "later", False))



cdef int _fill_passes(mp_pass *cp, const int64_t[:, ::1] passes, int ns, int nt) except -1:
    """Passes as rows (x, y, rows, cols[, srows, scols]) of series and table indices, -1
    where a side is not wanted (srows and scols: see mp_series.sample in band.h)."""
    cdef Py_ssize_t i
    cdef bint six = passes.shape[1] == 6
    for i in range(passes.shape[0]):
        cp[i].x = <int> passes[i, 0]
        cp[i].y = <int> passes[i, 1]
        cp[i].rows = <int> passes[i, 2]
        cp[i].cols = <int> passes[i, 3]
        cp[i].srows = <int> passes[i, 4] if six else -1
        cp[i].scols = <int> passes[i, 5] if six else -1
        if not (0 <= cp[i].x < ns and 0 <= cp[i].y < ns and -1 <= cp[i].rows < nt
                and -1 <= cp[i].cols < nt and -1 <= cp[i].srows < nt and -1 <= cp[i].scols < nt):
            raise ValueError("pass refers to a missing series or table")
    return 0


cdef int _wire(list series, list tables, const int64_t[:, ::1] passes, mp_series *cs,
               mp_topk *ct, mp_pass *cp) except -1:
    """A worker's C views of the series (their arrays checked for padding), its tables and the
    passes; the rounding bookkeeping is left to _book_all, which needs no GIL."""
    cdef int ns = len(series), nt = len(tables), i
    for i in range(ns):
        if min(len(series[i].df), len(series[i].dg), len(series[i].w)) < series[i].l + MP_PAD:
            raise ValueError("series arrays must be padded by PAD entries")
        _fill_series(&cs[i], series[i])
    for i in range(nt):
        _fill_topk(&ct[i], tables[i])
    _fill_passes(cp, passes, ns, nt)
    return 0


cdef void _book_all(mp_series *cs, int ns, int64_t m, int mode, double p,
                    double *buf) noexcept nogil:
    """The rounding bookkeeping of every series into ``buf`` (_bookkeeping_size each): O(n),
    done with the GIL released so that workers starting together do it at the same time."""
    cdef int i
    for i in range(ns):
        _fill_bookkeeping(&cs[i], m, mode, p, buf)
        buf += _bookkeeping_size(cs[i].l)


# Rows per thread of the seeds' pass at least this many: a shorter pass (about 1 ms of one
# core at 16,384 rows) costs less than handing out its pieces.
BAND_MAX_MIN_ROWS = 16384


cdef class _BandMax:
    """One seeds' pass, prepared (the series' e and largest |T|), for rows to be run in pieces
    from several threads (band_max): ``rows(r0, r1)`` runs rows [r0, r1) of the band, the GIL
    released, with its own scratch."""
    cdef mp_bandmax_fn fn
    cdef mp_series sx, sy
    cdef mp_params pr
    cdef int64_t d0, d1, ng
    cdef double *e
    cdef Py_ssize_t nx, ny
    cdef bint same
    cdef double[::1] rowmax, colmax
    cdef object keep  # the series objects, whose arrays sx and sy point into

    def __cinit__(self):
        self.e = NULL

    def __dealloc__(self):
        mp_give(self.e)

    def prep(self, bint of_y, Py_ssize_t a, Py_ssize_t b):
        """Entries [a, b) of X's (or with ``of_y`` Y's) e and largest |T| (l + MP_PAD each),
        the GIL released: the same for any cut, so threads share them."""
        self._prep(of_y, a, b)

    cdef int _prep(self, bint of_y, Py_ssize_t a, Py_ssize_t b) except -1:
        cdef const mp_series *s = &self.sy if of_y else &self.sx
        cdef int64_t m = self.pr.m
        cdef double *e = self.e + (self.nx if of_y else 0)
        cdef double *top = self.e + self.nx + self.ny + (self.nx if of_y else 0)
        cdef int64_t *dq = <int64_t *> mp_take(max(b - a + m, 1) * sizeof(int64_t))
        if dq == NULL:
            raise MemoryError()
        with nogil:
            _series_e(s, m, e, a, b)
            _window_top(s, m, top, dq, a, b)
        mp_give(dq)
        return 0

    def rows(self, int64_t r0, int64_t r1):
        cdef double *scratch = <double *> mp_take(3 * (MP_BAND + 64) * sizeof(double))
        if scratch == NULL:
            raise MemoryError()
        cdef double *e = self.e
        cdef Py_ssize_t nx = self.nx, ny = self.ny
        try:
            with nogil:
                self.fn(&self.pr, &self.sx, &self.sy, self.d0, self.d1, r0, r1, self.ng,
                        &self.rowmax[0], &self.colmax[0], e, e if self.same else e + nx,
                        e + nx + ny, e + nx + ny if self.same else e + 2 * nx + ny, scratch)
        finally:
            mp_give(scratch)


def band_max(int kernel, int64_t m, int64_t reseed, X, Y, int64_t d0, int64_t d1,
             n_threads=None, int64_t groups=1):
    """Seeds of the tables of a z-normalized pass (X's windows as rows, Y's as columns):
    ``(rowmax, colmax)``, arrays of shape ``(groups, l)``: for each of X's and Y's windows the
    largest score (in each group) over the diagonals
    ``[d0, d1)`` (at most ``BAND``) lowered by a margin that covers the kernels' rounding (on
    the two windows' own scale), so never above the kernels' score of that pair; -inf where
    the band offers none.  One pass of the band's recurrence without tables (see mp_band_max_
    in _kernels/band_impl.h), its rows cut at multiples of the reseed period among up to
    ``n_threads`` threads (None: mpcore's setting) where it is long enough: the same bits for
    any thread count.

    ``groups > 1`` (the top-k seeds, at most ``SEED_GROUPS``): the band's diagonals are dealt
    to that many groups in turn (``d0 + j`` to group ``j % groups``), each with its own
    largest scores: for a window they are scores of distinct pairs, so their least is a lower
    bound of its ``groups``-th best (-inf where a group offers none)."""
    if kernel < 0 or kernel >= mp_kernel_count():
        raise ValueError(f"no band kernel number {kernel} on this CPU")
    if not (0 <= d0 and 0 <= d1 - d0 <= MP_BAND):
        raise ValueError("band_max: need 0 <= d0 <= d1 <= d0 + BAND")
    if not 1 <= groups <= MP_SEED_GROUPS:
        raise ValueError(f"band_max: groups must be between 1 and {MP_SEED_GROUPS}, "
                         f"got {groups}")
    cdef _BandMax run = _BandMax()
    run.ng = groups
    run.fn = mp_bandmax_kernel_get(kernel)
    run.pr.mode = 0
    run.pr.m = m
    run.pr.p = 2.0
    run.pr.reseed = reseed
    run.d0, run.d1 = d0, d1
    run.keep = (X, Y)
    _fill_series(&run.sx, X)
    _fill_series(&run.sy, Y)
    rowmax_arr = np.full(groups * max(run.sx.l, 0), -np.inf)
    colmax_arr = np.full(groups * (run.sy.l + MP_PAD), -np.inf)
    run.rowmax, run.colmax = rowmax_arr, colmax_arr
    # e and the windows' largest |T| of both series (l + MP_PAD each)
    run.nx, run.ny = run.sx.l + MP_PAD, run.sy.l + MP_PAD
    run.same = X is Y  # a self-join: Y's e and largest |T| are X's
    run.e = <double *> mp_take(2 * (run.nx + run.ny) * sizeof(double))
    if run.e == NULL:
        raise MemoryError()
    cdef int64_t nrows = min(run.sx.l, run.sy.l - d0)
    cdef int64_t period = reseed if reseed > 0 else 4096  # (the kernel's own default)
    cdef int64_t longest = max(run.sx.l, run.sy.l)
    n = 1
    if longest >= 2 * BAND_MAX_MIN_ROWS:
        from . import _threads  # (pure Python, imported on the first long pass only)
        n = min(_threads.resolve(n_threads), longest // BAND_MAX_MIN_ROWS)
    if n <= 1:
        run._prep(False, 0, run.nx)
        if not run.same:
            run._prep(True, 0, run.ny)
    else:  # shared too (2**20 values: about 15 ms of one core)
        sides = [(False, run.nx)] + ([] if run.same else [(True, run.ny)])
        cuts = [(of_y, size * i // n, size * (i + 1) // n) for of_y, size in sides
                for i in range(n)]
        _threads.each(lambda c: run.prep(*c), cuts, n)
    if nrows <= 0:
        return _band_max_result(rowmax_arr, colmax_arr, groups, run.sy.l)
    n = 1 if nrows < 2 * BAND_MAX_MIN_ROWS else \
        min(_threads.resolve(n_threads), nrows // BAND_MAX_MIN_ROWS)
    if n <= 1:
        run.rows(0, nrows)
        return _band_max_result(rowmax_arr, colmax_arr, groups, run.sy.l)
    # pieces of whole periods (where the recurrence restarts: the same bits as one run), about
    # four per thread.  A piece's columns reach less than PAD (BAND + 64) past its last row, so
    # with pieces of PAD rows or more the even ones run at once, then the odd ones, and no two
    # running pieces write the same column.
    step = max((nrows + 4 * n - 1) // (4 * n), MP_PAD)
    step = (step + period - 1) // period * period
    cuts = list(range(0, nrows, step)) + [nrows]
    pieces = list(zip(cuts[:-1], cuts[1:]))
    for parity in (0, 1):
        _threads.each(lambda ab: run.rows(*ab), pieces[parity::2], n)
    return _band_max_result(rowmax_arr, colmax_arr, groups, run.sy.l)


def _band_max_result(rowmax, colmax, int64_t groups, int64_t ly):
    return rowmax.reshape(groups, -1), colmax.reshape(groups, ly + MP_PAD)[:, :ly]


cdef class Peers:
    """The tables' thresholds of the ``workers`` workers of one call (``tables`` each), for
    :func:`run_worker` to raise each worker's to the others' before each band (mp_peers in
    _kernels/band.h).  The tables must outlive every worker's run."""
    cdef mp_peers c

    def __cinit__(self, int workers, int tables):
        if workers < 1 or tables < 0:
            raise ValueError("Peers: need workers >= 1 and tables >= 0")
        self.c.nworkers = workers
        self.c.ntables = tables
        self.c.slots = <double **> calloc(max(workers * tables, 1), sizeof(double *))
        if self.c.slots == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.c.slots)


def run_worker(int kernel, int mode, int64_t m, double p, int64_t reseed, list series,
               const int64_t[:, ::1] passes, const int64_t[:, ::1] bands, int64_t[::1] counters,
               list tables, int[::1] cancel, Peers peers=None, int me=0):
    """Run bands taken from the shared counter until none is left; returns False if cancelled.

    ``counters[0]`` is the next band to take and ``counters[1]`` the cells done; several threads
    may run this at once on the same ``bands`` and ``counters`` with their own ``tables``.
    ``peers``: the call's :class:`Peers`, this worker being number ``me`` (each number used
    by one worker): its thresholds rise to the others' as they go (see mp_run_worker).
    """
    cdef mp_peers *pp = NULL
    if peers is not None:
        if not 0 <= me < peers.c.nworkers or peers.c.ntables != len(tables):
            raise ValueError("run_worker: no such worker among peers, or another number of "
                             "tables")
        pp = &peers.c
    if kernel < 0 or kernel >= mp_kernel_count():
        raise ValueError(f"no band kernel number {kernel} on this CPU")
    cdef mp_band_fn fn = mp_kernel_get(kernel)
    cdef mp_params pr
    pr.mode = mode
    pr.m = m
    pr.p = p
    pr.reseed = reseed
    cdef int ns = len(series), nt = len(tables), npass = passes.shape[0], i, rc = 0
    cdef int64_t nbands = bands.shape[0]
    if bands.shape[1] != 3 or passes.shape[1] not in (4, 6):
        raise ValueError("bands must be (n, 3) and passes (n, 4) or (n, 6)")
    for i in range(nbands):
        if not 0 <= bands[i, 0] < npass:
            raise ValueError("band refers to a missing pass")
        if not 0 <= bands[i, 2] - bands[i, 1] <= MP_BAND:
            raise ValueError("band wider than the kernel's band")
    cdef mp_series *cs = <mp_series *> malloc(max(ns, 1) * sizeof(mp_series))
    cdef mp_topk *ct = <mp_topk *> malloc(max(nt, 1) * sizeof(mp_topk))
    cdef mp_pass *cp = <mp_pass *> malloc(max(npass, 1) * sizeof(mp_pass))
    # the band's co-moments and, for the rounding bookkeeping, their error bounds
    cdef double *scratch = <double *> mp_take(2 * (MP_BAND + 64) * sizeof(double))
    cdef Py_ssize_t book = 0
    for i in range(ns):
        book += _bookkeeping_size(series[i].l)
    cdef double *bookbuf = <double *> mp_take(max(book, 1) * sizeof(double))
    if cs == NULL or ct == NULL or cp == NULL or scratch == NULL or bookbuf == NULL:
        free(cs); free(ct); free(cp); mp_give(scratch); mp_give(bookbuf)
        raise MemoryError()
    try:
        _wire(series, tables, passes, cs, ct, cp)
        with nogil:
            _book_all(cs, ns, m, mode, p, bookbuf)
            rc = mp_run_worker(fn, &pr, cs, cp, &bands[0, 0] if nbands else NULL, nbands,
                               &counters[0], &counters[1], ct, scratch, &cancel[0], pp, me)
    finally:
        free(cs); free(ct); free(cp); mp_give(scratch); mp_give(bookbuf)
    return rc == 0


def run_worker_diags(int kernel, int mode, int64_t m, double p, int64_t reseed, list series,
                     const int64_t[:, ::1] passes, const int64_t[::1] diags,
                     const int64_t[:, ::1] groups, int64_t[::1] counters, list tables,
                     int[::1] cancel):
    """Like :func:`run_worker`, over groups of scattered diagonals (scrump's chosen subset):
    ``groups`` are rows (pass, start, end) into ``diags``, each at most ``BAND`` diagonals
    d >= 0 of its pass, run together by the kernel's diagonal-list entry.  Returns False if
    cancelled."""
    if kernel < 0 or kernel >= mp_kernel_count():
        raise ValueError(f"no band kernel number {kernel} on this CPU")
    cdef mp_diags_fn fn = mp_diags_kernel_get(kernel)
    cdef mp_params pr
    pr.mode = mode
    pr.m = m
    pr.p = p
    pr.reseed = reseed
    cdef int ns = len(series), nt = len(tables), npass = passes.shape[0], i, rc = 0
    cdef int64_t ngroups = groups.shape[0], nd = diags.shape[0], j
    if groups.shape[1] != 3 or passes.shape[1] not in (4, 6):
        raise ValueError("groups must be (n, 3) and passes (n, 4) or (n, 6)")
    for i in range(ngroups):
        if not 0 <= groups[i, 0] < npass:
            raise ValueError("group refers to a missing pass")
        if not (0 <= groups[i, 1] <= groups[i, 2] <= nd and groups[i, 2] - groups[i, 1] <= MP_BAND):
            raise ValueError("group out of range or longer than the kernel's band")
    for j in range(nd):
        if diags[j] < 0:
            raise ValueError("diagonals must be >= 0 (a negative one is its pass's mirror)")
    cdef mp_series *cs = <mp_series *> malloc(max(ns, 1) * sizeof(mp_series))
    cdef mp_topk *ct = <mp_topk *> malloc(max(nt, 1) * sizeof(mp_topk))
    cdef mp_pass *cp = <mp_pass *> malloc(max(npass, 1) * sizeof(mp_pass))
    # per diagonal of a group: its state and its rounding bookkeeping (5 numbers)
    cdef double *scratch = <double *> mp_take(5 * (MP_BAND + 64) * sizeof(double))
    cdef Py_ssize_t book = 0
    for i in range(ns):
        book += _bookkeeping_size(series[i].l)
    cdef double *bookbuf = <double *> mp_take(max(book, 1) * sizeof(double))
    if cs == NULL or ct == NULL or cp == NULL or scratch == NULL or bookbuf == NULL:
        free(cs); free(ct); free(cp); mp_give(scratch); mp_give(bookbuf)
        raise MemoryError()
    try:
        _wire(series, tables, passes, cs, ct, cp)
        with nogil:
            _book_all(cs, ns, m, mode, p, bookbuf)
            rc = mp_run_worker_diags(fn, &pr, cs, cp, &diags[0] if nd else NULL,
                                     &groups[0, 0] if ngroups else NULL, ngroups, &counters[0],
                                     &counters[1], ct, scratch, &cancel[0])
    finally:
        free(cs); free(ct); free(cp); mp_give(scratch); mp_give(bookbuf)
    return rc == 0


def merge_into(dst, src, int64_t shift=0):
    """Merge the top-k table ``src`` into ``dst`` (same shape), keeping each row's k best;
    ``shift`` is added to ``src``'s indices (a pass over series that start ``shift`` later)."""
    cdef mp_topk d, s
    if dst.l != src.l or dst.k != src.k or len(dst.P) != dst.l * dst.k or \
            len(src.P) != src.l * src.k:
        raise ValueError("merge_into: the tables differ in shape")
    _fill_topk(&d, dst)
    _fill_topk(&s, src)
    cdef int64_t l = dst.l, k = dst.k, r, q, j
    with nogil:
        if k == 1:  # mp_topk_insert's rule, inline (a call per row cost more than the rule)
            for r in range(l):
                j = s.I[r]
                if j < 0:
                    continue
                j += shift
                if s.P[r] > d.P[r] or (s.P[r] == d.P[r] and (
                        j > d.I[r] if d.later else j < d.I[r])):
                    d.P[r] = s.P[r]
                    d.I[r] = j
                    d.thr[r] = s.P[r]
        else:
            for r in range(l):
                for q in range(k):
                    if s.I[r * k + q] < 0:
                        break
                    mp_topk_insert(&d, r, s.P[r * k + q], s.I[r * k + q] + shift)


def insert_candidates(table, const int64_t[::1] rows, const int64_t[::1] idx, double score):
    """Offer the candidates (rows[i], idx[i]), all with the same score, to a top-k table."""
    cdef mp_topk t
    _fill_topk(&t, table)
    cdef Py_ssize_t i, n = rows.shape[0]
    if idx.shape[0] != n:
        raise ValueError("rows and idx differ in length")
    with nogil:
        for i in range(n):
            mp_topk_insert(&t, rows[i], score, idx[i])


def insert_scored(table, const int64_t[::1] rows, const int64_t[::1] idx,
                  const double[::1] scores, bint unique=False):
    """Offer the candidates (rows[i], idx[i]) with their own scores to a top-k table; with
    ``unique``, not to a row that holds the index already (a table that kept candidates from
    elsewhere: an anytime profile's, which preSCRIMP's may have met)."""
    cdef mp_topk t
    _fill_topk(&t, table)
    cdef Py_ssize_t i, n = rows.shape[0]
    cdef int64_t e, k = t.k
    cdef bint seen
    if idx.shape[0] != n or scores.shape[0] != n:
        raise ValueError("rows, idx and scores differ in length")
    with nogil:
        for i in range(n):
            if unique:
                seen = False
                for e in range(k):
                    if t.I[rows[i] * k + e] == idx[i]:
                        seen = True
                        break
                if seen:
                    continue
            mp_topk_insert(&t, rows[i], scores[i], idx[i])


def merge_unique(dst, src):
    """Merge ``src`` into ``dst`` like :func:`merge_into`, skipping indices a row already holds
    (tables filled from overlapping candidate sets, e.g. preSCRIMP's, may share pairs)."""
    cdef mp_topk d, s
    _fill_topk(&d, dst)
    _fill_topk(&s, src)
    cdef int64_t l = dst.l, k = dst.k, r, q, e
    cdef bint seen
    with nogil:
        for r in range(l):
            for q in range(k):
                if s.I[r * k + q] < 0:
                    break
                seen = False
                for e in range(k):
                    if d.I[r * k + e] == s.I[r * k + q]:
                        seen = True
                        break
                if not seen:
                    mp_topk_insert(&d, r, s.P[r * k + q], s.I[r * k + q])


cdef inline void _offer(mp_topk *t, int64_t row, double s, int64_t idx) noexcept nogil:
    """mp_topk_insert, its first test inline: a tile offers millions of pairs, most below
    the row's k-th best, and the call alone cost more than the test."""
    cdef int64_t q = row * t.k + t.k - 1
    if s > t.P[q] or (s == t.P[q] and (idx > t.I[q] if t.later else idx < t.I[q])):
        mp_topk_insert(t, row, s, idx)


def offer_flat_tile(const double[:, ::1] S, const int64_t[::1] rows, int64_t c0,
                    const uint8_t[::1] ok, const uint8_t[::1] offer_col, int64_t excl,
                    bint self_join, own_right, own_left, col_right, col_left,
                    int64_t i0=0):
    """Offer one tile of near-flat rows' scores (_pipeline._flat_candidates): ``S[i, j]`` is
    the score of row ``rows[i]`` against column ``c0 + j`` (columns not ``ok`` skipped).

    Row side: (i, c) goes to ``own_right`` (a table indexed by i, not by the row: each thread
    keeps its own, merged later), in a self-join only past the exclusion zone, c after the row
    to ``own_right`` and c before it to ``own_left`` (row ``i0 + i`` of these tables: the tile's
    first row is the ``i0``-th flat row).  Column side: (c, row) goes, where
    ``offer_col[c]``, to ``col_right`` (self-join: the column's left table, the row being
    before it) or ``col_left`` (the row after it); AB-join: ``col_right``.  None: no such
    side.  mp_topk_insert's first test rejects most pairs; its order is total (score, then
    index), so the tables end the same whatever order the tiles come in."""
    cdef mp_topk ora, ola, cra, cla
    cdef bint has_or = own_right is not None, has_ol = own_left is not None
    cdef bint has_cr = col_right is not None, has_cl = col_left is not None
    if has_or:
        _fill_topk(&ora, own_right)
    if has_ol:
        _fill_topk(&ola, own_left)
    if has_cr:
        _fill_topk(&cra, col_right)
    if has_cl:
        _fill_topk(&cla, col_left)
    cdef Py_ssize_t F = S.shape[0], B = S.shape[1], i, j
    cdef int64_t r, c, d
    cdef double s
    if rows.shape[0] != F or c0 < 0 or c0 + B > ok.shape[0] or offer_col.shape[0] < c0 + B:
        raise ValueError("offer_flat_tile: shapes disagree")
    with nogil:
        for i in range(F):
            r = rows[i]
            for j in range(B):
                c = c0 + j
                if not ok[c]:
                    continue
                s = S[i, j]
                if not self_join:
                    if has_or:
                        _offer(&ora, i0 + i, s, c)
                    if has_cr and offer_col[c]:
                        _offer(&cra, c, s, r)
                    continue
                d = c - r
                if d > excl:
                    if has_or:
                        _offer(&ora, i0 + i, s, c)
                    if has_cr and offer_col[c]:
                        _offer(&cra, c, s, r)
                elif d < -excl:
                    if has_ol:
                        _offer(&ola, i0 + i, s, c)
                    if has_cl and offer_col[c]:
                        _offer(&cla, c, s, r)
