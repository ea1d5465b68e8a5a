/* A 2-D element-wise launch for the GPU backend's simple kernels: one thread per column (blockIdx.x), rows over
 * gridDim.y with a grid-stride loop beyond 65535. Op is a functor with `__device__ void operator()(int64_t r,
 * int64_t c) const` (a plain struct, no device lambdas: the CPU emulation compiles these files with g++). */
#ifndef MEPROP_CUDA_MAP2D_CUH
#define MEPROP_CUDA_MAP2D_CUH

#include "cuda_common.cuh"

namespace mpcuda {

constexpr int kMapBlock = 256;

template <class Op>
__global__ void __launch_bounds__(kMapBlock) map2d_kernel(int64_t rows, int64_t cols, Op op) {
    const int64_t c = (int64_t)blockIdx.x * kMapBlock + threadIdx.x;
    if (c >= cols) return;
    for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) op(r, c);
}

/* Queues op over rows x cols (both >= 1, checked by the caller) and checks the launch. */
template <class Op>
mp_status launch_map2d(const char* fn, int64_t rows, int64_t cols, const Op& op, void* stream) {
    if (ceil_div(cols, kMapBlock) > INT32_MAX) return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: cols = %lld is too large", fn, (long long)cols);
    clear_stale_error();
    const dim3 grid((unsigned)ceil_div(cols, kMapBlock), grid_y(rows));
    map2d_kernel<Op><<<grid, kMapBlock, 0, as_stream(stream)>>>(rows, cols, op);
    return check_launch(fn);
}

/* The smallest normal float; the backends flush optimizer state and probabilities below it to 0. */
constexpr float kSmallestNormal = 1.17549435e-38f;
__device__ __forceinline__ float flush_subnormal(float x) { return fabsf(x) < kSmallestNormal ? 0.0f : x; }

} // namespace mpcuda

#endif
