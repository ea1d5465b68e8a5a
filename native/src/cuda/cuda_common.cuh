/* Shared by the CUDA kernel files: launch checks, grid helpers, block-wide scans. Not installed. */
#ifndef MEPROP_CUDA_COMMON_CUH
#define MEPROP_CUDA_COMMON_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#include "internal.h"

namespace mpcuda {

/* Largest gridDim.y / gridDim.z; kernels loop (grid-stride) over anything larger. */
constexpr int64_t kMaxGridY = 65535;

inline cudaStream_t as_stream(void* stream) { return static_cast<cudaStream_t>(stream); }

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline unsigned grid_y(int64_t n) { return (unsigned)(n < kMaxGridY ? n : kMaxGridY); }

/* Clears a stale, non-sticky error left by an earlier, unrelated runtime call, so that the check after our
 * launch reports only what our launch did. (Sticky errors - a faulted context - come back anyway.) */
inline void clear_stale_error() { (void)cudaGetLastError(); }

/* Status for a CUDA error: MP_ERR_CUDA with "fn: cudaErrorName (description)". */
inline mp_status fail_cuda(cudaError_t err, const char* fn, const char* what) {
    return mp_fail(MP_ERR_CUDA, "%s: %s failed: %s (%s)", fn, what, cudaGetErrorName(err), cudaGetErrorString(err));
}

/* After the last launch of a launcher: the launch configuration and any earlier asynchronous error. */
inline mp_status check_launch(const char* fn) {
    const cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) return fail_cuda(err, fn, "kernel launch");
    return mp_ok();
}

/* ---- device helpers ------------------------------------------------------------------------------------ */

/* Inclusive sum over the 32 lanes of a warp (all lanes active). */
__device__ __forceinline__ uint32_t warp_inclusive_sum(uint32_t v) {
    const unsigned lane = threadIdx.x & 31u;
#pragma unroll
    for (unsigned offset = 1; offset < 32; offset <<= 1) {
        const uint32_t other = __shfl_up_sync(0xffffffffu, v, offset);
        if (lane >= offset) v += other;
    }
    return v;
}

/* Exclusive prefix sum of v over a 1-D block of BLOCK threads (a multiple of 32, <= 1024); *total gets the block
 * sum. Every thread of the block must call it. scratch: __shared__ uint32_t[32], free again on return. */
template <int BLOCK>
__device__ __forceinline__ uint32_t block_exclusive_sum(uint32_t v, uint32_t* total, uint32_t* scratch) {
    static_assert(BLOCK % 32 == 0 && BLOCK <= 1024, "BLOCK must be a multiple of 32, at most 1024");
    constexpr int kWarps = BLOCK / 32;
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    const uint32_t inclusive = warp_inclusive_sum(v);
    if (lane == 31) scratch[warp] = inclusive;
    __syncthreads();
    if (warp == 0) {
        const uint32_t t = lane < (unsigned)kWarps ? scratch[lane] : 0u;
        const uint32_t scanned = warp_inclusive_sum(t);
        if (lane < (unsigned)kWarps) scratch[lane] = scanned; /* inclusive warp totals */
    }
    __syncthreads();
    const uint32_t warp_offset = warp > 0 ? scratch[warp - 1] : 0u;
    *total = scratch[kWarps - 1];
    __syncthreads(); /* everyone has read scratch: the next call may overwrite it */
    return warp_offset + inclusive - v;
}

/* Key under which |x| orders as an unsigned integer: the bits without the sign. Every NaN maps to one key above
 * +Inf (0x7f800000), so NaNs outrank every number and tie among themselves (then the lower index wins). */
__device__ __forceinline__ uint32_t abs_key(float x) {
    const uint32_t u = __float_as_uint(x) & 0x7fffffffu;
    return u > 0x7f800000u ? 0x7fc00000u : u;
}

} // namespace mpcuda

#endif
