/* Portable SGEMM kernel family: the reference for the AVX2 one and the fallback on CPUs without AVX2+FMA.
 * Plain C11 with no intrinsics; it runs under the same packed, cache-blocked driver (sgemm.c), and the
 * 4 x 8 register tile is written so that compilers vectorize it with the baseline ISA (SSE2 on x86-64).
 * Built with -ffp-contract=off: every step is a rounded multiply followed by a rounded add. */
#include "sgemm_internal.h"

#include <stddef.h>

enum { MR = 4, NR = 8 };

static void pack_a_scalar(int trans_a, const float* a, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                          float* dst) {
    for (int64_t s = 0; s < mc; s += MR) {
        const int64_t rows = mc - s < MR ? mc - s : MR;
        for (int64_t k = 0; k < kc; k++) {
            float* d = dst + k * MR;
            for (int64_t r = 0; r < MR; r++) {
                const int64_t i = i0 + s + r, kk = k0 + k;
                d[r] = r < rows ? (trans_a ? a[kk * lda + i] : a[i * lda + kk]) : 0.0f;
            }
        }
        dst += MR * kc;
    }
}

static void pack_b_scalar(int trans_b, const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                          float* dst) {
    for (int64_t s = 0; s < nc; s += NR) {
        const int64_t cols = nc - s < NR ? nc - s : NR;
        for (int64_t k = 0; k < kc; k++) {
            float* d = dst + k * NR;
            const int64_t kk = k0 + k;
            for (int64_t c = 0; c < NR; c++) {
                const int64_t j = j0 + s + c;
                d[c] = c < cols ? (trans_b ? b[j * ldb + kk] : b[kk * ldb + j]) : 0.0f;
            }
        }
        dst += NR * kc;
    }
}

static void kernel_scalar(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                          float beta) {
    float acc[MR][NR] = { { 0.0f } };
    for (int64_t k = 0; k < kc; k++) {
        const float* ak = a + k * MR;
        const float* bk = b + k * NR;
        for (int r = 0; r < MR; r++) {
            const float ar = ak[r];
            for (int j = 0; j < NR; j++) acc[r][j] += ar * bk[j];
        }
    }
    for (int r = 0; r < MR; r++) {
        float* cr = c + r * ldc;
        if (beta == 0.0f)
            for (int j = 0; j < NR; j++) cr[j] = alpha * acc[r][j];
        else
            for (int j = 0; j < NR; j++) cr[j] = alpha * acc[r][j] + beta * cr[j];
    }
}

const mp_sgemm_family mp_sgemm_scalar_family = {
    .mr = MR, .nr = NR, .mc = 128, .kc = 256, .nc = 2048,
    .pack_a = pack_a_scalar, .pack_b = pack_b_scalar, .kernel = kernel_scalar, .kernel_a_rows = NULL,
};
