/* Sparse backward, AVX2+FMA, by blocks of up to 96 columns (12 accumulators).
 * dx: per example, the k selected W rows are accumulated in registers (one FMA per element, t in order); the W
 *     column slice stays in L2 across the batch.
 * dW (per example): x[b, block] stays in registers while its k axpys go into the selected dW rows, b in order.
 * dW (grouped, the pairs sorted by row): each dW row block is loaded once, gets its pairs' FMAs in registers and is
 *     stored once; the batch's x slice stays in L1 across the rows.
 * Columns past the last full vector use scalar FMAs, so every element gets one rounding per step whatever its
 * position. */
#include "kernels.h"

#include <immintrin.h>

#define INLINE static inline __attribute__((always_inline))
/* Makes the compiler keep p in one register, so the unrolled loads address it with constant offsets (without it
 * gcc 12 spills per-vector index registers and spends three instructions per FMA). */
#define PIN(p) __asm__("" : "+r"(p))

enum {
    PREFETCH_PAIRS = 8, /* dx: W rows are prefetched this many (b, t) pairs ahead */
    PREFETCH_ROWS = 4   /* grouped dW: dW row blocks are prefetched this many rows ahead (they come from L3 or memory) */
};

/* dx[b, c .. c + 8*nv) for every b: the W column slice (n x 8*nv) stays in cache across the batch. */
INLINE void dx_block(int nv, int64_t c, int64_t batch, int64_t k, const int32_t* idx, int64_t ldi, const float* val,
                     int64_t ldv, const float* w, int64_t ldw, float* dx, int64_t lddx) {
    int64_t pb = 0, pt = PREFETCH_PAIRS; /* the pair PREFETCH_PAIRS ahead of (b, t) */
    while (pt >= k) {
        pt -= k;
        pb++;
    }
    for (int64_t b = 0; b < batch; b++) {
        const int32_t* ix = idx + b * ldi;
        const float* v = val + b * ldv;
        __m256 acc[12];
        for (int j = 0; j < nv; j++) acc[j] = _mm256_setzero_ps();
        for (int64_t t = 0; t < k; t++) {
            if (pb < batch) {
                const float* ahead = w + (int64_t)idx[pb * ldi + pt] * ldw + c;
                for (int j = 0; j < nv; j += 2) _mm_prefetch((const char*)(ahead + 8 * j), _MM_HINT_T0);
            }
            if (++pt == k) {
                pt = 0;
                pb++;
            }
            const __m256 s = _mm256_broadcast_ss(v + t);
            const float* wr = w + (int64_t)ix[t] * ldw + c;
            PIN(wr);
            for (int j = 0; j < nv; j++) acc[j] = _mm256_fmadd_ps(s, _mm256_loadu_ps(wr + 8 * j), acc[j]);
        }
        for (int j = 0; j < nv; j++) _mm256_storeu_ps(dx + b * lddx + c + 8 * j, acc[j]);
    }
}

void mp_sparse_dx_avx2(int64_t c0, int64_t c1, int64_t batch, int64_t k, const int32_t* idx, int64_t ldi,
                       const float* val, int64_t ldv, const float* w, int64_t ldw, float* dx, int64_t lddx) {
    int64_t c = c0;
    for (; c + 96 <= c1; c += 96) dx_block(12, c, batch, k, idx, ldi, val, ldv, w, ldw, dx, lddx);
    for (; c + 64 <= c1; c += 64) dx_block(8, c, batch, k, idx, ldi, val, ldv, w, ldw, dx, lddx);
    if (c + 32 <= c1) { dx_block(4, c, batch, k, idx, ldi, val, ldv, w, ldw, dx, lddx); c += 32; }
    if (c + 16 <= c1) { dx_block(2, c, batch, k, idx, ldi, val, ldv, w, ldw, dx, lddx); c += 16; }
    if (c + 8 <= c1) { dx_block(1, c, batch, k, idx, ldi, val, ldv, w, ldw, dx, lddx); c += 8; }
    for (; c < c1; c++) {
        for (int64_t b = 0; b < batch; b++) {
            const int32_t* ix = idx + b * ldi;
            const float* v = val + b * ldv;
            __m128 acc = _mm_setzero_ps();
            for (int64_t t = 0; t < k; t++)
                acc = _mm_fmadd_ss(_mm_load_ss(v + t), _mm_load_ss(w + (int64_t)ix[t] * ldw + c), acc);
            _mm_store_ss(dx + b * lddx + c, acc);
        }
    }
}

INLINE void dw_block(int nv, int64_t c, int64_t batch, int64_t k, const int32_t* idx, int64_t ldi, const float* val,
                     int64_t ldv, const float* x, int64_t ldx, float* dw, int64_t lddw) {
    for (int64_t b = 0; b < batch; b++) {
        __m256 xs[12];
        for (int j = 0; j < nv; j++) xs[j] = _mm256_loadu_ps(x + b * ldx + c + 8 * j);
        const int32_t* ix = idx + b * ldi;
        const float* v = val + b * ldv;
        for (int64_t t = 0; t < k; t++) {
            const __m256 s = _mm256_broadcast_ss(v + t);
            float* dr = dw + (int64_t)ix[t] * lddw + c;
            for (int j = 0; j < nv; j++)
                _mm256_storeu_ps(dr + 8 * j, _mm256_fmadd_ps(s, xs[j], _mm256_loadu_ps(dr + 8 * j)));
        }
    }
}

void mp_sparse_dw_avx2(int64_t c0, int64_t c1, int64_t batch, int64_t k, const int32_t* idx, int64_t ldi,
                       const float* val, int64_t ldv, const float* x, int64_t ldx, float* dw, int64_t lddw) {
    int64_t c = c0;
    for (; c + 64 <= c1; c += 64) dw_block(8, c, batch, k, idx, ldi, val, ldv, x, ldx, dw, lddw);
    if (c + 32 <= c1) { dw_block(4, c, batch, k, idx, ldi, val, ldv, x, ldx, dw, lddw); c += 32; }
    if (c + 16 <= c1) { dw_block(2, c, batch, k, idx, ldi, val, ldv, x, ldx, dw, lddw); c += 16; }
    if (c + 8 <= c1) { dw_block(1, c, batch, k, idx, ldi, val, ldv, x, ldx, dw, lddw); c += 8; }
    if (c < c1) {
        for (int64_t b = 0; b < batch; b++) {
            const float* xr = x + b * ldx;
            for (int64_t t = 0; t < k; t++) {
                const __m128 s = _mm_load_ss(val + b * ldv + t);
                float* dr = dw + (int64_t)idx[b * ldi + t] * lddw;
                for (int64_t cc = c; cc < c1; cc++)
                    _mm_store_ss(dr + cc, _mm_fmadd_ss(s, _mm_load_ss(xr + cc), _mm_load_ss(dr + cc)));
            }
        }
    }
}

/* Grouped dW: the (b, t) pairs sorted by row (b order kept within a row): pairs start[i] .. start[i+1]-1 of row i
 * are (px[p] = b * ldx, pv[p]). Each dW row block is loaded once, gets its pairs' FMAs in registers (b in order: the
 * same operations as mp_sparse_dw_avx2), and is stored once. */
INLINE void dw_group(int nv, float* dr, const int32_t* px, const float* pv, int64_t count, const float* x) {
    __m256 acc[12];
    for (int j = 0; j < nv; j++) acc[j] = _mm256_loadu_ps(dr + 8 * j);
    for (int64_t p = 0; p < count; p++) {
        const __m256 v = _mm256_broadcast_ss(pv + p);
        const float* xr = x + px[p];
        PIN(xr);
        for (int j = 0; j < nv; j++) acc[j] = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 8 * j), acc[j]);
    }
    for (int j = 0; j < nv; j++) _mm256_storeu_ps(dr + 8 * j, acc[j]);
}

/* One column block [c, c + 8 * nv) of every row: the x slice of the batch (batch x 8 * nv) stays in L1 across the
 * rows, while the dW row blocks stream in (prefetched PREFETCH_ROWS rows ahead) and out once each. */
INLINE void dw_grouped_block(int nv, int64_t c, int64_t n, const int32_t* start, const int32_t* px, const float* pv,
                             const float* x, float* dw, int64_t lddw) {
    for (int64_t i = 0; i < n; i++) {
        const int64_t s = start[i], count = start[i + 1] - s;
        if (i + PREFETCH_ROWS < n && start[i + PREFETCH_ROWS + 1] > start[i + PREFETCH_ROWS]) {
            const char* ahead = (const char*)(dw + (i + PREFETCH_ROWS) * lddw + c);
            for (int j = 0; j < nv; j += 2) _mm_prefetch(ahead + 32 * j, _MM_HINT_T0);
        }
        if (count > 0) dw_group(nv, dw + i * lddw + c, px + s, pv + s, count, x + c);
    }
}

void mp_sparse_dw_grouped_avx2(int64_t c0, int64_t c1, int64_t n, const int32_t* start, const int32_t* px,
                               const float* pv, const float* x, float* dw, int64_t lddw) {
    int64_t c = c0;
    for (; c + 96 <= c1; c += 96) dw_grouped_block(12, c, n, start, px, pv, x, dw, lddw);
    for (; c + 64 <= c1; c += 64) dw_grouped_block(8, c, n, start, px, pv, x, dw, lddw);
    if (c + 32 <= c1) { dw_grouped_block(4, c, n, start, px, pv, x, dw, lddw); c += 32; }
    if (c + 16 <= c1) { dw_grouped_block(2, c, n, start, px, pv, x, dw, lddw); c += 16; }
    if (c + 8 <= c1) { dw_grouped_block(1, c, n, start, px, pv, x, dw, lddw); c += 8; }
    if (c == c1) return;
    for (int64_t i = 0; i < n; i++) {
        const int64_t s = start[i], count = start[i + 1] - s;
        float* dr = dw + i * lddw;
        for (int64_t cc = c; cc < c1; cc++) {
            __m128 acc = _mm_load_ss(dr + cc);
            for (int64_t p = s; p < s + count; p++)
                acc = _mm_fmadd_ss(_mm_load_ss(pv + p), _mm_load_ss(x + px[p] + cc), acc);
            _mm_store_ss(dr + cc, acc);
        }
    }
}
