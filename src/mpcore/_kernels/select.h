/* The k-th smallest of n doubles, in place (header-only, for the medians of
 * _exact.common_shift and of _engine's bookkeeping centres).
 *
 * mp_select reorders a[0 .. n) so that a[k] is its k-th smallest value, with nothing larger
 * before it and nothing smaller after it: Hoare's selection with median-of-three pivots.  A
 * range that does not shrink fast enough is sorted instead (16 + 2 log2(n) rounds: a good
 * pivot halves the range in about 1.5), so the worst case is O(n log n).  No NaN in a. */
#ifndef MP_SELECT_H
#define MP_SELECT_H

#include <stdint.h>
#include <stdlib.h>

static int mp_cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline void mp_select(double *a, int64_t n, int64_t k) {
    int64_t lo = 0, hi = n - 1, budget = 16, size = n;
    double t;
    while (size > 1) {
        size >>= 1;
        budget += 2;
    }
    while (hi > lo) {
        if (budget == 0) {
            qsort(&a[lo], (size_t)(hi - lo + 1), sizeof(double), mp_cmp_double);
            return;
        }
        budget -= 1;
        const int64_t mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) { t = a[mid]; a[mid] = a[lo]; a[lo] = t; }
        if (a[hi] < a[lo]) { t = a[hi]; a[hi] = a[lo]; a[lo] = t; }
        if (a[hi] < a[mid]) { t = a[hi]; a[hi] = a[mid]; a[mid] = t; }
        const double pivot = a[mid];
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                t = a[i]; a[i] = a[j]; a[j] = t;
                i++;
                j--;
            }
        }
        /* a[lo..j] <= pivot <= a[i..hi], and everything between equals the pivot */
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return;
    }
}

#endif
