// mpcore CUDA kernel: one matrix-profile "pass" over a range of diagonals.
//
// Contract (shared with the CPU core; see mpcore_cuda.h for the ABI):
//   cells (r, c = r + d), d in [d_start, d_stop), 0 <= r < lX, c < lY.
//   mode 0  score = cov(r,c) * X.w[r] * Y.w[c]      (Pearson correlation)
//           cov(r+1,c+1) = cov + Y.df[c]*X.dg[r] + Y.dg[c]*X.df[r]
//   mode 1  score = -acc * X.w[r] * Y.w[c],  acc = sum (X.T[r+t]-Y.T[c+t])^2
//           acc(r+1,c+1) = acc - (X.T[r]-Y.T[c])^2 + (X.T[r+m]-Y.T[c+m])^2
//   mode 2  as mode 1 with |x|^p.
//   Each row keeps its k best columns and each column its k best rows under the
//   total order "higher score wins, equal score -> lower index wins" (or, for a
//   side marked `later`, the higher index: a self-join's left table, where
//   STUMPY's order takes the nearest window before the row); NaN never wins.
//   Results do not depend on the launch configuration or on timing.
//
// Layout (the "why"):
//   * A block owns a band of BW = NT*DPT consecutive diagonals and a chunk of
//     RC rows of it (a "work item").  Each thread owns DPT consecutive
//     diagonals, so at one row its DPT cells sit on DPT consecutive columns.
//     Going down one row, a thread's column window slides by one: only ONE new
//     column is read from shared memory per row, and the window lives in
//     registers as a circular buffer whose indices are compile-time constants
//     thanks to unrolling by DPT rows.
//   * Each work item is seeded with the exact O(m) float64 dot product, so
//     recurrence drift is bounded by RC rows, as on the CPU.
//   * The hot loop only FILTERS.  Per cell: two FP64 FMAs advance the
//     recurrence and one DMUL + one DFMA give q = C - score (C = 2 for
//     correlations, 1 for minus p-th powers, so q >= ~1 and q > 0 always).
//     For positive doubles the high 32 bits order like the values, so a cell
//     is a candidate when hi32(q) <= the row's or the column's threshold key
//     (integer compares: they run on the INT pipe, not on the FP64 pipe that
//     bounds this recurrence).  A key is hi32(C - kth best score) + 1: the +1
//     absorbs the rounding difference between q and C - score, so the filter
//     never drops a cell that could enter a table.  NaN scores (invalid
//     windows) give NaN q, whose key is above every finite key.
//   * Candidates are rare after the first rows (thresholds start from the
//     caller's seeds, a lower bound of each row's best).  A warp with one takes
//     the slow path: the exact float64 score of the same recurrence, a
//     lock-protected insertion into the global top-k of the row (k = 1: one
//     warp-reduced merge per row) and of the column.
//   * Threshold keys live in shared memory, written only while a sub-tile is
//     staged (between barriers) and read-only while it runs: no shared-memory
//     races.  A thread that improves a column lowers its own register copy of
//     that column's key.
#include "mpcore_cuda.h"

#include <cuda/atomic>
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

namespace {

// The shape below is the one measured best; the macros exist so that
// benchmarks/gpu_check.sh can time other shapes (VARIANTS) without editing.
#ifndef MPCORE_NT
#define MPCORE_NT 128
#endif
#ifndef MPCORE_TH
#define MPCORE_TH 256
#endif
constexpr int NT = MPCORE_NT;  // threads per block
constexpr int TH = MPCORE_TH;  // rows per shared-memory sub-tile (fewer barriers: 256 beat 128)
constexpr int RC = 4096;       // rows per work item = exact re-seed interval
constexpr unsigned FULL = 0xffffffffu;

#ifndef MPCORE_MINB
#define MPCORE_MINB 4  // blocks per SM the register budget is sized for (128 registers)
#endif
#ifndef MPCORE_DPT
#define MPCORE_DPT 8
#endif
#ifndef MPCORE_MINB_P
// p-norms: their drift bookkeeping needs the registers of 3 blocks of 128 threads per SM
#define MPCORE_MINB_P (MPCORE_MINB * 3 / 4)
#endif
#ifndef MPCORE_DEFER
// 1: a row with a candidate only records its exact scores and keys; the slow path runs once
// per DPT rows, for the rows recorded (see the kernel).  A variant, to be measured.
#define MPCORE_DEFER 0
#endif
constexpr int DPT = MPCORE_DPT;  // diagonals (and columns) per thread
constexpr int BW = NT * DPT;     // diagonals per band
constexpr int NC = TH + BW;      // columns staged per sub-tile
static_assert(TH % DPT == 0 && RC % TH == 0 && NC % DPT == 0 && TH % NT == 0, "tiling");
static_assert(!MPCORE_DEFER || DPT < 32, "MPCORE_DEFER: a row's cells and a group's rows are bits of a word");

struct Args {
    long long m;
    double p;
    int k;
    long long lX, lY;
    const double *xT, *xmu, *xdf, *xdg, *xw;
    const double *yT, *ymu, *ydf, *ydg, *yw;
    long long d_start, d_stop;     // d_stop already clipped to lY
    const long long *band_prefix;  // work items before band b
    long long nbands, item_base;
    double *rs; long long *ri; unsigned *rlock; const double *rhint;  // row side (may be null)
    double *cs; long long *ci; unsigned *clock; const double *chint;  // column side (may be null)
    int rlater, clater;  // equal scores: the higher index wins on that side
};

struct Smem {
    // Column v of the sub-tile lives at [v % DPT][v / DPT] so that the 32
    // lanes of a warp (which read columns DPT apart) hit consecutive words.
    double col[3][DPT][NC / DPT];  // 0: w, 1: df | T[c], 2: dg | T[c+m]
    int ckey[DPT][NC / DPT];       // column threshold keys
    double2 row_wa[TH];            // w, df | T[r]
    double2 row_bk[TH];            // dg | T[r+m], threshold key (in the low word)
};

template <int MODE> __device__ __forceinline__ double qconst() { return MODE == 0 ? 2.0 : 1.0; }

// Key of "k-th best score s": a cell whose q key is <= it may beat s.
template <int MODE> __device__ __forceinline__ int thr_key(double s) {
    if (!(s > -INFINITY)) return INT_MAX;  // empty slot (or NaN): every cell may enter
    const int hi = __double2hiint(qconst<MODE>() - s);
    return hi < 0 ? hi : hi + 1;  // q > 0 for any reachable s, so hi + 1 cannot overflow
}

// One window's staged operands: its weight w, its two recurrence terms (df, dg, or T[i] and
// T[i + m]) and its threshold key (INT_MIN where the side is not wanted), from its table's
// k-th best score or the caller's hint where that is higher.  The score is a filter's value:
// one older than the latest is lower (scores only rise), which lets more cells through and
// never changes a result; hence a plain L2 load (__ldcg), not a volatile one.  Past the series
// (idx >= l): w = NaN, terms 0, key INT_MIN, never a candidate.  The loads use a clamped,
// always valid index and no branch, so a staging loop keeps several windows' loads in flight
// at once (with a branch per window, each window waited for its own round trip to L2).
template <int MODE>
__device__ __forceinline__ void stage_window(const double *T, const double *df, const double *dg,
                                             const double *W, long long l, long long m,
                                             const double *S, const double *hint, int k,
                                             long long idx, double &w, double &va, double &vb,
                                             int &key) {
    const bool ok = idx < l;
    const long long i = ok ? idx : l - 1;
    w = W[i];
    va = MODE == 0 ? df[i] : T[i];
    vb = MODE == 0 ? dg[i] : T[i + 1 < l ? i + m : i];  // T[i + m] exists for i + 1 < l only
    // (W + i stands in for a missing array: every load is issued, none waits for a branch)
    const double kth = __ldcg(S ? S + i * k + k - 1 : W + i);
    const double floor = __ldg(hint ? hint + i : W + i);
    key = S ? thr_key<MODE>(hint ? fmax(kth, floor) : kth) : INT_MIN;
    if (MODE != 0 && !(i + 1 < l)) vb = 0.0;
    if (!ok) {
        w = NAN;
        va = vb = 0.0;
        key = INT_MIN;
    }
}

// Whether (v, idx) goes before (w, jdx): the higher score, then the lower index
// (the higher with later).
__device__ __forceinline__ bool before(double v, long long idx, double w, long long jdx, int later) {
    return v > w || (v == w && (later ? idx > jdx : idx < jdx));
}

// Exact insertion of (v, idx) into the sorted k-list at pos, under a per-entry
// spin lock.  Pre-tested without the lock on the score alone: the k-th score
// never decreases, so a strictly smaller v can never enter.  Returns the k-th
// score after the insertion (or the pre-test value).
__device__ __forceinline__ double offer(double *S, long long *I, unsigned *L, long long pos, int k, double v,
                        long long idx, int later) {
    double *P = S + pos * k;
    long long *J = I + pos * k;
    const double pre = __ldcg(P + k - 1);  // (a pre-test: an older value only lets more in)
    if (!(v >= pre)) return pre;
    // acquire/release on the lock word orders the entries' accesses (two full fences, as
    // before, cost 3% of the kernel at n = 2^20)
    cuda::atomic_ref<unsigned, cuda::thread_scope_device> lock(L[pos]);
    unsigned free = 0u;
    while (!lock.compare_exchange_weak(free, 1u, cuda::memory_order_acquire, cuda::memory_order_relaxed)) {
        free = 0u;
        __nanosleep(32);
    }
    volatile double *vP = P;
    volatile long long *vJ = J;
    if (before(v, idx, vP[k - 1], vJ[k - 1], later)) {
        int q = k - 1;
        while (q > 0 && before(v, idx, vP[q - 1], vJ[q - 1], later)) {
            vP[q] = vP[q - 1];
            vJ[q] = vJ[q - 1];
            --q;
        }
        vP[q] = v;
        vJ[q] = idx;
    }
    const double kth = vP[k - 1];
    lock.store(0u, cuda::memory_order_release);
    return kth;
}

// Exact O(m) seeds (float64, fixed summation order) of the thread's diagonals
// at cell (r, c0 + j); NaN for diagonals with no cell in this chunk.
template <int MODE>
__device__ void seed(const Args &a, long long r, long long c0, int nvalid, double out[DPT]) {
    double acc[DPT];
#pragma unroll
    for (int j = 0; j < DPT; ++j) acc[j] = 0.0;
    const double *xt = a.xT + r;
    const double *yt = a.yT + c0;
    const double mx = MODE == 0 ? __ldg(a.xmu + r) : 0.0;
    double my[DPT];
#pragma unroll
    for (int j = 0; j < DPT; ++j) my[j] = (MODE == 0 && j < nvalid) ? __ldg(a.ymu + c0 + j) : 0.0;
    for (long long t = 0; t < a.m; ++t) {
        const double x = __ldg(xt + t);
#pragma unroll
        for (int j = 0; j < DPT; ++j) {
            if (j < nvalid) {
                const double y = __ldg(yt + j + t);
                if (MODE == 0) {
                    acc[j] = fma(x - mx, y - my[j], acc[j]);
                } else {
                    const double e = x - y;
                    acc[j] = MODE == 1 ? fma(e, e, acc[j]) : acc[j] + pow(fabs(e), a.p);
                }
            }
        }
    }
#pragma unroll
    for (int j = 0; j < DPT; ++j) out[j] = j < nvalid ? acc[j] : (double)NAN;
}

// The exact O(m) value of one p-norm cell (r, c): the seed's sum, in the seed's order.
template <int MODE>
__device__ __noinline__ double exact_acc(const Args &a, long long r, long long c) {
    double acc = 0.0;
    for (long long t = 0; t < a.m; ++t) {
        const double e = __ldg(a.xT + r + t) - __ldg(a.yT + c + t);
        acc = MODE == 1 ? fma(e, e, acc) : acc + pow(fabs(e), a.p);
    }
    return acc;
}

// p-norm drift.  A running sum that passed through large terms (a spike, a level far from
// the other windows' values) keeps their rounding after they leave: after S <= RC steps
// from an exact value it is within 2^-40 * S/4096 of the largest value it held.  Each lane
// keeps the high word of that largest value (hm); the drift is its difference from the
// current one's, in binades times 2^20.  Past RESEED_DRIFT (2^18: a relative error above
// 2^-21, which the keys' +1 no longer absorbs) the lane is recomputed exactly (the warp takes
// the slow path for it); past EXACT_DRIFT (2^12: above 2^-27, the CPU kernels' 1e-8) a
// candidate's score is computed exactly, the running sum left as it is.  Both depend only on
// the lane's own values, so results do not depend on timing.  (z-normalized windows: see
// untracked() in _prepare.py.)
constexpr unsigned RESEED_DRIFT = 18u << 20;
constexpr unsigned EXACT_DRIFT = 12u << 20;
// hm less the current high word h, unsigned: a sum rounded below 0 (h < 0 as an int) counts
// as drifted past both limits, and is recomputed.
__device__ __forceinline__ unsigned drift(int hm, int h) { return (unsigned)hm - (unsigned)h; }

// The ranking score from t = acc * wy: the same expression and rounding as the CPU
// kernels (band_impl.h), so both rank near-ties alike.
template <int MODE> __device__ __forceinline__ double cell_score(double t, double wx) {
    return MODE == 0 ? t * wx : t * -wx;
}

// q = C - score, rounded once; only its high word is used, as a filter.  The weights'
// product wxy = wy * wx is taken first (the exact score multiplies by wy, then wx), so that
// nothing of the filter outlives its compare: the key's +1 absorbs the difference of a few
// ulps.  (With the score's own t = acc * wy the eight t's stayed live for the slow path and
// the eight keys were computed one after another in one register pair, each waiting for the
// last: 3% slower on an H200.)
template <int MODE> __device__ __forceinline__ int cell_key(double acc, double wxy) {
    return __double2hiint(MODE == 0 ? fma(-acc, wxy, 2.0) : fma(acc, wxy, 1.0));
}

template <int MODE>
__device__ __forceinline__ double cell_step(double acc, double ax, double bx, double ay, double by,
                                            double p) {
    if (MODE == 0) return fma(ay, bx, fma(by, ax, acc));  // + dg_y*df_x, then + df_y*dg_x (as the CPU)
    const double e0 = ax - ay, e1 = bx - by;
    if (MODE == 1) return fma(e1, e1, fma(-e0, e0, acc));
    return acc - pow(fabs(e0), p) + pow(fabs(e1), p);
}

// Whether a cell of exact score sc may beat the threshold behind key: the
// filter's test, with one more unit of slack for the rounding of C - sc.
template <int MODE> __device__ __forceinline__ bool may_enter(double sc, int key) {
    return (long long)__double2hiint(qconst<MODE>() - sc) <= (long long)key + 1;
}

// The slow path of one row for one warp (some lane has a candidate): merge the
// exact scores sc[j] of cells (r, r + dt + j) into the row's and the columns'
// tables; ck[j] holds the columns' keys, nk[j] receives the new ones.
template <int MODE>
__device__ __forceinline__ void slow_path(const Args &a, long long r, long long dt, int lane,
                                          int rk, const double *sc, const int *ck, int *nk) {
    const long long c0 = r + dt;  // column of this thread's j = 0
    if (a.rs) {
        bool row_cand = false;
#pragma unroll 1
        for (int j = 0; j < DPT; ++j) row_cand |= may_enter<MODE>(sc[j], rk);
        if (a.k == 1) {  // one merge per warp and row
            if (__any_sync(FULL, row_cand)) {
                double v = -INFINITY;
                long long idx = -1;
                if (row_cand) {
#pragma unroll 1
                    for (int j = 0; j < DPT; ++j)
                        if (sc[j] > -INFINITY && (idx < 0 || before(sc[j], c0 + j, v, idx, a.rlater))) {
                            v = sc[j];
                            idx = c0 + j;
                        }
                }
#pragma unroll
                for (int off = 16; off > 0; off >>= 1) {
                    const double ov = __shfl_xor_sync(FULL, v, off);
                    const long long oi = __shfl_xor_sync(FULL, idx, off);
                    if (oi >= 0 && (idx < 0 || before(ov, oi, v, idx, a.rlater))) { v = ov; idx = oi; }
                }
                if (lane == 0 && idx >= 0) offer(a.rs, a.ri, a.rlock, r, 1, v, idx, a.rlater);
            }
        } else if (row_cand) {
#pragma unroll 1
            for (int j = 0; j < DPT; ++j)
                if (sc[j] > -INFINITY && may_enter<MODE>(sc[j], rk))
                    offer(a.rs, a.ri, a.rlock, r, a.k, sc[j], c0 + j, a.rlater);
        }
    }
    if (a.cs) {
#pragma unroll 1
        for (int j = 0; j < DPT; ++j) {
            // NaN, padding and cells that cannot beat the column's k-th best never get here
            if (sc[j] > -INFINITY && c0 + j < a.lY && may_enter<MODE>(sc[j], ck[j])) {
                nk[j] = thr_key<MODE>(offer(a.cs, a.ci, a.clock, c0 + j, a.k, sc[j], r, a.clater));
            }
        }
    }
}

template <int MODE>
__global__ void __launch_bounds__(NT, MODE == 0 ? MPCORE_MINB : MPCORE_MINB_P) pass_kernel(const Args a) {
    __shared__ Smem sm;
    const int t = threadIdx.x, lane = t & 31;

    // Locate the work item: band by binary search over the prefix, then chunk.
    const long long item = a.item_base + blockIdx.x;
    long long lo = 0, hi = a.nbands;
    while (hi - lo > 1) {
        const long long mid = (lo + hi) >> 1;
        if (a.band_prefix[mid] <= item) lo = mid; else hi = mid;
    }
    const long long D0 = a.d_start + lo * BW;
    const long long R0 = (item - a.band_prefix[lo]) * RC;
    const long long C0 = R0 + D0;  // column of cell (R0, D0)
    const long long lband = min(a.lX, a.lY - D0);  // longest diagonal in band
    const int nsub = (int)((min((long long)RC, lband - R0) + TH - 1) / TH);
    const long long dt = D0 + (long long)t * DPT;  // thread's first diagonal
    const int last_lane = lane == 31 ? INT_MAX : INT_MIN;

    double cov[DPT], wy[DPT], ay[DPT], by[DPT];
    int ck[DPT];
    int hm[DPT];  // p-norms: the high word of each lane's largest value since its last exact one
#pragma unroll
    // INT_MAX: neutral for the min with the key handed over by lane + 1 (none at the first row)
    for (int j = 0; j < DPT; ++j) { wy[j] = ay[j] = by[j] = 0.0; ck[j] = INT_MAX; }
    const double pp = a.p;
#if MPCORE_DEFER
    // Rows of the present group of DPT recorded for the slow path (bit s: row base + s),
    // with their exact scores and the keys their columns had then.  In local memory: the
    // slow path indexes them by a row known only at run time.
    double dsc[DPT][DPT];
    int dkk[DPT][DPT];
    unsigned dex[DPT];  // p-norms: bit j, cell j's score is to be taken exactly (if it may enter)
#endif

    for (int sub = 0; sub < nsub; ++sub) {
        const int rho0 = sub * TH;
        // Stage rows and columns of this sub-tile with their threshold keys.
        // Padding (past the series): w = NaN, others 0, key INT_MIN (never a
        // candidate); the NaN also masks cells outside the pass.
#pragma unroll
        for (int u = 0; u < TH / NT; ++u) {
            const int i = t + u * NT;
            double w, xa, xb;
            int key;
            stage_window<MODE>(a.xT, a.xdf, a.xdg, a.xw, a.lX, a.m, a.rs, a.rhint, a.k,
                               R0 + rho0 + i, w, xa, xb, key);
            sm.row_wa[i] = make_double2(w, xa);
            sm.row_bk[i] = make_double2(xb, __hiloint2double(0, key));
        }
#pragma unroll 3
        for (int u = 0; u < NC / NT; ++u) {
            const int v = t + u * NT;
            double w, ya, yb;
            int key;
            stage_window<MODE>(a.yT, a.ydf, a.ydg, a.yw, a.lY, a.m, a.cs, a.chint, a.k,
                               C0 + rho0 + v, w, ya, yb, key);
            sm.col[0][v % DPT][v / DPT] = w;
            sm.col[1][v % DPT][v / DPT] = ya;
            sm.col[2][v % DPT][v / DPT] = yb;
            sm.ckey[v % DPT][v / DPT] = key;
        }
        if (sub == 0) {  // exact seed at the chunk start
            const long long r = R0;
            // Diagonals of this thread with a cell in row r form a prefix of j.
            const int nv = r < a.lX ? (int)max(0LL, min((long long)DPT, min(a.d_stop, a.lY - r) - dt)) : 0;
            seed<MODE>(a, r, r + dt, nv, cov);
            if (MODE != 0) {
#pragma unroll
                for (int j = 0; j < DPT; ++j) hm[j] = __double2hiint(cov[j]);
            }
        }
        __syncthreads();
        if (sub == 0) {  // initial column window: columns t*DPT + j, j < DPT-1
#pragma unroll
            for (int j = 0; j < DPT - 1; ++j) {
                wy[j] = sm.col[0][j][t];
                ay[j] = sm.col[1][j][t];
                by[j] = sm.col[2][j][t];
                ck[j] = sm.ckey[j][t];
            }
        }

        for (int base = 0; base < TH; base += DPT) {
#if MPCORE_DEFER
            unsigned pend = 0u;  // warp-uniform: set from __any_sync only
#endif
#pragma unroll
            for (int s = 0; s < DPT; ++s) {
                const int rl = base + s;
                // New column (j = DPT-1): v = rl + t*DPT + DPT-1, slot (s+DPT-1)%DPT.
                const int qn = (s + DPT - 1) % DPT;
                const int vn = t + (rl + DPT - 1) / DPT;
                wy[qn] = sm.col[0][qn][vn];
                ay[qn] = sm.col[1][qn][vn];
                by[qn] = sm.col[2][qn][vn];
                // The new column is the one lane + 1 just retired (slot qn too): its key
                // there may be newer than the staged one (lane 31's neighbour is in
                // another warp, so it takes the staged key alone).
                const int passed = max(__shfl_down_sync(FULL, ck[qn], 1), last_lane);
                ck[qn] = min(sm.ckey[qn][vn], passed);
                const double2 wa = sm.row_wa[rl], bk = sm.row_bk[rl];
                const double wx = wa.x, ax = wa.y, bx = bk.x;
                const int rk = __double2loint(bk.y);

                // The filter: integer compares of the q keys.  (Advancing the recurrence in
                // this loop, before the vote, needs t[] live across it: 128 registers then
                // spill in the hot loop.)
                bool hit = false;
#pragma unroll
                for (int j = 0; j < DPT; ++j) {
                    const int q = (s + j) % DPT;
                    // the row's or the column's threshold: two compares, no max (a max wrote
                    // the key's dead low word, and waited for it)
                    const int key = cell_key<MODE>(cov[j], wy[q] * wx);
                    hit |= (key <= ck[q]) | (key <= rk);
                    if (MODE != 0) {
                        const int h = __double2hiint(cov[j]);
                        hm[j] = max(hm[j], h);
                        hit |= drift(hm[j], h) > RESEED_DRIFT;
                    }
                }

                if (__any_sync(FULL, hit)) {  // rare: exact scores and merges
                    const long long r = R0 + rho0 + rl;
#if MPCORE_DEFER
                    // Record only: the exact scores and keys of this row's cells; the merges
                    // run after the group (below).  A p-norm's re-seed past RESEED_DRIFT
                    // changes cov, so it happens here, at its row; to keep this copy (one per
                    // row) short, it calls exact_acc from one site, a rolled loop over the
                    // lane's drifted cells.  The exact score past EXACT_DRIFT changes only
                    // the recorded score, so it waits for the deferred loop (the cells'
                    // bits in dex).
                    unsigned ex = 0u, cells = 0u;
                    if (MODE != 0) {
                        // bit j: cell j is in the series and the pass (the inline path's
                        // `cell`: r < lX, r + dt + j < lY, dt + j < d_stop)
                        const long long nv = min(a.lY - r, a.d_stop) - dt;
                        cells = r >= a.lX || nv <= 0 ? 0u : nv >= DPT ? (1u << DPT) - 1u : (1u << nv) - 1u;
                        unsigned rs = 0u;
#pragma unroll
                        for (int j = 0; j < DPT; ++j)
                            if (drift(hm[j], __double2hiint(cov[j])) > RESEED_DRIFT) rs |= 1u << j;
                        rs &= cells;
                        if (rs) {
                            double exact[DPT];
#pragma unroll 1
                            for (int j = 0; j < DPT; ++j)
                                if (rs >> j & 1u) exact[j] = exact_acc<MODE>(a, r, r + dt + j);
#pragma unroll
                            for (int j = 0; j < DPT; ++j)
                                if (rs >> j & 1u) {
                                    cov[j] = exact[j];
                                    hm[j] = __double2hiint(cov[j]);
                                }
                        }
                    }
#pragma unroll
                    for (int j = 0; j < DPT; ++j) {
                        const int q = (s + j) % DPT;
                        dsc[s][j] = cell_score<MODE>(cov[j] * wy[q], wx);
                        dkk[s][j] = ck[q];
                        if (MODE != 0 && drift(hm[j], __double2hiint(cov[j])) > EXACT_DRIFT) ex |= 1u << j;
                    }
                    if (MODE != 0) dex[s] = ex & cells;
                    pend |= 1u << s;
#else
                    // in local memory, so the loops of the slow path need no unrolling
                    double sc[DPT];
                    int kk[DPT], nk[DPT];
#pragma unroll
                    for (int j = 0; j < DPT; ++j) {
                        const int q = (s + j) % DPT;
                        // (a cell past the series or the pass: NaN scores, left as they are)
                        const bool cell = r < a.lX && r + dt + j < a.lY && dt + j < a.d_stop;
                        if (MODE != 0 && cell && drift(hm[j], __double2hiint(cov[j])) > RESEED_DRIFT) {
                            cov[j] = exact_acc<MODE>(a, r, r + dt + j);
                            hm[j] = __double2hiint(cov[j]);
                        }
                        sc[j] = cell_score<MODE>(cov[j] * wy[q], wx);
                        kk[j] = ck[q];
                        nk[j] = INT_MAX;
                        if (MODE != 0 && cell && drift(hm[j], __double2hiint(cov[j])) > EXACT_DRIFT &&
                            sc[j] > -INFINITY && (may_enter<MODE>(sc[j], rk) || may_enter<MODE>(sc[j], kk[j])))
                            sc[j] = cell_score<MODE>(exact_acc<MODE>(a, r, r + dt + j) * wy[q], wx);
                    }
                    slow_path<MODE>(a, r, dt, lane, rk, sc, kk, nk);
#pragma unroll
                    for (int j = 0; j < DPT; ++j) ck[(s + j) % DPT] = min(ck[(s + j) % DPT], nk[j]);
#endif
                }

#pragma unroll
                for (int j = 0; j < DPT; ++j) {
                    const int q = (s + j) % DPT;
                    cov[j] = cell_step<MODE>(cov[j], ax, bx, ay[q], by[q], pp);
                }
            }
#if MPCORE_DEFER
            // The deferred slow path: one copy of it in the kernel, not DPT (the unrolled
            // copies, each with its slow path inlined, were 9.2k instructions: the i-cache
            // stalls of round 16).  Why the results are bitwise those of the inline slow path:
            //   * What a recorded row merges is what it would have merged inline, but for the
            //     column keys kk: the ones of its own row, without the lowering by the slow
            //     paths of the group's earlier rows, which now run later.  A key only filters:
            //     an older key is higher (the k-th best only rises), lets more cells be offered,
            //     and offer() inserts exactly under a total order, so the tables end the same
            //     whatever extra cells are offered.  The inline kernel already depends on
            //     this: its keys are staged from tables other blocks are filling, as high as
            //     the timing leaves them.
            //   * The same holds for the filter of the group's later rows (more rows may be
            //     recorded) and for a p-norm's exact score past EXACT_DRIFT, taken when the
            //     cell may enter under rk or kk.  With a higher kk a cell may get its exact
            //     score here and not inline; inline, that cell then failed both tests and was
            //     offered nowhere (with k = 1 too: may_enter rises with the score, so a lane
            //     whose best cell fails the row test has no cell that passes it), and its
            //     exact score cannot enter either, the recurrence's error below RESEED_DRIFT
            //     being within the keys' slack (what the inline path relies on whenever a
            //     key is staged higher).  The re-seed past RESEED_DRIFT changes cov, so it
            //     stays at its row, above; it depends only on the lane's own values, and
            //     such a lane always makes its row a candidate: the same rows as inline.
            //   * The row key needs no recording: row_bk is only written while a sub-tile is
            //     staged.  The row keys themselves are never lowered in the kernel.
            //   * Warp-uniform control flow: pend comes from __any_sync alone, so the whole
            //     warp runs the loop and slow_path's __any_sync/__shfl_xor_sync (k = 1) with
            //     all 32 lanes, as inline.
            //   * New column keys (nk) go to the register copy ck only for columns still in
            //     the thread's window after the group.  At row s, candidate j is column
            //     r + dt + j in slot (s + j) % DPT; after row DPT - 1 the window holds the
            //     columns with s + j >= DPT - 1, each still in that slot.  A column with
            //     s + j < DPT - 1 retired within the group: its slot holds another column now,
            //     whose key an nk must not lower (cells that could enter would be dropped);
            //     its own key went to lane - 1 by the __shfl_down_sync without the nk, a
            //     higher key than inline, which is safe (above).  The column of slot DPT - 1
            //     retires at the next group's first row: its nk is applied here, before
            //     that row hands it over.
            if (pend) {
                int nks[DPT];  // new keys by slot, for the columns still present
#pragma unroll
                for (int q = 0; q < DPT; ++q) nks[q] = INT_MAX;
#pragma unroll 1
                for (unsigned left = pend; left; left &= left - 1) {
                    const int s = __ffs(left) - 1;
                    int nk[DPT];
#pragma unroll
                    for (int j = 0; j < DPT; ++j) nk[j] = INT_MAX;
                    const int rl = base + s;
                    const long long r = R0 + rho0 + rl;
                    const int rk = __double2loint(sm.row_bk[rl].y);
                    double *const sc = dsc[s];
                    const int *const kk = dkk[s];
                    // The p-norms' exact scores, the inline path's test and expression: the
                    // weights are the staged ones the registers were loaded from (a column's
                    // window slot, also one carried over from the sub-tile before, holds what
                    // stage_window gives for its index, here at v).
                    const unsigned ex = MODE != 0 ? dex[s] : 0u;
                    if (ex) {
                        const double wx = sm.row_wa[rl].x;
#pragma unroll 1
                        for (int j = 0; j < DPT; ++j) {
                            const int v = rl + t * DPT + j;  // column r + dt + j in the sub-tile
                            if ((ex >> j & 1u) && sc[j] > -INFINITY &&
                                (may_enter<MODE>(sc[j], rk) || may_enter<MODE>(sc[j], kk[j])))
                                sc[j] = cell_score<MODE>(exact_acc<MODE>(a, r, r + dt + j) *
                                                             sm.col[0][v % DPT][v / DPT], wx);
                        }
                    }
                    slow_path<MODE>(a, r, dt, lane, rk, sc, kk, nk);
#pragma unroll 1
                    for (int j = DPT - 1 - s; j < DPT; ++j)
                        nks[(s + j) % DPT] = min(nks[(s + j) % DPT], nk[j]);
                }
#pragma unroll
                for (int q = 0; q < DPT; ++q) ck[q] = min(ck[q], nks[q]);
            }
#endif
        }
        __syncthreads();  // the next sub-tile overwrites the staged data
    }
}

// ---------------------------------------------------------------- host side

void set_err(char *err, int errlen, const char *fmt, ...) {
    if (!err || errlen <= 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, (size_t)errlen, fmt, ap);
    va_end(ap);
}

struct Failure {
    cudaError_t code;
    const char *what;
};

#define CK(call) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) throw Failure{e_, #call}; } while (0)

// Device buffer from the stream-ordered allocator, freed on every exit path (errors return
// early).  The device's default pool keeps freed memory (release threshold raised once per
// device), so repeated calls neither allocate from the driver nor synchronize the device.
// Devices without memory pools fall back to cudaMalloc/cudaFree.
struct DevBuf {
    void *p = nullptr;
    cudaStream_t st = nullptr;
    bool pooled = false;
    ~DevBuf() {
        if (p) pooled ? cudaFreeAsync(p, st) : cudaFree(p);
    }
};

// Whether the device has memory pools; if so, its default pool keeps freed memory.
bool use_pool(int device) {
    int supported = 0;
    if (cudaDeviceGetAttribute(&supported, cudaDevAttrMemoryPoolsSupported, device) != cudaSuccess ||
        !supported) {
        cudaGetLastError();
        return false;
    }
    cudaMemPool_t pool;
    if (cudaDeviceGetDefaultMemPool(&pool, device) == cudaSuccess) {
        unsigned long long keep = ~0ULL;
        cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
    }
    cudaGetLastError();
    return true;
}

template <typename T>
T *alloc(DevBuf &b, long long n, cudaStream_t st, bool pooled) {
    b.st = st;
    b.pooled = pooled;
    if (pooled) CK(cudaMallocAsync(&b.p, sizeof(T) * (size_t)n, st));
    else CK(cudaMalloc(&b.p, sizeof(T) * (size_t)n));
    return static_cast<T *>(b.p);
}


// Copies are issued on the kernel's stream, so the kernel never reads an
// input before it has landed (from pageable memory cudaMemcpyAsync returns
// once the data is staged, and the stream orders it before the launch).
template <typename T>
T *upload(DevBuf &b, const T *h, long long n, cudaStream_t st, bool pooled) {
    if (!h) return nullptr;
    T *d = alloc<T>(b, n, st, pooled);
    CK(cudaMemcpyAsync(d, h, sizeof(T) * (size_t)n, cudaMemcpyHostToDevice, st));
    return d;
}

// Items [first, last) in launches of at most 2^30 blocks (grid x is limited to 2^31-1).
template <int MODE>
void launch_items(Args a, long long first, long long last, cudaStream_t st) {
    const long long step = 1LL << 30;
    for (long long base = first; base < last; base += step) {
        a.item_base = base;
        const unsigned nb = (unsigned)std::min(step, last - base);
        pass_kernel<MODE><<<nb, NT, 0, st>>>(a);
        CK(cudaGetLastError());
    }
}

}  // namespace

extern "C" int mpcore_cuda_device_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();  // clear the error so later calls are clean
        return 0;
    }
    return n;
}

extern "C" int mpcore_cuda_pass(
    int device, int mode, int64_t m, double p, int64_t k,
    int64_t lX, const double *X_T, const double *X_mu, const double *X_df,
    const double *X_dg, const double *X_w,
    int64_t lY, const double *Y_T, const double *Y_mu, const double *Y_df,
    const double *Y_dg, const double *Y_w,
    int64_t d_start, int64_t d_stop,
    double *row_score, int64_t *row_idx, const double *row_hint, int row_later,
    double *col_score, int64_t *col_idx, const double *col_hint, int col_later,
    char *err, int errlen) {
    if (err && errlen > 0) err[0] = '\0';
    if (mode < 0 || mode > 2) { set_err(err, errlen, "mpcore_cuda_pass: bad mode %d", mode); return 1; }
    if (m < 1 || lX < 1 || lY < 1 || d_start < 0 || k < 1 || k > 65536) {
        set_err(err, errlen, "mpcore_cuda_pass: bad sizes m=%lld k=%lld lX=%lld lY=%lld d_start=%lld",
                (long long)m, (long long)k, (long long)lX, (long long)lY, (long long)d_start);
        return 1;
    }
    if (mode == 2 && !(p > 0)) { set_err(err, errlen, "mpcore_cuda_pass: p must be > 0"); return 1; }
    if (!X_T || !X_w || !Y_T || !Y_w ||
        (mode == 0 && (!X_mu || !X_df || !X_dg || !Y_mu || !Y_df || !Y_dg)) ||
        (!row_score != !row_idx) || (!col_score != !col_idx)) {
        set_err(err, errlen, "mpcore_cuda_pass: missing input array");
        return 1;
    }
    d_stop = std::min(d_stop, lY);
    if (d_start >= d_stop || (!row_score && !col_score)) return 0;

    // Work items: band b has ceil(len / RC) chunks, len = its longest diagonal.
    const long long nbands = (d_stop - d_start + BW - 1) / BW;
    std::vector<long long> prefix;
    try {
        prefix.assign((size_t)nbands + 1, 0);
    } catch (const std::bad_alloc &) {
        set_err(err, errlen, "mpcore_cuda_pass: host out of memory");
        return 3;
    }
    for (long long b = 0; b < nbands; ++b) {
        const long long len = std::min((long long)lX, (long long)lY - (d_start + b * BW));
        prefix[(size_t)b + 1] = prefix[(size_t)b] + (len + RC - 1) / RC;
    }
    const long long nitems = prefix[(size_t)nbands];

    try {
        CK(cudaSetDevice(device));  // per call: callers drive devices from threads
        const bool pooled = use_pool(device);
        cudaStream_t st;
        CK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
        struct StreamGuard { cudaStream_t s; ~StreamGuard() { cudaStreamSynchronize(s); cudaStreamDestroy(s); } } sg{st};

        DevBuf bxT, bxmu, bxdf, bxdg, bxw, byT, bymu, bydf, bydg, byw;
        DevBuf bpre, brs, bri, brl, brh, bcs, bci, bcl, bch;
        Args a{};
        a.m = m; a.p = p; a.k = (int)k; a.lX = lX; a.lY = lY; a.d_start = d_start; a.d_stop = d_stop;
        a.rlater = row_later != 0; a.clater = col_later != 0;
        // MPCORE_CUDA_TIMING=1: print the copies' and the kernel's times (device events) to
        // stderr, so that a pass's time can be split without a profiler.
        const char *timing_env = getenv("MPCORE_CUDA_TIMING");
        const bool timing = timing_env && timing_env[0] && timing_env[0] != '0';
        cudaEvent_t ev[4] = {};
        struct EventGuard { cudaEvent_t *e; ~EventGuard() { for (int i = 0; i < 4; ++i) if (e[i]) cudaEventDestroy(e[i]); } } eg{ev};
        if (timing) {
            for (int i = 0; i < 4; ++i) CK(cudaEventCreate(&ev[i]));
            CK(cudaEventRecord(ev[0], st));
        }
        const long long nX = lX + m - 1, nY = lY + m - 1;
        const bool z = mode == 0;
        a.xT = upload(bxT, X_T, nX, st, pooled);
        a.xw = upload(bxw, X_w, lX, st, pooled);
        if (z) {
            a.xmu = upload(bxmu, X_mu, lX, st, pooled);
            a.xdf = upload(bxdf, X_df, lX, st, pooled);
            a.xdg = upload(bxdg, X_dg, lX, st, pooled);
        }
        // A self-join passes the same host arrays twice: upload them once.
        const bool same = X_T == Y_T && lX == lY && X_w == Y_w &&
                          (!z || (X_mu == Y_mu && X_df == Y_df && X_dg == Y_dg));
        if (same) {
            a.yT = a.xT; a.yw = a.xw; a.ymu = a.xmu; a.ydf = a.xdf; a.ydg = a.xdg;
        } else {
            a.yT = upload(byT, Y_T, nY, st, pooled);
            a.yw = upload(byw, Y_w, lY, st, pooled);
            if (z) {
                a.ymu = upload(bymu, Y_mu, lY, st, pooled);
                a.ydf = upload(bydf, Y_df, lY, st, pooled);
                a.ydg = upload(bydg, Y_dg, lY, st, pooled);
            }
        }
        a.band_prefix = upload(bpre, prefix.data(), nbands + 1, st, pooled);
        a.nbands = nbands;
        if (row_score) {
            a.rs = upload(brs, row_score, lX * k, st, pooled);
            a.ri = upload(bri, reinterpret_cast<const long long *>(row_idx), lX * k, st, pooled);
            a.rhint = upload(brh, row_hint, lX, st, pooled);
            a.rlock = alloc<unsigned>(brl, lX, st, pooled);
            CK(cudaMemsetAsync(a.rlock, 0, sizeof(unsigned) * (size_t)lX, st));
        }
        if (col_score) {
            a.cs = upload(bcs, col_score, lY * k, st, pooled);
            a.ci = upload(bci, reinterpret_cast<const long long *>(col_idx), lY * k, st, pooled);
            a.chint = upload(bch, col_hint, lY, st, pooled);
            a.clock = alloc<unsigned>(bcl, lY, st, pooled);
            CK(cudaMemsetAsync(a.clock, 0, sizeof(unsigned) * (size_t)lY, st));
        }

        if (timing) CK(cudaEventRecord(ev[1], st));
        switch (mode) {
            case 0: launch_items<0>(a, 0, nitems, st); break;
            case 1: launch_items<1>(a, 0, nitems, st); break;
            default: launch_items<2>(a, 0, nitems, st); break;
        }
        if (timing) CK(cudaEventRecord(ev[2], st));
        if (row_score) {
            CK(cudaMemcpyAsync(row_score, a.rs, sizeof(double) * (size_t)(lX * k), cudaMemcpyDeviceToHost, st));
            CK(cudaMemcpyAsync(row_idx, a.ri, sizeof(long long) * (size_t)(lX * k), cudaMemcpyDeviceToHost, st));
        }
        if (col_score) {
            CK(cudaMemcpyAsync(col_score, a.cs, sizeof(double) * (size_t)(lY * k), cudaMemcpyDeviceToHost, st));
            CK(cudaMemcpyAsync(col_idx, a.ci, sizeof(long long) * (size_t)(lY * k), cudaMemcpyDeviceToHost, st));
        }
        if (timing) CK(cudaEventRecord(ev[3], st));
        CK(cudaStreamSynchronize(st));
        if (timing) {
            float ms[3];
            for (int i = 0; i < 3; ++i) CK(cudaEventElapsedTime(&ms[i], ev[i], ev[i + 1]));
            double cells = 0;
            for (long long d = d_start; d < d_stop; ++d) cells += (double)std::min((long long)lX, (long long)lY - d);
            fprintf(stderr, "mpcore_cuda_pass: mode %d k %lld lX %lld lY %lld d [%lld, %lld): "
                    "upload %.3f ms, kernel %.3f ms (%.3e cells/s), download %.3f ms\n",
                    mode, (long long)k, (long long)lX, (long long)lY, (long long)d_start,
                    (long long)d_stop, ms[0], ms[1], cells / (ms[1] * 1e-3), ms[2]);
        }
    } catch (const Failure &f) {
        set_err(err, errlen, "CUDA error in %s: %s (%s)", f.what, cudaGetErrorString(f.code),
                cudaGetErrorName(f.code));
        cudaGetLastError();
        return 2;
    } catch (const std::bad_alloc &) {
        set_err(err, errlen, "mpcore_cuda_pass: host out of memory");
        return 3;
    }
    return 0;
}

extern "C" int mpcore_cuda_config(int *dpt, int *threads, int *rows_per_item) {
    if (dpt) *dpt = DPT;
    if (threads) *threads = NT;
    if (rows_per_item) *rows_per_item = RC;
    return 0;
}
