/* mp_scatter_add_rows_f32, AVX2: dst[idx[j], :] += alpha * src[j, :] with one FMA per element, rows in order of j
 * (repeated indices accumulate in that order). */
#include "kernels.h"

#include <immintrin.h>

void mp_scatter_add_rows_avx2(const float* src, int64_t k, int64_t cols, int64_t lds, const int32_t* idx,
                              float alpha, float* dst, int64_t ldd) {
    const __m256 a = _mm256_set1_ps(alpha);
    for (int64_t j = 0; j < k; j++) {
        const float* s = src + j * lds;
        float* d = dst + (int64_t)idx[j] * ldd;
        int64_t c = 0;
        for (; c + 32 <= cols; c += 32) {
            const __m256 d0 = _mm256_fmadd_ps(a, _mm256_loadu_ps(s + c), _mm256_loadu_ps(d + c));
            const __m256 d1 = _mm256_fmadd_ps(a, _mm256_loadu_ps(s + c + 8), _mm256_loadu_ps(d + c + 8));
            const __m256 d2 = _mm256_fmadd_ps(a, _mm256_loadu_ps(s + c + 16), _mm256_loadu_ps(d + c + 16));
            const __m256 d3 = _mm256_fmadd_ps(a, _mm256_loadu_ps(s + c + 24), _mm256_loadu_ps(d + c + 24));
            _mm256_storeu_ps(d + c, d0);
            _mm256_storeu_ps(d + c + 8, d1);
            _mm256_storeu_ps(d + c + 16, d2);
            _mm256_storeu_ps(d + c + 24, d3);
        }
        for (; c + 8 <= cols; c += 8)
            _mm256_storeu_ps(d + c, _mm256_fmadd_ps(a, _mm256_loadu_ps(s + c), _mm256_loadu_ps(d + c)));
        for (; c < cols; c++)
            _mm_store_ss(d + c, _mm_fmadd_ss(_mm_set_ss(alpha), _mm_load_ss(s + c), _mm_load_ss(d + c)));
    }
}
