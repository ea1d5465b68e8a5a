/* MSBP (memorized sparsified backprop): the gradient mass that top-k drops is remembered, scaled by a ratio, and
 * added to the next step's gradient before selection.
 *   apply:  g = dy + M            (in place in dy)
 *   update: M = r * (g - kept(g)) (every entry r * g, then the selected entries of each row set to 0) */
#include "cuda_common.cuh"

using namespace mpcuda;

namespace {

constexpr int kBlock = 256;

__global__ void __launch_bounds__(kBlock)
msbp_apply_kernel(float* __restrict__ dy, int64_t rows, int64_t n, int64_t lddy, const float* __restrict__ mem,
                  int64_t ldm) {
    const int64_t c = (int64_t)blockIdx.x * kBlock + threadIdx.x;
    if (c >= n) return;
    for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) dy[r * lddy + c] += mem[r * ldm + c];
}

/* One block per row (grid-stride): write r * g over the whole row, barrier, then zero the kept entries. The
 * barrier orders the block's global writes, and no other block touches the row, so the zeros win. */
__global__ void __launch_bounds__(kBlock)
msbp_update_kernel(const float* g, int64_t rows, int64_t n, int64_t ldg, const int32_t* __restrict__ idx,
                   int64_t ldi, int64_t k, float ratio, float* mem, int64_t ldm) {
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* g_row = g + r * ldg;
        float* m_row = mem + r * ldm;
        for (int64_t c = threadIdx.x; c < n; c += kBlock) m_row[c] = ratio * g_row[c];
        __syncthreads();
        const int32_t* i_row = idx + r * ldi; /* ldi == 0: the unified pattern */
        for (int64_t j = threadIdx.x; j < k; j += kBlock) {
            const int32_t c = i_row[j];
            if (c >= 0 && c < n) m_row[c] = 0.0f;
        }
        __syncthreads();
    }
}

} // namespace

extern "C" {

mp_status mp_cuda_msbp_apply_f32(float* dy, int64_t rows, int64_t n, int64_t lddy, const float* mem, int64_t ldm,
                                 void* stream) {
#define MP_FN "mp_cuda_msbp_apply_f32"
    MP_CHECK_PTR(dy);
    MP_CHECK_PTR(mem);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_LD(lddy, n);
    MP_CHECK_LD(ldm, n);
    MP_CHECK_INT32_RANGE(ceil_div(n, kBlock));
    clear_stale_error();
    const dim3 grid((unsigned)ceil_div(n, kBlock), grid_y(rows));
    msbp_apply_kernel<<<grid, kBlock, 0, as_stream(stream)>>>(dy, rows, n, lddy, mem, ldm);
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_msbp_update_f32(const float* g, int64_t rows, int64_t n, int64_t ldg, const int32_t* idx,
                                  int64_t ldi, int64_t k, float ratio, float* mem, int64_t ldm, void* stream) {
#define MP_FN "mp_cuda_msbp_update_f32"
    MP_CHECK_PTR(g);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(mem);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_LD(ldg, n);
    MP_CHECK_LD(ldm, n);
    MP_CHECK_K(k, n);
    if (ldi != 0) MP_CHECK_LD(ldi, k);
    if (!(ratio == ratio))
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: ratio is NaN", MP_FN);
    clear_stale_error();
    const unsigned grid = (unsigned)(rows < (int64_t)INT32_MAX ? rows : (int64_t)INT32_MAX);
    msbp_update_kernel<<<grid, kBlock, 0, as_stream(stream)>>>(g, rows, n, ldg, idx, ldi, k, ratio, mem, ldm);
    return check_launch(MP_FN);
#undef MP_FN
}

} /* extern "C" */
