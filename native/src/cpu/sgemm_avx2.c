/* AVX2+FMA SGEMM kernel family (compiled with -mavx2 -mfma; selected at run time by mp_use_avx2()).
 *
 * Register tile 6 x 16: 12 ymm accumulators, 2 ymm for the B row, 1 for the A broadcast (15 of 16 ymm).
 * Per k step: 2 B loads + 6 broadcasts feed 12 FMAs, which keeps both FMA pipes busy (FMA latency 4,
 * 12 independent chains >= 2 pipes x 4 cycles).
 * Packing handles the transposes: 8x8 in-register transposes for A (row-major, M x K) and for B^T (N x K),
 * straight copies for A^T and B. Edges (rows/columns past the matrix) are packed as zeros.
 */
#include "sgemm_internal.h"

#include <immintrin.h>

#include "transpose8_avx2.h"

enum { MR = 6, NR = 16 };

/* lanes < n set (n in 0..8). */
static inline __m256i lane_mask(int64_t n) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), idx);
}

/* ---- packing A ---------------------------------------------------------------------------------------- */

/* op(A) = A (M x K, row-major): each sliver is 6 rows read along k, transposed 8 k at a time. The 8-float
 * stores overlap (stride 6); each one's 2 extra floats are overwritten by the next, the last lands in slack. */
static void pack_a_n(const float* a, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) {
    for (int64_t s = 0; s < mc; s += MR, dst += MR * kc) {
        const int64_t rows = mc - s < MR ? mc - s : MR;
        const float* src[MR];
        for (int r = 0; r < MR; r++) src[r] = a + (i0 + s + (r < rows ? r : 0)) * lda + k0;
        int64_t k = 0;
        __m256 v[8];
        for (; k + 8 <= kc; k += 8) {
            for (int r = 0; r < MR; r++) v[r] = r < rows ? _mm256_loadu_ps(src[r] + k) : _mm256_setzero_ps();
            v[6] = v[7] = _mm256_setzero_ps();
            transpose8(v);
            for (int q = 0; q < 8; q++) _mm256_storeu_ps(dst + (k + q) * MR, v[q]);
        }
        if (k < kc) {
            const int64_t left = kc - k;
            const __m256i m = lane_mask(left);
            for (int r = 0; r < MR; r++) v[r] = r < rows ? _mm256_maskload_ps(src[r] + k, m) : _mm256_setzero_ps();
            v[6] = v[7] = _mm256_setzero_ps();
            transpose8(v);
            for (int64_t q = 0; q < left; q++) _mm256_storeu_ps(dst + (k + q) * MR, v[q]);
        }
    }
}

/* op(A) = A^T (A is K x M): the 6 values of one k are contiguous in A. */
static void pack_a_t(const float* a, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) {
    for (int64_t s = 0; s < mc; s += MR, dst += MR * kc) {
        const int64_t rows = mc - s < MR ? mc - s : MR;
        const __m256i m = lane_mask(rows);
        const float* src = a + k0 * lda + i0 + s;
        int64_t k = 0;
        for (; k + 4 <= kc; k += 4) {
            const __m256 v0 = _mm256_maskload_ps(src + (k + 0) * lda, m);
            const __m256 v1 = _mm256_maskload_ps(src + (k + 1) * lda, m);
            const __m256 v2 = _mm256_maskload_ps(src + (k + 2) * lda, m);
            const __m256 v3 = _mm256_maskload_ps(src + (k + 3) * lda, m);
            _mm256_storeu_ps(dst + (k + 0) * MR, v0);
            _mm256_storeu_ps(dst + (k + 1) * MR, v1);
            _mm256_storeu_ps(dst + (k + 2) * MR, v2);
            _mm256_storeu_ps(dst + (k + 3) * MR, v3);
        }
        for (; k < kc; k++) _mm256_storeu_ps(dst + k * MR, _mm256_maskload_ps(src + k * lda, m));
    }
}

static void pack_a_avx2(int trans_a, const float* a, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                        float* dst) {
    if (trans_a)
        pack_a_t(a, lda, i0, mc, k0, kc, dst);
    else
        pack_a_n(a, lda, i0, mc, k0, kc, dst);
}

/* ---- packing B ---------------------------------------------------------------------------------------- */

/* op(B) = B (K x N, row-major): 16 contiguous floats per k. */
static void pack_b_n(const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
    for (int64_t s = 0; s < nc; s += NR, dst += NR * kc) {
        const int64_t cols = nc - s < NR ? nc - s : NR;
        const float* src = b + k0 * ldb + j0 + s;
        if (cols == NR) {
            int64_t k = 0;
            for (; k + 2 <= kc; k += 2) {
                const __m256 x0 = _mm256_loadu_ps(src + k * ldb), x1 = _mm256_loadu_ps(src + k * ldb + 8);
                const __m256 y0 = _mm256_loadu_ps(src + (k + 1) * ldb);
                const __m256 y1 = _mm256_loadu_ps(src + (k + 1) * ldb + 8);
                _mm256_store_ps(dst + k * NR, x0);
                _mm256_store_ps(dst + k * NR + 8, x1);
                _mm256_store_ps(dst + (k + 1) * NR, y0);
                _mm256_store_ps(dst + (k + 1) * NR + 8, y1);
            }
            if (k < kc) {
                _mm256_store_ps(dst + k * NR, _mm256_loadu_ps(src + k * ldb));
                _mm256_store_ps(dst + k * NR + 8, _mm256_loadu_ps(src + k * ldb + 8));
            }
        } else {
            const __m256i m0 = lane_mask(cols), m1 = lane_mask(cols - 8);
            for (int64_t k = 0; k < kc; k++) {
                _mm256_store_ps(dst + k * NR, _mm256_maskload_ps(src + k * ldb, m0));
                _mm256_store_ps(dst + k * NR + 8, _mm256_maskload_ps(src + k * ldb + 8, m1));
            }
        }
    }
}

/* op(B) = B^T (B is N x K): the 16 columns of a sliver are 16 rows of B; two 8x8 transposes per 8 k. */
static void pack_b_t(const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
    for (int64_t s = 0; s < nc; s += NR, dst += NR * kc) {
        const int64_t cols = nc - s < NR ? nc - s : NR;
        const float* src = b + (j0 + s) * ldb + k0;
        for (int h = 0; h < 2; h++) {
            const int64_t c0 = 8 * h;
            float* d = dst + c0;
            __m256 v[8];
            int64_t k = 0;
            if (c0 >= cols) {
                for (; k < kc; k++) _mm256_store_ps(d + k * NR, _mm256_setzero_ps());
                continue;
            }
            for (; k + 8 <= kc; k += 8) {
                for (int r = 0; r < 8; r++)
                    v[r] = c0 + r < cols ? _mm256_loadu_ps(src + (c0 + r) * ldb + k) : _mm256_setzero_ps();
                transpose8(v);
                for (int q = 0; q < 8; q++) _mm256_store_ps(d + (k + q) * NR, v[q]);
            }
            if (k < kc) {
                const int64_t left = kc - k;
                const __m256i m = lane_mask(left);
                for (int r = 0; r < 8; r++)
                    v[r] = c0 + r < cols ? _mm256_maskload_ps(src + (c0 + r) * ldb + k, m) : _mm256_setzero_ps();
                transpose8(v);
                for (int64_t q = 0; q < left; q++) _mm256_store_ps(d + (k + q) * NR, v[q]);
            }
        }
    }
}

static void pack_b_avx2(int trans_b, const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                        float* dst) {
    if (trans_b)
        pack_b_t(b, ldb, k0, kc, j0, nc, dst);
    else
        pack_b_n(b, ldb, k0, kc, j0, nc, dst);
}

/* ---- micro-kernel ----------------------------------------------------------------------------------------- */

/* One k step: 2 B loads, 6 broadcasts (two registers, alternating), 12 FMAs into operands %[c00] .. %[c51].
 * `ao`/`bo` are the byte offsets of this step within the current 4-step block. */
#define MP_ASM_STEP(ao, bo)                                                                              \
    "vmovaps " #bo "(%[b]), %%ymm0\n\t"                                                                   \
    "vmovaps " #bo "+32(%[b]), %%ymm1\n\t"                                                                \
    "vbroadcastss " #ao "(%[a]), %%ymm2\n\t"                                                              \
    "vbroadcastss " #ao "+4(%[a]), %%ymm3\n\t"                                                            \
    "vfmadd231ps %%ymm0, %%ymm2, %[c00]\n\t"                                                              \
    "vfmadd231ps %%ymm1, %%ymm2, %[c01]\n\t"                                                              \
    "vfmadd231ps %%ymm0, %%ymm3, %[c10]\n\t"                                                              \
    "vfmadd231ps %%ymm1, %%ymm3, %[c11]\n\t"                                                              \
    "vbroadcastss " #ao "+8(%[a]), %%ymm2\n\t"                                                            \
    "vbroadcastss " #ao "+12(%[a]), %%ymm3\n\t"                                                           \
    "vfmadd231ps %%ymm0, %%ymm2, %[c20]\n\t"                                                              \
    "vfmadd231ps %%ymm1, %%ymm2, %[c21]\n\t"                                                              \
    "vfmadd231ps %%ymm0, %%ymm3, %[c30]\n\t"                                                              \
    "vfmadd231ps %%ymm1, %%ymm3, %[c31]\n\t"                                                              \
    "vbroadcastss " #ao "+16(%[a]), %%ymm2\n\t"                                                           \
    "vbroadcastss " #ao "+20(%[a]), %%ymm3\n\t"                                                           \
    "vfmadd231ps %%ymm0, %%ymm2, %[c40]\n\t"                                                              \
    "vfmadd231ps %%ymm1, %%ymm2, %[c41]\n\t"                                                              \
    "vfmadd231ps %%ymm0, %%ymm3, %[c50]\n\t"                                                              \
    "vfmadd231ps %%ymm1, %%ymm3, %[c51]\n\t"

#define MP_ASM_ACC                                                                                       \
    [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10), [c11] "+x"(c11), [c20] "+x"(c20), [c21] "+x"(c21), \
    [c30] "+x"(c30), [c31] "+x"(c31), [c40] "+x"(c40), [c41] "+x"(c41), [c50] "+x"(c50), [c51] "+x"(c51)

#define MP_STORE_ROW(r)                                                                                  \
    do {                                                                                                 \
        float* cr = c + (r) * ldc;                                                                       \
        if (beta == 0.0f) {                                                                              \
            _mm256_storeu_ps(cr, _mm256_mul_ps(c##r##0, va));                                            \
            _mm256_storeu_ps(cr + 8, _mm256_mul_ps(c##r##1, va));                                        \
        } else if (beta == 1.0f) {                                                                       \
            _mm256_storeu_ps(cr, _mm256_fmadd_ps(c##r##0, va, _mm256_loadu_ps(cr)));                     \
            _mm256_storeu_ps(cr + 8, _mm256_fmadd_ps(c##r##1, va, _mm256_loadu_ps(cr + 8)));             \
        } else {                                                                                         \
            _mm256_storeu_ps(cr, _mm256_fmadd_ps(c##r##0, va, _mm256_mul_ps(_mm256_loadu_ps(cr), vb)));  \
            _mm256_storeu_ps(cr + 8,                                                                     \
                             _mm256_fmadd_ps(c##r##1, va, _mm256_mul_ps(_mm256_loadu_ps(cr + 8), vb)));  \
        }                                                                                                \
    } while (0)

/* One k step with A read in place: tile row r at a + r*lda (r10 = lda in bytes, rows 3..5 from r11 = a + 3*lda), `ao` the byte
 * offset of this step. Same loads-then-FMA order per accumulator as MP_ASM_STEP. */
#define MP_ASM_STEP_ROWS(ao, bo)                                                                         \
    "vmovaps " #bo "(%[b]), %%ymm0\n\t"                                                                   \
    "vmovaps " #bo "+32(%[b]), %%ymm1\n\t"                                                                \
    "vbroadcastss " #ao "(%[a]), %%ymm2\n\t"                                                              \
    "vbroadcastss " #ao "(%[a],%%r10), %%ymm3\n\t"                                                         \
    "vfmadd231ps %%ymm0, %%ymm2, %[c00]\n\t"                                                              \
    "vfmadd231ps %%ymm1, %%ymm2, %[c01]\n\t"                                                              \
    "vfmadd231ps %%ymm0, %%ymm3, %[c10]\n\t"                                                              \
    "vfmadd231ps %%ymm1, %%ymm3, %[c11]\n\t"                                                              \
    "vbroadcastss " #ao "(%[a],%%r10,2), %%ymm2\n\t"                                                       \
    "vbroadcastss " #ao "(%%r11), %%ymm3\n\t"                                                             \
    "vfmadd231ps %%ymm0, %%ymm2, %[c20]\n\t"                                                              \
    "vfmadd231ps %%ymm1, %%ymm2, %[c21]\n\t"                                                              \
    "vfmadd231ps %%ymm0, %%ymm3, %[c30]\n\t"                                                              \
    "vfmadd231ps %%ymm1, %%ymm3, %[c31]\n\t"                                                              \
    "vbroadcastss " #ao "(%%r11,%%r10), %%ymm2\n\t"                                                        \
    "vbroadcastss " #ao "(%%r11,%%r10,2), %%ymm3\n\t"                                                      \
    "vfmadd231ps %%ymm0, %%ymm2, %[c40]\n\t"                                                              \
    "vfmadd231ps %%ymm1, %%ymm2, %[c41]\n\t"                                                              \
    "vfmadd231ps %%ymm0, %%ymm3, %[c50]\n\t"                                                              \
    "vfmadd231ps %%ymm1, %%ymm3, %[c51]\n\t"

#define MP_KERNEL_PROLOGUE                                                                               \
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),              \
           c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),              \
           c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),              \
           c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();              \
    for (int r = 0; r < MR; r++) {                                                                       \
        _mm_prefetch((const char*)(c + r * ldc), _MM_HINT_T0);                                           \
        _mm_prefetch((const char*)(c + r * ldc + 15), _MM_HINT_T0);                                      \
    }

/* C = alpha * acc + beta * C: with beta == 1 the product C * 1 is exact, so skipping it changes no bit. */
#define MP_KERNEL_EPILOGUE                                                                               \
    do {                                                                                                 \
        const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);                             \
        MP_STORE_ROW(0);                                                                                 \
        MP_STORE_ROW(1);                                                                                 \
        MP_STORE_ROW(2);                                                                                 \
        MP_STORE_ROW(3);                                                                                 \
        MP_STORE_ROW(4);                                                                                 \
        MP_STORE_ROW(5);                                                                                 \
    } while (0)

/* Portable form of one k step (compilers without GNU inline assembly); A element of row r at a[r * rs]. */
#define MP_C_STEP(a, rs, b)                                                                              \
    do {                                                                                                 \
        const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps((b) + 8);                               \
        __m256 ar = _mm256_broadcast_ss((a) + 0 * (rs));                                                 \
        c00 = _mm256_fmadd_ps(ar, b0, c00); c01 = _mm256_fmadd_ps(ar, b1, c01);                          \
        ar = _mm256_broadcast_ss((a) + 1 * (rs));                                                        \
        c10 = _mm256_fmadd_ps(ar, b0, c10); c11 = _mm256_fmadd_ps(ar, b1, c11);                          \
        ar = _mm256_broadcast_ss((a) + 2 * (rs));                                                        \
        c20 = _mm256_fmadd_ps(ar, b0, c20); c21 = _mm256_fmadd_ps(ar, b1, c21);                          \
        ar = _mm256_broadcast_ss((a) + 3 * (rs));                                                        \
        c30 = _mm256_fmadd_ps(ar, b0, c30); c31 = _mm256_fmadd_ps(ar, b1, c31);                          \
        ar = _mm256_broadcast_ss((a) + 4 * (rs));                                                        \
        c40 = _mm256_fmadd_ps(ar, b0, c40); c41 = _mm256_fmadd_ps(ar, b1, c41);                          \
        ar = _mm256_broadcast_ss((a) + 5 * (rs));                                                        \
        c50 = _mm256_fmadd_ps(ar, b0, c50); c51 = _mm256_fmadd_ps(ar, b1, c51);                          \
    } while (0)

/* The k loops are inline assembly: with 15 of 16 ymm registers live, compilers rotate registers and add
 * moves; here every accumulator stays put and each step is exactly 2 + 6 loads and 12 FMAs. */
static void kernel_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                        float beta) {
    MP_KERNEL_PROLOGUE
#if defined(__GNUC__)
    int64_t k4 = kc >> 2, k1 = kc & 3;
    if (k4 > 0)
        __asm__ volatile(
            ".p2align 5\n"
            "1:\n\t"
            "prefetcht0 384(%[a])\n\t"
            MP_ASM_STEP(0, 0)
            MP_ASM_STEP(24, 64)
            "prefetcht0 512(%[b])\n\t"
            MP_ASM_STEP(48, 128)
            MP_ASM_STEP(72, 192)
            "addq $96, %[a]\n\t"
            "addq $256, %[b]\n\t"
            "decq %[n]\n\t"
            "jnz 1b\n\t"
            : [a] "+r"(a), [b] "+r"(b), [n] "+r"(k4), MP_ASM_ACC
            :
            : "xmm0", "xmm1", "xmm2", "xmm3", "memory", "cc");
    if (k1 > 0)
        __asm__ volatile(
            "2:\n\t"
            MP_ASM_STEP(0, 0)
            "addq $24, %[a]\n\t"
            "addq $64, %[b]\n\t"
            "decq %[n]\n\t"
            "jnz 2b\n\t"
            : [a] "+r"(a), [b] "+r"(b), [n] "+r"(k1), MP_ASM_ACC
            :
            : "xmm0", "xmm1", "xmm2", "xmm3", "memory", "cc");
#else
    for (int64_t k = 0; k < kc; k++, a += MR, b += NR) MP_C_STEP(a, 1, b);
#endif
    MP_KERNEL_EPILOGUE;
}

/* kernel_6x16 with A read in place: tile row r, step k at a[r*lda + k] (row-major A, no packing). */
static void kernel_6x16_a_rows(int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc,
                               float alpha, float beta) {
    MP_KERNEL_PROLOGUE
#if defined(__GNUC__)
    /* GCC allows 30 asm operands and the 12 accumulators take 24, so the rest comes in through one pointer:
     * r10 = lda in bytes, r9 = trip count, r11 = a + 3*lda walks rows 3..5. */
    const int64_t params[3] = { lda * (int64_t)sizeof(float), kc >> 2, kc & 3 };
    if (params[1] > 0)
        __asm__ volatile(
            "movq 0(%[p]), %%r10\n\t"
            "movq 8(%[p]), %%r9\n\t"
            "leaq (%[a],%%r10,2), %%r11\n\t"
            "addq %%r10, %%r11\n\t"
            ".p2align 5\n"
            "1:\n\t"
            MP_ASM_STEP_ROWS(0, 0)
            MP_ASM_STEP_ROWS(4, 64)
            "prefetcht0 512(%[b])\n\t"
            MP_ASM_STEP_ROWS(8, 128)
            MP_ASM_STEP_ROWS(12, 192)
            "addq $16, %[a]\n\t"
            "addq $16, %%r11\n\t"
            "addq $256, %[b]\n\t"
            "decq %%r9\n\t"
            "jnz 1b\n\t"
            : [a] "+r"(a), [b] "+r"(b), MP_ASM_ACC
            : [p] "r"(params)
            : "r9", "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm3", "memory", "cc");
    if (params[2] > 0)
        __asm__ volatile(
            "movq 0(%[p]), %%r10\n\t"
            "movq 16(%[p]), %%r9\n\t"
            "leaq (%[a],%%r10,2), %%r11\n\t"
            "addq %%r10, %%r11\n\t"
            "2:\n\t"
            MP_ASM_STEP_ROWS(0, 0)
            "addq $4, %[a]\n\t"
            "addq $4, %%r11\n\t"
            "addq $64, %[b]\n\t"
            "decq %%r9\n\t"
            "jnz 2b\n\t"
            : [a] "+r"(a), [b] "+r"(b), MP_ASM_ACC
            : [p] "r"(params)
            : "r9", "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm3", "memory", "cc");
#else
    for (int64_t k = 0; k < kc; k++, a++, b += NR) MP_C_STEP(a, lda, b);
#endif
    MP_KERNEL_EPILOGUE;
}

/* Blocks for 48 KiB L1d / 1 MiB L2 per core: B sliver 256 x 16 x 4 = 16 KiB (L1), A block 144 x 256 x 4 =
 * 144 KiB (L2, with room for C and the next block), B panel up to 256 x 3072 x 4 = 3 MiB (L3). */
const mp_sgemm_family mp_sgemm_avx2_family = {
    .mr = MR, .nr = NR, .mc = 144, .kc = 256, .nc = 3072,
    .pack_a = pack_a_avx2, .pack_b = pack_b_avx2, .kernel = kernel_6x16,
    .kernel_a_rows = kernel_6x16_a_rows,
};

