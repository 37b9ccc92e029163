/* The largest |x| of every window of m values: a sliding maximum (header-only, for the
 * seeds' margins in _engine.band_max and the near-flat rule in _exact.near_flat).
 *
 * mp_window_top writes top[w - a] for the windows a <= w < b (x[w .. w + m - 1] each), with
 * a deque of decreasing values started afresh at a: a maximum is exact, so the result is the
 * same whatever the cuts of [0, l), and threads may each take a piece.  dq: scratch of
 * b - a + m - 1 entries (offsets from a). */
#ifndef MP_WINDOW_TOP_H
#define MP_WINDOW_TOP_H

#include <math.h>
#include <stdint.h>

static inline void mp_window_top(const double *x, int64_t m, int64_t a, int64_t b, double *top,
                                 int64_t *dq) {
    int64_t head = 0, tail = 0, i;
    for (i = a; i < b + m - 1; i++) {
        const double v = fabs(x[i]);
        while (tail > head && fabs(x[a + dq[tail - 1]]) <= v) tail--;
        dq[tail++] = i - a;
        if (dq[head] <= i - a - m) head++;
        if (i >= a + m - 1) top[i - m + 1 - a] = fabs(x[a + dq[head]]);
    }
}

#endif
