/* Optimizer steps (Adam, AdaGrad, SGD with momentum) with the gradient transform fused in and the gradient zeroed as
 * it is consumed: one pass over the parameter, its gradient and its state. The pass is bound by the divide and square
 * root units as much as by memory, so the array is cut into chunks that run on the library's threads. Every element
 * is independent and gets the same rounded operations in the same order in both families, so results are bitwise
 * the same for every ISA and thread count. */
#include "kernels.h"
#include "optimizer_check.h"

#include <float.h>
#include <math.h>

enum {
    CHUNK = 1 << 14,             /* elements per task (64 KiB of each array) */
    PARALLEL_MIN = 2 * CHUNK     /* smaller arrays run on the calling thread */
};

static inline float transform(const mp_optimizer_step* s, float g, float w) {
    if (s->grad_scale != 1.0f) g = g * s->grad_scale;
    if (s->l2 != 0.0f) g = g + s->l2 * w;
    if (s->clip > 0.0f) {
        if (g < -s->clip) g = -s->clip;
        else if (g > s->clip) g = s->clip;
    }
    return g;
}

static inline float flush(float x) { return fabsf(x) < FLT_MIN ? 0.0f : x; }

void mp_adam_scalar(const mp_optimizer_step* s, int64_t i0, int64_t i1) {
    const float b1 = s->beta1, b2 = s->beta2, c1 = 1.0f - b1, c2 = 1.0f - b2;
    for (int64_t i = i0; i < i1; i++) {
        const float w = s->w[i], g = transform(s, s->g[i], w);
        const float m = flush(b1 * s->s1[i] + c1 * g);
        const float v = flush(b2 * s->s2[i] + c2 * g * g);
        s->s1[i] = m;
        s->s2[i] = v;
        s->w[i] = w - s->rate * m / (sqrtf(v) + s->eps);
        s->g[i] = 0.0f;
    }
}

void mp_adagrad_scalar(const mp_optimizer_step* s, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
        const float w = s->w[i], g = transform(s, s->g[i], w);
        const float h = flush(s->s1[i] + g * g);
        s->s1[i] = h;
        s->w[i] = w - s->rate * g / sqrtf(h + s->eps);
        s->g[i] = 0.0f;
    }
}

void mp_sgd_scalar(const mp_optimizer_step* s, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
        const float w = s->w[i];
        float g = transform(s, s->g[i], w);
        if (s->s1 != NULL) {
            g = flush(s->momentum * s->s1[i] + g);
            s->s1[i] = g;
        }
        s->w[i] = w - s->rate * g;
        s->g[i] = 0.0f;
    }
}

typedef void (*step_fn)(const mp_optimizer_step* s, int64_t i0, int64_t i1);

typedef struct {
    const mp_optimizer_step* step;
    step_fn fn;
    int64_t n;
} step_job;

static void step_task(int64_t task, void* p) {
    const step_job* j = (const step_job*)p;
    const int64_t i0 = task * CHUNK, i1 = i0 + CHUNK < j->n ? i0 + CHUNK : j->n;
    j->fn(j->step, i0, i1);
}

static mp_status run_step(const mp_optimizer_step* s, int64_t n, step_fn scalar, step_fn avx2) {
    const mp_fp_mode fp = mp_fp_enter();
    step_job job = {s, mp_use_avx2() ? avx2 : scalar, n};
    if (n < PARALLEL_MIN) job.fn(s, 0, n);
    else mp_parallel_for((n + CHUNK - 1) / CHUNK, step_task, &job);
    mp_fp_leave(fp);
    return mp_ok();
}

#define MP_FN "mp_adam_step_f32"
mp_status mp_adam_step_f32(float* w, float* g, float* m, float* v, int64_t n, float step_size, float beta1,
                           float beta2, float eps, float grad_scale, float l2, float clip) {
    MP_CHECK_PTR(w);
    MP_CHECK_PTR(g);
    MP_CHECK_PTR(m);
    MP_CHECK_PTR(v);
    MP_CHECK_POSITIVE(n);
    mp_status st = mp_check_step(MP_FN, "step_size", step_size, grad_scale, l2, clip);
    if (st == MP_OK) st = mp_check_decay(MP_FN, "beta1", beta1);
    if (st == MP_OK) st = mp_check_decay(MP_FN, "beta2", beta2);
    if (st == MP_OK) st = mp_check_epsilon(MP_FN, eps);
    if (st != MP_OK) return st;
    const mp_optimizer_step s = {w, g, m, v, step_size, beta1, beta2, eps, 0.0f, grad_scale, l2, clip};
    return run_step(&s, n, mp_adam_scalar, mp_adam_avx2);
}
#undef MP_FN

#define MP_FN "mp_adagrad_step_f32"
mp_status mp_adagrad_step_f32(float* w, float* g, float* h, int64_t n, float lr, float eps, float grad_scale, float l2,
                              float clip) {
    MP_CHECK_PTR(w);
    MP_CHECK_PTR(g);
    MP_CHECK_PTR(h);
    MP_CHECK_POSITIVE(n);
    mp_status st = mp_check_step(MP_FN, "lr", lr, grad_scale, l2, clip);
    if (st == MP_OK) st = mp_check_epsilon(MP_FN, eps);
    if (st != MP_OK) return st;
    const mp_optimizer_step s = {w, g, h, NULL, lr, 0.0f, 0.0f, eps, 0.0f, grad_scale, l2, clip};
    return run_step(&s, n, mp_adagrad_scalar, mp_adagrad_avx2);
}
#undef MP_FN

#define MP_FN "mp_sgd_step_f32"
mp_status mp_sgd_step_f32(float* w, float* g, float* velocity, int64_t n, float lr, float momentum, float grad_scale,
                          float l2, float clip) {
    MP_CHECK_PTR(w);
    MP_CHECK_PTR(g);
    MP_CHECK_POSITIVE(n);
    mp_status st = mp_check_step(MP_FN, "lr", lr, grad_scale, l2, clip);
    if (st == MP_OK) st = mp_check_decay(MP_FN, "momentum", momentum);
    if (st != MP_OK) return st;
    const mp_optimizer_step s = {w, g, velocity, NULL, lr, 0.0f, 0.0f, 0.0f, momentum, grad_scale, l2, clip};
    return run_step(&s, n, mp_sgd_scalar, mp_sgd_avx2);
}
#undef MP_FN
