/* Column sums, AVX2: blocks of 64 columns kept in 8 accumulators while walking the rows, then single vectors,
 * then scalar columns. Same additions in the same order as mp_col_sums_scalar, so bitwise equal. */
#include "kernels.h"

#include <immintrin.h>
#include <math.h>

static inline __m256 term(const float* p, __m256 abs_mask) { return _mm256_and_ps(_mm256_loadu_ps(p), abs_mask); }

void mp_col_sums_avx2(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out, int accumulate,
                      int absolute) {
    const __m256 mask = _mm256_castsi256_ps(_mm256_set1_epi32(absolute ? 0x7fffffff : -1));
    int64_t c = 0;
    for (; c + 64 <= cols; c += 64) {
        __m256 a[8];
        for (int j = 0; j < 8; j++) a[j] = accumulate ? _mm256_loadu_ps(out + c + 8 * j) : _mm256_setzero_ps();
        const float* p = x + c;
        for (int64_t r = 0; r < rows; r++, p += ldx) {
            a[0] = _mm256_add_ps(a[0], term(p, mask));
            a[1] = _mm256_add_ps(a[1], term(p + 8, mask));
            a[2] = _mm256_add_ps(a[2], term(p + 16, mask));
            a[3] = _mm256_add_ps(a[3], term(p + 24, mask));
            a[4] = _mm256_add_ps(a[4], term(p + 32, mask));
            a[5] = _mm256_add_ps(a[5], term(p + 40, mask));
            a[6] = _mm256_add_ps(a[6], term(p + 48, mask));
            a[7] = _mm256_add_ps(a[7], term(p + 56, mask));
        }
        for (int j = 0; j < 8; j++) _mm256_storeu_ps(out + c + 8 * j, a[j]);
    }
    for (; c + 8 <= cols; c += 8) {
        __m256 a = accumulate ? _mm256_loadu_ps(out + c) : _mm256_setzero_ps();
        const float* p = x + c;
        for (int64_t r = 0; r < rows; r++, p += ldx) a = _mm256_add_ps(a, term(p, mask));
        _mm256_storeu_ps(out + c, a);
    }
    for (; c < cols; c++) {
        float s = accumulate ? out[c] : 0.0f;
        const float* p = x + c;
        if (absolute)
            for (int64_t r = 0; r < rows; r++, p += ldx) s += fabsf(*p);
        else
            for (int64_t r = 0; r < rows; r++, p += ldx) s += *p;
        out[c] = s;
    }
}
