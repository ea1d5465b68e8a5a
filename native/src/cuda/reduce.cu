/* Fill and column sums (db of a linear layer, the unified top-k score). Deterministic: no atomics. */
#include "cuda_common.cuh"

using namespace mpcuda;

namespace {

constexpr int kFillBlock = 256;

__global__ void __launch_bounds__(kFillBlock)
fill_kernel(float* __restrict__ x, int64_t rows, int64_t cols, int64_t ldx, float value) {
    const int64_t c = (int64_t)blockIdx.x * kFillBlock + threadIdx.x;
    if (c >= cols) return;
    for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) x[r * ldx + c] = value;
}

/* Column sums: a block covers 32 columns; its 32 x kRowLanes threads each sum a strided subset of the rows in a
 * fixed order, then the kRowLanes partial sums of a column are added in a fixed order. Reads are coalesced (a warp
 * reads 32 consecutive floats of one row). */
constexpr int kColTile = 32;
constexpr int kRowLanes = 16;

template <bool ABS>
__global__ void __launch_bounds__(kColTile * kRowLanes)
col_sums_kernel(const float* __restrict__ x, int64_t rows, int64_t cols, int64_t ldx, float* __restrict__ out,
                int accumulate) {
    __shared__ float partial[kRowLanes][kColTile + 1];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int64_t c = (int64_t)blockIdx.x * kColTile + tx;
    float s = 0.0f;
    if (c < cols)
        for (int64_t r = ty; r < rows; r += kRowLanes) {
            const float v = x[r * ldx + c];
            s += ABS ? fabsf(v) : v;
        }
    partial[ty][tx] = s;
    __syncthreads();
    if (ty == 0 && c < cols) {
        float t = 0.0f;
#pragma unroll
        for (int i = 0; i < kRowLanes; ++i) t += partial[i][tx];
        out[c] = accumulate ? out[c] + t : t;
    }
}

template <bool ABS>
mp_status launch_col_sums(const char* fn, const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out,
                          int accumulate, void* stream) {
    clear_stale_error();
    const dim3 grid((unsigned)ceil_div(cols, kColTile));
    const dim3 block(kColTile, kRowLanes);
    col_sums_kernel<ABS><<<grid, block, 0, as_stream(stream)>>>(x, rows, cols, ldx, out, accumulate);
    return check_launch(fn);
}

} // namespace

extern "C" {

mp_status mp_cuda_fill_f32(float* x, int64_t rows, int64_t cols, int64_t ldx, float value, void* stream) {
#define MP_FN "mp_cuda_fill_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(ldx, cols);
    MP_CHECK_INT32_RANGE(ceil_div(cols, kFillBlock));
    clear_stale_error();
    const dim3 grid((unsigned)ceil_div(cols, kFillBlock), grid_y(rows));
    fill_kernel<<<grid, kFillBlock, 0, as_stream(stream)>>>(x, rows, cols, ldx, value);
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_col_sums_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out,
                               int32_t accumulate, void* stream) {
#define MP_FN "mp_cuda_col_sums_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(out);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(ldx, cols);
    MP_CHECK_INT32_RANGE(cols);
    return launch_col_sums<false>(MP_FN, x, rows, cols, ldx, out, accumulate != 0, stream);
#undef MP_FN
}

mp_status mp_cuda_col_abs_sums_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out,
                                   void* stream) {
#define MP_FN "mp_cuda_col_abs_sums_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(out);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(ldx, cols);
    MP_CHECK_INT32_RANGE(cols);
    return launch_col_sums<true>(MP_FN, x, rows, cols, ldx, out, 0, stream);
#undef MP_FN
}

} /* extern "C" */
