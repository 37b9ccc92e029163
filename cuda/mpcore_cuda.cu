// mpcore CUDA kernel: one matrix-profile "pass" over a range of diagonals.
//
// Contract (shared with the CPU core; see mpcore_cuda.h for the ABI):
//   cells (r, c = r + d), d in [d_start, d_stop), 0 <= r < lX, c < lY.
//   mode 0  score = cov(r,c) * X.w[r] * Y.w[c]      (Pearson correlation)
//           cov(r+1,c+1) = cov + Y.df[c]*X.dg[r] + Y.dg[c]*X.df[r]
//   mode 1  score = -acc * X.w[r] * Y.w[c],  acc = sum (X.T[r+t]-Y.T[c+t])^2
//           acc(r+1,c+1) = acc - (X.T[r]-Y.T[c])^2 + (X.T[r+m]-Y.T[c+m])^2
//   mode 2  as mode 1 with |x|^p.
//   Result per row (best c) and per column (best r) under the total order
//   "higher score wins, equal score -> lower index wins"; NaN never wins.
//
// Layout (the "why"):
//   * A block owns a band of BW = NT*DPT consecutive diagonals and a chunk of
//     RC rows of it (a "work item").  Each thread owns DPT consecutive
//     diagonals, so at one row its DPT cells sit on DPT consecutive columns.
//     Going down one row, a thread's column window slides by one: only ONE new
//     column (w, df, dg) is read from shared memory per row, i.e. 3 loads per
//     DPT cells, and the window lives in registers as a circular buffer whose
//     indices are compile-time constants thanks to unrolling by DPT rows.
//   * Each band chunk is seeded with the exact O(m) dot product (float64), so
//     recurrence drift is bounded by RC = 4096 rows.
//   * Column maxima: the column a thread retires (its j = 0 column) is the next
//     column of the lane below, so the running (best, row) moves lane -> lane-1
//     with one __shfl_down_sync; only lane 0 retires columns into a shared
//     ring, and within one sub-tile the 4 warps retire disjoint columns
//     (TH <= 32*DPT), so the ring needs no atomics.  The ring is merged into
//     the global profile once per sub-tile.
//   * Row maxima: a thread reduces its DPT cells with fmax (value only), then
//     compares with a cached threshold (the global best read at sub-tile
//     start).  Only if some lane of the warp reaches the threshold does the
//     warp recover the lowest column index and do a warp reduction and a
//     global merge (test-and-test-and-set).  After warm-up this is rare.
//   * Global merge: (score, index) must be updated together and float64 +
//     int64 does not fit one 64-bit atomic, so merges take a per-entry spin
//     lock.  They are rare (pre-tested against the current value), exact and
//     independent of ordering, hence deterministic results.
//   * The float32 mode runs the same kernel with float registers/shared data,
//     re-anchoring every RA32 rows with the exact float64 dot product.
//     Error bound (documented for _gpu.py): between anchors the covariance
//     accumulates at most 2 roundings per row, so for mode 0
//       |score32 - score64| <= (2*RA32 + 4) * 2^-24 * G  ~= 6.1e-5 * G,
//     where G = max over the anchored span of sum of |increment|*wX*wY
//     normalised magnitudes (G ~ 1-2 for ordinary data).  Modes 1/2 have the
//     same relative bound w.r.t. m * max|T|^p.
#include "mpcore_cuda.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <new>
#include <vector>

namespace {

constexpr int DPT = 8;        // diagonals (and columns) per thread
constexpr int NT = 128;       // threads per block (4 warps)
constexpr int BW = NT * DPT;  // diagonals per band
constexpr int TH = 128;       // rows per shared-memory sub-tile
constexpr int NC = TH + BW;   // columns staged per sub-tile = ring size
constexpr int RC = 4096;      // rows per work item = exact re-seed interval
constexpr int RA32 = 512;     // float32 re-anchor interval (rows)
static_assert(TH <= 32 * DPT, "warps must retire disjoint columns per sub-tile");
static_assert(TH % DPT == 0 && RC % TH == 0 && RA32 % TH == 0, "tiling");
static_assert(NC % DPT == 0 && TH <= NT, "tiling");
constexpr unsigned FULL = 0xffffffffu;

struct Args {
    long long m;
    double p;
    long long lX, lY;
    const double *xT, *xmu, *xdf, *xdg, *xw;
    const double *yT, *ymu, *ydf, *ydg, *yw;
    long long d_start, d_stop;  // d_stop already clipped to lY
    const long long *band_prefix;  // work items before band b
    long long nbands, item_base;
    double *rs; long long *ri; unsigned *rlock;  // row side (may be null)
    double *cs; long long *ci; unsigned *clock;  // column side (may be null)
};

template <typename R>
struct Smem {
    // Column v of the sub-tile lives at col[k][v % DPT][v / DPT] so that the 32
    // lanes of a warp (which read columns DPT apart) hit consecutive words.
    R col[3][DPT][NC / DPT];  // k = 0: w, 1: df | T[c], 2: dg | T[c+m]
    R row[3][TH];
    double thr[TH];           // cached global row best (a lower bound)
    double ring_v[NC];        // per-column partial best, merged across warps
    int ring_i[NC];           // its row (relative to the work item)
};

// Exact total-order merge of (v, idx) into S[pos], I[pos].  Pre-tested without
// the lock: S never decreases, so a strictly smaller v can never win.
__device__ void gmerge(double *S, long long *I, unsigned *L, long long pos,
                       double v, long long idx) {
    if (!(v >= *(volatile double *)(S + pos))) return;
    while (atomicCAS(L + pos, 0u, 1u) != 0u) __nanosleep(64);
    __threadfence();
    const double cur = *(volatile double *)(S + pos);
    const long long ci = *(volatile long long *)(I + pos);
    if (v > cur || (v == cur && idx < ci)) {
        *(volatile double *)(S + pos) = v;
        *(volatile long long *)(I + pos) = idx;
    }
    __threadfence();
    atomicExch(L + pos, 0u);
}

template <typename R> __device__ __forceinline__ R rmax(R a, R b) { return fmax(a, b); }

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
    for (long long k = 0; k < a.m; ++k) {
        const double x = __ldg(xt + k);
#pragma unroll
        for (int j = 0; j < DPT; ++j) {
            if (j < nvalid) {
                const double y = __ldg(yt + j + k);
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

template <int MODE, typename R>
__device__ __forceinline__ R cell_score(R acc, R wx, R wy) {
    return MODE == 0 ? (acc * wx) * wy : (-acc * wx) * wy;
}

template <int MODE, typename R>
__device__ __forceinline__ R cell_step(R acc, R ax, R bx, R ay, R by, R p) {
    if (MODE == 0) return fma(by, ax, fma(ay, bx, acc));  // + df_y*dg_x + dg_y*df_x
    const R e0 = ax - ay, e1 = bx - by;
    if (MODE == 1) return fma(e1, e1, fma(-e0, e0, acc));
    return acc - pow(fabs(e0), p) + pow(fabs(e1), p);
}

template <int MODE, typename R>
__global__ void __launch_bounds__(NT, 3) pass_kernel(const Args a) {
    __shared__ Smem<R> sm;
    const R NEG = (R)-INFINITY;
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

    R cov[DPT], wy[DPT], ay[DPT], by[DPT], cbv[DPT];
    int cbi[DPT];
#pragma unroll
    for (int j = 0; j < DPT; ++j) { cbv[j] = NEG; cbi[j] = 0; wy[j] = ay[j] = by[j] = (R)0; }
    for (int v = t; v < NC; v += NT) { sm.ring_v[v] = -INFINITY; sm.ring_i[v] = 0x7fffffff; }
    const R pp = (R)a.p;

    for (int k = 0; k < nsub; ++k) {
        const int rho0 = k * TH;
        // Stage rows, row thresholds and columns of this sub-tile (padding:
        // w = NaN, others 0, which masks every out-of-range cell).
        for (int i = t; i < TH; i += NT) {
            const long long r = R0 + rho0 + i;
            const bool ok = r < a.lX;
            sm.row[0][i] = (R)(ok ? a.xw[r] : (double)NAN);
            if (MODE == 0) {
                sm.row[1][i] = (R)(ok ? a.xdf[r] : 0.0);
                sm.row[2][i] = (R)(ok ? a.xdg[r] : 0.0);
            } else {
                sm.row[1][i] = (R)(ok ? a.xT[r] : 0.0);
                sm.row[2][i] = (R)(r + 1 < a.lX ? a.xT[r + a.m] : 0.0);
            }
            sm.thr[i] = (a.rs && ok) ? *(volatile double *)(a.rs + r) : (double)INFINITY;
        }
        for (int v = t; v < NC; v += NT) {
            const long long c = C0 + rho0 + v;
            const bool ok = c < a.lY;
            sm.col[0][v % DPT][v / DPT] = (R)(ok ? a.yw[c] : (double)NAN);
            if (MODE == 0) {
                sm.col[1][v % DPT][v / DPT] = (R)(ok ? a.ydf[c] : 0.0);
                sm.col[2][v % DPT][v / DPT] = (R)(ok ? a.ydg[c] : 0.0);
            } else {
                sm.col[1][v % DPT][v / DPT] = (R)(ok ? a.yT[c] : 0.0);
                sm.col[2][v % DPT][v / DPT] = (R)(c + 1 < a.lY ? a.yT[c + a.m] : 0.0);
            }
        }
        // Exact (re-)seed: at the chunk start, and every RA32 rows in float32.
        if (k == 0 || (sizeof(R) == 4 && rho0 % RA32 == 0)) {
            const long long r = R0 + rho0;
            // Diagonals of this thread with a cell in row r form a prefix of j.
            const int nv = r < a.lX ? (int)max(0LL, min((long long)DPT, min(a.d_stop, a.lY - r) - dt)) : 0;
            double s[DPT];
            seed<MODE>(a, r, r + dt, nv, s);
#pragma unroll
            for (int j = 0; j < DPT; ++j) cov[j] = (R)s[j];
        }
        __syncthreads();
        if (k == 0) {  // initial column window: columns t*DPT + j, j < DPT-1
#pragma unroll
            for (int j = 0; j < DPT - 1; ++j) {
                wy[j] = sm.col[0][j][t];
                ay[j] = sm.col[1][j][t];
                by[j] = sm.col[2][j][t];
            }
        }

        for (int base = 0; base < TH; base += DPT) {
#pragma unroll
            for (int s = 0; s < DPT; ++s) {
                const int rl = base + s;
                const int rho = rho0 + rl;
                // New column (j = DPT-1): v = rl + t*DPT + DPT-1, slot (s+DPT-1)%DPT.
                const int qn = (s + DPT - 1) % DPT;
                const int vn = t + (rl + DPT - 1) / DPT;
                wy[qn] = sm.col[0][qn][vn];
                ay[qn] = sm.col[1][qn][vn];
                by[qn] = sm.col[2][qn][vn];
                const R wx = sm.row[0][rl], ax = sm.row[1][rl], bx = sm.row[2][rl];

                R sc[DPT];
#pragma unroll
                for (int j = 0; j < DPT; ++j) {
                    const int q = (s + j) % DPT;
                    sc[j] = cell_score<MODE, R>(cov[j], wx, wy[q]);
                    if (sc[j] > cbv[q]) { cbv[q] = sc[j]; cbi[q] = rho; }
                    cov[j] = cell_step<MODE, R>(cov[j], ax, bx, ay[q], by[q], pp);
                }

                // Row side: value-only max, then test against the cached best.
                R pm = sc[0];
#pragma unroll
                for (int j = 1; j < DPT; ++j) pm = rmax(pm, sc[j]);
                const double th = sm.thr[rl];
                const bool cand = (double)pm >= th;
                if (__any_sync(FULL, cand)) {
                    double v = -INFINITY;
                    long long idx = 0x7fffffffffffffffLL;
                    if (cand) {
                        int jj = 0;
#pragma unroll
                        for (int j = DPT - 1; j >= 0; --j) if (sc[j] == pm) jj = j;
                        v = (double)pm;
                        idx = C0 + rho + (long long)t * DPT + jj;
                    }
#pragma unroll
                    for (int off = 16; off > 0; off >>= 1) {
                        const double ov = __shfl_xor_sync(FULL, v, off);
                        const long long oi = __shfl_xor_sync(FULL, idx, off);
                        if (ov > v || (ov == v && oi < idx)) { v = ov; idx = oi; }
                    }
                    if (lane == 0 && v > -INFINITY) {
                        gmerge(a.rs, a.ri, a.rlock, R0 + rho, v, idx);
                        if (v > sm.thr[rl]) sm.thr[rl] = v;  // racy hint, always <= global
                    }
                }

                // Retire column j = 0 (slot s): hand its best to lane-1, whose
                // next column it is; lane 0 hands it to the shared ring.
                const R rv = cbv[s];
                const int ri = cbi[s];
                R nv = __shfl_down_sync(FULL, rv, 1);
                int ni = __shfl_down_sync(FULL, ri, 1);
                if (lane == 31) { nv = NEG; ni = 0; }
                if (lane == 0 && rv > NEG) {
                    const int u = (rho + t * DPT) % NC;
                    const double dv = (double)rv;
                    if (dv > sm.ring_v[u] || (dv == sm.ring_v[u] && ri < sm.ring_i[u])) {
                        sm.ring_v[u] = dv;
                        sm.ring_i[u] = ri;
                    }
                }
                cbv[s] = nv;
                cbi[s] = ni;
            }
        }
        __syncthreads();
        // Columns rho0 .. rho0+TH-1 are final for this block: merge and reset.
        for (int i = t; i < TH; i += NT) {
            const int u = rho0 + i, slot = u % NC;
            const double v = sm.ring_v[slot];
            if (a.cs && v > -INFINITY && C0 + u < a.lY)
                gmerge(a.cs, a.ci, a.clock, C0 + u, v, R0 + sm.ring_i[slot]);
            sm.ring_v[slot] = -INFINITY;
            sm.ring_i[slot] = 0x7fffffff;
        }
        __syncthreads();
    }

    if (a.cs == nullptr) return;
    // Columns still open: the ring (warps > 0) and each thread's registers.
    const int uend = nsub * TH;
    for (int slot = t; slot < NC; slot += NT) {
        const double v = sm.ring_v[slot];
        if (!(v > -INFINITY)) continue;
        const int u = uend + ((slot - uend % NC) + NC) % NC;
        if (C0 + u < a.lY) gmerge(a.cs, a.ci, a.clock, C0 + u, v, R0 + sm.ring_i[slot]);
    }
#pragma unroll
    for (int j = 0; j < DPT; ++j) {
        const long long c = C0 + uend + (long long)t * DPT + j;
        if (cbv[j] > NEG && c < a.lY) gmerge(a.cs, a.ci, a.clock, c, (double)cbv[j], R0 + cbi[j]);
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

// Device buffer freed on every exit path (errors return early).
struct DevBuf {
    void *p = nullptr;
    ~DevBuf() { if (p) cudaFree(p); }
};

struct Failure {
    cudaError_t code;
    const char *what;
};

#define CK(call) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) throw Failure{e_, #call}; } while (0)

template <typename T>
T *upload(DevBuf &b, const T *h, long long n) {
    if (!h) return nullptr;
    CK(cudaMalloc(&b.p, sizeof(T) * (size_t)n));
    CK(cudaMemcpy(b.p, h, sizeof(T) * (size_t)n, cudaMemcpyHostToDevice));
    return static_cast<T *>(b.p);
}

template <int MODE, typename R>
void launch_all(Args a, long long nitems, cudaStream_t st) {
    // Grid x is limited to 2^31-1 blocks; very long series need several launches.
    const long long step = 1LL << 30;
    for (long long base = 0; base < nitems; base += step) {
        a.item_base = base;
        const unsigned nb = (unsigned)std::min(step, nitems - base);
        pass_kernel<MODE, R><<<nb, NT, 0, st>>>(a);
        CK(cudaGetLastError());
    }
}

}  // namespace

extern "C" int mpcore_cuda_device_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();  // clear the sticky-free error so later calls are clean
        return 0;
    }
    return n;
}

extern "C" int mpcore_cuda_pass(
    int device, int mode, int64_t m, double p,
    int64_t lX, const double *X_T, const double *X_mu, const double *X_df,
    const double *X_dg, const double *X_w,
    int64_t lY, const double *Y_T, const double *Y_mu, const double *Y_df,
    const double *Y_dg, const double *Y_w,
    int64_t d_start, int64_t d_stop,
    double *row_score, int64_t *row_idx, double *col_score, int64_t *col_idx,
    int use_float32, char *err, int errlen) {
    if (err && errlen > 0) err[0] = '\0';
    if (mode < 0 || mode > 2) { set_err(err, errlen, "mpcore_cuda_pass: bad mode %d", mode); return 1; }
    if (m < 1 || lX < 1 || lY < 1 || d_start < 0) {
        set_err(err, errlen, "mpcore_cuda_pass: bad sizes m=%lld lX=%lld lY=%lld d_start=%lld",
                (long long)m, (long long)lX, (long long)lY, (long long)d_start);
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
    std::vector<long long> prefix((size_t)nbands + 1, 0);
    for (long long b = 0; b < nbands; ++b) {
        const long long len = std::min((long long)lX, (long long)lY - (d_start + b * BW));
        prefix[(size_t)b + 1] = prefix[(size_t)b] + (len + RC - 1) / RC;
    }
    const long long nitems = prefix[(size_t)nbands];

    try {
        CK(cudaSetDevice(device));  // per call: callers drive devices from threads
        cudaStream_t st;
        CK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
        struct StreamGuard { cudaStream_t s; ~StreamGuard() { cudaStreamDestroy(s); } } sg{st};

        DevBuf bxT, bxmu, bxdf, bxdg, bxw, byT, bymu, bydf, bydg, byw;
        DevBuf bpre, brs, bri, brl, bcs, bci, bcl;
        Args a{};
        a.m = m; a.p = p; a.lX = lX; a.lY = lY; a.d_start = d_start; a.d_stop = d_stop;
        const long long nX = lX + m - 1, nY = lY + m - 1;
        const bool z = mode == 0;
        a.xT = upload(bxT, X_T, nX);
        a.xw = upload(bxw, X_w, lX);
        if (z) { a.xmu = upload(bxmu, X_mu, lX); a.xdf = upload(bxdf, X_df, lX); a.xdg = upload(bxdg, X_dg, lX); }
        // A self-join passes the same host arrays twice: upload them once.
        const bool same = X_T == Y_T && lX == lY && X_w == Y_w &&
                          (!z || (X_mu == Y_mu && X_df == Y_df && X_dg == Y_dg));
        if (same) {
            a.yT = a.xT; a.yw = a.xw; a.ymu = a.xmu; a.ydf = a.xdf; a.ydg = a.xdg;
        } else {
            a.yT = upload(byT, Y_T, nY);
            a.yw = upload(byw, Y_w, lY);
            if (z) { a.ymu = upload(bymu, Y_mu, lY); a.ydf = upload(bydf, Y_df, lY); a.ydg = upload(bydg, Y_dg, lY); }
        }
        a.band_prefix = upload(bpre, prefix.data(), nbands + 1);
        a.nbands = nbands;
        if (row_score) {
            a.rs = upload(brs, row_score, lX);
            a.ri = upload(bri, reinterpret_cast<const long long *>(row_idx), lX);
            CK(cudaMalloc(&brl.p, sizeof(unsigned) * (size_t)lX));
            CK(cudaMemsetAsync(brl.p, 0, sizeof(unsigned) * (size_t)lX, st));
            a.rlock = static_cast<unsigned *>(brl.p);
        }
        if (col_score) {
            a.cs = upload(bcs, col_score, lY);
            a.ci = upload(bci, reinterpret_cast<const long long *>(col_idx), lY);
            CK(cudaMalloc(&bcl.p, sizeof(unsigned) * (size_t)lY));
            CK(cudaMemsetAsync(bcl.p, 0, sizeof(unsigned) * (size_t)lY, st));
            a.clock = static_cast<unsigned *>(bcl.p);
        }

        const bool f32 = use_float32 != 0;
        switch (mode * 2 + (f32 ? 1 : 0)) {
            case 0: launch_all<0, double>(a, nitems, st); break;
            case 1: launch_all<0, float>(a, nitems, st); break;
            case 2: launch_all<1, double>(a, nitems, st); break;
            case 3: launch_all<1, float>(a, nitems, st); break;
            case 4: launch_all<2, double>(a, nitems, st); break;
            default: launch_all<2, float>(a, nitems, st); break;
        }
        CK(cudaStreamSynchronize(st));
        if (row_score) {
            CK(cudaMemcpy(row_score, a.rs, sizeof(double) * (size_t)lX, cudaMemcpyDeviceToHost));
            CK(cudaMemcpy(row_idx, a.ri, sizeof(long long) * (size_t)lX, cudaMemcpyDeviceToHost));
        }
        if (col_score) {
            CK(cudaMemcpy(col_score, a.cs, sizeof(double) * (size_t)lY, cudaMemcpyDeviceToHost));
            CK(cudaMemcpy(col_idx, a.ci, sizeof(long long) * (size_t)lY, cudaMemcpyDeviceToHost));
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
