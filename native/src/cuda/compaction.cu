/* Compaction: gathers of k columns / k rows and the scatters back. Threads run along the contiguous dimension;
 * rows go to gridDim.y (grid-stride beyond 65535). An index outside its range never faults: gathers write NaN
 * (so a bad pattern is visible), scatters skip the entry. */
#include "cuda_common.cuh"

using namespace mpcuda;

namespace {

constexpr int kBlock = 256;

__device__ __forceinline__ float nan_f32() { return __int_as_float(0x7fc00000); }

/* dst[r, j] = src[r, idx[r*ldi + j]]; ldi == 0: one pattern for all rows. */
__global__ void __launch_bounds__(kBlock)
gather_cols_kernel(const float* __restrict__ src, int64_t rows, int64_t cols, int64_t lds,
                   const int32_t* __restrict__ idx, int64_t ldi, int64_t k, float* __restrict__ dst, int64_t ldd) {
    const int64_t j = (int64_t)blockIdx.x * kBlock + threadIdx.x;
    if (j >= k) return;
    for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
        const int32_t c = idx[r * ldi + j];
        dst[r * ldd + j] = (c >= 0 && c < cols) ? src[r * lds + c] : nan_f32();
    }
}

/* dst[j, c] = src[idx[j], c]. */
__global__ void __launch_bounds__(kBlock)
gather_rows_kernel(const float* __restrict__ src, int64_t src_rows, int64_t cols, int64_t lds,
                   const int32_t* __restrict__ idx, int64_t k, float* __restrict__ dst, int64_t ldd) {
    const int64_t c = (int64_t)blockIdx.x * kBlock + threadIdx.x;
    if (c >= cols) return;
    for (int64_t j = blockIdx.y; j < k; j += gridDim.y) {
        const int32_t r = idx[j];
        dst[j * ldd + c] = (r >= 0 && r < src_rows) ? src[(int64_t)r * lds + c] : nan_f32();
    }
}

/* dst[idx[j], c] += alpha * src[j, c]. */
__global__ void __launch_bounds__(kBlock)
scatter_add_rows_kernel(const float* __restrict__ src, int64_t k, int64_t cols, int64_t lds,
                        const int32_t* __restrict__ idx, float alpha, float* dst, int64_t dst_rows, int64_t ldd) {
    const int64_t c = (int64_t)blockIdx.x * kBlock + threadIdx.x;
    if (c >= cols) return;
    for (int64_t j = blockIdx.y; j < k; j += gridDim.y) {
        const int32_t r = idx[j];
        if (r >= 0 && r < dst_rows) atomicAdd(&dst[(int64_t)r * ldd + c], alpha * src[j * lds + c]);
    }
}

/* One block per row (grid-stride): zero the row, barrier, write the k columns. */
__global__ void __launch_bounds__(kBlock)
scatter_cols_kernel(const float* __restrict__ src, int64_t rows, int64_t k, int64_t lds,
                    const int32_t* __restrict__ idx, float* dst, int64_t cols, int64_t ldd) {
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        float* d_row = dst + r * ldd;
        for (int64_t c = threadIdx.x; c < cols; c += kBlock) d_row[c] = 0.0f;
        __syncthreads();
        for (int64_t j = threadIdx.x; j < k; j += kBlock) {
            const int32_t c = idx[j];
            if (c >= 0 && c < cols) d_row[c] = src[r * lds + j];
        }
        __syncthreads();
    }
}

} // namespace

extern "C" {

mp_status mp_cuda_gather_cols_f32(const float* src, int64_t rows, int64_t cols, int64_t lds, const int32_t* idx,
                                  int64_t k, float* dst, int64_t ldd, void* stream) {
#define MP_FN "mp_cuda_gather_cols_f32"
    MP_CHECK_PTR(src);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(dst);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_POSITIVE(k);
    MP_CHECK_LD(lds, cols);
    MP_CHECK_LD(ldd, k);
    MP_CHECK_INT32_RANGE(ceil_div(k, kBlock));
    clear_stale_error();
    const dim3 grid((unsigned)ceil_div(k, kBlock), grid_y(rows));
    gather_cols_kernel<<<grid, kBlock, 0, as_stream(stream)>>>(src, rows, cols, lds, idx, 0, k, dst, ldd);
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_gather_cols_rows_f32(const float* src, int64_t rows, int64_t cols, int64_t lds,
                                       const int32_t* idx, int64_t ldi, int64_t k, float* dst, int64_t ldd,
                                       void* stream) {
#define MP_FN "mp_cuda_gather_cols_rows_f32"
    MP_CHECK_PTR(src);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(dst);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_POSITIVE(k);
    MP_CHECK_LD(lds, cols);
    MP_CHECK_LD(ldi, k);
    MP_CHECK_LD(ldd, k);
    MP_CHECK_INT32_RANGE(ceil_div(k, kBlock));
    clear_stale_error();
    const dim3 grid((unsigned)ceil_div(k, kBlock), grid_y(rows));
    gather_cols_kernel<<<grid, kBlock, 0, as_stream(stream)>>>(src, rows, cols, lds, idx, ldi, k, dst, ldd);
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_gather_rows_f32(const float* src, int64_t src_rows, int64_t cols, int64_t lds, const int32_t* idx,
                                  int64_t k, float* dst, int64_t ldd, void* stream) {
#define MP_FN "mp_cuda_gather_rows_f32"
    MP_CHECK_PTR(src);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(dst);
    MP_CHECK_POSITIVE(src_rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_POSITIVE(k);
    MP_CHECK_LD(lds, cols);
    MP_CHECK_LD(ldd, cols);
    MP_CHECK_INT32_RANGE(ceil_div(cols, kBlock));
    clear_stale_error();
    const dim3 grid((unsigned)ceil_div(cols, kBlock), grid_y(k));
    gather_rows_kernel<<<grid, kBlock, 0, as_stream(stream)>>>(src, src_rows, cols, lds, idx, k, dst, ldd);
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_scatter_add_rows_f32(const float* src, int64_t k, int64_t cols, int64_t lds, const int32_t* idx,
                                       float alpha, float* dst, int64_t dst_rows, int64_t ldd, void* stream) {
#define MP_FN "mp_cuda_scatter_add_rows_f32"
    MP_CHECK_PTR(src);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(dst);
    MP_CHECK_POSITIVE(k);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_POSITIVE(dst_rows);
    MP_CHECK_LD(lds, cols);
    MP_CHECK_LD(ldd, cols);
    MP_CHECK_INT32_RANGE(ceil_div(cols, kBlock));
    clear_stale_error();
    const dim3 grid((unsigned)ceil_div(cols, kBlock), grid_y(k));
    scatter_add_rows_kernel<<<grid, kBlock, 0, as_stream(stream)>>>(src, k, cols, lds, idx, alpha, dst, dst_rows, ldd);
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_scatter_cols_f32(const float* src, int64_t rows, int64_t k, int64_t lds, const int32_t* idx,
                                   float* dst, int64_t cols, int64_t ldd, void* stream) {
#define MP_FN "mp_cuda_scatter_cols_f32"
    MP_CHECK_PTR(src);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(dst);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(k);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(lds, k);
    MP_CHECK_LD(ldd, cols);
    clear_stale_error();
    const unsigned grid = (unsigned)(rows < (int64_t)INT32_MAX ? rows : (int64_t)INT32_MAX);
    scatter_cols_kernel<<<grid, kBlock, 0, as_stream(stream)>>>(src, rows, k, lds, idx, dst, cols, ldd);
    return check_launch(MP_FN);
#undef MP_FN
}

} /* extern "C" */
