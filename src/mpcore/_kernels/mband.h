/* Multi-dimensional matrix profile kernel (mSTAMP): d channels at once, one pass over diagonals.
 *
 * A cell (i, j = i + g) of a self-join keeps one running co-moment per channel (z-normalized) or
 * one running sum of |a - b|^p per channel (non-normalized), turns them into d distances, puts
 * the `include`d channels first (the caller orders the channels so that they are 0..nfix-1) and
 * sorts the others (ascending, or descending for discords) with a sorting network, then offers
 * the running sums s_k = dist[0] + ... + dist[k] to row i and to row j: the k-dimensional profile
 * is min_j s_k / (k + 1).  The pair is symmetric, so each diagonal g > exclusion zone is walked
 * once.  Lanes are MPM_L neighbouring diagonals at one row, so every step (recurrence, distance,
 * sorting network compare-exchange, running sum, threshold test) is a vector min/max/FMA.
 *
 * Per thread the state is the best sum and its index for every (k, window): O(d l) memory.  Ties
 * go to the lowest index, so the result does not depend on how the diagonals were split.  The
 * reported distances are recomputed exactly afterwards (mpm_refine).
 *
 * Two strips compute the same bits: a generic one (any d, include, any p; lanes in memory, the
 * network read at run time) and, on x86-64 CPUs with AVX2, one compiled for each d <= 16 for
 * profiles without include, z-normalized or with p = 1 or 2, whose d running sums, distances
 * and sorting network stay in registers (about 4x faster at d = 10).  MPCORE_MBAND_GENERIC=1 in the environment
 * forces the generic one (the tests compare the two).
 */
#ifndef MPCORE_MBAND_H
#define MPCORE_MBAND_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mpm_mode { MPM_ZNORM = 0, MPM_P2 = 1, MPM_P1 = 2, MPM_P = 3 };

/* Diagonals per strip (the lanes); every per-window array has MPM_PAD entries past the last
 * window (bad = +inf there), so a strip may run past the end without bounds checks. */
#define MPM_L 8
#define MPM_PAD 64

typedef struct {
    int64_t d, m, l;
    int64_t stride;     /* row length of every (d, stride) array below; >= n + MPM_PAD */
    int mode;
    double p;
    int64_t reseed;     /* recompute the running sums exactly every `reseed` rows */
    int64_t nfix;       /* channels 0..nfix-1 are always included, in that order: not sorted */
    int discords;       /* sort the other channels descending */
    int clean;          /* z-norm: no window in 0..l-1 is constant or non-finite (half and bad
                         * are 0 there), so the fast path may skip adding them */
    double snap;        /* z-norm: squared distances below this rank as 0: exact repeats then
                         * tie exactly (lowest index) instead of by rounding (p-norms: unused,
                         * their sums are recomputed exactly where rounding could hide a 0) */
    const double *T;    /* kernel series: non-finite -> 0, shifted (z-norm) and scaled */
    const double *mu, *df, *dg;  /* z-norm: window means and the co-moment update terms */
    const double *w;    /* z-norm: 1 / norm of the centred window, 0 if constant or invalid */
    const double *half; /* z-norm: 0.5 for a constant window, else 0 */
    const double *bad;  /* +inf for a window holding a non-finite value (and the padding) */
    const uint8_t *flat; /* z-norm: 1 for a window near-flat against its channel's scale, whose
                          * co-moments the recurrence's rounding could swamp; where there is
                          * one, the strips track that rounding (mpm_strip_generic); NULL
                          * where there is none */
    const int32_t *net; /* sorting network over channels nfix..d-1: pairs (a, b), a < b */
    int64_t nnet;
    /* a general p's powers in the strips' steps: the band kernel's in use (mp_pow_fn of
     * band.h, vector code) */
    void (*pw)(const double *x, int64_t n, double p, double *out);
} mpm_params;

/* Best sums: best[k * stride + i] and idx[k * stride + i]; start at +inf and -1. */
int64_t mpm_strip(const mpm_params *pr, int64_t g0, double *best, int64_t *idx,
                  const volatile int *cancel);

/* Take strips (first diagonals) from *next until none is left; *done counts the cells.
 * Returns 0, or -1 when *cancel became non-zero. */
int mpm_run_worker(const mpm_params *pr, const int64_t *strips, int64_t nstrips, int64_t *next,
                   int64_t *done, double *best, int64_t *idx, const volatile int *cancel);

/* z-norm: the mean (with the residual of its first pass apart, corr: the window is centred as
 * (x - mean) - corr) and 1 / std of every window r0 <= i < r1 of every channel, as mpm_refine
 * computes them (0, 0 and 0 for a non-finite or constant window; 1 / std = 0 also where the
 * centred window is all zeros after rounding).  mean, corr, isd: (d, stride). */
void mpm_window_stats(const mpm_params *pr, const double *E, const uint8_t *cst, double *mean,
                      double *corr, double *isd, int64_t r0, int64_t r1);

/* Exact distances: for rows r0 <= i < r1 and every k with j = I[k * l + i] >= 0, the mean of the
 * first k+1 exact per-channel distances of (i, j) ordered as in the kernel; inf where j < 0.
 * E is the unshifted exact series (d, stride), cst the constant flags (d, stride).  scratch
 * holds 2 d doubles.  mean, corr and isd (z-norm, optional: NULL recomputes them for every
 * pair) are mpm_window_stats of every window; the result is the same, bit for bit, either way. */
void mpm_refine(const mpm_params *pr, const double *E, const uint8_t *cst, const int64_t *I,
                double *P, int64_t r0, int64_t r1, double *scratch, const double *mean,
                const double *corr, const double *isd);

#ifdef __cplusplus
}
#endif
#endif
