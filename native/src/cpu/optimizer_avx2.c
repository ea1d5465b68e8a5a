/* Optimizer steps, AVX2: 8 elements at a time with the scalar reference's operations (multiply, add, divide and
 * square root, each rounded, no FMA), then the scalar reference for the tail, so both families agree bitwise.
 * The clamp keeps a NaN gradient (max/min return their second operand when either is NaN). */
#include "kernels.h"

#include <float.h>
#include <immintrin.h>

#define INLINE static inline

INLINE __m256 transform8(const mp_optimizer_step* s, __m256 g, __m256 w) {
    if (s->grad_scale != 1.0f) g = _mm256_mul_ps(g, _mm256_set1_ps(s->grad_scale));
    if (s->l2 != 0.0f) g = _mm256_add_ps(g, _mm256_mul_ps(_mm256_set1_ps(s->l2), w));
    if (s->clip > 0.0f) {
        g = _mm256_max_ps(_mm256_set1_ps(-s->clip), g);
        g = _mm256_min_ps(_mm256_set1_ps(s->clip), g);
    }
    return g;
}

INLINE __m256 flush8(__m256 x) {
    const __m256 abs = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    return _mm256_andnot_ps(_mm256_cmp_ps(abs, _mm256_set1_ps(FLT_MIN), _CMP_LT_OQ), x);
}

void mp_adam_avx2(const mp_optimizer_step* s, int64_t i0, int64_t i1) {
    const __m256 b1 = _mm256_set1_ps(s->beta1), b2 = _mm256_set1_ps(s->beta2);
    const __m256 c1 = _mm256_set1_ps(1.0f - s->beta1), c2 = _mm256_set1_ps(1.0f - s->beta2);
    const __m256 rate = _mm256_set1_ps(s->rate), eps = _mm256_set1_ps(s->eps);
    int64_t i = i0;
    for (; i + 8 <= i1; i += 8) {
        const __m256 w = _mm256_loadu_ps(s->w + i), g = transform8(s, _mm256_loadu_ps(s->g + i), w);
        const __m256 m = flush8(_mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(s->s1 + i)), _mm256_mul_ps(c1, g)));
        const __m256 v = flush8(_mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(s->s2 + i)),
                                              _mm256_mul_ps(_mm256_mul_ps(c2, g), g)));
        _mm256_storeu_ps(s->s1 + i, m);
        _mm256_storeu_ps(s->s2 + i, v);
        _mm256_storeu_ps(s->w + i, _mm256_sub_ps(w, _mm256_div_ps(_mm256_mul_ps(rate, m),
                                                                  _mm256_add_ps(_mm256_sqrt_ps(v), eps))));
        _mm256_storeu_ps(s->g + i, _mm256_setzero_ps());
    }
    mp_adam_scalar(s, i, i1);
}

void mp_adagrad_avx2(const mp_optimizer_step* s, int64_t i0, int64_t i1) {
    const __m256 rate = _mm256_set1_ps(s->rate), eps = _mm256_set1_ps(s->eps);
    int64_t i = i0;
    for (; i + 8 <= i1; i += 8) {
        const __m256 w = _mm256_loadu_ps(s->w + i), g = transform8(s, _mm256_loadu_ps(s->g + i), w);
        const __m256 h = flush8(_mm256_add_ps(_mm256_loadu_ps(s->s1 + i), _mm256_mul_ps(g, g)));
        _mm256_storeu_ps(s->s1 + i, h);
        _mm256_storeu_ps(s->w + i, _mm256_sub_ps(w, _mm256_div_ps(_mm256_mul_ps(rate, g),
                                                                  _mm256_sqrt_ps(_mm256_add_ps(h, eps)))));
        _mm256_storeu_ps(s->g + i, _mm256_setzero_ps());
    }
    mp_adagrad_scalar(s, i, i1);
}

void mp_sgd_avx2(const mp_optimizer_step* s, int64_t i0, int64_t i1) {
    const __m256 rate = _mm256_set1_ps(s->rate), mu = _mm256_set1_ps(s->momentum);
    int64_t i = i0;
    for (; i + 8 <= i1; i += 8) {
        const __m256 w = _mm256_loadu_ps(s->w + i);
        __m256 g = transform8(s, _mm256_loadu_ps(s->g + i), w);
        if (s->s1 != NULL) {
            g = flush8(_mm256_add_ps(_mm256_mul_ps(mu, _mm256_loadu_ps(s->s1 + i)), g));
            _mm256_storeu_ps(s->s1 + i, g);
        }
        _mm256_storeu_ps(s->w + i, _mm256_sub_ps(w, _mm256_mul_ps(rate, g)));
        _mm256_storeu_ps(s->g + i, _mm256_setzero_ps());
    }
    mp_sgd_scalar(s, i, i1);
}
