/* Block updates of the streaming self-join profiles (stumpi/aampi), called from _stream.pyx with
 * the GIL released.
 *
 * One streaming step appends a point: the new (last) window q gets its sliding values with
 * every live window j from the previous step's, along the diagonal (QT[j] from QT'[j - 1];
 * z-normalized: co-moments of the deviations, sb_zbound; p-norms with p = 1 or 2: the sums of
 * |differences|^p themselves, sb_psum; every R-th column directly), then each j whose
 * approximate distance comes within its rounding bound of the k-th best of row j or of row q
 * gets the exact distance, which enters row j and row q when strictly better (STUMPY's
 * insertion: after equal entries, the last one out).  Other p compute every distance.
 *
 * A block of b points is split by columns (windows j, buffer coordinates) instead of by points:
 * each part owns a range of columns and advances it through all b points on its own, tile by
 * tile (a tile's statistics and dot products stay in cache for all b points).  Column j's dot
 * product and row j depend only on column j and on column j - 1 one step earlier:
 *   - inside a part, a tile hands the next one the dot products of its last column at every
 *     point (``rb``);
 *   - a part that does not start at the first live window replays the b columns on its left
 *     from their values before the block (a copy taken before any part runs, ``halo``): the
 *     value of column L - 1 after point v only depends on column L - 2 - v before the block, so
 *     b columns are enough, and every value is formed by the same operations in the same order
 *     as a step-by-step update would form it, bit for bit.
 * The rows of the block's new windows are the only ones several parts write: each part keeps
 * its own top-k of every new row over its columns (``Pq``/``Iq``); they are merged after all
 * parts have run, in column order, with what the new row gained later as a column (its own
 * row in P, written by the part that owns it).  Insertion after equal entries makes a row the
 * first k of its candidates ordered by (distance, index), which is what the merge rebuilds.
 * The filter of a new row uses that part's own k-th best, never lower than a step-by-step
 * update's, so no candidate a step-by-step update would examine is left out.
 */
#ifndef MPCORE_STREAM_BLOCK_H
#define MPCORE_STREAM_BLOCK_H
#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef _MSC_VER
#include <intrin.h>
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#else
#include <sched.h>
#endif

/* The tile loop is compiled twice where GCC can choose at load time (ifunc): for AVX2, twice
 * the lanes of the SSE2 baseline, and for the baseline.  Not FMA: both versions round every
 * operation alike, so no result depends on the CPU. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
    && !defined(__AVX2__) && !defined(MPCORE_STREAM_NO_CLONES)
#define SB_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SB_CLONES
#endif

/* Columns per filter chunk: a vector pass over the chunk computes the lower bounds and counts
 * the candidates; the scalar pass runs only when there is one. */
#define SB_CHUNK 256

typedef struct {
    /* the live state, buffer coordinates (window w's global index is w + G) */
    const double *T;
    /* the centered series (StreamBlock): what the co-moments QT, the means mu and deviations
     * sig are of (z-normalized; p-norms' sums are of T itself, sb_psum); T is for exact
     * distances */
    const double *Tc;
    const double *mu, *sig, *ss;
    const double *sbar; /* z-normalized: sb_zbound's sS, of the last R + 1 windows, for the
                           new window's side */
    /* z-normalized: the dot products are co-moments of the windows' deviations from their
     * means, stepped by the transition terms df, dg (sb_tile); czbar is each column's Z over
     * its own chain, sbar (above) and sgbar the new window's S and G over the last R + 1
     * (sb_zbound) */
    const double *df, *dg, *czbar, *sgbar;
    const double *mc; /* z-normalized: the low part of each window's mean (sb_zbound) */
    /* z-normalized: the deviations (sb_devs) of each window whose global index g is a
     * multiple of R, m values at zdev + ((g / R) % nzdev) m: a refreshed co-moment is then a
     * plain dot product (the deviations' subtractions cost a walk's block updates 7%) */
    const double *zdev;
    int64_t nzdev;
    double M;         /* z-normalized: the bound of |Tc| */
    const double *zt; /* z-normalized: each window's exact terms, 3 a window (sb_zterms) */
    /* 1/sig of a usable window (p-norms: 0), 0 for a constant one, NaN for one holding
     * NaN/inf: the scan's scores add it, and such a window is never a candidate */
    const double *isig;
    /* z-normalized: whether each window is constant.  p-norms: its place in its run of
     * identical windows, 1 + how many right before it are identical to it (up to 255; 0 for a
     * window that is not constant or holds NaN/inf: two adjacent windows are identical only
     * when both are constant), see sb_tile */
    const uint8_t *cst, *wvalid;
    double *QT;
    /* p-norms with p = 1 or 2 (``pdiff``): QT[w] is the sum of |x - y|^p over windows w and q
     * (sb_psum), and QE[w] the measure of its rounding (sb_pslack); unused otherwise */
    double *QE;
    int pdiff;
    int sq; /* the filter's values are squared distances (z-normalized, p = 2), else distances */
    double *P;
    int64_t *I;
    int64_t k, m, excl, G;
    int normalize, direct; /* direct: p-norm with p != 2, every distance computed directly */
    double p;
    /* a general p's powers (mp_pow_fn of band.h: the best band kernel's vpow_, several times
     * faster than libm's pow) */
    void (*pw)(const double *x, int64_t n, double p, double *out);
    double C0; /* z-normalized: 2m - e0, else 0 (the scan's scores, sb_tile) */
    double e0; /* the lower bounds' absolute slack */
    int64_t R; /* a column whose global index is a multiple of R is computed directly */
    /* the block: point v's first live window lo[v], new window q[v] */
    int64_t b;
    const int64_t *lo, *q;
    int64_t a_pre; /* the first live window before the block */
    /* parts: part t owns the columns [bounds[t], bounds[t + 1]) */
    int64_t nparts;
    const int64_t *bounds;
    const double *halo;  /* part t's left columns [hlo[t], bounds[t]) before the block */
    const double *haloE; /* pdiff: their QE likewise */
    const int64_t *hlo, *hoff; /* ... at halo + hoff[t] */
    double *Pq;   /* part t's top-k of new row v at (t * b + v) * k */
    int64_t *Iq;
    double *Uq;   /* ... and the k smallest upper bounds of its squared distances so far */
    double *buf;  /* part t's scratch at buf + t * bufsize */
    int64_t bufsize, tile;
} sb_ctx;

static inline void sb_insert(double *P, int64_t *I, int64_t k, double d, int64_t idx) {
    /* STUMPY's insertion: after the entries equal to d (searchsorted 'right'), last one out */
    int64_t r = k - 1;
    while (r > 0 && P[r - 1] > d) {
        P[r] = P[r - 1];
        I[r] = I[r - 1];
        r--;
    }
    P[r] = d;
    I[r] = idx;
}

/* A window's exact z-normalization terms t = (mx, cx, 1/sd): its mean mx, the mean cx of its
 * deviations from mx (what mx's rounding left in them, as the batch refinement keeps it) and
 * the inverse of its standard deviation, from the deviations (x - mx) - cx themselves (a
 * second pass, rather than the sum of squares less the square of the sum).  A window far from
 * 0 (1e6 + noise) or nearly flat then has deviations good to u of themselves, where plain two
 * passes leave u of the values in every one.  The squares are of the deviations scaled by a
 * power of two (exact) that brings the largest near 1: a window of values of 1e-200 had its
 * squares underflow, an infinite 1/sd, and no distance (inf).  Taken once a window
 * (StreamBlock), so that an exact distance is one pass over its two windows (sb_zpass). */
static inline void sb_zterms(const double *x, int64_t m, double *t3) {
    double mean = 0.0, s = 0.0, q = 0.0, d, cx, top = 0.0, sc;
    int64_t t;
    int e;
    for (t = 0; t < m; t++)
        mean += x[t];
    mean /= m;
    for (t = 0; t < m; t++)
        s += x[t] - mean;
    cx = s / m;
    for (t = 0; t < m; t++) {
        d = fabs((x[t] - mean) - cx);
        top = d > top ? d : top;
    }
    frexp(top, &e);
    sc = ldexp(1.0, -e); /* top * sc in [0.5, 1) */
    for (t = 0; t < m; t++) {
        d = ((x[t] - mean) - cx) * sc;
        q += d * d;
    }
    t3[0] = mean;
    t3[1] = cx;
    t3[2] = sqrt(m / q) * sc;
}

/* The z-normalized distance of two non-constant windows from their terms (two sums, so that
 * the pass costs its adds' throughput rather than their latency). */
static inline double sb_zpass(const double *x, const double *tx, const double *y,
                              const double *ty, int64_t m) {
    const double mx = tx[0], cx = tx[1], ix = tx[2], my = ty[0], cy = ty[1], iy = ty[2];
    double d0, d1, a0 = 0.0, a1 = 0.0;
    int64_t t;
    for (t = 0; t + 2 <= m; t += 2) {
        d0 = ((x[t] - mx) - cx) * ix - ((y[t] - my) - cy) * iy;
        d1 = ((x[t + 1] - mx) - cx) * ix - ((y[t + 1] - my) - cy) * iy;
        a0 += d0 * d0;
        a1 += d1 * d1;
    }
    if (t < m) {
        d0 = ((x[t] - mx) - cx) * ix - ((y[t] - my) - cy) * iy;
        a0 += d0 * d0;
    }
    return sqrt(a0 + a1);
}

/* The same from the two windows alone. */
static inline double sb_zdist(const double *x, const double *y, int64_t m) {
    double tx[3], ty[3];
    sb_zterms(x, m, tx);
    sb_zterms(y, m, ty);
    return sb_zpass(x, tx, y, ty, m);
}

/* The exact p-norm distance of two windows: the terms summed in window order; a general p's
 * powers by pw, a chunk at a time. */
#define SB_PCHUNK 256
static inline double sb_pdist(const double *x, const double *y, int64_t m, double p,
                              void (*pw)(const double *, int64_t, double, double *)) {
    double acc = 0.0, d;
    int64_t t;
    if (p != 2.0 && p != 1.0) {
        double buf[SB_PCHUNK];
        for (int64_t t0 = 0; t0 < m; t0 += SB_PCHUNK) {
            const int64_t n = m - t0 < SB_PCHUNK ? m - t0 : SB_PCHUNK;
            for (t = 0; t < n; t++) buf[t] = fabs(x[t0 + t] - y[t0 + t]);
            pw(buf, n, p, buf);
            for (t = 0; t < n; t++) acc += buf[t];
        }
        return pow(acc, 1.0 / p);
    }
    for (t = 0; t < m; t++) {
        d = fabs(x[t] - y[t]);
        acc += p == 2.0 ? d * d : d;
    }
    return p == 2.0 ? sqrt(acc) : acc;
}

/* A distance as the filter compares it: squared (z-normalized, p = 2), or itself (p = 1). */
static inline double sb_pw(const sb_ctx *c, double d) {
    return c->sq ? d * d : d;
}

/* The scan's threshold of a row whose k-th best is Pk: C0 - Pk^2 (p = 1: C0 - Pk), or +inf
 * once Pk is 0, where no distance can enter any more (insertion is strict): in an exactly
 * periodic series every window identical to the new one took an exact distance of 0 for
 * nothing (8.7x a random walk's time per point). */
static inline double sb_row_thr(const sb_ctx *c, double Pk) {
    return Pk == 0.0 ? INFINITY : c->C0 - sb_pw(c, Pk);
}

/* Column w's threshold in the scan, sb_row_thr's but for a constant window of a z-normalized
 * profile: its score is 0 (isig = 0), and its distance to a non-constant window sqrt(m), so
 * its threshold is m - Pk^2 (m less 8 u m: a k-th best within rounding of sqrt(m) is tried),
 * below 0 exactly where sqrt(m) may enter its row.  (It used to be -inf, a candidate at every
 * point: stumpi's blocks on sparse counts took 2.1x a walk's time, on steps 1.6x.) */
static inline double sb_col_thr(const sb_ctx *c, int64_t w, double Pk) {
    if (!(c->normalize && c->cst[w]))
        return sb_row_thr(c, Pk);
    return Pk == 0.0 ? INFINITY : (double) c->m * (1.0 - 8.0 * 1.1102230246251565e-16) - Pk * Pk;
}

/* (The AB-join's p-norms, _stream.stream_step_ab, which still step dot products; the
 * self-join's step sums of differences, sb_psum.)
 * How far a stored dot product QT[w] (windows w and q) may be from the exact one: K S_w S_q,
 * with S_j the largest root sum of squares of the centered windows j - R - 1 .. j (sbar, what
 * the chain of w or q went through since it was last computed directly) and K = sb_coef(m, R).
 * First-order bounds of every rounding, u the unit roundoff:
 *   - a direct sum of m products x_t y_t in eight partial sums (sb_dot: the first live window,
 *     a refreshed column, and at setup every column): (m/8 + 4) u sum |x_t y_t|, and
 *     sum |x_t y_t| <= |x| |y| <= S_w S_q;
 *   - a step of the recurrence y = x - tl tdrop + tr tnew: u (|x| + |y| + 2 |tl tdrop|
 *     + |tr tnew|) <= 5 u S_w S_q (each dot product and each value within the windows' norms);
 *   - at most R steps since the column was last computed directly (sb_tile refreshes the
 *     columns whose global index is a multiple of R, so no chain is longer, however long the
 *     stream);
 *   - the means' product m mu mq (z-normalized; each mean compensated, within 4 u of its
 *     window's largest value) and the centered values' own rounding: (8 sqrt(m) + 8) u S_w S_q.
 * A worst case whatever the order of the errors, and a local one: a spike (one value of 1e5 in
 * noise of 1e-3) widens only the bounds of the pairs whose chains met it, and every other pair
 * filters as tightly as in a clean series. */
static inline double sb_coef(int64_t m, int64_t R) {
    const double u = 1.1102230246251565e-16, md = (double) m;
    return u * ((md / 8.0 + 4.0) + 5.0 * (double) R + 8.0 * sqrt(md) + 8.0);
}

/* A direct dot product of two centered windows: eight sums (two vectors of four), so that a
 * refresh costs the adds' throughput rather than their latency. */
static inline double sb_dot(const double *x, const double *y, int64_t m) {
    double a[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    int64_t t = 0, r;
    for (; t + 8 <= m; t += 8)
        for (r = 0; r < 8; r++)
            a[r] += x[t + r] * y[t + r];
    for (; t < m; t++)
        a[0] += x[t] * y[t];
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

/* p-norms with p = 1 or 2 ("pdiff") keep, for each column w, the sum D[w] of |x_t - y_t|^p
 * over windows w and q of the series itself, stepped along the diagonal as the batch kernels
 * step theirs (band_impl.h, track_row_aamp_):
 *   D[w] at q = (D[w - 1] at q - 1 - |T[w-1] - T[q-1]|^p) + |T[w+m-1] - T[q+m-1]|^p,
 * rather than dot products of the centered values (sb_coef), whose rounding is in terms of the
 * values' magnitudes: two windows of a plateau at level 50 with noise of 1e-7 (d^2 ~ 1e-12)
 * sat under a bound of ~1e-8, and every column of the new window's level took an exact
 * distance (aampi's blocks on such plateaus cost 1.7x a walk's time; p = 1 computed every
 * distance, 25x p = 2's time).  A difference's rounding is in terms of the differences: to
 * first order, u the unit roundoff, a step's terms ta, tb are within 3 u of themselves (p = 2:
 * the difference's rounding, doubled by the square, and the square's; p = 1: u) and its two
 * sums round by u (x + ta) and u (x + ta + tb), so a step adds at most
 * u (5 ta + 4 tb + 2 x) <= 6 u (ta + tb + x) to the error of the state x (x >= 0: a column
 * below 0 is summed afresh).  Along a chain from a direct sum D0, every term that left was one
 * of D0's or one that entered since, and each term is in at most m of the chain's states, so
 * the steps' ta + tb + x add up to at most (m + 2) (D0 + the terms that entered).  QE[w] holds
 * F = 2 D0 + the terms that entered (the extra D0 for the direct sum's own rounding,
 * (m/8 + 12) u D0 in eight partial sums; sb_perr), so that
 *   |D[w] - exact| <= SB_PCE (m + 2) QE[w]
 * (6.5 u: room for the second-order terms and QE's own rounding), for one add a step: QE
 * summing ta + tb + x itself, as the batch kernels' bound does, cost a walk's blocks ~4%.
 * The bound is the chain's own: a same-level pair whose chain went through a level change
 * (D ~ m 1e4 there) keeps that much rounding, which no later step removes, so a column whose
 * bound exceeds SB_PTLIM of its own D, or whose D is not finite, is summed afresh (sb_preseed,
 * a test of the column's own state: a replayed column is reseeded alike, bit for bit): a
 * same-level pair once, when its chain leaves the edge, rather than at every point.
 * Underflow (values under 1e-154) adds at most 2^-1074 a step: SB_PFLOOR (2^-1000) holds it
 * for any chain.  The scan compares D less its slack (sb_pslack) with the rows' thresholds, in
 * squared distances for p = 2 and distances for p = 1: the exact distance (sb_pdist, one
 * sequential sum) is within (m + 6) u of the exact sum, and the slack's (2m + 8) u |D| holds
 * that and the scan's own subtraction. */
#define SB_U 1.1102230246251565e-16
#define SB_PCE (6.5 * SB_U)
#define SB_PFLOOR 9.3326361850321888e-302 /* 2^-1000 */
#define SB_PTLIM 9.5367431640625e-07      /* 2^-20 */

/* A direct sum of |x_t - y_t|^p (p = 2 with sq, else 1) in eight partial sums (a loop for
 * each p: with the test inside, the sums were scalar, 18% of a walk's block update). */
static inline double sb_psum(const double *x, const double *y, int64_t m, int sq) {
    double a[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    int64_t t = 0, r;
    if (sq) {
        for (; t + 8 <= m; t += 8)
            for (r = 0; r < 8; r++)
                a[r] += (x[t + r] - y[t + r]) * (x[t + r] - y[t + r]);
        for (; t < m; t++)
            a[0] += (x[t] - y[t]) * (x[t] - y[t]);
    } else {
        for (; t + 8 <= m; t += 8)
            for (r = 0; r < 8; r++)
                a[r] += fabs(x[t + r] - y[t + r]);
        for (; t < m; t++)
            a[0] += fabs(x[t] - y[t]);
    }
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

/* QE of a direct sum D (sb_psum). */
static inline double sb_perr(double D) {
    return 2.0 * D;
}

/* QE's coefficient in the bound: SB_PCE (m + 2). */
static inline double sb_pce(int64_t m) {
    return SB_PCE * ((double) m + 2.0);
}

/* The slack of a lower (D - slack) or upper (D + slack) bound of the filter's value of the
 * exact distance, from D and QE. */
static inline double sb_pslack(double D, double E, int64_t m) {
    return sb_pce(m) * E + (2.0 * (double) m + 8.0) * SB_U * fabs(D) + SB_PFLOOR;
}

/* Whether a stepped column must be summed afresh: its bound over SB_PTLIM of D (rl:
 * sb_pce / SB_PTLIM), or D not finite (NaN from inf - inf where a value's square overflowed,
 * inf where the sum did). */
static inline int sb_preseed(double D, double E, double rl) {
    return (E * rl > D) | !(D <= 1.7976931348623157e308);
}

/* z-normalized, the kernel keeps co-moments X[w] = sum_t (x_t - mu_w)(y_t - mu_q) of the
 * windows' deviations from their means rather than dot products of the centered values: a dot
 * product's rounding is in terms of the values' magnitudes, and a window on a plateau far
 * from the center (level 50 with noise of 1e-7) sat under a bound a billion times its own
 * spread, so that every pair took an exact distance (7x a walk's time a point).  Each step is
 * the diagonal recurrence of the batch kernels:
 *   X[w] at q = X[w - 1] at q - 1 + df[w - 1] dg[q - 1] + dg[w - 1] df[q - 1],
 * with df[i] = (Tc[i + m] - Tc[i]) / 2 and dg[i] = (Tc[i + m] - mu[i + 1]) + (Tc[i] - mu[i])
 * (window i's transition to i + 1), and every R-th column is computed directly (sb_codev).
 * A mean is held as two doubles, mu + mc (_stream._wterms: the plain mean and the mean of the
 * deviations from it, summed exactly), and a deviation taken as (x - mu) - mc: a mean rounded
 * to one double is off by u M (M >= |Tc|), and that error, times a step's df where a step
 * enters the new window, stayed in every co-moment of a plateau for R points.
 * The rounding, to first order, u the unit roundoff: with S_i >= the norm of window i's
 * deviations from its stored mean (hence >= any one of them; _wterms), H = max(S_i, S_i+1)
 * over a transition and G >= its |df| and |dg| (|dg| <= 2 H, and |df| is one value's change,
 * about S / sqrt(m) in a smooth series); the stored mean within d = 2 m^1.5 u^2 S + 2 m u^2 M
 * of the exact one (_wterms' compensated sum), so that dg is within 6 u H + 2 u^2 M of itself
 * and 2 d of the exact means':
 *   - a step's own operations: u (2 |X| + 3 |df_w dg_q| + 2 |dg_w df_q|)
 *     <= u (2 H_w H_q + 5 G_w G_q);
 *   - its inputs' errors, times the other factors: at most
 *     u (2 G_w G_q + v (G_w H_q + H_w G_q)) + 6 m u^2 M (G_w + G_q), v = 6 + 4 m^1.5 u;
 *   so with Z = sqrt(2) H + (v / sqrt(2)) G (Z_w Z_q holds every product above: v^2 / 2 >= 7),
 *   a step is within u Z_w Z_q + 6 m u^2 M (G_w + G_q);
 *   - a direct co-moment: u (m/8 + 4 + 4 sqrt(m)) S_w S_q (the deviations within 2 u (S + d)
 *     each, a product, eight partial sums), and m d_w d_q for the means' error, under
 *     8 m^4 u^4 S_w S_q + 8 m^2.5 u^4 M (S_w + S_q) + 8 m^3 u^4 M^2;
 * over at most R steps since the column was computed directly (the columns whose global index
 * is a multiple of R, and the first live one).  With cZ_w from the largest S and G of column
 * w's chain (windows and transitions from the last multiple of R to w) and sZ_q from those of
 * the new window's last R + 1 (S <= Z / sqrt(2), G <= sqrt(2) Z / v):
 *   |X[w] - exact| <= K1 cZ_w sZ_q + K2 (cZ_w + sZ_q) + K3,
 *   K1 = u (R + (m/8 + 4 + 4 sqrt(m) + 8 m^4 u^3) / 2),
 *   K2 = 6 sqrt(2) R m u^2 M / v + 8 m^2.5 u^4 M, K3 = 8 m^3 u^4 M^2.
 * Deviations are as small as the window's spread, so a plateau window filters as tightly as a
 * walk's, and a step leaves wide bounds only on the columns whose chain went through it. */
static inline double sb_zweight(int64_t m) { /* v / sqrt(2): G's weight in Z */
    const double md = (double) m;
    return (6.0 + 4.0 * md * sqrt(md) * 1.1102230246251565e-16) * 0.7071067811865476;
}

/* The bound of a co-moment as al cZ_w + ga (sb_zbound's derivation), sZ the new window's. */
static inline void sb_zbound(int64_t m, int64_t R, double M, double sZ, double *al,
                             double *ga) {
    const double u = 1.1102230246251565e-16, md = (double) m, sm = sqrt(md), Rd = (double) R;
    const double v = 6.0 + 4.0 * md * sm * u, u4 = u * u * u * u;
    const double K1 = u * (Rd + (md / 8.0 + 4.0 + 4.0 * sm + 8.0 * md * md * md * md * u * u * u)
                           * 0.5);
    const double K2 = 6.0 * 1.4142135623730951 * Rd * md * u * u * M / v
                      + 8.0 * md * md * sm * u4 * M;
    const double K3 = 8.0 * md * md * md * u4 * M * M;
    *al = K1 * sZ + K2;
    *ga = K2 * sZ + K3;
}

/* A window's deviations from its mean held as two doubles (mx + lx). */
static inline void sb_devs(const double *x, double mx, double lx, int64_t m, double *out) {
    int64_t t;
    for (t = 0; t < m; t++)
        out[t] = (x[t] - mx) - lx;
}

/* A direct co-moment of a window of the centered series (its mean mx + lx) with deviations
 * dy (sb_devs): eight sums (sb_dot of both windows' deviations, bit for bit). */
static inline double sb_codev(const double *x, double mx, double lx, const double *dy,
                              int64_t m) {
    double a[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    int64_t t = 0, r;
    for (; t + 8 <= m; t += 8)
        for (r = 0; r < 8; r++)
            a[r] += ((x[t + r] - mx) - lx) * dy[t + r];
    for (; t < m; t++)
        a[0] += ((x[t] - mx) - lx) * dy[t];
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

/* Window i's transition terms to window i + 1 (the co-moments' steps, sb_zbound). */
static inline void sb_zstep(const double *Tc, const double *mu, const double *mc, int64_t i,
                            int64_t m, double *df, double *dg) {
    *df = (Tc[i + m] - Tc[i]) * 0.5;
    *dg = ((Tc[i + m] - mu[i + 1]) - mc[i + 1]) + ((Tc[i] - mu[i]) - mc[i]);
}

/* z-normalized: one point's step of len co-moments from x to y, with the columns' transition
 * terms fw, gw and the new window's dfq, dgq (sb_zbound).  A function of its own, as
 * sb_pstep: inside sb_tile, with pdiff's pointers beside it, y's was spilled (stumpi's blocks
 * 3% slower). */
SB_CLONES __attribute__((noinline)) static void sb_zcols(
    const double *restrict fw, const double *restrict gw, double dfq, double dgq,
    const double *restrict x, double *restrict y, int64_t len) {
    int64_t i;
    for (i = 0; i < len; i++)
        y[i] = x[i] + fw[i] * dgq + gw[i] * dfq;
}

/* pdiff: one point's step of the columns [w0, w0 + len) (sb_psum's derivation): their new
 * values to y, QE to ye, from column w0 - 1's value x0 and QE e0 and the next columns' xr, er
 * (xr[i - 1] for column w0 + i), the values leaving and entering them from tl and tr and the
 * new window's (tdrop, tadd); a column that lost its precision (sb_preseed, rl) is summed
 * afresh, from its window Tw + i and the new one, Tq.  A function of its own: inside sb_tile
 * its pointers were spilled, a third of a walk's step.  Chunks of SB_CHUNK columns, each looked
 * over again only when one of its columns must be summed afresh. */
SB_CLONES __attribute__((noinline)) static void sb_pstep(
    const double *restrict tl, const double *restrict tr, double tdrop, double tadd, double x0,
    double e0, const double *restrict xr, const double *restrict er, double *restrict y,
    double *restrict ye, int64_t len, int sq, double rl, const double *Tw, const double *Tq,
    int64_t m) {
    int64_t i, i0, i1, nre;
    for (i0 = 0; i0 < len; i0 = i1) {
        i1 = i0 + SB_CHUNK < len ? i0 + SB_CHUNK : len;
        nre = 0;
        if (i0 == 0) { /* column w0, from x0 */
            const double ta = sq ? (tl[0] - tdrop) * (tl[0] - tdrop) : fabs(tl[0] - tdrop);
            const double tb = sq ? (tr[0] - tadd) * (tr[0] - tadd) : fabs(tr[0] - tadd);
            y[0] = (x0 - ta) + tb;
            ye[0] = e0 + tb;
            nre += sb_preseed(y[0], ye[0], rl);
        }
        if (sq) {
            for (i = i0 ? i0 : 1; i < i1; i++) {
                const double da = tl[i] - tdrop, db = tr[i] - tadd, tb = db * db;
                const double yi = (xr[i - 1] - da * da) + tb, ei = er[i - 1] + tb;
                y[i] = yi;
                ye[i] = ei;
                nre += sb_preseed(yi, ei, rl);
            }
        } else {
            for (i = i0 ? i0 : 1; i < i1; i++) {
                const double tb = fabs(tr[i] - tadd);
                const double yi = (xr[i - 1] - fabs(tl[i] - tdrop)) + tb, ei = er[i - 1] + tb;
                y[i] = yi;
                ye[i] = ei;
                nre += sb_preseed(yi, ei, rl);
            }
        }
        if (nre)
            for (i = i0; i < i1; i++)
                if (sb_preseed(y[i], ye[i], rl)) {
                    y[i] = sb_psum(Tw + i, Tq, m, sq);
                    ye[i] = sb_perr(y[i]);
                }
    }
}

/* Offer distance d between column w (tile slot i) and new window qv to both rows. */
static inline void sb_offer(const sb_ctx *c, int64_t w, int64_t qv, double d, double *thr,
                            int64_t i, double *pq, int64_t *iq) {
    int64_t k = c->k;
    double *Pw = c->P + w * k;
    if (d < Pw[k - 1]) {
        sb_insert(Pw, c->I + w * k, k, d, qv + c->G);
        thr[i] = sb_col_thr(c, w, Pw[k - 1]);
    }
    if (d < pq[k - 1])
        sb_insert(pq, iq, k, d, w + c->G);
}

/* Row j's side of an offer (column w, tile slot i): row q's side is deferred (sb_resolve). */
static inline void sb_offer_row(const sb_ctx *c, int64_t w, int64_t qv, double d, double *thr,
                                int64_t i) {
    int64_t k = c->k;
    double *Pw = c->P + w * k;
    if (d < Pw[k - 1]) {
        sb_insert(Pw, c->I + w * k, k, d, qv + c->G);
        thr[i] = sb_col_thr(c, w, Pw[k - 1]);
    }
}

/* Keep the k smallest of the values offered (ascending). */
static inline void sb_keep(double *U, int64_t k, double u) {
    int64_t r = k - 1;
    if (!(u < U[k - 1]))
        return;
    while (r > 0 && U[r - 1] > u) {
        U[r] = U[r - 1];
        r--;
    }
    U[r] = u;
}

/* Whether pair a goes before pair b: by lower bound, then column. */
static inline int sb_before(const double *Cl, const int64_t *Cw, int64_t a, int64_t b) {
    return Cl[a] < Cl[b] || (Cl[a] == Cl[b] && Cw[a] < Cw[b]);
}

static inline void sb_swap(double *Cl, int64_t *Cw, int64_t a, int64_t b) {
    const double x = Cl[a];
    const int64_t w = Cw[a];
    Cl[a] = Cl[b];
    Cw[a] = Cw[b];
    Cl[b] = x;
    Cw[b] = w;
}

/* Sift pair ``root`` down a min-heap of n pairs (by lower bound, then column). */
static void sb_sift(double *Cl, int64_t *Cw, int64_t root, int64_t n) {
    for (;;) {
        int64_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && sb_before(Cl, Cw, child + 1, child))
            child++;
        if (!sb_before(Cl, Cw, child, root))
            return;
        sb_swap(Cl, Cw, root, child);
        root = child;
    }
}

/* The set-aside (lower bound, column) pairs, which come in column order, ready to be taken by
 * lower bound then column (the columns are distinct, so the order is total): a few sorted by
 * insertion; more (thousands where the new window has as many identical ones, whose insertion
 * sort was quadratic) made a min-heap, from which sb_take takes them one at a time, as far as
 * they are needed (a walk sets aside ~150 a point and needs ~3: sorting them all took a third
 * of its block update).  Returns whether they are a heap. */
static int sb_order_pairs(double *Cl, int64_t *Cw, int64_t n) {
    int64_t r, s;
    if (n <= 32) {
        for (r = 1; r < n; r++)
            for (s = r; s > 0 && sb_before(Cl, Cw, s, s - 1); s--)
                sb_swap(Cl, Cw, s, s - 1);
        return 0;
    }
    for (r = n / 2 - 1; r >= 0; r--)
        sb_sift(Cl, Cw, r, n);
    return 1;
}

/* Take the next pair (a heap's first, just read) off the heap of ``left`` pairs; sorted pairs
 * are read in place, in turn, and nothing moves. */
static inline void sb_take(double *Cl, int64_t *Cw, int64_t left, int heap) {
    if (heap) {
        sb_swap(Cl, Cw, 0, left - 1);
        sb_sift(Cl, Cw, 0, left - 1);
    }
}

/* The new row's candidates among a tile's columns at one point.  The scan keeps the k smallest
 * upper bounds of the squared distances (U) instead of exact distances, so a falling stretch of
 * the distance profile costs no exact distance: a column is set aside (C: lower bound, column)
 * while its lower bound is under U.  Here the set-aside columns are taken by increasing lower
 * bound, each computed exactly until the lower bounds reach the k-th best distance known; with
 * the exact distances the scan had already taken (L), they enter the row in column order,
 * which is the order a step-by-step scan offers them in.
 *
 * Distances of 0 (identical windows) end it early: once the row is sure of k of them, in the
 * columns ``zc`` holds (the lowest columns of the zeros found, besides those it held before),
 * no column after the last of those can enter it, and none is computed. */
static void sb_resolve(const sb_ctx *c, int64_t qv, double *pq, int64_t *iq, double *Ld,
                       int64_t *Lw, int64_t nL, double *Cl, int64_t *Cw, int64_t nC,
                       double *tmp, int64_t *zc) {
    const int64_t k = c->k, m = c->m;
    int64_t r, s, n0 = nL, w, need = k, nz = 0;
    int heap;
    double d, x;
    memcpy(tmp, pq, k * sizeof(double));
    for (r = 0; r < k; r++)
        need -= pq[r] == 0.0;
    for (r = 0; r < nL; r++) {
        sb_keep(tmp, k, Ld[r]);
        if (Ld[r] == 0.0 && nz < need) /* (the scan's run is in column order) */
            zc[nz++] = Lw[r];
    }
    heap = sb_order_pairs(Cl, Cw, nC);
    for (r = 0; r < nC; r++) {
        const int64_t at = heap ? 0 : r; /* the next in order */
        if (!(Cl[at] < sb_pw(c, tmp[k - 1])))
            break;
        w = Cw[at];
        sb_take(Cl, Cw, nC - r, heap);
        if (need > 0 && nz == need && w > zc[need - 1])
            continue; /* after k zeros in column order: it cannot enter */
        if (c->normalize)
            d = c->cst[w] ? sqrt((double) m)
                          : sb_zpass(c->T + w, c->zt + 3 * w, c->T + qv, c->zt + 3 * qv, m);
        else
            d = sb_pdist(c->T + w, c->T + qv, m, c->p, c->pw);
        sb_keep(tmp, k, d);
        if (d == 0.0 && need > 0) { /* keep the lowest `need` columns of zeros */
            if (nz < need)
                nz++;
            for (s = nz - 1; s > 0 && zc[s - 1] > w; s--)
                zc[s] = zc[s - 1];
            zc[s] = w;
        }
        Ld[nL] = d;
        Lw[nL++] = w;
    }
    for (r = n0 + 1; r < nL; r++) { /* the computed ones back in column order */
        x = Ld[r];
        w = Lw[r];
        for (s = r; s > n0 && Lw[s - 1] > w; s--) {
            Ld[s] = Ld[s - 1];
            Lw[s] = Lw[s - 1];
        }
        Ld[s] = x;
        Lw[s] = w;
    }
    for (r = 0, s = n0; r < n0 || s < nL;) { /* merge the two column-ordered runs */
        if (s >= nL || (r < n0 && Lw[r] < Lw[s])) {
            d = Ld[r];
            w = Lw[r++];
        } else {
            d = Ld[s];
            w = Lw[s++];
        }
        if (d < pq[k - 1])
            sb_insert(pq, iq, k, d, w + c->G);
    }
}

/* Advance the columns [c0, c1) through all points of the block.  X0: their dot products before
 * the block (pdiff: their sums, and E0 their QE); lb[v]: column c0 - 1's after point v - 1
 * (lb[0]: before the block; pdiff: its QE at lb[b + 1 + v]); rb gets column c1 - 1's likewise
 * (b + 1 values, pdiff 2 (b + 1)).  With ``offers`` the distances are taken and offered (part
 * ``part``), and the final values stored in QT (and QE); without, the columns are only
 * replayed. */
SB_CLONES static void sb_tile(const sb_ctx *c, int64_t c0, int64_t c1, const double *X0,
                              const double *E0, const double *lb, double *rb, int offers,
                              int64_t part) {
    const int64_t nt = c1 - c0, m = c->m, k = c->k, b = c->b, R = c->R;
    const double *T = c->T, *Tc = c->Tc;
    double *X = c->buf + part * c->bufsize, *Y = X + (nt + 1);
    double *thr = Y + (nt + 1), *low = thr + nt, *Ld = low + SB_CHUNK, *Cl = Ld + nt;
    double *wa = Cl + nt;
    int64_t *nextc = (int64_t *) (wa + nt); /* z-normalized: the next constant column */
    double *kbuf = (double *) (nextc + nt), *tmp;
    int64_t *Lw = (int64_t *) (kbuf + k), *Cw = Lw + nt, *zc = Cw + nt;
    double *dq = (double *) (zc + k); /* z-normalized: the new window's deviations (m) */
    double *XE = dq + m, *YE = XE + (nt + 1); /* pdiff: X's and Y's QE */
    /* the windows' term of the lower bound: 1/sig (p-norms: 0), NaN for a window holding
     * NaN/inf */
    const double *wis = c->isig + c0;
    /* z-normalized: the columns' Z of their own chain for their rounding bounds (sb_zbound) */
    const double *sb = c->czbar + c0;
    const double sqm = sqrt((double) m);
    int64_t i, i0, i1, v, w, cnt;

    /* pdiff reads the values before the block where they lie (X0, E0), and the last point of a
     * block of several writes them to QT and QE: the copies in and out of the scratch took
     * 7% of a walk's single update, with QE beside QT */
    if (c->pdiff) {
        rb[0] = X0[nt - 1];
        rb[b + 1] = E0[nt - 1];
    } else {
        memcpy(X + 1, X0, nt * sizeof(double));
        X[0] = 0.0;
        rb[0] = X[nt];
    }
    if (offers) {
        /* The scan compares scores W = C0 - (lower bound of the squared distance) with
         * thr = C0 - (k-th best distance)^2.  A window holding NaN/inf is never a candidate:
         * its score is NaN (isig, ss).  z-normalized, W = (1/sq) wa (X + A) with wa = 2/sig
         * and A = al cZ_w + ga the co-moment's bound (sb_zbound): the lower bound
         * 2m - 2 X / (sq sig) - bound, bound = 2 A / (sq sig) + e0.  A constant window scores
         * 0 (isig = 0): its row's threshold is sb_col_thr's, and the new row takes the first k
         * constant windows apart (nextc), at their known distance sqrt(m).  (Separate loops:
         * with one point a block, this runs at every point over every column.) */
        const double *Pk = c->P + c0 * k + k - 1;
        if (c->normalize) {
            const uint8_t *cst = c->cst + c0;
            const double mc = (double) m * (1.0 - 8.0 * 1.1102230246251565e-16), C0 = c->C0;
            int anyc = 0;
            for (i = 0; i < nt; i++) { /* sb_col_thr, in one pass over the rows' k-th best */
                const double p = Pk[i * k];
                thr[i] = p == 0.0 ? INFINITY : (cst[i] ? mc : C0) - p * p;
                anyc |= cst[i];
            }
            for (i = 0; i < nt; i++)
                wa[i] = 2.0 * wis[i];
            nextc[0] = nt; /* (no constant window: none to look for) */
            if (anyc)
                for (i = nt - 1, w = nt; i >= 0; i--)
                    nextc[i] = w = cst[i] ? i : w;
        } else {
            for (i = 0; i < nt; i++)
                thr[i] = sb_row_thr(c, Pk[i * k]);
        }
    }
    for (v = 0; v < b; v++) {
        const int64_t lov = c->lo[v], qv = c->q[v];
        const int64_t s = lov > c0 ? lov : c0, hi = qv + 1 < c1 ? qv + 1 : c1;
        const int64_t r0 = s > lov + 1 ? s : lov + 1;
        if (s >= hi) { /* no column of this tile is live at this point */
            rb[v + 1] = X[nt];
            if (c->pdiff)
                rb[b + 2 + v] = XE[nt];
            continue;
        }
        /* (direct: p other than 1 and 2, every distance computed; nothing to step) */
        if (c->pdiff && offers && v == b - 1 && b > 1) {
            /* the last point's values straight to QT and QE (slot w - c0 + 1: column w) */
            Y = c->QT + c0 - 1;
            YE = c->QE + c0 - 1;
        }
        if (r0 < hi && !c->direct) { /* column w from column w - 1 one point earlier (slot
                                      * w - c0 in X) */
            const double *x = X + (r0 - c0);
            double *y = Y + (r0 - c0 + 1);
            const int64_t len = hi - r0;
            int64_t w0 = r0 + (R - (r0 + c->G) % R) % R;
            if (c->normalize) { /* co-moments (sb_zbound) */
                X[0] = lb[v];
                sb_zcols(c->df + (r0 - 1), c->dg + (r0 - 1), c->df[qv - 1], c->dg[qv - 1], x, y,
                         len);
            } else { /* pdiff: sums of |differences|^p, and their QE (sb_psum) */
                /* the values after the previous point, column c0 + j at j: before the block,
                 * X0 (E0) */
                const double *xc = v ? X + 1 : X0, *ec = v ? XE + 1 : E0;
                const int64_t j = r0 - c0;
                sb_pstep(T + (r0 - 1), T + (r0 + m - 1), T[qv - 1], T[qv + m - 1],
                         j ? xc[j - 1] : lb[v], j ? ec[j - 1] : lb[b + 1 + v], xc + j, ec + j,
                         y, YE + (j + 1), len, c->sq, sb_pce(m) / SB_PTLIM, T + r0, T + qv,
                         m);
            }
            /* every R-th column afresh: no chain of rounding errors is longer than R steps */
            if (c->normalize && w0 < hi)
                sb_devs(Tc + qv, c->mu[qv], c->mc[qv], m, dq);
            for (w = w0; w < hi; w += R) {
                if (c->pdiff) {
                    Y[w - c0 + 1] = sb_psum(T + w, T + qv, m, c->sq);
                    YE[w - c0 + 1] = sb_perr(Y[w - c0 + 1]);
                } else {
                    Y[w - c0 + 1] = sb_dot(c->zdev + ((w + c->G) / R) % c->nzdev * m, dq, m);
                }
            }
        }
        if (lov >= c0 && lov < hi && !c->direct) { /* the first live window: directly */
            if (c->normalize) {
                sb_devs(Tc + qv, c->mu[qv], c->mc[qv], m, dq);
                Y[lov - c0 + 1] = sb_codev(Tc + lov, c->mu[lov], c->mc[lov], dq, m);
            } else {
                Y[lov - c0 + 1] = sb_psum(T + lov, T + qv, m, c->sq);
                YE[lov - c0 + 1] = sb_perr(Y[lov - c0 + 1]);
            }
        }
        tmp = X;
        X = Y;
        Y = tmp;
        rb[v + 1] = X[nt];
        if (c->pdiff) {
            tmp = XE;
            XE = YE;
            YE = tmp;
            rb[b + 2 + v] = XE[nt];
        }
        if (!offers || !c->wvalid[qv])
            continue;
        {
            const int64_t e = qv - c->excl < hi ? qv - c->excl : hi;
            double *pq = c->Pq + (part * b + v) * k;
            int64_t *iq = c->Iq + (part * b + v) * k;
            if (s >= e)
                continue;
            if (c->normalize && c->cst[qv]) {
                for (w = s; w < e; w++)
                    if (c->wvalid[w])
                        sb_offer(c, w, qv, c->cst[w] ? 0.0 : sqm, thr, w - c0, pq, iq);
            } else if (c->direct) {
                /* sb_pdist of each window against the new one, SB_PCHUNK windows at a time:
                 * each term's power for the chunk in one call (full vectors), each window's
                 * terms summed in window order as sb_pdist sums them, so the same bits */
                double acc[SB_PCHUNK], terms[SB_PCHUNK];
                for (int64_t w0 = s; w0 < e; w0 += SB_PCHUNK) {
                    const int64_t nw = e - w0 < SB_PCHUNK ? e - w0 : SB_PCHUNK;
                    for (i = 0; i < nw; i++) acc[i] = 0.0;
                    for (int64_t t = 0; t < m; t++) {
                        const double a = T[qv + t];
                        for (i = 0; i < nw; i++) terms[i] = fabs(T[w0 + i + t] - a);
                        c->pw(terms, nw, c->p, terms);
                        for (i = 0; i < nw; i++) acc[i] += terms[i];
                    }
                    for (i = 0; i < nw; i++)
                        if (c->wvalid[w0 + i])
                            sb_offer(c, w0 + i, qv, pow(acc[i], 1.0 / c->p), thr, w0 + i - c0,
                                     pq, iq);
                }
            } else {
                /* lower bound of the squared distance (p = 1: the distance): the approximate
                 * one less its rounding bound.  z-normalized: X[w] within al cZ_w + ga
                 * (sb_zbound); p-norms: D[w] within its slack (sb_pslack) */
                const double e0 = c->e0, omc = 1.0 - (2.0 * (double) m + 8.0) * SB_U;
                const double ce = sb_pce(m);
                double isq = 0.0, al = 0.0, ga = 0.0;
                if (c->normalize) {
                    isq = 1.0 / c->sig[qv];
                    sb_zbound(m, R, c->M,
                              1.4142135623730951 * c->sbar[qv] + sb_zweight(m) * c->sgbar[qv],
                              &al, &ga);
                }
                double *Uv = c->Uq + (part * b + v) * k;
                int64_t nL = 0, nC = 0;
                const double C0 = c->C0;
                /* the new row, once its k-th best is 0, takes no later column (the columns
                 * come in order, and insertion is strict) */
                const int full = pq[k - 1] == 0.0;
                if (c->normalize && !full) {
                    /* the first k constant windows, all at sqrt(m) from the new row (no later
                     * one can enter it: insertion is strict): set aside for sb_resolve, and
                     * their squared distances, m within rounding, among the row's upper bounds */
                    int64_t taken = 0;
                    for (i = nextc[0] < nt ? nextc[s - c0] : nt; i < e - c0 && taken < k;
                         i = i + 1 < nt ? nextc[i + 1] : nt, taken++) {
                        Cl[nC] = (double) m * (1.0 - 8.0 * 1.1102230246251565e-16);
                        Cw[nC++] = c0 + i;
                        sb_keep(Uv, k, (double) m * (1.0 + 8.0 * 1.1102230246251565e-16));
                    }
                }
                for (i0 = s - c0; i0 < e - c0; i0 += SB_CHUNK) {
                    const double uth = full ? INFINITY : C0 - Uv[k - 1];
                    i1 = i0 + SB_CHUNK < e - c0 ? i0 + SB_CHUNK : e - c0;
                    cnt = 0;
                    if (c->normalize) {
                        for (i = i0; i < i1; i++) {
                            const double W = isq * (wa[i] * (X[i + 1] + (sb[i] * al + ga)));
                            low[i - i0] = W;
                            cnt += (W > thr[i]) | (W > uth);
                        }
                    } else {
                        /* C0 = 0: W = -(lower bound) = sb_pslack - D, as (ce QE + floor)
                         * - omc D, omc = 1 - (2m + 8) u (D >= 0, sb_pstep; the product's and
                         * the difference's rounding, 2 u D, within the (2m + 8) u D left
                         * for them); wis (0, NaN for a window holding NaN/inf) keeps unusable
                         * windows out */
                        for (i = i0; i < i1; i++) {
                            const double W = ((ce * XE[i + 1] + SB_PFLOOR) - X[i + 1] * omc)
                                             + wis[i];
                            low[i - i0] = W;
                            cnt += (W > thr[i]) | (W > uth);
                        }
                    }
                    if (!cnt)
                        continue;
                    for (i = i0; i < i1; i++) {
                        const double W = low[i - i0];
                        double d, lw, ub;
                        /* U may have come down inside the chunk */
                        if (!(W > thr[i] || (!full && W > C0 - Uv[k - 1])))
                            continue;
                        w = c0 + i;
                        if (c->normalize && c->cst[w]) { /* the new row's: below */
                            if (W > thr[i])
                                sb_offer_row(c, w, qv, sqm, thr, i);
                        } else if (W > thr[i]) { /* row j needs the exact distance now */
                            d = c->normalize
                                    ? sb_zpass(T + w, c->zt + 3 * w, T + qv, c->zt + 3 * qv, m)
                                             : sb_pdist(T + w, T + qv, m, c->p, c->pw);
                            sb_offer_row(c, w, qv, d, thr, i);
                            Ld[nL] = d;
                            Lw[nL++] = w;
                            sb_keep(Uv, k, sb_pw(c, d));
                        } else if (!c->normalize && c->cst[w] > k && w - k >= lov) {
                            /* only the new row would take it, and the k windows right before
                             * it are identical to it (cst; live, valid and outside the
                             * exclusion zone, since w is): k equal distances in lower columns,
                             * so it cannot be among the row's first k.  Windows on plateaus
                             * (steps, a square wave, runs of zeros): every window of a plateau
                             * nearer than those before it was set aside, and all were computed
                             * when it was the nearest (steps held 500 points, n = 10000,
                             * m = 50: 1,630 set aside and 820 computed a point, 2x a walk's
                             * time a single update, 4x a block) */
                            continue;
                        } else { /* only the new row: set aside, with its upper bound */
                            lw = C0 - W;
                            ub = lw + 2.0 * (c->normalize
                                                 ? 2.0 * (sb[i] * al + ga) * (isq * wis[i]) + e0
                                                 : sb_pslack(X[i + 1], XE[i + 1], m));
                            Cl[nC] = lw;
                            Cw[nC++] = w;
                            sb_keep(Uv, k, ub);
                        }
                    }
                }
                if (nL || nC)
                    sb_resolve(c, qv, pq, iq, Ld, Lw, nL, Cl, Cw, nC, kbuf, zc);
            }
        }
    }
    if (offers && !c->direct && !(c->pdiff && b > 1)) {
        /* the dot products (sums) of the columns live after the block */
        const int64_t lov = c->lo[b - 1], qv = c->q[b - 1];
        const int64_t s = lov > c0 ? lov : c0, hi = qv + 1 < c1 ? qv + 1 : c1;
        if (s < hi) {
            memcpy(c->QT + s, X + 1 + (s - c0), (hi - s) * sizeof(double));
            if (c->pdiff)
                memcpy(c->QE + s, XE + 1 + (s - c0), (hi - s) * sizeof(double));
        }
    }
}

/* Advance the columns [c0, c1) tile by tile, chaining the boundary values (lb -> rb, swapped
 * into lb2 for the next tile); returns the array holding the last column's values. */
static double *sb_range(const sb_ctx *c, int64_t c0, int64_t c1, const double *X0,
                        const double *E0, double *lb, double *rb, int offers, int64_t part) {
    int64_t t0, t1;
    double *tmp;
    for (t0 = c0; t0 < c1; t0 = t1) {
        t1 = t0 + c->tile < c1 ? t0 + c->tile : c1;
        sb_tile(c, t0, t1, X0 + (t0 - c0), E0 + (t0 - c0), lb, rb, offers, part);
        tmp = lb;
        lb = rb;
        rb = tmp;
    }
    return lb;
}

/* Part t of the block.  lbuf: 4 (b + 1) doubles of its own (two boundaries, each of a value
 * and a QE a point). */
static void sb_part(const sb_ctx *c, int64_t t, double *lbuf) {
    const int64_t L = c->bounds[t], R = c->bounds[t + 1], h = 2 * (c->b + 1);
    double *lb = lbuf, *rb = lbuf + h;
    memset(lb, 0, h * sizeof(double));
    if (L >= R)
        return;
    if (c->hlo[t] < L) /* replay the columns on the left for column L - 1's values */
        lb = sb_range(c, c->hlo[t], L, c->halo + c->hoff[t], c->haloE + c->hoff[t], lb, rb, 0,
                      t);
    sb_range(c, L, R, c->QT + L, c->QE + L, lb, lb == lbuf ? lbuf + h : lbuf, 1, t);
}

/* Claiming a part exactly once (0: free, 1: taken, 2: done), whichever thread gets to it. */
static inline int sb_claim(uint8_t *state) {
#ifdef _MSC_VER
    return _InterlockedCompareExchange8((volatile char *) state, 1, 0) == 0;
#else
    uint8_t expected = 0;
    return __atomic_compare_exchange_n(state, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
#endif
}

static inline void sb_done(uint8_t *state) {
#ifdef _MSC_VER
    _InterlockedExchange8((volatile char *) state, 2);
#else
    __atomic_store_n(state, 2, __ATOMIC_RELEASE);
#endif
}

static inline int sb_state(uint8_t *state) {
#ifdef _MSC_VER
    return _InterlockedOr8((volatile char *) state, 0);
#else
    return __atomic_load_n(state, __ATOMIC_ACQUIRE);
#endif
}

static inline void sb_yield(void) {
#ifdef _MSC_VER
    SwitchToThread();
#else
    sched_yield();
#endif
}

#endif
