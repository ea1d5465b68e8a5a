/* 2 x 2 max pooling, stride 2, channels-last (the CUDA backend's MaxPool2x2 / MaxPool2x2Backward). One thread per
 * output element (forward) or per input-gradient element (backward: the element recomputes its window's arg-max
 * from x and y and takes dy if it is that arg-max), so every output is written once and nothing is atomic.
 * NaN as on the CPU backend (.NET's MathF.Max / Vector256.Max): a NaN in a window makes its maximum NaN, and
 * +0 is the larger of +-0; in the backward a NaN maximum equals no element, so its gradient goes to (1,1). */
#include "map2d.cuh"

using namespace mpcuda;

namespace {

/* .NET's MathF.Max: NaN if either is NaN (the first NaN), +0 over -0, else the larger. */
__device__ __forceinline__ float max_propagating_nan(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == b) return signbit(b) ? a : b;
    return a > b ? a : b;
}

struct MaxPoolOp {
    const float* x;
    int64_t ldx;
    float* y;
    int64_t ldy;
    int64_t width, channels, out_w;
    /* e = (i * out_w + j) * C + ch */
    __device__ void operator()(int64_t n, int64_t e) const {
        const int64_t ch = e % channels, q = e / channels, i = q / out_w, j = q - i * out_w;
        const float* a = x + n * ldx + ((2 * i) * width + 2 * j) * channels + ch;
        const float* c = a + width * channels;
        y[n * ldy + e] = max_propagating_nan(max_propagating_nan(a[0], a[channels]), max_propagating_nan(c[0], c[channels]));
    }
};

struct MaxPoolBackwardOp {
    const float* x;
    int64_t ldx;
    const float* y;
    int64_t ldy;
    const float* dy;
    int64_t lddy;
    float* dx;
    int64_t lddx;
    int64_t width, channels, out_h, out_w;
    /* e = (h * W + w) * C + ch */
    __device__ void operator()(int64_t n, int64_t e) const {
        const int64_t ch = e % channels, pixel = e / channels, h = pixel / width, w = pixel - h * width;
        const int64_t i = h >> 1, j = w >> 1;
        float g = 0.0f;
        if (i < out_h && j < out_w) { /* else the dropped odd last row or column */
            const int64_t o = (i * out_w + j) * channels + ch;
            const float m = y[n * ldy + o];
            const float* a = x + n * ldx + ((2 * i) * width + 2 * j) * channels + ch;
            const float* c = a + width * channels;
            const int arg = a[0] == m ? 0 : a[channels] == m ? 1 : c[0] == m ? 2 : 3;
            if (arg == (int)(((h & 1) << 1) | (w & 1))) g = dy[n * lddy + o];
        }
        dx[n * lddx + e] = g;
    }
};

mp_status check_pool(const char* fn, int64_t batch, int64_t height, int64_t width, int64_t channels) {
#define MP_FN fn
    MP_CHECK_POSITIVE(batch);
    MP_CHECK_POSITIVE(channels);
    if (height < 2 || width < 2)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: height = %lld and width = %lld must be >= 2", fn, (long long)height,
                       (long long)width);
    const int64_t image = height * width * channels;
    MP_CHECK_INT32_RANGE(image);
#undef MP_FN
    return MP_OK;
}

} // namespace

extern "C" {

mp_status mp_cuda_maxpool2x2_f32(const float* x, int64_t batch, int64_t height, int64_t width, int64_t channels,
                                 int64_t ldx, float* y, int64_t ldy, void* stream) {
#define MP_FN "mp_cuda_maxpool2x2_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(y);
    const mp_status st = check_pool(MP_FN, batch, height, width, channels);
    if (st != MP_OK) return st;
    const int64_t image = height * width * channels, pooled = (height / 2) * (width / 2) * channels;
    MP_CHECK_LD(ldx, image);
    MP_CHECK_LD(ldy, pooled);
    return launch_map2d(MP_FN, batch, pooled, MaxPoolOp{x, ldx, y, ldy, width, channels, width / 2}, stream);
#undef MP_FN
}

mp_status mp_cuda_maxpool2x2_backward_f32(const float* x, int64_t ldx, const float* y, int64_t ldy, const float* dy,
                                          int64_t lddy, int64_t batch, int64_t height, int64_t width, int64_t channels,
                                          float* dx, int64_t lddx, void* stream) {
#define MP_FN "mp_cuda_maxpool2x2_backward_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(y);
    MP_CHECK_PTR(dy);
    MP_CHECK_PTR(dx);
    const mp_status st = check_pool(MP_FN, batch, height, width, channels);
    if (st != MP_OK) return st;
    const int64_t image = height * width * channels, pooled = (height / 2) * (width / 2) * channels;
    MP_CHECK_LD(ldx, image);
    MP_CHECK_LD(ldy, pooled);
    MP_CHECK_LD(lddy, pooled);
    MP_CHECK_LD(lddx, image);
    return launch_map2d(MP_FN, batch, image,
                        MaxPoolBackwardOp{x, ldx, y, ldy, dy, lddy, dx, lddx, width, channels, height / 2, width / 2},
                        stream);
#undef MP_FN
}

} /* extern "C" */
