/* Per-map top-k, AVX2 parts: the maps of one channels-last example through 8 x 8 register transposes (and the
 * decay score as multiply, multiply, add, like the scalar reference), and the left-packing of non-zero keys
 * through the lane permutation table. Bitwise equal to topk_per_map.c's scalar kernels. */
#include "kernels.h"

#include <immintrin.h>

static inline void transpose8(__m256* r) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

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
