/* Public interface of the diagonal-band kernels (C, called from Cython with the GIL released).
 *
 * A "pass" joins the windows of a row series X with those of a column series Y along the
 * diagonals d = c - r >= 0 (cell (r, c) with c = r + d).  A self-join is one pass of T with itself
 * over d > exclusion zone (rows give the right profile, columns the left one); an AB-join is the
 * pass (A, B) over d >= 0 plus the pass (B, A) over d >= 1 whose columns belong to A.
 *
 * The kernels rank candidates by a score where higher is better (Pearson correlation, or minus
 * the p-th power of the p-norm distance); NaN scores never win.  Ties are broken by the lowest
 * index, so the top-k of any set of candidates is unique and results do not depend on how the
 * work was split.  Exact distances are recomputed afterwards, so the kernels only have to rank.
 */
#ifndef MPCORE_BAND_H
#define MPCORE_BAND_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mp_mode { MP_ZNORM = 0, MP_AAMP_P2 = 1, MP_AAMP_P1 = 2, MP_AAMP_P = 3 };

/* Width in diagonals of one band; the band's covariances (8 * MP_BAND bytes) stay in L1. */
#define MP_BAND 256
/* Every per-window and series array is allocated with this many extra entries, so that the
 * vector loop may run past the last window of a band without bounds checks. */
#define MP_PAD (MP_BAND + 64)

typedef struct {
    const double *T;   /* series, non-finite values replaced by 0 */
    const double *mu;  /* window means (z-normalized mode) */
    /* The part of each mean that mu could not hold (mean = mu + mulo, a double-double), or
     * NULL for none: deviations are formed as (x - mu) - mulo, exact to their own rounding
     * however far the window's level lies above its spread (a plateau of 1e3 + 1e-7 noise) */
    const double *mulo;
    const double *df;  /* (T[i+m] - T[i]) / 2 */
    const double *dg;  /* ((T[i+m] - mu[i+1]) - mulo[i+1]) + ((T[i] - mu[i]) - mulo[i]) */
    const double *w;   /* 1/norm of the centred window, or 1.0 (aamp); NaN marks an unusable window */
    int64_t l;         /* number of windows */
    /* Rounding bookkeeping (z-normalized mode; NULL in the others, or to turn it off).  Step i of
     * a diagonal's recurrence adds df_r dg_c + dg_r df_c.  Its operands are rounded relative to
     * the values and means they are formed from (df, dg, and the means behind dg), and the
     * products relative to themselves, so to first order the step's rounding is at most
     * MP_ROUND (e_r h_c + h_r e_c), with the value scale e_i = |df_i| + |dg_i| + |T_i| + |T_i+m|
     * + |mu_i| + |mu_i+1| and the step scale h_i = |df_i| + |dg_i|: an operand's rounding is
     * multiplied by the other side's step, never by its value (a product e_r e_c would
     * charge every pair of an offset or a random walk for its level, and track them all).
     * With mulo, the operands are formed from deviations (x - mu) - mulo, each rounded
     * relative to itself, so the value scale is that of the deviations: e_i = |df_i| + |dg_i|
     * + |dev_i| + |dev_i+m| + 2^-40 (|mu_i| + |mu_i+1|) (the double-double means' own error,
     * far below that), and a plateau far above its spread is bounded as tightly as a walk
     * (_engine._series_e).
     * The rounding stays in the co-moment until the next reseed: an outlier leaves ~1e-16 of its
     * square there, which would swamp the co-moments of quiet windows further on.  eblk, hblk
     * and wblk hold the maxima of e, h and w (NaN as 0) over blocks of MP_BAND positions. */
    const double *e;
    const double *h;
    const double *eblk;
    const double *hblk;
    const double *wblk;
    /* (z-normalized mode, or NULL) The largest e and h over positions [i, i + MP_SLIDE) (0 past
     * the windows): a row whose steps are too large somewhere in its band (an edge of a
     * plateau, a spike) is tracked only in the vectors of lanes whose own columns could leave
     * that much (band_impl.h, mixed_rows_), not in all MP_BAND of them. */
    const double *eslide;
    const double *hslide;
    /* p-norms: the magnitudes behind the bound, measured from a centre near the windows
     * instead of the kernel series' 0: zblk holds each block's centre z (the median of the
     * values of its group of blocks, at least m positions), e_i = |T_i - z|^p + |T_i+m - z|^p
     * and q_i = the sum of |T - z|^p over window i (z: its block's).  A step of a diagonal
     * through (r, c) adds |b|^p - |a|^p with a = (T_r - z_r) - (T_c - z_c) + (z_r - z_c), so
     * |a|^p + |b|^p <= 3^(p-1) (e_r + e_c + 2 |z_r - z_c|^p), and a pair's distance^p is at
     * most 3^(p-1) (q_r + q_c + m |z_r - z_c|^p).  From 0 instead (a single z for all), a
     * level 1e8 above the rest made every window of it look as large as its level: a bump
     * of 1e6 inside it stepped by less than MP_SCORE_TOL of those magnitudes, so its rows
     * ran in the lean loop, and their rounding (~ulp of the bump's sums) ranked the level's
     * neighbours, whose distances are ~1e-12 of those magnitudes.  qblk: the block minima of
     * q. */
    const double *q;
    const double *qblk;
    const double *zblk;
    /* 0, or preSCRIMP's sampling step: its samples are the windows at multiples of it.  As the
     * column series of a band, its sampled lanes (a regular stride of them) are scored into the
     * sparse tables (srows, scols) in scalar code while the recurrence of every diagonal runs in
     * vector code; as the row series (z-normalized mode), only its sampled rows are scored into
     * rows and cols.  So one pass of a series with itself gives both of preSCRIMP's sides:
     * each sample's whole profile, and each window's offers from the samples. */
    int64_t sample;
    /* p-norms: nonzero where finalize offers every window the windows identical to it
     * (mpcore/_twins.py).  The bound on a band's rounding (qblk, the block minima of q) then
     * leaves out the windows whose q is 0 (all their values at their block's centre z: a
     * zero-filled gap, a plateau), so that one such window does not send its whole band down
     * the tracked path; two such windows' scores may carry that rounding, which matters to
     * none: two of one centre are identical (a row with enough of them is settled before the
     * pass, and finalize offers the others theirs), two of centres apart are m |z_r - z_c|^p
     * apart, which their steps' rounding (2 |z_r - z_c|^p each) cannot approach.  0: every
     * pair is guarded (scrump's partial passes, which have no twins). */
    int zeros_settled;
} mp_series;

/* Bound on the rounding error of a kernel score (a correlation) that the kernels keep: rows
 * whose steps could leave more than this, relative to the quietest pair they may later reach,
 * are run with the error of every diagonal tracked, and a diagonal is recomputed exactly before
 * its error would exceed it.  The exact refinement then only ever sees candidates ranked to
 * within this of their true correlation. */
#define MP_SCORE_TOL 1e-8
/* Positions covered by one entry of mp_series.eslide and hslide: at least the columns a vector
 * of lanes meets in a block of rows (W + MP_ROWS - 1, checked in band_impl.h) */
#define MP_SLIDE 16
#define MP_ROUND (4.0 * 2.220446049250313e-16) /* eps, with room for the terms' own rounding */

typedef struct {
    double *P;    /* l*k scores, best first */
    int64_t *I;   /* l*k indices, -1 where empty */
    double *thr;  /* l (+MP_PAD) k-th best score; +inf in the padding */
    int64_t k;
    /* Equal scores: 0, the lower index wins (a right table, an AB-join's); 1, the higher (a
     * self-join's left table, where STUMPY's order takes the nearest in time, the last one
     * before the row).  Exact ties of windows that are not identical (integer data, p-norms)
     * then come in STUMPY's order on both sides; identical ones finalize orders anyway. */
    int later;
} mp_topk;

/* Whether (s, idx) goes before the entry (P, I) of a table under its order */
#define MP_BEFORE(tk, s, idx, P, I) ((s) > (P) || ((s) == (P) && ((tk)->later ? (idx) > (I) : (idx) < (I))))

typedef struct {
    int mode;
    int64_t m;
    double p;
    int64_t reseed;  /* recompute the band's covariances exactly every `reseed` rows */
} mp_params;

/* Run the diagonals [d0, d1) (d1 - d0 <= MP_BAND) of a pass; rows/cols may be NULL when that side
 * is not wanted; srows/scols (the sides of the cells in Y's sampled columns, see
 * mp_series.sample) are NULL unless Y is sampled.  Returns the number of cells evaluated, or -1
 * when *cancel became non-zero. */
typedef int64_t (*mp_band_fn)(const mp_params *, const mp_series *X, const mp_series *Y,
                              int64_t d0, int64_t d1, mp_topk *rows, mp_topk *cols,
                              mp_topk *srows, mp_topk *scols, double *scratch,
                              const volatile int *cancel);

int64_t mp_band_baseline(const mp_params *, const mp_series *, const mp_series *, int64_t, int64_t,
                         mp_topk *, mp_topk *, mp_topk *, mp_topk *, double *,
                         const volatile int *);
int64_t mp_band_avx2(const mp_params *, const mp_series *, const mp_series *, int64_t, int64_t,
                     mp_topk *, mp_topk *, mp_topk *, mp_topk *, double *, const volatile int *);
int64_t mp_band_avx512(const mp_params *, const mp_series *, const mp_series *, int64_t, int64_t,
                       mp_topk *, mp_topk *, mp_topk *, mp_topk *, double *,
                       const volatile int *);

/* Diagonal-list entry (scrump): the diagonals diags[0..nd) of a pass (each d >= 0, in any order
 * and as scattered as they come; nd <= MP_BAND), run in blocks of rows so that the rows' arrays
 * stay in cache while every diagonal of the list streams its columns.  Vector lanes hold
 * consecutive rows of one diagonal, the recurrence summed along them as a prefix sum.  Each
 * diagonal's scores depend only on the diagonal (not on the list it came in), so results do not
 * depend on how diagonals were grouped or shared among threads.  `scratch` holds >= 5 nd doubles.
 * Returns the number of cells evaluated, or -1 when *cancel became non-zero. */
typedef int64_t (*mp_diags_fn)(const mp_params *, const mp_series *X, const mp_series *Y,
                               const int64_t *diags, int64_t nd, mp_topk *rows, mp_topk *cols,
                               double *scratch, const volatile int *cancel);

int64_t mp_diags_baseline(const mp_params *, const mp_series *, const mp_series *,
                          const int64_t *, int64_t, mp_topk *, mp_topk *, double *,
                          const volatile int *);
int64_t mp_diags_avx2(const mp_params *, const mp_series *, const mp_series *, const int64_t *,
                      int64_t, mp_topk *, mp_topk *, double *, const volatile int *);
int64_t mp_diags_avx512(const mp_params *, const mp_series *, const mp_series *, const int64_t *,
                        int64_t, mp_topk *, mp_topk *, double *, const volatile int *);

/* Seeds (z-normalized mode): lower bounds of the best score of every row (rowmax, X's windows)
 * and column (colmax, Y's windows) over the diagonals [d0, d1) (d1 - d0 <= MP_BAND) of a pass,
 * each a real pair's score lowered by a margin far above the kernels' rounding; both arrays
 * start at -inf (colmax holds Y->l + MP_PAD entries) and are only raised.  With ng groups
 * (1 <= ng <= MP_SEED_GROUPS), the band's diagonal d0 + j belongs to group j % ng, and each
 * group keeps its own maxima (rowmax holds ng * X->l entries, group g's from g * X->l; colmax
 * ng * (Y->l + MP_PAD)): a row's groups' maxima are scores of ng distinct pairs, so their least
 * bounds the row's ng-th best from below (the top-k seeds).  Only rows [r0, r1)
 * are run (r0 a multiple of the reseed period, where the recurrence restarts anyway, so rows cut
 * into such ranges give the very bits of one run; they touch columns [r0 + d0, r1 + d1 + W)).
 * ex, ey: the series' e of mp_series; tx, ty: each window's largest |T| (Y's of both with MP_PAD
 * entries, 0 in the padding); scratch: 3 * (MP_BAND + 64). */
#define MP_SEED_GROUPS 16
typedef void (*mp_bandmax_fn)(const mp_params *, const mp_series *X, const mp_series *Y,
                              int64_t d0, int64_t d1, int64_t r0, int64_t r1, int64_t ng,
                              double *rowmax, double *colmax, const double *ex,
                              const double *ey, const double *tx, const double *ty,
                              double *scratch);

void mp_band_max_baseline(const mp_params *, const mp_series *, const mp_series *, int64_t,
                          int64_t, int64_t, int64_t, int64_t, double *, double *,
                          const double *, const double *, const double *, const double *,
                          double *);
void mp_band_max_avx2(const mp_params *, const mp_series *, const mp_series *, int64_t, int64_t,
                      int64_t, int64_t, int64_t, double *, double *, const double *,
                      const double *, const double *, const double *, double *);
void mp_band_max_avx512(const mp_params *, const mp_series *, const mp_series *, int64_t,
                        int64_t, int64_t, int64_t, int64_t, double *, double *, const double *,
                        const double *, const double *, const double *, double *);

/* out[i] = x[i]^p for i < n (x >= 0; out may be x): the powers a general p-norm's kernel
 * computes (vpow.h), each value's bits its own whatever its neighbours. */
typedef void (*mp_pow_fn)(const double *x, int64_t n, double p, double *out);
void mp_pow_baseline(const double *, int64_t, double, double *);
void mp_pow_avx2(const double *, int64_t, double, double *);
void mp_pow_avx512(const double *, int64_t, double, double *);

/* Runtime dispatch: names of the kernels this build has and this CPU runs ("avx512", "avx2",
 * "baseline"), best first. */
int mp_kernel_count(void);
const char *mp_kernel_name(int i);
mp_band_fn mp_kernel_get(int i);
/* The diagonal-list entry of kernel i (same instruction set as mp_kernel_get(i)). */
mp_diags_fn mp_diags_kernel_get(int i);
/* The seeds' pass of kernel i (same instruction set). */
mp_bandmax_fn mp_bandmax_kernel_get(int i);
/* The powers of kernel i (same instruction set). */
mp_pow_fn mp_pow_kernel_get(int i);

/* One pass: indices into the worker's series and tables (-1: that side is not wanted; srows
 * and scols: the sides of the cells in Y's sampled columns, see mp_series.sample). */
typedef struct {
    int x, y, rows, cols, srows, scols;
} mp_pass;

/* The workers of one call, for each to raise its tables' thresholds to the others' (see
 * mp_run_worker): slots[w * ntables + t] is worker w's table t's thr, NULL until worker w has
 * begun.  A table's thr is written only by its own worker, always with MP_STORE_THR (a relaxed
 * atomic store: its peers read it at any time with MP_LOAD_THR). */
typedef struct {
    int64_t nworkers, ntables;
    double **slots;
} mp_peers;

#if defined(_MSC_VER)
/* (MSVC: volatile accesses of aligned 8-byte values are atomic, and ordered as needed here) */
#define MP_STORE_THR(p, v) (*(volatile double *)(p) = (v))
#define MP_LOAD_THR(p) (*(const volatile double *)(p))
#else
#define MP_STORE_THR(p, v)                                                                 \
    do {                                                                                   \
        double mp_thr_ = (v);                                                              \
        __atomic_store((double *)(p), &mp_thr_, __ATOMIC_RELAXED);                         \
    } while (0)
static inline double mp_load_thr_(const double *p) {
    double v;
    __atomic_load((double *)p, &v, __ATOMIC_RELAXED);
    return v;
}
#define MP_LOAD_THR(p) mp_load_thr_(p)
#endif

/* A worker thread's loop: take the next band from the shared counter `next` (bands are rows of
 * three: pass, d0, d1), run it into this worker's own tables, add its cells to `done`.  Several
 * workers share one band list and counter; each has private tables, so no locks are needed.
 * With `peers` (this worker number `me`), before each band the worker raises the thresholds of
 * the rows and columns the band meets to the largest of its peers': each peer's table holds
 * an entry at least that good (or the same seed), which the merge will keep, so a candidate
 * below it cannot be in the result, and the worker need not take it (its rare path).  This
 * changes which candidates a worker's tables hold, never the merged tables' best entries.
 * Returns 0, or -1 when *cancel became non-zero. */
int mp_run_worker(mp_band_fn fn, const mp_params *pr, const mp_series *series,
                  const mp_pass *passes, const int64_t *bands, int64_t nbands, int64_t *next,
                  int64_t *done, mp_topk *tables, double *scratch, const volatile int *cancel,
                  mp_peers *peers, int64_t me);

/* The same loop over groups of scattered diagonals: `groups` are rows of three (pass, start,
 * end) into `diags`, each group run by one call of `fn` (end - start <= MP_BAND). */
int mp_run_worker_diags(mp_diags_fn fn, const mp_params *pr, const mp_series *series,
                        const mp_pass *passes, const int64_t *diags, const int64_t *groups,
                        int64_t ngroups, int64_t *next, int64_t *done, mp_topk *tables,
                        double *scratch, const volatile int *cancel);

/* Insert (s, idx) into row `row` of a top-k table if it belongs there. */
void mp_topk_insert(mp_topk *tk, int64_t row, double s, int64_t idx);

#ifdef __cplusplus
}
#endif
#endif
