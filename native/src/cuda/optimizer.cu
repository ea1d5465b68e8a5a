/* Optimizer steps of the GPU backend (Adam, AdaGrad, SGD with momentum), the gradient transform fused in, the
 * gradient zeroed as it is consumed. One thread per parameter (grid-stride). Mirrors CpuBackend's AdamStep,
 * AdaGradStep and SgdStep, including the flush of subnormal optimizer state. */
#include "map2d.cuh"
#include "optimizer_check.h"

using namespace mpcuda;

namespace {

constexpr int kStepBlock = 256;
constexpr int64_t kMaxStepBlocks = 65535;

struct Transform {
    float scale, l2, clip;
    __device__ __forceinline__ float operator()(float g, float w) const {
        if (scale != 1.0f) g *= scale;
        if (l2 != 0.0f) g += l2 * w;
        if (clip > 0.0f) g = g < -clip ? -clip : (g > clip ? clip : g); /* a NaN stays NaN, as on the CPU */
        return g;
    }
};

__global__ void __launch_bounds__(kStepBlock)
adam_kernel(float* __restrict__ w, float* __restrict__ g, float* __restrict__ m, float* __restrict__ v, int64_t n,
            float step, float b1, float b2, float eps, Transform t) {
    const float c1 = 1.0f - b1, c2 = 1.0f - b2;
    for (int64_t i = (int64_t)blockIdx.x * kStepBlock + threadIdx.x; i < n; i += (int64_t)gridDim.x * kStepBlock) {
        const float wi = w[i];
        const float gi = t(g[i], wi);
        const float mi = flush_subnormal(b1 * m[i] + c1 * gi);
        const float vi = flush_subnormal(b2 * v[i] + c2 * gi * gi);
        m[i] = mi;
        v[i] = vi;
        w[i] = wi - step * mi / (sqrtf(vi) + eps);
        g[i] = 0.0f;
    }
}

__global__ void __launch_bounds__(kStepBlock)
adagrad_kernel(float* __restrict__ w, float* __restrict__ g, float* __restrict__ h, int64_t n, float lr, float eps,
               Transform t) {
    for (int64_t i = (int64_t)blockIdx.x * kStepBlock + threadIdx.x; i < n; i += (int64_t)gridDim.x * kStepBlock) {
        const float wi = w[i];
        const float gi = t(g[i], wi);
        const float hi = flush_subnormal(h[i] + gi * gi);
        h[i] = hi;
        w[i] = wi - lr * gi / sqrtf(hi + eps);
        g[i] = 0.0f;
    }
}

__global__ void __launch_bounds__(kStepBlock)
sgd_kernel(float* __restrict__ w, float* __restrict__ g, float* __restrict__ vel, int64_t n, float lr, float mu,
           Transform t) {
    for (int64_t i = (int64_t)blockIdx.x * kStepBlock + threadIdx.x; i < n; i += (int64_t)gridDim.x * kStepBlock) {
        const float wi = w[i];
        float gi = t(g[i], wi);
        if (vel != nullptr) {
            gi = flush_subnormal(mu * vel[i] + gi);
            vel[i] = gi;
        }
        w[i] = wi - lr * gi;
        g[i] = 0.0f;
    }
}

unsigned step_blocks(int64_t n) {
    const int64_t b = ceil_div(n, kStepBlock);
    return (unsigned)(b < kMaxStepBlocks ? b : kMaxStepBlocks);
}

} // namespace

extern "C" {

mp_status mp_cuda_adam_step_f32(float* w, float* g, float* m, float* v, int64_t n, float step_size, float beta1,
                                float beta2, float eps, float grad_scale, float l2, float clip, void* stream) {
#define MP_FN "mp_cuda_adam_step_f32"
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
    clear_stale_error();
    adam_kernel<<<step_blocks(n), kStepBlock, 0, as_stream(stream)>>>(w, g, m, v, n, step_size, beta1, beta2, eps,
                                                                       Transform{grad_scale, l2, clip});
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_adagrad_step_f32(float* w, float* g, float* h, int64_t n, float lr, float eps, float grad_scale,
                                   float l2, float clip, void* stream) {
#define MP_FN "mp_cuda_adagrad_step_f32"
    MP_CHECK_PTR(w);
    MP_CHECK_PTR(g);
    MP_CHECK_PTR(h);
    MP_CHECK_POSITIVE(n);
    mp_status st = mp_check_step(MP_FN, "lr", lr, grad_scale, l2, clip);
    if (st == MP_OK) st = mp_check_epsilon(MP_FN, eps);
    if (st != MP_OK) return st;
    clear_stale_error();
    adagrad_kernel<<<step_blocks(n), kStepBlock, 0, as_stream(stream)>>>(w, g, h, n, lr, eps,
                                                                          Transform{grad_scale, l2, clip});
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_sgd_step_f32(float* w, float* g, float* velocity, int64_t n, float lr, float momentum,
                               float grad_scale, float l2, float clip, void* stream) {
#define MP_FN "mp_cuda_sgd_step_f32"
    MP_CHECK_PTR(w);
    MP_CHECK_PTR(g);
    MP_CHECK_POSITIVE(n);
    mp_status st = mp_check_step(MP_FN, "lr", lr, grad_scale, l2, clip);
    if (st == MP_OK) st = mp_check_decay(MP_FN, "momentum", momentum);
    if (st != MP_OK) return st;
    clear_stale_error();
    sgd_kernel<<<step_blocks(n), kStepBlock, 0, as_stream(stream)>>>(w, g, velocity, n, lr, momentum,
                                                                      Transform{grad_scale, l2, clip});
    return check_launch(MP_FN);
#undef MP_FN
}

} /* extern "C" */
