/* Per-map top-k, AVX2 parts: the maps of one channels-last example through 8 x 8 register transposes (and the
 * decay score as multiply, multiply, add, like the scalar reference), and the left-packing of non-zero keys
 * through the lane permutation table. Bitwise equal to topk_per_map.c's scalar kernels. */
#include "kernels.h"

#include <immintrin.h>

#include "transpose8_avx2.h"

void mp_maps_from_nhwc_avx2(const float* src, int64_t P, int64_t C, int64_t c0, int64_t c1, const float* running,
                            float keep, float fresh, float* maps) {
    const int64_t w = c1 - c0;
    int64_t p0 = 0;
    if (w == 8) {
        for (; p0 + 8 <= P; p0 += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + (p0 + i) * C + c0);
            transpose8(r);
            for (int i = 0; i < 8; i++) _mm256_storeu_ps(maps + i * P + p0, r[i]);
        }
    }
    for (int64_t p = p0; p < P; p++)
        for (int64_t c = c0; c < c1; c++) maps[(c - c0) * P + p] = src[p * C + c];
    if (running == NULL) return;
    const __m256 vk = _mm256_set1_ps(keep), vf = _mm256_set1_ps(fresh);
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const float* r0 = running + c0 * P; /* the block's running rows are contiguous too */
    const int64_t total = P * w;
    int64_t i = 0;
    for (; i + 8 <= total; i += 8)
        _mm256_storeu_ps(maps + i, _mm256_add_ps(_mm256_mul_ps(vk, _mm256_loadu_ps(r0 + i)),
                                                 _mm256_mul_ps(vf, _mm256_and_ps(_mm256_loadu_ps(maps + i), abs_mask))));
    for (; i < total; i++) {
        const float a = keep * r0[i], b = fresh * __builtin_fabsf(maps[i]);
        maps[i] = a + b;
    }
}

int64_t mp_compact_nonzero_avx2(const float* x, int64_t n, float* vals, int32_t* pos) {
    const __m256i key_mask = _mm256_set1_epi32(0x7fffffff), zero = _mm256_setzero_si256(), eight = _mm256_set1_epi32(8);
    __m256i base = zero;
    int64_t m = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i raw = _mm256_loadu_si256((const __m256i*)(x + i));
        const int bits = 0xff & ~_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(raw, key_mask), zero)));
        const __m256i perm = _mm256_load_si256((const __m256i*)mp_compress_lut[bits]); /* no branch: unpredictable */
        _mm256_storeu_si256((__m256i*)(pos + m), _mm256_add_epi32(base, perm));
        _mm256_storeu_si256((__m256i*)(vals + m), _mm256_permutevar8x32_epi32(raw, perm));
        m += __builtin_popcount(bits);
        base = _mm256_add_epi32(base, eight);
    }
    for (; i < n; i++) {
        uint32_t bits;
        __builtin_memcpy(&bits, x + i, sizeof bits);
        if ((bits & 0x7fffffffu) != 0) {
            vals[m] = x[i];
            pos[m] = (int32_t)i;
            m++;
        }
    }
    return m;
}
