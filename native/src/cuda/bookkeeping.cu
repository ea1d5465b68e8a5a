/* Reductions and index bookkeeping of the GPU backend: sum of squares (global-norm clipping), subnormal count (a
 * diagnostic), row sums, indexed add (meSimp counts), zeroing a selection (MSBP), index offsets (grouped top-k) and
 * iota (CSR row offsets of an ELL pattern). Reductions use a fixed number of block partials summed in a fixed
 * order: deterministic. */
#include "map2d.cuh"

using namespace mpcuda;

namespace {

constexpr int kReduceBlock = 256;
constexpr int kReducePartials = 256; /* blocks of the first pass = partial sums in the workspace */

/* Fixed-order tree reduction of one double per thread over a block of kReduceBlock threads; thread 0 gets it. */
__device__ __forceinline__ double block_sum(double v, double* scratch) {
    scratch[threadIdx.x] = v;
    __syncthreads();
    for (int half = kReduceBlock / 2; half > 0; half >>= 1) {
        if ((int)threadIdx.x < half) scratch[threadIdx.x] += scratch[threadIdx.x + half];
        __syncthreads();
    }
    return scratch[0];
}

enum { kSumSquares = 0, kSubnormals = 1 };

/* Block b handles elements [b*chunk, (b+1)*chunk) of the rows*cols matrix (row-major order). */
template <int WHAT>
__global__ void __launch_bounds__(kReduceBlock)
reduce_partial_kernel(const float* __restrict__ x, int64_t rows, int64_t cols, int64_t ldx, int64_t chunk,
                      double* __restrict__ partial) {
    __shared__ double scratch[kReduceBlock];
    const int64_t total = rows * cols;
    const int64_t begin = (int64_t)blockIdx.x * chunk;
    const int64_t end = begin + chunk < total ? begin + chunk : total;
    double acc = 0.0;
    for (int64_t i = begin + threadIdx.x; i < end; i += kReduceBlock) {
        const float v = ldx == cols ? x[i] : x[(i / cols) * ldx + i % cols];
        if (WHAT == kSumSquares) acc += (double)v * (double)v;
        else {
            const uint32_t bits = __float_as_uint(v) & 0x7fffffffu;
            if (bits != 0u && bits < 0x00800000u) acc += 1.0;
        }
    }
    const double s = block_sum(acc, scratch);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

template <int WHAT>
__global__ void __launch_bounds__(kReduceBlock)
reduce_finish_kernel(const double* __restrict__ partial, void* out) {
    __shared__ double scratch[kReduceBlock];
    const double s = block_sum(partial[threadIdx.x], scratch);
    if (threadIdx.x == 0) {
        if (WHAT == kSumSquares) *static_cast<double*>(out) = s;
        else *static_cast<int64_t*>(out) = (int64_t)s;
    }
}

template <int WHAT>
mp_status reduce(const char* fn, const float* x, int64_t rows, int64_t cols, int64_t ldx, void* out, void* workspace,
                 void* stream) {
    const int64_t chunk = ceil_div(rows * cols, kReducePartials);
    clear_stale_error();
    double* partial = static_cast<double*>(workspace);
    reduce_partial_kernel<WHAT><<<kReducePartials, kReduceBlock, 0, as_stream(stream)>>>(x, rows, cols, ldx, chunk, partial);
    reduce_finish_kernel<WHAT><<<1, kReduceBlock, 0, as_stream(stream)>>>(partial, out);
    return check_launch(fn);
}

/* One block per row (grid-stride), a fixed-order tree over the block's strided partial sums. */
__global__ void __launch_bounds__(kReduceBlock)
row_sums_kernel(const float* __restrict__ x, int64_t rows, int64_t cols, int64_t ldx, float* __restrict__ out,
                int accumulate) {
    __shared__ float scratch[kReduceBlock];
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        float s = 0.0f;
        for (int64_t c = threadIdx.x; c < cols; c += kReduceBlock) s += x[r * ldx + c];
        scratch[threadIdx.x] = s;
        __syncthreads();
        for (int half = kReduceBlock / 2; half > 0; half >>= 1) {
            if ((int)threadIdx.x < half) scratch[threadIdx.x] += scratch[threadIdx.x + half];
            __syncthreads();
        }
        if (threadIdx.x == 0) out[r] = accumulate ? out[r] + scratch[0] : scratch[0];
        __syncthreads();
    }
}

struct IndexAddOp {
    const int32_t* idx; const float* values; float scale; float* target; int64_t n;
    __device__ void operator()(int64_t, int64_t i) const {
        const int32_t j = idx[i];
        if (j >= 0 && j < n) atomicAdd(&target[j], values == nullptr ? scale : scale * values[i]);
    }
};

struct ZeroSelectedOp {
    float* x; int64_t ldx; int64_t n; const int32_t* idx; int64_t ldi;
    __device__ void operator()(int64_t r, int64_t j) const {
        const int32_t c = idx[r * ldi + j];
        if (c >= 0 && c < n) x[r * ldx + c] = 0.0f;
    }
};

struct PlaceIndexOp {
    const int32_t* src; int64_t lds; int32_t* dst; int64_t ldd; int32_t offset;
    __device__ void operator()(int64_t r, int64_t j) const { dst[r * ldd + j] = src[r * lds + j] + offset; }
};

struct IotaOp {
    int32_t* x; int32_t start; int32_t step;
    __device__ void operator()(int64_t, int64_t i) const { x[i] = start + (int32_t)i * step; }
};

} // namespace

extern "C" {

mp_status mp_cuda_reduction_workspace_size(int64_t* bytes) {
#define MP_FN "mp_cuda_reduction_workspace_size"
    MP_CHECK_PTR(bytes);
    *bytes = kReducePartials * (int64_t)sizeof(double);
    return mp_ok();
#undef MP_FN
}

mp_status mp_cuda_sum_squares_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, double* out,
                                  void* workspace, int64_t workspace_bytes, void* stream) {
#define MP_FN "mp_cuda_sum_squares_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(out);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(ldx, cols);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, kReducePartials * (int64_t)sizeof(double));
    return reduce<kSumSquares>(MP_FN, x, rows, cols, ldx, out, workspace, stream);
#undef MP_FN
}

mp_status mp_cuda_count_subnormals_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, int64_t* out,
                                       void* workspace, int64_t workspace_bytes, void* stream) {
#define MP_FN "mp_cuda_count_subnormals_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(out);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(ldx, cols);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, kReducePartials * (int64_t)sizeof(double));
    return reduce<kSubnormals>(MP_FN, x, rows, cols, ldx, out, workspace, stream);
#undef MP_FN
}

mp_status mp_cuda_row_sums_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out, int32_t accumulate,
                               void* stream) {
#define MP_FN "mp_cuda_row_sums_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(out);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(ldx, cols);
    clear_stale_error();
    const unsigned blocks = (unsigned)(rows < 65535 ? rows : 65535);
    row_sums_kernel<<<blocks, kReduceBlock, 0, as_stream(stream)>>>(x, rows, cols, ldx, out, accumulate != 0);
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_index_add_f32(const int32_t* idx, int64_t count, const float* values, float scale, float* target,
                                int64_t n, void* stream) {
#define MP_FN "mp_cuda_index_add_f32"
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(target);
    MP_CHECK_POSITIVE(count);
    MP_CHECK_POSITIVE(n);
    return launch_map2d(MP_FN, 1, count, IndexAddOp{idx, values, scale, target, n}, stream);
#undef MP_FN
}

mp_status mp_cuda_zero_selected_f32(float* x, int64_t rows, int64_t n, int64_t ldx, const int32_t* idx, int64_t ldi,
                                    int64_t k, void* stream) {
#define MP_FN "mp_cuda_zero_selected_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(idx);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_POSITIVE(k);
    MP_CHECK_LD(ldx, n);
    if (ldi != 0) MP_CHECK_LD(ldi, k);
    return launch_map2d(MP_FN, rows, k, ZeroSelectedOp{x, ldx, n, idx, ldi}, stream);
#undef MP_FN
}

mp_status mp_cuda_place_index_cols_i32(const int32_t* src, int64_t rows, int64_t k, int64_t lds, int32_t* dst,
                                       int64_t ldd, int32_t offset, void* stream) {
#define MP_FN "mp_cuda_place_index_cols_i32"
    MP_CHECK_PTR(src);
    MP_CHECK_PTR(dst);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(k);
    MP_CHECK_LD(lds, k);
    MP_CHECK_LD(ldd, k);
    return launch_map2d(MP_FN, rows, k, PlaceIndexOp{src, lds, dst, ldd, offset}, stream);
#undef MP_FN
}

mp_status mp_cuda_iota_i32(int32_t* x, int64_t n, int32_t start, int32_t step, void* stream) {
#define MP_FN "mp_cuda_iota_i32"
    MP_CHECK_PTR(x);
    MP_CHECK_POSITIVE(n);
    return launch_map2d(MP_FN, 1, n, IotaOp{x, start, step}, stream);
#undef MP_FN
}

} /* extern "C" */
