/* Block-per-row top-k by a 32-bit key (radix select + ordered compaction), shared by top-k and random-k.
 *
 * For each row (one block per row):
 *  1. Radix select, 4 passes of 8 bits from the most significant byte: a 256-bin histogram in shared memory of the
 *     next digit of the keys that match the prefix found so far (warp-aggregated atomics: lanes holding the same
 *     digit are grouped with __match_any_sync and one of them adds the group's size). Walking the bins from the
 *     top gives the digit of the k-th largest key. After 4 passes: T = the k-th largest key exactly, and
 *     need_eq = how many keys equal to T belong to the top k (count(key > T) = k - need_eq).
 *  2. Compaction in index order: chunks of BLOCK elements, a block-wide exclusive scan of (key > T, key == T)
 *     packed in one word gives each selected element its output slot
 *          slot = #(key > T before it) + min(#(key == T before it), need_eq),
 *     so the output is ascending by index and ties at T go to the lower indices. It stops once k are written.
 * Keys: the caller's functor `keys(row, i)`. For |x|, abs_key(): sign bit cleared, NaNs mapped above +Inf.
 * CACHED: the row's keys are first copied to dynamic shared memory (one global read instead of five); used when
 * they fit (n <= kTopkCacheMax). */
#ifndef MEPROP_CUDA_SELECT_CUH
#define MEPROP_CUDA_SELECT_CUH

#include "cuda_common.cuh"

namespace mpcuda {

/* Largest row length whose keys are cached in shared memory (40 KiB; with the ~1.2 KiB of static shared memory
 * this stays under the 48 KiB every architecture gives without an opt-in). */
constexpr int64_t kTopkCacheMax = 10240;

template <int BLOCK, bool CACHED, class Keys>
__global__ void __launch_bounds__(BLOCK)
topk_rows_kernel(Keys keys, int64_t n, int64_t k, int32_t* __restrict__ idx, int64_t ldi, float* __restrict__ val,
                 int64_t ldv, const float* __restrict__ xval, int64_t ldx) {
    extern __shared__ uint32_t s_cache[];
    __shared__ uint32_t s_hist[256];
    __shared__ uint32_t s_scan[32];
    __shared__ uint32_t s_digit, s_need;

    const int64_t row = blockIdx.x;
    const int tid = threadIdx.x;
    const unsigned lane = (unsigned)tid & 31u;

    if constexpr (CACHED) {
        for (int64_t i = tid; i < n; i += BLOCK) s_cache[i] = keys(row, i);
        __syncthreads();
    }
    auto key_at = [&](int64_t i) -> uint32_t {
        if constexpr (CACHED) return s_cache[i];
        else return keys(row, i);
    };

    /* ---- 1. radix select ---- */
    uint32_t prefix = 0, mask = 0, need = (uint32_t)k; /* need: rank still wanted among keys matching prefix */
    for (int shift = 24; shift >= 0; shift -= 8) {
        for (int i = tid; i < 256; i += BLOCK) s_hist[i] = 0;
        __syncthreads();
        for (int64_t base = 0; base < n; base += BLOCK) { /* uniform trip count: every lane reaches the match */
            const int64_t i = base + tid;
            uint32_t digit = 256u; /* 256 = "not counted" */
            if (i < n) {
                const uint32_t key = key_at(i);
                if ((key & mask) == prefix) digit = (key >> shift) & 0xffu;
            }
            const unsigned peers = __match_any_sync(0xffffffffu, digit);
            if (digit < 256u && lane == (unsigned)(__ffs(peers) - 1)) atomicAdd(&s_hist[digit], (uint32_t)__popc(peers));
        }
        __syncthreads();
        if (tid == 0) {
            uint32_t above = 0;
            int d = 255;
            for (; d > 0; --d) {
                const uint32_t c = s_hist[d];
                if (above + c >= need) break;
                above += c;
            }
            s_digit = (uint32_t)d;
            s_need = need - above;
        }
        __syncthreads();
        prefix |= s_digit << shift;
        mask |= 0xffu << shift;
        need = s_need;
    }

    /* ---- 2. ordered compaction ---- */
    const uint32_t threshold = prefix;
    const uint32_t need_eq = need;                 /* keys == threshold to take, the lowest indices first */
    const uint32_t need_gt = (uint32_t)k - need_eq; /* every key > threshold is taken */
    int32_t* out_idx = idx + row * ldi;
    float* out_val = val != nullptr ? val + row * ldv : nullptr;
    const float* x_row = xval != nullptr ? xval + row * ldx : nullptr;
    uint32_t run_gt = 0, run_eq = 0;
    for (int64_t base = 0; base < n; base += BLOCK) {
        const int64_t i = base + tid;
        uint32_t gt = 0, eq = 0;
        if (i < n) {
            const uint32_t key = key_at(i);
            gt = key > threshold;
            eq = key == threshold;
        }
        uint32_t total;
        const uint32_t before = block_exclusive_sum<BLOCK>(gt | (eq << 16), &total, s_scan); /* BLOCK < 65536 */
        const uint32_t gt_before = run_gt + (before & 0xffffu);
        const uint32_t eq_before = run_eq + (before >> 16);
        if (gt || (eq && eq_before < need_eq)) {
            const uint32_t slot = gt_before + (eq_before < need_eq ? eq_before : need_eq);
            out_idx[slot] = (int32_t)i;
            if (out_val != nullptr) out_val[slot] = x_row[i];
        }
        run_gt += total & 0xffffu;
        run_eq += total >> 16;
        if (run_gt >= need_gt && run_eq >= need_eq) break; /* uniform: every thread saw the same totals */
    }
}

/* Picks the kernel by row length (docs/gpu.md): short rows -> 128 threads, cached; mid rows -> 256 threads,
 * cached; long rows (> kTopkCacheMax) -> 512 threads streaming from global memory/L2. */
template <class Keys>
inline void launch_topk_rows(Keys keys, int64_t rows, int64_t n, int64_t k, int32_t* idx, int64_t ldi, float* val,
                             int64_t ldv, const float* xval, int64_t ldx, cudaStream_t stream) {
    const dim3 grid((unsigned)rows);
    if (n <= 2048) {
        topk_rows_kernel<128, true, Keys><<<grid, 128, (size_t)n * sizeof(uint32_t), stream>>>(keys, n, k, idx, ldi, val, ldv, xval, ldx);
    } else if (n <= kTopkCacheMax) {
        topk_rows_kernel<256, true, Keys><<<grid, 256, (size_t)n * sizeof(uint32_t), stream>>>(keys, n, k, idx, ldi, val, ldv, xval, ldx);
    } else {
        topk_rows_kernel<512, false, Keys><<<grid, 512, 0, stream>>>(keys, n, k, idx, ldi, val, ldv, xval, ldx);
    }
}

} // namespace mpcuda

#endif
