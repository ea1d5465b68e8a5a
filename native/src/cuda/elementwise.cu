/* Element-wise kernels of the GPU backend: copy, scale, axpy, add, multiply, bias add, activations and their
 * backward, dropout (the CPU's counter-based draw, bitwise) and ReLU fused with dropout. One thread per element
 * (map2d.cuh). */
#include "map2d.cuh"

using namespace mpcuda;

namespace {

struct CopyOp {
    const float* src; int64_t lds; float* dst; int64_t ldd;
    __device__ void operator()(int64_t r, int64_t c) const { dst[r * ldd + c] = src[r * lds + c]; }
};
struct ScaleOp {
    float* x; int64_t ldx; float alpha;
    __device__ void operator()(int64_t r, int64_t c) const { x[r * ldx + c] *= alpha; }
};
struct AxpyOp {
    const float* x; int64_t ldx; float* y; int64_t ldy; float alpha;
    __device__ void operator()(int64_t r, int64_t c) const { y[r * ldy + c] += alpha * x[r * ldx + c]; }
};
template <bool MUL>
struct BinaryOp {
    const float* a; int64_t lda; const float* b; int64_t ldb; float* c; int64_t ldc;
    __device__ void operator()(int64_t r, int64_t j) const {
        const float va = a[r * lda + j], vb = b[r * ldb + j];
        c[r * ldc + j] = MUL ? va * vb : va + vb;
    }
};
struct RowVectorOp {
    float* x; int64_t ldx; const float* bias;
    __device__ void operator()(int64_t r, int64_t c) const { x[r * ldx + c] += bias[c]; }
};

template <int ACT>
struct ActivationOp {
    const float* x; int64_t ldx; float* y; int64_t ldy;
    __device__ void operator()(int64_t r, int64_t c) const {
        const float v = x[r * ldx + c];
        float out;
        if (ACT == MP_ACT_RELU) out = v > 0.0f ? v : 0.0f;
        else if (ACT == MP_ACT_SIGMOID) out = 1.0f / (1.0f + expf(-v));
        else if (ACT == MP_ACT_TANH) out = tanhf(v);
        else out = v * v * v;
        y[r * ldy + c] = out;
    }
};

template <int ACT>
struct ActivationBackwardOp {
    const float* s; int64_t lds; const float* dy; int64_t lddy; float* dx; int64_t lddx;
    __device__ void operator()(int64_t r, int64_t c) const {
        const float v = s[r * lds + c], g = dy[r * lddy + c];
        float out;
        if (ACT == MP_ACT_RELU) out = v > 0.0f ? g : 0.0f;
        else if (ACT == MP_ACT_SIGMOID) out = g * v * (1.0f - v);
        else if (ACT == MP_ACT_TANH) out = g * (1.0f - v * v);
        else out = 3.0f * v * v * g;
        dx[r * lddx + c] = out;
    }
};

/* CounterRandom.Hash (managed/MePropNative/Backends/CounterRandom.cs): SplitMix64's finalizer over a linear mix. */
__device__ __forceinline__ uint64_t counter_hash(uint64_t seed, uint64_t stream, uint64_t index) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1) + 0xD1B54A32D192ED03ULL * (index + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The dropout mask of element `index`: 0 where the draw is below rate, else keep. (float)(24 bits) * 2^-24: both exact,
 * the same float as the CPU's. */
__device__ __forceinline__ float dropout_mask(uint64_t seed, uint64_t stream_id, uint64_t index, float rate, float keep) {
    const float u = (float)(counter_hash(seed, stream_id, index) >> 40) * (1.0f / 16777216.0f);
    return u < rate ? 0.0f : keep;
}

struct DropoutOp {
    const float* x; int64_t ldx; float* mask; int64_t ldm; float* y; int64_t ldy;
    int64_t cols; float rate; float keep; uint64_t seed; uint64_t stream_id;
    __device__ void operator()(int64_t r, int64_t c) const {
        const float m = dropout_mask(seed, stream_id, (uint64_t)(r * cols + c), rate, keep);
        mask[r * ldm + c] = m;
        y[r * ldy + c] = x[r * ldx + c] * m;
    }
};

/* ReLU then dropout in one pass: y = x > 0 ? x * mask : 0, and factor = x > 0 ? mask : 0 for the backward. */
struct ReluDropoutOp {
    const float* x; int64_t ldx; float* factor; int64_t ldf; float* y; int64_t ldy;
    int64_t cols; float rate; float keep; uint64_t seed; uint64_t stream_id;
    __device__ void operator()(int64_t r, int64_t c) const {
        const float m = dropout_mask(seed, stream_id, (uint64_t)(r * cols + c), rate, keep), v = x[r * ldx + c];
        factor[r * ldf + c] = v > 0.0f ? m : 0.0f;
        y[r * ldy + c] = v > 0.0f ? v * m : 0.0f;
    }
};

struct ReluDropoutBackwardOp {
    const float* factor; int64_t ldf; const float* dy; int64_t lddy; float* dx; int64_t lddx;
    __device__ void operator()(int64_t r, int64_t c) const {
        const float f = factor[r * ldf + c];
        dx[r * lddx + c] = f > 0.0f ? dy[r * lddy + c] * f : 0.0f;
    }
};

#define MP_CHECK_SHAPE(rows, cols) \
    do { MP_CHECK_POSITIVE(rows); MP_CHECK_POSITIVE(cols); } while (0)

template <int ACT>
mp_status activation(const char* fn, const float* x, int64_t rows, int64_t cols, int64_t ldx, float* y, int64_t ldy,
                     void* stream) {
    return launch_map2d(fn, rows, cols, ActivationOp<ACT>{x, ldx, y, ldy}, stream);
}

template <int ACT>
mp_status activation_backward(const char* fn, const float* s, int64_t lds, const float* dy, int64_t lddy, float* dx,
                              int64_t lddx, int64_t rows, int64_t cols, void* stream) {
    return launch_map2d(fn, rows, cols, ActivationBackwardOp<ACT>{s, lds, dy, lddy, dx, lddx}, stream);
}

} // namespace

extern "C" {

mp_status mp_cuda_copy_f32(const float* src, int64_t rows, int64_t cols, int64_t lds, float* dst, int64_t ldd,
                           void* stream) {
#define MP_FN "mp_cuda_copy_f32"
    MP_CHECK_PTR(src);
    MP_CHECK_PTR(dst);
    MP_CHECK_SHAPE(rows, cols);
    MP_CHECK_LD(lds, cols);
    MP_CHECK_LD(ldd, cols);
    return launch_map2d(MP_FN, rows, cols, CopyOp{src, lds, dst, ldd}, stream);
#undef MP_FN
}

mp_status mp_cuda_scale_f32(float* x, int64_t rows, int64_t cols, int64_t ldx, float alpha, void* stream) {
#define MP_FN "mp_cuda_scale_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_SHAPE(rows, cols);
    MP_CHECK_LD(ldx, cols);
    return launch_map2d(MP_FN, rows, cols, ScaleOp{x, ldx, alpha}, stream);
#undef MP_FN
}

mp_status mp_cuda_axpy_f32(int64_t rows, int64_t cols, float alpha, const float* x, int64_t ldx, float* y, int64_t ldy,
                           void* stream) {
#define MP_FN "mp_cuda_axpy_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(y);
    MP_CHECK_SHAPE(rows, cols);
    MP_CHECK_LD(ldx, cols);
    MP_CHECK_LD(ldy, cols);
    return launch_map2d(MP_FN, rows, cols, AxpyOp{x, ldx, y, ldy, alpha}, stream);
#undef MP_FN
}

mp_status mp_cuda_add_f32(int64_t rows, int64_t cols, const float* a, int64_t lda, const float* b, int64_t ldb,
                          float* c, int64_t ldc, void* stream) {
#define MP_FN "mp_cuda_add_f32"
    MP_CHECK_PTR(a);
    MP_CHECK_PTR(b);
    MP_CHECK_PTR(c);
    MP_CHECK_SHAPE(rows, cols);
    MP_CHECK_LD(lda, cols);
    MP_CHECK_LD(ldb, cols);
    MP_CHECK_LD(ldc, cols);
    return launch_map2d(MP_FN, rows, cols, BinaryOp<false>{a, lda, b, ldb, c, ldc}, stream);
#undef MP_FN
}

mp_status mp_cuda_mul_f32(int64_t rows, int64_t cols, const float* a, int64_t lda, const float* b, int64_t ldb,
                          float* c, int64_t ldc, void* stream) {
#define MP_FN "mp_cuda_mul_f32"
    MP_CHECK_PTR(a);
    MP_CHECK_PTR(b);
    MP_CHECK_PTR(c);
    MP_CHECK_SHAPE(rows, cols);
    MP_CHECK_LD(lda, cols);
    MP_CHECK_LD(ldb, cols);
    MP_CHECK_LD(ldc, cols);
    return launch_map2d(MP_FN, rows, cols, BinaryOp<true>{a, lda, b, ldb, c, ldc}, stream);
#undef MP_FN
}

mp_status mp_cuda_add_row_vector_f32(float* x, int64_t rows, int64_t cols, int64_t ldx, const float* bias,
                                     void* stream) {
#define MP_FN "mp_cuda_add_row_vector_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(bias);
    MP_CHECK_SHAPE(rows, cols);
    MP_CHECK_LD(ldx, cols);
    return launch_map2d(MP_FN, rows, cols, RowVectorOp{x, ldx, bias}, stream);
#undef MP_FN
}

mp_status mp_cuda_activation_f32(int32_t act, const float* x, int64_t rows, int64_t cols, int64_t ldx, float* y,
                                 int64_t ldy, void* stream) {
#define MP_FN "mp_cuda_activation_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(y);
    MP_CHECK_SHAPE(rows, cols);
    MP_CHECK_LD(ldx, cols);
    MP_CHECK_LD(ldy, cols);
    switch (act) {
        case MP_ACT_RELU: return activation<MP_ACT_RELU>(MP_FN, x, rows, cols, ldx, y, ldy, stream);
        case MP_ACT_SIGMOID: return activation<MP_ACT_SIGMOID>(MP_FN, x, rows, cols, ldx, y, ldy, stream);
        case MP_ACT_TANH: return activation<MP_ACT_TANH>(MP_FN, x, rows, cols, ldx, y, ldy, stream);
        case MP_ACT_CUBE: return activation<MP_ACT_CUBE>(MP_FN, x, rows, cols, ldx, y, ldy, stream);
        default: return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: act = %d is not an mp_activation", MP_FN, (int)act);
    }
#undef MP_FN
}

mp_status mp_cuda_activation_backward_f32(int32_t act, const float* saved, int64_t lds, const float* dy, int64_t lddy,
                                          float* dx, int64_t lddx, int64_t rows, int64_t cols, void* stream) {
#define MP_FN "mp_cuda_activation_backward_f32"
    MP_CHECK_PTR(saved);
    MP_CHECK_PTR(dy);
    MP_CHECK_PTR(dx);
    MP_CHECK_SHAPE(rows, cols);
    MP_CHECK_LD(lds, cols);
    MP_CHECK_LD(lddy, cols);
    MP_CHECK_LD(lddx, cols);
    switch (act) {
        case MP_ACT_RELU: return activation_backward<MP_ACT_RELU>(MP_FN, saved, lds, dy, lddy, dx, lddx, rows, cols, stream);
        case MP_ACT_SIGMOID: return activation_backward<MP_ACT_SIGMOID>(MP_FN, saved, lds, dy, lddy, dx, lddx, rows, cols, stream);
        case MP_ACT_TANH: return activation_backward<MP_ACT_TANH>(MP_FN, saved, lds, dy, lddy, dx, lddx, rows, cols, stream);
        case MP_ACT_CUBE: return activation_backward<MP_ACT_CUBE>(MP_FN, saved, lds, dy, lddy, dx, lddx, rows, cols, stream);
        default: return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: act = %d is not an mp_activation", MP_FN, (int)act);
    }
#undef MP_FN
}

mp_status mp_cuda_dropout_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* mask, int64_t ldm,
                              float* y, int64_t ldy, float rate, uint64_t seed, uint64_t stream_id, void* stream) {
#define MP_FN "mp_cuda_dropout_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(mask);
    MP_CHECK_PTR(y);
    MP_CHECK_SHAPE(rows, cols);
    MP_CHECK_LD(ldx, cols);
    MP_CHECK_LD(ldm, cols);
    MP_CHECK_LD(ldy, cols);
    MP_CHECK_UNIT_INTERVAL(rate);
    const float keep = 1.0f / (1.0f - rate);
    return launch_map2d(MP_FN, rows, cols, DropoutOp{x, ldx, mask, ldm, y, ldy, cols, rate, keep, seed, stream_id}, stream);
#undef MP_FN
}

mp_status mp_cuda_relu_dropout_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* factor,
                                   int64_t ldf, float* y, int64_t ldy, float rate, uint64_t seed, uint64_t stream_id,
                                   void* stream) {
#define MP_FN "mp_cuda_relu_dropout_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(factor);
    MP_CHECK_PTR(y);
    MP_CHECK_SHAPE(rows, cols);
    MP_CHECK_LD(ldx, cols);
    MP_CHECK_LD(ldf, cols);
    MP_CHECK_LD(ldy, cols);
    MP_CHECK_UNIT_INTERVAL(rate);
    const float keep = 1.0f / (1.0f - rate);
    return launch_map2d(MP_FN, rows, cols,
                        ReluDropoutOp{x, ldx, factor, ldf, y, ldy, cols, rate, keep, seed, stream_id}, stream);
#undef MP_FN
}

mp_status mp_cuda_relu_dropout_backward_f32(const float* factor, int64_t ldf, const float* dy, int64_t lddy, float* dx,
                                            int64_t lddx, int64_t rows, int64_t cols, void* stream) {
#define MP_FN "mp_cuda_relu_dropout_backward_f32"
    MP_CHECK_PTR(factor);
    MP_CHECK_PTR(dy);
    MP_CHECK_PTR(dx);
    MP_CHECK_SHAPE(rows, cols);
    MP_CHECK_LD(ldf, cols);
    MP_CHECK_LD(lddy, cols);
    MP_CHECK_LD(lddx, cols);
    return launch_map2d(MP_FN, rows, cols, ReluDropoutBackwardOp{factor, ldf, dy, lddy, dx, lddx}, stream);
#undef MP_FN
}

} /* extern "C" */
