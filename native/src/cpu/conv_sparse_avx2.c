/* Sparse conv backward, AVX2 + FMA.
 *
 * dW of one channel: the entries are decoded a block at a time (window offset, top row, valid column range
 * [lo, hi) of the filter row), then for every filter row kh and every 64-float slice of it the slice is held in
 * eight vector accumulators while every entry of the block adds its input run (one load and one FMA per vector);
 * entries whose window is cut by the left or right border, and slices past the end of the row (runs that are
 * not whole vectors, e.g. 5 floats with one input channel), use lane masks (masked loads, blended FMAs, masked
 * stores). Every dW element gets the entries' terms in entry order.
 * dx of one example: each entry adds value * filter row onto its window's input rows (axpy, the example's dx
 * stays in cache), channels in order, then entries, then window rows; scalar tails use fmaf. */
#include "kernels.h"

#include <immintrin.h>
#include <math.h>

enum { ENTRY_BLOCK = 256, PREFETCH = 16 };

typedef struct {
    int64_t off; /* x offset of the window's (ih0, iw0) pixel (may point before the row: only valid lanes are read) */
    int32_t top; /* ih0 */
    int32_t lo, hi;
    float v;
} entry;

static inline __m256i lane_iota(void) { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }

/* Lanes q + l (l < 8) inside [lo, hi). */
static inline __m256i range_mask(int64_t q, int32_t lo, int32_t hi) {
    const __m256i qi = _mm256_add_epi32(_mm256_set1_epi32((int)q), lane_iota());
    return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(lo), qi), _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), qi));
}

static inline __m256 masked_fma(__m256 acc, __m256 v, const float* p, __m256i mask) {
    const __m256 x = _mm256_maskload_ps(p, mask);
    return _mm256_blendv_ps(acc, _mm256_fmadd_ps(v, x, acc), _mm256_castsi256_ps(mask));
}

/* One pass over the entries for up to eight (kh, column q) vector slots of the filter row tails: slot s holds dW[kh,
 * q .. q+7] (lanes past the row end are loaded as 0 and never stored). An entry whose window covers the slot's
 * lanes adds by plain FMA (the lanes past the row end read through a mask and are discarded); one cut by the
 * image border adds through its lane mask (blended, so a masked lane never changes). */
static inline __attribute__((always_inline)) void rest_pass_n(const entry* e, int64_t m, const int32_t* slot_kh,
                                                               const int64_t* slot_q, const int ns, int64_t run,
                                                               int64_t row_stride, int32_t H, const float* x, float* dw) {
    __m256 a[8];
    __m256i row_mask[8];
    for (int s = 0; s < 8; s++) {
        if (s < ns) {
            row_mask[s] = range_mask(slot_q[s], 0, (int32_t)run);
            a[s] = _mm256_maskload_ps(dw + slot_kh[s] * run + slot_q[s], row_mask[s]);
        } else {
            row_mask[s] = _mm256_setzero_si256();
            a[s] = _mm256_setzero_ps();
        }
    }
    for (int64_t i = 0; i < m; i++) {
        const __m256 v = _mm256_set1_ps(e[i].v);
        const int32_t lo = e[i].lo, hi = e[i].hi, top = e[i].top;
        const float* xe = x + e[i].off;
#pragma GCC unroll 8
        for (int s = 0; s < 8; s++) {
            if (s >= ns) break;
            if ((uint32_t)(top + slot_kh[s]) >= (uint32_t)H) continue;
            const int64_t q = slot_q[s];
            const float* xp = xe + slot_kh[s] * row_stride + q;
            if (lo <= q && (hi >= q + 8 || hi == run)) {
                const __m256 xv = q + 8 <= run ? _mm256_loadu_ps(xp) : _mm256_maskload_ps(xp, row_mask[s]);
                a[s] = _mm256_fmadd_ps(v, xv, a[s]);
            } else {
                a[s] = masked_fma(a[s], v, xp, range_mask(q, lo, hi));
            }
        }
    }
    for (int s = 0; s < ns; s++) _mm256_maskstore_ps(dw + slot_kh[s] * run + slot_q[s], row_mask[s], a[s]);
}

/* rest_pass_n with the slot count a constant, so that the accumulators stay in registers. */
static void rest_pass(const entry* e, int64_t m, const int32_t* slot_kh, const int64_t* slot_q, int ns, int64_t run,
                      int64_t row_stride, int32_t H, const float* x, float* dw) {
    switch (ns) {
        case 1: rest_pass_n(e, m, slot_kh, slot_q, 1, run, row_stride, H, x, dw); break;
        case 2: rest_pass_n(e, m, slot_kh, slot_q, 2, run, row_stride, H, x, dw); break;
        case 3: rest_pass_n(e, m, slot_kh, slot_q, 3, run, row_stride, H, x, dw); break;
        case 4: rest_pass_n(e, m, slot_kh, slot_q, 4, run, row_stride, H, x, dw); break;
        case 5: rest_pass_n(e, m, slot_kh, slot_q, 5, run, row_stride, H, x, dw); break;
        case 6: rest_pass_n(e, m, slot_kh, slot_q, 6, run, row_stride, H, x, dw); break;
        case 7: rest_pass_n(e, m, slot_kh, slot_q, 7, run, row_stride, H, x, dw); break;
        default: rest_pass_n(e, m, slot_kh, slot_q, 8, run, row_stride, H, x, dw); break;
    }
}

/* p / w for 0 <= p < 2^31 without a division: the double estimate is off by at most one, then corrected. */
static inline int32_t div_row(int32_t p, int32_t w, double inv_w) {
    int32_t q = (int32_t)((double)p * inv_w);
    if (q * w > p) q--;
    else if ((q + 1) * w <= p) q++;
    return q;
}

/* 1 x 1 kernels (e.g. the im2col matrix seen as one row of pixels): every window is one whole pixel of Cin floats,
 * so the entries need no window decode. nv (constant per instantiation) vectors of dW[q .. q + 8 nv) in
 * registers, the last one masked to the row; entries in order. */
static inline __attribute__((always_inline)) void pixel_pass_n(const int32_t* idx, const float* val, int64_t nk,
                                                                int64_t k, const mp_conv_geometry* g, const float* x,
                                                                int64_t ldx, float* dw, int64_t q, const int nv) {
    const int64_t Cin = g->in_c, P = (int64_t)g->out_h * g->out_w;
    const double inv_w = 1.0 / g->out_w;
    __m256 a[8];
    __m256i mask[8];
    for (int s = 0; s < nv; s++) {
        mask[s] = range_mask(q + 8 * s, 0, (int32_t)Cin);
        a[s] = _mm256_maskload_ps(dw + q + 8 * s, mask[s]);
    }
    const int whole = q + 8 * nv <= Cin;
    /* One row of pixels (the im2col matrix seen as an image): the rows an entry reads are usually out of cache by
     * the time of the backward pass, so the first slice prefetches the rows of the entries PREFETCH ahead. */
    const int prefetch = q == 0 && g->out_h == 1 && g->stride == 1 && nk == k;
    int64_t n = 0, next = k;
    for (int64_t j = 0; j < nk; j++) {
        if (prefetch && j + PREFETCH < nk) {
            const char* ahead = (const char*)(x + (int64_t)idx[j + PREFETCH] * Cin);
            _mm_prefetch(ahead, _MM_HINT_T0);
            _mm_prefetch(ahead + 64, _MM_HINT_T0);
            if (Cin > 16) _mm_prefetch(ahead + 128, _MM_HINT_T0);
        }
        if (j == next) {
            n++;
            next += k;
        }
        const float v = val[j];
        if (v == 0.0f) continue;
        const int32_t p = (int32_t)(idx[j] - n * P);
        const int32_t oh = g->out_h == 1 ? 0 : div_row(p, g->out_w, inv_w), ow = p - oh * g->out_w;
        const float* xp = x + n * ldx + ((int64_t)oh * g->stride * g->in_w + (int64_t)ow * g->stride) * Cin + q;
        const __m256 vv = _mm256_set1_ps(v);
        for (int s = 0; s < nv; s++) {
            const __m256 xv = (whole || s + 1 < nv) ? _mm256_loadu_ps(xp + 8 * s) : _mm256_maskload_ps(xp + 8 * s, mask[s]);
            a[s] = _mm256_fmadd_ps(vv, xv, a[s]);
        }
    }
    for (int s = 0; s < nv; s++) _mm256_maskstore_ps(dw + q + 8 * s, mask[s], a[s]);
}

static void dw_pixels(const mp_conv_geometry* g, int64_t k, int64_t nk, const int32_t* idx, const float* val,
                      const float* x, int64_t ldx, float* dw) {
    const int64_t Cin = g->in_c;
    for (int64_t q = 0; q < Cin; q += 64) {
        const int64_t left = (Cin - q + 7) / 8;
        switch (left >= 8 ? 8 : left) {
            case 1: pixel_pass_n(idx, val, nk, k, g, x, ldx, dw, q, 1); break;
            case 2: pixel_pass_n(idx, val, nk, k, g, x, ldx, dw, q, 2); break;
            case 3: pixel_pass_n(idx, val, nk, k, g, x, ldx, dw, q, 3); break;
            case 4: pixel_pass_n(idx, val, nk, k, g, x, ldx, dw, q, 4); break;
            case 5: pixel_pass_n(idx, val, nk, k, g, x, ldx, dw, q, 5); break;
            case 6: pixel_pass_n(idx, val, nk, k, g, x, ldx, dw, q, 6); break;
            case 7: pixel_pass_n(idx, val, nk, k, g, x, ldx, dw, q, 7); break;
            default: pixel_pass_n(idx, val, nk, k, g, x, ldx, dw, q, 8); break;
        }
    }
}

/* Rows of whole vectors: dW[kh, g0 .. g0 + 8 nv) (nv <= 12, a constant per instantiation) in registers while every
 * entry of the block adds its input run; entries cut by the image border add through lane masks. */
static inline __attribute__((always_inline)) void slice_pass_n(const entry* e, int64_t m, int64_t kh, int64_t g0,
                                                                int32_t H, const float* xk, float* drow, const int nv) {
    __m256 a[12];
    for (int s = 0; s < nv; s++) a[s] = _mm256_loadu_ps(drow + g0 + 8 * s);
    for (int64_t i = 0; i < m; i++) {
        if ((uint32_t)(e[i].top + kh) >= (uint32_t)H) continue;
        const float* xp = xk + e[i].off + g0;
        const __m256 v = _mm256_set1_ps(e[i].v);
        if (e[i].lo <= g0 && e[i].hi >= g0 + 8 * nv) {
            for (int s = 0; s < nv; s++) a[s] = _mm256_fmadd_ps(v, _mm256_loadu_ps(xp + 8 * s), a[s]);
        } else {
            for (int s = 0; s < nv; s++) a[s] = masked_fma(a[s], v, xp + 8 * s, range_mask(g0 + 8 * s, e[i].lo, e[i].hi));
        }
    }
    for (int s = 0; s < nv; s++) _mm256_storeu_ps(drow + g0 + 8 * s, a[s]);
}

static void slice_pass(const entry* e, int64_t m, int64_t kh, int64_t g0, int32_t H, const float* xk, float* drow,
                       int64_t nv) {
    switch (nv) {
#define MP_SLICE(c) case c: slice_pass_n(e, m, kh, g0, H, xk, drow, c); break;
        MP_SLICE(1) MP_SLICE(2) MP_SLICE(3) MP_SLICE(4) MP_SLICE(5) MP_SLICE(6)
        MP_SLICE(7) MP_SLICE(8) MP_SLICE(9) MP_SLICE(10) MP_SLICE(11)
#undef MP_SLICE
        default: slice_pass_n(e, m, kh, g0, H, xk, drow, 12); break;
    }
}

void mp_conv_dw_channel_avx2(const mp_conv_geometry* g, int64_t k, int64_t nk, const int32_t* idx, const float* val,
                             const float* x, int64_t ldx, float* dw, int accumulate) {
    const int64_t P = (int64_t)g->out_h * g->out_w, Cin = g->in_c, KW = g->kernel_w, KH = g->kernel_h;
    const int64_t run = KW * Cin, row_stride = (int64_t)g->in_w * Cin;
    const int32_t H = g->in_h, P32 = (int32_t)P, out_w = g->out_w;
    const double inv_w = 1.0 / out_w;
    if (!accumulate)
        for (int64_t i = 0; i < KH * run; i++) dw[i] = 0.0f;
    if (KH == 1 && KW == 1) { /* no padding (pad < kernel): every window is one pixel inside the image */
        dw_pixels(g, k, nk, idx, val, x, ldx, dw);
        return;
    }
    entry e[ENTRY_BLOCK];
    for (int64_t j0 = 0; j0 < nk; j0 += ENTRY_BLOCK) {
        const int64_t j1 = j0 + ENTRY_BLOCK < nk ? j0 + ENTRY_BLOCK : nk;
        int64_t m = 0;
        int32_t n = (int32_t)(j0 / k);
        int64_t next = ((int64_t)n + 1) * k; /* the first entry of example n + 1 */
        for (int64_t j = j0; j < j1; j++) {
            if (j == next) {
                n++;
                next += k;
            }
            const float v = val[j];
            if (v == 0.0f) continue;
            const int32_t p = idx[j] - n * P32, oh = div_row(p, out_w, inv_w), ow = p - oh * out_w;
            const int64_t ih0 = oh * g->stride - g->pad_top, iw0 = ow * g->stride - g->pad_left;
            const int64_t kw_lo = iw0 < 0 ? -iw0 : 0, kw_hi = g->in_w - iw0 < KW ? g->in_w - iw0 : KW;
            if (kw_lo >= kw_hi) continue;
            e[m].off = (int64_t)n * ldx + (ih0 * g->in_w + iw0) * Cin;
            e[m].top = (int32_t)ih0;
            e[m].lo = (int32_t)(kw_lo * Cin);
            e[m].hi = (int32_t)(kw_hi * Cin);
            e[m].v = v;
            m++;
        }
        if (m == 0) continue;
        if (run % 8 == 0 && run >= 64) {
            /* whole vectors: the row in equal slices of at most 12 vectors (160 floats: two of 10), no rest */
            const int64_t V = run / 8, S = (V + 11) / 12, nv = (V + S - 1) / S;
            for (int64_t kh = 0; kh < KH; kh++)
                for (int64_t v0 = 0; v0 < V; v0 += nv)
                    slice_pass(e, m, kh, v0 * 8, H, x + kh * row_stride, dw + kh * run, V - v0 < nv ? V - v0 : nv);
            continue;
        }
        for (int64_t kh = 0; kh < KH; kh++) {
            float* drow = dw + kh * run;
            const float* xk = x + kh * row_stride;
            int64_t g0 = 0;
            for (; g0 + 64 <= run; g0 += 64) {
                __m256 a0 = _mm256_loadu_ps(drow + g0), a1 = _mm256_loadu_ps(drow + g0 + 8);
                __m256 a2 = _mm256_loadu_ps(drow + g0 + 16), a3 = _mm256_loadu_ps(drow + g0 + 24);
                __m256 a4 = _mm256_loadu_ps(drow + g0 + 32), a5 = _mm256_loadu_ps(drow + g0 + 40);
                __m256 a6 = _mm256_loadu_ps(drow + g0 + 48), a7 = _mm256_loadu_ps(drow + g0 + 56);
                for (int64_t i = 0; i < m; i++) {
                    if ((uint32_t)(e[i].top + kh) >= (uint32_t)H) continue;
                    const float* xp = xk + e[i].off + g0;
                    const __m256 v = _mm256_set1_ps(e[i].v);
                    if (e[i].lo <= g0 && e[i].hi >= g0 + 64) {
                        a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xp), a0);
                        a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xp + 8), a1);
                        a2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xp + 16), a2);
                        a3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xp + 24), a3);
                        a4 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xp + 32), a4);
                        a5 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xp + 40), a5);
                        a6 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xp + 48), a6);
                        a7 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xp + 56), a7);
                    } else {
                        const int32_t lo = e[i].lo, hi = e[i].hi;
                        a0 = masked_fma(a0, v, xp, range_mask(g0, lo, hi));
                        a1 = masked_fma(a1, v, xp + 8, range_mask(g0 + 8, lo, hi));
                        a2 = masked_fma(a2, v, xp + 16, range_mask(g0 + 16, lo, hi));
                        a3 = masked_fma(a3, v, xp + 24, range_mask(g0 + 24, lo, hi));
                        a4 = masked_fma(a4, v, xp + 32, range_mask(g0 + 32, lo, hi));
                        a5 = masked_fma(a5, v, xp + 40, range_mask(g0 + 40, lo, hi));
                        a6 = masked_fma(a6, v, xp + 48, range_mask(g0 + 48, lo, hi));
                        a7 = masked_fma(a7, v, xp + 56, range_mask(g0 + 56, lo, hi));
                    }
                }
                _mm256_storeu_ps(drow + g0, a0);
                _mm256_storeu_ps(drow + g0 + 8, a1);
                _mm256_storeu_ps(drow + g0 + 16, a2);
                _mm256_storeu_ps(drow + g0 + 24, a3);
                _mm256_storeu_ps(drow + g0 + 32, a4);
                _mm256_storeu_ps(drow + g0 + 40, a5);
                _mm256_storeu_ps(drow + g0 + 48, a6);
                _mm256_storeu_ps(drow + g0 + 56, a7);
            }
        }
        /* The rest of every filter row (the last run % 64 floats: all of it when a row is shorter than 64 floats, e.g.
         * 5 floats with one input channel) as (kh, column) vector slots, eight per pass over the entries, so that
         * short rows still get eight independent accumulator chains. */
        const int64_t r0 = run / 64 * 64;
        if (r0 == run) continue;
        int32_t slot_kh[8];
        int64_t slot_q[8];
        int ns = 0;
        for (int64_t kh = 0; kh <= KH; kh++) {
            if (ns == 8 || (kh == KH && ns > 0)) {
                rest_pass(e, m, slot_kh, slot_q, ns, run, row_stride, H, x, dw);
                ns = 0;
            }
            if (kh == KH) break;
            for (int64_t q = r0; q < run; q += 8) {
                if (ns == 8) {
                    rest_pass(e, m, slot_kh, slot_q, ns, run, row_stride, H, x, dw);
                    ns = 0;
                }
                slot_kh[ns] = (int32_t)kh;
                slot_q[ns] = q;
                ns++;
            }
        }
    }
}

static inline void axpy(float a, const float* x, float* y, int64_t n) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] = fmaf(a, x[i], y[i]);
}

enum { DX_MAX_POSITIONS = 4096, DX_ROUND = 2048 };

/* d[0 .. 8 nv) (the last vector masked to `len` floats from d) += sum over the entries (c, v) in order of v * the
 * filter rows at offset `off` (w + c * ldw + off): the entries' sum in registers, one read-modify-write of dx. */
static inline __attribute__((always_inline)) void seg_pass_n(const int32_t* pc, const float* pv, int64_t m,
                                                              const float* w, int64_t ldw, int64_t off, float* d,
                                                              int64_t len, const int nv) {
    __m256 a[8];
    __m256i mask[8];
    for (int s = 0; s < nv; s++) {
        mask[s] = range_mask(8 * s, 0, (int32_t)len);
        a[s] = _mm256_setzero_ps();
    }
    const int whole = 8 * nv <= len;
    for (int64_t i = 0; i < m; i++) {
        const float* wr = w + pc[i] * ldw + off;
        const __m256 v = _mm256_set1_ps(pv[i]);
        for (int s = 0; s < nv; s++) {
            const __m256 wv = (whole || s + 1 < nv) ? _mm256_loadu_ps(wr + 8 * s) : _mm256_maskload_ps(wr + 8 * s, mask[s]);
            a[s] = _mm256_fmadd_ps(v, wv, a[s]);
        }
    }
    for (int s = 0; s < nv; s++) {
        if (whole || s + 1 < nv) _mm256_storeu_ps(d + 8 * s, _mm256_add_ps(_mm256_loadu_ps(d + 8 * s), a[s]));
        else _mm256_maskstore_ps(d + 8 * s, mask[s], _mm256_add_ps(_mm256_maskload_ps(d + 8 * s, mask[s]), a[s]));
    }
}

static void seg_pass(const int32_t* pc, const float* pv, int64_t m, const float* w, int64_t ldw, int64_t off, float* d,
                     int64_t len) {
    for (int64_t q = 0; q < len; q += 64) {
        const int64_t left = len - q, nv = (left + 7) / 8;
        switch (nv >= 8 ? 8 : nv) {
            case 1: seg_pass_n(pc, pv, m, w, ldw, off + q, d + q, left, 1); break;
            case 2: seg_pass_n(pc, pv, m, w, ldw, off + q, d + q, left, 2); break;
            case 3: seg_pass_n(pc, pv, m, w, ldw, off + q, d + q, left, 3); break;
            case 4: seg_pass_n(pc, pv, m, w, ldw, off + q, d + q, left, 4); break;
            case 5: seg_pass_n(pc, pv, m, w, ldw, off + q, d + q, left, 5); break;
            case 6: seg_pass_n(pc, pv, m, w, ldw, off + q, d + q, left, 6); break;
            case 7: seg_pass_n(pc, pv, m, w, ldw, off + q, d + q, left, 7); break;
            default: seg_pass_n(pc, pv, m, w, ldw, off + q, d + q, left, 8); break;
        }
    }
}

/* dx of one example, position-major: the example's entries are bucketed by position (a counting sort, a round of
 * channels at a time), then per position its entries' filter rows are summed in registers, 64 floats at a time,
 * and added onto the window once, instead of one read-modify-write of the window per entry. Per dx element: rounds
 * in order, positions in order, each position's sum over its channels in order. */
void mp_conv_dx_example_avx2(const mp_conv_geometry* g, int64_t n, int64_t channels, int64_t k, const int32_t* idx,
                             int64_t ldi, const float* val, int64_t ldv, const float* w, int64_t ldw, float* dxn) {
    const int64_t P = (int64_t)g->out_h * g->out_w, Cin = g->in_c, KW = g->kernel_w, run = KW * Cin;
    const int64_t size = (int64_t)g->in_h * g->in_w * Cin;
    const double inv_w = 1.0 / g->out_w;
    int64_t i = 0;
    for (; i + 8 <= size; i += 8) _mm256_storeu_ps(dxn + i, _mm256_setzero_ps());
    for (; i < size; i++) dxn[i] = 0.0f;
    if (P <= DX_MAX_POSITIONS && k <= DX_ROUND) {
        int32_t start[DX_MAX_POSITIONS + 1], pc[DX_ROUND];
        float pv[DX_ROUND];
        const int64_t per_round = DX_ROUND / k;
        for (int64_t c0 = 0; c0 < channels; c0 += per_round) {
            const int64_t c1 = c0 + per_round < channels ? c0 + per_round : channels;
            for (int64_t q = 0; q <= P; q++) start[q] = 0;
            for (int64_t c = c0; c < c1; c++)
                for (int64_t t = 0; t < k; t++)
                    if (val[c * ldv + n * k + t] != 0.0f) start[idx[c * ldi + n * k + t] - n * P + 1]++;
            for (int64_t q = 0; q < P; q++) start[q + 1] += start[q];
            for (int64_t c = c0; c < c1; c++)
                for (int64_t t = 0; t < k; t++) {
                    const float v = val[c * ldv + n * k + t];
                    if (v == 0.0f) continue;
                    const int32_t slot = start[idx[c * ldi + n * k + t] - n * P]++;
                    pc[slot] = (int32_t)c;
                    pv[slot] = v;
                }
            /* the cursors ended at the next position's start */
            int32_t begin = 0;
            for (int64_t p = 0; p < P; p++) {
                const int32_t end = start[p];
                if (end == begin) continue;
                const int64_t oh = div_row((int32_t)p, g->out_w, inv_w), ow = p - oh * g->out_w;
                const int64_t ih0 = oh * g->stride - g->pad_top, iw0 = ow * g->stride - g->pad_left;
                const int64_t kw_lo = iw0 < 0 ? -iw0 : 0, kw_hi = g->in_w - iw0 < KW ? g->in_w - iw0 : KW;
                if (kw_lo < kw_hi)
                    for (int64_t kh = 0; kh < g->kernel_h; kh++) {
                        const int64_t ih = ih0 + kh;
                        if (ih < 0 || ih >= g->in_h) continue;
                        seg_pass(pc + begin, pv + begin, end - begin, w, ldw, kh * run + kw_lo * Cin,
                                 dxn + (ih * g->in_w + iw0 + kw_lo) * Cin, (kw_hi - kw_lo) * Cin);
                    }
                begin = end;
            }
        }
        return;
    }
    /* many positions or a large k: a scatter per entry */
    for (int64_t c = 0; c < channels; c++) {
        const int32_t* ir = idx + c * ldi + n * k;
        const float* vr = val + c * ldv + n * k;
        const float* wr = w + c * ldw;
        for (int64_t t = 0; t < k; t++) {
            const float v = vr[t];
            if (v == 0.0f) continue;
            const int64_t p = ir[t] - n * P, oh = div_row((int32_t)p, g->out_w, inv_w), ow = p - oh * g->out_w;
            const int64_t ih0 = oh * g->stride - g->pad_top, iw0 = ow * g->stride - g->pad_left;
            const int64_t kw_lo = iw0 < 0 ? -iw0 : 0, kw_hi = g->in_w - iw0 < KW ? g->in_w - iw0 : KW;
            if (kw_lo >= kw_hi) continue;
            for (int64_t kh = 0; kh < g->kernel_h; kh++) {
                const int64_t ih = ih0 + kh;
                if (ih < 0 || ih >= g->in_h) continue;
                axpy(v, wr + kh * run + kw_lo * Cin, dxn + (ih * g->in_w + iw0 + kw_lo) * Cin, (kw_hi - kw_lo) * Cin);
            }
        }
    }
}
